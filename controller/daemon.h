/* chaird as the daemon: the store, the consultation and advice tables, the session, the
 * panel socket and the panel's web server around a running runner, served from one poll
 * loop in the main thread. The
 * rt thread never waits for any of it: the loop only drains telemetry and sends commands. */
#ifndef DAEMON_H
#define DAEMON_H

#include <signal.h>

#include "config.h"
#include "panel/methods.h"
#include "runner.h"
#include "service.h"
#include "session/session.h"
#include "web/web.h"

#define DAEMON_POLL_MS 5 /* the loop's turn when nothing arrives: telemetry at 200 Hz */
#define DAEMON_VERDICT_POLL_MS 1 /* the turn while a caller waits for the tick's verdict */

struct daemon {
	const struct chair_config *cfg;
	struct store *st;
	struct rules_table *rules;
	struct advice_table *advice;
	struct session session;
	struct methods_ctx methods;
	struct panel *panel;
	struct web *web; /* NULL with [web] listen = off */
	struct runner *r;
	struct service svc;      /* systemd: READY, WATCHDOG, STATUS */
	uint32_t faults_logged;  /* fault records of r->faults logged so far (their count) */
	int last_state;          /* the chair's state in the last turn (enum chair_state) */
};

/* What can be refused before the chair is touched: open the store (a crash's running
 * session marked interrupted), load the rules and advice tables. err names the file. */
int daemon_prepare(struct daemon *d, const struct chair_config *cfg, char *err, int err_len);
/* Open the panel socket and the web server over the open runner r (backend: its name for
 * server.info). */
int daemon_open(struct daemon *d, struct runner *r, const char *backend, char *err,
		int err_len);
/* Serve until *stop is set or duration_s (> 0) of the chair's time has passed. */
int daemon_run(struct daemon *d, volatile sig_atomic_t *stop, double duration_s);
/* Stop a session still running (stored as interrupted), close the web server and the
 * socket. Call before
 * runner_close; daemon_free after it. */
void daemon_stop(struct daemon *d);
void daemon_free(struct daemon *d);

#endif
