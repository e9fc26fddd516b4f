/* The consultation's limits on a resolved plan, step by step (plan_limits.h). */
#include "plan_limits.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "../../drivers/hal.h"

/* The areas each airbag presses, as the panel's area names mean them. */
static const unsigned airbag_area[HAL_AIRBAG_COUNT] = {
	1u << AREA_SHOULDERS, 1u << AREA_ARMS, 1u << AREA_LOWER_BACK,
	(1u << AREA_GLUTES) | (1u << AREA_THIGHS), 1u << AREA_CALVES, 1u << AREA_FEET,
};

/* A stretch squeezes the arms, shoulders, calves and feet to hold the person. */
#define STRETCH_AIRBAGS                                                                        \
	((1u << HAL_AIRBAG_SHOULDERS) | (1u << HAL_AIRBAG_ARMS) | (1u << HAL_AIRBAG_CALVES) |  \
	 (1u << HAL_AIRBAG_FEET))

static int refuse(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t why_len, const char *fmt, ...)
{
	if (why && why_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return -EPERM;
}

/* True when the step's work (its span, or its point) lies in zone z of body b. */
static bool step_in_zone(const struct body_map *b, const struct plan_step *s, int z)
{
	double from = fmin(s->y_from_mm, s->y_to_mm), to = fmax(s->y_from_mm, s->y_to_mm);
	if (from == to)
		return from >= b->span_start_mm[z] && from < b->span_end_mm[z];
	return to > b->span_start_mm[z] && from < b->span_end_mm[z];
}

/* The first area of mask, for a message. */
static const char *first_area(unsigned mask)
{
	for (int a = 0; a < AREA_COUNT; a++)
		if (mask & (1u << a))
			return area_name((enum area)a);
	return "?";
}

/* Airbags in air_mask used by the step at line: allowed at all, and where. */
static int check_air(const struct session_limits *lim, unsigned air_mask, unsigned line,
		     const char *what, char *why, size_t why_len)
{
	if (lim->techniques_excluded & TECH_AIR)
		return refuse(why, why_len, "line %u: %s uses the airbags, which are excluded for you",
			      line, what);
	unsigned bad = lim->areas_avoided | lim->areas_no_air;
	for (int a = 0; a < HAL_AIRBAG_COUNT; a++)
		if ((air_mask & (1u << a)) && (airbag_area[a] & bad))
			return refuse(why, why_len, "line %u: %s uses the airbags on the %s, where air is not allowed for you",
				      line, what, first_area(airbag_area[a] & bad));
	return 0;
}

static int check_heat(const struct session_limits *lim, const struct plan_step *s, char *why,
		      size_t why_len)
{
	for (int h = 0; h < HAL_HEATER_COUNT; h++) {
		if (s->modal.heat_c[h] <= 0)
			continue;
		unsigned area = h == HAL_HEATER_LUMBAR ? 1u << AREA_LOWER_BACK : 1u << AREA_CALVES;
		if (!lim->heat_allowed || (lim->techniques_excluded & TECH_HEAT))
			return refuse(why, why_len, "line %u: heat is not allowed for you", s->line);
		if ((lim->areas_no_heat | lim->areas_avoided) & area)
			return refuse(why, why_len, "line %u: heat on the %s is not allowed for you",
				      s->line, first_area(area));
	}
	return 0;
}

/* A working step's level and place. */
static int check_work(const struct plan *p, const struct session_limits *lim,
		      const struct plan_step *s, char *why, size_t why_len)
{
	const char *tech = plan_op_name((enum plan_op)s->op);
	if (s->z_level > lim->max_pressure_level)
		return refuse(why, why_len, "line %u: %s at level %u is above your limit of %d",
			      s->line, tech, s->z_level, lim->max_pressure_level);
	for (int z = 0; z < BODY_ZONE_COUNT; z++) {
		if (!step_in_zone(&p->body, s, z))
			continue;
		if (lim->areas_avoided & (1u << z))
			return refuse(why, why_len, "line %u: %s works the %s, which is left out for you",
				      s->line, tech, area_name((enum area)z));
		if ((lim->areas_no_deep & (1u << z)) && s->z_level > 3)
			return refuse(why, why_len, "line %u: %s at level %u on the %s is above your limit of 3 there",
				      s->line, tech, s->z_level, area_name((enum area)z));
	}
	return 0;
}

int plan_limits_check(const struct plan *p, const struct session_limits *lim, char *why,
		      size_t why_len)
{
	if (!p || !lim || !p->resolved)
		return why && why_len ? (snprintf(why, why_len, "the plan is not resolved"), -EINVAL)
				      : -EINVAL;
	if (p->level == PLAN_LEVEL_DEEP && !lim->deep_allowed)
		return refuse(why, why_len, "the program is `level deep`, which is not allowed for you");
	if (p->total_ms > (uint64_t)lim->max_duration_min * 60000u) {
		char t[32];
		plan_format_ms(p->total_ms, t, sizeof(t));
		return refuse(why, why_len, "the program runs %s, longer than your limit of %d minutes",
			      t, lim->max_duration_min);
	}
	for (uint32_t i = 0; i < p->step_count; i++) {
		const struct plan_step *s = &p->steps[i];
		enum plan_op op = (enum plan_op)s->op;
		int rc;
		if (op <= PLAN_STRETCH && (lim->techniques_excluded & (1u << op)))
			return refuse(why, why_len, "line %u: %s is excluded for you", s->line,
				      plan_op_name(op));
		if (op == PLAN_MODAL) {
			if ((s->modal.set & PLAN_SET_AIR) && s->modal.air_mask &&
			    (rc = check_air(lim, s->modal.air_mask, s->line, "air", why, why_len)))
				return rc;
			if ((rc = check_heat(lim, s, why, why_len)))
				return rc;
		}
		if (op == PLAN_STRETCH &&
		    (rc = check_air(lim, STRETCH_AIRBAGS, s->line, "stretch", why, why_len)))
			return rc;
		if (plan_op_works(op) && (rc = check_work(p, lim, s, why, why_len)))
			return rc;
	}
	return 0;
}
