#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Check scripts/python/mrelay_codec.py against tests/vectors/vectors.json.

Every vector is decoded and compared with its expectation, field by field;
every datagram without a dropped frame is encoded again and must give the
same bytes. The vectors come from the C encoder, so this also checks that
the C encoder and the Python codec agree on every offset.

usage: test_codec.py [VECTORS_JSON] [DROP_REASONS_DEF]
"""
import json
import os
import re
import sys
import unittest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts", "python"))
import mrelay_codec as codec  # noqa: E402

VECTORS = os.path.join(ROOT, "tests", "vectors", "vectors.json")
DROPS_DEF = os.path.join(ROOT, "dataplane", "drop_reasons.def")
# Reasons the dataplane gives from context the codec does not have.
NOT_CODEC = {"frame_wrong_direction"}


VEC = []


def setUpModule():
    with open(VECTORS) as f:
        VEC.extend(json.load(f)["vectors"])


class TestCodec(unittest.TestCase):
    def test_decode(self):
        for v in VEC:
            with self.subTest(vector=v["name"]):
                want = v["expect"]
                dgram, frames = codec.decode(bytes.fromhex(v["udp_payload_hex"]))
                self.assertEqual(dgram["drop"], want["drop"])
                self.assertEqual(frames, want["frames"])
                if want["dgram"] is not None:
                    got = {k: dgram[k] for k in want["dgram"]}
                    self.assertEqual(got, want["dgram"])

    def test_reencode(self):
        n = 0
        for v in VEC:
            frames = v["expect"]["frames"]
            if v["expect"]["drop"] or any("error" in f for f in frames):
                continue
            with self.subTest(vector=v["name"]):
                d = v["expect"]["dgram"]
                got = codec.encode(d["flags"], frames,
                                   hdr_ext=bytes.fromhex(d["hdr_ext_hex"]))
                self.assertEqual(got.hex(), v["udp_payload_hex"])
                n += 1
        self.assertGreaterEqual(n, 10)

    def test_reasons_are_the_dataplane_names(self):
        """Every datagram/frame reason is a vector; no name is invented."""
        with open(DROPS_DEF) as f:
            names = re.findall(r'MR_DROP\(\w+, "(\w+)"', f.read())
        wire = set(names[names.index("dgram_truncated"):]) - NOT_CODEC
        used = set()
        for v in VEC:
            used.add(v["expect"]["drop"])
            used.update(f.get("error") for f in v["expect"]["frames"])
        used -= {None}
        self.assertEqual(used, wire)

    def test_every_type_and_encap(self):
        types = {f.get("type") for v in VEC for f in v["expect"]["frames"]}
        self.assertTrue(set(codec.FT) <= types)
        encaps = {(v["encap"]["ip_version"], len(v["encap"]["vlans"]))
                  for v in VEC}
        self.assertTrue({4, 6} <= {ipv for ipv, _ in encaps})
        self.assertTrue({0, 1, 2} <= {nv for _, nv in encaps})

    def test_single_byte_damage_is_noticed(self):
        """Flipping any header or fixed-field byte changes the decoding."""
        for v in VEC:
            frames = v["expect"]["frames"]
            if v["expect"]["drop"] or any("error" in f for f in frames):
                continue
            raw = bytes.fromhex(v["udp_payload_hex"])
            base = codec.decode(raw)
            with self.subTest(vector=v["name"]):
                for i in range(len(raw)):
                    bad = bytearray(raw)
                    bad[i] ^= 0x40
                    self.assertNotEqual(codec.decode(bytes(bad)), base, i)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        VECTORS = sys.argv[1]
    if len(sys.argv) > 2:
        DROPS_DEF = sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=1)
