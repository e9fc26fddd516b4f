/* The record as one standalone HTML page: no script and nothing fetched (a therapist may open
 * it anywhere, or print it), the chart as inline SVG, every text of the document escaped. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "history.h"
#include "report_doc_priv.h"
#include "vocab.h"

void report_doc_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (((unsigned char)*s >= 0x20 && *s != 0x7f) || *s == '\t' || *s == '\n')
				fputc(*s, f);
		}
	}
}

/* Short names for what follows. */
#define esc report_doc_html_text
static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<style>\n"
	"@page { size: A4; margin: 15mm }\n"
	"body { font: 10pt/1.4 sans-serif; color: #111; max-width: 180mm; margin: 1em auto; }\n"
	"h1 { font-size: 16pt; margin: 0 0 .3em } h2 { font-size: 12pt; margin: 1.2em 0 .4em }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { border: 1px solid #999; padding: 2px 5px; text-align: left; vertical-align: top }\n"
	"th { background: #eee } td.n { text-align: right }\n"
	"figure { margin: .6em 0 } figcaption { font-weight: bold }\n"
	"svg { width: 100%; height: auto; max-width: 170mm }\n"
	".meaningful { font-weight: bold } .note { color: #444; font-size: 9pt }\n"
	"@media print {\n"
	"  body { max-width: none; margin: 0 }\n"
	"  h2 { break-after: avoid } tr, figure, svg { break-inside: avoid }\n"
	"  th { background: none }\n"
	"}\n"
	"</style>\n";

/* A list of JSON strings joined by ", ", or none_text when there is none. */
static void html_list(FILE *f, const json_t *arr, const char *none_text)
{
	size_t i;
	const json_t *e;
	if (json_array_size(arr) == 0)
		fputs(none_text, f);
	json_array_foreach(arr, i, e) {
		if (i)
			fputs(", ", f);
		esc(f, json_string_value(e));
	}
}

/* The conditions said at the consultation: "injury (shoulders, 3 weeks ago)". */
static void html_conditions(FILE *f, const json_t *conds)
{
	size_t i;
	const json_t *c;
	if (json_array_size(conds) == 0)
		fputs("none said", f);
	json_array_foreach(conds, i, c) {
		if (i)
			fputs(", ", f);
		if (json_is_string(c)) {
			esc(f, json_string_value(c));
			continue;
		}
		esc(f, str(c, "id"));
		const json_t *weeks = json_object_get(c, "weeks_ago");
		if (str(c, "area") || json_is_integer(weeks)) {
			fputs(" (", f);
			esc(f, str(c, "area") ? str(c, "area") : "");
			if (json_is_integer(weeks))
				fprintf(f, "%s%lld week%s ago", str(c, "area") ? ", " : "",
					(long long)json_integer_value(weeks),
					json_integer_value(weeks) == 1 ? "" : "s");
			fputc(')', f);
		}
	}
}

