/* Statements to steps. Repeats become REPEAT/END jumps, except repeats of one pass and
 * repeats whose body takes no time, which are kept as a single pass: every loop left then
 * takes time on each pass, and neighbouring modal statements are merged into one step, so
 * the executor never meets more than a handful of zero-time steps between two timed ones. */
#include "compile.h"

#include <errno.h>
#include <string.h>

#include "gen.h"
#include "words.h"

struct compiler {
	struct plan *p;
	uint32_t n;       /* steps emitted */
	int loop[PLAN_REPEAT_DEPTH_MAX + 1];
	int depth;
	int skipped;      /* repeats too deep to keep: their `end`s are ignored */
	uint16_t phase;
};

static int64_t opt_or(const struct interp_stmt *st, enum interp_opt o, int64_t dflt, int64_t lo,
		      int64_t hi)
{
	const struct interp_value *v = &st->opt[o];
	int64_t x = v->set && !v->bad ? v->v : dflt;
	return x < lo ? lo : x > hi ? hi : x;
}

static void merge_modal(struct plan_modal *into, const struct plan_modal *m)
{
	if (m->set & PLAN_SET_AIR) {
		into->air_mask = m->air_mask;
		into->air_level = m->air_level;
		into->air_cycle_ms = m->air_cycle_ms;
	}
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		if (m->set & (PLAN_SET_HEAT_LUMBAR << h))
			into->heat_c[h] = m->heat_c[h];
	if (m->set & PLAN_SET_RECLINE)
		into->recline = m->recline;
	into->set |= m->set;
}

static struct plan_step *emit(struct compiler *c, const struct interp_stmt *st, enum plan_op op)
{
	struct plan_step *s = &c->p->steps[c->n++];
	memset(s, 0, sizeof(*s));
	s->op = (uint8_t)op;
	s->phase = c->phase;
	s->line = st->loc.line;
	s->col = st->loc.col;
	return s;
}

static void modal(struct compiler *c, const struct interp_stmt *st, const struct plan_modal *m)
{
	if (c->n > 0 && c->p->steps[c->n - 1].op == PLAN_MODAL) {
		merge_modal(&c->p->steps[c->n - 1].modal, m);
		return;
	}
	struct plan_step *s = emit(c, st, PLAN_MODAL);
	merge_modal(&s->modal, m);
}

/* Remove step k, keeping the jumps of later loops right. */
static void remove_step(struct compiler *c, uint32_t k)
{
	struct plan_step *steps = c->p->steps;
	memmove(&steps[k], &steps[k + 1], (c->n - k - 1) * sizeof(*steps));
	c->n--;
	for (uint32_t i = k; i < c->n; i++)
		if ((steps[i].op == PLAN_REPEAT || steps[i].op == PLAN_END) && steps[i].jump > k)
			steps[i].jump--;
	for (int d = 0; d < c->depth; d++)
		if (c->loop[d] > (int)k)
			c->loop[d]--;
}

static void close_loop(struct compiler *c, const struct interp_stmt *st)
{
	if (c->skipped > 0) {
		c->skipped--;
		return;
	}
	if (c->depth == 0)
		return; /* an `end` without `repeat`: reported by the checker */
	uint32_t b = (uint32_t)c->loop[--c->depth];
	struct plan_step *steps = c->p->steps;
	bool timed = false;
	for (uint32_t i = b + 1; i < c->n; i++)
		timed |= plan_op_timed((enum plan_op)steps[i].op);
	if (!timed || steps[b].times <= 1) {
		/* One pass does the same: keep the body, drop the loop. */
		remove_step(c, b);
		if (b > 0 && b < c->n && steps[b - 1].op == PLAN_MODAL && steps[b].op == PLAN_MODAL) {
			merge_modal(&steps[b - 1].modal, &steps[b].modal);
			remove_step(c, b);
		}
		return;
	}
	struct plan_step *e = emit(c, st, PLAN_END);
	e->jump = b;
	e->times = steps[b].times;
	steps[b].jump = c->n - 1;
}

/* A guided trigger point: pressure is the most it may reach (the program level's most when
 * not given), `from` where its rise starts (not above the most), each hold bounded; a ramp
 * only to bring it to `from`. */
static void guided(struct compiler *c, const struct interp_stmt *st, struct plan_step *s)
{
	const struct interp_limits *lim = &c->p->lim;
	int top = c->p->level == PLAN_LEVEL_GENTLE   ? lim->gentle_max_level
		  : c->p->level == PLAN_LEVEL_NORMAL ? lim->normal_max_level
						     : 10;
	s->guided = 1;
	s->z_kind = PLAN_Z_PRESSURE;
	s->z_level = (uint8_t)opt_or(st, INTERP_OPT_PRESSURE, top, 1, 10);
	s->from_level = (uint8_t)opt_or(st, INTERP_OPT_FROM, 0, 0, s->z_level);
	s->for_ms = (uint32_t)opt_or(st, INTERP_OPT_HOLD, GEN_GUIDED_HOLD_MS, GEN_GUIDED_HOLD_MIN_MS,
				     GEN_GUIDED_HOLD_MAX_MS);
	s->ramp_ms = s->from_level ? GEN_TRIGGER_RAMP_MS : 0;
}

