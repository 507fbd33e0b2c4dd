# svc_lib.sh - sourced by the TCP service interop tests (test_tcp_*.sh):
# skip unless root, a network namespace of the test's own (always deleted),
# `tern up` started and stopped in it, and tshark's verdict on a capture.
# Not a test itself (the interop glob is test_*.sh).
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   Callers set TEST_NAME first and call svc_need TOOL... .

TERN_ADDR=192.0.2.2
PEER_ADDR=192.0.2.1
TERN_PID=
NS=

svc_need() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIPPED: interop tests need root (TCP services through TUN in a namespace)"
		exit 77
	fi
	local tool
	for tool in ip timeout "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "SKIPPED: interop test needs $tool"
			exit 77
		fi
	done
	: "${TERN:?TERN must name the tern binary}"
	mkdir -p "${TERN_TEST_TMP:-/tmp}"
	TMP=$(mktemp -d "${TERN_TEST_TMP:-/tmp}/$TEST_NAME.XXXXXX") || exit 1
	NS="tern-test-$$-$RANDOM"
	trap svc_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	ip netns add "$NS" || fail "cannot create network namespace $NS"
	in_ns ip link set lo up || fail "cannot bring lo up in $NS"
	# No IPv6 on new interfaces: captures hold only the IPv4 traffic under test.
	in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
}

svc_cleanup() {
	if [ -n "$TERN_PID" ] && kill -0 "$TERN_PID" 2>/dev/null; then
		kill -KILL "$TERN_PID" 2>/dev/null
		wait "$TERN_PID" 2>/dev/null
	fi
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	# The scratch directory holds 50 MB files; keep it only on failure.
	[ -n "${SVC_KEEP_TMP:-}" ] || rm -rf "$TMP"
}

fail() {
	echo "FAIL: $*"
	echo "--- tern stdout:"; cat "$TMP/tern.out" 2>/dev/null
	echo "--- tern stderr:"; tail -40 "$TMP/tern.err" 2>/dev/null
	SVC_KEEP_TMP=1
	exit 1
}

in_ns() { ip netns exec "$NS" "$@"; }

# start_tern ARGS...: tern up in the namespace, waiting for its ready line.
# ip netns exec execs tern itself, so $! is tern's pid.
start_tern() {
	# The last run's output must not count as this one's ready line: the
	# background redirection truncates the file only once tern starts.
	rm -f "$TMP/tern.out" "$TMP/tern.err"
	ip netns exec "$NS" "$TERN" up --tun tern0 --addr "$TERN_ADDR/24" \
		--peer "$PEER_ADDR/24" --stats "$@" >"$TMP/tern.out" 2>"$TMP/tern.err" &
	TERN_PID=$!
	local _
	for _ in $(seq 200); do
		grep -q "ready" "$TMP/tern.out" 2>/dev/null && break
		kill -0 "$TERN_PID" 2>/dev/null || fail "tern up exited before it was ready"
		sleep 0.1
	done
	grep -q "ready" "$TMP/tern.out" || fail "tern up printed no ready line within 20 s"
	echo "ready: $(cat "$TMP/tern.out")"
}

# stop_tern: SIGTERM, exit status 0 within 5 s, the device gone; the
# counters (--stats) stay in $TMP/tern.err.
stop_tern() {
	kill -TERM "$TERN_PID"
	local _ status
	for _ in $(seq 50); do
		kill -0 "$TERN_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$TERN_PID" 2>/dev/null && fail "tern up still running 5 s after SIGTERM"
	wait "$TERN_PID"
	status=$?
	TERN_PID=
	[ "$status" -eq 0 ] || fail "tern up exited with status $status after SIGTERM"
	in_ns ip link show tern0 >/dev/null 2>&1 && fail "TUN device tern0 still exists"
	echo "ok tern up exited 0 on SIGTERM, tern0 removed"
}

# counter NAME: a value from tern's --stats dump (0 when absent).
counter() {
	awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }' "$TMP/tern.err"
}

# check_pcap FILE: tshark reads it, with no malformed packet, no bad IP, TCP,
# UDP or ICMP checksum, and no expert error.
check_pcap() {
	local pcap=$1 n total
	[ -s "$pcap" ] || fail "no capture written"
	ts() {
		tshark -r "$pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
			-o udp.check_checksum:TRUE "$@" 2>"$TMP/tshark.err"
	}
	ts -Y frame >"$TMP/tshark.out" || { cat "$TMP/tshark.err"; fail "tshark cannot read $pcap"; }
	total=$(wc -l <"$TMP/tshark.out")
	[ "$total" -gt 0 ] || fail "tshark reads no packets from $pcap"
	ts -Y '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"' \
		>"$TMP/tshark.out" || { cat "$TMP/tshark.err"; fail "tshark filter"; }
	n=$(wc -l <"$TMP/tshark.out")
	if [ "$n" -ne 0 ]; then
		head -20 "$TMP/tshark.out"
		fail "capture: $n malformed, bad-checksum or expert-error packets"
	fi
	ts -q -z expert,warn >"$TMP/expert.out" || fail "tshark -z expert"
	n=$(grep -ciE "malformed|bad checksum|incorrect" "$TMP/expert.out")
	[ "$n" -eq 0 ] || { cat "$TMP/expert.out"; fail "capture: tshark expert info reports $n problems"; }
	echo "ok capture $(basename "$pcap"): $total packets, 0 malformed, 0 bad checksums"
}
