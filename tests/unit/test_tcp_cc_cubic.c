/* test_tcp_cc_cubic.c - CUBIC (RFC 9438) and HyStart++ (RFC 9406) driven
 * through tern_cc_ops by a small simulated sender: the window stays full
 * (unless a test says otherwise), every segment is ACKed one RTT after the
 * window that carried it, sequence numbers and FlightSize advance as the
 * engine would report them. */
#include <stdint.h>
#include <string.h>

#include "tcp/cc/cubic.h"
#include "tcp/tcp_cc.h"
#include "tt.h"

#define MSS 1000u

typedef struct sim {
	tern_cc_stat s;
	_Alignas(max_align_t) unsigned char state[TERN_CC_STATE_MAX];
	const tern_cc_ops *ops;
	tern_time sample; /* RTT sample handed in with each ACK; 0 = none */
	uint32_t app;     /* when nonzero, the application keeps only this much in flight */
} sim;

static tern_cubic *cub(sim *m)
{
	return (tern_cubic *)(void *)m->state;
}

/* What the sender transmits after an ACK: the window, or what the
 * application has. */
static void refill(sim *m)
{
	uint32_t w = m->app && m->app < m->s.cwnd ? m->app : m->s.cwnd;
	uint32_t flight = m->s.snd_max - m->s.snd_una;
	if (flight < w)
		m->s.snd_max = m->s.snd_una + w;
	m->s.flight = m->s.snd_max - m->s.snd_una;
}

static void start(sim *m, uint32_t mss)
{
	memset(m, 0, sizeof *m);
	m->ops = &tern_cc_cubic;
	m->s.mss = mss;
	m->s.snd_una = m->s.snd_max = 1000001;
	m->s.now = TERN_SEC(100);
	m->ops->init(&m->s, m->state);
	refill(m);
}

/* One ACK of `bytes`, as new_ack() reports it: the stat synced after
 * SND.UNA moved, the RTT sample first, then on_ack; the sender refills. */
static void ack(sim *m, uint32_t bytes)
{
	m->s.snd_una += bytes;
	m->s.flight = m->s.snd_max - m->s.snd_una;
	if (m->sample)
		m->ops->on_rtt_sample(&m->s, m->state, m->sample);
	m->ops->on_ack(&m->s, m->state, bytes);
	refill(m);
}

/* One round trip of length rtt: what is in flight at its start comes back
 * a segment at a time, evenly spread. */
static void round_trip(sim *m, tern_time rtt)
{
	uint32_t n = m->s.flight / m->s.mss;
	tern_time t0 = m->s.now;
	if (n == 0)
		n = 1;
	for (uint32_t i = 1; i <= n; i++) {
		m->s.now = t0 + rtt * i / n;
		ack(m, m->s.mss);
	}
}

/* Put the connection in congestion avoidance after a loss at `cwnd`
 * (a full window in flight): recovery in, and out with everything that
 * was outstanding acknowledged. */
static void loss_at(sim *m, uint32_t cwnd)
{
	m->s.cwnd = cwnd;
	m->s.snd_max = m->s.snd_una;
	refill(m);
	m->ops->on_recovery_enter(&m->s, m->state);
	m->s.snd_una = m->s.snd_max;
	m->s.flight = 0;
	m->ops->on_recovery_exit(&m->s, m->state);
	refill(m);
}

static double cbrt_ref(double a)
{
	double x = a > 1 ? a / 3 : 1;
	for (int i = 0; i < 200; i++)
		x -= (x * x * x - a) / (3 * x * x);
	return x;
}

/* RFC 9438 Figure 1 in segments, t in seconds. */
static double w_cubic_ref(double t, double k, double w_max)
{
	return 0.4 * (t - k) * (t - k) * (t - k) + w_max;
}

static double absd(double x)
{
	return x < 0 ? -x : x;
}

/* ---- CUBIC (RFC 9438) ------------------------------------------------------ */

TT_TEST(test_cubic_init_sets_iw_high_ssthresh_and_fits_the_tcb_reserve)
{
	sim m;
	start(&m, 1460);
	TT_EQ(m.s.cwnd, 4380);
	TT_EQ(m.s.ssthresh, UINT32_MAX);
	TT_CHECK(tern_cc_cubic.state_size <= TERN_CC_STATE_MAX);
	TT_CHECK(sizeof(tern_cubic) == tern_cc_cubic.state_size);
	TT_EQ(cub(&m)->hs.phase, TERN_HS_SLOW_START);
}

