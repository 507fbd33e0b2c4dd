#!/bin/bash
# tun_acks.sh - how many segments tern sends back while Linux sends it a
# bulk transfer over TUN: `tern up` in a network namespace of its own, socat
# writing 64 MiB to its discard service, tern's segment counters from
# --stats. docs/BENCHMARKS.md (tun-throughput) uses it to show the window
# updates a receiver sends.
#
# Usage (root): bench/tun_acks.sh [TERN [tern up options...]], e.g.
#   bash bench/tun_acks.sh build/tern --no-offload
set -euo pipefail
tern=${1:-build/tern}
shift || true
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root (network namespace, TUN)"; exit 77; }
ns=ternack$$
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$tern" up --tun tern0 --addr 192.0.2.2/24 --peer 192.0.2.1/24 \
	--stats "$@" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q ready "$tmp/out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$tmp/out" || { echo "tern up did not start: $(cat "$tmp/err")"; exit 1; }
head -c $((64 << 20)) /dev/zero | ip netns exec "$ns" timeout 60 socat -u - TCP:192.0.2.2:9
sleep 0.3
kill -TERM "$pid"
wait "$pid" || true
pid=
awk '$1 == "tcp_in_segs" { i = $2 } $1 == "tcp_out_segs" { o = $2 }
	END { printf "{\"name\":\"tun-acks\",\"bytes\":67108864,\"tcp_in_segs\":%d,\"tcp_out_segs\":%d}\n", i, o }' \
	"$tmp/err"