static void technique(struct compiler *c, const struct interp_stmt *st)
{
	static const enum plan_op op_of[INTERP_KW_COUNT] = {
		[INTERP_KW_KNEAD] = PLAN_KNEAD,
		[INTERP_KW_TAP] = PLAN_TAP,
		[INTERP_KW_KNEAD_TAP] = PLAN_KNEAD_TAP,
		[INTERP_KW_SHIATSU] = PLAN_SHIATSU,
		[INTERP_KW_ROLL] = PLAN_ROLL,
		[INTERP_KW_GLIDE] = PLAN_GLIDE,
		[INTERP_KW_TRIGGER_POINT] = PLAN_TRIGGER_POINT,
	};
	if (!st->where.present || st->where.bad)
		return;
	enum plan_op op = op_of[st->kw];
	struct plan_step *s = emit(c, st, op);
	s->where = st->where.w;
	if (op == PLAN_GLIDE && !s->where.is_range)
		s->where.is_range = false; /* checked: glide needs a range; a point glides 0 mm */
	s->speed_level = (uint8_t)opt_or(st, INTERP_OPT_SPEED, INTERP_DEFAULT_SPEED, 1, 10);
	s->rate_level = (uint8_t)opt_or(st, INTERP_OPT_RATE, INTERP_DEFAULT_RATE, 1, 10);
	s->width = PLAN_WIDTH_KEEP;
	if (op == PLAN_KNEAD || op == PLAN_KNEAD_TAP)
		s->width = (uint8_t)opt_or(st, INTERP_OPT_WIDTH, PLAN_WIDTH_MEDIUM, PLAN_WIDTH_NARROW,
					   PLAN_WIDTH_WIDE);
	if (st->opt[INTERP_OPT_DEPTH].set && !st->opt[INTERP_OPT_PRESSURE].set) {
		s->z_kind = PLAN_Z_DEPTH;
		s->z_level = (uint8_t)opt_or(st, INTERP_OPT_DEPTH, INTERP_DEFAULT_PRESSURE, 1, 10);
	} else {
		s->z_kind = PLAN_Z_PRESSURE;
		s->z_level = (uint8_t)opt_or(st, INTERP_OPT_PRESSURE, INTERP_DEFAULT_PRESSURE, 1, 10);
	}
	const int64_t long_ms = PLAN_DURATION_MAX_MS;
	s->for_ms = (uint32_t)opt_or(st, INTERP_OPT_FOR, 0, 0, long_ms);
	s->hold_ms = (uint32_t)opt_or(st, INTERP_OPT_HOLD, GEN_SHIATSU_HOLD_MS, 0, long_ms);
	if (op == PLAN_TRIGGER_POINT) {
		s->for_ms = s->hold_ms;
		s->hold_ms = 0;
		s->ramp_ms = (uint32_t)opt_or(st, INTERP_OPT_RAMP, GEN_TRIGGER_RAMP_MS, 0, long_ms);
		s->release_ms = (uint32_t)opt_or(st, INTERP_OPT_RELEASE, GEN_TRIGGER_RELEASE_MS, 0,
						 long_ms);
	}
	if (op == PLAN_TRIGGER_POINT && st->guided)
		guided(c, st, s);
	if (op == PLAN_ROLL && st->opt[INTERP_OPT_TIMES].set && !st->opt[INTERP_OPT_FOR].set)
		s->times = (uint32_t)opt_or(st, INTERP_OPT_TIMES, 1, 1, PLAN_REPEAT_COUNT_MAX);
}

