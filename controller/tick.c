/* The tick: a table of contents of one control period. Each stage is a call into its
 * own module with the state it needs; this file only sequences them and keeps the state
 * machine of DESIGN.md (IDLE → HOMING → IDLE → SCANNING → IDLE → RUNNING ⇄ PAUSED → FINISHING → IDLE,
 * plus latched FAULT and ESTOP). */
#include "tick.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "num.h"
#include "interp/plan.h"

const char *const chair_state_name[ST_COUNT] = {
	"idle", "homing", "scanning", "running", "paused", "finishing", "fault", "estop",
};

/* How long an acknowledge keeps trying while drives clear their faults. */
static const uint32_t ack_window_ticks = 200;
/* How long the buzzer sounds when a fault latches. */
static const double fault_buzz_s = 1.0;

void ctl_init(struct ctl *c, const struct chair_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->cfg = cfg;
	c->period_s = (double)cfg->rt.period_ns * 1e-9;
	c->state = ST_IDLE;
	c->cap_n = cfg->session.default_cap_n;
	c->force_cap_n = num_fmin(c->cap_n, cfg->force.max_n);
	atomic_init(&c->plan_in_use, NULL);
	estimate_reset(&c->est);
	safety_reset(&c->safety);
	exec_reset(&c->exec);
	feedback_reset(&c->feedback);
	limiter_reset(&c->limiter);
	axes_reset(&c->axes);
	targets_rest(&c->targets, 0);
	hal_safe_outputs(&c->out_prev, 0);
}

static bool latched(const struct ctl *c)
{
	return c->state == ST_FAULT || c->state == ST_ESTOP;
}

static int cmd_start(struct ctl *c, const struct ctl_cmd *cmd)
{
	if (c->state != ST_IDLE)
		return CMD_E_STATE;
	if (!c->est.y_homed || !c->est.z_homed)
		return CMD_E_NOT_HOMED;
	if (!cmd->plan)
		return CMD_E_ARG;
	exec_start(&c->exec, cmd->plan);
	atomic_store_explicit(&c->plan_in_use, cmd->plan, memory_order_release);
	c->run_cap_n = cmd->plan->cap_n;
	feedback_reset(&c->feedback);
	c->manual_on = false;
	c->session_s = 0;
	c->state = ST_RUNNING;
	return CMD_OK;
}

/* Raising the cap is an idle command; while a run is under way it may only go down. */
static int cmd_set_cap(struct ctl *c, double cap_n)
{
	if (!(cap_n > 0 && cap_n <= c->cfg->force.max_n))
		return CMD_E_ARG;
	bool idle = c->state == ST_IDLE && !c->manual_on;
	if (!idle && cap_n > c->cap_n)
		return CMD_E_RAISE;
	c->cap_n = cap_n;
	return CMD_OK;
}

/* The lowest of the user's cap, the running plan's and the chair's hard limit. */
static double force_cap(const struct ctl *c)
{
	double cap_n = num_fmin(c->cap_n, c->cfg->force.max_n);
	if (c->run_cap_n > 0)
		cap_n = num_fmin(cap_n, c->run_cap_n);
	return cap_n;
}

/* The end of a run, whichever way it ended: keep its progress for telemetry and let the
 * plan go, so the main thread may free it. The executor never reads it again. */
static void release_plan(struct ctl *c)
{
	c->run_elapsed_ms = (uint32_t)exec_elapsed_ms(&c->exec);
	c->run_total_ms = (uint32_t)exec_total_ms(&c->exec);
	c->exec.plan = NULL;
	c->run_cap_n = 0;
	atomic_store_explicit(&c->plan_in_use, NULL, memory_order_release);
}

/* The acknowledge's window has closed: say how, for the one who asked. */
static void answer_ack(struct ctl *c, int result)
{
	c->ack_seq = c->ack_seq_pending;
	c->ack_result = result;
}

