/* tcp_buf.h - the byte buffers of a connection.
 *
 * Send ring: the bytes from snd_una up to what the application has written.
 * Bytes enter once (tern_sndbuf_write copies from the application) and are
 * read at any offset for (re)transmission without being moved; ACKs drop
 * them from the front. Offsets are relative to the ring's head (snd_una).
 *
 * Receive ring: in-order bytes the application has not read, and beyond
 * them out-of-order bytes placed at their final offset, with a short sorted
 * list of the intervals held beyond the in-order edge. A byte is copied
 * once into the ring and once out to the application. The free space is
 * the receive window.
 *
 * Memory comes from the stack's allocator, lazily: an idle ring holds no
 * storage. Capacities are fixed when the ring is first used.
 */
#ifndef TERN_TCP_BUF_H
#define TERN_TCP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tern/tern.h"

typedef struct tern_sndbuf {
	uint8_t *mem;
	uint32_t cap;     /* bytes of storage (allocated lazily) */
	uint32_t head;    /* index of the byte at offset 0 (snd_una) */
	uint32_t len;     /* bytes held */
} tern_sndbuf;

#define TERN_OOO_MAX 16  /* out-of-order intervals tracked; more are refused */

typedef struct tern_ooo {
	uint32_t off, len;   /* relative to the in-order edge (rcv_nxt) */
} tern_ooo;

#define TERN_OOO_RECENT 4  /* = TERN_TCP_MAX_SACK */

struct tern_rcvbuf;

/* The out-of-order intervals, and with them what means something only
 * while there are intervals, kept here rather than in every TCB (issue 4:
 * lean connections): the receiver's SACK recency (RFC 2018 4), and the
 * ring's place on the stack's list of rings that hold only out-of-order
 * data, what memory pressure prunes first (tcp_buf.c). */
typedef struct tern_ooo_list {
	tern_ooo iv[TERN_OOO_MAX];
	uint32_t sack_recent[TERN_OOO_RECENT]; /* left edges, most recent first */
	uint8_t nrecent;
	bool prunable;                         /* on the list */
	struct tern_rcvbuf *pnext, *pprev;
} tern_ooo_list;

typedef struct tern_rcvbuf {
	uint8_t *mem;
	tern_ooo_list *ooo;  /* nooo intervals, sorted, disjoint and
	                        non-adjacent; allocated with the first and freed
	                        with the last, so an in-order ring has none */
	uint32_t cap;
	uint32_t head;       /* index of the first unread in-order byte */
	uint32_t len;        /* in-order bytes unread */
	uint32_t nooo;
	uint32_t ooo_bytes;
} tern_rcvbuf;

/* The allocator wrappers the rings use (the stack's, with its counters).
 *
 * Stack-wide account (cfg.tcp_mem_max): every ring's storage is charged
 * to it. A ring that needs storage the account cannot give first has
 * receive rings holding only out-of-order data pruned, oldest first
 * (in-order data and send buffers may prune; out-of-order data may not),
 * and is otherwise refused and counted (tcp_mem_pressure_drops). Data
 * already acknowledged is never dropped. */
struct tern_stack;

/* For both rings, a cap above INT32_MAX is cut to INT32_MAX (write and
 * place return int). */
void tern_sndbuf_init(tern_sndbuf *b, uint32_t cap);
void tern_sndbuf_free(struct tern_stack *st, tern_sndbuf *b);
static inline uint32_t tern_sndbuf_space(const tern_sndbuf *b) { return b->cap - b->len; }
/* Append up to n bytes; returns bytes taken (0 when full, or when the
 * stack-wide limit refuses storage) or TERN_ENOMEM when the allocator
 * refused it. */
int tern_sndbuf_write(struct tern_stack *st, tern_sndbuf *b, const void *data, size_t n);
/* Zero-copy writing: *out points at the free bytes contiguous at the
 * tail (storage allocated if need be, as tern_sndbuf_write would); returns
 * how many (0 when full, or when the stack-wide limit refuses storage) or
 * TERN_ENOMEM. Valid until the ring next changes. */
