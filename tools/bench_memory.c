/*
 * bench_memory.c - conn-memory: bytes per idle established connection and
 * per TIME-WAIT record, read from the counting allocators of two tern
 * stacks holding N connections between them.
 *
 * Phases, each measured as the allocator's bytes in use over the baseline
 * (the stacks with a listener and nothing else), divided by N:
 *   established  after the handshakes, nothing sent yet
 *   after use    after one 1-byte request/response on every connection
 *                (buffers allocated lazily and released when empty cost 0)
 *   TIME-WAIT    after every client closed first and every server closed
 * The peers are documented, not measured: Linux's slab object sizes as this
 * kernel reports them (/proc/slabinfo, when readable) and lwIP's
 * struct tcp_pcb (bench/lwip_sizes.sh, recorded in docs/BENCHMARKS.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* lwIP 2.1.3 as Debian's liblwip-dev configures it: sizeof(struct tcp_pcb),
 * from bench/lwip_sizes.sh; lwIP's TIME-WAIT keeps the whole tcp_pcb. */
#define LWIP_TCP_PCB 288

/* Linux 6.x slab object sizes, used when /proc/slabinfo cannot be read. */
#define LINUX_TCP_SOCK 2368
#define LINUX_SOCK_INODE 832
#define LINUX_FILP 192
#define LINUX_DENTRY 192
#define LINUX_TW_SOCK 256

/* tern picks an ephemeral port only among ports no socket holds (49152..
 * 65535, whatever the destination), so one client address reaches 16,384
 * connections at most. Past that the clients bind explicitly with
 * TERN_SO_REUSEADDR, spread over CM_PORTS ports and several listeners so
 * that every 4-tuple stays distinct. */
#define CM_PORTS 60000u
#define CM_MAX_LISTENERS 17u

struct cm {
	bench_pair pair;
	tern_socket *lis[CM_MAX_LISTENERS];
	uint32_t nlis;
	tern_socket **cli, **srv;
	uint32_t n, ncli, nsrv;
	uint32_t want;     /* index of the connection a read waits on */
	int got;
};

static bool cm_accept_all(void *ctx)
{
	struct cm *c = ctx;

	for (uint32_t l = 0; l < c->nlis; l++)
		while (c->nsrv < c->ncli && tern_socket_accept(c->lis[l], &c->srv[c->nsrv], NULL) == 0)
			c->nsrv++;
	return c->nsrv == c->ncli;
}

static int cm_open(struct cm *c, uint32_t n)
{
	/* Every connection may have a segment on the link at once. */
	bench_pair_cfg pc = {.mtu = 1500, .max_conns = n, .queue_max = 2 * n + 4096, .seed = 4};
	int rc;

	c->n = n;
	c->nlis = (n + CM_PORTS - 1) / CM_PORTS;
	c->cli = calloc(n, sizeof *c->cli);
	c->srv = calloc(n, sizeof *c->srv);
	if (!c->cli || !c->srv || c->nlis > CM_MAX_LISTENERS)
		return -1;
	rc = bench_pair_init(&c->pair, &pc);
	for (uint32_t l = 0; !rc && l < c->nlis; l++) {
		tern_endpoint any = {0, (uint16_t)(BENCH_PORT + l)};

		rc = tern_tcp_open(c->pair.st[1], &c->lis[l]);
		if (!rc)
			rc = tern_socket_bind(c->lis[l], &any);
		if (!rc)
			rc = tern_socket_listen(c->lis[l], 1024);
	}
	return rc;
}

/* Open connections in batches the listen queue can hold. */
static int cm_connect_batch(struct cm *c, uint32_t upto)
{
	for (; c->ncli < upto; c->ncli++) {
		uint32_t i = c->ncli;
		tern_endpoint dst = {BENCH_ADDR_B, (uint16_t)(BENCH_PORT + i / CM_PORTS)};
		tern_endpoint src = {0, (uint16_t)(1024 + i % CM_PORTS)};
		tern_socket **s = &c->cli[i];

		if (tern_tcp_open(c->pair.st[0], s) || tern_socket_setopt(*s, TERN_SO_REUSEADDR, 1) ||
		    tern_socket_bind(*s, &src) || tern_socket_connect(*s, &dst) != TERN_EINPROGRESS)
			return -1;
	}
	if (bench_pair_until(&c->pair, cm_accept_all, c))
		return -1;
	bench_pair_settle(&c->pair);
	return 0;
}

