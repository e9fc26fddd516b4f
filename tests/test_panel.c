/* The panel server over real Unix sockets in a temporary directory, in lockstep: the test
 * is the client, and the client's waits serve the server in the same thread (a pump), so
 * nothing depends on the host's timing. Every error code with its data; a refused request
 * reaches no handler; lines over 64 KiB; requests without an id (executed, unanswered); a
 * flood served a few lines a turn; the close hook; notifications to every
 * subscriber and only to them; a client that never reads is dropped while another gets
 * everything; deferred replies, also to a client that has gone; many clients; the socket
 * itself (mode, stale socket, a live server, a path that is not a socket). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../controller/panel/client.h"
#include "../controller/panel/panel.h"

#define WAIT_MS 5000 /* only ever reached when a test fails */
#define MAX_TEST_CLIENTS 200

static char dir[48];
static char path[96];
static struct panel *panel;
static struct panel_client *clients[MAX_TEST_CLIENTS];
static int n_clients;
static enum panel_role next_role = PANEL_ROLE_USER;

/* What the handlers did: a refused request must leave these alone. */
static struct app {
	int calls;
	int unchecked; /* echo calls whose params the schema should have refused */
	uint64_t handle;
} app;

/* --- the test method table ------------------------------------------------------------- */

static const char *const levels[] = {"gentle", "normal", "firm", NULL};

static const struct panel_param echo_params[] = {
	{.name = "text", .type = PANEL_P_STRING, .required = true, .max_len = 32},
	{.name = "n", .type = PANEL_P_INT, .min = 0, .max = 10},
	{.name = "x", .type = PANEL_P_NUMBER, .min = 5, .max = 30},
	{.name = "flag", .type = PANEL_P_BOOL},
	{.name = "level", .type = PANEL_P_ENUM, .choices = levels},
	{.name = "obj", .type = PANEL_P_OBJECT},
	{.name = "list", .type = PANEL_P_ARRAY, .max_len = 3},
	{.name = "levels", .type = PANEL_P_ARRAY, .choices = levels},
	PANEL_PARAMS_END,
};

static int h_echo(void *a, struct panel_call *call, json_t *params, json_t **result,
		  struct panel_error *err)
{
	struct app *ap = a;
	ap->calls++;
	/* What the schema promises the handler, checked again here. */
	json_t *text = json_object_get(params, "text"), *n = json_object_get(params, "n");
	json_t *level = json_object_get(params, "level");
	if (!json_is_string(text) || json_string_length(text) > 32 ||
	    (n && (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > 10)) ||
	    (level && (!json_is_string(level) || (strcmp(json_string_value(level), "gentle") &&
						  strcmp(json_string_value(level), "normal") &&
						  strcmp(json_string_value(level), "firm")))))
		ap->unchecked++;
	*result = json_deep_copy(params);
	return 0;
}

static int h_count(void *a, struct panel_call *call, json_t *params, json_t **result,
		   struct panel_error *err)
{
	struct app *ap = a;
	ap->calls++;
	*result = json_pack("{s:i}", "calls", ap->calls);
	return 0;
}

static int h_whoami(void *a, struct panel_call *call, json_t *params, json_t **result,
		    struct panel_error *err)
{
	*result = json_pack("{s:s,s:I,s:I}", "role", panel_role_name(call->role), "uid",
			    (json_int_t)call->uid, "conn_id", (json_int_t)call->conn_id);
	return 0;
}

static int h_fail_state(void *a, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err)
{
	panel_error_set(err, PANEL_E_STATE, json_pack("{s:s}", "state", "idle"),
			"no session is running");
	return -1;
}

static int h_fail_missing(void *a, struct panel_call *call, json_t *params, json_t **result,
			  struct panel_error *err)
{
	panel_error_set(err, PANEL_E_NOT_FOUND, NULL, "no such user");
	return -1;
}

static int h_fail_rule(void *a, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err)
{
	panel_error_set(err, PANEL_E_REFUSED,
			json_pack("{s:[s]}", "diagnostics", "line 3: level 9 above the cap"),
			"refused by the program checker");
	return -1;
}

static int h_fail_auth(void *a, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err)
{
	panel_error_set(err, PANEL_E_AUTH, json_pack("{s:i}", "retry_after_s", 30),
			"authentication failed");
	return -1;
}

static int h_fail_silent(void *a, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err)
{
	*result = json_object(); /* set and then failed: must not leak nor be sent */
	return -1;
}

static int h_later(void *a, struct panel_call *call, json_t *params, json_t **result,
		   struct panel_error *err)
{
	((struct app *)a)->handle = panel_call_defer(call);
	return PANEL_DEFERRED;
}

static int h_login(void *a, struct panel_call *call, json_t *params, json_t **result,
		   struct panel_error *err)
{
	panel_call_raise_role(call, PANEL_ROLE_TECHNICIAN, 600.0);
	return 0;
}

static const struct panel_method methods[] = {
	{"echo", PANEL_ROLE_ANY, echo_params, h_echo},
	{"count", PANEL_ROLE_USER, NULL, h_count},
	{"whoami", PANEL_ROLE_ANY, NULL, h_whoami},
	{"tech.only", PANEL_ROLE_TECHNICIAN, NULL, h_count},
	{"fail.state", PANEL_ROLE_ANY, NULL, h_fail_state},
	{"fail.missing", PANEL_ROLE_ANY, NULL, h_fail_missing},
	{"fail.rule", PANEL_ROLE_ANY, NULL, h_fail_rule},
	{"fail.auth", PANEL_ROLE_ANY, NULL, h_fail_auth},
	{"fail.silent", PANEL_ROLE_ANY, NULL, h_fail_silent},
	{"later", PANEL_ROLE_ANY, NULL, h_later},
	{"login", PANEL_ROLE_ANY, NULL, h_login},
	PANEL_METHODS_END,
};

/* --- harness --------------------------------------------------------------------------- */

static enum panel_role test_role(void *arg, uid_t uid, gid_t gid)
{
	return next_role;
}

static void pump(void *arg)
{
	panel_poll(panel, 0);
}

static int open_panel(int max_clients, size_t out_max)
{
	struct panel_config cfg = {.socket_path = path, .max_clients = max_clients,
				   .out_max_bytes = out_max, .peer_role = test_role};
	char err[200];
	int rc = panel_open(&panel, &cfg, methods, &app, err, sizeof(err));
	if (rc)
		fail_msg("panel_open: %s", err);
	return rc;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "%s/tpanel.XXXXXX", P_tmpdir);
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/panel.sock", dir);
	memset(&app, 0, sizeof(app));
	next_role = PANEL_ROLE_USER;
	n_clients = 0;
	return open_panel(0, 0);
}

