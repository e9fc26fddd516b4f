/* The SVG timeline of a run (see plot.h). The program is run through the real executor on
 * a carriage that follows its targets exactly, sampled every PLOT_SAMPLE_MS. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

#define PLOT_PERIOD_S 0.01
#define PLOT_SAMPLE_MS 100u
#define PLOT_W 1400.0
#define PLOT_H 800.0
#define CHART_X0 240.0
#define CHART_X1 (PLOT_W - 60.0)
#define TRACK_Y0 70.0 /* px of track 0 mm */
#define TRACK_Y1 470.0 /* px of the track's end */
#define LEVEL_Y0 640.0 /* px of level 0 */
#define LEVEL_Y1 510.0 /* px of level 10 */
#define TECH_Y 670.0
#define TECH_H 40.0

struct sample {
	float y_mm;
	float level;  /* 0..10: force as a share of the cap, or depth level */
	uint8_t op;   /* enum plan_op, PLAN_OP_COUNT = none */
	uint16_t phase;
};

static const char *const op_color[PLAN_OP_COUNT] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
	"#ff9da7", "#bab0ac", "#ffffff", "#ffffff", "#ffffff",
};

static double track_px(const struct plan *p, double y_mm)
{
	double span = p->lim.track_max_mm - p->lim.track_min_mm;
	return TRACK_Y0 + (y_mm - p->lim.track_min_mm) / (span > 0 ? span : 1) * (TRACK_Y1 - TRACK_Y0);
}

static double time_px(uint64_t t_ms, uint64_t total_ms)
{
	return CHART_X0 + (double)t_ms / (double)(total_ms ? total_ms : 1) * (CHART_X1 - CHART_X0);
}

/* Text for SVG: escape what XML needs. */
static void put_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out); break;
		}
	}
}

/* Run the plan on an ideal carriage and keep a sample every PLOT_SAMPLE_MS. */
static struct sample *run(const struct plan *p, size_t *count)
{
	size_t cap = p->total_ms / PLOT_SAMPLE_MS + 4;
	struct sample *v = calloc(cap, sizeof(*v));
	if (!v)
		return NULL;
	struct exec e;
	exec_start(&e, p);
	struct exec_feedback fb = {.y_mm = p->start_y_mm, .period_s = PLOT_PERIOD_S};
	struct motion_targets t;
	size_t n = 0;
	uint64_t tick = 0;
	const uint64_t every = (uint64_t)(PLOT_SAMPLE_MS / (PLOT_PERIOD_S * 1000.0));
	while (exec_step(&e, &fb, &t) == EXEC_RUNNING && n < cap) {
		double v_mm_s = t.y_speed_mm_s > 0 ? t.y_speed_mm_s : p->lim.carriage_max_mm_s;
		double dy = t.y_mm - fb.y_mm, max_dy = v_mm_s * PLOT_PERIOD_S;
		fb.y_mm += dy > max_dy ? max_dy : dy < -max_dy ? -max_dy : dy;
		if (tick++ % every != 0)
			continue;
		const struct plan_step *s = &p->steps[e.step];
		struct sample *x = &v[n++];
		x->y_mm = (float)fb.y_mm;
		x->phase = e.phase;
		x->op = s->op;
		if (t.z_mode == Z_FORCE)
			x->level = (float)(t.z_force_n / p->cap_n * 10.0);
		else if (t.z_mode == Z_DEPTH)
			x->level = (float)((t.z_depth_mm - p->body.skin_gap_mm) / p->lim.depth_per_level_mm);
		if (x->level < 0)
			x->level = 0;
	}
	*count = n;
	return v;
}

