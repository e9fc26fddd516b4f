/* The pain trend: the change from the first score before to the last score after, per area,
 * with 30 % as the meaningful drop (30 itself included), missing scores skipped, and a
 * malformed history document refused with the field named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "../controller/session/history.h"

/* The trend of a document given as JSON text. */
static json_t *trend_of(const char *doc, char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *h = json_loads(doc, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(h);
	json_t *t = history_trend(h, err, err_len);
	json_decref(h);
	return t;
}

/* The trend object of one area, or NULL. */
static const json_t *area_trend(const json_t *trend, const char *area)
{
	size_t i;
	const json_t *t;
	json_array_foreach(trend, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "area")), area))
			return t;
	return NULL;
}

static void test_change_is_first_before_minus_last_after_over_first_before(void **state)
{
	(void)state;
	char err[128] = "";
	json_t *trend = trend_of(
		"{\"sessions\": ["
		" {\"session_id\": 1, \"start_s\": 100, \"pain\": [{\"area\": \"lower-back\", \"before\": 8, \"after\": 6}]},"
		" {\"session_id\": 2, \"start_s\": 200, \"pain\": [{\"area\": \"lower-back\", \"before\": 6, \"after\": 4}]},"
		" {\"session_id\": 3, \"start_s\": 300, \"pain\": [{\"area\": \"lower-back\", \"before\": 5, \"after\": 2}]}]}",
		err, sizeof(err));
	assert_non_null(trend);
	assert_int_equal(json_array_size(trend), 1);
	const json_t *t = area_trend(trend, "lower-back");
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "first_before")), 8);
	assert_int_equal(json_integer_value(json_object_get(t, "last_after")), 2);
	assert_float_equal(json_number_value(json_object_get(t, "change_pct")), 75.0, 1e-9);
	assert_true(json_is_true(json_object_get(t, "meaningful")));
	assert_string_equal(json_string_value(json_object_get(t, "direction")), "better");
	const json_t *pts = json_object_get(t, "points");
	assert_int_equal(json_array_size(pts), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(pts, 1), "session_id")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(pts, 1), "before")), 6);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(pts, 2), "after")), 2);
	json_decref(trend);
}

static void test_exactly_thirty_percent_is_meaningful_and_just_below_is_not(void **state)
{
	(void)state;
	double pct;
	assert_true(history_change_pct(10, 7, &pct));
	assert_true(pct == 30.0);
	assert_true(history_is_meaningful(pct));
	assert_true(history_change_pct(10, 7.1, &pct));
	assert_false(history_is_meaningful(pct));
	assert_true(history_is_meaningful(30.0));
	assert_false(history_is_meaningful(29.99));
	assert_false(history_is_meaningful(-50.0)); /* worse is never the meaningful drop */

	char err[128] = "";
	json_t *trend = trend_of(
		"{\"sessions\": ["
		" {\"pain\": [{\"area\": \"neck\", \"before\": 10, \"after\": 7},"
		"             {\"area\": \"mid-back\", \"before\": 7, \"after\": 5}]}]}",
		err, sizeof(err));
	assert_non_null(trend);
	const json_t *neck = area_trend(trend, "neck"), *mid = area_trend(trend, "mid-back");
	assert_float_equal(json_number_value(json_object_get(neck, "change_pct")), 30.0, 1e-9);
	assert_true(json_is_true(json_object_get(neck, "meaningful")));
	/* 7 -> 5 is 28.6 %: close, and not the meaningful change */
	assert_float_equal(json_number_value(json_object_get(mid, "change_pct")), 28.6, 1e-9);
	assert_false(json_is_true(json_object_get(mid, "meaningful")));
	json_decref(trend);
}

static void test_areas_come_in_body_order_whatever_the_order_said(void **state)
{
	(void)state;
	char err[128] = "";
	json_t *trend = trend_of(
		"{\"sessions\": [{\"pain\": [{\"area\": \"feet\", \"before\": 3, \"after\": 3},"
		" {\"area\": \"neck\", \"before\": 4, \"after\": 5}]},"
		" {\"pain\": [{\"area\": \"shoulders\", \"before\": 2, \"after\": 1}]}]}",
		err, sizeof(err));
	assert_non_null(trend);
	assert_int_equal(json_array_size(trend), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(trend, 0), "area")), "neck");
	assert_string_equal(json_string_value(json_object_get(json_array_get(trend, 1), "area")), "shoulders");
	assert_string_equal(json_string_value(json_object_get(json_array_get(trend, 2), "area")), "feet");
	const json_t *neck = area_trend(trend, "neck"), *feet = area_trend(trend, "feet");
	assert_float_equal(json_number_value(json_object_get(neck, "change_pct")), -25.0, 1e-9);
	assert_string_equal(json_string_value(json_object_get(neck, "direction")), "worse");
	assert_string_equal(json_string_value(json_object_get(feet, "direction")), "unchanged");
	json_decref(trend);
}

static void test_missing_after_uses_the_last_after_given(void **state)
{
	(void)state;
	char err[128] = "";
	json_t *trend = trend_of(
		"{\"sessions\": ["
		" {\"session_id\": 1, \"pain\": [{\"area\": \"lower-back\", \"before\": 6, \"after\": 4}]},"
		" {\"session_id\": 2, \"ended\": \"interrupted\","
		"  \"pain\": [{\"area\": \"lower-back\", \"before\": 5, \"after\": null}]},"
		" {\"session_id\": 3, \"pain\": [{\"area\": \"lower-back\", \"before\": 5}]}]}",
		err, sizeof(err));
	assert_non_null(trend);
	const json_t *t = area_trend(trend, "lower-back");
	assert_int_equal(json_integer_value(json_object_get(t, "last_after")), 4);
	assert_float_equal(json_number_value(json_object_get(t, "change_pct")), 100.0 / 3.0, 0.06);
	assert_true(json_is_true(json_object_get(t, "meaningful")));
	const json_t *pts = json_object_get(t, "points");
	assert_int_equal(json_array_size(pts), 3);
	assert_true(json_is_null(json_object_get(json_array_get(pts, 1), "after")));
	assert_true(json_is_null(json_object_get(json_array_get(pts, 2), "after")));
	json_decref(trend);
}

