/* The panel's web server under load against the real daemon: chaird (found next to this
 * program's folder, `../chaird`) serving the panel on its socket and on the web
 * (`[web] listen = 127.0.0.1:0`, the checkout's page folder as root) on the in-process
 * simulated chair in real time, its store and socket in a temporary folder. The bench plays
 * a visit over the socket as bench/api_daemon.c does (a profile, a consultation, a body from
 * a height, a 5-minute plan, session.start), opens 20 event streams
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
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../controller/panel/client.h"

#define RUN_S 10.0
#define INFO_RUN_S 3.0
#define TURN_NS 10000000 /* one call on each transport every 10 ms */
#define CALLS_MAX 2000
#define STREAMS 20
#define LAGS_MAX 4096 /* motion samples a stream keeps: 200 s at 20 Hz */
#define CALL_MS 10000
#define HTTP_BUF 65536

static char dir[PATH_MAX], sock_path[PATH_MAX + 16];
static int web_port;
static atomic_bool stop_streams;
static atomic_int ready_streams;
static atomic_bool counting_lags; /* the readers keep lags only during the runs */

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q quantile of n values (sorted here), 0 for none. */
static double pct(double *v, int n, double q)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return v[(int)(q * (n - 1) + 0.5)];
}

/* --- chaird ---------------------------------------------------------------------------- */

/* A file or folder of the checkout: from the working folder, or up from the bench's own. */
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
	fprintf(stderr, "web_rtt: %s not found from here or above the bench\n", rel);
	return -ENOENT;
}

/* The sim backend in real time, store and socket here, the checkout's tables and page
 * folder, the web on any free loopback port. */
static int write_config(const char *path, const char *rules, const char *advice,
			const char *www)
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
		"[panel]\nsocket = %s\n"
		"[session]\nrules = %s\nadvice = %s\n"
		"[web]\nlisten = 127.0.0.1:0\nroot = %s\n",
		dir, sock_path, rules, advice, www);
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

/* The port of "chaird: panel at http://127.0.0.1:PORT/" in its log, waited for with a
 * bound; -1 when it never came or chaird exited. */
static int wait_panel_port(const char *log, pid_t pid, int ms)
{
	int64_t give_up = now_ns() + (int64_t)ms * 1000000;
	while (now_ns() < give_up) {
		FILE *f = fopen(log, "r");
		char line[512];
		int port = -1;
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "chaird: panel at http://127.0.0.1:%d/", &port) == 1)
				break;
		if (f)
			fclose(f);
		if (port > 0)
			return port;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		sleep_ms(20);
	}
	return -1;
}

static void show_log(const char *log)
{
	FILE *f = fopen(log, "r");
	char line[512];
	fprintf(stderr, "web_rtt: chaird said:\n");
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

/* --- HTTP/1.1 on a plain socket -------------------------------------------------------- */

/* One keep-alive connection: what was read and not yet taken is buf[0..len). */
struct http_conn {
	int fd;
	char cookie[128]; /* "chair_session=…" once the server set it */
	char buf[HTTP_BUF];
	size_t len;
};

static int http_connect(struct http_conn *c)
{
	c->len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)web_port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a))) {
		int e = errno;
		close(c->fd);
		c->fd = -1;
		return -e;
	}
	return 0;
}

static void http_close(struct http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -ECONNRESET;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read more into c->buf, waiting at most until deadline (CLOCK_MONOTONIC ns). */
static int fill(struct http_conn *c, int64_t deadline)
{
	if (c->len >= sizeof(c->buf))
		return -EMSGSIZE;
	int ms = (int)((deadline - now_ns()) / 1000000);
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int r = poll(&p, 1, ms > 0 ? ms : 0);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	ssize_t k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (k == 0)
		return -ECONNRESET;
	if (k < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	c->len += (size_t)k;
	return 0;
}

static void take(struct http_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* A header's value in the block head (lines of "Name: value\r\n"), copied to out. */
static bool header(const char *head, const char *name, char *out, size_t out_len)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, nl) || p[2 + nl] != ':')
			continue;
		const char *v = p + 3 + nl;
		while (*v == ' ')
			v++;
		size_t n = strcspn(v, "\r\n");
		snprintf(out, out_len, "%.*s", (int)(n < out_len ? n : out_len - 1), v);
		return true;
	}
	return false;
}

struct http_head {
	int status;
	long long content_length; /* -1: none */
	bool chunked, close;
};

