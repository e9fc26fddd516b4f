/* `chairctl program check|plot`: a summary for good programs, errors and exit 1 for bad
 * ones, JSON for tools, an SVG timeline. Run from the repo root. */
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../controller/interp/program_cli.h"

/* Run program_cli_main with stdout and stderr captured into out/err. */
static int run_cli(int argc, char **argv, char *out, size_t out_len, char *err, size_t err_len)
{
	char out_path[] = "/tmp/test_interp_cli_outXXXXXX", err_path[] = "/tmp/test_interp_cli_errXXXXXX";
	int fo = mkstemp(out_path), fe = mkstemp(err_path);
	assert_true(fo >= 0 && fe >= 0);
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	dup2(fo, 1);
	dup2(fe, 2);
	int rc = program_cli_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	ssize_t n = pread(fo, out, out_len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	n = pread(fe, err, err_len - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fo);
	close(fe);
	unlink(out_path);
	unlink(err_path);
	return rc;
}

static char out[1 << 16], err[1 << 16];

static void test_check_prints_a_summary_for_a_good_program(void **state)
{
	(void)state;
	char *argv[] = {"program", "check", "programs/lower-back-relief.prog", NULL};
	assert_int_equal(run_cli(3, argv, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "Lower back relief: ok\n"));
	assert_non_null(strstr(out, "  duration:    "));
	assert_non_null(strstr(out, "  phases:      Warm-up "));
	assert_non_null(strstr(out, "  zones:       shoulders, upper-back, mid-back, lower-back, sacrum\n"));
	assert_non_null(strstr(out, "  peak level:  pressure 6, depth 2\n"));
	assert_non_null(strstr(out, "  techniques:  knead, tap, knead-tap, roll, glide, trigger-point, "
				    "air, heat, recline\n"));
}

static void test_check_reports_errors_and_exits_one(void **state)
{
	(void)state;
	char path[] = "/tmp/test_interp_cli_badXXXXXX";
	int fd = mkstemp(path);
	const char *bad = "program \"bad\"\nkneed lower-back for 1m\n";
	assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	char *argv[] = {"program", "check", "programs/rolling.prog", path, NULL};
	assert_int_equal(run_cli(4, argv, out, sizeof(out), err, sizeof(err)), 1);
	char want[256];
	snprintf(want, sizeof(want), "%s:2:1: error: unknown technique 'kneed'; did you mean 'knead'?\n",
		 path);
	assert_string_equal(err, want);
	assert_non_null(strstr(out, "Rolling: ok"));
	unlink(path);
	char *missing[] = {"program", "check", "/nonexistent/x.prog", NULL};
	assert_int_equal(run_cli(3, missing, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "/nonexistent/x.prog:1:1: error: cannot read the file"));
}

static void test_check_json_is_for_tools(void **state)
{
	(void)state;
	char *argv[] = {"program", "check", "--json", "programs/kneading.prog", NULL};
	assert_int_equal(run_cli(4, argv, out, sizeof(out), err, sizeof(err)), 0);
	json_error_t jerr;
	json_t *top = json_loads(out, 0, &jerr);
	assert_non_null(top);
	assert_true(json_is_true(json_object_get(top, "ok")));
	json_t *p = json_array_get(json_object_get(top, "programs"), 0);
	json_t *s = json_object_get(p, "summary");
	assert_string_equal(json_string_value(json_object_get(s, "name")), "Kneading");
	assert_int_equal(json_integer_value(json_object_get(s, "peak_pressure_level")), 4);
	assert_true(json_integer_value(json_object_get(s, "duration_ms")) > 60000);
	assert_true(json_array_size(json_object_get(s, "phases")) == 4);
	assert_string_equal(json_string_value(json_array_get(json_object_get(s, "techniques"), 0)),
			    "knead");
	json_decref(top);
}

static void test_plot_writes_an_svg_timeline(void **state)
{
	(void)state;
	char path[] = "/tmp/test_interp_cli_plotXXXXXX";
	close(mkstemp(path));
	char *argv[] = {"program", "plot", "programs/trigger-point-hold.prog", "-o", path, NULL};
	assert_int_equal(run_cli(5, argv, out, sizeof(out), err, sizeof(err)), 0);
	FILE *f = fopen(path, "r");
	static char svg[1 << 20];
	size_t n = fread(svg, 1, sizeof(svg) - 1, f);
	svg[n] = '\0';
	fclose(f);
	assert_true(strncmp(svg, "<svg ", 5) == 0);
	assert_non_null(strstr(svg, "Trigger-point hold"));
	assert_non_null(strstr(svg, ">lower-back</text>"));
	assert_non_null(strstr(svg, ">Upper back</text>"));
	assert_non_null(strstr(svg, ">trigger-point</text>"));
	assert_non_null(strstr(svg, "</svg>\n"));
	unlink(path);
}

static void test_usage_mistakes_exit_two(void **state)
{
	(void)state;
	char *a[] = {"program", NULL};
	assert_int_equal(run_cli(1, a, out, sizeof(out), err, sizeof(err)), 2);
	char *b[] = {"program", "frob", NULL};
	assert_int_equal(run_cli(2, b, out, sizeof(out), err, sizeof(err)), 2);
	char *c[] = {"program", "plot", "programs/rolling.prog", NULL};
	assert_int_equal(run_cli(3, c, out, sizeof(out), err, sizeof(err)), 2);
	char *d[] = {"program", "check", NULL};
	assert_int_equal(run_cli(2, d, out, sizeof(out), err, sizeof(err)), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_prints_a_summary_for_a_good_program),
		cmocka_unit_test(test_check_reports_errors_and_exits_one),
		cmocka_unit_test(test_check_json_is_for_tools),
		cmocka_unit_test(test_plot_writes_an_svg_timeline),
		cmocka_unit_test(test_usage_mistakes_exit_two),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
