/* A running session, driven by telemetry: what the person says (feedback), what the chair
 * does (the tally for the summary, the notifications), and how it ends. Events go to the
 * store in batches, about once a second: telemetry itself is never stored. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../process_image.h"
#include "session_internal.h"

/* The session stops itself this long before [session] max_s: the safety's session-limit
 * trip latches a fault that needs a technician, wrong for a person alone in the chair, so
 * it stays a backstop that never fires while the main thread follows the telemetry. */
#define SESSION_LIMIT_MARGIN_S 5.0

/* A new zone counts after this long in it, or this far past its line (zone_follow). */
#define SESSION_ZONE_SETTLE_MS 250.0
#define SESSION_ZONE_PAST_MM 5.0

static const char *const action_names[ACT_COUNT] = {
	[ACT_STRONGER] = "stronger", [ACT_SOFTER] = "softer",     [ACT_FASTER] = "faster",
	[ACT_SLOWER] = "slower",     [ACT_WIDER] = "wider",       [ACT_NARROWER] = "narrower",
	[ACT_STAY] = "stay",         [ACT_SKIP] = "skip",         [ACT_TOO_MUCH] = "too_much",
	[ACT_THERE] = "there",       [ACT_EASED] = "eased",       [ACT_PAUSE] = "pause",
	[ACT_RESUME] = "resume",     [ACT_STOP] = "stop",
};

const char *session_action_name(enum session_action a)
{
	return (unsigned)a < ACT_COUNT ? action_names[a] : "?";
}

int session_action_lookup(const char *name)
{
	for (int i = 0; name && i < ACT_COUNT; i++)
		if (!strcmp(name, action_names[i]))
			return i;
	return -1;
}

void session_emit(struct session *s, const char *topic, const char *method, json_t *params)
{
	if (s->notify)
		s->notify(s->notify_ctx, topic, method, params);
	else
		json_decref(params);
}

/* The zone the roller reads as at y_mm on the plan's body, -1 above the neck. */
static int zone_raw(const struct session *s, double y_mm)
{
	int z = body_zone_at(&s->plan->body, y_mm);
	return z >= 0 && z < BODY_ZONE_COUNT ? z : -1;
}

int session_zone_now(const struct session *s)
{
	if (!s->plan)
		return -1;
	return s->zone_known ? s->zone_settled : zone_raw(s, s->r->last.y_mm);
}

/* How far y_mm lies inside zone `to`, past its boundary with zone `from`. */
static double zone_depth_mm(const struct session *s, int from, int to, double y_mm)
{
	const double *start = s->plan->body.span_start_mm;
	return to > from ? y_mm - start[to] : start[to + 1] - y_mm;
}

/* Follow the roller's zone with hysteresis: a roller holding on a boundary (a trigger point
 * on T7, between the upper and the middle back) reads a fraction of a millimetre either
 * side of it from one tick to the next, and every flip was a notify.session (250 a second
 * on the simulator), a phase check and a zone's minutes split at random. A new zone counts
 * once the roller has been in it SESSION_ZONE_SETTLE_MS without a break, or is
 * SESSION_ZONE_PAST_MM past the line: a roll across a zone takes it at once, a roller on
 * the line keeps the zone it came from. */
static void zone_follow(struct session *s, const struct telem *t)
{
	if (!s->plan)
		return;
	int raw = zone_raw(s, t->y_mm);
	if (!s->zone_known) {
		s->zone_known = true;
		s->zone_settled = raw;
		s->zone_candidate = -2;
		return;
	}
	if (raw == s->zone_settled) {
		s->zone_candidate = -2;
		return;
	}
	if (raw != s->zone_candidate) {
		s->zone_candidate = raw;
		s->zone_candidate_tick = t->tick;
	}
	double held_ms = (double)(t->tick - s->zone_candidate_tick) * s->r->ctl.period_s * 1000.0;
	if (held_ms >= SESSION_ZONE_SETTLE_MS ||
	    zone_depth_mm(s, s->zone_settled, raw, t->y_mm) >= SESSION_ZONE_PAST_MM) {
		s->zone_settled = raw;
		s->zone_candidate = -2;
	}
}

double session_elapsed_s(const struct session *s)
{
	if (!s->seen_running)
		return 0; /* homing first, or the start not taken yet */
	return (double)(s->last_tick - s->start_tick) * s->r->ctl.period_s;
}

