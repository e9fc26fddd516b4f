/* The consultation rules: every rule of the shipped table gives its limits, rules combine to
 * the strictest, the do-not-go-ahead conditions name who to see, and a malformed table is
 * refused whole with the line of its mistake. Run from the repository root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../controller/interp/plan.h"
#include "../controller/session/rules.h"

#define SHIPPED "controller/data/consultation.rules"
#define CHAIR_CAP_N 60.0
#define BIT(a) (1u << (a))
#define TAPPING ((1u << PLAN_TAP) | (1u << PLAN_KNEAD_TAP))

static struct rules_table *shipped;

static int load_shipped(void **state)
{
	char err[512];
	int rc = rules_load(SHIPPED, &shipped, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n", err);
	return rc;
}

static int free_shipped(void **state)
{
	rules_free(shipped);
	return 0;
}

/* The limits of one person with the given conditions (area -1, weeks -1) at an intensity. */
static struct session_limits limits_for(enum intensity in, int n, const enum condition *c)
{
	struct consult_answers a;
	struct session_limits l;
	consult_answers_init(&a);
	a.intensity = in;
	for (int i = 0; i < n; i++)
		assert_int_equal(consult_answers_add(&a, c[i], -1, -1), 0);
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), 0);
	return l;
}

static struct session_limits limits_of(enum condition c)
{
	return limits_for(INTENSITY_FIRM, 1, &c);
}

static struct session_limits limits_with_area(enum condition c, int area, int weeks_ago)
{
	struct consult_answers a;
	struct session_limits l;
	consult_answers_init(&a);
	a.intensity = INTENSITY_FIRM;
	consult_answers_add(&a, c, area, weeks_ago);
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), 0);
	return l;
}

static bool told(const struct session_limits *l, const char *part)
{
	for (int i = 0; i < l->message_count; i++)
		if (strstr(l->messages[i], part))
			return true;
	return false;
}

/* --- The shipped table, rule by rule ------------------------------------------------------ */

static void test_no_conditions_allow_everything_within_the_intensity(void **state)
{
	struct session_limits firm = limits_for(INTENSITY_FIRM, 0, NULL);
	assert_true(firm.cap_n == CHAIR_CAP_N);
	assert_int_equal(firm.max_pressure_level, 10);
	assert_true(firm.deep_allowed);
	assert_true(firm.heat_allowed);
	assert_false(firm.heat_welcome);
	assert_int_equal(firm.techniques_excluded | firm.areas_avoided | firm.areas_no_deep |
				 firm.areas_no_air | firm.areas_no_heat, 0);
	assert_int_equal(firm.max_duration_min, 30);
	assert_false(firm.see_professional_first);
	assert_int_equal(firm.message_count, 0);
}

