/* test_tcp_cc.c - the initial window, NewReno's numbers in every phase
 * (RFC 5681, RFC 6582), and the module registry. */
#include <stdint.h>
#include <string.h>

#include "tcp/tcp_cc.h"
#include "tt.h"

#define MSS 1000u

typedef struct cc {
	tern_cc_stat s;
	_Alignas(max_align_t) unsigned char state[TERN_CC_STATE_MAX];
	const tern_cc_ops *ops;
} cc;

static void cc_start(cc *c, uint32_t mss)
{
	memset(c, 0, sizeof *c);
	c->ops = &tern_cc_newreno;
	c->s.mss = mss;
	c->ops->init(&c->s, c->state);
}

static void ack(cc *c, uint32_t bytes)
{
	c->ops->on_ack(&c->s, c->state, bytes);
}

/* One round trip: a whole cwnd acknowledged, `per_ack` bytes per ACK. */
static void ack_round(cc *c, uint32_t per_ack)
{
	uint32_t window = c->s.cwnd;
	for (uint32_t done = 0; done < window; done += per_ack)
		ack(c, per_ack);
}

TT_TEST(test_cc_initial_window_follows_rfc5681_for_each_mss_range)
{
	/* SMSS > 2190: 2 segments */
	TT_EQ(tern_cc_initial_window(9000), 18000);
	TT_EQ(tern_cc_initial_window(2191), 4382);
	/* 1095 < SMSS <= 2190: 3 segments */
	TT_EQ(tern_cc_initial_window(2190), 6570);
	TT_EQ(tern_cc_initial_window(1460), 4380);
	TT_EQ(tern_cc_initial_window(1096), 3288);
	/* SMSS <= 1095: 4 segments */
	TT_EQ(tern_cc_initial_window(1095), 4380);
	TT_EQ(tern_cc_initial_window(536), 2144);
	TT_EQ(tern_cc_initial_window(UINT32_MAX), UINT32_MAX);
}

TT_TEST(test_newreno_init_sets_iw_and_arbitrarily_high_ssthresh)
{
	cc c;
	cc_start(&c, 1460);
	TT_EQ(c.s.cwnd, 4380);
	TT_EQ(c.s.ssthresh, UINT32_MAX);
	TT_CHECK(tern_cc_newreno.state_size <= TERN_CC_STATE_MAX);
}

TT_TEST(test_newreno_slow_start_adds_at_most_one_smss_per_ack)
{
	cc c;
	cc_start(&c, MSS);
	TT_EQ(c.s.cwnd, 4000);
	ack(&c, MSS);
	TT_EQ(c.s.cwnd, 5000);
	ack(&c, 3 * MSS); /* a stretch ACK still counts once */
	TT_EQ(c.s.cwnd, 6000);
	ack(&c, 400); /* less than SMSS counts as itself */
	TT_EQ(c.s.cwnd, 6400);
}

TT_TEST(test_newreno_slow_start_doubles_cwnd_per_round_trip)
{
	cc c;
	cc_start(&c, MSS);
	ack_round(&c, MSS);
	TT_EQ(c.s.cwnd, 8000);
	ack_round(&c, MSS);
	TT_EQ(c.s.cwnd, 16000);
}

TT_TEST(test_newreno_congestion_avoidance_adds_one_smss_per_round_trip)
{
	cc c;
	cc_start(&c, MSS);
	c.s.cwnd = 10000;
	c.s.ssthresh = 10000; /* cwnd == ssthresh: congestion avoidance */
	for (int i = 0; i < 9; i++)
		ack(&c, MSS);
	TT_EQ(c.s.cwnd, 10000);
	ack(&c, MSS);
	TT_EQ(c.s.cwnd, 11000);
	for (int round = 0; round < 10; round++)
		ack_round(&c, MSS);
	TT_EQ(c.s.cwnd, 21000);
}

TT_TEST(test_newreno_congestion_avoidance_growth_ignores_delayed_acks)
{
	/* byte counting: ACKing every other segment grows cwnd as fast */
	cc c;
	cc_start(&c, MSS);
	c.s.cwnd = 20000;
	c.s.ssthresh = 5000;
	for (int round = 0; round < 10; round++)
		ack_round(&c, 2 * MSS);
	TT_EQ(c.s.cwnd, 30000);
}

TT_TEST(test_newreno_recovery_enter_halves_flight_and_inflates_by_three)
{
	cc c;
	cc_start(&c, MSS);
	c.s.cwnd = 24000;
	c.s.flight = 20000;
	c.ops->on_recovery_enter(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 10000);
	TT_EQ(c.s.cwnd, 13000);
}

TT_TEST(test_newreno_recovery_enter_keeps_ssthresh_at_least_two_smss)
{
	cc c;
	cc_start(&c, MSS);
	c.s.flight = 3000;
	c.ops->on_recovery_enter(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 2000);
	TT_EQ(c.s.cwnd, 5000);
}

