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

/* RFC 6528 3 ("the secret key could be changed whenever ... some
 * predefined time has expired"): the cookie key rotates every 4 periods
 * (256 s), keeping the previous key for cookies issued just before. */
#define PERIOD TERN_SEC(64)
#define EPOCH (4 * PERIOD)

TT_TEST(test_syncookie_issued_just_before_a_rotation_checks_out_just_after)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	/* the last second of an epoch */
	f.st->now = 10 * EPOCH - TERN_SEC(1);
	uint32_t mss = 0, got = 0;
	uint32_t iss = tern_syncookie_iss(f.st, &L, &R, 777, 1460, &mss);
	const uint8_t *k = tern_syncookie_key(f.st, (uint32_t)(f.st->now / PERIOD));
	TT_CHECK(k != NULL);
	uint8_t before[16];
	memcpy(before, k, 16);
	/* two seconds later, a new epoch and a new key; the cookie still holds */
	f.st->now += TERN_SEC(2);
	TT_CHECK(tern_syncookie_check(f.st, &L, &R, 777, iss, &got));
	TT_EQ(got, 1460);
	const uint8_t *now_key = tern_syncookie_key(f.st, (uint32_t)(f.st->now / PERIOD));
	TT_CHECK(now_key != NULL && memcmp(now_key, before, 16) != 0);
	/* a cookie made now, under the new key, with the same count bits and
	 * hash input as one made under the old key, differs from it */
	uint32_t iss2 = tern_syncookie_iss(f.st, &L, &R, 777, 1460, &mss);
	TT_CHECK(iss2 != iss);
	TT_CHECK(tern_syncookie_check(f.st, &L, &R, 777, iss2, &got));
	fx_fini(&f);
}

TT_TEST(test_syncookie_keys_change_every_epoch_and_two_rotations_forget_one)
{
	fixture f;
	TT_EQ(fx_init(&f, FX_US, 1500), 0);
	uint8_t keys[6][16];
	uint32_t first = 100;  /* an epoch count well past zero */
	for (uint32_t e = 0; e < 6; e++) {
		f.st->now = (first + e) * EPOCH + TERN_SEC(5);
		const uint8_t *k = tern_syncookie_key(f.st, (first + e) * 4);
		TT_CHECK(k != NULL);
		memcpy(keys[e], k, 16);
		TT_CHECK(memcmp(k, f.st->cfg.secret, 16) != 0);  /* never the secret itself */
		for (uint32_t d = 0; d < e; d++)
			TT_CHECK(memcmp(keys[d], k, 16) != 0);
		/* the previous epoch's key is kept, the one before is gone */
		if (e > 0) {
			const uint8_t *prev = tern_syncookie_key(f.st, (first + e - 1) * 4 + 3);
			TT_CHECK(prev != NULL && memcmp(prev, keys[e - 1], 16) == 0);
		}
		TT_CHECK(tern_syncookie_key(f.st, (first + e - 2) * 4 + 3) == NULL);
	}
	/* a cookie from two rotations ago fails (its key is gone as well as
	 * its period), and so does it when its 5-bit period counter has come
	 * round again (32 periods on) */
	uint32_t mss, got;
	f.st->now = first * EPOCH + 3 * PERIOD;
	uint32_t old_iss = tern_syncookie_iss(f.st, &L, &R, 4242, 1460, &mss);
	TT_CHECK(tern_syncookie_check(f.st, &L, &R, 4242, old_iss, &got));
	f.st->now += 2 * EPOCH;  /* two rotations on */
	TT_CHECK(!tern_syncookie_check(f.st, &L, &R, 4242, old_iss, &got));
	f.st->now += 32 * PERIOD - 2 * EPOCH;
	TT_EQ((uint32_t)(f.st->now / PERIOD) & 31u, old_iss >> 27);
	TT_CHECK(!tern_syncookie_check(f.st, &L, &R, 4242, old_iss, &got));
	/* after a long silence (many epochs), no stale key survives */
	f.st->now += 10 * EPOCH;
	uint32_t e_now = (uint32_t)(f.st->now / EPOCH);
	TT_CHECK(tern_syncookie_key(f.st, e_now * 4) != NULL);
	TT_CHECK(tern_syncookie_key(f.st, (e_now - 1) * 4) == NULL);
	fx_fini(&f);
}

TT_MAIN(test_syncookie_checks_out_only_for_its_own_syn,
	test_syncookie_mss_is_the_largest_table_value_not_above_the_peers,
	test_syncookie_timestamp_carries_options_and_never_runs_ahead,
	test_syncookie_issued_just_before_a_rotation_checks_out_just_after,
	test_syncookie_keys_change_every_epoch_and_two_rotations_forget_one)