void session_event(struct session *s, enum store_event_kind kind, const char *action,
		   int zone, const char *detail)
{
	if (!s->sid)
		return;
	if (s->event_count == SESSION_EVENTS_BATCH && session_flush_events(s) != 0)
		return; /* the store refuses: the session goes on, the daemon logs why */
	struct store_event *ev = &s->events[s->event_count++];
	memset(ev, 0, sizeof(*ev));
	ev->t_s = s->start_wall_s + session_elapsed_s(s);
	ev->kind = kind;
	snprintf(ev->action, sizeof(ev->action), "%s", action);
	ev->zone = zone;
	snprintf(ev->detail, sizeof(ev->detail), "%s", detail ? detail : "");
}

int session_flush_events(struct session *s)
{
	if (!s->event_count || !s->sid)
		return 0;
	int rc = store_session_events_append(s->st, s->sid, s->events, s->event_count);
	if (rc != 0) {
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_error(s->st));
		return rc;
	}
	s->event_count = 0;
	return 0;
}

/* The phase of the step the executor is in, from the immutable plan. */
static const char *phase_of(const struct plan *p, uint32_t step)
{
	if (!p || step >= p->step_count)
		return "";
	uint16_t ph = p->steps[step].phase;
	return ph < p->phase_count && p->phase_names[ph] ? p->phase_names[ph] : "";
}

static const char *technique_of(const struct plan *p, uint32_t step)
{
	if (!p || step >= p->step_count)
		return "";
	return plan_op_name((enum plan_op)p->steps[step].op);
}

static json_t *session_notify_params(const struct session *s)
{
	const struct telem *t = &s->r->last;
	int zone = session_zone_now(s);
	double total_s = t->exec_total_ms / 1000.0, done_s = t->exec_elapsed_ms / 1000.0;
	return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:f, s:f}", "session_id", (json_int_t)s->sid,
			 "state", session_state_name(s->state), "phase",
			 phase_of(s->plan, t->phase_step), "technique",
			 technique_of(s->plan, t->phase_step), "zone",
			 zone >= 0 ? area_name((enum area)zone) : NULL, "elapsed_s",
			 session_elapsed_s(s), "remaining_s",
			 total_s > done_s ? total_s - done_s : 0.0);
}

static void notify_session(struct session *s)
{
	session_emit(s, "session", "notify.session", session_notify_params(s));
}

static json_t *motion_params(const struct session *s, const struct telem *t)
{
	int zone = session_zone_now(s);
	json_t *air = json_array(), *heat = json_array();
	for (int i = 0; i < HAL_AIRBAG_COUNT; i++)
		json_array_append_new(air, json_real(t->airbag_kpa[i]));
	for (int i = 0; i < HAL_HEATER_COUNT; i++)
		json_array_append_new(heat, json_real(t->heater_c[i]));
	/* tick_clock_s: the monotonic clock of the tick that measured this, so a panel (a
	 * bench) can tell how late it shows it; 0 in lockstep. */
	return json_pack("{s:f, s:f, s:f, s:s?, s:f, s:f, s:f, s:f, s:f, s:f, s:o, s:o}", "t_s",
			 (double)t->tick * s->r->ctl.period_s, "tick_clock_s",
			 (double)t->clock_ns / 1e9, "y_mm", t->y_mm, "zone",
			 zone >= 0 ? area_name((enum area)zone) : NULL, "force_n", t->force_n,
			 "force_target_n", t->force_target_n, "cap_n", t->cap_n, "knead_rpm",
			 t->knead_rpm, "tap_rpm", t->tap_rpm, "width_mm", t->w_mm, "airbags", air,
			 "heaters", heat);
}

static bool chair_moving(const struct telem *t)
{
	switch (t->state) {
	case ST_HOMING:
	case ST_SCANNING:
	case ST_RUNNING:
	case ST_PAUSED:
	case ST_FINISHING:
		return true;
	default:
		return t->force_n > 0.5f;
	}
}

const char *session_chair_state(const struct session *s)
{
	uint8_t st = s->r->last.state;
	return chair_state_name[st < ST_COUNT ? st : 0];
}