TT_TEST(test_newreno_dupack_in_recovery_adds_one_smss)
{
	cc c;
	cc_start(&c, MSS);
	c.s.flight = 20000;
	c.ops->on_recovery_enter(&c.s, c.state);
	c.ops->on_recovery_dupack(&c.s, c.state);
	c.ops->on_recovery_dupack(&c.s, c.state);
	TT_EQ(c.s.cwnd, 15000);
	TT_EQ(c.s.ssthresh, 10000);
}

TT_TEST(test_newreno_partial_ack_deflates_and_adds_back_one_smss)
{
	cc c;
	cc_start(&c, MSS);
	c.s.flight = 20000;
	c.ops->on_recovery_enter(&c.s, c.state);
	c.ops->on_recovery_dupack(&c.s, c.state);
	c.ops->on_recovery_dupack(&c.s, c.state);
	/* 15000 - 4000 + 1000 */
	c.ops->on_recovery_partial(&c.s, c.state, 4000);
	TT_EQ(c.s.cwnd, 12000);
	/* less than one SMSS acknowledged: no add-back */
	c.ops->on_recovery_partial(&c.s, c.state, 500);
	TT_EQ(c.s.cwnd, 11500);
	/* exactly one SMSS: the add-back cancels the deflation */
	c.ops->on_recovery_partial(&c.s, c.state, MSS);
	TT_EQ(c.s.cwnd, 11500);
	TT_EQ(c.s.ssthresh, 10000);
}

TT_TEST(test_newreno_partial_ack_never_deflates_below_one_smss)
{
	cc c;
	cc_start(&c, MSS);
	c.s.flight = 4000;
	c.ops->on_recovery_enter(&c.s, c.state);
	TT_EQ(c.s.cwnd, 5000);
	c.ops->on_recovery_partial(&c.s, c.state, 40000);
	TT_EQ(c.s.cwnd, MSS);
	c.ops->on_recovery_partial(&c.s, c.state, 999);
	TT_EQ(c.s.cwnd, MSS);
}

TT_TEST(test_newreno_recovery_exit_sets_cwnd_to_ssthresh_whatever_the_flight)
{
	cc c;
	cc_start(&c, MSS);
	c.s.flight = 20000;
	c.ops->on_recovery_enter(&c.s, c.state);
	/* RFC 6582 3.2 step 6 option (2): cwnd = ssthresh, even with nothing in
	 * flight after the full ACK (option 1 would leave 2 SMSS) */
	c.s.flight = 0;
	c.ops->on_recovery_exit(&c.s, c.state);
	TT_EQ(c.s.cwnd, 10000);
	c.s.flight = 6000;
	c.ops->on_recovery_exit(&c.s, c.state);
	TT_EQ(c.s.cwnd, 10000);
	TT_EQ(c.s.ssthresh, 10000);
}

TT_TEST(test_newreno_rto_sets_loss_window_and_halves_flight)
{
	cc c;
	cc_start(&c, MSS);
	c.s.cwnd = 30000;
	c.s.flight = 20000;
	c.ops->on_rto(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 10000);
	TT_EQ(c.s.cwnd, MSS);
	/* small flight: ssthresh floor of two segments */
	cc_start(&c, MSS);
	c.s.flight = 1500;
	c.ops->on_rto(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 2000);
	TT_EQ(c.s.cwnd, MSS);
}

TT_TEST(test_newreno_repeated_rto_holds_ssthresh)
{
	cc c;
	cc_start(&c, MSS);
	c.s.flight = 20000;
	c.ops->on_rto(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 10000);
	/* RFC 5681 3.1: the same segment timing out again holds ssthresh */
	c.s.flight = MSS;
	c.ops->on_rto(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 10000);
	TT_EQ(c.s.cwnd, MSS);
	/* once new data is acknowledged, a later timeout is a new loss */
	ack(&c, MSS);
	c.s.flight = 8000;
	c.ops->on_rto(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 4000);
	TT_EQ(c.s.cwnd, MSS);
}

TT_TEST(test_newreno_after_rto_slow_starts_to_ssthresh_then_avoids)
{
	cc c;
	cc_start(&c, MSS);
	c.s.flight = 8000;
	c.ops->on_rto(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 4000);
	ack(&c, MSS);
	ack(&c, MSS);
	ack(&c, MSS);
	TT_EQ(c.s.cwnd, 4000);
	ack(&c, MSS); /* cwnd == ssthresh: counted, not added */
	TT_EQ(c.s.cwnd, 4000);
	ack(&c, MSS);
	ack(&c, MSS);
	ack(&c, MSS);
	TT_EQ(c.s.cwnd, 5000);
}

TT_TEST(test_newreno_idle_restart_limits_cwnd_to_iw_after_an_rto_of_idle)
{
	cc c;
	cc_start(&c, MSS);
	c.s.cwnd = 50000;
	c.s.ssthresh = 30000;
	c.ops->on_idle_restart(&c.s, c.state, TERN_SEC(1), TERN_SEC(1));
	TT_EQ(c.s.cwnd, 50000); /* not longer than the RTO */
	c.ops->on_idle_restart(&c.s, c.state, TERN_SEC(1) + 1, TERN_SEC(1));
	TT_EQ(c.s.cwnd, 4000);
	TT_EQ(c.s.ssthresh, 30000);
	/* RW = min(IW, cwnd): a smaller cwnd stays */
	c.s.cwnd = 2000;
	c.ops->on_idle_restart(&c.s, c.state, TERN_SEC(5), TERN_SEC(1));
	TT_EQ(c.s.cwnd, 2000);
}

