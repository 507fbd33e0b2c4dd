/*
 * ip4.c - the IPv4 header (RFC 791 3.1).
 */
#include <string.h>

#include "wire/wire.h"

static int ip4_check(const uint8_t *buf, size_t len, size_t *hlen, size_t *tot)
{
	if (len < TERN_IP4_HLEN)
		return TERN_WIRE_TRUNCATED;
	if (buf[0] >> 4 != 4)
		return TERN_WIRE_BAD_VERSION;
	*hlen = (size_t)(buf[0] & 0x0f) * 4;
	if (*hlen < TERN_IP4_HLEN)
		return TERN_WIRE_BAD_HLEN;
	if (*hlen > len)
		return TERN_WIRE_TRUNCATED;
	*tot = tern_get16(buf + 2);
	if (*tot < *hlen)
		return TERN_WIRE_BAD_LENGTH;
	if (*tot > len)
		return TERN_WIRE_TRUNCATED;
	return TERN_WIRE_OK;
}

int tern_ip4_parse(const uint8_t *buf, size_t len, bool verify_csum, tern_ip4_repr *out)
{
	size_t hlen = 0, tot = 0;
	int v = ip4_check(buf, len, &hlen, &tot);

	if (v != TERN_WIRE_OK)
		return v;
	/* A correct header, checksum field included, sums to -0 (RFC 791 3.1). */
	if (verify_csum && tern_csum_sum(buf, hlen) != 0xffff)
		return TERN_WIRE_BAD_CHECKSUM;
	uint16_t frag = tern_get16(buf + 6);

	out->hlen = (uint8_t)hlen;
	out->tos = buf[1];
	out->total_len = (uint16_t)tot;
	out->id = tern_get16(buf + 4);
	out->df = (frag & TERN_IP4_DF) != 0;
	out->mf = (frag & TERN_IP4_MF) != 0;
	out->frag_off = (uint16_t)((frag & TERN_IP4_OFFMASK) * 8u);
	out->ttl = buf[8];
	out->proto = buf[9];
	out->src = tern_get32(buf + 12);
	out->dst = tern_get32(buf + 16);
	out->options = buf + TERN_IP4_HLEN;
	out->payload = buf + hlen;
	out->payload_len = tot - hlen;
	out->l4_csum_ok = false;
	return TERN_WIRE_OK;
}

size_t tern_ip4_build_opts(uint8_t *buf, size_t cap, const tern_ip4_repr *r,
			   const uint8_t *opts, size_t optlen)
{
	uint16_t frag = (uint16_t)((r->frag_off / 8u) & TERN_IP4_OFFMASK);
	size_t hlen = TERN_IP4_HLEN + optlen;

	if (optlen % 4 || hlen > TERN_IP4_MAXHLEN || cap < hlen)
		return 0;
	if (r->df)
		frag |= TERN_IP4_DF;
	if (r->mf)
		frag |= TERN_IP4_MF;
	buf[0] = (uint8_t)(0x40 | (hlen / 4));
	buf[1] = r->tos;
	tern_put16(buf + 2, r->total_len);
	tern_put16(buf + 4, r->id);
	tern_put16(buf + 6, frag);
	buf[8] = r->ttl;
	buf[9] = r->proto;
	tern_put16(buf + 10, 0);
	tern_put32(buf + 12, r->src);
	tern_put32(buf + 16, r->dst);
	if (optlen)
		memcpy(buf + TERN_IP4_HLEN, opts, optlen);
	tern_put16(buf + 10, tern_csum(buf, hlen));
	return hlen;
}

size_t tern_ip4_build(uint8_t *buf, size_t cap, const tern_ip4_repr *r)
{
	return tern_ip4_build_opts(buf, cap, r, NULL, 0);
}
