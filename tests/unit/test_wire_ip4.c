/*
 * test_wire_ip4.c - IPv4 header parse and build, good and malformed. Inputs
 * are copied into buffers of exactly their length so ASan sees over-reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern/tern.h"
#include "tt.h"
#include "wire/wire.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;

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

static int parse_exact(const uint8_t *p, size_t n, bool verify)
{
	uint8_t *q = dup_exact(p, n);
	tern_ip4_repr r;
	int v = tern_ip4_parse(q, n, verify, &r);

	free(q);
	return v;
}

/* A UDP packet 192.168.0.1 -> 192.168.0.199, checksum b861, total 0x73. */
static const uint8_t known_hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                      0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

static void make_known(uint8_t pkt[0x73])
{
	memcpy(pkt, known_hdr, sizeof known_hdr);
	for (size_t i = 20; i < 0x73; i++)
		pkt[i] = (uint8_t)i;
}

/* Header with ihl words and total length tot, checksum fixed up. */
static void make_hdr(uint8_t *p, unsigned ihl, uint16_t tot)
{
	memcpy(p, known_hdr, sizeof known_hdr);
	p[0] = (uint8_t)(0x40 | ihl);
	tern_put16(p + 2, tot);
	for (size_t i = 20; i < (size_t)ihl * 4; i++)
		p[i] = TERN_TCPOPT_NOP;
	tern_put16(p + 10, 0);
	tern_put16(p + 10, tern_csum(p, (size_t)ihl * 4));
}

TT_TEST(test_ip4_parse_accepts_valid_packet_and_fills_repr)
{
	uint8_t pkt[0x73];
	tern_ip4_repr r;

	make_known(pkt);
	uint8_t *q = dup_exact(pkt, sizeof pkt);

	TT_EQ(tern_ip4_parse(q, sizeof pkt, true, &r), TERN_WIRE_OK);
	TT_EQ(r.hlen, 20);
	TT_EQ(r.tos, 0);
	TT_EQ(r.total_len, 0x73);
	TT_EQ(r.id, 0);
	TT_CHECK(r.df && !r.mf);
	TT_EQ(r.frag_off, 0);
	TT_EQ(r.ttl, 64);
	TT_EQ(r.proto, TERN_IPPROTO_UDP);
	TT_EQ(r.src, TERN_IP4(192, 168, 0, 1));
	TT_EQ(r.dst, TERN_IP4(192, 168, 0, 199));
	TT_CHECK(r.options == q + 20);
	TT_CHECK(r.payload == q + 20);
	TT_EQ(r.payload_len, 0x73 - 20);
	free(q);
}

TT_TEST(test_ip4_parse_every_truncation_is_truncated)
{
	uint8_t pkt[0x73];

	make_known(pkt);
	for (size_t n = 0; n < sizeof pkt; n++)
		TT_EQ(parse_exact(pkt, n, true), TERN_WIRE_TRUNCATED);
}

TT_TEST(test_ip4_parse_rejects_version_other_than_four)
{
	uint8_t pkt[0x73];

	make_known(pkt);
	for (unsigned v = 0; v < 16; v++) {
		pkt[0] = (uint8_t)(v << 4 | 5);
		TT_EQ(parse_exact(pkt, sizeof pkt, false),
		      v == 4 ? TERN_WIRE_OK : TERN_WIRE_BAD_VERSION);
	}
}

TT_TEST(test_ip4_parse_rejects_ihl_below_five)
{
	uint8_t pkt[0x73];

	make_known(pkt);
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		pkt[0] = (uint8_t)(0x40 | ihl);
		TT_EQ(parse_exact(pkt, sizeof pkt, false), TERN_WIRE_BAD_HLEN);
	}
}

TT_TEST(test_ip4_parse_ihl_beyond_buffer_is_truncated)
{
	uint8_t pkt[60];

	for (unsigned ihl = 6; ihl <= 15; ihl++) {
		make_hdr(pkt, ihl, (uint16_t)(ihl * 4));
		for (size_t n = 20; n < ihl * 4; n++)
			TT_EQ(parse_exact(pkt, n, false), TERN_WIRE_TRUNCATED);
	}
}

TT_TEST(test_ip4_parse_accepts_options_and_points_past_them)
{
	uint8_t pkt[70];
	tern_ip4_repr r;

	for (unsigned ihl = 5; ihl <= 15; ihl++) {
		make_hdr(pkt, ihl, sizeof pkt);
		uint8_t *q = dup_exact(pkt, sizeof pkt);

		TT_EQ(tern_ip4_parse(q, sizeof pkt, true, &r), TERN_WIRE_OK);
		TT_EQ(r.hlen, ihl * 4);
		TT_CHECK(r.options == q + 20);
		TT_CHECK(r.payload == q + ihl * 4);
		TT_EQ(r.payload_len, sizeof pkt - ihl * 4);
		free(q);
	}
}

