/* With a single vent shared by all zones, filling one zone while venting another would
 * vent both. Venting wins (it is the direction that releases the body); filling waits
 * for the next tick without a zone above its target. */
#include "airbag.h"

#include <stdbool.h>

/* The zone valves are consecutive lines, zone z on HAL_OUT_VALVE_SHOULDERS + z, so the
 * zones' bits go out as one mask. */
_Static_assert(HAL_OUT_VALVE_FEET == HAL_OUT_VALVE_SHOULDERS + HAL_AIRBAG_COUNT - 1,
	       "one valve line a zone, in zone order");
#define VALVES_MASK (((1u << HAL_AIRBAG_COUNT) - 1) << HAL_OUT_VALVE_SHOULDERS)

void airbag_control(const double target_kpa[HAL_AIRBAG_COUNT],
		    const double actual_kpa[HAL_AIRBAG_COUNT], double hysteresis_kpa,
		    struct hal_outputs *out)
{
	uint32_t fill = 0, vent = 0; /* bit z: zone z */
	for (int z = 0; z < HAL_AIRBAG_COUNT; z++) {
		double t = target_kpa[z];
		/* A zone asked to be empty vents all the way down. */
		bool vent_z = t <= 0 ? actual_kpa[z] > 0.05 : actual_kpa[z] > t + hysteresis_kpa;
		bool fill_z = t > 0 && actual_kpa[z] < t - hysteresis_kpa;
		vent |= (uint32_t)vent_z << z;
		fill |= (uint32_t)fill_z << z;
	}
	hal_out_set(out, HAL_OUT_VENT, vent != 0);
	hal_out_set(out, HAL_OUT_PUMP, !vent && fill);
	uint32_t open = vent ? vent : fill;
	out->gpio_out = (out->gpio_out & ~VALVES_MASK) | open << HAL_OUT_VALVE_SHOULDERS;
}
