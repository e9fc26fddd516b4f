/* Care advice after a session: a table the chair ships as text (data/care-advice.rules, format
 * in docs/consultation.md), loaded and checked whole at start, from which advice_select picks
 * what a person reads when the session ends: stretches for the areas worked, advice for their
 * conditions, what is always said (water, rest, warmth), and when to see a professional. */
#ifndef SESSION_ADVICE_H
#define SESSION_ADVICE_H

#include <stddef.h>

#include "vocab.h"

#define ADVICE_ID_MAX 32     /* bytes of an id, with its NUL */
#define ADVICE_TEXT_MAX 400  /* bytes of a text, with its NUL */
#define ADVICE_TABLE_MAX 96  /* entries in a table */
#define ADVICE_LIST_MAX 24   /* entries given to one person */

/* What an entry is, for the screen to group them. */
enum advice_kind { ADVICE_CARE, ADVICE_STRETCH, ADVICE_SEE_PROFESSIONAL, ADVICE_KIND_COUNT };

/* When an entry is given. */
enum advice_when {
	ADVICE_WHEN_ALWAYS,     /* every session */
	ADVICE_WHEN_AREAS,      /* one of its areas was worked */
	ADVICE_WHEN_CONDITIONS, /* the person has one of its conditions */
	ADVICE_WHEN_PAIN_WORSE, /* an area hurts more after than before; {areas} names them */
};

struct advice_entry {
	int line;
	char id[ADVICE_ID_MAX];
	enum advice_kind kind;
	enum advice_when when;
	unsigned areas;      /* bit (1u << enum area), ADVICE_WHEN_AREAS */
	unsigned conditions; /* bit (1u << enum condition), ADVICE_WHEN_CONDITIONS */
	char text[ADVICE_TEXT_MAX];
};

struct advice_table {
	int count;
	struct advice_entry entry[ADVICE_TABLE_MAX];
};

/* One piece of advice as the person reads it. */
struct advice_item {
	char id[ADVICE_ID_MAX];
	enum advice_kind kind;
	char text[ADVICE_TEXT_MAX];
};

struct advice_list {
	int count;
	struct advice_item item[ADVICE_LIST_MAX];
};

/* Loads and checks the advice file at path. On success *out is a new table (advice_free it);
 * on failure *out is NULL and err says "file:line: what was expected". */
int advice_load(const char *path, struct advice_table **out, char *err, size_t len);
/* The same for a text in memory; name stands for the file in messages. */
int advice_load_string(const char *text, const char *name, struct advice_table **out, char *err,
		       size_t len);
void advice_free(struct advice_table *t);

/* The advice for one finished session, in table order: entries whose areas were worked
 * (unless one of their areas is an injury, surgery or skin area of the answers: those
 * stretches are for the person's physiotherapist to give), whose conditions the person has,
 * the always-on ones, and the pain-worse ones when an area scored higher after than before
 * (both scores 0..10). answers, pain_before and pain_after may be NULL. When more entries
 * match than ADVICE_LIST_MAX, see-professional ones are kept first. 0, or -EINVAL for
 * worked_areas outside the areas. The kind's name: "care", "stretch", "see-professional". */
int advice_select(const struct advice_table *t, unsigned worked_areas,
		  const struct consult_answers *answers, const int pain_before[AREA_COUNT],
		  const int pain_after[AREA_COUNT], struct advice_list *out);
const char *advice_kind_name(enum advice_kind k);

#endif
