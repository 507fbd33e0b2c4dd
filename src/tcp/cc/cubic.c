/* cubic.c - CUBIC congestion control (RFC 9438), using HyStart++ (RFC 9406)
 * for the initial slow start.
 *
 * Windows are bytes, as RFC 9438 4.1 allows: segments_acked becomes
 * acked / SMSS and each formula is scaled by SMSS. All arithmetic is
 * integer and fixed-point, so a connection given the same inputs makes the
 * same decisions on every host. Fast recovery itself is RFC 6582's, as in
 * newreno.c (RFC 9438 4.2 leaves it unchanged); only ssthresh differs.
 *
 * Not done: the spurious-loss undo of RFC 9438 4.9 (MAY; the engine has
 * no detector to call it yet).
 */
#include <string.h>

#include "tcp/cc/cc_math.h"
#include "tcp/cc/cubic.h"

_Static_assert(sizeof(tern_cubic) <= TERN_CC_STATE_MAX, "cubic state exceeds the TCB's reserve");

/* RFC 9438's constants as ratios. */
#define BETA_NUM 7 /* beta_cubic = 0.7 (4.6) */
#define BETA_DEN 10
#define C_NUM 2 /* C = 0.4 segments / s^3 (4.1.1, 5) */
#define C_DEN 5
#define ALPHA_NUM 9 /* alpha_cubic = 3 (1 - beta) / (1 + beta) = 9/17 (4.3) */
#define ALPHA_DEN 17
#define FC_NUM 17 /* (1 + beta) / 2 = 0.85 (4.7) */
#define FC_DEN 20
/* 4.7: SHOULD implement; a stack cannot tell it is the path's only flow,
 * the case the RFC would have it off. */
#define FAST_CONVERGENCE true

/* The cube of a time offset must fit 64 bits: (2^21)^3 = 2^63. That is
 * 34 minutes from K, where the window is saturated for any real SMSS. */
#define TQ_MAX ((UINT64_C(1) << 21) - 1)

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* v * num / den for the ratios above (num < den: cannot overflow). */
static uint32_t scale(uint32_t v, uint32_t num, uint32_t den)
{
	return (uint32_t)((uint64_t)v * num / den);
}

static uint32_t segs(const tern_cc_stat *s, uint32_t k)
{
	return sat32((uint64_t)k * s->mss);
}

/* Floor of the cube root, one bit of the root per three bits of x, high
 * first: with the root so far doubled to y, setting the new low bit costs
 * (y+1)^3 - y^3 = 3y(y+1) + 1 in units of the current bit group. */
static uint64_t icbrt(uint64_t x)
{
	uint64_t y = 0;
	for (int shift = 63; shift >= 0; shift -= 3) {
		y <<= 1;
		uint64_t step = 3 * y * (y + 1) + 1;
		if ((x >> shift) >= step) {
			x -= step << shift;
			y++;
		}
	}
	return y;
}

/* Microseconds to 2^-TQ s, capped at TQ_MAX (2048 s). */
static uint64_t to_tq(tern_time us)
{
	if (us > TERN_SEC(4096)) /* keeps the shift below from overflowing */
		return TQ_MAX;
	uint64_t t = (us << TERN_CUBIC_TQ) / TERN_SEC(1);
	return t > TQ_MAX ? TQ_MAX : t;
}

/* RFC 9438 Figure 2: K = cbrt((W_max - cwnd_epoch) / C) seconds. In
 * 2^-10 s with the difference in bytes, K^3 = diff / SMSS * 2^30 * 5/2. */
static uint32_t cubic_k(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
	if (w_max <= cwnd_epoch || mss == 0)
		return 0;
	uint64_t num = (uint64_t)(w_max - cwnd_epoch) << (3 * TERN_CUBIC_TQ - 1);
	uint64_t q = num / mss, r = num % mss;
	uint64_t x = q > UINT64_MAX / 5 - 1 ? UINT64_MAX : q * 5 + r * 5 / mss;
	uint64_t k = icbrt(x);
	return (uint32_t)(k > TQ_MAX ? TQ_MAX : k);
}

