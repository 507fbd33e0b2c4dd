#!/usr/bin/env bash
# test_smpp_restart.sh - tern's SMPP message centre (docs/SMS.md) killed
# and restarted in the middle of a stream, through TUN in a namespace this
# test creates and deletes. The npm `smpp` client streams 1,000 submit_sm
# (200 a second, receipts asked for); at 300 accepted, tern up is killed
# with SIGKILL (no chance to save anything) and started again on the same
# --smpp-queue file. The client's next segment meets tern's RST (the new
# tern knows nothing of the old connection), it rebinds and resubmits what
# was never acknowledged; tern replays its log and delivers what it had
# accepted. Every accepted message is delivered, and counted once by id.
#   env: TERN = the tern binary, TERN_TEST_TMP = a scratch directory.
#   exit: 0 pass, 1 fail, 77 skipped (not root, or a tool is missing).
set -u
TEST_NAME=smpp_restart
. "$(dirname "$0")/svc_lib.sh"
. "$(dirname "$0")/smpp_lib.sh"
smpp_need socat python3

opts=(--services smpp --smpp-queue "$TMP/queue.log" --smpp-enquire 1 --ctl "$TMP/ctl")
start_tern "${opts[@]}"
esme_bg 150 resilient "$TERN_ADDR" 2775 1000 "$TMP/progress"
progress_at_least 300
kill -KILL "$TERN_PID"
wait "$TERN_PID" 2>/dev/null
killed_at=$(cat "$TMP/progress")
echo "ok tern up killed (SIGKILL) after $killed_at accepted messages; queue file $(wc -l <"$TMP/queue.log") records"
start_tern "${opts[@]}" --pcap "$TMP/restart.pcap"
esme_wait
grep -q "ECONNRESET" "$TMP/esme.err" || fail "the client never met a reset"
echo "ok the client's old connection met RST from the new tern, and it rebound"
echo "ok nothing accepted was lost: $(json accepted) ids delivered and receipted, $(json duplicates_dropped) re-deliveries dropped by id, $(json resubmitted) resubmitted, outages $(json outages_s) s"
stop_tern
[ "$(counter smpp_store_replayed)" -gt 0 ] || fail "the restarted tern replayed nothing"
[ "$(counter smpp_queue_depth)" -eq 0 ] || fail "messages left in the queue"
echo "ok the new tern replayed $(counter smpp_store_replayed) log records ($(counter smpp_store_skipped) skipped), $(counter smpp_store_syncs) fsyncs"
tshark -r "$TMP/restart.pcap" -Y 'tcp.srcport == 2775 && tcp.flags.reset == 1' 2>/dev/null | grep -q . ||
	fail "capture: no RST from port 2775 after the restart"
echo "ok capture: the restarted tern answered the old connection with RST"
echo "PASS"
