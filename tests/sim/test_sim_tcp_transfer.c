/* test_sim_tcp_transfer.c - TCP transfers both ways at once through the
 * simulator under loss, burst loss, duplication, reordering, corruption
 * and jitter, across seeds: the bytes arrive intact (compared by hash),
 * both ends finish in CLOSED or TIME-WAIT, and once TIME-WAIT has passed
 * the stacks hold no more memory than when they started.
 *
 * make test runs TERN_SIM_SEEDS (default 2) seeds per condition with 2 MB
 * each way; TERN_SIM_SEEDS=50 TERN_SIM_MB=10 is the nightly size. */
#include <stdlib.h>

#include "core/siphash.h"
#include "tern/sim.h"
#include "tt.h"

#define PORT 5001

typedef struct side {
	tern_socket *s;
	size_t sent, got;
	uint64_t hash_in;     /* running hash of what arrived, by blocks */
	bool eof, shut;
} side;

typedef struct xfer {
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_socket *lst;
	side cli, srv;
	size_t size;
	uint8_t *pattern;     /* the bytes every side sends */
	uint8_t *in[2];       /* what each side received */
} xfer;

static const uint8_t hkey[16] = {7, 7, 7};

static void pump(xfer *x, side *me, uint8_t *in)
{
	for (int i = 0; i < 64 && me->sent < x->size; i++) {
		int k = tern_socket_send(me->s, x->pattern + me->sent, x->size - me->sent, 0);
		if (k <= 0)
			break;
		me->sent += (size_t)k;
	}
	if (me->sent == x->size && !me->shut) {
		tern_socket_shutdown(me->s, TERN_SHUT_WR);
		me->shut = true;
	}
	for (int i = 0; i < 64 && !me->eof; i++) {
		size_t room = x->size - me->got;
		int k = tern_socket_recv(me->s, in + me->got, room ? room : 1, 0);
		if (k == 0)
			me->eof = true;
		if (k <= 0)
			break;
		me->got += (size_t)k;
	}
}

static bool run_one(uint64_t seed, const tern_sim_link_config *lc, size_t size, char *why)
{
	xfer x = {0};
	x.size = size;
	x.pattern = malloc(size);
	x.in[0] = malloc(size);
	x.in[1] = malloc(size);
	for (size_t i = 0; i < size; i++)
		x.pattern[i] = (uint8_t)((i * 2654435761u) >> 11 ^ seed);
	bool ok = false;
	tern_sim_link *link;
	if (tern_sim_new(seed, &x.sim) || tern_sim_host_add(x.sim, "a", "10.0.0.1/24", 1500, &x.a) ||
	    tern_sim_host_add(x.sim, "b", "10.0.0.2/24", 1500, &x.b) ||
	    tern_sim_connect(x.sim, x.a, x.b, lc, &link)) {
		sprintf(why, "setup");
		goto out;
	}
	size_t mem_a = tern_sim_host_mem(x.a), mem_b = tern_sim_host_mem(x.b);
	tern_endpoint any = {0, PORT}, dst = {TERN_IP4(10, 0, 0, 2), PORT};
	tern_tcp_open(tern_sim_host_stack(x.b), &x.lst);
	tern_socket_bind(x.lst, &any);
	tern_socket_listen(x.lst, 4);
	tern_tcp_open(tern_sim_host_stack(x.a), &x.cli.s);
	tern_socket_connect(x.cli.s, &dst);
	/* the applications run every millisecond of virtual time */
	for (int ms = 0; ms < 900000; ms++) {
		if (!x.srv.s)
			tern_socket_accept(x.lst, &x.srv.s, NULL);
		pump(&x, &x.cli, x.in[0]);
		if (x.srv.s)
			pump(&x, &x.srv, x.in[1]);
		if (x.cli.eof && x.srv.eof && x.cli.sent == size && x.srv.sent == size)
			break;
		tern_sim_run_for(x.sim, TERN_MS(1));
	}
	/* let the last ACKs and FINs settle: at 10% loss a FIN and its ACK may
	 * both be lost several times over, each retry backed off */
	tern_tcp_info ia, ib;
	for (int sec = 0; sec < 120; sec++) {
		tern_sim_run_for(x.sim, TERN_SEC(1));
		tern_socket_info(x.cli.s, &ia);
		ib.state = TERN_TCP_CLOSED;
		if (x.srv.s)
			tern_socket_info(x.srv.s, &ib);
		if ((ia.state == TERN_TCP_CLOSED || ia.state == TERN_TCP_TIME_WAIT) &&
		    (ib.state == TERN_TCP_CLOSED || ib.state == TERN_TCP_TIME_WAIT))
			break;
	}
	tern_socket_info(x.cli.s, &ia);
	if (x.srv.s)
		tern_socket_info(x.srv.s, &ib);
	else
		ib.state = -1;
	if (x.cli.got != size || x.srv.got != size) {
		sprintf(why, "got %zu and %zu of %zu bytes", x.cli.got, x.srv.got, size);
		goto out;
	}
	if (tern_siphash(hkey, x.in[0], size) != tern_siphash(hkey, x.pattern, size) ||
	    tern_siphash(hkey, x.in[1], size) != tern_siphash(hkey, x.pattern, size)) {
		sprintf(why, "hash mismatch");
		goto out;
	}
	bool done_a = ia.state == TERN_TCP_CLOSED || ia.state == TERN_TCP_TIME_WAIT;
	bool done_b = ib.state == TERN_TCP_CLOSED || ib.state == TERN_TCP_TIME_WAIT;
	if (!done_a || !done_b) {
		sprintf(why, "end states %s / %s", tern_tcp_state_name(ia.state),
			tern_tcp_state_name(ib.state));
		goto out;
	}
	tern_socket_close(x.cli.s);
	tern_socket_close(x.srv.s);
	tern_socket_close(x.lst);
	tern_sim_run_for(x.sim, TERN_SEC(120));  /* past 2*MSL */
	if (tern_sim_host_mem(x.a) != mem_a || tern_sim_host_mem(x.b) != mem_b) {
		sprintf(why, "memory %zu -> %zu, %zu -> %zu", mem_a, tern_sim_host_mem(x.a), mem_b,
			tern_sim_host_mem(x.b));
		goto out;
	}
	ok = true;
out:
	if (x.sim)
		tern_sim_del(x.sim);
	free(x.pattern);
	free(x.in[0]);
	free(x.in[1]);
	return ok;
}

