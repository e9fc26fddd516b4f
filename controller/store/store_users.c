/* Profiles and what belongs to them: the users, their consultations, the per-zone
 * preferences learned from feedback and the remembered trigger-point levels. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

#define STORE_HEIGHT_MAX_CM 250

int store_user_exists(struct store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt(st, SQL_USER_BY_ID);
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail_sql(st, rc, "user %lld", (long long)id);
}

/* A user as the caller gave it, checked before anything is written. */
static int user_check(struct store *st, const struct store_user *u)
{
	if (!store_name_ok(u->name, STORE_NAME_MAX))
		return store_fail(st, -EINVAL, "a user's name is 1 to %d bytes", STORE_NAME_MAX);
	if (strnlen(u->pin_hash, sizeof(u->pin_hash)) == sizeof(u->pin_hash))
		return store_fail(st, -EINVAL, "user \"%s\": PIN hash not terminated", u->name);
	if (u->height_cm < 0 || u->height_cm > STORE_HEIGHT_MAX_CM)
		return store_fail(st, -EINVAL, "user \"%s\": height %d cm out of 0..%d", u->name,
				  u->height_cm, STORE_HEIGHT_MAX_CM);
	if (u->shoulder_y_mm < 0)
		return store_fail(st, -EINVAL, "user \"%s\": shoulder line %d mm below 0", u->name,
				  u->shoulder_y_mm);
	return 0;
}

static void user_bind(sqlite3_stmt *s, const struct store_user *u)
{
	sqlite3_bind_text(s, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, u->height_cm);
	sqlite3_bind_text(s, 3, u->pin_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, u->shoulder_y_mm);
	sqlite3_bind_int(s, 5, u->shoulder_adjust_mm);
	sqlite3_bind_double(s, 6, u->created_s);
}

static void user_read(sqlite3_stmt *s, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	snprintf(u->name, sizeof(u->name), "%s", store_col_text(s, 1));
	u->height_cm = sqlite3_column_int(s, 2);
	snprintf(u->pin_hash, sizeof(u->pin_hash), "%s", store_col_text(s, 3));
	u->shoulder_y_mm = sqlite3_column_int(s, 4);
	u->shoulder_adjust_mm = sqlite3_column_int(s, 5);
	u->created_s = sqlite3_column_double(s, 6);
}

int store_user_create(struct store *st, struct store_user *u)
{
	STORE_ENTER(st);
	int err = user_check(st, u);
	if (err)
		return err;
	sqlite3_stmt *s = store_stmt(st, SQL_USER_INSERT);
	user_bind(s, u);
	int rc = store_step_done(s);
	if (rc != SQLITE_OK) {
		if (store_errno_of(st->db, rc) == -EEXIST)
			return store_fail(st, -EEXIST, "a user named \"%s\" exists already", u->name);
		return store_fail_sql(st, rc, "cannot create user \"%s\"", u->name);
	}
	u->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* The one row of a statement bound by the caller, into out; -ENOENT named by what. */
static int user_get_row(struct store *st, sqlite3_stmt *s, struct store_user *out,
			const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		user_read(s, out);
		sqlite3_reset(s);
		return 0;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return store_fail(st, -ENOENT, "no user %s", what);
	return store_fail_sql(st, rc, "cannot read user %s", what);
}

int store_user_get(struct store *st, int64_t id, struct store_user *out)
{
	STORE_ENTER(st);
	char what[32];
	snprintf(what, sizeof(what), "%lld", (long long)id);
	sqlite3_stmt *s = store_stmt(st, SQL_USER_BY_ID);
	sqlite3_bind_int64(s, 1, id);
	return user_get_row(st, s, out, what);
}

int store_user_get_by_name(struct store *st, const char *name, struct store_user *out)
{
	STORE_ENTER(st);
	if (!store_name_ok(name, STORE_NAME_MAX))
		return store_fail(st, -EINVAL, "a user's name is 1 to %d bytes", STORE_NAME_MAX);
	char what[STORE_NAME_MAX + 3];
	snprintf(what, sizeof(what), "\"%s\"", name);
	sqlite3_stmt *s = store_stmt(st, SQL_USER_BY_NAME);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	return user_get_row(st, s, out, what);
}

int store_user_list(struct store *st, store_user_fn fn, void *ctx)
{
	STORE_ENTER(st);
	sqlite3_stmt *s = store_stmt(st, SQL_USER_LIST);
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_user u;
		user_read(s, &u);
		st->in_callback = 1;
		ret = fn(ctx, &u);
		st->in_callback = 0;
		if (ret)
			break;
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "cannot list users");
	return 0;
}

