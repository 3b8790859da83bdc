#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Misbehaving control-socket clients against a real mrelayd.

Raw Unix-socket clients send garbage, skip HELLO, speak another version,
announce oversized bodies, send unknown types and flags, cut requests short
and hang up, fuzz every request type with random bodies, open 70
connections at once, pipeline without ever reading, and stall. Throughout,
a well-behaved client calls STATS and GROUP_SHOW in a loop: every call must
succeed in under MAX_LATENCY seconds. At the end mrelayd is alive, serves
mrelayctl, its state is what it was, and SIGTERM stops it cleanly.
Runs about 40 s (the 30 s stall timeout of ctlsock.h is waited for).
"""

import errno
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mrelayd_harness as h  # noqa: E402
from mrelayd_harness import T, check, check_eq, RawClient  # noqa: E402

SEED = 4242
MAX_LATENCY = 1.0
STALL_S = 30          # MR_CTL_STALL_MS
MAX_CLIENTS = 64      # MR_CTL_MAX_CLIENTS
OUT_CAP = 16 << 20    # MR_CTL_OUT_CAP
HELLO = struct.pack("<II", h.API_VERSION, 0)
E = {n: -getattr(errno, n) for n in ("EPROTO", "EPROTONOSUPPORT", "EINVAL",
                                      "EMSGSIZE", "EOPNOTSUPP", "EUSERS",
                                      "ENOENT")}


class GoodClient(threading.Thread):
    """Calls STATS and GROUP_SHOW back to back, timing each call."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.c = RawClient(sock, timeout=10)
        self.stop = False
        self.calls = 0
        self.max_lat = 0.0
        self.worst_phase = ""
        self.phase = "start"
        self.error = None

    def run(self):
        try:
            while not self.stop:
                t0 = time.monotonic()
                st = self.c.stats()
                if st.get("workers") != 1:
                    raise h.TestFailure("stats: workers %r" % st.get("workers"))
                s, g, mem = self.c.group_show(1)
                if s != 0 or g[0] != 1 or len(mem) != 3:
                    raise h.TestFailure("group show 1: %r %r %r" % (s, g, mem))
                lat = (time.monotonic() - t0) / 2
                self.calls += 2
                if lat > self.max_lat:
                    self.max_lat, self.worst_phase = lat, self.phase
                time.sleep(0.002)
        except Exception as e:  # reported by the main thread
            self.error = "%s: %r" % (self.phase, e)


def expect_close(c, what, status=None, body=None):
    """The next thing on c is one response (status), then EOF."""
    try:
        for_id, st, rbody = c.recv_resp()
    except (h.ProtocolError, OSError) as e:
        raise h.TestFailure("%s: no response before the close (%r)" % (what, e))
    if status is not None:
        check(st == status if isinstance(status, int) else st in status,
              "%s: status %d, want %r" % (what, st, status))
    if body is not None:
        check_eq(rbody, body, "%s: response body" % what)
    check(c.at_eof(3), "%s: connection closed after the answer" % what)
    c.close()
    return st


def raw(d, hello=False):
    return RawClient(d.sock, timeout=5, hello=hello)


