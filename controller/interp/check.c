/* The checks, in three passes: the header and the repeat structure; every statement's
 * values against their ranges and the program's level; then, on the compiled plan for
 * the smallest, the default and the tallest body, where things lie and how long it runs. */
#include "check.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "gen.h"
#include "words.h"

struct checker {
	struct interp_program *prog;
	const struct interp_limits *lim;
	struct interp_diags *d;
	enum plan_level level;
	int max_level;
	struct body_map small, tall, medium;
};

static const char *level_word(enum plan_level l)
{
	return interp_level_name[l];
}

/* ---- header ---- */

static void check_header(struct checker *c)
{
	struct interp_program *prog = c->prog;
	const struct interp_stmt *seen[INTERP_KW_LEVEL + 1] = {0};
	const struct interp_stmt *first_body = NULL;
	for (uint32_t i = 0; i < prog->count; i++) {
		struct interp_stmt *st = &prog->stmts[i];
		if (st->kw > INTERP_KW_LEVEL) {
			if (!first_body)
				first_body = st;
			continue;
		}
		const char *kw = interp_kw_name[st->kw];
		if (seen[st->kw]) {
			interp_error(c->d, st->loc, "repeated '%s' (the first is at line %u)", kw,
				     (unsigned)seen[st->kw]->loc.line);
			st->bad = true;
			continue;
		}
		seen[st->kw] = st;
		if (first_body)
			interp_error(c->d, st->loc,
				     "'%s' belongs in the header, before the first statement (line %u)",
				     kw, (unsigned)first_body->loc.line);
		if (st->kw == INTERP_KW_PROGRAM && st->str) {
			if (st->str_len == 0)
				interp_error(c->d, st->str_loc, "the program's name is empty");
			else if (st->str_len > PLAN_NAME_MAX)
				interp_error(c->d, st->str_loc,
					     "the program's name is %u bytes long; at most %d are allowed",
					     (unsigned)st->str_len, PLAN_NAME_MAX);
		}
		if (st->kw == INTERP_KW_LEVEL && st->arg.set && !st->arg.bad)
			c->level = (enum plan_level)st->arg.v;
	}
	if (!seen[INTERP_KW_PROGRAM])
		interp_error(c->d, (struct interp_loc){1, 1},
			     "missing 'program \"NAME\"': a program starts by naming itself");
	if (!first_body && prog->unknown_lines == 0)
		interp_error(c->d, seen[INTERP_KW_PROGRAM] ? seen[INTERP_KW_PROGRAM]->loc
							   : (struct interp_loc){1, 1},
			     "the program has no statements: nothing to do");
	c->max_level = c->level == PLAN_LEVEL_GENTLE   ? c->lim->gentle_max_level
		       : c->level == PLAN_LEVEL_NORMAL ? c->lim->normal_max_level
						       : 10;
}

/* ---- repeat / end ---- */

