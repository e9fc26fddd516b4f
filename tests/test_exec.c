/* The executor measured on a kinematic stand-in of the chair: the carriage follows its
 * target at the requested speed, force and motor speeds follow theirs with a first-order
 * lag. Trigger-point force reaches its target by the end of the ramp, holds within 10 %,
 * is gone by the end of the release, with the carriage within 3 mm of the point; glide
 * speed, knead, tap and roll frequencies are within 10 % of their levels; steps and runs
 * last what the plan says to within one tick; exec_step never allocates. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../controller/interp/gen.h"
#include "../controller/interp/interp.h"

/* ---- allocation counting (tests/test_exec.ldflags wraps the allocator) ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

static int counting;
static unsigned long allocations;

void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size)
{
	allocations += counting;
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
	allocations += counting;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size)
{
	allocations += counting;
	return __real_realloc(p, size);
}

/* ---- the stand-in chair ---- */

#define CAP_N 100.0
#define FORCE_TAU_S 0.05
#define MOTOR_TAU_S 0.10

struct standin {
	double y_mm, force_n, knead_rpm, tap_rpm;
	double speed_share; /* of the requested carriage speed the carriage manages */
	double knead_rev, tap_strokes; /* integrated */
};

static void standin_step(struct standin *c, const struct motion_targets *t, double dt_s)
{
	double v = (t->y_speed_mm_s > 0 ? t->y_speed_mm_s : 80.0) * c->speed_share;
	double dy = t->y_mm - c->y_mm, max_dy = v * dt_s;
	c->y_mm += dy > max_dy ? max_dy : dy < -max_dy ? -max_dy : dy;
	double target_n = t->z_mode == Z_FORCE ? t->z_force_n
			  : t->z_mode == Z_DEPTH ? 2.0 * (t->z_depth_mm - 20.0) : 0.0;
	if (target_n < 0)
		target_n = 0;
	c->force_n += (target_n - c->force_n) * dt_s / FORCE_TAU_S;
	c->knead_rpm += (t->knead_rpm - c->knead_rpm) * dt_s / MOTOR_TAU_S;
	c->tap_rpm += (t->tap_rpm - c->tap_rpm) * dt_s / MOTOR_TAU_S;
	c->knead_rev += fabs(c->knead_rpm) / 60.0 * dt_s;
	c->tap_strokes += c->tap_rpm / 60.0 * dt_s;
}

static struct interp_limits lim;
static struct body_map body;

/* Program text to a plan resolved for the default body, carriage starting at start_y. */
static struct plan *load(const char *body_text, double start_y_mm)
{
	char src[4096];
	snprintf(src, sizeof(src), "program \"t\"\nlevel deep\n%s", body_text);
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, "t.prog");
	struct plan *compiled = NULL, *p = NULL;
	int rc = interp_load(src, strlen(src), "t.prog", &lim, d, &compiled);
	if (rc != 0)
		interp_diags_print(d, stderr);
	assert_int_equal(rc, 0);
	free(d);
	char err[256];
	assert_int_equal(plan_resolve(compiled, &body, CAP_N, start_y_mm, &p, err, sizeof(err)), 0);
	plan_free(compiled);
	return p;
}

/* One record per tick of what the stand-in did. */
struct trace {
	size_t n;
	double *y_mm, *force_n, *knead_rpm, *tap_rpm;
	uint32_t *step;
	struct motion_targets last;
};

static void trace_free(struct trace *tr)
{
	free(tr->y_mm);
	free(tr->force_n);
	free(tr->knead_rpm);
	free(tr->tap_rpm);
	free(tr->step);
}

/* Run p to its end with period_s ticks; the number of RUNNING ticks is tr->n. */
static void run(const struct plan *p, double period_s, struct standin *c, struct trace *tr)
{
	size_t cap = (size_t)(p->total_ms / (period_s * 1000.0)) + 100000;
	memset(tr, 0, sizeof(*tr));
	tr->y_mm = malloc(cap * sizeof(double));
	tr->force_n = malloc(cap * sizeof(double));
	tr->knead_rpm = malloc(cap * sizeof(double));
	tr->tap_rpm = malloc(cap * sizeof(double));
	tr->step = malloc(cap * sizeof(uint32_t));
	struct exec e;
	exec_start(&e, p);
	struct motion_targets t;
	for (;;) {
		struct exec_feedback fb = {c->y_mm, 0, c->force_n, period_s};
		if (exec_step(&e, &fb, &t) != EXEC_RUNNING)
			break;
		assert_true(tr->n < cap);
		standin_step(c, &t, period_s);
		tr->y_mm[tr->n] = c->y_mm;
		tr->force_n[tr->n] = c->force_n;
		tr->knead_rpm[tr->n] = c->knead_rpm;
		tr->tap_rpm[tr->n] = c->tap_rpm;
		tr->step[tr->n] = e.step;
		tr->n++;
		tr->last = t;
	}
	assert_int_equal(e.status, EXEC_DONE);
}

