#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Relay fan-out, packet-fixture style: one input capture, one output capture.

The population (three gateways: plain IPv4, IPv4 behind VLAN 100, IPv6,
and a fourth sender behind QinQ that only gets replies;
groups with every role and both posting policies; users with several
devices) is loaded on a net_null run; then mrelayd replays in.pcap on a
net_pcap port and the output capture is checked copy by copy:

- every expected (rcpt_user, rcpt_device) of each accepted MSG gets exactly
  one copy and the sending device none; the copy goes to the device's
  endpoint (MAC, IP, port, VLAN), from the port's MAC and the relay's
  address of the endpoint's IP version; IPv4 header and UDP checksums are
  right (recomputed with scapy); the UDP payload is byte for byte the input
  frame with RELAYED set, RETRANSMIT cleared and rcpt_user, rcpt_device,
  seq and relay_ts stamped; seq is 1, 2, 3... per conversation in input
  order; relay_ts lies within the test's wall-clock window and equals the
  ACK's;
- one ACK per accepted MSG to the packet's source (same VLAN, IP version,
  addresses and ports swapped) with the seq; REJECTs with the exact reason;
  a retransmit gets an ACK with DUPLICATE and the original seq and time,
  and no second delivery;
- direct messages reach every device of the recipient and the sender's
  other devices; RECEIPTs reach every device of the original sender only;
  PING gets a PONG echoing token and sender_ts; 8 MSG frames in one
  datagram are handled in order;
- frames only the relay sends, NAKs and malformed packets (vectors.json
  invalid ones, plus bad L3/L4) are counted under their names and nothing
  is sent for them;
- payloads over 512 bytes sent zero copy (header mbuf + indirect mbuf) on
  a net_ring loopback port come back with valid UDP checksums (the relay's
  own parser checks them), IPv4 and IPv6 + VLAN;
- a copy that would not fit the port's MTU (an IPv6 copy of a
  1500-byte IPv4 message) is not sent (drop.copy_too_large);
- mrelayctl stats --json matches the capture exactly (copies, acks,
  rejects, receipts, pongs, fan-out histogram, drops: every other drop
  counter is zero), and after SIGTERM the log says every mbuf is back in
  both pools.
