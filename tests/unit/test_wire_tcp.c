/*
 * test_wire_tcp.c - TCP header and options, parse and build, good and
 * malformed. Inputs are copied into buffers of exactly their length so ASan
 * sees over-reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tern/tern.h"
#include "tt.h"
#include "wire/wire.h"

static uint64_t rng_state = 0x082efa98ec4e6c89ull;

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
	tern_tcp_repr r;
	int v = tern_tcp_parse(q, n, SRC, DST, verify, &r);

	free(q);
	return v;
}

static int opts_exact(const uint8_t *p, size_t n, tern_tcp_opts *o)
{
	uint8_t *q = dup_exact(p, n);
	int v = tern_tcp_opts_parse(q, n, o);

	free(q);
	return v;
}

/* Hand-made segment: fixed header, the given option bytes (a multiple of
 * 4), payload, and a checksum computed from the definition. */
static size_t make_seg(uint8_t *buf, const uint8_t *opt, size_t olen, const uint8_t *pl,
                       size_t plen)
{
	static const uint8_t hdr[20] = {0x9c, 0x40, 0x00, 0x50, 0,    0,    0, 1, 0, 0,
	                                0,    0,    0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0};
	size_t n = 20 + olen + plen;

	memcpy(buf, hdr, 20);
	buf[12] = (uint8_t)(((20 + olen) / 4) << 4);
	if (olen)
		memcpy(buf + 20, opt, olen);
	if (plen)
		memcpy(buf + 20 + olen, pl, plen);
	uint64_t acc = tern_csum_pseudo4(SRC, DST, TERN_IPPROTO_TCP, (uint16_t)n);

	tern_put16(buf + 16, (uint16_t)~tern_csum_fold(tern_csum_add(acc, buf, n)));
	return n;
}

/* 10.0.0.1:40000 -> 10.0.0.2:80 SYN seq 1 wnd 65535; checksum from an
 * independent byte-pair computation. */
static const uint8_t known_syn[20] = {0x9c, 0x40, 0x00, 0x50, 0,    0,    0,    1,    0, 0,
                                      0,    0,    0x50, 0x02, 0xff, 0xff, 0xff, 0x4e, 0, 0};

TT_TEST(test_tcp_parse_known_syn_fills_repr)
{
	uint8_t *q = dup_exact(known_syn, sizeof known_syn);
	tern_tcp_repr r;

	TT_EQ(tern_tcp_parse(q, 20, SRC, DST, true, &r), TERN_WIRE_OK);
	TT_EQ(r.sport, 40000);
	TT_EQ(r.dport, 80);
	TT_EQ(r.seq, 1);
	TT_EQ(r.ack, 0);
	TT_EQ(r.hlen, 20);
	TT_EQ(r.flags, TERN_TCP_SYN);
	TT_EQ(r.wnd, 65535);
	TT_EQ(r.csum, 0xff4e);
	TT_EQ(r.urp, 0);
	TT_EQ(r.opts.present, 0);
	TT_CHECK(r.payload == q + 20);
	TT_EQ(r.payload_len, 0);
	free(q);
}

TT_TEST(test_tcp_build_writes_known_syn)
{
	tern_tcp_repr r = {.sport = 40000,
	                   .dport = 80,
	                   .seq = 1,
	                   .flags = TERN_TCP_SYN,
	                   .wnd = 65535,
	                   .hlen = 60,
	                   .csum = 0x1234};
	uint8_t *buf = malloc(20);

	TT_EQ(tern_tcp_build(buf, 20, &r, NULL, 0, SRC, DST), 20);
	TT_CHECK(memcmp(buf, known_syn, 20) == 0);
	free(buf);
}

