#!/bin/bash
# linux_loss.sh - the TUN half of loss-goodput (docs/BENCHMARKS.md): Linux's
# TCP under the same impairments as tern's simulator cases, applied by tern's
# fault injector on a TUN relay (bench/tun_relay.c) between two network
# namespaces: random loss P in both directions and 20 ms each way (RTT 40 ms).
# For each loss rate, CUBIC and Reno (TCP_CONGESTION on the sender's socket),
# SACK on and off (per-namespace sysctls), one transfer of a random file from
# namespace A to B with socat; and tern (tern cat: CUBIC, SACK) sending the
# same file to Linux through tern cat's own fault injector with the same
# loss and delay. The receiver (socat) hashes what arrives (sha256, compared
# with the file's); the goodput is bytes over the time from the sender's
# start to the receiver's EOF. Prints one JSON line per case, with the Mathis
# model's prediction for the same path as in tools/bench_loss.c.
#
# Usage: bench/linux_loss.sh [BUILD_DIR [SECONDS]] (root; BUILD_DIR holds
# libtern.a, default build; SECONDS sizes each transfer to about that long
# at the model's rate, default 60). Exits 77 (skipped) when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build}
secs=${2:-60}
[ "$(id -u)" = 0 ] || { echo "SKIPPED: needs root (network namespaces, TUN)"; exit 77; }
for t in socat python3 sha256sum ip; do
	command -v $t >/dev/null || { echo "SKIPPED: no $t"; exit 77; }
