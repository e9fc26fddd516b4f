/* The line syntax the chair's data tables share (consultation rules, care advice): words,
 * "quoted strings", # comments. Kept apart from what the words mean so that both tables
 * refuse the same mistakes with the same messages. */
#include "rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULES_FILE_MAX (1024 * 1024)

void rules_lexer_init(struct rules_lexer *lx, const char *text, const char *name, char *err,
		      size_t len)
{
	*lx = (struct rules_lexer){ .name = name, .pos = text, .line = 0, .err = err, .len = len };
	if (len)
		err[0] = '\0';
}

int rules_lexer_error(struct rules_lexer *lx, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lx->len)
		snprintf(lx->err, lx->len, "%s:%d: %s", lx->name, line, msg);
	return -EINVAL;
}

/* A quoted string from *s (just past the opening quote) into dst, in place. */
static int cut_string(struct rules_lexer *lx, char **s)
{
	char *src = *s, *dst = *s;
	for (;;) {
		if (*src == '\0')
			return rules_lexer_error(lx, lx->line, "string not closed: expected a closing '\"'");
		if (*src == '"')
			break;
		if (*src == '\\') {
			src++;
			if (*src != '"' && *src != '\\')
				return rules_lexer_error(lx, lx->line,
							 "unknown escape in a string: only \\\" and \\\\");
		}
		*dst++ = *src++;
	}
	src++;
	if (*src && *src != ' ' && *src != '\t' && *src != '#')
		return rules_lexer_error(lx, lx->line, "expected a space after the closing '\"'");
	*dst = '\0';
	*s = src;
	return 0;
}

/* Cuts l->buf into words in place. */
static int cut_words(struct rules_lexer *lx, struct rules_line *l)
{
	char *s = l->buf;
	l->count = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0' || *s == '#')
			return 0;
		if (l->count == RULES_WORDS_MAX)
			return rules_lexer_error(lx, lx->line, "more than %d words on a line", RULES_WORDS_MAX);
		bool quoted = *s == '"';
		if (quoted)
			s++;
		l->word[l->count] = s;
		l->quoted[l->count++] = quoted;
		if (quoted) {
			int rc = cut_string(lx, &s);
			if (rc)
				return rc;
			continue;
		}
		while (*s && *s != ' ' && *s != '\t' && *s != '#' && *s != '"')
			s++;
		if (*s == '"')
			return rules_lexer_error(lx, lx->line, "a '\"' inside a word: expected a space before the string");
		if (*s == '#') {
			*s = '\0'; /* the rest is a comment */
			return 0;
		}
	}
}

int rules_lexer_next(struct rules_lexer *lx, struct rules_line *l)
{
	while (*lx->pos) {
		const char *nl = strchr(lx->pos, '\n');
		size_t n = nl ? (size_t)(nl - lx->pos) : strlen(lx->pos);
		lx->line++;
		if (n >= RULES_LINE_MAX)
			return rules_lexer_error(lx, lx->line, "line longer than %d bytes", RULES_LINE_MAX - 1);
		memcpy(l->buf, lx->pos, n);
		l->buf[n] = '\0';
		lx->pos += nl ? n + 1 : n;
		if (n && l->buf[n - 1] == '\r')
			l->buf[--n] = '\0';
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)l->buf[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return rules_lexer_error(lx, lx->line, "control character 0x%02x in the text", c);
		}
		l->number = lx->line;
		int rc = cut_words(lx, l);
		if (rc)
			return rc;
		if (l->count)
			return 1;
	}
	return 0;
}

/* Edit distance of two short strings, capped: enough to tell a typo from another word. */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	int row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *rules_suggest(const char *word, const char *const *names, int n)
{
	size_t lw = strlen(word);
	const char *best = NULL;
	int best_d = lw <= 4 ? 1 : 2; /* short words: one typo, else two */
	for (int i = 0; i < n; i++) {
		/* "varicose" for "varicose-veins": the start of a longer name */
		if (lw >= 4 && strncmp(names[i], word, lw) == 0)
			return names[i];
		int d = distance(word, names[i]);
		if (d <= best_d && (!best || d < best_d)) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}

int rules_read_file(const char *path, char **text, char *err, size_t len)
{
	*text = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, len, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	char *buf = malloc(RULES_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, len, "%s: out of memory", path);
		return -ENOMEM;
	}
	size_t n = fread(buf, 1, RULES_FILE_MAX + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || n > RULES_FILE_MAX) {
		free(buf);
		snprintf(err, len, bad ? "%s: cannot read" : "%s: larger than 1 MiB", path);
		return bad ? -EIO : -EFBIG;
	}
	if (memchr(buf, '\0', n)) {
		free(buf);
		snprintf(err, len, "%s: a NUL byte: expected a text file", path);
		return -EINVAL;
	}
	buf[n] = '\0';
	*text = buf;
	return 0;
}
