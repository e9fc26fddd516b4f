/* The program library and hostile input: every shipped program checks clean (no errors,
 * no warnings), has its header, fits the session and the track for a small, a medium and a
 * tall person; the demo program too. Binary data, a 256 KiB line, deep nesting, huge
 * numbers and invalid UTF-8 get errors, never a crash or a hang. Run from the repo root. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../controller/interp/check.h"
#include "../controller/interp/interp.h"
#include "../controller/interp/parser.h"
#include "../controller/interp/summary.h"

static struct interp_limits lim;

struct loaded {
	struct interp_diags d;
	struct plan *compiled;
	int rc;
};

static struct loaded *load_text(const char *text, size_t len, const char *name)
{
	struct loaded *l = calloc(1, sizeof(*l));
	interp_diags_init(&l->d, name);
	l->rc = interp_load(text, len, name, &lim, &l->d, &l->compiled);
	return l;
}

static void loaded_free(struct loaded *l)
{
	plan_free(l->compiled);
	free(l);
}

/* Paths of the shipped programs (programs/NAME.prog). */
static int program_files(char names[][256], int max)
{
	DIR *dir = opendir("programs");
	assert_non_null(dir);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dir)) && n < max) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".prog") == 0)
			snprintf(names[n++], 256, "programs/%s", de->d_name);
	}
	closedir(dir);
	return n;
}

static bool has_header(const char *text, const char *kw)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "\n%s ", kw);
	return strstr(text, pat) != NULL;
}

static void resolves_for_every_size(const struct plan *compiled, const char *name)
{
	const double heights_mm[] = {1500, 1750, 2000};
	for (int i = 0; i < 3; i++) {
		struct body_map b;
		assert_int_equal(body_from_height(&b, heights_mm[i], &lim), 0);
		struct plan *p = NULL;
		char err[256];
		int rc = plan_resolve(compiled, &b, 80.0, 0.0, &p, err, sizeof(err));
		if (rc != 0)
			print_error("%s for %.0f mm: %s\n", name, heights_mm[i], err);
		assert_int_equal(rc, 0);
		assert_true(p->total_ms <= lim.session_max_ms);
		for (uint32_t s = 0; s < p->step_count; s++) {
			const struct plan_step *st = &p->steps[s];
			if (st->z_kind == PLAN_Z_PRESSURE && plan_op_works((enum plan_op)st->op))
				assert_true(st->force_n <= 80.0 + 1e-9);
		}
		plan_free(p);
	}
}

/* The summary's time per zone shares each step's time out among the zones it crosses:
 * together no more than the whole program. */
static void zone_times_add_up(const struct plan *compiled, const char *name)
{
	struct interp_summary s;
	assert_int_equal(interp_summarize(compiled, &lim, &s), 0);
	uint64_t zones_ms = 0;
	for (int z = 0; z < BODY_ZONE_COUNT; z++)
		zones_ms += s.zone_ms[z];
	if (zones_ms > s.total_ms)
		print_error("%s: zones add up to %llu ms of %llu\n", name,
			    (unsigned long long)zones_ms, (unsigned long long)s.total_ms);
	assert_true(zones_ms > 0);
	assert_true(zones_ms <= s.total_ms);
}

static void test_every_shipped_program_checks_clean_and_fits_every_body(void **state)
{
	(void)state;
	char names[64][256];
	int n = program_files(names, 64);
	assert_true(n >= 16);
	for (int i = 0; i < n; i++) {
		char *text;
		size_t len;
		assert_int_equal(interp_read_file(names[i], &text, &len), 0);
		struct loaded *l = load_text(text, len, names[i]);
		if (l->d.count)
			interp_diags_print(&l->d, stderr);
		assert_int_equal(l->rc, 0);
		assert_int_equal(l->d.errors, 0);
		assert_int_equal(l->d.warnings, 0);
		assert_true(has_header(text, "description"));
		assert_true(has_header(text, "tags"));
		assert_true(has_header(text, "level"));
		assert_true(l->compiled->description[0] && l->compiled->tags[0]);
		resolves_for_every_size(l->compiled, names[i]);
		zone_times_add_up(l->compiled, names[i]);
		loaded_free(l);
		free(text);
	}
}

/* The program for a purpose, by file name. */
static struct loaded *shipped(const char *file)
{
	char path[256], *text;
	size_t len;
	snprintf(path, sizeof(path), "programs/%s", file);
	assert_int_equal(interp_read_file(path, &text, &len), 0);
	struct loaded *l = load_text(text, len, path);
	free(text);
	assert_int_equal(l->rc, 0);
	return l;
}