/* Read a response's status line and headers; the session cookie is kept when set. */
static int read_head(struct http_conn *c, struct http_head *h, int64_t deadline)
{
	char *end;
	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		int rc = fill(c, deadline);
		if (rc)
			return rc;
	}
	size_t n = (size_t)(end - c->buf) + 4;
	char head[8192];
	snprintf(head, sizeof(head), "%.*s", (int)(n < sizeof(head) ? n : sizeof(head) - 1),
		 c->buf);
	take(c, n);
	if (sscanf(head, "HTTP/1.%*d %d", &h->status) != 1)
		return -EPROTO;
	char v[256];
	h->content_length = header(head, "Content-Length", v, sizeof(v)) ? atoll(v) : -1;
	h->chunked = header(head, "Transfer-Encoding", v, sizeof(v)) && strcasestr(v, "chunked");
	h->close = header(head, "Connection", v, sizeof(v)) && strcasestr(v, "close");
	if (header(head, "Set-Cookie", v, sizeof(v)) && !strncmp(v, "chair_session=", 14))
		snprintf(c->cookie, sizeof(c->cookie), "%.*s", (int)strcspn(v, ";"), v);
	return 0;
}

/* The next chunk of a chunked body appended to out (at most out_max): 1 when it was the
 * last (size 0), 0 for another to come, or -errno. */
static int read_chunk(struct http_conn *c, char *out, size_t *out_len, size_t out_max,
		      int64_t deadline)
{
	char *eol;
	while (!(eol = memmem(c->buf, c->len, "\r\n", 2))) {
		int rc = fill(c, deadline);
		if (rc)
			return rc;
	}
	unsigned long size = strtoul(c->buf, NULL, 16);
	size_t line = (size_t)(eol - c->buf) + 2;
	if (size > sizeof(c->buf) - line - 2)
		return -EMSGSIZE;
	while (c->len < line + size + 2) {
		int rc = fill(c, deadline);
		if (rc)
			return rc;
	}
	if (*out_len + size > out_max)
		return -EMSGSIZE;
	memcpy(out + *out_len, c->buf + line, size);
	*out_len += size;
	take(c, line + size + 2);
	return size == 0;
}

/* One request and its whole reply on c (connected again if the server had closed it). The
 * reply's body goes to out (NUL-terminated, cut at out_max - 1). Returns the status or
 * -errno. */
static int http_call(struct http_conn *c, const char *method, const char *path,
		     const char *body, char *out, size_t out_max, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	if (c->fd < 0 && http_connect(c))
		return -ECONNREFUSED;
	char req[1024];
	size_t body_len = body ? strlen(body) : 0;
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%s"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			 method, path, web_port, c->cookie[0] ? "Cookie: " : "", c->cookie,
			 c->cookie[0] ? "\r\n" : "", body_len);
	int rc = send_all(c->fd, req, (size_t)n);
	if (!rc && body_len)
		rc = send_all(c->fd, body, body_len);
	struct http_head h = {0};
	if (!rc)
		rc = read_head(c, &h, deadline);
	size_t got = 0;
	if (!rc && h.chunked) {
		while ((rc = read_chunk(c, out, &got, out_max - 1, deadline)) == 0)
			;
		rc = rc == 1 ? 0 : rc;
	} else if (!rc && h.content_length >= 0) {
		while (!rc && c->len < (size_t)h.content_length)
			rc = fill(c, deadline);
		if (!rc) {
			got = (size_t)h.content_length < out_max - 1 ? (size_t)h.content_length
								     : out_max - 1;
			memcpy(out, c->buf, got);
			take(c, (size_t)h.content_length);
		}
	}
	out[got] = '\0';
	if (rc || h.close)
		http_close(c);
	return rc ? rc : h.status;
}

/* A JSON-RPC call by POST /api: the reply object (a new reference), or NULL. */
static json_t *web_rpc(struct http_conn *c, const char *method, const char *params_json)
{
	static atomic_int next_id;
	char body[512], reply[HTTP_BUF];
	snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}",
		 atomic_fetch_add(&next_id, 1) + 1, method, params_json ? params_json : "{}");
	int status = http_call(c, "POST", "/api", body, reply, sizeof(reply), CALL_MS);
	if (status != 200)
		return NULL;
	return json_loads(reply, 0, NULL);
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

/* A reader: GET /api/events, then every event as it comes until told to stop. */
static void *reader_main(void *arg)
{
	struct stream *s = arg;
	static char texts[STREAMS][HTTP_BUF];
	char *text = texts[s - streams];
	size_t text_len = 0;
	int64_t deadline = now_ns() + 10 * 1000000000ll;
	char req[256];
	int n = snprintf(req, sizeof(req),
			 "GET /api/events?topics=motion,session,state HTTP/1.1\r\n"
			 "Host: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n\r\n", web_port);
	struct http_head h = {0};
	s->c.fd = -1;
	if (http_connect(&s->c) || send_all(s->c.fd, req, (size_t)n) ||
	    read_head(&s->c, &h, deadline) || h.status != 200 || !h.chunked) {
		s->status = h.status;
		s->lost = true;
		atomic_fetch_add(&ready_streams, 1);
		http_close(&s->c);
		return NULL;
	}
	s->status = h.status;
	s->open = true;
	atomic_fetch_add(&ready_streams, 1);
	while (!atomic_load(&stop_streams)) {
		int rc = read_chunk(&s->c, text, &text_len, HTTP_BUF - 1, now_ns() + 100000000);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc) { /* the end of the stream (1) or an error: gone before the bench stopped */
			s->lost = true;
			s->open = false;
			break;
		}
		size_t used = take_events(s, text, text_len, now_ns());
		memmove(text, text + used, text_len - used);
		text_len -= used;
	}
	http_close(&s->c);
	return NULL;
}

