/* The care advice table: parsed and checked whole at start; selection then only reads it and
 * fills a fixed-size list, so finishing a session allocates nothing. A table is refused when
 * an area has no entry or nothing says when to see a professional: a person must never leave
 * with less than that because an entry was left out of the file. */
#include "advice.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define PLACEHOLDER "{areas}"
/* "upper-back, lower-back and ..." at its longest: every area, with separators */
#define AREAS_TEXT_MAX 128

static const char *const kind_names[ADVICE_KIND_COUNT] = { "care", "stretch", "see-professional" };

const char *advice_kind_name(enum advice_kind k)
{
	return (unsigned)k < ADVICE_KIND_COUNT ? kind_names[k] : "?";
}

struct parse {
	struct rules_lexer lx;
	struct advice_table *t;
	struct advice_entry *open; /* the block being read, NULL outside */
	bool said_kind, said_when, said_text;
	bool text_last;            /* a continuation string extends the text */
};

/* " (did you mean 'x'?)" or "". */
static const char *hint(char *buf, size_t len, const char *word, const char *const *names, int n)
{
	const char *s = rules_suggest(word, names, n);
	if (!s)
		return "";
	snprintf(buf, len, " (did you mean '%s'?)", s);
	return buf;
}

/* `when always | pain-worse | areas AREA... | conditions CONDITION...` */
static int parse_when(struct parse *p, const struct rules_line *l)
{
	struct advice_entry *e = p->open;
	const char *names[COND_COUNT + AREA_COUNT];
	char buf[64];
	const char *w = l->count > 1 && !l->quoted[1] ? l->word[1] : "";
	bool list = strcmp(w, "areas") == 0 || strcmp(w, "conditions") == 0;
	if ((strcmp(w, "always") == 0 || strcmp(w, "pain-worse") == 0) && l->count == 2) {
		e->when = w[0] == 'a' ? ADVICE_WHEN_ALWAYS : ADVICE_WHEN_PAIN_WORSE;
		return 0;
	}
	if (!list || l->count < 3)
		return rules_lexer_error(&p->lx, l->number,
					 "when: expected 'always', 'pain-worse', 'areas AREA...' or 'conditions CONDITION...'");
	bool areas = w[0] == 'a';
	int n = areas ? AREA_COUNT : COND_COUNT;
	for (int i = 0; i < n; i++)
		names[i] = areas ? area_name(i) : condition_name(i);
	e->when = areas ? ADVICE_WHEN_AREAS : ADVICE_WHEN_CONDITIONS;
	for (int i = 2; i < l->count; i++) {
		const char *word = l->word[i];
		int v = l->quoted[i] ? -1 : areas ? area_lookup(word) : condition_lookup(word);
		if (v < 0)
			return rules_lexer_error(&p->lx, l->number, "unknown %s '%s'%s",
						 areas ? "area" : "condition", l->word[i],
						 hint(buf, sizeof(buf), l->word[i], names, n));
		*(areas ? &e->areas : &e->conditions) |= 1u << v;
	}
	return 0;
}

/* An id: lower-case letters, digits and '-', so it reads the same in a log and a URL. */
static bool id_ok(const char *id)
{
	if (!id[0] || strlen(id) >= ADVICE_ID_MAX)
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	return true;
}

static int open_entry(struct parse *p, const struct rules_line *l)
{
	if (l->count != 2 || l->quoted[1] || !id_ok(l->word[1]))
		return rules_lexer_error(&p->lx, l->number,
					 "advice: expected one id of a-z, 0-9 and '-' (at most %d bytes)",
					 ADVICE_ID_MAX - 1);
	for (int i = 0; i < p->t->count; i++)
		if (strcmp(p->t->entry[i].id, l->word[1]) == 0)
			return rules_lexer_error(&p->lx, l->number, "duplicate advice %s: already given at line %d",
						 l->word[1], p->t->entry[i].line);
	if (p->t->count == ADVICE_TABLE_MAX)
		return rules_lexer_error(&p->lx, l->number, "more than %d entries", ADVICE_TABLE_MAX);
	p->open = &p->t->entry[p->t->count++];
	*p->open = (struct advice_entry){ .line = l->number, .kind = ADVICE_CARE };
	strcpy(p->open->id, l->word[1]);
	p->said_kind = p->said_when = p->said_text = p->text_last = false;
	return 0;
}

/* At `end`: an entry needs when and text; {areas} only where areas are known. */
static int close_entry(struct parse *p)
{
	struct advice_entry *e = p->open;
	if (!p->said_when)
		return rules_lexer_error(&p->lx, e->line, "advice %s: missing 'when'", e->id);
	if (!p->said_text)
		return rules_lexer_error(&p->lx, e->line, "advice %s: missing 'text'", e->id);
	const char *b = strchr(e->text, '{');
	if (b && (strncmp(b, PLACEHOLDER, strlen(PLACEHOLDER)) || strchr(b + 1, '{')))
		return rules_lexer_error(&p->lx, e->line, "advice %s: expected at most one {areas} and no other placeholder",
					 e->id);
	if (b && e->when != ADVICE_WHEN_PAIN_WORSE)
		return rules_lexer_error(&p->lx, e->line, "advice %s: {areas} only in a 'when pain-worse' entry", e->id);
	if (b && strlen(e->text) + AREAS_TEXT_MAX >= ADVICE_TEXT_MAX)
		return rules_lexer_error(&p->lx, e->line, "advice %s: text too long for the areas to go in", e->id);
	p->open = NULL;
	return 0;
}

