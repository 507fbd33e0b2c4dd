/*
 * fault.c - a device that loses, duplicates, reorders, corrupts and delays
 * packets in both directions, drawing every decision from its own seeded
 * PRNG so that a run repeats exactly, behind an optional bottleneck (a
 * rate and a drop-tail queue, per direction).
 *
 * The bottleneck decides first and draws nothing, so without a rate the
 * draws are what they always were. Decisions are then drawn per packet in
 * a fixed order (loss, then dup, corrupt, reorder); a duplicate is a copy
 * of the packet as corrupted, held as long. Losses are silent (transmit
 * returns 0), as on a real network.
 */
#include "dev_int.h"
#include "prng.h"

enum { FAULT_DOWN, FAULT_UP };

/* One direction's bottleneck: when the link is busy until, and a ring of
 * the start times of the packets waiting to be serialised (the queue, as
 * sim/link.c counts it: not the one on the wire). */
struct fault_bneck {
	tern_time busy_until;
	tern_time *start; /* queue_pkts entries */
	uint32_t head, len;
};

struct fault {
	tern_dev dev; /* first, so a tern_dev * is the injector */
	tern_dev *lower;
	tern_allocator a;
	tern_fault_config fc;
	tern_prng rng;
	tern_pktq held[2]; /* by direction, ordered by due time */
	tern_fault_stats st;
	tern_time cut_until;      /* everything is lost before this (a pulled cable) */
	struct fault_bneck bn[2]; /* by direction; used when fc.rate_bps */
	tern_time *rings;         /* both rings' storage, 2 * queue_pkts */
};

struct fault_fate {
	bool lost, dup, corrupt, reorder;
};

static struct fault_fate fault_draw(struct fault *f)
{
	struct fault_fate x = {0};

	x.lost = tern_prng_chance(&f->rng, f->fc.loss);
	if (x.lost)
		return x;
	x.dup = tern_prng_chance(&f->rng, f->fc.dup);
	x.corrupt = tern_prng_chance(&f->rng, f->fc.corrupt);
	x.reorder = tern_prng_chance(&f->rng, f->fc.reorder);
	return x;
}

/* "passed" counts copies handed on, so once nothing is held
 * passed == offered - lost + duplicated. */
static int fault_emit(struct fault *f, int dir, const uint8_t *pkt, size_t len, tern_time now)
{
	f->st.passed++;
	if (dir == FAULT_DOWN)
		return tern_dev_transmit(f->lower, pkt, len, now);
	tern_dev_deliver(&f->dev, pkt, len, now);
	return 0;
}

/* The first error wins: the caller learns that something was refused. */
static int fault_emit_copies(struct fault *f, int dir, const uint8_t *pkt, size_t len,
                             tern_time now, bool dup)
{
	int rc = fault_emit(f, dir, pkt, len, now);
	int rc2 = dup ? fault_emit(f, dir, pkt, len, now) : 0;

	return rc ? rc : rc2;
}

/* Flip one random bit anywhere: the receiver's checksums must catch it,
 * whichever header or payload it lands in. */
static void fault_corrupt(struct fault *f, tern_pktq_node *n)
{
	uint64_t bit = tern_prng_below(&f->rng, (uint64_t)n->len * 8u);

	n->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	f->st.corrupted++;
}

static int fault_hold(struct fault *f, int dir, tern_pktq_node *n, bool dup)
{
	tern_pktq_node *copy = NULL;

	if (dup) {
		copy = tern_pktq_node_new(&f->a, n->data, n->len, n->due);
		if (!copy) {
			tern_pktq_node_free(&f->a, n);
			return TERN_ENOMEM;
		}
	}
	tern_pktq_insert_due(&f->held[dir], n);
	if (copy)
		tern_pktq_insert_due(&f->held[dir], copy);
	return 0;
}

