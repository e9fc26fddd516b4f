/* Watchdogs. Each check is one small function returning whether its condition holds now;
 * safety_check latches what trips, and the acknowledge runs the same checks to see that
 * every cause is gone. Worst case a few hundred comparisons a tick. */
#include "safety.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "num.h"
/* The drive's fault_code input register, counted from the drive input base (CHAIR.md:
 * input register 5): the struct keeps the registers in their order. */
#define DRIVE_FAULT_CODE_REG (offsetof(struct hal_drive_in, fault_code) / sizeof(uint16_t))
_Static_assert(DRIVE_FAULT_CODE_REG == 5, "fault_code is input register 5 (CHAIR.md)");

/* Width is away from its target beyond this: twice the reference drive's at-target
 * window (0.5 mm), so a drive settling at the edge of its window is never "away". */
#define W_AWAY_MM 1.0

void safety_reset(struct safety *s)
{
	memset(s, 0, sizeof(*s));
}

struct trip {
	enum fault_code code;
	int where;
	int32_t value;
	uint16_t reg;
	bool event; /* something that happened this tick (a press, an exception, a failed
		     * exchange), gone by the next: it must be latched now or never */
};

#define MAX_TRIPS 16

struct trips {
	int n;
	uint32_t dropped; /* past MAX_TRIPS */
	struct trip t[MAX_TRIPS];
};

static void push(struct trips *tr, struct trip t)
{
	if (tr->n < MAX_TRIPS)
		tr->t[tr->n++] = t;
	else
		tr->dropped++;
}

/* A trip from a condition that lasts while its cause does. */
static void add(struct trips *tr, enum fault_code code, int where, int32_t value, uint16_t reg)
{
	push(tr, (struct trip){code, where, value, reg, false});
}

/* A trip from an event rather than a lasting condition. */
static void add_event(struct trips *tr, enum fault_code code, int where, int32_t value,
		      uint16_t reg)
{
	push(tr, (struct trip){code, where, value, reg, true});
}

static bool unit_present(const struct chair_config *cfg, int u)
{
	return cfg->hal.bus.unit_present[u];
}

static void check_estop(struct safety *s, const struct safety_view *v, struct trips *tr)
{
	if (hal_in(v->in, HAL_IN_ESTOP))
		add(tr, FAULT_ESTOP, -1, 0, 0);
	else if (v->in->estop_presses != s->estop_presses_seen)
		add_event(tr, FAULT_ESTOP, -1, 0, 0);
}

/* A unit's exception shows in the image only until its next good turn, which on a fast
 * bus can come and go between two ticks: its counter rising trips as well, as a counted
 * e-stop press does. Each unit's count is taken as seen here, after it was compared and
 * whether the unit is present or not (nothing else reads it), in the same pass. */
static void check_bus(struct safety *s, const struct safety_view *v, struct trips *tr)
{
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		const struct hal_unit_status *us = &v->in->unit[u];
		uint32_t seen = s->exceptions_seen[u];
		s->exceptions_seen[u] = us->exceptions;
		if (!unit_present(v->cfg, u))
			continue;
		if (us->age_ms > (uint32_t)v->cfg->unit_age_limit_ms)
			add(tr, FAULT_UNIT_STALE, u, (int32_t)us->age_ms, 0);
		else if (us->exception)
			add(tr, FAULT_BUS_EXCEPTION, u, us->exception, us->exception_reg);
		else if (us->exceptions != seen)
			add_event(tr, FAULT_BUS_EXCEPTION, u, us->last_exception,
				  us->last_exception_reg);
	}
}

/* Address of the fault_code input register of a drive, as configured, for the log. */
static uint16_t drive_fault_reg(const struct chair_config *cfg)
{
	return (uint16_t)(cfg->hal.bus.drive_input_base + (int)DRIVE_FAULT_CODE_REG);
}

/* One drive of check_drives. The axes are taken one by one with their limits named rather
 * than looked up in arrays made afresh every tick, which cost more than the checks. */
static inline void check_drive(const struct safety_view *v, struct trips *tr, int a,
			       double max_temp_c)
{
	if (!unit_present(v->cfg, a) || v->in->unit[a].age_ms > (uint32_t)v->cfg->unit_age_limit_ms)
		return;
	const struct hal_drive_in *d = &v->in->drive[a];
	if (d->status & HAL_STATUS_FAULT)
		add(tr, FAULT_DRIVE, a, d->fault_code, drive_fault_reg(v->cfg));
	if (v->est->drive_temp_c[a] > max_temp_c)
		add(tr, FAULT_DRIVE_OVER_TEMP, a, d->temperature_raw, 0);
}

