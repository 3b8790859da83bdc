#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Latency through memif at half the maximum rate (issue 5's target: p99 at
most 20 microseconds).

mrelayd (memif server, lcores 0-1) and mrelay-gen (memif client, lcore 0),
set up exactly as tests/integration/test_gen_memif.py does. First mrelay-gen
runs closed-loop (--rate 0) to find the highest rate the pair sustains with a
clean verdict; then at half that rate for --seconds, and the latency
percentiles of every copy (payload timestamp to receive, both on this
machine's TSC) are reported. Prints a Markdown section; with --doc FILE it
replaces "## Latency through memif" in FILE.

    scripts/bench-latency.py [--build build] [--seconds 10] [--doc docs/performance.md]
"""
import argparse
import datetime
import json
import os
import platform
import re
import select
import signal
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = ["--seed", "11", "--groups", "50", "--members", "3",
         "--devices-per-user", "1", "--endpoints", "8", "--payload", "64"]


def gen_run(g, d, sock, extra, seconds):
    errpath = d.path("gen.err")
    with open(errpath, "wb") as err:
        gp = g.spawn([g.MRELAY_GEN, "-l", "0", "--file-prefix",
                      g.prefix("lat"), "--in-memory", "--no-pci",
                      "--log-level", "lib.eal:warning", "--vdev",
                      "net_memif0,role=client,socket=%s,socket-abstract=no,"
                      "rsize=14,mac=%s" % (sock, g.GEN_MAC), "--"] + MODEL +
                     extra + ["--duration", str(seconds), "--deadline-ms",
                              "5000", "--send", "--hold", "--json"],
                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=err)
    ready, _, _ = select.select([gp.stdout], [], [], seconds + 120)
    line = gp.stdout.readline() if ready else b""
    return gp, json.loads(line) if line else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--doc")
    a = ap.parse_args()
    os.environ.setdefault("MRELAYD", os.path.join(a.build, "controlplane/mrelayd"))
    os.environ.setdefault("MRELAYCTL", os.path.join(a.build, "controlplane/mrelayctl"))
    os.environ.setdefault("MRELAY_GEN", os.path.join(a.build, "dataplane/gen/mrelay-gen"))
    sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
    import gen_harness as g

    rows = []
    for phase in ("max", "half"):
        d = g.Daemon("lat", "net_memif0")
        sock = d.path("memif.sock")
        pop = d.path("pop.jsonl")
        g.gen(*MODEL, "--count", "1", "--write-population", pop)
        d.start(["net_memif0,role=server,socket=%s,socket-abstract=no,"
                 "rsize=14" % sock])
        d.ctl("import", pop)
        if phase == "max":
            gp, rep = gen_run(g, d, sock, ["--rate", "0"], 5)
        else:
            gp, rep = gen_run(g, d, sock, ["--rate", str(half)], a.seconds)
        st = d.stats()
        d.stop()
        gp.send_signal(signal.SIGTERM)
        g.reap(gp, 30)
        if rep is None:
            sys.exit("bench-latency: no report from mrelay-gen (%s)" % phase)
        drops = {k[5:]: v for k, v in st.items()
                 if k.startswith("drop.") and v}
        rows.append((phase, rep, drops))
        if phase == "max":
            half = int(rep["rates"]["ingress_msgs_per_s"] / 2)

    now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    load = open("/proc/loadavg").read().split()[:3]
    out = ["## Latency through memif", "",
           "Measured by `scripts/bench-latency.py` on %s, %d vCPUs (%s), load "
           "average %s; mrelayd (memif server, worker on lcore 1) and "
           "mrelay-gen (memif client, lcore 0, sharing CPU 0 with mrelayd's "
           "mostly idle control thread). Groups of 3 members, one device "
           "each, 64 B payloads. Latency: the send timestamp mrelay-gen "
           "puts in the payload to the receive of each copy, both on this "
           "machine's TSC." % (now, os.cpu_count(), platform.processor() or
                               platform.machine(), " ".join(load)), "",
           "| run | offered msgs/s | msgs/s | copies/s | p50 us | p99 us | "
           "p99.9 us | max us | verdict | relay drops by reason |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for phase, rep, drops in rows:
        lat = rep["latency_ns"]
        out.append("| %s | %s | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f | %s "
                   "| %s |" % ("closed loop (max)" if phase == "max" else
                               "half of max", "max" if phase == "max" else
                               str(half), rep["rates"]["ingress_msgs_per_s"],
                               rep["rates"]["egress_copies_per_s"],
                               lat["p50"] / 1e3, lat["p99"] / 1e3,
                               lat["p99_9"] / 1e3, lat["max"] / 1e3,
                               rep["verdict"], ", ".join(
                                   "%s %d" % kv for kv in sorted(drops.items()))
                               or "none"))
    p99 = rows[1][1]["latency_ns"]["p99"] / 1e3
    out += ["", "Target: p99 at most 20 us at half the maximum rate: %s "
            "(p99 %.1f us)." % ("met" if p99 <= 20 else "**not met**", p99),
            ""]
    text = "\n".join(out)
    print(text)
    if a.doc:
        doc = open(a.doc).read()
        pat = re.compile(r"^## Latency through memif\n.*?(?=^## |\Z)",
                         re.S | re.M)
        doc = pat.sub(text + "\n", doc) if pat.search(doc) else \
            doc.rstrip("\n") + "\n\n" + text
        open(a.doc, "w").write(doc)


if __name__ == "__main__":
    main()
