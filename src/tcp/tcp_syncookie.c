/* SYN cookies (RFC 4987 3.6). The ISS is laid out as
 *   bits 31..27  the period counter, mod 32 (a period is 64 s)
 *   bits 26..24  the index of the MSS in mss_table
 *   bits 23..0   a keyed hash of the 4-tuple, the peer's ISN, the full
 *                counter and the MSS index
 * so a returning ACK proves the peer saw our SYN-ACK (the hash cannot be
 * guessed without the secret) and says which MSS to use. A cookie lives
 * for one to two periods. */
#include "tcp/tcp_syncookie.h"

#include "core/siphash.h"

#define PERIOD_US (64u * 1000000u)

/* MSS values common on the Internet, ascending (IPv4 minimum, tunnels,
 * Ethernet with and without PPPoE, jumbo frames). */
static const uint16_t mss_table[8] = {536, 1200, 1360, 1400, 1440, 1460, 4312, 8960};

static uint32_t cookie_hash(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r,
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
	return (uint32_t)tern_siphash(st->cfg.secret, k, sizeof k) & 0xffffffu;
}

static uint32_t period(const tern_stack *st) { return (uint32_t)(st->now / PERIOD_US); }

uint32_t tern_syncookie_iss(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r,
			    uint32_t irs, uint32_t peer_mss, uint32_t *mss)
{
	uint32_t idx = 0;
	while (idx < 7 && mss_table[idx + 1] <= peer_mss)
		idx++;
	*mss = mss_table[idx];
	uint32_t count = period(st);
	return (count & 31u) << 27 | idx << 24 | cookie_hash(st, l, r, irs, count, idx);
}

bool tern_syncookie_check(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r,
			  uint32_t irs, uint32_t iss, uint32_t *mss)
{
	uint32_t now = period(st);
	uint32_t age = (now - (iss >> 27)) & 31u;
	if (age > 1)
		return false;
	uint32_t idx = (iss >> 24) & 7u;
	if (cookie_hash(st, l, r, irs, now - age, idx) != (iss & 0xffffffu))
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
