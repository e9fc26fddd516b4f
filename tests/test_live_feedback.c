/* The person's live commands on a run, in lockstep on the simulated chair and measured on
 * its truth (the roller's true contact force, the carriage's and the width axis' true
 * positions): wider and narrower, stay, skip, stronger and softer under the cap, "too
 * much", stop, and the guided trigger point (rise, "there", "eased", at most three rises,
 * bounded holds, the level reached); a light press's "too much" and a roller finding no
 * body; the checker's rules for the guided statement; and
 * every new command refused when no run is under way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/interp/gen.h"
#include "../controller/interp/interp.h"
#include "../controller/program_load.h"
#include "rig.h"

/* ---- the rig ---- */

/* The person of seed 0 (the 175 cm default) homed, with a plan of text for them. */
static struct rig *open_homed(void)
{
	struct rig *r = rig_open(0);
	assert_true(lockstep_home(&r->ls, 20000));
	return r;
}

static struct plan *load_for(struct rig *r, const char *text, double cap_n)
{
	struct body_map body;
	struct interp_limits lim;
	program_limits(&r->cfg, &lim);
	body_default(&body, &lim);
	struct plan *plan = NULL;
	assert_int_equal(program_load_text(text, strlen(text), "live.prog", &r->cfg, &body, cap_n,
					   &plan, stderr),
			 0);
	return plan;
}

static void start(struct rig *r, const struct plan *plan)
{
	struct ctl_cmd cmd = {.kind = CMD_START, .plan = plan};
	assert_int_equal(ctl_command(rig_ctl(r), &cmd), CMD_OK);
}

static int send(struct rig *r, enum cmd_kind kind, int value)
{
	struct ctl_cmd cmd = {.kind = kind, .value = value};
	return ctl_command(rig_ctl(r), &cmd);
}

static double true_force_n(struct rig *r)
{
	return rig_sim(r)->contact_force_n;
}

static double true_y_mm(struct rig *r)
{
	return rig_sim(r)->drive[HAL_AXIS_Y].position;
}

static double true_width_mm(struct rig *r)
{
	return rig_sim(r)->drive[HAL_AXIS_W].position;
}

/* Tick until the current step's work has begun (the executor past its move and
 * approach) and ms more; false if the run ended first. */
static bool into_work(struct rig *r, uint32_t ms)
{
	const struct exec *e = &rig_ctl(r)->exec;
	for (int i = 0; i < 60000; i++) {
		if (rig_ctl(r)->state != ST_RUNNING)
			return false;
		uint64_t now_ns = e->elapsed_ticks * e->period_ns;
		if (e->in_step && e->period_ns &&
		    now_ns >= e->step_start_ns + e->move_ns + e->approach_ns)
			break;
		lockstep_tick(&r->ls);
	}
	rig_ticks(r, ms);
	return rig_ctl(r)->state == ST_RUNNING;
}

/* Run to the end of the run; the ticks it took. */
static uint64_t run_out(struct rig *r, uint64_t max_ticks)
{
	uint64_t n = 0;
	while (n < max_ticks && (rig_ctl(r)->state == ST_RUNNING || rig_ctl(r)->state == ST_PAUSED)) {
		lockstep_tick(&r->ls);
		n++;
	}
	return n;
}

/* The run goes on to its end by itself, and its timeline, as stretched by stays or cut short
 * by a guided point, is the one it keeps: at the end the progress it reports is its total. */
static void assert_ends_on_its_total(struct rig *r, uint64_t max_ticks)
{
	assert_true(run_out(r, max_ticks) < max_ticks);
	assert_int_equal(rig_ctl(r)->state, ST_FINISHING);
	lockstep_tick(&r->ls);
	assert_int_equal(rig_ctl(r)->telem.exec_elapsed_ms, rig_ctl(r)->telem.exec_total_ms);
}

static void finish(struct rig *r, struct plan *plan)
{
	if (rig_ctl(r)->state == ST_RUNNING || rig_ctl(r)->state == ST_PAUSED)
		assert_int_equal(send(r, CMD_STOP, 0), CMD_OK);
	assert_true(lockstep_run_until_state(&r->ls, ST_IDLE, 20000));
	assert_false(rig_ctl(r)->safety.latched);
	plan_free(plan);
	rig_close(r);
}

/* ---- refused without a run ---- */

