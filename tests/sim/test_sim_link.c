/* test_sim_link.c - the simulator's links, clock and captures, driven
 * through raw hosts (no stack): exact timing, queue limits, loss models,
 * duplication, reordering, jitter, corruption, MTU, determinism. */
#include <math.h>

#include "tern/sim.h"
#include "tt.h"

/* What reaches one raw host: sequence numbers (first 4 bytes) and times. */
struct rec {
	uint32_t n, cap;
	uint32_t *seq;
	tern_time *at;
	uint8_t first[64];
	size_t first_len;
	tern_dev *echo; /* when set, every packet is sent back */
};

static void rec_rx(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	struct rec *r = ctx;
	uint32_t seq = 0;

	memcpy(&seq, pkt, len < 4 ? len : 4);
	if (r->n == 0) {
		r->first_len = len < sizeof(r->first) ? len : sizeof(r->first);
		memcpy(r->first, pkt, r->first_len);
	}
	if (r->n < r->cap) {
		r->seq[r->n] = seq;
		r->at[r->n] = now;
	}
	r->n++;
	if (r->echo)
		tern_dev_transmit(r->echo, pkt, len, now);
}

/* Two raw hosts a and b joined by a link; b's arrivals go to rb, a's to ra. */
struct pair {
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	struct rec ra, rb;
};

static void rec_init(struct rec *r, uint32_t cap)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap;
	r->seq = calloc(cap, sizeof(*r->seq));
	r->at = calloc(cap, sizeof(*r->at));
}

static int pair_open(struct pair *p, uint64_t seed, const tern_sim_link_config *c, uint32_t cap)
{
	int rc;

	rec_init(&p->ra, cap);
	rec_init(&p->rb, cap);
	if ((rc = tern_sim_new(seed, &p->sim)) < 0 ||
	    (rc = tern_sim_raw_add(p->sim, "a", &p->a)) < 0 ||
	    (rc = tern_sim_raw_add(p->sim, "b", &p->b)) < 0 ||
	    (rc = tern_sim_connect(p->sim, p->a, p->b, c, &p->link)) < 0)
		return rc;
	tern_sim_host_dev(p->a)->up = rec_rx;
	tern_sim_host_dev(p->a)->up_ctx = &p->ra;
	tern_sim_host_dev(p->b)->up = rec_rx;
	tern_sim_host_dev(p->b)->up_ctx = &p->rb;
	return 0;
}

static void pair_close(struct pair *p)
{
	tern_sim_del(p->sim);
	free(p->ra.seq);
	free(p->ra.at);
	free(p->rb.seq);
	free(p->rb.at);
}

/* Send packet `seq` of len bytes from h at the current virtual time. */
static int send_pkt(tern_sim *sim, tern_sim_host *h, uint32_t seq, size_t len)
{
	uint8_t buf[2000] = {0};

	memcpy(buf, &seq, 4);
	for (size_t i = 4; i < len && i < sizeof(buf); i++)
		buf[i] = (uint8_t)(seq + i);
	return tern_dev_transmit(tern_sim_host_dev(h), buf, len, tern_sim_now(sim));
}

/* A stream of packets from a, one every `gap` microseconds. */
struct stream {
	struct pair *p;
	uint32_t next, count;
	tern_time gap;
	size_t len;
};

static void stream_tick(tern_sim *sim, void *ctx)
{
	struct stream *s = ctx;

	send_pkt(sim, s->p->a, s->next++, s->len);
	if (s->next < s->count)
		tern_sim_at(sim, tern_sim_now(sim) + s->gap, stream_tick, s);
}

static void stream_start(struct stream *s, struct pair *p, uint32_t count, tern_time gap,
                         size_t len)
{
	*s = (struct stream){.p = p, .count = count, .gap = gap, .len = len};
	tern_sim_at(p->sim, tern_sim_now(p->sim), stream_tick, s);
}

static bool near(uint64_t got, uint32_t n, double p)
{
	double expect = n * p, sd = sqrt(n * p * (1 - p));

	return fabs((double)got - expect) <= 5 * sd + 1;
}

