/* The daemon's main loop: one poll over the panel's sockets and the web server's descriptor,
 * a 5 ms turn; each turn takes
 * the telemetry the tick published (runner_drain, never waiting), hands it to the session,
 * logs the fault records that came with it, tells systemd how the chair is (service.c),
 * answers what waits for the chair, and lets the session do its timed work. */
#include "daemon.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fault.h"
#include "log.h"
#include "session/advice.h"
#include "session/rules.h"
#include "store/store.h"

static int64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double monotonic_s(void)
{
	return (double)monotonic_ns() / 1e9;
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
		log_msg(LOG_WARNING, "%d session(s) a crash left running marked interrupted",
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
	rc = web_open(&d->web, &d->cfg->web, d->panel, err, (size_t)err_len);
	if (rc) {
		panel_close(d->panel);
		d->panel = NULL;
		d->methods.panel = NULL;
		return rc;
	}
	char why[160];
	if (service_open(&d->svc, monotonic_ns(), why, sizeof(why)) != 0)
		log_msg(LOG_WARNING, "systemd watchdog: %s: running without it", why);
	d->faults_logged = r->faults.count;
	d->last_state = ST_IDLE;
	return 0;
}

/* Every fault record the tick published since the last turn, oldest first, at err: each
 * trip with its code, where and value, not only the one that latched. */
static void log_faults(struct daemon *d)
{
	const struct fault_log *log = &d->r->faults;
	uint32_t lost = log->count - d->faults_logged;
	if (lost > FAULT_LOG_LEN) {
		log_msg(LOG_ERR, "%u fault records came faster than they could be logged",
			lost - FAULT_LOG_LEN);
		d->faults_logged = log->count - FAULT_LOG_LEN;
	}
	for (; d->faults_logged != log->count; d->faults_logged++) {
		uint32_t newest_first = log->count - 1 - d->faults_logged;
		const struct fault_record *rec = fault_log_get(log, newest_first);
		char text[200];
		fault_describe(rec, text, sizeof(text));
		log_msg(LOG_ERR, "fault %s (tick %llu)", text, (unsigned long long)rec->tick);
	}
}

/* The chair's state from the newest telemetry: a latch that ends (acknowledged) logged,
 * and systemd told (READY, WATCHDOG, STATUS). */
static void follow_chair(struct daemon *d)
{
	const struct telem *t = &d->r->last;
	bool was_latched = d->last_state == ST_FAULT || d->last_state == ST_ESTOP;
	if (was_latched && t->state != ST_FAULT && t->state != ST_ESTOP)
		log_msg(LOG_NOTICE, "%s acknowledged: the chair is %s%s",
			chair_state_name[d->last_state],
			t->state < ST_COUNT ? chair_state_name[t->state] : "?",
			t->homed ? "" : ", not homed");
	d->last_state = t->state;
	struct service_view v = {.tick = t->tick, .state = t->state, .fault = t->fault,
				 .homed = t->homed != 0};
	service_turn(&d->svc, monotonic_ns(), &v);
}

/* One turn: what the chair said since the last, then the timed work. */
static void turn(struct daemon *d)
{
	if (d->r->mode == RUNNER_LOCKSTEP) /* virtual time: the loop ticks it, 5 a turn */
		for (int i = 0; i < DAEMON_POLL_MS; i++)
			runner_advance(d->r, take, &d->session);
	else
		runner_drain(d->r, take, &d->session);
	log_faults(d);
	follow_chair(d);
	methods_poll(&d->methods);
	session_poll(&d->session, monotonic_s());
}

/* Room in *fds for every descriptor the panel and the web server may ask for. */
static int grow_pollfds(struct daemon *d, struct pollfd **fds, int *max)
{
	int want = panel_pollfd_max(d->panel) + web_pollfd_max(d->web);
	if (want <= *max)
		return 0;
	struct pollfd *bigger = realloc(*fds, (size_t)want * sizeof(**fds));
	if (!bigger)
		return -ENOMEM;
	*fds = bigger;
	*max = want;
	return 0;
}

int daemon_run(struct daemon *d, volatile sig_atomic_t *stop, double duration_s)
{
	int max = 0;
	struct pollfd *fds = NULL;
	double until_s = monotonic_s() + duration_s;
	int result = 0; /* why the loop ended early: chaird says so */
	while (!result && !*stop && (duration_s <= 0 || monotonic_s() < until_s)) {
		if (grow_pollfds(d, &fds, &max)) {
			result = -ENOMEM;
			break;
		}
		int n = panel_pollfds(d->panel, fds, max);
		int n_web = web_pollfds(d->web, fds + n, max - n);
		/* 0 while lines wait in a buffer: they are served this turn, not after 5 ms */
		int timeout_ms = panel_poll_timeout_ms(d->panel, DAEMON_POLL_MS);
		timeout_ms = web_poll_timeout_ms(d->web, timeout_ms);
		/* A verdict the tick owes a caller (feedback it may refuse) comes a period or two
		 * after the command: look every millisecond until it has come, not every 5. */
		if (d->r->mode != RUNNER_LOCKSTEP && d->session.waiting_count > 0 &&
		    timeout_ms > DAEMON_VERDICT_POLL_MS)
			timeout_ms = DAEMON_VERDICT_POLL_MS;
		int rc = poll(fds, (nfds_t)(n + n_web), timeout_ms);
		int poll_errno = errno; /* before turn() may change it */
		turn(d); /* the chair first: a request sees the newest telemetry */
		if (rc >= 0) {
			panel_service(d->panel, fds, n);
			web_service(d->web, fds + n, n_web);
		} else if (poll_errno != EINTR) {
			result = -poll_errno;
		}
	}
	free(fds);
	return result;
}

void daemon_stop(struct daemon *d)
{
	if (!d->r)
		return;
	turn(d);
	service_stopping(&d->svc);
	session_fini(&d->session, "chaird stopped");
	if (d->session.store_err[0])
		log_msg(LOG_ERR, "storage: %s", d->session.store_err);
	web_close(d->web); /* its sessions are panel connections: before the panel */
	d->web = NULL;
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
