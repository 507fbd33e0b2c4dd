#!/usr/bin/env bash
# test_ping_udp.sh - Linux pings tern and talks UDP to it through a TUN device,
# inside a network namespace this test creates and always deletes.
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIPPED: interop tests need root (ping, UDP echo through TUN)"
	exit 77
fi
for tool in ip ping python3 tshark; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIPPED: interop test needs $tool"
		exit 77
	fi
done
: "${TERN:?TERN must name the tern binary}"
mkdir -p "${TERN_TEST_TMP:-/tmp}"
TMP=$(mktemp -d "${TERN_TEST_TMP:-/tmp}/ping_udp.XXXXXX") || exit 1

NS="tern-test-$$-$RANDOM"
TERN_ADDR=192.0.2.2
TERN_PID=

cleanup() {
	if [ -n "$TERN_PID" ] && kill -0 "$TERN_PID" 2>/dev/null; then
		kill -KILL "$TERN_PID" 2>/dev/null
		wait "$TERN_PID" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
	echo "FAIL: $*"
	echo "--- tern stdout:"; cat "$TMP/tern.out" 2>/dev/null
	echo "--- tern stderr:"; cat "$TMP/tern.err" 2>/dev/null
	exit 1
}

in_ns() { ip netns exec "$NS" "$@"; }

ip netns add "$NS" || fail "cannot create network namespace $NS"
in_ns ip link set lo up || fail "cannot bring lo up in $NS"
# New interfaces in the namespace start without IPv6, so the capture holds
# only the IPv4 traffic under test (no router solicitations, no MLD).
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null

# ip netns exec execs tern itself, so $! is tern's pid.
ip netns exec "$NS" "$TERN" up --tun tern0 --addr "$TERN_ADDR/24" \
	--peer 192.0.2.1/24 --pcap "$TMP/x.pcap" --stats \
	>"$TMP/tern.out" 2>"$TMP/tern.err" &
TERN_PID=$!

for _ in $(seq 200); do
	grep -q "ready" "$TMP/tern.out" 2>/dev/null && break
	kill -0 "$TERN_PID" 2>/dev/null || fail "tern up exited before it was ready"
	sleep 0.1
done
grep -q "ready" "$TMP/tern.out" || fail "tern up printed no ready line within 20 s"
[ "$(wc -l <"$TMP/tern.out")" -eq 1 ] || fail "tern up printed more than one line"
echo "ready: $(cat "$TMP/tern.out")"

# ---- ping ---------------------------------------------------------------------
in_ns ping -c 5 -i 0.2 -W 2 "$TERN_ADDR" >"$TMP/ping.out" 2>&1
replies=$(grep -c "bytes from $TERN_ADDR" "$TMP/ping.out")
[ "$replies" -eq 5 ] || { cat "$TMP/ping.out"; fail "ping: $replies of 5 replies"; }
echo "ok ping: 5 of 5 replies"

# ---- UDP echo, byte-exact, including datagrams Linux fragments -----------------
cat >"$TMP/udp_echo.py" <<'EOF'
import hashlib, os, socket, sys
addr = (sys.argv[1], 7)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
for size in (0, 1, 100, 1472, 1473, 2000, 4000, 8000):
    data = os.urandom(size)
    got = None
    for attempt in range(3):
        s.sendto(data, addr)
        try:
            got, peer = s.recvfrom(70000)
            break
        except socket.timeout:
            continue
    if got is None:
        sys.exit("udp echo: no reply to a %d-byte datagram" % size)
    want, have = hashlib.sha256(data).hexdigest(), hashlib.sha256(got).hexdigest()
    if want != have or peer != addr:
        sys.exit("udp echo: %d bytes sent, %d back from %s, sha256 %s != %s"
                 % (size, len(got), peer, have[:16], want[:16]))
    print("ok udp echo %5d bytes sha256 %s" % (size, have[:16]))
EOF
in_ns python3 "$TMP/udp_echo.py" "$TERN_ADDR" || fail "UDP echo"

# ---- a closed port answers with ICMP port unreachable --------------------------
cat >"$TMP/udp_refused.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2.0)
s.connect((sys.argv[1], 9))
s.send(b"anyone there?")
try:
    s.recv(100)
except ConnectionRefusedError:
    print("ok udp to closed port 9: ECONNREFUSED")
    sys.exit(0)
except socket.timeout:
    sys.exit("udp to closed port 9: no ICMP port unreachable within 2 s")
sys.exit("udp to closed port 9: got a reply")
EOF
in_ns python3 "$TMP/udp_refused.py" "$TERN_ADDR" || fail "ECONNREFUSED"

# ---- clean shutdown -------------------------------------------------------------
kill -TERM "$TERN_PID"
for _ in $(seq 50); do
	kill -0 "$TERN_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$TERN_PID" 2>/dev/null && fail "tern up still running 5 s after SIGTERM"
wait "$TERN_PID"
status=$?
TERN_PID=
[ "$status" -eq 0 ] || fail "tern up exited with status $status after SIGTERM"
echo "ok tern up exited 0 on SIGTERM"
in_ns ip link show tern0 >/dev/null 2>&1 && fail "TUN device tern0 still exists"
echo "ok tern0 removed"
sed 's/^/  /' "$TMP/tern.err"

# ---- the capture ----------------------------------------------------------------
ts() {
	tshark -r "$TMP/x.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-o ip.defragment:TRUE "$@" 2>"$TMP/tshark.err"
}
# Sets n to the number of packets matching display filter $1. A filter
# tshark rejects must fail the test, not count as zero matches.
count() {
	ts -Y "$1" >"$TMP/tshark.out" || { cat "$TMP/tshark.err"; fail "tshark -Y '$1'"; }
	n=$(wc -l <"$TMP/tshark.out")
}

[ -s "$TMP/x.pcap" ] || fail "no capture written"
count 'frame'
total=$n
[ "$total" -gt 0 ] || fail "tshark reads no packets from the capture"
count '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"'
if [ "$n" -ne 0 ]; then
	ts -Y '_ws.malformed || _ws.expert.severity >= error' -V | head -60
	fail "capture: $n malformed or bad-checksum packets"
fi
ts -q -z expert,warn >"$TMP/expert.out" || fail "tshark -z expert"
problems=$(grep -ciE "malformed|bad checksum|incorrect" "$TMP/expert.out")
[ "$problems" -eq 0 ] || { cat "$TMP/expert.out"; fail "capture: tshark expert info reports $problems problems"; }
count 'icmp.type == 0'
[ "$n" -ge 5 ] || fail "capture: $n ICMP echo replies, expected 5"
replies=$n
count 'icmp.type == 3 && icmp.code == 3'
[ "$n" -ge 1 ] || fail "capture: no ICMP port unreachable"
unreach=$n
count 'udp.srcport == 7'
[ "$n" -ge 8 ] || fail "capture: $n UDP echo replies, expected 8"
echoes=$n
count 'ip.src == 192.0.2.2 && ip.flags.mf == 1'
[ "$n" -ge 1 ] || fail "capture: tern sent no fragments"
echo "ok capture: $total packets, 0 malformed, 0 bad checksums," \
	"$replies echo replies, $unreach port unreachable, $echoes UDP echoes, $n fragments from tern"
rm -rf "$TMP"
echo "PASS"
