/* test_sim_determinism.c - two stacks exchanging UDP through the
 * simulator: the same seed gives the same capture bytes, another seed
 * another run; and the virtual clock drives the stacks exactly. */
#include "tern/sim.h"
#include "tt.h"

/* An echo server on b:7 and a client on a sending datagrams of mixed
 * sizes (some fragmented), the replies counted. */
struct run {
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	tern_socket *client, *server;
	bool client_pending, server_pending;
	uint32_t sent, count, replies;
	tern_time gap, first_reply_at;
	uint8_t buf[8192];
};

static const size_t SIZES[] = {64, 700, 1472, 1473, 2400, 4000};

static void drain(tern_sim *sim, tern_socket *s, struct run *r, bool echo)
{
	tern_endpoint src;
	int n;

	(void)sim;
	for (int i = 0; i < 256; i++) {
		n = tern_socket_recvfrom(s, r->buf, sizeof(r->buf), &src);
		if (n == TERN_EAGAIN)
			return;
		if (n < 0)
			continue; /* a reported ICMP error: keep reading */
		if (echo) {
			tern_socket_sendto(s, r->buf, (size_t)n, &src);
		} else if (r->replies++ == 0) {
			r->first_reply_at = tern_sim_now(r->sim);
		}
	}
}

/* Socket callbacks run inside the stack; the work is done from a
 * simulator callback at the same instant instead. */
static void server_drain(tern_sim *sim, void *ctx)
{
	struct run *r = ctx;

	r->server_pending = false;
	drain(sim, r->server, r, true);
}

static void client_drain(tern_sim *sim, void *ctx)
{
	struct run *r = ctx;

	r->client_pending = false;
	drain(sim, r->client, r, false);
}

static void on_server(tern_socket *s, unsigned ev, void *ctx)
{
	struct run *r = ctx;

	(void)s;
	if ((ev & TERN_EV_READABLE) && !r->server_pending) {
		r->server_pending = true;
		tern_sim_at(r->sim, tern_sim_now(r->sim), server_drain, r);
	}
}

static void on_client(tern_socket *s, unsigned ev, void *ctx)
{
	struct run *r = ctx;

	(void)s;
	if ((ev & TERN_EV_READABLE) && !r->client_pending) {
		r->client_pending = true;
		tern_sim_at(r->sim, tern_sim_now(r->sim), client_drain, r);
	}
}

static void send_next(tern_sim *sim, void *ctx)
{
	struct run *r = ctx;
	tern_endpoint dst = {tern_sim_host_addr(r->b), 7};
	size_t len = SIZES[r->sent % (sizeof(SIZES) / sizeof(SIZES[0]))];

	for (size_t i = 0; i < len; i++)
		r->buf[i] = (uint8_t)(r->sent * 31 + i);
	tern_socket_sendto(r->client, r->buf, len, &dst);
	if (++r->sent < r->count)
		tern_sim_at(sim, tern_sim_now(sim) + r->gap, send_next, r);
}

static int run_open(struct run *r, uint64_t seed, const tern_sim_link_config *c)
{
	tern_endpoint any7 = {0, 7}, any = {0, 0};
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = tern_sim_new(seed, &r->sim)) < 0 ||
	    (rc = tern_sim_host_add(r->sim, "a", "10.0.0.1/24", 1500, &r->a)) < 0 ||
	    (rc = tern_sim_host_add(r->sim, "b", "10.0.0.2/24", 1500, &r->b)) < 0 ||
	    (rc = tern_sim_connect(r->sim, r->a, r->b, c, &r->link)) < 0 ||
	    (rc = tern_udp_open(tern_sim_host_stack(r->b), &r->server)) < 0 ||
	    (rc = tern_socket_bind(r->server, &any7)) < 0 ||
	    (rc = tern_udp_open(tern_sim_host_stack(r->a), &r->client)) < 0 ||
	    (rc = tern_socket_bind(r->client, &any)) < 0)
		return rc;
	tern_socket_set_callback(r->server, on_server, r);
	tern_socket_set_callback(r->client, on_client, r);
	return 0;
}

static const tern_sim_link_config ROUGH = {
    .rate_bps = 10000000,
    .delay = TERN_MS(5),
    .jitter = TERN_MS(1),
    .queue_pkts = 50,
    .loss = 0.05,
    .dup = 0.02,
    .reorder = 0.05,
    .corrupt = 0.02,
    .mtu = 1500,
};

/* One whole run; the three captures (host a, host b, link) back to back. */
static int capture_run(uint64_t seed, tern_sim_buf *out, uint32_t *replies)
{
	struct run *r = malloc(sizeof(*r));
	tern_sim_buf ha = {0}, hb = {0}, lk = {0};
	int rc;

	rc = run_open(r, seed, &ROUGH);
	if (rc == 0)
		rc = tern_sim_capture_host(r->a, tern_sim_buf_write, &ha);
	if (rc == 0)
		rc = tern_sim_capture_host(r->b, tern_sim_buf_write, &hb);
	if (rc == 0)
		rc = tern_sim_capture_link(r->link, tern_sim_buf_write, &lk);
	r->count = 120;
	r->gap = TERN_MS(3);
	if (rc == 0)
		rc = tern_sim_at(r->sim, TERN_MS(1), send_next, r);
	if (rc == 0)
		rc = tern_sim_run_for(r->sim, TERN_SEC(2));
	*replies = r->replies;
	tern_sim_del(r->sim);
	free(r);
	tern_sim_buf_write(out, ha.data, ha.len);
	tern_sim_buf_write(out, hb.data, hb.len);
	tern_sim_buf_write(out, lk.data, lk.len);
	tern_sim_buf_free(&ha);
	tern_sim_buf_free(&hb);
	tern_sim_buf_free(&lk);
	return rc;
}

