/*
 * test_checksum.c - the Internet checksum against RFC vectors and a naive
 * byte-pair reference, chaining, incremental update, pseudo-header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tt.h"
#include "wire/wire.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: deterministic, so a failure replays. */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Random bytes, often runs of 0x00 or 0xff to stress the carries. */
static void fill(uint8_t *p, size_t n)
{
	unsigned mode = (unsigned)(rnd() % 4);

	for (size_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)rnd();

		if (mode == 1 || (mode == 3 && (rnd() & 1)))
			b = 0xff;
		else if (mode == 2)
			b = (rnd() % 8) ? 0xff : 0x00;
		p[i] = b;
	}
}

/* The definition, one big-endian word at a time (RFC 1071 section 1). */
static uint16_t naive_sum(const uint8_t *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t fast_sum(const void *p, size_t n)
{
	return tern_csum_fold(tern_csum_add(0, p, n));
}

static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (n)
		memcpy(q, p, n);
	return q;
}

TT_TEST(test_csum_rfc1071_example_sums_to_ddf2)
{
	static const uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint8_t *p = dup_exact(ex, sizeof ex);

	TT_EQ(fast_sum(p, sizeof ex), 0xddf2);
	TT_EQ(tern_csum(p, sizeof ex), 0x220d);
	free(p);
}

