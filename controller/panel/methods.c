/* The method table of PANEL.md, and the handlers of a visit: server, consultation, scan,
 * plan and session. Every param has been checked against its schema before a handler
 * runs; a handler checks what a schema cannot (a name that must exist, a PIN) before it
 * changes anything. */
#include "methods.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../session/session_internal.h"
#include "../session/vocab.h"

#define NAME_MAX_BYTES 64
#define PIN_MAX_BYTES 64

static const char *const goals[] = {"pain-relief", "relaxation", "mobility", "recovery", NULL};
static const char *const intensities[] = {"gentle", "normal", "firm", NULL};
static const char *const actions[] = {"stronger", "softer", "faster", "slower", "wider",
				      "narrower", "stay", "skip", "too_much", "there", "eased",
				      NULL};
static const char *const formats[] = {"csv", "html", "json", NULL};
static const char *const axes[] = {"y", "z", "w", NULL};

/* ---- helpers shared with methods_tech.c ---- */

static json_t *field_err(const char *field, const char *expected)
{
	return json_pack("{s:s, s:s}", "field", field, "expected", expected);
}

static int bad_param(struct panel_error *err, const char *field, const char *expected)
{
	panel_error_set(err, PANEL_E_PARAMS, field_err(field, expected), "bad params");
	return PANEL_E_PARAMS;
}

int methods_user(struct methods_ctx *m, const json_t *params, const char *field,
		 struct store_user *u, struct panel_error *err)
{
	const char *name = json_string_value(json_object_get(params, field));
	int rc = name ? store_user_get_by_name(m->st, name, u) : -ENOENT;
	if (rc == -ENOENT || rc == -EINVAL) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", field),
				"no such user");
		return PANEL_E_NOT_FOUND;
	}
	if (rc) {
		panel_error_set(err, PANEL_E_INTERNAL, NULL, "the chair's storage failed");
		return PANEL_E_INTERNAL;
	}
	return 0;
}

/* ---- server ---- */

static int m_server_info(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err)
{
	struct methods_ctx *m = app;
	/* The rt loop's figures for everyone: a bench compares them with and without clients.
	 * The worst wake-up comes with the rt thread's snapshot (0 in lockstep). */
	const struct rt_snapshot *snap = runner_snapshot(m->r);
	*result = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:f}", "version", METHODS_VERSION,
			    "chair_state", session_chair_state(m->session), "session_state",
			    session_state_name(m->session->state), "backend", m->backend, "role",
			    panel_role_name(call->role), "homed", m->r->last.homed != 0,
			    "rt_overruns", (json_int_t)m->r->last.overruns, "rt_late_max_us",
			    snap ? (double)snap->latency_max_ns / 1000.0 : 0.0);
	return 0;
}

/* ---- consultation ---- */

/* One condition: "fibromyalgia" or {"id", "area"?, "weeks_ago"?}, strictly. */
static int parse_condition(const json_t *v, int i, struct consult_answers *a,
			   struct panel_error *err)
{
	char field[48];
	snprintf(field, sizeof(field), "conditions[%d]", i);
	const char *id = NULL, *area = NULL;
	int weeks = -1;
	json_t *wv = NULL;
	if (json_is_string(v)) {
		id = json_string_value(v);
	} else if (!json_is_object(v) ||
		   json_unpack_ex((json_t *)v, NULL, JSON_STRICT, "{s:s, s?s, s?o}", "id", &id,
				  "area", &area, "weeks_ago", &wv) != 0) {
		return bad_param(err, field,
				 "a condition name or {id, area?, weeks_ago?}");
	}
	if (wv) {
		if (!json_is_integer(wv) || json_integer_value(wv) < 0 ||
		    json_integer_value(wv) > 520)
			return bad_param(err, field, "weeks_ago: a whole number 0..520");
		weeks = (int)json_integer_value(wv);
	}
	int cid = condition_lookup(id);
	if (cid < 0)
		return bad_param(err, field, "a condition of PANEL.md");
	int aid = -1;
	if (area && (aid = area_lookup(area)) < 0)
		return bad_param(err, field, "area: an area of PANEL.md");
	if (consult_answers_add(a, (enum condition)cid, aid, weeks) != 0)
		return bad_param(err, "conditions", "at most 16 conditions");
	return 0;
}

