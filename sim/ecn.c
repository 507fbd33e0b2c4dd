/*
 * ecn.c - the ECN field of packets in a link queue (RFC 3168 5): is a
 * packet ECN-capable, and set CE on it with its IPv4 header checksum
 * updated in place (RFC 1624).
 */
#include "sim_int.h"
#include "wire/wire.h"

/* The ECN field: the low two bits of the IPv4 TOS byte (RFC 3168 5,
 * figure 1). */
#define ECN_MASK 0x03u
#define ECN_ECT1 0x01u
#define ECN_ECT0 0x02u
#define ECN_CE   0x03u

/* True when pkt starts with a whole IPv4 header: the bytes a router would
 * look at. Anything else (a raw test pattern, a runt) passes untouched. */
static bool ip4_header_whole(const uint8_t *pkt, size_t len)
{
	size_t hlen;

	if (len < TERN_IP4_HLEN || pkt[0] >> 4 != 4)
		return false;
	hlen = (size_t)(pkt[0] & 0x0f) * 4u;
	return hlen >= TERN_IP4_HLEN && hlen <= len;
}

/* Routers treat ECT(0) and ECT(1) alike (RFC 3168 5); CE is left as it
 * is and not-ECT is never marked. */
bool tern_sim_ecn_capable(const uint8_t *pkt, size_t len)
{
	unsigned ecn;

	if (!ip4_header_whole(pkt, len))
		return false;
	ecn = pkt[1] & ECN_MASK;
	return ecn == ECN_ECT0 || ecn == ECN_ECT1;
}

/* The TOS byte shares its 16-bit word with version and IHL (bytes 0-1),
 * so the checksum (bytes 10-11) follows with one RFC 1624 eqn. 3 update;
 * a header that arrived with a wrong checksum stays wrong, as it should. */
void tern_sim_ecn_set_ce(uint8_t *pkt)
{
	uint16_t old = tern_get16(pkt);
	uint16_t new = (uint16_t)(old | ECN_CE);

	tern_put16(pkt + 10, tern_csum_update16(tern_get16(pkt + 10), old, new));
	tern_put16(pkt, new);
}