static int teardown(void **state)
{
	for (int i = 0; i < n_clients; i++)
		panel_client_close(clients[i]);
	n_clients = 0;
	panel_close(panel);
	panel = NULL;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* A client served in lockstep, the server having taken its connection. */
static struct panel_client *connect_client(void)
{
	struct panel_client *cl;
	char err[200];
	int before = panel_client_count(panel);
	if (panel_client_connect(&cl, path, err, sizeof(err)))
		fail_msg("connect: %s", err);
	panel_client_set_pump(cl, pump, NULL);
	assert_true(n_clients < MAX_TEST_CLIENTS);
	clients[n_clients++] = cl;
	for (int i = 0; i < 1000 && panel_client_count(panel) == before; i++)
		panel_poll(panel, 10);
	assert_int_equal(panel_client_count(panel), before + 1);
	return cl;
}

/* Send one raw line (newline added) and return the next message. */
static json_t *raw(struct panel_client *cl, const char *line)
{
	assert_int_equal(panel_client_send_raw(cl, line, strlen(line), WAIT_MS), 0);
	assert_int_equal(panel_client_send_raw(cl, "\n", 1, WAIT_MS), 0);
	json_t *m = NULL;
	assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), 0);
	/* No reply names a place on the machine, the socket's directory included. */
	char *text = json_dumps(m, 0);
	assert_null(strstr(text, dir));
	free(text);
	return m;
}

/* msg is an error reply with code; returns its data (borrowed from msg). */
static json_t *error_of(json_t *msg, int code)
{
	json_t *e = json_object_get(msg, "error");
	if (!json_is_object(e))
		fail_msg("not an error: %s", json_dumps(msg, 0));
	assert_int_equal(json_integer_value(json_object_get(e, "code")), code);
	assert_true(json_is_string(json_object_get(e, "message")));
	assert_null(json_object_get(msg, "result"));
	return json_object_get(e, "data");
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (!s)
		fail_msg("no string %s", key);
	return s;
}

/* A raw line is refused with code; data.field is field (when not NULL). The reply's id is
 * null unless want_id >= 0. No handler ran. */
static json_t *assert_refused(struct panel_client *cl, const char *line, int code,
			      const char *field, int want_id)
{
	int calls = app.calls;
	json_t *m = raw(cl, line);
	json_t *data = error_of(m, code);
	if (field) {
		assert_non_null(data);
		assert_string_equal(str(data, "field"), field);
		assert_true(strlen(str(data, "expected")) > 0);
	}
	json_t *id = json_object_get(m, "id");
	if (want_id < 0)
		assert_true(json_is_null(id));
	else
		assert_int_equal(json_integer_value(id), want_id);
	assert_int_equal(app.calls, calls);
	json_incref(data);
	json_decref(m);
	return data;
}

/* --- decoding: -32700 and -32600 ------------------------------------------------------- */

static void test_bad_json_is_32700_with_its_reason_and_id_null(void **state)
{
	struct panel_client *cl = connect_client();
	json_t *d = assert_refused(cl, "{\"jsonrpc\":\"2.0\",\"id\":1,", PANEL_E_PARSE, NULL, -1);
	assert_string_equal(str(d, "reason"), "truncated");
	json_decref(d);
	d = assert_refused(cl, "{\"jsonrpc\":\"2.0\" \"id\":1}", PANEL_E_PARSE, NULL, -1);
	assert_string_equal(str(d, "reason"), "syntax");
	json_decref(d);
	d = assert_refused(cl, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"count\"} {}",
			   PANEL_E_PARSE, NULL, -1);
	assert_string_equal(str(d, "reason"), "data after the object");
	json_decref(d);
	char deep[6001];
	memset(deep, '[', 6000);
	deep[6000] = '\0';
	d = assert_refused(cl, deep, PANEL_E_PARSE, NULL, -1);
	assert_string_equal(str(d, "reason"), "nested too deep");
	json_decref(d);
}

static void test_invalid_utf8_is_32700(void **state)
{
	struct panel_client *cl = connect_client();
	json_t *d = assert_refused(
		cl, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"text\":\"a\xff\"}}",
		PANEL_E_PARSE, NULL, -1);
	assert_string_equal(str(d, "reason"), "invalid UTF-8");
	json_decref(d);
	/* An overlong encoding of '/' is not UTF-8 either. */
	d = assert_refused(
		cl, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"text\":\"\xc0\xaf\"}}",
		PANEL_E_PARSE, NULL, -1);
	assert_string_equal(str(d, "reason"), "invalid UTF-8");
	json_decref(d);
}

static void test_duplicate_key_is_32700_and_calls_nothing(void **state)
{
	struct panel_client *cl = connect_client();
	json_t *d = assert_refused(cl,
				   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
				   "\"params\":{\"text\":\"a\",\"text\":\"b\"}}",
				   PANEL_E_PARSE, NULL, -1);
	assert_string_equal(str(d, "reason"), "duplicate key");
	json_decref(d);
	d = assert_refused(cl, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"count\",\"method\":\"x\"}",
			   PANEL_E_PARSE, NULL, -1);
	json_decref(d);
}

static void test_each_shape_that_is_not_a_request_is_32600(void **state)
{
	struct panel_client *cl = connect_client();
	static const struct {
		const char *line;
		const char *field; /* NULL: the whole line */
		int id;            /* -1: replied with id null */
	} cases[] = {
		{"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"count\"}]", NULL, -1},
		{"5", NULL, -1},
		{"\"count\"", NULL, -1},
		{"{\"id\":1,\"method\":\"count\"}", "jsonrpc", 1},
		{"{\"jsonrpc\":\"1.0\",\"id\":2,\"method\":\"count\"}", "jsonrpc", 2},
		{"{\"jsonrpc\":2.0,\"id\":3,\"method\":\"count\"}", "jsonrpc", 3},
		{"{\"jsonrpc\":\"2.0\",\"id\":4}", "method", 4},
		{"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":5}", "method", 5},
		{"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"count\"}", "id", -1},
		{"{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"count\"}", "id", -1},
		{"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"count\"}", "id", -1},
		{"{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"count\"}", "id", -1},
		{"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"count\",\"params\":[]}", "params", 6},
		{"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"count\",\"params\":\"x\"}", "params", 7},
		{"{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"count\",\"extra\":1}", "extra", 8},
		/* Without an id, and not a request: answered all the same, with id null. */
		{"{\"jsonrpc\":\"1.0\",\"method\":\"count\"}", "jsonrpc", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *d = assert_refused(cl, cases[i].line, PANEL_E_INVALID, cases[i].field,
					   cases[i].id);
		assert_true(strlen(str(d, "expected")) > 0);
		json_decref(d);
	}
	assert_int_equal(app.calls, 0);
}

static void test_string_ids_are_echoed(void **state)
{
	struct panel_client *cl = connect_client();
	json_t *m = raw(cl, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"count\"}");
	assert_string_equal(str(m, "id"), "abc");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "result"), "calls")), 1);
	json_decref(m);
}

