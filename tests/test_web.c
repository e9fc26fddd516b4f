/* The web server over real libmicrohttpd on 127.0.0.1 (a free port) with a real panel and a
 * small method table, spoken to with plain sockets: the page files and their types, the
 * headers on every answer, every way of walking out of the root, Host and Origin, the
 * refusals of POST /api (415, 413, 405), ids put back with several requests of one browser
 * waiting, a text refused at once, a late reply, events, the stream limits, a slow client
 * cut. The browser sessions (cookies, logins, grace, idle time, bounds) are
 * test_web_sessions.c's; the client and the harness, web_client.h's. */
#include "web_client.h"

/* ---- the tests --------------------------------------------------------------------- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_web_port_is_real_and_url_names_it),
		T(test_web_serves_files_with_their_types),
		T(test_web_refuses_every_way_out_of_the_root),
		T(test_web_host_must_be_its_own),
		T(test_web_origin_and_fetch_site_must_be_its_own),
		T(test_web_api_refuses_wrong_method_type_and_size),
		T(test_web_ids_are_restored_with_requests_in_flight),
		T(test_web_events_carry_the_subscribed_notifications),
		T(test_web_stream_limit_over_all_sessions),
		T(test_web_a_text_refused_at_once_is_answered_at_once),
		T(test_web_a_late_reply_goes_to_no_other_request),
		T(test_web_slow_client_is_cut),
		T(test_web_close_with_a_request_waiting_and_a_stream_open),
		T(test_web_off_opens_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
