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
