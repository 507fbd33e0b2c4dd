/* tcp_input.c - segment arrival, RFC 9293 section 3.10.7, one small
 * function per state group: CLOSED (3.10.7.1), LISTEN (3.10.7.2), SYN-SENT
 * (3.10.7.3) and the synchronized states (3.10.7.4) step by step, plus
 * TIME-WAIT records. The segment arrives as a validated repr. */
#include <string.h>

#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_trace.h"

typedef struct seg_in {
	const tern_ip4_repr *ip;
	tern_tcp_repr h;
	uint32_t len;  /* SEG.LEN: data plus SYN and FIN */
	uint32_t wnd;  /* SEG.WND in bytes: scaled unless on a SYN (RFC 7323 2.2) */
} seg_in;

static bool has(const seg_in *s, uint8_t f) { return (s->h.flags & f) != 0; }

/* ---- CLOSED (3.10.7.1) and TIME-WAIT records ----------------------------- */

static void closed_input(tern_stack *st, const seg_in *s)
{
	TERN_COUNT(st, tcp_no_port);
	tern_trace_drop(st, s->ip, &s->h, "tcp_no_port");
	tern_tcp_send_rst_for(st, s->ip, &s->h);
}

/* TIME-WAIT as a record: a retransmitted FIN is acknowledged and restarts
 * 2*MSL (3.10.7.4 "Eighth"); a RST is ignored (RFC 1337 TIME-WAIT
 * assassination); a SYN beyond rcv_nxt may start a new incarnation
 * (3.6.1 note, RFC 1122 4.2.2.13), handled by the caller. */
static bool time_wait_input(tern_stack *st, tern_tw *tw, const seg_in *s)
{
	if (has(s, TERN_TCP_RST))
		return true;
	if (has(s, TERN_TCP_SYN) && !has(s, TERN_TCP_ACK) && seq_gt(s->h.seq, tw->rcv_nxt)) {
		TERN_COUNT(st, tcp_time_wait_reused);
		tern_tw_free(st, tw);
		return false;
	}
	if (has(s, TERN_TCP_FIN) || s->h.payload_len || has(s, TERN_TCP_SYN)) {
		tern_tcp_opts ts = {0};
		if (tw->ts_ok) {
			ts.present = TERN_TCPO_TS;
			ts.ts_val = (uint32_t)(st->now / 1000) + tw->ts_offset;
			ts.ts_ecr = tw->ts_recent;
		}
		tern_tcp_send_bare(st, tw->laddr, tw->lport, tw->raddr, tw->rport, tw->snd_nxt,
				   tw->rcv_nxt, TERN_TCP_ACK, &ts);
		if (has(s, TERN_TCP_FIN))
			tern_tw_restart(st, tw);
	}
	return true;
}

/* ---- LISTEN (3.10.7.2) ---------------------------------------------------- */

static void synchronized_input(tern_tcb *tcb, seg_in *s);

static void listen_input(struct tern_socket *ls, seg_in *s)
{
	tern_stack *st = ls->st;
	if (has(s, TERN_TCP_RST))
		return;
	if (has(s, TERN_TCP_ACK)) {
		bool drop = false;
		tern_tcb *c = has(s, TERN_TCP_SYN) ? NULL
						   : tern_tcp_listener_cookie_ack(ls, s->ip, &s->h, &drop);
		if (drop)
			return;
		if (c) {
			c->segs_in++;
			s->wnd = c->ws_ok ? (uint32_t)s->h.wnd << c->snd_wscale : s->h.wnd;
			synchronized_input(c, s);
			return;
		}
		tern_tcp_send_rst_for(st, s->ip, &s->h);
		return;
	}
	if (has(s, TERN_TCP_SYN))
		tern_tcp_listener_syn(ls, s->ip, &s->h);
}

/* ---- SYN-SENT (3.10.7.3) -------------------------------------------------- */

static void take_peer_window(tern_tcb *tcb, const seg_in *s)
{
	tcb->snd_wnd = s->wnd;
	tcb->snd_wl1 = s->h.seq;
	tcb->snd_wl2 = s->h.ack;
	if (tcb->snd_wnd > tcb->max_snd_wnd)
		tcb->max_snd_wnd = tcb->snd_wnd;
}

static void establish(tern_tcb *tcb)
{
	tern_cc_call(tcb, tern_tcb_cc(tcb)->init);
	tern_trace_cwnd(tcb, "init");
	tcb->last_rcv = tern_t32(tcb->st->now, TERN_T32_MS);
	if (tcb->keepalive_on)
		tern_tcp_timer_set(tcb, TCPT_KEEPALIVE, tcb->st->now + TERN_SEC(tcb->keep_idle));
	tern_tcb_set_state(tcb, TERN_TCP_ESTABLISHED, "rcv ACK of SYN");
	/* 3.10.4: a CLOSE queued in SYN-RECEIVED is processed on entering
	 * ESTABLISHED: its FIN goes out now, so the state is FIN-WAIT-1. */
	if (tcb->fin_queued)
		tern_tcb_set_state(tcb, TERN_TCP_FIN_WAIT_1, "close");
}