static void notify_state(struct session *s, const struct telem *t)
{
	json_t *p = json_pack("{s:s, s:s, s:b, s:s?}", "state",
			      chair_state_name[t->state < ST_COUNT ? t->state : 0], "session",
			      session_state_name(s->state), "homed", t->homed != 0, "fault",
			      t->fault && t->fault < FAULT_COUNT ? fault_table[t->fault].name : NULL);
	session_emit(s, "state", "notify.state", p);
}

void session_set_state(struct session *s, enum session_state st)
{
	if (s->state == st)
		return;
	s->state = st;
	notify_state(s, &s->r->last);
}

/* What the chair read and wrote when the fault latched, kept with it for the technician:
 * the fault tick's own telemetry (exact), and the rt thread's latest full image (drive
 * registers, bus counters; at most 100 ms of ticks from it, its tick says which). NULL when
 * there is no memory for it: the fault is logged without. */
static char *fault_image(const struct session *s, const struct telem *t)
{
	json_t *o = json_pack("{s:o}", "tick", process_telem_json(t));
	const struct rt_snapshot *snap = runner_snapshot(s->r);
	if (o && snap) {
		json_t *img = json_pack("{s:I}", "tick", (json_int_t)snap->tick);
		process_image_json(img, snap);
		json_object_set_new(o, "image", img);
	}
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(7)) : NULL;
	json_decref(o);
	return text;
}

/* A fault latched: logged, told, and an event of the session it ends. */
static void on_fault(struct session *s, const struct telem *t)
{
	struct fault_record rec = {.code = (enum fault_code)t->fault, .where = t->fault_where,
				   .bus_id = t->fault_bus_id, .value = t->fault_value,
				   .reg = t->fault_reg};
	char text[200];
	fault_describe(&rec, text, sizeof(text));
	const char *name = t->fault < FAULT_COUNT ? fault_table[t->fault].name : "fault";
	double when_s = s->wall_s();
	char *image = fault_image(s, t);
	if (s->st && store_fault_add(s->st, when_s, name, "", text, image) != 0)
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_error(s->st));
	free(image);
	session_emit(s, "faults", "notify.fault",
		     json_pack("{s:s, s:s, s:s, s:f, s:b}", "code", name, "text", text, "where", "",
			       "when", when_s, "latched", true));
	if (s->sid && (s->state == SESSION_RUNNING || s->state == SESSION_PAUSED ||
		       s->state == SESSION_FINISHING))
		session_event(s, STORE_EVENT_FAULT, name, session_zone_now(s), text);
}

/* What one tick of a running session adds to its summary. */
static void tally(struct session *s, const struct telem *t)
{
	uint64_t ms = (uint64_t)llround(s->r->ctl.period_s * 1000.0);
	if (t->state != ST_RUNNING)
		return;
	s->tally.running_ms += ms;
	if (t->force_n > s->tally.peak_force_n)
		s->tally.peak_force_n = t->force_n;
	if (!(t->force_n >= s->cfg->force.contact_n))
		return; /* the roller is not on the body: moving between zones */
	int zone = session_zone_now(s);
	if (zone >= 0)
		s->tally.zone_ms[zone] += ms;
	if (s->plan && t->phase_step < s->plan->step_count) {
		enum plan_op op = (enum plan_op)s->plan->steps[t->phase_step].op;
		if (plan_op_works(op))
			s->tally.technique_ms[op] += ms;
	}
}

/* Whether the running session is over, from what the chair says. */
static void check_end(struct session *s, const struct telem *t)
{
	if (t->state == ST_FAULT || t->state == ST_ESTOP) {
		if (t->fault == FAULT_SESSION_LIMIT)
			session_end(s, STORE_ENDED_COMPLETED, "the session limit");
		else
			session_end(s, STORE_ENDED_FAULT,
				    t->fault < FAULT_COUNT ? fault_table[t->fault].name : "fault");
		return;
	}
	if (t->start_seq >= s->start_seq && !s->seen_running && t->state == ST_IDLE &&
	    t->cmd_seq >= s->start_seq) {
		session_end(s, STORE_ENDED_FAULT, "the chair refused the start");
		return;
	}
	if (s->seen_running && t->state == ST_IDLE) {
		if (s->limit_stop)
			session_end(s, STORE_ENDED_COMPLETED, "session limit");
		else
			session_end(s, s->stop_asked ? STORE_ENDED_STOPPED : STORE_ENDED_COMPLETED,
				    s->stop_asked ? "stopped" : "the plan's end");
	}
}