static void test_run_commands_are_refused_with_e_state_when_idle(void **state)
{
	(void)state;
	static const enum cmd_kind kinds[] = {CMD_WIDTH, CMD_STAY, CMD_SKIP, CMD_THERE, CMD_EASED};
	struct rig *r = rig_open(0);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		assert_int_equal(send(r, kinds[k], 1), CMD_E_STATE); /* not even homed */
	assert_true(lockstep_home(&r->ls, 20000));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		assert_int_equal(send(r, kinds[k], 1), CMD_E_STATE);
	assert_int_equal(rig_ctl(r)->telem.width_level, 0);
	/* After a run, idle again: refused again. */
	struct plan *plan = load_for(r, "program \"t\"\nknead lower-back for 2s\n", 60);
	start(r, plan);
	run_out(r, 60000);
	assert_true(lockstep_run_until_state(&r->ls, ST_IDLE, 20000));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		assert_int_equal(send(r, kinds[k], -1), CMD_E_STATE);
	plan_free(plan);
	rig_close(r);
}

/* ---- wider, narrower ---- */

static void test_wider_and_narrower_move_the_true_roller_width_within_the_axis(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\nknead lower-back width medium for 60s\n", 60);
	start(r, plan);
	assert_true(into_work(r, 3000));
	double medium_mm = r->cfg.width.medium_mm;
	double step_mm = (r->cfg.w.max_mm - r->cfg.w.min_mm) / (2.0 * FEEDBACK_WIDTH_LEVELS);
	assert_true(fabs(true_width_mm(r) - medium_mm) < 1.0);
	assert_int_equal(send(r, CMD_WIDTH, 2), CMD_E_ARG);
	assert_int_equal(send(r, CMD_WIDTH, 1), CMD_OK);
	rig_ticks(r, 3000);
	assert_true(fabs(true_width_mm(r) - (medium_mm + step_mm)) < 1.0);
	assert_int_equal(rig_ctl(r)->telem.width_level, 1);
	double widest_mm = 0, narrowest_mm = 1e9;
	for (int i = 0; i < 10; i++) { /* past the end: held at the axis' maximum */
		assert_int_equal(send(r, CMD_WIDTH, 1), CMD_OK);
		rig_ticks(r, 500);
		widest_mm = fmax(widest_mm, true_width_mm(r));
	}
	rig_ticks(r, 3000);
	assert_int_equal(rig_ctl(r)->telem.width_level, FEEDBACK_WIDTH_LEVELS);
	assert_true(fabs(true_width_mm(r) - r->cfg.w.max_mm) < 1.0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(send(r, CMD_WIDTH, -1), CMD_OK);
		rig_ticks(r, 500);
		narrowest_mm = fmin(narrowest_mm, true_width_mm(r));
		widest_mm = fmax(widest_mm, true_width_mm(r));
	}
	rig_ticks(r, 3000);
	narrowest_mm = fmin(narrowest_mm, true_width_mm(r));
	fprintf(stderr, "width: %.1f .. %.1f mm on the axis' %.0f .. %.0f mm\n", narrowest_mm,
		widest_mm, r->cfg.w.min_mm, r->cfg.w.max_mm);
	assert_true(fabs(true_width_mm(r) - (medium_mm - FEEDBACK_WIDTH_LEVELS * step_mm)) < 1.0);
	assert_true(widest_mm <= r->cfg.w.max_mm + 0.5 && narrowest_mm >= r->cfg.w.min_mm - 0.5);
	/* Paused, it still takes it. */
	assert_int_equal(send(r, CMD_PAUSE, 0), CMD_OK);
	rig_ticks(r, 10);
	assert_int_equal(send(r, CMD_WIDTH, 1), CMD_OK);
	rig_ticks(r, 2000);
	assert_true(fabs(true_width_mm(r) - (medium_mm - (FEEDBACK_WIDTH_LEVELS - 1) * step_mm)) <
		    1.0);
	finish(r, plan);
}

/* ---- stay ---- */

/* A stay during a knead: the step lasts 30 s longer, the true carriage stays in the zone
 * the whole time, the run's total grows by as much and the run ends then; three stays a
 * step, the fourth is past the bound. */
static void test_stay_extends_the_step_and_the_true_carriage_stays_in_the_zone(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\nknead lower-back for 6s\nknead upper-back for 4s\n",
				     60);
	start(r, plan);
	assert_true(into_work(r, 2000));
	struct ctl *c = rig_ctl(r);
	uint32_t step = c->exec.step;
	lockstep_tick(&r->ls);
	uint32_t total_ms = c->telem.exec_total_ms;
	assert_int_equal(send(r, CMD_STAY, 0), CMD_OK);
	lockstep_tick(&r->ls);
	assert_int_equal(c->telem.stay_ms, EXEC_STAY_MS);
	assert_int_equal(c->telem.exec_total_ms, total_ms + EXEC_STAY_MS);
	const struct sim_person *who = &rig_sim(r)->person;
	uint64_t in_step_ms = 0;
	int outside = 0;
	while (c->state == ST_RUNNING && c->exec.step == step) {
		lockstep_tick(&r->ls);
		in_step_ms++;
		if (true_force_n(r) > 1.0 && sim_person_zone_at(who, true_y_mm(r)) != SIM_ZONE_LOWER_BACK)
			outside++;
	}
	/* 4 s were left of the work when it stayed: 34 s more in the step. */
	fprintf(stderr, "stay: the step went on %llu ms after it, outside its zone %d ms\n",
		(unsigned long long)in_step_ms, outside);
	assert_true(in_step_ms >= 33990 && in_step_ms <= 34010);
	assert_int_equal(outside, 0);
	/* The next step: three stays, then the bound. */
	assert_true(into_work(r, 500));
	assert_int_equal(c->telem.stay_ms, 0);
	for (int i = 0; i < EXEC_STAYS_MAX; i++)
		assert_int_equal(send(r, CMD_STAY, 0), CMD_OK);
	assert_int_equal(send(r, CMD_STAY, 0), CMD_E_LIMIT);
	lockstep_tick(&r->ls);
	assert_ends_on_its_total(r, 200000);
	finish(r, plan);
}