/* The scan is manual targets of its own state, so the session timer, the panel and the
 * fault log all see it as the scan; a new target while scanning replaces the last. */
static int cmd_scan(struct ctl *c, const struct ctl_cmd *cmd)
{
	if (c->state != ST_IDLE && c->state != ST_SCANNING)
		return latched(c) ? CMD_E_FAULT : CMD_E_STATE;
	if (!c->est.y_homed || !c->est.z_homed)
		return CMD_E_NOT_HOMED;
	if (c->state == ST_IDLE)
		c->session_s = 0;
	c->manual = cmd->manual;
	c->manual_on = false;
	c->state = ST_SCANNING;
	return CMD_OK;
}

/* The person's commands on a run: the state they need, then the executor's answer. */
static int cmd_run(struct ctl *c, const struct ctl_cmd *cmd)
{
	bool running = c->state == ST_RUNNING;
	if (!running && c->state != ST_PAUSED)
		return latched(c) ? CMD_E_FAULT : CMD_E_STATE;
	int rc = 0;
	switch (cmd->kind) {
	case CMD_WIDTH:
		if (cmd->value != 1 && cmd->value != -1)
			return CMD_E_ARG;
		feedback_adjust_width(&c->feedback, cmd->value);
		return CMD_OK;
	case CMD_STAY: {
		/* What the session limit leaves after the rest of the run. */
		double left_ms = exec_total_ms(&c->exec) - (double)exec_elapsed_ms(&c->exec);
		double room_ms = c->cfg->session.max_s * 1000.0 - c->session_s * 1000.0 - left_ms;
		rc = exec_stay(&c->exec, room_ms > 0 ? (uint64_t)room_ms : 0);
		break;
	}
	case CMD_SKIP:
		rc = exec_skip(&c->exec);
		break;
	case CMD_THERE:
		rc = running ? exec_there(&c->exec, c->est.force_n) : -EPERM;
		break;
	case CMD_EASED:
		rc = running ? exec_eased(&c->exec) : -EPERM;
		break;
	default:
		return CMD_E_ARG;
	}
	return rc == 0 ? CMD_OK : rc == -ENOSPC ? CMD_E_LIMIT : CMD_E_STATE;
}

/* A guided trigger point in a zone where "too much" was said rises no further than the
 * zone's ceiling allows, in the executor's terms (before stronger or softer scale it). */
static void guided_ceiling(struct ctl *c)
{
	const struct feedback *f = &c->feedback;
	if (c->exec.guided.phase == EXEC_GUIDED_NONE || !(f->too_much_n[f->zone] > 0))
		return;
	exec_guided_cap(&c->exec, feedback_ceiling_n(f, c->force_cap_n) / feedback_strength(f));
}

static int cmd_transition(struct ctl *c, enum chair_state from, enum chair_state to)
{
	if (c->state != from)
		return latched(c) ? CMD_E_FAULT : CMD_E_STATE;
	c->state = to;
	return CMD_OK;
}

