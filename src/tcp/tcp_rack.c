/* tcp_rack.c - RACK (RFC 8985 6): time-based loss detection. Every segment
 * sent (with SACK in use) is remembered with its send time; a segment is
 * deemed lost once a segment sent after it has been delivered and more than
 * an RTT plus the reordering window has passed since it went out. The
 * reordering window starts at zero until reordering is seen, then scales
 * with D-SACKs (RFC 8985 6.2 step 4). */
#include <string.h>

#include "tcp/tcp.h"
#include "tcp/tcp_int.h"

#define TXQ_MIN 16

static uint32_t qlen(const tern_tcb *tcb)
{
	return tcb->txq ? tcb->txq->len : 0;
}

static tern_txseg *at(const tern_tcb *tcb, uint32_t i)
{
	tern_txq *q = tcb->txq;
	return &q->seg[(q->head + i) & (q->cap - 1)];
}

static size_t txq_bytes(uint32_t cap)
{
	return sizeof(tern_txq) + cap * sizeof(tern_txseg);
}

void tern_rack_free(tern_tcb *tcb)
{
	tern_tcp *tcp = tcb->st->tcp;
	/* The smallest queue is kept for the next connection's first flight
	 * (see struct tern_tcp); larger ones go back. */
	if (tcb->txq && tcb->txq->cap == TXQ_MIN && tcp && !tcp->spare_txq) {
		tcp->spare_txq = tcb->txq;
		tcp->spare_txq_bytes = txq_bytes(TXQ_MIN);
		tern_tcp_spare_hold(tcp);
	} else if (tcb->txq) {
		tern_mem_free(tcb->st, tcb->txq, txq_bytes(tcb->txq->cap));
	}
	tcb->txq = NULL;
}

/* A new flight: nothing delivered yet, everything below SND.UNA was. */
static void flight_start(const tern_tcb *tcb, tern_txq *q)
{
	q->nretrans = 0;
	q->xmit_ts = 0;
	q->rtt = 0;
	q->end_seq = q->fack = tcb->snd_una;
}

static void flight_copy(tern_txq *to, const tern_txq *from)
{
	to->nretrans = from->nretrans;
	to->xmit_ts = from->xmit_ts;
	to->rtt = from->rtt;
	to->end_seq = from->end_seq;
	to->fack = from->fack;
}

static bool grow(tern_tcb *tcb)
{
	uint32_t len = qlen(tcb), cap = tcb->txq ? tcb->txq->cap * 2 : TXQ_MIN;
	tern_tcp *tcp = tcb->st->tcp;
	tern_txq *q = NULL;
	if (cap == TXQ_MIN && tcp && tcp->spare_txq) {
		q = tcp->spare_txq;
		tcp->spare_txq = NULL;
	} else {
		q = tern_mem_alloc(tcb->st, txq_bytes(cap));
	}
	if (!q)
		return false;
	for (uint32_t i = 0; i < len; i++)
		q->seg[i] = *at(tcb, i);
	if (tcb->txq) {
		flight_copy(q, tcb->txq);
		tern_mem_free(tcb->st, tcb->txq, txq_bytes(tcb->txq->cap));
	} else {
		flight_start(tcb, q);
	}
	q->cap = cap;
	q->head = 0;
	q->len = len;
	tcb->txq = q;
	return true;
}

/* Called for every transmission of [seq, end): new data is appended, a
 * retransmission refreshes the send time of what it covers. */
void tern_rack_on_send(tern_tcb *tcb, uint32_t seq, uint32_t end)
{
	if (!tcb->sack_ok || !seq_lt(seq, end))
		return;
	tern_time now = tcb->st->now;
	uint32_t tail = qlen(tcb) ? at(tcb, qlen(tcb) - 1)->end : tcb->snd_una;
	for (uint32_t i = 0; i < qlen(tcb) && seq_lt(seq, tail); i++) {
		tern_txseg *e = at(tcb, i);
		if (!seq_lt(e->start, end))
			break;
		if (seq_gt(e->end, seq) && !(e->flags & TERN_SEG_SACKED)) {
			e->xmit = now;
			tcb->txq->nretrans += !(e->flags & TERN_SEG_RETRANS);
			e->flags = (uint8_t)((e->flags & ~TERN_SEG_LOST) | TERN_SEG_RETRANS);
		}
	}
	if (!seq_gt(end, tail))
		return;
	if ((!tcb->txq || tcb->txq->len == tcb->txq->cap) && !grow(tcb))
		return;  /* untracked: RACK only sees less, RFC 6675 still works */
	tern_txseg *e = at(tcb, tcb->txq->len++);
	e->start = seq_max(seq, tail);
	e->end = end;
	e->xmit = now;
	e->flags = 0;
}

