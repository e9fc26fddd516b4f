/* The fault table and the fault log. */
#include "fault.h"

#include <stdio.h>

const struct fault_info fault_table[FAULT_COUNT] = {
	[FAULT_NONE] = {"none", "no fault", WHERE_NONE},
	[FAULT_ESTOP] = {"estop", "emergency stop pressed", WHERE_NONE},
	[FAULT_OVER_FORCE] = {"over_force", "roller force above the cap", WHERE_NONE},
	[FAULT_UNIT_STALE] = {"unit_stale", "bus unit stopped answering", WHERE_UNIT},
	[FAULT_BUS_EXCEPTION] = {"bus_exception", "bus unit answered with an exception",
				 WHERE_UNIT},
	[FAULT_DRIVE] = {"drive_fault", "drive reports a fault", WHERE_AXIS},
	[FAULT_DRIVE_OVER_TEMP] = {"drive_over_temp", "drive too hot", WHERE_AXIS},
	[FAULT_STALL] = {"stall", "axis commanded to move but its encoder does not move",
			 WHERE_AXIS},
	[FAULT_HOME_TIMEOUT] = {"home_timeout", "axis did not reach its home switch in time",
				WHERE_AXIS},
	[FAULT_END_SWITCHES] = {"end_switches", "both carriage end switches active at once",
				WHERE_NONE},
	[FAULT_TRACK_LIMIT] = {"track_limit", "axis outside its travel", WHERE_AXIS},
	[FAULT_SWITCH_MISMATCH] = {"switch_mismatch",
				   "a home or end switch disagrees with the encoder", WHERE_AXIS},
	[FAULT_RECLINE_TIMEOUT] = {"recline_timeout",
				   "recline actuator ran too long without reaching its limit",
				   WHERE_RECLINE},
	[FAULT_TRAPPED] = {"trapped", "current spike on a recline actuator: something caught",
			   WHERE_RECLINE},
	[FAULT_SUPPLY] = {"supply", "supply voltage out of range", WHERE_NONE},
	[FAULT_HEATER_OVER_TEMP] = {"heater_over_temp", "heater above its cut-off",
				    WHERE_HEATER},
	[FAULT_AIRBAG_OVER_PRESSURE] = {"airbag_over_pressure", "airbag above its maximum",
					WHERE_AIRBAG},
	[FAULT_SESSION_LIMIT] = {"session_limit", "session ran past the chair's time limit",
				 WHERE_NONE},
	[FAULT_UNOCCUPIED] = {"unoccupied", "the person left the chair during a session",
			      WHERE_NONE},
	[FAULT_IO] = {"io", "the backend could not read or write the process image", WHERE_NONE},
	[FAULT_LATE] = {"late", "the real-time loop missed too many periods in a row", WHERE_NONE},
};

void fault_log_add(struct fault_log *log, const struct fault_record *r)
{
	log->rec[log->count % FAULT_LOG_LEN] = *r;
	log->count++;
}

const struct fault_record *fault_log_get(const struct fault_log *log, uint32_t i)
{
	if (i >= log->count || i >= FAULT_LOG_LEN)
		return NULL;
	return &log->rec[(log->count - 1 - i) % FAULT_LOG_LEN];
}

static const char *where_name(const struct fault_record *r, char *buf, int len)
{
	static const char *const recline_name[] = {"backrest", "legrest"};
	int w = r->where;
	switch (fault_table[r->code].where_kind) {
	case WHERE_AXIS:
		if (w >= 0 && w < HAL_AXIS_COUNT)
			snprintf(buf, (size_t)len, " on %s (%s, Modbus unit %d)", hal_axis_name[w],
				 hal_unit_name[w], r->bus_id);
		return buf;
	case WHERE_UNIT:
		if (w >= 0 && w < HAL_UNIT_COUNT)
			snprintf(buf, (size_t)len, " on %s (Modbus unit %d)", hal_unit_name[w],
				 r->bus_id);
		return buf;
	case WHERE_HEATER:
		if (w >= 0 && w < HAL_HEATER_COUNT)
			snprintf(buf, (size_t)len, " on heater %s", hal_heater_name[w]);
		return buf;
	case WHERE_AIRBAG:
		if (w >= 0 && w < HAL_AIRBAG_COUNT)
			snprintf(buf, (size_t)len, " on airbag %s", hal_airbag_name[w]);
		return buf;
	case WHERE_RECLINE:
		if (w >= 0 && w < 2)
			snprintf(buf, (size_t)len, " on the %s", recline_name[w]);
		return buf;
	case WHERE_NONE:
		break;
	}
	return buf;
}