TT_TEST(test_tcp_parse_every_truncation_is_rejected)
{
	static const uint8_t opt[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 1, 2,
	                                3, 4, 5, 6,    7, 8, 1, 3,  3, 7};
	uint8_t seg[20 + 20 + 9];
	size_t n = make_seg(seg, opt, sizeof opt, (const uint8_t *)"123456789", 9);

	TT_EQ(parse_exact(seg, n, true), TERN_WIRE_OK);
	for (size_t k = 0; k < n; k++) {
		if (k < 40) {
			TT_EQ(parse_exact(seg, k, true), TERN_WIRE_TRUNCATED);
			TT_EQ(parse_exact(seg, k, false), TERN_WIRE_TRUNCATED);
		} else {
			/* No length field: a cut payload fails the checksum. */
			TT_EQ(parse_exact(seg, k, true), TERN_WIRE_BAD_CHECKSUM);
			TT_EQ(parse_exact(seg, k, false), TERN_WIRE_OK);
		}
	}
}

TT_TEST(test_tcp_parse_rejects_data_offset_below_five)
{
	uint8_t seg[20];

	memcpy(seg, known_syn, 20);
	for (unsigned off = 0; off < 5; off++) {
		seg[12] = (uint8_t)(off << 4);
		TT_EQ(parse_exact(seg, 20, false), TERN_WIRE_BAD_HLEN);
	}
}

TT_TEST(test_tcp_parse_data_offset_past_end_is_truncated)
{
	uint8_t seg[60] = {0};

	memcpy(seg, known_syn, 20);
	memset(seg + 20, TERN_TCPOPT_NOP, 40);
	for (unsigned off = 6; off <= 15; off++) {
		seg[12] = (uint8_t)(off << 4);
		for (size_t n = 20; n < off * 4; n++)
			TT_EQ(parse_exact(seg, n, false), TERN_WIRE_TRUNCATED);
		TT_EQ(parse_exact(seg, off * 4, false), TERN_WIRE_OK);
	}
}

TT_TEST(test_tcp_parse_rejects_bad_checksum_only_when_verifying)
{
	uint8_t seg[20 + 7];
	size_t n = make_seg(seg, NULL, 0, (const uint8_t *)"payload", 7);

	for (size_t byte = 0; byte < n; byte++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			if (byte == 12 && bit >= 4)
				continue; /* the data offset has its own verdicts */
			seg[byte] ^= (uint8_t)(1u << bit);
			TT_EQ(parse_exact(seg, n, true), TERN_WIRE_BAD_CHECKSUM);
			TT_EQ(parse_exact(seg, n, false), TERN_WIRE_OK);
			seg[byte] ^= (uint8_t)(1u << bit);
		}
	}
}

TT_TEST(test_tcp_parse_checksum_covers_pseudo_header)
{
	tern_tcp_repr r;

	TT_EQ(tern_tcp_parse(known_syn, 20, SRC, DST + 1, true, &r), TERN_WIRE_BAD_CHECKSUM);
	TT_EQ(tern_tcp_parse(known_syn, 20, SRC ^ 1u << 31, DST, true, &r), TERN_WIRE_BAD_CHECKSUM);
}

/* A corrupted segment should count as corrupted, not as a bad option. */
TT_TEST(test_tcp_parse_checks_checksum_before_options)
{
	static const uint8_t bad_opt[4] = {TERN_TCPOPT_MSS, 0, 0, 0};
	uint8_t seg[24];
	size_t n = make_seg(seg, bad_opt, sizeof bad_opt, NULL, 0);

	TT_EQ(parse_exact(seg, n, true), TERN_WIRE_BAD_OPTION);
	seg[0] ^= 1;
	TT_EQ(parse_exact(seg, n, true), TERN_WIRE_BAD_CHECKSUM);
	TT_EQ(parse_exact(seg, n, false), TERN_WIRE_BAD_OPTION);
}

