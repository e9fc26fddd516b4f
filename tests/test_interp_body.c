/* The body map and the level mappings: landmarks placed by the anatomy of body.h for any
 * supported height or scan, zones in order and touching, points and ranges resolved to
 * track millimetres, points off the track refused with a message naming them, pressure
 * level 10 = the user's cap. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../controller/interp/interp.h"

static struct interp_limits lim;

static void test_default_body_follows_the_anatomy(void **state)
{
	(void)state;
	struct body_map b;
	body_default(&b, &lim);
	assert_true(fabs(b.shoulder_y_mm - (760.0 - 0.30 * 1750.0)) < 1e-9);
	assert_true(fabs(b.y_mm[BODY_C7] - (b.shoulder_y_mm - 15.0)) < 1e-9);
	double spine = (760.0 - 60.0) - b.y_mm[BODY_C7];
	assert_true(fabs(b.y_mm[BODY_T12] - b.y_mm[BODY_C7] - 0.60 * spine) < 1e-9);
	assert_true(fabs(b.y_mm[BODY_L5] - b.y_mm[BODY_T12] - 0.33 * spine) < 1e-9);
	assert_true(fabs(b.span_start_mm[BODY_NECK] - (b.shoulder_y_mm - 130.0)) < 1e-9);
	assert_true(fabs(b.span_start_mm[BODY_SHOULDERS] - (b.shoulder_y_mm - 20.0)) < 1e-9);
	assert_true(fabs(b.span_start_mm[BODY_UPPER_BACK] - b.y_mm[BODY_T3]) < 1e-9);
	assert_true(fabs(b.span_start_mm[BODY_MID_BACK] - b.y_mm[BODY_T7]) < 1e-9);
	assert_true(fabs(b.span_start_mm[BODY_LOWER_BACK] - b.y_mm[BODY_T12]) < 1e-9);
	assert_true(fabs(b.span_start_mm[BODY_SACRUM] - (b.y_mm[BODY_L5] + 15.0)) < 1e-9);
	assert_true(fabs(b.span_start_mm[BODY_GLUTES] - 760.0) < 1e-9);
	assert_true(fabs(b.span_start_mm[BODY_THIGHS] - 930.0) < 1e-9);
	assert_true(fabs(b.span_end_mm[BODY_THIGHS] - 1300.0) < 1e-9);
	assert_int_equal(body_zone_at(&b, b.y_mm[BODY_L4]), BODY_LOWER_BACK);
	assert_int_equal(body_zone_at(&b, b.y_mm[BODY_T5]), BODY_UPPER_BACK);
	assert_int_equal(body_zone_at(&b, 10.0), -1);
}

static void test_every_supported_height_keeps_landmarks_ordered_and_on_the_track(void **state)
{
	(void)state;
	for (double h = 1500; h <= 2000; h += 10) {
		struct body_map b;
		assert_int_equal(body_from_height(&b, h, &lim), 0);
		for (int z = 0; z < BODY_ZONE_COUNT; z++) {
			assert_true(b.span_start_mm[z] < b.span_end_mm[z]);
			assert_true(b.span_start_mm[z] >= 0 && b.span_end_mm[z] <= 1300);
			if (z > 0)
				assert_true(fabs(b.span_start_mm[z] - b.span_end_mm[z - 1]) < 1e-9);
		}
		for (int v = BODY_C7 + 1; v <= BODY_L5; v++)
			assert_true(b.y_mm[v] > b.y_mm[v - 1]);
	}
	struct body_map b;
	assert_int_equal(body_from_height(&b, 1400, &lim), -ERANGE);
	assert_int_equal(body_from_height(&b, 2100, &lim), -ERANGE);
}

static void test_a_scan_places_the_shoulder_line(void **state)
{
	(void)state;
	struct body_map b;
	assert_int_equal(body_from_scan(&b, 250.0, 0.0, 25.0, &lim), 0);
	assert_true(b.shoulder_y_mm == 250.0 && b.skin_gap_mm == 25.0);
	assert_true(fabs(b.y_mm[BODY_C7] - 235.0) < 1e-9);
	assert_true(b.height_mm > 1500 && b.height_mm < 2000);
	assert_int_equal(body_from_scan(&b, 600.0, 1750.0, 20.0, &lim), -EINVAL); /* no back left */
	assert_int_equal(body_from_scan(&b, -5.0, 1750.0, 20.0, &lim), -EINVAL);
	assert_int_equal(body_from_scan(&b, 250.0, 1750.0, 150.0, &lim), -EINVAL);
}

