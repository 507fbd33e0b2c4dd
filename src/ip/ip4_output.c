/* ip4_output.c - IPv4 departure (RFC 791 3.2, RFC 1122 3.2.1): route, add
 * the header, fragment when the datagram exceeds the MTU and DF is clear. */
#include <string.h>

#include "core/stack.h"

uint32_t tern_ip4_source_for(tern_stack *st, uint32_t dst)
{
	struct tern_iface *ifc = tern_route_lookup(st, dst, NULL);
	return ifc ? ifc->addr : 0;
}

static int transmit(tern_stack *st, struct tern_iface *ifc, const uint8_t *p, size_t n)
{
	TERN_COUNT(st, ip_out_requests);
	int rc = tern_dev_transmit(ifc->dev, p, n, st->now);
	if (rc < 0)
		TERN_COUNT(st, ip_out_dev_errors);
	return rc < 0 ? TERN_ENOBUFS : 0;
}

static tern_ip4_repr header_for(const tern_ip4_out *o, uint32_t src, uint8_t ttl, uint16_t id)
{
	tern_ip4_repr h = {0};
	h.tos = o->tos;
	h.id = id;
	h.df = o->df;
	h.ttl = ttl;
	h.proto = o->proto;
	h.src = src;
	h.dst = o->dst;
	return h;
}

/* RFC 791 3.2 "Fragmentation": every fragment but the last carries a
 * multiple of 8 payload bytes and MF. Each fragment's header is written
 * in place just before its slice of payload: the bytes it overwrites belong
 * to the previous fragment, which the device has already copied. */
static int fragment(tern_stack *st, struct tern_iface *ifc, tern_pkt *pkt, tern_ip4_repr *h)
{
	uint32_t max = (ifc->mtu - TERN_IP4_HLEN) & ~7u;
	uint32_t total = pkt->len;
	int rc = 0;
	for (uint32_t off = 0; off < total && rc == 0; off += max) {
		uint32_t n = total - off < max ? total - off : max;
		uint8_t *hdr = pkt->data + off - TERN_IP4_HLEN;
		h->frag_off = (uint16_t)off;
		h->mf = off + n < total;
		h->total_len = (uint16_t)(TERN_IP4_HLEN + n);
		tern_ip4_build(hdr, TERN_IP4_HLEN, h);
		TERN_COUNT(st, ip_frag_created);
		rc = transmit(st, ifc, hdr, TERN_IP4_HLEN + n);
	}
	if (rc == 0)
		TERN_COUNT(st, ip_frag_oks);
	return rc;
}

int tern_ip4_output(tern_stack *st, tern_pkt *pkt, const tern_ip4_out *o)
{
	int rc;
	struct tern_iface *ifc = tern_route_lookup(st, o->dst, NULL);
	if (!ifc) {
		TERN_COUNT(st, ip_out_no_route);
		rc = TERN_ENETUNREACH;
		goto out;
	}
	if (pkt->len + TERN_IP4_HLEN > 65535u || tern_pkt_headroom(pkt) < TERN_IP4_HLEN) {
		rc = TERN_EMSGSIZE;
		goto out;
	}
	uint8_t ttl = o->ttl ? o->ttl : st->cfg.ip_ttl;
	tern_ip4_repr h = header_for(o, o->src ? o->src : ifc->addr, ttl, st->ip_id++);
	if (pkt->len + TERN_IP4_HLEN <= ifc->mtu) {
		h.total_len = (uint16_t)(pkt->len + TERN_IP4_HLEN);
		tern_ip4_build(tern_pkt_push(pkt, TERN_IP4_HLEN), TERN_IP4_HLEN, &h);
		rc = transmit(st, ifc, pkt->data, pkt->len);
	} else if (o->df) {
		TERN_COUNT(st, ip_out_df_too_big);
		rc = TERN_EMSGSIZE;
	} else {
		rc = fragment(st, ifc, pkt, &h);
	}
out:
	tern_pkt_free(st, pkt);
	return rc;
}