int fault_describe(const struct fault_record *r, char *buf, int len)
{
	if (r->code <= FAULT_NONE || r->code >= FAULT_COUNT)
		return snprintf(buf, (size_t)len, "unknown fault %d", (int)r->code);
	char where[64] = "";
	where_name(r, where, sizeof(where));
	const struct fault_info *fi = &fault_table[r->code];
	switch (r->code) {
	case FAULT_DRIVE:
		return snprintf(buf, (size_t)len, "%s: %s%s, code %d at register %u", fi->name,
				fi->text, where, (int)r->value, (unsigned)r->reg);
	case FAULT_BUS_EXCEPTION:
		return snprintf(buf, (size_t)len, "%s: %s%s, exception %d at register %u",
				fi->name, fi->text, where, (int)r->value, (unsigned)r->reg);
	case FAULT_UNIT_STALE:
		return snprintf(buf, (size_t)len, "%s: %s%s, data %d ms old", fi->name, fi->text,
				where, (int)r->value);
	case FAULT_IO:
		return snprintf(buf, (size_t)len, "%s: %s, %d failed exchange%s", fi->name, fi->text,
				(int)r->value, r->value == 1 ? "" : "s");
	case FAULT_LATE:
		return snprintf(buf, (size_t)len, "%s: %s, %d missed", fi->name, fi->text,
				(int)r->value);
	default:
		return snprintf(buf, (size_t)len, "%s: %s%s", fi->name, fi->text, where);
	}
}

void fault_print(FILE *out, const char *prefix, const struct fault_record *r)
{
	char text[200];
	fault_describe(r, text, sizeof(text));
	fprintf(out, "%s%s at %.3f s\n", prefix, text, (double)r->tick / 1000.0);
	const struct hal_inputs *in = &r->in;
	fprintf(out, "%s  lines in %05x out %05x, e-stop presses %u\n", prefix,
		(unsigned)in->gpio_in, (unsigned)r->out_prev.gpio_out, (unsigned)in->estop_presses);
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		const struct hal_drive_in *d = &in->drive[a];
		const struct hal_drive_out *o = &r->out_prev.drive[a];
		fprintf(out,
			"%s  drive %s status %04x pos %d vel %d current %u force %u fault %u temp %d"
			" | control %04x target pos %d vel %d force %u\n",
			prefix, hal_axis_name[a], d->status, d->actual_position_raw,
			d->actual_velocity_raw, d->actual_current_ma, d->actual_force_raw,
			d->fault_code, d->temperature_raw, o->control, o->target_position_raw,
			o->target_velocity_raw, o->target_force_raw);
	}
	const struct hal_io_in *io = &in->io;
	fprintf(out, "%s  io airbags", prefix);
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		fprintf(out, " %u", io->airbag_raw[b]);
	fprintf(out, " heaters %d %d angles %d %d supply %u currents %u %u\n", io->heater_raw[0],
		io->heater_raw[1], io->back_angle_raw, io->leg_angle_raw, io->supply_raw,
		io->back_current_ma, io->leg_current_ma);
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		const struct hal_unit_status *st = &in->unit[u];
		fprintf(out,
			"%s  unit %s age %u ms, %u transactions, %u timeouts, %u crc errors, "
			"%u exceptions (last %u at register %u)\n",
			prefix, hal_unit_name[u], st->age_ms, st->transactions, st->timeouts,
			st->crc_errors, st->exceptions, st->last_exception, st->last_exception_reg);
	}
}
