/* Opening and closing the store: the connection's settings (WAL, synchronous=FULL, foreign
 * keys, a short busy timeout), the migrations, the statement cache, the recovery of the
 * sessions a crash left running; and the error and transaction helpers the other files use. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_internal.h"

#define STORE_BUSY_TIMEOUT_MS 200 /* another process holding the file is an error, not a wait */

int store_errno_of(sqlite3 *db, int rc)
{
	int sys = db ? sqlite3_system_errno(db) : 0;
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return -ENOENT;
		return -EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CANTOPEN:
	case SQLITE_IOERR:
		/* What the kernel said, where it is one we name. */
		if (sys == ENOSPC || sys == EDQUOT)
			return -ENOSPC;
		if (sys == EROFS)
			return -EROFS;
		if (sys == EACCES || sys == EPERM)
			return -EACCES;
		if (sys == ENOENT || sys == ENOTDIR)
			return -ENOENT;
		return -EIO;
	default: /* SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_ERROR... */
		return -EIO;
	}
}

/* Format "<path>: <fmt>" into the store's message. */
static void store_vmsg(struct store *st, const char *fmt, va_list ap)
{
	int n = snprintf(st->err, sizeof(st->err), "%s: ", st->path ? st->path : "store");
	if (n < 0 || (size_t)n >= sizeof(st->err))
		return;
	vsnprintf(st->err + n, sizeof(st->err) - (size_t)n, fmt, ap);
}

int store_fail(struct store *st, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	store_vmsg(st, fmt, ap);
	va_end(ap);
	return err;
}

int store_fail_sql(struct store *st, int rc, const char *fmt, ...)
{
	int err = store_errno_of(st->db, rc);
	if (err == 0)
		err = -EIO;
	va_list ap;
	va_start(ap, fmt);
	store_vmsg(st, fmt, ap);
	va_end(ap);
	/* The two a technician must act on are named first, SQLite's own words after. */
	const char *what = err == -ENOSPC ? "disk full, "
			 : err == -EROFS  ? "read-only, "
					  : "";
	const char *why = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	size_t n = strlen(st->err);
	snprintf(st->err + n, sizeof(st->err) - n, ": %s%s", what, why);
	return err;
}

sqlite3_stmt *store_stmt(struct store *st, enum store_sql id)
{
	sqlite3_stmt *s = st->stmt[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

int store_step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_begin(struct store *st, const char *what)
{
	int rc = store_step_done(store_stmt(st, SQL_BEGIN));
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "%s", what);
	return 0;
}

int store_commit(struct store *st, const char *what)
{
	int rc = store_step_done(store_stmt(st, SQL_COMMIT));
	if (rc != SQLITE_OK) {
		int err = store_fail_sql(st, rc, "%s", what);
		store_rollback(st);
		return err;
	}
	return 0;
}

void store_rollback(struct store *st)
{
	/* SQLite rolls back by itself on a full disk and a few other errors. */
	if (!sqlite3_get_autocommit(st->db))
		store_step_done(store_stmt(st, SQL_ROLLBACK));
}

const char *store_keep(struct store *st, int slot, const unsigned char *text)
{
	const char *t = text ? (const char *)text : "";
	size_t n = strlen(t) + 1;
	if (n > st->keep_cap[slot]) {
		char *p = realloc(st->keep[slot], n);
		if (!p)
			return NULL;
		st->keep[slot] = p;
		st->keep_cap[slot] = n;
	}
	memcpy(st->keep[slot], t, n);
	return st->keep[slot];
}

int store_bind_text(sqlite3_stmt *s, int col, const char *text)
{
	if (!text)
		return sqlite3_bind_null(s, col);
	return sqlite3_bind_text(s, col, text, -1, SQLITE_STATIC);
}

const char *store_col_text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}

int store_name_ok(const char *s, size_t max)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, max + 1);
	return n >= 1 && n <= max;
}

