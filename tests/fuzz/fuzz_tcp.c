/* fuzz_tcp.c - the TCP header parser, the option parser and their builders.
 *
 * Input: one flags byte, the pseudo-header's source and destination
 * addresses (4 bytes each), then a TCP segment.
 *   bit 0: make the checksum right before parsing
 *   bit 1: parse with checksum verification
 * Properties: tern_tcp_parse and tern_tcp_opts_parse never read past the
 * buffer (the segment, and separately the raw bytes taken as an option
 * area, lie in heap blocks of exactly their size); an accepted segment is
 * self-consistent; the options survive build -> parse; build(parse(x))
 * parses again, checksum verified, to the same repr. */
#include "fuzz.h"

static bool same_opts(const tern_tcp_opts *a, const tern_tcp_opts *b)
{
	if (a->present != b->present)
		return false;
	if ((a->present & TERN_TCPO_MSS) && a->mss != b->mss)
		return false;
	if ((a->present & TERN_TCPO_WSCALE) && a->wscale != b->wscale)
		return false;
	if ((a->present & TERN_TCPO_TS) && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr))
		return false;
	if (a->present & TERN_TCPO_SACK) {
		if (a->sack_count != b->sack_count)
			return false;
		for (unsigned i = 0; i < a->sack_count; i++)
			if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
				return false;
	}
	return true;
}

/* The documented layout's size (wire.h: the layout Linux sends). */
static size_t layout_size(const tern_tcp_opts *o)
{
	size_t n = 0;
	if (o->present & TERN_TCPO_MSS)
		n += 4;
	if (o->present & TERN_TCPO_TS)
		n += 12;
	else if (o->present & TERN_TCPO_SACK_PERM)
		n += 4;
	if (o->present & TERN_TCPO_WSCALE)
		n += 4;
	if (o->present & TERN_TCPO_SACK)
		n += 4 + 8u * o->sack_count;
	return n;
}

/* Returns whether the options fit the 40-byte area (and so round-trip). */
static bool check_opts(const tern_tcp_opts *o)
{
	FZ_CHECK((o->present & ~0x1fu) == 0);
	if (o->present & TERN_TCPO_SACK)
		FZ_CHECK(o->sack_count >= 1 && o->sack_count <= TERN_TCP_MAX_SACK);
	uint8_t buf[64];
	size_t need = layout_size(o);
	size_t n = tern_tcp_opts_build(buf, sizeof buf, o);
	if (need > 40) {
		FZ_CHECK(n == 0);
		return false;
	}
	FZ_CHECK(n == need && n % 4 == 0);
	if (n)
		FZ_CHECK(tern_tcp_opts_build(buf, n - 1, o) == 0);
	uint8_t *exact = malloc(n ? n : 1);
	FZ_CHECK(exact != NULL);
	memcpy(exact, buf, n);
	tern_tcp_opts again;
	FZ_CHECK(tern_tcp_opts_parse(exact, n, &again) == TERN_WIRE_OK);
	FZ_CHECK(same_opts(o, &again));
	free(exact);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 9)
		return 0;
	fz_in in = {data, size};
	uint8_t flags = fz_u8(&in);
	uint32_t src = fz_u32(&in), dst = fz_u32(&in);
	size_t len = in.n;
	uint8_t *seg = malloc(len ? len : 1);
	FZ_CHECK(seg != NULL);
	fz_take(&in, seg, len);

	/* The raw bytes as an option area of any length. */
	tern_tcp_opts o;
	int v = tern_tcp_opts_parse(seg, len, &o);
	FZ_CHECK(v == TERN_WIRE_OK || v == TERN_WIRE_BAD_OPTION);
	if (v == TERN_WIRE_OK)
		check_opts(&o);

	if (flags & 1)
		fz_fix_l4(seg, len, TERN_IPPROTO_TCP, src, dst);
	tern_tcp_repr r;
	v = tern_tcp_parse(seg, len, src, dst, (flags & 2) != 0, &r);
	FZ_CHECK(v == TERN_WIRE_OK || v == TERN_WIRE_TRUNCATED || v == TERN_WIRE_BAD_HLEN ||
		 v == TERN_WIRE_BAD_CHECKSUM || v == TERN_WIRE_BAD_OPTION);
	if (v != TERN_WIRE_OK)
		goto out;
	FZ_CHECK(r.hlen >= TERN_TCP_HLEN && r.hlen <= 60 && r.hlen % 4 == 0 && r.hlen <= len);
	FZ_CHECK(r.payload == seg + r.hlen && r.payload_len == len - r.hlen);
	FZ_CHECK(r.flags == seg[13] && r.seq == tern_get32(seg + 4) && r.ack == tern_get32(seg + 8));
	if (!check_opts(&r.opts) || len > 0xffff)
		goto out;

	size_t cap = TERN_TCP_HLEN + 40 + r.payload_len;
	uint8_t *re = malloc(cap);
	FZ_CHECK(re != NULL);
	size_t n = tern_tcp_build(re, cap, &r, r.payload, r.payload_len, src, dst);
	size_t hlen = TERN_TCP_HLEN + layout_size(&r.opts);
	if (hlen + r.payload_len > 0xffff) {
		FZ_CHECK(n == 0);
		free(re);
		goto out;
	}
	FZ_CHECK(n == hlen + r.payload_len);
	FZ_CHECK(tern_tcp_build(re, n - 1, &r, r.payload, r.payload_len, src, dst) == 0);
	uint8_t *exact = malloc(n);
	FZ_CHECK(exact != NULL);
	memcpy(exact, re, n);
	tern_tcp_repr r2;
	FZ_CHECK(tern_tcp_parse(exact, n, src, dst, true, &r2) == TERN_WIRE_OK);
	FZ_CHECK(r2.sport == r.sport && r2.dport == r.dport && r2.seq == r.seq && r2.ack == r.ack &&
		 r2.flags == r.flags && r2.wnd == r.wnd && r2.urp == r.urp && r2.hlen == hlen &&
		 r2.payload_len == r.payload_len && same_opts(&r.opts, &r2.opts) &&
		 memcmp(r2.payload, r.payload, r.payload_len) == 0);
	free(exact);
	free(re);
out:
	free(seg);
	return 0;
}
