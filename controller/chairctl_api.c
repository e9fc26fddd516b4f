/* chairctl's side of the panel API: one connection per run, calls that print chaird's error
 * objects so a person can act on them, and the readable printing of results. */
#include "chairctl_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "panel/client.h"
#include "session/vocab.h"

void chairctl_close(struct chairctl *c)
{
	panel_client_close(c->cl);
	c->cl = NULL;
}

/* Connects on first use: CHAIRCTL_OK, or CHAIRCTL_UNREACHABLE after saying why. */
static int chairctl_connect(struct chairctl *c)
{
	if (c->cl)
		return CHAIRCTL_OK;
	char err[256] = "";
	int rc = panel_client_connect(&c->cl, c->socket_path, err, sizeof(err));
	if (rc == 0)
		return CHAIRCTL_OK;
	const char *why = rc == -ENOENT	       ? "no socket there (is chaird running?)"
			  : rc == -ECONNREFUSED ? "nobody serves the socket (is chaird running?)"
			  : rc == -EACCES	? "permission denied"
						: strerror(-rc);
	fprintf(stderr, "chairctl: cannot reach chaird at %s: %s\n", c->socket_path, why);
	return CHAIRCTL_UNREACHABLE;
}

/* A value of an error's data on one line: strings bare, the rest as compact JSON. */
static void print_data_value(FILE *f, const json_t *v)
{
	if (json_is_string(v)) {
		fputs(json_string_value(v), f);
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
	fputs(s ? s : "?", f);
	free(s);
}

/* An API error for people: "chairctl: METHOD: MESSAGE", then what its data says (the field
 * and what was expected, the state, the checker's diagnostics, a reason, a wait). */
static void print_error(const char *method, const struct panel_error *e)
{
	fprintf(stderr, "chairctl: %s: %s\n", method, e->message);
	const json_t *d = e->data;
	if (!json_is_object(d))
		return;
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)d, k, v) {
		if (!strcmp(k, "diagnostics") && json_is_array(v)) {
			size_t i;
			const json_t *line;
			json_array_foreach(v, i, line) {
				fputs("  ", stderr);
				print_data_value(stderr, line);
				fputc('\n', stderr);
			}
			continue;
		}
		fprintf(stderr, "  %s: ", k);
		print_data_value(stderr, v);
		fputc('\n', stderr);
	}
}

int chairctl_call_quiet(struct chairctl *c, const char *method, json_t *params, json_t **result,
		   int timeout_ms, int quiet_code, int *code)
{
	json_t *res = NULL;
	if (code)
		*code = 0;
	if (result)
		*result = NULL;
	int rc = chairctl_connect(c);
	if (rc != CHAIRCTL_OK) {
		json_decref(params);
		return rc;
	}
	struct panel_error e = {0};
	int r = panel_client_call(c->cl, method, params, &res, &e, timeout_ms);
	if (r == 0) {
		if (result)
			*result = res;
		else
			json_decref(res);
		return CHAIRCTL_OK;
	}
	if (r != -EREMOTEIO) {
		fprintf(stderr, "chairctl: %s: %s\n", method,
			r == -ETIMEDOUT	    ? "chaird did not answer in time"
			: r == -ECONNRESET ? "chaird closed the connection"
					   : strerror(-r));
		return CHAIRCTL_UNREACHABLE;
	}
	if (code)
		*code = e.code;
	if (!code || e.code != quiet_code)
		print_error(method, &e);
	int exit_code = e.code == PANEL_E_PARAMS ? CHAIRCTL_USAGE : CHAIRCTL_REFUSED;
	panel_error_clear(&e);
	return exit_code;
}

int chairctl_call(struct chairctl *c, const char *method, json_t *params, json_t **result,
		  int timeout_ms)
{
	return chairctl_call_quiet(c, method, params, result, timeout_ms, 0, NULL);
}

/* Whether an array holds only scalars (printed on one line). */
static bool scalars_only(const json_t *a)
{
	size_t i;
	const json_t *e;
	json_array_foreach(a, i, e)
		if (json_is_object(e) || json_is_array(e))
			return false;
	return true;
}

/* A scalar as people read it: strings bare, reals short. */
static void print_scalar(const json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), stdout);
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		printf("%.4g", json_real_value(v));
	else if (json_is_true(v))
		fputs("yes", stdout);
	else if (json_is_false(v))
		fputs("no", stdout);
	else if (json_is_null(v))
		fputs("-", stdout);
}

/* An object's fields as "key: value" lines at depth; with dash, the first line starts "- "
 * at depth - 1 (an element of a list). */
