/* The panel API under load, against the panel server alone (the session is stood in for by
 * a handler as small as session.feedback's answer): the server's loop in this thread, as
 * chaird's main thread runs it, emitting notify.motion on a timer; the clients are threads,
 * each with a blocking panel client.
 *
 * - api_rtt_p50_ms, api_rtt_p99_ms: 2,000 session.feedback calls one after the other, each
 *   timed from send to reply, while 20 subscribed clients receive notify.motion at 100 Hz
 *   (goal: p99 <= 2 ms); the same without subscribers as the reference
 *   (api_rtt_p50_ms_alone, api_rtt_p99_ms_alone), and whether the 20 got every
 *   notification (api_rtt_subscribers_missed).
 * - api_subscribers_max: the largest of 50, 100, 200, 400 clients that all receive every
 *   notify.motion at 10 Hz over 3 s in order, none dropped (goal >= 100);
 *   api_notify_fanout_us_p50 / _max: how long one panel_notify takes at that count (the
 *   clients' threads waking on the same CPUs are in it).
 *
 * Never fails on a figure; fails only when the bench itself cannot run. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../controller/panel/client.h"
#include "../controller/panel/panel.h"

#define RTT_CALLS 2000
#define RTT_SUBSCRIBERS 20
#define RTT_HZ 100.0
#define FAN_HZ 10.0
#define FAN_NOTIFIES 30 /* 3 s at 10 Hz */

static char sock_path[96];
static atomic_bool stop_clients;
static atomic_int ready_clients;

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* --- the server side ------------------------------------------------------------------- */

static const char *const actions[] = {"stronger", "softer", "faster", "slower", "wider",
				      "narrower", "stay", "skip", "too_much", "there",
				      "eased", NULL};
static const struct panel_param feedback_params[] = {
	{.name = "action", .type = PANEL_P_ENUM, .required = true, .choices = actions},
	PANEL_PARAMS_END,
};

/* session.feedback's answer without the session: what the real one sends back. */
static int h_feedback(void *app, struct panel_call *call, json_t *params, json_t **result,
		      struct panel_error *err)
{
	(*(long *)app)++;
	*result = json_pack("{s:f,s:s}", "force_target_n", 18.0, "zone", "lower-back");
	return 0;
}

static const struct panel_method methods[] = {
	{"session.feedback", PANEL_ROLE_USER, feedback_params, h_feedback},
	PANEL_METHODS_END,
};

/* A notify.motion as PANEL.md has it, numbered. */
static json_t *motion(int seq, double t_s)
{
	return json_pack("{s:i,s:f,s:f,s:s,s:f,s:f,s:f,s:f,s:f,s:f,s:{s:f,s:f},s:{s:b}}", "seq",
			 seq, "t_s", t_s, "y_mm", 612.0 + seq % 50, "zone", "lower-back",
			 "force_n", 24.1, "force_target_n", 25.0, "cap_n", 60.0, "knead_rpm",
			 30.0, "tap_rpm", 0.0, "width_mm", 110.0, "airbags", "calves", 12.5,
			 "arms", 0.0, "heaters", "lumbar", 1);
}

#define FANOUT_SAMPLES 4096

struct loop_stats {
	int notifies;
	int64_t fanout_max_ns;
	double fanout_us[FANOUT_SAMPLES];
};

/* Serve the panel and emit notify.motion at hz until *done (or count notifications were
 * sent, when count > 0), then serve tail_ms more for the last bytes to go out. */
static void serve(struct panel *p, double hz, int count, atomic_bool *done, int tail_ms,
		  struct loop_stats *ls)
{
	int64_t period = (int64_t)(1e9 / hz), start = now_ns(), next = start + period;
	memset(ls, 0, sizeof(*ls));
	for (;;) {
		if ((done && atomic_load(done)) || (count > 0 && ls->notifies >= count))
			break;
		int64_t t = now_ns();
		if (t >= next) {
			int64_t a = now_ns();
			panel_notify(p, PANEL_TOPIC_MOTION, "notify.motion",
				     motion(ls->notifies + 1, (double)(t - start) / 1e9));
			int64_t took = now_ns() - a;
			if (took > ls->fanout_max_ns)
				ls->fanout_max_ns = took;
			if (ls->notifies < FANOUT_SAMPLES)
				ls->fanout_us[ls->notifies] = (double)took / 1e3;
			ls->notifies++;
			next += period;
			continue;
		}
		int wait_ms = (int)((next - t + 999999) / 1000000);
		panel_poll(p, wait_ms);
	}
	int64_t end = now_ns() + (int64_t)tail_ms * 1000000;
	while (now_ns() < end)
		panel_poll(p, 5);
}

