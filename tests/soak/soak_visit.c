/* One visit of the campaign, in lockstep, through the session API as the panel drives it:
 * a fresh chair with the person of the visit's seed in it, a profile, a random
 * consultation, the body (a real scan now and then, else from the true height), the plan,
 * the start (which homes), random feedback, 0..n faults at random moments of the run, the
 * stop after the run's length, the pain scores after, and after a fault the technician's
 * acknowledge. Everything is judged on the simulator's truth, tick by tick: the true force
 * never above the person's cap, every fault latched with a code that explains it and the
 * chair safe within its bound, nothing moving again before the acknowledge. A fresh chair
 * a visit makes every visit reproducible from its seed alone (soak --only INDEX). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "../../controller/config.h"
#include "../../controller/runner.h"
#include "../../controller/session/advice.h"
#include "../../controller/session/rules.h"
#include "../../controller/session/session.h"
#include "../../drivers/hal_sim.h"
#include "soak.h"
#include "soak_rng.h"

#define RULES "controller/data/consultation.rules"
#define ADVICE "controller/data/care-advice.rules"
#define WALL_START_S 1796000000.0 /* the store's clock: any fixed start, then chair time */
#define HOMING_MAX_MS 60000       /* from the start to RUNNING (the start homes first) */
#define ACK_MAX_MS 30000          /* a hot drive cools under its limit in this */
#define SOAK_SQLITE_HEAP_BYTES (256 * 1024)
#define SOAK_TELEM_PER_STEP 4     /* a lockstep step publishes one */

/* The shipped programs with a recline in them: a visit in SOAK_PROGRAM_EVERY runs one of
 * these instead of its plan (the planner never reclines), so the recline faults have a
 * running actuator to strike. */
static const char *const shipped_reclining[] = {
	"programs/arthritis-gentle.prog",  "programs/evening-relax.prog",
	"programs/fibromyalgia-gentle.prog", "programs/full-body-15.prog",
	"programs/lower-back-relief.prog", "programs/stretch.prog",
	"programs/upper-back-desk.prog",
};
#define SHIPPED_COUNT (sizeof(shipped_reclining) / sizeof(shipped_reclining[0]))
#define SOAK_PROGRAM_EVERY 8

struct soak_worker {
	char *shipped[SHIPPED_COUNT]; /* their texts */
	struct soak_options opt;
	struct store *st;
	struct rules_table *rules;
	struct advice_table *advice;
	double wall_base_s;       /* the store's time at this visit's start */
	/* the visit */
	struct chair_config cfg;
	struct hal_sim hs;
	struct hal_backend sim_be;
	struct soak_backend *wrap;
	struct runner r;
	struct session s;
	bool scan_done;
	int scan_code;
	struct telem telem[SOAK_TELEM_PER_STEP];
	int telem_count;
	uint64_t ticks, ticks_over_period; /* this visit's, on the wall clock */
	int64_t worst_tick_ns;
};

static struct soak_worker *current; /* the store's wall clock has no argument */

static double visit_wall_s(void)
{
	return current->wall_base_s + runner_time_s(&current->r);
}

uint64_t soak_visit_seed(uint64_t campaign_seed, uint32_t index)
{
	return soak_mix(campaign_seed * 1000003u + index);
}

/* A whole file as a string (malloc()ed), NULL when it cannot be read. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1))) {
		if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
			free(buf);
			buf = NULL;
		} else {
			buf[len] = '\0';
		}
	}
	fclose(f);
	return buf;
}

struct soak_worker *soak_worker_open(const char *db_path, const struct soak_options *o,
				     char *err, int err_len)
{
	struct soak_worker *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, (size_t)err_len, "out of memory");
		return NULL;
	}
	w->opt = *o;
	w->wall_base_s = WALL_START_S;
	/* SQLite's page cache grows with the database up to its cache_size (2 MiB) and the
	 * allocator's headers of its pages with it: a soft limit keeps it small from the first
	 * visits on, so the heap's figure (soak_heap_bytes) is flat once warm. It changes what
	 * SQLite keeps in memory, never what it writes. */
	sqlite3_soft_heap_limit64(SOAK_SQLITE_HEAP_BYTES);
	for (size_t i = 0; i < SHIPPED_COUNT; i++)
		if (!(w->shipped[i] = read_text(shipped_reclining[i]))) {
			snprintf(err, (size_t)err_len, "%s: cannot read it", shipped_reclining[i]);
			soak_worker_close(w);
			return NULL;
		}
	if (store_open(&w->st, db_path, err, (size_t)err_len) != 0 ||
	    rules_load(RULES, &w->rules, err, (size_t)err_len) != 0 ||
	    advice_load(ADVICE, &w->advice, err, (size_t)err_len) != 0) {
		soak_worker_close(w);
		return NULL;
	}
	return w;
}

