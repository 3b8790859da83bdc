#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Summarize a Pktgen rate sweep of mrelayd as a markdown table.

    summarize.py SWEEP_DIR [--out FILE] [--threshold PCT] [--cpm X]
    summarize.py rate-sweep.csv [--stats-dir DIR] [--meta FILE] ...

SWEEP_DIR is what run-sweep.sh writes: rate-sweep.csv (rate-sweep.lua),
stats/sweep-{before,after}.json and stats/step-NN-{before,after}.json
(`mrelayctl --json stats` of the relay), workload.meta (make-workload.sh).
Only the CSV is required.

Per step: offered messages/s (the generator's TX packets/s: one message a
packet), delivered copies/s (packets/s back at the generator's RX port;
when RX is the TX port, less the ACKs and REJECTs, which come back there
too), copies per message, loss (1 - copies delivered / (messages sent x
expected copies per message), from the step's totals), and the relay's
counters that moved during the step: drops, REJECTs, NIC misses,
duplicate ACKs. Then the highest rate with a loss under --threshold
(default 0.1 %).

The expected copies per message comes from --cpm, else the workload's
.meta (computed from the capture and the population), else the lowest-rate
step that has data (assumed lossless: say so in the report).

Standard library only; /usr/bin/python3.
"""

import argparse
import csv
import io
import json
import os
import re
import sys

STEP_RE = re.compile(r"^step-(\d+)-(before|after)\.json$")
# copies the relay gave up on while making them (counted as drops, not as
# copies): part of what it should have delivered
COPY_DROPS = ("drop.neigh_unresolved", "drop.endpoint_gone", "drop.copy_too_large",
              "drop.no_src_addr")
# counters whose growth means something was lost or refused
LOSS_RE = re.compile(r"^(drop\.|reject\.|port\d+\.hw\.(rx\.missed|rx\.nombuf|tx\.errors))")


def die(msg):
    sys.exit("summarize.py: " + msg)


def read_csv(path):
    """(settings dict, error lines, rows as dicts of floats)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError as e:
        die("%s: %s" % (path, e.strerror))
    settings, errors, body = {}, [], []
    for ln in lines:
        if ln.startswith("#"):
            if ln.startswith("# ERROR"):
                errors.append(ln[2:])
            for k, v in re.findall(r"(\w+)=(\S+)", ln):
                settings.setdefault(k, v)
        elif ln.strip():
            body.append(ln)
    if not body:
        die("%s: no header and no results" % path)
    rows = []
    for r in csv.DictReader(io.StringIO("\n".join(body))):
        try:
            rows.append({k: float(v) for k, v in r.items() if k is not None})
        except (TypeError, ValueError):
            errors.append("unreadable line: %s" % ",".join(str(v) for v in r.values()))
    if not rows and not errors:
        die("%s: no step results" % path)
    for need in ("step", "rate_pct", "tx_pps", "rx_pps", "tx_pkts", "rx_pkts"):
        if rows and need not in rows[0]:
            die("%s: no column %r: not a rate-sweep.lua results file" % (path, need))
    return settings, errors, rows


def read_meta(path):
    meta = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for ln in f:
                if "=" in ln and not ln.startswith("#"):
                    k, v = ln.rstrip("\n").split("=", 1)
                    meta[k.strip()] = v.strip()
    return meta


def read_stats(path):
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except (OSError, ValueError):
        return None
    return d if isinstance(d, dict) else None


def delta(before, after):
    """Counters that grew (after - before), maxima excluded."""
    if before is None or after is None:
        return None
    out = {}
    for k, v in after.items():
        if not isinstance(v, int) or k.endswith("max_gap_us") or k.startswith(
                ("tables.", "workers", "worker")) or ".free" in k:
            continue
        d = v - before.get(k, 0)
        if d:
            out[k] = d
    return out


def answers(d):
    """ACK and REJECT packets the relay sent back to the senders."""
    return d.get("acks", 0) + sum(v for k, v in d.items() if k.startswith("reject."))


def si(x, digits=3):
    """1234567 -> '1.23 M'."""
    if x is None:
        return "-"
    for div, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= div:
            return "%.*g%s" % (digits, x / div, unit)
    return "%.*g" % (digits, x)


def moved(d, pattern=LOSS_RE, none=""):
    """'drop.tx_full 1.2 k, ...' for the counters that grew; '-' without data."""
    if d is None:
        return "-"
    items = sorted((k, v) for k, v in d.items() if pattern.match(k) and v > 0)
    return ", ".join("%s %s" % (k, si(v)) for k, v in items) or none


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", help="sweep directory (run-sweep.sh --out) or rate-sweep.csv")
    ap.add_argument("--stats-dir", help="the mrelayctl snapshots (default: PATH/stats)")
    ap.add_argument("--meta", help="workload .meta (default: PATH/workload.meta)")
    ap.add_argument("--cpm", type=float, help="expected copies per message")
    ap.add_argument("--threshold", type=float, default=0.1,
                    help="loss limit in percent (default 0.1)")
    ap.add_argument("--out", help="also write the markdown here")
    a = ap.parse_args()

    if os.path.isdir(a.path):
        base, csv_path = a.path, os.path.join(a.path, "rate-sweep.csv")
    else:
        base, csv_path = os.path.dirname(os.path.abspath(a.path)), a.path
    stats_dir = a.stats_dir or os.path.join(base, "stats")
    meta = read_meta(a.meta or os.path.join(base, "workload.meta"))
    settings, errors, rows = read_csv(csv_path)

    one_port = settings.get("tx_port") is not None and \
        settings.get("tx_port") == settings.get("rx_port")
    notes = []
    if "tx_port" not in settings:
        notes.append("The CSV does not say its ports: taken as TX and RX on two ports.")

    # relay snapshots, per step and for the whole sweep
    snaps = {}
    if os.path.isdir(stats_dir):
        for name in os.listdir(stats_dir):
            m = STEP_RE.match(name)
            if m:
                snaps.setdefault(int(m.group(1)), {})[m.group(2)] = \
                    read_stats(os.path.join(stats_dir, name))
    sweep_before = read_stats(os.path.join(stats_dir, "sweep-before.json"))
    sweep_after = read_stats(os.path.join(stats_dir, "sweep-after.json"))

    # per step: what the generator saw, and the relay's deltas
    steps = []
    for r in rows:
        n = int(r["step"])
        s = snaps.get(n, {})
        d = delta(s.get("before"), s.get("after"))
        st = {"row": r, "n": n, "rate": r["rate_pct"], "relay": d, "ok": False}
        tx, rx = r["tx_pkts"], r["rx_pkts"]
        if r.get("samples", 1) <= 0 or r["tx_pps"] <= 0 or tx <= 0:
            steps.append(st)
            continue
        st["ok"] = True
        if one_port:
            if d is not None:
                ans = answers(d)
            else:
                ans = tx   # one ACK (or REJECT) per message
                st["assumed_answers"] = True
            copies = max(rx - ans, 0)
        else:
            copies = rx
        st["copies"] = copies
        st["cpm"] = copies / tx
        st["offered"] = r["tx_pps"]
        st["delivered"] = st["cpm"] * r["tx_pps"] if one_port else r["rx_pps"]
        if d is not None and d.get("frames.msg"):
            # the fan-out of the messages the relay took: copies made (sent
            # or dropped at TX) plus copies it gave up on, per message that
            # was neither refused nor a duplicate
            fanned = d["frames.msg"] - d.get("acks.duplicate", 0) - \
                sum(v for k, v in d.items() if k.startswith("reject."))
            made = d.get("copies", 0) + sum(d.get(k, 0) for k in COPY_DROPS)
            st["dup_share"] = d.get("acks.duplicate", 0) / d["frames.msg"]
            if fanned > 0:
                st["relay_cpm"] = made / fanned
        steps.append(st)
    if any(s.get("assumed_answers") for s in steps):
        notes.append("One port both ways and no relay snapshot for some steps: "
                     "one ACK per message sent was taken off the received packets.")

    good = [s for s in steps if s["ok"]]
    cpm_ref, cpm_src = a.cpm, "--cpm"
    if cpm_ref is None and meta.get("expected_copies_per_msg"):
        try:
            cpm_ref, cpm_src = float(meta["expected_copies_per_msg"]), "workload.meta"
        except ValueError:
            pass
    if cpm_ref is None and good:
        low = min(good, key=lambda s: s["rate"])
        cpm_ref = low["cpm"]
        cpm_src = "the lowest rate (%g %%), assumed lossless" % low["rate"]
        notes.append("Expected copies per message taken from the lowest-rate step: "
                     "give --cpm or the workload's .meta for a real reference.")
    # Loss against the fan-out the relay itself measured in that step when
    # there are per-step snapshots (exact whatever part of the capture the
    # step replayed), else against the reference
    per_step = a.cpm is None and any("relay_cpm" in s for s in good)
    for s in good:
        ref = cpm_ref
        if a.cpm is None and s.get("relay_cpm"):
            ref = s["relay_cpm"]
        s["loss"] = 100.0 * (1 - s["copies"] / (s["row"]["tx_pkts"] * ref)) if ref else None

    # ------------------------------------------------------------ report
    out = []
    w = out.append
    w("# mrelayd rate sweep")
    w("")
    w("- results: `%s`, %d steps%s" % (csv_path, len(rows),
      ", %d errors" % len(errors) if errors else ""))
    w("- ports: TX %s, RX %s (%s)" % (
        settings.get("tx_port", "?"), settings.get("rx_port", "?"),
        "one port both ways: ACKs taken off" if one_port else "copies only on RX"))
    if meta:
        w("- workload: %s messages, mean frame %s bytes, %s capture(s); relay %s:%s (%s)" % (
            meta.get("messages", "?"), meta.get("mean_frame_bytes", "?"),
            meta.get("pcaps", "?"), meta.get("relay_ip", "?"),
            meta.get("relay_port", "?"), meta.get("relay_mac", "?")))
    w("- expected copies per message: %s (from %s)%s" % (
        "%.4g" % cpm_ref if cpm_ref else "unknown", cpm_src,
        "; loss is measured against the relay's own fan-out of each step "
        "(relay copies/msg) where there are step snapshots" if per_step else ""))
    w("- relay counters: %s" % (
        "per step" if snaps else "whole sweep only" if sweep_after else "none"))
    w("")
    w("| step | rate % | offered msgs/s | delivered copies/s | copies/msg | loss % "
      "| relay copies/msg | relay drops that moved | generator drops |")
    w("|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for s in steps:
        r = s["row"]
        gen_drops = ", ".join("%s %s" % (k, si(r[k])) for k in
                              ("rx_missed", "rx_errors", "rx_nombuf", "tx_errors")
                              if r.get(k, 0) > 0)
        if not s["ok"]:
            w("| %d | %g | no data | | | | | %s | %s |" % (
                s["n"], s["rate"], moved(s["relay"], none="none"), gen_drops))
            continue
        loss = "-" if s["loss"] is None else "%.3f" % s["loss"]
        if s["loss"] is not None and s["loss"] >= a.threshold:
            loss = "**%s**" % loss
        w("| %d | %g | %s | %s | %.3f | %s | %s | %s | %s |" % (
            s["n"], s["rate"], si(s["offered"]), si(s["delivered"]), s["cpm"],
            loss,
            "%.3f" % s["relay_cpm"] if "relay_cpm" in s else "-",
            moved(s["relay"], none="none"), gen_drops))
    w("")

    # the answer
    under = [s for s in good if s["loss"] is not None and s["loss"] < a.threshold]
    if under:
        best = max(under, key=lambda s: s["rate"])
        w("**Highest rate with < %g %% loss: %g %% of line rate** (step %d): "
          "%s msgs/s offered, %s copies/s delivered, %.3f copies/msg, loss %.3f %%." % (
              a.threshold, best["rate"], best["n"], si(best["offered"]),
              si(best["delivered"]), best["cpm"], best["loss"]))
        lossy_below = [s for s in good if s["rate"] < best["rate"] and s not in under]
        if lossy_below:
            w("")
            w("Not monotonic: lower rates lost more at step(s) %s; rerun those."
              % ", ".join(str(s["n"]) for s in lossy_below))
    elif good and cpm_ref:
        w("**No step stayed under %g %% loss**: start the sweep lower, or see the notes." % a.threshold)
    else:
        w("**No usable step.**")
    w("")

    # warnings worth reading before the numbers
    for s in good:
        if s.get("dup_share", 0) > 0.01:
            notes.append(
                "Step %d: %.0f %% of the messages were ACKed as duplicates (acks.duplicate): "
                "the relay took the capture's repeats for retransmissions and fanned "
                "nothing out for them. Lower limits.dedup_window or write a larger "
                "capture (README.md, \"Retransmissions\")." % (s["n"], 100 * s["dup_share"]))
            break
    if cpm_ref and good:
        low = min(good, key=lambda s: s["rate"])
        if low["cpm"] < 0.5 * cpm_ref:
            notes.append(
                "Even the lowest rate delivered %.2f copies/msg of %.2f expected: copies "
                "are not coming back (endpoint MAC = the generator's RX port? population "
                "loaded? --endpoint-port-id? duplicates?)." % (low["cpm"], cpm_ref))
        elif low["loss"] is not None and low["loss"] < -1:
            notes.append(
                "More copies than expected at the lowest rate (loss %.2f %%): the "
                ".meta may not match the population loaded, or a step sent only part "
                "of a pass over the capture." % low["loss"])
    if any(s["row"].get("rx_missed", 0) or s["row"].get("rx_nombuf", 0) for s in good):
        notes.append("The generator's RX port dropped packets itself (generator drops): "
                     "that loss is the generator's, not the relay's; give Pktgen more RX cores.")
    if notes:
        w("## Notes")
        w("")
        for n in notes:
            w("- " + n)
        w("")
    if errors:
        w("## Errors in the sweep")
        w("")
        for e in errors:
            w("- `%s`" % e.replace("`", "'"))
        w("")

    whole = delta(sweep_before, sweep_after)
    if whole is not None:
        w("## Relay counters over the whole sweep")
        w("")
        keys = ["rx.pkts", "frames.msg", "acks", "acks.duplicate", "copies", "tx.pkts",
                "fanout.stalls"]
        w("| counter | delta |")
        w("|---|---:|")
        for k in keys:
            w("| %s | %d |" % (k, whole.get(k, 0)))
        for k, v in sorted(whole.items()):
            if LOSS_RE.match(k) and v > 0:
                w("| %s | %d |" % (k, v))
        gap = sweep_after.get("rx.max_gap_us")
        if gap is not None:
            w("| rx.max_gap_us (max since start) | %d |" % gap)
        w("")
        if not moved(whole):
            w("No drop, REJECT or NIC-miss counter moved on the relay during the sweep.")
            w("")

    text = "\n".join(out)
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
