/* chairctl's commands for the start of a visit: profiles, the consultation, the body scan
 * and the proposed plan. Each reads its whole command line before it sends anything. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chairctl_api.h"
#include "panel/client.h"
#include "session/vocab.h"

/* getopt_long over argv from argv[1] (argv[0] is the command word), from the start. */
static int next_opt(int argc, char **argv, const char *shortopts, const struct option *lo)
{
	return getopt_long(argc, argv, shortopts, lo, NULL);
}

/* Starts a fresh getopt pass (glibc: optind 0 reinitialises it). */
static void opts_reset(void)
{
	optind = 0;
	opterr = 1;
}

/* "user NAME": the one positional argument after the options; usage error otherwise. */
static const char *one_name(int argc, char **argv, const char *what)
{
	if (optind != argc - 1) {
		fprintf(stderr, "chairctl: %s: expected one %s\n", argv[0], what);
		return NULL;
	}
	return argv[optind];
}

/* user add NAME [--height CM] [--pin PIN] | user list | user show NAME [--pin PIN] */
int chairctl_cmd_user(struct chairctl *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"height", required_argument, NULL, 'h'},
		{"pin", required_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	if (argc < 2) {
		fprintf(stderr, "chairctl: user: expected add, list or show\n");
		return CHAIRCTL_USAGE;
	}
	const char *sub = argv[1];
	long height = 0;
	const char *pin = NULL;
	opts_reset();
	int ch;
	while ((ch = next_opt(argc - 1, argv + 1, "", lo)) != -1) {
		if (ch == 'h' && !strcmp(sub, "add")) {
			if (!chairctl_parse_int("--height", optarg, 100, 250, &height))
				return CHAIRCTL_USAGE;
		} else if (ch == 'p' && strcmp(sub, "list")) {
			pin = chairctl_pin(optarg);
		} else {
			fprintf(stderr, "chairctl: user %s: unexpected option\n", sub);
			return CHAIRCTL_USAGE;
		}
	}
	argc--;
	argv++;
	json_t *res = NULL;
	int rc;
	if (!strcmp(sub, "list")) {
		if (optind != argc) {
			fprintf(stderr, "chairctl: user list takes no name\n");
			return CHAIRCTL_USAGE;
		}
		if ((rc = chairctl_call(c, "users.list", NULL, &res, CHAIRCTL_CALL_MS)) != CHAIRCTL_OK)
			return rc;
		const json_t *users = json_is_array(res) ? res : json_object_get(res, "users");
		if (c->json || !json_is_array(users)) {
			chairctl_print_result(c, res);
		} else {
			size_t i;
			const json_t *u;
			if (json_array_size(users) == 0)
				printf("no users yet\n");
			json_array_foreach(users, i, u) {
				printf("%-20s", chairctl_str(u, "name"));
				double h = chairctl_num(u, "height_cm", 0);
				if (h > 0)
					printf("  %3.0f cm", h);
				double sy = chairctl_num(u, "shoulder_y_mm", 0);
				if (sy > 0)
					printf("  shoulder line %.0f mm", sy);
				putchar('\n');
			}
		}
		json_decref(res);
		return CHAIRCTL_OK;
	}
	const char *name = one_name(argc, argv, "user name");
	if (!name)
		return CHAIRCTL_USAGE;
	if (!strcmp(sub, "add")) {
		json_t *p = json_pack("{s:s}", "name", name);
		if (height)
			json_object_set_new(p, "height_cm", json_integer(height));
		if (pin)
			json_object_set_new(p, "pin", json_string(pin));
		if ((rc = chairctl_call(c, "users.create", p, &res, CHAIRCTL_CALL_MS)) != CHAIRCTL_OK)
			return rc;
		if (c->json)
			chairctl_print_result(c, res);
		else
			printf("user %s added\n", name);
	} else if (!strcmp(sub, "show")) {
		json_t *p = json_pack("{s:s}", "name", name);
		if (pin)
			json_object_set_new(p, "pin", json_string(pin));
		if ((rc = chairctl_call(c, "users.get", p, &res, CHAIRCTL_CALL_MS)) != CHAIRCTL_OK)
			return rc;
		chairctl_print_result(c, res);
	} else {
		fprintf(stderr, "chairctl: user %s: expected add, list or show\n", sub);
		return CHAIRCTL_USAGE;
	}
	json_decref(res);
	return CHAIRCTL_OK;
}