TT_TEST(test_ip4_parse_rejects_total_length_below_header_length)
{
	uint8_t pkt[60];

	for (unsigned ihl = 5; ihl <= 15; ihl++) {
		for (unsigned tot = 0; tot < ihl * 4; tot++) {
			make_hdr(pkt, ihl, (uint16_t)tot);
			TT_EQ(parse_exact(pkt, sizeof pkt, true), TERN_WIRE_BAD_LENGTH);
		}
	}
}

TT_TEST(test_ip4_parse_total_length_beyond_buffer_is_truncated)
{
	uint8_t pkt[0x73];

	make_known(pkt);
	tern_put16(pkt + 2, 0x74);
	TT_EQ(parse_exact(pkt, sizeof pkt, false), TERN_WIRE_TRUNCATED);
	tern_put16(pkt + 2, 0xffff);
	TT_EQ(parse_exact(pkt, sizeof pkt, false), TERN_WIRE_TRUNCATED);
}

TT_TEST(test_ip4_parse_ignores_link_padding_after_total_length)
{
	uint8_t pkt[64] = {0};
	tern_ip4_repr r;

	make_hdr(pkt, 5, 28);
	uint8_t *q = dup_exact(pkt, sizeof pkt);

	TT_EQ(tern_ip4_parse(q, sizeof pkt, true, &r), TERN_WIRE_OK);
	TT_EQ(r.total_len, 28);
	TT_EQ(r.payload_len, 8);
	free(q);
}

/* Any single bit flipped outside version/IHL/total length breaks the sum. */
TT_TEST(test_ip4_parse_rejects_bad_checksum_only_when_verifying)
{
	uint8_t pkt[0x73];

	make_known(pkt);
	for (size_t byte = 4; byte < 20; byte++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			pkt[byte] ^= (uint8_t)(1u << bit);
			TT_EQ(parse_exact(pkt, sizeof pkt, true), TERN_WIRE_BAD_CHECKSUM);
			TT_EQ(parse_exact(pkt, sizeof pkt, false), TERN_WIRE_OK);
			pkt[byte] ^= (uint8_t)(1u << bit);
		}
	}
}

TT_TEST(test_ip4_parse_checks_in_documented_order)
{
	uint8_t pkt[0x73];

	make_known(pkt);
	pkt[0] = 0x63;
	TT_EQ(parse_exact(pkt, 19, true), TERN_WIRE_TRUNCATED);
	TT_EQ(parse_exact(pkt, 20, true), TERN_WIRE_BAD_VERSION);
	pkt[0] = 0x43;
	TT_EQ(parse_exact(pkt, 20, true), TERN_WIRE_BAD_HLEN);
	pkt[0] = 0x4f;
	tern_put16(pkt + 2, 10);
	TT_EQ(parse_exact(pkt, 40, true), TERN_WIRE_TRUNCATED);
	pkt[0] = 0x45;
	TT_EQ(parse_exact(pkt, 40, true), TERN_WIRE_BAD_LENGTH);
	tern_put16(pkt + 2, 41);
	TT_EQ(parse_exact(pkt, 40, true), TERN_WIRE_TRUNCATED);
	tern_put16(pkt + 2, 40);
	TT_EQ(parse_exact(pkt, 40, true), TERN_WIRE_BAD_CHECKSUM);
}

TT_TEST(test_ip4_parse_decodes_flags_and_offset_in_bytes)
{
	uint8_t pkt[28];
	tern_ip4_repr r;

	make_hdr(pkt, 5, sizeof pkt);
	tern_put16(pkt + 6, TERN_IP4_MF | 0x1fff);
	tern_put16(pkt + 10, 0);
	tern_put16(pkt + 10, tern_csum(pkt, 20));
	TT_EQ(tern_ip4_parse(pkt, sizeof pkt, true, &r), TERN_WIRE_OK);
	TT_CHECK(!r.df && r.mf);
	TT_EQ(r.frag_off, 0x1fff * 8);
	tern_put16(pkt + 6, TERN_IP4_DF | 0x0001);
	TT_EQ(tern_ip4_parse(pkt, sizeof pkt, false, &r), TERN_WIRE_OK);
	TT_CHECK(r.df && !r.mf);
	TT_EQ(r.frag_off, 8);
}

TT_TEST(test_ip4_build_writes_known_header_bytes)
{
	tern_ip4_repr r = {
	    .total_len = 0x73,
	    .df = true,
	    .ttl = 64,
	    .proto = TERN_IPPROTO_UDP,
	    .src = TERN_IP4(192, 168, 0, 1),
	    .dst = TERN_IP4(192, 168, 0, 199),
	    .hlen = 60, /* ignored */
	};
	uint8_t *buf = malloc(20);

	TT_EQ(tern_ip4_build(buf, 20, &r), 20);
	TT_CHECK(memcmp(buf, known_hdr, 20) == 0);
	free(buf);
}

