#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""mrelay-gen's verifier on a recording of the real relay, then on tampered
copies of it, with exact counts.

1. The workload is reproducible: the same seed writes the same capture and
   population byte for byte, another seed does not.
2. mrelayd loads the population (`mrelayctl import` of
   --write-population), then replays --write-pcap on net_pcap and records
   its answers.
3. --verify-pcap on the recording: pass, every message ACKed, every copy
   delivered once, and the counts agree with mrelayd's own counters.
4. Tampered recordings, each reported with exact counts and nothing else:
   one copy removed (lost 1), two copies of one device's conversation
   swapped (reordered 1), one copy duplicated (duplicated 1), the three at
   once (1, 1, 1), one ACK removed (ack_missing 1), one payload byte
   flipped (corrupt 1, and that copy lost 1), one copy sent to another
   endpoint (misrouted 1).
"""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_harness as g  # noqa: E402
from gen_harness import check, check_eq, log  # noqa: E402

N = 2000
MODEL = ["--seed", "7", "--groups", "30", "--members-zipf", "8,1.0",
         "--devices-per-user", "2", "--endpoints", "6",
         "--direct-share", "0.2", "--payload", "24-200", "--count", str(N)]

# every counter of a problem, by section of the JSON report
PROBLEMS = {
    "messages": ["rejected", "ack_missing", "ack_duplicate_flag",
                 "ack_extra", "ack_unexpected", "ack_mismatch"],
    "copies": ["lost", "duplicated", "reordered", "unexpected", "late",
               "corrupt", "mismatch", "seq_mismatch", "misrouted"],
}


def problems(rep):
    out = {}
    for sec, keys in PROBLEMS.items():
        for k in keys:
            if rep[sec][k]:
                out[k] = rep[sec][k]
    for k, v in rep["packets"]["rx_bad"].items():
        out["rx_bad." + k] = v
    return out


def verify(d, out_name, want_rc):
    return g.gen_json(*MODEL, "--verify-pcap", d.path(out_name),
                      "--sent-pcap", d.path("in.pcap"), want_rc=want_rc)


def reproducible(d):
    a, b, c = d.path("a.pcap"), d.path("b.pcap"), d.path("c.pcap")
    for path, seed in ((a, "7"), (b, "7"), (c, "8")):
        args = list(MODEL)
        args[1] = seed
        p = g.gen(*args, "--write-pcap", path, "--write-population",
                  path + ".jsonl")
        check(p.returncode == 0, "write: %r" % p.stderr)
    same = [open(x, "rb").read() for x in (a, b, a + ".jsonl",
                                           b + ".jsonl")]
    check(same[0] == same[1], "same seed, different captures")
    check(same[2] == same[3], "same seed, different populations")
    check(open(c, "rb").read() != same[0], "another seed, same capture")
    log("ok  reproducible: same seed, same bytes; another seed differs")


def record(d):
    """Load the population, replay the workload, return the output
    records and mrelayd's counters."""
    p = g.gen(*MODEL, "--write-pcap", d.path("in.pcap"),
              "--write-population", d.path("pop.jsonl"))
    check(p.returncode == 0, "write: %r" % p.stderr)
    g.empty_pcap(d.path("empty.pcap"))
    # run 1: only the population, on a port that receives nothing
    d.start(["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (d.path("empty.pcap"),
                                                  d.path("none.pcap"))])
    out = d.ctl("import", d.path("pop.jsonl")).stdout.decode()
    log("ok  population: %s" % out.strip())
    d.stop()
    # run 2: the workload in, the answers out
    d.start(["net_pcap0,rx_pcap=%s,tx_pcap=%s" % (d.path("in.pcap"),
                                                  d.path("out.pcap"))])
    deadline, last, st = time.monotonic() + 60, None, None
    while time.monotonic() < deadline:
        st = d.stats()
        now = (st["rx.pkts"], st["tx.pkts"])
        if st["rx.pkts"] == N and now == last:
            break
        last = now
        time.sleep(0.3)
    check(st["rx.pkts"] == N, "mrelayd received %d of %d" %
          (st["rx.pkts"], N))
    d.stop()
    _, recs = g.read_pcap(d.path("out.pcap"))
    check_eq(len(recs), st["tx.pkts"], "records in out.pcap")
    log("ok  recording: %d messages in, %d packets out (%d ACKs, %d "
        "copies)" % (N, len(recs), st["acks"], st["copies"]))
    return recs, st