static void body_outline(FILE *out, const struct plan *p)
{
	const struct body_map *b = &p->body;
	static const char *const band[2] = {"#f4f1ea", "#e9e4d8"};
	fprintf(out, "<g font-size=\"11\">\n");
	for (int z = 0; z < BODY_ZONE_COUNT; z++) {
		double y0 = track_px(p, b->span_start_mm[z]), y1 = track_px(p, b->span_end_mm[z]);
		fprintf(out, "<rect x=\"10\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n",
			y0, CHART_X1 - 10, y1 - y0, band[z % 2]);
		fprintf(out, "<text x=\"14\" y=\"%.1f\" fill=\"#555\">%s</text>\n", (y0 + y1) / 2 + 4,
			body_landmark_name((enum body_landmark)z));
	}
	/* A seated person, back against the track, seen from the side. */
	double head = track_px(p, b->span_start_mm[BODY_NECK]);
	double sh = track_px(p, b->shoulder_y_mm), seat = track_px(p, b->seat_y_mm);
	double knee = track_px(p, p->lim.track_max_mm);
	fprintf(out, "<circle cx=\"150\" cy=\"%.1f\" r=\"18\" fill=\"none\" stroke=\"#333\" stroke-width=\"2\"/>\n",
		head - 14);
	fprintf(out,
		"<path d=\"M150 %.1f L150 %.1f M120 %.1f Q150 %.1f 180 %.1f L180 %.1f Q150 %.1f 120 %.1f Z M120 %.1f L180 %.1f L180 %.1f L120 %.1f Z\" "
		"fill=\"#d9cfc0\" fill-opacity=\"0.6\" stroke=\"#333\" stroke-width=\"2\"/>\n",
		head + 4, sh, sh, sh - 12, sh, seat, seat + 12, seat, seat, seat, knee, knee);
	/* The spine, vertebra by vertebra. */
	for (int v = BODY_C7; v <= BODY_L5; v++) {
		double y = track_px(p, b->y_mm[v]);
		fprintf(out, "<line x1=\"176\" x2=\"190\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#777\"/>\n", y, y);
		if (v == BODY_C7 || v == BODY_T4 || v == BODY_T8 || v == BODY_T12 || v == BODY_L3 ||
		    v == BODY_L5)
			fprintf(out, "<text x=\"194\" y=\"%.1f\" font-size=\"9\" fill=\"#555\">%s</text>\n",
				y + 3, body_landmark_name((enum body_landmark)v));
	}
	fprintf(out, "</g>\n");
}

static void phases(FILE *out, const struct plan *p, const struct sample *v, size_t n,
		   uint64_t total_ms)
{
	size_t start = 0;
	int shade = 0;
	fprintf(out, "<g font-size=\"12\">\n");
	for (size_t i = 1; i <= n; i++) {
		if (i < n && v[i].phase == v[start].phase)
			continue;
		double x0 = time_px(start * PLOT_SAMPLE_MS, total_ms);
		double x1 = time_px(i * PLOT_SAMPLE_MS, total_ms);
		if (shade++ % 2)
			fprintf(out,
				"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#000\" fill-opacity=\"0.04\"/>\n",
				x0, TRACK_Y0 - 30, x1 - x0, TECH_Y + TECH_H - TRACK_Y0 + 30);
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>\n",
			x0, x0, TRACK_Y0 - 30, TECH_Y + TECH_H);
		const char *name = v[start].phase < p->phase_count ? p->phase_names[v[start].phase] : "";
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#222\">", x0 + 4, TRACK_Y0 - 14);
		put_text(out, name);
		fprintf(out, "</text>\n");
		start = i;
	}
	fprintf(out, "</g>\n");
}

static void polyline(FILE *out, const struct sample *v, size_t n, uint64_t total_ms,
		     const struct plan *p, bool level, const char *color)
{
	fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" points=\"", color);
	for (size_t i = 0; i < n; i++) {
		double x = time_px(i * PLOT_SAMPLE_MS, total_ms);
		double y = level ? LEVEL_Y0 + (LEVEL_Y1 - LEVEL_Y0) * v[i].level / 10.0
				 : track_px(p, v[i].y_mm);
		fprintf(out, "%.1f,%.1f ", x, y);
	}
	fprintf(out, "\"/>\n");
}

