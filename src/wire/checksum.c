/*
 * checksum.c - the Internet checksum (RFC 1071) and its incremental update
 * (RFC 1624).
 *
 * The sum is taken in native byte order, 64 bits a step, and converted to
 * network order once at the end: RFC 1071 2(B) shows that summing byte-
 * swapped words gives the byte-swapped sum, and 2(C) that wider words fold
 * down to the same 16-bit result because 2^16 = 1 (mod 2^16 - 1).
 */
#include <stdint.h>
#include <string.h>

#include "wire/wire.h"

/* One's complement addition in 64 bits: the carry out wraps around to bit 0
 * (RFC 1071 2(A)), which keeps the sum congruent mod 2^16 - 1. */
static inline uint64_t add_carry(uint64_t s, uint64_t w)
{
	s += w;
	return s + (s < w);
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof w);
	return w;
}

static inline uint64_t load32(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof w);
	return w;
}

static inline uint64_t load16(const uint8_t *p)
{
	uint16_t w;

	memcpy(&w, p, sizeof w);
	return w;
}

/* The last 0-7 bytes at p, as native words congruent (mod 2^16 - 1) to
 * the zero-filled 64-bit word that follows the 8-byte steps: each piece
 * starts at an even offset, so its bytes keep their place in the 16-bit
 * words (2^16 = 1), with no copy to a padded buffer (which cost a memcpy
 * call per header). */
static inline uint64_t sum_tail(const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	if (len & 4) {
		s += load32(p);
		p += 4;
	}
	if (len & 2) {
		s += load16(p);
		p += 2;
	}
	if (len & 1) {
		/* RFC 1071 pad: the odd last byte is the high-order (first)
		 * byte of a word whose other byte is 0. */
		uint8_t pad[2] = {p[0], 0};
		s += load16(pad);
	}
	return s;
}

/* Headers (20-60 bytes) are most of the sums: 32-bit words into one sum
 * (below 2^37), with no vector set-up and no lanes to combine; each word
 * starts at an offset that is a multiple of 4, so its bytes keep their
 * places in the 16-bit words. Inline (with sum_tail) even at -O2, where
 * the calls cost as much as the sum. */
static inline uint64_t sum_short(const uint8_t *p, size_t len)
{
	/* len < 64: its bits 32, 16 and 8 take the words with no loop */
	uint64_t s = 0;
	if (len & 32) {
		s += load32(p) + load32(p + 4) + load32(p + 8) + load32(p + 12) + load32(p + 16) +
		     load32(p + 20) + load32(p + 24) + load32(p + 28);
		p += 32;
	}
	if (len & 16) {
		s += load32(p) + load32(p + 4) + load32(p + 8) + load32(p + 12);
		p += 16;
	}
	if (len & 8) {
		s += load32(p) + load32(p + 4);
		p += 8;
	}
	return s + sum_tail(p, len & 7);
}

static uint64_t sum_long(const uint8_t *p, size_t len)
{
	/* Four independent sums of 32-bit halves need no carry handling (each
	 * add is below 2^33, so 2^30 steps cannot overflow) and let the CPU
	 * run them in parallel, unlike one add-with-carry chain; a 64-bit word
	 * is congruent to the sum of its halves mod 2^16 - 1 (2^32 = 1). */
	uint64_t a = 0, b = 0, c = 0, d = 0;
	for (; len >= 32; p += 32, len -= 32) {
		uint64_t w0 = load64(p), w1 = load64(p + 8), w2 = load64(p + 16), w3 = load64(p + 24);
		a += (w0 & 0xffffffffu) + (w0 >> 32);
		b += (w1 & 0xffffffffu) + (w1 >> 32);
		c += (w2 & 0xffffffffu) + (w2 >> 32);
		d += (w3 & 0xffffffffu) + (w3 >> 32);
	}
	/* The same split for the last 0-3 words and the tail (below 2^34 in
	 * all), so a short header costs no carry chain either. A sum is 0
	 * only when every byte is, as with add-with-carry, so the folded
	 * result is the same 16 bits. */
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w = load64(p);
		d += (w & 0xffffffffu) + (w >> 32);
	}
	d += sum_tail(p, len);
	return add_carry(add_carry(a, b), add_carry(c, d));
}