static void test_gentle_and_normal_intensity_lower_cap_and_pressure_without_deep(void **state)
{
	struct session_limits g = limits_for(INTENSITY_GENTLE, 0, NULL);
	struct session_limits n = limits_for(INTENSITY_NORMAL, 0, NULL);
	assert_float_equal(g.cap_n, 0.60 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(g.max_pressure_level, 4);
	assert_false(g.deep_allowed);
	assert_float_equal(n.cap_n, 0.85 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(n.max_pressure_level, 7);
	assert_false(n.deep_allowed);
}

static void test_cap_is_a_fraction_of_the_chairs_own_default_cap(void **state)
{
	struct consult_answers a;
	struct session_limits l;
	consult_answers_init(&a);
	a.intensity = INTENSITY_GENTLE;
	assert_int_equal(rules_evaluate(shipped, &a, 100.0, &l), 0);
	assert_float_equal(l.cap_n, 60.0, 1e-9);
}

static void test_arthritis_is_gentle_welcomes_heat_and_keeps_joints_out_of_deep_work(void **state)
{
	struct session_limits l = limits_of(COND_ARTHRITIS);
	assert_float_equal(l.cap_n, 0.60 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(l.max_pressure_level, 4);
	assert_false(l.deep_allowed);
	assert_true(l.heat_allowed);
	assert_true(l.heat_welcome);
	assert_int_equal(l.areas_no_deep, BIT(AREA_NECK) | BIT(AREA_SHOULDERS) | BIT(AREA_SACRUM) |
						  BIT(AREA_GLUTES));
	assert_int_equal(l.techniques_excluded, TAPPING);
	assert_int_equal(l.areas_avoided, 0);
	assert_int_equal(l.message_count, 1);
	assert_true(told(&l, "arthritis"));
}

static void test_fibromyalgia_excludes_tapping_and_shortens_sessions(void **state)
{
	struct session_limits l = limits_of(COND_FIBROMYALGIA);
	assert_float_equal(l.cap_n, 0.45 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(l.max_pressure_level, 3);
	assert_false(l.deep_allowed);
	assert_int_equal(l.techniques_excluded, TAPPING | (1u << PLAN_TRIGGER_POINT));
	assert_int_equal(l.max_duration_min, 15);
	assert_true(l.heat_allowed);
	assert_true(told(&l, "15 minutes"));
}

static void test_back_pain_keeps_normal_pressure_and_welcomes_heat(void **state)
{
	struct session_limits l = limits_of(COND_BACK_PAIN);
	assert_float_equal(l.cap_n, 0.85 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(l.max_pressure_level, 7);
	assert_false(l.deep_allowed);
	assert_true(l.heat_welcome);
	assert_int_equal(l.techniques_excluded | l.areas_avoided, 0);
	assert_int_equal(l.max_duration_min, 30);
	assert_false(l.see_professional_first);
}

static void test_injury_avoids_its_area_only_inside_six_weeks(void **state)
{
	int weeks[] = { -1, 0, 3, 5 };
	for (size_t i = 0; i < sizeof(weeks) / sizeof(weeks[0]); i++) {
		struct session_limits l = limits_with_area(COND_INJURY, AREA_SHOULDERS, weeks[i]);
		assert_int_equal(l.areas_avoided, BIT(AREA_SHOULDERS));
		assert_true(told(&l, "leave your shoulders out"));
	}
	for (int w = 6; w <= 60; w += 54) {
		struct session_limits l = limits_with_area(COND_INJURY, AREA_SHOULDERS, w);
		assert_int_equal(l.areas_avoided, 0);
		assert_true(l.cap_n == CHAIR_CAP_N);
		assert_true(told(&l, "shoulders injury is 6 weeks old or more"));
	}
}

static void test_surgery_avoids_its_area_only_inside_twelve_weeks(void **state)
{
	struct session_limits unknown = limits_with_area(COND_SURGERY, AREA_LOWER_BACK, -1);
	struct session_limits recent = limits_with_area(COND_SURGERY, AREA_LOWER_BACK, 11);
	struct session_limits past = limits_with_area(COND_SURGERY, AREA_LOWER_BACK, 12);
	assert_int_equal(unknown.areas_avoided, BIT(AREA_LOWER_BACK));
	assert_int_equal(recent.areas_avoided, BIT(AREA_LOWER_BACK));
	assert_true(told(&recent, "leave your lower-back out"));
	assert_int_equal(past.areas_avoided, 0);
	assert_true(told(&past, "12 weeks ago or more"));
}

static void test_osteoporosis_forbids_deep_work_and_tapping_under_a_lower_cap(void **state)
{
	struct session_limits l = limits_of(COND_OSTEOPOROSIS);
	assert_float_equal(l.cap_n, 0.50 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(l.max_pressure_level, 3);
	assert_false(l.deep_allowed);
	assert_int_equal(l.techniques_excluded & TAPPING, TAPPING);
	assert_true(l.techniques_excluded & (1u << PLAN_SHIATSU));
	assert_int_equal(l.areas_no_deep, BIT(AREA_NECK) | BIT(AREA_UPPER_BACK) |
						  BIT(AREA_MID_BACK) | BIT(AREA_LOWER_BACK) |
						  BIT(AREA_SACRUM));
}

/* One of the five: the chair does not go ahead and says whom to see, in reason and message. */
static void assert_see_first(enum condition c, const char *professional)
{
	struct session_limits l = limits_of(c);
	assert_true(l.see_professional_first);
	assert_string_equal(l.professional, professional);
	assert_non_null(strstr(l.reason, professional));
	assert_int_equal(l.message_count, 1);
	assert_non_null(strstr(l.messages[0], professional));
	assert_non_null(strstr(l.messages[0], "will not start"));
}

static void test_pregnancy_does_not_go_ahead_and_names_physician_or_midwife(void **state)
{
	assert_see_first(COND_PREGNANCY, "physician or midwife");
	assert_false(limits_of(COND_PREGNANCY).heat_allowed);
}

static void test_dvt_does_not_go_ahead_and_names_a_physician(void **state)
{
	assert_see_first(COND_DVT, "physician");
}

static void test_implant_does_not_go_ahead_and_names_a_physician(void **state)
{
	assert_see_first(COND_IMPLANT, "physician");
}

static void test_cancer_does_not_go_ahead_and_names_a_physician(void **state)
{
	assert_see_first(COND_CANCER, "physician");
}

static void test_fever_does_not_go_ahead_and_names_a_physician(void **state)
{
	assert_see_first(COND_FEVER, "physician");
}

static void test_skin_avoids_its_area_with_no_air_and_no_heat_there(void **state)
{
	struct session_limits l = limits_with_area(COND_SKIN, AREA_CALVES, -1);
	assert_int_equal(l.areas_avoided, BIT(AREA_CALVES));
	assert_int_equal(l.areas_no_air, BIT(AREA_CALVES));
	assert_int_equal(l.areas_no_heat, BIT(AREA_CALVES));
	assert_true(told(&l, "leave your calves out"));
	/* a skin problem has no weeks: years ago is still avoided */
	assert_int_equal(limits_with_area(COND_SKIN, AREA_NECK, 200).areas_avoided, BIT(AREA_NECK));
}

static void test_varicose_veins_keep_air_and_heat_off_calves_and_feet(void **state)
{
	struct session_limits l = limits_of(COND_VARICOSE_VEINS);
	assert_int_equal(l.areas_no_air, BIT(AREA_CALVES) | BIT(AREA_FEET));
	assert_int_equal(l.areas_no_heat, BIT(AREA_CALVES) | BIT(AREA_FEET));
	assert_true(l.heat_allowed);
	assert_int_equal(l.areas_avoided, 0);
	assert_true(l.cap_n == CHAIR_CAP_N);
}

static void test_diabetes_neuropathy_forbids_heat_and_lowers_the_cap(void **state)
{
	struct session_limits l = limits_of(COND_DIABETES_NEUROPATHY);
	assert_false(l.heat_allowed);
	assert_true(l.techniques_excluded & TECH_HEAT);
	assert_float_equal(l.cap_n, 0.70 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(l.max_pressure_level, 5);
}

static void test_blood_thinners_lower_the_cap_and_exclude_tapping(void **state)
{
	struct session_limits l = limits_of(COND_BLOOD_THINNERS);
	assert_float_equal(l.cap_n, 0.65 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(l.max_pressure_level, 5);
	assert_int_equal(l.techniques_excluded, TAPPING);
	assert_true(l.heat_allowed);
}

/* --- Combination and answers -------------------------------------------------------------- */

static void test_strictest_wins_when_conditions_combine(void **state)
{
	enum condition c[] = { COND_BACK_PAIN, COND_DIABETES_NEUROPATHY, COND_FIBROMYALGIA,
			       COND_VARICOSE_VEINS, COND_ARTHRITIS };
	struct session_limits l = limits_for(INTENSITY_FIRM, 5, c);
	assert_float_equal(l.cap_n, 0.45 * CHAIR_CAP_N, 1e-9);  /* fibromyalgia's */
	assert_int_equal(l.max_pressure_level, 3);
	assert_false(l.deep_allowed);
	assert_int_equal(l.max_duration_min, 15);
	assert_false(l.heat_allowed);   /* diabetes says no; back pain's welcome loses */
	assert_false(l.heat_welcome);
	assert_int_equal(l.techniques_excluded, TAPPING | (1u << PLAN_TRIGGER_POINT) | TECH_HEAT);
	assert_int_equal(l.areas_no_air, BIT(AREA_CALVES) | BIT(AREA_FEET));
	assert_int_equal(l.areas_no_deep, BIT(AREA_NECK) | BIT(AREA_SHOULDERS) | BIT(AREA_SACRUM) |
						  BIT(AREA_GLUTES));
	assert_int_equal(l.message_count, 5);
	/* the order of the answers does not change the limits */
	enum condition r[] = { COND_ARTHRITIS, COND_VARICOSE_VEINS, COND_FIBROMYALGIA,
			       COND_DIABETES_NEUROPATHY, COND_BACK_PAIN };
	struct session_limits m = limits_for(INTENSITY_FIRM, 5, r);
	assert_true(m.cap_n == l.cap_n);
	assert_int_equal(m.techniques_excluded, l.techniques_excluded);
}

static void test_a_gentle_person_keeps_the_lower_of_intensity_and_rule(void **state)
{
	enum condition c = COND_BACK_PAIN;
	struct session_limits l = limits_for(INTENSITY_GENTLE, 1, &c);
	assert_float_equal(l.cap_n, 0.60 * CHAIR_CAP_N, 1e-9);
	assert_int_equal(l.max_pressure_level, 4);
}

static void test_a_do_not_go_ahead_among_others_still_stops_and_keeps_the_first_professional(void **state)
{
	enum condition c[] = { COND_ARTHRITIS, COND_PREGNANCY, COND_FEVER };
	struct session_limits l = limits_for(INTENSITY_NORMAL, 3, c);
	assert_true(l.see_professional_first);
	assert_string_equal(l.professional, "physician or midwife");
	assert_int_equal(l.message_count, 3);
	assert_true(told(&l, "fever"));
}

static void test_two_injured_areas_are_both_avoided_and_the_same_message_is_shown_once(void **state)
{
	struct consult_answers a;
	struct session_limits l;
	consult_answers_init(&a);
	consult_answers_add(&a, COND_INJURY, AREA_NECK, 1);
	consult_answers_add(&a, COND_INJURY, AREA_THIGHS, 2);
	consult_answers_add(&a, COND_ARTHRITIS, -1, -1);
	consult_answers_add(&a, COND_ARTHRITIS, -1, -1);
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), 0);
	assert_int_equal(l.areas_avoided, BIT(AREA_NECK) | BIT(AREA_THIGHS));
	assert_int_equal(l.message_count, 3);
}

static void test_more_messages_than_fit_end_with_a_note_that_more_apply(void **state)
{
	struct consult_answers a;
	struct session_limits l;
	consult_answers_init(&a);
	for (int area = 0; area < AREA_COUNT; area++)
		consult_answers_add(&a, COND_INJURY, area, 0);
	consult_answers_add(&a, COND_SKIN, AREA_NECK, -1);
	consult_answers_add(&a, COND_SKIN, AREA_FEET, -1);
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), 0);
	assert_int_equal(l.message_count, LIMITS_MESSAGES_MAX);
	assert_non_null(strstr(l.messages[LIMITS_MESSAGES_MAX - 1], "More limits apply"));
	assert_int_equal(l.areas_avoided, AREA_MASK_ALL);
}

static void test_injury_without_an_area_is_refused_naming_the_field(void **state)
{
	struct consult_answers a;
	struct session_limits l;
	consult_answers_init(&a);
	consult_answers_add(&a, COND_BACK_PAIN, -1, -1);
	consult_answers_add(&a, COND_INJURY, -1, 2);
	memset(&l, 0x5a, sizeof(l));
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), -EINVAL);
	assert_string_equal(l.reason, "conditions[1].area: injury needs an area");
	assert_int_equal(l.message_count, 0);
	assert_false(l.see_professional_first);
	assert_true(l.cap_n == 0.0);
	char err[128];
	assert_int_equal(rules_check_answers(&a, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "conditions[1].area: injury needs an area");
}

static void test_answers_out_of_range_are_refused_naming_the_field(void **state)
{
	struct consult_answers a;
	struct session_limits l;
	consult_answers_init(&a);
	a.duration_min = 45;
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), -EINVAL);
	assert_non_null(strstr(l.reason, "duration_min"));
	consult_answers_init(&a);
	a.pain_score[AREA_MID_BACK] = 11;
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), -EINVAL);
	assert_non_null(strstr(l.reason, "pain.mid-back"));
	consult_answers_init(&a);
	a.intensity = INTENSITY_COUNT;
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), -EINVAL);
	assert_non_null(strstr(l.reason, "intensity"));
	consult_answers_init(&a);
	consult_answers_add(&a, COND_SURGERY, AREA_COUNT, 1);
	assert_int_equal(rules_evaluate(shipped, &a, CHAIR_CAP_N, &l), -EINVAL);
	assert_non_null(strstr(l.reason, "conditions[0].area"));
	consult_answers_init(&a);
	assert_int_equal(rules_evaluate(shipped, &a, 0.0, &l), -EINVAL);
	assert_non_null(strstr(l.reason, "chair_default_cap_n"));
}

