/* tcp_timer.c - the per-connection timers: an array of deadlines in the
 * TCB and one wheel timer at the earliest; when it fires, each expired
 * deadline is dispatched to its handler (RFC 6298 5.4-5.7 retransmission,
 * RFC 9293 3.8.6.1 persist, RFC 1122 4.2.3.6 keepalive, RFC 1122 4.2.3.2
 * delayed ACK, and the FIN-WAIT-2 limit). */
#include <stddef.h>

#include "sock/socket.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_trace.h"

void tern_tcp_timer_update(tern_tcb *tcb)
{
	tern_time first = TERN_TIME_NEVER;
	for (int k = 0; k < TCPT_COUNT; k++)
		if (tcb->deadline[k] < first)
			first = tcb->deadline[k];
	if (first == TERN_TIME_NEVER)
		tern_timer_cancel(&tcb->st->wheel, &tcb->timer);
	else if (!tern_timer_armed(&tcb->timer) || tcb->timer.deadline != first)
		tern_timer_arm(&tcb->st->wheel, &tcb->timer, first);
}

/* Outside tern_tcp_timer_fire, the wheel timer is armed exactly when some
 * deadline is set, at the earliest one (tern_tcp_timer_update leaves it
 * so). set and clear use that to skip the scan of every deadline when the
 * earliest is known without it; they arm and cancel as the scan would. */
void tern_tcp_timer_set(tern_tcb *tcb, enum tcp_timer_kind k, tern_time deadline)
{
	tern_trace_timer(tcb, k, "arm", deadline);
	tcb->deadline[k] = deadline;
	if (tern_timer_armed(&tcb->timer) && deadline <= tcb->timer.deadline) {
		/* at or before the earliest: the new earliest */
		if (deadline != tcb->timer.deadline)
			tern_timer_arm(&tcb->st->wheel, &tcb->timer, deadline);
		return;
	}
	tern_tcp_timer_update(tcb);
}

void tern_tcp_timer_clear(tern_tcb *tcb, enum tcp_timer_kind k)
{
	if (tcb->deadline[k] == TERN_TIME_NEVER)
		return;
	tern_trace_timer(tcb, k, "stop", 0);
	bool later = tern_timer_armed(&tcb->timer) && tcb->deadline[k] > tcb->timer.deadline;
	tcb->deadline[k] = TERN_TIME_NEVER;
	if (!later)  /* it may have been the earliest */
		tern_tcp_timer_update(tcb);
}

void tern_tcp_timer_clear_all(tern_tcb *tcb)
{
	for (int k = 0; k < TCPT_COUNT; k++)
		tcb->deadline[k] = TERN_TIME_NEVER;
	tern_timer_cancel(&tcb->st->wheel, &tcb->timer);
}

/* Drop the connection; returns whether the TCB survives (it does while a
 * socket still holds it, to report the error). */
static bool drop(tern_tcb *tcb, int err)
{
	bool held = tcb->sock != NULL;
	tern_tcb_drop(tcb, err);
	return held;
}

/* RFC 1122 4.2.3.5: give up after R2 (a count of retransmissions, or the
 * user timeout of RFC 5482 when set); SYNs have their own count. */
static bool retries_exhausted(tern_tcb *tcb, tern_time now)
{
	if (tcb->user_timeout && tcb->first_rexmt_at &&
	    now - tcb->first_rexmt_at >= TERN_MS(tcb->user_timeout))
		return true;
	if (tcb->state == TERN_TCP_SYN_SENT || tcb->state == TERN_TCP_SYN_RECEIVED)
		return tcb->backoff >= tcb->st->cfg.tcp_syn_retries;
	return !tcb->user_timeout && tcb->backoff >= tcb->st->cfg.tcp_retries2;
}

/* RFC 5482 / RFC 9293 3.8.3: the user timeout counts from when the
 * oldest unacknowledged data went out. At the first expiry that was one
 * RTO ago, as the timer restarts with every new ACK (RFC 6298 5.3).
 * 0 means "no trouble yet". */
static void note_trouble(tern_tcb *tcb, tern_time now)
{
	if (tcb->first_rexmt_at)
		return;
	tern_time rto = tern_tcb_rto(tcb, 0);
	tcb->first_rexmt_at = now > rto ? now - rto : 1;
}

/* The next expiry: the backed-off RTO, but no later than the user
 * timeout, which aborts when it runs out rather than at the next RTO. */