TT_TEST(test_csum_real_ipv4_header_gives_known_checksum)
{
	static const uint8_t hdr[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	                              0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t *p = dup_exact(hdr, sizeof hdr);

	TT_EQ(fast_sum(p, sizeof hdr), 0xffff);
	p[10] = p[11] = 0;
	TT_EQ(tern_csum(p, sizeof hdr), 0xb861);
	free(p);
}

TT_TEST(test_csum_odd_tail_is_high_byte_of_last_word)
{
	static const uint8_t one[] = {0xab};
	static const uint8_t three[] = {0x12, 0x34, 0x56};
	static const uint8_t nine[] = {0, 0, 0, 0, 0, 0, 0, 0, 0x01};

	TT_EQ(fast_sum(one, 1), 0xab00);
	TT_EQ(fast_sum(three, 3), 0x1234 + 0x5600);
	TT_EQ(fast_sum(nine, 9), 0x0100);
}

TT_TEST(test_csum_empty_data_leaves_accumulator_unchanged)
{
	static const uint8_t none[1] = {0xff};

	TT_EQ(tern_csum_add(0, none, 0), 0);
	TT_EQ(tern_csum_fold(tern_csum_add(0x1234, none, 0)), 0x1234);
	TT_EQ(tern_csum(none, 0), 0xffff);
}

TT_TEST(test_csum_matches_naive_reference_random_lengths_and_alignments)
{
	for (int iter = 0; iter < 3000; iter++) {
		size_t len = (size_t)(rnd() % 3001), off = (size_t)(rnd() % 8);
		uint8_t *buf = malloc(off + len ? off + len : 1);

		fill(buf + off, len);
		uint16_t want = naive_sum(buf + off, len);

		TT_EQ(fast_sum(buf + off, len), want);
		TT_EQ(tern_csum(buf + off, len), (uint16_t)~want);
		free(buf);
	}
}

TT_TEST(test_csum_same_data_same_sum_at_every_alignment)
{
	uint8_t src[301], *buf = malloc(sizeof src + 8);

	fill(src, sizeof src);
	uint16_t want = naive_sum(src, sizeof src);

	for (size_t off = 0; off < 8; off++) {
		memcpy(buf + off, src, sizeof src);
		TT_EQ(fast_sum(buf + off, sizeof src), want);
	}
	free(buf);
}

TT_TEST(test_csum_all_ones_long_buffer_folds_to_ffff)
{
	size_t n = 70001;
	uint8_t *buf = malloc(n);

	memset(buf, 0xff, n);
	TT_EQ(fast_sum(buf, n), naive_sum(buf, n));
	TT_EQ(fast_sum(buf, n - 1), 0xffff);
	free(buf);
}

TT_TEST(test_csum_chained_even_splits_equal_one_shot)
{
	for (int iter = 0; iter < 2000; iter++) {
		size_t len = (size_t)(rnd() % 3001);
		uint8_t *buf = malloc(len ? len : 1);

		fill(buf, len);
		uint64_t acc = 0;
		size_t at = 0;

		while (at < len) {
			size_t step = (size_t)(rnd() % 200) * 2;

			if (step > len - at)
				step = len - at;
			acc = tern_csum_add(acc, buf + at, step);
			at += step;
		}
		TT_EQ(tern_csum_fold(acc), naive_sum(buf, len));
		free(buf);
	}
}

/* fold() must keep the value mod 2^16 - 1 (0xffff and 0 are the two zeros). */
TT_TEST(test_csum_fold_preserves_value_mod_ffff)
{
	TT_EQ(tern_csum_fold(0), 0);
	TT_EQ(tern_csum_fold(0x10000), 1);
	TT_EQ(tern_csum_fold(UINT64_MAX), 0xffff);
	TT_EQ(tern_csum_fold(0xffffffffull), 0xffff);
	TT_EQ(tern_csum_fold(0x1fffeull), 0xffff);
	for (int i = 0; i < 100000; i++) {
		uint64_t a = rnd() >> (rnd() % 64);
		uint16_t f = tern_csum_fold(a);

		TT_EQ(f % 0xffff, a % 0xffff);
		TT_CHECK(a == 0 || f != 0);
	}
}

TT_TEST(test_csum_add_wraps_carry_of_nearly_full_accumulator)
{
	uint8_t buf[64];

	for (int i = 0; i < 1000; i++) {
		uint64_t acc = UINT64_MAX - (rnd() % 0x100000);

		fill(buf, sizeof buf);
		uint64_t want = (acc % 0xffff) + naive_sum(buf, sizeof buf);

		TT_EQ(tern_csum_fold(tern_csum_add(acc, buf, sizeof buf)) % 0xffff, want % 0xffff);
	}
}

TT_TEST(test_csum_pseudo4_equals_sum_of_pseudo_header_bytes)
{
	for (int i = 0; i < 1000; i++) {
		uint32_t src = (uint32_t)rnd(), dst = (uint32_t)rnd();
		uint8_t proto = (uint8_t)rnd();
		uint16_t len = (uint16_t)rnd();
		uint8_t ph[12];

		tern_put32(ph, src);
		tern_put32(ph + 4, dst);
		ph[8] = 0;
		ph[9] = proto;
		tern_put16(ph + 10, len);
		TT_EQ(tern_csum_fold(tern_csum_pseudo4(src, dst, proto, len)),
		      naive_sum(ph, sizeof ph));
	}
}

TT_TEST(test_csum_update16_rfc1624_example_gives_zero)
{
	TT_EQ(tern_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

/* A random nonzero header with its checksum at bytes 10-11, as in IPv4. */
static uint16_t header_with_csum(uint8_t *h, size_t n)
{
	fill(h, n);
	h[0] |= 0x40;
	tern_put16(h + 10, 0);
	uint16_t c = tern_csum(h, n);

	tern_put16(h + 10, c);
	return c;
}

TT_TEST(test_csum_update16_equals_full_recompute)
{
	uint8_t h[40];

	for (int i = 0; i < 20000; i++) {
		uint16_t c = header_with_csum(h, sizeof h);
		size_t at = 12 + 2 * (size_t)(rnd() % 14);
		uint16_t old = tern_get16(h + at), nw = (uint16_t)rnd();

		if (i % 7 == 0)
			nw = (uint16_t)~old;
		tern_put16(h + at, nw);
		uint16_t inc = tern_csum_update16(c, old, nw);

		tern_put16(h + 10, 0);
		TT_EQ(inc, tern_csum(h, sizeof h));
	}
}

TT_TEST(test_csum_update32_equals_full_recompute)
{
	uint8_t h[40];

	for (int i = 0; i < 20000; i++) {
		uint16_t c = header_with_csum(h, sizeof h);
		size_t at = 12 + 2 * (size_t)(rnd() % 13);
		uint32_t old = tern_get32(h + at), nw = (uint32_t)rnd();

		if (i % 5 == 0)
			nw = old ^ 0xffff0000u;
		tern_put32(h + at, nw);
		uint16_t inc = tern_csum_update32(c, old, nw);

		tern_put16(h + 10, 0);
		TT_EQ(inc, tern_csum(h, sizeof h));
	}
}

TT_TEST(test_csum_ttl_decrement_update_keeps_header_valid)
{
	static const uint8_t hdr[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	                              0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t h[sizeof hdr];

	memcpy(h, hdr, sizeof h);
	for (int ttl = 0x40; ttl > 0; ttl--) {
		uint16_t old = tern_get16(h + 8);

		h[8]--;
		tern_put16(h + 10, tern_csum_update16(tern_get16(h + 10), old, tern_get16(h + 8)));
		TT_EQ(fast_sum(h, sizeof h), 0xffff);
	}
}

/* The copy that sums (tern_csum_copy) copies exactly and sums as
 * tern_csum_add does, for every length and both alignments. */
TT_TEST(test_csum_copy_copies_and_sums_like_csum_add)
{
	uint8_t src[300], dst[300];
	for (size_t i = 0; i < sizeof src; i++)
		src[i] = (uint8_t)(i * 37 + 11);
	for (size_t off = 0; off < 2; off++) {
		for (size_t n = 0; n + off <= 260; n++) {
			memset(dst, 0xee, sizeof dst);
			uint64_t got = tern_csum_copy(7, dst + off, src + off, n);
			TT_EQ(tern_csum_fold(got), tern_csum_fold(tern_csum_add(7, src + off, n)));
			TT_CHECK(memcmp(dst + off, src + off, n) == 0);
			TT_EQ(dst[off + n], 0xee);  /* not a byte more */
		}
	}
}

/* Also covers the all-zero case (sum 0, never folded to 0xffff) and an
 * all-ones one, where a one's-complement -0 could differ. */
TT_TEST(test_csum_sum_equals_fold_of_add_from_zero)
{
	uint8_t buf[200];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 53 + 7);
	for (size_t off = 0; off < 4; off++)
		for (size_t n = 0; n + off <= 130; n++) {
			TT_EQ(tern_csum_sum(buf + off, n), tern_csum_fold(tern_csum_add(0, buf + off, n)));
			TT_EQ(tern_csum_sum(buf + off, n), naive_sum(buf + off, n));
		}
	uint8_t z[64] = {0}, ones[64];
	memset(ones, 0xff, sizeof ones);
	for (size_t n = 0; n <= sizeof z; n++) {
		TT_EQ(tern_csum_sum(z, n), tern_csum_fold(tern_csum_add(0, z, n)));
		TT_EQ(tern_csum_sum(ones, n), tern_csum_fold(tern_csum_add(0, ones, n)));
	}
}

TT_MAIN(test_csum_rfc1071_example_sums_to_ddf2, test_csum_real_ipv4_header_gives_known_checksum,
        test_csum_odd_tail_is_high_byte_of_last_word,
        test_csum_empty_data_leaves_accumulator_unchanged,
        test_csum_matches_naive_reference_random_lengths_and_alignments,
        test_csum_same_data_same_sum_at_every_alignment,
        test_csum_all_ones_long_buffer_folds_to_ffff, test_csum_chained_even_splits_equal_one_shot,
        test_csum_fold_preserves_value_mod_ffff,
        test_csum_add_wraps_carry_of_nearly_full_accumulator,
        test_csum_pseudo4_equals_sum_of_pseudo_header_bytes,
        test_csum_update16_rfc1624_example_gives_zero, test_csum_update16_equals_full_recompute,
        test_csum_update32_equals_full_recompute, test_csum_ttl_decrement_update_keeps_header_valid,
	test_csum_copy_copies_and_sums_like_csum_add, test_csum_sum_equals_fold_of_add_from_zero)
