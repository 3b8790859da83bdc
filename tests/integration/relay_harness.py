# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Helper of the dataplane integration tests (tests/integration/test_relay_*).

Builds on mrelayd_harness.py (the control-plane tests' helper: check, run,
tmpdir, mrelayctl results) and adds what packet tests need:

- Relay: one state directory and control socket used by several mrelayd
  runs with different EAL devices. populate() loads the routing state with a
  first run on a net_null sink (so that no packet arrives before the state
  is complete); start() runs mrelayd on any --vdev list with its own
  --file-prefix, --in-memory and --no-pci; replay() runs it on net_pcap
  captures, waits until every input packet was received and TX went quiet,
  stops it with SIGTERM (the pcap PMD writes its files on close) and
  returns the output packets.
- A pcap reader and writer (plain Python, fast) that insists on whole
  records, and a raw parser of Ethernet/VLAN/IPv4/IPv6/UDP/ARP/ICMP.
- mrelay frame helpers on top of scripts/python/mrelay_codec.py.

Every mrelayd started here is killed when the test ends (also on an
exception or SIGTERM), and its /var/run/dpdk/PREFIX removed.
Binaries: $MRELAYD and $MRELAYCTL (meson sets them to its build dir), else
build/ under the repository. Run with /usr/bin/python3 (Debian's scapy).
"""

import ipaddress
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mrelayd_harness as h  # noqa: E402
from mrelayd_harness import check, check_eq, expect, log  # noqa: E402,F401

REPO = h.REPO
sys.path.insert(0, os.path.join(REPO, "scripts", "python"))
import mrelay_codec as codec  # noqa: E402

RELAY4 = "192.0.2.1"
RELAY6 = "2001:db8::1"
RELAY_PORT = 7400
# net_pcap0's own MAC (the pcap PMD cannot set another one). Input frames
# are sent to it; tests learn the MAC from an ARP reply and compare.
PORT_MAC = "02:70:63:61:70:00"

RUNTIME_DIR = "/var/run/dpdk"
MBUF_RE = re.compile(r"worker (\d+): (\d+) of (\d+) mbufs back in (\S+)")

_relays = []
_seq = [0]


def mrelayd():
    return os.environ.get("MRELAYD", h.MRELAYD)


def mrelayctl():
    return os.environ.get("MRELAYCTL", h.MRELAYCTL)


# ------------------------------------------------------------------ running

def run(main, name):
    """Run main() like mrelayd_harness.run, killing our daemons first."""
    def wrapped():
        try:
            main()
        finally:
            for r in list(_relays):
                r.kill()
    h.run(wrapped, name)


# ------------------------------------------------------------------- config

def config_text(port_names, state_dir, sock, lcores=(1,), ipv4=(RELAY4,),
                ipv6=(RELAY6,), udp_ports=(RELAY_PORT,), mbufs=4095,
                hdr_mbufs=4095, cache=64, mbuf_size=None, limits=None,
                port_mac=None, workers_extra=None, log_level="info"):
    lines = ["# written by tests/integration/relay_harness.py", "ports:"]
    for i, name in enumerate(port_names):
        opts = {}
        if isinstance(name, tuple):     # (name, {key: value})
            name, opts = name
        lines.append("  - name: %s" % name)
        for k, v in opts.items():
            lines.append("    %s: %s" % (k, v))
        if port_mac and i == 0:
            lines.append('    mac: "%s"' % port_mac)
    lines.append("relay:")
    lines.append("  ipv4: [%s]" % ", ".join(ipv4))
    lines.append("  ipv6: [%s]" % ", ".join('"%s"' % a for a in ipv6))
    lines.append("  udp_ports: [%s]" % ", ".join(str(p) for p in udp_ports))
    lines.append("workers:")
    lines.append("  lcores: [%s]" % ", ".join(str(c) for c in lcores))
    for k, v in (workers_extra or {}).items():
        lines.append("  %s: %s" % (k, v))
    lines.append("mempool:")
    lines.append("  mbufs: %d" % mbufs)
    lines.append("  hdr_mbufs: %d" % hdr_mbufs)
    lines.append("  cache: %d" % cache)
    if mbuf_size:
        lines.append("  mbuf_size: %d" % mbuf_size)
    lines.append("state_dir: %s" % state_dir)
    lines.append("control:")
    lines.append("  socket: %s" % sock)
    lim = dict(max_endpoints=64, max_users=4096, max_devices_per_user=8,
               max_groups=256, max_group_members=4096, max_memberships=65536,
               max_payload=9000, dedup_window=65536, max_conversations=65536,
               max_subscriptions=64)
    lim.update(limits or {})
    lines.append("limits:")
    lines += ["  %s: %d" % (k, v) for k, v in lim.items()]
    lines.append("log:")
    lines.append("  level: %s" % log_level)
    return "\n".join(lines) + "\n"


class Relay:
    """A state directory and a control socket, and mrelayd runs on them."""

    def __init__(self, tag, **cfg):
        self.dir = h.tmpdir(tag)
        self.tag = tag
        self.state_dir = os.path.join(self.dir, "state")
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.cfg = dict(cfg)
        self.proc = None
        self.logf = None
        self.logpath = None
        self.runs = 0
        self.prefix = None

    # -- process
    def write_config(self, port_names, **over):
        c = dict(self.cfg)
        c.update(over)
        path = os.path.join(self.dir, "mrelayd.%d.yaml" % (self.runs + 1))
        with open(path, "w") as f:
            f.write(config_text(port_names, self.state_dir, self.sock, **c))
        return path

    def start(self, vdevs, port_names, lcores_arg=("-l", "0-1"),
              extra_eal=(), wait=True, timeout=60, **over):
        """Start mrelayd on the --vdev strings vdevs; port_names are the
        ethdev names for the configuration."""
        check(self.proc is None or self.proc.poll() is not None,
              "start: mrelayd already running")
        cfgpath = self.write_config(port_names, **over)
        self.runs += 1
        _seq[0] += 1
        self.prefix = "mrdp%d_%d_%s" % (os.getpid(), _seq[0], self.tag)
        self.logpath = os.path.join(self.dir, "mrelayd.%d.log" % self.runs)
        self.logf = open(self.logpath, "wb")
        args = [mrelayd()] + list(lcores_arg) + [
            "--file-prefix", self.prefix, "--in-memory", "--no-pci"]
        for v in vdevs:
            args += ["--vdev", v]
        args += list(extra_eal) + ["--", "--config", cfgpath]
        self.args = args
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                     stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        _relays.append(self)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=60):
        deadline = self.t_start + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise h.TestFailure(
                    "mrelayd exited with %d before its socket was ready "
                    "(%s):\n%s" % (self.proc.returncode, " ".join(self.args),
                                   self.log()[-3000:]))
            try:
                h.RawClient(self.sock, timeout=2).close()
                return time.monotonic() - self.t_start
            except (OSError, h.ProtocolError):
                time.sleep(0.02)
        raise h.TestFailure("mrelayd socket not ready after %d s:\n%s"
                            % (timeout, self.log()[-3000:]))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Send sig, wait for the exit; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._closed()
            raise h.TestFailure("mrelayd did not exit within %d s of signal "
                                "%d" % (timeout, sig))
        self._closed()
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self._closed()

    def _closed(self):
        if self.prefix:
            shutil.rmtree(os.path.join(RUNTIME_DIR, self.prefix),
                          ignore_errors=True)
        if self.logf is not None:
            self.logf.close()
            self.logf = None
        if self in _relays:
            _relays.remove(self)

    # the same log files, named the same way, as mrelayd_harness.Daemon
    log = h.Daemon.log

    # -- control
    def ctl(self, *args, json_out=False, timeout=600):
        argv = [mrelayctl(), "-s", self.sock]
        if json_out:
            argv.append("--json")
        argv += [str(a) for a in args]
        p = subprocess.run(argv, capture_output=True, timeout=timeout)
        return h.Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                        p.stderr.decode("utf-8", "replace"),
                        [str(a) for a in args])

    def ok(self, *args, **kw):
        r = self.ctl(*args, **kw)
        check(r.rc == 0, "expected success: %r" % r)
        return r.out

    def json(self, *args):
        r = self.ctl(*args, json_out=True)
        check(r.rc == 0, "expected success: %r" % r)
        return r.json()

    def stats(self):
        return self.json("stats")

    def import_lines(self, lines, name="import.jsonl"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            for l in lines:
                f.write(l if isinstance(l, str) else json.dumps(l))
                f.write("\n")
        return self.ok("import", path)

    # -- phases
    def populate(self, commands=(), records=(), **over):
        """Load the state with mrelayctl commands (lists of words) and
        import records (dicts or JSON lines), on a net_null sink run, then
        stop it cleanly."""
        self.start(["net_null0,no-rx=1"], ["net_null0"], **over)
        for c in commands:
            self.ok(*c)
        if records:
            self.import_lines(records)
        rc = self.stop()
        check_eq(rc, 0, "exit status of the populating mrelayd")

    def replay(self, rx, n_in, tx_names=None, settle=0.5, timeout=120,
               before_stop=None, more_vdevs=(), more_ports=(), rx_key=None,
               port0_opts=None, **start_kw):
        """Run mrelayd on one net_pcap port reading the captures rx (a
        list: one RX queue each) and writing one capture per TX queue.
        Waits for n_in received packets and quiet TX, takes the stats,
        calls before_stop(self, stats) if given, stops with SIGTERM.
        Returns (stats, [packets of each TX capture], wall-clock ns window
        (start, end))."""
        nq = len(rx)
        if tx_names is None:
            tx_names = ["out%d.pcap" % i for i in range(nq)]
        tx = [os.path.join(self.dir, "r%d_%s" % (self.runs + 1, n))
              for n in tx_names]
        for p in tx:
            if os.path.exists(p):
                os.unlink(p)
        vdev = "net_pcap0," + ",".join(
            ["rx_pcap=%s" % p for p in rx] + ["tx_pcap=%s" % p for p in tx])
        t0 = time.time_ns()
        port0 = ("net_pcap0", port0_opts) if port0_opts else "net_pcap0"
        self.start([vdev] + list(more_vdevs),
                   [port0] + list(more_ports), **start_kw)
        st = self.wait_quiet(n_in, settle=settle, timeout=timeout,
                             rx_key=rx_key)
        if before_stop is not None:
            before_stop(self, st)
        rc = self.stop()
        t1 = time.time_ns()
        check_eq(rc, 0, "exit status of mrelayd after SIGTERM")
        outs = [read_pcap(p) for p in tx]
        return st, outs, (t0, t1)

    def wait_quiet(self, n_in, settle=0.5, timeout=120, rx_key=None,
                   on_poll=None):
        """Wait until the input counter rx_key (default rx.pkts) is n_in and
        neither rx.pkts nor tx.pkts moved for settle seconds; returns the
        last stats. on_poll(stats, seconds the call took) sees each poll."""
        rx_key = rx_key or "rx.pkts"
        deadline = time.monotonic() + timeout
        last, since = None, None
        while True:
            t = time.monotonic()
            st = self.stats()
            now = time.monotonic()
            if on_poll is not None:
                on_poll(st, now - t)
            check(st[rx_key] <= n_in, "received %d packets (%s), the input "
                  "has %d" % (st[rx_key], rx_key, n_in))
            if st[rx_key] == n_in:
                cur = (st["rx.pkts"], st["tx.pkts"])
                if cur != last:
                    last, since = cur, now
                elif now - since >= settle:
                    return st
            if now > deadline:
                raise h.TestFailure("after %d s: %s %d of %d, tx.pkts %d"
                                    % (timeout, rx_key, st[rx_key], n_in,
                                       st["tx.pkts"]))
            time.sleep(0.05)

    def mbuf_lines(self, run=None):
        """[(worker, avail, size, pool)] from the shutdown log."""
        return [(int(a), int(b), int(c), d)
                for a, b, c, d in MBUF_RE.findall(self.log(run))]


def check_mbufs_back(relay, nb_workers, what="shutdown"):
    """The shutdown log says every mbuf is back in both pools of every
    worker."""
    lines = relay.mbuf_lines()
    check_eq(len(lines), 2 * nb_workers,
             "%s: 'mbufs back' log lines (%s)" % (what, lines))
    for w, avail, size, pool in lines:
        expect(avail == size, "%s: worker %d: %d of %d mbufs back in %s"
               % (what, w, avail, size, pool))
    return lines


# --------------------------------------------------------------------- pcap

PCAP_HDR = struct.Struct("<IHHiIII")
PCAP_REC = struct.Struct("<IIII")


def write_pcap(path, frames, t0=1767225600):
    """Write raw Ethernet frames (bytes) as a microsecond pcap."""
    with open(path, "wb") as f:
        f.write(PCAP_HDR.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            fr = bytes(fr)
            f.write(PCAP_REC.pack(t0 + i // 1000000, i % 1000000, len(fr),
                                  len(fr)))
            f.write(fr)
    return len(frames)


def read_pcap(path):
    """Raw frames of a pcap; every record must be whole (caplen == len)."""
    check(os.path.exists(path), "no capture %s" % path)
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= PCAP_HDR.size, "%s: %d bytes, no pcap header"
          % (path, len(data)))
    magic = struct.unpack_from("<I", data)[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        raise h.TestFailure("%s: not a pcap (magic %08x)" % (path, magic))
    linktype = struct.unpack_from(e + "I", data, 20)[0]
    check_eq(linktype, 1, "%s: link type" % path)
    off, out = PCAP_HDR.size, []
    while off < len(data):
        check(off + 16 <= len(data), "%s: record header cut at %d"
              % (path, off))
        _, _, caplen, wirelen = struct.unpack_from(e + "IIII", data, off)
        off += 16
        check(caplen == wirelen, "%s: record %d is cut: %d of %d bytes"
              % (path, len(out), caplen, wirelen))
        check(off + caplen <= len(data), "%s: record %d runs past the file"
              % (path, len(out)))
        out.append(data[off:off + caplen])
        off += caplen
    return out


# ------------------------------------------------------------------ packets

def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def csum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def eth_frame(payload_l3, ethertype, src_mac, dst_mac=PORT_MAC, vlans=()):
    """Ethernet header, 802.1Q tags (outer first, (tpid, tci)), payload."""
    hdr = mac_bytes(dst_mac) + mac_bytes(src_mac)
    tpids = [t for t, _ in vlans]
    types = tpids + [ethertype]
    hdr += struct.pack("!H", types[0])
    for i, (_, tci) in enumerate(vlans):
        hdr += struct.pack("!HH", tci, types[i + 1])
    return hdr + payload_l3


def udp_packet(payload, src, dst=None, sport=RELAY_PORT, dport=RELAY_PORT,
               src_mac="02:00:00:00:00:05", dst_mac=PORT_MAC, vlans=(),
               ttl=64, bad_udp_csum=False):
    """Ethernet/[VLAN]/IPv4 or IPv6/UDP around payload with right
    checksums (plain Python: fast enough for thousands of packets)."""
    a = ipaddress.ip_address(src)
    if dst is None:
        dst = RELAY4 if a.version == 4 else RELAY6
    b = ipaddress.ip_address(dst)
    ulen = 8 + len(payload)
    if a.version == 4:
        phdr = a.packed + b.packed + struct.pack("!BBH", 0, 17, ulen)
    else:
        phdr = a.packed + b.packed + struct.pack("!IxxxB", ulen, 17)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = (~csum(phdr + udp)) & 0xFFFF
    if c == 0:
        c = 0xFFFF
    if bad_udp_csum:
        c ^= 0x5555
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    if a.version == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, ttl, 17,
                         0, a.packed, b.packed)
        ip = ip[:10] + struct.pack("!H", (~csum(ip)) & 0xFFFF) + ip[12:]
        return eth_frame(ip + udp, 0x0800, src_mac, dst_mac, vlans)
    ip = struct.pack("!IHBB16s16s", 6 << 28, ulen, 17, ttl, a.packed,
                     b.packed)
    return eth_frame(ip + udp, 0x86DD, src_mac, dst_mac, vlans)


def parse_eth(fr):
    """Raw parse of an output frame: dict with dst_mac, src_mac, vlans
    [(tpid, tci)], ethertype, and per protocol: ip (version, src, dst, ttl,
    proto, ihl, total_len/payload_len, hdr bytes), udp (sport, dport, len,
    csum, payload) or arp / icmp fields. Raises TestFailure on a packet cut
    short."""
    p = {"raw": fr, "dst_mac": mac_str(fr[0:6]), "src_mac": mac_str(fr[6:12]),
         "vlans": []}
    off = 12
    et = struct.unpack_from("!H", fr, off)[0]
    while et in (0x8100, 0x88A8):
        tci, nxt = struct.unpack_from("!HH", fr, off + 2)
        p["vlans"].append((et, tci))
        off += 4
        et = nxt
    off += 2
    p["ethertype"] = et
    p["l3_off"] = off
    if et == 0x0806:
        (hrd, pro, hln, pln, op) = struct.unpack_from("!HHBBH", fr, off)
        p["arp"] = dict(hrd=hrd, pro=pro, hln=hln, pln=pln, op=op,
                        sha=mac_str(fr[off + 8:off + 14]),
                        spa=str(ipaddress.ip_address(fr[off + 14:off + 18])),
                        tha=mac_str(fr[off + 18:off + 24]),
                        tpa=str(ipaddress.ip_address(fr[off + 24:off + 28])))
        return p
    if et == 0x0800:
        vihl = fr[off]
        ihl = (vihl & 15) * 4
        tot, = struct.unpack_from("!H", fr, off + 2)
        check(len(fr) >= off + tot, "IPv4 packet cut short")
        p["ip"] = dict(version=vihl >> 4, ihl=ihl, total_len=tot,
                       ttl=fr[off + 8], proto=fr[off + 9],
                       frag=struct.unpack_from("!H", fr, off + 6)[0],
                       src=str(ipaddress.ip_address(fr[off + 12:off + 16])),
                       dst=str(ipaddress.ip_address(fr[off + 16:off + 20])),
                       hdr_ok=csum(fr[off:off + ihl]) == 0xFFFF)
        l4 = off + ihl
        end = off + tot
        phdr = fr[off + 12:off + 20] + struct.pack("!BBH", 0, p["ip"]["proto"],
                                                   end - l4)
    elif et == 0x86DD:
        plen, nh, hl = struct.unpack_from("!HBB", fr, off + 4)
        check(len(fr) >= off + 40 + plen, "IPv6 packet cut short")
        p["ip"] = dict(version=fr[off] >> 4, payload_len=plen, proto=nh,
                       ttl=hl,
                       src=str(ipaddress.ip_address(fr[off + 8:off + 24])),
                       dst=str(ipaddress.ip_address(fr[off + 24:off + 40])),
                       hdr_ok=True)
        l4 = off + 40
        end = l4 + plen
        phdr = fr[off + 8:off + 40] + struct.pack("!IxxxB", plen, nh)
    else:
        return p
    p["l4_off"] = l4
    proto = p["ip"]["proto"]
    seg = fr[l4:end]
    if proto == 17:
        sport, dport, ulen, c = struct.unpack_from("!HHHH", seg)
        p["udp"] = dict(sport=sport, dport=dport, len=ulen, csum=c,
                        payload=seg[8:ulen],
                        len_ok=ulen == len(seg),
                        csum_ok=c != 0 and csum(phdr + seg) == 0xFFFF)
    elif proto in (1, 58):
        p["icmp"] = dict(type=seg[0], code=seg[1], body=seg[4:], data=seg,
                         csum_ok=csum((phdr if proto == 58 else b"") + seg)
                         == 0xFFFF)
    return p


# ------------------------------------------------------------------- frames

def dgram(frames, flags=0):
    """Encode a datagram of frame dicts (mrelay_codec)."""
    return codec.encode(flags, frames)


def msg(user, device, msg_id, dst_id, dst_kind=1, payload=b"", flags=0,
        subject=b"", **kw):
    f = {"type": "MSG", "flags": flags, "dst_kind": dst_kind,
         "sender_user": user, "sender_device": device,
         "client_msg_id": msg_id, "dst_id": dst_id,
         "payload_hex": bytes(payload).hex(), "subject_hex": subject.hex()}
    f.update(kw)
    return f


def decode_out(payload):
    """Decode an output datagram; it must be valid."""
    d, frames = codec.decode(payload)
    check(d["drop"] is None, "output datagram invalid: %s (%s)"
          % (d["drop"], payload.hex()))
    for f in frames:
        check("error" not in f, "output frame invalid: %s" % f)
    return d, frames


def relay_packets(frames_out):
    """Split raw output frames into a list of (parsed packet, dgram, frame)
    for every mrelay frame in them, and a list of the others."""
    out, other = [], []
    for fr in frames_out:
        p = parse_eth(fr)
        if "udp" in p and (p["udp"]["sport"] == RELAY_PORT):
            d, frs = decode_out(p["udp"]["payload"])
            for f in frs:
                out.append((p, d, f))
        else:
            other.append(p)
    return out, other
