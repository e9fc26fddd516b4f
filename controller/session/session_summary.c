/* After a session: how it ended (stored at once), the pain scores after, the summary and the
 * care advice; and the history document the reports are made from, built from the store. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "session_internal.h"

/* A zone or technique counts as worked after this much contact: a roll passing through. */
#define WORKED_MS 1000

static double minutes(uint64_t ms)
{
	return round(ms / 600.0) / 100.0; /* to a hundredth of a minute */
}

json_t *session_summary_json(const struct session *s)
{
	json_t *by_zone = json_object(), *by_tech = json_object(), *fb = json_object();
	json_t *worked = json_array(), *adj = json_array();
	for (int z = 0; z < AREA_COUNT; z++)
		if (s->tally.zone_ms[z] >= WORKED_MS) {
			json_object_set_new(by_zone, area_name((enum area)z),
					    json_real(minutes(s->tally.zone_ms[z])));
			json_array_append_new(worked, json_string(area_name((enum area)z)));
		}
	for (int op = 0; op < PLAN_OP_COUNT; op++)
		if (s->tally.technique_ms[op] >= WORKED_MS)
			json_object_set_new(by_tech, plan_op_name((enum plan_op)op),
					    json_real(minutes(s->tally.technique_ms[op])));
	for (int a = 0; a < ACT_COUNT; a++)
		if (s->tally.feedback[a])
			json_object_set_new(fb, session_action_name((enum session_action)a),
					    json_integer(s->tally.feedback[a]));
	for (int i = 0; i < s->adjustment_count; i++)
		json_array_append_new(
			adj, json_pack("{s:f, s:s, s:s?}", "t_s", round(s->adjustments[i].t_s * 10) / 10,
				       "action",
				       session_action_name((enum session_action)s->adjustments[i].action),
				       "zone",
				       s->adjustments[i].zone >= 0
					       ? area_name((enum area)s->adjustments[i].zone)
					       : NULL));
	double duration_s = session_elapsed_s(s);
	return json_pack("{s:I, s:s, s:s, s:s, s:f, s:f, s:o, s:o, s:o, s:o, s:o}", "session_id",
			 (json_int_t)s->sid, "program", s->plan ? s->plan->name : "", "ended",
			 store_ended_name(s->ended), "reason", s->end_reason, "duration_s",
			 round(duration_s * 10) / 10, "peak_force_n",
			 round(s->tally.peak_force_n * 10) / 10, "areas_worked", worked,
			 "minutes_by_zone", by_zone, "minutes_by_technique", by_tech, "feedback", fb,
			 "adjustments", adj);
}

void session_end(struct session *s, enum store_ended how, const char *reason)
{
	if (!s->sid || s->ended != STORE_ENDED_RUNNING)
		return;
	s->ended = how;
	s->start_pending = false;
	snprintf(s->end_reason, sizeof(s->end_reason), "%s", reason);
	session_event(s, STORE_EVENT_PHASE, "end", session_zone_now(s), reason);
	session_flush_events(s);
	json_decref(s->summary);
	s->summary = session_summary_json(s);
	char *text = json_dumps(s->summary, JSON_COMPACT);
	double end_s = s->start_wall_s + session_elapsed_s(s);
	if (store_session_end(s->st, s->sid, how, end_s, text) != 0)
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_error(s->st));
	free(text);
	session_set_state(s, SESSION_AWAITING_PAIN);
	session_emit(s, "session", "notify.session",
		     json_pack("{s:I, s:s, s:s, s:s}", "session_id", (json_int_t)s->sid, "state",
			       session_state_name(s->state), "ended", store_ended_name(how),
			       "reason", reason));
}

static json_t *pain_rows(const int before[AREA_COUNT], const int after[AREA_COUNT])
{
	json_t *rows = json_array();
	for (int a = 0; a < AREA_COUNT; a++) {
		if (before[a] < 0 && (!after || after[a] < 0))
			continue;
		json_array_append_new(
			rows, json_pack("{s:s, s:o, s:o}", "area", area_name((enum area)a), "before",
					before[a] >= 0 ? json_integer(before[a]) : json_null(),
					"after",
					after && after[a] >= 0 ? json_integer(after[a]) : json_null()));
	}
	return rows;
}

int session_finish(struct session *s, int64_t sid, const int pain_after[AREA_COUNT],
		   json_t **result, struct panel_error *err)
{
	struct store_session row;
	int rc = store_session_get(s->st, sid, &row);
	if (rc == -ENOENT) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", "session_id"),
				"no such session");
		return PANEL_E_NOT_FOUND;
	}
	if (rc)
		return session_store_failed(s, err, rc);
	if (sid != s->sid || s->state != SESSION_AWAITING_PAIN)
		return session_refuse_state(s, err, s->sid == sid && s->ended == STORE_ENDED_RUNNING
							    ? "the session has not ended yet"
							    : "this session is not waiting for its pain scores");
	int before[AREA_COUNT];
	memcpy(before, row.pain_before, sizeof(before));
	/* The summary kept at the end, now with the care advice that follows the pain after:
	 * both in one transaction, so history.get has what the person was told. */
	json_t *advice = session_advice_json(s, pain_after);
	json_t *kept = json_copy(s->summary);
	json_object_set(kept, "advice", advice);
	char *text = json_dumps(kept, JSON_COMPACT);
	json_decref(kept);
	rc = text ? store_session_finish(s->st, sid, pain_after, text) : -ENOMEM;
	free(text);
	if (rc) {
		json_decref(advice);
		return session_store_failed(s, err, rc);
	}
	*result = json_pack("{s:I, s:O, s:o, s:o}", "session_id", (json_int_t)sid, "summary",
			    s->summary, "pain", pain_rows(before, pain_after), "advice", advice);
	session_set_state(s, SESSION_DONE);
	return 0;
}