TT_TEST(sim_link_rate_and_delay_give_exact_arrival_times)
{
	/* 8 Mbit/s: one byte a microsecond. */
	tern_sim_link_config c = {.rate_bps = 8000000, .delay = 5000};
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 16), 0);
	for (uint32_t i = 0; i < 3; i++)
		TT_EQ(send_pkt(p.sim, p.a, i, 1000), 0);
	TT_EQ(tern_sim_run_until(p.sim, 20000), 0);
	TT_EQ(tern_sim_now(p.sim), 20000);
	TT_EQ(p.rb.n, 3);
	TT_EQ(p.rb.at[0], 6000);
	TT_EQ(p.rb.at[1], 7000);
	TT_EQ(p.rb.at[2], 8000);
	TT_EQ(send_pkt(p.sim, p.a, 3, 500), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	TT_EQ(p.rb.at[3], 20000 + 500 + 5000);
	TT_EQ(p.ra.n, 0);
	pair_close(&p);
}

TT_TEST(sim_link_serialization_rounds_up_to_whole_microseconds)
{
	tern_sim_link_config c = {.rate_bps = 3000000};
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 16), 0);
	TT_EQ(send_pkt(p.sim, p.a, 0, 1), 0); /* 8 bits: 2.67 us */
	TT_EQ(tern_sim_run_for(p.sim, 100), 0);
	TT_EQ(p.rb.at[0], 3);
	pair_close(&p);
}

TT_TEST(sim_link_packet_queue_limit_drops_the_tail)
{
	tern_sim_link_config c = {.rate_bps = 8000000, .queue_pkts = 2};
	tern_sim_link_stats st;
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 16), 0);
	/* One goes on the wire, two wait, two are refused. */
	for (uint32_t i = 0; i < 5; i++)
		TT_EQ(send_pkt(p.sim, p.a, i, 1000), 0);
	TT_EQ(tern_sim_run_until(p.sim, 1500), 0);
	/* By now the second is on the wire: one waits, one more fits. */
	TT_EQ(send_pkt(p.sim, p.a, 5, 1000), 0);
	TT_EQ(send_pkt(p.sim, p.a, 6, 1000), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.sent, 7);
	TT_EQ(st.queue_drops, 3);
	TT_EQ(p.rb.n, 4);
	TT_EQ(p.rb.seq[0], 0);
	TT_EQ(p.rb.seq[1], 1);
	TT_EQ(p.rb.seq[2], 2);
	TT_EQ(p.rb.seq[3], 5);
	TT_EQ(p.rb.at[3], 4000);
	pair_close(&p);
}

TT_TEST(sim_link_byte_queue_limit_drops_the_tail)
{
	tern_sim_link_config c = {.rate_bps = 8000000, .queue_bytes = 2500};
	tern_sim_link_stats st;
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 16), 0);
	for (uint32_t i = 0; i < 4; i++)
		TT_EQ(send_pkt(p.sim, p.a, i, 1000), 0);
	TT_EQ(send_pkt(p.sim, p.a, 4, 400), 0); /* 2400 waiting: fits */
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.queue_drops, 1);
	TT_EQ(p.rb.n, 4);
	TT_EQ(p.rb.seq[3], 4);
	pair_close(&p);
}

TT_TEST(sim_link_mtu_drops_longer_packets_and_counts_them)
{
	tern_sim_link_config c = {.mtu = 1000};
	tern_sim_link_stats st;
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 16), 0);
	TT_EQ(send_pkt(p.sim, p.a, 0, 1000), 0);
	TT_EQ(send_pkt(p.sim, p.a, 1, 1001), 0);
	TT_EQ(send_pkt(p.sim, p.b, 2, 1500), 0);
	TT_EQ(tern_sim_run_for(p.sim, 10), 0);
	TT_EQ(p.rb.n, 1);
	TT_EQ(p.ra.n, 0);
	tern_sim_link_stats_get(p.link, TERN_SIM_BOTH, &st);
	TT_EQ(st.mtu_drops, 2);
	TT_EQ(st.sent, 3);
	TT_EQ(st.delivered, 1);
	pair_close(&p);
}

TT_TEST(sim_link_random_loss_matches_probability)
{
	tern_sim_link_config c = {.loss = 0.1};
	tern_sim_link_stats st;
	struct pair p;
	struct stream s;

	TT_EQ(pair_open(&p, 7, &c, 20000), 0);
	stream_start(&s, &p, 20000, 10, 100);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.sent, 20000);
	TT_CHECK(near(st.lost, 20000, 0.1));
	TT_EQ(st.lost_burst, 0);
	TT_EQ(p.rb.n, 20000 - st.lost);
	pair_close(&p);
}

