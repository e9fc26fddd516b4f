/* The visit through the session API, in lockstep on the in-process simulator (no socket):
 * a whole visit for a simulated person, a consultation that says to see a professional
 * first, feedback with no session running, a session that ends by itself, a fault that
 * ends one, and "too much" that the next plan remembers. The session only ever sees the
 * chair's telemetry: the simulated person is known to this test alone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../controller/config.h"
#include "../controller/daemon.h"
#include "../controller/runner.h"
#include "../controller/session/advice.h"
#include "../controller/session/planner.h"
#include "../controller/session/rules.h"
#include "../controller/session/session.h"
#include "../controller/session/session_internal.h"
#include "../controller/store/store.h"
#include "../drivers/hal_sim.h"
#include "../sim/sim.h"

#define RULES "controller/data/consultation.rules"
#define ADVICE "controller/data/care-advice.rules"

struct visit {
	struct chair_config cfg;
	struct hal_sim hs;
	struct hal_backend be;
	struct runner r;
	struct store *st;
	struct rules_table *rules;
	struct advice_table *advice;
	struct session s;
	char dir[64];
	double wall_s;
	/* a deferred answer (scan.start) */
	bool done;
	json_t *done_result;
	int done_code;
	double true_peak_n; /* the simulator's contact force, highest while running */
};

static struct visit *current; /* for the wall clock the store's times come from */

static double test_wall_s(void)
{
	return current->wall_s + runner_time_s(&current->r);
}

static void take(void *arg, const struct telem *t)
{
	struct visit *v = arg;
	session_on_telem(&v->s, t);
	double f_n = hal_sim_get(&v->hs)->contact_force_n;
	if (v->s.state == SESSION_RUNNING && f_n > v->true_peak_n)
		v->true_peak_n = f_n;
}

static struct visit *visit_open(uint64_t seed, double height_cm)
{
	struct visit *v = calloc(1, sizeof(*v));
	assert_non_null(v);
	current = v;
	v->wall_s = 1796000000.0;
	config_defaults(&v->cfg);
	v->cfg.hal.sim_seed = seed;
	hal_sim_bind(&v->hs, &v->be);
	char err[512];
	assert_int_equal(runner_open(&v->r, RUNNER_LOCKSTEP, &v->cfg, &v->be, err, sizeof(err)), 0);
	struct sim_person p;
	sim_person_of_height(&p, height_cm, seed);
	sim_init(hal_sim_get(&v->hs), &p, seed);
	snprintf(v->dir, sizeof(v->dir), "%s/test_session.XXXXXX", P_tmpdir);
	assert_non_null(mkdtemp(v->dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/chair.db", v->dir);
	assert_int_equal(store_open(&v->st, path, err, sizeof(err)), 0);
	assert_int_equal(rules_load(RULES, &v->rules, err, sizeof(err)), 0);
	assert_int_equal(advice_load(ADVICE, &v->advice, err, sizeof(err)), 0);
	session_init(&v->s, &v->r, &v->cfg, v->st, v->rules, v->advice);
	v->s.wall_s = test_wall_s;
	return v;
}

static void visit_close(struct visit *v)
{
	session_fini(&v->s, "the test ended");
	runner_close(&v->r);
	session_release(&v->s);
	store_close(v->st);
	rules_free(v->rules);
	advice_free(v->advice);
	json_decref(v->done_result);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", v->dir);
	assert_int_equal(system(cmd), 0);
	free(v);
}

static void tick_for(struct visit *v, double seconds)
{
	uint64_t n = (uint64_t)llround(seconds / v->r.ctl.period_s);
	for (uint64_t i = 0; i < n; i++) {
		runner_advance(&v->r, take, v);
		if (i % 100 == 0)
			session_poll(&v->s, runner_time_s(&v->r));
	}
}

/* Ticks until the visit is in state st; false after limit_s of chair time. */
static bool tick_until_state(struct visit *v, enum session_state st, double limit_s)
{
	uint64_t n = (uint64_t)llround(limit_s / v->r.ctl.period_s);
	for (uint64_t i = 0; i < n && v->s.state != st; i++) {
		runner_advance(&v->r, take, v);
		if (i % 100 == 0)
			session_poll(&v->s, runner_time_s(&v->r));
	}
	return v->s.state == st;
}

static void on_done(void *ctx, json_t *result, struct panel_error *err)
{
	struct visit *v = ctx;
	v->done = true;
	v->done_result = result;
	v->done_code = err ? err->code : 0;
	if (err)
		panel_error_clear(err);
}

static void add_user(struct visit *v, const char *name, int height_cm)
{
	struct store_user u = {.height_cm = height_cm, .created_s = v->wall_s};
	snprintf(u.name, sizeof(u.name), "%s", name);
	assert_int_equal(store_user_create(v->st, &u), 0);
}

/* Back pain with two pain areas, the shortest session. */
static void two_areas(struct consult_answers *a)
{
	consult_answers_init(a);
	assert_int_equal(consult_answers_add(a, COND_BACK_PAIN, -1, -1), 0);
	a->pain_score[AREA_LOWER_BACK] = 6;
	a->pain_score[AREA_SHOULDERS] = 4;
	a->goals = 1u << GOAL_PAIN_RELIEF;
	a->intensity = INTENSITY_NORMAL;
	a->duration_min = 5;
}

static void consult(struct visit *v, const char *user, const struct consult_answers *a)
{
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_consult(&v->s, user, a, &res, &err), 0);
	json_decref(res);
}

static void scan(struct visit *v, const char *user)
{
	struct panel_error err = {0};
	v->done = false;
	assert_int_equal(session_scan_start(&v->s, user, on_done, v, &err), 0);
	for (int i = 0; i < 120000 && !v->done; i++)
		runner_advance(&v->r, take, v);
	assert_true(v->done);
	assert_int_equal(v->done_code, 0);
	assert_string_equal(json_string_value(json_object_get(v->done_result, "status")), "ok");
	json_decref(v->done_result);
	v->done_result = NULL;
}

static void plan_and_start(struct visit *v, const char *user)
{
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_plan(&v->s, user, 0, &res, &err), 0);
	assert_true(strlen(json_string_value(json_object_get(res, "program_text"))) > 20);
	json_decref(res);
	assert_int_equal(session_start(&v->s, user, NULL, NULL, &res, &err), 0);
	assert_true(json_integer_value(json_object_get(res, "session_id")) > 0);
	json_decref(res);
	assert_true(tick_until_state(v, SESSION_RUNNING, 60));
}

