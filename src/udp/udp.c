/* udp.c - UDP (RFC 768, RFC 1122 4.1): the port table, datagram arrival and
 * departure, and ICMP errors turned into socket errors. */
#include <string.h>

#include "sock/socket.h"

#define UDP_MAX_PAYLOAD (65535u - TERN_IP4_HLEN - TERN_UDP_HLEN)

static tern_socket_list *bucket(tern_stack *st, uint16_t port)
{
	return &st->udp_ports[port & (TERN_UDP_HASH - 1)];
}

/* The best socket for a datagram: a connected one matching the whole
 * 4-tuple beats one bound to the address, which beats a wildcard bind. */
static tern_socket *lookup(tern_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
			   uint16_t rport)
{
	tern_socket *best = NULL;
	int best_score = -1;
	for (tern_socket *s = bucket(st, lport)->head; s; s = s->hnext) {
		if (s->local.port != lport || (s->local.addr && s->local.addr != laddr))
			continue;
		if (s->connected && (s->remote.addr != raddr || s->remote.port != rport))
			continue;
		int score = (s->connected ? 2 : 0) + (s->local.addr ? 1 : 0);
		if (score > best_score) {
			best = s;
			best_score = score;
		}
	}
	return best;
}

/* Without SO_REUSEADDR semantics: two sockets may share a port only when
 * both are bound to distinct specific addresses. */
static bool port_taken(tern_stack *st, const tern_socket *self, uint32_t addr, uint16_t port)
{
	(void)self;
	for (tern_socket *s = bucket(st, port)->head; s; s = s->hnext)
		if (s->local.port == port && (!s->local.addr || !addr || s->local.addr == addr))
			return true;
	return false;
}

int tern_udp_bind(tern_socket *s, const tern_endpoint *local)
{
	int rc = tern_sock_claim_local(s, local, port_taken);
	if (rc)
		return rc;
	tern_socket_list *b = bucket(s->st, s->local.port);
	s->hnext = b->head;
	b->head = s;
	return 0;
}

static int autobind(tern_socket *s)
{
	tern_endpoint any = {0, 0};
	return s->bound ? 0 : tern_udp_bind(s, &any);
}

int tern_udp_connect(tern_socket *s, const tern_endpoint *remote)
{
	if (remote->addr == 0 || remote->port == 0)
		return TERN_EINVAL;
	if (!tern_ip4_source_for(s->st, remote->addr))
		return TERN_ENETUNREACH;
	int rc = autobind(s);
	if (rc)
		return rc;
	s->remote = *remote;
	s->connected = true;
	return 0;
}

int tern_udp_sendto(tern_socket *s, const void *buf, size_t len, const tern_endpoint *dst)
{
	tern_stack *st = s->st;
	if (!dst && !s->connected)
		return TERN_EDESTADDRREQ;
	/* Linux semantics: an explicit destination overrides the connected
	 * peer for this one datagram. */
	const tern_endpoint *to = dst ? dst : &s->remote;
	if (to->port == 0 || to->addr == 0)
		return TERN_EINVAL;
	if (len > UDP_MAX_PAYLOAD)
		return TERN_EMSGSIZE;
	int rc = autobind(s);
	if (rc)
		return rc;
	uint32_t src = s->local.addr ? s->local.addr : tern_ip4_source_for(st, to->addr);
	if (!src)
		return TERN_ENETUNREACH;
	tern_pkt *p = tern_pkt_alloc(st, TERN_PKT_HEADROOM, (uint32_t)(TERN_UDP_HLEN + len));
	if (!p)
		return TERN_ENOBUFS;
	if (len)
		memcpy(p->data + TERN_UDP_HLEN, buf, len);
	p->len = (uint32_t)tern_udp_build(p->data, TERN_UDP_HLEN + len, s->local.port, to->port,
					  p->data + TERN_UDP_HLEN, len, src, to->addr, s->udp_csum);
	tern_ip4_out o = {.src = src, .dst = to->addr, .proto = TERN_IPPROTO_UDP,
			  .tos = s->tos, .ttl = s->ttl};
	rc = tern_ip4_output(st, p, &o);
	if (rc)
		return rc;
	TERN_COUNT(st, udp_out_datagrams);
	return (int)len;
}

