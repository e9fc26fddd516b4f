/* The panel API as a client sees it: the real method table served by the real panel server
 * on a Unix socket in a temporary folder, the chair in lockstep in this thread (the client's
 * pump serves the panel and ticks the chair whenever it would wait). Every method's happy
 * path, every error code of PANEL.md, roles, bad params, and that a request that fails
 * changes nothing in the store.
 *
 * With PANEL_EXAMPLES=FILE set, the first request and reply of each method (and one of each
 * error code) are written to FILE, one JSON object a line: docs/panel-api.md is made from
 * them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../controller/config.h"
#include "../controller/panel/client.h"
#include "../controller/panel/methods.h"
#include "../controller/panel/panel.h"
#include "../controller/runner.h"
#include "../controller/session/advice.h"
#include "../controller/session/rules.h"
#include "../controller/session/session.h"
#include "../controller/store/store.h"
#include "../drivers/hal_sim.h"
#include "../sim/sim.h"

#define RULES "controller/data/consultation.rules"
#define ADVICE "controller/data/care-advice.rules"
#define CALL_MS 60000
#define TICKS_PER_PUMP 20

struct api {
	struct chair_config cfg;
	struct hal_sim hs;
	struct hal_backend be;
	struct runner r;
	struct store *st;
	struct rules_table *rules;
	struct advice_table *advice;
	struct session s;
	struct methods_ctx m;
	struct panel *panel;
	char dir[64];
	char sock[128];
	enum panel_role next_role; /* the role the next connection gets */
	struct panel_client *user;
	struct panel_client *tech;
	double wall_s;
};

static struct api *current;
static FILE *examples;
static char examples_seen[64][40];
static int examples_count;

struct seen {
	int motion, session, state;
	double first_t_s, last_t_s;
};

static void on_notification(void *arg, const char *method, json_t *params)
{
	struct seen *n = arg;
	if (!strcmp(method, "notify.motion")) {
		double t_s = json_number_value(json_object_get(params, "t_s"));
		if (!n->motion++)
			n->first_t_s = t_s;
		n->last_t_s = t_s;
		assert_non_null(json_object_get(params, "force_target_n"));
		assert_non_null(json_object_get(params, "cap_n"));
	} else if (!strcmp(method, "notify.session")) {
		n->session++;
	} else if (!strcmp(method, "notify.state")) {
		n->state++;
	}
}

static double test_wall_s(void)
{
	return current->wall_s + runner_time_s(&current->r);
}

static enum panel_role role_of_peer(void *arg, uid_t uid, gid_t gid)
{
	return ((struct api *)arg)->next_role;
}

static void take(void *arg, const struct telem *t)
{
	session_on_telem(arg, t);
}

/* Whenever a client would wait: the server's sockets, then some chair time. */
static void pump(void *arg)
{
	struct api *a = arg;
	panel_poll(a->panel, 0);
	for (int i = 0; i < TICKS_PER_PUMP; i++)
		runner_advance(&a->r, take, &a->s);
	methods_poll(&a->m);
	session_poll(&a->s, runner_time_s(&a->r));
	panel_poll(a->panel, 0);
}

static struct panel_client *connect_as(struct api *a, enum panel_role role)
{
	a->next_role = role;
	struct panel_client *cl;
	char err[256];
	assert_int_equal(panel_client_connect(&cl, a->sock, err, sizeof(err)), 0);
	panel_client_set_pump(cl, pump, a);
	/* the server takes the connection (and its role) now */
	json_t *res = NULL;
	struct panel_error e = {0};
	assert_int_equal(panel_client_call(cl, "server.info", NULL, &res, &e, CALL_MS), 0);
	assert_string_equal(json_string_value(json_object_get(res, "role")), panel_role_name(role));
	json_decref(res);
	return cl;
}

