/* The axis-control stage: limited targets to drive setpoints. The carriage follows a
 * jerk-limited trajectory under a position loop; the roller is force- or
 * position-controlled; knead and tap spin at speed; width goes to its position; airbags,
 * heaters and recline get their relays. */
#ifndef MOTION_AXES_H
#define MOTION_AXES_H

#include <stdbool.h>

#include "../config.h"
#include "../estimate.h"
#include "airbag.h"
#include "force.h"
#include "heater.h"
#include "recline.h"
#include "targets.h"
#include "trajectory.h"

/* The force a few ms ahead: its rise over the last AXES_RISE_TICKS readings, when faster
 * than AXES_RISE_MIN_N_S (the load cell's 0.1 N steps alone never are), carried on for
 * AXES_FORECAST_S, the Z drive's time to turn round (its velocity lag, 10 ms). */
#define AXES_RISE_TICKS 4
#define AXES_RISE_MIN_N_S 75.0
#define AXES_FORECAST_S 0.010

struct axes {
	struct traj y_traj;
	bool y_traj_live;     /* the trajectory was used last tick */
	struct force_ctl force;
	struct heater_ctl heater;
	struct recline_ctl recline;
	double y_cmd_mm_s;    /* last commanded speeds, for telemetry */
	double z_cmd_mm_s;
	double w_target_mm;   /* the last width asked for; 0 before any */
	double z_contact_mm;  /* roller protrusion at the last contact with the body */
	bool z_contact_seen;  /* since the roller last came out */
	bool z_dropping;      /* "too much": off the body at release speed down to the cap */
	double force_seen_n[AXES_RISE_TICKS]; /* the last force readings, oldest first */
	int force_seen;       /* how many of them there are */
};

/* Homing takes the carriage and roller drives directly, by velocity. */
struct axes_override {
	bool active;
	double y_mm_s;
	double z_mm_s;
};

void axes_reset(struct axes *ax);
/* The roller's speed (<= 0) that takes it off the body and home, whatever either switch
 * says: it retracts while the load cell reads contact or the homed encoder says the roller
 * is out, and stops only when both say off the body and home. Without a homed encoder only
 * the z_home switch can say home; the load cell still keeps the release going. Used by
 * the normal retract and by the safe state alike. */
double axes_z_release_mm_s(const struct chair_config *cfg, const struct estimate *est,
			   const struct hal_inputs *in);
void axes_control(struct axes *ax, const struct chair_config *cfg, const struct estimate *est,
		  const struct hal_inputs *in, const struct motion_targets *t,
		  const struct axes_override *ov, double cap_n, double dt_s,
		  struct hal_outputs *out);

#endif
