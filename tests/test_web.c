/* The web server over real libmicrohttpd on 127.0.0.1 (a free port) with a real panel and a
 * small method table, spoken to with plain sockets: the page files and their types, the
 * headers on every answer, every way of walking out of the root, Host and Origin, the
 * refusals of POST /api (415, 413, 405), ids put back with several requests of one browser
 * waiting, a deferred reply, events, the stream limits, a slow client cut, the technician
 * pages, and a session closed after its last stream's grace but not across a reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../controller/panel/panel.h"
#include "../controller/web/web.h"
#include "web_client.h"

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

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_root(void)
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

static int rm_tree(const char *path)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

/* ---- the loop and the clock ------------------------------------------------------- */

/* The sessions' and the panel's clock: stepped by the tests, never read from the host, so
 * no result depends on how fast it runs. */
static int64_t clock_ms;

static int64_t test_clock_ms(void *arg)
{
	(void)arg;
	return clock_ms;
}

static double test_clock_s(void *arg)
{
	(void)arg;
	return (double)clock_ms / 1000.0;
}

/* One turn of the daemon's loop: the panel and the web in one poll. */
static void pump(void)
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
static void step_s(double by_s)
{
	clock_ms += (int64_t)(by_s * 1000.0);
	pump();
	pump();
}

static void new_session(void)
{
	struct resp *r = req("GET", "/", NULL, NULL);
	assert_int_equal(r->status, 200);
	assert_true(take_cookie(r));
	free(r);
}

/* ---- set-up ------------------------------------------------------------------------ */

static int setup(void **state)
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

static int teardown(void **state)
{
	web_close(web);
	web = NULL;
	panel_close(panel);
	panel = NULL;
	rm_tree(dir);
	return 0;
}

/* ---- the tests --------------------------------------------------------------------- */

static void assert_security_headers(const struct resp *r)
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

static void test_web_port_is_real_and_url_names_it(void **state)
{
	assert_true(client.port > 0);
	char url[64], want[64];
	web_url(web, url, sizeof(url));
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/", client.port);
	assert_string_equal(url, want);
}

static void test_web_serves_files_with_their_types(void **state)
{
	static const struct {
		const char *path, *type, *text;
	} files[] = {
		{"/", "text/html; charset=utf-8", "INDEX"},
		{"/index.html", "text/html; charset=utf-8", "INDEX"},
		{"/sub/", "text/html; charset=utf-8", "SUBINDEX"},
		{"/app.js", "text/javascript; charset=utf-8", "export"},
		{"/style.css", "text/css; charset=utf-8", "body"},
		{"/img.svg", "image/svg+xml", "svg"},
		{"/pic.png", "image/png", "PNG"},
		{"/data.json", "application/json", "{}"},
		{"/favicon.ico", "image/x-icon", "ICO"},
		{"/font.woff2", "font/woff2", "WOFF"},
		{"/login.html", "text/html; charset=utf-8", "LOGIN"},
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct resp *r = req("GET", files[i].path, NULL, NULL);
		if (r->status != 200)
			fail_msg("%s: %d", files[i].path, r->status);
		assert_string_equal(header(r, "Content-Type"), files[i].type);
		assert_non_null(strstr(r->body, files[i].text));
		assert_security_headers(r);
		free(r);
	}
	struct resp *r = req("HEAD", "/app.js", NULL, NULL);
	assert_int_equal(r->status, 200);
	assert_string_equal(r->body, "");
	free(r);
	r = req("GET", "/sub", NULL, NULL); /* a folder without its slash: sent to it */
	assert_int_equal(r->status, 301);
	assert_string_equal(header(r, "Location"), "/sub/");
	free(r);
	const char *missing[] = {"/thing.xyz", "/nothing.html", "/sub/nothing.js", "/api/other"};
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		r = req("GET", missing[i], NULL, NULL);
		if (r->status != 404)
			fail_msg("%s: %d", missing[i], r->status);
		assert_security_headers(r);
		free(r);
	}
}

