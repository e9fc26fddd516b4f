/* The executor: walks the plan's step table on the tick's timeline and asks each
 * technique's generator (gen.c) for the targets of the moment. No allocation, no locks, no
 * system calls; at most PLAN_ZERO_STEPS_MAX zero-time steps and one generator call a tick. */
#include "exec.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "gen.h"
#include "plan.h"

_Static_assert(EXEC_LOOP_DEPTH == PLAN_REPEAT_DEPTH_MAX, "loop stack fits the deepest nesting");

#define NS_PER_MS 1000000ull

void exec_reset(struct exec *e)
{
	memset(e, 0, sizeof(*e));
	e->status = EXEC_IDLE;
	e->recline = RECLINE_HOLD;
}

void exec_start(struct exec *e, const struct plan *p)
{
	exec_reset(e);
	if (!p || !p->resolved)
		return;
	e->plan = p;
	e->status = EXEC_RUNNING;
	e->prev_end_y_mm = p->start_y_mm;
	e->plan_prev_end_y_mm = p->start_y_mm;
}

/* Ask for nothing: rollers off, motors still, airbags vented, heat off, carriage stays. */
static void rest(struct motion_targets *t, double y_mm)
{
	targets_rest(t, y_mm);
}

static void apply_modal(struct exec *e, const struct plan_modal *m, uint64_t now_ns)
{
	if (m->set & PLAN_SET_AIR) {
		e->air_mask = m->air_mask;
		e->air_cycle_ms = m->air_cycle_ms;
		e->air_kpa = m->air_kpa;
		e->air_start_ns = now_ns;
	}
	if (m->set & PLAN_SET_HEAT_LUMBAR)
		e->heat_c[HAL_HEATER_LUMBAR] = m->heat_c[HAL_HEATER_LUMBAR];
	if (m->set & PLAN_SET_HEAT_CALVES)
		e->heat_c[HAL_HEATER_CALVES] = m->heat_c[HAL_HEATER_CALVES];
	if (m->set & PLAN_SET_RECLINE)
		e->recline = (enum recline_preset)m->recline;
}

/* Run a zero-time step; false when the plan is malformed (the run then ends). */
static bool run_zero_step(struct exec *e, const struct plan_step *s, uint64_t now_ns)
{
	const struct plan *p = e->plan;
	switch ((enum plan_op)s->op) {
	case PLAN_MODAL:
		apply_modal(e, &s->modal, now_ns);
		e->step++;
		return true;
	case PLAN_REPEAT:
		if (e->loop_depth >= EXEC_LOOP_DEPTH || s->times == 0)
			return false;
		e->loop[e->loop_depth++] = (struct exec_loop){e->step, s->times - 1};
		e->step++;
		return true;
	case PLAN_END: {
		if (e->loop_depth == 0)
			return false;
		struct exec_loop *l = &e->loop[e->loop_depth - 1];
		if (l->remaining > 0 && l->repeat_step < p->step_count) {
			l->remaining--;
			e->step = l->repeat_step + 1;
		} else {
			e->loop_depth--;
			e->step++;
		}
		return true;
	}
	default:
		return false;
	}
}

/* Begin a timed step: how long its move, approach and work take from where we are. */
static void enter_step(struct exec *e, const struct plan_step *s)
{
	const struct plan *p = e->plan;
	e->in_step = true;
	e->step_ticks = 0;
	e->waited_ns = 0;
	e->end_waited_ns = 0;
	e->stay_ns = 0;
	e->stays = 0;
	e->end_now = false;
	e->skipped = false;
	e->phase = s->phase;
	e->step_start_ns = e->next_start_ns;
	e->start_y_mm = plan_step_start_y(s, e->prev_end_y_mm);
	e->end_y_mm = plan_step_end_y(s, e->prev_end_y_mm);
	if (plan_op_works((enum plan_op)s->op)) {
		e->move_ns = plan_move_ms(p, e->prev_end_y_mm, e->start_y_mm) * NS_PER_MS;
		e->approach_ns = plan_approach_ms(p) * NS_PER_MS;
		/* A stay or a skip before moved where this move starts: the run's end with it. */
		uint64_t planned_ns = plan_move_ms(p, e->plan_prev_end_y_mm, e->start_y_mm) * NS_PER_MS;
		e->shift_ns += (int64_t)e->move_ns - (int64_t)planned_ns;
	} else {
		e->move_ns = 0;
		e->approach_ns = 0;
	}
	e->plan_prev_end_y_mm = plan_step_end_y(s, e->plan_prev_end_y_mm);
	e->work_ns = (uint64_t)s->work_ms * NS_PER_MS;
	e->guided.phase = EXEC_GUIDED_NONE;
	if (s->op == PLAN_TRIGGER_POINT && s->guided) {
		e->guided = (struct exec_guided){.phase = EXEC_GUIDED_NONE, .top_n = s->force_n};
	}
}

