/* The campaign's random numbers: xorshift64* from a seed, the same draws whichever compiler
 * built it (one draw a statement, never two in one expression). */
#ifndef TESTS_SOAK_RNG_H
#define TESTS_SOAK_RNG_H

#include <stdint.h>

/* splitmix64: a well-spread state from any seed, never 0. */
static inline uint64_t soak_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	x ^= x >> 31;
	return x ? x : 1;
}

/* 0..n-1 (n >= 1). */
static inline uint32_t soak_rand(uint64_t *rng, uint32_t n)
{
	*rng ^= *rng >> 12;
	*rng ^= *rng << 25;
	*rng ^= *rng >> 27;
	return (uint32_t)(((*rng * 0x2545F4914F6CDD1Dull) >> 32) % n);
}

#endif
