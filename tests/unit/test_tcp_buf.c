/* test_tcp_buf.c - the send and receive rings: wrap-around, full rings,
 * lazily held storage, and out-of-order placement checked against a flat
 * reference model (a byte array plus a "have" map) in every order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"
#include "tcp/tcp_buf.h"
#include "tt.h"

/* ---- a stack whose allocator counts live bytes and can refuse ------------ */

typedef struct talloc {
	size_t live;
	int refuse;
} talloc;

static void *ta_alloc(void *ctx, size_t n)
{
	talloc *a = ctx;
	if (a->refuse)
		return NULL;
	a->live += n;
	return malloc(n);
}

static void ta_free(void *ctx, void *p, size_t n)
{
	talloc *a = ctx;
	if (p)
		a->live -= n;
	free(p);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The rings touch only the stack's allocator (through tern_mem_alloc), so
 * a zeroed stack object with an allocator is all they need; the test then
 * links without the rest of the stack. */
static tern_stack *stack_new(talloc *a)
{
	static tern_stack st;
	memset(a, 0, sizeof *a);
	memset(&st, 0, sizeof st);
	st.cfg.allocator.alloc = ta_alloc;
	st.cfg.allocator.free = ta_free;
	st.cfg.allocator.ctx = a;
	return &st;
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((start + i) * 131 + 7);
}

/* ---- send ring ----------------------------------------------------------- */

TT_TEST(test_sndbuf_holds_no_storage_until_first_write)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	tern_sndbuf b;
	tern_sndbuf_init(&b, 1000);
	TT_CHECK(b.mem == NULL);
	TT_EQ(tern_sndbuf_space(&b), 1000);
	TT_EQ(tern_sndbuf_write(st, &b, "", 0), 0);
	TT_EQ(a.live, base);
	TT_EQ(tern_sndbuf_write(st, &b, "abc", 3), 3);
	TT_EQ(a.live, base + 1000);
	tern_sndbuf_free(st, &b);
	TT_EQ(a.live, base);
}

TT_TEST(test_sndbuf_write_when_full_returns_zero)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t data[300];
	fill_pattern(data, sizeof data, 0);
	tern_sndbuf b;
	tern_sndbuf_init(&b, 256);
	/* a write larger than the space takes only what fits */
	TT_EQ(tern_sndbuf_write(st, &b, data, sizeof data), 256);
	TT_EQ(tern_sndbuf_space(&b), 0);
	TT_EQ(tern_sndbuf_write(st, &b, data, 10), 0);
	TT_EQ(b.len, 256);
	uint8_t out[256];
	tern_sndbuf_read(&b, 0, out, 256);
	TT_CHECK(memcmp(out, data, 256) == 0);
	tern_sndbuf_free(st, &b);
}

TT_TEST(test_sndbuf_read_at_offset_does_not_consume)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t data[100], out[40];
	fill_pattern(data, sizeof data, 0);
	tern_sndbuf b;
	tern_sndbuf_init(&b, 128);
	TT_EQ(tern_sndbuf_write(st, &b, data, 100), 100);
	tern_sndbuf_read(&b, 30, out, 40);
	TT_CHECK(memcmp(out, data + 30, 40) == 0);
	tern_sndbuf_read(&b, 30, out, 40);
	TT_CHECK(memcmp(out, data + 30, 40) == 0);
	TT_EQ(b.len, 100);
	tern_sndbuf_free(st, &b);
}

TT_TEST(test_sndbuf_write_and_read_straddle_the_end_of_storage)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t data[200], out[100];
	fill_pattern(data, sizeof data, 0);
	tern_sndbuf b;
	tern_sndbuf_init(&b, 100);
	TT_EQ(tern_sndbuf_write(st, &b, data, 90), 90);
	tern_sndbuf_drop(st, &b, 70);
	TT_EQ(b.head, 70);
	/* 20 held at [70, 90); 60 more go to [90, 100) and [0, 50) */
	TT_EQ(tern_sndbuf_write(st, &b, data + 90, 60), 60);
	TT_EQ(b.len, 80);
	tern_sndbuf_read(&b, 0, out, 80);
	TT_CHECK(memcmp(out, data + 70, 80) == 0);
	tern_sndbuf_read(&b, 25, out, 30);
	TT_CHECK(memcmp(out, data + 95, 30) == 0);
	/* fill exactly to cap across the end */
	TT_EQ(tern_sndbuf_write(st, &b, data + 150, 50), 20);
	TT_EQ(tern_sndbuf_space(&b), 0);
	tern_sndbuf_read(&b, 0, out, 100);
	TT_CHECK(memcmp(out, data + 70, 100) == 0);
	tern_sndbuf_drop(st, &b, 40);
	TT_EQ(b.head, 10);
	tern_sndbuf_read(&b, 0, out, 60);
	TT_CHECK(memcmp(out, data + 110, 60) == 0);
	tern_sndbuf_free(st, &b);
}

