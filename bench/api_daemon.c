/* The panel API under load against the real daemon: chaird (found next to this program's
 * folder, `../chaird`) serving the API on the in-process simulated chair in real time, its
 * store and socket in a temporary folder. The bench plays a visit through the API (a
 * profile, a consultation with one pain area, a body from a height, a 5-minute plan,
 * session.start), then, while the session runs:
 *
 * - api_daemon_rtt_p50_ms, api_daemon_rtt_p99_ms: session.feedback ("stronger" and
 *   "softer" in turn) once every 5 ms for 10 s, each timed from send to reply, while 20
 *   clients subscribed to motion, session and state read everything (goal: p99 <= 2 ms);
 *   api_daemon_rtt_p99_ms_alone: the same 10 s without them, the reference;
 *   rt_overruns_alone / rt_overruns_with_clients: the rt loop's missed periods over each run
 *   (io.read's overruns; goal: no more with the clients than without);
 *   notify_motion_hz: what one of the 20 received.
 * - api_daemon_subscribers_max: the largest of 50, 100, 200 clients subscribed to motion
 *   that, over 3 s, each receive every notify.motion the daemon sent (the union of what
 *   all of them saw, by t_s) at 10 Hz or more, none dropped (goal >= 100).
 *
 * chaird is stopped with SIGTERM; its exit status and whether it removed its socket are
 * printed. Never fails on a figure; fails only when the bench itself cannot run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../controller/panel/client.h"

#define RUN_S 10.0
#define CALL_EVERY_NS 5000000 /* a feedback every 5 ms */
#define CALLS_MAX 4000
#define RTT_SUBSCRIBERS 20
#define FAN_WINDOW_S 3.0
#define SEEN_MAX 1024 /* t_s values a subscriber keeps: 50 s at 20 Hz */
#define CALL_MS 10000
#define MOTION_PERIOD_S 0.050 /* the session's notify.motion period (20 Hz) */

static char dir[PATH_MAX], sock_path[PATH_MAX + 16];
static atomic_bool stop_clients;
static atomic_int ready_clients;

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&t, NULL);
}

/* --- chaird ---------------------------------------------------------------------------- */

/* A file of the checkout: from the working folder, or up from the bench's own folder. */
static int find_data(const char *bin_dir, const char *rel, char out[PATH_MAX])
{
	if (realpath(rel, out))
		return 0;
	char up[PATH_MAX];
	snprintf(up, sizeof(up), "%s", bin_dir);
	for (int i = 0; i < 6; i++) {
		char p[PATH_MAX * 2];
		snprintf(p, sizeof(p), "%s/%s", up, rel);
		if (realpath(p, out))
			return 0;
		strncat(up, "/..", sizeof(up) - strlen(up) - 1);
	}
	fprintf(stderr, "api_daemon: %s not found from here or above the bench\n", rel);
	return -ENOENT;
}

/* The daemon's configuration: the sim backend in real time, store and socket here, the
 * checkout's tables, and this user's group as technicians (io.read gives the overruns). */
static int write_config(const char *path, const char *rules, const char *advice)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	/* The host is a virtual machine: its vCPUs stall now and then, which the shipped
	 * 20-period tolerance would call a fault (as in the end-to-end scripts). */
	fprintf(f,
		"[hal]\nbackend = sim\nsim_seed = 5\n"
		"[rt]\nmax_late_periods = 200\n"
		"[store]\npath = %s/chair.db\n"
		"[panel]\nsocket = %s\ntechnician_group = %d\n"
		"[session]\nrules = %s\nadvice = %s\n"
		"[web]\nlisten = off\n", /* the socket's figures, without the web panel */
		dir, sock_path, (int)getgid(), rules, advice);
	return fclose(f) ? -errno : 0;
}

static pid_t start_chaird(const char *chaird, const char *config, const char *log)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	execl(chaird, chaird, "--config", config, (char *)NULL);
	_exit(127);
}

static void show_log(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[512];
	fprintf(stderr, "api_daemon: chaird said:\n");
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "  %s", line);
	if (f)
		fclose(f);
}

/* Remove the temporary folder and what chaird left in it (store, WAL, log, config). */
static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[PATH_MAX * 2];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* --- calls ----------------------------------------------------------------------------- */

