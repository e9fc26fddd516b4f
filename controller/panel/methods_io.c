/* The technician's view of the machine: io.read (the process image the rt thread published,
 * every line, drive register and bus counter) and config.get (the running configuration,
 * without the machine's paths). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"

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

/* The snapshot's lines, drives, IO module and bus units into o. */
static void image_json(json_t *o, const struct rt_snapshot *snap)
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

int methods_io_read(void *app, struct panel_call *call, json_t *params, json_t **result,
		    struct panel_error *err)
{
	struct methods_ctx *m = app;
	const struct telem *t = &m->r->last;
	const struct rt_snapshot *snap = runner_snapshot(m->r);
	if (!snap)
		return session_refuse_state(m->session, err, "the chair has not run a tick yet");
	/* Ticks since the image was read, on the chair's clock: lockstep and real time alike. */
	uint64_t behind = t->tick > snap->tick ? t->tick - snap->tick : 0;
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
			      "backend", m->backend, "state", session_chair_state(m->session),
			      "tick", (json_int_t)t->tick, "image_tick", (json_int_t)snap->tick,
			      "age_ms", (double)behind * m->r->ctl.period_s * 1000.0, "y_mm",
			      t->y_mm, "z_mm", t->z_mm, "w_mm", t->w_mm, "force_n", t->force_n,
			      "knead_rpm", t->knead_rpm, "tap_rpm", t->tap_rpm, "back_deg",
			      t->back_deg);
	image_json(o, snap);
	json_object_set_new(o, "overruns", json_integer((json_int_t)t->overruns));
	json_object_set_new(o, "late_max_us",
			    json_real((double)snap->latency_max_ns / 1000.0));
	json_object_set_new(o, "io_errors", json_integer((json_int_t)snap->io_errors));
	json_object_set_new(o, "snapshots_dropped",
			    json_integer(runner_snapshots_dropped(m->r)));
	json_object_set_new(o, "faults_logged", json_integer((json_int_t)m->r->faults.count));
	*result = o;
	return 0;
}

/* A path's last component: what config.get shows of a file of the machine. */
static void keep_base_name(char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash)
		memmove(path, slash + 1, strlen(slash + 1) + 1);
}

int methods_config_get(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err)
{
	struct methods_ctx *m = app;
	/* PANEL.md: a reply never contains a path of the machine. The file keys and the bus
	 * device say which file, not where it is. */
	struct chair_config *shown = malloc(sizeof(*shown));
	char *ini = NULL;
	size_t len = 0;
	FILE *f = shown ? open_memstream(&ini, &len) : NULL;
	if (!f) {
		free(shown);
		panel_error_set(err, PANEL_E_INTERNAL, NULL, "out of memory");
		return PANEL_E_INTERNAL;
	}
	*shown = *m->cfg;
	keep_base_name(shown->session.rules_path);
	keep_base_name(shown->session.advice_path);
	keep_base_name(shown->panel.socket_path);
	keep_base_name(shown->store.path);
	keep_base_name(shown->hal.bus.rtu_device);
	keep_base_name(shown->hal.gpiochip);
	keep_base_name(shown->web.root);
	config_write_ini(shown, f);
	fclose(f);
	free(shown);
	*result = json_pack("{s:s%}", "ini", ini, len);
	free(ini);
	return 0;
}
