/*
 * link.c - point-to-point links, one model per direction:
 *
 *   offer -> MTU check -> drop-tail queue and serialization at rate_bps
 *         -> ECN marking (step or RED) -> loss (random, Gilbert-Elliott)
 *         -> corruption, duplication
 *         -> propagation delay + jitter (+ reorder hold) -> arrival event
 *
 * A lost packet still used its share of the wire: loss happens in
 * transit, after the queue. Random draws happen in that fixed order, and
 * a feature that is off draws nothing, so turning one on does not shift
 * the others' stream for the packets it leaves alone.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

#define LINK_REORDER_DEFAULT TERN_MS(10)

static bool prob_ok(double p)
{
	return p >= 0.0 && p <= 1.0; /* false for NaN too */
}

static bool ecn_red_on(const tern_sim_link_config *c)
{
	return c->ecn_red_max > 0;
}

static bool ecn_on(const tern_sim_link_config *c)
{
	return c->ecn_mark_pkts > 0 || ecn_red_on(c);
}

/* RED's knobs are all zero when it is off, so a half-set one is caught;
 * without a rate nothing ever waits, so a threshold could never fire. */
static bool ecn_config_ok(const tern_sim_link_config *c)
{
	if (!prob_ok(c->ecn_red_pmax))
		return false;
	if (ecn_red_on(c) ? c->ecn_red_min >= c->ecn_red_max
	                  : c->ecn_red_min > 0 || c->ecn_red_pmax > 0.0)
		return false;
	return c->rate_bps > 0 || !ecn_on(c);
}

static bool link_config_ok(const tern_sim_link_config *c)
{
	return prob_ok(c->loss) && prob_ok(c->ge_p_good_bad) && prob_ok(c->ge_p_bad_good) &&
	       prob_ok(c->ge_loss_bad) && prob_ok(c->dup) && prob_ok(c->reorder) &&
	       prob_ok(c->corrupt) && ecn_config_ok(c);
}

static struct sim_pkt *pkt_new(const uint8_t *data, size_t len)
{
	struct sim_pkt *p = malloc(sizeof(*p) + len);

	if (!p)
		return NULL;
	p->len = len;
	if (len)
		memcpy(p->data, data, len);
	return p;
}

/* ---- queue and serialization ---------------------------------------------- */

/* Ceiling, so a packet never arrives before its last bit could have. */
static tern_time ser_time(size_t len, uint64_t rate_bps)
{
	uint64_t bits = (uint64_t)len * 8u;

	return (bits * 1000000u + rate_bps - 1) / rate_bps;
}

/* Forget waiting packets whose serialization has begun by now. */
static void queue_expire(struct sim_dir *d, tern_time now)
{
	size_t n = d->q_len;

	for (size_t i = 0; i < n && d->q[d->q_head].start <= now; i++) {
		d->q_bytes -= d->q[d->q_head].len;
		d->q_head = (d->q_head + 1) % d->q_cap;
		d->q_len--;
	}
}

/* The ring is grown by unrolling it into a fresh array. */
static int queue_push(struct sim_dir *d, tern_time start, size_t len)
{
	if (d->q_len == d->q_cap) {
		size_t cap = d->q_cap ? d->q_cap * 2 : 64;
		struct sim_qent *q = malloc(cap * sizeof(*q));

		if (!q)
			return TERN_ENOMEM;
		for (size_t i = 0; i < d->q_len; i++)
			q[i] = d->q[(d->q_head + i) % d->q_cap];
		free(d->q);
		d->q = q;
		d->q_cap = cap;
		d->q_head = 0;
	}
	d->q[(d->q_head + d->q_len) % d->q_cap] = (struct sim_qent){start, (uint32_t)len};
	d->q_len++;
	d->q_bytes += len;
	return 0;
}

static bool queue_full(const struct sim_dir *d, size_t len)
{
	const tern_sim_link_config *c = &d->link->cfg;

	return (c->queue_pkts && d->q_len >= c->queue_pkts) ||
	       (c->queue_bytes && d->q_bytes + len > c->queue_bytes);
}

/* When the packet's last bit leaves, and how many packets wait ahead of
 * it; TERN_ENOBUFS when the queue is full. Only packets that must wait
 * count against the queue limits. */
static int link_serialize(struct sim_dir *d, size_t len, tern_time now, tern_time *finish,
                          size_t *ahead)
{
	uint64_t rate = d->link->cfg.rate_bps;
	tern_time start;
	int rc;

	*ahead = 0;
	if (rate == 0) {
		*finish = now;
		return 0;
	}
	queue_expire(d, now);
	if (queue_full(d, len))
		return TERN_ENOBUFS;
	*ahead = d->q_len;
	start = d->busy_until > now ? d->busy_until : now;
	if (start > now) {
		rc = queue_push(d, start, len);
		if (rc < 0)
			return rc;
	}
	*finish = start + ser_time(len, rate);
	d->busy_until = *finish;
	return 0;
}

/* ---- ECN marking (RFC 3168 5) ------------------------------------------- */

