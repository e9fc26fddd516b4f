/* The motion core against the simulated chair: homing, force control, and the cap; and the
 * roller's forecast drop on its own (axes_control fed load-cell readings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/motion/axes.h"
#include "rig.h"

static void test_homing_random_bodies_and_starts_ends_homed_within_20s(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct rig *r = rig_open(seed);
		assert_true(lockstep_home(&r->ls, 20000));
		struct ctl *c = rig_ctl(r);
		const struct sim *s = rig_sim(r);
		/* The estimate agrees with the truth to within a tenth of a millimetre. */
		assert_true(fabs(c->est.y_mm - s->drive[HAL_AXIS_Y].position) < 0.2);
		assert_true(fabs(c->est.z_mm - s->drive[HAL_AXIS_Z].position) < 0.2);
		assert_true(fabs(s->drive[HAL_AXIS_Y].position) < 0.5);
		assert_int_equal(c->safety.log.count, 0);
		rig_close(r);
	}
}

static void test_homing_from_on_the_switches_moves_off_and_back(void **state)
{
	(void)state;
	struct rig *r = rig_open(3);
	struct sim *s = rig_sim(r);
	s->drive[HAL_AXIS_Y].position = -5;
	s->drive[HAL_AXIS_Z].position = -1;
	assert_true(lockstep_home(&r->ls, 20000));
	assert_true(fabs(rig_ctl(r)->est.y_mm - s->drive[HAL_AXIS_Y].position) < 0.2);
	rig_close(r);
}

static void test_start_and_manual_refused_before_homing(void **state)
{
	(void)state;
	struct rig *r = rig_open(1);
	struct motion_targets t;
	targets_rest(&t, 400);
	assert_int_equal(rig_manual(r, &t), CMD_E_NOT_HOMED);
	struct ctl_cmd start = {.kind = CMD_START, .plan = (const struct plan *)&t};
	assert_int_equal(ctl_command(rig_ctl(r), &start), CMD_E_NOT_HOMED);
	rig_close(r);
}

/* The step from a light touch to 40 N: time until the force enters ±3 N and stays. */
static double settle_time_s(struct rig *r, double y_mm, double *worst_after_n)
{
	rig_press(r, y_mm, 5, 3000);
	struct ctl *c = rig_ctl(r);
	struct motion_targets t;
	targets_rest(&t, y_mm);
	t.y_speed_mm_s = 80;
	t.z_mode = Z_FORCE;
	t.z_force_n = 40;
	rig_manual(r, &t);
	const int window = 4000;
	double last_out_s = 0;
	*worst_after_n = 0;
	for (int i = 1; i <= window; i++) {
		lockstep_tick(&r->ls);
		double err = fabs(c->est.force_n - 40);
		if (err > 3)
			last_out_s = i * 1e-3;
	}
	/* After settling, how far it strays. */
	for (int i = 0; i < 2000; i++) {
		lockstep_tick(&r->ls);
		*worst_after_n = fmax(*worst_after_n, fabs(c->est.force_n - 40));
	}
	return last_out_s;
}

static void test_force_40n_on_lumbar_of_20_people_settles_within_1s(void **state)
{
	(void)state;
	for (uint64_t seed = 100; seed < 120; seed++) {
		struct rig *r = rig_open(seed);
		assert_true(lockstep_home(&r->ls, 20000));
		double y = rig_lumbar_y_mm(r);
		assert_true(rig_move_to(r, y, 20000));
		double worst_n;
		double settle_s = settle_time_s(r, y, &worst_n);
		if (settle_s > 1.0 || worst_n > 3)
			fprintf(stderr, "seed %llu: settled after %.3f s, then within %.2f N\n",
				(unsigned long long)seed, settle_s, worst_n);
		assert_true(settle_s <= 1.0);
		assert_true(worst_n <= 3.0);
		assert_int_equal(rig_ctl(r)->safety.log.count, 0);
		rig_close(r);
	}
}

/* What the roller may really press beyond a cap it is commanded to hold: the force loop's
 * overshoot (measured: at most 0.04 N on a 30 N cap over seeds 7 to 11). The command
 * itself never goes past the cap. */
#define CAP_OVERSHOOT_N 1.0

static double peak_true_n;

