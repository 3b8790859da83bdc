#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""mrelay-gen drives a real mrelayd over memif and the verdict is clean.

mrelayd is the memif server (lcores 0-1: control plane on 0, the worker on
1); mrelay-gen the client on lcore 0 alone, where mrelayd's main lcore
mostly sleeps in epoll. Both use --in-memory and their own --file-prefix;
the memif socket is a file in the test's directory (socket-abstract=no), and
its rings hold 16384 packets (rsize=14) so that a peer descheduled for tens
of milliseconds on this shared 2-CPU machine does not overflow them.

20,000 messages/s for 5 s, small groups (3 members, one device each), 10%
direct, 5% of the copies answered with a receipt. Asserted: pass, every
message ACKed, every copy and receipt copy delivered once, in order,
intact, no loss, and mrelayd's own counters agree (ACKs, copies, receipt
copies, no drop counter).

Shutdown order (the memif quirk in /work/shared/ENV.md): mrelay-gen stops
sending, prints its report and holds its port open without polling it
(--hold); then mrelayd stops (its worker stops polling before the port
closes); then mrelay-gen is told to exit.
"""

import json
import os
import select
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_harness as g  # noqa: E402
from gen_harness import check, check_eq, log  # noqa: E402

RATE = 20000
SECONDS = 5
MODEL = ["--seed", "11", "--groups", "50", "--members", "3",
         "--devices-per-user", "1", "--endpoints", "8",
         "--direct-share", "0.1", "--receipt-share", "0.05",
         "--payload", "64-256"]


def main():
    d = g.Daemon("memif", "net_memif0")
    sock = d.path("memif.sock")
    pop = d.path("pop.jsonl")
    p = g.gen(*MODEL, "--count", "1", "--write-population", pop)
    check(p.returncode == 0, "write-population: %r" % p.stderr)
    d.start(["net_memif0,role=server,socket=%s,socket-abstract=no,rsize=14"
             % sock])
    log("ok  mrelayd: %s" % d.ctl("import", pop).stdout.decode().strip())

    errpath = d.path("gen.err")
    with open(errpath, "wb") as err:
        gp = g.spawn([g.MRELAY_GEN, "-l", "0", "--file-prefix",
                      g.prefix("gen"), "--in-memory", "--no-pci",
                      "--log-level", "lib.eal:warning", "--vdev",
                      "net_memif0,role=client,socket=%s,socket-abstract=no,"
                      "rsize=14,mac=%s" % (sock, g.GEN_MAC), "--"] + MODEL +
                     ["--rate", str(RATE), "--duration", str(SECONDS),
                      "--deadline-ms", "5000", "--send", "--hold", "--json",
                      "--progress"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=err)
    ready, _, _ = select.select([gp.stdout], [], [], SECONDS + 90)
    line = gp.stdout.readline() if ready else b""
    with open(errpath, "rb") as f:
        errtext = f.read().decode(errors="replace")
    check(line, "no report from mrelay-gen (rc %r):\n%s"
          % (gp.poll(), errtext[-3000:]))
    rep = json.loads(line)
    st = d.stats()
    d.stop()
    gp.send_signal(signal.SIGTERM)
    rc = g.reap(gp, 30)
    log(errtext.strip())

    m, c, r = rep["messages"], rep["copies"], rep["receipts"]
    lat = rep["latency_ns"]
    log("report: %d msgs at %.0f/s, %d copies at %.0f/s, %d receipt "
        "copies, latency p50 %.1f us p99 %.1f us p99.9 %.1f us max %.1f us"
        % (m["sent"], rep["rates"]["ingress_msgs_per_s"], c["delivered"],
           rep["rates"]["egress_copies_per_s"], r["delivered"],
           lat["p50"] / 1e3, lat["p99"] / 1e3, lat["p99_9"] / 1e3,
           lat["max"] / 1e3))
    check_eq(rep["verdict"], "pass", "verdict (%s)" % line.decode())
    check_eq(rc, 0, "mrelay-gen exit status")
    check_eq(m["sent"], RATE * SECONDS, "messages sent")
    check_eq(m["acked"], m["sent"], "messages acked")
    for k in ("rejected", "ack_missing", "ack_extra", "ack_duplicate_flag"):
        check_eq(m[k], 0, "messages." + k)
    check_eq(c["delivered"], c["expected"], "copies delivered")
    for k in ("lost", "duplicated", "reordered", "corrupt", "unexpected",
              "late", "misrouted", "seq_mismatch", "mismatch"):
        check_eq(c[k], 0, "copies." + k)
    check(r["sent"] > 0, "no receipts were sent")
    check_eq(r["delivered"], r["expected"], "receipt copies delivered")
    check(rep["rates"]["ingress_msgs_per_s"] > 0.95 * RATE,
          "ingress %.0f msgs/s, asked for %d" %
          (rep["rates"]["ingress_msgs_per_s"], RATE))
    # mrelayd's side of the story
    check_eq(st["acks"], m["sent"], "mrelayd acks")
    check_eq(st["copies"], c["delivered"], "mrelayd copies")
    check_eq(st["receipts"], r["expected"], "mrelayd receipt copies")
    drops = {k: v for k, v in st.items()
             if k.startswith("drop.") and v != 0}
    check_eq(drops, {}, "mrelayd drop counters")
    log("ok  %d messages, %d copies, %d receipt copies: none lost, "
        "duplicated or reordered" % (m["sent"], c["delivered"],
                                     r["delivered"]))


if __name__ == "__main__":
    g.run(main, "test_gen_memif")
