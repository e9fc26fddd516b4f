/* `chairctl program check FILE... [--json]` and `chairctl program plot FILE -o OUT.svg`.
 * Errors and warnings go to stderr as FILE:LINE:COL lines; summaries to stdout. */
#include "program_cli.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "plot.h"
#include "summary.h"
#include "words.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: chairctl program check FILE... [--json]\n"
		   "       chairctl program plot FILE -o OUT.svg [--height CM]\n"
		   "       chairctl program run FILE [--seed N] [--config FILE] [--cap N]\n");
}

/* Load one file; diagnostics printed (text mode) or kept in d (JSON). */
static int load(const char *path, const struct interp_limits *lim, struct interp_diags *d,
		struct plan **compiled)
{
	interp_diags_init(d, path);
	return interp_load_file(path, lim, d, compiled);
}

static void print_summary(const struct plan *p, const struct interp_summary *s)
{
	char a[32], b[32], c[32];
	printf("%s: ok\n", p->name);
	if (p->description[0])
		printf("  description: %s\n", p->description);
	if (p->tags[0]) {
		printf("  tags:        ");
		for (const char *t = p->tags; *t; t++)
			if (*t == ',')
				fputs(", ", stdout);
			else
				putchar(*t);
		printf("\n");
	}
	printf("  level:       %s\n", interp_level_name[p->level]);
	plan_format_ms(s->total_ms, a, sizeof(a));
	plan_format_ms(s->shortest_ms, b, sizeof(b));
	plan_format_ms(s->longest_ms, c, sizeof(c));
	printf("  duration:    %s (%s to %s over the bodies the chair supports)\n", a, b, c);
	printf("  phases:     ");
	int shown = 0;
	for (uint32_t i = 0; i < s->phase_count; i++) {
		if (i == 0 && s->phase[0].ms == 0)
			continue;
		plan_format_ms(s->phase[i].ms, a, sizeof(a));
		printf("%s %s %s", shown++ ? "," : "", i == 0 ? "(before any phase)" : s->phase[i].name, a);
	}
	printf("%s\n", shown ? "" : " none");
	printf("  zones:      ");
	shown = 0;
	for (int z = 0; z < BODY_ZONE_COUNT; z++)
		if (s->zones & (1u << z))
			printf("%s %s", shown++ ? "," : "", body_landmark_name((enum body_landmark)z));
	printf("%s\n", shown ? "" : " none");
	if (s->peak_pressure)
		printf("  peak level:  pressure %d%s", s->peak_pressure, s->peak_depth ? "" : "\n");
	if (s->peak_depth)
		printf("%sdepth %d\n", s->peak_pressure ? ", " : "  peak level:  ", s->peak_depth);
	if (!s->peak_pressure && !s->peak_depth)
		printf("  peak level:  none (rollers never touch)\n");
	printf("  techniques: ");
	shown = 0;
	for (int op = 0; op <= PLAN_PAUSE; op++)
		if (s->techniques & (1u << op))
			printf("%s %s", shown++ ? "," : "", plan_op_name((enum plan_op)op));
	if (s->air)
		printf("%s air", shown++ ? "," : "");
	if (s->heat)
		printf("%s heat", shown++ ? "," : "");
	if (s->recline)
		printf("%s recline", shown++ ? "," : "");
	printf("\n");
}

static json_t *diags_json(const struct interp_diags *d)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < d->count; i++) {
		const struct interp_diag *g = &d->item[i];
		json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", d->file, "line",
						   (int)g->loc.line, "col", (int)g->loc.col, "severity",
						   g->severity == INTERP_ERROR ? "error" : "warning",
						   "message", g->msg));
	}
	return a;
}

static json_t *summary_json(const struct plan *p, const struct interp_summary *s)
{
	json_t *phases = json_array(), *zones = json_array(), *tech = json_array(), *tags = json_array();
	for (uint32_t i = 0; i < s->phase_count; i++)
		if (i > 0 || s->phase[0].ms > 0)
			json_array_append_new(phases, json_pack("{s:s, s:I}", "name", s->phase[i].name,
								"duration_ms", (json_int_t)s->phase[i].ms));
	for (int z = 0; z < BODY_ZONE_COUNT; z++)
		if (s->zones & (1u << z))
			json_array_append_new(zones, json_pack("{s:s, s:I}", "zone",
							       body_landmark_name((enum body_landmark)z),
							       "work_ms", (json_int_t)s->zone_ms[z]));
	for (int op = 0; op <= PLAN_PAUSE; op++)
		if (s->techniques & (1u << op))
			json_array_append_new(tech, json_string(plan_op_name((enum plan_op)op)));
	if (s->air)
		json_array_append_new(tech, json_string("air"));
	if (s->heat)
		json_array_append_new(tech, json_string("heat"));
	if (s->recline)
		json_array_append_new(tech, json_string("recline"));
	const char *t = p->tags;
	while (*t) {
		const char *comma = strchr(t, ',');
		size_t n = comma ? (size_t)(comma - t) : strlen(t);
		json_array_append_new(tags, json_stringn(t, n));
		t += n + (comma ? 1 : 0);
	}
	return json_pack("{s:s, s:s, s:o, s:s, s:I, s:I, s:I, s:o, s:o, s:i, s:i, s:o}", "name",
			 p->name, "description", p->description, "tags", tags, "level",
			 interp_level_name[p->level], "duration_ms", (json_int_t)s->total_ms,
			 "duration_min_ms", (json_int_t)s->shortest_ms, "duration_max_ms",
			 (json_int_t)s->longest_ms, "phases", phases, "zones", zones,
			 "peak_pressure_level", s->peak_pressure, "peak_depth_level", s->peak_depth,
			 "techniques", tech);
}

