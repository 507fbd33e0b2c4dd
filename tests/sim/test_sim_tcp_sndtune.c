/* test_sim_tcp_sndtune.c - send-buffer auto-tuning (tcp_user.c snd_tune)
 * over the simulator: on a long fat path a writer's send buffer grows past
 * the bandwidth-delay product and the transfer runs many times faster than
 * with the fixed 64 KiB buffer; a buffer size the application chose is
 * kept; the ceiling holds. The receiver tunes its own buffer in every case.
 * Every transfer is compared by hash. */
#include "tern/sim.h"
#include "tt.h"

#define B_IP TERN_IP4(10, 0, 0, 2)
#define PORT 5001

typedef struct flow {
	tern_socket *lst, *cli, *srv;
	size_t size, sent, got;
	uint64_t h_sent, h_got;
	tern_time done_at;
	uint32_t max_sndbuf;
} flow;

static uint8_t pattern(size_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u;
	return (uint8_t)(x >> 24 ^ x >> 9);
}

static void write_some(flow *f)
{
	static uint8_t buf[65536];
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
}

static void read_all(flow *f)
{
	static uint8_t buf[65536];
	for (int guard = 0; guard < 4096; guard++) {
		int k = tern_socket_recv(f->srv, buf, sizeof buf, 0);
		if (k <= 0)
			break;
		for (int i = 0; i < k; i++)
			f->h_got = (f->h_got ^ buf[i]) * 0x100000001b3ull;
		f->got += (size_t)k;
	}
}

static void tick(tern_sim *sim, void *ctx)
{
	flow *f = ctx;
	if (f->srv || tern_socket_accept(f->lst, &f->srv, NULL) == 0) {
		write_some(f);
		read_all(f);
		tern_tcp_info ci;
		if (tern_socket_info(f->cli, &ci) == 0 && ci.sndbuf > f->max_sndbuf)
			f->max_sndbuf = ci.sndbuf;
		if (f->got == f->size) {
			f->done_at = tern_sim_now(sim);
			return;
		}
	}
	tern_sim_at(sim, tern_sim_now(sim) + TERN_MS(1), tick, f);
}

/* `size` bytes from A (configured by cfg; SO_SNDBUF sndbuf_opt unless 0)
 * to B over 100 Mbit/s and 100 ms. Returns the virtual seconds it took,
 * 1e9 when it did not finish, negative on setup failure. */
static double transfer(const tern_config *cfg, int sndbuf_opt, size_t size, tern_counters *ca,
		       flow *out)
{
	flow f = {.size = size, .h_sent = 0xcbf29ce484222325ull, .h_got = 0xcbf29ce484222325ull,
		  .done_at = TERN_TIME_NEVER};
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	/* a queue of one BDP: 1.25 MB */
	tern_sim_link_config lc = {.rate_bps = 100000000, .delay = TERN_MS(50),
				   .queue_bytes = 1250000, .mtu = 1500};
	if (tern_sim_new(12, &sim) ||
	    tern_sim_host_add_config(sim, "a", "10.0.0.1/24", 1500, cfg, &a) ||
	    tern_sim_host_add(sim, "b", "10.0.0.2/24", 1500, &b) ||
	    tern_sim_connect(sim, a, b, &lc, &link))
		return -1;
	tern_endpoint any = {0, PORT}, dst = {B_IP, PORT};
	if (tern_tcp_open(tern_sim_host_stack(b), &f.lst) || tern_socket_bind(f.lst, &any) ||
	    tern_socket_listen(f.lst, 4) || tern_tcp_open(tern_sim_host_stack(a), &f.cli) ||
	    (sndbuf_opt && tern_socket_setopt(f.cli, TERN_SO_SNDBUF, sndbuf_opt)) ||
	    tern_socket_connect(f.cli, &dst) != TERN_EINPROGRESS)
		return -2;
	tern_sim_at(sim, 0, tick, &f);
	for (int i = 0; i < 600 && f.done_at == TERN_TIME_NEVER; i++)
		tern_sim_run_for(sim, TERN_SEC(1));
	tern_stack_counters(tern_sim_host_stack(a), ca);
	*out = f;
	tern_sim_del(sim);
	return f.done_at == TERN_TIME_NEVER ? 1e9 : (double)f.done_at / 1e6;
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
	flow t, x;
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
	flow f;
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
