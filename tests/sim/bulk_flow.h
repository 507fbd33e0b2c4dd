/* bulk_flow.h - one bulk transfer from host A to host B over a simulated
 * long fat path (100 Mbit/s, 100 ms round trip, a queue of one BDP), for
 * the buffer auto-tuning tests: A writes as fast as it may, B reads all or
 * read_per_tick bytes a millisecond; both ends hash the stream, and the
 * largest send buffer of A and receive buffer of B are noted. */
#ifndef TERN_TEST_BULK_FLOW_H
#define TERN_TEST_BULK_FLOW_H

#include "tern/sim.h"

#define BULK_B_IP TERN_IP4(10, 0, 0, 2)
#define BULK_PORT 5001
#define BULK_FNV 0xcbf29ce484222325ull

typedef struct bulk_flow {
	tern_socket *lst, *cli, *srv;
	size_t size, sent, got;
	size_t read_per_tick;  /* 0: read everything at once */
	uint64_t h_sent, h_got;
	tern_time done_at;
	uint32_t max_sndbuf, max_rcvbuf;
} bulk_flow;

/* What the transfer's ends are given: stack configurations (NULL: the
 * defaults) and socket options (0: not set). */
typedef struct bulk_setup {
	const tern_config *cfg_a, *cfg_b;
	int sndbuf_a, rcvbuf_b;
	size_t size, read_per_tick;
} bulk_setup;

static inline uint8_t bulk_pattern(size_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u;
	return (uint8_t)(x >> 24 ^ x >> 9);
}

static inline void bulk_write(bulk_flow *f)
{
	static uint8_t buf[65536];
	while (f->sent < f->size) {
		size_t n = f->size - f->sent < sizeof buf ? f->size - f->sent : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = bulk_pattern(f->sent + i);
		int k = tern_socket_send(f->cli, buf, n, 0);
		if (k <= 0)
			break;
		for (int i = 0; i < k; i++)
			f->h_sent = (f->h_sent ^ buf[i]) * 0x100000001b3ull;
		f->sent += (size_t)k;
	}
}

static inline void bulk_read(bulk_flow *f)
{
	static uint8_t buf[65536];
	size_t budget = f->read_per_tick ? f->read_per_tick : SIZE_MAX;
	for (int guard = 0; guard < 4096 && budget; guard++) {
		size_t want = budget < sizeof buf ? budget : sizeof buf;
		int k = tern_socket_recv(f->srv, buf, want, 0);
		if (k <= 0)
			break;
		for (int i = 0; i < k; i++)
			f->h_got = (f->h_got ^ buf[i]) * 0x100000001b3ull;
		f->got += (size_t)k;
		budget -= (size_t)k;
	}
}

static inline void bulk_tick(tern_sim *sim, void *ctx)
{
	bulk_flow *f = ctx;
	if (f->srv || tern_socket_accept(f->lst, &f->srv, NULL) == 0) {
		bulk_write(f);
		bulk_read(f);
		tern_tcp_info ci, si;
		if (tern_socket_info(f->cli, &ci) == 0 && ci.sndbuf > f->max_sndbuf)
			f->max_sndbuf = ci.sndbuf;
		if (tern_socket_info(f->srv, &si) == 0 && si.rcvbuf > f->max_rcvbuf)
			f->max_rcvbuf = si.rcvbuf;
		if (f->got == f->size) {
			f->done_at = tern_sim_now(sim);
			return;
		}
	}
	tern_sim_at(sim, tern_sim_now(sim) + TERN_MS(1), bulk_tick, f);
}

/* Runs the transfer (at most 600 virtual seconds); *out is the flow, *ca
 * and *cb the stacks' counters at the end. Returns the virtual seconds it
 * took, 1e9 when it did not finish, negative on setup failure. */
static inline double bulk_transfer(const bulk_setup *su, bulk_flow *out, tern_counters *ca,
				   tern_counters *cb)
{
	bulk_flow f = {.size = su->size, .read_per_tick = su->read_per_tick, .h_sent = BULK_FNV,
		       .h_got = BULK_FNV, .done_at = TERN_TIME_NEVER};
	*out = f;
	tern_sim *sim;
	tern_sim_host *a, *b;
	tern_sim_link *link;
	tern_sim_link_config lc = {.rate_bps = 100000000, .delay = TERN_MS(50),
				   .queue_bytes = 1250000, .mtu = 1500};
	if (tern_sim_new(11, &sim) ||
	    tern_sim_host_add_config(sim, "a", "10.0.0.1/24", 1500, su->cfg_a, &a) ||
	    tern_sim_host_add_config(sim, "b", "10.0.0.2/24", 1500, su->cfg_b, &b) ||
	    tern_sim_connect(sim, a, b, &lc, &link))
		return -1;
	tern_endpoint any = {0, BULK_PORT}, dst = {BULK_B_IP, BULK_PORT};
	if (tern_tcp_open(tern_sim_host_stack(b), &f.lst) ||
	    (su->rcvbuf_b && tern_socket_setopt(f.lst, TERN_SO_RCVBUF, su->rcvbuf_b)) ||
	    tern_socket_bind(f.lst, &any) || tern_socket_listen(f.lst, 4) ||
	    tern_tcp_open(tern_sim_host_stack(a), &f.cli) ||
	    (su->sndbuf_a && tern_socket_setopt(f.cli, TERN_SO_SNDBUF, su->sndbuf_a)) ||
	    tern_socket_connect(f.cli, &dst) != TERN_EINPROGRESS)
		return -2;
	tern_sim_at(sim, 0, bulk_tick, &f);
	for (int i = 0; i < 600 && f.done_at == TERN_TIME_NEVER; i++)
		tern_sim_run_for(sim, TERN_SEC(1));
	tern_stack_counters(tern_sim_host_stack(a), ca);
	tern_stack_counters(tern_sim_host_stack(b), cb);
	*out = f;
	tern_sim_del(sim);
	return f.done_at == TERN_TIME_NEVER ? 1e9 : (double)f.done_at / 1e6;
}

#endif
