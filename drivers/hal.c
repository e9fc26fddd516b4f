/* Names of the process image's parts and the reference chair's backend defaults. */
#include "hal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const hal_axis_name[HAL_AXIS_COUNT] = {"Y", "Z", "K", "T", "W"};

const char *const hal_unit_name[HAL_UNIT_COUNT] = {
	"drive_y", "drive_z", "drive_k", "drive_t", "drive_w", "io", "dio",
};

const char *const hal_gpio_in_name[HAL_IN_COUNT] = {
	"estop_n", "occupied", "y_home", "y_end", "z_home",
	"back_min", "back_max", "leg_min", "leg_max",
};

const char *const hal_gpio_out_name[HAL_OUT_COUNT] = {
	"drive_enable", "pump", "vent", "valve_shoulders", "valve_arms", "valve_waist",
	"valve_seat", "valve_calves", "valve_feet", "heat_lumbar", "heat_calves",
	"back_up", "back_down", "leg_up", "leg_down", "buzzer", "led", "heartbeat",
};

const char *const hal_airbag_name[HAL_AIRBAG_COUNT] = {
	"shoulders", "arms", "waist", "seat", "calves", "feet",
};

const char *const hal_heater_name[HAL_HEATER_COUNT] = {"lumbar", "calves"};

void hal_errf(char *err, int err_len, const char *fmt, ...)
{
	if (!err || err_len <= 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, (size_t)err_len, fmt, ap);
	va_end(ap);
}

void hal_config_defaults(struct hal_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->backend = HAL_BACKEND_SIM;
	snprintf(cfg->gpiochip, sizeof(cfg->gpiochip), "gpiochip0");
	for (int i = 0; i < HAL_IN_COUNT; i++) {
		snprintf(cfg->in_line[i].name, HAL_NAME_MAX, "%s", hal_gpio_in_name[i]);
		cfg->in_line[i].location = HAL_LINE_GPIOCHIP;
	}
	cfg->in_line[HAL_IN_ESTOP].active_low = true;
	for (int i = 0; i < HAL_OUT_COUNT; i++) {
		snprintf(cfg->out_line[i].name, HAL_NAME_MAX, "%s", hal_gpio_out_name[i]);
		cfg->out_line[i].location = HAL_LINE_GPIOCHIP;
	}
	struct hal_bus_config *bus = &cfg->bus;
	bus->kind = HAL_BUS_TCP;
	snprintf(bus->tcp_host, sizeof(bus->tcp_host), "127.0.0.1");
	bus->tcp_port = 1502;
	snprintf(bus->rtu_device, sizeof(bus->rtu_device), "/dev/ttyUSB0");
	bus->rtu_baud = 115200;
	bus->rtu_parity = 'N';
	bus->rtu_data_bits = 8;
	bus->rtu_stop_bits = 2;
	bus->response_timeout_ms = 10;
	bus->byte_timeout_ms = 5;
	bus->cycle_ms = 1; /* 0 would spin a core on a fast TCP link */
	bus->use_fc23 = true;
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		bus->unit_id[u] = u + 1;
		bus->unit_present[u] = true;
	}
	bus->reconnect_min_ms = 50;
	bus->reconnect_max_ms = 2000;
	bus->drive_hold_base = 0;
	bus->drive_input_base = 0;
	bus->io_input_base = 0;
	bus->dio_input_base = 0;
	bus->dio_coil_base = 0;
	bus->dio_comm_timeout_ms = 200;
	cfg->sim_seed = 1;
}

/* Every output line's safe value and the one thing a latched chair may still do with it.
 * Designated by line, so a line added to enum hal_gpio_out without its entry here has
 * listed false, which hal_safe_table_complete reports (a test walks it). */