/* A sample from the SYN exchange when the SYN was not retransmitted. */
static void handshake_rtt(tern_tcb *tcb)
{
	if (tcb->backoff == 0 && tcb->rtt_timing) {
		tern_rtt_sample(&tcb->rtt, tcb->st->now - tcb->rtt_start);
		tern_trace_rtt(tcb, tcb->st->now - tcb->rtt_start);
	}
	tcb->rtt_timing = false;
	tcb->backoff = 0;
	tcb->first_rexmt_at = 0;
	tern_tcp_timer_clear(tcb, TCPT_REXMT);
}

static bool process_text_and_fin(tern_tcb *tcb, seg_in *s);

static void syn_sent_input(tern_tcb *tcb, seg_in *s)
{
	tern_stack *st = tcb->st;
	bool ack_ok = false;
	if (has(s, TERN_TCP_ACK)) {
		if (seq_leq(s->h.ack, tcb->iss) || seq_gt(s->h.ack, tcb->snd_max)) {
			if (!has(s, TERN_TCP_RST))
				tern_tcp_send_rst_for(st, s->ip, &s->h);
			return;
		}
		ack_ok = true;
	}
	if (has(s, TERN_TCP_RST)) {
		if (ack_ok) {
			TERN_COUNT(st, tcp_attempt_fails);
			TERN_COUNT(st, tcp_in_rsts);
			tern_tcb_drop(tcb, TERN_ECONNREFUSED);
		}
		return;
	}
	if (!has(s, TERN_TCP_SYN))
		return;
	tcb->irs = s->h.seq;
	tcb->rcv_nxt = s->h.seq + 1;
	tcb->rcv_adv = tcb->rcv_nxt;
	tern_tcp_take_syn_options(tcb, &s->h.opts);
	tern_tcp_pmtu_start(tcb);
	take_peer_window(tcb, s);
	/* RFC 3168 6.1.1: an ECN-setup SYN-ACK has ECE without CWR */
	tcb->ecn_ok = ack_ok && !tcb->st->cfg.tcp_no_ecn &&
		      (s->h.flags & (TERN_TCP_ECE | TERN_TCP_CWR)) == TERN_TCP_ECE;
	if (ack_ok) {
		tcb->snd_una = s->h.ack;
		handshake_rtt(tcb);
		establish(tcb);
		tcb->ack_now = true;
		/* data or FIN riding on the SYN-ACK follows the SYN */
		s->h.seq++;
		s->h.flags &= (uint8_t)~TERN_TCP_SYN;
		if (process_text_and_fin(tcb, s))
			tern_tcp_output_soon(tcb);
		return;
	}
	/* Simultaneous open (3.5 figure 7): answer with SYN-ACK. */
	tern_trace_state(tcb, tcb->state, TERN_TCP_SYN_RECEIVED, "rcv SYN");
	tcb->state = TERN_TCP_SYN_RECEIVED;
	tcb->snd_nxt = tcb->iss;
	tern_tcp_output_soon(tcb);
}

/* ---- synchronized states (3.10.7.4) ------------------------------------- */

/* First: the acceptability test of table 6, then trim the segment to the
 * window so what follows sees the idealized segment starting at RCV.NXT
 * (or beyond it, for out-of-order data). */
static bool acceptable(const tern_tcb *tcb, const seg_in *s)
{
	uint32_t wnd = tcb->rcv_adv - tcb->rcv_nxt;
	if (seq_lt(tcb->rcv_adv, tcb->rcv_nxt))
		wnd = 0;
	uint32_t seq = s->h.seq, end = seq + s->len;
	if (s->len == 0)
		return wnd == 0 ? seq == tcb->rcv_nxt : seq_in(seq, tcb->rcv_nxt, tcb->rcv_nxt + wnd);
	if (wnd == 0)
		return false;
	return seq_in(seq, tcb->rcv_nxt, tcb->rcv_nxt + wnd) ||
	       seq_in(end - 1, tcb->rcv_nxt, tcb->rcv_nxt + wnd);
}

static void trim_front(tern_tcb *tcb, seg_in *s)
{
	if (!seq_lt(s->h.seq, tcb->rcv_nxt))
		return;
	uint32_t cut = tcb->rcv_nxt - s->h.seq;
	if (has(s, TERN_TCP_SYN)) {
		s->h.flags &= (uint8_t)~TERN_TCP_SYN;
		cut--;
		s->h.seq++;
		s->len--;
	}
	if (cut > s->h.payload_len)
		cut = (uint32_t)s->h.payload_len;
	tern_sack_note_duplicate(tcb, s->h.seq, s->h.seq + cut);  /* RFC 2883 */
	s->h.payload += cut;
	s->h.payload_len -= cut;
	s->h.seq += cut;
	s->len -= cut;
	if (s->h.payload_len)
		TERN_COUNT(tcb->st, tcp_dup_segs);
}

