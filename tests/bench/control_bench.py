#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Control-plane benchmark of mrelayd (not a test: it measures).

Runs real mrelayd processes (tests/integration/mrelayd_harness.py) whose
worker polls a net_null port at full load the whole time, and measures:

 A. membership changes per second through the control socket
    - single: one membership per MEMBER_SET, request/answer in turn;
    - batched: 10,000 per request, (group, user) pairs spread at random
      over 1000 groups; adds into an empty table up to 1M, then role
      changes, deletes and re-adds at 1M;
    with the worker's RX rate during each phase against an idle phase,
    and the deltas of every drop.* / rx.nombuf / rx.missed counter;
 B. `mrelayctl import` of a 1M-membership JSON lines file (records/s);
 C. the same for 10M memberships (--sizes 1M,10M);
 and the memory per membership at 1M and 10M (tables.bytes, process RSS,
 hugepages), and the restore time (process start to control socket
 ready) of the 1M and 10M states.

Each daemon's limits are sized for its population, as an operator would
(max_users, max_groups and max_memberships a little above what is
loaded).

  control_bench.py [--sizes 1M,10M] [--markdown FILE] [--workdir DIR]

Prints a log, and the Markdown section for docs/performance.md to FILE (or
stdout). scripts/bench-control.sh runs it and updates the document.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import mrelayd_harness as h  # noqa: E402

# The client (this process, mrelayctl) runs on CPU 0 with the control
# plane, mrelayd's worker alone on CPU 1, as on an appliance whose worker
# cores are isolated: otherwise the scheduler puts the client on the
# worker's core and the RX rate measures the client, not mrelayd.
CLIENT_CPUS = {0}
DAEMON_CPUS = {0, 1}
GROUP_SIZE = 1000
USERS_PER_MEMBERSHIP = 0.2      # each user is in 5 groups on average
BATCH = 10000


def mix64(x):
    """splitmix64: index -> a 64-bit user id that looks random."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def population(n, rng, first_group=1):
    """n memberships: n / 1000 groups of 1000 distinct users drawn from a
    pool of n / 5 users. Yields (group, user) group by group."""
    ngroups = n // GROUP_SIZE
    pool = int(n * USERS_PER_MEMBERSHIP)
    for g in range(first_group, first_group + ngroups):
        for i in rng.sample(range(pool), GROUP_SIZE):
            yield g, mix64(i)


def limits_for(n):
    ngroups = n // GROUP_SIZE
    users = int(n * USERS_PER_MEMBERSHIP)
    return dict(max_users=users + users // 4 + 1024,
                max_groups=ngroups + ngroups // 4 + 16,
                max_group_members=GROUP_SIZE * 4,
                max_memberships=n + n // 4, max_endpoints=64,
                max_devices_per_user=4, max_subscriptions=1024,
                dedup_window=65536, max_conversations=65536)


OTHERS = [0]            # most other DPDK processes seen during a phase


def wchar(d):
    """Bytes mrelayd passed to write()/pwrite() so far (WAL, checkpoints)."""
    with open("/proc/%d/io" % d.proc.pid) as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


class Watch:
    """Counters around a phase: worker RX rate, drop counters, bytes
    written by mrelayd."""

    def __init__(self, d, c):
        self.d, self.c = d, c
        OTHERS[0] = max(OTHERS[0], other_dpdk())
        self.w0 = wchar(d)
        self.t0 = time.monotonic()
        self.s0 = c.stats()

    def end(self):
        s1 = self.c.stats()
        t1 = time.monotonic()
        dt = t1 - self.t0
        rx = s1["worker0.rx.pkts"] - self.s0["worker0.rx.pkts"]
        moved = {k: s1[k] - self.s0[k] for k in s1
                 if (k.startswith("drop.") or k.endswith("rx.nombuf") or
                     k.endswith("rx.missed")) and s1[k] != self.s0[k]}
        OTHERS[0] = max(OTHERS[0], other_dpdk())
        return dict(seconds=dt, rx_pps=rx / dt, rx=rx, moved=moved,
                    stats=s1, written=wchar(self.d) - self.w0)


def drops_ok(w):
    """Only the null frames' own reason moved, by every received packet."""
    other = {k: v for k, v in w["moved"].items()
             if k != "drop.ethertype_unsupported"}
    eth = w["moved"].get("drop.ethertype_unsupported", 0)
    return (not other and abs(eth - w["rx"]) <= max(1e-3 * w["rx"], 4096),
            other)


