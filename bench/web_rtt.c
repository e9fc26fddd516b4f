/* The panel's web server under load against the real daemon: chaird (found next to this
 * program's folder, `../chaird`) serving the panel on its socket and on the web
 * (`[web] listen = 127.0.0.1:0`, the checkout's page folder as root) on the in-process
 * simulated chair in real time, its store and socket in a temporary folder
 * (bench/daemon_bench.h). The bench plays the same visit over the socket as
 * bench/api_daemon.c (a profile, a consultation, a body from a height, a 5-minute plan,
 * session.start), opens 20 event streams
 * (`GET /api/events?topics=motion,session,state`, each a browser session of its own) read
 * continuously by a thread each, then:
 *
 * - web_rtt_p50_ms, web_rtt_p99_ms: for RUN_S, `POST /api` session.feedback on one HTTP/1.1
 *   keep-alive connection (plain sockets), timed from writing the request to the reply read
 *   whole (goal: p99 <= 5);
 * - socket_rtt_p50_ms, socket_rtt_p99_ms: the same call on the Unix socket, the reference,
 *   in the same loop: every 10 ms one call on each, the order swapped every turn and the
 *   action alternating stronger/softer (the session unharmed), so both see the same chair and
 *   the same streams; web_rtt_ratio_vs_socket is the ratio of the p99s;
 * - web_info_rtt_* / socket_info_rtt_*: then INFO_RUN_S of server.info the same way, a call
 *   answered at once (feedback waits for the chair's verdict): the transports' own cost;
 * - rt_overruns_before / rt_overruns_after: server.info's rt_overruns (over the web) around
 *   the feedback run;
 * - web_streams_open_at_end: how many of the 20 streams were still open and reading, and
 *   web_sse_lag_c_p50_ms / _p99_ms: what those plain C readers saw of notify.motion's lag
 *   over both runs, CLOCK_MONOTONIC at the reader less the sample's tick_clock_s (the same
 *   clock: no conversion), a reference for the browser's figure (bench/panel_web.mjs).
 *
 * chaird is stopped with SIGTERM. Never fails on a figure; fails only when the bench itself
 * cannot run. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../controller/panel/client.h"
#include "daemon_bench.h"
#include "web_http.h"

#define RUN_S 10.0
#define INFO_RUN_S 3.0
#define TURN_NS 10000000 /* one call on each transport every 10 ms */
#define CALLS_MAX 2000
#define STREAMS 20
#define LAGS_MAX 4096 /* motion samples a stream keeps: 200 s at 20 Hz */

static int web_port;
static atomic_bool stop_streams;
static atomic_int ready_streams;
static atomic_bool counting_lags; /* the readers keep lags only during the runs */

/* The port of "chaird: panel at http://127.0.0.1:PORT/" in its log, waited for with a
 * bound; -1 when it never came or chaird exited. */
static int wait_panel_port(const struct dbench *b, int ms)
{
	int64_t give_up = dbench_now_ns() + (int64_t)ms * 1000000;
	while (dbench_now_ns() < give_up) {
		FILE *f = fopen(b->log, "r");
		char line[512];
		int port = -1;
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "chaird: panel at http://127.0.0.1:%d/", &port) == 1)
				break;
		if (f)
			fclose(f);
		if (port > 0)
			return port;
		if (waitpid(b->pid, NULL, WNOHANG) == b->pid)
			return -1;
		dbench_sleep_ms(20);
	}
	return -1;
}

/* server.info's rt_overruns over the web, or -1. */
static long long web_overruns(struct http_conn *c)
{
	json_t *r = web_rpc(c, "server.info", NULL);
	json_t *v = json_object_get(json_object_get(r, "result"), "rt_overruns");
	long long n = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
	json_decref(r);
	return n;
}

/* --- event streams --------------------------------------------------------------------- */

struct stream {
	pthread_t th;
	struct http_conn c;
	double lag_ms[LAGS_MAX]; /* reader's CLOCK_MONOTONIC less tick_clock_s */
	int lags, motions, sessions, states;
	int status;
	bool open;   /* answered 200 and still reading */
	bool lost;   /* refused, or it ended before the bench stopped it */
};

/* One event's data (the JSON text): counted, and a motion sample's lag kept. */
static void on_event(struct stream *s, const char *data, int64_t arrived_ns)
{
	json_t *m = json_loads(data, 0, NULL);
	const char *method = json_string_value(json_object_get(m, "method"));
	if (method && !strcmp(method, "notify.motion")) {
		s->motions++;
		double tick_s = json_number_value(
			json_object_get(json_object_get(m, "params"), "tick_clock_s"));
		if (tick_s > 0 && s->lags < LAGS_MAX && atomic_load(&counting_lags))
			s->lag_ms[s->lags++] = ((double)arrived_ns / 1e9 - tick_s) * 1e3;
	} else if (method && !strcmp(method, "notify.session")) {
		s->sessions++;
	} else if (method && !strcmp(method, "notify.state")) {
		s->states++;
	}
	json_decref(m);
}