/* A call that must succeed for the bench to go on: its result, or NULL with a message. */
static json_t *must(struct panel_client *cl, const char *method, json_t *params)
{
	json_t *res = NULL;
	struct panel_error e = {0};
	int rc = panel_client_call(cl, method, params, &res, &e, 60000);
	if (rc) {
		fprintf(stderr, "api_daemon: %s: %s\n", method,
			rc == -EREMOTEIO ? e.message : strerror(-rc));
		if (rc == -EREMOTEIO && e.data) {
			char *d = json_dumps(e.data, JSON_COMPACT);
			fprintf(stderr, "api_daemon:   data %s\n", d ? d : "?");
			free(d);
		}
		panel_error_clear(&e);
		return NULL;
	}
	return res;
}

static int connect_retry(struct panel_client **cl, int ms)
{
	char err[300];
	int64_t give_up = now_ns() + (int64_t)ms * 1000000;
	for (;;) {
		int rc = panel_client_connect(cl, sock_path, err, sizeof(err));
		if (rc == 0 || now_ns() > give_up)
			return rc;
		sleep_ms(20);
	}
}

/* io.read's count of periods the rt loop missed, or -1. */
static long long rt_overruns(struct panel_client *cl)
{
	json_t *r = must(cl, "io.read", NULL);
	long long n = r ? (long long)json_integer_value(json_object_get(r, "overruns")) : -1;
	json_decref(r);
	return n;
}

static const char *status_state(struct panel_client *cl)
{
	static char state[32];
	json_t *r = must(cl, "session.status", NULL);
	const char *v = json_string_value(json_object_get(r, "state"));
	snprintf(state, sizeof(state), "%s", v ? v : "?");
	json_decref(r);
	return state;
}

/* A visit up to a running session: 0, or -1 with the step that failed said. */
static int visit(struct panel_client *cl)
{
	json_t *r;
	if (!(r = must(cl, "users.create", json_pack("{s:s}", "name", "bench"))))
		return -1;
	json_decref(r);
	r = must(cl, "consult.submit",
		 json_pack("{s:s, s:[{s:s, s:i}], s:s, s:i}", "user", "bench", "pain", "area",
			   "lower-back", "score", 5, "intensity", "normal", "duration_min", 5));
	if (!r)
		return -1;
	json_decref(r);
	/* A body from a height: a scan would take 20 s of the bench's time. */
	if (!(r = must(cl, "scan.manual", json_pack("{s:s, s:i}", "user", "bench", "height_cm",
						    175))))
		return -1;
	json_decref(r);
	if (!(r = must(cl, "plan.propose", json_pack("{s:s, s:i}", "user", "bench",
						     "duration_min", 5))))
		return -1;
	json_t *text = json_incref(json_object_get(r, "program_text"));
	json_decref(r);
	if (!json_is_string(text)) {
		fprintf(stderr, "api_daemon: plan.propose gave no program_text\n");
		json_decref(text);
		return -1;
	}
	r = must(cl, "session.start", json_pack("{s:s, s:o}", "user", "bench", "plan", text));
	if (!r)
		return -1;
	json_decref(r);
	/* Homing first (the visit never scanned), then the session's first step. */
	int64_t give_up = now_ns() + 90 * 1000000000ll;
	char last[32] = "";
	while (strcmp(status_state(cl), "running") != 0) {
		if (strcmp(last, status_state(cl)) != 0) {
			snprintf(last, sizeof(last), "%s", status_state(cl));
			fprintf(stderr, "api_daemon: session %s\n", last);
		}
		if (now_ns() > give_up || !strcmp(last, "awaiting_pain_after") ||
		    !strcmp(last, "idle")) {
			json_t *q = must(cl, "session.status", NULL);
			json_t *f = must(cl, "faults.list", NULL);
			char *qs = json_dumps(q, JSON_COMPACT), *fs = json_dumps(f, JSON_COMPACT);
			fprintf(stderr, "api_daemon: the session did not come to run:\n  %s\n  %s\n",
				qs ? qs : "?", fs ? fs : "?");
			free(qs);
			free(fs);
			json_decref(q);
			json_decref(f);
			return -1;
		}
		sleep_ms(100);
	}
	return 0;
}

/* --- subscribers ----------------------------------------------------------------------- */

struct subscriber {
	pthread_t th;
	const char *topics; /* "motion" or "all" */
	double seen_t_s[SEEN_MAX]; /* notify.motion's t_s, in arrival order */
	int seen;
	int sessions;    /* notify.session */
	int states;      /* notify.state */
	int lost;        /* could not connect or subscribe, or the connection went */
	int64_t first_ns, last_ns;
};