/* The session limit bounds a stay: only what is left of it is granted, then no more. */
static void test_stay_never_takes_the_session_past_its_limit(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	r->cfg.session.max_s = 60; /* the controller reads its config through the rig's */
	struct plan *plan = load_for(r, "program \"t\"\nknead lower-back for 40s\n", 60);
	start(r, plan);
	assert_true(into_work(r, 1000));
	struct ctl *c = rig_ctl(r);
	assert_int_equal(send(r, CMD_STAY, 0), CMD_OK);
	lockstep_tick(&r->ls);
	uint32_t stay_ms = c->telem.stay_ms;
	assert_true(stay_ms > 1000 && stay_ms < EXEC_STAY_MS);
	assert_int_equal(send(r, CMD_STAY, 0), CMD_E_LIMIT);
	double end_s = c->session_s + (c->telem.exec_total_ms - c->telem.exec_elapsed_ms) / 1000.0;
	fprintf(stderr, "stay: granted %u ms, the run ends at %.3f s of a %.0f s limit\n", stay_ms,
		end_s, r->cfg.session.max_s);
	assert_true(end_s <= r->cfg.session.max_s);
	run_out(r, 100000);
	assert_false(c->safety.latched); /* ended by itself, not by the session limit */
	finish(r, plan);
}

/* Stay is for a step that works a zone: a glide and a pause refuse it. */
static void test_stay_is_refused_on_a_glide_and_a_pause(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\nglide T3..L5 speed 2\npause 5s\nknead L4 for 2s\n", 60);
	start(r, plan);
	assert_true(into_work(r, 1000));
	assert_int_equal(rig_ctl(r)->exec.plan->steps[rig_ctl(r)->exec.step].op, PLAN_GLIDE);
	assert_int_equal(send(r, CMD_STAY, 0), CMD_E_STATE);
	assert_int_equal(send(r, CMD_SKIP, 0), CMD_OK);
	rig_ticks(r, 2);
	assert_int_equal(rig_ctl(r)->exec.plan->steps[rig_ctl(r)->exec.step].op, PLAN_PAUSE);
	assert_int_equal(send(r, CMD_STAY, 0), CMD_E_STATE);
	finish(r, plan);
}

/* ---- skip ---- */

/* Skip ends the knead at once: the roller leaves the body, the carriage goes on to the
 * next zone, the run's total shrinks by what was left; skipping the last step ends the
 * run. */
static void test_skip_moves_on_and_skipping_the_last_step_ends_the_run(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\nknead lower-back for 20s\nknead upper-back for 20s\n",
				     60);
	start(r, plan);
	assert_true(into_work(r, 5000));
	struct ctl *c = rig_ctl(r);
	uint32_t step = c->exec.step;
	uint32_t total_ms = c->telem.exec_total_ms;
	assert_true(true_force_n(r) > 5);
	assert_int_equal(send(r, CMD_SKIP, 0), CMD_OK);
	rig_ticks(r, 2);
	assert_true(c->exec.step != step);
	int off_ms = -1;
	for (int ms = 0; ms < 1000 && off_ms < 0; ms++) {
		lockstep_tick(&r->ls);
		if (true_force_n(r) <= 0.0)
			off_ms = ms;
	}
	fprintf(stderr, "skip: roller off the body after %d ms, total %u -> %u ms\n", off_ms,
		total_ms, c->telem.exec_total_ms);
	assert_true(off_ms >= 0);
	assert_true(c->telem.exec_total_ms < total_ms - 14000);
	assert_true(into_work(r, 1000));
	assert_int_equal(sim_person_zone_at(&rig_sim(r)->person, true_y_mm(r)), SIM_ZONE_UPPER_BACK);
	assert_true(true_force_n(r) > 1);
	assert_int_equal(send(r, CMD_SKIP, 0), CMD_OK);
	rig_ticks(r, 2);
	assert_int_equal(c->state, ST_FINISHING);
	assert_int_equal(c->exec.status, EXEC_DONE);
	finish(r, plan);
}

