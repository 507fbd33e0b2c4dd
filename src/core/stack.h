/* stack.h - the stack object and the internal interfaces between layers.
 * Nothing here is public: embedders see only include/tern/. */
#ifndef TERN_CORE_STACK_H
#define TERN_CORE_STACK_H

#include "core/pkt.h"
#include "core/wheel.h"
#include "tern/dev.h"
#include "tern/tern.h"
#include "wire/wire.h"

#define TERN_IFNAMSIZ 16
#define TERN_UDP_HASH 64  /* buckets of the UDP port table (power of two) */

struct tern_iface {
	struct tern_iface *next;
	struct tern_stack *st;
	tern_dev *dev;
	char name[TERN_IFNAMSIZ];
	uint32_t addr, mask, mtu;
	uint32_t tso_max;  /* 0: none (tern_iface_config) */
	uint32_t csum_offload;  /* TERN_CSUM_OFFLOAD_* (tern_iface_config) */
};

typedef struct tern_route {
	uint32_t dst, mask, gw;
	uint8_t prefix;
	struct tern_iface *ifc;
} tern_route;

typedef struct tern_reasm tern_reasm;  /* ip/reasm.c */
typedef struct tern_tcp tern_tcp;      /* tcp/tcp_conn.c */

typedef struct tern_socket_list {
	struct tern_socket *head;
} tern_socket_list;

struct tern_stack {
	tern_config cfg;
	tern_counters ctr;
	tern_time now;
	uint32_t batch_depth;         /* > 0: TCP answers wait for batch_end */
	tern_wheel wheel;
	tern_pkt_pool pool;

	struct tern_iface *ifaces;
	tern_route *routes;
	uint32_t nroutes, routes_cap;

	uint16_t ip_id;               /* next IPv4 identification */
	tern_reasm *reasm;

	/* ICMP error token bucket (RFC 1122 3.2.2, RFC 1812 4.3.2.8) */
	uint64_t icmp_tokens_milli;   /* tokens * 1000 */
	tern_time icmp_refill_at;

	uint32_t nsockets;
	struct tern_socket *sockets;  /* every open socket */
	tern_socket_list udp_ports[TERN_UDP_HASH];
	tern_tcp *tcp;
};

/* Allocation through the configured allocator, counting refusals. */
void *tern_mem_alloc(struct tern_stack *st, size_t size);
void tern_mem_free(struct tern_stack *st, void *p, size_t size);
static inline uint64_t tern_random(struct tern_stack *st)
{
	return st->cfg.random(st->cfg.random_ctx);
}
#define TERN_COUNT(st, name) ((st)->ctr.name++)

/* ---- ip/ --------------------------------------------------------------- */
void tern_ip4_input(struct tern_stack *st, struct tern_iface *ifc, const uint8_t *pkt, size_t len);
struct tern_iface *tern_route_lookup(struct tern_stack *st, uint32_t dst, uint32_t *next_hop);
/* Is addr one of ours (an interface address)? */
struct tern_iface *tern_ip4_local_iface(struct tern_stack *st, uint32_t addr);
/* A limited or directed broadcast / multicast address for ifc? */
bool tern_ip4_is_bcast_or_mcast(const struct tern_iface *ifc, uint32_t addr);

typedef struct tern_ip4_out {
	uint32_t src, dst;   /* src 0: the outgoing interface's address */
	uint8_t proto, tos, ttl;
	bool df;
	const tern_ip4_srcroute *sr;  /* non-empty: send along this route (RFC 791) */
} tern_ip4_out;
/* Head room every packet handed to tern_ip4_output should leave. */
#define TERN_PKT_HEADROOM TERN_IP4_MAXHLEN
/* Send the transport payload held in pkt (which must have head room for
 * the header: TERN_PKT_HEADROOM); fragments when it exceeds the MTU and df
 * is clear.
 * Always consumes pkt. Errors: TERN_ENETUNREACH, TERN_EMSGSIZE (df),
 * TERN_ENOBUFS. */
int tern_ip4_output(struct tern_stack *st, tern_pkt *pkt, const tern_ip4_out *o);
/* RFC 1122 3.3.1.4 / 4.2.3.5: a transport reports that the path to dst
 * seems to have failed (TCP at R1). Counted; with one route per
 * destination there is no alternative to switch to. */
void tern_ip4_negative_advice(struct tern_stack *st, uint32_t dst);
/* The source address a packet to dst would carry (0 when unroutable). */
uint32_t tern_ip4_source_for(struct tern_stack *st, uint32_t dst);

/* The return route of a datagram that came with a completed source route
 * (RFC 1122 3.3.5); false when it came without one. */
bool tern_ip4_return_route(const tern_ip4_repr *ip, tern_ip4_srcroute *out);

/* Deliver a complete (reassembled) datagram to its protocol. */
void tern_ip4_deliver(struct tern_stack *st, struct tern_iface *ifc,
		      const tern_ip4_repr *ip, const uint8_t *raw, size_t raw_len);

int tern_reasm_init(struct tern_stack *st);
void tern_reasm_free(struct tern_stack *st);
/* Take one fragment; delivers the datagram when it completes. */
void tern_reasm_input(struct tern_stack *st, struct tern_iface *ifc,
		      const tern_ip4_repr *ip, const uint8_t *raw);

void tern_icmp_input(struct tern_stack *st, struct tern_iface *ifc,
		     const tern_ip4_repr *ip);
/* Send an ICMP error about the datagram raw (its IP header at raw, raw_len
 * bytes in all), obeying RFC 1122 3.2.2's "never about" rules and the rate
 * limit. */
void tern_icmp_send_error(struct tern_stack *st, const tern_ip4_repr *ip,
			  const uint8_t *raw, size_t raw_len, uint8_t type,
			  uint8_t code, uint16_t mtu);

/* An ICMP error, as the transport that sent the quoted datagram sees it. */
typedef struct tern_icmp_err {
	uint32_t src, dst;       /* the quoted datagram's addresses: ours first */
	uint16_t sport, dport;
	const uint8_t *l4;       /* the quoted transport header, l4_len >= 8 */
	size_t l4_len;
	uint8_t type, code;
	uint16_t mtu;            /* next-hop MTU of "fragmentation needed" */
	int err;                 /* the TERN_E* code it maps to */
	bool hard;               /* RFC 1122 4.2.3.9: protocol or port unreachable */
} tern_icmp_err;

/* ---- udp/ -------------------------------------------------------------- */
void tern_udp_input(struct tern_stack *st, struct tern_iface *ifc,
		    const tern_ip4_repr *ip, const uint8_t *raw, size_t raw_len);
/* An ICMP error quoting a UDP datagram we sent. Returns true when a socket
 * took it. */
bool tern_udp_icmp_error(struct tern_stack *st, const tern_icmp_err *e);
/* The same for TCP (src/tcp/tcp_icmp.c). */
bool tern_tcp_icmp_error(struct tern_stack *st, const tern_icmp_err *e);

/* ---- core/ports.c --------------------------------------------------------- */
/* Pick an ephemeral port (RFC 6056, RFC 6335 range 49152..65535) for which
 * in_use returns false. Returns 0 when every port is taken. */
uint16_t tern_port_pick(struct tern_stack *st, bool (*in_use)(struct tern_stack *, uint16_t, void *),
			void *ctx);

#endif
