/* The planner's text: writing a planner_plan as a program, fitting its flexible steps to the
 * duration by loading it as the chair would (parse, check, compile, resolve) and measuring,
 * verifying the resolved plan against the limits, and the summary for the panel. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../interp/interp.h"
#include "planner_build.h"

/* Appends to a text buffer; false once it is full. */
struct out {
	char *buf;
	size_t len, used;
	bool full;
};

/* printf into the buffer; a text that does not fit marks it full. */
static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->used < o->len ? o->len - o->used : 0;
	int w = vsnprintf(o->buf + o->used, room, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= room)
		o->full = true;
	else
		o->used += (size_t)w;
}

/* A duration as programs write it: "1m30s". */
static void dur(char *buf, size_t n, uint32_t ms)
{
	plan_format_ms(ms, buf, n);
}

/* One working statement, its zone written as where. */
static void put_work(struct out *o, const struct planner_item *it, const char *where,
		     const struct planner_rules *r)
{
	char d[24], h[24], ra[24], re[24];
	dur(d, sizeof(d), it->for_ms);
	put(o, "  %s %s", plan_op_name(it->op), where);
	if (it->width != PLAN_WIDTH_KEEP)
		put(o, " width %s", it->width == PLAN_WIDTH_NARROW ? "narrow"
				    : it->width == PLAN_WIDTH_MEDIUM ? "medium" : "wide");
	if (it->speed)
		put(o, " speed %d", it->speed);
	if (it->rate)
		put(o, " rate %d", it->rate);
	switch (it->op) {
	case PLAN_TRIGGER_POINT:
		dur(h, sizeof(h), it->hold_ms);
		dur(ra, sizeof(ra), it->ramp_ms);
		dur(re, sizeof(re), it->release_ms);
		if (r->guided) {
			put(o, " guided pressure %d", it->level);
			if (it->start_level)
				put(o, " from %d", it->start_level);
			put(o, " hold %s release %s\n", h, re);
		} else
			put(o, " pressure %d ramp %s hold %s release %s\n", it->level, ra, h, re);
		break;
	case PLAN_GLIDE:
		put(o, " pressure %d\n", it->level);
		break;
	case PLAN_SHIATSU:
		dur(h, sizeof(h), it->hold_ms);
		put(o, " pressure %d hold %s for %s\n", it->level, h, d);
		break;
	default:
		put(o, " pressure %d for %s\n", it->level, d);
		break;
	}
}

int planner_render(const struct planner_draft *pp, const struct planner_rules *r, char *text,
		   size_t len)
{
	struct out o = {text, len, 0, false};
	static const char *const level_word[] = {"gentle", "normal", "deep"};
	put(&o, "# Written by the planner from a consultation, for %u minutes.\n",
	    (unsigned)(r->duration_ms / 60000u));
	put(&o, "program \"%s\"\ndescription \"%s\"\ntags %s\nlevel %s\n", pp->name,
	    pp->description, pp->tags, level_word[pp->level]);
	int phase = -1;
	char prev[PLANNER_WHERE_LEN] = "";
	uint64_t run_ms = 0; /* of back-to-back steps written as prev, as written */
	for (int i = 0; i < pp->item_count; i++) {
		const struct planner_item *it = &pp->items[i];
		if (it->dropped)
			continue;
		if (it->phase != phase) {
			phase = it->phase;
			put(&o, "\nphase \"%s\"\n", pp->phases[phase].name);
		}
		char d[24];
		switch (it->kind) {
		case PLANNER_LINE:
			put(&o, "  %s\n", it->line);
			break;
		case PLANNER_PAUSE:
			dur(d, sizeof(d), it->for_ms);
			put(&o, "  pause %s\n", d);
			prev[0] = '\0';
			break;
		case PLANNER_WORK: {
			/* Back-to-back steps on a zone written alike count as one run for the
			 * checker's 10-minute rule; the same span written differently does not. A
			 * run past 5 minutes as estimated here (a trigger point at its longest,
			 * moves and approaches come on top) is broken so. */
			uint64_t ms = it->op == PLAN_TRIGGER_POINT
					      ? (uint64_t)it->ramp_ms + 3u * it->hold_ms +
							it->release_ms + 60000u
				      : it->op == PLAN_GLIDE ? 60000u
							     : it->for_ms;
			const char *where = it->where;
			if (strcmp(it->where, prev) == 0 && run_ms + ms > 300000u && it->alt[0])
				where = it->alt;
			run_ms = strcmp(where, prev) == 0 ? run_ms + ms : ms;
			put_work(&o, it, where, r);
			snprintf(prev, sizeof(prev), "%s", where);
			break;
		}
		}
	}
	if (o.full)
		return -ENOSPC;
	return (int)o.used;
}

