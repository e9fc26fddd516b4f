/* The planner's work per area: where a technique goes (zone ranges split around avoided
 * zones, with a margin), which techniques fit an area and at which level, the warm-up and
 * cool-down strokes, trigger points (remembered ones first) and airbag work. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "planner_build.h"

/* Words of the areas in phase names and summaries. */
const char *const planner_area_title[AREA_COUNT] = {
	"Neck", "Shoulders", "Upper back", "Mid back", "Lower back", "Sacrum",
	"Glutes", "Thighs", "Arms", "Calves", "Feet",
};

/* The roller zones' edges as points that stay on the same anatomy for every body: a
 * vertebra and an offset. Used to keep a margin inside a lone zone next to an avoided one
 * (a zone word in a range stands for its outer edge, which cannot take a margin on both
 * sides). NULL: no such point (the glutes and thighs start at the seat). */
struct edge {
	const char *lm;
	int off_mm;
};
static const struct edge zone_top[BODY_ZONE_COUNT] = {
	{"C7", -115}, {"C7", -5}, {"T3", 0}, {"T7", 0}, {"T12", 0}, {"L5", 15}, {NULL, 0}, {NULL, 0},
};
static const struct edge zone_bottom[BODY_ZONE_COUNT] = {
	{"C7", -5}, {"T3", 0}, {"T7", 0}, {"T12", 0}, {"L5", 15}, {NULL, 0}, {NULL, 0}, {NULL, 0},
};

/* Usual knots beside the spine, well inside their zone (at least 20 mm from its edges on
 * every supported body). The neck and thighs get none: no sustained compression there. */
static const char *const knot_points[BODY_ZONE_COUNT][2] = {
	{NULL, NULL}, {"C7+20mm", "T2"}, {"T4", "T6"}, {"T8", "T10"},
	{"L4", "L2+20mm"}, {"sacrum", NULL}, {"glutes", NULL}, {NULL, NULL},
};

const unsigned planner_airbag_areas[HAL_AIRBAG_COUNT] = {
	1u << AREA_SHOULDERS, 1u << AREA_ARMS, 1u << AREA_LOWER_BACK,
	(1u << AREA_GLUTES) | (1u << AREA_THIGHS), 1u << AREA_CALVES, 1u << AREA_FEET,
};

const char *const planner_airbag_word[HAL_AIRBAG_COUNT] = {
	"shoulders", "arms", "waist", "seat", "calves", "feet",
};

/* A zone's level for a technique whose usual level is base: the person's learnt shift,
 * within the zone's limit. */
static int zone_level(const struct planner_ctx *c, int area, int base)
{
	int delta = c->in->prefs ? planner_clampi(c->in->prefs[area].pressure_delta, -5, 5) : 0;
	return planner_clampi(base + delta, 1, c->r.zone_max[area] > 0 ? c->r.zone_max[area] : 1);
}

/* The level for work over zones z1..z2: the lowest any of them allows. */
static int run_level(const struct planner_ctx *c, int z1, int z2, int base)
{
	int lv = 10;
	for (int z = z1; z <= z2; z++) {
		int l = zone_level(c, z, base);
		if (l < lv)
			lv = l;
	}
	return lv;
}

/* Whether pressure must stay low in area: a condition that says so everywhere, no deep work
 * there, or a limit of level 3 or less. */
static bool area_low(const struct planner_ctx *c, int area)
{
	return c->low_all || (c->lim->areas_no_deep & (1u << area)) || c->r.zone_max[area] <= 3;
}

/* A point as a program writes it: "L5+15mm", "T3". */
static void fmt_point(char *buf, size_t n, const char *lm, int off_mm)
{
	if (off_mm)
		snprintf(buf, n, "%s%+dmm", lm, off_mm);
	else
		snprintf(buf, n, "%s", lm);
}

/* A zone word with an offset: "glutes+15mm". */
static void fmt_zone(char *buf, size_t n, int z, int off_mm)
{
	fmt_point(buf, n, body_landmark_name((enum body_landmark)z), off_mm);
}

/* How the run of workable zones z1..z2 is written (and an alternative spelling of the same
 * span), keeping PLANNER_MARGIN_MM from a neighbour that is not worked. range: the
 * statement needs a range (glide). Returns the zone a shifted span reaches into beyond
 * z1..z2 (its level counts too), or -1. */
