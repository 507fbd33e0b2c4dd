/*
 * bench_rr.c - rr-latency: 1-byte request/response round trips between two
 * tern stacks in memory, against Linux TCP over loopback (TCP_NODELAY on
 * both ends, both ends in one thread: bench_linux.c).
 *
 * The figure is CPU microseconds per round trip. In one thread with no
 * waiting, that is the round trip's latency less the wire: everything both
 * stacks do to carry a byte there and back.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

struct rr {
	bench_pair pair;
	tern_socket *lis, *cli, *srv;
	tern_socket *want;  /* the socket a byte is awaited on */
};

static bool rr_accepted(void *ctx)
{
	struct rr *r = ctx;

	return tern_socket_accept(r->lis, &r->srv, NULL) == 0;
}

static bool rr_got_byte(void *ctx)
{
	struct rr *r = ctx;
	uint8_t b;

	return tern_socket_recv(r->want, &b, 1, 0) == 1;
}

static int rr_nodelay(tern_socket *s)
{
	return tern_socket_setopt(s, TERN_SO_NODELAY, 1);
}

/* Both stacks, a listener on B and an established connection A -> B. */
static int rr_open(struct rr *r)
{
	bench_pair_cfg pc = {.mtu = 1500, .seed = 2};
	tern_endpoint any = {0, BENCH_PORT}, dst = {BENCH_ADDR_B, BENCH_PORT};
	int rc = bench_pair_init(&r->pair, &pc);

	if (!rc)
		rc = tern_tcp_open(r->pair.st[1], &r->lis);
	if (!rc)
		rc = tern_socket_bind(r->lis, &any);
	if (!rc)
		rc = tern_socket_listen(r->lis, 4);
	if (!rc)
		rc = tern_tcp_open(r->pair.st[0], &r->cli);
	if (!rc)
		rc = rr_nodelay(r->cli);
	if (!rc && tern_socket_connect(r->cli, &dst) != TERN_EINPROGRESS)
		rc = -1;
	if (!rc)
		rc = bench_pair_until(&r->pair, rr_accepted, r);
	if (!rc)
		rc = rr_nodelay(r->srv);
	bench_pair_settle(&r->pair);
	return rc;
}

/* Send one byte on `from` and run the stacks until it is read at `to`. */
static int rr_hop(struct rr *r, tern_socket *from, tern_socket *to)
{
	uint8_t b = 'q';

	if (tern_socket_send(from, &b, 1, 0) != 1)
		return -1;
	r->want = to;
	return bench_pair_until(&r->pair, rr_got_byte, r);
}

__attribute__((noinline)) int rr_run(struct rr *r, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		if (rr_hop(r, r->cli, r->srv) || rr_hop(r, r->srv, r->cli))
			return -1;
	return 0;
}

static int tern_rr(const bench_opts *o, double *us, double *passes)
{
	struct rr *r = calloc(1, sizeof *r);
	uint64_t c0, p0;
	int rc;

	if (!r)
		return 1;
	rc = rr_open(r);
	c0 = bench_thread_ns();
	p0 = r->pair.passes;
	if (!rc)
		rc = rr_run(r, o->count);
	*us = (double)(bench_thread_ns() - c0) / 1e3 / (double)o->count;
	*passes = (double)(r->pair.passes - p0) / (double)o->count;
	if (r->srv)
		tern_socket_close(r->srv);
	if (r->cli)
		tern_socket_close(r->cli);
	if (r->lis)
		tern_socket_close(r->lis);
	bench_pair_fini(&r->pair);
	free(r);
	if (rc)
		fprintf(stderr, "bench: rr-latency: tern round trips failed\n");
	return rc ? 1 : 0;
}

int bench_rr_latency(const bench_opts *o, bench_result *r)
{
	bench_opts ro = *o;
	bench_linux_stats l = {0};
	double passes = 0;

	if (!ro.count)
		ro.count = 100000;
	r->name = "rr-latency";
	r->unit = "us/round-trip";
	r->peer_name = "linux-loopback";
	r->target = "<= 0.1";
	if (tern_rr(&ro, &r->tern, &passes))
		return 1;
	if (!o->no_peer && bench_linux_rr(&ro, &l))
		return 1;
	r->peer = o->no_peer ? 0 : l.value;
	r->met = r->peer > 0 && r->tern <= 0.1 * r->peer;
	bench_extra_num(r, "round_trips", (double)ro.count);
	bench_extra_num(r, "tern_passes_per_rt", passes);
	bench_extra_num(r, "peer_wall_us", l.wall_s * 1e6 / (double)ro.count);
	return 0;
}