/* Tick at which the work of the first working step starts (move + approach done). */
static size_t work_start_tick(const struct plan *p, double start_y_mm)
{
	const struct plan_step *s = &p->steps[0];
	for (uint32_t i = 0; !plan_op_works((enum plan_op)s->op); i++)
		s = &p->steps[i + 1];
	return plan_move_ms(p, start_y_mm, s->y_from_mm) + plan_approach_ms(p);
}

static void test_trigger_point_force_ramps_holds_and_releases_on_the_point(void **state)
{
	(void)state;
	const double point_mm = body.y_mm[BODY_L4];
	/* From the top of the track: the carriage must get there and settle first. */
	struct plan *p = load("trigger-point L4 pressure 6 ramp 8s hold 45s release 8s\n", 0.0);
	struct standin c = {.speed_share = 1.0};
	struct trace tr;
	run(p, 0.001, &c, &tr);
	const double target_n = 0.6 * CAP_N;
	size_t w = work_start_tick(p, 0.0);
	size_t ramp_end = w + 8000, hold_end = ramp_end + 45000, release_end = hold_end + 8000;
	assert_true(tr.n >= release_end - 1 && tr.n <= release_end + 1);
	assert_true(fabs(tr.force_n[ramp_end - 1] - target_n) <= 0.10 * target_n);
	for (size_t i = ramp_end; i < hold_end; i++)
		assert_true(fabs(tr.force_n[i] - target_n) <= 0.10 * target_n);
	assert_true(tr.force_n[tr.n - 1] < 0.01 * target_n);
	for (size_t i = w; i < tr.n; i++)
		assert_true(fabs(tr.y_mm[i] - point_mm) <= 3.0);
	/* and no force at all before the carriage is on the point */
	for (size_t i = 0; i < tr.n && fabs(tr.y_mm[i] - point_mm) > 3.0; i++)
		assert_true(tr.force_n[i] < 0.5);
	trace_free(&tr);
	plan_free(p);
}

static void test_trigger_point_at_every_pressure_level_reaches_its_force(void **state)
{
	(void)state;
	for (int level = 1; level <= 10; level++) {
		char src[128];
		snprintf(src, sizeof(src), "trigger-point T7 pressure %d ramp 3s hold 5s release 3s\n",
			 level);
		struct plan *p = load(src, body.y_mm[BODY_T7]);
		struct standin c = {.y_mm = body.y_mm[BODY_T7], .speed_share = 1.0};
		struct trace tr;
		run(p, 0.001, &c, &tr);
		size_t ramp_end = work_start_tick(p, body.y_mm[BODY_T7]) + 3000;
		double target_n = level * CAP_N / 10.0;
		assert_true(fabs(tr.force_n[ramp_end - 1] - target_n) <= 0.10 * target_n);
		assert_true(tr.force_n[tr.n - 1] < 0.01 * target_n);
		trace_free(&tr);
		plan_free(p);
	}
}

/* Mean carriage speed over the middle 80 % of [from, to). */
static double mean_speed(const struct trace *tr, size_t from, size_t to, double dt_s)
{
	size_t a = from + (to - from) / 10, b = to - (to - from) / 10;
	return fabs(tr->y_mm[b] - tr->y_mm[a]) / ((double)(b - a) * dt_s);
}

static void test_glide_speed_is_within_ten_percent_of_its_level(void **state)
{
	(void)state;
	for (int level = 1; level <= 10; level++) {
		char src[128];
		snprintf(src, sizeof(src), "glide shoulders..sacrum speed %d pressure 4\n", level);
		double start_mm = body.span_start_mm[BODY_SHOULDERS];
		struct plan *p = load(src, start_mm);
		struct standin c = {.y_mm = start_mm, .speed_share = 1.0};
		struct trace tr;
		run(p, 0.001, &c, &tr);
		size_t w = work_start_tick(p, start_mm);
		double want = interp_glide_mm_s(&lim, level);
		double got = mean_speed(&tr, w, tr.n, 0.001);
		assert_true(fabs(got - want) <= 0.10 * want);
		/* one stroke, end to end, under force */
		assert_true(fabs(tr.y_mm[tr.n - 1] - body.span_end_mm[BODY_SACRUM]) < 1.0);
		assert_true(fabs(tr.force_n[(w + tr.n) / 2] - 40.0) < 4.0);
		trace_free(&tr);
		plan_free(p);
	}
	/* the documented mapping: level 1 about 5 mm/s, level 10 about 30 mm/s */
	assert_true(fabs(interp_glide_mm_s(&lim, 1) - 5.0) < 0.5);
	assert_true(fabs(interp_glide_mm_s(&lim, 10) - 30.0) < 0.5);
}

