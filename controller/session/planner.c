/* The planner's choices: which areas, in which order, with which techniques, at which
 * levels and for how long at first. planner_fit.c writes the text, fits it to the duration
 * and verifies it. */
#include "planner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../program_load.h"
#include "planner_build.h"

/* Words of the areas in phase names and summaries. */
static const char *const area_title[AREA_COUNT] = {
	"Neck", "Shoulders", "Upper back", "Mid back", "Lower back", "Sacrum",
	"Glutes", "Thighs", "Arms", "Calves", "Feet",
};

/* The roller zones' edges as points that stay on the same anatomy for every body: a
 * vertebra and an offset. Used to keep a margin inside a lone zone next to an avoided one
 * (a zone word in a range stands for its outer edge, which cannot take a margin on both
 * sides). NULL: no such point (the glutes and thighs start at the seat). */
static const struct edge {
	const char *lm;
	int off_mm;
} zone_top[BODY_ZONE_COUNT] = {
	{"C7", -115}, {"C7", -5}, {"T3", 0}, {"T7", 0}, {"T12", 0}, {"L5", 15}, {NULL, 0}, {NULL, 0},
}, zone_bottom[BODY_ZONE_COUNT] = {
	{"C7", -5}, {"T3", 0}, {"T7", 0}, {"T12", 0}, {"L5", 15}, {NULL, 0}, {NULL, 0}, {NULL, 0},
};

/* Usual knots beside the spine, well inside their zone (at least 20 mm from its edges on
 * every supported body). The neck and thighs get none: no sustained compression there. */
static const char *const knot_points[BODY_ZONE_COUNT][2] = {
	{NULL, NULL}, {"C7+20mm", "T2"}, {"T4", "T6"}, {"T8", "T10"},
	{"L4", "L2+20mm"}, {"sacrum", NULL}, {"glutes", NULL}, {NULL, NULL},
};

const unsigned pb_airbag_areas[HAL_AIRBAG_COUNT] = {
	1u << AREA_SHOULDERS, 1u << AREA_ARMS, 1u << AREA_LOWER_BACK,
	(1u << AREA_GLUTES) | (1u << AREA_THIGHS), 1u << AREA_CALVES, 1u << AREA_FEET,
};

const char *const pb_airbag_word[HAL_AIRBAG_COUNT] = {
	"shoulders", "arms", "waist", "seat", "calves", "feet",
};

struct ctx {
	const struct planner_input *in;
	const struct consult_answers *a;
	const struct session_limits *lim;
	const struct interp_limits *il;
	const struct body_map *bodies[3];
	struct pb_rules r;
	struct pb_plan *pp;
	int base;          /* work pressure level before each zone's limits */
	bool low_all;      /* a condition that keeps pressure low everywhere */
	bool tap_ok;       /* tapping is welcome (and allowed) in the cool-down */
	int air_level;
	int cur_phase;
	unsigned worked;   /* roller areas the work phases use */
};

static bool has_cond(const struct consult_answers *a, enum condition c)
{
	for (int i = 0; i < a->condition_count && i < CONSULT_CONDITIONS_MAX; i++)
		if (a->conditions[i].id == c)
			return true;
	return false;
}

static bool has_goal(const struct consult_answers *a, enum goal g)
{
	return (a->goals & (1u << g)) != 0;
}

static bool tech_ok(const struct ctx *c, enum plan_op op)
{
	return !(c->lim->techniques_excluded & (1u << op));
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void note(struct pb_plan *pp, const char *fmt, const char *what)
{
	if (pp->note_count < PLANNER_NOTES_MAX)
		snprintf(pp->notes[pp->note_count++], PLANNER_NOTE_LEN, fmt, what);
}

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
		int c = (int)floor(PLANNER_CEILING_SHARE * prefs[area].ceiling_n * 10.0 / lim->cap_n +
				   1e-9);
		if (c < max)
			max = c;
	}
	return max < 0 ? 0 : max;
}

