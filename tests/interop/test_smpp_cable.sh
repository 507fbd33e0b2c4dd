#!/usr/bin/env bash
# test_smpp_cable.sh - a pulled cable between an SMS gateway and tern's
# SMPP message centre (docs/SMS.md), through TUN in a namespace this test
# creates and deletes. The npm `smpp` client streams 1,000 submit_sm (200
# a second, receipts asked for); a fifth of the way in, tern's fault
# injector drops every packet for 6 s, far longer than the 1 s enquire_link
# interval. Both ends find the bind dead (tern by its enquire_link, the
# client by its own), the client reconnects once the cable is back, rebinds
# and resubmits what was never acknowledged; tern re-sends what it had in
# flight. Every accepted message is delivered, and counted once by its id.
# Then an idle bind behind a 4 s cut: tern's own enquire_link finds it dead.
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u
TEST_NAME=smpp_cable
. "$(dirname "$0")/svc_lib.sh"
. "$(dirname "$0")/smpp_lib.sh"
smpp_need socat python3

# --loss 0 puts the fault injector in the chain, idle until the cut.
start_tern --services smpp --smpp-queue "$TMP/queue.log" --smpp-enquire 1 --loss 0 \
	--ctl "$TMP/ctl" --pcap "$TMP/cable.pcap"
esme_bg 150 resilient "$TERN_ADDR" 2775 1000 "$TMP/progress"
progress_at_least 200
ctl cut 6 | grep -q "cable cut" || fail "ctl cut refused"
echo "ok cable pulled for 6 s after $(cat "$TMP/progress") accepted messages"
sleep 3
ctl smpp >"$TMP/during.out"
grep -q "^SMPP: 0 sessions" "$TMP/during.out" || { cat "$TMP/during.out"; fail "tern still holds the dead bind 3 s into the cut"; }
echo "ok 3 s into the cut tern has dropped the dead bind: $(head -1 "$TMP/during.out")"
esme_wait
[ "$(json reconnects)" -ge 1 ] || fail "the client never reconnected"
echo "ok every accepted message delivered and receipted, counted once by id: $(json accepted) ids, $(json duplicates_dropped) re-deliveries dropped, $(json resubmitted) resubmitted, outages $(json outages_s) s"

# ---- an idle bind: only tern's enquire_link can find it dead ------------------------
cat >"$TMP/idle.py" <<'PY'
import socket, struct, time
s = socket.create_connection(("192.0.2.2", 2775), timeout=5)
body = b"tern\0tern\0\0\x34\0\0\0"
s.sendall(struct.pack(">IIII", 16 + len(body), 9, 0, 1) + body)
assert s.recv(64)[4:12] == struct.pack(">II", 0x80000009, 0), "bind refused"
print("ok idle bind_transceiver", flush=True)
time.sleep(6)
PY
in_ns python3 "$TMP/idle.py" &
idle=$!
sleep 0.5
# The busy bind of the first cut may have been found dead by enquire_link
# too (or by its unanswered deliver_sm): count from here.
enq0=$(ctl smpp | awk '$1 == "smpp_enquire_timeouts" { print $2 }')
ctl cut 4 | grep -q "cable cut" || fail "ctl cut refused"
sleep 3
ctl smpp >"$TMP/idle.out"
grep -q "^SMPP: 0 sessions" "$TMP/idle.out" || { cat "$TMP/idle.out"; fail "idle dead bind still held 3 s into the cut"; }
enq1=$(awk '$1 == "smpp_enquire_timeouts" { print $2 }' "$TMP/idle.out")
[ "$((enq1 - ${enq0:-0}))" -eq 1 ] || { cat "$TMP/idle.out"; fail "not dropped by enquire_link (enquire timeouts ${enq0:-?} -> ${enq1:-?})"; }
echo "ok an idle bind behind a pulled cable: tern's enquire_link after 1 s went unanswered, bind dropped 1 s later"
wait "$idle"
stop_tern
# The streaming bind of the first cut was found dead by its unanswered
# deliver_sm or by enquire_link, whichever timer ran out first.
[ "$(counter smpp_resp_timeouts)" -ge 1 ] || [ "${enq0:-0}" -ge 1 ] ||
	fail "tern did not detect the dead streaming bind"
echo "ok tern: $(counter smpp_enquire_timeouts) enquire_link timeouts, $(counter smpp_resp_timeouts) response timeouts, $(counter smpp_redeliveries) re-deliveries, queue depth $(counter smpp_queue_depth) at exit"
[ "$(counter smpp_queue_depth)" -eq 0 ] || fail "messages left in the queue"
echo "PASS"