int ctl_command(struct ctl *c, const struct ctl_cmd *cmd)
{
	int r;
	switch (cmd->kind) {
	case CMD_HOME:
		r = cmd_transition(c, ST_IDLE, ST_HOMING);
		if (r == CMD_OK) {
			c->manual_on = false;
			homing_start(&c->homing);
		}
		break;
	case CMD_START:
		r = latched(c) ? CMD_E_FAULT : cmd_start(c, cmd);
		c->start_seq = cmd->seq;
		break;
	case CMD_PAUSE:
		r = cmd_transition(c, ST_RUNNING, ST_PAUSED);
		break;
	case CMD_RESUME:
		r = cmd_transition(c, ST_PAUSED, ST_RUNNING);
		break;
	case CMD_STOP:
		if (c->state == ST_RUNNING || c->state == ST_PAUSED || c->state == ST_HOMING ||
		    c->state == ST_SCANNING) {
			c->state = ST_FINISHING;
			r = CMD_OK;
		} else {
			r = latched(c) ? CMD_E_FAULT : CMD_E_STATE;
		}
		break;
	case CMD_ACK:
		if (!latched(c)) {
			r = CMD_E_STATE;
			c->ack_seq_pending = cmd->seq;
			answer_ack(c, r); /* nothing to acknowledge: answered now */
			break;
		}
		safety_request_ack(&c->safety, ack_window_ticks);
		c->ack_seq_pending = cmd->seq;
		r = CMD_OK;
		break;
	case CMD_INTENSITY:
		feedback_adjust_intensity(&c->feedback, cmd->value);
		r = CMD_OK;
		break;
	case CMD_SPEED:
		feedback_adjust_speed(&c->feedback, cmd->value);
		r = CMD_OK;
		break;
	case CMD_TOO_MUCH:
		feedback_too_much(&c->feedback, c->est.force_n, c->force_cap_n);
		c->axes.z_dropping = true;
		guided_ceiling(c);
		r = CMD_OK;
		break;
	case CMD_SET_CAP:
		r = cmd_set_cap(c, cmd->value_f);
		break;
	case CMD_MANUAL:
		if (c->state != ST_IDLE) {
			r = latched(c) ? CMD_E_FAULT : CMD_E_STATE;
		} else if (!c->est.y_homed || !c->est.z_homed) {
			r = CMD_E_NOT_HOMED;
		} else {
			c->manual = cmd->manual;
			c->manual_on = true;
			r = CMD_OK;
		}
		break;
	case CMD_MANUAL_OFF:
		c->manual_on = false;
		if (c->state == ST_SCANNING)
			c->state = ST_FINISHING;
		r = CMD_OK;
		break;
	case CMD_SCAN:
		r = cmd_scan(c, cmd);
		break;
	case CMD_WIDTH:
	case CMD_STAY:
	case CMD_SKIP:
	case CMD_THERE:
	case CMD_EASED:
		r = cmd_run(c, cmd);
		break;
	default:
		r = CMD_E_ARG;
		break;
	}
	c->cmd_seq = cmd->seq;
	c->cmd_result = r;
	return r;
}

/* Handle the lane's requests older than seq (all of them for UINT32_MAX). */
static void handle_lane_before(struct ctl *c, struct lane_take *lt, int *next, uint32_t seq)
{
	for (; *next < lt->n && lt->cmd[*next].seq < seq; (*next)++)
		for (uint32_t t = 0; t < lt->times[*next]; t++)
			ctl_command(c, &lt->cmd[*next]);
}

/* The image part by part: as one piece GCC copies it with a rep movsq, whose start-up
 * costs more than the copy; parts this size become a few vector moves. */
static void copy_inputs(struct hal_inputs *dst, const struct hal_inputs *src)
{
	memcpy(dst->drive, src->drive, sizeof(dst->drive));
	dst->io = src->io;
	dst->gpio_in = src->gpio_in;
	dst->estop_presses = src->estop_presses;
	memcpy(dst->unit, src->unit, sizeof(dst->unit));
}

/* Stage 1. Every request of the safer lane, and a few other commands a tick at most, so a
 * flood cannot stretch a tick; the two in the order they were sent. */
static void stage_inputs(struct ctl *c, const struct hal_inputs *in)
{
	copy_inputs(&c->in, in);
	/* Only n is read before an entry is written: zeroing the whole take (some 900 bytes,
	 * a rep stos) cost more than the rest of the stage. */
	struct lane_take lt;
	lt.n = 0;
	if (c->safe_lane)
		safe_lane_take(c->safe_lane, &lt);
	int next = 0;
	struct ctl_cmd cmd;
	for (int i = 0; c->cmd_ring && i < 4 && ring_pop(c->cmd_ring, &cmd); i++) {
		handle_lane_before(c, &lt, &next, cmd.seq);
		ctl_command(c, &cmd);
	}
	handle_lane_before(c, &lt, &next, UINT32_MAX);
}

