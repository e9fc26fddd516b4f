/* The campaign's fault catalogue: for every kind, how a fault of it is drawn, whether the
 * chair must latch on it (decided at the moment it strikes, from the chair's state then:
 * an encoder lost on a still axis is not a fault anyone can see), the codes that explain a
 * latch, and its bound on the safe state, from docs/safety.md:
 *
 *   release bound 150 ms on Modbus TCP from the fault itself (events, silent and deaf
 *   units), plus the detection time of the faults with a timer (unoccupied 100 ms, the
 *   supply's 50 ms debounce, over-force's 30 ms, a stall's 2 s, the recline's 30 s);
 *   a silent or deaf unit under a press deeper than the rule's 10 mm: the age limit and
 *   the retract over the true depth (retract_ms); the DIO module's coils on a deaf unit 7
 *   by its own watchdog, 200 ms. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../controller/tick.h"
#include "soak.h"
#include "soak_rng.h"

#define RELEASE_BOUND_MS 150 /* docs/safety.md, Modbus TCP */
#define DETECT_SLACK_MS 2    /* the image is a step behind the tick that reads it */

static const char *const kind_name[SK_COUNT] = {
	[SK_ESTOP] = "estop",
	[SK_UNIT_SILENT] = "unit_silent",
	[SK_UNIT_DEAF] = "unit_deaf",
	[SK_DRIVE_FAULT] = "drive_fault",
	[SK_STUCK_SWITCH] = "stuck_switch",
	[SK_ENCODER_LOSS] = "encoder_loss",
	[SK_HEATER_OVER_TEMP] = "over_temp",
	[SK_UNOCCUPIED] = "unoccupied",
	[SK_SUPPLY] = "supply",
	[SK_TRAPPED] = "trapped",
	[SK_RECLINE_STUCK] = "recline_stuck",
	[SK_DRIVE_OVER_TEMP] = "drive_over_temp",
	[SK_EXCEPTION] = "exception",
	[SK_IO_FAILURE] = "io_failure",
	[SK_LOAD_CELL_HIGH] = "load_cell_high",
};

static const char *const outcome_name[SO_COUNT] = {
	[SO_NOT_INJECTED] = "not injected", [SO_DETECTED] = "detected",
	[SO_UNSEEN] = "unseen",             [SO_OVERLAPPED] = "overlapped",
	[SO_MISSED] = "MISSED",             [SO_WRONG_CODE] = "WRONG CODE",
	[SO_LATE] = "LATE",
};

const char *soak_kind_name(enum soak_kind k)
{
	return (unsigned)k < SK_COUNT ? kind_name[k] : "?";
}

const char *soak_outcome_name(enum soak_outcome o)
{
	return (unsigned)o < SO_COUNT ? outcome_name[o] : "?";
}

/* A duration from lo to hi ms. */
static uint32_t span_ms(uint64_t *rng, uint32_t lo, uint32_t hi)
{
	return lo + soak_rand(rng, hi - lo + 1);
}

int soak_kind_lookup(const char *name)
{
	for (int k = 0; k < SK_COUNT; k++)
		if (strcmp(name, kind_name[k]) == 0)
			return k;
	return -1;
}

/* The n-th kind (0-based) of the mask. */
static int nth_kind(uint32_t kinds, uint32_t n)
{
	for (int k = 0; k < SK_COUNT; k++)
		if (kinds & 1u << k && n-- == 0)
			return k;
	return 0;
}