/* RED's marking probability for q packets ahead: a ramp from 0 at
 * ecn_red_min to ecn_red_pmax at ecn_red_max, then certainty. */
static double red_prob(const tern_sim_link_config *c, size_t q)
{
	if (q <= c->ecn_red_min)
		return 0.0;
	if (q >= c->ecn_red_max)
		return 1.0;
	return c->ecn_red_pmax * (double)(q - c->ecn_red_min) /
	       (double)(c->ecn_red_max - c->ecn_red_min);
}

/* Whether the queue marks this packet CE where it would otherwise have to
 * signal congestion (RFC 3168 5). Only ECT packets are looked at further,
 * so not-ECT traffic draws nothing from the stream. */
static bool link_ce(struct sim_dir *d, const uint8_t *pkt, size_t len, size_t ahead)
{
	const tern_sim_link_config *c = &d->link->cfg;

	if (!ecn_on(c) || !tern_sim_ecn_capable(pkt, len))
		return false;
	if (c->ecn_mark_pkts > 0 && ahead >= c->ecn_mark_pkts)
		return true;
	return ecn_red_on(c) && tern_prng_chance(&d->rng, red_prob(c, ahead));
}

/* ---- loss, damage, delay ------------------------------------------------ */

static bool link_lost(struct sim_dir *d)
{
	const tern_sim_link_config *c = &d->link->cfg;
	bool lost = tern_prng_chance(&d->rng, c->loss);
	bool burst = false;

	if (c->ge_p_good_bad > 0.0) {
		double pl = c->ge_loss_bad > 0.0 ? c->ge_loss_bad : 1.0;

		burst = d->ge_bad && tern_prng_chance(&d->rng, pl);
		if (d->ge_bad)
			d->ge_bad = !tern_prng_chance(&d->rng, c->ge_p_bad_good);
		else
			d->ge_bad = tern_prng_chance(&d->rng, c->ge_p_good_bad);
	}
	d->st.lost_burst += burst && !lost;
	lost = lost || burst;
	d->st.lost += lost;
	return lost;
}

static tern_time link_arrival(struct sim_dir *d, tern_time finish, bool reorder)
{
	const tern_sim_link_config *c = &d->link->cfg;
	tern_time t = finish + c->delay;

	if (c->jitter)
		t += tern_prng_below(&d->rng, c->jitter + 1);
	if (reorder)
		return t + (c->reorder_delay ? c->reorder_delay : LINK_REORDER_DEFAULT);
	/* In-order packets never pass each other; a reordered one is left out
	 * of last_arrival so that the ones after it do. */
	if (t < d->last_arrival)
		t = d->last_arrival;
	d->last_arrival = t;
	return t;
}

static int link_schedule(struct sim_dir *d, struct sim_pkt *p, tern_time t)
{
	struct sim_event ev = {.t = t, .kind = SIM_EV_DELIVER};
	int rc;

	ev.u.dlv.dir = d;
	ev.u.dlv.pkt = p;
	rc = tern_sim_schedule(d->link->sim, &ev);
	if (rc < 0)
		free(p);
	return rc;
}

static int link_launch(struct sim_dir *d, const uint8_t *pkt, size_t len, tern_time finish,
                       bool ce)
{
	const tern_sim_link_config *c = &d->link->cfg;
	bool corrupt = tern_prng_chance(&d->rng, c->corrupt) && len > 0;
	bool dup = tern_prng_chance(&d->rng, c->dup);
	bool reorder = tern_prng_chance(&d->rng, c->reorder);
	tern_time t = link_arrival(d, finish, reorder);
	struct sim_pkt *p = pkt_new(pkt, len), *copy;
	int rc;

	if (!p)
		return TERN_ENOMEM;
	if (ce)
		tern_sim_ecn_set_ce(p->data);
	if (corrupt) {
		uint64_t bit = tern_prng_below(&d->rng, (uint64_t)len * 8u);

		p->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		d->st.corrupted++;
	}
	d->st.reordered += reorder;
	rc = link_schedule(d, p, t);
	if (rc < 0 || !dup)
		return rc;
	copy = pkt_new(p->data, p->len);
	if (!copy)
		return TERN_ENOMEM;
	d->st.duplicated++;
	return link_schedule(d, copy, t);
}

int tern_sim_link_offer(struct sim_dir *d, const uint8_t *pkt, size_t len)
{
	tern_time now = d->link->sim->now, finish;
	size_t ahead;
	bool ce;
	int rc;

	d->st.sent++;
	d->st.bytes_sent += len;
	if (d->link->cfg.mtu && len > d->link->cfg.mtu) {
		d->st.mtu_drops++;
		return 0;
	}
	rc = link_serialize(d, len, now, &finish, &ahead);
	if (rc == TERN_ENOBUFS) {
		d->st.queue_drops++;
		return 0;
	}
	if (rc < 0)
		return rc;
	/* Marked in the queue, before transit may lose it. */
	ce = link_ce(d, pkt, len, ahead);
	d->st.ce_marked += ce;
	if (link_lost(d))
		return 0;
	return link_launch(d, pkt, len, finish, ce);
}

