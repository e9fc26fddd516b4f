/* What a run did, gathered from telemetry outside the real-time path: progress for a
 * bar while it runs, and a summary at the end (duration, time per zone, peak force,
 * faults). Used by chaird's demo and by `chairctl program run`. */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "interp/body.h"
#include "tick.h"

struct report {
	const struct body_map *body; /* for time per zone; NULL = none */
	double period_s;
	uint64_t ticks_running;      /* RUNNING or PAUSED */
	uint64_t zone_ticks[BODY_ZONE_COUNT];
	uint64_t contact_ticks;
	double peak_force_n;
	double peak_force_y_mm;
	int faults;                  /* latches seen */
	uint8_t fault_codes[16];     /* the first of them */
	int8_t fault_where[16];
	int16_t fault_bus_id[16];
	int32_t fault_value[16];
	uint16_t fault_reg[16];
	uint8_t last_fault;
	uint8_t last_state;
	struct telem last;
	int progress_pct;            /* last printed */
	bool tty;
	double contact_n;
};

void report_init(struct report *r, const struct body_map *body, double period_s,
		 double contact_n, bool tty);
/* Take one tick of telemetry. */
void report_take(struct report *r, const struct telem *t);
/* A progress line (a redrawn bar on a terminal, a line each 10 % otherwise). */
void report_progress(struct report *r, FILE *out, const char *phase_name);
/* The summary at the end. */
void report_summary(const struct report *r, FILE *out);

#endif
