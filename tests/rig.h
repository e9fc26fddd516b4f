/* A test rig: the controller in lockstep with the in-process simulator. Header-only so
 * every suite that needs a chair can include it. */
#ifndef TEST_RIG_H
#define TEST_RIG_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../controller/config.h"
#include "../controller/lockstep.h"
#include "../drivers/hal_sim.h"
#include "../sim/sim.h"

struct rig {
	struct chair_config cfg;
	struct hal_sim hs;
	struct hal_backend be;
	struct lockstep ls;
};

/* A chair with the person of seed in it (0 = the default person). */
static inline struct rig *rig_open(uint64_t seed)
{
	struct rig *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	config_defaults(&r->cfg);
	r->cfg.hal.sim_seed = seed;
	hal_sim_bind(&r->hs, &r->be);
	char err[256];
	if (lockstep_open(&r->ls, &r->cfg, &r->be, err, sizeof(err)) != 0) {
		fprintf(stderr, "rig: %s\n", err);
		abort();
	}
	return r;
}

static inline void rig_close(struct rig *r)
{
	lockstep_close(&r->ls);
	free(r);
}

static inline struct sim *rig_sim(struct rig *r)
{
	return hal_sim_get(&r->hs);
}

static inline struct ctl *rig_ctl(struct rig *r)
{
	return &r->ls.ctl;
}

static inline void rig_ticks(struct rig *r, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		lockstep_tick(&r->ls);
}

/* Send targets as a technician's jog would (IDLE, homed). */
static inline int rig_manual(struct rig *r, const struct motion_targets *t)
{
	struct ctl_cmd cmd = {.kind = CMD_MANUAL, .manual = *t};
	return ctl_command(rig_ctl(r), &cmd);
}

static inline int rig_set_cap(struct rig *r, double cap_n)
{
	struct ctl_cmd cmd = {.kind = CMD_SET_CAP, .value_f = cap_n};
	return ctl_command(rig_ctl(r), &cmd);
}

/* Carriage to y_mm with the roller off the body; true when it got there. */
static inline bool rig_move_to(struct rig *r, double y_mm, uint64_t max_ticks)
{
	struct motion_targets t;
	targets_rest(&t, y_mm);
	t.y_speed_mm_s = 80;
	if (rig_manual(r, &t) != CMD_OK)
		return false;
	for (uint64_t i = 0; i < max_ticks; i++) {
		lockstep_tick(&r->ls);
		if (fabs(rig_ctl(r)->est.y_mm - y_mm) < 0.5 && fabs(rig_ctl(r)->est.y_mm_s) < 0.5)
			return true;
	}
	return false;
}

/* Press at y_mm with force_n and let it settle for settle_ticks. */
static inline void rig_press(struct rig *r, double y_mm, double force_n, uint64_t settle_ticks)
{
	struct motion_targets t;
	targets_rest(&t, y_mm);
	t.y_speed_mm_s = 80;
	t.z_mode = Z_FORCE;
	t.z_force_n = force_n;
	rig_manual(r, &t);
	rig_ticks(r, settle_ticks);
}

/* Where the person's L3 is on the track (ground truth from the simulator). */
static inline double rig_lumbar_y_mm(struct rig *r)
{
	return rig_sim(r)->person.landmark_y_mm[SIM_LM_L3];
}

/* Whether outputs are the safe state: only Z enabled and not extending, pump and heat
 * off, vent open, recline relays off (but for a trapped actuator's back-off). */
static inline bool rig_outputs_safe(const struct hal_outputs *o)
{
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		if (a == HAL_AXIS_Z)
			continue;
		if (o->drive[a].control & HAL_CTL_ENABLE)
			return false;
	}
	const struct hal_drive_out *z = &o->drive[HAL_AXIS_Z];
	if (z->target_velocity_raw > 0 || z->target_force_raw != 0)
		return false;
	return !hal_out(o, HAL_OUT_PUMP) && hal_out(o, HAL_OUT_VENT) &&
	       !hal_out(o, HAL_OUT_HEAT_LUMBAR) && !hal_out(o, HAL_OUT_HEAT_CALVES);
}

#endif
