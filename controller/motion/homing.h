/* Homing: find the carriage's top switch (y_home) and the roller's home (z_home), and
 * refer the incremental encoders to them. The roller retracts first; the carriage waits
 * until the roller is off the body so it never drags a pressed roller along the back. */
#ifndef MOTION_HOMING_H
#define MOTION_HOMING_H

#include <stdbool.h>

#include "../config.h"
#include "../estimate.h"
#include "trajectory.h"

enum home_phase {
	HOME_IDLE,
	HOME_WAIT,      /* Y: waiting for the roller to leave the body */
	HOME_LEAVE,     /* started on the switch: move off it first */
	HOME_SEEK,      /* toward the switch at homing speed */
	HOME_BRAKE,     /* switch seen: stop */
	HOME_BACKOFF,   /* a few mm off the switch */
	HOME_SEEK_SLOW, /* back onto it slowly, for a precise edge */
	HOME_PARK,      /* to position 0 */
	HOME_DONE,
	HOME_STUCK,     /* still on its switch after moving well off it: the switch is stuck */
};

#define HOMING_LEAVE_MAX_MM 15.0

struct home_axis {
	enum home_phase phase;
	double elapsed_s;
	double leave_from_mm; /* encoder where HOME_LEAVE began */
	double vel_mm_s;     /* commanded this tick (velocity phases) */
	struct traj traj;    /* BACKOFF and PARK */
};

struct homing {
	struct home_axis y;
	struct home_axis z;
};

enum home_result { HOME_RUNNING, HOME_FINISHED, HOME_TIMEOUT_Y, HOME_TIMEOUT_Z,
		   HOME_STUCK_Y, HOME_STUCK_Z };

void homing_start(struct homing *h);
/* One period. Sets y_vel_mm_s and z_vel_mm_s for the drives, updates the estimate's
 * offsets when an edge is found. An axis that started on its switch moves off it at most
 * HOMING_LEAVE_MAX_MM, and the roller never into the body: still on the switch by then,
 * or touching the body while it leaves, the switch is stuck (HOME_STUCK_Y or _Z). */
enum home_result homing_step(struct homing *h, const struct chair_config *cfg,
			     struct estimate *est, const struct hal_inputs *in, double dt_s,
			     double *y_vel_mm_s, double *z_vel_mm_s);

#endif
