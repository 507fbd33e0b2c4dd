#!/usr/bin/env bash
# test_up_args.sh - `tern up`, `tern ss` (and `tern` itself) refuse invalid
# arguments with exactly one line on stderr and exit status 2, before
# touching any device, so this needs no root.   env: TERN = the tern binary.
set -u
: "${TERN:?TERN must name the tern binary}"
mkdir -p "${TERN_TEST_TMP:-/tmp}"
TMP=$(mktemp -d "${TERN_TEST_TMP:-/tmp}/up_args.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
failed=0

# expect_invalid DESCRIPTION ARGS...: exit 2, nothing on stdout, one stderr line.
expect_invalid() {
	local what=$1
	shift
	timeout 10 "$TERN" "$@" >"$TMP/out" 2>"$TMP/err"
	local status=$? lines
	lines=$(wc -l <"$TMP/err")
	if [ "$status" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$TMP/out" ]; then
		echo "ok   $what: $(cat "$TMP/err")"
	else
		echo "FAIL $what: status $status (want 2), $lines stderr lines (want 1)"
		sed 's/^/     /' "$TMP/err" "$TMP/out"
		failed=1
	fi
}

ok=(--addr 192.0.2.2/24 --peer 192.0.2.1/24)
expect_invalid "unknown command" frobnicate
expect_invalid "no command"
expect_invalid "unknown option" up "${ok[@]}" --bogus
expect_invalid "unknown short option" up "${ok[@]}" -x
expect_invalid "missing value" up "${ok[@]}" --mtu
expect_invalid "value on a flag" up "${ok[@]}" --stats=1
expect_invalid "stray argument" up "${ok[@]}" extra
expect_invalid "missing --addr" up --peer 192.0.2.1/24
expect_invalid "missing --peer" up --addr 192.0.2.2/24
expect_invalid "bad address" up --addr 192.0.2/24 --peer 192.0.2.1/24
expect_invalid "octet over 255" up --addr 192.0.2.256/24 --peer 192.0.2.1/24
expect_invalid "prefix over 32" up --addr 192.0.2.2/33 --peer 192.0.2.1/24
expect_invalid "same address" up --addr 192.0.2.1/24 --peer 192.0.2.1/24
expect_invalid "addr outside subnet" up --addr 198.51.100.2/24 --peer 192.0.2.1/24
expect_invalid "loss over 1" up "${ok[@]}" --loss 1.5
expect_invalid "negative dup" up "${ok[@]}" --dup -0.1
expect_invalid "reorder not a number" up "${ok[@]}" --reorder lots
expect_invalid "corrupt nan" up "${ok[@]}" --corrupt nan
expect_invalid "negative delay" up "${ok[@]}" --delay -5
expect_invalid "seed not a number" up "${ok[@]}" --seed 12x
expect_invalid "rate 0" up "${ok[@]}" --rate 0
expect_invalid "rate not a number" up "${ok[@]}" --rate fast
expect_invalid "queue 0" up "${ok[@]}" --rate 100 --queue 0
expect_invalid "queue over 65536" up "${ok[@]}" --rate 100 --queue 65537
expect_invalid "queue without rate" up "${ok[@]}" --queue 33
expect_invalid "empty cc name" up "${ok[@]}" --cc ''
expect_invalid "mtu too small" up "${ok[@]}" --mtu 67
expect_invalid "mtu too big" up "${ok[@]}" --mtu 65536
expect_invalid "tun name too long" up "${ok[@]}" --tun abcdefghijklmnop
expect_invalid "unknown service" up "${ok[@]}" --services echo,gopher
expect_invalid "empty service" up "${ok[@]}" --services echo,,http
expect_invalid "empty service list" up "${ok[@]}" --services ''
expect_invalid "missing --services value" up "${ok[@]}" --services
expect_invalid "http port 0" up "${ok[@]}" --http 0
expect_invalid "http port too big" up "${ok[@]}" --http 65536
expect_invalid "http port not a number" up "${ok[@]}" --http www
expect_invalid "http port taken by echo" up "${ok[@]}" --http 7
expect_invalid "http port taken by chargen" up "${ok[@]}" --services chargen,http --http 19
expect_invalid "smpp port taken by http" up "${ok[@]}" --services http,smpp --http 2775
expect_invalid "smpp window 0" up "${ok[@]}" --smpp-window 0
expect_invalid "smpp enquire not a number" up "${ok[@]}" --smpp-enquire soon
expect_invalid "smpp users missing" up "${ok[@]}" --smpp-users /nonexistent/tern-users
printf 'good:pw\nbad id:pw\n' >"$TMP/users"
expect_invalid "smpp users bad line" up "${ok[@]}" --smpp-users "$TMP/users"
expect_invalid "http-root missing" up "${ok[@]}" --http-root /nonexistent/tern-root
expect_invalid "http-root a file" up "${ok[@]}" --http-root /etc/hostname
expect_invalid "msl zero" up "${ok[@]}" --msl 0
expect_invalid "msl negative" up "${ok[@]}" --msl -1
expect_invalid "msl too long" up "${ok[@]}" --msl 3601
expect_invalid "msl not a number" up "${ok[@]}" --msl soon
expect_invalid "ctl path empty" up "${ok[@]}" --ctl ''
expect_invalid "ctl path too long" up "${ok[@]}" --ctl "/tmp/$(printf 'x%.0s' $(seq 120))"
expect_invalid "ss unknown option" ss --bogus
expect_invalid "ss stray argument" ss extra
expect_invalid "ss --tun and --ctl" ss --tun tern0 --ctl /tmp/x.ctl
expect_invalid "ss tun name too long" ss --tun abcdefghijklmnop
expect_invalid "ss missing --ctl value" ss --ctl

if "$TERN" up --help >"$TMP/out" 2>&1 && grep -q -- "--peer" "$TMP/out"; then
	echo "ok   tern up --help exits 0"
else
	echo "FAIL tern up --help"
	failed=1
fi
# Valid: http on echo's port once echo is not running.
if timeout 10 "$TERN" up "${ok[@]}" --services http --http 7 --msl 0.5 --help >"$TMP/out" 2>&1; then
	echo "ok   --services http --http 7 --msl 0.5 accepted"
else
	echo "FAIL --services http --http 7 --msl 0.5 refused: $(cat "$TMP/out")"
	failed=1
fi
if "$TERN" ss --help >"$TMP/out" 2>&1 && grep -q -- "--ctl" "$TMP/out"; then
	echo "ok   tern ss --help exits 0"
else
	echo "FAIL tern ss --help"
	failed=1
fi
[ "$failed" -eq 0 ] && echo "PASS"
exit "$failed"
