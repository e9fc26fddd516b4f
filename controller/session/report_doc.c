/* The record for a physical therapist: the checks of the history document, the CSV, and the
 * choice of format. The HTML page is report_doc_html.c. */
#include "report_doc.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "history.h"
#include "report_doc_priv.h"

static const char *const format_names[REPORT_FORMAT_COUNT] = {"csv", "html"};

const char *report_format_name(enum report_format fmt)
{
	return (unsigned)fmt < REPORT_FORMAT_COUNT ? format_names[fmt] : "?";
}

int report_format_lookup(const char *name)
{
	for (int i = 0; name && i < REPORT_FORMAT_COUNT; i++)
		if (!strcmp(name, format_names[i]))
			return i;
	return -1;
}

double report_doc_num(const json_t *obj, const char *key, double fallback)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_number(v) ? json_number_value(v) : fallback;
}

double report_doc_duration_s(const json_t *session)
{
	double d = report_doc_num(session, "duration_s", -1);
	if (d >= 0)
		return d;
	double start = report_doc_num(session, "start_s", NAN);
	double end = report_doc_num(session, "end_s", NAN);
	return end >= start ? end - start : -1;
}

void report_doc_iso_time(double t_s, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)floor(t_s);
	if (!isfinite(t_s) || t_s < 0 || !gmtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "%s", "");
}

/* The kinds a field of the document may be; absent and null are always allowed. */
enum field_kind { F_STRING, F_NUMBER, F_INTEGER, F_BOOL, F_STRINGS, F_NUMBERS, F_OBJECT };

struct field_rule {
	const char *key;
	enum field_kind kind;
};

static const char *const kind_text[] = {
	[F_STRING] = "a string",  [F_NUMBER] = "a number",
	[F_INTEGER] = "an integer", [F_BOOL] = "true or false",
	[F_STRINGS] = "an array of strings", [F_NUMBERS] = "an object of numbers",
	[F_OBJECT] = "an object",
};

/* Whether v (not absent, not null) is of kind k. */
static bool field_is(const json_t *v, enum field_kind k)
{
	size_t i;
	const char *key;
	const json_t *e;
	switch (k) {
	case F_STRING: return json_is_string(v);
	case F_NUMBER: return json_is_number(v) && isfinite(json_number_value(v));
	case F_INTEGER: return json_is_integer(v);
	case F_BOOL: return json_is_boolean(v);
	case F_OBJECT: return json_is_object(v);
	case F_STRINGS:
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return false;
		return true;
	case F_NUMBERS:
		if (!json_is_object(v))
			return false;
		json_object_foreach((json_t *)v, key, e)
			if (!json_is_number(e))
				return false;
		return true;
	}
	return false;
}

/* Checks obj's fields against rules; -EINVAL naming where.key and the kind expected. */
static int check_fields(const json_t *obj, const char *where, const struct field_rule *rules,
			size_t n, char *err, size_t err_len)
{
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, rules[i].key);
		if (v && !json_is_null(v) && !field_is(v, rules[i].kind)) {
			snprintf(err, err_len, "%s.%s: expected %s", where, rules[i].key,
				 kind_text[rules[i].kind]);
			return -EINVAL;
		}
	}
	return 0;
}

static const struct field_rule user_rules[] = {
	{"name", F_STRING}, {"height_cm", F_NUMBER},
};
static const struct field_rule limits_rules[] = {
	{"cap_n", F_NUMBER},	      {"max_pressure_level", F_INTEGER},
	{"techniques_excluded", F_STRINGS}, {"areas_avoided", F_STRINGS},
	{"heat_allowed", F_BOOL},     {"messages", F_STRINGS},
	{"see_professional_first", F_BOOL}, {"professional", F_STRING},
	{"reason", F_STRING},
};
static const struct field_rule session_rules[] = {
	{"session_id", F_INTEGER},	 {"start_s", F_NUMBER},
	{"end_s", F_NUMBER},		 {"duration_s", F_NUMBER},
	{"program", F_STRING},		 {"ended", F_STRING},
	{"peak_force_n", F_NUMBER},	 {"areas_worked", F_STRINGS},
	{"minutes_by_zone", F_NUMBERS},	 {"minutes_by_technique", F_NUMBERS},
	{"feedback", F_NUMBERS},
};
#define N_RULES(r) (sizeof(r) / sizeof((r)[0]))

/* Each condition is a name or {"id", "area"?, "weeks_ago"?}. */
static int check_conditions(const json_t *conds, char *err, size_t err_len)
{
	static const struct field_rule cond_rules[] = {
		{"id", F_STRING}, {"area", F_STRING}, {"weeks_ago", F_INTEGER},
	};
	if (!conds || json_is_null(conds))
		return 0;
	if (!json_is_array(conds)) {
		snprintf(err, err_len, "limits.conditions: expected an array");
		return -EINVAL;
	}
	size_t i;
	const json_t *c;
	char where[48];
	json_array_foreach(conds, i, c) {
		snprintf(where, sizeof(where), "limits.conditions[%zu]", i);
		if (json_is_string(c))
			continue;
		if (!json_is_string(json_object_get(c, "id"))) {
			snprintf(err, err_len, "%s: expected a name or an object with an id", where);
			return -EINVAL;
		}
		int rc = check_fields(c, where, cond_rules, N_RULES(cond_rules), err, err_len);
		if (rc)
			return rc;
	}
	return 0;
}

