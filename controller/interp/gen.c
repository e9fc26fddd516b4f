/* The techniques' motion generators (see gen.h): knead, tap, knead-tap, shiatsu, roll,
 * glide, trigger-point, and the airbag patterns of air and stretch. */
#include "gen.h"

#include <math.h>

double gen_sweep_y(double a_mm, double b_mm, double v_mm_s, double t_s, long *pass)
{
	double length_mm = fabs(b_mm - a_mm);
	if (pass)
		*pass = 0;
	if (length_mm < 1.0 || v_mm_s <= 0.0 || t_s <= 0.0)
		return a_mm;
	double half_s = length_mm / v_mm_s;
	double n = floor(t_s / half_s);
	double into_s = t_s - n * half_s;
	double dir = b_mm > a_mm ? 1.0 : -1.0;
	if (pass)
		*pass = (long)n;
	if (fmod(n, 2.0) == 0.0)
		return a_mm + dir * v_mm_s * into_s;
	return b_mm - dir * v_mm_s * into_s;
}

/* Roller contact as the step asks for it, at full intensity. */
static void press(const struct plan_step *s, struct motion_targets *t)
{
	if (s->z_kind == PLAN_Z_DEPTH) {
		t->z_mode = Z_DEPTH;
		t->z_depth_mm = s->depth_mm;
	} else {
		t->z_mode = Z_FORCE;
		t->z_force_n = s->force_n;
	}
}

/* A force ramp from `from_n` to `to_n` that finishes early (GEN_SETTLE_SHARE of dur_s). */
static double ramp_n(double from_n, double to_n, double t_s, double dur_s)
{
	double rise_s = dur_s * GEN_SETTLE_SHARE;
	double f = rise_s > 0.0 ? t_s / rise_s : 1.0;
	if (f > 1.0)
		f = 1.0;
	if (f < 0.0)
		f = 0.0;
	return from_n + (to_n - from_n) * f;
}

int gen_shiatsu_points(const struct plan_step *s)
{
	double length_mm = fabs(s->y_to_mm - s->y_from_mm);
	if (length_mm < 1.0)
		return 1;
	int gaps = (int)lround(length_mm / GEN_SHIATSU_SPACING_MM);
	return (gaps < 1 ? 1 : gaps) + 1;
}

/* Time to step from one shiatsu point to the next. */
static uint32_t shiatsu_step_ms(const struct plan_step *s)
{
	int points = gen_shiatsu_points(s);
	if (points < 2)
		return 0;
	double spacing_mm = fabs(s->y_to_mm - s->y_from_mm) / (points - 1);
	return (uint32_t)ceil(spacing_mm / GEN_SHIATSU_STEP_MM_S * 1000.0);
}

uint32_t gen_shiatsu_cycle_ms(const struct plan_step *s)
{
	return GEN_SHIATSU_PRESS_MS + s->hold_ms + GEN_SHIATSU_RELEASE_MS + shiatsu_step_ms(s);
}

/* Point k of a shiatsu zone's points, visited 0, 1 … n-1, n-2 … 1, 0, 1 … */
static double shiatsu_point_y(const struct plan_step *s, int points, long visit)
{
	long k = 0;
	if (points > 1) {
		long period = 2L * (points - 1);
		long v = visit % period;
		k = v < points ? v : period - v;
	}
	double f = points > 1 ? (double)k / (points - 1) : 0.0;
	return s->y_from_mm + (s->y_to_mm - s->y_from_mm) * f;
}

static void shiatsu(const struct plan_step *s, double t_s, struct motion_targets *t)
{
	int points = gen_shiatsu_points(s);
	double cycle_s = gen_shiatsu_cycle_ms(s) / 1000.0;
	double press_s = GEN_SHIATSU_PRESS_MS / 1000.0;
	double hold_s = s->hold_ms / 1000.0;
	double release_s = GEN_SHIATSU_RELEASE_MS / 1000.0;
	double step_s = shiatsu_step_ms(s) / 1000.0;
	double n = floor(t_s / cycle_s);
	double into_s = t_s - n * cycle_s;
	long visit = (long)n;
	double here_mm = shiatsu_point_y(s, points, visit);

	t->z_mode = Z_FORCE;
	t->y_mm = here_mm;
	t->y_speed_mm_s = GEN_SHIATSU_STEP_MM_S * GEN_FOLLOW_MARGIN;
	if (into_s < press_s) {
		t->z_force_n = ramp_n(s->touch_force_n, s->force_n, into_s, press_s);
	} else if (into_s < press_s + hold_s) {
		t->z_force_n = s->force_n;
	} else if (into_s < press_s + hold_s + release_s) {
		t->z_force_n = ramp_n(s->force_n, s->touch_force_n, into_s - press_s - hold_s,
				      release_s);
	} else {
		/* stepping on, lightly in touch */
		double next_mm = shiatsu_point_y(s, points, visit + 1);
		double f = step_s > 0.0 ? (into_s - press_s - hold_s - release_s) / step_s : 1.0;
		t->z_force_n = s->touch_force_n;
		t->y_mm = here_mm + (next_mm - here_mm) * (f > 1.0 ? 1.0 : f);
	}
}