TT_TEST(test_cubic_k_matches_rfc9438_figure2_within_one_ms)
{
	static const struct {
		uint32_t mss, w_max_segs;
	} cases[] = {{1000, 100}, {1460, 1000}, {536, 37}, {9000, 20000}, {1000, 3}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sim m;
		uint32_t mss = cases[i].mss, w = cases[i].w_max_segs * mss;
		start(&m, mss);
		loss_at(&m, w);
		uint32_t epoch = m.s.cwnd; /* 0.7 FlightSize */
		ack(&m, mss);              /* the first ACK starts the epoch */
		TT_EQ(cub(&m)->cwnd_epoch, epoch);
		TT_EQ(cub(&m)->w_max, w);
		double k = cbrt_ref(((double)w - epoch) / mss / 0.4);
		double k_tq = cub(&m)->k / 1024.0;
		TT_CHECK(absd(k_tq - k) <= 0.001);
	}
}

TT_TEST(test_cubic_k_saturates_without_overflow_for_extreme_windows)
{
	sim m;
	start(&m, 1);
	loss_at(&m, UINT32_MAX);
	ack(&m, 1);
	/* (W_max - cwnd_epoch) / C = 3.2e9 s^3 -> K ~ 1474 s, within range */
	double k = cbrt_ref((UINT32_MAX - (double)cub(&m)->cwnd_epoch) / 0.4);
	TT_CHECK(absd(cub(&m)->k / 1024.0 - k) <= 0.001);
	/* far past K the window saturates rather than wraps */
	m.s.srtt = TERN_SEC(1);
	m.s.now += TERN_SEC(100000);
	ack(&m, 1);
	TT_CHECK(m.s.cwnd >= cub(&m)->cwnd_epoch);
}

TT_TEST(test_cubic_window_follows_rfc9438_curve_through_concave_and_convex_regions)
{
	/* W_max 1000 segments, RTT 100 ms: a large BDP, so W_cubic dominates
	 * the Reno estimate. After the loss the epoch starts at 700 segments;
	 * K = cbrt(300 / 0.4) = 9.09 s. Measured at the end of each RTT, cwnd
	 * stays within 1 segment of W_cubic(t) (0.1% of W_max; it is within
	 * 0.15 in practice: the per-ACK steps toward W_cubic(t + RTT) make up
	 * the RTT of lag). */
	sim m;
	const tern_time rtt = TERN_MS(100);
	start(&m, MSS);
	m.s.srtt = rtt;
	loss_at(&m, 1000 * MSS);
	TT_EQ(m.s.ssthresh, 700 * MSS);
	double k = cbrt_ref(300 / 0.4);
	bool crossed = false;
	for (int r = 0; r < 160; r++) {
		round_trip(&m, rtt);
		double t = (double)(m.s.now - cub(&m)->epoch_start) / 1e6;
		double want = w_cubic_ref(t, k, 1000);
		double got = (double)m.s.cwnd / MSS;
		if (absd(got - want) > 1) {
			fprintf(stderr, "  round %d t %.3f: cwnd %.2f, W_cubic %.2f\n", r, t, got, want);
			TT_CHECK(0);
		}
		/* concave below W_max, convex above it */
		if (t < k - 0.2)
			TT_CHECK(m.s.cwnd < 1000 * MSS);
		if (t > k + 0.5)
			crossed = true;
	}
	TT_CHECK(crossed);
	TT_CHECK(m.s.cwnd > 1100 * MSS); /* t = 16 s: 0.4 * 6.9^3 = 131 above */
}

TT_TEST(test_cubic_concave_growth_slows_as_the_window_nears_w_max)
{
	sim m;
	const tern_time rtt = TERN_MS(100);
	start(&m, MSS);
	m.s.srtt = rtt;
	loss_at(&m, 1000 * MSS);
	uint32_t prev = m.s.cwnd, first_gain = 0, last_gain = 0;
	for (int r = 0; r < 80; r++) {
		round_trip(&m, rtt);
		uint32_t gain = m.s.cwnd - prev;
		prev = m.s.cwnd;
		if (r == 0)
			first_gain = gain;
		last_gain = gain;
	}
	/* 8 s in: the plateau is near (K = 9.09 s) */
	TT_CHECK(first_gain > 5 * last_gain);
	TT_CHECK(m.s.cwnd < 1000 * MSS);
	TT_CHECK(m.s.cwnd > 990 * MSS);
}

