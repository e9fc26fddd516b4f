/* The visit before the chair moves: who sits down, what the consultation allows, the body,
 * and the plan; then the start. Each step checks everything first and only then changes
 * the visit or the store, so a refused request leaves both as they were. */
#include "session.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../program_load.h"
#include "plan_limits.h"
#include "planner.h"
#include "scan.h"
#include "session_internal.h"

static const char *const state_names[SESSION_STATE_COUNT] = {
	[SESSION_IDLE] = "idle",
	[SESSION_CONSULTED] = "consulted",
	[SESSION_SCANNING] = "scanning",
	[SESSION_SCANNED] = "scanned",
	[SESSION_PLANNED] = "planned",
	[SESSION_RUNNING] = "running",
	[SESSION_PAUSED] = "paused",
	[SESSION_FINISHING] = "finishing",
	[SESSION_AWAITING_PAIN] = "awaiting_pain_after",
	[SESSION_DONE] = "done",
};

const char *session_state_name(enum session_state st)
{
	return (unsigned)st < SESSION_STATE_COUNT ? state_names[st] : "?";
}

/* Unix seconds from the real-time clock: when sessions began and ended. */
static double wall_clock_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void session_init(struct session *s, struct runner *r, const struct chair_config *cfg,
		  struct store *st, const struct rules_table *rules,
		  const struct advice_table *advice)
{
	memset(s, 0, sizeof(*s));
	s->r = r;
	s->cfg = cfg;
	s->st = st;
	s->rules = rules;
	s->advice = advice;
	s->wall_s = wall_clock_s;
	s->last_zone = -1;
	s->last_chair_state = 0xff; /* the first record tells the state */
}

void session_set_notify(struct session *s, session_notify_fn fn, void *ctx)
{
	s->notify = fn;
	s->notify_ctx = ctx;
}

void session_retire_plan(struct session *s, struct plan *p)
{
	if (!p)
		return;
	if (!runner_plan_busy(s->r, p)) {
		plan_free(p);
		return;
	}
	for (int i = 0; i < SESSION_PLANS_RETIRED; i++)
		if (!s->retired[i]) {
			s->retired[i] = p;
			return;
		}
	/* Never freed while the tick may read it: a leak is the safe side. */
}

void session_fini(struct session *s, const char *reason)
{
	if (s->sid && (s->start_pending || s->state == SESSION_PLANNED ||
		       s->state == SESSION_RUNNING || s->state == SESSION_PAUSED ||
		       s->state == SESSION_FINISHING)) {
		struct ctl_cmd stop = {.kind = CMD_STOP};
		runner_send(s->r, &stop);
		session_end(s, STORE_ENDED_INTERRUPTED, reason ? reason : "chaird stopped");
	}
	session_scan_abort(s);
	session_flush_events(s);
}

void session_release(struct session *s)
{
	for (int i = 0; i < SESSION_PLANS_RETIRED; i++) {
		plan_free(s->retired[i]);
		s->retired[i] = NULL;
	}
	plan_free(s->plan);
	s->plan = NULL;
	free(s->plan_text);
	s->plan_text = NULL;
	json_decref(s->plan_summary);
	s->plan_summary = NULL;
	json_decref(s->summary);
	s->summary = NULL;
}

int session_refuse_state(const struct session *s, struct panel_error *err, const char *what)
{
	panel_error_set(err, PANEL_E_STATE,
			json_pack("{s:s, s:s}", "state", session_state_name(s->state), "chair",
				  session_chair_state(s)),
			"%s", what);
	return PANEL_E_STATE;
}

int session_store_failed(struct session *s, struct panel_error *err, int rc)
{
	snprintf(s->store_err, sizeof(s->store_err), "%s", store_error(s->st));
	const char *why = rc == -ENOSPC ? "the chair's storage is full"
			  : rc == -EROFS ? "the chair's storage is read-only"
					 : "the chair's storage failed";
	panel_error_set(err, PANEL_E_INTERNAL, NULL, "%s: nothing was kept", why);
	return PANEL_E_INTERNAL;
}

