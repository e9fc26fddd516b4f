/* Care advice: the shipped table picks stretches for the areas worked, advice for the
 * person's conditions, the always-on entries and a specific one when pain is worse after;
 * a malformed table is refused whole with the line of its mistake. Run from the repository
 * root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../controller/session/advice.h"
#include "../controller/session/rules.h"

#define SHIPPED "controller/data/care-advice.rules"
#define BIT(a) (1u << (a))

static struct advice_table *shipped;

static int load_shipped(void **state)
{
	char err[512];
	int rc = advice_load(SHIPPED, &shipped, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n", err);
	return rc;
}

static int free_shipped(void **state)
{
	advice_free(shipped);
	return 0;
}

static const struct advice_item *find(const struct advice_list *l, const char *id)
{
	for (int i = 0; i < l->count; i++)
		if (strcmp(l->item[i].id, id) == 0)
			return &l->item[i];
	return NULL;
}

static int count_kind(const struct advice_list *l, enum advice_kind k)
{
	int n = 0;
	for (int i = 0; i < l->count; i++)
		n += l->item[i].kind == k;
	return n;
}

static struct advice_list select_for(unsigned worked, const struct consult_answers *a,
				     const int *before, const int *after)
{
	struct advice_list l;
	assert_int_equal(advice_select(shipped, worked, a, before, after, &l), 0);
	return l;
}

static void test_worked_areas_pick_their_stretches_and_no_others(void **state)
{
	struct advice_list l = select_for(BIT(AREA_NECK) | BIT(AREA_LOWER_BACK), NULL, NULL, NULL);
	assert_non_null(find(&l, "stretch-neck"));
	assert_non_null(find(&l, "stretch-lower-back"));
	assert_int_equal(count_kind(&l, ADVICE_STRETCH), 2);
	assert_null(find(&l, "stretch-shoulders"));
	assert_null(find(&l, "pain-worse-now"));
}

static void test_every_area_worked_alone_picks_a_stretch(void **state)
{
	for (int a = 0; a < AREA_COUNT; a++) {
		struct advice_list l = select_for(BIT(a), NULL, NULL, NULL);
		assert_int_equal(count_kind(&l, ADVICE_STRETCH), 1);
	}
	/* the sacrum shares the lower back's stretch, given once */
	unsigned low = BIT(AREA_SACRUM) | BIT(AREA_LOWER_BACK);
	struct advice_list l = select_for(low, NULL, NULL, NULL);
	assert_int_equal(count_kind(&l, ADVICE_STRETCH), 1);
}

static void test_hydration_rest_warmth_and_when_to_see_a_professional_are_always_given(void **state)
{
	struct advice_list l = select_for(0, NULL, NULL, NULL);
	assert_non_null(find(&l, "hydration"));
	assert_non_null(find(&l, "rest"));
	assert_non_null(find(&l, "warmth"));
	assert_non_null(find(&l, "see-pain-two-days"));
	assert_non_null(strstr(find(&l, "see-pain-two-days")->text, "more than two days"));
	assert_non_null(strstr(find(&l, "see-numbness")->text, "numbness, tingling"));
	assert_non_null(strstr(find(&l, "see-night-pain")->text, "wakes you at night"));
	assert_int_equal(count_kind(&l, ADVICE_STRETCH), 0);
	/* each when-to-see names who to see */
	for (int i = 0; i < l.count; i++)
		if (l.item[i].kind == ADVICE_SEE_PROFESSIONAL)
			assert_non_null(strstr(l.item[i].text, "physician"));
}

static void test_pain_worse_after_picks_the_see_professional_entry_naming_the_areas(void **state)
{
	int before[AREA_COUNT], after[AREA_COUNT];
	for (int a = 0; a < AREA_COUNT; a++)
		before[a] = after[a] = -1;
	before[AREA_NECK] = 4, after[AREA_NECK] = 6;
	before[AREA_MID_BACK] = 5, after[AREA_MID_BACK] = 3;   /* better: not named */
	before[AREA_LOWER_BACK] = 2, after[AREA_LOWER_BACK] = 7;
	after[AREA_FEET] = 9;                                   /* no score before: not named */
	struct advice_list l = select_for(BIT(AREA_NECK), NULL, before, after);
	const struct advice_item *it = find(&l, "pain-worse-now");
	assert_non_null(it);
	assert_int_equal(it->kind, ADVICE_SEE_PROFESSIONAL);
	assert_non_null(strstr(it->text, "Pain in your neck and lower-back is higher now"));
	assert_non_null(strstr(it->text, "physician or physiotherapist"));
}

