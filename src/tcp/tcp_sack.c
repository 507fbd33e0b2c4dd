/* tcp_sack.c - selective acknowledgments: the receiver's SACK blocks (RFC
 * 2018 4, D-SACK RFC 2883) and the sender's scoreboard with SACK-based
 * loss recovery (RFC 6675: IsLost, SetPipe, NextSeg), paced by
 * Proportional Rate Reduction (RFC 6937). */
#include <string.h>

#include "tcp/tcp.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_trace.h"

/* RFC 6675 2: DupThresh */
#define DUP_THRESH 3

/* ---- receiver ------------------------------------------------------------- */

/* RFC 2018 4: the first block reports the data that triggered the ACK, the
 * others repeat the most recently reported ones; keep their left edges in
 * order of recency. */
_Static_assert(TERN_OOO_RECENT == TERN_TCP_MAX_SACK, "one recent edge per SACK block");

/* The recency lives with the out-of-order list: with no list there is no
 * interval to report, and none to remember. */
void tern_sack_note_arrival(tern_tcb *tcb, uint32_t seq, uint32_t end)
{
	(void)end;
	tern_ooo_list *l = tcb->rcv.ooo;
	if (!l)
		return;
	uint8_t n = l->nrecent, i;
	for (i = 0; i < n; i++)
		if (l->sack_recent[i] == seq)
			break;
	if (i == n && n < TERN_TCP_MAX_SACK)
		l->nrecent = ++n;
	if (i == TERN_TCP_MAX_SACK)
		i = TERN_TCP_MAX_SACK - 1;
	for (; i > 0; i--)
		l->sack_recent[i] = l->sack_recent[i - 1];
	l->sack_recent[0] = seq;
}

void tern_sack_note_duplicate(tern_tcb *tcb, uint32_t seq, uint32_t end)
{
	if (!tcb->sack_ok || !seq_lt(seq, end))
		return;
	tcb->dsack.left = seq;
	tcb->dsack.right = end;
	tcb->dsack_pending = true;
}

/* The out-of-order interval holding seq, as sequence numbers. */
static bool interval_of(const tern_tcb *tcb, uint32_t seq, tern_sack_block *out)
{
	for (uint32_t i = 0; i < tcb->rcv.nooo; i++) {
		uint32_t l = tcb->rcv_nxt + tcb->rcv.ooo->iv[i].off;
		uint32_t r = l + tcb->rcv.ooo->iv[i].len;
		if (seq_in(seq, l, r)) {
			out->left = l;
			out->right = r;
			return true;
		}
	}
	return false;
}

static bool listed(const tern_tcp_opts *o, uint32_t left)
{
	for (uint8_t i = 0; i < o->sack_count; i++)
		if (o->sack[i].left == left)
			return true;
	return false;
}

static void add_block(tern_tcp_opts *o, uint32_t l, uint32_t r, uint8_t max)
{
	if (o->sack_count >= max || listed(o, l))
		return;
	o->sack[o->sack_count].left = l;
	o->sack[o->sack_count].right = r;
	o->sack_count++;
}

void tern_sack_fill(tern_tcb *tcb, tern_tcp_opts *o, uint32_t room)
{
	if (!tcb->sack_ok || (!tcb->rcv.nooo && !tcb->dsack_pending))
		return;
	/* 40 option bytes: 4 blocks, or 3 beside a timestamp; and no more
	 * than the segment has room for within the path MTU (NOP NOP kind
	 * length, then 8 bytes a block) */
	uint8_t max = (o->present & TERN_TCPO_TS) ? 3 : 4;
	uint32_t fit = room >= 12 ? (room - 4) / 8 : 0;
	if (fit < max)
		max = (uint8_t)fit;
	if (!max)
		return;
	o->sack_count = 0;
	if (tcb->dsack_pending) {
		add_block(o, tcb->dsack.left, tcb->dsack.right, max);
		tcb->dsack_pending = false;
	}
	tern_ooo_list *list = tcb->rcv.ooo;
	uint8_t keep = 0;
	for (uint8_t i = 0; list && i < list->nrecent; i++) {
		tern_sack_block b;
		if (!interval_of(tcb, list->sack_recent[i], &b))
			continue;  /* filled in since: forget it */
		list->sack_recent[keep++] = b.left;
		add_block(o, b.left, b.right, max);
	}
	if (list)
		list->nrecent = keep;
	for (uint32_t i = tcb->rcv.nooo; i-- > 0;) {
		uint32_t l = tcb->rcv_nxt + list->iv[i].off;
		add_block(o, l, l + list->iv[i].len, max);
	}
	if (o->sack_count)
		o->present |= TERN_TCPO_SACK;
}

/* ---- sender: the scoreboard ------------------------------------------------ */

void tern_sack_clear(tern_tcb *tcb)
{
	tcb->nsb = 0;
}