void soak_worker_close(struct soak_worker *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < SHIPPED_COUNT; i++)
		free(w->shipped[i]);
	store_close(w->st);
	rules_free(w->rules);
	advice_free(w->advice);
	free(w);
}

/* ---- the visit's parts ---- */

/* Telemetry of the tick, kept to hand to the session after the tick's timing. */
static void take(void *arg, const struct telem *t)
{
	struct soak_worker *w = arg;
	if (w->telem_count < SOAK_TELEM_PER_STEP)
		w->telem[w->telem_count++] = *t;
	else
		session_on_telem(&w->s, t);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One tick of the chair, then the session's share of it (its telemetry, and its
 * time-driven work every 100). The tick's wall time (the controller's tick and the physics
 * step, not the session's main-thread work) is counted against the period, as a figure:
 * on a shared host a preempted tick counts too. */
static void step(struct soak_worker *w)
{
	int64_t t0_ns = mono_ns();
	w->telem_count = 0;
	runner_advance(&w->r, take, w);
	int64_t took_ns = mono_ns() - t0_ns;
	for (int i = 0; i < w->telem_count; i++)
		session_on_telem(&w->s, &w->telem[i]);
	w->ticks++;
	if (took_ns > w->worst_tick_ns)
		w->worst_tick_ns = took_ns;
	w->ticks_over_period += took_ns > (int64_t)w->cfg.rt.period_ns;
	if (w->r.ctl.tick % 100 == 0)
		session_poll(&w->s, runner_time_s(&w->r));
}

static struct sim *truth(struct soak_worker *w)
{
	return hal_sim_get(&w->hs);
}

/* A consultation at random, as sessions_sim.h draws one: a few conditions (rarely one that
 * stops the visit), pain in a few areas, goals, an intensity, a duration. */
static void draw_answers(uint64_t *rng, struct consult_answers *a)
{
	consult_answers_init(a);
	for (int i = (int)soak_rand(rng, 4); i > 0; i--) {
		enum condition c = (enum condition)soak_rand(rng, COND_COUNT);
		bool stops = c == COND_PREGNANCY || c == COND_DVT || c == COND_IMPLANT ||
			     c == COND_CANCER || c == COND_FEVER;
		if (stops && soak_rand(rng, 5) != 0)
			continue;
		bool takes = condition_takes_area(c);
		int area = takes ? (int)soak_rand(rng, AREA_COUNT) : -1;
		int weeks_ago = takes ? (int)soak_rand(rng, 16) - 1 : -1;
		consult_answers_add(a, c, area, weeks_ago);
	}
	for (int i = 1 + (int)soak_rand(rng, 3); i > 0; i--) {
		int where = (int)soak_rand(rng, AREA_COUNT);
		a->pain_score[where] = 3 + (int)soak_rand(rng, 8);
	}
	a->goals = 1u + soak_rand(rng, (1u << GOAL_COUNT) - 1);
	a->intensity = (enum intensity)soak_rand(rng, INTENSITY_COUNT);
	a->duration_min = 5 + (int)soak_rand(rng, 26);
}

static void scan_done(void *ctx, json_t *result, struct panel_error *err)
{
	struct soak_worker *w = ctx;
	w->scan_done = true;
	w->scan_code = err ? err->code : 0;
	if (err)
		panel_error_clear(err);
	json_decref(result);
}

/* The body: a real scan when asked (falling back to the height when the scan cannot read
 * the person), else from the true height. */
