/*
 * bench_throughput.c - memlink-throughput: one bulk transfer between two
 * tern stacks in one thread, against Linux TCP over loopback and against
 * the machine's copy-plus-checksum bound, all measured in the same run.
 *
 * The figure is Gbit/s per CPU-second: bytes * 8 over the CPU time of the
 * thread that runs both stacks (tern) or of the whole process (Linux, whose
 * two threads and softirq work are all charged to it). Verifying the bytes
 * by hash is timed apart and left out of both figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "wire/wire.h"

struct xfer {
	bench_pair pair;
	tern_socket *lis, *cli, *srv;
	bench_pattern pat;
	bench_hash hash;
	uint64_t total, sent, received;
	uint32_t chunk;
	bool zero_copy;  /* the receiver reads in place (tern_socket_recv_view) */
	bool shut, eof;
	uint8_t *rbuf;
};

/* Both stacks, a listener on B and the client's socket on A; the
 * connection itself is opened inside the measured loop. */
static int xfer_open(struct xfer *x, const bench_opts *o, uint32_t csum_offload)
{
	bench_pair_cfg pc = {.mtu = o->mtu, .rcvbuf = o->rcvbuf, .sndbuf = o->sndbuf, .seed = 1,
			     .csum_offload = csum_offload};
	tern_endpoint any = {0, BENCH_PORT};
	int rc;

	rc = bench_pair_init(&x->pair, &pc);
	if (rc)
		return rc;
	rc = tern_tcp_open(x->pair.st[1], &x->lis);
	if (!rc)
		rc = tern_socket_bind(x->lis, &any);
	if (!rc)
		rc = tern_socket_listen(x->lis, 4);
	if (!rc)
		rc = tern_tcp_open(x->pair.st[0], &x->cli);
	return rc;
}

/* Write at most one chunk, as an application's write() would. */
static bool xfer_send(struct xfer *x)
{
	uint64_t budget = x->chunk;
	bool moved = false;

	while (x->sent < x->total && budget) {
		size_t len = x->total - x->sent < budget ? (size_t)(x->total - x->sent) : budget;
		const uint8_t *b = bench_pattern_next(&x->pat, &len);
		int n = tern_socket_send(x->cli, b, len, 0);

		if (n <= 0)
			break;
		bench_pattern_advance(&x->pat, (size_t)n);
		x->sent += (uint64_t)n;
		budget -= (uint64_t)n;
		moved = true;
	}
	if (x->sent == x->total && !x->shut) {
		tern_socket_shutdown(x->cli, TERN_SHUT_WR);
		x->shut = true;
		moved = true;
	}
	return moved;
}

static bool xfer_recv(struct xfer *x)
{
	bool moved = false;

	if (!x->srv && tern_socket_accept(x->lis, &x->srv, NULL) == 0)
		moved = true;
	while (x->srv && !x->eof) {
		const void *at = x->rbuf;
		int n = x->zero_copy ? tern_socket_recv_view(x->srv, &at)
				     : tern_socket_recv(x->srv, x->rbuf, x->chunk, 0);

		if (n < 0)
			break;
		if (n == 0)
			x->eof = true;
		if (n > 0)
			bench_hash_update_timed(&x->hash, at, (size_t)n);
		if (x->zero_copy && n > 0)
			tern_socket_recv_done(x->srv, (size_t)n);
		x->received += (uint64_t)n;
		moved = true;
	}
	return moved;
}

/* The measured loop: kept out of line so that callgrind can count only it
 * (bench/callgrind.sh, --toggle-collect=xfer_run). */
__attribute__((noinline)) int xfer_run(struct xfer *x)
{
	tern_endpoint dst = {BENCH_ADDR_B, BENCH_PORT};

	if (tern_socket_connect(x->cli, &dst) != TERN_EINPROGRESS)
		return -1;
	while (!x->eof) {
		bool moved = bench_pair_deliver(&x->pair);

		moved |= xfer_send(x);
		moved |= xfer_recv(x);
		if (moved)
			bench_pair_tick(&x->pair);
		else if (!bench_pair_idle(&x->pair))
			return -1;
	}
	return 0;
}

static void xfer_close(struct xfer *x)
{
	if (x->srv)
		tern_socket_close(x->srv);
	if (x->cli)
		tern_socket_close(x->cli);
	if (x->lis)
		tern_socket_close(x->lis);
	bench_pair_fini(&x->pair);
	bench_pattern_free(&x->pat);
	free(x->rbuf);
}

struct tern_xfer_stats {
	double gbps, cpu_s, wall_s, hash_s;
	uint64_t segs_out, retrans, passes, jumps, drops;
};