static void test_the_library_covers_every_technique_and_routine(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		unsigned must_use; /* bits of enum plan_op */
	} want[] = {
		{"kneading.prog", 1u << PLAN_KNEAD},
		{"tapping.prog", 1u << PLAN_TAP},
		{"shiatsu.prog", 1u << PLAN_SHIATSU},
		{"rolling.prog", 1u << PLAN_ROLL},
		{"trigger-point-hold.prog", 1u << PLAN_TRIGGER_POINT},
		{"myofascial-release.prog", 1u << PLAN_GLIDE},
		{"deep-tissue.prog", 0},
		{"stretch.prog", 1u << PLAN_STRETCH},
		{"lower-back-relief.prog", 1u << PLAN_TRIGGER_POINT},
		{"neck-and-shoulders.prog", 0},
		{"upper-back-desk.prog", 0},
		{"fibromyalgia-gentle.prog", 0},
		{"arthritis-gentle.prog", 0},
		{"injury-recovery-light.prog", 0},
		{"full-body-15.prog", 0},
		{"evening-relax.prog", 0},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct loaded *l = shipped(want[i].file);
		struct interp_summary s;
		assert_int_equal(interp_summarize(l->compiled, &lim, &s), 0);
		assert_int_equal(s.techniques & want[i].must_use, want[i].must_use);
		loaded_free(l);
	}
}

static void test_routines_keep_their_promises(void **state)
{
	(void)state;
	struct interp_summary s;
	struct loaded *l = shipped("deep-tissue.prog");
	assert_int_equal(l->compiled->level, PLAN_LEVEL_DEEP);
	loaded_free(l);

	l = shipped("fibromyalgia-gentle.prog"); /* low pressure, no tapping */
	assert_int_equal(interp_summarize(l->compiled, &lim, &s), 0);
	assert_int_equal(l->compiled->level, PLAN_LEVEL_GENTLE);
	assert_true(s.peak_pressure <= 3 && s.peak_depth == 0);
	assert_int_equal(s.techniques & ((1u << PLAN_TAP) | (1u << PLAN_KNEAD_TAP)), 0);
	loaded_free(l);

	l = shipped("arthritis-gentle.prog"); /* heat, low pressure */
	assert_int_equal(interp_summarize(l->compiled, &lim, &s), 0);
	assert_true(s.heat && s.peak_pressure <= 3);
	loaded_free(l);

	l = shipped("full-body-15.prog"); /* about 15 minutes, neck to thighs */
	assert_int_equal(interp_summarize(l->compiled, &lim, &s), 0);
	assert_true(s.total_ms >= 14 * 60000 && s.total_ms <= 16 * 60000);
	assert_true((s.zones & (1u << BODY_NECK)) && (s.zones & (1u << BODY_THIGHS)));
	loaded_free(l);
}

static void test_lower_back_relief_is_the_language_example(void **state)
{
	(void)state;
	char *text;
	size_t len;
	assert_int_equal(interp_read_file("programs/lower-back-relief.prog", &text, &len), 0);
	assert_non_null(strstr(text, "    trigger-point L2+20mm pressure 5 ramp 8s hold 30s release 8s\n"));
	assert_non_null(strstr(text, "  air calves, feet level 2 cycle 20s\n"));
	free(text);
}

static void test_demo_program_checks_clean_and_lasts_about_a_minute_and_a_half(void **state)
{
	(void)state;
	struct loaded *l = load_text(interp_demo_program, strlen(interp_demo_program), "demo");
	assert_int_equal(l->rc, 0);
	assert_int_equal(l->d.errors + l->d.warnings, 0);
	struct interp_summary s;
	assert_int_equal(interp_summarize(l->compiled, &lim, &s), 0);
	assert_true(s.total_ms >= 60000 && s.total_ms <= 90000);
	assert_true(s.techniques & (1u << PLAN_ROLL));
	assert_true(s.techniques & (1u << PLAN_TRIGGER_POINT));
	assert_true(s.techniques & (1u << PLAN_KNEAD));
	resolves_for_every_size(l->compiled, "demo");
	loaded_free(l);
}

/* ---- hostile input ---- */

static void expect_errors(const char *text, size_t len)
{
	struct loaded *l = load_text(text, len, "hostile");
	assert_true(l->rc == -EINVAL);
	assert_true(l->d.errors > 0);
	assert_null(l->compiled);
	loaded_free(l);
}

static void test_binary_data_gets_errors(void **state)
{
	(void)state;
	size_t len = 64 * 1024;
	char *buf = malloc(len);
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (char)x;
	}
	expect_errors(buf, len);
	memset(buf, 0, len);
	expect_errors(buf, len);
	free(buf);
}