static int find_body(struct soak_worker *w, const char *user, bool real_scan)
{
	struct panel_error err = {0};
	json_t *res = NULL;
	if (real_scan) {
		w->scan_done = false;
		if (session_scan_start(&w->s, user, scan_done, w, &err) == 0) {
			for (int i = 0; i < 180000 && !w->scan_done; i++)
				step(w);
			if (w->scan_done && w->scan_code == 0)
				return 0;
		}
		panel_error_clear(&err);
	}
	int height_cm = (int)lround(truth(w)->person.height_cm);
	int rc = session_scan_manual(&w->s, user, height_cm, &res, &err);
	json_decref(res);
	panel_error_clear(&err);
	return rc;
}

/* Consult until the rules let a plan be written, then plan and start: 0, or -1 with why. */
static int consult_plan_start(struct soak_worker *w, const char *user, uint64_t *rng,
			      bool real_scan, const char *program, struct soak_result *out)
{
	struct panel_error err = {0};
	json_t *res = NULL;
	for (int tries = 0; tries < 20; tries++) {
		struct consult_answers a;
		draw_answers(rng, &a);
		int rc = session_consult(&w->s, user, &a, &res, &err);
		json_decref(res);
		res = NULL;
		panel_error_clear(&err);
		if (rc != 0 || w->s.limits.see_professional_first)
			continue;
		if (tries == 0 || w->s.state == SESSION_CONSULTED) {
			if (find_body(w, user, real_scan) != 0) {
				soak_fail(out, "no body for the person (height %.0f cm)",
				     truth(w)->person.height_cm);
				return -1;
			}
		}
		rc = session_plan(&w->s, user, 0, &res, &err);
		json_decref(res);
		res = NULL;
		if (rc != 0) { /* nothing left to work for this consultation: another one */
			panel_error_clear(&err);
			continue;
		}
		rc = session_start(&w->s, user, program, NULL, &res, &err);
		if (rc != 0 && program) { /* the consultation forbids what it does: the plan */
			panel_error_clear(&err);
			rc = session_start(&w->s, user, NULL, NULL, &res, &err);
		}
		json_decref(res);
		if (rc != 0) {
			soak_fail(out, "the start was refused: %s", err.message);
			panel_error_clear(&err);
			return -1;
		}
		out->cap_n = w->s.limits.cap_n;
		out->sid = w->s.sid;
		return 0;
	}
	soak_fail(out, "no consultation in 20 led to a plan");
	return -1;
}

/* The person's feedback at random, about every 4 s: what a person might say ("skip" one
 * time in fourteen, so a plan still runs most of its course). */
static void feedback(struct soak_worker *w, struct soak_follow *fl, uint64_t *rng, uint64_t now)
{
	static const enum session_action menu[] = {
		ACT_STRONGER, ACT_STRONGER, ACT_SOFTER, ACT_FASTER, ACT_SLOWER, ACT_WIDER,
		ACT_NARROWER, ACT_STAY, ACT_SKIP, ACT_TOO_MUCH, ACT_TOO_MUCH, ACT_THERE, ACT_EASED,
		ACT_PAUSE,
	};
	json_t *res = NULL;
	struct panel_error err = {0};
	if (fl->resume_ms) {
		if (now >= fl->resume_ms) {
			session_feedback(&w->s, ACT_RESUME, &res, &err);
			fl->resume_ms = 0;
		}
	} else if (soak_rand(rng, 4000) == 0) {
		enum session_action a = menu[soak_rand(rng, sizeof(menu) / sizeof(menu[0]))];
		if (session_feedback(&w->s, a, &res, &err) == 0 && a == ACT_PAUSE)
			fl->resume_ms = now + 200 + soak_rand(rng, 2000);
	}
	json_decref(res);
	panel_error_clear(&err);
}

/* The faults of the visit, at their moments of the run. */
static void strike(struct soak_worker *w, struct soak_follow *fl, uint64_t now, struct soak_result *out)
{
	while (fl->next < out->fault_count &&
	       now >= fl->run_t0_ms + out->fault[fl->next].run_ms) {
		struct soak_fault *f = &out->fault[fl->next++];
		const struct ctl *c = &w->r.ctl;
		if (fl->latched || (c->state != ST_RUNNING && c->state != ST_PAUSED)) {
			f->outcome = SO_NOT_INJECTED;
			continue;
		}
		if (soak_fault_inject(f, truth(w), c, w->wrap) != 0) {
			f->outcome = SO_NOT_INJECTED;
			soak_fail(out, "could not inject %s", soak_kind_name(f->kind));
			continue;
		}
		f->outcome = SO_UNSEEN; /* until the latch says otherwise */
	}
}