static void test_web_refuses_every_way_out_of_the_root(void **state)
{
	const char *paths[] = {
		"/../secret.txt",
		"/sub/../../secret.txt",
		"/%2e%2e/secret.txt",
		"/%2E%2E/secret.txt",
		"/sub/%2e%2e/%2e%2e/secret.txt",
		"/%252e%252e/secret.txt",
		"/%252e%252e%252fsecret.txt",
		"/..%2fsecret.txt",
		"/..%5csecret.txt",
		"/..\\secret.txt",
		"/sub\\..\\..\\secret.txt",
		"/index.html%00.png",
		"/%00",
		"/link.html",
		"/out.txt",
		"/linkdir/index.html",
		"/linkdir/",
		"/.hidden.html",
		"/./index.html",
		"//index.html",
		"/sub/./index.html",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct resp *r = req("GET", paths[i], NULL, NULL);
		if (r->status == 200 || r->status == 0)
			fail_msg("%s: %d", paths[i], r->status);
		assert_null(strstr(r->text, "SECRET"));
		assert_null(strstr(r->text, "HIDDEN"));
		assert_null(strstr(r->text, dir)); /* never a path of the machine */
		assert_security_headers(r);
		free(r);
	}
}

static void test_web_host_must_be_its_own(void **state)
{
	char good[3][64];
	snprintf(good[0], sizeof(good[0]), "Host: 127.0.0.1:%d\r\n", client.port);
	snprintf(good[1], sizeof(good[1]), "Host: localhost:%d\r\n", client.port);
	snprintf(good[2], sizeof(good[2]), "Host: chair.local:%d\r\n", client.port);
	for (int i = 0; i < 3; i++) {
		struct resp *r = req("GET", "/", good[i], NULL);
		assert_int_equal(r->status, 200);
		free(r);
	}
	char bad[4][64];
	snprintf(bad[0], sizeof(bad[0]), "Host: evil.example:%d\r\n", client.port);
	snprintf(bad[1], sizeof(bad[1]), "Host: 127.0.0.1:%d\r\n", client.port + 1);
	snprintf(bad[2], sizeof(bad[2]), "Host: 127.0.0.1\r\n");
	snprintf(bad[3], sizeof(bad[3]), "Host: chair.local.evil.example:%d\r\n", client.port);
	for (int i = 0; i < 4; i++) {
		struct resp *r = req("GET", "/", bad[i], NULL);
		assert_int_equal(r->status, 421);
		assert_security_headers(r);
		assert_null(strstr(r->body, "INDEX"));
		free(r);
		r = req("POST", "/api", bad[i], "{}");
		assert_int_equal(r->status, 421);
		assert_string_equal(header(r, "Cache-Control"), "no-store");
		free(r);
	}
	struct resp *r = raw("GET / HTTP/1.0\r\n\r\n", 18); /* no Host at all */
	assert_true(r->status >= 400);
	free(r);
}

static void test_web_origin_and_fetch_site_must_be_its_own(void **state)
{
	char extra[256];
	snprintf(extra, sizeof(extra), "Content-Type: application/json\r\nOrigin: http://127.0.0.1:%d\r\n",
		 client.port);
	struct resp *r = req("POST", "/api", extra,
			     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"text\":\"a\"}}");
	assert_int_equal(r->status, 200);
	free(r);
	const char *bad[] = {
		"Origin: http://evil.example\r\n",
		"Origin: null\r\n",
		"Origin: https://127.0.0.1\r\n",
		"Sec-Fetch-Site: cross-site\r\n",
		"Sec-Fetch-Site: same-site\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(extra, sizeof(extra), "Content-Type: application/json\r\n%s", bad[i]);
		r = req("POST", "/api", extra,
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"text\":\"a\"}}");
		if (r->status != 403)
			fail_msg("%s: %d", bad[i], r->status);
		assert_security_headers(r);
		free(r);
	}
	r = req("GET", "/", "Sec-Fetch-Site: cross-site\r\n", NULL);
	assert_int_equal(r->status, 403);
	free(r);
	r = req("GET", "/", "Sec-Fetch-Site: none\r\n", NULL); /* typed in the address bar */
	assert_int_equal(r->status, 200);
	free(r);
}