static int seeds(void)
{
	const char *e = getenv("TERN_SIM_SEEDS");
	int n = e ? atoi(e) : 2;
	return n < 1 ? 1 : n > 1000 ? 1000 : n;
}

static size_t size_each_way(void)
{
	const char *e = getenv("TERN_SIM_MB");
	int mb = e ? atoi(e) : 2;
	return (size_t)(mb < 1 ? 1 : mb > 100 ? 100 : mb) << 20;
}

static tern_sim_link_config base(void)
{
	tern_sim_link_config c = {0};
	c.rate_bps = 100000000;
	c.delay = TERN_MS(5);
	c.queue_pkts = 200;
	c.mtu = 1500;
	return c;
}

static bool across_seeds(const tern_sim_link_config *c, uint64_t salt)
{
	char why[160];
	for (int i = 0; i < seeds(); i++) {
		uint64_t seed = salt * 1000 + (uint64_t)i + 1;
		if (!run_one(seed, c, size_each_way(), why)) {
			fprintf(stderr, "  seed %llu: %s\n", (unsigned long long)seed, why);
			return false;
		}
	}
	return true;
}

TT_TEST(test_transfer_both_ways_without_loss_is_intact)
{
	tern_sim_link_config c = base();
	TT_CHECK(across_seeds(&c, 1));
}

TT_TEST(test_transfer_both_ways_with_1_percent_loss_is_intact)
{
	tern_sim_link_config c = base();
	c.loss = 0.01;
	TT_CHECK(across_seeds(&c, 2));
}

TT_TEST(test_transfer_both_ways_with_5_percent_loss_is_intact)
{
	tern_sim_link_config c = base();
	c.loss = 0.05;
	TT_CHECK(across_seeds(&c, 3));
}

TT_TEST(test_transfer_both_ways_with_10_percent_loss_is_intact)
{
	tern_sim_link_config c = base();
	c.loss = 0.10;
	TT_CHECK(across_seeds(&c, 4));
}

TT_TEST(test_transfer_with_burst_loss_is_intact)
{
	tern_sim_link_config c = base();
	/* bursts of 2 packets on average, 2% of the time: the burst model is
	 * per packet, so a long stay in the bad state would swallow every
	 * backed-off retransmission and time the connection out, as it would
	 * on a real path that dead */
	c.ge_p_good_bad = 0.01;
	c.ge_p_bad_good = 0.5;
	TT_CHECK(across_seeds(&c, 5));
}

TT_TEST(test_transfer_with_duplication_reordering_corruption_and_jitter_is_intact)
{
	tern_sim_link_config c = base();
	c.dup = 0.02;
	c.reorder = 0.02;
	c.corrupt = 0.01;
	c.jitter = TERN_MS(2);
	c.loss = 0.01;
	TT_CHECK(across_seeds(&c, 6));
}

TT_MAIN(test_transfer_both_ways_without_loss_is_intact,
	test_transfer_both_ways_with_1_percent_loss_is_intact,
	test_transfer_both_ways_with_5_percent_loss_is_intact,
	test_transfer_both_ways_with_10_percent_loss_is_intact, test_transfer_with_burst_loss_is_intact,
	test_transfer_with_duplication_reordering_corruption_and_jitter_is_intact)
