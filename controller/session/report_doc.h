/* A person's record for a physical therapist, rendered from the history document (see
 * history.h): CSV with one row per session and area, or a standalone HTML page (no script,
 * nothing fetched) with the consultation's limits, the areas worked, the sessions and the
 * pain trend as an inline SVG chart, printable on A4. */
#ifndef SESSION_REPORT_DOC_H
#define SESSION_REPORT_DOC_H

#include <stddef.h>

#include <jansson.h>

enum report_format { REPORT_FORMAT_CSV, REPORT_FORMAT_HTML, REPORT_FORMAT_COUNT };

/* "csv", "html"; "?" out of range. */
const char *report_format_name(enum report_format fmt);
/* The format spelled exactly by name, or -1. */
int report_format_lookup(const char *name);

/* The CSV's columns, in order (RFC 4180, CRLF line ends, a header row first). */
#define REPORT_CSV_HEADER                                                                  \
	"session_id,date,duration_min,program,area,pain_before,pain_after,peak_force_n,"  \
	"stronger,softer,too_much,other_feedback,ended"

/* Renders history into a new NUL-terminated buffer *out of *len bytes (the NUL not counted;
 * free() it). 0, or -EINVAL with a message naming the malformed field (nothing in *out), or
 * -ENOMEM. The document is only read; the trend is computed here. */
int report_doc_render(const json_t *history, enum report_format fmt, char **out, size_t *len,
		      char *err, size_t err_len);

#endif
