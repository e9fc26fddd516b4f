/* Executor cost per tick: exec_step timed over a whole run of a shipped program (the
 * full-body routine unless a path is given) on an ideal carriage at 1 kHz: median, 99th
 * percentile and worst in ns (exec_tick_median_ns, exec_tick_p99_ns, exec_tick_worst_ns;
 * goal: worst under 2 us). exec_step is deterministic in its state and feedback, so each
 * tick is timed three times on copies of the state and the fastest counts: the figure is
 * the executor's, not the interrupts' and preemptions' of a shared machine, whose effect is
 * exec_tick_worst_raw_ns (the slowest single call). The clock's own cost is printed beside
 * them. Never fails on a figure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../controller/interp/interp.h"

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "programs/full-body-15.prog";
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, path);
	struct plan *compiled = NULL, *p = NULL;
	if (interp_load_file(path, &lim, d, &compiled) != 0) {
		interp_diags_print(d, stderr);
		return 1;
	}
	struct body_map body;
	body_default(&body, &lim);
	char err[256];
	if (plan_resolve(compiled, &body, 80.0, 0.0, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s:%s\n", path, err);
		return 1;
	}
	size_t cap = p->total_ms + 1000, n = 0;
	uint32_t *ns = malloc(cap * sizeof(*ns));
	struct exec e;
	struct motion_targets t;
	struct exec_feedback fb = {0, 0, 0, 0.001};
	exec_start(&e, p);
	uint64_t worst_raw_ns = 0;
	for (;;) {
		uint64_t best = UINT64_MAX;
		for (int k = 0; k < 3; k++) {
			struct exec copy = e;
			uint64_t a = now_ns();
			exec_step(&copy, &fb, &t);
			uint64_t b = now_ns();
			if (b - a < best)
				best = b - a;
			if (b - a > worst_raw_ns)
				worst_raw_ns = b - a;
		}
		enum exec_status s = exec_step(&e, &fb, &t);
		if (s != EXEC_RUNNING || n == cap)
			break;
		ns[n++] = (uint32_t)best;
		/* an ideal carriage: where it was asked to be, at the speed asked */
		double v = (t.y_speed_mm_s > 0 ? t.y_speed_mm_s : 80.0) * 0.001;
		double dy = t.y_mm - fb.y_mm;
		fb.y_mm += dy > v ? v : dy < -v ? -v : dy;
		fb.force_n = t.z_mode == Z_FORCE ? t.z_force_n : 0.0;
	}
	uint64_t clock_ns = UINT64_MAX;
	for (int i = 0; i < 1000; i++) {
		uint64_t a = now_ns(), b = now_ns();
		if (b - a < clock_ns)
			clock_ns = b - a;
	}
	qsort(ns, n, sizeof(*ns), cmp_u32);
	printf("exec_program: %s\n", path);
	printf("exec_ticks: %zu\n", n);
	printf("exec_tick_median_ns: %u\n", n ? ns[n / 2] : 0);
	printf("exec_tick_p99_ns: %u\n", n ? ns[n * 99 / 100] : 0);
	printf("exec_tick_worst_ns: %u\n", n ? ns[n - 1] : 0);
	printf("exec_tick_worst_raw_ns: %llu\n", (unsigned long long)worst_raw_ns);
	printf("exec_clock_overhead_ns: %llu\n", (unsigned long long)clock_ns);
	free(ns);
	plan_free(p);
	plan_free(compiled);
	free(d);
	return 0;
}