TT_TEST(test_sndbuf_drop_to_empty_releases_storage)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	uint8_t data[64];
	fill_pattern(data, sizeof data, 0);
	tern_sndbuf b;
	tern_sndbuf_init(&b, 64);
	TT_EQ(tern_sndbuf_write(st, &b, data, 64), 64);
	tern_sndbuf_drop(st, &b, 63);
	TT_EQ(a.live, base + 64);
	tern_sndbuf_drop(st, &b, 1);
	TT_EQ(a.live, base);
	TT_CHECK(b.mem == NULL);
	TT_EQ(b.len, 0);
	TT_EQ(tern_sndbuf_space(&b), 64);
	/* usable again after release */
	TT_EQ(tern_sndbuf_write(st, &b, data, 10), 10);
	uint8_t out[10];
	tern_sndbuf_read(&b, 0, out, 10);
	TT_CHECK(memcmp(out, data, 10) == 0);
	tern_sndbuf_free(st, &b);
	TT_EQ(a.live, base);
}

TT_TEST(test_sndbuf_write_returns_enomem_when_allocator_refuses)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	tern_sndbuf b;
	tern_sndbuf_init(&b, 64);
	a.refuse = 1;
	TT_EQ(tern_sndbuf_write(st, &b, "x", 1), TERN_ENOMEM);
	TT_EQ(b.len, 0);
	TT_EQ(st->ctr.mem_alloc_fail, 1);
	TT_CHECK(b.mem == NULL);
	a.refuse = 0;
	TT_EQ(tern_sndbuf_write(st, &b, "x", 1), 1);
	tern_sndbuf_free(st, &b);
}

TT_TEST(test_sndbuf_random_writes_reads_drops_match_a_flat_stream)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	enum { TOTAL = 20000 };
	static uint8_t stream[TOTAL], out[TOTAL];
	fill_pattern(stream, TOTAL, 3);
	for (uint64_t seed = 1; seed <= 50; seed++) {
		uint64_t r = seed * 0x9e3779b97f4a7c15ull;
		uint32_t cap = 1 + (uint32_t)(xorshift(&r) % 700);
		uint32_t una = 0, wr = 0; /* stream offsets of head and tail */
		tern_sndbuf b;
		tern_sndbuf_init(&b, cap);
		while (una < TOTAL) {
			uint32_t n = (uint32_t)(xorshift(&r) % 400);
			if (n > TOTAL - wr)
				n = TOTAL - wr;
			int got = tern_sndbuf_write(st, &b, stream + wr, n);
			TT_EQ(got, n < cap - (wr - una) ? n : cap - (wr - una));
			wr += (uint32_t)got;
			TT_EQ(b.len, wr - una);
			if (b.len) {
				uint32_t off = (uint32_t)(xorshift(&r) % b.len);
				uint32_t k = 1 + (uint32_t)(xorshift(&r) % (b.len - off));
				tern_sndbuf_read(&b, off, out, k);
				TT_CHECK(memcmp(out, stream + una + off, k) == 0);
			}
			uint32_t d = b.len ? (uint32_t)(xorshift(&r) % (b.len + 1)) : 0;
			tern_sndbuf_drop(st, &b, d);
			una += d;
			TT_EQ(a.live, base + (b.len ? cap : 0));
		}
		tern_sndbuf_free(st, &b);
		TT_EQ(a.live, base);
	}
}

/* ---- receive ring: a reference model ------------------------------------ */

enum { MAX_STREAM = 8192 };

typedef struct model {
	const uint8_t *stream;
	uint32_t n;
	uint8_t have[MAX_STREAM]; /* stream byte held (in order or not) */
	uint32_t rcv_nxt, read_pos, cap;
} model;

static void model_init(model *m, const uint8_t *stream, uint32_t n, uint32_t cap)
{
	memset(m, 0, sizeof *m);
	m->stream = stream;
	m->n = n;
	m->cap = cap;
}

static uint32_t model_limit(const model *m)
{
	uint32_t lim = m->read_pos + m->cap;
	return lim < m->n ? lim : m->n;
}