tern_loss *tern_loss_get(tern_tcb *tcb)
{
	if (tcb->loss)
		return tcb->loss;
	tern_loss *l = tern_mem_alloc(tcb->st, sizeof *l);
	if (!l)
		return NULL;  /* counted in mem_alloc_fail */
	memset(l, 0, sizeof *l);
	/* absent, HighRxt read as SND.UNA: whatever it was, it was no higher
	 * once everything sent had been acknowledged */
	l->high_rxt = tcb->snd_una;
	tcb->loss = l;
	return l;
}

void tern_loss_free(tern_tcb *tcb)
{
	tern_mem_free(tcb->st, tcb->loss, sizeof *tcb->loss);
	tcb->loss = NULL;
	tcb->nsb = 0;
}

void tern_loss_idle(tern_tcb *tcb)
{
	if (tcb->loss && tcb->snd_una == tcb->snd_max && !tcb->in_recovery && !tcb->nsb)
		tern_loss_free(tcb);
}

void tern_loss_rxt_reset(tern_tcb *tcb)
{
	if (tcb->loss)
		tcb->loss->high_rxt = tcb->snd_una;
}

static uint32_t high_rxt(const tern_tcb *tcb)
{
	return tcb->loss ? tcb->loss->high_rxt : tcb->snd_una;
}

static void drop_below(tern_tcb *tcb, uint32_t una)
{
	uint8_t keep = 0;
	for (uint8_t i = 0; i < tcb->nsb; i++) {
		tern_sack_block b = tcb->loss->sb[i];
		if (!seq_gt(b.right, una))
			continue;
		if (seq_lt(b.left, una))
			b.left = una;
		tcb->loss->sb[keep++] = b;
	}
	tcb->nsb = keep;
}

/* Insert [l,r) keeping the list sorted and disjoint; returns whether any
 * byte was new. When full, the highest range is given up (it will be
 * reported again, and meanwhile counts as not SACKed: the safe side). */
static bool insert(tern_tcb *tcb, uint32_t l, uint32_t r)
{
	tern_loss *ls = tern_loss_get(tcb);
	if (!ls)
		return false;  /* no room: as a full scoreboard, not SACKed */
	tern_sack_block *sb = ls->sb;
	uint8_t i = 0;
	while (i < tcb->nsb && seq_lt(sb[i].right, l))
		i++;
	uint8_t j = i;
	uint32_t nl = l, nr = r;
	bool fresh = true;
	while (j < tcb->nsb && seq_leq(sb[j].left, r)) {
		if (seq_leq(sb[j].left, l) && seq_geq(sb[j].right, r))
			fresh = false;
		nl = seq_min(nl, sb[j].left);
		nr = seq_max(nr, sb[j].right);
		j++;
	}
	/* ranges i..j-1 merge into one */
	uint8_t removed = (uint8_t)(j - i);
	if (removed == 0) {
		if (tcb->nsb == TERN_SB_MAX) {
			if (i == TERN_SB_MAX)
				return false;
			tcb->nsb--;
		}
		for (uint8_t k = tcb->nsb; k > i; k--)
			sb[k] = sb[k - 1];
		tcb->nsb++;
	} else {
		for (uint8_t k = (uint8_t)(i + 1); k + removed - 1 < tcb->nsb; k++)
			sb[k] = sb[k + removed - 1];
		tcb->nsb = (uint8_t)(tcb->nsb - removed + 1);
	}
	sb[i].left = nl;
	sb[i].right = nr;
	return fresh;
}

/* RFC 2018 5 and RFC 2883 4: blocks outside (SND.UNA, SND.MAX] are D-SACKs
 * or garbage; neither marks anything. */
bool tern_sack_update(tern_tcb *tcb, const tern_tcp_opts *o)
{
	drop_below(tcb, tcb->snd_una);
	if (!tcb->sack_ok || !(o->present & TERN_TCPO_SACK))
		return false;
	bool fresh = false;
	for (uint8_t i = 0; i < o->sack_count; i++) {
		uint32_t l = o->sack[i].left, r = o->sack[i].right;
		if (!seq_lt(l, r) || !seq_gt(r, tcb->snd_una) || seq_gt(r, tcb->snd_max)) {
			if (seq_lt(l, r) && seq_leq(r, tcb->snd_una))
				TERN_COUNT(tcb->st, tcp_dsack_in);
			continue;
		}
		if (seq_lt(l, tcb->snd_una))
			l = tcb->snd_una;
		fresh |= insert(tcb, l, r);
	}
	return fresh;
}

/* ---- sender: RFC 6675 4 ----------------------------------------------------- */

