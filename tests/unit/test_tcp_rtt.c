/* test_tcp_rtt.c - the RFC 6298 estimator against values worked by hand,
 * its clamps, and the backed-off RTO. */
#include <stdint.h>

#include "tcp/tcp_rtt.h"
#include "tt.h"

/* The bounds the estimator is read with (a TCB takes its stack's). */
static tern_time lo, hi;
#define rtt_init(r, a, b) (lo = (a), hi = (b), tern_rtt_init(r))
#define rto_of(r, n) tern_rtt_rto(r, n, lo, hi)

TT_TEST(test_rtt_rto_is_one_second_before_any_sample)
{
	tern_rtt r;
	rtt_init(&r, TERN_MS(200), TERN_SEC(60));
	TT_CHECK(!r.has_sample);
	TT_EQ(rto_of(&r, 0), TERN_SEC(1));
	TT_EQ(rto_of(&r, 0), TERN_SEC(1));
}

TT_TEST(test_rtt_initial_rto_is_clamped_to_the_configured_bounds)
{
	tern_rtt r;
	rtt_init(&r, TERN_SEC(2), TERN_SEC(60));
	TT_EQ(rto_of(&r, 0), TERN_SEC(2));
	rtt_init(&r, 0, TERN_MS(500));
	TT_EQ(rto_of(&r, 0), TERN_MS(500));
}

TT_TEST(test_rtt_first_sample_sets_srtt_r_and_rttvar_half_r)
{
	tern_rtt r;
	rtt_init(&r, TERN_MS(200), TERN_SEC(60));
	tern_rtt_sample(&r, TERN_MS(100));
	TT_CHECK(r.has_sample);
	/* RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4 RTTVAR) */
	TT_EQ(r.srtt, 100000);
	TT_EQ(r.rttvar, 50000);
	TT_EQ(rto_of(&r, 0), 300000);
}

TT_TEST(test_rtt_later_samples_follow_rfc6298_by_hand)
{
	tern_rtt r;
	rtt_init(&r, TERN_MS(200), TERN_SEC(60));
	tern_rtt_sample(&r, TERN_MS(100));
	/* R = 200 ms: |SRTT - R| = 100000 with the old SRTT;
	 * RTTVAR = 3/4 * 50000 + 1/4 * 100000 = 62500;
	 * SRTT = 7/8 * 100000 + 1/8 * 200000 = 112500;
	 * RTO = 112500 + 4 * 62500 = 362500 */
	tern_rtt_sample(&r, TERN_MS(200));
	TT_EQ(r.rttvar, 62500);
	TT_EQ(r.srtt, 112500);
	TT_EQ(rto_of(&r, 0), 362500);
	/* R = 50 ms: |112500 - 50000| = 62500;
	 * RTTVAR = 3/4 * 62500 + 1/4 * 62500 = 62500;
	 * SRTT = (7 * 112500 + 50000) / 8 = 104687.5 -> 104687;
	 * RTO = 104687 + 250000 = 354687 */
	tern_rtt_sample(&r, TERN_MS(50));
	TT_EQ(r.rttvar, 62500);
	TT_EQ(r.srtt, 104687);
	TT_EQ(rto_of(&r, 0), 354687);
}

TT_TEST(test_rtt_rto_is_raised_to_rto_min)
{
	tern_rtt r;
	rtt_init(&r, TERN_SEC(1), TERN_SEC(60));
	tern_rtt_sample(&r, TERN_MS(100));
	TT_EQ(rto_of(&r, 0), TERN_SEC(1));
	TT_EQ(r.srtt, TERN_MS(100)); /* the clamp leaves the estimator alone */
}

TT_TEST(test_rtt_rto_is_cut_to_rto_max)
{
	tern_rtt r;
	rtt_init(&r, TERN_MS(200), TERN_SEC(60));
	tern_rtt_sample(&r, TERN_SEC(100));
	TT_EQ(rto_of(&r, 0), TERN_SEC(60));
	TT_EQ(r.srtt, TERN_SEC(100));
}

TT_TEST(test_rtt_steady_samples_leave_srtt_plus_granularity)
{
	tern_rtt r;
	rtt_init(&r, 0, TERN_SEC(60));
	for (int i = 0; i < 200; i++)
		tern_rtt_sample(&r, TERN_MS(10));
	/* RTTVAR decays to 0, and G keeps the RTO above SRTT (RFC 6298 2.3) */
	TT_EQ(r.srtt, TERN_MS(10));
	TT_EQ(r.rttvar, 0);
	TT_EQ(rto_of(&r, 0), TERN_MS(10) + TERN_RTT_G);
}

