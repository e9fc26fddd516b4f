/* The planner: for 200 random consultations (through the shipped rules table) every plan
 * loads without an error or a warning for the default body and for random bodies of
 * 150-200 cm, and the resolved plan, walked step by step, keeps every limit: no excluded
 * technique, no work in an avoided zone on that body, no level above the limits, heat and
 * air only where allowed, `level deep` only when allowed, a run within the chosen duration
 * and at least 80 % of it. Plus the cases one by one: fibromyalgia, a recent shoulder
 * injury, a remembered trigger point, a zone's "too much" ceiling, see-a-professional, no
 * pain areas, everything avoided. Run from the repo root (it reads the rules table). */
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

#include "../controller/program_load.h"
#include "../controller/session/plan_limits.h"
#include "../controller/session/planner.h"
#include "../controller/session/rules.h"
#include "planner_fixture.h"

static struct planner_fixture fx;

static int setup(void **state)
{
	(void)state;
	int rc = fixture_open(&fx, 0x9E3779B97F4A7C15ull);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	fixture_close(&fx);
	return 0;
}

/* Loads text as chairctl program check and a run would, for body: no diagnostics at all. */
static struct plan *load_clean(const char *text, const struct body_map *body, double cap_n)
{
	char *diag = NULL;
	size_t diag_len = 0;
	FILE *f = open_memstream(&diag, &diag_len);
	assert_non_null(f);
	struct plan *p = NULL;
	int rc = program_load_text(text, strlen(text), "plan", &fx.cfg, body, cap_n, &p, f);
	fclose(f);
	if (rc != 0 || diag_len != 0)
		fprintf(stderr, "%s\n---\n%s", text, diag);
	assert_int_equal(rc, 0);
	assert_int_equal(diag_len, 0);
	free(diag);
	return p;
}

static bool step_in_zone(const struct body_map *b, const struct plan_step *s, int z)
{
	double from = fmin(s->y_from_mm, s->y_to_mm), to = fmax(s->y_from_mm, s->y_to_mm);
	if (from == to)
		return from >= b->span_start_mm[z] && from < b->span_end_mm[z];
	return to > b->span_start_mm[z] && from < b->span_end_mm[z];
}

/* Every limit of lim (and prefs) on the resolved plan p, for a chosen duration of dur_min:
 * the consultation's through plan_limits_check, as session.start applies them, and what
 * only the planner promises (the chosen duration, the cap, a zone's "too much"). */
static void assert_keeps_limits(const struct plan *p, const struct session_limits *lim,
				const struct zone_pref *prefs, int dur_min)
{
	char why[240] = "";
	int rc = plan_limits_check(p, lim, why, sizeof(why));
	if (rc != 0)
		fprintf(stderr, "%s\n", why);
	assert_int_equal(rc, 0);
	const struct body_map *b = &p->body;
	int max_dur = dur_min < lim->max_duration_min ? dur_min : lim->max_duration_min;
	assert_true(p->total_ms <= (uint64_t)max_dur * 60000u);
	assert_true(p->total_ms >= (uint64_t)max_dur * 60000u * 80 / 100);
	for (uint32_t i = 0; i < p->step_count; i++) {
		const struct plan_step *s = &p->steps[i];
		if (!plan_op_works((enum plan_op)s->op))
			continue;
		assert_true(s->z_level >= 1);
		if (s->z_kind == PLAN_Z_PRESSURE)
			assert_true(s->force_n <= lim->cap_n + 1e-9);
		for (int z = 0; z < BODY_ZONE_COUNT; z++)
			if (prefs && prefs[z].ceiling_n > 0 && step_in_zone(b, s, z))
				assert_true(s->force_n <= 0.85 * prefs[z].ceiling_n + 1e-6);
	}
}

/* A consultation at random: conditions with areas and weeks, pain over random areas, goals,
 * intensity and duration. */