TT_TEST(sim_same_seed_gives_identical_capture_bytes)
{
	tern_sim_buf x = {0}, y = {0};
	uint32_t rx, ry;

	TT_EQ(capture_run(1, &x, &rx), 0);
	TT_EQ(capture_run(1, &y, &ry), 0);
	TT_CHECK(rx > 60 && rx < 120); /* traffic flowed, and loss bit */
	TT_EQ(rx, ry);
	TT_EQ(x.len, y.len);
	TT_CHECK(memcmp(x.data, y.data, x.len) == 0);
	tern_sim_buf_free(&x);
	tern_sim_buf_free(&y);
}

TT_TEST(sim_other_seed_gives_other_capture_bytes)
{
	tern_sim_buf x = {0}, y = {0};
	uint32_t rx, ry;

	TT_EQ(capture_run(1, &x, &rx), 0);
	TT_EQ(capture_run(2, &y, &ry), 0);
	TT_CHECK(ry > 60);
	TT_CHECK(x.len != y.len || memcmp(x.data, y.data, x.len) != 0);
	tern_sim_buf_free(&x);
	tern_sim_buf_free(&y);
}

TT_TEST(sim_stacks_see_exact_virtual_times)
{
	tern_sim_link_config c = {.delay = 1000};
	struct run *r = malloc(sizeof(*r));
	tern_counters ca, cb;

	TT_EQ(run_open(r, 7, &c), 0);
	r->count = 1;
	TT_EQ(tern_sim_at(r->sim, 5000, send_next, r), 0);
	TT_EQ(tern_sim_run_for(r->sim, TERN_SEC(1)), 0);
	/* 64 bytes out at 5 ms, echoed at 6 ms, back at 7 ms. */
	TT_EQ(r->replies, 1);
	TT_EQ(r->first_reply_at, 7000);
	TT_EQ(tern_stack_now(tern_sim_host_stack(r->a)), TERN_SEC(1));
	tern_stack_counters(tern_sim_host_stack(r->a), &ca);
	tern_stack_counters(tern_sim_host_stack(r->b), &cb);
	TT_EQ(ca.udp_out_datagrams, 1);
	TT_EQ(cb.udp_in_datagrams, 1);
	TT_EQ(ca.udp_in_datagrams, 1);
	tern_sim_del(r->sim);
	free(r);
}

TT_TEST(sim_fragmented_datagrams_cross_a_link_with_a_small_mtu)
{
	tern_sim_link_config c = {.delay = 1000, .mtu = 1500};
	struct run *r = malloc(sizeof(*r));
	tern_sim_link_stats st;
	tern_counters ca, cb;

	TT_EQ(run_open(r, 3, &c), 0);
	r->count = 6; /* one of each size */
	r->gap = TERN_MS(1);
	TT_EQ(tern_sim_at(r->sim, 0, send_next, r), 0);
	TT_EQ(tern_sim_run_for(r->sim, TERN_SEC(1)), 0);
	TT_EQ(r->replies, 6);
	tern_sim_link_stats_get(r->link, TERN_SIM_BOTH, &st);
	TT_EQ(st.mtu_drops, 0);
	tern_stack_counters(tern_sim_host_stack(r->a), &ca);
	tern_stack_counters(tern_sim_host_stack(r->b), &cb);
	TT_EQ(ca.ip_frag_oks, 3); /* 1473, 2400 and 4000 bytes */
	TT_EQ(cb.ip_reasm_oks, 3);
	TT_EQ(ca.ip_reasm_oks, 3);
	tern_sim_del(r->sim);
	free(r);
}

TT_TEST(sim_host_add_rejects_bad_addresses)
{
	tern_sim *sim;
	tern_sim_host *h;

	TT_EQ(tern_sim_new(1, &sim), 0);
	TT_EQ(tern_sim_host_add(sim, "x", "10.0.0.300/24", 1500, &h), TERN_EINVAL);
	TT_EQ(tern_sim_host_add(sim, "x", "10.0.0.1/24", 1500, &h), 0);
	TT_EQ(tern_sim_host_addr(h), TERN_IP4(10, 0, 0, 1));
	TT_CHECK(tern_sim_host_stack(h) != NULL);
	TT_CHECK(tern_sim_host_iface(h) != NULL);
	TT_EQ(tern_iface_mtu(tern_sim_host_iface(h)), 1500);
	TT_CHECK(tern_sim_host_mem(h) > 0);
	tern_sim_del(sim);
}

TT_MAIN(sim_same_seed_gives_identical_capture_bytes, sim_other_seed_gives_other_capture_bytes,
        sim_stacks_see_exact_virtual_times, sim_fragmented_datagrams_cross_a_link_with_a_small_mtu,
        sim_host_add_rejects_bad_addresses)
