#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the libFuzzer harnesses (tests/fuzz) with clang and run the 'fuzz'
# suite: each harness fuzzes for MRELAY_FUZZ_SECONDS (default 60) from the
# seed corpus; any crash, sanitizer report, leak or slow input fails.
#
#   scripts/ci-fuzz.sh [BUILD_DIR]                default: build-fuzz
#   MRELAY_FUZZ_SECONDS=600 scripts/ci-fuzz.sh    a longer run
#
# Output goes to BUILD_DIR/ci-fuzz.log; its tail is printed on failure.
# Findings are in BUILD_DIR/tests/fuzz/corpus-run/<harness>/artifacts/.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build-fuzz}
case $build in /*) ;; *) build=$top/$build ;; esac
mkdir -p "$build"
log=$build/ci-fuzz.log
: >"$log"

fail() {
	echo "ci-fuzz: FAILED: $1 (log: $log)" >&2
	echo "---- last 80 lines of $log ----" >&2
	tail -n 80 "$log" >&2
	exit 1
}

if [ -f "$build/build.ninja" ]; then
	meson configure "$build" -Dfuzz=true >>"$log" 2>&1 ||
		fail "meson configure"
else
	CC=clang meson setup "$build" "$top" -Dfuzz=true >>"$log" 2>&1 ||
		fail "meson setup"
fi
# only what the suite needs: the rest of the tree is not built with clang
ninja -C "$build" tests/fuzz/parse_fuzz tests/fuzz/dgram_fuzz >>"$log" 2>&1 ||
	fail "build (is $build set up with CC=clang? tests/meson.build needs subdir('fuzz'))"

echo "ci-fuzz: fuzzing ${MRELAY_FUZZ_SECONDS:-60}s per harness" >&2
if ! meson test -C "$build" --no-rebuild --suite fuzz --print-errorlogs \
	>>"$log" 2>&1; then
	fail "fuzz suite"
fi
grep -E 'no finding in' "$build/meson-logs/testlog.txt" | sed 's/^/ci-fuzz: /'
echo "ci-fuzz: OK"
