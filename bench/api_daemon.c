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
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../controller/panel/client.h"
#include "daemon_bench.h"

#define RUN_S 10.0
#define CALL_EVERY_NS 5000000 /* a feedback every 5 ms */
#define CALLS_MAX 4000
#define RTT_SUBSCRIBERS 20
#define FAN_WINDOW_S 3.0
#define SEEN_MAX 1024 /* t_s values a subscriber keeps: 50 s at 20 Hz */
#define MOTION_PERIOD_S 0.050 /* the session's notify.motion period (20 Hz) */

static atomic_bool stop_clients;
static atomic_int ready_clients;

/* io.read's count of periods the rt loop missed, or -1. */
static long long rt_overruns(const struct dbench *b, struct panel_client *cl)
{
	json_t *r = dbench_must(b, cl, "io.read", NULL);
	long long n = r ? (long long)json_integer_value(json_object_get(r, "overruns")) : -1;
	json_decref(r);
	return n;
}

/* --- subscribers ----------------------------------------------------------------------- */

struct subscriber {
	pthread_t th;
	const struct dbench *b;
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
	if (dbench_connect(s->b, &cl, 5000) ||
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
			s->last_ns = dbench_now_ns();
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
static int start_subscribers(const struct dbench *b, struct subscriber *subs, int n,
			     const char *topics)
{
	atomic_store(&stop_clients, false);
	atomic_store(&ready_clients, 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < n; i++) {
		memset(&subs[i], 0, sizeof(subs[i]));
		subs[i].b = b;
		subs[i].topics = topics;
		int rc = pthread_create(&subs[i].th, &attr, subscriber_main, &subs[i]);
		if (rc) {
			fprintf(stderr, "%s: thread %d: %s\n", b->name, i, strerror(rc));
			atomic_store(&stop_clients, true);
			for (int j = 0; j < i; j++)
				pthread_join(subs[j].th, NULL);
			pthread_attr_destroy(&attr);
			return -rc;
		}
	}
	pthread_attr_destroy(&attr);
	int64_t give_up = dbench_now_ns() + 30 * 1000000000ll;
	while (atomic_load(&ready_clients) < n && dbench_now_ns() < give_up)
		dbench_sleep_ms(5);
	return 0;
}

static void stop_subscribers(struct subscriber *subs, int n)
{
	atomic_store(&stop_clients, true);
	for (int i = 0; i < n; i++)
		pthread_join(subs[i].th, NULL);
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
	qsort(all, (size_t)k, sizeof(all[0]), dbench_cmp_double);
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

/* The q quantile of a run's round trips, the run's own order kept. */
static double pct(const struct rtt_run *r, double q)
{
	static double v[CALLS_MAX];
	memcpy(v, r->rtt_ms, sizeof(double) * (size_t)r->calls);
	return dbench_pct(v, r->calls, q);
}

/* RUN_S of session.feedback every 5 ms on cl, each timed; the overruns over the run. */
static void feedback_run(const struct dbench *b, struct panel_client *cl, struct rtt_run *r)
{
	memset(r, 0, sizeof(*r));
	long long before = rt_overruns(b, cl);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	int64_t end = dbench_now_ns() + (int64_t)(RUN_S * 1e9);
	while (r->calls < CALLS_MAX && dbench_now_ns() < end) {
		dbench_next_turn(&next, CALL_EVERY_NS);
		json_t *res = NULL;
		struct panel_error e = {0};
		const char *action = r->calls % 2 ? "softer" : "stronger";
		int64_t a = dbench_now_ns();
		int rc = panel_client_call(cl, "session.feedback",
					   json_pack("{s:s}", "action", action), &res, &e,
					   DBENCH_FEEDBACK_MS);
		r->rtt_ms[r->calls++] = (double)(dbench_now_ns() - a) / 1e6;
		if (rc == -EREMOTEIO && e.code == PANEL_E_REFUSED)
			r->refused++; /* at the cap or the end of the range: answered all the same */
		else if (rc) {
			if (!r->failed++)
				fprintf(stderr, "%s: session.feedback: %s\n", b->name,
					rc == -EREMOTEIO ? e.message : strerror(-rc));
		}
		panel_error_clear(&e);
		json_decref(res);
	}
	long long after = rt_overruns(b, cl);
	r->overruns = before >= 0 && after >= 0 ? after - before : -1;
}

/* n motion subscribers for FAN_WINDOW_S: whether each got every notification. */
static bool fan_run(const struct dbench *b, int n)
{
	struct subscriber *subs = calloc((size_t)n, sizeof(*subs));
	if (!subs || start_subscribers(b, subs, n, "motion")) {
		free(subs);
		return false;
	}
	dbench_sleep_ms((int)(FAN_WINDOW_S * 1000) + 2 * (int)(MOTION_PERIOD_S * 1000));
	stop_subscribers(subs, n);
	struct fan_result fr;
	fan_count(subs, n, &fr);
	printf("api_daemon_subscribers_%d_complete: %d\n", n, fr.complete);
	printf("api_daemon_subscribers_%d_lost: %d\n", n, fr.lost);
	printf("api_daemon_subscribers_%d_notify_motion_hz: %.1f\n", n, fr.hz);
	free(subs);
	return fr.complete == n && fr.hz >= 10.0 && fr.window_s >= FAN_WINDOW_S * 0.8;
}

static int run_all(const struct dbench *b, struct panel_client *cl)
{
	int64_t t0 = dbench_now_ns();
	if (dbench_visit(b, cl))
		return -1;
	printf("api_daemon_visit_to_running_s: %.1f\n", (double)(dbench_now_ns() - t0) / 1e9);

	static struct rtt_run alone, with;
	feedback_run(b, cl, &alone);
	static struct subscriber subs[RTT_SUBSCRIBERS];
	if (start_subscribers(b, subs, RTT_SUBSCRIBERS, "all"))
		return -1;
	feedback_run(b, cl, &with);
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
	printf("session_state_after_runs: %s\n", dbench_status_state(b, cl));

	static const int counts[] = {50, 100, 200};
	int best = 0;
	long long before = rt_overruns(b, cl);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (!fan_run(b, counts[i]))
			break;
		best = counts[i];
	}
	long long after = rt_overruns(b, cl);
	printf("api_daemon_subscribers_max: %d\n", best);
	printf("rt_overruns_fanout: %lld\n", before >= 0 && after >= 0 ? after - before : -1);
	return 0;
}

int main(int argc, char **argv)
{
	int64_t t_start = dbench_now_ns();
	static struct dbench b;
	if (dbench_open(&b, "api_daemon", argv[0]))
		return 1;
	/* This user's group as technicians: io.read gives the overruns. The socket's figures,
	 * without the web panel. */
	char panel_more[64];
	snprintf(panel_more, sizeof(panel_more), "technician_group = %d\n", (int)getgid());
	if (dbench_start(&b, panel_more, "listen = off\n"))
		return 1;
	struct panel_client *cl = NULL;
	int rc = dbench_connect(&b, &cl, 15000);
	if (rc == 0)
		rc = run_all(&b, cl);
	else
		fprintf(stderr, "api_daemon: cannot reach chaird at its socket: %s\n", strerror(-rc));
	panel_client_close(cl);

	int exit_code = dbench_stop(&b);
	printf("chaird_socket_removed: %s\n", access(b.sock_path, F_OK) == 0 ? "no" : "yes");
	dbench_finish(&b, rc || exit_code != 0);
	printf("api_daemon_bench_s: %.1f\n", (double)(dbench_now_ns() - t_start) / 1e9);
	return rc ? 1 : 0;
}
