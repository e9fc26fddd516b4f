/* Each technique's motion measured in the simulator, through the whole controller: the
 * program is loaded and resolved for the simulated person's own body (from the person's
 * shoulder line and skin gap, as a body scan would find them), started with CMD_START on a
 * homed chair, and run in lockstep; every tick the simulator's truth is recorded (carriage
 * position and speed, roller protrusion, contact force, knead and tap motor angle and
 * speed, width, airbags, heaters, recline angles) together with where the executor says it
 * is (which step, and whether that step is moving there, approaching the skin or working).
 *
 * Sample i is the chair's state after tick i of the run (tick 0 = the first tick after
 * CMD_START): the physics has applied the targets the executor computed i ms into the run
 * for one period. So "the force at the end of a ramp that runs from work tick w for R ms"
 * is sample w + R - 1, the state R ms after the ramp's first target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/interp/gen.h"
#include "../controller/interp/interp.h"
#include "../controller/program_load.h"
#include "rig.h"

/* ---- a person in the chair, a program for them ---- */

enum part { PART_NONE, PART_MOVE, PART_APPROACH, PART_WORK };

struct sample {
	double y_mm, y_mm_s;     /* carriage, true */
	double z_mm, force_n;    /* roller protrusion, true contact force */
	double k_deg, k_rpm;     /* kneading motor */
	double t_deg, t_rpm;     /* tapping motor */
	double w_mm;
	float air_kpa[HAL_AIRBAG_COUNT];
	float heat_c[HAL_HEATER_COUNT];
	float back_deg, leg_deg;
	uint32_t step;           /* the executor's step */
	uint8_t state;           /* the chair's */
	uint8_t part;            /* enum part, of a timed step */
	bool boundary;           /* a timed step began on this tick */
	uint32_t waited_ms;      /* the executor's wait for the carriage so far */
};

struct run {
	struct rig *r;
	struct body_map body;
	struct plan *plan;
	struct sample *s;
	size_t n, cap;
	size_t end;              /* samples while RUNNING or PAUSED */
	uint64_t waited_ms;      /* the executor's wait for the carriage, whole run */
};

/* Rebuild the simulated chair with person p in it: the same seed gives the same chair
 * (start positions, encoder offsets), and the image the controller reads next is made
 * with this person. */
static void seat(struct rig *r, const struct sim_person *p)
{
	sim_init(rig_sim(r), p, r->cfg.hal.sim_seed);
}

/* The run a test has open: one at a time, closed by the test or, when an assertion ends
 * the test early, by its teardown, so nothing leaks either way. */
static struct run current;

static void close_run(struct run *run)
{
	plan_free(run->plan);
	free(run->s);
	if (run->r)
		rig_close(run->r);
	memset(run, 0, sizeof(*run));
}

static int close_current(void **state)
{
	(void)state;
	close_run(&current);
	return 0;
}

/* A homed chair with the person of seed in it (0 = the 175 cm default person), or of
 * that height when height_cm > 0; the body map is the person's as a scan would find it. */
static struct run *open_person(uint64_t seed, double height_cm)
{
	struct run *run = &current;
	close_run(run);
	run->r = rig_open(seed);
	if (height_cm > 0) {
		struct sim_person p;
		sim_person_of_height(&p, height_cm, seed);
		seat(run->r, &p);
	}
	assert_true(lockstep_home(&run->r->ls, 20000));
	const struct sim_person *p = &rig_sim(run->r)->person;
	struct interp_limits lim;
	program_limits(&run->r->cfg, &lim);
	assert_int_equal(body_from_scan(&run->body, p->shoulder_y_mm, p->height_cm * 10.0,
					p->skin_gap_mm, &lim),
			 0);
	return run;
}

/* Program statements to a plan for the seated person and the chair's cap. */
static void load(struct run *run, const char *statements)
{
	char text[4096];
	int len = snprintf(text, sizeof(text), "program \"t\"\nlevel deep\n%s", statements);
	assert_true(len > 0 && (size_t)len < sizeof(text));
	plan_free(run->plan);
	run->plan = NULL;
	int rc = program_load_text(text, (size_t)len, "t.prog", &run->r->cfg, &run->body,
				   rig_ctl(run->r)->cap_n, &run->plan, stderr);
	assert_int_equal(rc, 0);
}

static void record(struct run *run)
{
	if (run->n == run->cap) {
		run->cap = run->cap ? run->cap * 2 : 65536;
		run->s = realloc(run->s, run->cap * sizeof(*run->s));
		assert_non_null(run->s);
	}
	const struct sim *sim = rig_sim(run->r);
	const struct ctl *c = rig_ctl(run->r);
	const struct exec *e = &c->exec;
	struct sample *s = &run->s[run->n++];
	s->y_mm = sim->drive[HAL_AXIS_Y].position;
	s->y_mm_s = sim->drive[HAL_AXIS_Y].velocity;
	s->z_mm = sim->drive[HAL_AXIS_Z].position;
	s->force_n = sim->contact_force_n;
	s->k_deg = sim->drive[HAL_AXIS_K].position;
	s->k_rpm = sim->drive[HAL_AXIS_K].velocity;
	s->t_deg = sim->drive[HAL_AXIS_T].position;
	s->t_rpm = sim->drive[HAL_AXIS_T].velocity;
	s->w_mm = sim->drive[HAL_AXIS_W].position;
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		s->air_kpa[b] = (float)sim->airbag_kpa[b];
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		s->heat_c[h] = (float)sim->heater_c[h];
	s->back_deg = (float)sim->back_angle_deg;
	s->leg_deg = (float)sim->leg_angle_deg;
	s->state = (uint8_t)c->state;
	s->step = e->step;
	s->part = PART_NONE;
	s->boundary = false;
	s->waited_ms = (uint32_t)(e->delay_ns / 1000000u);
	if (c->state == ST_RUNNING && e->status == EXEC_RUNNING && e->elapsed_ticks > 0) {
		const struct plan_step *st = &e->plan->steps[e->step];
		uint64_t now_ns = (e->elapsed_ticks - 1) * e->period_ns;
		uint64_t into_ns = now_ns - e->step_start_ns;
		s->boundary = e->step_ticks == 1;
		if (plan_op_works((enum plan_op)st->op))
			s->part = into_ns < e->move_ns                  ? PART_MOVE
				  : into_ns < e->move_ns + e->approach_ns ? PART_APPROACH
									   : PART_WORK;
	}
}