static void print_object(const json_t *v, int depth, bool dash)
{
	const char *k;
	const json_t *e;
	bool first = true;
	json_object_foreach((json_t *)v, k, e) {
		if (first && dash)
			printf("%*s- %s:", (depth - 1) * 2, "", k);
		else
			printf("%*s%s:", depth * 2, "", k);
		first = false;
		if ((json_is_object(e) && json_object_size(e)) || (json_is_array(e) && !scalars_only(e))) {
			putchar('\n');
			chairctl_print_tree(e, depth + 1);
		} else {
			putchar(' ');
			chairctl_print_tree(e, -1);
			putchar('\n');
		}
	}
}

void chairctl_print_tree(const json_t *v, int depth)
{
	const json_t *e;
	size_t i;
	if (json_is_object(v)) {
		print_object(v, depth, false);
		return;
	}
	if (json_is_array(v)) {
		if (scalars_only(v)) {
			if (json_array_size(v) == 0)
				fputs(depth < 0 ? "none" : "", stdout);
			json_array_foreach(v, i, e) {
				fputs(i ? ", " : "", stdout);
				print_scalar(e);
			}
			return;
		}
		json_array_foreach(v, i, e) {
			if (json_is_object(e) && json_object_size(e)) {
				print_object(e, depth + 1, true);
			} else {
				printf("%*s- ", depth * 2, "");
				chairctl_print_tree(e, -1);
				putchar('\n');
			}
		}
		return;
	}
	if (depth >= 0)
		printf("%*s", depth * 2, "");
	print_scalar(v);
	if (depth >= 0)
		putchar('\n');
}

void chairctl_print_result(const struct chairctl *c, const json_t *v)
{
	if (c->json) {
		char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(10));
		if (s)
			puts(s);
		free(s);
		return;
	}
	chairctl_print_tree(v, 0);
}

bool chairctl_parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "chairctl: %s %s: expected a whole number %ld..%ld\n", opt, s, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

/* The names of enum area for a message. */
static void print_area_names(FILE *f)
{
	for (int a = 0; a < AREA_COUNT; a++)
		fprintf(f, "%s%s", a ? ", " : "", area_name(a));
	fputc('\n', f);
}

json_t *chairctl_parse_pain(const char *s)
{
	const char *eq = strchr(s, '=');
	char area[32];
	long score;
	if (!eq || (size_t)(eq - s) >= sizeof(area)) {
		fprintf(stderr, "chairctl: --pain %s: expected AREA=SCORE (lower-back=6)\n", s);
		return NULL;
	}
	memcpy(area, s, (size_t)(eq - s));
	area[eq - s] = '\0';
	if (area_lookup(area) < 0) {
		fprintf(stderr, "chairctl: --pain %s: unknown area '%s'; areas: ", s, area);
		print_area_names(stderr);
		return NULL;
	}
	if (!chairctl_parse_int("--pain score", eq + 1, 0, 10, &score))
		return NULL;
	return json_pack("{s:s, s:I}", "area", area, "score", (json_int_t)score);
}

const char *chairctl_pin(const char *arg)
{
	static char line[128];
	if (strcmp(arg, "-"))
		return arg;
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

const char *chairctl_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

double chairctl_num(const json_t *obj, const char *key, double fallback)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_number(v) ? json_number_value(v) : fallback;
}

void chairctl_usage_api(FILE *f)
{
	fputs("  chairctl user add NAME [--height CM] [--pin PIN]\n"
	      "  chairctl user list\n"
	      "  chairctl user show NAME [--pin PIN]\n"
	      "  chairctl consult NAME [--condition ID[:AREA[:WEEKS]]]... [--pain AREA=SCORE]...\n"
	      "                   [--goal GOAL]... [--intensity gentle|normal|firm] [--duration MIN]\n"
	      "  chairctl scan NAME [--adjust MM | --height CM]\n"
	      "  chairctl plan NAME [--duration MIN]\n"
	      "  chairctl session start NAME [--program NAME]\n"
	      "  chairctl session feedback ACTION   (stronger softer faster slower wider narrower\n"
	      "                                      stay skip too_much there eased)\n"
	      "  chairctl session pause|resume|stop\n"
	      "  chairctl session status [--follow]\n"
	      "  chairctl session finish --pain AREA=SCORE... [--session ID]\n"
	      "  chairctl history NAME [--pin PIN]\n"
	      "  chairctl report NAME --format csv|html -o FILE [--pin PIN]\n"
	      "  chairctl info\n"
	      "  chairctl faults\n"
	      "Technician's commands (root or the technician group):\n"
	      "  chairctl tech set-pin [--pin PIN|-]   (without --pin: read from standard input)\n"
	      "  chairctl program install FILE [--name NAME]\n"
	      "  chairctl program remove NAME\n"
	      "  chairctl program list\n",
	      f);
}
