/* Heater control: a relay per heater, time-proportioned over a fixed window. */
#ifndef MOTION_HEATER_H
#define MOTION_HEATER_H

#include "../config.h"

struct heater_ctl {
	double window_pos_s; /* where in the current window we are */
	double duty[HAL_HEATER_COUNT];
	double integral[HAL_HEATER_COUNT]; /* duty the integral term holds */
};

void heater_reset(struct heater_ctl *h);
/* Set the heater relays for this tick. A target of 0 is off. */
void heater_control(struct heater_ctl *h, const struct heater_config *cfg,
		    const double target_c[HAL_HEATER_COUNT],
		    const double actual_c[HAL_HEATER_COUNT], double dt_s, struct hal_outputs *out);

#endif
