/*
 * l4_csum.c - judging a packet's TCP or UDP checksum before the stack
 * sees it, for a device that vouches for checksums (TERN_CSUM_OFFLOAD_RX).
 */
#include "wire/wire.h"

bool tern_ip4_l4_csum_bad(const uint8_t *pkt, size_t len)
{
	tern_ip4_repr ip;
	/* A fragment's checksum covers the whole datagram: the stack checks
	 * it after reassembly. What does not parse is the stack's to drop. */
	if (tern_ip4_parse(pkt, len, false, &ip) != TERN_WIRE_OK || ip.mf || ip.frag_off)
		return false;
	if (ip.proto == TERN_IPPROTO_TCP) {
		tern_tcp_repr t;
		return tern_tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, true, &t) ==
		       TERN_WIRE_BAD_CHECKSUM;
	}
	if (ip.proto == TERN_IPPROTO_UDP) {
		tern_udp_repr u;
		return tern_udp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, true, &u) ==
		       TERN_WIRE_BAD_CHECKSUM;
	}
	return false;
}