static uint32_t model_runs(const model *m)
{
	uint32_t runs = 0, lim = model_limit(m);
	for (uint32_t x = m->rcv_nxt; x < lim; x++)
		if (m->have[x] && (x == m->rcv_nxt || !m->have[x - 1]))
			runs++;
	return runs;
}

/* 0 when b agrees with m, else a line number to report. */
static int model_check(const model *m, const tern_rcvbuf *b)
{
	if (b->len != m->rcv_nxt - m->read_pos)
		return __LINE__;
	if (tern_rcvbuf_window(b) != m->cap - b->len)
		return __LINE__;
	uint32_t k = 0, bytes = 0, lim = model_limit(m);
	for (uint32_t x = m->rcv_nxt; x < lim; x++) {
		if (!m->have[x])
			continue;
		uint32_t end = x;
		while (end < lim && m->have[end])
			end++;
		if (k >= b->nooo || b->ooo->iv[k].off != x - m->rcv_nxt ||
		    b->ooo->iv[k].len != end - x)
			return __LINE__;
		for (uint32_t y = x; y < end; y++) {
			uint32_t idx = (b->head + b->len + (y - m->rcv_nxt)) % b->cap;
			if (b->mem[idx] != m->stream[y])
				return __LINE__;
		}
		bytes += end - x;
		k++;
		x = end;
	}
	if (k != b->nooo || bytes != b->ooo_bytes)
		return __LINE__;
	return 0;
}

/* Deliver stream bytes [s, e) as a segment would arrive, trimmed to
 * rcv_nxt as the engine trims it, and check the result. */
static int model_place(model *m, tern_stack *st, tern_rcvbuf *b, uint32_t s, uint32_t e)
{
	if (e <= m->rcv_nxt)
		return 0;
	if (s < m->rcv_nxt)
		s = m->rcv_nxt;
	uint32_t lim = model_limit(m), cut = e < lim ? e : lim;
	bool touches = false;
	for (uint32_t x = s > m->rcv_nxt ? s - 1 : s; x <= cut && x < lim; x++)
		touches |= m->have[x] != 0;
	bool full = s > m->rcv_nxt && s < lim && !touches && model_runs(m) == TERN_OOO_MAX;
	int rc = tern_rcvbuf_place(st, b, s - m->rcv_nxt, m->stream + s, e - s);
	if (full)
		return rc == TERN_ENOBUFS ? model_check(m, b) : __LINE__;
	for (uint32_t x = s; x < cut; x++)
		m->have[x] = 1;
	uint32_t adv = 0;
	while (m->rcv_nxt < m->n && m->have[m->rcv_nxt]) {
		m->rcv_nxt++;
		adv++;
	}
	if (rc != (int)adv)
		return __LINE__;
	return model_check(m, b);
}

static int model_read(model *m, tern_stack *st, tern_rcvbuf *b, uint32_t want, bool peek)
{
	uint8_t out[MAX_STREAM];
	uint32_t avail = m->rcv_nxt - m->read_pos, exp = want < avail ? want : avail;
	if (tern_rcvbuf_read(st, b, out, want, peek) != exp)
		return __LINE__;
	if (memcmp(out, m->stream + m->read_pos, exp) != 0)
		return __LINE__;
	if (!peek)
		m->read_pos += exp;
	return model_check(m, b);
}

static bool rcv_same(const tern_rcvbuf *x, const tern_rcvbuf *y)
{
	if (x->mem != y->mem || x->cap != y->cap || x->head != y->head || x->len != y->len ||
	    x->nooo != y->nooo || x->ooo_bytes != y->ooo_bytes)
		return false;
	for (uint32_t k = 0; k < x->nooo; k++)
		if (x->ooo->iv[k].off != y->ooo->iv[k].off ||
		    x->ooo->iv[k].len != y->ooo->iv[k].len)
			return false;
	return true;
}

#define MODEL_OK(call)                                                                             \
	do {                                                                                       \
		int where_ = (call);                                                               \
		if (where_)                                                                        \
			fprintf(stderr, "  model mismatch at test_tcp_buf.c:%d\n", where_);        \
		TT_CHECK(where_ == 0);                                                             \
	} while (0)

/* ---- receive ring -------------------------------------------------------- */

