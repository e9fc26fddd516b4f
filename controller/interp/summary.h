/* What a program does, in figures, for `chairctl program check` and the panel: its time on
 * the default body and over the supported bodies, time per phase, zones worked, the
 * strongest level and the techniques used. */
#ifndef INTERP_SUMMARY_H
#define INTERP_SUMMARY_H

#include <stdint.h>

#include "limits.h"
#include "plan.h"

#define INTERP_SUMMARY_PHASES_MAX 64

struct interp_summary {
	uint64_t total_ms;      /* default body, carriage starting at the top */
	uint64_t shortest_ms;   /* over the bodies the chair supports */
	uint64_t longest_ms;
	uint32_t phase_count;   /* phases listed below (the program may have more) */
	struct {
		const char *name; /* points into the compiled plan */
		uint64_t ms;
	} phase[INTERP_SUMMARY_PHASES_MAX];
	uint64_t zone_ms[BODY_ZONE_COUNT]; /* rollers on each zone (default body) */
	unsigned zones;          /* bit n = enum body_landmark n worked */
	int peak_pressure;       /* highest pressure level, 0 = none */
	int peak_depth;          /* highest depth level, 0 = none */
	unsigned techniques;     /* bit n = enum plan_op n used */
	bool air, heat, recline;
};

/* Summarize a compiled plan. 0, or a negative errno (-ENOMEM). */
int interp_summarize(const struct plan *compiled, const struct interp_limits *lim,
		     struct interp_summary *s);

#endif
