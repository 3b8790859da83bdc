#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job, end to end, on virtual devices: set up and build, start
# mrelayd on a memif port (scripts/demo.yaml), load a population made by
# mrelay-gen into it with mrelayctl import, drive it with mrelay-gen for
# about 20 s with live progress, and print what was delivered, how fast,
# with what latency, and the verifier's verdict (nothing lost, duplicated or
# reordered). Everything lives in a temporary directory that is removed at
# the end, also on Ctrl-C or failure.
#
#   scripts/demo.sh            as root on Debian 12
#
# Environment: MRELAY_DEMO_RATE (messages/s, default 4000),
# MRELAY_DEMO_SECONDS (default 20), MRELAY_BUILD (build directory, default
# build), MRELAY_DEMO_KEEP=1 (keep the temporary directory).
#
# Two DPDK processes share the machine's 2 CPUs: mrelayd runs -l 0-1 (its
# control plane on lcore 0, mostly asleep in epoll; its worker on 1) and
# mrelay-gen -l 0 (one lcore, on CPU 0). Both use --in-memory (no hugepage
# files left behind) and their own --file-prefix. They talk over memif with
# the socket a file in the temporary directory (socket-abstract=no) and
# rings of 16384 packets (rsize=14), deep enough for a peer that the kernel
# deschedules for a few tens of milliseconds. The memif driver of DPDK 22.11
# can crash a peer that is still polling when the other goes away, so the
# order is: mrelay-gen stops sending and reports, then holds its port
# without polling it (--hold); mrelayd stops (its worker stops polling
# before its port closes); then mrelay-gen exits.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
build=${MRELAY_BUILD:-build}
rate=${MRELAY_DEMO_RATE:-4000}
seconds=${MRELAY_DEMO_SECONDS:-20}
say() { printf '\n== %s\n' "$*"; }

scripts/setup.sh "$build"
mrelayd=$build/controlplane/mrelayd
mrelayctl=$build/controlplane/mrelayctl
gen=$build/dataplane/gen/mrelay-gen
for b in "$mrelayd" "$mrelayctl" "$gen"; do
	if [ ! -x "$b" ]; then
		echo "demo: $b was not built" >&2
		exit 1
	fi
done

tmp=$(mktemp -d /tmp/mrelay-demo.XXXXXX)
relay_prefix=mrdemo_relay_$$
gen_prefix=mrdemo_gen_$$
relay_pid=
gen_pid=

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Wait up to $2 seconds for process $1 to exit; kill -9 after that.
reap() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		echo "demo: process $pid did not stop: killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# Wait up to $1 seconds for mrelay-gen's report (or its exit).
wait_report() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		grep -q '^verdict' "$tmp/report.txt" 2>/dev/null && return 0
		alive "$gen_pid" || return 1
		sleep 0.1
	done
	return 1
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if alive "$gen_pid" && ! grep -q '^verdict' "$tmp/report.txt" 2>/dev/null; then
		# still sending: stop the traffic first, let it report
		kill -TERM "$gen_pid" 2>/dev/null || true
		wait_report 10 || true
	fi
	if alive "$relay_pid"; then
		kill -TERM "$relay_pid" 2>/dev/null || true
		reap "$relay_pid" 20
	fi
	if alive "$gen_pid"; then
		kill -TERM "$gen_pid" 2>/dev/null || true
		reap "$gen_pid" 10
	fi
	if [ "$rc" -ne 0 ] && [ -s "$tmp/report.txt" ]; then
		echo "demo: stopped (exit $rc); mrelay-gen's report so far:" >&2
		cat "$tmp/report.txt" >&2
	fi
	rm -rf "/var/run/dpdk/$relay_prefix" "/var/run/dpdk/$gen_prefix"
	if [ "${MRELAY_DEMO_KEEP:-0}" = 1 ]; then
		echo "demo: kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The workload: 300 groups of 2..24 members (Zipf), 2 devices per user,
