/* fuzz_ip4.c - the IPv4 header parser and its option walker.
 *
 * Input: one flags byte, then an IPv4 packet.
 *   bit 0: make the header checksum right before parsing (so the fuzzer
 *          gets past the checksum and reaches the rest)
 *   bit 1: parse with checksum verification
 * Properties: tern_ip4_parse never reads past the buffer (the packet lies in
 * a heap block of exactly its size, so ASan sees any over-read); an accepted
 * header is self-consistent; build(parse(x)) parses again to the same repr;
 * tern_ip4_opt_srcroute on the option area (and on the raw bytes as an
 * option area) stays in bounds, and a source route it finds survives
 * tern_ip4_opt_srcroute_build and a second parse. */
#include "fuzz.h"

static void check_srcroute(const uint8_t *opts, size_t len)
{
	tern_ip4_srcroute sr;
	uint8_t ptr = 0;
	int v = tern_ip4_opt_srcroute(opts, len, &sr, &ptr);
	FZ_CHECK(v == TERN_WIRE_OK || v == TERN_WIRE_BAD_OPTION);
	if (v != TERN_WIRE_OK) {
		FZ_CHECK(sr.n == 0);
		return;
	}
	FZ_CHECK(sr.n <= TERN_IP4_SR_MAX);
	if (!sr.n)
		return;
	FZ_CHECK(ptr >= 4);
	/* Round trip: the option sent along sr to dst lists hops 2..n, then
	 * dst; parsed again, that is n addresses with the pointer at 4. */
	const uint32_t dst = 0xc0000263u;
	uint8_t buf[TERN_IP4_MAXHLEN];
	size_t n = tern_ip4_opt_srcroute_build(buf, sizeof buf - TERN_IP4_HLEN, &sr, dst);
	FZ_CHECK(n > 0 && n % 4 == 0 && n <= 40);
	tern_ip4_srcroute again;
	uint8_t ptr2 = 0;
	FZ_CHECK(tern_ip4_opt_srcroute(buf, n, &again, &ptr2) == TERN_WIRE_OK);
	FZ_CHECK(again.n == sr.n && again.strict == sr.strict && ptr2 == 4);
	for (uint8_t i = 0; i + 1 < sr.n; i++)
		FZ_CHECK(again.hop[i] == sr.hop[i + 1]);
	FZ_CHECK(again.hop[sr.n - 1] == dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	size_t len = size - 1;
	uint8_t *pkt = malloc(len ? len : 1);
	FZ_CHECK(pkt != NULL);
	memcpy(pkt, data + 1, len);
	if (flags & 1)
		fz_fix_ip4(pkt, len);

	check_srcroute(pkt, len);

	tern_ip4_repr r;
	int v = tern_ip4_parse(pkt, len, (flags & 2) != 0, &r);
	FZ_CHECK(v >= TERN_WIRE_OK && v <= TERN_WIRE_BAD_OPTION);
	FZ_CHECK(tern_wire_verdict_str(v) != NULL);
	if (v != TERN_WIRE_OK)
		goto out;

	/* An accepted header describes bytes inside the buffer. */
	FZ_CHECK(r.hlen >= TERN_IP4_HLEN && r.hlen <= TERN_IP4_MAXHLEN && r.hlen % 4 == 0);
	FZ_CHECK(r.total_len >= r.hlen && r.total_len <= len);
	FZ_CHECK(r.options == pkt + TERN_IP4_HLEN);
	FZ_CHECK(r.payload == pkt + r.hlen && r.payload_len == (size_t)r.total_len - r.hlen);
	FZ_CHECK(r.frag_off % 8 == 0);
	FZ_CHECK((r.hlen & 3) == 0);
	check_srcroute(r.options, (size_t)r.hlen - TERN_IP4_HLEN);

	/* The return route the stack would use reverses the recorded one. */
	tern_ip4_srcroute rr, fwd;
	uint8_t ptr;
	if (tern_ip4_return_route(&r, &rr)) {
		FZ_CHECK(tern_ip4_opt_srcroute(r.options, (size_t)r.hlen - TERN_IP4_HLEN, &fwd,
					       &ptr) == TERN_WIRE_OK);
		FZ_CHECK(rr.n == fwd.n && rr.n > 0);
		for (uint8_t i = 0; i < rr.n; i++)
			FZ_CHECK(rr.hop[i] == fwd.hop[fwd.n - 1 - i]);
	}

	/* build(parse(x)) parses again, checksum verified, to the same repr. */
	uint8_t *re = malloc(r.total_len);
	FZ_CHECK(re != NULL);
	size_t h = tern_ip4_build_opts(re, r.total_len, &r, r.options,
				       (size_t)r.hlen - TERN_IP4_HLEN);
	FZ_CHECK(h == r.hlen);
	memcpy(re + h, r.payload, r.payload_len);
	tern_ip4_repr r2;
	FZ_CHECK(tern_ip4_parse(re, r.total_len, true, &r2) == TERN_WIRE_OK);
	FZ_CHECK(r2.hlen == r.hlen && r2.tos == r.tos && r2.total_len == r.total_len &&
		 r2.id == r.id && r2.df == r.df && r2.mf == r.mf && r2.frag_off == r.frag_off &&
		 r2.ttl == r.ttl && r2.proto == r.proto && r2.src == r.src && r2.dst == r.dst &&
		 r2.payload_len == r.payload_len);
	FZ_CHECK(memcmp(r2.options, r.options, (size_t)r.hlen - TERN_IP4_HLEN) == 0);
	FZ_CHECK(memcmp(r2.payload, r.payload, r.payload_len) == 0);
	/* Only the reserved flag bit and the checksum may differ from the input. */
	FZ_CHECK(memcmp(re, pkt, 6) == 0 && re[6] == (pkt[6] & 0x7f) && re[7] == pkt[7] &&
		 memcmp(re + 8, pkt + 8, 2) == 0 && memcmp(re + 12, pkt + 12, r.hlen - 12) == 0);
	free(re);
out:
	free(pkt);
	return 0;
}