static void test_knead_frequency_is_within_ten_percent_and_width_is_honoured(void **state)
{
	(void)state;
	for (int level = 1; level <= 10; level += 3) {
		char src[128];
		snprintf(src, sizeof(src), "knead lower-back width wide speed %d pressure 4 for 1m\n",
			 level);
		double start_mm = body.span_start_mm[BODY_LOWER_BACK];
		struct plan *p = load(src, start_mm);
		struct standin c = {.y_mm = start_mm, .speed_share = 1.0};
		struct trace tr;
		run(p, 0.001, &c, &tr);
		assert_true(fabs(tr.last.width_mm - 140.0) < 1e-9);
		size_t w = work_start_tick(p, start_mm);
		double rev = 0;
		for (size_t i = w; i < tr.n; i++)
			rev += fabs(tr.knead_rpm[i]) / 60.0 * 0.001;
		double hz = rev / ((tr.n - w) * 0.001), want = 6.0 * level / 60.0;
		assert_true(fabs(hz - want) <= 0.10 * want);
		/* the carriage works through the zone, slowly */
		double lo = 1e9, hi = -1e9;
		for (size_t i = w; i < tr.n; i++) {
			lo = fmin(lo, tr.y_mm[i]);
			hi = fmax(hi, tr.y_mm[i]);
		}
		assert_true(lo <= body.span_start_mm[BODY_LOWER_BACK] + 1.0);
		assert_true(hi >= body.span_end_mm[BODY_LOWER_BACK] - 1.0);
		trace_free(&tr);
		plan_free(p);
	}
}

static void test_tap_and_knead_tap_stroke_rate_is_within_ten_percent(void **state)
{
	(void)state;
	const char *src[] = {"tap upper-back rate %d pressure 3 for 30s\n",
			     "knead-tap upper-back speed %d pressure 3 for 30s\n"};
	for (int k = 0; k < 2; k++) {
		for (int level = 1; level <= 10; level += 3) {
			char text[128];
			snprintf(text, sizeof(text), src[k], level);
			double start_mm = body.span_start_mm[BODY_UPPER_BACK];
			struct plan *p = load(text, start_mm);
			struct standin c = {.y_mm = start_mm, .speed_share = 1.0};
			struct trace tr;
			run(p, 0.001, &c, &tr);
			size_t w = work_start_tick(p, start_mm);
			double strokes = 0;
			for (size_t i = w; i < tr.n; i++)
				strokes += tr.tap_rpm[i] / 60.0 * 0.001;
			double hz = strokes / ((tr.n - w) * 0.001), want = 1.2 * level;
			assert_true(fabs(hz - want) <= 0.10 * want);
			trace_free(&tr);
			plan_free(p);
		}
	}
}

static void test_roll_sweep_frequency_is_within_ten_percent(void **state)
{
	(void)state;
	for (int level = 1; level <= 10; level += 3) {
		char src[128];
		snprintf(src, sizeof(src), "roll upper-back..mid-back speed %d pressure 3 for 5m\n", level);
		double start_mm = body.span_start_mm[BODY_UPPER_BACK];
		struct plan *p = load(src, start_mm);
		struct standin c = {.y_mm = start_mm, .speed_share = 1.0};
		struct trace tr;
		run(p, 0.001, &c, &tr);
		size_t w = work_start_tick(p, start_mm);
		/* count the turns at the bottom of the zone */
		int turns = 0;
		size_t first = 0, last = 0;
		for (size_t i = w + 1; i + 1 < tr.n; i++) {
			if (tr.y_mm[i] > tr.y_mm[i - 1] && tr.y_mm[i + 1] <= tr.y_mm[i]) {
				if (!turns)
					first = i;
				last = i;
				turns++;
			}
		}
		double length_mm = body.span_end_mm[BODY_MID_BACK] - body.span_start_mm[BODY_UPPER_BACK];
		double want = interp_carriage_mm_s(&lim, level) / (2.0 * length_mm);
		assert_true(turns >= 2);
		double hz = (turns - 1) / ((last - first) * 0.001);
		assert_true(fabs(hz - want) <= 0.10 * want);
		trace_free(&tr);
		plan_free(p);
	}
}

