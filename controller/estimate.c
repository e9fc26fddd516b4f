/* Register values to units. Pure arithmetic: a few dozen multiplications a tick. */
#include "estimate.h"

#include <string.h>

void estimate_reset(struct estimate *e)
{
	memset(e, 0, sizeof(*e));
}

void estimate_update(struct estimate *e, const struct chair_config *cfg,
		     const struct hal_inputs *in)
{
	const struct hal_drive_in *d = in->drive;
	e->y_enc_mm = d[HAL_AXIS_Y].actual_position_raw * cfg->y.position_scale_mm;
	e->z_enc_mm = d[HAL_AXIS_Z].actual_position_raw * cfg->z.position_scale_mm;
	e->y_mm = e->y_enc_mm - e->y_offset_mm;
	e->z_mm = e->z_enc_mm - e->z_offset_mm;
	e->y_mm_s = d[HAL_AXIS_Y].actual_velocity_raw * cfg->y.velocity_scale;
	e->z_mm_s = d[HAL_AXIS_Z].actual_velocity_raw * cfg->z.velocity_scale;
	e->w_mm = d[HAL_AXIS_W].actual_position_raw * cfg->w.position_scale_mm;
	e->force_n = d[HAL_AXIS_Z].actual_force_raw * cfg->force.scale_n;
	e->knead_rpm = d[HAL_AXIS_K].actual_velocity_raw * cfg->knead.velocity_scale;
	e->tap_rpm = d[HAL_AXIS_T].actual_velocity_raw * cfg->tap.velocity_scale;
	e->knead_deg = d[HAL_AXIS_K].actual_position_raw * 0.1;
	e->tap_deg = d[HAL_AXIS_T].actual_position_raw * 0.1;
	for (int a = 0; a < HAL_AXIS_COUNT; a++)
		e->drive_temp_c[a] = d[a].temperature_raw * 0.1;
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		e->airbag_kpa[b] = in->io.airbag_raw[b] * cfg->airbag.pressure_scale_kpa;
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		e->heater_c[h] = in->io.heater_raw[h] * cfg->heater.temp_scale_c;
	e->back_deg = in->io.back_angle_raw * cfg->recline.angle_scale_deg;
	e->leg_deg = in->io.leg_angle_raw * cfg->recline.angle_scale_deg;
	e->supply_v = in->io.supply_raw * cfg->supply.scale_v;
}