void soak_fault_draw(struct soak_fault *f, uint64_t *rng, uint32_t kinds)
{
	memset(f, 0, sizeof(*f));
	if (!kinds)
		kinds = (1u << SK_COUNT) - 1;
	f->kind = (uint8_t)nth_kind(kinds, soak_rand(rng, (uint32_t)__builtin_popcount(kinds)));
	f->target = -1;
	f->detect_ms = f->release_ms = f->safe_ms = f->latch_release_ms = -1;
	switch ((enum soak_kind)f->kind) {
	case SK_ESTOP:
		f->for_ms = span_ms(rng, 50, 2000);
		break;
	case SK_UNIT_SILENT:
	case SK_UNIT_DEAF:
		f->target = (int16_t)soak_rand(rng, HAL_UNIT_COUNT);
		f->for_ms = span_ms(rng, 200, 3000);
		break;
	case SK_DRIVE_FAULT:
		f->target = (int16_t)soak_rand(rng, HAL_AXIS_COUNT);
		f->value = 1 + (int32_t)soak_rand(rng, 0xFFFE);
		f->for_ms = span_ms(rng, 50, 2000);
		break;
	case SK_STUCK_SWITCH:
		f->target = (int16_t)soak_rand(rng, HAL_IN_COUNT);
		f->for_ms = span_ms(rng, 200, 3000); /* the value: the opposite of the line then */
		break;
	case SK_ENCODER_LOSS:
		f->target = (int16_t)soak_rand(rng, HAL_AXIS_COUNT);
		f->for_ms = span_ms(rng, 2500, 5000); /* long enough for the 2 s stall timer */
		break;
	case SK_HEATER_OVER_TEMP:
		f->target = (int16_t)soak_rand(rng, HAL_HEATER_COUNT);
		f->value = 440 + (int32_t)soak_rand(rng, 461); /* 44..90 degC, past the 43 cut-off */
		f->for_ms = span_ms(rng, 50, 2000);
		break;
	case SK_UNOCCUPIED:
		f->for_ms = span_ms(rng, 300, 3000);
		break;
	case SK_SUPPLY: {
		bool low = soak_rand(rng, 2) == 0;
		f->value = low ? (int32_t)soak_rand(rng, 195) : 305 + (int32_t)soak_rand(rng, 100);
		f->for_ms = span_ms(rng, 200, 2000);
		break;
	}
	case SK_TRAPPED:
		f->for_ms = span_ms(rng, 100, 1000);
		break;
	case SK_RECLINE_STUCK:
		f->for_ms = span_ms(rng, 5000, 35000);
		break;
	case SK_DRIVE_OVER_TEMP:
		f->target = (int16_t)soak_rand(rng, HAL_AXIS_COUNT);
		/* Just past the drive's limit (0.1 degC): it cools back under it in seconds, so
		 * the acknowledge does not wait minutes. The limit is added at injection. */
		f->value = 1 + (int32_t)soak_rand(rng, 10);
		f->for_ms = span_ms(rng, 50, 1000);
		break;
	case SK_EXCEPTION:
		f->target = (int16_t)soak_rand(rng, HAL_UNIT_COUNT);
		f->value = 1 + (int32_t)soak_rand(rng, 11);
		f->for_ms = span_ms(rng, 1, 500);
		break;
	case SK_IO_FAILURE:
		f->for_ms = span_ms(rng, 1, 20);
		break;
	case SK_LOAD_CELL_HIGH:
		f->value = 1000 + (int32_t)soak_rand(rng, 1001); /* 100..200 N */
		f->for_ms = span_ms(rng, 50, 500);
		break;
	default:
		break;
	}
}

static bool running_or_paused(const struct ctl *c)
{
	return c->state == ST_RUNNING || c->state == ST_PAUSED;
}

static double drive_limit_c(const struct chair_config *cfg, int axis)
{
	const double max_c[HAL_AXIS_COUNT] = {cfg->y.max_temp_c, cfg->z.max_temp_c,
					      cfg->knead.max_temp_c, cfg->tap.max_temp_c,
					      cfg->w.max_temp_c};
	return max_c[axis];
}