TT_TEST(test_cubic_target_never_exceeds_one_and_a_half_cwnd_per_rtt)
{
	/* long past K, W_cubic(t + RTT) is far above cwnd: RFC 9438 4.2's cap
	 * holds the round's growth to half the window */
	sim m;
	const tern_time rtt = TERN_MS(100);
	start(&m, MSS);
	m.s.srtt = rtt;
	loss_at(&m, 100 * MSS);
	ack(&m, MSS); /* epoch starts */
	m.s.now += TERN_SEC(60);
	uint32_t before = m.s.cwnd;
	round_trip(&m, rtt);
	TT_CHECK(m.s.cwnd > before + before / 4);
	TT_CHECK(m.s.cwnd <= before + before / 2 + MSS);
}

TT_TEST(test_cubic_loss_sets_ssthresh_to_0_7_flight_and_w_max_to_cwnd)
{
	sim m;
	start(&m, MSS);
	m.s.cwnd = 100 * MSS;
	refill(&m);
	m.ops->on_recovery_enter(&m.s, m.state);
	TT_EQ(m.s.ssthresh, 70 * MSS);
	TT_EQ(m.s.cwnd, 73 * MSS); /* RFC 6582 inflation by three segments */
	TT_EQ(cub(&m)->w_max, 100 * MSS);
	TT_EQ(cub(&m)->cwnd_prior, 100 * MSS);
	/* ssthresh comes from FlightSize, not cwnd (RFC 9438 4.6) */
	start(&m, MSS);
	m.s.cwnd = 100 * MSS;
	m.s.flight = 40 * MSS;
	m.ops->on_recovery_enter(&m.s, m.state);
	TT_EQ(m.s.ssthresh, 28 * MSS);
	/* and never below 2 SMSS */
	start(&m, MSS);
	m.s.flight = 2 * MSS;
	m.ops->on_recovery_enter(&m.s, m.state);
	TT_EQ(m.s.ssthresh, 2 * MSS);
}

TT_TEST(test_cubic_fast_convergence_lowers_w_max_below_a_shrinking_peak)
{
	sim m;
	start(&m, MSS);
	loss_at(&m, 100 * MSS);
	TT_EQ(cub(&m)->w_max, 100 * MSS);
	/* the next loss comes before cwnd regained W_max: W_max = 0.85 cwnd */
	loss_at(&m, 80 * MSS);
	TT_EQ(cub(&m)->w_max, 68 * MSS);
	TT_EQ(m.s.ssthresh, 56 * MSS);
	TT_EQ(cub(&m)->cwnd_prior, 80 * MSS);
	/* a loss above W_max remembers cwnd itself */
	loss_at(&m, 90 * MSS);
	TT_EQ(cub(&m)->w_max, 90 * MSS);
}

TT_TEST(test_cubic_recovery_inflates_deflates_and_exits_at_ssthresh)
{
	sim m;
	start(&m, MSS);
	m.s.cwnd = 20 * MSS;
	refill(&m);
	m.ops->on_recovery_enter(&m.s, m.state);
	TT_EQ(m.s.ssthresh, 14 * MSS);
	TT_EQ(m.s.cwnd, 17 * MSS);
	m.ops->on_recovery_dupack(&m.s, m.state);
	m.ops->on_recovery_dupack(&m.s, m.state);
	TT_EQ(m.s.cwnd, 19 * MSS);
	m.ops->on_recovery_partial(&m.s, m.state, 4 * MSS);
	TT_EQ(m.s.cwnd, 16 * MSS);
	m.ops->on_recovery_partial(&m.s, m.state, 100 * MSS);
	TT_EQ(m.s.cwnd, MSS);
	m.ops->on_recovery_exit(&m.s, m.state);
	TT_EQ(m.s.cwnd, 14 * MSS);
	TT_EQ(m.s.ssthresh, 14 * MSS);
}