static void check_cap_every_tick(struct rig *r, double cap_n, int ticks)
{
	struct ctl *c = rig_ctl(r);
	const double scale = r->cfg.force.scale_n;
	for (int i = 0; i < ticks; i++) {
		lockstep_tick(&r->ls);
		assert_true(r->ls.out.drive[HAL_AXIS_Z].target_force_raw * scale <= cap_n + 1e-9);
		assert_true(c->targets.z_force_n <= cap_n);
		double true_n = rig_sim(r)->contact_force_n;
		peak_true_n = true_n > peak_true_n ? true_n : peak_true_n;
		assert_true(c->est.force_n <= cap_n + CAP_OVERSHOOT_N);
		assert_true(true_n <= cap_n + CAP_OVERSHOOT_N);
	}
}

static void cap_holds_with_huge_targets(uint64_t seed)
{
	struct rig *r = rig_open(seed);
	peak_true_n = 0;
	assert_true(lockstep_home(&r->ls, 20000));
	const double cap_n = 30;
	assert_int_equal(rig_set_cap(r, cap_n), CMD_OK);
	double y = rig_lumbar_y_mm(r);
	assert_true(rig_move_to(r, y, 20000));
	const double huge[] = {1e6, 120, 31, INFINITY, NAN, -1e9};
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		struct motion_targets t;
		targets_rest(&t, y);
		t.z_mode = Z_FORCE;
		t.z_force_n = huge[i];
		rig_manual(r, &t);
		check_cap_every_tick(r, cap_n, 1500);
	}
	/* "Stronger" pressed over and over cannot lift it either. */
	for (int i = 0; i < 20; i++) {
		struct ctl_cmd up = {.kind = CMD_INTENSITY, .value = 1};
		ctl_command(rig_ctl(r), &up);
	}
	struct motion_targets t;
	targets_rest(&t, y);
	t.z_mode = Z_FORCE;
	t.z_force_n = 29;
	rig_manual(r, &t);
	check_cap_every_tick(r, cap_n, 2000);
	/* Depth mode pushing far past the body stops at the cap too. */
	t.z_mode = Z_DEPTH;
	t.z_depth_mm = 1000;
	rig_manual(r, &t);
	check_cap_every_tick(r, cap_n, 3000);
	assert_int_equal(rig_ctl(r)->safety.log.count, 0);
	printf("seed %llu: cap %.0f N, the roller's true force at most %.2f N\n",
	       (unsigned long long)seed, cap_n, peak_true_n);
	rig_close(r);
}

static void test_commanded_force_never_exceeds_cap_with_huge_targets(void **state)
{
	(void)state;
	for (uint64_t seed = 7; seed <= 11; seed++)
		cap_holds_with_huge_targets(seed);
}

/* A depth is a place: carried along the back at 20 mm/s onto stiffer tissue at a deep
 * protrusion, the roller backs off before the true force reaches the cap (from 90 % of
 * it, axes.c); backing off only at the cap let it pass by 4 %. (At 40 mm/s it still
 * passes by 2 %, inside the over-force margin: see docs/programs.md.) */
static void test_depth_carried_along_the_back_stays_under_the_cap(void **state)
{
	(void)state;
	const double cap_n = 30;
	for (uint64_t seed = 7; seed <= 11; seed++) {
		struct rig *r = rig_open(seed);
		assert_true(lockstep_home(&r->ls, 20000));
		assert_int_equal(rig_set_cap(r, cap_n), CMD_OK);
		double lumbar_y = rig_lumbar_y_mm(r);
		assert_true(rig_move_to(r, lumbar_y - 250, 20000));
		struct motion_targets t;
		targets_rest(&t, lumbar_y + 150);
		t.y_speed_mm_s = 20;
		t.z_mode = Z_DEPTH;
		t.z_depth_mm = 90;
		rig_manual(r, &t);
		double peak_n = 0;
		for (int i = 0; i < 15000; i++) {
			lockstep_tick(&r->ls);
			double true_n = rig_sim(r)->contact_force_n;
			peak_n = true_n > peak_n ? true_n : peak_n;
		}
		printf("seed %llu: depth 90 mm along the back, true force at most %.2f N (cap %.0f)\n",
		       (unsigned long long)seed, peak_n, cap_n);
		assert_true(peak_n > 0.8 * cap_n); /* it did press */
		assert_true(peak_n <= cap_n);
		assert_int_equal(rig_ctl(r)->safety.log.count, 0);
		rig_close(r);
	}
}

