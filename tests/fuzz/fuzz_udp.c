/* fuzz_udp.c - the UDP header parser and builder.
 *
 * Input: one flags byte, the pseudo-header's source and destination
 * addresses (4 bytes each, network order), then a UDP datagram.
 *   bit 0: make the checksum right (over the length the header claims)
 *   bit 1: parse with checksum verification
 * Properties: tern_udp_parse never reads past the buffer; an accepted
 * datagram is self-consistent; build(parse(x)) parses again, checksum
 * verified, to the same repr. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 9)
		return 0;
	fz_in in = {data, size};
	uint8_t flags = fz_u8(&in);
	uint32_t src = fz_u32(&in), dst = fz_u32(&in);
	size_t len = in.n;
	uint8_t *dg = malloc(len ? len : 1);
	FZ_CHECK(dg != NULL);
	fz_take(&in, dg, len);
	if (flags & 1)
		fz_fix_l4(dg, len, TERN_IPPROTO_UDP, src, dst);

	tern_udp_repr r;
	bool verify = flags & 2;
	int v = tern_udp_parse(dg, len, src, dst, verify, &r);
	FZ_CHECK(v == TERN_WIRE_OK || v == TERN_WIRE_TRUNCATED || v == TERN_WIRE_BAD_LENGTH ||
		 v == TERN_WIRE_BAD_CHECKSUM);
	if (v != TERN_WIRE_OK)
		goto out;
	FZ_CHECK(r.length >= TERN_UDP_HLEN && r.length <= len);
	FZ_CHECK(r.payload == dg + TERN_UDP_HLEN && r.payload_len == (size_t)r.length - TERN_UDP_HLEN);
	FZ_CHECK(r.sport == tern_get16(dg) && r.dport == tern_get16(dg + 2));
	/* A datagram that verifies also verifies when asked, and vice versa. */
	tern_udp_repr rv;
	int vv = tern_udp_parse(dg, len, src, dst, true, &rv);
	FZ_CHECK(vv == TERN_WIRE_OK || (!verify && vv == TERN_WIRE_BAD_CHECKSUM && r.csum != 0));

	uint8_t *re = malloc(r.length);
	FZ_CHECK(re != NULL);
	FZ_CHECK(tern_udp_build(re, r.length - 1u, r.sport, r.dport, r.payload, r.payload_len, src,
				dst, true) == 0);
	bool with_csum = r.csum != 0;
	size_t n = tern_udp_build(re, r.length, r.sport, r.dport, r.payload, r.payload_len, src,
				  dst, with_csum);
	FZ_CHECK(n == r.length);
	tern_udp_repr r2;
	FZ_CHECK(tern_udp_parse(re, n, src, dst, true, &r2) == TERN_WIRE_OK);
	FZ_CHECK(r2.sport == r.sport && r2.dport == r.dport && r2.length == r.length &&
		 r2.payload_len == r.payload_len &&
		 memcmp(r2.payload, r.payload, r.payload_len) == 0);
	FZ_CHECK((r2.csum != 0) == with_csum);
	if (vv == TERN_WIRE_OK && with_csum) /* the same sum, or 0xffff for 0 */
		FZ_CHECK(r2.csum == r.csum || (r2.csum == 0xffff && r.csum == 0) ||
			 (r.csum == 0xffff));
	/* In place: the payload already at buf + 8. */
	memmove(re + TERN_UDP_HLEN, r.payload, r.payload_len);
	FZ_CHECK(tern_udp_build(re, r.length, r.sport, r.dport, re + TERN_UDP_HLEN, r.payload_len,
				src, dst, true) == r.length);
	FZ_CHECK(tern_udp_parse(re, n, src, dst, true, &r2) == TERN_WIRE_OK && r2.csum != 0);
	free(re);
out:
	free(dg);
	return 0;
}
