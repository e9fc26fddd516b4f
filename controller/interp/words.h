/* The words of the language: statements, options and the values they take, spelled as
 * programs spell them; lookups for the parser and candidate lists for suggestions. */
#ifndef INTERP_WORDS_H
#define INTERP_WORDS_H

#include <stddef.h>

#include "ast.h"

extern const char *const interp_kw_name[INTERP_KW_COUNT];
extern const char *const interp_opt_name[INTERP_OPT_COUNT];
extern const char *const interp_width_name[4];   /* enum plan_width; [0] unused */
extern const char *const interp_level_name[3];   /* enum plan_level */
extern const char *const interp_recline_name[4]; /* enum recline_preset; [0] unused */
extern const char *const interp_heat_name[3];    /* lumbar, calves, all */
extern const char *const interp_air_zone_name[HAL_AIRBAG_COUNT];
extern const char *const interp_landmark_words[BODY_LANDMARK_COUNT + 1]; /* + "track" */

/* Index of word[0..len) in names[0..count), or -1. Exact and case-sensitive. */
int interp_word_index(const char *word, size_t len, const char *const *names, int count);

/* Techniques are the statements that do something to the body. */
#define INTERP_TECHNIQUE_COUNT 8
extern const char *const interp_technique_name[INTERP_TECHNIQUE_COUNT];

/* Which options a statement takes (bit n = enum interp_opt n). */
unsigned interp_kw_options(enum interp_kw kw);
/* ... and a guided trigger point (`trigger-point POINT guided ...`): no ramp, a `from`. */
unsigned interp_guided_options(void);

#endif
