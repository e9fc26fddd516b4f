/* What the web server's suites (test_web.c, test_web_sessions.c) share. A plain HTTP/1.1
 * client over non-blocking sockets: a request sent whole, its answer read until the peer
 * closes (or until a text shows, for an event stream), the status and headers picked out,
 * one browser's cookie kept; every wait turns the server's loop (client.pump) and is
 * bounded by WEB_CLIENT_WAIT_S. Then the harness: a real panel with a small method table,
 * a page root in a temporary folder, the web server on 127.0.0.1 (a free port), the
 * sessions' clock stepped by the tests, set-up and tear-down. Header-only. */
#ifndef TEST_WEB_CLIENT_H
#define TEST_WEB_CLIENT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../controller/panel/panel.h"
#include "../controller/web/web.h"

#define RESP_MAX (128 * 1024)
#define WEB_CLIENT_WAIT_S 5.0 /* the bound of every wait for a condition */

struct resp {
	int status;
	char text[RESP_MAX + 1]; /* the whole answer, headers and body */
	size_t len;
	const char *body;
};

static struct {
	int port;
	char host[64];    /* "Host: 127.0.0.1:PORT\r\n" */
	char cookie[128]; /* "Cookie: chair_session=...\r\n" of the last session taken */
	void (*pump)(void); /* one turn of the server's loop */
} client;

/* Real time, only for the bounds of the waits. */
static inline double wall_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int connect_web(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)client.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) /* the backlog takes it */
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static inline void send_all(int fd, const char *data, size_t len)
{
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	while (len && wall_now_s() < until) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN) {
			return; /* the server closed: its answer says why */
		} else {
			client.pump();
		}
	}
}

/* Read into r until the peer closes (every request says Connection: close), or until the
 * text has want in it (an event stream stays open). Returns false at the bound. */
static inline bool read_until(int fd, struct resp *r, const char *want)
{
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	while (wall_now_s() < until) {
		if (want && strstr(r->text, want))
			return true;
		ssize_t n = recv(fd, r->text + r->len, RESP_MAX - r->len, 0);
		if (n == 0)
			return !want;
		if (n > 0) {
			r->len += (size_t)n;
			r->text[r->len] = '\0';
			continue;
		}
		if (errno != EAGAIN)
			return !want;
		client.pump();
	}
	return false;
}

static inline void parse(struct resp *r)
{
	r->status = 0;
	sscanf(r->text, "HTTP/1.%*d %d", &r->status);
	char *end = strstr(r->text, "\r\n\r\n");
	r->body = end ? end + 4 : r->text + r->len;
}

/* The value of header name in r (the first), or NULL; copied into a static buffer. */
static inline const char *header(const struct resp *r, const char *name)
{
	static char value[512];
	const char *end = strstr(r->text, "\r\n\r\n");
	for (const char *p = strstr(r->text, "\r\n"); p && (!end || p < end);
	     p = strstr(p + 2, "\r\n")) {
		size_t n = strlen(name);
		if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
			const char *v = p + 3 + n;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r");
			if (len >= sizeof(value))
				len = sizeof(value) - 1;
			memcpy(value, v, len);
			value[len] = '\0';
			return value;
		}
	}
	return NULL;
}

/* Send a whole request text and read the whole answer (calloc'd: free it). */
static inline struct resp *raw(const char *text, size_t len)
{
	struct resp *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	int fd = connect_web();
	send_all(fd, text, len);
	read_until(fd, r, NULL);
	close(fd);
	parse(r);
	return r;
}

/* method path with extra header lines (each ending \r\n) and a body (NULL: none). */
static inline struct resp *req(const char *method, const char *path, const char *extra,
			       const char *body)
{
	size_t blen = body ? strlen(body) : 0;
	size_t cap = blen + 2048;
	char *text = malloc(cap);
	if (!text)
		abort();
	int n = snprintf(text, cap, "%s %s HTTP/1.1\r\n%s%sConnection: close\r\n", method, path,
			 strstr(extra ? extra : "", "Host:") ? "" : client.host, extra ? extra : "");
	if (body)
		n += snprintf(text + n, cap - (size_t)n, "Content-Length: %zu\r\n", blen);
	n += snprintf(text + n, cap - (size_t)n, "\r\n");
	if (body)
		memcpy(text + n, body, blen);
	struct resp *r = raw(text, (size_t)n + blen);
	free(text);
	return r;
}

/* Keep the cookie r sets as the browser's; false when it sets none. */
static inline bool take_cookie(const struct resp *r)
{
	const char *sc = header(r, "Set-Cookie");
	char value[100];
	if (!sc || sscanf(sc, "chair_session=%99[0-9a-f]", value) != 1)
		return false;
	snprintf(client.cookie, sizeof(client.cookie), "Cookie: chair_session=%s\r\n", value);
	return true;
}

