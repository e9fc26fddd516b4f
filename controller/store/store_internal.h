/* What the store's files share: the connection, its cached statements, the error helpers,
 * transactions and the migrations table. Not for users of the store. */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

/* Every statement the store runs after open, prepared once at open (store_sql.c). */
enum store_sql {
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_USER_INSERT,
	SQL_USER_BY_ID,
	SQL_USER_BY_NAME,
	SQL_USER_LIST,
	SQL_USER_UPDATE,
	SQL_USER_DELETE,
	SQL_CONSULT_INSERT,
	SQL_CONSULT_LATEST,
	SQL_CONSULT_BY_ID,
	SQL_ZONE_GET,
	SQL_ZONE_SET,
	SQL_TRIGGER_GET,
	SQL_TRIGGER_SET,
	SQL_TRIGGER_LIST,
	SQL_SESSION_INSERT,
	SQL_SESSION_STATE,
	SQL_SESSION_END,
	SQL_SESSION_BY_ID,
	SQL_SESSION_HISTORY,
	SQL_PAIN_BEFORE,
	SQL_PAIN_AFTER,
	SQL_PAIN_PRUNE,
	SQL_PAIN_OF_SESSION,
	SQL_EVENT_INSERT,
	SQL_EVENT_LIST,
	SQL_PROGRAM_PUT,
	SQL_PROGRAM_GET,
	SQL_PROGRAM_LIST,
	SQL_PROGRAM_REMOVE,
	SQL_FAULT_INSERT,
	SQL_FAULT_LIST,
	SQL_SETTING_GET,
	SQL_SETTING_SET,
	SQL_COUNT
};
extern const char *const store_sql_text[SQL_COUNT];

/* Text a get function hands back lives in one of these until the next call. */
#define STORE_KEEP_SLOTS 3

struct store {
	sqlite3 *db;
	char *path;
	int readonly;
	int version;
	int recovered;
	int in_callback;
	char err[512];
	sqlite3_stmt *stmt[SQL_COUNT];
	char *keep[STORE_KEEP_SLOTS];
	size_t keep_cap[STORE_KEEP_SLOTS];
};

/* One step of the schema: the SQL that takes version to_version - 1 to to_version, and what
 * SQL cannot do (computing checksums), run in the same transaction. */
struct store_migration {
	int to_version;
	const char *what;
	const char *sql;
	int (*after)(struct store *st);
};
extern const struct store_migration store_migrations[STORE_SCHEMA_VERSION];

/* Bring the database from its user_version to STORE_SCHEMA_VERSION (schema.c). */
int store_migrate(struct store *st);

/* The errno-style code of an SQLite result (extended codes on). */
int store_errno_of(sqlite3 *db, int rc);
/* Fail with code err: message "<path>: <fmt>"; returns err. */
int store_fail(struct store *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Fail on SQLite result rc: message "<path>: <fmt>: <sqlite's message>"; returns the code. */
int store_fail_sql(struct store *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The cached statement id, reset and with its bindings cleared. */
sqlite3_stmt *store_stmt(struct store *st, enum store_sql id);
/* Transactions: BEGIN IMMEDIATE, COMMIT, ROLLBACK (a no-op when SQLite already rolled back). */
int store_begin(struct store *st, const char *what);
int store_commit(struct store *st, const char *what);
void store_rollback(struct store *st);
/* Run one statement without rows to the end (SQLITE_DONE), the result code otherwise. */
int store_step_done(sqlite3_stmt *s);

/* Copy text into keep slot so that it outlives the statement; NULL gives "". */
const char *store_keep(struct store *st, int slot, const unsigned char *text);
/* Bind text, NULL as SQL NULL. */
int store_bind_text(sqlite3_stmt *s, int col, const char *text);
/* A column's text, "" for NULL. */
const char *store_col_text(sqlite3_stmt *s, int col);

/* Refuse a call made from inside a list callback. */
#define STORE_ENTER(st)                                                                   \
	do {                                                                              \
		if ((st)->in_callback)                                                    \
			return store_fail((st), -EBUSY, "store called from a list callback"); \
	} while (0)

/* Whether s is a NUL-terminated string of 1..max bytes. */
int store_name_ok(const char *s, size_t max);
/* Whether a user / consultation / session of this id exists: 1, 0, or a negative code. */
int store_user_exists(struct store *st, int64_t id);

#endif
