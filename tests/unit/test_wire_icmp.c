/*
 * test_wire_icmp.c - ICMP parse and build, good and malformed. Inputs are
 * copied into buffers of exactly their length so ASan sees over-reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tt.h"
#include "wire/wire.h"

static uint64_t rng_state = 0x13198a2e03707344ull;

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

static int parse_exact(const uint8_t *p, size_t n)
{
	uint8_t *q = dup_exact(p, n);
	tern_icmp4_repr r;
	int v = tern_icmp4_parse(q, n, &r);

	free(q);
	return v;
}

/* Echo request, id 0, seq 3: sum 0x0803, so checksum 0xf7fc. */
static const uint8_t echo_req[8] = {0x08, 0x00, 0xf7, 0xfc, 0x00, 0x00, 0x00, 0x03};

/* Fix the checksum of a hand-made message. */
static void seal(uint8_t *p, size_t n)
{
	tern_put16(p + 2, 0);
	tern_put16(p + 2, tern_csum(p, n));
}

TT_TEST(test_icmp_parse_known_echo_request)
{
	uint8_t *q = dup_exact(echo_req, sizeof echo_req);
	tern_icmp4_repr r;

	TT_EQ(tern_icmp4_parse(q, sizeof echo_req, &r), TERN_WIRE_OK);
	TT_EQ(r.type, TERN_ICMP_ECHO_REQUEST);
	TT_EQ(r.code, 0);
	TT_EQ(r.id, 0);
	TT_EQ(r.seq, 3);
	TT_EQ(r.rest, 3);
	TT_EQ(r.mtu, 0);
	TT_CHECK(r.data == q + 8);
	TT_EQ(r.data_len, 0);
	free(q);
}

TT_TEST(test_icmp_parse_echo_with_data_points_after_header)
{
	uint8_t msg[8 + 11] = {TERN_ICMP_ECHO_REPLY, 0, 0, 0, 0x12, 0x34, 0xab, 0xcd};

	memcpy(msg + 8, "hello world", 11);
	seal(msg, sizeof msg);
	uint8_t *q = dup_exact(msg, sizeof msg);
	tern_icmp4_repr r;

	TT_EQ(tern_icmp4_parse(q, sizeof msg, &r), TERN_WIRE_OK);
	TT_EQ(r.id, 0x1234);
	TT_EQ(r.seq, 0xabcd);
	TT_EQ(r.rest, 0x1234abcd);
	TT_CHECK(r.data == q + 8);
	TT_EQ(r.data_len, 11);
	TT_CHECK(memcmp(r.data, "hello world", 11) == 0);
	free(q);
}

/* No length field: a shortened message fails its checksum instead. */
TT_TEST(test_icmp_parse_every_truncation_is_rejected)
{
	uint8_t msg[8 + 24] = {TERN_ICMP_ECHO_REQUEST, 0, 0, 0, 0, 7, 0, 9};

	for (size_t i = 8; i < sizeof msg; i++)
		msg[i] = (uint8_t)(0x40 + i);
	seal(msg, sizeof msg);
	TT_EQ(parse_exact(msg, sizeof msg), TERN_WIRE_OK);
	for (size_t n = 0; n < sizeof msg; n++)
		TT_EQ(parse_exact(msg, n), n < 8 ? TERN_WIRE_TRUNCATED : TERN_WIRE_BAD_CHECKSUM);
}

TT_TEST(test_icmp_parse_rejects_any_flipped_bit)
{
	uint8_t msg[8 + 13] = {TERN_ICMP_DEST_UNREACH, TERN_ICMP_PORT_UNREACH};

	for (size_t i = 8; i < sizeof msg; i++)
		msg[i] = (uint8_t)rnd();
	seal(msg, sizeof msg);
	for (size_t byte = 0; byte < sizeof msg; byte++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			msg[byte] ^= (uint8_t)(1u << bit);
			TT_EQ(parse_exact(msg, sizeof msg), TERN_WIRE_BAD_CHECKSUM);
			msg[byte] ^= (uint8_t)(1u << bit);
		}
	}
}

/* RFC 1624 5: a receiver summing over the field accepts +0 and -0 alike. */
TT_TEST(test_icmp_parse_accepts_either_zero_checksum_form)
{
	/* 0x08ff + 0xf700 = 0xffff: the checksum is 0 (or -0, 0xffff). */
	uint8_t msg[8] = {0x08, 0xff, 0x00, 0x00, 0xf7, 0x00, 0x00, 0x00};

	TT_EQ(tern_csum(msg, sizeof msg), 0);
	TT_EQ(parse_exact(msg, sizeof msg), TERN_WIRE_OK);
	tern_put16(msg + 2, 0xffff);
	TT_EQ(parse_exact(msg, sizeof msg), TERN_WIRE_OK);
}

