#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the project with AddressSanitizer + UndefinedBehaviorSanitizer and
# run the unit suite; any sanitizer report fails the run.
#
#   scripts/ci-sanitize.sh [BUILD_DIR]     default: build-asan
#   CC=clang scripts/ci-sanitize.sh        the compiler of a new build dir
#                                          (default gcc); an existing dir
#                                          keeps the one it was set up with
#
# -Db_lundef=false: clang links its sanitizer runtimes into executables
# only, so a shared object must be allowed undefined __asan_* symbols (meson
# warns about b_sanitize + b_lundef with clang); harmless with gcc. Both
# compilers pass with DPDK's pkg-config flags (-include rte_config.h
# -march=corei7, shared librte_*) as they are: the DPDK libraries are not
# instrumented, only our code is, and the unit tests need no EAL.
# Output goes to BUILD_DIR/ci-sanitize.log; its tail is printed on failure.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build-asan}
case $build in /*) ;; *) build=$top/$build ;; esac
mkdir -p "$build"
log=$build/ci-sanitize.log
: >"$log"

fail() {
	echo "ci-sanitize: FAILED: $1 (log: $log)" >&2
	echo "---- last 60 lines of $log ----" >&2
	tail -n 60 "$log" >&2
	exit 1
}

opts=("-Db_sanitize=address,undefined" -Db_lundef=false -Dtests=enabled)
if [ -f "$build/build.ninja" ]; then
	meson configure "$build" "${opts[@]}" >>"$log" 2>&1 ||
		fail "meson configure"
else
	CC=${CC:-gcc} meson setup "$build" "$top" "${opts[@]}" >>"$log" 2>&1 ||
		fail "meson setup"
fi
ninja -C "$build" >>"$log" 2>&1 || fail "build"

# Stop at the first report, with a stack; leaks are reports too.
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
if ! meson test -C "$build" --suite unit --print-errorlogs >>"$log" 2>&1; then
	fail "unit tests under ASan/UBSan"
fi
summary=$(grep -E '^(Ok|Fail|Timeout|Skipped):' "$log" | tr -s ' ' | paste -sd' ' -)
echo "ci-sanitize: OK ($(basename "$build"): $summary)"