/* Hand the fault records logged since the last tick to the main thread. A full ring drops
 * them (the ring counts it); the log in the tick keeps the newest either way. */
static void publish_faults(struct ctl *c)
{
	const struct fault_log *log = &c->safety.log;
	if (!c->fault_ring || c->faults_published == log->count)
		return;
	uint32_t fresh = log->count - c->faults_published;
	if (fresh > FAULT_LOG_LEN)
		fresh = FAULT_LOG_LEN;
	for (uint32_t i = fresh; i-- > 0;)
		ring_push(c->fault_ring, fault_log_get(log, i));
	c->faults_published = log->count;
}

/* Stage 3. Returns true when this tick must end in the safe state. */
static bool stage_safety(struct ctl *c)
{
	struct safety_view v = {
		.cfg = c->cfg,
		.est = &c->est,
		.in = &c->in,
		.out_prev = &c->out_prev,
		.tick = c->tick,
		.dt_s = c->dt_s,
		.cap_n = c->force_cap_n,
		.session_active = c->state == ST_RUNNING || c->state == ST_PAUSED ||
				  c->state == ST_SCANNING || (c->state == ST_IDLE && c->manual_on),
		.session_s = c->session_s,
		.late_periods = c->late_periods,
		.io_failures = c->io_failures,
	};
	c->io_failures = 0;
	bool was_latched = latched(c);
	bool safe = safety_check(&c->safety, &v);
	if (safe) {
		c->state = c->safety.estop ? ST_ESTOP : ST_FAULT;
		c->manual_on = false;
		if (c->safety.ack_rejected) {
			c->cmd_result = CMD_E_CAUSE;
			c->safety.ack_rejected = false;
			answer_ack(c, CMD_E_CAUSE);
		}
	} else if (was_latched) {
		/* Cleared by an acknowledge. Positions are not trusted after a fault. */
		answer_ack(c, CMD_OK);
		c->state = ST_IDLE;
		c->est.y_homed = false;
		c->est.z_homed = false;
	}
	return safe;
}

static void homing_stage(struct ctl *c, struct axes_override *ov)
{
	ov->active = true;
	enum home_result r = homing_step(&c->homing, c->cfg, &c->est, &c->in, c->period_s,
					 &ov->y_mm_s, &ov->z_mm_s);
	if (r == HOME_FINISHED) {
		c->state = ST_IDLE;
	} else if (r != HOME_RUNNING) {
		struct safety_view v = {.cfg = c->cfg, .est = &c->est, .in = &c->in,
					.out_prev = &c->out_prev, .tick = c->tick};
		bool stuck = r == HOME_STUCK_Y || r == HOME_STUCK_Z;
		bool y = r == HOME_TIMEOUT_Y || r == HOME_STUCK_Y;
		safety_trip(&c->safety, &v, stuck ? FAULT_SWITCH_MISMATCH : FAULT_HOME_TIMEOUT,
			    y ? HAL_AXIS_Y : HAL_AXIS_Z, 0, 0);
		c->state = ST_FAULT;
	}
}

/* Rollers off, motors still, airbags vented; heat and recline as they were. */
static void rest_targets(struct ctl *c)
{
	double heat_c[HAL_HEATER_COUNT];
	memcpy(heat_c, c->targets.heat_c, sizeof(heat_c));
	targets_rest(&c->targets, c->est.y_mm);
	memcpy(c->targets.heat_c, heat_c, sizeof(heat_c));
}

