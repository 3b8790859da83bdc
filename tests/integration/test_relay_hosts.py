#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""The relay as a host on its link: ARP, ICMP echo, IPv6 ND and echo, and
resolving endpoints that have no static MAC. One input capture (built with
scapy), one output capture, checked packet by packet:

- ARP request for 192.0.2.1 (untagged, VLAN 100, QinQ 200/100) -> ARP reply
  from the port's MAC with the same tags; ARP for another address ->
  nothing (drop.arp_unhandled);
- ICMP echo to 192.0.2.1 (untagged, VLAN) -> echo reply with the data
  echoed and valid IPv4 and ICMP checksums (recomputed by scapy); echo to
  another address -> nothing (drop.icmp_unhandled);
- IPv6 NS for 2001:db8::1 with a source link-layer option -> NA (solicited,
  override) with a target link-layer option holding the port's MAC and a
  valid checksum, also VLAN-tagged; NS with hop limit 64 or for another
  target -> nothing; ICMPv6 echo -> reply;
- endpoints without a static MAC (IPv4, IPv4 on VLAN 200, IPv6): a MSG to a
  group containing them sends one ARP request / NS each (neigh.solicits,
  drop.neigh_unresolved per copy; a second MSG right after sends no new
  request: one a second); the ARP requests' Ethernet padding is zero (an
  mbuf recycled from an earlier packet must not leak its bytes into a
  broadcast); after the ARP replies / NA in the input, the next MSG's
  copies go to the learnt MACs.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relay_harness as rh  # noqa: E402
from relay_harness import check, check_eq, expect, log  # noqa: E402

from scapy.layers.inet import ICMP, IP  # noqa: E402
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest,  # noqa
                                ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                                IPv6)
from scapy.layers.l2 import ARP, Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

GW_MAC = "02:00:00:00:00:05"
GW_IP = "10.0.0.5"
GW6 = "2001:db8::6"
LEARN = {"gwx": ("10.0.0.9", "02:00:00:00:00:09", 0),
         "gwv": ("10.0.0.10", "02:00:00:00:00:0a", 200),
         "gwx6": ("2001:db8::9", "02:00:00:00:00:0b", 0)}


def l2(vlans=(), dst=rh.PORT_MAC, src=GW_MAC):
    """Ether / Dot1Q... ; vlans = [(tpid, vid)] outer first."""
    p = Ether(dst=dst, src=src)
    if vlans:
        p.type = vlans[0][0]
    for i, (_, vid) in enumerate(vlans):
        q = Dot1Q(vlan=vid)
        if i + 1 < len(vlans):
            q.type = vlans[i + 1][0]
        p = p / q
    return p


def arp_req(tip, vlans=(), sip=GW_IP, smac=GW_MAC):
    return l2(vlans, "ff:ff:ff:ff:ff:ff", smac) / ARP(
        op=1, hwsrc=smac, psrc=sip, hwdst="00:00:00:00:00:00", pdst=tip)


def arp_rep(sip, smac, vlans=()):
    return l2(vlans, rh.PORT_MAC, smac) / ARP(
        op=2, hwsrc=smac, psrc=sip, hwdst=rh.PORT_MAC, pdst=rh.RELAY4)


def ns(target, vlans=(), hlim=255, src=GW6, smac=GW_MAC):
    snm = "ff02::1:ff" + "%02x:%02x%02x" % tuple(
        rh.ipaddress.ip_address(target).packed[13:16])
    return l2(vlans, "33:33:" + ":".join(
        "%02x" % b for b in rh.ipaddress.ip_address(snm).packed[12:]),
        smac) / IPv6(src=src, dst=snm, hlim=hlim) / ICMPv6ND_NS(
        tgt=target) / ICMPv6NDOptSrcLLAddr(lladdr=smac)


