/* The record for a therapist: the CSV has one row per session and area with RFC 4180
 * quoting, the HTML page is standalone (no script, nothing fetched), escapes every text of the
 * document, carries the limits, the areas, the sessions and the trend as inline SVG, prints
 * on A4, and both cope with an empty history and missing scores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../controller/session/report_doc.h"

/* Two sessions of ana: the first with two areas scored, the second stopped early with the
 * pain after not given for one area. 1796000000 is 2026-11-30T00:53:20Z. */
static const char ana_doc[] =
	"{\"user\": {\"name\": \"ana\", \"height_cm\": 168},"
	" \"limits\": {\"cap_n\": 40.0, \"max_pressure_level\": 6, \"techniques_excluded\": [\"tap\"],"
	"  \"areas_avoided\": [\"shoulders\"], \"heat_allowed\": true,"
	"  \"messages\": [\"Gentle pressure only & no tapping.\"],"
	"  \"conditions\": [\"fibromyalgia\", {\"id\": \"injury\", \"area\": \"shoulders\", \"weeks_ago\": 3}]},"
	" \"sessions\": ["
	"  {\"session_id\": 3, \"start_s\": 1796000000.0, \"end_s\": 1796000900.0, \"duration_s\": 900.0,"
	"   \"program\": \"Plan for lower back\", \"ended\": \"completed\", \"peak_force_n\": 31.5,"
	"   \"areas_worked\": [\"lower-back\", \"mid-back\"], \"minutes_by_zone\": {\"lower-back\": 8.5, \"mid-back\": 4.0},"
	"   \"minutes_by_technique\": {\"knead\": 6.0}, \"feedback\": {\"stronger\": 1, \"softer\": 2, \"too_much\": 1, \"stay\": 2, \"skip\": 1},"
	"   \"pain\": [{\"area\": \"lower-back\", \"before\": 6, \"after\": 3}, {\"area\": \"mid-back\", \"before\": 4, \"after\": 4}]},"
	"  {\"session_id\": 5, \"start_s\": 1796086400.0, \"end_s\": 1796086700.0,"
	"   \"program\": \"Plan, \\\"short\\\"\", \"ended\": \"stopped\", \"peak_force_n\": 20.0,"
	"   \"areas_worked\": [\"lower-back\"], \"feedback\": {},"
	"   \"pain\": [{\"area\": \"lower-back\", \"before\": 5, \"after\": 2}, {\"area\": \"mid-back\", \"before\": 4, \"after\": null}]}"
	" ]}";

