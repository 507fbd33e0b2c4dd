/* test_fault.c - the fault injector: each fault at probability 0, 1 and in
 * between, holding and release timing, both directions, repeatability, and
 * the bottleneck's rate and drop-tail queue. */
#include <math.h>

#include "tern/dev.h"
#include "tt.h"

#define MAXREC 20000
#define PLEN   32

struct counting {
	size_t in_use;
};

static void *c_alloc(void *ctx, size_t size)
{
	((struct counting *)ctx)->in_use += size;
	return malloc(size);
}

static void c_free(void *ctx, void *p, size_t size)
{
	if (p)
		((struct counting *)ctx)->in_use -= size;
	free(p);
}

/* The device under the injector, and the sink above it: both record the
 * sequence numbers (first 4 bytes) and times of what reaches them. */
struct rec {
	uint32_t n;
	uint32_t seq[MAXREC];
	tern_time at[MAXREC];
	uint8_t bytes[8][PLEN]; /* the first few packets, whole */
};

struct lower {
	tern_dev dev;
	struct rec got;
	int rc;             /* what transmit returns */
	tern_time deadline; /* what poll returns */
};

static void rec_add(struct rec *r, const uint8_t *pkt, size_t len, tern_time now)
{
	uint32_t seq = 0;

	memcpy(&seq, pkt, len < 4 ? len : 4);
	if (r->n < 8 && len <= PLEN)
		memcpy(r->bytes[r->n], pkt, len);
	if (r->n < MAXREC) {
		r->seq[r->n] = seq;
		r->at[r->n] = now;
	}
	r->n++;
}

static int lower_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	struct lower *l = (struct lower *)d;

	rec_add(&l->got, pkt, len, now);
	return l->rc;
}

static tern_time lower_poll(tern_dev *d, tern_time now)
{
	(void)now;
	return ((struct lower *)d)->deadline;
}

static const tern_dev_ops lower_ops = {"lower", lower_transmit, lower_poll, NULL};

static void up_rx(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	rec_add(ctx, pkt, len, now);
}

/* The fixture: allocator, lower device, the injector, the receive sink. */
struct fx {
	struct counting c;
	tern_allocator a;
	struct lower *low;
	struct rec *up;
	tern_dev *f;
	size_t base; /* bytes in use right after creation */
};

static int fx_open(struct fx *x, const tern_fault_config *fc)
{
	x->c.in_use = 0;
	x->a = (tern_allocator){c_alloc, c_free, &x->c};
	x->f = NULL;
	x->low = calloc(1, sizeof(*x->low));
	x->up = calloc(1, sizeof(*x->up));
	x->low->dev.ops = &lower_ops;
	x->low->deadline = TERN_TIME_NEVER;
	int rc = tern_fault_new(&x->a, &x->low->dev, fc, &x->f);

	x->base = x->c.in_use;
	return rc;
}

static void fx_close(struct fx *x)
{
	tern_dev_del(x->f);
	free(x->low);
	free(x->up);
}

static void pkt_make(uint8_t *p, uint32_t seq)
{
	memcpy(p, &seq, 4);
	for (int i = 4; i < PLEN; i++)
		p[i] = (uint8_t)(seq * 7 + (uint32_t)i);
}

/* Send n packets down at time now; returns the number refused. */
static int send_n(struct fx *x, uint32_t n, tern_time now)
{
	uint8_t p[PLEN];
	int bad = 0;

	for (uint32_t i = 0; i < n; i++) {
		pkt_make(p, i);
		bad += tern_dev_transmit(x->f, p, PLEN, now) != 0;
	}
	return bad;
}

static bool near(uint64_t got, uint32_t n, double p)
{
	double expect = n * p, sd = sqrt(n * p * (1 - p));

	return fabs((double)got - expect) <= 5 * sd + 1;
}

TT_TEST(fault_all_zero_passes_everything_unchanged_at_once)
{
	tern_fault_config fc = {.seed = 1};
	struct fx x;
	tern_fault_stats st;
	uint8_t p[PLEN];

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 1000, 5), 0);
	TT_EQ(x.low->got.n, 1000);
	pkt_make(p, 0);
	TT_CHECK(memcmp(x.low->got.bytes[0], p, PLEN) == 0);
	TT_EQ(x.low->got.at[999], 5);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.passed, 1000);
	TT_EQ(st.lost + st.duplicated + st.reordered + st.corrupted + st.delayed, 0);
	TT_EQ(x.c.in_use, x.base);
	fx_close(&x);
}

