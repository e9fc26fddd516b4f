/* Statements from text, one a line (see parser.h). Each statement's words are read in
 * full; what is wrong is reported where it is, and what could not be read is marked so
 * the checker does not report it twice. */
#include "parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"
#include "words.h"

#define INT_MAX_VALUE 1000000000LL   /* larger integers are "too large" */
#define DURATION_MAX_MS ((int64_t)PLAN_DURATION_MAX_MS)
#define LENGTH_MAX_MM 100000LL

struct parser {
	struct interp_diags *d;
	struct interp_program *prog;
	struct interp_token *tok; /* the line's tokens, the last one EOL */
	int ntok;
	int pos;
	struct interp_loc end;    /* just past the line's last token */
	struct interp_stmt *st;
};

/* ---- numbers ---- */

/* Digits at text[*i..]; -ERANGE past INT_MAX_VALUE, -EINVAL when there are none. */
static int read_digits(const char *text, size_t len, size_t *i, int64_t *v)
{
	size_t start = *i;
	int64_t n = 0;
	bool big = false;
	while (*i < len && text[*i] >= '0' && text[*i] <= '9') {
		if (n <= INT_MAX_VALUE)
			n = n * 10 + (text[*i] - '0');
		if (n > INT_MAX_VALUE)
			big = true;
		(*i)++;
	}
	if (*i == start)
		return -EINVAL;
	*v = n;
	return big ? -ERANGE : 0;
}

int interp_read_duration_ms(const char *text, size_t len, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"m", 60000}, {"s", 1000}, {"ms", 1}};
	size_t i = 0;
	int next_unit = 0; /* units must come largest first, each once */
	int64_t total = 0;
	bool big = false;
	if (len == 0)
		return -EINVAL;
	while (i < len) {
		int64_t n;
		int rc = read_digits(text, len, &i, &n);
		if (rc == -EINVAL)
			return -EINVAL;
		if (rc == -ERANGE)
			big = true;
		size_t u = i;
		while (i < len && !(text[i] >= '0' && text[i] <= '9'))
			i++;
		int found = -1;
		for (int k = next_unit; k < 3; k++)
			if (strlen(units[k].unit) == i - u && memcmp(units[k].unit, text + u, i - u) == 0)
				found = k;
		if (found < 0)
			return -EINVAL;
		next_unit = found + 1;
		if (!big) {
			total += n * units[found].ms;
			if (total > DURATION_MAX_MS)
				big = true;
		}
	}
	if (big)
		return -ERANGE;
	*ms = total;
	return 0;
}

int interp_read_length_mm(const char *text, size_t len, int64_t *mm)
{
	size_t i = 0;
	int64_t n;
	int rc = read_digits(text, len, &i, &n);
	if (rc == -EINVAL)
		return -EINVAL;
	int64_t scale;
	if (len - i == 2 && memcmp(text + i, "mm", 2) == 0)
		scale = 1;
	else if (len - i == 2 && memcmp(text + i, "cm", 2) == 0)
		scale = 10;
	else
		return -EINVAL;
	if (rc == -ERANGE || n * scale > LENGTH_MAX_MM)
		return -ERANGE;
	*mm = n * scale;
	return 0;
}

int interp_read_temp_c(const char *text, size_t len, int64_t *c)
{
	size_t i = 0;
	int64_t n;
	int rc = read_digits(text, len, &i, &n);
	if (rc == -EINVAL || len - i != 1 || text[i] != 'c')
		return -EINVAL;
	if (rc == -ERANGE || n > 1000)
		return -ERANGE;
	*c = n;
	return 0;
}

/* ---- tokens ---- */

static const struct interp_token *cur(const struct parser *p)
{
	return &p->tok[p->pos];
}

static void advance(struct parser *p)
{
	if (p->pos < p->ntok - 1)
		p->pos++;
}

/* Where a missing thing was expected: at the token, or just past the line at its end. */
static struct interp_loc at(const struct parser *p)
{
	return cur(p)->kind == INTERP_TOK_EOL ? p->end : cur(p)->loc;
}