static void xfer_stats(struct xfer *x, struct tern_xfer_stats *s)
{
	tern_counters a, b;

	tern_stack_counters(x->pair.st[0], &a);
	tern_stack_counters(x->pair.st[1], &b);
	s->segs_out = a.tcp_out_segs;
	s->retrans = a.tcp_retrans_segs;
	s->passes = x->pair.passes;
	s->jumps = x->pair.jumps;
	s->drops = tern_memlink_drops(x->pair.dev[0]) + tern_memlink_drops(x->pair.dev[1]);
}

/* The ways tern is run: checksums offloaded on both interfaces, as Linux's
 * loopback does (no byte of the memlink leaves memory), and the receiver
 * reading in place (the one copy out) or copying out with
 * tern_socket_recv; or everything in software, copying out. */
enum xfer_way { XFER_OFFLOAD_VIEW, XFER_OFFLOAD_COPY, XFER_SW_COPY };

static int tern_throughput(const bench_opts *o, enum xfer_way way, struct tern_xfer_stats *s)
{
	uint32_t csum_offload = way == XFER_SW_COPY ? 0
						   : TERN_CSUM_OFFLOAD_TCP_TX | TERN_CSUM_OFFLOAD_RX;
	struct xfer *x = calloc(1, sizeof *x);
	uint64_t want, c0, w0;
	int rc;

	if (!x)
		return -1;
	x->total = o->bytes;
	x->chunk = o->chunk;
	x->zero_copy = way == XFER_OFFLOAD_VIEW;
	x->rbuf = malloc(o->chunk);
	bench_hash_init(&x->hash);
	rc = (!x->rbuf || bench_pattern_init(&x->pat)) ? -1 : 0;
	want = rc ? 0 : bench_pattern_hash(&x->pat, x->total);
	if (!rc)
		rc = xfer_open(x, o, csum_offload);
	c0 = bench_thread_ns();
	w0 = bench_wall_ns();
	if (!rc)
		rc = xfer_run(x);
	s->cpu_s = (double)(bench_thread_ns() - c0 - x->hash.cpu_ns) / 1e9;
	s->wall_s = (double)(bench_wall_ns() - w0) / 1e9;
	s->hash_s = (double)x->hash.cpu_ns / 1e9;
	s->gbps = (double)x->total * 8 / s->cpu_s / 1e9;
	if (!rc && (x->received != x->total || bench_hash_final(&x->hash) != want)) {
		fprintf(stderr, "bench: memlink-throughput: received %llu of %llu bytes, hash %s\n",
			(unsigned long long)x->received, (unsigned long long)x->total,
			bench_hash_final(&x->hash) == want ? "ok" : "MISMATCH");
		rc = -1;
	} else if (rc) {
		fprintf(stderr, "bench: memlink-throughput: transfer failed (%d) after %llu bytes\n",
			rc, (unsigned long long)x->received);
	}
	if (x->pair.st[0])
		xfer_stats(x, s);
	xfer_close(x);
	free(x);
	return rc ? 1 : 0;
}

/* ---- the copy-plus-checksum bound ----------------------------------------- */

struct bound {
	double memcpy_gbps, csum_gbps, bound_gbps, both_ends_gbps;
};

/* memcpy and tern_csum over the same byte count as the transfer, in the
 * sizes the transfer uses (application chunks for copies, one MSS per
 * checksum) and through buffers as large as its rings, so the caches see
 * what the stack's copies see. Each speed is taken alone, then combined as
 * time per byte: 1 / (1/memcpy + 1/csum) is one copy and one checksum of
 * every byte, which is what the issue calls the bound. */
static int measure_bound(const bench_opts *o, struct bound *b)
{
	size_t span = o->rcvbuf, mss = o->mtu - 40;
	uint8_t *src = malloc(span), *dst = malloc(span);
	uint64_t t0, sum = 0;
	size_t off = 0;

	if (!src || !dst) {
		free(src);
		free(dst);
		return -1;
	}
	memset(src, 0x5a, span);
	memset(dst, 0xa5, span);
	t0 = bench_thread_ns();
	for (uint64_t done = 0; done < o->bytes; done += o->chunk) {
		if (off + o->chunk > span)
			off = 0;
		memcpy(dst + off, src + off, o->chunk);
		off += o->chunk;
	}
	b->memcpy_gbps = (double)o->bytes * 8 / (double)(bench_thread_ns() - t0);
	off = 0;
	t0 = bench_thread_ns();
	for (uint64_t done = 0; done < o->bytes; done += mss) {
		if (off + mss > span)
			off = 0;
		sum += tern_csum(dst + off, mss);
		off += mss;
	}
	b->csum_gbps = (double)o->bytes * 8 / (double)(bench_thread_ns() - t0);
	/* Keeps the checksums from being optimised away. */
	if (sum == 1)
		fprintf(stderr, " ");
	free(src);
	free(dst);
	b->bound_gbps = 1 / (1 / b->memcpy_gbps + 1 / b->csum_gbps);
	b->both_ends_gbps = 1 / (2 / b->memcpy_gbps + 2 / b->csum_gbps);
	return 0;
}