static void test_roll_times_makes_that_many_sweeps(void **state)
{
	(void)state;
	double start_mm = body.span_start_mm[BODY_SHOULDERS];
	struct plan *p = load("roll shoulders..mid-back speed 5 depth 2 times 3\n", start_mm);
	struct standin c = {.y_mm = start_mm, .speed_share = 1.0};
	struct trace tr;
	run(p, 0.001, &c, &tr);
	int turns = 0;
	for (size_t i = 1; i + 1 < tr.n; i++)
		turns += tr.y_mm[i] > tr.y_mm[i - 1] && tr.y_mm[i + 1] <= tr.y_mm[i];
	assert_int_equal(turns, 3);
	assert_true(fabs(tr.y_mm[tr.n - 1] - start_mm) < 1.0);
	trace_free(&tr);
	plan_free(p);
}

static void test_shiatsu_presses_holds_and_steps_through_the_zone(void **state)
{
	(void)state;
	double start_mm = body.span_start_mm[BODY_MID_BACK];
	struct plan *p = load("shiatsu mid-back pressure 5 hold 4s for 1m\n", start_mm);
	struct standin c = {.y_mm = start_mm, .speed_share = 1.0};
	struct trace tr;
	run(p, 0.001, &c, &tr);
	/* points held at full force, each a step apart */
	double held[64];
	int n = 0;
	for (size_t i = 1; i < tr.n && n < 64; i++) {
		bool holding = fabs(tr.force_n[i] - 50.0) < 2.0;
		if (holding && (n == 0 || fabs(tr.y_mm[i] - held[n - 1]) > 10.0))
			held[n++] = tr.y_mm[i];
	}
	assert_true(n >= 4);
	for (int k = 1; k < n; k++)
		assert_true(fabs(fabs(held[k] - held[k - 1]) - 40.0) < 8.0);
	/* and between points the roller lets go down to a light touch */
	double low = 1e9;
	for (size_t i = work_start_tick(p, start_mm); i < tr.n; i++)
		low = fmin(low, tr.force_n[i]);
	assert_true(low < GEN_TOUCH_N + 0.5);
	trace_free(&tr);
	plan_free(p);
}

/* The ticks each step took against the plan's own account of it. */
struct step_times {
	uint64_t start_ms[64], dur_ms[64];
	int n;
};

static bool note_step(void *ctx, const struct plan_step *s, uint64_t start_ms, uint64_t dur_ms,
		      double a, double b)
{
	struct step_times *st = ctx;
	(void)a;
	(void)b;
	if (plan_op_timed((enum plan_op)s->op) && st->n < 64) {
		st->start_ms[st->n] = start_ms;
		st->dur_ms[st->n++] = dur_ms;
	}
	return true;
}

static void durations_within_one_tick(double period_s)
{
	const char *prog = "phase \"a\"\n"
			   "roll neck..sacrum speed 4 pressure 3 times 1\n"
			   "repeat 2\n"
			   "  trigger-point L4 pressure 5 ramp 3s hold 5s release 3s\n"
			   "  knead lower-back speed 4 for 7s\n"
			   "end\n"
			   "air calves, feet level 2 cycle 8s\n"
			   "glide T1..L2 speed 4 pressure 3\n"
			   "stretch level 2 for 5s\n"
			   "pause 1500ms\n"
			   "tap upper-back rate 5 for 4s\n";
	struct plan *p = load(prog, 0.0);
	struct standin c = {.speed_share = 1.0};
	struct trace tr;
	run(p, period_s, &c, &tr);
	double ticks_per_ms = 1.0 / (period_s * 1000.0);
	assert_true(fabs(tr.n - p->total_ms * ticks_per_ms) <= 1.0);

	struct step_times st = {0};
	plan_walk(p, UINT64_MAX, note_step, &st);
	/* a step starts on the tick its planned start falls in */
	int k = 0;
	for (size_t i = 1; i < tr.n && k + 1 < st.n; i++) {
		if (tr.step[i] != tr.step[i - 1]) {
			k++;
			assert_true(fabs(i - st.start_ms[k] * ticks_per_ms) <= 1.0);
		}
	}
	assert_int_equal(k + 1, st.n);
	trace_free(&tr);
	plan_free(p);
}

static void test_steps_and_runs_last_the_planned_time_within_one_tick(void **state)
{
	(void)state;
	durations_within_one_tick(0.001);
	durations_within_one_tick(0.002);
	durations_within_one_tick(0.0007);
}