/* Whether an encoder loss struck in the visit. */
static bool encoder_lost(const struct soak_result *out)
{
	for (int i = 0; i < out->fault_count; i++)
		if (out->fault[i].kind == SK_ENCODER_LOSS && out->fault[i].outcome != SO_NOT_INJECTED)
			return true;
	return false;
}

/* soak --only INDEX -v: the chair and the truth every 10 ms for 1 s after each fault. */
static void trace_tick(struct soak_worker *w, const struct soak_follow *fl, const struct soak_result *out)
{
	const struct sim *s = truth(w);
	const struct ctl *c = &w->r.ctl;
	for (int i = 0; i < fl->next; i++) {
		const struct soak_fault *f = &out->fault[i];
		if (!f->at_ms || s->time_ms < f->at_ms || s->time_ms > f->at_ms + 1000 ||
		    (s->time_ms - f->at_ms) % 10 != 0)
			continue;
		struct hal_inputs in;
		sim_read(s, &in);
		fprintf(stderr,
			"  +%4llu ms of %s: %s%s F %.2f N (est %.2f), y %.1f (est %.1f%s), z %.2f (est %.2f%s), "
			"lines 0x%03x, coils 0x%05x\n",
			(unsigned long long)(s->time_ms - f->at_ms), soak_kind_name(f->kind),
			chair_state_name[c->state], c->safety.latched ? " latched" : "",
			s->contact_force_n, c->est.force_n, s->drive[HAL_AXIS_Y].position, c->est.y_mm,
			c->est.y_homed ? "" : " unhomed", s->drive[HAL_AXIS_Z].position, c->est.z_mm,
			c->est.z_homed ? "" : " unhomed", (unsigned)in.gpio_in, (unsigned)s->gpio_out);
	}
}

/* The run, from the start to the visit's end (and a latched chair's hold). */
static void run(struct soak_worker *w, uint64_t *rng, struct soak_result *out)
{
	struct sim *s = truth(w);
	struct ctl *c = &w->r.ctl;
	uint64_t t0 = s->time_ms;
	while (w->s.state != SESSION_RUNNING && s->time_ms < t0 + HOMING_MAX_MS &&
	       w->s.state != SESSION_AWAITING_PAIN)
		step(w);
	if (w->s.state != SESSION_RUNNING) {
		soak_fail(out, "the run did not start (visit %s, chair %s)",
		     session_state_name(w->s.state), chair_state_name[c->state]);
		return;
	}
	struct soak_follow fl = {.run_t0_ms = s->time_ms, .stop_ms = w->opt.session_s * 1000ull,
			    .blamed = -1};
	uint64_t give_up_ms = fl.run_t0_ms + fl.stop_ms + 60000;
	out->most_over_cap_n = -1e9;
	for (;;) {
		uint64_t now = s->time_ms;
		if (now > give_up_ms && encoder_lost(out) && c->state == ST_FINISHING &&
		    s->contact_force_n < SOAK_RELEASED_N && hal_in(&c->in, HAL_IN_Z_HOME)) {
			/* The roller is home and off the body, but its count is off: the finish
			 * waits for an estimate that never comes home (docs/soak.md). */
			out->encoder_hang = true;
			out->ended = STORE_ENDED_INTERRUPTED;
			out->pain_after = -1;
			return;
		}
		if (now > give_up_ms) {
			soak_fail(out, "the visit did not end (visit %s, chair %s; the truth: %.2f N, "
				  "z %.2f mm (the chair says %.2f), z_home %d)",
			     session_state_name(w->s.state), chair_state_name[c->state],
			     s->contact_force_n, s->drive[HAL_AXIS_Z].position, c->est.z_mm,
			     hal_in(&c->in, HAL_IN_Z_HOME));
			return;
		}
		bool on = w->s.state == SESSION_RUNNING || w->s.state == SESSION_PAUSED;
		strike(w, &fl, now, out);
		if (on && !fl.latched && !fl.stop_sent) {
			if (now >= fl.run_t0_ms + fl.stop_ms) {
				json_t *res = NULL;
				struct panel_error err = {0};
				session_feedback(&w->s, ACT_STOP, &res, &err);
				json_decref(res);
				panel_error_clear(&err);
				fl.stop_sent = true;
			} else {
				feedback(w, &fl, rng, now);
			}
		}
		step(w);
		if (c->state == ST_RUNNING || c->state == ST_PAUSED || c->state == ST_FINISHING ||
		    fl.latched) {
			out->peak_n = fmax(out->peak_n, s->contact_force_n);
			out->most_over_cap_n = fmax(out->most_over_cap_n, s->contact_force_n - out->cap_n);
		}
		if (w->opt.verbose && w->opt.only >= 0)
			trace_tick(w, &fl, out);
		if (!fl.latched && c->safety.latched)
			soak_on_latch(&fl, c, s, out);
		if (fl.latched)
			soak_watch_latched(&fl, c, s, out);
		soak_check_missed(&fl, s->time_ms, out);
		bool ended = w->s.state == SESSION_AWAITING_PAIN;
		if (ended && (!fl.latched || s->time_ms >= fl.hold_until_ms))
			break;
	}
	if (out->most_over_cap_n > SOAK_CAP_EPSILON_N)
		soak_fail(out, "the true force went %.3f N over the person's %.1f N cap",
		     out->most_over_cap_n, out->cap_n);
	if (fl.latched)
		out->ended = STORE_ENDED_FAULT;
	else if (w->s.ended == STORE_ENDED_STOPPED || w->s.ended == STORE_ENDED_COMPLETED)
		out->ended = (int8_t)w->s.ended;
	else
		soak_fail(out, "ended %s with no fault latched", store_ended_name(w->s.ended));
	if (fl.latched && w->s.ended != STORE_ENDED_FAULT)
		soak_fail(out, "a latched fault ended the visit as %s", store_ended_name(w->s.ended));
}