/* Ceiling, so a packet never leaves before its last bit could have. */
static tern_time bneck_ser_time(size_t len, uint64_t rate_bps)
{
	uint64_t bits = (uint64_t)len * 8u;

	return (bits * 1000000u + rate_bps - 1) / rate_bps;
}

/* Forget waiting packets whose serialisation has begun by now. */
static void bneck_expire(struct fault_bneck *b, uint32_t cap, tern_time now)
{
	uint32_t n = b->len;

	for (uint32_t i = 0; i < n && b->start[b->head] <= now; i++) {
		b->head = (b->head + 1) % cap;
		b->len--;
	}
}

/* Drop-tail: false when queue_pkts packets already wait; otherwise the
 * packet goes behind them and *dep is when its last bit leaves. */
static bool bneck_admit(struct fault *f, int dir, size_t len, tern_time now, tern_time *dep)
{
	struct fault_bneck *b = &f->bn[dir];
	uint32_t cap = f->fc.queue_pkts;
	tern_time start;

	bneck_expire(b, cap, now);
	if (b->len >= cap)
		return false;
	start = b->busy_until > now ? b->busy_until : now;
	if (start > now) {
		b->start[(b->head + b->len) % cap] = start;
		b->len++;
	}
	b->busy_until = start + bneck_ser_time(len, f->fc.rate_bps);
	*dep = b->busy_until;
	return true;
}

/* A packet that left the bottleneck at dep (now without one): its fate on
 * the wire, then held until dep plus the delay, or passed on at once. */
static int fault_wire(struct fault *f, int dir, const uint8_t *pkt, size_t len, tern_time now,
                      tern_time dep)
{
	struct fault_fate x = fault_draw(f);
	tern_time hold, due;
	tern_pktq_node *n;
	int rc;

	if (x.lost) {
		f->st.lost++;
		return 0;
	}
	hold = x.reorder ? f->fc.reorder_delay : f->fc.delay;
	due = dep + hold;
	f->st.duplicated += x.dup;
	f->st.reordered += x.reorder;
	f->st.delayed += !x.reorder && hold;
	x.corrupt = x.corrupt && len > 0;
	if (!x.corrupt && due <= now)
		return fault_emit_copies(f, dir, pkt, len, now, x.dup);
	n = tern_pktq_node_new(&f->a, pkt, len, due);
	if (!n)
		return TERN_ENOMEM;
	if (x.corrupt)
		fault_corrupt(f, n);
	if (due > now)
		return fault_hold(f, dir, n, x.dup);
	rc = fault_emit_copies(f, dir, n->data, n->len, now, x.dup);
	tern_pktq_node_free(&f->a, n);
	return rc;
}

/* A cut loses the packet before the bottleneck: the cable is pulled. */
static int fault_handle(struct fault *f, int dir, const uint8_t *pkt, size_t len, tern_time now)
{
	tern_time dep = now;

	if (now < f->cut_until) {
		f->st.lost++;
		return 0;
	}
	if (f->fc.rate_bps && !bneck_admit(f, dir, len, now, &dep)) {
		f->st.queue_drops++;
		return 0;
	}
	return fault_wire(f, dir, pkt, len, now, dep);
}

static int fault_transmit(tern_dev *d, const uint8_t *pkt, size_t len, tern_time now)
{
	return fault_handle((struct fault *)d, FAULT_DOWN, pkt, len, now);
}

static void fault_rx(void *ctx, const uint8_t *pkt, size_t len, tern_time now)
{
	(void)fault_handle(ctx, FAULT_UP, pkt, len, now);
}

/* Bounded by the count at entry: what the released packets provoke (an
 * answer from the stack above) is not released by this same call. */
static void fault_release(struct fault *f, int dir, tern_time now)
{
	tern_pktq *q = &f->held[dir];
	uint32_t count = q->count;

	for (uint32_t i = 0; i < count && q->head && q->head->due <= now; i++) {
		tern_pktq_node *n = tern_pktq_pop(q);

		(void)fault_emit(f, dir, n->data, n->len, now);
		tern_pktq_node_free(&f->a, n);
	}
}