static tern_time next_rexmt(const tern_tcb *tcb, tern_time now)
{
	tern_time next = now + tern_tcb_rto(tcb, tcb->backoff);
	tern_time limit = tcb->first_rexmt_at + TERN_MS(tcb->user_timeout);
	return tcb->user_timeout && limit < next ? limit : next;
}

/* RFC 1122 4.2.3.5 (RFC 9293 MUST-20): past R1 retransmissions IP hears
 * that the path may have failed, and the application gets a soft error
 * (MUST-47) unless an ICMP error already explained the trouble. */
static void reached_r1(tern_tcb *tcb)
{
	TERN_COUNT(tcb->st, tcp_r1_reached);
	tern_ip4_negative_advice(tcb->st, tcb->remote.addr);
	tern_tcb_soft_error(tcb, tcb->soft_err ? tcb->soft_err : TERN_ETIMEDOUT);
}

/* RFC 6298 5.4-5.7: retransmit the earliest unacknowledged segment, back
 * the timer off, and (RFC 5681 3.1) collapse the congestion window. */
static bool on_rexmt(tern_tcb *tcb, tern_time now)
{
	tern_stack *st = tcb->st;
	note_trouble(tcb, now);
	if (retries_exhausted(tcb, now)) {
		TERN_COUNT(st, tcp_timeout_drops);
		if (tcb->state == TERN_TCP_SYN_SENT)
			TERN_COUNT(st, tcp_attempt_fails);
		/* RFC 1122 4.2.3.9: a soft error seen meanwhile says why */
		return drop(tcb, tcb->soft_err ? tcb->soft_err : TERN_ETIMEDOUT);
	}
	TERN_COUNT(st, tcp_timeouts);
	tcb->backoff++;
	if (tcb->backoff == st->cfg.tcp_retries1)
		reached_r1(tcb);
	tcb->rtt_timing = false;  /* Karn: no sample from a retransmitted segment */
	if (tcb->state >= TERN_TCP_ESTABLISHED) {
		tcb->ccs.flight = tcb->snd_max - tcb->snd_una;
		tern_cc_call(tcb, tcb->cc->on_rto);
		tern_trace_cwnd(tcb, "rto");
		tcb->in_recovery = false;
		tcb->dupacks = 0;
		/* RFC 2018 8 / RFC 6675 5.1: after a timeout the receiver may have
		 * reneged; start the scoreboard afresh */
		tern_sack_clear(tcb);
		tern_rack_reset(tcb);
		tern_loss_rxt_reset(tcb);
		tcb->tlp_end = 0;
		/* RFC 6582 3.2 step 1 after an RTO: recover = highest sent */
		tcb->recover = tcb->snd_max;
	}
	tcb->snd_nxt = tcb->snd_una;  /* go back N: resend from the left edge */
	tcb->rewind_why = TERN_RTX_RTO;
	tern_tcp_retransmit_first(tcb, TERN_RTX_RTO);
	tern_tcp_timer_set(tcb, TCPT_REXMT, next_rexmt(tcb, now));
	tern_tcp_output(tcb);
	return true;
}

/* RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: probe a zero window with one byte,
 * backing off like the RTO, for as long as the peer keeps answering. */
static bool on_persist(tern_tcb *tcb, tern_time now)
{
	/* An orphan (its application closed) cannot wait for ever on a peer
	 * that answers probes but never reads: give up after R2 probes, as
	 * Linux does with tcp_orphan_retries (found by fuzzing). A connection
	 * that an application holds may persist indefinitely (MUST-37). */
	unsigned limit = tcb->st->cfg.tcp_retries2 < 16 ? tcb->st->cfg.tcp_retries2 : 16;
	/* RFC 5482: a user timeout bounds how long sent data may stay
	 * unacknowledged, and the probe byte is such data: counted from the
	 * first probe (as Linux), it ends even a connection whose peer answers
	 * (MUST-37 yields to resource management: RFC 9293 3.8.6.1, RFC 6429). */
	bool user_timeout = tcb->user_timeout && tcb->first_rexmt_at &&
			    now - tcb->first_rexmt_at >= TERN_MS(tcb->user_timeout);
	if ((!tcb->sock && tcb->persist_backoff >= limit) || user_timeout) {
		TERN_COUNT(tcb->st, tcp_timeout_drops);
		return drop(tcb, TERN_ETIMEDOUT);
	}
	if (!tcb->first_rexmt_at)
		tcb->first_rexmt_at = now;
	TERN_COUNT(tcb->st, tcp_persist_probes);
	tern_tcp_send_probe(tcb);
	if (tcb->persist_backoff < 16)
		tcb->persist_backoff++;
	tern_time next = now + tern_tcb_rto(tcb, tcb->persist_backoff);
	if (tcb->user_timeout && tcb->first_rexmt_at + TERN_MS(tcb->user_timeout) < next)
		next = tcb->first_rexmt_at + TERN_MS(tcb->user_timeout);
	tern_tcp_timer_set(tcb, TCPT_PERSIST, next);
	return true;
}