/* Start the plan and tick until the run is over (FINISHING or IDLE), then until the
 * chair has finished; every tick recorded. extra(run, i) may act between ticks (pause,
 * resume). No fault may latch. */
static void run_plan(struct run *run, void (*extra)(struct run *run, size_t i))
{
	struct ctl *c = rig_ctl(run->r);
	struct ctl_cmd start = {.kind = CMD_START, .plan = run->plan};
	assert_int_equal(ctl_command(c, &start), CMD_OK);
	run->n = 0;
	uint64_t limit = run->plan->total_ms + 120000;
	for (uint64_t i = 0; i < limit; i++) {
		if (extra)
			extra(run, run->n);
		lockstep_tick(&run->r->ls);
		record(run);
		if (c->state != ST_RUNNING && c->state != ST_PAUSED)
			break;
	}
	run->end = run->n - 1; /* the tick on which the executor said it was done */
	run->waited_ms = c->exec.delay_ns / 1000000u;
	assert_true(lockstep_run_until_state(&run->r->ls, ST_IDLE, 10000));
	if (c->safety.log.count != 0)
		fprintf(stderr, "fault %d latched\n", (int)c->safety.first.code);
	assert_int_equal(c->safety.log.count, 0);
	assert_int_equal(c->exec.status, EXEC_DONE);
}

/* The first sample of the n-th (0-based) working part of a step, and its last + 1. */
static bool work_window(const struct run *run, int nth, size_t *from, size_t *to)
{
	int k = -1;
	for (size_t i = 0; i < run->end; i++) {
		if (run->s[i].part == PART_WORK && (i == 0 || run->s[i - 1].part != PART_WORK ||
						    run->s[i].boundary)) {
			if (++k == nth) {
				size_t j = i + 1;
				while (j < run->end && run->s[j].part == PART_WORK && !run->s[j].boundary)
					j++;
				*from = i;
				*to = j;
				return true;
			}
		}
	}
	return false;
}

/* The first resolved working step of the plan. */
static const struct plan_step *first_work_step(const struct plan *p)
{
	for (uint32_t i = 0; i < p->step_count; i++)
		if (plan_op_works((enum plan_op)p->steps[i].op))
			return &p->steps[i];
	fail();
	return NULL;
}

/* Mechanical revolutions of a rotary axis over samples [a, b): unwrapped, both ways. */
static double revolutions(const struct run *run, size_t a, size_t b, bool tap)
{
	double deg = 0;
	for (size_t i = a + 1; i < b; i++) {
		double d = tap ? run->s[i].t_deg - run->s[i - 1].t_deg
			       : run->s[i].k_deg - run->s[i - 1].k_deg;
		d = fmod(d + 540.0, 360.0) - 180.0;
		deg += fabs(d);
	}
	return deg / 360.0;
}

/* ---- trigger-point ---- */

/* L4 for the person in the rig, as the simulator has it. */
static double truth_l4(const struct run *run)
{
	return rig_sim(run->r)->person.landmark_y_mm[SIM_LM_L4];
}

static void trigger_point_on(uint64_t seed, double height_cm)
{
	struct run *run = open_person(seed, height_cm);
	load(run, "trigger-point L4 pressure 6 ramp 8s hold 45s release 8s\n");
	const struct plan_step *st = first_work_step(run->plan);
	const double point_mm = truth_l4(run);
	const double target_n = 0.6 * rig_ctl(run->r)->cap_n;
	/* The body map and the simulated anatomy agree on where L4 is. */
	assert_true(fabs(st->y_from_mm - point_mm) < 0.5);
	assert_true(fabs(st->force_n - target_n) < 1e-9);
	run_plan(run, NULL);

	size_t w, to;
	assert_true(work_window(run, 0, &w, &to));
	const size_t ramp_end = w + 8000, hold_end = ramp_end + 45000, release_end = hold_end + 8000;
	assert_true(to >= release_end - 1 && to <= release_end + 1);
	double at_ramp_end = run->s[ramp_end - 1].force_n;
	double hold_err = 0;
	for (size_t i = ramp_end; i < hold_end; i++)
		hold_err = fmax(hold_err, fabs(run->s[i].force_n - target_n));
	double at_release_end = run->s[release_end - 1].force_n;
	double y_err = 0;
	for (size_t i = 0; i < run->end; i++)
		if (run->s[i].part == PART_APPROACH || run->s[i].part == PART_WORK ||
		    run->s[i].force_n > 0.5)
			y_err = fmax(y_err, fabs(run->s[i].y_mm - point_mm));
	printf("trigger-point, %.0f cm person (seed %llu), target %.1f N: end of ramp %.2f N "
	       "(%+.1f %%), hold worst %.2f N (%.1f %%), end of release %.2f N, carriage within "
	       "%.2f mm\n",
	       rig_sim(run->r)->person.height_cm, (unsigned long long)seed, target_n, at_ramp_end,
	       100 * (at_ramp_end - target_n) / target_n, hold_err, 100 * hold_err / target_n,
	       at_release_end, y_err);
	assert_true(fabs(at_ramp_end - target_n) <= 0.10 * target_n);
	assert_true(hold_err <= 0.10 * target_n);
	assert_true(at_release_end < 2.0);
	assert_true(y_err <= 3.0);
	close_run(run);
}

