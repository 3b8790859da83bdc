#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Measure the parse cost (tests/bench/parse_bench.c) and write the result
# into docs/performance.md as the section "## Parse cost" (replaced if it is
# there, appended if not), with the date, the machine and the command.
#
#   scripts/bench-parse.sh [BUILD_DIR [parse_bench args...]]
#       BUILD_DIR defaults to build-bench, set up with --buildtype=release
#       if it does not exist; e.g. scripts/bench-parse.sh build-bench -- -r 15
#
# Run it on a machine as quiet as you can get; read the ratios between rows.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
arg_build=${1:-build-bench}
[ $# -gt 0 ] && shift
build=$arg_build
case $build in /*) ;; *) build=$top/$build ;; esac
doc=$top/docs/performance.md
mkdir -p "$build"
log=$build/bench-parse.log
: >"$log"

fail() {
	echo "bench-parse: FAILED: $1 (log: $log)" >&2
	tail -n 40 "$log" >&2
	exit 1
}

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" --buildtype=release >>"$log" 2>&1 ||
		fail "meson setup"
fi
ninja -C "$build" tests/bench/parse_bench >>"$log" 2>&1 ||
	fail "build (tests/bench/meson.build needs the parse_bench lines)"

exe=$build/tests/bench/parse_bench

buildtype=$(/usr/bin/python3 -c '
import json, sys
for o in json.load(open(sys.argv[1])):
    if o["name"] in ("buildtype", "static_dpdk"):
        print("%s=%s" % (o["name"], o["value"]), end=" ")
' "$build/meson-info/intro-buildoptions.json")
cc=$(/usr/bin/python3 -c '
import json, shlex, subprocess, sys
cc = shlex.split(json.load(open(sys.argv[1]))[0]["command"])[0]
print(subprocess.run([cc, "--version"], capture_output=True,
                     text=True).stdout.splitlines()[0])
' "$build/compile_commands.json" 2>/dev/null || echo "unknown compiler")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
load=$(cut -d' ' -f1-3 /proc/loadavg)	# before the run: how busy the host was
table=$("$exe" "$@" 2>>"$log") || fail "parse_bench"
section=$(cat <<EOF
## Parse cost

Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) vCPUs, ${cpu:-unknown CPU},
Linux $(uname -r), load average $load before the run; DPDK
$(pkg-config --modversion libdpdk), ${cc}, ${buildtype% }.

Command: \`scripts/bench-parse.sh $arg_build${*:+ $*}\`, which runs
\`${exe#"$top"/}${*:+ $*}\` (source: tests/bench/parse_bench.c; also
\`meson test -C $arg_build --benchmark --suite bench\`).

$table
EOF
)

if [ ! -f "$doc" ]; then
	cat >"$doc" <<'EOF'
# Performance

What we measured, when, where and with which command: each section is
written by the script it names.

How to read the numbers: the reference machine is a shared virtual machine
with 2 vCPUs, no hardware performance counters and other jobs running, so
absolute figures move 2-4x with the load of its neighbours (each section
records the load average). What holds from one run to the next is the ratio
between rows measured side by side in one run: compare rows of one table,
not tables of different days. Benchmarks that can run their cases
interleaved, round after round, and report the median (and best) round of
each case. Cycles are TSC cycles (rte_rdtsc() at rte_get_tsc_hz()): they
convert to time, not to instructions; for repeatable instruction counts run
a benchmark under `valgrind --tool=callgrind` (with --no-huge, ~80x slower).
EOF
fi

# Replace the "## Parse cost" section (up to the next "## " heading), or
# append it.
tmp=$(mktemp "$doc.XXXXXX")
SECTION=$section awk '
	/^## Parse cost[[:space:]]*$/ { skip = 1; done = 1; print ENVIRON["SECTION"]; next }
	skip && /^## / { skip = 0; print "" }
	!skip { print }
	END { if (!done) { print ""; print ENVIRON["SECTION"] } }
' "$doc" >"$tmp"
cat "$tmp" >"$doc"
rm -f "$tmp"
echo "$table"
echo "bench-parse: wrote section \"## Parse cost\" of ${doc#"$top"/}"
