#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Ordering with two workers.

mrelayd runs two workers (lcores 1 and 2, with --lcores 0@0,1@1,2@1: the
main lcore on CPU 0, both workers sharing CPU 1, so they interleave at
random) on one net_pcap port with two queue pairs:
--vdev net_pcap0,rx_pcap=a.pcap,rx_pcap=b.pcap,tx_pcap=o1.pcap,tx_pcap=o2.pcap
(the PMD gives one RX queue per rx_pcap and one TX queue per tx_pcap;
worker i polls RX queue i and sends on TX queue i).

a.pcap and b.pcap interleave messages of several groups and direct chats
from many senders, so both workers receive frames of every conversation
and hand them to its owner; some messages are also retransmitted through
the other queue. Asserted:

- for every conversation, the sequence numbers given (ACKs without
  DUPLICATE) are exactly 1..N, no gap, no duplicate, across both outputs;
- every message is accepted once: its retransmit gets an ACK with
  DUPLICATE and the same seq and relay_ts, and it is delivered once; or,
  the one refusal allowed, REJECT OVERLOADED with seq 0 and no copy: a
  pcap replays at an unbounded rate, and an owner whose fan-out FIFO (256
  messages) is full refuses (drop.fanout_queue_full == reject.overloaded ==
  the REJECTs in the captures; typically 0-10% of the messages here);
- each ACK's seq and relay_ts are those of the message's copies, and the
  copies reach exactly the expected devices;