/* C * d^3 for d in 2^-TQ s, in bytes (saturating). */
static uint32_t cube_bytes(uint64_t d, uint32_t mss)
{
	if (d > TQ_MAX)
		d = TQ_MAX;
	/* segments with TQ fractional bits: C d^3 / 2^(3 TQ) << TQ */
	uint64_t segs_q = (d * d * d >> (2 * TERN_CUBIC_TQ)) * C_NUM / C_DEN;
	uint64_t whole = segs_q >> TERN_CUBIC_TQ;
	uint64_t frac = segs_q & ((1u << TERN_CUBIC_TQ) - 1);
	if (mss && whole > UINT32_MAX / mss)
		return UINT32_MAX;
	return sat32(whole * mss + (frac * mss >> TERN_CUBIC_TQ));
}

/* RFC 9438 Figure 1: W_cubic(t) = C (t - K)^3 + W_max, t from t_epoch. */
static uint32_t w_cubic(const tern_cubic *c, tern_time t, uint32_t mss)
{
	uint64_t tq = to_tq(t);
	if (tq >= c->k)
		return add_sat(c->w_max, cube_bytes(tq - c->k, mss));
	uint32_t below = cube_bytes(c->k - tq, mss);
	return c->w_max > below ? c->w_max - below : 0;
}

static uint32_t w_est_bytes(const tern_cubic *c)
{
	return sat32(c->w_est >> TERN_CUBIC_EST_Q);
}

/* RFC 9438 5.8: no growth while application-limited (by the sender or the
 * receive window). Judged from what was in flight before this ACK,
 * FlightSize after it plus what it acknowledged: in congestion avoidance
 * the window must have been full to within a segment; in slow start half
 * of it suffices (RFC 7661's validated window), so a request/response
 * flow still opens its window. */
static bool cwnd_limited(const tern_cc_stat *s, uint32_t acked, bool slow_start)
{
	uint64_t pipe = (uint64_t)s->flight + acked;
	if (slow_start)
		return 2 * pipe >= s->cwnd;
	return pipe + s->mss > s->cwnd;
}

static tern_time rtt_of(const tern_cc_stat *s)
{
	return s->srtt ? s->srtt : s->min_rtt;
}

/* The start of a congestion-avoidance stage (RFC 9438 4.2, 4.3). */
static void epoch_begin(tern_cc_stat *s, tern_cubic *c)
{
	c->in_epoch = true;
	c->epoch_start = s->now;
	c->cwnd_epoch = s->cwnd;
	c->carry = 0;
	c->w_est = (uint64_t)s->cwnd << TERN_CUBIC_EST_Q;
	if (c->w_max > s->cwnd) {
		c->k = cubic_k(c->w_max, s->cwnd, s->mss);
		return;
	}
	/* 4.8 (after a timeout) and 4.10 (after HyStart++) set W_max to
	 * cwnd_epoch and K to 0; so does a window already past W_max, where
	 * Figure 2 has no real root. */
	c->w_max = s->cwnd;
	c->k = 0;
}

/* RFC 9438 Figure 4, in bytes: W_est += alpha * SMSS * acked / cwnd, with
 * alpha 1 once W_est reached cwnd_prior (Reno's own rate). */
static void reno_estimate(const tern_cc_stat *s, tern_cubic *c, uint32_t acked)
{
	bool reno = w_est_bytes(c) >= c->cwnd_prior;
	uint64_t an = reno ? 1 : ALPHA_NUM, ad = reno ? 1 : ALPHA_DEN;
	uint64_t num = (uint64_t)min_u32(acked, s->cwnd) * s->mss;
	uint64_t q = num / s->cwnd, r = num % s->cwnd;
	uint64_t inc = (q * an << TERN_CUBIC_EST_Q) + ((r * an << TERN_CUBIC_EST_Q) / s->cwnd);
	c->w_est += inc / ad;
}

