/*
 * dev_int.h - what the devices share among themselves and with the
 * simulator: a queue of packet copies and the pcap encoding.
 */
#ifndef TERN_DEV_INT_H
#define TERN_DEV_INT_H

#include "tern/dev.h"

/* One packet copy, allocated in one piece (header + bytes) so it is freed
 * with the size it was allocated with. */
typedef struct tern_pktq_node {
	struct tern_pktq_node *next;
	tern_time due;
	size_t len;
	uint8_t data[];
} tern_pktq_node;

typedef struct tern_pktq {
	tern_pktq_node *head, *tail;
	uint32_t count;
} tern_pktq;

/* NULL when the allocator refuses. */
tern_pktq_node *tern_pktq_node_new(const tern_allocator *a, const uint8_t *pkt, size_t len,
                                   tern_time due);
void tern_pktq_node_free(const tern_allocator *a, tern_pktq_node *n);
/* Copy pkt into n (whose storage holds at least len bytes), due at due. */
void tern_pktq_node_fill(tern_pktq_node *n, const uint8_t *pkt, size_t len, tern_time due);
void tern_pktq_append(tern_pktq *q, tern_pktq_node *n);
/* Insert after every node due at or before n->due, so equal deadlines
 * leave in arrival order. */
void tern_pktq_insert_due(tern_pktq *q, tern_pktq_node *n);
tern_pktq_node *tern_pktq_pop(tern_pktq *q);
void tern_pktq_clear(tern_pktq *q, const tern_allocator *a);

/* Classic pcap, written little-endian whatever the host, so that a capture
 * is the same file on every machine (readers detect the order from the
 * magic). The writer's negative return is passed back. */
#define TERN_PCAP_HDR_LEN      24u
#define TERN_PCAP_REC_LEN      16u
#define TERN_PCAP_LINKTYPE_RAW 101u
int tern_pcap_write_header(tern_pcap_write_fn write, void *ctx);
/* One record: ts in microseconds, at most TERN_PCAP_SNAPLEN bytes kept. */
int tern_pcap_write_record(tern_pcap_write_fn write, void *ctx, tern_time ts, const uint8_t *pkt,
                           size_t len);

#endif
