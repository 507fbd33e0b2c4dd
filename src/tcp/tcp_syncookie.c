/* SYN cookies (RFC 4987 3.6). The ISS is laid out as
 *   bits 31..27  the period counter, mod 32 (a period is 64 s)
 *   bits 26..24  the index of the MSS in mss_table
 *   bits 23..0   a keyed hash of the 4-tuple, the peer's ISN, the full
 *                counter and the MSS index
 * so a returning ACK proves the peer saw our SYN-ACK (the hash cannot be
 * guessed without the key) and says which MSS to use. A cookie lives for
 * one to two periods.
 *
 * The key is not the stack secret itself but rotates every EPOCH_PERIODS
 * periods (RFC 6528 3: change the key "on occasion", when "some
 * predefined time has expired"), the previous key kept to check cookies
 * issued just before a rotation. Rotation happens when a cookie is made or
 * checked, by the stack's `now`: the core reads no clock. */
#include "tcp/tcp_syncookie.h"

#include "core/siphash.h"
#include "tcp/tcp_int.h"

#define PERIOD_US (64u * 1000000u)
#define EPOCH_PERIODS 4u  /* a key serves 4 periods: 256 s */

/* MSS values common on the Internet, ascending (IPv4 minimum, tunnels,
 * Ethernet with and without PPPoE, jumbo frames). */
static const uint16_t mss_table[8] = {536, 1200, 1360, 1400, 1440, 1460, 4312, 8960};

/* A new key: keyed by the secret, so a weak random source alone cannot
 * make it guessable; fed by the random source, so learning one key (or
 * the secret) does not give the next. */
static void fresh_key(tern_stack *st, uint8_t key[16], uint32_t epoch)
{
	for (int half = 0; half < 2; half++) {
		uint8_t m[13];
		uint64_t r = tern_random(st);
		tern_put32(m, epoch);
		tern_put32(m + 4, (uint32_t)(r >> 32));
		tern_put32(m + 8, (uint32_t)r);
		m[12] = (uint8_t)('K' + half);
		uint64_t h = tern_siphash(st->cfg.secret, m, sizeof m);
		tern_put32(key + 8 * half, (uint32_t)(h >> 32));
		tern_put32(key + 8 * half + 4, (uint32_t)h);
	}
}

static uint32_t period(const tern_stack *st) { return (uint32_t)(st->now / PERIOD_US); }

/* Enter the epoch `now` is in, if it is a new one: the current key becomes
 * the previous one only when its epoch is the one just ended. */
static void rotate(tern_stack *st)
{
	struct tern_cookie_key *k = st->tcp->cookie_key;
	uint32_t epoch = period(st) / EPOCH_PERIODS;
	if (k[0].valid && k[0].epoch == epoch)
		return;
	k[1] = k[0];
	k[1].valid = k[0].valid && k[0].epoch + 1 == epoch;
	fresh_key(st, k[0].key, epoch);
	k[0].epoch = epoch;
	k[0].valid = true;
}

const uint8_t *tern_syncookie_key(tern_stack *st, uint32_t count)
{
	rotate(st);
	const struct tern_cookie_key *k = st->tcp->cookie_key;
	for (int i = 0; i < 2; i++)
		if (k[i].valid && k[i].epoch == count / EPOCH_PERIODS)
			return k[i].key;
	return NULL;
}

static uint32_t cookie_hash(const uint8_t *key, const tern_endpoint *l, const tern_endpoint *r,
			    uint32_t irs, uint32_t count, uint32_t idx)
{
	uint8_t k[22];
	tern_put32(k, l->addr);
	tern_put16(k + 4, l->port);
	tern_put32(k + 6, r->addr);
	tern_put16(k + 10, r->port);
	tern_put32(k + 12, irs);
	tern_put32(k + 16, count);
	k[20] = (uint8_t)idx;
	k[21] = 'C';
	return (uint32_t)tern_siphash(key, k, sizeof k) & 0xffffffu;
}

uint32_t tern_syncookie_iss(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r,
			    uint32_t irs, uint32_t peer_mss, uint32_t *mss)
{
	uint32_t idx = 0;
	while (idx < 7 && mss_table[idx + 1] <= peer_mss)
		idx++;
	*mss = mss_table[idx];
	uint32_t count = period(st);
	const uint8_t *key = tern_syncookie_key(st, count);
	return (count & 31u) << 27 | idx << 24 | cookie_hash(key, l, r, irs, count, idx);
}

bool tern_syncookie_check(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r,
			  uint32_t irs, uint32_t iss, uint32_t *mss)
{
	uint32_t now = period(st);
	uint32_t age = (now - (iss >> 27)) & 31u;
	if (age > 1)
		return false;
	uint32_t idx = (iss >> 24) & 7u;
	const uint8_t *key = tern_syncookie_key(st, now - age);
	if (!key || cookie_hash(key, l, r, irs, now - age, idx) != (iss & 0xffffffu))
		return false;
	*mss = mss_table[idx];
	return true;
}

uint32_t tern_syncookie_ts_encode(uint32_t ts, uint32_t wscale, bool sack, bool ecn)
{
	const uint32_t mask = (1u << TERN_SYNCOOKIE_TS_BITS) - 1;
	uint32_t bits = (wscale & 15u) | (uint32_t)sack << 4 | (uint32_t)ecn << 5;
	uint32_t v = (ts & ~mask) | bits;
	if ((int32_t)(v - ts) > 0)
		v -= mask + 1;
	return v;
}

void tern_syncookie_ts_decode(uint32_t tsecr, uint32_t *wscale, bool *sack, bool *ecn)
{
	*wscale = tsecr & 15u;
	*sack = (tsecr >> 4) & 1u;
	*ecn = (tsecr >> 5) & 1u;
}