TT_TEST(test_rcvbuf_in_order_data_advances_the_edge_and_shrinks_the_window)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 100);
	TT_CHECK(b.mem == NULL);
	TT_EQ(tern_rcvbuf_window(&b), 100);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "hello", 5), 5);
	TT_EQ(a.live, base + 100);
	TT_EQ(b.len, 5);
	TT_EQ(tern_rcvbuf_window(&b), 95);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, " world", 6), 6);
	char out[16] = {0};
	TT_EQ(tern_rcvbuf_read(st, &b, out, sizeof out, false), 11);
	TT_CHECK(memcmp(out, "hello world", 11) == 0);
	TT_EQ(tern_rcvbuf_window(&b), 100);
	TT_EQ(a.live, base);
}

TT_TEST(test_rcvbuf_peek_copies_without_consuming)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 64);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "abcdef", 6), 6);
	char out[8] = {0};
	TT_EQ(tern_rcvbuf_read(st, &b, out, 4, true), 4);
	TT_CHECK(memcmp(out, "abcd", 4) == 0);
	TT_EQ(b.len, 6);
	TT_EQ(tern_rcvbuf_read(st, &b, out, 8, true), 6);
	TT_EQ(tern_rcvbuf_read(st, &b, out, 2, false), 2);
	TT_CHECK(memcmp(out, "ab", 2) == 0);
	TT_EQ(tern_rcvbuf_read(st, &b, out, 8, true), 4);
	TT_CHECK(memcmp(out, "cdef", 4) == 0);
	tern_rcvbuf_free(st, &b);
}

TT_TEST(test_rcvbuf_place_and_read_straddle_the_end_of_storage)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t data[300], out[100];
	fill_pattern(data, sizeof data, 0);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 100);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data, 80), 80);
	TT_EQ(tern_rcvbuf_read(st, &b, out, 75, false), 75);
	TT_EQ(b.head, 75);
	/* out-of-order data straddling the end: stream [90, 110) at ring
	 * [90..100) + [0..10) */
	TT_EQ(tern_rcvbuf_place(st, &b, 10, data + 90, 20), 0);
	/* filling the gap [80, 90) joins it; then in-order data over the end */
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data + 80, 10), 30);
	TT_EQ(b.len, 35);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data + 110, 40), 40);
	TT_EQ(b.len, 75);
	TT_EQ(tern_rcvbuf_read(st, &b, out, 100, false), 75);
	TT_CHECK(memcmp(out, data + 75, 75) == 0);
	tern_rcvbuf_free(st, &b);
}

TT_TEST(test_rcvbuf_out_of_order_data_waits_for_the_gap)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 64);
	TT_EQ(tern_rcvbuf_place(st, &b, 3, "def", 3), 0);
	TT_EQ(b.len, 0);
	TT_EQ(b.nooo, 1);
	TT_EQ(b.ooo->iv[0].off, 3);
	TT_EQ(b.ooo->iv[0].len, 3);
	TT_EQ(b.ooo_bytes, 3);
	/* window counts only in-order bytes */
	TT_EQ(tern_rcvbuf_window(&b), 64);
	char out[8];
	TT_EQ(tern_rcvbuf_read(st, &b, out, 8, false), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "abc", 3), 6);
	TT_EQ(b.nooo, 0);
	TT_EQ(b.ooo_bytes, 0);
	TT_EQ(tern_rcvbuf_read(st, &b, out, 8, false), 6);
	TT_CHECK(memcmp(out, "abcdef", 6) == 0);
	tern_rcvbuf_free(st, &b);
}

TT_TEST(test_rcvbuf_gap_fill_advances_over_all_contiguous_intervals)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t data[100];
	fill_pattern(data, sizeof data, 0);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 100);
	/* [10,20) [20,30) coalesce; [30,40) touches too; [50,60) stays apart */
	TT_EQ(tern_rcvbuf_place(st, &b, 10, data + 10, 10), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 30, data + 30, 10), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 50, data + 50, 10), 0);
	TT_EQ(b.nooo, 3);
	TT_EQ(tern_rcvbuf_place(st, &b, 20, data + 20, 10), 0);
	TT_EQ(b.nooo, 2);
	TT_EQ(b.ooo->iv[0].off, 10);
	TT_EQ(b.ooo->iv[0].len, 30);
	/* the fill reaches 15, inside the first interval: edge jumps to 40 */
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data, 15), 40);
	TT_EQ(b.len, 40);
	TT_EQ(b.nooo, 1);
	TT_EQ(b.ooo->iv[0].off, 10); /* was 50, now relative to the new edge */
	TT_EQ(b.ooo->iv[0].len, 10);
	TT_EQ(b.ooo_bytes, 10);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data + 40, 10), 20);
	uint8_t out[100];
	TT_EQ(tern_rcvbuf_read(st, &b, out, 100, false), 60);
	TT_CHECK(memcmp(out, data, 60) == 0);
	tern_rcvbuf_free(st, &b);
}