/* A visit under way: a 170 cm person with two pain areas, consulted, planned and started. */
static struct visit *visit_started(uint64_t seed, const char *user)
{
	struct visit *v = visit_open(seed, 170);
	add_user(v, user, 170);
	struct consult_answers a;
	two_areas(&a);
	consult(v, user, &a);
	plan_and_start(v, user);
	return v;
}

/* A feedback's waited answer (session_feedback_tagged): 0 or the error's code. */
static void feedback_heard(void *ctx, uint64_t tag, json_t *result, struct panel_error *err)
{
	*(int *)ctx = result ? 0 : err->code;
	json_decref(result);
}

/* One feedback, ticking until the chair has given its verdict when it waits for one. */
static int feedback(struct visit *v, enum session_action a)
{
	json_t *res = NULL;
	struct panel_error err = {0};
	int heard = SESSION_PENDING;
	int rc = session_feedback_tagged(&v->s, a, feedback_heard, &heard, 0, &res, &err);
	for (int i = 0; rc == SESSION_PENDING && heard == SESSION_PENDING && i < 100; i++)
		runner_advance(&v->r, take, v);
	if (rc == SESSION_PENDING) {
		assert_int_not_equal(heard, SESSION_PENDING);
		rc = heard;
	}
	json_decref(res);
	panel_error_clear(&err);
	return rc;
}

/* Ticks until the roller presses on the body in area (at most limit_s). */
static bool tick_until_pressing_in(struct visit *v, int area, double limit_s)
{
	uint64_t n = (uint64_t)llround(limit_s / v->r.ctl.period_s);
	for (uint64_t i = 0; i < n; i++) {
		runner_advance(&v->r, take, v);
		const struct telem *t = &v->r.last;
		if (t->state == ST_RUNNING && t->force_n > 8 && session_zone_now(&v->s) == area)
			return true;
	}
	return false;
}

static int pain_of(const json_t *session, const char *area, const char *when)
{
	json_t *row;
	size_t i;
	json_array_foreach(json_object_get(session, "pain"), i, row)
		if (!strcmp(json_string_value(json_object_get(row, "area")), area)) {
			json_t *x = json_object_get(row, when);
			return json_is_integer(x) ? (int)json_integer_value(x) : -1;
		}
	return -2;
}

