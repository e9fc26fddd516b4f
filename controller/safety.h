/* The safety supervisor's watchdogs: every check of CHAIR.md and DESIGN.md, run once per
 * tick on the estimate. A trip latches; only an acknowledge after the cause is gone
 * clears it, never the chair by itself. */
#ifndef SAFETY_H
#define SAFETY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "estimate.h"
#include "fault.h"

/* Samples the over-force trend is judged on: a fall over 10 ms, not one noisy step. */
#define SAFETY_FORCE_HISTORY 10
/* Fall over the history that counts as falling: 0.1 N in 10 ms, 10 N/s. */
#define SAFETY_RESOLVE_FALL_N 0.1

/* What the watchdogs look at, besides the estimate. */
struct safety_view {
	const struct chair_config *cfg;
	const struct estimate *est;
	const struct hal_inputs *in;
	const struct hal_outputs *out_prev; /* commanded last tick */
	uint64_t tick;
	double dt_s;           /* since the last tick, on the tick's own clock: every timer
	                          here counts time, so a stalled loop cannot stretch one */
	double cap_n;
	bool session_active;   /* RUNNING or PAUSED: occupancy and the session timer count */
	double session_s;      /* the session's time so far, on the same clock */
	uint32_t late_periods; /* periods the loop missed in a row before this tick */
	uint32_t io_failures;  /* backend reads and writes that failed since the last tick */
};

struct safety {
	bool latched;              /* a fault holds the chair in its safe state */
	bool estop;                /* the latched fault came from the e-stop */
	struct fault_record first; /* the fault that tripped the latch */
	uint64_t logged_mask;      /* codes logged since the latch, to log each once */
	uint32_t estop_presses_seen;
	uint32_t exceptions_seen[HAL_UNIT_COUNT]; /* each unit's exception count last tick */
	double stall_s[HAL_AXIS_COUNT];
	double stall_ref[HAL_AXIS_COUNT]; /* position (mm or deg) when the stall timer started */
	double over_force_s;
	double force_hist_n[SAFETY_FORCE_HISTORY]; /* the last samples, for the trend */
	uint32_t force_hist_at;
	double supply_bad_s;
	double unoccupied_s;
	double recline_run_s[2];
	double trap_backoff_s;     /* reverse the trapped actuator this much longer */
	int trap_actuator;
	bool trap_dir_up;          /* direction it was running when it trapped */
	uint32_t ack_ticks_left;   /* an acknowledge is in progress */
	bool ack_rejected;
	enum fault_code ack_cause; /* what was still there when it was refused */
	int ack_cause_where;
	uint32_t trips_dropped;    /* trips past MAX_TRIPS in one tick: not logged */
	struct fault_log log;
};

void safety_reset(struct safety *s);

/* Run every watchdog. Returns true when the chair must be in its safe state this tick. */
bool safety_check(struct safety *s, const struct safety_view *v);

/* Trip a fault found elsewhere (e.g. the homing timeout). */
void safety_trip(struct safety *s, const struct safety_view *v, enum fault_code code, int where,
		 int32_t value, uint16_t reg);

/* Ask to clear the latch. The supervisor keeps trying for a moment while drives reset
 * their faults; if a cause remains, the latch stays and ack_rejected says so. */
void safety_request_ack(struct safety *s, uint32_t window_ticks);

#endif