/* Name a token in a message: its text (shortened), or what it is. */
static const char *describe(const struct interp_token *t, char *buf, size_t n)
{
	switch (t->kind) {
	case INTERP_TOK_EOL:
		return "the end of the line";
	case INTERP_TOK_STRING:
		return "a string";
	default:
		if (t->len > 24)
			snprintf(buf, n, "'%.24s...'", t->text);
		else
			snprintf(buf, n, "'%.*s'", (int)t->len, t->text);
		return buf;
	}
}

static void fail(struct parser *p)
{
	p->st->bad = true;
}

/* ---- values ---- */

/* Step over a value that could not be read, unless it is the next option's word. */
static void skip_bad_value(struct parser *p)
{
	const struct interp_token *t = cur(p);
	if (t->kind == INTERP_TOK_NUMBER || t->kind == INTERP_TOK_STRING ||
	    (t->kind == INTERP_TOK_WORD &&
	     interp_word_index(t->text, t->len, interp_opt_name, INTERP_OPT_COUNT) < 0))
		advance(p);
}

/* A whole number. */
static bool read_int(struct parser *p, const char *what, struct interp_value *v)
{
	const struct interp_token *t = cur(p);
	char buf[40];
	bool negative = false;
	v->vloc = at(p);
	if (t->kind == INTERP_TOK_MINUS && p->pos + 1 < p->ntok &&
	    p->tok[p->pos + 1].kind == INTERP_TOK_NUMBER) {
		/* A negative number reads as one, so its range is what gets reported. */
		negative = true;
		advance(p);
		t = cur(p);
	}
	if (t->kind != INTERP_TOK_NUMBER) {
		if (t->kind != INTERP_TOK_BAD)
			interp_error(p->d, at(p), "expected a number after '%s', got %s", what,
				     describe(t, buf, sizeof(buf)));
		skip_bad_value(p);
		v->bad = true;
		fail(p);
		return false;
	}
	advance(p);
	size_t i = 0;
	int rc = read_digits(t->text, t->len, &i, &v->v);
	if (t->decimal) {
		interp_error(p->d, t->loc, "expected a whole number after '%s', got %s", what,
			     describe(t, buf, sizeof(buf)));
	} else if (rc == 0 && i == t->len) {
		if (negative)
			v->v = -v->v;
		return true;
	} else if (rc == -ERANGE && i == t->len) {
		interp_error(p->d, t->loc, "number %s is too large", describe(t, buf, sizeof(buf)));
	} else {
		interp_error(p->d, t->loc, "expected a number after '%s', got %s", what,
			     describe(t, buf, sizeof(buf)));
	}
	v->bad = true;
	fail(p);
	return false;
}

static bool read_duration(struct parser *p, const char *what, struct interp_value *v)
{
	const struct interp_token *t = cur(p);
	char buf[40];
	v->vloc = at(p);
	if (t->kind == INTERP_TOK_NUMBER && !t->decimal) {
		advance(p);
		int rc = interp_read_duration_ms(t->text, t->len, &v->v);
		if (rc == 0)
			return true;
		if (rc == -ERANGE)
			interp_error(p->d, t->loc, "duration %s is too long",
				     describe(t, buf, sizeof(buf)));
		else
			interp_error(p->d, t->loc,
				     "expected a duration like '45s', '2m' or '1m30s' after '%s', got %s",
				     what, describe(t, buf, sizeof(buf)));
	} else if (t->kind != INTERP_TOK_BAD) {
		interp_error(p->d, at(p),
			     "expected a duration like '45s', '2m' or '1m30s' after '%s', got %s", what,
			     describe(t, buf, sizeof(buf)));
		skip_bad_value(p);
	}
	v->bad = true;
	fail(p);
	return false;
}

/* One of names[first..count) (a word), or an error with a suggestion. */
static bool read_choice(struct parser *p, const char *what, const char *const *names, int first,
			int count, struct interp_value *v)
{
	const struct interp_token *t = cur(p);
	char buf[40];
	v->vloc = at(p);
	if (t->kind == INTERP_TOK_WORD &&
	    interp_word_index(t->text, t->len, interp_opt_name, INTERP_OPT_COUNT) < 0) {
		advance(p);
		int k = interp_word_index(t->text, t->len, names + first, count - first);
		if (k >= 0) {
			v->v = k + first;
			return true;
		}
		const char *hint = interp_suggest(t->text, t->len, names + first, count - first);
		if (hint) {
			interp_error(p->d, t->loc, "unknown %s %s; did you mean '%s'?", what,
				     describe(t, buf, sizeof(buf)), hint);
		} else {
			char list[80] = "";
			size_t used = 0;
			for (int i = first; i < count && used < sizeof(list); i++)
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
							 i > first ? ", " : "", names[i]);
			interp_error(p->d, t->loc, "unknown %s %s; one of %s", what,
				     describe(t, buf, sizeof(buf)), list);
		}
	} else if (t->kind != INTERP_TOK_BAD) {
		interp_error(p->d, at(p), "expected a %s, got %s", what, describe(t, buf, sizeof(buf)));
	}
	v->bad = true;
	fail(p);
	return false;
}

