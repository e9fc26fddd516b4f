/* How fast a whole simulated session runs in lockstep: simulated seconds per wall second,
 * for the controller and the simulator together (sim_speed_x), beside the simulator's
 * physics alone on the same outputs (the reference, sim_physics_only_x).
 *
 * The session is deterministic, so it runs SIM_PASSES times and every 100-tick chunk keeps
 * its fastest pass: on a host shared with other work, a chunk preempted in one pass is
 * usually not in another, and the sum of the fastest chunks (the _best figures) is what the
 * code costs without the neighbours' share. The first pass's wall-clock figures are printed
 * as before.
 *
 * sim_speed [--passes N] [--no-reference] [PROGRAM]: --passes 1 --no-reference runs the
 * session once and nothing else, for an instruction count (valgrind --tool=cachegrind). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../controller/lockstep.h"
#include "../controller/program_load.h"
#include "../drivers/hal_sim.h"

#define SIM_PASSES 3
#define CHUNK_TICKS 100
#define HOME_MAX_TICKS 30000
#define END_MAX_EXTRA_TICKS 120000

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* The fastest time of each chunk over the passes. */
struct chunks {
	double *best_s;
	size_t n, cap;
	size_t at;     /* this pass's chunk */
	uint64_t ticks; /* this pass's ticks in the chunk */
	double t0;
};

static int chunks_init(struct chunks *c, size_t cap)
{
	c->best_s = malloc(cap * sizeof(*c->best_s));
	if (!c->best_s)
		return -1;
	for (size_t i = 0; i < cap; i++)
		c->best_s[i] = 1e30;
	c->n = 0;
	c->cap = cap;
	return 0;
}

static void chunks_start(struct chunks *c)
{
	c->at = 0;
	c->ticks = 0;
	c->t0 = now_s();
}

static void chunk_close(struct chunks *c, double t)
{
	if (c->at < c->cap && t - c->t0 < c->best_s[c->at])
		c->best_s[c->at] = t - c->t0;
	c->at++;
	if (c->at > c->n)
		c->n = c->at;
	c->ticks = 0;
	c->t0 = t;
}

static void chunks_tick(struct chunks *c)
{
	if (++c->ticks == CHUNK_TICKS)
		chunk_close(c, now_s());
}

static void chunks_end(struct chunks *c)
{
	if (c->ticks)
		chunk_close(c, now_s());
}

static double chunks_sum_s(const struct chunks *c)
{
	double sum = 0;
	for (size_t i = 0; i < c->n && i < c->cap; i++)
		sum += c->best_s[i];
	return sum;
}

/* lockstep_run_until_state, timing each chunk of ticks. */
static bool run_until_state(struct lockstep *ls, enum chair_state state, uint64_t max_ticks,
			    struct chunks *c)
{
	for (uint64_t i = 0; i < max_ticks; i++) {
		if (ls->ctl.state == state)
			return true;
		lockstep_tick(ls);
		chunks_tick(c);
	}
	return ls->ctl.state == state;
}

struct pass {
	double wall_s, ref_s, sim_s;
	uint64_t ticks;
	const char *program;
};

/* One session as lockstep_home and a start run it, then the physics alone for as many
 * steps on the outputs it ended with. */