static void check_drives(const struct safety_view *v, struct trips *tr)
{
	const struct chair_config *c = v->cfg;
	check_drive(v, tr, HAL_AXIS_Y, c->y.max_temp_c);
	check_drive(v, tr, HAL_AXIS_Z, c->z.max_temp_c);
	check_drive(v, tr, HAL_AXIS_K, c->knead.max_temp_c);
	check_drive(v, tr, HAL_AXIS_T, c->tap.max_temp_c);
	check_drive(v, tr, HAL_AXIS_W, c->w.max_temp_c);
}

/* Whether the force has fallen over the whole history, oldest sample to now. */
static bool force_falling(const struct safety *s, double force_n)
{
	double oldest_n = s->force_hist_n[s->force_hist_at % SAFETY_FORCE_HISTORY];
	return force_n < oldest_n - SAFETY_RESOLVE_FALL_N;
}

static void remember_force(struct safety *s, double force_n)
{
	if (s->force_hist_at == 0) /* the first sample stands for the history before it */
		for (int i = 0; i < SAFETY_FORCE_HISTORY; i++)
			s->force_hist_n[i] = force_n;
	s->force_hist_n[s->force_hist_at % SAFETY_FORCE_HISTORY] = force_n;
	s->force_hist_at++;
}

/* Too much force while the roller backs off and the force has fallen over the last 10 ms
 * is being resolved (a chair powered up pressed into someone, a cap lowered mid-press).
 * While it holds or rises, it is a fault: the timer only runs on those ticks and only a
 * force back under the limit resets it. Above the chair's hard maximum it trips at once,
 * trend or not. A force that is not a number counts as too much. */
static void check_force(struct safety *s, const struct safety_view *v, struct trips *tr)
{
	const struct force_config *f = &v->cfg->force;
	double force_n = v->est->force_n;
	double limit_n = num_fmin(v->cap_n + f->over_force_margin_n, f->max_n);
	bool retracting = v->out_prev->drive[HAL_AXIS_Z].target_velocity_raw < 0;
	remember_force(s, force_n);
	bool resolving = retracting && force_falling(s, force_n);
	bool over = !(force_n <= limit_n);
	if (over && !resolving)
		s->over_force_s += v->dt_s;
	else if (!over)
		s->over_force_s = 0;
	if (!(force_n <= f->max_n) || s->over_force_s * 1000.0 > f->over_force_ms)
		add(tr, FAULT_OVER_FORCE, -1, (int32_t)lround(num_fmin(force_n, 1e6) * 10), 0);
}

/* Commanded speed of an axis last tick, in mm/s or rpm (scale: its velocity count). */
static inline double commanded(const struct safety_view *v, int a, double scale)
{
	const struct hal_drive_out *o = &v->out_prev->drive[a];
	int mode = (o->control & HAL_CTL_MODE_MASK) >> HAL_CTL_MODE_SHIFT;
	if (!(o->control & HAL_CTL_ENABLE) || mode != HAL_MODE_VELOCITY)
		return 0;
	return o->target_velocity_raw * scale;
}

/* Whether the axis is pushing against something that rightly stops it. */
static bool blocked_on_purpose(const struct safety_view *v, int a, double cmd)
{
	const struct hal_inputs *in = v->in;
	if (a == HAL_AXIS_Y)
		return (cmd < 0 && hal_in(in, HAL_IN_Y_HOME)) || (cmd > 0 && hal_in(in, HAL_IN_Y_END));
	if (a == HAL_AXIS_Z) {
		double limit_n = v->out_prev->drive[HAL_AXIS_Z].target_force_raw * v->cfg->force.scale_n;
		return (cmd < 0 && hal_in(in, HAL_IN_Z_HOME)) || (cmd > 0 && v->est->force_n >= limit_n);
	}
	return false;
}

/* Whether a velocity-mode axis is commanded to move, at min_cmd or more, against nothing
 * that rightly stops it. */
static inline bool velocity_driven(const struct safety_view *v, int a, double scale,
				   double min_cmd)
{
	double cmd = commanded(v, a, scale);
	return fabs(cmd) >= min_cmd && !blocked_on_purpose(v, a, cmd);
}

/* Whether the width drive, which closes its own position loop, is commanded to a place it
 * is not at: enabled in position mode, beyond W_AWAY_MM of the target, and its status
 * without AT_TARGET. While that holds, the width must keep changing. */
