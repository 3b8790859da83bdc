#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# All of mrelay's relay benchmarks in one run, written into
# docs/performance.md with the date and the commands:
#   1. scripts/bench-relay.sh: dpdk-testpmd io and txonly ceilings and
#      mrelayd at fan-out 1, 8, 64, 1024 x payloads 64, 512, 1400 B on the
#      same virtual devices, side by side (msgs/s, copies/s, ratios to
#      testpmd, cycles per copy), "## Relay throughput";
#   2. scripts/bench-latency.py: latency percentiles through memif with
#      mrelay-gen at half the maximum rate, "## Latency through memif".
#
#   scripts/bench.sh [bench-relay.sh options, e.g. --quick]
#
# Takes 10-20 minutes; needs root (packages, hugepages). Other sections of
# docs/performance.md (parse cost, control plane, copy or clone, topics)
# have their own scripts: scripts/bench-parse.sh, scripts/bench-control.sh,
# meson test -C build --benchmark --suite bench.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
scripts/setup.sh build
scripts/bench-relay.sh "$@"
/usr/bin/python3 scripts/bench-latency.py --build build --seconds 10 \
	--doc docs/performance.md
echo "bench: results in docs/performance.md"
