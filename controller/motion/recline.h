/* Backrest and legrest: relay-driven actuators with angle feedback and limit switches. */
#ifndef MOTION_RECLINE_H
#define MOTION_RECLINE_H

#include "../config.h"
#include "targets.h"

struct recline_ctl {
	enum recline_preset preset; /* the last preset asked for; HOLD before any */
};

void recline_reset(struct recline_ctl *r);
/* Drive the relays toward the preset. Increasing the back angle reclines (back_down);
 * increasing the leg angle raises the legrest (leg_up). Limit switches stop a direction. */
void recline_control(struct recline_ctl *r, const struct recline_config *cfg,
		     enum recline_preset want, double back_deg, double leg_deg,
		     const struct hal_inputs *in, struct hal_outputs *out);

#endif