static void test_landmark_names_round_trip(void **state)
{
	(void)state;
	for (int lm = 0; lm < BODY_LANDMARK_COUNT; lm++) {
		const char *name = body_landmark_name((enum body_landmark)lm);
		assert_int_equal(body_landmark_lookup(name, strlen(name)), lm);
	}
	assert_int_equal(body_landmark_lookup("l4", 2), -1);
	assert_int_equal(body_landmark_lookup("T13", 3), -1);
}

static void test_level_mappings(void **state)
{
	(void)state;
	assert_true(interp_carriage_mm_s(&lim, 1) == 5.0 && interp_carriage_mm_s(&lim, 10) == 80.0);
	assert_true(interp_glide_mm_s(&lim, 1) == 5.0 && interp_glide_mm_s(&lim, 10) == 30.0);
	assert_true(interp_knead_rpm(&lim, 1) == 6.0 && interp_knead_rpm(&lim, 10) == 60.0);
	assert_true(interp_tap_rpm(&lim, 1) == 72.0 && interp_tap_rpm(&lim, 10) == 720.0);
	assert_true(interp_force_n(90.0, 10) == 90.0 && interp_force_n(90.0, 5) == 45.0);
	assert_true(interp_depth_mm(&lim, 20.0, 1) == 24.0 && interp_depth_mm(&lim, 20.0, 10) == 60.0);
	assert_true(interp_air_kpa(&lim, 1) == 8.0 && interp_air_kpa(&lim, 5) == 40.0);
	for (int l = 2; l <= 10; l++) {
		assert_true(interp_carriage_mm_s(&lim, l) > interp_carriage_mm_s(&lim, l - 1));
		assert_true(interp_glide_mm_s(&lim, l) > interp_glide_mm_s(&lim, l - 1));
	}
}

static struct plan *compile(const char *text)
{
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, "t");
	struct plan *p = NULL;
	int rc = interp_load(text, strlen(text), "t", &lim, d, &p);
	if (rc)
		interp_diags_print(d, stderr);
	assert_int_equal(rc, 0);
	free(d);
	return p;
}

static void test_points_zones_and_ranges_resolve_to_track_mm(void **state)
{
	(void)state;
	struct body_map b;
	body_default(&b, &lim);
	struct plan *c = compile("program \"t\"\nlevel deep\n"
				 "trigger-point L2+20mm pressure 10 hold 5s\n"
				 "knead lower-back for 1m\n"
				 "roll shoulders..sacrum depth 3 for 1m\n"
				 "glide sacrum..shoulders-3cm speed 1\n"
				 "trigger-point mid-back pressure 3 hold 5s\n"
				 "knead L4 for 1m\n"
				 "knead T3..T7 for 1m\n"
				 "knead track 420mm for 1m\n");
	struct plan *p;
	char err[256];
	assert_int_equal(plan_resolve(c, &b, 90.0, 0.0, &p, err, sizeof(err)), 0);
	const struct plan_step *s = p->steps;
	assert_true(fabs(s[0].y_from_mm - (b.y_mm[BODY_L2] + 20)) < 1e-9 && s[0].y_to_mm == s[0].y_from_mm);
	assert_true(fabs(s[0].force_n - 90.0) < 1e-9); /* pressure 10 = the cap */
	assert_true(s[1].y_from_mm == b.span_start_mm[BODY_LOWER_BACK]);
	assert_true(s[1].y_to_mm == b.span_end_mm[BODY_LOWER_BACK]);
	/* a range covers both end zones whole */
	assert_true(s[2].y_from_mm == b.span_start_mm[BODY_SHOULDERS]);
	assert_true(s[2].y_to_mm == b.span_end_mm[BODY_SACRUM]);
	assert_true(fabs(s[2].depth_mm - (b.skin_gap_mm + 12.0)) < 1e-9);
	/* upwards too, offsets from the edge */
	assert_true(s[3].y_from_mm == b.span_end_mm[BODY_SACRUM]);
	assert_true(fabs(s[3].y_to_mm - (b.span_start_mm[BODY_SHOULDERS] - 30.0)) < 1e-9);
	/* a zone used as a point is its middle */
	assert_true(fabs(s[4].y_from_mm - b.y_mm[BODY_MID_BACK]) < 1e-9);
	assert_true(s[5].y_from_mm == b.span_start_mm[BODY_L4] && s[5].y_to_mm == b.span_end_mm[BODY_L4]);
	assert_true(s[6].y_from_mm == b.y_mm[BODY_T3] && s[6].y_to_mm == b.y_mm[BODY_T7]);
	assert_true(s[7].y_from_mm == 400.0 && s[7].y_to_mm == 440.0);
	/* glide time follows from length and speed */
	double glide_mm = fabs(s[3].y_to_mm - s[3].y_from_mm);
	assert_int_equal(s[3].work_ms, (uint32_t)ceil(glide_mm / 5.0 * 1000.0));
	assert_int_equal(p->total_ms, plan_total_ms(p, 0.0));
	plan_free(p);
	plan_free(c);
}