static struct api *api_open(uint64_t seed)
{
	struct api *a = calloc(1, sizeof(*a));
	assert_non_null(a);
	current = a;
	assert_true(sodium_init() >= 0);
	a->wall_s = 1796000000.0;
	config_defaults(&a->cfg);
	a->cfg.hal.sim_seed = seed;
	hal_sim_bind(&a->hs, &a->be);
	char err[512];
	assert_int_equal(runner_open(&a->r, RUNNER_LOCKSTEP, &a->cfg, &a->be, err, sizeof(err)), 0);
	struct sim_person p;
	sim_person_of_height(&p, 170, seed);
	sim_init(hal_sim_get(&a->hs), &p, seed);
	snprintf(a->dir, sizeof(a->dir), "%s/test_methods.XXXXXX", P_tmpdir);
	assert_non_null(mkdtemp(a->dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/chair.db", a->dir);
	snprintf(a->sock, sizeof(a->sock), "%s/panel.sock", a->dir);
	assert_int_equal(store_open(&a->st, path, err, sizeof(err)), 0);
	assert_int_equal(rules_load(RULES, &a->rules, err, sizeof(err)), 0);
	assert_int_equal(advice_load(ADVICE, &a->advice, err, sizeof(err)), 0);
	session_init(&a->s, &a->r, &a->cfg, a->st, a->rules, a->advice);
	a->s.wall_s = test_wall_s;
	a->m = (struct methods_ctx){.session = &a->s, .st = a->st, .r = &a->r, .cfg = &a->cfg,
				    .backend = "sim", .clock_s = test_wall_s};
	session_set_notify(&a->s, methods_notify, &a->m);
	struct panel_config pc = {.socket_path = a->sock, .peer_role = role_of_peer,
				  .peer_role_arg = a};
	if (panel_open(&a->panel, &pc, methods_table, &a->m, err, sizeof(err)) != 0)
		fail_msg("panel_open: %s", err);
	a->m.panel = a->panel;
	a->user = connect_as(a, PANEL_ROLE_USER);
	a->tech = connect_as(a, PANEL_ROLE_TECHNICIAN);
	return a;
}

static void api_close(struct api *a)
{
	panel_client_close(a->user);
	panel_client_close(a->tech);
	session_fini(&a->s, "the test ended");
	panel_close(a->panel);
	runner_close(&a->r);
	session_release(&a->s);
	store_close(a->st);
	rules_free(a->rules);
	advice_free(a->advice);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", a->dir);
	assert_int_equal(system(cmd), 0);
	free(a);
}

/* Keep the first example of a name (a method, or an error code). */
static void example(const char *key, const char *method, json_t *params, json_t *reply)
{
	if (!examples)
		return;
	for (int i = 0; i < examples_count; i++)
		if (!strcmp(examples_seen[i], key))
			return;
	if (examples_count < 64)
		snprintf(examples_seen[examples_count++], sizeof(examples_seen[0]), "%s", key);
	json_t *req = json_pack("{s:s, s:i, s:s, s:O}", "jsonrpc", "2.0", "id", 1, "method",
				method, "params", params ? params : json_object());
	json_t *line = json_pack("{s:s, s:o, s:O}", "key", key, "request", req, "reply", reply);
	char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	fprintf(examples, "%s\n", text);
	free(text);
	json_decref(line);
}

/* An example of a line that is not a request: the line as sent, the reply. */
static void raw_example(const char *key, const char *line, json_t *reply)
{
	if (!examples)
		return;
	json_t *o = json_pack("{s:s, s:s, s:O}", "key", key, "raw", line, "reply", reply);
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fprintf(examples, "%s\n", text);
	free(text);
	json_decref(o);
}

/* The user's next message, pumping the server until it comes. */
static json_t *next_message(struct api *a)
{
	json_t *m = NULL;
	for (int i = 0; i < 100 && !m; i++) {
		pump(a);
		if (panel_client_read_message(a->user, &m, 0) != 0)
			m = NULL;
	}
	assert_non_null(m);
	return m;
}

/* The reply to a raw line. */
static json_t *raw_reply(struct api *a, const char *line)
{
	assert_int_equal(panel_client_send_raw(a->user, line, strlen(line), CALL_MS), 0);
	return next_message(a);
}

/* A call that must succeed; its result (a new reference). */
static json_t *ok_call(struct panel_client *cl, const char *method, json_t *params)
{
	json_t *res = NULL;
	struct panel_error e = {0};
	if (params)
		json_incref(params);
	int rc = panel_client_call(cl, method, params, &res, &e, CALL_MS);
	if (rc != 0)
		fail_msg("%s: %d %d %s", method, rc, e.code, e.message);
	json_t *reply = json_pack("{s:s, s:i, s:O}", "jsonrpc", "2.0", "id", 1, "result", res);
	example(method, method, params, reply);
	json_decref(reply);
	json_decref(params);
	return res;
}

/* A call that must fail with code; its error data (a new reference, may be NULL). */
static json_t *err_call(struct panel_client *cl, const char *method, json_t *params, int code)
{
	json_t *res = NULL;
	struct panel_error e = {0};
	if (params)
		json_incref(params);
	int rc = panel_client_call(cl, method, params, &res, &e, CALL_MS);
	if (rc != -EREMOTEIO)
		fail_msg("%s: expected error %d, got rc %d", method, code, rc);
	if (e.code != code)
		fail_msg("%s: expected error %d, got %d (%s)", method, code, e.code, e.message);
	char key[40];
	snprintf(key, sizeof(key), "error %d", code);
	json_t *err = json_pack("{s:i, s:s, s:O?}", "code", e.code, "message", e.message, "data",
				e.data);
	json_t *reply = json_pack("{s:s, s:i, s:o}", "jsonrpc", "2.0", "id", 1, "error", err);
	example(key, method, params, reply);
	json_decref(reply);
	json_decref(params);
	json_t *data = e.data;
	e.data = NULL;
	panel_error_clear(&e);
	return data;
}

static json_t *consult_params(const char *user)
{
	return json_pack("{s:s, s:[s], s:[{s:s, s:i}, {s:s, s:i}], s:[s], s:s, s:i}", "user", user,
			 "conditions", "back-pain", "pain", "area", "lower-back", "score", 6, "area",
			 "shoulders", "score", 4, "goals", "pain-relief", "intensity", "normal",
			 "duration_min", 5);
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	assert_non_null(s);
	return s;
}

/* Users, consultations, sessions and programs in the store, to show nothing changed. */
struct counts {
	int users, programs, sessions, consults;
};

static int count_user(void *ctx, const struct store_user *u)
{
	(void)u;
	++*(int *)ctx;
	return 0;
}

static int count_program(void *ctx, const struct store_program *p)
{
	(void)p;
	++*(int *)ctx;
	return 0;
}

static int count_session(void *ctx, const struct store_session *s)
{
	(void)s;
	++*(int *)ctx;
	return 0;
}

static void count(struct api *a, struct counts *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(store_user_list(a->st, count_user, &c->users), 0);
	assert_int_equal(store_program_list(a->st, count_program, &c->programs), 0);
	struct store_user u;
	if (store_user_get_by_name(a->st, "ana", &u) == 0) {
		assert_int_equal(store_session_history(a->st, u.id, count_session, &c->sessions), 0);
		struct store_consultation k;
		c->consults = store_consultation_latest(a->st, u.id, &k) == 0 ? (int)k.id : 0;
	}
}

static void assert_same(const struct counts *x, const struct counts *y)
{
	assert_int_equal(x->users, y->users);
	assert_int_equal(x->programs, y->programs);
	assert_int_equal(x->sessions, y->sessions);
	assert_int_equal(x->consults, y->consults);
}

static const char *const PROGRAM =
	"program \"short knead\"\n"
	"level normal\n"
	"knead lower-back for 20s speed 3 pressure 3\n";

static void test_every_method_answers_its_happy_path(void **state)
{
	struct api *a = api_open(21);
	json_t *r;
	r = ok_call(a->user, "server.info", NULL);
	assert_string_equal(str(r, "backend"), "sim");
	json_decref(r);
	r = ok_call(a->user, "users.create",
		    json_pack("{s:s, s:i, s:s}", "name", "ana", "height_cm", 170, "pin", "4711"));
	assert_true(json_is_true(json_object_get(r, "has_pin")));
	json_decref(r);
	json_decref(ok_call(a->user, "users.create", json_pack("{s:s}", "name", "bo")));
	r = ok_call(a->user, "users.list", NULL);
	assert_int_equal(json_array_size(json_object_get(r, "users")), 2);
	json_decref(r);
	json_decref(ok_call(a->user, "users.update",
			    json_pack("{s:s, s:i, s:s}", "name", "bo", "height_cm", 181, "pin", "")));
	json_t *ana = consult_params("ana");
	json_object_set_new(ana, "pin", json_string("4711")); /* a write to a PIN profile */
	r = ok_call(a->user, "consult.submit", ana);
	assert_false(json_is_true(json_object_get(r, "see_professional_first")));
	assert_true(json_real_value(json_object_get(r, "cap_n")) > 0);
	json_decref(r);
	r = ok_call(a->user, "scan.start", json_pack("{s:s}", "user", "ana"));
	assert_string_equal(str(r, "status"), "ok");
	json_decref(r);
	r = ok_call(a->user, "scan.adjust",
		    json_pack("{s:s, s:i, s:s}", "user", "ana", "delta_mm", 10, "pin", "4711"));
	assert_int_equal(json_integer_value(json_object_get(r, "adjust_mm")), 10);
	json_decref(r);
	r = ok_call(a->user, "users.get", json_pack("{s:s, s:s}", "name", "ana", "pin", "4711"));
	assert_int_equal(json_integer_value(json_object_get(r, "shoulder_adjust_mm")), 10);
	assert_true(json_is_object(json_object_get(r, "limits")));
	json_decref(r);
	r = ok_call(a->user, "plan.propose", json_pack("{s:s}", "user", "ana"));
	char *text = strdup(str(r, "program_text"));
	json_decref(r);
	struct seen seen = {0};
	panel_client_on_notification(a->user, on_notification, &seen);
	json_decref(ok_call(a->user, "subscribe",
			    json_pack("{s:[sss]}", "topics", "motion", "session", "state")));
	r = ok_call(a->user, "session.start",
		    json_pack("{s:s, s:s, s:s}", "user", "ana", "plan", text, "pin", "4711"));
	json_int_t sid = json_integer_value(json_object_get(r, "session_id"));
	json_decref(r);
	free(text);
	for (int i = 0; i < 4000 && a->s.state != SESSION_RUNNING; i++)
		pump(a);
	assert_int_equal(a->s.state, SESSION_RUNNING);
	for (int i = 0; i < 500; i++)
		pump(a); /* 10 s of the session */
	r = ok_call(a->user, "session.status", NULL);
	assert_string_equal(str(r, "state"), "running");
	json_decref(r);
	/* notify.motion at 20 Hz of the chair's time (10 Hz or more asked), with the others */
	assert_true(seen.motion >= 10 * (seen.last_t_s - seen.first_t_s));
	assert_true(seen.last_t_s - seen.first_t_s >= 9);
	assert_true(seen.session >= 1 && seen.state >= 1);
	r = ok_call(a->user, "session.feedback", json_pack("{s:s}", "action", "softer"));
	assert_true(json_is_number(json_object_get(r, "force_target_n")));
	json_decref(r);
	json_decref(ok_call(a->user, "session.pause", NULL));
	for (int i = 0; i < 100 && a->s.state != SESSION_PAUSED; i++)
		pump(a);
	json_decref(ok_call(a->user, "session.resume", NULL));
	for (int i = 0; i < 100 && a->s.state != SESSION_RUNNING; i++)
		pump(a);
	json_decref(ok_call(a->user, "session.stop", NULL));
	for (int i = 0; i < 500 && a->s.state != SESSION_AWAITING_PAIN; i++)
		pump(a);
	assert_int_equal(a->s.state, SESSION_AWAITING_PAIN);
	r = ok_call(a->user, "session.finish",
		    json_pack("{s:I, s:[{s:s, s:i}]}", "session_id", sid, "pain", "area",
			      "lower-back", "score", 3));
	assert_true(json_array_size(json_object_get(r, "advice")) > 0);
	json_decref(r);
	r = ok_call(a->user, "history.list", json_pack("{s:s, s:s}", "user", "ana", "pin", "4711"));
	assert_int_equal(json_array_size(json_object_get(r, "sessions")), 1);
	assert_true(json_is_array(json_object_get(r, "trend")));
	json_decref(r);
	r = ok_call(a->user, "history.get", json_pack("{s:I, s:s}", "session_id", sid, "pin", "4711"));
	assert_string_equal(str(r, "ended"), "stopped");
	json_decref(r);
	r = ok_call(a->user, "report.export",
		    json_pack("{s:s, s:s, s:s}", "user", "ana", "format", "csv", "pin", "4711"));
	assert_non_null(strstr(str(r, "document"), "lower-back"));
	json_decref(r);
	r = ok_call(a->tech, "programs.install",
		    json_pack("{s:s, s:s}", "name", "short-knead", "text", PROGRAM));
	assert_int_equal(strlen(str(r, "checksum")), 64);
	json_decref(r);
	r = ok_call(a->user, "programs.list", NULL);
	assert_int_equal(json_array_size(json_object_get(r, "programs")), 1);
	json_decref(r);
	r = ok_call(a->user, "programs.get", json_pack("{s:s}", "name", "short-knead"));
	assert_string_equal(str(r, "text"), PROGRAM);
	json_decref(r);
	r = ok_call(a->user, "programs.plot", json_pack("{s:s}", "name", "short-knead"));
	assert_non_null(strstr(str(r, "svg"), "<svg"));
	json_decref(r);
	json_decref(ok_call(a->tech, "programs.remove", json_pack("{s:s}", "name", "short-knead")));
	r = ok_call(a->tech, "io.read", NULL);
	assert_true(json_is_object(json_object_get(r, "inputs")));
	json_decref(r);
	json_decref(ok_call(a->tech, "jog", json_pack("{s:s, s:f}", "axis", "y", "target", 400.0)));
	a->r.ctl.io_failures = 1; /* a latched fault to acknowledge */
	for (int i = 0; i < 10; i++)
		pump(a);
	r = ok_call(a->user, "faults.list", NULL);
	assert_string_equal(str(r, "latched"), "io");
	json_t *logged = json_array_get(json_object_get(r, "faults"), 0);
	assert_null(json_object_get(logged, "image")); /* the machine's image: a technician's */
	json_decref(r);
	/* The technician sees what the chair read and wrote when it latched: the fault tick's
	 * telemetry, the rt thread's image of the drives and lines, both with their ticks. */
	r = ok_call(a->tech, "faults.list", NULL);
	logged = json_array_get(json_object_get(r, "faults"), 0);
	json_t *image = json_object_get(logged, "image");
	json_t *at = json_object_get(image, "tick"), *full = json_object_get(image, "image");
	assert_true(json_integer_value(json_object_get(at, "tick")) > 0);
	assert_true(json_is_boolean(json_object_get(json_object_get(at, "inputs"), "estop_n")));
	assert_true(json_is_object(json_object_get(json_object_get(full, "drives"), "drive_z")));
	assert_true(json_integer_value(json_object_get(full, "tick")) <=
		    json_integer_value(json_object_get(at, "tick")));
	json_decref(r);
	r = ok_call(a->tech, "faults.ack", NULL);
	assert_true(json_is_true(json_object_get(r, "cleared")));
	json_decref(r);
	r = ok_call(a->tech, "config.get", NULL);
	assert_non_null(strstr(str(r, "ini"), "[session]"));
	json_decref(r);
	json_decref(ok_call(a->user, "scan.manual",
			    json_pack("{s:s, s:i}", "user", "bo", "height_cm", 181)));
	json_decref(ok_call(a->user, "users.delete", json_pack("{s:s}", "name", "bo")));
	api_close(a);
}

static void test_every_error_code_and_nothing_changes(void **state)
{
	struct api *a = api_open(22);
	json_decref(ok_call(a->user, "users.create",
			    json_pack("{s:s, s:s}", "name", "ana", "pin", "4711")));
	struct counts before, after;
	count(a, &before);
	json_t *m = NULL, *d;
	/* -32700: not JSON (a duplicate key is not JSON either); -32600: JSON, not a request */
	static const char *const not_json[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,,}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"server.info\",\"id\":3}\n"};
	for (int i = 0; i < 2; i++) {
		m = raw_reply(a, not_json[i]);
		assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "error"), "code")),
				 PANEL_E_PARSE);
		raw_example(i ? "error -32700 duplicate" : "error -32700", not_json[i], m);
		json_decref(m);
	}
	static const char not_request[] = "{\"jsonrpc\":\"1.0\",\"id\":4,\"method\":\"server.info\"}\n";
	m = raw_reply(a, not_request);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "error"), "code")),
			 PANEL_E_INVALID);
	raw_example("error -32600", not_request, m);
	json_decref(m);
	/* -32601 */
	json_decref(err_call(a->user, "no.such.method", NULL, PANEL_E_METHOD));
	/* -32602: an unknown param, a wrong type, a value out of range */
	d = err_call(a->user, "users.create", json_pack("{s:s, s:i}", "name", "x", "age", 3),
		     PANEL_E_PARAMS);
	assert_string_equal(str(d, "field"), "age");
	json_decref(d);
	d = err_call(a->user, "users.create", json_pack("{s:i}", "name", 5), PANEL_E_PARAMS);
	assert_string_equal(str(d, "field"), "name");
	json_decref(d);
	json_t *bad = consult_params("ana");
	json_object_set_new(bad, "conditions", json_pack("[s]", "flu"));
	d = err_call(a->user, "consult.submit", bad, PANEL_E_PARAMS);
	assert_string_equal(str(d, "field"), "conditions[0]");
	json_decref(d);
	d = err_call(a->user, "session.feedback", json_pack("{s:s}", "action", "harder"),
		     PANEL_E_PARAMS);
	json_decref(d);
	/* -32001: no session */
	d = err_call(a->user, "session.feedback", json_pack("{s:s}", "action", "softer"),
		     PANEL_E_STATE);
	assert_string_equal(str(d, "state"), "idle");
	json_decref(d);
	json_decref(err_call(a->user, "plan.propose", json_pack("{s:s}", "user", "ana"),
			     PANEL_E_STATE));
	/* -32002: a user installing a program */
	json_decref(err_call(a->user, "programs.install",
			     json_pack("{s:s, s:s}", "name", "p", "text", PROGRAM), PANEL_E_ROLE));
	json_decref(err_call(a->user, "jog", json_pack("{s:s, s:f}", "axis", "y", "target", 1.0),
			     PANEL_E_ROLE));
	/* -32003 */
	json_decref(err_call(a->user, "users.get", json_pack("{s:s}", "name", "nobody"),
			     PANEL_E_NOT_FOUND));
	json_decref(err_call(a->user, "history.get", json_pack("{s:i}", "session_id", 99),
			     PANEL_E_NOT_FOUND));
	/* -32004: the checker's diagnostics; a name taken */
	d = err_call(a->tech, "programs.install",
		     json_pack("{s:s, s:s}", "name", "p", "text", "program \"x\"\nkneed lower-back for 1m\n"),
		     PANEL_E_REFUSED);
	assert_true(json_array_size(json_object_get(d, "diagnostics")) >= 1);
	json_decref(d);
	json_decref(err_call(a->user, "users.create", json_pack("{s:s}", "name", "ana"),
			     PANEL_E_REFUSED));
	/* -32005: the profile's PIN */
	json_decref(err_call(a->user, "history.list", json_pack("{s:s}", "user", "ana"),
			     PANEL_E_AUTH));
	json_decref(err_call(a->user, "report.export",
			     json_pack("{s:s, s:s, s:s}", "user", "ana", "format", "html", "pin",
				       "0000"),
			     PANEL_E_AUTH));
	json_decref(err_call(a->user, "users.delete", json_pack("{s:s}", "name", "ana"),
			     PANEL_E_AUTH));
	/* the third wrong PIN slows the profile down, even for the right one */
	for (int i = 0; i < 2; i++)
		json_decref(err_call(a->user, "history.list",
				     json_pack("{s:s, s:s}", "user", "ana", "pin", "1234"),
				     PANEL_E_AUTH));
	d = err_call(a->user, "history.list", json_pack("{s:s, s:s}", "user", "ana", "pin", "4711"),
		     PANEL_E_AUTH);
	assert_true(json_number_value(json_object_get(d, "retry_after_s")) > 0);
	json_decref(d);
	a->wall_s += METHODS_PIN_WAIT_S + 1;
	json_decref(ok_call(a->user, "history.list",
			    json_pack("{s:s, s:s}", "user", "ana", "pin", "4711")));
	count(a, &after);
	assert_same(&before, &after);
	api_close(a);
}