/* A zone's level for a technique whose usual level is base: the person's learnt shift,
 * within the zone's limit. */
static int zone_level(const struct ctx *c, int area, int base)
{
	int delta = c->in->prefs ? clampi(c->in->prefs[area].pressure_delta, -5, 5) : 0;
	return clampi(base + delta, 1, c->r.zone_max[area] > 0 ? c->r.zone_max[area] : 1);
}

/* The level for work over zones z1..z2: the lowest any of them allows. */
static int run_level(const struct ctx *c, int z1, int z2, int base)
{
	int lv = 10;
	for (int z = z1; z <= z2; z++) {
		int l = zone_level(c, z, base);
		if (l < lv)
			lv = l;
	}
	return lv;
}

static bool area_low(const struct ctx *c, int area)
{
	return c->low_all || (c->lim->areas_no_deep & (1u << area)) || c->r.zone_max[area] <= 3;
}

static void fmt_point(char *buf, size_t n, const char *lm, int off_mm)
{
	if (off_mm)
		snprintf(buf, n, "%s%+dmm", lm, off_mm);
	else
		snprintf(buf, n, "%s", lm);
}

static void fmt_zone(char *buf, size_t n, int z, int off_mm)
{
	fmt_point(buf, n, body_landmark_name((enum body_landmark)z), off_mm);
}

/* How the run of workable zones z1..z2 is written (and an alternative spelling of the same
 * span), keeping PLANNER_MARGIN_MM from a neighbour that is not worked. range: the
 * statement needs a range (glide). */
static void where_run(const struct ctx *c, int z1, int z2, bool range, char *w, char *alt)
{
	int mt = z1 > 0 && (c->r.no_roller & (1u << (z1 - 1))) ? PLANNER_MARGIN_MM : 0;
	int mb = z2 < BODY_ZONE_COUNT - 1 && (c->r.no_roller & (1u << (z2 + 1))) ? PLANNER_MARGIN_MM
										  : 0;
	char a[20], b[20];
	alt[0] = '\0';
	if (z1 < z2) {
		/* Zone words at the ends of a downward range: the top of z1, the bottom of z2. */
		fmt_zone(b, sizeof(b), z2, -mb);
		fmt_zone(a, sizeof(a), z1, mt);
		snprintf(w, PB_WHERE_LEN, "%s..%s", a, b);
		fmt_zone(a, sizeof(a), z1, mt + 1);
		snprintf(alt, PB_WHERE_LEN, "%s..%s", a, b);
		return;
	}
	int z = z1;
	if (z <= AREA_LOWER_BACK && (mt || mb)) {
		fmt_point(a, sizeof(a), zone_top[z].lm, zone_top[z].off_mm + mt);
		fmt_point(b, sizeof(b), zone_bottom[z].lm, zone_bottom[z].off_mm - mb);
		snprintf(w, PB_WHERE_LEN, "%s..%s", a, b);
		fmt_point(a, sizeof(a), zone_top[z].lm, zone_top[z].off_mm + mt + 1);
		snprintf(alt, PB_WHERE_LEN, "%s..%s", a, b);
		return;
	}
	if (z == AREA_SACRUM && (mt || mb)) {
		fmt_zone(b, sizeof(b), z, -mb);
		snprintf(w, PB_WHERE_LEN, "L5+%dmm..%s", zone_top[z].off_mm + mt, b);
		snprintf(alt, PB_WHERE_LEN, "L5+%dmm..%s", zone_top[z].off_mm + mt + 1, b);
		return;
	}
	/* The glutes: a margin on one side shifts the zone into the worked neighbour; with
	 * both neighbours out (or for the thighs) it is worked edge to edge. */
	int shift = z == AREA_GLUTES && mt && !mb ? mt : z == AREA_GLUTES && mb && !mt ? -mb : 0;
	fmt_zone(a, sizeof(a), z, shift);
	if (range) {
		snprintf(w, PB_WHERE_LEN, "%s..%s", a, a);
	} else {
		snprintf(w, PB_WHERE_LEN, "%s", a);
		snprintf(alt, PB_WHERE_LEN, "%s..%s", a, a);
	}
}

