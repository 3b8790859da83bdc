#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Sequence numbers across restarts (docs/protocol.md section 10,
controlplane/seqstate.c), on one state directory, run after run (each start
of mrelayd is one epoch):

 run 1  populate (net_null)
 run 2  5 MSGs to group 42, 3 in the direct chat 1001/1002 -> 1..5, 1..3;
        group show: next-seq 6; SIGTERM
 run 3  no traffic: group show 42 next-seq 6, group 43 (never used) 1
 run 4  two workers this time (the owners change): group 42 continues at
        6, the chat at 4; a retransmit of a run-2 message is a new message
        (the dedup window does not survive a restart): ACK without
        DUPLICATE, a new seq, delivered again; next-seq 9; SIGTERM
 run 5  3 MSGs (9, 10, 11), 2 to group 0 (1, 2), then kill -9
 run 6  the log says the last run did not stop cleanly and names the new
        floor, 6 << 40; group show 42, 43 and 0: next-seq (6 << 40) + 1;
        SIGTERM
 run 7  groups 42, 43 and 0 (id 0 is a valid group id; it was first used in
        run 5, so no number of it was saved), the chat and a new chat each
        continue at (6 << 40) + 1: strictly above every number given before
"""

import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relay_harness as rh  # noqa: E402
from relay_harness import check, check_eq, expect, log  # noqa: E402

GW = ("10.0.0.5", 7400, "02:00:00:00:00:05")
GROUP, USER = 1, 2
F_DUP = 0x01


def population():
    cmds = [["endpoint", "add", "gw1", "ip", GW[0], "port", GW[1], "mac",
             GW[2]]]
    for u in (1001, 1002, 1003):
        cmds += [["device", "add", u, 1, "endpoint", "gw1"],
                 ["device", "add", u, 2, "endpoint", "gw1"]]
    for g in (42, 43, 0):
        cmds.append(["group", "add", g])
        cmds += [["group", "member", "add", g, u]
                 for u in (1001, 1002, 1003)]
    return cmds


def pkt(f):
    return rh.udp_packet(rh.dgram([f]), GW[0], sport=GW[1], src_mac=GW[2])


def run_msgs(relay, msgs, workers=1, kill=False, expect_next=None):
    """Replay msgs (frame dicts) on a net_pcap port; returns
    {msg key: (ack seq, dup flag, sorted copy seqs)} in input order."""
    paths = []
    for q in range(workers):
        p = os.path.join(relay.dir, "in%d_%d.pcap" % (relay.runs + 1, q))
        rh.write_pcap(p, [pkt(f) for f in msgs] if q == 0 else [])
        paths.append(p)
    kw = {}
    if workers == 2:
        kw = dict(lcores=(1, 2), lcores_arg=("--lcores", "0@0,1@1,2@1"))
    got_next = {}

    def before_stop(r, st):
        for g in (expect_next or {}):
            got_next[g] = r.json("group", "show", g)["next_seq"]
        if kill:
            r.proc.send_signal(signal.SIGKILL)
            r.proc.wait()

    if kill:
        # replay() stops with SIGTERM and checks for exit 0; do it by hand
        vdev = "net_pcap0," + ",".join(
            ["rx_pcap=%s" % p for p in paths] +
            ["tx_pcap=%s" % os.path.join(relay.dir, "out%d_%d.pcap"
                                         % (relay.runs + 1, q))
             for q in range(workers)])
        relay.start([vdev], ["net_pcap0"], **kw)
        st = relay.wait_quiet(len(msgs))
        before_stop(relay, st)
        check_eq(relay.proc.returncode, -signal.SIGKILL, "kill -9")
        relay.kill()
        return st, None, got_next
    st, outs, _ = relay.replay(paths, len(msgs), before_stop=before_stop,
                               **kw)
    res = {}
    copies = {}
    for out in outs:
        frames, other = rh.relay_packets(out)
        check_eq(other, [], "non-mrelay output")
        for p, d, f in frames:
            key = (f["sender_user"], f["sender_device"], f["client_msg_id"])
            if f["type"] == "ACK":
                check(key not in res, "two ACKs for %s" % (key,))
                res[key] = (f["seq"], f["flags"] & F_DUP)
            elif f["type"] == "MSG":
                copies.setdefault(key, []).append(f["seq"])
            else:
                raise rh.h.TestFailure("unexpected %s" % f)
    out = []
    for f in msgs:
        key = (f["sender_user"], f["sender_device"], f["client_msg_id"])
        check(key in res, "no ACK for %s" % (key,))
        seq, dup = res[key]
        out.append((seq, dup, copies.get(key, [])))
    return st, out, got_next


def main():
    m = rh.msg
    relay = rh.Relay("restart")
    relay.populate(commands=population())                          # run 1
    nmembers_devs = 6

    # run 2
    a = [m(1001, 1, i, 42, payload=b"a%d" % i) for i in range(1, 6)]
    d = [m(1001, 1, 100, 1002, USER), m(1002, 2, 101, 1001, USER),
         m(1001, 2, 102, 1002, USER)]
    _, res, nxt = run_msgs(relay, a + d, expect_next=(42,))
    check_eq([(s, dup) for s, dup, _ in res],
             [(i, 0) for i in range(1, 6)] + [(1, 0), (2, 0), (3, 0)],
             "run 2: (seq, DUPLICATE) of the ACKs")
    for i, (s, _, cs) in enumerate(res[:5]):
        check_eq(cs, [s] * (nmembers_devs - 1), "run 2: copies of msg %d" % i)
    check_eq(nxt, {42: 6}, "run 2: group show next-seq before SIGTERM")
    check(re.search(r"saved the sequence numbers of 2 conversations",
                    relay.log()), "run 2: log: saved 2 conversations")
    seen = [s for s, _, _ in res]

    # run 3: no traffic
    relay.start(["net_null0,no-rx=1"], ["net_null0"])
    check_eq((relay.json("group", "show", 42)["next_seq"],
              relay.json("group", "show", 43)["next_seq"]), (6, 1),
             "run 3: next-seq of groups 42 and 43 after a clean stop")
    check_eq(relay.stop(), 0, "run 3: exit status")

    # run 4: two workers; continues; dedup window gone
    b = [m(1003, 1, 1, 42, payload=b"b1"), m(1002, 1, 1, 42, payload=b"b2"),
         m(1002, 1, 103, 1001, USER),
         dict(a[0], flags=0x02)]          # a run-2 message, retransmitted
    st, res, nxt = run_msgs(relay, b, workers=2, expect_next=(42,))
    check_eq([(s, dup) for s, dup, _ in res], [(6, 0), (7, 0), (4, 0),
                                               (8, 0)],
             "run 4: (seq, DUPLICATE): group 42 continues at 6, the chat at "
             "4, the retransmit of run 2's first message is new (8)")
    check_eq(res[3][2], [8] * (nmembers_devs - 1),
             "run 4: the retransmit is delivered again")
    check_eq(nxt, {42: 9}, "run 4: group show next-seq")
    check_eq(st["workers"], 2, "run 4: workers")
    seen += [s for s, _, _ in res]

    # run 5: crash after traffic
    # group 0 is used for the first time in the run that crashes: its
    # numbers 1 and 2 are nowhere in the state database
    c = [m(1001, 1, 200 + i, 42, payload=b"c") for i in range(3)] + \
        [m(1001, 1, 210, 1002, USER), m(1002, 1, 220, 0, payload=b"z1"),
         m(1002, 1, 221, 0, payload=b"z2")]
    run_msgs(relay, c, kill=True)
    seen += [9, 10, 11, 5, 1, 2]

    # run 6: the floor
    floor = 6 << 40
    relay.start(["net_null0,no-rx=1"], ["net_null0"])
    check("did not stop cleanly: new sequence numbers start above %d"
          % floor in relay.log(), "run 6: log line about the unclean stop "
          "and the floor %d:\n%s" % (floor, relay.log()[-1500:]))
    nxt = [relay.json("group", "show", g)["next_seq"] for g in (42, 43, 0)]
    expect(nxt == [floor + 1] * 3, "run 6: next-seq of groups 42, 43, 0 "
           "after kill -9: got %s, want %s" % (nxt, [floor + 1] * 3))
    check_eq(relay.stop(), 0, "run 6: exit status")

    # run 7: above everything before
    e = [m(1002, 2, 300, 42), m(1003, 2, 301, 43),
         m(1002, 1, 302, 1001, USER), m(1001, 2, 303, 1003, USER),
         m(1003, 1, 304, 0)]
    _, res, _ = run_msgs(relay, e)
    got = [(s, dup) for s, dup, _ in res]
    check_eq(got, [(floor + 1, 0)] * 5,
             "run 7: first numbers after a crash (group 42, group 43, the "
             "chat 1001/1002, a new chat, group 0)")
    check(min(s for s, _ in got) > max(seen), "run 7: not above %d"
          % max(seen))
    log("test_relay_restart: 7 runs on one state dir: group 42 1..5 | "
        "next-seq 6 | 6..8 (2 workers; retransmit re-delivered) | 9..11 "
        "then kill -9 | floor 6<<40 = %d | %d for groups and chats"
        % (floor, floor + 1))


if __name__ == "__main__":
    rh.run(main, "test_relay_restart")
