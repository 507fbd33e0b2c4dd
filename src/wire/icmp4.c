/*
 * icmp4.c - ICMP messages (RFC 792), with the next-hop MTU of RFC 1191 4.
 */
#include <string.h>

#include "wire/wire.h"

#define ICMP_HLEN 8

static bool icmp_is_echo(uint8_t type)
{
	return type == TERN_ICMP_ECHO_REQUEST || type == TERN_ICMP_ECHO_REPLY;
}

static bool icmp_is_frag_needed(uint8_t type, uint8_t code)
{
	return type == TERN_ICMP_DEST_UNREACH && code == TERN_ICMP_FRAG_NEEDED;
}

int tern_icmp4_parse(const uint8_t *buf, size_t len, tern_icmp4_repr *out)
{
	if (len < ICMP_HLEN)
		return TERN_WIRE_TRUNCATED;
	/* The checksum covers the whole message, field included (RFC 792). */
	if (tern_csum_fold(tern_csum_add(0, buf, len)) != 0xffff)
		return TERN_WIRE_BAD_CHECKSUM;
	out->type = buf[0];
	out->code = buf[1];
	out->rest = tern_get32(buf + 4);
	out->id = (uint16_t)(out->rest >> 16);
	out->seq = (uint16_t)out->rest;
	out->mtu = icmp_is_frag_needed(out->type, out->code) ? (uint16_t)out->rest : 0;
	out->data = buf + ICMP_HLEN;
	out->data_len = len - ICMP_HLEN;
	return TERN_WIRE_OK;
}

static uint32_t icmp_rest(const tern_icmp4_repr *r)
{
	if (icmp_is_echo(r->type))
		return ((uint32_t)r->id << 16) | r->seq;
	/* RFC 1191 4: the high 16 bits stay as given (unused, zero), the low
	 * 16 carry the next-hop MTU. */
	if (icmp_is_frag_needed(r->type, r->code))
		return (r->rest & 0xffff0000u) | r->mtu;
	return r->rest;
}

size_t tern_icmp4_build(uint8_t *buf, size_t cap, const tern_icmp4_repr *r)
{
	if (cap < ICMP_HLEN || r->data_len > cap - ICMP_HLEN)
		return 0;
	/* data may already sit at buf + 8 (a quote built in place). */
	if (r->data_len)
		memmove(buf + ICMP_HLEN, r->data, r->data_len);
	buf[0] = r->type;
	buf[1] = r->code;
	tern_put16(buf + 2, 0);
	tern_put32(buf + 4, icmp_rest(r));
	tern_put16(buf + 2, tern_csum(buf, ICMP_HLEN + r->data_len));
	return ICMP_HLEN + r->data_len;
}
