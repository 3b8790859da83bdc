#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Measure the control plane (tests/bench/control_bench.py): membership
# changes per second through the control socket, single and batched, with
# the worker polling a net_null port at full load; bulk import rate; memory
# per membership at 1M and 10M; restore time. Writes the result into
# docs/performance.md as the section "## Control plane" (replaced if it is
# there, appended if not; other sections are left as they are), with the
# date, the machine and the command.
#
#   scripts/bench-control.sh [BUILD_DIR [control_bench.py args...]]
#       BUILD_DIR defaults to build-bench, set up with --buildtype=release
#       if it does not exist; e.g. scripts/bench-control.sh build-bench --sizes 1M
#
# Needs root, hugepages (scripts/setup.sh), about 1 GiB of disk under
# /var/tmp and /tmp, and 5-10 minutes for the default --sizes 1M,10M. Run
# it on a machine as quiet as you can get.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
arg_build=${1:-build-bench}
[ $# -gt 0 ] && shift
build=$arg_build
case $build in /*) ;; *) build=$top/$build ;; esac
doc=$top/docs/performance.md
mkdir -p "$build"
log=$build/bench-control.log
: >"$log"

fail() {
	echo "bench-control: FAILED: $1 (log: $log)" >&2
	tail -n 40 "$log" >&2
	exit 1
}

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$top" --buildtype=release >>"$log" 2>&1 ||
		fail "meson setup"
fi
ninja -C "$build" controlplane/mrelayd controlplane/mrelayctl >>"$log" 2>&1 ||
	fail "build"

md=$(mktemp /tmp/bench-control.XXXXXX.md)
trap 'rm -f "$md"' EXIT
cmd="scripts/bench-control.sh $arg_build${*:+ $*}"
MRELAYD=$build/controlplane/mrelayd MRELAYCTL=$build/controlplane/mrelayctl \
	/usr/bin/python3 "$top/tests/bench/control_bench.py" --markdown "$md" \
	--command "$cmd" "$@" 2>&1 | tee -a "$log" ||
	fail "control_bench.py"
[ -s "$md" ] || fail "control_bench.py wrote no result"

buildtype=$(/usr/bin/python3 -c '
import json, sys
for o in json.load(open(sys.argv[1])):
    if o["name"] in ("buildtype", "static_dpdk"):
        print("%s=%s" % (o["name"], o["value"]), end=" ")
' "$build/meson-info/intro-buildoptions.json")
# the build options go after the "Measured ..." line
section=$(awk -v bt="${buildtype% }" '
	/^Measured / && !done { sub(/\.$/, ", " bt "."); done = 1 }
	{ print }
' "$md")

if [ ! -f "$doc" ]; then
	printf '# Performance\n\nWhat we measured, when, where and with which command: each section is\nwritten by the script it names.\n' >"$doc"
fi
# Replace the "## Control plane" section (up to the next "## " heading), or
# append it. Re-read just now, so sections others wrote meanwhile stay.
tmp=$(mktemp "$doc.XXXXXX")
SECTION=$section awk '
	/^## Control plane[[:space:]]*$/ { skip = 1; done = 1; print ENVIRON["SECTION"]; next }
	skip && /^## / { skip = 0; print "" }
	!skip { print }
	END { if (!done) { print ""; print ENVIRON["SECTION"] } }
' "$doc" >"$tmp"
cat "$tmp" >"$doc"
rm -f "$tmp"
echo "bench-control: wrote section \"## Control plane\" of ${doc#"$top"/}"
