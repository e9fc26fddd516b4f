/* The consultation rules table: parsed whole, checked whole, then kept read-only. A table
 * that leaves a condition without a rule is refused, so a new condition can never pass
 * through the chair unlimited because somebody forgot to write its rule. */
#include "rules.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest area name, for checking that a message with {area} still fits. */
#define AREA_NAME_LONGEST 10
#define PLACEHOLDER "{area}"

/* What a block is being parsed, and which keys it already said (duplicates are refused). */
struct parse {
	struct rules_lexer lx;
	struct rules_table *t;
	int cond;            /* the open rule's condition, -1 outside a block */
	unsigned keys_said;  /* bit per entry of keys[] */
	char *last_string;   /* the string a continuation line extends */
};

enum key_kind { K_FRACTION, K_PRESSURE, K_DEEP, K_TECHS, K_AREAS, K_HEAT, K_MINUTES,
		K_WEEKS, K_STRING };

static const struct key {
	const char *name;
	enum key_kind kind;
	size_t offset; /* into struct rules_rule */
} keys[] = {
	{ "cap", K_FRACTION, offsetof(struct rules_rule, cap_fraction) },
	{ "pressure", K_PRESSURE, offsetof(struct rules_rule, max_pressure_level) },
	{ "deep", K_DEEP, offsetof(struct rules_rule, no_deep_programs) },
	{ "exclude", K_TECHS, offsetof(struct rules_rule, techniques_excluded) },
	{ "avoid", K_AREAS, offsetof(struct rules_rule, avoid) },
	{ "no-deep", K_AREAS, offsetof(struct rules_rule, no_deep) },
	{ "no-air", K_AREAS, offsetof(struct rules_rule, no_air) },
	{ "no-heat", K_AREAS, offsetof(struct rules_rule, no_heat) },
	{ "heat", K_HEAT, offsetof(struct rules_rule, heat) },
	{ "max-minutes", K_MINUTES, offsetof(struct rules_rule, max_duration_min) },
	{ "weeks", K_WEEKS, offsetof(struct rules_rule, weeks) },
	{ "see", K_STRING, offsetof(struct rules_rule, professional) },
	{ "reason", K_STRING, offsetof(struct rules_rule, reason) },
	{ "message", K_STRING, offsetof(struct rules_rule, message) },
	{ "later", K_STRING, offsetof(struct rules_rule, later) },
};
#define KEY_COUNT ((int)(sizeof(keys) / sizeof(keys[0])))

/* The names a word could have meant, for suggestions. */
static int key_names(const char **names)
{
	for (int i = 0; i < KEY_COUNT; i++)
		names[i] = keys[i].name;
	return KEY_COUNT;
}

static int technique_names(const char **names)
{
	int n = 0;
	for (unsigned bit = 1; bit && bit <= TECH_HEAT; bit <<= 1)
		if (bit & TECH_MASK_ALL)
			names[n++] = technique_name(bit);
	return n;
}

/* " (did you mean 'x'?)" when one name is near, else "". */
static const char *hint(char *buf, size_t len, const char *word, const char **names, int n)
{
	const char *s = rules_suggest(word, names, n);
	if (!s)
		return "";
	snprintf(buf, len, " (did you mean '%s'?)", s);
	return buf;
}

/* A number that is all of the word, in [lo, hi]: plain digits and a point, nothing a
 * reader could take for something else (no sign, exponent, hex, inf or nan). */
