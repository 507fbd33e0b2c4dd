#!/usr/bin/env bash
# test_tcp_echo.sh - Linux's TCP against tern's small TCP services through a
# TUN device, in a network namespace this test creates and always deletes:
# a closed port refuses, echo/discard/daytime/qotd/chargen answer as their
# RFCs say (captured; tshark finds nothing malformed), then socat pushes
# 50 MB through echo and gets the same bytes back (not captured: too big;
# TERN_TEST_PCAP_BIG=1 captures it too).
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u
TEST_NAME=tcp_echo
. "$(dirname "$0")/svc_lib.sh"
svc_need python3 socat tshark sha256sum head

# ---- the short services, captured ------------------------------------------------
start_tern --pcap "$TMP/short.pcap" --trace "$TMP/short.trace" --msl 1

cat >"$TMP/services.py" <<'EOF'
import os, socket, sys, time
host = sys.argv[1]

def conn(port):
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(5)
    return s

def read_all(s, limit=1 << 20):
    data = b""
    while len(data) < limit:
        b = s.recv(65536)
        if not b:
            return data
        data += b
    sys.exit("more than %d bytes before the server closed" % limit)

def refused():
    try:
        conn(4321).close()
    except ConnectionRefusedError:
        print("ok tcp to closed port 4321: ECONNREFUSED")
        return
    sys.exit("closed port 4321: connect did not fail with ECONNREFUSED")

def echo():
    s = conn(7)
    for size in (1, 100, 1460, 1461, 20000):
        data = os.urandom(size)
        s.sendall(data)
        got = b""
        while len(got) < size:
            b = s.recv(65536)
            if not b:
                sys.exit("echo: closed after %d of %d bytes" % (len(got), size))
            got += b
        if got != data:
            sys.exit("echo: %d bytes came back different" % size)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        sys.exit("echo: data after our FIN was echoed")
    print("ok echo (RFC 862): 5 writes of 1..20000 bytes back intact, closed after our FIN")

def discard():
    s = conn(9)
    s.sendall(os.urandom(1 << 20))
    s.shutdown(socket.SHUT_WR)
    got = read_all(s)
    if got:
        sys.exit("discard: server sent %d bytes" % len(got))
    print("ok discard (RFC 863): 1 MB swallowed, nothing sent, closed after our FIN")

def daytime():
    got = read_all(conn(13))
    text = got.decode("ascii")
    year = time.strftime("%Y")
    if not text.endswith("\r\n") or text.count("\n") != 1 or year not in text or len(text) > 100:
        sys.exit("daytime: unexpected answer %r" % text)
    print("ok daytime (RFC 867): %r, then closed" % text)

def qotd():
    got = read_all(conn(17))
    if not 0 < len(got) < 512:
        sys.exit("qotd: %d bytes (want 1..511)" % len(got))
    got.decode("ascii")
    print("ok qotd (RFC 865): %d-byte quote, then closed" % len(got))

def chargen():
    s = conn(19)
    want = 200000
    data = b""
    while len(data) < want:
        b = s.recv(65536)
        if not b:
            sys.exit("chargen: closed after %d bytes" % len(data))
        data += b
    s.close()
    lines = data[:want - want % 74].split(b"\r\n")[:-1]
    for i, line in enumerate(lines):
        expect = bytes(32 + (i + 1 + j) % 95 for j in range(72))
        if line != expect:
            sys.exit("chargen: line %d is %r, want %r" % (i, line, expect))
    print("ok chargen (RFC 864): %d lines of 72 characters rotating through 95, "
          "until we closed" % len(lines))

for test in sys.argv[2:]:
    globals()[test]()
EOF
in_ns timeout 60 python3 "$TMP/services.py" "$TERN_ADDR" refused echo discard daytime qotd chargen ||
	fail "TCP services"

# Every connection ends: nothing but listeners and TIME-WAIT (2 MSL = 2 s) remain.
for _ in $(seq 50); do
	in_ns "$TERN" ss >"$TMP/ss.out" 2>&1 || fail "tern ss: $(cat "$TMP/ss.out")"
	[ "$(wc -l <"$TMP/ss.out")" -eq 1 ] && break
	sleep 0.1
done
[ "$(wc -l <"$TMP/ss.out")" -eq 1 ] || { cat "$TMP/ss.out"; fail "connections left open"; }
echo "ok all connections closed (tern ss lists none)"
stop_tern
[ "$(counter tcp_out_rsts)" -ge 1 ] || fail "tern sent no RST for the closed port"
echo "ok tern counted $(counter tcp_out_rsts) RSTs sent, $(counter svc_resets) service resets"
check_pcap "$TMP/short.pcap"
tshark -r "$TMP/short.pcap" -Y 'tcp.srcport == 4321 && tcp.flags.reset == 1' 2>/dev/null |
	grep -q . || fail "capture: no RST from closed port 4321"