TT_TEST(test_rtt_zero_sample_gives_granularity_then_rto_min)
{
	tern_rtt r;
	rtt_init(&r, 0, TERN_SEC(60));
	tern_rtt_sample(&r, 0);
	TT_EQ(rto_of(&r, 0), TERN_RTT_G);
	rtt_init(&r, TERN_MS(200), TERN_SEC(60));
	tern_rtt_sample(&r, 0);
	TT_EQ(rto_of(&r, 0), TERN_MS(200));
}

TT_TEST(test_rtt_backoff_doubles_per_expiry)
{
	tern_rtt r;
	rtt_init(&r, TERN_MS(200), TERN_SEC(60));
	tern_rtt_sample(&r, TERN_MS(100));
	TT_EQ(rto_of(&r, 0), 300000);
	TT_EQ(rto_of(&r, 1), 600000);
	TT_EQ(rto_of(&r, 2), 1200000);
	TT_EQ(rto_of(&r, 7), 38400000);
	TT_EQ(rto_of(&r, 0), 300000); /* asking does not change the estimator */
}

TT_TEST(test_rtt_backoff_is_capped_at_rto_max)
{
	tern_rtt r;
	rtt_init(&r, TERN_MS(200), TERN_SEC(60));
	tern_rtt_sample(&r, TERN_MS(100));
	TT_EQ(rto_of(&r, 8), TERN_SEC(60)); /* 76.8 s uncapped */
	TT_EQ(rto_of(&r, 63), TERN_SEC(60));
	TT_EQ(rto_of(&r, 64), TERN_SEC(60));
	TT_EQ(rto_of(&r, 1000), TERN_SEC(60));
	TT_EQ(rto_of(&r, ~0u), TERN_SEC(60));
}

TT_TEST(test_rtt_backoff_does_not_overflow_without_a_practical_cap)
{
	tern_rtt r;
	rtt_init(&r, TERN_MS(200), UINT64_MAX);
	tern_rtt_sample(&r, TERN_MS(100));
	tern_time prev = 0;
	for (unsigned k = 0; k < 200; k++) {
		tern_time t = rto_of(&r, k);
		TT_CHECK(t >= prev);
		prev = t;
	}
	TT_EQ(rto_of(&r, ~0u), UINT64_MAX);
}

TT_TEST(test_rtt_huge_samples_do_not_overflow)
{
	tern_rtt r;
	rtt_init(&r, TERN_MS(200), UINT64_MAX);
	tern_rtt_sample(&r, UINT64_MAX);
	tern_rtt_sample(&r, UINT64_MAX);
	tern_rtt_sample(&r, 1);
	tern_rtt_sample(&r, UINT64_MAX);
	TT_CHECK(r.srtt > 0);
	TT_CHECK(rto_of(&r, 0) >= r.srtt);
	rtt_init(&r, TERN_MS(200), TERN_SEC(60));
	tern_rtt_sample(&r, UINT64_MAX);
	TT_EQ(rto_of(&r, 0), TERN_SEC(60));
}

TT_TEST(test_rtt_rto_max_below_rto_min_yields_rto_min)
{
	tern_rtt r;
	rtt_init(&r, TERN_SEC(2), TERN_SEC(1));
	TT_EQ(rto_of(&r, 0), TERN_SEC(2));
	tern_rtt_sample(&r, TERN_SEC(5));
	TT_EQ(rto_of(&r, 0), TERN_SEC(2));
	TT_EQ(rto_of(&r, 3), TERN_SEC(2));
}

TT_MAIN(test_rtt_rto_is_one_second_before_any_sample,
        test_rtt_initial_rto_is_clamped_to_the_configured_bounds,
        test_rtt_first_sample_sets_srtt_r_and_rttvar_half_r,
        test_rtt_later_samples_follow_rfc6298_by_hand, test_rtt_rto_is_raised_to_rto_min,
        test_rtt_rto_is_cut_to_rto_max, test_rtt_steady_samples_leave_srtt_plus_granularity,
        test_rtt_zero_sample_gives_granularity_then_rto_min, test_rtt_backoff_doubles_per_expiry,
        test_rtt_backoff_is_capped_at_rto_max,
        test_rtt_backoff_does_not_overflow_without_a_practical_cap,
        test_rtt_huge_samples_do_not_overflow, test_rtt_rto_max_below_rto_min_yields_rto_min)
