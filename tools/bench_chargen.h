/* bench_chargen.h - the RFC 864 character-generator stream exactly as tern's
 * chargen service sends it (tools/svc_chargen.c): lines of 72 printable
 * characters and CR LF, each line starting one character further along the
 * 95-character cycle, the stream starting at the second line ('!'). It
 * repeats every 95 lines. tun-throughput's Linux client checks every byte
 * it receives against it, and its Linux (veth) and lwIP peers send it. */
#ifndef TERN_BENCH_CHARGEN_H
#define TERN_BENCH_CHARGEN_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_CG_WIDTH 72
#define BENCH_CG_LINE  (BENCH_CG_WIDTH + 2)
#define BENCH_CG_CYCLE (95 * BENCH_CG_LINE) /* bytes before the stream repeats */
#define BENCH_CG_START BENCH_CG_LINE        /* offset of the first byte sent */

/* Fill buf with `len` bytes of the stream from cycle offset `pos` on. With
 * len = BENCH_CG_CYCLE + N, any N bytes of the stream are the contiguous
 * buf[pos % BENCH_CG_CYCLE ...]. */
static inline void bench_cg_fill(uint8_t *buf, size_t len, size_t pos)
{
	for (size_t i = 0; i < len; i++) {
		size_t p = (pos + i) % BENCH_CG_CYCLE, line = p / BENCH_CG_LINE,
		       col = p % BENCH_CG_LINE;
		buf[i] = col == BENCH_CG_WIDTH       ? '\r'
		         : col == BENCH_CG_WIDTH + 1 ? '\n'
		                                     : (uint8_t)(' ' + (line + col) % 95);
	}
}

#endif