/* --- dispatch: -32601, -32602, -32002, handlers' own errors ------------------------------- */

static void test_unknown_method_is_32601(void **state)
{
	struct panel_client *cl = connect_client();
	json_t *d = assert_refused(cl, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"no.such\"}",
				   PANEL_E_METHOD, NULL, 9);
	assert_string_equal(str(d, "method"), "no.such");
	json_decref(d);
}

static void test_bad_params_name_the_field_and_what_was_expected(void **state)
{
	struct panel_client *cl = connect_client();
	static const struct {
		const char *params;
		const char *field;
		const char *expected;
	} cases[] = {
		{"{}", "text", "string of at most 32 bytes (required)"},
		{"{\"text\":5}", "text", "string of at most 32 bytes"},
		{"{\"text\":\"0123456789012345678901234567890123\"}", "text",
		 "string of at most 32 bytes"},
		{"{\"text\":\"a\",\"pad\":1}", "pad", "no such param; known: text, n, x, flag, level, "
						      "obj, list, levels"},
		{"{\"text\":\"a\",\"n\":11}", "n", "integer from 0 to 10"},
		{"{\"text\":\"a\",\"n\":-1}", "n", "integer from 0 to 10"},
		{"{\"text\":\"a\",\"n\":5.0}", "n", "integer from 0 to 10"},
		{"{\"text\":\"a\",\"n\":\"5\"}", "n", "integer from 0 to 10"},
		{"{\"text\":\"a\",\"x\":4.99}", "x", "number from 5 to 30"},
		{"{\"text\":\"a\",\"x\":30.01}", "x", "number from 5 to 30"},
		{"{\"text\":\"a\",\"flag\":1}", "flag", "true or false"},
		{"{\"text\":\"a\",\"level\":\"hard\"}", "level", "one of gentle, normal, firm"},
		{"{\"text\":\"a\",\"level\":1}", "level", "one of gentle, normal, firm"},
		{"{\"text\":\"a\",\"obj\":[]}", "obj", "object"},
		{"{\"text\":\"a\",\"list\":[1,2,3,4]}", "list", "array of at most 3 items"},
		{"{\"text\":\"a\",\"list\":{}}", "list", "array of at most 3 items"},
		{"{\"text\":\"a\",\"levels\":[\"firm\",\"hard\"]}", "levels",
		 "array, each one of gentle, normal, firm"},
		/* The unknown param is named even when a known one is also wrong. */
		{"{\"n\":99,\"zz\":1}", "zz", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[512];
		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"echo\",\"params\":%s}", i,
			 cases[i].params);
		json_t *d = assert_refused(cl, line, PANEL_E_PARAMS, cases[i].field, (int)i);
		if (cases[i].expected)
			assert_string_equal(str(d, "expected"), cases[i].expected);
		json_decref(d);
	}
	/* A method without params takes none. */
	json_t *d = assert_refused(
		cl, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"count\",\"params\":{\"a\":1}}",
		PANEL_E_PARAMS, "a", 1);
	assert_string_equal(str(d, "expected"), "no params");
	json_decref(d);
	assert_int_equal(app.calls, 0);
}

static void test_params_that_fit_reach_the_handler(void **state)
{
	struct panel_client *cl = connect_client();
	json_t *res = NULL;
	struct panel_error err = {0};
	json_t *params = json_pack("{s:s,s:i,s:f,s:b,s:s,s:{},s:[i,i,i],s:[s,s]}", "text",
				   "héllo", "n", 10, "x", 5.0, "flag", 1, "level", "firm", "obj",
				   "list", 1, 2, 3, "levels", "gentle", "normal");
	json_t *copy = json_deep_copy(params);
	assert_int_equal(panel_client_call(cl, "echo", params, &res, &err, WAIT_MS), 0);
	assert_true(json_equal(res, copy));
	assert_int_equal(app.calls, 1);
	json_decref(res);
	json_decref(copy);
}

static void test_user_peer_is_refused_a_technician_method(void **state)
{
	next_role = PANEL_ROLE_USER;
	struct panel_client *user = connect_client();
	json_t *d = assert_refused(user, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tech.only\"}",
				   PANEL_E_ROLE, NULL, 1);
	assert_string_equal(str(d, "role"), "user");
	assert_string_equal(str(d, "required"), "technician");
	json_decref(d);
	assert_int_equal(app.calls, 0);

	next_role = PANEL_ROLE_TECHNICIAN;
	struct panel_client *tech = connect_client();
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(panel_client_call(tech, "tech.only", NULL, &res, &err, WAIT_MS), 0);
	json_decref(res);
	assert_int_equal(app.calls, 1);
	/* A user may call a user method; a technician any. */
	assert_int_equal(panel_client_call(user, "count", NULL, &res, &err, WAIT_MS), 0);
	json_decref(res);
	assert_int_equal(app.calls, 2);
}

static void test_set_role_raises_the_connection_from_then_on(void **state)
{
	next_role = PANEL_ROLE_USER;
	struct panel_client *cl = connect_client();
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(panel_client_call(cl, "tech.only", NULL, &res, &err, WAIT_MS), -EREMOTEIO);
	assert_int_equal(err.code, PANEL_E_ROLE);
	panel_error_clear(&err);
	assert_int_equal(panel_client_call(cl, "login", NULL, &res, &err, WAIT_MS), 0);
	json_decref(res);
	assert_int_equal(panel_client_call(cl, "tech.only", NULL, &res, &err, WAIT_MS), 0);
	json_decref(res);
	assert_int_equal(panel_client_call(cl, "whoami", NULL, &res, &err, WAIT_MS), 0);
	assert_string_equal(str(res, "role"), "technician");
	json_decref(res);
}

static void test_handler_sees_its_peer_and_a_connection_id(void **state)
{
	struct panel_client *a = connect_client(), *b = connect_client();
	json_t *ra = NULL, *rb = NULL;
	struct panel_error err = {0};
	assert_int_equal(panel_client_call(a, "whoami", NULL, &ra, &err, WAIT_MS), 0);
	assert_int_equal(panel_client_call(b, "whoami", NULL, &rb, &err, WAIT_MS), 0);
	assert_int_equal(json_integer_value(json_object_get(ra, "uid")), getuid());
	assert_string_equal(str(ra, "role"), "user");
	assert_int_not_equal(json_integer_value(json_object_get(ra, "conn_id")),
			     json_integer_value(json_object_get(rb, "conn_id")));
	json_decref(ra);
	json_decref(rb);
}