def mpps(x):
    return "%.1f" % (x / 1e6)


def rate(x):
    return "{:,.0f}".format(x)


def mem(d):
    return dict(rss=d.status("VmRSS") * 1024, hwm=d.status("VmHWM") * 1024,
                huge=d.status("HugetlbPages") * 1024)


def kib(x):
    return "%.1f KiB" % (x / 1024) if x >= 1024 else "%.0f B" % x


def mib(x):
    return "%.1f MiB" % (x / 2**20)


def members_body(pairs, role=0):
    return b"".join(h.MEMBER.pack(g, u, role) for g, u in pairs)


def timed_batches(c, bodies, kind):
    t0 = time.monotonic()
    worst = 0.0
    for b in bodies:
        t = time.monotonic()
        st, _ = c.call(h.T[kind], b)
        worst = max(worst, time.monotonic() - t)
        if st != 0:
            raise h.TestFailure("%s batch refused: %d" % (kind, st))
    return time.monotonic() - t0, worst


# ------------------------------------------------------------------ phases

def bench_updates(res, rng, n):
    d = h.Daemon("bench-upd", limits=limits_for(n + 20000), cpus=DAEMON_CPUS)
    c = h.RawClient(d.sock, timeout=120)
    groups = n // GROUP_SIZE
    for g0 in range(1, groups + 1, 1000):
        st = c.group_set([(g, 0, 0) for g in range(g0, min(g0 + 1000,
                                                            groups + 1))])
        assert st == 0, st
    time.sleep(1)
    w = Watch(d, c)
    time.sleep(3)
    idle = w.end()
    res["idle_rx_pps"] = idle["rx_pps"]
    res["idle_drops"] = drops_ok(idle)
    h.log("idle: worker RX %s Mpps" % mpps(idle["rx_pps"]))
    res["mem_empty"] = mem(d)
    res["tables_bytes_empty"] = idle["stats"]["tables.bytes"]

    # single: 2000 new memberships, one request each, into the empty table
    singles = [(1 + rng.randrange(groups), mix64(10**9 + i))
               for i in range(2000)]
    w = Watch(d, c)
    t0 = time.monotonic()
    worst = 0.0
    for g, u in singles:
        t = time.monotonic()
        st = c.member_set([(g, u, 0)])
        worst = max(worst, time.monotonic() - t)
        assert st == 0, st
    dt = time.monotonic() - t0
    ph = w.end()
    res["single"] = dict(n=len(singles), rate=len(singles) / dt, worst=worst,
                         rx_pps=ph["rx_pps"], drops=drops_ok(ph),
                         written=ph["written"])
    h.log("single: %s changes/s (slowest %.1f ms), worker RX %s Mpps"
          % (rate(len(singles) / dt), worst * 1e3, mpps(ph["rx_pps"])))
    st = c.member_set([(g, u, 0) for g, u in singles], delete=True)
    assert st == 0, st

    # batched adds: 1M pairs at random over 1000 groups, 10k a request
    pairs = list(population(n, rng))
    rng.shuffle(pairs)
    bodies = [members_body(pairs[i:i + BATCH])
              for i in range(0, len(pairs), BATCH)]
    w = Watch(d, c)
    dt, worst = timed_batches(c, bodies, "MEMBER_SET")
    ph = w.end()
    res["batch_add"] = dict(n=n, rate=n / dt, worst=worst, rx_pps=ph["rx_pps"],
                            drops=drops_ok(ph), seconds=dt,
                            written=ph["written"])
    h.log("batched adds 0 -> %s: %s changes/s (%.1f s, slowest request "
          "%.0f ms), worker RX %s Mpps" % (human(n), rate(n / dt), dt, worst * 1e3,
                                            mpps(ph["rx_pps"])))
    st = c.stats()
    assert st["tables.memberships"] == n, st["tables.memberships"]

    # churn at 1M: role changes, deletes, re-adds of 200k random members,
    # spread (random order: a batch touches every group) and grouped (the
    # same members sorted by group: a batch touches ~50 groups)
    sample = rng.sample(pairs, n // 5)
    grouped = sorted(sample)
    for name, kind, role, seq in (
            ("batch_role", "MEMBER_SET", 1, sample),
            ("batch_role_g", "MEMBER_SET", 2, grouped),
            ("batch_del", "MEMBER_DEL", 0, sample),
            ("batch_readd", "MEMBER_SET", 0, sample),
            ("batch_del_g", "MEMBER_DEL", 0, grouped),
            ("batch_readd_g", "MEMBER_SET", 0, grouped)):
        bodies = [members_body(seq[i:i + BATCH], role)
                  for i in range(0, len(seq), BATCH)]
        w = Watch(d, c)
        dt, worst = timed_batches(c, bodies, kind)
        ph = w.end()
        res[name] = dict(n=len(seq), rate=len(seq) / dt, worst=worst,
                         rx_pps=ph["rx_pps"], drops=drops_ok(ph), seconds=dt,
                         written=ph["written"])
        h.log("%s at %s: %s changes/s (slowest %.0f ms), worker RX %s Mpps"
              % (name, human(n), rate(len(seq) / dt), worst * 1e3,
                 mpps(ph["rx_pps"])))

    # single at 1M
    w = Watch(d, c)
    t0 = time.monotonic()
    for g, u in singles[:1000]:
        assert c.member_set([(g, u, 2)]) == 0
    dt = time.monotonic() - t0
    ph = w.end()
    res["single_1m"] = dict(n=1000, rate=1000 / dt, rx_pps=ph["rx_pps"],
                            drops=drops_ok(ph), written=ph["written"])
    h.log("single at %s: %s changes/s, worker RX %s Mpps"
          % (human(n), rate(1000 / dt), mpps(ph["rx_pps"])))
    st = c.member_set([(g, u, 0) for g, u in singles[:1000]], delete=True)
    assert st == 0
    time.sleep(1)
    s = c.stats()
    res["updates_n"] = n
    res["mem_1m"] = mem(d)
    res["tables_bytes_1m"] = s["tables.bytes"]
    res["memberships_1m"] = s["tables.memberships"]
    res["users_1m"] = s["tables.users"]
    c.close()
    rc = d.stop()
    assert rc == 0, rc
    res["mbuf_lines"] = re.findall(r"worker \d+: \d+ of \d+ mbufs back in "
                                     r"\S+", d.log())
    d.start()
    res["restore_1m"] = d.ready_s
    res["load_updates"] = os.getloadavg()
    res["other_dpdk"] = OTHERS[0]
    time.sleep(1)
    res["mem_1m_restored"] = mem(d)
    res["tables_bytes_1m_restored"] = d.stats()["tables.bytes"]
    h.log("%s: restore %.2f s; RSS %s -> %s (after restore %s); hugepages %s"
          % (human(n), d.ready_s, mib(res["mem_empty"]["rss"]), mib(res["mem_1m"]["rss"]),
             mib(res["mem_1m_restored"]["rss"]), mib(res["mem_1m"]["huge"])))
    d.stop()

    # grouped adds 0 -> n: each request is 10 whole groups of 1000
    d = h.Daemon("bench-upd-g", limits=limits_for(n), cpus=DAEMON_CPUS)
    c = h.RawClient(d.sock, timeout=120)
    for g0 in range(1, groups + 1, 1000):
        assert c.group_set([(g, 0, 0) for g in
                            range(g0, min(g0 + 1000, groups + 1))]) == 0
    pairs.sort()
    bodies = [members_body(pairs[i:i + BATCH])
              for i in range(0, len(pairs), BATCH)]
    w = Watch(d, c)
    dt, worst = timed_batches(c, bodies, "MEMBER_SET")
    ph = w.end()
    res["batch_add_g"] = dict(n=n, rate=n / dt, worst=worst,
                              rx_pps=ph["rx_pps"], drops=drops_ok(ph),
                              seconds=dt, written=ph["written"])
    h.log("batched adds 0 -> %s, grouped: %s changes/s (slowest %.0f ms), "
          "worker RX %s Mpps" % (human(n), rate(n / dt), worst * 1e3,
                                 mpps(ph["rx_pps"])))
    c.close()
    assert d.stop() == 0


def write_file(path, n, rng):
    t0 = time.monotonic()
    groups = n // GROUP_SIZE
    with open(path, "w") as f:
        for g in range(1, groups + 1):
            f.write('{"kind":"group","id":%d,"policy":"everyone",'
                    '"max_members":0}\n' % g)
        buf = []
        for g, u in population(n, rng):
            buf.append('{"kind":"member","group":%d,"user":%d,"role":"member"}\n'
                       % (g, u))
            if len(buf) >= 100000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))
    return groups + n, os.path.getsize(path), time.monotonic() - t0


