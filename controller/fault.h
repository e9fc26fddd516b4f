/* Fault codes, the one table that gives them names and text, and the fault log. A fault
 * is data: a code, where (axis, unit, heater…), a value, when, and the process image of
 * the tick it tripped in. */
#ifndef FAULT_H
#define FAULT_H

#include <stdint.h>
#include <stdio.h>

#include "../drivers/hal.h"

enum fault_code {
	FAULT_NONE,
	FAULT_ESTOP,
	FAULT_OVER_FORCE,
	FAULT_UNIT_STALE,
	FAULT_BUS_EXCEPTION,
	FAULT_DRIVE,
	FAULT_DRIVE_OVER_TEMP,
	FAULT_STALL,
	FAULT_HOME_TIMEOUT,
	FAULT_END_SWITCHES,
	FAULT_TRACK_LIMIT,
	FAULT_SWITCH_MISMATCH,
	FAULT_RECLINE_TIMEOUT,
	FAULT_TRAPPED,
	FAULT_SUPPLY,
	FAULT_HEATER_OVER_TEMP,
	FAULT_AIRBAG_OVER_PRESSURE,
	FAULT_SESSION_LIMIT,
	FAULT_UNOCCUPIED,
	FAULT_IO,
	FAULT_LATE,
	FAULT_COUNT
};

/* What the where field of a record names. */
enum fault_where_kind { WHERE_NONE, WHERE_AXIS, WHERE_UNIT, WHERE_HEATER, WHERE_AIRBAG,
			WHERE_RECLINE };

struct fault_info {
	const char *name; /* stable identifier: logs, panel, docs */
	const char *text; /* for people */
	enum fault_where_kind where_kind;
};

extern const struct fault_info fault_table[FAULT_COUNT];

struct fault_record {
	enum fault_code code;
	int where;         /* axis, unit, heater, airbag or recline actuator (0 back, 1 leg) */
	int32_t value;     /* drive fault code, exception code, temperature 0.1 degC, mV… */
	uint16_t reg;      /* Modbus register: of a bus exception, or a drive's fault_code */
	int16_t bus_id;    /* Modbus unit id of the unit or drive named, 0 when none */
	uint64_t tick;
	struct hal_inputs in;       /* the image the fault was seen in */
	struct hal_outputs out_prev; /* what the chair was commanded just before */
};

#define FAULT_LOG_LEN 32

/* The last FAULT_LOG_LEN faults, oldest overwritten. Written by the tick, no allocation. */
struct fault_log {
	struct fault_record rec[FAULT_LOG_LEN];
	uint32_t count; /* ever logged */
};

void fault_log_add(struct fault_log *log, const struct fault_record *r);
/* The i-th newest record (0 = newest), or NULL. */
const struct fault_record *fault_log_get(const struct fault_log *log, uint32_t i);
/* One line for people: "drive_fault: drive reports a fault on Z (drive_z, Modbus unit 2),
 * code 17 at register 5". */
int fault_describe(const struct fault_record *r, char *buf, int len);
/* The record for a technician: its description and tick, then the process image it was
 * seen in (lines, every drive's registers, the IO module, the bus counters) and the
 * outputs commanded before it, each line starting with prefix. */
void fault_print(FILE *out, const char *prefix, const struct fault_record *r);

#endif