TT_TEST(test_tcp_all_256_flag_combinations_round_trip)
{
	uint8_t buf[20];
	tern_tcp_repr r = {.sport = 1, .dport = 2}, out;

	TT_EQ(TERN_TCP_FIN | TERN_TCP_SYN | TERN_TCP_RST | TERN_TCP_PSH | TERN_TCP_ACK |
	          TERN_TCP_URG | TERN_TCP_ECE | TERN_TCP_CWR,
	      0xff);
	for (unsigned f = 0; f < 256; f++) {
		r.flags = (uint8_t)f;
		TT_EQ(tern_tcp_build(buf, sizeof buf, &r, NULL, 0, SRC, DST), 20);
		TT_EQ(buf[13], f);
		TT_EQ(buf[12] & 0x0f, 0);
		TT_EQ(tern_tcp_parse(buf, 20, SRC, DST, true, &out), TERN_WIRE_OK);
		TT_EQ(out.flags, f);
	}
}

TT_TEST(test_tcp_opts_parse_reads_each_known_option)
{
	static const uint8_t opt[] = {
	    2, 4,  0x05, 0xb4,                           /* MSS 1460 */
	    3, 3,  14,                                   /* WS 14 */
	    4, 2,                                        /* SACK_PERM */
	    8, 10, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7,   /* TS */
	    5, 10, 0,    0,    0,    100,  0, 0, 0, 200, /* SACK 1 */
	};
	tern_tcp_opts o;

	TT_EQ(opts_exact(opt, sizeof opt, &o), TERN_WIRE_OK);
	TT_EQ(o.present, TERN_TCPO_MSS | TERN_TCPO_WSCALE | TERN_TCPO_SACK_PERM | TERN_TCPO_TS |
	                     TERN_TCPO_SACK);
	TT_EQ(o.mss, 1460);
	TT_EQ(o.wscale, 14);
	TT_EQ(o.ts_val, 0xdeadbeef);
	TT_EQ(o.ts_ecr, 7);
	TT_EQ(o.sack_count, 1);
	TT_EQ(o.sack[0].left, 100);
	TT_EQ(o.sack[0].right, 200);
}

TT_TEST(test_tcp_opts_parse_stops_at_eol_and_skips_nops)
{
	static const uint8_t opt[] = {1, 1, 1, 3, 3, 5, 0, 2, 0, 0xff};
	tern_tcp_opts o;

	TT_EQ(opts_exact(opt, sizeof opt, &o), TERN_WIRE_OK);
	TT_EQ(o.present, TERN_TCPO_WSCALE);
	TT_EQ(o.wscale, 5);
	TT_EQ(opts_exact(opt, 3, &o), TERN_WIRE_OK);
	TT_EQ(o.present, 0);
	TT_EQ(opts_exact(opt, 0, &o), TERN_WIRE_OK);
	TT_EQ(o.present, 0);
}

TT_TEST(test_tcp_opts_parse_clears_stale_output)
{
	static const uint8_t opt[] = {2, 4, 0x02, 0x18};
	tern_tcp_opts o;

	memset(&o, 0xa5, sizeof o);
	TT_EQ(opts_exact(opt, sizeof opt, &o), TERN_WIRE_OK);
	TT_EQ(o.present, TERN_TCPO_MSS);
	TT_EQ(o.mss, 536);
	TT_EQ(o.sack_count, 0);
	TT_EQ(o.wscale, 0);
}

TT_TEST(test_tcp_opts_parse_rejects_length_zero_and_one)
{
	static const uint8_t kinds[] = {2, 3, 4, 5, 8, 30, 254};
	uint8_t opt[8] = {0};
	tern_tcp_opts o;

	for (size_t k = 0; k < sizeof kinds; k++) {
		for (uint8_t l = 0; l < 2; l++) {
			opt[0] = kinds[k];
			opt[1] = l;
			TT_EQ(opts_exact(opt, sizeof opt, &o), TERN_WIRE_BAD_OPTION);
		}
	}
}

TT_TEST(test_tcp_opts_parse_rejects_length_past_area)
{
	static const uint8_t kinds[] = {2, 3, 4, 5, 8, 30, 254};
	uint8_t opt[12] = {1, 1};
	tern_tcp_opts o;

	for (size_t k = 0; k < sizeof kinds; k++) {
		opt[2] = kinds[k];
		for (unsigned l = sizeof opt - 2 + 1; l < 256; l++) {
			opt[3] = (uint8_t)l;
			TT_EQ(opts_exact(opt, sizeof opt, &o), TERN_WIRE_BAD_OPTION);
		}
	}
}