static void test_executor_never_allocates(void **state)
{
	(void)state;
	struct plan *p = load("roll shoulders..sacrum speed 5 times 1\n"
			      "repeat 2\n  trigger-point L3 pressure 5 ramp 2s hold 2s release 2s\nend\n"
			      "air calves level 2\nheat lumbar on 38c\nrecline relax\n"
			      "knead lower-back for 3s\nstretch for 2s\npause 1s\n",
			      0.0);
	struct standin c = {.speed_share = 1.0};
	struct exec e;
	struct motion_targets t;
	allocations = 0;
	counting = 1;
	exec_start(&e, p);
	unsigned long steps = 0;
	for (;;) {
		struct exec_feedback fb = {c.y_mm, 0, c.force_n, 0.001};
		if (exec_step(&e, &fb, &t) != EXEC_RUNNING)
			break;
		standin_step(&c, &t, 0.001);
		steps++;
	}
	exec_phase_name(&e);
	exec_elapsed_ms(&e);
	counting = 0;
	assert_true(steps > 10000);
	assert_int_equal(allocations, 0);
	plan_free(p);
}

static void test_worst_step_is_bounded(void **state)
{
	(void)state;
	/* many zero-time statements between timed ones, loops in loops */
	struct plan *p = load("repeat 3\n repeat 3\n  air calves level 1\n  heat all on 38c\n"
			      "  recline relax\n  repeat 2\n   pause 100ms\n   air off\n  end\n"
			      "  heat off\n end\n air feet level 2\nend\nknead L4 for 1s\n",
			      0.0);
	struct standin c = {.speed_share = 1.0};
	struct exec e;
	struct motion_targets t;
	exec_start(&e, p);
	/* Every tick ends on a timed step: the zero-time ones before it all ran in that tick
	 * (at most the run of them bounded below), none is left for the next. The cost in
	 * time is bench/exec_cost.c's (exec_tick_worst_ns). */
	uint64_t ticks = 0;
	for (;;) {
		struct exec_feedback fb = {c.y_mm, 0, c.force_n, 0.001};
		enum exec_status s = exec_step(&e, &fb, &t);
		if (s != EXEC_RUNNING)
			break;
		assert_true(plan_op_timed((enum plan_op)p->steps[e.step].op));
		standin_step(&c, &t, 0.001);
		ticks++;
	}
	assert_int_equal(ticks, p->total_ms + e.delay_ns / 1000000u);
	/* compiled away: a loop whose body takes no time, and merged modal statements */
	int zero_run = 0, worst_zero_run = 0;
	for (uint32_t i = 0; i < p->step_count; i++) {
		zero_run = plan_op_timed((enum plan_op)p->steps[i].op) ? 0 : zero_run + 1;
		if (zero_run > worst_zero_run)
			worst_zero_run = zero_run;
	}
	assert_true(worst_zero_run <= 2 * PLAN_REPEAT_DEPTH_MAX + 1);
	plan_free(p);
}

static void test_modal_air_heat_and_recline_run_alongside_and_end_with_the_program(void **state)
{
	(void)state;
	/* two zones at level 5 need at least 2 x 6.7 s (checked): 20 s, 10 s a zone */
	struct plan *p = load("air calves, feet level 5 cycle 20s\nheat lumbar on 39c\n"
			      "recline zero-gravity\npause 20s\n",
			      0.0);
	struct exec e;
	struct motion_targets t;
	exec_start(&e, p);
	struct exec_feedback fb = {0, 0, 0, 0.001};
	int calves_ms = 0, feet_ms = 0, both_ms = 0;
	for (int i = 0; i < 20000; i++) {
		assert_int_equal(exec_step(&e, &fb, &t), EXEC_RUNNING);
		assert_int_equal(t.recline, RECLINE_ZERO_GRAVITY);
		assert_true(t.heat_c[HAL_HEATER_LUMBAR] == 39.0 && t.heat_c[HAL_HEATER_CALVES] == 0.0);
		assert_int_equal(t.z_mode, Z_RETRACT);
		bool cal = t.airbag_kpa[HAL_AIRBAG_CALVES] == 40.0, ft = t.airbag_kpa[HAL_AIRBAG_FEET] == 40.0;
		calves_ms += cal;
		feet_ms += ft;
		both_ms += cal && ft;
		assert_true(t.airbag_kpa[HAL_AIRBAG_SEAT] == 0.0);
	}
	/* zones one after the other, half the cycle each */
	assert_int_equal(both_ms, 0);
	assert_int_equal(calves_ms, 10000);
	assert_int_equal(feet_ms, 10000);
	assert_int_equal(exec_step(&e, &fb, &t), EXEC_DONE);
	assert_true(t.heat_c[0] == 0.0 && t.airbag_kpa[HAL_AIRBAG_CALVES] == 0.0);
	assert_int_equal(t.recline, RECLINE_HOLD);
	plan_free(p);
}

