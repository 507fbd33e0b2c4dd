/* tcp_buf.c - the send ring and the receive ring with its out-of-order
 * intervals.
 *
 * Both rings index storage modulo cap and copy in at most two pieces, so
 * a read, write or placement that straddles the end of storage costs one
 * extra memcpy and nothing else. Storage is taken from the stack's
 * allocator on first use and given back as soon as a ring holds nothing,
 * so an idle connection costs only its TCB.
 */
#include <string.h>

#include "core/stack.h"
#include "tcp/tcp_buf.h"
#include "tcp/tcp_int.h"
#include "wire/wire.h"

/* Return values are int, so a ring never holds more than INT32_MAX bytes;
 * anything larger is cut at init. */
#define RING_CAP_MAX 0x7fffffffu

static uint32_t ring_cap(uint32_t cap)
{
	return cap > RING_CAP_MAX ? RING_CAP_MAX : cap;
}

/* idx + k modulo cap, for idx < cap and k <= cap. */
static uint32_t ring_idx(uint32_t cap, uint32_t idx, uint32_t k)
{
	uint32_t room = cap - idx;
	return k < room ? idx + k : k - room;
}

static void ring_put(uint8_t *mem, uint32_t cap, uint32_t at, const uint8_t *src, uint32_t n)
{
	uint32_t first = cap - at;
	if (first > n)
		first = n;
	memcpy(mem + at, src, first);
	memcpy(mem, src + first, n - first);
}

static void ring_get(const uint8_t *mem, uint32_t cap, uint32_t at, uint8_t *dst, uint32_t n)
{
	uint32_t first = cap - at;
	if (first > n)
		first = n;
	memcpy(dst, mem + at, first);
	memcpy(dst + first, mem, n - first);
}

/* ---- the stack-wide account ---------------------------------------------- */

/* Receive rings that hold out-of-order data and nothing in order are kept
 * on a list, oldest first: under memory pressure they are what goes first.
 * That data was never acknowledged cumulatively, and RFC 2018 section 8
 * lets a receiver discard even what it SACKed ("reneging"): the sender
 * keeps it until the cumulative ACK and resends it after a timeout. A ring
 * holding in-order bytes is never given up: those are acknowledged. (A
 * stack without TCP state, as in unit tests of the rings, has no account.) */
/* The links live in the interval list, which every ring on the list has
 * (it holds out-of-order data), and which is unlinked before it is freed. */
static bool prunable(const tern_rcvbuf *b)
{
	return b->ooo && b->ooo->prunable;
}

static void prune_unlink(tern_tcp *tcp, tern_rcvbuf *b)
{
	tern_ooo_list *l = b->ooo;
	if (l->pprev)
		l->pprev->ooo->pnext = l->pnext;
	else
		tcp->prune_head = l->pnext;
	if (l->pnext)
		l->pnext->ooo->pprev = l->pprev;
	else
		tcp->prune_tail = l->pprev;
	l->pnext = l->pprev = NULL;
	l->prunable = false;
	tcp->mem_prunable -= b->cap;
}

static void prune_update(struct tern_stack *st, tern_rcvbuf *b)
{
	tern_tcp *tcp = st->tcp;
	bool want = b->mem && b->len == 0 && b->nooo > 0;  /* nooo > 0: b->ooo is there */
	if (!tcp || want == prunable(b))
		return;
	if (!want) {
		prune_unlink(tcp, b);
		return;
	}
	b->ooo->pprev = tcp->prune_tail;
	b->ooo->pnext = NULL;
	if (tcp->prune_tail)
		tcp->prune_tail->ooo->pnext = b;
	else
		tcp->prune_head = b;
	tcp->prune_tail = b;
	b->ooo->prunable = true;
	tcp->mem_prunable += b->cap;
}

static bool mem_fits(const struct tern_stack *st, uint64_t used, uint32_t cap)
{
	return used + cap <= st->cfg.tcp_mem_max;
}

bool tern_tcp_mem_room(const struct tern_stack *st, uint32_t cap)
{
	const tern_tcp *tcp = st->tcp;
	return !tcp || mem_fits(st, tcp->mem_used - tcp->mem_prunable, cap);
}

/* Give back rings that hold only out-of-order data, oldest first, until
 * cap bytes fit. */
