#!/usr/bin/env bash
# test_tcp_http.sh - curl (Linux's TCP) against tern's HTTP/1.1 file server
# through a TUN device, in a network namespace this test creates and always
# deletes. First the protocol (GET, HEAD, keep-alive, Connection: close,
# 404, 400, 405, no way out of the root) and `tern ss` during a slow
# transfer, all captured and read by tshark; then a 50 MB file, sha256
# checked, without faults and with 1% loss each way (not captured: too big;
# TERN_TEST_PCAP_BIG=1 captures them too). Prints the transfer times and
# tern's retransmission counters.
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u
TEST_NAME=tcp_http
. "$(dirname "$0")/svc_lib.sh"
svc_need curl python3 tshark sha256sum head

ROOT="$TMP/www"
mkdir -p "$ROOT/sub" "$TMP/outside"
printf 'hello from tern\n' >"$ROOT/index.html"
printf 'plain\n' >"$ROOT/sub/a.txt"
printf 'secret\n' >"$TMP/outside/secret.txt"
ln -s "$TMP/outside/secret.txt" "$ROOT/escape.txt"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$ROOT/slow.bin" || fail "cannot make slow.bin"
URL="http://$TERN_ADDR"

# get ARGS...: curl in the namespace; prints "status size" (and more -w).
get() { in_ns timeout 20 curl -s -o "$TMP/body" -w '%{http_code} %{size_download}' "$@"; }
expect() { # DESCRIPTION WANT GOT
	[ "$2" = "$3" ] || fail "$1: got '$3', want '$2'"
	echo "ok $1: $3"
}

# ---- protocol, captured -------------------------------------------------------------
start_tern --pcap "$TMP/http.pcap" --http-root "$ROOT" --services http,echo --msl 1
CTL=$(sed -n 's/.*, ctl \([^,]*\),.*/\1/p' "$TMP/tern.out")
[ -S "$CTL" ] || fail "no control socket at '$CTL'"

expect "GET /" "200 16" "$(get "$URL/")"
cmp -s "$TMP/body" "$ROOT/index.html" || fail "GET /: body differs"
expect "GET /sub/a.txt" "200 6" "$(get "$URL/sub/a.txt")"
expect "GET /sub (a directory) redirects" "301 $URL/sub/" \
	"$(in_ns timeout 20 curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/sub")"
expect "HEAD /slow.bin" "200 0" "$(get -I "$URL/slow.bin")"
grep -qi "^content-length: 4194304" "$TMP/body" || fail "HEAD: no Content-Length 4194304"
expect "GET /missing" "404 14" "$(get "$URL/missing")"
expect "DELETE /" "405 23" "$(get -X DELETE "$URL/")"
expect "GET /../secret.txt (path traversal)" "403 14" "$(get --path-as-is "$URL/../outside/secret.txt")"
expect "GET /sub/%2e%2e/%2e%2e/outside/secret.txt" "403 14" \
	"$(get --path-as-is "$URL/sub/%2e%2e/%2e%2e/outside/secret.txt")"
s=$(get "$URL/escape.txt")
[ "$s" = "403 14" ] || [ "$s" = "404 14" ] || fail "symlink out of the root: got '$s'"
echo "ok GET /escape.txt (a symlink out of the root): $s"

# keep-alive: two requests, one connection; Connection: close is honoured.
in_ns timeout 20 curl -sv -o /dev/null -o /dev/null "$URL/" "$URL/sub/a.txt" 2>"$TMP/curl.err" ||
	fail "keep-alive: curl failed"
grep -qi "re-using existing connection\|reusing existing connection" "$TMP/curl.err" ||
	{ cat "$TMP/curl.err"; fail "keep-alive: curl opened a second connection"; }
echo "ok keep-alive: two requests on one connection"
in_ns timeout 20 curl -sv -o /dev/null -H 'Connection: close' "$URL/" 2>"$TMP/curl.err" ||
	fail "Connection: close: curl failed"