/* docs/programs.md: the squeeze fills the four limb zones together from the one pump
 * (they share it), then holds; at least 8 s. Let go 4 s (more if the vent needed it). */
static uint32_t stretch_squeeze_ms_for(int level)
{
	double kpa = lim.airbag_max_kpa * level / 5.0;
	double fill_ms = 4.0 * kpa / lim.pump_kpa_s * 1000.0;
	uint32_t ms = (uint32_t)ceil(fill_ms - 1e-6) + 4000u;
	return ms > 8000u ? ms : 8000u;
}

static void test_stretch_reclines_and_squeezes_then_comes_back_up(void **state)
{
	(void)state;
	/* the formula on the reference chair: 8 s (level 1, 3.2 s of filling + the hold is
	 * less than the least squeeze), 10.4, 13.6, 16.8 and 20 s (level 5: 4 x 40 kPa at
	 * 10 kPa/s = 16 s, + 4 s) */
	const uint32_t squeeze_ms[] = {8000, 10400, 13600, 16800, 20000};
	for (int level = 1; level <= 5; level++) {
		assert_int_equal(stretch_squeeze_ms_for(level), squeeze_ms[level - 1]);
		assert_int_equal(gen_stretch_squeeze_ms(&lim, level * 8.0), squeeze_ms[level - 1]);
		assert_int_equal(gen_stretch_cycle_ms(&lim, level * 8.0), squeeze_ms[level - 1] + 4000);
	}
	for (int level = 1; level <= 5; level += 2) {
		char src[64];
		snprintf(src, sizeof(src), "stretch level %d for 30s\npause 1s\n", level);
		struct plan *p = load(src, 0.0);
		const struct plan_step *st = &p->steps[0];
		const double kpa = level * 8.0;
		const uint32_t squeeze = stretch_squeeze_ms_for(level), cycle = squeeze + 4000u;
		assert_int_equal(st->op, PLAN_STRETCH);
		assert_true(st->stretch_kpa == kpa);
		assert_int_equal(st->stretch_squeeze_ms, squeeze);
		assert_int_equal(st->stretch_cycle_ms, cycle);
		/* the stretch takes exactly its time, whatever its cycle */
		assert_int_equal(p->total_ms, 31000);
		struct exec e;
		struct motion_targets t;
		exec_start(&e, p);
		struct exec_feedback fb = {0, 0, 0, 0.001};
		int squeezing = 0, want = 0;
		for (int i = 0; i < 30000; i++) {
			assert_int_equal(exec_step(&e, &fb, &t), EXEC_RUNNING);
			assert_int_equal(t.recline, RECLINE_ZERO_GRAVITY);
			assert_int_equal(t.z_mode, Z_RETRACT);
			bool on = (uint32_t)i % cycle < squeeze;
			/* all four limbs together, at the level's pressure or let go */
			for (int z = 0; z < HAL_AIRBAG_COUNT; z++) {
				bool limb = z == HAL_AIRBAG_SHOULDERS || z == HAL_AIRBAG_ARMS ||
					    z == HAL_AIRBAG_CALVES || z == HAL_AIRBAG_FEET;
				assert_true(t.airbag_kpa[z] == (limb && on ? kpa : 0.0));
			}
			squeezing += t.airbag_kpa[HAL_AIRBAG_CALVES] == kpa;
			want += on;
		}
		assert_int_equal(squeezing, want);
		/* level 1: 8 s of every 12 as before; level 5: 20 s of 24, then 6 s again */
		if (level == 1)
			assert_int_equal(squeezing, 8000 + 8000 + 6000);
		if (level == 5)
			assert_int_equal(squeezing, 20000 + 6000);
		assert_int_equal(exec_step(&e, &fb, &t), EXEC_RUNNING);
		assert_int_equal(t.recline, RECLINE_UPRIGHT);
		plan_free(p);
	}
}