/* A string argument into the arena; false (reported) when there is none. */
static bool read_string(struct parser *p, const char *what)
{
	const struct interp_token *t = cur(p);
	struct interp_stmt *st = p->st;
	char buf[40];
	st->str_loc = at(p);
	if (t->kind != INTERP_TOK_STRING) {
		if (t->kind != INTERP_TOK_BAD)
			interp_error(p->d, at(p), "expected %s in double quotes, got %s", what,
				     describe(t, buf, sizeof(buf)));
		fail(p);
		if (t->kind != INTERP_TOK_EOL)
			advance(p);
		return false;
	}
	advance(p);
	struct interp_program *prog = p->prog;
	uint32_t n = t->str_len > PLAN_STRING_MAX ? PLAN_STRING_MAX : t->str_len;
	char *dst = prog->arena + prog->arena_used;
	memcpy(dst, t->str, n);
	dst[n] = '\0';
	prog->arena_used += n + 1;
	st->str = dst;
	st->str_len = t->str_len;
	return true;
}

/* ---- places ---- */

static bool read_offset(struct parser *p, int32_t *offset_mm)
{
	const struct interp_token *sign = cur(p);
	if (sign->kind != INTERP_TOK_PLUS && sign->kind != INTERP_TOK_MINUS)
		return true;
	advance(p);
	const struct interp_token *t = cur(p);
	char buf[40];
	int64_t mm = 0;
	int rc = t->kind == INTERP_TOK_NUMBER && !t->decimal
			 ? interp_read_length_mm(t->text, t->len, &mm) : -EINVAL;
	if (rc == 0) {
		advance(p);
		*offset_mm = (int32_t)(sign->kind == INTERP_TOK_PLUS ? mm : -mm);
		return true;
	}
	if (rc == -ERANGE)
		interp_error(p->d, t->loc, "offset %s is too large", describe(t, buf, sizeof(buf)));
	else if (t->kind != INTERP_TOK_BAD)
		interp_error(p->d, at(p), "expected a length like '20mm' or '3cm' after '%c', got %s",
			     sign->kind == INTERP_TOK_PLUS ? '+' : '-', describe(t, buf, sizeof(buf)));
	if (t->kind == INTERP_TOK_NUMBER)
		advance(p);
	return false;
}

/* Step over what stands where a landmark should be (a number, a string, a comma, a bare
 * offset), so the options after it are read as options and it is reported only once. */
static void skip_bad_point(struct parser *p)
{
	enum interp_tok k = cur(p)->kind;
	if (k == INTERP_TOK_PLUS || k == INTERP_TOK_MINUS) {
		advance(p);
		if (cur(p)->kind == INTERP_TOK_NUMBER)
			advance(p);
	} else if (k == INTERP_TOK_NUMBER || k == INTERP_TOK_STRING || k == INTERP_TOK_COMMA) {
		advance(p);
	}
}