static void test_see_professional_is_an_answer_and_refuses_the_start(void **state)
{
	struct api *a = api_open(23);
	json_decref(ok_call(a->user, "users.create", json_pack("{s:s}", "name", "ana")));
	json_t *p = consult_params("ana");
	json_object_set_new(p, "conditions", json_pack("[s]", "pregnancy"));
	json_t *r = ok_call(a->user, "consult.submit", p);
	assert_true(json_is_true(json_object_get(r, "see_professional_first")));
	json_decref(r);
	struct counts before, after;
	count(a, &before);
	json_t *d = err_call(a->user, "session.start",
			     json_pack("{s:s, s:s}", "user", "ana", "plan", PROGRAM), PANEL_E_REFUSED);
	assert_true(strlen(str(d, "reason")) > 0);
	json_decref(d);
	json_decref(err_call(a->user, "plan.propose", json_pack("{s:s}", "user", "ana"),
			     PANEL_E_REFUSED));
	count(a, &after);
	assert_same(&before, &after);
	api_close(a);
}

/* session.stop during the body scan: the roller pressing on the back lets go (on the
 * simulator's truth), the scan's own caller hears it was stopped, and a scan may start again. */
static void test_stop_during_the_scan_lets_go_and_answers_the_scan(void **state)
{
	(void)state;
	struct api *a = api_open(27);
	json_decref(ok_call(a->user, "users.create", json_pack("{s:s, s:i}", "name", "cy", "height_cm", 172)));
	json_decref(ok_call(a->user, "consult.submit", consult_params("cy")));
	for (int i = 0; i < 20000 && a->r.last.state != ST_IDLE; i++) /* a power-up homing first */
		pump(a);
	const char *line = "{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"scan.start\",\"params\":{\"user\":\"cy\"}}\n";
	assert_int_equal(panel_client_send_raw(a->user, line, strlen(line), CALL_MS), 0);
	struct sim *sim = hal_sim_get(&a->hs);
	int pumps;
	for (pumps = 0; pumps < 20000 && !(a->r.last.state == ST_SCANNING && sim->contact_force_n > 2.0); pumps++)
		pump(a);
	if (!(sim->contact_force_n > 2.0)) {
		json_t *got = NULL;
		panel_client_read_message(a->user, &got, 0);
		fail_msg("after %d pumps: state %d, true force %.2f N: %s", pumps, a->r.last.state,
			 sim->contact_force_n, got ? json_dumps(got, 0) : "-");
	}
	json_t *r = ok_call(a->tech, "session.stop", NULL);
	assert_string_equal(str(r, "stopped"), "scan");
	json_decref(r);
	json_t *m = next_message(a);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 77);
	json_t *e = json_object_get(m, "error");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), PANEL_E_REFUSED);
	assert_string_equal(str(json_object_get(e, "data"), "status"), "stopped");
	json_decref(m);
	int ms_to_let_go = -1;
	for (int i = 0; i < 2000 && ms_to_let_go < 0; i++) {
		pump(a);
		if (sim->contact_force_n < 0.5)
			ms_to_let_go = (i + 1) * TICKS_PER_PUMP;
	}
	assert_true(ms_to_let_go >= 0 && ms_to_let_go <= 1000);
	json_decref(err_call(a->user, "session.stop", NULL, PANEL_E_STATE)); /* nothing to stop */
	for (int i = 0; i < 2000 && a->r.last.state != ST_IDLE; i++)
		pump(a);
	r = ok_call(a->user, "scan.start", json_pack("{s:s}", "user", "cy"));
	assert_string_equal(str(r, "status"), "ok");
	json_decref(r);
	api_close(a);
}

