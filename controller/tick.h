/* One control period, as eight named stages (DESIGN.md), and the controller state they
 * share. tick() never allocates, locks, logs or makes a system call; time is the tick
 * counter times the period. */
#ifndef TICK_H
#define TICK_H

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
	CMD_SET_CAP,    /* value_f: the user's force cap, N */
	CMD_MANUAL,     /* technician jog / tests: targets while IDLE and homed */
	CMD_MANUAL_OFF,
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
};

/* One tick of telemetry, compact enough to stream every tick. */
struct telem {
	uint64_t tick;
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
	uint32_t exec_elapsed_ms;
	uint32_t exec_total_ms;
	uint32_t phase_step;      /* executor step index: the panel maps it to a phase */
	float y_mm;
	float y_target_mm;
	float z_mm;
	float force_n;
	float force_target_n;
	float cap_n;
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
	double cap_n;
	uint64_t session_ticks;
	/* Set by whoever calls tick, before it: backend reads and writes that failed since the
	 * last tick (a write fails after its tick, so the next one hears of it). A nonzero
	 * count latches FAULT_IO; the tick takes it and leaves 0. Data, not a call: the tick
	 * itself never asks the backend. */
	uint32_t io_failures;
	uint32_t cmd_seq;
	int32_t cmd_result;
	struct ring *cmd_ring;    /* optional: commands from the main thread */
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
