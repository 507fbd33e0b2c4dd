/*
 * test_wire_udp.c - UDP parse and build, good and malformed. Inputs are
 * copied into buffers of exactly their length so ASan sees over-reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern/tern.h"
#include "tt.h"
#include "wire/wire.h"

static uint64_t rng_state = 0xa4093822299f31d0ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint8_t *dup_exact(const void *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (n)
		memcpy(q, p, n);
	return q;
}

#define SRC TERN_IP4(10, 0, 0, 1)
#define DST TERN_IP4(10, 0, 0, 2)

static int parse_exact(const uint8_t *p, size_t n, bool verify)
{
	uint8_t *q = dup_exact(p, n);
	tern_udp_repr r;
	int v = tern_udp_parse(q, n, SRC, DST, verify, &r);

	free(q);
	return v;
}

/* 10.0.0.1:1234 -> 10.0.0.2:53 "hello"; checksum from an independent
 * byte-pair computation. */
static const uint8_t known[13] = {0x04, 0xd2, 0x00, 0x35, 0x00, 0x0d, 0xa2,
                                  0xf8, 'h',  'e',  'l',  'l',  'o'};

TT_TEST(test_udp_parse_known_datagram_fills_repr)
{
	uint8_t *q = dup_exact(known, sizeof known);
	tern_udp_repr r;

	TT_EQ(tern_udp_parse(q, sizeof known, SRC, DST, true, &r), TERN_WIRE_OK);
	TT_EQ(r.sport, 1234);
	TT_EQ(r.dport, 53);
	TT_EQ(r.length, 13);
	TT_EQ(r.csum, 0xa2f8);
	TT_CHECK(r.payload == q + 8);
	TT_EQ(r.payload_len, 5);
	free(q);
}

TT_TEST(test_udp_build_writes_known_datagram)
{
	uint8_t *buf = malloc(sizeof known);

	TT_EQ(tern_udp_build(buf, sizeof known, 1234, 53, (const uint8_t *)"hello", 5, SRC, DST,
	                     true),
	      sizeof known);
	TT_CHECK(memcmp(buf, known, sizeof known) == 0);
	free(buf);
}

TT_TEST(test_udp_parse_every_truncation_is_truncated)
{
	for (size_t n = 0; n < sizeof known; n++)
		TT_EQ(parse_exact(known, n, true), TERN_WIRE_TRUNCATED);
}

TT_TEST(test_udp_parse_rejects_length_field_below_eight)
{
	uint8_t d[sizeof known];

	memcpy(d, known, sizeof d);
	for (uint16_t l = 0; l < 8; l++) {
		tern_put16(d + 4, l);
		TT_EQ(parse_exact(d, sizeof d, false), TERN_WIRE_BAD_LENGTH);
		TT_EQ(parse_exact(d, 8, false), TERN_WIRE_BAD_LENGTH);
	}
}

TT_TEST(test_udp_parse_length_field_beyond_buffer_is_truncated)
{
	uint8_t d[sizeof known];

	memcpy(d, known, sizeof d);
	tern_put16(d + 4, sizeof d + 1);
	TT_EQ(parse_exact(d, sizeof d, false), TERN_WIRE_TRUNCATED);
	tern_put16(d + 4, 0xffff);
	TT_EQ(parse_exact(d, sizeof d, false), TERN_WIRE_TRUNCATED);
}

/* The length field, not the IP payload size, bounds the datagram and its
 * checksum (RFC 768); the rest is padding. */
TT_TEST(test_udp_parse_ignores_bytes_beyond_length_field)
{
	uint8_t d[sizeof known + 7];
	tern_udp_repr r;

	memcpy(d, known, sizeof known);
	memset(d + sizeof known, 0xee, 7);
	uint8_t *q = dup_exact(d, sizeof d);

	TT_EQ(tern_udp_parse(q, sizeof d, SRC, DST, true, &r), TERN_WIRE_OK);
	TT_EQ(r.length, 13);
	TT_EQ(r.payload_len, 5);
	free(q);
}