/* Loss rate and mean length of runs of consecutive losses. */
static void loss_runs(const struct rec *r, uint32_t sent, double *rate, double *mean_run)
{
	uint32_t runs = 0, lost = 0, expect = 0;

	for (uint32_t i = 0; i < r->n && i < r->cap; i++) {
		if (r->seq[i] > expect)
			runs++;
		lost += r->seq[i] - expect;
		expect = r->seq[i] + 1;
	}
	if (expect < sent) {
		runs++;
		lost += sent - expect;
	}
	*rate = (double)lost / sent;
	*mean_run = runs ? (double)lost / runs : 0;
}

TT_TEST(sim_link_gilbert_elliott_losses_come_in_bursts)
{
	/* Stationary bad share 0.01 / (0.01 + 0.2) = 4.76%, bursts of 5. */
	tern_sim_link_config ge = {.ge_p_good_bad = 0.01, .ge_p_bad_good = 0.2};
	tern_sim_link_config rnd = {.loss = 0.0476};
	tern_sim_link_stats st;
	struct pair p;
	struct stream s;
	double rate, run;
	const uint32_t n = 200000;

	TT_EQ(pair_open(&p, 3, &ge, n), 0);
	stream_start(&s, &p, n, 1, 64);
	TT_EQ(tern_sim_run_for(p.sim, n + 10), 0);
	loss_runs(&p.rb, n, &rate, &run);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.lost, st.lost_burst);
	TT_EQ(st.lost, n - p.rb.n);
	TT_CHECK(rate > 0.040 && rate < 0.056);
	TT_CHECK(run > 4.3 && run < 5.7);
	pair_close(&p);

	TT_EQ(pair_open(&p, 3, &rnd, n), 0);
	stream_start(&s, &p, n, 1, 64);
	TT_EQ(tern_sim_run_for(p.sim, n + 10), 0);
	loss_runs(&p.rb, n, &rate, &run);
	TT_CHECK(rate > 0.040 && rate < 0.056);
	TT_CHECK(run < 1.2);
	pair_close(&p);
}

TT_TEST(sim_link_duplicate_arrives_right_after_the_original)
{
	tern_sim_link_config c = {.delay = 100, .dup = 1.0};
	tern_sim_link_stats st;
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 16), 0);
	TT_EQ(send_pkt(p.sim, p.a, 0, 50), 0);
	TT_EQ(send_pkt(p.sim, p.a, 1, 50), 0);
	TT_EQ(tern_sim_run_for(p.sim, 1000), 0);
	TT_EQ(p.rb.n, 4);
	TT_EQ(p.rb.seq[0], 0);
	TT_EQ(p.rb.seq[1], 0);
	TT_EQ(p.rb.seq[2], 1);
	TT_EQ(p.rb.at[1], 100);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.duplicated, 2);
	TT_EQ(st.delivered, 4);
	pair_close(&p);
}

TT_TEST(sim_link_reordered_packets_are_passed_by_later_ones)
{
	tern_sim_link_config c = {.delay = 1000, .reorder = 0.1, .reorder_delay = 500};
	tern_sim_link_stats st;
	struct pair p;
	struct stream s;
	uint32_t inversions = 0;

	TT_EQ(pair_open(&p, 5, &c, 2000), 0);
	stream_start(&s, &p, 2000, 100, 100);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	TT_EQ(p.rb.n, 2000);
	for (uint32_t i = 1; i < 2000; i++)
		inversions += p.rb.seq[i] < p.rb.seq[i - 1];
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_CHECK(near(st.reordered, 2000, 0.1));
	/* Each held packet is passed, except where it is the last of the
	 * stream or another held one trails it closely. */
	TT_CHECK(inversions <= st.reordered && inversions * 10 >= st.reordered * 9);
	pair_close(&p);
}

