/* Simulated sessions in lockstep, for tests/test_sessions_sim.c and bench/too_much.c: a
 * random person sits down (sim_person_random), answers a random consultation, the rules
 * and the planner make their plan, it is resolved for their body (the true shoulder line,
 * as a perfect scan would find it: the scan has its own test) and the consultation's cap,
 * and it runs for a short while under random feedback ("too much" at random moments),
 * then stops. Everything is measured on the simulator's truth: its contact force, the
 * roller's place on the person. Header-only, as rig.h. */
#ifndef TESTS_SESSIONS_SIM_H
#define TESTS_SESSIONS_SIM_H

#include <errno.h>
#include <stdint.h>

#include "../controller/program_load.h"
#include "../controller/session/planner.h"
#include "../controller/session/rules.h"
#include "rig.h"

_Static_assert(SIM_ZONE_COUNT == BODY_ZONE_COUNT, "the truth's zones are the body map's");

#define SS_TOO_MUCH_MS 50          /* "too much": 40 % lower true force within this */
#define SS_TOO_MUCH_MAX 16         /* per session, at most */
#define SS_RUN_MIN_MS 20000        /* each session runs this long at least ... */
#define SS_RUN_SPREAD_MS 20000     /* ... and up to this much more, then stops */

struct ss_world {
	struct rig *r;
	struct rules_table *rules;
	struct interp_limits il;
	uint64_t rng;
	uint64_t resume_tick;     /* paused: resume on this tick, 0 = not paused */
	FILE *trace;              /* when set: every too much and every return, with the tick */
	bool trace_all;           /* and every tick of the session */
	void (*on_tick)(struct ss_world *w, void *arg); /* when set: after every tick */
	void *on_tick_arg;
	char text[PLANNER_TEXT_MAX];
};

/* What one session did, on the truth. */
struct ss_session {
	uint64_t seed;
	int consultations;         /* drawn until one could go ahead */
	double cap_n;              /* the consultation's cap: the person's */
	double most_over_cap_n;    /* the largest true force above the cap, <= 0: never above */
	double peak_n;             /* the largest true force */
	int too_much;              /* "too much" said */
	uint32_t drop_ms[SS_TOO_MUCH_MAX]; /* to a 40 % lower true force (UINT32_MAX: never, in
	                                     the 200 ms watched) */
	int returns;               /* ticks the true force was back at a level that was too much,
	                              where the roller truly was (ss_level_here_n) */
	double return_excess_n;    /* the most it was at or above such a level, and that level */
	double return_level_n;
	int return_zone;           /* where (a body zone, FEEDBACK_ZONE_ELSEWHERE) */
	double level_margin_n;     /* the least a level was above the true force there (the
	                              most when none was said), and that level */
	double level_margin_of_n;
	int zone_disagreed;        /* "too much" said where the chair's zone was not the truth's */
	int stop_release_ms;       /* stop -> true force 0; -1 when the run ended by itself */
	int commands;              /* other feedback sent */
	int guided_there;          /* "there" taken by a guided trigger point */
	bool faulted;
	uint64_t ticks;
};

static inline uint32_t ss_rand(struct ss_world *w, uint32_t n)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return (uint32_t)((w->rng * 0x2545F4914F6CDD1Dull) >> 32) % n;
}

/* The chair, homed once, and the shipped rules table. 0 or -errno with err. */
static inline int ss_open(struct ss_world *w, uint64_t rng_seed, char *err, size_t len)
{
	memset(w, 0, sizeof(*w));
	w->rng = rng_seed * 0x9E3779B97F4A7C15ull + 1;
	w->r = rig_open(1);
	program_limits(&w->r->cfg, &w->il);
	int rc = rules_load("controller/data/consultation.rules", &w->rules, err, len);
	if (rc != 0)
		return rc;
	if (!lockstep_home(&w->r->ls, 30000)) {
		snprintf(err, len, "the chair did not home");
		return -EIO;
	}
	return 0;
}

static inline void ss_close(struct ss_world *w)
{
	rules_free(w->rules);
	rig_close(w->r);
}

/* A consultation at random: a few conditions (rarely one that stops the session), pain in
 * a few areas, goals, an intensity, a duration. */