TT_TEST(fault_loss_one_drops_every_packet_silently)
{
	tern_fault_config fc = {.loss = 1.0};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 500, 0), 0);
	TT_EQ(x.low->got.n, 0);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.lost, 500);
	TT_EQ(st.passed, 0);
	fx_close(&x);
}

TT_TEST(fault_loss_rate_matches_probability)
{
	tern_fault_config fc = {.loss = 0.3, .seed = 42};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 10000, 0), 0);
	tern_fault_stats_get(x.f, &st);
	TT_CHECK(near(st.lost, 10000, 0.3));
	TT_EQ(st.lost + x.low->got.n, 10000);
	fx_close(&x);
}

TT_TEST(fault_dup_one_sends_every_packet_twice_in_a_row)
{
	tern_fault_config fc = {.dup = 1.0};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 100, 0), 0);
	TT_EQ(x.low->got.n, 200);
	for (uint32_t i = 0; i < 200; i++)
		TT_EQ(x.low->got.seq[i], i / 2);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.duplicated, 100);
	TT_EQ(st.passed, 200);
	fx_close(&x);
}

TT_TEST(fault_dup_rate_matches_probability)
{
	tern_fault_config fc = {.dup = 0.1, .seed = 7};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 10000, 0), 0);
	tern_fault_stats_get(x.f, &st);
	TT_CHECK(near(st.duplicated, 10000, 0.1));
	TT_EQ(x.low->got.n, 10000 + st.duplicated);
	fx_close(&x);
}

static int bits_differing(const uint8_t *a, const uint8_t *b, size_t n)
{
	int d = 0;

	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++)
			d += ((a[i] ^ b[i]) >> bit) & 1;
	return d;
}

TT_TEST(fault_corrupt_one_flips_exactly_one_bit_per_packet)
{
	tern_fault_config fc = {.corrupt = 1.0, .seed = 3};
	struct fx x;
	tern_fault_stats st;
	uint8_t p[PLEN];

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 8, 0), 0);
	TT_EQ(x.low->got.n, 8);
	for (uint32_t i = 0; i < 8; i++) {
		pkt_make(p, i);
		TT_EQ(bits_differing(x.low->got.bytes[i], p, PLEN), 1);
	}
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.corrupted, 8);
	TT_EQ(x.c.in_use, x.base); /* the scratch copies were freed */
	fx_close(&x);
}

TT_TEST(fault_corrupt_rate_matches_probability)
{
	tern_fault_config fc = {.corrupt = 0.05, .seed = 11};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 10000, 0), 0);
	tern_fault_stats_get(x.f, &st);
	TT_CHECK(near(st.corrupted, 10000, 0.05));
	TT_EQ(x.low->got.n, 10000);
	fx_close(&x);
}

TT_TEST(fault_reorder_one_holds_for_delay_plus_10ms_by_default)
{
	tern_fault_config fc = {.reorder = 1.0, .delay = TERN_MS(2)};
	struct fx x;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 3, 1000), 0);
	TT_EQ(x.low->got.n, 0);
	TT_EQ(tern_dev_poll(x.f, 1000), 1000 + TERN_MS(12));
	TT_EQ(tern_dev_poll(x.f, 1000 + TERN_MS(12) - 1), 1000 + TERN_MS(12));
	TT_EQ(x.low->got.n, 0);
	TT_CHECK(tern_dev_poll(x.f, 1000 + TERN_MS(12)) == TERN_TIME_NEVER);
	TT_EQ(x.low->got.n, 3);
	for (uint32_t i = 0; i < 3; i++)
		TT_EQ(x.low->got.seq[i], i);
	fx_close(&x);
}

TT_TEST(fault_reordered_packets_are_overtaken_by_later_ones)
{
	tern_fault_config fc = {.reorder = 0.2, .reorder_delay = 50, .seed = 5};
	struct fx x;
	tern_fault_stats st;
	uint8_t p[PLEN];
	uint32_t inversions = 0;

	TT_EQ(fx_open(&x, &fc), 0);
	for (uint32_t i = 0; i < 2000; i++) {
		pkt_make(p, i);
		TT_EQ(tern_dev_transmit(x.f, p, PLEN, i * 10), 0);
		tern_dev_poll(x.f, i * 10);
	}
	tern_dev_poll(x.f, 2000 * 10 + 50);
	TT_EQ(x.low->got.n, 2000);
	for (uint32_t i = 1; i < 2000; i++)
		inversions += x.low->got.seq[i] < x.low->got.seq[i - 1];
	tern_fault_stats_get(x.f, &st);
	TT_CHECK(near(st.reordered, 2000, 0.2));
	TT_CHECK(inversions > 100);
	TT_EQ(x.c.in_use, x.base);
	fx_close(&x);
}