static void test_whole_visit_consult_scan_plan_feedback_stop_finish_history(void **state)
{
	struct visit *v = visit_open(11, 168);
	add_user(v, "ana", 168);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "ana", &a);
	assert_int_equal(v->s.state, SESSION_CONSULTED);
	scan(v, "ana");
	assert_int_equal(v->s.state, SESSION_SCANNED);
	struct store_user u;
	assert_int_equal(store_user_get_by_name(v->st, "ana", &u), 0);
	assert_true(u.shoulder_y_mm > 0); /* kept in the profile */
	plan_and_start(v, "ana");
	tick_for(v, 10);
	assert_int_equal(feedback(v, ACT_SOFTER), 0);
	assert_true(tick_until_pressing_in(v, AREA_LOWER_BACK, 200) ||
		    tick_until_pressing_in(v, AREA_SHOULDERS, 100));
	int zone = session_zone_now(&v->s);
	double force_n = v->r.last.force_n;
	assert_int_equal(feedback(v, ACT_TOO_MUCH), 0);
	struct zone_pref prefs[AREA_COUNT];
	assert_int_equal(store_zone_prefs_get(v->st, u.id, prefs), 0);
	assert_int_equal(prefs[zone].pressure_delta, -1);
	assert_true(prefs[zone].ceiling_n > 0 && prefs[zone].ceiling_n <= force_n + 0.01);
	tick_for(v, 5);
	int64_t sid = v->s.sid;
	assert_int_equal(feedback(v, ACT_STOP), 0);
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, 5));
	/* The true force never passed the person's cap. */
	assert_true(v->true_peak_n <= v->s.limits.cap_n + v->cfg.force.over_force_margin_n);

	int after[AREA_COUNT];
	for (int i = 0; i < AREA_COUNT; i++)
		after[i] = -1;
	after[AREA_LOWER_BACK] = 3;
	after[AREA_SHOULDERS] = 2;
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_finish(&v->s, sid, after, &res, &err), 0);
	json_t *sum = json_object_get(res, "summary");
	assert_string_equal(json_string_value(json_object_get(sum, "ended")), "stopped");
	assert_true(json_real_value(json_object_get(sum, "peak_force_n")) > 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "feedback"),
							    "too_much")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "feedback"),
							    "softer")), 1);
	assert_true(json_object_size(json_object_get(sum, "minutes_by_zone")) > 0);
	size_t advice_n = json_array_size(json_object_get(res, "advice"));
	assert_true(advice_n > 0);
	json_t *advice0 = json_incref(json_array_get(json_object_get(res, "advice"), 0));
	json_decref(res);
	assert_int_equal(v->s.state, SESSION_DONE);

	/* Every feedback is an event with its zone; the phases are there too. */
	json_t *one = NULL, *ev;
	size_t i;
	int feedbacks = 0, phases = 0;
	assert_int_equal(session_history_one(&v->s, sid, &one, &err), 0);
	json_array_foreach(json_object_get(one, "events"), i, ev) {
		const char *kind = json_string_value(json_object_get(ev, "kind"));
		if (!strcmp(kind, "feedback")) {
			feedbacks++;
			assert_true(json_is_string(json_object_get(ev, "zone")));
		}
		phases += !strcmp(kind, "phase");
	}
	assert_int_equal(feedbacks, 3); /* softer, too much, stop */
	assert_true(phases >= 2);       /* the warm-up and the end at least */
	/* The care advice given at the finish is stored with the summary and read back. */
	assert_int_equal(json_array_size(json_object_get(one, "advice")), advice_n);
	assert_true(json_equal(json_array_get(json_object_get(one, "advice"), 0), advice0));
	assert_true(strlen(json_string_value(json_object_get(one, "reason"))) > 0);
	json_decref(advice0);
	json_decref(one);
	struct store_session row;
	assert_int_equal(store_session_get(v->st, sid, &row), 0);
	assert_non_null(strstr(row.summary_json, "\"advice\""));
	assert_int_equal(row.pain_after[AREA_LOWER_BACK], 3);

	json_t *doc = NULL;
	assert_int_equal(session_history_doc(&v->s, u.id, &doc, &err), 0);
	json_t *sessions = json_object_get(doc, "sessions");
	assert_int_equal(json_array_size(sessions), 1);
	json_t *s0 = json_array_get(sessions, 0);
	assert_string_equal(json_string_value(json_object_get(s0, "ended")), "stopped");
	assert_int_equal(pain_of(s0, "lower-back", "before"), 6);
	assert_int_equal(pain_of(s0, "lower-back", "after"), 3);
	assert_int_equal(pain_of(s0, "shoulders", "before"), 4);
	assert_int_equal(pain_of(s0, "shoulders", "after"), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "user"), "name")),
			    "ana");
	json_decref(doc);
	visit_close(v);
}

static void test_see_professional_consultation_cannot_plan_or_start(void **state)
{
	struct visit *v = visit_open(3, 172);
	add_user(v, "bo", 172);
	struct consult_answers a;
	two_areas(&a);
	assert_int_equal(consult_answers_add(&a, COND_DVT, -1, -1), 0);
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_consult(&v->s, "bo", &a, &res, &err), 0); /* an answer */
	assert_true(json_is_true(json_object_get(res, "see_professional_first")));
	assert_true(strlen(json_string_value(json_object_get(res, "professional"))) > 0);
	json_decref(res);
	assert_int_equal(session_plan(&v->s, "bo", 0, &res, &err), PANEL_E_REFUSED);
	assert_true(strlen(json_string_value(json_object_get(err.data, "reason"))) > 0);
	panel_error_clear(&err);
	assert_int_equal(session_start(&v->s, "bo", "program \"x\"\n", NULL, &res, &err),
			 PANEL_E_REFUSED);
	panel_error_clear(&err);
	assert_int_equal(v->s.sid, 0);
	assert_false(session_busy(&v->s));
	visit_close(v);
}

static void test_feedback_refused_with_the_state_when_no_session_runs(void **state)
{
	struct visit *v = visit_open(5, 180);
	json_t *res = NULL;
	struct panel_error err = {0};
	for (int a = 0; a < ACT_COUNT; a++) {
		assert_int_equal(session_feedback(&v->s, (enum session_action)a, &res, &err),
				 PANEL_E_STATE);
		assert_string_equal(json_string_value(json_object_get(err.data, "state")), "idle");
		panel_error_clear(&err);
	}
	assert_null(res);
	visit_close(v);
}

