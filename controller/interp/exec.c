/* The executor: walks the plan's step table on the tick's timeline and asks each
 * technique's generator (gen.c) for the targets of the moment. No allocation, no locks, no
 * system calls; at most PLAN_ZERO_STEPS_MAX zero-time steps and one generator call a tick. */
#include "exec.h"

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
}

/* Ask for nothing: rollers off, motors still, airbags vented, heat off, carriage stays. */
static void rest(struct motion_targets *t, double y_mm)
{
	memset(t, 0, sizeof(*t));
	t->y_mm = y_mm;
	t->z_mode = Z_RETRACT;
	t->recline = RECLINE_HOLD;
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
	e->phase = s->phase;
	e->step_start_ns = e->next_start_ns;
	e->start_y_mm = plan_step_start_y(s, e->prev_end_y_mm);
	e->end_y_mm = plan_step_end_y(s, e->prev_end_y_mm);
	if (plan_op_works((enum plan_op)s->op)) {
		e->move_ns = plan_move_ms(p, e->prev_end_y_mm, e->start_y_mm) * NS_PER_MS;
		e->approach_ns = plan_approach_ms(p) * NS_PER_MS;
	} else {
		e->move_ns = 0;
		e->approach_ns = 0;
	}
	e->work_ns = (uint64_t)s->work_ms * NS_PER_MS;
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
			uint64_t end_ns = e->step_start_ns + e->move_ns + e->approach_ns + e->work_ns;
			if (now_ns < end_ns)
				return true;
			if (glide_end_lags(e, fb)) {
				/* Hold the timeline, as a working step does for the carriage at
				 * its start: the end and the run's total move out by a tick. */
				e->step_start_ns += e->period_ns;
				e->end_waited_ns += e->period_ns;
				e->delay_ns += e->period_ns;
				return true;
			}
			e->in_step = false;
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
	gen_work(s, (double)(into_ns - e->move_ns - e->approach_ns) / 1e9, t);
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
	return e->plan->total_ms + e->delay_ns / NS_PER_MS;
}