done
tmp=$(mktemp -d)
nsa=lgA$$; nsb=lgB$$
relay_pid=
cleanup() {
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null || true
	jobs -p | xargs -r kill 2>/dev/null || true
	ip netns del $nsa 2>/dev/null || true
	ip netns del $nsb 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
cc -std=gnu11 -O2 -I "$root/include" "$here/tun_relay.c" "$build/libtern.a" -lm \
	-o "$tmp/tun_relay"
ip netns add $nsa
ip netns add $nsb
ip -n $nsa link set lo up
ip -n $nsb link set lo up
head -c $((160 << 20)) /dev/urandom >"$tmp/payload"

# The Mathis model as tools/bench_loss.c computes it: Mbit/s.
mathis() { python3 -c "import math,sys; p=float(sys.argv[1]); rtt=0.04012; \
print(min(1448*8/rtt*math.sqrt(1.5/p), 1e8*1448/1500)/1e6)" "$1"; }

# Start the relay with loss $1 and put its ends in the namespaces.
relay_up() {
	"$tmp/tun_relay" lga0 lgb0 "$1" 20 1 >"$tmp/relay.out" &
	relay_pid=$!
	for _ in $(seq 50); do grep -q ready "$tmp/relay.out" 2>/dev/null && break; sleep 0.1; done
	ip link set lga0 netns $nsa
	ip link set lgb0 netns $nsb
	ip -n $nsa addr add 10.77.1.1/24 dev lga0
	ip -n $nsb addr add 10.77.2.1/24 dev lgb0
	ip -n $nsa link set lga0 up
	ip -n $nsb link set lgb0 up
	ip -n $nsa route add 10.77.2.0/24 dev lga0
	ip -n $nsb route add 10.77.1.0/24 dev lgb0
}

relay_down() {
	kill "$relay_pid"
	wait "$relay_pid" || true
	relay_pid=
}

# The receiver in namespace $1 hashes what arrives on port 5001 and notes
# when it ended; the sender ("${@:2}", stdin from $tmp/send) runs meanwhile.
transfer() {
	local ns=$1 rx
	shift
	ip netns exec "$ns" bash -c "socat -u TCP-LISTEN:5001,reuseaddr - | sha256sum \
		>'$tmp/got'; date +%s.%N >'$tmp/t1'" &
	rx=$!
	sleep 0.3
	date +%s.%N >"$tmp/t0"
	"$@" <"$tmp/send" >/dev/null
	wait $rx
}

# One JSON line: stack cc sack loss [ping_ms [relay_out]], from the files
# transfer() left.
report() {
	local want got
	want=$(sha256sum <"$tmp/send" | cut -d' ' -f1)
	got=$(cut -d' ' -f1 <"$tmp/got")
	python3 -c "import json,sys
size=int(sys.argv[1]); t0=float(open(sys.argv[2]).read()); t1=float(open(sys.argv[3]).read())
loss=float(sys.argv[4]); model=float(sys.argv[5]); mbps=size*8/(t1-t0)/1e6
r={'name':'loss-goodput-tun','unit':'Mbit/s','stack':sys.argv[6],
 'goodput':round(mbps,4),'model':round(model,4),'model_name':'Mathis model',
 'ratio':round(mbps/model,4),'case':'loss-%g%%'%(loss*100),'cc':sys.argv[7],
 'sack':'on' if sys.argv[8]=='1' else 'off','loss':loss,'bytes':size,
 'seconds':round(t1-t0,3),'ping_rtt_ms':float(sys.argv[10] or 'nan'),
 'hash':'ok' if sys.argv[9]=='ok' else 'MISMATCH'}
if sys.argv[11]:
    relay=json.loads(open(sys.argv[11]).read().split()[1])
    r['relay_passed']=relay['passed']; r['relay_lost']=relay['lost']
print(json.dumps(r))" \
		"$(stat -c %s "$tmp/send")" "$tmp/t0" "$tmp/t1" "$4" "$(mathis "$4")" "$1" "$2" "$3" \
		"$([ "$want" = "$got" ] && echo ok || echo bad)" "${5:-}" "${6:-}"
}

# Average ping RTT from namespace $1 to $2, in ms ("" when none came back).
ping_rtt() {
	ip netns exec "$1" ping -q -c 20 -i 0.05 "$2" 2>/dev/null |
		sed -n 's|^rtt [^=]*= [^/]*/\([^/]*\)/.*|\1|p'
}

# Linux to Linux through the relay: loss $1, congestion control $2, SACK $3.
linux_one() {
	local rtt
	relay_up "$1"
	ip netns exec $nsa sysctl -qw net.ipv4.tcp_sack="$3" net.ipv4.tcp_no_metrics_save=1
	ip netns exec $nsb sysctl -qw net.ipv4.tcp_sack="$3"
	rtt=$(ping_rtt $nsa 10.77.2.1)
	# TCP_CONGESTION (SOL_TCP 6, option 13) on the sender's socket: a
	# namespace may only choose among tcp_allowed_congestion_control
	transfer $nsb ip netns exec $nsa socat -u - \
		TCP:10.77.2.1:5001,setsockopt-string=6:13:"$2"
	relay_down
	report linux "$2" "$3" "$1" "$rtt" "$tmp/relay.out"
}

# tern (CUBIC, SACK: tern cat's defaults) to Linux through tern cat's own
# fault injector, with the same loss and delay: loss $1.
tern_one() {
	local rtt
	ip netns exec $nsb sysctl -qw net.ipv4.tcp_sack=1
	# --no-offload: with TUN offloads the injector would see 64 KiB
	# super-segments, one loss costing ~45 segments, and far fewer events
	transfer $nsb ip netns exec $nsb "$build/tern" cat --tun lgt0 --no-offload \
		--addr 10.77.9.2/24 --peer 10.77.9.1/24 --loss "$1" --delay 20 --seed 1 \
		10.77.9.1 5001
	report tern cubic 1 "$1" ""
}

for loss in 0.001 0.01 0.05; do
	# about $secs seconds at the model's rate (Linux runs near it)
	size=$(python3 -c "import sys; print(min(int(float(sys.argv[1])*1e6/8*int(sys.argv[2])), 160<<20))" \
		"$(mathis $loss)" "$secs")
	head -c "$size" "$tmp/payload" >"$tmp/send"
	tern_one "$loss"
	for cc in cubic reno; do
		for sack in 1 0; do
			linux_one "$loss" "$cc" "$sack"
		done
	done
done