static void test_session_ends_by_itself_at_its_time(void **state)
{
	struct visit *v = visit_open(7, 160);
	add_user(v, "cy", 160);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "cy", &a);
	plan_and_start(v, "cy"); /* no scan: homes first, the body from the height */
	double total_s = v->s.plan->total_ms / 1000.0;
	assert_true(total_s <= 5 * 60 + 1);
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, total_s + 30));
	assert_string_equal(v->s.end_reason, "the plan's end");
	assert_int_equal(v->s.ended, STORE_ENDED_COMPLETED);
	struct store_session ss;
	assert_int_equal(store_session_get(v->st, v->s.sid, &ss), 0);
	assert_int_equal(ss.ended, STORE_ENDED_COMPLETED);
	assert_true(ss.end_s - ss.start_s >= total_s * 0.75); /* moves may take less */
	visit_close(v);
}

static void test_session_limit_ends_it_gently_before_the_safety_trip(void **state)
{
	struct visit *v = visit_open(13, 170);
	v->cfg.session.max_s = 120; /* the planner keeps the plan within it */
	add_user(v, "ed", 170);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "ed", &a);
	plan_and_start(v, "ed");
	tick_for(v, 10);
	/* a pause counts towards the limit as the tick counts it: the person falls asleep */
	assert_int_equal(feedback(v, ACT_PAUSE), 0);
	assert_true(tick_until_state(v, SESSION_PAUSED, 2));
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, v->cfg.session.max_s));
	assert_int_equal(v->s.ended, STORE_ENDED_COMPLETED);
	assert_string_equal(v->s.end_reason, "session limit");
	/* the roller released and the chair idle, no fault latched for a technician */
	assert_int_equal(v->r.last.state, ST_IDLE);
	assert_int_equal(v->r.last.fault, 0);
	assert_true(v->r.last.z_mm < 1);
	assert_int_equal(v->r.faults.count, 0);
	struct store_session ss;
	assert_int_equal(store_session_get(v->st, v->s.sid, &ss), 0);
	assert_int_equal(ss.ended, STORE_ENDED_COMPLETED);
	double ran_s = ss.end_s - ss.start_s;
	assert_true(ran_s < v->cfg.session.max_s && ran_s > v->cfg.session.max_s - 10);
	/* and the safety's trip never came later either */
	tick_for(v, 10);
	assert_int_equal(v->r.last.fault, 0);
	assert_int_equal(v->r.faults.count, 0);
	visit_close(v);
}

static void test_fault_during_session_ends_it_as_fault_and_stores_it(void **state)
{
	struct visit *v = visit_open(9, 175);
	add_user(v, "di", 175);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "di", &a);
	plan_and_start(v, "di");
	tick_for(v, 20);
	v->r.ctl.io_failures = 1; /* a failed exchange with the backend: FAULT_IO */
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, 2));
	assert_int_equal(v->s.ended, STORE_ENDED_FAULT);
	struct store_session ss;
	assert_int_equal(store_session_get(v->st, v->s.sid, &ss), 0);
	assert_int_equal(ss.ended, STORE_ENDED_FAULT);
	int faults = 0;
	struct panel_error err = {0};
	json_t *one = NULL;
	assert_int_equal(session_history_one(&v->s, v->s.sid, &one, &err), 0);
	json_t *ev;
	size_t i;
	json_array_foreach(json_object_get(one, "events"), i, ev)
		faults += !strcmp(json_string_value(json_object_get(ev, "kind")), "fault");
	assert_true(faults >= 1);
	json_decref(one);
	visit_close(v);
}

/* Every pressing step of the plan in area stays under the share of what was too much. */
static void assert_plan_respects_ceiling(const struct plan *p, int area, double ceiling_n)
{
	int pressing = 0;
	for (uint32_t i = 0; i < p->step_count; i++) {
		const struct plan_step *st = &p->steps[i];
		if (!plan_op_works((enum plan_op)st->op) || st->z_kind != PLAN_Z_PRESSURE)
			continue;
		int z = body_zone_at(&p->body, (st->y_from_mm + st->y_to_mm) / 2);
		if (z != area)
			continue;
		pressing++;
		assert_true(st->force_n <= PLANNER_CEILING_SHARE * ceiling_n + 0.01);
	}
	assert_true(pressing > 0);
}

static void test_too_much_lowers_the_zone_for_the_next_plan(void **state)
{
	struct visit *v = visit_open(13, 170);
	add_user(v, "ed", 170);
	struct consult_answers a;
	two_areas(&a);
	a.pain_score[AREA_SHOULDERS] = -1; /* the lower back alone */
	a.intensity = INTENSITY_FIRM;
	consult(v, "ed", &a);
	scan(v, "ed");
	plan_and_start(v, "ed");
	assert_true(tick_until_pressing_in(v, AREA_LOWER_BACK, 250));
	double force_n = v->r.last.force_n;
	assert_int_equal(feedback(v, ACT_TOO_MUCH), 0);
	assert_int_equal(feedback(v, ACT_STOP), 0);
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, 5));
	/* The next visit: the same consultation, the plan remembers. */
	consult(v, "ed", &a);
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_plan(&v->s, "ed", 0, &res, &err), 0);
	json_decref(res);
	assert_plan_respects_ceiling(v->s.plan, AREA_LOWER_BACK, force_n);
	visit_close(v);
}