/* ---- stronger, softer, too much, stop ---- */

/* A trigger point at 32 N under a 40 N cap: softer takes the true force 10 % down,
 * stronger up, and five stronger never take it past the cap. */
static void test_stronger_and_softer_move_the_true_force_never_past_the_cap(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	const double cap_n = 40;
	struct plan *plan = load_for(r, "program \"t\"\nlevel deep\ntrigger-point L4 pressure 8 hold 60s\n", cap_n);
	start(r, plan);
	assert_true(into_work(r, 10000)); /* 5 s ramp, then the hold */
	double base_n = true_force_n(r);
	assert_true(fabs(base_n - 32) < 1.5);
	assert_int_equal(send(r, CMD_INTENSITY, -1), CMD_OK);
	rig_ticks(r, 2000);
	double softer_n = true_force_n(r);
	assert_true(fabs(softer_n - 0.9 * base_n) < 1.0);
	double most_n = 0;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(send(r, CMD_INTENSITY, 1), CMD_OK);
		for (int t = 0; t < 2000; t++) {
			lockstep_tick(&r->ls);
			most_n = fmax(most_n, true_force_n(r));
		}
	}
	fprintf(stderr, "feedback: %.2f N, softer %.2f N, five stronger at most %.2f N (cap %.0f)\n",
		base_n, softer_n, most_n, cap_n);
	assert_true(most_n > limiter_force_bound_n(cap_n) - 0.5); /* up to the cap's headroom */
	assert_true(most_n <= cap_n);
	finish(r, plan);
}

/* "Too much" during a trigger point: the true force 40 % lower within 50 ms, and in that
 * zone never back to it for the rest of the run, a second trigger point there and five
 * stronger included. */
static void test_too_much_drops_the_true_force_in_50ms_and_the_zone_never_returns(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\ntrigger-point L4 pressure 6 hold 30s\n"
					"knead upper-back for 3s\ntrigger-point L3 pressure 7 hold 20s\n",
				     50);
	start(r, plan);
	assert_true(into_work(r, 10000));
	double too_much_n = true_force_n(r);
	assert_true(too_much_n > 25);
	assert_int_equal(send(r, CMD_TOO_MUCH, 0), CMD_OK);
	int drop_ms = -1;
	for (int ms = 1; ms <= 50 && drop_ms < 0; ms++) {
		lockstep_tick(&r->ls);
		if (true_force_n(r) <= 0.6 * too_much_n)
			drop_ms = ms;
	}
	assert_true(drop_ms > 0);
	struct ctl *c = rig_ctl(r);
	int zone = c->telem.zone;
	assert_int_equal(zone, BODY_LOWER_BACK);
	double after_n = 0;
	int stronger = 0;
	while (c->state == ST_RUNNING) {
		lockstep_tick(&r->ls);
		if (c->telem.zone == zone)
			after_n = fmax(after_n, true_force_n(r));
		if (c->tick % 3000 == 0 && stronger < 5 && send(r, CMD_INTENSITY, 1) == CMD_OK)
			stronger++;
	}
	fprintf(stderr, "too much at %.2f N: 40 %% down in %d ms, at most %.2f N there afterwards\n",
		too_much_n, drop_ms, after_n);
	assert_true(after_n > 0.5 * too_much_n); /* worked there again */
	assert_true(after_n < too_much_n);
	finish(r, plan);
}

/* Stop while pressing: the true force is gone within 1 s (through FINISHING). */
static void test_stop_releases_the_true_force_within_one_second(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\nlevel deep\ntrigger-point L4 pressure 8 hold 30s\n", 60);
	start(r, plan);
	assert_true(into_work(r, 8000));
	assert_true(true_force_n(r) > 40);
	assert_int_equal(send(r, CMD_STOP, 0), CMD_OK);
	int free_ms = -1;
	for (int ms = 1; ms <= 1000 && free_ms < 0; ms++) {
		lockstep_tick(&r->ls);
		if (true_force_n(r) <= 0.0)
			free_ms = ms;
	}
	fprintf(stderr, "stop: true force from 48 N to 0 in %d ms\n", free_ms);
	assert_true(free_ms > 0 && free_ms <= 1000);
	assert_int_equal(rig_ctl(r)->state, ST_FINISHING);
	plan_free(plan);
	assert_true(lockstep_run_until_state(&r->ls, ST_IDLE, 20000));
	rig_close(r);
}

/* "Too much" at a light press (2.2 N): still 40 % down within 50 ms (the drop's slack is a
 * share of so small a ceiling, not a whole newton). */