def na(src, mac):
    return l2((), rh.PORT_MAC, mac) / IPv6(src=src, dst=rh.RELAY6, hlim=255) \
        / ICMPv6ND_NA(tgt=src, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(
            lladdr=mac)


def population():
    cmds = [["endpoint", "add", "gw1", "ip", GW_IP, "port", 7400, "mac",
             GW_MAC]]
    for name, (ip, _, vlan) in LEARN.items():
        c = ["endpoint", "add", name, "ip", ip, "port", 7500]
        if vlan:
            c += ["vlan", vlan]
        cmds.append(c)
    cmds += [["device", "add", 1001, 1, "endpoint", "gw1"],
             ["device", "add", 3001, 1, "endpoint", "gwx"],
             ["device", "add", 3002, 1, "endpoint", "gwv"],
             ["device", "add", 3003, 1, "endpoint", "gwx6"],
             ["group", "add", 50]]
    cmds += [["group", "member", "add", 50, u] for u in (1001, 3001, 3002,
                                                           3003)]
    return cmds


def mrelay_msg(msg_id):
    return rh.udp_packet(rh.dgram([rh.msg(1001, 1, msg_id, 50,
                                          payload=b"m%d" % msg_id)]),
                         GW_IP, src_mac=GW_MAC)


def scapy_ok(raw):
    """Recompute every checksum with scapy and compare."""
    fields = ((IP, "chksum"), (ICMP, "chksum"), (ICMPv6ND_NA, "cksum"),
              (ICMPv6ND_NS, "cksum"), (ICMPv6EchoReply, "cksum"))
    p = Ether(raw)
    q = p.copy()
    for layer, f in fields:
        if layer in q:
            delattr(q[layer], f)
    q = Ether(bytes(q))
    for layer, f in fields:
        if layer in p and getattr(q[layer], f) != getattr(p[layer], f):
            return False
    return True


def main():
    q_in = [(0x88A8, 200), (0x8100, 100)]
    data = bytes(range(37))             # odd length
    inp = [
        arp_req(rh.RELAY4),                                    # 0 reply
        arp_req(rh.RELAY4, [(0x8100, 100)]),                   # 1 reply
        arp_req(rh.RELAY4, q_in),                              # 2 reply
        arp_req("192.0.2.99"),                                 # 3 nothing
        l2() / IP(src=GW_IP, dst=rh.RELAY4) / ICMP(id=0x1234, seq=1) /
        Raw(data),                                             # 4 reply
        l2([(0x8100, 100)]) / IP(src=GW_IP, dst=rh.RELAY4) /
        ICMP(id=7, seq=65535) / Raw(b"x" * 100),               # 5 reply
        l2() / IP(src=GW_IP, dst="192.0.2.99") / ICMP(),       # 6 nothing
        ns(rh.RELAY6),                                         # 7 NA
        ns(rh.RELAY6, hlim=64),                                # 8 nothing
        ns("2001:db8::99"),                                    # 9 nothing
        l2() / IPv6(src=GW6, dst=rh.RELAY6) /
        ICMPv6EchoRequest(id=9, seq=3, data=data),             # 10 reply
        ns(rh.RELAY6, [(0x8100, 100)]),                        # 11 NA
    ]
    inp = [bytes(p) for p in inp]
    n_hosts = len(inp)
    # fill recycled mbufs with a recognisable pattern first: echo requests,
    # whose replies hold their mbufs until the TX drain, so that many
    # mbufs carry it; a solicitation built in one must not send it
    fill = [bytes(l2() / IP(src=GW_IP, dst=rh.RELAY4) /
                  ICMP(id=0xA5A5, seq=i) / Raw(b"\xa5" * 64))
            for i in range(64)]
    inp += fill
    # endpoints without a MAC: solicit, learn, deliver
    inp += [mrelay_msg(1), mrelay_msg(2),
            bytes(arp_rep(LEARN["gwx"][0], LEARN["gwx"][1])),
            bytes(arp_rep(LEARN["gwv"][0], LEARN["gwv"][1],
                          [(0x8100, 200)])),
            bytes(na(LEARN["gwx6"][0], LEARN["gwx6"][1])),
            mrelay_msg(3)]

    # RX bursts of one packet: each packet, and the fan-outs it starts, is
    # done before the next is read, so "before the ARP reply" is well
    # defined (with bursts of 32 the whole capture is one burst, and the
    # fan-outs of a burst run after all of its packets).
    relay = rh.Relay("hosts", workers_extra=dict(burst=1))
    relay.populate(commands=population())
    path = os.path.join(relay.dir, "in.pcap")
    rh.write_pcap(path, inp)
    st, outs, _ = relay.replay([path], len(inp))
    rh.check_mbufs_back(relay, 1)
    out = [rh.parse_eth(fr) for fr in outs[0]]

    arp_replies = [p for p in out if "arp" in p and p["arp"]["op"] == 2]
    arp_reqs = [p for p in out if "arp" in p and p["arp"]["op"] == 1]
    icmp4 = [p for p in out if "icmp" in p and p["ip"]["version"] == 4]
    filled = [p for p in icmp4 if p["icmp"]["body"][:2] == b"\xa5\xa5"]
    icmp4 = [p for p in icmp4 if p not in filled]
    check_eq(len(filled), len(fill), "echo replies to the pattern fillers")
    icmp6 = [p for p in out if "icmp" in p and p["ip"]["version"] == 6]
    nas = [p for p in icmp6 if p["icmp"]["type"] == 136]
    nss = [p for p in icmp6 if p["icmp"]["type"] == 135]
    echo6 = [p for p in icmp6 if p["icmp"]["type"] == 129]
    udp = [p for p in out if "udp" in p]
    check_eq(len(out), len(arp_replies) + len(arp_reqs) + len(icmp4) +
             len(filled) +
             len(nas) + len(nss) + len(echo6) + len(udp),
             "output packets of known kinds")

    # ARP replies
    check_eq(len(arp_replies), 3, "ARP replies")
    port_mac = arp_replies[0]["src_mac"]
    for p, vl in zip(arp_replies, ([], [(0x8100, 100)], q_in)):
        a = p["arp"]
        what = "ARP reply tagged %s" % vl
        check_eq((p["dst_mac"], p["src_mac"], p["vlans"], p["ethertype"]),
                 (GW_MAC, port_mac, vl, 0x0806), what + ": Ethernet")
        check_eq((a["hrd"], a["pro"], a["hln"], a["pln"], a["op"], a["sha"],
                  a["spa"], a["tha"], a["tpa"]),
                 (1, 0x0800, 6, 4, 2, port_mac, rh.RELAY4, GW_MAC, GW_IP),
                 what + ": ARP fields")
    check(port_mac != "ff:ff:ff:ff:ff:ff" and
          not int(port_mac.split(":")[0], 16) & 1,
          "the port's MAC %s is unicast" % port_mac)

    # ICMP echo replies
    check_eq(len(icmp4), 2, "ICMP echo replies")
    for p, vl, (ident, seq, payload) in zip(
            icmp4, ([], [(0x8100, 100)]),
            ((0x1234, 1, data), (7, 65535, b"x" * 100))):
        what = "ICMP echo reply tagged %s" % vl
        ic = p["icmp"]
        check_eq((p["dst_mac"], p["src_mac"], p["vlans"]),
                 (GW_MAC, port_mac, vl), what + ": Ethernet")
        check_eq((p["ip"]["src"], p["ip"]["dst"], p["ip"]["hdr_ok"]),
                 (rh.RELAY4, GW_IP, True), what + ": IP")
        check_eq((ic["type"], ic["code"], ic["body"][:4],
                  ic["body"][4:4 + len(payload)], ic["csum_ok"]),
                 (0, 0, rh.struct.pack("!HH", ident, seq), payload, True),
                 what + ": ICMP")
        check(scapy_ok(p["raw"]), what + ": scapy disagrees with a checksum")

    # neighbour advertisements
    check_eq(len(nas), 2, "neighbour advertisements")
    for p, vl in zip(nas, ([], [(0x8100, 100)])):
        what = "NA tagged %s" % vl
        ic = p["icmp"]
        check_eq((p["dst_mac"], p["src_mac"], p["vlans"]),
                 (GW_MAC, port_mac, vl), what + ": Ethernet")
        check_eq((p["ip"]["src"], p["ip"]["dst"], p["ip"]["ttl"]),
                 (rh.RELAY6, GW6, 255), what + ": IPv6 (hop limit 255)")
        d = ic["data"]
        check_eq((ic["type"], ic["code"], d[4] & 0xE0, d[8:24],
                  d[24:26], rh.mac_str(d[26:32]), ic["csum_ok"]),
                 (136, 0, 0x60, rh.ipaddress.ip_address(rh.RELAY6).packed,
                  b"\x02\x01", port_mac, True),
                 what + ": type, code, flags S|O, target, TLLA, checksum")
        check(scapy_ok(p["raw"]), what + ": scapy disagrees with a checksum")

    # ICMPv6 echo reply
    check_eq(len(echo6), 1, "ICMPv6 echo replies")
    p = echo6[0]
    check_eq((p["dst_mac"], p["src_mac"], p["ip"]["src"], p["ip"]["dst"],
              p["icmp"]["code"], p["icmp"]["body"],
              p["icmp"]["csum_ok"]),
             (GW_MAC, port_mac, rh.RELAY6, GW6, 0,
              rh.struct.pack("!HH", 9, 3) + data, True), "ICMPv6 echo reply")
    check(scapy_ok(p["raw"]), "ICMPv6 echo reply: scapy disagrees")

    # solicitations for the endpoints without a MAC: one each
    check_eq(len(arp_reqs), 2, "ARP requests sent")
    for p, name in zip(sorted(arp_reqs, key=lambda p: p["arp"]["tpa"]),
                       ("gwv", "gwx")):
        ip, _, vlan = LEARN[name]
        a = p["arp"]
        what = "ARP request for %s" % ip
        check_eq((p["dst_mac"], p["src_mac"], p["vlans"], len(p["raw"]) >= 60),
                 ("ff:ff:ff:ff:ff:ff", port_mac,
                  [(0x8100, vlan)] if vlan else [], True),
                 what + ": Ethernet")
        check_eq((a["hrd"], a["pro"], a["hln"], a["pln"], a["op"], a["sha"],
                  a["spa"], a["tha"], a["tpa"]),
                 (1, 0x0800, 6, 4, 1, port_mac, rh.RELAY4,
                  "00:00:00:00:00:00", ip), what + ": ARP fields")
        pad = p["raw"][p["l3_off"] + 28:]
        expect(pad == bytes(len(pad)),
               what + ": Ethernet padding is not zero: %s (bytes of an "
               "earlier packet go out in a broadcast)" % pad.hex())
    check_eq(len(nss), 1, "neighbour solicitations sent")
    p = nss[0]
    d = p["icmp"]["data"]
    check_eq((p["dst_mac"], p["src_mac"], p["ip"]["src"], p["ip"]["dst"],
              p["ip"]["ttl"], p["icmp"]["code"], d[8:24], d[24:26],
              rh.mac_str(d[26:32]), p["icmp"]["csum_ok"]),
             ("33:33:ff:00:00:09", port_mac, rh.RELAY6, "ff02::1:ff00:9",
              255, 0, rh.ipaddress.ip_address("2001:db8::9").packed,
              b"\x01\x01", port_mac, True), "NS for 2001:db8::9")
    check(scapy_ok(p["raw"]), "NS: scapy disagrees with the checksum")

    # mrelay traffic: 3 ACKs, and only MSG 3 delivered, to the learnt MACs
    frames, _ = rh.relay_packets(outs[0])
    acks = [f for _, _, f in frames if f["type"] == "ACK"]
    check_eq([(f["client_msg_id"], f["seq"]) for f in acks],
             [(1, 1), (2, 2), (3, 3)], "ACKs (msg id, seq)")
    copies = [(p, f) for p, _, f in frames if f["type"] == "MSG"]
    got = sorted((f["rcpt_user"], f["seq"], p["dst_mac"], tuple(p["vlans"]),
                  p["ip"]["dst"]) for p, f in copies)
    want = sorted([(3001, 3, LEARN["gwx"][1], (), LEARN["gwx"][0]),
                   (3002, 3, LEARN["gwv"][1], ((0x8100, 200),),
                    LEARN["gwv"][0]),
                   (3003, 3, LEARN["gwx6"][1], (), LEARN["gwx6"][0])])
    check_eq(got, want, "copies after resolution (user, seq, MAC, VLAN, IP)")
    for p, f in copies:
        check(p["udp"]["csum_ok"] and p["ip"]["hdr_ok"],
              "copy for %d: checksums" % f["rcpt_user"])

    want_st = {"arp.replies": 3, "echo.replies": 3 + len(fill),
               "nd.replies": 2,
               "neigh.solicits": 3, "drop.neigh_unresolved": 6,
               "drop.arp_unhandled": 1, "drop.icmp_unhandled": 3,
               "copies": 3, "acks": 3, "rx.pkts": len(inp),
               "tx.pkts": len(out)}
    for k, v in st.items():
        if k.startswith("drop."):
            want_st.setdefault(k, 0)
    bad = {k: (st.get(k), v) for k, v in want_st.items() if st.get(k) != v}
    check(not bad, "stats, {name: (got, want)}: %s" % bad)
    log("test_relay_hosts: %d host packets + %d other packets in, %d out: "
        "3 ARP replies, 3 echo replies, 2 NA, 2 ARP requests + 1 NS for "
        "unresolved endpoints, 3 copies to learnt MACs; port MAC %s"
        % (n_hosts, len(inp) - n_hosts, len(out), port_mac))


if __name__ == "__main__":
    rh.run(main, "test_relay_hosts")
