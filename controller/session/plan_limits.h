/* A resolved plan checked against what a consultation allows (struct session_limits):
 * the check session.start applies to every program it is given, the planner's, an edited
 * one or an installed one, so no text can bring back what the consultation ruled out. */
#ifndef SESSION_PLAN_LIMITS_H
#define SESSION_PLAN_LIMITS_H

#include <stddef.h>

#include "../interp/plan.h"
#include "vocab.h"

/* Check every step of the resolved plan against lim: no excluded technique (TECH_AIR for any
 * airbag, TECH_HEAT for heat), no work on an avoided area of the plan's body, no pressure
 * level above max_pressure_level (3 in areas_no_deep), heat only when allowed and not in
 * areas_no_heat, no airbags in areas_no_air or avoided areas, `level deep` only when
 * deep_allowed, a run no longer than max_duration_min. 0 when it keeps them all; -EPERM
 * with why set to the first thing broken, plainly, naming the step's line ("line 12: tap is
 * excluded for you"); -EINVAL for a plan that is not resolved. why may be NULL. */
int plan_limits_check(const struct plan *resolved, const struct session_limits *lim, char *why,
		      size_t why_len);

#endif