double gen_guided_start_n(const struct plan_step *s)
{
	return s->from_level && s->from_force_n > s->touch_force_n ? s->from_force_n
								  : s->touch_force_n;
}

uint32_t gen_guided_work_ms(const struct plan_step *s)
{
	double rise_n = s->force_n - gen_guided_start_n(s);
	uint32_t rise_ms = rise_n > 0.0 ? (uint32_t)ceil(rise_n / GEN_GUIDED_RISE_N_S * 1000.0) : 0;
	return s->ramp_ms + rise_ms + GEN_GUIDED_RISES_MAX * s->for_ms + s->release_ms +
	       GEN_GUIDED_SLACK_MS;
}

/* A guided trigger point as a pure function of time, for plots and estimates: the worst
 * case for force and time, nobody saying "there": the rise to its level, a hold there until
 * the release. The executor runs the real protocol (exec.c). */
static void guided(const struct plan_step *s, double t_s, struct motion_targets *t)
{
	double ramp_s = s->ramp_ms / 1000.0;
	double release_s = s->release_ms / 1000.0;
	double release_at_s = (gen_guided_work_ms(s) - GEN_GUIDED_SLACK_MS) / 1000.0 - release_s;
	double start_n = gen_guided_start_n(s);
	t->y_mm = s->y_from_mm;
	t->y_speed_mm_s = 0.0;
	t->z_mode = Z_FORCE;
	if (t_s < ramp_s) {
		t->z_force_n = ramp_n(s->touch_force_n, start_n, t_s, ramp_s);
	} else if (t_s < release_at_s) {
		double level_n = start_n + GEN_GUIDED_RISE_N_S * (t_s - ramp_s);
		t->z_force_n = level_n < s->force_n ? level_n : s->force_n;
	} else if (t_s - release_at_s < release_s * GEN_SETTLE_SHARE) {
		t->z_force_n = ramp_n(s->force_n, 0.0, t_s - release_at_s, release_s);
	} else {
		t->z_mode = Z_RETRACT;
		t->z_force_n = 0.0;
	}
}

static void trigger_point(const struct plan_step *s, double t_s, struct motion_targets *t)
{
	if (s->guided) {
		guided(s, t_s, t);
		return;
	}
	double ramp_s = s->ramp_ms / 1000.0;
	double hold_s = s->for_ms / 1000.0;
	double release_s = s->release_ms / 1000.0;
	t->y_mm = s->y_from_mm;
	t->y_speed_mm_s = 0.0; /* still: the carriage is already on the point */
	t->z_mode = Z_FORCE;
	if (t_s < ramp_s) {
		t->z_force_n = ramp_n(s->touch_force_n, s->force_n, t_s, ramp_s);
	} else if (t_s < ramp_s + hold_s) {
		t->z_force_n = s->force_n;
	} else {
		double into_s = t_s - ramp_s - hold_s;
		if (into_s < release_s * GEN_SETTLE_SHARE) {
			t->z_force_n = ramp_n(s->force_n, 0.0, into_s, release_s);
		} else {
			t->z_mode = Z_RETRACT;
			t->z_force_n = 0.0;
		}
	}
}

