/* bench_util.c - clocks, the sender's pattern and its hash, the counting
 * allocator and result printing shared by the benchmarks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

/* ---- clocks --------------------------------------------------------------- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t bench_thread_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }
uint64_t bench_proc_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

/* ---- the pattern ---------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

int bench_pattern_init(bench_pattern *p)
{
	uint64_t seed = 42;

	p->off = 0;
	p->bytes = malloc(BENCH_PATTERN_LEN);
	if (!p->bytes)
		return -1;
	for (uint32_t i = 0; i < BENCH_PATTERN_LEN; i += 8) {
		uint64_t v = splitmix64(&seed);
		uint32_t n = BENCH_PATTERN_LEN - i < 8 ? BENCH_PATTERN_LEN - i : 8;

		memcpy(p->bytes + i, &v, n);
	}
	return 0;
}

void bench_pattern_free(bench_pattern *p)
{
	free(p->bytes);
	p->bytes = NULL;
}

const uint8_t *bench_pattern_next(const bench_pattern *p, size_t *len)
{
	size_t left = BENCH_PATTERN_LEN - p->off;

	if (*len > left)
		*len = left;
	return p->bytes + p->off;
}

void bench_pattern_advance(bench_pattern *p, size_t n)
{
	p->off = (uint32_t)((p->off + n) % BENCH_PATTERN_LEN);
}

/* ---- the hash ------------------------------------------------------------- */

#define H_P1 0x9e3779b185ebca87u
#define H_P2 0xc2b2ae3d27d4eb4fu

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t h_round(uint64_t acc, uint64_t in)
{
	acc += in * H_P2;
	return rotl64(acc, 31) * H_P1;
}

static void h_block(bench_hash *h, const uint8_t *p)
{
	for (int i = 0; i < 4; i++) {
		uint64_t w;

		memcpy(&w, p + 8 * i, 8);
		h->lane[i] = h_round(h->lane[i], w);
	}
}

void bench_hash_init(bench_hash *h)
{
	memset(h, 0, sizeof *h);
	for (int i = 0; i < 4; i++)
		h->lane[i] = H_P1 * (uint64_t)(i + 1);
}

void bench_hash_update(bench_hash *h, const void *data, size_t len)
{
	const uint8_t *p = data;

	h->total += len;
	if (h->ntail) {
		size_t take = 32 - h->ntail < len ? 32 - h->ntail : len;

		memcpy(h->tail + h->ntail, p, take);
		h->ntail += (uint32_t)take;
		p += take;
		len -= take;
		if (h->ntail < 32)
			return;
		h_block(h, h->tail);
		h->ntail = 0;
	}
	for (; len >= 32; p += 32, len -= 32)
		h_block(h, p);
	memcpy(h->tail, p, len);
	h->ntail = (uint32_t)len;
}

/* Never inlined (the tern command is linked with LTO): bench/callgrind.sh
 * leaves out what runs inside it by its name (--toggle-collect). */
__attribute__((noinline)) void bench_hash_update_timed(bench_hash *h, const void *data,
							size_t len)
{
	uint64_t t0 = bench_thread_ns();

	bench_hash_update(h, data, len);
	h->cpu_ns += bench_thread_ns() - t0;
}

uint64_t bench_hash_final(const bench_hash *h)
{
	uint64_t acc = h->total * H_P1;

	for (int i = 0; i < 4; i++)
		acc = h_round(acc, h->lane[i]);
	for (uint32_t i = 0; i < h->ntail; i++)
		acc = h_round(acc, h->tail[i]);
	return acc ^ (acc >> 29);
}

uint64_t bench_pattern_hash(const bench_pattern *p, uint64_t n)
{
	bench_pattern walk = {.bytes = p->bytes, .off = 0};
	bench_hash h;

	bench_hash_init(&h);
	while (n) {
		size_t len = n > BENCH_PATTERN_LEN ? BENCH_PATTERN_LEN : (size_t)n;
		const uint8_t *b = bench_pattern_next(&walk, &len);

		bench_hash_update(&h, b, len);
		bench_pattern_advance(&walk, len);
		n -= len;
	}
	return bench_hash_final(&h);
}

/* ---- the counting allocator ----------------------------------------------- */

static void *mem_alloc(void *ctx, size_t size)
{
	bench_mem *m = ctx;
	void *p = malloc(size);

	if (!p)
		return NULL;
	m->in_use += size;
	m->allocs++;
	if (m->in_use > m->peak)
		m->peak = m->in_use;
	return p;
}

static void mem_free(void *ctx, void *p, size_t size)
{
	bench_mem *m = ctx;

	if (!p)
		return;
	m->in_use -= size;
	m->frees++;
	free(p);
}

tern_allocator bench_mem_allocator(bench_mem *m)
{
	memset(m, 0, sizeof *m);
	return (tern_allocator){mem_alloc, mem_free, m};
}

/* ---- results -------------------------------------------------------------- */

static void extra_append(bench_result *r, const char *text)
{
	size_t have = strlen(r->extra);

	snprintf(r->extra + have, sizeof r->extra - have, "%s", text);
}

/* JSON has no NaN or infinity: a figure that could not be measured is null. */
static void fmt_num(char *buf, size_t cap, double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, cap, "%.0f", v);
	else if (isfinite(v))
		snprintf(buf, cap, "%.6g", v);
	else
		snprintf(buf, cap, "null");
}

void bench_extra_num(bench_result *r, const char *key, double v)
{
	char num[32], text[96];

	fmt_num(num, sizeof num, v);
	snprintf(text, sizeof text, ",\"%s\":%s", key, num);
	extra_append(r, text);
}

void bench_extra_str(bench_result *r, const char *key, const char *v)
{
	char text[256];

	snprintf(text, sizeof text, ",\"%s\":\"%s\"", key, v);
	extra_append(r, text);
}

static double ratio_of(const bench_result *r)
{
	return r->peer > 0 ? r->tern / r->peer : NAN;
}

void bench_report(const bench_result *r, bool json)
{
	char t[32], p[32], q[32];

	fmt_num(t, sizeof t, r->tern);
	fmt_num(p, sizeof p, r->peer);
	fmt_num(q, sizeof q, ratio_of(r));
	if (json) {
		printf("{\"name\":\"%s\",\"unit\":\"%s\",\"tern\":%s,\"peer\":%s,"
		       "\"peer_name\":\"%s\",\"ratio\":%s,\"target\":\"%s\",\"met\":%s%s}\n",
		       r->name, r->unit, t, p, r->peer_name, q, r->target,
		       r->met ? "true" : "false", r->extra);
	} else {
		printf("%-20s tern %s %s, %s %s (ratio %s; target %s: %s)\n", r->name, t, r->unit,
		       r->peer_name, p, q, r->target[0] ? r->target : "none",
		       r->met ? "met" : "not met");
	}
	fflush(stdout);
}