/* ---- verification of a resolved plan against the rules ---- */

/* Whether work from..to (a point when equal) reaches inside zone z on body b. */
static bool overlaps(const struct body_map *b, int z, double from, double to)
{
	if (from == to)
		return body_zone_at(b, from) == z;
	return to > b->span_start_mm[z] && from < b->span_end_mm[z];
}

/* The resolved plan p against the rules, step by step: 0, or -EPROTO with err naming the
 * first broken rule. */
static int verify(const struct plan *p, const struct planner_rules *r, char *err, size_t err_len)
{
	const struct session_limits *lim = r->lim;
	const struct body_map *b = &p->body;
	if (p->level == PLAN_LEVEL_DEEP && !lim->deep_allowed) {
		snprintf(err, err_len, "planner: 'level deep' is not allowed");
		return -EPROTO;
	}
	for (uint32_t i = 0; i < p->step_count; i++) {
		const struct plan_step *s = &p->steps[i];
		enum plan_op op = (enum plan_op)s->op;
		if (op <= PLAN_STRETCH && (lim->techniques_excluded & (1u << op))) {
			snprintf(err, err_len, "planner: line %u uses %s, which is excluded",
				 s->line, plan_op_name(op));
			return -EPROTO;
		}
		if (op == PLAN_STRETCH) {
			unsigned bags = (1u << HAL_AIRBAG_SHOULDERS) | (1u << HAL_AIRBAG_ARMS) |
					(1u << HAL_AIRBAG_CALVES) | (1u << HAL_AIRBAG_FEET);
			if ((bags & ~r->air_ok) != 0) {
				snprintf(err, err_len,
					 "planner: line %u stretches with airbags not allowed",
					 s->line);
				return -EPROTO;
			}
		}
		if (op == PLAN_MODAL) {
			if ((s->modal.set & PLAN_SET_AIR) && (s->modal.air_mask & ~r->air_ok)) {
				snprintf(err, err_len, "planner: line %u uses airbags not allowed",
					 s->line);
				return -EPROTO;
			}
			for (int h = 0; h < HAL_HEATER_COUNT; h++)
				if (s->modal.heat_c[h] > 0 && !(r->heat_ok & (1u << h))) {
					snprintf(err, err_len,
						 "planner: line %u heats where heat is not allowed",
						 s->line);
					return -EPROTO;
				}
		}
		if (!plan_op_works(op))
			continue;
		double from = fmin(s->y_from_mm, s->y_to_mm), to = fmax(s->y_from_mm, s->y_to_mm);
		if (s->z_kind != PLAN_Z_PRESSURE) {
			snprintf(err, err_len, "planner: line %u is not force-controlled", s->line);
			return -EPROTO;
		}
		for (int z = 0; z < BODY_ZONE_COUNT; z++) {
			if (!overlaps(b, z, from, to))
				continue;
			if (r->no_roller & (1u << z)) {
				snprintf(err, err_len,
					 "planner: line %u works %s, which is avoided", s->line,
					 body_landmark_name((enum body_landmark)z));
				return -EPROTO;
			}
			if (s->z_level > r->zone_max[z]) {
				snprintf(err, err_len,
					 "planner: line %u presses %s at level %u, above %d",
					 s->line, body_landmark_name((enum body_landmark)z),
					 s->z_level, r->zone_max[z]);
				return -EPROTO;
			}
			if (r->prefs && r->prefs[z].ceiling_n > 0 &&
			    s->force_n > PLANNER_CEILING_SHARE * r->prefs[z].ceiling_n + 1e-6) {
				snprintf(err, err_len,
					 "planner: line %u presses %s at %.1f N, over %.1f N", s->line,
					 body_landmark_name((enum body_landmark)z), s->force_n,
					 PLANNER_CEILING_SHARE * r->prefs[z].ceiling_n);
				return -EPROTO;
			}
		}
	}
	return 0;
}