TT_TEST(fault_delay_holds_exactly_delay_and_keeps_order)
{
	tern_fault_config fc = {.delay = 300};
	struct fx x;
	tern_fault_stats st;
	uint8_t p[PLEN];

	TT_EQ(fx_open(&x, &fc), 0);
	for (uint32_t i = 0; i < 10; i++) {
		pkt_make(p, i);
		TT_EQ(tern_dev_transmit(x.f, p, PLEN, i * 100), 0);
	}
	TT_EQ(tern_dev_poll(x.f, 299), 300);
	TT_EQ(x.low->got.n, 0);
	for (tern_time t = 300; t <= 1200; t += 100) {
		tern_dev_poll(x.f, t);
		TT_EQ(x.low->got.n, (t - 200) / 100);
		TT_EQ(x.low->got.at[x.low->got.n - 1], t);
	}
	for (uint32_t i = 0; i < 10; i++)
		TT_EQ(x.low->got.seq[i], i);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.delayed, 10);
	fx_close(&x);
}

TT_TEST(fault_poll_returns_earliest_of_own_and_lower_deadline)
{
	tern_fault_config fc = {.delay = 500};
	struct fx x;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_CHECK(tern_dev_poll(x.f, 0) == TERN_TIME_NEVER);
	x.low->deadline = 800;
	TT_EQ(tern_dev_poll(x.f, 0), 800);
	TT_EQ(send_n(&x, 1, 0), 0);
	TT_EQ(tern_dev_poll(x.f, 0), 500);
	x.low->deadline = 200;
	TT_EQ(tern_dev_poll(x.f, 0), 200);
	fx_close(&x);
}

TT_TEST(fault_applies_to_the_receive_path_as_well)
{
	tern_fault_config fc = {.delay = 100, .dup = 1.0};
	struct fx x;
	uint8_t p[PLEN];

	TT_EQ(fx_open(&x, &fc), 0);
	x.f->up = up_rx;
	x.f->up_ctx = x.up;
	pkt_make(p, 9);
	tern_dev_deliver(&x.low->dev, p, PLEN, 0);
	TT_EQ(x.up->n, 0);
	TT_EQ(tern_dev_poll(x.f, 0), 100);
	tern_dev_poll(x.f, 100);
	TT_EQ(x.up->n, 2);
	TT_EQ(x.up->seq[0], 9);
	TT_EQ(x.up->at[1], 100);
	TT_EQ(x.low->got.n, 0);
	fx_close(&x);
}

/* The pass/lose pattern of 2000 packets, as a hash. */
static uint64_t loss_pattern(uint64_t seed)
{
	tern_fault_config fc = {.loss = 0.5, .corrupt = 0.5, .seed = seed};
	struct fx x;
	uint64_t h = 1469598103934665603u;

	if (fx_open(&x, &fc) != 0)
		return 0;
	send_n(&x, 2000, 0);
	for (uint32_t i = 0; i < x.low->got.n && i < MAXREC; i++)
		h = (h ^ x.low->got.seq[i]) * 1099511628211u;
	for (uint32_t i = 0; i < 8; i++)
		for (uint32_t j = 0; j < PLEN; j++)
			h = (h ^ x.low->got.bytes[i][j]) * 1099511628211u;
	fx_close(&x);
	return h;
}

TT_TEST(fault_same_seed_same_decisions_other_seed_others)
{
	TT_CHECK(loss_pattern(1) == loss_pattern(1));
	TT_CHECK(loss_pattern(2) == loss_pattern(2));
	TT_CHECK(loss_pattern(1) != loss_pattern(2));
}

TT_TEST(fault_stats_balance_once_everything_is_released)
{
	tern_fault_config fc = {
	    .loss = 0.1, .dup = 0.1, .reorder = 0.1, .corrupt = 0.1, .delay = 20, .seed = 9};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 5000, 0), 0);
	TT_CHECK(tern_dev_poll(x.f, 1000000) == TERN_TIME_NEVER);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.passed, 5000 - st.lost + st.duplicated);
	TT_EQ(x.low->got.n, st.passed);
	TT_EQ(st.delayed + st.reordered, 5000 - st.lost);
	TT_EQ(x.c.in_use, x.base);
	fx_close(&x);
}