TT_TEST(test_tcp_opts_parse_rejects_kind_with_no_room_for_length)
{
	uint8_t opt[4] = {1, 1, 1, 0};
	tern_tcp_opts o;

	for (unsigned kind = 0; kind < 256; kind++) {
		opt[3] = (uint8_t)kind;
		TT_EQ(opts_exact(opt, sizeof opt, &o),
		      kind <= TERN_TCPOPT_NOP ? TERN_WIRE_OK : TERN_WIRE_BAD_OPTION);
	}
}

TT_TEST(test_tcp_opts_parse_skips_unknown_kinds_by_length)
{
	static const uint8_t opt[] = {30, 6, 2, 4, 0xff, 0xff, 254, 2, 2, 4, 0x05, 0xb4, 99, 3, 0};
	tern_tcp_opts o;

	TT_EQ(opts_exact(opt, sizeof opt, &o), TERN_WIRE_OK);
	TT_EQ(o.present, TERN_TCPO_MSS);
	TT_EQ(o.mss, 1460);
}

TT_TEST(test_tcp_opts_parse_rejects_known_kind_with_wrong_length)
{
	static const struct {
		uint8_t kind, len;
	} known[] = {{2, 4}, {3, 3}, {4, 2}, {8, 10}};
	uint8_t opt[40] = {0};
	tern_tcp_opts o;

	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
		for (unsigned l = 2; l <= sizeof opt; l++) {
			opt[0] = known[k].kind;
			opt[1] = (uint8_t)l;
			TT_EQ(opts_exact(opt, sizeof opt, &o),
			      l == known[k].len ? TERN_WIRE_OK : TERN_WIRE_BAD_OPTION);
		}
	}
}

TT_TEST(test_tcp_opts_parse_reads_sack_with_one_to_four_blocks)
{
	uint8_t opt[2 + 32];
	tern_tcp_opts o;

	opt[0] = TERN_TCPOPT_SACK;
	for (unsigned i = 0; i < 8; i++)
		tern_put32(opt + 2 + 4 * i, 1000u * (i + 1) + i);
	for (unsigned n = 1; n <= 4; n++) {
		opt[1] = (uint8_t)(2 + 8 * n);
		TT_EQ(opts_exact(opt, 2 + 8 * n, &o), TERN_WIRE_OK);
		TT_EQ(o.present, TERN_TCPO_SACK);
		TT_EQ(o.sack_count, n);
		for (unsigned i = 0; i < n; i++) {
			TT_EQ(o.sack[i].left, 1000u * (2 * i + 1) + 2 * i);
			TT_EQ(o.sack[i].right, 1000u * (2 * i + 2) + 2 * i + 1);
		}
	}
}

TT_TEST(test_tcp_opts_parse_rejects_sack_not_one_to_four_whole_blocks)
{
	uint8_t opt[44] = {TERN_TCPOPT_SACK};
	tern_tcp_opts o;

	for (unsigned l = 2; l <= sizeof opt; l++) {
		bool good = l >= 10 && l <= 34 && (l - 2) % 8 == 0;

		opt[1] = (uint8_t)l;
		TT_EQ(opts_exact(opt, sizeof opt, &o), good ? TERN_WIRE_OK : TERN_WIRE_BAD_OPTION);
	}
}

