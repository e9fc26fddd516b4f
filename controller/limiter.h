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

/* The force loop's bound under a cap: the cap less a headroom of LIMITER_HEADROOM_N or
 * LIMITER_HEADROOM_SHARE of the cap, whichever is more (but never more than
 * LIMITER_HEADROOM_MOST of the cap, so a light technician's cap still presses). The target
 * never goes past it and the loop backs off hard above it (force_step), so the true force,
 * which lags the target where the carriage carries the roller onto a rising part of the
 * body, stays under the cap itself. Measured over a thousand simulated sessions (two
 * compilers, tests/test_sessions_sim.c): with the target up to the cap itself the true
 * force went 2.6 N past the target and 1.4 N past a 60 N cap (the shoulders, a 58.8 N
 * target, the carriage at 8 mm/s). With this bound, the steeper back-off past it and the
 * forecast drop of axes.c it stayed 0.44 N under at the closest, over five draws of a
 * thousand. */
#define LIMITER_HEADROOM_N 1.5
#define LIMITER_HEADROOM_SHARE 0.03
#define LIMITER_HEADROOM_MOST 0.25
double limiter_force_bound_n(double cap_n);

void limiter_reset(struct limiter *l);
void limiter_apply(struct limiter *l, const struct chair_config *cfg, double cap_n,
		   double force_now_n, double dt_s, struct motion_targets *t);

#endif
