/* tcp_rtt.h - the retransmission timer's estimator (RFC 6298). */
#ifndef TERN_TCP_RTT_H
#define TERN_TCP_RTT_H

#include <stdbool.h>

#include "tern/tern.h"

/* RFC 6298 2.1: the RTO before any sample is 1 s. */
#define TERN_RTO_INITIAL TERN_SEC(1)
/* Clock granularity G of RFC 6298 2.2-2.3: tern's timer tick. */
#define TERN_RTT_G TERN_MS(1)

/* The bounds of the RTO are not kept here but given to tern_rtt_rto: a
 * TCB reads them from the stack's configuration (16 bytes less in every
 * connection, issue 4: lean connections). */
/* SRTT and RTTVAR are kept in 32-bit microseconds and the unbounded RTO
 * (SRTT + max(G, K * RTTVAR)) is derived from them when asked for (12
 * bytes, not 32, in every connection: issue 4, lean connections). Samples
 * are held at TERN_RTT_SAMPLE_MAX, 71 minutes: far above any RTO ceiling
 * RFC 6298 2.5 has in mind (60 s), and the RTO still computes in 64 bits. */
#define TERN_RTT_SAMPLE_MAX ((tern_time)UINT32_MAX)

typedef struct tern_rtt {
	uint32_t srtt, rttvar;         /* microseconds; 0 until a sample */
	bool has_sample;
} tern_rtt;

void tern_rtt_init(tern_rtt *r);
/* Take one RTT measurement R (RFC 6298 2.2 for the first, 2.3 after, with
 * alpha = 1/8, beta = 1/4, K = 4) and recompute the RTO. */
void tern_rtt_sample(tern_rtt *r, tern_time rtt);
/* The same for one of `n` samples expected in a window (RFC 7323 G:
 * alpha/n and beta/n, so many samples a window do not outweigh history). */
void tern_rtt_sample_n(tern_rtt *r, tern_time rtt, uint32_t n);
/* The RTO clamped to [rto_min, rto_max], after `backoff` expirations
 * (RFC 6298 5.5: doubling each time), never above rto_max. rto_min: RFC
 * 6298 2.4 says 1 s; stacks commonly use 200 ms (the caller chooses).
 * rto_max: at least 60 s (RFC 6298 2.5); below rto_min, rto_min wins. */
tern_time tern_rtt_rto(const tern_rtt *r, unsigned backoff, tern_time rto_min, tern_time rto_max);

#endif