void gen_work(const struct plan_step *s, double t_s, struct motion_targets *t)
{
	long pass = 0;
	t->knead_rpm = 0.0;
	t->tap_rpm = 0.0;
	t->width_mm = s->width_mm;
	t->z_depth_mm = 0.0;
	t->z_force_n = 0.0;
	switch ((enum plan_op)s->op) {
	case PLAN_KNEAD:
	case PLAN_TAP:
	case PLAN_KNEAD_TAP:
		t->y_mm = gen_sweep_y(s->y_from_mm, s->y_to_mm, GEN_CRAWL_MM_S, t_s, &pass);
		t->y_speed_mm_s = GEN_CRAWL_MM_S * GEN_FOLLOW_MARGIN;
		press(s, t);
		/* The kneading motor turns the other way on each pass through the zone. */
		if (s->op != PLAN_TAP)
			t->knead_rpm = pass % 2 == 0 ? s->knead_rpm : -s->knead_rpm;
		if (s->op != PLAN_KNEAD)
			t->tap_rpm = s->tap_rpm;
		break;
	case PLAN_ROLL:
		t->y_mm = gen_sweep_y(s->y_from_mm, s->y_to_mm, s->speed_mm_s, t_s, NULL);
		t->y_speed_mm_s = s->speed_mm_s * GEN_FOLLOW_MARGIN;
		press(s, t);
		break;
	case PLAN_GLIDE: {
		double length_mm = fabs(s->y_to_mm - s->y_from_mm);
		double done_mm = s->speed_mm_s * (t_s > 0.0 ? t_s : 0.0);
		if (done_mm > length_mm)
			done_mm = length_mm;
		t->y_mm = s->y_from_mm + (s->y_to_mm >= s->y_from_mm ? done_mm : -done_mm);
		t->y_speed_mm_s = s->speed_mm_s * GEN_FOLLOW_MARGIN;
		press(s, t);
		break;
	}
	case PLAN_SHIATSU:
		shiatsu(s, t_s, t);
		break;
	case PLAN_TRIGGER_POINT:
		trigger_point(s, t_s, t);
		break;
	default:
		t->y_speed_mm_s = 0.0;
		t->z_mode = Z_RETRACT;
		break;
	}
}

void gen_air(const struct plan_modal *m, double t_s, double kpa[HAL_AIRBAG_COUNT])
{
	int zones[HAL_AIRBAG_COUNT];
	int n = 0;
	for (int z = 0; z < HAL_AIRBAG_COUNT; z++) {
		kpa[z] = 0.0;
		if (m->air_mask & (1u << z))
			zones[n++] = z;
	}
	if (n == 0 || m->air_cycle_ms == 0)
		return;
	/* The cycle is shared out among the zones, which fill one after another. */
	double cycle_s = m->air_cycle_ms / 1000.0;
	double into_s = fmod(t_s > 0.0 ? t_s : 0.0, cycle_s);
	int slot = (int)(into_s / (cycle_s / n));
	if (slot >= n)
		slot = n - 1;
	kpa[zones[slot]] = m->air_kpa;
}

uint32_t gen_stretch_squeeze_ms(const struct interp_limits *lim, double kpa)
{
	uint32_t ms = interp_fill_ms(lim, GEN_STRETCH_ZONES, kpa) + GEN_STRETCH_HOLD_MS;
	return ms > GEN_STRETCH_SQUEEZE_MIN_MS ? ms : GEN_STRETCH_SQUEEZE_MIN_MS;
}

uint32_t gen_stretch_cycle_ms(const struct interp_limits *lim, double kpa)
{
	uint32_t vent_ms = interp_vent_ms(lim, kpa);
	return gen_stretch_squeeze_ms(lim, kpa) +
	       (vent_ms > GEN_STRETCH_LETGO_MS ? vent_ms : GEN_STRETCH_LETGO_MS);
}

void gen_stretch(const struct plan_step *s, double t_s, double kpa[HAL_AIRBAG_COUNT])
{
	double squeeze_kpa = 0.0;
	if (s->stretch_cycle_ms > 0) {
		double into_ms = fmod(t_s > 0.0 ? t_s * 1000.0 : 0.0, (double)s->stretch_cycle_ms);
		squeeze_kpa = into_ms < s->stretch_squeeze_ms ? s->stretch_kpa : 0.0;
	}
	for (int z = 0; z < HAL_AIRBAG_COUNT; z++)
		kpa[z] = 0.0;
	/* Hold the arms and legs while the backrest lies back: the stretch. */
	kpa[HAL_AIRBAG_SHOULDERS] = squeeze_kpa;
	kpa[HAL_AIRBAG_ARMS] = squeeze_kpa;
	kpa[HAL_AIRBAG_CALVES] = squeeze_kpa;
	kpa[HAL_AIRBAG_FEET] = squeeze_kpa;
}