static void test_trigger_point_ramps_holds_within_10_percent_releases_and_stays_on_the_point(void **state)
{
	(void)state;
	trigger_point_on(0, 0);
	trigger_point_on(11, 150);
	trigger_point_on(12, 200);
	trigger_point_on(13, 0);
	trigger_point_on(14, 0);
}

static void test_trigger_point_reaches_and_holds_every_pressure_level(void **state)
{
	(void)state;
	for (int level = 1; level <= 10; level++) {
		struct run *run = open_person(0, 0);
		char text[128];
		snprintf(text, sizeof(text), "trigger-point T7 pressure %d ramp 3s hold 5s release 3s\n",
			 level);
		load(run, text);
		const double target_n = level / 10.0 * rig_ctl(run->r)->cap_n;
		const double point_mm = rig_sim(run->r)->person.landmark_y_mm[SIM_LM_T7];
		run_plan(run, NULL);
		size_t w, to;
		assert_true(work_window(run, 0, &w, &to));
		double at_ramp_end = run->s[w + 3000 - 1].force_n, hold_err = 0, y_err = 0;
		for (size_t i = w + 3000; i < w + 8000; i++)
			hold_err = fmax(hold_err, fabs(run->s[i].force_n - target_n));
		for (size_t i = w; i < to; i++)
			y_err = fmax(y_err, fabs(run->s[i].y_mm - point_mm));
		double at_release_end = run->s[w + 11000 - 1].force_n;
		printf("trigger-point T7 level %2d: target %5.1f N, end of ramp %+.2f %%, hold within "
		       "%.2f %%, end of release %.2f N, carriage within %.2f mm\n",
		       level, target_n, 100 * (at_ramp_end - target_n) / target_n,
		       100 * hold_err / target_n, at_release_end, y_err);
		assert_true(fabs(at_ramp_end - target_n) <= 0.10 * target_n);
		assert_true(hold_err <= 0.10 * target_n);
		assert_true(at_release_end < 2.0);
		assert_true(y_err <= 3.0);
		close_run(run);
	}
}

/* ---- glide ---- */

static void test_glide_speed_is_within_10_percent_of_its_level(void **state)
{
	(void)state;
	for (int level = 1; level <= 10; level++) {
		struct run *run = open_person(0, 0);
		char text[128];
		snprintf(text, sizeof(text), "glide shoulders..sacrum speed %d pressure 4\n", level);
		load(run, text);
		const struct plan_step *st = first_work_step(run->plan);
		double want = 5.0 + (level - 1) * 25.0 / 9.0; /* docs/programs.md */
		assert_true(fabs(st->speed_mm_s - want) < 1e-9);
		run_plan(run, NULL);
		size_t w, to;
		assert_true(work_window(run, 0, &w, &to));
		size_t a = w + (to - w) / 10, b = to - (to - w) / 10;
		double mean = fabs(run->s[b].y_mm - run->s[a].y_mm) / ((double)(b - a) * 1e-3);
		double worst = 0, force = 0;
		for (size_t i = a; i < b; i++) {
			worst = fmax(worst, fabs(run->s[i].y_mm_s - want));
			force += run->s[i].force_n;
		}
		force /= (double)(b - a);
		printf("glide level %2d: want %5.2f mm/s, mean %6.3f mm/s (%+.2f %%), worst instant "
		       "%+.2f %%, mean force %.1f N (want %.1f), end %.2f mm from the sacrum's end\n",
		       level, want, mean, 100 * (mean - want) / want, 100 * worst / want, force,
		       st->force_n, run->s[run->end].y_mm - st->y_to_mm);
		assert_true(fabs(mean - want) <= 0.10 * want);
		/* under force control all the way */
		assert_true(fabs(force - st->force_n) <= 0.10 * st->force_n);
		close_run(run);
	}
}

/* ---- knead, tap, knead-tap ---- */

static void test_knead_motor_turns_at_its_level_while_the_carriage_works_the_zone(void **state)
{
	(void)state;
	for (int level = 1; level <= 10; level += 3) {
		struct run *run = open_person(0, 0);
		char text[128];
		snprintf(text, sizeof(text), "knead lower-back width wide speed %d pressure 4 for 40s\n",
			 level);
		load(run, text);
		const struct plan_step *st = first_work_step(run->plan);
		run_plan(run, NULL);
		size_t w, to;
		assert_true(work_window(run, 0, &w, &to));
		double hz = revolutions(run, w, to, false) / ((double)(to - w) * 1e-3);
		double want = level * 6.0 / 60.0;
		double lo = 1e9, hi = -1e9, w_err = 0, path_mm = 0;
		for (size_t i = w; i < to; i++) {
			lo = fmin(lo, run->s[i].y_mm);
			hi = fmax(hi, run->s[i].y_mm);
			w_err = fmax(w_err, fabs(run->s[i].w_mm - 140.0));
			if (i > w)
				path_mm += fabs(run->s[i].y_mm - run->s[i - 1].y_mm);
		}
		double crawl = path_mm / ((double)(to - w) * 1e-3);
		printf("knead level %2d: want %.2f Hz, measured %.4f Hz (%+.2f %%); carriage %.1f..%.1f "
		       "mm over the zone %.1f..%.1f at %.2f mm/s; width within %.2f mm of 140\n",
		       level, want, hz, 100 * (hz - want) / want, lo, hi, st->y_from_mm, st->y_to_mm,
		       crawl, w_err);
		assert_true(fabs(hz - want) <= 0.10 * want);
		/* working slowly through the whole zone, both ways, width as asked */
		assert_true(lo <= st->y_from_mm + 2.0 && hi >= st->y_to_mm - 2.0);
		assert_true(fabs(crawl - GEN_CRAWL_MM_S) <= 0.10 * GEN_CRAWL_MM_S);
		assert_true(w_err <= 0.5);
		close_run(run);
	}
}