/* Split the decoded text into events ("data: …" lines up to a blank line). */
static size_t take_events(struct stream *s, char *text, size_t len, int64_t arrived_ns)
{
	size_t used = 0;
	char *end;
	while ((end = memmem(text + used, len - used, "\n\n", 2))) {
		*end = '\0';
		char data[HTTP_BUF];
		size_t dn = 0;
		for (char *line = text + used; line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (!strncmp(line, "data: ", 6)) {
				size_t k = strlen(line + 6);
				if (dn + k + 1 < sizeof(data)) {
					memcpy(data + dn, line + 6, k);
					dn += k;
					data[dn++] = '\n';
				}
			}
			line = nl ? nl + 1 : NULL;
		}
		data[dn] = '\0';
		if (dn)
			on_event(s, data, arrived_ns);
		used = (size_t)(end - text) + 2;
	}
	return used;
}

static struct stream streams[STREAMS];

/* GET /api/events on s->c: 0 with the stream's head read (200, chunked), or -1. The web
 * server makes at most 16 new sessions a second and answers the rest 503 with Retry-After
 * 1 (docs/web.md), so a refused stream is asked again a second later, as a browser's
 * EventSource would, until deadline. */
static int open_stream(struct stream *s, int64_t deadline)
{
	char req[256];
	int n = snprintf(req, sizeof(req),
			 "GET /api/events?topics=motion,session,state HTTP/1.1\r\n"
			 "Host: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n\r\n", web_port);
	s->c.fd = -1;
	s->c.port = web_port;
	for (;;) {
		struct http_head h = {0};
		int rc = http_connect(&s->c);
		if (!rc)
			rc = http_send_all(s->c.fd, req, (size_t)n);
		if (!rc)
			rc = http_read_head(&s->c, &h, deadline);
		s->status = h.status;
		if (!rc && h.status == 200 && h.chunked)
			return 0;
		http_close(&s->c);
		if (rc || h.status != 503 || dbench_now_ns() + 1000000000ll > deadline)
			return -1;
		dbench_sleep_ms(1000);
	}
}

/* A reader: GET /api/events, then every event as it comes until told to stop. */
static void *reader_main(void *arg)
{
	struct stream *s = arg;
	static char texts[STREAMS][HTTP_BUF];
	char *text = texts[s - streams];
	size_t text_len = 0;
	if (open_stream(s, dbench_now_ns() + 10 * 1000000000ll)) {
		s->lost = true;
		atomic_fetch_add(&ready_streams, 1);
		return NULL;
	}
	s->open = true;
	atomic_fetch_add(&ready_streams, 1);
	while (!atomic_load(&stop_streams)) {
		int rc = http_read_chunk(&s->c, text, &text_len, HTTP_BUF - 1,
					 dbench_now_ns() + 100000000);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc) { /* the end of the stream (1) or an error: gone before the bench stopped */
			s->lost = true;
			s->open = false;
			break;
		}
		size_t used = take_events(s, text, text_len, dbench_now_ns());
		memmove(text, text + used, text_len - used);
		text_len -= used;
	}
	http_close(&s->c);
	return NULL;
}

static int start_streams(const struct dbench *b)
{
	atomic_store(&stop_streams, false);
	atomic_store(&ready_streams, 0);
	for (int i = 0; i < STREAMS; i++) {
		memset(&streams[i], 0, sizeof(streams[i]));
		int rc = pthread_create(&streams[i].th, NULL, reader_main, &streams[i]);
		if (rc) {
			fprintf(stderr, "%s: thread %d: %s\n", b->name, i, strerror(rc));
			atomic_store(&stop_streams, true);
			for (int j = 0; j < i; j++)
				pthread_join(streams[j].th, NULL);
			return -rc;
		}
	}
	int64_t give_up = dbench_now_ns() + 15 * 1000000000ll;
	while (atomic_load(&ready_streams) < STREAMS && dbench_now_ns() < give_up)
		dbench_sleep_ms(5);
	return 0;
}

static void stop_all_streams(void)
{
	atomic_store(&stop_streams, true);
	for (int i = 0; i < STREAMS; i++)
		pthread_join(streams[i].th, NULL);
}

/* --- the run --------------------------------------------------------------------------- */

struct rtt {
	double ms[CALLS_MAX];
	int calls, refused, failed;
};