/* RFC 8985 6.2 step 2: the most recently sent segment that was delivered
 * (ties broken by sequence) sets RACK.xmit_ts and RACK.rtt. An ACK that
 * may answer the original of a retransmission (sooner than min RTT after
 * the retransmission) is ambiguous and skipped. */
static void rack_update(tern_tcb *tcb, const tern_txseg *e)
{
	tern_txq *q = tcb->txq;
	tern_time now = tcb->st->now, rtt = now - e->xmit;
	if ((e->flags & TERN_SEG_RETRANS) && tcb->ccs.min_rtt && rtt < tcb->ccs.min_rtt)
		return;
	if (e->xmit > q->xmit_ts || (e->xmit == q->xmit_ts && seq_gt(e->end, q->end_seq))) {
		q->xmit_ts = e->xmit;
		q->end_seq = e->end;
		q->rtt = (uint32_t)(rtt < TERN_RTT_SAMPLE_MAX ? rtt : TERN_RTT_SAMPLE_MAX);
		tcb->rack_seen = tcb->rack_seen || q->xmit_ts;
	}
	/* step 3: delivered below the highest delivered so far = reordering */
	if (seq_lt(e->end, q->fack))
		tcb->rack.reordering_seen = true;
	else
		q->fack = e->end;
}

static bool sacked(const tern_tcb *tcb, const tern_txseg *e)
{
	for (uint8_t i = 0; i < tcb->nsb; i++) {
		const tern_sack_block *b = &tcb->loss->sb[i];
		if (seq_leq(b->left, e->start) && seq_geq(b->right, e->end))
			return true;
	}
	return false;
}

/* RFC 8985 6.2 step 4 */
static tern_time reo_wnd(const tern_tcb *tcb)
{
	uint32_t n = 0;
	for (uint32_t i = 0; tcb->nsb && i < qlen(tcb); i++)  /* no SACK blocks: none SACKed */
		n += (at(tcb, i)->flags & TERN_SEG_SACKED) != 0;
	if (!tcb->rack.reordering_seen && (tcb->in_recovery || n >= 3))
		return 0;
	tern_time w = tcb->rack.reo_wnd_mult * (tern_time)tcb->ccs.min_rtt / 4;
	return tcb->rtt.srtt && w > tcb->rtt.srtt ? tcb->rtt.srtt : w;
}

/* RFC 8985 6.2 step 5: returns whether a segment was newly marked lost,
 * and arms the reordering timer for the ones not yet due. */
static bool detect_loss(tern_tcb *tcb)
{
	tern_time now = tcb->st->now, reo = reo_wnd(tcb), wait = 0;
	bool fresh = false;
	for (uint32_t i = 0; i < qlen(tcb); i++) {
		tern_txseg *e = at(tcb, i);
		bool before = e->xmit < tcb->txq->xmit_ts ||
			      (e->xmit == tcb->txq->xmit_ts && seq_lt(e->end, tcb->txq->end_seq));
		/* Without retransmissions the queue is in send order (ties in
		 * sequence order): past the first segment sent after the one
		 * delivered, none can be due. This keeps an ACK from walking
		 * the whole flight when nothing is lost. */
		if (!before && !tcb->txq->nretrans)
			break;
		if (!before || (e->flags & (TERN_SEG_SACKED | TERN_SEG_LOST)))
			continue;
		tern_time due = e->xmit + tcb->txq->rtt + reo;
		if (due <= now) {
			e->flags |= TERN_SEG_LOST;
			fresh = true;
		} else if (due - now > wait) {
			wait = due - now;
		}
	}
	if (wait)
		tern_tcp_timer_set(tcb, TCPT_RACK, now + wait);
	else
		tern_tcp_timer_clear(tcb, TCPT_RACK);
	return fresh;
}

