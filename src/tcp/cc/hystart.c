/* hystart.c - HyStart++ (RFC 9406 4.2).
 *
 * Rounds are delimited by sequence numbers, not time: a round ends when
 * the ACK point reaches windowEnd, the highest sequence sent when the round
 * began. RTT samples arrive separately (tern_hystart_rtt) and fold into the
 * round that the next ACK closes or continues.
 */
#include "tcp/cc/hystart.h"

static bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static tern_time min_time(tern_time a, tern_time b)
{
	return a < b ? a : b;
}

static tern_time max_time(tern_time a, tern_time b)
{
	return a > b ? a : b;
}

void tern_hystart_init(tern_hystart *h)
{
	h->last_round_min = TERN_HS_INF;
	h->round_min = TERN_HS_INF;
	h->css_baseline = TERN_HS_INF;
	h->window_end = 0;
	h->samples = 0;
	h->css_rounds = 0;
	h->phase = TERN_HS_SLOW_START;
	h->round_open = false;
}

bool tern_hystart_active(const tern_hystart *h)
{
	return h->phase != TERN_HS_DONE;
}

void tern_hystart_stop(tern_hystart *h)
{
	h->phase = TERN_HS_DONE;
}

void tern_hystart_rtt(tern_hystart *h, tern_time rtt)
{
	if (h->phase == TERN_HS_DONE)
		return;
	/* held below TERN_HS_INF: a sample is never "none" */
	if (rtt > TERN_HS_INF - 1)
		rtt = TERN_HS_INF - 1;
	h->round_min = (uint32_t)min_time(h->round_min, rtt);
	if (h->samples < UINT16_MAX)
		h->samples++;
}

/* 4.2: cwnd += min(N, L * SMSS), divided by CSS_GROWTH_DIVISOR in CSS. */
static void grow(const tern_hystart *h, tern_cc_stat *s, uint32_t acked)
{
	uint64_t cap = (uint64_t)TERN_HS_L * s->mss;
	uint64_t inc = acked < cap ? acked : cap;
	if (h->phase == TERN_HS_CSS)
		inc /= TERN_HS_CSS_GROWTH_DIVISOR;
	uint64_t w = s->cwnd + inc;
	s->cwnd = w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

/* 4.2: the delay-increase test, RttThresh clamped to [4 ms, 16 ms] at an
 * eighth of the last round's minimum. */
static bool delay_increased(const tern_hystart *h)
{
	if (h->last_round_min == TERN_HS_INF)
		return false;
	tern_time thresh = h->last_round_min / TERN_HS_MIN_RTT_DIVISOR;
	thresh = max_time(TERN_HS_MIN_RTT_THRESH, min_time(thresh, TERN_HS_MAX_RTT_THRESH));
	return h->round_min >= (tern_time)h->last_round_min + thresh;
}

/* The per-ACK checks, once the round holds N_RTT_SAMPLE samples. */
static void check_delay(tern_hystart *h)
{
	if (h->samples < TERN_HS_N_RTT_SAMPLE || h->round_min == TERN_HS_INF)
		return;
	if (h->phase == TERN_HS_SLOW_START && delay_increased(h)) {
		h->css_baseline = h->round_min;
		h->phase = TERN_HS_CSS;
		/* the partial round CSS starts in counts toward CSS_ROUNDS */
		h->css_rounds = 0;
	} else if (h->phase == TERN_HS_CSS && h->round_min < h->css_baseline) {
		/* the RTT came back down: the exit was spurious */
		h->css_baseline = TERN_HS_INF;
		h->phase = TERN_HS_SLOW_START;
	}
}

/* The ACK point passed windowEnd: start the next round. Returns true when
 * that completes CSS_ROUNDS rounds of CSS. */
static bool next_round(tern_hystart *h, const tern_cc_stat *s)
{
	h->last_round_min = h->round_min;
	h->round_min = TERN_HS_INF;
	h->samples = 0;
	h->window_end = s->snd_max;
	if (h->phase != TERN_HS_CSS)
		return false;
	return ++h->css_rounds >= TERN_HS_CSS_ROUNDS;
}

bool tern_hystart_on_ack(tern_hystart *h, tern_cc_stat *s, uint32_t acked)
{
	if (h->phase == TERN_HS_DONE)
		return false;
	/* windowEnd starts at SND.NXT; the stat first carries it on an ACK */
	if (!h->round_open) {
		h->round_open = true;
		h->window_end = s->snd_max;
	}
	grow(h, s, acked);
	check_delay(h);
	if (!seq_geq(s->snd_una, h->window_end) || !next_round(h, s))
		return false;
	/* 4.2: CSS_ROUNDS rounds of CSS done; congestion avoidance */
	s->ssthresh = s->cwnd;
	h->phase = TERN_HS_DONE;
	return true;
}
