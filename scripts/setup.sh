#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up a Debian 12 machine for mrelay and build it. Idempotent: run it as
# often as you like; it only does what is missing.
#
#   scripts/setup.sh [BUILD_DIR]        (default: build)
#
# Environment: MRELAY_HUGEPAGES (2 MiB pages to reserve, default 1024),
# MRELAY_MESON_OPTS (extra options for a new build directory).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
log() { printf 'setup: %s\n' "$*"; }

# Every Debian package the project builds, tests or demos with.
pkgs=(
	build-essential meson ninja-build pkg-config clang llvm lld
	libclang-rt-14-dev
	dpdk dpdk-dev libdpdk-dev
	libhyperscan-dev libbpf-dev libxdp-dev bpftool
	libcmocka-dev libpcap-dev libsqlite3-dev sqlite3 libyaml-dev
	libjansson-dev
	python3 python3-scapy tshark tcpreplay
	iproute2 ethtool procps kmod
)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: run as root (packages, hugepages, namespaces)" >&2
	exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Hugepages: DPDK runs without them (--no-huge) but slower. Reserve what we
# can; a machine that refuses is reported, not fatal.
want=${MRELAY_HUGEPAGES:-1024}
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -w "$hp" ]; then
	have=$(cat "$hp")
	if [ "$have" -lt "$want" ]; then
		echo "$want" > "$hp" 2>/dev/null || true
		have=$(cat "$hp")
	fi
	log "hugepages: $have x 2 MiB"
else
	log "hugepages: cannot reserve here; tests fall back to --no-huge"
fi
if ! grep -q ' /dev/hugepages hugetlbfs ' /proc/mounts; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null ||
		log "hugetlbfs: mount failed; tests fall back to --no-huge"
fi

cd "$top"
if [ ! -f "$build/build.ninja" ]; then
	# shellcheck disable=SC2086
	meson setup "$build" ${MRELAY_MESON_OPTS:-} >/dev/null
fi
if ! ninja -C "$build" > "$build/ninja.log" 2>&1; then
	cat "$build/ninja.log" >&2
	exit 1
fi
case "$build" in /*) log "built in $build" ;; *) log "built in $top/$build" ;; esac