static int run_pass(const char *path, bool reference, struct chunks *ls_chunks,
		    struct chunks *ref_chunks, struct pass *p)
{
	static struct chair_config cfg;
	config_defaults(&cfg);
	cfg.hal.sim_seed = 1;
	struct plan *plan = NULL;
	if (program_load_file(path, &cfg, &plan, stderr) != 0)
		return -1;
	static struct hal_sim hs;
	static struct hal_backend be;
	static struct lockstep ls;
	hal_sim_bind(&hs, &be);
	char err[256];
	if (lockstep_open(&ls, &cfg, &be, err, sizeof(err)) != 0) {
		fprintf(stderr, "sim_speed: %s\n", err);
		plan_free(plan);
		return -1;
	}
	int rc = -1;
	double t0 = now_s();
	chunks_start(ls_chunks);
	if (lockstep_command(&ls, CMD_HOME) != CMD_OK) {
		fprintf(stderr, "sim_speed: home refused\n");
		goto out;
	}
	lockstep_tick(&ls);
	chunks_tick(ls_chunks);
	if (!run_until_state(&ls, ST_IDLE, HOME_MAX_TICKS, ls_chunks) || !ls.ctl.est.y_homed ||
	    !ls.ctl.est.z_homed) {
		fprintf(stderr, "sim_speed: homing failed\n");
		goto out;
	}
	struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
	if (ctl_command(&ls.ctl, &start) != CMD_OK) {
		fprintf(stderr, "sim_speed: start refused\n");
		goto out;
	}
	lockstep_tick(&ls);
	chunks_tick(ls_chunks);
	run_until_state(&ls, ST_IDLE, plan->total_ms + END_MAX_EXTRA_TICKS, ls_chunks);
	chunks_end(ls_chunks);
	p->wall_s = now_s() - t0;
	p->ticks = ls.ctl.tick;
	p->sim_s = (double)ls.ctl.tick * ls.ctl.period_s;
	if (ls.ctl.state != ST_IDLE || ls.ctl.safety.log.count) {
		fprintf(stderr, "sim_speed: the session did not end cleanly\n");
		goto out;
	}
	/* Reference: the physics alone for the same number of steps, outputs held. */
	struct sim *s = hal_sim_get(&hs);
	struct hal_outputs out = ls.out;
	double r0 = now_s();
	chunks_start(ref_chunks);
	for (uint64_t i = 0; reference && i < ls.ctl.tick; i++) {
		sim_step_1ms(s, &out);
		chunks_tick(ref_chunks);
	}
	chunks_end(ref_chunks);
	p->ref_s = now_s() - r0;
	static char name[128];
	snprintf(name, sizeof(name), "%s", plan->name);
	p->program = name;
	rc = 0;
out:
	lockstep_close(&ls);
	plan_free(plan);
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = "programs/full-body-15.prog";
	int passes = SIM_PASSES;
	bool reference = true;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc) {
			passes = atoi(argv[++i]);
			if (passes < 1 || passes > 100) {
				fprintf(stderr, "sim_speed: --passes takes 1 to 100\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--no-reference") == 0) {
			reference = false;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: sim_speed [--passes N] [--no-reference] [PROGRAM]\n");
			return 2;
		} else {
			path = argv[i];
		}
	}
	/* 15 minutes and homing in 100-tick chunks, with room for a longer program. */
	size_t cap = 200000;
	struct chunks ls_chunks, ref_chunks;
	if (chunks_init(&ls_chunks, cap) != 0 || chunks_init(&ref_chunks, cap) != 0) {
		fprintf(stderr, "sim_speed: out of memory\n");
		return 1;
	}
	struct pass first = {0}, p;
	for (int i = 0; i < passes; i++) {
		if (run_pass(path, reference, &ls_chunks, &ref_chunks, &p) != 0)
			return 1;
		if (i == 0)
			first = p;
	}
	double best_s = chunks_sum_s(&ls_chunks);
	double ref_best_s = chunks_sum_s(&ref_chunks);
	printf("sim_program: %s\n", first.program);
	printf("sim_session_s: %.1f\n", first.sim_s);
	printf("sim_wall_s: %.3f\n", first.wall_s);
	printf("sim_speed_x: %.0f\n", first.sim_s / first.wall_s);
	if (reference) {
		printf("sim_physics_only_x: %.0f\n", first.sim_s / first.ref_s);
		printf("sim_speed_vs_physics_ratio: %.2f\n", first.ref_s / first.wall_s);
	}
	printf("sim_ticks: %llu\n", (unsigned long long)first.ticks);
	printf("sim_passes: %d\n", passes);
	printf("sim_speed_best_x: %.0f\n", first.sim_s / best_s);
	printf("sim_lockstep_ns_per_ms: %.1f\n", best_s / (double)first.ticks * 1e9);
	if (reference) {
		printf("sim_physics_only_best_x: %.0f\n", first.sim_s / ref_best_s);
		printf("sim_speed_vs_physics_best_ratio: %.2f\n", ref_best_s / best_s);
		printf("sim_physics_ns_per_ms: %.1f\n", ref_best_s / (double)first.ticks * 1e9);
	}
	free(ls_chunks.best_s);
	free(ref_chunks.best_s);
	return 0;
}
