/* The words of a visit, as the panel API spells them (areas, conditions, goals, intensity),
 * what a consultation answers, what it allows (struct session_limits), and what the chair
 * learns about a person. Shared by the rules table, the planner, the store and the session,
 * so that a name means the same thing in all of them. */
#ifndef SESSION_VOCAB_H
#define SESSION_VOCAB_H

#include <stdbool.h>

/* PANEL.md's names. The first eight areas are exactly enum body_landmark BODY_NECK..BODY_THIGHS
 * (checked in vocab.c); the last three are airbag zones the rollers do not reach. */
enum area {
	AREA_NECK,
	AREA_SHOULDERS,
	AREA_UPPER_BACK,
	AREA_MID_BACK,
	AREA_LOWER_BACK,
	AREA_SACRUM,
	AREA_GLUTES,
	AREA_THIGHS,
	AREA_ARMS,
	AREA_CALVES,
	AREA_FEET,
	AREA_COUNT
};

#define AREA_MASK_ALL ((1u << AREA_COUNT) - 1u)

enum condition {
	COND_ARTHRITIS,
	COND_FIBROMYALGIA,
	COND_BACK_PAIN,
	COND_INJURY,
	COND_SURGERY,
	COND_OSTEOPOROSIS,
	COND_PREGNANCY,
	COND_DVT,
	COND_IMPLANT,
	COND_CANCER,
	COND_FEVER,
	COND_SKIN,
	COND_VARICOSE_VEINS,
	COND_DIABETES_NEUROPATHY,
	COND_BLOOD_THINNERS,
	COND_COUNT
};

enum goal { GOAL_PAIN_RELIEF, GOAL_RELAXATION, GOAL_MOBILITY, GOAL_RECOVERY, GOAL_COUNT };

enum intensity { INTENSITY_GENTLE, INTENSITY_NORMAL, INTENSITY_FIRM, INTENSITY_COUNT };

/* Names as PANEL.md spells them ("lower-back"); "?" for a value out of range. */
const char *area_name(enum area a);
/* The value spelled exactly by name, or -1 when unknown (NULL included). */
int area_lookup(const char *name);
const char *condition_name(enum condition c);
int condition_lookup(const char *name);
const char *goal_name(enum goal g);
int goal_lookup(const char *name);
const char *intensity_name(enum intensity i);
int intensity_lookup(const char *name);

/* Whether a condition is about one place of the body (injury, surgery, skin): then its
 * consult_condition must name an area. */
bool condition_takes_area(enum condition c);

#define CONSULT_CONDITIONS_MAX 16
#define CONSULT_DURATION_MIN_MIN 5
#define CONSULT_DURATION_MAX_MIN 30

struct consult_condition {
	enum condition id;
	int area;      /* enum area or -1 */
	int weeks_ago; /* -1 unknown */
};

struct consult_answers {
	int condition_count;
	struct consult_condition conditions[CONSULT_CONDITIONS_MAX];
	int pain_score[AREA_COUNT]; /* 0..10, -1 = not said */
	unsigned goals;             /* bit (1u << enum goal) */
	enum intensity intensity;
	int duration_min;           /* 5..30 */
};

/* Answers with nothing said yet: no conditions, no pain scores (-1), no goals, normal
 * intensity, 20 minutes. */
void consult_answers_init(struct consult_answers *a);
/* Appends a condition; -ENOSPC when CONSULT_CONDITIONS_MAX are already there. */
int consult_answers_add(struct consult_answers *a, enum condition id, int area, int weeks_ago);

/* Techniques as bits: (1u << enum plan_op) for PLAN_KNEAD..PLAN_STRETCH (interp/plan.h), plus: */
#define TECH_AIR  (1u << 16)
#define TECH_HEAT (1u << 17)
#define TECH_MASK_ALL (0xFFu | TECH_AIR | TECH_HEAT) /* PLAN_KNEAD..PLAN_STRETCH, air, heat */

/* A technique's bit spelled as the program language does ("knead-tap", "trigger-point",
 * "air", "heat"), or 0 when unknown. */
unsigned technique_lookup(const char *name);
/* The name of a single technique bit, or "?" when it is not one. */
const char *technique_name(unsigned bit);

/* What a consultation allows: the rules table's answer (rules.c), the planner's input. */
#define LIMITS_MESSAGES_MAX 12
#define LIMITS_MESSAGE_LEN 240

struct session_limits {
	double cap_n;                 /* force cap for this person, N (<= the chair's default cap) */
	int max_pressure_level;       /* 1..10 */
	bool deep_allowed;            /* programs of `level deep` */
	unsigned techniques_excluded; /* bits as above */
	unsigned areas_avoided;       /* bit (1u << enum area): no work there at all */
	unsigned areas_no_deep;       /* pressure there at most 3 (joints with arthritis ...) */
	unsigned areas_no_air;        /* no airbags there */
	bool heat_allowed;            /* any heat */
	unsigned areas_no_heat;       /* lumbar = AREA_LOWER_BACK, calves = AREA_CALVES */
	int max_duration_min;         /* 5..30 */
	bool see_professional_first;  /* do not go ahead */
	char professional[64];        /* "physician", "physiotherapist", ... when the above */
	char reason[240];             /* shown with it */
	int message_count;
	char messages[LIMITS_MESSAGES_MAX][LIMITS_MESSAGE_LEN]; /* one per rule that applied */
	bool heat_welcome;            /* a rule suggests warmth (arthritis, back pain); only
				       * ever true when heat_allowed */
};

/* Per-user learned data (used by store, planner, session). */
struct zone_pref {
	int pressure_delta; /* -5..+5 levels, learned from feedback */
	double ceiling_n;   /* the lowest "too much" force there, 0 = none */
};

struct trigger_memory {
	char point[24];  /* "L4", "T7-10mm" */
	double level_n;  /* force reached at "there" */
};

#endif