/* The consultation's limits as a table of what the chair was allowed to do. */
static void html_limits(FILE *f, const json_t *lim)
{
	fputs("<h2>Consultation: what the chair may do</h2>\n", f);
	if (!json_is_object(lim)) {
		fputs("<p>No consultation recorded.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>Conditions said</th><td>", f);
	html_conditions(f, json_object_get(lim, "conditions"));
	fputs("</td></tr>\n<tr><th>Force cap</th><td>", f);
	double cap = report_doc_num(lim, "cap_n", NAN);
	if (isfinite(cap))
		fprintf(f, "%.1f N", cap);
	fputs("</td></tr>\n<tr><th>Highest pressure level</th><td>", f);
	const json_t *lvl = json_object_get(lim, "max_pressure_level");
	if (json_is_integer(lvl))
		fprintf(f, "%lld of 10", (long long)json_integer_value(lvl));
	fputs("</td></tr>\n<tr><th>Techniques excluded</th><td>", f);
	html_list(f, json_object_get(lim, "techniques_excluded"), "none");
	fputs("</td></tr>\n<tr><th>Areas avoided</th><td>", f);
	html_list(f, json_object_get(lim, "areas_avoided"), "none");
	fputs("</td></tr>\n<tr><th>Heat</th><td>", f);
	const json_t *heat = json_object_get(lim, "heat_allowed");
	fputs(!json_is_boolean(heat) ? "" : json_is_true(heat) ? "allowed" : "not used", f);
	fputs("</td></tr>\n</table>\n", f);
	if (json_is_true(json_object_get(lim, "see_professional_first"))) {
		fputs("<p class=\"meaningful\">The chair did not go ahead: see a ", f);
		esc(f, str(lim, "professional") ? str(lim, "professional") : "professional");
		fputs(" first", f);
		if (str(lim, "reason")) {
			fputs(" (", f);
			esc(f, str(lim, "reason"));
			fputc(')', f);
		}
		fputs(".</p>\n", f);
	}
	const json_t *msgs = json_object_get(lim, "messages");
	size_t i;
	const json_t *m;
	if (json_array_size(msgs))
		fputs("<p>What the person was told:</p>\n<ul>\n", f);
	json_array_foreach(msgs, i, m) {
		fputs("<li>", f);
		esc(f, json_string_value(m));
		fputs("</li>\n", f);
	}
	if (json_array_size(msgs))
		fputs("</ul>\n", f);
}

/* The areas worked over all sessions: in how many sessions, and for how many minutes. */
static void html_areas(FILE *f, const json_t *sessions)
{
	int count[AREA_COUNT] = {0};
	double minutes[AREA_COUNT] = {0};
	bool any = false;
	size_t i, j;
	const json_t *s, *a;
	json_array_foreach(sessions, i, s) {
		json_array_foreach(json_object_get(s, "areas_worked"), j, a) {
			int area = area_lookup(json_string_value(a));
			if (area >= 0) {
				count[area]++;
				any = true;
			}
		}
		const char *k;
		json_object_foreach(json_object_get(s, "minutes_by_zone"), k, a) {
			int area = area_lookup(k);
			if (area >= 0) {
				minutes[area] += json_number_value(a);
				any = true;
			}
		}
	}
	fputs("<h2>Body areas worked</h2>\n", f);
	if (!any) {
		fputs("<p>None yet.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>Area</th><th>Sessions</th><th>Minutes in all</th></tr>\n", f);
	for (int area = 0; area < AREA_COUNT; area++)
		if (count[area] || minutes[area] > 0)
			fprintf(f, "<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%.1f</td></tr>\n",
				area_name(area), count[area], minutes[area]);
	fputs("</table>\n", f);
}

/* One session's feedback counts: "softer 2, too_much 1", or "none". */
static void html_feedback(FILE *f, const json_t *fb)
{
	const char *k;
	const json_t *v;
	bool first = true;
	json_object_foreach((json_t *)fb, k, v) {
		if (json_number_value(v) <= 0)
			continue;
		fprintf(f, "%s", first ? "" : ", ");
		esc(f, k);
		fprintf(f, " %g", json_number_value(v));
		first = false;
	}
	if (first)
		fputs("none", f);
}

/* A score, or a dash when not given. */
static void html_score(FILE *f, const json_t *v)
{
	if (json_is_number(v))
		fprintf(f, "%g", json_number_value(v));
	else
		fputs("&ndash;", f);
}

/* The table of sessions, oldest first. */
static void html_sessions(FILE *f, const json_t *sessions)
{
	fputs("<h2>Sessions</h2>\n", f);
	if (json_array_size(sessions) == 0) {
		fputs("<p>No sessions yet.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>#</th><th>Date (UTC)</th><th>Min</th><th>Program</th>"
	      "<th>Ended</th><th>Pain before &rarr; after</th><th>Peak force</th>"
	      "<th>Feedback</th></tr>\n",
	      f);
	size_t i, j;
	const json_t *s, *p;
	json_array_foreach(sessions, i, s) {
		char date[32];
		report_doc_iso_time(report_doc_num(s, "start_s", NAN), date, sizeof(date));
		if (strlen(date) > 16) {
			date[10] = ' ';
			date[16] = '\0'; /* minutes are enough to read */
		}
		fprintf(f, "<tr><td class=\"n\">%zu</td><td>%s</td><td class=\"n\">", i + 1, date);
		double d = report_doc_duration_s(s);
		if (d >= 0)
			fprintf(f, "%.1f", d / 60.0);
		fputs("</td><td>", f);
		esc(f, str(s, "program"));
		fputs("</td><td>", f);
		esc(f, str(s, "ended"));
		fputs("</td><td>", f);
		json_array_foreach(json_object_get(s, "pain"), j, p) {
			fputs(j ? "<br>" : "", f);
			esc(f, str(p, "area"));
			fputc(' ', f);
			html_score(f, json_object_get(p, "before"));
			fputs(" &rarr; ", f);
			html_score(f, json_object_get(p, "after"));
		}
		fputs("</td><td class=\"n\">", f);
		double peak = report_doc_num(s, "peak_force_n", NAN);
		if (isfinite(peak))
			fprintf(f, "%.1f N", peak);
		fputs("</td><td>", f);
		html_feedback(f, json_object_get(s, "feedback"));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* The chart's frame, in SVG user units (the viewBox; it scales to the page). */
#define CH_W 600.0
#define CH_H 230.0
#define CH_LEFT 52.0
#define CH_RIGHT 16.0
#define CH_TOP 26.0
#define CH_BOTTOM 50.0

static double chart_y(double score)
{
	return CH_TOP + (CH_H - CH_TOP - CH_BOTTOM) * (1.0 - score / 10.0);
}

static double chart_x(size_t i, size_t n)
{
	return CH_LEFT + (CH_W - CH_LEFT - CH_RIGHT) * ((double)i + 0.5) / (double)n;
}

/* The axes: pain 0..10 up the left with its label, the sessions along the bottom. */
static void chart_axes(FILE *f, const json_t *points)
{
	size_t n = json_array_size(points);
	fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#000\"/>\n",
		CH_LEFT, chart_y(0), CH_W - CH_RIGHT, chart_y(0));
	fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#000\"/>\n",
		CH_LEFT, chart_y(0), CH_LEFT, chart_y(10));
	for (int s = 0; s <= 10; s += 2)
		fprintf(f,
			"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			"<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n",
			CH_LEFT + 1, chart_y(s), CH_W - CH_RIGHT, chart_y(s), CH_LEFT - 5,
			chart_y(s) + 4, s);
	fprintf(f,
		"<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.1f)\">"
		"pain (0&#8211;10)</text>\n",
		chart_y(5), chart_y(5));
	/* Every label while they fit, every k-th past a dozen sessions. */
	size_t step = n > 12 ? (n + 11) / 12 : 1;
	size_t i;
	const json_t *p;
	json_array_foreach(points, i, p) {
		if (i % step)
			continue;
		char date[32];
		report_doc_iso_time(report_doc_num(p, "start_s", NAN), date, sizeof(date));
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">#%zu</text>", chart_x(i, n),
			chart_y(0) + 14, i + 1);
		if (strlen(date) >= 10)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\">%.5s</text>",
				chart_x(i, n), chart_y(0) + 25, date + 5);
		fputc('\n', f);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">session (date, UTC)</text>\n",
		(CH_LEFT + CH_W - CH_RIGHT) / 2, CH_H - 6);
}

/* One area's chart: before as open circles, after as filled squares joined by a line, each
 * session's before and after joined, and the line 30 % below the first score dashed. */
static void html_chart(FILE *f, const json_t *t)
{
	const json_t *points = json_object_get(t, "points");
	size_t n = json_array_size(points);
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		"font-family=\"sans-serif\" font-size=\"11\" aria-label=\"pain before and after each "
		"session, %s\">\n",
		CH_W, CH_H, str(t, "area"));
	chart_axes(f, points);
	const json_t *fb = json_object_get(t, "first_before");
	if (json_is_number(fb) && json_number_value(fb) > 0) {
		double y = chart_y(json_number_value(fb) * (1.0 - HISTORY_MEANINGFUL_PCT / 100.0));
		fprintf(f,
			"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#c01c28\" "
			"stroke-dasharray=\"6 4\"/><text x=\"%.0f\" y=\"%.1f\" fill=\"#c01c28\" "
			"font-size=\"10\">30 %% below the first score: the meaningful change</text>\n",
			CH_LEFT, y, CH_W - CH_RIGHT, y, CH_LEFT + 6, y - 4);
	}
	size_t i;
	const json_t *p;
	fputs("<polyline fill=\"none\" stroke=\"#1a5fb4\" stroke-width=\"1.5\" points=\"", f);
	json_array_foreach(points, i, p)
		if (json_is_number(json_object_get(p, "after")))
			fprintf(f, "%.1f,%.1f ", chart_x(i, n),
				chart_y(json_number_value(json_object_get(p, "after"))));
	fputs("\"/>\n", f);
	json_array_foreach(points, i, p) {
		const json_t *b = json_object_get(p, "before"), *a = json_object_get(p, "after");
		double x = chart_x(i, n);
		if (json_is_number(b) && json_is_number(a))
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>",
				x, chart_y(json_number_value(b)), x, chart_y(json_number_value(a)));
		if (json_is_number(b))
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#fff\" stroke=\"#444\" "
				   "stroke-width=\"1.5\"/>",
				x, chart_y(json_number_value(b)));
		if (json_is_number(a))
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" fill=\"#1a5fb4\"/>",
				x - 4, chart_y(json_number_value(a)) - 4);
		fputc('\n', f);
	}
	fprintf(f,
		"<circle cx=\"%.0f\" cy=\"12\" r=\"4\" fill=\"#fff\" stroke=\"#444\" stroke-width=\"1.5\"/>"
		"<text x=\"%.0f\" y=\"16\">before</text>"
		"<rect x=\"%.0f\" y=\"8\" width=\"8\" height=\"8\" fill=\"#1a5fb4\"/>"
		"<text x=\"%.0f\" y=\"16\">after</text>\n</svg>\n",
		CH_W - 150, CH_W - 142, CH_W - 80, CH_W - 68);
}

