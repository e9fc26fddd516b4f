/* The hardware abstraction layer: the process image the tick reads and writes once per
 * period, and the operations every backend (sim, gpiod, modbus) provides.
 *
 * The image holds register values as the reference drives and IO modules of CHAIR.md
 * carry them (`_raw`), so the Modbus backend copies words and the simulator produces
 * exactly what goes over the wire. Scales to engineering units live in the config and
 * are applied by the controller's estimate stage, never here. GPIO lines are logical
 * values: a backend applies each line's active-low setting before the image sees it. */
#ifndef HAL_H
#define HAL_H

#include <stdbool.h>
#include <stdint.h>

enum hal_axis {
	HAL_AXIS_Y, /* carriage along the track, linear */
	HAL_AXIS_Z, /* roller depth, linear, with a load cell */
	HAL_AXIS_K, /* knead motor, rotary */
	HAL_AXIS_T, /* tap motor, rotary */
	HAL_AXIS_W, /* roller width, linear */
	HAL_AXIS_COUNT
};

/* Bus units in the order the image keeps them; Modbus unit ids come from config. */
enum hal_unit {
	HAL_UNIT_DRIVE_Y,
	HAL_UNIT_DRIVE_Z,
	HAL_UNIT_DRIVE_K,
	HAL_UNIT_DRIVE_T,
	HAL_UNIT_DRIVE_W,
	HAL_UNIT_IO,  /* analog IO module: airbags, heaters, angles, supply */
	HAL_UNIT_DIO, /* digital IO module carrying GPIO lines on the bus */
	HAL_UNIT_COUNT
};

/* Drive control word (holding register 0). */
#define HAL_CTL_ENABLE      (1u << 0)
#define HAL_CTL_FAULT_RESET (1u << 1)
#define HAL_CTL_MODE_SHIFT  2
#define HAL_CTL_MODE_MASK   (3u << HAL_CTL_MODE_SHIFT)

enum hal_drive_mode {
	HAL_MODE_VELOCITY = 0,
	HAL_MODE_POSITION = 1,
	HAL_MODE_FORCE = 2,
};

/* Drive status word (input register 0). */
#define HAL_STATUS_READY     (1u << 0)
#define HAL_STATUS_ENABLED   (1u << 1)
#define HAL_STATUS_FAULT     (1u << 2)
#define HAL_STATUS_MOVING    (1u << 3)
#define HAL_STATUS_AT_TARGET (1u << 4)

/* Holding registers of a drive, in register order (CHAIR.md). For the Z drive in
 * velocity or position mode, target_force_raw is a force limit the drive will not
 * extend past: the last line of defence for the user's cap. */
struct hal_drive_out {
	uint16_t control;
	int16_t target_position_raw; /* 0.1 mm (linear) or 0.1 deg (rotary) */
	int16_t target_velocity_raw; /* 0.1 mm/s (linear) or rpm (rotary) */
	uint16_t target_force_raw;   /* 0.1 N */
	uint16_t current_limit_ma;
	uint16_t comm_timeout_ms;
};
#define HAL_DRIVE_OUT_REGS 6

/* Input registers of a drive, in register order (CHAIR.md). */
struct hal_drive_in {
	uint16_t status;
	int16_t actual_position_raw;
	int16_t actual_velocity_raw;
	uint16_t actual_current_ma;
	uint16_t actual_force_raw; /* 0.1 N, Z only */
	uint16_t fault_code;       /* drive-specific, 0 = none */
	int16_t temperature_raw;   /* 0.1 degC */
};
#define HAL_DRIVE_IN_REGS 7

enum hal_airbag {
	HAL_AIRBAG_SHOULDERS,
	HAL_AIRBAG_ARMS,
	HAL_AIRBAG_WAIST,
	HAL_AIRBAG_SEAT,
	HAL_AIRBAG_CALVES,
	HAL_AIRBAG_FEET,
	HAL_AIRBAG_COUNT
};

enum hal_heater { HAL_HEATER_LUMBAR, HAL_HEATER_CALVES, HAL_HEATER_COUNT };

/* Input registers of the analog IO module, in register order. The last two are this
 * project's extension of CHAIR.md: recline motor currents, for the trapped-limb watchdog. */