TT_TEST(test_cubic_reno_friendly_region_dominates_at_small_bdp)
{
	/* 1 ms RTT, 20-segment window: K = cbrt(6 / 0.4) = 2.47 s, so in 20
	 * ms W_cubic barely moves while W_est adds alpha = 9/17 segment per
	 * RTT (RFC 9438 4.3) */
	sim m;
	const tern_time rtt = TERN_MS(1);
	start(&m, MSS);
	m.s.srtt = rtt;
	loss_at(&m, 20 * MSS);
	TT_EQ(m.s.cwnd, 14 * MSS);
	for (int r = 0; r < 10; r++)
		round_trip(&m, rtt);
	/* 14 + 10 * 9/17 = 19.3 segments; W_cubic(10 ms) is ~14.0 */
	TT_CHECK(m.s.cwnd >= 19 * MSS && m.s.cwnd <= 19 * MSS + 600);
	TT_CHECK(m.s.cwnd == (uint32_t)(cub(&m)->w_est >> TERN_CUBIC_EST_Q));
	/* past cwnd_prior (20 segments) alpha is 1: one segment per RTT */
	for (int r = 0; r < 10; r++)
		round_trip(&m, rtt);
	uint32_t before = m.s.cwnd;
	for (int r = 0; r < 10; r++)
		round_trip(&m, rtt);
	TT_CHECK(m.s.cwnd >= before + 9 * MSS && m.s.cwnd <= before + 11 * MSS);
}

TT_TEST(test_cubic_rto_sets_loss_window_and_restarts_the_epoch_with_k_zero)
{
	sim m;
	const tern_time rtt = TERN_MS(50);
	start(&m, MSS);
	m.s.srtt = rtt;
	loss_at(&m, 100 * MSS);
	round_trip(&m, rtt);
	TT_CHECK(cub(&m)->in_epoch);
	m.s.flight = 60 * MSS;
	m.ops->on_rto(&m.s, m.state);
	TT_EQ(m.s.cwnd, MSS);
	TT_EQ(m.s.ssthresh, 42 * MSS);
	TT_CHECK(!cub(&m)->in_epoch);
	/* a second timeout of the same segment holds ssthresh */
	m.s.flight = MSS;
	m.ops->on_rto(&m.s, m.state);
	TT_EQ(m.s.ssthresh, 42 * MSS);
	TT_EQ(m.s.cwnd, MSS);
	/* standard slow start (no HyStart++), one SMSS per ACK, up to ssthresh;
	 * go-back-N resent three segments, and one ACK covers them */
	m.s.snd_max = m.s.snd_una + 3 * MSS;
	refill(&m);
	ack(&m, 3 * MSS);
	TT_EQ(m.s.cwnd, 2 * MSS);
	TT_EQ(cub(&m)->hs.phase, TERN_HS_DONE);
	for (int i = 0; i < 100 && m.s.cwnd < m.s.ssthresh; i++) {
		m.s.now += TERN_MS(1);
		ack(&m, MSS);
	}
	TT_EQ(m.s.cwnd, 42 * MSS);
	/* RFC 9438 4.8: the first epoch after it has K = 0, W_max = cwnd_epoch */
	ack(&m, MSS);
	TT_CHECK(cub(&m)->in_epoch);
	TT_EQ(cub(&m)->k, 0);
	TT_EQ(cub(&m)->w_max, 42 * MSS);
	TT_EQ(cub(&m)->cwnd_epoch, 42 * MSS);
}

TT_TEST(test_cubic_does_not_grow_or_age_the_epoch_while_application_limited)
{
	/* RFC 9438 5.8: two flows, one of which spends 10 s sending only a
	 * tenth of its window; afterwards both windows agree */
	sim a, b;
	const tern_time rtt = TERN_MS(100);
	start(&a, MSS);
	start(&b, MSS);
	a.s.srtt = b.s.srtt = rtt;
	loss_at(&a, 500 * MSS);
	loss_at(&b, 500 * MSS);
	for (int r = 0; r < 20; r++) {
		round_trip(&a, rtt);
		round_trip(&b, rtt);
	}
	a.app = a.s.cwnd / 10;
	round_trip(&a, rtt); /* the full window already sent drains */
	uint32_t held = a.s.cwnd;
	for (int r = 0; r < 100; r++)
		round_trip(&a, rtt);
	TT_EQ(a.s.cwnd, held);
	a.app = 0;
	refill(&a);
	for (int r = 0; r < 20; r++) {
		round_trip(&a, rtt);
		round_trip(&b, rtt);
	}
	uint32_t d = a.s.cwnd > b.s.cwnd ? a.s.cwnd - b.s.cwnd : b.s.cwnd - a.s.cwnd;
	TT_CHECK(d <= 5 * MSS);
}