static struct pb_item *add(struct ctx *c, enum pb_kind kind)
{
	struct pb_plan *pp = c->pp;
	if (pp->item_count >= PB_ITEMS_MAX)
		return NULL;
	struct pb_item *it = &pp->items[pp->item_count++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->phase = c->cur_phase;
	return it;
}

static void add_line(struct ctx *c, const char *line)
{
	struct pb_item *it = add(c, PB_LINE);
	if (it)
		snprintf(it->line, sizeof(it->line), "%s", line);
}

/* A flexible working step over zones z1..z2. */
static struct pb_item *add_work(struct ctx *c, enum plan_op op, int z1, int z2, int base,
				uint32_t for_ms)
{
	struct pb_item *it = add(c, PB_WORK);
	if (!it)
		return NULL;
	it->op = op;
	where_run(c, z1, z2, op == PLAN_GLIDE, it->where, it->alt);
	it->level = run_level(c, z1, z2, base);
	it->for_ms = for_ms;
	it->flexible = op != PLAN_GLIDE;
	return it;
}

static void begin_phase(struct ctx *c, const char *name, int area)
{
	struct pb_plan *pp = c->pp;
	if (pp->phase_count >= PLANNER_PHASES_MAX)
		return;
	c->cur_phase = pp->phase_count++;
	snprintf(pp->phases[c->cur_phase].name, sizeof(pp->phases[0].name), "%s", name);
	pp->phases[c->cur_phase].area = area;
}

/* Gentle work over every run of workable zones in z1..z2 (the warm-up and the cool-down):
 * rolling, or the gentlest allowed technique when rolling is excluded. */
static void gentle_over(struct ctx *c, int z1, int z2, int base, int speed, uint32_t ms)
{
	enum plan_op op = tech_ok(c, PLAN_ROLL)	   ? PLAN_ROLL
			  : tech_ok(c, PLAN_KNEAD)   ? PLAN_KNEAD
			  : tech_ok(c, PLAN_SHIATSU) ? PLAN_SHIATSU
						     : PLAN_OP_COUNT;
	if (op == PLAN_OP_COUNT)
		return;
	int zones = 0;
	for (int z = z1; z <= z2; z++)
		zones += !(c->r.no_roller & (1u << z));
	if (!zones)
		return;
	for (int z = z1; z <= z2; z++) {
		if (c->r.no_roller & (1u << z))
			continue;
		int e = z;
		while (e + 1 <= z2 && !(c->r.no_roller & (1u << (e + 1))))
			e++;
		struct pb_item *it = add_work(c, op, z, e, base, ms * (uint32_t)(e - z + 1) / (uint32_t)zones);
		if (it) {
			it->speed = op == PLAN_SHIATSU ? 0 : speed;
			if (op == PLAN_KNEAD)
				it->width = PLAN_WIDTH_WIDE;
		}
		z = e;
	}
}

/* Trigger points in area: remembered ones first (each at its remembered level), then the
 * usual knots, up to n. */
static int knot_list(const struct ctx *c, int area, const char *pts[2], int start[2]);

static void add_trigger(struct ctx *c, int area, const char *pt, int start_level, int base,
			int rank, bool gentle)
{
	struct pb_item *it = add(c, PB_WORK);
	if (!it)
		return;
	it->op = PLAN_TRIGGER_POINT;
	snprintf(it->where, sizeof(it->where), "%s", pt);
	int lv = zone_level(c, area, base);
	if (start_level > 0)
		lv = clampi(start_level, 1, c->r.zone_max[area]);
	it->level = lv;
	it->start_level = start_level > 0 ? lv : 0;
	it->ramp_ms = gentle ? 8000 : 6000;
	it->hold_ms = gentle ? 30000 : c->base >= 6 ? 45000 : 40000;
	it->release_ms = it->ramp_ms;
	it->drop_rank = rank;
}

/* The work phase of one roller area with a budget of ms. */
static void work_roller(struct ctx *c, int area, int pain, uint32_t ms)
{
	const struct consult_answers *a = c->a;
	bool mobility = has_goal(a, GOAL_MOBILITY);
	bool relax = has_goal(a, GOAL_RELAXATION);
	int first = c->pp->item_count;
	c->worked |= 1u << area;
	if (area_low(c, area)) {
		/* Low pressure: slow rolling and wide slow kneading, no holds, no percussion. */
		struct pb_item *it;
		if (tech_ok(c, PLAN_ROLL) && (it = add_work(c, PLAN_ROLL, area, area, 2, ms / 2)))
			it->speed = 2;
		if (tech_ok(c, PLAN_KNEAD) && (it = add_work(c, PLAN_KNEAD, area, area, 3, ms / 2))) {
			it->speed = 2;
			it->width = PLAN_WIDTH_WIDE;
		}
		if (mobility && tech_ok(c, PLAN_GLIDE) && (it = add_work(c, PLAN_GLIDE, area, area, 2, 0))) {
			it->speed = 2;
			it->drop_rank = 2;
		}
	} else {
		struct pb_item *it;
		int speed = c->base <= 3 ? 3 : 4;
		bool knead = tech_ok(c, PLAN_KNEAD);
		if (knead && (it = add_work(c, PLAN_KNEAD, area, area, c->base, ms / 2))) {
			it->speed = speed;
			it->width = area == AREA_NECK			? PLAN_WIDTH_NARROW
				    : area >= AREA_SACRUM		? PLAN_WIDTH_WIDE
				    : pain >= 6				? PLAN_WIDTH_MEDIUM
									: PLAN_WIDTH_WIDE;
		}
		/* A localized knot: a high pain score in a spot area. */
		if (pain >= 6 && !relax && tech_ok(c, PLAN_TRIGGER_POINT)) {
			const char *pts[2];
			int start[2];
			int n = knot_list(c, area, pts, start);
			int want = ms >= 150000 ? 2 : ms >= 90000 ? 1 : 0;
			for (int i = 0; i < n && i < want; i++)
				add_trigger(c, area, pts[i], start[i], c->base + 1, 3 - i,
					    c->lim->max_pressure_level <= 4);
		}
		/* Stiffness: a slow sustained stroke through the zone. */
		if (mobility && tech_ok(c, PLAN_GLIDE) && (it = add_work(c, PLAN_GLIDE, area, area, c->base - 1, 0))) {
			it->speed = 1;
			it->drop_rank = 2;
		}
		if (tech_ok(c, PLAN_SHIATSU) && area != AREA_THIGHS &&
		    (relax || ms >= 240000 || !knead) &&
		    (it = add_work(c, PLAN_SHIATSU, area, area, c->base, ms / 2))) {
			it->hold_ms = 5000;
		}
		bool flexible = false;
		for (int i = first; i < c->pp->item_count; i++)
			flexible |= c->pp->items[i].flexible;
		if (!flexible && tech_ok(c, PLAN_ROLL) && (it = add_work(c, PLAN_ROLL, area, area, c->base - 1, ms / 2)))
			it->speed = 3;
	}
	if (c->pp->item_count == first) {
		c->worked &= ~(1u << area);
		note(c->pp, "%s is not worked: every technique fit for it is excluded.", area_title[area]);
	}
}

/* The airbags that press area and may be used, as an `air` statement's zone list. */
static int air_zones(const struct ctx *c, unsigned areas, char *buf, size_t n)
{
	int count = 0;
	buf[0] = '\0';
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++) {
		if (!(pb_airbag_areas[b] & areas) || !(c->r.air_ok & (1u << b)))
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, n - used, "%s%s", count ? ", " : "", pb_airbag_word[b]);
		count++;
	}
	return count;
}

