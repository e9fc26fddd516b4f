/* The fault schedule: what goes wrong, where and when, written by tests and chairsim's
 * command line, and looked up by the physics once per step. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kind_name[SIM_FAULT_KIND_COUNT] = {
	[SIM_FAULT_UNIT_SILENT] = "unit_silent",   [SIM_FAULT_UNIT_DEAF] = "unit_deaf",
	[SIM_FAULT_DRIVE_FAULT] = "drive_fault",   [SIM_FAULT_STUCK_SWITCH] = "stuck_switch",
	[SIM_FAULT_ENCODER_LOSS] = "encoder_loss", [SIM_FAULT_OVER_TEMP] = "over_temp",
	[SIM_FAULT_ESTOP] = "estop",               [SIM_FAULT_UNOCCUPIED] = "unoccupied",
	[SIM_FAULT_SUPPLY] = "supply",             [SIM_FAULT_TRAPPED] = "trapped",
	[SIM_FAULT_RECLINE_STUCK] = "recline_stuck",
	[SIM_FAULT_DRIVE_OVER_TEMP] = "drive_over_temp",
	[SIM_FAULT_LATE] = "late",                 [SIM_FAULT_EXCEPTION] = "exception",
	[SIM_FAULT_BAD_CRC] = "bad_crc",
};

/* The highest exception code libmodbus 3.1.6 passes on to a client: it reports 12..255
 * only as a bad exception frame, without the code. */
#define EXCEPTION_MAX 11
#define LATE_MAX_MS 60000

static const char *const recline_name[] = {"back", "leg"};
#define RECLINE_COUNT 2

const char *sim_fault_kind_name(enum sim_fault_kind kind)
{
	return (unsigned)kind < SIM_FAULT_KIND_COUNT ? kind_name[kind] : "?";
}

/* How many targets a kind takes, 0 when it takes none. */
static int target_count(enum sim_fault_kind kind)
{
	switch (kind) {
	case SIM_FAULT_UNIT_SILENT:
	case SIM_FAULT_UNIT_DEAF:
	case SIM_FAULT_LATE:
	case SIM_FAULT_EXCEPTION:
		return HAL_UNIT_COUNT;
	case SIM_FAULT_DRIVE_FAULT:
	case SIM_FAULT_ENCODER_LOSS:
	case SIM_FAULT_DRIVE_OVER_TEMP:
		return HAL_AXIS_COUNT;
	case SIM_FAULT_STUCK_SWITCH:
		return HAL_IN_COUNT;
	case SIM_FAULT_OVER_TEMP:
		return HAL_HEATER_COUNT;
	case SIM_FAULT_TRAPPED:
	case SIM_FAULT_RECLINE_STUCK:
		return RECLINE_COUNT;
	default:
		return 0;
	}
}

/* The names a kind's targets go by, in target order. */
static const char *const *target_names(enum sim_fault_kind kind)
{
	switch (kind) {
	case SIM_FAULT_UNIT_SILENT:
	case SIM_FAULT_UNIT_DEAF:
	case SIM_FAULT_LATE:
	case SIM_FAULT_EXCEPTION:
		return hal_unit_name;
	case SIM_FAULT_DRIVE_FAULT:
	case SIM_FAULT_ENCODER_LOSS:
	case SIM_FAULT_DRIVE_OVER_TEMP:
		return hal_axis_name;
	case SIM_FAULT_STUCK_SWITCH:
		return hal_gpio_in_name;
	case SIM_FAULT_OVER_TEMP:
		return hal_heater_name;
	case SIM_FAULT_TRAPPED:
	case SIM_FAULT_RECLINE_STUCK:
		return recline_name;
	default:
		return NULL;
	}
}

/* Whether a kind takes -1 for its target: a recline fault on either actuator, a wire
 * fault on every unit. */
static bool any_target(enum sim_fault_kind kind)
{
	return kind == SIM_FAULT_TRAPPED || kind == SIM_FAULT_RECLINE_STUCK ||
	       kind == SIM_FAULT_LATE || kind == SIM_FAULT_EXCEPTION;
}

