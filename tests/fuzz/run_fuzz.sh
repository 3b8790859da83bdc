#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Run one libFuzzer harness for a bounded time, as a meson test.
#   run_fuzz.sh HARNESS SEED_DIR WORK_DIR
# The seeds are copied into WORK_DIR/corpus (what earlier runs found there is
# kept: rm -rf WORK_DIR to start over), crashes go to WORK_DIR/artifacts.
# MRELAY_FUZZ_SECONDS sets the time (default 60); extra libFuzzer flags can
# be given in MRELAY_FUZZ_ARGS. Exits non-zero on any crash, sanitizer
# report, leak or input slower than 10 s.
set -eu

exe=$1
seeds=$2
work=$3
name=$(basename "$exe")
secs=${MRELAY_FUZZ_SECONDS:-60}

mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:print_stacktrace=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

rc=0
# shellcheck disable=SC2086 # MRELAY_FUZZ_ARGS is a list of flags
"$exe" -max_total_time="$secs" -timeout=10 -max_len=9216 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	${MRELAY_FUZZ_ARGS:-} "$work/corpus" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "$name: FAILED (exit $rc). Findings:" >&2
	ls -l "$work/artifacts" >&2
	echo "reproduce: $exe $work/artifacts/<file>" >&2
	exit "$rc"
fi
echo "$name: no finding in ${secs}s, corpus $(find "$work/corpus" -type f | wc -l) inputs"
