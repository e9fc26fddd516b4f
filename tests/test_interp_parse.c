/* Every statement of PROGRAMS.md parses and compiles to the step it means: header, phase,
 * each technique with its options and defaults, air, heat, recline, pause, repeat; the
 * lexical rules (durations, lengths, temperatures, strings, comments, offsets); typo
 * suggestions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../controller/interp/compile.h"
#include "../controller/interp/gen.h"
#include "../controller/interp/interp.h"
#include "../controller/interp/parser.h"
#include "../controller/interp/words.h"

static struct interp_limits lim;

/* Compile a program made of a header and body (must check clean). */
static struct plan *compile(const char *header, const char *body_text)
{
	char src[4096];
	snprintf(src, sizeof(src), "%s%s", header ? header : "program \"t\"\nlevel deep\n", body_text);
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, "t.prog");
	struct plan *p = NULL;
	int rc = interp_load(src, strlen(src), "t.prog", &lim, d, &p);
	if (rc != 0 || d->count)
		interp_diags_print(d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(d->count, 0);
	free(d);
	return p;
}

static void test_header_sets_name_description_tags_and_level(void **state)
{
	(void)state;
	struct plan *p = compile("# a comment line\n"
				 "program \"Back \\\"easy\\\" \\\\ care\"   # trailing comment\n"
				 "description \"For \\\"tired\\\" backs\"\n"
				 "tags back-pain, chronic,relax\n"
				 "level gentle\n",
				 "pause 1s\n");
	assert_string_equal(p->name, "Back \"easy\" \\ care");
	assert_string_equal(p->description, "For \"tired\" backs");
	assert_string_equal(p->tags, "back-pain,chronic,relax");
	assert_int_equal(p->level, PLAN_LEVEL_GENTLE);
	plan_free(p);
	p = compile("program \"n\"\n", "pause 1s\n");
	assert_int_equal(p->level, PLAN_LEVEL_NORMAL); /* the default */
	assert_string_equal(p->description, "");
	plan_free(p);
}

static void test_phases_label_the_steps_that_follow(void **state)
{
	(void)state;
	struct plan *p = compile(NULL, "pause 1s\nphase \"Warm-up\"\npause 1s\nphase \"Rest\"\npause 2s\n");
	assert_int_equal(p->phase_count, 3);
	assert_string_equal(p->phase_names[1], "Warm-up");
	assert_int_equal(p->steps[0].phase, 0);
	assert_int_equal(p->steps[1].phase, 1);
	assert_int_equal(p->steps[2].phase, 2);
	plan_free(p);
}

static void test_knead_takes_zone_width_speed_pressure_and_duration(void **state)
{
	(void)state;
	struct plan *p = compile(NULL, "  knead lower-back width narrow speed 7 pressure 6 for 1m30s\n"
				       "knead L1..L5 depth 3 for 45s\nknead T7 for 1s500ms\n");
	const struct plan_step *s = &p->steps[0];
	assert_int_equal(s->op, PLAN_KNEAD);
	assert_int_equal(s->line, 3);
	assert_int_equal(s->col, 3);
	assert_int_equal(s->where.a.landmark, BODY_LOWER_BACK);
	assert_false(s->where.is_range);
	assert_int_equal(s->width, PLAN_WIDTH_NARROW);
	assert_int_equal(s->speed_level, 7);
	assert_int_equal(s->z_kind, PLAN_Z_PRESSURE);
	assert_int_equal(s->z_level, 6);
	assert_int_equal(s->for_ms, 90000);
	s = &p->steps[1];
	assert_true(s->where.is_range);
	assert_int_equal(s->where.b.landmark, BODY_L5);
	assert_int_equal(s->z_kind, PLAN_Z_DEPTH);
	assert_int_equal(s->z_level, 3);
	/* defaults: medium width, medium speed, pressure 4 */
	s = &p->steps[2];
	assert_int_equal(s->width, PLAN_WIDTH_MEDIUM);
	assert_int_equal(s->speed_level, INTERP_DEFAULT_SPEED);
	assert_int_equal(s->z_kind, PLAN_Z_PRESSURE);
	assert_int_equal(s->z_level, INTERP_DEFAULT_PRESSURE);
	plan_free(p);
}