static void test_pause_takes_the_rollers_off_and_keeps_the_carriage(void **state)
{
	(void)state;
	struct plan *p = load("trigger-point L2 pressure 4 ramp 1s hold 1s release 1s\npause 2s\n",
			      body.y_mm[BODY_L2]);
	struct standin c = {.y_mm = body.y_mm[BODY_L2], .speed_share = 1.0};
	struct trace tr;
	run(p, 0.001, &c, &tr);
	size_t pause_start = tr.n - 2000;
	for (size_t i = pause_start; i < tr.n; i++)
		assert_true(fabs(tr.y_mm[i] - body.y_mm[BODY_L2]) < 0.5);
	assert_true(tr.force_n[tr.n - 1] < 0.01);
	assert_int_equal(tr.last.z_mode, Z_RETRACT);
	trace_free(&tr);
	plan_free(p);
}

static void test_repeat_runs_its_body_that_many_times(void **state)
{
	(void)state;
	struct plan *p = load("repeat 3\n  repeat 2\n    trigger-point L4 pressure 5 ramp 1s hold 1s release 1s\n"
			      "    pause 1s\n  end\nend\n",
			      body.y_mm[BODY_L4]);
	struct standin c = {.y_mm = body.y_mm[BODY_L4], .speed_share = 1.0};
	struct trace tr;
	run(p, 0.001, &c, &tr);
	int presses = 0;
	for (size_t i = 1; i < tr.n; i++)
		presses += tr.force_n[i] >= 45.0 && tr.force_n[i - 1] < 45.0;
	assert_int_equal(presses, 6);
	trace_free(&tr);
	plan_free(p);
}

static void test_a_slow_carriage_makes_the_run_wait_not_press_off_the_point(void **state)
{
	(void)state;
	struct plan *p = load("trigger-point L5 pressure 5 ramp 2s hold 3s release 2s\n", 0.0);
	struct standin c = {.speed_share = 0.5};
	struct trace tr;
	run(p, 0.001, &c, &tr);
	assert_true(tr.n > p->total_ms + 1000); /* it waited */
	for (size_t i = 0; i < tr.n; i++)
		if (tr.force_n[i] > 5.0)
			assert_true(fabs(tr.y_mm[i] - body.y_mm[BODY_L5]) <= 3.0);
	trace_free(&tr);
	plan_free(p);
}

/* A glide that ends the run: nothing after it would finish the stroke, so the run waits,
 * pressing, for a lagging carriage to reach the stroke's end (bounded), and counts the
 * wait in exec_total_ms. A glide with steps after it does not wait. */
static void glide_at_the_end(double share, const char *after, bool waits, bool reaches)
{
	char src[128];
	snprintf(src, sizeof(src), "glide L1..L5 speed 5 pressure 4\n%s", after);
	double start_mm = body.y_mm[BODY_L1];
	struct plan *p = load(src, start_mm);
	struct standin c = {.y_mm = start_mm, .speed_share = share};
	struct exec e;
	struct motion_targets t;
	exec_start(&e, p);
	uint64_t ticks = 0;
	double last_force = 0;
	for (;;) {
		struct exec_feedback fb = {c.y_mm, 0, c.force_n, 0.001};
		if (exec_step(&e, &fb, &t) != EXEC_RUNNING)
			break;
		standin_step(&c, &t, 0.001);
		last_force = c.force_n;
		ticks++;
		/* The plan's timeline grows with the waits it counts: the ticks run so far never
		 * pass the planned ticks plus the waits (simulated time, one tick a ms). */
		assert_true(ticks * 1000000u <= p->total_ms * 1000000u + e.delay_ns);
	}
	uint64_t waited_ms = e.delay_ns / 1000000u;
	assert_int_equal(ticks, p->total_ms + waited_ms);
	assert_int_equal(exec_elapsed_ms(&e), exec_total_ms(&e));
	if (!waits) {
		assert_int_equal(waited_ms, 0);
	} else if (reaches) {
		assert_true(waited_ms > 0 && waited_ms < EXEC_GLIDE_END_WAIT_MAX_MS);
		assert_true(fabs(c.y_mm - body.y_mm[BODY_L5]) <= EXEC_GLIDE_END_MM);
		assert_true(fabs(last_force - 40.0) < 4.0); /* still pressing at the end */
	} else {
		assert_int_equal(waited_ms, EXEC_GLIDE_END_WAIT_MAX_MS); /* bounded */
		assert_true(fabs(c.y_mm - body.y_mm[BODY_L5]) > EXEC_GLIDE_END_MM);
	}
	plan_free(p);
}

