#!/usr/bin/env bash
# test_plot.sh - `tern plot` on known inputs (tests/plot/data): a hand-written
# trace of both hosts (handshake, one loss repaired by fast retransmit, close
# with TIME-WAIT), a pcap of tern's simulator (raw IPv4) and two tcpdump
# captures of Linux (Ethernet on lo, Linux cooked v2 on "any").
#
# Each figure of each input must be well-formed XML (xmllint), render to PNG
# (rsvg-convert) and hold the labels it should: for the ladder every
# segment's label and every state name, in order. The text ladder of the
# trace and of the tern pcap must match their golden files. Broken input
# must fail with a message naming where, never crash.
#
# Env: TERN (the tern binary), TERN_TEST_TMP (scratch directory).
set -u
TERN=${TERN:?set TERN to the tern binary}
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data
TMP=${TERN_TEST_TMP:-${TMPDIR:-/tmp}/tern-plot-test}
mkdir -p "$TMP" || exit 1
for tool in xmllint rsvg-convert; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIPPED: $tool is missing (scripts/deps.sh installs libxml2-utils and librsvg2-bin)"
		exit 77
	fi
done

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

TRACE=$DATA/handshake_loss_close.trace
TPCAP=$DATA/tern_demo.pcap
LO=$DATA/linux_lo_eth.pcap
ANY=$DATA/linux_any_sll2.pcap

# The ladder's segment labels (bold, 12 px) and state names, one a line.
seg_labels() { grep -o '<text[^>]*font-size="12.0"[^>]*font-weight="bold">[^<]*' "$1" | sed 's/.*>//'; }
state_names() { grep -o '<text[^>]*fill="#6a1b9a" font-weight="bold">[^<]*' "$1" | sed 's/.*>//'; }

# plot INPUT KIND NAME [options]: draws, checks the XML, renders the PNG.
plot() {
	local in=$1 kind=$2 name=$3
	shift 3
	local svg=$TMP/$name.svg
	rm -f "$svg" "$TMP/$name.png"
	if ! "$TERN" plot "$in" --kind "$kind" -o "$svg" "$@" 2>"$TMP/$name.err"; then
		fail "$name: tern plot failed: $(cat "$TMP/$name.err")"
		return 1
	fi
	xmllint --noout "$svg" 2>"$TMP/$name.xml.err" || fail "$name: not well-formed: $(head -3 "$TMP/$name.xml.err")"
	grep -q '<svg [^>]*width="[0-9]*" height="[0-9]*" viewBox="0 0 ' "$svg" || fail "$name: no width/height/viewBox"
	! grep -qE 'href=|@import|url\((http|file)' "$svg" || fail "$name: refers to something outside itself"
	if ! rsvg-convert "$svg" -o "$TMP/$name.png" 2>"$TMP/$name.png.err" ||
		[ "$(head -c 4 "$TMP/$name.png" | od -An -tx1 | tr -d ' ')" != "89504e47" ]; then
		fail "$name: rsvg-convert could not render it: $(head -3 "$TMP/$name.png.err")"
	fi
	return 0
}

# has NAME TEXT...: the SVG holds each text.
has() {
	local name=$1
	shift
	for want in "$@"; do
		grep -qF -- "$want" "$TMP/$name.svg" || fail "$name: no '$want'"
	done
}

# same NAME WHAT EXPECTED ACTUAL: two lists, one item a line, equal.
same() {
	if [ "$3" != "$4" ]; then
		fail "$1: $2 differ"
		diff <(echo "$3") <(echo "$4") | head -20
	fi
}

# ---- the trace ---------------------------------------------------------------
if plot "$TRACE" ladder trace_ladder; then
	same trace_ladder "segment labels" "$(seg_labels "$TMP/trace_ladder.svg")" "SYN seq=0
SYN-ACK seq=0 ack=1
ACK ack=1
seq=1:1449 ack=1
seq=1449:2897 ack=1
seq=2897:4345 ack=1
seq=4345:5793 ack=1
seq=5793:7241 ack=1
seq=7241:8689 ack=1
ACK ack=1449
ACK ack=1449
ACK ack=1449
ACK ack=1449
ACK ack=1449
seq=1449:2897 ack=1
ACK ack=8689
FIN seq=8689 ack=1
ACK ack=8690
FIN seq=1 ack=8690
ACK ack=2"
	same trace_ladder "state names" "$(state_names "$TMP/trace_ladder.svg")" "CLOSED