TT_TEST(sim_link_jitter_spreads_arrivals_but_never_reorders)
{
	tern_sim_link_config c = {.delay = 1000, .jitter = 400};
	struct pair p;
	struct stream s;
	uint32_t late = 0;

	TT_EQ(pair_open(&p, 9, &c, 1000), 0);
	stream_start(&s, &p, 1000, 100, 100);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	TT_EQ(p.rb.n, 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		tern_time sent = (tern_time)i * 100;

		TT_EQ(p.rb.seq[i], i);
		TT_CHECK(p.rb.at[i] >= sent + 1000);
		TT_CHECK(p.rb.at[i] <= sent + 1400 + 400);
		late += p.rb.at[i] > sent + 1000;
	}
	TT_CHECK(late > 900);
	pair_close(&p);
}

TT_TEST(sim_link_corruption_flips_exactly_one_bit)
{
	tern_sim_link_config c = {.corrupt = 1.0};
	tern_sim_link_stats st;
	struct pair p;
	uint8_t want[40] = {0};
	int bits = 0;

	TT_EQ(pair_open(&p, 4, &c, 16), 0);
	TT_EQ(send_pkt(p.sim, p.a, 0x01020304, 40), 0);
	TT_EQ(tern_sim_run_for(p.sim, 10), 0);
	TT_EQ(p.rb.n, 1);
	want[0] = 4, want[1] = 3, want[2] = 2, want[3] = 1;
	for (size_t i = 4; i < 40; i++)
		want[i] = (uint8_t)(0x01020304 + i);
	for (size_t i = 0; i < 40; i++)
		for (int b = 0; b < 8; b++)
			bits += ((p.rb.first[i] ^ want[i]) >> b) & 1;
	TT_EQ(bits, 1);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.corrupted, 1);
	pair_close(&p);
}

TT_TEST(sim_link_stats_balance_under_every_fault_at_once)
{
	tern_sim_link_config c = {.rate_bps = 10000000,
	                          .delay = 2000,
	                          .jitter = 300,
	                          .queue_pkts = 5,
	                          .loss = 0.05,
	                          .ge_p_good_bad = 0.01,
	                          .ge_p_bad_good = 0.3,
	                          .dup = 0.05,
	                          .reorder = 0.05,
	                          .corrupt = 0.05,
	                          .mtu = 1200};
	tern_sim_link_stats st;
	struct pair p;
	struct stream s;

	TT_EQ(pair_open(&p, 11, &c, 5000), 0);
	stream_start(&s, &p, 5000, 500, 1000);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(5)), 0);
	TT_EQ(send_pkt(p.sim, p.a, 99999, 1201), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	tern_sim_link_stats_get(p.link, TERN_SIM_AB, &st);
	TT_EQ(st.sent, 5001);
	TT_EQ(st.mtu_drops, 1);
	TT_EQ(st.sent, st.delivered + st.lost + st.queue_drops + st.mtu_drops - st.duplicated);
	TT_EQ(st.delivered, p.rb.n);
	TT_CHECK(st.lost > 0 && st.duplicated > 0 && st.reordered > 0);
	TT_CHECK(st.corrupted > 0 && st.lost_burst > 0);
	pair_close(&p);
}

/* A hash of which packets arrived when. */
static uint64_t run_hash(uint64_t seed, bool extra_host)
{
	tern_sim_link_config c = {
	    .delay = 100, .jitter = 50, .loss = 0.3, .dup = 0.1, .reorder = 0.1};
	struct pair p;
	struct stream s;
	tern_sim_host *x, *y;
	uint64_t h = 1469598103934665603u;

	rec_init(&p.ra, 4000);
	rec_init(&p.rb, 4000);
	tern_sim_new(seed, &p.sim);
	tern_sim_raw_add(p.sim, "a", &p.a);
	if (extra_host)
		tern_sim_raw_add(p.sim, "x", &x);
	tern_sim_raw_add(p.sim, "b", &p.b);
	tern_sim_connect(p.sim, p.a, p.b, &c, &p.link);
	if (extra_host) {
		tern_sim_raw_add(p.sim, "y", &y);
		tern_sim_connect(p.sim, x, y, &c, NULL);
	}
	tern_sim_host_dev(p.b)->up = rec_rx;
	tern_sim_host_dev(p.b)->up_ctx = &p.rb;
	stream_start(&s, &p, 2000, 20, 60);
	tern_sim_run_for(p.sim, TERN_SEC(1));
	for (uint32_t i = 0; i < p.rb.n && i < p.rb.cap; i++)
		h = ((h ^ p.rb.seq[i]) * 1099511628211u ^ p.rb.at[i]) * 1099511628211u;
	pair_close(&p);
	return h;
}

