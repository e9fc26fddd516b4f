/* Sessions: begin (running, with the plan and the pain before), the events while it runs
 * (appended in batches, one transaction each), the end and the pain after, and reading them
 * back for the history. Each call is one transaction, durable when it returns. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

static const char *const ended_names[STORE_ENDED_COUNT] = {
	[STORE_ENDED_RUNNING] = "running",	   [STORE_ENDED_COMPLETED] = "completed",
	[STORE_ENDED_STOPPED] = "stopped",	   [STORE_ENDED_FAULT] = "fault",
	[STORE_ENDED_INTERRUPTED] = "interrupted",
};

static const char *const kind_names[STORE_EVENT_COUNT] = {
	[STORE_EVENT_FEEDBACK] = "feedback",
	[STORE_EVENT_PHASE] = "phase",
	[STORE_EVENT_FAULT] = "fault",
};

const char *store_ended_name(enum store_ended e)
{
	return (int)e >= 0 && e < STORE_ENDED_COUNT ? ended_names[e] : NULL;
}

int store_ended_lookup(const char *name)
{
	for (int i = 0; name && i < STORE_ENDED_COUNT; i++)
		if (strcmp(name, ended_names[i]) == 0)
			return i;
	return -1;
}

const char *store_event_kind_name(enum store_event_kind k)
{
	return (int)k >= 0 && k < STORE_EVENT_COUNT ? kind_names[k] : NULL;
}

static int kind_lookup(const char *name)
{
	for (int i = 0; i < STORE_EVENT_COUNT; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

/* Pain scores 0..10 or -1 for each area. */
static int pain_check(struct store *st, const int pain[AREA_COUNT], const char *what,
		      long long id)
{
	for (int a = 0; a < AREA_COUNT; a++)
		if (pain[a] < -1 || pain[a] > 10)
			return store_fail(st, -EINVAL, "%s %lld: pain %d at %s out of 0..10", what, id,
					  pain[a], area_name((enum area)a));
	return 0;
}

/* The session's state: 1 running, 0 ended, or a negative code (-ENOENT). */
static int session_running(struct store *st, int64_t sid)
{
	sqlite3_stmt *s = store_stmt(st, SQL_SESSION_STATE);
	sqlite3_bind_int64(s, 1, sid);
	int rc = sqlite3_step(s);
	int ret;
	if (rc == SQLITE_ROW)
		ret = strcmp(store_col_text(s, 0), "running") == 0;
	else if (rc == SQLITE_DONE)
		ret = store_fail(st, -ENOENT, "no session %lld", (long long)sid);
	else
		ret = store_fail_sql(st, rc, "cannot read session %lld", (long long)sid);
	sqlite3_reset(s);
	return ret;
}

/* The statements of store_session_begin, inside its transaction. */
static int session_insert(struct store *st, const struct store_session_start *b, int64_t *sid)
{
	int ex = store_user_exists(st, b->user_id);
	if (ex <= 0)
		return ex < 0 ? ex : store_fail(st, -ENOENT, "no user %lld", (long long)b->user_id);
	if (b->consult_id) {
		sqlite3_stmt *c = store_stmt(st, SQL_CONSULT_BY_ID);
		sqlite3_bind_int64(c, 1, b->consult_id);
		int rc = sqlite3_step(c);
		int64_t owner = rc == SQLITE_ROW ? sqlite3_column_int64(c, 1) : -1;
		sqlite3_reset(c);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_fail_sql(st, rc, "cannot read consultation %lld",
					      (long long)b->consult_id);
		if (owner != b->user_id)
			return store_fail(st, -ENOENT, "no consultation %lld of user %lld",
					  (long long)b->consult_id, (long long)b->user_id);
	}
	sqlite3_stmt *s = store_stmt(st, SQL_SESSION_INSERT);
	sqlite3_bind_int64(s, 1, b->user_id);
	if (b->consult_id)
		sqlite3_bind_int64(s, 2, b->consult_id);
	sqlite3_bind_text(s, 3, b->program_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, b->plan_text, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 5, b->start_s);
	int rc = store_step_done(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot begin a session of user %lld",
				      (long long)b->user_id);
	*sid = sqlite3_last_insert_rowid(st->db);
	for (int a = 0; a < AREA_COUNT; a++) {
		if (b->pain_before[a] < 0)
			continue;
		sqlite3_stmt *p = store_stmt(st, SQL_PAIN_BEFORE);
		sqlite3_bind_int64(p, 1, *sid);
		sqlite3_bind_int(p, 2, a);
		sqlite3_bind_int(p, 3, b->pain_before[a]);
		rc = store_step_done(p);
		if (rc != SQLITE_OK)
			return store_fail_sql(st, rc, "cannot keep the pain before of session %lld",
					      (long long)*sid);
	}
	return 0;
}

