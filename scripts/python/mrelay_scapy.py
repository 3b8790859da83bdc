# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Ethernet/[VLAN]/IP/UDP around mrelay datagrams, with scapy.

scapy is imported on first use, so importing this module costs nothing.
Run with /usr/bin/python3 (Debian's python3-scapy).

An encap is the dict tests/vectors/vectors.json uses:
    {"ip_version": 4 or 6, "vlans": [{"tpid": 0x88a8, "tci": 100}, ...],
     "src_mac", "dst_mac", "src", "dst", "sport", "dport", "ttl"}
Missing keys take the values of DEFAULT_ENCAP (IPv6 addresses if
ip_version is 6). vlans lists the outer tag first.
"""
DEFAULT_ENCAP = {
    "ip_version": 4, "vlans": [],
    "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:00:02",
    "src": "192.0.2.1", "dst": "192.0.2.10",
    "sport": 40000, "dport": 7400, "ttl": 64,
}
DEFAULT_IP6 = {"src": "2001:db8::1", "dst": "2001:db8::10"}


def _encap(encap):
    e = dict(DEFAULT_ENCAP)
    if (encap or {}).get("ip_version") == 6:
        e.update(DEFAULT_IP6)
    e.update(encap or {})
    return e


def wrap(udp_payload, encap=None):
    """Return a scapy packet carrying udp_payload (bytes) as described."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Dot1Q, Ether
    e = _encap(encap)
    layers = [Ether(src=e["src_mac"], dst=e["dst_mac"])]
    for tag in e["vlans"]:
        layers[-1].type = tag["tpid"]
        tci = tag["tci"]
        layers.append(Dot1Q(prio=tci >> 13, id=(tci >> 12) & 1,
                            vlan=tci & 0xFFF))
    if e["ip_version"] == 4:
        layers[-1].type = 0x0800
        layers.append(IP(src=e["src"], dst=e["dst"], ttl=e["ttl"]))
    else:
        layers[-1].type = 0x86DD
        layers.append(IPv6(src=e["src"], dst=e["dst"], hlim=e["ttl"]))
    layers.append(UDP(sport=e["sport"], dport=e["dport"]))
    pkt = layers[0]
    for layer in layers[1:]:
        pkt = pkt / layer
    return pkt / bytes(udp_payload)


def unwrap(pkt):
    """Return (encap, udp_payload) of a packet (scapy packet or bytes).

    The inverse of wrap() for the fields an encap holds; raises ValueError
    when the packet is not Ethernet/[VLAN]/IP/UDP.
    """
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Dot1Q, Ether
    if isinstance(pkt, (bytes, bytearray)):
        pkt = Ether(bytes(pkt))
    e = {"vlans": [], "src_mac": pkt[Ether].src, "dst_mac": pkt[Ether].dst}
    layer, tpid = pkt[Ether].payload, pkt[Ether].type
    while isinstance(layer, Dot1Q):
        tci = layer.prio << 13 | layer.id << 12 | layer.vlan
        e["vlans"].append({"tpid": tpid, "tci": tci})
        tpid, layer = layer.type, layer.payload
    if isinstance(layer, IP):
        e.update(ip_version=4, ttl=layer.ttl)
    elif isinstance(layer, IPv6):
        e.update(ip_version=6, ttl=layer.hlim)
    else:
        raise ValueError("not IPv4/IPv6 after Ethernet and VLAN tags")
    e.update(src=layer.src, dst=layer.dst)
    udp = layer.payload
    if not isinstance(udp, UDP):
        raise ValueError("not UDP")
    e.update(sport=udp.sport, dport=udp.dport)
    return e, bytes(udp.payload)


def checksums_ok(pkt):
    """True if the IPv4 header and UDP checksums of pkt are right."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    if isinstance(pkt, (bytes, bytearray)):
        pkt = Ether(bytes(pkt))
    fixed = pkt.copy()
    if IP in fixed:
        del fixed[IP].chksum
    del fixed[UDP].chksum
    fixed = Ether(bytes(fixed))
    ok = fixed[UDP].chksum == pkt[UDP].chksum
    if IP in pkt:
        ok = ok and fixed[IP].chksum == pkt[IP].chksum
    return ok


def write_pcap(path, pkts):
    """Write scapy packets (or raw Ethernet bytes) to a pcap file."""
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcap
    wrpcap(path, [Ether(p) if isinstance(p, bytes) else p for p in pkts])