/* pain: [{area, score 0-10}], each area once, into score[] (left -1 where not said). */
static int parse_pain(const json_t *pain, int score_by_area[AREA_COUNT], struct panel_error *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(pain, i, v) {
		const char *area;
		json_int_t score;
		char field[32];
		snprintf(field, sizeof(field), "pain[%zu]", i);
		if (!json_is_object(v) ||
		    json_unpack_ex(v, NULL, JSON_STRICT, "{s:s, s:I}", "area", &area, "score",
				   &score) != 0 ||
		    !json_is_integer(json_object_get(v, "score")))
			return bad_param(err, field, "{area, score 0-10}");
		int aid = area_lookup(area);
		if (aid < 0)
			return bad_param(err, field, "area: an area of PANEL.md");
		if (score < 0 || score > 10)
			return bad_param(err, field, "score: a whole number 0..10");
		if (score_by_area[aid] >= 0)
			return bad_param(err, field, "each area once");
		score_by_area[aid] = (int)score;
	}
	return 0;
}

static int parse_answers(const json_t *params, struct consult_answers *a,
			 struct panel_error *err)
{
	consult_answers_init(a);
	json_t *v;
	size_t i;
	json_t *conds = json_object_get(params, "conditions");
	json_array_foreach(conds, i, v) {
		int rc = parse_condition(v, (int)i, a, err);
		if (rc)
			return rc;
	}
	int rc = parse_pain(json_object_get(params, "pain"), a->pain_score, err);
	if (rc)
		return rc;
	json_t *g = json_object_get(params, "goals");
	json_array_foreach(g, i, v) a->goals |= 1u << goal_lookup(json_string_value(v));
	const char *inten = json_string_value(json_object_get(params, "intensity"));
	if (inten)
		a->intensity = (enum intensity)intensity_lookup(inten);
	json_t *d = json_object_get(params, "duration_min");
	if (d)
		a->duration_min = (int)json_integer_value(d);
	return 0;
}

/* A write to the profile params[field] names: its PIN first, when it has one. */
static int profile_pin(struct methods_ctx *m, const struct panel_call *call,
		       const json_t *params, const char *field, struct panel_error *err)
{
	struct store_user u;
	int rc = methods_user(m, params, field, &u, err);
	return rc ? rc : methods_check_pin(m, call, &u, params, err);
}

static int m_consult_submit(void *app, struct panel_call *call, json_t *params,
			    json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	struct consult_answers a;
	int rc = parse_answers(params, &a, err);
	if (rc || (rc = profile_pin(m, call, params, "user", err)))
		return rc;
	return session_consult(m->session, json_string_value(json_object_get(params, "user")), &a,
			       result, err);
}

/* ---- scan ---- */

static void scan_done(void *ctx, json_t *result, struct panel_error *err)
{
	struct methods_ctx *m = ctx;
	uint64_t h = m->scan_handle;
	m->scan_handle = 0;
	if (!h || !m->panel) {
		json_decref(result);
		if (err)
			panel_error_clear(err);
		return;
	}
	if (result)
		panel_reply(m->panel, h, result);
	else
		panel_reply_error(m->panel, h, err);
}

static int m_scan_start(void *app, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err)
{
	struct methods_ctx *m = app;
	if (m->scan_handle)
		return session_refuse_state(m->session, err, "a scan is under way");
	/* The handle first: a scan that could not be answered must not start. */
	uint64_t h = panel_call_defer(call);
	if (!h)
		return -ENOMEM;
	m->scan_handle = h;
	int rc = session_scan_start(m->session, json_string_value(json_object_get(params, "user")),
				    scan_done, m, err);
	if (rc) {
		m->scan_handle = 0;
		if (m->panel)
			panel_reply_error(m->panel, h, err);
	}
	return PANEL_DEFERRED;
}