static void test_cap_change_mid_press_lowers_force(void **state)
{
	(void)state;
	struct rig *r = rig_open(8);
	assert_true(lockstep_home(&r->ls, 20000));
	double y = rig_lumbar_y_mm(r);
	assert_true(rig_move_to(r, y, 20000));
	rig_press(r, y, 50, 3000);
	assert_true(fabs(rig_ctl(r)->est.force_n - 50) < 3);
	assert_int_equal(rig_set_cap(r, 20), CMD_OK);
	rig_ticks(r, 1000);
	assert_true(rig_ctl(r)->est.force_n < 21);
	assert_int_equal(rig_set_cap(r, 500), CMD_E_ARG);
	assert_int_equal(rig_set_cap(r, NAN), CMD_E_ARG);
	rig_close(r);
}

static void test_carriage_follows_target_without_overshoot(void **state)
{
	(void)state;
	struct rig *r = rig_open(9);
	assert_true(lockstep_home(&r->ls, 20000));
	struct motion_targets t;
	targets_rest(&t, 900);
	t.y_speed_mm_s = 40;
	rig_manual(r, &t);
	double peak_mm_s = 0, max_y = 0;
	for (int i = 0; i < 30000; i++) {
		lockstep_tick(&r->ls);
		peak_mm_s = fmax(peak_mm_s, rig_sim(r)->drive[HAL_AXIS_Y].velocity);
		max_y = fmax(max_y, rig_sim(r)->drive[HAL_AXIS_Y].position);
	}
	assert_true(fabs(rig_sim(r)->drive[HAL_AXIS_Y].position - 900) < 0.5);
	assert_true(max_y < 901);
	assert_true(peak_mm_s < 44);
	assert_true(peak_mm_s > 36);
	rig_close(r);
}

static void test_knead_tap_and_width_reach_their_setpoints(void **state)
{
	(void)state;
	struct rig *r = rig_open(10);
	assert_true(lockstep_home(&r->ls, 20000));
	struct motion_targets t;
	targets_rest(&t, 500);
	t.knead_rpm = -30;
	t.tap_rpm = 360;
	t.width_mm = 140;
	rig_manual(r, &t);
	rig_ticks(r, 6000);
	const struct estimate *e = &rig_ctl(r)->est;
	assert_true(fabs(e->knead_rpm + 30) <= 1);
	assert_true(fabs(e->tap_rpm - 360) <= 2);
	assert_true(fabs(e->w_mm - 140) < 0.5);
	rig_close(r);
}

/* The roller alone (axes_control), pressing at 10 mm out toward a target at the cap: the
 * load cell's readings one a tick, the Z command after the last. */
static double roller_after_readings(struct axes *ax, const struct chair_config *cfg,
				    double cap_n, const double *force_n, int n)
{
	struct estimate est;
	memset(&est, 0, sizeof(est));
	est.z_homed = true;
	est.z_mm = 10;
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	struct motion_targets t;
	targets_rest(&t, 0);
	t.z_mode = Z_FORCE;
	t.z_force_n = cap_n;
	struct axes_override ov = {0};
	struct hal_outputs out;
	for (int i = 0; i < n; i++) {
		est.force_n = force_n[i];
		memset(&out, 0, sizeof(out));
		axes_control(ax, cfg, &est, &in, &t, &ov, cap_n, 0.001, &out);
	}
	return ax->z_cmd_mm_s;
}

/* 500 N/s, from 37 N to 39 N under a 40 N cap: 10 ms on it is 44 N, past the cap before
 * the drive could turn round, so the roller drops at release speed now, while the reading
 * itself is still under the cap and the force loop would push on toward its target. */
static void test_roller_drops_when_a_fast_rise_would_pass_the_cap_in_10_ms(void **state)
{
	(void)state;
	struct chair_config cfg;
	config_defaults(&cfg);
	struct axes ax;
	axes_reset(&ax);
	const double rising_n[] = {37.0, 37.5, 38.0, 38.5, 39.0};
	double v = roller_after_readings(&ax, &cfg, 40, rising_n, 5);
	assert_true(ax.z_dropping);
	assert_true(v == -cfg.force.release_speed_mm_s);
	/* The same force held still is pushed on toward the target. */
	axes_reset(&ax);
	const double still_n[] = {39.0, 39.0, 39.0, 39.0, 39.0};
	assert_true(roller_after_readings(&ax, &cfg, 40, still_n, 5) > 0);
	assert_false(ax.z_dropping);
}