static int check_repeats(struct checker *c)
{
	struct interp_program *prog = c->prog;
	uint32_t *stack = malloc((prog->count + 1) * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	uint32_t depth = 0;
	for (uint32_t i = 0; i < prog->count; i++) {
		struct interp_stmt *st = &prog->stmts[i];
		if (st->kw == INTERP_KW_REPEAT) {
			if (depth == PLAN_REPEAT_DEPTH_MAX) {
				interp_error(c->d, st->loc, "repeat nested more than %d deep",
					     PLAN_REPEAT_DEPTH_MAX);
				st->bad = true;
			}
			stack[depth++] = i;
		} else if (st->kw == INTERP_KW_END) {
			if (depth == 0) {
				interp_error(c->d, st->loc, "'end' without a 'repeat'");
				st->bad = true;
				continue;
			}
			/* A broken repeat takes its end with it, so the loops stay paired. */
			if (prog->stmts[stack[--depth]].bad)
				st->bad = true;
		}
	}
	while (depth > 0) {
		struct interp_stmt *st = &prog->stmts[stack[--depth]];
		interp_error(c->d, st->loc, "'repeat' without a matching 'end'");
		st->bad = true;
	}
	free(stack);
	return 0;
}

/* ---- values ---- */

static void range(struct checker *c, const struct interp_value *v, const char *what, int64_t lo,
		  int64_t hi)
{
	if (v->set && !v->bad && (v->v < lo || v->v > hi))
		interp_error(c->d, v->vloc, "%s %lld is out of range (%lld to %lld)", what,
			     (long long)v->v, (long long)lo, (long long)hi);
}

static void duration_range(struct checker *c, const struct interp_value *v, const char *what,
			   int64_t lo_ms, int64_t hi_ms)
{
	char a[32], b[32];
	if (!v->set || v->bad)
		return;
	if (v->v < lo_ms) {
		plan_format_ms((uint64_t)v->v, a, sizeof(a));
		plan_format_ms((uint64_t)lo_ms, b, sizeof(b));
		interp_error(c->d, v->vloc, "%s %s is too short; at least %s", what, a, b);
	} else if (hi_ms > 0 && v->v > hi_ms) {
		plan_format_ms((uint64_t)v->v, a, sizeof(a));
		plan_format_ms((uint64_t)hi_ms, b, sizeof(b));
		interp_error(c->d, v->vloc, "%s %s is too long; at most %s", what, a, b);
	}
}

/* Depth and pressure: 1..10, and no higher than the program's level allows. */
static void intensity(struct checker *c, const struct interp_value *v, const char *what)
{
	if (!v->set || v->bad)
		return;
	if (v->v < 1 || v->v > 10) {
		range(c, v, what, 1, 10);
	} else if (v->v > c->max_level) {
		if (c->level == PLAN_LEVEL_NORMAL)
			interp_error(c->d, v->vloc, "%s %lld needs 'level deep' (a normal program goes up to %d)",
				     what, (long long)v->v, c->max_level);
		else
			interp_error(c->d, v->vloc, "%s %lld is more than 'level %s' allows (up to %d)", what,
				     (long long)v->v, level_word(c->level), c->max_level);
	}
}

static void missing(struct checker *c, const struct interp_stmt *st, const char *what,
		    const char *why)
{
	interp_error(c->d, st->end, "missing '%s': %s %s", what, interp_kw_name[st->kw], why);
}

/* A guided trigger point rises from `from` to `pressure` (the level's most by default):
 * a start above its top would never rise. */
static void check_guided(struct checker *c, const struct interp_stmt *st)
{
	const struct interp_value *from = &st->opt[INTERP_OPT_FROM];
	const struct interp_value *top = &st->opt[INTERP_OPT_PRESSURE];
	if (!from->set || from->bad || (top->set && top->bad))
		return;
	int64_t top_level = top->set ? top->v : c->max_level;
	if (from->v > top_level && from->v >= 1 && from->v <= 10 && top_level >= 1 &&
	    top_level <= 10)
		interp_error(c->d, from->vloc,
			     "from %lld is above the most this guided trigger-point may reach (pressure %lld%s)",
			     (long long)from->v, (long long)top_level,
			     top->set ? "" : ", the program level's most");
}

static void check_technique(struct checker *c, struct interp_stmt *st)
{
	const struct interp_value *o = st->opt;
	const char *kw = interp_kw_name[st->kw];
	range(c, &o[INTERP_OPT_SPEED], "speed", 1, 10);
	range(c, &o[INTERP_OPT_RATE], "rate", 1, 10);
	intensity(c, &o[INTERP_OPT_DEPTH], "depth");
	intensity(c, &o[INTERP_OPT_PRESSURE], "pressure");
	intensity(c, &o[INTERP_OPT_FROM], "from");
	range(c, &o[INTERP_OPT_TIMES], "times", 1, PLAN_REPEAT_COUNT_MAX);
	duration_range(c, &o[INTERP_OPT_FOR], "duration", 1000, 0);
	duration_range(c, &o[INTERP_OPT_RAMP], "ramp", 1000, 60000);
	duration_range(c, &o[INTERP_OPT_RELEASE], "release", 1000, 60000);
	if (st->kw == INTERP_KW_SHIATSU)
		duration_range(c, &o[INTERP_OPT_HOLD], "hold", 1000, 60000);
	else if (st->guided)
		duration_range(c, &o[INTERP_OPT_HOLD], "hold", GEN_GUIDED_HOLD_MIN_MS,
			       GEN_GUIDED_HOLD_MAX_MS);
	else
		duration_range(c, &o[INTERP_OPT_HOLD], "hold", 1000, 0);
	if (o[INTERP_OPT_DEPTH].set && o[INTERP_OPT_PRESSURE].set) {
		const struct interp_value *later =
			o[INTERP_OPT_DEPTH].loc.col > o[INTERP_OPT_PRESSURE].loc.col ? &o[INTERP_OPT_DEPTH]
										    : &o[INTERP_OPT_PRESSURE];
		interp_error(c->d, later->loc,
			     "'depth' and 'pressure' cannot both be given: depth sets a position, pressure a force");
	}
	if (st->bad)
		return; /* what seems missing may only be misspelt */
	switch (st->kw) {
	case INTERP_KW_ROLL:
		if (o[INTERP_OPT_FOR].set && o[INTERP_OPT_TIMES].set)
			interp_error(c->d, o[INTERP_OPT_FOR].loc.col > o[INTERP_OPT_TIMES].loc.col
						   ? o[INTERP_OPT_FOR].loc : o[INTERP_OPT_TIMES].loc,
				     "roll takes 'for' or 'times', not both");
		else if (!o[INTERP_OPT_FOR].set && !o[INTERP_OPT_TIMES].set)
			missing(c, st, "for DURATION' or 'times N", "needs one of them");
		break;
	case INTERP_KW_GLIDE:
		if (st->where.present && !st->where.w.is_range)
			interp_error(c->d, st->where.loc,
				     "glide needs a range 'POINT..POINT', the stroke's start and end");
		break;
	case INTERP_KW_TRIGGER_POINT:
		if (st->where.present && st->where.w.is_range)
			interp_error(c->d, st->where.b_loc,
				     "trigger-point presses one point, not a range");
		if (st->guided) {
			check_guided(c, st);
			break;
		}
		if (!o[INTERP_OPT_PRESSURE].set)
			missing(c, st, "pressure LEVEL", "needs a pressure");
		if (!o[INTERP_OPT_HOLD].set)
			missing(c, st, "hold DURATION", "needs a hold time");
		else if (!o[INTERP_OPT_HOLD].bad && o[INTERP_OPT_HOLD].v > INTERP_TRIGGER_HOLD_WARN_MS)
			interp_warning(c->d, o[INTERP_OPT_HOLD].vloc,
				       "a trigger-point hold over 2m is unusually long");
		break;
	default:
		if (!o[INTERP_OPT_FOR].set)
			missing(c, st, "for DURATION", "needs a duration");
		break;
	}
	(void)kw;
}

/* Seconds for a message: "2s", "6.7s". */
static void format_s(uint32_t ms, char *buf, size_t n)
{
	if (ms % 1000u == 0)
		snprintf(buf, n, "%us", (unsigned)(ms / 1000u));
	else
		snprintf(buf, n, "%.1fs", ms / 1000.0);
}

/* An air pattern gives each zone cycle / zones of time, and a zone must fill in it: the
 * shared vent first empties the zone before (venting comes first), then the pump fills
 * this one. A slot too short for that never reaches the level, or never fills at all. */
static void check_air_slot(struct checker *c, const struct interp_stmt *st)
{
	const struct interp_value *level = &st->opt[INTERP_OPT_LEVEL];
	const struct interp_value *cycle = &st->opt[INTERP_OPT_CYCLE];
	if (st->bad || !level->set || level->bad || level->v < 1 || level->v > 5)
		return;
	if (cycle->set && (cycle->bad || cycle->v < INTERP_AIR_CYCLE_MIN_MS ||
			   cycle->v > INTERP_AIR_CYCLE_MAX_MS))
		return;
	int zones = 0;
	for (int z = 0; z < HAL_AIRBAG_COUNT; z++)
		zones += (st->air_mask >> z) & 1u;
	if (zones == 0)
		return;
	uint64_t cycle_ms = cycle->set ? (uint64_t)cycle->v : INTERP_DEFAULT_AIR_CYCLE_MS;
	uint32_t slot_min_ms = interp_air_slot_min_ms(c->lim, zones, (int)level->v);
	uint64_t cycle_min_ms = (uint64_t)zones * slot_min_ms;
	if (cycle_ms >= cycle_min_ms)
		return;
	double kpa = interp_air_kpa(c->lim, (int)level->v);
	uint32_t vent_ms = zones > 1 ? interp_vent_ms(c->lim, kpa) : 0;
	char cyc[32], slot[16], need[16], vent[16], fill[16], how[128], fix[64];
	plan_format_ms(cycle_ms, cyc, sizeof(cyc));
	format_s((uint32_t)((cycle_ms + (uint64_t)zones - 1) / (uint64_t)zones), slot, sizeof(slot));
	format_s(slot_min_ms, need, sizeof(need));
	format_s(slot_min_ms - vent_ms, fill, sizeof(fill));
	if (vent_ms) {
		format_s(vent_ms, vent, sizeof(vent));
		snprintf(how, sizeof(how), "%s for the shared vent to empty the zone before, %s",
			 vent, fill);
	} else {
		snprintf(how, sizeof(how), "%s", fill);
	}
	/* The shortest cycle that works, in whole seconds. */
	uint64_t fix_ms = (cycle_min_ms + 999u) / 1000u * 1000u;
	if (fix_ms <= INTERP_AIR_CYCLE_MAX_MS) {
		char fix_cycle[32];
		plan_format_ms(fix_ms, fix_cycle, sizeof(fix_cycle));
		snprintf(fix, sizeof(fix), "%s 'cycle %s' or longer", cycle->set ? "use" : "add",
			 fix_cycle);
	} else {
		snprintf(fix, sizeof(fix), "use fewer zones or a lower level");
	}
	interp_error(c->d, cycle->set ? cycle->vloc : st->end,
		     "%s%s is too short for %d air zone%s at level %lld: each gets %s but needs %s (%s to fill to %.0f kPa); %s",
		     cycle->set ? "cycle " : "the default cycle of ", cyc, zones, zones > 1 ? "s" : "",
		     (long long)level->v, slot, need, how, kpa, fix);
}

static void check_statement(struct checker *c, struct interp_stmt *st)
{
	const struct interp_limits *lim = c->lim;
	switch (st->kw) {
	case INTERP_KW_STRETCH:
		range(c, &st->opt[INTERP_OPT_LEVEL], "stretch level", 1, 5);
		duration_range(c, &st->opt[INTERP_OPT_FOR], "duration", 1000, 0);
		if (!st->bad && !st->opt[INTERP_OPT_FOR].set)
			missing(c, st, "for DURATION", "needs a duration");
		break;
	case INTERP_KW_AIR:
		if (st->off)
			break;
		range(c, &st->opt[INTERP_OPT_LEVEL], "air level", 1, 5);
		duration_range(c, &st->opt[INTERP_OPT_CYCLE], "cycle", INTERP_AIR_CYCLE_MIN_MS,
			       INTERP_AIR_CYCLE_MAX_MS);
		if (!st->bad && !st->opt[INTERP_OPT_LEVEL].set)
			missing(c, st, "level 1-5", "needs a level");
		else
			check_air_slot(c, st);
		break;
	case INTERP_KW_HEAT:
		if (st->off || !st->arg.set || st->arg.bad)
			break;
		if (st->arg.v > (int64_t)lim->heat_max_c)
			interp_error(c->d, st->arg.vloc, "heat %lldc is above the chair's maximum of %.0fc",
				     (long long)st->arg.v, lim->heat_max_c);
		else if (st->arg.v < (int64_t)lim->heat_min_c)
			interp_error(c->d, st->arg.vloc, "heat %lldc is below %.0fc: that is not heating",
				     (long long)st->arg.v, lim->heat_min_c);
		else if (st->arg.v > (int64_t)lim->heat_warn_c)
			interp_warning(c->d, st->arg.vloc, "heat %lldc is above %.0fc; most people find it hot",
				       (long long)st->arg.v, lim->heat_warn_c);
		break;
	case INTERP_KW_PAUSE:
		duration_range(c, &st->arg, "pause", 100, 0);
		break;
	case INTERP_KW_REPEAT:
		if (st->arg.set && !st->arg.bad && (st->arg.v < 1 || st->arg.v > PLAN_REPEAT_COUNT_MAX)) {
			range(c, &st->arg, "repeat count", 1, PLAN_REPEAT_COUNT_MAX);
			st->bad = true;
		}
		break;
	case INTERP_KW_KNEAD:
	case INTERP_KW_TAP:
	case INTERP_KW_KNEAD_TAP:
	case INTERP_KW_SHIATSU:
	case INTERP_KW_ROLL:
	case INTERP_KW_GLIDE:
	case INTERP_KW_TRIGGER_POINT:
		check_technique(c, st);
		break;
	default:
		break;
	}
}

/* ---- places ---- */

static double end_of(const struct body_map *b, const struct plan_where *w, bool as_point,
		     bool second)
{
	double from_mm, to_mm;
	plan_where_span(b, w, as_point, &from_mm, &to_mm);
	return second ? to_mm : from_mm;
}

static void check_point_on_track(struct checker *c, const struct interp_where *wh, bool as_point,
				 bool second)
{
	const struct plan_point *pt = second ? &wh->w.b : &wh->w.a;
	struct interp_loc loc = second ? wh->b_loc : wh->loc;
	double lo = c->lim->track_min_mm, hi = c->lim->track_max_mm;
	double y_small = end_of(&c->small, &wh->w, as_point, second);
	double y_tall = end_of(&c->tall, &wh->w, as_point, second);
	bool small_off = y_small < lo || y_small > hi;
	bool tall_off = y_tall < lo || y_tall > hi;
	char name[48];
	plan_point_format(pt, name, sizeof(name));
	/* Positions are linear in the shoulder line: off at both ends of the range of
	 * bodies on the same side means off for every body in between. */
	if ((y_small < lo && y_tall < lo) || (y_small > hi && y_tall > hi)) {
		interp_error(c->d, loc,
			     "'%s' is off the track (%.0f to %.0f mm) for every body the chair supports",
			     name, lo, hi);
	} else if (small_off || tall_off) {
		const struct body_map *b = small_off ? &c->small : &c->tall;
		interp_warning(c->d, loc,
			       "'%s' is off the track for some bodies (at %.0f mm for a %.0f cm person)",
			       name, small_off ? y_small : y_tall, b->height_mm / 10.0);
	}
}

static void check_where(struct checker *c, struct interp_stmt *st)
{
	struct interp_where *wh = &st->where;
	if (!wh->present || wh->bad)
		return;
	bool as_point = st->kw == INTERP_KW_TRIGGER_POINT;
	if (c->level != PLAN_LEVEL_DEEP) {
		if (wh->a_track)
			interp_error(c->d, wh->loc, "'track' positions need 'level deep'");
		if (wh->w.is_range && wh->b_track)
			interp_error(c->d, wh->b_loc, "'track' positions need 'level deep'");
	}
	check_point_on_track(c, wh, as_point, false);
	if (wh->w.is_range) {
		check_point_on_track(c, wh, as_point, true);
		double from_mm, to_mm;
		plan_where_span(&c->medium, &wh->w, as_point, &from_mm, &to_mm);
		if (fabs(to_mm - from_mm) < 1.0) {
			char a[48], b[48];
			plan_point_format(&wh->w.a, a, sizeof(a));
			plan_point_format(&wh->w.b, b, sizeof(b));
			interp_error(c->d, wh->loc, "the range '%s..%s' is empty", a, b);
		}
	}
}

/* ---- time: the session limit and long runs on one zone ---- */

struct zone_walk {
	struct checker *c;
	const struct plan_step *prev; /* the last working step of the current run */
	uint64_t run_ms;
	bool warned;
	uint32_t warnings;
};

static bool already_said(const struct interp_diags *d, struct interp_loc loc, const char *msg)
{
	for (uint32_t i = 0; i < d->count; i++)
		if (d->item[i].loc.line == loc.line && d->item[i].loc.col == loc.col &&
		    strcmp(d->item[i].msg, msg) == 0)
			return true;
	return false;
}

static bool same_point(const struct plan_point *a, const struct plan_point *b)
{
	return a->landmark == b->landmark && a->offset_mm == b->offset_mm;
}

/* The same zone as written: the same landmark, range and offsets. */
static bool same_zone(const struct plan_where *a, const struct plan_where *b)
{
	return a->is_range == b->is_range && same_point(&a->a, &b->a) &&
	       (!a->is_range || same_point(&a->b, &b->b));
}

/* A run is working steps on one zone, back to back; any other timed step ends it. */
static bool zone_runs(void *ctx, const struct plan_step *s, uint64_t start_ms, uint64_t dur_ms,
		      double start_y_mm, double end_y_mm)
{
	struct zone_walk *w = ctx;
	(void)start_ms;
	(void)start_y_mm;
	(void)end_y_mm;
	if (!plan_op_timed((enum plan_op)s->op))
		return true;
	if (!plan_op_works((enum plan_op)s->op)) {
		w->prev = NULL;
		return true;
	}
	if (!w->prev || !same_zone(&w->prev->where, &s->where)) {
		w->run_ms = 0;
		w->warned = false;
	}
	w->prev = s;
	w->run_ms += dur_ms;
	if (w->run_ms > INTERP_ZONE_RUN_WARN_MS && !w->warned) {
		char msg[INTERP_MSG_MAX], zone[48];
		struct interp_loc loc = {s->line, s->col};
		w->warned = true;
		plan_point_format(&s->where.a, zone, sizeof(zone));
		if (s->where.is_range) {
			size_t n = strlen(zone);
			snprintf(zone + n, sizeof(zone) - n, "..");
			plan_point_format(&s->where.b, zone + n + 2, sizeof(zone) - n - 2);
		}
		snprintf(msg, sizeof(msg), "'%s' is worked for more than 10m in a row", zone);
		if (!already_said(w->c->d, loc, msg)) {
			interp_warning(w->c->d, loc, "%s", msg);
			w->warnings++;
		}
	}
	return w->warnings < 20;
}

static int check_time(struct checker *c)
{
	struct plan *compiled;
	int rc = plan_compile(c->prog, c->lim, &compiled);
	if (rc != 0)
		return rc;
	const struct body_map *bodies[3] = {&c->small, &c->medium, &c->tall};
	struct plan *resolved[3] = {0};
	uint64_t longest_ms = 0;
	int longest = 0;
	for (int i = 0; i < 3 && rc == 0; i++) {
		rc = plan_resolve_ex(compiled, bodies[i], c->lim->force_max_n, c->lim->track_min_mm,
				     PLAN_RESOLVE_CLAMP, &resolved[i], NULL, 0);
		if (rc == 0 && resolved[i]->total_ms > longest_ms) {
			longest_ms = resolved[i]->total_ms;
			longest = i;
		}
	}
	if (rc == 0 && longest_ms > c->lim->session_max_ms) {
		const struct plan_step *crossing =
			plan_step_past_ms(resolved[longest], c->lim->session_max_ms);
		struct interp_loc loc = crossing ? (struct interp_loc){crossing->line, crossing->col}
						 : (struct interp_loc){1, 1};
		char a[32], b[32];
		plan_format_ms(longest_ms, a, sizeof(a));
		plan_format_ms(c->lim->session_max_ms, b, sizeof(b));
		interp_error(c->d, loc,
			     "the program runs %s, over the session limit of %s; it passes the limit here",
			     a, b);
	}
	/* Warnings about time are for programs that are otherwise right. */
	if (rc == 0 && c->d->errors == 0) {
		struct zone_walk w = {.c = c};
		plan_walk(resolved[1], c->lim->session_max_ms, zone_runs, &w);
	}
	for (int i = 0; i < 3; i++)
		plan_free(resolved[i]);
	plan_free(compiled);
	return rc;
}

int interp_check(struct interp_program *prog, const struct interp_limits *lim,
		 struct interp_diags *d)
{
	if (prog->rejected)
		return (int)d->errors;
	struct checker c = {.prog = prog, .lim = lim, .d = d, .level = PLAN_LEVEL_NORMAL};
	if (body_from_height(&c.small, lim->body_height_min_mm, lim) != 0 ||
	    body_from_height(&c.tall, lim->body_height_max_mm, lim) != 0)
		return -EINVAL;
	body_default(&c.medium, lim);

	check_header(&c);
	int rc = check_repeats(&c);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < prog->count; i++) {
		check_statement(&c, &prog->stmts[i]);
		check_where(&c, &prog->stmts[i]);
	}
	rc = check_time(&c);
	if (rc != 0)
		return rc;
	interp_diags_sort(d);
	return (int)d->errors;
}