/* Bytes SACKed above seq, and in how many discontiguous ranges. */
static uint32_t sacked_above(const tern_tcb *tcb, uint32_t seq, uint32_t *ranges)
{
	uint32_t bytes = 0, n = 0;
	for (uint8_t i = 0; i < tcb->nsb; i++) {
		const tern_sack_block *b = &tcb->loss->sb[i];
		if (!seq_gt(b->right, seq))
			continue;
		uint32_t l = seq_gt(b->left, seq) ? b->left : seq;
		bytes += b->right - l;
		n++;
	}
	*ranges = n;
	return bytes;
}

/* IsLost: DupThresh discontiguous SACKed ranges above seq, or more than
 * (DupThresh - 1) * SMSS bytes SACKed above it. */
bool tern_sack_is_lost(const tern_tcb *tcb, uint32_t seq)
{
	uint32_t ranges, bytes = sacked_above(tcb, seq, &ranges);
	return ranges >= DUP_THRESH || bytes > (DUP_THRESH - 1) * (uint32_t)tcb->smss;
}

/* Walk the holes (unSACKed ranges) of [SND.UNA, SND.MAX) in order. */
typedef struct hole_iter {
	const tern_tcb *tcb;
	uint32_t at;
	uint8_t next_sb;
} hole_iter;

static bool next_hole(hole_iter *it, uint32_t *l, uint32_t *r)
{
	const tern_tcb *tcb = it->tcb;
	while (seq_lt(it->at, tcb->snd_max)) {
		if (it->next_sb < tcb->nsb && !seq_gt(tcb->loss->sb[it->next_sb].left, it->at)) {
			it->at = seq_max(it->at, tcb->loss->sb[it->next_sb].right);
			it->next_sb++;
			continue;
		}
		*l = it->at;
		*r = it->next_sb < tcb->nsb ? tcb->loss->sb[it->next_sb].left : tcb->snd_max;
		it->at = *r;
		return true;
	}
	return false;
}

/* SetPipe: every unSACKed byte not deemed lost is in the network, and so is
 * every byte retransmitted (up to HighRxt) since. */
uint32_t tern_sack_pipe(const tern_tcb *tcb)
{
	hole_iter it = {tcb, tcb->snd_una, 0};
	uint32_t l, r, pipe = 0, rxt = high_rxt(tcb);
	for (int guard = 0; guard <= TERN_SB_MAX && next_hole(&it, &l, &r); guard++) {
		if (!tern_sack_is_lost(tcb, l))
			pipe += r - l;
		if (seq_gt(rxt, l))
			pipe += seq_min(rxt, r) - l;
	}
	return pipe;
}

/* NextSeg rule 1: the first byte above HighRxt that is unSACKed and lost. */
static bool next_lost(const tern_tcb *tcb, uint32_t *seq, uint32_t *len)
{
	hole_iter it = {tcb, tcb->snd_una, 0};
	uint32_t l, r, rxt = high_rxt(tcb);
	for (int guard = 0; guard <= TERN_SB_MAX && next_hole(&it, &l, &r); guard++) {
		if (seq_lt(l, rxt))
			l = seq_min(rxt, r);
		if (!seq_lt(l, r) || !tern_sack_is_lost(tcb, l))
			continue;
		*seq = l;
		*len = r - l < tcb->smss ? r - l : tcb->smss;
		return true;
	}
	return false;
}

/* RFC 6675 5 step (C): while cwnd - pipe >= 1 SMSS, send NextSeg: a lost
 * segment first (rule 1), else new data (rule 2). The rescue rules (3-4)
 * are left to the retransmission timer. */
void tern_sack_recovery_output(tern_tcb *tcb)
{
	for (int guard = 0; guard < 256; guard++) {
		uint32_t pipe = tern_tcp_pipe(tcb);
		if (tcb->ccs.cwnd < pipe + tcb->smss)
			return;
		uint32_t seq, len;
		/* lost by RACK's clock (RFC 8985), or by RFC 6675's count */
		bool by_rack = tern_rack_tracking(tcb) && tern_rack_next_lost(tcb, &seq, &len);
		if (by_rack || next_lost(tcb, &seq, &len)) {
			tern_tcp_resend(tcb, seq, len, by_rack ? TERN_RTX_RACK : TERN_RTX_FAST);
			if (!tcb->loss)
				return;  /* no HighRxt to advance: one resend an ACK */
			tcb->loss->high_rxt = seq_max(tcb->loss->high_rxt, seq + len);
			tcb->loss->prr_out += len;
			continue;
		}
		uint32_t before = tcb->snd_nxt;
		if (!tern_tcp_send_new_segment(tcb))
			return;
		if (tcb->loss)
			tcb->loss->prr_out += tcb->snd_nxt - before;
	}
}

uint32_t tern_sack_bytes(const tern_tcb *tcb)
{
	uint32_t ranges;
	return sacked_above(tcb, tcb->snd_una, &ranges);
}

/* ---- RFC 6937: Proportional Rate Reduction ---------------------------------- */