static void prune_for(struct tern_stack *st, uint32_t cap)
{
	tern_tcp *tcp = st->tcp;
	while (tcp->prune_head && !mem_fits(st, tcp->mem_used, cap)) {
		uint32_t n = tern_rcvbuf_prune_ooo(st, tcp->prune_head);
		TERN_COUNT(st, tcp_ooo_pruned);
		st->ctr.tcp_ooo_pruned_bytes += n;
	}
}

/* Rings come and go with the data (an idle connection holds none), so a
 * short connection would allocate and free one per direction; one emptied
 * ring of moderate size is kept for the next ring of its size instead, for
 * at most a second (tern_tcp_spare_hold): a stack gone idle gives it back. */
#define SPARE_RING_MAX  (256u * 1024)

static uint8_t *ring_take_spare(tern_tcp *tcp, uint32_t cap)
{
	if (!tcp || !tcp->spare_ring || tcp->spare_cap != cap)
		return NULL;
	uint8_t *m = tcp->spare_ring;
	tcp->spare_ring = NULL;
	return m;
}

static bool ring_keep_spare(tern_tcp *tcp, uint8_t *mem, uint32_t cap)
{
	if (!tcp || tcp->spare_ring || cap > SPARE_RING_MAX)
		return false;
	tcp->spare_ring = mem;
	tcp->spare_cap = cap;
	tern_tcp_spare_hold(tcp);
	return true;
}

void tern_tcp_spare_ring_free(struct tern_stack *st)
{
	tern_tcp *tcp = st->tcp;
	if (tcp && tcp->spare_ring)
		tern_mem_free(st, tcp->spare_ring, tcp->spare_cap);
	if (tcp)
		tcp->spare_ring = NULL;
}

/* Storage for a ring, charged to the account; NULL with *refused set when
 * the account has no room. Only a ring about to hold acknowledged bytes or
 * the application's may prune others for it: out-of-order data never
 * displaces out-of-order data. */
static uint8_t *ring_alloc(struct tern_stack *st, uint32_t cap, bool may_prune, bool *refused)
{
	tern_tcp *tcp = st->tcp;
	*refused = false;
	if (tcp && !mem_fits(st, tcp->mem_used, cap) && may_prune)
		prune_for(st, cap);
	if (tcp && !mem_fits(st, tcp->mem_used, cap)) {
		TERN_COUNT(st, tcp_mem_pressure_drops);
		*refused = true;
		return NULL;
	}
	uint8_t *m = ring_take_spare(tcp, cap);
	if (!m)
		m = tern_mem_alloc(st, cap);
	if (m && tcp) {
		tcp->mem_used += cap;
		if (tcp->mem_used > tcp->mem_peak)
			tcp->mem_peak = tcp->mem_used;
	}
	return m;
}

static void ring_free(struct tern_stack *st, uint8_t *mem, uint32_t cap)
{
	if (!mem)
		return;
	if (!ring_keep_spare(st->tcp, mem, cap))
		tern_mem_free(st, mem, cap);
	if (st->tcp)
		st->tcp->mem_used -= cap;
}

uint64_t tern_tcp_mem_used(const tern_stack *st)
{
	return st->tcp ? st->tcp->mem_used : 0;
}

uint64_t tern_tcp_mem_peak(const tern_stack *st)
{
	return st->tcp ? st->tcp->mem_peak : 0;
}

/* ---- send ring ----------------------------------------------------------- */

void tern_sndbuf_init(tern_sndbuf *b, uint32_t cap)
{
	memset(b, 0, sizeof *b);
	b->cap = ring_cap(cap);
}

static void sndbuf_release(struct tern_stack *st, tern_sndbuf *b)
{
	ring_free(st, b->mem, b->cap);
	b->mem = NULL;
	b->head = 0;
	b->len = 0;
}

void tern_sndbuf_free(struct tern_stack *st, tern_sndbuf *b)
{
	sndbuf_release(st, b);
}

/* Storage for the ring, taken on first use: 1 when it has some, 0 when
 * the stack-wide limit refused it (the application waits), TERN_ENOMEM. */
static int sndbuf_storage(struct tern_stack *st, tern_sndbuf *b)
{
	if (b->mem)
		return 1;
	bool refused;
	b->mem = ring_alloc(st, b->cap, true, &refused);
	if (!b->mem)
		return refused ? 0 : TERN_ENOMEM;
	b->head = 0;
	return 1;
}