TT_TEST(sim_same_seed_same_run_and_other_links_do_not_disturb_it)
{
	uint64_t h1 = run_hash(1, false);

	TT_CHECK(h1 == run_hash(1, false));
	TT_CHECK(h1 == run_hash(1, true));
	TT_CHECK(h1 != run_hash(2, false));
}

struct calls {
	tern_sim *sim;
	int order[8];
	tern_time at[8];
	int n;
	int rc;
};

static void call_a(tern_sim *sim, void *ctx)
{
	struct calls *c = ctx;

	c->at[c->n] = tern_sim_now(sim);
	c->order[c->n++] = 1;
}

static void call_b(tern_sim *sim, void *ctx)
{
	struct calls *c = ctx;

	c->at[c->n] = tern_sim_now(sim);
	c->order[c->n++] = 2;
	c->rc = tern_sim_run_for(sim, 10);
}

TT_TEST(sim_callbacks_run_at_their_time_in_scheduling_order)
{
	tern_sim *sim;
	struct calls c = {0};

	TT_EQ(tern_sim_new(1, &sim), 0);
	TT_EQ(tern_sim_at(sim, 500, call_b, &c), 0);
	TT_EQ(tern_sim_at(sim, 300, call_a, &c), 0);
	TT_EQ(tern_sim_at(sim, 500, call_a, &c), 0);
	TT_EQ(tern_sim_run_until(sim, 499), 0);
	TT_EQ(c.n, 1);
	TT_EQ(tern_sim_now(sim), 499);
	TT_EQ(tern_sim_run_until(sim, 10000), 0);
	TT_EQ(c.n, 3);
	TT_EQ(c.order[0], 1);
	TT_EQ(c.at[0], 300);
	TT_EQ(c.order[1], 2);
	TT_EQ(c.order[2], 1);
	TT_EQ(c.at[2], 500);
	TT_EQ(c.rc, TERN_EALREADY);
	TT_EQ(tern_sim_now(sim), 10000);
	TT_EQ(tern_sim_at(sim, 5, call_a, &c), 0); /* the past means now */
	TT_EQ(tern_sim_run_for(sim, 0), 0);
	TT_EQ(c.at[3], 10000);
	TT_EQ(tern_sim_run_until(sim, TERN_TIME_NEVER), TERN_EINVAL);
	tern_sim_del(sim);
}

TT_TEST(sim_endless_echo_at_one_instant_is_reported_as_livelock)
{
	tern_sim_link_config ideal = {0};
	struct pair p;

	TT_EQ(pair_open(&p, 1, &ideal, 16), 0);
	p.ra.echo = tern_sim_host_dev(p.a);
	p.rb.echo = tern_sim_host_dev(p.b);
	TT_EQ(send_pkt(p.sim, p.a, 0, 20), 0);
	TT_EQ(tern_sim_run_for(p.sim, 100), TERN_ETIMEDOUT);
	TT_EQ(tern_sim_now(p.sim), 0);
	pair_close(&p);
}

TT_TEST(sim_link_cut_by_set_config_loses_what_follows)
{
	tern_sim_link_config c = {.delay = 100}, cut = {.delay = 100, .loss = 1};
	struct pair p;

	TT_EQ(pair_open(&p, 1, &c, 16), 0);
	TT_EQ(send_pkt(p.sim, p.a, 0, 20), 0);
	TT_EQ(tern_sim_link_set_config(p.link, &cut), 0);
	TT_EQ(send_pkt(p.sim, p.a, 1, 20), 0);
	TT_EQ(send_pkt(p.sim, p.b, 2, 20), 0);
	TT_EQ(tern_sim_run_for(p.sim, 1000), 0);
	TT_EQ(p.rb.n, 1); /* already in flight: keeps its fate */
	TT_EQ(p.ra.n, 0);
	cut.loss = 1.5;
	TT_EQ(tern_sim_link_set_config(p.link, &cut), TERN_EINVAL);
	pair_close(&p);
}