static inline void ss_answers(struct ss_world *w, struct consult_answers *a)
{
	consult_answers_init(a);
	for (int i = (int)ss_rand(w, 4); i > 0; i--) {
		enum condition c = (enum condition)ss_rand(w, COND_COUNT);
		bool stops = c == COND_PREGNANCY || c == COND_DVT || c == COND_IMPLANT ||
			     c == COND_CANCER || c == COND_FEVER;
		if (stops && ss_rand(w, 5) != 0)
			continue;
		/* One draw a statement: the order a call's arguments (or an assignment's two
		 * sides) are evaluated in is the compiler's, and the same seed must give the same
		 * sessions whichever compiler built the test. */
		bool takes = condition_takes_area(c);
		int area = takes ? (int)ss_rand(w, AREA_COUNT) : -1;
		int weeks_ago = takes ? (int)ss_rand(w, 16) - 1 : -1;
		consult_answers_add(a, c, area, weeks_ago);
	}
	for (int i = 1 + (int)ss_rand(w, 3); i > 0; i--) {
		int where = (int)ss_rand(w, AREA_COUNT);
		a->pain_score[where] = 3 + (int)ss_rand(w, 8);
	}
	a->goals = 1u + ss_rand(w, (1u << GOAL_COUNT) - 1);
	a->intensity = (enum intensity)ss_rand(w, INTENSITY_COUNT);
	a->duration_min = 5 + (int)ss_rand(w, 26);
}

/* The consultation in words, for a failure's message: conditions (area, weeks ago), pain
 * per area, goals, intensity, duration. */
static inline void ss_answers_describe(const struct consult_answers *a, char *buf, size_t len)
{
	size_t n = 0;
#define SS_PUT(...)                                                                   \
	do {                                                                          \
		if (n < len)                                                          \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);         \
	} while (0)
	SS_PUT("conditions:");
	for (int i = 0; i < a->condition_count; i++) {
		const struct consult_condition *c = &a->conditions[i];
		SS_PUT(" %s", condition_name(c->id));
		if (c->area >= 0)
			SS_PUT("(%s, %d weeks)", area_name((enum area)c->area), c->weeks_ago);
	}
	SS_PUT("; pain:");
	for (int z = 0; z < AREA_COUNT; z++)
		if (a->pain_score[z] >= 0)
			SS_PUT(" %s %d", area_name((enum area)z), a->pain_score[z]);
	SS_PUT("; goals:");
	for (int g = 0; g < GOAL_COUNT; g++)
		if (a->goals & 1u << g)
			SS_PUT(" %s", goal_name((enum goal)g));
	SS_PUT("; %s, %d min", intensity_name(a->intensity), a->duration_min);
#undef SS_PUT
}

static inline int ss_send(struct ss_world *w, enum cmd_kind kind, int value)
{
	struct ctl_cmd cmd = {.kind = kind, .value = value};
	return ctl_command(rig_ctl(w->r), &cmd);
}

/* One feedback at random, as a person might give it; guided trigger points get their
 * "there" and "eased" when they rise and hold. */
static inline void ss_feedback(struct ss_world *w, struct ss_session *out)
{
	const struct telem *t = &rig_ctl(w->r)->telem;
	if (w->resume_tick) {
		if (rig_ctl(w->r)->tick >= w->resume_tick) {
			ss_send(w, CMD_RESUME, 0);
			w->resume_tick = 0;
		}
		return;
	}
	if (t->guided_phase == EXEC_GUIDED_RISING && ss_rand(w, 2000) == 0) {
		out->guided_there += ss_send(w, CMD_THERE, 0) == CMD_OK;
		return;
	}
	if (t->guided_phase == EXEC_GUIDED_HOLDING && ss_rand(w, 4000) == 0) {
		ss_send(w, CMD_EASED, 0);
		return;
	}
	if (ss_rand(w, 1500) != 0)
		return;
	static const struct {
		enum cmd_kind kind;
		int value;
	} menu[] = {
		{CMD_INTENSITY, 1}, {CMD_INTENSITY, 1}, {CMD_INTENSITY, -1}, {CMD_SPEED, 1},
		{CMD_SPEED, -1},    {CMD_WIDTH, 1},     {CMD_WIDTH, -1},     {CMD_STAY, 0},
		{CMD_SKIP, 0},      {CMD_SKIP, 0},      {CMD_THERE, 0},      {CMD_EASED, 0},
		{CMD_PAUSE, 0},
	};
	int k = (int)ss_rand(w, sizeof(menu) / sizeof(menu[0]));
	out->commands++;
	if (menu[k].kind == CMD_PAUSE) {
		if (ss_send(w, CMD_PAUSE, 0) == CMD_OK)
			w->resume_tick = rig_ctl(w->r)->tick + 200 + ss_rand(w, 2000);
		return;
	}
	ss_send(w, menu[k].kind, menu[k].value);
}

/* The zone of the truth dy_mm from the roller: the person's own zones, and
 * FEEDBACK_ZONE_ELSEWHERE above the neck. */
static inline int ss_true_zone_at(const struct sim *s, double dy_mm)
{
	double y_mm = s->drive[HAL_AXIS_Y].position + dy_mm;
	if (y_mm < s->person.zone_start_y_mm[SIM_ZONE_NECK])
		return FEEDBACK_ZONE_ELSEWHERE;
	return (int)sim_person_zone_at(&s->person, y_mm);
}

