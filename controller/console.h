/* chaird's line console: one command a line on an input stream, events and answers a line
 * each on an output stream. For technicians at a terminal and for end-to-end tests; the
 * control panel speaks the same commands through its own API. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <signal.h>
#include <stdio.h>

#include "config.h"
#include "interp/plan.h"
#include "runner.h"

/* Serve commands from in_fd until "quit", end of input or *stop. plan is what "start"
 * runs (may be NULL: "start" is refused). Returns 0, or 1 when the chair ended latched. */
int console_run(struct runner *r, const struct chair_config *cfg, const struct plan *plan,
		int in_fd, FILE *out, volatile sig_atomic_t *stop);

#endif