static void *subscriber_main(void *arg)
{
	struct subscriber *s = arg;
	struct panel_client *cl = NULL;
	json_t *res = NULL;
	struct panel_error e = {0};
	json_t *topics = strcmp(s->topics, "all") ? json_pack("{s:[s]}", "topics", "motion")
		: json_pack("{s:[sss]}", "topics", "motion", "session", "state");
	if (connect_retry(&cl, 5000) ||
	    panel_client_call(cl, "subscribe", topics, &res, &e, 30000)) {
		s->lost = 1;
		panel_error_clear(&e);
	}
	json_decref(res);
	atomic_fetch_add(&ready_clients, 1);
	while (!s->lost && !atomic_load(&stop_clients)) {
		json_t *m;
		int rc = panel_client_read_message(cl, &m, 100);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc) {
			s->lost = 1;
			break;
		}
		const char *method = json_string_value(json_object_get(m, "method"));
		if (method && !strcmp(method, "notify.motion")) {
			if (s->seen < SEEN_MAX)
				s->seen_t_s[s->seen++] = json_number_value(
					json_object_get(json_object_get(m, "params"), "t_s"));
			s->last_ns = now_ns();
			if (!s->first_ns)
				s->first_ns = s->last_ns;
		} else if (method && !strcmp(method, "notify.session")) {
			s->sessions++;
		} else if (method && !strcmp(method, "notify.state")) {
			s->states++;
		}
		json_decref(m);
	}
	panel_client_close(cl);
	return NULL;
}

/* Start n subscriber threads and wait until each has subscribed (or failed to). */
static int start_subscribers(struct subscriber *subs, int n, const char *topics)
{
	atomic_store(&stop_clients, false);
	atomic_store(&ready_clients, 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < n; i++) {
		memset(&subs[i], 0, sizeof(subs[i]));
		subs[i].topics = topics;
		int rc = pthread_create(&subs[i].th, &attr, subscriber_main, &subs[i]);
		if (rc) {
			fprintf(stderr, "api_daemon: thread %d: %s\n", i, strerror(rc));
			atomic_store(&stop_clients, true);
			for (int j = 0; j < i; j++)
				pthread_join(subs[j].th, NULL);
			pthread_attr_destroy(&attr);
			return -rc;
		}
	}
	pthread_attr_destroy(&attr);
	int64_t give_up = now_ns() + 30 * 1000000000ll;
	while (atomic_load(&ready_clients) < n && now_ns() < give_up)
		sleep_ms(5);
	return 0;
}