/* ---- the summary ---- */

struct walk {
	struct planner_summary *sum;
	const struct body_map *b;
};

/* Adds one step of the walk to the summary: its phase's time and techniques, the areas. */
static bool sum_step(void *ctx, const struct plan_step *s, uint64_t start_ms, uint64_t dur_ms,
		     double start_y_mm, double end_y_mm)
{
	struct walk *w = ctx;
	struct planner_summary *sum = w->sum;
	(void)start_ms;
	(void)start_y_mm;
	(void)end_y_mm;
	int ph = (int)s->phase - 1;
	unsigned tech = 0;
	enum plan_op op = (enum plan_op)s->op;
	if (op <= PLAN_STRETCH)
		tech |= 1u << op;
	if (op == PLAN_MODAL) {
		if ((s->modal.set & PLAN_SET_AIR) && s->modal.air_mask) {
			tech |= TECH_AIR;
			for (int b = 0; b < HAL_AIRBAG_COUNT; b++)
				if (s->modal.air_mask & (1u << b))
					sum->areas_worked |= planner_airbag_areas[b];
		}
		for (int h = 0; h < HAL_HEATER_COUNT; h++)
			if (s->modal.heat_c[h] > 0)
				tech |= TECH_HEAT;
	}
	if (plan_op_works(op)) {
		double from = fmin(s->y_from_mm, s->y_to_mm), to = fmax(s->y_from_mm, s->y_to_mm);
		for (int z = 0; z < BODY_ZONE_COUNT; z++)
			if (overlaps(w->b, z, from, to))
				sum->areas_worked |= 1u << z;
		if (s->z_level > sum->peak_pressure_level)
			sum->peak_pressure_level = s->z_level;
	}
	sum->techniques |= tech;
	if (ph >= 0 && ph < sum->phase_count) {
		sum->phases[ph].ms += dur_ms;
		sum->phases[ph].techniques |= tech;
	}
	return true;
}

/* "3 min", or "40 s" under a minute, for the panel's line. */
static void minutes(char *buf, size_t n, uint64_t ms)
{
	if (ms >= 60000)
		snprintf(buf, n, "%llu min", (unsigned long long)((ms + 30000) / 60000));
	else
		snprintf(buf, n, "%llu s", (unsigned long long)((ms + 500) / 1000));
}