/* RFC 9438 4.2: target = W_cubic(t + RTT), kept within [cwnd, 1.5 cwnd]. */
static uint32_t cubic_target(const tern_cc_stat *s, const tern_cubic *c, tern_time t)
{
	uint32_t w = w_cubic(c, t + rtt_of(s), s->mss);
	return max_u32(s->cwnd, min_u32(w, add_sat(s->cwnd, s->cwnd / 2)));
}

static void congestion_avoidance(tern_cc_stat *s, tern_cubic *c, uint32_t acked)
{
	if (s->cwnd == 0 || s->mss == 0)
		return; /* nothing to scale by; not a state the engine reaches */
	if (!c->in_epoch)
		epoch_begin(s, c);
	tern_time t = s->now > c->epoch_start ? s->now - c->epoch_start : 0;
	reno_estimate(s, c, acked);
	uint32_t est = w_est_bytes(c);
	if (w_cubic(c, t, s->mss) < est) {
		/* 4.3: the Reno-friendly region; cwnd follows W_est */
		s->cwnd = max_u32(s->cwnd, est);
		return;
	}
	/* 4.4, 4.5: concave and convex alike, (target - cwnd) / cwnd per
	 * segment acknowledged; the remainder carries to the next ACK */
	uint32_t target = cubic_target(s, c, t);
	uint64_t num = (uint64_t)(target - s->cwnd) * acked + c->carry;
	uint64_t inc = num / s->cwnd;
	c->carry = (uint32_t)(num % s->cwnd);
	s->cwnd = (uint32_t)(s->cwnd + inc > target ? target : s->cwnd + inc);
}

static void slow_start(tern_cc_stat *s, tern_cubic *c, uint32_t acked)
{
	/* RFC 9406 4.3: HyStart++ for the initial slow start only */
	if (tern_hystart_active(&c->hs) && s->ssthresh == UINT32_MAX) {
		if (tern_hystart_on_ack(&c->hs, s, acked)) {
			/* RFC 9438 4.10: no loss, so no W_max; the epoch
			 * takes W_max = cwnd_epoch and K = 0 */
			c->cwnd_prior = s->cwnd;
			c->w_max = 0;
			c->in_epoch = false;
		}
		return;
	}
	/* RFC 5681 3.1 eq. (2) as in newreno.c, stopping at ssthresh so the
	 * epoch's cwnd_epoch is the threshold itself */
	s->cwnd = min_u32(add_sat(s->cwnd, min_u32(acked, s->mss)), max_u32(s->ssthresh, s->cwnd));
}

static void cubic_init(tern_cc_stat *s, void *state)
{
	tern_cubic *c = state;
	memset(c, 0, sizeof *c);
	tern_hystart_init(&c->hs);
	s->cwnd = tern_cc_initial_window(s->mss);
	s->ssthresh = UINT32_MAX;
}

static void cubic_on_ack(tern_cc_stat *s, void *state, uint32_t acked)
{
	tern_cubic *c = state;
	c->after_rto = false;
	bool ss = s->cwnd < s->ssthresh;
	bool limited = cwnd_limited(s, acked, ss);
	if (ss)
		slow_start(s, c, limited ? acked : 0);
	else if (limited)
		congestion_avoidance(s, c, acked);
	else if (c->in_epoch && s->now > c->last_ack)
		/* 5.8 and 4.2: t excludes the time the window was not in
		 * use, so W_cubic does not jump when the sender resumes */
		c->epoch_start += s->now - c->last_ack;
	c->last_ack = s->now;
}

/* RFC 9438 4.7 and 4.6 (Figure 5), shared by every congestion event:
 * update W_max, remember cwnd_prior, end the epoch. Returns
 * flight_size * beta_cubic, before the 2-SMSS floor of ssthresh. */