/* 3.10.7.4 (MUST-66): with a zero receive window no segment is acceptable,
 * yet the ACK, URG and RST of one at RCV.NXT must still be processed: its
 * text (and any FIN behind the text) is cut away instead. */
static void zero_window_allowance(tern_tcb *tcb, seg_in *s)
{
	bool closed = !seq_gt(tcb->rcv_adv, tcb->rcv_nxt);
	if (!closed || s->h.seq != tcb->rcv_nxt || s->len == 0 || has(s, TERN_TCP_SYN))
		return;
	if (s->h.payload_len)
		TERN_COUNT(tcb->st, tcp_rcv_pruned);
	s->h.payload_len = 0;
	s->h.flags &= (uint8_t)~TERN_TCP_FIN;
	s->len = 0;
	tcb->ack_now = true;  /* tell the peer the window is still closed */
}

/* RFC 7323 5.3 R1 (PAWS): with timestamps in use, a segment whose TSval is
 * older than TS.Recent is an old duplicate: ACK it and drop it, unless
 * TS.Recent is over 24 days old (R3). 3.2: a non-RST segment without the
 * timestamp is dropped. */
static bool paws_ok(tern_tcb *tcb, const seg_in *s)
{
	if (!tcb->ts_ok || has(s, TERN_TCP_RST))
		return true;
	if (!(s->h.opts.present & TERN_TCPO_TS)) {
		TERN_COUNT(tcb->st, tcp_ts_missing);
		tern_trace_drop(tcb->st, s->ip, &s->h, "tcp_ts_missing");
		return false;
	}
	if (!seq_lt(s->h.opts.ts_val, tcb->ts_recent) ||
	    tcb->st->now - tern_t32_at(tcb->st->now, tcb->ts_recent_at, TERN_T32_S) >
		    TERN_SEC(24 * 24 * 3600))
		return true;
	TERN_COUNT(tcb->st, tcp_paws_drops);
	tern_trace_drop(tcb->st, s->ip, &s->h, "tcp_paws_drops");
	tern_tcp_send_oow_ack(tcb);
	return false;
}

/* RFC 7323 4.3: TS.Recent follows the segment that covers Last.ACK.sent,
 * so what we echo measures the path, not the delayed-ACK wait. */
static void update_ts_recent(tern_tcb *tcb, const seg_in *s)
{
	if (tcb->ts_ok && (s->h.opts.present & TERN_TCPO_TS) &&
	    seq_leq(s->h.seq, tcb->last_ack_sent) && seq_geq(s->h.opts.ts_val, tcb->ts_recent)) {
		tcb->ts_recent = s->h.opts.ts_val;
		tcb->ts_recent_at = tern_t32(tcb->st->now, TERN_T32_S);
	}
}

static bool check_seq(tern_tcb *tcb, seg_in *s)
{
	if (!paws_ok(tcb, s))
		return false;
	zero_window_allowance(tcb, s);
	if (!acceptable(tcb, s)) {
		TERN_COUNT(tcb->st, tcp_unacceptable);
		tern_trace_drop(tcb->st, s->ip, &s->h, "tcp_unacceptable");
		if (s->h.payload_len && seq_leq(s->h.seq + (uint32_t)s->h.payload_len, tcb->rcv_nxt))
			tern_sack_note_duplicate(tcb, s->h.seq, s->h.seq + (uint32_t)s->h.payload_len);
		if (!has(s, TERN_TCP_RST))
			tern_tcp_send_oow_ack(tcb);
		return false;
	}
	update_ts_recent(tcb, s);
	trim_front(tcb, s);
	return true;
}

/* Second: RST, with RFC 5961 3's exact-match rule; an in-window mismatch
 * earns a challenge ACK. */
static bool check_rst(tern_tcb *tcb, const seg_in *s)
{
	if (!has(s, TERN_TCP_RST))
		return true;
	if (s->h.seq != tcb->rcv_nxt) {
		tern_tcp_send_challenge_ack(tcb);
		return false;
	}
	tern_stack *st = tcb->st;
	TERN_COUNT(st, tcp_in_rsts);
	switch (tcb->state) {
	case TERN_TCP_SYN_RECEIVED:
		if (tcb->passive) {  /* back to LISTEN: the child simply goes */
			tern_tcb_drop(tcb, TERN_ECONNREFUSED);
			return false;
		}
		TERN_COUNT(st, tcp_attempt_fails);
		tern_tcb_drop(tcb, TERN_ECONNREFUSED);
		return false;
	case TERN_TCP_ESTABLISHED:
	case TERN_TCP_CLOSE_WAIT:
		TERN_COUNT(st, tcp_estab_resets);
		/* fall through */
	case TERN_TCP_FIN_WAIT_1:
	case TERN_TCP_FIN_WAIT_2:
		tern_tcb_drop(tcb, TERN_ECONNRESET);
		return false;
	default:  /* CLOSING, LAST-ACK */
		tern_tcb_drop(tcb, 0);
		return false;
	}
}

