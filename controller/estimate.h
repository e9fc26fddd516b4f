/* The estimate stage: the process image's register values turned into engineering units,
 * with the carriage and roller positions referred to their home switches once homed. */
#ifndef ESTIMATE_H
#define ESTIMATE_H

#include <stdbool.h>

#include "../drivers/hal.h"
#include "config.h"

struct estimate {
	double y_enc_mm;     /* encoder reading, before the home offset */
	double z_enc_mm;
	double y_mm;         /* on the track: 0 = home switch edge */
	double z_mm;         /* roller protrusion: 0 = home switch edge */
	double y_offset_mm;  /* encoder reading at the home edge */
	double z_offset_mm;
	bool y_homed;
	bool z_homed;
	double y_mm_s;
	double z_mm_s;
	double w_mm;
	double force_n;
	double knead_rpm;
	double tap_rpm;
	double knead_deg;    /* shaft angles, to tell a turning motor from a stalled one */
	double tap_deg;
	double airbag_kpa[HAL_AIRBAG_COUNT];
	double heater_c[HAL_HEATER_COUNT];
	double back_deg;
	double leg_deg;
	double supply_v;
	double drive_temp_c[HAL_AXIS_COUNT];
};

void estimate_reset(struct estimate *e);
void estimate_update(struct estimate *e, const struct chair_config *cfg,
		     const struct hal_inputs *in);

#endif
