#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""DPDK telemetry: the stock dpdk-telemetry.py client reads mrelayd's
/mrelay/* commands, and they agree with mrelayctl stats.

A daemon on net_null (RX on: the worker counts every null frame as
ethertype_unsupported) with a small population; /mrelay/tables must give
the exact sizes, /mrelay/drops the same reason names as mrelayctl, and
/mrelay/stats and /mrelay/workers,0 counters that only grow between two
reads and stay within what mrelayctl reported around them.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mrelayd_harness as h  # noqa: E402

CLIENT = shutil.which("dpdk-telemetry.py") or "/usr/bin/dpdk-telemetry.py"


def telemetry(prefix, *cmds):
    """Answers of dpdk-telemetry.py to cmds, by command."""
    p = subprocess.run(["/usr/bin/python3", CLIENT, "-f", prefix],
                       input="\n".join(cmds) + "\n", capture_output=True,
                       text=True, timeout=30)
    h.check_eq(p.returncode, 0, "dpdk-telemetry.py exit status")
    # one JSON object a command, in order, keyed by the command without
    # its parameter
    answers = [json.loads(line) for line in p.stdout.splitlines()
               if line.strip().startswith("{")]
    h.check_eq(len(answers), len(cmds), "telemetry answers")
    out = {}
    for c, a in zip(cmds, answers):
        key = c.split(",")[0]
        h.check(key in a, "no answer to %s in %r" % (c, a))
        out[c] = a[key]
    return out


def main():
    with h.Daemon("tel") as d:
        d.ok("endpoint", "add", "gw1", "ip", "10.0.0.5", "port", "7400",
             "mac", "02:00:00:00:00:05")
        for u, dev in ((1001, 1), (1001, 2), (1002, 1)):
            d.ok("device", "add", str(u), str(dev), "endpoint", "gw1")
        d.ok("group", "add", "42")
        d.ok("group", "member", "add", "42", "1001")
        d.ok("group", "member", "add", "42", "1002")

        before = d.stats()
        t = telemetry(d.prefix, "/mrelay/tables", "/mrelay/stats",
                      "/mrelay/drops", "/mrelay/workers",
                      "/mrelay/workers,0")
        after = d.stats()

        h.check_eq(t["/mrelay/tables"]["endpoints"], 1, "tables.endpoints")
        h.check_eq(t["/mrelay/tables"]["users"], 2, "tables.users")
        h.check_eq(t["/mrelay/tables"]["devices"], 3, "tables.devices")
        h.check_eq(t["/mrelay/tables"]["groups"], 1, "tables.groups")
        h.check_eq(t["/mrelay/tables"]["memberships"], 2,
                   "tables.memberships")
        h.check_eq(t["/mrelay/workers"], [0], "/mrelay/workers")
        h.check_eq(t["/mrelay/workers,0"]["lcore"], 1, "worker 0 lcore")

        drops = t["/mrelay/drops"]
        names = {k[5:] for k in before if k.startswith("drop.")}
        h.check_eq(set(drops), names, "drop reason names, telemetry vs "
                   "mrelayctl")
        for key in ("rx.pkts", "loops"):
            # telemetry spells the "." of counter names "_"
            v = t["/mrelay/stats"][key.replace(".", "_")]
            h.check(before[key] <= v <= after[key],
                    "/mrelay/stats %s %d not between mrelayctl's %d and %d"
                    % (key, v, before[key], after[key]))
        v = drops["ethertype_unsupported"]
        h.check(before["drop.ethertype_unsupported"] <= v <=
                after["drop.ethertype_unsupported"] and v > 0,
                "ethertype_unsupported %d vs mrelayctl %d..%d" %
                (v, before["drop.ethertype_unsupported"],
                 after["drop.ethertype_unsupported"]))
        h.check_eq(t["/mrelay/workers,0"]["copies"], 0, "worker 0 copies")
        h.check_eq(set(t["/mrelay/workers,0"]) - {"lcore"},
                   set(k.replace(".", "_") for k in t["/mrelay/stats"]) -
                   {"workers", "ctl_requests", "ctl_errors"},
                   "worker 0 counters vs the totals' names")
        h.log("test_telemetry: %d telemetry counters, %d drop reasons, rx.pkts "
              "%d" % (len(t["/mrelay/stats"]), len(drops),
                      t["/mrelay/stats"]["rx_pkts"]))


if __name__ == "__main__":
    h.run(main, "test_telemetry")
