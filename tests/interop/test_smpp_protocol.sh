#!/usr/bin/env bash
# test_smpp_protocol.sh - tern's SMPP message centre (docs/SMS.md) against
# the npm `smpp` package and raw bytes, through TUN in a namespace this
# test creates and deletes: bind errors (ESME_RINVSYSID, ESME_RINVPASWD,
# ESME_RALYBND, ESME_RINVBNDSTS), store and forward to a receiver that binds
# later, ESME_RTHROTTLED at the per-bind window; malformed PDUs over a real
# connection (unknown command id, a C-string without its NUL, a cut body,
# command_length 8 and 2 GB, 64 KiB of junk) get generic_nack or a clean
# close and tern goes on; then a reconnection storm of 500 binds: the
# listener keeps up and TIME-WAIT stays bounded on both sides.
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u
TEST_NAME=smpp_protocol
. "$(dirname "$0")/svc_lib.sh"
. "$(dirname "$0")/smpp_lib.sh"
smpp_need socat python3 ss

printf '# system_id:password[:prefixes]\ntern:tern\ntx:txpw\nrx:rxpw:555\n' >"$TMP/users"
start_tern --services smpp --smpp-users "$TMP/users" --smpp-window 10 --smpp-enquire 5 \
	--msl 1 --ctl "$TMP/ctl"
esme 60 protocol "$TERN_ADDR" 2775
esme 60 malformed "$TERN_ADDR" 2775
kill -0 "$TERN_PID" || fail "tern up died"

# ---- the storm ------------------------------------------------------------------
esme 90 storm "$TERN_ADDR" 2775 500 50
[ "$(json ok)" -eq 500 ] || fail "storm: $(json ok) of 500 binds completed"
echo "ok 500 bind/unbind/close cycles in $(json seconds) s ($(json binds_per_s)/s, median $(json ms_median) ms, p99 $(json ms_p99) ms)"
tw_tern=$(in_ns "$TERN" ss -a --ctl "$TMP/ctl" | grep -c TIME-WAIT)
tw_linux=$(in_ns ss -tan state time-wait | grep -c 2775)
echo "ok TIME-WAIT after the storm: tern $tw_tern, Linux $tw_linux (the ESME closes first, so Linux holds them)"
[ "$tw_tern" -le 16 ] || fail "tern holds $tw_tern TIME-WAIT records after the storm"
for _ in $(seq 50); do
	ctl smpp >"$TMP/smpp.out"
	grep -q "^SMPP: 1 sessions\|^SMPP: 0 sessions" "$TMP/smpp.out" && break
	sleep 0.1
done
grep -q "^SMPP: [01] sessions" "$TMP/smpp.out" || { cat "$TMP/smpp.out"; fail "sessions left after the storm"; }
stop_tern
[ "$(counter smpp_binds)" -ge 503 ] || fail "smpp_binds $(counter smpp_binds), want >= 503"
[ "$(counter smpp_bind_refused)" -eq 3 ] || fail "smpp_bind_refused $(counter smpp_bind_refused), want 3"
[ "$(counter smpp_throttled)" -eq 2 ] || fail "smpp_throttled $(counter smpp_throttled), want 2"
[ "$(counter smpp_bad_pdus)" -ge 5 ] || fail "smpp_bad_pdus $(counter smpp_bad_pdus), want >= 5"
echo "ok counters: $(counter smpp_binds) binds, 3 refused, 2 throttled, $(counter smpp_bad_pdus) bad PDUs, $(counter tcp_time_wait_limit) TIME-WAIT refusals"
echo "PASS"