struct hal_io_in {
	uint16_t airbag_raw[HAL_AIRBAG_COUNT]; /* 0.1 kPa */
	int16_t heater_raw[HAL_HEATER_COUNT];  /* 0.1 degC */
	int16_t back_angle_raw;                /* 0.1 deg */
	int16_t leg_angle_raw;                 /* 0.1 deg */
	uint16_t supply_raw;                   /* 0.1 V */
	uint16_t back_current_ma;
	uint16_t leg_current_ma;
};
#define HAL_IO_IN_REGS 13

/* GPIO input lines, in the order of the digital IO module's discrete inputs. */
enum hal_gpio_in {
	HAL_IN_ESTOP, /* logical "pressed"; the line is estop_n, active low */
	HAL_IN_OCCUPIED,
	HAL_IN_Y_HOME,
	HAL_IN_Y_END,
	HAL_IN_Z_HOME,
	HAL_IN_BACK_MIN,
	HAL_IN_BACK_MAX,
	HAL_IN_LEG_MIN,
	HAL_IN_LEG_MAX,
	HAL_IN_COUNT
};

/* GPIO output lines: all but the last in the order of the digital IO module's coils. */
enum hal_gpio_out {
	HAL_OUT_DRIVE_ENABLE,
	HAL_OUT_PUMP,
	HAL_OUT_VENT,
	HAL_OUT_VALVE_SHOULDERS,
	HAL_OUT_VALVE_ARMS,
	HAL_OUT_VALVE_WAIST,
	HAL_OUT_VALVE_SEAT,
	HAL_OUT_VALVE_CALVES,
	HAL_OUT_VALVE_FEET,
	HAL_OUT_HEAT_LUMBAR,
	HAL_OUT_HEAT_CALVES,
	HAL_OUT_BACK_UP,
	HAL_OUT_BACK_DOWN,
	HAL_OUT_LEG_UP,
	HAL_OUT_LEG_DOWN,
	HAL_OUT_BUZZER,
	HAL_OUT_LED,
	HAL_OUT_HEARTBEAT, /* a local gpiochip line only, toggled every tick by the rt thread:
	                      it feeds the charge-pump relay that powers heaters and pump */
	HAL_OUT_COUNT
};

/* The digital IO module (CHAIR.md): coils 0..16 are the output lines before heartbeat, and
 * holding register 0 is its host watchdog, comm_timeout in ms (0 = off): with no request
 * for that long it puts every coil in its safe state by itself and holds it until written
 * again. */
#define HAL_DIO_COIL_COUNT 17
#define HAL_DIO_REG_COMM_TIMEOUT 0
_Static_assert(HAL_DIO_COIL_COUNT == HAL_OUT_HEARTBEAT && HAL_OUT_HEARTBEAT == HAL_OUT_COUNT - 1,
	       "the DIO module has a coil for every output line but heartbeat");

/* How fresh a unit's data is, and what went wrong talking to it. The backend fills this;
 * the tick faults a unit whose age exceeds its limit. */
struct hal_unit_status {
	uint32_t age_ms;        /* since the last good read of this unit */
	uint16_t exception;     /* Modbus exception code of the unit's latest turn, 0 = none */
	uint16_t exception_reg; /* register address of the request that drew it */
	uint16_t last_exception;     /* the latest exception ever, kept after good turns: */
	uint16_t last_exception_reg; /* what an exception that came and went was */
	uint32_t transactions;
	uint32_t timeouts;
	uint32_t crc_errors;
	uint32_t exceptions;
};

struct hal_inputs {
	struct hal_drive_in drive[HAL_AXIS_COUNT];
	struct hal_io_in io;
	uint32_t gpio_in;        /* bit n = enum hal_gpio_in n, logical value */
	uint32_t estop_presses;  /* press edges counted by the backend, so a press between
	                            two reads is never missed */
	struct hal_unit_status unit[HAL_UNIT_COUNT];
};

struct hal_outputs {
	struct hal_drive_out drive[HAL_AXIS_COUNT];
	uint32_t gpio_out; /* bit n = enum hal_gpio_out n */
	/* The DIO module's host watchdog (its holding register 0). The Modbus backend writes
	 * this, or its [bus] dio_comm_timeout_ms while the image carries 0, so an image that
	 * never set it (a safe state built from zeros) cannot switch the watchdog off; the
	 * in-process simulator takes it as the register's value, 0 = off. */
	uint16_t dio_comm_timeout_ms;
};