TT_TEST(test_cubic_slow_start_grows_only_when_half_the_window_is_used)
{
	sim m;
	start(&m, MSS);
	m.s.cwnd = 20 * MSS;
	m.s.ssthresh = 40 * MSS;
	m.app = 9 * MSS; /* under half the window: no growth */
	refill(&m);
	round_trip(&m, TERN_MS(10));
	TT_EQ(m.s.cwnd, 20 * MSS);
	m.app = 10 * MSS;
	refill(&m);
	ack(&m, MSS);
	TT_EQ(m.s.cwnd, 21 * MSS);
}

TT_TEST(test_cubic_short_idle_is_excluded_from_t_and_long_idle_restarts_from_iw)
{
	sim m;
	const tern_time rtt = TERN_MS(100);
	start(&m, MSS);
	m.s.srtt = rtt;
	loss_at(&m, 200 * MSS);
	round_trip(&m, rtt);
	tern_time epoch = cub(&m)->epoch_start;
	uint32_t cwnd = m.s.cwnd;
	m.s.now += TERN_MS(500);
	m.ops->on_idle_restart(&m.s, m.state, TERN_MS(500), TERN_SEC(1));
	TT_EQ(cub(&m)->epoch_start, epoch + TERN_MS(500));
	TT_EQ(m.s.cwnd, cwnd);
	m.s.now += TERN_SEC(3);
	m.ops->on_idle_restart(&m.s, m.state, TERN_SEC(3), TERN_SEC(1));
	TT_EQ(m.s.cwnd, 4 * MSS); /* RFC 5681 4.1: min(IW, cwnd) */
	TT_CHECK(!cub(&m)->in_epoch);
	TT_EQ(m.s.ssthresh, 140 * MSS);
}

TT_TEST(test_cubic_ecn_echo_reduces_without_inflation_down_to_one_smss)
{
	sim m;
	start(&m, MSS);
	m.s.cwnd = 50 * MSS;
	refill(&m);
	m.ops->on_ecn(&m.s, m.state);
	TT_EQ(m.s.ssthresh, 35 * MSS);
	TT_EQ(m.s.cwnd, 35 * MSS);
	TT_EQ(cub(&m)->w_max, 50 * MSS);
	TT_EQ(cub(&m)->hs.phase, TERN_HS_DONE);
	/* RFC 9438 Figure 5: cwnd may reach 1 SMSS on ECE, ssthresh stays >= 2 */
	m.s.cwnd = 2 * MSS;
	m.s.flight = MSS;
	m.ops->on_ecn(&m.s, m.state);
	TT_EQ(m.s.cwnd, MSS);
	TT_EQ(m.s.ssthresh, 2 * MSS);
}

TT_TEST(test_cubic_growth_saturates_instead_of_wrapping)
{
	sim m;
	start(&m, MSS);
	m.s.cwnd = UINT32_MAX - 10;
	m.s.flight = UINT32_MAX - 10 - MSS;
	m.ops->on_ack(&m.s, m.state, MSS); /* HyStart++ slow start */
	TT_EQ(m.s.cwnd, UINT32_MAX);
	m.s.ssthresh = 10 * MSS;
	m.s.srtt = TERN_SEC(1);
	m.ops->on_ack(&m.s, m.state, MSS);
	m.s.now += TERN_SEC(1000);
	m.ops->on_ack(&m.s, m.state, MSS);
	TT_EQ(m.s.cwnd, UINT32_MAX);
}

/* ---- HyStart++ (RFC 9406) ---------------------------------------------- */

/* Slow start at a 50 ms base RTT, with `base_rounds` rounds at the base,
 * then the RTT at `high`, until CSS starts (or `limit` rounds pass). */