/* The user of that name, or -32003 naming the param. */
static int find_user(struct session *s, const char *name, struct store_user *u,
		     struct panel_error *err)
{
	int rc = store_user_get_by_name(s->st, name, u);
	if (rc == -ENOENT || rc == -EINVAL) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", "user"),
				"no such user");
		return PANEL_E_NOT_FOUND;
	}
	return rc ? session_store_failed(s, err, rc) : 0;
}

void session_drop_plan(struct session *s)
{
	session_retire_plan(s, s->plan);
	s->plan = NULL;
	free(s->plan_text);
	s->plan_text = NULL;
	json_decref(s->plan_summary);
	s->plan_summary = NULL;
}

int session_visit_for(struct session *s, const struct store_user *u, struct panel_error *err)
{
	if (session_busy(s))
		return session_refuse_state(s, err, "the chair is busy with a visit");
	if (s->have_user && s->user.id != u->id) {
		/* Another person sits down: the last visit's findings are not theirs. */
		s->have_limits = false;
		s->have_body = false;
		s->consult_id = 0;
		s->sid = 0;
		session_drop_plan(s);
		session_set_state(s, SESSION_IDLE);
	}
	return 0;
}

static void set_user(struct session *s, const struct store_user *u)
{
	s->user = *u;
	s->have_user = true;
}

/* The body the profile remembers: its scanned line with the person's nudge, placed as
 * scan_body places a fresh scan. */
static bool body_of_profile(const struct session *s, const struct store_user *u,
			    struct body_map *b)
{
	struct interp_limits lim;
	program_limits(s->cfg, &lim);
	if (u->shoulder_y_mm <= 0)
		return false;
	struct scan_result res = {.status = SCAN_OK, .shoulder_y_mm = u->shoulder_y_mm,
				  .height_mm = u->height_cm > 0 ? u->height_cm * 10.0
								: BODY_DEFAULT_HEIGHT_MM,
				  .skin_gap_mm = lim.skin_gap_mm};
	return scan_body(&res, u->shoulder_adjust_mm, &lim, b) == 0;
}

static json_t *area_list(unsigned mask)
{
	json_t *a = json_array();
	for (int i = 0; i < AREA_COUNT; i++)
		if (mask & (1u << i))
			json_array_append_new(a, json_string(area_name((enum area)i)));
	return a;
}

static json_t *technique_list(unsigned mask)
{
	json_t *a = json_array();
	for (int i = 0; i < 18; i++)
		if (mask & (1u << i) && strcmp(technique_name(1u << i), "?"))
			json_array_append_new(a, json_string(technique_name(1u << i)));
	return a;
}

json_t *session_conditions_json(const struct consult_answers *a)
{
	json_t *c = json_array();
	for (int i = 0; a && i < a->condition_count; i++) {
		const struct consult_condition *k = &a->conditions[i];
		if (k->area < 0 && k->weeks_ago < 0) {
			json_array_append_new(c, json_string(condition_name(k->id)));
			continue;
		}
		json_t *o = json_pack("{s:s}", "id", condition_name(k->id));
		if (k->area >= 0)
			json_object_set_new(o, "area", json_string(area_name((enum area)k->area)));
		if (k->weeks_ago >= 0)
			json_object_set_new(o, "weeks_ago", json_integer(k->weeks_ago));
		json_array_append_new(c, o);
	}
	return c;
}

