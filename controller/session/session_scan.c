/* The body: scanned by the chair (homing first when needed), nudged by the person, or placed
 * from a height when a scan cannot read it. What is found is kept in the profile. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../program_load.h"
#include "scan.h"
#include "session_internal.h"

static int find_user_for_body(struct session *s, const char *name, struct store_user *u,
			      struct panel_error *err)
{
	int rc = store_user_get_by_name(s->st, name, u);
	if (rc == -ENOENT || rc == -EINVAL) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", "user"),
				"no such user");
		return PANEL_E_NOT_FOUND;
	}
	if (rc)
		return session_store_failed(s, err, rc);
	if (session_busy(s))
		return session_refuse_state(s, err, "the chair is busy with a visit");
	return 0;
}

/* The visit's body from now on: the plan before it was for another body. */
static void body_found(struct session *s, const struct store_user *u, const struct body_map *b)
{
	if (s->have_user && s->user.id != u->id)
		session_visit_for(s, u, NULL); /* another person's findings go (not busy here) */
	s->user = *u;
	s->have_user = true;
	session_drop_plan(s); /* it was resolved for the body before */
	s->body = *b;
	s->have_body = true;
	if (s->state == SESSION_PLANNED || s->state == SESSION_DONE ||
	    s->state == SESSION_AWAITING_PAIN || s->state == SESSION_IDLE ||
	    s->state == SESSION_CONSULTED || s->state == SESSION_SCANNING)
		session_set_state(s, s->have_limits ? SESSION_SCANNED : SESSION_IDLE);
}

int session_scan_adjust(struct session *s, const char *user, int delta_mm, json_t **result,
			struct panel_error *err)
{
	struct store_user u;
	int rc = find_user_for_body(s, user, &u, err);
	if (rc)
		return rc;
	if (u.shoulder_y_mm <= 0)
		return session_refuse_state(s, err, "no scan to adjust: scan first");
	struct interp_limits lim;
	program_limits(s->cfg, &lim);
	struct body_map b;
	int adjust = u.shoulder_adjust_mm + delta_mm;
	struct scan_result res = {.status = SCAN_OK, .shoulder_y_mm = u.shoulder_y_mm,
				  .height_mm = u.height_cm > 0 ? u.height_cm * 10.0
							       : BODY_DEFAULT_HEIGHT_MM,
				  .skin_gap_mm = lim.skin_gap_mm};
	if (abs(adjust) > 80 || scan_body(&res, adjust, &lim, &b) != 0) {
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:s}", "field", "delta_mm", "reason",
					  "the shoulder line would leave the body"),
				"that nudge puts the shoulder line off the body");
		return PANEL_E_REFUSED;
	}
	struct store_user nu = u;
	nu.shoulder_adjust_mm = adjust;
	if ((rc = store_user_update(s->st, &nu)))
		return session_store_failed(s, err, rc);
	body_found(s, &nu, &b);
	*result = session_body_json(&b, &nu);
	return 0;
}

int session_scan_manual(struct session *s, const char *user, int height_cm, json_t **result,
			struct panel_error *err)
{
	struct store_user u;
	int rc = find_user_for_body(s, user, &u, err);
	if (rc)
		return rc;
	struct interp_limits lim;
	program_limits(s->cfg, &lim);
	struct body_map b;
	if (body_from_height(&b, height_cm * 10.0, &lim) != 0) {
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:s}", "field", "height_cm", "reason",
					  "a height the chair cannot fit"),
				"the chair cannot fit that height");
		return PANEL_E_REFUSED;
	}
	struct store_user nu = u;
	nu.height_cm = height_cm;
	/* A body from a height replaces the scanned line: the next plan must not use it. */
	nu.shoulder_y_mm = (int)lround(b.shoulder_y_mm);
	nu.shoulder_adjust_mm = 0;
	if ((rc = store_user_update(s->st, &nu)))
		return session_store_failed(s, err, rc);
	body_found(s, &nu, &b);
	json_t *o = session_body_json(&b, &nu);
	json_object_set_new(o, "source", json_string("height"));
	*result = o;
	return 0;
}

/* What became of the scan, to the request that waits for it. */
static void scan_answer(struct session *s, json_t *result, struct panel_error *err)
{
	session_done_fn done = s->scan_done;
	s->scan_done = NULL;
	if (done)
		done(s->scan_done_ctx, result, err);
	else {
		json_decref(result);
		if (err)
			panel_error_clear(err);
	}
}

static void scan_failed(struct session *s, const char *status, const char *reason)
{
	free(s->scan);
	s->scan = NULL;
	s->scan_homing = false;
	session_set_state(s, s->have_body ? SESSION_SCANNED
			     : s->have_limits ? SESSION_CONSULTED : SESSION_IDLE);
	struct panel_error err = {0};
	json_t *data = json_pack("{s:s, s:s, s:s, s:[ss]}", "rule", "scan", "status", status,
				 "reason", reason, "offer", "scan.start", "scan.manual");
	if (!strcmp(status, "stopped"))
		panel_error_set(&err, PANEL_E_REFUSED, data, "the scan was stopped: %s", reason);
	else
		panel_error_set(&err, PANEL_E_REFUSED, data, "the scan found no body to work on: %s",
				reason);
	scan_answer(s, NULL, &err);
}