/* The work phase of an airbag area (arms, calves, feet): the rollers rest, the airbags work. */
static void work_air(struct ctx *c, int area, uint32_t ms)
{
	char zones[64], line[96];
	if (!air_zones(c, 1u << area, zones, sizeof(zones)))
		return;
	snprintf(line, sizeof(line), "air %s level %d cycle 16s", zones, c->air_level);
	add_line(c, line);
	struct pb_item *it = add(c, PB_PAUSE);
	if (it) {
		it->for_ms = ms;
		it->flexible = true;
	}
	add_line(c, "air off");
}

static int knot_list(const struct ctx *c, int area, const char *pts[2], int start[2])
{
	int n = 0;
	for (int i = 0; i < c->in->trigger_count && n < 2 && c->in->triggers; i++) {
		const struct trigger_memory *m = &c->in->triggers[i];
		if (memchr(m->point, '\0', sizeof(m->point)) == NULL)
			continue;
		/* The remembered point as a program writes it: LANDMARK[+-N(mm|cm)]. */
		size_t len = strcspn(m->point, "+-");
		int lm = body_landmark_lookup(m->point, len);
		long off = 0;
		if (lm < 0)
			continue;
		if (m->point[len]) {
			char *end;
			off = strtol(m->point + len, &end, 10);
			if (strcmp(end, "cm") == 0)
				off *= 10;
			else if (strcmp(end, "mm") != 0 || labs(off) > 300)
				continue;
		}
		/* Used only where it lies well inside this area on every body checked. */
		bool inside = true;
		for (int b = 0; b < 3; b++) {
			const struct body_map *bm = c->bodies[b];
			double y = bm->y_mm[lm] + (double)off;
			inside &= body_zone_at(bm, y) == area && y - bm->span_start_mm[area] >= 20.0 &&
				  bm->span_end_mm[area] - y >= 20.0;
		}
		if (!inside)
			continue;
		pts[n] = m->point;
		start[n] = c->lim->cap_n > 0 ? (int)lround(m->level_n * 10.0 / c->lim->cap_n) : 0;
		if (start[n] < 1)
			start[n] = 1;
		n++;
	}
	for (int i = 0; i < 2 && n < 2; i++) {
		const char *p = knot_points[area][i];
		bool dup = false;
		for (int j = 0; p && j < n; j++)
			dup |= strcmp(pts[j], p) == 0;
		if (p && !dup) {
			pts[n] = p;
			start[n++] = 0;
		}
	}
	return n;
}

