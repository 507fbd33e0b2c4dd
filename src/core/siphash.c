/* siphash.c - SipHash-c-d: c compression rounds per 8-byte word, d
 * finalization rounds, little-endian word loads as the paper specifies.
 * SipHash-2-4 for values seen on the wire, SipHash-1-3 for table buckets. */
#include "core/siphash.h"

#include <string.h>

static inline uint64_t rotl(uint64_t x, unsigned b) { return (x << b) | (x >> (64 - b)); }

/* One 8-byte load, swapped only on a big-endian machine. */
static inline uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

static inline __attribute__((always_inline)) void compress(uint64_t v[4], uint64_t m, int c)
{
	v[3] ^= m;
	for (int i = 0; i < c; i++)
		sipround(v);
	v[0] ^= m;
}

/* Inlined into each caller with constant c and d, so the rounds unroll. */
static inline __attribute__((always_inline)) uint64_t siphash_cd(const uint8_t key[16],
								 const void *data, size_t len,
								 int c, int d)
{
	const uint8_t *p = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
		k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull,
	};
	size_t whole = len & ~(size_t)7;
	for (size_t i = 0; i < whole; i += 8)
		compress(v, load_le64(p + i), c);

	/* Last block: the remaining bytes, zero-padded, with len mod 256 on top. */
	uint8_t tail[8] = {0};
	memcpy(tail, p + whole, len - whole);
	tail[7] = (uint8_t)len;
	compress(v, load_le64(tail), c);

	v[2] ^= 0xff;
	for (int i = 0; i < d; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t tern_siphash(const uint8_t key[16], const void *data, size_t len)
{
	return siphash_cd(key, data, len, 2, 4);
}

uint64_t tern_siphash13(const uint8_t key[16], const void *data, size_t len)
{
	return siphash_cd(key, data, len, 1, 3);
}
