#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run a rate sweep of mrelayd with Pktgen-DPDK on the generator machine:
# Pktgen replays the workload capture (make-workload.sh) on the TX port at
# each rate of the list (rate-sweep.lua), mrelayd's counters are
# snapshotted (`mrelayctl --json stats`, on the relay over ssh when
# RELAY_SSH is set) before and after the sweep and every step, and
# summarize.py turns it all into a table.
#
#   scripts/pktgen/run-sweep.sh --pcap workload/workload.pcap -a PCI_A [-a PCI_B] \
#       [options] [-- EXTRA PKTGEN OPTIONS]
#
# Generator:
#   --pktgen PATH       pktgen binary (default: $PKTGEN, else pktgen on PATH)
#   --pcap FILE         workload capture; repeat it for one capture per TX
#                       queue (make-workload.sh --pcaps N)
#   -a PCI              a NIC port for Pktgen (EAL -a), repeatable; Pktgen
#                       numbers them 0, 1, ... in PCI address order (the
#                       order EAL probes them), not in the order given
#   --lcores LIST       EAL -l (default 0-2: lcore 0 for Pktgen's display
#                       and Lua, 1 RX, 2 TX)
#   --map STRING        Pktgen -m (default "[1:2].0" with one port,
#                       "[1:2].0,[1:2].1" with two... give your own for more
#                       cores: "[1:2].0,[3:4].1")
#   --tx-port N         port replaying the capture (default 0)
#   --rx-port N         port receiving the copies (default 1 with two -a,
#                       else the TX port)
#   --eal "ARGS"        more EAL arguments (split on spaces), e.g.
#                       "--socket-mem 2048"
#   --file-prefix NAME  EAL --file-prefix (default mrelay_pktgen)
# Sweep (rate-sweep.lua; its environment variables SWEEP_* are set from these):
#   --rates LIST        percent of line rate (default
#                       1,2,5,10,15,20,25,30,40,50,60,70,80,90,100)
#   --settle-ms N       traffic before sampling (default 2000)
#   --samples N         one-second samples per step (default 5)
#   --drain-ms N        wait after stop (default 2000)
#   --no-step-snapshots snapshot mrelayd before and after the sweep only
#   --timeout S         stop Pktgen after S seconds (default: estimated from
#                       the steps, plus 180 s for start-up)
# Relay (the counters):
#   --relay-socket PATH mrelayd's control socket on the relay (default:
#                       $RELAY_SOCKET, else mrelayctl's default)
#   --mrelayctl PATH    mrelayctl (default: $MRELAYCTL; locally
#                       build/controlplane/mrelayctl or PATH; over ssh,
#                       mrelayctl on the relay's PATH)
#   RELAY_SSH=user@host (environment) runs mrelayctl on the relay over ssh
#   (key authentication: it must not ask for a password); RELAY_SSH_OPTS
#   adds ssh options (split on spaces). No RELAY_SSH: mrelayctl runs here.
# Output:
#   --out DIR           results directory (default sweep-YYYYmmdd-HHMMSS)
#   --meta FILE         the workload's .meta (default: NAME.meta next to
#                       the first --pcap) for the expected copies per message
#   -h, --help
#
# DIR gets rate-sweep.csv (one line per step), stats/sweep-{before,after}.json
# and stats/step-NN-{before,after}.json (mrelayd's counters), pktgen.log
# (Pktgen's screen, through `script`), command.txt, the .meta, and
# summary.md (summarize.py). Run it as root, from a terminal (Pktgen wants
# one; without, stdin is held open for it).
#
# Exit status: 0 the sweep ran to its end, 1 it did not (Pktgen failed, no
# results, timeout), 2 usage error.
set -euo pipefail

