#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Check the L2-L4 headers of tests/vectors/vectors.pcap with scapy.

Packet i of the pcap (written by the C mr_enc_l2l4/mr_enc_udp_csum) must
carry vector i's UDP payload inside exactly the encap the JSON describes,
with correct IPv4 and UDP checksums; and scripts/python/mrelay_scapy.py
must build the same encap back. Exits 77 (skipped) without scapy.

usage: test_pcap.py [VECTORS_JSON [VECTORS_PCAP]]
"""
import json
import os
import sys
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts", "python"))
import mrelay_scapy  # noqa: E402

VECTORS = os.path.join(ROOT, "tests", "vectors", "vectors.json")
PCAP = os.path.join(ROOT, "tests", "vectors", "vectors.pcap")
VEC, PKTS = [], []


def setUpModule():
    from scapy.utils import rdpcap
    with open(VECTORS) as f:
        VEC.extend(json.load(f)["vectors"])
    PKTS.extend(bytes(p) for p in rdpcap(PCAP))


class TestPcap(unittest.TestCase):
    def test_c_encap(self):
        self.assertEqual(len(PKTS), len(VEC))
        for v, raw in zip(VEC, PKTS):
            with self.subTest(vector=v["name"]):
                encap, payload = mrelay_scapy.unwrap(raw)
                self.assertEqual(encap, v["encap"])
                self.assertEqual(payload.hex(), v["udp_payload_hex"])
                self.assertTrue(mrelay_scapy.checksums_ok(raw))

    def test_scapy_wrap(self):
        for v in VEC:
            with self.subTest(vector=v["name"]):
                payload = bytes.fromhex(v["udp_payload_hex"])
                raw = bytes(mrelay_scapy.wrap(payload, v["encap"]))
                self.assertEqual(mrelay_scapy.unwrap(raw),
                                 (v["encap"], payload))
                self.assertTrue(mrelay_scapy.checksums_ok(raw))


if __name__ == "__main__":
    try:
        import scapy  # noqa: F401
    except ImportError:
        print("scapy not found (use /usr/bin/python3): skipped")
        sys.exit(77)
    if len(sys.argv) > 1:
        VECTORS = sys.argv[1]
    if len(sys.argv) > 2:
        PCAP = sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=1)