static void test_tap_and_knead_tap_stroke_rate_is_within_10_percent(void **state)
{
	(void)state;
	const char *src[] = {"tap upper-back rate %d pressure 3 for 20s\n",
			     "knead-tap upper-back speed %d pressure 3 for 20s\n"};
	for (int k = 0; k < 2; k++) {
		for (int level = 1; level <= 10; level += 3) {
			struct run *run = open_person(0, 0);
			char text[128];
			snprintf(text, sizeof(text), src[k], level);
			load(run, text);
			run_plan(run, NULL);
			size_t w, to;
			assert_true(work_window(run, 0, &w, &to));
			double hz = revolutions(run, w, to, true) / ((double)(to - w) * 1e-3);
			double want = 1.2 * level;
			double khz = revolutions(run, w, to, false) / ((double)(to - w) * 1e-3);
			printf("%s level %2d: want %.1f Hz strokes, measured %.4f Hz (%+.2f %%), knead %.4f Hz\n",
			       k ? "knead-tap" : "tap", level, want, hz, 100 * (hz - want) / want, khz);
			assert_true(fabs(hz - want) <= 0.10 * want);
			/* knead-tap: the speed level drives the kneading motor too */
			double kwant = k ? level * 6.0 / 60.0 : 0.0;
			assert_true(k ? fabs(khz - kwant) <= 0.10 * kwant : khz < 0.01);
			close_run(run);
		}
	}
}

/* ---- roll ---- */

static void test_roll_sweep_frequency_is_within_10_percent(void **state)
{
	(void)state;
	for (int level = 1; level <= 10; level += 3) {
		struct run *run = open_person(0, 0);
		char text[128];
		snprintf(text, sizeof(text), "roll upper-back..mid-back speed %d pressure 3 for %s\n",
			 level, level == 1 ? "5m" : "2m");
		load(run, text);
		const struct plan_step *st = first_work_step(run->plan);
		run_plan(run, NULL);
		size_t w, to;
		assert_true(work_window(run, 0, &w, &to));
		int turns = 0;
		size_t first = 0, last = 0;
		double lo = 1e9, hi = -1e9;
		for (size_t i = w + 1; i + 1 < to; i++) {
			lo = fmin(lo, run->s[i].y_mm);
			hi = fmax(hi, run->s[i].y_mm);
			if (run->s[i].y_mm > run->s[i - 1].y_mm && run->s[i + 1].y_mm <= run->s[i].y_mm) {
				if (!turns)
					first = i;
				last = i;
				turns++;
			}
		}
		double length_mm = fabs(st->y_to_mm - st->y_from_mm);
		double v = 5.0 + (level - 1) * 75.0 / 9.0;
		double want = v / (2.0 * length_mm);
		assert_true(turns >= 2);
		double hz = (turns - 1) / ((double)(last - first) * 1e-3);
		printf("roll level %2d: %.1f mm/s over %.1f mm: want %.5f Hz, measured %.5f Hz "
		       "(%+.2f %%) over %d turns; carriage %.1f..%.1f for a zone %.1f..%.1f\n",
		       level, v, length_mm, want, hz, 100 * (hz - want) / want, turns, lo, hi,
		       st->y_from_mm, st->y_to_mm);
		assert_true(fabs(hz - want) <= 0.10 * want);
		/* up and down the whole zone */
		assert_true(lo <= st->y_from_mm + 3.0 && hi >= st->y_to_mm - 3.0);
		close_run(run);
	}
}

/* ---- shiatsu ---- */

static void test_shiatsu_presses_holds_and_releases_at_successive_points(void **state)
{
	(void)state;
	struct run *run = open_person(0, 0);
	load(run, "shiatsu mid-back pressure 5 hold 4s for 1m\n");
	const struct plan_step *st = first_work_step(run->plan);
	const double target_n = 0.5 * rig_ctl(run->r)->cap_n;
	const int points = gen_shiatsu_points(st);
	const double spacing_mm = (st->y_to_mm - st->y_from_mm) / (points - 1);
	const size_t cycle = gen_shiatsu_cycle_ms(st), press = GEN_SHIATSU_PRESS_MS,
		     hold = st->hold_ms, release = GEN_SHIATSU_RELEASE_MS;
	run_plan(run, NULL);
	size_t w, to;
	assert_true(work_window(run, 0, &w, &to));
	/* Every visit that has time for its press, hold and release. */
	const int visits = (int)((to - w) / cycle);
	printf("shiatsu: %d points %.1f mm apart, a visit every %zu ms, %d whole visits\n", points,
	       spacing_mm, cycle, visits);
	assert_true(points >= 3);
	assert_true(visits >= 2 * (points - 1));
	double worst_hold = 0, worst_y = 0, worst_released = 0, prev_mm = 0;
	for (int k = 0; k < visits; k++) {
		/* Visits go 0, 1 .. points-1, points-2 .. 0, ... */
		long period = 2L * (points - 1), v = k % period;
		long idx = v < points ? v : period - v;
		double point_mm = st->y_from_mm + idx * spacing_mm;
		size_t at = w + (size_t)k * cycle;
		double hold_err = 0, y_err = 0;
		for (size_t i = at + press; i < at + press + hold; i++)
			hold_err = fmax(hold_err, fabs(run->s[i].force_n - target_n));
		for (size_t i = at; i < at + press + hold + release; i++)
			y_err = fmax(y_err, fabs(run->s[i].y_mm - point_mm));
		double released = run->s[at + press + hold + release - 1].force_n;
		/* where it pressed, from the truth: the carriage at the middle of the hold */
		double pressed_mm = run->s[at + press + hold / 2].y_mm;
		printf("  visit %d: point %ld at %.1f mm, pressed at %.2f mm (within %.2f mm "
		       "throughout), hold within %.2f N of %.1f N, %.2f N at the end of the release\n",
		       k, idx, point_mm, pressed_mm, y_err, hold_err, target_n, released);
		if (k > 0)
			assert_true(fabs(fabs(pressed_mm - prev_mm) - spacing_mm) <= 3.0);
		prev_mm = pressed_mm;
		worst_hold = fmax(worst_hold, hold_err);
		worst_y = fmax(worst_y, y_err);
		worst_released = fmax(worst_released, released);
	}
	assert_true(worst_hold <= 0.10 * target_n);
	assert_true(worst_y <= 3.0);
	/* released down to the light touch it steps on with */
	assert_true(worst_released <= GEN_TOUCH_N * 1.10);
	close_run(run);
}