"""

import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relay_harness as rh  # noqa: E402
from relay_harness import check, check_eq, expect, log  # noqa: E402

sys.path.insert(0, os.path.join(rh.REPO, "scripts", "python"))
import mrelay_scapy  # noqa: E402

MAX_PAYLOAD = 700
F_RELAYED, F_RETRANSMIT, F_DUP = 0x01, 0x02, 0x01
GROUP, USER, TOPIC = 1, 2, 3
REASON = {n: i for i, n in enumerate(rh.codec.REJECT_REASON)}

# ------------------------------------------------------------- population
# name: (ip, udp port, mac, vlan)
ENDPOINTS = {
    "gw1": ("10.0.0.5", 7400, "02:00:00:00:00:05", 0),
    "gw2": ("10.0.0.6", 7401, "02:00:00:00:00:06", 100),
    "gw6": ("2001:db8::6", 7402, "02:00:00:00:00:07", 0),
}
# user: [(device, endpoint)]
DEVICES = {
    1001: [(1, "gw1"), (2, "gw2")],
    1002: [(1, "gw1"), (2, "gw6")],
    1003: [(7, "gw2")],
    1004: [(1, "gw1")],
    1005: [(3, "gw6"), (4, "gw1")],
    1006: [(1, "gw1")],
    1007: [(1, "gw2")],
}
DEVICES.update({2000 + i: [(i + 1, ("gw1", "gw2", "gw6")[i % 3])]
                for i in range(10)})
# group: (policy, {user: role})
GROUPS = {
    42: ("everyone", {1001: "admin", 1002: "member", 1003: "member",
                      1004: "read-only", 1005: "member",
                      1008: "member",     # a member without devices
                      **{2000 + i: "member" for i in range(10)}}),
    43: ("admins-post", {1001: "admin", 1007: "member"}),
    44: ("everyone", {1006: "member"}),   # its only member posts: 0 copies
}


def population_commands():
    cmds = []
    for name, (ip, port, mac, vlan) in ENDPOINTS.items():
        c = ["endpoint", "add", name, "ip", ip, "port", port, "mac", mac]
        if vlan:
            c += ["vlan", vlan]
        cmds.append(c)
    for user, devs in DEVICES.items():
        for dev, ep in devs:
            cmds.append(["device", "add", user, dev, "endpoint", ep])
    for gid, (policy, members) in GROUPS.items():
        cmds.append(["group", "add", gid, "policy", policy])
        for user, role in members.items():
            cmds.append(["group", "member", "add", gid, user, "role", role])
    return cmds


# Where gateways send from: endpoint name -> packet source
SRC = {name: dict(ip=ip, sport=port, mac=mac,
                  vlans=((0x8100, vlan),) if vlan else ())
       for name, (ip, port, mac, vlan) in ENDPOINTS.items()}
# a gateway behind QinQ (802.1ad outer 200, 802.1Q inner 100) that is no
# endpoint: only replies go back to it
SRC["gwq"] = dict(ip="10.0.0.8", sport=7405, mac="02:00:00:00:00:08",
                  vlans=((0x88A8, 200), (0x8100, 100)))


def devices_of(user):
    return [(user, d) for d, _ in DEVICES.get(user, [])]


# ------------------------------------------------------------------ model

class Model:
    """What the relay must answer, from docs/protocol.md: conversations,
    sequence numbers, dedup, recipients. Reasons are given by the test."""

    def __init__(self):
        self.seq = {}          # conversation -> last seq
        self.accepted = {}     # (user, device, msg_id, kind, dst) -> seq

    def conv(self, f):
        if f["dst_kind"] == GROUP:
            return ("g", f["dst_id"])
        return ("p",) + tuple(sorted((f["sender_user"], f["dst_id"])))

    def recipients(self, f):
        me = (f["sender_user"], f["sender_device"])
        if f["dst_kind"] == GROUP:
            users = list(GROUPS[f["dst_id"]][1])
        else:
            users = [f["dst_id"], f["sender_user"]]
        out = []
        for u in dict.fromkeys(users):
            out += [r for r in devices_of(u) if r != me]
        return out

    def msg(self, f):
        """-> (seq, duplicate, recipients)."""
        key = (f["sender_user"], f["sender_device"], f["client_msg_id"],
               f["dst_kind"], f["dst_id"])
        if key in self.accepted:
            return self.accepted[key], True, []
        c = self.conv(f)
        self.seq[c] = self.seq.get(c, 0) + 1
        self.accepted[key] = self.seq[c]
        return self.seq[c], False, self.recipients(f)


# ------------------------------------------------------------------ input

class Fixture:
    def __init__(self):
        self.frames = []        # raw input packets
        self.replies = []       # expected replies in order: dicts
        self.copies = {}        # msg key -> dict(seq, rcpts, frame)
        self.receipts = []      # expected receipt copies: (frame, rcpts)
        self.drops = {}         # drop counter -> expected count
        self.fanouts = []       # ncopies of each accepted MSG
        self.model = Model()
        self.rng = random.Random(4242)
        self.acks = self.dups = self.pongs = self.arp = 0
        self.rejects = {}
        self.frame_types = {}
        self.dgrams = 0

    def packet(self, frames, src="gw1", dflags=0, **kw):
        s = SRC[src]
        pkt = rh.udp_packet(rh.dgram(frames, dflags), s["ip"],
                            sport=s["sport"], src_mac=s["mac"],
                            vlans=s["vlans"], **kw)
        self.frames.append(pkt)
        self.dgrams += 1
        for f in frames:
            t = f["type"]
            self.frame_types[t] = self.frame_types.get(t, 0) + 1
        return pkt

    def reply_to(self, src, **kw):
        d = dict(src=src)
        d.update(kw)
        self.replies.append(d)

    def send_msg(self, f, src="gw1", want="ACK"):
        """One MSG in its own datagram."""
        self.packet([f], src)
        self.expect_msg(f, src, want)

    def expect_msg(self, f, src, want):
        if want != "ACK":
            self.reply_to(src, type="REJECT", reason=REASON[want], msg=f)
            self.rejects[want] = self.rejects.get(want, 0) + 1
            return
        seq, dup, rcpts = self.model.msg(f)
        self.acks += 1
        self.reply_to(src, type="ACK", seq=seq, dup=dup, msg=f)
        if dup:
            self.dups += 1
            return
        key = (f["sender_user"], f["sender_device"], f["client_msg_id"],
               f["dst_kind"], f["dst_id"])
        check(key not in self.copies, "fixture: %s twice" % (key,))
        self.copies[key] = dict(seq=seq, rcpts=rcpts, frame=f)
        self.fanouts.append(len(rcpts))

    def drop(self, name, n=1):
        self.drops[name] = self.drops.get(name, 0) + n

    def payload(self, n=None):
        if n is None:
            n = self.rng.randrange(0, 300)
        return bytes(self.rng.randrange(256) for _ in range(n))


def build(fx):
    m = rh.msg
    # the port's MAC, learnt from its ARP reply (checked in test_relay_hosts)
    fx.frames.append(arp_request("10.0.0.5", "02:00:00:00:00:05", rh.RELAY4))
    fx.arp += 1

    # accepted group messages from each kind of gateway
    fx.send_msg(m(1001, 1, 1, 42, payload=b"hello, group"), "gw1")
    fx.send_msg(m(1002, 2, 1, 42, payload=fx.payload(301)), "gw6")   # IPv6
    fx.send_msg(m(1003, 7, 1, 42, payload=fx.payload(0)), "gw2")     # VLAN
    fx.send_msg(m(2004, 5, 1, 42, payload=fx.payload(77)), "gw2")
    fx.send_msg(m(2005, 6, 1, 42, payload=fx.payload(33)), "gwq")   # QinQ

    # refusals, each with its reason
    fx.send_msg(m(1006, 1, 10, 42, payload=b"x"), "gw1", "NOT_MEMBER")
    fx.send_msg(m(1004, 1, 10, 42, payload=b"x"), "gw1", "NOT_ALLOWED")
    fx.send_msg(m(1007, 1, 10, 43, payload=b"x"), "gw2", "NOT_ALLOWED")
    fx.send_msg(m(1001, 1, 10, 777, payload=b"x"), "gw1", "UNKNOWN_GROUP")
    fx.send_msg(m(1001, 99, 10, 42, payload=b"x"), "gw1", "UNKNOWN_DEVICE")
    fx.send_msg(m(5555, 1, 10, 42, payload=b"x"), "gw1", "UNKNOWN_DEVICE")
    fx.send_msg(m(1001, 1, 10, 9999, USER, payload=b"x"), "gw1",
                "UNKNOWN_USER")
    fx.send_msg(m(1001, 1, 11, 42, payload=fx.payload(MAX_PAYLOAD + 1)),
                "gw1", "TOO_LARGE")
    fx.send_msg(m(1001, 1, 12, 0, TOPIC, subject=b"sensors.room1.temp",
                  payload=b"21.5"), "gw1", "NO_SUBSCRIBERS")
    fx.send_msg(m(1001, 1, 13, 42, payload=fx.payload(MAX_PAYLOAD)), "gw1")
    # admins-post by its admin; a group whose only member posts
    fx.send_msg(m(1001, 1, 14, 43, payload=b"admins only"), "gw1")
    fx.send_msg(m(1006, 1, 14, 44, payload=b"alone"), "gw1")

    # retransmits: DUPLICATE with the first seq, no delivery; the same id
    # from another device of the same user is another message
    fx.send_msg(m(1001, 1, 1, 42, payload=b"hello, group",
                  flags=F_RETRANSMIT), "gw1")
    fx.send_msg(m(1001, 1, 1, 42, payload=b"hello, group"), "gw1")
    fx.send_msg(m(1001, 2, 1, 42, payload=b"hello from 2",
                  flags=F_RETRANSMIT), "gw2")

    # direct chats: one sequence per pair of users, both directions
    fx.send_msg(m(1001, 1, 20, 1002, USER, payload=b"hi bob"), "gw1")
    fx.send_msg(m(1002, 1, 21, 1001, USER, payload=b"hi alice"), "gw1")
    fx.send_msg(m(1003, 7, 22, 1005, USER, payload=fx.payload(5)), "gw2")
    fx.send_msg(m(1007, 1, 23, 1006, USER, payload=b"one copy"), "gw2")
    fx.send_msg(m(1001, 2, 24, 1002, USER, payload=b"again"), "gw2")
    fx.send_msg(m(1002, 2, 21, 1001, USER, payload=b"dup id, other dev"),
                "gw6")
    fx.send_msg(m(1001, 1, 20, 1002, USER, payload=b"hi bob"), "gw1")  # dup

    # receipts: to every device of to_user, nobody else
    rc = dict(type="RECEIPT", flags=0, kind=2, dst_kind=GROUP,
              from_user=1002, from_device=1, to_user=1001, dst_id=42, seq=1)
    fx.packet([rc], "gw1")
    fx.receipts.append((rc, devices_of(1001)))
    rc2 = dict(rc, kind=1, dst_kind=USER, from_device=2, dst_id=1002)
    fx.packet([rc2], "gw6")
    fx.receipts.append((rc2, devices_of(1001)))
    rc3 = dict(rc, kind=1, from_user=1001, from_device=1, to_user=1005,
               seq=3)
    fx.packet([rc3], "gw1")
    fx.receipts.append((rc3, devices_of(1005)))
    fx.packet([dict(rc, to_user=9999)], "gw1")
    fx.drop("receipt_unknown_user")

    # PING -> PONG, over IPv4 and IPv6
    for src, tok in (("gw1", 0x70CEE00000000001), ("gw6", 2),
                     ("gw2", 2 ** 64 - 1), ("gwq", 3)):
        p = dict(type="PING", flags=0, token=tok,
                 sender_ts=1767225600123455789 + tok % 1000)
        fx.packet([p], src)
        fx.reply_to(src, type="PONG", ping=p)
        fx.pongs += 1

    # 8 MSG frames in one datagram: handled in order
    batch = [m(1005, 4, 100 + i, 42, payload=fx.payload(20 + i))
             for i in range(8)]
    fx.packet(batch, "gw1")
    for f in batch:
        fx.expect_msg(f, "gw1", "ACK")

    # frames only the relay sends, from a gateway: dropped and counted
    wrong = [dict(type="ACK", flags=0, dst_kind=1, sender_user=1001,
                  sender_device=1, client_msg_id=1, dst_id=42, seq=1,
                  relay_ts=5),
             dict(type="REJECT", flags=0, dst_kind=1, reason=1,
                  sender_user=1001, sender_device=1, client_msg_id=1,
                  dst_id=42),
             dict(type="PONG", flags=0, token=1, sender_ts=2, relay_ts=3),
             m(1001, 1, 300, 42, payload=b"stamped", flags=F_RELAYED,
               seq=7, rcpt_user=1002, rcpt_device=1, relay_ts=9),
             dict(rc, flags=F_RELAYED, to_device=1, relay_ts=9)]
    for f in wrong:
        fx.packet([f], "gw1")
    fx.packet(wrong, "gw2")
    fx.drop("frame_wrong_direction", 2 * len(wrong))
    # NAK: no history kept
    fx.packet([dict(type="NAK", flags=0, dst_kind=1, user=1002, device=1,
                    dst_id=42, from_seq=1, to_seq=2)], "gw1")
    fx.drop("nak_no_history")

    # a MSG still goes through after all that: seq continues
    fx.send_msg(m(1002, 1, 400, 42, payload=b"still here"), "gw1")

    malformed(fx)
    # and once more at the very end
    fx.send_msg(m(1001, 1, 500, 42, payload=b"the end"), "gw1")


VECTORS = ("dgram_truncated", "bad_magic", "bad_version",
           "dgram_reserved_flag", "hdr_len_short", "no_frames",
           "frame_truncated", "frame_len_zero", "count_mismatch_trailing",
           "count_mismatch_short", "frame_too_short", "frame_reserved_flag",
           "bad_dst_kind", "bad_subject_group", "bad_receipt_kind",
           "nak_range_reversed", "unknown_type_skipped")


def malformed(fx):
    with open(os.path.join(rh.REPO, "tests/vectors/vectors.json")) as f:
        vec = {v["name"]: v for v in json.load(f)["vectors"]}
    s = SRC["gw1"]
    for name in VECTORS:
        v = vec[name]
        e = v["expect"]
        fx.frames.append(rh.udp_packet(bytes.fromhex(v["udp_payload_hex"]),
                                       s["ip"], sport=s["sport"],
                                       src_mac=s["mac"]))
        if e["drop"]:
            fx.drop(e["drop"])
            continue
        fx.dgrams += 1
        for fr in e["frames"]:
            if "error" in fr:
                fx.drop(fr["error"])
            else:
                check_eq(fr["type"], "NAK", "vector %s: valid frame" % name)
                fx.frame_types["NAK"] = fx.frame_types.get("NAK", 0) + 1
                fx.drop("nak_no_history")
    # below the datagram
    good = rh.dgram([rh.msg(1001, 1, 600, 42, payload=b"never")])
    fx.frames.append(rh.udp_packet(good, s["ip"], sport=s["sport"],
                                   src_mac=s["mac"], bad_udp_csum=True))
    fx.drop("udp_bad_checksum")
    fx.frames.append(rh.udp_packet(good, s["ip"], sport=s["sport"],
                                   dport=7401, src_mac=s["mac"]))
    fx.drop("not_our_port")
    fx.frames.append(rh.udp_packet(good, s["ip"], "192.0.2.99",
                                   sport=s["sport"], src_mac=s["mac"]))
    fx.drop("not_our_address")
    bad = bytearray(rh.udp_packet(good, s["ip"], sport=s["sport"],
                                  src_mac=s["mac"]))
    bad[14 + 10] ^= 0xFF       # IPv4 header checksum
    fx.frames.append(bytes(bad))
    fx.drop("ip4_bad_checksum")


def arp_request(sip, smac, tip, vlans=()):
    import struct
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + rh.mac_bytes(smac) + \
        rh.ipaddress.ip_address(sip).packed + b"\0" * 6 + \
        rh.ipaddress.ip_address(tip).packed
    return rh.eth_frame(body + b"\0" * 18, 0x0806, smac, "ff:ff:ff:ff:ff:ff",
                        vlans)


# ------------------------------------------------------------------ checks

def check_reply_addr(p, src, port_mac, what):
    s = SRC[src]
    v6 = ":" in s["ip"]
    check_eq(p["dst_mac"], s["mac"], what + ": Ethernet destination")
    check_eq(p["src_mac"], port_mac, what + ": Ethernet source")
    check_eq(p["vlans"], list(s["vlans"]), what + ": VLAN tags")
    check_eq(p["ip"]["src"], rh.RELAY6 if v6 else rh.RELAY4,
             what + ": IP source")
    check_eq(p["ip"]["dst"], s["ip"], what + ": IP destination")
    check_eq((p["udp"]["sport"], p["udp"]["dport"]),
             (rh.RELAY_PORT, s["sport"]), what + ": UDP ports")


def check_copy_addr(p, user, dev, port_mac, what):
    ep = dict(DEVICES[user])[dev]
    ip, port, mac, vlan = ENDPOINTS[ep]
    check_eq(p["dst_mac"], mac, what + ": Ethernet destination")
    check_eq(p["src_mac"], port_mac, what + ": Ethernet source")
    check_eq(p["vlans"], [(0x8100, vlan)] if vlan else [],
             what + ": VLAN tags")
    check_eq(p["ip"]["src"], rh.RELAY6 if ":" in ip else rh.RELAY4,
             what + ": IP source")
    check_eq(p["ip"]["dst"], ip, what + ": IP destination")
    check_eq((p["udp"]["sport"], p["udp"]["dport"]), (rh.RELAY_PORT, port),
             what + ": UDP ports")
    return ep


def check_headers(p, what):
    ip = p["ip"]
    if ip["version"] == 4:
        check(ip["ihl"] == 20 and ip["hdr_ok"] and ip["frag"] & 0x3FFF == 0
              and ip["total_len"] == len(p["raw"]) - p["l3_off"],
              what + ": IPv4 header %s" % ip)
    else:
        check_eq(ip["payload_len"], len(p["raw"]) - p["l3_off"] - 40,
                 what + ": IPv6 payload length")
    check(p["udp"]["len_ok"] and p["udp"]["csum_ok"],
          what + ": UDP length/checksum %s" % {k: v for k, v in
                                                p["udp"].items()
                                                if k != "payload"})
    # and scapy, recomputing both checksums independently
    check(mrelay_scapy.checksums_ok(p["raw"]),
          what + ": scapy disagrees with the checksums")


def main():
    fx = Fixture()
    build(fx)
    relay = rh.Relay("fanout", limits=dict(max_payload=MAX_PAYLOAD))
    relay.populate(commands=population_commands())
    inp = os.path.join(relay.dir, "in.pcap")
    n_in = rh.write_pcap(inp, fx.frames)
    st, outs, (t0, t1) = relay.replay([inp], n_in)
    out = outs[0]
    lines = rh.check_mbufs_back(relay, 1)

    frames, other = rh.relay_packets(out)
    # the ARP reply gives the port's MAC
    arps = [p for p in other if "arp" in p]
    check_eq(len(arps), 1, "ARP replies")
    check_eq(len(other), 1, "packets other than mrelay datagrams")
    port_mac = arps[0]["arp"]["sha"]
    check_eq(len(frames), len(out) - 1, "one mrelay frame per packet")

    replies = [x for x in frames if x[2]["type"] in ("ACK", "REJECT", "PONG")]
    copies = [x for x in frames if x[2]["type"] == "MSG"]
    rcopies = [x for x in frames if x[2]["type"] == "RECEIPT"]
    check_eq(len(replies) + len(copies) + len(rcopies), len(frames),
             "frame types sent (ACK, REJECT, PONG, MSG, RECEIPT only)")

    for p, d, f in frames:
        what = "%s %s" % (f["type"], {k: v for k, v in f.items()
                                      if k not in ("payload_hex", "type")})
        check_eq(d["flags"], 1, what + ": datagram flags (FROM_RELAY)")
        check_eq(d["nframes"], 1, what + ": frames in the datagram")
        check_headers(p, what)
        check(t0 <= f.get("relay_ts", 0) <= t1,
              "%s: relay_ts %d outside the test's window %d..%d"
              % (what, f.get("relay_ts", 0), t0, t1))

    # replies: in input order, to the packet's source
    check_eq(len(replies), len(fx.replies), "ACK + REJECT + PONG packets")
    ack_ts = {}
    for i, ((p, d, f), want) in enumerate(zip(replies, fx.replies)):
        what = "reply %d (%s)" % (i, want["type"])
        check_eq(f["type"], want["type"], what + ": type")
        check_reply_addr(p, want["src"], port_mac, what)
        if want["type"] == "PONG":
            check_eq((f["flags"], f["token"], f["sender_ts"]),
                     (0, want["ping"]["token"], want["ping"]["sender_ts"]),
                     what + ": flags, token, sender_ts")
            continue
        m = want["msg"]
        got = (f["dst_kind"], f["sender_user"], f["sender_device"],
               f["client_msg_id"], f["dst_id"])
        check_eq(got, (m["dst_kind"], m["sender_user"], m["sender_device"],
                       m["client_msg_id"], m["dst_id"]),
                 what + ": copied fields")
        if want["type"] == "REJECT":
            check_eq((f["reason"], f["seq"], f["flags"]),
                     (want["reason"], 0, 0),
                     what + ": (reason, seq, flags) for %s" % (got,))
            continue
        check_eq((f["reason"], f["seq"], f["flags"]),
                 (0, want["seq"], F_DUP if want["dup"] else 0),
                 what + ": (reason, seq, flags) for %s" % (got,))
        key = got[1:4] + (got[0], got[4])
        if want["dup"]:
            check_eq(f["relay_ts"], ack_ts.get(key),
                     what + ": a DUPLICATE ACK carries the first relay_ts")
        else:
            ack_ts[key] = f["relay_ts"]

    # copies: exactly the expected recipients, once each
    got = {}
    last_seq = {}
    for p, d, f in copies:
        key = (f["sender_user"], f["sender_device"], f["client_msg_id"],
               f["dst_kind"], f["dst_id"])
        what = "copy of %s for (%d, %d)" % (key, f["rcpt_user"],
                                            f["rcpt_device"])
        check(key in fx.copies, what + ": no such accepted message")
        want = fx.copies[key]
        ep = check_copy_addr(p, f["rcpt_user"], f["rcpt_device"], port_mac,
                             what)
        exp = dict(want["frame"], flags=(want["frame"]["flags"] &
                                         ~F_RETRANSMIT) | F_RELAYED,
                   seq=want["seq"], relay_ts=ack_ts[key],
                   rcpt_user=f["rcpt_user"], rcpt_device=f["rcpt_device"])
        check_eq(p["udp"]["payload"].hex(), rh.dgram([exp], 1).hex(),
                 what + ": datagram bytes")
        got.setdefault(key, []).append((f["rcpt_user"], f["rcpt_device"]))
        # copies to one endpoint leave in sequence order per conversation
        ck = (ep, key[3], key[4] if key[3] == GROUP else
              tuple(sorted((key[0], key[4]))))
        check(want["seq"] >= last_seq.get(ck, 0),
              what + ": seq %d after %d to the same endpoint"
              % (want["seq"], last_seq.get(ck, 0)))
        last_seq[ck] = want["seq"]
    for key, want in fx.copies.items():
        g = got.get(key, [])
        check_eq(len(g), len(set(g)), "copies of %s: a recipient twice (%s)"
                 % (key, sorted(g)))
        check_eq(sorted(g), sorted(want["rcpts"]), "recipients of %s" % (key,))
        check((key[0], key[1]) not in g, "copy of %s to the sending device"
              % (key,))
    ncopies = sum(len(w["rcpts"]) for w in fx.copies.values())
    check_eq(len(copies), ncopies, "MSG copies in the capture")

    # sequence numbers: 1, 2, 3... per conversation, in input order
    by_conv = {}
    for w in fx.replies:
        if w["type"] == "ACK" and not w["dup"]:
            by_conv.setdefault(fx.model.conv(w["msg"]), []).append(w["seq"])
    for c, seqs in by_conv.items():
        check_eq(seqs, list(range(1, len(seqs) + 1)),
                 "sequence numbers of %s" % (c,))

    # receipt copies: every device of to_user, nobody else
    rgot = {}
    for p, d, f in rcopies:
        key = (f["kind"], f["dst_kind"], f["from_user"], f["from_device"],
               f["to_user"], f["dst_id"], f["seq"])
        what = "RECEIPT %s to device %d" % (key, f["to_device"])
        check_copy_addr(p, f["to_user"], f["to_device"], port_mac, what)
        check_eq(f["flags"], F_RELAYED, what + ": flags")
        src = [rc for rc, _ in fx.receipts
               if (rc["kind"], rc["dst_kind"], rc["from_user"],
                   rc["from_device"], rc["to_user"], rc["dst_id"],
                   rc["seq"]) == key]
        check(len(src) == 1, what + ": no such receipt sent")
        exp = dict(src[0], flags=F_RELAYED, to_device=f["to_device"],
                   relay_ts=f["relay_ts"])
        check_eq(p["udp"]["payload"].hex(), rh.dgram([exp], 1).hex(),
                 what + ": datagram bytes")
        rgot.setdefault(key, []).append((f["to_user"], f["to_device"]))
    check_eq(len(rgot), len(fx.receipts), "receipts routed")
    for rc, rcpts in fx.receipts:
        key = (rc["kind"], rc["dst_kind"], rc["from_user"],
               rc["from_device"], rc["to_user"], rc["dst_id"], rc["seq"])
        check_eq(sorted(rgot.get(key, [])), sorted(rcpts),
                 "receipt %s: its copies" % (key,))
    nrcopies = sum(len(r) for _, r in fx.receipts)

    # counters match the capture
    want = {
        "rx.pkts": n_in, "tx.pkts": len(out), "copies": ncopies,
        "acks": fx.acks, "acks.duplicate": fx.dups, "receipts": nrcopies,
        "pongs": fx.pongs, "arp.replies": fx.arp, "rx.dgrams": fx.dgrams,
        "frames.msg": fx.frame_types.get("MSG", 0),
        "frames.ack": fx.frame_types.get("ACK", 0),
        "frames.reject": fx.frame_types.get("REJECT", 0),
        "frames.receipt": fx.frame_types.get("RECEIPT", 0),
        "frames.nak": fx.frame_types.get("NAK", 0),
        "frames.ping": fx.frame_types.get("PING", 0),
        "frames.pong": fx.frame_types.get("PONG", 0),
        "worker0.mbufs.free": lines[0][2], "worker0.hdr_mbufs.free":
        lines[1][2],
    }
    for name in rh.codec.REJECT_REASON[1:]:
        want["reject." + name.lower()] = fx.rejects.get(name, 0)
    hist = dict.fromkeys(["fanout.0", "fanout.1", "fanout.2-7",
                          "fanout.8-63", "fanout.64-1023", "fanout.1k-64k",
                          "fanout.64k-1m", "fanout.1m+"], 0)
    for n in fx.fanouts:
        b = ("fanout.0" if n == 0 else "fanout.1" if n == 1 else
             "fanout.2-7" if n < 8 else "fanout.8-63" if n < 64 else
             "fanout.64-1023")
        hist[b] += 1
    want.update(hist)
    for k, v in st.items():
        if k.startswith("drop."):
            want.setdefault(k, fx.drops.get(k[5:], 0))
    for k in fx.drops:
        check("drop." + k in st, "no counter drop.%s in stats" % k)
    bad = {k: (st.get(k), v) for k, v in want.items() if st.get(k) != v}
    check(not bad, "stats differ from the capture, {name: (got, want)}: %s"
          % bad)

    # a reply's Ethernet source is the port's MAC, whatever the request's
    # Ethernet destination was (here broadcast): a separate short run
    bcast_reply_source(relay, port_mac)
    nzc = zero_copy_loopback()
    mtu_check()

    log("test_relay_fanout: %d packets in, %d out: %d ACK (%d duplicate), "
        "%d REJECT, %d PONG, %d copies of %d messages, %d receipt copies, "
        "%d drops counted; mbufs back %s; %d zero-copy copies (513-1380 "
        "B) looped back with valid checksums"
        % (n_in, len(out), fx.acks, fx.dups, sum(fx.rejects.values()),
           fx.pongs, ncopies, len(fx.copies), nrcopies,
           sum(fx.drops.values()),
           ", ".join("%d/%d" % (a, b) for _, a, b, _ in lines), nzc))


def zero_copy_loopback():
    """Copies of payloads over MR_COPY_THRESHOLD (512 B) on a port that
    takes chained mbufs (net_ring advertises MULTI_SEGS) are a header mbuf
    plus an indirect mbuf on the received packet. net_ring0 loops them back
    into the relay; the endpoints are the relay's own addresses, so each
    copy is parsed again: its UDP checksum verified over the chain
    (drop.udp_bad_checksum if wrong) and its datagram validated, then
    dropped as frame_wrong_direction (a RELAYED MSG)."""
    relay = rh.Relay("zerocopy")
    recs = ['{"kind":"endpoint","name":"gw1","ip":"10.0.0.5","port":7400,'
            '"vlan":0,"port_id":0,"mac":"02:00:00:00:00:05"}',
            '{"kind":"endpoint","name":"self","ip":"%s","port":7400,'
            '"vlan":0,"port_id":1,"mac":"02:00:00:00:09:01"}' % rh.RELAY4,
            '{"kind":"endpoint","name":"self6","ip":"%s","port":7400,'
            '"vlan":7,"port_id":1,"mac":"02:00:00:00:09:01"}' % rh.RELAY6,
            '{"kind":"group","id":77,"policy":"everyone","max_members":0}']
    recs += ['{"kind":"device","user":%d,"device":1,"endpoint":"%s"}'
             % (u, "gw1" if u == 1 else ("self", "self6")[u % 2])
             for u in range(1, 101)]
    recs += ['{"kind":"member","group":77,"user":%d,"role":"member"}' % u
             for u in range(1, 101)]
    relay.populate(records=recs)
    rng = random.Random(77)
    # over 512 B, and every copy within the ports' MTU of 1500 (an IPv6
    # copy of a 1380-byte payload is a 1500-byte IP packet)
    sizes = [513, 514, 700, 999, 1000, 1200, 1301, 1379, 1380, 1380]
    pk = [rh.udp_packet(rh.dgram([rh.msg(1, 1, i, 77, payload=bytes(
        rng.randrange(256) for _ in range(n)))]), "10.0.0.5",
        src_mac="02:00:00:00:00:05") for i, n in enumerate(sizes)]
    inp = os.path.join(relay.dir, "zc.pcap")
    rh.write_pcap(inp, pk)
    st, outs, _ = relay.replay([inp], len(pk), more_vdevs=["net_ring0"],
                               more_ports=["net_ring0"],
                               rx_key="port0.rx.pkts")
    rh.check_mbufs_back(relay, 1, "zero copy")
    n = 99 * len(pk)
    want = {"copies": n, "port1.tx.pkts": n, "port1.rx.pkts": n,
            "drop.frame_wrong_direction": n, "drop.udp_bad_checksum": 0,
            "rx.dgrams": len(pk) + n, "acks": len(pk)}
    for k, v in st.items():
        if k.startswith("drop."):
            want.setdefault(k, 0)
    bad = {k: (st.get(k), v) for k, v in want.items() if st.get(k) != v}
    check(not bad, "zero-copy loopback stats, {name: (got, want)}: %s" % bad)
    return n


def mtu_check():
    """Copies must fit the port's MTU (1500, the default; drop reason
    copy_too_large: "a copy would not fit the port's MTU or an mbuf"). An
    IPv4 gateway sends MSGs whose own IP packets are within 1500 bytes; a
    copy to an IPv6 endpoint is 20 bytes longer (IPv6 header 40, not 20)."""
    relay = rh.Relay("mtu")
    recs = ['{"kind":"endpoint","name":"gw1","ip":"10.0.0.5","port":7400,'
            '"vlan":0,"port_id":0,"mac":"02:00:00:00:00:05"}',
            '{"kind":"endpoint","name":"gw2","ip":"10.0.0.6","port":7401,'
            '"vlan":100,"port_id":0,"mac":"02:00:00:00:00:06"}',
            '{"kind":"endpoint","name":"gw6","ip":"2001:db8::6","port":7402,'
            '"vlan":0,"port_id":0,"mac":"02:00:00:00:00:07"}',
            '{"kind":"group","id":9,"policy":"everyone","max_members":0}']
    for u, ep in ((1, "gw1"), (2, "gw1"), (3, "gw2"), (4, "gw6")):
        recs.append('{"kind":"device","user":%d,"device":1,"endpoint":"%s"}'
                    % (u, ep))
        recs.append('{"kind":"member","group":9,"user":%d,"role":"member"}'
                    % u)
    relay.populate(records=recs)
    s = SRC["gw1"]
    sizes = (1380, 1400)        # IPv4 packets of 1480 and 1500 bytes
    pk = [rh.udp_packet(rh.dgram([rh.msg(1, 1, i + 1, 9,
                                         payload=b"m" * n)]),
                        s["ip"], sport=s["sport"], src_mac=s["mac"])
          for i, n in enumerate(sizes)]
    check_eq([len(p) - 14 for p in pk], [1480, 1500], "input IP lengths")
    inp = os.path.join(relay.dir, "mtu.pcap")
    rh.write_pcap(inp, pk)
    st, outs, _ = relay.replay([inp], len(pk))
    frames, _ = rh.relay_packets(outs[0])
    got = sorted((f["client_msg_id"], f["rcpt_user"],
                  len(p["raw"]) - p["l3_off"]) for p, _, f in frames
                 if f["type"] == "MSG")
    want = [(1, 2, 1480), (1, 3, 1480), (1, 4, 1500), (2, 2, 1500),
            (2, 3, 1500)]
    expect(got == want and st["drop.copy_too_large"] == 1,
           "copies (msg, user, IP length) on a port with MTU 1500: got %s, "
           "want %s (the 1520-byte IPv6 copy of msg 2 dropped as "
           "copy_too_large); drop.copy_too_large %d, want 1"
           % (got, want, st["drop.copy_too_large"]))


def bcast_reply_source(relay, port_mac):
    s = SRC["gw1"]
    pk = [rh.udp_packet(rh.dgram([dict(type="PING", flags=0, token=77,
                                       sender_ts=1)]),
                        s["ip"], sport=s["sport"], src_mac=s["mac"],
                        dst_mac="ff:ff:ff:ff:ff:ff"),
          rh.udp_packet(rh.dgram([rh.msg(1001, 1, 700, 42, payload=b"b")]),
                        s["ip"], sport=s["sport"], src_mac=s["mac"],
                        dst_mac="ff:ff:ff:ff:ff:ff")]
    inp = os.path.join(relay.dir, "bcast.pcap")
    rh.write_pcap(inp, pk)
    st, outs, _ = relay.replay([inp], len(pk))
    frames, _ = rh.relay_packets(outs[0])
    for p, d, f in frames:
        if f["type"] in ("PONG", "ACK"):
            expect(p["src_mac"] == port_mac,
                   "%s to a request sent to Ethernet broadcast: source MAC "
                   "%s, want the port's %s (a broadcast source MAC is "
                   "invalid)" % (f["type"], p["src_mac"], port_mac))
    check_eq(sorted(f["type"] for _, _, f in frames if f["type"] != "MSG"),
             ["ACK", "PONG"], "replies to broadcast-addressed requests")


if __name__ == "__main__":
    rh.run(main, "test_relay_fanout")
