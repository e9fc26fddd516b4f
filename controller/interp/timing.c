/* How long each step takes. Resolve, the checker and the executor all count time with
 * these functions, so the plan's durations are exactly what the executor does.
 *
 * A working step's time = the move to where it starts (rollers retracted; zero when the
 * carriage is already there) + the approach (roller out to the skin) + its work (as
 * written, or from length and speed for glides and counted rolls). */
#include "plan.h"

#include <math.h>

#include "gen.h"

static const char *const op_name[PLAN_OP_COUNT] = {
	"knead", "tap", "knead-tap", "shiatsu", "roll", "glide", "trigger-point",
	"stretch", "pause", "modal", "repeat", "end",
};

const char *plan_op_name(enum plan_op op)
{
	return (unsigned)op < PLAN_OP_COUNT ? op_name[op] : "?";
}

bool plan_op_works(enum plan_op op)
{
	return op <= PLAN_TRIGGER_POINT;
}

bool plan_op_timed(enum plan_op op)
{
	return op <= PLAN_PAUSE;
}

uint32_t plan_move_ms(const struct plan *p, double from_mm, double to_mm)
{
	double d_mm = fabs(to_mm - from_mm);
	if (d_mm < 1.0)
		return 0;
	return (uint32_t)ceil(d_mm / p->lim.transit_mm_s * 1000.0 + p->lim.transit_settle_ms);
}

uint32_t plan_approach_ms(const struct plan *p)
{
	return (uint32_t)ceil(p->body.skin_gap_mm / p->lim.z_speed_mm_s * 1000.0) +
	       GEN_APPROACH_EXTRA_MS;
}

double plan_step_start_y(const struct plan_step *s, double prev_end_y_mm)
{
	return plan_op_works((enum plan_op)s->op) ? s->y_from_mm : prev_end_y_mm;
}

double plan_step_end_y(const struct plan_step *s, double prev_end_y_mm)
{
	double t_s = s->work_ms / 1000.0;
	switch ((enum plan_op)s->op) {
	case PLAN_KNEAD:
	case PLAN_TAP:
	case PLAN_KNEAD_TAP:
		return gen_sweep_y(s->y_from_mm, s->y_to_mm, GEN_CRAWL_MM_S, t_s, NULL);
	case PLAN_ROLL:
		return gen_sweep_y(s->y_from_mm, s->y_to_mm, s->speed_mm_s, t_s, NULL);
	case PLAN_SHIATSU: {
		struct motion_targets t;
		gen_work(s, t_s, &t);
		return t.y_mm;
	}
	case PLAN_GLIDE:
		return s->y_to_mm;
	case PLAN_TRIGGER_POINT:
		return s->y_from_mm;
	default:
		return prev_end_y_mm;
	}
}

uint64_t plan_step_ms(const struct plan *p, const struct plan_step *s, double prev_end_y_mm)
{
	if (!plan_op_timed((enum plan_op)s->op))
		return 0;
	if (!plan_op_works((enum plan_op)s->op))
		return s->work_ms;
	return (uint64_t)plan_move_ms(p, prev_end_y_mm, s->y_from_mm) + plan_approach_ms(p) +
	       s->work_ms;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t n)
{
	return n != 0 && a > UINT64_MAX / n ? UINT64_MAX : a * n;
}

/* Time of steps [begin, end) from *y; leaves *y at where they end. Loops count as their
 * first pass plus (N-1) times the second: from the second pass on, every pass starts where
 * the previous ended, so all take the same time. */
static uint64_t span_ms(const struct plan *p, uint32_t begin, uint32_t end, double *y)
{
	uint64_t total_ms = 0;
	for (uint32_t i = begin; i < end && i < p->step_count; i++) {
		const struct plan_step *s = &p->steps[i];
		if (s->op == PLAN_REPEAT) {
			uint32_t close = s->jump;
			if (close <= i || close >= p->step_count)
				break; /* malformed: compile never makes this */
			uint64_t first_ms = span_ms(p, i + 1, close, y);
			total_ms = sat_add(total_ms, first_ms);
			if (s->times > 1) {
				uint64_t again_ms = span_ms(p, i + 1, close, y);
				total_ms = sat_add(total_ms, sat_mul(again_ms, s->times - 1));
			}
			i = close;
			continue;
		}
		total_ms = sat_add(total_ms, plan_step_ms(p, s, *y));
		*y = plan_step_end_y(s, *y);
	}
	return total_ms;
}

uint64_t plan_total_ms(const struct plan *p, double start_y_mm)
{
	double y = start_y_mm;
	return span_ms(p, 0, p->step_count, &y);
}

void plan_walk(const struct plan *p, uint64_t max_ms, plan_visit_fn visit, void *ctx)
{
	struct {
		uint32_t repeat_step, remaining;
	} loop[PLAN_REPEAT_DEPTH_MAX];
	int depth = 0;
	uint64_t t_ms = 0;
	double y = p->start_y_mm;
	/* Zero-time loops are compiled away, so steps between two timed ones are few; the
	 * guard only protects against a plan that was not compiled here. */
	uint64_t guard = 0;
	uint32_t i = 0;
	while (i < p->step_count && t_ms <= max_ms && guard++ < 100000000ull) {
		const struct plan_step *s = &p->steps[i];
		if (s->op == PLAN_REPEAT) {
			if (depth >= PLAN_REPEAT_DEPTH_MAX || s->times == 0)
				return;
			loop[depth].repeat_step = i;
			loop[depth].remaining = s->times - 1;
			depth++;
			i++;
			continue;
		}
		if (s->op == PLAN_END) {
			if (depth == 0)
				return;
			if (loop[depth - 1].remaining > 0) {
				loop[depth - 1].remaining--;
				i = loop[depth - 1].repeat_step + 1;
			} else {
				depth--;
				i++;
			}
			continue;
		}
		uint64_t dur_ms = plan_step_ms(p, s, y);
		double end_y = plan_step_end_y(s, y);
		double start_y = plan_step_start_y(s, y);
		if (!visit(ctx, s, t_ms, dur_ms, start_y, end_y))
			return;
		t_ms += dur_ms;
		y = end_y;
		i++;
	}
}

struct crossing_walk {
	uint64_t limit_ms;
	const struct plan_step *crossing;
};

/* plan_walk visitor: stop at the first step that ends past the limit. */
static bool find_crossing(void *ctx, const struct plan_step *s, uint64_t start_ms, uint64_t dur_ms,
			  double start_y_mm, double end_y_mm)
{
	struct crossing_walk *w = ctx;
	(void)start_y_mm;
	(void)end_y_mm;
	if (start_ms + dur_ms > w->limit_ms) {
		w->crossing = s;
		return false;
	}
	return true;
}

const struct plan_step *plan_step_past_ms(const struct plan *p, uint64_t limit_ms)
{
	struct crossing_walk w = {.limit_ms = limit_ms};
	plan_walk(p, limit_ms, find_crossing, &w);
	return w.crossing;
}