/* RFC 9293 3.2 (MUST-64): options need not start on a word boundary. */
TT_TEST(test_tcp_opts_parse_handles_unaligned_options)
{
	static const uint8_t opt[] = {1, 8, 10, 0,    0,    0, 1, 0, 0, 0,
	                              2, 2, 4,  0x23, 0x28, 1, 3, 3, 2};
	tern_tcp_opts o;

	TT_EQ(opts_exact(opt, sizeof opt, &o), TERN_WIRE_OK);
	TT_EQ(o.present, TERN_TCPO_TS | TERN_TCPO_MSS | TERN_TCPO_WSCALE);
	TT_EQ(o.ts_val, 1);
	TT_EQ(o.ts_ecr, 2);
	TT_EQ(o.mss, 9000);
	TT_EQ(o.wscale, 2);
}

/* Cutting a valid area anywhere: at an option boundary it parses, inside
 * an option it is a bad option; never a read past the cut. */
TT_TEST(test_tcp_opts_parse_every_truncation_of_area)
{
	static const uint8_t opt[] = {2, 4, 5, 0xb4, 1, 3, 3,  7, 1, 1, 5,  10, 0,
	                              0, 0, 1, 0,    0, 0, 2,  1, 1, 8, 10, 0,  0,
	                              0, 3, 0, 0,    0, 4, 30, 4, 0, 0, 1,  0};
	static const size_t bounds[] = {0, 4, 5, 8, 9, 10, 20, 21, 22, 32, 36, 37, 38};
	tern_tcp_opts o;

	for (size_t n = 0; n <= sizeof opt; n++) {
		bool at_bound = false;

		for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++)
			at_bound |= bounds[b] == n;
		TT_EQ(opts_exact(opt, n, &o), at_bound ? TERN_WIRE_OK : TERN_WIRE_BAD_OPTION);
	}
	TT_EQ(o.present, TERN_TCPO_MSS | TERN_TCPO_WSCALE | TERN_TCPO_SACK | TERN_TCPO_TS);
}

TT_TEST(test_tcp_opts_build_uses_linux_syn_layout)
{
	tern_tcp_opts o = {.present = TERN_TCPO_MSS | TERN_TCPO_SACK_PERM | TERN_TCPO_TS |
	                              TERN_TCPO_WSCALE,
	                   .mss = 1460,
	                   .wscale = 7,
	                   .ts_val = 0x01020304,
	                   .ts_ecr = 0};
	static const uint8_t want[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 1, 2,
	                                 3, 4, 0, 0,    0, 0, 1, 3,  3, 7};
	uint8_t *buf = malloc(20);

	TT_EQ(tern_tcp_opts_build(buf, 20, &o), 20);
	TT_CHECK(memcmp(buf, want, 20) == 0);
	free(buf);
}

TT_TEST(test_tcp_opts_build_aligns_ts_and_sack_with_nops)
{
	tern_tcp_opts o = {.present = TERN_TCPO_TS | TERN_TCPO_SACK,
	                   .ts_val = 5,
	                   .ts_ecr = 6,
	                   .sack_count = 1,
	                   .sack = {{0x11111111, 0x22222222}}};
	static const uint8_t want[24] = {1,    1,    8,    10,   0,    0,    0,    5,
	                                 0,    0,    0,    6,    1,    1,    5,    10,
	                                 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22};
	static const uint8_t want_sp[4] = {1, 1, 4, 2};
	uint8_t buf[40];

	TT_EQ(tern_tcp_opts_build(buf, sizeof buf, &o), 24);
	TT_CHECK(memcmp(buf, want, 24) == 0);
	o.present = TERN_TCPO_SACK_PERM;
	TT_EQ(tern_tcp_opts_build(buf, sizeof buf, &o), 4);
	TT_CHECK(memcmp(buf, want_sp, 4) == 0);
	o.present = 0;
	TT_EQ(tern_tcp_opts_build(buf, sizeof buf, &o), 0);
}

static void random_opts(tern_tcp_opts *o, unsigned present)
{
	memset(o, 0, sizeof *o);
	o->present = present;
	o->mss = (uint16_t)rnd();
	o->wscale = (uint8_t)rnd();
	o->ts_val = (uint32_t)rnd();
	o->ts_ecr = (uint32_t)rnd();
	o->sack_count = (present & TERN_TCPO_SACK) ? (uint8_t)(1 + rnd() % 4) : 0;
	for (unsigned i = 0; i < o->sack_count; i++) {
		o->sack[i].left = (uint32_t)rnd();
		o->sack[i].right = (uint32_t)rnd();
	}
}

