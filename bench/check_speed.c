/* Check throughput: parse + check + compile of a generated 10,000-line program that checks
 * clean (a realistic mix of statements, comments and blank lines), in lines per second
 * (check_lines_per_s, goal >= 1,000,000). Beside it the floor: only finding the lines of the
 * same buffer with memchr (check_reference_lines_per_s), and how many times slower the real
 * check is (check_vs_memchr_ratio). Best of several runs; never fails on a figure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../controller/interp/interp.h"

#define LINES 10000
#define RUNS 20

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Twenty lines a block: one technique, a pause, modal changes, comments. */
static size_t generate(char *buf, size_t cap)
{
	static const char *const block[] = {
		"phase \"Block %d\"\n",
		"  # knead the lower back briefly, then rest\n",
		"  knead lower-back width wide speed 4 pressure 4 for 1s\n",
		"  air calves, feet level 2 cycle 20s\n",
		"  heat lumbar on 38c\n",
		"  recline relax\n",
		"  # the modal states change while the rollers rest\n",
		"  air off\n",
		"  heat off\n",
		"  recline upright\n",
		"  # a short pause takes the rollers off the body\n",
		"  pause 100ms\n",
		"\n",
		"  air seat, waist level 1 cycle 12s\n",
		"  heat calves on 37c\n",
		"  # and back to neutral\n",
		"  air off\n",
		"  heat off\n",
		"\n",
		"  # end of block\n",
	};
	size_t used = (size_t)snprintf(buf, cap, "program \"Bench\"\ndescription \"generated\"\n"
					       "tags bench\nlevel normal\n");
	int line = 4;
	for (int b = 0; line < LINES; b++)
		for (size_t k = 0; k < sizeof(block) / sizeof(block[0]) && line < LINES; k++, line++)
			used += (size_t)snprintf(buf + used, cap - used, block[k], b);
	return used;
}

int main(void)
{
	size_t cap = 1u << 20;
	char *buf = malloc(cap);
	size_t len = generate(buf, cap);
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));

	double best_s = 1e9;
	int errors = 0, warnings = 0;
	for (int r = 0; r < RUNS; r++) {
		interp_diags_init(d, "bench.prog");
		struct plan *p = NULL;
		double t0 = now_s();
		interp_load(buf, len, "bench.prog", &lim, d, &p);
		double dt = now_s() - t0;
		if (dt < best_s)
			best_s = dt;
		errors = (int)d->errors;
		warnings = (int)d->warnings;
		plan_free(p);
	}
	if (errors || warnings)
		interp_diags_print(d, stderr);

	double ref_s = 1e9;
	size_t counted = 0;
	for (int r = 0; r < RUNS * 10; r++) {
		double t0 = now_s();
		size_t n = 0;
		for (const char *s = buf, *end = buf + len; (s = memchr(s, '\n', (size_t)(end - s))); s++)
			n++;
		double dt = now_s() - t0;
		counted = n;
		if (dt < ref_s)
			ref_s = dt;
	}
	printf("check_program_lines: %zu\n", counted);
	printf("check_program_bytes: %zu\n", len);
	printf("check_errors: %d\n", errors);
	printf("check_warnings: %d\n", warnings);
	printf("check_ms: %.3f\n", best_s * 1e3);
	printf("check_lines_per_s: %.0f\n", counted / best_s);
	printf("check_reference_lines_per_s: %.0f\n", counted / ref_s);
	printf("check_vs_memchr_ratio: %.1f\n", best_s / ref_s);
	free(d);
	free(buf);
	return 0;
}
