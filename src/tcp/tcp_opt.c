/* tcp_opt.c - option negotiation: the MSS (RFC 9293 3.7.1, RFC 1122
 * 4.2.2.6), window scale and timestamps (RFC 7323), SACK-permitted (RFC
 * 2018 2). */
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"

/* RFC 7323 2.3: shifts above 14 are used as 14. */
#define TCP_MAX_WSCALE 14
/* NOP NOP TS: the 12 bytes a timestamp costs on every segment */
#define TCP_TS_OPTLEN 12

/* RFC 9293 3.7.1: without the option the peer's MSS is 536 (IPv4). */
/* A floor on the MSS a peer may impose, so a tiny MSS cannot make us cut
 * data into thousands of segments (cf. Linux tcp_min_snd_mss). */
#define TCP_MIN_SND_MSS 64

/* RFC 7323 7.1: each connection's timestamp clock starts at an offset
 * keyed like an ISN, so timestamps reveal neither uptime nor other
 * connections' clocks: the high half of the keyed PRF whose low half
 * keys the ISN (one SipHash for both). */
void tern_tcp_opt_init(tern_tcb *tcb)
{
	tcb->ts_offset = (uint32_t)(tern_tcp_conn_prf(tcb->st, &tcb->local, &tcb->remote) >> 32);
	/* Rcv.Wind.Shift: the least shift that lets the buffer be offered,
	 * as large as auto-tuning may make it (the shift is fixed on the SYN,
	 * RFC 7323 2.2) */
	uint32_t ceiling = tern_rcv_tune_max(tcb);
	uint32_t most = ceiling > tcb->rcv.cap ? ceiling : tcb->rcv.cap;
	/* most >> shift <= 65535 once shift reaches most's bit count less 16
	 * (the loop this replaces counted up to it, one shift at a time) */
	unsigned bits = most ? 32u - (unsigned)__builtin_clz(most) : 0;
	uint8_t shift = bits <= 16 ? 0 : (uint8_t)(bits - 16);
	if (shift > TCP_MAX_WSCALE)
		shift = TCP_MAX_WSCALE;
	tcb->rcv_wscale = tcb->st->cfg.tcp_no_wscale ? 0 : shift;
}

uint32_t tern_tcp_ts_now(const tern_tcb *tcb)
{
	return (uint32_t)(tcb->st->now / 1000) + tcb->ts_offset;
}

/* A SYN offers window scale and timestamps (unless configured off); a
 * SYN-ACK answers only with what the peer's SYN offered (RFC 7323 2.2,
 * 3.2), which take_syn_options has recorded by then. */
void tern_tcp_syn_options(const tern_tcb *tcb, tern_tcp_opts *o)
{
	tern_stack *st = tcb->st;
	bool offer = tcb->state == TERN_TCP_SYN_SENT;
	o->present |= TERN_TCPO_MSS;
	o->mss = tcb->rmss;
	if (offer ? !st->cfg.tcp_no_wscale : tcb->ws_ok) {
		o->present |= TERN_TCPO_WSCALE;
		o->wscale = tcb->rcv_wscale;
	}
	if (offer ? !st->cfg.tcp_no_sack : tcb->sack_ok)
		o->present |= TERN_TCPO_SACK_PERM;
	if (offer ? !st->cfg.tcp_no_timestamps : tcb->ts_ok) {
		o->present |= TERN_TCPO_TS;
		o->ts_val = tern_tcp_ts_now(tcb);
		o->ts_ecr = tcb->ts_ok ? tcb->ts_recent : 0;
	}
}

void tern_tcp_data_options(const tern_tcb *tcb, tern_tcp_opts *o)
{
	if (!tcb->ts_ok)
		return;
	o->present |= TERN_TCPO_TS;
	o->ts_val = tern_tcp_ts_now(tcb);
	o->ts_ecr = tcb->ts_recent;
}

uint32_t tern_tcp_data_opt_len(const tern_tcb *tcb)
{
	return tcb->ts_ok ? TCP_TS_OPTLEN : 0;
}

/* RFC 7323 2.2 and 3.2: an option is in use only when both SYNs carried
 * it; we sent it on ours unless configured off (a passive side answers in
 * kind, so the test is the same). */
static void negotiate(tern_tcb *tcb, const tern_tcp_opts *o)
{
	tern_stack *st = tcb->st;
	tcb->ws_ok = (o->present & TERN_TCPO_WSCALE) && !st->cfg.tcp_no_wscale;
	if (tcb->ws_ok) {
		tcb->snd_wscale = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
	} else {
		tcb->snd_wscale = 0;
		tcb->rcv_wscale = 0;
	}
	tcb->sack_ok = (o->present & TERN_TCPO_SACK_PERM) && !st->cfg.tcp_no_sack;
	tcb->ts_ok = (o->present & TERN_TCPO_TS) && !st->cfg.tcp_no_timestamps;
	if (tcb->ts_ok) {
		tcb->ts_recent = o->ts_val;
		tcb->ts_recent_at = tern_t32(st->now, TERN_T32_S);
	}
}

/* Header bytes every data segment carries besides its payload: IP and TCP,
 * the IP options of a source route, the TCP options of every segment (the
 * timestamp). */
uint32_t tern_tcp_seg_overhead(const tern_tcb *tcb)
{
	uint32_t ipopts = tcb->sr ? ((3u + 4u * tcb->sr->n + 3u) & ~3u) : 0;
	return TERN_IP4_HLEN + TERN_TCP_HLEN + ipopts + tern_tcp_data_opt_len(tcb);
}

/* Eff.snd.MSS = min(SendMSS + 20, MMS_S) - 20 - IP options (3.7.1): our
 * MMS_S is the interface MTU minus the fixed IP header. */
void tern_tcp_take_syn_options(tern_tcb *tcb, const tern_tcp_opts *o)
{
	negotiate(tcb, o);
	uint32_t peer = (o->present & TERN_TCPO_MSS) ? o->mss : TCP_DEFAULT_MSS;
	uint32_t mine = tcb->rmss;
	uint32_t eff = peer < mine ? peer : mine;
	uint32_t opts = tern_tcp_seg_overhead(tcb) - TERN_IP4_HLEN - TERN_TCP_HLEN;
	eff = eff > opts ? eff - opts : 0;
	if (eff < TCP_MIN_SND_MSS)
		eff = TCP_MIN_SND_MSS;
	tcb->smss = (uint16_t)eff;
	tcb->ccs.mss = eff;
}
