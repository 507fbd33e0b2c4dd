#!/usr/bin/env bash
# test_tcp_synflood.sh - hping3 floods tern's HTTP service with SYNs from
# random spoofed sources (inside a network namespace this test creates and
# always deletes) while curl, on Linux's TCP, downloads a 20 MB file: the
# download completes with the right sha256, tern answers the flood with SYN
# cookies (RFC 4987) and curl's own connection is one of those built from a
# returning cookie. Prints the flood size and tern's cookie counters.
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u
TEST_NAME=tcp_synflood
. "$(dirname "$0")/svc_lib.sh"
svc_need curl hping3 sha256sum head

ROOT="$TMP/www"
mkdir -p "$ROOT"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$ROOT/big.bin" || fail "cannot make the file"
want=$(sha256sum <"$ROOT/big.bin" | cut -c1-64)
start_tern --http-root "$ROOT" --services http

# 30,000 SYNs at 200 us intervals (about 6 s), bounded by count and time;
# the listener's SYN queue (128) is full within the first 30 ms.
FLOOD=30000
in_ns timeout 60 hping3 -q -S -p 80 --rand-source -i u200 -c "$FLOOD" "$TERN_ADDR" \
	>"$TMP/hping.out" 2>&1 &
HPING=$!
sleep 1
in_ns timeout 120 curl -s -o "$TMP/got.bin" -w '%{http_code} %{size_download} %{time_total}' \
	"http://$TERN_ADDR/big.bin" >"$TMP/curl.out" || fail "curl failed ($(cat "$TMP/curl.out"))"
kill -0 "$HPING" 2>/dev/null || fail "the flood ended before the download did"
read -r code size secs <"$TMP/curl.out"
[ "$code" = 200 ] || fail "status $code"
have=$(sha256sum <"$TMP/got.bin" | cut -c1-64)
[ "$have" = "$want" ] || fail "sha256 $have of $size bytes, want $want"
echo "ok curl 20 MB under a SYN flood: $secs s, sha256 ${have:0:16}"
wait "$HPING"
# Segments with a bad TCP checksum from a raw socket: the kernel hands them
# over with their full checksum unverified, so the TUN device checks it for
# the stack (TERN_CSUM_OFFLOAD_RX) and drops all five.
in_ns timeout 20 hping3 -q -S -b -p 80 -i u10000 -c 5 "$TERN_ADDR" >"$TMP/hping-b.out" 2>&1
stop_tern
badsum=$(grep '^tun ' "$TMP/tern.err" | sed -n 's/.*bad_checksums \([0-9]*\).*/\1/p')
[ "${badsum:-0}" -eq 5 ] || fail "bad checksums dropped by the TUN device: '${badsum:-}', want 5"
echo "ok 5 SYNs with a bad checksum dropped by the TUN device, which checks them for the stack"
sent=$(counter tcp_syncookies_sent)
ok=$(counter tcp_syncookies_ok)
bad=$(counter tcp_syncookies_failed)
echo "flood: $FLOOD spoofed SYNs; tern: $sent cookies sent, $ok accepted, $bad rejected, $(counter tcp_listen_overflows) SYNs over the queue"
[ "$sent" -gt 1000 ] || fail "tern sent only $sent SYN cookies"
[ "$ok" -ge 1 ] || fail "curl's connection did not come in on a cookie"
echo "PASS"