/* A landmark with an optional offset, or `track N`. */
static bool read_point(struct parser *p, struct plan_point *pt, struct interp_loc *loc,
		       bool *is_track)
{
	const struct interp_token *t = cur(p);
	char buf[40];
	*loc = at(p);
	pt->col = loc->col;
	*is_track = false;
	if (t->kind != INTERP_TOK_WORD) {
		if (t->kind != INTERP_TOK_BAD)
			interp_error(p->d, at(p), "expected a landmark (like 'lower-back' or 'L4'), got %s",
				     describe(t, buf, sizeof(buf)));
		skip_bad_point(p);
		return false;
	}
	advance(p);
	if (t->len == 5 && memcmp(t->text, "track", 5) == 0) {
		const struct interp_token *n = cur(p);
		int64_t mm = 0;
		int rc = n->kind == INTERP_TOK_NUMBER && !n->decimal
				 ? interp_read_length_mm(n->text, n->len, &mm) : -EINVAL;
		if (rc != 0) {
			if (rc == -ERANGE)
				interp_error(p->d, n->loc, "track position %s is too large",
					     describe(n, buf, sizeof(buf)));
			else if (n->kind != INTERP_TOK_BAD)
				interp_error(p->d, at(p),
					     "expected a position like '420mm' after 'track', got %s",
					     describe(n, buf, sizeof(buf)));
			if (n->kind == INTERP_TOK_NUMBER)
				advance(p);
			return false;
		}
		advance(p);
		pt->landmark = PLAN_TRACK_POINT;
		pt->offset_mm = (int32_t)mm;
		*is_track = true;
		if (cur(p)->kind == INTERP_TOK_PLUS || cur(p)->kind == INTERP_TOK_MINUS) {
			interp_error(p->d, cur(p)->loc, "a 'track' position takes no offset");
			int32_t ignored;
			read_offset(p, &ignored);
			return false;
		}
		return true;
	}
	int lm = body_landmark_lookup(t->text, t->len);
	if (lm < 0) {
		const char *hint = interp_suggest(t->text, t->len, interp_landmark_words,
						  BODY_LANDMARK_COUNT + 1);
		if (hint)
			interp_error(p->d, t->loc, "unknown landmark %s; did you mean '%s'?",
				     describe(t, buf, sizeof(buf)), hint);
		else
			interp_error(p->d, t->loc, "unknown landmark %s", describe(t, buf, sizeof(buf)));
		int32_t ignored;
		read_offset(p, &ignored);
		return false;
	}
	pt->landmark = (int16_t)lm;
	pt->offset_mm = 0;
	return read_offset(p, &pt->offset_mm);
}

/* True when t is the word w. */
static bool is_word(const struct interp_token *t, const char *w)
{
	return t->kind == INTERP_TOK_WORD && t->len == strlen(w) && memcmp(t->text, w, t->len) == 0;
}

/* True when t is an option's word (`for`, `speed`...): never a landmark. */
static bool is_option_word(const struct interp_token *t)
{
	return t->kind == INTERP_TOK_WORD &&
	       interp_word_index(t->text, t->len, interp_opt_name, INTERP_OPT_COUNT) >= 0;
}

/* The point after `..`. An option's word or the line's end there means the point is
 * missing: one error, and the option is left to be read as an option. */
static bool read_range_end(struct parser *p, struct interp_where *w)
{
	const struct interp_token *t = cur(p);
	char buf[40];
	if (t->kind == INTERP_TOK_EOL || is_option_word(t)) {
		w->b_loc = at(p);
		interp_error(p->d, at(p), "expected a point after '..', got %s",
			     describe(t, buf, sizeof(buf)));
		return false;
	}
	return read_point(p, &w->w.b, &w->b_loc, &w->b_track);
}

/* A zone (landmark or range) or, for glide and trigger-point, a range or a point. */
static void read_where(struct parser *p)
{
	struct interp_where *w = &p->st->where;
	const struct interp_token *t = cur(p);
	char buf[40];
	/* An option word where the zone should be: the zone is missing. */
	if (t->kind == INTERP_TOK_EOL || is_option_word(t) ||
	    (p->st->kw == INTERP_KW_TRIGGER_POINT && is_word(t, "guided"))) {
		interp_error(p->d, at(p), "expected a %s after '%s', got %s",
			     p->st->kw == INTERP_KW_TRIGGER_POINT ? "point" : "zone",
			     interp_kw_name[p->st->kw], describe(t, buf, sizeof(buf)));
		w->bad = true;
		fail(p);
		return;
	}
	w->present = true;
	if (!read_point(p, &w->w.a, &w->loc, &w->a_track))
		w->bad = true;
	if (cur(p)->kind == INTERP_TOK_DOTDOT) {
		advance(p);
		w->w.is_range = true;
		if (!read_range_end(p, w))
			w->bad = true;
	}
	if (w->bad)
		fail(p);
}

/* ---- options ---- */

static void list_options(unsigned allowed, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int o = 0; o < INTERP_OPT_COUNT; o++) {
		if (!(allowed & (1u << o)))
			continue;
		int w = snprintf(buf + used, n - used, "%s%s", used ? ", " : "", interp_opt_name[o]);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
}