/* "injury:shoulders:3" as {"id": "injury", "area": "shoulders", "weeks_ago": 3}. */
static json_t *parse_condition(const char *s)
{
	char buf[96];
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf)) {
		fprintf(stderr, "chairctl: --condition %s: too long\n", s);
		return NULL;
	}
	char *area = strchr(buf, ':'), *weeks = NULL;
	if (area) {
		*area++ = '\0';
		weeks = strchr(area, ':');
		if (weeks)
			*weeks++ = '\0';
	}
	if (condition_lookup(buf) < 0) {
		fprintf(stderr, "chairctl: --condition %s: unknown condition '%s'; conditions:", s, buf);
		for (int i = 0; i < COND_COUNT; i++)
			fprintf(stderr, "%s %s", i ? "," : "", condition_name(i));
		fputc('\n', stderr);
		return NULL;
	}
	json_t *o = json_pack("{s:s}", "id", buf);
	if (area && *area) {
		if (area_lookup(area) < 0) {
			fprintf(stderr, "chairctl: --condition %s: unknown area '%s'\n", s, area);
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "area", json_string(area));
	}
	long w;
	if (weeks && *weeks) {
		if (!chairctl_parse_int("--condition weeks", weeks, 0, 5200, &w)) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "weeks_ago", json_integer(w));
	}
	return o;
}

/* A list of names on one line, "none" for an empty one. */
static void print_names(const char *label, const json_t *arr)
{
	if (!json_is_array(arr))
		return;
	printf("  %s: ", label);
	chairctl_print_tree(arr, -1);
	putchar('\n');
}

/* The limits a consultation gives, for the person and whoever helps them. */
static void print_limits(const json_t *l)
{
	printf("limits:\n");
	if (json_is_number(json_object_get(l, "cap_n")))
		printf("  force cap: %.1f N\n", chairctl_num(l, "cap_n", 0));
	if (json_is_number(json_object_get(l, "max_pressure_level")))
		printf("  pressure: up to level %.0f of 10%s\n", chairctl_num(l, "max_pressure_level", 0),
		       json_is_false(json_object_get(l, "deep_allowed")) ? ", no deep work" : "");
	print_names("techniques excluded", json_object_get(l, "techniques_excluded"));
	print_names("areas avoided", json_object_get(l, "areas_avoided"));
	const json_t *nd = json_object_get(l, "areas_no_deep");
	if (json_array_size(nd))
		print_names("no deep work on", nd);
	const json_t *na = json_object_get(l, "areas_no_air");
	if (json_array_size(na))
		print_names("no airbags on", na);
	const json_t *heat = json_object_get(l, "heat_allowed");
	if (json_is_boolean(heat)) {
		printf("  heat: %s", json_is_true(heat) ? "allowed" : "not used");
		const json_t *nh = json_object_get(l, "areas_no_heat");
		if (json_is_true(heat) && json_array_size(nh)) {
			printf(" (not on ");
			chairctl_print_tree(nh, -1);
			putchar(')');
		}
		putchar('\n');
	}
	if (json_is_number(json_object_get(l, "max_duration_min")))
		printf("  longest session: %.0f min\n", chairctl_num(l, "max_duration_min", 0));
	const json_t *msgs = json_object_get(l, "messages");
	size_t i;
	const json_t *m;
	json_array_foreach(msgs, i, m)
		printf("  - %s\n", json_string_value(m) ? json_string_value(m) : "");
}

