/* Installed programs (source text and its BLAKE2b checksum, so a technician can tell two
 * chairs run the same program) and the fault log. */
#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

void store_checksum_hex(const char *text, char hex[STORE_CHECKSUM_HEX + 1])
{
	unsigned char h[STORE_CHECKSUM_HEX / 2];
	crypto_generichash(h, sizeof(h), (const unsigned char *)text, strlen(text), NULL, 0);
	sodium_bin2hex(hex, STORE_CHECKSUM_HEX + 1, h, sizeof(h));
}

static int program_name_ok(struct store *st, const char *name)
{
	if (!store_name_ok(name, STORE_NAME_MAX))
		return store_fail(st, -EINVAL, "a program's name is 1 to %d bytes", STORE_NAME_MAX);
	return 0;
}

int store_program_put(struct store *st, const char *name, const char *text, double installed_s)
{
	STORE_ENTER(st);
	int err = program_name_ok(st, name);
	if (err)
		return err;
	if (!text)
		return store_fail(st, -EINVAL, "program %s: no text", name);
	char hex[STORE_CHECKSUM_HEX + 1];
	store_checksum_hex(text, hex);
	sqlite3_stmt *s = store_stmt(st, SQL_PROGRAM_PUT);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, hex, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 4, installed_s);
	int rc = store_step_done(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot install program %s", name);
	return 0;
}

/* A row of name, text, checksum, installed_s; text pointing at the statement. */
static void program_read(sqlite3_stmt *s, struct store_program *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", store_col_text(s, 0));
	p->text = store_col_text(s, 1);
	snprintf(p->checksum, sizeof(p->checksum), "%s", store_col_text(s, 2));
	p->installed_s = sqlite3_column_double(s, 3);
}

int store_program_get(struct store *st, const char *name, struct store_program *out)
{
	STORE_ENTER(st);
	int err = program_name_ok(st, name);
	if (err)
		return err;
	sqlite3_stmt *s = store_stmt(st, SQL_PROGRAM_GET);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		program_read(s, out);
		out->text = store_keep(st, 0, (const unsigned char *)out->text);
		err = out->text ? 0 : store_fail(st, -ENOMEM, "program %s: out of memory", name);
	} else if (rc == SQLITE_DONE) {
		err = store_fail(st, -ENOENT, "no program %s", name);
	} else {
		err = store_fail_sql(st, rc, "cannot read program %s", name);
	}
	sqlite3_reset(s);
	return err;
}

int store_program_list(struct store *st, store_program_fn fn, void *ctx)
{
	STORE_ENTER(st);
	sqlite3_stmt *s = store_stmt(st, SQL_PROGRAM_LIST);
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_program p;
		program_read(s, &p);
		st->in_callback = 1;
		ret = fn(ctx, &p);
		st->in_callback = 0;
		if (ret)
			break;
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "cannot list programs");
	return 0;
}

int store_program_remove(struct store *st, const char *name)
{
	STORE_ENTER(st);
	int err = program_name_ok(st, name);
	if (err)
		return err;
	sqlite3_stmt *s = store_stmt(st, SQL_PROGRAM_REMOVE);
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	int rc = store_step_done(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot remove program %s", name);
	if (sqlite3_changes(st->db) == 0)
		return store_fail(st, -ENOENT, "no program %s", name);
	return 0;
}

int store_fault_add(struct store *st, double t_s, const char *code, const char *where_text,
		    const char *text, const char *image)
{
	STORE_ENTER(st);
	if (!code || !*code || !text)
		return store_fail(st, -EINVAL, "a fault needs a code and a text");
	if (!isfinite(t_s))
		return store_fail(st, -EINVAL, "fault %s: time not finite", code);
	sqlite3_stmt *s = store_stmt(st, SQL_FAULT_INSERT);
	sqlite3_bind_double(s, 1, t_s);
	sqlite3_bind_text(s, 2, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, where_text ? where_text : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, image ? image : "", -1, SQLITE_STATIC);
	int rc = store_step_done(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_OK)
		return store_fail_sql(st, rc, "cannot log fault %s", code);
	return 0;
}

int store_fault_list(struct store *st, int max, store_fault_fn fn, void *ctx)
{
	STORE_ENTER(st);
	sqlite3_stmt *s = store_stmt(st, SQL_FAULT_LIST);
	sqlite3_bind_int(s, 1, max > 0 ? max : -1);
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_fault f = {
			.id = sqlite3_column_int64(s, 0),
			.t_s = sqlite3_column_double(s, 1),
			.code = store_col_text(s, 2),
			.where_text = store_col_text(s, 3),
			.text = store_col_text(s, 4),
			.image = store_col_text(s, 5),
		};
		st->in_callback = 1;
		ret = fn(ctx, &f);
		st->in_callback = 0;
		if (ret)
			break;
	}
	sqlite3_reset(s);
	if (ret)
		return ret;
	if (rc != SQLITE_DONE)
		return store_fail_sql(st, rc, "cannot list the fault log");
	return 0;
}
