/* The limiter stage alone: whatever the targets ask, what leaves is within the cap and the
 * chair's limits; NaN goes to the safe end; a force target rises at the slew rate and
 * falls to a lowered cap at once; the force loop's bound keeps its headroom under a cap. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/config.h"
#include "../controller/limiter.h"

static struct chair_config cfg;

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	return 0;
}

static void test_every_target_is_clamped_to_the_chairs_limits(void **state)
{
	(void)state;
	struct limiter l;
	limiter_reset(&l);
	struct motion_targets t;
	targets_rest(&t, 0);
	t.y_mm = 1e9;
	t.y_speed_mm_s = 1e6;
	t.z_mode = Z_DEPTH;
	t.z_depth_mm = 500;
	t.knead_rpm = -1e4;
	t.tap_rpm = 1e5;
	t.width_mm = 10;
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		t.airbag_kpa[b] = 1e3;
	t.heat_c[HAL_HEATER_LUMBAR] = 90;
	t.recline = (enum recline_preset)42;
	limiter_apply(&l, &cfg, 60, 0, 0.001, &t);
	assert_true(t.y_mm == cfg.y.max_mm);
	assert_true(t.y_speed_mm_s == cfg.y.speed_max_mm_s);
	assert_true(t.z_depth_mm == cfg.z.max_mm);
	assert_true(t.knead_rpm == -cfg.knead.max_rpm);
	assert_true(t.tap_rpm == cfg.tap.max_rpm);
	assert_true(t.width_mm == cfg.w.min_mm);
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		assert_true(t.airbag_kpa[b] == cfg.airbag.max_kpa);
	assert_true(t.heat_c[HAL_HEATER_LUMBAR] == cfg.heater.max_c);
	assert_int_equal(t.recline, RECLINE_HOLD);
}

static void test_nan_targets_go_to_the_safe_end(void **state)
{
	(void)state;
	struct limiter l;
	limiter_reset(&l);
	struct motion_targets t;
	targets_rest(&t, 0);
	t.z_mode = Z_FORCE;
	t.z_force_n = NAN;
	t.knead_rpm = NAN;
	t.heat_c[HAL_HEATER_CALVES] = NAN;
	t.airbag_kpa[HAL_AIRBAG_SEAT] = NAN;
	limiter_apply(&l, &cfg, NAN, 0, 0.001, &t);
	assert_true(t.z_force_n == 0);
	assert_true(t.knead_rpm == 0);
	assert_true(t.heat_c[HAL_HEATER_CALVES] == 0);
	assert_true(t.airbag_kpa[HAL_AIRBAG_SEAT] == 0);
}

static void test_force_rises_at_the_slew_rate_and_never_past_the_cap(void **state)
{
	(void)state;
	struct limiter l;
	limiter_reset(&l);
	struct motion_targets t;
	double max_step_n = cfg.force.slew_n_s * 0.001;
	double prev_n = 0;
	for (int i = 0; i < 2000; i++) {
		targets_rest(&t, 0);
		t.z_mode = Z_FORCE;
		t.z_force_n = 500;
		limiter_apply(&l, &cfg, 40, prev_n, 0.001, &t);
		assert_true(t.z_force_n - prev_n <= max_step_n + 1e-9);
		assert_true(t.z_force_n <= 40);
		prev_n = t.z_force_n;
	}
	assert_true(prev_n == 40);
}

/* A cap lowered mid-press ("too much", a user's lower cap) is not slewed down to. */
static void test_a_lowered_cap_takes_the_force_target_down_at_once(void **state)
{
	(void)state;
	struct limiter l;
	limiter_reset(&l);
	struct motion_targets t;
	for (int i = 0; i < 1000; i++) {
		targets_rest(&t, 0);
		t.z_mode = Z_FORCE;
		t.z_force_n = 30;
		limiter_apply(&l, &cfg, 60, 30, 0.001, &t);
	}
	assert_true(t.z_force_n == 30);
	targets_rest(&t, 0);
	t.z_mode = Z_FORCE;
	t.z_force_n = 30;
	limiter_apply(&l, &cfg, 16.5, 30, 0.001, &t);
	assert_true(t.z_force_n == 16.5);
}

/* A light cap keeps the 1.5 N floor of headroom: 3 % of 30 N (0.9 N) would be too little
 * for the lag of the true force behind the target. */
static void test_force_bound_is_1_5_n_under_a_cap_whose_3_percent_is_less(void **state)
{
	(void)state;
	assert_true(fabs(limiter_force_bound_n(30) - 28.5) < 1e-9);
	assert_true(fabs(limiter_force_bound_n(50) - 48.5) < 1e-9); /* exactly 1.5 N both ways */
}

/* A firm cap keeps 3 % of itself under: the lag grows with the force. */
static void test_force_bound_is_3_percent_under_a_cap_above_50_n(void **state)
{
	(void)state;
	assert_true(fabs(limiter_force_bound_n(60) - 58.2) < 1e-9);
	assert_true(fabs(limiter_force_bound_n(100) - 97.0) < 1e-9);
}

/* A technician's light cap still presses: the headroom is at most a quarter of the cap. */
static void test_force_bound_is_never_more_than_a_quarter_under_the_cap(void **state)
{
	(void)state;
	assert_true(fabs(limiter_force_bound_n(4) - 3.0) < 1e-9);
	assert_true(fabs(limiter_force_bound_n(2) - 1.5) < 1e-9);
	assert_true(fabs(limiter_force_bound_n(6) - 4.5) < 1e-9); /* where both meet */
	for (double cap_n = 0.5; cap_n <= 200; cap_n += 0.25) {
		double bound_n = limiter_force_bound_n(cap_n);
		assert_true(bound_n < cap_n);
		assert_true(bound_n >= 0.75 * cap_n - 1e-9);
	}
}

/* No cap, a negative one or NaN is no force at all. */
static void test_force_bound_of_no_cap_or_nan_is_zero(void **state)
{
	(void)state;
	assert_true(limiter_force_bound_n(0) == 0);
	assert_true(limiter_force_bound_n(-10) == 0);
	assert_true(limiter_force_bound_n(NAN) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_target_is_clamped_to_the_chairs_limits),
		cmocka_unit_test(test_nan_targets_go_to_the_safe_end),
		cmocka_unit_test(test_force_rises_at_the_slew_rate_and_never_past_the_cap),
		cmocka_unit_test(test_a_lowered_cap_takes_the_force_target_down_at_once),
		cmocka_unit_test(test_force_bound_is_1_5_n_under_a_cap_whose_3_percent_is_less),
		cmocka_unit_test(test_force_bound_is_3_percent_under_a_cap_above_50_n),
		cmocka_unit_test(test_force_bound_is_never_more_than_a_quarter_under_the_cap),
		cmocka_unit_test(test_force_bound_of_no_cap_or_nan_is_zero),
	};
	return cmocka_run_group_tests_name("limiter", tests, setup, NULL);
}