static void test_a_glide_that_ends_the_run_waits_for_the_carriage_at_its_end(void **state)
{
	(void)state;
	/* on time: nothing to wait for */
	glide_at_the_end(1.0, "", false, true);
	/* the carriage manages 0.7 x 1.25 of the stroke's speed: it trails by an eighth */
	glide_at_the_end(0.7, "", true, true);
	glide_at_the_end(0.7, "air off\nheat off\n", true, true);
	/* far behind: the wait gives up after EXEC_GLIDE_END_WAIT_MAX_MS */
	glide_at_the_end(0.2, "", true, false);
	/* more to do after it: the next step takes the carriage on; no wait here */
	glide_at_the_end(0.7, "pause 1s\n", false, true);
	/* inside a loop, only the last pass ends the run */
	struct plan *p = load("repeat 2\n  glide L1..L5 speed 5 pressure 4\nend\n",
			      body.y_mm[BODY_L1]);
	struct standin c = {.y_mm = body.y_mm[BODY_L1], .speed_share = 0.7};
	struct trace tr;
	run(p, 0.001, &c, &tr);
	assert_true(fabs(tr.y_mm[tr.n - 1] - body.y_mm[BODY_L5]) <= EXEC_GLIDE_END_MM);
	trace_free(&tr);
	plan_free(p);
}

static void test_progress_and_phase_names_follow_the_run(void **state)
{
	(void)state;
	struct plan *p = load("phase \"One\"\npause 1s\nphase \"Two\"\npause 2s\n", 0.0);
	struct exec e;
	struct motion_targets t;
	exec_start(&e, p);
	assert_string_equal(exec_phase_name(&e), "");
	assert_int_equal(exec_total_ms(&e), 3000);
	struct exec_feedback fb = {0, 0, 0, 0.001};
	exec_step(&e, &fb, &t);
	assert_string_equal(exec_phase_name(&e), "One");
	for (int i = 0; i < 1500; i++)
		exec_step(&e, &fb, &t);
	assert_string_equal(exec_phase_name(&e), "Two");
	assert_int_equal(exec_elapsed_ms(&e), 1501);
	plan_free(p);
}

static void test_unresolved_plan_leaves_the_executor_idle(void **state)
{
	(void)state;
	struct interp_diags *d = malloc(sizeof(*d));
	interp_diags_init(d, "t");
	struct plan *compiled;
	const char *src = "program \"t\"\npause 1s\n";
	assert_int_equal(interp_load(src, strlen(src), "t", &lim, d, &compiled), 0);
	struct exec e;
	struct motion_targets t;
	exec_start(&e, compiled);
	struct exec_feedback fb = {12.0, 0, 0, 0.001};
	assert_int_equal(exec_step(&e, &fb, &t), EXEC_IDLE);
	assert_int_equal(t.z_mode, Z_RETRACT);
	assert_true(t.y_mm == 12.0);
	exec_start(&e, NULL);
	assert_int_equal(exec_step(&e, &fb, &t), EXEC_IDLE);
	plan_free(compiled);
	free(d);
}

static int setup(void **state)
{
	(void)state;
	interp_limits_default(&lim);
	body_default(&body, &lim);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trigger_point_force_ramps_holds_and_releases_on_the_point),
		cmocka_unit_test(test_trigger_point_at_every_pressure_level_reaches_its_force),
		cmocka_unit_test(test_glide_speed_is_within_ten_percent_of_its_level),
		cmocka_unit_test(test_knead_frequency_is_within_ten_percent_and_width_is_honoured),
		cmocka_unit_test(test_tap_and_knead_tap_stroke_rate_is_within_ten_percent),
		cmocka_unit_test(test_roll_sweep_frequency_is_within_ten_percent),
		cmocka_unit_test(test_roll_times_makes_that_many_sweeps),
		cmocka_unit_test(test_shiatsu_presses_holds_and_steps_through_the_zone),
		cmocka_unit_test(test_steps_and_runs_last_the_planned_time_within_one_tick),
		cmocka_unit_test(test_executor_never_allocates),
		cmocka_unit_test(test_worst_step_is_bounded),
		cmocka_unit_test(test_modal_air_heat_and_recline_run_alongside_and_end_with_the_program),
		cmocka_unit_test(test_stretch_reclines_and_squeezes_then_comes_back_up),
		cmocka_unit_test(test_pause_takes_the_rollers_off_and_keeps_the_carriage),
		cmocka_unit_test(test_repeat_runs_its_body_that_many_times),
		cmocka_unit_test(test_a_slow_carriage_makes_the_run_wait_not_press_off_the_point),
		cmocka_unit_test(test_a_glide_that_ends_the_run_waits_for_the_carriage_at_its_end),
		cmocka_unit_test(test_progress_and_phase_names_follow_the_run),
		cmocka_unit_test(test_unresolved_plan_leaves_the_executor_idle),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
