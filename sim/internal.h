/* What the simulator's files share and nobody outside sim/ needs: the drive model's
 * entry points and the faults in force during one step. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <math.h>

#include "sim.h"

#define SIM_DT_S 0.001
#define SIM_AMBIENT_C 24.0

/* lround(x) for |x| < 2^62 without the libm call, which was a sixth of a step (some 30
 * register values a step). With t = 2x truncated (2x is exact), lround(x) is
 * sign(x) * ((|t| + 1) / 2) rounded down: halves go away from zero, and 0.49999999999999994
 * gives 0 where adding 0.5 and truncating would give 1. With the shift rounding down, as
 * GCC and Clang shift a negative value, that is (t + 1) >> 1 for t >= 0 and t >> 1 below. */
static inline long sim_lround(double x)
{
	long t = (long)(2.0 * x);
	return (t + (t >= 0)) >> 1;
}

/* fmin and fmax for operands that are not NaN, inline instead of a libm call. The same
 * result with signed zeros too: glibc's are minsd and maxsd, which is what these become. */
static inline double sim_min(double x, double y)
{
	return x < y ? x : y;
}

static inline double sim_max(double x, double y)
{
	return x > y ? x : y;
}

/* A value into a register, clamped to what the register can carry. */
static inline int16_t sim_reg_i16(double x)
{
	x = x < INT16_MIN ? INT16_MIN : x;
	x = x > INT16_MAX ? INT16_MAX : x;
	return (int16_t)sim_lround(x);
}

static inline uint16_t sim_reg_u16(double x)
{
	x = x < 0.0 ? 0.0 : x;
	x = x > UINT16_MAX ? UINT16_MAX : x;
	return (uint16_t)sim_lround(x);
}

/* Every fault in force at one instant, looked up once per step. */
struct sim_fault_view {
	uint32_t silent; /* bit u: unit u does not answer (a deaf unit cannot either) */
	uint16_t drive_fault[HAL_AXIS_COUNT]; /* injected code, 0 = none */
	bool encoder_lost[HAL_AXIS_COUNT];
	uint32_t stuck_mask;  /* gpio inputs held ... */
	uint32_t stuck_value; /* ... at these values */
	bool over_temp[HAL_HEATER_COUNT];
	int16_t over_temp_raw[HAL_HEATER_COUNT];
	bool estop;
	bool unoccupied;
	bool supply;
	uint16_t supply_raw;
	bool trapped[2]; /* 0 = backrest, 1 = legrest actuator */
	bool recline_stuck[2];               /* runs at its usual current, does not move */
	bool drive_hot[HAL_AXIS_COUNT];      /* the winding's cooling failed ... */
	int16_t drive_hot_raw[HAL_AXIS_COUNT]; /* ... holding it at this (0.1 degC) */
};

void sim_fault_view_at(const struct sim *s, uint64_t t_ms, struct sim_fault_view *v);
/* Bit u set for each unit that sim_fault_active finds deaf, and for each drive it finds a
 * DRIVE_FAULT injected into, at t_ms: what sim_write_unit asks, for all units at once. */
void sim_fault_unit_masks(const struct sim *s, uint64_t t_ms, uint32_t *deaf,
			  uint32_t *injected);

/* What one drive sees of the rest of the chair during a step. */
struct sim_drive_env {
	bool powered;            /* drive_enable line on: not in safe torque off */
	double contact_n;        /* roller on the body: Z's force limit and every axis' load */
	uint16_t injected_fault; /* 0 = none */
	bool encoder_lost;
	bool hot;                /* cooling failed: the winding is held at hot_c */
	double hot_c;
};

void sim_drive_init(struct sim_drive *d, enum hal_axis a, double position, double offset);
void sim_drive_receive(struct sim_drive *d, const struct hal_drive_out *cmd,
		       bool fault_injected);
/* sim_drive_receive for every drive but the deaf ones (bit a of deaf), injected telling
 * which have a fault injected. */
void sim_drives_receive(struct sim_drive drive[HAL_AXIS_COUNT],
			const struct hal_drive_out cmd[HAL_AXIS_COUNT], uint32_t deaf,
			uint32_t injected);
/* One ms of every drive, drive[a] under env[a]. */
void sim_drives_step(struct sim_drive drive[HAL_AXIS_COUNT],
		     const struct sim_drive_env env[HAL_AXIS_COUNT]);
/* The registers of every drive whose unit answers (bit a of silent clear) into in[a]; a
 * silent one keeps what it last said. */
void sim_drives_read(const struct sim_drive drive[HAL_AXIS_COUNT], double contact_n,
		     uint32_t silent, struct hal_drive_in in[HAL_AXIS_COUNT]);

/* Airbags, heaters, recline and supply: the chair's slow parts. */
void sim_comfort_step(struct sim *s, const struct sim_fault_view *fv);
/* Sets the recline end-switch bits of gpio_in. */
void sim_comfort_switches(const struct sim *s, uint32_t *gpio_in);
void sim_comfort_read(const struct sim *s, const struct sim_fault_view *fv,
		      struct hal_io_in *io);

#endif
