/* The chair as chaird's daemon builds it, for the panel and web targets: the simulated
 * chair in lockstep, a store in memory, the shipped consultation rules and care advice
 * (read from controller/data/ once, so a target runs from the repository's root), the
 * session, the real method table served by the real panel server on a socket in a
 * temporary folder. Its clocks are the app's own, stepped by fuzz_app_turn, so every run of
 * an input sees the same times. */
#ifndef FUZZ_APP_H
#define FUZZ_APP_H

#include <stdbool.h>

#include "../../controller/config.h"
#include "../../controller/panel/methods.h"
#include "../../controller/panel/panel.h"
#include "../../controller/runner.h"
#include "../../controller/session/advice.h"
#include "../../controller/session/rules.h"
#include "../../controller/session/session.h"
#include "../../controller/store/store.h"
#include "../../drivers/hal_sim.h"

#define FUZZ_APP_TICKS_PER_TURN 5 /* chaird's lockstep loop ticks this many a turn */

struct fuzz_app {
	struct chair_config cfg;
	struct hal_sim hs;
	struct hal_backend be;
	struct runner r;
	struct store *st;
	struct rules_table *rules;
	struct advice_table *advice;
	struct session s;
	struct methods_ctx m;
	struct panel *panel;
	char dir[64];
	char sock[128];
	bool runner_open;
	bool session_open;
};

/* Open everything (a message on stderr and abort() when it cannot: that is the set-up's
 * fault, not the input's). */
void fuzz_app_open(struct fuzz_app *a);
/* One turn of the daemon's loop: ticks, deferred replies, session timers, the panel. */
void fuzz_app_turn(struct fuzz_app *a);
void fuzz_app_close(struct fuzz_app *a);
/* The app's wall clock, Unix seconds (moves with the chair's virtual time). */
double fuzz_app_wall_s(void);

#endif
