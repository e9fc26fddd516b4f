/* The roller's force PI (force_step) on its own, with the reference chair's gains: above the
 * cap it never pushes whatever its integral holds, it does not wind up while saturated, a
 * target above the cap is the cap, well past the target it backs off at up to release speed,
 * reset forgets the integral, and a NaN force reading never turns into a push. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/config.h"
#include "../controller/motion/force.h"

static const double dt_s = 0.001;
static struct force_gains g;

static int setup(void **state)
{
	(void)state;
	struct chair_config cfg;
	config_defaults(&cfg);
	/* As axes.c builds them. */
	g = (struct force_gains){cfg.force.kp_mm_s_per_n, cfg.force.ki_mm_s2_per_n,
				 cfg.z.speed_max_mm_s, cfg.force.release_speed_mm_s,
				 cfg.force.release_over_n};
	return 0;
}

static void test_force_never_pushes_above_the_cap_whatever_the_integral(void **state)
{
	(void)state;
	const double cap_n = 60;
	const double integrals[] = {-g.vmax_mm_s, -5, 0, 5, g.vmax_mm_s};
	const double targets[] = {0, 30, 59.9, 60, 61, 120, 1e6};
	const double over[] = {1e-9, 0.01, 1, 5, 14.9, 50, 200};
	for (size_t i = 0; i < sizeof(integrals) / sizeof(integrals[0]); i++)
		for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++)
			for (size_t m = 0; m < sizeof(over) / sizeof(over[0]); m++) {
				struct force_ctl fc = {.integral_mm_s = integrals[i]};
				double out = force_step(&fc, &g, targets[t], cap_n + over[m], cap_n, dt_s);
				if (!(out < 0))
					fail_msg("integral %g target %g measured %g: %g mm/s",
						 integrals[i], targets[t], cap_n + over[m], out);
				/* And nothing stored to push with once back under the cap. */
				assert_true(fc.integral_mm_s <= 0);
			}
}

static void test_force_above_the_cap_for_a_while_still_never_pushes(void **state)
{
	(void)state;
	struct force_ctl fc = {.integral_mm_s = g.vmax_mm_s};
	for (int i = 0; i < 5000; i++) {
		double measured_n = 60 + 0.5 + 20 * sin(i * 0.01) * sin(i * 0.01);
		assert_true(force_step(&fc, &g, 1000, measured_n, 60, dt_s) < 0);
	}
}

static void test_force_integral_does_not_grow_while_saturated_toward_the_error(void **state)
{
	(void)state;
	/* The approach through the gap: nothing touched, the target far off, full speed out.
	 * Two seconds of it store nothing that would overshoot at contact. */
	struct force_ctl fc;
	force_reset(&fc);
	for (int i = 0; i < 2000; i++) {
		double out = force_step(&fc, &g, 40, 0, 60, dt_s);
		assert_true(out == g.vmax_mm_s);
		assert_true(fc.integral_mm_s == 0);
	}
	/* Saturated by the integral and the error together: the integral holds. */
	fc.integral_mm_s = 20;
	double before = fc.integral_mm_s;
	assert_true(force_step(&fc, &g, 40, 30, 60, dt_s) == g.vmax_mm_s); /* 20 + 2 * 10 */
	assert_true(fc.integral_mm_s == before);
	/* The same at full retraction with the error the other way. */
	fc.integral_mm_s = -20;
	before = fc.integral_mm_s;
	assert_true(force_step(&fc, &g, 40, 49, 60, dt_s) == -g.vmax_mm_s); /* -20 - 2 * 9 */
	assert_true(fc.integral_mm_s == before);
}

static void test_force_integral_grows_unsaturated_and_stops_at_saturation(void **state)
{
	(void)state;
	/* A steady 1 N short (creep, an offset): the integral adds speed until the output
	 * saturates, then stops; it never passes vmax. */
	struct force_ctl fc;
	force_reset(&fc);
	double prev_out = force_step(&fc, &g, 40, 39, 60, dt_s);
	assert_true(fc.integral_mm_s > 0);
	for (int i = 0; i < 20000; i++) {
		double out = force_step(&fc, &g, 40, 39, 60, dt_s);
		assert_true(out >= prev_out);
		assert_true(out <= g.vmax_mm_s);
		prev_out = out;
	}
	double p = g.kp_mm_s_per_n * 1;
	assert_true(fc.integral_mm_s <= g.vmax_mm_s - p + g.ki_mm_s2_per_n * 1 * dt_s);
	assert_true(fc.integral_mm_s >= g.vmax_mm_s - p - g.ki_mm_s2_per_n * 1 * dt_s);
}

static void test_force_target_above_the_cap_is_the_cap(void **state)
{
	(void)state;
	struct force_ctl at_cap, above;
	force_reset(&at_cap);
	force_reset(&above);
	for (int i = 0; i < 3000; i++) {
		/* A force that rises through the cap and falls back. */
		double measured_n = 70 * sin(i * 0.002) * sin(i * 0.002);
		double a = force_step(&at_cap, &g, 60, measured_n, 60, dt_s);
		double b = force_step(&above, &g, 500, measured_n, 60, dt_s);
		assert_true(a == b);
		assert_true(at_cap.integral_mm_s == above.integral_mm_s);
	}
}

