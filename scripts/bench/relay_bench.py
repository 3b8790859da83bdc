# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""The relay throughput benchmark behind scripts/bench-relay.sh.

One run, on the same virtual devices, one forwarding lcore (1), main lcore 0:

1. dpdk-testpmd ceilings: io from a net_pcap infinite_rx capture of 100 B
   UDP to a net_null no-rx sink; io from the relay's own fan-out 1 / 64 B
   capture (same input cost as mrelayd's); txonly 64 B to net_null.
2. mrelayd, fan-out x payload: input net_pcap0 (rx_pcap, infinite_rx; with
   no tx_pcap/tx_iface the pcap PMD gives the port a TX queue that counts
   and frees, so ACKs leave there and cost what a real TX would), copies to
   endpoints on net_null0 (no-rx, role egress). The population is imported
   into a first mrelayd on net_null, the bench daemons restart on its state
   directory. Rates come from two `mrelayctl --json stats` samples.
3. optionally DPDK's ipv4_multicast sample at fan-out 3 (needs a one-line
   patch to start on net_null/net_pcap, see bench-relay.sh).
4. perf record -e cpu-clock -g on the worker thread for one case (every
   build), and a --call-graph dwarf profile of the same case on a build
   with debug info, split by stage and kind of work (perf_stages.py).

Every DPDK process gets its own --file-prefix, --in-memory and --no-pci, and
is killed when this script ends, however it ends. A case whose worker thread
got less than MIN_SHARE of its core (the machine is shared) is measured again,
at most --retries times; the run with the largest share is kept.