int tern_udp_recvfrom(tern_socket *s, void *buf, size_t cap, tern_endpoint *src)
{
	tern_pkt *p = s->rq_head;
	if (!p)
		return TERN_EAGAIN;
	s->rq_head = p->next;
	if (!s->rq_head)
		s->rq_tail = NULL;
	s->rq_bytes -= p->len;
	memcpy(buf, p->data, p->len < cap ? p->len : cap);
	if (src)
		*src = p->peer;
	int n = (int)p->len;
	tern_pkt_free(s->st, p);
	return n;
}

void tern_udp_close(tern_socket *s)
{
	while (s->rq_head) {
		tern_pkt *p = s->rq_head;
		s->rq_head = p->next;
		tern_pkt_free(s->st, p);
	}
	s->rq_tail = NULL;
	s->rq_bytes = 0;
	if (!s->bound)
		return;
	for (tern_socket **pp = &bucket(s->st, s->local.port)->head; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			break;
		}
	}
	s->bound = false;
}

static void enqueue(tern_stack *st, tern_socket *s, const tern_ip4_repr *ip,
		    const tern_udp_repr *u)
{
	if (s->rq_bytes + u->payload_len > s->rcvbuf) {
		TERN_COUNT(st, udp_rcvbuf_errors);
		return;
	}
	tern_pkt *p = tern_pkt_alloc(st, 0, (uint32_t)u->payload_len);
	if (!p) {
		TERN_COUNT(st, udp_rcvbuf_errors);
		return;
	}
	memcpy(p->data, u->payload, u->payload_len);
	p->len = (uint32_t)u->payload_len;
	p->peer.addr = ip->src;
	p->peer.port = u->sport;
	if (s->rq_tail)
		s->rq_tail->next = p;
	else
		s->rq_head = p;
	s->rq_tail = p;
	s->rq_bytes += p->len;
	TERN_COUNT(st, udp_in_datagrams);
	tern_socket_notify(s);
}

void tern_udp_input(tern_stack *st, struct tern_iface *ifc, const tern_ip4_repr *ip,
		    const uint8_t *raw, size_t raw_len)
{
	(void)ifc;
	tern_udp_repr u;
	if (tern_udp_parse(ip->payload, ip->payload_len, ip->src, ip->dst, !ip->l4_csum_ok, &u) != TERN_WIRE_OK) {
		TERN_COUNT(st, udp_in_errors);
		return;
	}
	tern_socket *s = lookup(st, ip->dst, u.dport, ip->src, u.sport);
	if (!s) {
		/* RFC 1122 4.1.3.1: port unreachable SHOULD be sent; the ICMP
		 * layer skips broadcasts and applies the rate limit. */
		TERN_COUNT(st, udp_no_ports);
		tern_icmp_send_error(st, ip, raw, raw_len, TERN_ICMP_DEST_UNREACH,
				     TERN_ICMP_PORT_UNREACH, 0);
		return;
	}
	enqueue(st, s, ip, &u);
}

/* RFC 1122 4.1.3.3: ICMP errors are passed to the application. As in
 * Linux (without IP_RECVERR) only a connected socket reports them: an
 * unconnected one cannot tell which of its peers the error concerns. */
bool tern_udp_icmp_error(tern_stack *st, const tern_icmp_err *e)
{
	tern_socket *s = lookup(st, e->src, e->sport, e->dst, e->dport);
	if (!s)
		return false;
	if (s->connected) {
		s->err = e->err;
		tern_socket_notify(s);
	}
	return true;
}