/* RFC 1122 4.2.3.6: after keep_idle without traffic send a probe (a
 * segment with SEG.SEQ = SND.NXT-1 and no data) every keep_intvl; after
 * keep_cnt unanswered probes the connection is dead. */
static bool on_keepalive(tern_tcb *tcb, tern_time now)
{
	tern_stack *st = tcb->st;
	/* RFC 1122 4.2.3.6 (MUST-26): probe only an idle connection; while data
	 * is in flight or queued, retransmission decides the connection's fate. */
	bool busy = tcb->snd_una != tcb->snd_max || tcb->snd.len;
	if (busy || (now - tcb->last_rcv < TERN_MS(tcb->keep_idle) && tcb->keep_probes == 0)) {
		tcb->keep_probes = 0;
		tern_tcp_timer_set(tcb, TCPT_KEEPALIVE,
				   (busy ? now : tcb->last_rcv) + TERN_MS(tcb->keep_idle));
		return true;
	}
	if (tcb->keep_probes >= tcb->keep_cnt) {
		TERN_COUNT(st, tcp_keepalive_drops);
		return drop(tcb, TERN_ETIMEDOUT);
	}
	tcb->keep_probes++;
	TERN_COUNT(st, tcp_keepalive_probes);
	tern_tcp_send_keepalive(tcb);
	tern_tcp_timer_set(tcb, TCPT_KEEPALIVE, now + TERN_MS(tcb->keep_intvl));
	return true;
}

static bool on_delack(tern_tcb *tcb, tern_time now)
{
	(void)now;
	TERN_COUNT(tcb->st, tcp_delayed_acks);
	tern_tcp_send_ack(tcb);
	return true;
}

/* An orphaned FIN-WAIT-2 (the application closed; the peer never sends
 * its FIN) would live forever: RFC 9293 leaves it open, every stack caps
 * it (Linux tcp_fin_timeout). */
static bool on_linger(tern_tcb *tcb, tern_time now)
{
	(void)now;
	return drop(tcb, TERN_ETIMEDOUT);
}

static bool on_pto(tern_tcb *tcb, tern_time now)
{
	(void)now;
	tern_tlp_probe(tcb);
	return true;
}

/* RFC 8985 6.2: the reordering window of a segment ran out */
static bool on_rack(tern_tcb *tcb, tern_time now)
{
	(void)now;
	if (tern_rack_on_timer(tcb)) {
		if (!tcb->in_recovery)
			tern_tcp_enter_recovery(tcb);
		tern_tcp_output(tcb);
	}
	return true;
}

typedef bool (*timer_handler)(tern_tcb *, tern_time);
static const timer_handler handlers[TCPT_COUNT] = {
	[TCPT_REXMT] = on_rexmt,
	[TCPT_PERSIST] = on_persist,
	[TCPT_KEEPALIVE] = on_keepalive,
	[TCPT_DELACK] = on_delack,
	[TCPT_LINGER] = on_linger,
	[TCPT_PTO] = on_pto,
	[TCPT_RACK] = on_rack,
};

void tern_tcp_timer_fire(tern_timer *t, tern_time now)
{
	tern_tcb *tcb = (tern_tcb *)((char *)t - offsetof(tern_tcb, timer));
	for (int k = 0; k < TCPT_COUNT; k++) {
		if (tcb->deadline[k] > now)
			continue;
		tcb->deadline[k] = TERN_TIME_NEVER;
		tern_trace_timer(tcb, k, "fire", 0);
		if (!handlers[k](tcb, now))
			return;  /* the connection is gone */
	}
	tern_tcp_timer_update(tcb);
}
