/* The web server's browser sessions, over real libmicrohttpd with the harness of
 * web_client.h: the session cookie and its attributes, a session kept over a reload and
 * closed after its last stream's grace or its idle time, polls that keep neither a login nor
 * the idle time, a login's new cookie (the old one maps to nothing, its streams end), the
 * technician pages, the bounds on deferred calls and on new sessions (which never evict a
 * technician's or a waiting one), a refused stream that keeps no session. */
#include "web_client.h"

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

/* A technician's login renews the cookie; the streams opened with the one of before end
 * (the page's EventSource opens them again), and one opened with the new cookie is the
 * same session's, fed its notifications. */
static void test_web_login_ends_the_streams_of_the_cookie_before(void **state)
{
	new_session();
	struct resp *old = calloc(1, sizeof(*old)), *fresh = calloc(1, sizeof(*fresh));
	assert_non_null(old);
	assert_non_null(fresh);
	int fo = open_stream("state", old, true);
	assert_true(read_until(fo, old, "retry: 1000"));
	struct resp *r = api("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\"}", true);
	assert_int_equal(r->status, 200);
	assert_true(take_cookie(r));
	free(r);
	assert_true(read_until(fo, old, NULL)); /* ended by the server: the peer closed */
	close(fo);
	int fn = open_stream("state", fresh, true);
	assert_true(read_until(fn, fresh, "retry: 1000"));
	parse(fresh);
	assert_int_equal(fresh->status, 200);
	assert_null(header(fresh, "Set-Cookie")); /* the same session, not a new one */
	r = api("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"poke\"}", true);
	assert_int_equal(r->status, 200);
	free(r);
	assert_true(read_until(fn, fresh, "\"notify.state\""));
	assert_null(strstr(old->text, "notify.state"));
	assert_int_equal(app.n_closed, 0); /* the session went on */
	r = req("GET", "/tech/", client.cookie, NULL);
	assert_int_equal(r->status, 200);
	free(r);
	close(fn);
	free(old);
	free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_web_api_answers_and_sets_a_strict_cookie),
		T(test_web_refused_stream_keeps_no_session),
		T(test_web_session_detached_after_grace_kept_over_a_reload_or_calls),
		T(test_web_tech_pages_for_a_technician_only),
		T(test_web_polls_do_not_keep_a_login),
		T(test_web_deferred_calls_are_bounded),
		T(test_web_new_sessions_are_bounded_and_spare_the_busy),
		T(test_web_login_ends_the_streams_of_the_cookie_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
