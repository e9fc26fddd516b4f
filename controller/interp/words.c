/* Spelling tables of the language (see words.h). */
#include "words.h"

#include <string.h>

const char *const interp_kw_name[INTERP_KW_COUNT] = {
	"program", "description", "tags", "level", "phase", "knead", "tap", "knead-tap",
	"shiatsu", "roll", "glide", "trigger-point", "stretch", "air", "heat", "recline",
	"pause", "repeat", "end",
};

const char *const interp_opt_name[INTERP_OPT_COUNT] = {
	"width", "speed", "rate", "depth", "pressure", "hold", "ramp", "release", "for",
	"times", "level", "cycle", "from",
};

const char *const interp_width_name[4] = {"", "narrow", "medium", "wide"};
const char *const interp_level_name[3] = {"gentle", "normal", "deep"};
const char *const interp_recline_name[4] = {"", "upright", "relax", "zero-gravity"};
const char *const interp_heat_name[3] = {"lumbar", "calves", "all"};
const char *const interp_air_zone_name[HAL_AIRBAG_COUNT] = {
	"shoulders", "arms", "waist", "seat", "calves", "feet",
};
const char *const interp_landmark_words[BODY_LANDMARK_COUNT + 1] = {
	"neck", "shoulders", "upper-back", "mid-back", "lower-back", "sacrum", "glutes", "thighs",
	"C7", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12",
	"L1", "L2", "L3", "L4", "L5", "track",
};

const char *const interp_technique_name[INTERP_TECHNIQUE_COUNT] = {
	"knead", "tap", "knead-tap", "shiatsu", "roll", "glide", "trigger-point", "stretch",
};

int interp_word_index(const char *word, size_t len, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (strlen(names[i]) == len && memcmp(names[i], word, len) == 0)
			return i;
	return -1;
}

#define O(x) (1u << INTERP_OPT_##x)

unsigned interp_kw_options(enum interp_kw kw)
{
	switch (kw) {
	case INTERP_KW_KNEAD:
	case INTERP_KW_KNEAD_TAP:
		return O(WIDTH) | O(SPEED) | O(DEPTH) | O(PRESSURE) | O(FOR);
	case INTERP_KW_TAP:
		return O(RATE) | O(DEPTH) | O(PRESSURE) | O(FOR);
	case INTERP_KW_SHIATSU:
		return O(PRESSURE) | O(HOLD) | O(FOR);
	case INTERP_KW_ROLL:
		return O(SPEED) | O(DEPTH) | O(PRESSURE) | O(FOR) | O(TIMES);
	case INTERP_KW_GLIDE:
		return O(SPEED) | O(DEPTH) | O(PRESSURE);
	case INTERP_KW_TRIGGER_POINT:
		return O(PRESSURE) | O(RAMP) | O(HOLD) | O(RELEASE);
	case INTERP_KW_STRETCH:
		return O(LEVEL) | O(FOR);
	case INTERP_KW_AIR:
		return O(LEVEL) | O(CYCLE);
	default:
		return 0;
	}
}

unsigned interp_guided_options(void)
{
	return O(PRESSURE) | O(FROM) | O(HOLD) | O(RELEASE);
}
