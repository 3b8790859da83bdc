#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Relay throughput against dpdk-testpmd, in one run on the same virtual
# devices; writes the "Relay throughput" and "Why ipv4_multicast is slower"
# sections of docs/performance.md (other sections are kept).
#
#   scripts/bench-relay.sh [options]
#
#   --quick            fan-outs 1,8 and payloads 64 only, 3 s a case
#   --seconds N        measuring window per case (default 5, after 3 of warm-up)
#   --fanouts LIST     default 1,8,64,1024
#   --payloads LIST    default 64,512,1400
#   --no-static        skip the -Dstatic_dpdk=true build
#   --no-mcast         skip DPDK's ipv4_multicast sample
#   --no-perf          skip the perf profile of fan-out 8 / 64 B
#   --no-doc           do not touch docs/performance.md
#   --keep             keep the work directory (captures, logs)
#
# Builds (release) into build-bench/, build-bench-static/ and build-bench-prof/
# (release + -g, for the profile by stage); results, JSON and perf data in
# build-bench/bench-relay/. Takes 10-15 minutes: it waits (3 minutes at
# most in all) for lcore 1 to be idle and measures a case again when another
# process took its core. Needs root (packages, hugepages) and about 1 GiB of
# free 2 MiB hugepages. Helpers: scripts/bench/relay_workload.py (population
# and captures), relay_bench.py (runs, report), perf_stages.py, tsc_hz.c.
# Runs mrelayd, dpdk-testpmd and ipv4_multicast on lcores 0-1, each with its
# own --file-prefix, --in-memory and --no-pci; all are stopped at the end.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
log() { printf 'bench-relay: %s\n' "$*" >&2; }

cmdline="scripts/bench-relay.sh${*:+ $*}"
static=1 mcast=1 doc=1
py_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--quick) py_args+=(--fanouts 1,8 --payloads 64 --seconds 3) ;;
	--seconds|--fanouts|--payloads) py_args+=("$1" "$2"); shift ;;
	--no-static) static=0 ;;
	--no-mcast) mcast=0 ;;
	--no-perf) py_args+=(--no-perf) ;;
	--no-doc) doc=0 ;;
	--keep) py_args+=(--keep) ;;
	-h|--help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-relay: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-relay: run as root (packages, hugepages)" >&2
	exit 1
fi

# Packages, hugepages and the release build, as for every build dir. Only
# mrelayd and mrelayctl are needed here: a test that does not build (work in
# progress elsewhere in the tree) must not stop the benchmark.
targets=(controlplane/mrelayd controlplane/mrelayctl)
if ! MRELAY_MESON_OPTS="-Dbuildtype=release" scripts/setup.sh build-bench >&2; then
	log "the full build failed; building ${targets[*]} only"
	ninja -C build-bench "${targets[@]}" >&2
fi

# What the benchmark adds: dpdk-testpmd (dpdk), perf (linux-perf), the
# ipv4_multicast source (dpdk-doc), libsystemd-dev (static DPDK links
# libpcap, whose Libs.private names -lsystemd).
extra=()
for p in dpdk linux-perf dpdk-doc libsystemd-dev python3-scapy; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		extra+=("$p")
done
if [ ${#extra[@]} -gt 0 ]; then
	log "installing ${extra[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${extra[@]}" >/dev/null
fi

free_hp=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
if [ "${free_hp:-0}" -lt 512 ]; then
	echo "bench-relay: $free_hp free 2 MiB hugepages, need 512 (1 GiB):" \
		"MRELAY_HUGEPAGES=1024 scripts/setup.sh, or stop other DPDK processes" >&2
	exit 1
fi

builds=(--build "shared=build-bench")
if [ "$static" = 1 ]; then
	if [ ! -f build-bench-static/build.ninja ]; then
		meson setup build-bench-static -Dbuildtype=release \
			-Dstatic_dpdk=true >/dev/null
	fi
	if ninja -C build-bench-static "${targets[@]}" \
		> build-bench-static/ninja.log 2>&1; then
		builds+=(--build "static=build-bench-static")
	else
		tail -20 build-bench-static/ninja.log >&2
		log "the static DPDK build failed (above); going on without it"
	fi
fi

# The reference build again with debug info, for the profile by stage (-g
# does not change the code gcc generates, only adds DWARF).
prof_args=()
if [[ " ${py_args[*]} " != *" --no-perf "* ]]; then
	if [ ! -f build-bench-prof/build.ninja ]; then
		meson setup build-bench-prof -Dbuildtype=release -Dc_args=-g \
			>/dev/null
	fi
	ninja -C build-bench-prof "${targets[@]}" > build-bench-prof/ninja.log 2>&1 ||
		{ tail -20 build-bench-prof/ninja.log >&2; exit 1; }
	prof_args=(--prof-build build-bench-prof)
fi

out=build-bench/bench-relay
mkdir -p "$out"
cc -O2 -Wall -o "$out/tsc_hz" scripts/bench/tsc_hz.c
tsc_hz=$("$out/tsc_hz")

mcast_args=()
if [ "$mcast" = 1 ]; then
	src=/usr/share/dpdk/examples/ipv4_multicast/main.c
	# As shipped it asks for RTE_ETH_TX_OFFLOAD_MULTI_SEGS, which neither
	# net_null nor net_pcap advertise: mask the offloads with the port's
	# capabilities (one added line), then a second binary whose header
	# pool has a per-lcore cache of 512 instead of 32 (docs/performance.md).
	sed 's|^\t\tlocal_port_conf.rxmode.mtu = RTE_MIN(|\t\tlocal_port_conf.txmode.offloads \&= dev_info.tx_offload_capa; /* mrelay bench */\n&|' \
		"$src" > "$out/ipv4_multicast.c"
	grep -q 'mrelay bench' "$out/ipv4_multicast.c" ||
		{ echo "bench-relay: could not patch $src" >&2; exit 1; }
	sed 's|"header_pool", NB_HDR_MBUF, 32,|"header_pool", NB_HDR_MBUF, 512,|' \
		"$out/ipv4_multicast.c" > "$out/ipv4_multicast_cache512.c"
	grep -q 'NB_HDR_MBUF, 512' "$out/ipv4_multicast_cache512.c" ||
		{ echo "bench-relay: could not patch the header pool cache" >&2; exit 1; }
	for v in ipv4_multicast ipv4_multicast_cache512; do
		# shellcheck disable=SC2046
		cc -O3 -DALLOW_EXPERIMENTAL_API $(pkg-config --cflags libdpdk) \
			-o "$out/$v" "$out/$v.c" $(pkg-config --libs libdpdk)
	done
	mcast_args=(--mcast "ipv4_multicast (stock, offloads masked)=$out/ipv4_multicast"
		--mcast "ipv4_multicast, header pool cache 512=$out/ipv4_multicast_cache512")
fi

doc_args=()
[ "$doc" = 1 ] && doc_args=(--doc docs/performance.md)

log "TSC $tsc_hz Hz; builds: ${builds[*]}"
exec /usr/bin/python3 scripts/bench/relay_bench.py "${builds[@]}" \
	--tsc-hz "$tsc_hz" --outdir "$out" --command "$cmdline" \
	"${mcast_args[@]}" "${doc_args[@]}" "${prof_args[@]}" "${py_args[@]}"
