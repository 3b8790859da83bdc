#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job for a newcomer: set up and build, then decode the sample
# capture of every frame type with the dataplane's own parser.
#
#   scripts/demo.sh            as root on Debian 12
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
scripts/setup.sh build

echo
echo "== sample capture: tests/vectors/vectors.pcap (valid datagrams, then invalid ones)"
# mrelay-dump exits 1 when it saw drops; the capture holds invalid datagrams
# on purpose, so only an I/O error (2) is a failure here.
rc=0
build/dataplane/mrelay-dump tests/vectors/vectors.pcap || rc=$?
[ "$rc" -le 1 ]
