/* pair.h - two stacks wired back to back for TCP tests: every packet takes
 * `delay` to cross, an optional filter may drop or inspect it, and
 * pair_run() advances virtual time event by event (packet arrivals and
 * each stack's timer deadline), bounded in steps. */
#ifndef TERN_TEST_PAIR_H
#define TERN_TEST_PAIR_H

#include "fixture.h"

#define PAIR_QMAX 4096

typedef struct pair_pkt {
	uint8_t *data;
	size_t len;
	tern_time at;
	int to;  /* 0: a, 1: b */
} pair_pkt;

typedef struct pair pair;
/* Return false to drop the packet travelling from side `from`. */
typedef bool (*pair_filter)(pair *p, int from, uint8_t *pkt, size_t len);

struct pair {
	fixture side[2];
	tern_time now, delay;
	pair_pkt q[PAIR_QMAX];
	size_t nq;
	pair_filter filter;
	pair_filter arrive;  /* optional: sees each packet as it is delivered */
	void *ctx;
	uint64_t delivered, dropped;
};

static inline void pair_collect(pair *p)
{
	for (int s = 0; s < 2; s++) {
		fixture *f = &p->side[s];
		for (size_t i = 0; i < f->nout; i++) {
			if (p->filter && !p->filter(p, s, f->out[i].data, f->out[i].len)) {
				free(f->out[i].data);
				p->dropped++;
				continue;
			}
			if (p->nq == PAIR_QMAX) {
				free(f->out[i].data);
				p->dropped++;
				continue;
			}
			pair_pkt *k = &p->q[p->nq++];
			k->data = f->out[i].data;
			k->len = f->out[i].len;
			k->at = p->now + p->delay;
			k->to = 1 - s;
		}
		f->nout = 0;
	}
}

/* Both interfaces with the checksum offloads csum_offload. */
static inline int pair_init_offload(pair *p, tern_time delay, uint32_t csum_offload)
{
	memset(p, 0, sizeof *p);
	p->delay = delay;
	if (fx_init_offload(&p->side[0], TERN_IP4(192, 0, 2, 1), 1500, csum_offload) ||
	    fx_init_offload(&p->side[1], TERN_IP4(192, 0, 2, 2), 1500, csum_offload))
		return -1;
	p->side[1].seed ^= 0x1234567;
	return 0;
}

static inline int pair_init(pair *p, tern_time delay)
{
	return pair_init_offload(p, delay, 0);
}

static inline tern_stack *pair_st(pair *p, int s) { return p->side[s].st; }

/* Run until virtual time `until` (or max_steps events). */
static inline void pair_run(pair *p, tern_time until)
{
	for (int step = 0; step < 2000000; step++) {
		pair_collect(p);
		tern_time next = TERN_TIME_NEVER;
		size_t pick = SIZE_MAX;
		for (size_t i = 0; i < p->nq; i++) {
			if (p->q[i].at < next) {
				next = p->q[i].at;
				pick = i;
			}
		}
		for (int s = 0; s < 2; s++) {
			tern_time d = tern_stack_poll(p->side[s].st, p->now);
			if (d < next) {
				next = d;
				pick = SIZE_MAX;
			}
		}
		pair_collect(p);
		if (next == TERN_TIME_NEVER || next > until) {
			p->now = until;
			for (int s = 0; s < 2; s++)
				tern_stack_poll(p->side[s].st, p->now);
			pair_collect(p);
			return;
		}
		if (next > p->now)
			p->now = next;
		if (pick != SIZE_MAX) {
			pair_pkt k = p->q[pick];
			p->q[pick] = p->q[--p->nq];
			fixture *f = &p->side[k.to];
			if (p->arrive)
				p->arrive(p, 1 - k.to, k.data, k.len);
			tern_stack_input(f->st, f->ifc, k.data, k.len, p->now);
			free(k.data);
			p->delivered++;
		} else {
			for (int s = 0; s < 2; s++)
				tern_stack_poll(p->side[s].st, p->now);
		}
	}
}

/* A listener on side 1's port (backlog 4), side 0 connecting to it, 100 ms
 * to complete, and the accepted socket. 0, or the first call that failed. */
static inline int pair_connect(pair *p, uint16_t port, tern_socket **l, tern_socket **c,
			       tern_socket **s)
{
	tern_endpoint any = {0, port}, dst = {TERN_IP4(192, 0, 2, 2), port};
	int rc;
	if ((rc = tern_tcp_open(pair_st(p, 1), l)) || (rc = tern_socket_bind(*l, &any)) ||
	    (rc = tern_socket_listen(*l, 4)) || (rc = tern_tcp_open(pair_st(p, 0), c)))
		return rc;
	if ((rc = tern_socket_connect(*c, &dst)) != TERN_EINPROGRESS)
		return rc ? rc : -1;
	pair_run(p, p->now + TERN_MS(100));
	return tern_socket_accept(*l, s, NULL);
}

static inline void pair_fini(pair *p)
{
	for (size_t i = 0; i < p->nq; i++)
		free(p->q[i].data);
	p->nq = 0;
	fx_fini(&p->side[0]);
	fx_fini(&p->side[1]);
}

#endif
