/* Lockstep: the controller and a backend in one thread, tick after tick, as fast as the
 * CPU allows. With the sim backend every write advances the physics one period, so this
 * is simulation in virtual time: deterministic, for tests, benchmarks and `program run`. */
#ifndef LOCKSTEP_H
#define LOCKSTEP_H

#include <stdbool.h>
#include <stdint.h>

#include "tick.h"

struct lockstep {
	struct ctl ctl;
	struct hal_backend *be;
	struct hal_inputs in;
	struct hal_outputs out;
	int io_errors; /* read or write calls that failed */
};

/* Open the backend and start a controller on cfg (which must outlive ls). */
int lockstep_open(struct lockstep *ls, const struct chair_config *cfg, struct hal_backend *be,
		  char *err, int err_len);
void lockstep_close(struct lockstep *ls);
/* One period: read, tick, write. */
void lockstep_tick(struct lockstep *ls);
/* Send a command now; returns enum cmd_result. */
int lockstep_command(struct lockstep *ls, enum cmd_kind kind);
/* Tick until the controller is in state (true) or max_ticks pass (false). */
bool lockstep_run_until_state(struct lockstep *ls, enum chair_state state, uint64_t max_ticks);
/* Home and wait for it; true when homed within max_ticks. */
bool lockstep_home(struct lockstep *ls, uint64_t max_ticks);

#endif