/* A gentle stop a few seconds before the session limit (time running and paused, as the
 * tick counts it): the roller released, the session completed. */
static void check_limit(struct session *s, const struct telem *t)
{
	if (!s->seen_running || s->limit_stop || s->stop_asked ||
	    (t->state != ST_RUNNING && t->state != ST_PAUSED))
		return;
	if (session_elapsed_s(s) < s->cfg->session.max_s - SESSION_LIMIT_MARGIN_S)
		return;
	struct ctl_cmd stop = {.kind = CMD_STOP};
	if (!runner_send(s->r, &stop))
		return; /* a stop goes by the safe lane, never refused: not reached */
	s->limit_stop = true;
	session_event(s, STORE_EVENT_PHASE, "session-limit", session_zone_now(s),
		      "stopped by the session limit");
}

/* The send of a start once the chair is homed (a visit without a scan homes first). */
static void start_when_homed(struct session *s, const struct telem *t)
{
	if (t->state == ST_FAULT || t->state == ST_ESTOP) {
		s->start_pending = false;
		session_end(s, STORE_ENDED_FAULT, "a fault while homing");
		return;
	}
	if (t->cmd_seq < s->home_seq || t->state != ST_IDLE || !t->homed)
		return;
	s->start_pending = false;
	struct ctl_cmd cap = {.kind = CMD_SET_CAP, .value_f = s->limits.cap_n};
	struct ctl_cmd start = {.kind = CMD_START, .plan = s->plan};
	if (!runner_send(s->r, &cap) || !(s->start_seq = runner_send(s->r, &start)))
		session_end(s, STORE_ENDED_FAULT, "the command queue is full");
}

static void on_running(struct session *s, const struct telem *t)
{
	if (s->start_pending) {
		start_when_homed(s, t);
		return;
	}
	if (t->start_seq < s->start_seq)
		return; /* the start is not handled yet */
	if (t->state == ST_RUNNING || t->state == ST_PAUSED) {
		if (!s->seen_running) {
			s->seen_running = true;
			s->start_tick = t->tick;
		}
		enum session_state want = t->state == ST_PAUSED ? SESSION_PAUSED : SESSION_RUNNING;
		if (s->state != want && s->state != SESSION_FINISHING)
			session_set_state(s, want);
	} else if (t->state == ST_FINISHING && s->seen_running) {
		session_set_state(s, SESSION_FINISHING);
	}
	tally(s, t);
	check_limit(s, t);
	const char *phase = phase_of(s->plan, t->phase_step);
	int zone = session_zone_now(s);
	if (s->seen_running && (strcmp(phase, s->last_phase) || t->phase_step != s->last_step ||
				zone != s->last_zone)) {
		if (strcmp(phase, s->last_phase) && phase[0])
			session_event(s, STORE_EVENT_PHASE, phase, zone, technique_of(s->plan, t->phase_step));
		snprintf(s->last_phase, sizeof(s->last_phase), "%s", phase);
		s->last_step = t->phase_step;
		s->last_zone = zone;
		notify_session(s);
	}
	check_end(s, t);
}

static void feedback_answer(struct session *s, const struct telem *t);

void session_on_telem(struct session *s, const struct telem *t)
{
	s->last_tick = t->tick;
	zone_follow(s, t);
	feedback_answer(s, t);
	if (t->fault != s->last_fault && t->fault)
		on_fault(s, t);
	s->last_fault = t->fault;
	if (t->state != s->last_chair_state) {
		s->last_chair_state = t->state;
		notify_state(s, t);
	}
	if (s->state == SESSION_SCANNING)
		session_scan_on_telem(s, t);
	else if (s->sid && (s->state == SESSION_PLANNED || s->state == SESSION_RUNNING ||
			    s->state == SESSION_PAUSED || s->state == SESSION_FINISHING))
		on_running(s, t);
	uint64_t every = (uint64_t)llround(SESSION_MOTION_EVERY_MS / 1000.0 / s->r->ctl.period_s);
	if (chair_moving(t) && t->tick >= s->last_motion_tick + (every ? every : 1)) {
		s->last_motion_tick = t->tick;
		session_emit(s, "motion", "notify.motion", motion_params(s, t));
	}
}

