/* What report_doc.c (the checks, the CSV) and report_doc_html.c (the page and its chart)
 * share; not for other modules. */
#ifndef SESSION_REPORT_DOC_PRIV_H
#define SESSION_REPORT_DOC_PRIV_H

#include <stdio.h>

#include <jansson.h>

/* A number field of a session, or fallback when absent or null (the checks have made sure
 * it is a number when present). */
double report_doc_num(const json_t *obj, const char *key, double fallback);
/* A session's duration in seconds: duration_s, else end_s - start_s, else -1. */
double report_doc_duration_s(const json_t *session);
/* Unix seconds as ISO 8601 UTC ("2026-12-01T12:48:52Z"), or "" when not a time. */
void report_doc_iso_time(double t_s, char *buf, size_t len);
/* Writes s to f with & < > " ' as entities and control characters but tab and newline
 * dropped (they would make the document invalid). */
void report_doc_html_text(FILE *f, const char *s);
/* The HTML page for a checked history and its trend (history_trend's array). */
void report_doc_html(FILE *f, const json_t *history, const json_t *trend);

#endif