/* ---- the benchmark -------------------------------------------------------- */

static void throughput_extras(bench_result *r, const struct tern_xfer_stats *t,
			      const struct bound *b, const bench_linux_stats *l)
{
	bench_extra_num(r, "tern_cpu_s", t->cpu_s);
	bench_extra_num(r, "tern_wall_s", t->wall_s);
	bench_extra_num(r, "tern_hash_s", t->hash_s);
	bench_extra_num(r, "tern_segs", (double)t->segs_out);
	bench_extra_num(r, "tern_retrans", (double)t->retrans);
	bench_extra_num(r, "tern_link_drops", (double)t->drops);
	bench_extra_num(r, "tern_passes", (double)t->passes);
	bench_extra_num(r, "tern_clock_jumps", (double)t->jumps);
	bench_extra_num(r, "peer_cpu_s", l->cpu_s);
	bench_extra_num(r, "peer_wall_s", l->wall_s);
	bench_extra_num(r, "memcpy_gbps", b->memcpy_gbps);
	bench_extra_num(r, "csum_gbps", b->csum_gbps);
	bench_extra_num(r, "bound_gbps", b->bound_gbps);
	bench_extra_num(r, "bound_ratio", r->tern / b->bound_gbps);
	bench_extra_num(r, "both_ends_bound_gbps", b->both_ends_gbps);
	bench_extra_num(r, "both_ends_ratio", r->tern / b->both_ends_gbps);
}

int bench_memlink_throughput(const bench_opts *o, bench_result *r)
{
	struct tern_xfer_stats t = {0}, cp = {0}, sw = {0};
	bench_linux_stats l = {0};
	struct bound b = {0};

	r->name = "memlink-throughput";
	r->unit = "Gbit/s/core";
	r->peer_name = "linux-loopback";
	r->target = ">= 3 (and bound_ratio >= 0.7)";
	if (o->csum != BENCH_CSUM_SW && tern_throughput(o, XFER_OFFLOAD_VIEW, &t))
		return 1;
	if (o->csum == BENCH_CSUM_BOTH && tern_throughput(o, XFER_OFFLOAD_COPY, &cp))
		return 1;
	if (o->csum != BENCH_CSUM_OFFLOAD && tern_throughput(o, XFER_SW_COPY, &sw))
		return 1;
	if (o->csum == BENCH_CSUM_SW)
		t = sw;
	if (measure_bound(o, &b))
		return 1;
	if (!o->no_peer && bench_linux_throughput(o, &l))
		return 1;
	bench_linux_stats lm = {0};
	bool same_mtu = !o->no_peer && o->mtu < 65536 && bench_linux_throughput_mtu(o, &lm) == 0;
	r->tern = t.gbps;
	r->peer = o->no_peer ? 0 : l.value;
	r->met = r->peer > 0 && r->tern >= 3 * r->peer && r->tern >= 0.7 * b.bound_gbps;
	bench_extra_num(r, "bytes", (double)o->bytes);
	bench_extra_num(r, "mtu", o->mtu);
	bench_extra_str(r, "way", o->csum == BENCH_CSUM_SW ? "sw-csum,recv-copy"
							  : "csum-offload,recv-view");
	if (o->csum == BENCH_CSUM_BOTH) {
		bench_extra_num(r, "tern_recv_copy", cp.gbps);
		bench_extra_num(r, "tern_sw_csum_recv_copy", sw.gbps);
		if (r->peer > 0) {
			bench_extra_num(r, "recv_copy_ratio", cp.gbps / r->peer);
			bench_extra_num(r, "sw_csum_recv_copy_ratio", sw.gbps / r->peer);
		}
	}
	if (same_mtu) {
		bench_extra_num(r, "peer_same_mtu", lm.value);
		bench_extra_num(r, "same_mtu_ratio", r->tern / lm.value);
	} else if (!o->no_peer) {
		bench_extra_str(r, "peer_same_mtu", "needs root");
	}
	throughput_extras(r, &t, &b, &l);
	return 0;
}