static void random_answers(struct consult_answers *a)
{
	consult_answers_init(a);
	int nc = (int)fixture_rnd(&fx, 4);
	for (int i = 0; i < nc; i++) {
		enum condition c = (enum condition)fixture_rnd(&fx, COND_COUNT);
		/* The five that stop a session: rarely, so most consultations make a plan. */
		if ((c == COND_PREGNANCY || c == COND_DVT || c == COND_IMPLANT ||
		     c == COND_CANCER || c == COND_FEVER) &&
		    fixture_rnd(&fx, 4) != 0)
			continue;
		int area = condition_takes_area(c) ? (int)fixture_rnd(&fx, AREA_COUNT) : -1;
		int weeks = condition_takes_area(c) ? (int)fixture_rnd(&fx, 20) - 1 : -1;
		consult_answers_add(a, c, area, weeks);
	}
	int np = (int)fixture_rnd(&fx, 5);
	for (int i = 0; i < np; i++)
		a->pain_score[fixture_rnd(&fx, AREA_COUNT)] = (int)fixture_rnd(&fx, 11);
	a->goals = fixture_rnd(&fx, 1u << GOAL_COUNT);
	a->intensity = (enum intensity)fixture_rnd(&fx, INTENSITY_COUNT);
	a->duration_min = 5 + (int)fixture_rnd(&fx, 26);
}

static const char *const memory_points[] = {"L4", "L3", "T4", "T7-10mm", "C7+20mm", "T9",
					    "L2+20mm", "lower-back-10mm", "glutes", "T3-2cm"};

static void
test_planner_200_random_consultations_pass_the_checker_and_keep_every_limit(void **state)
{
	(void)state;
	static char text[PLANNER_TEXT_MAX];
	int planned = 0, refused = 0;
	double ratio_min = 2, ratio_max = 0;
	for (int n = 0; n < 200; n++) {
		struct consult_answers a;
		random_answers(&a);
		struct session_limits lim;
		assert_int_equal(rules_evaluate(fx.rules, &a, fx.cfg.session.default_cap_n, &lim), 0);
		struct zone_pref prefs[AREA_COUNT] = {{0}};
		for (int z = 0; z < AREA_COUNT; z++) {
			if (fixture_rnd(&fx, 5) == 0)
				prefs[z].pressure_delta = (int)fixture_rnd(&fx, 7) - 3;
			if (fixture_rnd(&fx, 6) == 0)
				prefs[z].ceiling_n = 5.0 + fixture_rnd(&fx, (uint32_t)lim.cap_n);
		}
		struct trigger_memory tm[3];
		int ntm = (int)fixture_rnd(&fx, 4);
		for (int i = 0; i < ntm; i++) {
			snprintf(tm[i].point, sizeof(tm[i].point), "%s", memory_points[fixture_rnd(&fx, 10)]);
			tm[i].level_n = 5.0 + fixture_rnd(&fx, (uint32_t)lim.cap_n);
		}
		/* A person as a scan finds them: the shoulder line a little off the height's,
		 * their own skin gap. */
		struct body_map scanned;
		double height_mm = 1500.0 + fixture_rnd(&fx, 501);
		double shoulder_mm = fx.il.seat_y_mm - 0.30 * height_mm + (double)fixture_rnd(&fx, 101) - 50.0;
		assert_int_equal(
			body_from_scan(&scanned, shoulder_mm, height_mm, 5.0 + fixture_rnd(&fx, 36), &fx.il), 0);
		for (int which = 0; which < 2; which++) {
			struct planner_summary sum;
			char err[256];
			struct planner_input in = {.answers = &a, .limits = &lim, .prefs = prefs,
						   .triggers = tm, .trigger_count = ntm,
						   .body = which ? &scanned : NULL};
			int rc = planner_write_for(&in, text, sizeof(text), &sum, err, sizeof(err));
			if (lim.see_professional_first) {
				assert_int_equal(rc, -EPERM);
				refused++;
				break;
			}
			if (rc != 0)
				fprintf(stderr, "consultation %d: %s\n%s\n", n, err, text);
			assert_int_equal(rc, 0);
			planned++;
			/* The body it was written for, the default body, a random height. */
			struct body_map bodies[3];
			if (which)
				bodies[0] = scanned;
			else
				assert_int_equal(
					body_from_height(&bodies[0], 1500.0 + fixture_rnd(&fx, 501), &fx.il), 0);
			body_default(&bodies[1], &fx.il);
			assert_int_equal(body_from_height(&bodies[2], 1500.0 + fixture_rnd(&fx, 501), &fx.il), 0);
			for (int b = 0; b < 3; b++) {
				struct plan *p = load_clean(text, &bodies[b], lim.cap_n);
				assert_keeps_limits(p, &lim, prefs, a.duration_min);
				double ratio = (double)p->total_ms / (sum.duration_min * 60000.0);
				ratio_min = ratio < ratio_min ? ratio : ratio_min;
				ratio_max = ratio > ratio_max ? ratio : ratio_max;
				if (b == (which ? 0 : 1))
					assert_true(p->total_ms == sum.total_ms);
				plan_free(p);
			}
		}
	}
	printf("planned: %d, refused (see a professional): %d, run/duration %.3f..%.3f\n", planned,
	       refused, ratio_min, ratio_max);
	/* The random mix reaches both outcomes. */
	assert_true(planned > 300);
	assert_true(refused > 3);
}