/* consult NAME --condition ID[:AREA[:WEEKS]]... --pain AREA=SCORE... --goal G...
 *   --intensity gentle|normal|firm --duration MIN */
int chairctl_cmd_consult(struct chairctl *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"condition", required_argument, NULL, 'c'},
		{"pain", required_argument, NULL, 'p'},
		{"goal", required_argument, NULL, 'g'},
		{"intensity", required_argument, NULL, 'i'},
		{"duration", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	json_t *conds = json_array(), *pain = json_array(), *goals = json_array();
	const char *intensity = NULL;
	long duration = 0;
	int ch, rc = CHAIRCTL_OK;
	opts_reset();
	while (rc == CHAIRCTL_OK && (ch = next_opt(argc, argv, "", lo)) != -1) {
		json_t *v;
		switch (ch) {
		case 'c':
			if (!(v = parse_condition(optarg)))
				rc = CHAIRCTL_USAGE;
			else
				json_array_append_new(conds, v);
			break;
		case 'p':
			if (!(v = chairctl_parse_pain(optarg)))
				rc = CHAIRCTL_USAGE;
			else
				json_array_append_new(pain, v);
			break;
		case 'g':
			if (goal_lookup(optarg) < 0) {
				fprintf(stderr, "chairctl: --goal %s: expected pain-relief, relaxation, "
						"mobility or recovery\n", optarg);
				rc = CHAIRCTL_USAGE;
			} else {
				json_array_append_new(goals, json_string(optarg));
			}
			break;
		case 'i':
			if (intensity_lookup(optarg) < 0) {
				fprintf(stderr, "chairctl: --intensity %s: expected gentle, normal or firm\n",
					optarg);
				rc = CHAIRCTL_USAGE;
			}
			intensity = optarg;
			break;
		case 'd':
			if (!chairctl_parse_int("--duration", optarg, CONSULT_DURATION_MIN_MIN,
					   CONSULT_DURATION_MAX_MIN, &duration))
				rc = CHAIRCTL_USAGE;
			break;
		default:
			rc = CHAIRCTL_USAGE;
		}
	}
	const char *name = rc == CHAIRCTL_OK ? one_name(argc, argv, "user name") : NULL;
	if (!name) {
		json_decref(conds);
		json_decref(pain);
		json_decref(goals);
		return CHAIRCTL_USAGE;
	}
	json_t *p = json_pack("{s:s, s:o, s:o, s:o}", "user", name, "conditions", conds, "pain",
			      pain, "goals", goals);
	if (intensity)
		json_object_set_new(p, "intensity", json_string(intensity));
	if (duration)
		json_object_set_new(p, "duration_min", json_integer(duration));
	json_t *res;
	if ((rc = chairctl_call(c, "consult.submit", p, &res, CHAIRCTL_CALL_MS)) != CHAIRCTL_OK)
		return rc;
	const json_t *lim = json_object_get(res, "limits");
	lim = json_is_object(lim) ? lim : res;
	if (c->json)
		chairctl_print_result(c, res);
	else
		print_limits(lim);
	if (json_is_true(json_object_get(lim, "see_professional_first"))) {
		const char *who = chairctl_str(lim, "professional");
		printf("see a professional first: %s%s%s\n", *who ? who : "a professional",
		       *chairctl_str(lim, "reason") ? ": " : "", chairctl_str(lim, "reason"));
		rc = CHAIRCTL_REFUSED;
	}
	json_decref(res);
	return rc;
}

/* notify.scan while a scan runs: a line at each tenth of the way. */
static void scan_progress(void *arg, const char *method, json_t *params)
{
	int *last_tenth = arg;
	if (strcmp(method, "notify.scan"))
		return;
	double fraction = chairctl_num(params, "fraction", 0);
	int tenth = (int)floor(fraction * 10.0 + 1e-9);
	if (tenth <= *last_tenth)
		return;
	*last_tenth = tenth;
	printf("scan %3.0f %%", fraction * 100.0);
	if (json_is_number(json_object_get(params, "y_mm")))
		printf("  y %4.0f mm", chairctl_num(params, "y_mm", 0));
	if (json_is_number(json_object_get(params, "force_n")))
		printf("  force %4.1f N", chairctl_num(params, "force_n", 0));
	putchar('\n');
	fflush(stdout);
}