static void test_web_api_refuses_wrong_method_type_and_size(void **state)
{
	struct resp *r = req("GET", "/api", NULL, NULL);
	assert_int_equal(r->status, 405);
	assert_string_equal(header(r, "Allow"), "POST");
	assert_security_headers(r);
	free(r);
	r = req("PUT", "/index.html", NULL, "x");
	assert_int_equal(r->status, 405);
	free(r);
	r = req("POST", "/api/events", "Content-Type: application/json\r\n", "{}");
	assert_int_equal(r->status, 405);
	free(r);
	r = req("POST", "/api", "Content-Type: text/plain\r\n", "{}");
	assert_int_equal(r->status, 415);
	assert_security_headers(r);
	free(r);
	r = req("POST", "/api", "Content-Type: application/x-www-form-urlencoded\r\n", "a=b");
	assert_int_equal(r->status, 415);
	free(r);
	r = req("POST", "/api", NULL, "{}");
	assert_int_equal(r->status, 415);
	free(r);
	char *big = malloc(WEB_BODY_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, ' ', WEB_BODY_MAX_BYTES + 1);
	big[WEB_BODY_MAX_BYTES + 1] = '\0';
	r = req("POST", "/api", "Content-Type: application/json\r\n", big);
	assert_int_equal(r->status, 413);
	assert_security_headers(r);
	free(r);
	/* The same without a length (chunked): read, dropped, refused. */
	char *text = malloc(WEB_BODY_MAX_BYTES + 4096);
	assert_non_null(text);
	int n = snprintf(text, 4096,
			 "POST /api HTTP/1.1\r\n%sContent-Type: application/json\r\n"
			 "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n",
			 client.host, (size_t)WEB_BODY_MAX_BYTES + 1);
	memcpy(text + n, big, WEB_BODY_MAX_BYTES + 1);
	n += WEB_BODY_MAX_BYTES + 1;
	n += snprintf(text + n, 64, "\r\n0\r\n\r\n");
	r = raw(text, (size_t)n);
	assert_int_equal(r->status, 413);
	free(r);
	free(text);
	free(big);
	/* A body of exactly 64 KiB is taken (and is not JSON: the panel says so). */
	char *full = malloc(WEB_BODY_MAX_BYTES + 1);
	assert_non_null(full);
	memset(full, ' ', WEB_BODY_MAX_BYTES);
	full[0] = '[';
	full[WEB_BODY_MAX_BYTES - 1] = ']';
	full[WEB_BODY_MAX_BYTES] = '\0';
	r = req("POST", "/api", "Content-Type: application/json; charset=utf-8\r\n", full);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "\"id\":null"));
	free(r);
	free(full);
}

static void test_web_api_answers_and_sets_a_strict_cookie(void **state)
{
	struct resp *r = api("{\"jsonrpc\":\"2.0\",\"id\":\"x-1\",\"method\":\"echo\","
			     "\"params\":{\"text\":\"hello\"}}",
			     false);
	assert_int_equal(r->status, 200);
	assert_string_equal(header(r, "Content-Type"), "application/json");
	assert_string_equal(header(r, "Cache-Control"), "no-store");
	assert_security_headers(r);
	const char *sc = header(r, "Set-Cookie");
	assert_non_null(sc);
	assert_non_null(strstr(sc, "HttpOnly"));
	assert_non_null(strstr(sc, "SameSite=Strict"));
	assert_non_null(strstr(sc, "Path=/"));
	char value[100] = "";
	assert_int_equal(sscanf(sc, "chair_session=%99[0-9a-f]", value), 1);
	assert_int_equal(strlen(value), 64); /* 256 bits */
	json_t *reply = json_loads(r->body, 0, NULL);
	assert_non_null(reply);
	assert_string_equal(json_string_value(json_object_get(reply, "id")), "x-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(reply, "result"),
								"text")),
			    "hello");
	json_decref(reply);
	take_cookie(r);
	free(r);
	/* The session is kept: no new cookie; a technician method is refused to a user. */
	r = api("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tech.only\"}", true);
	assert_int_equal(r->status, 200);
	assert_null(header(r, "Set-Cookie"));
	assert_non_null(strstr(r->body, "-32002"));
	free(r);
	/* Without an id: executed, not answered. Malformed: -32700 with id null. */
	r = api("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"n\"}}", true);
	assert_int_equal(r->status, 204);
	free(r);
	r = api("{\"jsonrpc\":\"2.0\",\"id\":3,", true);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "-32700"));
	free(r);
	r = api("{\"jsonrpc\":\"2.0\",\"id\":3,\"id\":4,\"method\":\"echo\"}", true);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "-32700"));
	free(r);
	/* An unknown cookie (chaird restarted) just gets a new session. */
	snprintf(client.cookie, sizeof(client.cookie), "Cookie: chair_session=%064d\r\n", 0);
	r = api("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"echo\",\"params\":{\"text\":\"z\"}}",
		true);
	assert_int_equal(r->status, 200);
	assert_non_null(header(r, "Set-Cookie"));
	free(r);
}