int store_user_update(struct store *st, const struct store_user *u)
{
	STORE_ENTER(st);
	int err = user_check(st, u);
	if (err)
		return err;
	sqlite3_stmt *s = store_stmt(st, SQL_USER_UPDATE);
	user_bind(s, u);
	sqlite3_bind_int64(s, 7, u->id);
	int rc = store_step_done(s);
	if (rc != SQLITE_OK) {
		if (store_errno_of(st->db, rc) == -EEXIST)
			return store_fail(st, -EEXIST, "a user named \"%s\" exists already", u->name);
		return store_fail_sql(st, rc, "cannot update user %lld", (long long)u->id);
	}
	if (sqlite3_changes(st->db) == 0)
		return store_fail(st, -ENOENT, "no user %lld", (long long)u->id);
	return 0;
}

int store_user_delete(struct store *st, int64_t id)
{
	STORE_ENTER(st);
	/* The foreign keys' ON DELETE CASCADE takes everything of theirs in the same statement. */
	sqlite3_stmt *s = store_stmt(st, SQL_USER_DELETE);
	sqlite3_bind_int64(s, 1, id);
	int rc = store_step_done(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot delete user %lld", (long long)id);
	if (sqlite3_changes(st->db) == 0)
		return store_fail(st, -ENOENT, "no user %lld", (long long)id);
	return 0;
}

int store_consultation_save(struct store *st, int64_t user_id, double t_s,
			    const char *answers_json, const char *limits_json, int64_t *id_out)
{
	STORE_ENTER(st);
	if (!answers_json || !limits_json)
		return store_fail(st, -EINVAL, "consultation of user %lld: no answers or limits",
				  (long long)user_id);
	sqlite3_stmt *s = store_stmt(st, SQL_CONSULT_INSERT);
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_double(s, 2, t_s);
	sqlite3_bind_text(s, 3, answers_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, limits_json, -1, SQLITE_STATIC);
	int rc = store_step_done(s);
	sqlite3_clear_bindings(s); /* the caller's strings are theirs again */
	if (rc != SQLITE_OK) {
		if (store_errno_of(st->db, rc) == -ENOENT)
			return store_fail(st, -ENOENT, "no user %lld", (long long)user_id);
		return store_fail_sql(st, rc, "cannot save a consultation of user %lld",
				      (long long)user_id);
	}
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int consult_get_row(struct store *st, sqlite3_stmt *s, struct store_consultation *out,
			   const char *what, long long id)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		out->user_id = sqlite3_column_int64(s, 1);
		out->t_s = sqlite3_column_double(s, 2);
		out->answers_json = store_keep(st, 0, sqlite3_column_text(s, 3));
		out->limits_json = store_keep(st, 1, sqlite3_column_text(s, 4));
		sqlite3_reset(s);
		if (!out->answers_json || !out->limits_json)
			return store_fail(st, -ENOMEM, "%s %lld: out of memory", what, id);
		return 0;
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return store_fail(st, -ENOENT, "no %s %lld", what, id);
	return store_fail_sql(st, rc, "cannot read %s %lld", what, id);
}

int store_consultation_latest(struct store *st, int64_t user_id, struct store_consultation *out)
{
	STORE_ENTER(st);
	sqlite3_stmt *s = store_stmt(st, SQL_CONSULT_LATEST);
	sqlite3_bind_int64(s, 1, user_id);
	return consult_get_row(st, s, out, "consultation of user", (long long)user_id);
}

int store_consultation_get(struct store *st, int64_t id, struct store_consultation *out)
{
	STORE_ENTER(st);
	sqlite3_stmt *s = store_stmt(st, SQL_CONSULT_BY_ID);
	sqlite3_bind_int64(s, 1, id);
	return consult_get_row(st, s, out, "consultation", (long long)id);
}

int store_zone_prefs_get(struct store *st, int64_t user_id, struct zone_pref prefs[AREA_COUNT])
{
	STORE_ENTER(st);
	int ex = store_user_exists(st, user_id);
	if (ex <= 0)
		return ex < 0 ? ex : store_fail(st, -ENOENT, "no user %lld", (long long)user_id);
	struct zone_pref got[AREA_COUNT];
	memset(got, 0, sizeof(got));
	sqlite3_stmt *s = store_stmt(st, SQL_ZONE_GET);
	sqlite3_bind_int64(s, 1, user_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int a = sqlite3_column_int(s, 0);
		if (a < 0 || a >= AREA_COUNT)
			continue; /* an area a newer controller knew; not ours to use */
		got[a].pressure_delta = sqlite3_column_int(s, 1);
		got[a].ceiling_n = sqlite3_column_double(s, 2);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "cannot read zone preferences of user %lld",
				      (long long)user_id);
	memcpy(prefs, got, sizeof(got));
	return 0;
}

int store_zone_pref_set(struct store *st, int64_t user_id, enum area area,
			const struct zone_pref *pref)
{
	STORE_ENTER(st);
	if ((int)area < 0 || area >= AREA_COUNT)
		return store_fail(st, -EINVAL, "zone preference of user %lld: no area %d",
				  (long long)user_id, (int)area);
	if (pref->pressure_delta < -5 || pref->pressure_delta > 5 || !isfinite(pref->ceiling_n) ||
	    pref->ceiling_n < 0)
		return store_fail(st, -EINVAL,
				  "zone preference of user %lld at %s: delta %d out of -5..5 or "
				  "ceiling %g N below 0",
				  (long long)user_id, area_name(area), pref->pressure_delta,
				  pref->ceiling_n);
	sqlite3_stmt *s = store_stmt(st, SQL_ZONE_SET);
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_int(s, 2, (int)area);
	sqlite3_bind_int(s, 3, pref->pressure_delta);
	sqlite3_bind_double(s, 4, pref->ceiling_n);
	int rc = store_step_done(s);
	if (rc != SQLITE_OK) {
		if (store_errno_of(st->db, rc) == -ENOENT)
			return store_fail(st, -ENOENT, "no user %lld", (long long)user_id);
		return store_fail_sql(st, rc, "cannot keep the zone preference of user %lld at %s",
				      (long long)user_id, area_name(area));
	}
	return 0;
}

static int trigger_point_ok(struct store *st, int64_t user_id, const char *point)
{
	if (!store_name_ok(point, sizeof(((struct trigger_memory *)0)->point) - 1))
		return store_fail(st, -EINVAL, "trigger point of user %lld: a name of 1 to %zu bytes",
				  (long long)user_id,
				  sizeof(((struct trigger_memory *)0)->point) - 1);
	return 0;
}

int store_trigger_get(struct store *st, int64_t user_id, const char *point,
		      struct trigger_memory *out)
{
	STORE_ENTER(st);
	int err = trigger_point_ok(st, user_id, point);
	if (err)
		return err;
	sqlite3_stmt *s = store_stmt(st, SQL_TRIGGER_GET);
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_text(s, 2, point, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		snprintf(out->point, sizeof(out->point), "%s", store_col_text(s, 0));
		out->level_n = sqlite3_column_double(s, 1);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return store_fail(st, -ENOENT, "no trigger point %s for user %lld", point,
				  (long long)user_id);
	return store_fail_sql(st, rc, "cannot read trigger point %s of user %lld", point,
			      (long long)user_id);
}

int store_trigger_set(struct store *st, int64_t user_id, const struct trigger_memory *tm)
{
	STORE_ENTER(st);
	int err = trigger_point_ok(st, user_id, tm->point);
	if (err)
		return err;
	if (!isfinite(tm->level_n) || tm->level_n < 0)
		return store_fail(st, -EINVAL, "trigger point %s of user %lld: level %g N", tm->point,
				  (long long)user_id, tm->level_n);
	sqlite3_stmt *s = store_stmt(st, SQL_TRIGGER_SET);
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_text(s, 2, tm->point, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 3, tm->level_n);
	int rc = store_step_done(s);
	if (rc != SQLITE_OK) {
		if (store_errno_of(st->db, rc) == -ENOENT)
			return store_fail(st, -ENOENT, "no user %lld", (long long)user_id);
		return store_fail_sql(st, rc, "cannot keep trigger point %s of user %lld",
				      tm->point, (long long)user_id);
	}
	return 0;
}

int store_trigger_list(struct store *st, int64_t user_id, store_trigger_fn fn, void *ctx)
{
	STORE_ENTER(st);
	sqlite3_stmt *s = store_stmt(st, SQL_TRIGGER_LIST);
	sqlite3_bind_int64(s, 1, user_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct trigger_memory tm;
		memset(&tm, 0, sizeof(tm));
		snprintf(tm.point, sizeof(tm.point), "%s", store_col_text(s, 0));
		tm.level_n = sqlite3_column_double(s, 1);
		st->in_callback = 1;
		ret = fn(ctx, &tm);
		st->in_callback = 0;
		if (ret)
			break;
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "cannot list trigger points of user %lld",
				      (long long)user_id);
	return 0;
}