static void test_too_much_at_a_light_press_still_drops_40pct_in_50ms(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\ntrigger-point L4 pressure 4 hold 20s\n", 5.5);
	start(r, plan);
	assert_true(into_work(r, 8000));
	double too_much_n = true_force_n(r);
	assert_true(fabs(too_much_n - 2.2) < 0.3);
	assert_int_equal(send(r, CMD_TOO_MUCH, 0), CMD_OK);
	int drop_ms = -1;
	for (int ms = 1; ms <= 50 && drop_ms < 0; ms++) {
		lockstep_tick(&r->ls);
		if (true_force_n(r) <= 0.6 * too_much_n)
			drop_ms = ms;
	}
	fprintf(stderr, "too much at %.2f N: 40 %% down in %d ms\n", too_much_n, drop_ms);
	assert_true(drop_ms > 0);
	finish(r, plan);
}

/* A roll from above the neck, where no body is, down onto it: the roller waits at most
 * EXEC_SEARCH_MM past the skin gap while it finds nothing, and meeting the top of the neck
 * stays under the cap. */
static void test_a_roller_finding_no_body_waits_near_the_skin_not_far_out(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	const double cap_n = 30;
	struct plan *plan = load_for(r, "program \"t\"\nroll neck-20mm..shoulders speed 3 pressure 2 for 20s\n", cap_n);
	start(r, plan);
	struct sim *s = rig_sim(r);
	double bound_mm = plan->body.skin_gap_mm + EXEC_SEARCH_MM;
	double out_mm = 0, most_n = 0;
	int empty_ms = 0;
	while (rig_ctl(r)->state == ST_RUNNING) {
		lockstep_tick(&r->ls);
		most_n = fmax(most_n, true_force_n(r));
		if (true_force_n(r) <= 0 && rig_ctl(r)->targets.z_mode == Z_FORCE) {
			out_mm = fmax(out_mm, s->drive[HAL_AXIS_Z].position);
			empty_ms++;
		}
	}
	fprintf(stderr, "no body: %d ms, the roller at most %.1f mm out (bound %.1f), at most %.2f N\n",
		empty_ms, out_mm, bound_mm, most_n);
	assert_true(empty_ms > 1000); /* it did look for the body where there is none */
	assert_true(out_mm <= bound_mm + 0.5);
	assert_true(most_n <= cap_n);
	finish(r, plan);
}

/* ---- the guided trigger point ---- */

static const char guided_program[] = "program \"t\"\ntrigger-point L4 guided pressure 7 hold 20s\n"
				     "knead lower-back for 2s\n";

/* Tick until the guided phase is `phase` (true) or max_ms pass; the most true force seen. */
static bool until_guided(struct rig *r, int phase, int max_ms, double *most_n)
{
	for (int ms = 0; ms < max_ms; ms++) {
		if (rig_ctl(r)->telem.guided_phase == phase)
			return true;
		lockstep_tick(&r->ls);
		if (most_n)
			*most_n = fmax(*most_n, true_force_n(r));
	}
	return rig_ctl(r)->telem.guided_phase == phase;
}

/* Rises of about GEN_GUIDED_RISE_N_S: "there" holds within a newton of the true force at
 * that moment, "eased" rises again; after the third rise "eased" releases, and the level
 * reached stays in telemetry after the step. */