void tern_prr_start(tern_tcb *tcb)
{
	tern_loss *l = tern_loss_get(tcb);
	if (!l)
		return;  /* out of memory: cwnd stays as the module set it (RFC 6675) */
	l->recover_fs = tcb->snd_max - tcb->snd_una;
	l->prr_delivered = 0;
	l->prr_out = 0;
}

/* RFC 6937 3.1: while the pipe is above ssthresh, send in proportion to
 * what the network delivered (ssthresh / RecoverFS of it), so the window
 * comes down smoothly instead of stalling; once below, PRR-SSRB grows back
 * towards ssthresh by at most one segment more than was delivered. The
 * result becomes cwnd, which the recovery output spends against pipe. */
uint32_t tern_tcp_pipe(const tern_tcb *tcb)
{
	return tern_rack_tracking(tcb) ? tern_rack_pipe(tcb) : tern_sack_pipe(tcb);
}

void tern_prr_ack(tern_tcb *tcb, uint32_t delivered)
{
	tern_loss *l = tcb->loss;
	if (!l)
		return;  /* no PRR state (out of memory at entry) */
	uint32_t ssthresh = tcb->ccs.ssthresh, pipe = tern_tcp_pipe(tcb);
	l->prr_delivered += delivered;
	int64_t sndcnt;
	if (pipe > ssthresh) {
		uint64_t fs = l->recover_fs ? l->recover_fs : 1;
		uint64_t due = ((uint64_t)l->prr_delivered * ssthresh + fs - 1) / fs;
		sndcnt = (int64_t)due - l->prr_out;
	} else {
		int64_t limit = (int64_t)l->prr_delivered - l->prr_out;
		if (limit < (int64_t)delivered)
			limit = delivered;
		limit += tcb->smss;
		sndcnt = (int64_t)ssthresh - pipe;
		if (sndcnt > limit)
			sndcnt = limit;
	}
	if (sndcnt < 0)
		sndcnt = 0;
	tcb->ccs.cwnd = pipe + (uint32_t)sndcnt;
}

/* ---- RFC 8985 7: tail loss probes ------------------------------------------ */

/* With SACK in use, data in flight and no recovery under way, a probe goes
 * out a probe timeout after the last send or ACK, well before the RTO, so
 * that a loss at the tail of a burst (with nothing behind it to raise
 * duplicate ACKs) is found by an ACK rather than a timeout. One probe per
 * episode. */
void tern_tlp_arm(tern_tcb *tcb)
{
	if (!tcb->sack_ok || tcb->in_recovery || tern_tlp_open(tcb) || tcb->snd_una == tcb->snd_max ||
	    !tcb->rtt.has_sample || tcb->backoff || tcb->state < TERN_TCP_ESTABLISHED ||
	    tern_tcp_timer_is_set(tcb, TCPT_RACK)) {
		tern_tcp_timer_clear(tcb, TCPT_PTO);
		return;
	}
	/* RFC 8985 7.2: 2 * SRTT, plus the peer's worst delayed ACK when a
	 * single segment is out (its ACK may be held back), never under a
	 * 10 ms floor that keeps probes from racing ordinary ACK jitter */
	tern_time pto = 2 * (tern_time)tcb->rtt.srtt;
	if (tcb->snd_max - tcb->snd_una <= tcb->smss)
		pto += TERN_MS(200);
	if (pto < TERN_MS(10))
		pto = TERN_MS(10);
	tern_time rto = tern_tcb_rto(tcb, tcb->backoff);
	if (pto >= rto) {
		tern_tcp_timer_clear(tcb, TCPT_PTO);
		return;
	}
	tern_tcp_timer_set(tcb, TCPT_PTO, tcb->st->now + (pto ? pto : 1));
}

/* RFC 8985 7.3: new data if the window allows, else the last segment sent
 * again; then the RTO takes over. The episode is kept in the loss state:
 * without memory for it there is no probe, and the RTO, still armed,
 * recovers the tail as it would without TLP. */
void tern_tlp_probe(tern_tcb *tcb)
{
	if (tcb->in_recovery || tcb->snd_una == tcb->snd_max)
		return;
	tern_loss *l = tern_loss_get(tcb);
	if (!l)
		return;
	TERN_COUNT(tcb->st, tcp_tlp_probes);
	if (!tern_tcp_send_new_segment(tcb)) {
		uint32_t out = tcb->snd_max - tcb->snd_una;
		uint32_t len = out < tcb->smss ? out : tcb->smss;
		tern_tcp_resend(tcb, tcb->snd_max - len, len, TERN_RTX_TLP);
	}
	l->tlp_end = tcb->snd_max;
	tern_tcp_timer_set(tcb, TCPT_REXMT,
			   tcb->st->now + tern_tcb_rto(tcb, tcb->backoff));
}
