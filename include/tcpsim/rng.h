/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_RNG_H
#define TCPSIM_RNG_H

/*
 * The simulation's one source of randomness: xoshiro256** (Blackman and Vigna, 2018),
 * seeded by running splitmix64 over the 64-bit seed. Same seed, same sequence, on every
 * platform and compiler: only integer arithmetic is used, so nothing that decides an
 * event's time or order depends on floating point.
 */

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Probabilities are integers in parts per million: 1000000 is certainty. */
#define RNG_PPM_ONE 1000000u

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, bound) without modulo bias; bound 0 returns 0. */
uint64_t rng_below(struct rng *r, uint64_t bound);
/* Uniform in [lo, hi], inclusive; lo > hi returns lo. */
int64_t rng_range(struct rng *r, int64_t lo, int64_t hi);
/* True with probability ppm / 1e6. Draws nothing when ppm is 0 or >= 1e6, so adding a
 * zero-probability fault does not shift every later draw of a run. */
bool rng_chance_ppm(struct rng *r, uint32_t ppm);

#endif