TT_TEST(fault_del_frees_held_packets_and_restores_lower_sink)
{
	tern_fault_config fc = {.delay = 100};
	struct fx x;
	int marker;

	TT_EQ(fx_open(&x, &fc), 0);
	x.f->up = up_rx;
	x.f->up_ctx = &marker;
	TT_EQ(send_n(&x, 5, 0), 0);
	TT_CHECK(x.c.in_use > 0);
	tern_dev_del(x.f);
	TT_EQ(x.c.in_use, 0);
	TT_CHECK(x.low->dev.up == up_rx);
	TT_CHECK(x.low->dev.up_ctx == &marker);
	free(x.low);
	free(x.up);
}

TT_TEST(fault_passes_on_lower_transmit_errors)
{
	tern_fault_config fc = {0};
	struct fx x;

	TT_EQ(fx_open(&x, &fc), 0);
	x.low->rc = TERN_ENOBUFS;
	TT_EQ(send_n(&x, 3, 0), 3);
	fx_close(&x);
}

TT_TEST(fault_rejects_probabilities_outside_0_to_1)
{
	struct counting c = {0};
	tern_allocator a = {c_alloc, c_free, &c};
	struct lower low = {.dev = {.ops = &lower_ops}};
	tern_fault_config bad[] = {{.loss = -0.1}, {.dup = 1.5}, {.reorder = NAN}, {.corrupt = 2}};
	tern_fault_config ok = {0};
	tern_dev *f;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		TT_EQ(tern_fault_new(&a, &low.dev, &bad[i], &f), TERN_EINVAL);
	TT_EQ(tern_fault_new(&a, NULL, &ok, &f), TERN_EINVAL);
	TT_EQ(tern_fault_new(NULL, &low.dev, &ok, &f), TERN_EINVAL);
	TT_EQ(c.in_use, 0);
}

/* 32-byte packets at 256 kbit/s: 1 ms each on the wire. */
#define BN_RATE 256000u
#define BN_SER  1000u

TT_TEST(fault_bottleneck_spaces_packets_at_its_rate)
{
	tern_fault_config fc = {.rate_bps = BN_RATE, .delay = 100};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 5, 0), 0);
	TT_EQ(tern_dev_poll(x.f, 0), BN_SER + 100);
	for (uint32_t i = 1; i <= 5; i++) {
		tern_dev_poll(x.f, i * BN_SER + 99);
		TT_EQ(x.low->got.n, i - 1);
		tern_dev_poll(x.f, i * BN_SER + 100);
		TT_EQ(x.low->got.n, i);
		TT_EQ(x.low->got.seq[i - 1], i - 1);
	}
	/* An idle link serialises at once: from now, not from the last one. */
	TT_EQ(send_n(&x, 1, 20000), 0);
	TT_EQ(tern_dev_poll(x.f, 20000), 20000 + BN_SER + 100);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.queue_drops, 0);
	fx_close(&x);
}

TT_TEST(fault_bottleneck_drops_what_its_queue_cannot_hold)
{
	tern_fault_config fc = {.rate_bps = BN_RATE, .queue_pkts = 3};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	/* One on the wire and three waiting; the other six are refused. */
	TT_EQ(send_n(&x, 10, 0), 0);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.queue_drops, 6);
	TT_EQ(st.lost, 0);
	/* At 1 ms the second starts on the wire: room for one more. */
	TT_EQ(send_n(&x, 2, BN_SER), 0);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.queue_drops, 7);
	TT_CHECK(tern_dev_poll(x.f, 100 * BN_SER) == TERN_TIME_NEVER);
	TT_EQ(x.low->got.n, 5);
	TT_EQ(x.low->got.seq[4], 0); /* the one sent at 1 ms, last */
	TT_EQ(x.c.in_use, x.base);
	fx_close(&x);
}

TT_TEST(fault_bottleneck_queue_defaults_to_1000_packets)
{
	tern_fault_config fc = {.rate_bps = BN_RATE};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, TERN_FAULT_QUEUE_DEFAULT + 5, 0), 0);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.queue_drops, 4);
	fx_close(&x);
}

