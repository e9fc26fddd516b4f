/* How fast a whole simulated session runs in lockstep: simulated seconds per wall second,
 * for the controller and the simulator together (sim_speed_x), beside the simulator's
 * physics alone on the same outputs (the reference, sim_physics_only_x). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../controller/lockstep.h"
#include "../controller/program_load.h"
#include "../drivers/hal_sim.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "programs/full-body-15.prog";
	static struct chair_config cfg;
	config_defaults(&cfg);
	cfg.hal.sim_seed = 1;
	struct plan *plan = NULL;
	if (program_load_file(path, &cfg, &plan, stderr) != 0)
		return 1;
	static struct hal_sim hs;
	static struct hal_backend be;
	static struct lockstep ls;
	hal_sim_bind(&hs, &be);
	char err[256];
	if (lockstep_open(&ls, &cfg, &be, err, sizeof(err)) != 0) {
		fprintf(stderr, "sim_speed: %s\n", err);
		return 1;
	}
	double t0 = now_s();
	if (!lockstep_home(&ls, 30000)) {
		fprintf(stderr, "sim_speed: homing failed\n");
		return 1;
	}
	struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
	if (ctl_command(&ls.ctl, &start) != CMD_OK) {
		fprintf(stderr, "sim_speed: start refused\n");
		return 1;
	}
	lockstep_tick(&ls);
	lockstep_run_until_state(&ls, ST_IDLE, plan->total_ms + 120000);
	double wall_s = now_s() - t0;
	double sim_s = (double)ls.ctl.tick * ls.ctl.period_s;
	if (ls.ctl.state != ST_IDLE || ls.ctl.safety.log.count) {
		fprintf(stderr, "sim_speed: the session did not end cleanly\n");
		return 1;
	}
	/* Reference: the physics alone for the same number of steps, outputs held. */
	struct sim *s = hal_sim_get(&hs);
	struct hal_outputs out = ls.out;
	double r0 = now_s();
	for (uint64_t i = 0; i < ls.ctl.tick; i++)
		sim_step_1ms(s, &out);
	double ref_s = now_s() - r0;
	printf("sim_program: %s\n", plan->name);
	printf("sim_session_s: %.1f\n", sim_s);
	printf("sim_wall_s: %.3f\n", wall_s);
	printf("sim_speed_x: %.0f\n", sim_s / wall_s);
	printf("sim_physics_only_x: %.0f\n", sim_s / ref_s);
	printf("sim_speed_vs_physics_ratio: %.2f\n", ref_s / wall_s);
	lockstep_close(&ls);
	plan_free(plan);
	return 0;
}