def bench_import(res, n, label, rng, workdir):
    path = os.path.join(workdir, "members-%s.jsonl" % label)
    lines, size, gen = write_file(path, n, rng)
    h.log("%s: wrote %s lines (%s) in %.0f s" % (label, rate(lines), mib(size),
                                                 gen))
    d = h.Daemon("bench-imp-" + label, limits=limits_for(n), cpus=DAEMON_CPUS)
    c = h.RawClient(d.sock, timeout=120)
    time.sleep(1)
    m0 = mem(d)
    tb0 = c.stats()["tables.bytes"]
    w = Watch(d, c)
    t0 = time.monotonic()
    p = subprocess.run([h.MRELAYCTL, "-s", d.sock, "import", path],
                       capture_output=True, timeout=7200)
    dt = time.monotonic() - t0
    ph = w.end()
    load = os.getloadavg()
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode() == "imported %d records\n" % lines, p.stdout
    time.sleep(1)
    s = c.stats()
    assert s["tables.memberships"] == n
    r = dict(n=n, lines=lines, size=size, seconds=dt, rate=lines / dt,
             rx_pps=ph["rx_pps"], drops=drops_ok(ph), mem0=m0, mem1=mem(d),
             tb0=tb0, tb1=s["tables.bytes"], users=s["tables.users"],
             groups=s["tables.groups"], load=load)
    h.log("%s import: %s records/s (%.1f s), worker RX %s Mpps; RSS %s -> %s,"
          " hugepages %s, tables.bytes %s" % (label, rate(r["rate"]), dt,
                                              mpps(ph["rx_pps"]),
                                              mib(m0["rss"]), mib(r["mem1"]["rss"]),
                                              mib(r["mem1"]["huge"]),
                                              mib(r["tb1"])))
    c.close()
    assert d.stop() == 0
    r["db"] = sum(os.path.getsize(os.path.join(d.state_dir, f))
                  for f in os.listdir(d.state_dir))
    d.start(wait=True)
    r["restore"] = d.ready_s
    time.sleep(1)
    r["mem_restored"] = mem(d)
    r["tb_restored"] = d.stats()["tables.bytes"]
    h.log("%s restore: %.2f s to socket ready; RSS %s" % (
        label, d.ready_s, mib(r["mem_restored"]["rss"])))
    d.stop()
    # the empty daemon with the same limits, for the baseline after restore
    os.unlink(path)
    res["import_" + label] = r


