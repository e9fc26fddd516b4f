/* The limiter stage: every target clamped to the user's cap and the chair's hard limits,
 * and force changes rate-limited. The last word before axis control: whatever the
 * executor, the feedback or a bug asked for, what leaves here is within limits. */
#ifndef LIMITER_H
#define LIMITER_H

#include "config.h"
#include "motion/targets.h"

struct limiter {
	double force_n; /* the slewed force target */
};

void limiter_reset(struct limiter *l);
void limiter_apply(struct limiter *l, const struct chair_config *cfg, double cap_n,
		   double force_now_n, double dt_s, struct motion_targets *t);

#endif