int store_session_begin(struct store *st, const struct store_session_start *b, int64_t *sid_out)
{
	STORE_ENTER(st);
	if (!store_name_ok(b->program_name, STORE_NAME_MAX))
		return store_fail(st, -EINVAL, "session of user %lld: a program name of 1 to %d bytes",
				  (long long)b->user_id, STORE_NAME_MAX);
	if (!b->plan_text || !isfinite(b->start_s))
		return store_fail(st, -EINVAL, "session of user %lld: no plan text or no start time",
				  (long long)b->user_id);
	int err = pain_check(st, b->pain_before, "session of user", (long long)b->user_id);
	if (err)
		return err;
	err = store_begin(st, "cannot begin a session");
	if (err)
		return err;
	int64_t sid = 0;
	err = session_insert(st, b, &sid);
	if (err) {
		store_rollback(st);
		return err;
	}
	err = store_commit(st, "cannot begin a session");
	if (err)
		return err;
	*sid_out = sid;
	return 0;
}

/* One event, checked as the caller built it. */
static int event_check(struct store *st, int64_t sid, int i, const struct store_event *e)
{
	if (!store_event_kind_name(e->kind))
		return store_fail(st, -EINVAL, "session %lld event %d: no kind %d", (long long)sid, i,
				  (int)e->kind);
	if (!store_name_ok(e->action, sizeof(e->action) - 1))
		return store_fail(st, -EINVAL, "session %lld event %d: an action of 1 to %zu bytes",
				  (long long)sid, i, sizeof(e->action) - 1);
	if (strnlen(e->detail, sizeof(e->detail)) == sizeof(e->detail))
		return store_fail(st, -EINVAL, "session %lld event %d: detail not terminated",
				  (long long)sid, i);
	if (e->zone < -1 || e->zone >= AREA_COUNT)
		return store_fail(st, -EINVAL, "session %lld event %d: no zone %d", (long long)sid, i,
				  e->zone);
	if (!isfinite(e->t_s))
		return store_fail(st, -EINVAL, "session %lld event %d: time not finite",
				  (long long)sid, i);
	return 0;
}

static int events_insert(struct store *st, int64_t sid, const struct store_event *ev, int n)
{
	int run = session_running(st, sid);
	if (run < 0)
		return run;
	if (!run)
		return store_fail(st, -EALREADY, "session %lld has ended: no events after its end",
				  (long long)sid);
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *s = store_stmt(st, SQL_EVENT_INSERT);
		sqlite3_bind_int64(s, 1, sid);
		sqlite3_bind_double(s, 2, ev[i].t_s);
		sqlite3_bind_text(s, 3, kind_names[ev[i].kind], -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, ev[i].action, -1, SQLITE_STATIC);
		if (ev[i].zone >= 0)
			sqlite3_bind_int(s, 5, ev[i].zone);
		sqlite3_bind_text(s, 6, ev[i].detail, -1, SQLITE_STATIC);
		int rc = store_step_done(s);
		if (rc != SQLITE_OK)
			return store_fail_sql(st, rc, "cannot keep %d events of session %lld", n,
					      (long long)sid);
	}
	return 0;
}

int store_session_events_append(struct store *st, int64_t sid, const struct store_event *ev,
				int n)
{
	STORE_ENTER(st);
	if (n < 0 || (n > 0 && !ev))
		return store_fail(st, -EINVAL, "session %lld: %d events", (long long)sid, n);
	for (int i = 0; i < n; i++) {
		int err = event_check(st, sid, i, &ev[i]);
		if (err)
			return err;
	}
	if (n == 0)
		return 0;
	int err = store_begin(st, "cannot append events");
	if (err)
		return err;
	err = events_insert(st, sid, ev, n);
	if (err) {
		store_rollback(st);
		return err;
	}
	return store_commit(st, "cannot append events");
}

