/* The feedback-scaling stage: the person's live adjustments (stronger, softer, faster,
 * slower, "too much") applied to the executor's targets. */
#ifndef FEEDBACK_H
#define FEEDBACK_H

#include "motion/targets.h"

#define FEEDBACK_LEVEL_MAX 5

struct feedback {
	int intensity;          /* -5..+5 steps of 10 % on force and depth */
	int speed;              /* -5..+5 steps of 10 % on speeds and rates */
	double too_much_factor; /* 1 normally; drops on "too much", then stays until raised */
};

void feedback_reset(struct feedback *f);
/* Change a level by delta, clamped to its range. */
void feedback_adjust_intensity(struct feedback *f, int delta);
void feedback_adjust_speed(struct feedback *f, int delta);
/* "Too much": back off the force at once by a third. Repeated presses back off further. */
void feedback_too_much(struct feedback *f);
void feedback_apply(const struct feedback *f, struct motion_targets *t);

#endif
