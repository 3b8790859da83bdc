#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Load a population written by make-workload.sh (or mrelay-gen
# --write-population) into a running mrelayd with mrelayctl import, print
# what the file holds, and check with `mrelayctl --json stats` that the
# relay's tables (tables.*) hold at least that much afterwards.
#
#   scripts/pktgen/load-population.sh [-s SOCKET] [--mrelayctl PATH] FILE
#
#   -s, --socket PATH   mrelayd's control socket (default: $RELAY_SOCKET,
#                       else mrelayctl's own default: $MRELAY_SOCKET, else
#                       /run/mrelay/mrelayd.sock)
#   --mrelayctl PATH    mrelayctl (default: $MRELAYCTL; locally
#                       build/controlplane/mrelayctl or mrelayctl on PATH;
#                       over ssh, mrelayctl on the relay's PATH)
#   -h, --help
#
# RELAY_SSH=user@relay (and RELAY_SSH_OPTS, split on spaces) runs mrelayctl
# on the relay over ssh; the file is streamed to `mrelayctl import -`.
# Import is add-or-replace, so running this again is harmless.
#
# Exit status: 0 loaded and the tables hold it, 1 mrelayd refused part of
# it or the tables are short, 2 usage error, 3 mrelayd not reachable.
set -euo pipefail

prog=load-population.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit "${2:-2}"; }
usage() { sed -n '3,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }

sock=${RELAY_SOCKET:-}
ctl=${MRELAYCTL:-}
file=''
while [ $# -gt 0 ]; do
	case $1 in
	-s|--socket) [ $# -ge 2 ] || die "$1 needs a value"; sock=$2; shift ;;
	--mrelayctl) [ $# -ge 2 ] || die "$1 needs a value"; ctl=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) die "unknown option '$1' (--help)" ;;
	*) [ -z "$file" ] || die "one FILE only"; file=$1 ;;
	esac
	shift
done
[ -n "$file" ] || die "which population file? (NAME.population.jsonl from make-workload.sh)"
[ -r "$file" ] || die "$file: cannot read it"

remote=${RELAY_SSH:-}
if [ -z "$ctl" ]; then
	if [ -n "$remote" ]; then
		ctl=mrelayctl
	elif [ -x "$top/build/controlplane/mrelayctl" ]; then
		ctl=$top/build/controlplane/mrelayctl
	elif command -v mrelayctl > /dev/null 2>&1; then
		ctl=$(command -v mrelayctl)
	else
		die "mrelayctl not found (build/controlplane/mrelayctl, PATH): build it or give --mrelayctl"
	fi
fi
if [ -z "$remote" ] && ! [ -x "$ctl" ]; then
	die "mrelayctl '$ctl' is missing or not executable"
fi

ctl_argv=("$ctl")
[ -z "$sock" ] || ctl_argv+=(-s "$sock")

# mrelayctl [args...], here or on the relay; stdin passes through
run_ctl() {
	if [ -n "$remote" ]; then
		local opts=()
		[ -z "${RELAY_SSH_OPTS:-}" ] || read -r -a opts <<< "$RELAY_SSH_OPTS"
		# shellcheck disable=SC2029 # quoted here on purpose, run there
		ssh "${opts[@]}" "$remote" "$(printf '%q ' "${ctl_argv[@]}" "$@")"
	else
		"${ctl_argv[@]}" "$@"
	fi
}

# value of counter $2 in the one-line JSON object $1 (0 if absent)
stat_of() {
	local v
	v=$(printf '%s\n' "$1" | grep -o "\"$2\":[0-9]*" | head -1 | cut -d: -f2)
	echo "${v:-0}"
}

stats_json() {
	local out rc=0
	out=$(run_ctl --json stats) || rc=$?
	if [ "$rc" -ne 0 ] || [ "${out:0:1}" != "{" ]; then
		printf '%s: mrelayctl --json stats failed (exit %s)%s\n' "$prog" "$rc" \
			"${remote:+ on $remote}" >&2
		exit 3
	fi
	printf '%s\n' "$out"
}

# ------------------------------------------------------------ the file
count_kind() { grep -c "\"kind\":\"$1\"" "$file" || true; }
n_ep=$(count_kind endpoint)
n_dev=$(count_kind device)
n_grp=$(count_kind group)
n_mem=$(count_kind member)
n_sub=$(count_kind sub)
# users: distinct users with a device, a membership or a subscription
n_usr=$(grep -E '"kind":"(device|member|sub)"' "$file" | grep -o '"user":[0-9]*' |
	sort -u | wc -l)
n_lines=$(grep -c '[^[:space:]]' "$file" || true)
printf '%s: %s: %s records: %s endpoints, %s devices (%s users), %s groups, %s memberships, %s subscriptions\n' \
	"$prog" "$file" "$n_lines" "$n_ep" "$n_dev" "$n_usr" "$n_grp" "$n_mem" "$n_sub"

before=$(stats_json)

# ------------------------------------------------------------ import
where=${remote:-this machine}
sock_txt=${sock:-the default socket}
echo "$prog: importing into mrelayd on $where ($sock_txt)"
t0=$(date +%s.%N)
rc=0
if [ -n "$remote" ]; then
	run_ctl import - < "$file" || rc=$?
else
	run_ctl import "$file" || rc=$?
fi
t1=$(date +%s.%N)
if [ "$rc" -ne 0 ]; then
	die "mrelayctl import failed (exit $rc): see its message above; import is add-or-replace, run again once fixed" "$rc"
fi
awk -v p="$prog" -v a="$t0" -v b="$t1" -v n="$n_lines" 'BEGIN {
	d = b - a
	printf "%s: import took %.2f s (%.0f records/s)\n", p, d, n / (d > 0 ? d : 1)
}'

# ------------------------------------------------------------ check
after=$(stats_json)
short=0
printf '  %-22s %12s %12s %12s\n' table before after "in file"
check() {	# counter, expected
	local b a
	b=$(stat_of "$before" "$1")
	a=$(stat_of "$after" "$1")
	printf '  %-22s %12s %12s %12s' "$1" "$b" "$a" "$2"
	if [ "$a" -lt "$2" ]; then
		printf '  SHORT by %s\n' $(($2 - a))
		short=1
	elif [ "$a" -gt "$2" ]; then
		printf '  (relay holds more than this file)\n'
	else
		printf '\n'
	fi
}
check tables.endpoints "$n_ep"
check tables.devices "$n_dev"
check tables.users "$n_usr"
check tables.groups "$n_grp"
check tables.memberships "$n_mem"
check tables.subscriptions "$n_sub"
printf '  %-22s %12s %12s\n' tables.bytes "$(stat_of "$before" tables.bytes)" "$(stat_of "$after" tables.bytes)"
if [ "$short" = 1 ]; then
	echo "$prog: the relay's tables hold less than the file: check limits.* in mrelayd's configuration and its log" >&2
	exit 1
fi
echo "$prog: population loaded"
