#!/usr/bin/env bash
# test_tcp_cat.sh - `tern cat` moves 10 MB each way across TCP with Linux's TCP
# (socat) through a TUN device, in a network namespace this test creates and
# always deletes: tern as the client, tern as the listener, both ways at once
# through an echo, and a connect to a closed port. The client run is captured
# and tshark must find no malformed packet and no bad checksum in it.
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIPPED: interop tests need root (TCP through TUN in a namespace)"
	exit 77
fi
for tool in ip socat tshark sha256sum timeout ss; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIPPED: interop test needs $tool"
		exit 77
	fi
done
: "${TERN:?TERN must name the tern binary}"
mkdir -p "${TERN_TEST_TMP:-/tmp}"
TMP=$(mktemp -d "${TERN_TEST_TMP:-/tmp}/tcp_cat.XXXXXX") || exit 1

NS="tern-test-$$-$RANDOM"
LINUX=192.0.2.1
TERN_ADDR=192.0.2.2
SIZE=$((10 * 1024 * 1024))
PIDS=()

cleanup() {
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*"
	for f in "$TMP"/*.err; do
		[ -s "$f" ] && { echo "--- $(basename "$f"):"; head -20 "$f"; }
	done
	exit 1
}

in_ns() { ip netns exec "$NS" "$@"; }
# tern cat in the namespace, bounded; extra arguments follow the addresses.
tcat() { in_ns timeout 60 "$TERN" cat --addr "$TERN_ADDR/24" --peer "$LINUX/24" "$@"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
sha() { sha256sum <"$1" | cut -c1-64; }
mbps() { echo "$SIZE $1" | awk '{ printf "%.0f", $1 * 8 / ($2 > 0 ? $2 : 1) / 1000 }'; }

# Wait (at most 20 s) until a Linux socket in the namespace listens on TCP port $1.
wait_listen() {
	for _ in $(seq 200); do
		in_ns ss -ltnH "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on port $1 after 20 s"
}

ip netns add "$NS" || fail "cannot create network namespace $NS"
in_ns ip link set lo up || fail "cannot bring lo up in $NS"
# Without IPv6 on new interfaces the capture holds only the traffic under test.
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null

head -c "$SIZE" /dev/urandom >"$TMP/in.bin" || fail "cannot make the input file"
want=$(sha "$TMP/in.bin")

# ---- tern connects and sends 10 MB to a Linux listener (captured) --------------
in_ns timeout 60 socat -u TCP-LISTEN:5000,reuseaddr "OPEN:$TMP/out1.bin,creat,trunc" \
	2>"$TMP/socat1.err" &
PIDS+=($!)
wait_listen 5000
t0=$(now_ms)
tcat --pcap "$TMP/cat.pcap" "$LINUX" 5000 <"$TMP/in.bin" >"$TMP/cat1.out" 2>"$TMP/cat1.err"
status=$?
t1=$(now_ms)
[ "$status" -eq 0 ] || fail "tern cat to $LINUX:5000 exited with status $status"
wait "${PIDS[-1]}" || fail "socat listener failed"
[ "$(sha "$TMP/out1.bin")" = "$want" ] || fail "Linux received $(stat -c %s "$TMP/out1.bin") bytes, sha256 differs"
[ -s "$TMP/cat1.out" ] && fail "tern cat printed data the listener never sent"
echo "ok tern -> Linux: 10 MiB in $((t1 - t0)) ms ($(mbps $((t1 - t0))) Mbit/s incl. setup), sha256 equal"

# ---- Linux connects and sends 10 MB to tern cat -l, whose stdout is a slow pipe --
# The reader starts late, so the pipe fills, tern stops reading, and its
# receive window has to close and reopen.
(tcat -v -l 5001 </dev/null 2>"$TMP/cat2.err" | { sleep 0.5; cat >"$TMP/out2.bin"; }
	echo "${PIPESTATUS[0]}" >"$TMP/cat2.status") &
PIDS+=($!)
for _ in $(seq 200); do
	grep -q "listening" "$TMP/cat2.err" 2>/dev/null && break
	sleep 0.1
done
grep -q "listening" "$TMP/cat2.err" || fail "tern cat -l 5001 was not listening after 5 s"
t0=$(now_ms)
in_ns timeout 60 socat -u "OPEN:$TMP/in.bin" "TCP:$TERN_ADDR:5001" 2>"$TMP/socat2.err" ||
	fail "socat client to tern cat -l 5001 failed"
wait "${PIDS[-1]}"
t1=$(now_ms)
status=$(cat "$TMP/cat2.status" 2>/dev/null)
[ "$status" = 0 ] || fail "tern cat -l 5001 exited with status ${status:-?}"
[ "$(sha "$TMP/out2.bin")" = "$want" ] || fail "tern received $(stat -c %s "$TMP/out2.bin") bytes, sha256 differs"
grep -q "connected from $LINUX" "$TMP/cat2.err" || fail "tern cat -v did not report the peer"
echo "ok Linux -> tern: 10 MiB in $((t1 - t0)) ms ($(mbps $((t1 - t0))) Mbit/s, 0.5 s stalled reader included), sha256 equal"

# ---- both ways at once: a Linux echo server returns what tern sends -------------
# stdin is a pipe here; after its end tern half-closes and keeps reading until
# the echo, having seen the FIN, finishes and closes.
in_ns timeout 60 socat TCP-LISTEN:5002,reuseaddr EXEC:cat 2>"$TMP/socat3.err" &
PIDS+=($!)
wait_listen 5002
t0=$(now_ms)
cat "$TMP/in.bin" | tcat "$LINUX" 5002 >"$TMP/out3.bin" 2>"$TMP/cat3.err"
status=${PIPESTATUS[1]}
t1=$(now_ms)
[ "$status" -eq 0 ] || fail "tern cat to the echo on $LINUX:5002 exited with status $status"
[ "$(sha "$TMP/out3.bin")" = "$want" ] || fail "echo returned $(stat -c %s "$TMP/out3.bin") bytes, sha256 differs"
echo "ok tern <-> Linux echo: 10 MiB each way in $((t1 - t0)) ms, sha256 equal"

# ---- a closed port refuses ------------------------------------------------------
tcat "$LINUX" 5999 </dev/null >/dev/null 2>"$TMP/cat4.err"
status=$?
[ "$status" -eq 1 ] || fail "connect to closed port 5999 exited with status $status, expected 1"
grep -q "connect $LINUX:5999: connection refused" "$TMP/cat4.err" ||
	fail "connect to closed port 5999 did not say 'connection refused'"
echo "ok closed port: exit 1, $(cat "$TMP/cat4.err")"

# ---- through a bottleneck: NewReno without SACK behind 20 Mbit/s, 20 packets -------
# 2 MiB cannot cross faster than the rate allows; slow start overflows the
# queue, so the injector counts tail drops, and recovery without SACK still
# delivers every byte.
head -c $((2 * 1024 * 1024)) "$TMP/in.bin" >"$TMP/in5.bin"
in_ns timeout 60 socat -u TCP-LISTEN:5003,reuseaddr "OPEN:$TMP/out5.bin,creat,trunc" \
	2>"$TMP/socat5.err" &
PIDS+=($!)
wait_listen 5003
t0=$(now_ms)
tcat --no-offload --rate 20 --queue 20 --delay 5 --seed 1 --cc newreno --no-sack --stats \
	"$LINUX" 5003 <"$TMP/in5.bin" >/dev/null 2>"$TMP/cat5.err"
status=$?
t1=$(now_ms)
[ "$status" -eq 0 ] || fail "tern cat through the bottleneck exited with status $status"
wait "${PIDS[-1]}" || fail "socat listener on 5003 failed"
[ "$(sha "$TMP/out5.bin")" = "$(sha "$TMP/in5.bin")" ] || fail "the bottleneck run's sha256 differs"
[ $((t1 - t0)) -ge 838 ] || fail "2 MiB crossed 20 Mbit/s in $((t1 - t0)) ms (< 839 ms)"
drops=$(sed -n 's/.*queue_drops \([0-9]*\).*/\1/p' "$TMP/cat5.err")
[ "${drops:-0}" -gt 0 ] || fail "the 20-packet queue dropped nothing"
grep -q "tcp_sack_recoveries" "$TMP/cat5.err" && fail "--no-sack still recovered with SACK"
echo "ok bottleneck: 2 MiB in $((t1 - t0)) ms at 20 Mbit/s, $drops tail drops, NewReno without SACK, sha256 equal"

# ---- corruption above the TUN with offloads: Linux must still see it -------------
# The injector flips bits after tern summed its segments; nothing below may
# sum them again (no checksum offload, no TSO then), so Linux drops each
# corrupted segment and the retransmission delivers every byte intact.
head -c $((2 * 1024 * 1024)) "$TMP/in.bin" >"$TMP/in7.bin"
in_ns timeout 60 socat -u TCP-LISTEN:5004,reuseaddr "OPEN:$TMP/out7.bin,creat,trunc" \
	2>"$TMP/socat7.err" &
PIDS+=($!)
wait_listen 5004
tcat --corrupt 0.02 --seed 3 --stats "$LINUX" 5004 <"$TMP/in7.bin" >/dev/null 2>"$TMP/cat7.err"
status=$?
[ "$status" -eq 0 ] || fail "tern cat with corruption exited with status $status"
wait "${PIDS[-1]}" || fail "socat listener on 5004 failed"
corrupted=$(sed -n 's/.* corrupted \([0-9]*\).*/\1/p' "$TMP/cat7.err")
[ "${corrupted:-0}" -gt 0 ] || fail "the injector corrupted nothing"
[ "$(sha "$TMP/out7.bin")" = "$(sha "$TMP/in7.bin")" ] ||
	fail "corrupted segments reached Linux's application ($corrupted corrupted)"
echo "ok corruption with offloads: $corrupted packets corrupted above the TUN, 2 MiB intact"

# ---- bad arguments ----------------------------------------------------------------
tcat --cc vegas "$LINUX" 5000 </dev/null >/dev/null 2>"$TMP/cat6.err"
[ $? -eq 2 ] || fail "an unknown --cc did not exit 2"
grep -q "no such congestion control" "$TMP/cat6.err" || fail "an unknown --cc was not explained"
"$TERN" cat --addr "$TERN_ADDR/24" --peer "$LINUX/24" "$LINUX" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a missing PORT did not exit 2"
"$TERN" cat --addr "$TERN_ADDR/24" --peer "$LINUX/24" --sndbuf 1023 "$LINUX" 5000 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--sndbuf 1023 did not exit 2"
echo "ok bad arguments: exit 2"

# ---- the capture of the first run ---------------------------------------------------
# Port 5000 is also GSM's IPA; random payload must be read as data, not as that.
ts() {
	tshark -r "$TMP/cat.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-d tcp.port==5000,data "$@" 2>"$TMP/tshark.err"
}
count() {
	ts -Y "$1" >"$TMP/tshark.out" || { cat "$TMP/tshark.err"; fail "tshark -Y '$1'"; }
	n=$(wc -l <"$TMP/tshark.out")
}
[ -s "$TMP/cat.pcap" ] || fail "no capture written"
count 'frame'
total=$n
# With TUN offloads tern's segments are up to 64 KiB (the kernel's TCP
# takes them whole), so count bytes, not packets.
ts -Y 'ip.src == 192.0.2.2 && tcp.len > 0' -T fields -e tcp.len >"$TMP/lens.out" ||
	fail "tshark tcp.len"
sent=$(awk '{ s += $1; if ($1 > m) m = $1 } END { print s + 0 " " m + 0 }' "$TMP/lens.out")
[ "${sent% *}" -ge $((10 * 1024 * 1024)) ] ||
	fail "capture: tern's data segments carry only ${sent% *} bytes of the 10 MiB"
largest=${sent#* }
count '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"'
if [ "$n" -ne 0 ]; then
	ts -Y '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad"' -V | head -80
	cp "$TMP/cat.pcap" "${TERN_TEST_TMP:-/tmp}/tcp_cat-failed.pcap" 2>/dev/null
	fail "capture: $n malformed or bad-checksum packets"
fi
ts -q -z expert,warn >"$TMP/expert.out" || fail "tshark -z expert"
problems=$(grep -ciE "malformed|bad checksum|incorrect" "$TMP/expert.out")
[ "$problems" -eq 0 ] || { cat "$TMP/expert.out"; fail "capture: tshark expert info reports $problems problems"; }
count 'tcp.flags.reset == 1'
[ "$n" -eq 0 ] || fail "capture: $n resets"
count 'tcp.flags.fin == 1'
[ "$n" -ge 2 ] || fail "capture: $n FINs, expected one each way"
fins=$n
count 'ip.src == 192.0.2.2 && tcp.len > 0'
data=$n
# RFC 7323, RFC 2018, RFC 3168 with Linux: tern's SYN offers window scaling,
# timestamps, SACK and ECN; Linux's SYN-ACK accepts them all; every later
# segment of tern's carries a timestamp, and its data is ECT(0).
count 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 192.0.2.2 && tcp.options.wscale.shift && tcp.options.sack_perm && tcp.options.timestamp.tsval && tcp.flags.ece == 1 && tcp.flags.cwr == 1'
[ "$n" -eq 1 ] || fail "capture: tern's SYN does not offer wscale, SACK, timestamps and ECN"
count 'tcp.flags.syn == 1 && tcp.flags.ack == 1 && tcp.options.wscale.shift && tcp.options.sack_perm && tcp.options.timestamp.tsval && tcp.flags.ece == 1'
[ "$n" -eq 1 ] || fail "capture: Linux's SYN-ACK did not accept wscale, SACK, timestamps and ECN"
count 'ip.src == 192.0.2.2 && tcp.flags.syn == 0 && tcp.flags.reset == 0 && !tcp.options.timestamp.tsval'
[ "$n" -eq 0 ] || fail "capture: $n segments from tern without a timestamp"
count 'ip.src == 192.0.2.2 && tcp.len > 0 && ip.dsfield.ecn != 2 && !tcp.analysis.retransmission'
[ "$n" -eq 0 ] || fail "capture: $n data segments from tern not ECT(0)"
echo "ok capture: $total packets, $data data segments from tern (largest $largest bytes), $fins FINs, 0 resets," \
	"0 malformed, 0 bad checksums; wscale, timestamps, SACK and ECN negotiated with Linux"
rm -rf "$TMP"
echo "PASS"
