/* The planner's working form of a plan, between its choices (planner.c: what to do where,
 * at which level) and its text (planner_fit.c: writing, fitting the duration, verifying,
 * summarizing). Internal to the planner. */
#ifndef SESSION_PLANNER_BUILD_H
#define SESSION_PLANNER_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "../interp/limits.h"
#include "planner.h"

#define PB_ITEMS_MAX 128
#define PB_WHERE_LEN 48
#define PB_MIN_FOR_MS 20000u    /* a flexible step never shorter than this */
#define PB_MAX_FOR_MS 300000u   /* ... nor longer: longer ones are split in two */
#define PB_TARGET_SHARE 0.94    /* the run aimed at, a share of the duration */
#define PB_FIT_ITERATIONS 16

enum pb_kind {
	PB_WORK,  /* a roller technique on a zone or a point */
	PB_PAUSE, /* rollers rest (airbags work) for for_ms */
	PB_LINE,  /* a modal statement (air, heat), written as is */
};

struct pb_item {
	enum pb_kind kind;
	enum plan_op op;          /* PB_WORK */
	int phase;                /* index into pb_plan.phases */
	char where[PB_WHERE_LEN]; /* the zone or point as written */
	char alt[PB_WHERE_LEN];   /* the same span written differently ("" when none), so that
				   * neighbouring steps on one zone are not one long run */
	int level, speed, rate;   /* 0: not written */
	enum plan_width width;    /* PLAN_WIDTH_KEEP: not written */
	uint32_t for_ms;          /* knead, tap, shiatsu, roll and pause */
	uint32_t hold_ms, ramp_ms, release_ms; /* trigger-point; hold also for shiatsu */
	int start_level;          /* trigger-point: a remembered level to start from (0: none) */
	bool flexible;            /* for_ms is scaled to fit the duration */
	int drop_rank;            /* > 0: may be left out when time is short, highest first */
	bool dropped;
	char line[96];            /* PB_LINE */
};

struct pb_phase {
	char name[48];
	int area; /* enum area, or -1 */
};

struct pb_plan {
	char name[PLAN_NAME_MAX + 1];
	char description[PLAN_STRING_MAX + 1];
	char tags[128];
	enum plan_level level;
	int phase_count;
	struct pb_phase phases[PLANNER_PHASES_MAX];
	int item_count;
	struct pb_item items[PB_ITEMS_MAX];
	int note_count;
	char notes[PLANNER_NOTES_MAX][PLANNER_NOTE_LEN];
};

/* The limits as the planner applies them, for fitting and verification. */
struct pb_rules {
	const struct session_limits *lim;
	const struct zone_pref *prefs;   /* or NULL */
	int zone_max[AREA_COUNT];        /* planner_zone_max_level of each area */
	unsigned no_roller;              /* roller areas not worked: avoided or no level left */
	unsigned air_ok;                 /* bit (1u << enum hal_airbag): may be used */
	unsigned heat_ok;                /* bit (1u << enum hal_heater): may be used */
	uint32_t duration_ms;
	bool guided;                     /* the language has guided trigger points */
};

/* The airbag zones' words in programs, by enum hal_airbag. */
extern const char *const pb_airbag_word[];
/* The areas each airbag presses (bit (1u << enum area)), by enum hal_airbag. */
extern const unsigned pb_airbag_areas[];

/* Write the plan's text; its length, or -ENOSPC. */
int pb_render(const struct pb_plan *pp, const struct pb_rules *r, char *text, size_t len);

/* Fit the flexible steps to the duration on the three bodies (the one planned for first),
 * verify the result against r on each, write the text and the summary. 0, -EPROTO (with
 * err) when no plan within the rules fits, -ENOSPC, -ENOMEM. */
int pb_fit(struct pb_plan *pp, const struct pb_rules *r, const struct interp_limits *il,
	   const struct body_map *const bodies[3], double cap_n, char *text, size_t text_len,
	   struct planner_summary *sum, char *err, size_t err_len);

#endif