static void test_tap_and_knead_tap(void **state)
{
	(void)state;
	struct plan *p = compile(NULL, "tap upper-back..lower-back rate 8 depth 1 for 1m\n"
				       "knead-tap lower-back width wide speed 5 pressure 3 for 2m\ntap L3 for 1m\n");
	assert_int_equal(p->steps[0].op, PLAN_TAP);
	assert_int_equal(p->steps[0].rate_level, 8);
	assert_int_equal(p->steps[0].z_kind, PLAN_Z_DEPTH);
	assert_int_equal(p->steps[1].op, PLAN_KNEAD_TAP);
	assert_int_equal(p->steps[1].width, PLAN_WIDTH_WIDE);
	assert_int_equal(p->steps[2].rate_level, INTERP_DEFAULT_RATE);
	assert_int_equal(p->steps[2].width, PLAN_WIDTH_KEEP);
	plan_free(p);
}

static void test_shiatsu_roll_glide_and_trigger_point(void **state)
{
	(void)state;
	struct plan *p = compile(NULL, "shiatsu mid-back pressure 5 hold 6s for 3m\nshiatsu neck for 1m\n"
				       "roll shoulders..sacrum speed 3 depth 2 for 2m\nroll neck..L5 times 4\n"
				       "glide shoulders..sacrum speed 1 pressure 4\n"
				       "trigger-point L2+20mm pressure 5 ramp 8s hold 30s release 6s\n"
				       "trigger-point shoulders-3cm pressure 3 hold 10s\n");
	const struct plan_step *s = p->steps;
	assert_int_equal(s[0].op, PLAN_SHIATSU);
	assert_int_equal(s[0].hold_ms, 6000);
	assert_int_equal(s[0].for_ms, 180000);
	assert_int_equal(s[1].hold_ms, GEN_SHIATSU_HOLD_MS);
	assert_int_equal(s[2].op, PLAN_ROLL);
	assert_int_equal(s[2].times, 0);
	assert_int_equal(s[3].times, 4);
	assert_int_equal(s[4].op, PLAN_GLIDE);
	assert_int_equal(s[4].speed_level, 1);
	assert_int_equal(s[5].op, PLAN_TRIGGER_POINT);
	assert_int_equal(s[5].where.a.landmark, BODY_L2);
	assert_int_equal(s[5].where.a.offset_mm, 20);
	assert_int_equal(s[5].ramp_ms, 8000);
	assert_int_equal(s[5].for_ms, 30000);
	assert_int_equal(s[5].release_ms, 6000);
	assert_int_equal(s[6].where.a.offset_mm, -30);
	assert_int_equal(s[6].ramp_ms, GEN_TRIGGER_RAMP_MS);
	assert_int_equal(s[6].release_ms, GEN_TRIGGER_RELEASE_MS);
	plan_free(p);
}

static void test_track_positions_in_deep_programs(void **state)
{
	(void)state;
	struct plan *p = compile(NULL, "knead track 420mm for 1m\nglide track 300mm..track 60cm speed 2\n");
	assert_int_equal(p->steps[0].where.a.landmark, PLAN_TRACK_POINT);
	assert_int_equal(p->steps[0].where.a.offset_mm, 420);
	assert_int_equal(p->steps[1].where.b.offset_mm, 600);
	plan_free(p);
}

/* Each place keeps its column, so a refusal for one person can point at it. */
static void test_places_keep_their_columns(void **state)
{
	(void)state;
	struct plan *p = compile(NULL, "  knead L2+20mm..sacrum for 1m\n"
				       "glide track 300mm..track 60cm speed 2\n");
	assert_int_equal(p->steps[0].col, 3);
	assert_int_equal(p->steps[0].where.a.col, 9);
	assert_int_equal(p->steps[0].where.b.col, 18);
	assert_int_equal(p->steps[1].where.a.col, 7);
	assert_int_equal(p->steps[1].where.b.col, 20);
	plan_free(p);
}

