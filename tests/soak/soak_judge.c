/* The judge of a visit, on the simulator's truth: what a safe chair is, whom a latch is
 * blamed on, the times to the safe state against their bounds, nothing moving again before
 * the acknowledge, a fault that had to latch and did not. The visit (soak_visit.c) calls
 * it tick by tick. */
#include <stdarg.h>
#include <stdio.h>

#include "../../controller/tick.h"
#include "soak.h"
#include "soak_rng.h"

void soak_fail(struct soak_result *out, const char *fmt, ...)
{
	if (!out->passed)
		return; /* the first failure is the one worth reading */
	out->passed = false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
}

/* Every output safe as the chair itself has it: the roller off the body and not
 * extending, every other drive disabled, heaters and pump off, vent open, recline relays
 * off (but for a trapped actuator's back-off). */
bool soak_truth_safe(const struct sim *s, bool backing_off)
{
	if (s->contact_force_n >= SOAK_RELEASED_N || s->drive[HAL_AXIS_Z].velocity > 1.0)
		return false;
	for (int a = 0; a < HAL_AXIS_COUNT; a++)
		if (a != HAL_AXIS_Z && s->drive[a].enabled)
			return false;
	uint32_t g = s->gpio_out;
	uint32_t hot = 1u << HAL_OUT_PUMP | 1u << HAL_OUT_HEAT_LUMBAR | 1u << HAL_OUT_HEAT_CALVES;
	uint32_t recline = 1u << HAL_OUT_BACK_UP | 1u << HAL_OUT_BACK_DOWN | 1u << HAL_OUT_LEG_UP |
			   1u << HAL_OUT_LEG_DOWN;
	if ((g & hot) || !(g & 1u << HAL_OUT_VENT))
		return false;
	return backing_off || !(g & recline);
}


/* Blame the latch on the earliest fault that explains its code; the others active then
 * overlapped. A latch no fault explains is a failure: a fault of the controller's own. */
void soak_on_latch(struct soak_follow *fl, const struct ctl *c, const struct sim *s,
		   struct soak_result *out)
{
	uint64_t now = s->time_ms;
	enum fault_code code = c->safety.first.code;
	fl->latched = true;
	fl->latch_ms = now;
	fl->blamed = -1;
	out->latched = (uint8_t)code;
	/* The likeliest cause first: one that had to latch and is still there, then any still
	 * there, then the earliest. */
	for (int pass = 0; pass < 3 && fl->blamed < 0; pass++)
		for (int i = 0; i < fl->next && fl->blamed < 0; i++) {
			const struct soak_fault *f = &out->fault[i];
			bool active = soak_fault_active(f, now) || soak_fault_active(f, now - 1);
			if (f->outcome == SO_UNSEEN && soak_fault_explains(f, code) &&
			    (pass == 2 || (active && (pass == 1 || f->must_detect))))
				fl->blamed = i;
		}
	for (int i = 0; i < fl->next; i++) {
		struct soak_fault *f = &out->fault[i];
		if (f->outcome != SO_UNSEEN)
			continue; /* not injected */
		if (i == fl->blamed) {
			soak_fault_on_latch(f, s, c->cfg);
			f->outcome = SO_DETECTED;
			f->code = (uint8_t)code;
			f->detect_ms = (int32_t)(now - f->at_ms);
		} else if (soak_fault_active(f, now)) {
			f->outcome = SO_OVERLAPPED;
		}
	}
	char text[160];
	fault_describe(&c->safety.first, text, sizeof(text));
	if (fl->blamed < 0) {
		for (int i = fl->next - 1; i >= 0; i--)
			if (out->fault[i].outcome == SO_UNSEEN || out->fault[i].outcome == SO_OVERLAPPED) {
				out->fault[i].outcome = SO_WRONG_CODE;
				out->fault[i].code = (uint8_t)code;
				break;
			}
		soak_fail(out, "latched %s with no injected fault to explain it", text);
	}
	uint64_t last_end = now;
	for (int i = 0; i < fl->next; i++)
		if (out->fault[i].at_ms + out->fault[i].for_ms > last_end)
			last_end = out->fault[i].at_ms + out->fault[i].for_ms;
	uint64_t rng = out->seed ^ now;
	fl->hold_until_ms = last_end + 200 + soak_rand(&rng, 1300);
}

/* After the latch: the blamed fault's release and safe times against its bounds, and
 * nothing moving again once safe. */
void soak_watch_latched(struct soak_follow *fl, const struct ctl *c, const struct sim *s,
			struct soak_result *out)
{
	if (c->state != ST_FAULT && c->state != ST_ESTOP) {
		soak_fail(out, "the chair left its latch by itself (state %s)", chair_state_name[c->state]);
		return;
	}
	if (fl->blamed < 0)
		return;
	struct soak_fault *f = &out->fault[fl->blamed];
	bool backing_off = c->safety.first.code == FAULT_TRAPPED;
	int32_t since_ms = (int32_t)(s->time_ms - f->at_ms);
	/* What the bound counts from: the fault, or the latch when the fault could not be
	 * seen until the chair did something more (must_detect false). */
	int32_t judged_ms = f->must_detect ? since_ms : (int32_t)(s->time_ms - fl->latch_ms);
	const char *from = f->must_detect ? "it" : "the latch";
	if (!fl->released && s->contact_force_n < SOAK_RELEASED_N) {
		fl->released = true;
		f->release_ms = since_ms;
		f->latch_release_ms = (int32_t)(s->time_ms - fl->latch_ms);
		if (judged_ms > f->bound_ms) {
			f->outcome = SO_LATE;
			soak_fail(out, "%s: released %d ms after %s, its bound %d ms",
			     soak_kind_name(f->kind), judged_ms, from, f->bound_ms);
		}
	}
	bool safe = soak_truth_safe(s, backing_off);
	if (!fl->safe && safe) {
		fl->safe = true;
		f->safe_ms = since_ms;
		if (judged_ms > f->outputs_bound_ms) {
			f->outcome = SO_LATE;
			soak_fail(out, "%s: every output safe %d ms after %s, its bound %d ms",
			     soak_kind_name(f->kind), judged_ms, from, f->outputs_bound_ms);
		}
	} else if (fl->safe && !safe) {
		soak_fail(out, "%s: after the safe state the chair moved again before an acknowledge "
			  "(true force %.2f N, coils 0x%x)",
		     soak_kind_name(f->kind), s->contact_force_n, (unsigned)s->gpio_out);
	}
	if (!fl->safe && judged_ms > f->outputs_bound_ms + 1000 && out->passed) {
		f->outcome = SO_LATE;
		soak_fail(out, "%s: not safe %d ms after it (true force %.2f N, coils 0x%x)",
		     soak_kind_name(f->kind), since_ms, s->contact_force_n, (unsigned)s->gpio_out);
	}
}

/* A fault that had to latch and has not by its bound. */
void soak_check_missed(const struct soak_follow *fl, uint64_t now, struct soak_result *out)
{
	for (int i = 0; i < fl->next; i++) {
		struct soak_fault *f = &out->fault[i];
		if (f->outcome == SO_UNSEEN && f->must_detect && now > f->at_ms + (uint64_t)f->bound_ms) {
			f->outcome = SO_MISSED;
			char d[128];
			soak_fault_describe(f, d, sizeof(d));
			soak_fail(out, "%s: never latched within its %d ms", d, f->bound_ms);
		}
	}
}
