/* tcp_opt.c - options on the handshake. For now the MSS (RFC 9293 3.7.1,
 * RFC 1122 4.2.2.6); window scale, SACK and timestamps (RFC 7323, 2018)
 * will be negotiated here too. */
#include "tcp/tcp.h"
#include "tcp/tcp_int.h"

/* RFC 9293 3.7.1: without the option the peer's MSS is 536 (IPv4). */
#define TCP_DEFAULT_MSS 536
/* A floor on the MSS a peer may impose, so a tiny MSS cannot make us cut
 * data into thousands of segments (cf. Linux tcp_min_snd_mss). */
#define TCP_MIN_SND_MSS 64

void tern_tcp_syn_options(const tern_tcb *tcb, tern_tcp_opts *o)
{
	o->present |= TERN_TCPO_MSS;
	o->mss = tcb->rmss;
}

/* Eff.snd.MSS = min(SendMSS + 20, MMS_S) - 20 - IP options (3.7.1): our
 * MMS_S is the interface MTU minus the fixed IP header. */
void tern_tcp_take_syn_options(tern_tcb *tcb, const tern_tcp_opts *o)
{
	uint32_t peer = (o->present & TERN_TCPO_MSS) ? o->mss : TCP_DEFAULT_MSS;
	uint32_t mine = tcb->rmss;
	uint32_t eff = peer < mine ? peer : mine;
	/* ... less the IP options every segment carries (a source route) */
	uint32_t ipopts = tcb->sr.n ? ((3u + 4u * tcb->sr.n + 3u) & ~3u) : 0;
	eff = eff > ipopts ? eff - ipopts : 0;
	if (eff < TCP_MIN_SND_MSS)
		eff = TCP_MIN_SND_MSS;
	tcb->smss = (uint16_t)eff;
	tcb->ccs.mss = eff;
}