int store_session_end(struct store *st, int64_t sid, enum store_ended ended, double end_s,
		      const char *summary_json)
{
	STORE_ENTER(st);
	if (!store_ended_name(ended) || ended == STORE_ENDED_RUNNING)
		return store_fail(st, -EINVAL, "session %lld: not an end (%d)", (long long)sid,
				  (int)ended);
	if (!isfinite(end_s))
		return store_fail(st, -EINVAL, "session %lld: end time not finite", (long long)sid);
	sqlite3_stmt *s = store_stmt(st, SQL_SESSION_END);
	sqlite3_bind_text(s, 1, ended_names[ended], -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 2, end_s);
	store_bind_text(s, 3, summary_json);
	sqlite3_bind_int64(s, 4, sid);
	int rc = store_step_done(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot end session %lld", (long long)sid);
	if (sqlite3_changes(st->db) == 1)
		return 0;
	int run = session_running(st, sid);
	if (run < 0)
		return run;
	return store_fail(st, -EALREADY, "session %lld had ended already", (long long)sid);
}

static int pain_after_write(struct store *st, int64_t sid, const int pain_after[AREA_COUNT])
{
	int run = session_running(st, sid);
	if (run < 0)
		return run;
	for (int a = 0; a < AREA_COUNT; a++) {
		sqlite3_stmt *s = store_stmt(st, SQL_PAIN_AFTER);
		sqlite3_bind_int64(s, 1, sid);
		sqlite3_bind_int(s, 2, a);
		if (pain_after[a] >= 0)
			sqlite3_bind_int(s, 3, pain_after[a]);
		int rc = store_step_done(s);
		if (rc != SQLITE_OK)
			return store_fail_sql(st, rc, "cannot keep the pain after of session %lld",
					      (long long)sid);
	}
	sqlite3_stmt *s = store_stmt(st, SQL_PAIN_PRUNE);
	sqlite3_bind_int64(s, 1, sid);
	int rc = store_step_done(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot keep the pain after of session %lld",
				      (long long)sid);
	return 0;
}

int store_session_pain_after(struct store *st, int64_t sid, const int pain_after[AREA_COUNT])
{
	STORE_ENTER(st);
	int err = pain_check(st, pain_after, "session", (long long)sid);
	if (err)
		return err;
	err = store_begin(st, "cannot keep the pain after");
	if (err)
		return err;
	err = pain_after_write(st, sid, pain_after);
	if (err) {
		store_rollback(st);
		return err;
	}
	return store_commit(st, "cannot keep the pain after");
}

/* The statements of store_session_finish, inside its transaction. The summary's UPDATE runs
 * once a session, so it is prepared here rather than cached. */
static int finish_write(struct store *st, int64_t sid, const int pain_after[AREA_COUNT],
			const char *summary_json)
{
	int run = session_running(st, sid);
	if (run < 0)
		return run;
	if (run)
		return store_fail(st, -EINPROGRESS, "session %lld is still running: no pain after "
				  "or summary before its end", (long long)sid);
	int err = pain_after_write(st, sid, pain_after);
	if (err || !summary_json)
		return err;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "UPDATE sessions SET summary_json = ? WHERE id = ?",
				    -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, summary_json, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, sid);
		rc = store_step_done(s);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot keep the summary of session %lld",
				      (long long)sid);
	return 0;
}

int store_session_finish(struct store *st, int64_t sid, const int pain_after[AREA_COUNT],
			 const char *summary_json)
{
	STORE_ENTER(st);
	int err = pain_check(st, pain_after, "session", (long long)sid);
	if (err)
		return err;
	err = store_begin(st, "cannot finish a session");
	if (err)
		return err;
	err = finish_write(st, sid, pain_after, summary_json);
	if (err) {
		store_rollback(st);
		return err;
	}
	return store_commit(st, "cannot finish a session");
}

