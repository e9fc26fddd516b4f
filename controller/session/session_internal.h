/* What session.c, session_run.c and session_summary.c share and nobody else uses. */
#ifndef SESSION_INTERNAL_H
#define SESSION_INTERNAL_H

#include "session.h"

/* Whether the visit may turn to user u now: not while a session moves; another person's
 * findings are let go of. */
int session_visit_for(struct session *s, const struct store_user *u, struct panel_error *err);
/* Let go of the proposed plan: written for a body or limits that changed. */
void session_drop_plan(struct session *s);
/* A store failure as -32603 without the database's path (kept in s->store_err). */
int session_store_failed(struct session *s, struct panel_error *err, int rc);
/* Keep one event of the running session (stored in batches). */
void session_event(struct session *s, enum store_event_kind kind, const char *action,
		   int zone, const char *detail);
/* Write the kept events to the store in one transaction. */
int session_flush_events(struct session *s);
/* Let go of the plan: freed at once when the tick no longer reads it, else later. */
void session_retire_plan(struct session *s, struct plan *p);
/* The end of a running session: stored with how it ended and the summary so far. */
void session_end(struct session *s, enum store_ended how, const char *reason);
/* The summary of the session that ran (no advice, no pain after). */
json_t *session_summary_json(const struct session *s);
/* Send a notification (params stolen). */
void session_emit(struct session *s, const char *topic, const char *method, json_t *params);
/* The zone (enum area) the roller is at on the running plan's body, -1 none. */
int session_zone_now(const struct session *s);
/* Seconds into the running session on the chair's clock. */
double session_elapsed_s(const struct session *s);

/* The scan's share of the telemetry while SCANNING (session_scan.c). */
void session_scan_on_telem(struct session *s, const struct telem *t);
/* End a scan under way without a result (the daemon stops). */
void session_scan_abort(struct session *s);
/* Stop a scan under way (a stop while scanning): the chair lets go at once, the deferred
 * scan.start is answered -32004 with status "stopped". -32001 when none is. */
int session_scan_stop(struct session *s, json_t **result, struct panel_error *err);
/* The care advice for the session that ended, from the advice table. */
json_t *session_advice_json(struct session *s, const int pain_after[AREA_COUNT]);
/* The consultation's conditions as PANEL.md spells them. */
json_t *session_conditions_json(const struct consult_answers *a);

#endif
