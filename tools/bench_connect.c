/*
 * bench_connect.c - connect-rate: whole connection lifecycles between two
 * tern stacks in memory, against Linux TCP over loopback.
 *
 * A lifecycle: the client connects, sends a 1-byte request, reads the
 * 1-byte response and closes first; the server reads the end of stream and
 * closes. The client's TIME-WAIT records pile up; every BENCH_TW_ROUND
 * lifecycles (and at the end) the virtual clock jumps past 2*MSL so the
 * stack expires them, which is timed too: each lifecycle pays for its
 * TIME-WAIT record from creation to expiry. The figure is lifecycles per
 * CPU-second.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

/* Within the default tcp_max_time_wait (4096) and the ephemeral range. */
#define BENCH_TW_ROUND 4000u

struct cr {
	bench_pair pair;
	tern_socket *lis, *cli, *srv;
	tern_socket *want;
	int got;  /* what the last read returned */
};

static bool cr_accepted(void *ctx)
{
	struct cr *c = ctx;

	return tern_socket_accept(c->lis, &c->srv, NULL) == 0;
}

static bool cr_read(void *ctx)
{
	struct cr *c = ctx;
	uint8_t b;

	c->got = tern_socket_recv(c->want, &b, 1, 0);
	return c->got != TERN_EAGAIN;
}

static int cr_open(struct cr *c)
{
	bench_pair_cfg pc = {.mtu = 1500, .seed = 3};
	tern_endpoint any = {0, BENCH_PORT};
	int rc = bench_pair_init(&c->pair, &pc);

	if (!rc)
		rc = tern_tcp_open(c->pair.st[1], &c->lis);
	if (!rc)
		rc = tern_socket_bind(c->lis, &any);
	if (!rc)
		rc = tern_socket_listen(c->lis, 128);
	return rc;
}

/* Send one byte and run until the other end's read returns `want`. */
static int cr_hop(struct cr *c, tern_socket *from, tern_socket *to, int want)
{
	uint8_t b = 'q';

	if (from && tern_socket_send(from, &b, 1, 0) != 1)
		return -1;
	c->want = to;
	if (bench_pair_until(&c->pair, cr_read, c))
		return -1;
	return c->got == want ? 0 : -1;
}

static int cr_lifecycle(struct cr *c)
{
	tern_endpoint dst = {BENCH_ADDR_B, BENCH_PORT};
	int rc = tern_tcp_open(c->pair.st[0], &c->cli);

	if (!rc)
		rc = tern_socket_setopt(c->cli, TERN_SO_NODELAY, 1);
	if (!rc && tern_socket_connect(c->cli, &dst) != TERN_EINPROGRESS)
		rc = -1;
	if (!rc)
		rc = bench_pair_until(&c->pair, cr_accepted, c);
	if (!rc)
		rc = tern_socket_setopt(c->srv, TERN_SO_NODELAY, 1);
	if (!rc)
		rc = cr_hop(c, c->cli, c->srv, 1);
	if (!rc)
		rc = cr_hop(c, c->srv, c->cli, 1);
	if (c->cli)
		tern_socket_close(c->cli);
	if (!rc)
		rc = cr_hop(c, NULL, c->srv, 0);
	if (c->srv)
		tern_socket_close(c->srv);
	c->cli = c->srv = NULL;
	/* The server's FIN and the client's last ACK. */
	bench_pair_settle(&c->pair);
	return rc;
}

/* Jump past 2*MSL (default 30 s) so every TIME-WAIT record expires. */
static void cr_expire(struct cr *c)
{
	c->pair.now += TERN_SEC(61);
	tern_stack_poll(c->pair.st[0], c->pair.now);
	tern_stack_poll(c->pair.st[1], c->pair.now);
}

__attribute__((noinline)) int cr_run(struct cr *c, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		if (cr_lifecycle(c))
			return -1;
		if ((i + 1) % BENCH_TW_ROUND == 0)
			cr_expire(c);
	}
	cr_expire(c);
	return 0;
}

static int tern_connect(const bench_opts *o, double *rate, tern_counters *ctr)
{
	struct cr *c = calloc(1, sizeof *c);
	uint64_t c0;
	double cpu;
	int rc;

	if (!c)
		return 1;
	rc = cr_open(c);
	c0 = bench_thread_ns();
	if (!rc)
		rc = cr_run(c, o->count);
	cpu = (double)(bench_thread_ns() - c0) / 1e9;
	*rate = (double)o->count / cpu;
	if (c->pair.st[0])
		tern_stack_counters(c->pair.st[0], ctr);
	if (c->lis)
		tern_socket_close(c->lis);
	bench_pair_fini(&c->pair);
	free(c);
	if (rc)
		fprintf(stderr, "bench: connect-rate: a tern lifecycle failed\n");
	return rc ? 1 : 0;
}

int bench_connect_rate(const bench_opts *o, bench_result *r)
{
	bench_opts co = *o;
	bench_linux_stats l = {0};
	tern_counters ctr = {0};

	if (!co.count)
		co.count = 20000;
	r->name = "connect-rate";
	r->unit = "lifecycles/s/core";
	r->peer_name = "linux-loopback";
	r->target = ">= 10";
	if (tern_connect(&co, &r->tern, &ctr))
		return 1;
	if (!o->no_peer && bench_linux_connect(&co, &l))
		return 1;
	r->peer = o->no_peer ? 0 : l.value;
	r->met = r->peer > 0 && r->tern >= 10 * r->peer;
	bench_extra_num(r, "lifecycles", (double)co.count);
	bench_extra_num(r, "tern_active_opens", (double)ctr.tcp_active_opens);
	bench_extra_num(r, "tern_segs_out_client", (double)ctr.tcp_out_segs);
	bench_extra_num(r, "tern_retrans", (double)ctr.tcp_retrans_segs);
	bench_extra_num(r, "tern_time_wait_refused", (double)ctr.tcp_time_wait_limit);
	bench_extra_num(r, "peer_wall_s", l.wall_s);
	return 0;
}