void tern_sim_link_arrive(struct sim_dir *d, struct sim_pkt *p)
{
	tern_sim *sim = d->link->sim;

	for (struct sim_capture *c = d->link->caps; c; c = c->next)
		(void)tern_pcap_write_record(c->write, c->ctx, sim->now, p->data, p->len);
	d->st.delivered++;
	d->st.bytes_delivered += p->len;
	tern_sim_host_deliver(d->to, p->data, p->len);
	free(p);
}

/* ---- the link object -------------------------------------------------------- */

static void link_dir_init(tern_sim_link *l, int i, tern_sim_host *to, size_t idx)
{
	struct sim_dir *d = &l->dir[i];

	d->link = l;
	d->to = to;
	tern_prng_seed(&d->rng,
	               tern_prng_derive(l->sim->seed, SIM_STREAM_LINK | (idx * 2 + (size_t)i)));
}

int tern_sim_connect(tern_sim *sim, tern_sim_host *a, tern_sim_host *b,
                     const tern_sim_link_config *cfg, tern_sim_link **out)
{
	tern_sim_link **arr, *l;
	size_t idx;

	if (!sim || !a || !b || !cfg || a == b || a->sim != sim || b->sim != sim ||
	    !link_config_ok(cfg))
		return TERN_EINVAL;
	if (a->out || b->out)
		return TERN_EEXIST;
	idx = sim->nlinks;
	arr = tern_sim_grow(sim->links, &sim->links_cap, idx + 1, sizeof(*arr));
	if (!arr)
		return TERN_ENOMEM;
	sim->links = arr;
	l = calloc(1, sizeof(*l));
	if (!l)
		return TERN_ENOMEM;
	l->sim = sim;
	l->cfg = *cfg;
	link_dir_init(l, TERN_SIM_AB, b, idx);
	link_dir_init(l, TERN_SIM_BA, a, idx);
	a->out = &l->dir[TERN_SIM_AB];
	b->out = &l->dir[TERN_SIM_BA];
	sim->links[sim->nlinks++] = l;
	if (out)
		*out = l;
	return 0;
}

int tern_sim_link_set_config(tern_sim_link *l, const tern_sim_link_config *cfg)
{
	if (!l || !cfg || !link_config_ok(cfg))
		return TERN_EINVAL;
	l->cfg = *cfg;
	return 0;
}

static void stats_add(tern_sim_link_stats *to, const tern_sim_link_stats *s)
{
	to->sent += s->sent;
	to->delivered += s->delivered;
	to->lost += s->lost;
	to->lost_burst += s->lost_burst;
	to->duplicated += s->duplicated;
	to->reordered += s->reordered;
	to->corrupted += s->corrupted;
	to->queue_drops += s->queue_drops;
	to->mtu_drops += s->mtu_drops;
	to->ce_marked += s->ce_marked;
	to->bytes_sent += s->bytes_sent;
	to->bytes_delivered += s->bytes_delivered;
}

void tern_sim_link_stats_get(const tern_sim_link *l, int dir, tern_sim_link_stats *out)
{
	*out = (tern_sim_link_stats){0};
	if (dir == TERN_SIM_AB || dir == TERN_SIM_BOTH)
		stats_add(out, &l->dir[TERN_SIM_AB].st);
	if (dir == TERN_SIM_BA || dir == TERN_SIM_BOTH)
		stats_add(out, &l->dir[TERN_SIM_BA].st);
}

void tern_sim_link_free(tern_sim_link *l)
{
	free(l->dir[0].q);
	free(l->dir[1].q);
	tern_sim_capture_free_all(l->caps);
	free(l);
}

/* Link captures are kept in the order they were added. */
static void link_add_capture(tern_sim_link *l, struct sim_capture *c)
{
	struct sim_capture **pp = &l->caps;

	while (*pp)
		pp = &(*pp)->next;
	*pp = c;
}

int tern_sim_capture_link(tern_sim_link *l, tern_pcap_write_fn write, void *ctx)
{
	struct sim_capture *c;
	int rc;

	if (!l || !write)
		return TERN_EINVAL;
	rc = tern_sim_capture_new(write, ctx, NULL, &c);
	if (rc < 0)
		return rc;
	rc = tern_pcap_write_header(write, ctx);
	if (rc < 0) {
		tern_sim_capture_free_all(c);
		return rc;
	}
	link_add_capture(l, c);
	return 0;
}

int tern_sim_pcap_link(tern_sim_link *l, const char *path)
{
	struct sim_capture *c;
	int rc;

	if (!l || !path)
		return TERN_EINVAL;
	rc = tern_sim_capture_open(path, &c);
	if (rc < 0)
		return rc;
	rc = tern_pcap_write_header(c->write, c->ctx);
	if (rc < 0) {
		tern_sim_capture_free_all(c);
		return rc;
	}
	link_add_capture(l, c);
	return 0;
}