/* The shipped words describe what the chair does, never what massage does for a body. */
static void test_no_shipped_text_promises_a_medical_effect(void **state)
{
	static const char *const promises[] = { "cure", "heal", "therapy", "therapeutic", "relieve",
						"improves", "reduces", "will help", "treats", "benefit" };
	for (int c = 0; c < COND_COUNT; c++) {
		const struct rules_rule *r = &shipped->rule[c];
		const char *texts[] = { r->message, r->reason, r->later };
		for (size_t t = 0; t < 3; t++)
			for (size_t p = 0; p < sizeof(promises) / sizeof(promises[0]); p++)
				if (strstr(texts[t], promises[p])) {
					fprintf(stderr, "rule %s says '%s'\n", condition_name(c), promises[p]);
					fail();
				}
	}
}

/* docs/consultation.md lists every rule with its words: they must be the shipped ones. */
static void test_the_docs_show_every_shipped_message_and_reason(void **state)
{
	char *doc, err[256];
	assert_int_equal(rules_read_file("docs/consultation.md", &doc, err, sizeof(err)), 0);
	for (int c = 0; c < COND_COUNT; c++) {
		const struct rules_rule *r = &shipped->rule[c];
		const char *texts[] = { r->message, r->reason, r->later };
		for (size_t t = 0; t < 3; t++)
			if (texts[t][0] && !strstr(doc, texts[t])) {
				fprintf(stderr, "docs lack rule %s's \"%s\"\n", condition_name(c), texts[t]);
				fail();
			}
	}
	free(doc);
}