echo "ok capture: RST from the closed port"

# ---- the event trace of the same run (docs/TRACE.md) --------------------------------
T="$TMP/short.trace"
bad=$(grep -cv '^{"t":[0-9]*,"host":"tern","ev":"[a-z_]*","local":"[0-9.:]*","remote":"[0-9.:]*",.*}$' "$T")
[ -s "$T" ] && [ "$bad" -eq 0 ] || fail "trace: missing, or $bad lines not event objects"
grep -q '"ev":"drop","local":"192.0.2.2:4321",.*"counter":"tcp_no_port"' "$T" ||
	fail "trace: no tcp_no_port drop for the closed port"
for ev in '"local":"192.0.2.2:7",.*"old":"LISTEN","new":"SYN-RECEIVED"' \
	'"local":"192.0.2.2:7",.*"new":"ESTABLISHED","cause":"rcv ACK of SYN"' \
	'"local":"192.0.2.2:7",.*"old":"CLOSE-WAIT","new":"LAST-ACK"' \
	'"local":"192.0.2.2:19",.*"new":"CLOSED","cause":"rcv ' \
	'"ev":"seg_in","local":"192.0.2.2:7",.*"flags":"S",' \
	'"ev":"seg_out","local":"192.0.2.2:7",.*"flags":"SA",' \
	'"ev":"rtt","local":"192.0.2.2:9"' '"ev":"cwnd","local":"192.0.2.2:19"'; do
	grep -q "$ev" "$T" || fail "trace: no line matching $ev"
done
echo "ok trace: $(wc -l <"$T") events; echo's handshake and close, chargen's end, the closed port's drop"
if "$TERN" plot --help >/dev/null 2>&1; then
	"$TERN" plot "$T" --kind ladder --text >"$TMP/ladder.txt" 2>&1 ||
		fail "tern plot of the trace: $(cat "$TMP/ladder.txt")"
	grep -q "SYN" "$TMP/ladder.txt" || fail "tern plot: no SYN in the ladder"
	"$TERN" plot "$TMP/short.pcap" --kind tsg -o "$TMP/tsg.svg" >"$TMP/plot.out" 2>&1 ||
		fail "tern plot of the capture: $(cat "$TMP/plot.out")"
	echo "ok tern plot draws the ladder from the trace and the time-sequence graph from the capture"
fi

# ---- 50 MB through echo with socat -------------------------------------------------
head -c $((50 * 1024 * 1024)) /dev/urandom >"$TMP/in.bin" || fail "cannot make the 50 MB file"
big=()
[ -n "${TERN_TEST_PCAP_BIG:-}" ] && big=(--pcap "$TMP/big.pcap")
start_tern "${big[@]}"
start=$(date +%s.%N)
in_ns timeout 120 socat -b 65536 -t 30 -T 60 - "TCP:$TERN_ADDR:7" \
	<"$TMP/in.bin" >"$TMP/out.bin" 2>"$TMP/socat.err" || fail "socat: $(cat "$TMP/socat.err")"
end=$(date +%s.%N)
want=$(sha256sum <"$TMP/in.bin" | cut -c1-64)
have=$(sha256sum <"$TMP/out.bin" | cut -c1-64)
[ "$want" = "$have" ] ||
	fail "echo: sha256 $have of $(stat -c %s "$TMP/out.bin") bytes back, want $want"
stop_tern
printf 'ok socat: 50 MB through tcp echo and back in %.2f s, sha256 %s, %s retransmitted segments; %s\n' \
	"$(awk "BEGIN { print $end - $start }")" "${have:0:16}" "$(counter tcp_retrans_segs)" \
	"$(grep '^tun ' "$TMP/tern.err")"
# TUN offloads both ways: Linux's TCP handed over 64 KiB segments with
# partial checksums (completed by the device), and tern sent them too.
rx=$(grep '^tun ' "$TMP/tern.err" | sed 's/.*gso_received \([0-9]*\).*/\1/')
tx=$(grep '^tun ' "$TMP/tern.err" | sed 's/.*gso_sent \([0-9]*\).*/\1/')
[ "${rx:-0}" -gt 0 ] && [ "${tx:-0}" -gt 0 ] || fail "offloads: GSO received '${rx:-}', sent '${tx:-}'"
grep -q 'bad_headers 0 bad_checksums 0$' "$TMP/tern.err" || fail "offloads: virtio-net headers refused or bad checksums"
[ -n "${TERN_TEST_PCAP_BIG:-}" ] && check_pcap "$TMP/big.pcap"
echo "PASS"
