/* The lexer: splits one line of program text into tokens. Lexical errors (unterminated or
 * overlong strings, bad escapes, stray characters) go to the diagnostics and the line
 * goes on; the parser sees an INTERP_TOK_BAD in their place. */
#ifndef INTERP_LEXER_H
#define INTERP_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "plan.h"

enum interp_tok {
	INTERP_TOK_WORD,    /* knead, lower-back, L4, zero-gravity */
	INTERP_TOK_NUMBER,  /* 3, 45s, 1m30s, 20mm, 40c: digits and a suffix */
	INTERP_TOK_STRING,  /* "...", unescaped into str */
	INTERP_TOK_COMMA,
	INTERP_TOK_DOTDOT,
	INTERP_TOK_PLUS,
	INTERP_TOK_MINUS,
	INTERP_TOK_BAD,     /* reported already */
	INTERP_TOK_EOL,     /* end of line or of file */
};

struct interp_token {
	enum interp_tok kind;
	struct interp_loc loc;
	const char *text;   /* in the source */
	uint32_t len;
	/* NUMBER: */
	bool decimal;       /* had a fractional part (an error where it is used) */
	/* STRING: */
	uint32_t str_len;   /* bytes after unescaping (may exceed what str holds) */
	char str[PLAN_STRING_MAX + 1];
};

struct interp_lexer {
	const char *src;
	size_t len;
	size_t pos;
	uint32_t line;
	size_t line_start;
	struct interp_diags *diags;
};

void interp_lexer_init(struct interp_lexer *lx, const char *src, size_t len,
		       struct interp_diags *diags);
/* True while there is another line; the lexer is then at its first byte. */
bool interp_lexer_more(const struct interp_lexer *lx);
/* The next token of the current line; INTERP_TOK_EOL at its end (and past it, until
 * interp_lexer_next_line). Comments are skipped. */
void interp_lexer_next(struct interp_lexer *lx, struct interp_token *tok);
/* Skip what is left of the line and go to the next. */
void interp_lexer_next_line(struct interp_lexer *lx);

/* The first invalid UTF-8 sequence in src[0..len), or len when all is valid. */
size_t interp_utf8_invalid_at(const char *src, size_t len);

#endif