/* The pain scores after, then a latched chair's acknowledge: it must clear once the
 * causes are gone, and only then. */
static void finish(struct soak_worker *w, uint64_t *rng, struct soak_result *out)
{
	int after[AREA_COUNT];
	for (int i = 0; i < AREA_COUNT; i++)
		after[i] = -1;
	out->pain_after = (int8_t)soak_rand(rng, 11);
	after[AREA_LOWER_BACK] = out->pain_after;
	json_t *res = NULL;
	struct panel_error err = {0};
	if (session_finish(&w->s, out->sid, after, &res, &err) != 0)
		soak_fail(out, "the pain scores after were refused: %s", err.message);
	json_decref(res);
	panel_error_clear(&err);
	struct ctl *c = &w->r.ctl;
	struct sim *s = truth(w);
	uint64_t t0 = s->time_ms;
	while (c->safety.latched && s->time_ms < t0 + ACK_MAX_MS) {
		struct ctl_cmd ack = {.kind = CMD_ACK};
		runner_send(&w->r, &ack);
		for (int i = 0; i < 500 && c->safety.latched; i++)
			step(w);
	}
	if (c->safety.latched && encoder_lost(out) && (c->safety.ack_cause == FAULT_SWITCH_MISMATCH ||
						  c->safety.ack_cause == FAULT_TRACK_LIMIT)) {
		/* The count is off for good: the acknowledge is right to refuse it. */
		out->ack_refused = true;
		return;
	}
	if (c->safety.latched)
		soak_fail(out, "the acknowledge never cleared the latch in %d s: refused for %s (where %d)",
		     ACK_MAX_MS / 1000, fault_table[c->safety.ack_cause].name,
		     c->safety.ack_cause_where);
}

/* The faults of the visit: how many, what, when in the run. */
static void draw_faults(const struct soak_options *o, uint64_t *rng, struct soak_result *out)
{
	uint32_t max = o->faults_max < SOAK_FAULTS_MAX ? o->faults_max : SOAK_FAULTS_MAX;
	out->fault_count = max ? (int)soak_rand(rng, max + 1) : 0;
	uint32_t span_ms = o->session_s * 1000 > 1000 ? o->session_s * 1000 - 1000 : 1;
	for (int i = 0; i < out->fault_count; i++) {
		soak_fault_draw(&out->fault[i], rng, o->kinds);
		enum soak_kind k = (enum soak_kind)out->fault[i].kind;
		/* The recline moves in a run's first seconds: its faults strike then. */
		bool early = k == SK_TRAPPED || k == SK_RECLINE_STUCK;
		out->fault[i].run_ms = early ? soak_rand(rng, 8000) : 500 + soak_rand(rng, span_ms);
	}
	for (int i = 1; i < out->fault_count; i++) /* in time order */
		for (int j = i; j > 0 && out->fault[j].run_ms < out->fault[j - 1].run_ms; j--) {
			struct soak_fault t = out->fault[j];
			out->fault[j] = out->fault[j - 1];
			out->fault[j - 1] = t;
		}
}

