/* ip4_input.c - IPv4 arrival (RFC 791 3.2, RFC 1122 3.2.1): validate, filter
 * by address, hand fragments to reassembly, demultiplex by protocol. */
#include "core/stack.h"
#include "tcp/tcp.h"

static void count_verdict(tern_stack *st, int v)
{
	switch (v) {
	case TERN_WIRE_BAD_VERSION: TERN_COUNT(st, ip_in_bad_version); break;
	case TERN_WIRE_BAD_HLEN: TERN_COUNT(st, ip_in_bad_ihl); break;
	case TERN_WIRE_BAD_LENGTH: TERN_COUNT(st, ip_in_bad_length); break;
	case TERN_WIRE_BAD_CHECKSUM: TERN_COUNT(st, ip_in_bad_checksum); break;
	default: TERN_COUNT(st, ip_in_truncated); break;
	}
}

/* RFC 1122 3.2.1.3: a datagram whose source is a broadcast or multicast
 * address, or 0.0.0.0 / 127.x from the wire, is discarded silently. */
static bool source_ok(const struct tern_iface *ifc, uint32_t src)
{
	if (src == 0 || (src >> 24) == 127)
		return false;
	return !tern_ip4_is_bcast_or_mcast(ifc, src);
}

/* Accept any of our addresses on any interface (the weak host model, RFC
 * 1122 3.3.4.2), and broadcasts. No multicast groups are joined. */
static bool destination_ok(tern_stack *st, const struct tern_iface *ifc, uint32_t dst)
{
	if (tern_ip4_local_iface(st, dst))
		return true;
	return dst == 0xffffffffu || (tern_ip4_is_bcast_or_mcast(ifc, dst) && (dst >> 28) != 0xe);
}

/* Options are otherwise ignored (RFC 1122 3.2.1.8 lets a host pass them
 * up); a source route is refused unless configured (RFC 7126 4.3-4.4), and
 * always when it is not complete, since a host does not forward. */
static bool options_ok(tern_stack *st, const tern_ip4_repr *ip)
{
	tern_ip4_srcroute sr;
	uint8_t ptr;
	size_t olen = (size_t)ip->hlen - TERN_IP4_HLEN;
	if (tern_ip4_opt_srcroute(ip->options, olen, &sr, &ptr) != TERN_WIRE_OK) {
		TERN_COUNT(st, ip_in_bad_options);
		return false;
	}
	if (sr.n && (!st->cfg.ip_accept_source_route || ptr <= 3u + 4u * sr.n)) {
		TERN_COUNT(st, ip_in_source_routed);
		return false;
	}
	return true;
}

/* RFC 1122 3.3.5: the return route of a completed source route is the
 * recorded route reversed. Returns false when ip carries none. */
bool tern_ip4_return_route(const tern_ip4_repr *ip, tern_ip4_srcroute *out)
{
	tern_ip4_srcroute sr;
	uint8_t ptr;
	if (ip->hlen <= TERN_IP4_HLEN ||
	    tern_ip4_opt_srcroute(ip->options, (size_t)ip->hlen - TERN_IP4_HLEN, &sr, &ptr) ||
	    !sr.n)
		return false;
	out->n = sr.n;
	out->strict = sr.strict;
	for (uint8_t i = 0; i < sr.n; i++)
		out->hop[i] = sr.hop[sr.n - 1 - i];
	return true;
}

void tern_ip4_input(tern_stack *st, struct tern_iface *ifc, const uint8_t *pkt, size_t len)
{
	TERN_COUNT(st, ip_in_receives);
	tern_ip4_repr ip;
	int v = tern_ip4_parse(pkt, len, true, &ip);
	if (v != TERN_WIRE_OK) {
		count_verdict(st, v);
		return;
	}
	if (!source_ok(ifc, ip.src)) {
		TERN_COUNT(st, ip_in_bad_addr);
		return;
	}
	if (!destination_ok(st, ifc, ip.dst)) {
		TERN_COUNT(st, ip_in_not_for_us);
		return;
	}
	if (ip.hlen > TERN_IP4_HLEN && !options_ok(st, &ip))
		return;
	/* RFC 1122 3.2.1.7: a host must not discard a datagram for its TTL;
	 * TTL is checked on output, where a host must never send 0. */
	if (ip.mf || ip.frag_off) {
		tern_reasm_input(st, ifc, &ip, pkt);
		return;
	}
	/* A device can vouch only for the packets it saw whole. */
	ip.l4_csum_ok = (ifc->csum_offload & TERN_CSUM_OFFLOAD_RX) != 0;
	tern_ip4_deliver(st, ifc, &ip, pkt, ip.total_len);
}

void tern_ip4_deliver(tern_stack *st, struct tern_iface *ifc, const tern_ip4_repr *ip,
		      const uint8_t *raw, size_t raw_len)
{
	TERN_COUNT(st, ip_in_delivers);
	switch (ip->proto) {
	case TERN_IPPROTO_ICMP:
		tern_icmp_input(st, ifc, ip);
		break;
	case TERN_IPPROTO_UDP:
		tern_udp_input(st, ifc, ip, raw, raw_len);
		break;
	case TERN_IPPROTO_TCP:
		tern_tcp_input(st, ifc, ip);
		break;
	default:
		/* RFC 1122 3.2.2.1: protocol unreachable SHOULD be sent. */
		st->ctr.ip_in_delivers--;
		TERN_COUNT(st, ip_in_unknown_proto);
		tern_icmp_send_error(st, ip, raw, raw_len, TERN_ICMP_DEST_UNREACH,
				     TERN_ICMP_PROTO_UNREACH, 0);
		break;
	}
}
