/* The chair's storage: profiles, consultations, learned per-zone preferences and trigger
 * points, sessions with everything that happened in them, installed programs and the fault
 * log, in one SQLite database (WAL, synchronous=FULL: a call that returns 0 has its record
 * on disk). Schema versioned in PRAGMA user_version and migrated at open; sessions a crash
 * left "running" are marked "interrupted" at open.
 *
 * Main thread only, never the tick. Every function returns 0 or a negative errno-style code
 * and leaves a message naming the database and the record in store_error():
 *   -ENOENT no such user, session, consultation, program or trigger point
 *   -EEXIST a name already taken (nothing changed)
 *   -EINVAL an argument out of range (an empty or too long name, an unknown area...)
 *   -ENOSPC the disk (or the configured size limit) is full; nothing of the call was kept
 *   -EROFS  the database is read-only
 *   -EACCES the database's directory cannot be reached
 *   -EBUSY  another process holds the database, or a store call from inside a list callback
 *   -ENOTSUP the database was written by a newer controller (schema version above ours)
 *   -EIO    a corrupt file, not a database, any other I/O error
 *   -ENOMEM out of memory
 * A failed call changes nothing: each is one transaction.
 *
 * Text fields of returned structs (const char *) point into the store: valid during a list
 * callback, or until the next call on the store for the get functions. A list callback
 * returns 0 to go on, anything else stops the listing and is returned by it; it must not call
 * the store (such a call fails with -EBUSY). */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>

#include "../session/vocab.h"

#define STORE_SCHEMA_VERSION 3
#define STORE_NAME_MAX 64         /* bytes of a user or program name, without the NUL */
#define STORE_PIN_HASH_MAX 128    /* crypto_pwhash_STRBYTES, with the NUL */
#define STORE_CHECKSUM_HEX 64     /* BLAKE2b-256 as hex, without the NUL */
#define STORE_EVENT_ACTION_MAX 32 /* with the NUL */
#define STORE_EVENT_DETAIL_MAX 160
#define STORE_SETTING_MAX_BYTES 256 /* a setting's value, with the NUL */

struct store;

struct store_options {
	int max_page_count; /* > 0: PRAGMA max_page_count, the database's size limit in pages */
	int readonly;       /* open for reading only: every write fails with -EROFS */
	int busy_timeout_ms; /* 0: 200 ms */
};

/* Open (creating it if needed) the database at path, migrate it to STORE_SCHEMA_VERSION and
 * mark the sessions a crash left running as interrupted. A read-only file or directory is
 * -EROFS unless opts->readonly. ":memory:" is a database in memory (for tests), gone at
 * close. *out is NULL on failure, with the reason in err. */
int store_open(struct store **out, const char *path, char *err, size_t err_len);
int store_open_ex(struct store **out, const char *path, const struct store_options *opts,
		  char *err, size_t err_len);
/* Close the database (NULL is allowed). */
void store_close(struct store *st);
/* The message of the last failed call ("" when none failed yet). */
const char *store_error(const struct store *st);
/* How many running sessions the open marked interrupted. */
int store_recovered(const struct store *st);
/* The schema version the database is at (STORE_SCHEMA_VERSION after a successful open). */
int store_schema_version(const struct store *st);

/* ---- users ---- */

struct store_user {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	int height_cm;                    /* 0 = unknown */
	char pin_hash[STORE_PIN_HASH_MAX]; /* crypto_pwhash_str, "" = no PIN */
	int shoulder_y_mm;                /* 0 = never scanned */
	int shoulder_adjust_mm;           /* the person's nudge of the scanned line */
	double created_s;
};
typedef int (*store_user_fn)(void *ctx, const struct store_user *u);