- all ACKs and copies of one conversation leave through one TX queue (its
  owner's), and the copies to any one endpoint appear in that capture in
  sequence order;
- handover.out == handover.in > 0; worker0/1 rx.pkts are the sizes of
  a.pcap and b.pcap; nothing dropped or refused; every mbuf back.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import relay_harness as rh  # noqa: E402
from relay_harness import check, check_eq, log  # noqa: E402

SEED = int(os.environ.get("MRELAY_ORDER_SEED", "7401"))
NMSG = int(os.environ.get("MRELAY_ORDER_MSGS", "3000"))
NRETX = 100
GROUP, USER = 1, 2
F_RETRANSMIT, F_DUP = 0x02, 0x01
REJ_OVERLOADED = 10

ENDPOINTS = {
    "gw0": ("10.0.1.1", 7400, "02:00:00:00:01:01", 0),
    "gw1": ("10.0.1.2", 7401, "02:00:00:00:01:02", 0),
    "gw2": ("10.0.1.3", 7402, "02:00:00:00:01:03", 10),
    "gw3": ("2001:db8::103", 7403, "02:00:00:00:01:04", 0),
}


def population(rng):
    devices = {}
    for u in range(1, 301):
        devices[u] = [(d, rng.choice(list(ENDPOINTS)))
                      for d in range(1, rng.choice((1, 1, 2, 2, 3)) + 1)]
    groups = {}
    for g in range(10, 18):
        users = rng.sample(range(1, 301), rng.randrange(5, 41))
        groups[g] = {u: rng.choice(("member", "admin")) for u in users}
    recs = []
    for name, (ip, port, mac, vlan) in ENDPOINTS.items():
        recs.append('{"kind":"endpoint","name":"%s","ip":"%s","port":%d,'
                    '"vlan":%d,"port_id":0,"mac":"%s"}'
                    % (name, ip, port, vlan, mac))
    for u, devs in devices.items():
        for d, ep in devs:
            recs.append('{"kind":"device","user":%d,"device":%d,'
                        '"endpoint":"%s"}' % (u, d, ep))
    for g, mem in groups.items():
        recs.append('{"kind":"group","id":%d,"policy":"everyone",'
                    '"max_members":0}' % g)
        for u, role in mem.items():
            recs.append('{"kind":"member","group":%d,"user":%d,"role":"%s"}'
                        % (g, u, role))
    return devices, groups, recs


def conv_of(f):
    if f["dst_kind"] == GROUP:
        return ("g", f["dst_id"])
    return ("p",) + tuple(sorted((f["sender_user"], f["dst_id"])))


def main():
    rng = random.Random(SEED)
    devices, groups, recs = population(rng)

    def recipients(f):
        me = (f["sender_user"], f["sender_device"])
        users = (list(groups[f["dst_id"]]) if f["dst_kind"] == GROUP
                 else [f["dst_id"], f["sender_user"]])
        return sorted((u, d) for u in dict.fromkeys(users)
                      for d, _ in devices[u] if (u, d) != me)

    # messages: 70% to a group the sender belongs to, 30% direct
    next_id = {}
    msgs = []
    for i in range(NMSG):
        if rng.random() < 0.7:
            g = rng.choice(list(groups))
            u = rng.choice(list(groups[g]))
            dst, kind = g, GROUP
        else:
            u, dst = rng.sample(range(1, 21), 2)    # 190 busy pairs
            kind = USER
        d = rng.choice(devices[u])[0]
        mid = next_id.get((u, d), 1)
        next_id[(u, d)] = mid + 1
        msgs.append(rh.msg(u, d, mid, dst, kind,
                           payload=b"%d:" % i + bytes(rng.randrange(40))))
    # each message enters through a random queue; some again (retransmit)
    # through the other one
    src = {"gw0": ("10.0.1.1", 7400, "02:00:00:00:01:01", ())}
    ip, sport, mac, vl = src["gw0"]
    files = ([], [])
    qof = []
    for f in msgs:
        q = rng.randrange(2)
        qof.append(q)
        files[q].append(rh.udp_packet(rh.dgram([f]), ip, sport=sport,
                                      src_mac=mac))
    retx = set(rng.sample(range(NMSG), NRETX))
    for i in sorted(retx):
        q = 1 - qof[i]
        pos = rng.randrange(len(files[q]) + 1)
        files[q].insert(pos, rh.udp_packet(
            rh.dgram([dict(msgs[i], flags=F_RETRANSMIT)]), ip, sport=sport,
            src_mac=mac))

    relay = rh.Relay("order", lcores=(1, 2), mbufs=16383, hdr_mbufs=16383,
                     cache=128)
    relay.populate(records=recs, lcores=(1,))
    paths = []
    for i, fr in enumerate(files):
        p = os.path.join(relay.dir, "in%d.pcap" % i)
        rh.write_pcap(p, fr)
        paths.append(p)
    n_in = len(files[0]) + len(files[1])
    st, outs, (t0, t1) = relay.replay(
        paths, n_in, lcores_arg=("--lcores", "0@0,1@1,2@1"), timeout=300)
    rh.check_mbufs_back(relay, 2)
    check_eq(st["workers"], 2, "workers")
    check_eq((st["worker0.rx.pkts"], st["worker1.rx.pkts"]),
             (len(files[0]), len(files[1])),
             "packets received by worker 0 and 1 (one RX queue per rx_pcap)")
    check_eq((st["worker0.tx.pkts"], st["worker1.tx.pkts"]),
             (len(outs[0]), len(outs[1])),
             "packets sent by worker 0 and 1 vs the two TX captures (one TX "
             "queue per tx_pcap)")

    # walk both captures
    acks = {}          # msg key -> [(seq, ts, dup, queue)]
    copies = {}        # msg key -> [(rcpt, seq, ts, queue)]
    conv_q = {}        # conversation -> set of TX queues
    ep_last = {}       # (queue, endpoint addr, conversation) -> last seq
    rejects = {}       # msg key -> [queue]
    for q, out in enumerate(outs):
        frames, other = rh.relay_packets(out)
        check_eq(len(other), 0, "capture %d: packets other than mrelay" % q)
        for p, d, f in frames:
            key = (f["sender_user"], f["sender_device"], f["client_msg_id"],
                   f["dst_kind"], f["dst_id"])
            c = conv_of(f)
            check(p["udp"]["csum_ok"], "capture %d: %s: UDP checksum"
                  % (q, f["type"]))
            if f["type"] == "ACK":
                conv_q.setdefault(c, set()).add(q)
                acks.setdefault(key, []).append(
                    (f["seq"], f["relay_ts"], f["flags"] & F_DUP, q))
            elif f["type"] == "MSG":
                conv_q.setdefault(c, set()).add(q)
                copies.setdefault(key, []).append(
                    ((f["rcpt_user"], f["rcpt_device"]), f["seq"],
                     f["relay_ts"], q))
                k = (q, p["ip"]["dst"], p["udp"]["dport"], c)
                check(f["seq"] >= ep_last.get(k, 0),
                      "capture %d: to %s:%d, %s seq %d after seq %d"
                      % (q, k[1], k[2], c, f["seq"], ep_last.get(k, 0)))
                ep_last[k] = f["seq"]
            elif f["type"] == "REJECT":
                # the one refusal allowed: a pcap replays at an unbounded
                # rate, and a worker whose fan-out FIFO is full refuses
                # with OVERLOADED (drop.fanout_queue_full); no seq is used
                check_eq((f["reason"], f["seq"]), (REJ_OVERLOADED, 0),
                         "capture %d: REJECT %s: (reason, seq)" % (q, f))
                rejects.setdefault(key, []).append(q)
            else:
                raise rh.h.TestFailure("capture %d: unexpected %s frame %s"
                                       % (q, f["type"], f))

    # every message: accepted once (one ACK, a DUPLICATE ACK for its
    # retransmit, one delivery), or refused OVERLOADED every time it came
    seqs = {}
    nrej = nrefused = 0
    for i, f in enumerate(msgs):
        key = (f["sender_user"], f["sender_device"], f["client_msg_id"],
               f["dst_kind"], f["dst_id"])
        a = sorted(acks.get(key, []), key=lambda x: x[2])
        r = rejects.get(key, [])
        sent = 2 if i in retx else 1
        nrej += len(r)
        check_eq(len(a) + len(r), sent, "answers to %s (ACKs %s, REJECTs %s)"
                 % (key, a, r))
        cs = copies.get(key, [])
        if not a:
            nrefused += 1
            check_eq(cs, [], "copies of %s, refused" % (key,))
            continue
        check_eq([x[2] for x in a], [0, 1][:len(a)],
                 "DUPLICATE flags of the ACKs of %s" % (key,))
        seq, ts = a[0][0], a[0][1]
        if len(a) == 2:
            check_eq((a[1][0], a[1][1]), (seq, ts),
                     "%s: the DUPLICATE ACK's (seq, relay_ts)" % (key,))
        check(t0 <= ts <= t1, "%s: relay_ts outside the test window" % (key,))
        check_eq(sorted(x[0] for x in cs), recipients(f),
                 "recipients of %s" % (key,))
        for rcpt, cseq, cts, q in cs:
            check_eq((cseq, cts), (seq, ts),
                     "%s: copy for %s (seq, relay_ts) vs the ACK's"
                     % (key, rcpt))
        seqs.setdefault(conv_of(f), []).append(seq)
    nacks = sum(len(v) for v in acks.values())
    ndup = sum(1 for v in acks.values() for x in v if x[2])
    check_eq(nacks + nrej, NMSG + NRETX, "ACKs + REJECTs")

    for c, s in seqs.items():
        check_eq(sorted(s), list(range(1, len(s) + 1)),
                 "sequence numbers of %s (%d messages)" % (c, len(s)))
    for c, qs in conv_q.items():
        check_eq(len(qs), 1, "%s: ACKs and copies left through TX queues %s,"
                 " not only through its owner's" % (c, sorted(qs)))
    owners = [sum(1 for qs in conv_q.values() if q in qs) for q in (0, 1)]
    check(owners[0] > 0 and owners[1] > 0,
          "conversations owned by worker 0 / 1: %s" % owners)

    ncopies = sum(len(v) for v in copies.values())
    want = {"acks": nacks, "acks.duplicate": ndup,
            "copies": ncopies, "rx.pkts": n_in,
            "tx.pkts": len(outs[0]) + len(outs[1]),
            "frames.msg": n_in, "reject.overloaded": nrej,
            "drop.fanout_queue_full": nrej}
    for k, v in st.items():
        if k.startswith("drop.") or k.startswith("reject."):
            want.setdefault(k, 0)
    bad = {k: (st.get(k), v) for k, v in want.items() if st.get(k) != v}
    check(not bad, "stats, {name: (got, want)}: %s" % bad)
    check(st["handover.out"] > 0 and st["handover.out"] == st["handover.in"],
          "handover.out %d, handover.in %d" % (st["handover.out"],
                                               st["handover.in"]))
    log("test_relay_order: %d + %d packets in on 2 queues, %d + %d out; %d "
        "messages (%d retransmitted through the other queue) in %d "
        "conversations (owned %d / %d), %d accepted, %d refused OVERLOADED "
        "(%d REJECTs, fan-out FIFO full), %d copies; handover %d, fan-out "
        "yields %d; seed %d"
        % (len(files[0]), len(files[1]), len(outs[0]), len(outs[1]), NMSG,
           NRETX, len(seqs), owners[0], owners[1], NMSG - nrefused, nrefused,
           nrej, ncopies, st["handover.out"], st["fanout.yields"], SEED))


if __name__ == "__main__":
    rh.run(main, "test_relay_order")
