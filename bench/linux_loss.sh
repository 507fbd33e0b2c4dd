#!/bin/bash
# linux_loss.sh - the TUN half of loss-goodput (docs/BENCHMARKS.md): Linux's
# TCP under the same impairments as tern's simulator cases, applied by tern's
# fault injector on a TUN relay (bench/tun_relay.c) between two network
# namespaces, 20 ms each way (RTT 40 ms), and either random loss P in both
# directions or the shallow buffer: no random loss, a 100 Mbit/s bottleneck
# each way with a drop-tail queue of 33 packets (0.1 BDP, as
# tools/bench_loss.c's shallow-buffer case). For each case, CUBIC and Reno
# (TCP_CONGESTION on the sender's socket), SACK on and off (per-namespace
# sysctls), one transfer of a random file from namespace A to B with socat;
# and tern (tern cat --cc, --no-sack) sending the same file to Linux through
# tern cat's own fault injector with the same loss, delay and bottleneck
# (there the injector sits in tern's process above its TUN, so the
# bottleneck is on tern's side of the TUN). The receiver (socat) hashes what
# arrives (sha256, compared with the file's); the goodput is bytes over the
# time from the sender's start to the receiver's EOF. Prints one JSON line
# per transfer, with the model's prediction for the same path as
# tools/bench_loss.c computes it (Mathis for random loss, the sawtooth for
# the shallow buffer).
#
# Usage: bench/linux_loss.sh [BUILD_DIR [SECONDS [CASES]]] (root; BUILD_DIR
# holds libtern.a and tern, default build; SECONDS sizes each transfer to
# about that long at the model's rate, at most 384 MiB, default 60; CASES is
# "all" (default), "loss" or "shallow"). Exits 77 (skipped) when not root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build}
secs=${2:-60}
cases=${3:-all}
case $cases in all | loss | shallow) ;; *) echo "CASES: all, loss or shallow" >&2; exit 2 ;; esac
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
head -c $((384 << 20)) /dev/urandom >"$tmp/payload"

# The Mathis model as tools/bench_loss.c computes it: Mbit/s.
mathis() { python3 -c "import math,sys; p=float(sys.argv[1]); rtt=0.04012; \
print(min(1448*8/rtt*math.sqrt(1.5/p), 1e8*1448/1500)/1e6)" "$1"; }