/* Serve until n clients subscribe to motion (they connect from their threads). */
static int serve_until_subscribed(struct panel *p, int n)
{
	int64_t give_up = now_ns() + 30 * 1000000000ll;
	while (panel_subscriber_count(p, PANEL_TOPIC_MOTION) < n || atomic_load(&ready_clients) < n) {
		if (now_ns() > give_up)
			return -ETIMEDOUT;
		panel_poll(p, 5);
	}
	return 0;
}

/* --- the client side ------------------------------------------------------------------- */

struct subscriber {
	pthread_t th;
	int received;  /* notify.motion in order */
	int out_of_order;
	int failed;    /* could not connect or subscribe, or the connection went */
};

static void *subscriber_main(void *arg)
{
	struct subscriber *s = arg;
	struct panel_client *cl;
	char err[200];
	if (panel_client_connect(&cl, sock_path, err, sizeof(err))) {
		s->failed = 1;
		atomic_fetch_add(&ready_clients, 1);
		return NULL;
	}
	json_t *res = NULL;
	struct panel_error e = {0};
	if (panel_client_call(cl, "subscribe", json_pack("{s:[s]}", "topics", "motion"), &res, &e,
			      30000)) {
		s->failed = 1;
		panel_error_clear(&e);
	}
	json_decref(res);
	atomic_fetch_add(&ready_clients, 1);
	while (!s->failed && !atomic_load(&stop_clients)) {
		char method[32];
		json_t *params;
		int rc = panel_client_next_notification(cl, method, sizeof(method), &params, 100);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc) {
			s->failed = 1;
			break;
		}
		if (strcmp(method, "notify.motion") == 0) {
			if (json_integer_value(json_object_get(params, "seq")) == s->received + 1)
				s->received++;
			else
				s->out_of_order++;
		}
		json_decref(params);
	}
	panel_client_close(cl);
	return NULL;
}

static int start_subscribers(struct subscriber *subs, int n)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int i = 0; i < n; i++) {
		memset(&subs[i], 0, sizeof(subs[i]));
		int rc = pthread_create(&subs[i].th, &attr, subscriber_main, &subs[i]);
		if (rc) {
			fprintf(stderr, "api: thread %d: %s\n", i, strerror(rc));
			return -rc;
		}
	}
	pthread_attr_destroy(&attr);
	return 0;
}

static void join_subscribers(struct subscriber *subs, int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(subs[i].th, NULL);
}

struct caller {
	pthread_t th;
	double rtt_ms[RTT_CALLS];
	int failed;
	atomic_bool done;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;
	struct panel_client *cl;
	char err[200];
	if (panel_client_connect(&cl, sock_path, err, sizeof(err))) {
		fprintf(stderr, "api: %s\n", err);
		c->failed = 1;
		atomic_store(&c->done, true);
		return NULL;
	}
	/* One call a millisecond, so that the calls spread over 2 s of notifications (a
	 * person's feedback is far sparser; back-to-back calls would all fit between two). */
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int i = 0; i < RTT_CALLS && !c->failed; i++) {
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		json_t *res = NULL;
		struct panel_error e = {0};
		int64_t a = now_ns();
		int rc = panel_client_call(cl, "session.feedback",
					   json_pack("{s:s}", "action", i % 2 ? "softer" : "stronger"),
					   &res, &e, 5000);
		c->rtt_ms[i] = (double)(now_ns() - a) / 1e6;
		if (rc) {
			fprintf(stderr, "api: call %d: %s\n", i, rc == -EREMOTEIO ? e.message
									   : strerror(-rc));
			panel_error_clear(&e);
			c->failed = 1;
		}
		json_decref(res);
	}
	panel_client_close(cl);
	atomic_store(&c->done, true);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(double *v, int n, double q)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	int i = (int)(q * (n - 1) + 0.5);
	return v[i];
}

static struct panel *open_server(int max_clients, long *calls)
{
	struct panel *p;
	struct panel_config cfg = {.socket_path = sock_path, .max_clients = max_clients};
	char err[200];
	if (panel_open(&p, &cfg, methods, calls, err, sizeof(err))) {
		fprintf(stderr, "api: %s\n", err);
		return NULL;
	}
	return p;
}