/* Fourth: a SYN in a synchronized state (RFC 5961 4): challenge ACK. */
static bool check_syn(tern_tcb *tcb, const seg_in *s)
{
	if (!has(s, TERN_TCP_SYN))
		return true;
	tern_tcp_send_challenge_ack(tcb);
	return false;
}

/* The peer's SYN again, in SYN-RECEIVED (before the acceptability test,
 * which would reject it as old). A bare retransmitted SYN means our SYN,ACK
 * was lost: send it again, since the peer in SYN-SENT drops a plain ACK
 * (3.10.7.3 fifth). A SYN,ACK is the simultaneous open of 3.5 figure 7
 * (line 6): its SYN is a duplicate, its ACK establishes the connection, so
 * the SYN is stripped and the rest processed. Returns false when done. */
static bool syn_received_dup_syn(tern_tcb *tcb, seg_in *s)
{
	if (tcb->state != TERN_TCP_SYN_RECEIVED || !has(s, TERN_TCP_SYN) ||
	    has(s, TERN_TCP_RST) || s->h.seq != tcb->irs)
		return true;
	if (!has(s, TERN_TCP_ACK)) {
		tern_tcp_retransmit_first(tcb, TERN_RTX_SYN);
		return false;
	}
	s->h.flags &= (uint8_t)~TERN_TCP_SYN;
	s->h.seq++;
	s->len--;
	return true;
}

static bool fin_acked(const tern_tcb *tcb)
{
	return tcb->fin_sent && seq_gt(tcb->snd_una, tcb->fin_seqno);
}

static void update_window(tern_tcb *tcb, const seg_in *s)
{
	if (seq_lt(tcb->snd_wl1, s->h.seq) ||
	    (tcb->snd_wl1 == s->h.seq && seq_leq(tcb->snd_wl2, s->h.ack)))
		take_peer_window(tcb, s);
}

static void sync_cc(tern_tcb *tcb)
{
	tcb->ccs.mss = tcb->smss;
	tcb->ccs.flight = tcb->snd_max - tcb->snd_una;
}

tern_cc_stat tern_cc_view(const tern_tcb *tcb)
{
	const tern_cc_vars *v = &tcb->ccs;
	return (tern_cc_stat){.cwnd = v->cwnd, .ssthresh = v->ssthresh, .mss = v->mss,
			      .flight = v->flight, .srtt = tcb->rtt.srtt,
			      .min_rtt = v->min_rtt, .now = tcb->st->now,
			      .snd_una = tcb->snd_una, .snd_max = tcb->snd_max};
}

void tern_cc_take(tern_tcb *tcb, const tern_cc_stat *cs)
{
	tcb->ccs.cwnd = cs->cwnd;
	tcb->ccs.ssthresh = cs->ssthresh;
}

void tern_cc_call(tern_tcb *tcb, void (*hook)(tern_cc_stat *, void *))
{
	tern_cc_stat cs = tern_cc_view(tcb);
	hook(&cs, tcb->cc_state);
	tern_cc_take(tcb, &cs);
}

void tern_cc_call_n(tern_tcb *tcb, void (*hook)(tern_cc_stat *, void *, uint32_t), uint32_t n)
{
	tern_cc_stat cs = tern_cc_view(tcb);
	hook(&cs, tcb->cc_state, n);
	tern_cc_take(tcb, &cs);
}

/* Loss recovery begins: RFC 6582 3.2 steps 2-4 (NewReno), or RFC 6675 5
 * step 4 with SACK, where cwnd becomes ssthresh and the pipe, not window
 * inflation, paces what recovery sends. Either way the segment at SND.UNA
 * is retransmitted at once. */
void tern_tcp_enter_recovery(tern_tcb *tcb)
{
	/* RFC 6582 3.2 step 2 / RFC 6675 5 (B): not for losses of the last
	 * one, i.e. unless the cumulative ACK covers the old recovery point
	 * (`recover` holds SND.MAX then, one past the RFCs' HighData) */
	if (seq_lt(tcb->snd_una, tcb->recover) && tcb->recover != tcb->iss)
		return;
	TERN_COUNT(tcb->st, tcp_fast_retrans);
	tcb->in_recovery = true;
	tcb->recover = tcb->snd_max;
	tern_cc_call(tcb, tern_tcb_cc(tcb)->on_recovery_enter);
	tern_trace_cwnd(tcb, "loss");
	tcb->rtt_timing = false;
	if (!tcb->sack_ok) {
		tern_tcp_retransmit_first(tcb, TERN_RTX_FAST);
		return;
	}
	TERN_COUNT(tcb->st, tcp_sack_recoveries);
	tern_prr_start(tcb);
	tern_loss_rxt_reset(tcb);
	uint32_t seq = tcb->snd_una, len = tcb->snd_max - tcb->snd_una;
	len = len < tcb->smss ? len : tcb->smss;
	/* RFC 6675 5 step 4.3, or with RACK its first lost segment */
	bool by_rack = tern_rack_tracking(tcb);
	if (!by_rack || tern_rack_next_lost(tcb, &seq, &len)) {
		tern_tcp_resend(tcb, seq, len, by_rack ? TERN_RTX_RACK : TERN_RTX_FAST);
		if (tcb->loss) {
			tcb->loss->high_rxt = seq + len;
			tcb->loss->prr_out = len;
		}
	}
	tern_prr_ack(tcb, 0);
	tern_trace_cwnd(tcb, "recovery");
}

