/* The feedback-scaling stage: the person's live adjustments (stronger, softer, faster,
 * slower, wider, narrower, "too much") applied to the executor's targets, and the force ceilings that "too
 * much" leaves behind in the zone where it was said. */
#ifndef FEEDBACK_H
#define FEEDBACK_H

#include <stdbool.h>

#include "interp/body.h"
#include "motion/targets.h"

#define FEEDBACK_LEVEL_MAX 5
/* Wider / narrower: this many steps each way, each a share of the width axis' range that
 * takes the medium width to either end in as many steps. */
#define FEEDBACK_WIDTH_LEVELS 4
/* The body's zones (enum body_landmark up to BODY_THIGHS) and one for anywhere else
 * (above the neck, or no body map: a technician's jog). */
#define FEEDBACK_ZONES (BODY_ZONE_COUNT + 1)
#define FEEDBACK_ZONE_ELSEWHERE BODY_ZONE_COUNT

/* "Too much" takes the force to this share of what was too much at once (the true force
 * then falls by more than the 40 % asked, with room for the loop's undershoot); each
 * "stronger" in that zone afterwards lifts its ceiling by STEP of that level, up to MAX of
 * it: back toward it, never to it. */
#define FEEDBACK_TOO_MUCH_DROP 0.55
#define FEEDBACK_TOO_MUCH_STEP 0.10
#define FEEDBACK_TOO_MUCH_MAX 0.85
/* And never within this of it: at a light level (2-5 N) 85 % is half a newton under it,
 * less than a wall of the body coming at the roller takes before the drop catches it
 * (measured: 0.2 N left under a 3.6 N level, over a thousand simulated sessions). */
#define FEEDBACK_TOO_MUCH_GAP_N 1.0
/* A zone's ceiling holds FEEDBACK_ZONE_PROMISE_MM around it too, on the truth: on its edge
 * the estimate of where the roller is may say one zone then the other, tick after tick, and
 * a roller travelling into it must be down to the ceiling when it gets there. The chair
 * holds it FEEDBACK_ZONE_MARGIN_MM around, 5 mm more: the carriage's travel while the
 * roller drops to the ceiling (at release speed, 15-45 ms; 3.6 mm at the carriage's
 * 80 mm/s). Measured: with the hold at 10 mm a roller crawling toward a zone at 21 N came
 * into the 10 mm still 9 N over the zone's level, for 11 ms. A "too much" said within it
 * is the level of every zone it reaches (feedback_too_much). */
#define FEEDBACK_ZONE_PROMISE_MM 10.0
#define FEEDBACK_ZONE_MARGIN_MM 15.0

struct feedback {
	int intensity;                     /* -5..+5 steps of 10 % on force and depth */
	int speed;                         /* -5..+5 steps of 10 % on speeds and rates */
	int width;                         /* -4..+4 steps of the width axis' range */
	double width_base_mm;              /* the width the program last asked for, 0 = none */
	int zone;                          /* where the roller is: 0..FEEDBACK_ZONES-1 */
	int near_lo, near_hi;              /* the zones FEEDBACK_ZONE_MARGIN_MM above and below */
	double too_much_n[FEEDBACK_ZONES]; /* the lowest force that was too much there, 0 = none */
	double ceiling_n[FEEDBACK_ZONES];  /* the force allowed there since */
};

void feedback_reset(struct feedback *f);
/* The zone the roller is in now: a body zone, or FEEDBACK_ZONE_ELSEWHERE for -1. */
void feedback_set_zone(struct feedback *f, int body_zone);
/* And the zones FEEDBACK_ZONE_MARGIN_MM up and down the back from it (as for
 * feedback_set_zone), whose ceilings hold here too; feedback_set_zone alone makes them the
 * roller's own. */
void feedback_set_zones_near(struct feedback *f, int body_zone_lo, int body_zone_hi);
/* Change a level by delta, clamped to its range. Stronger also lifts the ceiling of the
 * zone the roller is in, if "too much" left one, toward (never to) what was too much. */
void feedback_adjust_intensity(struct feedback *f, int delta);
void feedback_adjust_speed(struct feedback *f, int delta);
void feedback_adjust_width(struct feedback *f, int delta);
/* "Too much" at force_n in the current zone, and in the zones FEEDBACK_ZONE_MARGIN_MM up
 * and down the back from it (feedback_set_zones_near): each one's ceiling drops to
 * FEEDBACK_TOO_MUCH_DROP of it (of the lower level, when it was too much there before).
 * A force that is not a number counts as fallback_n. */
void feedback_too_much(struct feedback *f, double force_n, double fallback_n);
/* The most force the current zone allows (and the zones near it); cap_n where "too much"
 * was never said. */
double feedback_ceiling_n(const struct feedback *f, double cap_n);
/* Above this force, where "too much" was said (here or near), the roller must drop to the
 * ceiling at once: a quarter of the way from the ceiling to what was too much. The force
 * loop alone would ease down too slowly where the carriage carries the roller up a slope of
 * the body (onto the shoulders). INFINITY where "too much" was never said. */
#define FEEDBACK_GUARD_SHARE 0.25
double feedback_guard_n(const struct feedback *f);
void feedback_apply(const struct feedback *f, struct motion_targets *t);
/* What stronger and softer make of a force: the factor feedback_apply scales it by. */
double feedback_strength(const struct feedback *f);
/* Wider / narrower on the roller spacing: the width the program asks for (or, where it
 * leaves the width as it is, the last it asked for, else now_mm) moved by the width level's
 * steps of (max_mm - min_mm) / (2 FEEDBACK_WIDTH_LEVELS), within min_mm..max_mm. At level
 * 0 the targets are left as they are. */
void feedback_apply_width(struct feedback *f, struct motion_targets *t, double now_mm,
			  double min_mm, double max_mm);

#endif