SYN-SENT
LISTEN
SYN-RECEIVED
ESTABLISHED
ESTABLISHED
FIN-WAIT-1
CLOSE-WAIT
LAST-ACK
FIN-WAIT-2
TIME-WAIT
CLOSED
CLOSED"
	has trace_ladder "10.0.0.1:49152 (a)" "10.0.0.2:80 (b)" "&lt;mss 1460,ws 7,sackok,ts&gt;" \
		"&lt;ts,sack 2897:8689&gt;" "retransmission (fast)" "2MSL wait 60.0 s" "time (ms)" \
		"lost (never arrived" "TIME-WAIT"
fi
if plot "$TRACE" ladder trace_ladder_abs --absolute --first 3 --last 2 --title "My <ladder> & co"; then
	same trace_ladder_abs "segment labels" "$(seg_labels "$TMP/trace_ladder_abs.svg")" "SYN seq=1000
SYN-ACK seq=5000 ack=1001
ACK ack=5001
FIN seq=5001 ack=9690
ACK ack=5002"
	has trace_ladder_abs "15 segments omitted" "My &lt;ladder&gt; &amp; co"
fi
plot "$TRACE" tsg trace_tsg && has trace_tsg "Time-sequence graph" "data segment" "retransmission" \
	"cumulative ACK" "window edge" "SACK block" "lost (never arrived)" "time (ms)" \
	"relative sequence number (bytes)"
plot "$TRACE" cwnd trace_cwnd && has trace_cwnd "Congestion window of 10.0.0.1:49152 (a)" \
	">cwnd<" "ssthresh" "fast retransmit" "time (ms)" ">bytes<"
plot "$TRACE" cwnd trace_cwnd_seg --segments && has trace_cwnd_seg "segments (of 1460 bytes)"
plot "$TRACE" rtt trace_rtt && has trace_rtt "Round-trip time" "RTT sample" "SRTT" "RTO" "milliseconds"
if plot "$TRACE" states trace_states; then
	for st in CLOSED LISTEN SYN-SENT SYN-RECEIVED ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSE-WAIT \
		CLOSING LAST-ACK TIME-WAIT; do
		has trace_states ">$st<"
	done
	has trace_states "rcv SYN" "snd SYN,ACK" "Timeout=2MSL" "from the trace"
	n=$(grep -c '>×1<' "$TMP/trace_states.svg")
	[ "$n" -eq 11 ] || fail "trace_states: $n transitions counted, want 11"
fi

# ---- the pcaps ---------------------------------------------------------------
for p in "$TPCAP" "$LO" "$ANY"; do
	n=$(basename "$p" .pcap)
	plot "$p" ladder "${n}_ladder" && has "${n}_ladder" "SYN seq=0" "SYN-ACK seq=0 ack=1" \
		"states inferred from flags" "time (ms)"
	plot "$p" tsg "${n}_tsg" && has "${n}_tsg" "Time-sequence graph" "cumulative ACK"
	plot "$p" states "${n}_states" && has "${n}_states" "inferred from the segments' flags" \
		">TIME-WAIT<" ">×1<"
	for k in cwnd rtt; do
		"$TERN" plot "$p" --kind $k -o "$TMP/${n}_$k.svg" 2>"$TMP/${n}_$k.err"
		rc=$?
		[ $rc -eq 2 ] || fail "${n}_$k: exit $rc, want 2 (a pcap has no $k)"
		grep -q "needs an event trace" "$TMP/${n}_$k.err" || fail "${n}_$k: no clear message"
		[ ! -e "$TMP/${n}_$k.svg" ] || fail "${n}_$k: left a file behind"
	done
done
if [ -s "$TMP/linux_lo_eth_ladder.svg" ]; then
	same linux_lo_eth_ladder "segment labels" "$(seg_labels "$TMP/linux_lo_eth_ladder.svg")" "SYN seq=0
SYN-ACK seq=0 ack=1
ACK ack=1
seq=1:8193 ack=1
ACK ack=8193
seq=8193:16385 ack=1
ACK ack=16385
seq=16385:24577 ack=1
ACK ack=24577
seq=24577:30001 ack=1
FIN seq=30001 ack=1
FIN seq=1 ack=30002
ACK ack=2"
	same linux_lo_eth_ladder "state names" "$(state_names "$TMP/linux_lo_eth_ladder.svg")" "CLOSED