static int m_scan_adjust(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err)
{
	struct methods_ctx *m = app;
	int rc = profile_pin(m, call, params, "user", err);
	if (rc)
		return rc;
	return session_scan_adjust(m->session, json_string_value(json_object_get(params, "user")),
				   (int)json_integer_value(json_object_get(params, "delta_mm")),
				   result, err);
}

static int m_scan_manual(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err)
{
	struct methods_ctx *m = app;
	int rc = profile_pin(m, call, params, "user", err);
	if (rc)
		return rc;
	return session_scan_manual(m->session, json_string_value(json_object_get(params, "user")),
				   (int)json_integer_value(json_object_get(params, "height_cm")),
				   result, err);
}

/* ---- plan and session ---- */

static int m_plan_propose(void *app, struct panel_call *call, json_t *params, json_t **result,
			  struct panel_error *err)
{
	struct methods_ctx *m = app;
	json_t *d = json_object_get(params, "duration_min");
	return session_plan(m->session, json_string_value(json_object_get(params, "user")),
			    d ? (int)json_integer_value(d) : 0, result, err);
}

static bool watches_session(const struct panel_call *call)
{
	return panel_call_topics(call) &
	       (1u << PANEL_TOPIC_STATE | 1u << PANEL_TOPIC_SESSION);
}

static int m_session_start(void *app, struct panel_call *call, json_t *params,
			   json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	const char *text = json_string_value(json_object_get(params, "plan"));
	const char *prog = json_string_value(json_object_get(params, "program"));
	if (text && prog)
		return bad_param(err, "program", "plan or program, not both");
	int rc = profile_pin(m, call, params, "user", err);
	if (rc || (rc = session_start(m->session, json_string_value(json_object_get(params, "user")),
				      text, prog, result, err)))
		return rc;
	/* A panel that watches the session (subscribed to its state or progress) answers for
	 * it now: its going pauses it (methods_on_close). A one-shot client such as chairctl,
	 * which starts a session and exits, leaves it to the person's own controls. */
	m->owner_conn_id = watches_session(call) ? call->conn_id : 0;
	m->owner_gone = false;
	m->owner_paused = false;
	return 0;
}

void methods_on_close(void *app, uint64_t conn_id)
{
	struct methods_ctx *m = app;
	if (!m->owner_conn_id || conn_id != m->owner_conn_id || m->owner_gone)
		return;
	/* Only noted here: the hook may run inside a notification's fan-out. */
	m->owner_gone = true;
	m->owner_paused = false;
	m->owner_gone_s = m->session->wall_s();
}

void methods_poll_owner(struct methods_ctx *m)
{
	struct session *s = m->session;
	if (!m->owner_conn_id)
		return;
	if (!s->sid || s->ended != STORE_ENDED_RUNNING) {
		m->owner_conn_id = 0; /* the session ended: nobody answers for it any more */
		m->owner_gone = false;
		return;
	}
	if (!m->owner_gone)
		return;
	json_t *res = NULL;
	struct panel_error err = {0};
	/* A person left pressed by a chair nobody controls: pause at once (as soon as the
	 * session runs), stop after the grace; each retried next turn if the queue was full. */
	if (m->session->wall_s() >= m->owner_gone_s + METHODS_OWNER_GRACE_S) {
		if (session_feedback(s, ACT_STOP, &res, &err) == 0) {
			session_event(s, STORE_EVENT_PHASE, "owner_gone", session_zone_now(s),
				      "the panel that started it went away");
			m->owner_conn_id = 0;
			m->owner_gone = false;
		}
	} else if (!m->owner_paused && s->state == SESSION_RUNNING && s->seen_running) {
		if (session_feedback(s, ACT_PAUSE, &res, &err) == 0)
			m->owner_paused = true;
	} else if (s->state == SESSION_PAUSED) {
		m->owner_paused = true; /* paused already: the person's or ours */
	}
	json_decref(res);
	panel_error_clear(&err);
}

