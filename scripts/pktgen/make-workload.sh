#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Write the workload of a Pktgen-DPDK rate sweep with mrelay-gen: the
# capture(s) Pktgen replays towards the relay, the population mrelayd must
# hold (load it with load-population.sh), and a small key=value file that
# says what was written (read by run-sweep.sh and summarize.py).
#
#   scripts/pktgen/make-workload.sh --relay-ip A --relay-mac M --gen-mac M \
#       [options] [-- MODEL OPTIONS]
#
# Addresses (what is on the wire; see README.md, "Addresses"):
#   --relay-ip A          an address in mrelayd's relay.ipv4
#   --relay-mac M         MAC of the relay port that receives the messages
#                         (no ARP during a replay: it must be right)
#   --relay-port P        UDP port, one of relay.udp_ports (default 7400)
#   --gen-mac M           MAC every endpoint of the population gets: the
#                         relay sends every copy there. The generator port
#                         that counts copies (its RX port)
#   --src-mac M           Ethernet source of the messages in the capture
#                         (default: --gen-mac). The relay sends its ACKs
#                         there. Set it to the generator's TX port when TX
#                         and RX are two ports behind a switch
#   --endpoint-port-id N  mrelayd's DPDK port the copies leave by (default 0;
#                         1 for a separate egress port)
# Output:
#   --out DIR             directory (default ./workload), created if needed
#   --name NAME           file names NAME.pcap, NAME.population.jsonl,
#                         NAME.meta (default workload)
#   --pcaps N             split the messages round-robin into N captures
#                         NAME-0.pcap .. NAME-(N-1).pcap, one per Pktgen TX
#                         queue (-s P:f0,f1,...); default 1
#   --gen PATH            mrelay-gen (default: $MRELAY_GEN, else
#                         build/dataplane/gen/mrelay-gen, else on PATH)
#   -h, --help
#
# MODEL OPTIONS go to mrelay-gen unchanged (docs/mrelay-gen.md, "The
# workload model"): --seed, --groups, --members, --members-zipf, --users,
# --devices-per-user, --endpoints, --payload, --direct-share, --senders,
# --count or --rate with --duration, --msg-id-base. Without --count or
# --duration the capture holds 131072 messages. Pktgen replays a capture in
# a loop, so every message comes back every N packets: keep N well above
# mrelayd's limits.dedup_window x workers, or the repeats are only
# re-ACKed as duplicates and fan out nothing (README.md, "Retransmissions").
#
# Needs bash and python3 (standard library); mrelay-dump (next to
# mrelay-gen's build directory, or on PATH) for the expected copies per
# message in NAME.meta, optional. Exit status: 0 written, 2 usage or error.
set -euo pipefail

prog=make-workload.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 2; }
usage() { sed -n '3,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }

relay_ip='' relay_mac='' relay_port=7400 gen_mac='' src_mac='' ep_port=0
out=workload name=workload npcaps=1 gen=${MRELAY_GEN:-}
model=()

need_arg() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case $1 in
	--relay-ip) need_arg "$@"; relay_ip=$2; shift ;;
	--relay-mac) need_arg "$@"; relay_mac=$2; shift ;;
	--relay-port) need_arg "$@"; relay_port=$2; shift ;;
	--gen-mac) need_arg "$@"; gen_mac=$2; shift ;;
	--src-mac) need_arg "$@"; src_mac=$2; shift ;;
	--endpoint-port-id) need_arg "$@"; ep_port=$2; shift ;;
	--out) need_arg "$@"; out=$2; shift ;;
	--name) need_arg "$@"; name=$2; shift ;;
	--pcaps) need_arg "$@"; npcaps=$2; shift ;;
	--gen) need_arg "$@"; gen=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; model=("$@"); break ;;
	*) die "unknown option '$1' (model options go after --; --help lists the others)" ;;
	esac
	shift
done