static void statement(struct compiler *c, const struct interp_stmt *st)
{
	struct plan *p = c->p;
	const int64_t long_ms = PLAN_DURATION_MAX_MS;
	struct plan_modal m = {0};
	struct plan_step *s;
	switch (st->kw) {
	case INTERP_KW_PHASE:
		if (c->phase + 1u < p->phase_count) {
			c->phase++;
			const char *name = plan_intern(p, st->str, strlen(st->str));
			p->phase_names[c->phase] = name ? name : "";
		}
		break;
	case INTERP_KW_STRETCH:
		s = emit(c, st, PLAN_STRETCH);
		s->stretch_level = (uint8_t)opt_or(st, INTERP_OPT_LEVEL, INTERP_DEFAULT_STRETCH, 1, 5);
		s->for_ms = (uint32_t)opt_or(st, INTERP_OPT_FOR, 0, 0, long_ms);
		break;
	case INTERP_KW_PAUSE:
		s = emit(c, st, PLAN_PAUSE);
		s->for_ms = (uint32_t)(st->arg.v < 0 ? 0 : st->arg.v > long_ms ? long_ms : st->arg.v);
		break;
	case INTERP_KW_AIR:
		m.set = PLAN_SET_AIR;
		if (!st->off) {
			m.air_mask = st->air_mask;
			m.air_level = (uint8_t)opt_or(st, INTERP_OPT_LEVEL, 1, 1, 5);
			m.air_cycle_ms = (uint32_t)opt_or(st, INTERP_OPT_CYCLE, INTERP_DEFAULT_AIR_CYCLE_MS,
							  1000, long_ms);
		}
		modal(c, st, &m);
		break;
	case INTERP_KW_HEAT: {
		int64_t temp_c = st->arg.set && !st->arg.bad ? st->arg.v : (int64_t)p->lim.heat_default_c;
		if (temp_c > (int64_t)p->lim.heat_max_c)
			temp_c = (int64_t)p->lim.heat_max_c;
		for (int h = 0; h < HAL_HEATER_COUNT; h++) {
			if (!(st->heat_mask & (1u << h)))
				continue;
			m.set |= (uint8_t)(PLAN_SET_HEAT_LUMBAR << h);
			m.heat_c[h] = st->off ? 0 : (int16_t)temp_c;
		}
		if (m.set)
			modal(c, st, &m);
		break;
	}
	case INTERP_KW_RECLINE:
		if (st->arg.set && !st->arg.bad) {
			m.set = PLAN_SET_RECLINE;
			m.recline = (uint8_t)st->arg.v;
			modal(c, st, &m);
		}
		break;
	case INTERP_KW_REPEAT:
		if (c->depth >= PLAN_REPEAT_DEPTH_MAX || st->arg.bad) {
			c->skipped++;
			break;
		}
		s = emit(c, st, PLAN_REPEAT);
		s->times = (uint32_t)(st->arg.v < 1 ? 1 : st->arg.v > PLAN_REPEAT_COUNT_MAX
							      ? PLAN_REPEAT_COUNT_MAX : st->arg.v);
		c->loop[c->depth++] = (int)(c->n - 1);
		break;
	case INTERP_KW_END:
		close_loop(c, st);
		break;
	case INTERP_KW_PROGRAM:
	case INTERP_KW_DESCRIPTION:
	case INTERP_KW_TAGS:
	case INTERP_KW_LEVEL:
		break;
	default:
		technique(c, st);
		break;
	}
}

/* The header's first good occurrence of kw, or NULL. */
static const struct interp_stmt *header(const struct interp_program *prog, enum interp_kw kw)
{
	for (uint32_t i = 0; i < prog->count; i++)
		if (prog->stmts[i].kw == kw && !prog->stmts[i].bad)
			return &prog->stmts[i];
	return NULL;
}

int plan_compile(const struct interp_program *prog, const struct interp_limits *lim,
		 struct plan **out)
{
	*out = NULL;
	uint32_t phases = 0;
	for (uint32_t i = 0; i < prog->count; i++)
		if (prog->stmts[i].kw == INTERP_KW_PHASE && !prog->stmts[i].bad)
			phases++;
	struct plan *p = plan_alloc(prog->count + 1, phases + 1, prog->arena_used + 16);
	if (!p)
		return -ENOMEM;
	p->lim = *lim;
	p->level = PLAN_LEVEL_NORMAL;

	const struct interp_stmt *h = header(prog, INTERP_KW_PROGRAM);
	if (h && h->str)
		snprintf(p->name, sizeof(p->name), "%s", h->str);
	h = header(prog, INTERP_KW_DESCRIPTION);
	if (h && h->str)
		p->description = plan_intern(p, h->str, strlen(h->str));
	h = header(prog, INTERP_KW_TAGS);
	if (h && h->str)
		p->tags = plan_intern(p, h->str, strlen(h->str));
	h = header(prog, INTERP_KW_LEVEL);
	if (h && h->arg.set && !h->arg.bad)
		p->level = (enum plan_level)h->arg.v;
	if (!p->description)
		p->description = "";
	if (!p->tags)
		p->tags = "";

	struct compiler c = {.p = p};
	for (uint32_t i = 0; i < prog->count; i++) {
		const struct interp_stmt *st = &prog->stmts[i];
		if (!st->bad)
			statement(&c, st);
	}
	while (c.depth > 0) /* unterminated repeats (reported): close them */
		close_loop(&c, &prog->stmts[prog->count - 1]);
	p->step_count = c.n;
	*out = p;
	return 0;
}