TT_TEST(sim_connect_refuses_bad_configs_and_second_links)
{
	tern_sim *sim;
	tern_sim_host *a, *b, *c;
	tern_sim_link_config bad = {.dup = -1}, ok = {0};

	TT_EQ(tern_sim_new(1, &sim), 0);
	TT_EQ(tern_sim_raw_add(sim, "a", &a), 0);
	TT_EQ(tern_sim_raw_add(sim, "b", &b), 0);
	TT_EQ(tern_sim_raw_add(sim, "c", &c), 0);
	TT_EQ(tern_sim_connect(sim, a, b, &bad, NULL), TERN_EINVAL);
	TT_EQ(tern_sim_connect(sim, a, a, &ok, NULL), TERN_EINVAL);
	TT_EQ(tern_sim_connect(sim, a, b, &ok, NULL), 0);
	TT_EQ(tern_sim_connect(sim, c, b, &ok, NULL), TERN_EEXIST);
	TT_CHECK(strcmp(tern_sim_host_name(c), "c") == 0);
	TT_CHECK(tern_sim_host_stack(c) == NULL);
	/* An unlinked port is an unplugged cable. */
	TT_EQ(send_pkt(sim, c, 0, 20), 0);
	TT_EQ(tern_sim_run_for(sim, 10), 0);
	tern_sim_del(sim);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

TT_TEST(sim_captures_see_sends_at_the_host_and_arrivals_on_the_link)
{
	tern_sim_link_config c = {.delay = 2500, .loss = 1.0};
	struct pair p;
	tern_sim_buf hb = {0}, lb = {0};

	TT_EQ(pair_open(&p, 1, &c, 16), 0);
	TT_EQ(tern_sim_capture_host(p.a, tern_sim_buf_write, &hb), 0);
	TT_EQ(tern_sim_capture_link(p.link, tern_sim_buf_write, &lb), 0);
	TT_EQ(tern_sim_run_until(p.sim, 1000000), 0);
	TT_EQ(send_pkt(p.sim, p.a, 0, 30), 0); /* lost on the link */
	c.loss = 0;
	TT_EQ(tern_sim_link_set_config(p.link, &c), 0);
	TT_EQ(send_pkt(p.sim, p.b, 1, 20), 0);
	TT_EQ(tern_sim_run_for(p.sim, TERN_SEC(1)), 0);
	TT_EQ(p.ra.n, 1);
	/* The host saw its send and the arrival; the link only the arrival. */
	TT_EQ(hb.len, 24 + 16 + 30 + 16 + 20);
	TT_EQ(lb.len, 24 + 16 + 20);
	TT_EQ(le32(hb.data + 24), 1);
	TT_EQ(le32(hb.data + 28), 0);
	TT_EQ(le32(hb.data + 24 + 16 + 30 + 4), 2500);
	TT_EQ(le32(lb.data + 24 + 4), 2500);
	TT_CHECK(memcmp(hb.data, lb.data, 24) == 0);
	pair_close(&p);
	tern_sim_buf_free(&hb);
	tern_sim_buf_free(&lb);
}

TT_MAIN(sim_link_rate_and_delay_give_exact_arrival_times,
        sim_link_serialization_rounds_up_to_whole_microseconds,
        sim_link_packet_queue_limit_drops_the_tail, sim_link_byte_queue_limit_drops_the_tail,
        sim_link_mtu_drops_longer_packets_and_counts_them, sim_link_random_loss_matches_probability,
        sim_link_gilbert_elliott_losses_come_in_bursts,
        sim_link_duplicate_arrives_right_after_the_original,
        sim_link_reordered_packets_are_passed_by_later_ones,
        sim_link_jitter_spreads_arrivals_but_never_reorders,
        sim_link_corruption_flips_exactly_one_bit, sim_link_stats_balance_under_every_fault_at_once,
        sim_same_seed_same_run_and_other_links_do_not_disturb_it,
        sim_callbacks_run_at_their_time_in_scheduling_order,
        sim_endless_echo_at_one_instant_is_reported_as_livelock,
        sim_link_cut_by_set_config_loses_what_follows,
        sim_connect_refuses_bad_configs_and_second_links,
        sim_captures_see_sends_at_the_host_and_arrivals_on_the_link)
