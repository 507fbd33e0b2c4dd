/* bench_pair.c - two tern stacks wired by a memlink and driven in one
 * thread on a virtual clock (bench.h). */
#include <string.h>

#include "bench.h"

static uint64_t pair_random(void *ctx)
{
	uint64_t *s = ctx;
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void pair_config(bench_pair *p, const bench_pair_cfg *c, int i, tern_config *cfg)
{
	tern_config_init(cfg);
	cfg->allocator = bench_mem_allocator(&p->mem[i]);
	p->rng[i] = c->seed * 2 + (uint64_t)i + 1;
	cfg->random = pair_random;
	cfg->random_ctx = &p->rng[i];
	for (size_t k = 0; k < sizeof cfg->secret; k++)
		cfg->secret[k] = (uint8_t)(pair_random(&p->rng[i]) | 1);
	/* Pooled buffers big enough for a full-MTU segment, so the data path
	 * never falls back to the allocator. */
	cfg->pkt_buf_size = c->mtu + 128;
	cfg->pkt_pool_count = 64;
	cfg->tcp_rcvbuf = c->rcvbuf;
	cfg->tcp_sndbuf = c->sndbuf;
	/* The benchmarks measure memory themselves; the stack-wide account
	 * charges a whole ring per connection holding a byte, so at 100,000
	 * connections the default 64 MiB would refuse writes. */
	cfg->tcp_mem_max = 1ull << 40;
	if (c->max_conns) {
		cfg->max_sockets = c->max_conns + 16;
		cfg->tcp_max_conns = c->max_conns + 16;
		cfg->tcp_max_time_wait = c->max_conns + 16;
	}
}

static int pair_side(bench_pair *p, const bench_pair_cfg *c, int i)
{
	tern_config cfg;
	tern_iface_config ic = {
	    .name = i ? "memb" : "mema",
	    .addr = i ? BENCH_ADDR_B : BENCH_ADDR_A,
	    .prefix = 24,
	    .mtu = c->mtu,
	    .csum_offload = c->csum_offload,
	};
	int rc;

	pair_config(p, c, i, &cfg);
	rc = tern_stack_new(&cfg, &p->st[i]);
	if (rc)
		return rc;
	return tern_iface_add(p->st[i], &ic, p->dev[i], &p->ifc[i]);
}

int bench_pair_init(bench_pair *p, const bench_pair_cfg *c)
{
	tern_allocator la;
	int rc;

	memset(p, 0, sizeof *p);
	la = bench_mem_allocator(&p->link_mem);
	rc = tern_memlink_new(&la, c->queue_max ? c->queue_max : 1u << 16, &p->dev[0],
			      &p->dev[1]);
	if (rc)
		return rc;
	for (int i = 0; i < 2; i++) {
		rc = pair_side(p, c, i);
		if (rc)
			return rc;
	}
	/* Start away from zero, and tell the stacks: socket calls act at the
	 * stack's latest time, so a connect before any poll would be stamped 0
	 * and its SYN's retransmission timer would already have expired. */
	p->now = TERN_SEC(1);
	tern_stack_poll(p->st[0], p->now);
	tern_stack_poll(p->st[1], p->now);
	return 0;
}

void bench_pair_fini(bench_pair *p)
{
	for (int i = 0; i < 2; i++)
		if (p->st[i])
			tern_stack_del(p->st[i]);
	for (int i = 0; i < 2; i++)
		if (p->dev[i])
			tern_dev_del(p->dev[i]);
	memset(p->st, 0, sizeof p->st);
	memset(p->dev, 0, sizeof p->dev);
}

bool bench_pair_deliver(bench_pair *p)
{
	uint64_t before = p->link_mem.frees;

	/* The memlink frees each packet's copy once delivered: its free count
	 * says whether anything moved without reaching into the device. */
	tern_stack_batch_begin(p->st[0]);
	tern_stack_batch_begin(p->st[1]);
	tern_dev_poll(p->dev[0], p->now);
	tern_stack_batch_end(p->st[0]);
	tern_stack_batch_end(p->st[1]);
	p->passes++;
	return p->link_mem.frees != before;
}

void bench_pair_tick(bench_pair *p)
{
	p->now += BENCH_TICK;
	tern_stack_poll(p->st[0], p->now);
	tern_stack_poll(p->st[1], p->now);
}

bool bench_pair_idle(bench_pair *p)
{
	tern_time a = tern_stack_poll(p->st[0], p->now);
	tern_time b = tern_stack_poll(p->st[1], p->now);
	tern_time next = a < b ? a : b;

	if (next == TERN_TIME_NEVER)
		return false;
	if (next > p->now) {
		p->now = next;
		p->jumps++;
	}
	tern_stack_poll(p->st[0], p->now);
	tern_stack_poll(p->st[1], p->now);
	return true;
}

int bench_pair_until(bench_pair *p, bench_done_fn done, void *ctx)
{
	/* done() is asked once a pass: it may consume what it waits for. */
	for (;;) {
		bool moved = bench_pair_deliver(p);

		if (done(ctx))
			return 0;
		if (moved)
			bench_pair_tick(p);
		else if (!bench_pair_idle(p))
			return -1;
	}
}

void bench_pair_settle(bench_pair *p)
{
	while (bench_pair_deliver(p))
		bench_pair_tick(p);
}

void bench_pair_quiesce(bench_pair *p, tern_time horizon)
{
	for (;;) {
		bench_pair_settle(p);
		tern_time a = tern_stack_poll(p->st[0], p->now);
		tern_time b = tern_stack_poll(p->st[1], p->now);
		tern_time next = a < b ? a : b;

		if (next == TERN_TIME_NEVER || next > p->now + horizon)
			return;
		if (!bench_pair_idle(p))
			return;
	}
}
