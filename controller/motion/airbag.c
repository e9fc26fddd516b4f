/* With a single vent shared by all zones, filling one zone while venting another would
 * vent both. Venting wins (it is the direction that releases the body); filling waits
 * for the next tick without a zone above its target. */
#include "airbag.h"

#include <stdbool.h>

void airbag_control(const double target_kpa[HAL_AIRBAG_COUNT],
		    const double actual_kpa[HAL_AIRBAG_COUNT], double hysteresis_kpa,
		    struct hal_outputs *out)
{
	bool fill[HAL_AIRBAG_COUNT], vent[HAL_AIRBAG_COUNT];
	bool any_fill = false, any_vent = false;
	for (int z = 0; z < HAL_AIRBAG_COUNT; z++) {
		double t = target_kpa[z];
		/* A zone asked to be empty vents all the way down. */
		vent[z] = t <= 0 ? actual_kpa[z] > 0.05 : actual_kpa[z] > t + hysteresis_kpa;
		fill[z] = t > 0 && actual_kpa[z] < t - hysteresis_kpa;
		any_fill |= fill[z];
		any_vent |= vent[z];
	}
	hal_out_set(out, HAL_OUT_VENT, any_vent);
	hal_out_set(out, HAL_OUT_PUMP, !any_vent && any_fill);
	for (int z = 0; z < HAL_AIRBAG_COUNT; z++) {
		bool open = any_vent ? vent[z] : fill[z];
		hal_out_set(out, (enum hal_gpio_out)(HAL_OUT_VALVE_SHOULDERS + z), open);
	}
}
