/* The process image as Modbus registers: how each struct of hal.h packs into the 16-bit
 * words of CHAIR.md's register map, in register order. Signed values travel as their
 * two's complement (target_position_raw -1234 is the word 0xFB2E). Shared by the Modbus
 * backend (drivers/modbus_bus.c) and the simulator's Modbus server (sim/modbus_server.c),
 * so both ends agree by construction; the tests check the words against CHAIR.md. */
#ifndef HAL_REGS_H
#define HAL_REGS_H

#include <stdint.h>

#include "hal.h"

static inline void hal_regs_from_drive_out(const struct hal_drive_out *d,
					   uint16_t r[HAL_DRIVE_OUT_REGS])
{
	r[0] = d->control;
	r[1] = (uint16_t)d->target_position_raw;
	r[2] = (uint16_t)d->target_velocity_raw;
	r[3] = d->target_force_raw;
	r[4] = d->current_limit_ma;
	r[5] = d->comm_timeout_ms;
}

static inline void hal_regs_to_drive_out(const uint16_t r[HAL_DRIVE_OUT_REGS],
					 struct hal_drive_out *d)
{
	d->control = r[0];
	d->target_position_raw = (int16_t)r[1];
	d->target_velocity_raw = (int16_t)r[2];
	d->target_force_raw = r[3];
	d->current_limit_ma = r[4];
	d->comm_timeout_ms = r[5];
}

static inline void hal_regs_from_drive_in(const struct hal_drive_in *d,
					  uint16_t r[HAL_DRIVE_IN_REGS])
{
	r[0] = d->status;
	r[1] = (uint16_t)d->actual_position_raw;
	r[2] = (uint16_t)d->actual_velocity_raw;
	r[3] = d->actual_current_ma;
	r[4] = d->actual_force_raw;
	r[5] = d->fault_code;
	r[6] = (uint16_t)d->temperature_raw;
}

static inline void hal_regs_to_drive_in(const uint16_t r[HAL_DRIVE_IN_REGS],
					struct hal_drive_in *d)
{
	d->status = r[0];
	d->actual_position_raw = (int16_t)r[1];
	d->actual_velocity_raw = (int16_t)r[2];
	d->actual_current_ma = r[3];
	d->actual_force_raw = r[4];
	d->fault_code = r[5];
	d->temperature_raw = (int16_t)r[6];
}

static inline void hal_regs_from_io_in(const struct hal_io_in *io, uint16_t r[HAL_IO_IN_REGS])
{
	for (int i = 0; i < HAL_AIRBAG_COUNT; i++)
		r[i] = io->airbag_raw[i];
	for (int i = 0; i < HAL_HEATER_COUNT; i++)
		r[HAL_AIRBAG_COUNT + i] = (uint16_t)io->heater_raw[i];
	r[8] = (uint16_t)io->back_angle_raw;
	r[9] = (uint16_t)io->leg_angle_raw;
	r[10] = io->supply_raw;
	r[11] = io->back_current_ma;
	r[12] = io->leg_current_ma;
}

static inline void hal_regs_to_io_in(const uint16_t r[HAL_IO_IN_REGS], struct hal_io_in *io)
{
	for (int i = 0; i < HAL_AIRBAG_COUNT; i++)
		io->airbag_raw[i] = r[i];
	for (int i = 0; i < HAL_HEATER_COUNT; i++)
		io->heater_raw[i] = (int16_t)r[HAL_AIRBAG_COUNT + i];
	io->back_angle_raw = (int16_t)r[8];
	io->leg_angle_raw = (int16_t)r[9];
	io->supply_raw = r[10];
	io->back_current_ma = r[11];
	io->leg_current_ma = r[12];
}

#endif