json_t *session_limits_json(const struct session_limits *l, const struct consult_answers *a)
{
	json_t *msgs = json_array();
	for (int i = 0; i < l->message_count && i < LIMITS_MESSAGES_MAX; i++)
		json_array_append_new(msgs, json_string(l->messages[i]));
	json_t *o = json_pack(
		"{s:f, s:i, s:b, s:o, s:o, s:o, s:o, s:b, s:o, s:i, s:b, s:o, s:o}", "cap_n",
		l->cap_n, "max_pressure_level", l->max_pressure_level, "deep_allowed",
		l->deep_allowed, "techniques_excluded", technique_list(l->techniques_excluded),
		"areas_avoided", area_list(l->areas_avoided), "areas_no_deep",
		area_list(l->areas_no_deep), "areas_no_air", area_list(l->areas_no_air),
		"heat_allowed", l->heat_allowed, "areas_no_heat", area_list(l->areas_no_heat),
		"max_duration_min", l->max_duration_min, "see_professional_first",
		l->see_professional_first, "messages", msgs, "conditions",
		session_conditions_json(a));
	if (l->see_professional_first) {
		json_object_set_new(o, "professional", json_string(l->professional));
		json_object_set_new(o, "reason", json_string(l->reason));
	}
	return o;
}

static json_t *answers_json(const struct consult_answers *a)
{
	json_t *pain = json_array(), *goals = json_array();
	for (int i = 0; i < AREA_COUNT; i++)
		if (a->pain_score[i] >= 0)
			json_array_append_new(pain, json_pack("{s:s, s:i}", "area",
							      area_name((enum area)i), "score",
							      a->pain_score[i]));
	for (int g = 0; g < GOAL_COUNT; g++)
		if (a->goals & (1u << g))
			json_array_append_new(goals, json_string(goal_name((enum goal)g)));
	return json_pack("{s:o, s:o, s:o, s:s, s:i}", "conditions", session_conditions_json(a),
			 "pain", pain, "goals", goals, "intensity", intensity_name(a->intensity),
			 "duration_min", a->duration_min);
}

json_t *session_body_json(const struct body_map *b, const struct store_user *u)
{
	json_t *lm = json_object();
	for (int i = 0; i < BODY_LANDMARK_COUNT; i++)
		json_object_set_new(lm, body_landmark_name((enum body_landmark)i),
				    json_real(round(b->y_mm[i] * 10) / 10));
	return json_pack("{s:f, s:i, s:f, s:o}", "shoulder_y_mm", b->shoulder_y_mm, "adjust_mm",
			 u ? u->shoulder_adjust_mm : 0, "height_mm", b->height_mm, "landmarks", lm);
}

/* "conditions[1].area: injury needs an area" → the field before the colon. */
static json_t *field_of(const char *msg)
{
	const char *colon = strchr(msg, ':');
	size_t n = colon ? (size_t)(colon - msg) : strlen(msg);
	return json_pack("{s:s%, s:s}", "field", msg, n, "expected", colon ? colon + 2 : msg);
}

int session_consult(struct session *s, const char *user, const struct consult_answers *a,
		    json_t **result, struct panel_error *err)
{
	struct store_user u;
	int rc = find_user(s, user, &u, err);
	if (rc)
		return rc;
	char why[256];
	if (rules_check_answers(a, why, sizeof(why)) != 0) {
		panel_error_set(err, PANEL_E_PARAMS, field_of(why), "bad params");
		return PANEL_E_PARAMS;
	}
	struct session_limits lim;
	if (rules_evaluate(s->rules, a, s->cfg->session.default_cap_n, &lim) != 0) {
		panel_error_set(err, PANEL_E_PARAMS, field_of(lim.reason), "bad params");
		return PANEL_E_PARAMS;
	}
	/* Refuse a busy chair before the save, and leave the current visit alone until the
	 * consultation is stored: a request that fails changes nothing. */
	if (session_busy(s))
		return session_refuse_state(s, err, "the chair is busy with a visit");
	json_t *lj = session_limits_json(&lim, a), *aj = answers_json(a);
	char *ltext = json_dumps(lj, JSON_COMPACT), *atext = json_dumps(aj, JSON_COMPACT);
	json_decref(aj);
	int64_t cid = 0;
	rc = ltext && atext ? store_consultation_save(s->st, u.id, s->wall_s(), atext, ltext, &cid)
			    : -ENOMEM;
	free(ltext);
	free(atext);
	if (rc) {
		json_decref(lj);
		return session_store_failed(s, err, rc);
	}
	session_visit_for(s, &u, err); /* not busy (above): it only forgets another's visit */
	set_user(s, &u);
	session_drop_plan(s); /* written for the limits before */
	s->answers = *a;
	s->limits = lim;
	s->have_limits = true;
	s->consult_id = cid;
	s->sid = 0;
	s->have_body = body_of_profile(s, &u, &s->body);
	session_set_state(s, s->have_body ? SESSION_SCANNED : SESSION_CONSULTED);
	json_object_set_new(lj, "consult_id", json_integer(cid));
	json_object_set_new(lj, "body_known", json_boolean(s->have_body));
	*result = lj;
	return 0;
}