/* A fault that could happen on this chair: known kind, real target, value in range.
 * Kinds without a target ignore it; the recline faults take -1 for either actuator,
 * the per-unit wire faults for every unit. */
static bool fault_valid(const struct sim_fault *f)
{
	if ((unsigned)f->kind >= SIM_FAULT_KIND_COUNT)
		return false;
	int n = target_count(f->kind);
	bool any_ok = any_target(f->kind) && f->target == -1;
	if (n > 0 && !any_ok && (f->target < 0 || f->target >= n))
		return false;
	switch (f->kind) {
	case SIM_FAULT_DRIVE_FAULT:
		return f->value > 0 && f->value <= UINT16_MAX;
	case SIM_FAULT_STUCK_SWITCH:
		return f->value == 0 || f->value == 1;
	case SIM_FAULT_OVER_TEMP:
	case SIM_FAULT_DRIVE_OVER_TEMP:
		return f->value >= INT16_MIN && f->value <= INT16_MAX;
	case SIM_FAULT_SUPPLY:
		return f->value >= 0 && f->value <= UINT16_MAX;
	case SIM_FAULT_LATE:
		return f->value >= 0 && f->value <= LATE_MAX_MS;
	case SIM_FAULT_EXCEPTION:
		return f->value >= 1 && f->value <= EXCEPTION_MAX;
	case SIM_FAULT_BAD_CRC:
		return f->value >= 0 && f->value <= 100;
	default:
		return true;
	}
}

int sim_fault_add(struct sim *s, const struct sim_fault *f)
{
	if (!fault_valid(f))
		return -EINVAL;
	if (s->fault_count >= SIM_FAULT_MAX)
		return -ENOSPC;
	s->fault[s->fault_count++] = *f;
	return 0;
}

static bool active_at(const struct sim_fault *f, uint64_t t_ms)
{
	return t_ms >= f->at_ms && (f->for_ms == 0 || t_ms - f->at_ms < f->for_ms);
}

bool sim_fault_active(const struct sim *s, enum sim_fault_kind kind, int target,
		      uint64_t t_ms, int *value)
{
	for (int i = 0; i < s->fault_count; i++) {
		const struct sim_fault *f = &s->fault[i];
		if (f->kind != kind || !active_at(f, t_ms))
			continue;
		if (target != -1 && f->target != -1 && f->target != target)
			continue;
		if (value)
			*value = f->value;
		return true;
	}
	return false;
}

void sim_fault_unit_masks(const struct sim *s, uint64_t t_ms, uint32_t *deaf,
			  uint32_t *injected)
{
	*deaf = 0;
	*injected = 0;
	for (int i = 0; i < s->fault_count; i++) {
		const struct sim_fault *f = &s->fault[i];
		uint32_t *mask = f->kind == SIM_FAULT_UNIT_DEAF	    ? deaf
				 : f->kind == SIM_FAULT_DRIVE_FAULT ? injected
								    : NULL;
		if (!mask || !active_at(f, t_ms))
			continue;
		/* As sim_fault_active matches: -1 is every target, one out of range none. */
		if (f->target == -1)
			*mask = ~0u;
		else if (f->target >= 0 && f->target < HAL_UNIT_COUNT)
			*mask |= 1u << f->target;
	}
}