static void test_a_new_body_or_consultation_drops_the_proposed_plan(void **state)
{
	struct visit *v = visit_open(17, 190);
	add_user(v, "gu", 190);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "gu", &a);
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_plan(&v->s, "gu", 0, &res, &err), 0);
	json_decref(res);
	assert_int_equal(session_scan_manual(&v->s, "gu", 185, &res, &err), 0);
	json_decref(res);
	res = NULL;
	/* the plan was resolved for the 190 cm body: not started for the 185 cm one */
	assert_int_equal(session_start(&v->s, "gu", NULL, NULL, &res, &err), PANEL_E_STATE);
	panel_error_clear(&err);
	assert_int_equal(session_plan(&v->s, "gu", 0, &res, &err), 0);
	json_decref(res);
	res = NULL;
	consult(v, "gu", &a);
	assert_int_equal(session_start(&v->s, "gu", NULL, NULL, &res, &err), PANEL_E_STATE);
	panel_error_clear(&err);
	assert_null(res);
	assert_int_equal(v->s.sid, 0);
	visit_close(v);
}

/* "there" holds a guided trigger point where the person says, and the chair remembers the
 * level for that point; "eased" lets it rise again. */
static void test_guided_trigger_point_there_is_remembered_for_the_point(void **state)
{
	struct visit *v = visit_open(19, 176);
	add_user(v, "hu", 176);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "hu", &a);
	scan(v, "hu");
	static const char text[] = "program \"guided\"\nlevel normal\n"
				   "trigger-point L4 guided pressure 6 from 2 hold 10s\n";
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_start(&v->s, "hu", text, NULL, &res, &err), 0);
	json_decref(res);
	assert_true(tick_until_state(v, SESSION_RUNNING, 60));
	assert_int_equal(feedback(v, ACT_EASED), PANEL_E_STATE); /* nothing holds yet */
	bool rising = false;
	for (int i = 0; i < 60000 && !rising; i++) {
		runner_advance(&v->r, take, v);
		rising = v->r.last.guided_phase == EXEC_GUIDED_RISING && v->r.last.force_n > 5;
	}
	assert_true(rising);
	double force_n = v->r.last.force_n;
	assert_int_equal(feedback(v, ACT_THERE), 0);
	tick_for(v, 0.5);
	assert_int_equal(v->r.last.guided_phase, EXEC_GUIDED_HOLDING);
	struct store_user u;
	assert_int_equal(store_user_get_by_name(v->st, "hu", &u), 0);
	struct trigger_memory tm;
	assert_int_equal(store_trigger_get(v->st, u.id, "L4", &tm), 0);
	assert_true(fabs(tm.level_n - force_n) < 0.01);
	assert_int_equal(feedback(v, ACT_EASED), 0);
	assert_int_equal(feedback(v, ACT_STOP), 0);
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, 5));
	visit_close(v);
}

/* notify.session counted while a session runs (the panel's own count). */
struct notify_count {
	int session_n;
};

static void count_notify(void *ctx, const char *topic, const char *method, json_t *params)
{
	struct notify_count *c = ctx;
	if (!strcmp(method, "notify.session"))
		c->session_n++;
	json_decref(params);
}

/* A trigger point on T7, the line between the upper and the middle back: the roller holds on
 * the boundary, its measured position a fraction of a millimetre either side of it, and the
 * zone the panel is told of stays put instead of flickering, notify.session at the 1 Hz of
 * session_poll plus a few for the phase and step changes. */
static void test_roller_on_a_zone_boundary_notifies_a_few_times_a_second(void **state)
{
	struct visit *v = visit_open(23, 172);
	add_user(v, "io", 172);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "io", &a);
	scan(v, "io");
	static const char text[] = "program \"edge\"\nlevel normal\n"
				   "trigger-point T7 pressure 4 ramp 3s hold 40s release 3s\n";
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_start(&v->s, "io", text, NULL, &res, &err), 0);
	json_decref(res);
	assert_true(tick_until_state(v, SESSION_RUNNING, 60));
	tick_for(v, 8); /* there and pressing */
	/* the roller is on the line: its raw zone is one side or the other */
	double line_mm = v->s.plan->body.span_start_mm[BODY_MID_BACK];
	assert_true(fabs(v->r.last.y_mm - line_mm) < 5);
	struct notify_count c = {0};
	session_set_notify(&v->s, count_notify, &c);
	const double window_s = 30;
	tick_for(v, window_s);
	assert_int_equal(v->s.state, SESSION_RUNNING);
	assert_true(c.session_n <= 3 * window_s);
	assert_true(c.session_n >= window_s / 2); /* the 1 Hz ones are there */
	session_set_notify(&v->s, NULL, NULL);
	assert_int_equal(feedback(v, ACT_STOP), 0);
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, 10));
	visit_close(v);
}

/* A roll over the middle of the back crosses the line between the upper and the middle back
 * again and again: the zone told of turns within 5 mm of it (and a tick's travel), not
 * 250 ms later, which at the roll's speed would be further into the next zone. */
