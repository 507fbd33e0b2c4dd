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
stop_tern
[ "$(counter smpp_enquire_timeouts)" -ge 1 ] || [ "$(counter smpp_resp_timeouts)" -ge 1 ] ||
	fail "tern did not detect the dead bind by enquire_link or a response timeout"
echo "ok tern: $(counter smpp_enquire_timeouts) enquire_link timeouts, $(counter smpp_resp_timeouts) response timeouts, $(counter smpp_redeliveries) re-deliveries, queue depth $(counter smpp_queue_depth) at exit"
[ "$(counter smpp_queue_depth)" -eq 0 ] || fail "messages left in the queue"
echo "PASS"