static inline bool hal_in(const struct hal_inputs *in, enum hal_gpio_in line)
{
	return (in->gpio_in >> line) & 1u;
}

static inline void hal_out_set(struct hal_outputs *out, enum hal_gpio_out line, bool on)
{
	if (on)
		out->gpio_out |= 1u << line;
	else
		out->gpio_out &= ~(1u << line);
}

static inline bool hal_out(const struct hal_outputs *out, enum hal_gpio_out line)
{
	return (out->gpio_out >> line) & 1u;
}

/* Names as CHAIR.md spells them (config keys, GPIO line names, messages). */
extern const char *const hal_axis_name[HAL_AXIS_COUNT];
extern const char *const hal_unit_name[HAL_UNIT_COUNT];
extern const char *const hal_gpio_in_name[HAL_IN_COUNT];
extern const char *const hal_gpio_out_name[HAL_OUT_COUNT];
extern const char *const hal_airbag_name[HAL_AIRBAG_COUNT];
extern const char *const hal_heater_name[HAL_HEATER_COUNT];

/* ---- configuration the backends need (parsed by the controller's config module) ---- */

#define HAL_NAME_MAX 64

enum hal_line_location { HAL_LINE_GPIOCHIP, HAL_LINE_MODBUS };

struct hal_line_config {
	char name[HAL_NAME_MAX]; /* line name on the gpiochip */
	enum hal_line_location location;
	bool active_low;
};

enum hal_bus_kind { HAL_BUS_NONE, HAL_BUS_TCP, HAL_BUS_RTU };

struct hal_bus_config {
	enum hal_bus_kind kind;
	char tcp_host[HAL_NAME_MAX];
	int tcp_port;
	char rtu_device[HAL_NAME_MAX];
	int rtu_baud;
	char rtu_parity; /* 'N', 'E' or 'O' */
	int rtu_data_bits;
	int rtu_stop_bits;
	bool rtu_rs485;
	int rtu_frame_gap_us; /* extra silence between frames, beyond the 3.5 characters */
	int response_timeout_ms;
	int byte_timeout_ms;
	int cycle_ms;        /* fieldbus cycle period; 0 = as fast as the bus allows */
	bool use_fc23;       /* read/write multiple in one transaction */
	int unit_id[HAL_UNIT_COUNT];
	bool unit_present[HAL_UNIT_COUNT];
	int reconnect_min_ms;
	int reconnect_max_ms;
	/* register addresses (CHAIR.md defaults: holding 0..5, input 0..6, IO input 0..12,
	 * DIO discrete inputs 0..8, coils 0..16) */
	int drive_hold_base;
	int drive_input_base;
	int io_input_base;
	int dio_input_base;
	int dio_coil_base;
	/* With use_fc23 the read half of function 23 reads holding registers: the drive mirrors
	 * its input registers 0..6 there. 0 = right after the holding block
	 * (drive_hold_base + HAL_DRIVE_OUT_REGS, i.e. holding 6..12 on the reference drive). */
	int drive_fc23_read_base;
	int thread_priority; /* SCHED_FIFO priority of the fieldbus thread; 0 = inherit */
	/* Outputs the tick has not renewed for this long are no longer written, and the DIO
	 * module is no longer asked anything (a read feeds its watchdog too): a wedged rt
	 * thread must not keep the units' watchdogs fed with its last command, so the drives
	 * and the DIO module go safe by themselves. 0 = written however old (a tool with no
	 * tick behind it). chaird sets it to the rt thread's late-fault tolerance. */
	int output_stale_ms;
	/* The DIO module's host watchdog, written to its holding register 0 with the first
	 * outputs (CHAIR.md: 200); 0 = the module's watchdog stays off (a module without one) */
	int dio_comm_timeout_ms;
};

enum hal_backend_kind { HAL_BACKEND_SIM, HAL_BACKEND_MODBUS, HAL_BACKEND_GPIOD_MODBUS };

