/* ports.c - ephemeral port selection. RFC 6056 section 3.3.1 (algorithm 1):
 * a random starting point in the RFC 6335 dynamic range, then probe
 * sequentially, so a bind(0) leaks nothing about earlier choices. TCP's
 * connect() will use algorithm 3 (a keyed hash of the 4-tuple) on top. */
#include "core/stack.h"

#define EPH_LO 49152u
#define EPH_HI 65535u

uint16_t tern_port_pick(tern_stack *st, bool (*in_use)(tern_stack *, uint16_t, void *), void *ctx)
{
	uint32_t n = EPH_HI - EPH_LO + 1;
	uint32_t off = (uint32_t)(tern_random(st) % n);
	for (uint32_t i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(EPH_LO + (off + i) % n);
		if (!in_use(st, port, ctx))
			return port;
	}
	return 0;
}