static void test_only_the_five_do_not_go_ahead_rules_stop_the_chair(void **state)
{
	unsigned stop = BIT(COND_PREGNANCY) | BIT(COND_DVT) | BIT(COND_IMPLANT) | BIT(COND_CANCER) |
			BIT(COND_FEVER);
	for (int c = 0; c < COND_COUNT; c++) {
		struct session_limits l =
			condition_takes_area(c) ? limits_with_area(c, AREA_NECK, 0) : limits_of(c);
		assert_int_equal(l.see_professional_first, (stop & BIT(c)) != 0);
		assert_int_equal(l.message_count, 1);
	}
}

/* --- Malformed tables ------------------------------------------------------------------ */

/* A valid table (3 intensity lines, then 3 lines per condition, `skip` left out), then
 * extra; *first is the line extra starts at. */
static const char *base_text(int skip, const char *extra, int *first)
{
	static char text[16384];
	size_t n = (size_t)snprintf(text, sizeof(text),
				    "intensity gentle cap 0.6 pressure 4 deep no\n"
				    "intensity normal cap 0.85 pressure 7 deep no\n"
				    "intensity firm cap 1 pressure 10 deep yes\n");
	int lines = 3;
	for (int c = 0; c < COND_COUNT; c++) {
		if (c == skip)
			continue;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "rule %s\n  message \"m\"\nend\n",
				      condition_name(c));
		lines += 3;
	}
	snprintf(text + n, sizeof(text) - n, "%s", extra);
	if (first)
		*first = lines + 1;
	return text;
}