static void test_guided_rises_holds_at_there_rises_on_eased_three_times_at_most(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	const double cap_n = 50;
	struct plan *plan = load_for(r, guided_program, cap_n);
	double top_n = 0.7 * cap_n;
	start(r, plan);
	struct ctl *c = rig_ctl(r);
	assert_true(until_guided(r, EXEC_GUIDED_RISING, 20000, NULL));
	assert_int_equal(c->telem.guided_rises, 1);
	rig_ticks(r, 2000);
	double f0_n = true_force_n(r);
	rig_ticks(r, 3000);
	double rate_n_s = (true_force_n(r) - f0_n) / 3.0;
	fprintf(stderr, "guided: rises %.2f N/s\n", rate_n_s);
	assert_true(fabs(rate_n_s - GEN_GUIDED_RISE_N_S) < 0.3);
	double there_n[GEN_GUIDED_RISES_MAX];
	for (int rise = 0; rise < GEN_GUIDED_RISES_MAX; rise++) {
		if (rise > 0) {
			assert_int_equal(send(r, CMD_THERE, 0), CMD_E_STATE); /* holding: no */
			assert_int_equal(send(r, CMD_EASED, 0), CMD_OK);
			lockstep_tick(&r->ls);
			assert_int_equal(c->telem.guided_phase, EXEC_GUIDED_RISING);
			assert_int_equal(c->telem.guided_rises, rise + 1);
			rig_ticks(r, 3000);
			assert_true(true_force_n(r) > there_n[rise - 1] + 4);
		}
		assert_int_equal(send(r, CMD_EASED, 0), CMD_E_STATE); /* rising: no */
		there_n[rise] = true_force_n(r);
		assert_int_equal(send(r, CMD_THERE, 0), CMD_OK);
		lockstep_tick(&r->ls);
		assert_int_equal(c->telem.guided_phase, EXEC_GUIDED_HOLDING);
		assert_true(fabs(c->telem.guided_level_n - there_n[rise]) < 1.0);
		double lo_n = 1e9, hi_n = 0;
		for (int ms = 0; ms < 10000; ms++) {
			lockstep_tick(&r->ls);
			lo_n = fmin(lo_n, true_force_n(r));
			hi_n = fmax(hi_n, true_force_n(r));
		}
		fprintf(stderr, "guided: there at %.2f N, held %.2f .. %.2f N\n", there_n[rise], lo_n,
			hi_n);
		assert_true(fabs(lo_n - there_n[rise]) < 1.0 && fabs(hi_n - there_n[rise]) < 1.0);
		assert_true(hi_n < top_n);
	}
	assert_int_equal(send(r, CMD_EASED, 0), CMD_OK); /* after the third: release */
	lockstep_tick(&r->ls);
	assert_int_equal(c->telem.guided_phase, EXEC_GUIDED_RELEASING);
	assert_int_equal(c->telem.guided_rises, GEN_GUIDED_RISES_MAX);
	uint32_t step = c->exec.step;
	uint32_t total_ms = c->telem.exec_total_ms;
	for (int ms = 0; ms < 10000 && c->exec.step == step; ms++)
		lockstep_tick(&r->ls);
	assert_true(c->exec.step != step);
	assert_true(c->telem.exec_total_ms < total_ms); /* the rest of the worst case is gone */
	assert_int_equal(c->telem.guided_phase, EXEC_GUIDED_NONE);
	assert_true(fabs(c->telem.guided_level_n - there_n[GEN_GUIDED_RISES_MAX - 1]) < 1.0);
	assert_ends_on_its_total(r, 100000);
	finish(r, plan);
}

/* Nobody says "there": the rise stops at its level (never above it, nor the cap), holds
 * once for at most its hold, releases, and the step takes no longer than its worst case. */
static void test_guided_without_there_stops_at_its_level_holds_once_and_releases(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	const double cap_n = 40;
	struct plan *plan = load_for(r, guided_program, cap_n);
	const struct plan_step *s = &plan->steps[0];
	assert_true(s->guided && fabs(s->force_n - 28) < 1e-9);
	start(r, plan);
	struct ctl *c = rig_ctl(r);
	double most_n = 0;
	assert_true(until_guided(r, EXEC_GUIDED_RISING, 20000, &most_n));
	uint64_t rise_tick = c->tick;
	assert_true(until_guided(r, EXEC_GUIDED_HOLDING, 60000, &most_n));
	uint64_t hold_tick = c->tick;
	assert_int_equal(send(r, CMD_THERE, 0), CMD_E_STATE);
	assert_true(until_guided(r, EXEC_GUIDED_RELEASING, 60000, &most_n));
	uint64_t release_tick = c->tick;
	assert_true(until_guided(r, EXEC_GUIDED_NONE, 60000, &most_n));
	uint64_t end_tick = c->tick;
	fprintf(stderr, "guided, no there: rose %llu ms, held %llu ms, released %llu ms, at most %.2f N of %.0f N (worst case %u ms)\n",
		(unsigned long long)(hold_tick - rise_tick),
		(unsigned long long)(release_tick - hold_tick),
		(unsigned long long)(end_tick - release_tick), most_n, s->force_n, s->work_ms);
	assert_true(most_n <= s->force_n + 0.5 && most_n > s->force_n - 1.0);
	assert_true(release_tick - hold_tick <= s->for_ms + 1);
	assert_true(end_tick - rise_tick <= s->work_ms);
	assert_int_equal(c->telem.guided_level_n, 0); /* never said */
	finish(r, plan);
}

/* "There" then nothing: the hold times out at its bound and releases. */
static void test_guided_hold_is_bounded_without_eased(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, guided_program, 50);
	start(r, plan);
	struct ctl *c = rig_ctl(r);
	assert_true(until_guided(r, EXEC_GUIDED_RISING, 20000, NULL));
	rig_ticks(r, 4000);
	assert_int_equal(send(r, CMD_THERE, 0), CMD_OK);
	lockstep_tick(&r->ls);
	uint64_t hold_tick = c->tick;
	assert_true(until_guided(r, EXEC_GUIDED_RELEASING, 60000, NULL));
	fprintf(stderr, "guided: hold timed out after %llu ms (bound %u)\n",
		(unsigned long long)(c->tick - hold_tick), plan->steps[0].for_ms);
	assert_true(c->tick - hold_tick <= plan->steps[0].for_ms + 1);
	assert_true(c->tick - hold_tick >= plan->steps[0].for_ms - 1);
	finish(r, plan);
}

