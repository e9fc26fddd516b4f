/* The consultation rules: a table the chair ships as text (data/consultation.rules, format in
 * docs/consultation.md), loaded and checked whole at start, that turns a person's answers into
 * the limits of their session. The table is data so that a clinician can read and review
 * every rule without reading C; the code only knows how to combine rules, strictest wins.
 *
 * The line syntax (words, "quoted strings", # comments, blocks closed by `end`) is shared with
 * the care advice table (advice.c); its small lexer is declared at the end. */
#ifndef SESSION_RULES_H
#define SESSION_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "vocab.h"

#define RULES_TEXT_MAX 240   /* bytes of a message, reason or professional, with its NUL */
#define RULES_WEEKS_MAX 520

/* A set of areas a rule names: fixed areas, and/or the condition's own area (`its-area`). */
struct rules_areas {
	unsigned areas; /* bit (1u << enum area) */
	bool own_area;
};

enum rules_heat { RULES_HEAT_UNSAID, RULES_HEAT_YES, RULES_HEAT_WELCOME, RULES_HEAT_NO };

/* Where a person's chosen intensity starts from. */
struct rules_intensity {
	int line;                   /* where the table says it, 0 = not said */
	double cap_fraction;        /* of the chair's default cap, (0, 1] */
	int max_pressure_level;     /* 1..10 */
	bool deep_allowed;
};

/* What one condition changes. Unset fields change nothing (cap 1, pressure 10, 30 min). */
struct rules_rule {
	int line;                   /* the `rule` line, 0 = the table has no rule for it */
	double cap_fraction;        /* at most this fraction of the chair's default cap */
	int max_pressure_level;
	bool no_deep_programs;      /* `deep no` */
	unsigned techniques_excluded;
	struct rules_areas avoid, no_deep, no_air, no_heat;
	enum rules_heat heat;
	int max_duration_min;
	int weeks;                  /* > 0: the rule holds while weeks_ago < weeks or unknown */
	char professional[64];      /* `see`: do not go ahead, see them first */
	char reason[RULES_TEXT_MAX];
	char message[RULES_TEXT_MAX];  /* may hold {area} */
	char later[RULES_TEXT_MAX];    /* shown instead once the weeks have passed */
};

struct rules_table {
	struct rules_intensity intensity[INTENSITY_COUNT];
	struct rules_rule rule[COND_COUNT];
};

/* Loads and checks the rules file at path. On success *out is a new table (rules_free it);
 * on failure *out is NULL, nothing is kept, and err says "file:line: what was expected".
 * -ENOENT/-EACCES... when the file cannot be read, -EINVAL when its text is refused. */
int rules_load(const char *path, struct rules_table **out, char *err, size_t len);
/* The same for a text in memory; name stands for the file in messages. */
int rules_load_string(const char *text, const char *name, struct rules_table **out, char *err,
		      size_t len);
void rules_free(struct rules_table *t);

/* Whether answers are complete and in range: -EINVAL with err naming the field
 * ("conditions[1].area: injury needs an area"), else 0. */
int rules_check_answers(const struct consult_answers *a, char *err, size_t len);

/* The limits that follow from the answers: the intensity's start, then every condition's rule,
 * always the strictest of all (lowest cap, pressure and duration, union of exclusions and
 * areas, heat only when no rule forbids it). 0, or -EINVAL when the answers are refused
 * (rules_check_answers) or the cap is not a positive number; then *out is cleared and
 * out->reason holds the message naming the field. */
int rules_evaluate(const struct rules_table *t, const struct consult_answers *a,
		   double chair_default_cap_n, struct session_limits *out);

/* --- The shared line syntax --------------------------------------------------------------- */

#define RULES_LINE_MAX 1024
#define RULES_WORDS_MAX 32

/* One line cut into words; a "quoted string" is one word (quoted[i]), \" and \\ inside it. */
struct rules_line {
	int number;
	int count;
	char *word[RULES_WORDS_MAX];
	bool quoted[RULES_WORDS_MAX];
	char buf[RULES_LINE_MAX];
};

/* A text read line by line; name is the file's name in messages. */
struct rules_lexer {
	const char *name;
	const char *pos;
	int line;
	char *err;
	size_t len;
};

void rules_lexer_init(struct rules_lexer *lx, const char *text, const char *name, char *err,
		      size_t len);
/* The next line that has words: 1, 0 at the end of the text, -EINVAL (with the message) for
 * a line too long, an unterminated string, a control character or too many words. */
int rules_lexer_next(struct rules_lexer *lx, struct rules_line *l);
/* Writes "name:line: message" into the lexer's buffer and returns -EINVAL. */
int rules_lexer_error(struct rules_lexer *lx, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The name among names[0..n) nearest to word (a typo or two away), or NULL. */
const char *rules_suggest(const char *word, const char *const *names, int n);
/* Reads a whole text file of at most 1 MiB into a new NUL-terminated buffer. */
int rules_read_file(const char *path, char **text, char *err, size_t len);

#endif
