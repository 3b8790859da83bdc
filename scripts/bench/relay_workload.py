# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Population and captures for scripts/bench-relay.sh.

    relay_workload.py population OUT.jsonl [--fanouts 1,8,64,1024]
    relay_workload.py capture OUT.pcap --fanout F --payload P [--count N]
    relay_workload.py udp OUT.pcap --size 100 [--count N] [--dst IP]

population: NB_EP endpoints on the sink port (static MACs, so no ARP), and
per fan-out F one group GROUP_BASE + F of F + 1 users with one device each:
whichever member sends, exactly F other devices get a copy.

capture: N group MSGs (one per UDP datagram) to the group of fan-out F, with
P payload bytes, sent round-robin by min(F + 1, 64) members, client message
ids 1..N (so N distinct dedup keys: with dedup_window 1024 and N >= 64k a
replay of the capture is never a duplicate). IPv4 and UDP checksums are
right. The packets are built once per sender and only the message id and
the UDP checksum (RFC 1624 incremental update) change per message, so 64k
packets take well under a second.

udp: plain UDP packets of SIZE bytes on the wire (Ethernet header included,
no FCS) for the dpdk-testpmd and ipv4_multicast references.

Standard library plus scripts/python/mrelay_codec.py; /usr/bin/python3.
"""
import argparse
import ipaddress
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "python"))
import mrelay_codec as codec  # noqa: E402

RELAY_IP = "192.0.2.10"
RELAY_PORT = 7400
RELAY_MAC = "02:70:63:61:70:00"   # net_pcap0's MAC (the pcap PMD default)
SINK_PORT_ID = 1                  # net_null0, created after net_pcap0
NB_EP = 64
GROUP_BASE = 1000
USER_BASE = 1000000               # user of member k of group F: F * BASE + k
DEVICE = 1
MAX_SENDERS = 64


def ep_name(i):
    return "bgw%02d" % i


def ep_ip(i):
    return "198.51.100.%d" % (i + 1)


def ep_mac(i):
    return "02:00:00:00:10:%02x" % i


def group_id(f):
    return GROUP_BASE + f


def user_id(f, k):
    return f * USER_BASE + k


def population(fanouts):
    """JSON lines (docs/control-api.md), in reference order."""
    out = []
    for i in range(NB_EP):
        out.append({"kind": "endpoint", "name": ep_name(i), "ip": ep_ip(i),
                    "port": RELAY_PORT, "vlan": 0, "port_id": SINK_PORT_ID,
                    "mac": ep_mac(i)})
    for f in fanouts:
        for k in range(f + 1):
            out.append({"kind": "device", "user": user_id(f, k),
                        "device": DEVICE, "endpoint": ep_name(k % NB_EP)})
    for f in fanouts:
        out.append({"kind": "group", "id": group_id(f), "policy": "everyone",
                    "max_members": 0})
    for f in fanouts:
        for k in range(f + 1):
            out.append({"kind": "member", "group": group_id(f),
                        "user": user_id(f, k), "role": "member"})
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in out)


# ------------------------------------------------------------------ packets

def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def csum_raw(data, start=0):
    """One's complement sum of data (16-bit big-endian words), unfolded."""
    if len(data) & 1:
        data += b"\0"
    return start + sum(struct.unpack(">%dH" % (len(data) // 2), data))


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def udp_packet(src_mac, dst_mac, src_ip, dst_ip, sport, dport, payload):
    """Ethernet/IPv4/UDP bytes and the raw UDP sum (before folding)."""
    src4 = ipaddress.IPv4Address(src_ip).packed
    dst4 = ipaddress.IPv4Address(dst_ip).packed
    ulen = 8 + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17,
                     0, src4, dst4)
    ip = ip[:10] + struct.pack(">H", ~fold(csum_raw(ip)) & 0xFFFF) + ip[12:]
    udp = struct.pack(">HHHH", sport, dport, ulen, 0)
    raw = csum_raw(src4 + dst4 + struct.pack(">HH", 17, ulen))
    raw = csum_raw(udp + payload, raw)
    cs = ~fold(raw) & 0xFFFF
    udp = udp[:6] + struct.pack(">H", cs or 0xFFFF)
    eth = mac_bytes(dst_mac) + mac_bytes(src_mac) + b"\x08\x00"
    return eth + ip + udp + payload, raw


def write_pcap(path, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            f.write(struct.pack("<IIII", i // 1000000, i % 1000000, len(p),
                                len(p)))
            f.write(p)


# Offset of client_msg_id in the Ethernet frame: 14 + 20 + 8 (UDP) +
# 8 (datagram header) + 24 (in the MSG frame). Even from the UDP header on,
# so it is whole 16-bit words of the checksum.
MSG_ID_OFF = 14 + 20 + 8 + 8 + 24
UDP_CSUM_OFF = 14 + 20 + 6


def capture(fanout, payload_len, count):
    nsend = min(fanout + 1, MAX_SENDERS)
    payload = (b"mrelay bench payload " * (payload_len // 21 + 1))[:payload_len]
    tmpl = []
    for k in range(nsend):
        ep = k % NB_EP
        dgram = codec.encode(0, [{
            "type": "MSG", "dst_kind": codec.DST_KIND["GROUP"],
            "sender_user": user_id(fanout, k), "sender_device": DEVICE,
            "client_msg_id": 0, "dst_id": group_id(fanout),
            "payload_hex": payload.hex()}])
        pkt, raw = udp_packet(ep_mac(ep), RELAY_MAC, ep_ip(ep), RELAY_IP,
                              40000 + k, RELAY_PORT, dgram)
        assert pkt[MSG_ID_OFF:MSG_ID_OFF + 8] == bytes(8)
        tmpl.append((pkt, raw))
    pkts = []
    for i in range(count):
        pkt, raw = tmpl[i % nsend]
        mid = struct.pack(">Q", i + 1)
        s = fold(raw + sum(struct.unpack(">4H", mid)))
        cs = struct.pack(">H", (~s & 0xFFFF) or 0xFFFF)
        pkts.append(pkt[:UDP_CSUM_OFF] + cs + pkt[UDP_CSUM_OFF + 2:MSG_ID_OFF] +
                    mid + pkt[MSG_ID_OFF + 8:])
    return pkts


def udp_capture(size, count, dst):
    pkts = []
    for i in range(count):
        pkt, _ = udp_packet("02:00:00:00:20:01", RELAY_MAC, "198.51.100.200",
                            dst, 1024 + i % 60000, 9, bytes(size - 42))
        pkts.append(pkt)
    return pkts


def self_check(pkts, fanout=None):
    """Decode a few packets with the project's codec and scapy."""
    import mrelay_scapy
    for i in (0, 1, len(pkts) - 1):
        assert mrelay_scapy.checksums_ok(pkts[i]), "bad checksum in packet %d" % i
        if fanout is not None:
            _, udp = mrelay_scapy.unwrap(pkts[i])
            d, frames = codec.decode(udp)
            assert d["drop"] is None and frames[0]["type"] == "MSG", frames
            assert frames[0]["client_msg_id"] == i + 1
            assert frames[0]["dst_id"] == group_id(fanout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("population")
    p.add_argument("out")
    p.add_argument("--fanouts", default="1,8,64,1024")
    c = sub.add_parser("capture")
    c.add_argument("out")
    c.add_argument("--fanout", type=int, required=True)
    c.add_argument("--payload", type=int, required=True)
    c.add_argument("--count", type=int, default=65536)
    c.add_argument("--no-check", action="store_true")
    u = sub.add_parser("udp")
    u.add_argument("out")
    u.add_argument("--size", type=int, default=100)
    u.add_argument("--count", type=int, default=1024)
    u.add_argument("--dst", default=RELAY_IP)
    a = ap.parse_args()
    if a.cmd == "population":
        with open(a.out, "w") as f:
            f.write(population([int(x) for x in a.fanouts.split(",")]))
    elif a.cmd == "capture":
        pkts = capture(a.fanout, a.payload, a.count)
        if not a.no_check:
            self_check(pkts, a.fanout)
        write_pcap(a.out, pkts)
    else:
        pkts = udp_capture(a.size, a.count, a.dst)
        self_check(pkts)
        write_pcap(a.out, pkts)


if __name__ == "__main__":
    main()