static void test_handlers_own_errors_pass_through_with_their_data(void **state)
{
	struct panel_client *cl = connect_client();
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(panel_client_call(cl, "fail.state", NULL, &res, &err, WAIT_MS), -EREMOTEIO);
	assert_int_equal(err.code, PANEL_E_STATE);
	assert_string_equal(err.message, "no session is running");
	assert_string_equal(str(err.data, "state"), "idle");
	panel_error_clear(&err);

	assert_int_equal(panel_client_call(cl, "fail.missing", NULL, &res, &err, WAIT_MS),
			 -EREMOTEIO);
	assert_int_equal(err.code, PANEL_E_NOT_FOUND);
	assert_null(err.data);
	panel_error_clear(&err);

	assert_int_equal(panel_client_call(cl, "fail.rule", NULL, &res, &err, WAIT_MS), -EREMOTEIO);
	assert_int_equal(err.code, PANEL_E_REFUSED);
	json_t *diag = json_object_get(err.data, "diagnostics");
	assert_int_equal(json_array_size(diag), 1);
	assert_string_equal(json_string_value(json_array_get(diag, 0)),
			    "line 3: level 9 above the cap");
	panel_error_clear(&err);

	assert_int_equal(panel_client_call(cl, "fail.auth", NULL, &res, &err, WAIT_MS), -EREMOTEIO);
	assert_int_equal(err.code, PANEL_E_AUTH);
	assert_int_equal(json_integer_value(json_object_get(err.data, "retry_after_s")), 30);
	panel_error_clear(&err);

	/* A handler that fails without saying why is an internal error, nothing more. */
	assert_int_equal(panel_client_call(cl, "fail.silent", NULL, &res, &err, WAIT_MS),
			 -EREMOTEIO);
	assert_int_equal(err.code, PANEL_E_INTERNAL);
	assert_string_equal(err.message, "internal error");
	assert_null(err.data);
	panel_error_clear(&err);
	assert_null(res);
}

/* --- framing --------------------------------------------------------------------------- */

/* A request for count padded with blanks to exactly len bytes before its newline. */
static char *padded_request(size_t len, int id)
{
	char head[64];
	int n = snprintf(head, sizeof(head), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"count\"",
			 id);
	char *line = malloc(len + 2);
	memcpy(line, head, (size_t)n);
	memset(line + n, ' ', len - (size_t)n - 1);
	line[len - 1] = '}';
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

static void test_a_line_of_64k_is_served_one_byte_more_is_refused_and_the_next_line_is_served(
	void **state)
{
	struct panel_client *cl = connect_client();
	char *ok = padded_request(PANEL_LINE_MAX, 1);
	assert_int_equal(panel_client_send_raw(cl, ok, PANEL_LINE_MAX + 1, WAIT_MS), 0);
	json_t *m = NULL;
	assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 1);
	assert_non_null(json_object_get(m, "result"));
	json_decref(m);
	free(ok);
	assert_int_equal(app.calls, 1);

	char *big = padded_request(PANEL_LINE_MAX + 1, 2);
	assert_int_equal(panel_client_send_raw(cl, big, PANEL_LINE_MAX + 2, WAIT_MS), 0);
	free(big);
	assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), 0);
	json_t *d = error_of(m, PANEL_E_INVALID);
	assert_int_equal(json_integer_value(json_object_get(d, "max_bytes")), PANEL_LINE_MAX);
	assert_true(json_is_null(json_object_get(m, "id")));
	json_decref(m);
	assert_int_equal(app.calls, 1);

	m = raw(cl, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"count\"}");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 3);
	json_decref(m);
	assert_int_equal(app.calls, 2);
	struct panel_stats st;
	panel_get_stats(panel, &st);
	assert_int_equal(st.too_long, 1);
}

static void test_a_megabyte_of_garbage_is_one_error_and_the_line_after_it_is_served(
	void **state)
{
	struct panel_client *cl = connect_client();
	size_t n = 1024 * 1024;
	char *junk = malloc(n);
	for (size_t i = 0; i < n; i++)
		junk[i] = (char)('a' + i % 26);
	assert_int_equal(panel_client_send_raw(cl, junk, n, WAIT_MS), 0);
	free(junk);
	json_t *m = raw(cl, "");
	error_of(m, PANEL_E_INVALID);
	json_decref(m);
	m = raw(cl, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"count\"}");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 4);
	json_decref(m);
	struct panel_stats st;
	panel_get_stats(panel, &st);
	assert_int_equal(st.too_long, 1);
	assert_int_equal(st.errors, 1);
	/* The megabyte was never held: one line's worth of buffer at most. */
	assert_true(st.in_buffered <= PANEL_LINE_MAX + 1);
	assert_int_equal(st.out_queued, 0);
}

static void test_lines_split_and_joined_any_way_are_served_in_order(void **state)
{
	struct panel_client *cl = connect_client();
	const char *two = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"count\"}\r\n\n   \n"
			  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"count\"}\n";
	for (size_t i = 0; two[i]; i++) {
		assert_int_equal(panel_client_send_raw(cl, two + i, 1, WAIT_MS), 0);
		panel_poll(panel, 0);
	}
	for (int id = 1; id <= 2; id++) {
		json_t *m = NULL;
		assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), 0);
		assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
		json_decref(m);
	}
	assert_int_equal(app.calls, 2);
}

static void test_a_request_without_id_is_executed_and_not_answered(void **state)
{
	struct panel_client *cl = connect_client();
	/* a call, a failing call and a deferred call, each without an id */
	const char *notes = "{\"jsonrpc\":\"2.0\",\"method\":\"count\"}\n"
			    "{\"jsonrpc\":\"2.0\",\"method\":\"fail.state\"}\n"
			    "{\"jsonrpc\":\"2.0\",\"method\":\"later\"}\n";
	assert_int_equal(panel_client_send_raw(cl, notes, strlen(notes), WAIT_MS), 0);
	for (int i = 0; i < 100 && !app.handle; i++)
		panel_poll(panel, 10);
	assert_int_equal(app.calls, 1);
	assert_true(app.handle != 0);
	/* the deferred reply to a notification is dropped, not sent with id null */
	panel_reply(panel, app.handle, json_pack("{s:b}", "late", 1));
	/* The next message is the answer to the next request: nothing came for the others. */
	json_t *m = raw(cl, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"whoami\"}");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 5);
	assert_non_null(json_object_get(m, "result"));
	json_decref(m);
	struct panel_stats st;
	panel_get_stats(panel, &st);
	assert_int_equal(st.notifications_in, 3);
	assert_int_equal(st.errors, 0);
}

