#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Crash consistency of mrelayd under kill -9.

A writer streams MEMBER_SET batches over the control socket (a raw client:
mrelayctl per batch would be slower than the commits) and records a batch
as acknowledged only once its status-0 answer is in. Batch b adds K(b)
users (ids b * 10^4 + j) to two groups at once, so it spans two member
arrays and must still be all or nothing; K is 1..100, and every 40th batch
has 5000 users (a longer transaction). The daemon is killed with SIGKILL at
a random moment (sometimes while it is still starting and restoring),
restarted on the same state directory, and the state is read back with
`mrelayctl export`:

  - every acknowledged batch is there, completely;
  - every batch is either complete or absent (the one in flight may be
    either), and never changes its mind at a later restart;
  - nothing of a batch that was never sent exists;
  - tables.memberships and the "restored" log line agree with the export.

ITERATIONS (default 10, $MRELAY_CRASH_ITERS) and the seed (printed;
$MRELAY_CRASH_SEED) make a run repeatable.
"""

import json
import os
import random
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mrelayd_harness as h  # noqa: E402
from mrelayd_harness import check, check_eq  # noqa: E402

ITERATIONS = int(os.environ.get("MRELAY_CRASH_ITERS", "10"))
SEED = int(os.environ.get("MRELAY_CRASH_SEED", "1234567"))
NGROUPS = 8
CAP = 250       # batches per iteration at most; then the writer idles
ROLES = ("member", "admin", "read-only")


def batch_size(b):
    return 5000 if b % 40 == 0 else 1 + (b * 7919) % 100


# limits that hold every batch the run can write
_users = sum(batch_size(b) for b in range(1, ITERATIONS * CAP + 2))
LIMITS = dict(max_users=_users + 1024, max_groups=64,
              max_group_members=_users + 1024, max_memberships=2 * _users + 1024)


def batch_records(b):
    """(group, user, role) of batch b: K users in two groups."""
    g1 = 1 + b % NGROUPS
    g2 = 1 + (b + 3) % NGROUPS
    out = []
    for j in range(batch_size(b)):
        u = b * 10000 + j
        out.append((g1, u, (b + j) % 3))
        out.append((g2, u, (b + j + 1) % 3))
    return out


class Writer(threading.Thread):
    def __init__(self, sock, first):
        super().__init__(daemon=True)
        self.sock = sock
        self.next = first
        self.first = first
        self.acked = []
        self.sent = None        # last batch sent (maybe not acknowledged)
        self.error = None
        self.ended = None

    def run(self):
        try:
            c = h.RawClient(self.sock, timeout=30)
        except Exception as e:
            self.ended = "connect: %r" % e
            return
        while self.next < self.first + CAP:
            b = self.next
            try:
                self.sent = b
                st = c.member_set(batch_records(b))
            except Exception as e:      # the daemon died under us
                self.ended = repr(e)
                return
            if st != 0:
                self.error = "batch %d refused: %d" % (b, st)
                return
            self.acked.append(b)
            self.next = b + 1
        self.ended = "cap of %d batches reached" % CAP
        c.s.settimeout(None)    # idle, connected, until mrelayd dies
        try:
            c.s.recv(1)
        except OSError:
            pass


def read_state(d):
    """{batch: number of its records present with the right role}."""
    text = d.export()
    want_role = {}
    present = {}
    nmem = 0
    for line in text.splitlines():
        r = json.loads(line)
        if r["kind"] != "member":
            continue
        nmem += 1
        g, u = r["group"], r["user"]
        b = u // 10000
        if b not in want_role:
            want_role[b] = {(x[0], x[1]): x[2] for x in batch_records(b)}
        role = want_role[b].get((g, u))
        check(role is not None, "a member no batch wrote: %r" % r)
        check_eq(r["role"], ROLES[role], "role of %r" % r)
        present[b] = present.get(b, 0) + 1
    return present, nmem


def main():
    rng = random.Random(SEED)
    h.log("mrelayd %s\nmrelayctl %s\nseed %d, %d iterations (set "
          "MRELAY_CRASH_SEED / MRELAY_CRASH_ITERS to repeat or extend)"
          % (h.MRELAYD, h.MRELAYCTL, SEED, ITERATIONS))
    d = h.Daemon("crash", limits=LIMITS)
    for g in range(1, NGROUPS + 1):
        d.ok("group", "add", g)
    known_present, known_absent = set(), set()
    next_batch = 1
    total_acked = 0
    kills_in_start = 0
    inflight_present = 0
    try:
        for it in range(ITERATIONS):
            if it > 0 and rng.random() < 0.25:
                # kill while it starts: EAL init, opening and restoring
                d.kill()            # idle since the check: kill -9 too
                d.start(wait=False)
                time.sleep(rng.uniform(0.0, 0.15))
                d.proc.send_signal(signal.SIGKILL)
                d.proc.wait()
                d.kill()
                kills_in_start += 1
                h.log("     kill -9 during start-up")
                d.start()
            w = Writer(d.sock, next_batch)
            w.start()
            delay = rng.uniform(0.05, 2.0)
            time.sleep(delay)
            d.proc.send_signal(signal.SIGKILL)
            rc = d.proc.wait()
            w.join(30)
            d.kill()
            check_eq(rc, -signal.SIGKILL, "exit status after kill -9")
            check(not w.is_alive(), "the writer stopped")
            check(w.error is None, "writer: %s" % w.error)
            acked = set(w.acked)
            sent_max = w.sent if w.sent is not None else next_batch - 1
            in_flight = sent_max if sent_max not in acked else None
            total_acked += len(acked)

            d.start()
            present, nmem = read_state(d)
            st = d.stats()
            check_eq(st["tables.memberships"], nmem,
                     "tables.memberships vs export")
            m = re.search(r"restored \d+ endpoints, \d+ devices, (\d+) groups, "
                          r"(\d+) memberships", d.log())
            check(m is not None and int(m.group(1)) == NGROUPS and
                  int(m.group(2)) == nmem, "restored line: %r"
                  % (m and m.group(0)))
            for b, n in present.items():
                check(b <= sent_max, "batch %d was never sent but %d of its "
                      "records exist" % (b, n))
                check_eq(n, 2 * batch_size(b), "records of batch %d "
                         "(all or nothing)" % b)
            for b in acked | known_present:
                check(b in present, "acknowledged batch %d is missing" % b)
            for b in known_absent:
                check(b not in present, "batch %d, absent after an earlier "
                      "crash, is back" % b)
            for b in range(next_batch, sent_max + 1):
                if b not in acked:
                    check_eq(b, in_flight, "batch %d unacknowledged" % b)
            if in_flight is not None:
                inflight_present += in_flight in present
                (known_present if in_flight in present
                 else known_absent).add(in_flight)
            known_present |= acked
            h.log("%2d: killed after %.2f s: batches %d..%d acknowledged "
                  "(%d), in flight: %s -> %s; %d memberships, restart %.2f s"
                  % (it, delay, next_batch, sent_max, len(acked),
                     in_flight if in_flight is not None else "none",
                     "present" if in_flight in present else "absent",
                     nmem, d.ready_s))
            next_batch = sent_max + 1
        check(total_acked > 0, "some batches were acknowledged")
        check_eq(d.stop(), 0, "final SIGTERM exit status")
    finally:
        d.kill()
    h.log("test_crash: %d kills (%d during start-up), %d batches "
          "acknowledged and all present; in-flight batches: %d present, "
          "%d absent; no partial batch" % (ITERATIONS + kills_in_start,
                                           kills_in_start, total_acked,
                                           inflight_present,
                                           len(known_absent)))


if __name__ == "__main__":
    h.run(main, "test_crash")