prog=run-sweep.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
self=$here/$(basename "${BASH_SOURCE[0]}")

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit "${2:-2}"; }
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
usage() { sed -n '3,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }

# ------------------------------------------------------- relay snapshots
relay_ctl() {	# mrelayctl ARGS..., here or over ssh
	local argv=("${MRELAYCTL:-mrelayctl}")
	[ -z "${RELAY_SOCKET:-}" ] || argv+=(-s "$RELAY_SOCKET")
	argv+=("$@")
	if [ -n "${RELAY_SSH:-}" ]; then
		local opts=()
		[ -z "${RELAY_SSH_OPTS:-}" ] || read -r -a opts <<< "$RELAY_SSH_OPTS"
		# shellcheck disable=SC2029 # quoted here on purpose, run there
		ssh -o BatchMode=yes "${opts[@]}" "$RELAY_SSH" "$(printf '%q ' "${argv[@]}")"
	else
		"${argv[@]}"
	fi
}

# snapshot FILE: mrelayd's counters as one JSON object; 0 if written
snapshot() {
	local f=$1 tmp=$1.tmp
	if relay_ctl --json stats > "$tmp" 2> "$tmp.err" && [ "$(head -c 1 "$tmp")" = "{" ]; then
		mv "$tmp" "$f"
		rm -f "$tmp.err"
		return 0
	fi
	say "warning: no snapshot $(basename "$f"): $(tr '\n' ' ' < "$tmp.err")"
	rm -f "$tmp" "$tmp.err"
	return 1
}

# Internal: the hook rate-sweep.lua calls, `run-sweep.sh --snapshot-step
# DIR STEP PHASE RATE`, with RELAY_* and MRELAYCTL in the environment.
if [ "${1:-}" = --snapshot-step ]; then
	[ $# -ge 4 ] || die "--snapshot-step DIR STEP PHASE [RATE]"
	[[ $3 =~ ^[0-9]+$ ]] || die "--snapshot-step: bad step '$3'"
	snapshot "$(printf '%s/step-%02d-%s.json' "$2" "$3" "$4")" || exit 1
	exit 0
fi

# ------------------------------------------------------------- options
pktgen=${PKTGEN:-}
pcaps=() allow=() eal_extra=() pg_extra=()
lcores=0-2 map='' tx_port=0 rx_port='' prefix=mrelay_pktgen
rates=1,2,5,10,15,20,25,30,40,50,60,70,80,90,100
settle=2000 samples=5 drain=2000 step_snaps=1 timeout=''
out='' meta=''
[ -z "${RELAY_SOCKET:-}" ] || export RELAY_SOCKET

num_arg() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 '$2': not a whole number"; }
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--) shift; pg_extra=("$@"); break ;;
	--no-step-snapshots) step_snaps=0; shift; continue ;;
	--pktgen|--pcap|-a|--lcores|--map|--tx-port|--rx-port|--eal|--file-prefix|\
	--rates|--settle-ms|--samples|--drain-ms|--timeout|--relay-socket|\
	--mrelayctl|--out|--meta)
		[ $# -ge 2 ] || die "$1 needs a value" ;;
	*) die "unknown option '$1' (--help)" ;;
	esac
	case $1 in
	--pktgen) pktgen=$2 ;;
	--pcap) pcaps+=("$2") ;;
	-a) allow+=(-a "$2") ;;
	--lcores) lcores=$2 ;;
	--map) map=$2 ;;
	--tx-port) num_arg "$1" "$2"; tx_port=$2 ;;
	--rx-port) num_arg "$1" "$2"; rx_port=$2 ;;
	--eal) read -r -a eal_extra <<< "$2" ;;
	--file-prefix) prefix=$2 ;;
	--rates) rates=$2 ;;
	--settle-ms) num_arg "$1" "$2"; settle=$2 ;;
	--samples) num_arg "$1" "$2"; samples=$2 ;;
	--drain-ms) num_arg "$1" "$2"; drain=$2 ;;
	--timeout) num_arg "$1" "$2"; timeout=$2 ;;
	--relay-socket) export RELAY_SOCKET=$2 ;;
	--mrelayctl) export MRELAYCTL=$2 ;;
	--out) out=$2 ;;
	--meta) meta=$2 ;;
	esac
	shift 2
done

# ------------------------------------------------------------- checks
if [ -z "$pktgen" ]; then
	pktgen=$(command -v pktgen || true)
	[ -n "$pktgen" ] || die "pktgen not found: Pktgen-DPDK is not packaged in Debian; build it (README.md, \"Pktgen\") and give --pktgen PATH or PKTGEN="
