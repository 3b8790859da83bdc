#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Check scripts/wireshark/mrelay.lua against tests/vectors/.

tshark dissects vectors.pcap (packet i is vector i) into PDML. For a
datagram that is not dropped, every header field and every field of every
frame must show the value vectors.json expects, the frame must show no
field the expectation lacks, and a dropped frame must carry exactly the
expert info mrelay.expert.<reason>. A dropped datagram must carry exactly
mrelay.expert.<reason>. Exits 77 (skipped) without tshark.

usage: test_dissector.py [VECTORS_JSON [VECTORS_PCAP]]
"""
import json
import os
import shutil
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
LUA = os.path.join(ROOT, "scripts", "wireshark", "mrelay.lua")
VECTORS = os.path.join(ROOT, "tests", "vectors", "vectors.json")
PCAP = os.path.join(ROOT, "tests", "vectors", "vectors.pcap")
TYPE_CODE = {"MSG": 1, "ACK": 2, "REJECT": 3, "RECEIPT": 4, "NAK": 5,
             "PING": 6, "PONG": 7}
HEX_FIELDS = {"subject_hex": "mrelay.msg.subject",
              "payload_hex": "mrelay.msg.payload",
              "ext_hex": "mrelay.frame.ext"}
SHOWN_ONLY = set(HEX_FIELDS.values()) | {"mrelay.msg.subject_text"}
VEC, PDML = [], []


def tshark(*args):
    cmd = ["tshark", "-n", "-X", "lua_script:" + LUA, "-r", PCAP] + list(args)
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0 or "Lua" in res.stderr:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), res.stderr))
    return res.stdout


def setUpModule():
    with open(VECTORS) as f:
        VEC.extend(json.load(f)["vectors"])
    root = ET.fromstring(tshark("-T", "pdml"))
    PDML.extend(root.findall("packet"))


def mrelay_of(packet):
    protos = [p for p in packet.findall("proto") if p.get("name") == "mrelay"]
    return protos[0] if len(protos) == 1 else None


def experts(elem, deep=True):
    """mrelay expert names under elem (or only in its direct children)."""
    found = []
    holders = elem.iter("field") if deep else elem.findall("field")
    for h in holders:
        if h.get("name") == "_ws.expert":
            found += [f.get("name")[len("mrelay.expert."):]
                      for f in h.findall("field")
                      if f.get("name", "").startswith("mrelay.expert.")]
    return found


def children(elem, name):
    return [f for f in elem.findall("field") if f.get("name") == name]


def number(field):
    return int(field.get("show"), 0)


class TestDissector(unittest.TestCase):
    def one(self, elem, name):
        got = children(elem, name)
        self.assertEqual(len(got), 1, name)
        return got[0]

    def check_frame(self, frame, want):
        if "error" in want:
            self.assertEqual(experts(frame), [want["error"]])
            return
        self.assertEqual(experts(frame), [])
        self.assertEqual(number(self.one(frame, "mrelay.frame.type")),
                         TYPE_CODE[want["type"]])
        self.assertEqual(number(self.one(frame, "mrelay.frame.flags")),
                         want["flags"])
        prefix = "mrelay.%s." % want["type"].lower()
        shown = {"type", "flags"}
        for f in frame.findall("field"):
            name = f.get("name", "")
            key = name[len(prefix):]
            if name.startswith(prefix) and key in want:
                self.assertEqual(number(f), want[key], name)
                shown.add(key)
            elif name.startswith(prefix) and "reserved" not in key:
                self.assertIn(name, SHOWN_ONLY, "unexpected field")
        is_msg = want["type"] == "MSG"
        for key, name in HEX_FIELDS.items():
            got = children(frame, name)
            if is_msg != (key != "ext_hex"):
                self.assertEqual(got, [], name)
                continue
            self.assertEqual(got[0].get("value", "") if got else "",
                             want.get(key, ""), name)
            if key in want:
                shown.add(key)
        self.assertEqual(shown, set(want))

    def test_vectors(self):
        self.assertEqual(len(PDML), len(VEC))
        for v, packet in zip(VEC, PDML):
            with self.subTest(vector=v["name"]):
                mr = mrelay_of(packet)
                self.assertIsNotNone(mr, "not dissected as mrelay")
                self.assertNotIn("Lua Error", ET.tostring(mr, "unicode"))
                want = v["expect"]
                if want["drop"]:
                    self.assertEqual(experts(mr), [want["drop"]])
                    continue
                self.assertEqual(experts(mr, deep=False), [])
                d = want["dgram"]
                self.assertEqual(number(self.one(mr, "mrelay.magic")), 0x4D52)
                self.assertEqual(number(self.one(mr, "mrelay.version")), 1)
                for k in ("flags", "hdr_len", "nframes"):
                    self.assertEqual(number(self.one(mr, "mrelay." + k)),
                                     d[k], k)
                ext = children(mr, "mrelay.hdr_ext")
                self.assertEqual(ext[0].get("value") if ext else "",
                                 d["hdr_ext_hex"])
                frames = children(mr, "mrelay.frame")
                self.assertEqual(len(frames), len(want["frames"]))
                for i, (frame, wf) in enumerate(zip(frames, want["frames"])):
                    with self.subTest(frame=i):
                        self.check_frame(frame, wf)

    def test_port_preference(self):
        out = tshark("-o", "mrelay.port:7401", "-T", "fields",
                     "-e", "mrelay.magic")
        self.assertEqual(out.split(), [])


if __name__ == "__main__":
    if shutil.which("tshark") is None:
        print("tshark not found: skipped")
        sys.exit(77)
    if len(sys.argv) > 1:
        VECTORS = sys.argv[1]
    if len(sys.argv) > 2:
        PCAP = sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=1)