static int where_run(const struct planner_ctx *c, int z1, int z2, bool range, char *w, char *alt)
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
		snprintf(w, PLANNER_WHERE_LEN, "%s..%s", a, b);
		fmt_zone(a, sizeof(a), z1, mt + 1);
		snprintf(alt, PLANNER_WHERE_LEN, "%s..%s", a, b);
		return -1;
	}
	int z = z1;
	if (z <= AREA_LOWER_BACK && (mt || mb)) {
		fmt_point(a, sizeof(a), zone_top[z].lm, zone_top[z].off_mm + mt);
		fmt_point(b, sizeof(b), zone_bottom[z].lm, zone_bottom[z].off_mm - mb);
		snprintf(w, PLANNER_WHERE_LEN, "%s..%s", a, b);
		fmt_point(a, sizeof(a), zone_top[z].lm, zone_top[z].off_mm + mt + 1);
		snprintf(alt, PLANNER_WHERE_LEN, "%s..%s", a, b);
		return -1;
	}
	if (z == AREA_SACRUM && (mt || mb)) {
		fmt_zone(b, sizeof(b), z, -mb);
		snprintf(w, PLANNER_WHERE_LEN, "L5+%dmm..%s", zone_top[z].off_mm + mt, b);
		snprintf(alt, PLANNER_WHERE_LEN, "L5+%dmm..%s", zone_top[z].off_mm + mt + 1, b);
		return -1;
	}
	/* The glutes: a margin on one side shifts the zone into the worked neighbour; with
	 * both neighbours out (or for the thighs) it is worked edge to edge. */
	int shift = z == AREA_GLUTES && mt && !mb ? mt : z == AREA_GLUTES && mb && !mt ? -mb : 0;
	fmt_zone(a, sizeof(a), z, shift);
	if (range) {
		snprintf(w, PLANNER_WHERE_LEN, "%s..%s", a, a);
	} else {
		snprintf(w, PLANNER_WHERE_LEN, "%s", a);
		snprintf(alt, PLANNER_WHERE_LEN, "%s..%s", a, a);
	}
	return shift > 0 ? z + 1 : shift < 0 ? z - 1 : -1;
}

/* A new item in the current phase; NULL when the plan is full. */
static struct planner_item *add(struct planner_ctx *c, enum planner_item_kind kind)
{
	struct planner_draft *pp = c->pp;
	if (pp->item_count >= PLANNER_ITEMS_MAX)
		return NULL;
	struct planner_item *it = &pp->items[pp->item_count++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->phase = c->cur_phase;
	return it;
}

/* A modal statement, written as is. */
void planner_add_line(struct planner_ctx *c, const char *line)
{
	struct planner_item *it = add(c, PLANNER_LINE);
	if (it)
		snprintf(it->line, sizeof(it->line), "%s", line);
}

/* A working step over zones z1..z2 at the lowest level any zone it touches allows. */
struct planner_item *planner_add_work(struct planner_ctx *c, enum plan_op op, int z1, int z2,
				      int base, uint32_t for_ms)
{
	struct planner_item *it = add(c, PLANNER_WORK);
	if (!it)
		return NULL;
	it->op = op;
	int beyond = where_run(c, z1, z2, op == PLAN_GLIDE, it->where, it->alt);
	it->level = run_level(c, z1, z2, base);
	if (beyond >= 0 && run_level(c, beyond, beyond, base) < it->level)
		it->level = run_level(c, beyond, beyond, base);
	it->for_ms = for_ms;
	it->flexible = op != PLAN_GLIDE;
	return it;
}

/* A new phase; the items added next belong to it. */
void planner_begin_phase(struct planner_ctx *c, const char *name, int area)
{
	struct planner_draft *pp = c->pp;
	if (pp->phase_count >= PLANNER_PHASES_MAX)
		return;
	c->cur_phase = pp->phase_count++;
	snprintf(pp->phases[c->cur_phase].name, sizeof(pp->phases[0].name), "%s", name);
	pp->phases[c->cur_phase].area = area;
}

/* Gentle work over every run of workable zones in z1..z2 (the warm-up and the cool-down):
 * rolling, or the gentlest allowed technique when rolling is excluded. */
void planner_gentle_over(struct planner_ctx *c, int z1, int z2, int base, int speed, uint32_t ms)
{
	enum plan_op op = planner_tech_ok(c, PLAN_ROLL)	   ? PLAN_ROLL
			  : planner_tech_ok(c, PLAN_KNEAD)   ? PLAN_KNEAD
			  : planner_tech_ok(c, PLAN_SHIATSU) ? PLAN_SHIATSU
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
		struct planner_item *it = planner_add_work(
			c, op, z, e, base, ms * (uint32_t)(e - z + 1) / (uint32_t)zones);
		if (it) {
			it->speed = op == PLAN_SHIATSU ? 0 : speed;
			if (op == PLAN_KNEAD)
				it->width = PLAN_WIDTH_WIDE;
		}
		z = e;
	}
}

