#!/bin/bash
# callgrind_tun.sh - instructions the stack itself executes (user space, as
# callgrind counts them; the kernel's TUN and TCP work is not included), tern
# against lwIP over the same TUN workload (issue 4's instruction target):
#   - per MiB received: Linux's TCP sends BYTES to the stack's discard
#     service (port 9); the figure is (I(BYTES) - I(0)) / MiB;
#   - per connection lifecycle: CONNS connections from Linux, each connect,
#     one byte, close; (I(CONNS) - I(0)) / CONNS.
# Both stacks run on a plain TUN (lwIP has no offloads), tern also with its
# offloads. Each run is a fresh namespace this script makes and deletes.
# Needs root, valgrind, socat and build/lwip_tun_peer (liblwip-dev).
#   usage: bench/callgrind_tun.sh BUILD_DIR [MiB] [CONNS]
# Prints one JSON line.
set -u
B=${1:?usage: callgrind_tun.sh BUILD_DIR [MiB] [CONNS]}
MIB=${2:-16}
CONNS=${3:-200}
TERN=$B/tern
LWIP=$B/lwip_tun_peer
# Both stacks have the dynamic linker bind every symbol at start, so that the
# one-time lazy binding of the functions first called under traffic (read,
# write, ...: ~40k instructions of ld.so) lands in the run without traffic
# that is subtracted, not in the per-MiB or per-connection figure.
export LD_BIND_NOW=1
if [ "$(id -u)" -ne 0 ]; then
	echo '{"name":"callgrind-tun","skipped":"needs root"}'
	exit 0
fi
for t in valgrind socat ip; do
	command -v $t >/dev/null || { echo "{\"name\":\"callgrind-tun\",\"skipped\":\"needs $t\"}"; exit 0; }
done
[ -x "$LWIP" ] || { echo '{"name":"callgrind-tun","skipped":"no lwip_tun_peer (liblwip-dev)"}'; exit 0; }
TMP=$(mktemp -d)
NS=
cleanup() {
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# run STACK WORK N: instructions of one run (STACK tern|tern-offload|lwip,
# WORK bytes|conns, N how many).
run() {
	local stack=$1 work=$2 n=$3 out=$TMP/cg.out pid i
	NS="terncg-$$-$RANDOM"
	ip netns add "$NS" && ip netns exec "$NS" ip link set lo up || return 1
	rm -f "$out"
	case $stack in
	lwip)
		ip netns exec "$NS" valgrind -q --tool=callgrind --callgrind-out-file="$out" \
			"$LWIP" tunl 192.0.2.2 >"$TMP/peer.out" 2>&1 &
		pid=$!
		for i in $(seq 300); do ip netns exec "$NS" ip link show tunl >/dev/null 2>&1 && break; sleep 0.1; done
		ip netns exec "$NS" ip addr add 192.0.2.1/24 dev tunl
		ip netns exec "$NS" ip link set tunl up ;;
	*)
		local off=--no-offload
		[ "$stack" = tern-offload ] && off=
		ip netns exec "$NS" valgrind -q --tool=callgrind --callgrind-out-file="$out" \
			"$TERN" up --tun tunt --addr 192.0.2.2/24 --peer 192.0.2.1/24 \
			--services discard $off >"$TMP/peer.out" 2>&1 &
		pid=$! ;;
	esac
	for i in $(seq 600); do grep -q ready "$TMP/peer.out" && break; sleep 0.1; done
	grep -q ready "$TMP/peer.out" || { cat "$TMP/peer.out" >&2; return 1; }
	if [ "$work" = bytes ] && [ "$n" -gt 0 ]; then
		head -c $((n * 1048576)) /dev/zero |
			ip netns exec "$NS" timeout 300 socat -u - TCP:192.0.2.2:9 || return 1
	elif [ "$work" = conns ]; then
		for i in $(seq "$n"); do
			printf x | ip netns exec "$NS" timeout 10 socat -u - TCP:192.0.2.2:9 || return 1
		done
	fi
	sleep 1
	kill -TERM "$pid"
	wait "$pid"
	ip netns del "$NS"
	NS=
	sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out" | head -1
}

per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.0f", (a - b) / n }'; }

declare -A base
for s in tern tern-offload lwip; do
	base[$s]=$(run "$s" bytes 0) || exit 1
	b=$(run "$s" bytes "$MIB") || exit 1
	c=$(run "$s" conns "$CONNS") || exit 1
	eval "mib_${s//-/_}=$(per "$b" "${base[$s]}" "$MIB")"
	eval "conn_${s//-/_}=$(per "$c" "${base[$s]}" "$CONNS")"
done
printf '{"name":"callgrind-tun","unit":"instructions","mib":%s,"conns":%s,' "$MIB" "$CONNS"
printf '"tern_per_mib":%s,"tern_offload_per_mib":%s,"lwip_per_mib":%s,' "$mib_tern" "$mib_tern_offload" "$mib_lwip"
printf '"tern_per_conn":%s,"tern_offload_per_conn":%s,"lwip_per_conn":%s,' "$conn_tern" "$conn_tern_offload" "$conn_lwip"
printf '"ratio_per_mib":%s,"ratio_per_conn":%s,"target":"<= 0.5 of lwIP"}\n' \
	"$(awk -v a="$mib_tern" -v b="$mib_lwip" 'BEGIN { printf "%.3f", a / b }')" \
	"$(awk -v a="$conn_tern" -v b="$conn_lwip" 'BEGIN { printf "%.3f", a / b }')"