/* A flood of lines on one connection is served a few lines a turn: another connection's
 * request waits a turn, not the whole flood, and the rest of the flood is served from its
 * buffer in the next turns without anything new on the socket. */
static void test_a_flood_on_one_connection_delays_another_by_a_turn_only(void **state)
{
	struct panel_client *flood = connect_client();
	struct panel_client *other = connect_client();
	char lines[100 * 48];
	size_t len = 0;
	for (int i = 1; i <= 100; i++)
		len += (size_t)snprintf(lines + len, sizeof(lines) - len,
					"{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"count\"}\n", i);
	assert_int_equal(panel_client_send_raw(flood, lines, len, WAIT_MS), 0);
	const char *ask = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"whoami\"}\n";
	assert_int_equal(panel_client_send_raw(other, ask, strlen(ask), WAIT_MS), 0);
	json_t *m = NULL;
	int turns = 0;
	while (!m && turns < 100) {
		panel_poll(panel, 10);
		turns++;
		if (panel_client_read_message(other, &m, 0) != 0)
			m = NULL;
	}
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 7);
	json_decref(m);
	assert_true(turns <= 3);
	assert_true(app.calls <= 3 * 8); /* the flood's first lines only */
	assert_int_equal(panel_poll_timeout_ms(panel, 50), 0); /* the rest waits: no sleep */
	for (int i = 0; i < 20 && app.calls < 100; i++)
		panel_poll(panel, 0); /* nothing new on either socket */
	assert_int_equal(app.calls, 100);
	assert_int_equal(panel_poll_timeout_ms(panel, 50), 50);
	for (int id = 1; id <= 100; id++) {
		assert_int_equal(panel_client_read_message(flood, &m, WAIT_MS), 0);
		assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
		json_decref(m);
	}
}

static uint64_t closed_ids[8];
static int closed_count;

static void on_close(void *a, uint64_t conn_id)
{
	assert_ptr_equal(a, &app);
	if (closed_count < 8)
		closed_ids[closed_count++] = conn_id;
}

/* The close hook names the connection that went, once, and not the ones still there. */
static void test_the_close_hook_names_the_connection_that_went(void **state)
{
	closed_count = 0;
	panel_set_on_close(panel, on_close);
	struct panel_client *stays = connect_client();
	struct panel_client *goes = connect_client();
	json_t *m = raw(goes, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"whoami\"}");
	uint64_t id = (uint64_t)json_integer_value(json_object_get(json_object_get(m, "result"),
								    "conn_id"));
	json_decref(m);
	panel_client_close(goes);
	clients[--n_clients] = NULL;
	for (int i = 0; i < 100 && !closed_count; i++)
		panel_poll(panel, 10);
	assert_int_equal(closed_count, 1);
	assert_true(closed_ids[0] == id);
	m = raw(stays, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"whoami\"}");
	json_decref(m);
	assert_int_equal(closed_count, 1);
	panel_close(panel); /* the server closing is no client going away */
	panel = NULL;
	assert_int_equal(closed_count, 1);
	open_panel(0, 0);
}

static void test_mangled_requests_never_crash_and_the_next_request_is_served(void **state)
{
	struct panel_client *cl = connect_client();
	const char *good = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\","
			   "\"params\":{\"text\":\"ab\",\"n\":3,\"level\":\"firm\"}}";
	size_t len = strlen(good);
	char line[256];
	unsigned seed = 12345;
	int replies = 0;
	for (int k = 0; k < 3000; k++) {
		memcpy(line, good, len);
		int flips = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
		for (int f = 0; f < flips; f++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 16) % len;
			seed = seed * 1103515245u + 12345u;
			char b = (char)((seed >> 16) & 0xff);
			line[at] = b == '\n' ? ' ' : b;
		}
		line[len] = '\n';
		assert_int_equal(panel_client_send_raw(cl, line, len + 1, WAIT_MS), 0);
		/* Read as it goes: a client that only writes would be dropped once its replies
		 * fill its queue, as it should be. */
		json_t *m;
		while (panel_client_read_message(cl, &m, 0) == 0) {
			assert_true(json_object_get(m, "result") || json_object_get(m, "error"));
			json_decref(m);
			replies++;
		}
	}
	json_t *m = NULL;
	const char *sentinel = "{\"jsonrpc\":\"2.0\",\"id\":\"sentinel\",\"method\":\"count\"}\n";
	assert_int_equal(panel_client_send_raw(cl, sentinel, strlen(sentinel), WAIT_MS), 0);
	for (;;) {
		assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), 0);
		assert_string_equal(str(m, "jsonrpc"), "2.0");
		assert_true(json_object_get(m, "result") || json_object_get(m, "error"));
		json_t *id = json_object_get(m, "id");
		bool done = json_is_string(id) && !strcmp(json_string_value(id), "sentinel");
		json_decref(m);
		if (done)
			break;
		replies++;
	}
	assert_true(replies > 2500 && replies <= 3000);
	assert_true(app.calls > 0); /* some mangled lines were still good requests */
	assert_int_equal(app.unchecked, 0);
	assert_int_equal(panel_client_count(panel), 1);
	struct panel_stats st;
	panel_get_stats(panel, &st);
	assert_int_equal(st.dropped_slow, 0);
}

/* --- subscriptions and the slow client --------------------------------------------------- */

static void subscribe(struct panel_client *cl, const char *topics_json)
{
	json_t *res = NULL;
	struct panel_error err = {0};
	json_t *params = json_pack("{s:o}", "topics", json_loads(topics_json, 0, NULL));
	assert_int_equal(panel_client_call(cl, "subscribe", params, &res, &err, WAIT_MS), 0);
	json_decref(res);
}

static void expect_notification(struct panel_client *cl, const char *method, int seq)
{
	char name[64];
	json_t *params = NULL;
	assert_int_equal(panel_client_next_notification(cl, name, sizeof(name), &params, WAIT_MS), 0);
	assert_string_equal(name, method);
	assert_int_equal(json_integer_value(json_object_get(params, "seq")), seq);
	json_decref(params);
}