grep -qi "< connection: close" "$TMP/curl.err" || fail "Connection: close not echoed"
echo "ok Connection: close honoured"

cat >"$TMP/raw.py" <<'EOF'
import socket, sys
def ask(raw):
    s = socket.create_connection((sys.argv[1], 80), timeout=5)
    s.sendall(raw)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            return data
        data += b
for raw, want in ((b"GARBAGE\r\n\r\n", b"HTTP/1.1 400 "),
                  (b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 400 "),  # no Host
                  (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", b"HTTP/1.1 505 "),
                  (b"GET / HTTP/1.0\r\n\r\n", b"HTTP/1.1 200 "),
                  (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
                   b"HTTP/1.1 405 ")):
    got = ask(raw)
    if not got.startswith(want):
        sys.exit("raw %r: got %r, want %r" % (raw, got[:40], want))
    print("ok raw %-40.40r -> %s, then closed" % (raw, got.split(b"\r\n")[0].decode()))
# Two requests in one write: both answered, in order, then closed as asked.
got = ask(b"GET /sub/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
if got.count(b"HTTP/1.1 200 OK") != 2 or not got.endswith(b"hello from tern\n") \
        or b"plain\n" not in got:
    sys.exit("pipelined requests: got %r" % got)
print("ok two pipelined requests answered in order, then closed")
EOF
in_ns timeout 30 python3 "$TMP/raw.py" "$TERN_ADDR" || fail "raw requests"

# ---- tern ss during a slow transfer ---------------------------------------------
in_ns timeout 60 curl -s -o /dev/null --limit-rate 500K "$URL/slow.bin" &
CURL_PID=$!
seen=
for _ in $(seq 50); do
	in_ns "$TERN" ss -i >"$TMP/ss.out" 2>&1 || fail "tern ss: $(cat "$TMP/ss.out")"
	if grep -q "^ESTABLISHED .* $TERN_ADDR:80 .*$PEER_ADDR:" "$TMP/ss.out"; then
		seen=1
		break
	fi
	sleep 0.1
done
[ -n "$seen" ] || { cat "$TMP/ss.out"; fail "tern ss: no ESTABLISHED connection on port 80"; }
sed 's/^/  /' "$TMP/ss.out"
grep -q "rtt:.* rto:.* mss:.* cwnd:.* retrans:.* bytes_acked:.* bytes_received:" "$TMP/ss.out" ||
	fail "tern ss -i: no info line"
echo "ok tern ss -i (in the namespace) shows the ESTABLISHED transfer and its figures"
"$TERN" ss -a --ctl "$CTL" >"$TMP/ss.out" 2>&1 || fail "tern ss --ctl: $(cat "$TMP/ss.out")"
grep -q "^LISTEN .* 0.0.0.0:80 " "$TMP/ss.out" && grep -q "^LISTEN .* 0.0.0.0:7 " "$TMP/ss.out" ||
	{ cat "$TMP/ss.out"; fail "tern ss -a: listeners missing"; }
echo "ok tern ss -a --ctl (outside the namespace) shows the listeners on 80 and 7"
in_ns "$TERN" ss --tun tern0 >"$TMP/ss.out" 2>&1 || fail "tern ss --tun: $(cat "$TMP/ss.out")"
grep -q "^LISTEN" "$TMP/ss.out" && fail "tern ss without -a shows listeners"
echo "ok tern ss --tun tern0 hides listeners without -a"
in_ns "$TERN" ss -s >"$TMP/ss.out" 2>&1 || fail "tern ss -s: $(cat "$TMP/ss.out")"
for group in Ip Icmp Tcp Udp; do
	grep -q "^$group:\$" "$TMP/ss.out" || { cat "$TMP/ss.out"; fail "tern ss -s: no $group group"; }
done
opens=$(sed -n '/^Tcp:/,/^[A-Z]/s/^ *\([0-9]*\) connections opened passively$/\1/p' "$TMP/ss.out")
estab=$(sed -n '/^Tcp:/,/^[A-Z]/s/^ *\([0-9]*\) connections established now$/\1/p' "$TMP/ss.out")
[ "${opens:-0}" -ge 1 ] && [ "${estab:-0}" -ge 1 ] ||
	{ cat "$TMP/ss.out"; fail "tern ss -s: passive opens '$opens', established '$estab'"; }
echo "ok tern ss -s groups the counters like netstat -s ($opens passive opens, $estab established now)"
kill "$CURL_PID" 2>/dev/null
wait "$CURL_PID" 2>/dev/null
stop_tern
[ -e "$CTL" ] && fail "control socket $CTL left behind"
check_pcap "$TMP/http.pcap"

# ---- 50 MB, with and without loss ---------------------------------------------------
head -c $((50 * 1024 * 1024)) /dev/urandom >"$ROOT/big.bin" || fail "cannot make the 50 MB file"
want=$(sha256sum <"$ROOT/big.bin" | cut -c1-64)

# fetch LABEL TERN-ARGS...: one 50 MB GET, sha256 checked, figures printed.
fetch() {
	local label=$1 big=()
	shift
	[ -n "${TERN_TEST_PCAP_BIG:-}" ] && big=(--pcap "$TMP/big-$label.pcap")
	start_tern --http-root "$ROOT" "${big[@]}" "$@"
	in_ns timeout 240 curl -s -o "$TMP/got.bin" -w '%{http_code} %{size_download} %{time_total}' \
		"$URL/big.bin" >"$TMP/curl.out" || fail "$label: curl failed ($(cat "$TMP/curl.out"))"
	read -r code size secs <"$TMP/curl.out"
	[ "$code" = 200 ] || fail "$label: status $code"
	have=$(sha256sum <"$TMP/got.bin" | cut -c1-64)
	[ "$have" = "$want" ] || fail "$label: sha256 $have of $size bytes, want $want"
	rm -f "$TMP/got.bin"
	stop_tern
	printf 'ok curl 50 MB %s: %s s (%.1f MB/s), sha256 %s; tern retransmitted %s segments (%s fast retransmits, %s timeouts)%s%s\n' \
		"$label" "$secs" "$(awk "BEGIN { print 50 * 1.048576 / $secs }")" "${have:0:16}" \
		"$(counter tcp_retrans_segs)" "$(counter tcp_fast_retrans)" "$(counter tcp_timeouts)" \
		"$(grep '^fault' "$TMP/tern.err" | sed 's/^fault/; fault/')" \
		"$(grep '^tun ' "$TMP/tern.err" | sed 's/^tun/; tun/')"
	[ -n "${TERN_TEST_PCAP_BIG:-}" ] && check_pcap "$TMP/big-$label.pcap"
	return 0
}
fetch no-faults
# TUN offloads (the default): tern's segments left as 64 KiB GSO packets
grep -q "offloads (64 KiB segments)" "$TMP/tern.out" || fail "tern up did not report offloads"
gso=$(grep '^tun ' "$TMP/tern.err" | sed 's/.*gso_sent \([0-9]*\).*/\1/')
[ "${gso:-0}" -gt 100 ] || fail "offloads: only '${gso:-0}' GSO packets sent for 50 MB"
fetch plain-TUN --no-offload
grep -q "plain TUN" "$TMP/tern.out" || fail "--no-offload: tern up did not report a plain TUN"
grep -q '^tun ' "$TMP/tern.err" && fail "--no-offload: GSO counters on a plain TUN"
# The fault injector drops whole packets: over a plain TUN 1% is 1% of the
# MTU-sized segments (with offloads it would be 1% of 64 KiB bursts).
fetch 1%-loss --loss 0.01 --seed 7 --no-offload
echo "PASS"