static void test_pain_the_same_or_better_after_adds_no_pain_worse_entry(void **state)
{
	int before[AREA_COUNT], after[AREA_COUNT];
	for (int a = 0; a < AREA_COUNT; a++)
		before[a] = 5, after[a] = a % 2 ? 5 : 2;
	struct advice_list l = select_for(BIT(AREA_NECK), NULL, before, after);
	assert_null(find(&l, "pain-worse-now"));
}

static void test_conditions_pick_their_advice(void **state)
{
	struct consult_answers a;
	consult_answers_init(&a);
	consult_answers_add(&a, COND_FIBROMYALGIA, -1, -1);
	consult_answers_add(&a, COND_DIABETES_NEUROPATHY, -1, -1);
	struct advice_list l = select_for(BIT(AREA_UPPER_BACK), &a, NULL, NULL);
	assert_non_null(find(&l, "fibromyalgia-pace"));
	assert_non_null(find(&l, "diabetes-skin-check"));
	assert_null(find(&l, "arthritis-warmth"));
	assert_null(find(&l, "blood-thinners-bruises"));
}

static void test_no_stretch_is_given_for_an_injured_area_even_when_worked(void **state)
{
	struct consult_answers a;
	consult_answers_init(&a);
	consult_answers_add(&a, COND_INJURY, AREA_SHOULDERS, 10);
	struct advice_list l = select_for(BIT(AREA_SHOULDERS) | BIT(AREA_NECK), &a, NULL, NULL);
	assert_null(find(&l, "stretch-shoulders"));
	assert_non_null(find(&l, "stretch-neck"));
	assert_non_null(find(&l, "injury-care"));
}

static void test_output_follows_table_order_with_ids_and_kinds(void **state)
{
	struct advice_list l = select_for(AREA_MASK_ALL, NULL, NULL, NULL);
	assert_string_equal(l.item[0].id, "stretch-neck");
	assert_int_equal(l.item[0].kind, ADVICE_STRETCH);
	assert_string_equal(l.item[l.count - 1].id, "see-bruising");
	assert_string_equal(advice_kind_name(l.item[l.count - 1].kind), "see-professional");
}

static void test_a_full_list_keeps_every_see_professional_entry(void **state)
{
	/* every area, every condition, pain worse: more matches than ADVICE_LIST_MAX */
	struct consult_answers a;
	int before[AREA_COUNT], after[AREA_COUNT];
	consult_answers_init(&a);
	for (int c = 0; c < COND_COUNT; c++)
		if (!condition_takes_area(c))
			consult_answers_add(&a, c, -1, -1);
	for (int i = 0; i < AREA_COUNT; i++)
		before[i] = 1, after[i] = 2;
	struct advice_list l = select_for(AREA_MASK_ALL, &a, before, after);
	int expected = 0;
	for (int i = 0; i < shipped->count; i++)
		expected += shipped->entry[i].kind == ADVICE_SEE_PROFESSIONAL;
	assert_int_equal(l.count, ADVICE_LIST_MAX);
	assert_int_equal(count_kind(&l, ADVICE_SEE_PROFESSIONAL), expected);
}

static void test_worked_areas_outside_the_areas_are_refused(void **state)
{
	struct advice_list l;
	assert_int_equal(advice_select(shipped, 1u << AREA_COUNT, NULL, NULL, NULL, &l), -EINVAL);
	assert_int_equal(l.count, 0);
}

/* --- Malformed tables ------------------------------------------------------------------ */

/* A table that passes its whole-table checks (3 lines per entry): one stretch for every
 * area, a pain-worse and an always see-professional entry, 5 lines each; then extra. */
static const char *base_text(const char *extra, int *first)
{
	static char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text),
				    "advice all-areas\n  when areas neck shoulders upper-back mid-back lower-back"
				    " sacrum glutes thighs arms calves feet\n  text \"t\"\nend\n"
				    "advice worse\n  when pain-worse\n  text \"{areas}\"\nend\n"
				    "advice see\n  kind see-professional\n  when always\n  text \"see\"\nend\n");
	snprintf(text + n, sizeof(text) - n, "%s", extra);
	if (first)
		*first = 14;
	return text;
}