/* Stage 4. */
static void stage_executor(struct ctl *c, struct axes_override *ov)
{
	ov->active = false;
	switch (c->state) {
	case ST_HOMING:
		targets_rest(&c->targets, c->est.y_mm);
		homing_stage(c, ov);
		return;
	case ST_RUNNING: {
		struct exec_feedback fb = {c->est.y_mm, c->est.z_mm, c->est.force_n, c->period_s};
		guided_ceiling(c);
		if (exec_step(&c->exec, &fb, &c->targets) == EXEC_DONE)
			c->state = ST_FINISHING;
		c->session_s += c->dt_s;
		return;
	}
	case ST_PAUSED:
		rest_targets(c);
		c->session_s += c->dt_s;
		return;
	case ST_SCANNING:
		c->targets = c->manual;
		c->session_s += c->dt_s;
		return;
	case ST_FINISHING:
		targets_rest(&c->targets, c->est.y_mm);
		if (c->est.z_mm < 0.5 && fabs(c->est.knead_rpm) < 1 && fabs(c->est.tap_rpm) < 1)
			c->state = ST_IDLE;
		return;
	case ST_IDLE:
		/* A roller found pressing at power-up, over what the safety allows, is released
		 * by homing (the roller retracts first; the falling force is resolving, not a
		 * fault) rather than held there until over-force latches. */
		if (!c->est.z_homed && !c->manual_on &&
		    c->est.force_n > num_fmin(c->force_cap_n + c->cfg->force.over_force_margin_n,
					  c->cfg->force.max_n)) {
			c->state = ST_HOMING;
			homing_start(&c->homing);
			targets_rest(&c->targets, c->est.y_mm);
			return;
		}
		if (c->manual_on)
			c->targets = c->manual;
		else
			targets_rest(&c->targets, c->est.y_mm);
		return;
	case ST_FAULT:
	case ST_ESTOP:
	case ST_COUNT:
		targets_rest(&c->targets, c->est.y_mm);
		return;
	}
}

/* The heartbeat line's level this tick: a square wave at half the tick rate, for the
 * external charge pump (CHAIR.md), in every state. */
static bool heartbeat(const struct ctl *c)
{
	return c->tick & 1u;
}

/* The recline relay that backs a trapped actuator off, or -1. */
static int back_off_relay(const struct safety *s)
{
	if (s->trap_backoff_s <= 0)
		return -1;
	bool back = s->trap_actuator == 0;
	enum hal_gpio_out up = back ? HAL_OUT_BACK_UP : HAL_OUT_LEG_UP;
	enum hal_gpio_out down = back ? HAL_OUT_BACK_DOWN : HAL_OUT_LEG_DOWN;
	return s->trap_dir_up ? down : up;
}

/* Stage 8 in the safe state: drivers/hal.c's table of safe values, asking only for the
 * exceptions it allows: the roller's release (axes_z_release_mm_s: the load cell and the
 * encoder, not a switch, say when it is over), a trapped actuator's back-off, drive fault
 * resets while acknowledging, the buzzer. */
static void safe_outputs(struct ctl *c, struct hal_outputs *out)
{
	const struct chair_config *cfg = c->cfg;
	const struct safety *s = &c->safety;
	double z_mm_s = axes_z_release_mm_s(cfg, &c->est, &c->in);
	double since_s = (double)(c->tick - s->first.tick) * c->period_s;
	struct hal_safe_request req = {
		.z_velocity_raw = (int16_t)lround(z_mm_s / cfg->z.velocity_scale),
		.comm_timeout_ms = (uint16_t)cfg->drive_comm_timeout_ms,
		.dio_comm_timeout_ms = (uint16_t)cfg->hal.bus.dio_comm_timeout_ms,
		.fault_reset = s->ack_ticks_left > 0,
		.buzzer = since_s < fault_buzz_s,
		.heartbeat = heartbeat(c),
		.back_off_relay = back_off_relay(s),
	};
	hal_safe_outputs_with(out, &req);
	c->axes.y_traj_live = false;
	c->axes.z_cmd_mm_s = z_mm_s;
	c->axes.z_dropping = false;
	force_reset(&c->axes.force);
	limiter_reset(&c->limiter);
}