# ---------------------------------------------------------------- report

def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mt = int(f.readline().split()[1])
    dpdk = subprocess.run(["pkg-config", "--modversion", "libdpdk"],
                          capture_output=True).stdout.decode().strip()
    return "%d vCPUs, %s, %.0f GiB RAM, Linux %s, DPDK %s" % (
        os.cpu_count(), cpu, mt / 2**20, os.uname().release, dpdk)


def yes(ok):
    return "**met**" if ok else "**not met**"


SPREAD = ("batch_add", "batch_role", "batch_del", "batch_readd")
GROUPED = ("batch_add_g", "batch_role_g", "batch_del_g", "batch_readd_g")


def wrange(res, keys):
    v = [res[k]["written"] / res[k]["n"] for k in keys]
    return "%s to %s" % (kib(min(v)), kib(max(v)))


def report(res, sizes, cmd):
    out = []
    w = out.append
    w("## Control plane")
    w("")
    w("Measured %s on %s." % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                              machine()))
    w("")
    w("Command: `%s` (runs `tests/bench/control_bench.py`; mrelayd and "
      "mrelayctl from `%s`)." % (cmd, os.path.relpath(
          os.path.dirname(os.path.dirname(h.MRELAYD)), h.REPO)))
    w("")
    w("Setup: one mrelayd, EAL `-l 0-1 --in-memory --no-pci --vdev "
      "net_null0`, one worker on lcore 1 polling net_null0 (RX on, so the "
      "worker runs at full load the whole time: every null frame is "
      "received, parsed and dropped as `ethertype_unsupported`), the "
      "control plane on lcore 0. The client is a raw control-socket client "
      "(Python, one connection, one request at a time) except for import, "
      "which is `mrelayctl import`. State on the local disk (virtio), "
      "SQLite WAL with synchronous=FULL: every acknowledged request has "
      "been fsync'ed. Memberships: groups of 1000 distinct users drawn "
      "from a pool of one user per 5 memberships, 64-bit random-looking "
      "user ids; limits sized for the population.")
    w("")
    w("### Membership changes through the socket")
    w("")
    w("| phase | changes | changes/s | slowest request | written per change | worker RX, Mpps (idle: %s) | drop counters |"
      % mpps(res["idle_rx_pps"]))
    w("|---|---:|---:|---:|---:|---:|---|")

    def drop_txt(r):
        ok, other = r["drops"]
        return "only ethertype_unsupported (= RX)" if ok else \
            "**moved: %s**" % other

    N = human(res["updates_n"])
    rows = [("single, empty table (1 per request)", "single"),
            ("batched adds 0 -> %s, spread" % N, "batch_add"),
            ("batched adds 0 -> %s, grouped (another daemon)" % N,
             "batch_add_g"),
            ("batched role changes at %s, spread" % N, "batch_role"),
            ("batched role changes at %s, grouped" % N, "batch_role_g"),
            ("batched deletes at %s, spread" % N, "batch_del"),
            ("batched re-adds at %s, spread" % N, "batch_readd"),
            ("batched deletes at %s, grouped" % N, "batch_del_g"),
            ("batched re-adds at %s, grouped" % N, "batch_readd_g"),
            ("single at %s (1 per request)" % N, "single_1m")]
    for label, k in rows:
        r = res[k]
        w("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, rate(r["n"]), rate(r["rate"]),
            "%.0f ms" % (r["worst"] * 1e3) if "worst" in r else "-",
            kib(r["written"] / r["n"]), mpps(r["rx_pps"]), drop_txt(r)))
    w("")
    w("Batched: 10,000 memberships a request. *Spread*: (group, user) pairs "
      "in random order over the 1000 groups, so every request touches "
      "every group; *grouped*: the same kind of change sorted by group, so "
      "a request touches 10-50 groups (the shape of a bulk load or of an "
      "import file). Load average of the machine during these phases: "
      "%.1f, %.1f, %.1f (1, 5, 15 min, at their end)." % res["load_updates"])
    if res["other_dpdk"]:
        w("")
        w("**Caveat:** up to %d other DPDK process(es) (other people's work "
          "on this shared machine) were running during these phases, most "
          "polling lcore 1 like our worker: the worker's RX rate is then "
          "the share of CPU 1 it got, which moves with them, and the "
          "changes/s move with the load too. Read the rows against each "
          "other, and rerun on a quiet machine for absolute figures."
          % res["other_dpdk"])
    w("")
    spread = min(res[k]["rate"] for k in SPREAD)
    grp = min(res[k]["rate"] for k in GROUPED)
    rx_worst = min(res[k]["rx_pps"] for _, k in rows)
    w("Target >= 100,000 membership changes/s batched with the worker at "
      "full load: grouped %s (slowest grouped phase %s/s); spread %s "
      "(slowest spread phase %s/s). The worker's RX rate during updates "
      "was at least %.0f%% of its idle rate; no drop counter other than the "
      "null frames' own moved, and rx.nombuf / rx.missed stayed 0%s. "
      "Single changes are bounded by one fsync per request. "
      "\"Written per change\" is what mrelayd passed to write() (SQLite's "
      "WAL and its checkpoints into state.db) divided by the changes: "
      "SQLite writes every B-tree page a transaction dirties, whole, so a "
      "spread request of 10,000 random (group, user) keys, which dirties "
      "leaf pages all over the member table, writes more per change (here "
      "%s) than a grouped one (%s), and more so as the table grows. That "
      "is where the spread rate goes: a profile taken by hand (perf record "
      "-e cpu-clock -g on the control thread during spread adds at 1M, "
      "2026-12-03) showed about 80%% of its time in SQLite and in the "
      "kernel's write path, about 10%% in the table update and the RCU "
      "wait."
      % (yes(grp >= 100000), rate(grp), yes(spread >= 100000),
         rate(spread), 100 * rx_worst / res["idle_rx_pps"],
         "" if all(res[k]["drops"][0] for _, k in rows) else
         " **except as marked**", wrange(res, SPREAD), wrange(res, GROUPED)))
    w("")
    w("Clean stop after these phases: %s." % "; ".join(res["mbuf_lines"]))
    w("")
    w("### Bulk import (`mrelayctl import`, 10,000 records a request)")
    w("")
    w("| file | records | size | seconds | records/s | worker RX, Mpps | state dir after stop |")
    w("|---|---:|---:|---:|---:|---:|---:|")
    for label in sizes:
        r = res.get("import_" + label)
        if r is None:
            continue
        w("| %s memberships + %s groups | %s | %s | %.1f | %s | %s | %s |" % (
            label, rate(r["groups"]), rate(r["lines"]), mib(r["size"]),
            r["seconds"], rate(r["rate"]), mpps(r["rx_pps"]), mib(r["db"])))
    w("")
    w("The file is grouped (a group's 1000 members on consecutive lines). "
      "mrelayctl parses the whole file once before sending anything, then "
      "again while sending, and waits for each answer before it parses the "
      "next batch: its own parsing (jansson) costs about 2 s per million "
      "lines and pass on this machine, so the import rate is below the "
      "daemon's grouped rate above. Load average at the end of each "
      "import: %s." % "; ".join(
          "%s: %.1f, %.1f, %.1f" % ((l,) + res["import_" + l]["load"])
          for l in sizes if "import_" + l in res))
    w("")
    w("### Memory per membership and restore time")
    w("")
    w("`tables.bytes` is mrelayd's own count of the dataplane's routing "
      "structures (member arrays at 4 bytes a membership, group headers, "
      "devices, and the per-user arrays, which are sized by `max_users`, "
      "not by the users present); it leaves out the rte_hash tables of "
      "users and groups, which live in hugepages, allocated at start for "
      "`max_users` / `max_groups` and shown in the hugepages column. RSS "
      "is the process's resident memory outside hugepages (the tables' "
      "heap part, SQLite's page cache of at most 32 MiB, malloc slack).")
    w("")
    w("| population | users | tables.bytes | per membership | RSS: empty -> loaded (restarted) | RSS delta per membership | hugepages | restore (start -> socket ready) |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    pm = []

    def mrow(label, n, users, tb, m0, m1, mr, restore):
        per = tb / n
        pm.append(per)
        w("| %s | %s | %s | %.1f B | %s -> %s (%s) | %.1f B (%.1f B) | %s | %.2f s |"
          % (label, rate(users), mib(tb), per, mib(m0["rss"]), mib(m1["rss"]),
             mib(mr["rss"]), (m1["rss"] - m0["rss"]) / n,
             (mr["rss"] - m0["rss"]) / n, mib(m1["huge"]), restore))

    mrow("%s (batched updates)" % human(res["updates_n"]),
         res["memberships_1m"], res["users_1m"],
         res["tables_bytes_1m"], res["mem_empty"], res["mem_1m"],
         res["mem_1m_restored"], res["restore_1m"])
    for label in sizes:
        r = res.get("import_" + label)
        if r is not None:
            mrow("%s (import)" % label, r["n"], r["users"], r["tb1"],
                 r["mem0"], r["mem1"], r["mem_restored"], r["restore"])
    w("")
    full = ["%.1f B at %s" % ((r["tb1"] + r["mem1"]["huge"] -
                               res["huge_base"]) / r["n"], l)
            for l, r in ((l, res.get("import_" + l)) for l in sizes)
            if r is not None]
    w("Target <= 32 bytes per membership in the dataplane's tables: %s "
      "by mrelayd's own count (tables.bytes / memberships: %s). Counting "
      "also the users and groups hash tables (hugepages above a daemon "
      "with the smallest limits, %s), a membership costs %s: users are "
      "the larger part, at one user per 5 memberships here."
      % (yes(max(pm) <= 32), ", ".join("%.1f B" % x for x in pm),
         mib(res["huge_base"]), ", ".join(full)))
    w("")
    w("The machine has %.0f GiB of RAM and 2 GiB of hugepages reserved; the "
      "largest run peaked at %s RSS (VmHWM) and %s of hugepages."
      % (h_total_gib(), mib(max(r["mem1"]["hwm"] for r in
                                (res.get("import_" + l) for l in sizes)
                                if r is not None)),
         mib(max(r["mem1"]["huge"] for r in
                 (res.get("import_" + l) for l in sizes) if r is not None))))
    return "\n".join(out) + "\n"


def other_dpdk():
    """Other processes with an EAL --file-prefix (they poll cores too)."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"--file-prefix" in argv:
            i = argv.index(b"--file-prefix")
            if i + 1 < len(argv) and not argv[i + 1].startswith(b"mrit%d_"
                                                                 % os.getpid()):
                n += 1
    return n


def human(n):
    return "%gM" % (n / 1e6)


def h_total_gib():
    with open("/proc/meminfo") as f:
        return int(f.readline().split()[1]) / 2**20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1M,10M",
                    help="import populations, in millions")
    ap.add_argument("--updates", type=int, default=1000000,
                    help="population built by batched updates")
    ap.add_argument("--markdown")
    ap.add_argument("--workdir", default="/var/tmp")
    ap.add_argument("--command", default="tests/bench/control_bench.py")
    a = ap.parse_args()
    sizes = [s.strip() for s in a.sizes.split(",") if s.strip()]
    rng = random.Random(20260103)
    h.log("mrelayd %s\nmrelayctl %s\nhugepages free: %d"
          % (h.MRELAYD, h.MRELAYCTL, h.hugepages_free()))
    os.sched_setaffinity(0, CLIENT_CPUS)
    res = {}
    try:
        # hugepages of a daemon with the smallest tables: mempools, rings,
        # EAL; what a population-sized daemon has above it is its tables
        d = h.Daemon("bench-base", cpus=DAEMON_CPUS)
        time.sleep(1)
        res["huge_base"] = mem(d)["huge"]
        d.stop()
        bench_updates(res, rng, a.updates)
        for label in sizes:
            n = int(float(label.rstrip("M")) * 1000000)
            bench_import(res, n, label, rng, a.workdir)
    finally:
        h._cleanup()
    md = report(res, sizes, a.command)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(md)
    else:
        print(md)


if __name__ == "__main__":
    main()