static int start_streams(void)
{
	atomic_store(&stop_streams, false);
	atomic_store(&ready_streams, 0);
	for (int i = 0; i < STREAMS; i++) {
		memset(&streams[i], 0, sizeof(streams[i]));
		int rc = pthread_create(&streams[i].th, NULL, reader_main, &streams[i]);
		if (rc) {
			fprintf(stderr, "web_rtt: thread %d: %s\n", i, strerror(rc));
			atomic_store(&stop_streams, true);
			for (int j = 0; j < i; j++)
				pthread_join(streams[j].th, NULL);
			return -rc;
		}
	}
	int64_t give_up = now_ns() + 15 * 1000000000ll;
	while (atomic_load(&ready_streams) < STREAMS && now_ns() < give_up)
		sleep_ms(5);
	return 0;
}

static void stop_all_streams(void)
{
	atomic_store(&stop_streams, true);
	for (int i = 0; i < STREAMS; i++)
		pthread_join(streams[i].th, NULL);
}

/* --- the socket: the visit and the reference ------------------------------------------ */

/* A call that must succeed for the bench to go on: its result, or NULL with a message. */
static json_t *must(struct panel_client *cl, const char *method, json_t *params)
{
	json_t *res = NULL;
	struct panel_error e = {0};
	int rc = panel_client_call(cl, method, params, &res, &e, 60000);
	if (rc) {
		fprintf(stderr, "web_rtt: %s: %s\n", method,
			rc == -EREMOTEIO ? e.message : strerror(-rc));
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

static const char *status_state(struct panel_client *cl)
{
	static char state[32];
	json_t *r = must(cl, "session.status", NULL);
	const char *v = json_string_value(json_object_get(r, "state"));
	snprintf(state, sizeof(state), "%s", v ? v : "?");
	json_decref(r);
	return state;
}

/* A visit up to a running session, as bench/api_daemon.c plays it: 0, or -1 said. */
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
		fprintf(stderr, "web_rtt: plan.propose gave no program_text\n");
		json_decref(text);
		return -1;
	}
	r = must(cl, "session.start", json_pack("{s:s, s:o}", "user", "bench", "plan", text));
	if (!r)
		return -1;
	json_decref(r);
	int64_t give_up = now_ns() + 90 * 1000000000ll; /* homing first, then the first step */
	const char *st;
	while (strcmp((st = status_state(cl)), "running") != 0) {
		if (now_ns() > give_up || !strcmp(st, "awaiting_pain_after") ||
		    !strcmp(st, "idle")) {
			fprintf(stderr, "web_rtt: the session did not come to run (%s)\n", st);
			return -1;
		}
		sleep_ms(100);
	}
	/* The first feedback is taken once the session has been seen running. */
	for (int i = 0; i < 100; i++) {
		json_t *res = NULL;
		struct panel_error e = {0};
		int rc = panel_client_call(cl, "session.feedback",
					   json_pack("{s:s}", "action", "stay"), &res, &e, CALL_MS);
		panel_error_clear(&e);
		json_decref(res);
		if (rc == 0)
			return 0;
		sleep_ms(50);
	}
	fprintf(stderr, "web_rtt: the session never took a feedback\n");
	return -1;
}

/* --- the run --------------------------------------------------------------------------- */

struct rtt {
	double ms[CALLS_MAX];
	int calls, refused, failed;
};

/* A refusal at the cap or the end of the range is answered all the same: counted apart. */
static void note(struct rtt *r, int64_t start_ns, bool ok, bool refused, const char *what)
{
	r->ms[r->calls++] = (double)(now_ns() - start_ns) / 1e6;
	if (refused)
		r->refused++;
	else if (!ok && !r->failed++)
		fprintf(stderr, "web_rtt: session.feedback over %s failed\n", what);
}

