/* Clamps. NaN is treated as the safe end of each range: a comparison with NaN is false,
 * so every clamp is written to let only values proven in range through. */
#include "limiter.h"

#include <math.h>

double limiter_force_bound_n(double cap_n)
{
	if (!(cap_n > 0))
		return 0; /* NaN too */
	double room_n = LIMITER_HEADROOM_SHARE * cap_n;
	if (room_n < LIMITER_HEADROOM_N)
		room_n = LIMITER_HEADROOM_N;
	if (room_n > LIMITER_HEADROOM_MOST * cap_n)
		room_n = LIMITER_HEADROOM_MOST * cap_n;
	return cap_n - room_n;
}

void limiter_reset(struct limiter *l)
{
	l->force_n = 0;
}

/* Clamp with NaN mapped to safe_value. */
static double clamp_safe(double v, double lo, double hi, double safe_value)
{
	if (v >= lo && v <= hi)
		return v;
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return safe_value;
}

void limiter_apply(struct limiter *l, const struct chair_config *cfg, double cap_n,
		   double force_now_n, double dt_s, struct motion_targets *t)
{
	double cap = clamp_safe(cap_n, 0, cfg->force.max_n, 0);
	t->y_mm = clamp_safe(t->y_mm, cfg->y.min_mm, cfg->y.max_mm, cfg->y.min_mm);
	t->y_speed_mm_s = clamp_safe(t->y_speed_mm_s, cfg->y.speed_min_mm_s, cfg->y.speed_max_mm_s,
				     cfg->y.speed_min_mm_s);
	t->z_depth_mm = clamp_safe(t->z_depth_mm, 0, cfg->z.max_mm, 0);
	double want_n = t->z_mode == Z_FORCE ? clamp_safe(t->z_force_n, 0, cap, 0) : 0;
	if (t->z_mode != Z_FORCE) {
		l->force_n = force_now_n < cap ? force_now_n : cap;
	} else {
		/* Ramp from where the roller is, so a new press starts gently. */
		double step = cfg->force.slew_n_s * dt_s;
		if (want_n > l->force_n + step)
			l->force_n += step;
		else if (want_n < l->force_n - step)
			l->force_n -= step;
		else
			l->force_n = want_n;
	}
	l->force_n = clamp_safe(l->force_n, 0, cap, 0);
	t->z_force_n = l->force_n;
	t->knead_rpm = clamp_safe(t->knead_rpm, -cfg->knead.max_rpm, cfg->knead.max_rpm, 0);
	t->tap_rpm = clamp_safe(t->tap_rpm, 0, cfg->tap.max_rpm, 0);
	if (t->width_mm != 0)
		t->width_mm = clamp_safe(t->width_mm, cfg->w.min_mm, cfg->w.max_mm, 0);
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		t->airbag_kpa[b] = clamp_safe(t->airbag_kpa[b], 0, cfg->airbag.max_kpa, 0);
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		t->heat_c[h] = clamp_safe(t->heat_c[h], 0, cfg->heater.max_c, 0);
	if (t->recline < RECLINE_HOLD || t->recline >= RECLINE_COUNT)
		t->recline = RECLINE_HOLD;
}
