/* The program executor: runs a compiled, body-resolved plan inside the tick, one period
 * at a time, without allocating. (Owned by the interpreter; this header is its contract
 * with the tick.) */
#ifndef INTERP_EXEC_H
#define INTERP_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "../motion/targets.h"

struct plan; /* interp/plan.h: immutable compiled program, points already in track mm */

/* What the executor may see of the chair each tick. */
struct exec_feedback {
	double y_mm;      /* carriage position */
	double z_mm;      /* roller protrusion */
	double force_n;   /* contact force */
	double period_s;  /* tick period */
};

enum exec_status {
	EXEC_IDLE,     /* no plan loaded */
	EXEC_RUNNING,
	EXEC_DONE,     /* the plan ran to its end */
};

/* The run's whole state; the tick embeds it, so its size is fixed at build time. */
struct exec {
	const struct plan *plan;
	uint32_t step;          /* index into the plan's step table */
	uint64_t step_ticks;    /* ticks spent in the current step */
	uint64_t elapsed_ticks; /* since the plan started */
	enum exec_status status;
	uint8_t scratch[512];   /* per-technique generator state */
};

void exec_reset(struct exec *e);
/* Start a plan from its first step. The plan must outlive the run. */
void exec_start(struct exec *e, const struct plan *p);
/* One period: fill t with what the chair should do now. */
enum exec_status exec_step(struct exec *e, const struct exec_feedback *fb,
			   struct motion_targets *t);
/* The phase the run is in (for the panel), "" before the first phase. */
const char *exec_phase_name(const struct exec *e);
/* Milliseconds of the plan done and in all, for progress bars. */
uint64_t exec_elapsed_ms(const struct exec *e);
uint64_t exec_total_ms(const struct exec *e);

#endif