static void techniques(FILE *out, const struct sample *v, size_t n, uint64_t total_ms)
{
	size_t start = 0;
	fprintf(out, "<g font-size=\"11\">\n");
	for (size_t i = 1; i <= n; i++) {
		if (i < n && v[i].op == v[start].op)
			continue;
		double x0 = time_px(start * PLOT_SAMPLE_MS, total_ms);
		double x1 = time_px(i * PLOT_SAMPLE_MS, total_ms);
		enum plan_op op = (enum plan_op)v[start].op;
		if (op < PLAN_OP_COUNT && plan_op_timed(op)) {
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"#fff\"/>\n",
				x0, TECH_Y, x1 - x0, TECH_H, op_color[op]);
			if (x1 - x0 > 7.0 * strlen(plan_op_name(op)))
				fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#fff\">%s</text>\n", x0 + 3,
					TECH_Y + TECH_H / 2 + 4, plan_op_name(op));
		}
		start = i;
	}
	fprintf(out, "</g>\n");
}

static void axes(FILE *out, const struct plan *p, uint64_t total_ms)
{
	fprintf(out, "<g font-size=\"11\" fill=\"#333\">\n");
	/* time: a tick a minute (or every 10 s for short programs) */
	uint64_t step_ms = total_ms > 5 * 60000 ? 60000 : 10000;
	for (uint64_t t = 0; t <= total_ms; t += step_ms) {
		double x = time_px(t, total_ms);
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x, x,
			TECH_Y + TECH_H + 4, TECH_Y + TECH_H + 10);
		char label[32];
		plan_format_ms(t, label, sizeof(label));
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
			TECH_Y + TECH_H + 24, label);
	}
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time</text>\n",
		(CHART_X0 + CHART_X1) / 2, TECH_Y + TECH_H + 42);
	/* track mm on the left of the chart */
	for (int mm = 0; mm <= (int)p->lim.track_max_mm; mm += 200) {
		double y = track_px(p, mm);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\">%d mm</text>\n",
			CHART_X1 + 4, y + 3, mm);
	}
	/* levels */
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" stroke=\"#ccc\"/>\n",
		CHART_X0, LEVEL_Y1, CHART_X1 - CHART_X0, LEVEL_Y0 - LEVEL_Y1);
	for (int l = 0; l <= 10; l += 5) {
		double y = LEVEL_Y0 + (LEVEL_Y1 - LEVEL_Y0) * l / 10.0;
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", CHART_X0 - 4,
			y + 4, l);
	}
	fprintf(out, "<text x=\"20\" y=\"%.1f\">pressure level</text>\n", (LEVEL_Y0 + LEVEL_Y1) / 2);
	fprintf(out, "<text x=\"20\" y=\"%.1f\">technique</text>\n", TECH_Y + TECH_H / 2 + 4);
	fprintf(out, "</g>\n");
}

int interp_plot_svg(const struct plan *p, FILE *out)
{
	size_t n = 0;
	struct sample *v = run(p, &n);
	if (!v)
		return -ENOMEM;
	uint64_t total_ms = n * PLOT_SAMPLE_MS;
	char total[32];
	plan_format_ms(p->total_ms, total, sizeof(total));
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		     "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n",
		PLOT_W, PLOT_H, PLOT_W, PLOT_H);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
	fprintf(out, "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">");
	put_text(out, p->name);
	fprintf(out, "</text>\n<text x=\"10\" y=\"40\" font-size=\"12\" fill=\"#444\">%s, "
		     "%.0f cm person (shoulder line at %.0f mm), pressure level 10 = %.0f N; "
		     "carriage position (blue) along the body, pressure level (red)</text>\n",
		total, p->body.height_mm / 10.0, p->body.shoulder_y_mm, p->cap_n);
	body_outline(out, p);
	phases(out, p, v, n, total_ms);
	axes(out, p, total_ms);
	polyline(out, v, n, total_ms, p, false, "#1f5fa8");
	polyline(out, v, n, total_ms, p, true, "#c0392b");
	techniques(out, v, n, total_ms);
	fprintf(out, "</svg>\n");
	free(v);
	return ferror(out) ? -EIO : 0;
}
