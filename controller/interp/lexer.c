/* Tokens of one line at a time (see lexer.h). Words may contain '-' when a letter follows
 * it, so `upper-back` is one word and `shoulders-3cm` is a word, a minus and a length. */
#include "lexer.h"

#include <string.h>

void interp_lexer_init(struct interp_lexer *lx, const char *src, size_t len,
		       struct interp_diags *diags)
{
	lx->src = src;
	lx->len = len;
	lx->pos = 0;
	lx->line = 1;
	lx->line_start = 0;
	lx->diags = diags;
}

bool interp_lexer_more(const struct interp_lexer *lx)
{
	return lx->pos < lx->len;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static struct interp_loc here(const struct interp_lexer *lx)
{
	return (struct interp_loc){lx->line, (uint32_t)(lx->pos - lx->line_start + 1)};
}

static int peek(const struct interp_lexer *lx, size_t ahead)
{
	return lx->pos + ahead < lx->len ? (unsigned char)lx->src[lx->pos + ahead] : -1;
}

static void lex_string(struct interp_lexer *lx, struct interp_token *tok)
{
	tok->kind = INTERP_TOK_STRING;
	tok->str_len = 0;
	lx->pos++; /* opening quote */
	for (;;) {
		int c = peek(lx, 0);
		if (c < 0 || c == '\n') {
			interp_error(lx->diags, tok->loc, "unterminated string");
			tok->kind = INTERP_TOK_BAD;
			break;
		}
		lx->pos++;
		if (c == '"')
			break;
		if (c == '\\') {
			int e = peek(lx, 0);
			if (e == '"' || e == '\\') {
				c = e;
				lx->pos++;
			} else {
				struct interp_loc at = here(lx);
				at.col--;
				tok->kind = INTERP_TOK_BAD;
				/* The string is unterminated too, but this says why: one error. */
				bool line_end = e < 0 || e == '\n' ||
						(e == '\r' && (peek(lx, 1) < 0 || peek(lx, 1) == '\n'));
				if (line_end) {
					interp_error(lx->diags, at, "'\\' at the end of a line");
					break;
				}
				if (e >= 0x20 && e < 0x7f)
					interp_error(lx->diags, at,
						     "unknown escape '\\%c' in string; only '\\\"' and '\\\\' exist",
						     e);
				else
					interp_error(lx->diags, at,
						     "unknown escape in string; only '\\\"' and '\\\\' exist");
				continue;
			}
		}
		if (tok->str_len < PLAN_STRING_MAX)
			tok->str[tok->str_len] = (char)c;
		if (tok->str_len < UINT32_MAX)
			tok->str_len++;
	}
	tok->str[tok->str_len < PLAN_STRING_MAX ? tok->str_len : PLAN_STRING_MAX] = '\0';
	if (tok->kind == INTERP_TOK_STRING && tok->str_len > PLAN_STRING_MAX) {
		interp_error(lx->diags, tok->loc, "string is %u bytes long; at most %d are allowed",
			     (unsigned)tok->str_len, PLAN_STRING_MAX);
		tok->kind = INTERP_TOK_BAD;
	}
}

void interp_lexer_next(struct interp_lexer *lx, struct interp_token *tok)
{
	for (;;) {
		int c = peek(lx, 0);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			lx->pos++;
			continue;
		}
		if (c == '#') {
			while (peek(lx, 0) >= 0 && peek(lx, 0) != '\n')
				lx->pos++;
		}
		break;
	}
	tok->loc = here(lx);
	tok->text = lx->src + lx->pos;
	tok->len = 0;
	tok->decimal = false;
	tok->str_len = 0;
	tok->str[0] = '\0';
	size_t start = lx->pos;
	int c = peek(lx, 0);
	if (c < 0 || c == '\n') {
		tok->kind = INTERP_TOK_EOL;
		return;
	}
	if (is_alpha((unsigned char)c)) {
		tok->kind = INTERP_TOK_WORD;
		for (;;) {
			int d = peek(lx, 0);
			if (d >= 0 && (is_alpha((unsigned char)d) || is_digit((unsigned char)d))) {
				lx->pos++;
			} else if (d == '-' && peek(lx, 1) >= 0 && is_alpha((unsigned char)peek(lx, 1))) {
				lx->pos++;
			} else {
				break;
			}
		}
	} else if (is_digit((unsigned char)c)) {
		tok->kind = INTERP_TOK_NUMBER;
		while (peek(lx, 0) >= 0 &&
		       (is_digit((unsigned char)peek(lx, 0)) || is_alpha((unsigned char)peek(lx, 0))))
			lx->pos++;
		if (peek(lx, 0) == '.' && peek(lx, 1) >= 0 && is_digit((unsigned char)peek(lx, 1))) {
			tok->decimal = true;
			lx->pos++;
			while (peek(lx, 0) >= 0 && (is_digit((unsigned char)peek(lx, 0)) ||
						     is_alpha((unsigned char)peek(lx, 0))))
				lx->pos++;
		}
	} else if (c == '"') {
		lex_string(lx, tok);
	} else if (c == ',') {
		tok->kind = INTERP_TOK_COMMA;
		lx->pos++;
	} else if (c == '+') {
		tok->kind = INTERP_TOK_PLUS;
		lx->pos++;
	} else if (c == '-') {
		tok->kind = INTERP_TOK_MINUS;
		lx->pos++;
	} else if (c == '.' && peek(lx, 1) == '.') {
		tok->kind = INTERP_TOK_DOTDOT;
		lx->pos += 2;
	} else {
		tok->kind = INTERP_TOK_BAD;
		lx->pos++;
		if (c >= 0x21 && c < 0x7f) {
			interp_error(lx->diags, tok->loc, "unexpected character '%c'", c);
		} else {
			/* Skip the rest of a multi-byte character: one error for it. */
			while (peek(lx, 0) >= 0x80 && peek(lx, 0) < 0xc0)
				lx->pos++;
			interp_error(lx->diags, tok->loc, "unexpected character (byte 0x%02x)", c);
		}
	}
	tok->len = (uint32_t)(lx->pos - start);
}

void interp_lexer_next_line(struct interp_lexer *lx)
{
	const char *nl = lx->pos < lx->len ? memchr(lx->src + lx->pos, '\n', lx->len - lx->pos) : NULL;
	if (!nl) {
		lx->pos = lx->len;
		return;
	}
	lx->pos = (size_t)(nl - lx->src) + 1;
	lx->line++;
	lx->line_start = lx->pos;
}

size_t interp_utf8_invalid_at(const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}