/* The body the scan (or a nudge, or a height) gave: the shoulder line, the height it
 * means, and where the areas begin. */
static void print_body(const struct chairctl *c, const json_t *res)
{
	if (c->json) {
		chairctl_print_result(c, res);
		return;
	}
	printf("shoulder line at %.0f mm", chairctl_num(res, "shoulder_y_mm", 0));
	double adjust = chairctl_num(res, "adjust_mm", 0);
	if (adjust != 0)
		printf(" (nudged %+.0f mm from the scan)", adjust);
	printf("\n");
	if (chairctl_num(res, "height_mm", 0) > 0)
		printf("height about %.0f cm\n", chairctl_num(res, "height_mm", 0) / 10.0);
	if (json_is_number(json_object_get(res, "skin_gap_mm")))
		printf("roller to skin at rest %.0f mm, scan took %.0f s\n",
		       chairctl_num(res, "skin_gap_mm", 0), chairctl_num(res, "duration_s", 0));
	const json_t *lm = json_object_get(res, "landmarks");
	if (json_is_object(lm)) {
		printf("areas from (mm):");
		for (int a = 0; a < AREA_COUNT; a++) {
			const json_t *y = json_object_get(lm, area_name(a));
			if (json_is_number(y))
				printf(" %s %.0f", area_name(a), json_number_value(y));
		}
		printf("\n");
	}
}

/* scan NAME [--adjust MM | --height CM] */
int chairctl_cmd_scan(struct chairctl *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"adjust", required_argument, NULL, 'a'},
		{"height", required_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	long adjust = 0, height = 0;
	bool have_adjust = false;
	int ch;
	opts_reset();
	while ((ch = next_opt(argc, argv, "", lo)) != -1) {
		if (ch == 'a' && chairctl_parse_int("--adjust", optarg, -80, 80, &adjust))
			have_adjust = true;
		else if (!(ch == 'h' && chairctl_parse_int("--height", optarg, 150, 200, &height)))
			return CHAIRCTL_USAGE;
	}
	const char *name = one_name(argc, argv, "user name");
	if (!name)
		return CHAIRCTL_USAGE;
	if (have_adjust && height) {
		fprintf(stderr, "chairctl: scan: --adjust or --height, not both\n");
		return CHAIRCTL_USAGE;
	}
	json_t *res;
	int rc;
	if (have_adjust)
		rc = chairctl_call(c, "scan.adjust",
			      json_pack("{s:s, s:I}", "user", name, "delta_mm", (json_int_t)adjust),
			      &res, CHAIRCTL_CALL_MS);
	else if (height)
		rc = chairctl_call(c, "scan.manual",
			      json_pack("{s:s, s:I}", "user", name, "height_cm", (json_int_t)height),
			      &res, CHAIRCTL_CALL_MS);
	else {
		rc = chairctl_call(c, "subscribe", json_pack("{s:[s]}", "topics", "scan"), NULL,
			      CHAIRCTL_CALL_MS);
		if (rc != CHAIRCTL_OK)
			return rc;
		int last_tenth = -1;
		panel_client_on_notification(c->cl, scan_progress, &last_tenth);
		printf("scanning %s: sit back, the roller travels along the back\n", name);
		fflush(stdout);
		rc = chairctl_call(c, "scan.start", json_pack("{s:s}", "user", name), &res,
			      CHAIRCTL_SLOW_CALL_MS);
		panel_client_on_notification(c->cl, NULL, NULL);
		if (rc == CHAIRCTL_REFUSED)
			fprintf(stderr, "chairctl: retry the scan, or give a height: "
					"chairctl scan %s --height CM\n", name);
	}
	if (rc != CHAIRCTL_OK)
		return rc;
	print_body(c, res);
	json_decref(res);
	return CHAIRCTL_OK;
}

