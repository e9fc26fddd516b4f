/* The planner: a consultation and what the chair has learnt about a person turned into a
 * program in the technique language (PROGRAMS.md), fitted to the chosen duration, that the
 * checker passes and that keeps every limit of the consultation.
 *
 * A plan is a warm-up (gentle rolling over the region to be worked, heat where allowed and
 * welcome), one work phase per pain area, highest pain first, with techniques fit for it
 * (trigger-point holds for a knot, myofascial glides for stiffness, kneading for tension,
 * gentle rolling where pressure must stay low), and a cool-down (light rolling or tapping,
 * calf and foot airbags, heat and air off). Without pain areas it is a relaxation plan over
 * the allowed areas of the back.
 *
 * What it never writes: an excluded technique, work in an avoided area (ranges are split
 * around avoided zones, with a margin), a pressure level above the consultation's maximum
 * (above 3 in areas_no_deep, above what a past "too much" allows), heat or air where they are
 * not allowed, `level deep` unless allowed. The planner checks its own output: the text is
 * loaded (parse, check, compile), resolved for the body planned for and for five heights
 * across the supported range, and every step is verified against the limits on each; a
 * plan that fails is never returned. Outside the real-time path; it allocates. */
#ifndef SESSION_PLANNER_H
#define SESSION_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../config.h"
#include "../interp/body.h"
#include "../interp/plan.h"
#include "vocab.h"

#define PLANNER_TEXT_MAX 16384     /* a plan's text is always shorter (at most 128 steps of
				    * under 100 bytes; 1.4 KB in practice) */
#define PLANNER_PHASES_MAX 12
#define PLANNER_NOTES_MAX 8
#define PLANNER_NOTE_LEN 160
#define PLANNER_MARGIN_MM 15       /* kept from the edge of an avoided zone */
#define PLANNER_CEILING_SHARE 0.85 /* a zone's force stays at most this share of its
				    * lowest "too much" */

struct planner_phase {
	char name[48];        /* as the program names it: "Warm-up", "Lower back", "Cool-down" */
	int area;             /* the pain area it works (enum area), -1 for warm-up and cool-down */
	unsigned techniques;  /* technique bits (vocab.h) used in it */
	uint64_t ms;          /* its time on the body planned for, moves included */
};

struct planner_summary {
	int duration_min;         /* the duration planned for, after clamping */
	uint64_t total_ms;        /* the plan's run on the body planned for (plan_resolve) */
	enum plan_level level;
	int phase_count;
	struct planner_phase phases[PLANNER_PHASES_MAX];
	unsigned areas_worked;    /* bit (1u << enum area): rollers or airbags work there */
	unsigned techniques;      /* technique bits used anywhere */
	int peak_pressure_level;  /* highest `pressure` level written, 0 = none */
	bool guided_trigger_points; /* trigger points are guided: the person says "there" and
				     * "eased" (the language's `trigger-point POINT guided`) */
	char text[400];           /* for the panel: "20 min: warm-up 3 min, lower back
				   * (trigger points, kneading) 9 min, ..., cool-down 3 min" */
	int note_count;           /* what the plan leaves out and why, for the person */
	char notes[PLANNER_NOTES_MAX][PLANNER_NOTE_LEN];
};

/* Everything a plan is made from. Only answers and limits are required. */
struct planner_input {
	const struct consult_answers *answers;
	const struct session_limits *limits;
	const struct zone_pref *prefs;         /* AREA_COUNT entries, or NULL: nothing learnt */
	const struct trigger_memory *triggers; /* trigger_count entries, or NULL */
	int trigger_count;
	int duration_min;       /* 0: answers->duration_min; clamped to 5..30, to
				 * limits->max_duration_min and to the chair's session limit */
	const struct chair_config *cfg; /* NULL: the reference chair (config_defaults) */
	const struct body_map *body;    /* the person as scanned; NULL: the default body */
};

/* Write the plan for in into text (NUL-terminated; PLANNER_TEXT_MAX bytes always suffice)
 * and describe it in *summary (may be NULL). Its run on in->body is at most the duration
 * and at least 85 % of it (on other bodies of the supported heights, with the default skin
 * gap: at most the duration, at least 80 %). 0, or:
 *   -EPERM   the consultation says to see a professional first, or leaves nothing to work
 *            (every area avoided, every roller technique excluded); err says why;
 *   -EINVAL  a missing argument or a body or configuration the chair cannot use;
 *   -ENOSPC  text_len too small;
 *   -ENOMEM;
 *   -EPROTO  the planner could not fit a plan that passes its own verification (a bug:
 *            err names the rule).
 * err gets a sentence for people (may be NULL). */
int planner_write_for(const struct planner_input *in, char *text, size_t text_len,
		      struct planner_summary *summary, char *err, size_t err_len);

/* planner_write_for on the reference chair and the default 175 cm body. */
int planner_write(const struct consult_answers *a, const struct session_limits *lim,
		  const struct zone_pref prefs[AREA_COUNT], const struct trigger_memory *tp,
		  int tp_count, int duration_min, char *text, size_t text_len,
		  struct planner_summary *summary, char *err, size_t err_len);

/* The highest pressure level the planner may use in area for these limits and learnt
 * preferences (prefs may be NULL) with a program of the given level: the consultation's
 * maximum, 3 where deep work is excluded, 4 on the neck, what the zone's lowest "too much"
 * allows (level/10 x cap <= 0.85 x ceiling); 0 when not even level 1 is allowed (the zone
 * is then not worked). Exposed so tests and the session can state the same rule. */
int planner_zone_max_level(const struct session_limits *lim, const struct zone_pref *prefs,
			   enum area area, enum plan_level level, const struct interp_limits *il);

#endif
