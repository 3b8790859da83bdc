#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""mrelayd restart, corrupt state files and --check-config.

1. State added (import + single changes), SIGTERM: exit 0 and the log says
   every mbuf is back in its pool; restart: the same export, endpoint ids
   and table counters, and the log line "restored ...". SIGINT likewise.
2. state.db replaced by garbage, zero bytes, its first half, or a damaged
   page: mrelayd exits non-zero within a few seconds with a message naming
   the file, creates no socket, and leaves the file exactly as it was; the
   good file put back starts again with the same state.
3. mrelayd --check-config: "configuration OK" and exit 0 for a good file,
   FILE:LINE: reason and exit 1 for bad ones; a daemon given a bad file
   refuses to start with the same line.
4. What is already at the socket path: a regular file or another user's
   dead socket is refused and left alone, our own dead socket (a crash) is
   replaced, a live daemon's socket is kept and the second daemon refused;
   a path longer than sun_path is a configuration error.
"""

import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mrelayd_harness as h  # noqa: E402
from mrelayd_harness import check, check_eq  # noqa: E402

SEED = 20260103
TABLE_KEYS = ("tables.endpoints", "tables.users", "tables.devices",
              "tables.groups", "tables.memberships", "tables.subscriptions")
MBUF_RE = re.compile(r"worker (\d+): (\d+) of (\d+) mbufs back in (\S+)")


def state_text(rng):
    """3 endpoints, 60 devices, 20 groups, 3000 members, 10 subs."""
    out = ['{"kind":"endpoint","name":"gw%d","ip":"10.1.0.%d","port":%d,'
           '"vlan":%d,"port_id":0}' % (i, i + 1, 7400 + i, i * 10)
           for i in range(3)]
    out += ['{"kind":"device","user":%d,"device":%d,"endpoint":"gw%d"}'
            % (1000 + u // 2, u % 2, u % 3) for u in range(60)]
    out += ['{"kind":"group","id":%d,"policy":"%s","max_members":%d}'
            % (g * 1000 + 1, "admins" if g % 2 else "everyone", 0 if g % 3 else 500)
            for g in range(20)]
    roles = ("member", "admin", "read-only")
    for g in range(20):
        users = rng.sample(range(1, 2000), 150)
        out += ['{"kind":"member","group":%d,"user":%d,"role":"%s"}'
                % (g * 1000 + 1, u, roles[rng.randrange(3)]) for u in users]
    out += ['{"kind":"sub","pattern":"topic.%d.*","user":%d,"device":0}'
            % (i, 1000 + i) for i in range(10)]
    return "\n".join(out) + "\n"


def check_clean_stop(d, sig, what):
    t0 = time.monotonic()
    rc = d.stop(sig)
    took = time.monotonic() - t0
    check_eq(rc, 0, "%s: exit status" % what)
    log = d.log()
    pools = MBUF_RE.findall(log)
    check(len(pools) >= 1, "%s: the log reports the mbuf pools: %s"
          % (what, log[-800:]))
    for w, avail, size, name in pools:
        check(avail == size, "%s: worker %s: %s of %s mbufs back in %s"
              % (what, w, avail, size, name))
    check("mrelayd: stopped" in log, "%s: 'stopped' in the log" % what)
    check(not os.path.exists(d.sock), "%s: socket removed" % what)
    return took, pools


def snapshot(d):
    return (d.export(), d.json("endpoint", "show"),
            {k: d.stats()[k] for k in TABLE_KEYS})


def test_restart():
    rng = random.Random(SEED)
    d = h.Daemon("restart")
    text = state_text(rng)
    r = d.import_text(text)
    check_eq((r.rc, r.out), (0, "imported 3093 records\n"), "import")
    # changes after the import, through single requests
    d.ok("group", "member", "add", "1", "424242", "role", "admin")
    exp = h.parse_export(d.export())
    in3001 = {m["user"] for m in exp if m["kind"] == "member" and
              m["group"] == 3001}
    victim = [m for m in exp if m["kind"] == "member" and
              m["group"] == 2001 and m["user"] not in in3001][0]
    d.ok("group", "member", "del", "2001", victim["user"])
    d.ok("group", "member", "add", "3001", victim["user"], "role", "read-only")
    d.ok("device", "add", "1000", "0", "endpoint", "gw2")      # a move
    d.ok("endpoint", "add", "gw9", "ip", "2001:db8::9", "port", "9",
         "mac", "02:00:00:00:00:09")
    d.ok("endpoint", "del", "gw9")
    d.ok("endpoint", "add", "gwA", "ip", "192.0.2.200", "port", "10")
    d.ok("group", "del", "19001")
    d.ok("topic", "sub", "del", "topic.3.*", "1003", "0")
    before = snapshot(d)
    st = before[2]
    check_eq((st["tables.endpoints"], st["tables.devices"],
              st["tables.groups"], st["tables.subscriptions"]),
             (4, 60, 19, 9), "counters before the restart")
    check_eq(st["tables.memberships"], 3000 + 1 - 1 + 1 - 150,
             "memberships before the restart")
    took, pools = check_clean_stop(d, h.signal.SIGTERM, "SIGTERM")
    h.log("ok  SIGTERM: exit 0 in %.2f s, %s" % (took, ", ".join(
        "worker %s %s/%s mbufs in %s" % p for p in pools)))

    d.start()
    after = snapshot(d)
    check_eq(after[0], before[0], "export after the restart")
    check_eq(after[1], before[1], "endpoints (with their ids) after restart")
    check_eq(after[2], before[2], "table counters after the restart")
    m = re.search(r"restored (\d+) endpoints, (\d+) devices, (\d+) groups, "
                  r"(\d+) memberships", d.log())
    check(m is not None, "'restored ...' in the log")
    check_eq(tuple(int(x) for x in m.groups()),
             (4, 60, 19, st["tables.memberships"]), "restored counts")
    h.log("ok  restart: identical export (%d lines), endpoint ids, counters; "
          "socket ready in %.2f s" % (len(after[0].splitlines()), d.ready_s))

    # a second mrelayd on the same state directory is refused (lock)
    d2 = h.Daemon("restart2", start=False)
    cfg = open(d2.cfg).read().replace("state_dir: %s" % d2.state_dir,
                                      "state_dir: %s" % d.state_dir)
    with open(d2.cfg, "w") as f:
        f.write(cfg)
    d2.start(wait=False)
    rc = d2.wait_exit(15)
    if rc is None:
        d2.kill()
        raise h.TestFailure("a second mrelayd started on the same state dir")
    check(rc != 0 and "in use by another mrelayd (pid %d" % d.proc.pid
          in d2.log(), "second mrelayd on the same state dir: exit %d, "
          "log %s" % (rc, d2.log()[-600:]))
    check_eq(snapshot(d), before, "state after the second daemon's attempt")
    h.log("ok  a second mrelayd on the same state dir exits %d naming pid %d"
          % (rc, d.proc.pid))

    # a change after the restart, then SIGINT
    d.ok("group", "member", "add", "1", "424243")
    before2 = snapshot(d)
    check_clean_stop(d, h.signal.SIGINT, "SIGINT")
    d.start()
    check_eq(snapshot(d), before2, "state after SIGINT and restart")
    check_clean_stop(d, h.signal.SIGTERM, "SIGTERM 2")
    h.log("ok  SIGINT: exit 0, state kept")
    return d, before2


def file_state(path):
    with open(path, "rb") as f:
        data = f.read()
    st = os.stat(path)
    return hashlib.sha256(data).hexdigest(), st.st_size, st.st_mtime_ns


def corrupt_variants(good, rng):
    n = len(good)
    page = 4096
    mid = (n // page // 2) * page
    damaged = bytearray(good)
    damaged[mid:mid + page] = bytes(rng.randrange(256) for _ in range(page))
    return [
        ("garbage", bytes(rng.randrange(256) for _ in range(n))),
        ("zero-length", b""),
        ("truncated to half", good[:n // 2]),
        ("truncated to 100 bytes", good[:100]),
        ("one page of garbage", bytes(damaged)),
    ]


def test_corrupt(d, good_state):
    db = os.path.join(d.state_dir, "state.db")
    files = sorted(os.listdir(d.state_dir))
    check(files == ["mrelayd.lock", "state.db"],
          "state dir after a clean stop: %r" % files)
    with open(db, "rb") as f:
        good = f.read()
    check(len(good) >= 8 * 4096, "state.db is %d bytes" % len(good))
    rng = random.Random(SEED)
    for name, data in corrupt_variants(good, rng):
        with open(db, "wb") as f:
            f.write(data)
        old = os.stat(db)
        os.utime(db, ns=(old.st_atime_ns, old.st_mtime_ns - 10**9))
        fs = file_state(db)
        t0 = time.monotonic()
        d.start(wait=False)
        rc = d.wait_exit(15)
        took = time.monotonic() - t0
        if rc is None:
            d.kill()
            raise h.TestFailure("%s state.db: mrelayd still running after "
                                "15 s" % name)
        log = d.log()
        check(rc != 0, "%s state.db: exit status %d" % (name, rc))
        check(took < 10, "%s state.db: exited after %.1f s" % (name, took))
        check(db in log, "%s state.db: the message names %s:\n%s"
              % (name, db, log[-1500:]))
        check_eq(file_state(db), fs, "%s state.db: the file (sha256, size, "
                 "mtime) after the refusal" % name)
        left = sorted(os.listdir(d.state_dir))
        h.expect(left == ["mrelayd.lock", "state.db"],
                 "%s state.db: no new files beside it: %r" % (name, left))
        for extra in left:
            if extra not in ("mrelayd.lock", "state.db"):
                os.unlink(os.path.join(d.state_dir, extra))
        check(not os.path.exists(d.sock), "%s: no control socket" % name)
        msg = [l for l in log.splitlines() if db in l][0]
        h.log("ok  %s state.db: exit %d in %.2f s, file untouched: %s"
              % (name, rc, took, msg.strip()[:160]))
    with open(db, "wb") as f:
        f.write(good)
    d.start()
    check_eq(snapshot(d), good_state, "state with the good file put back")
    check_eq(d.stop(), 0, "exit status")
    h.log("ok  good state.db put back: starts with the same state")


def check_config_cases(d):
    good = open(d.cfg).read()
    lines = good.splitlines()

    def at(key):
        return [i for i, l in enumerate(lines) if l.strip().startswith(key)][0]

    def edit(i, new, insert=False):
        l2 = list(lines)
        if insert:
            l2.insert(i, new)
        else:
            l2[i] = new
        return "\n".join(l2) + "\n"

    i_lcores = at("lcores:")
    i_ipv4 = at("ipv4:")
    i_mbufs = at("mbufs:")
    i_state = at("state_dir:")
    cases = [
        ("burst out of range", edit(i_lcores + 1, "  burst: 600", True),
         i_lcores + 2, "workers.burst: 600 is out of range 1..512"),
        ("unknown key", edit(i_lcores + 1, "  burts: 32", True),
         i_lcores + 2, "unknown key 'burts' in workers"),
        ("bad address", edit(i_ipv4, "  ipv4: [192.0.2.1, 10.0.0.300]"),
         i_ipv4 + 1, "relay.ipv4[1]: '10.0.0.300' is not an IPv4 address"),
        ("duplicate key", edit(i_lcores + 1, "  lcores: [1]", True),
         i_lcores + 2, "workers.lcores: duplicate key (first at line %d)"
         % (i_lcores + 1)),
        ("octal-looking number", edit(i_mbufs, "  mbufs: 02047"),
         i_mbufs + 1, "mempool.mbufs"),
        ("relative state_dir", edit(i_state, "state_dir: var/lib/mrelay"),
         i_state + 1, "state_dir: 'var/lib/mrelay' is not an absolute path"),
        ("YAML syntax", edit(i_lcores + 1, "  burst: [1, 2", True),
         None, ""),
    ]
    # good file, both spellings
    for argv in ([h.MRELAYD, "--check-config", d.cfg],
                 [h.MRELAYD, "--check-config", "--config", d.cfg],
                 [h.MRELAYD, "--", "--config", d.cfg, "--check-config"]):
        p = subprocess.run(argv, capture_output=True, timeout=30)
        check_eq((p.returncode, p.stdout, p.stderr),
                 (0, b"configuration OK\n", b""), " ".join(argv[1:]))
    n = 0
    for name, text, line, reason in cases:
        path = os.path.join(d.dir, "bad-%d.yaml" % n)
        n += 1
        with open(path, "w") as f:
            f.write(text)
        p = subprocess.run([h.MRELAYD, "--check-config", path],
                           capture_output=True, timeout=30)
        err = p.stderr.decode()
        check_eq(p.returncode, 1, "%s: --check-config exit" % name)
        check_eq(p.stdout, b"", "%s: nothing on stdout" % name)
        check_eq(len(err.splitlines()), 1, "%s: one line: %r" % (name, err))
        if line is not None:
            want = "%s:%d: %s" % (path, line, reason)
            check(err.startswith(want), "%s: got %r, want %r..."
                  % (name, err, want))
        else:
            check(re.match(re.escape(path) + r":\d+: ", err) is not None,
                  "%s: FILE:LINE: in %r" % (name, err))
        h.log("ok  --check-config %s: %s" % (name, err.strip()))
    p = subprocess.run([h.MRELAYD, "--check-config", d.cfg + ".missing"],
                       capture_output=True, timeout=30)
    check_eq(p.returncode, 1, "missing file: exit")
    check(p.stderr.decode().startswith(d.cfg + ".missing: cannot open: "
                                       "No such file or directory"),
          "missing file: %r" % p.stderr)
    check_eq(p.stdout, b"", "missing file: nothing on stdout")
    # the daemon itself refuses a bad file with the same message
    bad = os.path.join(d.dir, "bad-0.yaml")
    shutil.copy(bad, d.cfg)
    d.start(wait=False)
    rc = d.wait_exit(15)
    if rc is None:
        d.kill()
        raise h.TestFailure("mrelayd started with a bad configuration")
    check(rc != 0, "mrelayd with a bad configuration: exit %d" % rc)
    check("%s:%d: workers.burst: 600 is out of range 1..512"
          % (d.cfg, i_lcores + 2) in d.log(),
          "the daemon's log names FILE:LINE: %s" % d.log()[-600:])
    with open(d.cfg, "w") as f:
        f.write(good)
    h.log("ok  mrelayd refuses to start with a bad configuration (exit %d)"
          % rc)


def start_refused(d, what, needle):
    """Start d, expect it to exit non-zero within 15 s, logging needle."""
    d.start(wait=False)
    rc = d.wait_exit(15)
    if rc is None:
        d.kill()
        raise h.TestFailure("%s: mrelayd kept running" % what)
    check(rc != 0, "%s: exit status %d" % (what, rc))
    check(needle in d.log(), "%s: '%s' in the log:\n%s"
          % (what, needle, d.log()[-800:]))
    return rc


def test_socket_path():
    """What is already at the control socket path (docs/control-api.md)."""
    d = h.Daemon("sock", start=False)
    # a regular file: refused, left alone
    with open(d.sock, "w") as f:
        f.write("not a socket\n")
    start_refused(d, "regular file at the socket path",
                  "exists and is not a socket")
    check_eq(open(d.sock).read(), "not a socket\n", "the file is untouched")
    os.unlink(d.sock)
    # a dead socket of another user: refused, left alone
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(d.sock)
    s.close()
    os.chown(d.sock, 65534, 65534)
    start_refused(d, "dead socket of uid 65534",
                  "stale socket owned by uid 65534")
    check(os.path.exists(d.sock), "the other user's socket is left")
    os.unlink(d.sock)
    # a dead socket of ours (a crash): removed, and the daemon starts
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(d.sock)
    s.close()
    d.start()
    st = os.stat(d.sock)
    check_eq(oct(st.st_mode & 0o777), oct(0o660), "socket mode")
    # a live daemon's socket: a second daemon is refused, the first keeps it
    d2 = h.Daemon("sock2", start=False)
    cfg = open(d2.cfg).read().replace("socket: %s" % d2.sock,
                                      "socket: %s" % d.sock)
    with open(d2.cfg, "w") as f:
        f.write(cfg)
    start_refused(d2, "socket of a live daemon",
                  "another daemon is listening on this socket")
    check_eq(os.stat(d.sock).st_ino, st.st_ino, "the live socket is kept")
    check_eq(d.stats()["workers"], 1, "the first daemon still answers")
    check_eq(d.stop(), 0, "exit status")
    check(not os.path.exists(d.sock), "socket removed at stop")
    # a path that does not fit sun_path: a configuration error
    long_sock = "/tmp/" + "s" * 103 + ".sock"      # 113 bytes
    cfg = open(d.cfg).read().replace("socket: %s" % d.sock,
                                     "socket: %s" % long_sock)
    bad = os.path.join(d.dir, "long.yaml")
    with open(bad, "w") as f:
        f.write(cfg)
    p = subprocess.run([h.MRELAYD, "--check-config", bad],
                       capture_output=True, timeout=30)
    err = p.stderr.decode()
    check(p.returncode == 1 and "control.socket:" in err and
          "over the limit of 107" in err, "socket path of 113 bytes: %r"
          % err)
    h.log("ok  socket path: a file or another user's dead socket refused "
          "and left alone; our dead socket replaced; a live daemon's kept; "
          "mode 0660; a 113-byte path refused by --check-config")


def main():
    h.log("mrelayd %s\nmrelayctl %s" % (h.MRELAYD, h.MRELAYCTL))
    d, state = test_restart()
    try:
        test_corrupt(d, state)
        check_config_cases(d)
    finally:
        d.kill()
    test_socket_path()


if __name__ == "__main__":
    h.run(main, "test_restart")
