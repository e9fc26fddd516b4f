/* Connections without a socket (the web server's browsers): a request handed in whole is
 * served exactly as a socket line (role, schema, handler), its reply and every notification
 * reach the sink in order, deferred replies come later, detaching tells the close hook, and
 * the table's limits hold. A raised role (auth.login) lasts while the connection calls and
 * falls back after its idle time, on either kind of connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../controller/panel/panel.h"

#define SINK_MAX 16

static char dir[48];
static int64_t clock_now_ms = 1000; /* the panel's clock: the test moves it */
static char path[96];
static struct panel *panel;

/* What a sink was given. */
struct sink {
	int count;
	json_t *msgs[SINK_MAX];
	int newline_missing;
};

static struct app {
	int calls;
	uint64_t handle;
	uint64_t closed[4];
	int n_closed;
} app;

static void sink_take(void *arg, const char *json, size_t len)
{
	struct sink *s = arg;
	if (!len || json[len - 1] != '\n')
		s->newline_missing++;
	if (s->count < SINK_MAX)
		s->msgs[s->count] = json_loadb(json, len, 0, NULL);
	s->count++;
}

static void sink_clear(struct sink *s)
{
	for (int i = 0; i < s->count && i < SINK_MAX; i++)
		json_decref(s->msgs[i]);
	memset(s, 0, sizeof(*s));
}

static const struct panel_param echo_params[] = {
	{.name = "text", .type = PANEL_P_STRING, .required = true, .max_len = 32},
	PANEL_PARAMS_END,
};

static int h_echo(void *a, struct panel_call *call, json_t *params, json_t **result,
		  struct panel_error *err)
{
	((struct app *)a)->calls++;
	*result = json_deep_copy(params);
	return 0;
}

static int h_whoami(void *a, struct panel_call *call, json_t *params, json_t **result,
		    struct panel_error *err)
{
	*result = json_pack("{s:s,s:I}", "role", panel_role_name(call->role), "conn_id",
			    (json_int_t)call->conn_id);
	return 0;
}

static int h_later(void *a, struct panel_call *call, json_t *params, json_t **result,
		   struct panel_error *err)
{
	((struct app *)a)->handle = panel_call_defer(call);
	return PANEL_DEFERRED;
}

static int h_notify(void *a, struct panel_call *call, json_t *params, json_t **result,
		    struct panel_error *err)
{
	panel_notify(call->panel, PANEL_TOPIC_MOTION, "notify.motion", json_pack("{s:f}", "y_mm", 12.5));
	return 0;
}

/* auth.login's part in the panel: 50 ms of idleness (on the test's clock) and it is gone. */
static int h_login(void *a, struct panel_call *call, json_t *params, json_t **result,
		   struct panel_error *err)
{
	panel_call_raise_role(call, PANEL_ROLE_TECHNICIAN, 0.05);
	return 0;
}

static int h_logout(void *a, struct panel_call *call, json_t *params, json_t **result,
		    struct panel_error *err)
{
	panel_call_drop_role(call);
	return 0;
}

static const struct panel_method methods[] = {
	{"echo", PANEL_ROLE_ANY, echo_params, h_echo},
	{"whoami", PANEL_ROLE_ANY, NULL, h_whoami},
	{"tech.only", PANEL_ROLE_TECHNICIAN, NULL, h_echo},
	{"later", PANEL_ROLE_ANY, NULL, h_later},
	{"poke", PANEL_ROLE_ANY, NULL, h_notify},
	{"login", PANEL_ROLE_ANY, NULL, h_login},
	{"logout", PANEL_ROLE_ANY, NULL, h_logout},
	PANEL_METHODS_END,
};

static void on_close(void *a, uint64_t conn_id)
{
	struct app *ap = a;
	if (ap->n_closed < 4)
		ap->closed[ap->n_closed++] = conn_id;
}

static int64_t test_clock(void *arg)
{
	return clock_now_ms;
}

static int open_with(int max_clients)
{
	struct panel_config cfg = {.socket_path = path, .max_clients = max_clients,
				   .on_close = on_close, .clock_ms = test_clock};
	char err[200];
	int rc = panel_open(&panel, &cfg, methods, &app, err, sizeof(err));
	if (rc)
		fail_msg("panel_open: %s", err);
	return rc;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/tlocal.XXXXXX", P_tmpdir);
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/panel.sock", dir);
	memset(&app, 0, sizeof(app));
	return open_with(4);
}

static int teardown(void **state)
{
	panel_close(panel);
	panel = NULL;
	unlink(path);
	rmdir(dir);
	return 0;
}

static uint64_t attach(struct sink *s)
{
	uint64_t id = 0;
	assert_int_equal(panel_attach(panel, PANEL_ROLE_USER, sink_take, s, &id), 0);
	assert_true(id != 0);
	return id;
}

