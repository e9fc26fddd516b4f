/* The reference chair's numbers and the level mappings of docs/programs.md. */
#include "limits.h"

#include <math.h>

void interp_limits_default(struct interp_limits *lim)
{
	*lim = (struct interp_limits){
		.track_min_mm = 0.0,
		.track_max_mm = 1300.0,
		.carriage_min_mm_s = 5.0,
		.carriage_max_mm_s = 80.0,
		.glide_min_mm_s = 5.0,
		.glide_max_mm_s = 30.0,
		.transit_mm_s = 60.0,
		.transit_settle_ms = 300.0,
		.z_max_mm = 100.0,
		.z_speed_mm_s = 30.0,
		.depth_per_level_mm = 4.0,
		.force_max_n = 120.0,
		.knead_max_rpm = 60.0,
		.tap_max_rpm = 720.0,
		.width_narrow_mm = 80.0,
		.width_medium_mm = 110.0,
		.width_wide_mm = 140.0,
		.airbag_max_kpa = 40.0,
		.pump_kpa_s = 10.0,
		.vent_tau_s = 0.4,
		.vent_empty_kpa = 0.05,
		.heat_max_c = 41.0,
		.heat_warn_c = 40.0,
		.heat_min_c = 30.0,
		.heat_default_c = 38.0,
		.session_max_ms = 30u * 60u * 1000u,
		.body_height_min_mm = 1500.0,
		.body_height_max_mm = 2000.0,
		.seat_y_mm = 760.0,
		.skin_gap_mm = 20.0,
		.gentle_max_level = 4,
		.normal_max_level = 7,
	};
}

/* A level 1..n as a fraction 0..1 of the way from the lowest to the highest value. */
static double level_frac(int level, int levels)
{
	if (level < 1)
		level = 1;
	if (level > levels)
		level = levels;
	return (double)(level - 1) / (double)(levels - 1);
}

static int clamp_level(int level, int levels)
{
	return level < 1 ? 1 : level > levels ? levels : level;
}

/* Roll and every other carriage movement: level 1 = slowest, 10 = fastest carriage. */
double interp_carriage_mm_s(const struct interp_limits *lim, int speed_level)
{
	return lim->carriage_min_mm_s +
	       level_frac(speed_level, 10) * (lim->carriage_max_mm_s - lim->carriage_min_mm_s);
}

/* Myofascial glides are slow: their own, narrower range. */
double interp_glide_mm_s(const struct interp_limits *lim, int speed_level)
{
	return lim->glide_min_mm_s +
	       level_frac(speed_level, 10) * (lim->glide_max_mm_s - lim->glide_min_mm_s);
}

/* Level n = n tenths of the motor's top speed: 6..60 rpm on the reference chair. */
double interp_knead_rpm(const struct interp_limits *lim, int speed_level)
{
	return lim->knead_max_rpm * clamp_level(speed_level, 10) / 10.0;
}

/* Level n = n tenths of the top stroke rate: 1.2..12 Hz = 72..720 rpm. */
double interp_tap_rpm(const struct interp_limits *lim, int rate_level)
{
	return lim->tap_max_rpm * clamp_level(rate_level, 10) / 10.0;
}

/* Pressure level 10 is the user's cap, linear below it. */
double interp_force_n(double cap_n, int pressure_level)
{
	return cap_n * clamp_level(pressure_level, 10) / 10.0;
}

/* Depth level n protrudes n steps past where the roller meets the skin. */
double interp_depth_mm(const struct interp_limits *lim, double skin_gap_mm, int depth_level)
{
	double z_mm = skin_gap_mm + lim->depth_per_level_mm * clamp_level(depth_level, 10);
	return z_mm > lim->z_max_mm ? lim->z_max_mm : z_mm;
}

/* Air level n = n fifths of the airbag maximum: 8..40 kPa. */
double interp_air_kpa(const struct interp_limits *lim, int air_level)
{
	return lim->airbag_max_kpa * clamp_level(air_level, 5) / 5.0;
}

/* Stretch level n squeezes the limbs like air level n. */
double interp_stretch_kpa(const struct interp_limits *lim, int stretch_level)
{
	return interp_air_kpa(lim, stretch_level);
}

/* Whole milliseconds at or above ms, without counting a rounding error as one more. */
static uint32_t ceil_ms(double ms)
{
	if (!(ms > 0.0))
		return 0;
	if (ms > 4e9)
		return UINT32_MAX;
	return (uint32_t)ceil(ms - 1e-6);
}

uint32_t interp_fill_ms(const struct interp_limits *lim, int zones, double kpa)
{
	if (!(lim->pump_kpa_s > 0.0) || zones < 1)
		return 0;
	return ceil_ms(zones * kpa / lim->pump_kpa_s * 1000.0);
}

uint32_t interp_vent_ms(const struct interp_limits *lim, double kpa)
{
	if (!(lim->vent_tau_s > 0.0) || !(lim->vent_empty_kpa > 0.0) || kpa <= lim->vent_empty_kpa)
		return 0;
	return ceil_ms(lim->vent_tau_s * log(kpa / lim->vent_empty_kpa) * 1000.0);
}

uint32_t interp_air_slot_min_ms(const struct interp_limits *lim, int zones, int air_level)
{
	double kpa = interp_air_kpa(lim, air_level);
	uint32_t fill_ms = interp_fill_ms(lim, 1, kpa);
	if (zones < 2 || fill_ms == 0)
		return fill_ms;
	return interp_vent_ms(lim, kpa) + fill_ms;
}
