/* Diagnostics: errors and warnings with where they come from, printed in the style of a C
 * compiler (`FILE:LINE:COL: error: MESSAGE`), and "did you mean" suggestions. Columns count
 * bytes from 1. A fixed table: a file with more diagnostics than it holds keeps the first
 * INTERP_DIAG_MAX and says so, while still counting them all. */
#ifndef INTERP_DIAG_H
#define INTERP_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define INTERP_DIAG_MAX 200
#define INTERP_MSG_MAX 200

struct interp_loc {
	uint32_t line, col;
};

enum interp_severity { INTERP_ERROR, INTERP_WARNING };

struct interp_diag {
	enum interp_severity severity;
	struct interp_loc loc;
	char msg[INTERP_MSG_MAX];
};

struct interp_diags {
	const char *file;
	uint32_t count;    /* kept in item[] */
	uint32_t errors;   /* all, kept or not */
	uint32_t warnings;
	bool truncated;
	struct interp_diag item[INTERP_DIAG_MAX];
};

void interp_diags_init(struct interp_diags *d, const char *file);
void interp_error(struct interp_diags *d, struct interp_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void interp_warning(struct interp_diags *d, struct interp_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Order by line and column, errors before warnings at the same place (stable). */
void interp_diags_sort(struct interp_diags *d);
/* "FILE:LINE:COL: error: MESSAGE" of item i into buf; the length it needs. */
int interp_diag_format(const struct interp_diags *d, uint32_t i, char *buf, size_t n);
/* Every kept diagnostic, one a line, and a note when some were not kept. */
void interp_diags_print(const struct interp_diags *d, FILE *f);

/* The candidate closest to word[0..len) (case-insensitive edit distance with
 * transpositions), or NULL when none is close enough to be a likely typo. */
const char *interp_suggest(const char *word, size_t len, const char *const *candidates,
			   int count);

#endif