static void submit(uint64_t conn, const char *text)
{
	assert_int_equal(panel_submit(panel, conn, text, strlen(text)), 0);
}

static int error_code(const json_t *msg)
{
	return (int)json_integer_value(json_object_get(json_object_get(msg, "error"), "code"));
}

static const char *result_str(const json_t *msg, const char *key)
{
	return json_string_value(json_object_get(json_object_get(msg, "result"), key));
}

static void pause_ms(int ms)
{
	clock_now_ms += ms;
}

static void test_a_request_is_served_and_its_reply_reaches_the_sink_with_its_id(void **state)
{
	struct sink s = {0};
	uint64_t c = attach(&s);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":\"w7\",\n \"method\":\"echo\",\"params\":{\"text\":\"hi\"}}");
	assert_int_equal(s.count, 1);
	assert_int_equal(s.newline_missing, 0);
	assert_string_equal(json_string_value(json_object_get(s.msgs[0], "id")), "w7");
	assert_string_equal(result_str(s.msgs[0], "text"), "hi");
	assert_int_equal(app.calls, 1);
	assert_int_equal(panel_client_count(panel), 1);
	sink_clear(&s);
}

static void test_bad_requests_are_refused_as_on_the_socket_and_call_nothing(void **state)
{
	struct sink s = {0};
	uint64_t c = attach(&s);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"text\":5}}");
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}");
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tech.only\"}");
	submit(c, "   "); /* a blank request is not a request: it must still be answered */
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"id\":5,\"method\":\"echo\"}");
	assert_int_equal(s.count, 5);
	assert_int_equal(error_code(s.msgs[0]), PANEL_E_PARAMS);
	assert_int_equal(error_code(s.msgs[1]), PANEL_E_METHOD);
	assert_int_equal(error_code(s.msgs[2]), PANEL_E_ROLE);
	assert_int_equal(error_code(s.msgs[3]), PANEL_E_PARSE);
	assert_int_equal(error_code(s.msgs[4]), PANEL_E_PARSE);
	assert_true(json_is_null(json_object_get(s.msgs[3], "id")));
	assert_int_equal(app.calls, 0);
	sink_clear(&s);
}

static void test_a_request_too_long_is_refused_and_the_next_is_served(void **state)
{
	struct sink s = {0};
	uint64_t c = attach(&s);
	size_t n = PANEL_LINE_MAX + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	assert_int_equal(panel_submit(panel, c, big, n), -E2BIG);
	free(big);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"whoami\"}");
	assert_int_equal(s.count, 2);
	assert_int_equal(error_code(s.msgs[0]), PANEL_E_INVALID);
	assert_string_equal(result_str(s.msgs[1], "role"), "user");
	sink_clear(&s);
}

static void test_a_request_without_id_is_executed_and_not_answered(void **state)
{
	struct sink s = {0};
	uint64_t c = attach(&s);
	submit(c, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"x\"}}");
	assert_int_equal(s.count, 0);
	assert_int_equal(app.calls, 1);
	sink_clear(&s);
}

static void test_notifications_reach_subscribed_sinks_only(void **state)
{
	struct sink a = {0}, b = {0};
	uint64_t ca = attach(&a), cb = attach(&b);
	submit(ca, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\",\"params\":{\"topics\":[\"motion\"]}}");
	assert_int_equal(panel_conn_topics(panel, ca), 1u << PANEL_TOPIC_MOTION);
	assert_int_equal(panel_conn_topics(panel, cb), 0);
	submit(cb, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"poke\"}");
	assert_int_equal(a.count, 2); /* the subscribe reply, then the notification */
	assert_string_equal(json_string_value(json_object_get(a.msgs[1], "method")), "notify.motion");
	assert_null(json_object_get(a.msgs[1], "id"));
	assert_int_equal(b.count, 1); /* poke's own reply only */
	assert_non_null(json_object_get(b.msgs[0], "result"));
	sink_clear(&a);
	sink_clear(&b);
}

static void test_a_deferred_reply_comes_later_and_detach_drops_it(void **state)
{
	struct sink s = {0};
	uint64_t c = attach(&s);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"later\"}");
	assert_int_equal(s.count, 0);
	assert_int_equal(panel_reply(panel, app.handle, json_pack("{s:b}", "done", 1)), 0);
	assert_int_equal(s.count, 1);
	assert_int_equal(json_integer_value(json_object_get(s.msgs[0], "id")), 9);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"later\"}");
	panel_detach(panel, c);
	assert_int_equal(app.n_closed, 1);
	assert_true(app.closed[0] == c);
	assert_int_equal(panel_reply(panel, app.handle, json_object()), -ENOENT);
	assert_int_equal(s.count, 1);
	assert_int_equal(panel_submit(panel, c, "{}", 2), -ENOENT);
	assert_int_equal(panel_conn_role(panel, c), PANEL_ROLE_ANY);
	panel_detach(panel, c); /* twice: harmless */
	assert_int_equal(app.n_closed, 1);
	assert_int_equal(panel_client_count(panel), 0);
	sink_clear(&s);
}