static void test_force_past_the_target_backs_off_at_up_to_release_speed(void **state)
{
	(void)state;
	const double target_n = 40, cap_n = 60;
	/* Past by more than release_over_n, under the cap: faster than vmax is allowed, up to
	 * vrelease and no more. */
	for (double past_n = g.release_over_n + 0.1; target_n + past_n < cap_n; past_n += 0.5) {
		struct force_ctl fc = {0};
		double out = force_step(&fc, &g, target_n, target_n + past_n, cap_n, dt_s);
		double want = fmax(-g.kp_mm_s_per_n * past_n, -g.vrelease_mm_s);
		assert_true(out <= want);
		assert_true(out >= -g.vrelease_mm_s);
	}
	/* Well past, with a cap high enough to stay under it: exactly release speed. */
	struct force_ctl fc = {0};
	double out = force_step(&fc, &g, 10, 115, 120, dt_s);
	assert_true(out == -g.vrelease_mm_s);
	assert_true(out < -g.vmax_mm_s);
	/* A stored push does not slow the release. */
	fc.integral_mm_s = g.vmax_mm_s;
	assert_true(force_step(&fc, &g, 10, 115, 120, dt_s) == -g.vrelease_mm_s);
}

static void test_force_within_release_over_of_the_target_retracts_at_no_more_than_vmax(void **state)
{
	(void)state;
	for (double past_n = 0.1; past_n < g.release_over_n; past_n += 0.5) {
		struct force_ctl fc = {.integral_mm_s = -g.vmax_mm_s};
		double out = force_step(&fc, &g, 40, 40 + past_n, 60, dt_s);
		assert_true(out >= -g.vmax_mm_s);
		assert_true(out < 0);
	}
}

static void test_force_reset_clears_the_integral(void **state)
{
	(void)state;
	struct force_ctl used, fresh;
	force_reset(&fresh);
	force_reset(&used);
	for (int i = 0; i < 5000; i++)
		force_step(&used, &g, 40, 38, 60, dt_s);
	assert_true(used.integral_mm_s > 1);
	force_reset(&used);
	assert_true(used.integral_mm_s == 0);
	for (int i = 0; i < 100; i++) {
		double measured_n = 35 + i * 0.1;
		assert_true(force_step(&used, &g, 40, measured_n, 60, dt_s) ==
			    force_step(&fresh, &g, 40, measured_n, 60, dt_s));
	}
}

static void test_force_nan_reading_never_pushes_nor_poisons_the_integral(void **state)
{
	(void)state;
	const double integrals[] = {-g.vmax_mm_s, 0, g.vmax_mm_s};
	for (size_t i = 0; i < sizeof(integrals) / sizeof(integrals[0]); i++) {
		struct force_ctl fc = {.integral_mm_s = integrals[i]};
		double out = force_step(&fc, &g, 40, NAN, 60, dt_s);
		/* A reading that proves nothing is a reading over the cap: back at release speed. */
		assert_true(out == -g.vrelease_mm_s);
		assert_true(fc.integral_mm_s == integrals[i]);
		/* The next good reading is controlled as if the NaN never came. */
		struct force_ctl same = {.integral_mm_s = integrals[i]};
		assert_true(force_step(&fc, &g, 40, 70, 60, dt_s) ==
			    force_step(&same, &g, 40, 70, 60, dt_s));
	}
}

static void test_force_nan_cap_is_a_cap_of_zero_and_never_pushes(void **state)
{
	(void)state;
	struct force_ctl fc = {.integral_mm_s = g.vmax_mm_s};
	assert_true(force_step(&fc, &g, 1000, 100, NAN, dt_s) < 0);
	assert_true(force_step(&fc, &g, NAN, 0, 60, dt_s) <= g.vmax_mm_s); /* target NaN = cap */
}

/* However far past the cap, the back-off is the release speed at most: the drive's and the
 * tissue's limits, not a command of a thousand mm/s. */
static void test_force_far_above_the_cap_backs_off_at_no_more_than_release_speed(void **state)
{
	(void)state;
	const double readings_n[] = {200, 283.5, 1000};
	for (size_t i = 0; i < sizeof(readings_n) / sizeof(readings_n[0]); i++) {
		struct force_ctl fc = {0};
		assert_true(force_step(&fc, &g, 40, readings_n[i], 60, dt_s) == -g.vrelease_mm_s);
	}
}

static void test_force_at_exactly_the_cap_a_stored_integral_never_pushes(void **state)
{
	(void)state;
	struct force_ctl fc = {.integral_mm_s = g.vmax_mm_s};
	assert_false(force_step(&fc, &g, 60, 60, 60, dt_s) > 0);
	assert_false(fc.integral_mm_s > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_force_never_pushes_above_the_cap_whatever_the_integral),
		cmocka_unit_test(test_force_above_the_cap_for_a_while_still_never_pushes),
		cmocka_unit_test(test_force_integral_does_not_grow_while_saturated_toward_the_error),
		cmocka_unit_test(test_force_integral_grows_unsaturated_and_stops_at_saturation),
		cmocka_unit_test(test_force_target_above_the_cap_is_the_cap),
		cmocka_unit_test(test_force_past_the_target_backs_off_at_up_to_release_speed),
		cmocka_unit_test(test_force_within_release_over_of_the_target_retracts_at_no_more_than_vmax),
		cmocka_unit_test(test_force_reset_clears_the_integral),
		cmocka_unit_test(test_force_nan_cap_is_a_cap_of_zero_and_never_pushes),
		cmocka_unit_test(test_force_far_above_the_cap_backs_off_at_no_more_than_release_speed),
		cmocka_unit_test(test_force_at_exactly_the_cap_a_stored_integral_never_pushes),
		cmocka_unit_test(test_force_nan_reading_never_pushes_nor_poisons_the_integral),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
