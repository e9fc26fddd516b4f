/* The chair's settings table: a few named values that are the chair's data rather than its
 * configuration file (the technician's PIN hash, set through the API, never read from a
 * file a technician edits). */
#include <errno.h>
#include <string.h>

#include "store_internal.h"

static int key_ok(struct store *st, const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > 64 || strspn(key, "abcdefghijklmnopqrstuvwxyz_") != n)
		return store_fail(st, -EINVAL, "a setting's name is 1 to 64 of a-z and _");
	return 0;
}

int store_setting_get(struct store *st, const char *key, char *out, size_t out_len)
{
	STORE_ENTER(st);
	int err = key_ok(st, key);
	if (err)
		return err;
	sqlite3_stmt *s = store_stmt(st, SQL_SETTING_GET);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *v = store_col_text(s, 0);
		if (strlen(v) >= out_len)
			err = store_fail(st, -ENAMETOOLONG, "setting %s does not fit", key);
		else
			memcpy(out, v, strlen(v) + 1);
	} else if (rc == SQLITE_DONE) {
		err = store_fail(st, -ENOENT, "setting %s was never set", key);
	} else {
		err = store_fail_sql(st, rc, "cannot read setting %s", key);
	}
	sqlite3_reset(s);
	return err;
}

int store_setting_set(struct store *st, const char *key, const char *value)
{
	STORE_ENTER(st);
	int err = key_ok(st, key);
	if (err)
		return err;
	if (!value || strlen(value) >= STORE_SETTING_MAX_BYTES)
		return store_fail(st, -EINVAL, "setting %s: a value of under %d bytes", key,
				  STORE_SETTING_MAX_BYTES);
	sqlite3_stmt *s = store_stmt(st, SQL_SETTING_SET);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	int rc = store_step_done(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_OK ? 0 : store_fail_sql(st, rc, "cannot keep setting %s", key);
}