/* The current step is a glide that ends the run (its last pass of every loop around it),
 * and the carriage still trails the stroke's end: nothing after it would finish the
 * stroke, so the run waits for the carriage, pressing, a bounded time. */
static bool glide_end_lags(const struct exec *e, const struct exec_feedback *fb)
{
	const struct plan *p = e->plan;
	if (e->step != p->last_timed_step || p->steps[e->step].op != PLAN_GLIDE)
		return false;
	if (fabs(fb->y_mm - e->end_y_mm) <= EXEC_GLIDE_END_MM ||
	    e->end_waited_ns >= (uint64_t)EXEC_GLIDE_END_WAIT_MAX_MS * NS_PER_MS)
		return false;
	for (int k = 0; k < e->loop_depth; k++)
		if (e->loop[k].remaining > 0)
			return false;
	return true;
}

/* Move on to the next timed step, running zero-time steps on the way; false at the end. */
static bool find_timed_step(struct exec *e, const struct exec_feedback *fb, uint64_t now_ns)
{
	const struct plan *p = e->plan;
	for (int guard = 0; guard <= PLAN_ZERO_STEPS_MAX; guard++) {
		if (e->in_step) {
			uint64_t end_ns = e->step_start_ns + e->move_ns + e->approach_ns + e->work_ns +
					  e->stay_ns;
			if (e->end_now && now_ns < end_ns) {
				/* Skipped, or a guided trigger point done early: the run ends
				 * sooner by what is left of the step. */
				e->shift_ns -= (int64_t)(end_ns - now_ns);
				end_ns = now_ns;
				if (e->skipped)
					e->end_y_mm = fb->y_mm;
			}
			if (now_ns < end_ns)
				return true;
			if (!e->end_now && glide_end_lags(e, fb)) {
				/* Hold the timeline, as a working step does for the carriage at
				 * its start: the end and the run's total move out by a tick. */
				e->step_start_ns += e->period_ns;
				e->end_waited_ns += e->period_ns;
				e->delay_ns += e->period_ns;
				return true;
			}
			e->in_step = false;
			e->guided.phase = EXEC_GUIDED_NONE;
			e->next_start_ns = end_ns;
			e->prev_end_y_mm = e->end_y_mm;
			e->step++;
			continue;
		}
		if (e->step >= p->step_count)
			return false;
		const struct plan_step *s = &p->steps[e->step];
		if (plan_op_timed((enum plan_op)s->op)) {
			enter_step(e, s);
			continue;
		}
		if (!run_zero_step(e, s, now_ns))
			return false;
	}
	/* Not reachable with a compiled plan; give the tick back rather than loop on. */
	return e->in_step;
}

/* The time into a step's work its generator is asked for: a stay adds time to the
 * technique's own cycle, and for a trigger point to its hold. */
static double gen_time_s(const struct exec *e, const struct plan_step *s, uint64_t work_into_ns)
{
	if (s->op == PLAN_TRIGGER_POINT && e->stay_ns > 0) {
		uint64_t hold_end_ns = (uint64_t)(s->ramp_ms + s->for_ms) * NS_PER_MS;
		if (work_into_ns > hold_end_ns)
			work_into_ns = work_into_ns < hold_end_ns + e->stay_ns ? hold_end_ns
									: work_into_ns - e->stay_ns;
	}
	return (double)work_into_ns / 1e9;
}

/* A guided trigger point's targets, work_into_ns into its work: the protocol of
 * struct exec_guided, one tick at a time. */