static void test_notifications_reach_every_subscriber_of_their_topic_only(void **state)
{
	struct panel_client *m1 = connect_client(), *m2 = connect_client(), *m3 = connect_client();
	struct panel_client *st_only = connect_client(), *moved = connect_client();
	subscribe(m1, "[\"motion\"]");
	subscribe(m2, "[\"motion\",\"state\"]");
	subscribe(m3, "[\"scan\",\"motion\"]");
	subscribe(st_only, "[\"state\"]");
	subscribe(moved, "[\"motion\"]");
	subscribe(moved, "[\"state\"]"); /* replaces: no motion any more */
	assert_int_equal(panel_subscriber_count(panel, PANEL_TOPIC_MOTION), 3);
	assert_int_equal(panel_subscriber_count(panel, PANEL_TOPIC_STATE), 3);

	assert_int_equal(panel_notify(panel, PANEL_TOPIC_MOTION, "notify.motion",
				      json_pack("{s:i,s:f}", "seq", 1, "y_mm", 612.0)),
			 3);
	assert_int_equal(panel_notify(panel, PANEL_TOPIC_STATE, "notify.state",
				      json_pack("{s:i}", "seq", 2)),
			 3);
	expect_notification(m1, "notify.motion", 1);
	expect_notification(m2, "notify.motion", 1);
	expect_notification(m2, "notify.state", 2);
	expect_notification(m3, "notify.motion", 1);
	/* The first thing these two see is the state: the motion never came to them. */
	expect_notification(st_only, "notify.state", 2);
	expect_notification(moved, "notify.state", 2);
	/* A topic nobody follows costs nothing and reaches nobody. */
	assert_int_equal(panel_notify(panel, PANEL_TOPIC_FAULTS, "notify.fault", json_object()), 0);
}

static void test_notifications_met_during_a_call_are_kept_for_later(void **state)
{
	struct panel_client *cl = connect_client();
	subscribe(cl, "[\"session\"]");
	panel_notify(panel, PANEL_TOPIC_SESSION, "notify.session", json_pack("{s:i}", "seq", 7));
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(panel_client_call(cl, "count", NULL, &res, &err, WAIT_MS), 0);
	json_decref(res);
	expect_notification(cl, "notify.session", 7);
}

static void test_subscribe_to_an_unknown_topic_is_32602_on_topics(void **state)
{
	struct panel_client *cl = connect_client();
	subscribe(cl, "[\"motion\"]");
	json_t *d = assert_refused(cl,
				   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\","
				   "\"params\":{\"topics\":[\"motion\",\"weather\"]}}",
				   PANEL_E_PARAMS, "topics", 1);
	json_decref(d);
	d = assert_refused(cl, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"subscribe\"}",
			   PANEL_E_PARAMS, "topics", 2);
	json_decref(d);
	/* The refused subscribe changed nothing. */
	assert_int_equal(panel_subscriber_count(panel, PANEL_TOPIC_MOTION), 1);
}

static void test_a_client_that_never_reads_is_dropped_while_another_gets_everything(
	void **state)
{
	panel_close(panel);
	open_panel(0, 16 * 1024);
	struct panel_client *deaf = connect_client(), *good = connect_client();
	subscribe(deaf, "[\"motion\"]");
	subscribe(good, "[\"motion\"]");
	char pad[200];
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	struct panel_stats st;
	int seq = 0;
	for (;;) {
		seq++;
		panel_notify(panel, PANEL_TOPIC_MOTION, "notify.motion",
			     json_pack("{s:i,s:s}", "seq", seq, "pad", pad));
		expect_notification(good, "notify.motion", seq);
		panel_get_stats(panel, &st);
		if (st.dropped_slow || seq == 100000)
			break;
	}
	assert_int_equal(st.dropped_slow, 1);
	assert_int_equal(panel_client_count(panel), 1);
	assert_int_equal(panel_subscriber_count(panel, PANEL_TOPIC_MOTION), 1);
	/* The good client keeps getting every notification and its replies. */
	for (int i = 0; i < 100; i++) {
		seq++;
		panel_notify(panel, PANEL_TOPIC_MOTION, "notify.motion", json_pack("{s:i}", "seq", seq));
		expect_notification(good, "notify.motion", seq);
	}
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(panel_client_call(good, "count", NULL, &res, &err, WAIT_MS), 0);
	json_decref(res);
	/* The dropped one finds its connection closed after what the kernel held. */
	json_t *m;
	int rc;
	while ((rc = panel_client_read_message(deaf, &m, WAIT_MS)) == 0)
		json_decref(m);
	assert_int_equal(rc, -ECONNRESET);
}

/* --- deferred replies ------------------------------------------------------------------ */

static void send_later(struct panel_client *cl, int id)
{
	char line[100];
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"later\"}\n", id);
	app.handle = 0;
	assert_int_equal(panel_client_send_raw(cl, line, strlen(line), WAIT_MS), 0);
	for (int i = 0; i < 1000 && !app.handle; i++)
		panel_poll(panel, 10);
	assert_int_not_equal(app.handle, 0);
}

static void test_a_deferred_reply_arrives_with_its_id(void **state)
{
	struct panel_client *cl = connect_client();
	send_later(cl, 41);
	uint64_t first = app.handle;
	send_later(cl, 42);
	/* Answered in the other order: each reply carries its own request's id. */
	assert_int_equal(panel_reply(panel, app.handle, json_pack("{s:s}", "done", "second")), 0);
	struct panel_error err = {0};
	panel_error_set(&err, PANEL_E_STATE, json_pack("{s:s}", "state", "fault"), "a fault");
	assert_int_equal(panel_reply_error(panel, first, &err), 0);
	json_t *m = NULL;
	assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 42);
	assert_string_equal(str(json_object_get(m, "result"), "done"), "second");
	json_decref(m);
	assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 41);
	assert_string_equal(str(error_of(m, PANEL_E_STATE), "state"), "fault");
	json_decref(m);
	/* Answered once only. */
	assert_int_equal(panel_reply(panel, app.handle, json_object()), -ENOENT);
}

static void test_a_deferred_reply_for_a_client_that_has_gone_is_harmless(void **state)
{
	struct panel_client *cl = connect_client();
	struct panel_client *other = connect_client();
	send_later(cl, 1);
	panel_client_close(cl);
	clients[0] = NULL;
	for (int i = 0; i < 1000 && panel_client_count(panel) == 2; i++)
		panel_poll(panel, 10);
	assert_int_equal(panel_client_count(panel), 1);
	assert_int_equal(panel_reply(panel, app.handle, json_pack("{s:i}", "x", 1)), -ENOENT);
	struct panel_error err = {0};
	panel_error_set(&err, PANEL_E_STATE, json_object(), "late");
	assert_int_equal(panel_reply_error(panel, app.handle, &err), -ENOENT);
	assert_int_equal(panel_reply(panel, 987654, NULL), -ENOENT);
	/* The connection now in that place gets nothing it did not ask for. */
	json_t *m = raw(other, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"whoami\"}");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
	json_decref(m);
}