struct hal_config {
	enum hal_backend_kind backend;
	char gpiochip[HAL_NAME_MAX]; /* e.g. "gpiochip0" or a chip label */
	struct hal_line_config in_line[HAL_IN_COUNT];
	struct hal_line_config out_line[HAL_OUT_COUNT];
	struct hal_bus_config bus;
	uint64_t sim_seed; /* sim backend: the simulated person */
};

/* Write a message for people into err (NULL or err_len <= 0: nothing). Backends use it
 * for the messages of open. */
void hal_errf(char *err, int err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fill a config with CHAIR.md's reference chair values. */
void hal_config_defaults(struct hal_config *cfg);

/* ---- backends ---- */

/* Every backend provides these. read and write never block: the tick calls them once per
 * period. safe writes the safe state with whatever means the backend has left (used on
 * shutdown and when the tick cannot run). Errors are negative errno values; open
 * writes a message naming the failing thing into err. */
struct hal_backend {
	const char *name;
	void *ctx;
	int (*open)(void *ctx, const struct hal_config *cfg, char *err, int err_len);
	int (*read)(void *ctx, struct hal_inputs *in);
	int (*write)(void *ctx, const struct hal_outputs *out);
	int (*safe)(void *ctx, const struct hal_outputs *safe_out); /* now, bypassing any cycle */
	void (*close)(void *ctx);
};

/* The safe state, in one place: every output's safe value and what a latched chair may
 * still do with it, as Klipper keeps each output's shutdown value beside it. Nothing else
 * writes a safe state: the tick, the backends and shutdown all call hal_safe_outputs_with,
 * which takes only the exceptions the table allows. */
enum hal_safe_may {
	HAL_MAY_NOTHING,  /* always its safe value */
	HAL_MAY_BACK_OFF, /* a recline relay: reverse a trapped actuator for its back-off */
	HAL_MAY_SOUND,    /* the buzzer: sound when a fault latches */
	HAL_MAY_TOGGLE,   /* the heartbeat: keeps toggling while the rt thread runs */
};

struct hal_line_safety {
	bool listed;          /* false: a line without an entry (a table out of date) */
	bool on;              /* the safe value */
	enum hal_safe_may may;
};

extern const struct hal_line_safety hal_gpio_out_safety[HAL_OUT_COUNT];

/* Whether every output line has its entry. */
bool hal_safe_table_complete(void);

/* The exceptions a latched chair asks for; the table decides which it may have. Drives:
 * every one disabled but Z, which stays enabled in velocity mode with no force and may only
 * retract (z_velocity_raw > 0 becomes 0); fault_reset sets FAULT_RESET on every drive (an
 * acknowledge clearing drive faults); comm_timeout_ms 0 means the drives' default 200. */
struct hal_safe_request {
	int16_t z_velocity_raw;   /* <= 0: retract speed, or 0 to stand at home */
	uint16_t comm_timeout_ms;
	uint16_t dio_comm_timeout_ms; /* the digital IO module's host watchdog, kept armed */
	bool fault_reset;
	bool buzzer;
	bool heartbeat;
	int back_off_relay;       /* enum hal_gpio_out of a recline relay, or -1 */
};

void hal_safe_outputs_with(struct hal_outputs *out, const struct hal_safe_request *req);

/* The plain safe state, retracting Z at |z_release_velocity_raw| (as a backend writes it
 * when no tick runs): hal_safe_outputs_with and no exceptions. */
void hal_safe_outputs(struct hal_outputs *out, int16_t z_release_velocity_raw);

/* The hardware backends (drivers/hal_combo.c): for cfg->backend HAL_BACKEND_MODBUS the
 * Modbus backend alone (every GPIO line on the digital IO module), for
 * HAL_BACKEND_GPIOD_MODBUS the gpiochip lines through libgpiod and the rest through Modbus.
 * Allocates the backend's state (start-up only, never in read/write) and fills b; then
 * b->open(b->ctx, cfg, ...) as for any backend (it returns once every unit has answered,
 * or after 1 s with the silent unit named on stderr), and b->close releases everything,
 * the state included: call it once, also after a failed open. -EINVAL for
 * HAL_BACKEND_SIM (not a hardware backend), -ENOMEM. */
int hal_hw_backend_create(const struct hal_config *cfg, struct hal_backend *b);

#endif
