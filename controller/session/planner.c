/* The planner's entry and its overall choices: whether to plan at all, the duration, the
 * program level, the limits as rules, which areas in which order, the warm-up, the work
 * phases and the cool-down with their first durations. planner_work.c chooses the work
 * within an area; planner_fit.c writes the text, fits it to the duration and verifies it. */
#include "planner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../interp/interp.h"
#include "../program_load.h"
#include "planner_build.h"

int planner_zone_max_level(const struct session_limits *lim, const struct zone_pref *prefs,
			   enum area area, enum plan_level level, const struct interp_limits *il)
{
	int max = level == PLAN_LEVEL_GENTLE  ? il->gentle_max_level
		  : level == PLAN_LEVEL_NORMAL ? il->normal_max_level
					       : 10;
	if (lim->max_pressure_level < max)
		max = lim->max_pressure_level;
	if ((lim->areas_no_deep & (1u << area)) && max > 3)
		max = 3;
	/* The cervical spine takes no firm pressure whatever the profile allows. */
	if (area == AREA_NECK && max > 4)
		max = 4;
	if (prefs && prefs[area].ceiling_n > 0 && lim->cap_n > 0) {
		/* level/10 x cap <= share x ceiling; a hair of slack for a ceiling that is an
		 * exact multiple. */
		int c = (int)floor(
			PLANNER_CEILING_SHARE * prefs[area].ceiling_n * 10.0 / lim->cap_n + 1e-9);
		if (c < max)
			max = c;
	}
	return max < 0 ? 0 : max;
}

/* Whether the language has guided trigger points (`trigger-point POINT guided ...`): the
 * planner uses them when the chair's interpreter reads them. */
static bool guided_supported(const struct interp_limits *il)
{
	static const char probe[] =
		"program \"probe\"\ntrigger-point L4 guided pressure 3 from 2 hold 10s\n";
	struct interp_diags *d = malloc(sizeof(*d));
	if (!d)
		return false;
	interp_diags_init(d, "probe");
	struct plan *p = NULL;
	int rc = interp_load(probe, sizeof(probe) - 1, "probe", il, d, &p);
	free(d);
	plan_free(p);
	return rc == 0;
}

/* Chooses the program level and the usual work level. */
static void choose_level(struct planner_ctx *c)
{
	const struct session_limits *lim = c->lim;
	enum intensity in = c->a->intensity;
	if (in == INTENSITY_FIRM && lim->deep_allowed &&
	    lim->max_pressure_level > c->il->normal_max_level)
		c->pp->level = PLAN_LEVEL_DEEP;
	else if (in == INTENSITY_GENTLE || lim->max_pressure_level <= c->il->gentle_max_level)
		c->pp->level = PLAN_LEVEL_GENTLE;
	else
		c->pp->level = PLAN_LEVEL_NORMAL;
	c->base = c->pp->level == PLAN_LEVEL_DEEP ? 7
		  : in == INTENSITY_FIRM          ? 6
		  : in == INTENSITY_NORMAL        ? 5
						  : 3;
	if (!planner_has_goal(c->a, GOAL_PAIN_RELIEF) &&
	    (planner_has_goal(c->a, GOAL_RELAXATION) || planner_has_goal(c->a, GOAL_RECOVERY)))
		c->base--;
	c->low_all = planner_has_cond(c->a, COND_FIBROMYALGIA) ||
		     planner_has_cond(c->a, COND_OSTEOPOROSIS);
	c->air_level = in == INTENSITY_GENTLE || c->low_all ? 1 : in == INTENSITY_NORMAL ? 2 : 3;
}