TT_TEST(test_ip4_build_refuses_cap_below_twenty_without_writing)
{
	tern_ip4_repr r = {.total_len = 20, .ttl = 1};
	uint8_t buf[20];

	memset(buf, 0xaa, sizeof buf);
	TT_EQ(tern_ip4_build(buf, 19, &r), 0);
	for (size_t i = 0; i < sizeof buf; i++)
		TT_EQ(buf[i], 0xaa);
}

TT_TEST(test_ip4_build_then_parse_round_trips_random_reprs)
{
	for (int i = 0; i < 5000; i++) {
		tern_ip4_repr in = {0}, out;
		size_t plen = (size_t)(rnd() % 64);

		in.tos = (uint8_t)rnd();
		in.total_len = (uint16_t)(20 + plen);
		in.id = (uint16_t)rnd();
		in.df = rnd() & 1;
		in.mf = rnd() & 1;
		in.frag_off = (uint16_t)((rnd() & TERN_IP4_OFFMASK) * 8);
		in.ttl = (uint8_t)rnd();
		in.proto = (uint8_t)rnd();
		in.src = (uint32_t)rnd();
		in.dst = (uint32_t)rnd();
		uint8_t *buf = malloc(20 + plen);

		memset(buf, 0x5a, 20 + plen);
		TT_EQ(tern_ip4_build(buf, 20 + plen, &in), 20);
		TT_EQ(tern_ip4_parse(buf, 20 + plen, true, &out), TERN_WIRE_OK);
		TT_EQ(out.hlen, 20);
		TT_EQ(out.tos, in.tos);
		TT_EQ(out.total_len, in.total_len);
		TT_EQ(out.id, in.id);
		TT_CHECK(out.df == in.df && out.mf == in.mf);
		TT_EQ(out.frag_off, in.frag_off);
		TT_EQ(out.ttl, in.ttl);
		TT_EQ(out.proto, in.proto);
		TT_EQ(out.src, in.src);
		TT_EQ(out.dst, in.dst);
		TT_EQ(out.payload_len, plen);
		free(buf);
	}
}

TT_TEST(test_ip4_parse_survives_random_garbage)
{
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rnd() % 80);
		uint8_t *buf = malloc(n ? n : 1);
		tern_ip4_repr r;

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd();
		if (n && (rnd() & 1))
			buf[0] = (uint8_t)(0x40 | (buf[0] & 0x0f));
		if (tern_ip4_parse(buf, n, false, &r) == TERN_WIRE_OK) {
			TT_CHECK(r.hlen >= 20 && r.hlen <= n);
			TT_CHECK(r.payload + r.payload_len <= buf + n);
		}
		free(buf);
	}
}

TT_TEST(test_wire_verdict_str_names_every_verdict)
{
	TT_CHECK(strcmp(tern_wire_verdict_str(TERN_WIRE_OK), "ok") == 0);
	TT_CHECK(strcmp(tern_wire_verdict_str(TERN_WIRE_TRUNCATED), "truncated") == 0);
	TT_CHECK(strcmp(tern_wire_verdict_str(TERN_WIRE_BAD_CHECKSUM), "bad checksum") == 0);
	for (int v = TERN_WIRE_OK; v <= TERN_WIRE_BAD_OPTION; v++) {
		const char *s = tern_wire_verdict_str(v);

		TT_CHECK(s && *s && strcmp(s, "unknown verdict") != 0);
		for (int w = TERN_WIRE_OK; w < v; w++)
			TT_CHECK(strcmp(s, tern_wire_verdict_str(w)) != 0);
	}
	TT_CHECK(strcmp(tern_wire_verdict_str(-1), "unknown verdict") == 0);
	TT_CHECK(strcmp(tern_wire_verdict_str(99), "unknown verdict") == 0);
}

TT_MAIN(test_ip4_parse_accepts_valid_packet_and_fills_repr,
        test_ip4_parse_every_truncation_is_truncated,
        test_ip4_parse_rejects_version_other_than_four, test_ip4_parse_rejects_ihl_below_five,
        test_ip4_parse_ihl_beyond_buffer_is_truncated,
        test_ip4_parse_accepts_options_and_points_past_them,
        test_ip4_parse_rejects_total_length_below_header_length,
        test_ip4_parse_total_length_beyond_buffer_is_truncated,
        test_ip4_parse_ignores_link_padding_after_total_length,
        test_ip4_parse_rejects_bad_checksum_only_when_verifying,
        test_ip4_parse_checks_in_documented_order, test_ip4_parse_decodes_flags_and_offset_in_bytes,
        test_ip4_build_writes_known_header_bytes,
        test_ip4_build_refuses_cap_below_twenty_without_writing,
        test_ip4_build_then_parse_round_trips_random_reprs, test_ip4_parse_survives_random_garbage,
        test_wire_verdict_str_names_every_verdict)