/* ---- air, heat, recline, stretch ---- */

/* When zone z's pressure rises through half of kpa, in ms from the run's start. */
static int rises(const struct run *run, int z, double kpa, size_t *at, int max)
{
	int n = 0;
	for (size_t i = 1; i < run->end && n < max; i++)
		if (run->s[i - 1].air_kpa[z] < 0.5 * kpa && run->s[i].air_kpa[z] >= 0.5 * kpa)
			at[n++] = i;
	return n;
}

static void test_air_zones_fill_in_sequence_with_the_cycle_time(void **state)
{
	(void)state;
	struct run *run = open_person(0, 0);
	load(run, "air calves, feet level 2 cycle 20s\npause 100s\nair off\npause 5s\n");
	const double kpa = 16.0; /* level 2 of 5 of the 40 kPa maximum */
	run_plan(run, NULL);
	size_t calves[16] = {0}, feet[16] = {0};
	int nc = rises(run, HAL_AIRBAG_CALVES, kpa, calves, 16);
	int nf = rises(run, HAL_AIRBAG_FEET, kpa, feet, 16);
	printf("air: calves rise at");
	for (int i = 0; i < nc; i++)
		printf(" %.2f", calves[i] / 1000.0);
	printf(" s; feet at");
	for (int i = 0; i < nf; i++)
		printf(" %.2f", feet[i] / 1000.0);
	printf(" s\n");
	/* Five cycles of 20 s in 100 s: each zone fills five times, in turn. The first fill
	 * starts at once; every later one waits for the other zone to vent (the one vent is
	 * shared, and venting comes first), a lag that repeats the same in every slot. */
	assert_int_equal(nc, 5);
	assert_int_equal(nf, 5);
	assert_true(calves[0] < 10000);
	double worst_cycle = 0;
	for (int i = 0; i < nc; i++) {
		/* in sequence: calves, then feet in the second half of the cycle, calves again */
		assert_true(calves[i] >= (size_t)i * 20000 && calves[i] < (size_t)i * 20000 + 10000);
		assert_true(feet[i] >= (size_t)i * 20000 + 10000 && feet[i] < (size_t)(i + 1) * 20000);
		if (i + 1 < nc) {
			assert_true(feet[i] < calves[i + 1]);
			assert_true(calves[i] < feet[i]);
		}
		if (i >= 1 && i + 1 < nc) {
			worst_cycle = fmax(worst_cycle, fabs((calves[i + 1] - calves[i]) / 1000.0 - 20.0));
			worst_cycle = fmax(worst_cycle, fabs((feet[i + 1] - feet[i]) / 1000.0 - 20.0));
		}
	}
	printf("air: cycle (rise to rise of a zone, from the second on) within %.3f s of 20 s\n",
	       worst_cycle);
	assert_true(worst_cycle <= 2.0);
	/* Each zone at its pressure (within 10 %) by the end of its share of the cycle, the
	 * other vented; zones not in the pattern stay empty throughout. */
	double worst = 0, other = 0, unused = 0;
	for (int k = 0; k < 10; k++) {
		size_t i = (size_t)(k + 1) * 10000 - 1;
		int on = k % 2 == 0 ? HAL_AIRBAG_CALVES : HAL_AIRBAG_FEET;
		int off = k % 2 == 0 ? HAL_AIRBAG_FEET : HAL_AIRBAG_CALVES;
		worst = fmax(worst, fabs(run->s[i].air_kpa[on] - kpa));
		other = fmax(other, run->s[i].air_kpa[off]);
	}
	for (size_t i = 0; i < run->end; i++)
		for (int z = 0; z < HAL_AIRBAG_COUNT; z++)
			if (z != HAL_AIRBAG_CALVES && z != HAL_AIRBAG_FEET)
				unused = fmax(unused, run->s[i].air_kpa[z]);
	printf("air: active zone within %.2f kPa of %.0f at the end of its slot, the other at "
	       "most %.2f kPa, unused zones at most %.2f kPa, all at most %.2f kPa after air off\n",
	       worst, kpa, other, unused,
	       fmax(run->s[run->end].air_kpa[HAL_AIRBAG_CALVES], run->s[run->end].air_kpa[HAL_AIRBAG_FEET]));
	assert_true(worst <= 0.10 * kpa);
	assert_true(other < 0.5);
	assert_true(unused < 0.01);
	close_run(run);
}