static void test_a_roll_across_a_zone_line_is_told_of_within_5_mm_past_it(void **state)
{
	struct visit *v = visit_open(29, 172);
	add_user(v, "jo", 172);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "jo", &a);
	scan(v, "jo");
	static const char text[] = "program \"across\"\nlevel normal\n"
				   "roll T4..T10 speed 8 pressure 3 for 30s\n";
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_start(&v->s, "jo", text, NULL, &res, &err), 0);
	json_decref(res);
	assert_true(tick_until_state(v, SESSION_RUNNING, 60));
	const struct body_map *b = &v->s.plan->body;
	int crossings = 0, was = -1;
	double worst_mm = 0;
	for (int i = 0; i < 30000 && v->s.state == SESSION_RUNNING; i++) {
		runner_advance(&v->r, take, v);
		const struct telem *t = &v->r.last;
		int raw = body_zone_at(b, t->y_mm);
		if (t->state != ST_RUNNING || (raw != AREA_UPPER_BACK && raw != AREA_MID_BACK))
			continue;
		int told = session_zone_now(&v->s);
		if (told != raw) /* how far past the line between the two */
			worst_mm = fmax(worst_mm, raw > told ? t->y_mm - b->span_start_mm[raw]
							     : b->span_start_mm[raw + 1] - t->y_mm);
		crossings += was >= 0 && raw != was;
		was = raw;
	}
	assert_true(crossings >= 4);
	assert_true(worst_mm <= 5.1); /* and a tick's travel */
	assert_int_equal(feedback(v, ACT_STOP), 0);
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, 10));
	visit_close(v);
}

static void test_read_only_store_is_a_clear_error_and_the_chair_stays_idle(void **state)
{
	struct visit *v = visit_open(15, 165);
	add_user(v, "fa", 165);
	store_close(v->st);
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/chair.db", v->dir);
	struct store_options ro = {.readonly = 1};
	assert_int_equal(store_open_ex(&v->st, path, &ro, err, sizeof(err)), 0);
	v->s.st = v->st;
	struct consult_answers a;
	two_areas(&a);
	json_t *res = NULL;
	struct panel_error e = {0};
	assert_int_equal(session_consult(&v->s, "fa", &a, &res, &e), PANEL_E_INTERNAL);
	assert_non_null(strstr(e.message, "read-only"));
	assert_null(strchr(e.message, '/')); /* no path of the machine */
	panel_error_clear(&e);
	assert_int_equal(v->s.state, SESSION_IDLE);
	assert_false(v->s.have_limits);
	tick_for(v, 1);
	assert_int_equal(v->r.last.state, ST_IDLE);
	visit_close(v);
}