static void pump_until_handles(int n)
{
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	while (app.n_handles < n && wall_now_s() < until)
		pump();
	assert_int_equal(app.n_handles, n);
}

static json_t *finish(int fd)
{
	int status;
	json_t *reply = finish_status(fd, &status);
	assert_int_equal(status, 200);
	assert_non_null(reply);
	return reply;
}

static void test_web_ids_are_restored_with_requests_in_flight(void **state)
{
	new_session();
	/* Two deferred calls of one browser with the same id (two tabs), then a quick one. */
	int a = start_api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}");
	pump_until_handles(1);
	int b = start_api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}");
	pump_until_handles(2);
	struct resp *r = api("{\"jsonrpc\":\"2.0\",\"id\":[\"odd\"],\"method\":\"echo\","
			     "\"params\":{\"text\":\"quick\"}}",
			     true);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "quick")); /* answered while the others wait */
	free(r);
	/* The second answered first: each reply reaches its own request, with id 1. */
	assert_int_equal(panel_reply(panel, app.handles[1], json_pack("{s:s}", "who", "b")), 0);
	assert_int_equal(panel_reply(panel, app.handles[0], json_pack("{s:s}", "who", "a")), 0);
	json_t *ra = finish(a), *rb = finish(b);
	assert_int_equal(json_integer_value(json_object_get(ra, "id")), 1);
	assert_int_equal(json_integer_value(json_object_get(rb, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(ra, "result"), "who")),
			    "a");
	assert_string_equal(json_string_value(json_object_get(json_object_get(rb, "result"), "who")),
			    "b");
	json_decref(ra);
	json_decref(rb);
}

static void test_web_events_carry_the_subscribed_notifications(void **state)
{
	new_session();
	struct resp *motion = calloc(1, sizeof(*motion)), *state_only = calloc(1, sizeof(*state_only));
	assert_non_null(motion);
	assert_non_null(state_only);
	int fm = open_stream("motion", motion, true);
	assert_true(read_until(fm, motion, "retry: 1000\n\n"));
	parse(motion);
	assert_int_equal(motion->status, 200);
	assert_non_null(strstr(header(motion, "Content-Type"), "text/event-stream"));
	assert_string_equal(header(motion, "Cache-Control"), "no-store");
	assert_security_headers(motion);
	int fs = open_stream("state", state_only, true);
	assert_true(read_until(fs, state_only, "retry: 1000\n\n"));
	struct resp *r = api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"poke\"}", true);
	assert_int_equal(r->status, 200);
	free(r);
	assert_true(read_until(fm, motion, "\"notify.motion\""));
	assert_non_null(strstr(motion->text, "data: {"));
	assert_true(read_until(fs, state_only, "\"notify.state\""));
	assert_null(strstr(state_only->text, "notify.motion")); /* each stream its own topics */
	assert_null(strstr(motion->text, "notify.state"));
	/* Refused: an unknown topic, and a third stream of one session (two per session). */
	r = req("GET", "/api/events?topics=state,secrets", client.cookie, NULL);
	assert_int_equal(r->status, 400);
	free(r);
	r = req("GET", "/api/events?topics=state", client.cookie, NULL);
	assert_int_equal(r->status, 503);
	assert_non_null(header(r, "Retry-After"));
	assert_security_headers(r);
	free(r);
	close(fm);
	close(fs);
	free(motion);
	free(state_only);
}

static void test_web_stream_limit_over_all_sessions(void **state)
{
	struct resp *rs = calloc(4, sizeof(*rs));
	assert_non_null(rs);
	int fds[4];
	for (int i = 0; i < 4; i++) { /* max_streams 4, each from a new browser */
		fds[i] = open_stream("state", &rs[i], false);
		assert_true(read_until(fds[i], &rs[i], "retry: 1000"));
	}
	struct resp *r = req("GET", "/api/events?topics=state", NULL, NULL);
	assert_int_equal(r->status, 503);
	assert_non_null(header(r, "Retry-After"));
	free(r);
	/* Requests still pass meanwhile. */
	r = req("GET", "/index.html", NULL, NULL);
	assert_int_equal(r->status, 200);
	free(r);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	free(rs);
}