/* The consultation must have said the person may go ahead. */
static int check_may_go_ahead(struct session *s, const struct store_user *u,
			      struct panel_error *err)
{
	if (!s->have_limits || !s->have_user || s->user.id != u->id)
		return session_refuse_state(s, err, "no consultation in this visit: consult first");
	if (!s->limits.see_professional_first)
		return 0;
	panel_error_set(err, PANEL_E_REFUSED,
			json_pack("{s:s, s:s, s:s}", "rule", "consultation", "professional",
				  s->limits.professional, "reason", s->limits.reason),
			"the consultation says to see a %s first", s->limits.professional);
	return PANEL_E_REFUSED;
}

/* The body a plan is written and resolved for: scanned, from the height, or the default. */
static void plan_body(const struct session *s, struct body_map *b)
{
	struct interp_limits lim;
	program_limits(s->cfg, &lim);
	if (s->have_body)
		*b = s->body;
	else if (s->user.height_cm <= 0 || body_from_height(b, s->user.height_cm * 10.0, &lim))
		body_default(b, &lim);
}

struct trigger_list {
	struct trigger_memory tm[32];
	int n;
};

static int take_trigger(void *ctx, const struct trigger_memory *tm)
{
	struct trigger_list *l = ctx;
	if (l->n < 32)
		l->tm[l->n++] = *tm;
	return 0;
}

/* Program text to a resolved plan for this visit's body and cap, or -32004 with the
 * checker's lines as data.diagnostics, or -32004 {rule: "consultation", reason} for a plan
 * that breaks the consultation's limits. */
static int load_checked(struct session *s, const char *text, const char *name,
			struct plan **out, struct panel_error *err)
{
	struct body_map body;
	plan_body(s, &body);
	char *diag = NULL;
	size_t diag_len = 0;
	FILE *f = open_memstream(&diag, &diag_len);
	int rc = program_load_text(text, strlen(text), name, s->cfg, &body, s->limits.cap_n, out,
				   f);
	if (f)
		fclose(f);
	if (rc) {
		json_t *lines = json_array();
		for (char *p = diag, *nl; p && *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl) {
				json_array_append_new(lines, json_string(p));
				break;
			}
			json_array_append_new(lines, json_stringn(p, (size_t)(nl - p)));
		}
		panel_error_set(err, PANEL_E_REFUSED, json_pack("{s:o}", "diagnostics", lines),
				"the program checker refused it");
	}
	free(diag);
	if (rc)
		return PANEL_E_REFUSED;
	/* Any text, not only the planner's: an edited plan or an installed program must keep
	 * what the consultation ruled out as well as its cap. */
	char why[240];
	if (plan_limits_check(*out, &s->limits, why, sizeof(why)) != 0) {
		plan_free(*out);
		*out = NULL;
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:s}", "rule", "consultation", "reason", why),
				"the consultation does not allow it: %s", why);
		return PANEL_E_REFUSED;
	}
	return 0;
}