Run through scripts/bench-relay.sh, which builds what this needs.
"""
import argparse
import atexit
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import relay_workload as wl  # noqa: E402

RUNTIME_DIR = "/var/run/dpdk"
WORKER_COMMS = ("rte-worker-1", "lcore-worker-1")
MIN_SHARE = 0.90
FANOUTS = (1, 8, 64, 1024)
PAYLOADS = (64, 512, 1400)
LIMITS = dict(max_endpoints=256, max_users=8192, max_devices_per_user=4,
              max_groups=64, max_group_members=2048, max_memberships=8192,
              max_payload=9000, dedup_window=1024, max_conversations=1024,
              max_subscriptions=64)

_procs = []
_tag = "mrb%d" % os.getpid()
_seq = [0]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def prefix(name):
    _seq[0] += 1
    return "%s_%d_%s" % (_tag, _seq[0], name)


# ------------------------------------------------------------- processes

class Proc:
    """A DPDK process with its own file prefix; killed at exit."""

    def __init__(self, argv, logpath, pfx):
        self.prefix = pfx
        self.logpath = logpath
        self.logf = open(logpath, "wb")
        self.argv = argv
        # SIGTERM everywhere: SIGINT is ignored by programs started in the
        # background of a non-interactive shell
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=self.logf, stderr=subprocess.STDOUT)
        _procs.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=30):
        """SIGTERM, then SIGKILL after timeout. Returns the exit status."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                log("  %s did not stop within %d s: SIGKILL"
                    % (os.path.basename(self.argv[0]), timeout))
                self.p.kill()
                self.p.wait()
        self._closed()
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self._closed()

    def _closed(self):
        if not self.logf.closed:
            self.logf.close()
        shutil.rmtree(os.path.join(RUNTIME_DIR, self.prefix),
                      ignore_errors=True)
        if self in _procs:
            _procs.remove(self)

    def log(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode("utf-8", "replace")


def _cleanup():
    for p in list(_procs):
        p.kill()


def _on_signal(sig, frame):
    raise SystemExit(128 + sig)


atexit.register(_cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


def eal(pfx, vdevs, lcores="0-1"):
    a = ["-l", lcores, "--file-prefix", pfx, "--in-memory", "--no-pci"]
    for v in vdevs:
        a += ["--vdev", v]
    return a


def worker_tid(pid, timeout=10):
    """The thread of lcore 1 (DPDK names it rte-worker-1 in 22.11)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for t in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                    if f.read().strip() in WORKER_COMMS:
                        return int(t)
        except OSError:
            pass
        time.sleep(0.05)
    return None


def run_ns(pid, tid):
    """CPU time of a thread in ns (schedstat), None if unknown."""
    try:
        with open("/proc/%d/task/%d/schedstat" % (pid, tid)) as f:
            return int(f.read().split()[0])
    except (OSError, TypeError, ValueError):
        return None


class CpuShare:
    """How much of the wall time a thread was on a CPU."""

    def __init__(self, pid, tid):
        self.pid, self.tid = pid, tid
        self.t0, self.r0 = time.monotonic(), run_ns(pid, tid)

    def share(self):
        t1, r1 = time.monotonic(), run_ns(self.pid, self.tid)
        if self.r0 is None or r1 is None:
            return None
        return (r1 - self.r0) / 1e9 / (t1 - self.t0)


def cpu_busy(cpu, interval=0.5):
    """Busy share of one CPU over interval (from /proc/stat)."""
    def sample():
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("cpu%d " % cpu):
                    v = [int(x) for x in line.split()[1:]]
                    return sum(v), v[3] + v[4]
        return 0, 0
    t0, i0 = sample()
    time.sleep(interval)
    t1, i1 = sample()
    return 1 - (i1 - i0) / (t1 - t0) if t1 > t0 else 0.0


class Quiet:
    """Before each measurement, wait (within a budget for the whole run)
    until lcore 1's CPU is idle: other people's pollers on the shared
    machine halve what we measure."""

    def __init__(self, budget):
        self.left = budget
        self.waited = 0.0

    def wait(self):
        t0 = time.monotonic()
        busy = cpu_busy(1)
        while busy > 0.15 and self.left > 0:
            time.sleep(1)
            busy = cpu_busy(1)
            self.left -= time.monotonic() - t0
            self.waited += time.monotonic() - t0
            t0 = time.monotonic()
        return busy


QUIET = Quiet(0)


# ------------------------------------------------------------- telemetry

def telemetry(pfx, cmds, timeout=10):
    path = os.path.join(RUNTIME_DIR, pfx, "dpdk_telemetry.v2")
    deadline = time.monotonic() + timeout
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    info = json.loads(s.recv(4096).decode())
    out = {}
    for c in cmds:
        s.send(c.encode())
        out[c] = json.loads(s.recv(info["max_output_len"]).decode())
    s.close()
    return out


# -------------------------------------------------------------- testpmd

STAT_BLOCK = re.compile(r"NIC statistics for port (\d+)")
TX_PPS = re.compile(r"Tx-pps:\s+(\d+)")
RX_PPS = re.compile(r"Rx-pps:\s+(\d+)")


def testpmd(a, name, vdevs, fwd_args, port):
    """Run testpmd for warmup + seconds; mean Tx-pps of port after warm-up
    (testpmd computes each sample from the TSC), and the forwarding
    thread's CPU share."""
    best = None
    for attempt in range(a.retries + 1):
        QUIET.wait()
        pfx = prefix("tpmd")
        argv = ["dpdk-testpmd"] + eal(pfx, vdevs) + [
            "--", "--nb-cores=1", "--stats-period", "1",
            "--total-num-mbufs=%d" % a.testpmd_mbufs] + fwd_args
        p = Proc(argv, os.path.join(a.work, "%s.%d.log" % (name, attempt)),
                 pfx)
        tid = worker_tid(p.pid)
        time.sleep(a.warmup)
        cs = CpuShare(p.pid, tid)
        time.sleep(a.seconds)
        share = cs.share()
        p.stop()
        text = p.log()
        text = text.split("Telling cores to stop")[0]
        samples, cur = [], None
        for line in text.splitlines():
            m = STAT_BLOCK.search(line)
            if m:
                cur = int(m.group(1))
                continue
            m = TX_PPS.search(line)
            if m and cur == port:
                samples.append(int(m.group(1)))
        # one sample a second: skip the warm-up ones (and a partial first)
        meas = samples[int(a.warmup) + 1:] or samples[-1:]
        if not meas:
            raise SystemExit("testpmd %s: no Tx-pps samples; log %s:\n%s"
                             % (name, p.logpath, text[-2000:]))
        r = dict(name=name, pps=sum(meas) / len(meas), samples=len(meas),
                 share=share, cmd=" ".join(argv))
        log("  %-28s %6.2f Mpps  (worker CPU %s)" % (
            name, r["pps"] / 1e6, fmt_share(share)))
        if best is None or (share or 0) > (best["share"] or 0):
            best = r
        if share is None or share >= MIN_SHARE:
            break
    return best


# --------------------------------------------------------------- mrelayd

def config_text(ports, state_dir, sock, mbufs, hdr_mbufs, cache):
    out = ["# written by scripts/bench/relay_bench.py", "ports:"]
    for name, role in ports:
        out.append("  - name: %s" % name)
        if role:
            out.append("    role: %s" % role)
    out += ["relay:", "  ipv4: [%s]" % wl.RELAY_IP,
            "  udp_ports: [%d]" % wl.RELAY_PORT,
            "workers:", "  lcores: [1]",
            "mempool:", "  mbufs: %d" % mbufs, "  cache: %d" % cache,
            "  hdr_mbufs: %d" % hdr_mbufs,
            "state_dir: %s" % state_dir,
            "control:", "  socket: %s" % sock, "limits:"]
    out += ["  %s: %d" % kv for kv in LIMITS.items()]
    return "\n".join(out) + "\n"


class Mrelayd:
    def __init__(self, a, build, tag, cfg, vdevs):
        self.a = a
        self.ctl = os.path.join(build, "controlplane", "mrelayctl")
        pfx = prefix(tag)
        argv = [os.path.join(build, "controlplane", "mrelayd")] + \
            eal(pfx, vdevs) + ["--", "--config", cfg]
        self.cmd = " ".join(argv)
        self.p = Proc(argv, os.path.join(a.work, "%s.log" % pfx), pfx)
        deadline = time.monotonic() + 60
        while True:
            if not self.p.alive():
                raise SystemExit("mrelayd exited (%s) before it was ready:\n%s"
                                 % (self.p.p.returncode, self.p.log()[-3000:]))
            if os.path.exists(a.sock):
                r = self.run("--json", "stats", check=False)
                if r.returncode == 0:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("mrelayd not ready after 60 s:\n%s"
                                 % self.p.log()[-3000:])
            time.sleep(0.05)

    def run(self, *args, check=True):
        r = subprocess.run([self.ctl, "-s", self.a.sock] + list(args),
                           capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise SystemExit("mrelayctl %s: exit %d: %s"
                             % (" ".join(args), r.returncode, r.stderr))
        return r

    def stats(self):
        t0 = time.monotonic()
        s = json.loads(self.run("--json", "stats").stdout)
        return (t0 + time.monotonic()) / 2, s

    def stop(self):
        rc = self.p.stop()
        leaks = []
        for m in re.finditer(r"worker (\d+): (\d+) of (\d+) mbufs back in "
                             r"(\S+)", self.p.log()):
            if m.group(2) != m.group(3):
                leaks.append("%s: %s of %s back" % (m.group(4), m.group(2),
                                                    m.group(3)))
        return rc, leaks


def populate(a, build):
    pop = os.path.join(a.work, "population.jsonl")
    with open(pop, "w") as f:
        f.write(wl.population(FANOUTS))
    cfg = os.path.join(a.work, "populate.yaml")
    with open(cfg, "w") as f:
        f.write(config_text([("net_null0", None)], a.state, a.sock,
                            2047, 1023, 64))
    d = Mrelayd(a, build, "pop", cfg, ["net_null0,no-rx=1"])
    r = d.run("import", pop)
    log("  " + r.stdout.strip())
    _, s = d.stats()
    rc, _ = d.stop()
    want = expected_tables()
    got = {k: s.get(k) for k in want}
    if got != want or rc != 0:
        raise SystemExit("population: tables %r, want %r (exit %s)"
                         % (got, want, rc))
    return pop


def expected_tables():
    users = sum(f + 1 for f in FANOUTS)
    return {"tables.endpoints": wl.NB_EP, "tables.devices": users,
            "tables.groups": len(FANOUTS), "tables.memberships": users}


def delta(s0, s1, key):
    return s1.get(key, 0) - s0.get(key, 0)


def relay_case(a, build, bname, fanout, payload, pcap, profile):
    cfg = os.path.join(a.work, "bench.yaml")
    with open(cfg, "w") as f:
        f.write(config_text([("net_pcap0", None), ("net_null0", "egress")],
                            a.state, a.sock, a.mbufs, a.hdr_mbufs, 256))
    vdevs = ["net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "net_null0,no-rx=1"]
    best = None
    for attempt in range(a.retries + 1):
        QUIET.wait()
        d = Mrelayd(a, build, "relay", cfg, vdevs)
        _, s = d.stats()
        want = expected_tables()
        if {k: s.get(k) for k in want} != want:
            raise SystemExit("bench daemon restored %r, want %r"
                             % ({k: s.get(k) for k in want}, want))
        tid = worker_tid(d.p.pid)
        time.sleep(a.warmup)
        cs = CpuShare(d.p.pid, tid)
        t0, s0 = d.stats()
        time.sleep(a.seconds)
        t1, s1 = d.stats()
        share = cs.share()
        prof = None
        if profile:
            prof = perf_profile(a, d.p.pid, tid, bname)
        rc, leaks = d.stop()
        dt = t1 - t0
        r = dict(build=bname, fanout=fanout, payload=payload, share=share,
                 seconds=dt, cmd=d.cmd, exit=rc, leaks=leaks,
                 max_rx_gap_us=s1.get("rx.max_gap_us"))
        for key, name in (("frames.msg", "msgs"), ("copies", "copies"),
                          ("tx.pkts", "tx"), ("acks", "acks"),
                          ("acks.duplicate", "dups"), ("rx.pkts", "rx"),
                          ("port0.tx.pkts", "tx_in_port"),
                          ("port1.tx.pkts", "tx_sink"), ("loops", "loops"),
                          ("fanout.yields", "yields"),
                          ("port0.hw.rx.nombuf", "rx_nombuf")):
            r[name] = delta(s0, s1, key) / dt
        r["drops"] = {k[5:]: delta(s0, s1, k) for k in s1
                      if k.startswith("drop.") and delta(s0, s1, k)}
        r["rejects"] = {k[7:]: delta(s0, s1, k) for k in s1
                        if k.startswith("reject.") and delta(s0, s1, k)}
        r["dup_total"] = s1.get("acks.duplicate", 0)
        # an ACK is counted in acks (a retransmit's in acks.duplicate too);
        # REJECTs are counted apart
        accepted = r["acks"] - r["dups"]
        r["accepted"] = accepted
        r["copies_per_msg"] = r["copies"] / accepted if accepted else 0
        r["cyc_copy"] = a.tsc_hz / r["copies"] if r["copies"] else None
        r["cyc_msg"] = a.tsc_hz / accepted if accepted else None
        if prof:
            r["profile"] = prof
        log("  %-7s F=%-4d %4d B  %6.3f Mmsg/s %7.3f Mcopies/s  %s cyc/copy"
            "  CPU %s%s" % (bname, fanout, payload, r["msgs"] / 1e6,
                            r["copies"] / 1e6, fmt_num(r["cyc_copy"]),
                            fmt_share(share),
                            "  drops %s" % r["drops"] if r["drops"] else ""))
        if best is None or (share or 0) > (best["share"] or 0):
            if best and best.get("profile") and not r.get("profile"):
                r["profile"] = best["profile"]
            best = r
        if share is None or share >= MIN_SHARE:
            break
    return best


# ------------------------------------------------------------------ perf

PERF_LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+(.+?)\s*$")


def perf_profile(a, pid, tid, bname):
    if not shutil.which("perf") or a.no_perf:
        return None
    data = os.path.join(a.outdir, "perf-f%d-%d-%s.data" % (
        a.prof_case[0], a.prof_case[1], bname))
    cmd = ["perf", "record", "-e", "cpu-clock", "-g", "-t", str(tid),
           "-o", data, "--", "sleep", str(a.perf_seconds)]
    subprocess.run(cmd, capture_output=True, timeout=a.perf_seconds + 60)
    rep = subprocess.run(["perf", "report", "-i", data, "--no-children",
                          "--sort", "dso,symbol", "-F", "overhead,dso,sym",
                          "--stdio", "-g", "none", "--percent-limit", "0.05"],
                         capture_output=True, text=True, timeout=300).stdout
    rows = {}
    for line in rep.splitlines():
        if line.startswith("#"):
            continue
        m = PERF_LINE.match(line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3)
        sym = re.sub(r"^\[[.k]\]\s+", "", sym)
        sym = re.sub(r"\s+-\s+-$", "", sym)    # empty IPC columns
        if re.match(r"^0x[0-9a-f]+$", sym):
            # stripped Debian DPDK libraries: one row per library
            sym = "(%s, no symbols)" % dso
        key = (sym, dso)
        rows[key] = rows.get(key, 0) + pct
    top = sorted(rows.items(), key=lambda kv: -kv[1])
    return dict(cmd=" ".join(cmd[:-3]) + " -- sleep %d" % a.perf_seconds,
                top=[(sym, dso, pct) for (sym, dso), pct in top[:a.top]])


def stage_profile(a, build, pcap):
    """Stages and kinds of work (perf_stages.py) from a dwarf call-graph
    profile of a build with debug info, same case as the flat profile."""
    import perf_stages
    if not shutil.which("perf") or a.no_perf:
        return None
    cfg = os.path.join(a.work, "bench.yaml")
    vdevs = ["net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap, "net_null0,no-rx=1"]
    QUIET.wait()
    d = Mrelayd(a, build, "stages", cfg, vdevs)
    tid = worker_tid(d.p.pid)
    time.sleep(a.warmup)
    data = os.path.join(a.outdir, "perf-f%d-%d-dwarf.data" % a.prof_case)
    cmd = ["perf", "record", "-e", "cpu-clock", "--call-graph", "dwarf,16384",
           "-t", str(tid), "-o", data, "--", "sleep", "3"]
    subprocess.run(cmd, capture_output=True, timeout=120)
    d.stop()
    n, st, kd = perf_stages.tables(data)
    log("  stages of %d samples: %s" % (n, ", ".join(
        "%s %.0f%%" % (k.split(" (")[0].split(":")[0], 100.0 * v / n)
        for k, v in sorted(st.items(), key=lambda kv: -kv[1])[:4])))
    return dict(cmd=" ".join(cmd[:-3]) + " -- sleep 3", build=build,
                samples=n, stages=st, kinds=kd)


# ----------------------------------------------------------- ipv4_multicast

def mcast(a, binary, name, pcap):
    best = None
    for attempt in range(a.retries + 1):
        QUIET.wait()
        pfx = prefix("mcast")
        vdevs = ["net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap] + [
            "net_null%d,no-rx=1" % i for i in (1, 2, 3)]
        # one lcore (1) polls all four ports; ports 1-3 are the group
        # 224.0.0.114 of the sample's table (port mask 0xE): fan-out 3
        argv = [binary] + eal(pfx, vdevs, lcores="1") + ["--", "-p", "f",
                                                          "-q", "4"]
        p = Proc(argv, os.path.join(a.work, "%s.%d.log" % (name, attempt)),
                 pfx)
        tid = p.pid     # -l 1: the main thread is the forwarding lcore
        time.sleep(a.warmup)
        cmds = ["/ethdev/stats,%d" % i for i in range(4)]
        cs = CpuShare(p.pid, tid)
        t0 = time.monotonic()
        s0 = telemetry(pfx, cmds)
        time.sleep(a.seconds)
        s1 = telemetry(pfx, cmds)
        dt = time.monotonic() - t0
        share = cs.share()
        p.stop()

        def rate(i, k):
            return (s1[cmds[i]]["/ethdev/stats"][k] -
                    s0[cmds[i]]["/ethdev/stats"][k]) / dt
        r = dict(name=name, in_pps=rate(0, "ipackets"),
                 out_pps=sum(rate(i, "opackets") for i in (1, 2, 3)),
                 share=share, cmd=" ".join(argv))
        log("  %-28s in %5.2f Mpps, copies %5.2f Mpps (CPU %s)" % (
            name, r["in_pps"] / 1e6, r["out_pps"] / 1e6, fmt_share(share)))
        if best is None or (share or 0) > (best["share"] or 0):
            best = r
        if share is None or share >= MIN_SHARE:
            break
    return best


# ---------------------------------------------------------------- output

def fmt_share(s):
    return "?" if s is None else "%.0f%%" % (100 * s)


def fmt_num(x, nd=0):
    return "-" if x is None else ("%%.%df" % nd) % x


def fmt_m(x):
    return "%.2f M" % (x / 1e6) if x >= 1e5 else "%.0f k" % (x / 1e3)


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%d vCPUs, %s, %s, %s" % (os.cpu_count(), model,
                                     platform.platform(terse=True),
                                     dpdk_version())


def dpdk_version():
    r = subprocess.run(["pkg-config", "--modversion", "libdpdk"],
                       capture_output=True, text=True)
    return "DPDK " + r.stdout.strip()


def case_name(r):
    return "F=%d, %d B" % (r["fanout"], r["payload"])


def relay_table(rel, io, txonly):
    """io and txonly: the testpmd results (pps and CPU share)."""
    out = ["| case | msgs/s in (accepted) | copies/s | copies / txonly "
           "| msgs / io "
           "| cycles/copy | cycles/copy on CPU | cycles/msg | worker CPU "
           "| target (ratio at equal CPU) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rel:
        ct = r["copies"] / txonly["pps"]
        if r["fanout"] == 1:
            ratio, want = r["msgs"] / io["pps"], 0.25
            norm = per_cpu(r, "msgs") / per_cpu(io, "pps")
            mi_s = "%.3f" % ratio
            what = "msgs >= 0.25 x io"
        else:
            ratio, want = ct, 0.5
            norm = per_cpu(r, "copies") / per_cpu(txonly, "pps")
            mi_s = "-"
            what = "copies >= 0.5 x txonly"
        tgt = "%s: %s (%.3f)" % (what, "met" if ratio >= want else "NOT met",
                                 norm)
        on_cpu = (r["cyc_copy"] * r["share"]
                  if r["cyc_copy"] and r["share"] else None)
        out.append("| %s | %s | %s | %.3f | %s | %s | %s | %s | %s | %s |" % (
            case_name(r), "%s (%s)" % (fmt_m(r["msgs"]), fmt_m(r["accepted"])),
            fmt_m(r["copies"]), ct, mi_s,
            fmt_num(r["cyc_copy"]), fmt_num(on_cpu), fmt_num(r["cyc_msg"]),
            fmt_share(r["share"]), tgt))
    return out


def per_cpu(r, key):
    """A rate divided by the CPU share its thread had (rate at 100 %)."""
    return r[key] / r["share"] if r.get("share") else r[key]


def detail_table(rel):
    out = ["| case | accepted msgs/s | copies per msg | tx pkts/s "
           "(ACK port / sink) | loops/s | acks.duplicate (total) "
           "| drops and REJECTs /s | rx max gap since start |",
           "|---|---:|---:|---:|---:|---:|---|---:|"]
    for r in rel:
        dr = ", ".join("%s %s" % (k, fmt_m(v / r["seconds"]))
                       for k, v in sorted(r["drops"].items()))
        rj = ", ".join("REJECT %s %s" % (k, fmt_m(v / r["seconds"]))
                       for k, v in sorted(r["rejects"].items()))
        out.append("| %s | %s | %.2f | %s (%s / %s) | %s | %d | %s | %s us |"
                   % (case_name(r), fmt_m(r["accepted"]), r["copies_per_msg"],
                      fmt_m(r["tx"]), fmt_m(r["tx_in_port"]),
                      fmt_m(r["tx_sink"]), fmt_m(r["loops"]), r["dup_total"],
                      "; ".join(x for x in (dr, rj) if x) or "none",
                      r["max_rx_gap_us"]))
    return out


def build_table(rel_by_build, names):
    if len(names) < 2:
        return []
    base = names[0]
    out = ["| case | " + " | ".join("%s copies/s (CPU)" % n for n in names) +
           " | %s / %s | same at equal CPU |" % (names[1], base),
           "|---|" + "---:|" * (len(names) + 2)]
    for i, r in enumerate(rel_by_build[base]):
        cells = []
        for n in names:
            x = rel_by_build[n][i]
            cells.append("%s (%s)" % (fmt_m(x["copies"]), fmt_share(x["share"])))
        o = rel_by_build[names[1]][i]
        out.append("| %s | %s | %.2f | %.2f |" % (
            case_name(r), " | ".join(cells), o["copies"] / r["copies"],
            per_cpu(o, "copies") / per_cpu(r, "copies")))
    return out


def profile_table(prof):
    out = ["| # | self | symbol | object |", "|---:|---:|---|---|"]
    for i, (sym, dso, pct) in enumerate(prof["top"], 1):
        out.append("| %d | %.2f%% | `%s` | %s |" % (i, pct, sym, dso))
    return out


def wrap_md(lines, width=76):
    """Wrap prose lines; leave tables, headings and code blocks alone."""
    import textwrap
    out, code = [], False
    for line in lines:
        if line.startswith("```"):
            code = not code
        if code or line.startswith(("```", "|", "#")) or not line.strip() \
                or len(line) <= width:
            out.append(line)
            continue
        bullet = line.startswith("- ")
        out += textwrap.wrap(line, width, subsequent_indent="  " if bullet
                             else "", break_long_words=False,
                             break_on_hyphens=False)
    return out


def replace_section(text, title, body):
    """Replace '## title' up to the next '## ' heading, or append it."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.strip() == "## " + title),
                 None)
    new = ["## " + title, ""] + wrap_md(body)
    if start is None:
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines + [""] + new) + "\n"
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("## ")), len(lines))
    rest = lines[end:]
    return "\n".join(lines[:start] + new + ([""] + rest if rest else [])) + "\n"


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description="mrelay relay throughput bench")
    ap.add_argument("--build", action="append", required=True,
                    help="NAME=DIR of an mrelay build; the first is the "
                    "reference, profiled and written to the table")
    ap.add_argument("--tsc-hz", type=float, required=True)
    ap.add_argument("--mcast", help="ipv4_multicast binary (NAME=PATH, "
                    "repeatable)", action="append", default=[])
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--fanouts", default=",".join(map(str, FANOUTS)))
    ap.add_argument("--payloads", default=",".join(map(str, PAYLOADS)))
    ap.add_argument("--count", type=int, default=65536,
                    help="messages in each capture")
    ap.add_argument("--mbufs", type=int, default=131071)
    ap.add_argument("--hdr-mbufs", type=int, default=65535)
    ap.add_argument("--testpmd-mbufs", type=int, default=131072)
    ap.add_argument("--no-perf", action="store_true")
    ap.add_argument("--perf-seconds", type=int, default=5)
    ap.add_argument("--profile-case", default="8,64")
    ap.add_argument("--prof-build", help="the reference build again with "
                    "debug info (-g), for the profile by stage")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--doc", help="docs/performance.md to update")
    ap.add_argument("--command", default="scripts/bench-relay.sh")
    ap.add_argument("--outdir", required=True, help="results: JSON, perf data")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--from-json", help="only write the report (and --doc) "
                    "from the bench-relay.json of an earlier run")
    ap.add_argument("--quiet-budget", type=float, default=180,
                    help="seconds in all to wait for lcore 1 to be idle "
                    "before measurements (0: never wait)")
    a = ap.parse_args()
    fanouts = [int(x) for x in a.fanouts.split(",")]
    payloads = [int(x) for x in a.payloads.split(",")]
    builds = [b.split("=", 1) for b in a.build]
    pf, pp = (int(x) for x in a.profile_case.split(","))
    a.prof_case = (pf, pp)
    QUIET.left = a.quiet_budget
    os.makedirs(a.outdir, exist_ok=True)
    if a.from_json:
        with open(a.from_json) as f:
            return write_report(a, json.load(f), builds)
    a.work = tempfile.mkdtemp(prefix="mrelay-bench-")
    a.state = os.path.join(a.work, "state")
    a.sock = os.path.join(a.work, "ctl.sock")
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = open("/proc/loadavg").read().split()[:3]
    try:
        res = run_all(a, builds, fanouts, payloads, pf, pp)
    finally:
        _cleanup()
        if not a.keep:
            shutil.rmtree(a.work, ignore_errors=True)
        else:
            log("kept %s" % a.work)
    res.update(date=started.strftime("%Y-%m-%d %H:%M UTC"), machine=machine(),
               tsc_hz=a.tsc_hz, command=a.command, load_before=load0,
               load_after=open("/proc/loadavg").read().split()[:3],
               seconds=a.seconds, warmup=a.warmup, count=a.count,
               quiet_waited=QUIET.waited, prof_case=list(a.prof_case))
    with open(os.path.join(a.outdir, "bench-relay.json"), "w") as f:
        json.dump(res, f, indent=1)
    write_report(a, res, builds)


def write_report(a, res, builds):
    md = report(res, builds)
    print("\n".join(md["relay"]))
    print()
    print("\n".join(md["mcast"]))
    if a.doc:
        path = a.doc
        text = open(path).read() if os.path.exists(path) else (
            "# mrelay performance\n\nMeasured numbers, each with the command "
            "and machine that made it. Sections are owned by the script "
            "named in them; each run replaces its own section only.\n")
        text = replace_section(text, "Relay throughput", md["relay"])
        text = replace_section(text, "Why ipv4_multicast is slower",
                               md["mcast"])
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
        log("updated %s" % path)


def run_all(a, builds, fanouts, payloads, pf, pp):
    log("capture and population in %s" % a.work)
    udp100 = os.path.join(a.work, "udp100.pcap")
    wl.write_pcap(udp100, wl.udp_capture(100, 1024, wl.RELAY_IP))
    f1 = os.path.join(a.work, "f1_64.pcap")
    wl.write_pcap(f1, wl.capture(1, 64, a.count))
    res = {"testpmd": {}, "relay": {n: [] for n, _ in builds}, "mcast": []}

    log("dpdk-testpmd ceilings (lcore 1 forwards)")
    res["testpmd"]["io"] = testpmd(
        a, "io pcap 100 B -> null", [
            "net_pcap0,rx_pcap=%s,infinite_rx=1" % udp100,
            "net_null0,no-rx=1"], ["--forward-mode=io"], 1)
    res["testpmd"]["io_relay"] = testpmd(
        a, "io relay capture F=1 64 B", [
            "net_pcap0,rx_pcap=%s,infinite_rx=1" % f1,
            "net_null0,no-rx=1"], ["--forward-mode=io"], 1)
    res["testpmd"]["txonly"] = testpmd(
        a, "txonly 64 B -> null", ["net_null0,no-rx=1"],
        ["--forward-mode=txonly", "--txpkts=64", "--port-topology=loop"], 0)

    log("population: first mrelayd on net_null, mrelayctl import")
    populate(a, builds[0][1])
    log("mrelayd cases (TSC %.0f MHz)" % (a.tsc_hz / 1e6))
    for fo in fanouts:
        for pay in payloads:
            pcap = os.path.join(a.work, "f%d_%d.pcap" % (fo, pay))
            if not os.path.exists(pcap):
                wl.write_pcap(pcap, wl.capture(fo, pay, a.count))
            for bname, bdir in builds:
                # every build at the profiled case: the static one has
                # DPDK's symbols (Debian strips its shared libraries)
                res["relay"][bname].append(relay_case(
                    a, bdir, bname, fo, pay, pcap, (fo, pay) == (pf, pp)))
            if (fo, pay) == (pf, pp) and a.prof_build:
                res["stages"] = stage_profile(a, a.prof_build, pcap)
            if pcap != f1:
                os.remove(pcap)
    if a.mcast:
        mc = os.path.join(a.work, "mcast100.pcap")
        wl.write_pcap(mc, wl.udp_capture(100, 1024, "224.0.0.114"))
        log("ipv4_multicast, fan-out 3 (lcore 1 only)")
        for spec in a.mcast:
            name, binary = spec.split("=", 1)
            res["mcast"].append(mcast(a, binary, name, mc))
    return res


MCAST_WHY = """\
DPDK's `ipv4_multicast` sample (`/usr/share/dpdk/examples/ipv4_multicast`,
package dpdk-doc) copies nothing: for each destination port it takes a small
header mbuf, prepends the Ethernet header there and chains the input packet
behind it. Read with a profile of it at hand, its cost here is:

- **Cold header mbufs (most of it).** `header_pool` holds
  `NB_HDR_MBUF` = 8192 x 16 = 131072 mbufs, created with a per-lcore cache
  of only 32. Each TX port buffers up to 32 packets (`MAX_PKT_BURST`), so at
  fan-out 3 up to 96 header mbufs are in flight, more than the cache's flush
  threshold (1.5 x 32 = 48): the cache keeps spilling to and refilling from
  the pool's ring, and the ring is FIFO, so every `rte_pktmbuf_alloc()` gets
  the mbuf freed about 131072 allocations earlier, whose header and data
  lines left the caches long ago. perf puts about half of the worker's time
  on the first touch of the mbuf in `rte_pktmbuf_alloc()`
  (`rte_pktmbuf_reset_headroom`) and another ~12 % on the first write to its
  data (`rte_pktmbuf_prepend`). The same program with the header pool's
  cache raised from 32 to 512 (one number) is the second row of the table
  above: about 3x the copies on the same core.
- **Reference counts and chains.** At fan-out 3 the sample is above
  `MCAST_CLONE_PORTS` (2), so it does not clone: one atomic
  `rte_pktmbuf_refcnt_update(m, 3)` on the input, and every copy is a
  two-segment chain whose free (in the PMD's TX) returns the header mbuf and
  does an atomic decrement on the shared input mbuf. At fan-out 1-2 it
  clones instead: an indirect mbuf from `clone_pool` per port plus the
  header mbuf, two allocations and an atomic per copy.
- **Not the TX bursts.** Copies are buffered per port and sent 32 at a time
  (`send_burst` when `MAX_PKT_BURST` is reached, a 100 us drain otherwise),
  so there is no TX call per packet; at these rates the bursts are full.
- **Input.** The pcap PMD's `infinite_rx` copies every packet out of its
  in-memory ring (`eth_pcap_rx_infinite`: ring dequeue, memcpy, ring
  enqueue, ~7 % here), as it does for mrelayd and testpmd io.
- It does not start on net_null or net_pcap as shipped: it asks for
  `RTE_ETH_TX_OFFLOAD_MULTI_SEGS` unconditionally, and neither PMD
  advertises it (`rte_eth_dev_configure` fails with -EINVAL).
  `scripts/bench-relay.sh` builds it with one added line that masks the
  offloads with the port's `tx_offload_capa` (net_null frees chains all the
  same); nothing else is changed.

mrelay's copies differ: each copy is one flat mbuf built by the worker
(headers, stamped frame and, up to `MR_COPY_THRESHOLD`, the payload), taken
from a per-worker header pool with a cache of 256 and sent 32 at a time; the
PMD frees them into the same lcore cache, so the mbufs it allocates are
recently used ones, and no reference count is touched per copy on a port
without chained TX (net_null has none). Its cost per copy is in building
that packet (see "Relay throughput")."""


def report(res, builds):
    bnames = [n for n, _ in builds]
    base = bnames[0]
    tp = res["testpmd"]
    io, io_rel, tx = tp["io"], tp["io_relay"], tp["txonly"]
    rel = res["relay"][base]
    rb = dict(builds)
    relay = [
        "Measured by `scripts/bench-relay.sh` on %s; the section is "
        "replaced by each run." % res["date"], "",
        "- Machine: %s; TSC %.0f MHz. Load average before / after the run: "
        "%s / %s (the machine is shared: compare ratios from one run, not "
        "absolute numbers across runs)." % (
            res["machine"], res["tsc_hz"] / 1e6, " ".join(res["load_before"]),
            " ".join(res["load_after"])) + (
            " Waited %.0f s in all for lcore 1 to be idle before "
            "measurements." % res["quiet_waited"]
            if res.get("quiet_waited") else ""),
        "- Command: `%s`" % res["command"],
        "- Builds: %s." % ", ".join(
            "`%s` = %s" % (n, rb[n]) for n in bnames),
        "- One forwarding lcore (1), main lcore 0, for every program. Each "
        "rate is the mean over %g s after %g s of warm-up. *worker CPU* is "
        "the share of that time the forwarding thread was on a CPU (from "
        "/proc schedstat); a run below %d %% is repeated up to twice and the "
        "best kept." % (res["seconds"], res["warmup"], MIN_SHARE * 100),
        "- mrelayd: input `net_pcap0,rx_pcap=CAPTURE,infinite_rx=1` (port "
        "0, role relay; with no `tx_pcap`/`tx_iface` the pcap PMD gives the "
        "port a TX queue that counts and frees, so the ACKs leave there and "
        "cost a real TX burst); copies to 64 endpoints with static MACs on "
        "`net_null0,no-rx=1` (port 1, role egress). Each capture holds %d "
        "group MSGs, one per UDP datagram, client message ids 1..%d sent "
        "round-robin by min(F + 1, 64) members of a group with exactly F "
        "other member devices; `limits.dedup_window: 1024`, so replays of "
        "the capture are new messages (acks.duplicate below). Mempools: "
        "131071 packet mbufs (the capture itself holds %d of them), 65535 "
        "header mbufs, cache 256. The population (64 endpoints, 1101 users "
        "and devices, 4 groups) is imported with `mrelayctl import` into a "
        "first mrelayd on net_null; the bench daemons restart on its state "
        "directory." % (res["count"], res["count"], res["count"]),
        "- cycles/copy = TSC Hz / copies per second (the worker polls, so "
        "it is meant to have 100 % of its core); *on CPU* multiplies by the "
        "worker CPU share, i.e. TSC cycles of CPU time per copy, which is "
        "what to compare when a co-runner took part of the core. "
        "cycles/msg = TSC Hz / accepted msgs per second. All include "
        "everything the "
        "worker does: RX from the pcap PMD, parse, checksum, ACK, fan-out, "
        "TX. The target column gives the ratio the target is about, and in "
        "brackets the same ratio with both rates divided by their thread's "
        "CPU share.", "",
        "### dpdk-testpmd, same run", "",
        "| test | Mpps | forwarding CPU | Mpps / CPU share |",
        "|---|---:|---:|---:|"]
    for t in (io, io_rel, tx):
        relay.append("| %s | %.2f | %s | %.2f |" % (
            t["name"], t["pps"] / 1e6, fmt_share(t["share"]),
            per_cpu(t, "pps") / 1e6))
    relay += ["", "### mrelayd, build `%s`" % base, "",
              "*copies / txonly*: copies/s over testpmd txonly 64 B (%.2f "
              "Mpps). *msgs / io*: msgs/s over testpmd io from the 100 B "
              "capture (%.2f Mpps), at fan-out 1; testpmd io from the "
              "relay's own F=1 / 64 B capture did %.2f Mpps (same input "
              "cost as mrelayd)." % (tx["pps"] / 1e6, io["pps"] / 1e6,
                                     io_rel["pps"] / 1e6), ""]
    relay += relay_table(rel, io, tx)
    met = [r for r in rel if (r["copies"] / tx["pps"] >= 0.5 if r["fanout"] > 1
                              else r["msgs"] / io["pps"] >= 0.25)]
    relay += ["", "Targets (fan-out >= 8: copies/s >= 0.5 x txonly; fan-out "
              "1: msgs/s >= 0.25 x io): met in %d of %d cases." % (
                  len(met), len(rel)), "",
              "Details: *accepted* = ACKs without duplicates and REJECTs; "
              "*copies per msg* must equal F; drops and REJECTs by reason "
              "(per second); *rx max gap*: longest time between two RX "
              "polls over the daemon's life (a preempted worker shows "
              "here).", ""]
    relay += detail_table(rel)
    leaks = ["%s %s: %s" % (r["build"], case_name(r), "; ".join(r["leaks"]))
             for n in bnames for r in res["relay"][n] if r["leaks"]]
    bad_exit = ["%s %s: exit %s" % (r["build"], case_name(r), r["exit"])
                for n in bnames for r in res["relay"][n] if r["exit"] != 0]
    relay += ["", "mbufs back in their pools at every stop: %s. Exit status "
              "0 at every stop: %s." % (
                  "yes" if not leaks else "NO (%s)" % "; ".join(leaks),
                  "yes" if not bad_exit else "NO (%s)" % "; ".join(bad_exit))]
    if len(bnames) > 1:
        relay += ["", "### Static DPDK (`-Dstatic_dpdk=true`) against shared",
                  "", "Same cases, run back to back per case."
                  , ""]
        relay += build_table(res["relay"], bnames)
    profs = [(n, r["profile"]) for n in bnames for r in res["relay"][n]
             if r.get("profile")]
    for n, prof in profs:
        relay += ["", "### Profile: fan-out %d, %d B, build `%s`" % (
            res["prof_case"][0], res["prof_case"][1], n), "",
                  "`%s` on the worker thread (TID of lcore 1); top %d "
                  "symbols by self time (`perf report --no-children --sort "
                  "dso,symbol`). Debian's DPDK libraries are stripped: their "
                  "addresses are summed per library." % (prof["cmd"],
                                                         len(prof["top"])), ""]
        relay += profile_table(prof)
    stg = res.get("stages")
    if stg:
        n = stg["samples"]
        relay += ["", "### Where the time goes: fan-out %d, %d B, by stage "
                  "and by kind of work" % tuple(res["prof_case"]), "",
                  "`%s` on %s (the same code with debug info, so inlined "
                  "functions are on the call chains), split by "
                  "`scripts/bench/perf_stages.py`: a sample's stage is the "
                  "deepest stage function on its chain (the TX burst of an "
                  "ACK counts as TX), its kind the first marker from the "
                  "leaf up (a checksum inside header building counts as "
                  "checksum). %d samples. Without hardware counters perf "
                  "samples on a timer, and a sample lands on the "
                  "instruction that waits for earlier work: the checksum "
                  "code reads the headers a copy has just written, so it "
                  "also collects the cost of those stores. The shares say "
                  "where the worker waits, not what removing that code "
                  "would save." % (stg["cmd"], stg["build"], n),
                  "", "| stage | share |", "|---|---:|"]
        for k, v in sorted(stg["stages"].items(), key=lambda kv: -kv[1]):
            relay.append("| %s | %.1f %% |" % (k, 100.0 * v / n))
        relay += ["", "| kind of work | share |", "|---|---:|"]
        for k, v in sorted(stg["kinds"].items(), key=lambda kv: -kv[1]):
            relay.append("| %s | %.1f %% |" % (k, 100.0 * v / n))
    relay += ["", "### Commands of this run", "", "```"]
    relay += [io["cmd"], io_rel["cmd"], tx["cmd"],
              "%s   # F=%d, %d B" % (rel[0]["cmd"], rel[0]["fanout"],
                                    rel[0]["payload"]), "```"]

    mc = ["Explanation written from the sample's code and a perf profile of "
          "it; the numbers are from the run of %s above (same machine, "
          "same input PMD, lcore 1 only, 100 B UDP to 224.0.0.114, the "
          "sample's group with port mask 0xE: fan-out 3 to three "
          "`net_null,no-rx=1` ports; rates from DPDK telemetry "
          "`/ethdev/stats`)." % res["date"], ""]
    if res["mcast"]:
        mc += ["| program | input Mpps | copies Mpps | cycles/copy | CPU |",
               "|---|---:|---:|---:|---:|"]
        for m in res["mcast"]:
            mc.append("| %s | %.2f | %.2f | %s | %s |" % (
                m["name"], m["in_pps"] / 1e6, m["out_pps"] / 1e6,
                fmt_num(res["tsc_hz"] / m["out_pps"] if m["out_pps"] else
                        None), fmt_share(m["share"])))
        f8 = [r for r in rel if r["fanout"] == 8 and r["payload"] == 64]
        if f8:
            mc += ["", "For comparison, mrelayd in the same run at fan-out 8, "
                   "64 B: %.2f M copies/s, %s cycles/copy (each copy a full "
                   "packet with its own L2-L4 headers, stamped frame and "
                   "UDP checksum, plus one ACK per message)." % (
                       f8[0]["copies"] / 1e6, fmt_num(f8[0]["cyc_copy"]))]
        mc += ["", "```"] + [m["cmd"] for m in res["mcast"][:1]] + ["```"]
    else:
        mc += ["(ipv4_multicast was not measured in this run.)"]
    mc += [""] + MCAST_WHY.splitlines()
    return {"relay": relay, "mcast": mc}


if __name__ == "__main__":
    main()
