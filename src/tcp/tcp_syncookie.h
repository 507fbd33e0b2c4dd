/* SYN cookies (RFC 4987 3.6): a listener whose SYN queue is full keeps no
 * state for a new SYN; it puts what it must remember into its ISS (and,
 * when the peer uses timestamps, into its TSval), and rebuilds the
 * connection from the ACK that returns them. */
#ifndef TERN_TCP_SYNCOOKIE_H
#define TERN_TCP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp.h"

/* The ISS for a cookie SYN-ACK answering a SYN with sequence number irs and
 * peer MSS peer_mss; *mss gets the MSS the cookie records (the largest
 * table entry not above peer_mss). */
uint32_t tern_syncookie_iss(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r,
			    uint32_t irs, uint32_t peer_mss, uint32_t *mss);

/* Whether iss is a cookie this stack issued to irs at most two periods
 * ago; *mss gets the MSS it records. */
bool tern_syncookie_check(tern_stack *st, const tern_endpoint *l, const tern_endpoint *r,
			  uint32_t irs, uint32_t iss, uint32_t *mss);

/* The key of cookies issued in period `count` (64 s periods since time 0):
 * the current key or the one before, rotated first if `now` has entered a
 * new epoch; NULL when the period's key is gone. */
const uint8_t *tern_syncookie_key(tern_stack *st, uint32_t count);

/* Low bits of a cookie TSval: the peer's window shift (15 = none), whether
 * it permitted SACK, whether it asked for ECN. */
#define TERN_SYNCOOKIE_TS_BITS 6
#define TERN_SYNCOOKIE_NO_WS 15u

/* ts (the TSval we would send) with the low bits replaced by the options,
 * never above ts, so later TSvals never go backwards (RFC 7323 5.3). */
uint32_t tern_syncookie_ts_encode(uint32_t ts, uint32_t wscale, bool sack, bool ecn);
void tern_syncookie_ts_decode(uint32_t tsecr, uint32_t *wscale, bool *sack, bool *ecn);

#endif
