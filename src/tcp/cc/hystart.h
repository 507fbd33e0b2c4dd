/* hystart.h - HyStart++ (RFC 9406): a slow start that watches each round
 * trip's minimum RTT and leaves before the first loss when the queue at
 * the bottleneck starts to grow. A piece a module embeds in its state,
 * not a module itself. */
#ifndef TERN_TCP_CC_HYSTART_H
#define TERN_TCP_CC_HYSTART_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp_cc.h"

enum {
	TERN_HS_SLOW_START, /* standard slow start with the delay check */
	TERN_HS_CSS,        /* Conservative Slow Start */
	TERN_HS_DONE,       /* left for good: congestion avoidance, or a loss */
};

typedef struct tern_hystart {
	/* RTTs in 32-bit microseconds (issue 4: lean connections, in every
	 * CUBIC TCB): samples are held below TERN_HS_INF, 71 minutes, far
	 * beyond any RTT that HyStart++'s 4-16 ms thresholds could tell apart */
	uint32_t last_round_min;  /* lastRoundMinRTT; TERN_HS_INF when none */
	uint32_t round_min;       /* currentRoundMinRTT */
	uint32_t css_baseline;    /* cssBaselineMinRtt */
	uint32_t window_end;      /* windowEnd: the round ends once it is acknowledged */
	uint16_t samples;         /* rttSampleCount */
	uint8_t css_rounds;       /* CSS rounds ended, the partial first one included */
	uint8_t phase;            /* TERN_HS_* */
	bool round_open;          /* window_end has been taken from snd_max */
} tern_hystart;

#define TERN_HS_INF UINT32_MAX /* the RFC's "infinity" for an RTT */

/* RFC 9406 4.3's recommended constants. */
#define TERN_HS_MIN_RTT_THRESH TERN_MS(4)
#define TERN_HS_MAX_RTT_THRESH TERN_MS(16)
#define TERN_HS_MIN_RTT_DIVISOR 8
#define TERN_HS_N_RTT_SAMPLE 8
#define TERN_HS_CSS_GROWTH_DIVISOR 4
#define TERN_HS_CSS_ROUNDS 5
#define TERN_HS_L 8 /* segments per ACK at most: tern does not pace */

void tern_hystart_init(tern_hystart *h);
/* Still in slow start or CSS. */
bool tern_hystart_active(const tern_hystart *h);
/* A loss, an ECN echo or a timeout: HyStart++ is over (RFC 9406 4.2, and
 * 4.3: only the initial slow start uses it). */
void tern_hystart_stop(tern_hystart *h);
/* One RTT sample (currRTT). */
void tern_hystart_rtt(tern_hystart *h, tern_time rtt);
/* An ACK of `acked` bytes in slow start (0 when the window is not to grow,
 * which still counts the ACK toward the round). Grows s->cwnd; returns
 * true when HyStart++ has just ended slow start, having set
 * s->ssthresh = s->cwnd. */
bool tern_hystart_on_ack(tern_hystart *h, tern_cc_stat *s, uint32_t acked);

#endif