static void test_jog_refused_while_not_idle_and_outside_limits(void **state)
{
	struct api *a = api_open(24);
	json_decref(err_call(a->tech, "jog", json_pack("{s:s, s:f}", "axis", "y", "target", 400.0),
			     PANEL_E_STATE)); /* not homed yet */
	json_decref(ok_call(a->user, "users.create", json_pack("{s:s}", "name", "ana")));
	json_decref(ok_call(a->user, "scan.manual",
			    json_pack("{s:s, s:i}", "user", "ana", "height_cm", 170)));
	struct ctl_cmd home = {.kind = CMD_HOME};
	runner_send(&a->r, &home);
	for (int i = 0; i < 3000 && !(a->r.last.homed && a->r.last.state == ST_IDLE); i++)
		pump(a);
	assert_true(a->r.last.homed);
	json_decref(err_call(a->tech, "jog", json_pack("{s:s, s:f}", "axis", "y", "target", 5000.0),
			     PANEL_E_REFUSED));
	api_close(a);
}

static void test_session_of_an_installed_program_and_feedback_within_its_range(void **state)
{
	struct api *a = api_open(25);
	json_decref(ok_call(a->tech, "programs.install",
			    json_pack("{s:s, s:s}", "name", "short-knead", "text", PROGRAM)));
	json_decref(ok_call(a->user, "users.create", json_pack("{s:s}", "name", "ana")));
	json_decref(ok_call(a->user, "consult.submit", consult_params("ana")));
	json_decref(ok_call(a->user, "scan.manual",
			    json_pack("{s:s, s:i}", "user", "ana", "height_cm", 170)));
	json_decref(err_call(a->user, "session.start",
			     json_pack("{s:s, s:s}", "user", "ana", "program", "nope"),
			     PANEL_E_NOT_FOUND));
	json_t *r = ok_call(a->user, "session.start",
			    json_pack("{s:s, s:s}", "user", "ana", "program", "short-knead"));
	assert_string_equal(str(r, "program"), "short knead");
	json_decref(r);
	for (int i = 0; i < 4000 && a->s.state != SESSION_RUNNING; i++)
		pump(a);
	assert_int_equal(a->s.state, SESSION_RUNNING);
	for (int i = 0; i < 5; i++)
		json_decref(ok_call(a->user, "session.feedback", json_pack("{s:s}", "action", "softer")));
	json_t *d = err_call(a->user, "session.feedback", json_pack("{s:s}", "action", "softer"),
			     PANEL_E_REFUSED);
	assert_int_equal(json_integer_value(json_object_get(d, "steps")), -5);
	json_decref(d);
	/* the program runs to its own end */
	for (int i = 0; i < 4000 && a->s.state != SESSION_AWAITING_PAIN; i++)
		pump(a);
	r = ok_call(a->user, "session.status", NULL);
	assert_string_equal(str(r, "ended"), "completed");
	json_decref(r);
	api_close(a);
}