/* Create u (id ignored, set on success); -EEXIST when the name is taken. */
int store_user_create(struct store *st, struct store_user *u);
/* The user of this id / this name; -ENOENT when none. */
int store_user_get(struct store *st, int64_t id, struct store_user *out);
int store_user_get_by_name(struct store *st, const char *name, struct store_user *out);
/* Every user, by name. */
int store_user_list(struct store *st, store_user_fn fn, void *ctx);
/* Replace every field of the user u->id (created_s included); -EEXIST on a taken name. */
int store_user_update(struct store *st, const struct store_user *u);
/* Delete the user and everything of theirs: consultations, preferences, sessions. */
int store_user_delete(struct store *st, int64_t id);

/* ---- consultations ---- */

struct store_consultation {
	int64_t id, user_id;
	double t_s;
	const char *answers_json, *limits_json;
};

/* Keep a consultation (the answers and the limits that followed, as the caller's JSON). */
int store_consultation_save(struct store *st, int64_t user_id, double t_s,
			    const char *answers_json, const char *limits_json, int64_t *id_out);
/* The user's latest consultation; -ENOENT when they never had one. */
int store_consultation_latest(struct store *st, int64_t user_id, struct store_consultation *out);
int store_consultation_get(struct store *st, int64_t id, struct store_consultation *out);

/* ---- learned data ---- */

/* Every area's preference of the user: {0, 0} where nothing was learned. */
int store_zone_prefs_get(struct store *st, int64_t user_id, struct zone_pref prefs[AREA_COUNT]);
/* Keep the preference of one area (pressure_delta -5..+5, ceiling_n >= 0). */
int store_zone_pref_set(struct store *st, int64_t user_id, enum area area,
			const struct zone_pref *pref);
/* The level remembered for one trigger point; -ENOENT when none. */
int store_trigger_get(struct store *st, int64_t user_id, const char *point,
		      struct trigger_memory *out);
/* Keep (replace) the level of tm->point. */
int store_trigger_set(struct store *st, int64_t user_id, const struct trigger_memory *tm);
typedef int (*store_trigger_fn)(void *ctx, const struct trigger_memory *tm);
/* Every trigger point of the user, by point. */
int store_trigger_list(struct store *st, int64_t user_id, store_trigger_fn fn, void *ctx);

/* ---- sessions ---- */

enum store_ended { STORE_ENDED_RUNNING, STORE_ENDED_COMPLETED, STORE_ENDED_STOPPED,
		   STORE_ENDED_FAULT, STORE_ENDED_INTERRUPTED, STORE_ENDED_COUNT };
/* "running", "completed", "stopped", "fault", "interrupted" (NULL out of range). */
const char *store_ended_name(enum store_ended e);
/* The enum of a name, -1 when unknown. */
int store_ended_lookup(const char *name);

enum store_event_kind { STORE_EVENT_FEEDBACK, STORE_EVENT_PHASE, STORE_EVENT_FAULT,
			STORE_EVENT_COUNT };
/* "feedback", "phase", "fault" (NULL out of range). */
const char *store_event_kind_name(enum store_event_kind k);

/* What happened at one moment of a session: a feedback (action "softer", "too_much"...), a
 * phase (action "warm-up", "pause"...) or a fault (action = the fault's name). */
struct store_event {
	double t_s;
	enum store_event_kind kind;
	char action[STORE_EVENT_ACTION_MAX];
	int zone; /* enum area, -1 none */
	char detail[STORE_EVENT_DETAIL_MAX];
};
typedef int (*store_event_fn)(void *ctx, const struct store_event *ev);

/* What a session starts with. pain_before: 0..10, -1 = not said. */
struct store_session_start {
	int64_t user_id;
	int64_t consult_id; /* 0 = none */
	const char *program_name;
	const char *plan_text;
	double start_s;
	int pain_before[AREA_COUNT];
};

struct store_session {
	int64_t id, user_id, consult_id;
	char program_name[STORE_NAME_MAX + 1];
	double start_s, end_s; /* end_s 0 while running */
	enum store_ended ended;
	int pain_before[AREA_COUNT], pain_after[AREA_COUNT]; /* -1 = not said */
	const char *plan_text;
	const char *summary_json; /* "" until the session ends with one */
};
typedef int (*store_session_fn)(void *ctx, const struct store_session *s);