/* Skip an unknown option's value, so it is not reported as a second mistake. */
static void skip_value(struct parser *p)
{
	enum interp_tok k = cur(p)->kind;
	if (k == INTERP_TOK_NUMBER || k == INTERP_TOK_BAD)
		advance(p);
	else if (k == INTERP_TOK_WORD &&
		 interp_word_index(cur(p)->text, cur(p)->len, interp_opt_name, INTERP_OPT_COUNT) < 0)
		advance(p);
}

/* `trigger-point POINT guided`: the word comes right after the point. */
static void read_guided(struct parser *p)
{
	if (p->st->kw != INTERP_KW_TRIGGER_POINT || !is_word(cur(p), "guided"))
		return;
	p->st->guided = true;
	p->st->guided_loc = cur(p)->loc;
	advance(p);
}

static void read_options(struct parser *p)
{
	struct interp_stmt *st = p->st;
	unsigned allowed = st->guided ? interp_guided_options() : interp_kw_options(st->kw);
	const char *kw = st->guided ? "a guided trigger-point" : interp_kw_name[st->kw];
	char buf[40], list[120];
	while (cur(p)->kind != INTERP_TOK_EOL) {
		const struct interp_token *t = cur(p);
		if (t->kind == INTERP_TOK_BAD) {
			fail(p);
			advance(p);
			continue;
		}
		list_options(allowed, list, sizeof(list));
		if (t->kind == INTERP_TOK_COMMA && st->where.present) {
			interp_error(p->d, t->loc,
				     "%s works one zone, not a list; for several, write a range 'A..B'", kw);
			fail(p);
			advance(p);
			/* Step over the listed zone, so it is not taken for an option. */
			if (cur(p)->kind == INTERP_TOK_WORD &&
			    interp_word_index(cur(p)->text, cur(p)->len, interp_opt_name,
					      INTERP_OPT_COUNT) < 0) {
				advance(p);
				if (cur(p)->kind == INTERP_TOK_PLUS || cur(p)->kind == INTERP_TOK_MINUS) {
					advance(p);
					if (cur(p)->kind == INTERP_TOK_NUMBER)
						advance(p);
				}
			}
			continue;
		}
		if (t->kind != INTERP_TOK_WORD) {
			interp_error(p->d, t->loc, "unexpected %s; %s takes %s",
				     describe(t, buf, sizeof(buf)), kw, list);
			fail(p);
			advance(p);
			continue;
		}
		advance(p);
		int o = interp_word_index(t->text, t->len, interp_opt_name, INTERP_OPT_COUNT);
		if (o < 0 && st->kw == INTERP_KW_TRIGGER_POINT && is_word(t, "guided")) {
			interp_error(p->d, t->loc,
				     "'guided' comes right after the point: 'trigger-point POINT guided ...'");
			fail(p);
			continue;
		}
		if (o < 0) {
			const char *names[INTERP_OPT_COUNT];
			int n = 0;
			for (int k = 0; k < INTERP_OPT_COUNT; k++)
				if (allowed & (1u << k))
					names[n++] = interp_opt_name[k];
			const char *hint = interp_suggest(t->text, t->len, names, n);
			if (hint)
				interp_error(p->d, t->loc, "unknown option %s for %s; did you mean '%s'?",
					     describe(t, buf, sizeof(buf)), kw, hint);
			else
				interp_error(p->d, t->loc, "unknown option %s for %s; it takes %s",
					     describe(t, buf, sizeof(buf)), kw, list);
			fail(p);
			skip_value(p);
			continue;
		}
		struct interp_value scratch = {0};
		struct interp_value *v = &st->opt[o];
		if (!(allowed & (1u << o))) {
			interp_error(p->d, t->loc, "%s takes no '%s'; it takes %s", kw,
				     interp_opt_name[o], list);
			fail(p);
			v = &scratch;
		} else if (v->set) {
			interp_error(p->d, t->loc, "'%s' given twice", interp_opt_name[o]);
			fail(p);
			v = &scratch;
		}
		v->set = true;
		v->loc = t->loc;
		switch ((enum interp_opt)o) {
		case INTERP_OPT_WIDTH:
			read_choice(p, "width", interp_width_name, 1, 4, v);
			break;
		case INTERP_OPT_HOLD:
		case INTERP_OPT_RAMP:
		case INTERP_OPT_RELEASE:
		case INTERP_OPT_FOR:
		case INTERP_OPT_CYCLE:
			read_duration(p, interp_opt_name[o], v);
			break;
		default:
			read_int(p, interp_opt_name[o], v);
			break;
		}
	}
}