/* The chair's verdict on a feedback that waited for it (a session_feedback_fn). */
static void feedback_done(void *ctx, uint64_t tag, json_t *result, struct panel_error *err)
{
	struct methods_ctx *m = ctx;
	if (!m->panel) {
		json_decref(result);
		return;
	}
	if (result)
		panel_reply(m->panel, tag, result);
	else
		panel_reply_error(m->panel, tag, err);
}

static int m_session_feedback(void *app, struct panel_call *call, json_t *params,
			      json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	enum session_action a = (enum session_action)session_action_lookup(
		json_string_value(json_object_get(params, "action")));
	if (!session_feedback_waits(a))
		return session_feedback(m->session, a, result, err);
	/* The handle first: a command the chair may refuse is answered with its verdict. */
	uint64_t h = panel_call_defer(call);
	if (!h)
		return -ENOMEM;
	int rc = session_feedback_tagged(m->session, a, feedback_done, m, h, result, err);
	if (rc == SESSION_PENDING || !m->panel)
		return PANEL_DEFERRED;
	if (rc == 0)
		panel_reply(m->panel, h, *result);
	else
		panel_reply_error(m->panel, h, err);
	*result = NULL;
	return PANEL_DEFERRED;
}

static int m_session_pause(void *app, struct panel_call *call, json_t *params,
			   json_t **result, struct panel_error *err)
{
	return session_feedback(((struct methods_ctx *)app)->session, ACT_PAUSE, result, err);
}

static int m_session_resume(void *app, struct panel_call *call, json_t *params,
			    json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	int rc = session_feedback(m->session, ACT_RESUME, result, err);
	/* Whoever resumes it takes it over: a watching panel answers for it from now on, a
	 * one-shot client leaves it to the person's own controls, as a start by one does. */
	if (rc == 0 && m->owner_conn_id) {
		m->owner_conn_id = watches_session(call) ? call->conn_id : 0;
		m->owner_gone = false;
		m->owner_paused = false;
	}
	return rc;
}

static int m_session_stop(void *app, struct panel_call *call, json_t *params, json_t **result,
			  struct panel_error *err)
{
	return session_feedback(((struct methods_ctx *)app)->session, ACT_STOP, result, err);
}

static int m_session_status(void *app, struct panel_call *call, json_t *params,
			    json_t **result, struct panel_error *err)
{
	*result = session_status(((struct methods_ctx *)app)->session);
	return 0;
}

static int m_session_finish(void *app, struct panel_call *call, json_t *params,
			    json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	int after[AREA_COUNT];
	for (int a = 0; a < AREA_COUNT; a++)
		after[a] = -1;
	int rc = parse_pain(json_object_get(params, "pain"), after, err);
	if (rc)
		return rc;
	return session_finish(m->session,
			      (int64_t)json_integer_value(json_object_get(params, "session_id")),
			      after, result, err);
}

/* ---- the table ---- */

#define P_USER {"user", PANEL_P_STRING, true, 0, 0, NULL, NAME_MAX_BYTES}
#define P_PIN {"pin", PANEL_P_STRING, false, 0, 0, NULL, PIN_MAX_BYTES}