static void test_attach_past_max_clients_is_refused(void **state)
{
	struct sink s = {0};
	for (int i = 0; i < 4; i++)
		attach(&s);
	uint64_t id = 0;
	assert_int_equal(panel_attach(panel, PANEL_ROLE_USER, sink_take, &s, &id), -EMFILE);
	assert_int_equal(panel_attach(panel, PANEL_ROLE_USER, NULL, &s, &id), -EINVAL);
	assert_int_equal(panel_client_count(panel), 4);
	sink_clear(&s);
}

static void test_a_raised_role_lasts_while_used_falls_back_when_idle_or_dropped(void **state)
{
	struct sink s = {0};
	uint64_t c = attach(&s);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"login\"}");
	assert_int_equal(panel_conn_role(panel, c), PANEL_ROLE_TECHNICIAN);
	/* Calls closer together than the idle time keep it. */
	for (int i = 0; i < 4; i++) {
		pause_ms(20);
		submit(c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tech.only\"}");
	}
	assert_int_equal(s.count, 5);
	for (int i = 1; i < 5; i++)
		assert_non_null(json_object_get(s.msgs[i], "result"));
	/* Idle past it: the connection is a user again, and is refused. */
	pause_ms(50);
	assert_int_equal(panel_conn_role(panel, c), PANEL_ROLE_TECHNICIAN); /* 50 ms: not past */
	pause_ms(1);
	assert_int_equal(panel_conn_role(panel, c), PANEL_ROLE_USER);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tech.only\"}");
	assert_int_equal(error_code(s.msgs[5]), PANEL_E_ROLE);
	/* Logged in again, then out: back to user at once. */
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"login\"}");
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"logout\"}");
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"whoami\"}");
	assert_string_equal(result_str(s.msgs[8], "role"), "user");
	sink_clear(&s);
}

static void test_polls_do_not_keep_a_raise_alive_and_drop_role_lowers_it(void **state)
{
	struct sink s = {0};
	uint64_t c = attach(&s);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"login\"}");
	const char *poll = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tech.only\"}";
	for (int i = 0; i < 4; i++) { /* a page refreshing every 20 ms, nobody touching it */
		pause_ms(20);
		assert_int_equal(panel_submit_ex(panel, c, poll, strlen(poll), PANEL_SUBMIT_POLL), 0);
	}
	assert_int_equal(s.count, 5);
	assert_non_null(json_object_get(s.msgs[2], "result")); /* served while the raise lasted */
	assert_int_equal(error_code(s.msgs[4]), PANEL_E_ROLE);  /* 80 ms after the login: gone */
	assert_int_equal(panel_conn_role(panel, c), PANEL_ROLE_USER);
	submit(c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"login\"}");
	assert_int_equal(panel_conn_role(panel, c), PANEL_ROLE_TECHNICIAN);
	panel_conn_drop_role(panel, c);
	assert_int_equal(panel_conn_role(panel, c), PANEL_ROLE_USER);
	panel_conn_drop_role(panel, 999); /* unknown: nothing */
	sink_clear(&s);
}

static void test_a_technician_attached_stays_one_through_logout(void **state)
{
	struct sink s = {0};
	uint64_t id = 0;
	assert_int_equal(panel_attach(panel, PANEL_ROLE_TECHNICIAN, sink_take, &s, &id), 0);
	submit(id, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"logout\"}");
	assert_int_equal(panel_conn_role(panel, id), PANEL_ROLE_TECHNICIAN);
	sink_clear(&s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_a_request_is_served_and_its_reply_reaches_the_sink_with_its_id),
		T(test_bad_requests_are_refused_as_on_the_socket_and_call_nothing),
		T(test_a_request_too_long_is_refused_and_the_next_is_served),
		T(test_a_request_without_id_is_executed_and_not_answered),
		T(test_notifications_reach_subscribed_sinks_only),
		T(test_a_deferred_reply_comes_later_and_detach_drops_it),
		T(test_attach_past_max_clients_is_refused),
		T(test_a_raised_role_lasts_while_used_falls_back_when_idle_or_dropped),
		T(test_polls_do_not_keep_a_raise_alive_and_drop_role_lowers_it),
		T(test_a_technician_attached_stays_one_through_logout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
