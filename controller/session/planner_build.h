/* The planner's working form of a plan, between its choices (planner.c: what to do where,
 * at which level) and its text (planner_fit.c: writing, fitting the duration, verifying,
 * summarizing). Internal to the planner. */
#ifndef SESSION_PLANNER_BUILD_H
#define SESSION_PLANNER_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../interp/limits.h"
#include "planner.h"

#define PLANNER_ITEMS_MAX 128
#define PLANNER_WHERE_LEN 48
#define PLANNER_MIN_FOR_MS 20000u    /* a flexible step never shorter than this */
#define PLANNER_MAX_FOR_MS 300000u   /* ... nor longer: longer ones are split in two */
#define PLANNER_TARGET_SHARE 0.94    /* the run aimed at, a share of the duration */
#define PLANNER_FIT_ITERATIONS 16

enum planner_item_kind {
	PLANNER_WORK,  /* a roller technique on a zone or a point */
	PLANNER_PAUSE, /* rollers rest (airbags work) for for_ms */
	PLANNER_LINE,  /* a modal statement (air, heat), written as is */
};

struct planner_item {
	enum planner_item_kind kind;
	enum plan_op op;          /* PLANNER_WORK */
	int phase;                /* index into planner_plan.phases */
	char where[PLANNER_WHERE_LEN]; /* the zone or point as written */
	char alt[PLANNER_WHERE_LEN];   /* the same span written differently ("" when none), so that
				   * neighbouring steps on one zone are not one long run */
	int level, speed, rate;   /* 0: not written */
	enum plan_width width;    /* PLAN_WIDTH_KEEP: not written */
	uint32_t for_ms;          /* knead, tap, shiatsu, roll and pause */
	uint32_t hold_ms, ramp_ms, release_ms; /* trigger-point; hold also for shiatsu */
	int start_level;          /* trigger-point: a remembered level to start from (0: none) */
	bool flexible;            /* for_ms is scaled to fit the duration */
	int drop_rank;            /* > 0: may be left out when time is short, highest first */
	bool dropped;
	char line[96];            /* PLANNER_LINE */
};

struct planner_draft_phase {
	char name[48];
	int area; /* enum area, or -1 */
};

struct planner_draft {
	char name[PLAN_NAME_MAX + 1];
	char description[PLAN_STRING_MAX + 1];
	char tags[128];
	enum plan_level level;
	int phase_count;
	struct planner_draft_phase phases[PLANNER_PHASES_MAX];
	int item_count;
	struct planner_item items[PLANNER_ITEMS_MAX];
	int note_count;
	char notes[PLANNER_NOTES_MAX][PLANNER_NOTE_LEN];
};

/* The limits as the planner applies them, for fitting and verification. */
struct planner_rules {
	const struct session_limits *lim;
	const struct zone_pref *prefs;   /* or NULL */
	int zone_max[AREA_COUNT];        /* planner_zone_max_level of each area */
	unsigned no_roller;              /* roller areas not worked: avoided or no level left */
	unsigned air_ok;                 /* bit (1u << enum hal_airbag): may be used */
	unsigned heat_ok;                /* bit (1u << enum hal_heater): may be used */
	uint32_t duration_ms;
	bool guided;                     /* the language has guided trigger points */
};

/* The planner's choices being made (planner.c, planner_work.c). */
struct planner_ctx {
	const struct planner_input *in;
	const struct consult_answers *a;
	const struct session_limits *lim;
	const struct interp_limits *il;
	const struct body_map *bodies[3];
	struct planner_rules r;
	struct planner_draft *pp;
	int base;          /* work pressure level before each zone's limits */
	bool low_all;      /* a condition that keeps pressure low everywhere */
	bool tap_ok;       /* tapping is welcome (and allowed) in the cool-down */
	int air_level;
	int cur_phase;
	unsigned worked;   /* roller areas the work phases use */
	unsigned off_track; /* roller areas partly beyond the track for the body planned for */
};

static inline bool planner_has_cond(const struct consult_answers *a, enum condition c)
{
	for (int i = 0; i < a->condition_count && i < CONSULT_CONDITIONS_MAX; i++)
		if (a->conditions[i].id == c)
			return true;
	return false;
}

static inline bool planner_has_goal(const struct consult_answers *a, enum goal g)
{
	return (a->goals & (1u << g)) != 0;
}

static inline bool planner_tech_ok(const struct planner_ctx *c, enum plan_op op)
{
	return !(c->lim->techniques_excluded & (1u << op));
}

static inline int planner_clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static inline void planner_note(struct planner_draft *pp, const char *fmt, const char *what)
{
	if (pp->note_count < PLANNER_NOTES_MAX)
		snprintf(pp->notes[pp->note_count++], PLANNER_NOTE_LEN, fmt, what);
}

/* Phase names of the areas ("Lower back"). */
extern const char *const planner_area_title[];

/* A phase begins; what is added next belongs to it. */
void planner_begin_phase(struct planner_ctx *c, const char *name, int area);
/* A modal statement as written. */
void planner_add_line(struct planner_ctx *c, const char *line);
/* A working step over the workable zones z1..z2 at the lowest level they allow for base;
 * flexible (for_ms is fitted) unless a glide. NULL when the plan is full. */
struct planner_item *planner_add_work(struct planner_ctx *c, enum plan_op op, int z1, int z2,
				      int base, uint32_t for_ms);
/* Gentle strokes over every run of workable zones in z1..z2 for ms in all. */
void planner_gentle_over(struct planner_ctx *c, int z1, int z2, int base, int speed, uint32_t ms);
/* The work on a roller area with pain score pain (0: relaxation) and a budget of ms. */
void planner_work_roller(struct planner_ctx *c, int area, int pain, uint32_t ms);
/* The work on an airbag area (arms, calves, feet) for ms. */
void planner_work_air(struct planner_ctx *c, int area, uint32_t ms);
/* The allowed airbags pressing any of areas, as an `air` zone list; how many. */
int planner_air_zones(const struct planner_ctx *c, unsigned areas, char *buf, size_t n);

/* The airbag zones' words in programs, by enum hal_airbag. */
extern const char *const planner_airbag_word[];
/* The areas each airbag presses (bit (1u << enum area)), by enum hal_airbag. */
extern const unsigned planner_airbag_areas[];

/* Write the plan's text; its length, or -ENOSPC. */
int planner_render(const struct planner_draft *pp, const struct planner_rules *r, char *text,
		   size_t len);

/* Fit the flexible steps to the duration on body (the one planned for) and on heights
 * across the supported range, verify the result against r on each, write the text and
 * the summary. 0, -EPROTO (with err) when no plan within the rules fits, -ENOSPC,
 * -ENOMEM. */
int planner_fit(struct planner_draft *pp, const struct planner_rules *r,
		const struct interp_limits *il, const struct body_map *body, double cap_n,
		char *text, size_t text_len, struct planner_summary *sum, char *err,
		size_t err_len);

#endif
