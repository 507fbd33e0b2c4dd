#!/bin/bash
# test_make_run.sh - what `make run` promises: `tern demo` finishes, the
# TCP transfer arrives intact, the terminal shows the ladder of the
# handshake and the close, and the output directory holds the capture, the
# trace and every figure, each well-formed (xmllint) and readable (tshark).
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
set -u
: "${TERN:?TERN must name the tern binary}"
mkdir -p "${TERN_TEST_TMP:-/tmp}"
OUT=$(mktemp -d "${TERN_TEST_TMP:-/tmp}/demo.XXXXXX") || exit 1
trap 'rm -rf "$OUT"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$TERN" demo --out "$OUT/d" --quiet >"$OUT/stdout" 2>"$OUT/stderr"
rc=$?
[ $rc -eq 0 ] || { cat "$OUT/stdout" "$OUT/stderr"; fail "tern demo exited $rc"; }
grep -q "intact (B's hash = A's)" "$OUT/stdout" || { cat "$OUT/stdout"; fail "transfer not intact"; }
echo "ok tern demo: $(grep -m1 'transfer:' "$OUT/stdout" | sed 's/^ *//')"

# the terminal ladder: SYN, SYN-ACK and ACK first, FINs at the end
for want in "SYN" "SYN-ACK" "FIN" "ESTABLISHED" "TIME-WAIT"; do
	grep -q -- "$want" "$OUT/stdout" || { cat "$OUT/stdout"; fail "terminal ladder lacks $want"; }
done
echo "ok the terminal shows the ladder of the handshake and the close"

for f in demo.pcap demo.trace ladder.svg tsg.svg cwnd.svg rtt.svg states.svg; do
	[ -s "$OUT/d/$f" ] || fail "$f missing or empty"
	grep -q "$f\|${f%.svg}" "$OUT/stdout" || fail "the run does not tell the user about $f"
done
echo "ok every promised file is there: $(cd "$OUT/d" && ls | tr '\n' ' ')"

lines=$(wc -l <"$OUT/d/demo.trace")
bad=$(grep -cv '^{"t":[0-9]*,"host":"[AB]","ev":"[a-z_]*",.*}$' "$OUT/d/demo.trace")
[ "$bad" -eq 0 ] || fail "$bad of $lines trace lines are not event objects"
echo "ok demo.trace: $lines JSON event lines from hosts A and B"

if command -v xmllint >/dev/null 2>&1; then
	for f in "$OUT"/d/*.svg; do
		xmllint --noout "$f" || fail "$(basename "$f") is not well-formed XML"
	done
	echo "ok every SVG is well-formed (xmllint)"
else
	echo "SKIPPED: xmllint not installed (scripts/deps.sh installs libxml2-utils)"
fi
if command -v tshark >/dev/null 2>&1; then
	n=$(tshark -r "$OUT/d/demo.pcap" -Y tcp 2>/dev/null | wc -l)
	[ "$n" -gt 100 ] || fail "tshark reads only $n TCP packets from demo.pcap"
	echo "ok tshark reads $n TCP packets from demo.pcap"
else
	echo "SKIPPED: tshark not installed"
fi