/* A refusal at the cap or the end of the range is answered all the same: counted apart. */
static void note(struct rtt *r, int64_t start_ns, bool ok, bool refused, const char *what)
{
	r->ms[r->calls++] = (double)(dbench_now_ns() - start_ns) / 1e6;
	if (refused)
		r->refused++;
	else if (!ok && !r->failed++)
		fprintf(stderr, "web_rtt: session.feedback over %s failed\n", what);
}

/* One call over the web, timed; params a JSON object's text. */
static void web_timed(struct http_conn *c, const char *method, const char *params,
		      struct rtt *r)
{
	int64_t a = dbench_now_ns();
	json_t *reply = web_rpc(c, method, params);
	json_t *err = json_object_get(reply, "error");
	bool refused = json_integer_value(json_object_get(err, "code")) == PANEL_E_REFUSED;
	note(r, a, reply && !err, refused, "the web");
	json_decref(reply);
}

static void socket_timed(struct panel_client *cl, const char *method, const char *params,
			 struct rtt *r)
{
	json_t *res = NULL;
	struct panel_error e = {0};
	json_t *p = json_loads(params, 0, NULL); /* parsed before the clock starts */
	int64_t a = dbench_now_ns();
	int rc = panel_client_call(cl, method, p, &res, &e, DBENCH_FEEDBACK_MS);
	note(r, a, rc == 0, rc == -EREMOTEIO && e.code == PANEL_E_REFUSED, "the socket");
	panel_error_clear(&e);
	json_decref(res);
}

/* run_s of turns, one every 10 ms: each a call of method on both transports, the order
 * swapped every turn; with two actions, the action alternates over the calls (each
 * transport gets both in turn). */
static void paired_run(struct panel_client *cl, struct http_conn *web, const char *method,
		       const char *const actions[2], double run_s, struct rtt *w, struct rtt *s)
{
	char params[2][64];
	for (int i = 0; i < 2; i++)
		snprintf(params[i], sizeof(params[i]), actions ? "{\"action\":\"%s\"}" : "{}",
			 actions ? actions[i] : "");
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	int64_t end = dbench_now_ns() + (int64_t)(run_s * 1e9);
	for (int turn = 0;
	     w->calls < CALLS_MAX && s->calls < CALLS_MAX && dbench_now_ns() < end; turn++) {
		dbench_next_turn(&next, TURN_NS);
		if (turn % 2 == 0) {
			web_timed(web, method, params[0], w);
			socket_timed(cl, method, params[1], s);
		} else {
			socket_timed(cl, method, params[0], s);
			web_timed(web, method, params[1], w);
		}
	}
}

static void print_lags(void)
{
	static double all[STREAMS * LAGS_MAX];
	int n = 0, open = 0, motions = 0, sessions = 0, states = 0, lost = 0;
	for (int i = 0; i < STREAMS; i++) {
		memcpy(all + n, streams[i].lag_ms, sizeof(double) * (size_t)streams[i].lags);
		n += streams[i].lags;
		open += streams[i].open && !streams[i].lost;
		lost += streams[i].lost;
		motions += streams[i].motions;
		sessions += streams[i].sessions;
		states += streams[i].states;
	}
	printf("web_streams_open_at_end: %d\n", open);
	printf("web_streams_lost: %d\n", lost);
	printf("web_stream_notify_motion_mean: %.1f\n", (double)motions / STREAMS);
	printf("web_stream_notify_session_mean: %.1f\n", (double)sessions / STREAMS);
	printf("web_stream_notify_state_mean: %.1f\n", (double)states / STREAMS);
	printf("web_sse_lag_c_samples: %d\n", n);
	printf("web_sse_lag_c_p50_ms: %.2f\n", dbench_pct(all, n, 0.50));
	printf("web_sse_lag_c_p99_ms: %.2f\n", dbench_pct(all, n, 0.99));
	printf("web_sse_lag_c_max_ms: %.2f\n", dbench_pct(all, n, 1.0));
}

/* The bench's own browser session for its POSTs, made before any call is timed: the web
 * server makes at most 16 new sessions a second (the streams may have taken this second's)
 * and answers 503 with Retry-After 1 past it, so it is asked again a second later, at most
 * 5 times. 0, or -1 said. */
static int web_session(const struct dbench *b, struct http_conn *c)
{
	for (int i = 0; i < 5 && !c->cookie[0]; i++) {
		if (i)
			dbench_sleep_ms(1000);
		json_decref(web_rpc(c, "server.info", NULL));
	}
	if (c->cookie[0])
		return 0;
	fprintf(stderr, "%s: the web server gave the bench no session\n", b->name);
	return -1;
}

