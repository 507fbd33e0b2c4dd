# smpp_lib.sh - sourced by the SMPP interop tests (test_smpp_*.sh), after
# svc_lib.sh: the ESME client (tests/interop/smpp/esme.js on the npm `smpp`
# package, which scripts/deps.sh installs with npm ci), and its figures.
# Not a test itself (the interop glob is test_*.sh).

SMPP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/smpp" && pwd)"

smpp_need() {
	svc_need node tshark "$@"
	if [ ! -f "$SMPP_DIR/node_modules/smpp/package.json" ]; then
		echo "SKIPPED: the npm smpp package is not installed (scripts/deps.sh runs npm ci in tests/interop/smpp)"
		exit 77
	fi
}

# esme MODE ARGS...: the client in the namespace; its JSON figures line goes
# to $TMP/esme.json, everything else to the output.
esme() {
	local limit=$1
	shift
	in_ns timeout "$limit" node "$SMPP_DIR/esme.js" "$@" >"$TMP/esme.out" 2>"$TMP/esme.err"
	local rc=$?
	grep -v '^{' "$TMP/esme.out"
	sed -n 's/^\({.*}\)$/\1/p' "$TMP/esme.out" >"$TMP/esme.json"
	[ "$rc" -eq 0 ] || { tail -20 "$TMP/esme.err"; fail "esme $1 (exit $rc)"; }
	echo "figures: $(cat "$TMP/esme.json")"
}

# json KEY: a number from the last figures line.
json() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/esme.json" "$1"
}

# ctl REQUEST: a line to tern's control socket (start tern with --ctl "$TMP/ctl").
ctl() {
	in_ns socat -t 5 - "UNIX-CONNECT:$TMP/ctl" <<<"$*"
}

# esme_bg LIMIT MODE ARGS...: the client in the background (its pid in
# ESME_PID, killed on exit if still running); esme_wait collects it like esme.
ESME_PID=
esme_bg() {
	local limit=$1
	shift
	in_ns timeout "$limit" node "$SMPP_DIR/esme.js" "$@" >"$TMP/esme.out" 2>"$TMP/esme.err" &
	ESME_PID=$!
	trap 'esme_kill; svc_cleanup' EXIT
}
esme_kill() {
	[ -n "$ESME_PID" ] && kill -TERM "$ESME_PID" 2>/dev/null
	ESME_PID=
}
esme_wait() {
	wait "$ESME_PID"
	local rc=$?
	ESME_PID=
	cat "$TMP/esme.err"
	grep -v '^{' "$TMP/esme.out"
	sed -n 's/^\({.*}\)$/\1/p' "$TMP/esme.out" >"$TMP/esme.json"
	[ "$rc" -eq 0 ] || fail "esme (exit $rc)"
	echo "figures: $(cat "$TMP/esme.json")"
}

# progress_at_least N [SECONDS]: wait until the client has N messages accepted.
progress_at_least() {
	local p _
	for _ in $(seq $((${2:-10} * 20))); do
		p=$(cat "$TMP/progress" 2>/dev/null)
		[ "${p:-0}" -ge "$1" ] && return 0
		sleep 0.05
	done
	fail "the client has ${p:-0} messages accepted, not $1"
}