static int until_css(sim *m, int base_rounds, tern_time high, int limit)
{
	const tern_time base = TERN_MS(50);
	start(m, MSS);
	m->s.srtt = base;
	m->sample = base;
	for (int r = 0; r < base_rounds; r++) {
		round_trip(m, base);
		if (cub(m)->hs.phase != TERN_HS_SLOW_START)
			return -1;
	}
	m->sample = high;
	for (int r = 0; r < limit; r++) {
		round_trip(m, high);
		if (cub(m)->hs.phase == TERN_HS_CSS)
			return r;
	}
	return -1;
}

TT_TEST(test_hystart_leaves_slow_start_for_css_when_rtt_rises_by_the_threshold)
{
	/* RttThresh = clamp(50 / 8, 4, 16) = 6.25 ms */
	sim m;
	TT_CHECK(until_css(&m, 4, TERN_MS(57), 3) >= 0);
	TT_EQ(cub(&m)->hs.css_baseline, TERN_MS(57));
	TT_EQ(m.s.ssthresh, UINT32_MAX);
	/* a rise under the threshold does not */
	TT_EQ(until_css(&m, 4, TERN_MS(56), 3), -1);
	TT_EQ(cub(&m)->hs.phase, TERN_HS_SLOW_START);
}

TT_TEST(test_hystart_threshold_is_clamped_between_min_and_max_rtt_thresh)
{
	/* base 200 ms: 200 / 8 = 25 ms, clamped to MAX_RTT_THRESH 16 ms */
	sim m;
	const tern_time base = TERN_MS(200);
	for (int pass = 0; pass < 2; pass++) {
		tern_time high = base + TERN_MS(pass ? 16 : 15);
		start(&m, MSS);
		m.sample = base;
		for (int r = 0; r < 4; r++)
			round_trip(&m, base);
		m.sample = high;
		for (int r = 0; r < 2; r++)
			round_trip(&m, high);
		TT_EQ(cub(&m)->hs.phase, pass ? TERN_HS_CSS : TERN_HS_SLOW_START);
	}
	/* base 10 ms: 10 / 8 = 1.25 ms, raised to MIN_RTT_THRESH 4 ms */
	for (int pass = 0; pass < 2; pass++) {
		const tern_time lo = TERN_MS(10);
		tern_time high = lo + (pass ? TERN_MS(4) : TERN_MS(4) - 1);
		start(&m, MSS);
		m.sample = lo;
		for (int r = 0; r < 4; r++)
			round_trip(&m, lo);
		m.sample = high;
		for (int r = 0; r < 2; r++)
			round_trip(&m, high);
		TT_EQ(cub(&m)->hs.phase, pass ? TERN_HS_CSS : TERN_HS_SLOW_START);
	}
}

TT_TEST(test_hystart_css_grows_a_quarter_as_fast_then_enters_avoidance_with_ssthresh_cwnd)
{
	sim m;
	const tern_time high = TERN_MS(60);
	TT_CHECK(until_css(&m, 4, high, 3) >= 0);
	/* in CSS each ACK adds a quarter of what it acknowledges */
	uint32_t before = m.s.cwnd;
	ack(&m, MSS);
	TT_EQ(m.s.cwnd, before + MSS / 4);
	/* CSS_ROUNDS (5) rounds, the partial one it began in included */
	tern_time entered = m.s.now;
	for (int i = 0; i < 100000 && cub(&m)->hs.phase == TERN_HS_CSS; i++) {
		m.s.now += high / (m.s.flight / MSS);
		ack(&m, MSS);
	}
	TT_EQ(cub(&m)->hs.phase, TERN_HS_DONE);
	TT_EQ(cub(&m)->hs.css_rounds, TERN_HS_CSS_ROUNDS);
	TT_CHECK(m.s.now - entered >= 4 * high && m.s.now - entered <= 6 * high);
	TT_EQ(m.s.ssthresh, m.s.cwnd);
	TT_EQ(cub(&m)->cwnd_prior, m.s.cwnd);
	/* RFC 9438 4.10: the first epoch has W_max = cwnd_epoch and K = 0 */
	uint32_t w = m.s.cwnd;
	ack(&m, MSS);
	TT_CHECK(cub(&m)->in_epoch);
	TT_EQ(cub(&m)->k, 0);
	TT_EQ(cub(&m)->w_max, w);
}

