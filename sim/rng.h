/* The simulator's only source of randomness: splitmix64 on a state the caller owns, so a
 * seed fixes everything and two sims never share a stream. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

static inline uint64_t sim_rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi): the top 53 bits make an exact double fraction. */
static inline double sim_rng_range(uint64_t *state, double lo, double hi)
{
	return lo + (hi - lo) * ((double)(sim_rng_next(state) >> 11) * 0x1.0p-53);
}

#endif