static const char *scan_status_name(enum scan_status st)
{
	switch (st) {
	case SCAN_OK: return "ok";
	case SCAN_NOBODY: return "nobody";
	case SCAN_IMPLAUSIBLE: return "implausible";
	case SCAN_FAULT: return "fault";
	default: return "running";
	}
}

/* A finished scan: the shoulder line into the profile, the body into the visit. */
static void scan_finished(struct session *s)
{
	struct scan_result res;
	scan_result(s->scan, &res);
	if (res.status != SCAN_OK) {
		scan_failed(s, scan_status_name(res.status), res.reason[0] ? res.reason : "no result");
		return;
	}
	struct interp_limits lim;
	program_limits(s->cfg, &lim);
	struct store_user nu = s->user;
	struct body_map b;
	if (scan_body(&res, nu.shoulder_adjust_mm, &lim, &b) != 0 &&
	    (nu.shoulder_adjust_mm = 0, scan_body(&res, 0, &lim, &b) != 0)) {
		scan_failed(s, "implausible", "the shoulder line leaves no back to work on");
		return;
	}
	nu.shoulder_y_mm = (int)lround(res.shoulder_y_mm);
	if (nu.height_cm <= 0)
		nu.height_cm = (int)lround(res.height_mm / 10.0);
	if (store_user_update(s->st, &nu) != 0)
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_error(s->st));
	free(s->scan);
	s->scan = NULL;
	body_found(s, &nu, &b);
	session_set_state(s, SESSION_SCANNED);
	json_t *o = session_body_json(&b, &nu);
	json_object_set_new(o, "status", json_string("ok"));
	json_object_set_new(o, "scanned_shoulder_y_mm", json_real(res.shoulder_y_mm));
	json_object_set_new(o, "skin_gap_mm", json_real(res.skin_gap_mm));
	json_object_set_new(o, "duration_s", json_real(res.duration_s));
	scan_answer(s, o, NULL);
}

int session_scan_start(struct session *s, const char *user, session_done_fn done, void *ctx,
		       struct panel_error *err)
{
	struct store_user u;
	int rc = find_user_for_body(s, user, &u, err);
	if (rc)
		return rc;
	const struct telem *t = &s->r->last;
	if (t->state == ST_FAULT || t->state == ST_ESTOP)
		return session_refuse_state(s, err, "a fault is latched: acknowledge it first");
	if (t->state != ST_IDLE)
		return session_refuse_state(s, err, "the chair is not idle");
	struct scan *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return session_store_failed(s, err, -ENOMEM);
	uint32_t seq = 0;
	if (!t->homed) {
		struct ctl_cmd home = {.kind = CMD_HOME};
		if (!(seq = runner_send(s->r, &home))) {
			free(sc);
			return session_refuse_state(s, err, "the command queue is full");
		}
	} else {
		scan_begin(sc, s->cfg);
	}
	session_visit_for(s, &u, NULL);
	s->scan = sc;
	s->scan_homing = !t->homed;
	s->scan_seq = seq;
	s->scan_done = done;
	s->scan_done_ctx = ctx;
	s->user = u;
	s->have_user = true;
	session_set_state(s, SESSION_SCANNING);
	return 0;
}

void session_scan_on_telem(struct session *s, const struct telem *t)
{
	if (!s->scan)
		return;
	if (s->scan_homing) {
		if (t->state == ST_FAULT || t->state == ST_ESTOP) {
			scan_failed(s, "fault", "a fault while homing");
			return;
		}
		if (t->cmd_seq < s->scan_seq || t->state != ST_IDLE || !t->homed)
			return;
		s->scan_homing = false;
		scan_begin(s->scan, s->cfg);
	}
	struct ctl_cmd cmd;
	enum scan_step step = scan_on_telem(s->scan, t, &cmd);
	if (step == SCAN_SEND && !runner_send(s->r, &cmd)) {
		struct ctl_cmd off = {.kind = CMD_STOP};
		runner_send(s->r, &off);
	}
	double now_s = (double)t->tick * s->r->ctl.period_s;
	if (now_s - s->scan_last_notify_s >= 0.1 || step == SCAN_DONE) {
		s->scan_last_notify_s = now_s;
		session_emit(s, "scan", "notify.scan",
			     json_pack("{s:f, s:f, s:f}", "fraction", scan_fraction(s->scan),
				       "y_mm", t->y_mm, "force_n", t->force_n));
	}
	if (step == SCAN_DONE)
		scan_finished(s);
}

int session_scan_stop(struct session *s, json_t **result, struct panel_error *err)
{
	if (!s->scan)
		return session_refuse_state(s, err, "no scan is under way");
	/* The safe lane takes a stop whatever else is queued: the roller lets go now. */
	struct ctl_cmd stop = {.kind = CMD_STOP};
	runner_send(s->r, &stop);
	scan_failed(s, "stopped", "stopped by the person in the chair");
	*result = json_pack("{s:s, s:s}", "action", "stop", "stopped", "scan");
	return 0;
}

void session_scan_abort(struct session *s)
{
	if (!s->scan)
		return;
	struct ctl_cmd stop = {.kind = CMD_STOP};
	runner_send(s->r, &stop);
	scan_failed(s, "fault", "chaird stopped");
}