def classify(recs):
    """Per record: ("copy", stream) | ("ack", None) | (None, None).
    A stream is (recipient user, device, conversation)."""
    out = []
    for _, _, data in recs:
        fr = g.frames(data)
        if len(fr) != 1:
            out.append((None, None))
            continue
        f = fr[0]
        if f["type"] == "MSG" and f["flags"] & 1:
            if f["dst_kind"] == 1:
                conv = ("g", f["dst_id"])
            else:
                conv = ("u",) + tuple(sorted((f["sender_user"],
                                              f["dst_id"])))
            out.append(("copy", (f["rcpt_user"], f["rcpt_device"], conv)))
        elif f["type"] == "ACK":
            out.append(("ack", None))
        else:
            out.append((None, None))
    return out


def streams(kinds):
    s = {}
    for i, (k, key) in enumerate(kinds):
        if k == "copy":
            s.setdefault(key, []).append(i)
    return s


def ip4_csum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def main():
    d = g.Daemon("rec", "net_pcap0")
    reproducible(d)
    recs, st = record(d)

    rep = verify(d, "out.pcap", 0)
    check_eq(rep["verdict"], "pass", "verdict of the untouched recording")
    check_eq(problems(rep), {}, "problems in the untouched recording")
    check_eq(rep["messages"]["sent"], N, "messages sent")
    check_eq(rep["messages"]["acked"], N, "messages acked")
    check_eq(rep["messages"]["acked"], st["acks"], "ACKs vs mrelayd")
    check_eq(rep["copies"]["delivered"], rep["copies"]["expected"],
             "copies delivered")
    check_eq(rep["copies"]["delivered"], st["copies"], "copies vs mrelayd")
    # the same verdict from --count alone (every message was sent)
    rep2 = g.gen_json(*MODEL, "--verify-pcap", d.path("out.pcap"),
                      want_rc=0)
    check_eq(rep2["copies"], rep["copies"], "--count instead of --sent-pcap")
    log("ok  untouched recording: pass, %d copies of %d messages"
        % (rep["copies"]["delivered"], N))

    kinds = classify(recs)
    s = streams(kinds)
    multi = [k for k, v in s.items() if len(v) >= 2]
    check(len(multi) >= 3, "need three streams with two copies or more")
    s_rm, s_swap, s_dup = multi[0], multi[1], multi[2]
    rm_at = s[s_rm][0]
    sw_a, sw_b = s[s_swap][0], s[s_swap][1]
    dup_at = s[s_dup][0]
    acks = [i for i, (k, _) in enumerate(kinds) if k == "ack"]

    def removed(r):
        return r[:rm_at] + r[rm_at + 1:]

    def swapped(r):
        r = list(r)
        r[sw_a], r[sw_b] = r[sw_b], r[sw_a]
        return r

    def duplicated(r):
        return r[:dup_at + 1] + [r[dup_at]] + r[dup_at + 1:]

    def no_ack(r):
        return r[:acks[10]] + r[acks[10] + 1:]

    def corrupted(r):
        sec, usec, data = r[dup_at]
        data = g.zero_udp_csum(data)
        data = data[:-1] + bytes([data[-1] ^ 0x5a])
        return r[:dup_at] + [(sec, usec, data)] + r[dup_at + 1:]

    def misrouted(r):
        sec, usec, data = r[sw_a]
        dst = bytearray(data)
        dst[33] = dst[33] % 6 + 1       # another of the 6 endpoints
        dst[24:26] = b"\0\0"
        dst[24:26] = struct.pack("!H", ip4_csum(bytes(dst[14:34])))
        dst = g.zero_udp_csum(bytes(dst))
        return r[:sw_a] + [(sec, usec, dst)] + r[sw_a + 1:]

    def combined(r):
        out = []
        for i, rec in enumerate(swapped(r)):
            if i == rm_at:
                continue
            out.append(rec)
            if i == dup_at:
                out.append(rec)
        return out

    hdr, _ = g.read_pcap(d.path("out.pcap"))
    cases = [
        ("one copy removed", removed, {"lost": 1}),
        ("two copies swapped", swapped, {"reordered": 1}),
        ("one copy duplicated", duplicated, {"duplicated": 1}),
        ("removed, swapped and duplicated", combined,
         {"lost": 1, "reordered": 1, "duplicated": 1}),
        ("one ACK removed", no_ack, {"ack_missing": 1}),
        ("one payload byte flipped", corrupted, {"corrupt": 1, "lost": 1}),
        ("one copy to another endpoint", misrouted, {"misrouted": 1}),
    ]
    for name, edit, want in cases:
        r = edit(recs)
        fname = "tampered.pcap"
        g.write_pcap(d.path(fname), hdr, r)
        rep = verify(d, fname, 1)
        check_eq(rep["verdict"], "fail", "verdict: %s" % name)
        check_eq(problems(rep), want, "problems: %s" % name)
        log("ok  %s: %s" % (name, ", ".join("%s %d" % kv for kv in
                                              sorted(want.items()))))


if __name__ == "__main__":
    g.run(main, "test_gen_recording")