/* One call over the web, timed; params a JSON object's text. */
static void web_timed(struct http_conn *c, const char *method, const char *params,
		      struct rtt *r)
{
	int64_t a = now_ns();
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
	int64_t a = now_ns();
	int rc = panel_client_call(cl, method, p, &res, &e, CALL_MS);
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
	int64_t end = now_ns() + (int64_t)(run_s * 1e9);
	for (int turn = 0; w->calls < CALLS_MAX && s->calls < CALLS_MAX && now_ns() < end;
	     turn++) {
		next.tv_nsec += TURN_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
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
	printf("web_sse_lag_c_p50_ms: %.2f\n", pct(all, n, 0.50));
	printf("web_sse_lag_c_p99_ms: %.2f\n", pct(all, n, 0.99));
	printf("web_sse_lag_c_max_ms: %.2f\n", pct(all, n, 1.0));
}

static int run_all(struct panel_client *cl)
{
	int64_t t0 = now_ns();
	FILE *load = fopen("/proc/loadavg", "r");
	double load_1min = -1;
	if (load && fscanf(load, "%lf", &load_1min) == 1)
		printf("host_load_1min: %.2f\n", load_1min);
	if (load)
		fclose(load);
	if (visit(cl))
		return -1;
	printf("web_rtt_visit_to_running_s: %.1f\n", (double)(now_ns() - t0) / 1e9);
	static struct http_conn web = {.fd = -1};
	if (start_streams())
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
	double w50 = pct(w.ms, w.calls, 0.50), w99 = pct(w.ms, w.calls, 0.99);
	double wmax = pct(w.ms, w.calls, 1.0);
	double s50 = pct(s.ms, s.calls, 0.50), s99 = pct(s.ms, s.calls, 0.99);
	double smax = pct(s.ms, s.calls, 1.0);
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
	printf("web_info_rtt_p50_ms: %.3f\n", pct(wi.ms, wi.calls, 0.50));
	printf("web_info_rtt_p99_ms: %.3f\n", pct(wi.ms, wi.calls, 0.99));
	printf("socket_info_rtt_p50_ms: %.3f\n", pct(si.ms, si.calls, 0.50));
	printf("socket_info_rtt_p99_ms: %.3f\n", pct(si.ms, si.calls, 0.99));
	printf("web_info_rtt_calls: %d\n", wi.calls);
	printf("web_info_rtt_failed: %d\n", wi.failed + si.failed);
	printf("rt_overruns_before: %lld\n", before);
	printf("rt_overruns_after: %lld\n", after);
	print_lags();
	printf("session_state_after_run: %s\n", status_state(cl));
	http_close(&web);
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
		fprintf(stderr, "web_rtt: %s: %s\n", chaird, strerror(errno));
		return 1;
	}
	char rules[PATH_MAX], advice[PATH_MAX], www[PATH_MAX];
	if (find_data(bin_dir, "controller/data/consultation.rules", rules) ||
	    find_data(bin_dir, "controller/data/care-advice.rules", advice) ||
	    find_data(bin_dir, "controller/web/www", www))
		return 1;
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/web_rtt.XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(dir)) {
		fprintf(stderr, "web_rtt: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/panel.sock", dir);
	char config[PATH_MAX + 16], log[PATH_MAX + 16];
	snprintf(config, sizeof(config), "%s/chair.ini", dir);
	snprintf(log, sizeof(log), "%s/chaird.log", dir);
	if (write_config(config, rules, advice, www)) {
		fprintf(stderr, "web_rtt: %s: cannot write it\n", config);
		remove_dir();
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pid_t pid = start_chaird(chaird, config, log);
	if (pid < 0) {
		fprintf(stderr, "web_rtt: fork: %s\n", strerror(errno));
		remove_dir();
		return 1;
	}
	int rc = -1;
	struct panel_client *cl = NULL;
	web_port = wait_panel_port(log, pid, 15000);
	if (web_port < 0)
		fprintf(stderr, "web_rtt: chaird never said where the panel is\n");
	else if ((rc = connect_retry(&cl, 15000)) != 0)
		fprintf(stderr, "web_rtt: cannot reach chaird at its socket: %s\n", strerror(-rc));
	else
		rc = run_all(cl);
	panel_client_close(cl);

	kill(pid, SIGTERM);
	int status = 0;
	int64_t give_up = now_ns() + 10 * 1000000000ll;
	pid_t w;
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 && now_ns() < give_up)
		sleep_ms(20);
	if (w == 0) { /* it did not go: that is a finding, and the bench must not leave it */
		fprintf(stderr, "web_rtt: chaird still running 10 s after SIGTERM\n");
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	int exit_code = w == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	printf("chaird_exit_status: %d\n", exit_code);
	if (rc || exit_code != 0)
		show_log(log);
	remove_dir();
	printf("web_rtt_bench_s: %.1f\n", (double)(now_ns() - t_start) / 1e9);
	return rc ? 1 : 0;
}
