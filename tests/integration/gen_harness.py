# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Helper of the mrelay-gen integration tests (tests/integration/test_gen_*).

- Daemon: an mrelayd in a fresh temporary directory (configuration, state
  directory, control socket, log), on any --vdev list, with its own
  --file-prefix and --in-memory. The same directory serves several runs, so
  a first run can load the routing state (on a port that receives nothing)
  before a second one replays a capture.
- gen(): run mrelay-gen; Gen: a live mrelay-gen in the background.
- A plain pcap reader/writer that insists on whole records, and the
  relay's output frames decoded with scripts/python/mrelay_codec.py.

Every process started here is killed and every temporary directory removed
when the test ends (also on an exception, SIGTERM or SIGINT), and the
/var/run/dpdk/PREFIX that EAL makes even with --in-memory is removed.
MRELAY_IT_KEEP=1 keeps the directories for a post-mortem.

Binaries: $MRELAYD, $MRELAYCTL, $MRELAY_GEN (meson sets them), else build/.
Standard library only; run with /usr/bin/python3.
"""

import atexit
import itertools
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.path.join(REPO, "build")
MRELAYD = os.environ.get("MRELAYD",
                         os.path.join(BUILD, "controlplane/mrelayd"))
MRELAYCTL = os.environ.get("MRELAYCTL",
                           os.path.join(BUILD, "controlplane/mrelayctl"))
MRELAY_GEN = os.environ.get("MRELAY_GEN",
                            os.path.join(BUILD, "dataplane/gen/mrelay-gen"))
KEEP = os.environ.get("MRELAY_IT_KEEP") == "1"
RUNTIME_DIR = "/var/run/dpdk"
GEN_MAC = "02:00:00:6d:72:67"      # mrelay-gen's default --gen-mac
RELAY_MAC = "02:00:00:00:00:01"    # mrelay-gen's default --relay-mac (pcap)

sys.path.insert(0, os.path.join(REPO, "scripts", "python"))
import mrelay_codec as codec  # noqa: E402

_procs = []
_dirs = []
_prefixes = []
_seq = itertools.count(1)


def log(msg):
    print(msg, flush=True)


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what, got, want))


def _cleanup():
    for p in list(_procs):
        if p.poll() is None:
            p.kill()
            p.wait()
    _procs.clear()
    for pre in _prefixes:
        shutil.rmtree(os.path.join(RUNTIME_DIR, pre), ignore_errors=True)
    for d in _dirs:
        if KEEP:
            log("kept %s" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    _dirs.clear()


def _on_signal(sig, frame):
    raise SystemExit(128 + sig)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)


def run(main, name):
    """Run a test's main(): exit 0 if it returned, 1 on a failed check,
    77 (skipped) when a binary is missing."""
    for b in (MRELAYD, MRELAYCTL, MRELAY_GEN):
        if not os.access(b, os.X_OK):
            log("%s: SKIP: %s is not built" % (name, b))
            sys.exit(77)
    try:
        main()
    except TestFailure as e:
        log("%s: FAIL: %s" % (name, e))
        _cleanup()
        sys.exit(1)
    _cleanup()
    log("%s: PASS" % name)
    sys.exit(0)


def tmpdir(tag):
    d = tempfile.mkdtemp(prefix="mrelay-gen-%s-" % tag)
    _dirs.append(d)
    return d


def prefix(tag):
    p = "mrgen%d_%d_%s" % (os.getpid(), next(_seq), tag)
    _prefixes.append(p)
    return p


def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    _procs.append(p)
    return p


def reap(p, timeout):
    """Wait for p; kill it after timeout. Returns its exit status."""
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise TestFailure("%s did not exit within %d s"
                          % (os.path.basename(p.args[0]), timeout))
    if p in _procs:
        _procs.remove(p)
    return rc


# ------------------------------------------------------------------ mrelayd

LIMITS = dict(max_endpoints=256, max_users=65536, max_devices_per_user=16,
              max_groups=16384, max_group_members=10000,
              max_memberships=262144, dedup_window=65536,
              max_conversations=65536, max_subscriptions=64)


class Daemon:
    """mrelayd with its configuration and state in one temp directory."""

    def __init__(self, tag, port, limits=None, mbufs=16383):
        self.dir = tmpdir(tag)
        self.tag = tag
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.cfg = os.path.join(self.dir, "mrelayd.yaml")
        self.proc = None
        self.runs = 0
        lim = dict(LIMITS)
        lim.update(limits or {})
        with open(self.cfg, "w") as f:
            f.write("\n".join([
                "# written by tests/integration/gen_harness.py",
                "ports:",
                "  - name: %s" % port,
                "relay:",
                "  ipv4: [192.0.2.1]",
                "workers:",
                "  lcores: [1]",
                "mempool:",
                "  mbufs: %d" % mbufs,
                "  hdr_mbufs: %d" % mbufs,
                "state_dir: %s" % os.path.join(self.dir, "state"),
                "control:",
                "  socket: %s" % self.sock,
                "limits:"] + ["  %s: %d" % kv for kv in lim.items()]) + "\n")

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, vdevs, eal=("-l", "0-1")):
        self.runs += 1
        self.logpath = self.path("mrelayd.%d.log" % self.runs)
        args = [MRELAYD] + list(eal) + [
            "--file-prefix", prefix(self.tag), "--in-memory", "--no-pci"]
        for v in vdevs:
            args += ["--vdev", v]
        args += ["--", "--config", self.cfg]
        self.logf = open(self.logpath, "wb")
        self.proc = spawn(args, stdin=subprocess.DEVNULL, stdout=self.logf,
                          stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("mrelayd exited with %d:\n%s"
                                  % (self.proc.returncode, self.log()))
            if os.path.exists(self.sock) and \
                    self.ctl("stats", check_rc=False).returncode == 0:
                return self
            time.sleep(0.05)
        raise TestFailure("mrelayd not ready after 60 s:\n%s" % self.log())

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def ctl(self, *args, check_rc=True):
        p = subprocess.run([MRELAYCTL, "-s", self.sock] + list(args),
                           capture_output=True, timeout=120)
        if check_rc and p.returncode != 0:
            raise TestFailure("mrelayctl %s: rc %d: %s"
                              % (" ".join(args), p.returncode,
                                 p.stderr.decode(errors="replace")))
        return p

    def stats(self):
        return json.loads(self.ctl("--json", "stats").stdout)

    def stop(self, timeout=30):
        self.proc.send_signal(signal.SIGTERM)
        rc = reap(self.proc, timeout)
        self.logf.close()
        check(rc == 0, "mrelayd exited with %d:\n%s" % (rc, self.log()))
        return rc


# ------------------------------------------------------------- mrelay-gen

def gen(*args, eal=None, timeout=300):
    """Run mrelay-gen to the end; returns the CompletedProcess."""
    argv = [MRELAY_GEN]
    if eal is not None:
        argv += list(eal) + ["--"]
    argv += [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, timeout=timeout)


def gen_json(*args, want_rc=None):
    """mrelay-gen ... --json: the report as a dict."""
    p = gen(*(list(args) + ["--json"]))
    if want_rc is not None and p.returncode != want_rc:
        raise TestFailure("mrelay-gen %s: rc %d, want %d\n%s%s"
                          % (" ".join(str(a) for a in args), p.returncode,
                             want_rc, p.stdout.decode(errors="replace"),
                             p.stderr.decode(errors="replace")))
    try:
        return json.loads(p.stdout)
    except ValueError:
        raise TestFailure("mrelay-gen: not JSON: %r %r"
                          % (p.stdout[:500], p.stderr[:2000]))


# -------------------------------------------------------------------- pcap

PCAP_HDR = struct.Struct("<IHHiIII")
REC_HDR = struct.Struct("<IIII")


def read_pcap(path):
    """(file header bytes, [(ts_sec, ts_frac, data)]); every record whole."""
    with open(path, "rb") as f:
        buf = f.read()
    check(len(buf) >= PCAP_HDR.size, "%s: no pcap header" % path)
    magic = PCAP_HDR.unpack_from(buf)[0]
    # microsecond or (DPDK's pcap PMD) nanosecond timestamps
    check(magic in (0xa1b2c3d4, 0xa1b23c4d), "%s: pcap magic %#x"
          % (path, magic))
    recs, off = [], PCAP_HDR.size
    while off < len(buf):
        check(len(buf) - off >= REC_HDR.size, "%s: cut record header" % path)
        sec, usec, caplen, wlen = REC_HDR.unpack_from(buf, off)
        off += REC_HDR.size
        check(caplen == wlen and off + caplen <= len(buf),
              "%s: record cut (%d of %d bytes)" % (path, caplen, wlen))
        recs.append((sec, usec, buf[off:off + caplen]))
        off += caplen
    return buf[:PCAP_HDR.size], recs


def write_pcap(path, hdr, recs):
    with open(path, "wb") as f:
        f.write(hdr)
        for sec, usec, data in recs:
            f.write(REC_HDR.pack(sec, usec, len(data), len(data)))
            f.write(data)


def empty_pcap(path):
    write_pcap(path, PCAP_HDR.pack(0xa1b2c3d4, 2, 4, 0, 0, 65535, 1), [])


def udp4(data):
    """(dst ip bytes, payload offset, payload) of an untagged IPv4/UDP
    frame, or None."""
    if len(data) < 42 or data[12:14] != b"\x08\x00" or data[23] != 17:
        return None
    ihl = (data[14] & 0x0f) * 4
    udp = 14 + ihl
    ulen = struct.unpack_from(">H", data, udp + 4)[0]
    return data[30:34], udp + 8, data[udp + 8:udp + ulen]


def frames(data):
    """Decoded frames of a packet ([] if it carries no valid datagram)."""
    u = udp4(data)
    if u is None:
        return []
    d, fr = codec.decode(u[2])
    return [] if d["drop"] else fr


def zero_udp_csum(data):
    """The packet with its UDP checksum 0 (IPv4: no checksum)."""
    ihl = (data[14] & 0x0f) * 4
    off = 14 + ihl + 6
    return data[:off] + b"\0\0" + data[off + 2:]