/* A new browser refused a stream does not keep a session it never got the cookie of. */
static void test_web_refused_stream_keeps_no_session(void **state)
{
	struct resp *rs = calloc(4, sizeof(*rs));
	assert_non_null(rs);
	int fds[4];
	for (int i = 0; i < 4; i++) { /* two browsers, two streams each: every stream taken */
		if (i % 2 == 0)
			new_session();
		fds[i] = open_stream("state", &rs[i], true);
		assert_true(read_until(fds[i], &rs[i], "retry: 1000"));
	}
	struct web_stats before, after;
	web_get_stats(web, &before);
	assert_int_equal(before.sessions, 2);
	struct resp *r = req("GET", "/api/events?topics=state", NULL, NULL);
	assert_int_equal(r->status, 503);
	assert_null(header(r, "Set-Cookie"));
	free(r);
	web_get_stats(web, &after);
	assert_int_equal(after.sessions, 2);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	free(rs);
}

static bool no_stream(void)
{
	struct web_stats st;
	web_get_stats(web, &st);
	return st.streams == 0;
}

/* Turn the loop until the server saw every stream go (the peer closed it). */
static void wait_streams_gone(void)
{
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	while (!no_stream() && wall_now_s() < until)
		pump();
	assert_true(no_stream());
}

static void test_web_session_detached_after_grace_kept_over_a_reload_or_calls(void **state)
{
	new_session();
	struct resp *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	int fd = open_stream("state", r, true);
	assert_true(read_until(fd, r, "retry: 1000"));
	/* A reload: the stream goes and another comes before the grace is over. */
	close(fd);
	wait_streams_gone();
	step_s(0.9);
	fd = open_stream("state", r, true);
	assert_true(read_until(fd, r, "retry: 1000"));
	step_s(5.0); /* past the 1 s grace, with a stream open */
	assert_int_equal(app.n_closed, 0);
	/* The screen goes for good: kept within the grace, detached once it is over. */
	close(fd);
	wait_streams_gone();
	step_s(0.9);
	assert_int_equal(app.n_closed, 0);
	step_s(0.2);
	assert_int_equal(app.n_closed, 1);
	/* Its cookie now is a new session's. A page that calls on after its last stream went
	 * (a technician's page without one), polls too, keeps its session past the grace. */
	struct resp *again = api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
				 "\"params\":{\"text\":\"x\"}}",
				 true);
	assert_int_equal(again->status, 200);
	assert_true(take_cookie(again));
	free(again);
	fd = open_stream("state", r, true);
	assert_true(read_until(fd, r, "retry: 1000"));
	close(fd);
	wait_streams_gone();
	step_s(0.5);
	again = api_ex("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\",\"params\":{\"text\":\"y\"}}",
		       true, true);
	assert_int_equal(again->status, 200);
	assert_null(header(again, "Set-Cookie"));
	free(again);
	step_s(5.0);
	assert_int_equal(app.n_closed, 1); /* only the first */
	/* Polls do not renew the idle time: only they came, so it ends after session_idle_s. */
	step_s(590.0);
	assert_int_equal(app.n_closed, 1);
	again = api_ex("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"echo\",\"params\":{\"text\":\"z\"}}",
		       true, true);
	free(again);
	step_s(10.0);
	assert_int_equal(app.n_closed, 2);
	free(r);
}