static void test_a_point_off_the_track_for_this_person_is_refused_with_its_name(void **state)
{
	(void)state;
	/* fine for most people, off the track for the tallest */
	struct plan *c = compile("program \"t\"\nknead lower-back for 1m\nknead neck-120mm for 1m\n");
	struct body_map tall;
	assert_int_equal(body_from_height(&tall, 2000, &lim), 0);
	struct plan *p = (struct plan *)1;
	char err[256];
	assert_int_equal(plan_resolve(c, &tall, 80.0, 0.0, &p, err, sizeof(err)), -ERANGE);
	assert_null(p);
	/* a diagnostic at the place itself: "FILE:" + err reads like the checker's lines */
	assert_string_equal(err, "3:7: error: 'neck-120mm' is at -90 mm for this person (shoulder "
				 "line at 160 mm), off the track (0 to 1300 mm)");
	struct body_map small;
	assert_int_equal(body_from_height(&small, 1500, &lim), 0);
	assert_int_equal(plan_resolve(c, &small, 80.0, 0.0, &p, err, sizeof(err)), 0);
	plan_free(p);
	plan_free(c);
}

static void test_a_range_end_off_the_track_is_refused_at_its_own_column(void **state)
{
	(void)state;
	struct plan *c = compile("program \"t\"\nknead lower-back for 1m\n"
				 "  glide sacrum..neck-120mm speed 5\n");
	struct body_map tall;
	assert_int_equal(body_from_height(&tall, 2000, &lim), 0);
	struct plan *p = NULL;
	char err[256];
	assert_int_equal(plan_resolve(c, &tall, 80.0, 0.0, &p, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "3:17: error: 'neck-120mm' is at -90 mm for this person (shoulder "
				 "line at 160 mm), off the track (0 to 1300 mm)");
	plan_free(c);
}

static void test_resolve_refuses_a_run_over_the_session_limit_and_a_bad_cap(void **state)
{
	(void)state;
	struct plan *c = compile("program \"t\"\nknead neck for 29m50s\n");
	struct body_map b;
	body_default(&b, &lim);
	struct plan *p;
	char err[256];
	assert_int_equal(plan_resolve(c, &b, 80.0, 0.0, &p, err, sizeof(err)), 0);
	plan_free(p);
	/* from the far end of the track, the move to the neck pushes it over */
	assert_int_equal(plan_resolve(c, &b, 80.0, 1300.0, &p, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "2:1: error: the program runs 30m11s for this person, over the "
				 "session limit of 30m; it passes the limit here");
	assert_int_equal(plan_resolve(c, &b, 0.0, 0.0, &p, err, sizeof(err)), -EINVAL);
	/* the cap never goes past the chair's force limit */
	assert_int_equal(plan_resolve(c, &b, 500.0, 0.0, &p, err, sizeof(err)), 0);
	assert_true(p->cap_n == lim.force_max_n);
	plan_free(p);
	plan_free(c);
}

static void test_a_resolved_plan_is_a_self_contained_copy(void **state)
{
	(void)state;
	struct plan *c = compile("program \"Copy\"\ndescription \"d\"\ntags a, b\nphase \"P\"\npause 1s\n");
	struct body_map b;
	body_default(&b, &lim);
	struct plan *p;
	assert_int_equal(plan_resolve(c, &b, 80.0, 0.0, &p, NULL, 0), 0);
	plan_free(c); /* the copy lives on */
	assert_string_equal(p->name, "Copy");
	assert_string_equal(p->description, "d");
	assert_string_equal(p->tags, "a,b");
	assert_string_equal(p->phase_names[1], "P");
	assert_true(p->resolved);
	plan_free(p);
}

static int setup(void **state)
{
	(void)state;
	interp_limits_default(&lim);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_body_follows_the_anatomy),
		cmocka_unit_test(test_every_supported_height_keeps_landmarks_ordered_and_on_the_track),
		cmocka_unit_test(test_a_scan_places_the_shoulder_line),
		cmocka_unit_test(test_landmark_names_round_trip),
		cmocka_unit_test(test_level_mappings),
		cmocka_unit_test(test_points_zones_and_ranges_resolve_to_track_mm),
		cmocka_unit_test(test_a_point_off_the_track_for_this_person_is_refused_with_its_name),
		cmocka_unit_test(test_a_range_end_off_the_track_is_refused_at_its_own_column),
		cmocka_unit_test(test_resolve_refuses_a_run_over_the_session_limit_and_a_bad_cap),
		cmocka_unit_test(test_a_resolved_plan_is_a_self_contained_copy),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
