/* One control period, as eight named stages (DESIGN.md), and the controller state they
 * share. tick() never allocates, locks, logs or makes a system call; time is the tick
 * counter times the period. */
#ifndef TICK_H
#define TICK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../drivers/hal.h"
#include "config.h"
#include "estimate.h"
#include "fault.h"
#include "feedback.h"
#include "interp/exec.h"
#include "limiter.h"
#include "motion/axes.h"
#include "motion/homing.h"
#include "motion/targets.h"
#include "ring.h"
#include "safety.h"

enum chair_state {
	ST_IDLE,
	ST_HOMING,
	ST_SCANNING,    /* the body scan: the carriage travels with a light roller force */
	ST_RUNNING,
	ST_PAUSED,
	ST_FINISHING,
	ST_FAULT,
	ST_ESTOP,
	ST_COUNT
};

extern const char *const chair_state_name[ST_COUNT];

enum cmd_kind {
	CMD_HOME,
	CMD_START,      /* plan: a resolved plan that outlives the run */
	CMD_PAUSE,
	CMD_RESUME,
	CMD_STOP,       /* end the session gently: FINISHING */
	CMD_ACK,        /* acknowledge a latched fault */
	CMD_INTENSITY,  /* value: -1 or +1 */
	CMD_SPEED,      /* value: -1 or +1 */
	CMD_TOO_MUCH,
	CMD_SET_CAP,    /* value_f: the user's force cap, N; raised only while IDLE */
	CMD_MANUAL,     /* technician jog / tests: targets while IDLE and homed */
	CMD_MANUAL_OFF,
	CMD_SCAN,       /* manual: the scan's targets, from IDLE (homed) or SCANNING; STOP or
	                   MANUAL_OFF ends it through FINISHING */
	/* The person's commands on a run, taken while RUNNING or PAUSED (CMD_E_STATE in any
	 * other state, CMD_E_FAULT while latched): */
	CMD_WIDTH,      /* value: +1 wider, -1 narrower roller spacing, within the width axis */
	CMD_STAY,       /* the current working step EXEC_STAY_MS longer, EXEC_STAYS_MAX times a
	                   step, never past the session limit (CMD_E_LIMIT) */
	CMD_SKIP,       /* end the current timed step now: on to the next, or the run's end */
	CMD_THERE,      /* guided trigger point rising: hold here (RUNNING only) */
	CMD_EASED,      /* guided trigger point holding: rise again, or release (RUNNING only) */
	CMD_COUNT
};

struct ctl_cmd {
	enum cmd_kind kind;
	uint32_t seq;
	int32_t value;
	double value_f;
	const struct plan *plan;
	struct motion_targets manual;
};

/* Why a command was refused (0 = done). */
enum cmd_result {
	CMD_OK = 0,
	CMD_E_STATE,    /* not allowed in the current state */
	CMD_E_NOT_HOMED,
	CMD_E_FAULT,    /* a fault is latched */
	CMD_E_ARG,      /* a value out of range */
	CMD_E_CAUSE,    /* acknowledge refused: a cause is still present */
	CMD_E_RAISE,    /* the force cap may only go down while a program runs */
	CMD_E_LIMIT,    /* past a bound: a step's last stay, or the session limit */
};

/* Commands that make the chair safer (stop, pause, "too much", softer, slower) have a lane
 * of their own: a counter and the latest sequence number per kind, which the main thread
 * posts to and the tick takes whole every tick. It cannot fill, so a flood of other
 * commands never loses or delays one; requests of one kind between two ticks merge (a
 * repeated "too much" or "softer" counts up to three times). */
enum safe_lane_kind { LANE_STOP, LANE_PAUSE, LANE_TOO_MUCH, LANE_SOFTER, LANE_SLOWER,
		      LANE_COUNT };

struct safe_lane {
	_Atomic uint32_t seq[LANE_COUNT];     /* the latest request's sequence number */
	_Atomic uint32_t pending[LANE_COUNT]; /* requests not yet taken */
};

/* The lane of a command that makes the chair safer, or -1. */
int safe_lane_of(const struct ctl_cmd *cmd);
/* Post a request (main thread): the sequence number first, then the count, so a tick that
 * takes the count sees a sequence number at least as new. */
void safe_lane_post(struct safe_lane *lane, int kind, uint32_t seq);

/* The lane's requests taken in one tick, oldest first: each kind once, with its latest
 * sequence number and how many times to apply it (stop and pause once, the others up to
 * three times). */
struct lane_take {
	int n;
	struct ctl_cmd cmd[LANE_COUNT];
	uint32_t times[LANE_COUNT];
};

/* Take every pending request (the tick). */
void safe_lane_take(struct safe_lane *lane, struct lane_take *lt);