const struct hal_line_safety hal_gpio_out_safety[HAL_OUT_COUNT] = {
	[HAL_OUT_DRIVE_ENABLE] = {true, true, HAL_MAY_NOTHING},  /* Z must be powered to retract */
	[HAL_OUT_PUMP] = {true, false, HAL_MAY_NOTHING},
	[HAL_OUT_VENT] = {true, true, HAL_MAY_NOTHING},
	[HAL_OUT_VALVE_SHOULDERS] = {true, true, HAL_MAY_NOTHING},
	[HAL_OUT_VALVE_ARMS] = {true, true, HAL_MAY_NOTHING},
	[HAL_OUT_VALVE_WAIST] = {true, true, HAL_MAY_NOTHING},
	[HAL_OUT_VALVE_SEAT] = {true, true, HAL_MAY_NOTHING},
	[HAL_OUT_VALVE_CALVES] = {true, true, HAL_MAY_NOTHING},
	[HAL_OUT_VALVE_FEET] = {true, true, HAL_MAY_NOTHING},
	[HAL_OUT_HEAT_LUMBAR] = {true, false, HAL_MAY_NOTHING},
	[HAL_OUT_HEAT_CALVES] = {true, false, HAL_MAY_NOTHING},
	[HAL_OUT_BACK_UP] = {true, false, HAL_MAY_BACK_OFF},
	[HAL_OUT_BACK_DOWN] = {true, false, HAL_MAY_BACK_OFF},
	[HAL_OUT_LEG_UP] = {true, false, HAL_MAY_BACK_OFF},
	[HAL_OUT_LEG_DOWN] = {true, false, HAL_MAY_BACK_OFF},
	[HAL_OUT_BUZZER] = {true, false, HAL_MAY_SOUND},
	[HAL_OUT_LED] = {true, false, HAL_MAY_NOTHING},
	/* Keeps toggling while the rt thread runs: the charge pump cuts heat and pump power
	 * only when the controller itself is gone, and those are off in the safe state. */
	[HAL_OUT_HEARTBEAT] = {true, false, HAL_MAY_TOGGLE},
};

bool hal_safe_table_complete(void)
{
	for (int i = 0; i < HAL_OUT_COUNT; i++)
		if (!hal_gpio_out_safety[i].listed)
			return false;
	return true;
}

/* Whether a recline relay reverses the other relay of the same actuator. */
static bool is_recline_relay(int line)
{
	return line >= 0 && line < HAL_OUT_COUNT &&
	       hal_gpio_out_safety[line].may == HAL_MAY_BACK_OFF;
}

void hal_safe_outputs_with(struct hal_outputs *out, const struct hal_safe_request *req)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < HAL_OUT_COUNT; i++) {
		const struct hal_line_safety *ls = &hal_gpio_out_safety[i];
		bool on = ls->on;
		if (ls->may == HAL_MAY_SOUND)
			on = req->buzzer;
		else if (ls->may == HAL_MAY_TOGGLE)
			on = req->heartbeat;
		else if (ls->may == HAL_MAY_BACK_OFF)
			on = is_recline_relay(req->back_off_relay) && req->back_off_relay == i;
		hal_out_set(out, (enum hal_gpio_out)i, on);
	}
	out->dio_comm_timeout_ms = req->dio_comm_timeout_ms;
	uint16_t comm_ms = req->comm_timeout_ms ? req->comm_timeout_ms : 200;
	uint16_t reset = req->fault_reset ? HAL_CTL_FAULT_RESET : 0;
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		out->drive[a].comm_timeout_ms = comm_ms;
		out->drive[a].control = reset;
	}
	/* Z stays enabled: a disabled depth drive would leave the roller pressed in. It may
	 * retract or stand still, never extend, and may press with no force at all. */
	struct hal_drive_out *z = &out->drive[HAL_AXIS_Z];
	z->control |= HAL_CTL_ENABLE | (HAL_MODE_VELOCITY << HAL_CTL_MODE_SHIFT);
	int16_t v = req->z_velocity_raw;
	z->target_velocity_raw = (int16_t)(v > 0 ? 0 : v);
	z->target_force_raw = 0;
	z->current_limit_ma = 3000;
}

void hal_safe_outputs(struct hal_outputs *out, int16_t z_release_velocity_raw)
{
	int16_t v = z_release_velocity_raw;
	struct hal_safe_request req = {
		.z_velocity_raw = (int16_t)(v > 0 ? -v : v),
		.back_off_relay = -1,
	};
	hal_safe_outputs_with(out, &req);
}