/* Loads base_text(skip, extra) into err; a refused table leaves nothing behind. */
static int load_with(int skip, const char *extra, int *first, char *err, size_t len)
{
	struct rules_table *t = (struct rules_table *)1;
	int rc = rules_load_string(base_text(skip, extra, first), "t.rules", &t, err, len);
	if (rc)
		assert_null(t);
	else
		rules_free(t);
	return rc;
}

/* Refused at line `line` with a message holding `part`. */
static void assert_refused(int skip, const char *extra, int offset, const char *part)
{
	char err[512], at[32];
	int first;
	assert_int_equal(load_with(skip, extra, &first, err, sizeof(err)), -EINVAL);
	snprintf(at, sizeof(at), "t.rules:%d: ", first + offset);
	if (strncmp(err, at, strlen(at)) != 0 || !strstr(err, part)) {
		fprintf(stderr, "expected '%s...%s', got '%s'\n", at, part, err);
		fail();
	}
}

static void test_the_base_of_the_malformed_cases_loads(void **state)
{
	char err[256];
	assert_int_equal(load_with(-1, "", NULL, err, sizeof(err)), 0);
}

static void test_unknown_condition_is_refused_at_its_line_with_a_suggestion(void **state)
{
	assert_refused(COND_ARTHRITIS, "\n\nrule arthritus\n  message \"m\"\nend\n", 2,
		       "unknown condition 'arthritus', expected one condition name after 'rule' (did you mean 'arthritis'?)");
	assert_refused(COND_VARICOSE_VEINS, "rule varicose\n  message \"m\"\nend\n", 0,
		       "(did you mean 'varicose-veins'?)");
}