TT_TEST(test_rcvbuf_segment_bridging_intervals_merges_them_into_one)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t data[100];
	fill_pattern(data, sizeof data, 0);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 100);
	TT_EQ(tern_rcvbuf_place(st, &b, 10, data + 10, 5), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 20, data + 20, 5), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 30, data + 30, 5), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 60, data + 60, 5), 0);
	TT_EQ(b.nooo, 4);
	/* [8, 40) covers the first three and extends both ends */
	TT_EQ(tern_rcvbuf_place(st, &b, 8, data + 8, 32), 0);
	TT_EQ(b.nooo, 2);
	TT_EQ(b.ooo->iv[0].off, 8);
	TT_EQ(b.ooo->iv[0].len, 32);
	TT_EQ(b.ooo->iv[1].off, 60);
	TT_EQ(b.ooo_bytes, 37);
	tern_rcvbuf_free(st, &b);
}

TT_TEST(test_rcvbuf_duplicate_out_of_order_data_changes_nothing)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 64);
	TT_EQ(tern_rcvbuf_place(st, &b, 10, "0123456789", 10), 0);
	tern_rcvbuf before = b;
	TT_EQ(tern_rcvbuf_place(st, &b, 10, "0123456789", 10), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 12, "234", 3), 0);
	TT_CHECK(rcv_same(&before, &b));
	tern_rcvbuf_free(st, &b);
}

TT_TEST(test_rcvbuf_overlap_keeps_the_first_copy_of_each_byte)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 64);
	TT_EQ(tern_rcvbuf_place(st, &b, 4, "EFGH", 4), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 10, "KL", 2), 0);
	/* disagrees with what is held at 4..7 and 10..11: held bytes win */
	TT_EQ(tern_rcvbuf_place(st, &b, 2, "cdefghijklmn", 12), 0);
	TT_EQ(b.nooo, 1);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "ab", 2), 14);
	char out[16];
	TT_EQ(tern_rcvbuf_read(st, &b, out, 16, false), 14);
	TT_CHECK(memcmp(out, "abcdEFGHijKLmn", 14) == 0);
}

TT_TEST(test_rcvbuf_data_beyond_the_window_is_cut)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t data[200], out[200];
	fill_pattern(data, sizeof data, 0);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 100);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data, 30), 30);
	/* window 70 (stream bytes up to 100): out-of-order [80, 110) keeps
	 * [80, 100) */
	TT_EQ(tern_rcvbuf_place(st, &b, 50, data + 80, 30), 0);
	TT_EQ(b.ooo->iv[0].off, 50);
	TT_EQ(b.ooo->iv[0].len, 20);
	/* wholly outside: nothing happens */
	TT_EQ(tern_rcvbuf_place(st, &b, 70, data + 100, 5), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 0xfffffff0u, data, 100), 0);
	TT_EQ(b.nooo, 1);
	/* in-order past the window: only the window's worth is taken */
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data + 30, 170), 70);
	TT_EQ(b.len, 100);
	TT_EQ(tern_rcvbuf_window(&b), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data + 100, 1), 0);
	TT_EQ(tern_rcvbuf_read(st, &b, out, 200, false), 100);
	TT_CHECK(memcmp(out, data, 100) == 0);
}

TT_TEST(test_rcvbuf_full_interval_list_returns_enobufs_and_changes_nothing)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t data[200];
	fill_pattern(data, sizeof data, 0);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 200);
	for (uint32_t i = 0; i < TERN_OOO_MAX; i++)
		TT_EQ(tern_rcvbuf_place(st, &b, 2 + 4 * i, data + 2 + 4 * i, 2), 0);
	TT_EQ(b.nooo, TERN_OOO_MAX);
	tern_rcvbuf before = b;
	uint8_t ring[200];
	memcpy(ring, b.mem, 200);
	TT_EQ(tern_rcvbuf_place(st, &b, 100, data + 100, 2), TERN_ENOBUFS);
	TT_CHECK(rcv_same(&before, &b));
	TT_CHECK(memcmp(ring, b.mem, 200) == 0);
	/* what merges with a held interval still fits */
	TT_EQ(tern_rcvbuf_place(st, &b, 4, data + 4, 2), 0);
	TT_EQ(b.nooo, TERN_OOO_MAX - 1);
	TT_EQ(b.ooo->iv[0].off, 2);
	TT_EQ(b.ooo->iv[0].len, 6);
	TT_EQ(tern_rcvbuf_place(st, &b, 100, data + 100, 2), 0);
	TT_EQ(b.nooo, TERN_OOO_MAX);
	/* so does in-order data even when it touches nothing */
	TT_EQ(tern_rcvbuf_place(st, &b, 0, data, 1), 1);
	TT_EQ(b.nooo, TERN_OOO_MAX);
	TT_EQ(b.ooo->iv[0].off, 1);
	tern_rcvbuf_free(st, &b);
}