static void test_a_256_kib_line_gets_errors(void **state)
{
	(void)state;
	size_t len = 256 * 1024;
	char *buf = malloc(len);
	const char *head = "program \"x\"\nknead lower-back for 1m ";
	memcpy(buf, head, strlen(head));
	for (size_t i = strlen(head); i < len; i++)
		buf[i] = "speed 3 "[i % 8];
	expect_errors(buf, len);
	/* one string, one word, one number as long as the file allows */
	memset(buf, 'a', len);
	expect_errors(buf, len);
	memset(buf, '9', len);
	expect_errors(buf, len);
	buf[0] = '"';
	memset(buf + 1, 'a', len - 1);
	expect_errors(buf, len);
	free(buf);
}

static void test_a_file_over_256_kib_is_rejected_whole(void **state)
{
	(void)state;
	size_t len = 256 * 1024 + 1;
	char *buf = malloc(len);
	memset(buf, '\n', len);
	struct loaded *l = load_text(buf, len, "big");
	assert_int_equal(l->d.errors, 1);
	assert_string_equal(l->d.item[0].msg, "file is 262145 bytes long; at most 262144 are allowed");
	loaded_free(l);
	free(buf);
}

static void test_deep_nesting_and_huge_numbers_get_errors(void **state)
{
	(void)state;
	size_t cap = 200 * 1024, used = 0;
	char *buf = malloc(cap);
	used += (size_t)snprintf(buf, cap, "program \"deep\"\n");
	while (used + 32 < cap / 2)
		used += (size_t)snprintf(buf + used, cap - used, "repeat 100\n");
	used += (size_t)snprintf(buf + used, cap - used, "pause 1s\n");
	while (used + 8 < cap)
		used += (size_t)snprintf(buf + used, cap - used, "end\n");
	expect_errors(buf, used);
	/* legal nesting that multiplies to a huge time: an error, quickly */
	const char *big = "program \"x\"\nrepeat 100\nrepeat 100\nrepeat 100\nrepeat 100\n"
			  "pause 100ms\nend\nend\nend\nend\n";
	expect_errors(big, strlen(big));
	const char *nums = "program \"x\"\nknead lower-back speed 99999999999999999999999999999 "
			   "for 9999999999999999999999999m\nrepeat 18446744073709551617\nend\n"
			   "pause 4294967296ms\nknead L4+18446744073709551616mm for 1m\n";
	expect_errors(nums, strlen(nums));
	free(buf);
}

static void test_invalid_utf8_gets_an_error_where_it_is(void **state)
{
	(void)state;
	const char *cases[] = {
		"program \"x\"\n# caf\xe9\npause 1s\n",        /* Latin-1 */
		"program \"x\xc0\xaf\"\npause 1s\n",           /* overlong */
		"program \"x\"\npause 1s \xed\xa0\x80\n",      /* surrogate */
		"program \"x\"\npause 1s\n\xf4\x90\x80\x80\n", /* beyond U+10FFFF */
		"program \"x\"\npause 1s\n\xe2\x82",           /* cut short */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded *l = load_text(cases[i], strlen(cases[i]), "u");
		assert_true(l->d.errors >= 1);
		bool found = false;
		for (uint32_t k = 0; k < l->d.count; k++)
			found |= strstr(l->d.item[k].msg, "not valid UTF-8") != NULL;
		assert_true(found);
		loaded_free(l);
	}
	/* valid UTF-8 in comments and strings is fine */
	const char *ok = "program \"Rücken – Entspannung\"\n# für den Abend ☾\npause 1s\n";
	struct loaded *l = load_text(ok, strlen(ok), "ok");
	assert_int_equal(l->rc, 0);
	loaded_free(l);
}

static void test_too_many_diagnostics_are_counted_not_stored(void **state)
{
	(void)state;
	size_t cap = 64 * 1024, used = 0;
	char *buf = malloc(cap);
	while (used + 16 < cap)
		used += (size_t)snprintf(buf + used, cap - used, "kneed x\n");
	struct loaded *l = load_text(buf, used, "many");
	assert_true(l->d.errors > INTERP_DIAG_MAX);
	assert_int_equal(l->d.count, INTERP_DIAG_MAX);
	assert_true(l->d.truncated);
	loaded_free(l);
	free(buf);
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
		cmocka_unit_test(test_every_shipped_program_checks_clean_and_fits_every_body),
		cmocka_unit_test(test_the_library_covers_every_technique_and_routine),
		cmocka_unit_test(test_routines_keep_their_promises),
		cmocka_unit_test(test_lower_back_relief_is_the_language_example),
		cmocka_unit_test(test_demo_program_checks_clean_and_lasts_about_a_minute_and_a_half),
		cmocka_unit_test(test_binary_data_gets_errors),
		cmocka_unit_test(test_a_256_kib_line_gets_errors),
		cmocka_unit_test(test_a_file_over_256_kib_is_rejected_whole),
		cmocka_unit_test(test_deep_nesting_and_huge_numbers_get_errors),
		cmocka_unit_test(test_invalid_utf8_gets_an_error_where_it_is),
		cmocka_unit_test(test_too_many_diagnostics_are_counted_not_stored),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