/* The program's name, description and tags, from the areas worked (n of them) or the goal. */
static void header(struct planner_ctx *c, const int *areas, int n)
{
	struct planner_draft *pp = c->pp;
	char what[96] = "";
	if (n == 0) {
		const char *g = planner_has_goal(c->a, GOAL_MOBILITY) ? "mobility"
				: planner_has_goal(c->a, GOAL_RECOVERY) ? "recovery" : "relaxation";
		snprintf(what, sizeof(what), "%s", g);
	} else {
		for (int i = 0; i < n && i < 2; i++) {
			size_t used = strlen(what);
			snprintf(what + used, sizeof(what) - used, "%s%s",
				 i == 0   ? ""
				 : n == 2 ? " and "
					  : ", ",
				 planner_area_title[areas[i]]);
		}
		if (n > 2)
			strcat(what, " and more");
	}
	for (char *p = what; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	snprintf(pp->name, sizeof(pp->name), "Plan for %s", what);
	const char *lvl = pp->level == PLAN_LEVEL_GENTLE ? "gentle"
			  : pp->level == PLAN_LEVEL_DEEP ? "firm"
							 : "normal";
	snprintf(pp->description, sizeof(pp->description),
		 "Made from the consultation: warm-up, %s, cool-down; %s pressure.",
		 n ? "work on each pain area, highest pain first" : "relaxing work on the back",
		 lvl);
	snprintf(pp->tags, sizeof(pp->tags), "planned, %s%s", n ? "pain-relief" : what,
		 pp->level == PLAN_LEVEL_GENTLE ? ", gentle"
		 : pp->level == PLAN_LEVEL_DEEP ? ", deep"
						: "");
}

/* The limits as rules: zone maxima, what the rollers, airbags and heaters may do. */
static void make_rules(struct planner_ctx *c)
{
	const struct session_limits *lim = c->lim;
	struct planner_rules *r = &c->r;
	r->lim = lim;
	r->prefs = c->in->prefs;
	for (int z = 0; z < AREA_COUNT; z++) {
		r->zone_max[z] = planner_zone_max_level(lim, c->in->prefs, (enum area)z,
							c->pp->level, c->il);
		if (z < BODY_ZONE_COUNT && ((lim->areas_avoided & (1u << z)) || r->zone_max[z] < 1))
			r->no_roller |= 1u << z;
		/* A scan can place a zone partly beyond the track's ends (a neck above its top). */
		const struct body_map *b = c->bodies[0];
		if (z < BODY_ZONE_COUNT && (b->span_start_mm[z] < c->il->track_min_mm ||
					    b->span_end_mm[z] > c->il->track_max_mm)) {
			r->no_roller |= 1u << z;
			c->off_track |= 1u << z;
		}
	}
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		if (!(lim->techniques_excluded & TECH_AIR) &&
		    !(planner_airbag_areas[b] & (lim->areas_avoided | lim->areas_no_air)))
			r->air_ok |= 1u << b;
	static const int heater_area[HAL_HEATER_COUNT] = {AREA_LOWER_BACK, AREA_CALVES};
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		if (lim->heat_allowed && !(lim->techniques_excluded & TECH_HEAT) &&
		    !((lim->areas_no_heat | lim->areas_avoided) & (1u << heater_area[h])))
			r->heat_ok |= 1u << h;
}

/* Picks the areas to work, highest pain first; n, or 0 for a relaxation plan. */
static int pick_areas(struct planner_ctx *c, int *areas, uint32_t work_ms)
{
	int n = 0;
	for (int score = 10; score >= 1; score--)
		for (int z = 0; z < AREA_COUNT; z++) {
			if (c->a->pain_score[z] != score)
				continue;
			bool roller = z < BODY_ZONE_COUNT;
			if (c->lim->areas_avoided & (1u << z)) {
				planner_note(c->pp,
					     "%s is not worked: the consultation says to avoid it.",
					     planner_area_title[z]);
				continue;
			}
			if (roller && (c->off_track & (1u << z))) {
				planner_note(c->pp,
					     "%s is not worked: it lies beyond the rollers' reach "
					     "for this body.",
					     planner_area_title[z]);
				continue;
			}
			if (roller && (c->r.no_roller & (1u << z))) {
				planner_note(c->pp,
					     "%s is not worked: a past \"too much\" there leaves "
					     "no pressure low enough.",
					     planner_area_title[z]);
				continue;
			}
			char zones[64];
			if (!roller && !planner_air_zones(c, 1u << z, zones, sizeof(zones))) {
				planner_note(c->pp,
					     "%s is not worked: its airbags are not to be used.",
					     planner_area_title[z]);
				continue;
			}
			if (n >= PLANNER_PHASES_MAX - 2 ||
			    (n > 0 && work_ms / (uint32_t)(n + 1) < 80000)) {
				planner_note(c->pp,
					     "%s is not worked: not enough time for every area; a "
					     "longer session would reach it.",
					     planner_area_title[z]);
				continue;
			}
			areas[n++] = z;
		}
	return n;
}

/* The minutes to plan for: asked (or the answers'), within 5-30, the consultation's
 * maximum and the chair's session limit; 0 when the chair allows not even one. */
static int plan_minutes(const struct planner_input *in, const struct interp_limits *il)
{
	const struct session_limits *lim = in->limits;
	int dur = in->duration_min > 0 ? in->duration_min : in->answers->duration_min;
	dur = planner_clampi(dur, CONSULT_DURATION_MIN_MIN, CONSULT_DURATION_MAX_MIN);
	if (lim->max_duration_min >= CONSULT_DURATION_MIN_MIN && dur > lim->max_duration_min)
		dur = lim->max_duration_min;
	if ((uint32_t)dur * 60000u > il->session_max_ms)
		dur = (int)(il->session_max_ms / 60000u);
	return dur;
}

/* Areas for a plan without pain areas: the allowed zones of the back, or else the first
 * other zone the rollers may work, about 90 s of work each at least; how many. */
static int relax_list(const struct planner_ctx *c, int *list, uint32_t work_ms)
{
	static const int back[] = {AREA_SHOULDERS, AREA_UPPER_BACK, AREA_MID_BACK, AREA_LOWER_BACK,
				   AREA_NECK, AREA_SACRUM, AREA_GLUTES, AREA_THIGHS};
	int n = 0;
	for (int i = 0; i < 8 && n < 4; i++)
		if (!(c->r.no_roller & (1u << back[i])) && (i < 4 || n == 0))
			list[n++] = back[i];
	int most = (int)(work_ms / 90000u);
	if (n > most)
		n = most > 1 ? most : 1;
	return n;
}

/* The warm-up: heat where allowed and welcome, gentle strokes over zones top..bottom.
 * Whether heat was switched on. */
static bool warm_up(struct planner_ctx *c, int top, int bottom, uint32_t ms)
{
	const struct consult_answers *a = c->a;
	planner_begin_phase(c, "Warm-up", -1);
	bool lumbar = (c->r.heat_ok & (1u << HAL_HEATER_LUMBAR)) &&
		      (planner_has_cond(a, COND_BACK_PAIN) || planner_has_cond(a, COND_ARTHRITIS) ||
		       a->pain_score[AREA_LOWER_BACK] > 0 || planner_has_goal(a, GOAL_RELAXATION));
	bool calves = (c->r.heat_ok & (1u << HAL_HEATER_CALVES)) &&
		      (planner_has_cond(a, COND_ARTHRITIS) || a->pain_score[AREA_CALVES] > 0);
	int temp_c = planner_has_cond(a, COND_ARTHRITIS) ? 39 : 38;
	char line[96];
	if (lumbar && calves)
		snprintf(line, sizeof(line), "heat all on %dc", temp_c);
	else
		snprintf(line, sizeof(line), "heat %s on %dc", lumbar ? "lumbar" : "calves",
			 temp_c);
	if (lumbar || calves)
		planner_add_line(c, line);
	int level = c->low_all ? 2 : c->base - 2 < 3 ? c->base - 2 : 3;
	planner_gentle_over(c, top, bottom, level, c->low_all ? 2 : 3, ms);
	return lumbar || calves;
}

/* The cool-down: calf and foot airbags, light tapping over the longest allowed run of the
 * back when welcome, light rolling over zones top..bottom, air and heat off. */
static void cool_down(struct planner_ctx *c, int top, int bottom, uint32_t ms, bool heat)
{
	planner_begin_phase(c, "Cool-down", -1);
	char zones[64], line[96];
	bool air = planner_air_zones(c, (1u << AREA_CALVES) | (1u << AREA_FEET), zones,
				     sizeof(zones)) > 0;
	if (air) {
		snprintf(line, sizeof(line), "air %s level %d cycle 20s", zones, c->air_level);
		planner_add_line(c, line);
	}
	uint32_t roll_ms = ms;
	int z1 = top > AREA_SHOULDERS ? top : AREA_SHOULDERS;
	int z2 = bottom < AREA_LOWER_BACK ? bottom : AREA_LOWER_BACK;
	if (c->tap_ok && ms >= 90000 && z1 <= z2) {
		int best1 = -1, best2 = -1;
		for (int z = z1; z <= z2; z++) {
			if (c->r.no_roller & (1u << z))
				continue;
			int e = z;
			while (e + 1 <= z2 && !(c->r.no_roller & (1u << (e + 1))))
				e++;
			if (best1 < 0 || e - z > best2 - best1)
				best1 = z, best2 = e;
			z = e;
		}
		struct planner_item *it;
		if (best1 >= 0 &&
		    (it = planner_add_work(c, PLAN_TAP, best1, best2, 2, ms * 2 / 5))) {
			it->rate = 3;
			roll_ms -= ms * 2 / 5;
		}
	}
	planner_gentle_over(c, top, bottom, 2, 2, roll_ms);
	if (air)
		planner_add_line(c, "air off");
	if (heat)
		planner_add_line(c, "heat off");
}

int planner_write_for(const struct planner_input *in, char *text, size_t text_len,
		      struct planner_summary *summary, char *err, size_t err_len)
{
	char dummy[8];
	if (!err) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	err[0] = '\0';
	if (summary)
		memset(summary, 0, sizeof(*summary));
	if (!in || !in->answers || !in->limits || !text || text_len == 0) {
		snprintf(err, err_len,
			 "the planner needs the answers, the limits and a text buffer");
		return -EINVAL;
	}
	text[0] = '\0';
	const struct session_limits *lim = in->limits;
	if (lim->see_professional_first) {
		snprintf(err, err_len, "no plan: please see a %s first%s%s",
			 lim->professional[0] ? lim->professional : "physician",
			 lim->reason[0] ? ": " : "", lim->reason);
		return -EPERM;
	}
	if (!(lim->cap_n > 0) || lim->max_pressure_level < 1) {
		snprintf(err, err_len,
			 "no plan: the limits allow no pressure at all (cap %.1f N, level %d)",
			 lim->cap_n, lim->max_pressure_level);
		return -EPERM;
	}
	struct interp_limits il;
	if (in->cfg) {
		program_limits(in->cfg, &il);
	} else {
		struct chair_config *cfg = malloc(sizeof(*cfg));
		if (!cfg)
			return -ENOMEM;
		config_defaults(cfg);
		program_limits(cfg, &il);
		free(cfg);
	}
	struct body_map plan_body, small, tall;
	if (in->body)
		plan_body = *in->body;
	else
		body_default(&plan_body, &il);
	if (body_from_height(&small, il.body_height_min_mm, &il) != 0 ||
	    body_from_height(&tall, il.body_height_max_mm, &il) != 0) {
		snprintf(err, err_len, "the chair's configuration supports no body");
		return -EINVAL;
	}
	int dur = plan_minutes(in, &il);
	if (dur < 1) {
		snprintf(err, err_len, "the chair's session limit is under a minute");
		return -EINVAL;
	}

	struct planner_ctx c = {.in = in, .a = in->answers, .lim = lim, .il = &il,
			   .bodies = {&plan_body, &small, &tall}};
	c.pp = calloc(1, sizeof(*c.pp));
	if (!c.pp)
		return -ENOMEM;
	choose_level(&c);
	make_rules(&c);
	c.r.guided = guided_supported(&il);
	c.r.duration_ms = (uint32_t)dur * 60000u;
	bool any_roller_tech = false;
	for (int op = PLAN_KNEAD; op <= PLAN_TRIGGER_POINT; op++)
		any_roller_tech |= planner_tech_ok(&c, (enum plan_op)op);
	if ((c.r.no_roller & ((1u << BODY_ZONE_COUNT) - 1)) == (1u << BODY_ZONE_COUNT) - 1 ||
	    !any_roller_tech) {
		snprintf(err, err_len, "no plan: %s",
			 any_roller_tech ? "every area the rollers reach is to be avoided"
					 : "every roller technique is excluded");
		free(c.pp);
		return -EPERM;
	}
	c.tap_ok =
		planner_tech_ok(&c, PLAN_TAP) && !c.low_all && c.a->intensity != INTENSITY_GENTLE;
	int asked = in->duration_min > 0 ? in->duration_min : in->answers->duration_min;
	if (asked > dur) {
		char what[32];
		snprintf(what, sizeof(what), "%d", dur);
		planner_note(c.pp, "The session is kept to %s minutes.", what);
	}

	uint32_t target = (uint32_t)(c.r.duration_ms * PLANNER_TARGET_SHARE);
	uint32_t edge_ms = (uint32_t)planner_clampi((int)(c.r.duration_ms * 0.15), 60000, 180000);
	uint32_t work_ms = target > 2 * edge_ms ? target - 2 * edge_ms : 60000;
	int areas[AREA_COUNT], n = pick_areas(&c, areas, work_ms);
	int relax[AREA_COUNT];
	const int *list = n ? areas : relax;
	int count = n ? n : relax_list(&c, relax, work_ms);
	header(&c, areas, n);

	/* Where the warm-up and the cool-down roll: from the highest to the lowest zone worked. */
	int top = BODY_ZONE_COUNT, bottom = -1;
	for (int i = 0; i < count; i++)
		if (list[i] < BODY_ZONE_COUNT) {
			top = list[i] < top ? list[i] : top;
			bottom = list[i] > bottom ? list[i] : bottom;
		}
	if (bottom < 0) {
		top = AREA_SHOULDERS;
		bottom = AREA_LOWER_BACK;
	}

	bool heat = warm_up(&c, top, bottom, edge_ms);
	int weight = 0;
	for (int i = 0; i < n; i++)
		weight += c.a->pain_score[areas[i]];
	for (int i = 0; i < count; i++) {
		int z = list[i];
		uint32_t ms = n ? (uint32_t)((uint64_t)work_ms * (uint64_t)c.a->pain_score[z] /
					     (uint64_t)weight)
				: work_ms / (uint32_t)count;
		planner_begin_phase(&c, planner_area_title[z], z);
		if (z < BODY_ZONE_COUNT)
			planner_work_roller(&c, z, n ? c.a->pain_score[z] : 0, ms);
		else
			planner_work_air(&c, z, ms);
	}
	cool_down(&c, top, bottom, edge_ms, heat);

	int rc = planner_fit(c.pp, &c.r, &il, &plan_body, lim->cap_n, text, text_len, summary, err,
			     err_len);
	free(c.pp);
	return rc;
}

int planner_write(const struct consult_answers *a, const struct session_limits *lim,
		  const struct zone_pref prefs[AREA_COUNT], const struct trigger_memory *tp,
		  int tp_count, int duration_min, char *text, size_t text_len,
		  struct planner_summary *summary, char *err, size_t err_len)
{
	struct planner_input in = {.answers = a, .limits = lim, .prefs = prefs, .triggers = tp,
				   .trigger_count = tp_count, .duration_min = duration_min};
	return planner_write_for(&in, text, text_len, summary, err, err_len);
}