void sim_fault_view_at(const struct sim *s, uint64_t t_ms, struct sim_fault_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < s->fault_count; i++) {
		const struct sim_fault *f = &s->fault[i];
		if (!active_at(f, t_ms) || !fault_valid(f)) /* the table is public: trust nothing */
			continue;
		switch (f->kind) {
		case SIM_FAULT_UNIT_DEAF:
		case SIM_FAULT_UNIT_SILENT:
			v->silent |= 1u << f->target;
			break;
		case SIM_FAULT_DRIVE_FAULT:
			v->drive_fault[f->target] = (uint16_t)f->value;
			break;
		case SIM_FAULT_ENCODER_LOSS:
			v->encoder_lost[f->target] = true;
			break;
		case SIM_FAULT_STUCK_SWITCH:
			v->stuck_mask |= 1u << f->target;
			v->stuck_value = (v->stuck_value & ~(1u << f->target)) |
					 ((uint32_t)f->value << f->target);
			break;
		case SIM_FAULT_OVER_TEMP:
			v->over_temp[f->target] = true;
			v->over_temp_raw[f->target] = (int16_t)f->value;
			break;
		case SIM_FAULT_ESTOP:
			v->estop = true;
			break;
		case SIM_FAULT_UNOCCUPIED:
			v->unoccupied = true;
			break;
		case SIM_FAULT_SUPPLY:
			v->supply = true;
			v->supply_raw = (uint16_t)f->value;
			break;
		case SIM_FAULT_TRAPPED:
			for (int r = 0; r < RECLINE_COUNT; r++)
				if (f->target == -1 || f->target == r)
					v->trapped[r] = true;
			break;
		case SIM_FAULT_RECLINE_STUCK:
			for (int r = 0; r < RECLINE_COUNT; r++)
				if (f->target == -1 || f->target == r)
					v->recline_stuck[r] = true;
			break;
		case SIM_FAULT_DRIVE_OVER_TEMP:
			v->drive_hot[f->target] = true;
			v->drive_hot_raw[f->target] = (int16_t)f->value;
			break;
		case SIM_FAULT_LATE:
		case SIM_FAULT_EXCEPTION:
		case SIM_FAULT_BAD_CRC:
			break; /* chairsim's wire */
		default:
			break;
		}
	}
}

/* A whole decimal (or 0x hex) number from a token, nothing else in it. */
static bool parse_long(const char *tok, long long lo, long long hi, long long *out)
{
	bool hex = tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X');
	if (*tok == '\0' || (hex && tok[2] == '\0'))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(tok, &end, hex ? 16 : 10);
	if (errno || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* A time in ms: digits only, no sign (strtoull would take "-1" as a huge number). */
static bool parse_ms(const char *tok, uint64_t *out)
{
	if (tok[0] < '0' || tok[0] > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(tok, &end, 10);
	if (errno || *end != '\0')
		return false;
	*out = v;
	return true;
}

static bool parse_kind(const char *tok, enum sim_fault_kind *kind)
{
	for (int k = 0; k < SIM_FAULT_KIND_COUNT; k++) {
		if (strcmp(tok, kind_name[k]) == 0) {
			*kind = (enum sim_fault_kind)k;
			return true;
		}
	}
	return false;
}

/* "-" for kinds without a target (and for either recline actuator or every unit), else a
 * name as hal.c spells it; axis letters in either case. */
static bool parse_target(enum sim_fault_kind kind, const char *tok, int *target)
{
	if (strcmp(tok, "-") == 0) {
		*target = -1;
		return target_count(kind) == 0 || any_target(kind);
	}
	const char *const *names = target_names(kind);
	for (int i = 0; names && i < target_count(kind); i++) {
		if (strcasecmp(tok, names[i]) == 0) {
			*target = i;
			return true;
		}
	}
	return false;
}

#define PARSE_TOKENS_MAX 6

int sim_fault_parse(const char *text, struct sim_fault *f)
{
	char buf[256];
	char *tok[PARSE_TOKENS_MAX];
	int n = 0;

	if (!text || strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	char *save = NULL;
	for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == PARSE_TOKENS_MAX)
			return -EINVAL;
		tok[n++] = t;
	}
	if (n < 4 || n > 5)
		return -EINVAL;

	struct sim_fault parsed = {0};
	long long value;
	if (!parse_kind(tok[0], &parsed.kind) || !parse_target(parsed.kind, tok[1], &parsed.target) ||
	    !parse_long(tok[2], INT32_MIN, INT32_MAX, &value) || !parse_ms(tok[3], &parsed.at_ms) ||
	    (n == 5 && !parse_ms(tok[4], &parsed.for_ms)))
		return -EINVAL;
	parsed.value = (int)value;
	if (!fault_valid(&parsed))
		return -EINVAL;
	*f = parsed;
	return 0;
}