TT_TEST(test_rcvbuf_prune_ooo_drops_intervals_and_keeps_in_order_data)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 64);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "abc", 3), 3);
	TT_EQ(tern_rcvbuf_place(st, &b, 5, "fg", 2), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 10, "klm", 3), 0);
	TT_EQ(tern_rcvbuf_prune_ooo(st, &b), 5);
	TT_EQ(b.nooo, 0);
	TT_EQ(b.ooo_bytes, 0);
	TT_EQ(b.len, 3);
	TT_EQ(a.live, base + 64);
	/* the pruned bytes are gone: filling the gap advances only over itself */
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "de", 2), 2);
	char out[8];
	TT_EQ(tern_rcvbuf_read(st, &b, out, 8, false), 5);
	TT_CHECK(memcmp(out, "abcde", 5) == 0);
	TT_EQ(a.live, base);
	TT_EQ(tern_rcvbuf_prune_ooo(st, &b), 0);
}

/* The out-of-order interval list, allocated with the first interval. */
#define OOO_LIST sizeof(tern_ooo_list)

TT_TEST(test_rcvbuf_prune_ooo_releases_storage_when_nothing_is_in_order)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 64);
	TT_EQ(tern_rcvbuf_place(st, &b, 5, "fg", 2), 0);
	TT_EQ(a.live, base + 64 + OOO_LIST);
	TT_EQ(tern_rcvbuf_prune_ooo(st, &b), 2);
	TT_EQ(a.live, base);
	TT_CHECK(b.mem == NULL);
}

TT_TEST(test_rcvbuf_read_to_empty_releases_storage_only_without_ooo_data)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 64);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "ab", 2), 2);
	TT_EQ(tern_rcvbuf_place(st, &b, 2, "ef", 2), 0);
	char out[8];
	TT_EQ(tern_rcvbuf_read(st, &b, out, 8, false), 2);
	TT_EQ(a.live, base + 64 + OOO_LIST); /* "ef" still held, out of order */
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "cd", 2), 4);
	TT_EQ(tern_rcvbuf_read(st, &b, out, 8, true), 4);
	TT_EQ(a.live, base + 64); /* in order now: no interval list; peek consumes nothing */
	TT_EQ(tern_rcvbuf_read(st, &b, out, 8, false), 4);
	TT_CHECK(memcmp(out, "cdef", 4) == 0);
	TT_EQ(a.live, base);
	TT_CHECK(b.mem == NULL);
}

TT_TEST(test_rcvbuf_place_returns_enomem_when_allocator_refuses)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 64);
	a.refuse = 1;
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "ab", 2), TERN_ENOMEM);
	TT_EQ(tern_rcvbuf_place(st, &b, 5, "ab", 2), TERN_ENOMEM);
	TT_EQ(st->ctr.mem_alloc_fail, 2);
	TT_EQ(b.len, 0);
	TT_EQ(b.nooo, 0);
	a.refuse = 0;
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "ab", 2), 2);
	tern_rcvbuf_free(st, &b);
}

TT_TEST(test_rcvbuf_zero_capacity_offers_no_window_and_takes_nothing)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	tern_rcvbuf b;
	tern_rcvbuf_init(&b, 0);
	TT_EQ(tern_rcvbuf_window(&b), 0);
	TT_EQ(tern_rcvbuf_place(st, &b, 0, "ab", 2), 0);
	char out[2];
	TT_EQ(tern_rcvbuf_read(st, &b, out, 2, false), 0);
	TT_EQ(a.live, base);
}

/* Every order of six segments, some overlapping, one crossing the window
 * edge, delivered into a ring whose in-order edge sits near the end of
 * storage so placements wrap. */
