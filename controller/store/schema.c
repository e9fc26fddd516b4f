/* The schema as a list of steps: store_migrations[v - 1] takes a database from version v - 1
 * to v (version 0 is an empty file). A database is at the version in PRAGMA user_version;
 * open applies the steps it lacks, each in one transaction with its version bump, so a crash
 * during a migration leaves the database at the version before it. A step is never edited
 * once a chair has shipped with it: a change is a new step (docs/storage.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/* Version 1: what the first chairs kept. */
static const char schema_v1[] =
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" height_cm INTEGER NOT NULL DEFAULT 0,"
	" pin_hash TEXT NOT NULL DEFAULT '',"
	" shoulder_y_mm INTEGER NOT NULL DEFAULT 0,"
	" created_s REAL NOT NULL);"
	"CREATE TABLE consultations ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" t_s REAL NOT NULL,"
	" answers_json TEXT NOT NULL,"
	" limits_json TEXT NOT NULL);"
	"CREATE INDEX consultations_user ON consultations(user_id, t_s);"
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" consult_id INTEGER REFERENCES consultations(id) ON DELETE SET NULL,"
	" program_name TEXT NOT NULL,"
	" plan_text TEXT NOT NULL,"
	" start_s REAL NOT NULL,"
	" end_s REAL,"
	" ended TEXT NOT NULL DEFAULT 'running' CHECK (ended IN"
	"  ('running', 'completed', 'stopped', 'fault', 'interrupted')),"
	" summary_json TEXT);"
	"CREATE INDEX sessions_user ON sessions(user_id, start_s);"
	"CREATE INDEX sessions_consult ON sessions(consult_id);"
	"CREATE INDEX sessions_running ON sessions(ended) WHERE ended = 'running';"
	"CREATE TABLE session_pain ("
	" session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	" area INTEGER NOT NULL CHECK (area >= 0),"
	" \"before\" INTEGER CHECK (\"before\" BETWEEN 0 AND 10),"
	" \"after\" INTEGER CHECK (\"after\" BETWEEN 0 AND 10),"
	" PRIMARY KEY (session_id, area)) WITHOUT ROWID;"
	"CREATE TABLE session_events ("
	" session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
	" t_s REAL NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('feedback', 'phase', 'fault')),"
	" action TEXT NOT NULL,"
	" zone INTEGER,"
	" detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX session_events_session ON session_events(session_id, t_s);"
	"CREATE TABLE programs ("
	" name TEXT PRIMARY KEY,"
	" text TEXT NOT NULL,"
	" installed_s REAL NOT NULL);"
	"CREATE TABLE faults ("
	" id INTEGER PRIMARY KEY,"
	" t_s REAL NOT NULL,"
	" code TEXT NOT NULL,"
	" where_text TEXT NOT NULL DEFAULT '',"
	" text TEXT NOT NULL);"
	"CREATE INDEX faults_time ON faults(t_s, id);";

/* Version 2: what the chair learns about a person (per-zone preferences, trigger points),
 * the person's nudge of the scanned shoulder line, and a checksum for installed programs. */
static const char schema_v2[] =
	"ALTER TABLE users ADD COLUMN shoulder_adjust_mm INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE programs ADD COLUMN checksum TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE zone_prefs ("
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" area INTEGER NOT NULL CHECK (area >= 0),"
	" pressure_delta INTEGER NOT NULL DEFAULT 0 CHECK (pressure_delta BETWEEN -5 AND 5),"
	" ceiling_n REAL NOT NULL DEFAULT 0 CHECK (ceiling_n >= 0),"
	" PRIMARY KEY (user_id, area)) WITHOUT ROWID;"
	"CREATE TABLE trigger_memory ("
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" point TEXT NOT NULL,"
	" level_n REAL NOT NULL CHECK (level_n >= 0),"
	" PRIMARY KEY (user_id, point)) WITHOUT ROWID;";

/* Version 3: the chair's own settings (the technician's PIN hash), and the process image
 * kept with a fault. */
static const char schema_v3[] =
	"CREATE TABLE settings ("
	" key TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 64),"
	" value TEXT NOT NULL) WITHOUT ROWID;"
	"ALTER TABLE faults ADD COLUMN image TEXT NOT NULL DEFAULT '';";

/* The programs a version-1 chair installed get the checksum version 2 keeps. */
static int schema_v2_checksums(struct store *st)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT name, text FROM programs WHERE checksum = ''",
				    -1, &sel, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(st->db, "UPDATE programs SET checksum = ? WHERE name = ?",
					-1, &upd, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		char hex[STORE_CHECKSUM_HEX + 1];
		store_checksum_hex(store_col_text(sel, 1), hex);
		sqlite3_reset(upd);
		sqlite3_bind_text(upd, 1, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_value(upd, 2, sqlite3_column_value(sel, 0));
		rc = store_step_done(upd);
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	int err = rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, "checksums of installed programs");
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return err;
}

const struct store_migration store_migrations[STORE_SCHEMA_VERSION] = {
	{1, "users, consultations, sessions, programs, faults", schema_v1, NULL},
	{2, "zone preferences, trigger memory, shoulder adjustment, program checksums",
	 schema_v2, schema_v2_checksums},
	{3, "settings (the technician's PIN), a fault's process image", schema_v3, NULL},
};

/* Apply one step and its version bump in one transaction. */
static int store_migrate_step(struct store *st, const struct store_migration *m)
{
	char bump[48];
	snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", m->to_version);
	int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "migration to schema version %d (%s)", m->to_version,
				      m->what);
	rc = sqlite3_exec(st->db, m->sql, NULL, NULL, NULL);
	int err = 0;
	if (rc == SQLITE_OK && m->after)
		err = m->after(st);
	if (rc == SQLITE_OK && !err)
		rc = sqlite3_exec(st->db, bump, NULL, NULL, NULL);
	if (rc == SQLITE_OK && !err)
		rc = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		err = store_fail_sql(st, rc, "migration to schema version %d (%s)", m->to_version,
				     m->what);
	if (err && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

int store_migrate(struct store *st)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			st->version = sqlite3_column_int(s, 0);
			rc = SQLITE_OK;
		}
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot read the schema version");
	if (st->version > STORE_SCHEMA_VERSION)
		return store_fail(st, -ENOTSUP,
				  "schema version %d is newer than this controller's %d: a newer "
				  "controller wrote it; refusing to open it rather than damage it",
				  st->version, STORE_SCHEMA_VERSION);
	if (st->version < 0)
		return store_fail(st, -EIO, "schema version %d is not one of ours", st->version);
	if (st->version < STORE_SCHEMA_VERSION && st->readonly)
		return store_fail(st, -EROFS,
				  "schema version %d needs migrating to %d, and the database is "
				  "open read-only", st->version, STORE_SCHEMA_VERSION);
	while (st->version < STORE_SCHEMA_VERSION) {
		int err = store_migrate_step(st, &store_migrations[st->version]);
		if (err)
			return err;
		st->version++;
	}
	return 0;
}
