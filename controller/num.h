/* round, fmin and fmax for the tick's hot paths, inline instead of a libm call through
 * the PLT: the same results, NaN and signed zeros included as far as they reach a caller
 * (see each). Without -ffast-math GCC calls libm for all three at every use. */
#ifndef CTL_NUM_H
#define CTL_NUM_H

#include <math.h>

/* glibc's fmin: minsd (x < y ? x : y) when neither is NaN, the other one when one is,
 * x + y (a NaN) when both are. */
static inline double num_fmin(double x, double y)
{
	if (x < y)
		return x;
	if (y == y)
		return y; /* x >= y, or x is NaN */
	return x == x ? x : x + y;
}

/* glibc's fmax, the same way: maxsd (x > y ? x : y) when neither is NaN. */
static inline double num_fmax(double x, double y)
{
	if (x > y)
		return x;
	if (y == y)
		return y;
	return x == x ? x : x + y;
}

/* round(x), halves away from zero, for callers that turn it into an integer: a zero comes
 * back +0 where round gives -0 for -0.5 < x < 0, which no integer conversion tells apart.
 * Below 2^52 the truncation is exact and so is x minus it; from there on, and for NaN
 * and infinities, x is its own rounding. */
static inline double num_round_to_int(double x)
{
	if (!(fabs(x) < 0x1p52))
		return x;
	double t = (double)(long long)x;
	double f = x - t;
	if (f >= 0.5)
		t += 1.0;
	else if (f <= -0.5)
		t -= 1.0;
	return t;
}

#endif
