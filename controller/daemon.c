/* The daemon's main loop: one poll over the panel's sockets, a 5 ms turn; each turn takes
 * the telemetry the tick published (runner_drain, never waiting), hands it to the session,
 * answers what waits for the chair, and lets the session do its timed work. */
#include "daemon.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session/advice.h"
#include "session/rules.h"
#include "store/store.h"

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int daemon_prepare(struct daemon *d, const struct chair_config *cfg, char *err, int err_len)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	if (sodium_init() < 0) { /* PIN hashes and program checksums */
		snprintf(err, (size_t)err_len, "libsodium could not start");
		return -EIO;
	}
	char why[512];
	int rc = store_open(&d->st, cfg->store.path, why, sizeof(why));
	if (rc) {
		snprintf(err, (size_t)err_len, "[store] path: %s", why);
		return rc;
	}
	if (store_recovered(d->st) > 0)
		fprintf(stderr, "chaird: %d session(s) a crash left running marked interrupted\n",
			store_recovered(d->st));
	rc = rules_load(cfg->session.rules_path, &d->rules, why, sizeof(why));
	if (rc == 0)
		rc = advice_load(cfg->session.advice_path, &d->advice, why, sizeof(why));
	if (rc) {
		snprintf(err, (size_t)err_len, "%s", why);
		daemon_free(d);
		return rc;
	}
	return 0;
}

/* Telemetry of one drain to the session. */
static void take(void *arg, const struct telem *t)
{
	session_on_telem(arg, t);
}

int daemon_open(struct daemon *d, struct runner *r, const char *backend, char *err,
		int err_len)
{
	d->r = r;
	session_init(&d->session, r, d->cfg, d->st, d->rules, d->advice);
	d->methods = (struct methods_ctx){.session = &d->session, .st = d->st, .r = r,
					  .cfg = d->cfg, .backend = backend};
	session_set_notify(&d->session, methods_notify, &d->methods);
	struct panel_config pc = {.socket_path = d->cfg->panel.socket_path,
				  .technician_group = d->cfg->panel.technician_group,
				  .socket_group = d->cfg->panel.socket_group,
				  .on_close = methods_on_close};
	int rc = panel_open(&d->panel, &pc, methods_table, &d->methods, err, (size_t)err_len);
	if (rc)
		return rc;
	d->methods.panel = d->panel;
	return 0;
}

/* One turn: what the chair said since the last, then the timed work. */
static void turn(struct daemon *d)
{
	if (d->r->mode == RUNNER_LOCKSTEP) /* virtual time: the loop ticks it, 5 a turn */
		for (int i = 0; i < DAEMON_POLL_MS; i++)
			runner_advance(d->r, take, &d->session);
	else
		runner_drain(d->r, take, &d->session);
	methods_poll(&d->methods);
	session_poll(&d->session, monotonic_s());
}

int daemon_run(struct daemon *d, volatile sig_atomic_t *stop, double duration_s)
{
	int max = panel_pollfd_max(d->panel);
	struct pollfd *fds = calloc((size_t)max, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	double until_s = monotonic_s() + duration_s;
	int result = 0; /* why the loop ended early: chaird says so */
	while (!result && !*stop && (duration_s <= 0 || monotonic_s() < until_s)) {
		if (panel_pollfd_max(d->panel) > max) {
			struct pollfd *bigger =
				realloc(fds, (size_t)panel_pollfd_max(d->panel) * sizeof(*fds));
			if (!bigger) {
				result = -ENOMEM;
				break;
			}
			fds = bigger;
			max = panel_pollfd_max(d->panel);
		}
		int n = panel_pollfds(d->panel, fds, max);
		/* 0 while lines wait in a buffer: they are served this turn, not after 5 ms */
		int rc = poll(fds, (nfds_t)n, panel_poll_timeout_ms(d->panel, DAEMON_POLL_MS));
		int poll_errno = errno; /* before turn() may change it */
		turn(d); /* the chair first: a request sees the newest telemetry */
		if (rc >= 0)
			panel_service(d->panel, fds, n);
		else if (poll_errno != EINTR)
			result = -poll_errno;
	}
	free(fds);
	return result;
}

void daemon_stop(struct daemon *d)
{
	if (!d->r)
		return;
	turn(d);
	session_fini(&d->session, "chaird stopped");
	if (d->session.store_err[0])
		fprintf(stderr, "chaird: storage: %s\n", d->session.store_err);
	panel_close(d->panel);
	d->panel = NULL;
	d->methods.panel = NULL;
}

void daemon_free(struct daemon *d)
{
	if (d->r)
		session_release(&d->session);
	store_close(d->st);
	rules_free(d->rules);
	advice_free(d->advice);
	d->st = NULL;
	d->rules = NULL;
	d->advice = NULL;
}
