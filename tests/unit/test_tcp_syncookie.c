/* test_tcp_syncookie.c - the SYN cookie (RFC 4987 3.6) checks out only for
 * the 4-tuple and peer ISN it was made for, only for two periods, and
 * keeps the MSS and the timestamp-borne options it was given. */
#include "fixture.h"
#include "tcp/tcp_syncookie.h"
#include "tt.h"

static const tern_endpoint L = {TERN_IP4(192, 0, 2, 2), 80};
static const tern_endpoint R = {TERN_IP4(198, 51, 100, 7), 40000};

TT_TEST(test_syncookie_checks_out_only_for_its_own_syn)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	f.st->now = TERN_SEC(1000);
	uint32_t mss = 0, got = 0;
	uint32_t iss = tern_syncookie_iss(f.st, &L, &R, 12345, 1460, &mss);
	TT_EQ(mss, 1460);
	TT_CHECK(tern_syncookie_check(f.st, &L, &R, 12345, iss, &got));
	TT_EQ(got, 1460);
	tern_endpoint r2 = R;
	r2.port++;
	TT_CHECK(!tern_syncookie_check(f.st, &L, &r2, 12345, iss, &got));
	TT_CHECK(!tern_syncookie_check(f.st, &L, &R, 12346, iss, &got));
	for (int bit = 0; bit < 32; bit++)
		TT_CHECK(!tern_syncookie_check(f.st, &L, &R, 12345, iss ^ (1u << bit), &got));
	f.st->now += TERN_SEC(64);
	TT_CHECK(tern_syncookie_check(f.st, &L, &R, 12345, iss, &got));
	f.st->now += TERN_SEC(128);
	TT_CHECK(!tern_syncookie_check(f.st, &L, &R, 12345, iss, &got));
	fx_fini(&f);
}

TT_TEST(test_syncookie_mss_is_the_largest_table_value_not_above_the_peers)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint32_t mss = 0;
	tern_syncookie_iss(f.st, &L, &R, 1, 1459, &mss);
	TT_EQ(mss, 1440);
	tern_syncookie_iss(f.st, &L, &R, 1, 100, &mss);
	TT_EQ(mss, 536);
	tern_syncookie_iss(f.st, &L, &R, 1, 65495, &mss);
	TT_EQ(mss, 8960);
	fx_fini(&f);
}

TT_TEST(test_syncookie_timestamp_carries_options_and_never_runs_ahead)
{
	for (uint32_t ts = 1000; ts < 1200; ts++) {
		uint32_t v = tern_syncookie_ts_encode(ts, 7, true, false), ws;
		bool sack, ecn;
		TT_CHECK(v <= ts && ts - v < 64);
		tern_syncookie_ts_decode(v, &ws, &sack, &ecn);
		TT_EQ(ws, 7);
		TT_CHECK(sack && !ecn);
	}
	uint32_t ws;
	bool sack, ecn;
	tern_syncookie_ts_decode(tern_syncookie_ts_encode(5, TERN_SYNCOOKIE_NO_WS, false, true), &ws,
				 &sack, &ecn);
	TT_EQ(ws, TERN_SYNCOOKIE_NO_WS);
	TT_CHECK(!sack && ecn);
}

TT_MAIN(test_syncookie_checks_out_only_for_its_own_syn,
	test_syncookie_mss_is_the_largest_table_value_not_above_the_peers,
	test_syncookie_timestamp_carries_options_and_never_runs_ahead)