static void test_bad_numbers_are_refused_at_their_line(void **state)
{
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  cap 1.5\n  message \"m\"\nend\n", 1,
		       "cap: expected one fraction of the chair's cap in 0.01..1, got '1.5'");
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  cap 0.5x\n  message \"m\"\nend\n", 1, "got '0.5x'");
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  cap 5e-1\n  message \"m\"\nend\n", 1, "got '5e-1'");
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  pressure 0x5\n  message \"m\"\nend\n", 1,
		       "got '0x5'");
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  pressure 11\n  message \"m\"\nend\n", 1,
		       "pressure: expected one level 1..10");
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  pressure 2.5\n  message \"m\"\nend\n", 1,
		       "pressure: expected one level 1..10");
	assert_refused(COND_FIBROMYALGIA, "rule fibromyalgia\n  max-minutes 3\n  message \"m\"\nend\n", 1,
		       "max-minutes: expected one whole number of minutes 5..30");
	assert_refused(COND_INJURY, "rule injury\n  weeks six\n  message \"m\"\nend\n", 1,
		       "weeks: expected one whole number of weeks");
	assert_refused(COND_INJURY, "rule injury\n  weeks 6 8\n  message \"m\"\nend\n", 1,
		       "weeks: expected one whole number of weeks");
}

static void test_bad_intensity_lines_are_refused_at_their_line(void **state)
{
	assert_refused(-1, "intensity firm cap 1 pressure 10 deep yes\n", 0,
		       "intensity firm is already given at line 3");
	char err[256];
	struct rules_table *t;
	assert_int_equal(rules_load_string("intensity gentle cap 0.6 pressure 4\n", "t.rules", &t, err,
					   sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.rules:1: intensity gentle: expected 'cap F pressure N deep yes|no'");
	assert_refused(-1, "intensity hard cap 1 pressure 10 deep yes\n", 0,
		       "intensity: expected gentle, normal or firm, got 'hard'");
}

static void test_a_rule_without_a_message_is_refused_at_its_first_line(void **state)
{
	assert_refused(COND_BACK_PAIN, "rule back-pain\n  cap 0.8\n\n  heat welcome\nend\n", 0,
		       "rule back-pain: missing 'message'");
}

static void test_a_duplicate_rule_is_refused_naming_the_first(void **state)
{
	/* fibromyalgia is the base's second rule: lines 7..9 */
	assert_refused(-1, "rule fibromyalgia\n  message \"again\"\nend\n", 0,
		       "duplicate rule fibromyalgia: already given at line 7");
}

static void test_a_rule_for_an_unknown_area_is_refused_with_a_suggestion(void **state)
{
	assert_refused(COND_SKIN, "rule skin\n  message \"m\"\n  avoid lowerback\nend\n", 2,
		       "unknown area 'lowerback', expected an area name or its-area (did you mean 'lower-back'?)");
	assert_refused(COND_VARICOSE_VEINS, "rule varicose-veins\n  no-air calfs\n  message \"m\"\nend\n", 1,
		       "unknown area 'calfs'");
}

static void test_an_unknown_technique_or_key_is_refused_with_a_suggestion(void **state)
{
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  exclude taps\n  message \"m\"\nend\n", 1,
		       "unknown technique 'taps'");
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  exclude tap\n  mesage \"m\"\nend\n", 2,
		       "unknown key 'mesage' in rule arthritis (did you mean 'message'?)");
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  heat maybe\n  message \"m\"\nend\n", 1,
		       "heat: expected yes, welcome or no, got 'maybe'");
}

static void test_an_unterminated_block_is_refused_at_the_rule_that_opened_it(void **state)
{
	assert_refused(COND_DVT, "rule dvt\n  message \"m\"\n", 0,
		       "rule dvt is not closed: expected 'end' before the end of the file");
	assert_refused(COND_DVT, "rule dvt\n  message \"m\"\nrule dvt\n", 2,
		       "rule dvt (line ");
}