/* ---- the history document ---- */

struct history_ctx {
	json_t *sessions;
};

/* One session as the history document has it, its figures from the stored summary. */
static json_t *history_session(const struct store_session *ss)
{
	json_t *sum = ss->summary_json && ss->summary_json[0]
			      ? json_loads(ss->summary_json, 0, NULL)
			      : NULL;
	double end_s = ss->end_s > 0 ? ss->end_s : ss->start_s;
	json_t *o = json_pack("{s:I, s:f, s:f, s:f, s:s, s:s}", "session_id", (json_int_t)ss->id,
			      "start_s", ss->start_s, "end_s", end_s, "duration_s",
			      end_s - ss->start_s, "program", ss->program_name, "ended",
			      store_ended_name(ss->ended));
	const char *copy[] = {"peak_force_n", "areas_worked", "minutes_by_zone",
			      "minutes_by_technique", "feedback"};
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		json_t *v = sum ? json_object_get(sum, copy[i]) : NULL;
		if (v)
			json_object_set(o, copy[i], v);
		else if (i == 0)
			json_object_set_new(o, copy[i], json_real(0));
		else if (i == 1)
			json_object_set_new(o, copy[i], json_array());
		else
			json_object_set_new(o, copy[i], json_object());
	}
	json_object_set_new(o, "pain", pain_rows(ss->pain_before, ss->pain_after));
	json_decref(sum);
	return o;
}

static int take_session(void *ctx, const struct store_session *ss)
{
	struct history_ctx *h = ctx;
	json_array_append_new(h->sessions, history_session(ss));
	return 0;
}

int session_history_doc(struct session *s, int64_t user_id, json_t **doc,
			struct panel_error *err)
{
	struct store_user u;
	int rc = store_user_get(s->st, user_id, &u);
	if (rc == -ENOENT) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", "user"),
				"no such user");
		return PANEL_E_NOT_FOUND;
	}
	if (rc)
		return session_store_failed(s, err, rc);
	json_t *user = json_pack("{s:s, s:i}", "name", u.name, "height_cm", u.height_cm);
	struct store_consultation c;
	json_t *limits = NULL;
	rc = store_consultation_latest(s->st, user_id, &c);
	if (rc == 0)
		limits = json_loads(c.limits_json, 0, NULL);
	else if (rc != -ENOENT) {
		json_decref(user);
		return session_store_failed(s, err, rc);
	}
	struct history_ctx h = {.sessions = json_array()};
	rc = store_session_history(s->st, user_id, take_session, &h);
	if (rc) {
		json_decref(user);
		json_decref(limits);
		json_decref(h.sessions);
		return session_store_failed(s, err, rc);
	}
	*doc = json_pack("{s:o, s:o, s:o}", "user", user, "limits",
			 limits ? limits : json_object(), "sessions", h.sessions);
	return 0;
}

static int take_event(void *ctx, const struct store_event *ev)
{
	json_array_append_new(
		ctx, json_pack("{s:f, s:s, s:s, s:s?, s:s}", "t_s", ev->t_s, "kind",
			       store_event_kind_name(ev->kind), "action", ev->action, "zone",
			       ev->zone >= 0 ? area_name((enum area)ev->zone) : NULL, "detail",
			       ev->detail));
	return 0;
}

int session_history_one(struct session *s, int64_t sid, json_t **doc, struct panel_error *err)
{
	struct store_session ss;
	int rc = store_session_get(s->st, sid, &ss);
	if (rc == -ENOENT) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", "session_id"),
				"no such session");
		return PANEL_E_NOT_FOUND;
	}
	if (rc)
		return session_store_failed(s, err, rc);
	json_t *o = history_session(&ss);
	json_object_set_new(o, "plan_text", json_string(ss.plan_text ? ss.plan_text : ""));
	/* How it ended and the care advice given at the finish, from the stored summary. */
	json_t *sum = ss.summary_json[0] ? json_loads(ss.summary_json, 0, NULL) : NULL;
	json_t *reason = json_object_get(sum, "reason"), *advice = json_object_get(sum, "advice");
	json_object_set_new(o, "reason", json_is_string(reason) ? json_incref(reason)
								: json_string(""));
	json_object_set_new(o, "advice", json_is_array(advice) ? json_incref(advice)
								: json_array());
	json_decref(sum);
	json_t *events = json_array();
	if ((rc = store_session_events(s->st, sid, take_event, events))) {
		json_decref(o);
		json_decref(events);
		return session_store_failed(s, err, rc);
	}
	json_object_set_new(o, "events", events);
	*doc = o;
	return 0;
}

json_t *session_advice_json(struct session *s, const int pain_after[AREA_COUNT])
{
	unsigned worked = 0;
	for (int z = 0; z < AREA_COUNT; z++)
		if (s->tally.zone_ms[z] >= WORKED_MS)
			worked |= 1u << z;
	struct advice_list list;
	json_t *out = json_array();
	if (!s->advice ||
	    advice_select(s->advice, worked, &s->answers, s->answers.pain_score, pain_after,
			  &list) != 0)
		return out;
	for (int i = 0; i < list.count; i++)
		json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "id", list.item[i].id,
						     "kind", advice_kind_name(list.item[i].kind),
						     "text", list.item[i].text));
	return out;
}