struct cm_setup {
	double first_us, last_us;  /* CPU us per connection, first and last batch */
};

#define CM_BATCH 512u

static int cm_connect_all(struct cm *c, struct cm_setup *s)
{
	while (c->ncli < c->n) {
		uint32_t from = c->ncli, upto = c->n - from > CM_BATCH ? from + CM_BATCH : c->n;
		uint64_t t0 = bench_thread_ns();

		if (cm_connect_batch(c, upto))
			return -1;
		s->last_us = (double)(bench_thread_ns() - t0) / 1e3 / (upto - from);
		if (from == 0)
			s->first_us = s->last_us;
	}
	return 0;
}

static bool cm_read(void *ctx)
{
	struct cm *c = ctx;
	uint8_t b;

	c->got = tern_socket_recv(c->srv[c->want], &b, 1, 0);
	return c->got != TERN_EAGAIN;
}

/* One byte each way on every connection (the server reads, then answers). */
static int cm_use_all(struct cm *c)
{
	uint8_t b = 'q';

	for (uint32_t i = 0; i < c->n; i++)
		if (tern_socket_send(c->cli[i], &b, 1, 0) != 1)
			return -1;
	bench_pair_settle(&c->pair);
	for (c->want = 0; c->want < c->n; c->want++) {
		if (bench_pair_until(&c->pair, cm_read, c) || c->got != 1 ||
		    tern_socket_send(c->srv[c->want], &b, 1, 0) != 1)
			return -1;
	}
	bench_pair_settle(&c->pair);
	for (uint32_t i = 0; i < c->n; i++)
		if (tern_socket_recv(c->cli[i], &b, 1, 0) != 1)
			return -1;
	/* Let the delayed ACKs go (40 ms), but no retransmission timer (>= 200
	 * ms) could be due without a loss, which a memlink does not have. */
	bench_pair_quiesce(&c->pair, TERN_MS(100));
	return 0;
}

static int cm_close_all(struct cm *c)
{
	uint8_t b;

	for (uint32_t i = 0; i < c->n; i++)
		tern_socket_close(c->cli[i]);
	bench_pair_settle(&c->pair);
	for (uint32_t i = 0; i < c->n; i++) {
		if (tern_socket_recv(c->srv[i], &b, 1, 0) != 0)
			return -1;
		tern_socket_close(c->srv[i]);
	}
	bench_pair_settle(&c->pair);
	return 0;
}

struct cm_figures {
	double est_cli, est_srv, used_cli, used_srv, tw, srv_left;
	struct cm_setup setup;
	uint64_t tw_refused;
};

static double per_conn(const bench_mem *m, uint64_t base, uint32_t n)
{
	return ((double)m->in_use - (double)base) / n;
}

static int cm_fail(const struct cm *c, const char *phase)
{
	tern_counters a, b;

	tern_stack_counters(c->pair.st[0], &a);
	tern_stack_counters(c->pair.st[1], &b);
	fprintf(stderr,
		"bench: conn-memory: %s failed at connection %u (client: %llu conn-limit, %llu "
		"alloc-fail; server: %llu conn-limit, %llu listen-overflow, %llu alloc-fail)\n",
		phase, c->ncli, (unsigned long long)a.tcp_conn_limit,
		(unsigned long long)a.mem_alloc_fail, (unsigned long long)b.tcp_conn_limit,
		(unsigned long long)b.tcp_listen_overflows, (unsigned long long)b.mem_alloc_fail);
	return -1;
}