static void assert_refused(const char *extra, int offset, const char *part)
{
	struct advice_table *t = (struct advice_table *)1;
	char err[512], at[32];
	int first;
	assert_int_equal(advice_load_string(base_text(extra, &first), "a.rules", &t, err, sizeof(err)),
			 -EINVAL);
	assert_null(t);
	snprintf(at, sizeof(at), "a.rules:%d: ", first + offset);
	if (strncmp(err, at, strlen(at)) != 0 || !strstr(err, part)) {
		fprintf(stderr, "expected '%s...%s', got '%s'\n", at, part, err);
		fail();
	}
}

static void test_the_base_of_the_malformed_cases_loads(void **state)
{
	struct advice_table *t;
	char err[256];
	assert_int_equal(advice_load_string(base_text("", NULL), "a.rules", &t, err, sizeof(err)), 0);
	assert_int_equal(t->count, 3);
	advice_free(t);
}

static void test_unknown_area_or_condition_is_refused_at_its_line_with_a_suggestion(void **state)
{
	assert_refused("advice x\n  when areas nek\n  text \"t\"\nend\n", 1,
		       "unknown area 'nek' (did you mean 'neck'?)");
	assert_refused("\nadvice x\n  when conditions fibro-myalgia\n  text \"t\"\nend\n", 2,
		       "unknown condition 'fibro-myalgia' (did you mean 'fibromyalgia'?)");
}

static void test_a_bad_when_kind_or_key_is_refused_at_its_line(void **state)
{
	assert_refused("advice x\n  when sometimes\n  text \"t\"\nend\n", 1, "when: expected 'always'");
	assert_refused("advice x\n  when areas\n  text \"t\"\nend\n", 1, "when: expected");
	assert_refused("advice x\n  kind stretches\n  when always\n  text \"t\"\nend\n", 1,
		       "kind: expected care, stretch or see-professional, got 'stretches' (did you mean 'stretch'?)");
	assert_refused("advice x\n  when always\n  txt \"t\"\nend\n", 2,
		       "unknown key 'txt' in advice x, expected kind, when or text (did you mean 'text'?)");
	assert_refused("advice x\n  when always\n  when always\n  text \"t\"\nend\n", 2,
		       "advice x: 'when' is said twice");
}

static void test_missing_when_or_text_is_refused_at_the_entrys_first_line(void **state)
{
	assert_refused("advice x\n  text \"t\"\nend\n", 0, "advice x: missing 'when'");
	assert_refused("advice x\n  when always\nend\n", 0, "advice x: missing 'text'");
}

static void test_a_duplicate_or_malformed_id_is_refused(void **state)
{
	assert_refused("advice see\n  when always\n  text \"t\"\nend\n", 0,
		       "duplicate advice see: already given at line 9");
	assert_refused("advice Big_Id\n  when always\n  text \"t\"\nend\n", 0, "advice: expected one id");
}

static void test_an_unterminated_entry_is_refused_at_its_first_line(void **state)
{
	assert_refused("advice x\n  when always\n  text \"t\"\n", 0,
		       "advice x is not closed: expected 'end' before the end of the file");
	assert_refused("advice x\n  when always\nadvice y\n", 2, "advice x (line ");
}

static void test_areas_placeholder_only_in_a_pain_worse_entry(void **state)
{
	assert_refused("advice x\n  when always\n  text \"your {areas}\"\nend\n", 0,
		       "{areas} only in a 'when pain-worse' entry");
	assert_refused("advice x\n  when pain-worse\n  text \"your {area}\"\nend\n", 0,
		       "no other placeholder");
}

