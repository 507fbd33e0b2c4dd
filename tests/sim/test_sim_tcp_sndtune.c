/* test_sim_tcp_sndtune.c - send-buffer auto-tuning (tcp_user.c snd_tune)
 * over the simulator: on a long fat path a writer's send buffer grows past
 * the bandwidth-delay product and the transfer runs many times faster than
 * with the fixed 64 KiB buffer; a buffer size the application chose is
 * kept; the ceiling holds. The receiver tunes its own buffer in every case.
 * Every transfer is compared by hash. */
#include "sim/bulk_flow.h"
#include "tt.h"

/* `size` bytes from A (configured by cfg; SO_SNDBUF sndbuf_opt unless 0)
 * to B, which tunes its receive buffer and reads everything. */
static double transfer(const tern_config *cfg, int sndbuf_opt, size_t size, tern_counters *ca,
		       bulk_flow *out)
{
	bulk_setup su = {.cfg_a = cfg, .sndbuf_a = sndbuf_opt, .size = size};
	tern_counters cb;
	return bulk_transfer(&su, out, ca, &cb);
}

static tern_config config_with(uint32_t sndbuf_max)
{
	tern_config c;
	tern_config_init(&c);
	if (sndbuf_max)
		c.tcp_sndbuf_max = sndbuf_max;
	return c;
}

TT_TEST(test_send_buffer_grows_past_the_bdp_of_a_long_fat_path)
{
	tern_counters ct, cf;
	bulk_flow t, x;
	tern_config cfg = config_with(0);
	double secs_tuned = transfer(&cfg, 0, 20000000, &ct, &t);
	double secs_fixed = transfer(&cfg, 65536, 2000000, &cf, &x);
	TT_CHECK(secs_tuned > 0 && secs_fixed > 0);
	TT_EQ(t.h_got, t.h_sent);
	TT_EQ(x.h_got, x.h_sent);
	double mbps_tuned = 20e6 * 8 / secs_tuned / 1e6, mbps_fixed = 2e6 * 8 / secs_fixed / 1e6;
	printf("# tuned: 20 MB in %.2f s (%.1f Mbit/s), send buffer grew to %u bytes in %llu "
	       "steps; fixed 64 KiB: 2 MB in %.2f s (%.1f Mbit/s)\n",
	       secs_tuned, mbps_tuned, t.max_sndbuf, (unsigned long long)ct.tcp_sndbuf_grown,
	       secs_fixed, mbps_fixed);
	/* the BDP is 1.25 MB: the buffer must pass it, within the 4 MiB ceiling */
	TT_CHECK(t.max_sndbuf > 1250000);
	TT_CHECK(t.max_sndbuf <= 4u << 20);
	TT_CHECK(ct.tcp_sndbuf_grown > 0);
	/* a size the application chose is kept */
	TT_EQ(cf.tcp_sndbuf_grown, 0);
	TT_EQ(x.max_sndbuf, 65536);
	/* one 64 KiB flight per 100 ms is ~5 Mbit/s; tuned reaches most of 100 */
	TT_CHECK(mbps_fixed < 6.0);
	TT_CHECK(mbps_tuned > 5 * mbps_fixed);
}

TT_TEST(test_send_buffer_growth_stops_at_the_configured_ceiling)
{
	tern_counters c;
	bulk_flow f;
	tern_config capped = config_with(300000);
	double secs = transfer(&capped, 0, 5000000, &c, &f);
	TT_CHECK(secs > 0 && secs < 1e9);
	TT_EQ(f.h_got, f.h_sent);
	TT_CHECK(c.tcp_sndbuf_grown > 0);
	TT_CHECK(f.max_sndbuf <= 300000);
	TT_CHECK(f.max_sndbuf > 150000);
}

TT_MAIN(test_send_buffer_grows_past_the_bdp_of_a_long_fat_path,
	test_send_buffer_growth_stops_at_the_configured_ceiling)
