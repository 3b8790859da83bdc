#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up, build and run every test suite that CI runs: unit and integration
# tests, the unit tests again under ASan/UBSan, and a bounded fuzz run.
# Prints one closing line "mrelay: N passed, N failed".
#
#   scripts/test.sh            as root on Debian 12
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
passed=0
failed=0

# Add the results of the last `meson test` in build dir $1 to the totals.
count() {
	local out
	out=$(/usr/bin/python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            ok += 1
        elif r != "SKIP":
            bad += 1
except FileNotFoundError:
    bad = 1
print(ok, bad)
PY
)
	passed=$((passed + ${out% *}))
	failed=$((failed + ${out#* }))
}

# A step that is not a meson test run: one pass or one failure.
step() {
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "test: $name FAILED" >&2
		failed=$((failed + 1))
	fi
}

if ! scripts/setup.sh build; then
	echo "mrelay: 0 passed, 1 failed"
	exit 1
fi

meson test -C build --suite unit --suite integration --print-errorlogs \
	--num-processes 1
count build

step sanitizers scripts/ci-sanitize.sh build-asan
step fuzz scripts/ci-fuzz.sh build-fuzz

echo "mrelay: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