int tern_sndbuf_write(struct tern_stack *st, tern_sndbuf *b, const void *data, size_t n)
{
	uint32_t take = tern_sndbuf_space(b);
	if (n < take)
		take = (uint32_t)n;
	if (take == 0)
		return 0;
	int rc = sndbuf_storage(st, b);
	if (rc <= 0)
		return rc;
	ring_put(b->mem, b->cap, ring_idx(b->cap, b->head, b->len), data, take);
	b->len += take;
	return (int)take;
}

int tern_sndbuf_reserve(struct tern_stack *st, tern_sndbuf *b, uint8_t **out)
{
	*out = NULL;
	if (tern_sndbuf_space(b) == 0)
		return 0;
	int rc = sndbuf_storage(st, b);
	if (rc <= 0)
		return rc;
	*out = b->mem + ring_idx(b->cap, b->head, b->len);
	return (int)tern_sndbuf_tail_room(b);
}

uint32_t tern_sndbuf_tail_room(const tern_sndbuf *b)
{
	if (!b->mem || b->len == b->cap)
		return 0;
	uint32_t tail = ring_idx(b->cap, b->head, b->len);
	/* Free space runs from the tail to the end of storage, or, once the
	 * bytes held wrap, from the tail to the head. */
	return tail >= b->head ? b->cap - tail : b->head - tail;
}

void tern_sndbuf_commit(struct tern_stack *st, tern_sndbuf *b, uint32_t n)
{
	b->len += n;
	if (b->len == 0)
		sndbuf_release(st, b);  /* reserved, nothing written: no storage kept */
}

void tern_sndbuf_read(const tern_sndbuf *b, uint32_t off, void *out, uint32_t n)
{
	/* The contract says off + n <= len; a caller that breaks it gets the
	 * bytes that exist rather than a read outside the ring. */
	if (off >= b->len)
		return;
	if (n > b->len - off)
		n = b->len - off;
	ring_get(b->mem, b->cap, ring_idx(b->cap, b->head, off), out, n);
}

/* A piece that starts at an odd offset of the summed data adds its sum
 * byte-swapped (RFC 1071 2(B)). */
static uint64_t add_piece(uint64_t acc, uint8_t *out, const uint8_t *src, uint32_t n, bool odd)
{
	if (!odd)
		return tern_csum_copy(acc, out, src, n);
	uint16_t s = tern_csum_fold(tern_csum_copy(0, out, src, n));
	return acc + (uint16_t)((s << 8) | (s >> 8));
}

uint64_t tern_sndbuf_read_csum(const tern_sndbuf *b, uint32_t off, void *out, uint32_t n)
{
	if (off >= b->len)
		return 0;
	if (n > b->len - off)
		n = b->len - off;
	uint32_t at = ring_idx(b->cap, b->head, off);
	uint32_t first = b->cap - at < n ? b->cap - at : n;
	uint64_t acc = add_piece(0, out, b->mem + at, first, false);
	if (n > first)
		acc = add_piece(acc, (uint8_t *)out + first, b->mem, n - first, first & 1);
	return acc;
}

/* Auto-tuning's bigger storage for a ring of *cap bytes at *mem whose
 * held bytes start at *head: they move to the front of the new storage.
 * A growth is an optimisation: it prunes nobody and is not counted as a
 * refusal; when it cannot be had the ring stays as it was. 1: grown (the
 * caller fixes what depends on the storage), 0: nothing to do, or
 * TERN_ENOSPC (the stack-wide limit), TERN_ENOMEM. */
static int ring_grow(struct tern_stack *st, uint8_t **mem, uint32_t *cap, uint32_t *head,
		     uint32_t held, uint32_t want)
{
	want = ring_cap(want);
	if (want <= *cap)
		return 0;
	if (st->tcp && !mem_fits(st, st->tcp->mem_used, want))
		return TERN_ENOSPC;
	if (!*mem) {
		*cap = want;
		return 0;
	}
	bool refused;
	uint8_t *m = ring_alloc(st, want, false, &refused);
	if (!m)
		return refused ? TERN_ENOSPC : TERN_ENOMEM;
	ring_get(*mem, *cap, *head, m, held);
	ring_free(st, *mem, *cap);
	*mem = m;
	*cap = want;
	*head = 0;
	return 1;
}

int tern_sndbuf_grow(struct tern_stack *st, tern_sndbuf *b, uint32_t cap)
{
	int rc = ring_grow(st, &b->mem, &b->cap, &b->head, b->len, cap);
	return rc < 0 ? rc : 0;
}

