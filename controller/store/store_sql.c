/* The text of every statement the store caches at open, in one place, so the queries can be
 * read against the schema (schema.c) side by side. */
#include "store_internal.h"

#define USER_COLS "id, name, height_cm, pin_hash, shoulder_y_mm, shoulder_adjust_mm, created_s"
#define SESSION_COLS \
	"id, user_id, consult_id, program_name, plan_text, start_s, end_s, ended, summary_json"

const char *const store_sql_text[SQL_COUNT] = {
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",

	[SQL_USER_INSERT] = "INSERT INTO users (name, height_cm, pin_hash, shoulder_y_mm,"
			    " shoulder_adjust_mm, created_s) VALUES (?, ?, ?, ?, ?, ?)",
	[SQL_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?",
	[SQL_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE name = ?",
	[SQL_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY name",
	[SQL_USER_UPDATE] = "UPDATE users SET name = ?, height_cm = ?, pin_hash = ?,"
			    " shoulder_y_mm = ?, shoulder_adjust_mm = ?, created_s = ? WHERE id = ?",
	[SQL_USER_DELETE] = "DELETE FROM users WHERE id = ?",

	[SQL_CONSULT_INSERT] = "INSERT INTO consultations (user_id, t_s, answers_json, limits_json)"
			       " VALUES (?, ?, ?, ?)",
	[SQL_CONSULT_LATEST] = "SELECT id, user_id, t_s, answers_json, limits_json FROM consultations"
			       " WHERE user_id = ? ORDER BY t_s DESC, id DESC LIMIT 1",
	[SQL_CONSULT_BY_ID] = "SELECT id, user_id, t_s, answers_json, limits_json FROM consultations"
			      " WHERE id = ?",

	[SQL_ZONE_GET] = "SELECT area, pressure_delta, ceiling_n FROM zone_prefs WHERE user_id = ?",
	[SQL_ZONE_SET] = "INSERT INTO zone_prefs (user_id, area, pressure_delta, ceiling_n)"
			 " VALUES (?, ?, ?, ?) ON CONFLICT (user_id, area) DO UPDATE SET"
			 " pressure_delta = excluded.pressure_delta, ceiling_n = excluded.ceiling_n",
	[SQL_TRIGGER_GET] = "SELECT point, level_n FROM trigger_memory WHERE user_id = ? AND point = ?",
	[SQL_TRIGGER_SET] = "INSERT INTO trigger_memory (user_id, point, level_n) VALUES (?, ?, ?)"
			    " ON CONFLICT (user_id, point) DO UPDATE SET level_n = excluded.level_n",
	[SQL_TRIGGER_LIST] = "SELECT point, level_n FROM trigger_memory WHERE user_id = ?"
			     " ORDER BY point",

	[SQL_SESSION_INSERT] = "INSERT INTO sessions (user_id, consult_id, program_name, plan_text,"
			       " start_s, ended) VALUES (?, ?, ?, ?, ?, 'running')",
	[SQL_SESSION_STATE] = "SELECT ended FROM sessions WHERE id = ?",
	[SQL_SESSION_END] = "UPDATE sessions SET ended = ?, end_s = ?, summary_json = ?"
			    " WHERE id = ? AND ended = 'running'",
	[SQL_SESSION_BY_ID] = "SELECT " SESSION_COLS " FROM sessions WHERE id = ?",
	[SQL_SESSION_HISTORY] = "SELECT " SESSION_COLS " FROM sessions WHERE user_id = ?"
				" ORDER BY start_s, id",
	[SQL_PAIN_BEFORE] = "INSERT INTO session_pain (session_id, area, \"before\") VALUES (?, ?, ?)",
	[SQL_PAIN_AFTER] = "INSERT INTO session_pain (session_id, area, \"after\") VALUES (?, ?, ?)"
			   " ON CONFLICT (session_id, area) DO UPDATE SET \"after\" = excluded.\"after\"",
	[SQL_PAIN_PRUNE] = "DELETE FROM session_pain WHERE session_id = ?"
			   " AND \"before\" IS NULL AND \"after\" IS NULL",
	[SQL_PAIN_OF_SESSION] = "SELECT area, \"before\", \"after\" FROM session_pain"
				" WHERE session_id = ?",
	[SQL_EVENT_INSERT] = "INSERT INTO session_events (session_id, t_s, kind, action, zone, detail)"
			     " VALUES (?, ?, ?, ?, ?, ?)",
	[SQL_EVENT_LIST] = "SELECT t_s, kind, action, zone, detail FROM session_events"
			   " WHERE session_id = ? ORDER BY t_s, rowid",

	[SQL_PROGRAM_PUT] = "INSERT INTO programs (name, text, checksum, installed_s)"
			    " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET text = excluded.text,"
			    " checksum = excluded.checksum, installed_s = excluded.installed_s",
	[SQL_PROGRAM_GET] = "SELECT name, text, checksum, installed_s FROM programs WHERE name = ?",
	[SQL_PROGRAM_LIST] = "SELECT name, text, checksum, installed_s FROM programs ORDER BY name",
	[SQL_PROGRAM_REMOVE] = "DELETE FROM programs WHERE name = ?",

	[SQL_FAULT_INSERT] = "INSERT INTO faults (t_s, code, where_text, text, image)"
			     " VALUES (?, ?, ?, ?, ?)",
	/* The last ?1 (all when negative), oldest first. */
	[SQL_FAULT_LIST] = "SELECT id, t_s, code, where_text, text, image FROM (SELECT * FROM faults"
			   " ORDER BY t_s DESC, id DESC LIMIT ?) ORDER BY t_s, id",

	[SQL_SETTING_GET] = "SELECT value FROM settings WHERE key = ?",
	[SQL_SETTING_SET] = "INSERT INTO settings (key, value) VALUES (?, ?)"
			    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
};
