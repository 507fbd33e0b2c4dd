/* test_memlink.c - the in-memory back-to-back link and the tern_dev
 * wrappers. */
#include "tern/dev.h"
#include "tt.h"

/* A malloc allocator that counts what is outstanding and can be told to
 * refuse from the n-th allocation on. */
struct counting {
	size_t in_use;
	long allow; /* allocations left; negative = unlimited */
};

static void *c_alloc(void *ctx, size_t size)
{
	struct counting *c = ctx;

	if (c->allow == 0)
		return NULL;
	if (c->allow > 0)
		c->allow--;
	c->in_use += size;
	return malloc(size);
}

static void c_free(void *ctx, void *p, size_t size)
{
	struct counting *c = ctx;

	if (p)
		c->in_use -= size;
	free(p);
}

static tern_allocator counting_allocator(struct counting *c)
{
	c->in_use = 0;
	c->allow = -1;
	return (tern_allocator){c_alloc, c_free, c};
}

/* Records what arrives at one end. */
struct sink {
	int count;
	uint8_t last[64];
	size_t last_len;
	tern_time last_now;
	uint8_t order[64];
	tern_dev *answer_on; /* when set, each arrival is answered here */
};

static void sink_rx(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	struct sink *s = ctx;

	if (s->count < 64 && len > 0)
		s->order[s->count] = pkt[0];
	s->count++;
	s->last_len = len < sizeof(s->last) ? len : sizeof(s->last);
	memcpy(s->last, pkt, s->last_len);
	s->last_now = now;
	if (s->answer_on)
		tern_dev_transmit(s->answer_on, pkt, len, now);
}

static void attach(tern_dev *d, struct sink *s)
{
	memset(s, 0, sizeof(*s));
	d->up = sink_rx;
	d->up_ctx = s;
}

static const uint8_t PKT[4] = {1, 2, 3, 4};

TT_TEST(memlink_delivers_only_at_poll_never_inside_transmit)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;
	struct sink sy;

	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	attach(y, &sy);
	TT_EQ(tern_dev_transmit(x, PKT, sizeof(PKT), 5), 0);
	TT_EQ(sy.count, 0);
	tern_dev_poll(y, 7);
	TT_EQ(sy.count, 1);
	TT_EQ(sy.last_len, 4);
	TT_CHECK(memcmp(sy.last, PKT, 4) == 0);
	TT_EQ(sy.last_now, 7);
	tern_dev_del(x);
	tern_dev_del(y);
	TT_EQ(c.in_use, 0);
}

TT_TEST(memlink_poll_of_either_end_delivers_both_directions)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;
	struct sink sx, sy;

	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	attach(x, &sx);
	attach(y, &sy);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), 0);
	TT_EQ(tern_dev_transmit(y, PKT, 4, 0), 0);
	TT_EQ(tern_dev_transmit(y, PKT, 4, 0), 0);
	tern_dev_poll(x, 1);
	TT_EQ(sx.count, 2);
	TT_EQ(sy.count, 1);
	tern_dev_del(x);
	tern_dev_del(y);
}

TT_TEST(memlink_poll_with_nothing_left_returns_never)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;
	struct sink sy;

	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	attach(y, &sy);
	TT_CHECK(tern_dev_poll(x, 3) == TERN_TIME_NEVER);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 3), 0);
	TT_CHECK(tern_dev_poll(x, 3) == TERN_TIME_NEVER);
	TT_EQ(sy.count, 1);
	tern_dev_del(x);
	tern_dev_del(y);
}

TT_TEST(memlink_answer_sent_while_receiving_waits_for_next_poll)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;
	struct sink sx, sy;

	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	attach(x, &sx);
	attach(y, &sy);
	/* Both ends echo: without the bound one poll would never return. */
	sx.answer_on = x;
	sy.answer_on = y;
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), 0);
	TT_EQ(tern_dev_poll(y, 10), 10);
	TT_EQ(sy.count, 1);
	TT_EQ(sx.count, 0);
	TT_EQ(tern_dev_poll(y, 11), 11);
	TT_EQ(sx.count, 1);
	tern_dev_del(x);
	tern_dev_del(y);
	TT_EQ(c.in_use, 0);
}

TT_TEST(memlink_full_queue_drops_counts_and_refuses)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;
	struct sink sy;

	TT_EQ(tern_memlink_new(&a, 3, &x, &y), 0);
	attach(y, &sy);
	for (int i = 0; i < 3; i++)
		TT_EQ(tern_dev_transmit(x, PKT, 4, 0), 0);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), TERN_ENOBUFS);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), TERN_ENOBUFS);
	TT_EQ(tern_memlink_drops(x), 2);
	TT_EQ(tern_memlink_drops(y), 0);
	tern_dev_poll(x, 0);
	TT_EQ(sy.count, 3);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), 0);
	tern_dev_del(x);
	tern_dev_del(y);
}