/* A zone's ceiling is the cap the roller gets (the tick passes the lower of the two): a
 * rise at 500 N/s toward a 12 N ceiling drops from 10 N. */
static void test_roller_drops_before_a_zones_ceiling_the_same_way(void **state)
{
	(void)state;
	struct chair_config cfg;
	config_defaults(&cfg);
	struct axes ax;
	axes_reset(&ax);
	const double rising_n[] = {8.0, 8.5, 9.0, 9.5, 10.0};
	assert_true(roller_after_readings(&ax, &cfg, 12, rising_n, 5) ==
		    -cfg.force.release_speed_mm_s);
	assert_true(ax.z_dropping);
}

/* Below 75 N/s a rise is the load cell's steps and the body's give, not the body coming at
 * the roller: 50 N/s at 40.6 N (a forecast of 41.1 N, past the 41 N the drop goes down to)
 * is not forecast, 100 N/s from the same force is. */
static void test_roller_forecasts_only_a_rise_faster_than_75_n_s(void **state)
{
	(void)state;
	struct chair_config cfg;
	config_defaults(&cfg);
	struct axes ax;
	axes_reset(&ax);
	const double slow_n[] = {40.4, 40.45, 40.5, 40.55, 40.6};
	assert_true(roller_after_readings(&ax, &cfg, 40, slow_n, 5) >
		    -cfg.force.release_speed_mm_s);
	assert_false(ax.z_dropping);
	axes_reset(&ax);
	const double fast_n[] = {40.2, 40.3, 40.4, 40.5, 40.6};
	assert_true(roller_after_readings(&ax, &cfg, 40, fast_n, 5) ==
		    -cfg.force.release_speed_mm_s);
	assert_true(ax.z_dropping);
}

/* The drop goes on while the reading or its forecast is past the cap and its slack, and
 * ends when both are back under: the force loop takes over from there. */
static void test_roller_drop_ends_once_force_and_forecast_are_under_the_cap(void **state)
{
	(void)state;
	struct chair_config cfg;
	config_defaults(&cfg);
	struct axes ax;
	axes_reset(&ax);
	const double rising_n[] = {37.0, 37.5, 38.0, 38.5, 39.0, 39.5};
	assert_true(roller_after_readings(&ax, &cfg, 40, rising_n, 6) ==
		    -cfg.force.release_speed_mm_s);
	const double falling_n[] = {39.5, 39.0, 38.5, 38.0};
	assert_true(roller_after_readings(&ax, &cfg, 40, falling_n, 4) >
		    -cfg.force.release_speed_mm_s);
	assert_false(ax.z_dropping);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_homing_random_bodies_and_starts_ends_homed_within_20s),
		cmocka_unit_test(test_homing_from_on_the_switches_moves_off_and_back),
		cmocka_unit_test(test_start_and_manual_refused_before_homing),
		cmocka_unit_test(test_force_40n_on_lumbar_of_20_people_settles_within_1s),
		cmocka_unit_test(test_commanded_force_never_exceeds_cap_with_huge_targets),
		cmocka_unit_test(test_depth_carried_along_the_back_stays_under_the_cap),
		cmocka_unit_test(test_cap_change_mid_press_lowers_force),
		cmocka_unit_test(test_carriage_follows_target_without_overshoot),
		cmocka_unit_test(test_knead_tap_and_width_reach_their_setpoints),
		cmocka_unit_test(test_roller_drops_when_a_fast_rise_would_pass_the_cap_in_10_ms),
		cmocka_unit_test(test_roller_drops_before_a_zones_ceiling_the_same_way),
		cmocka_unit_test(test_roller_forecasts_only_a_rise_faster_than_75_n_s),
		cmocka_unit_test(test_roller_drop_ends_once_force_and_forecast_are_under_the_cap),
	};
	return cmocka_run_group_tests_name("motion", tests, NULL, NULL);
}
