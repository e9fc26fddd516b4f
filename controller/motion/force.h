/* Roller contact-force control on the Z axis: a PI loop that turns force error into an
 * extension speed for the Z drive, with anti-windup and a hard ceiling at the cap. */
#ifndef MOTION_FORCE_H
#define MOTION_FORCE_H

/* Past the cap the loop backs off this many times faster than its proportional gain: where
 * the carriage carries the roller onto a rising part of the body the body comes at the
 * roller, at some 7 mm/s on the shoulders at 8 mm/s of carriage (measured), and the
 * proportional term alone needs 3 N past the target to retract that fast; this needs
 * 0.7 N past the cap, which the limiter's headroom (limiter_force_bound_n) keeps under the
 * person's own cap. A body coming faster is axes.c's to meet (its forecast drop). */
#define FORCE_OVER_CAP_GAIN 5.0

struct force_gains {
	double kp_mm_s_per_n;
	double ki_mm_s2_per_n;
	double vmax_mm_s;       /* extension speed limit, and retraction near the target */
	double vrelease_mm_s;   /* retraction speed limit once the force is past the target */
	double release_over_n;  /* how far past the target counts as past */
};

struct force_ctl {
	double integral_mm_s;   /* the integral term, already in mm/s */
};

void force_reset(struct force_ctl *fc);
/* Extension speed (mm/s, + = into the body) that moves measured_n toward target_n.
 * Above cap_n it always retracts, whatever the target or the integral say; well past the
 * target it may retract at release speed, because the body can come at the roller faster
 * than the normal depth speed (the carriage moving onto a rounder part of the back). */
double force_step(struct force_ctl *fc, const struct force_gains *g, double target_n,
		  double measured_n, double cap_n, double dt_s);

#endif
