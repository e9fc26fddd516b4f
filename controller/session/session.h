/* A visit to the chair, in the main thread over a struct runner: consult → scan → plan →
 * start → feedback → finish, with the store keeping what the chair learns. The same code
 * runs the daemon (RUNNER_REALTIME, driven from runner_drain in its poll loop) and the
 * lockstep tests (RUNNER_LOCKSTEP, driven from runner_advance): it only ever sees
 * telemetry (session_on_telem) and time (session_poll), never the simulated person.
 *
 * Every call that can be refused fills a struct panel_error with PANEL.md's code (-32001
 * wrong state with data.state, -32003 no such user or session, -32004 refused by a rule
 * with data.reason or data.diagnostics) and changes nothing. */
#ifndef SESSION_SESSION_H
#define SESSION_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "../config.h"
#include "../interp/body.h"
#include "../interp/plan.h"
#include "../panel/jsonrpc.h"
#include "../runner.h"
#include "../store/store.h"
#include "rules.h"
#include "vocab.h"

struct advice_table; /* advice.h */
struct scan;         /* scan.h */

/* The visit's states (data.state of a refusal, "state" of notify.state). */
enum session_state {
	SESSION_IDLE,       /* nobody's visit under way */
	SESSION_CONSULTED,  /* the limits of this visit are known */
	SESSION_SCANNING,
	SESSION_SCANNED,    /* the body is known (scanned, nudged or from a height) */
	SESSION_PLANNED,    /* a checked plan waits to start */
	SESSION_RUNNING,
	SESSION_PAUSED,
	SESSION_FINISHING,  /* the chair is letting go at the end */
	SESSION_AWAITING_PAIN, /* ended: the pain scores after are asked for */
	SESSION_DONE,       /* summary given */
	SESSION_STATE_COUNT
};

const char *session_state_name(enum session_state st);

/* The feedback a person gives while a session runs (PANEL.md's words). */
enum session_action {
	ACT_STRONGER, ACT_SOFTER, ACT_FASTER, ACT_SLOWER, ACT_WIDER, ACT_NARROWER, ACT_STAY,
	ACT_SKIP, ACT_TOO_MUCH, ACT_THERE, ACT_EASED, ACT_PAUSE, ACT_RESUME, ACT_STOP,
	ACT_COUNT
};

const char *session_action_name(enum session_action a); /* "too_much" */
int session_action_lookup(const char *name);             /* -1 when unknown */

/* What the session keeps and how often it tells. */
#define SESSION_EVENTS_BATCH 64  /* events kept in memory before one store transaction */
#define SESSION_MOTION_EVERY_MS 50 /* notify.motion at 20 Hz */
#define SESSION_PLANS_RETIRED 8  /* plans let go but maybe still read by the tick */

/* Where the notifications go (the panel server): topic is "state", "motion", "session",
 * "scan" or "faults"; method the notification's ("notify.motion"); params are stolen. */
typedef void (*session_notify_fn)(void *ctx, const char *topic, const char *method,
				  json_t *params);
/* The answer to a request that waits for the chair (scan.start): result (stolen) or err. */
typedef void (*session_done_fn)(void *ctx, json_t *result, struct panel_error *err);
/* The answer to a feedback that waited for the tick's verdict, for the caller's tag. */
typedef void (*session_feedback_fn)(void *ctx, uint64_t tag, json_t *result,
				    struct panel_error *err);
#define SESSION_PENDING 2         /* session_feedback_tagged: the answer comes through fn */
#define SESSION_FEEDBACK_WAIT_MAX 8
/* A feedback sent to the ring, answered once telemetry shows the tick's verdict. */
struct session_feedback_wait {
	uint32_t seq;
	int action, zone;
	double target_n, force_n; /* the reply's target, the force when it was asked */
	uint64_t tag;
	session_feedback_fn fn;
	void *ctx;
};

/* What a running session counts, from telemetry, for its summary. */
struct session_tally {
	uint64_t zone_ms[AREA_COUNT];
	uint64_t technique_ms[PLAN_OP_COUNT];
	double peak_force_n;        /* the true force as the chair's load cell reads it */
	int feedback[ACT_COUNT];
	uint64_t running_ms;
};

struct session {
	struct runner *r;
	const struct chair_config *cfg;
	struct store *st;
	const struct rules_table *rules;
	const struct advice_table *advice;
	session_notify_fn notify;
	void *notify_ctx;
	double (*wall_s)(void); /* Unix seconds: the store's times */