/* Record a session as running; *sid_out its id. -ENOENT for no such user or consultation. */
int store_session_begin(struct store *st, const struct store_session_start *s, int64_t *sid_out);
/* Append n events of a running session in one transaction (all or none). */
int store_session_events_append(struct store *st, int64_t sid, const struct store_event *ev,
				int n);
/* Record how a running session ended (not STORE_ENDED_RUNNING), when, and its summary JSON
 * (NULL = none). -EALREADY when it had ended already. */
int store_session_end(struct store *st, int64_t sid, enum store_ended ended, double end_s,
		      const char *summary_json);
/* Record the pain scores given after the session (0..10, -1 = not said). */
int store_session_pain_after(struct store *st, int64_t sid, const int pain_after[AREA_COUNT]);
/* What the person gives after an ended session, in one transaction: the pain scores after
 * (0..10, -1 = not said) and the summary (NULL = keep the one of the end), which replaces
 * the one store_session_end kept: it now carries the care advice. -EINPROGRESS while the
 * session is still running. */
int store_session_finish(struct store *st, int64_t sid, const int pain_after[AREA_COUNT],
			 const char *summary_json);
/* One session with its pain rows. */
int store_session_get(struct store *st, int64_t sid, struct store_session *out);
/* The events of one session in time order; -ENOENT for no such session. */
int store_session_events(struct store *st, int64_t sid, store_event_fn fn, void *ctx);
/* The sessions of a user, oldest first, with their pain rows; -ENOENT for no such user. */
int store_session_history(struct store *st, int64_t user_id, store_session_fn fn, void *ctx);

/* ---- installed programs ---- */

struct store_program {
	char name[STORE_NAME_MAX + 1];
	const char *text;
	char checksum[STORE_CHECKSUM_HEX + 1]; /* BLAKE2b-256 of the text, lowercase hex */
	double installed_s;
};
typedef int (*store_program_fn)(void *ctx, const struct store_program *p);

/* Install (or replace) a program's source text; its checksum is computed here. */
int store_program_put(struct store *st, const char *name, const char *text, double installed_s);
/* The program of this name; -ENOENT when none. */
int store_program_get(struct store *st, const char *name, struct store_program *out);
/* Every program, by name. */
int store_program_list(struct store *st, store_program_fn fn, void *ctx);
/* Remove a program; -ENOENT when none. */
int store_program_remove(struct store *st, const char *name);
/* The checksum store_program_put keeps for text: BLAKE2b-256 (crypto_generichash), hex. */
void store_checksum_hex(const char *text, char hex[STORE_CHECKSUM_HEX + 1]);

/* ---- fault log ---- */

struct store_fault {
	int64_t id;
	double t_s;
	const char *code;       /* the fault's stable name (fault_table[].name) */
	const char *where_text; /* "axis y", "unit 3", "" */
	const char *text;
	const char *image;      /* the process image when it latched, JSON text; "" none */
};
typedef int (*store_fault_fn)(void *ctx, const struct store_fault *f);

/* Log a fault; image (JSON text, NULL for none) is what the chair read and wrote then. */
int store_fault_add(struct store *st, double t_s, const char *code, const char *where_text,
		    const char *text, const char *image);
/* The last max faults (max <= 0: all), oldest first (by time, then by order of logging). */
int store_fault_list(struct store *st, int max, store_fault_fn fn, void *ctx);

/* The chair's own settings that are data, not configuration (the technician's PIN hash):
 * a key of [a-z_] and a value of text. get: -ENOENT when never set, -ENAMETOOLONG when it
 * does not fit out. */
int store_setting_get(struct store *st, const char *key, char *out, size_t out_len);
int store_setting_set(struct store *st, const char *key, const char *value);

#endif