static void stop_subscribers(struct subscriber *subs, int n)
{
	atomic_store(&stop_clients, true);
	for (int i = 0; i < n; i++)
		pthread_join(subs[i].th, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* How many of a subscriber's t_s lie in [from, to]. */
static int seen_in(const struct subscriber *s, double from, double to)
{
	int n = 0;
	for (int i = 0; i < s->seen; i++)
		n += s->seen_t_s[i] >= from && s->seen_t_s[i] <= to;
	return n;
}

struct fan_result {
	int complete;     /* subscribers that got every notification of the window, not lost */
	int lost;
	int sent;         /* distinct notify.motion in the window, over all subscribers */
	double window_s;  /* of the chair's time */
	double hz;
};

/* What the daemon sent in the window every subscriber was there for (by t_s, less a
 * period at each end), and which subscribers got all of it. */
static void fan_count(struct subscriber *subs, int n, struct fan_result *fr)
{
	memset(fr, 0, sizeof(*fr));
	double from = -INFINITY, to = INFINITY;
	for (int i = 0; i < n; i++) {
		if (subs[i].lost) {
			fr->lost++;
			continue;
		}
		if (!subs[i].seen)
			continue;
		from = fmax(from, subs[i].seen_t_s[0]);
		to = fmin(to, subs[i].seen_t_s[subs[i].seen - 1]);
	}
	from += MOTION_PERIOD_S;
	to -= MOTION_PERIOD_S;
	if (!(to > from))
		return;
	static double all[SEEN_MAX * 8];
	int k = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < subs[i].seen && k < (int)(sizeof(all) / sizeof(all[0])); j++)
			if (subs[i].seen_t_s[j] >= from && subs[i].seen_t_s[j] <= to) {
				/* distinct values only, as the list grows sorted per subscriber */
				bool dup = false;
				for (int q = 0; q < k && !dup; q++)
					dup = all[q] == subs[i].seen_t_s[j];
				if (!dup)
					all[k++] = subs[i].seen_t_s[j];
			}
	qsort(all, (size_t)k, sizeof(all[0]), cmp_double);
	fr->sent = k;
	fr->window_s = to - from;
	fr->hz = k > 1 ? (k - 1) / (all[k - 1] - all[0]) : 0;
	for (int i = 0; i < n; i++)
		fr->complete += !subs[i].lost && seen_in(&subs[i], from, to) == k;
}

/* --- the runs -------------------------------------------------------------------------- */

struct rtt_run {
	double rtt_ms[CALLS_MAX];
	int calls, refused, failed;
	long long overruns;
};

static double pct(const struct rtt_run *r, double q)
{
	static double v[CALLS_MAX];
	if (!r->calls)
		return 0;
	memcpy(v, r->rtt_ms, sizeof(double) * (size_t)r->calls);
	qsort(v, (size_t)r->calls, sizeof(v[0]), cmp_double);
	return v[(int)(q * (r->calls - 1) + 0.5)];
}

/* RUN_S of session.feedback every 5 ms on cl, each timed; the overruns over the run. */
static void feedback_run(struct panel_client *cl, struct rtt_run *r)
{
	memset(r, 0, sizeof(*r));
	long long before = rt_overruns(cl);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	int64_t end = now_ns() + (int64_t)(RUN_S * 1e9);
	while (r->calls < CALLS_MAX && now_ns() < end) {
		next.tv_nsec += CALL_EVERY_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		json_t *res = NULL;
		struct panel_error e = {0};
		const char *action = r->calls % 2 ? "softer" : "stronger";
		int64_t a = now_ns();
		int rc = panel_client_call(cl, "session.feedback",
					   json_pack("{s:s}", "action", action), &res, &e,
					   CALL_MS);
		r->rtt_ms[r->calls++] = (double)(now_ns() - a) / 1e6;
		if (rc == -EREMOTEIO && e.code == PANEL_E_REFUSED)
			r->refused++; /* at the cap or the end of the range: answered all the same */
		else if (rc) {
			if (!r->failed++)
				fprintf(stderr, "api_daemon: session.feedback: %s\n",
					rc == -EREMOTEIO ? e.message : strerror(-rc));
		}
		panel_error_clear(&e);
		json_decref(res);
	}
	long long after = rt_overruns(cl);
	r->overruns = before >= 0 && after >= 0 ? after - before : -1;
}

/* n motion subscribers for FAN_WINDOW_S: whether each got every notification. */
static bool fan_run(int n)
{
	struct subscriber *subs = calloc((size_t)n, sizeof(*subs));
	if (!subs || start_subscribers(subs, n, "motion")) {
		free(subs);
		return false;
	}
	sleep_ms((int)(FAN_WINDOW_S * 1000) + 2 * (int)(MOTION_PERIOD_S * 1000));
	stop_subscribers(subs, n);
	struct fan_result fr;
	fan_count(subs, n, &fr);
	printf("api_daemon_subscribers_%d_complete: %d\n", n, fr.complete);
	printf("api_daemon_subscribers_%d_lost: %d\n", n, fr.lost);
	printf("api_daemon_subscribers_%d_notify_motion_hz: %.1f\n", n, fr.hz);
	free(subs);
	return fr.complete == n && fr.hz >= 10.0 && fr.window_s >= FAN_WINDOW_S * 0.8;
}

static int run_all(struct panel_client *cl)
{
	int64_t t0 = now_ns();
	if (visit(cl))
		return -1;
	/* The first feedback is taken once the session has been seen running. */
	for (int i = 0; i < 100; i++) {
		json_t *r = NULL;
		struct panel_error e = {0};
		int rc = panel_client_call(cl, "session.feedback",
					   json_pack("{s:s}", "action", "stay"), &r, &e, CALL_MS);
		panel_error_clear(&e);
		json_decref(r);
		if (rc == 0)
			break;
		sleep_ms(50);
	}
	printf("api_daemon_visit_to_running_s: %.1f\n", (double)(now_ns() - t0) / 1e9);

	static struct rtt_run alone, with;
	feedback_run(cl, &alone);
	static struct subscriber subs[RTT_SUBSCRIBERS];
	if (start_subscribers(subs, RTT_SUBSCRIBERS, "all"))
		return -1;
	feedback_run(cl, &with);
	stop_subscribers(subs, RTT_SUBSCRIBERS);
	struct fan_result fr;
	fan_count(subs, RTT_SUBSCRIBERS, &fr);

	printf("api_daemon_rtt_p50_ms: %.3f\n", pct(&with, 0.50));
	printf("api_daemon_rtt_p99_ms: %.3f\n", pct(&with, 0.99));
	printf("api_daemon_rtt_max_ms: %.3f\n", pct(&with, 1.0));
	printf("api_daemon_rtt_calls: %d\n", with.calls);
	printf("api_daemon_rtt_refused: %d\n", with.refused);
	printf("api_daemon_rtt_failed: %d\n", with.failed);
	printf("api_daemon_rtt_p50_ms_alone: %.3f\n", pct(&alone, 0.50));
	printf("api_daemon_rtt_p99_ms_alone: %.3f\n", pct(&alone, 0.99));
	printf("api_daemon_rtt_max_ms_alone: %.3f\n", pct(&alone, 1.0));
	printf("api_daemon_rtt_calls_alone: %d\n", alone.calls);
	printf("api_daemon_rtt_failed_alone: %d\n", alone.failed);
	printf("rt_overruns_alone: %lld\n", alone.overruns);
	printf("rt_overruns_with_clients: %lld\n", with.overruns);
	printf("notify_motion_hz: %.1f\n", fr.hz);
	printf("api_daemon_rtt_subscribers_complete: %d\n", fr.complete);
	printf("api_daemon_rtt_subscribers_lost: %d\n", fr.lost);
	printf("api_daemon_rtt_subscriber_notify_session: %d\n", subs[0].sessions);
	printf("api_daemon_rtt_subscriber_notify_state: %d\n", subs[0].states);
	printf("session_state_after_runs: %s\n", status_state(cl));

	static const int counts[] = {50, 100, 200};
	int best = 0;
	long long before = rt_overruns(cl);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (!fan_run(counts[i]))
			break;
		best = counts[i];
	}
	long long after = rt_overruns(cl);
	printf("api_daemon_subscribers_max: %d\n", best);
	printf("rt_overruns_fanout: %lld\n", before >= 0 && after >= 0 ? after - before : -1);
	return 0;
}