static bool width_driven(const struct safety_view *v)
{
	const struct hal_drive_out *o = &v->out_prev->drive[HAL_AXIS_W];
	unsigned mode = (o->control & HAL_CTL_MODE_MASK) >> HAL_CTL_MODE_SHIFT;
	if (!(o->control & HAL_CTL_ENABLE) || mode != HAL_MODE_POSITION ||
	    !hal_out(v->out_prev, HAL_OUT_DRIVE_ENABLE))
		return false;
	if (v->in->drive[HAL_AXIS_W].status & HAL_STATUS_AT_TARGET)
		return false;
	double target_mm = o->target_position_raw * v->cfg->w.position_scale_mm;
	return fabs(target_mm - v->est->w_mm) > W_AWAY_MM;
}

/* One axis of check_stall: driven, the encoder at pos must move more than move within
 * limit_s; a shaft angle (wraps) is measured the short way round. */
static inline void check_stall_axis(struct safety *s, const struct safety_view *v,
				    struct trips *tr, int a, bool driven, double pos, double move,
				    double limit_s, bool wraps)
{
	double moved = fabs(pos - s->stall_ref[a]);
	if (wraps)
		moved = num_fmin(moved, 360.0 - moved);
	if (!driven || moved > move) {
		s->stall_s[a] = 0;
		s->stall_ref[a] = pos;
		return;
	}
	s->stall_s[a] += v->dt_s;
	if (s->stall_s[a] > limit_s)
		add(tr, FAULT_STALL, a, 0, 0);
}

/* Stall or encoder loss: an axis driven to move whose encoder stays within its stall
 * distance for its stall time. Commands under 2 mm/s (Y, Z) or 3 rpm (K, T) drive nothing;
 * the shafts prove themselves alive by 2 degrees. */
static void check_stall(struct safety *s, const struct safety_view *v, struct trips *tr)
{
	const struct estimate *e = v->est;
	const struct chair_config *c = v->cfg;
	check_stall_axis(s, v, tr, HAL_AXIS_Y,
			 velocity_driven(v, HAL_AXIS_Y, c->y.velocity_scale, 2), e->y_enc_mm,
			 c->y.stall_move_mm, c->y.stall_s, false);
	check_stall_axis(s, v, tr, HAL_AXIS_Z,
			 velocity_driven(v, HAL_AXIS_Z, c->z.velocity_scale, 2), e->z_enc_mm,
			 c->z.stall_move_mm, c->z.stall_s, false);
	check_stall_axis(s, v, tr, HAL_AXIS_K,
			 velocity_driven(v, HAL_AXIS_K, c->knead.velocity_scale, 3), e->knead_deg,
			 2, c->knead.stall_s, true);
	check_stall_axis(s, v, tr, HAL_AXIS_T,
			 velocity_driven(v, HAL_AXIS_T, c->tap.velocity_scale, 3), e->tap_deg, 2,
			 c->tap.stall_s, true);
	check_stall_axis(s, v, tr, HAL_AXIS_W, width_driven(v), e->w_mm, c->w.stall_move_mm,
			 c->w.stall_s, false);
}

static void check_track(const struct safety_view *v, struct trips *tr)
{
	const struct estimate *e = v->est;
	if (hal_in(v->in, HAL_IN_Y_HOME) && hal_in(v->in, HAL_IN_Y_END))
		add(tr, FAULT_END_SWITCHES, -1, 0, 0);
	if (e->y_homed && (e->y_mm < v->cfg->y.min_mm - 20 || e->y_mm > v->cfg->y.max_mm + 20))
		add(tr, FAULT_TRACK_LIMIT, HAL_AXIS_Y, (int32_t)e->y_mm, 0);
	if (e->z_homed && e->z_mm > v->cfg->z.max_mm + 5)
		add(tr, FAULT_TRACK_LIMIT, HAL_AXIS_Z, (int32_t)e->z_mm, 0);
	/* A switch stuck on, or an encoder that slipped: the two disagree. */
	bool y_mismatch = (hal_in(v->in, HAL_IN_Y_HOME) && e->y_mm > 10) ||
			  (hal_in(v->in, HAL_IN_Y_END) && e->y_mm < v->cfg->y.max_mm - 10);
	if (e->y_homed && y_mismatch)
		add(tr, FAULT_SWITCH_MISMATCH, HAL_AXIS_Y, (int32_t)e->y_mm, 0);
	if (e->z_homed && hal_in(v->in, HAL_IN_Z_HOME) && e->z_mm > 5)
		add(tr, FAULT_SWITCH_MISMATCH, HAL_AXIS_Z, (int32_t)e->z_mm, 0);
}