/* The trend: a table of the change per area, then each area's chart. */
static void html_trend(FILE *f, const json_t *trend)
{
	fputs("<h2>Pain trend</h2>\n", f);
	if (json_array_size(trend) == 0) {
		fputs("<p>No pain scores recorded yet.</p>\n", f);
		return;
	}
	fputs("<table>\n<tr><th>Area</th><th>Sessions scored</th><th>First before</th>"
	      "<th>Last after</th><th>Change</th><th>Meaningful (&ge; 30 %)</th></tr>\n",
	      f);
	size_t i;
	const json_t *t;
	json_array_foreach(trend, i, t) {
		bool meaningful = json_is_true(json_object_get(t, "meaningful"));
		fprintf(f, "<tr%s><td>", meaningful ? " class=\"meaningful\"" : "");
		esc(f, str(t, "area"));
		fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">",
			json_array_size(json_object_get(t, "points")));
		html_score(f, json_object_get(t, "first_before"));
		fputs("</td><td class=\"n\">", f);
		html_score(f, json_object_get(t, "last_after"));
		fputs("</td><td class=\"n\">", f);
		const json_t *pct = json_object_get(t, "change_pct");
		if (json_is_number(pct))
			fprintf(f, "%.0f %% %s", fabs(json_number_value(pct)),
				json_number_value(pct) >= 0 ? "less pain" : "more pain");
		else
			fputs("&ndash;", f);
		fprintf(f, "</td><td>%s</td></tr>\n", meaningful ? "yes" : "no");
	}
	fputs("</table>\n", f);
	json_array_foreach(trend, i, t) {
		fputs("<figure>\n<figcaption>", f);
		esc(f, str(t, "area"));
		fputs("</figcaption>\n", f);
		html_chart(f, t);
		fputs("</figure>\n", f);
	}
}