static inline int ss_true_zone(const struct sim *s)
{
	return ss_true_zone_at(s, 0);
}

/* The lowest level that was too much where the roller truly is, in its zone or one
 * FEEDBACK_ZONE_PROMISE_MM up or down the back (the margin the ceilings promise), but zone
 * skip's own (-1: none); 0 where none was. Its zone to *zone. */
static inline double ss_level_here_n(const struct sim *s, const double *level_n, int skip,
				     int *zone)
{
	const int near[3] = {ss_true_zone_at(s, 0), ss_true_zone_at(s, -FEEDBACK_ZONE_PROMISE_MM),
			     ss_true_zone_at(s, FEEDBACK_ZONE_PROMISE_MM)};
	double lowest_n = 0;
	for (int k = 0; k < 3; k++) {
		double l_n = level_n[near[k]];
		if (near[k] != skip && l_n > 0 && (lowest_n == 0 || l_n < lowest_n)) {
			lowest_n = l_n;
			*zone = near[k];
		}
	}
	return lowest_n;
}

/* One session of the person of seed; 0, or -errno with err (no plan, a plan the loader
 * refuses, a start refused). */
static inline int ss_session_run(struct ss_world *w, uint64_t seed, struct ss_session *out,
				 char *err, size_t len)
{
	struct rig *r = w->r;
	struct ctl *c = rig_ctl(r);
	struct sim *s = rig_sim(r);
	memset(out, 0, sizeof(*out));
	out->seed = seed;
	out->stop_release_ms = -1;
	w->resume_tick = 0;
	/* The next person sits down: the roller is home, the chair idle. */
	sim_person_random(&s->person, seed);
	struct body_map body;
	int rc = body_from_scan(&body, s->person.shoulder_y_mm, s->person.height_cm * 10.0,
				s->person.skin_gap_mm, &w->il);
	if (rc != 0) {
		snprintf(err, len, "seed %llu: no body map", (unsigned long long)seed);
		return rc;
	}
	struct consult_answers a;
	struct session_limits lim;
	do {
		ss_answers(w, &a);
		out->consultations++;
		rc = rules_evaluate(w->rules, &a, r->cfg.session.default_cap_n, &lim);
		if (rc != 0) {
			snprintf(err, len, "seed %llu: rules: %s", (unsigned long long)seed, lim.reason);
			return rc;
		}
	} while (lim.see_professional_first);
	struct zone_pref prefs[AREA_COUNT] = {{0}};
	for (int z = 0; z < AREA_COUNT; z++)
		if (ss_rand(w, 8) == 0)
			prefs[z].ceiling_n = 8.0 + ss_rand(w, (uint32_t)lim.cap_n);
	struct planner_input in = {.answers = &a, .limits = &lim, .prefs = prefs,
				   .cfg = &r->cfg, .body = &body};
	char why[256] = "";
	rc = planner_write_for(&in, w->text, sizeof(w->text), NULL, why, sizeof(why));
	if (rc == -EPERM) /* nothing left to work for this consultation: draw again */
		return ss_session_run(w, seed + 1000003u, out, err, len);
	if (rc != 0) {
		char said[400];
		ss_answers_describe(&a, said, sizeof(said));
		snprintf(err, len, "seed %llu: planner %d: %s\n  consultation: %s",
			 (unsigned long long)seed, rc, why, said);
		return rc;
	}
	struct plan *plan = NULL;
	rc = program_load_text(w->text, strlen(w->text), "plan.prog", &r->cfg, &body, lim.cap_n,
			       &plan, stderr);
	if (rc != 0) {
		snprintf(err, len, "seed %llu: the plan does not load (%d):\n%s",
			 (unsigned long long)seed, rc, w->text);
		return rc;
	}
	out->cap_n = lim.cap_n;
	struct ctl_cmd cmd = {.kind = CMD_SET_CAP, .value_f = lim.cap_n};
	if (ctl_command(c, &cmd) != CMD_OK || (cmd = (struct ctl_cmd){.kind = CMD_START, .plan = plan},
					       ctl_command(c, &cmd)) != CMD_OK) {
		plan_free(plan);
		snprintf(err, len, "seed %llu: refused to start", (unsigned long long)seed);
		return -EPERM;
	}

	double level_n[FEEDBACK_ZONES];   /* the lowest too much, per zone it was said in */
	for (int z = 0; z < FEEDBACK_ZONES; z++)
		level_n[z] = 0;
	uint64_t stop_at = SS_RUN_MIN_MS + ss_rand(w, SS_RUN_SPREAD_MS);
	int watching = -1;                /* the too much being timed, its start force, zone */
	int watch_zone = -1;
	double watch_n = 0;
	uint64_t watch_tick = 0;
	out->most_over_cap_n = -1e9;
	out->level_margin_n = INFINITY;
	bool stopped = false;
	uint64_t stop_tick = 0;
	for (uint64_t i = 0; i < stop_at + 20000; i++) {
		if (!stopped && (i >= stop_at || (c->state != ST_RUNNING && c->state != ST_PAUSED))) {
			stopped = true;
			stop_tick = c->tick;
			if (ss_send(w, CMD_STOP, 0) != CMD_OK)
				out->stop_release_ms = -1;
			else
				out->stop_release_ms = -2; /* timing */
		}
		if (!stopped && watching < 0) {
			if (s->contact_force_n > 2.0 && out->too_much < SS_TOO_MUCH_MAX &&
			    ss_rand(w, 8000) == 0) {
				watch_n = s->contact_force_n;
				watch_tick = c->tick;
				watching = out->too_much++;
				ss_send(w, CMD_TOO_MUCH, 0);
				/* The level belongs to the zone the roller truly is in. */
				int z = ss_true_zone(s);
				watch_zone = z;
				out->zone_disagreed += c->feedback.zone != z;
				if (level_n[z] == 0 || watch_n < level_n[z])
					level_n[z] = watch_n;
				out->drop_ms[watching] = UINT32_MAX;
			} else {
				ss_feedback(w, out);
			}
		}
		lockstep_tick(&r->ls);
		if (w->on_tick)
			w->on_tick(w, w->on_tick_arg);
		double f_n = s->contact_force_n;
		int here_zone = -1;
		double here_n = ss_level_here_n(s, level_n, watching >= 0 ? watch_zone : -1,
						&here_zone);
		if (w->trace && (w->trace_all || watching >= 0 || f_n > out->cap_n ||
				 (here_n > 0 && f_n >= here_n)))
			fprintf(w->trace,
				"%llu step %u op %d z_mode %d y %.1f zone %d/%d F %.2f Ft %.2f cap %.1f ceil %.2f lvl %.2f z %.2f Fe %.2f zt %.3f vz %.1f drop %d\n",
				(unsigned long long)c->tick, c->exec.step,
				c->exec.plan ? c->exec.plan->steps[c->exec.step].op : -1, c->targets.z_mode,
				s->drive[HAL_AXIS_Y].position, c->telem.zone, ss_true_zone(s), f_n,
				c->targets.z_force_n, c->force_cap_n,
				feedback_ceiling_n(&c->feedback, c->force_cap_n),
				here_n, c->est.z_mm, c->est.force_n,
				s->drive[HAL_AXIS_Z].position, c->axes.z_cmd_mm_s, c->axes.z_dropping);
		out->peak_n = fmax(out->peak_n, f_n);
		out->most_over_cap_n = fmax(out->most_over_cap_n, f_n - out->cap_n);
		/* Back at a level that was too much where the roller truly is: every tick, but for
		 * the level of a "too much" still being timed (its own 50 ms are its bound). */
		if (here_n > 0) {
			if (here_n - f_n < out->level_margin_n) {
				out->level_margin_n = here_n - f_n;
				out->level_margin_of_n = here_n;
			}
			if (f_n >= here_n) {
				out->returns++;
				if (f_n - here_n >= out->return_excess_n) {
					out->return_zone = here_zone;
					out->return_excess_n = f_n - here_n;
					out->return_level_n = here_n;
				}
			}
		}
		if (watching >= 0) {
			uint64_t ms = c->tick - watch_tick;
			if (f_n <= 0.6 * watch_n && out->drop_ms[watching] == UINT32_MAX)
				out->drop_ms[watching] = (uint32_t)ms;
			if (ms >= 200 || out->drop_ms[watching] != UINT32_MAX)
				watching = -1;
		}
		if (out->stop_release_ms == -2 && f_n <= 0.0)
			out->stop_release_ms = (int)(c->tick - stop_tick);
		if (stopped && c->state == ST_IDLE)
			break;
		if (c->safety.latched)
			break;
	}
	out->faulted = c->safety.latched;
	out->ticks = c->tick;
	if (out->faulted) {
		char text[160];
		fault_describe(&c->safety.first, text, (int)sizeof(text));
		snprintf(err, len, "seed %llu: fault %s", (unsigned long long)seed, text);
		plan_free(plan); /* let go on the latching tick */
		/* Acknowledged and homed again, so the next person has a chair. */
		rig_ticks(r, 300);
		ss_send(w, CMD_ACK, 0);
		lockstep_run_until_state(&r->ls, ST_IDLE, 2000);
		lockstep_home(&r->ls, 30000);
		return -EIO;
	}
	if (c->state != ST_IDLE || atomic_load(&c->plan_in_use)) {
		snprintf(err, len, "seed %llu: did not end (state %s)", (unsigned long long)seed,
			 chair_state_name[c->state]);
		return -ETIMEDOUT;
	}
	plan_free(plan);
	return 0;
}

#endif
