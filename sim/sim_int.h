/*
 * sim_int.h - the simulator's insides, shared by its files.
 */
#ifndef TERN_SIM_INT_H
#define TERN_SIM_INT_H

#include <stdio.h>

#include "dev/dev_int.h"
#include "dev/prng.h"
#include "tern/sim.h"

/* Keys of the random streams derived from the seed (tern_prng_derive):
 * a kind in the high half, the object's creation index below. */
#define SIM_STREAM_HOST   0x486f737400000000u /* "Host" */
#define SIM_STREAM_SECRET 0x5365637200000000u /* "Secr" */
#define SIM_STREAM_LINK   0x4c696e6b00000000u /* "Link" */

/* A packet in flight, one allocation. */
struct sim_pkt {
	size_t len;
	uint8_t data[];
};

enum sim_ev_kind { SIM_EV_DELIVER, SIM_EV_CALL };

struct sim_dir;

struct sim_event {
	tern_time t;
	uint64_t seq; /* breaks ties: first scheduled, first run */
	int kind;
	union {
		struct {
			struct sim_dir *dir;
			struct sim_pkt *pkt;
		} dlv;
		struct {
			tern_sim_fn fn;
			void *ctx;
		} call;
	} u;
};

/* A capture writer; file is set when the simulation opened it. */
struct sim_capture {
	struct sim_capture *next;
	tern_pcap_write_fn write;
	void *ctx;
	FILE *file;
};

/* A packet waiting in a link queue (not yet on the wire). */
struct sim_qent {
	tern_time start; /* when its serialization begins */
	uint32_t len;
};

/* One direction of a link. */
struct sim_dir {
	tern_sim_link *link;
	tern_sim_host *to;
	tern_prng rng;
	bool ge_bad;
	tern_time busy_until;   /* the transmitter is serializing until then */
	tern_time last_arrival; /* keeps arrivals in order despite jitter */
	struct sim_qent *q;     /* ring of waiting packets */
	size_t q_cap, q_head, q_len;
	uint64_t q_bytes;
	tern_sim_link_stats st;
};

struct tern_sim_link {
	tern_sim *sim;
	tern_sim_link_config cfg;
	struct sim_dir dir[2]; /* [0]: a to b */
	struct sim_capture *caps;
};

/* A device of a host, pointing back at it. */
struct sim_port {
	tern_dev dev;
	tern_sim_host *host;
};

struct tern_sim_host {
	tern_sim *sim;
	char name[32];
	tern_stack *st;
	tern_iface *ifc;
	uint32_t addr;
	/* Packets go top -> middleware (captures) -> wire -> link. */
	struct sim_port top;
	struct sim_port wire;
	tern_dev *below; /* what top transmits into */
	tern_dev **mw;   /* middleware, oldest (lowest) first */
	size_t mw_len, mw_cap;
	struct sim_capture *caps;
	struct sim_dir *out; /* where the wire sends; NULL while unlinked */
	tern_prng rng;
	tern_allocator alloc;
	size_t mem;
	tern_time deadline; /* when to poll next */
};

struct tern_sim {
	uint64_t seed;
	tern_time now;
	uint64_t seq;
	struct sim_event *heap;
	size_t heap_len, heap_cap;
	tern_sim_host **hosts;
	size_t nhosts, hosts_cap;
	tern_sim_link **links;
	size_t nlinks, links_cap;
	bool running, closing;
	/* the event trace: write gets each line; file when the sim opened it */
	tern_pcap_write_fn trace_write;
	void *trace_ctx;
	FILE *trace_file;
	bool trace_lost;
};

/* trace.c: point h's stack at the simulation's trace (if any) */
void tern_sim_trace_host(tern_sim_host *h);

/* sim.c */
int tern_sim_schedule(tern_sim *sim, struct sim_event *ev);
/* arr (of elem-byte items, *cap of them) grown to hold need items: the
 * new array, or NULL (arr untouched) when out of memory. */
void *tern_sim_grow(void *arr, size_t *cap, size_t need, size_t elem);

/* link.c */
int tern_sim_link_offer(struct sim_dir *d, const uint8_t *pkt, size_t len);
void tern_sim_link_arrive(struct sim_dir *d, struct sim_pkt *p);
void tern_sim_link_free(tern_sim_link *l);

/* ecn.c */
/* True for a whole IPv4 header whose ECN field is ECT(0) or ECT(1). */
bool tern_sim_ecn_capable(const uint8_t *pkt, size_t len);
/* Set CE on a packet tern_sim_ecn_capable accepted; checksum updated. */
void tern_sim_ecn_set_ce(uint8_t *pkt);

/* host.c */
void tern_sim_host_deliver(tern_sim_host *h, const uint8_t *pkt, size_t len);
void tern_sim_host_poll(tern_sim_host *h);
void tern_sim_host_free(tern_sim_host *h);

/* capture.c */
int tern_sim_capture_new(tern_pcap_write_fn write, void *ctx, FILE *file, struct sim_capture **out);
int tern_sim_capture_open(const char *path, struct sim_capture **out);
void tern_sim_capture_free_all(struct sim_capture *c);

#endif
