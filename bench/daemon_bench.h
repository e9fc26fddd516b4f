/* What the benches against the real daemon share (bench/api_daemon.c, bench/web_rtt.c):
 * the clock, chaird found next to the bench's folder and started on the in-process simulated
 * chair in real time with its store, socket and log in a temporary folder, stopped with
 * SIGTERM, the socket's calls and a visit up to a running session. Header-only, as the
 * Makefile builds each bench .c file as a program of its own. Every message starts with the
 * bench's name. */
#ifndef BENCH_DAEMON_BENCH_H
#define BENCH_DAEMON_BENCH_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../controller/panel/client.h"

#define DBENCH_MUST_MS 60000    /* a call the bench cannot go on without */
#define DBENCH_FEEDBACK_MS 10000

struct dbench {
	const char *name; /* the bench's, at the head of its messages and its folder's name */
	char bin_dir[PATH_MAX];
	char chaird[PATH_MAX + 16];
	char rules[PATH_MAX], advice[PATH_MAX];
	char dir[PATH_MAX]; /* the temporary folder: store, socket, config, log */
	char sock_path[PATH_MAX + 16];
	char config[PATH_MAX + 16], log[PATH_MAX + 16];
	pid_t pid;
};

static int64_t dbench_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void dbench_sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&t, NULL);
}

/* Sleep until *next plus step_ns, which becomes the new *next: a loop's absolute turns. */
static void dbench_next_turn(struct timespec *next, long step_ns)
{
	next->tv_nsec += step_ns;
	while (next->tv_nsec >= 1000000000) {
		next->tv_nsec -= 1000000000;
		next->tv_sec++;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL);
}

static int dbench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q quantile of n values (sorted here), 0 for none. */
static double dbench_pct(double *v, int n, double q)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof(v[0]), dbench_cmp_double);
	return v[(int)(q * (n - 1) + 0.5)];
}

/* --- chaird ---------------------------------------------------------------------------- */

/* A file or folder of the checkout: from the working folder, or up from the bench's own. */
static int dbench_find_data(const struct dbench *b, const char *rel, char out[PATH_MAX])
{
	if (realpath(rel, out))
		return 0;
	char up[PATH_MAX];
	snprintf(up, sizeof(up), "%s", b->bin_dir);
	for (int i = 0; i < 6; i++) {
		char p[PATH_MAX * 2];
		snprintf(p, sizeof(p), "%s/%s", up, rel);
		if (realpath(p, out))
			return 0;
		strncat(up, "/..", sizeof(up) - strlen(up) - 1);
	}
	fprintf(stderr, "%s: %s not found from here or above the bench\n", b->name, rel);
	return -ENOENT;
}

/* chaird (`../chaird` from the bench's folder) and the checkout's tables: 0, or -1 said. */
static int dbench_open(struct dbench *b, const char *name, const char *argv0)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->pid = -1;
	char self[PATH_MAX];
	snprintf(self, sizeof(self), "%s", argv0);
	snprintf(b->bin_dir, sizeof(b->bin_dir), "%s", dirname(self));
	snprintf(b->chaird, sizeof(b->chaird), "%s/../chaird", b->bin_dir);
	if (access(b->chaird, X_OK) != 0) {
		fprintf(stderr, "%s: %s: %s\n", name, b->chaird, strerror(errno));
		return -1;
	}
	if (dbench_find_data(b, "controller/data/consultation.rules", b->rules) ||
	    dbench_find_data(b, "controller/data/care-advice.rules", b->advice))
		return -1;
	return 0;
}

