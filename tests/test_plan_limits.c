/* The consultation's limits on a resolved plan (plan_limits_check): a shipped program that
 * breaks one is refused with the line and what it breaks (tapping after osteoporosis, work
 * on an avoided area, heat that is not allowed, `level deep`, a run too long); the shipped
 * programs pass a consultation that allows everything; the planner's plans for 50 random
 * consultations through the shipped rules table pass their own consultation. Run from the
 * repo root (it reads the rules table and programs/). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../controller/program_load.h"
#include "../controller/session/plan_limits.h"
#include "../controller/session/planner.h"
#include "../controller/session/rules.h"
#include "planner_fixture.h"

static struct body_map body;
static struct planner_fixture fx;

static const char *const shipped[] = {
	"arthritis-gentle", "deep-tissue", "evening-relax", "fibromyalgia-gentle",
	"full-body-15", "injury-recovery-light", "kneading", "lower-back-relief",
	"myofascial-release", "neck-and-shoulders", "rolling", "shiatsu", "stretch",
	"tapping", "trigger-point-hold", "upper-back-desk", "wake-up",
};

static int setup(void **state)
{
	(void)state;
	int rc = fixture_open(&fx, 0x2545F4914F6CDD1Dull);
	body_default(&body, &fx.il);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	fixture_close(&fx);
	return 0;
}

/* A program as the chair resolves it for the default body: the checker must pass it. */
static struct plan *load_text(const char *text)
{
	struct plan *p = NULL;
	int rc = program_load_text(text, strlen(text), "test", &fx.cfg, &body,
				   fx.cfg.session.default_cap_n, &p, stderr);
	assert_int_equal(rc, 0);
	assert_non_null(p);
	return p;
}

static struct plan *load_shipped(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "programs/%s.prog", name);
	struct plan *p = NULL;
	assert_int_equal(program_load_file_for(path, &fx.cfg, &body, fx.cfg.session.default_cap_n, &p,
					       stderr),
			 0);
	return p;
}

/* Everything allowed: the chair's cap, any level, deep, heat, 30 minutes. */
static void permissive(struct session_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->cap_n = fx.cfg.session.default_cap_n;
	lim->max_pressure_level = 10;
	lim->deep_allowed = true;
	lim->heat_allowed = true;
	lim->max_duration_min = 30;
}

static void consult_for(struct session_limits *lim, enum condition c, int area, int weeks)
{
	struct consult_answers a;
	consult_answers_init(&a);
	assert_int_equal(consult_answers_add(&a, c, area, weeks), 0);
	a.pain_score[AREA_LOWER_BACK] = 5;
	a.goals = 1u << GOAL_PAIN_RELIEF;
	a.intensity = INTENSITY_NORMAL;
	a.duration_min = 30;
	assert_int_equal(rules_evaluate(fx.rules, &a, fx.cfg.session.default_cap_n, lim), 0);
}

/* The check refuses p under lim, its reason holding each of the words. */
static void assert_refused(const struct plan *p, const struct session_limits *lim,
			   const char *w1, const char *w2)
{
	char why[240] = "";
	assert_int_equal(plan_limits_check(p, lim, why, sizeof(why)), -EPERM);
	printf("refused: %s\n", why);
	assert_non_null(strstr(why, w1));
	if (w2)
		assert_non_null(strstr(why, w2));
}

static void test_tapping_program_after_osteoporosis_is_refused_naming_the_line(void **state)
{
	(void)state;
	struct session_limits lim;
	consult_for(&lim, COND_OSTEOPOROSIS, -1, -1);
	assert_true(lim.techniques_excluded & (1u << PLAN_TAP));
	struct plan *p = load_shipped("tapping");
	assert_refused(p, &lim, "line ", "tap is excluded");
	plan_free(p);
}

static void test_work_on_an_avoided_area_is_refused(void **state)
{
	(void)state;
	struct session_limits lim;
	permissive(&lim);
	lim.areas_avoided = 1u << AREA_MID_BACK;
	struct plan *p = load_text("program \"x\"\nlevel normal\n"
				   "knead shoulders speed 3 pressure 3 for 1m\n"
				   "knead mid-back speed 3 pressure 3 for 1m\n");
	assert_refused(p, &lim, "line 4:", "mid-back");
	lim.areas_avoided = 1u << AREA_LOWER_BACK;
	assert_int_equal(plan_limits_check(p, &lim, NULL, 0), 0);
	/* A roll that passes over the avoided area works it too. */
	plan_free(p);
	p = load_text("program \"x\"\nlevel normal\nroll shoulders..lower-back speed 3 pressure 2 times 1\n");
	lim.areas_avoided = 1u << AREA_MID_BACK;
	assert_refused(p, &lim, "line 3:", "mid-back");
	plan_free(p);
}

static void test_pressure_above_the_limits_is_refused(void **state)
{
	(void)state;
	struct session_limits lim;
	permissive(&lim);
	struct plan *p = load_text("program \"x\"\nlevel normal\n"
				   "knead lower-back speed 3 pressure 5 for 1m\n");
	assert_int_equal(plan_limits_check(p, &lim, NULL, 0), 0);
	lim.max_pressure_level = 4;
	assert_refused(p, &lim, "line 3:", "level 5");
	lim.max_pressure_level = 10;
	lim.areas_no_deep = 1u << AREA_LOWER_BACK;
	assert_refused(p, &lim, "line 3:", "limit of 3");
	plan_free(p);
}