/* The summary of the accepted plan p as resolved for the body planned for. */
static void summarize(const struct planner_draft *pp, const struct planner_rules *r,
		      const struct plan *p, struct planner_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	sum->duration_min = (int)(r->duration_ms / 60000u);
	sum->total_ms = p->total_ms;
	sum->level = p->level;
	sum->guided_trigger_points = r->guided;
	sum->phase_count = pp->phase_count;
	for (int i = 0; i < pp->phase_count; i++) {
		snprintf(sum->phases[i].name, sizeof(sum->phases[i].name), "%s",
			 pp->phases[i].name);
		sum->phases[i].area = pp->phases[i].area;
	}
	struct walk w = {sum, &p->body};
	plan_walk(p, p->total_ms + 1, sum_step, &w);
	sum->note_count = pp->note_count;
	memcpy(sum->notes, pp->notes, sizeof(sum->notes));

	/* "20 min: warm-up 3 min, lower back (trigger points, kneading) 9 min, cool-down 3 min" */
	static const struct {
		unsigned bit;
		const char *word;
	} words[] = {
		{1u << PLAN_TRIGGER_POINT, "trigger points"},
		{1u << PLAN_GLIDE, "myofascial glide"},
		{1u << PLAN_KNEAD, "kneading"},
		{1u << PLAN_KNEAD_TAP, "kneading and tapping"},
		{1u << PLAN_SHIATSU, "shiatsu"},
		{1u << PLAN_ROLL, "rolling"},
		{1u << PLAN_TAP, "tapping"},
		{TECH_AIR, "air"},
	};
	struct out o = {sum->text, sizeof(sum->text), 0, false};
	char m[24];
	minutes(m, sizeof(m), p->total_ms);
	put(&o, "%s:", m);
	for (int i = 0; i < sum->phase_count; i++) {
		const struct planner_phase *ph = &sum->phases[i];
		char name[48];
		snprintf(name, sizeof(name), "%s", ph->name);
		for (char *c = name; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		put(&o, "%s %s", i ? "," : "", name);
		if (ph->area >= 0) {
			int k = 0;
			for (size_t j = 0; j < sizeof(words) / sizeof(words[0]); j++)
				if (ph->techniques & words[j].bit)
					put(&o, "%s%s", k++ ? ", " : " (", words[j].word);
			if (k)
				put(&o, ")");
		}
		minutes(m, sizeof(m), ph->ms);
		put(&o, " %s", m);
	}
}

/* ---- fitting ---- */

/* The run is measured on the body planned for and on heights across the supported range: a
 * run's length is not monotonic in the height (where a kneading crawl ends moves the next
 * step's start), so the extremes alone do not bound it. */
#define PLANNER_HEIGHTS 5
#define PLANNER_BODIES (1 + PLANNER_HEIGHTS)
#define PLANNER_CHECK_BODIES 3

struct loaded {
	struct plan *p[PLANNER_BODIES];     /* [0] the body planned for, with the person's cap */
	uint64_t check_ms;             /* the longest run as the checker counts it */
	uint32_t warnings;
	char first[INTERP_MSG_MAX + 32]; /* the first diagnostic or refusal */
};

/* Frees what load() resolved. */
static void unload(struct loaded *l)
{
	for (int i = 0; i < PLANNER_BODIES; i++) {
		plan_free(l->p[i]);
		l->p[i] = NULL;
	}
}

/* Loads text as the chair would and resolves it on the bodies with the person's cap, and
 * on the checker's bodies with the chair's force limit as the checker does (a guided
 * trigger point's rise, and so its time, grows with the force). 0, -EPROTO with l->first,
 * -ENOMEM. */
static int load(const char *text, size_t len, const struct interp_limits *il,
		const struct body_map *bodies, double cap_n, struct loaded *l)
{
	memset(l, 0, sizeof(*l));
	struct interp_diags *d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	interp_diags_init(d, "plan");
	struct plan *compiled = NULL;
	int rc = interp_load(text, len, "plan", il, d, &compiled);
	l->warnings = d->warnings;
	if (d->count)
		interp_diag_format(d, 0, l->first, sizeof(l->first));
	free(d);
	if (rc == -ENOMEM)
		return rc;
	if (rc != 0)
		return -EPROTO;
	for (int i = 0; i < PLANNER_BODIES && rc == 0; i++) {
		char err[256] = "";
		rc = plan_resolve(compiled, &bodies[i], cap_n, il->track_min_mm, &l->p[i], err,
				  sizeof(err));
		if (rc == -ENOMEM)
			break;
		if (rc != 0) {
			snprintf(l->first, sizeof(l->first), "plan:%s", err);
			rc = -EPROTO;
		}
	}
	/* The checker's bodies: the smallest, the default and the tallest (heights [0], [2],
	 * [4] of the spread). */
	for (int i = 0; i < PLANNER_CHECK_BODIES && rc == 0; i++) {
		struct plan *q = NULL;
		rc = plan_resolve_ex(compiled, &bodies[1 + 2 * i], il->force_max_n,
				     il->track_min_mm, PLAN_RESOLVE_CLAMP, &q, NULL, 0);
		if (rc == 0 && q->total_ms > l->check_ms)
			l->check_ms = q->total_ms;
		plan_free(q);
		if (rc != 0 && rc != -ENOMEM)
			rc = -EPROTO;
	}
	plan_free(compiled);
	if (rc != 0)
		unload(l);
	return rc;
}

/* Leaves out the droppable item of the highest rank; false when none is left. */
static bool drop_one(struct planner_draft *pp)
{
	int best = -1;
	for (int i = 0; i < pp->item_count; i++)
		if (!pp->items[i].dropped && pp->items[i].drop_rank > 0 &&
		    (best < 0 || pp->items[i].drop_rank >= pp->items[best].drop_rank))
			best = i;
	if (best < 0)
		return false;
	pp->items[best].dropped = true;
	return true;
}

/* Whole seconds, at least PLANNER_MIN_FOR_MS, for every flexible step; those over
 * PLANNER_MAX_FOR_MS are split in two (the renderer writes the second differently). */
static void split_long(struct planner_draft *pp)
{
	for (int i = 0; i < pp->item_count; i++) {
		struct planner_item *it = &pp->items[i];
		if (it->flexible)
			it->for_ms = (it->for_ms + 500u) / 1000u * 1000u;
		if (it->flexible && it->for_ms < PLANNER_MIN_FOR_MS)
			it->for_ms = PLANNER_MIN_FOR_MS;
	}
	for (int i = 0; i < pp->item_count && pp->item_count < PLANNER_ITEMS_MAX; i++) {
		struct planner_item *it = &pp->items[i];
		if (!it->flexible || it->dropped || it->for_ms <= PLANNER_MAX_FOR_MS ||
		    it->kind != PLANNER_WORK)
			continue;
		memmove(&pp->items[i + 1], &pp->items[i],
			sizeof(pp->items[0]) * (size_t)(pp->item_count - i));
		pp->item_count++;
		uint32_t half = (it->for_ms / 2000u) * 1000u;
		pp->items[i + 1].for_ms = it->for_ms - half;
		it->for_ms = half;
	}
}

int planner_fit(struct planner_draft *pp, const struct planner_rules *r,
		const struct interp_limits *il, const struct body_map *body, double cap_n,
		char *text, size_t text_len, struct planner_summary *sum, char *err, size_t err_len)
{
	const uint64_t d_ms = r->duration_ms;
	const uint64_t target = (uint64_t)(d_ms * PLANNER_TARGET_SHARE);
	/* Room kept below each bound for what the measured bodies do not show. */
	const uint64_t slack_ms = d_ms / 100 > 3000 ? d_ms / 100 : 3000;
	struct body_map bodies[PLANNER_BODIES];
	bodies[0] = *body;
	for (int i = 0; i < PLANNER_HEIGHTS; i++) {
		double h =
			il->body_height_min_mm + (il->body_height_max_mm - il->body_height_min_mm) *
							 i / (PLANNER_HEIGHTS - 1);
		if (body_from_height(&bodies[1 + i], h, il) != 0)
			return -EINVAL;
	}
	int rc = -EPROTO;
	struct loaded l;
	memset(&l, 0, sizeof(l));
	snprintf(err, err_len, "planner: no plan fits %u minutes", (unsigned)(d_ms / 60000u));
	/* While fitting, a draft may run over the session limit: it is measured, not run. */
	struct interp_limits draft = *il;
	draft.session_max_ms = UINT32_MAX;
	uint64_t last_t0 = 0;
	for (int iter = 0; iter < PLANNER_FIT_ITERATIONS; iter++) {
		split_long(pp);
		int n = planner_render(pp, r, text, text_len);
		if (n < 0) {
			snprintf(err, err_len, "planner: the text buffer is too small");
			return n;
		}
		rc = load(text, (size_t)n, &draft, bodies, cap_n, &l);
		if (rc == -ENOMEM)
			return rc;
		if (rc != 0) {
			snprintf(err, err_len, "planner: the plan does not load: %s", l.first);
			return -EPROTO;
		}
		uint64_t t0 = l.p[0]->total_ms, hi = t0, lo = t0;
		for (int i = 1; i < PLANNER_BODIES; i++) {
			hi = l.p[i]->total_ms > hi ? l.p[i]->total_ms : hi;
			lo = l.p[i]->total_ms < lo ? l.p[i]->total_ms : lo;
		}
		bool fits = hi + slack_ms <= d_ms && t0 >= d_ms * 85 / 100 &&
			    lo >= d_ms * 82 / 100 && l.check_ms + slack_ms <= il->session_max_ms;
		if (fits) {
			/* The draft fits: load it again as the chair will. */
			unload(&l);
			rc = load(text, (size_t)n, il, bodies, cap_n, &l);
			if (rc == -ENOMEM)
				return rc;
			if (rc != 0) {
				snprintf(err, err_len, "planner: the plan does not load: %s",
					 l.first);
				return -EPROTO;
			}
			if (l.warnings) {
				snprintf(err, err_len, "planner: the checker warns: %s", l.first);
				unload(&l);
				return -EPROTO;
			}
			for (int i = 0; i < PLANNER_BODIES; i++) {
				rc = verify(l.p[i], r, err, err_len);
				if (rc != 0) {
					unload(&l);
					return rc;
				}
			}
			if (sum)
				summarize(pp, r, l.p[0], sum);
			unload(&l);
			err[0] = '\0';
			return 0;
		}
		uint64_t check_ms = l.check_ms;
		unload(&l);
		/* Scale the flexible steps so that the run on the body planned for meets the
		 * target, keeping the longest body within the duration. */
		uint64_t flex = 0;
		int nflex = 0;
		for (int i = 0; i < pp->item_count; i++)
			if (pp->items[i].flexible && !pp->items[i].dropped) {
				flex += pp->items[i].for_ms;
				nflex++;
			}
		/* The body planned for aims at the target; the longest measured body stays a
		 * slack inside the duration, the checker's count inside the session limit. */
		int64_t goal = (int64_t)target;
		int64_t by_duration = (int64_t)d_ms - (int64_t)(hi - t0) - 2 * (int64_t)slack_ms;
		int64_t by_limit =
			(int64_t)il->session_max_ms -
			((int64_t)check_ms > (int64_t)t0 ? (int64_t)(check_ms - t0) : 0) -
			2 * (int64_t)slack_ms;
		goal = by_duration < goal ? by_duration : goal;
		goal = by_limit < goal ? by_limit : goal;
		int64_t fixed = (int64_t)t0 - (int64_t)flex;
		/* Too little room for the flexible steps, or scaling no longer moves the run
		 * (they are all at their shortest): leave something out. */
		bool stalled = iter > 0 && (t0 > last_t0 ? t0 - last_t0 : last_t0 - t0) < 1000;
		last_t0 = t0;
		if (nflex == 0 || goal < fixed + (int64_t)nflex * PLANNER_MIN_FOR_MS || stalled) {
			if (!drop_one(pp))
				break;
			continue;
		}
		double scale = (double)(goal - fixed) / (double)flex;
		for (int i = 0; i < pp->item_count; i++) {
			struct planner_item *it = &pp->items[i];
			if (!it->flexible || it->dropped)
				continue;
			double ms = floor(it->for_ms * scale / 1000.0 + 0.5) * 1000.0;
			it->for_ms = ms < PLANNER_MIN_FOR_MS ? PLANNER_MIN_FOR_MS : (uint32_t)ms;
		}
	}
	return -EPROTO;
}