static void test_no_after_at_all_has_no_change(void **state)
{
	(void)state;
	char err[128] = "";
	json_t *trend = trend_of(
		"{\"sessions\": [{\"pain\": [{\"area\": \"glutes\", \"before\": 6, \"after\": null}]}]}",
		err, sizeof(err));
	assert_non_null(trend);
	const json_t *t = area_trend(trend, "glutes");
	assert_true(json_is_null(json_object_get(t, "last_after")));
	assert_true(json_is_null(json_object_get(t, "change_pct")));
	assert_true(json_is_null(json_object_get(t, "direction")));
	assert_false(json_is_true(json_object_get(t, "meaningful")));
	json_decref(trend);
}

static void test_first_before_zero_has_no_change(void **state)
{
	(void)state;
	double pct = -1;
	assert_false(history_change_pct(0, 3, &pct));
	assert_true(pct == -1);
	char err[128] = "";
	json_t *trend = trend_of(
		"{\"sessions\": [{\"pain\": [{\"area\": \"thighs\", \"before\": 0, \"after\": 0}]}]}", err,
		sizeof(err));
	const json_t *t = area_trend(trend, "thighs");
	assert_true(json_is_null(json_object_get(t, "change_pct")));
	assert_false(json_is_true(json_object_get(t, "meaningful")));
	json_decref(trend);
}

static void test_empty_history_gives_an_empty_trend(void **state)
{
	(void)state;
	char err[128] = "";
	json_t *trend = trend_of("{\"user\": {\"name\": \"ana\"}, \"sessions\": []}", err, sizeof(err));
	assert_non_null(trend);
	assert_int_equal(json_array_size(trend), 0);
	json_decref(trend);
	trend = trend_of("{\"user\": {\"name\": \"ana\"}}", err, sizeof(err));
	assert_non_null(trend);
	assert_int_equal(json_array_size(trend), 0);
	json_decref(trend);
	/* sessions without any pain entries */
	trend = trend_of("{\"sessions\": [{\"session_id\": 1}, {\"session_id\": 2, \"pain\": []}]}",
			 err, sizeof(err));
	assert_non_null(trend);
	assert_int_equal(json_array_size(trend), 0);
	json_decref(trend);
}

static void test_malformed_documents_are_refused_naming_the_field(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *message;
	} cases[] = {
		{"[]", "history: expected an object"},
		{"{\"sessions\": {}}", "history: expected an object with a sessions array"},
		{"{\"sessions\": [3]}", "sessions[0]: expected an object"},
		{"{\"sessions\": [{\"pain\": 3}]}", "sessions[0].pain: expected an array"},
		{"{\"sessions\": [{}, {\"pain\": [{\"area\": \"elbow\", \"before\": 3}]}]}",
		 "sessions[1].pain[0].area: expected an area name"},
		{"{\"sessions\": [{\"pain\": [{\"area\": \"neck\", \"before\": 11}]}]}",
		 "sessions[0].pain[0]: expected scores 0..10 or null"},
		{"{\"sessions\": [{\"pain\": [{\"area\": \"neck\", \"after\": \"3\"}]}]}",
		 "sessions[0].pain[0]: expected scores 0..10 or null"},
		{"{\"sessions\": [{\"pain\": [{\"area\": \"neck\"}, {\"area\": \"neck\"}]}]}",
		 "sessions[0].pain[1]: neck scored twice"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[128] = "";
		json_t *t = trend_of(cases[i].doc, err, sizeof(err));
		if (t)
			fail_msg("accepted: %s", cases[i].doc);
		assert_true(strstr(err, cases[i].message) == err);
	}
}

static void test_add_trend_sets_the_documents_trend(void **state)
{
	(void)state;
	char err[128] = "";
	json_t *h = json_loads("{\"sessions\": [{\"pain\": [{\"area\": \"sacrum\", \"before\": 4, "
			       "\"after\": 2}]}]}",
			       0, NULL);
	assert_int_equal(history_add_trend(h, err, sizeof(err)), 0);
	const json_t *t = json_array_get(json_object_get(h, "trend"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "area")), "sacrum");
	assert_float_equal(json_number_value(json_object_get(t, "change_pct")), 50.0, 1e-9);
	json_decref(h);
	h = json_loads("{\"sessions\": 1}", 0, NULL);
	assert_int_equal(history_add_trend(h, err, sizeof(err)), -EINVAL);
	assert_null(json_object_get(h, "trend"));
	json_decref(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_change_is_first_before_minus_last_after_over_first_before),
		cmocka_unit_test(test_exactly_thirty_percent_is_meaningful_and_just_below_is_not),
		cmocka_unit_test(test_areas_come_in_body_order_whatever_the_order_said),
		cmocka_unit_test(test_missing_after_uses_the_last_after_given),
		cmocka_unit_test(test_no_after_at_all_has_no_change),
		cmocka_unit_test(test_first_before_zero_has_no_change),
		cmocka_unit_test(test_empty_history_gives_an_empty_trend),
		cmocka_unit_test(test_malformed_documents_are_refused_naming_the_field),
		cmocka_unit_test(test_add_trend_sets_the_documents_trend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
