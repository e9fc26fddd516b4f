/* `chairctl program check|plot|run`: a summary for good programs, errors and exit 1 for
 * bad ones, JSON for tools, an SVG timeline; `run` on the simulated person, refused
 * before it starts when a place is off the track for them. Run from the repo root. */
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* ---- `chairctl program run`: the real binary, next to this suite's build directory ---- */

/* Where chairctl is: BUILD/chairctl for this suite at BUILD/tests/. */
static void chairctl_path(char *path, size_t n)
{
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(len > 0);
	self[len] = '\0';
	char *slash = strrchr(self, '/');
	assert_non_null(slash);
	*slash = '\0';
	snprintf(path, n, "%s/../chairctl", self);
	if (access(path, X_OK) != 0)
		fail_msg("%s is missing: build chairctl in the same BUILD as this suite", path);
}

/* Run chairctl with args (NULL-terminated), stdout and stderr captured; its exit status. */
static int run_chairctl(char *const args[], char *out_buf, size_t out_len, char *err_buf,
			size_t err_len)
{
	char exe[4200], out_path[] = "/tmp/test_interp_cli_runoXXXXXX",
			err_path[] = "/tmp/test_interp_cli_runeXXXXXX";
	chairctl_path(exe, sizeof(exe));
	char *argv[16] = {exe};
	for (int i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	int fo = mkstemp(out_path), fe = mkstemp(err_path);
	assert_true(fo >= 0 && fe >= 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execv(exe, argv);
		_exit(127);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	ssize_t n = pread(fo, out_buf, out_len - 1, 0);
	out_buf[n > 0 ? n : 0] = '\0';
	n = pread(fe, err_buf, err_len - 1, 0);
	err_buf[n > 0 ? n : 0] = '\0';
	close(fo);
	close(fe);
	unlink(out_path);
	unlink(err_path);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* A program file in /tmp; path gets its name. */
static void write_program(char *path, const char *text)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_run_runs_a_short_program_to_its_end_for_the_seated_person(void **state)
{
	(void)state;
	char path[] = "/tmp/test_interp_cli_runXXXXXX";
	write_program(path, "program \"Short\"\nknead lower-back pressure 3 for 5s\n");
	/* seed 1 seats a 190 cm person: the run is resolved for them, not the 175 cm default */
	char *args[] = {"program", "run", path, NULL};
	assert_int_equal(run_chairctl(args, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* found by the body scan, not read from the simulator */
	assert_true(strncmp(out, "scan: shoulder line at 190 mm (height \u2248 190 cm)\n", 50) == 0);
	assert_non_null(strstr(out, "running \"Short\""));
	assert_non_null(strstr(out, "summary:\n"));
	assert_non_null(strstr(out, "  rollers on the body: "));
	assert_non_null(strstr(out, "    lower-back "));
	assert_non_null(strstr(out, "  peak force:    "));
	assert_non_null(strstr(out, "  faults:        0\n"));
	assert_non_null(strstr(out, "  ended:         idle\n"));
	unlink(path);
}

static void test_run_refuses_a_place_off_the_track_for_the_seated_person(void **state)
{
	(void)state;
	char path[] = "/tmp/test_interp_cli_offXXXXXX";
	/* neck-80mm is on the track for a 175 cm person (25 mm), above it for 190 cm (-20 mm) */
	write_program(path, "program \"Off\"\nknead lower-back for 5s\nknead neck-80mm for 5s\n");
	char *args[] = {"program", "run", path, NULL};
	assert_int_equal(run_chairctl(args, out, sizeof(out), err, sizeof(err)), 1);
	char want[512];
	snprintf(want, sizeof(want),
		 "%s:3:7: error: 'neck-80mm' is at -20 mm for this person (shoulder line at 190 mm), "
		 "off the track (0 to 1300 mm)\n", path);
	assert_non_null(strstr(err, want));
	/* refused after the scan, before the program moved anything */
	assert_string_equal(out, "scan: shoulder line at 190 mm (height \u2248 190 cm)\n");
	/* the default person (seed 0, shoulder line 235 mm, scanned at 236) fits it */
	char *seed0[] = {"program", "run", path, "--seed", "0", NULL};
	assert_int_equal(run_chairctl(seed0, out, sizeof(out), err, sizeof(err)), 0);
	assert_true(strncmp(out, "scan: shoulder line at 236 mm (height \u2248 175 cm)\n", 50) == 0);
	assert_non_null(strstr(out, "  faults:        0\n"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_prints_a_summary_for_a_good_program),
		cmocka_unit_test(test_check_reports_errors_and_exits_one),
		cmocka_unit_test(test_check_json_is_for_tools),
		cmocka_unit_test(test_plot_writes_an_svg_timeline),
		cmocka_unit_test(test_usage_mistakes_exit_two),
		cmocka_unit_test(test_run_runs_a_short_program_to_its_end_for_the_seated_person),
		cmocka_unit_test(test_run_refuses_a_place_off_the_track_for_the_seated_person),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