/* POST /api of body, as the browser when with_cookie, a poll (X-Chair-Poll: 1) when poll. */
static inline struct resp *api_ex(const char *body, bool with_cookie, bool poll)
{
	char extra[256];
	snprintf(extra, sizeof(extra), "Content-Type: application/json\r\n%s%s",
		 with_cookie ? client.cookie : "", poll ? "X-Chair-Poll: 1\r\n" : "");
	return req("POST", "/api", extra, body);
}

static inline struct resp *api(const char *body, bool with_cookie)
{
	return api_ex(body, with_cookie, false);
}

/* Start a POST /api of the browser on its own connection without waiting for the answer. */
static inline int start_api(const char *body)
{
	char text[1024];
	int n = snprintf(text, sizeof(text),
			 "POST /api HTTP/1.1\r\n%s%sContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 client.host, client.cookie, strlen(body), body);
	int fd = connect_web();
	send_all(fd, text, (size_t)n);
	return fd;
}

/* Read the answer of a start_api: its status, and its JSON (NULL when none). */
static inline json_t *finish_status(int fd, int *status)
{
	struct resp *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	bool whole = read_until(fd, r, NULL);
	close(fd);
	parse(r);
	*status = whole ? r->status : 0;
	json_t *reply = json_loads(r->body, 0, NULL);
	free(r);
	return reply;
}

/* GET /api/events?topics=... on its own connection, left open; r is cleared for it. */
static inline int open_stream(const char *topics, struct resp *r, bool with_cookie)
{
	char text[512];
	int n = snprintf(text, sizeof(text),
			 "GET /api/events?topics=%s HTTP/1.1\r\n%s%s\r\n", topics, client.host,
			 with_cookie ? client.cookie : "");
	int fd = connect_web();
	send_all(fd, text, (size_t)n);
	memset(r, 0, sizeof(*r));
	return fd;
}

/* ==== the harness ================================================================== */

static char dir[64], root[96], sock_path[128];
static struct panel *panel;
static struct web *web;

static struct app {
	uint64_t handles[8];
	int n_handles;
	int n_later; /* every deferred call, the ones past handles[] too */
	uint64_t closed[8];
	int n_closed;
} app;

/* ---- the panel's side: a few methods ------------------------------------------------ */

static const struct panel_param echo_params[] = {
	{.name = "text", .type = PANEL_P_STRING, .required = true, .max_len = 64},
	PANEL_PARAMS_END,
};

static int h_echo(void *a, struct panel_call *call, json_t *params, json_t **result,
		  struct panel_error *err)
{
	*result = json_deep_copy(params);
	return 0;
}

static int h_later(void *a, struct panel_call *call, json_t *params, json_t **result,
		   struct panel_error *err)
{
	struct app *ap = a;
	ap->n_later++;
	if (ap->n_handles < 8)
		ap->handles[ap->n_handles++] = panel_call_defer(call);
	return PANEL_DEFERRED;
}

static int h_poke(void *a, struct panel_call *call, json_t *params, json_t **result,
		  struct panel_error *err)
{
	panel_notify(call->panel, PANEL_TOPIC_MOTION, "notify.motion",
		     json_pack("{s:f}", "y_mm", 12.5));
	panel_notify(call->panel, PANEL_TOPIC_STATE, "notify.state",
		     json_pack("{s:s}", "state", "idle"));
	return 0;
}

static int h_login(void *a, struct panel_call *call, json_t *params, json_t **result,
		   struct panel_error *err)
{
	panel_call_raise_role(call, PANEL_ROLE_TECHNICIAN, 300); /* below session_idle_s */
	*result = json_pack("{s:s}", "role", "technician");
	return 0;
}

/* Answers the first deferred call: from within another call, as a scan's end would. */
static int h_release(void *a, struct panel_call *call, json_t *params, json_t **result,
		     struct panel_error *err)
{
	struct app *ap = a;
	if (ap->n_handles > 0)
		panel_reply(call->panel, ap->handles[0], json_pack("{s:s}", "who", "secret"));
	*result = json_true();
	return 0;
}

static const struct panel_method methods[] = {
	{"release", PANEL_ROLE_USER, NULL, h_release},
	{"echo", PANEL_ROLE_USER, echo_params, h_echo},
	{"later", PANEL_ROLE_USER, NULL, h_later},
	{"poke", PANEL_ROLE_USER, NULL, h_poke},
	{"auth.login", PANEL_ROLE_USER, NULL, h_login},
	{"tech.only", PANEL_ROLE_TECHNICIAN, NULL, h_echo},
	PANEL_METHODS_END,
};

static void on_close(void *a, uint64_t conn_id)
{
	struct app *ap = a;
	if (ap->n_closed < 8)
		ap->closed[ap->n_closed++] = conn_id;
}

/* ---- the page files ---------------------------------------------------------------- */

static inline void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static inline void make_root(void)
{
	char p[256], q[256];
	snprintf(root, sizeof(root), "%s/www", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/tech", root);
	assert_int_equal(mkdir(p, 0755), 0);
	put("index.html", "<!doctype html><title>home</title>INDEX\n");
	put("login.html", "<!doctype html><title>login</title>LOGIN\n");
	put("sub/index.html", "SUBINDEX\n");
	put("tech/index.html", "TECHPAGE\n");
	put("app.js", "export const x = 1;\n");
	put("style.css", "body{}\n");
	put("img.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>\n");
	put("pic.png", "PNG\n");
	put("data.json", "{}\n");
	put("favicon.ico", "ICO\n");
	put("font.woff2", "WOFF\n");
	put("thing.xyz", "XYZ\n");
	put(".hidden.html", "HIDDEN\n");
	snprintf(p, sizeof(p), "%s/secret.txt", dir); /* outside the root */
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("SECRET\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/link.html", root); /* a link to a file inside the root */
	assert_int_equal(symlink("index.html", p), 0);
	snprintf(p, sizeof(p), "%s/out.txt", root);
	snprintf(q, sizeof(q), "%s/secret.txt", dir);
	assert_int_equal(symlink(q, p), 0);
	snprintf(p, sizeof(p), "%s/linkdir", root); /* a link to a folder inside the root */
	assert_int_equal(symlink("sub", p), 0);
}

static inline int rm_tree(const char *path)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

/* ---- the loop and the clock ------------------------------------------------------- */

/* The sessions' and the panel's clock: stepped by the tests, never read from the host, so
 * no result depends on how fast it runs. */
static int64_t clock_ms;

static inline int64_t test_clock_ms(void *arg)
{
	(void)arg;
	return clock_ms;
}

static inline double test_clock_s(void *arg)
{
	(void)arg;
	return (double)clock_ms / 1000.0;
}

/* One turn of the daemon's loop: the panel and the web in one poll. */
static inline void pump(void)
{
	struct pollfd fds[128];
	int n = panel_pollfds(panel, fds, 120);
	int m = web_pollfds(web, fds + n, 128 - n);
	int timeout_ms = web_poll_timeout_ms(web, panel_poll_timeout_ms(panel, 2));
	poll(fds, (nfds_t)(n + m), timeout_ms);
	panel_service(panel, fds, n);
	web_service(web, fds + n, m);
}

/* Step the clock; the next turn sweeps on the new time. */
static inline void step_s(double by_s)
{
	clock_ms += (int64_t)(by_s * 1000.0);
	pump();
	pump();
}

static inline void new_session(void)
{
	struct resp *r = req("GET", "/", NULL, NULL);
	assert_int_equal(r->status, 200);
	assert_true(take_cookie(r));
	free(r);
}

/* ---- set-up ------------------------------------------------------------------------ */

static inline int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/tweb.XXXXXX", P_tmpdir);
	if (!mkdtemp(dir))
		return -1;
	make_root();
	snprintf(sock_path, sizeof(sock_path), "%s/panel.sock", dir);
	memset(&app, 0, sizeof(app));
	clock_ms = 1000000;
	struct panel_config pc = {.socket_path = sock_path, .on_close = on_close,
				  .clock_ms = test_clock_ms};
	char err[256];
	if (panel_open(&panel, &pc, methods, &app, err, sizeof(err))) {
		fprintf(stderr, "panel_open: %s\n", err);
		return -1;
	}
	struct web_api_config wc = {.listen = "127.0.0.1:0", .server_name = "chair.local",
				    .max_connections = 16, .max_sessions = 4, .max_streams = 4,
				    .max_streams_per_session = 2, .timeout_s = 1,
				    .session_idle_s = 600, .stream_grace_s = 1.0,
				    .clock_s = test_clock_s};
	snprintf(wc.root, sizeof(wc.root), "%s", root);
	if (web_open(&web, &wc, panel, err, sizeof(err))) {
		fprintf(stderr, "web_open: %s\n", err);
		return -1;
	}
	client.port = web_port(web);
	snprintf(client.host, sizeof(client.host), "Host: 127.0.0.1:%d\r\n", client.port);
	client.cookie[0] = '\0';
	client.pump = pump;
	return 0;
}

static inline int teardown(void **state)
{
	web_close(web);
	web = NULL;
	panel_close(panel);
	panel = NULL;
	rm_tree(dir);
	return 0;
}

/* ---- checks and waits the suites share ---------------------------------------------- */

static inline void assert_security_headers(const struct resp *r)
{
	const char *csp = header(r, "Content-Security-Policy");
	if (!csp)
		fail_msg("no CSP on a %d answer", r->status);
	assert_non_null(strstr(csp, "default-src 'self'"));
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	assert_non_null(strstr(csp, "object-src 'none'"));
	assert_string_equal(header(r, "X-Content-Type-Options"), "nosniff");
	assert_string_equal(header(r, "Referrer-Policy"), "no-referrer");
	assert_string_equal(header(r, "X-Frame-Options"), "DENY");
}

static const char LATER[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}";
static const char ECHO[] = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\","
			   "\"params\":{\"text\":\"e\"}}";

static inline void pump_until_later(int n)
{
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	while (app.n_later < n && wall_now_s() < until)
		pump();
	assert_int_equal(app.n_later, n);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