/* Run a pragma or statement that may return one row; its first column as text into out. */
static int store_exec_row(struct store *st, const char *sql, char *out, size_t out_len)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (out)
			snprintf(out, out_len, "%s", store_col_text(s, 0));
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		if (out && out_len)
			out[0] = '\0';
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Refuse early what can only fail later: a file or directory we cannot write. */
static int store_check_writable(struct store *st)
{
	if (faccessat(AT_FDCWD, st->path, F_OK, AT_EACCESS) == 0) {
		if (faccessat(AT_FDCWD, st->path, W_OK, AT_EACCESS) != 0)
			return store_fail(st, -EROFS, "the database file is read-only (%s)",
					  strerror(errno));
	}
	char *dir = strdup(st->path);
	if (!dir)
		return store_fail(st, -ENOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	const char *d = slash ? (slash == dir ? "/" : (*slash = '\0', dir)) : ".";
	int err = 0;
	if (faccessat(AT_FDCWD, d, F_OK, AT_EACCESS) != 0)
		err = errno == ENOENT || errno == ENOTDIR
			      ? store_fail(st, -ENOENT, "no directory %s", d)
			      : store_fail(st, -EACCES, "cannot reach directory %s (%s)", d,
					   strerror(errno));
	else if (faccessat(AT_FDCWD, d, W_OK, AT_EACCESS) != 0)
		err = store_fail(st, -EROFS,
				 "directory %s is read-only: the database and its write-ahead log "
				 "cannot be written there", d);
	free(dir);
	return err;
}

/* The connection's settings, before anything is read or written. */
static int store_configure(struct store *st, const struct store_options *o)
{
	char val[32];
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, o->busy_timeout_ms > 0 ? o->busy_timeout_ms
							 : STORE_BUSY_TIMEOUT_MS);
	/* The first read of the file: a file that is no database fails here. */
	int rc = store_exec_row(st, "PRAGMA user_version", val, sizeof(val));
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
			return store_fail(st, -EIO, "not a database, or a corrupt one (%s)",
					  sqlite3_errmsg(st->db));
		if (st->readonly && (rc & 0xff) == SQLITE_READONLY)
			return store_fail(st, -EROFS,
					  "cannot read the database read-only: the write-ahead log's "
					  "index (-shm) is missing and the directory is read-only");
		return store_fail_sql(st, rc, "cannot read the database");
	}
	if (!st->readonly) {
		rc = store_exec_row(st, "PRAGMA journal_mode=WAL", val, sizeof(val));
		if (rc != SQLITE_OK)
			return store_fail_sql(st, rc, "cannot switch to write-ahead logging");
		/* An in-memory database (tests of other modules) has no log to write ahead. */
		int memory = strcmp(st->path, ":memory:") == 0 && strcmp(val, "memory") == 0;
		if (strcmp(val, "wal") != 0 && !memory)
			return store_fail(st, -EIO, "write-ahead logging refused (journal mode %s)",
					  val);
	}
	/* FULL: every commit syncs the log, so a returned call survives a power cut. */
	rc = store_exec_row(st, "PRAGMA synchronous=FULL", NULL, 0);
	if (rc == SQLITE_OK)
		rc = store_exec_row(st, "PRAGMA foreign_keys=ON", NULL, 0);
	if (rc == SQLITE_OK && o->max_page_count > 0) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%d", o->max_page_count);
		rc = store_exec_row(st, sql, NULL, 0);
	}
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot configure the connection");
	return 0;
}

static int store_prepare_all(struct store *st)
{
	for (int i = 0; i < SQL_COUNT; i++) {
		int rc = sqlite3_prepare_v3(st->db, store_sql_text[i], -1,
					    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return store_fail_sql(st, rc, "cannot prepare statement %d", i);
	}
	return 0;
}

/* Sessions still "running" were cut by a crash or a power loss: they end "interrupted" at
 * the time of their last event (what is known to have happened), or at their start. */
static int store_recover(struct store *st)
{
	int err = store_begin(st, "recovery of running sessions");
	if (err)
		return err;
	int rc = sqlite3_exec(st->db,
			      "UPDATE sessions SET ended = 'interrupted', end_s = COALESCE("
			      "(SELECT max(t_s) FROM session_events e WHERE e.session_id = sessions.id),"
			      " start_s) WHERE ended = 'running'",
			      NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		err = store_fail_sql(st, rc, "recovery of running sessions");
		store_rollback(st);
		return err;
	}
	st->recovered = sqlite3_changes(st->db);
	return store_commit(st, "recovery of running sessions");
}

int store_open_ex(struct store **out, const char *path, const struct store_options *opts,
		  char *err, size_t err_len)
{
	static const struct store_options defaults;
	const struct store_options *o = opts ? opts : &defaults;
	*out = NULL;
	if (!path || !*path) {
		snprintf(err, err_len, "store: no database path");
		return -EINVAL;
	}
	struct store *st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		free(st);
		snprintf(err, err_len, "%s: out of memory", path);
		return -ENOMEM;
	}
	st->readonly = o->readonly != 0;
	int r = st->readonly || strcmp(path, ":memory:") == 0 ? 0 : store_check_writable(st);
	if (r == 0) {
		int flags = st->readonly ? SQLITE_OPEN_READONLY
					 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
		int rc = sqlite3_open_v2(path, &st->db, flags, NULL);
		if (rc != SQLITE_OK)
			r = store_fail_sql(st, rc, "cannot open the database");
		else if (!st->readonly && sqlite3_db_readonly(st->db, "main") == 1)
			r = store_fail(st, -EROFS, "the database opened read-only");
	}
	if (r == 0)
		r = store_configure(st, o);
	if (r == 0)
		r = store_migrate(st);
	if (r == 0)
		r = store_prepare_all(st);
	if (r == 0 && !st->readonly)
		r = store_recover(st);
	if (r != 0) {
		snprintf(err, err_len, "%s", st->err);
		store_close(st);
		return r;
	}
	st->err[0] = '\0';
	*out = st;
	return 0;
}

int store_open(struct store **out, const char *path, char *err, size_t err_len)
{
	return store_open_ex(out, path, NULL, err, err_len);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < SQL_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	/* The last connection's close checkpoints the log into the database. */
	sqlite3_close(st->db);
	for (int i = 0; i < STORE_KEEP_SLOTS; i++)
		free(st->keep[i]);
	free(st->path);
	free(st);
}

const char *store_error(const struct store *st)
{
	return st ? st->err : "no store";
}

int store_recovered(const struct store *st)
{
	return st->recovered;
}

int store_schema_version(const struct store *st)
{
	return st->version;
}