/* Fields of absent options are unspecified after a parse; compare only
 * what is present. */
static bool opts_equal(const tern_tcp_opts *a, const tern_tcp_opts *b)
{
	unsigned p = a->present;

	if (p != b->present)
		return false;
	if ((p & TERN_TCPO_MSS) && a->mss != b->mss)
		return false;
	if ((p & TERN_TCPO_WSCALE) && a->wscale != b->wscale)
		return false;
	if ((p & TERN_TCPO_TS) && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr))
		return false;
	if ((p & TERN_TCPO_SACK) && a->sack_count != b->sack_count)
		return false;
	for (unsigned i = 0; (p & TERN_TCPO_SACK) && i < a->sack_count; i++)
		if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
			return false;
	return true;
}

/* Every subset of options, every SACK count: a multiple of 4 that parses
 * back to the input, or 0 when over 40 bytes. */
TT_TEST(test_tcp_opts_build_round_trips_every_combination)
{
	for (unsigned present = 0; present < 32; present++) {
		for (int rep = 0; rep < 40; rep++) {
			tern_tcp_opts in, out;
			uint8_t buf[64];

			random_opts(&in, present);
			size_t want = (present & TERN_TCPO_MSS ? 4 : 0) +
			              (present & TERN_TCPO_TS          ? 12
			               : present & TERN_TCPO_SACK_PERM ? 4
			                                               : 0) +
			              (present & TERN_TCPO_WSCALE ? 4 : 0) +
			              (in.sack_count ? 4 + 8 * (size_t)in.sack_count : 0);
			size_t n = tern_tcp_opts_build(buf, sizeof buf, &in);

			TT_EQ(n, want <= 40 ? want : 0);
			TT_EQ(n % 4, 0);
			if (n == 0 && present)
				continue;
			TT_EQ(opts_exact(buf, n, &out), TERN_WIRE_OK);
			TT_CHECK(opts_equal(&in, &out));
		}
	}
}

TT_TEST(test_tcp_opts_build_refuses_too_big_without_writing)
{
	tern_tcp_opts o;
	uint8_t buf[48];

	random_opts(&o, TERN_TCPO_MSS | TERN_TCPO_TS | TERN_TCPO_SACK);
	o.sack_count = 3; /* 4 + 12 + 28 = 44 */
	memset(buf, 0xaa, sizeof buf);
	TT_EQ(tern_tcp_opts_build(buf, sizeof buf, &o), 0);
	o.present &= ~(unsigned)TERN_TCPO_MSS; /* 40: fits only a cap of 40 */
	TT_EQ(tern_tcp_opts_build(buf, 39, &o), 0);
	o.sack_count = 5;
	TT_EQ(tern_tcp_opts_build(buf, sizeof buf, &o), 0);
	for (size_t i = 0; i < sizeof buf; i++)
		TT_EQ(buf[i], 0xaa);
	o.sack_count = 3;
	TT_EQ(tern_tcp_opts_build(buf, 40, &o), 40);
}