TT_TEST(fault_bottleneck_serves_each_direction_on_its_own)
{
	tern_fault_config fc = {.rate_bps = BN_RATE, .queue_pkts = 1};
	struct fx x;
	uint8_t p[PLEN];

	TT_EQ(fx_open(&x, &fc), 0);
	x.f->up = up_rx;
	x.f->up_ctx = x.up;
	TT_EQ(send_n(&x, 2, 0), 0);
	for (uint32_t i = 0; i < 2; i++) {
		pkt_make(p, i);
		tern_dev_deliver(&x.low->dev, p, PLEN, 0);
	}
	tern_dev_poll(x.f, 2 * BN_SER);
	TT_EQ(x.low->got.n, 2);
	TT_EQ(x.up->n, 2);
	TT_EQ(x.up->at[0], 2 * BN_SER); /* released by this poll, not earlier */
	fx_close(&x);
}

/* Random loss strikes after the bottleneck, as on the simulator's link:
 * a packet lost there still took its time on the wire. */
TT_TEST(fault_bottleneck_packets_lost_at_random_still_used_the_link)
{
	tern_fault_config fc = {.rate_bps = BN_RATE, .loss = 0.5, .seed = 4};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(send_n(&x, 200, 0), 0);
	for (tern_time t = BN_SER; t <= 200 * BN_SER; t += BN_SER)
		tern_dev_poll(x.f, t);
	tern_fault_stats_get(x.f, &st);
	TT_CHECK(st.lost > 50 && st.lost < 150);
	TT_EQ(x.low->got.n, 200 - st.lost);
	for (uint32_t i = 0; i < x.low->got.n; i++)
		TT_EQ(x.low->got.at[i], (x.low->got.seq[i] + 1) * BN_SER);
	fx_close(&x);
}

TT_TEST(fault_queue_limit_without_a_rate_changes_nothing)
{
	tern_fault_config fc = {.queue_pkts = 1, .seed = 1};
	struct fx x;
	tern_fault_stats st;

	TT_EQ(fx_open(&x, &fc), 0);
	TT_EQ(x.base, x.c.in_use);
	TT_EQ(send_n(&x, 100, 7), 0);
	TT_EQ(x.low->got.n, 100);
	TT_EQ(x.low->got.at[99], 7);
	tern_fault_stats_get(x.f, &st);
	TT_EQ(st.queue_drops, 0);
	fx_close(&x);
}

TT_TEST(fault_rejects_a_queue_over_the_maximum)
{
	struct counting c = {0};
	tern_allocator a = {c_alloc, c_free, &c};
	struct lower low = {.dev = {.ops = &lower_ops}};
	tern_fault_config fc = {.rate_bps = 1000000, .queue_pkts = TERN_FAULT_QUEUE_MAX + 1};
	tern_dev *f;

	TT_EQ(tern_fault_new(&a, &low.dev, &fc, &f), TERN_EINVAL);
	fc.queue_pkts = TERN_FAULT_QUEUE_MAX;
	TT_EQ(tern_fault_new(&a, &low.dev, &fc, &f), 0);
	tern_dev_del(f);
	TT_EQ(c.in_use, 0);
}

TT_MAIN(fault_all_zero_passes_everything_unchanged_at_once,
        fault_loss_one_drops_every_packet_silently, fault_loss_rate_matches_probability,
        fault_dup_one_sends_every_packet_twice_in_a_row, fault_dup_rate_matches_probability,
        fault_corrupt_one_flips_exactly_one_bit_per_packet, fault_corrupt_rate_matches_probability,
        fault_reorder_one_holds_for_delay_plus_10ms_by_default,
        fault_reordered_packets_are_overtaken_by_later_ones,
        fault_delay_holds_exactly_delay_and_keeps_order,
        fault_poll_returns_earliest_of_own_and_lower_deadline,
        fault_applies_to_the_receive_path_as_well, fault_same_seed_same_decisions_other_seed_others,
        fault_stats_balance_once_everything_is_released,
        fault_del_frees_held_packets_and_restores_lower_sink, fault_passes_on_lower_transmit_errors,
        fault_rejects_probabilities_outside_0_to_1, fault_bottleneck_spaces_packets_at_its_rate,
        fault_bottleneck_drops_what_its_queue_cannot_hold,
        fault_bottleneck_queue_defaults_to_1000_packets,
        fault_bottleneck_serves_each_direction_on_its_own,
        fault_bottleneck_packets_lost_at_random_still_used_the_link,
        fault_queue_limit_without_a_rate_changes_nothing, fault_rejects_a_queue_over_the_maximum)
