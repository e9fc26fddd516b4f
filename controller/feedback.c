/* Feedback scales targets; it never raises a target past what the limiter allows,
 * because the limiter runs after it, under the ceiling this module gives it. */
#include "feedback.h"

#include <math.h>
#include <string.h>

void feedback_reset(struct feedback *f)
{
	memset(f, 0, sizeof(*f));
	f->zone = FEEDBACK_ZONE_ELSEWHERE;
	f->near_lo = FEEDBACK_ZONE_ELSEWHERE;
	f->near_hi = FEEDBACK_ZONE_ELSEWHERE;
}

static int zone_of(int body_zone)
{
	return body_zone >= 0 && body_zone < BODY_ZONE_COUNT ? body_zone : FEEDBACK_ZONE_ELSEWHERE;
}

void feedback_set_zone(struct feedback *f, int body_zone)
{
	f->zone = zone_of(body_zone);
	f->near_lo = f->zone;
	f->near_hi = f->zone;
}

void feedback_set_zones_near(struct feedback *f, int body_zone_lo, int body_zone_hi)
{
	f->near_lo = zone_of(body_zone_lo);
	f->near_hi = zone_of(body_zone_hi);
}

static int clamp_level(int v)
{
	return v < -FEEDBACK_LEVEL_MAX ? -FEEDBACK_LEVEL_MAX
	       : v > FEEDBACK_LEVEL_MAX ? FEEDBACK_LEVEL_MAX : v;
}

/* A ceiling of ceiling_n under level_n, kept FEEDBACK_TOO_MUCH_GAP_N under it (0 at least). */
static double below_level_n(double ceiling_n, double level_n)
{
	double most_n = level_n - FEEDBACK_TOO_MUCH_GAP_N;
	if (ceiling_n > most_n)
		ceiling_n = most_n;
	return ceiling_n > 0 ? ceiling_n : 0;
}

void feedback_adjust_intensity(struct feedback *f, int delta)
{
	f->intensity = clamp_level(f->intensity + delta);
	double level_n = f->too_much_n[f->zone];
	if (delta > 0 && level_n > 0) {
		double lifted_n = f->ceiling_n[f->zone] + FEEDBACK_TOO_MUCH_STEP * level_n;
		double most_n = FEEDBACK_TOO_MUCH_MAX * level_n;
		lifted_n = lifted_n < most_n ? lifted_n : most_n;
		f->ceiling_n[f->zone] = below_level_n(lifted_n, level_n);
	}
}

void feedback_adjust_speed(struct feedback *f, int delta)
{
	f->speed = clamp_level(f->speed + delta);
}

void feedback_adjust_width(struct feedback *f, int delta)
{
	int w = f->width + delta;
	f->width = w < -FEEDBACK_WIDTH_LEVELS ? -FEEDBACK_WIDTH_LEVELS
		   : w > FEEDBACK_WIDTH_LEVELS ? FEEDBACK_WIDTH_LEVELS : w;
}

/* "Too much" at level_n for zone z alone. */
static void too_much_in(struct feedback *f, int z, double level_n)
{
	double *seen_n = &f->too_much_n[z];
	/* Said again under the ceiling: the lower force is the new level. */
	if (*seen_n > 0 && *seen_n < level_n)
		level_n = *seen_n;
	*seen_n = level_n;
	f->ceiling_n[z] = below_level_n(FEEDBACK_TOO_MUCH_DROP * level_n, level_n);
}

void feedback_too_much(struct feedback *f, double force_n, double fallback_n)
{
	double level_n = force_n >= 0 ? force_n : fallback_n; /* NaN fails the comparison */
	too_much_in(f, f->zone, level_n);
	/* Within the margin of a zone's edge the estimate of where the roller is may say either
	 * zone (measured: a "too much" said on the shoulders' edge went to the upper back, and
	 * the shoulders came back to 10 N over it): the level is both zones'. */
	if (f->near_lo != f->zone)
		too_much_in(f, f->near_lo, level_n);
	if (f->near_hi != f->zone && f->near_hi != f->near_lo)
		too_much_in(f, f->near_hi, level_n);
}

/* Zone z's ceiling, or cap_n. */
static double zone_ceiling_n(const struct feedback *f, int z, double cap_n)
{
	if (!(f->too_much_n[z] > 0))
		return cap_n;
	double c = f->ceiling_n[z];
	return c < cap_n ? c : cap_n;
}

double feedback_ceiling_n(const struct feedback *f, double cap_n)
{
	double c = zone_ceiling_n(f, f->zone, cap_n);
	double lo = zone_ceiling_n(f, f->near_lo, cap_n), hi = zone_ceiling_n(f, f->near_hi, cap_n);
	c = lo < c ? lo : c;
	return hi < c ? hi : c;
}

double feedback_strength(const struct feedback *f)
{
	return 1.0 + 0.1 * f->intensity;
}

void feedback_apply_width(struct feedback *f, struct motion_targets *t, double now_mm,
			  double min_mm, double max_mm)
{
	if (t->width_mm > 0)
		f->width_base_mm = t->width_mm;
	if (f->width == 0)
		return;
	if (!(f->width_base_mm > 0))
		f->width_base_mm = now_mm > 0 ? now_mm : (min_mm + max_mm) / 2;
	double step_mm = (max_mm - min_mm) / (2.0 * FEEDBACK_WIDTH_LEVELS);
	double w_mm = f->width_base_mm + f->width * step_mm;
	t->width_mm = w_mm < min_mm ? min_mm : w_mm > max_mm ? max_mm : w_mm;
}

/* Zone z's guard, or INFINITY. */
static double zone_guard_n(const struct feedback *f, int z)
{
	double level_n = f->too_much_n[z];
	if (!(level_n > 0))
		return INFINITY;
	return f->ceiling_n[z] + FEEDBACK_GUARD_SHARE * (level_n - f->ceiling_n[z]);
}

double feedback_guard_n(const struct feedback *f)
{
	double g = zone_guard_n(f, f->zone);
	double lo = zone_guard_n(f, f->near_lo), hi = zone_guard_n(f, f->near_hi);
	g = lo < g ? lo : g;
	return hi < g ? hi : g;
}

void feedback_apply(const struct feedback *f, struct motion_targets *t)
{
	double strength = feedback_strength(f);
	double pace = 1.0 + 0.1 * f->speed;
	t->z_force_n *= strength;
	t->z_depth_mm *= strength;
	t->knead_rpm *= pace;
	t->tap_rpm *= pace;
	t->y_speed_mm_s *= pace;
}