/* ---- statements ---- */

static void expect_end(struct parser *p)
{
	char buf[40];
	const struct interp_token *t = cur(p);
	if (t->kind == INTERP_TOK_EOL)
		return;
	if (t->kind != INTERP_TOK_BAD)
		interp_error(p->d, t->loc, "unexpected %s after '%s'", describe(t, buf, sizeof(buf)),
			     interp_kw_name[p->st->kw]);
	fail(p);
}

static void read_tags(struct parser *p)
{
	struct interp_stmt *st = p->st;
	struct interp_program *prog = p->prog;
	char *dst = prog->arena + prog->arena_used;
	size_t n = 0;
	char buf[40];
	st->str_loc = at(p);
	for (;;) {
		const struct interp_token *t = cur(p);
		if (t->kind != INTERP_TOK_WORD) {
			if (t->kind != INTERP_TOK_BAD)
				interp_error(p->d, at(p), "expected a tag word, got %s",
					     describe(t, buf, sizeof(buf)));
			fail(p);
			break;
		}
		advance(p);
		if (n)
			dst[n++] = ',';
		memcpy(dst + n, t->text, t->len);
		n += t->len;
		if (cur(p)->kind == INTERP_TOK_EOL)
			break;
		if (cur(p)->kind != INTERP_TOK_COMMA) {
			if (cur(p)->kind != INTERP_TOK_BAD)
				interp_error(p->d, cur(p)->loc, "expected ',' between tags, got %s",
					     describe(cur(p), buf, sizeof(buf)));
			fail(p);
			break;
		}
		advance(p);
	}
	dst[n] = '\0';
	prog->arena_used += n + 1;
	st->str = dst;
	st->str_len = (uint32_t)n;
}

static void read_air(struct parser *p)
{
	struct interp_stmt *st = p->st;
	char buf[40];
	if (cur(p)->kind == INTERP_TOK_WORD && cur(p)->len == 3 && memcmp(cur(p)->text, "off", 3) == 0) {
		advance(p);
		st->off = true;
		expect_end(p);
		return;
	}
	st->where.loc = at(p);
	for (;;) {
		const struct interp_token *t = cur(p);
		if (t->kind != INTERP_TOK_WORD ||
		    interp_word_index(t->text, t->len, interp_opt_name, INTERP_OPT_COUNT) >= 0) {
			if (t->kind != INTERP_TOK_BAD)
				interp_error(p->d, at(p), "expected an air zone or 'off' after %s, got %s",
					     st->air_mask ? "','" : "'air'", describe(t, buf, sizeof(buf)));
			fail(p);
			break;
		}
		advance(p);
		int z = interp_word_index(t->text, t->len, interp_air_zone_name, HAL_AIRBAG_COUNT);
		if (z < 0) {
			const char *hint = interp_suggest(t->text, t->len, interp_air_zone_name,
							  HAL_AIRBAG_COUNT);
			if (hint)
				interp_error(p->d, t->loc, "unknown air zone %s; did you mean '%s'?",
					     describe(t, buf, sizeof(buf)), hint);
			else
				interp_error(p->d, t->loc,
					     "unknown air zone %s; zones are shoulders, arms, waist, seat, calves, feet",
					     describe(t, buf, sizeof(buf)));
			fail(p);
		} else if (st->air_mask & (1u << z)) {
			interp_error(p->d, t->loc, "air zone '%s' listed twice", interp_air_zone_name[z]);
			fail(p);
		} else {
			st->air_mask |= (uint8_t)(1u << z);
		}
		if (cur(p)->kind != INTERP_TOK_COMMA)
			break;
		advance(p);
	}
	read_options(p);
}