int tern_sndbuf_reserve(struct tern_stack *st, tern_sndbuf *b, uint8_t **out);
/* The free bytes contiguous at the tail of storage already held (0 when
 * none is): what reserve would give, without allocating. */
uint32_t tern_sndbuf_tail_room(const tern_sndbuf *b);
/* n bytes (at most what reserve gave) written there join the ring; with
 * none held, the storage is released. */
void tern_sndbuf_commit(struct tern_stack *st, tern_sndbuf *b, uint32_t n);
/* Copy n bytes starting at offset off (off + n <= len) into out. */
void tern_sndbuf_read(const tern_sndbuf *b, uint32_t off, void *out, uint32_t n);
/* The same, and the bytes' sum for the Internet checksum, taken in the
 * same pass (tern_csum_copy): what tern_csum_add(0, out, n) would give. */
uint64_t tern_sndbuf_read_csum(const tern_sndbuf *b, uint32_t off, void *out, uint32_t n);
/* Grow the ring to cap bytes (auto-tuning), keeping what it holds, at its
 * offsets. 0 (also when cap is not larger), TERN_ENOSPC when the
 * stack-wide limit has no room, TERN_ENOMEM; unchanged on error. */
int tern_sndbuf_grow(struct tern_stack *st, tern_sndbuf *b, uint32_t cap);
/* Drop n acknowledged bytes from the front (n <= len). Storage is released
 * when the ring empties. */
void tern_sndbuf_drop(struct tern_stack *st, tern_sndbuf *b, uint32_t n);

void tern_rcvbuf_init(tern_rcvbuf *b, uint32_t cap);
void tern_rcvbuf_free(struct tern_stack *st, tern_rcvbuf *b);
/* Frees the emptied ring kept for reuse (tern_tcp_spares_free). */
void tern_tcp_spare_ring_free(struct tern_stack *st);
/* Free space = the window we can offer (counts out-of-order bytes as used
 * only up to their extent: window = cap - len). */
static inline uint32_t tern_rcvbuf_window(const tern_rcvbuf *b) { return b->cap - b->len; }
/* Place n bytes at offset off from the in-order edge (the segment's
 * seq - rcv_nxt). Bytes beyond the window (off + n > cap - len) are cut.
 * Bytes before the edge must be trimmed by the caller. Bytes already held
 * are not copied again (the first copy wins).
 * Returns the number of bytes by which the in-order edge advanced (0 when
 * the data was out of order or duplicate), or TERN_ENOMEM, or TERN_ENOBUFS
 * when the out-of-order interval list is full, or TERN_ENOSPC when the
 * stack-wide limit refuses storage (the data is dropped). */
int tern_rcvbuf_place(struct tern_stack *st, tern_rcvbuf *b, uint32_t off, const void *data,
		      uint32_t n);
/* Copy up to n in-order bytes out; consume them unless peek. Returns bytes. */
uint32_t tern_rcvbuf_read(struct tern_stack *st, tern_rcvbuf *b, void *out, uint32_t n, bool peek);
/* Zero-copy reading: *out points at the unread in-order bytes contiguous
 * at the head (NULL when none); returns how many. Valid until the ring
 * next changes. */
uint32_t tern_rcvbuf_view(const tern_rcvbuf *b, const uint8_t **out);
/* Consume n in-order bytes (at most len) from the head, as a read does. */
void tern_rcvbuf_consume(struct tern_stack *st, tern_rcvbuf *b, uint32_t n);
/* Grow the ring to cap bytes (auto-tuning), keeping what it holds. Returns
 * 0 (also when cap is not larger), TERN_ENOSPC when the stack-wide limit
 * has no room, TERN_ENOMEM; the ring is unchanged on error. */
int tern_rcvbuf_grow(struct tern_stack *st, tern_rcvbuf *b, uint32_t cap);
/* Drop all out-of-order data (memory pressure); storage is released when
 * no in-order bytes remain either. Returns bytes dropped. */
uint32_t tern_rcvbuf_prune_ooo(struct tern_stack *st, tern_rcvbuf *b);
/* Could a new receive ring of cap bytes be had, pruning if need be? */
bool tern_tcp_mem_room(const struct tern_stack *st, uint32_t cap);

#endif