/* Sum of data as native words; the value folds to the native-order
 * 16-bit sum. */
static inline uint64_t sum_native(const uint8_t *p, size_t len)
{
	return len < 64 ? sum_short(p, len) : sum_long(p, len);
}

/* sum_native while copying: each word is stored as it is summed, so the
 * bytes are read once for both (the checksum folded into the copy). */
static uint64_t copy_sum_native(uint8_t *d, const uint8_t *p, size_t len)
{
	uint64_t a = 0, b = 0, c = 0, e = 0;
	for (; len >= 32; p += 32, d += 32, len -= 32) {
		uint64_t w0 = load64(p), w1 = load64(p + 8), w2 = load64(p + 16), w3 = load64(p + 24);
		memcpy(d, &w0, 8);
		memcpy(d + 8, &w1, 8);
		memcpy(d + 16, &w2, 8);
		memcpy(d + 24, &w3, 8);
		a += (w0 & 0xffffffffu) + (w0 >> 32);
		b += (w1 & 0xffffffffu) + (w1 >> 32);
		c += (w2 & 0xffffffffu) + (w2 >> 32);
		e += (w3 & 0xffffffffu) + (w3 >> 32);
	}
	uint64_t s = add_carry(add_carry(a, b), add_carry(c, e));
	for (; len >= 8; p += 8, d += 8, len -= 8) {
		uint64_t w = load64(p);
		memcpy(d, &w, 8);
		s = add_carry(s, w);
	}
	if (len) {
		uint8_t tail[8] = {0};
		memcpy(tail, p, len);
		memcpy(d, tail, len);
		s = add_carry(s, load64(tail));
	}
	return s;
}

/* The native 16-bit sum as a network-order word added to acc. */
static uint64_t add_native(uint64_t acc, uint64_t native_sum)
{
	uint16_t native = tern_csum_fold(native_sum);
	uint8_t be[2];
	memcpy(be, &native, sizeof be);
	return add_carry(acc, tern_get16(be));
}

uint64_t tern_csum_copy(uint64_t acc, void *dst, const void *src, size_t len)
{
	return add_native(acc, copy_sum_native(dst, src, len));
}

uint64_t tern_csum_add(uint64_t acc, const void *data, size_t len)
{
	uint16_t native = tern_csum_fold(sum_native(data, len));
	uint8_t be[2];

	/* Storing the native sum puts its bytes back in memory (network)
	 * order, whatever the host's endianness (RFC 1071 2(B)). */
	memcpy(be, &native, sizeof be);
	return add_carry(acc, tern_get16(be));
}

uint16_t tern_csum_sum(const void *data, size_t len)
{
	/* tern_csum_add from 0 is this value plus a carry-free 0, and folds
	 * to it again: both steps are left out. */
	uint16_t native = tern_csum_fold(sum_native(data, len));
	uint8_t be[2];

	memcpy(be, &native, sizeof be);
	return tern_get16(be);
}

uint16_t tern_csum(const void *data, size_t len)
{
	return (uint16_t)~tern_csum_sum(data, len);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). Unlike eqn. 2 it never yields
 * a -0 that a full recomputation would not (RFC 1624 section 3). */
uint16_t tern_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word)
{
	uint64_t s = (uint16_t)~csum;

	s += (uint16_t)~old_word;
	s += new_word;
	return (uint16_t)~tern_csum_fold(s);
}

uint16_t tern_csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val)
{
	uint64_t s = (uint16_t)~csum;

	s += (uint16_t) ~(old_val >> 16);
	s += (uint16_t)~old_val;
	s += new_val >> 16;
	s += new_val & 0xffffu;
	return (uint16_t)~tern_csum_fold(s);
}