static const struct panel_param p_users_create[] = {
	{"name", PANEL_P_STRING, true, 0, 0, NULL, NAME_MAX_BYTES},
	{"height_cm", PANEL_P_INT, false, 100, 250, NULL, 0},
	P_PIN,
	PANEL_PARAMS_END,
};
static const struct panel_param p_users_name[] = {
	{"name", PANEL_P_STRING, true, 0, 0, NULL, NAME_MAX_BYTES},
	P_PIN,
	PANEL_PARAMS_END,
};
static const struct panel_param p_users_update[] = {
	{"name", PANEL_P_STRING, true, 0, 0, NULL, NAME_MAX_BYTES},
	{"new_name", PANEL_P_STRING, false, 0, 0, NULL, NAME_MAX_BYTES},
	{"height_cm", PANEL_P_INT, false, 100, 250, NULL, 0},
	P_PIN,
	{"new_pin", PANEL_P_STRING, false, 0, 0, NULL, PIN_MAX_BYTES},
	PANEL_PARAMS_END,
};
static const struct panel_param p_consult[] = {
	P_USER,
	{"conditions", PANEL_P_ARRAY, false, 0, 0, NULL, CONSULT_CONDITIONS_MAX},
	{"pain", PANEL_P_ARRAY, false, 0, 0, NULL, AREA_COUNT},
	{"goals", PANEL_P_ARRAY, false, 0, 0, goals, GOAL_COUNT},
	{"intensity", PANEL_P_ENUM, false, 0, 0, intensities, 0},
	{"duration_min", PANEL_P_INT, false, CONSULT_DURATION_MIN_MIN, CONSULT_DURATION_MAX_MIN,
	 NULL, 0},
	P_PIN,
	PANEL_PARAMS_END,
};
static const struct panel_param p_user_only[] = {P_USER, PANEL_PARAMS_END};
static const struct panel_param p_scan_adjust[] = {
	P_USER,
	{"delta_mm", PANEL_P_INT, true, -80, 80, NULL, 0},
	P_PIN,
	PANEL_PARAMS_END,
};
static const struct panel_param p_scan_manual[] = {
	P_USER,
	{"height_cm", PANEL_P_INT, true, 150, 200, NULL, 0},
	P_PIN,
	PANEL_PARAMS_END,
};
static const struct panel_param p_plan[] = {
	P_USER,
	{"duration_min", PANEL_P_INT, false, CONSULT_DURATION_MIN_MIN, CONSULT_DURATION_MAX_MIN,
	 NULL, 0},
	PANEL_PARAMS_END,
};
static const struct panel_param p_session_start[] = {
	P_USER,
	{"plan", PANEL_P_STRING, false, 0, 0, NULL, 60000},
	{"program", PANEL_P_STRING, false, 0, 0, NULL, NAME_MAX_BYTES},
	P_PIN,
	PANEL_PARAMS_END,
};
static const struct panel_param p_feedback[] = {
	{"action", PANEL_P_ENUM, true, 0, 0, actions, 0},
	PANEL_PARAMS_END,
};
static const struct panel_param p_finish[] = {
	{"session_id", PANEL_P_INT, true, 1, 9007199254740991.0, NULL, 0},
	{"pain", PANEL_P_ARRAY, true, 0, 0, NULL, AREA_COUNT},
	PANEL_PARAMS_END,
};
static const struct panel_param p_history_list[] = {P_USER, P_PIN, PANEL_PARAMS_END};
static const struct panel_param p_history_get[] = {
	{"session_id", PANEL_P_INT, true, 1, 9007199254740991.0, NULL, 0},
	P_PIN,
	PANEL_PARAMS_END,
};
static const struct panel_param p_report[] = {
	P_USER,
	{"format", PANEL_P_ENUM, true, 0, 0, formats, 0},
	P_PIN,
	PANEL_PARAMS_END,
};
static const struct panel_param p_pin[] = {
	{"pin", PANEL_P_STRING, true, 0, 0, NULL, PIN_MAX_BYTES},
	PANEL_PARAMS_END,
};
static const struct panel_param p_program_name[] = {
	{"name", PANEL_P_STRING, true, 0, 0, NULL, NAME_MAX_BYTES},
	PANEL_PARAMS_END,
};
static const struct panel_param p_program_install[] = {
	{"name", PANEL_P_STRING, true, 0, 0, NULL, NAME_MAX_BYTES},
	{"text", PANEL_P_STRING, true, 0, 0, NULL, 60000},
	PANEL_PARAMS_END,
};
static const struct panel_param p_jog[] = {
	{"axis", PANEL_P_ENUM, true, 0, 0, axes, 0},
	{"target", PANEL_P_NUMBER, true, -10000, 10000, NULL, 0},
	PANEL_PARAMS_END,
};
static const struct panel_param p_faults_list[] = {
	{"max", PANEL_P_INT, false, 1, 1000, NULL, 0},
	PANEL_PARAMS_END,
};

