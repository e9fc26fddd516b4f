/* The program executor: runs a compiled, body-resolved plan inside the tick, one period
 * at a time, without allocating. (Owned by the interpreter; this header is its contract
 * with the tick.)
 *
 * Time is the tick count times the period: the plan's timeline is followed to within one
 * tick. The only way the executor departs from it is to wait for the carriage: a working
 * step does not touch the body until the carriage is within EXEC_ARRIVE_MM of where the
 * step starts (for at most EXEC_WAIT_MAX_MS per step), and the run's end moves out by the
 * time waited. A glide that ends the run likewise waits, at most EXEC_GLIDE_END_WAIT_MAX_MS,
 * for the lagging carriage to come within EXEC_GLIDE_END_MM of the stroke's end, still
 * pressing, and that wait moves the end out too. Cost: well under 1 us a step
 * (bench/exec_cost.c). */
#ifndef INTERP_EXEC_H
#define INTERP_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "../motion/targets.h"

struct plan; /* interp/plan.h: immutable compiled program, points already in track mm */

#define EXEC_LOOP_DEPTH 4        /* = PLAN_REPEAT_DEPTH_MAX */
#define EXEC_ARRIVE_MM 3.0
#define EXEC_WAIT_MAX_MS 20000u
#define EXEC_GLIDE_END_MM 0.25      /* a glide that ends the run waits for the carriage */
#define EXEC_GLIDE_END_WAIT_MAX_MS 2000u /* to come this close to its end, this long at most */

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

struct exec_loop {
	uint32_t repeat_step; /* the PLAN_REPEAT step */
	uint32_t remaining;   /* passes still to start after this one */
};

/* The run's whole state; the tick embeds it, so its size is fixed at build time. */
struct exec {
	const struct plan *plan;
	uint32_t step;          /* index into the plan's step table */
	uint64_t step_ticks;    /* ticks spent in the current step */
	uint64_t elapsed_ticks; /* since the plan started */
	enum exec_status status;

	uint64_t period_ns;     /* from the first step's feedback */
	bool in_step;           /* the current (timed) step has begun */
	uint64_t step_start_ns; /* on the run's timeline */
	uint64_t next_start_ns; /* where the next step begins on the timeline */
	uint64_t move_ns, approach_ns, work_ns;
	uint64_t waited_ns;     /* this step, waiting for the carriage at its start */
	uint64_t end_waited_ns; /* this step (a glide that ends the run), at its end */
	uint64_t delay_ns;      /* the whole run, waiting for the carriage */
	double prev_end_y_mm;   /* planned end of the previous step */
	double start_y_mm;      /* this step's start */
	double end_y_mm;        /* this step's planned end */
	uint16_t phase;
	uint8_t loop_depth;
	struct exec_loop loop[EXEC_LOOP_DEPTH];

	/* modal state */
	uint8_t air_mask;
	uint32_t air_cycle_ms;
	double air_kpa;
	uint64_t air_start_ns;
	double heat_c[HAL_HEATER_COUNT];
	enum recline_preset recline;
};

void exec_reset(struct exec *e);
/* Start a plan from its first step. The plan must be resolved (plan_resolve) and outlive
 * the run; an unresolved or NULL plan leaves the executor idle. */
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