/* A stuck switch: the opposite of what the line reads now, and whether that must latch. */
static void stuck_switch_decide(struct soak_fault *f, const struct sim *s, const struct ctl *c)
{
	struct hal_inputs in;
	sim_read(s, &in);
	f->value = !hal_in(&in, (enum hal_gpio_in)f->target);
	const struct estimate *e = &c->est;
	switch ((enum hal_gpio_in)f->target) {
	case HAL_IN_ESTOP:
		f->must_detect = f->value == 1;
		f->bound_ms = RELEASE_BOUND_MS;
		break;
	case HAL_IN_OCCUPIED:
		f->must_detect = f->value == 0 && running_or_paused(c);
		f->bound_ms = 100 + RELEASE_BOUND_MS;
		break;
	case HAL_IN_Y_HOME:
		f->must_detect = f->value == 1 && e->y_homed && e->y_mm > 12;
		f->bound_ms = RELEASE_BOUND_MS;
		break;
	case HAL_IN_Y_END:
		f->must_detect = f->value == 1 && e->y_homed && e->y_mm < c->cfg->y.max_mm - 12;
		f->bound_ms = RELEASE_BOUND_MS;
		break;
	case HAL_IN_Z_HOME:
		f->must_detect = f->value == 1 && e->z_homed && e->z_mm > 7;
		f->bound_ms = RELEASE_BOUND_MS;
		break;
	default: /* a recline end switch: the actuator stops early, or runs to its timeout */
		f->must_detect = false;
		f->bound_ms = (int32_t)(c->cfg->recline.timeout_s * 1000) + RELEASE_BOUND_MS;
		break;
	}
}

/* The release of a press found by the age limit (a silent or deaf unit) takes the retract
 * over the roller's true depth past the 5 N point at the latch, at release speed, plus the
 * drive's 10 ms lag and turn-round and the carriage's coast after the latch (a disabled
 * carriage coasts up to 5 mm, onto a back that may rise under the roller): docs/safety.md's
 * rule allows 10 mm (50 ms) of retract, and says where deeper presses go past the 150 ms
 * bound. The bound for such a fault: the age limit and this, never under the 150 ms. */
#define TURN_ROUND_MS 50

static int32_t retract_ms(const struct sim *s, const struct chair_config *cfg)
{
	double y_mm = s->drive[HAL_AXIS_Y].position, z_mm = s->drive[HAL_AXIS_Z].position;
	if (sim_person_contact_n(&s->person, y_mm, z_mm) < SOAK_RELEASED_N)
		return 0;
	double lo = 0, hi = z_mm; /* the force rises with the depth: bisect for 5 N */
	for (int i = 0; i < 40; i++) {
		double mid = (lo + hi) / 2;
		if (sim_person_contact_n(&s->person, y_mm, mid) < SOAK_RELEASED_N)
			lo = mid;
		else
			hi = mid;
	}
	return (int32_t)((z_mm - lo) / cfg->force.release_speed_mm_s * 1000.0) + TURN_ROUND_MS;
}

static int32_t age_limit_bound_ms(const struct sim *s, const struct chair_config *cfg)
{
	int32_t ms = cfg->unit_age_limit_ms + DETECT_SLACK_MS + retract_ms(s, cfg);
	return ms > RELEASE_BOUND_MS ? ms : RELEASE_BOUND_MS;
}

void soak_fault_on_latch(struct soak_fault *f, const struct sim *s, const struct chair_config *cfg)
{
	if (f->kind != SK_UNIT_SILENT && f->kind != SK_UNIT_DEAF)
		return;
	/* The press may have gone deeper while the unit was silent (a carriage whose estimate
	 * froze carries the roller onto a rising back): the retract counts from the latch. */
	int32_t ms = age_limit_bound_ms(s, cfg);
	if (ms > f->bound_ms)
		f->bound_ms = ms;
	if (f->outputs_bound_ms < f->bound_ms)
		f->outputs_bound_ms = f->bound_ms;
}