/* Renders a document given as JSON text; asserts it renders. */
static char *render(const char *doc, enum report_format fmt, size_t *len)
{
	json_error_t jerr;
	json_t *h = json_loads(doc, JSON_REJECT_DUPLICATES, &jerr);
	if (!h)
		fail_msg("test document: %s at %d", jerr.text, jerr.position);
	char *out = NULL, err[160] = "";
	int rc = report_doc_render(h, fmt, &out, len, err, sizeof(err));
	json_decref(h);
	if (rc)
		fail_msg("render: %s", err);
	assert_non_null(out);
	assert_int_equal(strlen(out), *len);
	return out;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_csv_has_a_header_and_one_row_per_session_and_area(void **state)
{
	(void)state;
	size_t len;
	char *csv = render(ana_doc, REPORT_FORMAT_CSV, &len);
	const char *expected =
		REPORT_CSV_HEADER "\r\n"
		"3,2026-11-30T00:53:20Z,15.0,Plan for lower back,lower-back,6,3,31.5,1,2,1,3,completed\r\n"
		"3,2026-11-30T00:53:20Z,15.0,Plan for lower back,mid-back,4,4,31.5,1,2,1,3,completed\r\n"
		"5,2026-12-01T00:53:20Z,5.0,\"Plan, \"\"short\"\"\",lower-back,5,2,20.0,0,0,0,0,stopped\r\n"
		"5,2026-12-01T00:53:20Z,5.0,\"Plan, \"\"short\"\"\",mid-back,4,,20.0,0,0,0,0,stopped\r\n";
	assert_string_equal(csv, expected);
	free(csv);
}

static void test_csv_quotes_commas_quotes_and_line_ends_and_defuses_formulas(void **state)
{
	(void)state;
	size_t len;
	char *csv = render("{\"sessions\": [{\"session_id\": 1, \"program\": \"a\\nb\", \"ended\": \"completed\"},"
			   " {\"session_id\": 2, \"program\": \"=HYPERLINK(1)\", \"ended\": \"completed\"},"
			   " {\"session_id\": 3, \"program\": \"x\\\"y\", \"ended\": \"completed\"}]}",
			   REPORT_FORMAT_CSV, &len);
	assert_non_null(strstr(csv, "\r\n1,,,\"a\nb\",,,,,0,0,0,0,completed\r\n"));
	assert_non_null(strstr(csv, "\r\n2,,,\"'=HYPERLINK(1)\",,,,,0,0,0,0,completed\r\n"));
	assert_non_null(strstr(csv, "\r\n3,,,\"x\"\"y\",,,,,0,0,0,0,completed\r\n"));
	free(csv);
}

static void test_csv_of_an_empty_history_is_the_header_alone(void **state)
{
	(void)state;
	size_t len;
	char *csv = render("{\"user\": {\"name\": \"bo\"}, \"sessions\": []}", REPORT_FORMAT_CSV, &len);
	assert_string_equal(csv, REPORT_CSV_HEADER "\r\n");
	free(csv);
}

static void test_csv_session_without_scores_is_one_row(void **state)
{
	(void)state;
	size_t len;
	char *csv = render("{\"sessions\": [{\"session_id\": 9, \"start_s\": 0, \"duration_s\": 30,"
			   " \"program\": \"p\", \"ended\": \"interrupted\"}]}",
			   REPORT_FORMAT_CSV, &len);
	assert_string_equal(csv, REPORT_CSV_HEADER "\r\n"
				 "9,1970-01-01T00:00:00Z,0.5,p,,,,,0,0,0,0,interrupted\r\n");
	free(csv);
}

static void test_html_is_standalone_printable_and_has_the_svg_trend(void **state)
{
	(void)state;
	size_t len;
	char *html = render(ana_doc, REPORT_FORMAT_HTML, &len);
	assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	assert_non_null(strstr(html, "@page { size: A4; margin: 15mm }"));
	assert_non_null(strstr(html, "@media print"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	assert_non_null(strstr(html, "Massage record: ana</h1>"));
	/* one chart per area scored, each with its axis label and the 30 % line */
	assert_int_equal(count(html, "<svg "), 2);
	assert_int_equal(count(html, "</svg>"), 2);
	assert_int_equal(count(html, "pain (0&#8211;10)"), 2);
	assert_int_equal(count(html, "session (date, UTC)"), 2);
	assert_int_equal(count(html, "stroke-dasharray"), 2);
	assert_int_equal(count(html, "30 % below the first score"), 2);
	/* before: 2 + 2 circles and the legend's; after: 2 + 1 squares and the legend's */
	assert_int_equal(count(html, "<circle "), 4 + 2);
	assert_int_equal(count(html, "fill=\"#1a5fb4\"/>"), 3 + 2);
	/* the lower back went 6 -> 2: 67 %, meaningful; the mid back 4 -> 4 */
	assert_non_null(strstr(html, "<tr class=\"meaningful\"><td>lower-back</td><td class=\"n\">2</td>"
				     "<td class=\"n\">6</td><td class=\"n\">2</td><td class=\"n\">67 % less pain</td><td>yes</td>"));
	assert_non_null(strstr(html, "<td>mid-back</td><td class=\"n\">2</td><td class=\"n\">4</td>"
				     "<td class=\"n\">4</td><td class=\"n\">0 % less pain</td><td>no</td>"));
	free(html);
}

static void test_html_shows_the_limits_the_areas_and_the_sessions(void **state)
{
	(void)state;
	size_t len;
	char *html = render(ana_doc, REPORT_FORMAT_HTML, &len);
	assert_non_null(strstr(html, "<th>Force cap</th><td>40.0 N</td>"));
	assert_non_null(strstr(html, "<th>Highest pressure level</th><td>6 of 10</td>"));
	assert_non_null(strstr(html, "<th>Techniques excluded</th><td>tap</td>"));
	assert_non_null(strstr(html, "<th>Areas avoided</th><td>shoulders</td>"));
	assert_non_null(strstr(html, "<th>Heat</th><td>allowed</td>"));
	assert_non_null(strstr(html, "fibromyalgia, injury (shoulders, 3 weeks ago)"));
	assert_non_null(strstr(html, "<li>Gentle pressure only &amp; no tapping.</li>"));
	assert_non_null(strstr(html, "<tr><td>lower-back</td><td class=\"n\">2</td><td class=\"n\">8.5</td></tr>"));
	assert_non_null(strstr(html, "<tr><td>mid-back</td><td class=\"n\">1</td><td class=\"n\">4.0</td></tr>"));
	assert_non_null(strstr(html, "<td>2026-11-30 00:53</td><td class=\"n\">15.0</td><td>Plan for lower back</td>"
				     "<td>completed</td><td>lower-back 6 &rarr; 3<br>mid-back 4 &rarr; 4</td>"
				     "<td class=\"n\">31.5 N</td><td>stronger 1, softer 2, too_much 1, stay 2, skip 1</td>"));
	assert_non_null(strstr(html, "<td>Plan, &quot;short&quot;</td><td>stopped</td>"
				     "<td>lower-back 5 &rarr; 2<br>mid-back 4 &rarr; &ndash;</td>"));
	free(html);
}

static void test_html_escapes_every_text_so_markup_is_inert(void **state)
{
	(void)state;
	size_t len;
	char *html = render(
		"{\"user\": {\"name\": \"<script>alert('x')</script>\"},"
		" \"limits\": {\"messages\": [\"<img src=x onerror=alert(1)>\"], \"reason\": \"a<b\","
		"  \"techniques_excluded\": [\"<b>\"], \"conditions\": [{\"id\": \"<i>\", \"area\": \"\\\"q\\\"\"}]},"
		" \"sessions\": [{\"program\": \"</td><script>\", \"ended\": \"a&b\","
		"  \"feedback\": {\"<u>\": 1}, \"pain\": [{\"area\": \"neck\", \"before\": 5, \"after\": 2}]}]}",
		REPORT_FORMAT_HTML, &len);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>"));
	assert_null(strstr(html, "<i>"));
	assert_null(strstr(html, "<u>"));
	assert_non_null(strstr(html, "<title>Massage record: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</title>"));
	assert_non_null(strstr(html, "<h1>Massage record: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</h1>"));
	assert_non_null(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(html, "<td>&lt;/td&gt;&lt;script&gt;</td><td>a&amp;b</td>"));
	assert_non_null(strstr(html, "&lt;i&gt; (&quot;q&quot;)"));
	assert_non_null(strstr(html, "&lt;u&gt; 1"));
	free(html);
}

static void test_html_drops_control_characters(void **state)
{
	(void)state;
	size_t len;
	char *html = render("{\"user\": {\"name\": \"a\\u0001b\\u001bc\\u007fd\"}}", REPORT_FORMAT_HTML, &len);
	assert_non_null(strstr(html, "<h1>Massage record: abcd</h1>"));
	free(html);
}

static void test_html_of_an_empty_history_says_so_without_a_chart(void **state)
{
	(void)state;
	size_t len;
	char *html = render("{\"user\": {\"name\": \"bo\"}, \"sessions\": []}", REPORT_FORMAT_HTML, &len);
	assert_non_null(strstr(html, "<h1>Massage record: bo</h1>"));
	assert_non_null(strstr(html, "0 sessions."));
	assert_non_null(strstr(html, "No consultation recorded."));
	assert_non_null(strstr(html, "<h2>Sessions</h2>\n<p>No sessions yet.</p>"));
	assert_non_null(strstr(html, "No pain scores recorded yet."));
	assert_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "</html>\n"));
	free(html);
}

static void test_html_session_with_no_after_has_no_after_mark(void **state)
{
	(void)state;
	size_t len;
	char *html = render("{\"sessions\": [{\"ended\": \"interrupted\","
			    " \"pain\": [{\"area\": \"calves\", \"before\": 7, \"after\": null}]}]}",
			    REPORT_FORMAT_HTML, &len);
	assert_int_equal(count(html, "<svg "), 1);
	assert_int_equal(count(html, "<circle "), 1 + 1);
	assert_int_equal(count(html, "fill=\"#1a5fb4\"/>"), 0 + 1);
	assert_non_null(strstr(html, "<td>calves</td><td class=\"n\">1</td><td class=\"n\">7</td>"
				     "<td class=\"n\">&ndash;</td><td class=\"n\">&ndash;</td><td>no</td>"));
	free(html);
}

static void test_malformed_documents_are_refused_naming_the_field(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *message;
	} cases[] = {
		{"[]", "history: expected an object"},
		{"{\"user\": \"ana\"}", "history.user: expected an object"},
		{"{\"user\": {\"name\": 3}}", "user.name: expected a string"},
		{"{\"limits\": {\"cap_n\": \"40\"}}", "limits.cap_n: expected a number"},
		{"{\"limits\": {\"messages\": [\"a\", 2]}}", "limits.messages: expected an array of strings"},
		{"{\"limits\": {\"conditions\": [{\"area\": \"neck\"}]}}",
		 "limits.conditions[0]: expected a name or an object with an id"},
		{"{\"sessions\": [{}, {\"program\": 7}]}", "sessions[1].program: expected a string"},
		{"{\"sessions\": [{\"feedback\": {\"softer\": \"2\"}}]}",
		 "sessions[0].feedback: expected an object of numbers"},
		{"{\"sessions\": [{\"pain\": [{\"area\": \"neck\", \"before\": -1}]}]}",
		 "sessions[0].pain[0]: expected scores 0..10 or null"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *h = json_loads(cases[i].doc, 0, NULL);
		assert_non_null(h);
		char *out = (char *)1, err[160] = "";
		size_t len = 1;
		int rc = report_doc_render(h, REPORT_FORMAT_HTML, &out, &len, err, sizeof(err));
		json_decref(h);
		if (rc != -EINVAL)
			fail_msg("accepted: %s", cases[i].doc);
		assert_null(out);
		assert_int_equal(len, 0);
		if (strstr(err, cases[i].message) != err)
			fail_msg("%s: said '%s'", cases[i].doc, err);
	}
}

static void test_format_names(void **state)
{
	(void)state;
	assert_int_equal(report_format_lookup("csv"), REPORT_FORMAT_CSV);
	assert_int_equal(report_format_lookup("html"), REPORT_FORMAT_HTML);
	assert_int_equal(report_format_lookup("pdf"), -1);
	assert_int_equal(report_format_lookup(NULL), -1);
	assert_string_equal(report_format_name(REPORT_FORMAT_HTML), "html");
	json_t *h = json_object();
	char *out, err[64];
	size_t len;
	assert_int_equal(report_doc_render(h, REPORT_FORMAT_COUNT, &out, &len, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "format: expected csv or html");
	json_decref(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_has_a_header_and_one_row_per_session_and_area),
		cmocka_unit_test(test_csv_quotes_commas_quotes_and_line_ends_and_defuses_formulas),
		cmocka_unit_test(test_csv_of_an_empty_history_is_the_header_alone),
		cmocka_unit_test(test_csv_session_without_scores_is_one_row),
		cmocka_unit_test(test_html_is_standalone_printable_and_has_the_svg_trend),
		cmocka_unit_test(test_html_shows_the_limits_the_areas_and_the_sessions),
		cmocka_unit_test(test_html_escapes_every_text_so_markup_is_inert),
		cmocka_unit_test(test_html_drops_control_characters),
		cmocka_unit_test(test_html_of_an_empty_history_says_so_without_a_chart),
		cmocka_unit_test(test_html_session_with_no_after_has_no_after_mark),
		cmocka_unit_test(test_malformed_documents_are_refused_naming_the_field),
		cmocka_unit_test(test_format_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
