/* Collecting, ordering and printing diagnostics; typo suggestions. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void interp_diags_init(struct interp_diags *d, const char *file)
{
	d->file = file ? file : "<input>";
	d->count = 0;
	d->errors = 0;
	d->warnings = 0;
	d->truncated = false;
}

static void add(struct interp_diags *d, enum interp_severity sev, struct interp_loc loc,
		const char *fmt, va_list ap)
{
	if (sev == INTERP_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->count >= INTERP_DIAG_MAX) {
		d->truncated = true;
		return;
	}
	struct interp_diag *g = &d->item[d->count++];
	g->severity = sev;
	g->loc = loc;
	vsnprintf(g->msg, sizeof(g->msg), fmt, ap);
}

void interp_error(struct interp_diags *d, struct interp_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, INTERP_ERROR, loc, fmt, ap);
	va_end(ap);
}

void interp_warning(struct interp_diags *d, struct interp_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, INTERP_WARNING, loc, fmt, ap);
	va_end(ap);
}

static bool before(const struct interp_diag *a, const struct interp_diag *b)
{
	if (a->loc.line != b->loc.line)
		return a->loc.line < b->loc.line;
	if (a->loc.col != b->loc.col)
		return a->loc.col < b->loc.col;
	return a->severity < b->severity;
}

void interp_diags_sort(struct interp_diags *d)
{
	/* Insertion sort: stable, and the table is small and nearly in order already. */
	for (uint32_t i = 1; i < d->count; i++) {
		struct interp_diag tmp = d->item[i];
		uint32_t j = i;
		while (j > 0 && before(&tmp, &d->item[j - 1])) {
			d->item[j] = d->item[j - 1];
			j--;
		}
		d->item[j] = tmp;
	}
}

int interp_diag_format(const struct interp_diags *d, uint32_t i, char *buf, size_t n)
{
	const struct interp_diag *g = &d->item[i];
	return snprintf(buf, n, "%s:%u:%u: %s: %s", d->file, (unsigned)g->loc.line,
			(unsigned)g->loc.col, g->severity == INTERP_ERROR ? "error" : "warning",
			g->msg);
}

void interp_diags_print(const struct interp_diags *d, FILE *f)
{
	char line[INTERP_MSG_MAX + 512];
	for (uint32_t i = 0; i < d->count; i++) {
		interp_diag_format(d, i, line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	if (d->truncated)
		fprintf(f, "%s: note: %u errors and %u warnings in all; only the first %d are shown\n",
			d->file, (unsigned)d->errors, (unsigned)d->warnings, INTERP_DIAG_MAX);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

#define SUGGEST_WORD_MAX 32

/* Optimal string alignment distance, case-insensitive; words are short. */
static int distance(const char *a, size_t la, const char *b, size_t lb)
{
	int d[SUGGEST_WORD_MAX + 1][SUGGEST_WORD_MAX + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
			int best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *interp_suggest(const char *word, size_t len, const char *const *candidates,
			   int count)
{
	if (len == 0 || len > SUGGEST_WORD_MAX)
		return NULL;
	/* Up to a third of the letters may be wrong, at least one, at most three. */
	int limit = (int)(len + 2) / 3;
	if (limit > 3)
		limit = 3;
	const char *best = NULL;
	int best_d = limit + 1;
	for (int i = 0; i < count; i++) {
		size_t lc = strlen(candidates[i]);
		if (lc > SUGGEST_WORD_MAX)
			continue;
		int dist = distance(word, len, candidates[i], lc);
		if (dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	return best;
}