# 16 emulated gateways, 15% direct messages, payloads of 32..512 bytes.
model=(--seed 2026 --groups 300 --members-zipf 24,1.3 --devices-per-user 2
       --endpoints 16 --direct-share 0.15 --receipt-share 0.05
       --payload 32-512)

say "mrelayd on a memif port (scripts/demo.yaml), state in $tmp"
cat scripts/demo.yaml > "$tmp/mrelayd.yaml"
cat >> "$tmp/mrelayd.yaml" <<EOF

# added by scripts/demo.sh: everything in its temporary directory
state_dir: $tmp/state
control:
  socket: $tmp/mrelayd.sock
EOF
# setsid: a Ctrl-C on the terminal reaches this script only, and the
# cleanup stops the two processes in the order the memif driver needs
setsid "$mrelayd" -l 0-1 --file-prefix "$relay_prefix" --in-memory --no-pci \
	--vdev "net_memif0,role=server,socket=$tmp/memif.sock,socket-abstract=no,rsize=14" \
	-- --config "$tmp/mrelayd.yaml" > "$tmp/mrelayd.log" 2>&1 &
relay_pid=$!
for ((i = 0; i < 300; i++)); do
	if ! alive "$relay_pid"; then
		echo "demo: mrelayd exited:" >&2
		tail -20 "$tmp/mrelayd.log" >&2
		exit 1
	fi
	"$mrelayctl" -s "$tmp/mrelayd.sock" stats > /dev/null 2>&1 && break
	sleep 0.1
done
grep -E 'restored|running' "$tmp/mrelayd.log" | sed 's/^/  /' || true

say "population: mrelay-gen --write-population | mrelayctl import"
"$gen" "${model[@]}" --count 1 --write-population "$tmp/population.jsonl"
printf '  %s endpoints, %s devices, %s groups, %s memberships\n' \
	"$(grep -c '"kind":"endpoint"' "$tmp/population.jsonl")" \
	"$(grep -c '"kind":"device"' "$tmp/population.jsonl")" \
	"$(grep -c '"kind":"group"' "$tmp/population.jsonl")" \
	"$(grep -c '"kind":"member"' "$tmp/population.jsonl")"
"$mrelayctl" -s "$tmp/mrelayd.sock" import "$tmp/population.jsonl" | sed 's/^/  /'

say "mrelay-gen: $rate messages/s for $seconds s over memif, verifying every copy"
setsid "$gen" -l 0 --file-prefix "$gen_prefix" --in-memory --no-pci \
	--log-level lib.eal:warning \
	--vdev "net_memif0,role=client,socket=$tmp/memif.sock,socket-abstract=no,rsize=14,mac=02:00:00:6d:72:67" \
	-- "${model[@]}" --rate "$rate" --duration "$seconds" \
	--deadline-ms 5000 --send --progress --hold > "$tmp/report.txt" \
	2> >(grep --line-buffered -v -E '^(EAL: No free|TELEMETRY: No legacy|rte_pmd_memif_probe\(\): Failed to register mp action)' >&2) &
gen_pid=$!
if ! wait_report $((seconds + 60)); then
	echo "demo: mrelay-gen gave no report" >&2
	cat "$tmp/report.txt" >&2
	exit 1
fi

say "what mrelayd counted"
"$mrelayctl" -s "$tmp/mrelayd.sock" stats |
	awk '$1 ~ /^(rx\.pkts|tx\.pkts|copies|acks|receipts|rx\.max_gap_us)$/ ||
	     ($1 ~ /^(drop|reject)\./ && $2 != 0) { printf "  %-22s %s\n", $1, $2 }'

say "stopping mrelayd, then mrelay-gen (traffic has stopped)"
kill -TERM "$relay_pid"
reap "$relay_pid" 20
relay_pid=
grep -E 'back in|stopped' "$tmp/mrelayd.log" | sed 's/^/  /' || true
kill -TERM "$gen_pid"
rc=0
wait "$gen_pid" || rc=$?
gen_pid=

say "mrelay-gen's report"
cat "$tmp/report.txt"
exit "$rc"
