/* The parser: program text in memory to the statement list of ast.h. Syntax errors are
 * reported and the parse goes on at the next line, so one pass reports them all. The text
 * need not be NUL-terminated and may be anything: binary data, one huge line, invalid
 * UTF-8 all become errors. Memory is taken here, never later: the statement table (grown
 * as needed, at most one entry per line) and an arena the size of the text. */
#ifndef INTERP_PARSER_H
#define INTERP_PARSER_H

#include <stddef.h>

#include "ast.h"
#include "diag.h"

#define INTERP_LINE_TOKENS_MAX 128

/* Parse src[0..len) named file (for messages). *out is set to a program (possibly with
 * no statements) whenever the return is 0; errors are in d. -ENOMEM when out of memory. */
int interp_parse(const char *src, size_t len, const char *file, struct interp_diags *d,
		 struct interp_program **out);
void interp_program_free(struct interp_program *prog);

/* Read a duration ("500ms", "45s", "2m", "1m30s"), length ("20mm", "3cm") or temperature
 * ("40c") token text; 0, or -EINVAL when it is not one, -ERANGE when too large. */
int interp_read_duration_ms(const char *text, size_t len, int64_t *ms);
int interp_read_length_mm(const char *text, size_t len, int64_t *mm);
int interp_read_temp_c(const char *text, size_t len, int64_t *c);

#endif