TT_TEST(test_hystart_returns_to_slow_start_when_rtt_falls_back_in_css)
{
	sim m;
	const tern_time base = TERN_MS(50);
	TT_CHECK(until_css(&m, 4, TERN_MS(60), 3) >= 0);
	m.sample = base;
	round_trip(&m, base);
	round_trip(&m, base);
	TT_EQ(cub(&m)->hs.phase, TERN_HS_SLOW_START);
	TT_EQ(cub(&m)->hs.css_baseline, TERN_HS_INF);
	/* full slow-start growth again: one SMSS per SMSS acknowledged */
	uint32_t before = m.s.cwnd;
	ack(&m, MSS);
	TT_EQ(m.s.cwnd, before + MSS);
}

TT_TEST(test_hystart_needs_n_rtt_sample_samples_in_a_round)
{
	/* the initial window gives four ACKs a round: a rise seen by only
	 * those is not enough to leave slow start */
	sim m;
	start(&m, MSS);
	m.sample = TERN_MS(50);
	round_trip(&m, TERN_MS(50));
	m.sample = TERN_MS(100);
	for (int i = 0; i < 4; i++)
		ack(&m, MSS);
	TT_EQ(cub(&m)->hs.phase, TERN_HS_SLOW_START);
}

TT_TEST(test_hystart_slow_start_limits_a_stretch_ack_to_l_segments)
{
	sim m;
	start(&m, MSS);
	m.s.cwnd = 40 * MSS;
	refill(&m);
	ack(&m, 20 * MSS);
	TT_EQ(m.s.cwnd, 48 * MSS); /* L = 8 (RFC 9406 4.3, unpaced) */
}

TT_TEST(test_hystart_without_sequence_numbers_never_leaves_slow_start_early)
{
	/* an engine that leaves snd_una/snd_max at 0 closes a round on every
	 * ACK: HyStart++ then degrades to standard slow start */
	sim m;
	start(&m, MSS);
	for (int r = 0; r < 8; r++) {
		m.sample = TERN_MS(50 + 20 * r);
		uint32_t n = m.s.cwnd / MSS;
		for (uint32_t i = 0; i < n; i++) {
			m.s.snd_una = m.s.snd_max = 0;
			m.s.flight = m.s.cwnd - MSS;
			m.ops->on_rtt_sample(&m.s, m.state, m.sample);
			m.ops->on_ack(&m.s, m.state, MSS);
		}
	}
	TT_EQ(cub(&m)->hs.phase, TERN_HS_SLOW_START);
	TT_EQ(m.s.cwnd, 4u * MSS << 8);
}

TT_TEST(test_hystart_ends_on_loss_and_cubic_decrease_applies)
{
	sim m;
	TT_CHECK(until_css(&m, 4, TERN_MS(60), 3) >= 0);
	uint32_t w = m.s.cwnd;
	m.ops->on_recovery_enter(&m.s, m.state);
	TT_EQ(cub(&m)->hs.phase, TERN_HS_DONE);
	TT_EQ(m.s.ssthresh, (uint32_t)((uint64_t)m.s.flight * 7 / 10));
	TT_EQ(cub(&m)->w_max, w);
	m.ops->on_recovery_exit(&m.s, m.state);
	/* later slow starts (after an RTO) are standard ones */
	m.ops->on_rto(&m.s, m.state);
	TT_EQ(cub(&m)->hs.phase, TERN_HS_DONE);
}

/* ---- both ------------------------------------------------------------------ */

/* A whole life over a bottleneck of 200 segments' BDP with as much
 * buffer: the RTT grows with the queue, the buffer overflowing is a loss.
 * HyStart++, CSS, avoidance, losses, an RTO, application-limited
 * stretches. Returns a hash of every cwnd and ssthresh. */