static void test_io_read_gives_every_line_drive_register_and_bus_counter(void **state)
{
	struct api *a = api_open(26);
	struct ctl_cmd home = {.kind = CMD_HOME};
	runner_send(&a->r, &home);
	for (int i = 0; i < 3000 && !(a->r.last.homed && a->r.last.state == ST_IDLE); i++)
		pump(a);
	assert_true(a->r.last.homed);
	json_t *r = ok_call(a->tech, "io.read", NULL);
	assert_int_equal(json_object_size(json_object_get(r, "inputs")), HAL_IN_COUNT);
	assert_int_equal(json_object_size(json_object_get(r, "outputs")), HAL_OUT_COUNT);
	assert_true(json_is_true(json_object_get(json_object_get(r, "outputs"), "drive_enable")));
	json_t *drives = json_object_get(r, "drives");
	assert_int_equal(json_object_size(drives), HAL_AXIS_COUNT);
	json_t *z = json_object_get(drives, "drive_z");
	assert_true(json_is_true(json_object_get(z, "enabled")));
	assert_true(json_integer_value(json_object_get(z, "status")) & HAL_STATUS_ENABLED);
	assert_non_null(json_object_get(z, "force_raw"));
	assert_non_null(json_object_get(z, "current_ma"));
	assert_non_null(json_object_get(z, "fault_code"));
	json_t *bus = json_object_get(r, "bus");
	assert_int_equal(json_object_size(bus), HAL_UNIT_COUNT);
	json_t *dy = json_object_get(bus, "drive_y");
	/* the image is one the chair's ticks read (the reply comes a pump before now): its
	 * counters are the backend's */
	json_int_t trans = json_integer_value(json_object_get(dy, "transactions"));
	json_int_t now = a->r.in.unit[HAL_UNIT_DRIVE_Y].transactions;
	assert_true(trans > 1000 && trans <= now && trans + TICKS_PER_PUMP >= now);
	assert_int_equal(json_integer_value(json_object_get(dy, "timeouts")), 0);
	assert_non_null(json_object_get(dy, "crc_errors"));
	assert_non_null(json_object_get(dy, "exceptions"));
	assert_true(json_is_array(json_object_get(json_object_get(r, "io_module"), "airbag_raw")));
	/* lockstep: the image of the tick whose telemetry the chair took last */
	assert_int_equal(json_integer_value(json_object_get(r, "image_tick")),
			 json_integer_value(json_object_get(r, "tick")));
	assert_true(json_real_value(json_object_get(r, "age_ms")) == 0.0);
	assert_int_equal(json_integer_value(json_object_get(r, "overruns")), 0);
	json_decref(r);
	r = ok_call(a->user, "server.info", NULL);
	assert_int_equal(json_integer_value(json_object_get(r, "rt_overruns")), 0);
	assert_true(json_is_real(json_object_get(r, "rt_late_max_us")));
	json_decref(r);
	api_close(a);
}

static void test_config_get_shows_file_keys_by_base_name_only(void **state)
{
	struct api *a = api_open(27);
	snprintf(a->cfg.store.path, sizeof(a->cfg.store.path), "%s/chair.db", a->dir);
	snprintf(a->cfg.panel.socket_path, sizeof(a->cfg.panel.socket_path), "%s", a->sock);
	snprintf(a->cfg.session.rules_path, sizeof(a->cfg.session.rules_path), "%s/%s", a->dir,
		 "consultation.rules");
	snprintf(a->cfg.hal.bus.rtu_device, sizeof(a->cfg.hal.bus.rtu_device), "/dev/ttyUSB0");
	json_t *r = ok_call(a->tech, "config.get", NULL);
	const char *ini = str(r, "ini");
	assert_non_null(strstr(ini, "\npath = chair.db\n"));
	assert_non_null(strstr(ini, "\nsocket = panel.sock\n"));
	assert_non_null(strstr(ini, "\nrules = consultation.rules\n"));
	assert_non_null(strstr(ini, "\ndevice = ttyUSB0\n"));
	assert_non_null(strstr(ini, "\nroot = www\n")); /* a folder key, by the same rule */
	assert_null(strchr(ini, '/')); /* no value is a path of the machine */
	json_decref(r);
	/* what the chair runs on is untouched */
	assert_non_null(strchr(a->cfg.store.path, '/'));
	api_close(a);
}

/* In real time the image comes from the rt thread's snapshots, one every RT_SNAPSHOT_MS of
 * ticks, taken by runner_drain: a copy through the ring, never the rt thread's own image. */
