/* libFuzzer target: the consultation rules table and the care advice table (the two tables
 * of controller/data/, one line syntax), the input as the text of both: rules_load_string
 * and advice_load_string check it whole. A refused text must come back with a message and
 * no table; an accepted rules table is evaluated for a few people (none, every condition
 * alone with an area, several at once, each intensity) and what it gives must stay within
 * what the chair allows; an accepted advice table is asked for every area worked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../controller/session/advice.h"
#include "../../controller/session/rules.h"
#include "fuzz.h"

#define FUZZ_CAP_N 120.0 /* a chair's default cap */

static void fuzz_rules_fail(const char *what, const char *detail)
{
	fprintf(stderr, "rules: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void fuzz_rules_limits(const struct rules_table *t, const struct consult_answers *a)
{
	struct session_limits lim;
	if (rules_evaluate(t, a, FUZZ_CAP_N, &lim))
		return; /* answers refused: the reason is in lim */
	if (!(lim.cap_n > 0 && lim.cap_n <= FUZZ_CAP_N))
		fuzz_rules_fail("a cap outside (0, the chair's cap]", NULL);
	if (lim.max_pressure_level < 1 || lim.max_pressure_level > 10)
		fuzz_rules_fail("a pressure level outside 1..10", NULL);
}

static void fuzz_rules_evaluate(const struct rules_table *t)
{
	struct consult_answers a;
	for (int i = 0; i < INTENSITY_COUNT; i++) {
		consult_answers_init(&a);
		a.intensity = (enum intensity)i;
		fuzz_rules_limits(t, &a);
	}
	for (int c = 0; c < COND_COUNT; c++) {
		for (int weeks = -1; weeks <= 60; weeks += 61) {
			consult_answers_init(&a);
			consult_answers_add(&a, (enum condition)c, c % AREA_COUNT, weeks);
			fuzz_rules_limits(t, &a);
		}
	}
	consult_answers_init(&a);
	for (int c = 0; c < COND_COUNT; c++)
		consult_answers_add(&a, (enum condition)c, (c * 3) % AREA_COUNT, c);
	fuzz_rules_limits(t, &a);
}

static void fuzz_advice_select(const struct advice_table *t)
{
	int before[AREA_COUNT], after[AREA_COUNT];
	for (int i = 0; i < AREA_COUNT; i++) {
		before[i] = 3;
		after[i] = i % 2 ? 6 : 1;
	}
	struct consult_answers a;
	consult_answers_init(&a);
	for (int c = 0; c < COND_COUNT; c++)
		consult_answers_add(&a, (enum condition)c, c % AREA_COUNT, 4);
	struct advice_list out;
	for (int i = 0; i < AREA_COUNT; i++)
		if (advice_select(t, 1u << i, &a, before, after, &out) == 0 &&
		    (out.count < 0 || out.count > ADVICE_LIST_MAX))
			fuzz_rules_fail("an advice list over its bound", NULL);
	advice_select(t, (1u << AREA_COUNT) - 1, NULL, NULL, NULL, &out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	char err[512] = "";
	struct rules_table *rules = NULL;
	if (rules_load_string(text, "fuzz.rules", &rules, err, sizeof(err)) == 0) {
		fuzz_rules_evaluate(rules);
		rules_free(rules);
	} else if (rules || !err[0]) {
		fuzz_rules_fail("a refused rules table kept or unexplained", err);
	}
	err[0] = '\0';
	struct advice_table *advice = NULL;
	if (advice_load_string(text, "fuzz.advice", &advice, err, sizeof(err)) == 0) {
		fuzz_advice_select(advice);
		advice_free(advice);
	} else if (advice || !err[0]) {
		fuzz_rules_fail("a refused advice table kept or unexplained", err);
	}
	free(text);
	return 0;
}
