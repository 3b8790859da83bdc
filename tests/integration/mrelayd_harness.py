# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Shared helper of the integration tests: run a real mrelayd and talk to it.

Daemon(...) writes a configuration into a fresh temporary directory (state
dir and control socket inside it), starts mrelayd on a net_null port with
its own --file-prefix and --in-memory, waits for the control socket, runs
mrelayctl, and stops the daemon. Every daemon it starts is killed and every
temporary directory removed when the test ends, also on an exception, on
SIGTERM (meson's timeout) and on SIGINT. Set MRELAY_IT_KEEP=1 to keep the
directories (logs, state) for a post-mortem.

RawClient speaks the control protocol (controlplane/api.h) over the Unix
socket directly, for tests that need to misbehave or to be fast.

Binaries: $MRELAYD and $MRELAYCTL (meson sets them), else build/ under the
repository. Python standard library only; run with /usr/bin/python3.
"""

import atexit
import itertools
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MRELAYD = os.environ.get("MRELAYD", os.path.join(REPO, "build/controlplane/mrelayd"))
MRELAYCTL = os.environ.get("MRELAYCTL",
                           os.path.join(REPO, "build/controlplane/mrelayctl"))
KEEP = os.environ.get("MRELAY_IT_KEEP") == "1"
RUNTIME_DIR = "/var/run/dpdk"

# ---------------------------------------------------------------- protocol
# api.h: request {u32 len, u16 type, u16 flags, u32 id}, response
# {u32 len, u32 for_id, i32 status}, host byte order (little endian here).
REQ = struct.Struct("<IHHI")
RESP = struct.Struct("<IIi")
API_VERSION = 1
MAX_BODY = 4 << 20
T = dict(HELLO=1, ENDPOINT_SET=2, ENDPOINT_DEL=3, ENDPOINT_LIST=4,
         DEVICE_SET=5, DEVICE_DEL=6, USER_SHOW=7, GROUP_SET=8, GROUP_DEL=9,
         GROUP_SHOW=10, GROUP_LIST=11, MEMBER_SET=12, MEMBER_DEL=13,
         SUB_ADD=14, SUB_DEL=15, SUB_LIST=16, STATS=17, EXPORT=18,
         DEVICE_LIST=19)
MEMBER = struct.Struct("<QQB7x")           # struct mr_api_member (24)
GROUP = struct.Struct("<QB3xIIIQ")         # struct mr_api_group (32)
STAT = struct.Struct("<64sQ")              # struct mr_api_stat (72)
LIST_QUERY = struct.Struct("<QII")         # struct mr_api_list_query (16)
GROUP_QUERY = struct.Struct("<QII")        # struct mr_api_group_query (16)
EXPORT_HDR = struct.Struct("<QII")         # struct mr_api_export (16)

_seq = itertools.count(1)
_daemons = []           # running: killed at exit
_all_daemons = []       # every one made: logs shown when a test fails
_tmpdirs = []


def log(msg):
    print(msg, flush=True)


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    """Assert with a message; counts as a test failure."""
    if not cond:
        raise TestFailure(msg)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what, got, want))


soft_failures = []


def expect(cond, msg):
    """A check whose failure is reported but lets the test go on (used
    where the rest of the test stays meaningful). Returns cond."""
    if not cond:
        soft_failures.append(msg)
        log("FAIL (continuing): %s" % msg)
    return cond


def run(main, name):
    """Run a test's main(): exit 0 if every check held, else 1."""
    try:
        main()
    except TestFailure as e:
        log("FAIL: %s" % e)
        soft_failures.append(str(e))
        _show_logs()
    except Exception:
        _show_logs()
        _cleanup()
        raise
    _cleanup()
    if soft_failures:
        log("%s: %d failure(s):" % (name, len(soft_failures)))
        for f in soft_failures:
            log("  - %s" % f)
        sys.exit(1)
    log("%s: PASS" % name)
    sys.exit(0)


# ------------------------------------------------------------- clean-up

def _show_logs(lines=15):
    for d in _all_daemons:
        text = d.log().splitlines()
        if text:
            log("--- last lines of %s" % d.logpath)
            for line in text[-lines:]:
                log("    " + line)


def _cleanup():
    for d in list(_daemons):
        d.kill()
    for t in list(_tmpdirs):
        if KEEP:
            log("kept %s" % t)
        else:
            shutil.rmtree(t, ignore_errors=True)
    _tmpdirs.clear()


def _on_signal(sig, frame):
    # turn SIGTERM (meson timeout) into an exception so finally blocks run
    raise SystemExit(128 + sig)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)


def tmpdir(tag):
    d = tempfile.mkdtemp(prefix="mrelay-it-%s-" % tag)
    _tmpdirs.append(d)
    return d


def hugepages_free():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- config