static void read_heat(struct parser *p)
{
	struct interp_stmt *st = p->st;
	char buf[40];
	const struct interp_token *t = cur(p);
	if (t->kind == INTERP_TOK_WORD && t->len == 3 && memcmp(t->text, "off", 3) == 0) {
		advance(p);
		st->off = true;
		st->heat_mask = 3;
		expect_end(p);
		return;
	}
	struct interp_value where = {0};
	if (!read_choice(p, "heater", interp_heat_name, 0, 3, &where)) {
		if (cur(p)->kind == INTERP_TOK_EOL)
			return;
	} else {
		st->heat_mask = where.v == 0 ? 1 : where.v == 1 ? 2 : 3;
	}
	st->where.loc = where.vloc;
	t = cur(p);
	if (t->kind == INTERP_TOK_WORD && t->len == 3 && memcmp(t->text, "off", 3) == 0) {
		advance(p);
		st->off = true;
	} else if (t->kind == INTERP_TOK_WORD && t->len == 2 && memcmp(t->text, "on", 2) == 0) {
		advance(p);
		t = cur(p);
		if (t->kind == INTERP_TOK_NUMBER) {
			advance(p);
			st->arg.set = true;
			st->arg.loc = st->arg.vloc = t->loc;
			int rc = t->decimal ? -EINVAL : interp_read_temp_c(t->text, t->len, &st->arg.v);
			if (rc != 0) {
				st->arg.bad = true;
				fail(p);
				if (rc == -ERANGE)
					interp_error(p->d, t->loc, "temperature %s is too large",
						     describe(t, buf, sizeof(buf)));
				else
					interp_error(p->d, t->loc,
						     "expected a temperature like '40c', got %s",
						     describe(t, buf, sizeof(buf)));
			}
		}
	} else {
		if (t->kind != INTERP_TOK_BAD)
			interp_error(p->d, at(p), "expected 'on' or 'off' after the heater, got %s",
				     describe(t, buf, sizeof(buf)));
		fail(p);
		return;
	}
	expect_end(p);
}

/* An unknown first word: the likeliest statement it was meant to be. */
static void unknown_statement(struct parser *p, const struct interp_token *t)
{
	char buf[40];
	const char *hint = interp_suggest(t->text, t->len, interp_kw_name, INTERP_KW_COUNT);
	bool technique = !hint || interp_word_index(hint, strlen(hint), interp_technique_name,
						    INTERP_TECHNIQUE_COUNT) >= 0;
	const char *what = technique ? "technique" : "statement";
	if (hint)
		interp_error(p->d, t->loc, "unknown %s %s; did you mean '%s'?", what,
			     describe(t, buf, sizeof(buf)), hint);
	else
		interp_error(p->d, t->loc, "unknown %s %s", what, describe(t, buf, sizeof(buf)));
}