SYN-SENT
LISTEN
SYN-RECEIVED
ESTABLISHED
ESTABLISHED
FIN-WAIT-1
CLOSE-WAIT
FIN-WAIT-2
LAST-ACK
TIME-WAIT
CLOSED"
fi
# Two captures of one connection (their clocks differ by microseconds).
same linux_any_sll2_ladder "labels from Ethernet and Linux cooked captures" \
	"$(seg_labels "$TMP/linux_lo_eth_ladder.svg"; state_names "$TMP/linux_lo_eth_ladder.svg")" \
	"$(seg_labels "$TMP/linux_any_sll2_ladder.svg"; state_names "$TMP/linux_any_sll2_ladder.svg")"
has tern_demo_tsg "retransmission"

# ---- the text ladder -----------------------------------------------------------
for golden in "$DATA"/*.ladder.txt; do
	in=$DATA/$(basename "$golden" .ladder.txt)
	"$TERN" plot "$in" --kind ladder --text >"$TMP/text.out" 2>&1 || fail "text ladder of $in failed"
	diff -u "$golden" "$TMP/text.out" >"$TMP/text.diff" ||
		fail "text ladder of $(basename "$in") differs from its golden file: $(head -20 "$TMP/text.diff")"
done
"$TERN" plot "$TRACE" --text --first 2 --last 2 | grep -q '\.\.\. 16 segments omitted \.\.\.' ||
	fail "text ladder: no omitted-segments line"

# ---- broken input ------------------------------------------------------------
# expect_fail NAME STATUS PATTERN -- ARGS...: fails with that status and says so.
expect_fail() {
	local name=$1 want=$2 pat=$3
	shift 4
	"$TERN" plot "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
	local rc=$?
	[ $rc -eq "$want" ] || fail "$name: exit $rc, want $want ($(cat "$TMP/$name.err"))"
	grep -qE -- "$pat" "$TMP/$name.err" || fail "$name: message '$(cat "$TMP/$name.err")' lacks '$pat'"
}
{ head -2 "$TRACE"; echo '{"t":5,"host":"a","ev":"seg_out",'; tail -n +3 "$TRACE"; } >"$TMP/bad_json.trace"
expect_fail bad_json 1 'bad_json.trace:3:[0-9]+: ' -- "$TMP/bad_json.trace" --kind ladder
{ head -2 "$TRACE"; echo '{"t":5,"host":"a","ev":"seg_out","local":"10.0.0.1:49152","remote":"10.0.0.2:80"}'; } >"$TMP/no_seq.trace"
expect_fail missing_member 1 "no_seq.trace:3: 'seg_out' event without 'seq'" -- "$TMP/no_seq.trace" --kind tsg
head -c 1000 "$TPCAP" >"$TMP/short.pcap"
expect_fail truncated_pcap 1 'truncated pcap: record [0-9]+ at offset [0-9]+' -- "$TMP/short.pcap" --kind ladder
head -c 10 "$TPCAP" >"$TMP/tiny.pcap"
expect_fail tiny_pcap 1 'truncated pcap file header' -- "$TMP/tiny.pcap" --kind ladder
: >"$TMP/empty.trace"
expect_fail empty 1 'no TCP segments' -- "$TMP/empty.trace" --kind ladder
expect_fail unknown_kind 2 "unknown kind 'pie'" -- "$TRACE" --kind pie
expect_fail bad_conn 2 'no segments of connection' -- "$TRACE" --kind ladder --conn 1.2.3.4:5-6.7.8.9:10
expect_fail missing_file 1 'cannot open' -- "$TMP/nonexistent" --kind ladder
# Tolerance: unknown kinds and members are skipped.
{ echo '{"t":0,"host":"a","ev":"future_kind","local":"1.2.3.4:5","remote":"6.7.8.9:10","x":[1,{"y":null}]}'
	sed 's/"ev":"seg_out",/"ev":"seg_out","new_member":{"deep":[true,false,"\\u00e9"]},/' "$TRACE"; } >"$TMP/extra.trace"
"$TERN" plot "$TMP/extra.trace" --kind ladder --text >"$TMP/extra.out" 2>&1 || fail "unknown kinds and members are not ignored: $(head -3 "$TMP/extra.out")"
diff -q "$TMP/extra.out" "$DATA/handshake_loss_close.trace.ladder.txt" >/dev/null ||
	fail "unknown kinds and members changed the ladder"

if [ $failures -ne 0 ]; then
	echo "test_plot: $failures failure(s); figures in $TMP"
	exit 1
fi
echo "test_plot: all figures drawn, well-formed, rendered and labelled (in $TMP)"