static uint64_t life(sim *m)
{
	const uint32_t mss = 1448, bdp = 200 * mss;
	const tern_time base = TERN_MS(40);
	uint64_t h = 1469598103934665603u;
	start(m, mss);
	for (int r = 0; r < 300; r++) {
		uint32_t queue = m->s.flight > bdp ? m->s.flight - bdp : 0;
		tern_time rtt = base + base * queue / bdp + (tern_time)(r % 3) * 100;
		m->s.srtt = rtt;
		m->sample = rtt;
		m->app = (r / 50) % 4 == 3 ? m->s.cwnd / 3 : 0;
		if (m->s.flight > 2 * bdp) {
			m->ops->on_recovery_enter(&m->s, m->state);
			m->ops->on_recovery_dupack(&m->s, m->state);
			m->ops->on_recovery_partial(&m->s, m->state, 3 * mss);
			m->ops->on_recovery_exit(&m->s, m->state);
			m->s.snd_una = m->s.snd_max;
			m->s.now += rtt;
		} else {
			round_trip(m, rtt);
		}
		if (r == 250)
			m->ops->on_rto(&m->s, m->state);
		refill(m);
		h = (h ^ m->s.cwnd) * 1099511628211u;
		h = (h ^ m->s.ssthresh) * 1099511628211u;
	}
	return h;
}

TT_TEST(test_cubic_is_deterministic_same_inputs_same_windows_and_state)
{
	static sim a, b;
	uint64_t ha = life(&a), hb = life(&b);
	TT_CHECK(ha == hb);
	TT_CHECK(a.s.cwnd == b.s.cwnd && a.s.ssthresh == b.s.ssthresh);
	TT_CHECK(memcmp(a.state, b.state, sizeof(tern_cubic)) == 0);
	TT_CHECK(a.s.cwnd > 0);
}

TT_TEST(test_cc_registry_has_cubic_with_every_hook_as_the_default)
{
	const tern_cc_ops *o = tern_cc_find("cubic");
	TT_CHECK(o == &tern_cc_cubic);
	TT_CHECK(strcmp(o->name, "cubic") == 0);
	TT_CHECK(o->init && o->on_ack && o->on_recovery_enter && o->on_recovery_dupack);
	TT_CHECK(o->on_recovery_partial && o->on_recovery_exit && o->on_rto && o->on_idle_restart);
	TT_CHECK(o->on_rtt_sample && o->on_ecn);
	TT_CHECK(tern_cc_default() == &tern_cc_cubic);
	TT_CHECK(tern_cc_newreno.on_rtt_sample == NULL && tern_cc_newreno.on_ecn == NULL);
}

TT_MAIN(test_cubic_init_sets_iw_high_ssthresh_and_fits_the_tcb_reserve,
        test_cubic_k_matches_rfc9438_figure2_within_one_ms,
        test_cubic_k_saturates_without_overflow_for_extreme_windows,
        test_cubic_window_follows_rfc9438_curve_through_concave_and_convex_regions,
        test_cubic_concave_growth_slows_as_the_window_nears_w_max,
        test_cubic_target_never_exceeds_one_and_a_half_cwnd_per_rtt,
        test_cubic_loss_sets_ssthresh_to_0_7_flight_and_w_max_to_cwnd,
        test_cubic_fast_convergence_lowers_w_max_below_a_shrinking_peak,
        test_cubic_recovery_inflates_deflates_and_exits_at_ssthresh,
        test_cubic_reno_friendly_region_dominates_at_small_bdp,
        test_cubic_rto_sets_loss_window_and_restarts_the_epoch_with_k_zero,
        test_cubic_does_not_grow_or_age_the_epoch_while_application_limited,
        test_cubic_slow_start_grows_only_when_half_the_window_is_used,
        test_cubic_short_idle_is_excluded_from_t_and_long_idle_restarts_from_iw,
        test_cubic_ecn_echo_reduces_without_inflation_down_to_one_smss,
        test_cubic_growth_saturates_instead_of_wrapping,
        test_hystart_leaves_slow_start_for_css_when_rtt_rises_by_the_threshold,
        test_hystart_threshold_is_clamped_between_min_and_max_rtt_thresh,
        test_hystart_css_grows_a_quarter_as_fast_then_enters_avoidance_with_ssthresh_cwnd,
        test_hystart_returns_to_slow_start_when_rtt_falls_back_in_css,
        test_hystart_needs_n_rtt_sample_samples_in_a_round,
        test_hystart_slow_start_limits_a_stretch_ack_to_l_segments,
        test_hystart_without_sequence_numbers_never_leaves_slow_start_early,
        test_hystart_ends_on_loss_and_cubic_decrease_applies,
        test_cubic_is_deterministic_same_inputs_same_windows_and_state,
        test_cc_registry_has_cubic_with_every_hook_as_the_default)