static int push_stmt(struct interp_program *prog, struct interp_stmt **out)
{
	if (prog->count == prog->cap) {
		uint32_t cap = prog->cap ? prog->cap * 2 : 64;
		struct interp_stmt *s = realloc(prog->stmts, (size_t)cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		prog->stmts = s;
		prog->cap = cap;
	}
	*out = &prog->stmts[prog->count++];
	memset(*out, 0, sizeof(**out));
	return 0;
}

/* Parse the statement in p->tok. */
static int parse_statement(struct parser *p)
{
	const struct interp_token *first = cur(p);
	char buf[40];
	if (first->kind == INTERP_TOK_EOL)
		return 0;
	if (first->kind == INTERP_TOK_BAD) {
		p->prog->unknown_lines++;
		return 0;
	}
	if (first->kind != INTERP_TOK_WORD) {
		interp_error(p->d, first->loc, "expected a statement, got %s",
			     describe(first, buf, sizeof(buf)));
		p->prog->unknown_lines++;
		return 0;
	}
	int kw = interp_word_index(first->text, first->len, interp_kw_name, INTERP_KW_COUNT);
	if (kw < 0) {
		unknown_statement(p, first);
		p->prog->unknown_lines++;
		return 0;
	}
	struct interp_stmt *st;
	if (push_stmt(p->prog, &st) != 0)
		return -ENOMEM;
	p->st = st;
	st->kw = (enum interp_kw)kw;
	st->loc = first->loc;
	st->end = p->end;
	advance(p);

	switch (st->kw) {
	case INTERP_KW_PROGRAM:
		read_string(p, "the program's name");
		expect_end(p);
		break;
	case INTERP_KW_DESCRIPTION:
		read_string(p, "a description");
		expect_end(p);
		break;
	case INTERP_KW_PHASE:
		read_string(p, "the phase's name");
		expect_end(p);
		break;
	case INTERP_KW_TAGS:
		read_tags(p);
		break;
	case INTERP_KW_LEVEL:
		st->arg.set = true;
		read_choice(p, "level", interp_level_name, 0, 3, &st->arg);
		expect_end(p);
		break;
	case INTERP_KW_RECLINE:
		st->arg.set = true;
		read_choice(p, "recline position", interp_recline_name, 1, 4, &st->arg);
		expect_end(p);
		break;
	case INTERP_KW_PAUSE:
		st->arg.set = true;
		st->arg.loc = st->loc;
		read_duration(p, "pause", &st->arg);
		expect_end(p);
		break;
	case INTERP_KW_REPEAT:
		st->arg.set = true;
		st->arg.loc = st->loc;
		read_int(p, "repeat", &st->arg);
		expect_end(p);
		break;
	case INTERP_KW_END:
		expect_end(p);
		break;
	case INTERP_KW_AIR:
		read_air(p);
		break;
	case INTERP_KW_HEAT:
		read_heat(p);
		break;
	case INTERP_KW_STRETCH:
		read_options(p);
		break;
	default: /* the techniques */
		read_where(p);
		read_guided(p);
		read_options(p);
		break;
	}
	return 0;
}

/* Tokens of the current line into p->tok; false when the line had too many. */
static bool tokenize_line(struct parser *p, struct interp_lexer *lx)
{
	p->ntok = 0;
	p->pos = 0;
	p->end = (struct interp_loc){lx->line, 1};
	for (;;) {
		struct interp_token *t = &p->tok[p->ntok];
		interp_lexer_next(lx, t);
		if (t->kind == INTERP_TOK_EOL) {
			p->ntok++;
			return true;
		}
		p->end = (struct interp_loc){t->loc.line, t->loc.col + t->len};
		if (p->ntok == INTERP_LINE_TOKENS_MAX - 1) {
			interp_error(p->d, t->loc, "line has more than %d words", INTERP_LINE_TOKENS_MAX - 1);
			t->kind = INTERP_TOK_EOL;
			p->ntok++;
			return false;
		}
		p->ntok++;
	}
}

int interp_parse(const char *src, size_t len, const char *file, struct interp_diags *d,
		 struct interp_program **out)
{
	*out = NULL;
	struct interp_program *prog = calloc(1, sizeof(*prog));
	if (!prog)
		return -ENOMEM;
	prog->file = file;
	if (len > PLAN_FILE_MAX) {
		interp_error(d, (struct interp_loc){1, 1}, "file is %zu bytes long; at most %u are allowed",
			     len, PLAN_FILE_MAX);
		prog->rejected = true;
		*out = prog;
		return 0;
	}
	size_t bad = interp_utf8_invalid_at(src, len);
	if (bad < len) {
		uint32_t line = 1;
		size_t line_start = 0;
		for (size_t i = 0; i < bad; i++)
			if (src[i] == '\n') {
				line++;
				line_start = i + 1;
			}
		interp_error(d, (struct interp_loc){line, (uint32_t)(bad - line_start + 1)},
			     "file is not valid UTF-8 (byte 0x%02x)", (unsigned char)src[bad]);
	}
	prog->arena_bytes = len + 2;
	prog->arena = malloc(prog->arena_bytes);
	struct parser p = {.d = d, .prog = prog};
	p.tok = malloc(INTERP_LINE_TOKENS_MAX * sizeof(*p.tok));
	if (!prog->arena || !p.tok) {
		free(p.tok);
		interp_program_free(prog);
		return -ENOMEM;
	}

	struct interp_lexer lx;
	interp_lexer_init(&lx, src, len, d);
	int rc = 0;
	while (rc == 0 && interp_lexer_more(&lx)) {
		if (tokenize_line(&p, &lx))
			rc = parse_statement(&p);
		interp_lexer_next_line(&lx);
	}
	free(p.tok);
	if (rc != 0) {
		interp_program_free(prog);
		return rc;
	}
	*out = prog;
	return 0;
}

void interp_program_free(struct interp_program *prog)
{
	if (!prog)
		return;
	free(prog->stmts);
	free(prog->arena);
	free(prog);
}