static int parse_number(const char *w, double lo, double hi, double *v)
{
	char *end;
	if (!*w || strspn(w, "0123456789.") != strlen(w))
		return -1;
	errno = 0;
	double x = strtod(w, &end);
	if (end == w || *end || errno || !isfinite(x) || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

static int parse_int(const char *w, int lo, int hi, int *v)
{
	double x;
	if (parse_number(w, lo, hi, &x) || x != floor(x) || strchr(w, '.'))
		return -1;
	*v = (int)x;
	return 0;
}

/* Areas named by words w[1..n), `its-area` for the condition's own one. */
static int parse_areas(struct parse *p, const struct rules_line *l, struct rules_areas *a)
{
	const char *names[AREA_COUNT + 1];
	char buf[64];
	for (int i = 0; i < AREA_COUNT; i++)
		names[i] = area_name(i);
	names[AREA_COUNT] = "its-area";
	for (int i = 1; i < l->count; i++) {
		const char *w = l->word[i];
		int area = area_lookup(w);
		if (l->quoted[i] || (area < 0 && strcmp(w, "its-area") != 0))
			return rules_lexer_error(&p->lx, l->number,
						 "unknown area '%s', expected an area name or its-area%s", w,
						 hint(buf, sizeof(buf), w, names, AREA_COUNT + 1));
		if (area >= 0) {
			a->areas |= 1u << area;
		} else if (!condition_takes_area(p->cond)) {
			return rules_lexer_error(&p->lx, l->number,
						 "'its-area': %s is not about one area (only injury, surgery and skin are)",
						 condition_name(p->cond));
		} else {
			a->own_area = true;
		}
	}
	return 0;
}

/* The value of one key line of a rule block into its field. */
static int parse_value(struct parse *p, const struct rules_line *l, const struct key *k)
{
	struct rules_rule *r = &p->t->rule[p->cond];
	void *field = (char *)r + k->offset;
	const char *w = l->word[1];
	const char *names[16];
	char buf[64];
	bool single = l->count == 2 && !l->quoted[1];

	p->last_string = NULL;
	switch (k->kind) {
	case K_FRACTION:
		if (!single || parse_number(w, 0.01, 1.0, field))
			return rules_lexer_error(&p->lx, l->number,
						 "cap: expected one fraction of the chair's cap in 0.01..1, got '%s'", w);
		return 0;
	case K_PRESSURE:
		if (!single || parse_int(w, 1, 10, field))
			return rules_lexer_error(&p->lx, l->number,
						 "pressure: expected one level 1..10, got '%s'", w);
		return 0;
	case K_MINUTES:
		if (!single ||
		    parse_int(w, CONSULT_DURATION_MIN_MIN, CONSULT_DURATION_MAX_MIN, field))
			return rules_lexer_error(&p->lx, l->number,
						 "max-minutes: expected one whole number of minutes 5..30, got '%s'", w);
		return 0;
	case K_WEEKS:
		if (!condition_takes_area(p->cond))
			return rules_lexer_error(&p->lx, l->number,
						 "weeks: %s has no time of its own (only injury, surgery and skin do)",
						 condition_name(p->cond));
		if (!single || parse_int(w, 1, RULES_WEEKS_MAX, field))
			return rules_lexer_error(&p->lx, l->number,
						 "weeks: expected one whole number of weeks 1..%d, got '%s'",
						 RULES_WEEKS_MAX, w);
		return 0;
	case K_DEEP:
		if (!single || strcmp(w, "no") != 0)
			return rules_lexer_error(&p->lx, l->number,
						 "deep: expected 'no' (a rule can only forbid deep programs), got '%s'", w);
		r->no_deep_programs = true;
		return 0;
	case K_HEAT:
		if (single && strcmp(w, "yes") == 0)
			r->heat = RULES_HEAT_YES;
		else if (single && strcmp(w, "welcome") == 0)
			r->heat = RULES_HEAT_WELCOME;
		else if (single && strcmp(w, "no") == 0)
			r->heat = RULES_HEAT_NO;
		else
			return rules_lexer_error(&p->lx, l->number,
						 "heat: expected yes, welcome or no, got '%s'", w);
		return 0;
	case K_TECHS:
		for (int i = 1; i < l->count; i++) {
			unsigned bit = l->quoted[i] ? 0 : technique_lookup(l->word[i]);
			if (!bit)
				return rules_lexer_error(
					&p->lx, l->number,
					"unknown technique '%s', expected knead, tap, knead-tap, shiatsu, roll, glide, trigger-point, stretch, air or heat%s",
					l->word[i],
					hint(buf, sizeof(buf), l->word[i], names, technique_names(names)));
			r->techniques_excluded |= bit;
		}
		return 0;
	case K_AREAS:
		return parse_areas(p, l, field);
	case K_STRING:
		if (l->count != 2 || !l->quoted[1])
			return rules_lexer_error(&p->lx, l->number, "%s: expected one \"quoted text\"",
						 k->name);
		if (strlen(w) >= (k->offset == offsetof(struct rules_rule, professional)
					  ? sizeof(r->professional) : RULES_TEXT_MAX))
			return rules_lexer_error(&p->lx, l->number, "%s: text too long", k->name);
		strcpy(field, w);
		if (k->offset != offsetof(struct rules_rule, professional))
			p->last_string = field;
		return 0;
	}
	return -EINVAL;
}

/* A line of words "intensity NAME cap F pressure N deep yes|no", each part required. */
static int parse_intensity(struct parse *p, const struct rules_line *l)
{
	const char *names[INTENSITY_COUNT];
	char buf[64];
	int i = l->count > 1 ? intensity_lookup(l->word[1]) : -1;
	if (i < 0) {
		for (int k = 0; k < INTENSITY_COUNT; k++)
			names[k] = intensity_name(k);
		const char *w = l->count > 1 ? l->word[1] : "";
		return rules_lexer_error(&p->lx, l->number,
					 "intensity: expected gentle, normal or firm, got '%s'%s", w,
					 hint(buf, sizeof(buf), w, names, INTENSITY_COUNT));
	}
	struct rules_intensity *in = &p->t->intensity[i];
	if (in->line)
		return rules_lexer_error(&p->lx, l->number, "intensity %s is already given at line %d",
					 intensity_name(i), in->line);
	if (l->count != 8 || strcmp(l->word[2], "cap") || strcmp(l->word[4], "pressure") ||
	    strcmp(l->word[6], "deep"))
		return rules_lexer_error(&p->lx, l->number,
					 "intensity %s: expected 'cap F pressure N deep yes|no'", intensity_name(i));
	if (parse_number(l->word[3], 0.01, 1.0, &in->cap_fraction))
		return rules_lexer_error(&p->lx, l->number,
					 "intensity %s: cap: expected a fraction 0.01..1, got '%s'",
					 intensity_name(i), l->word[3]);
	if (parse_int(l->word[5], 1, 10, &in->max_pressure_level))
		return rules_lexer_error(&p->lx, l->number,
					 "intensity %s: pressure: expected a level 1..10, got '%s'",
					 intensity_name(i), l->word[5]);
	if (strcmp(l->word[7], "yes") && strcmp(l->word[7], "no"))
		return rules_lexer_error(&p->lx, l->number, "intensity %s: deep: expected yes or no, got '%s'",
					 intensity_name(i), l->word[7]);
	in->deep_allowed = strcmp(l->word[7], "yes") == 0;
	in->line = l->number;
	return 0;
}

/* Placeholders: only {area}, and only for a rule whose condition has an area. Also checks
 * that the text still fits once the longest area name is put in. */
static int check_text(struct parse *p, const struct rules_rule *r, const char *what,
		      const char *s)
{
	size_t grow = 0;
	for (const char *b = strchr(s, '{'); b; b = strchr(b + 1, '{')) {
		if (strncmp(b, PLACEHOLDER, strlen(PLACEHOLDER)) != 0)
			return rules_lexer_error(&p->lx, r->line,
						 "rule %s: %s: unknown placeholder at '%.12s', expected {area}",
						 condition_name(p->cond), what, b);
		if (!condition_takes_area(p->cond))
			return rules_lexer_error(&p->lx, r->line,
						 "rule %s: %s: {area} but %s is not about one area",
						 condition_name(p->cond), what,
						 condition_name(p->cond));
		grow += AREA_NAME_LONGEST - strlen(PLACEHOLDER);
	}
	if (strlen(s) + grow >= RULES_TEXT_MAX)
		return rules_lexer_error(&p->lx, r->line, "rule %s: %s: text too long once the area is put in",
					 condition_name(p->cond), what);
	return 0;
}

/* At `end`: what a rule needs as a whole (errors name the rule's first line). */
static int close_rule(struct parse *p)
{
	struct rules_rule *r = &p->t->rule[p->cond];
	const char *c = condition_name(p->cond);
	if (!r->message[0])
		return rules_lexer_error(&p->lx, r->line, "rule %s: missing 'message', what the person is told", c);
	if (r->professional[0] && !r->reason[0])
		return rules_lexer_error(&p->lx, r->line, "rule %s: 'see' needs a 'reason' shown with it", c);
	if (r->reason[0] && !r->professional[0])
		return rules_lexer_error(&p->lx, r->line, "rule %s: 'reason' without 'see': expected the professional to see", c);
	if (r->professional[0] &&
	    (!strstr(r->message, r->professional) || !strstr(r->reason, r->professional)))
		return rules_lexer_error(&p->lx, r->line, "rule %s: message and reason must name the professional '%s'",
					 c, r->professional);
	if (r->later[0] && !r->weeks)
		return rules_lexer_error(&p->lx, r->line, "rule %s: 'later' needs 'weeks', when it applies", c);
	int rc = check_text(p, r, "message", r->message);
	if (!rc)
		rc = check_text(p, r, "reason", r->reason);
	if (!rc)
		rc = check_text(p, r, "later", r->later);
	p->cond = -1;
	return rc;
}

/* A word of a rule block: a key line, a continuation string, or `end`. */
static int parse_block_line(struct parse *p, const struct rules_line *l)
{
	const char *names[KEY_COUNT];
	char buf[64];
	if (l->count == 1 && l->quoted[0]) {
		if (!p->last_string)
			return rules_lexer_error(&p->lx, l->number,
						 "a string on its own continues a message, reason or later line");
		if (strlen(p->last_string) + 1 + strlen(l->word[0]) >= RULES_TEXT_MAX)
			return rules_lexer_error(&p->lx, l->number, "text too long");
		strcat(p->last_string, " ");
		strcat(p->last_string, l->word[0]);
		return 0;
	}
	if (l->quoted[0])
		return rules_lexer_error(&p->lx, l->number, "expected a key before the string");
	if (strcmp(l->word[0], "end") == 0)
		return l->count == 1 ? close_rule(p)
				     : rules_lexer_error(&p->lx, l->number, "'end' stands alone");
	if (strcmp(l->word[0], "rule") == 0)
		return rules_lexer_error(&p->lx, l->number, "rule %s (line %d) is not closed: expected 'end' before the next rule",
					 condition_name(p->cond), p->t->rule[p->cond].line);
	for (int i = 0; i < KEY_COUNT; i++) {
		if (strcmp(l->word[0], keys[i].name) != 0)
			continue;
		if (p->keys_said & (1u << i))
			return rules_lexer_error(&p->lx, l->number, "rule %s: '%s' is said twice",
						 condition_name(p->cond), keys[i].name);
		p->keys_said |= 1u << i;
		if (l->count < 2)
			return rules_lexer_error(&p->lx, l->number, "%s: missing its value", keys[i].name);
		return parse_value(p, l, &keys[i]);
	}
	return rules_lexer_error(&p->lx, l->number, "unknown key '%s' in rule %s%s", l->word[0],
				 condition_name(p->cond),
				 hint(buf, sizeof(buf), l->word[0], names, key_names(names)));
}

/* `rule NAME` opens a block for one condition; each condition once. */
static int open_rule(struct parse *p, const struct rules_line *l)
{
	const char *names[COND_COUNT];
	char buf[64];
	int c = l->count == 2 && !l->quoted[1] ? condition_lookup(l->word[1]) : -1;
	if (c < 0) {
		for (int i = 0; i < COND_COUNT; i++)
			names[i] = condition_name(i);
		const char *w = l->count > 1 ? l->word[1] : "";
		return rules_lexer_error(&p->lx, l->number, "unknown condition '%s', expected one condition name after 'rule'%s",
					 w, hint(buf, sizeof(buf), w, names, COND_COUNT));
	}
	struct rules_rule *r = &p->t->rule[c];
	if (r->line)
		return rules_lexer_error(&p->lx, l->number, "duplicate rule %s: already given at line %d",
					 condition_name(c), r->line);
	*r = (struct rules_rule){ .line = l->number, .cap_fraction = 1.0, .max_pressure_level = 10,
				  .max_duration_min = CONSULT_DURATION_MAX_MIN };
	p->cond = c;
	p->keys_said = 0;
	p->last_string = NULL;
	return 0;
}

/* The whole text into p->t, then the table as a whole: every intensity, every condition. */
static int parse_all(struct parse *p)
{
	struct rules_line l;
	int rc;
	while ((rc = rules_lexer_next(&p->lx, &l)) == 1) {
		if (p->cond >= 0)
			rc = parse_block_line(p, &l);
		else if (!l.quoted[0] && strcmp(l.word[0], "rule") == 0)
			rc = open_rule(p, &l);
		else if (!l.quoted[0] && strcmp(l.word[0], "intensity") == 0)
			rc = parse_intensity(p, &l);
		else
			rc = rules_lexer_error(&p->lx, l.number, "expected 'intensity' or 'rule', got '%s'",
					       l.word[0]);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if (p->cond >= 0)
		return rules_lexer_error(&p->lx, p->t->rule[p->cond].line,
					 "rule %s is not closed: expected 'end' before the end of the file",
					 condition_name(p->cond));
	for (int i = 0; i < INTENSITY_COUNT; i++)
		if (!p->t->intensity[i].line)
			return rules_lexer_error(&p->lx, p->lx.line, "no 'intensity %s' line: expected one for each of gentle, normal, firm",
						 intensity_name(i));
	for (int c = 0; c < COND_COUNT; c++)
		if (!p->t->rule[c].line)
			return rules_lexer_error(&p->lx, p->lx.line, "no rule for condition %s: every condition needs one",
						 condition_name(c));
	return 0;
}

int rules_load_string(const char *text, const char *name, struct rules_table **out, char *err,
		      size_t len)
{
	*out = NULL;
	struct parse p = { .cond = -1 };
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

int rules_load(const char *path, struct rules_table **out, char *err, size_t len)
{
	char *text;
	*out = NULL;
	int rc = rules_read_file(path, &text, err, len);
	if (rc)
		return rc;
	rc = rules_load_string(text, path, out, err, len);
	free(text);
	return rc;
}

void rules_free(struct rules_table *t)
{
	free(t);
}

/* --- Evaluation ------------------------------------------------------------------------- */

int rules_check_answers(const struct consult_answers *a, char *err, size_t len)
{
	if (a->condition_count < 0 || a->condition_count > CONSULT_CONDITIONS_MAX) {
		snprintf(err, len, "conditions: %d of them, expected 0..%d", a->condition_count,
			 CONSULT_CONDITIONS_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < a->condition_count; i++) {
		const struct consult_condition *c = &a->conditions[i];
		if ((unsigned)c->id >= COND_COUNT) {
			snprintf(err, len, "conditions[%d].id: not a known condition", i);
			return -EINVAL;
		}
		if (c->area < -1 || c->area >= AREA_COUNT) {
			snprintf(err, len, "conditions[%d].area: not a known area", i);
			return -EINVAL;
		}
		if (condition_takes_area(c->id) && c->area < 0) {
			snprintf(err, len, "conditions[%d].area: %s needs an area", i, condition_name(c->id));
			return -EINVAL;
		}
		if (c->weeks_ago < -1 || c->weeks_ago > 5200) {
			snprintf(err, len, "conditions[%d].weeks_ago: expected 0..5200, or -1 when not known", i);
			return -EINVAL;
		}
	}
	for (int i = 0; i < AREA_COUNT; i++)
		if (a->pain_score[i] < -1 || a->pain_score[i] > 10) {
			snprintf(err, len, "pain.%s: expected a score 0..10", area_name(i));
			return -EINVAL;
		}
	if (a->goals & ~((1u << GOAL_COUNT) - 1u)) {
		snprintf(err, len, "goals: not a known goal");
		return -EINVAL;
	}
	if ((unsigned)a->intensity >= INTENSITY_COUNT) {
		snprintf(err, len, "intensity: expected gentle, normal or firm");
		return -EINVAL;
	}
	if (a->duration_min < CONSULT_DURATION_MIN_MIN ||
	    a->duration_min > CONSULT_DURATION_MAX_MIN) {
		snprintf(err, len, "duration_min: expected %d..%d minutes", CONSULT_DURATION_MIN_MIN,
			 CONSULT_DURATION_MAX_MIN);
		return -EINVAL;
	}
	return 0;
}

/* s with {area} replaced by the area's name (the loader made sure it fits). */
static void expand(char *dst, size_t len, const char *s, int area)
{
	const char *name = area >= 0 ? area_name(area) : "area";
	size_t n = 0;
	while (*s && n + 1 < len) {
		if (strncmp(s, PLACEHOLDER, strlen(PLACEHOLDER)) == 0) {
			n += (size_t)snprintf(dst + n, len - n, "%s", name);
			if (n >= len)
				n = len - 1;
			s += strlen(PLACEHOLDER);
		} else {
			dst[n++] = *s++;
		}
	}
	dst[n] = '\0';
}

/* Adds a message unless the same text is there already; past the last slot, the last one
 * says that more apply, so nothing is dropped without a word. */
static void add_message(struct session_limits *o, const char *text)
{
	for (int i = 0; i < o->message_count; i++)
		if (strcmp(o->messages[i], text) == 0)
			return;
	if (o->message_count < LIMITS_MESSAGES_MAX) {
		snprintf(o->messages[o->message_count++], LIMITS_MESSAGE_LEN, "%s", text);
		return;
	}
	snprintf(o->messages[LIMITS_MESSAGES_MAX - 1], LIMITS_MESSAGE_LEN, "%s",
		 "More limits apply than can be shown here; the chair keeps to all of them.");
}

static unsigned areas_of(const struct rules_areas *a, int area)
{
	return a->areas | (a->own_area && area >= 0 ? 1u << area : 0u);
}

/* One condition's rule into the limits, strictest wins. */
static void apply(const struct rules_rule *r, const struct consult_condition *c,
		  double *cap_fraction, bool *welcome, struct session_limits *o)
{
	char text[LIMITS_MESSAGE_LEN];
	if (r->weeks > 0 && c->weeks_ago >= r->weeks) {
		if (r->later[0]) {
			expand(text, sizeof(text), r->later, c->area);
			add_message(o, text);
		}
		return;
	}
	if (r->cap_fraction < *cap_fraction)
		*cap_fraction = r->cap_fraction;
	if (r->max_pressure_level < o->max_pressure_level)
		o->max_pressure_level = r->max_pressure_level;
	if (r->no_deep_programs)
		o->deep_allowed = false;
	o->techniques_excluded |= r->techniques_excluded;
	o->areas_avoided |= areas_of(&r->avoid, c->area);
	o->areas_no_deep |= areas_of(&r->no_deep, c->area);
	o->areas_no_air |= areas_of(&r->no_air, c->area);
	o->areas_no_heat |= areas_of(&r->no_heat, c->area);
	if (r->heat == RULES_HEAT_NO)
		o->heat_allowed = false;
	if (r->heat == RULES_HEAT_WELCOME)
		*welcome = true;
	if (r->max_duration_min < o->max_duration_min)
		o->max_duration_min = r->max_duration_min;
	if (r->professional[0] && !o->see_professional_first) {
		o->see_professional_first = true;
		snprintf(o->professional, sizeof(o->professional), "%s", r->professional);
		expand(o->reason, sizeof(o->reason), r->reason, c->area);
	}
	expand(text, sizeof(text), r->message, c->area);
	add_message(o, text);
}

int rules_evaluate(const struct rules_table *t, const struct consult_answers *a,
		   double chair_default_cap_n, struct session_limits *out)
{
	struct session_limits o;
	memset(&o, 0, sizeof(o));
	int rc = rules_check_answers(a, o.reason, sizeof(o.reason));
	if (!rc && !(isfinite(chair_default_cap_n) && chair_default_cap_n > 0)) {
		snprintf(o.reason, sizeof(o.reason), "chair_default_cap_n: expected a positive force in N");
		rc = -EINVAL;
	}
	if (rc) {
		memset(out, 0, sizeof(*out));
		memcpy(out->reason, o.reason, sizeof(out->reason));
		return rc;
	}
	const struct rules_intensity *in = &t->intensity[a->intensity];
	double fraction = in->cap_fraction;
	o.max_pressure_level = in->max_pressure_level;
	o.deep_allowed = in->deep_allowed;
	o.heat_allowed = true;
	o.max_duration_min = CONSULT_DURATION_MAX_MIN;
	bool welcome = false;
	for (int i = 0; i < a->condition_count; i++) {
		const struct consult_condition *c = &a->conditions[i];
		apply(&t->rule[c->id], c, &fraction, &welcome, &o);
	}
	/* Heat as a technique and heat as a switch say the same thing either way. */
	if (o.techniques_excluded & TECH_HEAT)
		o.heat_allowed = false;
	if (!o.heat_allowed)
		o.techniques_excluded |= TECH_HEAT;
	o.heat_welcome = welcome && o.heat_allowed;
	o.cap_n = chair_default_cap_n * fraction;
	*out = o;
	return 0;
}