static void test_web_tech_pages_for_a_technician_only(void **state)
{
	struct resp *r = req("GET", "/tech/", NULL, NULL);
	assert_int_equal(r->status, 403);
	assert_non_null(strstr(r->body, "/login.html"));
	assert_null(strstr(r->body, "TECHPAGE"));
	assert_security_headers(r);
	free(r);
	new_session();
	r = req("GET", "/tech/index.html", client.cookie, NULL);
	assert_int_equal(r->status, 403);
	free(r);
	r = req("GET", "/tech", client.cookie, NULL);
	assert_int_equal(r->status, 403);
	free(r);
	char before[sizeof(client.cookie)];
	snprintf(before, sizeof(before), "%s", client.cookie);
	r = api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\"}", true);
	assert_int_equal(r->status, 200);
	assert_true(take_cookie(r)); /* a login gets the browser a new cookie */
	assert_string_not_equal(client.cookie, before);
	free(r);
	r = req("GET", "/tech/", client.cookie, NULL);
	assert_int_equal(r->status, 200);
	assert_non_null(strstr(r->body, "TECHPAGE"));
	free(r);
	r = api("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tech.only\"}", true);
	assert_null(strstr(r->body, "-32002"));
	free(r);
	/* The cookie of before the login (planted by another page of the host, say) maps to
	 * nothing now: not the technician's session. */
	r = req("GET", "/tech/", before, NULL);
	assert_int_equal(r->status, 403);
	free(r);
	char extra[256];
	snprintf(extra, sizeof(extra), "Content-Type: application/json\r\n%s", before);
	r = req("POST", "/api", extra, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tech.only\"}");
	assert_non_null(strstr(r->body, "-32002"));
	assert_non_null(header(r, "Set-Cookie")); /* a session of its own */
	free(r);
	/* Another site of the host (same-site, another port) gets no technician's page. */
	snprintf(extra, sizeof(extra), "Sec-Fetch-Site: same-site\r\n%s", client.cookie);
	r = req("GET", "/tech/", extra, NULL);
	assert_int_equal(r->status, 403);
	assert_null(strstr(r->body, "TECHPAGE"));
	free(r);
	snprintf(extra, sizeof(extra), "Sec-Fetch-Site: same-origin\r\n%s", client.cookie);
	r = req("GET", "/tech/", extra, NULL);
	assert_int_equal(r->status, 200);
	free(r);
	/* login.html and a HEAD keep the raise; the user's page loaded lowers it. */
	r = req("GET", "/login.html", client.cookie, NULL);
	assert_int_equal(r->status, 200);
	free(r);
	r = req("HEAD", "/", client.cookie, NULL);
	free(r);
	r = req("GET", "/tech/", client.cookie, NULL);
	assert_int_equal(r->status, 200);
	free(r);
	r = req("GET", "/", client.cookie, NULL);
	assert_int_equal(r->status, 200);
	assert_null(header(r, "Set-Cookie")); /* the same session, a user again */
	free(r);
	r = req("GET", "/tech/", client.cookie, NULL);
	assert_int_equal(r->status, 403);
	free(r);
	r = api("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tech.only\"}", true);
	assert_non_null(strstr(r->body, "-32002"));
	free(r);
}

/* A raised browser whose page only polls (X-Chair-Poll) falls back after the raise's idle
 * time; one a person uses keeps it. */
static void test_web_polls_do_not_keep_a_login(void **state)
{
	new_session();
	struct resp *r = api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\"}", true);
	assert_true(take_cookie(r));
	free(r);
	const char *tech = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tech.only\"}";
	step_s(200.0);
	r = api(tech, true); /* a person's call: renews the raise (300 s) */
	assert_null(strstr(r->body, "-32002"));
	free(r);
	step_s(200.0);
	r = api_ex(tech, true, true); /* 400 s after the login, 200 s after the use */
	assert_null(strstr(r->body, "-32002"));
	free(r);
	step_s(80.0);
	r = api_ex(tech, true, true);
	assert_null(strstr(r->body, "-32002"));
	free(r);
	step_s(30.0); /* 310 s since the last use, polls every few seconds meanwhile */
	r = api_ex(tech, true, true);
	assert_non_null(strstr(r->body, "-32002"));
	assert_null(header(r, "Set-Cookie")); /* the same session: its login fell back */
	free(r);
	r = req("GET", "/tech/", client.cookie, NULL);
	assert_int_equal(r->status, 403);
	free(r);
}

static const char LATER[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}";
static const char ECHO[] = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\","
			   "\"params\":{\"text\":\"e\"}}";

static void pump_until_later(int n)
{
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	while (app.n_later < n && wall_now_s() < until)
		pump();
	assert_int_equal(app.n_later, n);
}

/* A body of exactly 64 KiB whose id the server's own makes longer (1 -> 10): too long for
 * the panel, which says so with id null at once; answered at once, with the browser's id. */