const struct panel_method methods_table[] = {
	{"server.info", PANEL_ROLE_ANY, NULL, m_server_info},
	{"auth.login", PANEL_ROLE_ANY, p_pin, methods_auth_login},
	{"auth.logout", PANEL_ROLE_ANY, NULL, methods_auth_logout},
	{"tech.set_pin", PANEL_ROLE_TECHNICIAN, p_pin, methods_tech_set_pin},
	{"users.list", PANEL_ROLE_USER, NULL, methods_users_list},
	{"users.create", PANEL_ROLE_USER, p_users_create, methods_users_create},
	{"users.get", PANEL_ROLE_USER, p_users_name, methods_users_get},
	{"users.update", PANEL_ROLE_USER, p_users_update, methods_users_update},
	{"users.delete", PANEL_ROLE_USER, p_users_name, methods_users_delete},
	{"consult.submit", PANEL_ROLE_USER, p_consult, m_consult_submit},
	{"scan.start", PANEL_ROLE_USER, p_user_only, m_scan_start},
	{"scan.adjust", PANEL_ROLE_USER, p_scan_adjust, m_scan_adjust},
	{"scan.manual", PANEL_ROLE_USER, p_scan_manual, m_scan_manual},
	{"plan.propose", PANEL_ROLE_USER, p_plan, m_plan_propose},
	{"session.start", PANEL_ROLE_USER, p_session_start, m_session_start},
	{"session.feedback", PANEL_ROLE_USER, p_feedback, m_session_feedback},
	{"session.pause", PANEL_ROLE_USER, NULL, m_session_pause},
	{"session.resume", PANEL_ROLE_USER, NULL, m_session_resume},
	{"session.stop", PANEL_ROLE_USER, NULL, m_session_stop},
	{"session.status", PANEL_ROLE_USER, NULL, m_session_status},
	{"session.finish", PANEL_ROLE_USER, p_finish, m_session_finish},
	{"history.list", PANEL_ROLE_USER, p_history_list, methods_history_list},
	{"history.get", PANEL_ROLE_USER, p_history_get, methods_history_get},
	{"report.export", PANEL_ROLE_USER, p_report, methods_report_export},
	{"programs.list", PANEL_ROLE_ANY, NULL, methods_programs_list},
	{"programs.get", PANEL_ROLE_ANY, p_program_name, methods_programs_get},
	{"programs.plot", PANEL_ROLE_ANY, p_program_name, methods_programs_plot},
	{"programs.install", PANEL_ROLE_TECHNICIAN, p_program_install, methods_programs_install},
	{"programs.remove", PANEL_ROLE_TECHNICIAN, p_program_name, methods_programs_remove},
	{"io.read", PANEL_ROLE_TECHNICIAN, NULL, methods_io_read},
	{"jog", PANEL_ROLE_TECHNICIAN, p_jog, methods_jog},
	{"faults.list", PANEL_ROLE_ANY, p_faults_list, methods_faults_list},
	{"faults.ack", PANEL_ROLE_TECHNICIAN, NULL, methods_faults_ack},
	{"config.get", PANEL_ROLE_TECHNICIAN, NULL, methods_config_get},
	PANEL_METHODS_END,
};

void methods_notify(void *ctx, const char *topic, const char *method, json_t *params)
{
	struct methods_ctx *m = ctx;
	static const struct {
		const char *name;
		enum panel_topic t;
	} topics[] = {{"state", PANEL_TOPIC_STATE},   {"motion", PANEL_TOPIC_MOTION},
		      {"session", PANEL_TOPIC_SESSION}, {"faults", PANEL_TOPIC_FAULTS},
		      {"scan", PANEL_TOPIC_SCAN}};
	for (size_t i = 0; m->panel && i < sizeof(topics) / sizeof(topics[0]); i++)
		if (!strcmp(topic, topics[i].name)) {
			panel_notify(m->panel, topics[i].t, method, params);
			return;
		}
	json_decref(params);
}
