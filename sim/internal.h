/* What the simulator's files share and nobody outside sim/ needs: the drive model's
 * entry points and the faults in force during one step. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <math.h>

#include "sim.h"

#define SIM_DT_S 0.001
#define SIM_AMBIENT_C 24.0

/* A value into a register, clamped to what the register can carry. */
static inline int16_t sim_reg_i16(double x)
{
	return (int16_t)lround(x < INT16_MIN ? INT16_MIN : x > INT16_MAX ? INT16_MAX : x);
}

static inline uint16_t sim_reg_u16(double x)
{
	return (uint16_t)lround(x < 0.0 ? 0.0 : x > UINT16_MAX ? UINT16_MAX : x);
}

/* Every fault in force at one instant, looked up once per step. */
struct sim_fault_view {
	bool deaf[HAL_UNIT_COUNT];
	bool silent[HAL_UNIT_COUNT]; /* also true for a deaf unit: it cannot answer either */
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
};

void sim_fault_view_at(const struct sim *s, uint64_t t_ms, struct sim_fault_view *v);

/* What one drive sees of the rest of the chair during a step. */
struct sim_drive_env {
	bool powered;            /* drive_enable line on: not in safe torque off */
	double contact_n;        /* roller on the body: Z's force limit and every axis' load */
	uint16_t injected_fault; /* 0 = none */
	bool encoder_lost;
};

void sim_drive_init(struct sim_drive *d, enum hal_axis a, double position, double offset);
void sim_drive_receive(struct sim_drive *d, const struct hal_drive_out *cmd,
		       bool fault_injected);
void sim_drive_step(struct sim_drive *d, enum hal_axis a, const struct sim_drive_env *env);
void sim_drive_read(const struct sim_drive *d, enum hal_axis a, double contact_n,
		    struct hal_drive_in *in);

/* Airbags, heaters, recline and supply: the chair's slow parts. */
void sim_comfort_step(struct sim *s, const struct sim_fault_view *fv);
/* Sets the recline end-switch bits of gpio_in. */
void sim_comfort_switches(const struct sim *s, uint32_t *gpio_in);
void sim_comfort_read(const struct sim *s, const struct sim_fault_view *fv,
		      struct hal_io_in *io);

#endif
