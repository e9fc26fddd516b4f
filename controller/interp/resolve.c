/* Resolving a compiled plan for one person: places to track millimetres, levels to
 * speeds and forces, counted rolls and glides to durations, and the run's total time.
 *
 * A zone landmark used alone as a zone is its span; used as a single point, its middle;
 * as the end of a range, its outer edge, so `shoulders..sacrum` covers both zones whole.
 * A vertebra is its point everywhere (its span, half way to its neighbours, when a
 * technique works it as a zone). Offsets move all of these. `track N` is N mm, with a
 * span of +-PLAN_TRACK_SPAN_MM as a zone. */
#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"

#define PLAN_TRACK_SPAN_MM 20.0

static bool is_zone_landmark(const struct plan_point *pt)
{
	return pt->landmark >= 0 && pt->landmark < BODY_ZONE_COUNT;
}

static double point_y(const struct body_map *b, const struct plan_point *pt)
{
	if (pt->landmark == PLAN_TRACK_POINT)
		return pt->offset_mm;
	if (pt->landmark < 0 || pt->landmark >= BODY_LANDMARK_COUNT)
		return 0.0;
	return b->y_mm[pt->landmark] + pt->offset_mm;
}

void plan_where_span(const struct body_map *b, const struct plan_where *w, bool as_point,
		     double *from_mm, double *to_mm)
{
	const struct plan_point *a = &w->a;
	if (!w->is_range) {
		if (as_point) {
			*from_mm = *to_mm = point_y(b, a);
		} else if (a->landmark == PLAN_TRACK_POINT) {
			*from_mm = a->offset_mm - PLAN_TRACK_SPAN_MM;
			*to_mm = a->offset_mm + PLAN_TRACK_SPAN_MM;
		} else if (a->landmark >= 0 && a->landmark < BODY_LANDMARK_COUNT) {
			*from_mm = b->span_start_mm[a->landmark] + a->offset_mm;
			*to_mm = b->span_end_mm[a->landmark] + a->offset_mm;
		} else {
			*from_mm = *to_mm = 0.0;
		}
		return;
	}
	const struct plan_point *z = &w->b;
	double ya = point_y(b, a), yz = point_y(b, z);
	bool down = ya <= yz;
	if (is_zone_landmark(a))
		ya = (down ? b->span_start_mm[a->landmark] : b->span_end_mm[a->landmark]) + a->offset_mm;
	if (is_zone_landmark(z))
		yz = (down ? b->span_end_mm[z->landmark] : b->span_start_mm[z->landmark]) + z->offset_mm;
	*from_mm = ya;
	*to_mm = yz;
}

void plan_point_format(const struct plan_point *pt, char *buf, size_t n)
{
	if (pt->landmark == PLAN_TRACK_POINT)
		snprintf(buf, n, "track %ldmm", (long)pt->offset_mm);
	else if (pt->offset_mm != 0)
		snprintf(buf, n, "%s%+ldmm", body_landmark_name((enum body_landmark)pt->landmark),
			 (long)pt->offset_mm);
	else
		snprintf(buf, n, "%s", body_landmark_name((enum body_landmark)pt->landmark));
}

void plan_format_ms(uint64_t ms, char *buf, size_t n)
{
	/* Milliseconds matter only in short durations; longer ones round to the second. */
	if (ms >= 60000)
		ms = (ms + 500) / 1000 * 1000;
	uint64_t h = ms / 3600000u, m = ms / 60000u % 60u, s = ms / 1000u % 60u, rest = ms % 1000u;
	size_t used = 0;
	buf[0] = '\0';
#define PUT(...)                                                                   \
	do {                                                                       \
		int w_ = snprintf(buf + used, n > used ? n - used : 0, __VA_ARGS__); \
		if (w_ > 0)                                                        \
			used += (size_t)w_;                                        \
	} while (0)
	if (h)
		PUT("%lluh", (unsigned long long)h);
	if (m)
		PUT("%llum", (unsigned long long)m);
	if (s || (!h && !m && !rest))
		PUT("%llus", (unsigned long long)s);
	if (rest)
		PUT("%llums", (unsigned long long)rest);
#undef PUT
}

/* A refusal as a diagnostic without its file name, at line:col of the program. */
static void set_err(char *err, size_t err_len, uint32_t line, uint32_t col, const char *msg)
{
	if (err && err_len)
		snprintf(err, err_len, "%u:%u: error: %s", (unsigned)line, (unsigned)col, msg);
}

