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
/* A pressing roller that has found no body comes out at most this far past the person's
 * skin gap (motion_targets.z_search_mm): above the neck there is nothing to find, and a
 * roller left far out there is carried into the top of the neck (a wall, on the simulator,
 * 20-35 mm further forward than the back) when the carriage comes back down. At 30 mm a
 * neck lying deeper than that is not reached; with 35 mm, 1,000 simulated sessions met the
 * wall hard enough to pass a "too much" level there by 1.5 N for 21 ms, with 30 mm by 0.5 N
 * for 11 ms (tests/test_sessions_sim.c). */
#define EXEC_SEARCH_MM 30.0
#define EXEC_STAY_MS 30000u      /* one "stay" extends the current working step this much */
#define EXEC_STAYS_MAX 3         /* times a step, at most */

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

/* A guided trigger point's protocol (PROGRAMS.md's ischemic compression): rising from a
 * touch (or from its `from` level) until "there", holding while the person breathes,
 * rising again on "eased", at most GEN_GUIDED_RISES_MAX rises; then releasing. */
enum exec_guided_phase {
	EXEC_GUIDED_NONE,      /* not in the work of a guided trigger point */
	EXEC_GUIDED_RISING,
	EXEC_GUIDED_HOLDING,
	EXEC_GUIDED_RELEASING,
};

struct exec_guided {
	uint8_t phase;          /* enum exec_guided_phase */
	uint8_t rises;          /* rises so far, the current one included */
	bool at_top;            /* the rise reached the most it may: no rise after this hold */
	double level_n;         /* the force it asks for now, before feedback scaling */
	double top_n;           /* the most it may ask: the step's level, lower after "too much" */
	double there_n;         /* the force measured at the last "there" (0 = none); kept
	                           after the step, until the next guided trigger point */
	double release_from_n;
	uint64_t since_ns;      /* the current phase began, on the step's work clock */
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
	uint64_t stay_ns;       /* this step, extended by "stay" */
	uint8_t stays;          /* this step's "stay"s */
	bool end_now;           /* "skip", or a guided trigger point done: the step ends */
	bool skipped;           /* by "skip": the next step starts from where the carriage is */
	int64_t shift_ns;       /* the run's end moved by stays, skips, guided trigger points
	                           ending early and the moves these changed */
	double plan_prev_end_y_mm; /* where the previous step would have ended as planned */
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

	struct exec_guided guided;
};

void exec_reset(struct exec *e);
/* Start a plan from its first step. The plan must be resolved (plan_resolve) and outlive
 * the run; an unresolved or NULL plan leaves the executor idle. */
void exec_start(struct exec *e, const struct plan *p);
/* One period: fill t with what the chair should do now. */
enum exec_status exec_step(struct exec *e, const struct exec_feedback *fb,
			   struct motion_targets *t);
/* The person's commands on the run (the tick calls them between two steps): 0, -EPERM
 * when they do not apply to where the run is, -ENOSPC past their bound. */
/* Stay: the current working step lasts EXEC_STAY_MS longer (at most room_ms: what the
 * session limit leaves), up to EXEC_STAYS_MAX times; a trigger point holds longer. Not for
 * a glide (a stroke has no zone to stay in), a guided trigger point (the person leads it),
 * a trigger point already releasing, or a step that does not work the body. -ENOSPC when
 * the step has stayed its most or room_ms is under a second. */
int exec_stay(struct exec *e, uint64_t room_ms);
/* Skip: the current timed step ends on the next tick; the next step moves on from where
 * the carriage is then. -EPERM when no step is under way. */
int exec_skip(struct exec *e);
/* "There" while a guided trigger point rises: it holds at what it asks now; force_n (the
 * force measured now) is kept as the level reached. -EPERM otherwise. */
int exec_there(struct exec *e, double force_n);
/* "Eased" while it holds: it rises again, or releases after its last rise or at its most.
 * -EPERM otherwise. */
int exec_eased(struct exec *e);
/* A guided trigger point under way asks at most level_n from now on, for the rest of its
 * step ("too much" in its zone); it rises no further once there. */
void exec_guided_cap(struct exec *e, double level_n);

/* The phase the run is in (for the panel), "" before the first phase. */
const char *exec_phase_name(const struct exec *e);
/* Milliseconds of the plan done and in all, for progress bars. */
uint64_t exec_elapsed_ms(const struct exec *e);
uint64_t exec_total_ms(const struct exec *e);

#endif