	enum session_state state;
	/* the visitor */
	bool have_user;
	struct store_user user;
	int64_t consult_id;
	struct consult_answers answers;
	struct session_limits limits;
	bool have_limits;
	bool have_body;
	struct body_map body;
	/* the scan */
	struct scan *scan;          /* while scanning */
	bool scan_homing;           /* CMD_HOME sent, the scan waits for it */
	uint32_t scan_seq;
	session_done_fn scan_done;
	void *scan_done_ctx;
	double scan_last_notify_s;
	/* the plan */
	char *plan_text;            /* malloc()ed */
	char plan_name[PLAN_NAME_MAX + 1];
	json_t *plan_summary;
	struct plan *plan;          /* resolved for the body and the cap */
	struct plan *retired[SESSION_PLANS_RETIRED];
	/* the running session */
	int64_t sid;
	bool start_pending;         /* waiting for homing before CMD_START */
	uint32_t start_seq, stop_seq, home_seq;
	bool seen_running;
	bool stop_asked;
	bool limit_stop;            /* stopped by the session itself at the session limit */
	double start_wall_s;
	uint64_t start_tick;
	uint64_t last_tick;
	uint8_t last_chair_state;
	uint8_t last_fault;
	uint32_t last_step;
	int last_zone;
	/* the zone the roller is in, with hysteresis (session_run.c) */
	bool zone_known;            /* false until the first telemetry of the plan */
	int zone_settled;           /* enum area, -1 above the neck */
	int zone_candidate;         /* the zone the roller reads as while it differs, or -2 */
	uint64_t zone_candidate_tick;
	enum store_ended ended;
	char end_reason[96];
	struct session_tally tally;
	int intensity_steps, speed_steps; /* the person's, as the tick clamps them */
	struct { double t_s; int8_t action, zone; } adjustments[32]; /* the first ones */
	int adjustment_count;
	struct store_event events[SESSION_EVENTS_BATCH];
	int event_count;
	double events_flushed_s;
	json_t *summary;            /* once ended */
	uint64_t last_motion_tick;
	double last_session_notify_s;
	char last_phase[PLAN_STRING_MAX];
	/* a guided trigger point being worked */
	char trigger_point[24];
	double there_force_n;
	/* feedback waiting for the tick's verdict (session_run.c) */
	struct session_feedback_wait waiting[SESSION_FEEDBACK_WAIT_MAX];
	int waiting_count;
	char store_err[256];        /* the last store failure, for the daemon's log */
};

/* Prepare a session over an open runner and store with the loaded tables. */
void session_init(struct session *s, struct runner *r, const struct chair_config *cfg,
		  struct store *st, const struct rules_table *rules,
		  const struct advice_table *advice);
/* End what runs (stored as "interrupted" with reason), free what the session holds. */
void session_fini(struct session *s, const char *reason);
/* Free the plans and documents the session holds: after runner_close (the tick may read a
 * plan until then). */
void session_release(struct session *s);
void session_set_notify(struct session *s, session_notify_fn fn, void *ctx);

/* The answers of a consultation for the user of that name: its limits are the visit's from
 * now on, kept in the store. The reply is the limits as PANEL.md shows them;
 * see_professional_first is an answer, not an error (then nothing may start). */
int session_consult(struct session *s, const char *user, const struct consult_answers *a,
		    json_t **result, struct panel_error *err);
/* Scan the user's body: homes first when needed, then the scan; notify.scan on the way and
 * done (result or error) at the end. */
int session_scan_start(struct session *s, const char *user, session_done_fn done, void *ctx,
		       struct panel_error *err);
/* The person's nudge of the scanned shoulder line, kept in the profile. */
int session_scan_adjust(struct session *s, const char *user, int delta_mm, json_t **result,
			struct panel_error *err);
/* The body from a height when a scan cannot be done. */
int session_scan_manual(struct session *s, const char *user, int height_cm, json_t **result,
			struct panel_error *err);
/* Write a plan for the user from the visit's consultation, body and learned preferences,
 * checked; duration_min 0 = the consultation's. */
int session_plan(struct session *s, const char *user, int duration_min, json_t **result,
		 struct panel_error *err);
/* Start the proposed plan (program_text NULL or equal to it), another program text, or an
 * installed program (program_name). */
int session_start(struct session *s, const char *user, const char *program_text,
		  const char *program_name, json_t **result, struct panel_error *err);
/* One feedback action of the person while a session runs. */
int session_feedback(struct session *s, enum session_action a, json_t **result,
		     struct panel_error *err);
/* Whether the tick may still refuse a's command (so its answer waits for the tick). */
bool session_feedback_waits(enum session_action a);
/* session_feedback for a caller that can wait: a command the tick may refuse returns
 * SESSION_PENDING once sent, and fn(ctx, tag, ...) answers it from session_on_telem when
 * the tick took it (recorded then) or refused it (-32001 / -32004, nothing recorded).
 * session_feedback is this with no fn: such a command is then recorded or not, unheard. */
int session_feedback_tagged(struct session *s, enum session_action a, session_feedback_fn fn,
			    void *ctx, uint64_t tag, json_t **result, struct panel_error *err);
/* Where the visit is: state, session, phase, zone, times, force. */
json_t *session_status(const struct session *s);
/* The pain scores after a session that ended (0..10, -1 not said): summary and advice. */
int session_finish(struct session *s, int64_t sid, const int pain_after[AREA_COUNT],
		   json_t **result, struct panel_error *err);

/* The history document (the team's shape) of a user, oldest session first. */
int session_history_doc(struct session *s, int64_t user_id, json_t **doc,
			struct panel_error *err);
/* One stored session as history.get shows it, with its events. */
int session_history_one(struct session *s, int64_t sid, json_t **doc, struct panel_error *err);

/* Take one telemetry record (from runner_advance or runner_drain). */
void session_on_telem(struct session *s, const struct telem *t);
/* Time-driven work: events to the store about once a second, notify.session at 1 Hz,
 * plans the tick let go of freed. now_s: monotonic seconds. */
void session_poll(struct session *s, double now_s);
/* Whether the chair is moving for a visit (no jog then). */
bool session_busy(const struct session *s);

/* The panel's refusal of the visit's state: -32001 with data.state, what it says. */
int session_refuse_state(const struct session *s, struct panel_error *err, const char *what);
/* Move the visit to a state, telling notify.state. */
void session_set_state(struct session *s, enum session_state st);
/* The chair's state, as the newest telemetry says ("idle"). */
const char *session_chair_state(const struct session *s);

/* ---- the JSON shapes shared with the methods ---- */

json_t *session_limits_json(const struct session_limits *l, const struct consult_answers *a);
json_t *session_body_json(const struct body_map *b, const struct store_user *u);

#endif