static void test_a_table_missing_an_area_pain_worse_or_see_professional_is_refused(void **state)
{
	struct advice_table *t;
	char err[256];
	assert_int_equal(advice_load_string("advice a\n  when areas neck\n  text \"t\"\nend\n", "a.rules",
					    &t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "a.rules:4: no advice for area shoulders: every area needs a 'when areas' entry");
	assert_int_equal(advice_load_string("advice a\n  when areas neck shoulders upper-back mid-back"
					    " lower-back sacrum glutes thighs arms calves feet\n"
					    "  text \"t\"\nend\nadvice b\n  when pain-worse\n  text \"t\"\nend\n",
					    "a.rules", &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "when to see a professional"));
}

static void test_a_continued_text_reads_as_one(void **state)
{
	struct advice_table *t;
	char err[256];
	assert_int_equal(advice_load_string(base_text("advice x # here\n  when always\n  text \"one\"\n"
						      "       \"two\"\nend\n", NULL),
					    "a.rules", &t, err, sizeof(err)), 0);
	assert_string_equal(t->entry[3].text, "one two");
	advice_free(t);
	assert_refused("advice x\n  when always\n  \"two\"\nend\n", 2, "a string on its own continues");
}

/* Deterministic corruptions of the shipped text (a byte changed, a line dropped): each loads
 * or is refused with "file:line:", and nothing crashes or leaks (ASan run). */
static void test_corrupted_tables_load_or_are_refused_at_a_line(void **state)
{
	char *orig, err[512];
	assert_int_equal(rules_read_file(SHIPPED, &orig, err, sizeof(err)), 0);
	size_t n = strlen(orig);
	char *text = malloc(n + 1);
	assert_non_null(text);
	uint32_t seed = 777;
	int refused = 0;
	for (int round = 0; round < 2000; round++) {
		seed = seed * 1103515245u + 12345u;
		size_t at = (seed >> 8) % n;
		memcpy(text, orig, n + 1);
		if (round % 2 == 0) {
			text[at] = " \n\"#{x9-"[(seed >> 4) % 8];
		} else {
			size_t start = at, end = at;
			while (start > 0 && orig[start - 1] != '\n')
				start--;
			while (orig[end] && orig[end] != '\n')
				end++;
			size_t len = end - start + (orig[end] ? 1 : 0);
			memmove(text + start, orig + start + len, n - start - len + 1);
		}
		struct advice_table *t = (struct advice_table *)1;
		int rc = advice_load_string(text, "a.rules", &t, err, sizeof(err));
		if (rc == 0) {
			advice_free(t);
			continue;
		}
		refused++;
		assert_int_equal(rc, -EINVAL);
		assert_null(t);
		unsigned line;
		assert_int_equal(sscanf(err, "a.rules:%u: ", &line), 1);
	}
	assert_true(refused > 300);
	free(text);
	free(orig);
}

static void test_a_missing_file_is_refused_naming_it(void **state)
{
	struct advice_table *t = (struct advice_table *)1;
	char err[256];
	assert_int_equal(advice_load("no-such-dir/care-advice.rules", &t, err, sizeof(err)), -ENOENT);
	assert_null(t);
	assert_non_null(strstr(err, "no-such-dir/care-advice.rules: cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_areas_pick_their_stretches_and_no_others),
		cmocka_unit_test(test_every_area_worked_alone_picks_a_stretch),
		cmocka_unit_test(test_hydration_rest_warmth_and_when_to_see_a_professional_are_always_given),
		cmocka_unit_test(test_pain_worse_after_picks_the_see_professional_entry_naming_the_areas),
		cmocka_unit_test(test_pain_the_same_or_better_after_adds_no_pain_worse_entry),
		cmocka_unit_test(test_conditions_pick_their_advice),
		cmocka_unit_test(test_no_stretch_is_given_for_an_injured_area_even_when_worked),
		cmocka_unit_test(test_output_follows_table_order_with_ids_and_kinds),
		cmocka_unit_test(test_a_full_list_keeps_every_see_professional_entry),
		cmocka_unit_test(test_worked_areas_outside_the_areas_are_refused),
		cmocka_unit_test(test_the_base_of_the_malformed_cases_loads),
		cmocka_unit_test(test_unknown_area_or_condition_is_refused_at_its_line_with_a_suggestion),
		cmocka_unit_test(test_a_bad_when_kind_or_key_is_refused_at_its_line),
		cmocka_unit_test(test_missing_when_or_text_is_refused_at_the_entrys_first_line),
		cmocka_unit_test(test_a_duplicate_or_malformed_id_is_refused),
		cmocka_unit_test(test_an_unterminated_entry_is_refused_at_its_first_line),
		cmocka_unit_test(test_areas_placeholder_only_in_a_pain_worse_entry),
		cmocka_unit_test(test_a_table_missing_an_area_pain_worse_or_see_professional_is_refused),
		cmocka_unit_test(test_a_continued_text_reads_as_one),
		cmocka_unit_test(test_corrupted_tables_load_or_are_refused_at_a_line),
		cmocka_unit_test(test_a_missing_file_is_refused_naming_it),
	};
	return cmocka_run_group_tests(tests, load_shipped, free_shipped);
}
