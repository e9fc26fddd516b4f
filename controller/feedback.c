/* Feedback scales targets; it never raises a target past what the limiter allows,
 * because the limiter runs after it, under the ceiling this module gives it. */
#include "feedback.h"

#include <string.h>

void feedback_reset(struct feedback *f)
{
	memset(f, 0, sizeof(*f));
	f->zone = FEEDBACK_ZONE_ELSEWHERE;
}

void feedback_set_zone(struct feedback *f, int body_zone)
{
	f->zone = body_zone >= 0 && body_zone < BODY_ZONE_COUNT ? body_zone
								: FEEDBACK_ZONE_ELSEWHERE;
}

static int clamp_level(int v)
{
	return v < -FEEDBACK_LEVEL_MAX ? -FEEDBACK_LEVEL_MAX
	       : v > FEEDBACK_LEVEL_MAX ? FEEDBACK_LEVEL_MAX : v;
}

void feedback_adjust_intensity(struct feedback *f, int delta)
{
	f->intensity = clamp_level(f->intensity + delta);
	double level_n = f->too_much_n[f->zone];
	if (delta > 0 && level_n > 0) {
		double lifted_n = f->ceiling_n[f->zone] + FEEDBACK_TOO_MUCH_STEP * level_n;
		double most_n = FEEDBACK_TOO_MUCH_MAX * level_n;
		f->ceiling_n[f->zone] = lifted_n < most_n ? lifted_n : most_n;
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

void feedback_too_much(struct feedback *f, double force_n, double fallback_n)
{
	double level_n = force_n >= 0 ? force_n : fallback_n; /* NaN fails the comparison */
	double *seen_n = &f->too_much_n[f->zone];
	/* Said again under the ceiling: the lower force is the new level. */
	if (*seen_n > 0 && *seen_n < level_n)
		level_n = *seen_n;
	*seen_n = level_n;
	f->ceiling_n[f->zone] = FEEDBACK_TOO_MUCH_DROP * level_n;
}

double feedback_ceiling_n(const struct feedback *f, double cap_n)
{
	if (!(f->too_much_n[f->zone] > 0))
		return cap_n;
	double c = f->ceiling_n[f->zone];
	return c < cap_n ? c : cap_n;
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