TT_TEST(test_rcvbuf_every_order_of_six_segments_matches_the_model)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	static const uint32_t seg[6][2] = {{0, 7}, {7, 15}, {12, 22}, {22, 30}, {30, 31}, {35, 70}};
	uint8_t stream[80];
	fill_pattern(stream, sizeof stream, 11);
	int perm[6] = {0, 1, 2, 3, 4, 5};
	static model m;
	/* one byte written before the segments stays unread: stream byte 0 */
	stream[0] = 0;
	for (int count = 0; count < 720; count++) {
		tern_rcvbuf b;
		tern_rcvbuf_init(&b, 50);
		/* push the head to 45 first: 45 bytes in and out */
		uint8_t pre[45] = {0}, out[45];
		TT_EQ(tern_rcvbuf_place(st, &b, 0, pre, 45), 45);
		TT_EQ(tern_rcvbuf_read(st, &b, out, 45, false), 45);
		TT_CHECK(b.mem == NULL);
		TT_EQ(tern_rcvbuf_place(st, &b, 0, pre, 45), 45);
		TT_EQ(tern_rcvbuf_read(st, &b, out, 44, false), 44);
		model_init(&m, stream, sizeof stream, 50);
		m.have[0] = 1;
		m.rcv_nxt = 1;
		for (int i = 0; i < 6; i++)
			MODEL_OK(model_place(&m, st, &b, seg[perm[i]][0] + 1, seg[perm[i]][1] + 1));
		MODEL_OK(model_read(&m, st, &b, 80, false));
		TT_EQ(m.read_pos, 32); /* [1, 32) arrived; [36, 51) cut at the window */
		tern_rcvbuf_free(st, &b);
		TT_EQ(a.live, base);
		/* next permutation (lexicographic) */
		int i = 4;
		while (i >= 0 && perm[i] > perm[i + 1])
			i--;
		if (i < 0)
			break;
		int j = 5;
		while (perm[j] < perm[i])
			j--;
		int t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		for (int l = i + 1, r = 5; l < r; l++, r--) {
			t = perm[l];
			perm[l] = perm[r];
			perm[r] = t;
		}
	}
}

/* Segments of random size, every one delivered in a random order per pass,
 * plus random overlapping retransmissions, random reads and peeks, into
 * rings of random size smaller than the stream: the ring must agree with
 * the model after every call (intervals, counts, bytes in storage, return
 * values, ENOBUFS exactly when a 17th interval would be needed). */
TT_TEST(test_rcvbuf_random_permutations_match_the_reference_model)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	size_t base = a.live;
	static uint8_t stream[MAX_STREAM];
	static model m;
	static uint32_t cuts[MAX_STREAM + 1], order[MAX_STREAM];
	uint32_t list_full = 0, wraps = 0;
	for (uint64_t seed = 1; seed <= 400; seed++) {
		uint64_t r = seed * 0x9e3779b97f4a7c15ull + 1;
		uint32_t n = 500 + (uint32_t)(xorshift(&r) % (MAX_STREAM - 500));
		uint32_t cap = 16 + (uint32_t)(xorshift(&r) % 900);
		uint32_t maxseg = 1 + (uint32_t)(xorshift(&r) % 60);
		for (uint32_t i = 0; i < n; i++)
			stream[i] = (uint8_t)xorshift(&r);
		uint32_t nseg = 0;
		cuts[0] = 0;
		while (cuts[nseg] < n) {
			uint32_t len = 1 + (uint32_t)(xorshift(&r) % maxseg);
			cuts[nseg + 1] = cuts[nseg] + len < n ? cuts[nseg] + len : n;
			nseg++;
		}
		model_init(&m, stream, n, cap);
		tern_rcvbuf b;
		tern_rcvbuf_init(&b, cap);
		while (m.read_pos < n) {
			for (uint32_t i = 0; i < nseg; i++)
				order[i] = i;
			for (uint32_t i = nseg; i > 1; i--) {
				uint32_t j = (uint32_t)(xorshift(&r) % i), t = order[i - 1];
				order[i - 1] = order[j];
				order[j] = t;
			}
			for (uint32_t i = 0; i < nseg; i++) {
				uint32_t s = cuts[order[i]], e = cuts[order[i] + 1];
				if (e <= m.rcv_nxt || s >= model_limit(&m) + 8)
					continue;
				if (s > m.rcv_nxt && model_runs(&m) == TERN_OOO_MAX)
					list_full++;
				MODEL_OK(model_place(&m, st, &b, s, e));
				uint64_t x = xorshift(&r);
				if (x % 5 == 0) {
					/* a retransmission overlapping arbitrary data */
					uint32_t rs = m.rcv_nxt + (uint32_t)((x >> 8) % (cap + 1));
					uint32_t re = rs + 1 + (uint32_t)((x >> 24) % (3 * maxseg));
					if (rs > 0 && (x >> 40) % 2)
						rs -= 1 + (uint32_t)((x >> 44) % rs % 40);
					if (re > n)
						re = n;
					if (rs < re)
						MODEL_OK(model_place(&m, st, &b, rs, re));
				}
				if (x % 7 == 1)
					MODEL_OK(model_read(&m, st, &b, (uint32_t)((x >> 16) % 200),
					                    (x >> 32) % 4 == 0));
				if (b.len && b.head + b.len > cap)
					wraps++;
			}
			MODEL_OK(
			    model_read(&m, st, &b, (uint32_t)(xorshift(&r) % (cap + 1)), false));
			if (m.rcv_nxt == m.read_pos && b.nooo == 0)
				TT_EQ(a.live, base);
		}
		TT_EQ(b.len, 0);
		TT_EQ(a.live, base + (b.nooo ? cap : 0));
		tern_rcvbuf_free(st, &b);
		TT_EQ(a.live, base);
	}
	/* the run exercised both the full list and wrap-around */
	TT_CHECK(list_full > 100);
	TT_CHECK(wraps > 100);
}