static int cm_measure(struct cm *c, struct cm_figures *f)
{
	uint64_t b0 = c->pair.mem[0].in_use, b1 = c->pair.mem[1].in_use;
	tern_counters ctr;

	if (cm_connect_all(c, &f->setup))
		return cm_fail(c, "connecting");
	f->est_cli = per_conn(&c->pair.mem[0], b0, c->n);
	f->est_srv = per_conn(&c->pair.mem[1], b1, c->n);
	if (cm_use_all(c))
		return cm_fail(c, "one request/response on each");
	f->used_cli = per_conn(&c->pair.mem[0], b0, c->n);
	f->used_srv = per_conn(&c->pair.mem[1], b1, c->n);
	if (cm_close_all(c))
		return cm_fail(c, "closing");
	f->tw = per_conn(&c->pair.mem[0], b0, c->n);
	f->srv_left = per_conn(&c->pair.mem[1], b1, c->n);
	tern_stack_counters(c->pair.st[0], &ctr);
	f->tw_refused = ctr.tcp_time_wait_limit;
	return 0;
}

/* ---- Linux's documented figures ------------------------------------------- */

/* The object size of slab cache `name`, or fallback when unreadable. */
static double slab_objsize(const char *name, double fallback)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], cache[64];
	unsigned long active, num, objsize;
	double v = fallback;

	if (!f)
		return fallback;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %lu %lu %lu", cache, &active, &num, &objsize) == 4 &&
		    !strcmp(cache, name))
			v = (double)objsize;
	fclose(f);
	return v;
}

static void linux_figures(double *est, double *tw)
{
	/* An idle socket: the TCP sock, its socket inode, the file and the
	 * dentry behind the descriptor; buffers come and go with data. */
	*est = slab_objsize("TCP", LINUX_TCP_SOCK) + slab_objsize("sock_inode_cache", LINUX_SOCK_INODE) +
	       slab_objsize("filp", LINUX_FILP) + slab_objsize("dentry", LINUX_DENTRY);
	*tw = slab_objsize("tw_sock_TCP", LINUX_TW_SOCK);
}

static void cm_free(struct cm *c)
{
	for (uint32_t l = 0; l < c->nlis; l++)
		if (c->lis[l])
			tern_socket_close(c->lis[l]);
	bench_pair_fini(&c->pair);
	free(c->cli);
	free(c->srv);
	free(c);
}

static void memory_extras(bench_result *r, const struct cm_figures *f, double linux_tw, uint32_t n)
{
	bench_extra_num(r, "conns", n);
	bench_extra_num(r, "tern_client_bytes", f->est_cli);
	bench_extra_num(r, "tern_server_bytes", f->est_srv);
	bench_extra_num(r, "tern_after_use_client_bytes", f->used_cli);
	bench_extra_num(r, "tern_after_use_server_bytes", f->used_srv);
	bench_extra_num(r, "tern_time_wait_bytes", f->tw);
	bench_extra_num(r, "tern_server_left_bytes", f->srv_left);
	bench_extra_num(r, "tern_time_wait_refused", (double)f->tw_refused);
	bench_extra_num(r, "tern_setup_us_first_512", f->setup.first_us);
	bench_extra_num(r, "tern_setup_us_last_512", f->setup.last_us);
	bench_extra_num(r, "peer_time_wait_bytes", linux_tw);
	bench_extra_num(r, "time_wait_ratio", f->tw / linux_tw);
	bench_extra_num(r, "lwip_tcp_pcb_bytes", LWIP_TCP_PCB);
	bench_extra_num(r, "lwip_time_wait_bytes", LWIP_TCP_PCB);
	bench_extra_str(r, "peer_source", "documented: /proc/slabinfo TCP+sock_inode_cache+filp+dentry");
}

int bench_conn_memory(const bench_opts *o, bench_result *r)
{
	struct cm *c = calloc(1, sizeof *c);
	struct cm_figures f = {0};
	double linux_est, linux_tw;
	int rc;

	if (!c)
		return 1;
	rc = cm_open(c, o->conns);
	if (!rc)
		rc = cm_measure(c, &f);
	cm_free(c);
	if (rc) {
		return 1;
	}
	linux_figures(&linux_est, &linux_tw);
	r->name = "conn-memory";
	r->unit = "bytes/conn";
	r->peer_name = "linux-slab (documented)";
	r->target = "tern <= 512 B/conn, TIME-WAIT <= 64 B";
	r->tern = (f.est_cli + f.est_srv) / 2;
	r->peer = linux_est;
	r->met = r->tern <= 512 && f.tw <= 64;
	memory_extras(r, &f, linux_tw, o->conns);
	return 0;
}
