/* icmp.c - ICMP for IPv4 (RFC 792, RFC 1122 3.2.2): echo replies, errors we
 * send (rate limited), and errors we receive, handed to the transport
 * endpoint whose datagram they quote. */
#include <string.h>

#include "core/stack.h"

/* RFC 1812 4.3.2.3: quote as much of the offending datagram as fits in a
 * 576-byte error, which is what Linux and most stacks do. */
#define ICMP_ERR_MAX 576

static void send_icmp(tern_stack *st, uint32_t src, uint32_t dst, const tern_icmp4_repr *m)
{
	tern_pkt *p = tern_pkt_alloc(st, TERN_PKT_HEADROOM, (uint32_t)(8 + m->data_len));
	if (!p)
		return;
	p->len = (uint32_t)tern_icmp4_build(p->data, p->cap - TERN_IP4_HLEN, m);
	tern_ip4_out o = {.src = src, .dst = dst, .proto = TERN_IPPROTO_ICMP};
	tern_ip4_output(st, p, &o);
}

/* RFC 792 "Echo or Echo Reply": the reply carries the request's identifier,
 * sequence number and data unchanged; its source is the address the
 * request was sent to (a unicast one: broadcasts were filtered below). */
static void echo_reply(tern_stack *st, const tern_ip4_repr *ip, const tern_icmp4_repr *req)
{
	TERN_COUNT(st, icmp_in_echos);
	if (!tern_ip4_local_iface(st, ip->dst))
		return;  /* RFC 1122 3.2.2.6: replying to broadcast echo is optional */
	tern_icmp4_repr rep = *req;
	rep.type = TERN_ICMP_ECHO_REPLY;
	rep.code = 0;
	send_icmp(st, ip->dst, ip->src, &rep);
	TERN_COUNT(st, icmp_out_echo_reps);
}

static int error_to_errno(uint8_t type, uint8_t code)
{
	if (type == TERN_ICMP_DEST_UNREACH) {
		switch (code) {
		case TERN_ICMP_NET_UNREACH: return TERN_ENETUNREACH;
		case TERN_ICMP_PORT_UNREACH: return TERN_ECONNREFUSED;
		case TERN_ICMP_PROTO_UNREACH: return TERN_ECONNREFUSED;
		case TERN_ICMP_FRAG_NEEDED: return TERN_EMSGSIZE;
		default: return TERN_EHOSTUNREACH;
		}
	}
	return type == TERN_ICMP_TIME_EXCEEDED ? TERN_EHOSTUNREACH : TERN_EPROTO;
}

/* RFC 1122 3.2.2.1-5: pass the error to the transport named in the quoted
 * header; the quote must be one of ours (its source one of our addresses). */
static void error_input(tern_stack *st, const tern_icmp4_repr *m)
{
	if (m->type == TERN_ICMP_DEST_UNREACH)
		TERN_COUNT(st, icmp_in_dest_unreachs);
	/* The quote holds the original header and at least 8 bytes of its
	 * payload (RFC 792); its total length names the original datagram, so
	 * it is read field by field rather than parsed as a whole packet. */
	const uint8_t *q = m->data;
	size_t hl = m->data_len ? (size_t)(q[0] & 0x0f) * 4 : 0;
	if (m->data_len < TERN_IP4_HLEN + 8 || (q[0] >> 4) != 4 || hl < TERN_IP4_HLEN ||
	    m->data_len < hl + 8) {
		TERN_COUNT(st, icmp_in_errors);
		return;
	}
	tern_icmp_err e = {
		.src = tern_get32(q + 12), .dst = tern_get32(q + 16),
		.sport = tern_get16(q + hl), .dport = tern_get16(q + hl + 2),
		.l4 = q + hl, .l4_len = m->data_len - hl,
		.type = m->type, .code = m->code, .mtu = m->mtu,
		.err = error_to_errno(m->type, m->code),
		.hard = m->type == TERN_ICMP_DEST_UNREACH &&
			(m->code == TERN_ICMP_PROTO_UNREACH || m->code == TERN_ICMP_PORT_UNREACH),
	};
	bool taken = false;
	if (tern_ip4_local_iface(st, e.src)) {
		if (q[9] == TERN_IPPROTO_UDP)
			taken = tern_udp_icmp_error(st, &e);
		else if (q[9] == TERN_IPPROTO_TCP)
			taken = tern_tcp_icmp_error(st, &e);
	}
	if (!taken)
		TERN_COUNT(st, icmp_in_unmatched);
}