TT_TEST(test_newreno_growth_saturates_instead_of_wrapping)
{
	cc c;
	cc_start(&c, MSS);
	c.s.cwnd = UINT32_MAX - 10;
	ack(&c, MSS); /* slow start: ssthresh is UINT32_MAX */
	TT_EQ(c.s.cwnd, UINT32_MAX);
	ack(&c, MSS); /* congestion avoidance at the top */
	TT_EQ(c.s.cwnd, UINT32_MAX);
	c.s.flight = UINT32_MAX;
	c.ops->on_recovery_enter(&c.s, c.state);
	TT_EQ(c.s.ssthresh, UINT32_MAX / 2);
	TT_EQ(c.s.cwnd, UINT32_MAX / 2 + 3 * MSS);
	for (int i = 0; i < 10; i++)
		c.ops->on_recovery_dupack(&c.s, c.state);
	TT_EQ(c.s.cwnd, UINT32_MAX / 2 + 13 * MSS);
}

TT_TEST(test_newreno_full_cycle_slow_start_loss_recovery_avoidance)
{
	cc c;
	cc_start(&c, MSS);
	ack_round(&c, MSS);
	ack_round(&c, MSS);
	TT_EQ(c.s.cwnd, 16000);
	c.s.flight = 16000;
	c.ops->on_recovery_enter(&c.s, c.state);
	TT_EQ(c.s.ssthresh, 8000);
	TT_EQ(c.s.cwnd, 11000);
	for (int i = 0; i < 5; i++)
		c.ops->on_recovery_dupack(&c.s, c.state);
	TT_EQ(c.s.cwnd, 16000);
	c.ops->on_recovery_partial(&c.s, c.state, 3000);
	TT_EQ(c.s.cwnd, 14000);
	c.s.flight = 8000;
	c.ops->on_recovery_exit(&c.s, c.state);
	TT_EQ(c.s.cwnd, 8000);
	ack_round(&c, MSS);
	TT_EQ(c.s.cwnd, 9000);
}

TT_TEST(test_cc_registry_finds_modules_by_name_and_cubic_as_default)
{
	TT_CHECK(tern_cc_find("newreno") == &tern_cc_newreno);
	TT_CHECK(tern_cc_default() == &tern_cc_cubic);  /* RFC 9438, as the issue asks */
	TT_CHECK(strcmp(tern_cc_default()->name, "cubic") == 0);
	TT_CHECK(tern_cc_find("cubic") == &tern_cc_cubic);
	TT_CHECK(tern_cc_find("NewReno") == NULL);
	TT_CHECK(tern_cc_find("") == NULL);
	TT_CHECK(tern_cc_find(NULL) == NULL);
}

TT_TEST(test_cc_default_module_fills_every_hook)
{
	const tern_cc_ops *o = tern_cc_default();
	TT_CHECK(o->init && o->on_ack && o->on_recovery_enter && o->on_recovery_dupack);
	TT_CHECK(o->on_recovery_partial && o->on_recovery_exit && o->on_rto && o->on_idle_restart);
	TT_CHECK(o->state_size <= TERN_CC_STATE_MAX);
}

TT_MAIN(test_cc_initial_window_follows_rfc5681_for_each_mss_range,
        test_newreno_init_sets_iw_and_arbitrarily_high_ssthresh,
        test_newreno_slow_start_adds_at_most_one_smss_per_ack,
        test_newreno_slow_start_doubles_cwnd_per_round_trip,
        test_newreno_congestion_avoidance_adds_one_smss_per_round_trip,
        test_newreno_congestion_avoidance_growth_ignores_delayed_acks,
        test_newreno_recovery_enter_halves_flight_and_inflates_by_three,
        test_newreno_recovery_enter_keeps_ssthresh_at_least_two_smss,
        test_newreno_dupack_in_recovery_adds_one_smss,
        test_newreno_partial_ack_deflates_and_adds_back_one_smss,
        test_newreno_partial_ack_never_deflates_below_one_smss,
        test_newreno_recovery_exit_sets_cwnd_to_ssthresh_whatever_the_flight,
        test_newreno_rto_sets_loss_window_and_halves_flight,
        test_newreno_repeated_rto_holds_ssthresh,
        test_newreno_after_rto_slow_starts_to_ssthresh_then_avoids,
        test_newreno_idle_restart_limits_cwnd_to_iw_after_an_rto_of_idle,
        test_newreno_growth_saturates_instead_of_wrapping,
        test_newreno_full_cycle_slow_start_loss_recovery_avoidance,
        test_cc_registry_finds_modules_by_name_and_cubic_as_default,
        test_cc_default_module_fills_every_hook)