/* RFC 5681 3.2, RFC 6582 3.2, RFC 6675 5: count duplicate ACKs; the third
 * (or, with SACK, enough SACKed above SND.UNA to deem it lost) starts
 * recovery; in NewReno recovery further ones inflate the window. */
static void duplicate_ack(tern_tcb *tcb, const seg_in *s)
{
	uint32_t sacked = tern_sack_bytes(tcb);
	uint64_t dsacks = tcb->st->ctr.tcp_dsack_in;
	bool fresh = tcb->sack_ok && tern_sack_update(tcb, &s->h.opts);
	bool rack_lost = tern_rack_on_ack(tcb, tcb->st->ctr.tcp_dsack_in != dsacks);
	bool dup = s->h.payload_len == 0 && !has(s, TERN_TCP_SYN | TERN_TCP_FIN) &&
		   (s->wnd == tcb->snd_wnd || fresh) && s->wnd != 0 &&
		   tcb->snd_max != tcb->snd_una;
	if (!dup) {
		tcb->dupacks = 0;
		return;
	}
	sync_cc(tcb);
	if (tcb->in_recovery) {
		if (!tcb->sack_ok)
			tern_cc_call(tcb, tern_tcb_cc(tcb)->on_recovery_dupack);
		else  /* RFC 6937: DeliveredData is the newly SACKed bytes */
			tern_prr_ack(tcb, tern_sack_bytes(tcb) - sacked);
		tern_trace_cwnd(tcb, "recovery");
		return;
	}
	tcb->dupacks++;
	if (tcb->dupacks >= 3 || rack_lost ||
	    (tcb->sack_ok && tern_sack_is_lost(tcb, tcb->snd_una)))
		tern_tcp_enter_recovery(tcb);
}

/* RFC 7323 4 (RTTM): with timestamps every ACK of new data is a sample,
 * TSecr telling when the data it answers left, retransmitted or not; RFC
 * 7323 G scales the gains by the samples expected per window. Without
 * them, one segment at a time is timed and never a retransmitted one
 * (Karn). */
static tern_time rtt_from_ack(tern_tcb *tcb, const seg_in *s)
{
	tern_time sample = 0;
	if (tcb->ts_ok && (s->h.opts.present & TERN_TCPO_TS) && s->h.opts.ts_ecr) {
		uint32_t ms = tern_tcp_ts_now(tcb) - s->h.opts.ts_ecr;
		uint32_t per_window = (tcb->snd_max - tcb->snd_una) / (2u * tcb->smss);
		if (ms < 0x7fffffffu) {
			sample = ms ? TERN_MS(ms) : 1;  /* under a tick: still a sample */
			tern_rtt_sample_n(&tcb->rtt, TERN_MS(ms), per_window ? per_window : 1);
		}
		tcb->rtt_timing = false;
	} else if (tcb->rtt_timing && seq_gt(s->h.ack, tcb->rtt_seq)) {
		sample = tcb->st->now - tcb->rtt_start;
		tern_rtt_sample(&tcb->rtt, sample);
		tcb->rtt_timing = false;
	}
	if (sample && (!tcb->ccs.min_rtt || sample < tcb->ccs.min_rtt))
		tcb->ccs.min_rtt = (uint32_t)(sample < TERN_RTT_SAMPLE_MAX ? sample
									: TERN_RTT_SAMPLE_MAX);
	if (sample)
		tern_trace_rtt(tcb, sample);
	return sample;
}

/* New data acknowledged: drop it from the send ring, take an RTT sample,
 * restart or stop the retransmission timer (RFC 6298 5.2-5.3), and let
 * congestion control grow the window or leave recovery. */
