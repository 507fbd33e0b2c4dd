/*
 * memlink.c - two devices wired back to back in memory.
 *
 * Each end owns the queue of packets waiting to go up it. Delivery happens
 * only from poll, so a stack that answers a packet from inside its receive
 * path queues the answer instead of recursing into the other stack.
 */
#include "dev_int.h"

#define MEMLINK_QUEUE_DEFAULT 1024u
/* Copies of packets up to SLOT bytes (an Ethernet-sized MTU and its
 * headroom) are kept in nodes of that one size and reused: a transfer at
 * MTU 1500 then costs no allocation per packet. At most CACHE spare. */
#define MEMLINK_SLOT  2048u
#define MEMLINK_CACHE 256u

struct memlink;

struct memlink_end {
	tern_dev dev; /* first, so a tern_dev * is the end */
	struct memlink *link;
	tern_pktq rxq;  /* waiting to go up this end */
	uint64_t drops; /* sent from this end and dropped */
	bool alive;
};

struct memlink {
	struct memlink_end end[2];
	tern_allocator a;
	uint32_t queue_max;
	bool polling;
	tern_pktq_node *spare;  /* free slot-sized nodes */
	uint32_t nspare;
};

/* A node's storage: a slot for what fits one, else exactly the packet. */
static size_t node_cap(size_t len)
{
	return len <= MEMLINK_SLOT ? MEMLINK_SLOT : len;
}

static tern_pktq_node *node_get(struct memlink *l, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_pktq_node *n = len <= MEMLINK_SLOT ? l->spare : NULL;
	if (n) {
		l->spare = n->next;
		l->nspare--;
	} else if (!(n = l->a.alloc(l->a.ctx, sizeof(*n) + node_cap(len)))) {
		return NULL;
	}
	tern_pktq_node_fill(n, pkt, len, now);
	return n;
}

static void node_put(struct memlink *l, tern_pktq_node *n)
{
	if (n->len <= MEMLINK_SLOT && l->nspare < MEMLINK_CACHE) {
		n->next = l->spare;
		l->spare = n;
		l->nspare++;
		return;
	}
	l->a.free(l->a.ctx, n, sizeof(*n) + node_cap(n->len));
}

static struct memlink_end *memlink_peer(struct memlink_end *e)
{
	struct memlink *l = e->link;

	return e == &l->end[0] ? &l->end[1] : &l->end[0];
}

static int memlink_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	struct memlink_end *e = (struct memlink_end *)d;
	struct memlink_end *peer = memlink_peer(e);
	tern_pktq_node *n;

	/* An end already deleted is an unplugged cable: packets vanish. */
	if (!peer->alive) {
		e->drops++;
		return 0;
	}
	if (peer->rxq.count >= e->link->queue_max) {
		e->drops++;
		return TERN_ENOBUFS;
	}
	n = node_get(e->link, pkt, len, now);
	if (!n)
		return TERN_ENOMEM;
	tern_pktq_append(&peer->rxq, n);
	return 0;
}

/* Deliver at most `count` packets: those queued by the deliveries
 * themselves wait for the next poll, so two echoing stacks cannot keep one
 * poll spinning. */
static void memlink_drain(struct memlink *l, struct memlink_end *e, uint32_t count, tern_time now)
{
	for (uint32_t i = 0; i < count; i++) {
		tern_pktq_node *n = tern_pktq_pop(&e->rxq);

		if (!n)
			return;
		tern_dev_deliver(&e->dev, n->data, n->len, now);
		node_put(l, n);
	}
}

static tern_time memlink_poll(tern_dev *d, tern_time now)
{
	struct memlink *l = ((struct memlink_end *)d)->link;
	uint32_t n0, n1;

	/* Re-entered from a delivery: the outer poll carries on. */
	if (l->polling)
		return now;
	l->polling = true;
	n0 = l->end[0].rxq.count;
	n1 = l->end[1].rxq.count;
	memlink_drain(l, &l->end[0], n0, now);
	memlink_drain(l, &l->end[1], n1, now);
	l->polling = false;
	if (l->end[0].rxq.count || l->end[1].rxq.count)
		return now;
	return TERN_TIME_NEVER;
}

static void memlink_del(tern_dev *d)
{
	struct memlink_end *e = (struct memlink_end *)d;
	struct memlink *l = e->link;
	tern_allocator a = l->a;
	tern_pktq_node *n;

	while ((n = tern_pktq_pop(&e->rxq)) != NULL)
		node_put(l, n);
	e->alive = false;
	if (l->end[0].alive || l->end[1].alive)
		return;
	while ((n = l->spare) != NULL) {
		l->spare = n->next;
		a.free(a.ctx, n, sizeof(*n) + MEMLINK_SLOT);
	}
	a.free(a.ctx, l, sizeof(*l));
}

static const tern_dev_ops memlink_ops = {
    .name = "memlink",
    .transmit = memlink_transmit,
    .poll = memlink_poll,
    .del = memlink_del,
};

int tern_memlink_new(const tern_allocator *a, uint32_t queue_max, tern_dev **end_a,
                     tern_dev **end_b)
{
	struct memlink *l;

	if (!a || !a->alloc || !a->free || !end_a || !end_b)
		return TERN_EINVAL;
	l = a->alloc(a->ctx, sizeof(*l));
	if (!l)
		return TERN_ENOMEM;
	*l = (struct memlink){.a = *a, .queue_max = queue_max ? queue_max : MEMLINK_QUEUE_DEFAULT};
	for (int i = 0; i < 2; i++) {
		l->end[i].dev.ops = &memlink_ops;
		l->end[i].link = l;
		l->end[i].alive = true;
	}
	*end_a = &l->end[0].dev;
	*end_b = &l->end[1].dev;
	return 0;
}

uint64_t tern_memlink_drops(const tern_dev *end)
{
	if (!end || end->ops != &memlink_ops)
		return 0;
	return ((const struct memlink_end *)end)->drops;
}