TT_TEST(test_udp_parse_accepts_zero_checksum_as_none)
{
	uint8_t d[sizeof known];
	tern_udp_repr r;

	memcpy(d, known, sizeof d);
	tern_put16(d + 6, 0);
	d[8] ^= 0x55;
	TT_EQ(tern_udp_parse(d, sizeof d, SRC, DST, true, &r), TERN_WIRE_OK);
	TT_EQ(r.csum, 0);
}

TT_TEST(test_udp_parse_rejects_bad_checksum_only_when_verifying)
{
	uint8_t d[sizeof known];

	memcpy(d, known, sizeof d);
	for (size_t byte = 0; byte < sizeof d; byte++) {
		if (byte == 4 || byte == 5)
			continue; /* the length field has its own verdicts */
		for (unsigned bit = 0; bit < 8; bit++) {
			d[byte] ^= (uint8_t)(1u << bit);
			if (tern_get16(d + 6) != 0)
				TT_EQ(parse_exact(d, sizeof d, true), TERN_WIRE_BAD_CHECKSUM);
			TT_EQ(parse_exact(d, sizeof d, false), TERN_WIRE_OK);
			d[byte] ^= (uint8_t)(1u << bit);
		}
	}
}

TT_TEST(test_udp_parse_checksum_covers_pseudo_header)
{
	uint8_t *q = dup_exact(known, sizeof known);
	tern_udp_repr r;

	TT_EQ(tern_udp_parse(q, sizeof known, SRC + 1, DST, true, &r), TERN_WIRE_BAD_CHECKSUM);
	TT_EQ(tern_udp_parse(q, sizeof known, SRC, DST ^ 0x80000000u, true, &r),
	      TERN_WIRE_BAD_CHECKSUM);
	TT_EQ(tern_udp_parse(q, sizeof known, DST, SRC, true, &r), TERN_WIRE_OK);
	free(q);
}

/* Find a 2-byte payload whose datagram sums to -0, so the computed
 * checksum is 0 and must go out as 0xffff (RFC 768). */
TT_TEST(test_udp_build_sends_computed_zero_as_ffff)
{
	uint8_t pl[2] = {0, 0}, buf[10];
	tern_udp_repr r;

	TT_EQ(tern_udp_build(buf, sizeof buf, 7, 9, pl, 2, SRC, DST, true), 10);
	uint16_t s0 = (uint16_t)~tern_get16(buf + 6);

	tern_put16(pl, (uint16_t)(0xffff - s0));
	TT_EQ(tern_udp_build(buf, sizeof buf, 7, 9, pl, 2, SRC, DST, true), 10);
	TT_EQ(tern_get16(buf + 6), 0xffff);
	TT_EQ(tern_udp_parse(buf, sizeof buf, SRC, DST, true, &r), TERN_WIRE_OK);
	TT_EQ(r.csum, 0xffff);
}

TT_TEST(test_udp_build_without_checksum_writes_zero)
{
	uint8_t buf[8 + 4];
	tern_udp_repr r;

	TT_EQ(tern_udp_build(buf, sizeof buf, 1, 2, (const uint8_t *)"abcd", 4, SRC, DST, false),
	      12);
	TT_EQ(tern_get16(buf + 6), 0);
	TT_EQ(tern_udp_parse(buf, sizeof buf, SRC, DST, true, &r), TERN_WIRE_OK);
	TT_EQ(r.payload_len, 4);
}

TT_TEST(test_udp_build_refuses_small_cap_without_writing)
{
	uint8_t buf[16];

	memset(buf, 0xaa, sizeof buf);
	TT_EQ(tern_udp_build(buf, 12, 1, 2, (const uint8_t *)"12345", 5, SRC, DST, true), 0);
	TT_EQ(tern_udp_build(buf, 7, 1, 2, NULL, 0, SRC, DST, true), 0);
	for (size_t i = 0; i < sizeof buf; i++)
		TT_EQ(buf[i], 0xaa);
	TT_EQ(tern_udp_build(buf, 8, 1, 2, NULL, 0, SRC, DST, true), 8);
}