/* Chooses the program level and the usual work level. */
static void choose_level(struct ctx *c)
{
	const struct session_limits *lim = c->lim;
	enum intensity in = c->a->intensity;
	if (in == INTENSITY_FIRM && lim->deep_allowed && lim->max_pressure_level > c->il->normal_max_level)
		c->pp->level = PLAN_LEVEL_DEEP;
	else if (in == INTENSITY_GENTLE || lim->max_pressure_level <= c->il->gentle_max_level)
		c->pp->level = PLAN_LEVEL_GENTLE;
	else
		c->pp->level = PLAN_LEVEL_NORMAL;
	c->base = c->pp->level == PLAN_LEVEL_DEEP ? 7 : in == INTENSITY_FIRM ? 6 : in == INTENSITY_NORMAL ? 5 : 3;
	if (!has_goal(c->a, GOAL_PAIN_RELIEF) &&
	    (has_goal(c->a, GOAL_RELAXATION) || has_goal(c->a, GOAL_RECOVERY)))
		c->base--;
	c->air_level = in == INTENSITY_GENTLE ? 1 : in == INTENSITY_NORMAL ? 2 : 3;
	c->low_all = has_cond(c->a, COND_FIBROMYALGIA) || has_cond(c->a, COND_OSTEOPOROSIS);
}