/* Refuse a point off the track for this person, at the place as written (the statement's
 * keyword for a plan made elsewhere, whose points carry no column). */
static void refuse_point(const struct plan *p, const struct plan_step *s,
			 const struct plan_point *off, double off_mm, char *err, size_t err_len)
{
	char name[48], msg[256];
	plan_point_format(off, name, sizeof(name));
	snprintf(msg, sizeof(msg),
		 "'%s' is at %.0f mm for this person (shoulder line at %.0f mm), off the track (%.0f to %.0f mm)",
		 name, off_mm, p->body.shoulder_y_mm, p->lim.track_min_mm, p->lim.track_max_mm);
	set_err(err, err_len, s->line, off->col ? off->col : s->col, msg);
}

/* Refuse a run over the session limit, at the statement where it passes the limit. */
static void refuse_length(const struct plan *p, char *err, size_t err_len)
{
	char a[32], b[32], msg[256];
	const struct plan_step *crossing = plan_step_past_ms(p, p->lim.session_max_ms);
	plan_format_ms(p->total_ms, a, sizeof(a));
	plan_format_ms(p->lim.session_max_ms, b, sizeof(b));
	snprintf(msg, sizeof(msg),
		 "the program runs %s for this person, over the session limit of %s; it passes the limit here",
		 a, b);
	set_err(err, err_len, crossing ? crossing->line : 1, crossing ? crossing->col : 1, msg);
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double width_mm(const struct interp_limits *lim, int width)
{
	switch (width) {
	case PLAN_WIDTH_NARROW:
		return lim->width_narrow_mm;
	case PLAN_WIDTH_MEDIUM:
		return lim->width_medium_mm;
	case PLAN_WIDTH_WIDE:
		return lim->width_wide_mm;
	default:
		return 0.0;
	}
}

/* Levels to the step's speeds and forces for this person and cap. */
static void resolve_levels(struct plan *p, struct plan_step *s)
{
	const struct interp_limits *lim = &p->lim;
	s->width_mm = width_mm(lim, s->width);
	s->speed_mm_s = 0.0;
	s->knead_rpm = 0.0;
	s->tap_rpm = 0.0;
	switch ((enum plan_op)s->op) {
	case PLAN_KNEAD:
		s->speed_mm_s = GEN_CRAWL_MM_S;
		s->knead_rpm = interp_knead_rpm(lim, s->speed_level);
		break;
	case PLAN_TAP:
		s->speed_mm_s = GEN_CRAWL_MM_S;
		s->tap_rpm = interp_tap_rpm(lim, s->rate_level);
		break;
	case PLAN_KNEAD_TAP:
		/* One speed level drives both motors. */
		s->speed_mm_s = GEN_CRAWL_MM_S;
		s->knead_rpm = interp_knead_rpm(lim, s->speed_level);
		s->tap_rpm = interp_tap_rpm(lim, s->speed_level);
		break;
	case PLAN_SHIATSU:
		s->speed_mm_s = GEN_SHIATSU_STEP_MM_S;
		break;
	case PLAN_ROLL:
		s->speed_mm_s = interp_carriage_mm_s(lim, s->speed_level);
		break;
	case PLAN_GLIDE:
		s->speed_mm_s = interp_glide_mm_s(lim, s->speed_level);
		break;
	default:
		break;
	}
	s->depth_mm = 0.0;
	s->force_n = 0.0;
	s->touch_depth_mm = p->body.skin_gap_mm;
	s->touch_force_n = 0.0;
	if (s->z_kind == PLAN_Z_DEPTH) {
		s->depth_mm = interp_depth_mm(lim, p->body.skin_gap_mm, s->z_level);
	} else if (s->z_kind == PLAN_Z_PRESSURE) {
		s->force_n = interp_force_n(p->cap_n, s->z_level);
		s->touch_force_n = s->force_n < GEN_TOUCH_N ? s->force_n : GEN_TOUCH_N;
	}
	s->from_force_n = s->guided && s->from_level ? interp_force_n(p->cap_n, s->from_level) : 0.0;
	s->stretch_kpa = 0.0;
	s->stretch_squeeze_ms = 0;
	s->stretch_cycle_ms = 0;
	if (s->op == PLAN_STRETCH) {
		s->stretch_kpa = interp_stretch_kpa(lim, s->stretch_level);
		s->stretch_squeeze_ms = gen_stretch_squeeze_ms(lim, s->stretch_kpa);
		s->stretch_cycle_ms = gen_stretch_cycle_ms(lim, s->stretch_kpa);
	}
	if (s->op == PLAN_MODAL)
		s->modal.air_kpa = interp_air_kpa(lim, s->modal.air_level);
}

/* The technique's own time: as written, or from length and speed. */
static uint32_t work_ms(const struct plan_step *s)
{
	double length_mm = fabs(s->y_to_mm - s->y_from_mm);
	switch ((enum plan_op)s->op) {
	case PLAN_GLIDE:
		return s->speed_mm_s > 0.0 ? (uint32_t)ceil(length_mm / s->speed_mm_s * 1000.0) : 0;
	case PLAN_ROLL:
		if (s->times > 0 && s->speed_mm_s > 0.0)
			return (uint32_t)ceil(s->times * 2.0 * length_mm / s->speed_mm_s * 1000.0);
		return s->for_ms;
	case PLAN_TRIGGER_POINT:
		if (s->guided)
			return gen_guided_work_ms(s);
		return s->ramp_ms + s->for_ms + s->release_ms;
	default:
		return plan_op_timed((enum plan_op)s->op) ? s->for_ms : 0;
	}
}

int plan_resolve_ex(const struct plan *compiled, const struct body_map *body, double cap_n,
		    double start_y_mm, unsigned flags, struct plan **out, char *err,
		    size_t err_len)
{
	*out = NULL;
	if (err && err_len)
		err[0] = '\0';
	if (!(cap_n > 0.0)) {
		if (err && err_len)
			snprintf(err, err_len, "the user's force cap must be above 0 N");
		return -EINVAL;
	}
	struct plan *p = plan_clone(compiled);
	if (!p)
		return -ENOMEM;
	const struct interp_limits *lim = &p->lim;
	bool clamp_points = flags & PLAN_RESOLVE_CLAMP;
	p->body = *body;
	p->cap_n = cap_n < lim->force_max_n ? cap_n : lim->force_max_n;
	p->start_y_mm = clamp(start_y_mm, lim->track_min_mm, lim->track_max_mm);

	for (uint32_t i = 0; i < p->step_count; i++) {
		struct plan_step *s = &p->steps[i];
		resolve_levels(p, s);
		if (!plan_op_works((enum plan_op)s->op))
			continue;
		double from_mm, to_mm;
		plan_where_span(body, &s->where, s->op == PLAN_TRIGGER_POINT, &from_mm, &to_mm);
		const struct plan_point *off = NULL;
		double off_mm = 0.0;
		if (from_mm < lim->track_min_mm || from_mm > lim->track_max_mm) {
			off = &s->where.a;
			off_mm = from_mm;
		} else if (to_mm < lim->track_min_mm || to_mm > lim->track_max_mm) {
			off = s->where.is_range ? &s->where.b : &s->where.a;
			off_mm = to_mm;
		}
		if (off && !clamp_points) {
			refuse_point(p, s, off, off_mm, err, err_len);
			plan_free(p);
			return -ERANGE;
		}
		s->y_from_mm = clamp(from_mm, lim->track_min_mm, lim->track_max_mm);
		s->y_to_mm = clamp(to_mm, lim->track_min_mm, lim->track_max_mm);
	}
	p->last_timed_step = p->step_count;
	for (uint32_t i = 0; i < p->step_count; i++) {
		p->steps[i].work_ms = work_ms(&p->steps[i]);
		if (plan_op_timed((enum plan_op)p->steps[i].op))
			p->last_timed_step = i;
	}
	p->resolved = true;
	p->total_ms = plan_total_ms(p, p->start_y_mm);
	if (!clamp_points && p->total_ms > lim->session_max_ms) {
		refuse_length(p, err, err_len);
		plan_free(p);
		return -ERANGE;
	}
	*out = p;
	return 0;
}

int plan_resolve(const struct plan *compiled, const struct body_map *body, double cap_n,
		 double start_y_mm, struct plan **out, char *err, size_t err_len)
{
	return plan_resolve_ex(compiled, body, cap_n, start_y_mm, 0, out, err, err_len);
}
