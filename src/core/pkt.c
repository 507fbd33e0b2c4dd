/* pkt.c - the packet pool and the allocator wrappers. */
#include "core/pkt.h"

#include <string.h>

#include "core/stack.h"

void *tern_mem_alloc(tern_stack *st, size_t size)
{
	void *p = st->cfg.allocator.alloc(st->cfg.allocator.ctx, size);
	if (!p)
		TERN_COUNT(st, mem_alloc_fail);
	return p;
}

void tern_mem_free(tern_stack *st, void *p, size_t size)
{
	if (p)
		st->cfg.allocator.free(st->cfg.allocator.ctx, p, size);
}

static size_t slot_size(uint32_t buf_size)
{
	size_t s = sizeof(tern_pkt) + buf_size;
	return (s + 15) & ~(size_t)15;
}

int tern_pkt_pool_init(tern_stack *st, tern_pkt_pool *p, uint32_t count, uint32_t buf_size)
{
	memset(p, 0, sizeof *p);
	size_t ss = slot_size(buf_size);
	if (count && ss > SIZE_MAX / count)
		return TERN_EINVAL;
	p->mem_size = ss * count;
	p->mem = count ? tern_mem_alloc(st, p->mem_size) : NULL;
	if (count && !p->mem)
		return TERN_ENOMEM;
	p->buf_size = buf_size;
	p->count = count;
	for (uint32_t i = count; i-- > 0;) {
		tern_pkt *k = (tern_pkt *)((uint8_t *)p->mem + i * ss);
		k->next = p->free_list;
		k->cap = buf_size;
		k->pooled = true;
		p->free_list = k;
	}
	return 0;
}

void tern_pkt_pool_free(tern_stack *st, tern_pkt_pool *p)
{
	tern_mem_free(st, p->mem, p->mem_size);
	memset(p, 0, sizeof *p);
}

tern_pkt *tern_pkt_alloc(tern_stack *st, uint32_t headroom, uint32_t size)
{
	tern_pkt *k = NULL;
	uint64_t need = (uint64_t)headroom + size;
	if (need <= st->pool.buf_size && st->pool.free_list) {
		k = st->pool.free_list;
		st->pool.free_list = k->next;
		st->pool.in_use++;
	} else if (need > st->pool.buf_size && need <= 65535u + 64u) {
		k = tern_mem_alloc(st, sizeof(tern_pkt) + (size_t)need);
		if (k) {
			k->cap = (uint32_t)need;
			k->pooled = false;
		}
	}
	if (!k) {
		TERN_COUNT(st, pkt_alloc_fail);
		return NULL;
	}
	k->next = NULL;
	k->data = k->buf + headroom;
	k->len = 0;
	k->peer.addr = 0;
	k->peer.port = 0;
	return k;
}

void tern_pkt_free(tern_stack *st, tern_pkt *k)
{
	if (!k)
		return;
	if (k->pooled) {
		k->next = st->pool.free_list;
		st->pool.free_list = k;
		st->pool.in_use--;
	} else {
		tern_mem_free(st, k, sizeof(tern_pkt) + k->cap);
	}
}