static void new_ack(tern_tcb *tcb, const seg_in *s)
{
	uint32_t acked = s->h.ack - tcb->snd_una;
	uint32_t data = acked > tcb->snd.len ? tcb->snd.len : acked;
	tern_time sample = rtt_from_ack(tcb, s);
	uint32_t sacked = tern_sack_bytes(tcb);
	tern_sndbuf_drop(tcb->st, &tcb->snd, data);
	tcb->snd_una = s->h.ack;
	if (seq_lt(tcb->snd_nxt, tcb->snd_una))
		tcb->snd_nxt = tcb->snd_una;
	tcb->bytes_acked += data;
	tcb->backoff = 0;
	tcb->first_rexmt_at = 0;
	tcb->dupacks = 0;
	bool rack_lost = false;
	if (tcb->sack_ok) {
		uint64_t dsacks = tcb->st->ctr.tcp_dsack_in;
		tern_sack_update(tcb, &s->h.opts);
		rack_lost = tern_rack_on_ack(tcb, tcb->st->ctr.tcp_dsack_in != dsacks);
	}
	sync_cc(tcb);
	if (sample && tern_tcb_cc(tcb)->on_rtt_sample) {
		tern_cc_stat cs = tern_cc_view(tcb);
		tern_tcb_cc(tcb)->on_rtt_sample(&cs, tcb->cc_state, sample);
		tern_cc_take(tcb, &cs);
	}
	if (tcb->in_recovery) {
		if (seq_geq(s->h.ack, tcb->recover)) {
			tcb->in_recovery = false;
			tern_cc_call(tcb, tern_tcb_cc(tcb)->on_recovery_exit);
			tern_trace_cwnd(tcb, "exit");
			tern_rack_recovery_done(tcb);
		} else if (!tcb->sack_ok) {
			tern_cc_call_n(tcb, tern_tcb_cc(tcb)->on_recovery_partial, acked);
			tern_trace_cwnd(tcb, "recovery");
			tern_tcp_retransmit_first(tcb, TERN_RTX_FAST);
		} else {  /* RFC 6937: DeliveredData = delta SND.UNA + delta SACKed */
			int64_t d = (int64_t)acked + tern_sack_bytes(tcb) - sacked;
			tern_prr_ack(tcb, d > 0 ? (uint32_t)d : 0);
			tern_trace_cwnd(tcb, "recovery");
		}
	} else {
		tern_cc_call_n(tcb, tern_tcb_cc(tcb)->on_ack, acked);
		tern_trace_cwnd(tcb, "ack");
		/* RFC 6675 5 (C) and RFC 8985: a cumulative ACK can also reveal a loss */
		if (rack_lost || (tcb->sack_ok && tern_sack_is_lost(tcb, tcb->snd_una)))
			tern_tcp_enter_recovery(tcb);
	}
	if (tcb->snd_una == tcb->snd_max)
		tern_tcp_timer_clear(tcb, TCPT_REXMT);
	else
		tern_tcp_timer_set(tcb, TCPT_REXMT, tcb->st->now + tern_tcb_rto(tcb, 0));
	if (tern_tlp_open(tcb) && seq_geq(tcb->snd_una, tcb->loss->tlp_end))
		tcb->loss->tlp_end = 0;  /* the probe episode is over */
	tern_loss_idle(tcb);
	tern_tlp_arm(tcb);
	tern_tcb_notify(tcb);
}

/* RFC 3168 6.1.3: a CE mark on an acceptable segment is echoed (ECE on
 * every ACK) until the peer says with CWR that it reduced; a CE mark on
 * the CWR segment itself starts the echo again. */
static void ecn_receive(tern_tcb *tcb, const seg_in *s)
{
	if (!tcb->ecn_ok)
		return;
	if (has(s, TERN_TCP_CWR))
		tcb->ece_pending = false;
	if ((s->ip->tos & TERN_IP4_ECN_MASK) == TERN_IP4_CE) {
		TERN_COUNT(tcb->st, tcp_ecn_ce_in);
		tcb->ece_pending = true;
		tcb->ack_now = true;
	}
}

/* RFC 3168 6.1.2: ECN-Echo means congestion without loss: reduce as for a
 * loss, but at most once per window of data and not during loss recovery,
 * and say so with CWR on the next new data. */
static void ecn_echo(tern_tcb *tcb, const seg_in *s)
{
	if (!tcb->ecn_ok || !has(s, TERN_TCP_ECE) || tcb->in_recovery ||
	    !seq_gt(s->h.ack, tcb->ecn_recover))
		return;
	sync_cc(tcb);
	if (tern_tcb_cc(tcb)->on_ecn) {
		tern_cc_call(tcb, tern_tcb_cc(tcb)->on_ecn);
	} else {
		tern_cc_call(tcb, tern_tcb_cc(tcb)->on_recovery_enter);
		tern_cc_call(tcb, tern_tcb_cc(tcb)->on_recovery_exit);
	}
	TERN_COUNT(tcb->st, tcp_ecn_reductions);
	tern_trace_cwnd(tcb, "ecn");
	tcb->ecn_recover = tcb->snd_max;
	tcb->cwr_pending = true;
}

/* Fifth: the ACK field. Returns false when processing stops (the segment
 * is dropped or the connection is gone). */
static bool check_ack(tern_tcb *tcb, const seg_in *s)
{
	if (!has(s, TERN_TCP_ACK))
		return false;
	uint32_t ack = s->h.ack;
	/* RFC 5961 5: acceptable only within [SND.UNA - MAX.SND.WND, SND.NXT] */
	if (seq_gt(ack, tcb->snd_max) || seq_lt(ack, tcb->snd_una - tcb->max_snd_wnd)) {
		TERN_COUNT(tcb->st, tcp_ack_too_new);
		tern_trace_drop(tcb->st, s->ip, &s->h, "tcp_ack_too_new");
		tern_tcp_send_oow_ack(tcb);
		return false;
	}
	if (tcb->state == TERN_TCP_SYN_RECEIVED) {
		if (!seq_gt(ack, tcb->snd_una)) {
			tern_tcp_send_rst_for(tcb->st, s->ip, &s->h);
			return false;
		}
		tcb->snd_una = tcb->iss + 1;
		/* a simultaneous open rewound SND.NXT to resend SYN-ACK; if the
		 * peer's ACK came first, nothing of the handshake is left to send
		 * (found by fuzzing: the connection could never send again) */
		if (seq_lt(tcb->snd_nxt, tcb->snd_una))
			tcb->snd_nxt = tcb->snd_una;
		handshake_rtt(tcb);
		take_peer_window(tcb, s);
		establish(tcb);
	}
	ecn_echo(tcb, s);
	if (seq_gt(ack, tcb->snd_una))
		new_ack(tcb, s);
	else
		duplicate_ack(tcb, s);
	update_window(tcb, s);
	return true;
}

