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
 * multiple of 8 payload bytes and MF, and each carries the options whose
 * copy bit is set (the only ones tern sends: source routes). Each header
 * is written in place just before its slice of payload: the bytes it
 * overwrites belong to the previous fragment, which the device has already
 * copied. */
static int fragment(tern_stack *st, struct tern_iface *ifc, tern_pkt *pkt, tern_ip4_repr *h,
		    const uint8_t *opts, size_t optlen)
{
	uint32_t hlen = (uint32_t)(TERN_IP4_HLEN + optlen);
	uint32_t max = (ifc->mtu - hlen) & ~7u;
	uint32_t total = pkt->len;
	int rc = 0;
	for (uint32_t off = 0; off < total && rc == 0; off += max) {
		uint32_t n = total - off < max ? total - off : max;
		uint8_t *hdr = pkt->data + off - hlen;
		h->frag_off = (uint16_t)off;
		h->mf = off + n < total;
		h->total_len = (uint16_t)(hlen + n);
		tern_ip4_build_opts(hdr, hlen, h, opts, optlen);
		TERN_COUNT(st, ip_frag_created);
		rc = transmit(st, ifc, hdr, hlen + n);
	}
	if (rc == 0)
		TERN_COUNT(st, ip_frag_oks);
	return rc;
}

/* A TCP segment larger than the MTU that the device will cut into
 * MTU-sized ones (TSO): it leaves whole, with DF, never fragmented. */
static bool tso_ok(const struct tern_iface *ifc, const tern_ip4_out *o, uint32_t len)
{
	return ifc->tso_max && len <= ifc->tso_max && o->proto == TERN_IPPROTO_TCP && o->df;
}

int tern_ip4_output(tern_stack *st, tern_pkt *pkt, const tern_ip4_out *o)
{
	int rc;
	uint8_t opts[40];
	size_t optlen = 0;
	uint32_t first_hop = o->dst;
	if (o->sr && o->sr->n) {
		optlen = tern_ip4_opt_srcroute_build(opts, sizeof opts, o->sr, o->dst);
		first_hop = o->sr->hop[0];
	}
	uint32_t hlen = (uint32_t)(TERN_IP4_HLEN + optlen);
	struct tern_iface *ifc = tern_route_lookup(st, first_hop, NULL);
	if (!ifc) {
		TERN_COUNT(st, ip_out_no_route);
		rc = TERN_ENETUNREACH;
		goto out;
	}
	if (pkt->len + hlen > 65535u || tern_pkt_headroom(pkt) < hlen || ifc->mtu < hlen + 8) {
		rc = TERN_EMSGSIZE;
		goto out;
	}
	uint8_t ttl = o->ttl ? o->ttl : st->cfg.ip_ttl;
	tern_ip4_repr h = header_for(o, o->src ? o->src : ifc->addr, ttl, st->ip_id++);
	h.dst = first_hop;  /* RFC 791: the route's first hop in the header */
	if (pkt->len + hlen <= ifc->mtu || tso_ok(ifc, o, pkt->len + hlen)) {
		h.total_len = (uint16_t)(pkt->len + hlen);
		tern_ip4_build_opts(tern_pkt_push(pkt, hlen), hlen, &h, opts, optlen);
		rc = transmit(st, ifc, pkt->data, pkt->len);
	} else if (o->df) {
		TERN_COUNT(st, ip_out_df_too_big);
		rc = TERN_EMSGSIZE;
	} else {
		rc = fragment(st, ifc, pkt, &h, opts, optlen);
	}
out:
	tern_pkt_free(st, pkt);
	return rc;
}