/* Reading with the sum (the send path's one pass) gives the bytes and
 * their checksum sum, also when the read straddles the end of storage
 * after an odd number of bytes. */
TT_TEST(test_sndbuf_read_csum_sums_across_the_wrap_at_any_offset)
{
	talloc a;
	tern_stack *st = stack_new(&a);
	uint8_t in[128], out[128];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 13 + 5);
	for (uint32_t skip = 0; skip < 20; skip++) {
		tern_sndbuf b;
		tern_sndbuf_init(&b, 64);
		TT_EQ(tern_sndbuf_write(st, &b, in, 40 + skip), (int)(40 + skip));
		tern_sndbuf_drop(st, &b, 30 + skip);
		TT_EQ(tern_sndbuf_write(st, &b, in + 40 + skip, 50), 50);
		for (uint32_t off = 0; off < 10; off++) {
			uint32_t n = b.len - off;
			uint64_t s = tern_sndbuf_read_csum(&b, off, out, n);
			TT_CHECK(memcmp(out, in + 30 + skip + off, n) == 0);
			TT_EQ(tern_csum_fold(s), tern_csum_fold(tern_csum_add(0, out, n)));
		}
		tern_sndbuf_free(st, &b);
	}
}

TT_MAIN(test_sndbuf_holds_no_storage_until_first_write, test_sndbuf_write_when_full_returns_zero,
        test_sndbuf_read_at_offset_does_not_consume,
        test_sndbuf_write_and_read_straddle_the_end_of_storage,
        test_sndbuf_drop_to_empty_releases_storage,
        test_sndbuf_write_returns_enomem_when_allocator_refuses,
        test_sndbuf_random_writes_reads_drops_match_a_flat_stream,
        test_rcvbuf_in_order_data_advances_the_edge_and_shrinks_the_window,
        test_rcvbuf_peek_copies_without_consuming,
        test_rcvbuf_place_and_read_straddle_the_end_of_storage,
        test_rcvbuf_out_of_order_data_waits_for_the_gap,
        test_rcvbuf_gap_fill_advances_over_all_contiguous_intervals,
        test_rcvbuf_segment_bridging_intervals_merges_them_into_one,
        test_rcvbuf_duplicate_out_of_order_data_changes_nothing,
        test_rcvbuf_overlap_keeps_the_first_copy_of_each_byte,
        test_rcvbuf_data_beyond_the_window_is_cut,
        test_rcvbuf_full_interval_list_returns_enobufs_and_changes_nothing,
        test_rcvbuf_prune_ooo_drops_intervals_and_keeps_in_order_data,
        test_rcvbuf_prune_ooo_releases_storage_when_nothing_is_in_order,
        test_rcvbuf_read_to_empty_releases_storage_only_without_ooo_data,
        test_rcvbuf_place_returns_enomem_when_allocator_refuses,
        test_rcvbuf_zero_capacity_offers_no_window_and_takes_nothing,
        test_rcvbuf_every_order_of_six_segments_matches_the_model,
        test_rcvbuf_random_permutations_match_the_reference_model,
	test_sndbuf_read_csum_sums_across_the_wrap_at_any_offset)