static void fill_telemetry(struct ctl *c, const struct hal_outputs *out)
{
	struct telem *t = &c->telem;
	const struct estimate *e = &c->est;
	t->tick = c->tick;
	t->clock_ns = c->clock_ns;
	t->state = (uint8_t)c->state;
	t->fault = c->safety.latched ? (uint8_t)c->safety.first.code : 0;
	t->fault_where = c->safety.latched ? (int8_t)c->safety.first.where : -1;
	t->fault_bus_id = c->safety.latched ? c->safety.first.bus_id : 0;
	t->fault_value = c->safety.latched ? c->safety.first.value : 0;
	t->fault_reg = c->safety.latched ? c->safety.first.reg : 0;
	t->exec_status = (uint8_t)c->exec.status;
	t->homed = c->est.y_homed && c->est.z_homed;
	t->cmd_seq = c->cmd_seq;
	t->cmd_result = c->cmd_result;
	t->start_seq = c->start_seq;
	t->ack_seq = c->ack_seq;
	t->ack_result = c->ack_result;
	t->ack_cause = (uint8_t)c->safety.ack_cause;
	t->ack_cause_where = (int8_t)c->safety.ack_cause_where;
	t->trips_dropped = c->safety.trips_dropped;
	t->exec_elapsed_ms = c->exec.plan ? (uint32_t)exec_elapsed_ms(&c->exec) : c->run_elapsed_ms;
	t->exec_total_ms = c->exec.plan ? (uint32_t)exec_total_ms(&c->exec) : c->run_total_ms;
	t->phase_step = c->exec.step;
	t->stay_ms = c->exec.plan ? (uint32_t)(c->exec.stay_ns / 1000000u) : 0;
	t->zone = c->feedback.zone == FEEDBACK_ZONE_ELSEWHERE ? -1 : (int8_t)c->feedback.zone;
	t->width_level = (int8_t)c->feedback.width;
	t->guided_phase = c->exec.plan ? c->exec.guided.phase : EXEC_GUIDED_NONE;
	t->guided_rises = t->guided_phase != EXEC_GUIDED_NONE ? c->exec.guided.rises : 0;
	t->guided_level_n = (float)c->exec.guided.there_n;
	t->y_mm = (float)e->y_mm;
	t->y_target_mm = (float)c->targets.y_mm;
	t->z_mm = (float)e->z_mm;
	t->force_n = (float)e->force_n;
	t->force_target_n = (float)(c->targets.z_mode == Z_FORCE ? c->targets.z_force_n : 0);
	t->cap_n = (float)c->force_cap_n;
	t->late_periods = c->late_periods;
	t->overruns = c->overruns;
	t->knead_rpm = (float)e->knead_rpm;
	t->tap_rpm = (float)e->tap_rpm;
	t->w_mm = (float)e->w_mm;
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		t->airbag_kpa[b] = (float)e->airbag_kpa[b];
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		t->heater_c[h] = (float)e->heater_c[h];
	t->back_deg = (float)e->back_deg;
	t->leg_deg = (float)e->leg_deg;
	t->gpio_out = out->gpio_out;
	t->gpio_in = c->in.gpio_in;
}

/* The zone the roller is in (dy_mm 0) or dy_mm from it, on the running plan's body map. */
static int roller_zone(const struct ctl *c, double dy_mm)
{
	return c->exec.plan ? body_zone_at(&c->exec.plan->body, c->est.y_mm + dy_mm) : -1;
}

/* The zone's ceiling, and those of the zones just around it, came down below the force now
 * (the roller reached a zone where "too much" was said), or the force there passed its guard
 * (the carriage carried the roller up a slope of the body): drop to it at release speed, as
 * "too much" itself does, rather than let the force loop ease down to it. */