static void answers_with(struct consult_answers *a, enum condition c, int area, int weeks)
{
	consult_answers_init(a);
	if ((int)c >= 0)
		assert_int_equal(consult_answers_add(a, c, area, weeks), 0);
}

/* Plans a and loads it for the default body; the caller frees the plan. */
static struct plan *plan_for(const struct consult_answers *a, struct session_limits *lim,
			     const struct zone_pref *prefs, const struct trigger_memory *tm,
			     int ntm, char *text, size_t len, struct planner_summary *sum)
{
	assert_int_equal(rules_evaluate(fx.rules, a, fx.cfg.session.default_cap_n, lim), 0);
	char err[256];
	int rc = planner_write(a, lim, prefs, tm, ntm, 0, text, len, sum, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
	struct body_map b;
	body_default(&b, &fx.il);
	struct plan *p = load_clean(text, &b, lim->cap_n);
	assert_keeps_limits(p, lim, prefs, a->duration_min);
	return p;
}

/* The highest level of working steps in zone z, 0 when none works there. */
static int peak_in_zone(const struct plan *p, int z)
{
	int peak = 0;
	for (uint32_t i = 0; i < p->step_count; i++)
		if (plan_op_works((enum plan_op)p->steps[i].op) &&
		    step_in_zone(&p->body, &p->steps[i], z) && p->steps[i].z_level > peak)
			peak = p->steps[i].z_level;
	return peak;
}

static void test_fibromyalgia_gets_no_tapping_and_gentle_rolling(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_FIBROMYALGIA, -1, -1);
	a.pain_score[AREA_UPPER_BACK] = 7;
	a.pain_score[AREA_LOWER_BACK] = 5;
	a.intensity = INTENSITY_FIRM;
	a.duration_min = 25;
	struct plan *p = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
	int rolls = 0;
	for (uint32_t i = 0; i < p->step_count; i++) {
		const struct plan_step *s = &p->steps[i];
		assert_int_not_equal(s->op, PLAN_TAP);
		assert_int_not_equal(s->op, PLAN_KNEAD_TAP);
		assert_int_not_equal(s->op, PLAN_TRIGGER_POINT);
		if (plan_op_works((enum plan_op)s->op))
			assert_true(s->z_level <= 3);
		if (s->op == PLAN_ROLL) {
			rolls++;
			assert_true(s->z_level <= 2);
			assert_true(s->speed_level <= 3);
		}
	}
	assert_true(rolls >= 3); /* warm-up, the work on each area, cool-down */
	assert_int_equal(p->level, PLAN_LEVEL_GENTLE);
	/* Fibromyalgia keeps a session to 15 minutes. */
	assert_int_equal(sum.duration_min, 15);
	assert_true(p->total_ms <= 15 * 60000u);
	plan_free(p);
}