/* Every field the renderers read has the kind they expect, so they need not check again. */
static int check_document(const json_t *h, char *err, size_t err_len)
{
	static const struct field_rule top_rules[] = {{"user", F_OBJECT}, {"limits", F_OBJECT}};
	if (!json_is_object(h)) {
		snprintf(err, err_len, "history: expected an object");
		return -EINVAL;
	}
	int rc = check_fields(h, "history", top_rules, N_RULES(top_rules), err, err_len);
	if (!rc)
		rc = check_fields(json_object_get(h, "user"), "user", user_rules, N_RULES(user_rules),
				  err, err_len);
	if (!rc)
		rc = check_fields(json_object_get(h, "limits"), "limits", limits_rules,
				  N_RULES(limits_rules), err, err_len);
	if (!rc)
		rc = check_conditions(json_object_get(json_object_get(h, "limits"), "conditions"), err,
				      err_len);
	size_t i;
	const json_t *s;
	char where[32];
	json_array_foreach(json_object_get(h, "sessions"), i, s) {
		if (rc)
			break;
		snprintf(where, sizeof(where), "sessions[%zu]", i);
		rc = check_fields(s, where, session_rules, N_RULES(session_rules), err, err_len);
	}
	return rc;
}

/* Writes one CSV field: quoted (RFC 4180, quotes doubled) when it holds a comma, a quote or a
 * line end. A text starting with = + - @ or a tab is prefixed with ' so that a spreadsheet
 * shows it rather than evaluating it as a formula. */
static void csv_text(FILE *f, const char *s)
{
	s = s ? s : "";
	bool formula = strchr("=+-@\t\r", s[0]) && s[0];
	if (!strpbrk(s, ",\"\r\n") && !formula) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A number field with one decimal, empty when absent. */
static void csv_num(FILE *f, double v)
{
	if (isfinite(v) && v >= 0)
		fprintf(f, "%.1f", v);
}

/* A pain score, empty when not given. */
static void csv_score(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%g", json_number_value(v));
}

/* The feedback counts: stronger, softer, too_much, then all other actions summed. */
static void csv_feedback(FILE *f, const json_t *fb)
{
	long long stronger = 0, softer = 0, too_much = 0, other = 0;
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)fb, k, v) {
		long long n = (long long)json_number_value(v);
		if (!strcmp(k, "stronger"))
			stronger = n;
		else if (!strcmp(k, "softer"))
			softer = n;
		else if (!strcmp(k, "too_much"))
			too_much = n;
		else
			other += n;
	}
	fprintf(f, "%lld,%lld,%lld,%lld", stronger, softer, too_much, other);
}

/* One row: the session's columns around one pain entry (NULL: a session without scores). */
static void csv_row(FILE *f, const json_t *s, const json_t *pain)
{
	char date[32];
	const json_t *id = json_object_get(s, "session_id");
	if (json_is_integer(id))
		fprintf(f, "%lld", (long long)json_integer_value(id));
	report_doc_iso_time(report_doc_num(s, "start_s", NAN), date, sizeof(date));
	fprintf(f, ",%s,", date);
	double d = report_doc_duration_s(s);
	csv_num(f, d >= 0 ? d / 60.0 : NAN);
	fputc(',', f);
	csv_text(f, json_string_value(json_object_get(s, "program")));
	fputc(',', f);
	csv_text(f, json_string_value(json_object_get(pain, "area")));
	fputc(',', f);
	csv_score(f, json_object_get(pain, "before"));
	fputc(',', f);
	csv_score(f, json_object_get(pain, "after"));
	fputc(',', f);
	csv_num(f, report_doc_num(s, "peak_force_n", NAN));
	fputc(',', f);
	csv_feedback(f, json_object_get(s, "feedback"));
	fputc(',', f);
	csv_text(f, json_string_value(json_object_get(s, "ended")));
	fputs("\r\n", f);
}

/* The CSV: a header, then per session one row per area scored (one row when none was). */
static void render_csv(FILE *f, const json_t *h)
{
	fputs(REPORT_CSV_HEADER "\r\n", f);
	size_t i, j;
	const json_t *s, *p;
	json_array_foreach(json_object_get(h, "sessions"), i, s) {
		const json_t *pain = json_object_get(s, "pain");
		if (json_array_size(pain) == 0)
			csv_row(f, s, NULL);
		json_array_foreach(pain, j, p)
			csv_row(f, s, p);
	}
}

int report_doc_render(const json_t *history, enum report_format fmt, char **out, size_t *len,
		      char *err, size_t err_len)
{
	*out = NULL;
	*len = 0;
	if ((unsigned)fmt >= REPORT_FORMAT_COUNT) {
		snprintf(err, err_len, "format: expected csv or html");
		return -EINVAL;
	}
	int rc = check_document(history, err, err_len);
	if (rc)
		return rc;
	json_t *trend = history_trend(history, err, err_len);
	if (!trend)
		return strstr(err, "out of memory") ? -ENOMEM : -EINVAL;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f) {
		json_decref(trend);
		snprintf(err, err_len, "report: out of memory");
		return -ENOMEM;
	}
	if (fmt == REPORT_FORMAT_CSV)
		render_csv(f, history);
	else
		report_doc_html(f, history, trend);
	bool bad = ferror(f);
	json_decref(trend);
	if (fclose(f) != 0 || bad) {
		free(buf);
		snprintf(err, err_len, "report: out of memory");
		return -ENOMEM;
	}
	*out = buf;
	*len = n;
	return 0;
}