static void test_a_client_that_shuts_its_side_still_gets_every_reply_deferred_ones_too(
	void **state)
{
	struct panel_client *cl = connect_client();
	const char *two = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"count\"}\n"
			  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"later\"}\n";
	app.handle = 0;
	assert_int_equal(panel_client_send_raw(cl, two, strlen(two), WAIT_MS), 0);
	assert_int_equal(shutdown(panel_client_fd(cl), SHUT_WR), 0);
	for (int i = 0; i < 1000 && !app.handle; i++)
		panel_poll(panel, 10);
	/* Served the end of its input; the deferred call keeps the connection. */
	for (int i = 0; i < 10; i++)
		panel_poll(panel, 0);
	assert_int_equal(panel_client_count(panel), 1);
	assert_int_equal(panel_reply(panel, app.handle, json_pack("{s:b}", "ok", 1)), 0);
	for (int id = 1; id <= 2; id++) {
		json_t *m = NULL;
		assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), 0);
		assert_int_equal(json_integer_value(json_object_get(m, "id")), id);
		json_decref(m);
	}
	json_t *m = NULL;
	assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), -ECONNRESET);
	assert_int_equal(panel_client_count(panel), 0);
}

/* --- connections ----------------------------------------------------------------------- */

static void test_150_clients_connect_and_are_served(void **state)
{
	for (int i = 0; i < 150; i++)
		connect_client();
	assert_int_equal(panel_client_count(panel), 150);
	for (int i = 0; i < 150; i++) {
		json_t *res = NULL;
		struct panel_error err = {0};
		assert_int_equal(panel_client_call(clients[i], "count", NULL, &res, &err, WAIT_MS), 0);
		json_decref(res);
	}
	assert_int_equal(app.calls, 150);
}

static void test_over_max_clients_a_connection_is_refused_politely(void **state)
{
	panel_close(panel);
	open_panel(3, 0);
	for (int i = 0; i < 3; i++)
		connect_client();
	struct panel_client *cl;
	char err[200];
	assert_int_equal(panel_client_connect(&cl, path, err, sizeof(err)), 0);
	panel_client_set_pump(cl, pump, NULL);
	clients[n_clients++] = cl;
	json_t *res = NULL;
	struct panel_error e = {0};
	assert_int_equal(panel_client_call(cl, "count", NULL, &res, &e, WAIT_MS), -EREMOTEIO);
	assert_int_equal(e.code, PANEL_E_STATE);
	assert_string_equal(str(e.data, "state"), "full");
	panel_error_clear(&e);
	json_t *m;
	assert_int_equal(panel_client_read_message(cl, &m, WAIT_MS), -ECONNRESET);
	assert_int_equal(panel_client_count(panel), 3);
	struct panel_stats st;
	panel_get_stats(panel, &st);
	assert_int_equal(st.refused_full, 1);
	assert_int_equal(app.calls, 0);
}

static void test_socket_is_mode_0660(void **state)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
}