# The shallow-buffer sawtooth as tools/bench_loss.c's util() integrates it:
# Mbit/s for CUBIC ($1 = cubic) or Reno, queue $2 packets behind the one
# being serialised, 100 Mbit/s, 20 ms each way.
sawtooth() { python3 -c "import sys
rtt0=0.04+1500*8/1e8; cap=1e8*1448/1500/1e6; bdp=rtt0*1e8/8/1500
cubic=sys.argv[1]=='cubic'; wmax=bdp+int(sys.argv[2])+1; beta=0.7 if cubic else 0.5
alpha=3*(1-beta)/(1+beta) if cubic else 1; k=(wmax*(1-beta)/0.4)**(1/3)
w=beta*wmax; west=w; t=0; dt=rtt0/64; busy=0
while w<wmax and t<3600:
    rtt=rtt0*w/bdp if w>bdp else rtt0; d=t+rtt-k
    busy+=(w/bdp if w<bdp else 1)*dt; west+=alpha*dt/rtt
    wc=0.4*d*d*d+wmax; w=wc if cubic and wc>west else west; t+=dt
print(busy/t*cap)" "$1" "$2"; }

# The model for loss $1 (0: the shallow buffer, queue 33) and congestion
# control $2, and its name.
model() { if [ "$1" = 0 ]; then sawtooth "$2" 33; else mathis "$1"; fi; }
model_name() {
	if [ "$1" != 0 ]; then echo "Mathis model"
	elif [ "$2" = cubic ]; then echo "sawtooth model (CUBIC)"
	else echo "sawtooth model (Reno)"; fi
}

# The bottleneck arguments for loss $1: the relay's RATE_MBITS QUEUE_PKTS,
# or tern cat's options.
relay_bneck() { if [ "$1" = 0 ]; then echo "100 33"; fi; }
tern_bneck() { if [ "$1" = 0 ]; then echo "--rate 100 --queue 33"; fi; }

# Start the relay with loss $1 (0: the shallow buffer's bottleneck instead)
# and put its ends in the namespaces.
relay_up() {
	# shellcheck disable=SC2046 # two words or none
	"$tmp/tun_relay" lga0 lgb0 "$1" 20 1 $(relay_bneck "$1") >"$tmp/relay.out" &
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
 'goodput':round(mbps,4),'model':round(model,4),'model_name':sys.argv[12],
 'ratio':round(mbps/model,4),
 'case':'loss-%g%%'%(loss*100) if loss else 'shallow-buffer','cc':sys.argv[7],
 'sack':'on' if sys.argv[8]=='1' else 'off','loss':loss,'bytes':size,
 'seconds':round(t1-t0,3),'ping_rtt_ms':float(sys.argv[10] or 'nan'),
 'hash':'ok' if sys.argv[9]=='ok' else 'MISMATCH'}
if not loss:
    r.update(rate_mbps=100,queue_pkts=33)
if sys.argv[11]:
    relay=json.loads(open(sys.argv[11]).read().split()[1])
    r['relay_passed']=relay['passed']; r['relay_lost']=relay['lost']
    r['relay_queue_drops']=relay['queue_drops']
print(json.dumps(r))" \
		"$(stat -c %s "$tmp/send")" "$tmp/t0" "$tmp/t1" "$4" "$(model "$4" "$2")" "$1" "$2" "$3" \
		"$([ "$want" = "$got" ] && echo ok || echo bad)" "${5:-}" "${6:-}" \
		"$(model_name "$4" "$2")"
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

# tern to Linux through tern cat's own fault injector, with the same loss,
# delay and bottleneck: loss $1 (0: the shallow buffer), congestion control
# $2 (cubic or newreno), SACK $3 (1 or 0). The Linux receiver offers SACK;
# --no-sack keeps tern from using it.
tern_one() {
	local nosack=
	[ "$3" = 0 ] && nosack=--no-sack
	ip netns exec $nsb sysctl -qw net.ipv4.tcp_sack=1
	# --no-offload: with TUN offloads the injector would see 64 KiB
	# super-segments, one loss costing ~45 segments, and far fewer events;
	# and the bottleneck's queue would hold 33 of them, not of 1500 bytes.
	# --sndbuf 4 MiB, Linux's tcp_wmem maximum: tern cat's 256 KiB would
	# bound the window below the shallow case's BDP + queue (530 KB)
	# shellcheck disable=SC2046,SC2086 # options of one word each, or none
	transfer $nsb ip netns exec $nsb "$build/tern" cat --tun lgt0 --no-offload --sndbuf 4194304 \
		--addr 10.77.9.2/24 --peer 10.77.9.1/24 --loss "$1" --delay 20 --seed 1 \
		$(tern_bneck "$1") --cc "$2" $nosack 10.77.9.1 5001
	report tern "$2" "$3" "$1" ""
}

# One case, loss $1 (0: the shallow buffer): tern with both congestion
# controls, SACK on and off, then Linux's CUBIC and Reno, SACK on and off.
one_case() {
	local size cc sack
	# about $secs seconds at the model's rate (Linux runs near it)
	size=$(python3 -c "import sys; print(min(int(float(sys.argv[1])*1e6/8*int(sys.argv[2])), 384<<20))" \
		"$(model "$1" reno)" "$secs")
	head -c "$size" "$tmp/payload" >"$tmp/send"
	for cc in cubic newreno; do
		for sack in 1 0; do
			tern_one "$1" "$cc" "$sack"
		done
	done
	for cc in cubic reno; do
		for sack in 1 0; do
			linux_one "$1" "$cc" "$sack"
		done
	done
}

if [ "$cases" != loss ]; then
	one_case 0
fi
if [ "$cases" != shallow ]; then
	for loss in 0.001 0.01 0.05; do
		one_case "$loss"
	done
fi