static void test_heat_reaches_its_set_point_and_stays_below_41c(void **state)
{
	(void)state;
	struct run *run = open_person(0, 0);
	load(run, "heat lumbar on 40c\npause 8m\n");
	run_plan(run, NULL);
	double peak = 0, reached_s = -1, late_lo = 1e9, late_hi = -1e9;
	for (size_t i = 0; i < run->end; i++) {
		double c = run->s[i].heat_c[HAL_HEATER_LUMBAR];
		peak = fmax(peak, c);
		if (reached_s < 0 && c >= 39.5)
			reached_s = i / 1000.0;
		if (i >= 300000) {
			late_lo = fmin(late_lo, c);
			late_hi = fmax(late_hi, c);
		}
	}
	double calves = 0;
	for (size_t i = 0; i < run->end; i++)
		calves = fmax(calves, run->s[i].heat_c[HAL_HEATER_CALVES]);
	printf("heat 40c: within 0.5 C after %.1f s, peak %.2f C, from 5 min on %.2f..%.2f C; "
	       "calves peak %.2f C\n",
	       reached_s, peak, late_lo, late_hi, calves);
	/* the other heater stays off, and the set point (above 41: a fault) is never passed */
	assert_true(calves < 24.5);
	assert_true(peak < 41.0);
	assert_true(reached_s > 0);
	assert_true(late_lo >= 39.5 && late_hi < 41.0);
	close_run(run);
}

static void test_recline_presets_reach_their_angles(void **state)
{
	(void)state;
	struct run *run = open_person(0, 0);
	const struct recline_config *rc = &run->r->cfg.recline;
	load(run, "recline relax\npause 25s\nrecline zero-gravity\npause 25s\n"
		   "recline upright\npause 25s\n");
	run_plan(run, NULL);
	const enum recline_preset preset[] = {RECLINE_RELAX, RECLINE_ZERO_GRAVITY, RECLINE_UPRIGHT};
	for (int k = 0; k < 3; k++) {
		/* where the backrest and legrest are at the end of each 25 s pause */
		const struct sample *s = &run->s[(size_t)(k + 1) * 25000 - 1];
		double back = rc->back_deg[preset[k]], leg = rc->leg_deg[preset[k]];
		/* when both got within the tolerance */
		size_t at = 0;
		for (size_t i = (size_t)k * 25000; i < (size_t)(k + 1) * 25000; i++) {
			if (fabs(run->s[i].back_deg - back) <= rc->tolerance_deg + 0.1 &&
			    fabs(run->s[i].leg_deg - leg) <= rc->tolerance_deg + 0.1) {
				at = i - (size_t)k * 25000;
				break;
			}
		}
		printf("recline %d: back %.2f deg (want %.0f), leg %.2f deg (want %.0f), there after "
		       "%.1f s\n",
		       (int)preset[k], s->back_deg, back, s->leg_deg, leg, at / 1000.0);
		assert_true(fabs(s->back_deg - back) <= rc->tolerance_deg + 0.1);
		assert_true(fabs(s->leg_deg - leg) <= rc->tolerance_deg + 0.1);
	}
	close_run(run);
}

static void test_stretch_reclines_and_squeezes_the_limbs_at_its_level_then_returns_to_the_preset(void **state)
{
	(void)state;
	int short_of_level = 0;
	for (int level = 1; level <= 5; level++) {
		struct run *run = open_person(0, 0);
		const struct recline_config *rc = &run->r->cfg.recline;
		char text[128];
		snprintf(text, sizeof(text), "recline relax\npause 15s\nstretch level %d for 36s\n"
					     "pause 20s\n", level);
		load(run, text);
		run_plan(run, NULL);
		const double kpa = level * 8.0; /* level/5 of 40 kPa */
		const int limbs[] = {HAL_AIRBAG_SHOULDERS, HAL_AIRBAG_ARMS, HAL_AIRBAG_CALVES,
				     HAL_AIRBAG_FEET};
		/* The squeeze lasts as long as the pump needs to fill the four limbs to the
		 * level, so the cycle is the resolved plan's, not a constant. */
		uint32_t cycle_ms = 0;
		for (uint32_t k = 0; k < run->plan->step_count; k++)
			if (run->plan->steps[k].op == PLAN_STRETCH)
				cycle_ms = run->plan->steps[k].stretch_cycle_ms;
		assert_true(cycle_ms > 0);
		double peak = 1e9, back_peak = 0, force = 0, vented = 0, others = 0;
		for (int z = 0; z < 4; z++) {
			double p = 0;
			for (size_t i = 15000; i < 51000; i++)
				p = fmax(p, run->s[i].air_kpa[limbs[z]]);
			peak = fmin(peak, p); /* the least squeezed limb */
		}
		for (size_t i = 15000; i < 51000; i++) {
			back_peak = fmax(back_peak, run->s[i].back_deg);
			force = fmax(force, run->s[i].force_n);
			others = fmax(others, fmax(run->s[i].air_kpa[HAL_AIRBAG_WAIST],
						   run->s[i].air_kpa[HAL_AIRBAG_SEAT]));
			/* lets go at the end of every cycle: empty by the end of it */
			if ((i - 15000) % cycle_ms == cycle_ms - 1)
				for (int z = 0; z < 4; z++)
					vented = fmax(vented, run->s[i].air_kpa[limbs[z]]);
		}
		const struct sample *after = &run->s[run->end - 1];
		printf("stretch level %d: limb airbags reach %.1f kPa (want %.0f, %+.0f %%), at most "
		       "%.2f kPa after each let-go; backrest to %.1f deg (zero-gravity %.0f); rollers "
		       "%.2f N; afterwards back %.1f deg (relax %.0f)\n",
		       level, peak, kpa, 100 * (peak - kpa) / kpa, vented, back_peak,
		       rc->back_deg[RECLINE_ZERO_GRAVITY], force, after->back_deg,
		       rc->back_deg[RECLINE_RELAX]);
		assert_true(force == 0.0);
		assert_true(others < 0.01);
		assert_true(fabs(back_peak - rc->back_deg[RECLINE_ZERO_GRAVITY]) <= rc->tolerance_deg + 0.1);
		assert_true(fabs(after->back_deg - rc->back_deg[RECLINE_RELAX]) <= rc->tolerance_deg + 0.1);
		assert_true(vented < 0.5);
		short_of_level += fabs(peak - kpa) > 0.10 * kpa;
		close_run(run);
	}
	/* docs/programs.md: the limb airbags at the level's pressure */
	assert_int_equal(short_of_level, 0);
}

