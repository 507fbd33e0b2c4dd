/*
 * udp.c - the UDP header (RFC 768).
 */
#include <string.h>

#include "wire/wire.h"

static uint16_t udp_sum(const uint8_t *buf, uint16_t length, uint32_t src, uint32_t dst)
{
	uint64_t acc = tern_csum_pseudo4(src, dst, TERN_IPPROTO_UDP, length);

	return tern_csum_fold(tern_csum_add(acc, buf, length));
}

int tern_udp_parse(const uint8_t *buf, size_t len, uint32_t src, uint32_t dst, bool verify_csum,
                   tern_udp_repr *out)
{
	if (len < TERN_UDP_HLEN)
		return TERN_WIRE_TRUNCATED;
	uint16_t length = tern_get16(buf + 4);
	uint16_t csum = tern_get16(buf + 6);

	if (length < TERN_UDP_HLEN)
		return TERN_WIRE_BAD_LENGTH;
	if (length > len)
		return TERN_WIRE_TRUNCATED;
	/* A zero field means the sender computed none (RFC 768); a sent sum of
	 * 0xffff stands for 0 and still sums to -0 here. */
	if (verify_csum && csum != 0 && udp_sum(buf, length, src, dst) != 0xffff)
		return TERN_WIRE_BAD_CHECKSUM;
	out->sport = tern_get16(buf);
	out->dport = tern_get16(buf + 2);
	out->length = length;
	out->csum = csum;
	out->payload = buf + TERN_UDP_HLEN;
	out->payload_len = (size_t)length - TERN_UDP_HLEN;
	return TERN_WIRE_OK;
}

size_t tern_udp_build(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport,
                      const uint8_t *payload, size_t payload_len, uint32_t src, uint32_t dst,
                      bool with_csum)
{
	if (cap < TERN_UDP_HLEN || payload_len > cap - TERN_UDP_HLEN ||
	    payload_len > 0xffffu - TERN_UDP_HLEN)
		return 0;
	uint16_t length = (uint16_t)(TERN_UDP_HLEN + payload_len);

	if (payload_len)
		memmove(buf + TERN_UDP_HLEN, payload, payload_len);
	tern_put16(buf, sport);
	tern_put16(buf + 2, dport);
	tern_put16(buf + 4, length);
	tern_put16(buf + 6, 0);
	if (with_csum) {
		uint16_t csum = (uint16_t)~udp_sum(buf, length, src, dst);

		/* 0 on the wire means "no checksum" (RFC 768). */
		tern_put16(buf + 6, csum ? csum : 0xffff);
	}
	return length;
}
