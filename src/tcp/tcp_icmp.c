/* tcp_icmp.c - ICMP errors about our segments (RFC 1122 4.2.3.9, RFC 5461,
 * RFC 5927). An error acts only if the sequence number it quotes is in
 * flight (RFC 5927 4.1), which a blind attacker cannot easily guess. A hard
 * error (protocol or port unreachable) ends a connection that is still
 * opening; for an established one every error is soft (RFC 5461: aborting
 * on them makes blind resets easy): it is remembered, and reported if the
 * connection later times out.
 *
 * Fragmentation needed lowers the path MTU (RFC 1191): for the connection
 * at once, and for its destination in a small cache, so that the next
 * connection there starts at the lowered size (6.3). Ten minutes after a
 * decrease the larger size is tried again (6.3: "no less than 5 minutes,
 * preferably 10"): the cache entry is forgotten and a lowered connection
 * goes back to its full MSS; if the path still cannot carry it, the next
 * report lowers it again. */
#include "core/siphash.h"
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"

/* RFC 1191 7: a router too old to report its next-hop MTU gets the next
 * plateau below what we were sending. */
static uint32_t plateau_below(uint32_t mtu)
{
	static const uint16_t plateaus[] = {32000, 17914, 8166, 4352, 2002, 1492, 1006, 576};
	for (size_t i = 0; i < sizeof plateaus / sizeof plateaus[0]; i++)
		if (plateaus[i] < mtu)
			return plateaus[i];
	return TERN_TCP_MIN_PMTU;
}

static tern_pmtu *pmtu_slot(tern_stack *st, uint32_t dst)
{
	uint8_t k[5];
	tern_put32(k, dst);
	k[4] = 'P';
	uint64_t h = tern_siphash13(st->tcp->key, k, sizeof k);
	return &st->tcp->pmtu[h & (TERN_PMTU_SLOTS - 1)];
}

/* The live entry for dst, or NULL; an entry past its age is forgotten. */
static tern_pmtu *pmtu_find(tern_stack *st, uint32_t dst)
{
	/* Every connection looks here at its start: with nothing ever
	 * learnt, that costs no hash. */
	if (!st->tcp->pmtu_any)
		return NULL;
	tern_pmtu *e = pmtu_slot(st, dst);
	if (!e->mtu || e->dst != dst)
		return NULL;
	if (st->now - e->at >= TERN_PMTU_AGE) {
		e->mtu = 0;
		return NULL;
	}
	return e;
}

static void set_smss(tern_tcb *tcb, uint32_t smss)
{
	tcb->smss = (uint16_t)smss;
	tcb->ccs.mss = tcb->smss;
}

void tern_tcp_pmtu_start(tern_tcb *tcb)
{
	tern_pmtu *e = pmtu_find(tcb->st, tcb->remote.addr);
	uint32_t overhead = tern_tcp_seg_overhead(tcb);
	if (!e || e->mtu >= tcb->smss + overhead)
		return;
	TERN_COUNT(tcb->st, tcp_pmtu_cached);
	tcb->smss_full = tcb->smss;
	tcb->pmtu_at = tern_t32(e->at, TERN_T32_MS);
	set_smss(tcb, e->mtu - overhead);
}

void tern_tcp_pmtu_check(tern_tcb *tcb)
{
	if (!tcb->smss_full)
		return;  /* the path MTU was not lowered */
	tern_time now = tcb->st->now;
	if (now - tern_t32_at(now, tcb->pmtu_at, TERN_T32_MS) < TERN_PMTU_AGE)
		return;
	TERN_COUNT(tcb->st, tcp_pmtu_raised);
	set_smss(tcb, tcb->smss_full);
	tcb->smss_full = 0;
}

/* RFC 1191 6.1-6.4: fragmentation needed lowers the path MTU, never below
 * the floor (RFC 5927 7.2: a forged report could otherwise shrink segments
 * to nothing), and what is in flight goes again in smaller segments at
 * once. That is not congestion: the window is left alone (RFC 1191 6.4). */
static void lower_path_mtu(tern_tcb *tcb, uint32_t mtu)
{
	tern_stack *st = tcb->st;
	uint32_t overhead = tern_tcp_seg_overhead(tcb);
	uint32_t now_mtu = tcb->smss + overhead;
	if (mtu == 0)
		mtu = plateau_below(now_mtu);
	if (mtu < TERN_TCP_MIN_PMTU)
		mtu = TERN_TCP_MIN_PMTU;
	if (mtu >= now_mtu) {
		TERN_COUNT(st, tcp_pmtu_ignored);
		return;
	}
	TERN_COUNT(st, tcp_pmtu_lowered);
	if (!tcb->smss_full)
		tcb->smss_full = tcb->smss;
	tcb->pmtu_at = tern_t32(st->now, TERN_T32_MS);
	set_smss(tcb, mtu - overhead);
	tern_pmtu *e = pmtu_slot(st, tcb->remote.addr);
	e->dst = tcb->remote.addr;
	e->mtu = (uint16_t)mtu;
	st->tcp->pmtu_any = true;
	e->at = st->now;
	if (tcb->state < TERN_TCP_ESTABLISHED || tcb->snd_max == tcb->snd_una)
		return;
	tern_sack_clear(tcb);
	tern_rack_reset(tcb);
	tern_loss_rxt_reset(tcb);
	tcb->rtt_timing = false;  /* Karn: what follows is resent */
	tcb->snd_nxt = tcb->snd_una;
	tcb->rewind_why = TERN_RTX_PMTU;
	tern_tcp_output(tcb);
}

bool tern_tcp_icmp_error(tern_stack *st, const tern_icmp_err *e)
{
	tern_tcb *tcb = tern_tcb_lookup(st, e->src, e->sport, e->dst, e->dport);
	if (!tcb)
		return false;
	uint32_t seq = tern_get32(e->l4 + 4);
	if (!seq_in(seq, tcb->snd_una, tcb->snd_max)) {
		TERN_COUNT(st, tcp_icmp_out_of_window);
		return true;
	}
	if (e->type == TERN_ICMP_DEST_UNREACH && e->code == TERN_ICMP_FRAG_NEEDED) {
		lower_path_mtu(tcb, e->mtu);
		return true;
	}
	bool opening = tcb->state == TERN_TCP_SYN_SENT || tcb->state == TERN_TCP_SYN_RECEIVED;
	if (e->hard && opening) {
		TERN_COUNT(st, tcp_icmp_aborts);
		if (tcb->state == TERN_TCP_SYN_SENT)
			TERN_COUNT(st, tcp_attempt_fails);
		tern_tcb_drop(tcb, e->err);
		return true;
	}
	tern_tcb_soft_error(tcb, e->err);
	return true;
}
