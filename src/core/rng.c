/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "tcpsim/rng.h"

/* splitmix64 (Steele, Lea and Flood), used only to spread one 64-bit seed over the
 * 256-bit state, as the xoshiro authors recommend: it never yields an all-zero state. */
static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

/* xoshiro256** 1.0 */
uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t rng_below(struct rng *r, uint64_t bound)
{
	if (bound == 0)
		return 0;
	/* Reject the lowest (2^64 mod bound) values so every residue is equally likely. */
	uint64_t threshold = (0 - bound) % bound;
	for (;;) {
		uint64_t x = rng_next(r);
		if (x >= threshold)
			return x % bound;
	}
}

int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	if (lo >= hi)
		return lo;
	uint64_t span = (uint64_t)hi - (uint64_t)lo;
	if (span == UINT64_MAX)
		return (int64_t)rng_next(r);
	return (int64_t)((uint64_t)lo + rng_below(r, span + 1));
}

bool rng_chance_ppm(struct rng *r, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	if (ppm >= RNG_PPM_ONE)
		return true;
	return rng_below(r, RNG_PPM_ONE) < ppm;
}
