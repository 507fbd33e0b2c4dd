/*
 * sim.c - the simulation: virtual clock, event queue and the run loop.
 *
 * The event queue is a binary heap ordered by (time, sequence number); the
 * sequence number makes ties resolve in scheduling order, never by memory
 * address, so runs repeat. Hosts are not in the heap: each keeps its next
 * poll deadline and the loop takes the earliest of the heap top and the
 * host deadlines, events first on a tie and hosts in creation order.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

void *tern_sim_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return arr;
	while (n < need)
		n *= 2;
	p = realloc(arr, n * elem);
	if (p)
		*cap = n;
	return p;
}

static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_up(struct sim_event *h, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		struct sim_event tmp;

		if (!ev_before(&h[i], &h[parent]))
			return;
		tmp = h[i];
		h[i] = h[parent];
		h[parent] = tmp;
		i = parent;
	}
}

static void heap_down(struct sim_event *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct sim_event tmp;

		if (l < n && ev_before(&h[l], &h[m]))
			m = l;
		if (r < n && ev_before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

int tern_sim_schedule(tern_sim *sim, struct sim_event *ev)
{
	struct sim_event *h;

	h = tern_sim_grow(sim->heap, &sim->heap_cap, sim->heap_len + 1, sizeof(*h));
	if (!h)
		return TERN_ENOMEM;
	sim->heap = h;
	ev->seq = sim->seq++;
	h[sim->heap_len] = *ev;
	heap_up(h, sim->heap_len++);
	return 0;
}

static struct sim_event heap_pop(tern_sim *sim)
{
	struct sim_event top = sim->heap[0];

	sim->heap[0] = sim->heap[--sim->heap_len];
	heap_down(sim->heap, sim->heap_len, 0);
	return top;
}

int tern_sim_new(uint64_t seed, tern_sim **out)
{
	tern_sim *sim;

	if (!out)
		return TERN_EINVAL;
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return TERN_ENOMEM;
	sim->seed = seed;
	*out = sim;
	return 0;
}

void tern_sim_del(tern_sim *sim)
{
	if (!sim)
		return;
	/* Stacks may still transmit while they are torn down; the wires
	 * drop that instead of scheduling into a heap being freed. */
	sim->closing = true;
	tern_sim_trace_stop(sim);
	for (size_t i = 0; i < sim->nhosts; i++)
		tern_sim_host_free(sim->hosts[i]);
	for (size_t i = 0; i < sim->heap_len; i++) {
		if (sim->heap[i].kind == SIM_EV_DELIVER)
			free(sim->heap[i].u.dlv.pkt);
	}
	for (size_t i = 0; i < sim->nlinks; i++)
		tern_sim_link_free(sim->links[i]);
	free(sim->hosts);
	free(sim->links);
	free(sim->heap);
	free(sim);
}

tern_time tern_sim_now(const tern_sim *sim)
{
	return sim->now;
}

uint64_t tern_sim_seed(const tern_sim *sim)
{
	return sim->seed;
}

int tern_sim_at(tern_sim *sim, tern_time t, tern_sim_fn fn, void *ctx)
{
	struct sim_event ev = {.kind = SIM_EV_CALL};

	if (!sim || !fn || t == TERN_TIME_NEVER)
		return TERN_EINVAL;
	ev.t = t < sim->now ? sim->now : t;
	ev.u.call.fn = fn;
	ev.u.call.ctx = ctx;
	return tern_sim_schedule(sim, &ev);
}

/* Ask every host to be polled no later than t. */
static void sim_mark_hosts(tern_sim *sim, tern_time t)
{
	for (size_t i = 0; i < sim->nhosts; i++) {
		if (sim->hosts[i]->deadline > t)
			sim->hosts[i]->deadline = t;
	}
}

static void sim_poll_stacks(tern_sim *sim)
{
	for (size_t i = 0; i < sim->nhosts; i++) {
		if (sim->hosts[i]->st)
			tern_sim_host_poll(sim->hosts[i]);
	}
}

/* A callback uses sockets, whose calls take the time from the stack's last
 * poll: bring every stack to now first, and poll them again after, since
 * the callback may have armed timers. */
static void sim_call(tern_sim *sim, const struct sim_event *ev)
{
	sim_poll_stacks(sim);
	ev->u.call.fn(sim, ev->u.call.ctx);
	sim_mark_hosts(sim, sim->now);
}

static tern_sim_host *sim_earliest_host(tern_sim *sim)
{
	tern_sim_host *best = NULL;

	for (size_t i = 0; i < sim->nhosts; i++) {
		if (!best || sim->hosts[i]->deadline < best->deadline)
			best = sim->hosts[i];
	}
	return best;
}

/* One step: the earliest event or host poll due at or before limit.
 * Returns false when there is none. */
static bool sim_step(tern_sim *sim, tern_time limit)
{
	tern_sim_host *h = sim_earliest_host(sim);
	tern_time th = h ? h->deadline : TERN_TIME_NEVER;
	tern_time te = sim->heap_len ? sim->heap[0].t : TERN_TIME_NEVER;
	struct sim_event ev;

	if (te != TERN_TIME_NEVER && te <= th && te <= limit) {
		ev = heap_pop(sim);
		if (ev.t > sim->now)
			sim->now = ev.t;
		if (ev.kind == SIM_EV_DELIVER)
			tern_sim_link_arrive(ev.u.dlv.dir, ev.u.dlv.pkt);
		else
			sim_call(sim, &ev);
		return true;
	}
	if (th == TERN_TIME_NEVER || th > limit)
		return false;
	if (th > sim->now)
		sim->now = th;
	tern_sim_host_poll(h);
	return true;
}

/* After the last step at or before t, the clock moves to t and every host
 * is polled there once more (so the stacks' clocks read t for whatever the
 * caller does next); that may schedule more work at t, hence the loop. */
static int sim_run(tern_sim *sim, tern_time t)
{
	bool synced = false;
	tern_time last = sim->now;
	uint32_t same = 0;

	sim_mark_hosts(sim, sim->now);
	for (;;) {
		if (!sim_step(sim, t)) {
			if (synced)
				return 0;
			sim->now = t;
			sim_mark_hosts(sim, t);
			synced = true;
			continue;
		}
		if (sim->now != last) {
			last = sim->now;
			same = 0;
		} else if (++same > TERN_SIM_MAX_STEPS_AT_ONCE) {
			return TERN_ETIMEDOUT;
		}
	}
}

int tern_sim_run_until(tern_sim *sim, tern_time t)
{
	int rc;

	if (!sim || t == TERN_TIME_NEVER)
		return TERN_EINVAL;
	if (sim->running)
		return TERN_EALREADY;
	if (t < sim->now)
		t = sim->now;
	sim->running = true;
	rc = sim_run(sim, t);
	sim->running = false;
	return rc;
}

int tern_sim_run_for(tern_sim *sim, tern_time dt)
{
	if (!sim || dt >= TERN_TIME_NEVER - sim->now)
		return TERN_EINVAL;
	return tern_sim_run_until(sim, sim->now + dt);
}