static void test_real_time_snapshots_come_every_100_ms_of_ticks(void **state)
{
	struct chair_config cfg;
	config_defaults(&cfg);
	cfg.rt.lock_memory = false;
	cfg.rt.cpu = -1;
	struct hal_sim *hs = calloc(1, sizeof(*hs));
	struct hal_backend be;
	struct runner *r = calloc(1, sizeof(*r));
	assert_non_null(hs);
	assert_non_null(r);
	hal_sim_bind(hs, &be);
	char err[512];
	assert_int_equal(runner_open(r, RUNNER_REALTIME, &cfg, &be, err, sizeof(err)), 0);
	uint64_t ticks[3];
	int got = 0;
	/* progress of the rt thread, not its timing: waits until three snapshots came */
	for (int i = 0; i < 20000 && got < 3; i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
		runner_drain(r, NULL, NULL);
		const struct rt_snapshot *snap = runner_snapshot(r);
		if (snap && (!got || snap->tick != ticks[got - 1]))
			ticks[got++] = snap->tick;
	}
	assert_int_equal(got, 3);
	uint64_t every = RT_SNAPSHOT_MS * 1000000 / (uint64_t)cfg.rt.period_ns;
	assert_true(ticks[1] > ticks[0] && ticks[2] > ticks[1]);
	assert_int_equal((ticks[1] - ticks[0]) % every, 0);
	assert_int_equal((ticks[2] - ticks[1]) % every, 0);
	const struct rt_snapshot *snap = runner_snapshot(r);
	assert_true(snap->in.unit[HAL_UNIT_DRIVE_Y].transactions >= snap->tick - 1);
	runner_close(r);
	free(r);
	free(hs);
}

/* session.feedback waits for the chair's verdict: a stronger is answered OK once the tick
 * took it, a stay with no room before the session limit is -32004 and not counted. */
static void test_feedback_is_answered_with_the_chairs_verdict(void **state)
{
	struct api *a = api_open(26);
	json_decref(ok_call(a->tech, "programs.install",
			    json_pack("{s:s, s:s}", "name", "short-knead", "text", PROGRAM)));
	json_decref(ok_call(a->user, "users.create", json_pack("{s:s}", "name", "ana")));
	json_decref(ok_call(a->user, "consult.submit", consult_params("ana")));
	json_decref(ok_call(a->user, "scan.manual",
			    json_pack("{s:s, s:i}", "user", "ana", "height_cm", 170)));
	json_decref(ok_call(a->user, "session.start",
			    json_pack("{s:s, s:s}", "user", "ana", "program", "short-knead")));
	for (int i = 0; i < 4000 && !(a->r.last.state == ST_RUNNING && a->r.last.force_n > 8); i++)
		pump(a);
	assert_int_equal(a->s.state, SESSION_RUNNING);
	json_t *r = ok_call(a->user, "session.feedback", json_pack("{s:s}", "action", "stronger"));
	assert_string_equal(str(r, "action"), "stronger");
	json_decref(r);
	assert_int_equal(a->r.last.cmd_result, CMD_OK);
	assert_int_equal(a->s.tally.feedback[ACT_STRONGER], 1);
	assert_int_equal(a->s.intensity_steps, 1);
	const struct exec *e = &a->r.ctl.exec;
	double left_s = (double)(exec_total_ms(e) - exec_elapsed_ms(e)) / 1000.0;
	a->cfg.session.max_s = a->r.ctl.session_s + left_s + 0.5;
	json_t *d = err_call(a->user, "session.feedback", json_pack("{s:s}", "action", "stay"),
			     PANEL_E_REFUSED);
	assert_non_null(json_string_value(json_object_get(d, "reason")));
	json_decref(d);
	assert_int_equal(a->s.tally.feedback[ACT_STAY], 0);
	json_decref(ok_call(a->user, "session.stop", NULL));
	api_close(a);
}

/* users.get and every write to a PIN profile need its PIN from a user; a technician needs
 * none; a refused write changes nothing. */
static void test_a_pin_profile_is_read_and_written_only_with_its_pin(void **state)
{
	struct api *a = api_open(31);
	json_decref(ok_call(a->user, "users.create",
			    json_pack("{s:s, s:s}", "name", "ana", "pin", "4711")));
	struct counts before, after;
	count(a, &before);
	json_decref(err_call(a->user, "users.get", json_pack("{s:s}", "name", "ana"),
			     PANEL_E_AUTH));
	json_decref(err_call(a->user, "consult.submit", consult_params("ana"), PANEL_E_AUTH));
	json_decref(err_call(a->user, "scan.manual",
			     json_pack("{s:s, s:i}", "user", "ana", "height_cm", 170), PANEL_E_AUTH));
	json_decref(err_call(a->user, "scan.adjust",
			     json_pack("{s:s, s:i}", "user", "ana", "delta_mm", 10), PANEL_E_AUTH));
	json_decref(err_call(a->user, "session.start", json_pack("{s:s}", "user", "ana"),
			     PANEL_E_AUTH));
	count(a, &after);
	assert_same(&before, &after);
	json_t *r = ok_call(a->user, "users.get", json_pack("{s:s, s:s}", "name", "ana", "pin", "4711"));
	assert_true(json_is_null(json_object_get(r, "limits"))); /* the refused consult kept nothing */
	assert_int_equal(json_integer_value(json_object_get(r, "shoulder_adjust_mm")), 0);
	json_decref(r);
	json_t *c = consult_params("ana");
	json_object_set_new(c, "pin", json_string("4711"));
	json_decref(ok_call(a->user, "consult.submit", c));
	r = ok_call(a->tech, "users.get", json_pack("{s:s}", "name", "ana"));
	assert_true(json_is_object(json_object_get(r, "limits")));
	json_decref(r);
	api_close(a);
}

/* Wrong PINs for a second profile do not wipe the first one's count, and many profiles tried
 * in turn meet the chair's own limit. */
static void test_a_second_profile_does_not_reset_the_first_ones_wrong_pins(void **state)
{
	struct api *a = api_open(32);
	static const char *const names[] = {"ana", "bo", "cy"};
	for (int i = 0; i < 3; i++)
		json_decref(ok_call(a->user, "users.create",
				    json_pack("{s:s, s:s}", "name", names[i], "pin", "4711")));
	static const char *const tries[] = {"ana", "bo", "ana", "bo", "ana"};
	for (int i = 0; i < 5; i++)
		json_decref(err_call(a->user, "history.list",
				     json_pack("{s:s, s:s}", "user", tries[i], "pin", "0000"),
				     PANEL_E_AUTH));
	/* ana's third wrong PIN, between bo's, slowed her down */
	json_t *d = err_call(a->user, "history.list",
			     json_pack("{s:s, s:s}", "user", "ana", "pin", "4711"), PANEL_E_AUTH);
	assert_true(json_number_value(json_object_get(d, "retry_after_s")) > 0);
	json_decref(d);
	/* five wrong PINs on the chair within 30 s: cy, never tried, waits too */
	d = err_call(a->user, "history.list", json_pack("{s:s, s:s}", "user", "cy", "pin", "4711"),
		     PANEL_E_AUTH);
	assert_true(json_number_value(json_object_get(d, "retry_after_s")) > 0);
	json_decref(d);
	a->wall_s += METHODS_PIN_WAIT_S + 1;
	for (int i = 0; i < 3; i++)
		json_decref(ok_call(a->user, "history.list",
				    json_pack("{s:s, s:s}", "user", names[i], "pin", "4711")));
	api_close(a);
}

/* Started by a client that then closes (watching: subscribed to the session, as a panel is):
 * how many pumps until the chair is paused. */
