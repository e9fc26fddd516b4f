/* Same program, person and seed: the same telemetry, bit for bit. The demo routine's trace
 * is kept as a golden file; a deliberate change regenerates it (UPDATE_GOLDEN=1) in the
 * same commit, with the reason in the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/program_load.h"
#include "rig.h"

#define GOLDEN_PATH "tests/golden/demo.trace"

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Home and run the demo on the person of seed; the telemetry hash, and a trace of every
 * 100th tick written to trace (may be NULL). */
static uint64_t demo_run(uint64_t seed, FILE *trace)
{
	struct rig *r = rig_open(seed);
	struct plan *plan = NULL;
	assert_int_equal(program_load_demo(&r->cfg, &plan, stderr), 0);
	struct ctl *c = rig_ctl(r);
	uint64_t h = 0xcbf29ce484222325ull;
	lockstep_command(&r->ls, CMD_HOME);
	bool started = false;
	uint64_t limit = plan->total_ms + 90000;
	for (uint64_t i = 0; i < limit; i++) {
		lockstep_tick(&r->ls);
		h = fnv1a(h, &c->telem, sizeof(c->telem));
		if (trace && c->tick % 100 == 0) {
			const struct telem *t = &c->telem;
			fprintf(trace,
				"%7.1f %-9s y %7.2f z %6.2f F %6.2f Ft %6.2f k %6.1f t %6.1f w %6.1f "
				"air %4.1f %4.1f heat %4.1f %4.1f back %5.1f leg %4.1f out %05x\n",
				t->tick / 1000.0, chair_state_name[t->state], t->y_mm, t->z_mm, t->force_n,
				t->force_target_n, t->knead_rpm, t->tap_rpm, t->w_mm, t->airbag_kpa[0],
				t->airbag_kpa[4], t->heater_c[0], t->heater_c[1], t->back_deg, t->leg_deg,
				t->gpio_out);
		}
		if (!started && c->state == ST_IDLE && c->est.y_homed) {
			struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
			assert_int_equal(ctl_command(c, &start), CMD_OK);
			started = true;
		} else if (started && c->state == ST_IDLE) {
			break;
		}
	}
	assert_true(started);
	assert_int_equal(c->state, ST_IDLE);
	assert_int_equal(c->safety.log.count, 0);
	plan_free(plan);
	rig_close(r);
	return h;
}

static void test_same_seed_gives_the_same_trace(void **state)
{
	(void)state;
	assert_true(demo_run(42, NULL) == demo_run(42, NULL));
}

static void test_another_person_gives_another_trace(void **state)
{
	(void)state;
	assert_true(demo_run(42, NULL) != demo_run(43, NULL));
}

static char *slurp(FILE *f, size_t *len)
{
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	return buf;
}

static void test_demo_trace_matches_the_golden_file(void **state)
{
	(void)state;
	FILE *now = tmpfile();
	assert_non_null(now);
	demo_run(1, now);
	size_t now_len;
	char *now_text = slurp(now, &now_len);
	fclose(now);
	const char *update = getenv("UPDATE_GOLDEN");
	if (update && *update == '1') {
		FILE *g = fopen(GOLDEN_PATH, "w");
		assert_non_null(g);
		assert_int_equal(fwrite(now_text, 1, now_len, g), now_len);
		fclose(g);
	}
	FILE *g = fopen(GOLDEN_PATH, "r");
	if (!g)
		fail_msg("%s missing: run with UPDATE_GOLDEN=1 to create it", GOLDEN_PATH);
	size_t golden_len;
	char *golden_text = slurp(g, &golden_len);
	fclose(g);
	if (golden_len != now_len || memcmp(golden_text, now_text, now_len) != 0) {
		/* Name the first line that differs, so the change can be judged. */
		size_t i = 0, line = 1;
		while (i < now_len && i < golden_len && now_text[i] == golden_text[i])
			line += now_text[i++] == '\n';
		fail_msg("demo trace differs from %s from line %zu", GOLDEN_PATH, line);
	}
	free(now_text);
	free(golden_text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_gives_the_same_trace),
		cmocka_unit_test(test_another_person_gives_another_trace),
		cmocka_unit_test(test_demo_trace_matches_the_golden_file),
	};
	return cmocka_run_group_tests_name("determinism", tests, NULL, NULL);
}