/* ---- pause ---- */

static void test_pause_statement_takes_the_rollers_off_and_keeps_the_carriage_still(void **state)
{
	(void)state;
	struct run *run = open_person(0, 0);
	load(run, "knead-tap lower-back speed 6 pressure 5 for 12s\npause 10s\n"
		   "knead lower-back pressure 4 for 5s\n");
	run_plan(run, NULL);
	size_t w, to;
	assert_true(work_window(run, 0, &w, &to));
	/* The pause is the next step: from `to` for 10 s. */
	assert_true(run->s[to].boundary);
	double y0 = run->s[to + 500].y_mm, force = 0, moved = 0, k_rpm = 0, t_rpm = 0;
	size_t off_ms = 0;
	for (size_t i = to; i < to + 10000; i++) {
		if (run->s[i].force_n > 0.0)
			off_ms = i - to + 1;
		if (i >= to + 500) {
			force = fmax(force, run->s[i].force_n);
			moved = fmax(moved, fabs(run->s[i].y_mm - y0));
			k_rpm = fmax(k_rpm, fabs(run->s[i].k_rpm));
			t_rpm = fmax(t_rpm, fabs(run->s[i].t_rpm));
		}
	}
	printf("pause: roller off the body %zu ms into it; from 0.5 s on: force %.3f N, carriage "
	       "moved %.3f mm, knead %.2f rpm, tap %.2f rpm, roller at %.2f mm\n",
	       off_ms, force, moved, k_rpm, t_rpm, run->s[to + 9999].z_mm);
	assert_true(off_ms <= 500);
	assert_true(force == 0.0);
	assert_true(moved < 0.5);
	assert_true(k_rpm < 1.0 && t_rpm < 1.0);
	close_run(run);
}

/* The chair's pause (the panel's button) in the middle of a trigger-point hold. */
static size_t pause_at, resume_at;

static void pause_and_resume(struct run *run, size_t i)
{
	struct ctl_cmd cmd = {.kind = i == pause_at ? CMD_PAUSE : CMD_RESUME};
	if (i == pause_at || i == resume_at)
		assert_int_equal(ctl_command(rig_ctl(run->r), &cmd), CMD_OK);
}

static void test_chair_pause_keeps_the_rollers_off_the_body_and_resume_goes_on(void **state)
{
	(void)state;
	struct run *run = open_person(0, 0);
	load(run, "trigger-point L4 pressure 6 ramp 4s hold 20s release 4s\n");
	const struct plan_step *st = first_work_step(run->plan);
	const double move_ms = plan_move_ms(run->plan, 0, st->y_from_mm),
		     approach_ms = plan_approach_ms(run->plan);
	/* 10 s into the hold, for 8 s */
	pause_at = (size_t)(move_ms + approach_ms) + 4000 + 10000;
	resume_at = pause_at + 8000;
	run_plan(run, pause_and_resume);
	const double target_n = st->force_n;
	double paused_force = 0;
	size_t off_ms = 0;
	for (size_t i = pause_at; i < resume_at; i++) {
		assert_int_equal(run->s[i].state, ST_PAUSED);
		if (run->s[i].force_n > 0.0)
			off_ms = i - pause_at + 1;
		if (i >= pause_at + 500)
			paused_force = fmax(paused_force, run->s[i].force_n);
	}
	/* after the resume the hold goes on where it was, at its force, on the point */
	double back_n = run->s[resume_at + 3000].force_n;
	printf("chair pause: off the body %zu ms after it, at most %.3f N from 0.5 s on; 3 s after "
	       "resuming %.2f N (target %.1f N); run %zu ticks for a plan of %llu ms\n",
	       off_ms, paused_force, back_n, target_n, run->end,
	       (unsigned long long)run->plan->total_ms);
	assert_true(off_ms <= 500);
	assert_true(paused_force == 0.0);
	assert_true(fabs(back_n - target_n) <= 0.10 * target_n);
	/* the pause does not count as program time */
	assert_true(llabs((long long)run->end - (long long)(run->plan->total_ms + 8000)) <= 1);
	close_run(run);
}

/* ---- durations ---- */

struct planned {
	uint64_t start_ms[64], dur_ms[64];
	double start_y_mm[64];
	uint32_t work_ms[64];
	bool works[64];
	int n;
};

static bool note_step(void *ctx, const struct plan_step *s, uint64_t start_ms, uint64_t dur_ms,
		      double a, double b)
{
	struct planned *pl = ctx;
	(void)b;
	if (plan_op_timed((enum plan_op)s->op) && pl->n < 64) {
		pl->start_ms[pl->n] = start_ms;
		pl->dur_ms[pl->n] = dur_ms;
		pl->start_y_mm[pl->n] = a;
		pl->work_ms[pl->n] = s->work_ms;
		pl->works[pl->n] = plan_op_works((enum plan_op)s->op);
		pl->n++;
	}
	return true;
}

/* Every step starts on the tick the plan says (plus what the executor waited for the
 * carriage before it), every working step works for exactly its work time, and the run
 * ends on the tick the plan's total (plus the waits) says; all within one tick. */
