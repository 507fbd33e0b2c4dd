/* test_sim_tcp_autotune.c - receive-buffer auto-tuning (tcp_rcv_tune.c)
 * over the simulator: on a long fat path the receiver's buffer grows past
 * the bandwidth-delay product and the transfer runs many times faster
 * than with the fixed 64 KiB buffer; a slow reader's buffer stays small;
 * a buffer size the application chose is kept; the ceiling holds. Every
 * transfer is compared by hash. */
#include <stdlib.h>

#include "sim/bulk_flow.h"
#include "tt.h"

/* One transfer of `size` bytes from A (with an 8 MiB send buffer, so only
 * the receiver limits) to B, whose stack uses cfg; B reads read_per_tick
 * bytes a millisecond (0: all). */
static double transfer(const tern_config *cfg, int rcvbuf_opt, size_t size, size_t read_per_tick,
		       tern_counters *cb, bulk_flow *out)
{
	bulk_setup su = {.cfg_b = cfg, .sndbuf_a = 8 << 20, .rcvbuf_b = rcvbuf_opt, .size = size,
			 .read_per_tick = read_per_tick};
	tern_counters ca;
	return bulk_transfer(&su, out, &ca, cb);
}

static tern_config config_with(uint32_t rcvbuf_max)
{
	tern_config c;
	tern_config_init(&c);
	if (rcvbuf_max)
		c.tcp_rcvbuf_max = rcvbuf_max;
	return c;
}

TT_TEST(test_autotuning_grows_the_window_past_the_bdp_of_a_long_fat_path)
{
	tern_counters ct, cf;
	bulk_flow t, x;
	tern_config tuned = config_with(0), fixed = config_with(65535);
	double secs_tuned = transfer(&tuned, 0, 20000000, 0, &ct, &t);
	double secs_fixed = transfer(&fixed, 0, 2000000, 0, &cf, &x);
	TT_CHECK(secs_tuned > 0 && secs_fixed > 0);
	TT_EQ(t.h_got, t.h_sent);
	TT_EQ(x.h_got, x.h_sent);
	double mbps_tuned = 20e6 * 8 / secs_tuned / 1e6, mbps_fixed = 2e6 * 8 / secs_fixed / 1e6;
	printf("# tuned: 20 MB in %.2f s (%.1f Mbit/s), buffer grew to %u bytes in %llu steps;"
	       " fixed 64 KiB: 2 MB in %.2f s (%.1f Mbit/s)\n",
	       secs_tuned, mbps_tuned, t.max_rcvbuf, (unsigned long long)ct.tcp_rcvbuf_grown,
	       secs_fixed, mbps_fixed);
	/* the BDP is 1.25 MB: the buffer must pass it, within the 4 MiB ceiling */
	TT_CHECK(t.max_rcvbuf > 1250000);
	TT_CHECK(t.max_rcvbuf <= 4u << 20);
	TT_CHECK(ct.tcp_rcvbuf_grown > 0);
	TT_EQ(cf.tcp_rcvbuf_grown, 0);
	TT_CHECK(x.max_rcvbuf <= 65535);
	/* one 64 KiB window per 100 ms is ~5 Mbit/s; tuned reaches most of 100 */
	TT_CHECK(mbps_fixed < 6.0);
	TT_CHECK(mbps_tuned > 5 * mbps_fixed);
}

TT_TEST(test_autotuning_leaves_a_slow_reader_with_a_small_buffer)
{
	tern_counters c;
	bulk_flow f;
	tern_config tuned = config_with(0);
	/* 200 bytes a millisecond: 20 KB a round trip, under half the 64 KiB
	 * window, so the window is not what limits this flow */
	double secs = transfer(&tuned, 0, 1000000, 200, &c, &f);
	TT_CHECK(secs > 0 && secs < 1e9);
	TT_EQ(f.h_got, f.h_sent);
	TT_EQ(c.tcp_rcvbuf_grown, 0);
	TT_CHECK(f.max_rcvbuf <= 65535);
}

TT_TEST(test_autotuning_keeps_a_buffer_size_the_application_chose)
{
	tern_counters c;
	bulk_flow f;
	tern_config tuned = config_with(0);
	double secs = transfer(&tuned, 131072, 2000000, 0, &c, &f);
	TT_CHECK(secs > 0 && secs < 1e9);
	TT_EQ(f.h_got, f.h_sent);
	TT_EQ(c.tcp_rcvbuf_grown, 0);
	TT_EQ(f.max_rcvbuf, 131072);
}

TT_TEST(test_autotuning_stops_at_the_configured_ceiling)
{
	tern_counters c;
	bulk_flow f;
	tern_config capped = config_with(300000);
	double secs = transfer(&capped, 0, 5000000, 0, &c, &f);
	TT_CHECK(secs > 0 && secs < 1e9);
	TT_EQ(f.h_got, f.h_sent);
	TT_CHECK(c.tcp_rcvbuf_grown > 0);
	TT_CHECK(f.max_rcvbuf <= 300000);
	TT_CHECK(f.max_rcvbuf > 150000);
}

TT_MAIN(test_autotuning_grows_the_window_past_the_bdp_of_a_long_fat_path,
	test_autotuning_leaves_a_slow_reader_with_a_small_buffer,
	test_autotuning_keeps_a_buffer_size_the_application_chose,
	test_autotuning_stops_at_the_configured_ceiling)