DEFAULT_LIMITS = dict(max_endpoints=16, max_users=4096,
                      max_devices_per_user=4, max_groups=64,
                      max_group_members=1000, max_memberships=10000,
                      dedup_window=1024, max_conversations=1024,
                      max_subscriptions=64)


def config_text(state_dir, sock, limits=None, mbufs=2047, lcores=(1,),
                extra=""):
    lim = dict(DEFAULT_LIMITS)
    lim.update(limits or {})
    lines = [
        "# written by tests/integration/mrelayd_harness.py",
        "ports:",
        "  - name: net_null0",
        "relay:",
        "  ipv4: [192.0.2.1]",
        "workers:",
        "  lcores: [%s]" % ", ".join(str(x) for x in lcores),
        "mempool:",
        "  mbufs: %d" % mbufs,
        "  cache: 64",
        "  hdr_mbufs: 1023",
        "state_dir: %s" % state_dir,
        "control:",
        "  socket: %s" % sock,
        "limits:",
    ]
    lines += ["  %s: %d" % (k, v) for k, v in lim.items()]
    return "\n".join(lines) + "\n" + extra


# ---------------------------------------------------------------- daemon

class Result:
    def __init__(self, rc, out, err, args):
        self.rc, self.out, self.err, self.args = rc, out, err, args

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise TestFailure("mrelayctl %s: output is not JSON (%s): %r"
                              % (" ".join(self.args), e, self.out[:300]))

    def __repr__(self):
        return "<mrelayctl %s: rc %d out %r err %r>" % (
            " ".join(self.args), self.rc, self.out[:200], self.err[:300])