/* A row of SESSION_COLS into out, text pointing at the statement; then its pain rows. */
static int session_read(struct store *st, sqlite3_stmt *s, struct store_session *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	out->user_id = sqlite3_column_int64(s, 1);
	out->consult_id = sqlite3_column_int64(s, 2); /* NULL reads 0 */
	snprintf(out->program_name, sizeof(out->program_name), "%s", store_col_text(s, 3));
	out->plan_text = store_col_text(s, 4);
	out->start_s = sqlite3_column_double(s, 5);
	out->end_s = sqlite3_column_double(s, 6);
	int e = store_ended_lookup(store_col_text(s, 7));
	out->ended = e < 0 ? STORE_ENDED_INTERRUPTED : (enum store_ended)e;
	out->summary_json = store_col_text(s, 8);
	for (int a = 0; a < AREA_COUNT; a++)
		out->pain_before[a] = out->pain_after[a] = -1;
	sqlite3_stmt *p = store_stmt(st, SQL_PAIN_OF_SESSION);
	sqlite3_bind_int64(p, 1, out->id);
	int rc;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		int a = sqlite3_column_int(p, 0);
		if (a < 0 || a >= AREA_COUNT)
			continue;
		if (sqlite3_column_type(p, 1) != SQLITE_NULL)
			out->pain_before[a] = sqlite3_column_int(p, 1);
		if (sqlite3_column_type(p, 2) != SQLITE_NULL)
			out->pain_after[a] = sqlite3_column_int(p, 2);
	}
	sqlite3_reset(p);
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "cannot read the pain of session %lld",
				      (long long)out->id);
	return 0;
}

int store_session_get(struct store *st, int64_t sid, struct store_session *out)
{
	STORE_ENTER(st);
	sqlite3_stmt *s = store_stmt(st, SQL_SESSION_BY_ID);
	sqlite3_bind_int64(s, 1, sid);
	int rc = sqlite3_step(s);
	int err;
	if (rc == SQLITE_ROW) {
		err = session_read(st, s, out);
		if (!err) {
			out->plan_text = store_keep(st, 0, (const unsigned char *)out->plan_text);
			out->summary_json = store_keep(st, 1, (const unsigned char *)out->summary_json);
			if (!out->plan_text || !out->summary_json)
				err = store_fail(st, -ENOMEM, "session %lld: out of memory",
						 (long long)sid);
		}
	} else if (rc == SQLITE_DONE) {
		err = store_fail(st, -ENOENT, "no session %lld", (long long)sid);
	} else {
		err = store_fail_sql(st, rc, "cannot read session %lld", (long long)sid);
	}
	sqlite3_reset(s);
	return err;
}

int store_session_events(struct store *st, int64_t sid, store_event_fn fn, void *ctx)
{
	STORE_ENTER(st);
	int run = session_running(st, sid);
	if (run < 0)
		return run;
	sqlite3_stmt *s = store_stmt(st, SQL_EVENT_LIST);
	sqlite3_bind_int64(s, 1, sid);
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_event ev = {0};
		ev.t_s = sqlite3_column_double(s, 0);
		int k = kind_lookup(store_col_text(s, 1));
		ev.kind = k < 0 ? STORE_EVENT_PHASE : (enum store_event_kind)k;
		snprintf(ev.action, sizeof(ev.action), "%s", store_col_text(s, 2));
		ev.zone = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 3);
		snprintf(ev.detail, sizeof(ev.detail), "%s", store_col_text(s, 4));
		st->in_callback = 1;
		ret = fn(ctx, &ev);
		st->in_callback = 0;
		if (ret)
			break;
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "cannot read the events of session %lld",
				      (long long)sid);
	return 0;
}

int store_session_history(struct store *st, int64_t user_id, store_session_fn fn, void *ctx)
{
	STORE_ENTER(st);
	int ex = store_user_exists(st, user_id);
	if (ex <= 0)
		return ex < 0 ? ex : store_fail(st, -ENOENT, "no user %lld", (long long)user_id);
	sqlite3_stmt *s = store_stmt(st, SQL_SESSION_HISTORY);
	sqlite3_bind_int64(s, 1, user_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_session ss;
		ret = session_read(st, s, &ss);
		if (ret)
			break;
		st->in_callback = 1;
		ret = fn(ctx, &ss);
		st->in_callback = 0;
		if (ret)
			break;
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "cannot read the sessions of user %lld",
				      (long long)user_id);
	return 0;
}