static int parse_entry_line(struct parse *p, const struct rules_line *l)
{
	struct advice_entry *e = p->open;
	static const char *const keys[] = { "kind", "when", "text" };
	char buf[64];
	if (l->count == 1 && l->quoted[0]) {
		if (!p->text_last)
			return rules_lexer_error(&p->lx, l->number, "a string on its own continues a text line");
		if (strlen(e->text) + 1 + strlen(l->word[0]) >= ADVICE_TEXT_MAX)
			return rules_lexer_error(&p->lx, l->number, "advice %s: text too long", e->id);
		strcat(e->text, " ");
		strcat(e->text, l->word[0]);
		return 0;
	}
	const char *k = l->word[0];
	p->text_last = false;
	if (l->quoted[0])
		return rules_lexer_error(&p->lx, l->number, "expected a key before the string");
	if (strcmp(k, "end") == 0)
		return l->count == 1 ? close_entry(p)
				     : rules_lexer_error(&p->lx, l->number, "'end' stands alone");
	if (strcmp(k, "advice") == 0)
		return rules_lexer_error(&p->lx, l->number, "advice %s (line %d) is not closed: expected 'end' before the next advice",
					 e->id, e->line);
	bool *said = strcmp(k, "kind") == 0 ? &p->said_kind
		     : strcmp(k, "when") == 0 ? &p->said_when
		     : strcmp(k, "text") == 0 ? &p->said_text : NULL;
	if (!said)
		return rules_lexer_error(&p->lx, l->number, "unknown key '%s' in advice %s, expected kind, when or text%s",
					 k, e->id, hint(buf, sizeof(buf), k, keys, 3));
	if (*said)
		return rules_lexer_error(&p->lx, l->number, "advice %s: '%s' is said twice", e->id, k);
	*said = true;
	if (said == &p->said_when)
		return parse_when(p, l);
	if (said == &p->said_text) {
		if (l->count != 2 || !l->quoted[1])
			return rules_lexer_error(&p->lx, l->number, "text: expected one \"quoted text\"");
		if (strlen(l->word[1]) >= ADVICE_TEXT_MAX)
			return rules_lexer_error(&p->lx, l->number, "advice %s: text too long", e->id);
		strcpy(e->text, l->word[1]);
		p->text_last = true;
		return 0;
	}
	for (int i = 0; i < ADVICE_KIND_COUNT; i++)
		if (l->count == 2 && !l->quoted[1] && strcmp(l->word[1], kind_names[i]) == 0) {
			e->kind = i;
			return 0;
		}
	const char *w = l->count > 1 ? l->word[1] : "";
	return rules_lexer_error(&p->lx, l->number, "kind: expected care, stretch or see-professional, got '%s'%s",
				 w, hint(buf, sizeof(buf), w, kind_names, ADVICE_KIND_COUNT));
}

/* The table as a whole: every area has an entry, pain worse has one, and something always
 * says when to see a professional. */
static int check_table(struct parse *p)
{
	unsigned areas = 0;
	bool worse = false, professional = false;
	for (int i = 0; i < p->t->count; i++) {
		const struct advice_entry *e = &p->t->entry[i];
		if (e->when == ADVICE_WHEN_AREAS)
			areas |= e->areas;
		worse |= e->when == ADVICE_WHEN_PAIN_WORSE;
		professional |= e->when == ADVICE_WHEN_ALWAYS && e->kind == ADVICE_SEE_PROFESSIONAL;
	}
	for (int a = 0; a < AREA_COUNT; a++)
		if (!(areas & (1u << a)))
			return rules_lexer_error(&p->lx, p->lx.line, "no advice for area %s: every area needs a 'when areas' entry",
						 area_name(a));
	if (!worse)
		return rules_lexer_error(&p->lx, p->lx.line, "no 'when pain-worse' entry: one must say what to do");
	if (!professional)
		return rules_lexer_error(&p->lx, p->lx.line,
					 "no 'kind see-professional' entry 'when always': one must say when to see a professional");
	return 0;
}