/* Recline timeout and trapped limbs. Each relay is paired with the end switch it runs
 * toward: back_up raises the backrest toward upright (back_min), back_down reclines it
 * (back_max); leg_up raises the legrest (leg_max), leg_down lowers it (leg_min). */
static void check_recline(struct safety *s, const struct safety_view *v, struct trips *tr)
{
	const struct hal_outputs *o = v->out_prev;
	const bool up[2] = {hal_out(o, HAL_OUT_BACK_UP), hal_out(o, HAL_OUT_LEG_UP)};
	const bool down[2] = {hal_out(o, HAL_OUT_BACK_DOWN), hal_out(o, HAL_OUT_LEG_DOWN)};
	const bool to_max[2] = {down[0], up[1]};
	const bool to_min[2] = {up[0], down[1]};
	const bool at_max[2] = {hal_in(v->in, HAL_IN_BACK_MAX), hal_in(v->in, HAL_IN_LEG_MAX)};
	const bool at_min[2] = {hal_in(v->in, HAL_IN_BACK_MIN), hal_in(v->in, HAL_IN_LEG_MIN)};
	const uint16_t current_ma[2] = {v->in->io.back_current_ma, v->in->io.leg_current_ma};
	for (int r = 0; r < 2; r++) {
		bool running = up[r] || down[r];
		bool at_limit = (to_max[r] && at_max[r]) || (to_min[r] && at_min[r]);
		s->recline_run_s[r] = running && !at_limit ? s->recline_run_s[r] + v->dt_s : 0;
		if (s->recline_run_s[r] > v->cfg->recline.timeout_s)
			add(tr, FAULT_RECLINE_TIMEOUT, r, 0, 0);
		if (running && current_ma[r] > v->cfg->recline.spike_ma) {
			add(tr, FAULT_TRAPPED, r, current_ma[r], 0);
			if (s->trap_backoff_s <= 0) {
				s->trap_actuator = r;
				s->trap_dir_up = up[r];
				s->trap_backoff_s = v->cfg->recline.backoff_s;
			}
		}
	}
}

static void check_environment(struct safety *s, const struct safety_view *v, struct trips *tr)
{
	const struct chair_config *c = v->cfg;
	const struct estimate *e = v->est;
	bool supply_bad = e->supply_v < c->supply.min_v || e->supply_v > c->supply.max_v;
	s->supply_bad_s = supply_bad ? s->supply_bad_s + v->dt_s : 0;
	if (supply_bad && s->supply_bad_s * 1000.0 >= c->supply.debounce_ms)
		add(tr, FAULT_SUPPLY, -1, (int32_t)lround(e->supply_v * 1000), 0);
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		if (e->heater_c[h] > c->heater.cutoff_c)
			add(tr, FAULT_HEATER_OVER_TEMP, h, (int32_t)lround(e->heater_c[h] * 10), 0);
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		if (e->airbag_kpa[b] > c->airbag.max_kpa * 1.1)
			add(tr, FAULT_AIRBAG_OVER_PRESSURE, b, (int32_t)lround(e->airbag_kpa[b] * 10), 0);
}

static void check_session(struct safety *s, const struct safety_view *v, struct trips *tr)
{
	if (!v->session_active) {
		s->unoccupied_s = 0;
		return;
	}
	if (v->session_s > v->cfg->session.max_s)
		add(tr, FAULT_SESSION_LIMIT, -1, 0, 0);
	bool away = !hal_in(v->in, HAL_IN_OCCUPIED);
	s->unoccupied_s = away ? s->unoccupied_s + v->dt_s : 0;
	/* A person shifting their weight lifts off the switch for a moment. Always a fault: a
	 * session that ran on with nobody seated would press whoever sits back down past
	 * their cap (the force loop searches for a body that is gone). */
	if (s->unoccupied_s > 0.1)
		add(tr, FAULT_UNOCCUPIED, -1, 0, 0);
}

/* A failed exchange with the backend: this tick's inputs are not what the chair says
 * now, and the last outputs may not have arrived. The caller counts failures into the
 * view as data, so the tick itself makes no call to find out. */
static void check_backend(const struct safety_view *v, struct trips *tr)
{
	if (v->io_failures > 0)
		add_event(tr, FAULT_IO, -1, (int32_t)v->io_failures, 0);
}

/* The loop woke too late, too often in a row: every output of the last periods went out
 * late or not at all. An event: the next tick on time does not make it undone. */
static void check_lateness(const struct safety_view *v, struct trips *tr)
{
	if (v->late_periods > (uint32_t)v->cfg->rt.max_late_periods)
		add_event(tr, FAULT_LATE, -1, (int32_t)v->late_periods, 0);
}

