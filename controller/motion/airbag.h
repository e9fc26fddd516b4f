/* Airbag pressure control: one pump, one shared vent, a valve per zone (CHAIR.md). */
#ifndef MOTION_AIRBAG_H
#define MOTION_AIRBAG_H

#include "../../drivers/hal.h"

/* Set pump, vent and zone valves to bring each zone toward its target. */
void airbag_control(const double target_kpa[HAL_AIRBAG_COUNT],
		    const double actual_kpa[HAL_AIRBAG_COUNT], double hysteresis_kpa,
		    struct hal_outputs *out);

#endif