static int open_chair(struct soak_worker *w, uint64_t seed, char *err, int err_len)
{
	config_defaults(&w->cfg);
	if (w->opt.config && config_load(w->opt.config, &w->cfg, err, err_len) != 0)
		return -EINVAL;
	w->cfg.hal.sim_seed = seed ? seed : 1;
	hal_sim_bind(&w->hs, &w->sim_be);
	struct hal_backend *be;
	w->wrap = soak_backend_new(&w->sim_be, hal_sim_get(&w->hs), &be);
	if (!w->wrap) {
		snprintf(err, (size_t)err_len, "out of memory");
		return -ENOMEM;
	}
	int rc = runner_open(&w->r, RUNNER_LOCKSTEP, &w->cfg, be, err, err_len);
	if (rc != 0) {
		soak_backend_free(w->wrap);
		return rc;
	}
	session_init(&w->s, &w->r, &w->cfg, w->st, w->rules, w->advice);
	w->s.wall_s = visit_wall_s;
	return 0;
}

static void close_chair(struct soak_worker *w)
{
	w->wall_base_s = visit_wall_s() + 1.0;
	session_fini(&w->s, "the visit ended");
	runner_close(&w->r);
	session_release(&w->s);
	soak_backend_free(w->wrap);
	w->wrap = NULL;
}

void soak_visit_run(struct soak_worker *w, uint32_t index, struct soak_result *out)
{
	memset(out, 0, sizeof(*out));
	out->index = index;
	out->seed = soak_visit_seed(w->opt.seed, index);
	out->passed = true;
	out->ended = -1;
	current = w;
	uint64_t rng = soak_mix(out->seed);
	char err[256];
	w->ticks = w->ticks_over_period = 0;
	w->worst_tick_ns = 0;
	if (open_chair(w, out->seed, err, sizeof(err)) != 0) {
		soak_fail(out, "the chair did not open: %s", err);
		return;
	}
	struct sim *s = truth(w);
	uint64_t t0 = s->time_ms;
	char user[32];
	snprintf(user, sizeof(user), "visitor-%u", index);
	struct store_user u = {.height_cm = (int)lround(s->person.height_cm),
			       .created_s = visit_wall_s()};
	snprintf(u.name, sizeof(u.name), "%s", user);
	if (store_user_create(w->st, &u) != 0) {
		soak_fail(out, "the profile was refused: %s", store_error(w->st));
	} else {
		draw_faults(&w->opt, &rng, out);
		bool real_scan = w->opt.scan_every && index % w->opt.scan_every == 0;
		const char *program = NULL;
		if (index % SOAK_PROGRAM_EVERY == SOAK_PROGRAM_EVERY - 1)
			program = w->shipped[soak_rand(&rng, SHIPPED_COUNT)];
		if (consult_plan_start(w, user, &rng, real_scan, program, out) == 0) {
			run(w, &rng, out);
			if (out->sid && !out->encoder_hang)
				finish(w, &rng, out);
		}
	}
	const struct ctl *c = &w->r.ctl;
	out->overruns = c->overruns + w->r.last.late_periods;
	out->trips_dropped = c->safety.trips_dropped;
	if (out->overruns)
		soak_fail(out, "%llu tick overruns in lockstep", (unsigned long long)out->overruns);
	if (out->trips_dropped)
		soak_fail(out, "%u trips dropped unlogged", out->trips_dropped);
	out->run_ms = s->time_ms - t0;
	out->ticks = w->ticks;
	out->ticks_over_period = w->ticks_over_period;
	out->worst_tick_ns = w->worst_tick_ns;
	close_chair(w);
	out->heap_bytes = soak_heap_bytes();
	out->rss_kb = soak_rss_kb();
}
