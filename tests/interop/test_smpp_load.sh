#!/usr/bin/env bash
# test_smpp_load.sh - an SMS gateway against tern's SMPP message centre
# (docs/SMS.md) through TUN, in a namespace this test creates and deletes:
# the npm `smpp` package binds as a transceiver and submits 1,000
# messages asking for receipts; tern loops them back (routing: the
# submitter's own mailbox) as deliver_sm, then sends a receipt for each.
# Every message id is seen exactly once, every receipt names its message;
# tshark, decoding SMPP on 2775 on its own, counts the same PDUs.
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u
TEST_NAME=smpp_load
. "$(dirname "$0")/svc_lib.sh"
. "$(dirname "$0")/smpp_lib.sh"
smpp_need socat python3

start_tern --services smpp --smpp-queue "$TMP/queue.log" --pcap "$TMP/smpp.pcap" --ctl "$TMP/ctl"
esme 120 load "$TERN_ADDR" 2775 1000
[ "$(json accepted)" -eq 1000 ] && [ "$(json receipts)" -eq 1000 ] && [ "$(json duplicates)" -eq 0 ] ||
	fail "figures: $(cat "$TMP/esme.json")"
echo "ok 1,000 submit_sm accepted, 1,000 messages and 1,000 receipts delivered, each id once"
echo "ok $(json messages_per_s) messages/s over TUN ($(json pdus_per_s) PDUs/s), fsync'd queue"
ctl smpp >"$TMP/smpp.out"
grep -q "^SMPP: 0 sessions" "$TMP/smpp.out" || { cat "$TMP/smpp.out"; fail "sessions left after unbind"; }
stop_tern
for c in smpp_submits:1000 smpp_delivered:2000 smpp_receipts:1000 smpp_queue_depth:0 \
	smpp_bad_pdus:0 smpp_redeliveries:0 smpp_in_submit_sm:1000 smpp_out_deliver_sm:2000; do
	[ "$(counter "${c%%:*}")" -eq "${c##*:}" ] || fail "counter ${c%%:*} is $(counter "${c%%:*}"), want ${c##*:}"
done
echo "ok counters: 1000 submits, 2000 delivered, 1000 receipts, queue empty, $(counter smpp_store_syncs) fsyncs"
check_pcap "$TMP/smpp.pcap"
# Per PDU, not per frame: a TCP segment often carries several PDUs.
tshark -r "$TMP/smpp.pcap" -Y smpp -T fields -e smpp.command_id -e smpp.message_id 2>/dev/null \
	>"$TMP/pdus.txt" || fail "tshark cannot decode SMPP"
count() { cut -f1 "$TMP/pdus.txt" | tr ',' '\n' | grep -cx "$1"; }
for c in 0x00000004:1000 0x80000004:1000 0x00000005:2000 0x80000005:2000 0x00000009:1 0x80000009:1; do
	n=$(count "${c%%:*}")
	[ "$n" -eq "${c##*:}" ] || fail "tshark counts $n PDUs with command_id ${c%%:*}, want ${c##*:}"
done
ids=$(cut -f2 "$TMP/pdus.txt" | tr ',' '\n' | grep . | sort -u | wc -l)
[ "$ids" -eq 1000 ] || fail "tshark sees $ids distinct message ids in submit_sm_resp, want 1000"
echo "ok tshark decodes 1000 submit_sm, 1000 distinct message ids, 2000 deliver_sm and their resps"
echo "PASS"