static void test_stretch_pause_and_the_modal_statements(void **state)
{
	(void)state;
	struct plan *p = compile(NULL, "stretch level 4 for 1m\nstretch for 30s\npause 2m\n"
				       "air calves, feet level 2 cycle 20s\nheat lumbar on 40c\n"
				       "recline zero-gravity\npause 1s\nair off\nheat off\nheat calves on\n"
				       "heat all on 39c\nheat calves off\nrecline upright\npause 1s\n");
	const struct plan_step *s = p->steps;
	assert_int_equal(s[0].op, PLAN_STRETCH);
	assert_int_equal(s[0].stretch_level, 4);
	assert_int_equal(s[1].stretch_level, INTERP_DEFAULT_STRETCH);
	assert_int_equal(s[2].op, PLAN_PAUSE);
	assert_int_equal(s[2].for_ms, 120000);
	/* three modal statements merged into one step */
	assert_int_equal(s[3].op, PLAN_MODAL);
	assert_int_equal(s[3].modal.set,
			 PLAN_SET_AIR | PLAN_SET_HEAT_LUMBAR | PLAN_SET_RECLINE);
	assert_int_equal(s[3].modal.air_mask, (1u << HAL_AIRBAG_CALVES) | (1u << HAL_AIRBAG_FEET));
	assert_int_equal(s[3].modal.air_level, 2);
	assert_int_equal(s[3].modal.air_cycle_ms, 20000);
	assert_int_equal(s[3].modal.heat_c[HAL_HEATER_LUMBAR], 40);
	assert_int_equal(s[3].modal.recline, RECLINE_ZERO_GRAVITY);
	assert_int_equal(s[4].op, PLAN_PAUSE);
	/* later ones override earlier ones */
	assert_int_equal(s[5].op, PLAN_MODAL);
	assert_int_equal(s[5].modal.air_mask, 0);
	assert_int_equal(s[5].modal.heat_c[HAL_HEATER_LUMBAR], 39);
	assert_int_equal(s[5].modal.heat_c[HAL_HEATER_CALVES], 0);
	assert_int_equal(s[5].modal.recline, RECLINE_UPRIGHT);
	assert_int_equal(p->step_count, 7);
	plan_free(p);
	p = compile(NULL, "heat lumbar on\npause 1s\n");
	assert_int_equal(p->steps[0].modal.heat_c[HAL_HEATER_LUMBAR], (int)lim.heat_default_c);
	assert_int_equal(p->steps[0].modal.set, PLAN_SET_HEAT_LUMBAR);
	plan_free(p);
	p = compile(NULL, "air seat level 1\npause 1s\n");
	assert_int_equal(p->steps[0].modal.air_cycle_ms, INTERP_DEFAULT_AIR_CYCLE_MS);
	plan_free(p);
}

static void test_repeat_compiles_to_bounded_jumps(void **state)
{
	(void)state;
	struct plan *p = compile(NULL, "repeat 3\n  pause 1s\n  repeat 2\n    pause 2s\n  end\nend\n");
	const struct plan_step *s = p->steps;
	assert_int_equal(p->step_count, 6);
	assert_int_equal(s[0].op, PLAN_REPEAT);
	assert_int_equal(s[0].times, 3);
	assert_int_equal(s[0].jump, 5);
	assert_int_equal(s[2].op, PLAN_REPEAT);
	assert_int_equal(s[2].jump, 4);
	assert_int_equal(s[4].op, PLAN_END);
	assert_int_equal(s[4].jump, 2);
	assert_int_equal(s[5].jump, 0);
	plan_free(p);
	/* loops that take no time, or one pass, are a single pass */
	p = compile(NULL, "repeat 100\n repeat 100\n  air calves level 1\n end\nend\n"
			  "repeat 1\n pause 1s\nend\n");
	assert_int_equal(p->step_count, 2);
	assert_int_equal(p->steps[0].op, PLAN_MODAL);
	assert_int_equal(p->steps[1].op, PLAN_PAUSE);
	plan_free(p);
}