static int run_all(const struct dbench *b, struct panel_client *cl)
{
	int64_t t0 = dbench_now_ns();
	FILE *load = fopen("/proc/loadavg", "r");
	double load_1min = -1;
	if (load && fscanf(load, "%lf", &load_1min) == 1)
		printf("host_load_1min: %.2f\n", load_1min);
	if (load)
		fclose(load);
	if (dbench_visit(b, cl))
		return -1;
	printf("web_rtt_visit_to_running_s: %.1f\n", (double)(dbench_now_ns() - t0) / 1e9);
	static struct http_conn web = {.fd = -1};
	web.port = web_port;
	if (start_streams(b) || web_session(b, &web))
		return -1;
	long long before = web_overruns(&web);
	atomic_store(&counting_lags, true); /* what came before the runs is set aside */
	static struct rtt w, s, wi, si;
	static const char *const feedback[2] = {"stronger", "softer"};
	paired_run(cl, &web, "session.feedback", feedback, RUN_S, &w, &s);
	long long after = web_overruns(&web);
	/* The transports' own cost: a call answered at once, not at the chair's next turn. */
	paired_run(cl, &web, "server.info", NULL, INFO_RUN_S, &wi, &si);
	atomic_store(&counting_lags, false);
	stop_all_streams();
	double w50 = dbench_pct(w.ms, w.calls, 0.50), w99 = dbench_pct(w.ms, w.calls, 0.99);
	double wmax = dbench_pct(w.ms, w.calls, 1.0);
	double s50 = dbench_pct(s.ms, s.calls, 0.50), s99 = dbench_pct(s.ms, s.calls, 0.99);
	double smax = dbench_pct(s.ms, s.calls, 1.0);
	printf("web_rtt_p50_ms: %.3f\n", w50);
	printf("web_rtt_p99_ms: %.3f\n", w99);
	printf("web_rtt_max_ms: %.3f\n", wmax);
	printf("web_rtt_calls: %d\n", w.calls);
	printf("web_rtt_refused: %d\n", w.refused);
	printf("web_rtt_failed: %d\n", w.failed);
	printf("socket_rtt_p50_ms: %.3f\n", s50);
	printf("socket_rtt_p99_ms: %.3f\n", s99);
	printf("socket_rtt_max_ms: %.3f\n", smax);
	printf("socket_rtt_calls: %d\n", s.calls);
	printf("socket_rtt_failed: %d\n", s.failed);
	printf("web_rtt_ratio_vs_socket: %.2f\n", s99 > 0 ? w99 / s99 : 0);
	printf("web_rtt_p50_ratio_vs_socket: %.2f\n", s50 > 0 ? w50 / s50 : 0);
	printf("web_info_rtt_p50_ms: %.3f\n", dbench_pct(wi.ms, wi.calls, 0.50));
	printf("web_info_rtt_p99_ms: %.3f\n", dbench_pct(wi.ms, wi.calls, 0.99));
	printf("socket_info_rtt_p50_ms: %.3f\n", dbench_pct(si.ms, si.calls, 0.50));
	printf("socket_info_rtt_p99_ms: %.3f\n", dbench_pct(si.ms, si.calls, 0.99));
	printf("web_info_rtt_calls: %d\n", wi.calls);
	printf("web_info_rtt_failed: %d\n", wi.failed + si.failed);
	printf("rt_overruns_before: %lld\n", before);
	printf("rt_overruns_after: %lld\n", after);
	print_lags();
	printf("session_state_after_run: %s\n", dbench_status_state(b, cl));
	http_close(&web);
	return 0;
}

int main(int argc, char **argv)
{
	int64_t t_start = dbench_now_ns();
	static struct dbench b;
	char www[PATH_MAX], web[PATH_MAX + 64];
	if (dbench_open(&b, "web_rtt", argv[0]) ||
	    dbench_find_data(&b, "controller/web/www", www))
		return 1;
	/* The web on any free loopback port, the checkout's page folder as its root. */
	snprintf(web, sizeof(web), "listen = 127.0.0.1:0\nroot = %s\n", www);
	if (dbench_start(&b, "", web))
		return 1;
	int rc = -1;
	struct panel_client *cl = NULL;
	web_port = wait_panel_port(&b, 15000);
	if (web_port < 0)
		fprintf(stderr, "web_rtt: chaird never said where the panel is\n");
	else if ((rc = dbench_connect(&b, &cl, 15000)) != 0)
		fprintf(stderr, "web_rtt: cannot reach chaird at its socket: %s\n", strerror(-rc));
	else
		rc = run_all(&b, cl);
	panel_client_close(cl);

	int exit_code = dbench_stop(&b);
	dbench_finish(&b, rc || exit_code != 0);
	printf("web_rtt_bench_s: %.1f\n", (double)(dbench_now_ns() - t_start) / 1e9);
	return rc ? 1 : 0;
}