TT_TEST(test_icmp_parse_all_zero_message_fails_checksum)
{
	uint8_t msg[8] = {0};

	TT_EQ(parse_exact(msg, sizeof msg), TERN_WIRE_BAD_CHECKSUM);
}

TT_TEST(test_icmp_parse_frag_needed_reports_next_hop_mtu)
{
	uint8_t msg[8 + 28] = {
	    TERN_ICMP_DEST_UNREACH, TERN_ICMP_FRAG_NEEDED, 0, 0, 0x00, 0x00, 0x05, 0xdc, 0x45};
	tern_icmp4_repr r;

	seal(msg, sizeof msg);
	uint8_t *q = dup_exact(msg, sizeof msg);

	TT_EQ(tern_icmp4_parse(q, sizeof msg, &r), TERN_WIRE_OK);
	TT_EQ(r.mtu, 1500);
	TT_EQ(r.rest, 1500);
	TT_CHECK(r.data == q + 8);
	TT_EQ(r.data_len, 28);
	TT_EQ(r.data[0], 0x45);
	free(q);
}

TT_TEST(test_icmp_parse_mtu_is_zero_unless_frag_needed)
{
	uint8_t msg[8] = {
	    TERN_ICMP_DEST_UNREACH, TERN_ICMP_PORT_UNREACH, 0, 0, 0x00, 0x00, 0x05, 0xdc};
	tern_icmp4_repr r;

	seal(msg, sizeof msg);
	TT_EQ(tern_icmp4_parse(msg, sizeof msg, &r), TERN_WIRE_OK);
	TT_EQ(r.mtu, 0);
	msg[0] = TERN_ICMP_TIME_EXCEEDED;
	msg[1] = TERN_ICMP_FRAG_NEEDED;
	seal(msg, sizeof msg);
	TT_EQ(tern_icmp4_parse(msg, sizeof msg, &r), TERN_WIRE_OK);
	TT_EQ(r.mtu, 0);
}