static void test_durations_lengths_and_temperatures(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		int64_t ms;
	} d[] = {
		{"500ms", 0, 500}, {"45s", 0, 45000}, {"2m", 0, 120000}, {"1m30s", 0, 90000},
		{"1m30s250ms", 0, 90250}, {"0s", 0, 0}, {"45", -EINVAL, 0}, {"1h", -EINVAL, 0},
		{"30s1m", -EINVAL, 0}, {"1s1s", -EINVAL, 0}, {"s", -EINVAL, 0}, {"", -EINVAL, 0},
		{"1441m", -ERANGE, 0}, {"99999999999999999999s", -ERANGE, 0},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		int64_t ms = -1;
		assert_int_equal(interp_read_duration_ms(d[i].text, strlen(d[i].text), &ms), d[i].rc);
		if (d[i].rc == 0)
			assert_int_equal(ms, d[i].ms);
	}
	int64_t v;
	assert_int_equal(interp_read_length_mm("20mm", 4, &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(interp_read_length_mm("3cm", 3, &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(interp_read_length_mm("3m", 2, &v), -EINVAL);
	assert_int_equal(interp_read_length_mm("20", 2, &v), -EINVAL);
	assert_int_equal(interp_read_temp_c("40c", 3, &v), 0);
	assert_int_equal(v, 40);
	assert_int_equal(interp_read_temp_c("40C", 3, &v), -EINVAL);
	assert_int_equal(interp_read_temp_c("40", 2, &v), -EINVAL);
}

static void test_indentation_blank_lines_comments_and_crlf_are_free(void **state)
{
	(void)state;
	struct plan *p = compile("program \"t\"\r\n\r\n\t\t# indented comment\r\n",
				 "\t  pause 1s   # rest\r\n\n\n        pause   2s\r\n# end");
	assert_int_equal(p->step_count, 2);
	assert_int_equal(p->steps[1].for_ms, 2000);
	assert_int_equal(p->steps[1].line, 7);
	assert_int_equal(p->steps[1].col, 9);
	plan_free(p);
}

static void test_every_landmark_and_vertebra_is_a_word(void **state)
{
	(void)state;
	for (int lm = 0; lm < BODY_LANDMARK_COUNT; lm++) {
		char body_text[128];
		snprintf(body_text, sizeof(body_text), "trigger-point %s pressure 3 hold 5s\n",
			 body_landmark_name((enum body_landmark)lm));
		struct plan *p = compile(NULL, body_text);
		assert_int_equal(p->steps[0].where.a.landmark, lm);
		plan_free(p);
	}
}

static void test_suggestions_find_likely_typos_only(void **state)
{
	(void)state;
	assert_string_equal(interp_suggest("kneed", 5, interp_kw_name, INTERP_KW_COUNT), "knead");
	assert_string_equal(interp_suggest("trigerpoint", 11, interp_kw_name, INTERP_KW_COUNT),
			    "trigger-point");
	assert_string_equal(interp_suggest("KNEAD", 5, interp_kw_name, INTERP_KW_COUNT), "knead");
	assert_string_equal(interp_suggest("rcline", 6, interp_kw_name, INTERP_KW_COUNT), "recline");
	assert_string_equal(interp_suggest("lwoer-back", 10, interp_landmark_words,
					   BODY_LANDMARK_COUNT + 1), "lower-back");
	assert_null(interp_suggest("banana", 6, interp_kw_name, INTERP_KW_COUNT));
	assert_null(interp_suggest("x", 1, interp_opt_name, INTERP_OPT_COUNT));
}

static void test_parser_takes_a_buffer_without_a_terminator(void **state)
{
	(void)state;
	const char text[] = "program \"t\"\npause 1sXXXX";
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, "mem");
	struct interp_program *prog;
	assert_int_equal(interp_parse(text, strlen(text) - 4, "mem", d, &prog), 0);
	assert_int_equal(prog->count, 2);
	assert_int_equal(prog->stmts[1].arg.v, 1000);
	assert_int_equal(d->errors, 0);
	interp_program_free(prog);
	free(d);
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
		cmocka_unit_test(test_header_sets_name_description_tags_and_level),
		cmocka_unit_test(test_phases_label_the_steps_that_follow),
		cmocka_unit_test(test_knead_takes_zone_width_speed_pressure_and_duration),
		cmocka_unit_test(test_tap_and_knead_tap),
		cmocka_unit_test(test_shiatsu_roll_glide_and_trigger_point),
		cmocka_unit_test(test_track_positions_in_deep_programs),
		cmocka_unit_test(test_places_keep_their_columns),
		cmocka_unit_test(test_stretch_pause_and_the_modal_statements),
		cmocka_unit_test(test_repeat_compiles_to_bounded_jumps),
		cmocka_unit_test(test_durations_lengths_and_temperatures),
		cmocka_unit_test(test_indentation_blank_lines_comments_and_crlf_are_free),
		cmocka_unit_test(test_every_landmark_and_vertebra_is_a_word),
		cmocka_unit_test(test_suggestions_find_likely_typos_only),
		cmocka_unit_test(test_parser_takes_a_buffer_without_a_terminator),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