static int start_and_leave(struct api *a, bool watching)
{
	panel_set_on_close(a->panel, methods_on_close); /* as chaird wires it */
	json_decref(ok_call(a->tech, "programs.install",
			    json_pack("{s:s, s:s}", "name", "short-knead", "text", PROGRAM)));
	struct panel_client *cl = connect_as(a, PANEL_ROLE_USER);
	if (watching) /* a panel on the chair's screen, following the session */
		json_decref(ok_call(cl, "subscribe", json_pack("{s:[s]}", "topics", "session")));
	json_decref(ok_call(cl, "users.create", json_pack("{s:s}", "name", "bo")));
	json_decref(ok_call(cl, "consult.submit", consult_params("bo")));
	json_decref(ok_call(cl, "scan.manual", json_pack("{s:s, s:i}", "user", "bo", "height_cm", 170)));
	json_decref(ok_call(cl, "session.start",
			    json_pack("{s:s, s:s}", "user", "bo", "program", "short-knead")));
	for (int i = 0; i < 4000 && a->s.state != SESSION_RUNNING; i++)
		pump(a);
	assert_int_equal(a->s.state, SESSION_RUNNING);
	for (int i = 0; i < 50; i++)
		pump(a); /* a second of it */
	panel_client_close(cl);
	int pumps = 0;
	while (pumps < 500 && (a->s.state != SESSION_PAUSED || a->r.last.state != ST_PAUSED))
		pump(a), pumps++;
	assert_int_equal(a->s.state, watching ? SESSION_PAUSED : SESSION_RUNNING);
	return pumps;
}

/* A one-shot client (chairctl session start) watches nothing and exits: the session goes on,
 * the person's own controls and its end are its owners. */
static void test_a_session_started_by_a_client_that_watches_nothing_goes_on_after_it(void **state)
{
	struct api *a = api_open(35);
	start_and_leave(a, false);
	double gone_s = runner_time_s(&a->r);
	while ((a->s.state == SESSION_RUNNING || a->s.state == SESSION_FINISHING) &&
	       runner_time_s(&a->r) < gone_s + 35)
		pump(a);
	if (a->s.state != SESSION_RUNNING) { /* the short program ran to its end, unpaused */
		json_t *r = ok_call(a->user, "session.status", NULL);
		assert_string_equal(str(r, "ended"), "completed");
		json_decref(r);
	}
	api_close(a);
}

/* The client that started a session closes: the chair pauses within a few turns, and stops
 * the session 30 s later; the stored session says why. */
static void test_a_session_whose_panel_went_is_paused_then_stopped(void **state)
{
	struct api *a = api_open(33);
	assert_true(start_and_leave(a, true) <= 5);
	double gone_s = runner_time_s(&a->r);
	while (a->s.state == SESSION_PAUSED && runner_time_s(&a->r) < gone_s + 29)
		pump(a);
	assert_int_equal(a->s.state, SESSION_PAUSED); /* the grace: still paused, not stopped */
	for (int i = 0; i < 500 && a->s.state != SESSION_AWAITING_PAIN; i++)
		pump(a);
	assert_true(runner_time_s(&a->r) >= gone_s + METHODS_OWNER_GRACE_S - 1);
	json_t *r = ok_call(a->user, "session.status", NULL);
	assert_string_equal(str(r, "ended"), "stopped");
	json_int_t sid = json_integer_value(json_object_get(r, "session_id"));
	json_decref(r);
	r = ok_call(a->user, "history.get", json_pack("{s:I}", "session_id", sid));
	char *text = json_dumps(r, 0);
	assert_non_null(strstr(text, "the panel that started it went away"));
	free(text);
	json_decref(r);
	api_close(a);
}

/* Another client's session.resume adopts the session: no stop at the end of the grace, the
 * program runs to its end; then a session.stop sent as a notification (no id) stops. */
static void test_a_resume_by_another_client_adopts_the_session(void **state)
{
	struct api *a = api_open(34);
	start_and_leave(a, true);
	double gone_s = runner_time_s(&a->r);
	while (runner_time_s(&a->r) < gone_s + 20)
		pump(a);
	json_decref(ok_call(a->user, "session.resume", NULL));
	while (a->s.state != SESSION_AWAITING_PAIN && runner_time_s(&a->r) < gone_s + 35)
		pump(a);
	assert_int_equal(a->s.state, SESSION_RUNNING); /* past the grace, still running */
	const char *stop = "{\"jsonrpc\":\"2.0\",\"method\":\"session.stop\"}\n";
	assert_int_equal(panel_client_send_raw(a->user, stop, strlen(stop), CALL_MS), 0);
	for (int i = 0; i < 500 && a->s.state != SESSION_AWAITING_PAIN; i++)
		pump(a);
	json_t *r = ok_call(a->user, "session.status", NULL); /* the next reply is this one's */
	assert_string_equal(str(r, "ended"), "stopped");
	json_decref(r);
	api_close(a);
}

/* A PIN stored with the old interactive limits still verifies, and is hashed again with the
 * cheap ones once it did. */
static void test_an_old_pin_hash_verifies_and_is_made_cheap(void **state)
{
	struct api *a = api_open(35);
	json_decref(ok_call(a->user, "users.create",
			    json_pack("{s:s, s:s}", "name", "ana", "pin", "4711")));
	struct store_user u;
	assert_int_equal(store_user_get_by_name(a->st, "ana", &u), 0);
	assert_int_equal(crypto_pwhash_str(u.pin_hash, "4711", 4, crypto_pwhash_OPSLIMIT_INTERACTIVE,
					   crypto_pwhash_MEMLIMIT_INTERACTIVE), 0);
	assert_int_equal(store_user_update(a->st, &u), 0);
	json_decref(err_call(a->user, "users.get", json_pack("{s:s, s:s}", "name", "ana", "pin", "0000"),
			     PANEL_E_AUTH));
	json_decref(ok_call(a->user, "users.get",
			    json_pack("{s:s, s:s}", "name", "ana", "pin", "4711")));
	assert_int_equal(store_user_get_by_name(a->st, "ana", &u), 0);
	assert_int_equal(crypto_pwhash_str_needs_rehash(u.pin_hash, crypto_pwhash_OPSLIMIT_MIN,
							crypto_pwhash_MEMLIMIT_MIN), 0);
	assert_int_equal(crypto_pwhash_str_verify(u.pin_hash, "4711", 4), 0);
	api_close(a);
}

/* The one table of who may do what, walked method by method: every technician method is
 * refused to a user before its params are even looked at, and no method is refused to a
 * technician for its role. The web server serves the same table (e2e_web walks it there). */
static void test_every_method_of_the_table_holds_its_role(void **state)
{
	(void)state;
	struct api *a = api_open(1);
	int technician_only = 0;
	for (const struct panel_method *m = methods_table; m->name; m++) {
		json_t *res = NULL;
		struct panel_error e = {0};
		int rc = panel_client_call(a->user, m->name, json_object(), &res, &e, CALL_MS);
		json_decref(res);
		if (m->role == PANEL_ROLE_TECHNICIAN) {
			technician_only++;
			if (rc != -EREMOTEIO || e.code != PANEL_E_ROLE)
				fail_msg("%s: a user was not refused for the role (%d)", m->name, e.code);
		} else if (rc == -EREMOTEIO && e.code == PANEL_E_ROLE) {
			fail_msg("%s: a user was refused for the role", m->name);
		}
		panel_error_clear(&e);
		if (!strcmp(m->name, "auth.logout") || !strcmp(m->name, "tech.set_pin"))
			continue; /* the technician's own connection keeps its role and PIN */
		rc = panel_client_call(a->tech, m->name, json_object(), &res, &e, CALL_MS);
		json_decref(res);
		if (rc == -EREMOTEIO && e.code == PANEL_E_ROLE)
			fail_msg("%s: a technician was refused for the role", m->name);
		panel_error_clear(&e);
	}
	assert_true(technician_only >= 7);
	api_close(a);
}

