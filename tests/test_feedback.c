/* The feedback stage alone: levels clamp, "too much" leaves a ceiling in its zone only, and
 * "stronger" lifts it toward, never to, what was too much. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/feedback.h"

static void test_levels_clamp_at_five_steps_each_way(void **state)
{
	(void)state;
	struct feedback f;
	feedback_reset(&f);
	for (int i = 0; i < 20; i++) {
		feedback_adjust_intensity(&f, 1);
		feedback_adjust_speed(&f, -1);
	}
	assert_int_equal(f.intensity, FEEDBACK_LEVEL_MAX);
	assert_int_equal(f.speed, -FEEDBACK_LEVEL_MAX);
	struct motion_targets t = {.z_force_n = 20, .z_depth_mm = 10, .knead_rpm = 30,
				   .tap_rpm = 100, .y_speed_mm_s = 20};
	feedback_apply(&f, &t);
	assert_true(fabs(t.z_force_n - 30) < 1e-9);
	assert_true(fabs(t.z_depth_mm - 15) < 1e-9);
	assert_true(fabs(t.knead_rpm - 15) < 1e-9);
	assert_true(fabs(t.y_speed_mm_s - 10) < 1e-9);
}

static void test_too_much_lowers_only_its_own_zone(void **state)
{
	(void)state;
	struct feedback f;
	feedback_reset(&f);
	feedback_set_zone(&f, BODY_LOWER_BACK);
	feedback_too_much(&f, 30, 60);
	assert_true(fabs(feedback_ceiling_n(&f, 60) - FEEDBACK_TOO_MUCH_DROP * 30) < 1e-9);
	feedback_set_zone(&f, BODY_UPPER_BACK);
	assert_true(feedback_ceiling_n(&f, 60) == 60);
	feedback_set_zone(&f, -1); /* above the neck: the zone for anywhere else */
	assert_int_equal(f.zone, FEEDBACK_ZONE_ELSEWHERE);
	assert_true(feedback_ceiling_n(&f, 60) == 60);
	feedback_set_zone(&f, BODY_LOWER_BACK);
	assert_true(feedback_ceiling_n(&f, 10) == 10); /* never above the cap */
}

static void test_stronger_comes_back_toward_too_much_but_never_reaches_it(void **state)
{
	(void)state;
	struct feedback f;
	feedback_reset(&f);
	feedback_set_zone(&f, BODY_MID_BACK);
	feedback_too_much(&f, 40, 60);
	double prev_n = feedback_ceiling_n(&f, 60);
	for (int i = 0; i < 20; i++) {
		feedback_adjust_intensity(&f, 1);
		double now_n = feedback_ceiling_n(&f, 60);
		assert_true(now_n >= prev_n);
		assert_true(now_n <= FEEDBACK_TOO_MUCH_MAX * 40 + 1e-9);
		prev_n = now_n;
	}
	assert_true(prev_n > 0.8 * 40);
	feedback_adjust_intensity(&f, -1); /* softer leaves the ceiling */
	assert_true(feedback_ceiling_n(&f, 60) == prev_n);
}

static void test_too_much_again_under_the_ceiling_lowers_the_level(void **state)
{
	(void)state;
	struct feedback f;
	feedback_reset(&f);
	feedback_set_zone(&f, BODY_SHOULDERS);
	feedback_too_much(&f, 30, 60);
	feedback_too_much(&f, 16, 60);
	assert_true(fabs(f.too_much_n[BODY_SHOULDERS] - 16) < 1e-9);
	assert_true(fabs(feedback_ceiling_n(&f, 60) - FEEDBACK_TOO_MUCH_DROP * 16) < 1e-9);
	feedback_too_much(&f, 50, 60); /* a higher reading never raises it */
	assert_true(fabs(f.too_much_n[BODY_SHOULDERS] - 16) < 1e-9);
}

static void test_too_much_with_a_force_that_is_not_a_number_uses_the_cap(void **state)
{
	(void)state;
	struct feedback f;
	feedback_reset(&f);
	feedback_too_much(&f, NAN, 40);
	assert_true(fabs(feedback_ceiling_n(&f, 60) - FEEDBACK_TOO_MUCH_DROP * 40) < 1e-9);
	feedback_reset(&f);
	assert_true(feedback_ceiling_n(&f, 60) == 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_clamp_at_five_steps_each_way),
		cmocka_unit_test(test_too_much_lowers_only_its_own_zone),
		cmocka_unit_test(test_stronger_comes_back_toward_too_much_but_never_reaches_it),
		cmocka_unit_test(test_too_much_again_under_the_ceiling_lowers_the_level),
		cmocka_unit_test(test_too_much_with_a_force_that_is_not_a_number_uses_the_cap),
	};
	return cmocka_run_group_tests_name("feedback", tests, NULL, NULL);
}