/* plan NAME [--duration MIN]: the program text as the chair will run it, then its summary. */
int chairctl_cmd_plan(struct chairctl *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"duration", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	long duration = 0;
	int ch;
	opts_reset();
	while ((ch = next_opt(argc, argv, "", lo)) != -1)
		if (!(ch == 'd' && chairctl_parse_int("--duration", optarg, CONSULT_DURATION_MIN_MIN,
						  CONSULT_DURATION_MAX_MIN, &duration)))
			return CHAIRCTL_USAGE;
	const char *name = one_name(argc, argv, "user name");
	if (!name)
		return CHAIRCTL_USAGE;
	json_t *p = json_pack("{s:s}", "user", name);
	if (duration)
		json_object_set_new(p, "duration_min", json_integer(duration));
	json_t *res;
	int rc = chairctl_call(c, "plan.propose", p, &res, CHAIRCTL_SLOW_CALL_MS);
	if (rc != CHAIRCTL_OK)
		return rc;
	if (c->json) {
		chairctl_print_result(c, res);
	} else {
		const char *text = chairctl_str(res, "program_text");
		printf("--- the proposed program ---\n%s%s--- summary ---\n", text,
		       *text && text[strlen(text) - 1] != '\n' ? "\n" : "");
		const json_t *sum = json_object_get(res, "summary");
		const json_t *notes = json_object_get(sum, "notes");
		printf("%s\n", json_is_string(sum) ? json_string_value(sum) : chairctl_str(sum, "text"));
		if (json_is_array(json_object_get(sum, "areas_worked"))) {
			printf("areas worked: ");
			chairctl_print_tree(json_object_get(sum, "areas_worked"), -1);
			printf("\ntechniques: ");
			chairctl_print_tree(json_object_get(sum, "techniques"), -1);
			printf("\n");
		}
		if (json_is_number(json_object_get(sum, "peak_pressure_level")))
			printf("highest pressure level %.0f, force cap %.1f N\n",
			       chairctl_num(sum, "peak_pressure_level", 0), chairctl_num(sum, "cap_n", 0));
		size_t i;
		const json_t *n;
		json_array_foreach(notes, i, n)
			printf("note: %s\n", json_string_value(n) ? json_string_value(n) : "");
	}
	json_decref(res);
	return CHAIRCTL_OK;
}

/* info: what chaird says of itself (server.info). */
int chairctl_cmd_info(struct chairctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "chairctl: info takes no arguments\n");
		return CHAIRCTL_USAGE;
	}
	json_t *res;
	int rc = chairctl_call(c, "server.info", NULL, &res, CHAIRCTL_CALL_MS);
	if (rc == CHAIRCTL_OK) {
		chairctl_print_result(c, res);
		json_decref(res);
	}
	return rc;
}

/* faults: the fault log, newest last, and what is latched now (faults.list). */
int chairctl_cmd_faults(struct chairctl *c, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "chairctl: faults takes no arguments\n");
		return CHAIRCTL_USAGE;
	}
	json_t *res;
	int rc = chairctl_call(c, "faults.list", NULL, &res, CHAIRCTL_CALL_MS);
	if (rc != CHAIRCTL_OK)
		return rc;
	if (c->json) {
		chairctl_print_result(c, res);
	} else {
		size_t i;
		const json_t *f;
		json_array_foreach(json_object_get(res, "faults"), i, f)
			printf("%s\n", chairctl_str(f, "text"));
		const char *latched = chairctl_str(res, "latched");
		printf("latched: %s\n", *latched ? latched : "none");
	}
	json_decref(res);
	return CHAIRCTL_OK;
}