/* The state changes an acknowledged FIN brings (3.10.7.4 "Fifth"). Returns
 * false when the connection is gone. */
static bool our_fin_acked(tern_tcb *tcb)
{
	if (!fin_acked(tcb))
		return true;
	switch (tcb->state) {
	case TERN_TCP_FIN_WAIT_1:
		tern_tcb_set_state(tcb, TERN_TCP_FIN_WAIT_2, "rcv ACK of FIN");
		if (!tern_tcb_sock(tcb))
			tern_tcp_timer_set(tcb, TCPT_LINGER, tcb->st->now + tcb->st->cfg.tcp_fin_wait2);
		return true;
	case TERN_TCP_CLOSING:
		tern_tcb_time_wait(tcb);
		return false;
	case TERN_TCP_LAST_ACK:
		tern_tcb_drop(tcb, 0);
		return false;
	default:
		return true;
	}
}

/* Sixth: URG (RFC 6093: the pointer is one past the last urgent byte). */
static void check_urg(tern_tcb *tcb, const seg_in *s)
{
	if (!has(s, TERN_TCP_URG) || tcb->fin_rcvd)
		return;
	uint32_t up = s->h.seq + s->h.urp;
	if (!tcb->rcv_urgent || seq_gt(up, tcb->rcv_up)) {
		bool was = tcb->rcv_urgent;
		tcb->rcv_up = up;
		tcb->rcv_urgent = seq_gt(up, tcb->rcv_nxt - tcb->rcv.len);
		/* MUST-32: the user hears of urgent data at once, and once per
		 * run of it (TERN_EV_URGENT) */
		if (tcb->rcv_urgent && !was)
			tern_tcb_notify(tcb);
	}
}

/* RFC 1122 4.2.3.2 / RFC 5681 4.2: ACK at least every second full segment
 * and within the delayed-ACK timeout; at once for out-of-order data and
 * for data that fills a gap. */
static void schedule_ack(tern_tcb *tcb, bool in_order, bool filled_gap)
{
	if (!in_order || filled_gap || ++tcb->delack_segs >= 2) {
		tcb->ack_now = true;
		return;
	}
	if (!tern_tcp_timer_is_set(tcb, TCPT_DELACK))
		tern_tcp_timer_set(tcb, TCPT_DELACK, tcb->st->now + tcb->st->cfg.tcp_delack);
}

/* Seventh: segment text. Data is placed in the receive ring at its
 * offset; in-order data advances RCV.NXT. */
static void process_text(tern_tcb *tcb, seg_in *s)
{
	if (!s->h.payload_len)
		return;
	if (tcb->state != TERN_TCP_ESTABLISHED && tcb->state != TERN_TCP_FIN_WAIT_1 &&
	    tcb->state != TERN_TCP_FIN_WAIT_2)
		return;
	tern_stack *st = tcb->st;
	uint32_t off = s->h.seq - tcb->rcv_nxt;
	bool had_gap = tcb->rcv.nooo > 0;
	int adv = tern_rcvbuf_place(st, &tcb->rcv, off, s->h.payload, (uint32_t)s->h.payload_len);
	if (adv < 0) {
		/* TERN_ENOSPC: the stack-wide buffer limit refused storage (the
		 * ring counted it); nothing of it is acknowledged */
		bool pressure = adv == TERN_ENOSPC;
		if (!pressure)
			TERN_COUNT(st, tcp_ooo_drops);
		tern_trace_drop(st, s->ip, &s->h,
				pressure ? "tcp_mem_pressure_drops" : "tcp_ooo_drops");
		tcb->ack_now = true;
		return;
	}
	if (off + s->h.payload_len > tcb->rcv_adv - tcb->rcv_nxt)
		TERN_COUNT(st, tcp_rcv_pruned);
	if (off) {
		TERN_COUNT(st, tcp_ooo_segs);
		tern_sack_note_arrival(tcb, s->h.seq, s->h.seq + (uint32_t)s->h.payload_len);
	}
	tcb->rcv_nxt += (uint32_t)adv;
	tcb->bytes_received += (uint32_t)adv;
	if (adv > 0)
		tern_rcv_tune(tcb, &s->h.opts);
	schedule_ack(tcb, off == 0, had_gap && adv > 0);
	if (adv > 0)
		tern_tcb_notify(tcb);
}

