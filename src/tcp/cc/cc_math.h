/* cc_math.h - saturating window arithmetic the congestion-control modules
 * share: a window never wraps, it sticks at the top. */
#ifndef TERN_TCP_CC_MATH_H
#define TERN_TCP_CC_MATH_H

#include <stdint.h>

static inline uint32_t add_sat(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static inline uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }
static inline uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

#endif