/* auth.login with the technician PIN raises a user's connection; a wrong PIN is refused,
 * and each further wrong one in a row waits twice as long; a try in the wait is refused
 * unchecked; every wrong PIN is in the fault log; logout drops the role again. */
static void test_the_technician_pin_raises_a_user_and_wrong_pins_wait_longer(void **state)
{
	(void)state;
	struct api *a = api_open(1);
	json_t *d = err_call(a->user, "auth.login", json_pack("{s:s}", "pin", "2468"), PANEL_E_STATE);
	assert_string_equal(json_string_value(json_object_get(d, "state")), "no_pin");
	json_decref(d);
	json_decref(err_call(a->user, "tech.set_pin", json_pack("{s:s}", "pin", "2468"), PANEL_E_ROLE));
	json_decref(err_call(a->tech, "tech.set_pin", json_pack("{s:s}", "pin", "12"), PANEL_E_PARAMS));
	json_decref(ok_call(a->tech, "tech.set_pin", json_pack("{s:s}", "pin", "2468")));
	char hash[STORE_SETTING_MAX_BYTES];
	assert_int_equal(store_setting_get(a->st, "technician_pin", hash, sizeof(hash)), 0);
	assert_null(strstr(hash, "2468"));
	assert_int_equal(crypto_pwhash_str_verify(hash, "2468", 4), 0);

	int waits[3];
	for (int i = 0; i < 3; i++) {
		d = err_call(a->user, "auth.login", json_pack("{s:s}", "pin", "1111"), PANEL_E_AUTH);
		waits[i] = (int)json_integer_value(json_object_get(d, "retry_after_s"));
		json_decref(d);
		/* In the wait even the right PIN is refused, unchecked, and the wait stays. */
		d = err_call(a->user, "auth.login", json_pack("{s:s}", "pin", "2468"), PANEL_E_AUTH);
		assert_true(json_integer_value(json_object_get(d, "retry_after_s")) <= waits[i]);
		json_decref(d);
		a->wall_s += waits[i];
	}
	assert_int_equal(waits[0], 1);
	assert_int_equal(waits[1], 2);
	assert_int_equal(waits[2], 4);
	json_t *r = ok_call(a->tech, "faults.list", NULL);
	int refused = 0;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(r, "faults"), i, f)
		refused += !strcmp(json_string_value(json_object_get(f, "code")), "login_refused");
	json_decref(r);
	assert_int_equal(refused, 3);

	json_decref(err_call(a->user, "io.read", NULL, PANEL_E_ROLE));
	r = ok_call(a->user, "auth.login", json_pack("{s:s}", "pin", "2468"));
	assert_string_equal(json_string_value(json_object_get(r, "role")), "technician");
	assert_true(json_number_value(json_object_get(r, "idle_timeout_s")) == METHODS_AUTH_IDLE_S);
	json_decref(r);
	json_decref(ok_call(a->user, "io.read", NULL));
	r = ok_call(a->user, "server.info", NULL);
	assert_string_equal(json_string_value(json_object_get(r, "role")), "technician");
	json_decref(r);
	/* Right again: the count of wrong ones starts over. */
	d = err_call(a->user, "auth.login", json_pack("{s:s}", "pin", "1111"), PANEL_E_AUTH);
	assert_int_equal(json_integer_value(json_object_get(d, "retry_after_s")), 1);
	json_decref(d);
	r = ok_call(a->user, "auth.logout", NULL);
	assert_string_equal(json_string_value(json_object_get(r, "role")), "user");
	json_decref(r);
	json_decref(err_call(a->user, "io.read", NULL, PANEL_E_ROLE));
	api_close(a);
}

/* docs/panel-api.md has a section with an example for every method the table serves, and
 * none for a method it does not: the reference cannot drift from the code. */
static void test_the_api_reference_documents_every_method_and_no_other(void **state)
{
	(void)state;
	FILE *f = fopen("docs/panel-api.md", "r");
	assert_non_null(f);
	static char doc[256 * 1024];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	int documented = 0;
	for (const struct panel_method *m = methods_table; m->name; m++) {
		char heading[96];
		snprintf(heading, sizeof(heading), "\n#### `%s`", m->name);
		const char *at = strstr(doc, heading);
		if (!at)
			fail_msg("docs/panel-api.md has no section for %s", m->name);
		const char *next = strstr(at + 1, "\n#### ");
		const char *req = strstr(at, "\"method\": \"");
		if (!req || (next && req > next))
			fail_msg("docs/panel-api.md: %s has no request example", m->name);
		documented++;
	}
	int headings = 0;
	for (const char *p = strstr(doc, "\n#### `"); p; p = strstr(p + 1, "\n#### `")) {
		char name[64];
		if (sscanf(p, "\n#### `%63[^`]`", name) != 1)
			continue;
		bool known = !strcmp(name, "subscribe"); /* the server's own */
		for (const struct panel_method *m = methods_table; m->name && !known; m++)
			known = !strcmp(m->name, name);
		if (!known)
			fail_msg("docs/panel-api.md documents %s, which chaird does not serve", name);
		headings++;
	}
	assert_true(headings >= documented);
}

int main(void)
{
	const char *path = getenv("PANEL_EXAMPLES");
	if (path && !(examples = fopen(path, "w")))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_method_answers_its_happy_path),
		cmocka_unit_test(test_every_error_code_and_nothing_changes),
		cmocka_unit_test(test_see_professional_is_an_answer_and_refuses_the_start),
		cmocka_unit_test(test_stop_during_the_scan_lets_go_and_answers_the_scan),
		cmocka_unit_test(test_jog_refused_while_not_idle_and_outside_limits),
		cmocka_unit_test(test_session_of_an_installed_program_and_feedback_within_its_range),
		cmocka_unit_test(test_io_read_gives_every_line_drive_register_and_bus_counter),
		cmocka_unit_test(test_config_get_shows_file_keys_by_base_name_only),
		cmocka_unit_test(test_real_time_snapshots_come_every_100_ms_of_ticks),
		cmocka_unit_test(test_a_pin_profile_is_read_and_written_only_with_its_pin),
		cmocka_unit_test(test_a_second_profile_does_not_reset_the_first_ones_wrong_pins),
		cmocka_unit_test(test_a_session_whose_panel_went_is_paused_then_stopped),
		cmocka_unit_test(test_a_resume_by_another_client_adopts_the_session),
		cmocka_unit_test(test_a_session_started_by_a_client_that_watches_nothing_goes_on_after_it),
		cmocka_unit_test(test_an_old_pin_hash_verifies_and_is_made_cheap),
		cmocka_unit_test(test_feedback_is_answered_with_the_chairs_verdict),
		cmocka_unit_test(test_every_method_of_the_table_holds_its_role),
		cmocka_unit_test(test_the_technician_pin_raises_a_user_and_wrong_pins_wait_longer),
		cmocka_unit_test(test_the_api_reference_documents_every_method_and_no_other),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (examples)
		fclose(examples);
	return rc;
}