void report_doc_html(FILE *f, const json_t *history, const json_t *trend)
{
	const json_t *user = json_object_get(history, "user");
	const json_t *sessions = json_object_get(history, "sessions");
	const char *name = str(user, "name") ? str(user, "name") : "";
	fputs(page_head, f);
	fputs("<title>Massage record: ", f);
	esc(f, name);
	fputs("</title>\n</head>\n<body>\n<h1>Massage record: ", f);
	esc(f, name);
	fputs("</h1>\n<p>", f);
	double height = report_doc_num(user, "height_cm", 0);
	if (height > 0)
		fprintf(f, "Height %.0f cm. ", height);
	size_t n = json_array_size(sessions);
	fprintf(f, "%zu session%s", n, n == 1 ? "" : "s");
	if (n) {
		char first[32], last[32];
		report_doc_iso_time(report_doc_num(json_array_get(sessions, 0), "start_s", NAN), first,
				    sizeof(first));
		report_doc_iso_time(report_doc_num(json_array_get(sessions, n - 1), "start_s", NAN),
				    last, sizeof(last));
		fprintf(f, ", %.10s to %.10s", first, last);
	}
	fputs(".</p>\n", f);
	html_limits(f, json_object_get(history, "limits"));
	html_areas(f, sessions);
	html_sessions(f, sessions);
	html_trend(f, trend);
	fputs("<p class=\"note\">Pain scores are the person's own, 0 (none) to 10 (the worst "
	      "imaginable), said before and after each session. The change is from the first score "
	      "before to the last score after; a drop of 30 % or more is marked as the clinically "
	      "meaningful change. This record describes massage sessions; it makes no diagnosis.</p>\n"
	      "</body>\n</html>\n",
	      f);
}