/* Remove the temporary folder and what chaird left in it (store, WAL, log, config). */
static void dbench_remove_dir(const struct dbench *b)
{
	DIR *d = opendir(b->dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[PATH_MAX * 2];
		snprintf(p, sizeof(p), "%s/%s", b->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(b->dir);
}

/* The daemon's configuration: the sim backend in real time, store and socket here, the
 * checkout's tables; panel_more adds lines to [panel], web is the [web] section's body. */
static int dbench_write_config(const struct dbench *b, const char *panel_more, const char *web)
{
	FILE *f = fopen(b->config, "w");
	if (!f)
		return -errno;
	/* The host is a virtual machine: its vCPUs stall now and then, which the shipped
	 * 20-period tolerance would call a fault (as in the end-to-end scripts). */
	fprintf(f,
		"[hal]\nbackend = sim\nsim_seed = 5\n"
		"[rt]\nmax_late_periods = 200\n"
		"[store]\npath = %s/chair.db\n"
		"[panel]\nsocket = %s\n%s"
		"[session]\nrules = %s\nadvice = %s\n"
		"[web]\n%s",
		b->dir, b->sock_path, panel_more, b->rules, b->advice, web);
	return fclose(f) ? -errno : 0;
}

/* chaird in its own process, its output to the log. */
static pid_t dbench_spawn(const struct dbench *b)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(b->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	execl(b->chaird, b->chaird, "--config", b->config, (char *)NULL);
	_exit(127);
}

/* The temporary folder, the configuration in it and chaird started on it: 0, or -1 said
 * with nothing left behind. */
static int dbench_start(struct dbench *b, const char *panel_more, const char *web)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(b->dir, sizeof(b->dir), "%s/%s.XXXXXX", tmp && *tmp ? tmp : P_tmpdir, b->name);
	if (!mkdtemp(b->dir)) {
		fprintf(stderr, "%s: %s: %s\n", b->name, b->dir, strerror(errno));
		return -1;
	}
	snprintf(b->sock_path, sizeof(b->sock_path), "%s/panel.sock", b->dir);
	snprintf(b->config, sizeof(b->config), "%s/chair.ini", b->dir);
	snprintf(b->log, sizeof(b->log), "%s/chaird.log", b->dir);
	if (dbench_write_config(b, panel_more, web)) {
		fprintf(stderr, "%s: %s: cannot write it\n", b->name, b->config);
		dbench_remove_dir(b);
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	b->pid = dbench_spawn(b);
	if (b->pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", b->name, strerror(errno));
		dbench_remove_dir(b);
		return -1;
	}
	return 0;
}

/* chaird stopped with SIGTERM (killed if still there 10 s later, which is said): its exit
 * status, printed as chaird_exit_status, -1 when it did not exit by itself. */
static int dbench_stop(struct dbench *b)
{
	kill(b->pid, SIGTERM);
	int status = 0;
	int64_t give_up = dbench_now_ns() + 10 * 1000000000ll;
	pid_t w;
	while ((w = waitpid(b->pid, &status, WNOHANG)) == 0 && dbench_now_ns() < give_up)
		dbench_sleep_ms(20);
	if (w == 0) { /* it did not go: that is a finding, and the bench must not leave it */
		fprintf(stderr, "%s: chaird still running 10 s after SIGTERM\n", b->name);
		kill(b->pid, SIGKILL);
		waitpid(b->pid, &status, 0);
	}
	int exit_code = w == b->pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	printf("chaird_exit_status: %d\n", exit_code);
	return exit_code;
}

/* What chaird said, to stderr: shown when the bench or chaird went wrong. */
static void dbench_show_log(const struct dbench *b)
{
	FILE *f = fopen(b->log, "r");
	char line[512];
	fprintf(stderr, "%s: chaird said:\n", b->name);
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "  %s", line);
	if (f)
		fclose(f);
}

/* After dbench_stop: the log shown when something failed, then the folder removed. */
static void dbench_finish(const struct dbench *b, bool failed)
{
	if (failed)
		dbench_show_log(b);
	dbench_remove_dir(b);
}

/* --- the socket ------------------------------------------------------------------------ */

/* A call that must succeed for the bench to go on: its result, or NULL with a message. */
static json_t *dbench_must(const struct dbench *b, struct panel_client *cl, const char *method,
			   json_t *params)
{
	json_t *res = NULL;
	struct panel_error e = {0};
	int rc = panel_client_call(cl, method, params, &res, &e, DBENCH_MUST_MS);
	if (rc) {
		fprintf(stderr, "%s: %s: %s\n", b->name, method,
			rc == -EREMOTEIO ? e.message : strerror(-rc));
		if (rc == -EREMOTEIO && e.data) {
			char *d = json_dumps(e.data, JSON_COMPACT);
			fprintf(stderr, "%s:   data %s\n", b->name, d ? d : "?");
			free(d);
		}
		panel_error_clear(&e);
		return NULL;
	}
	return res;
}

/* A connection to chaird's socket, tried again until ms have gone: 0 or -errno. */
static int dbench_connect(const struct dbench *b, struct panel_client **cl, int ms)
{
	char err[300];
	int64_t give_up = dbench_now_ns() + (int64_t)ms * 1000000;
	for (;;) {
		int rc = panel_client_connect(cl, b->sock_path, err, sizeof(err));
		if (rc == 0 || dbench_now_ns() > give_up)
			return rc;
		dbench_sleep_ms(20);
	}
}

/* session.status's state ("?" when the call failed), valid until the next call. */
static const char *dbench_status_state(const struct dbench *b, struct panel_client *cl)
{
	static char state[32];
	json_t *r = dbench_must(b, cl, "session.status", NULL);
	const char *v = json_string_value(json_object_get(r, "state"));
	snprintf(state, sizeof(state), "%s", v ? v : "?");
	json_decref(r);
	return state;
}

/* The session's state and the faults, said when the session would not come to run. */
static void dbench_say_stuck(const struct dbench *b, struct panel_client *cl)
{
	json_t *q = dbench_must(b, cl, "session.status", NULL);
	json_t *f = dbench_must(b, cl, "faults.list", NULL);
	char *qs = json_dumps(q, JSON_COMPACT), *fs = json_dumps(f, JSON_COMPACT);
	fprintf(stderr, "%s: the session did not come to run:\n  %s\n  %s\n", b->name,
		qs ? qs : "?", fs ? fs : "?");
	free(qs);
	free(fs);
	json_decref(q);
	json_decref(f);
}

/* Wait for the session to run (homing first, as the visit never scanned): 0, or -1 said. */
static int dbench_wait_running(const struct dbench *b, struct panel_client *cl)
{
	int64_t give_up = dbench_now_ns() + 90 * 1000000000ll;
	char last[32] = "";
	const char *st;
	while (strcmp((st = dbench_status_state(b, cl)), "running") != 0) {
		if (strcmp(last, st) != 0) {
			snprintf(last, sizeof(last), "%s", st);
			fprintf(stderr, "%s: session %s\n", b->name, last);
		}
		if (dbench_now_ns() > give_up || !strcmp(last, "awaiting_pain_after") ||
		    !strcmp(last, "idle")) {
			dbench_say_stuck(b, cl);
			return -1;
		}
		dbench_sleep_ms(100);
	}
	/* The first feedback is taken once the session has been seen running. */
	for (int i = 0; i < 100; i++) {
		json_t *res = NULL;
		struct panel_error e = {0};
		int rc = panel_client_call(cl, "session.feedback",
					   json_pack("{s:s}", "action", "stay"), &res, &e,
					   DBENCH_FEEDBACK_MS);
		panel_error_clear(&e);
		json_decref(res);
		if (rc == 0)
			return 0;
		dbench_sleep_ms(50);
	}
	fprintf(stderr, "%s: the session never took a feedback\n", b->name);
	return -1;
}

/* plan.propose's program text for the visit's user (a new reference), or NULL said. */
static json_t *dbench_plan(const struct dbench *b, struct panel_client *cl)
{
	json_t *r = dbench_must(b, cl, "plan.propose",
				json_pack("{s:s, s:i}", "user", "bench", "duration_min", 5));
	if (!r)
		return NULL;
	json_t *text = json_incref(json_object_get(r, "program_text"));
	json_decref(r);
	if (!json_is_string(text)) {
		fprintf(stderr, "%s: plan.propose gave no program_text\n", b->name);
		json_decref(text);
		return NULL;
	}
	return text;
}

/* A visit up to a running session that takes feedback: a profile, a consultation with one
 * pain area, a body from a height, a 5-minute plan, session.start. 0, or -1 with the step
 * that failed said. */
static int dbench_visit(const struct dbench *b, struct panel_client *cl)
{
	json_t *r;
	if (!(r = dbench_must(b, cl, "users.create", json_pack("{s:s}", "name", "bench"))))
		return -1;
	json_decref(r);
	r = dbench_must(b, cl, "consult.submit",
			json_pack("{s:s, s:[{s:s, s:i}], s:s, s:i}", "user", "bench", "pain",
				  "area", "lower-back", "score", 5, "intensity", "normal",
				  "duration_min", 5));
	if (!r)
		return -1;
	json_decref(r);
	/* A body from a height: a scan would take 20 s of the bench's time. */
	r = dbench_must(b, cl, "scan.manual",
			json_pack("{s:s, s:i}", "user", "bench", "height_cm", 175));
	if (!r)
		return -1;
	json_decref(r);
	json_t *text = dbench_plan(b, cl);
	if (!text)
		return -1;
	r = dbench_must(b, cl, "session.start",
			json_pack("{s:s, s:o}", "user", "bench", "plan", text));
	if (!r)
		return -1;
	json_decref(r);
	return dbench_wait_running(b, cl);
}

#endif
