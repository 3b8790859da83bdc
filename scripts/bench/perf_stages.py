# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The mrelay authors
"""Where a worker's time goes, by stage and by kind of work.

    perf_stages.py PERF.DATA [--markdown]

PERF.DATA: `perf record -e cpu-clock --call-graph dwarf -t WORKER_TID` of
an mrelayd built with debug info (-g does not change the code gcc makes;
scripts/bench-relay.sh uses build-bench-prof: release + -g), so that
inlined functions appear in the call chains (`perf script --inline`).

Every sample is put in one stage, the deepest stage marker on its chain
(an ACK's TX burst counts as TX, its header building as ACK), and in one
kind of work, the first marker from the leaf up (a checksum inside header
building counts as checksum). Both tables add up to 100 %.
"""
import argparse
import re
import subprocess
import sys

# (regex on the function name, stage); the deepest match on a chain wins
STAGES = [
    (r"^rte_eth_rx_burst$", "RX burst (pcap PMD: ring + memcpy)"),
    (r"^(mr_parse_l2l4|mr_dgram_check|mr_frame_next|dp_dgram)$",
     "parse L2-L4 + frames (incl. UDP checksum check)"),
    (r"^(handle_msg|mr_relay_frame)$",
     "MSG: lookups, dedup, sequence"),
    (r"^(send_ack|send_reject|reply_frame|reply_of)$", "ACK / REJECT"),
    (r"^mr_tmpl_init$", "copy template (frame + payload sum)"),
    (r"^(mr_fanout_run|fanout_step|user_copies|mr_send_ep|fanout_done)$",
     "fan-out: build copies"),
    (r"^(rte_eth_tx_burst|mr_tx_drain)$", "TX burst (PMD frees)"),
]
# (regex, kind); the first match from the leaf up wins
KINDS = [
    (r"cksum|csum|payload_sum", "checksum (compute or verify)"),
    (r"^(rte_pktmbuf_alloc|rte_mbuf_raw_alloc|rte_mempool_get|"
     r"rte_mempool_get_bulk|rte_pktmbuf_alloc_bulk)$", "mbuf alloc"),
    (r"^(rte_pktmbuf_free|rte_pktmbuf_free_bulk|rte_pktmbuf_free_seg|"
     r"rte_mempool_put|rte_mempool_put_bulk|rte_mbuf_raw_free)$",
     "mbuf free"),
    (r"^(rte_memcpy|rte_mov\d+|memcpy|__memcpy.*|__memmove.*|rte_pktmbuf_read)$",
     "memcpy"),
    (r"^(rte_hash_.*|__rte_hash.*|__memcmp.*|memcmp|mr_tables_user|"
     r"mr_tables_group|mr_dedup_.*|mr_group_role|pair_next_seq|"
     r"rte_hash_crc.*)$", "hash / table lookups, dedup"),
    (r"^(mr_enc_l2l4|mr_ep_dest|mr_l2l4_len|mr_enc_.*|reply_of)$",
     "header / frame encoding"),
    (r"^\[(librte_net_\w+)", "PMD"),
    (r"^__tls_get_addr$", "TLS lookup (shared DPDK)"),
    (r"^\[kernel\]$", "kernel (interrupts, preemption)"),
]
FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.+?)\s+\((.+)\)\s*$")


def frames(data):
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso",
                          "--inline"], capture_output=True, text=True,
                         check=True).stdout
    chain = []
    for line in out.splitlines():
        if not line.strip():
            if chain:
                yield chain
            chain = []
            continue
        m = FRAME.match(line)
        if not m:
            continue
        sym, where = m.group(1), m.group(2)
        if where.startswith("[kernel"):
            sym = "[kernel]"
        elif sym == "[unknown]":
            sym = "[%s]" % where.rsplit("/", 1)[-1].split(".so")[0]
        chain.append(sym)
    if chain:
        yield chain


def classify(chain):
    """chain: leaf first. Returns (stage, kind)."""
    stage = "other (loop, RCU, drain checks)"
    for sym in reversed(chain):          # root to leaf: deepest wins
        for rx, name in STAGES:
            if re.search(rx, sym):
                stage = name
    kind = None
    for sym in chain:                    # leaf up: first wins
        for rx, name in KINDS:
            m = re.search(rx, sym)
            if m:
                kind = name if name != "PMD" else (
                    "PMD %s" % m.group(1).replace("librte_net_", "net_"))
                break
        if kind:
            break
    if kind is None:
        kind = "other (control flow, loads, stores)"
    return stage, kind


def tables(data):
    n = 0
    st, kd = {}, {}
    for chain in frames(data):
        s, k = classify(chain)
        st[s] = st.get(s, 0) + 1
        kd[k] = kd.get(k, 0) + 1
        n += 1
    return n, st, kd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    n, st, kd = tables(a.data)
    if n == 0:
        sys.exit("no samples in %s" % a.data)
    for title, d in (("stage", st), ("kind of work", kd)):
        if a.markdown:
            print("| %s | share |" % title)
            print("|---|---:|")
        for k, v in sorted(d.items(), key=lambda kv: -kv[1]):
            if a.markdown:
                print("| %s | %.1f %% |" % (k, 100.0 * v / n))
            else:
                print("%6.1f %%  %s" % (100.0 * v / n, k))
        print()
    if not a.markdown:
        print("%d samples" % n)


if __name__ == "__main__":
    main()