static json_t *summary_of_plan(const struct planner_summary *ps, const struct plan *p)
{
	json_t *phases = json_array(), *notes = json_array();
	for (int i = 0; i < ps->phase_count; i++) {
		const struct planner_phase *ph = &ps->phases[i];
		json_array_append_new(
			phases, json_pack("{s:s, s:s?, s:o, s:f}", "name", ph->name, "area",
					  ph->area >= 0 ? area_name((enum area)ph->area) : NULL,
					  "techniques", technique_list(ph->techniques), "s",
					  ph->ms / 1000.0));
	}
	for (int i = 0; i < ps->note_count; i++)
		json_array_append_new(notes, json_string(ps->notes[i]));
	return json_pack("{s:s, s:i, s:f, s:o, s:o, s:o, s:i, s:o, s:f}", "text", ps->text,
			 "duration_min", ps->duration_min, "total_s", p->total_ms / 1000.0,
			 "phases", phases, "areas_worked", area_list(ps->areas_worked),
			 "techniques", technique_list(ps->techniques), "peak_pressure_level",
			 ps->peak_pressure_level, "notes", notes, "cap_n", p->cap_n);
}

/* Keep a checked plan as the visit's (the one before let go of). */
static void keep_plan(struct session *s, char *text, const char *name, struct plan *p,
		      json_t *summary)
{
	session_retire_plan(s, s->plan);
	free(s->plan_text);
	json_decref(s->plan_summary);
	s->plan = p;
	s->plan_text = text;
	s->plan_summary = summary;
	snprintf(s->plan_name, sizeof(s->plan_name), "%s", name);
}

int session_plan(struct session *s, const char *user, int duration_min, json_t **result,
		 struct panel_error *err)
{
	struct store_user u;
	int rc = find_user(s, user, &u, err);
	if (rc || (rc = check_may_go_ahead(s, &u, err)))
		return rc;
	if (session_busy(s))
		return session_refuse_state(s, err, "the chair is busy with a visit");
	struct zone_pref prefs[AREA_COUNT];
	struct trigger_list tl = {.n = 0};
	if ((rc = store_zone_prefs_get(s->st, u.id, prefs)) ||
	    (rc = store_trigger_list(s->st, u.id, take_trigger, &tl)))
		return session_store_failed(s, err, rc);
	struct body_map body;
	plan_body(s, &body);
	struct planner_input in = {.answers = &s->answers, .limits = &s->limits, .prefs = prefs,
				   .triggers = tl.tm, .trigger_count = tl.n,
				   .duration_min = duration_min, .cfg = s->cfg, .body = &body};
	char *text = malloc(PLANNER_TEXT_MAX);
	struct planner_summary ps;
	char why[256] = "";
	if (!text)
		return session_store_failed(s, err, -ENOMEM);
	rc = planner_write_for(&in, text, PLANNER_TEXT_MAX, &ps, why, sizeof(why));
	if (rc) {
		free(text);
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:s}", "rule", "planner", "reason", why),
				"no plan can be written: %s", why);
		return PANEL_E_REFUSED;
	}
	struct plan *p = NULL;
	if ((rc = load_checked(s, text, "plan", &p, err))) {
		free(text);
		return rc;
	}
	json_t *sum = summary_of_plan(&ps, p);
	keep_plan(s, text, p->name, p, sum);
	s->sid = 0;
	session_set_state(s, SESSION_PLANNED);
	*result = json_pack("{s:s, s:O}", "program_text", text, "summary", sum);
	return 0;
}