static void test_shoulder_injury_three_weeks_ago_leaves_the_shoulders_alone(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_INJURY, AREA_SHOULDERS, 3);
	a.pain_score[AREA_SHOULDERS] = 8;
	a.pain_score[AREA_UPPER_BACK] = 6;
	a.pain_score[AREA_NECK] = 4;
	a.duration_min = 20;
	struct plan *p = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
	assert_true(lim.areas_avoided & (1u << AREA_SHOULDERS));
	assert_int_equal(peak_in_zone(p, AREA_SHOULDERS), 0);
	assert_true(peak_in_zone(p, AREA_UPPER_BACK) > 0);
	assert_true(peak_in_zone(p, AREA_NECK) > 0);
	assert_false(sum.areas_worked & (1u << AREA_SHOULDERS));
	/* No shoulder airbag either, and the person is told why. */
	for (uint32_t i = 0; i < p->step_count; i++)
		assert_false(p->steps[i].modal.air_mask & (1u << HAL_AIRBAG_SHOULDERS));
	assert_true(sum.note_count >= 1);
	assert_non_null(strstr(sum.notes[0], "Shoulders"));
	/* The work keeps its margin from the shoulders on the smallest and tallest bodies. */
	for (int h = 1500; h <= 2000; h += 500) {
		struct body_map b;
		assert_int_equal(body_from_height(&b, h, &fx.il), 0);
		struct plan *q = load_clean(text, &b, lim.cap_n);
		for (uint32_t i = 0; i < q->step_count; i++) {
			const struct plan_step *s = &q->steps[i];
			if (!plan_op_works((enum plan_op)s->op))
				continue;
			double from = fmin(s->y_from_mm, s->y_to_mm),
			       to = fmax(s->y_from_mm, s->y_to_mm);
			assert_true(
				to <= b.span_start_mm[AREA_SHOULDERS] - PLANNER_MARGIN_MM + 1e-6 ||
				from >= b.span_end_mm[AREA_SHOULDERS] + PLANNER_MARGIN_MM - 1e-6);
		}
		plan_free(q);
	}
	plan_free(p);
}

static void test_rolling_is_split_around_an_avoided_zone_in_the_middle(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_SKIN, AREA_MID_BACK, -1);
	a.pain_score[AREA_UPPER_BACK] = 6;
	a.pain_score[AREA_LOWER_BACK] = 6;
	struct plan *p = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
	int above = 0, below = 0;
	const struct body_map *b = &p->body;
	for (uint32_t i = 0; i < p->step_count; i++) {
		const struct plan_step *s = &p->steps[i];
		if (s->op != PLAN_ROLL)
			continue;
		double from = fmin(s->y_from_mm, s->y_to_mm), to = fmax(s->y_from_mm, s->y_to_mm);
		above += to <= b->span_start_mm[AREA_MID_BACK] - PLANNER_MARGIN_MM + 1e-6;
		below += from >= b->span_end_mm[AREA_MID_BACK] + PLANNER_MARGIN_MM - 1e-6;
	}
	assert_true(above >= 2 && below >= 2); /* warm-up and cool-down, on both sides */
	assert_int_equal(peak_in_zone(p, AREA_MID_BACK), 0);
	plan_free(p);
}

/* The trigger-point step at landmark lm (offset 0), or NULL. */
static const struct plan_step *trigger_at(const struct plan *p, int lm)
{
	for (uint32_t i = 0; i < p->step_count; i++)
		if (p->steps[i].op == PLAN_TRIGGER_POINT && p->steps[i].where.a.landmark == lm &&
		    p->steps[i].where.a.offset_mm == 0)
			return &p->steps[i];
	return NULL;
}

static void test_remembered_trigger_level_is_where_that_point_starts(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_BACK_PAIN, -1, -1);
	a.pain_score[AREA_LOWER_BACK] = 8;
	a.goals = 1u << GOAL_PAIN_RELIEF;
	a.duration_min = 20;
	struct plan *plain = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
	const struct plan_step *s = trigger_at(plain, BODY_L3);
	assert_null(s);
	s = trigger_at(plain, BODY_L4);
	assert_non_null(s);
	int usual = s->z_level;
	plan_free(plain);

	/* L3 was "there" at 30 % of the cap last time: it is held, at that level. */
	struct trigger_memory tm = {"L3", 0.3 * lim.cap_n};
	struct plan *p = plan_for(&a, &lim, NULL, &tm, 1, text, sizeof(text), &sum);
	s = trigger_at(p, BODY_L3);
	assert_non_null(s);
	assert_int_equal(s->guided, sum.guided_trigger_points);
	if (s->guided) {
		/* Guided: its rise starts at the remembered level, up to the usual most. */
		assert_int_equal(s->from_level, 3);
		assert_true(fabs(s->from_force_n - 0.3 * lim.cap_n) < 1e-9);
		assert_int_equal(s->z_level, usual);
	} else {
		assert_int_equal(s->z_level, 3);
		assert_int_not_equal(s->z_level, usual);
	}
	plan_free(p);
}