static void test_web_a_text_refused_at_once_is_answered_at_once(void **state)
{
	new_session();
	for (int i = 0; i < 10; i++) { /* the server's ids reach two digits */
		struct resp *r = api(ECHO, true);
		assert_int_equal(r->status, 200);
		free(r);
	}
	char *body = malloc(WEB_BODY_MAX_BYTES + 1);
	assert_non_null(body);
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
				   "\"params\":{\"text\":\"";
	static const char tail[] = "\"}}";
	size_t fill = WEB_BODY_MAX_BYTES - (sizeof(head) - 1) - (sizeof(tail) - 1);
	memcpy(body, head, sizeof(head) - 1);
	memset(body + sizeof(head) - 1, 'a', fill);
	memcpy(body + sizeof(head) - 1 + fill, tail, sizeof(tail));
	assert_int_equal(strlen(body), WEB_BODY_MAX_BYTES);
	struct resp *r = api(body, true); /* the clock never moves: no 504 would come */
	assert_int_equal(r->status, 200);
	json_t *reply = json_loads(r->body, 0, NULL);
	assert_non_null(reply);
	assert_int_equal(json_integer_value(json_object_get(reply, "id")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(reply, "error"),
							       "code")),
			 -32600);
	json_decref(reply);
	free(r);
	free(body);
}

/* Four calls of one browser may wait, half of max_connections over all; more are refused at
 * once, and taken again once one is answered. */
static void test_web_deferred_calls_are_bounded(void **state)
{
	int fds[8];
	new_session();
	for (int i = 0; i < 4; i++) {
		fds[i] = start_api(LATER);
		pump_until_later(i + 1);
	}
	struct resp *r = api(ECHO, true);
	assert_int_equal(r->status, 503);
	assert_non_null(strstr(r->body, "waiting"));
	free(r);
	new_session(); /* another browser: 8 over all (max_connections 16) */
	for (int i = 4; i < 8; i++) {
		fds[i] = start_api(LATER);
		pump_until_later(i + 1);
	}
	new_session();
	r = api(ECHO, true);
	assert_int_equal(r->status, 503);
	free(r);
	assert_int_equal(app.n_later, 8);
	assert_int_equal(panel_reply(panel, app.handles[0], json_pack("{s:s}", "who", "a")), 0);
	int status;
	json_t *reply = finish_status(fds[0], &status);
	assert_int_equal(status, 200);
	json_decref(reply);
	r = api(ECHO, true); /* one went: the third browser's call passes */
	assert_int_equal(r->status, 200);
	free(r);
	for (int i = 1; i < 8; i++)
		close(fds[i]);
}

/* A reply whose request went (answered 504) is not handed to another request: a
 * notification sent meanwhile is answered 204, not with that reply. */
static void test_web_a_late_reply_goes_to_no_other_request(void **state)
{
	new_session();
	int fd = start_api(LATER);
	pump_until_later(1);
	step_s(WEB_DEFERRED_MAX_S + 1.0);
	int status;
	json_t *reply = finish_status(fd, &status);
	assert_int_equal(status, 504);
	json_decref(reply);
	struct resp *r = api("{\"jsonrpc\":\"2.0\",\"method\":\"release\"}", true);
	assert_int_equal(r->status, 204);
	assert_null(strstr(r->text, "secret"));
	free(r);
}

static bool gets_cookie(const char *method, const char *path)
{
	struct resp *r = req(method, path, NULL, NULL);
	assert_int_equal(r->status, 200);
	bool set = header(r, "Set-Cookie") != NULL;
	free(r);
	return set;
}

/* Only a GET of a page makes a session, at most WEB_NEW_SESSIONS_PER_S a second; a flood
 * never closes a technician's session nor one with a call waiting. */
static void test_web_new_sessions_are_bounded_and_spare_the_busy(void **state)
{
	assert_false(gets_cookie("HEAD", "/"));
	assert_false(gets_cookie("GET", "/app.js"));
	assert_false(gets_cookie("GET", "/style.css"));
	struct web_stats st;
	web_get_stats(web, &st);
	assert_int_equal(st.sessions, 0);
	new_session();
	struct resp *r = api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\"}", true);
	assert_true(take_cookie(r));
	free(r);
	char tech[sizeof(client.cookie)];
	snprintf(tech, sizeof(tech), "%s", client.cookie);
	new_session();
	int fd = start_api(LATER);
	pump_until_later(1);
	/* A loop of requests without a cookie: made until the second's bound, then 503. */
	int made = 2, refused_status = 0;
	const char *retry = NULL;
	for (int i = 0; i < 2 * WEB_NEW_SESSIONS_PER_S && !refused_status; i++) {
		r = req("GET", "/", NULL, NULL);
		if (r->status == 200 && header(r, "Set-Cookie"))
			made++;
		else if (r->status == 503) {
			refused_status = r->status;
			retry = header(r, "Retry-After");
			assert_non_null(retry);
		}
		free(r);
	}
	assert_int_equal(refused_status, 503);
	assert_int_equal(made, WEB_NEW_SESSIONS_PER_S);
	step_s(1.0);
	assert_true(gets_cookie("GET", "/"));
	/* The technician is still one; the waiting call still gets its reply. */
	r = req("GET", "/tech/", tech, NULL);
	assert_int_equal(r->status, 200);
	free(r);
	assert_int_equal(panel_reply(panel, app.handles[0], json_pack("{s:s}", "who", "kept")), 0);
	int status;
	json_t *reply = finish_status(fd, &status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(reply, "result"),
								"who")),
			    "kept");
	json_decref(reply);
}