int session_start(struct session *s, const char *user, const char *program_text,
		  const char *program_name, json_t **result, struct panel_error *err)
{
	struct store_user u;
	int rc = find_user(s, user, &u, err);
	if (rc || (rc = check_may_go_ahead(s, &u, err)))
		return rc;
	if (session_busy(s) || (s->sid && s->state == SESSION_PLANNED))
		return session_refuse_state(s, err, "a session is already under way");
	if (s->r->last.state == ST_FAULT || s->r->last.state == ST_ESTOP)
		return session_refuse_state(s, err, "a fault is latched: acknowledge it first");
	struct store_program prog;
	const char *text = program_text;
	char name[PLAN_NAME_MAX + 1] = "plan";
	if (program_name) {
		rc = store_program_get(s->st, program_name, &prog);
		if (rc == -ENOENT || rc == -EINVAL) {
			panel_error_set(err, PANEL_E_NOT_FOUND,
					json_pack("{s:s}", "field", "program"), "no such program");
			return PANEL_E_NOT_FOUND;
		}
		if (rc)
			return session_store_failed(s, err, rc);
		text = prog.text;
		snprintf(name, sizeof(name), "%s", program_name);
	}
	if (!text && !s->plan)
		return session_refuse_state(s, err, "no plan proposed: plan.propose first");
	struct plan *fresh = NULL;
	char *fresh_text = NULL;
	if (text && !(s->plan_text && !strcmp(text, s->plan_text))) {
		if ((rc = load_checked(s, text, name, &fresh, err)))
			return rc;
		if (!(fresh_text = strdup(text))) {
			plan_free(fresh);
			return session_store_failed(s, err, -ENOMEM);
		}
	}
	const struct plan *run = fresh ? fresh : s->plan;
	struct store_session_start ss = {.user_id = u.id, .consult_id = s->consult_id,
					 .program_name = run->name,
					 .plan_text = fresh ? fresh_text : s->plan_text};
	ss.start_s = s->wall_s();
	memcpy(ss.pain_before, s->answers.pain_score, sizeof(ss.pain_before));
	int64_t sid = 0;
	if ((rc = store_session_begin(s->st, &ss, &sid))) {
		plan_free(fresh);
		free(fresh_text);
		return session_store_failed(s, err, rc);
	}
	if (fresh)
		keep_plan(s, fresh_text, run->name, fresh, json_null());
	s->sid = sid;
	s->start_wall_s = ss.start_s;
	s->start_tick = s->r->last.tick;
	s->seen_running = false;
	s->stop_asked = false;
	s->limit_stop = false;
	s->start_seq = 0;
	s->ended = STORE_ENDED_RUNNING;
	memset(&s->tally, 0, sizeof(s->tally));
	s->intensity_steps = 0;
	s->speed_steps = 0;
	s->adjustment_count = 0;
	s->event_count = 0;
	s->last_phase[0] = '\0';
	s->last_zone = -1;
	s->zone_known = false;
	json_decref(s->summary);
	s->summary = NULL;
	/* A visit that never scanned homes first; the start follows in session_on_telem. */
	struct ctl_cmd home = {.kind = CMD_HOME};
	s->home_seq = s->r->last.homed ? 0 : runner_send(s->r, &home);
	s->start_pending = true;
	s->start_seq = UINT32_MAX; /* nothing counts as its handling until it is sent */
	session_set_state(s, SESSION_PLANNED);
	*result = json_pack("{s:I, s:s, s:f, s:f}", "session_id", (json_int_t)sid, "program",
			    s->plan->name, "total_s", s->plan->total_ms / 1000.0, "cap_n",
			    s->limits.cap_n);
	return 0;
}

json_t *session_status(const struct session *s)
{
	const struct telem *t = &s->r->last;
	int zone = session_zone_now(s);
	json_t *o = json_pack("{s:s, s:s, s:b, s:s?, s:f, s:f}", "state",
			      session_state_name(s->state), "chair", session_chair_state(s),
			      "homed", t->homed != 0, "user", s->have_user ? s->user.name : NULL,
			      "force_n", t->force_n, "cap_n", t->cap_n);
	if (s->sid) {
		double total_s = t->exec_total_ms / 1000.0, done_s = t->exec_elapsed_ms / 1000.0;
		json_object_set_new(o, "session_id", json_integer(s->sid));
		json_object_set_new(o, "program", json_string(s->plan ? s->plan->name : ""));
		json_object_set_new(o, "elapsed_s", json_real(session_elapsed_s(s)));
		json_object_set_new(o, "remaining_s",
				    json_real(s->seen_running && s->ended == STORE_ENDED_RUNNING &&
							      total_s > done_s
						      ? total_s - done_s
						      : 0.0));
		json_object_set_new(o, "zone", zone >= 0 ? json_string(area_name((enum area)zone))
							 : json_null());
		if (s->ended != STORE_ENDED_RUNNING)
			json_object_set_new(o, "ended", json_string(store_ended_name(s->ended)));
	}
	return o;
}