/* "Too much" while it rises: the true force 40 % lower within 50 ms; it holds lower, rises
 * no more ("eased" releases), and five stronger never bring it back to the level. */
static void test_guided_never_rises_back_above_a_too_much(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, guided_program, 50);
	start(r, plan);
	struct ctl *c = rig_ctl(r);
	assert_true(until_guided(r, EXEC_GUIDED_RISING, 20000, NULL));
	rig_ticks(r, 8000);
	double too_much_n = true_force_n(r);
	assert_true(too_much_n > 15);
	assert_int_equal(send(r, CMD_TOO_MUCH, 0), CMD_OK);
	int drop_ms = -1;
	for (int ms = 1; ms <= 50 && drop_ms < 0; ms++) {
		lockstep_tick(&r->ls);
		if (true_force_n(r) <= 0.6 * too_much_n)
			drop_ms = ms;
	}
	assert_true(drop_ms > 0);
	assert_int_equal(c->telem.guided_phase, EXEC_GUIDED_HOLDING);
	double after_n = 0;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(send(r, CMD_INTENSITY, 1), CMD_OK);
		for (int ms = 0; ms < 1000; ms++) {
			lockstep_tick(&r->ls);
			after_n = fmax(after_n, true_force_n(r));
		}
	}
	assert_int_equal(send(r, CMD_EASED, 0), CMD_OK);
	lockstep_tick(&r->ls);
	assert_int_equal(c->telem.guided_phase, EXEC_GUIDED_RELEASING);
	while (c->state == ST_RUNNING && c->telem.zone == BODY_LOWER_BACK) {
		lockstep_tick(&r->ls);
		after_n = fmax(after_n, true_force_n(r));
	}
	fprintf(stderr, "guided: too much at %.2f N, 40 %% down in %d ms, at most %.2f N after\n",
		too_much_n, drop_ms, after_n);
	assert_true(after_n < too_much_n);
	finish(r, plan);
}

/* `from`: the rise starts at that level (after the ramp to it), not from a touch. */
static void test_guided_from_starts_the_slow_rise_at_its_level(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\ntrigger-point L4 guided pressure 7 from 4 hold 10s\n", 50);
	start(r, plan);
	assert_true(until_guided(r, EXEC_GUIDED_RISING, 20000, NULL));
	rig_ticks(r, GEN_TRIGGER_RAMP_MS);
	double at_n = true_force_n(r);
	fprintf(stderr, "guided from 4: %.2f N after the ramp (level 4: 20 N)\n", at_n);
	assert_true(at_n > 20 && at_n < 23); /* 20 N, plus the slow rise since */
	finish(r, plan);
}

/* ---- the statement ---- */

static int check_errors(const char *src, char *first, size_t n)
{
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));
	assert_non_null(d);
	interp_diags_init(d, "t.prog");
	struct plan *p = NULL;
	interp_load(src, strlen(src), "t.prog", &lim, d, &p);
	plan_free(p);
	int errors = (int)d->errors;
	first[0] = '\0';
	if (d->count)
		interp_diag_format(d, 0, first, n);
	free(d);
	return errors;
}

static void test_the_checker_rejects_a_guided_trigger_point_out_of_range(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		const char *expect;
	} bad[] = {
		{"trigger-point L4 guided from 11", "t.prog:2:30: error: from 11 is out of range (1 to 10)"},
		{"trigger-point L4 guided pressure 0", "t.prog:2:34: error: pressure 0 is out of range (1 to 10)"},
		{"trigger-point L4 guided pressure 9", "t.prog:2:34: error: pressure 9 needs 'level deep' (a normal program goes up to 7)"},
		{"trigger-point L4 guided hold 2m", "t.prog:2:30: error: hold 2m is too long; at most 1m30s"},
		{"trigger-point L4 guided hold 2s", "t.prog:2:30: error: hold 2s is too short; at least 5s"},
		{"trigger-point L4 guided pressure 4 from 5", "t.prog:2:41: error: from 5 is above the most this guided trigger-point may reach (pressure 4)"},
		{"trigger-point L4 guided from 8", "t.prog:2:30: error: from 8 needs 'level deep' (a normal program goes up to 7)"},
		{"trigger-point L4 guided ramp 3s", "t.prog:2:25: error: a guided trigger-point takes no 'ramp'; it takes pressure, hold, release, from"},
		{"trigger-point L4 pressure 5 guided", "t.prog:2:29: error: 'guided' comes right after the point: 'trigger-point POINT guided ...'"},
		{"trigger-point L4 pressure 5 hold 9s from 3", "t.prog:2:37: error: trigger-point takes no 'from'; it takes pressure, hold, ramp, release"},
		{"trigger-point guided", "t.prog:2:15: error: expected a point after 'trigger-point', got 'guided'"},
		{"trigger-point L2..L4 guided", "t.prog:2:19: error: trigger-point presses one point, not a range"},
		{"trigger-point L4 guided release 0s", "t.prog:2:33: error: release 0s is too short; at least 1s"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char src[256], got[INTERP_MSG_MAX + 64];
		snprintf(src, sizeof(src), "program \"t\"\n%s\n", bad[i].line);
		int errors = check_errors(src, got, sizeof(got));
		if (errors < 1 || strcmp(got, bad[i].expect) != 0)
			fail_msg("'%s': %d errors, first '%s', not '%s'", bad[i].line, errors, got,
				 bad[i].expect);
	}
	char got[INTERP_MSG_MAX + 64];
	assert_int_equal(check_errors("program \"t\"\ntrigger-point L4 guided\n", got, sizeof(got)), 0);
	assert_int_equal(check_errors("program \"t\"\nlevel gentle\ntrigger-point L4+10mm guided from 2 hold 1m30s release 8s\n",
				      got, sizeof(got)),
			 0);
}