void session_poll(struct session *s, double now_s)
{
	for (int i = 0; i < SESSION_PLANS_RETIRED; i++)
		if (s->retired[i] && !runner_plan_busy(s->r, s->retired[i])) {
			plan_free(s->retired[i]);
			s->retired[i] = NULL;
		}
	if (now_s - s->events_flushed_s >= 1.0) {
		s->events_flushed_s = now_s;
		session_flush_events(s);
	}
	if ((s->state == SESSION_RUNNING || s->state == SESSION_PAUSED) &&
	    now_s - s->last_session_notify_s >= 1.0) {
		s->last_session_notify_s = now_s;
		notify_session(s);
	}
}

bool session_busy(const struct session *s)
{
	return s->state == SESSION_SCANNING || s->state == SESSION_RUNNING ||
	       s->state == SESSION_PAUSED || s->state == SESSION_FINISHING || s->start_pending;
}

/* ---- feedback ---- */

/* Put the command on its way; its sequence number in *seq (0 when not wanted). */
static int send_cmd(struct session *s, enum cmd_kind kind, int value, uint32_t *seq,
		    struct panel_error *err)
{
	struct ctl_cmd c = {.kind = kind, .value = value};
	uint32_t sent = runner_send(s->r, &c);
	if (seq)
		*seq = sent;
	if (sent)
		return 0;
	panel_error_set(err, PANEL_E_STATE, json_pack("{s:s}", "state", session_state_name(s->state)),
			"the chair's command queue is full: try again");
	return PANEL_E_STATE;
}

/* "too much" lowers the zone's preference for the next sessions: a level less, and the
 * force that was too much as its ceiling. */
static void learn_too_much(struct session *s, int zone, double force_n)
{
	if (zone < 0 || !s->st)
		return;
	struct zone_pref prefs[AREA_COUNT];
	if (store_zone_prefs_get(s->st, s->user.id, prefs) != 0)
		return;
	struct zone_pref p = prefs[zone];
	if (p.pressure_delta > -5)
		p.pressure_delta--;
	if (force_n > 0 && (p.ceiling_n <= 0 || force_n < p.ceiling_n))
		p.ceiling_n = force_n;
	if (store_zone_pref_set(s->st, s->user.id, (enum area)zone, &p) != 0)
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_error(s->st));
}

/* The guided trigger point's level at "there", remembered for that point. */
static void learn_there(struct session *s, double force_n)
{
	const struct telem *t = &s->r->last;
	if (!s->plan || t->phase_step >= s->plan->step_count || !s->st)
		return;
	const struct plan_step *st = &s->plan->steps[t->phase_step];
	if (st->op != PLAN_TRIGGER_POINT)
		return;
	struct trigger_memory tm = {.level_n = force_n};
	plan_point_format(&st->where.a, tm.point, sizeof(tm.point));
	snprintf(s->trigger_point, sizeof(s->trigger_point), "%s", tm.point);
	s->there_force_n = force_n;
	if (store_trigger_set(s->st, s->user.id, &tm) != 0)
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_error(s->st));
}

bool session_feedback_waits(enum session_action a)
{
	/* The safer lane's (too much, softer, slower, stop, pause) always take effect, and
	 * their sequence numbers are not reported in order; resume is answered as sent. */
	switch (a) {
	case ACT_STRONGER: case ACT_FASTER: case ACT_WIDER: case ACT_NARROWER:
	case ACT_STAY: case ACT_SKIP: case ACT_THERE: case ACT_EASED:
		return true;
	default:
		return false;
	}
}