static void test_heat_is_refused_where_and_when_not_allowed(void **state)
{
	(void)state;
	struct session_limits lim;
	permissive(&lim);
	struct plan *p = load_shipped("fibromyalgia-gentle"); /* heat lumbar on */
	assert_int_equal(plan_limits_check(p, &lim, NULL, 0), 0);
	lim.heat_allowed = false;
	assert_refused(p, &lim, "line ", "heat is not allowed");
	lim.heat_allowed = true;
	lim.areas_no_heat = 1u << AREA_LOWER_BACK;
	assert_refused(p, &lim, "line ", "lower-back");
	lim.areas_no_heat = 0;
	lim.techniques_excluded = TECH_HEAT;
	assert_refused(p, &lim, "line ", "heat");
	plan_free(p);
}

static void test_airbags_are_refused_where_air_is_not_allowed(void **state)
{
	(void)state;
	struct session_limits lim;
	permissive(&lim);
	struct plan *p = load_shipped("stretch");
	assert_int_equal(plan_limits_check(p, &lim, NULL, 0), 0);
	lim.areas_no_air = 1u << AREA_CALVES;
	assert_refused(p, &lim, "line ", "calves");
	lim.areas_no_air = 0;
	lim.techniques_excluded = TECH_AIR;
	assert_refused(p, &lim, "line ", "airbags");
	plan_free(p);
}

static void test_deep_program_is_refused_unless_deep_is_allowed(void **state)
{
	(void)state;
	struct session_limits lim;
	permissive(&lim);
	struct plan *p = load_shipped("deep-tissue");
	assert_int_equal(p->level, PLAN_LEVEL_DEEP);
	assert_int_equal(plan_limits_check(p, &lim, NULL, 0), 0);
	lim.deep_allowed = false;
	assert_refused(p, &lim, "level deep", NULL);
	plan_free(p);
}

static void test_program_longer_than_the_limit_is_refused(void **state)
{
	(void)state;
	struct session_limits lim;
	permissive(&lim);
	struct plan *p = load_shipped("kneading");
	assert_int_equal(plan_limits_check(p, &lim, NULL, 0), 0);
	lim.max_duration_min = (int)(p->total_ms / 60000u); /* a minute under, at least */
	assert_refused(p, &lim, "longer than your limit", NULL);
	plan_free(p);
}

static void test_shipped_programs_pass_a_consultation_that_allows_everything(void **state)
{
	(void)state;
	struct session_limits lim;
	permissive(&lim);
	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		struct plan *p = load_shipped(shipped[i]);
		char why[240] = "";
		int rc = plan_limits_check(p, &lim, why, sizeof(why));
		if (rc)
			fprintf(stderr, "%s: %s\n", shipped[i], why);
		assert_int_equal(rc, 0);
		plan_free(p);
	}
}

static void random_answers(struct consult_answers *a)
{
	consult_answers_init(a);
	int nc = (int)fixture_rnd(&fx, 4);
	for (int i = 0; i < nc; i++) {
		enum condition c = (enum condition)fixture_rnd(&fx, COND_COUNT);
		int area = condition_takes_area(c) ? (int)fixture_rnd(&fx, AREA_COUNT) : -1;
		int weeks = condition_takes_area(c) ? (int)fixture_rnd(&fx, 20) - 1 : -1;
		consult_answers_add(a, c, area, weeks);
	}
	int np = 1 + (int)fixture_rnd(&fx, 4);
	for (int i = 0; i < np; i++)
		a->pain_score[fixture_rnd(&fx, AREA_COUNT)] = (int)fixture_rnd(&fx, 11);
	a->goals = fixture_rnd(&fx, 1u << GOAL_COUNT);
	a->intensity = (enum intensity)fixture_rnd(&fx, INTENSITY_COUNT);
	a->duration_min = 5 + (int)fixture_rnd(&fx, 26);
}

static void test_planner_plans_for_50_random_consultations_pass(void **state)
{
	(void)state;
	static char text[PLANNER_TEXT_MAX];
	int planned = 0, tried = 0;
	while (planned < 50 && tried < 500) {
		tried++;
		struct consult_answers a;
		random_answers(&a);
		struct session_limits lim;
		assert_int_equal(rules_evaluate(fx.rules, &a, fx.cfg.session.default_cap_n, &lim), 0);
		char err[256];
		struct planner_input in = {.answers = &a, .limits = &lim};
		if (planner_write_for(&in, text, sizeof(text), NULL, err, sizeof(err)) != 0) {
			assert_true(lim.see_professional_first || lim.areas_avoided);
			continue;
		}
		struct plan *p = NULL;
		assert_int_equal(program_load_text(text, strlen(text), "plan", &fx.cfg, &body, lim.cap_n,
						   &p, stderr),
				 0);
		char why[240] = "";
		int rc = plan_limits_check(p, &lim, why, sizeof(why));
		if (rc)
			fprintf(stderr, "%s\n%s\n", why, text);
		assert_int_equal(rc, 0);
		plan_free(p);
		planned++;
	}
	assert_int_equal(planned, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tapping_program_after_osteoporosis_is_refused_naming_the_line),
		cmocka_unit_test(test_work_on_an_avoided_area_is_refused),
		cmocka_unit_test(test_pressure_above_the_limits_is_refused),
		cmocka_unit_test(test_heat_is_refused_where_and_when_not_allowed),
		cmocka_unit_test(test_airbags_are_refused_where_air_is_not_allowed),
		cmocka_unit_test(test_deep_program_is_refused_unless_deep_is_allowed),
		cmocka_unit_test(test_program_longer_than_the_limit_is_refused),
		cmocka_unit_test(test_shipped_programs_pass_a_consultation_that_allows_everything),
		cmocka_unit_test(test_planner_plans_for_50_random_consultations_pass),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