TT_TEST(test_tcp_build_then_parse_round_trips_random_segments)
{
	for (int i = 0; i < 5000; i++) {
		tern_tcp_repr in = {0}, out;
		uint8_t pl[200];
		size_t plen = (size_t)(rnd() % sizeof pl);
		uint32_t src = (uint32_t)rnd(), dst = (uint32_t)rnd();

		random_opts(&in.opts, (unsigned)(rnd() % 32));
		if (in.opts.sack_count > 2)
			in.opts.sack_count = 2; /* so any mix fits in 40 bytes */
		in.sport = (uint16_t)rnd();
		in.dport = (uint16_t)rnd();
		in.seq = (uint32_t)rnd();
		in.ack = (uint32_t)rnd();
		in.flags = (uint8_t)rnd();
		in.wnd = (uint16_t)rnd();
		in.urp = (uint16_t)rnd();
		for (size_t k = 0; k < plen; k++)
			pl[k] = (uint8_t)rnd();
		uint8_t obuf[40];
		size_t olen = tern_tcp_opts_build(obuf, sizeof obuf, &in.opts);
		size_t total = 20 + olen + plen;
		uint8_t *buf = malloc(total);

		TT_EQ(tern_tcp_build(buf, total, &in, pl, plen, src, dst), total);
		TT_EQ(tern_tcp_parse(buf, total, src, dst, true, &out), TERN_WIRE_OK);
		TT_EQ(out.sport, in.sport);
		TT_EQ(out.dport, in.dport);
		TT_EQ(out.seq, in.seq);
		TT_EQ(out.ack, in.ack);
		TT_EQ(out.flags, in.flags);
		TT_EQ(out.wnd, in.wnd);
		TT_EQ(out.urp, in.urp);
		TT_EQ(out.hlen, 20 + olen);
		TT_CHECK(opts_equal(&in.opts, &out.opts));
		TT_EQ(out.payload_len, plen);
		TT_CHECK(plen == 0 || memcmp(out.payload, pl, plen) == 0);
		free(buf);
	}
}

TT_TEST(test_tcp_build_refuses_small_cap_without_writing)
{
	tern_tcp_repr r = {.flags = TERN_TCP_SYN, .opts = {.present = TERN_TCPO_MSS, .mss = 1460}};
	uint8_t buf[32];

	memset(buf, 0xaa, sizeof buf);
	TT_EQ(tern_tcp_build(buf, 23, &r, NULL, 0, SRC, DST), 0);
	TT_EQ(tern_tcp_build(buf, 27, &r, (const uint8_t *)"abcd", 4, SRC, DST), 0);
	r.opts.present |= TERN_TCPO_SACK;
	r.opts.sack_count = 5;
	TT_EQ(tern_tcp_build(buf, sizeof buf, &r, NULL, 0, SRC, DST), 0);
	for (size_t i = 0; i < sizeof buf; i++)
		TT_EQ(buf[i], 0xaa);
}

/* The payload may already sit at its final place, or where the header and
 * options go. */
TT_TEST(test_tcp_build_accepts_overlapping_payload)
{
	tern_tcp_repr r = {.sport = 1,
	                   .dport = 2,
	                   .flags = TERN_TCP_ACK,
	                   .opts = {.present = TERN_TCPO_TS, .ts_val = 1}},
	              out;
	uint8_t *buf = malloc(32 + 10);

	memcpy(buf + 32, "0123456789", 10);
	TT_EQ(tern_tcp_build(buf, 42, &r, buf + 32, 10, SRC, DST), 42);
	TT_EQ(tern_tcp_parse(buf, 42, SRC, DST, true, &out), TERN_WIRE_OK);
	TT_CHECK(memcmp(out.payload, "0123456789", 10) == 0);
	memcpy(buf + 20, "abcdefghij", 10);
	TT_EQ(tern_tcp_build(buf, 42, &r, buf + 20, 10, SRC, DST), 42);
	TT_EQ(tern_tcp_parse(buf, 42, SRC, DST, true, &out), TERN_WIRE_OK);
	TT_CHECK(memcmp(out.payload, "abcdefghij", 10) == 0);
	free(buf);
}

TT_TEST(test_tcp_parse_survives_random_garbage)
{
	for (int i = 0; i < 30000; i++) {
		size_t n = (size_t)(rnd() % 72);
		uint8_t *buf = malloc(n ? n : 1);
		tern_tcp_repr r;

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)(rnd() % 4 ? rnd() % 12 : rnd());
		if (n > 12 && (rnd() & 1))
			buf[12] = (uint8_t)((5 + rnd() % 11) << 4);
		if (tern_tcp_parse(buf, n, SRC, DST, false, &r) == TERN_WIRE_OK) {
			TT_CHECK(r.hlen >= 20 && r.hlen <= n);
			TT_CHECK(r.payload + r.payload_len == buf + n);
			TT_CHECK(r.opts.sack_count <= TERN_TCP_MAX_SACK);
		}
		free(buf);
	}
}