static void test_web_slow_client_is_cut(void **state)
{
	/* A byte at a time, never a whole request: cut after timeout_s (1 s here). */
	int fd = connect_web();
	const char *text = "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
	bool closed = false;
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	size_t i = 0;
	double next_byte = 0;
	while (!closed && wall_now_s() < until) {
		if (wall_now_s() >= next_byte) {
			char c = i < strlen(text) ? text[i] : 'a'; /* a header that never ends */
			if (send(fd, &c, 1, MSG_NOSIGNAL) < 0)
				closed = true;
			i++;
			next_byte = wall_now_s() + 0.05;
		}
		char buf[256];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			closed = true;
		pump();
	}
	close(fd);
	assert_true(closed);
	struct web_stats st;
	web_get_stats(web, &st);
	assert_true(st.slow_closed >= 1);
	struct resp *r = req("GET", "/", NULL, NULL); /* others are served */
	assert_int_equal(r->status, 200);
	free(r);
}

/* Closing with a request waiting and a stream open: both end, nothing leaks (ASan). */
static void test_web_close_with_a_request_waiting_and_a_stream_open(void **state)
{
	new_session();
	int a = start_api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}");
	pump_until_handles(1);
	struct resp *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	int fd = open_stream("state", r, true);
	assert_true(read_until(fd, r, "retry: 1000"));
	web_close(web);
	web = NULL;
	memset(r, 0, sizeof(*r));
	assert_true(read_until(a, r, NULL)); /* the request was answered or cut, not left */
	close(a);
	close(fd);
	free(r);
}

static void test_web_off_opens_nothing(void **state)
{
	struct web_api_config wc = {.listen = "off"};
	struct web *w = (struct web *)1;
	char err[128];
	assert_int_equal(web_open(&w, &wc, panel, err, sizeof(err)), 0);
	assert_null(w);
	assert_int_equal(web_pollfd_max(NULL), 0);
	struct web_api_config missing = {.listen = "127.0.0.1:0", .max_connections = 4,
					 .max_sessions = 1, .max_streams = 1,
					 .max_streams_per_session = 1, .timeout_s = 1};
	snprintf(missing.root, sizeof(missing.root), "%s/none", dir);
	assert_int_equal(web_open(&w, &missing, panel, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "[web] root"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_web_port_is_real_and_url_names_it),
		T(test_web_serves_files_with_their_types),
		T(test_web_refuses_every_way_out_of_the_root),
		T(test_web_host_must_be_its_own),
		T(test_web_origin_and_fetch_site_must_be_its_own),
		T(test_web_api_refuses_wrong_method_type_and_size),
		T(test_web_api_answers_and_sets_a_strict_cookie),
		T(test_web_ids_are_restored_with_requests_in_flight),
		T(test_web_events_carry_the_subscribed_notifications),
		T(test_web_stream_limit_over_all_sessions),
		T(test_web_refused_stream_keeps_no_session),
		T(test_web_session_detached_after_grace_kept_over_a_reload_or_calls),
		T(test_web_tech_pages_for_a_technician_only),
		T(test_web_polls_do_not_keep_a_login),
		T(test_web_a_text_refused_at_once_is_answered_at_once),
		T(test_web_deferred_calls_are_bounded),
		T(test_web_a_late_reply_goes_to_no_other_request),
		T(test_web_new_sessions_are_bounded_and_spare_the_busy),
		T(test_web_slow_client_is_cut),
		T(test_web_close_with_a_request_waiting_and_a_stream_open),
		T(test_web_off_opens_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
