/* The process image as JSON: every GPIO line by name, every drive's registers, the IO
 * module's raw values and the bus units' counters. */
#include "process_image.h"

#include "../drivers/hal.h"

static json_t *drive_json(const struct hal_drive_in *in, const struct hal_drive_out *out)
{
	return json_pack("{s:i, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, "
			 "s:i, s:i, s:i}",
			 "status", in->status, "ready", (in->status & HAL_STATUS_READY) != 0,
			 "enabled", (in->status & HAL_STATUS_ENABLED) != 0, "fault",
			 (in->status & HAL_STATUS_FAULT) != 0, "moving",
			 (in->status & HAL_STATUS_MOVING) != 0, "at_target",
			 (in->status & HAL_STATUS_AT_TARGET) != 0, "position_raw",
			 in->actual_position_raw, "velocity_raw", in->actual_velocity_raw,
			 "current_ma", in->actual_current_ma, "force_raw", in->actual_force_raw,
			 "fault_code", in->fault_code, "temperature_raw", in->temperature_raw,
			 "control", out->control, "target_position_raw", out->target_position_raw,
			 "target_velocity_raw", out->target_velocity_raw, "target_force_raw",
			 out->target_force_raw, "current_limit_ma", out->current_limit_ma);
}

static json_t *io_module_json(const struct hal_io_in *io)
{
	json_t *air = json_array(), *heat = json_array();
	for (int i = 0; i < HAL_AIRBAG_COUNT; i++)
		json_array_append_new(air, json_integer(io->airbag_raw[i]));
	for (int i = 0; i < HAL_HEATER_COUNT; i++)
		json_array_append_new(heat, json_integer(io->heater_raw[i]));
	return json_pack("{s:o, s:o, s:i, s:i, s:i, s:i, s:i}", "airbag_raw", air, "heater_raw",
			 heat, "back_angle_raw", io->back_angle_raw, "leg_angle_raw",
			 io->leg_angle_raw, "supply_raw", io->supply_raw, "back_current_ma",
			 io->back_current_ma, "leg_current_ma", io->leg_current_ma);
}

static json_t *unit_json(const struct hal_unit_status *u)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:i}", "age_ms",
			 (json_int_t)u->age_ms, "transactions", (json_int_t)u->transactions,
			 "timeouts", (json_int_t)u->timeouts, "crc_errors",
			 (json_int_t)u->crc_errors, "exceptions", (json_int_t)u->exceptions,
			 "exception", u->exception, "exception_reg", u->exception_reg,
			 "last_exception", u->last_exception, "last_exception_reg",
			 u->last_exception_reg);
}

void process_image_json(json_t *o, const struct rt_snapshot *snap)
{
	json_t *in = json_object(), *out = json_object(), *drives = json_object();
	json_t *bus = json_object();
	for (int i = 0; i < HAL_IN_COUNT; i++)
		json_object_set_new(in, hal_gpio_in_name[i], json_boolean(hal_in(&snap->in, i)));
	for (int i = 0; i < HAL_OUT_COUNT; i++)
		json_object_set_new(out, hal_gpio_out_name[i],
				    json_boolean(hal_out(&snap->out, i)));
	for (int i = 0; i < HAL_AXIS_COUNT; i++)
		json_object_set_new(drives, hal_unit_name[i],
				    drive_json(&snap->in.drive[i], &snap->out.drive[i]));
	for (int i = 0; i < HAL_UNIT_COUNT; i++)
		json_object_set_new(bus, hal_unit_name[i], unit_json(&snap->in.unit[i]));
	json_object_set_new(o, "inputs", in);
	json_object_set_new(o, "outputs", out);
	json_object_set_new(o, "drives", drives);
	json_object_set_new(o, "io_module", io_module_json(&snap->in.io));
	json_object_set_new(o, "bus", bus);
	json_object_set_new(o, "estop_presses", json_integer(snap->in.estop_presses));
}

json_t *process_telem_json(const struct telem *t)
{
	json_t *in = json_object(), *out = json_object(), *air = json_array(), *heat = json_array();
	for (int i = 0; i < HAL_IN_COUNT; i++)
		json_object_set_new(in, hal_gpio_in_name[i], json_boolean(t->gpio_in >> i & 1u));
	for (int i = 0; i < HAL_OUT_COUNT; i++)
		json_object_set_new(out, hal_gpio_out_name[i], json_boolean(t->gpio_out >> i & 1u));
	for (int i = 0; i < HAL_AIRBAG_COUNT; i++)
		json_array_append_new(air, json_real(t->airbag_kpa[i]));
	for (int i = 0; i < HAL_HEATER_COUNT; i++)
		json_array_append_new(heat, json_real(t->heater_c[i]));
	return json_pack("{s:I, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:o, s:o, s:o}",
			 "tick", (json_int_t)t->tick, "state", t->state, "y_mm", t->y_mm, "z_mm",
			 t->z_mm, "w_mm", t->w_mm, "force_n", t->force_n, "force_target_n",
			 t->force_target_n, "cap_n", t->cap_n, "knead_rpm", t->knead_rpm,
			 "back_deg", t->back_deg, "inputs", in, "outputs", out, "airbags_kpa", air,
			 "heaters_c", heat);
}