int main(int argc, char **argv)
{
	int64_t t_start = now_ns();
	char self[PATH_MAX], bin_dir[PATH_MAX], chaird[PATH_MAX + 16];
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(bin_dir, sizeof(bin_dir), "%s", dirname(self));
	snprintf(chaird, sizeof(chaird), "%s/../chaird", bin_dir);
	if (access(chaird, X_OK) != 0) {
		fprintf(stderr, "api_daemon: %s: %s\n", chaird, strerror(errno));
		return 1;
	}
	char rules[PATH_MAX], advice[PATH_MAX];
	if (find_data(bin_dir, "controller/data/consultation.rules", rules) ||
	    find_data(bin_dir, "controller/data/care-advice.rules", advice))
		return 1;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/api_daemon.XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "api_daemon: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/panel.sock", dir);
	char config[PATH_MAX + 16], log[PATH_MAX + 16];
	snprintf(config, sizeof(config), "%s/chair.ini", dir);
	snprintf(log, sizeof(log), "%s/chaird.log", dir);
	if (write_config(config, rules, advice)) {
		fprintf(stderr, "api_daemon: %s: cannot write it\n", config);
		remove_dir();
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pid_t pid = start_chaird(chaird, config, log);
	if (pid < 0) {
		fprintf(stderr, "api_daemon: fork: %s\n", strerror(errno));
		remove_dir();
		return 1;
	}
	struct panel_client *cl = NULL;
	int rc = connect_retry(&cl, 15000);
	if (rc == 0)
		rc = run_all(cl);
	else
		fprintf(stderr, "api_daemon: cannot reach chaird at its socket: %s\n", strerror(-rc));
	panel_client_close(cl);

	kill(pid, SIGTERM);
	int status = 0;
	int64_t give_up = now_ns() + 10 * 1000000000ll;
	pid_t w;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_ns() < give_up)
		sleep_ms(20);
	if (w == 0) { /* it did not go: that is a finding, and the bench must not leave it */
		fprintf(stderr, "api_daemon: chaird still running 10 s after SIGTERM\n");
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	int exit_code = w == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	printf("chaird_exit_status: %d\n", exit_code);
	printf("chaird_socket_removed: %s\n", access(sock_path, F_OK) == 0 ? "no" : "yes");
	if (rc || exit_code != 0)
		show_log(log);
	remove_dir();
	printf("api_daemon_bench_s: %.1f\n", (double)(now_ns() - t_start) / 1e9);
	return rc ? 1 : 0;
}
