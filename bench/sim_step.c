/* What one simulated millisecond costs the simulator alone: sim_step_1ms and sim_read, on
 * the outputs a real session sends. A lockstep run of the program (controller and sim
 * together) records every write; the bench then replays them on a fresh chair with the
 * same person and seed, which reproduces that session step for step (checked at the end).
 *
 * Prints sim_step_ns and sim_read_ns (each the best of a few passes), their sum against
 * the 80 ns budget, and a reference measured in the same run: a memcpy of the process
 * image, the least a read can cost, so the figures can be compared across machines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../controller/lockstep.h"
#include "../controller/program_load.h"
#include "../drivers/hal_sim.h"

#define SEED 3
#define PASSES 5
#define STEP_READ_BUDGET_NS 80.0

/* Every output the controller writes, in order (write and safe both step the sim). */
struct recorder {
	struct hal_backend inner;
	struct hal_outputs *out;
	size_t n, cap;
};

static int rec_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	struct recorder *r = ctx;
	return r->inner.open(r->inner.ctx, cfg, err, err_len);
}

static int rec_read(void *ctx, struct hal_inputs *in)
{
	struct recorder *r = ctx;
	return r->inner.read(r->inner.ctx, in);
}

static int rec_write(void *ctx, const struct hal_outputs *out)
{
	struct recorder *r = ctx;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 65536;
		r->out = realloc(r->out, r->cap * sizeof(*r->out));
		if (!r->out) {
			fprintf(stderr, "sim_step: out of memory\n");
			exit(1);
		}
	}
	r->out[r->n++] = *out;
	return r->inner.write(r->inner.ctx, out);
}

static void rec_close(void *ctx)
{
	struct recorder *r = ctx;
	r->inner.close(r->inner.ctx);
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Run the program in lockstep as `chairctl program run` does; the recorder keeps the
 * outputs, truth gets the chair as it ended. */
static int record_session(const char *path, struct recorder *r, struct sim *truth)
{
	static struct chair_config cfg;
	config_defaults(&cfg);
	cfg.hal.sim_seed = SEED;
	struct plan *plan = NULL;
	if (program_load_file(path, &cfg, &plan, stderr) != 0)
		return -1;
	static struct hal_sim hs;
	static struct hal_backend be;
	static struct lockstep ls;
	hal_sim_bind(&hs, &r->inner);
	be = (struct hal_backend){.name = "recorder", .ctx = r, .open = rec_open,
				  .read = rec_read, .write = rec_write, .safe = rec_write,
				  .close = rec_close};
	char err[256];
	if (lockstep_open(&ls, &cfg, &be, err, sizeof(err)) != 0) {
		fprintf(stderr, "sim_step: %s\n", err);
		return -1;
	}
	int rc = -1;
	struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
	if (!lockstep_home(&ls, 30000))
		fprintf(stderr, "sim_step: homing failed\n");
	else if (ctl_command(&ls.ctl, &start) != CMD_OK)
		fprintf(stderr, "sim_step: start refused\n");
	else {
		lockstep_tick(&ls);
		lockstep_run_until_state(&ls, ST_IDLE, plan->total_ms + 120000);
		*truth = *hal_sim_get(&hs);
		rc = 0;
	}
	lockstep_close(&ls);
	plan_free(plan);
	return rc;
}

static void fresh_chair(struct sim *s)
{
	struct sim_person p;
	sim_person_random(&p, SEED);
	sim_init(s, &p, SEED);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "programs/full-body-15.prog";
	static struct recorder rec;
	static struct sim truth, s;
	if (record_session(path, &rec, &truth) != 0)
		return 1;
	size_t n = rec.n;

	/* Each pass starts from the same chair, so every pass does the same work. */
	double step_ns = 1e30, read_ns = 1e30, both_ns = 1e30, copy_ns = 1e30;
	static struct hal_inputs in[2];
	for (int pass = 0; pass < PASSES; pass++) {
		fresh_chair(&s);
		double t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			sim_step_1ms(&s, &rec.out[i]);
		double t = (now_ns() - t0) / (double)n;
		step_ns = t < step_ns ? t : step_ns;
		if (memcmp(&s, &truth, sizeof(s)) != 0) {
			fprintf(stderr, "sim_step: the replay left the chair elsewhere than the session\n");
			return 1;
		}

		/* Step and read as lockstep does them, one after the other. */
		fresh_chair(&s);
		t0 = now_ns();
		for (size_t i = 0; i < n; i++) {
			sim_read(&s, &in[i & 1]);
			sim_step_1ms(&s, &rec.out[i]);
		}
		t = (now_ns() - t0) / (double)n;
		both_ns = t < both_ns ? t : both_ns;

		t0 = now_ns();
		for (size_t i = 0; i < n; i++)
			sim_read(&s, &in[i & 1]);
		t = (now_ns() - t0) / (double)n;
		read_ns = t < read_ns ? t : read_ns;

		/* The reference: the image copied as plainly as C can, kept from being elided. */
		t0 = now_ns();
		for (size_t i = 0; i < n; i++) {
			memcpy(&in[i & 1], &s.stale, sizeof(s.stale));
			__asm__ volatile("" : : "r"(&in[i & 1]) : "memory");
		}
		t = (now_ns() - t0) / (double)n;
		copy_ns = t < copy_ns ? t : copy_ns;
	}

	printf("sim_steps: %zu\n", n);
	printf("sim_step_ns: %.1f\n", step_ns);
	printf("sim_read_ns: %.1f\n", read_ns);
	printf("sim_step_read_ns: %.1f (budget %.0f, lockstep order measured together: %.1f)\n",
	       step_ns + read_ns, STEP_READ_BUDGET_NS, both_ns);
	printf("ref_image_memcpy_ns: %.1f (%zu bytes)\n", copy_ns, sizeof(struct hal_inputs));
	printf("sim_step_read_vs_memcpy_ratio: %.1f\n", (step_ns + read_ns) / copy_ns);
	free(rec.out);
	return 0;
}
