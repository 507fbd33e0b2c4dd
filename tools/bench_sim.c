/*
 * bench_sim.c - bulk flows from host A to host B through one simulated link
 * (sim/): the driver shared by loss-goodput and fairness.
 *
 * Every flow is its own connection from A to B's one listener. Its sender
 * writes the benchmark pattern (bench_util.c) from the start for as long as
 * the run lasts, keeping its send buffer full; every accepted connection's
 * reader hashes what it reads. Both applications run once per millisecond
 * of virtual time. At the end each reader's hash is compared with the hash
 * of as many bytes of the pattern: every byte that counted was checked.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define RBUF (256u << 10)

static int sim_hosts(bench_sim *s, const bench_sim_cfg *c)
{
	tern_config cfg;

	tern_config_init(&cfg);
	cfg.tcp_no_sack = c->no_sack;
	cfg.tcp_sndbuf = c->buf;
	cfg.tcp_rcvbuf = c->buf;
	cfg.tcp_mem_max = (uint64_t)c->buf * 2 * (c->flows + 1) + (64u << 20);
	cfg.max_sockets = 2 * c->flows + 16;
	cfg.tcp_max_conns = 2 * c->flows + 16;
	if (tern_sim_new(c->seed, &s->sim) ||
	    tern_sim_host_add_config(s->sim, "a", "10.0.0.1/24", 1500, &cfg, &s->a) ||
	    tern_sim_host_add_config(s->sim, "b", "10.0.0.2/24", 1500, &cfg, &s->b) ||
	    tern_sim_connect(s->sim, s->a, s->b, &c->link, &s->link))
		return -1;
	return 0;
}

int bench_sim_init(bench_sim *s, const bench_sim_cfg *c)
{
	tern_endpoint any = {0, BENCH_PORT};

	memset(s, 0, sizeof *s);
	s->nflows = c->flows;
	s->stagger = c->stagger;
	s->flow = calloc(c->flows, sizeof *s->flow);
	s->rbuf = malloc(RBUF);
	if (!s->flow || !s->rbuf || bench_pattern_init(&s->pat) || sim_hosts(s, c))
		return -1;
	if (tern_tcp_open(tern_sim_host_stack(s->b), &s->lis) || tern_socket_bind(s->lis, &any) ||
	    tern_socket_listen(s->lis, (int)c->flows + 1))
		return -1;
	for (uint32_t i = 0; i < c->flows; i++) {
		bench_sim_flow *f = &s->flow[i];

		f->pat = (bench_pattern){.bytes = s->pat.bytes, .off = 0};
		bench_hash_init(&f->hash);
		if (tern_tcp_open(tern_sim_host_stack(s->a), &f->cli) ||
		    tern_socket_set_cc(f->cli, c->cc))
			return -1;
	}
	return 0;
}

void bench_sim_fini(bench_sim *s)
{
	if (s->sim)
		tern_sim_del(s->sim); /* and every socket with it */
	bench_pattern_free(&s->pat);
	free(s->flow);
	free(s->rbuf);
	memset(s, 0, sizeof *s);
}

/* The sender keeps its buffer full; the reader takes all there is. */
static void flow_pump(bench_sim *s, bench_sim_flow *f)
{
	for (;;) {
		size_t len = 1u << 20;
		const uint8_t *b = bench_pattern_next(&f->pat, &len);
		int n = tern_socket_send(f->cli, b, len, 0);

		if (n <= 0)
			break;
		bench_pattern_advance(&f->pat, (size_t)n);
	}
	while (f->srv) {
		int n = tern_socket_recv(f->srv, s->rbuf, RBUF, 0);

		if (n <= 0)
			break;
		bench_hash_update(&f->hash, s->rbuf, (size_t)n);
		f->received += (uint64_t)n;
	}
}

/* Open the flows whose start time has come; take what B has accepted. */
static void flows_start(bench_sim *s, tern_time now)
{
	tern_endpoint dst = {BENCH_ADDR_B, BENCH_PORT};

	while (s->started < s->nflows && now >= s->started * s->stagger)
		tern_socket_connect(s->flow[s->started++].cli, &dst);
	while (s->accepted < s->nflows &&
	       tern_socket_accept(s->lis, &s->flow[s->accepted].srv, NULL) == 0)
		s->accepted++;
}

int bench_sim_run_until(bench_sim *s, tern_time until)
{
	while (tern_sim_now(s->sim) < until) {
		flows_start(s, tern_sim_now(s->sim));
		for (uint32_t i = 0; i < s->accepted; i++)
			flow_pump(s, &s->flow[i]);
		if (tern_sim_run_for(s->sim, TERN_MS(1)))
			return -1;
	}
	return 0;
}

void bench_sim_mark(bench_sim *s)
{
	s->mark_t = tern_sim_now(s->sim);
	tern_sim_link_stats_get(s->link, TERN_SIM_AB, &s->mark_ab);
	for (uint32_t i = 0; i < s->nflows; i++)
		s->flow[i].mark = s->flow[i].received;
}

double bench_sim_goodput_mbps(const bench_sim *s, uint32_t i)
{
	double secs = (double)(tern_sim_now(s->sim) - s->mark_t) / 1e6;
	const bench_sim_flow *f = &s->flow[i];

	return secs > 0 ? (double)(f->received - f->mark) * 8 / secs / 1e6 : 0;
}

double bench_sim_link_util(const bench_sim *s, uint64_t rate_bps)
{
	double secs = (double)(tern_sim_now(s->sim) - s->mark_t) / 1e6;
	tern_sim_link_stats now;

	tern_sim_link_stats_get(s->link, TERN_SIM_AB, &now);
	return secs > 0 ? (double)(now.bytes_delivered - s->mark_ab.bytes_delivered) * 8 / secs /
	                      (double)rate_bps
	                : 0;
}

static int by_received(const void *x, const void *y)
{
	const bench_sim_flow *a = *(bench_sim_flow *const *)x, *b = *(bench_sim_flow *const *)y;

	return a->received < b->received ? -1 : a->received > b->received;
}

/* One walk along the pattern, in order of bytes received, gives the hash
 * every reader should have (the hash does not depend on how the stream
 * was cut). */
int bench_sim_verify(const bench_sim *s)
{
	bench_sim_flow **order = malloc((s->nflows + 1) * sizeof *order);
	bench_pattern walk = {.bytes = s->pat.bytes, .off = 0};
	bench_hash h;
	uint64_t at = 0;
	int bad = 0;

	if (!order)
		return -1;
	for (uint32_t i = 0; i < s->nflows; i++)
		order[i] = &s->flow[i];
	qsort(order, s->nflows, sizeof *order, by_received);
	bench_hash_init(&h);
	for (uint32_t i = 0; i < s->nflows; i++) {
		while (at < order[i]->received) {
			uint64_t want = order[i]->received - at;
			size_t len = want > BENCH_PATTERN_LEN ? BENCH_PATTERN_LEN : (size_t)want;
			const uint8_t *b = bench_pattern_next(&walk, &len);

			bench_hash_update(&h, b, len);
			bench_pattern_advance(&walk, len);
			at += len;
		}
		bad += bench_hash_final(&h) != bench_hash_final(&order[i]->hash);
	}
	free(order);
	return bad ? -1 : 0;
}