TT_TEST(test_udp_build_refuses_payload_over_length_field_range)
{
	size_t n = 0x10000;
	uint8_t *buf = malloc(n + 8);

	memset(buf, 0, n + 8);
	TT_EQ(tern_udp_build(buf, n + 8, 1, 2, buf + 8, 0xffff - 7, SRC, DST, true), 0);
	TT_EQ(tern_udp_build(buf, n + 8, 1, 2, buf + 8, 0xffff - 8, SRC, DST, true), 0xffff);
	free(buf);
}

TT_TEST(test_udp_build_accepts_payload_already_in_place)
{
	uint8_t *buf = malloc(8 + 6);
	tern_udp_repr r;

	memcpy(buf + 8, "inside", 6);
	TT_EQ(tern_udp_build(buf, 14, 5, 6, buf + 8, 6, SRC, DST, true), 14);
	TT_EQ(tern_udp_parse(buf, 14, SRC, DST, true, &r), TERN_WIRE_OK);
	TT_CHECK(memcmp(r.payload, "inside", 6) == 0);
	free(buf);
}

TT_TEST(test_udp_build_then_parse_round_trips_random_datagrams)
{
	for (int i = 0; i < 5000; i++) {
		uint8_t pl[300];
		size_t n = (size_t)(rnd() % sizeof pl);
		uint32_t src = (uint32_t)rnd(), dst = (uint32_t)rnd();
		uint16_t sp = (uint16_t)rnd(), dp = (uint16_t)rnd();
		bool with = rnd() % 4 != 0;
		tern_udp_repr r;

		for (size_t k = 0; k < n; k++)
			pl[k] = (uint8_t)rnd();
		uint8_t *buf = malloc(8 + n);

		TT_EQ(tern_udp_build(buf, 8 + n, sp, dp, pl, n, src, dst, with), 8 + n);
		TT_EQ(tern_udp_parse(buf, 8 + n, src, dst, true, &r), TERN_WIRE_OK);
		TT_EQ(r.sport, sp);
		TT_EQ(r.dport, dp);
		TT_EQ(r.length, 8 + n);
		TT_CHECK(with ? r.csum != 0 : r.csum == 0);
		TT_EQ(r.payload_len, n);
		TT_CHECK(n == 0 || memcmp(r.payload, pl, n) == 0);
		free(buf);
	}
}

TT_TEST(test_udp_parse_survives_random_garbage)
{
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rnd() % 40);
		uint8_t *buf = malloc(n ? n : 1);
		tern_udp_repr r;

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd();
		if (n >= 8 && (rnd() & 1))
			tern_put16(buf + 4, (uint16_t)(rnd() % (n + 2)));
		if (tern_udp_parse(buf, n, SRC, DST, rnd() & 1, &r) == TERN_WIRE_OK)
			TT_CHECK(r.length >= 8 && r.payload + r.payload_len <= buf + n);
		free(buf);
	}
}

TT_MAIN(
    test_udp_parse_known_datagram_fills_repr, test_udp_build_writes_known_datagram,
    test_udp_parse_every_truncation_is_truncated, test_udp_parse_rejects_length_field_below_eight,
    test_udp_parse_length_field_beyond_buffer_is_truncated,
    test_udp_parse_ignores_bytes_beyond_length_field, test_udp_parse_accepts_zero_checksum_as_none,
    test_udp_parse_rejects_bad_checksum_only_when_verifying,
    test_udp_parse_checksum_covers_pseudo_header, test_udp_build_sends_computed_zero_as_ffff,
    test_udp_build_without_checksum_writes_zero, test_udp_build_refuses_small_cap_without_writing,
    test_udp_build_refuses_payload_over_length_field_range,
    test_udp_build_accepts_payload_already_in_place,
    test_udp_build_then_parse_round_trips_random_datagrams, test_udp_parse_survives_random_garbage)