class Daemon:
    """One mrelayd in its own temp dir. Use as a context manager."""

    def __init__(self, tag="t", limits=None, mbufs=2047, vdev="net_null0",
                 workdir=None, extra_eal=(), extra_cfg="", start=True,
                 ready_timeout=60, cpus=None):
        self.dir = workdir or tmpdir(tag)
        self.state_dir = os.path.join(self.dir, "state")
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.cfg = os.path.join(self.dir, "mrelayd.yaml")
        self.tag = tag
        self.vdev = vdev
        self.extra_eal = list(extra_eal)
        self.ready_timeout = ready_timeout
        self.proc = None
        self.logf = None
        self.logpath = None
        self.runs = 0
        self.ready_s = None
        self.cpus = cpus        # CPU affinity of the process, if not ours
        _all_daemons.append(self)
        with open(self.cfg, "w") as f:
            f.write(config_text(self.state_dir, self.sock, limits, mbufs,
                                extra=extra_cfg))
        if start:
            self.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        return False

    # -- process
    def start(self, wait=True):
        check(self.proc is None or self.proc.poll() is not None,
              "start: mrelayd already running")
        self.runs += 1
        self.prefix = "mrit%d_%d_%s" % (os.getpid(), next(_seq), self.tag)
        self.logpath = os.path.join(self.dir, "mrelayd.%d.log" % self.runs)
        self.logf = open(self.logpath, "wb")
        args = [MRELAYD, "-l", "0-1", "--file-prefix", self.prefix,
                "--in-memory", "--no-pci", "--vdev", self.vdev,
                ] + self.extra_eal + \
               ["--", "--config", self.cfg]
        self.t_start = time.monotonic()
        cpus = self.cpus
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=self.logf,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus
            else None)
        _daemons.append(self)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=None):
        """Wait until the control socket accepts a HELLO. Returns seconds
        from start to ready (also kept in self.ready_s)."""
        deadline = self.t_start + (timeout or self.ready_timeout)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("mrelayd exited with %d before its socket "
                                  "was ready:\n%s" % (self.proc.returncode,
                                                      self.log()[-3000:]))
            try:
                c = RawClient(self.sock, timeout=2)
                c.close()
                self.ready_s = time.monotonic() - self.t_start
                return self.ready_s
            except (OSError, ProtocolError):
                time.sleep(0.02)
        raise TestFailure("mrelayd socket not ready after %.0f s:\n%s"
                          % (timeout or self.ready_timeout, self.log()[-3000:]))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=20):
        """Send sig and wait; returns the exit status (negative: signal)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise TestFailure("mrelayd did not exit within %d s of signal %d"
                              % (timeout, sig))
        self._closed()
        return rc

    def wait_exit(self, timeout):
        """Wait for a process expected to exit by itself (None: still up)."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._closed()
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            self._closed()

    def _closed(self):
        # --in-memory leaves no hugepage files, but EAL still makes
        # /var/run/dpdk/PREFIX (telemetry socket): remove ours
        shutil.rmtree(os.path.join(RUNTIME_DIR, self.prefix),
                      ignore_errors=True)
        if self.logf is not None:
            self.logf.close()
            self.logf = None
        if self in _daemons:
            _daemons.remove(self)

    def log(self, run=None):
        path = self.logpath if run is None else os.path.join(
            self.dir, "mrelayd.%d.log" % run)
        if path is None or not os.path.exists(path):
            return ""
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def status(self, key):
        """A field of /proc/PID/status in kB (VmRSS, HugetlbPages...)."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    # -- mrelayctl
    def ctl(self, *args, json_out=False, stdin=None, timeout=120, sock=None):
        argv = [MRELAYCTL, "-s", sock or self.sock]
        if json_out:
            argv.append("--json")
        argv += [a if isinstance(a, bytes) else str(a) for a in args]
        p = subprocess.run(argv, input=stdin, capture_output=True,
                           timeout=timeout)
        return Result(p.returncode, p.stdout.decode("utf-8", "replace"),
                      p.stderr.decode("utf-8", "replace"),
                      [a.decode("utf-8", "replace") if isinstance(a, bytes)
                       else str(a) for a in args])

    def ok(self, *args, **kw):
        """mrelayctl that must succeed; returns its stdout."""
        r = self.ctl(*args, **kw)
        check(r.rc == 0, "expected success: %r" % r)
        return r.out

    def json(self, *args):
        r = self.ctl(*args, json_out=True)
        check(r.rc == 0, "expected success: %r" % r)
        return r.json()

    def refused(self, errtext, *args, **kw):
        """mrelayctl that mrelayd must refuse (exit 1) with errtext."""
        r = self.ctl(*args, **kw)
        check(r.rc == 1, "expected a refusal (exit 1): %r" % r)
        check("refused by mrelayd: " + errtext in r.err,
              "expected 'refused by mrelayd: %s': %r" % (errtext, r))
        return r

    def stats(self):
        return self.json("stats")

    def export(self):
        return self.ok("export")

    def import_text(self, text, name="import.jsonl"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return self.ctl("import", path)


def parse_export(text):
    """JSON lines -> list of dicts (big ids stay exact: Python ints)."""
    return [json.loads(l) for l in text.splitlines() if l.strip()]


# ------------------------------------------------------------ raw client

class ProtocolError(Exception):
    pass


class RawClient:
    """A control-socket client that does exactly what it is told."""

    def __init__(self, path, timeout=5, hello=True):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        try:
            self.s.connect(path)
        except OSError:
            self.s.close()
            raise
        self.next_id = 1
        if hello:
            st, body = self.call(T["HELLO"], struct.pack("<II", API_VERSION, 0))
            if st != 0:
                self.close()
                raise ProtocolError("HELLO refused: %d" % st)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send_req(self, type_, body=b"", flags=0, id_=None, length=None):
        if id_ is None:
            id_ = self.next_id
            self.next_id += 1
        self.s.sendall(REQ.pack(len(body) if length is None else length,
                                type_, flags, id_) + body)
        return id_

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise ProtocolError("EOF after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def recv_resp(self):
        ln, for_id, status = RESP.unpack(self.recv_exact(RESP.size))
        if ln > MAX_BODY:
            raise ProtocolError("response length %d" % ln)
        return for_id, status, self.recv_exact(ln) if ln else b""

    def call(self, type_, body=b""):
        id_ = self.send_req(type_, body)
        for_id, status, rbody = self.recv_resp()
        if for_id != id_:
            raise ProtocolError("for_id %d, sent %d (status %d)"
                                % (for_id, id_, status))
        return status, rbody

    def at_eof(self, timeout=3):
        """True if the server closed the connection (EOF or reset)."""
        self.s.settimeout(timeout)
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    # -- typed helpers
    def stats(self):
        st, body = self.call(T["STATS"])
        if st != 0:
            raise ProtocolError("STATS: %d" % st)
        out = {}
        for i in range(0, len(body), STAT.size):
            name, v = STAT.unpack_from(body, i)
            out[name.rstrip(b"\0").decode()] = v
        return out

    def member_set(self, members, delete=False):
        """members: iterable of (group, user, role). Returns the status."""
        body = b"".join(MEMBER.pack(g, u, r) for g, u, r in members)
        st, _ = self.call(T["MEMBER_DEL" if delete else "MEMBER_SET"], body)
        return st

    def group_set(self, groups):
        """groups: iterable of (id, policy, max_members)."""
        body = b"".join(GROUP.pack(i, p, m, 0, 0, 0) for i, p, m in groups)
        st, _ = self.call(T["GROUP_SET"], body)
        return st

    def group_show(self, gid, offset=0, limit=0):
        st, body = self.call(T["GROUP_SHOW"], GROUP_QUERY.pack(gid, offset,
                                                                limit))
        if st != 0:
            return st, None, []
        g = GROUP.unpack_from(body, 0)
        mem = [MEMBER.unpack_from(body, o)
               for o in range(GROUP.size, len(body), MEMBER.size)]
        return st, g, mem