static void test_a_table_without_a_rule_for_every_condition_is_refused_naming_it(void **state)
{
	char err[256];
	assert_int_equal(load_with(COND_BLOOD_THINNERS, "", NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no rule for condition blood-thinners: every condition needs one"));
	struct rules_table *t;
	assert_int_equal(rules_load_string("# nothing\n", "t.rules", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no 'intensity gentle' line"));
}

static void test_its_area_and_weeks_are_refused_for_a_condition_without_an_area(void **state)
{
	assert_refused(COND_FIBROMYALGIA, "rule fibromyalgia\n  avoid its-area\n  message \"m\"\nend\n", 1,
		       "'its-area': fibromyalgia is not about one area");
	assert_refused(COND_FIBROMYALGIA, "rule fibromyalgia\n  weeks 4\n  message \"m\"\nend\n", 1,
		       "weeks: fibromyalgia has no time of its own");
	assert_refused(COND_ARTHRITIS, "rule arthritis\n  message \"your {area}\"\nend\n", 0,
		       "{area} but arthritis is not about one area");
	assert_refused(COND_INJURY, "rule injury\n  message \"your {zone}\"\nend\n", 0,
		       "unknown placeholder");
}

static void test_a_do_not_go_ahead_must_give_a_reason_naming_the_professional(void **state)
{
	assert_refused(COND_FEVER, "rule fever\n  see \"physician\"\n  message \"ask your physician\"\nend\n", 0,
		       "'see' needs a 'reason'");
	assert_refused(COND_FEVER, "rule fever\n  see \"physician\"\n  reason \"ask a doctor\"\n"
				   "  message \"ask your physician\"\nend\n", 0,
		       "message and reason must name the professional 'physician'");
	assert_refused(COND_FEVER, "rule fever\n  reason \"ask your physician\"\n  message \"m\"\nend\n", 0,
		       "'reason' without 'see'");
}

static void test_lexical_mistakes_are_refused_at_their_line(void **state)
{
	assert_refused(COND_FEVER, "rule fever\n  message \"not closed\nend\n", 1, "string not closed");
	assert_refused(COND_FEVER, "rule fever\n  message \"a\\n\"\nend\n", 1, "unknown escape");
	assert_refused(COND_FEVER, "rule fever\n  message\"m\"\nend\n", 1, "a '\"' inside a word");
	assert_refused(COND_FEVER, "rule fever\n  message \"m\"\n  cap 0.5\n  cap 0.4\nend\n", 3,
		       "rule fever: 'cap' is said twice");
	assert_refused(COND_FEVER, "rule fever\n  \"m\"\nend\n", 1, "a string on its own continues");
	assert_refused(COND_FEVER, "cap 0.5\n", 0, "expected 'intensity' or 'rule', got 'cap'");
	assert_refused(COND_FEVER, "rule fever\n  message \"m\"\nend\n\x01\n", 3, "control character 0x01");
}

static void test_comments_blank_lines_and_continued_strings_read_as_one(void **state)
{
	char err[256];
	struct rules_table *t;
	const char *text = base_text(COND_FEVER,
				     "# a comment\n\n rule fever # so is this\n"
				     "  message \"one \\\"two\\\" #x\"   # and this\n"
				     "\t\t\"three\"\r\nend\n", NULL);
	assert_int_equal(rules_load_string(text, "t.rules", &t, err, sizeof(err)), 0);
	assert_string_equal(t->rule[COND_FEVER].message, "one \"two\" #x three");
	rules_free(t);
	assert_string_equal(shipped->rule[COND_DVT].message,
			    "The chair will not start a session: with blood clots or DVT, ask your physician first.");
	assert_non_null(strstr(shipped->rule[COND_ARTHRITIS].message, "over the neck, shoulders, sacrum"));
}

/* Deterministic corruptions of the shipped text (a byte changed, a line dropped or doubled):
 * each loads or is refused with "file:line:", and nothing crashes or leaks (ASan run). */
static void test_corrupted_tables_load_or_are_refused_at_a_line(void **state)
{
	char *orig, err[512];
	assert_int_equal(rules_read_file(SHIPPED, &orig, err, sizeof(err)), 0);
	size_t n = strlen(orig);
	char *text = malloc(2 * n + 1);
	assert_non_null(text);
	uint32_t seed = 12345;
	int refused = 0;
	for (int round = 0; round < 2000; round++) {
		seed = seed * 1103515245u + 12345u;
		size_t at = (seed >> 8) % n;
		memcpy(text, orig, n + 1);
		if (round % 3 == 0) {
			text[at] = " \n\"#{x9.-"[(seed >> 4) % 9];
		} else {
			/* the line holding `at`: dropped (round % 3 == 1) or doubled */
			size_t start = at, end = at;
			while (start > 0 && orig[start - 1] != '\n')
				start--;
			while (orig[end] && orig[end] != '\n')
				end++;
			size_t len = end - start + (orig[end] ? 1 : 0);
			if (round % 3 == 1)
				memmove(text + start, orig + start + len, n - start - len + 1);
			else
				memcpy(text + start + len, orig + start, n - start + 1);
		}
		struct rules_table *t = (struct rules_table *)1;
		int rc = rules_load_string(text, "t.rules", &t, err, sizeof(err));
		if (rc == 0) {
			rules_free(t);
			continue;
		}
		refused++;
		assert_int_equal(rc, -EINVAL);
		assert_null(t);
		unsigned line;
		assert_int_equal(sscanf(err, "t.rules:%u: ", &line), 1);
	}
	assert_true(refused > 500);
	free(text);
	free(orig);
}

static void test_a_missing_file_is_refused_naming_it(void **state)
{
	struct rules_table *t = (struct rules_table *)1;
	char err[256];
	assert_int_equal(rules_load("no-such-dir/consultation.rules", &t, err, sizeof(err)), -ENOENT);
	assert_null(t);
	assert_non_null(strstr(err, "no-such-dir/consultation.rules: cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_conditions_allow_everything_within_the_intensity),
		cmocka_unit_test(test_gentle_and_normal_intensity_lower_cap_and_pressure_without_deep),
		cmocka_unit_test(test_cap_is_a_fraction_of_the_chairs_own_default_cap),
		cmocka_unit_test(test_arthritis_is_gentle_welcomes_heat_and_keeps_joints_out_of_deep_work),
		cmocka_unit_test(test_fibromyalgia_excludes_tapping_and_shortens_sessions),
		cmocka_unit_test(test_back_pain_keeps_normal_pressure_and_welcomes_heat),
		cmocka_unit_test(test_injury_avoids_its_area_only_inside_six_weeks),
		cmocka_unit_test(test_surgery_avoids_its_area_only_inside_twelve_weeks),
		cmocka_unit_test(test_osteoporosis_forbids_deep_work_and_tapping_under_a_lower_cap),
		cmocka_unit_test(test_pregnancy_does_not_go_ahead_and_names_physician_or_midwife),
		cmocka_unit_test(test_dvt_does_not_go_ahead_and_names_a_physician),
		cmocka_unit_test(test_implant_does_not_go_ahead_and_names_a_physician),
		cmocka_unit_test(test_cancer_does_not_go_ahead_and_names_a_physician),
		cmocka_unit_test(test_fever_does_not_go_ahead_and_names_a_physician),
		cmocka_unit_test(test_skin_avoids_its_area_with_no_air_and_no_heat_there),
		cmocka_unit_test(test_varicose_veins_keep_air_and_heat_off_calves_and_feet),
		cmocka_unit_test(test_diabetes_neuropathy_forbids_heat_and_lowers_the_cap),
		cmocka_unit_test(test_blood_thinners_lower_the_cap_and_exclude_tapping),
		cmocka_unit_test(test_strictest_wins_when_conditions_combine),
		cmocka_unit_test(test_a_gentle_person_keeps_the_lower_of_intensity_and_rule),
		cmocka_unit_test(test_a_do_not_go_ahead_among_others_still_stops_and_keeps_the_first_professional),
		cmocka_unit_test(test_two_injured_areas_are_both_avoided_and_the_same_message_is_shown_once),
		cmocka_unit_test(test_more_messages_than_fit_end_with_a_note_that_more_apply),
		cmocka_unit_test(test_injury_without_an_area_is_refused_naming_the_field),
		cmocka_unit_test(test_answers_out_of_range_are_refused_naming_the_field),
		cmocka_unit_test(test_no_shipped_text_promises_a_medical_effect),
		cmocka_unit_test(test_only_the_five_do_not_go_ahead_rules_stop_the_chair),
		cmocka_unit_test(test_the_docs_show_every_shipped_message_and_reason),
		cmocka_unit_test(test_the_base_of_the_malformed_cases_loads),
		cmocka_unit_test(test_unknown_condition_is_refused_at_its_line_with_a_suggestion),
		cmocka_unit_test(test_bad_numbers_are_refused_at_their_line),
		cmocka_unit_test(test_bad_intensity_lines_are_refused_at_their_line),
		cmocka_unit_test(test_a_rule_without_a_message_is_refused_at_its_first_line),
		cmocka_unit_test(test_a_duplicate_rule_is_refused_naming_the_first),
		cmocka_unit_test(test_a_rule_for_an_unknown_area_is_refused_with_a_suggestion),
		cmocka_unit_test(test_an_unknown_technique_or_key_is_refused_with_a_suggestion),
		cmocka_unit_test(test_an_unterminated_block_is_refused_at_the_rule_that_opened_it),
		cmocka_unit_test(test_a_table_without_a_rule_for_every_condition_is_refused_naming_it),
		cmocka_unit_test(test_its_area_and_weeks_are_refused_for_a_condition_without_an_area),
		cmocka_unit_test(test_a_do_not_go_ahead_must_give_a_reason_naming_the_professional),
		cmocka_unit_test(test_lexical_mistakes_are_refused_at_their_line),
		cmocka_unit_test(test_comments_blank_lines_and_continued_strings_read_as_one),
		cmocka_unit_test(test_corrupted_tables_load_or_are_refused_at_a_line),
		cmocka_unit_test(test_a_missing_file_is_refused_naming_it),
	};
	return cmocka_run_group_tests(tests, load_shipped, free_shipped);
}