/* Whether a recline relay is on in what the controller last wrote. */
static bool reclining(const struct ctl *c)
{
	const struct hal_outputs *o = &c->out_prev;
	return hal_out(o, HAL_OUT_BACK_UP) || hal_out(o, HAL_OUT_BACK_DOWN) ||
	       hal_out(o, HAL_OUT_LEG_UP) || hal_out(o, HAL_OUT_LEG_DOWN);
}

/* The simulator's fault for f, or a wrapper window; its bounds and must_detect. */
int soak_fault_inject(struct soak_fault *f, struct sim *s, const struct ctl *c,
		      struct soak_backend *wrapper)
{
	const struct chair_config *cfg = c->cfg;
	f->at_ms = s->time_ms + 1; /* shows from the next step on */
	f->force_n = s->contact_force_n;
	f->bound_ms = RELEASE_BOUND_MS;
	f->must_detect = true;
	struct sim_fault sf = {.target = f->target, .value = f->value, .at_ms = f->at_ms,
			       .for_ms = f->for_ms};
	struct soak_backend_faults *wf = soak_backend_faults(wrapper);
	switch ((enum soak_kind)f->kind) {
	case SK_ESTOP:
		sf.kind = SIM_FAULT_ESTOP;
		break;
	case SK_UNIT_SILENT:
		sf.kind = SIM_FAULT_UNIT_SILENT;
		f->bound_ms = age_limit_bound_ms(s, cfg);
		break;
	case SK_UNIT_DEAF:
		sf.kind = SIM_FAULT_UNIT_DEAF;
		f->bound_ms = age_limit_bound_ms(s, cfg);
		break;
	case SK_DRIVE_FAULT:
		sf.kind = SIM_FAULT_DRIVE_FAULT;
		break;
	case SK_STUCK_SWITCH:
		sf.kind = SIM_FAULT_STUCK_SWITCH;
		stuck_switch_decide(f, s, c);
		sf.value = f->value;
		break;
	case SK_ENCODER_LOSS:
		sf.kind = SIM_FAULT_ENCODER_LOSS;
		f->must_detect = false; /* only an axis commanded to move stalls */
		f->bound_ms = (int32_t)(cfg->y.stall_s * 1000) + RELEASE_BOUND_MS;
		break;
	case SK_HEATER_OVER_TEMP:
		sf.kind = SIM_FAULT_OVER_TEMP;
		break;
	case SK_UNOCCUPIED:
		sf.kind = SIM_FAULT_UNOCCUPIED;
		f->must_detect = running_or_paused(c);
		f->bound_ms = 100 + RELEASE_BOUND_MS;
		break;
	case SK_SUPPLY:
		sf.kind = SIM_FAULT_SUPPLY;
		f->bound_ms = (int32_t)cfg->supply.debounce_ms + RELEASE_BOUND_MS;
		break;
	case SK_TRAPPED:
		sf.kind = SIM_FAULT_TRAPPED;
		f->must_detect = reclining(c);
		break;
	case SK_RECLINE_STUCK:
		sf.kind = SIM_FAULT_RECLINE_STUCK;
		f->must_detect = false; /* only a recline running 30 s times out */
		f->bound_ms = (int32_t)(cfg->recline.timeout_s * 1000) + RELEASE_BOUND_MS;
		break;
	case SK_DRIVE_OVER_TEMP:
		sf.kind = SIM_FAULT_DRIVE_OVER_TEMP;
		f->value = (int32_t)(drive_limit_c(cfg, f->target) * 10) + f->value;
		sf.value = f->value;
		break;
	case SK_EXCEPTION:
		wf->exception_from_ms = f->at_ms;
		wf->exception_to_ms = f->at_ms + f->for_ms;
		wf->exception_unit = f->target;
		wf->exception_code = f->value;
		break;
	case SK_IO_FAILURE:
		wf->io_from_ms = f->at_ms;
		wf->io_to_ms = f->at_ms + f->for_ms;
		break;
	case SK_LOAD_CELL_HIGH:
		wf->load_from_ms = f->at_ms;
		wf->load_to_ms = f->at_ms + f->for_ms;
		wf->load_raw = f->value;
		f->bound_ms = (int32_t)cfg->force.over_force_ms + RELEASE_BOUND_MS;
		break;
	default:
		return -EINVAL;
	}
	if (!f->must_detect) /* seen only once the chair moves: the bound is from its latch */
		f->bound_ms = RELEASE_BOUND_MS;
	f->outputs_bound_ms = f->bound_ms;
	if (f->kind == SK_UNIT_DEAF && f->target == HAL_UNIT_DIO)
		/* Nothing reaches the coils: the module's own watchdog puts them safe. */
		f->outputs_bound_ms = cfg->hal.bus.dio_comm_timeout_ms + DETECT_SLACK_MS;
	if (f->kind >= SK_EXCEPTION)
		return 0;
	return sim_fault_add(s, &sf);
}

