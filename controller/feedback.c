/* Feedback scales targets; it never raises a target past what the limiter allows,
 * because the limiter runs after it. */
#include "feedback.h"

void feedback_reset(struct feedback *f)
{
	f->intensity = 0;
	f->speed = 0;
	f->too_much_factor = 1.0;
}

static int clamp_level(int v)
{
	return v < -FEEDBACK_LEVEL_MAX ? -FEEDBACK_LEVEL_MAX
	       : v > FEEDBACK_LEVEL_MAX ? FEEDBACK_LEVEL_MAX : v;
}

void feedback_adjust_intensity(struct feedback *f, int delta)
{
	f->intensity = clamp_level(f->intensity + delta);
	/* Asking for more after a "too much" means the back-off has served its purpose. */
	if (delta > 0)
		f->too_much_factor = 1.0;
}

void feedback_adjust_speed(struct feedback *f, int delta)
{
	f->speed = clamp_level(f->speed + delta);
}

void feedback_too_much(struct feedback *f)
{
	f->too_much_factor *= 2.0 / 3.0;
	if (f->too_much_factor < 0.2)
		f->too_much_factor = 0.2;
}

void feedback_apply(const struct feedback *f, struct motion_targets *t)
{
	double strength = (1.0 + 0.1 * f->intensity) * f->too_much_factor;
	double pace = 1.0 + 0.1 * f->speed;
	t->z_force_n *= strength;
	t->z_depth_mm *= strength;
	t->knead_rpm *= pace;
	t->tap_rpm *= pace;
	t->y_speed_mm_s *= pace;
}