static void test_a_live_server_or_a_file_at_the_path_is_refused_a_stale_socket_replaced(
	void **state)
{
	struct panel *second;
	struct panel_config cfg = {.socket_path = path};
	char err[200] = "";
	assert_int_equal(panel_open(&second, &cfg, methods, &app, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "answers"));
	panel_close(panel);
	panel = NULL;
	assert_int_equal(access(path, F_OK), -1); /* closing removed it */

	FILE *f = fopen(path, "w");
	fclose(f);
	assert_int_equal(panel_open(&second, &cfg, methods, &app, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(access(path, F_OK), 0); /* left alone */
	unlink(path);

	/* A socket nobody serves: a server that died. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
	struct panel_client *cl;
	assert_int_equal(panel_client_connect(&cl, path, err, sizeof(err)), -ECONNREFUSED);
	assert_int_equal(open_panel(0, 0), 0);
	connect_client();
}

static void test_client_tells_no_socket_from_nobody_serving(void **state)
{
	struct panel_client *cl;
	char err[200];
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.sock", dir);
	assert_int_equal(panel_client_connect(&cl, missing, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "none.sock"));
}

static void test_method_tables_are_checked_at_open(void **state)
{
	static const struct panel_param bad_enum[] = {{.name = "e", .type = PANEL_P_ENUM},
						      PANEL_PARAMS_END};
	static const struct panel_param bad_range[] = {
		{.name = "n", .type = PANEL_P_INT, .min = 3, .max = 1}, PANEL_PARAMS_END};
	static const struct panel_param twice[] = {
		{.name = "n", .type = PANEL_P_INT}, {.name = "n", .type = PANEL_P_BOOL},
		PANEL_PARAMS_END};
	const struct panel_method tables[][3] = {
		{{"a", PANEL_ROLE_ANY, NULL, h_count}, {"a", PANEL_ROLE_ANY, NULL, h_count},
		 PANEL_METHODS_END},
		{{"subscribe", PANEL_ROLE_ANY, NULL, h_count}, PANEL_METHODS_END},
		{{"a", PANEL_ROLE_ANY, bad_enum, h_count}, PANEL_METHODS_END},
		{{"a", PANEL_ROLE_ANY, bad_range, h_count}, PANEL_METHODS_END},
		{{"a", PANEL_ROLE_ANY, twice, h_count}, PANEL_METHODS_END},
		{{"a", PANEL_ROLE_ANY, NULL, NULL}, PANEL_METHODS_END},
	};
	char other[160];
	snprintf(other, sizeof(other), "%s/other.sock", dir);
	struct panel_config cfg = {.socket_path = other};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		struct panel *p = NULL;
		char err[200] = "";
		assert_int_equal(panel_open(&p, &cfg, tables[i], &app, err, sizeof(err)), -EINVAL);
		assert_null(p);
		assert_non_null(strstr(err, "method"));
	}
	assert_int_equal(access(other, F_OK), -1);
}

/* In a child: become uid/gid 65534 with groups, connect and say what role the server
 * gave: exit 0 technician, 1 user, 2 not allowed to connect, 3 anything else. */
static void peer_child(const gid_t *groups, int n_groups)
{
	if (setgroups((size_t)n_groups, groups) || setgid(65534) || setuid(65534))
		_exit(3);
	struct panel_client *cl;
	char err[200];
	int rc = panel_client_connect(&cl, path, err, sizeof(err));
	if (rc == -EACCES)
		_exit(2);
	json_t *res = NULL;
	struct panel_error e = {0};
	if (rc || panel_client_call(cl, "whoami", NULL, &res, &e, WAIT_MS))
		_exit(3);
	_exit(strcmp(json_string_value(json_object_get(res, "role")), "technician") == 0 ? 0 : 1);
}

/* Serve until the child exits; its exit status. */
static int serve_child(pid_t pid)
{
	int status = 0;
	for (int i = 0; i < 1000; i++) {
		panel_poll(panel, 5);
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 5;
}

static void test_roles_come_from_the_peers_real_credentials(void **state)
{
	if (getuid() != 0)
		skip(); /* needs to become other users */
	panel_close(panel);
	/* The directory must let other users reach the socket; the socket's mode decides. */
	assert_int_equal(chmod(dir, 0711), 0);
	struct panel_config cfg = {.socket_path = path, .technician_group = "4242",
				   .socket_group = "4243"};
	char err[200];
	assert_int_equal(panel_open(&panel, &cfg, methods, &app, err, sizeof(err)), 0);
	static const struct {
		gid_t groups[2];
		int n;
		int want;
	} peers[] = {
		{{4243, 4242}, 2, 0}, /* in the socket group and the technician group */
		{{4243}, 1, 1},       /* in the socket group only: a user */
		{{4000}, 1, 2},       /* in neither: cannot connect (mode 0660) */
	};
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			peer_child(peers[i].groups, peers[i].n);
		assert_int_equal(serve_child(pid), peers[i].want);
	}
}

static void test_a_call_that_times_out_does_not_take_the_next_calls_reply(void **state)
{
	struct panel_client *cl = connect_client();
	json_t *res = NULL;
	struct panel_error err = {0};
	app.handle = 0;
	assert_int_equal(panel_client_call(cl, "later", NULL, &res, &err, 50), -ETIMEDOUT);
	assert_int_not_equal(app.handle, 0);
	/* The late reply arrives before the next call's: the next call skips it. */
	assert_int_equal(panel_reply(panel, app.handle, json_pack("{s:s}", "late", "yes")), 0);
	assert_int_equal(panel_client_call(cl, "whoami", NULL, &res, &err, WAIT_MS), 0);
	assert_null(json_object_get(res, "late"));
	assert_string_equal(str(res, "role"), "user");
	json_decref(res);
}

static void test_topic_names_and_lookup_agree(void **state)
{
	for (int t = 0; t < PANEL_TOPIC_COUNT; t++)
		assert_int_equal(panel_topic_lookup(panel_topic_name((enum panel_topic)t)), t);
	assert_int_equal(panel_topic_lookup("weather"), -1);
	assert_string_equal(panel_topic_name(PANEL_TOPIC_FAULTS), "faults");
}

static void test_roles_from_credentials(void **state)
{
	assert_int_equal(panel_role_of_credentials(0, 0, false, 0), PANEL_ROLE_TECHNICIAN);
	assert_int_equal(panel_role_of_credentials(0, 5, true, 1234), PANEL_ROLE_TECHNICIAN);
	assert_int_equal(panel_role_of_credentials(4321, 4321, false, 0), PANEL_ROLE_USER);
	assert_int_equal(panel_role_of_credentials(4321, 4321, true, 1234), PANEL_ROLE_USER);
	assert_int_equal(panel_role_of_credentials(4321, 1234, true, 1234), PANEL_ROLE_TECHNICIAN);
}

static void test_an_unknown_technician_group_is_refused_at_open(void **state)
{
	char other[160];
	snprintf(other, sizeof(other), "%s/other.sock", dir);
	struct panel_config cfg = {.socket_path = other,
				   .technician_group = "no-such-group-for-a-chair"};
	struct panel *p = NULL;
	char err[200] = "";
	assert_int_equal(panel_open(&p, &cfg, methods, &app, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-group-for-a-chair"));
	cfg.technician_group = NULL;
	cfg.socket_group = "no-such-group-for-a-chair";
	assert_int_equal(panel_open(&p, &cfg, methods, &app, err, sizeof(err)), -ENOENT);
	/* A numeric gid needs no lookup; the socket takes its group. */
	cfg.technician_group = "4242";
	cfg.socket_group = "4243";
	assert_int_equal(panel_open(&p, &cfg, methods, &app, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(other, &st), 0);
	if (getuid() == 0)
		assert_int_equal(st.st_gid, 4243);
	panel_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_bad_json_is_32700_with_its_reason_and_id_null),
		T(test_invalid_utf8_is_32700),
		T(test_duplicate_key_is_32700_and_calls_nothing),
		T(test_each_shape_that_is_not_a_request_is_32600),
		T(test_string_ids_are_echoed),
		T(test_unknown_method_is_32601),
		T(test_bad_params_name_the_field_and_what_was_expected),
		T(test_params_that_fit_reach_the_handler),
		T(test_user_peer_is_refused_a_technician_method),
		T(test_set_role_raises_the_connection_from_then_on),
		T(test_handler_sees_its_peer_and_a_connection_id),
		T(test_handlers_own_errors_pass_through_with_their_data),
		T(test_a_line_of_64k_is_served_one_byte_more_is_refused_and_the_next_line_is_served),
		T(test_a_megabyte_of_garbage_is_one_error_and_the_line_after_it_is_served),
		T(test_lines_split_and_joined_any_way_are_served_in_order),
		T(test_a_request_without_id_is_executed_and_not_answered),
		T(test_a_flood_on_one_connection_delays_another_by_a_turn_only),
		T(test_the_close_hook_names_the_connection_that_went),
		T(test_mangled_requests_never_crash_and_the_next_request_is_served),
		T(test_notifications_reach_every_subscriber_of_their_topic_only),
		T(test_notifications_met_during_a_call_are_kept_for_later),
		T(test_subscribe_to_an_unknown_topic_is_32602_on_topics),
		T(test_a_client_that_never_reads_is_dropped_while_another_gets_everything),
		T(test_a_deferred_reply_arrives_with_its_id),
		T(test_a_deferred_reply_for_a_client_that_has_gone_is_harmless),
		T(test_a_client_that_shuts_its_side_still_gets_every_reply_deferred_ones_too),
		T(test_150_clients_connect_and_are_served),
		T(test_over_max_clients_a_connection_is_refused_politely),
		T(test_socket_is_mode_0660),
		T(test_a_live_server_or_a_file_at_the_path_is_refused_a_stale_socket_replaced),
		T(test_client_tells_no_socket_from_nobody_serving),
		T(test_method_tables_are_checked_at_open),
		T(test_topic_names_and_lookup_agree),
		T(test_roles_come_from_the_peers_real_credentials),
		T(test_a_call_that_times_out_does_not_take_the_next_calls_reply),
		T(test_roles_from_credentials),
		T(test_an_unknown_technician_group_is_refused_at_open),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