# ---------------------------------------------------------------- checks
mac_re='^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$'
ipv4_re='^([0-9]{1,3}\.){3}[0-9]{1,3}$'
[ -n "$relay_ip" ] || die "--relay-ip is required (an address of mrelayd's relay.ipv4)"
[ -n "$relay_mac" ] || die "--relay-mac is required (the relay port's MAC: a replay does no ARP)"
[ -n "$gen_mac" ] || die "--gen-mac is required (the generator port that receives the copies)"
[[ $relay_ip =~ $ipv4_re ]] || die "--relay-ip '$relay_ip': not an IPv4 address"
for m in "$relay_mac" "$gen_mac" ${src_mac:+"$src_mac"}; do
	[[ $m =~ $mac_re ]] || die "'$m': not a MAC address xx:xx:xx:xx:xx:xx"
	# multicast bit: the low bit of the first byte
	(( (16#${m:0:2} & 1) == 0 )) || die "'$m': not a unicast MAC address"
done
if ! [[ $npcaps =~ ^[0-9]+$ ]] || [ "$npcaps" -lt 1 ] || [ "$npcaps" -gt 64 ]; then
	die "--pcaps '$npcaps': 1..64"
fi
[[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "--name '$name': letters, digits, '_', '.', '-'"
src_mac=${src_mac:-$gen_mac}

has_count=0
for a in "${model[@]}"; do
	case $a in
	--write-pcap|--write-pcap=*|--write-population|--write-population=*|\
	--send|--verify-pcap|--verify-pcap=*|--sent-pcap|--sent-pcap=*|\
	--port|--port=*|--progress|--hold|--json|--window|--window=*|\
	--deadline-ms|--deadline-ms=*|--link-timeout|--link-timeout=*)
		die "model option '$a' is not for a workload file: $prog writes the files itself" ;;
	--relay-ip|--relay-ip=*|--relay-mac|--relay-mac=*|--relay-port|--relay-port=*|\
	--gen-mac|--gen-mac=*|--endpoint-port-id|--endpoint-port-id=*)
		die "give '${a%%=*}' before --, as an option of $prog (it goes into $name.meta)" ;;
	--count|--count=*|--duration|--duration=*) has_count=1 ;;
	esac
done
[ "$has_count" = 1 ] || model+=(--count 131072)

if [ -z "$gen" ]; then
	if [ -x "$top/build/dataplane/gen/mrelay-gen" ]; then
		gen=$top/build/dataplane/gen/mrelay-gen
	elif command -v mrelay-gen > /dev/null 2>&1; then
		gen=$(command -v mrelay-gen)
	else
		die "mrelay-gen not found (looked at \$MRELAY_GEN, $top/build/dataplane/gen/mrelay-gen and PATH): build it with 'ninja -C build' or give --gen PATH"
	fi
fi
[ -x "$gen" ] || die "mrelay-gen '$gen' is missing or not executable: build it with 'ninja -C build' or give --gen PATH"
dump=${MRELAY_DUMP:-}
if [ -z "$dump" ]; then
	if [ -x "$(dirname "$(dirname "$gen")")/mrelay-dump" ]; then
		dump=$(dirname "$(dirname "$gen")")/mrelay-dump
	elif command -v mrelay-dump > /dev/null 2>&1; then
		dump=$(command -v mrelay-dump)
	fi
fi
py=$(command -v /usr/bin/python3 || command -v python3 || true)
[ -n "$py" ] || die "python3 is needed (to count, split and rewrite the capture)"

mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
pop=$out/$name.population.jsonl
meta=$out/$name.meta
all=$out/$name.pcap
[ "$npcaps" = 1 ] || all=$out/.$name.all.pcap.tmp

# ---------------------------------------------------------------- write
addr=(--relay-ip "$relay_ip" --relay-mac "$relay_mac" --relay-port "$relay_port"
      --gen-mac "$gen_mac" --endpoint-port-id "$ep_port")
printf '%s: %s' "$prog" "$gen"
printf ' %q' "${model[@]}" "${addr[@]}"
printf '\n'
if ! "$gen" "${model[@]}" "${addr[@]}" --write-population "$pop" --write-pcap "$all"; then
	rm -f "$all"
	die "mrelay-gen failed (its message is above)"
fi

# Split round-robin, rewrite the Ethernet source, count: one pass over the
# capture. Prints "messages frame_bytes_total" of the whole workload.
read -r nmsg nbytes < <("$py" - "$all" "$npcaps" "$src_mac" "$gen_mac" "$out" "$name" <<'EOF'
import os, struct, sys

path, n, out, name = sys.argv[1], int(sys.argv[2]), sys.argv[5], sys.argv[6]
smac, gmac = (bytes.fromhex(m.replace(":", "")) for m in sys.argv[3:5])
rewrite = smac != gmac
src = open(path, "rb")
ghdr = src.read(24)
if len(ghdr) < 24 or ghdr[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
    sys.exit("%s: not a microsecond pcap file" % path)
end = "<" if ghdr[:4] == b"\xd4\xc3\xb2\xa1" else ">"
if n == 1:
    names = [path + ".tmp"] if rewrite else []
else:
    names = [os.path.join(out, "%s-%d.pcap" % (name, k)) for k in range(n)]
dsts = [open(f, "wb") for f in names]
for d in dsts:
    d.write(ghdr)
i = total = 0
while True:
    rh = src.read(16)
    if not rh:
        break
    if len(rh) < 16:
        sys.exit("%s: truncated record header" % path)
    incl = struct.unpack(end + "I", rh[8:12])[0]
    frame = src.read(incl)
    if len(frame) != incl or incl < 14:
        sys.exit("%s: truncated record" % path)
    if rewrite:
        frame = frame[:6] + smac + frame[12:]
    if dsts:
        dsts[i % n].write(rh + frame)
    total += incl
    i += 1
src.close()
for d in dsts:
    d.close()
if n == 1 and rewrite:
    os.replace(path + ".tmp", path)
elif n > 1:
    os.unlink(path)
print(i, total)
EOF
) || die "could not post-process $all"
[ -n "${nmsg:-}" ] || die "could not read $all"

# Expected copies per message, from the population and the messages as
# mrelayd's own parser decodes them (mrelay-dump): group message: every
# device of every member but the sending one; direct: every device of the
# addressed user and the sender's other devices (docs/protocol.md, 5).
cpm=
if [ -n "$dump" ]; then
	if [ "$npcaps" = 1 ]; then
		caps=("$out/$name.pcap")
	else
		caps=()
		for ((k = 0; k < npcaps; k++)); do caps+=("$out/$name-$k.pcap"); done
	fi
	cpm=$(for c in "${caps[@]}"; do "$dump" "$c" 2>/dev/null; done | awk '
		FNR == NR {
			if ($0 ~ /"kind":"device"/) {
				match($0, /"user":[0-9]+/); u = substr($0, RSTART + 7, RLENGTH - 7)
				devs[u]++
			} else if ($0 ~ /"kind":"member"/) {
				match($0, /"group":[0-9]+/); g = substr($0, RSTART + 8, RLENGTH - 8)
				match($0, /"user":[0-9]+/); u = substr($0, RSTART + 7, RLENGTH - 7)
				mem[g] = mem[g] " " u
			}
			next
		}
		$1 == "MSG" {
			# MSG len L flags F from USER/DEV id N to group|user ID ...
			kind = ""
			for (j = 2; j < NF; j++) {
				if ($j == "from") split($(j + 1), sd, "/")
				if ($j == "to") { kind = $(j + 1); id = $(j + 2) }
			}
			if (kind == "group") {
				if (!(id in gd)) {
					k = split(mem[id], us, " "); s = 0
					for (j = 1; j <= k; j++) s += devs[us[j]]
					gd[id] = s
				}
				c = gd[id] - 1
			} else if (kind == "user") {
				c = devs[id] + devs[sd[1]] - 1
			} else {
				bad++
				next
			}
			n++; sum += c
		}
		END { if (n > 0 && bad == 0) printf "%.4f\n", sum / n }
	' "$pop" -) || cpm=
fi

{
	echo "# written by scripts/pktgen/make-workload.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "messages=$nmsg"
	echo "pcaps=$npcaps"
	echo "mean_frame_bytes=$(awk -v b="$nbytes" -v n="$nmsg" 'BEGIN { printf "%.1f", b / n }')"
	echo "expected_copies_per_msg=$cpm"
	echo "relay_ip=$relay_ip"
	echo "relay_port=$relay_port"
	echo "relay_mac=$relay_mac"
	echo "gen_mac=$gen_mac"
	echo "src_mac=$src_mac"
	echo "endpoint_port_id=$ep_port"
	printf 'model='; printf '%q ' "${model[@]}"; echo
} > "$meta"

count_kind() { grep -c "\"kind\":\"$1\"" "$pop" || true; }
echo
echo "workload in $out:"
meanf=$(sed -n 's/^mean_frame_bytes=//p' "$meta")
if [ "$npcaps" = 1 ]; then
	printf '  %-28s %s messages (one per packet), mean frame %s bytes\n' \
		"$name.pcap" "$nmsg" "$meanf"
else
	printf '  %-28s %s messages in %s captures (round-robin), mean frame %s bytes\n' \
		"$name-{0..$((npcaps - 1))}.pcap" "$nmsg" "$npcaps" "$meanf"
fi
printf '  %-28s %s endpoints, %s devices, %s groups, %s memberships\n' \
	"$name.population.jsonl" "$(count_kind endpoint)" "$(count_kind device)" \
	"$(count_kind group)" "$(count_kind member)"
printf '  %-28s expected copies per message: %s\n' "$name.meta" \
	"${cpm:-unknown (mrelay-dump not found)}"
echo
echo "on the wire: $src_mac -> $relay_mac, 10.0.x.y:7400 -> $relay_ip:$relay_port;"
echo "copies go to $gen_mac (endpoint port-id $ep_port), ACKs to $src_mac."
echo "Pktgen replays the capture in a loop: each message repeats every $nmsg packets"
echo "(per capture: $((nmsg / npcaps))); mrelayd's limits.dedup_window x workers must be far below that."