/* A header built in front of a payload placed and summed beforehand is the
 * segment tern_tcp_build makes, byte for byte, for every option set and
 * odd and even payload lengths. */
TT_TEST(test_tcp_build_hdr_equals_build_with_the_payload_presummed)
{
	uint8_t payload[1500], a[1600], b[1600];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	tern_tcp_repr r = {.sport = 1234, .dport = 80, .seq = 0xdeadbeef, .ack = 42,
			   .flags = TERN_TCP_ACK | TERN_TCP_PSH, .wnd = 512};
	unsigned sets[] = {0, TERN_TCPO_TS, TERN_TCPO_TS | TERN_TCPO_SACK, TERN_TCPO_MSS | TERN_TCPO_WSCALE};
	for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
		r.opts.present = sets[k];
		r.opts.ts_val = 99;
		r.opts.mss = 1460;
		r.opts.wscale = 7;
		r.opts.sack_count = 2;
		r.opts.sack[0].left = 10;
		r.opts.sack[0].right = 20;
		r.opts.sack[1].left = 30;
		r.opts.sack[1].right = 40;
		for (size_t n = 0; n < 40; n += 7) {
			size_t la = tern_tcp_build(a, sizeof a, &r, payload, n, 0x0a000001, 0x0a000002);
			size_t hl = 20 + tern_tcp_opts_len(&r.opts);
			uint64_t s = tern_csum_copy(0, b + hl, payload, n);
			size_t lb = tern_tcp_build_hdr(b, sizeof b, &r, n, s, 0x0a000001, 0x0a000002);
			TT_EQ(la, lb);
			TT_CHECK(memcmp(a, b, la) == 0);
		}
	}
}

TT_MAIN(test_tcp_parse_known_syn_fills_repr, test_tcp_build_writes_known_syn,
        test_tcp_parse_every_truncation_is_rejected, test_tcp_parse_rejects_data_offset_below_five,
        test_tcp_parse_data_offset_past_end_is_truncated,
        test_tcp_parse_rejects_bad_checksum_only_when_verifying,
        test_tcp_parse_checksum_covers_pseudo_header, test_tcp_parse_checks_checksum_before_options,
        test_tcp_all_256_flag_combinations_round_trip, test_tcp_opts_parse_reads_each_known_option,
        test_tcp_opts_parse_stops_at_eol_and_skips_nops, test_tcp_opts_parse_clears_stale_output,
        test_tcp_opts_parse_rejects_length_zero_and_one,
        test_tcp_opts_parse_rejects_length_past_area,
        test_tcp_opts_parse_rejects_kind_with_no_room_for_length,
        test_tcp_opts_parse_skips_unknown_kinds_by_length,
        test_tcp_opts_parse_rejects_known_kind_with_wrong_length,
        test_tcp_opts_parse_reads_sack_with_one_to_four_blocks,
        test_tcp_opts_parse_rejects_sack_not_one_to_four_whole_blocks,
        test_tcp_opts_parse_handles_unaligned_options, test_tcp_opts_parse_every_truncation_of_area,
        test_tcp_opts_build_uses_linux_syn_layout, test_tcp_opts_build_aligns_ts_and_sack_with_nops,
        test_tcp_opts_build_round_trips_every_combination,
        test_tcp_opts_build_refuses_too_big_without_writing,
        test_tcp_build_then_parse_round_trips_random_segments,
        test_tcp_build_refuses_small_cap_without_writing,
        test_tcp_build_accepts_overlapping_payload, test_tcp_parse_survives_random_garbage,
	test_tcp_build_hdr_equals_build_with_the_payload_presummed)
