/*
 * prng.h - a small seeded PRNG for the fault injector and the simulator.
 *
 * xoshiro256** (Blackman and Vigna), seeded through splitmix64 so that any
 * 64-bit seed, zero included, gives a well-mixed state. Runs must repeat
 * exactly for a given seed, so nothing here reads a clock or the OS. Not for
 * secrets.
 */
#ifndef TERN_DEV_PRNG_H
#define TERN_DEV_PRNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct tern_prng {
	uint64_t s[4];
} tern_prng;

/* One step of splitmix64: advances *x and returns a mixed value. */
static inline uint64_t tern_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* The seed of sub-stream `id` of `seed`. Streams keyed by a stable id (a
 * link's index, say) stay the same when unrelated streams are added. */
static inline uint64_t tern_prng_derive(uint64_t seed, uint64_t id)
{
	uint64_t x = seed;
	uint64_t k = tern_splitmix64(&x) ^ id;

	return tern_splitmix64(&k);
}

static inline void tern_prng_seed(tern_prng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = tern_splitmix64(&x);
}

static inline uint64_t tern_prng_rotl(uint64_t v, int k)
{
	return (v << k) | (v >> (64 - k));
}

static inline uint64_t tern_prng_next(tern_prng *r)
{
	uint64_t *s = r->s;
	uint64_t out = tern_prng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = tern_prng_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, 1), 53 bits. */
static inline double tern_prng_unit(tern_prng *r)
{
	return (double)(tern_prng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, n); 0 when n is 0. The modulo bias is below 2^-47 for the
 * n used here (packet lengths, jitter in microseconds). */
static inline uint64_t tern_prng_below(tern_prng *r, uint64_t n)
{
	return n ? tern_prng_next(r) % n : 0;
}

/* True with probability p. p <= 0 and p >= 1 draw nothing, so a fault that
 * is switched off does not shift the stream of the others. */
static inline bool tern_prng_chance(tern_prng *r, double p)
{
	if (!(p > 0.0))
		return false;
	if (p >= 1.0)
		return true;
	return tern_prng_unit(r) < p;
}

#endif