/* An ACK arrived (SND.UNA and the scoreboard already updated): what it
 * delivered teaches RACK; returns whether segments are now deemed lost. */
bool tern_rack_on_ack(tern_tcb *tcb, bool dsack)
{
	if (!tcb->sack_ok)
		return false;
	if (dsack && tcb->rack.reo_wnd_mult < 8) {
		tcb->rack.reo_wnd_mult++;  /* RFC 8985 6.2 step 4: D-SACK widens it */
		tcb->rack.reo_wnd_persist = 16;
	}
	while (qlen(tcb) && !seq_gt(at(tcb, 0)->end, tcb->snd_una)) {
		rack_update(tcb, at(tcb, 0));
		tcb->txq->nretrans -= (at(tcb, 0)->flags & TERN_SEG_RETRANS) != 0;
		tcb->txq->head = (tcb->txq->head + 1) & (tcb->txq->cap - 1);
		tcb->txq->len--;
	}
	if (qlen(tcb) && seq_lt(at(tcb, 0)->start, tcb->snd_una))
		at(tcb, 0)->start = tcb->snd_una;
	for (uint32_t i = 0; tcb->nsb && i < qlen(tcb); i++) {  /* SACK blocks to apply */
		tern_txseg *e = at(tcb, i);
		if (!(e->flags & TERN_SEG_SACKED) && sacked(tcb, e)) {
			e->flags = (uint8_t)((e->flags & ~TERN_SEG_LOST) | TERN_SEG_SACKED);
			rack_update(tcb, e);
		}
	}
	if (tcb->txq && !tcb->txq->len)
		tern_rack_free(tcb);  /* an idle connection holds no queue (issue 4: lean idle) */
	return tcb->rack_seen && detect_loss(tcb);
}

bool tern_rack_on_timer(tern_tcb *tcb)
{
	return tcb->sack_ok && tcb->rack_seen && detect_loss(tcb);
}

/* After a timeout the receiver may have reneged: forget SACK marks and
 * losses (everything is resent from SND.UNA); RFC 8985 6.3. */
void tern_rack_reset(tern_tcb *tcb)
{
	for (uint32_t i = 0; i < qlen(tcb); i++)
		at(tcb, i)->flags = TERN_SEG_RETRANS;
	if (tcb->txq)
		tcb->txq->nretrans = tcb->txq->len;
	tern_tcp_timer_clear(tcb, TCPT_RACK);
}

void tern_rack_recovery_done(tern_tcb *tcb)
{
	if (tcb->rack.reo_wnd_persist && --tcb->rack.reo_wnd_persist == 0)
		tcb->rack.reo_wnd_mult = 1;
}

/* In flight (RFC 8985 and RFC 6675's pipe, from RACK's marks): what is
 * neither SACKed nor deemed lost; a retransmission of a lost segment is
 * back in flight. */
uint32_t tern_rack_pipe(const tern_tcb *tcb)
{
	uint32_t pipe = 0;
	for (uint32_t i = 0; i < qlen(tcb); i++) {
		const tern_txseg *e = at(tcb, i);
		if (!(e->flags & (TERN_SEG_SACKED | TERN_SEG_LOST)))
			pipe += e->end - e->start;
	}
	return pipe;
}

/* NextSeg rule 1 with RACK: the first segment deemed lost. */
bool tern_rack_next_lost(const tern_tcb *tcb, uint32_t *seq, uint32_t *len)
{
	for (uint32_t i = 0; i < qlen(tcb); i++) {
		const tern_txseg *e = at(tcb, i);
		if ((e->flags & (TERN_SEG_LOST | TERN_SEG_SACKED)) != TERN_SEG_LOST)
			continue;
		uint32_t n = e->end - e->start;
		*seq = e->start;
		*len = n < tcb->smss ? n : tcb->smss;
		return true;
	}
	return false;
}

bool tern_rack_tracking(const tern_tcb *tcb)
{
	return tcb->sack_ok && qlen(tcb) > 0;
}