void tern_sndbuf_drop(struct tern_stack *st, tern_sndbuf *b, uint32_t n)
{
	if (n >= b->len) {
		sndbuf_release(st, b);
		return;
	}
	b->head = ring_idx(b->cap, b->head, n);
	b->len -= n;
}

/* ---- receive ring -------------------------------------------------------- */

static uint32_t ooo_end(const tern_ooo *o)
{
	return o->off + o->len;
}

/* Auto-tuning (tcp_rcv_tune.c): bigger storage (ring_grow). What the ring
 * holds, in order and out of order at their offsets, moves to the front of
 * the new storage; a ring holding only out-of-order data keeps its place in
 * the pruning order, now with more storage to give back. */
int tern_rcvbuf_grow(struct tern_stack *st, tern_rcvbuf *b, uint32_t cap)
{
	uint32_t old = b->cap;
	if (ring_cap(cap) <= old)
		return 0;  /* the common call: no growth */
	uint32_t held = b->len + (b->nooo ? ooo_end(&b->ooo->iv[b->nooo - 1]) : 0);
	int rc = ring_grow(st, &b->mem, &b->cap, &b->head, held, cap);
	if (rc > 0 && prunable(b) && st->tcp)
		st->tcp->mem_prunable += b->cap - old;
	return rc < 0 ? rc : 0;
}

void tern_rcvbuf_init(tern_rcvbuf *b, uint32_t cap)
{
	memset(b, 0, sizeof *b);
	b->cap = ring_cap(cap);
}

/* The interval list goes when the last interval does. */
static void ooo_free_if_empty(struct tern_stack *st, tern_rcvbuf *b)
{
	if (b->nooo == 0 && b->ooo) {
		if (b->ooo->prunable && st->tcp)
			prune_unlink(st->tcp, b);
		tern_mem_free(st, b->ooo, sizeof *b->ooo);
		b->ooo = NULL;
	}
}

static bool ooo_alloc(struct tern_stack *st, tern_rcvbuf *b)
{
	b->ooo = tern_mem_alloc(st, sizeof *b->ooo);
	if (b->ooo)
		memset(b->ooo, 0, sizeof *b->ooo);  /* no recency, not on the list */
	return b->ooo != NULL;
}

static void rcvbuf_release(struct tern_stack *st, tern_rcvbuf *b)
{
	ring_free(st, b->mem, b->cap);
	b->mem = NULL;
	b->head = 0;
	b->len = 0;
	b->nooo = 0;
	b->ooo_bytes = 0;
	ooo_free_if_empty(st, b);
	prune_update(st, b);
}

void tern_rcvbuf_free(struct tern_stack *st, tern_rcvbuf *b)
{
	rcvbuf_release(st, b);
}

static void rcvbuf_release_if_empty(struct tern_stack *st, tern_rcvbuf *b)
{
	if (b->len == 0 && b->nooo == 0 && b->mem)
		rcvbuf_release(st, b);
}

/* Copy bytes [from, to) of a segment that starts at edge offset seg_off. */
static void rcv_copy(tern_rcvbuf *b, uint32_t seg_off, const uint8_t *data, uint32_t from,
                     uint32_t to)
{
	uint32_t at = ring_idx(b->cap, b->head, b->len);
	ring_put(b->mem, b->cap, ring_idx(b->cap, at, from), data + (from - seg_off), to - from);
}

/* Copy only the parts of [off, end) that intervals i..j-1 (the ones it
 * touches) do not already hold: each byte enters the ring once, and when
 * a retransmission disagrees with what is held, the first copy wins. */
static void rcv_copy_gaps(tern_rcvbuf *b, uint32_t off, uint32_t end, const uint8_t *data,
                          uint32_t i, uint32_t j)
{
	uint32_t p = off;
	for (uint32_t k = i; k < j && p < end; k++) {
		const tern_ooo *o = &b->ooo->iv[k];
		if (o->off > p)
			rcv_copy(b, off, data, p, o->off < end ? o->off : end);
		if (ooo_end(o) > p)
			p = ooo_end(o);
	}
	if (p < end)
		rcv_copy(b, off, data, p, end);
}

static void ooo_remove(tern_rcvbuf *b, uint32_t i, uint32_t count)
{
	if (count == 0)
		return;  /* in-order data with no list: b->ooo may be NULL */
	tern_ooo *iv = b->ooo->iv;
	memmove(&iv[i], &iv[i + count], (b->nooo - i - count) * sizeof iv[0]);
	b->nooo -= count;
}