/* Eighth: FIN, once every byte before it has arrived. Returns false when
 * the TCB is gone (an orphan entering TIME-WAIT is freed). */
static bool process_fin(tern_tcb *tcb, const seg_in *s)
{
	if (!has(s, TERN_TCP_FIN))
		return true;
	uint32_t fin_at = s->h.seq + (uint32_t)s->h.payload_len;
	if (fin_at != tcb->rcv_nxt || tcb->fin_rcvd)
		return true;  /* not yet in order (the peer will retransmit) */
	tcb->rcv_nxt++;
	tcb->fin_rcvd = true;
	tcb->ack_now = true;
	switch (tcb->state) {
	case TERN_TCP_SYN_RECEIVED:
	case TERN_TCP_ESTABLISHED:
		tern_tcb_set_state(tcb, TERN_TCP_CLOSE_WAIT, "rcv FIN");
		break;
	case TERN_TCP_FIN_WAIT_1:
		tern_tcb_set_state(tcb, TERN_TCP_CLOSING, "rcv FIN");
		break;
	case TERN_TCP_FIN_WAIT_2:
		tern_tcp_send_ack(tcb);
		tern_tcb_time_wait(tcb);
		return false;
	default:
		break;
	}
	tern_tcb_notify(tcb);
	return true;
}

static bool process_text_and_fin(tern_tcb *tcb, seg_in *s)
{
	check_urg(tcb, s);
	process_text(tcb, s);
	return process_fin(tcb, s);
}

/* New data for a connection its application has closed: nobody will ever
 * read it, so the peer is told at once with a reset (RFC 1122 4.2.2.13's
 * reasoning; Linux does the same). Left alone, two orphans could fill each
 * other's windows and probe each other for ever (found by fuzzing). */
static bool orphan_data(tern_tcb *tcb, const seg_in *s)
{
	if (tern_tcb_sock(tcb) || tern_tcb_listener(tcb) || !s->h.payload_len ||
	    !seq_gt(s->h.seq + (uint32_t)s->h.payload_len, tcb->rcv_nxt))
		return false;
	TERN_COUNT(tcb->st, tcp_orphan_resets);
	tern_tcp_send_bare(tcb->st, tcb->local.addr, tcb->local.port, tcb->remote.addr,
			   tcb->remote.port, tcb->snd_nxt, 0, TERN_TCP_RST, NULL);
	tern_tcb_drop(tcb, TERN_ECONNABORTED);
	return true;
}

static void synchronized_input(tern_tcb *tcb, seg_in *s)
{
	if (!syn_received_dup_syn(tcb, s) || !check_seq(tcb, s) || !check_rst(tcb, s) ||
	    !check_syn(tcb, s))
		return;
	tcb->last_rcv = tern_t32(tcb->st->now, TERN_T32_MS);
	tcb->keep_probes = 0;
	ecn_receive(tcb, s);
	if (!check_ack(tcb, s) || !our_fin_acked(tcb))
		return;
	if (orphan_data(tcb, s))
		return;
	if (process_text_and_fin(tcb, s))
		tern_tcp_output_soon(tcb);
}

/* ---- demultiplexing -------------------------------------------------------- */

static void dispatch(tern_stack *st, seg_in *s)
{
	const tern_ip4_repr *ip = s->ip;
	tern_tw *tw;
	tern_tcb *tcb = tern_tcp_lookup(st, ip->dst, s->h.dport, ip->src, s->h.sport, &tw);
	if (tcb) {
		tcb->segs_in++;
		s->wnd = has(s, TERN_TCP_SYN) || !tcb->ws_ok ? s->h.wnd
							     : (uint32_t)s->h.wnd << tcb->snd_wscale;
		if (tcb->state == TERN_TCP_SYN_SENT)
			syn_sent_input(tcb, s);
		else
			synchronized_input(tcb, s);
		return;
	}
	if (tw && time_wait_input(st, tw, s))
		return;
	struct tern_socket *ls = tern_tcp_listener_lookup(st, ip->dst, s->h.dport);
	if (ls)
		listen_input(ls, s);
	else
		closed_input(st, s);
}

void tern_tcp_input(tern_stack *st, struct tern_iface *ifc, const tern_ip4_repr *ip)
{
	(void)ifc;
	TERN_COUNT(st, tcp_in_segs);
	seg_in s;
	s.ip = ip;
	if (tern_tcp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, !ip->l4_csum_ok,
			   &s.h) != TERN_WIRE_OK) {
		TERN_COUNT(st, tcp_in_errs);
		return;
	}
	tern_trace_seg_in(st, ip, &s.h);
	/* RFC 1122 4.2.3.10: segments to broadcast or multicast are dropped. */
	if (!tern_ip4_local_iface(st, ip->dst)) {
		TERN_COUNT(st, tcp_in_errs);
		return;
	}
	s.len = (uint32_t)s.h.payload_len + has(&s, TERN_TCP_SYN) + has(&s, TERN_TCP_FIN);
	dispatch(st, &s);
}