static uint32_t reduce(tern_cc_stat *s, tern_cubic *c)
{
	/* RFC 9406 4.2: a congestion signal ends HyStart++; its
	 * ssthresh = cwnd gives way to CUBIC's own decrease */
	tern_hystart_stop(&c->hs);
	if (FAST_CONVERGENCE && s->cwnd < c->w_max)
		c->w_max = scale(s->cwnd, FC_NUM, FC_DEN);
	else
		c->w_max = s->cwnd;
	c->cwnd_prior = s->cwnd;
	c->in_epoch = false;
	/* 4.6: from FlightSize, not cwnd, so an application-limited
	 * window is not taken for the path's */
	uint32_t beta = scale(s->flight, BETA_NUM, BETA_DEN);
	s->ssthresh = max_u32(beta, segs(s, 2));
	return beta;
}

static void cubic_on_recovery_enter(tern_cc_stat *s, void *state)
{
	tern_cubic *c = state;
	c->after_rto = false;
	reduce(s, c);
	/* RFC 5681 3.2 step 3 (entered by RFC 6582 3.2 step 2): inflate by
	 * the three segments the duplicate ACKs stand for */
	s->cwnd = add_sat(s->ssthresh, segs(s, 3));
}

static void cubic_on_recovery_exit(tern_cc_stat *s, void *state)
{
	tern_cubic *c = state;
	/* RFC 6582 3.2 step 3, full ACK: option (2), cwnd = ssthresh, for
	 * newreno.c's reasons; the next ACK starts the epoch from here */
	c->in_epoch = false;
	s->cwnd = max_u32(s->ssthresh, s->mss);
}

static void cubic_on_rto(tern_cc_stat *s, void *state)
{
	tern_cubic *c = state;
	tern_hystart_stop(&c->hs);
	/* RFC 9438 4.8: Reno's loss window, beta_cubic's ssthresh. As in
	 * RFC 5681 3.1, only the first timeout of a segment sets ssthresh. */
	if (!c->after_rto) {
		c->cwnd_prior = s->cwnd;
		s->ssthresh = max_u32(scale(s->flight, BETA_NUM, BETA_DEN), segs(s, 2));
		/* 4.8: the next epoch uses W_max = cwnd_epoch and K = 0 */
		c->w_max = 0;
	}
	c->after_rto = true;
	c->in_epoch = false;
	s->cwnd = s->mss;
}

static void cubic_on_idle_restart(tern_cc_stat *s, void *state, tern_time idle, tern_time rto)
{
	tern_cubic *c = state;
	if (idle > rto) {
		/* RFC 5681 4.1: restart from min(IW, cwnd); a fresh epoch
		 * once the window is back at ssthresh */
		s->cwnd = min_u32(s->cwnd, tern_cc_initial_window(s->mss));
		c->in_epoch = false;
	} else if (c->in_epoch && s->now > c->last_ack) {
		/* RFC 9438 5.8: an idle period is not part of t */
		c->epoch_start += s->now - c->last_ack;
	}
	c->last_ack = s->now;
}

static void cubic_on_rtt_sample(tern_cc_stat *s, void *state, tern_time rtt)
{
	tern_cubic *c = state;
	(void)s;
	tern_hystart_rtt(&c->hs, rtt);
}

static void cubic_on_ecn(tern_cc_stat *s, void *state)
{
	tern_cubic *c = state;
	c->after_rto = false;
	uint32_t beta = reduce(s, c);
	/* RFC 9438 Figure 5: on ECE cwnd may go down to one SMSS (and
	 * never rises on a congestion signal) */
	s->cwnd = min_u32(s->cwnd, max_u32(beta, s->mss));
}

const tern_cc_ops tern_cc_cubic = {
    .name = "cubic",
    .state_size = sizeof(tern_cubic),
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .on_recovery_enter = cubic_on_recovery_enter,
    .on_recovery_dupack = tern_cc_reno_recovery_dupack,   /* RFC 9438 4.2: fast recovery is Reno's */
    .on_recovery_partial = tern_cc_reno_recovery_partial,
    .on_recovery_exit = cubic_on_recovery_exit,
    .on_rto = cubic_on_rto,
    .on_idle_restart = cubic_on_idle_restart,
    .on_rtt_sample = cubic_on_rtt_sample,
    .on_ecn = cubic_on_ecn,
};
