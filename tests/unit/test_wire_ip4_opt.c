/* test_wire_ip4_opt.c - IPv4 option walking and source route options:
 * round trip, padding, every malformed length rejected, other options
 * skipped, and nothing read past the buffer (inputs are copied into
 * buffers of their exact length for ASan). */
#include <stdlib.h>
#include <string.h>

#include "tt.h"
#include "wire/wire.h"

static int parse_exact(const uint8_t *src, size_t len, tern_ip4_srcroute *sr, uint8_t *ptr)
{
	uint8_t *b = malloc(len ? len : 1);
	memcpy(b, src, len);
	int rc = tern_ip4_opt_srcroute(b, len, sr, ptr);
	free(b);
	return rc;
}

TT_TEST(test_source_route_option_round_trips_with_padding)
{
	tern_ip4_srcroute sr = {.n = 3, .strict = true, .hop = {0x0a000001, 0x0a000002, 0x0a000003}};
	uint8_t opt[40];
	size_t n = tern_ip4_opt_srcroute_build(opt, sizeof opt, &sr, 0xc0000201);
	TT_EQ(n, 16);  /* 3 + 4*3 = 15, padded */
	TT_EQ(opt[0], TERN_IPOPT_SSRR);
	TT_EQ(opt[1], 15);
	TT_EQ(opt[2], 4);
	TT_EQ(opt[15], TERN_IPOPT_EOL);
	tern_ip4_srcroute back;
	uint8_t ptr;
	TT_EQ(parse_exact(opt, n, &back, &ptr), TERN_WIRE_OK);
	TT_EQ(back.n, 3);
	TT_CHECK(back.strict);
	TT_EQ(back.hop[0], 0x0a000002);  /* hops after the first, then the destination */
	TT_EQ(back.hop[2], 0xc0000201);
	TT_EQ(ptr, 4);
	TT_EQ(tern_ip4_opt_srcroute_build(opt, 8, &sr, 1), 0);  /* does not fit */
}

TT_TEST(test_other_options_are_skipped_and_absence_is_not_an_error)
{
	uint8_t opts[8] = {TERN_IPOPT_NOP, 7, 3, 4, 0, 0, 0, TERN_IPOPT_EOL}; /* record route */
	tern_ip4_srcroute sr;
	uint8_t ptr;
	TT_EQ(parse_exact(opts, sizeof opts, &sr, &ptr), TERN_WIRE_OK);
	TT_EQ(sr.n, 0);
	TT_EQ(parse_exact(opts, 0, &sr, &ptr), TERN_WIRE_OK);
}

TT_TEST(test_malformed_option_lengths_are_rejected)
{
	static const uint8_t bad[][8] = {
		{7, 0, 0, 0},                       /* length 0 */
		{7, 1, 0, 0},                       /* length 1 */
		{7, 9, 4, 0},                       /* past the area */
		{TERN_IPOPT_LSRR, 6, 4, 0, 0, 0},   /* not 3 + 4n */
		{TERN_IPOPT_LSRR, 7, 3, 1, 2, 3, 4},/* pointer before the addresses */
		{TERN_IPOPT_LSRR},                  /* no length byte */
	};
	static const size_t lens[] = {4, 4, 4, 8, 8, 1};
	/* found by fuzzing: a route of 10 addresses (43 bytes) in a buffer
	 * longer than an option area would overflow the 9-address route */
	uint8_t long_route[44] = {TERN_IPOPT_LSRR, 43, 4};
	tern_ip4_srcroute lr;
	uint8_t lp;
	TT_EQ(parse_exact(long_route, sizeof long_route, &lr, &lp), TERN_WIRE_BAD_OPTION);
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		tern_ip4_srcroute sr;
		uint8_t ptr;
		TT_EQ(parse_exact(bad[i], lens[i], &sr, &ptr), TERN_WIRE_BAD_OPTION);
	}
}

TT_TEST(test_header_with_options_sets_ihl_and_checksum)
{
	uint8_t opt[4] = {TERN_IPOPT_NOP, TERN_IPOPT_NOP, TERN_IPOPT_NOP, TERN_IPOPT_EOL};
	tern_ip4_repr r = {.total_len = 24, .ttl = 9, .proto = 17, .src = 1, .dst = 2};
	uint8_t b[24];
	TT_EQ(tern_ip4_build_opts(b, sizeof b, &r, opt, 4), 24);
	tern_ip4_repr p;
	TT_EQ(tern_ip4_parse(b, sizeof b, true, &p), TERN_WIRE_OK);
	TT_EQ(p.hlen, 24);
	TT_EQ(tern_ip4_build_opts(b, sizeof b, &r, opt, 3), 0);  /* not a multiple of 4 */
}

TT_MAIN(test_source_route_option_round_trips_with_padding,
	test_other_options_are_skipped_and_absence_is_not_an_error,
	test_malformed_option_lengths_are_rejected, test_header_with_options_sets_ihl_and_checksum)