/* Trigger points for area, at most two: remembered ones first (start[] their remembered
 * level), then the usual knots (start[] 0); how many. */
static int knot_list(const struct planner_ctx *c, int area, const char *pts[2], int start[2])
{
	int n = 0;
	for (int i = 0; i < c->in->trigger_count && n < 2 && c->in->triggers; i++) {
		const struct trigger_memory *m = &c->in->triggers[i];
		if (memchr(m->point, '\0', sizeof(m->point)) == NULL)
			continue;
		/* The remembered point as a program writes it: LANDMARK[+-N(mm|cm)]; landmark
		 * names hold '-' too ("lower-back-10mm"): the longest name that fits. */
		size_t len = 0;
		int lm = -1;
		for (int l = 0; l < BODY_LANDMARK_COUNT; l++) {
			const char *name = body_landmark_name((enum body_landmark)l);
			size_t nl = strlen(name);
			char next = m->point[nl];
			if (strncmp(m->point, name, nl) == 0 && nl > len &&
			    (next == '\0' ||
			     ((next == '+' || next == '-') && m->point[nl + 1] >= '0' &&
			      m->point[nl + 1] <= '9'))) {
				lm = l;
				len = nl;
			}
		}
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
			inside &= body_zone_at(bm, y) == area &&
				  y - bm->span_start_mm[area] >= 20.0 &&
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

/* A trigger point at pt in area, at base (a remembered start_level wins), dropped at rank
 * when time is short. */
static void add_trigger(struct planner_ctx *c, int area, const char *pt, int start_level, int base,
			int rank, bool gentle)
{
	struct planner_item *it = add(c, PLANNER_WORK);
	if (!it)
		return;
	it->op = PLAN_TRIGGER_POINT;
	snprintf(it->where, sizeof(it->where), "%s", pt);
	int lv = zone_level(c, area, base);
	if (start_level > 0)
		lv = planner_clampi(start_level, 1, c->r.zone_max[area]);
	it->level = lv;
	it->start_level = start_level > 0 ? lv : 0;
	it->ramp_ms = gentle ? 8000 : 6000;
	it->hold_ms = gentle ? 30000 : c->base >= 6 ? 45000 : 40000;
	it->release_ms = it->ramp_ms;
	it->drop_rank = rank;
	if (c->r.guided) {
		/* Guided: the level is the most it may reach, the remembered one where its rise
		 * starts; each of its (up to three) holds is bounded, so keep them short. */
		it->level = zone_level(c, area, base);
		if (it->start_level > it->level)
			it->level = it->start_level;
		it->hold_ms = gentle ? 15000 : c->base >= 6 ? 25000 : 20000;
	}
}

/* The work phase of one roller area with a budget of ms. */
void planner_work_roller(struct planner_ctx *c, int area, int pain, uint32_t ms)
{
	const struct consult_answers *a = c->a;
	bool mobility = planner_has_goal(a, GOAL_MOBILITY);
	bool relax = planner_has_goal(a, GOAL_RELAXATION);
	int first = c->pp->item_count;
	c->worked |= 1u << area;
	if (area_low(c, area)) {
		/* Low pressure: slow rolling and wide slow kneading, no holds, no percussion. */
		struct planner_item *it;
		if (planner_tech_ok(c, PLAN_ROLL) &&
		    (it = planner_add_work(c, PLAN_ROLL, area, area, 2, ms / 2)))
			it->speed = 2;
		if (planner_tech_ok(c, PLAN_KNEAD) &&
		    (it = planner_add_work(c, PLAN_KNEAD, area, area, 3, ms / 2))) {
			it->speed = 2;
			it->width = PLAN_WIDTH_WIDE;
		}
		if (mobility && planner_tech_ok(c, PLAN_GLIDE) &&
		    (it = planner_add_work(c, PLAN_GLIDE, area, area, 2, 0))) {
			it->speed = 2;
			it->drop_rank = 2;
		}
	} else {
		struct planner_item *it;
		int speed = c->base <= 3 ? 3 : 4;
		bool knead = planner_tech_ok(c, PLAN_KNEAD);
		if (knead && (it = planner_add_work(c, PLAN_KNEAD, area, area, c->base, ms / 2))) {
			it->speed = speed;
			it->width = area == AREA_NECK			? PLAN_WIDTH_NARROW
				    : area >= AREA_SACRUM		? PLAN_WIDTH_WIDE
				    : pain >= 6				? PLAN_WIDTH_MEDIUM
									: PLAN_WIDTH_WIDE;
		}
		/* A localized knot: a high pain score in a spot area. */
		if (pain >= 6 && !relax && planner_tech_ok(c, PLAN_TRIGGER_POINT)) {
			const char *pts[2];
			int start[2];
			int n = knot_list(c, area, pts, start);
			int want = ms >= 150000 ? 2 : ms >= 90000 ? 1 : 0;
			for (int i = 0; i < n && i < want; i++)
				add_trigger(c, area, pts[i], start[i], c->base + 1, 1 + 2 * i,
					    c->lim->max_pressure_level <= 4);
		}
		/* Stiffness: a slow sustained stroke through the zone. */
		if (mobility && planner_tech_ok(c, PLAN_GLIDE) &&
		    (it = planner_add_work(c, PLAN_GLIDE, area, area, c->base - 1, 0))) {
			it->speed = 1;
			it->drop_rank = 2;
		}
		if (planner_tech_ok(c, PLAN_SHIATSU) && area != AREA_THIGHS &&
		    (relax || ms >= 240000 || !knead) &&
		    (it = planner_add_work(c, PLAN_SHIATSU, area, area, c->base, ms / 2))) {
			it->hold_ms = 5000;
		}
		bool flexible = false;
		for (int i = first; i < c->pp->item_count; i++)
			flexible |= c->pp->items[i].flexible;
		if (!flexible && planner_tech_ok(c, PLAN_ROLL) &&
		    (it = planner_add_work(c, PLAN_ROLL, area, area, c->base - 1, ms / 2)))
			it->speed = 3;
	}
	if (c->pp->item_count == first) {
		c->worked &= ~(1u << area);
		planner_note(c->pp, "%s is not worked: every technique fit for it is excluded.",
			     planner_area_title[area]);
	}
}

/* The airbags that press area and may be used, as an `air` statement's zone list. */
int planner_air_zones(const struct planner_ctx *c, unsigned areas, char *buf, size_t n)
{
	int count = 0;
	buf[0] = '\0';
	for (int b = 0; b < HAL_AIRBAG_COUNT; b++) {
		if (!(planner_airbag_areas[b] & areas) || !(c->r.air_ok & (1u << b)))
			continue;
		size_t used = strlen(buf);
		snprintf(buf + used, n - used, "%s%s", count ? ", " : "", planner_airbag_word[b]);
		count++;
	}
	return count;
}

/* The work phase of an airbag area (arms, calves, feet): the rollers rest, the airbags work. */
void planner_work_air(struct planner_ctx *c, int area, uint32_t ms)
{
	char zones[64], line[96];
	if (!planner_air_zones(c, 1u << area, zones, sizeof(zones)))
		return;
	snprintf(line, sizeof(line), "air %s level %d cycle 16s", zones, c->air_level);
	planner_add_line(c, line);
	struct planner_item *it = add(c, PLANNER_PAUSE);
	if (it) {
		it->for_ms = ms;
		it->flexible = true;
	}
	planner_add_line(c, "air off");
}