static void ooo_insert(tern_rcvbuf *b, uint32_t i, uint32_t off, uint32_t len)
{
	tern_ooo *iv = b->ooo->iv;
	memmove(&iv[i + 1], &iv[i], (b->nooo - i) * sizeof iv[0]);
	iv[i].off = off;
	iv[i].len = len;
	b->nooo++;
}

/* The in-order edge moves forward by adv bytes; intervals beyond it keep
 * their place in the ring, so only their edge-relative offsets change. */
static void rcv_advance(tern_rcvbuf *b, uint32_t adv)
{
	b->len += adv;
	for (uint32_t k = 0; k < b->nooo; k++)
		b->ooo->iv[k].off -= adv;
}

int tern_rcvbuf_place(struct tern_stack *st, tern_rcvbuf *b, uint32_t off, const void *data,
                      uint32_t n)
{
	uint32_t win = tern_rcvbuf_window(b);
	if (n == 0 || off >= win)
		return 0;
	if (n > win - off)
		n = win - off; /* RFC 9293 3.10.7.4: keep only what fits the window */
	uint32_t end = off + n;

	/* Intervals i..j-1 overlap or touch [off, end) and merge with it. */
	uint32_t i = 0, j;
	while (i < b->nooo && ooo_end(&b->ooo->iv[i]) < off)
		i++;
	for (j = i; j < b->nooo && b->ooo->iv[j].off <= end; j++)
		;
	if (i == j && off > 0 && b->nooo == TERN_OOO_MAX)
		return TERN_ENOBUFS;
	if (off > 0 && !b->ooo && !ooo_alloc(st, b))
		return TERN_ENOMEM;
	if (!b->mem) {
		bool refused;
		b->mem = ring_alloc(st, b->cap, off == 0, &refused);
		if (!b->mem) {
			ooo_free_if_empty(st, b);
			return refused ? TERN_ENOSPC : TERN_ENOMEM;
		}
		b->head = 0;
	}
	rcv_copy_gaps(b, off, end, data, i, j);

	uint32_t lo = off, hi = end, held = 0;
	if (i < j) {
		if (b->ooo->iv[i].off < lo)
			lo = b->ooo->iv[i].off;
		if (ooo_end(&b->ooo->iv[j - 1]) > hi)
			hi = ooo_end(&b->ooo->iv[j - 1]);
	}
	for (uint32_t k = i; k < j; k++)
		held += b->ooo->iv[k].len;
	ooo_remove(b, i, j - i);
	/* No interval starts at 0, so lo == 0 only for in-order data, and
	 * then every interval it swallowed is now in order too. */
	if (lo == 0) {
		b->ooo_bytes -= held;
		rcv_advance(b, hi);
		ooo_free_if_empty(st, b);
		prune_update(st, b);
		return (int)hi;
	}
	ooo_insert(b, i, lo, hi - lo);
	b->ooo_bytes += hi - lo - held;
	prune_update(st, b);
	return 0;
}

uint32_t tern_rcvbuf_read(struct tern_stack *st, tern_rcvbuf *b, void *out, uint32_t n, bool peek)
{
	if (n > b->len)
		n = b->len;
	if (n == 0)
		return 0;
	ring_get(b->mem, b->cap, b->head, out, n);
	if (!peek)
		tern_rcvbuf_consume(st, b, n);
	return n;
}

uint32_t tern_rcvbuf_view(const tern_rcvbuf *b, const uint8_t **out)
{
	uint32_t run = b->cap - b->head;
	*out = b->len ? b->mem + b->head : NULL;
	return b->len < run ? b->len : run;
}

void tern_rcvbuf_consume(struct tern_stack *st, tern_rcvbuf *b, uint32_t n)
{
	if (n > b->len)
		n = b->len;
	if (n == 0)
		return;
	b->head = ring_idx(b->cap, b->head, n);
	b->len -= n;
	rcvbuf_release_if_empty(st, b);
	prune_update(st, b);  /* what is left may be out of order only */
}

uint32_t tern_rcvbuf_prune_ooo(struct tern_stack *st, tern_rcvbuf *b)
{
	uint32_t dropped = b->ooo_bytes;
	b->nooo = 0;
	b->ooo_bytes = 0;
	ooo_free_if_empty(st, b);
	rcvbuf_release_if_empty(st, b);
	prune_update(st, b);
	return dropped;
}