/* The daemon's tables are checked before the chair is touched: a bad line is named. */
static void test_daemon_refuses_a_bad_rules_table_naming_its_line(void **state)
{
	char dir[64], path[128], err[512];
	snprintf(dir, sizeof(dir), "%s/test_session.XXXXXX", P_tmpdir);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bad.rules", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("# a table\nrule fibromyalgai\nend\n", f);
	fclose(f);
	static struct chair_config cfg;
	config_defaults(&cfg);
	snprintf(cfg.store.path, sizeof(cfg.store.path), "%s/chair.db", dir);
	snprintf(cfg.session.rules_path, sizeof(cfg.session.rules_path), "%s", path);
	snprintf(cfg.session.advice_path, sizeof(cfg.session.advice_path), "%s", ADVICE);
	static struct daemon d;
	assert_int_equal(daemon_prepare(&d, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad.rules:2:"));
	assert_null(d.st);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int count_session(void *ctx, const struct store_session *ss)
{
	(void)ss;
	++*(int *)ctx;
	return 0;
}

/* A file's whole text, NUL-terminated (the caller frees it). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *t = strdup(buf);
	assert_non_null(t);
	return t;
}

/* An installed or edited text is held to the consultation like the planner's own plans:
 * tapping after osteoporosis is refused and nothing starts. */
static void test_tapping_program_text_after_osteoporosis_is_refused_and_nothing_starts(void **state)
{
	struct visit *v = visit_open(16, 170);
	add_user(v, "ha", 170);
	struct consult_answers a;
	two_areas(&a);
	assert_int_equal(consult_answers_add(&a, COND_OSTEOPOROSIS, -1, -1), 0);
	consult(v, "ha", &a);
	char *text = slurp("programs/tapping.prog");
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_start(&v->s, "ha", text, NULL, &res, &err), PANEL_E_REFUSED);
	assert_null(res);
	assert_string_equal(json_string_value(json_object_get(err.data, "rule")), "consultation");
	const char *why = json_string_value(json_object_get(err.data, "reason"));
	assert_non_null(why);
	assert_non_null(strstr(why, "tap"));
	assert_non_null(strstr(why, "line "));
	panel_error_clear(&err);
	free(text);
	assert_int_equal(v->s.sid, 0);
	assert_false(session_busy(&v->s));
	tick_for(v, 2);
	assert_int_equal(v->r.last.state, ST_IDLE);
	struct store_user u;
	assert_int_equal(store_user_get_by_name(v->st, "ha", &u), 0);
	int sessions = 0;
	assert_int_equal(store_session_history(v->st, u.id, count_session, &sessions), 0);
	assert_int_equal(sessions, 0);
	visit_close(v);
}

/* A consultation for another person that the store cannot keep leaves the current
 * person's visit as it was. */
static void test_read_only_store_refuses_another_persons_consultation_keeping_the_visit(void **state)
{
	struct visit *v = visit_open(17, 165);
	add_user(v, "ia", 165);
	add_user(v, "jo", 180);
	struct consult_answers a;
	two_areas(&a);
	consult(v, "ia", &a);
	json_t *res = NULL;
	struct panel_error e = {0};
	assert_int_equal(session_plan(&v->s, "ia", 0, &res, &e), 0);
	json_decref(res);
	res = NULL;
	enum session_state before = v->s.state;
	int64_t cid = v->s.consult_id;
	store_close(v->st);
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/chair.db", v->dir);
	struct store_options ro = {.readonly = 1};
	assert_int_equal(store_open_ex(&v->st, path, &ro, err, sizeof(err)), 0);
	v->s.st = v->st;
	assert_int_equal(session_consult(&v->s, "jo", &a, &res, &e), PANEL_E_INTERNAL);
	assert_non_null(strstr(e.message, "read-only"));
	panel_error_clear(&e);
	assert_int_equal(v->s.state, before);
	assert_string_equal(v->s.user.name, "ia");
	assert_true(v->s.have_limits);
	assert_int_equal(v->s.consult_id, cid);
	assert_non_null(v->s.plan);
	visit_close(v);
}

/* ---- feedback answered with the chair's verdict ---- */

/* What a waited feedback answer said, for the tests below. */
struct heard {
	bool done;
	int code; /* 0 taken, else the error's code */
	char action[16];
	char reason[64];
};

static void heard_answer(void *ctx, uint64_t tag, json_t *result, struct panel_error *err)
{
	struct heard *h = ctx;
	h->done = true;
	h->code = result ? 0 : err->code;
	snprintf(h->action, sizeof(h->action), "%s",
		 result ? json_string_value(json_object_get(result, "action")) : "");
	const char *why = err ? json_string_value(json_object_get(err->data, "reason")) : NULL;
	snprintf(h->reason, sizeof(h->reason), "%s", why ? why : "");
	json_decref(result);
}

static int summary_feedback(struct visit *v, const char *action)
{
	int64_t sid = v->s.sid;
	assert_true(tick_until_state(v, SESSION_AWAITING_PAIN, 10));
	int after[AREA_COUNT];
	for (int i = 0; i < AREA_COUNT; i++)
		after[i] = -1;
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_finish(&v->s, sid, after, &res, &err), 0);
	json_t *fb = json_object_get(json_object_get(res, "summary"), "feedback");
	assert_non_null(fb);
	int n = (int)json_integer_value(json_object_get(fb, action));
	json_decref(res);
	return n;
}

/* A stronger is not counted until the tick has taken it, and is then answered OK. */
static void test_stronger_is_answered_ok_once_the_tick_took_it(void **state)
{
	struct visit *v = visit_started(21, "ka");
	tick_for(v, 10);
	struct heard h = {0};
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_feedback_tagged(&v->s, ACT_STRONGER, heard_answer, &h, 7, &res,
						 &err),
			 SESSION_PENDING);
	assert_null(res);
	assert_false(h.done);
	assert_int_equal(v->s.tally.feedback[ACT_STRONGER], 0);
	assert_int_equal(v->s.intensity_steps, 0);
	for (int i = 0; i < 10 && !h.done; i++)
		runner_advance(&v->r, take, v);
	assert_true(h.done);
	assert_int_equal(h.code, 0);
	assert_string_equal(h.action, "stronger");
	assert_int_equal(v->r.last.cmd_result, CMD_OK);
	assert_int_equal(v->s.tally.feedback[ACT_STRONGER], 1);
	assert_int_equal(v->s.intensity_steps, 1);
	assert_int_equal(feedback(v, ACT_STOP), 0);
	assert_int_equal(summary_feedback(v, "stronger"), 1);
	visit_close(v);
}

/* "stay" with no room left before the session limit: the tick refuses it, the person hears
 * -32004 and the summary does not count it; one with room is counted. */