fi
[ -x "$pktgen" ] || die "pktgen '$pktgen' is missing or not executable"
command -v script > /dev/null || die "'script' (util-linux) is needed: Pktgen wants a terminal"
[ ${#pcaps[@]} -gt 0 ] || die "which capture? --pcap FILE (from make-workload.sh)"
for p in "${pcaps[@]}"; do
	[ -r "$p" ] || die "$p: cannot read it"
	case $p in *,*) die "$p: a comma in the path cannot be passed to pktgen -s" ;; esac
done
[ ${#allow[@]} -gt 0 ] || say "warning: no -a PCI given: Pktgen takes every port EAL finds"
nports=$(( ${#allow[@]} / 2 ))
if [ -z "$rx_port" ]; then
	if [ "$nports" -ge 2 ]; then rx_port=1; else rx_port=$tx_port; fi
fi
if [ -z "$map" ]; then
	if [ "$rx_port" = "$tx_port" ]; then
		map="[1:2].$tx_port"
	else
		map="[1:2].$tx_port,[1:2].$rx_port"
	fi
fi
nsteps=$(tr -s ', ' '\n' <<< "$rates" | grep -c . || true)
[ "$nsteps" -gt 0 ] || die "--rates '$rates': no rate"
if [ -z "$timeout" ]; then
	# per step: settle + samples + drain + up to 3 s stop + 2 snapshots
	timeout=$(( 180 + nsteps * ( (settle + drain) / 1000 + samples + 3 + 20 ) ))
fi
if [ -z "${MRELAYCTL:-}" ]; then
	MRELAYCTL=mrelayctl
	if [ -z "${RELAY_SSH:-}" ] && [ -x "$top/build/controlplane/mrelayctl" ]; then
		MRELAYCTL=$top/build/controlplane/mrelayctl
	fi
fi
export MRELAYCTL
[ -z "${RELAY_SSH:-}" ] || export RELAY_SSH
[ -z "${RELAY_SSH_OPTS:-}" ] || export RELAY_SSH_OPTS

out=${out:-sweep-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out/stats" || die "cannot create $out"
out=$(cd "$out" && pwd)
abs_pcaps=()
for p in "${pcaps[@]}"; do abs_pcaps+=("$(cd "$(dirname "$p")" && pwd)/$(basename "$p")"); done
if [ -z "$meta" ]; then
	base=${abs_pcaps[0]%.pcap}
	for m in "$base.meta" "${base%-[0-9]*}.meta"; do
		if [ -r "$m" ]; then meta=$m; break; fi
	done
fi
if [ -n "$meta" ]; then
	cp "$meta" "$out/workload.meta" || die "cannot copy $meta"
else
	say "warning: no workload .meta found: summarize.py will take the copies per message from the lowest rate"
fi

# ------------------------------------------------------------- run
pcap_arg=$(IFS=,; echo "${abs_pcaps[*]}")
cmd=("$pktgen" -l "$lcores" -n 4 --file-prefix "$prefix" --proc-type primary
     "${allow[@]}" "${eal_extra[@]}" --
     -P -m "$map" -s "$tx_port:$pcap_arg" -f "$here/rate-sweep.lua" "${pg_extra[@]}")

export SWEEP_TX_PORT=$tx_port SWEEP_RX_PORT=$rx_port SWEEP_RATES=$rates
export SWEEP_SETTLE_MS=$settle SWEEP_SAMPLES=$samples SWEEP_DRAIN_MS=$drain
export SWEEP_OUT=$out/rate-sweep.csv
relay_where=${RELAY_SSH:-this machine}
say "relay counters from mrelayctl on $relay_where${RELAY_SOCKET:+ ($RELAY_SOCKET)}"
if ! snapshot "$out/stats/sweep-before.json"; then
	say "warning: going on without relay counters (check RELAY_SSH, --relay-socket, --mrelayctl)"
	step_snaps=0
fi
SWEEP_HOOK=''
[ "$step_snaps" = 0 ] || SWEEP_HOOK="$(printf '%q ' "$self" --snapshot-step "$out/stats")"
export SWEEP_HOOK

{
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
	printf 'cd %q &&' "$PWD"
	for v in SWEEP_TX_PORT SWEEP_RX_PORT SWEEP_RATES SWEEP_SETTLE_MS SWEEP_SAMPLES \
		SWEEP_DRAIN_MS SWEEP_OUT SWEEP_HOOK RELAY_SSH RELAY_SOCKET MRELAYCTL; do
		[ -z "${!v:-}" ] || printf ' %s=%q' "$v" "${!v}"
	done
	printf ' %q' timeout --foreground -k 15 "$timeout" script -qec "$(printf '%q ' "${cmd[@]}")" "$out/pktgen.log"
	echo
} > "$out/command.txt"

say "$nsteps steps ($rates %), about $(( nsteps * ( (settle + drain) / 1000 + samples + 2 ) )) s; Pktgen's screen goes to $out/pktgen.log"
say "$(printf '%q ' "${cmd[@]}")"

rc=0
if [ -t 0 ]; then
	timeout --foreground -k 15 "$timeout" \
		script -qec "$(printf '%q ' "${cmd[@]}")" "$out/pktgen.log" > /dev/null || rc=$?
else
	# no terminal on stdin: give script a stdin that stays open (an EOF
	# would reach Pktgen's command line), and end it afterwards
	exec {hold}< <(exec sleep 2147483647)
	holder=$!
	timeout --foreground -k 15 "$timeout" \
		script -qec "$(printf '%q ' "${cmd[@]}")" "$out/pktgen.log" <&"$hold" > /dev/null || rc=$?
	exec {hold}<&-
	kill "$holder" 2> /dev/null || true
fi
[ ! -e "$out/stats/sweep-before.json" ] || snapshot "$out/stats/sweep-after.json" || true
rm -rf "/var/run/dpdk/$prefix" 2> /dev/null || true

csv=$out/rate-sweep.csv
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	say "Pktgen did not finish within ${timeout}s and was stopped (see $out/pktgen.log)"
fi
if ! [ -s "$csv" ]; then
	say "no results in $csv (Pktgen exit $rc): see $out/pktgen.log"
	exit 1
fi
grep '^# ERROR' "$csv" >&2 || true
echo
grep -v '^#' "$csv" | cut -d, -f1-8 | column -t -s, 2> /dev/null || grep -v '^#' "$csv"
echo
py=$(command -v /usr/bin/python3 || command -v python3 || true)
if [ -n "$py" ]; then
	if "$py" "$here/summarize.py" "$out" --out "$out/summary.md"; then
		say "summary: $out/summary.md"
	else
		say "summarize.py failed; the raw results are in $out"
	fi
else
	say "no python3 here: run summarize.py $out elsewhere"
fi
if ! grep -q '^# done' "$csv"; then
	say "the sweep did not reach its end (Pktgen exit $rc)"
	exit 1
fi
exit 0