def phase_protocol(d, good, rng):
    good.phase = "garbage"
    seen = {}
    for i in range(30):
        c = raw(d)
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(12, 3000)))
        if i % 2:       # a plausible length: the type is checked then
            data = struct.pack("<I", rng.randrange(4096)) + data[4:]
        try:
            c.s.sendall(data)
        except OSError:
            pass        # the daemon may hang up while we still send
        st = expect_close(c, "garbage #%d" % i,
                          (E["EMSGSIZE"], E["EPROTO"], E["EINVAL"]))
        seen[st] = seen.get(st, 0) + 1
    for i in range(10):     # shorter than a header, then hang up
        c = raw(d)
        c.s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))))
        c.close()
    h.log("ok  40 garbage connections answered and closed: %s" % ", ".join(
        "%d x %d" % (n, s) for s, n in sorted(seen.items())))

    good.phase = "handshake"
    c = raw(d)
    c.send_req(T["STATS"])
    expect_close(c, "STATS before HELLO", E["EPROTO"])
    ours = struct.pack("<II", h.API_VERSION, 0)
    for v in (0, 2, 0xffffffff):
        c = raw(d)
        c.send_req(T["HELLO"], struct.pack("<II", v, 0))
        expect_close(c, "HELLO version %d" % v, E["EPROTONOSUPPORT"], ours)
    c = raw(d)
    c.send_req(T["HELLO"], b"\1\0\0\0")
    expect_close(c, "HELLO of 4 bytes", E["EINVAL"])
    c = raw(d)
    c.send_req(T["HELLO"], struct.pack("<II", h.API_VERSION, 1))
    expect_close(c, "HELLO reserved 1", E["EINVAL"])
    c = raw(d)
    c.send_req(T["HELLO"], HELLO, flags=1)
    expect_close(c, "HELLO with flags", E["EINVAL"])
    c = raw(d)
    c.send_req(T["HELLO"], length=0x7fffffff)
    expect_close(c, "HELLO announcing 2 GiB", E["EMSGSIZE"])
    h.log("ok  no HELLO, versions 0/2/2^32-1, short HELLO, reserved, flags, "
          "huge HELLO: each answered as documented, then closed")

    good.phase = "oversize"
    for ln in (h.MAX_BODY + 1, 0xffffffff):
        c = raw(d, hello=True)
        c.send_req(T["MEMBER_SET"], length=ln)
        expect_close(c, "length %d" % ln, E["EMSGSIZE"])
    h.log("ok  oversized lengths (4 MiB + 1, 2^32-1): EMSGSIZE, closed at once")

    good.phase = "unknown types"
    c = raw(d, hello=True)
    for ty in (0, len(T) + 1, 20, 999, 0xffff):
        st, _ = c.call(ty, b"x" * 10)
        check_eq(st, E["EOPNOTSUPP"], "type %d" % ty)
    st, _ = c.call(T["HELLO"], HELLO)
    check_eq(st, 0, "a second HELLO")
    id_ = c.send_req(T["STATS"], flags=1)
    for_id, st, _ = c.recv_resp()
    check_eq((for_id, st), (id_, E["EINVAL"]), "STATS with flags 1")
    for ty, body in ((T["MEMBER_SET"], b"\0" * 23), (T["MEMBER_SET"], b""),
                     (T["GROUP_SHOW"], b""), (T["USER_SHOW"], b"\0" * 7),
                     (T["EXPORT"], b"\0" * 15),
                     (T["EXPORT"], struct.pack("<QII", 0xff << 56, 0, 0)),
                     (T["ENDPOINT_SET"], b"\xff" * 68)):
        st, _ = c.call(ty, body)
        check_eq(st, E["EINVAL"], "type %d with a %d-byte body" % (ty, len(body)))
    check_eq(c.stats()["workers"], 1, "the connection still serves")
    # pipelined: 200 requests in one write, 200 answers in order
    ids = [c.next_id + i for i in range(200)]
    c.next_id += 200
    c.s.sendall(b"".join(h.REQ.pack(0, T["STATS"], 0, i) for i in ids))
    got = [c.recv_resp()[:2] for _ in ids]
    check_eq(got, [(i, 0) for i in ids], "200 pipelined requests")
    c.close()
    h.log("ok  unknown types EOPNOTSUPP, flags EINVAL, malformed bodies "
          "EINVAL, connection kept; 200 pipelined answers in order")


