/* tcp_rtt.c - SRTT, RTTVAR and RTO as RFC 6298 computes them, in integer
 * microseconds. Karn's rule (which samples to take) is the caller's. */
#include "tcp/tcp_rtt.h"

void tern_rtt_init(tern_rtt *r)
{
	r->srtt = 0;
	r->rttvar = 0;
	r->has_sample = false;
}

void tern_rtt_sample_n(tern_rtt *r, tern_time rtt, uint32_t n)
{
	/* SRTT and RTTVAR never exceed the largest sample, so they fit */
	if (rtt > TERN_RTT_SAMPLE_MAX)
		rtt = TERN_RTT_SAMPLE_MAX;
	if (n == 0)
		n = 1;
	if (!r->has_sample) {
		/* RFC 6298 2.2 */
		r->srtt = (uint32_t)rtt;
		r->rttvar = (uint32_t)(rtt / 2);
		r->has_sample = true;
		return;
	}
	/* RFC 6298 2.3, beta = 1/4 then alpha = 1/8 (each divided by n,
	 * RFC 7323 G); RTTVAR uses the SRTT from before this sample. */
	tern_time srtt = r->srtt;
	tern_time dev = srtt > rtt ? srtt - rtt : rtt - srtt;
	tern_time bn = 4 * (tern_time)n, an = 8 * (tern_time)n;
	r->rttvar = (uint32_t)(((bn - 1) * r->rttvar + dev) / bn);
	r->srtt = (uint32_t)(((an - 1) * srtt + rtt) / an);
}

/* RFC 6298 2.1 before a sample, else 2.2-2.3: SRTT + max(G, K * RTTVAR),
 * K = 4; before the bounds. */
static tern_time rto_unbounded(const tern_rtt *r)
{
	if (!r->has_sample)
		return TERN_RTO_INITIAL;
	tern_time var = 4 * (tern_time)r->rttvar;
	return r->srtt + (var > TERN_RTT_G ? var : TERN_RTT_G);
}

void tern_rtt_sample(tern_rtt *r, tern_time rtt)
{
	tern_rtt_sample_n(r, rtt, 1);
}

tern_time tern_rtt_rto(const tern_rtt *r, unsigned backoff, tern_time rto_min, tern_time rto_max)
{
	/* A ceiling below the floor would make the clamp order decide; make
	 * the floor win, as RFC 6298 2.4 is the safety rule. */
	if (rto_max < rto_min)
		rto_max = rto_min;
	/* RFC 6298 2.4 and 2.5 */
	tern_time rto = rto_unbounded(r);
	rto = rto < rto_min ? rto_min : rto > rto_max ? rto_max : rto;
	/* RFC 6298 5.5: double per expiry, bounded by the maximum of 2.5. */
	for (unsigned i = 0; i < backoff && rto < rto_max; i++)
		rto = rto > rto_max / 2 ? rto_max : rto * 2;
	return rto > rto_max ? rto_max : rto;
}
