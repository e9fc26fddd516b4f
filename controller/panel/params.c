/* The param schema checker: a request's params against its method's table entry, all of
 * it checked before any handler runs. */
#include "params.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The schema entry named key, or NULL. */
static const struct panel_param *find(const struct panel_param *schema, const char *key)
{
	for (const struct panel_param *p = schema; p && p->name; p++)
		if (strcmp(p->name, key) == 0)
			return p;
	return NULL;
}

static bool has_range(const struct panel_param *p)
{
	return p->min < p->max;
}

/* Append the choices to buf as "a, b, c". */
static void list_choices(char *buf, size_t len, size_t at, const char *const *choices)
{
	for (size_t i = 0; choices && choices[i] && at < len; i++) {
		int n = snprintf(buf + at, len - at, "%s%s", i ? ", " : "", choices[i]);
		if (n < 0)
			return;
		at += (size_t)n;
	}
}

/* What a param should be, in words: "integer from 0 to 10", "one of gentle, normal, firm". */
static void describe(const struct panel_param *p, char *buf, size_t len)
{
	switch (p->type) {
	case PANEL_P_STRING:
		if (p->max_len)
			snprintf(buf, len, "string of at most %zu bytes", p->max_len);
		else
			snprintf(buf, len, "string");
		return;
	case PANEL_P_INT:
	case PANEL_P_NUMBER: {
		const char *what = p->type == PANEL_P_INT ? "integer" : "number";
		if (has_range(p))
			snprintf(buf, len, "%s from %g to %g", what, p->min, p->max);
		else
			snprintf(buf, len, "%s", what);
		return;
	}
	case PANEL_P_BOOL: snprintf(buf, len, "true or false"); return;
	case PANEL_P_OBJECT: snprintf(buf, len, "object"); return;
	case PANEL_P_ARRAY: {
		int n = p->max_len ? snprintf(buf, len, "array of at most %zu items", p->max_len)
				   : snprintf(buf, len, "array");
		if (p->choices && n > 0 && (size_t)n < len) {
			int m = snprintf(buf + n, len - (size_t)n, ", each one of ");
			if (m > 0)
				list_choices(buf, len, (size_t)(n + m), p->choices);
		}
		return;
	}
	case PANEL_P_ENUM: {
		int n = snprintf(buf, len, "one of ");
		if (n > 0)
			list_choices(buf, len, (size_t)n, p->choices);
		return;
	}
	}
	snprintf(buf, len, "?");
}

static bool among(const char *s, const char *const *choices)
{
	for (size_t i = 0; choices && choices[i]; i++)
		if (strcmp(s, choices[i]) == 0)
			return true;
	return false;
}

/* Whether v is what p asks for. */
static bool fits(const struct panel_param *p, const json_t *v)
{
	switch (p->type) {
	case PANEL_P_STRING:
		return json_is_string(v) && (!p->max_len || json_string_length(v) <= p->max_len);
	case PANEL_P_INT:
		if (!json_is_integer(v))
			return false;
		return !has_range(p) || ((double)json_integer_value(v) >= p->min &&
					 (double)json_integer_value(v) <= p->max);
	case PANEL_P_NUMBER: {
		if (!json_is_number(v))
			return false;
		double x = json_number_value(v);
		return isfinite(x) && (!has_range(p) || (x >= p->min && x <= p->max));
	}
	case PANEL_P_BOOL: return json_is_boolean(v);
	case PANEL_P_OBJECT: return json_is_object(v);
	case PANEL_P_ARRAY: {
		if (!json_is_array(v) || (p->max_len && json_array_size(v) > p->max_len))
			return false;
		size_t i;
		const json_t *item;
		if (p->choices)
			json_array_foreach(v, i, item)
				if (!json_is_string(item) || !among(json_string_value(item), p->choices))
					return false;
		return true;
	}
	case PANEL_P_ENUM:
		return json_is_string(v) && among(json_string_value(v), p->choices);
	}
	return false;
}

/* -32602 naming field and what was expected. */
static int bad(struct panel_error *err, const char *field, const char *expected)
{
	json_t *data = json_object();
	json_object_set_new(data, "field", panel_json_clipped(field, 64));
	json_object_set_new(data, "expected", json_string(expected));
	panel_error_set(err, PANEL_E_PARAMS, data, "bad params");
	return PANEL_E_PARAMS;
}

int panel_params_check(const struct panel_param *schema, const json_t *params,
		       struct panel_error *err)
{
	char want[512];
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)params, key, v) {
		if (find(schema, key))
			continue;
		int n = snprintf(want, sizeof(want), "no such param; known: ");
		for (const struct panel_param *p = schema; p && p->name && n > 0 &&
							   (size_t)n < sizeof(want); p++)
			n += snprintf(want + n, sizeof(want) - (size_t)n, "%s%s",
				      p == schema ? "" : ", ", p->name);
		if (!schema || !schema->name)
			snprintf(want, sizeof(want), "no params");
		return bad(err, key, want);
	}
	for (const struct panel_param *p = schema; p && p->name; p++) {
		v = json_object_get(params, p->name);
		if (!v && !p->required)
			continue;
		if (v && fits(p, v))
			continue;
		describe(p, want, sizeof(want));
		if (!v) {
			size_t n = strlen(want);
			snprintf(want + n, sizeof(want) - n, " (required)");
		}
		return bad(err, p->name, want);
	}
	return 0;
}

int panel_params_validate(const struct panel_param *schema, char *err, size_t err_len)
{
	for (const struct panel_param *p = schema; p && p->name; p++) {
		if (find(schema, p->name) != p) {
			snprintf(err, err_len, "param %s is declared twice", p->name);
			return -EINVAL;
		}
		if (p->type == PANEL_P_ENUM && (!p->choices || !p->choices[0])) {
			snprintf(err, err_len, "param %s: an enum needs its choices", p->name);
			return -EINVAL;
		}
		if (p->min > p->max || isnan(p->min) || isnan(p->max)) {
			snprintf(err, err_len, "param %s: min above max", p->name);
			return -EINVAL;
		}
		if (p->type > PANEL_P_ENUM) {
			snprintf(err, err_len, "param %s: unknown type", p->name);
			return -EINVAL;
		}
	}
	return 0;
}