static int check(int argc, char **argv)
{
	bool json = false;
	int files = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "chairctl program check: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else
			files++;
	}
	if (files == 0) {
		usage(stderr);
		return 2;
	}
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct interp_diags *d = malloc(sizeof(*d));
	if (!d)
		return 1;
	json_t *all = json ? json_array() : NULL;
	int failed = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			continue;
		struct plan *p = NULL;
		int rc = load(argv[i], &lim, d, &p);
		struct interp_summary s;
		if (rc == 0)
			rc = interp_summarize(p, &lim, &s);
		if (rc != 0)
			failed = 1;
		if (json) {
			json_t *o = json_pack("{s:s, s:b, s:o}", "file", argv[i], "ok", rc == 0,
					      "diagnostics", diags_json(d));
			if (rc == 0)
				json_object_set_new(o, "summary", summary_json(p, &s));
			json_array_append_new(all, o);
		} else {
			interp_diags_print(d, stderr);
			if (rc == 0)
				print_summary(p, &s);
			else if (rc == -ENOMEM)
				fprintf(stderr, "%s: out of memory\n", argv[i]);
		}
		plan_free(p);
	}
	if (json) {
		json_t *top = json_pack("{s:b, s:o}", "ok", !failed, "programs", all);
		char *text = json_dumps(top, JSON_INDENT(2));
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(top);
	}
	free(d);
	return failed;
}

static int plot(int argc, char **argv)
{
	const char *in = NULL, *out_path = NULL;
	double height_cm = BODY_DEFAULT_HEIGHT_MM / 10.0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out_path = argv[++i];
		else if (strcmp(argv[i], "--height") == 0 && i + 1 < argc)
			height_cm = atof(argv[++i]);
		else if (!in && argv[i][0] != '-')
			in = argv[i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!in || !out_path) {
		usage(stderr);
		return 2;
	}
	struct interp_limits lim;
	interp_limits_default(&lim);
	struct body_map body;
	if (body_from_height(&body, height_cm * 10.0, &lim) != 0) {
		fprintf(stderr, "chairctl program plot: height %.0f cm is outside %.0f to %.0f cm\n",
			height_cm, lim.body_height_min_mm / 10.0, lim.body_height_max_mm / 10.0);
		return 2;
	}
	struct interp_diags *d = malloc(sizeof(*d));
	if (!d)
		return 1;
	struct plan *compiled = NULL, *p = NULL;
	int rc = load(in, &lim, d, &compiled);
	interp_diags_print(d, stderr);
	free(d);
	if (rc != 0)
		return 1;
	char err[256];
	rc = plan_resolve(compiled, &body, lim.force_max_n, lim.track_min_mm, &p, err, sizeof(err));
	plan_free(compiled);
	if (rc != 0) {
		fprintf(stderr, "%s:%s\n", in, err);
		return 1;
	}
	FILE *f = fopen(out_path, "w");
	if (!f) {
		fprintf(stderr, "chairctl program plot: cannot write %s: %s\n", out_path, strerror(errno));
		plan_free(p);
		return 1;
	}
	rc = interp_plot_svg(p, f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	plan_free(p);
	if (rc != 0) {
		fprintf(stderr, "chairctl program plot: writing %s failed: %s\n", out_path, strerror(-rc));
		return 1;
	}
	return 0;
}

int program_cli_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "check") == 0)
		return check(argc, argv);
	if (strcmp(argv[1], "plot") == 0)
		return plot(argc, argv);
	if (strcmp(argv[1], "run") == 0) {
		fprintf(stderr, "chairctl program run: runs in chairctl itself (the lockstep controller)\n");
		return 2;
	}
	fprintf(stderr, "chairctl program: unknown action '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
