/* tcp_rtt.c - SRTT, RTTVAR and RTO as RFC 6298 computes them, in integer
 * microseconds. Karn's rule (which samples to take) is the caller's. */
#include "tcp/tcp_rtt.h"

/* Samples are cut here so that 7 * SRTT + R and SRTT + 4 * RTTVAR cannot
 * overflow (SRTT and RTTVAR never exceed the largest sample). */
#define RTT_SAMPLE_MAX (UINT64_MAX / 8)

void tern_rtt_init(tern_rtt *r)
{
	r->srtt = 0;
	r->rttvar = 0;
	r->has_sample = false;
	r->rto = TERN_RTO_INITIAL;
}

void tern_rtt_sample_n(tern_rtt *r, tern_time rtt, uint32_t n)
{
	if (rtt > RTT_SAMPLE_MAX)
		rtt = RTT_SAMPLE_MAX;
	if (n == 0)
		n = 1;
	if (!r->has_sample) {
		/* RFC 6298 2.2 */
		r->srtt = rtt;
		r->rttvar = rtt / 2;
		r->has_sample = true;
	} else {
		/* RFC 6298 2.3, beta = 1/4 then alpha = 1/8 (each divided by n,
		 * RFC 7323 G); RTTVAR uses the SRTT from before this sample. */
		tern_time dev = r->srtt > rtt ? r->srtt - rtt : rtt - r->srtt;
		tern_time bn = 4 * (tern_time)n, an = 8 * (tern_time)n;
		r->rttvar = ((bn - 1) * r->rttvar + dev) / bn;
		r->srtt = ((an - 1) * r->srtt + rtt) / an;
	}
	tern_time var = 4 * r->rttvar; /* K = 4 */
	r->rto = r->srtt + (var > TERN_RTT_G ? var : TERN_RTT_G);
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
	tern_time rto = r->rto < rto_min ? rto_min : r->rto > rto_max ? rto_max : r->rto;
	/* RFC 6298 5.5: double per expiry, bounded by the maximum of 2.5. */
	for (unsigned i = 0; i < backoff && rto < rto_max; i++)
		rto = rto > rto_max / 2 ? rto_max : rto * 2;
	return rto > rto_max ? rto_max : rto;
}