static void zone_ceiling(struct ctl *c, double prev_ceiling_n)
{
	feedback_set_zone(&c->feedback, roller_zone(c, 0));
	feedback_set_zones_near(&c->feedback, roller_zone(c, -FEEDBACK_ZONE_MARGIN_MM),
				roller_zone(c, FEEDBACK_ZONE_MARGIN_MM));
	double ceiling_n = feedback_ceiling_n(&c->feedback, c->force_cap_n);
	if ((ceiling_n < prev_ceiling_n && c->est.force_n > ceiling_n) ||
	    c->est.force_n > feedback_guard_n(&c->feedback))
		c->axes.z_dropping = true;
}

/* Time since the last tick on the tick's own clock (the caller's reading, or tick x period
 * in virtual time); never negative, and the period itself on the first tick and on the tick
 * the clock changes from virtual to real or back (a chair homed in lockstep, then run by
 * the rt thread: the two clocks have nothing in common). */
static void take_clock(struct ctl *c)
{
	int64_t period_ns = c->cfg->rt.period_ns;
	bool real = c->clock_ns != 0;
	int64_t now_ns = real ? c->clock_ns : (int64_t)c->tick * period_ns;
	bool fresh = c->tick == 0 || real != c->prev_clock_real || now_ns < c->prev_clock_ns;
	int64_t dt_ns = fresh ? period_ns : now_ns - c->prev_clock_ns;
	c->dt_s = (double)dt_ns * 1e-9;
	c->prev_clock_ns = now_ns;
	c->prev_clock_real = real;
}

void tick(struct ctl *c, const struct hal_inputs *in, struct hal_outputs *out)
{
	struct axes_override ov;
	take_clock(c);
	c->force_cap_n = force_cap(c);
	stage_inputs(c, in);                                   /* 1 inputs */
	c->force_cap_n = force_cap(c); /* a command may have lowered it */
	estimate_update(&c->est, c->cfg, &c->in);              /* 2 estimate */
	bool safe = stage_safety(c);                           /* 3 safety */
	if (!safe) {
		stage_executor(c, &ov);                        /* 4 executor */
		safe = c->safety.latched; /* homing can trip */
	}
	if (!safe) {
		zone_ceiling(c, feedback_ceiling_n(&c->feedback, c->force_cap_n));
		feedback_apply(&c->feedback, &c->targets);     /* 5 feedback scaling */
		if (c->state == ST_RUNNING || c->state == ST_PAUSED)
			feedback_apply_width(&c->feedback, &c->targets, c->est.w_mm,
					     c->cfg->w.min_mm, c->cfg->w.max_mm);
		/* Under the cap by the loop's headroom, or the zone's ceiling. */
		double cap_n = feedback_ceiling_n(&c->feedback,
						  limiter_force_bound_n(c->force_cap_n));
		limiter_apply(&c->limiter, c->cfg, cap_n,      /* 6 limiter */
			      c->est.force_n, c->period_s, &c->targets);
		memset(out, 0, sizeof(*out));
		axes_control(&c->axes, c->cfg, &c->est, &c->in, /* 7 axis control */
			     &c->targets, &ov, cap_n, c->period_s, out);
		hal_out_set(out, HAL_OUT_LED, c->state == ST_RUNNING || c->state == ST_PAUSED);
		hal_out_set(out, HAL_OUT_HEARTBEAT, heartbeat(c));
		out->dio_comm_timeout_ms = (uint16_t)c->cfg->hal.bus.dio_comm_timeout_ms;
	} else {
		targets_rest(&c->targets, c->est.y_mm);
		safe_outputs(c, out);
	}
	if (c->exec.plan && c->state != ST_RUNNING && c->state != ST_PAUSED)
		release_plan(c);
	publish_faults(c);
	fill_telemetry(c, out);                                /* 8 outputs */
	if (c->telem_ring)
		ring_push(c->telem_ring, &c->telem);
	c->late_periods = 0; /* taken, as io_failures is */
	c->out_prev = *out;
	c->tick++;
}