/* 2,000 calls with `subscribers` clients receiving notify.motion at 100 Hz meanwhile. */
static int rtt_run(int subscribers, double *p50, double *p99, int *missed, int *notifies)
{
	long calls = 0;
	struct panel *p = open_server(0, &calls);
	if (!p)
		return -1;
	static struct subscriber subs[RTT_SUBSCRIBERS];
	atomic_store(&stop_clients, false);
	atomic_store(&ready_clients, 0);
	if (start_subscribers(subs, subscribers) || serve_until_subscribed(p, subscribers)) {
		fprintf(stderr, "api: the subscribers did not come\n");
		return -1;
	}
	static struct caller c;
	memset(&c, 0, sizeof(c));
	pthread_create(&c.th, NULL, caller_main, &c);
	static struct loop_stats ls;
	serve(p, RTT_HZ, 0, &c.done, 300, &ls);
	pthread_join(c.th, NULL);
	atomic_store(&stop_clients, true);
	/* Serve while they notice and leave. */
	for (int i = 0; i < 40; i++)
		panel_poll(p, 5);
	join_subscribers(subs, subscribers);
	*missed = 0;
	for (int i = 0; i < subscribers; i++)
		*missed += ls.notifies - subs[i].received + subs[i].failed;
	struct panel_stats st;
	panel_get_stats(p, &st);
	*missed += (int)st.dropped_slow;
	panel_close(p);
	if (c.failed || calls != RTT_CALLS)
		return -1;
	*notifies = ls.notifies;
	*p50 = percentile(c.rtt_ms, RTT_CALLS, 0.50);
	*p99 = percentile(c.rtt_ms, RTT_CALLS, 0.99);
	return 0;
}

/* Whether n subscribers all get every notify.motion at 10 Hz over 3 s, none dropped. */
static bool fanout_run(int n, int64_t *fanout_max_ns, double *fanout_p50_us)
{
	long calls = 0;
	struct panel *p = open_server(n + 16, &calls);
	if (!p)
		return false;
	struct subscriber *subs = calloc((size_t)n, sizeof(*subs));
	atomic_store(&stop_clients, false);
	atomic_store(&ready_clients, 0);
	bool ok = start_subscribers(subs, n) == 0 && serve_until_subscribed(p, n) == 0;
	static struct loop_stats ls;
	memset(&ls, 0, sizeof(ls));
	if (ok)
		serve(p, FAN_HZ, FAN_NOTIFIES, NULL, 500, &ls);
	atomic_store(&stop_clients, true);
	for (int i = 0; i < 40; i++)
		panel_poll(p, 5);
	join_subscribers(subs, n);
	struct panel_stats st;
	panel_get_stats(p, &st);
	int short_of = 0;
	for (int i = 0; i < n; i++)
		if (subs[i].failed || subs[i].out_of_order || subs[i].received != FAN_NOTIFIES)
			short_of++;
	printf("api_subscribers_%d_complete: %d\n", n, n - short_of);
	printf("api_notify_fanout_us_p50_%d: %.1f\n", n,
	       ls.notifies ? percentile(ls.fanout_us, ls.notifies, 0.5) : 0.0);
	ok = ok && short_of == 0 && st.dropped_slow == 0;
	*fanout_max_ns = ls.fanout_max_ns;
	*fanout_p50_us = ls.notifies ? percentile(ls.fanout_us, ls.notifies, 0.5) : 0;
	free(subs);
	panel_close(p);
	return ok;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(sock_path, sizeof(sock_path), "%s/bench-api.%d.sock", tmp && *tmp ? tmp : P_tmpdir,
		 (int)getpid());
	double p50, p99, p50_alone, p99_alone;
	int missed, missed_alone, notifies, notifies_alone;
	if (rtt_run(0, &p50_alone, &p99_alone, &missed_alone, &notifies_alone) ||
	    rtt_run(RTT_SUBSCRIBERS, &p50, &p99, &missed, &notifies)) {
		fprintf(stderr, "api: the round-trip run failed\n");
		unlink(sock_path);
		return 1;
	}
	printf("api_rtt_p50_ms: %.3f\n", p50);
	printf("api_rtt_p99_ms: %.3f\n", p99);
	printf("api_rtt_subscribers: %d\n", RTT_SUBSCRIBERS);
	printf("api_rtt_notify_motion_sent: %d\n", notifies);
	printf("api_rtt_subscribers_missed: %d\n", missed);
	printf("api_rtt_p50_ms_alone: %.3f\n", p50_alone);
	printf("api_rtt_p99_ms_alone: %.3f\n", p99_alone);

	static const int counts[] = {50, 100, 200, 400};
	int best = 0;
	int64_t best_fanout_ns = 0;
	double best_fanout_p50_us = 0;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		int64_t fan_ns = 0;
		double fan_p50 = 0;
		if (!fanout_run(counts[i], &fan_ns, &fan_p50))
			break;
		best = counts[i];
		best_fanout_ns = fan_ns;
		best_fanout_p50_us = fan_p50;
	}
	printf("api_subscribers_max: %d\n", best);
	printf("api_notify_fanout_us_p50: %.1f\n", best_fanout_p50_us);
	printf("api_notify_fanout_us_max: %.1f\n", (double)best_fanout_ns / 1e3);
	unlink(sock_path);
	return 0;
}
