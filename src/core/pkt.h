/* pkt.h - packet buffers: one contiguous area with head room, from a pool of
 * fixed-size buffers made at stack creation (so the per-packet path never
 * calls the allocator), or from the allocator for the rare larger packet
 * (a reassembled or to-be-fragmented datagram). */
#ifndef TERN_CORE_PKT_H
#define TERN_CORE_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "tern/tern.h"

typedef struct tern_pkt {
	struct tern_pkt *next;   /* for queues */
	uint8_t *data;           /* first byte of the packet */
	uint32_t len;            /* bytes at data */
	uint32_t cap;            /* bytes in buf */
	bool pooled;
	tern_endpoint peer;      /* UDP receive queue: the sender */
	uint8_t buf[];
} tern_pkt;

typedef struct tern_pkt_pool {
	tern_pkt *free_list;
	void *mem;
	size_t mem_size;
	uint32_t buf_size, count, in_use;
} tern_pkt_pool;

struct tern_stack;
int tern_pkt_pool_init(struct tern_stack *st, tern_pkt_pool *p, uint32_t count, uint32_t buf_size);
void tern_pkt_pool_free(struct tern_stack *st, tern_pkt_pool *p);

/* A packet with `headroom` bytes free before data and room for `size` more;
 * NULL (counted in pkt_alloc_fail) when none can be had. */
tern_pkt *tern_pkt_alloc(struct tern_stack *st, uint32_t headroom, uint32_t size);
void tern_pkt_free(struct tern_stack *st, tern_pkt *p);

/* Grow the packet at the front by n bytes (head room must suffice). */
static inline uint8_t *tern_pkt_push(tern_pkt *p, uint32_t n)
{
	p->data -= n;
	p->len += n;
	return p->data;
}
static inline uint32_t tern_pkt_headroom(const tern_pkt *p) { return (uint32_t)(p->data - p->buf); }

#endif
