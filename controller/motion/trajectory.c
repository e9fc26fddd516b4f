/* Jerk-limited target following. Each tick takes the largest acceleration toward the
 * target that (a) the jerk limit can reach from the current one, (b) does not carry the
 * speed past its limit once the acceleration is ramped back to zero, and (c) still
 * leaves a jerk-limited braking manoeuvre that stops on the target. (c) is a closed-form
 * distance, both checks grow with the acceleration, so a bisection finds the largest
 * acceptable one: bounded work, about 2 us worst case. Targets may move every tick. */
#include "trajectory.h"

#include <math.h>

#include "../num.h"

/* Within this distance and speed the axis is put exactly on target. */
static const double arrive_mm = 0.02;
static const double arrive_mm_s = 0.5;
static const int bisect_steps = 16;

void traj_reset(struct traj *t, double pos_mm)
{
	t->pos_mm = pos_mm;
	t->vel_mm_s = 0;
	t->acc_mm_s2 = 0;
}

/* Distance covered by the quickest jerk-limited stop from speed v (toward +) with
 * acceleration a: jerk down to a peak deceleration, hold it, jerk back to zero just as
 * the speed reaches zero. */
static double stop_distance(double v, double a, double jmax, double amax)
{
	if (v <= 0) {
		if (a <= 0)
			return 0;
		/* Moving away but turning: count from where the turn peaks. */
		double v_peak = v + a * a / (2 * jmax);
		return v_peak > 0 ? stop_distance(v_peak, 0, jmax, amax) : 0;
	}
	double peak = sqrt(jmax * v + a * a / 2);
	double hold_s = 0;
	if (peak > amax) {
		peak = amax;
		hold_s = (v + a * a / (2 * jmax) - amax * amax / jmax) / amax;
	}
	if (a < -peak)
		return v * v / (-2 * a); /* already braking harder than needed */
	double t1 = (a + peak) / jmax;
	double d = v * t1 + a * t1 * t1 / 2 - jmax * t1 * t1 * t1 / 6;
	double v1 = v + a * t1 - jmax * t1 * t1 / 2;
	d += v1 * hold_s - peak * hold_s * hold_s / 2;
	double v2 = v1 - peak * hold_s;
	double t3 = peak / jmax;
	d += v2 * t3 - peak * t3 * t3 / 2 + jmax * t3 * t3 * t3 / 6;
	return d;
}

struct frame {
	double dist_mm; /* to the target, in the direction of the target */
	double v;
	double a;
};

/* Whether a_next still lets the axis stop on the target. */
static int stops_in_time(const struct frame *f, double a_next, const struct traj_limits *lim,
			 double dt_s)
{
	double v = f->v + a_next * dt_s;
	return v * dt_s + stop_distance(v, a_next, lim->jmax_mm_s3, lim->amax_mm_s2) <=
	       f->dist_mm + 1e-9;
}

/* The largest acceleration whose speed, once the acceleration is ramped back to zero,
 * stays within the limit: v + a dt + a^2 / 2j <= vmax, solved for a. */
static double speed_bound(const struct frame *f, const struct traj_limits *lim, double dt_s)
{
	double j = lim->jmax_mm_s3;
	double room = lim->vmax_mm_s - f->v;
	if (room <= 0)
		return room / dt_s; /* over the limit: come down */
	return j * (-dt_s + sqrt(dt_s * dt_s + 2 * room / j));
}

void traj_step(struct traj *t, double target_mm, const struct traj_limits *lim, double dt_s)
{
	double dist = target_mm - t->pos_mm;
	if (fabs(dist) < arrive_mm && fabs(t->vel_mm_s) < arrive_mm_s) {
		traj_reset(t, target_mm);
		return;
	}
	/* Work in the frame where the target lies ahead. */
	double dir = dist >= 0 ? 1.0 : -1.0;
	struct frame f = {fabs(dist), dir * t->vel_mm_s, dir * t->acc_mm_s2};
	double da = lim->jmax_mm_s3 * dt_s;
	double lo = num_fmax(-lim->amax_mm_s2, f.a - da);
	double hi = num_fmin(num_fmin(lim->amax_mm_s2, f.a + da), speed_bound(&f, lim, dt_s));
	double a_next;
	if (hi <= lo) {
		a_next = lo; /* the speed limit asks for more braking than the jerk allows */
	} else if (stops_in_time(&f, hi, lim, dt_s)) {
		a_next = hi; /* cruising or speeding up: the common case, one evaluation */
	} else if (!stops_in_time(&f, lo, lim, dt_s)) {
		a_next = lo; /* brake as hard as the jerk limit allows */
	} else {
		for (int i = 0; i < bisect_steps; i++) {
			double mid = (lo + hi) / 2;
			if (stops_in_time(&f, mid, lim, dt_s))
				lo = mid;
			else
				hi = mid;
		}
		a_next = lo;
	}
	t->acc_mm_s2 = dir * a_next;
	t->vel_mm_s += t->acc_mm_s2 * dt_s;
	t->pos_mm += t->vel_mm_s * dt_s;
}

int traj_at_rest(const struct traj *t, double target_mm)
{
	return t->pos_mm == target_mm && t->vel_mm_s == 0;
}
