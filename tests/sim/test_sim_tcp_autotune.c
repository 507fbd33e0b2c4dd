/* test_sim_tcp_autotune.c - receive-buffer auto-tuning (tcp_rcv_tune.c)
 * over the simulator: on a long fat path the receiver's buffer grows past
 * the bandwidth-delay product and the transfer runs many times faster
 * than with the fixed 64 KiB buffer; a slow reader's buffer stays small;
 * a buffer size the application chose is kept; the ceiling holds. Every
 * transfer is compared by hash. */
#include <stdlib.h>

#include "tern/sim.h"
#include "tt.h"

#define B_IP TERN_IP4(10, 0, 0, 2)
#define PORT 5001

typedef struct flow {
	tern_sim *sim;
	tern_socket *lst, *cli, *srv;
	size_t size, sent, got;
	size_t read_per_tick;  /* 0: read everything at once */
	uint64_t h_sent, h_got;
	tern_time done_at;
	uint32_t max_rcvbuf;
} flow;

static uint8_t pattern(size_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u;
	return (uint8_t)(x >> 24 ^ x >> 9);
}

static void tick(tern_sim *sim, void *ctx)
{
	flow *f = ctx;
	static uint8_t buf[65536];
	if (!f->srv && tern_socket_accept(f->lst, &f->srv, NULL) != 0)
		goto again;
	while (f->sent < f->size) {
		size_t n = f->size - f->sent < sizeof buf ? f->size - f->sent : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(f->sent + i);
		int k = tern_socket_send(f->cli, buf, n, 0);
		if (k <= 0)
			break;
		for (int i = 0; i < k; i++)
			f->h_sent = (f->h_sent ^ buf[i]) * 0x100000001b3ull;
		f->sent += (size_t)k;
	}
	size_t budget = f->read_per_tick ? f->read_per_tick : SIZE_MAX;
	for (int guard = 0; guard < 4096 && budget; guard++) {
		size_t want = budget < sizeof buf ? budget : sizeof buf;
		int k = tern_socket_recv(f->srv, buf, want, 0);
		if (k <= 0)
			break;
		for (int i = 0; i < k; i++)
			f->h_got = (f->h_got ^ buf[i]) * 0x100000001b3ull;
		f->got += (size_t)k;
		budget -= (size_t)k;
	}
	tern_tcp_info si;
	if (tern_socket_info(f->srv, &si) == 0 && si.rcvbuf > f->max_rcvbuf)
		f->max_rcvbuf = si.rcvbuf;
	if (f->got == f->size) {
		f->done_at = tern_sim_now(sim);
		return;
	}
again:
	tern_sim_at(sim, tern_sim_now(sim) + TERN_MS(1), tick, f);
}

/* One transfer of `size` bytes from A to B over rate/rtt; B's stack uses
 * cfg; B reads read_per_tick bytes a millisecond (0: all). Returns the
 * virtual seconds it took (negative on setup failure). */
static double transfer(const tern_config *cfg, int rcvbuf_opt, size_t size, size_t read_per_tick,
		       tern_counters *cb, flow *out)
{
	flow f = {.size = size, .read_per_tick = read_per_tick, .h_sent = 0xcbf29ce484222325ull,
		  .h_got = 0xcbf29ce484222325ull, .done_at = TERN_TIME_NEVER};
	tern_sim_host *a, *b;
	tern_sim_link *link;
	/* 100 Mbit/s, 100 ms round trip, a queue of one BDP: 1.25 MB */
	tern_sim_link_config lc = {.rate_bps = 100000000, .delay = TERN_MS(50),
				   .queue_bytes = 1250000, .mtu = 1500};
	if (tern_sim_new(11, &f.sim) ||
	    tern_sim_host_add(f.sim, "a", "10.0.0.1/24", 1500, &a) ||
	    tern_sim_host_add_config(f.sim, "b", "10.0.0.2/24", 1500, cfg, &b) ||
	    tern_sim_connect(f.sim, a, b, &lc, &link))
		return -1;
	tern_endpoint any = {0, PORT}, dst = {B_IP, PORT};
	if (tern_tcp_open(tern_sim_host_stack(b), &f.lst) ||
	    (rcvbuf_opt && tern_socket_setopt(f.lst, TERN_SO_RCVBUF, rcvbuf_opt)) ||
	    tern_socket_bind(f.lst, &any) || tern_socket_listen(f.lst, 4) ||
	    tern_tcp_open(tern_sim_host_stack(a), &f.cli) ||
	    tern_socket_setopt(f.cli, TERN_SO_SNDBUF, 8 << 20) ||
	    tern_socket_connect(f.cli, &dst) != TERN_EINPROGRESS)
		return -2;
	tern_sim_at(f.sim, 0, tick, &f);
	for (int i = 0; i < 600 && f.done_at == TERN_TIME_NEVER; i++)
		tern_sim_run_for(f.sim, TERN_SEC(1));
	tern_stack_counters(tern_sim_host_stack(b), cb);
	*out = f;
	tern_sim_del(f.sim);
	return f.done_at == TERN_TIME_NEVER ? 1e9 : (double)f.done_at / 1e6;
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
	flow t, x;
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
	flow f;
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
	flow f;
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
	flow f;
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