static void test_zone_ceiling_lowers_that_zone_level_below_the_too_much(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_BACK_PAIN, -1, -1);
	a.pain_score[AREA_LOWER_BACK] = 7;
	a.pain_score[AREA_UPPER_BACK] = 7;
	a.duration_min = 20;
	struct plan *p = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
	int before = peak_in_zone(p, AREA_LOWER_BACK);
	plan_free(p);
	struct zone_pref prefs[AREA_COUNT] = {{0}};
	prefs[AREA_LOWER_BACK].ceiling_n = 0.40 * lim.cap_n; /* "too much" at level 4 */
	p = plan_for(&a, &lim, prefs, NULL, 0, text, sizeof(text), &sum);
	int after = peak_in_zone(p, AREA_LOWER_BACK);
	assert_true(after < before);
	assert_true(after <= 3); /* 3/10 x cap <= 0.85 x 0.4 x cap */
	/* The zone that had the "too much" stays below its neighbour of the same pain. */
	int mid = 0;
	for (uint32_t i = 0; i < p->step_count; i++) {
		const struct plan_step *s = &p->steps[i];
		if (plan_op_works((enum plan_op)s->op) &&
		    step_in_zone(&p->body, s, AREA_UPPER_BACK) &&
		    !step_in_zone(&p->body, s, AREA_LOWER_BACK) && s->z_level > mid)
			mid = s->z_level;
	}
	assert_true(after < mid);
	assert_int_equal(
		planner_zone_max_level(&lim, prefs, AREA_LOWER_BACK, PLAN_LEVEL_NORMAL, &fx.il), 3);
	plan_free(p);
}

static void test_softer_preference_lowers_a_zone_and_stronger_stays_within_limits(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, -1, -1, -1);
	a.pain_score[AREA_SHOULDERS] = 5;
	a.pain_score[AREA_LOWER_BACK] = 5;
	a.intensity = INTENSITY_NORMAL;
	struct plan *p = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
	int shoulders = peak_in_zone(p, AREA_SHOULDERS), lower = peak_in_zone(p, AREA_LOWER_BACK);
	plan_free(p);
	struct zone_pref prefs[AREA_COUNT] = {{0}};
	prefs[AREA_SHOULDERS].pressure_delta = -2;
	prefs[AREA_LOWER_BACK].pressure_delta = +5;
	p = plan_for(&a, &lim, prefs, NULL, 0, text, sizeof(text), &sum);
	assert_int_equal(peak_in_zone(p, AREA_SHOULDERS), shoulders - 2);
	assert_true(peak_in_zone(p, AREA_LOWER_BACK) > lower);
	assert_true(peak_in_zone(p, AREA_LOWER_BACK) <= lim.max_pressure_level);
	assert_true(peak_in_zone(p, AREA_LOWER_BACK) <= fx.il.normal_max_level);
	plan_free(p);
}

static void test_see_professional_first_gets_no_plan(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX] = "x", err[256];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_DVT, -1, -1);
	a.pain_score[AREA_CALVES] = 6;
	assert_int_equal(rules_evaluate(fx.rules, &a, fx.cfg.session.default_cap_n, &lim), 0);
	assert_true(lim.see_professional_first);
	assert_int_equal(planner_write(&a, &lim, NULL, NULL, 0, 0, text, sizeof(text), &sum, err,
				       sizeof(err)),
			 -EPERM);
	assert_string_equal(text, "");
	assert_non_null(strstr(err, "physician"));
}

static void test_no_pain_areas_gets_a_relaxation_plan(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_INJURY, AREA_UPPER_BACK, 2);
	a.goals = 1u << GOAL_RELAXATION;
	a.duration_min = 10;
	struct plan *p = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
	assert_string_equal(p->name, "Plan for relaxation");
	assert_int_equal(peak_in_zone(p, AREA_UPPER_BACK), 0);
	assert_true(peak_in_zone(p, AREA_SHOULDERS) > 0);
	assert_true(peak_in_zone(p, AREA_LOWER_BACK) > 0);
	plan_free(p);
}