bool soak_fault_explains(const struct soak_fault *f, enum fault_code code)
{
	switch ((enum soak_kind)f->kind) {
	case SK_ESTOP:
		return code == FAULT_ESTOP;
	case SK_UNIT_SILENT:
	case SK_UNIT_DEAF:
		return code == FAULT_UNIT_STALE;
	case SK_DRIVE_FAULT:
		return code == FAULT_DRIVE;
	case SK_STUCK_SWITCH:
		return code == FAULT_ESTOP || code == FAULT_UNOCCUPIED ||
		       code == FAULT_SWITCH_MISMATCH || code == FAULT_END_SWITCHES ||
		       code == FAULT_RECLINE_TIMEOUT;
	case SK_ENCODER_LOSS:
		return code == FAULT_STALL || code == FAULT_SWITCH_MISMATCH ||
		       code == FAULT_TRACK_LIMIT;
	case SK_HEATER_OVER_TEMP:
		return code == FAULT_HEATER_OVER_TEMP;
	case SK_UNOCCUPIED:
		return code == FAULT_UNOCCUPIED;
	case SK_SUPPLY:
		return code == FAULT_SUPPLY;
	case SK_TRAPPED:
		return code == FAULT_TRAPPED;
	case SK_RECLINE_STUCK:
		return code == FAULT_RECLINE_TIMEOUT;
	case SK_DRIVE_OVER_TEMP:
		return code == FAULT_DRIVE_OVER_TEMP;
	case SK_EXCEPTION:
		return code == FAULT_BUS_EXCEPTION;
	case SK_IO_FAILURE:
		return code == FAULT_IO;
	case SK_LOAD_CELL_HIGH:
		return code == FAULT_OVER_FORCE;
	default:
		return false;
	}
}

bool soak_fault_active(const struct soak_fault *f, uint64_t t_ms)
{
	return f->at_ms && t_ms >= f->at_ms && t_ms < f->at_ms + f->for_ms;
}

/* The target's name as sim_fault_parse spells it, "-" for none. */
static const char *target_name(const struct soak_fault *f)
{
	if (f->target < 0)
		return "-";
	switch ((enum soak_kind)f->kind) {
	case SK_UNIT_SILENT:
	case SK_UNIT_DEAF:
	case SK_EXCEPTION:
		return hal_unit_name[f->target];
	case SK_DRIVE_FAULT:
	case SK_ENCODER_LOSS:
	case SK_DRIVE_OVER_TEMP:
		return hal_axis_name[f->target];
	case SK_STUCK_SWITCH:
		return hal_gpio_in_name[f->target];
	case SK_HEATER_OVER_TEMP:
		return hal_heater_name[f->target];
	default:
		return "?";
	}
}

void soak_fault_describe(const struct soak_fault *f, char *buf, int len)
{
	snprintf(buf, (size_t)len, "%s %s %d at %u ms of the run for %u ms", soak_kind_name(f->kind),
		 target_name(f), (int)f->value, (unsigned)f->run_ms, (unsigned)f->for_ms);
}