/* A feedback the chair took: the tally, the steps, the stored event and the reply. */
static json_t *feedback_record(struct session *s, enum session_action a, int zone,
			       double target_n, double force_n)
{
	const struct telem *t = &s->r->last;
	int step = a == ACT_STRONGER || a == ACT_FASTER ? 1 : a == ACT_SOFTER || a == ACT_SLOWER ? -1 : 0;
	int *steps = a == ACT_STRONGER || a == ACT_SOFTER ? &s->intensity_steps
		     : a == ACT_FASTER || a == ACT_SLOWER ? &s->speed_steps
							: NULL;
	if (steps)
		*steps += step;
	if (a == ACT_TOO_MUCH)
		learn_too_much(s, zone, force_n);
	if (a == ACT_THERE)
		learn_there(s, force_n);
	if (a == ACT_STOP)
		s->stop_asked = true;
	if (target_n > t->cap_n && t->cap_n > 0)
		target_n = t->cap_n;
	s->tally.feedback[a]++;
	if (s->adjustment_count < (int)(sizeof(s->adjustments) / sizeof(s->adjustments[0]))) {
		s->adjustments[s->adjustment_count].t_s = session_elapsed_s(s);
		s->adjustments[s->adjustment_count].action = (int8_t)a;
		s->adjustments[s->adjustment_count].zone = (int8_t)zone;
		s->adjustment_count++;
	}
	char detail[64];
	snprintf(detail, sizeof(detail), "force %.1f N", force_n);
	session_event(s, STORE_EVENT_FEEDBACK, session_action_name(a), zone, detail);
	json_t *result = json_pack("{s:s, s:f, s:s?}", "action", session_action_name(a),
				   "force_target_n", round(target_n * 10) / 10, "zone",
				   zone >= 0 ? area_name((enum area)zone) : NULL);
	notify_session(s);
	return result;
}

/* The tick's verdict on a waiting feedback as a panel error (0 when it was taken). */
static int feedback_refusal(const struct session *s, enum session_action a, int32_t verdict,
			    struct panel_error *err)
{
	if (verdict == CMD_OK)
		return 0;
	if (verdict == CMD_E_LIMIT) {
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s}", "reason", a == ACT_STAY
							    ? "no room left before the session limit"
							    : "past a bound of the step"),
				"%s refused by the chair: at its limit", session_action_name(a));
		return PANEL_E_REFUSED;
	}
	panel_error_set(err, PANEL_E_STATE,
			json_pack("{s:s, s:s}", "state", session_state_name(s->state), "chair",
				  session_chair_state(s)),
			"%s refused by the chair: it has moved on", session_action_name(a));
	return PANEL_E_STATE;
}

/* Answer the waiting feedback the tick has handled (telemetry's cmd_seq reached it). The
 * telemetry carries the verdict of the last command of a tick only: one overtaken in the
 * same tick by a later command is taken as done, as the ring took it in order. */
static void feedback_answer(struct session *s, const struct telem *t)
{
	int kept = 0;
	for (int i = 0; i < s->waiting_count; i++) {
		if (t->cmd_seq < s->waiting[i].seq) {
			s->waiting[kept++] = s->waiting[i];
			continue;
		}
		enum session_action a = (enum session_action)s->waiting[i].action;
		int32_t verdict = t->cmd_seq == s->waiting[i].seq ? t->cmd_result : CMD_OK;
		struct panel_error err = {0};
		json_t *result = NULL;
		if (!feedback_refusal(s, a, verdict, &err))
			result = feedback_record(s, a, s->waiting[i].zone, s->waiting[i].target_n,
						 s->waiting[i].force_n);
		if (s->waiting[i].fn)
			s->waiting[i].fn(s->waiting[i].ctx, s->waiting[i].tag, result,
					 result ? NULL : &err);
		else
			json_decref(result);
		panel_error_clear(&err);
	}
	s->waiting_count = kept;
}

int session_feedback(struct session *s, enum session_action a, json_t **result,
		     struct panel_error *err)
{
	return session_feedback_tagged(s, a, NULL, NULL, 0, result, err);
}