static void guided_targets(struct exec *e, const struct plan_step *s, uint64_t work_into_ns,
			   struct motion_targets *t)
{
	struct exec_guided *g = &e->guided;
	double dt_s = (double)e->period_ns * 1e-9;
	double start_n = gen_guided_start_n(s);
	t->y_mm = s->y_from_mm;
	t->y_speed_mm_s = 0.0; /* still: the carriage is on the point */
	t->z_mode = Z_FORCE;
	t->knead_rpm = 0.0;
	t->tap_rpm = 0.0;
	switch ((enum exec_guided_phase)g->phase) {
	case EXEC_GUIDED_NONE:
		g->phase = EXEC_GUIDED_RISING;
		g->rises = 1;
		g->at_top = false;
		g->there_n = 0.0;
		g->level_n = s->touch_force_n < g->top_n ? s->touch_force_n : g->top_n;
		g->since_ns = work_into_ns;
		break;
	case EXEC_GUIDED_RISING: {
		/* Up to `from` over the ramp, then slowly. */
		double rate_n_s = GEN_GUIDED_RISE_N_S;
		if (g->level_n < start_n && s->ramp_ms > 0)
			rate_n_s = (start_n - s->touch_force_n) / (s->ramp_ms * 1e-3 * GEN_SETTLE_SHARE);
		g->level_n += rate_n_s * dt_s;
		break;
	}
	case EXEC_GUIDED_HOLDING:
		if (work_into_ns - g->since_ns >= (uint64_t)s->for_ms * NS_PER_MS) {
			g->phase = EXEC_GUIDED_RELEASING;
			g->release_from_n = g->level_n;
			g->since_ns = work_into_ns;
		}
		break;
	case EXEC_GUIDED_RELEASING:
		break;
	}
	if (g->phase == EXEC_GUIDED_RISING && g->level_n >= g->top_n) {
		/* Never "there": it stops at its most and holds once. */
		g->level_n = g->top_n;
		g->phase = EXEC_GUIDED_HOLDING;
		g->at_top = true;
		g->since_ns = work_into_ns;
	}
	if (g->phase != EXEC_GUIDED_RELEASING) {
		t->z_force_n = g->level_n;
		return;
	}
	double into_s = (double)(work_into_ns - g->since_ns) * 1e-9;
	double release_s = s->release_ms * 1e-3;
	double fall_s = release_s * GEN_SETTLE_SHARE;
	if (into_s < fall_s) {
		t->z_force_n = g->release_from_n * (1.0 - into_s / fall_s);
	} else {
		t->z_mode = Z_RETRACT;
		t->z_force_n = 0.0;
		if (into_s >= release_s)
			e->end_now = true; /* done: the run goes on without the rest of its worst case */
	}
}

/* Targets of the current timed step at now_ns. */
static void step_targets(struct exec *e, const struct exec_feedback *fb, uint64_t now_ns,
			 struct motion_targets *t)
{
	const struct plan *p = e->plan;
	const struct plan_step *s = &p->steps[e->step];
	uint64_t into_ns = now_ns - e->step_start_ns;

	rest(t, e->start_y_mm);
	if (!plan_op_works((enum plan_op)s->op)) {
		if (s->op == PLAN_STRETCH) {
			gen_stretch(s, (double)into_ns / 1e9, t->airbag_kpa);
			t->recline = RECLINE_ZERO_GRAVITY;
		}
		return;
	}

	t->width_mm = s->width_mm;
	if (into_ns < e->move_ns) {
		t->y_speed_mm_s = p->lim.transit_mm_s;
		return;
	}
	/* Do not touch the body before the carriage is there: hold the timeline instead. */
	if (into_ns < e->move_ns + e->period_ns && fabs(fb->y_mm - e->start_y_mm) > EXEC_ARRIVE_MM &&
	    e->waited_ns < (uint64_t)EXEC_WAIT_MAX_MS * NS_PER_MS) {
		e->step_start_ns += e->period_ns;
		e->waited_ns += e->period_ns;
		e->delay_ns += e->period_ns;
		t->y_speed_mm_s = p->lim.transit_mm_s;
		return;
	}
	if (into_ns < e->move_ns + e->approach_ns) {
		if (s->z_kind == PLAN_Z_DEPTH) {
			t->z_mode = Z_DEPTH;
			t->z_depth_mm = s->touch_depth_mm;
		} else {
			t->z_mode = Z_FORCE;
			t->z_force_n = s->touch_force_n;
		}
		return;
	}
	uint64_t work_into_ns = into_ns - e->move_ns - e->approach_ns;
	if (s->op == PLAN_TRIGGER_POINT && s->guided) {
		guided_targets(e, s, work_into_ns, t);
		return;
	}
	gen_work(s, gen_time_s(e, s, work_into_ns), t);
}

enum exec_status exec_step(struct exec *e, const struct exec_feedback *fb,
			   struct motion_targets *t)
{
	if (e->status != EXEC_RUNNING) {
		rest(t, fb->y_mm);
		return e->status;
	}
	if (e->period_ns == 0) {
		double period_ns = fb->period_s * 1e9;
		e->period_ns = period_ns >= 1.0 && period_ns < 1e9 ? (uint64_t)llround(period_ns)
								: NS_PER_MS;
	}
	uint64_t now_ns = e->elapsed_ticks * e->period_ns;
	if (!find_timed_step(e, fb, now_ns)) {
		e->status = EXEC_DONE;
		rest(t, fb->y_mm);
		return EXEC_DONE;
	}

	step_targets(e, fb, now_ns, t);
	if (t->z_mode == Z_FORCE)
		t->z_search_mm = e->plan->body.skin_gap_mm + EXEC_SEARCH_MM;
	const struct plan_step *s = &e->plan->steps[e->step];
	if (s->op != PLAN_STRETCH) {
		struct plan_modal air = {.air_mask = e->air_mask, .air_cycle_ms = e->air_cycle_ms,
					 .air_kpa = e->air_kpa};
		gen_air(&air, (double)(now_ns - e->air_start_ns) / 1e9, t->airbag_kpa);
		t->recline = e->recline;
	} else if (e->recline == RECLINE_HOLD) {
		/* After a stretch the backrest comes back up unless the program chose a preset. */
		e->recline = RECLINE_UPRIGHT;
	}
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		t->heat_c[h] = e->heat_c[h];