TT_TEST(test_icmp_parse_fills_rest_id_seq_for_every_type)
{
	uint8_t msg[8] = {0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
	tern_icmp4_repr r;

	for (unsigned t = 0; t < 256; t++) {
		msg[0] = (uint8_t)t;
		msg[1] = (uint8_t)(t * 7);
		seal(msg, sizeof msg);
		TT_EQ(tern_icmp4_parse(msg, sizeof msg, &r), TERN_WIRE_OK);
		TT_EQ(r.type, t);
		TT_EQ(r.code, (uint8_t)(t * 7));
		TT_EQ(r.rest, 0xdeadbeef);
		TT_EQ(r.id, 0xdead);
		TT_EQ(r.seq, 0xbeef);
	}
}

TT_TEST(test_icmp_build_writes_known_echo_request)
{
	tern_icmp4_repr r = {.type = TERN_ICMP_ECHO_REQUEST,
	                     .id = 0,
	                     .seq = 3,
	                     .rest = 0xffffffff /* ignored for echo */};
	uint8_t *buf = malloc(8);

	TT_EQ(tern_icmp4_build(buf, 8, &r), 8);
	TT_CHECK(memcmp(buf, echo_req, 8) == 0);
	free(buf);
}

TT_TEST(test_icmp_build_frag_needed_folds_mtu_into_rest)
{
	tern_icmp4_repr r = {
	    .type = TERN_ICMP_DEST_UNREACH, .code = TERN_ICMP_FRAG_NEEDED, .mtu = 1280};
	uint8_t buf[8];
	tern_icmp4_repr out;

	TT_EQ(tern_icmp4_build(buf, sizeof buf, &r), 8);
	TT_EQ(tern_get32(buf + 4), 1280);
	TT_EQ(tern_icmp4_parse(buf, sizeof buf, &out), TERN_WIRE_OK);
	TT_EQ(out.mtu, 1280);
}

TT_TEST(test_icmp_build_other_types_write_rest_verbatim)
{
	tern_icmp4_repr r = {.type = TERN_ICMP_PARAM_PROBLEM,
	                     .rest = 0x14000000,
	                     .id = 0x1111,
	                     .seq = 0x2222,
	                     .mtu = 999};
	uint8_t buf[8];

	TT_EQ(tern_icmp4_build(buf, sizeof buf, &r), 8);
	TT_EQ(tern_get32(buf + 4), 0x14000000);
	r.type = TERN_ICMP_DEST_UNREACH;
	r.code = TERN_ICMP_PORT_UNREACH;
	r.rest = 0;
	TT_EQ(tern_icmp4_build(buf, sizeof buf, &r), 8);
	TT_EQ(tern_get32(buf + 4), 0);
}

TT_TEST(test_icmp_build_refuses_small_cap_without_writing)
{
	uint8_t data[20] = {1, 2, 3}, buf[28];
	tern_icmp4_repr r = {.type = TERN_ICMP_ECHO_REPLY, .data = data, .data_len = sizeof data};

	memset(buf, 0xaa, sizeof buf);
	TT_EQ(tern_icmp4_build(buf, 27, &r), 0);
	TT_EQ(tern_icmp4_build(buf, 7, &r), 0);
	for (size_t i = 0; i < sizeof buf; i++)
		TT_EQ(buf[i], 0xaa);
	TT_EQ(tern_icmp4_build(buf, 28, &r), 28);
}

TT_TEST(test_icmp_build_accepts_data_already_in_place)
{
	uint8_t *buf = malloc(8 + 5);
	tern_icmp4_repr r = {.type = TERN_ICMP_ECHO_REPLY,
	                     .id = 9,
	                     .seq = 10,
	                     .data = buf + 8,
	                     .data_len = 5},
	                out;

	memcpy(buf + 8, "quote", 5);
	TT_EQ(tern_icmp4_build(buf, 13, &r), 13);
	TT_EQ(tern_icmp4_parse(buf, 13, &out), TERN_WIRE_OK);
	TT_CHECK(memcmp(out.data, "quote", 5) == 0);
	free(buf);
}

TT_TEST(test_icmp_build_then_parse_round_trips_random_messages)
{
	static const uint8_t types[] = {0, 3, 8, 11, 12, 5, 42};

	for (int i = 0; i < 5000; i++) {
		uint8_t data[100];
		size_t dlen = (size_t)(rnd() % sizeof data);
		tern_icmp4_repr in = {0}, out;

		for (size_t k = 0; k < dlen; k++)
			data[k] = (uint8_t)rnd();
		in.type = types[rnd() % sizeof types];
		in.code = (uint8_t)(rnd() % 6);
		in.id = (uint16_t)rnd();
		in.seq = (uint16_t)rnd();
		in.mtu = (uint16_t)rnd();
		in.rest = (uint32_t)rnd() & 0xff000000u;
		in.data = data;
		in.data_len = dlen;
		uint8_t *buf = malloc(8 + dlen);

		TT_EQ(tern_icmp4_build(buf, 8 + dlen, &in), 8 + dlen);
		TT_EQ(tern_icmp4_parse(buf, 8 + dlen, &out), TERN_WIRE_OK);
		TT_EQ(out.type, in.type);
		TT_EQ(out.code, in.code);
		if (in.type == TERN_ICMP_ECHO_REQUEST || in.type == TERN_ICMP_ECHO_REPLY) {
			TT_EQ(out.id, in.id);
			TT_EQ(out.seq, in.seq);
		} else if (in.type == TERN_ICMP_DEST_UNREACH && in.code == TERN_ICMP_FRAG_NEEDED) {
			TT_EQ(out.mtu, in.mtu);
			TT_EQ(out.rest, in.rest | in.mtu);
		} else {
			TT_EQ(out.rest, in.rest);
		}
		TT_EQ(out.data_len, dlen);
		TT_CHECK(dlen == 0 || memcmp(out.data, data, dlen) == 0);
		free(buf);
	}
}

TT_TEST(test_icmp_parse_survives_random_garbage)
{
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rnd() % 40);
		uint8_t *buf = malloc(n ? n : 1);
		tern_icmp4_repr r;

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rnd();
		if (n >= 8 && (rnd() & 1))
			seal(buf, n);
		if (tern_icmp4_parse(buf, n, &r) == TERN_WIRE_OK)
			TT_CHECK(n >= 8 && r.data + r.data_len == buf + n);
		free(buf);
	}
}

TT_MAIN(test_icmp_parse_known_echo_request, test_icmp_parse_echo_with_data_points_after_header,
        test_icmp_parse_every_truncation_is_rejected, test_icmp_parse_rejects_any_flipped_bit,
        test_icmp_parse_accepts_either_zero_checksum_form,
        test_icmp_parse_all_zero_message_fails_checksum,
        test_icmp_parse_frag_needed_reports_next_hop_mtu,
        test_icmp_parse_mtu_is_zero_unless_frag_needed,
        test_icmp_parse_fills_rest_id_seq_for_every_type, test_icmp_build_writes_known_echo_request,
        test_icmp_build_frag_needed_folds_mtu_into_rest,
        test_icmp_build_other_types_write_rest_verbatim,
        test_icmp_build_refuses_small_cap_without_writing,
        test_icmp_build_accepts_data_already_in_place,
        test_icmp_build_then_parse_round_trips_random_messages,
        test_icmp_parse_survives_random_garbage)