static tern_time fault_poll(tern_dev *d, tern_time now)
{
	struct fault *f = (struct fault *)d;
	tern_time next;

	fault_release(f, FAULT_DOWN, now);
	fault_release(f, FAULT_UP, now);
	next = tern_dev_poll(f->lower, now);
	for (int dir = 0; dir < 2; dir++) {
		if (f->held[dir].head && f->held[dir].head->due < next)
			next = f->held[dir].head->due;
	}
	return next;
}

static void fault_del(tern_dev *d)
{
	struct fault *f = (struct fault *)d;
	tern_allocator a = f->a;

	if (f->lower->up == fault_rx && f->lower->up_ctx == f) {
		f->lower->up = f->dev.up;
		f->lower->up_ctx = f->dev.up_ctx;
	}
	tern_pktq_clear(&f->held[0], &a);
	tern_pktq_clear(&f->held[1], &a);
	if (f->rings)
		a.free(a.ctx, f->rings, 2u * f->fc.queue_pkts * sizeof(tern_time));
	a.free(a.ctx, f, sizeof(*f));
}

static const tern_dev_ops fault_ops = {
    .name = "fault",
    .transmit = fault_transmit,
    .poll = fault_poll,
    .del = fault_del,
};

static bool fault_prob_ok(double p)
{
	return p >= 0.0 && p <= 1.0; /* false for NaN too */
}

static bool fault_config_ok(const tern_fault_config *fc)
{
	return fault_prob_ok(fc->loss) && fault_prob_ok(fc->dup) && fault_prob_ok(fc->reorder) &&
	       fault_prob_ok(fc->corrupt) && fc->queue_pkts <= TERN_FAULT_QUEUE_MAX;
}

/* Both directions' queues in one allocation; none without a rate. */
static int fault_bneck_init(struct fault *f)
{
	uint32_t cap;

	if (!f->fc.rate_bps)
		return 0;
	if (!f->fc.queue_pkts)
		f->fc.queue_pkts = TERN_FAULT_QUEUE_DEFAULT;
	cap = f->fc.queue_pkts;
	f->rings = f->a.alloc(f->a.ctx, 2u * cap * sizeof(tern_time));
	if (!f->rings)
		return TERN_ENOMEM;
	f->bn[0].start = f->rings;
	f->bn[1].start = f->rings + cap;
	return 0;
}

int tern_fault_new(const tern_allocator *a, tern_dev *lower, const tern_fault_config *fc,
                   tern_dev **out)
{
	struct fault *f;

	if (!a || !a->alloc || !a->free || !lower || !fc || !out || !fault_config_ok(fc))
		return TERN_EINVAL;
	f = a->alloc(a->ctx, sizeof(*f));
	if (!f)
		return TERN_ENOMEM;
	*f = (struct fault){.lower = lower, .a = *a, .fc = *fc};
	f->dev.ops = &fault_ops;
	if (fault_bneck_init(f) < 0) {
		a->free(a->ctx, f, sizeof(*f));
		return TERN_ENOMEM;
	}
	if (!f->fc.reorder_delay)
		f->fc.reorder_delay = f->fc.delay + TERN_MS(10);
	tern_prng_seed(&f->rng, fc->seed);
	f->dev.up = lower->up;
	f->dev.up_ctx = lower->up_ctx;
	lower->up = fault_rx;
	lower->up_ctx = f;
	*out = &f->dev;
	return 0;
}

int tern_fault_cut(tern_dev *d, tern_time until)
{
	if (!d || d->ops != &fault_ops)
		return TERN_EINVAL;
	((struct fault *)d)->cut_until = until;
	return 0;
}

void tern_fault_stats_get(const tern_dev *d, tern_fault_stats *out)
{
	if (d && d->ops == &fault_ops)
		*out = ((const struct fault *)d)->st;
	else
		*out = (tern_fault_stats){0};
}
