/* fuzz_icmp.c - the ICMP message parser and builder.
 *
 * Input: one flags byte, then an ICMP message (an IP payload).
 *   bit 0: make the checksum right before parsing
 * Properties: tern_icmp4_parse never reads past the buffer; an accepted
 * message is self-consistent; build(parse(x)) gives the same bytes (but for
 * the two encodings of a zero checksum) and parses to the same repr. */
#include "fuzz.h"

static bool same_repr(const tern_icmp4_repr *a, const tern_icmp4_repr *b)
{
	return a->type == b->type && a->code == b->code && a->id == b->id && a->seq == b->seq &&
	       a->mtu == b->mtu && a->rest == b->rest && a->data_len == b->data_len &&
	       memcmp(a->data, b->data, a->data_len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	size_t len = size - 1;
	uint8_t *msg = malloc(len ? len : 1);
	FZ_CHECK(msg != NULL);
	memcpy(msg, data + 1, len);
	if ((flags & 1) && len >= 8) {
		tern_put16(msg + 2, 0);
		tern_put16(msg + 2, tern_csum(msg, len));
	}

	tern_icmp4_repr r;
	int v = tern_icmp4_parse(msg, len, &r);
	FZ_CHECK(v == TERN_WIRE_OK || v == TERN_WIRE_TRUNCATED || v == TERN_WIRE_BAD_CHECKSUM);
	if (v != TERN_WIRE_OK)
		goto out;
	FZ_CHECK(len >= 8 && r.data == msg + 8 && r.data_len == len - 8);
	FZ_CHECK(r.type == msg[0] && r.code == msg[1] && r.rest == tern_get32(msg + 4));
	if (r.type == TERN_ICMP_DEST_UNREACH && r.code == TERN_ICMP_FRAG_NEEDED)
		FZ_CHECK(r.mtu == (uint16_t)r.rest);
	else
		FZ_CHECK(r.mtu == 0);

	uint8_t *re = malloc(len);
	FZ_CHECK(re != NULL);
	FZ_CHECK(tern_icmp4_build(re, len - 1, &r) == 0); /* too small: refused */
	size_t n = tern_icmp4_build(re, len, &r);
	FZ_CHECK(n == len);
	FZ_CHECK(memcmp(re, msg, 2) == 0 && memcmp(re + 4, msg + 4, len - 4) == 0);
	uint16_t c1 = tern_get16(re + 2), c0 = tern_get16(msg + 2);
	FZ_CHECK(c1 == c0 || (c1 == 0 && c0 == 0xffff) || (c1 == 0xffff && c0 == 0));
	tern_icmp4_repr r2;
	FZ_CHECK(tern_icmp4_parse(re, n, &r2) == TERN_WIRE_OK);
	FZ_CHECK(same_repr(&r, &r2));

	/* Built in place, with the data already at buf + 8 (as the stack
	 * builds its errors), the result is the same. */
	memcpy(re + 8, r.data, r.data_len);
	tern_icmp4_repr inplace = r;
	inplace.data = re + 8;
	FZ_CHECK(tern_icmp4_build(re, len, &inplace) == len);
	FZ_CHECK(tern_icmp4_parse(re, n, &r2) == TERN_WIRE_OK && same_repr(&r, &r2));
	free(re);
out:
	free(msg);
	return 0;
}