void tern_icmp_input(tern_stack *st, struct tern_iface *ifc, const tern_ip4_repr *ip)
{
	(void)ifc;
	TERN_COUNT(st, icmp_in_msgs);
	tern_icmp4_repr m;
	if (tern_icmp4_parse(ip->payload, ip->payload_len, &m) != TERN_WIRE_OK) {
		TERN_COUNT(st, icmp_in_errors);
		return;
	}
	switch (m.type) {
	case TERN_ICMP_ECHO_REQUEST:
		echo_reply(st, ip, &m);
		break;
	case TERN_ICMP_DEST_UNREACH:
	case TERN_ICMP_TIME_EXCEEDED:
	case TERN_ICMP_PARAM_PROBLEM:
		error_input(st, &m);
		break;
	default:
		TERN_COUNT(st, icmp_in_other);
		break;
	}
}

/* Token bucket: icmp_err_rate tokens a second, at most icmp_err_burst. */
static bool rate_allows(tern_stack *st)
{
	uint64_t cap = (uint64_t)st->cfg.icmp_err_burst * 1000;
	if (st->now > st->icmp_refill_at) {
		uint64_t add = (st->now - st->icmp_refill_at) * st->cfg.icmp_err_rate / 1000;
		st->icmp_tokens_milli = st->icmp_tokens_milli + add > cap ? cap : st->icmp_tokens_milli + add;
		st->icmp_refill_at = st->now;
	}
	if (st->icmp_tokens_milli < 1000)
		return false;
	st->icmp_tokens_milli -= 1000;
	return true;
}

/* RFC 1122 3.2.2: never send an error about an ICMP error, a datagram to a
 * broadcast or multicast address, a non-initial fragment, or a datagram
 * whose source does not name a single host. */
static bool may_send_error(tern_stack *st, const tern_ip4_repr *ip)
{
	if (ip->frag_off != 0)
		return false;
	if (!tern_ip4_local_iface(st, ip->dst))
		return false;
	if (ip->src == 0 || (ip->src >> 24) == 127 || tern_ip4_is_bcast_or_mcast(NULL, ip->src))
		return false;
	if (ip->proto == TERN_IPPROTO_ICMP) {
		uint8_t t = ip->payload_len ? ip->payload[0] : 255;
		if (t != TERN_ICMP_ECHO_REQUEST && t != TERN_ICMP_ECHO_REPLY)
			return false;
	}
	return true;
}

void tern_icmp_send_error(tern_stack *st, const tern_ip4_repr *ip, const uint8_t *raw,
			  size_t raw_len, uint8_t type, uint8_t code, uint16_t mtu)
{
	if (!may_send_error(st, ip))
		return;
	if (!rate_allows(st)) {
		TERN_COUNT(st, icmp_out_rate_limited);
		return;
	}
	size_t room = ICMP_ERR_MAX - TERN_IP4_HLEN - 8;
	tern_icmp4_repr m = {0};
	m.type = type;
	m.code = code;
	m.mtu = mtu;
	m.rest = type == TERN_ICMP_DEST_UNREACH && code == TERN_ICMP_FRAG_NEEDED ? mtu : 0;
	m.data = raw;
	m.data_len = raw_len < room ? raw_len : room;
	send_icmp(st, ip->dst, ip->src, &m);
	if (type == TERN_ICMP_DEST_UNREACH)
		TERN_COUNT(st, icmp_out_dest_unreachs);
}