static void collect(struct safety *s, const struct safety_view *v, struct trips *tr)
{
	tr->n = 0;
	tr->dropped = 0;
	check_estop(s, v, tr);
	check_lateness(v, tr);
	check_backend(v, tr);
	check_bus(s, v, tr);
	check_drives(v, tr);
	check_force(s, v, tr);
	check_stall(s, v, tr);
	check_track(v, tr);
	check_recline(s, v, tr);
	check_environment(s, v, tr);
	check_session(s, v, tr);
}

void safety_trip(struct safety *s, const struct safety_view *v, enum fault_code code, int where,
		 int32_t value, uint16_t reg)
{
	uint64_t bit = 1ull << code;
	if (s->latched && (s->logged_mask & bit))
		return;
	struct fault_record r = {
		.code = code,
		.where = where,
		.value = value,
		.reg = reg,
		.tick = v->tick,
		.in = *v->in,
		.out_prev = *v->out_prev,
	};
	enum fault_where_kind wk = fault_table[code].where_kind;
	if ((wk == WHERE_UNIT && where >= 0 && where < HAL_UNIT_COUNT) ||
	    (wk == WHERE_AXIS && where >= 0 && where < HAL_AXIS_COUNT))
		r.bus_id = (int16_t)v->cfg->hal.bus.unit_id[where]; /* axis n is drive unit n */
	fault_log_add(&s->log, &r);
	s->logged_mask |= bit;
	if (!s->latched) {
		s->latched = true;
		s->first = r;
		s->estop = code == FAULT_ESTOP;
	} else if (code == FAULT_ESTOP) {
		s->estop = true;
	}
	s->ack_ticks_left = 0;
}

void safety_request_ack(struct safety *s, uint32_t window_ticks)
{
	s->ack_rejected = false;
	if (s->latched)
		s->ack_ticks_left = window_ticks;
}

/* Log every event trip of this tick, even of a code already logged; whether there was one.
 * safety_trip also ends an acknowledge in progress. */
static bool log_events(struct safety *s, const struct safety_view *v, const struct trips *tr)
{
	bool any = false;
	for (int i = 0; i < tr->n; i++) {
		const struct trip *t = &tr->t[i];
		if (!t->event)
			continue;
		s->logged_mask &= ~(1ull << t->code);
		safety_trip(s, v, t->code, t->where, t->value, t->reg);
		any = true;
	}
	return any;
}

/* The acknowledge is refused: name the first cause still there (an event first). */
static void refuse_ack(struct safety *s, const struct trips *tr)
{
	s->ack_ticks_left = 0;
	s->ack_rejected = true;
	s->ack_cause = FAULT_NONE;
	s->ack_cause_where = -1;
	for (int i = 0; i < tr->n; i++) {
		if (tr->t[i].event || s->ack_cause == FAULT_NONE) {
			s->ack_cause = tr->t[i].code;
			s->ack_cause_where = tr->t[i].where;
		}
		if (tr->t[i].event)
			break;
	}
	if (s->ack_cause == FAULT_NONE && s->trap_backoff_s > 0) {
		s->ack_cause = FAULT_TRAPPED;
		s->ack_cause_where = s->trap_actuator;
	}
}

bool safety_check(struct safety *s, const struct safety_view *v)
{
	struct trips tr;
	collect(s, v, &tr); /* takes the units' exception counts as seen (check_bus) */
	s->estop_presses_seen = v->in->estop_presses;
	if (s->trap_backoff_s > 0)
		s->trap_backoff_s -= v->dt_s;
	s->trips_dropped += tr.dropped;
	if (s->ack_ticks_left > 0) {
		/* An event during the acknowledge is a new fault: logged, and the acknowledge
		 * refused, or the next quiet tick would clear the latch over it. */
		if (log_events(s, v, &tr)) {
			refuse_ack(s, &tr);
			return true;
		}
		/* Acknowledging: the latch clears on the first tick with no cause left. */
		if (tr.n == 0 && s->trap_backoff_s <= 0) {
			s->latched = false;
			s->estop = false;
			s->logged_mask = 0;
			s->ack_ticks_left = 0;
			return false;
		}
		if (--s->ack_ticks_left == 0)
			refuse_ack(s, &tr);
		return true;
	}
	for (int i = 0; i < tr.n; i++)
		safety_trip(s, v, tr.t[i].code, tr.t[i].where, tr.t[i].value, tr.t[i].reg);
	return s->latched;
}
