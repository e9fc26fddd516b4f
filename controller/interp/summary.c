/* Figures of a program (see summary.h), from walking its plan on three bodies. */
#include "summary.h"

#include <errno.h>
#include <math.h>
#include <string.h>

struct walk {
	struct interp_summary *s;
	const struct plan *p;
};

/* The part of a step's time spent on the zone start_mm..end_mm: the overlap's share of
 * the worked range lo..hi, or all of it for a step on one point inside the zone. A step
 * over three zones is not three steps' time. */
static double zone_share(double lo, double hi, double start_mm, double end_mm)
{
	if (hi <= lo)
		return lo >= start_mm && lo < end_mm ? 1.0 : 0.0;
	double overlap_mm = fmin(hi, end_mm) - fmax(lo, start_mm);
	return overlap_mm > 0.0 ? overlap_mm / (hi - lo) : 0.0;
}

static bool visit(void *ctx, const struct plan_step *st, uint64_t start_ms, uint64_t dur_ms,
		  double start_y_mm, double end_y_mm)
{
	struct walk *w = ctx;
	struct interp_summary *s = w->s;
	(void)start_ms;
	(void)start_y_mm;
	(void)end_y_mm;
	if (st->phase < INTERP_SUMMARY_PHASES_MAX)
		s->phase[st->phase].ms += dur_ms;
	if (!plan_op_works((enum plan_op)st->op))
		return true;
	const struct body_map *b = &w->p->body;
	double lo = fmin(st->y_from_mm, st->y_to_mm), hi = fmax(st->y_from_mm, st->y_to_mm);
	for (int z = 0; z < BODY_ZONE_COUNT; z++) {
		double share = zone_share(lo, hi, b->span_start_mm[z], b->span_end_mm[z]);
		if (share > 0.0) {
			s->zones |= 1u << z;
			s->zone_ms[z] += (uint64_t)llround(share * (double)st->work_ms);
		}
	}
	return true;
}

int interp_summarize(const struct plan *compiled, const struct interp_limits *lim,
		     struct interp_summary *s)
{
	memset(s, 0, sizeof(*s));
	for (uint32_t i = 0; i < compiled->step_count; i++) {
		const struct plan_step *st = &compiled->steps[i];
		s->techniques |= 1u << st->op;
		if (plan_op_works((enum plan_op)st->op)) {
			if (st->z_kind == PLAN_Z_PRESSURE && st->z_level > s->peak_pressure)
				s->peak_pressure = st->z_level;
			if (st->z_kind == PLAN_Z_DEPTH && st->z_level > s->peak_depth)
				s->peak_depth = st->z_level;
		}
		if (st->op == PLAN_MODAL) {
			s->air |= (st->modal.set & PLAN_SET_AIR) && st->modal.air_mask;
			s->heat |= (st->modal.set & (PLAN_SET_HEAT_LUMBAR | PLAN_SET_HEAT_CALVES)) &&
				   (st->modal.heat_c[0] || st->modal.heat_c[1]);
			s->recline |= (st->modal.set & PLAN_SET_RECLINE) != 0;
		}
	}
	s->phase_count = compiled->phase_count < INTERP_SUMMARY_PHASES_MAX
				 ? compiled->phase_count : INTERP_SUMMARY_PHASES_MAX;
	for (uint32_t i = 0; i < s->phase_count; i++)
		s->phase[i].name = compiled->phase_names[i];

	struct body_map bodies[3];
	if (body_from_height(&bodies[0], lim->body_height_min_mm, lim) != 0 ||
	    body_from_height(&bodies[2], lim->body_height_max_mm, lim) != 0)
		return -EINVAL;
	body_default(&bodies[1], lim);
	s->shortest_ms = UINT64_MAX;
	for (int i = 0; i < 3; i++) {
		struct plan *p;
		int rc = plan_resolve_ex(compiled, &bodies[i], lim->force_max_n, lim->track_min_mm,
					 PLAN_RESOLVE_CLAMP, &p, NULL, 0);
		if (rc != 0)
			return rc;
		if (p->total_ms < s->shortest_ms)
			s->shortest_ms = p->total_ms;
		if (p->total_ms > s->longest_ms)
			s->longest_ms = p->total_ms;
		if (i == 1) {
			s->total_ms = p->total_ms;
			struct walk w = {s, p};
			plan_walk(p, 2ull * lim->session_max_ms, visit, &w);
		}
		plan_free(p);
	}
	return 0;
}