static void durations_on(uint64_t seed, double height_cm)
{
	struct run *run = open_person(seed, height_cm);
	load(run, "phase \"a\"\n"
		   "roll neck..sacrum speed 4 pressure 3 times 1\n"
		   "repeat 2\n"
		   "  trigger-point L4 pressure 5 ramp 3s hold 5s release 3s\n"
		   "  knead lower-back speed 4 for 7s\n"
		   "end\n"
		   "air calves, feet level 2 cycle 8s\n"
		   "shiatsu upper-back pressure 4 hold 2s for 20s\n"
		   "glide T1..L2 speed 4 pressure 3\n"
		   "stretch level 2 for 5s\n"
		   "pause 1500ms\n"
		   "knead-tap shoulders speed 5 for 6s\n"
		   "tap upper-back rate 5 for 4s\n");
	struct planned pl = {0};
	plan_walk(run->plan, UINT64_MAX, note_step, &pl);
	uint64_t t0 = rig_sim(run->r)->time_ms;
	run_plan(run, NULL);
	int k = 0, works = 0;
	long worst_start = 0, worst_work = 0;
	double worst_arrival = 0;
	for (size_t i = 0; i < run->end; i++) {
		if (!run->s[i].boundary)
			continue;
		assert_true(k < pl.n);
		/* the wait so far, as of the tick before this step began */
		long waited = i > 0 ? (long)run->s[i - 1].waited_ms : 0;
		long off = (long)i - (long)(pl.start_ms[k] + waited);
		if (labs(off) > labs(worst_start))
			worst_start = off;
		if (pl.works[k]) {
			size_t w, to;
			assert_true(work_window(run, works++, &w, &to));
			long d = (long)(to - w) - (long)pl.work_ms[k];
			if (labs(d) > labs(worst_work))
				worst_work = d;
			/* the move really got there: the truth when the roller starts out */
			size_t a = i;
			while (a < run->end && run->s[a].part == PART_MOVE)
				a++;
			worst_arrival = fmax(worst_arrival, fabs(run->s[a].y_mm - pl.start_y_mm[k]));
		}
		k++;
	}
	long run_off = (long)run->end - (long)(run->plan->total_ms + run->waited_ms);
	printf("durations, %.0f cm person: %d steps, step starts within %ld ticks of the plan, "
	       "work times within %ld ticks, carriage within %.2f mm of each step's start when "
	       "the roller came out; run %zu ticks for a plan of %llu ms + %llu ms waited (%+ld), "
	       "then %llu ms to finish\n",
	       rig_sim(run->r)->person.height_cm, k, worst_start, worst_work, worst_arrival, run->end,
	       (unsigned long long)run->plan->total_ms, (unsigned long long)run->waited_ms, run_off,
	       (unsigned long long)(rig_sim(run->r)->time_ms - t0 - run->end - 1));
	assert_int_equal(k, pl.n);
	assert_true(labs(worst_start) <= 1);
	assert_true(labs(worst_work) <= 1);
	assert_true(labs(run_off) <= 1);
	assert_true(worst_arrival <= EXEC_ARRIVE_MM);
	close_run(run);
}

static void test_steps_and_the_run_last_the_planned_time_within_one_tick(void **state)
{
	(void)state;
	durations_on(0, 0);
	durations_on(21, 150);
	durations_on(22, 200);
}

/* ---- depth ---- */

static void test_depth_level_puts_the_roller_four_mm_a_level_past_the_skin(void **state)
{
	(void)state;
	for (int level = 1; level <= 2; level++) {
		struct run *run = open_person(0, 0);
		char text[128];
		snprintf(text, sizeof(text), "knead lower-back depth %d for 20s\n", level);
		load(run, text);
		run_plan(run, NULL);
		size_t w, to;
		assert_true(work_window(run, 0, &w, &to));
		const double want = rig_sim(run->r)->person.skin_gap_mm + 4.0 * level;
		double worst = 0, fmin_n = 1e9;
		for (size_t i = w + 1000; i < to; i++) {
			worst = fmax(worst, fabs(run->s[i].z_mm - want));
			fmin_n = fmin(fmin_n, run->s[i].force_n);
		}
		printf("depth %d: roller within %.2f mm of %.1f mm (skin + %d mm), contact at least "
		       "%.1f N\n",
		       level, worst, want, 4 * level, fmin_n);
		assert_true(worst <= 0.5);
		assert_true(fmin_n > 0);
		close_run(run);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_trigger_point_ramps_holds_within_10_percent_releases_and_stays_on_the_point, close_current),
		cmocka_unit_test_teardown(test_trigger_point_reaches_and_holds_every_pressure_level, close_current),
		cmocka_unit_test_teardown(test_glide_speed_is_within_10_percent_of_its_level, close_current),
		cmocka_unit_test_teardown(test_knead_motor_turns_at_its_level_while_the_carriage_works_the_zone, close_current),
		cmocka_unit_test_teardown(test_tap_and_knead_tap_stroke_rate_is_within_10_percent, close_current),
		cmocka_unit_test_teardown(test_roll_sweep_frequency_is_within_10_percent, close_current),
		cmocka_unit_test_teardown(test_shiatsu_presses_holds_and_releases_at_successive_points, close_current),
		cmocka_unit_test_teardown(test_air_zones_fill_in_sequence_with_the_cycle_time, close_current),
		cmocka_unit_test_teardown(test_heat_reaches_its_set_point_and_stays_below_41c, close_current),
		cmocka_unit_test_teardown(test_recline_presets_reach_their_angles, close_current),
		cmocka_unit_test_teardown(test_stretch_reclines_and_squeezes_the_limbs_at_its_level_then_returns_to_the_preset, close_current),
		cmocka_unit_test_teardown(test_pause_statement_takes_the_rollers_off_and_keeps_the_carriage_still, close_current),
		cmocka_unit_test_teardown(test_chair_pause_keeps_the_rollers_off_the_body_and_resume_goes_on, close_current),
		cmocka_unit_test_teardown(test_steps_and_the_run_last_the_planned_time_within_one_tick, close_current),
		cmocka_unit_test_teardown(test_depth_level_puts_the_roller_four_mm_a_level_past_the_skin, close_current),
	};
	return cmocka_run_group_tests_name("technique_sim", tests, NULL, NULL);
}