static int parse_all(struct parse *p)
{
	struct rules_line l;
	int rc;
	while ((rc = rules_lexer_next(&p->lx, &l)) == 1) {
		if (p->open)
			rc = parse_entry_line(p, &l);
		else if (!l.quoted[0] && strcmp(l.word[0], "advice") == 0)
			rc = open_entry(p, &l);
		else
			rc = rules_lexer_error(&p->lx, l.number, "expected 'advice ID', got '%s'", l.word[0]);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (p->open)
		return rules_lexer_error(&p->lx, p->open->line,
					 "advice %s is not closed: expected 'end' before the end of the file",
					 p->open->id);
	return check_table(p);
}

int advice_load_string(const char *text, const char *name, struct advice_table **out, char *err,
		       size_t len)
{
	*out = NULL;
	struct parse p = { 0 };
	p.t = calloc(1, sizeof(*p.t));
	if (!p.t) {
		snprintf(err, len, "%s: out of memory", name);
		return -ENOMEM;
	}
	rules_lexer_init(&p.lx, text, name, err, len);
	int rc = parse_all(&p);
	if (rc) {
		free(p.t);
		return rc;
	}
	*out = p.t;
	return 0;
}

int advice_load(const char *path, struct advice_table **out, char *err, size_t len)
{
	char *text;
	*out = NULL;
	int rc = rules_read_file(path, &text, err, len);
	if (rc)
		return rc;
	rc = advice_load_string(text, path, out, err, len);
	free(text);
	return rc;
}

void advice_free(struct advice_table *t)
{
	free(t);
}

/* "neck", "neck and lower-back", "neck, mid-back and lower-back". */
static void areas_text(char *dst, size_t len, unsigned areas)
{
	int total = __builtin_popcount(areas), seen = 0;
	size_t n = 0;
	dst[0] = '\0';
	for (int a = 0; a < AREA_COUNT && n < len; a++) {
		if (!(areas & (1u << a)))
			continue;
		const char *sep = seen == 0 ? "" : seen == total - 1 ? " and " : ", ";
		n += (size_t)snprintf(dst + n, len - n, "%s%s", sep, area_name(a));
		seen++;
	}
}

/* Whether entry e goes to this person. */
static bool wanted(const struct advice_entry *e, unsigned worked, unsigned conditions,
		   unsigned sore_areas, unsigned worse)
{
	switch (e->when) {
	case ADVICE_WHEN_ALWAYS:
		return true;
	case ADVICE_WHEN_AREAS:
		return (e->areas & worked) && !(e->areas & sore_areas);
	case ADVICE_WHEN_CONDITIONS:
		return (e->conditions & conditions) != 0;
	case ADVICE_WHEN_PAIN_WORSE:
		return worse != 0;
	}
	return false;
}

int advice_select(const struct advice_table *t, unsigned worked_areas,
		  const struct consult_answers *answers, const int pain_before[AREA_COUNT],
		  const int pain_after[AREA_COUNT], struct advice_list *out)
{
	out->count = 0;
	if (worked_areas & ~AREA_MASK_ALL)
		return -EINVAL;
	unsigned conditions = 0, sore_areas = 0, worse = 0;
	int n = answers ? answers->condition_count : 0;
	for (int i = 0; i < n && i < CONSULT_CONDITIONS_MAX; i++) {
		const struct consult_condition *c = &answers->conditions[i];
		if ((unsigned)c->id >= COND_COUNT)
			return -EINVAL;
		conditions |= 1u << c->id;
		if (condition_takes_area(c->id) && c->area >= 0 && c->area < AREA_COUNT)
			sore_areas |= 1u << c->area;
	}
	for (int a = 0; pain_before && pain_after && a < AREA_COUNT; a++)
		if (pain_before[a] >= 0 && pain_before[a] <= 10 && pain_after[a] >= 0 &&
		    pain_after[a] <= 10 && pain_after[a] > pain_before[a])
			worse |= 1u << a;

	/* Room for every see-professional entry first; the rest fill what is left. */
	int professional = 0;
	for (int i = 0; i < t->count; i++)
		if (t->entry[i].kind == ADVICE_SEE_PROFESSIONAL &&
		    wanted(&t->entry[i], worked_areas, conditions, sore_areas, worse))
			professional++;
	int others = professional < ADVICE_LIST_MAX ? ADVICE_LIST_MAX - professional : 0;

	char areas[AREAS_TEXT_MAX];
	areas_text(areas, sizeof(areas), worse);
	for (int i = 0; i < t->count && out->count < ADVICE_LIST_MAX; i++) {
		const struct advice_entry *e = &t->entry[i];
		if (!wanted(e, worked_areas, conditions, sore_areas, worse))
			continue;
		if (e->kind != ADVICE_SEE_PROFESSIONAL && others-- <= 0)
			continue;
		struct advice_item *it = &out->item[out->count++];
		memcpy(it->id, e->id, sizeof(it->id));
		it->kind = e->kind;
		const char *b = strstr(e->text, PLACEHOLDER);
		if (b)
			snprintf(it->text, sizeof(it->text), "%.*s%s%s", (int)(b - e->text), e->text, areas,
				 b + strlen(PLACEHOLDER));
		else
			memcpy(it->text, e->text, sizeof(it->text));
	}
	return 0;
}