/* One tick of telemetry, compact enough to stream every tick. */
struct telem {
	uint64_t tick;
	int64_t clock_ns;         /* CLOCK_MONOTONIC when the tick's period began; 0 lockstep */
	uint8_t state;
	uint8_t fault;            /* enum fault_code latched, 0 = none */
	int8_t fault_where;
	int16_t fault_bus_id;     /* Modbus unit id the fault names, 0 = none */
	int32_t fault_value;      /* the fault record's value (age, code, temperature…) */
	uint16_t fault_reg;       /* the register a bus exception came from */
	uint8_t exec_status;
	uint8_t homed;            /* both carriage and roller referenced */
	uint32_t cmd_seq;         /* last command handled */
	int32_t cmd_result;
	uint32_t start_seq;       /* the last start handled, taken or refused */
	uint32_t ack_seq;         /* the last acknowledge whose window has closed */
	int32_t ack_result;       /* CMD_OK: cleared; CMD_E_CAUSE: refused, for ack_cause */
	uint8_t ack_cause;        /* enum fault_code still present when it was refused */
	int8_t ack_cause_where;
	uint32_t trips_dropped;   /* trips past the per-tick limit, never logged */
	uint32_t exec_elapsed_ms;
	uint32_t exec_total_ms;
	uint32_t phase_step;      /* executor step index: the panel maps it to a phase */
	uint32_t stay_ms;         /* the current step's extension by CMD_STAY */
	int8_t zone;              /* the roller's body zone (enum body_landmark BODY_NECK..
	                             BODY_THIGHS) on the running plan's body, -1 elsewhere */
	int8_t width_level;       /* wider / narrower: -FEEDBACK_WIDTH_LEVELS..+ */
	uint8_t guided_phase;     /* enum exec_guided_phase: none, rising, holding, releasing */
	uint8_t guided_rises;     /* rises so far of the guided trigger point under way */
	float guided_level_n;     /* force measured at the last "there" of the current (or the
	                             last) guided trigger point of the run, 0 = none */
	float y_mm;
	float y_target_mm;
	float z_mm;
	float force_n;
	float force_target_n;
	float cap_n;
	uint32_t late_periods;    /* periods the loop missed in a row before this tick */
	uint64_t overruns;        /* periods missed in all (the rt loop fills it in) */
	float knead_rpm;
	float tap_rpm;
	float w_mm;
	float airbag_kpa[HAL_AIRBAG_COUNT];
	float heater_c[HAL_HEATER_COUNT];
	float back_deg;
	float leg_deg;
	uint32_t gpio_out;
	uint32_t gpio_in;
};

struct ctl {
	const struct chair_config *cfg;
	double period_s;
	uint64_t tick;
	enum chair_state state;
	struct hal_inputs in;
	struct hal_outputs out_prev;
	struct estimate est;
	struct safety safety;
	struct homing homing;
	struct exec exec;
	struct feedback feedback;
	struct limiter limiter;
	struct axes axes;
	struct motion_targets targets; /* this tick's, as the stages refine them */
	struct motion_targets manual;
	bool manual_on;
	double cap_n;             /* the user's force cap */
	double run_cap_n;         /* the cap the running plan was resolved for, 0 = none */
	double force_cap_n;       /* this tick's: the lowest of the user's, the plan's, the
	                             chair's */
	/* The plan the executor holds, for the main thread: set when a run starts, cleared
	 * (release) on the tick the run ends, after which the tick never reads it again. A
	 * plan may be freed once a start of it was handled and this is no longer it. */
	_Atomic(const struct plan *) plan_in_use;
	uint32_t run_elapsed_ms;  /* the last run's progress, kept after its plan is let go */
	uint32_t run_total_ms;
	double session_s;         /* time in RUNNING and PAUSED, on the tick's clock */
	/* Set by whoever calls tick, before it, as io_failures is: the monotonic time (ns) the
	 * period began, and how many periods the loop missed in a row before it. clock_ns 0:
	 * virtual time, tick x period (lockstep). */
	int64_t clock_ns;
	uint32_t late_periods;
	uint64_t overruns;        /* periods missed in all, for telemetry */
	int64_t prev_clock_ns;    /* this tick's clock, as the next one sees it */
	bool prev_clock_real;     /* and whether it was the caller's reading */
	double dt_s;              /* this tick's time since the last, for the watchdogs */
	/* Set by whoever calls tick, before it: backend reads and writes that failed since the
	 * last tick (a write fails after its tick, so the next one hears of it). A nonzero
	 * count latches FAULT_IO; the tick takes it and leaves 0. Data, not a call: the tick
	 * itself never asks the backend. */
	uint32_t io_failures;
	uint32_t cmd_seq;
	int32_t cmd_result;
	uint32_t start_seq;       /* the last start handled */
	uint32_t ack_seq_pending; /* an acknowledge in its window, answered when it closes */
	uint32_t ack_seq;
	int32_t ack_result;
	uint32_t faults_published; /* fault log records pushed to fault_ring so far */
	struct ring *cmd_ring;    /* optional: commands from the main thread */
	struct safe_lane *safe_lane; /* optional: commands that make the chair safer */
	struct ring *fault_ring;  /* optional: fault records to the main thread */
	struct ring *telem_ring;  /* optional: telemetry to the main thread */
	struct telem telem;       /* this tick's */
};

/* Prepare a controller for a config (outside the real-time path). */
void ctl_init(struct ctl *c, const struct chair_config *cfg);

/* Handle one command now (lockstep callers; the rt thread's commands arrive through
 * cmd_ring and are handled at the start of a tick). Returns enum cmd_result. */
int ctl_command(struct ctl *c, const struct ctl_cmd *cmd);

/* One control period. */
void tick(struct ctl *c, const struct hal_inputs *in, struct hal_outputs *out);

#endif
