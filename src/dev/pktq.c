/*
 * pktq.c - a singly linked queue of packet copies, FIFO or ordered by due
 * time, for the devices that hold packets (memlink, fault injector).
 */
#include <string.h>

#include "dev_int.h"

void tern_pktq_node_fill(tern_pktq_node *n, const uint8_t *pkt, size_t len, tern_time due)
{
	n->next = NULL;
	n->due = due;
	n->len = len;
	if (len)
		memcpy(n->data, pkt, len);
}

tern_pktq_node *tern_pktq_node_new(const tern_allocator *a, const uint8_t *pkt, size_t len,
                                   tern_time due)
{
	tern_pktq_node *n = a->alloc(a->ctx, sizeof(*n) + len);

	if (n)
		tern_pktq_node_fill(n, pkt, len, due);
	return n;
}

void tern_pktq_node_free(const tern_allocator *a, tern_pktq_node *n)
{
	if (n)
		a->free(a->ctx, n, sizeof(*n) + n->len);
}

void tern_pktq_append(tern_pktq *q, tern_pktq_node *n)
{
	n->next = NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	q->count++;
}

void tern_pktq_insert_due(tern_pktq *q, tern_pktq_node *n)
{
	tern_pktq_node *prev = NULL, *cur = q->head;

	/* Most packets are due no earlier than the last one: O(1) then. */
	if (!q->tail || q->tail->due <= n->due) {
		tern_pktq_append(q, n);
		return;
	}
	for (uint32_t i = 0; i < q->count && cur && cur->due <= n->due; i++) {
		prev = cur;
		cur = cur->next;
	}
	n->next = cur;
	if (prev)
		prev->next = n;
	else
		q->head = n;
	q->count++;
}

tern_pktq_node *tern_pktq_pop(tern_pktq *q)
{
	tern_pktq_node *n = q->head;

	if (!n)
		return NULL;
	q->head = n->next;
	if (!q->head)
		q->tail = NULL;
	q->count--;
	n->next = NULL;
	return n;
}

void tern_pktq_clear(tern_pktq *q, const tern_allocator *a)
{
	uint32_t n = q->count;

	for (uint32_t i = 0; i < n; i++)
		tern_pktq_node_free(a, tern_pktq_pop(q));
}