TT_TEST(memlink_zero_queue_max_means_1024)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;

	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	for (int i = 0; i < 1024; i++)
		TT_EQ(tern_dev_transmit(x, PKT, 4, 0), 0);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), TERN_ENOBUFS);
	TT_EQ(tern_memlink_drops(x), 1);
	tern_dev_del(x);
	tern_dev_del(y);
	TT_EQ(c.in_use, 0);
}

TT_TEST(memlink_keeps_order_and_bytes)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;
	struct sink sy;
	uint8_t p[1];

	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	attach(y, &sy);
	for (int i = 0; i < 20; i++) {
		p[0] = (uint8_t)i;
		TT_EQ(tern_dev_transmit(x, p, 1, 0), 0);
	}
	tern_dev_poll(x, 0);
	TT_EQ(sy.count, 20);
	for (int i = 0; i < 20; i++)
		TT_EQ(sy.order[i], i);
	tern_dev_del(x);
	tern_dev_del(y);
}

TT_TEST(memlink_allocator_refusal_gives_enomem)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;

	c.allow = 0;
	TT_EQ(tern_memlink_new(&a, 0, &x, &y), TERN_ENOMEM);
	c.allow = 1;
	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), TERN_ENOMEM);
	TT_EQ(tern_memlink_drops(x), 0);
	tern_dev_del(x);
	tern_dev_del(y);
	TT_EQ(c.in_use, 0);
}

TT_TEST(memlink_deleting_both_ends_frees_queued_packets)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;

	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), 0);
	TT_EQ(tern_dev_transmit(y, PKT, 4, 0), 0);
	tern_dev_del(y);
	TT_CHECK(c.in_use > 0);
	tern_dev_del(x);
	TT_EQ(c.in_use, 0);
}

TT_TEST(memlink_send_towards_deleted_end_vanishes)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_dev *x, *y;

	TT_EQ(tern_memlink_new(&a, 0, &x, &y), 0);
	tern_dev_del(y);
	TT_EQ(tern_dev_transmit(x, PKT, 4, 0), 0);
	TT_EQ(tern_memlink_drops(x), 1);
	TT_CHECK(tern_dev_poll(x, 0) == TERN_TIME_NEVER);
	tern_dev_del(x);
	TT_EQ(c.in_use, 0);
}

TT_TEST(memlink_rejects_missing_arguments)
{
	struct counting c;
	tern_allocator a = counting_allocator(&c);
	tern_allocator none = {0};
	tern_dev *x, *y;

	TT_EQ(tern_memlink_new(NULL, 0, &x, &y), TERN_EINVAL);
	TT_EQ(tern_memlink_new(&none, 0, &x, &y), TERN_EINVAL);
	TT_EQ(tern_memlink_new(&a, 0, NULL, &y), TERN_EINVAL);
	TT_EQ(c.in_use, 0);
}

static int dummy_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	(void)d;
	(void)pkt;
	(void)now;
	return (int)len;
}

TT_TEST(dev_wrappers_tolerate_missing_ops_and_sinks)
{
	static const tern_dev_ops bare = {.name = "bare", .transmit = dummy_transmit};
	tern_dev none = {0}, d = {.ops = &bare};
	struct sink s;

	TT_EQ(tern_dev_transmit(&none, PKT, 4, 0), TERN_EINVAL);
	TT_EQ(tern_dev_transmit(NULL, PKT, 4, 0), TERN_EINVAL);
	TT_EQ(tern_dev_transmit(&d, PKT, 4, 0), 4);
	TT_CHECK(tern_dev_poll(&d, 0) == TERN_TIME_NEVER);
	TT_CHECK(tern_dev_poll(NULL, 0) == TERN_TIME_NEVER);
	tern_dev_deliver(&d, PKT, 4, 0); /* no sink: nothing happens */
	tern_dev_del(&d);                /* no del op: nothing happens */
	tern_dev_del(NULL);
	attach(&d, &s);
	tern_dev_deliver(&d, PKT, 4, 9);
	TT_EQ(s.count, 1);
	TT_EQ(s.last_now, 9);
	TT_EQ(tern_memlink_drops(&d), 0); /* not a memlink */
}

TT_MAIN(memlink_delivers_only_at_poll_never_inside_transmit,
        memlink_poll_of_either_end_delivers_both_directions,
        memlink_poll_with_nothing_left_returns_never,
        memlink_answer_sent_while_receiving_waits_for_next_poll,
        memlink_full_queue_drops_counts_and_refuses, memlink_zero_queue_max_means_1024,
        memlink_keeps_order_and_bytes, memlink_allocator_refusal_gives_enomem,
        memlink_deleting_both_ends_frees_queued_packets, memlink_send_towards_deleted_end_vanishes,
        memlink_rejects_missing_arguments, dev_wrappers_tolerate_missing_ops_and_sinks)
