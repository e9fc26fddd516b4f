/* The names of PANEL.md in one place, so the rules table, the panel and the store spell
 * them alike. */
#include "vocab.h"

#include <errno.h>
#include <string.h>

#include "../interp/body.h"
#include "../interp/plan.h"

/* The planner turns an area into a program landmark by value: the two enums must agree. */
_Static_assert(AREA_NECK == (int)BODY_NECK, "areas follow body landmarks");
_Static_assert(AREA_SHOULDERS == (int)BODY_SHOULDERS, "areas follow body landmarks");
_Static_assert(AREA_UPPER_BACK == (int)BODY_UPPER_BACK, "areas follow body landmarks");
_Static_assert(AREA_MID_BACK == (int)BODY_MID_BACK, "areas follow body landmarks");
_Static_assert(AREA_LOWER_BACK == (int)BODY_LOWER_BACK, "areas follow body landmarks");
_Static_assert(AREA_SACRUM == (int)BODY_SACRUM, "areas follow body landmarks");
_Static_assert(AREA_GLUTES == (int)BODY_GLUTES, "areas follow body landmarks");
_Static_assert(AREA_THIGHS == (int)BODY_THIGHS, "areas follow body landmarks");
_Static_assert(AREA_THIGHS + 1 == BODY_ZONE_COUNT, "every roller zone is an area");
_Static_assert(AREA_COUNT <= 16 && COND_COUNT <= 32, "masks fit an unsigned");
_Static_assert(PLAN_STRETCH < 16, "technique bits below TECH_AIR");

static const char *const area_names[AREA_COUNT] = {
	"neck", "shoulders", "upper-back", "mid-back", "lower-back", "sacrum",
	"glutes", "thighs", "arms", "calves", "feet",
};

static const char *const condition_names[COND_COUNT] = {
	"arthritis", "fibromyalgia", "back-pain", "injury", "surgery", "osteoporosis",
	"pregnancy", "dvt", "implant", "cancer", "fever", "skin", "varicose-veins",
	"diabetes-neuropathy", "blood-thinners",
};

static const char *const goal_names[GOAL_COUNT] = {
	"pain-relief", "relaxation", "mobility", "recovery",
};

static const char *const intensity_names[INTENSITY_COUNT] = { "gentle", "normal", "firm" };

/* Techniques the rules can name, the roller techniques by their enum plan_op value. */
static const struct {
	const char *name;
	unsigned bit;
} techniques[] = {
	{ "knead", 1u << PLAN_KNEAD },
	{ "tap", 1u << PLAN_TAP },
	{ "knead-tap", 1u << PLAN_KNEAD_TAP },
	{ "shiatsu", 1u << PLAN_SHIATSU },
	{ "roll", 1u << PLAN_ROLL },
	{ "glide", 1u << PLAN_GLIDE },
	{ "trigger-point", 1u << PLAN_TRIGGER_POINT },
	{ "stretch", 1u << PLAN_STRETCH },
	{ "air", TECH_AIR },
	{ "heat", TECH_HEAT },
};

/* The index of name in a table of n names, or -1. */
static int lookup(const char *const *names, int n, const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

const char *area_name(enum area a)
{
	return (unsigned)a < AREA_COUNT ? area_names[a] : "?";
}

int area_lookup(const char *name)
{
	return lookup(area_names, AREA_COUNT, name);
}

const char *condition_name(enum condition c)
{
	return (unsigned)c < COND_COUNT ? condition_names[c] : "?";
}

int condition_lookup(const char *name)
{
	return lookup(condition_names, COND_COUNT, name);
}

const char *goal_name(enum goal g)
{
	return (unsigned)g < GOAL_COUNT ? goal_names[g] : "?";
}

int goal_lookup(const char *name)
{
	return lookup(goal_names, GOAL_COUNT, name);
}

const char *intensity_name(enum intensity i)
{
	return (unsigned)i < INTENSITY_COUNT ? intensity_names[i] : "?";
}

int intensity_lookup(const char *name)
{
	return lookup(intensity_names, INTENSITY_COUNT, name);
}

bool condition_takes_area(enum condition c)
{
	return c == COND_INJURY || c == COND_SURGERY || c == COND_SKIN;
}

unsigned technique_lookup(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < sizeof(techniques) / sizeof(techniques[0]); i++)
		if (strcmp(techniques[i].name, name) == 0)
			return techniques[i].bit;
	return 0;
}

const char *technique_name(unsigned bit)
{
	for (size_t i = 0; i < sizeof(techniques) / sizeof(techniques[0]); i++)
		if (techniques[i].bit == bit)
			return techniques[i].name;
	return "?";
}

void consult_answers_init(struct consult_answers *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < AREA_COUNT; i++)
		a->pain_score[i] = -1;
	a->intensity = INTENSITY_NORMAL;
	a->duration_min = 20;
}

int consult_answers_add(struct consult_answers *a, enum condition id, int area, int weeks_ago)
{
	if (a->condition_count >= CONSULT_CONDITIONS_MAX)
		return -ENOSPC;
	a->conditions[a->condition_count++] =
		(struct consult_condition){ .id = id, .area = area, .weeks_ago = weeks_ago };
	return 0;
}