static void header(struct ctx *c, const int *areas, int n)
{
	struct pb_plan *pp = c->pp;
	char what[96] = "";
	if (n == 0) {
		const char *g = has_goal(c->a, GOAL_MOBILITY) ? "mobility"
				: has_goal(c->a, GOAL_RECOVERY) ? "recovery" : "relaxation";
		snprintf(what, sizeof(what), "%s", g);
	} else {
		for (int i = 0; i < n && i < 2; i++) {
			size_t used = strlen(what);
			snprintf(what + used, sizeof(what) - used, "%s%s",
				 i == 0 ? "" : n == 2 ? " and " : ", ", area_title[areas[i]]);
		}
		if (n > 2)
			strcat(what, " and more");
	}
	for (char *p = what; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	snprintf(pp->name, sizeof(pp->name), "Plan for %s", what);
	const char *lvl = pp->level == PLAN_LEVEL_GENTLE ? "gentle" : pp->level == PLAN_LEVEL_DEEP ? "firm" : "normal";
	snprintf(pp->description, sizeof(pp->description),
		 "Made from the consultation: warm-up, %s, cool-down; %s pressure.",
		 n ? "work on each pain area, highest pain first" : "relaxing work on the back", lvl);
	snprintf(pp->tags, sizeof(pp->tags), "planned, %s%s", n ? "pain-relief" : what,
		 pp->level == PLAN_LEVEL_GENTLE ? ", gentle" : pp->level == PLAN_LEVEL_DEEP ? ", deep" : "");
}

/* The limits as rules: zone maxima, what the rollers, airbags and heaters may do. */
static void make_rules(struct ctx *c)
{
	const struct session_limits *lim = c->lim;
	struct pb_rules *r = &c->r;
	r->lim = lim;
	r->prefs = c->in->prefs;
	for (int z = 0; z < AREA_COUNT; z++) {
		r->zone_max[z] = planner_zone_max_level(lim, c->in->prefs, (enum area)z, c->pp->level, c->il);
		if (z < BODY_ZONE_COUNT && ((lim->areas_avoided & (1u << z)) || r->zone_max[z] < 1))
			r->no_roller |= 1u << z;
	}
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
		if (!(lim->techniques_excluded & TECH_AIR) &&
		    !(pb_airbag_areas[b] & (lim->areas_avoided | lim->areas_no_air)))
			r->air_ok |= 1u << b;
	static const int heater_area[HAL_HEATER_COUNT] = {AREA_LOWER_BACK, AREA_CALVES};
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		if (lim->heat_allowed && !(lim->techniques_excluded & TECH_HEAT) &&
		    !((lim->areas_no_heat | lim->areas_avoided) & (1u << heater_area[h])))
			r->heat_ok |= 1u << h;
}

/* Picks the areas to work, highest pain first; n, or 0 for a relaxation plan. */
static int pick_areas(struct ctx *c, int *areas, uint32_t work_ms)
{
	int n = 0;
	for (int score = 10; score >= 1; score--)
		for (int z = 0; z < AREA_COUNT; z++) {
			if (c->a->pain_score[z] != score)
				continue;
			bool roller = z < BODY_ZONE_COUNT;
			if (c->lim->areas_avoided & (1u << z)) {
				note(c->pp, "%s is not worked: the consultation says to avoid it.", area_title[z]);
				continue;
			}
			if (roller && (c->r.no_roller & (1u << z))) {
				note(c->pp, "%s is not worked: a past \"too much\" there leaves no pressure low enough.",
				     area_title[z]);
				continue;
			}
			char zones[64];
			if (!roller && !air_zones(c, 1u << z, zones, sizeof(zones))) {
				note(c->pp, "%s is not worked: its airbags are not to be used.", area_title[z]);
				continue;
			}
			if (n >= PLANNER_PHASES_MAX - 2 || (n > 0 && work_ms / (uint32_t)(n + 1) < 80000)) {
				note(c->pp, "%s is not worked: not enough time for every area; a longer session would reach it.",
				     area_title[z]);
				continue;
			}
			areas[n++] = z;
		}
	return n;
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
		snprintf(err, err_len, "the planner needs the answers, the limits and a text buffer");
		return -EINVAL;
	}
	text[0] = '\0';
	const struct session_limits *lim = in->limits;
	if (lim->see_professional_first) {
		snprintf(err, err_len, "no plan: please see a %s first%s%s",
			 lim->professional[0] ? lim->professional : "physician", lim->reason[0] ? ": " : "",
			 lim->reason);
		return -EPERM;
	}
	if (!(lim->cap_n > 0) || lim->max_pressure_level < 1) {
		snprintf(err, err_len, "no plan: the limits allow no pressure at all (cap %.1f N, level %d)",
			 lim->cap_n, lim->max_pressure_level);
		return -EPERM;
	}
	struct chair_config *cfg = NULL;
	const struct chair_config *use_cfg = in->cfg;
	if (!use_cfg) {
		cfg = malloc(sizeof(*cfg));
		if (!cfg)
			return -ENOMEM;
		config_defaults(cfg);
		use_cfg = cfg;
	}
	struct interp_limits il;
	program_limits(use_cfg, &il);
	free(cfg);
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
	int dur = in->duration_min > 0 ? in->duration_min : in->answers->duration_min;
	dur = clampi(dur, CONSULT_DURATION_MIN_MIN, CONSULT_DURATION_MAX_MIN);
	if (lim->max_duration_min >= CONSULT_DURATION_MIN_MIN && dur > lim->max_duration_min)
		dur = lim->max_duration_min;
	if ((uint32_t)dur * 60000u > il.session_max_ms)
		dur = (int)(il.session_max_ms / 60000u);
	if (dur < 1) {
		snprintf(err, err_len, "the chair's session limit is under a minute");
		return -EINVAL;
	}

	struct ctx c = {.in = in, .a = in->answers, .lim = lim, .il = &il,
			.bodies = {&plan_body, &small, &tall}};
	c.pp = calloc(1, sizeof(*c.pp));
	if (!c.pp)
		return -ENOMEM;
	choose_level(&c);
	make_rules(&c);
	c.r.duration_ms = (uint32_t)dur * 60000u;
	bool any_roller_tech = false;
	for (int op = PLAN_KNEAD; op <= PLAN_TRIGGER_POINT; op++)
		any_roller_tech |= tech_ok(&c, (enum plan_op)op);
	if ((c.r.no_roller & ((1u << BODY_ZONE_COUNT) - 1)) == (1u << BODY_ZONE_COUNT) - 1 ||
	    !any_roller_tech) {
		snprintf(err, err_len, "no plan: %s",
			 any_roller_tech ? "every area the rollers reach is to be avoided"
					 : "every roller technique is excluded");
		free(c.pp);
		return -EPERM;
	}
	c.tap_ok = tech_ok(&c, PLAN_TAP) && !c.low_all && c.a->intensity != INTENSITY_GENTLE;

	uint32_t target = (uint32_t)(c.r.duration_ms * PB_TARGET_SHARE);
	uint32_t edge_ms = (uint32_t)clampi((int)(c.r.duration_ms * 0.15), 60000, 180000);
	uint32_t work_ms = target > 2 * edge_ms ? target - 2 * edge_ms : 60000;
	int areas[AREA_COUNT], n = pick_areas(&c, areas, work_ms);
	int relax_areas[AREA_COUNT], nr = 0;
	if (n == 0) {
		/* No pain to work: relax the back, or whatever the rollers may reach. */
		static const int back[] = {AREA_SHOULDERS, AREA_UPPER_BACK, AREA_MID_BACK, AREA_LOWER_BACK,
					   AREA_NECK, AREA_SACRUM, AREA_GLUTES, AREA_THIGHS};
		for (int i = 0; i < 8 && nr < 4; i++)
			if (!(c.r.no_roller & (1u << back[i])) && (i < 4 || nr == 0))
				relax_areas[nr++] = back[i];
		if (dur < 15 && nr > 3)
			nr = 3;
	}
	header(&c, areas, n);

	/* Where the warm-up and the cool-down roll: from the highest to the lowest zone worked. */
	int top = BODY_ZONE_COUNT, bottom = -1;
	const int *list = n ? areas : relax_areas;
	int count = n ? n : nr;
	for (int i = 0; i < count; i++)
		if (list[i] < BODY_ZONE_COUNT) {
			top = list[i] < top ? list[i] : top;
			bottom = list[i] > bottom ? list[i] : bottom;
		}
	if (bottom < 0) {
		top = AREA_SHOULDERS;
		bottom = AREA_LOWER_BACK;
	}

	begin_phase(&c, "Warm-up", -1);
	const struct consult_answers *a = c.a;
	bool lumbar = (c.r.heat_ok & (1u << HAL_HEATER_LUMBAR)) &&
		      (has_cond(a, COND_BACK_PAIN) || has_cond(a, COND_ARTHRITIS) ||
		       a->pain_score[AREA_LOWER_BACK] > 0 || has_goal(a, GOAL_RELAXATION));
	bool calves = (c.r.heat_ok & (1u << HAL_HEATER_CALVES)) &&
		      (has_cond(a, COND_ARTHRITIS) || a->pain_score[AREA_CALVES] > 0);
	int temp_c = has_cond(a, COND_ARTHRITIS) ? 39 : 38;
	char line[96];
	if (lumbar && calves)
		snprintf(line, sizeof(line), "heat all on %dc", temp_c);
	else
		snprintf(line, sizeof(line), "heat %s on %dc", lumbar ? "lumbar" : "calves", temp_c);
	if (lumbar || calves)
		add_line(&c, line);
	gentle_over(&c, top, bottom, c.low_all ? 2 : c.base - 2 < 3 ? c.base - 2 : 3, c.low_all ? 2 : 3,
		    edge_ms);

	int weight = 0;
	for (int i = 0; i < n; i++)
		weight += a->pain_score[areas[i]];
	for (int i = 0; i < count; i++) {
		int z = list[i];
		uint32_t ms = n ? (uint32_t)((uint64_t)work_ms * (uint64_t)a->pain_score[z] / (uint64_t)weight)
				: work_ms / (uint32_t)count;
		begin_phase(&c, area_title[z], z);
		if (z < BODY_ZONE_COUNT)
			work_roller(&c, z, n ? a->pain_score[z] : 0, ms);
		else
			work_air(&c, z, ms);
	}

	begin_phase(&c, "Cool-down", -1);
	char zones[64];
	bool air = air_zones(&c, (1u << AREA_CALVES) | (1u << AREA_FEET), zones, sizeof(zones)) > 0;
	if (air) {
		snprintf(line, sizeof(line), "air %s level %d cycle 20s", zones, c.air_level);
		add_line(&c, line);
	}
	uint32_t roll_ms = edge_ms;
	int tap_z1 = top > AREA_SHOULDERS ? top : AREA_SHOULDERS;
	int tap_z2 = bottom < AREA_LOWER_BACK ? bottom : AREA_LOWER_BACK;
	if (c.tap_ok && edge_ms >= 90000 && tap_z1 <= tap_z2) {
		/* Light tapping over the longest run of the back that may be worked. */
		int best1 = -1, best2 = -1;
		for (int z = tap_z1; z <= tap_z2; z++) {
			if (c.r.no_roller & (1u << z))
				continue;
			int e = z;
			while (e + 1 <= tap_z2 && !(c.r.no_roller & (1u << (e + 1))))
				e++;
			if (e - z > best2 - best1)
				best1 = z, best2 = e;
			z = e;
		}
		struct pb_item *it;
		if (best1 >= 0 && (it = add_work(&c, PLAN_TAP, best1, best2, 2, edge_ms * 2 / 5))) {
			it->rate = 3;
			roll_ms -= edge_ms * 2 / 5;
		}
	}
	gentle_over(&c, top, bottom, 2, 2, roll_ms);
	if (air)
		add_line(&c, "air off");
	if (lumbar || calves)
		add_line(&c, "heat off");

	const struct body_map *const bodies[3] = {&plan_body, &small, &tall};
	int rc = pb_fit(c.pp, &c.r, &il, bodies, lim->cap_n, text, text_len, summary, err, err_len);
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