int session_feedback_tagged(struct session *s, enum session_action a, session_feedback_fn fn,
			    void *ctx, uint64_t tag, json_t **result, struct panel_error *err)
{
	if ((int)a < 0 || a >= ACT_COUNT) {
		panel_error_set(err, PANEL_E_PARAMS, json_pack("{s:s}", "field", "action"),
				"bad params");
		return PANEL_E_PARAMS;
	}
	/* "stop" stops whatever the chair is doing to the person: the body scan too, whoever
	 * asks for it (the panel's red bar, chairctl session stop). */
	if (a == ACT_STOP && s->state == SESSION_SCANNING)
		return session_scan_stop(s, result, err);
	bool live = s->state == SESSION_RUNNING || s->state == SESSION_PAUSED;
	if (!live || !s->seen_running)
		return session_refuse_state(s, err, "no session is running");
	if (a == ACT_RESUME && s->state != SESSION_PAUSED)
		return session_refuse_state(s, err, "the session is not paused");
	if (a != ACT_RESUME && a != ACT_STOP && s->state == SESSION_PAUSED)
		return session_refuse_state(s, err, "the session is paused: resume it first");
	const struct telem *t = &s->r->last;
	if (a == ACT_THERE && t->guided_phase != EXEC_GUIDED_RISING)
		return session_refuse_state(s, err, "no guided trigger point is rising");
	if (a == ACT_EASED && t->guided_phase != EXEC_GUIDED_HOLDING)
		return session_refuse_state(s, err, "no guided trigger point is holding");
	int zone = session_zone_now(s);
	double target_n = t->force_target_n;
	if (a == ACT_STRONGER && t->force_target_n >= t->cap_n - 0.05 && t->cap_n > 0) {
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:f}", "reason", "at this person's cap", "cap_n",
					  (double)t->cap_n),
				"stronger refused: already at this person's cap");
		return PANEL_E_REFUSED;
	}
	int step = a == ACT_STRONGER || a == ACT_FASTER ? 1 : a == ACT_SOFTER || a == ACT_SLOWER ? -1 : 0;
	int *steps = a == ACT_STRONGER || a == ACT_SOFTER ? &s->intensity_steps
		     : a == ACT_FASTER || a == ACT_SLOWER ? &s->speed_steps
							: NULL;
	int waiting_same = 0; /* sent, not yet recorded: they count towards the range too */
	for (int i = 0; i < s->waiting_count; i++)
		waiting_same += s->waiting[i].action == (int)a;
	if (steps && abs(*steps + step * (1 + waiting_same)) > FEEDBACK_LEVEL_MAX) {
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:i}", "reason", "at the end of its range", "steps",
					  *steps),
				"%s refused: already %d steps %s", session_action_name(a),
				FEEDBACK_LEVEL_MAX, step > 0 ? "up" : "down");
		return PANEL_E_REFUSED;
	}
	bool waits = session_feedback_waits(a);
	if (waits && s->waiting_count == SESSION_FEEDBACK_WAIT_MAX)
		return session_refuse_state(s, err, "too many feedbacks waiting for the chair");
	static const enum cmd_kind kind[ACT_COUNT] = {
		[ACT_STRONGER] = CMD_INTENSITY, [ACT_SOFTER] = CMD_INTENSITY,
		[ACT_FASTER] = CMD_SPEED, [ACT_SLOWER] = CMD_SPEED, [ACT_WIDER] = CMD_WIDTH,
		[ACT_NARROWER] = CMD_WIDTH, [ACT_STAY] = CMD_STAY, [ACT_SKIP] = CMD_SKIP,
		[ACT_TOO_MUCH] = CMD_TOO_MUCH, [ACT_THERE] = CMD_THERE, [ACT_EASED] = CMD_EASED,
		[ACT_PAUSE] = CMD_PAUSE, [ACT_RESUME] = CMD_RESUME, [ACT_STOP] = CMD_STOP};
	int value = a == ACT_STRONGER || a == ACT_FASTER || a == ACT_WIDER ? +1
		    : a == ACT_SOFTER || a == ACT_SLOWER || a == ACT_NARROWER ? -1
									  : 0;
	uint32_t seq = 0;
	int rc = send_cmd(s, kind[a], value, &seq, err);
	if (rc)
		return rc;
	if (a == ACT_STRONGER)
		target_n *= 1.1;
	else if (a == ACT_SOFTER)
		target_n *= 0.9;
	else if (a == ACT_TOO_MUCH && t->force_n > 0 && FEEDBACK_TOO_MUCH_DROP * t->force_n < target_n)
		target_n = FEEDBACK_TOO_MUCH_DROP * t->force_n;
	else if (a == ACT_STOP)
		target_n = 0;
	if (!waits) {
		*result = feedback_record(s, a, zone, target_n, t->force_n);
		return 0;
	}
	s->waiting[s->waiting_count++] = (struct session_feedback_wait){
		.seq = seq, .action = a, .zone = zone, .target_n = target_n,
		.force_n = t->force_n, .tag = tag, .fn = fn, .ctx = ctx};
	return SESSION_PENDING;
}