	e->step_ticks++;
	e->elapsed_ticks++;
	return EXEC_RUNNING;
}

const char *exec_phase_name(const struct exec *e)
{
	if (!e->plan || e->phase >= e->plan->phase_count)
		return "";
	return e->plan->phase_names[e->phase];
}

uint64_t exec_elapsed_ms(const struct exec *e)
{
	return e->elapsed_ticks * e->period_ns / NS_PER_MS;
}

uint64_t exec_total_ms(const struct exec *e)
{
	if (!e->plan)
		return 0;
	int64_t total_ns = (int64_t)(e->plan->total_ms * NS_PER_MS + e->delay_ns) + e->shift_ns;
	return total_ns > 0 ? (uint64_t)total_ns / NS_PER_MS : 0;
}

/* The current step's time into its work, or false before its work has begun. */
static bool work_now_ns(const struct exec *e, uint64_t *ns)
{
	uint64_t now_ns = e->elapsed_ticks * e->period_ns;
	uint64_t begin_ns = e->step_start_ns + e->move_ns + e->approach_ns;
	if (!e->in_step || now_ns < begin_ns)
		return false;
	*ns = now_ns - begin_ns;
	return true;
}

int exec_stay(struct exec *e, uint64_t room_ms)
{
	if (e->status != EXEC_RUNNING || !e->in_step || e->end_now)
		return -EPERM;
	const struct plan_step *s = &e->plan->steps[e->step];
	if (!plan_op_works((enum plan_op)s->op) || s->op == PLAN_GLIDE || s->guided)
		return -EPERM;
	uint64_t work_ns;
	if (s->op == PLAN_TRIGGER_POINT && work_now_ns(e, &work_ns) &&
	    work_ns >= (uint64_t)(s->ramp_ms + s->for_ms) * NS_PER_MS + e->stay_ns)
		return -EPERM; /* releasing already: a hold once let go is not taken up again */
	if (e->stays >= EXEC_STAYS_MAX || room_ms < 1000)
		return -ENOSPC;
	uint64_t add_ms = room_ms < EXEC_STAY_MS ? room_ms : EXEC_STAY_MS;
	e->stays++;
	e->stay_ns += add_ms * NS_PER_MS;
	e->shift_ns += (int64_t)(add_ms * NS_PER_MS);
	/* The technique goes on longer, so it ends somewhere else in its zone. */
	struct plan_step longer = *s;
	longer.work_ms += (uint32_t)(e->stay_ns / NS_PER_MS);
	e->end_y_mm = plan_step_end_y(&longer, e->prev_end_y_mm);
	return 0;
}

int exec_skip(struct exec *e)
{
	if (e->status != EXEC_RUNNING || !e->in_step)
		return -EPERM;
	e->end_now = true;
	e->skipped = true;
	return 0;
}

int exec_there(struct exec *e, double force_n)
{
	struct exec_guided *g = &e->guided;
	uint64_t work_ns;
	if (e->status != EXEC_RUNNING || e->end_now || g->phase != EXEC_GUIDED_RISING ||
	    !work_now_ns(e, &work_ns))
		return -EPERM;
	g->phase = EXEC_GUIDED_HOLDING;
	g->since_ns = work_ns;
	g->there_n = force_n >= 0 ? force_n : g->level_n; /* NaN fails the comparison */
	return 0;
}

int exec_eased(struct exec *e)
{
	struct exec_guided *g = &e->guided;
	uint64_t work_ns;
	if (e->status != EXEC_RUNNING || e->end_now || g->phase != EXEC_GUIDED_HOLDING ||
	    !work_now_ns(e, &work_ns))
		return -EPERM;
	if (g->rises < GEN_GUIDED_RISES_MAX && !g->at_top && g->level_n < g->top_n) {
		g->phase = EXEC_GUIDED_RISING;
		g->rises++;
	} else {
		g->phase = EXEC_GUIDED_RELEASING;
		g->release_from_n = g->level_n;
	}
	g->since_ns = work_ns;
	return 0;
}

void exec_guided_cap(struct exec *e, double level_n)
{
	struct exec_guided *g = &e->guided;
	if (g->phase == EXEC_GUIDED_NONE || !(level_n >= 0))
		return;
	if (level_n < g->top_n)
		g->top_n = level_n;
	if (g->level_n > g->top_n)
		g->level_n = g->top_n;
	if (g->release_from_n > g->top_n)
		g->release_from_n = g->top_n;
}