static void test_stay_at_the_session_limit_is_refused_and_not_counted(void **state)
{
	struct visit *v = visit_started(22, "la");
	assert_true(tick_until_pressing_in(v, AREA_LOWER_BACK, 200) ||
		    tick_until_pressing_in(v, AREA_SHOULDERS, 100));
	assert_int_equal(feedback(v, ACT_STAY), 0); /* room enough: taken */
	assert_int_equal(v->s.tally.feedback[ACT_STAY], 1);
	/* now the limit is half a second past the run's end */
	const struct exec *e = &v->r.ctl.exec;
	double left_s = (double)(exec_total_ms(e) - exec_elapsed_ms(e)) / 1000.0;
	v->cfg.session.max_s = v->r.ctl.session_s + left_s + 0.5;
	struct heard h = {0};
	json_t *res = NULL;
	struct panel_error err = {0};
	assert_int_equal(session_feedback_tagged(&v->s, ACT_STAY, heard_answer, &h, 1, &res, &err),
			 SESSION_PENDING);
	for (int i = 0; i < 10 && !h.done; i++)
		runner_advance(&v->r, take, v);
	assert_true(h.done);
	assert_int_equal(v->r.last.cmd_result, CMD_E_LIMIT);
	assert_int_equal(h.code, PANEL_E_REFUSED);
	assert_true(strlen(h.reason) > 0);
	assert_int_equal(v->s.tally.feedback[ACT_STAY], 1);
	assert_int_equal(v->s.adjustment_count, 1);
	assert_int_equal(feedback(v, ACT_STOP), 0);
	assert_int_equal(summary_feedback(v, "stay"), 1);
	visit_close(v);
}

/* A skip that reaches the tick after the run has ended (a stop just before it) is refused
 * with the state, and nothing is counted. */
static void test_skip_after_the_run_ended_is_refused_and_not_counted(void **state)
{
	struct visit *v = visit_started(23, "ma");
	tick_for(v, 10);
	assert_int_equal(feedback(v, ACT_STOP), 0);
	assert_int_equal(v->s.state, SESSION_RUNNING); /* the session has not seen it yet */
	assert_int_equal(feedback(v, ACT_SKIP), PANEL_E_STATE);
	assert_int_equal(v->r.last.cmd_result, CMD_E_STATE);
	assert_int_equal(v->s.tally.feedback[ACT_SKIP], 0);
	assert_int_equal(summary_feedback(v, "skip"), 0);
	visit_close(v);
}

/* Strongers sent faster than the tick answers them count towards the range while they
 * wait: the sixth in a row is refused at once, the five are taken. */
static void test_strongers_waiting_for_the_tick_count_towards_the_range(void **state)
{
	struct visit *v = visit_started(24, "na");
	tick_for(v, 10);
	struct heard h[FEEDBACK_LEVEL_MAX] = {{0}};
	json_t *res = NULL;
	struct panel_error err = {0};
	for (int i = 0; i < FEEDBACK_LEVEL_MAX; i++)
		assert_int_equal(session_feedback_tagged(&v->s, ACT_STRONGER, heard_answer, &h[i],
							 (uint64_t)i, &res, &err),
				 SESSION_PENDING);
	assert_int_equal(session_feedback_tagged(&v->s, ACT_STRONGER, heard_answer, &h[0], 9, &res,
						 &err),
			 PANEL_E_REFUSED);
	panel_error_clear(&err);
	for (int i = 0; i < 20 && !h[FEEDBACK_LEVEL_MAX - 1].done; i++)
		runner_advance(&v->r, take, v);
	for (int i = 0; i < FEEDBACK_LEVEL_MAX; i++) {
		assert_true(h[i].done);
		assert_int_equal(h[i].code, 0);
	}
	assert_int_equal(v->s.intensity_steps, FEEDBACK_LEVEL_MAX);
	assert_int_equal(v->s.tally.feedback[ACT_STRONGER], FEEDBACK_LEVEL_MAX);
	assert_int_equal(feedback(v, ACT_STOP), 0);
	visit_close(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_visit_consult_scan_plan_feedback_stop_finish_history),
		cmocka_unit_test(test_see_professional_consultation_cannot_plan_or_start),
		cmocka_unit_test(test_feedback_refused_with_the_state_when_no_session_runs),
		cmocka_unit_test(test_session_ends_by_itself_at_its_time),
		cmocka_unit_test(test_session_limit_ends_it_gently_before_the_safety_trip),
		cmocka_unit_test(test_fault_during_session_ends_it_as_fault_and_stores_it),
		cmocka_unit_test(test_too_much_lowers_the_zone_for_the_next_plan),
		cmocka_unit_test(test_a_new_body_or_consultation_drops_the_proposed_plan),
		cmocka_unit_test(test_guided_trigger_point_there_is_remembered_for_the_point),
		cmocka_unit_test(test_roller_on_a_zone_boundary_notifies_a_few_times_a_second),
		cmocka_unit_test(test_a_roll_across_a_zone_line_is_told_of_within_5_mm_past_it),
		cmocka_unit_test(test_read_only_store_is_a_clear_error_and_the_chair_stays_idle),
		cmocka_unit_test(test_daemon_refuses_a_bad_rules_table_naming_its_line),
		cmocka_unit_test(
			test_tapping_program_text_after_osteoporosis_is_refused_and_nothing_starts),
		cmocka_unit_test(
			test_read_only_store_refuses_another_persons_consultation_keeping_the_visit),
		cmocka_unit_test(test_stronger_is_answered_ok_once_the_tick_took_it),
		cmocka_unit_test(test_stay_at_the_session_limit_is_refused_and_not_counted),
		cmocka_unit_test(test_skip_after_the_run_ended_is_refused_and_not_counted),
		cmocka_unit_test(test_strongers_waiting_for_the_tick_count_towards_the_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