def phase_truncated(d, good, rng):
    good.phase = "truncated"
    st0 = d.stats()
    c = raw(d, hello=True)
    c.s.sendall(h.REQ.pack(100, T["STATS"], 0, 9)[:5])
    c.close()
    c = raw(d, hello=True)
    c.s.sendall(h.REQ.pack(100, T["GROUP_SET"], 0, 9) + b"\0" * 10)
    c.close()
    # a batch of 1000 new members cut in the middle: nothing applied
    body = b"".join(h.MEMBER.pack(2, 50000 + i, 0) for i in range(1000))
    c = raw(d, hello=True)
    c.s.sendall(h.REQ.pack(len(body), T["MEMBER_SET"], 0, 9) +
                body[:len(body) // 2])
    c.close()
    c = raw(d)                # header only, no HELLO, then gone
    c.s.sendall(h.REQ.pack(8, T["HELLO"], 0, 1))
    c.close()
    time.sleep(0.2)
    st1 = d.stats()
    check_eq(st1["tables.memberships"], st0["tables.memberships"],
             "memberships after a truncated MEMBER_SET")
    h.log("ok  requests cut short (header, body, half a 1000-member batch) "
          "then closed: nothing applied, daemon serving")


def phase_fuzz(d, good, rng):
    good.phase = "fuzz"
    c = raw(d, hello=True)
    counts = {}
    for i in range(1500):
        ty = rng.randrange(2, len(T) + 1)
        n = rng.choice((0, 8, 16, 24, 32, 48, 68, 272, rng.randrange(1, 600)))
        body = bytes(rng.randrange(256) for _ in range(n))
        try:
            st, _ = c.call(ty, body)
        except (h.ProtocolError, OSError) as e:
            raise h.TestFailure("fuzz request %d (type %d, %d bytes): %r"
                                % (i, ty, n, e))
        check(st <= 0, "fuzz: status %d" % st)
        counts[st] = counts.get(st, 0) + 1
    c.close()
    h.log("ok  1500 random requests on one connection, all answered: %s"
          % ", ".join("%s x %d" % (errno.errorcode.get(-s, s) if s else "OK",
                                   n) for s, n in sorted(counts.items())))


def phase_many(d, good, connected):
    """70 connections at once: 64 clients in all, the rest EUSERS."""
    good.phase = "70 connections"
    time.sleep(0.3)         # let the daemon reap closed connections
    conns = []
    for i in range(70):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.sock)   # blocking: waits while the backlog is full
        s.settimeout(5)
        conns.append(s)
    # while all slots are taken, mrelayctl is turned away (exit 3)
    time.sleep(0.3)
    r = d.ctl("stats")
    check(r.rc == 3 and "Too many users" in r.err,
          "mrelayctl with 64 clients connected: %r" % r)
    ok = refused = 0
    for i, s in enumerate(conns):
        try:
            s.sendall(h.REQ.pack(8, T["HELLO"], 0, 1) + HELLO)
        except OSError:
            pass
        buf = b""
        try:
            while len(buf) < h.RESP.size:
                chunk = s.recv(h.RESP.size - len(buf))
                if not chunk:
                    break
                buf += chunk
        except OSError:
            pass
        check_eq(len(buf), h.RESP.size, "connection %d: an answer" % i)
        ln, for_id, st = h.RESP.unpack(buf)
        if (for_id, st) == (1, 0):
            ok += 1
        elif (for_id, st, ln) == (0, E["EUSERS"], 0):
            refused += 1
        else:
            raise h.TestFailure("connection %d: for_id %d status %d"
                                % (i, for_id, st))
    for s in conns:
        s.close()
    check_eq((ok, refused), (MAX_CLIENTS - connected, 70 - MAX_CLIENTS +
                             connected),
             "70 connections with %d already connected: (HELLO ok, EUSERS)"
             % connected)
    time.sleep(0.3)
    r = d.ctl("stats")
    check_eq(r.rc, 0, "mrelayctl after the 70 closed")
    h.log("ok  70 connections at once (%d others connected): %d served, %d "
          "EUSERS; mrelayctl exit 3 meanwhile, 0 after" % (connected, ok,
                                                           refused))


def phase_no_reader(d, good):
    """Pipelines more than the output cap and never reads."""
    good.phase = "client not reading"
    c = raw(d, hello=True)
    resp = h.RESP.size + len(c.stats()) * h.STAT.size
    n = 2 * OUT_CAP // resp + 100
    c.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    t0 = time.monotonic()
    sent = [0]

    def writer():
        reqs = h.REQ.pack(0, T["STATS"], 0, 7) * 256
        try:
            while sent[0] < n:
                c.s.sendall(reqs)
                sent[0] += 256
        except OSError:
            pass            # disconnected by the daemon: expected

    w = threading.Thread(target=writer, daemon=True)
    w.start()
    mark = "output cap exceeded (not reading its responses); disconnected"
    while mark not in d.log() and time.monotonic() - t0 < 60:
        time.sleep(0.1)
    took = time.monotonic() - t0
    check(mark in d.log(), "the client that never reads is disconnected "
          "(%d requests sent)" % sent[0])
    w.join(10)
    c.close()
    h.log("ok  a client pipelining %d STATS (%d-byte answers) without reading "
          "is cut off at the %d MiB output cap after %.1f s"
          % (sent[0], resp, OUT_CAP >> 20, took))


def main():
    rng = random.Random(SEED)
    h.log("mrelayd %s\nmrelayctl %s\nseed %d" % (h.MRELAYD, h.MRELAYCTL, SEED))
    with h.Daemon("badreq") as d:
        d.ok("endpoint", "add", "gw1", "ip", "10.0.0.5", "port", "7400")
        d.ok("group", "add", "1")
        d.ok("group", "add", "2")
        for u in (11, 12, 13):
            d.ok("group", "member", "add", "1", u)
        state0 = d.export()
        good = GoodClient(d.sock)
        good.start()
        # stalled clients: dropped after STALL_S, checked at the end
        t_stall = time.monotonic()
        s_nohello = raw(d)
        s_header = raw(d, hello=True)
        s_header.s.sendall(h.REQ.pack(16, T["STATS"], 0, 5)[:6])
        s_body = raw(d, hello=True)
        s_body.s.sendall(h.REQ.pack(16, T["GROUP_SHOW"], 0, 5) + b"\0" * 3)
        s_idle = raw(d, hello=True)     # idle after HELLO: kept
        try:
            phase_protocol(d, good, rng)
            phase_truncated(d, good, rng)
            phase_fuzz(d, good, rng)
            phase_many(d, good, connected=5)
            phase_no_reader(d, good)
            good.phase = "waiting for the stall timeout"
            left = STALL_S + 3 - (time.monotonic() - t_stall)
            if left > 0:
                time.sleep(left)
            for name, c in (("no HELLO", s_nohello),
                            ("half a header", s_header),
                            ("half a body", s_body)):
                check(c.at_eof(5), "stalled client (%s) disconnected after "
                      "%d s" % (name, STALL_S))
            check(not s_idle.at_eof(0.5), "an idle client after HELLO is kept")
            check_eq(s_idle.stats()["workers"], 1, "the idle client is served")
            log = d.log()
            for mark in ("no HELLO in time", "request stalled"):
                check(mark in log, "log: '%s'" % mark)
            h.log("ok  stalled clients (no HELLO, half a header, half a body) "
                  "dropped after %d s; an idle client kept" % STALL_S)
        finally:
            good.stop = True
            good.join(15)
        check(good.error is None, "the good client failed: %s" % good.error)
        check(good.calls > 100, "good client calls: %d" % good.calls)
        check(good.max_lat < MAX_LATENCY, "good client's slowest call: %.3f s "
              "(during %s)" % (good.max_lat, good.worst_phase))
        h.log("ok  good client: %d calls, slowest %.1f ms (during %s)"
              % (good.calls, good.max_lat * 1000, good.worst_phase))
        check(d.alive(), "mrelayd alive")
        st = d.stats()
        check_eq(st["workers"], 1, "stats still served")
        check_eq(d.export(), state0, "state after all the abuse")
        check(st["ctl.errors"] > 1000, "ctl.errors counted: %d"
              % st["ctl.errors"])
        rc = d.stop()
        check_eq(rc, 0, "exit status on SIGTERM")
        h.log("ok  mrelayd alive, state unchanged, %d requests / %d refused "
              "counted, clean exit" % (st["ctl.requests"], st["ctl.errors"]))


if __name__ == "__main__":
    h.run(main, "test_badreq")
