#!/bin/bash
# callgrind.sh - deterministic instruction counts for tern's data path and
# connection lifecycle (docs/BENCHMARKS.md): this machine kind has no hardware
# counters and throttles its vCPUs, so instructions are the stable measure.
#
# Usage: bench/callgrind.sh [PATH/TO/tern] [--profile]
#   (default build/tern: run `make build` first). --profile also prints each
#   run's most expensive functions (exclusive instructions).
#
# How: each figure is the difference of two runs of one benchmark, one twice
# the size of the other, so setup and teardown cancel out. Only the measured
# loop is counted (--toggle-collect on xfer_run, rr_run, cr_run), less the
# test's own hashing of what it received (bench_hash_update_timed toggles
# collection off again). The clock is virtual, so a run is the same
# instruction for instruction every time.
#
# glibc's memcpy uses `rep movsb` above a threshold, which valgrind counts as
# one instruction per byte: the tunable keeps memcpy on its vector loop so the
# counts reflect the work (the native runs of `tern bench` keep the default).
set -euo pipefail
tern=build/tern
profile=0
for a in "$@"; do
	case "$a" in
	--profile) profile=1 ;;
	*) tern=$a ;;
	esac
done
if ! command -v valgrind >/dev/null; then
	echo "SKIPPED: valgrind is not installed (apt-get install valgrind)"
	exit 0
fi
[ -x "$tern" ] || { echo "callgrind.sh: no $tern (make build first)" >&2; exit 1; }
export GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=4294967295
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# count TAG FUNCTION ARGS...: instructions collected inside FUNCTION.
count() {
	local tag=$1 fn=$2
	shift 2
	valgrind --tool=callgrind --callgrind-out-file="$tmp/$tag.out" --log-file="$tmp/$tag.log" \
		--toggle-collect="$fn" --toggle-collect=bench_hash_update_timed \
		"$tern" bench "$@" --no-peer --json >"$tmp/$tag.json"
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/$tag.log"
}

top() {
	[ "$profile" = 1 ] || return 0
	echo "  top functions ($1, exclusive instructions):"
	callgrind_annotate "$tmp/$1.out" 2>/dev/null | sed -n '/file:function/,$p' |
		sed -n '3,17p' | sed -E 's#  [^ ]*/([^/ ]+:[^ ]+)#  \1#; s/ \[.*\]$//; s/^/    /'
}

mib=$((1 << 20))
# Each way of memlink-throughput (tools/bench_throughput.c): checksums
# offloaded with zero-copy reads (its figure), and the earlier way, checksums
# in software with copying reads.
for mtu in 65535 1500; do
	for way in offload sw; do
		a=$(count "tp$mtu$way-32" xfer_run memlink-throughput --bytes $((32 * mib)) \
			--mtu $mtu --csum $way)
		b=$(count "tp$mtu$way-64" xfer_run memlink-throughput --bytes $((64 * mib)) \
			--mtu $mtu --csum $way)
		echo "memlink-throughput MTU $mtu --csum $way: $(((b - a) / 32)) instructions per MiB" \
			"($(((b - a) / 32 / 1024)) per KiB; 32 MiB run: $a, 64 MiB run: $b)"
		top "tp$mtu$way-64"
	done
done

a=$(count rr-1 rr_run rr-latency --count 10000)
b=$(count rr-2 rr_run rr-latency --count 20000)
echo "rr-latency: $(((b - a) / 10000)) instructions per round trip (both stacks)"
top rr-2

a=$(count cr-1 cr_run connect-rate --count 4000)
b=$(count cr-2 cr_run connect-rate --count 8000)
echo "connect-rate: $(((b - a) / 4000)) instructions per lifecycle (both stacks," \
	"TIME-WAIT expiry included)"
top cr-2