static void test_everything_avoided_is_refused_with_the_reason(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX], err[256];
	struct consult_answers a;
	struct session_limits lim;
	answers_with(&a, -1, -1, -1);
	a.pain_score[AREA_LOWER_BACK] = 5;
	assert_int_equal(rules_evaluate(fx.rules, &a, fx.cfg.session.default_cap_n, &lim), 0);
	lim.areas_avoided = AREA_MASK_ALL;
	assert_int_equal(planner_write(&a, &lim, NULL, NULL, 0, 0, text, sizeof(text), NULL, err,
				       sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "avoided"));
	/* Every roller technique excluded: refused too. */
	assert_int_equal(rules_evaluate(fx.rules, &a, fx.cfg.session.default_cap_n, &lim), 0);
	lim.techniques_excluded = 0x7Fu;
	assert_int_equal(planner_write(&a, &lim, NULL, NULL, 0, 0, text, sizeof(text), NULL, err,
				       sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, "excluded"));
}

static void test_summary_lists_phases_minutes_and_techniques(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_BACK_PAIN, -1, -1);
	a.pain_score[AREA_LOWER_BACK] = 8;
	a.pain_score[AREA_SHOULDERS] = 5;
	a.goals = (1u << GOAL_PAIN_RELIEF) | (1u << GOAL_MOBILITY);
	a.duration_min = 20;
	struct plan *p = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
	printf("%s\n# %s\n", text, sum.text);
	assert_int_equal(sum.duration_min, 20);
	assert_int_equal(sum.phase_count, 4);
	assert_string_equal(sum.phases[0].name, "Warm-up");
	assert_int_equal(sum.phases[1].area, AREA_LOWER_BACK);
	assert_int_equal(sum.phases[2].area, AREA_SHOULDERS);
	assert_string_equal(sum.phases[3].name, "Cool-down");
	uint64_t ms = 0;
	for (int i = 0; i < sum.phase_count; i++)
		ms += sum.phases[i].ms;
	assert_true(ms == sum.total_ms && ms == p->total_ms);
	assert_true(sum.phases[1].techniques & (1u << PLAN_TRIGGER_POINT));
	assert_true(sum.phases[1].techniques & (1u << PLAN_GLIDE));
	assert_true(sum.techniques & TECH_HEAT);
	assert_true(sum.areas_worked & (1u << AREA_LOWER_BACK));
	assert_true(sum.peak_pressure_level >= 5 &&
		    sum.peak_pressure_level <= lim.max_pressure_level);
	assert_non_null(strstr(sum.text, "min: warm-up "));
	assert_non_null(strstr(sum.text, "lower back (trigger points"));
	assert_non_null(strstr(sum.text, ", cool-down "));
	plan_free(p);
}

static void test_every_duration_from_5_to_30_minutes_fits(void **state)
{
	(void)state;
	char text[PLANNER_TEXT_MAX];
	struct consult_answers a;
	struct session_limits lim;
	struct planner_summary sum;
	answers_with(&a, COND_ARTHRITIS, -1, -1);
	a.pain_score[AREA_LOWER_BACK] = 9;
	a.pain_score[AREA_NECK] = 6;
	a.pain_score[AREA_CALVES] = 4;
	a.pain_score[AREA_GLUTES] = 3;
	for (int d = 5; d <= 30; d++) {
		a.duration_min = d;
		struct plan *p = plan_for(&a, &lim, NULL, NULL, 0, text, sizeof(text), &sum);
		assert_true(p->total_ms <= (uint64_t)d * 60000u);
		assert_true(p->total_ms >= (uint64_t)d * 60000u * 85 / 100);
		plan_free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_planner_200_random_consultations_pass_the_checker_and_keep_every_limit),
		cmocka_unit_test(test_fibromyalgia_gets_no_tapping_and_gentle_rolling),
		cmocka_unit_test(test_shoulder_injury_three_weeks_ago_leaves_the_shoulders_alone),
		cmocka_unit_test(test_rolling_is_split_around_an_avoided_zone_in_the_middle),
		cmocka_unit_test(test_remembered_trigger_level_is_where_that_point_starts),
		cmocka_unit_test(test_zone_ceiling_lowers_that_zone_level_below_the_too_much),
		cmocka_unit_test(
			test_softer_preference_lowers_a_zone_and_stronger_stays_within_limits),
		cmocka_unit_test(test_see_professional_first_gets_no_plan),
		cmocka_unit_test(test_no_pain_areas_gets_a_relaxation_plan),
		cmocka_unit_test(test_everything_avoided_is_refused_with_the_reason),
		cmocka_unit_test(test_summary_lists_phases_minutes_and_techniques),
		cmocka_unit_test(test_every_duration_from_5_to_30_minutes_fits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