/* The step's time is its worst case: a ramp to `from`, the rise from there to its level at
 * GEN_GUIDED_RISE_N_S, three holds, the release; defaults: the level's most, a touch, 30 s
 * holds, a 5 s release. */
static void test_a_guided_trigger_point_takes_its_worst_case_on_the_timeline(void **state)
{
	(void)state;
	struct rig *r = open_homed();
	struct plan *plan = load_for(r, "program \"t\"\ntrigger-point L4 guided\n", 60);
	const struct plan_step *s = &plan->steps[0];
	assert_int_equal(s->z_level, 7);          /* `level normal`'s most */
	assert_int_equal(s->for_ms, GEN_GUIDED_HOLD_MS);
	assert_int_equal(s->from_level, 0);
	uint32_t rise_ms = (uint32_t)ceil((42.0 - GEN_TOUCH_N) / GEN_GUIDED_RISE_N_S * 1000.0);
	assert_int_equal(s->work_ms, rise_ms + 3 * GEN_GUIDED_HOLD_MS + GEN_TRIGGER_RELEASE_MS +
					     GEN_GUIDED_SLACK_MS);
	plan_free(plan);
	plan = load_for(r, "program \"t\"\nlevel deep\ntrigger-point L4 guided pressure 10 from 5 hold 1m30s release 10s\n", 60);
	s = &plan->steps[0];
	assert_true(fabs(s->from_force_n - 30) < 1e-9);
	assert_int_equal(s->work_ms, GEN_TRIGGER_RAMP_MS + 15000 + 3 * 90000 + 10000 +
					     GEN_GUIDED_SLACK_MS);
	plan_free(plan);
	rig_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_commands_are_refused_with_e_state_when_idle),
		cmocka_unit_test(test_wider_and_narrower_move_the_true_roller_width_within_the_axis),
		cmocka_unit_test(test_stay_extends_the_step_and_the_true_carriage_stays_in_the_zone),
		cmocka_unit_test(test_stay_never_takes_the_session_past_its_limit),
		cmocka_unit_test(test_stay_is_refused_on_a_glide_and_a_pause),
		cmocka_unit_test(test_skip_moves_on_and_skipping_the_last_step_ends_the_run),
		cmocka_unit_test(test_stronger_and_softer_move_the_true_force_never_past_the_cap),
		cmocka_unit_test(test_too_much_drops_the_true_force_in_50ms_and_the_zone_never_returns),
		cmocka_unit_test(test_stop_releases_the_true_force_within_one_second),
		cmocka_unit_test(test_too_much_at_a_light_press_still_drops_40pct_in_50ms),
		cmocka_unit_test(test_a_roller_finding_no_body_waits_near_the_skin_not_far_out),
		cmocka_unit_test(test_guided_rises_holds_at_there_rises_on_eased_three_times_at_most),
		cmocka_unit_test(test_guided_without_there_stops_at_its_level_holds_once_and_releases),
		cmocka_unit_test(test_guided_hold_is_bounded_without_eased),
		cmocka_unit_test(test_guided_never_rises_back_above_a_too_much),
		cmocka_unit_test(test_guided_from_starts_the_slow_rise_at_its_level),
		cmocka_unit_test(test_the_checker_rejects_a_guided_trigger_point_out_of_range),
		cmocka_unit_test(test_a_guided_trigger_point_takes_its_worst_case_on_the_timeline),
	};
	return cmocka_run_group_tests_name("live_feedback", tests, NULL, NULL);
}
