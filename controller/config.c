/* INI configuration (inih) over CHAIR.md's defaults. Every key is described once in a
 * table with its type and range, so parsing, validation and the docs agree. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>

enum key_type {
	K_DBL, K_INT, K_BOOL, K_STR, K_PATH, K_BACKEND, K_BUS, K_PARITY, K_LINE, K_LISTEN, K_NAMES,
	K_DIR
};

struct key_desc {
	const char *section;
	const char *key;
	enum key_type type;
	size_t offset;
	double min;
	double max;
};

#define CFG(field) offsetof(struct chair_config, field)

#define LINEAR_AXIS_KEYS(sec, ax)                                                        \
	{sec, "min_mm", K_DBL, CFG(ax.min_mm), -50, 2000},                               \
	{sec, "max_mm", K_DBL, CFG(ax.max_mm), 1, 2000},                                 \
	{sec, "speed_min_mm_s", K_DBL, CFG(ax.speed_min_mm_s), 0.1, 100},                \
	{sec, "speed_max_mm_s", K_DBL, CFG(ax.speed_max_mm_s), 1, 300},                  \
	{sec, "accel_mm_s2", K_DBL, CFG(ax.accel_mm_s2), 10, 10000},                     \
	{sec, "jerk_mm_s3", K_DBL, CFG(ax.jerk_mm_s3), 100, 1e6},                        \
	{sec, "position_scale_mm", K_DBL, CFG(ax.position_scale_mm), 0.001, 10},         \
	{sec, "velocity_scale_mm_s", K_DBL, CFG(ax.velocity_scale), 0.001, 10},          \
	{sec, "kp_per_s", K_DBL, CFG(ax.kp_per_s), 0.1, 200},                            \
	{sec, "current_limit_ma", K_INT, CFG(ax.current_limit_ma), 100, 20000},          \
	{sec, "stall_s", K_DBL, CFG(ax.stall_s), 0.1, 30},                               \
	{sec, "stall_move_mm", K_DBL, CFG(ax.stall_move_mm), 0.05, 20},                  \
	{sec, "home_speed_mm_s", K_DBL, CFG(ax.home_speed_mm_s), 1, 300},                \
	{sec, "home_slow_mm_s", K_DBL, CFG(ax.home_slow_mm_s), 0.5, 50},                 \
	{sec, "home_timeout_s", K_DBL, CFG(ax.home_timeout_s), 1, 120},                  \
	{sec, "max_temp_c", K_DBL, CFG(ax.max_temp_c), 30, 150}

#define ROTARY_KEYS(sec, ax)                                                             \
	{sec, "max_rpm", K_DBL, CFG(ax.max_rpm), 1, 3000},                               \
	{sec, "velocity_scale_rpm", K_DBL, CFG(ax.velocity_scale), 0.01, 100},           \
	{sec, "current_limit_ma", K_INT, CFG(ax.current_limit_ma), 100, 20000},          \
	{sec, "stall_s", K_DBL, CFG(ax.stall_s), 0.1, 30},                               \
	{sec, "max_temp_c", K_DBL, CFG(ax.max_temp_c), 30, 150}

#define UNIT_KEY(name, u)                                                                \
	{"units", name, K_INT, CFG(hal.bus.unit_id[u]), 1, 247},                         \
	{"units", name "_present", K_BOOL, CFG(hal.bus.unit_present[u]), 0, 1}

static const struct key_desc keys[] = {
	LINEAR_AXIS_KEYS("axis.y", y),
	LINEAR_AXIS_KEYS("axis.z", z),
	LINEAR_AXIS_KEYS("axis.w", w),
	ROTARY_KEYS("axis.k", knead),
	ROTARY_KEYS("axis.t", tap),
	{"force", "max_n", K_DBL, CFG(force.max_n), 1, 300},
	{"force", "scale_n", K_DBL, CFG(force.scale_n), 0.001, 10},
	{"force", "kp_mm_s_per_n", K_DBL, CFG(force.kp_mm_s_per_n), 0.01, 50},
	{"force", "ki_mm_s2_per_n", K_DBL, CFG(force.ki_mm_s2_per_n), 0, 500},
	{"force", "release_speed_mm_s", K_DBL, CFG(force.release_speed_mm_s), 5, 400},
	{"force", "release_over_n", K_DBL, CFG(force.release_over_n), 1, 100},
	{"force", "slew_n_s", K_DBL, CFG(force.slew_n_s), 1, 5000},
	{"force", "over_force_margin_n", K_DBL, CFG(force.over_force_margin_n), 0, 100},
	{"force", "over_force_ms", K_DBL, CFG(force.over_force_ms), 0, 1000},
	{"force", "contact_n", K_DBL, CFG(force.contact_n), 0.1, 20},
	{"force", "search_mm", K_DBL, CFG(force.search_mm), 1, 100},
	{"width", "narrow_mm", K_DBL, CFG(width.narrow_mm), 20, 300},
	{"width", "medium_mm", K_DBL, CFG(width.medium_mm), 20, 300},
	{"width", "wide_mm", K_DBL, CFG(width.wide_mm), 20, 300},
	{"recline", "timeout_s", K_DBL, CFG(recline.timeout_s), 1, 120},
	{"recline", "spike_ma", K_INT, CFG(recline.spike_ma), 100, 50000},
	{"recline", "backoff_s", K_DBL, CFG(recline.backoff_s), 0, 10},
	{"recline", "tolerance_deg", K_DBL, CFG(recline.tolerance_deg), 0.1, 10},
	{"recline", "angle_scale_deg", K_DBL, CFG(recline.angle_scale_deg), 0.001, 10},
	{"recline", "upright_back_deg", K_DBL, CFG(recline.back_deg[RECLINE_UPRIGHT]), 90, 180},
	{"recline", "upright_leg_deg", K_DBL, CFG(recline.leg_deg[RECLINE_UPRIGHT]), 0, 90},
	{"recline", "relax_back_deg", K_DBL, CFG(recline.back_deg[RECLINE_RELAX]), 90, 180},
	{"recline", "relax_leg_deg", K_DBL, CFG(recline.leg_deg[RECLINE_RELAX]), 0, 90},
	{"recline", "zero_gravity_back_deg", K_DBL, CFG(recline.back_deg[RECLINE_ZERO_GRAVITY]), 90,
	 180},
	{"recline", "zero_gravity_leg_deg", K_DBL, CFG(recline.leg_deg[RECLINE_ZERO_GRAVITY]), 0, 90},
	{"airbag", "max_kpa", K_DBL, CFG(airbag.max_kpa), 1, 80},
	{"airbag", "pressure_scale_kpa", K_DBL, CFG(airbag.pressure_scale_kpa), 0.001, 10},
	{"airbag", "hysteresis_kpa", K_DBL, CFG(airbag.hysteresis_kpa), 0.05, 10},
	{"heater", "max_c", K_DBL, CFG(heater.max_c), 25, 60},
	{"heater", "cutoff_c", K_DBL, CFG(heater.cutoff_c), 25, 70},
	{"heater", "window_s", K_DBL, CFG(heater.window_s), 0.1, 10},
	{"heater", "kp_per_c", K_DBL, CFG(heater.kp_per_c), 0.01, 10},
	{"heater", "ki_per_c_s", K_DBL, CFG(heater.ki_per_c_s), 0, 1},
	{"heater", "integral_band_c", K_DBL, CFG(heater.integral_band_c), 0.1, 20},
	{"heater", "temp_scale_c", K_DBL, CFG(heater.temp_scale_c), 0.001, 10},
	{"supply", "min_v", K_DBL, CFG(supply.min_v), 1, 100},
	{"supply", "max_v", K_DBL, CFG(supply.max_v), 1, 100},
	{"supply", "scale_v", K_DBL, CFG(supply.scale_v), 0.001, 10},
	{"supply", "debounce_ms", K_DBL, CFG(supply.debounce_ms), 0, 5000},
	{"rt", "priority", K_INT, CFG(rt.priority), 1, 99},
	{"rt", "cpu", K_INT, CFG(rt.cpu), -1, 1023},
	{"rt", "lock_memory", K_BOOL, CFG(rt.lock_memory), 0, 1},
	{"rt", "period_us", K_INT, CFG(rt.period_ns), 1000, 1000}, /* the sim and plans assume 1 kHz */
	{"rt", "allow_soft_realtime", K_BOOL, CFG(rt.allow_soft_realtime), 0, 1},
	{"rt", "max_late_periods", K_INT, CFG(rt.max_late_periods), 1, 1000},
	{"session", "max_s", K_DBL, CFG(session.max_s), 60, 7200},
	{"session", "default_s", K_DBL, CFG(session.default_s), 60, 7200},
	{"session", "default_cap_n", K_DBL, CFG(session.default_cap_n), 1, 300},
	{"session", "rules", K_PATH, CFG(session.rules_path), 0, CONFIG_PATH_MAX},
	{"session", "advice", K_PATH, CFG(session.advice_path), 0, CONFIG_PATH_MAX},
	{"panel", "socket", K_PATH, CFG(panel.socket_path), 0, CONFIG_PATH_MAX},
	{"panel", "technician_group", K_STR, CFG(panel.technician_group), 0, CONFIG_GROUP_MAX},
	{"panel", "socket_group", K_STR, CFG(panel.socket_group), 0, CONFIG_GROUP_MAX},
	{"web", "listen", K_LISTEN, CFG(web.listen), 0, CONFIG_LISTEN_MAX},
	{"web", "root", K_DIR, CFG(web.root), 0, CONFIG_PATH_MAX},
	{"web", "server_name", K_NAMES, CFG(web.server_name), 0, CONFIG_NAMES_MAX},
	{"web", "max_connections", K_INT, CFG(web.max_connections), 4, 1000},
	{"web", "max_sessions", K_INT, CFG(web.max_sessions), 1, 256},
	{"web", "max_streams", K_INT, CFG(web.max_streams), 1, 256},
	{"web", "max_streams_per_session", K_INT, CFG(web.max_streams_per_session), 1, 16},
	{"web", "timeout_s", K_DBL, CFG(web.timeout_s), 1, 300},
	{"web", "session_idle_s", K_DBL, CFG(web.session_idle_s), 10, 86400},
	{"web", "stream_grace_s", K_DBL, CFG(web.stream_grace_s), 0.1, 60},
	{"store", "path", K_PATH, CFG(store.path), 0, CONFIG_PATH_MAX},
	{"safety", "unit_age_limit_ms", K_INT, CFG(unit_age_limit_ms), 5, 5000},
	{"safety", "drive_comm_timeout_ms", K_INT, CFG(drive_comm_timeout_ms), 10, 10000},
	{"hal", "backend", K_BACKEND, CFG(hal.backend), 0, 0},
	{"hal", "sim_seed", K_INT, CFG(hal.sim_seed), 0, 2147483647},
	{"gpio", "chip", K_STR, CFG(hal.gpiochip), 0, HAL_NAME_MAX},
	{"bus", "kind", K_BUS, CFG(hal.bus.kind), 0, 0},
	{"bus", "host", K_STR, CFG(hal.bus.tcp_host), 0, HAL_NAME_MAX},
	{"bus", "port", K_INT, CFG(hal.bus.tcp_port), 1, 65535},
	{"bus", "device", K_STR, CFG(hal.bus.rtu_device), 0, HAL_NAME_MAX},
	{"bus", "baud", K_INT, CFG(hal.bus.rtu_baud), 1200, 4000000},
	{"bus", "parity", K_PARITY, CFG(hal.bus.rtu_parity), 0, 0},
	{"bus", "data_bits", K_INT, CFG(hal.bus.rtu_data_bits), 7, 8},
	{"bus", "stop_bits", K_INT, CFG(hal.bus.rtu_stop_bits), 1, 2},
	{"bus", "rs485", K_BOOL, CFG(hal.bus.rtu_rs485), 0, 1},
	{"bus", "frame_gap_us", K_INT, CFG(hal.bus.rtu_frame_gap_us), 0, 100000},
	{"bus", "response_timeout_ms", K_INT, CFG(hal.bus.response_timeout_ms), 1, 5000},
	{"bus", "byte_timeout_ms", K_INT, CFG(hal.bus.byte_timeout_ms), 1, 5000},
	{"bus", "cycle_ms", K_INT, CFG(hal.bus.cycle_ms), 0, 1000},
	{"bus", "fc23", K_BOOL, CFG(hal.bus.use_fc23), 0, 1},
	{"bus", "reconnect_min_ms", K_INT, CFG(hal.bus.reconnect_min_ms), 1, 60000},
	{"bus", "reconnect_max_ms", K_INT, CFG(hal.bus.reconnect_max_ms), 1, 600000},
	{"bus", "drive_hold_base", K_INT, CFG(hal.bus.drive_hold_base), 0, 65000},
	{"bus", "drive_input_base", K_INT, CFG(hal.bus.drive_input_base), 0, 65000},
	{"bus", "io_input_base", K_INT, CFG(hal.bus.io_input_base), 0, 65000},
	{"bus", "dio_input_base", K_INT, CFG(hal.bus.dio_input_base), 0, 65000},
	{"bus", "dio_coil_base", K_INT, CFG(hal.bus.dio_coil_base), 0, 65000},
	{"bus", "dio_comm_timeout_ms", K_INT, CFG(hal.bus.dio_comm_timeout_ms), 0, 10000},
	{"bus", "fc23_read_base", K_INT, CFG(hal.bus.drive_fc23_read_base), 0, 65000},
	{"bus", "thread_priority", K_INT, CFG(hal.bus.thread_priority), 0, 99},
	UNIT_KEY("drive_y", HAL_UNIT_DRIVE_Y),
	UNIT_KEY("drive_z", HAL_UNIT_DRIVE_Z),
	UNIT_KEY("drive_k", HAL_UNIT_DRIVE_K),
	UNIT_KEY("drive_t", HAL_UNIT_DRIVE_T),
	UNIT_KEY("drive_w", HAL_UNIT_DRIVE_W),
	UNIT_KEY("io", HAL_UNIT_IO),
	UNIT_KEY("dio", HAL_UNIT_DIO),
};

static void linear_axis(struct axis_config *a, double min_mm, double max_mm, double vmin,
			double vmax, double accel)
{
	a->min_mm = min_mm;
	a->max_mm = max_mm;
	a->speed_min_mm_s = vmin;
	a->speed_max_mm_s = vmax;
	a->accel_mm_s2 = accel;
	a->jerk_mm_s3 = accel * 10;
	a->position_scale_mm = 0.1;
	a->velocity_scale = 0.1;
	a->kp_per_s = 20;
	a->current_limit_ma = 4000;
	a->stall_s = 2;
	a->stall_move_mm = 0.5;
	a->home_speed_mm_s = vmax;
	a->home_slow_mm_s = 10;
	a->home_timeout_s = 42;
	a->max_temp_c = 80;
}

/* ---- the drives' own comm watchdog and the release bound (docs/safety.md) ---- */

/* The longest the chair may take to let go of the body after any fault, the controller's
 * death included, on the true force (under 5 N). When the controller cannot command a
 * release (a deaf drive, a dead controller) only the drive's comm watchdog does: its timeout
 * plus the roller's retract must fit in here. RTU's cycle alone is some 37 ms. */
#define RELEASE_BOUND_TCP_MS 150
#define RELEASE_BOUND_RTU_MS 200
/* How far the roller retracts from a press to leave the body, starting from rest: the 30 N
 * hold on the softest lumbar of 40 simulated people is off the body 44 ms after the drive
 * starts its 200 mm/s retract (tests/test_release.c), 8.8 mm at that speed. */
#define RELEASE_TRAVEL_MM 10.0
/* The derived timeout: one lost frame's worth of bus time, DRIVE_COMM_SPARE_MS on top, in
 * whole DRIVE_COMM_STEP_MS, never below DRIVE_COMM_MIN_MS. The floor is for the host, not
 * the wire: a fieldbus thread at normal priority on a busy 2-core host missed a 30 ms
 * floor once in eight runs of 1 % bad answers over TCP (the drive tripped, code 0x8130);
 * 60 ms still releases a deaf Z's 30 N hold in some 95 ms. */
#define DRIVE_COMM_MIN_MS 60
#define DRIVE_COMM_SPARE_MS 10
#define DRIVE_COMM_STEP_MS 10
/* A TCP pass over every unit: "well under 1 ms" (CHAIR.md; 0.5 ms for seven units on
 * loopback, bench/RESULTS.md). */
#define TCP_PASS_US 1000
/* RTU: the driver's own time per transaction on top of the wire (bench/RESULTS.md: 36.45 ms
 * a cycle against 33.42 ms of frames for eight transactions, 0.38 ms each). */
#define RTU_TRANSACTION_US 500
#define RTU_DIO_COILS 17 /* CHAIR.md: coils 0-16 */

/* Characters of one RTU frame of a request or answer carrying n data bytes after its
 * function code, with its CRC and the 3.5 silent characters before it (in halves). */
static long rtu_frame_half_chars(int header_bytes, int data_bytes)
{
	return 2L * (1 + 1 + header_bytes + data_bytes + 2) + 7;
}

/* One pass of the fieldbus thread over every present unit on an RTU line, in us: every
 * frame modbus_bus.c sends and receives for it (function 23 or 16 then 4 for a drive, 4 for
 * the IO module, 15 then 2 for the DIO module) at the line's bits per character, and per
 * transaction the driver's own time and the configured frame gap before its request. */
static long rtu_pass_us(const struct hal_bus_config *bus)
{
	long half_chars = 0, transactions = 0;
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		if (!bus->unit_present[u])
			continue;
		if (u <= HAL_UNIT_DRIVE_W && bus->use_fc23) {
			half_chars += rtu_frame_half_chars(9, 2 * HAL_DRIVE_OUT_REGS) +
				      rtu_frame_half_chars(1, 2 * HAL_DRIVE_IN_REGS);
			transactions += 1;
		} else if (u <= HAL_UNIT_DRIVE_W) {
			half_chars += rtu_frame_half_chars(5, 2 * HAL_DRIVE_OUT_REGS) +
				      rtu_frame_half_chars(4, 0) + rtu_frame_half_chars(4, 0) +
				      rtu_frame_half_chars(1, 2 * HAL_DRIVE_IN_REGS);
			transactions += 2;
		} else if (u == HAL_UNIT_IO) {
			half_chars += rtu_frame_half_chars(4, 0) +
				      rtu_frame_half_chars(1, 2 * HAL_IO_IN_REGS);
			transactions += 1;
		} else {
			half_chars += rtu_frame_half_chars(5, (RTU_DIO_COILS + 7) / 8) +
				      rtu_frame_half_chars(4, 0) + rtu_frame_half_chars(4, 0) +
				      rtu_frame_half_chars(1, (HAL_IN_COUNT + 7) / 8);
			transactions += 2;
		}
	}
	int char_bits = 1 + bus->rtu_data_bits + (bus->rtu_parity != 'N') + bus->rtu_stop_bits;
	long long wire_us = half_chars * char_bits * 500000LL / bus->rtu_baud;
	return (long)wire_us + transactions * (RTU_TRANSACTION_US + (long)bus->rtu_frame_gap_us);
}

/* One pass over every present unit, in us, or the configured cycle when that is longer. */
static long bus_pass_us(const struct hal_bus_config *bus)
{
	long pass_us = bus->kind == HAL_BUS_RTU ? rtu_pass_us(bus) : TCP_PASS_US;
	long cycle_us = 1000L * bus->cycle_ms;
	return pass_us > cycle_us ? pass_us : cycle_us;
}

/* The longest a drive goes unwritten when one of its frames is lost, in ms (rounded up):
 * the pass after its last write times out on it (response_timeout_ms) and the pass after
 * that reaches it again, two passes later at most. A drive watchdog shorter than this
 * trips on a single lost frame, in normal use. */
static int bus_lost_frame_ms(const struct hal_bus_config *bus)
{
	long us = 2 * bus_pass_us(bus) + 1000L * bus->response_timeout_ms;
	return (int)((us + 999) / 1000);
}

/* The drives' comm timeout when the configuration does not set one: a lost frame and
 * DRIVE_COMM_SPARE_MS, in whole DRIVE_COMM_STEP_MS, at least DRIVE_COMM_MIN_MS. The
 * reference chair's buses: TCP at cycle_ms 1 60 ms (the floor); RTU at 115200 8N2 with all seven units
 * 100 ms (a 37.4 ms pass), with response_timeout_ms 50 140 ms. */
static int drive_comm_timeout_from_bus(const struct hal_bus_config *bus)
{
	int ms = bus_lost_frame_ms(bus) + DRIVE_COMM_SPARE_MS;
	ms = (ms + DRIVE_COMM_STEP_MS - 1) / DRIVE_COMM_STEP_MS * DRIVE_COMM_STEP_MS;
	return ms > DRIVE_COMM_MIN_MS ? ms : DRIVE_COMM_MIN_MS;
}

int config_output_stale_ms(const struct chair_config *cfg)
{
	long long ns = (long long)cfg->rt.max_late_periods * cfg->rt.period_ns;
	return (int)((ns + 999999) / 1000000);
}

void config_defaults(struct chair_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	hal_config_defaults(&cfg->hal);
	linear_axis(&cfg->y, 0, 1300, 5, 80, 300);
	linear_axis(&cfg->z, 0, 100, 1, 30, 2000);
	cfg->z.home_speed_mm_s = 30;
	cfg->z.home_slow_mm_s = 5;
	cfg->z.home_timeout_s = 10;
	cfg->z.kp_per_s = 15;
	linear_axis(&cfg->w, 70, 150, 1, 20, 200);
	cfg->knead = (struct rotary_config){60, 1, 3000, 2, 80};
	cfg->tap = (struct rotary_config){720, 1, 3000, 2, 80};
	cfg->force = (struct force_config){
		.max_n = 120,
		.scale_n = 0.1,
		.kp_mm_s_per_n = 2.0,
		.ki_mm_s2_per_n = 4.0,
		.release_speed_mm_s = 200,
		.release_over_n = 10,
		.slew_n_s = 150,
		.over_force_margin_n = 15,
		.over_force_ms = 30,
		.contact_n = 1.0,
		.search_mm = 10,
	};
	cfg->width = (struct width_config){80, 110, 140};
	cfg->recline = (struct recline_config){
		.timeout_s = 30,
		.spike_ma = 4000,
		.backoff_s = 2,
		.tolerance_deg = 1.0,
		.back_deg = {[RECLINE_UPRIGHT] = 105, [RECLINE_RELAX] = 125,
			     [RECLINE_ZERO_GRAVITY] = 150},
		.leg_deg = {[RECLINE_UPRIGHT] = 10, [RECLINE_RELAX] = 40,
			    [RECLINE_ZERO_GRAVITY] = 65},
		.angle_scale_deg = 0.1,
	};
	cfg->airbag = (struct airbag_config){40, 0.1, 0.5};
	cfg->heater = (struct heater_config){
		.max_c = 41,
		.cutoff_c = 43,
		.window_s = 1.0,
		.kp_per_c = 0.25,
		.ki_per_c_s = 0.005,
		.integral_band_c = 3,
		.temp_scale_c = 0.1,
	};
	cfg->supply = (struct supply_config){20, 30, 0.1, 50};
	cfg->rt = (struct rt_config){
		.priority = 80,
		.cpu = -1,
		.lock_memory = true,
		.period_ns = 1000000,
		.allow_soft_realtime = false,
		/* A stall of 20 ms: host hiccups of a few ms (seen on a loaded, non-RT VM) are
		 * counted as overruns but do not latch; 20 ms without a tick is still well inside
		 * the drives' comm watchdog and the 150 ms release bound. */
		.max_late_periods = 20,
	};
	cfg->session = (struct session_config){1800, 900, 60, "", ""};
	snprintf(cfg->session.rules_path, sizeof(cfg->session.rules_path), "%s",
		 "/usr/share/chaird/consultation.rules");
	snprintf(cfg->session.advice_path, sizeof(cfg->session.advice_path), "%s",
		 "/usr/share/chaird/care-advice.rules");
	snprintf(cfg->panel.socket_path, sizeof(cfg->panel.socket_path), "%s",
		 "/run/chaird/panel.sock");
	cfg->panel.technician_group[0] = '\0'; /* root only, until a chair names its group */
	cfg->web = (struct web_api_config){
		.listen = "127.0.0.1:8080",
		.root = "/usr/share/chaird/www",
		.max_connections = 64,
		.max_sessions = 32,
		.max_streams = 32,
		.max_streams_per_session = 4,
		.timeout_s = 10,
		.session_idle_s = 600,
		.stream_grace_s = 5,
	};
	snprintf(cfg->store.path, sizeof(cfg->store.path), "%s", "/var/lib/chaird/chair.db");
	cfg->unit_age_limit_ms = 100;
	cfg->drive_comm_timeout_ms = drive_comm_timeout_from_bus(&cfg->hal.bus);
}

struct parse_ctx {
	const char *name;
	struct chair_config *cfg;
	char *err;
	int err_len;
	int line;
	int failed;
	const char *text; /* config_load_string: the rest of the text */
	FILE *file;
	int key_line[sizeof(keys) / sizeof(keys[0])]; /* where each key was set; 0 = not set */
};

static const struct key_desc *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcasecmp(keys[i].section, section) && !strcasecmp(keys[i].key, key))
			return &keys[i];
	return NULL;
}

#define DIGITS "0123456789"

/* True when text is a plain decimal, [+-]D[.D][(e|E)[+-]D] (or with whole, [+-]D) and
 * nothing else. strtod and strtol alone also take nan, inf, hex, leading blanks and, with
 * endptr unchecked, "5 N": none of that is a setting a technician meant. */
static bool is_decimal(const char *text, bool whole)
{
	const char *p = text;
	if (*p == '+' || *p == '-')
		p++;
	size_t digits = strspn(p, DIGITS);
	p += digits;
	if (whole)
		return digits > 0 && *p == '\0';
	if (*p == '.') {
		size_t fraction = strspn(++p, DIGITS);
		digits += fraction;
		p += fraction;
	}
	if (digits == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		size_t exponent = strspn(p, DIGITS);
		if (exponent == 0)
			return false;
		p += exponent;
	}
	return *p == '\0';
}

/* A decimal number: -EINVAL when it is not one, -ERANGE when a double cannot hold it
 * (1e309, 1e-400). The result is always finite. */
static int parse_number(const char *value, double *out)
{
	if (!is_decimal(value, false))
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || !isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

/* A decimal whole number: -EINVAL when it is not one (80.5, 1e3, 0x10), -ERANGE past
 * what a long long holds. */
static int parse_whole(const char *value, long long *out)
{
	if (!is_decimal(value, true))
		return -EINVAL;
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Written so that NaN is outside every range: each comparison with NaN is false. */
static bool in_range(double v, const struct key_desc *k)
{
	return v >= k->min && v <= k->max;
}

static int parse_bool(const char *value, bool *out)
{
	if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") || !strcmp(value, "1") ||
	    !strcasecmp(value, "on"))
		*out = true;
	else if (!strcasecmp(value, "false") || !strcasecmp(value, "no") ||
		 !strcmp(value, "0") || !strcasecmp(value, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* "gpiochip[:NAME][,active_low]" or "modbus[,active_low]" */
static int parse_line(const char *value, struct hal_line_config *line)
{
	struct hal_line_config parsed = *line;
	char buf[2 * HAL_NAME_MAX];
	if (strlen(value) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", value);
	char *flags = strchr(buf, ',');
	parsed.active_low = false;
	if (flags) {
		*flags++ = '\0';
		if (strcmp(flags, "active_low"))
			return -EINVAL;
		parsed.active_low = true;
	}
	char *name = strchr(buf, ':');
	if (name)
		*name++ = '\0';
	if (!strcmp(buf, "modbus") && !name) {
		parsed.location = HAL_LINE_MODBUS;
	} else if (!strcmp(buf, "gpiochip")) {
		parsed.location = HAL_LINE_GPIOCHIP;
		if (name) {
			if (!*name || strlen(name) >= HAL_NAME_MAX)
				return -EINVAL;
			snprintf(parsed.name, HAL_NAME_MAX, "%s", name);
		}
	} else {
		return -EINVAL;
	}
	*line = parsed;
	return 0;
}

static struct hal_line_config *find_line(struct chair_config *cfg, const char *section,
					 const char *key)
{
	if (!strcasecmp(section, "gpio.in")) {
		for (int i = 0; i < HAL_IN_COUNT; i++)
			if (!strcmp(key, hal_gpio_in_name[i]))
				return &cfg->hal.in_line[i];
	} else if (!strcasecmp(section, "gpio.out")) {
		for (int i = 0; i < HAL_OUT_COUNT; i++)
			if (!strcmp(key, hal_gpio_out_name[i]))
				return &cfg->hal.out_line[i];
	}
	return NULL;
}

static int fail(struct parse_ctx *pc, const char *section, const char *key, const char *value,
		const char *why)
{
	if (!pc->failed)
		snprintf(pc->err, (size_t)pc->err_len, "%s:%d: [%s] %s = %s: %s", pc->name,
			 pc->line, section, key, value, why);
	pc->failed = 1;
	return 0; /* inih: stop at the first error */
}

static int apply_enum(const struct key_desc *k, const char *value, char *field)
{
	switch (k->type) {
	case K_BACKEND:
		if (!strcmp(value, "sim"))
			*(enum hal_backend_kind *)field = HAL_BACKEND_SIM;
		else if (!strcmp(value, "modbus"))
			*(enum hal_backend_kind *)field = HAL_BACKEND_MODBUS;
		else if (!strcmp(value, "gpiod+modbus"))
			*(enum hal_backend_kind *)field = HAL_BACKEND_GPIOD_MODBUS;
		else
			return -EINVAL;
		return 0;
	case K_BUS:
		if (!strcmp(value, "tcp"))
			*(enum hal_bus_kind *)field = HAL_BUS_TCP;
		else if (!strcmp(value, "rtu"))
			*(enum hal_bus_kind *)field = HAL_BUS_RTU;
		else
			return -EINVAL;
		return 0;
	case K_PARITY:
		if (strlen(value) != 1 || !strchr("NEO", value[0]))
			return -EINVAL;
		*field = value[0];
		return 0;
	default:
		return -EINVAL;
	}
}

static const char *enum_expected(enum key_type t)
{
	switch (t) {
	case K_BACKEND:
		return "expected sim, modbus or gpiod+modbus";
	case K_BUS:
		return "expected tcp or rtu";
	case K_PARITY:
		return "expected N, E or O";
	default:
		return "bad value";
	}
}

/* A file name a daemon can open: no control characters (a newline in a socket path ends up
 * in logs and replies), and not a folder ("/var/lib/chaird/"). */
static bool is_path(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return value[strlen(value) - 1] != '/';
}

int config_listen_split(const char *text, char *host, size_t host_len, int *port)
{
	if (!strcmp(text, "off")) {
		*port = -1;
		if (host_len)
			host[0] = '\0';
		return 0;
	}
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text)
		return -EINVAL;
	const char *h = text;
	size_t hlen = (size_t)(colon - text);
	bool v6 = text[0] == '[';
	if (v6) {
		if (hlen < 3 || text[hlen - 1] != ']')
			return -EINVAL;
		h++;
		hlen -= 2;
	}
	char addr[INET6_ADDRSTRLEN];
	if (hlen == 0 || hlen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, h, hlen);
	addr[hlen] = '\0';
	unsigned char bin[sizeof(struct in6_addr)];
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1)
		return -EINVAL;
	long long p;
	if (!colon[1] || parse_whole(colon + 1, &p) || p < 0 || p > 65535 || colon[1] == '+' ||
	    colon[1] == '-')
		return -EINVAL;
	if (hlen >= host_len)
		return -EINVAL;
	memcpy(host, addr, hlen + 1);
	*port = (int)p;
	return 0;
}

/* Host names for [web] server_name: letters, digits, '.', '-', and IPv6 literals in
 * brackets, separated by spaces; anything else would never match a Host header. */
static bool is_host_list(const char *value)
{
	for (const char *p = value; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-[]: ", *p))
			return false;
	return true;
}

/* Keys whose empty value is a setting of its own, their default: the technician group
 * (root only), the socket's group (chaird's own) and no more host names. config.get writes
 * them empty, so an empty value must read back. */
static bool empty_allowed(const struct key_desc *k)
{
	return k && (k->offset == CFG(panel.technician_group) ||
		     k->offset == CFG(panel.socket_group) || k->offset == CFG(web.server_name));
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *pc = user;
	if (pc->failed)
		return 0;
	if (!*value && !empty_allowed(find_key(section, key)))
		return fail(pc, section, key, value, "missing value");
	/* inih takes "key =;x" as the value ";x", but "key = ;x", as config.get writes it, as
	 * a comment: such a value would not read back. */
	if (*value == ';')
		return fail(pc, section, key, value, "a value cannot begin with ;");
	struct hal_line_config *line = find_line(pc->cfg, section, key);
	if (line) {
		if (parse_line(value, line))
			return fail(pc, section, key, value,
				    "expected gpiochip[:NAME][,active_low] or modbus[,active_low]");
		if (line == &pc->cfg->hal.out_line[HAL_OUT_HEARTBEAT] &&
		    line->location == HAL_LINE_MODBUS)
			return fail(pc, section, key, value,
				    "heartbeat is a local gpiochip line only: the digital IO module "
				    "has no coil for it");
		return 1;
	}
	const struct key_desc *k = find_key(section, key);
	if (!k)
		return fail(pc, section, key, value, "unknown key");
	char *field = (char *)pc->cfg + k->offset;
	pc->key_line[k - keys] = pc->line; /* only read if the whole file parses */
	double num;
	long long whole;
	bool flag;
	int rc;
	char range[96];
	snprintf(range, sizeof(range), "out of range %g..%g", k->min, k->max);
	switch (k->type) {
	case K_DBL:
		rc = parse_number(value, &num);
		if (rc == -EINVAL)
			return fail(pc, section, key, value, "not a decimal number");
		if (rc != 0 || !in_range(num, k))
			return fail(pc, section, key, value, range);
		*(double *)field = num;
		return 1;
	case K_INT:
		rc = parse_whole(value, &whole);
		if (rc == -EINVAL)
			return fail(pc, section, key, value, "not a whole number");
		if (rc != 0 || !in_range((double)whole, k))
			return fail(pc, section, key, value, range);
		if (k->offset == CFG(rt.period_ns))
			pc->cfg->rt.period_ns = (long)whole * 1000;
		else if (k->offset == CFG(hal.sim_seed))
			pc->cfg->hal.sim_seed = (uint64_t)whole;
		else
			*(int *)field = (int)whole;
		return 1;
	case K_BOOL:
		if (parse_bool(value, &flag))
			return fail(pc, section, key, value, "expected true or false");
		*(bool *)field = flag;
		return 1;
	case K_STR:
		if (strlen(value) >= (size_t)k->max)
			return fail(pc, section, key, value, "too long");
		snprintf(field, (size_t)k->max, "%s", value);
		return 1;
	case K_PATH:
		if (strlen(value) >= (size_t)k->max)
			return fail(pc, section, key, value, "too long");
		if (!is_path(value))
			return fail(pc, section, key, value,
				    "expected a file path (no control characters, not a folder)");
		snprintf(field, (size_t)k->max, "%s", value);
		return 1;
	case K_LISTEN: {
		char host[INET6_ADDRSTRLEN];
		int port;
		if (strlen(value) >= (size_t)k->max ||
		    config_listen_split(value, host, sizeof(host), &port))
			return fail(pc, section, key, value,
				    "expected ADDRESS:PORT (127.0.0.1:8080, [::1]:8080; port 0: any "
				    "free one) or off");
		snprintf(field, (size_t)k->max, "%s", value);
		return 1;
	}
	case K_NAMES:
		if (strlen(value) >= (size_t)k->max)
			return fail(pc, section, key, value, "too long");
		if (!is_host_list(value))
			return fail(pc, section, key, value,
				    "expected host names separated by spaces");
		snprintf(field, (size_t)k->max, "%s", value);
		return 1;
	case K_DIR:
		if (strlen(value) >= (size_t)k->max)
			return fail(pc, section, key, value, "too long");
		if (!is_path(value) && strcmp(value, "/"))
			return fail(pc, section, key, value,
				    "expected a folder path (no control characters, no trailing /)");
		snprintf(field, (size_t)k->max, "%s", value);
		return 1;
	default:
		if (apply_enum(k, value, field))
			return fail(pc, section, key, value, enum_expected(k->type));
		return 1;
	}
}

/* inih reads a line at a time through this, which is how handlers learn their line. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_ctx *pc = stream;
	char *got;
	if (pc->file) {
		got = fgets(str, num, pc->file);
	} else {
		if (!*pc->text)
			return NULL;
		const char *nl = strchr(pc->text, '\n');
		size_t len = nl ? (size_t)(nl - pc->text) + 1 : strlen(pc->text);
		if (len > (size_t)num - 1)
			len = (size_t)num - 1;
		memcpy(str, pc->text, len);
		str[len] = '\0';
		pc->text += len;
		got = str;
	}
	if (got)
		pc->line++;
	return got;
}

/* The first cross-key rule a configuration breaks: the two keys it names (so the message
 * can point at the line that set one of them) and why. */
struct problem {
	const char *section_a, *key_a;
	const char *section_b, *key_b;
	char why[200];
};

static int problem(struct problem *p, const char *section_a, const char *key_a,
		   const char *section_b, const char *key_b, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int problem(struct problem *p, const char *section_a, const char *key_a,
		   const char *section_b, const char *key_b, const char *fmt, ...)
{
	*p = (struct problem){section_a, key_a, section_b, key_b, ""};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int check_axis(const char *name, const struct axis_config *a, struct problem *p)
{
	if (!(a->min_mm < a->max_mm))
		return problem(p, name, "min_mm", name, "max_mm",
			       "[%s] min_mm %g must be below max_mm %g", name, a->min_mm, a->max_mm);
	if (!(a->speed_min_mm_s <= a->speed_max_mm_s))
		return problem(p, name, "speed_min_mm_s", name, "speed_max_mm_s",
			       "[%s] speed_min_mm_s %g must not exceed speed_max_mm_s %g", name,
			       a->speed_min_mm_s, a->speed_max_mm_s);
	return 0;
}

/* narrow < medium < wide, all within the width axis: each comparison names its own keys. */
static int check_width(const struct width_config *w, const struct axis_config *axis,
		       struct problem *p)
{
	if (!(w->narrow_mm >= axis->min_mm))
		return problem(p, "width", "narrow_mm", "axis.w", "min_mm",
			       "[width] narrow_mm %g must not be below [axis.w] min_mm %g",
			       w->narrow_mm, axis->min_mm);
	if (!(w->narrow_mm < w->medium_mm))
		return problem(p, "width", "narrow_mm", "width", "medium_mm",
			       "[width] narrow_mm %g must be below medium_mm %g", w->narrow_mm,
			       w->medium_mm);
	if (!(w->medium_mm < w->wide_mm))
		return problem(p, "width", "medium_mm", "width", "wide_mm",
			       "[width] medium_mm %g must be below wide_mm %g", w->medium_mm,
			       w->wide_mm);
	if (!(w->wide_mm <= axis->max_mm))
		return problem(p, "width", "wide_mm", "axis.w", "max_mm",
			       "[width] wide_mm %g must not be above [axis.w] max_mm %g", w->wide_mm,
			       axis->max_mm);
	return 0;
}

/* The drives' comm timeout against the bus it runs on and the release bound: not so short
 * that one lost frame trips a drive, not so long that a drive nobody can command any more
 * (deaf, or the controller dead) presses on past the bound before it retracts. */
static int check_drive_comm_timeout(const struct chair_config *cfg, struct problem *p)
{
	const struct hal_bus_config *bus = &cfg->hal.bus;
	const char *bus_name = bus->kind == HAL_BUS_RTU ? "rtu" : "tcp";
	int timeout_ms = cfg->drive_comm_timeout_ms;
	int lost_frame_ms = bus_lost_frame_ms(bus);
	if (timeout_ms < lost_frame_ms)
		return problem(p, "safety", "drive_comm_timeout_ms", "bus", "response_timeout_ms",
			       "[safety] drive_comm_timeout_ms %d would trip on one lost frame: "
			       "the %s bus takes two %.1f ms passes and [bus] response_timeout_ms "
			       "%d, %d ms",
			       timeout_ms, bus_name, bus_pass_us(bus) / 1000.0,
			       bus->response_timeout_ms, lost_frame_ms);
	int bound_ms = bus->kind == HAL_BUS_RTU ? RELEASE_BOUND_RTU_MS : RELEASE_BOUND_TCP_MS;
	double release_ms = 1000.0 * RELEASE_TRAVEL_MM / cfg->force.release_speed_mm_s;
	if (timeout_ms + release_ms <= bound_ms)
		return 0;
	/* A timeout the bus gave, too long beside a release that would fit: the bus's fault. */
	if (timeout_ms == drive_comm_timeout_from_bus(bus) &&
	    DRIVE_COMM_MIN_MS + release_ms <= bound_ms)
		return problem(p, "safety", "drive_comm_timeout_ms", "bus", "response_timeout_ms",
			       "[safety] drive_comm_timeout_ms %d (what two %.1f ms passes and [bus] "
			       "response_timeout_ms %d need) and a %.0f ms Z release exceed the %d "
			       "ms release bound on %s",
			       timeout_ms, bus_pass_us(bus) / 1000.0, bus->response_timeout_ms,
			       release_ms, bound_ms, bus_name);
	return problem(p, "safety", "drive_comm_timeout_ms", "force", "release_speed_mm_s",
		       "[safety] drive_comm_timeout_ms %d and a %.0f ms Z release ([force] "
		       "release_speed_mm_s %g over %g mm) exceed the %d ms release bound on %s",
		       timeout_ms, release_ms, cfg->force.release_speed_mm_s, RELEASE_TRAVEL_MM,
		       bound_ms, bus_name);
}

/* The rules between keys, which no single key's range can express. Each is written as
 * "not (what must hold)", so a NaN that got into cfg some other way breaks it. */
static int validate(const struct chair_config *cfg, struct problem *p)
{
	if (check_axis("axis.y", &cfg->y, p) || check_axis("axis.z", &cfg->z, p) ||
	    check_axis("axis.w", &cfg->w, p))
		return -EINVAL;
	if (!(cfg->session.default_cap_n <= cfg->force.max_n))
		return problem(p, "session", "default_cap_n", "force", "max_n",
			       "[session] default_cap_n %g must not exceed [force] max_n %g",
			       cfg->session.default_cap_n, cfg->force.max_n);
	if (!(cfg->heater.max_c < cfg->heater.cutoff_c))
		return problem(p, "heater", "max_c", "heater", "cutoff_c",
			       "[heater] max_c %g must be below cutoff_c %g", cfg->heater.max_c,
			       cfg->heater.cutoff_c);
	if (!(cfg->supply.min_v < cfg->supply.max_v))
		return problem(p, "supply", "min_v", "supply", "max_v",
			       "[supply] min_v %g must be below max_v %g", cfg->supply.min_v,
			       cfg->supply.max_v);
	if (!(cfg->session.default_s <= cfg->session.max_s))
		return problem(p, "session", "default_s", "session", "max_s",
			       "[session] default_s %g must not exceed max_s %g",
			       cfg->session.default_s, cfg->session.max_s);
	if (!(cfg->hal.bus.reconnect_min_ms <= cfg->hal.bus.reconnect_max_ms))
		return problem(p, "bus", "reconnect_min_ms", "bus", "reconnect_max_ms",
			       "[bus] reconnect_min_ms %d must not exceed reconnect_max_ms %d",
			       cfg->hal.bus.reconnect_min_ms, cfg->hal.bus.reconnect_max_ms);
	if (check_width(&cfg->width, &cfg->w, p))
		return -EINVAL;
	/* Streams stay open for good: they must leave connections for the requests. */
	if (!(cfg->web.max_streams < cfg->web.max_connections))
		return problem(p, "web", "max_streams", "web", "max_connections",
			       "[web] max_streams %d must be below max_connections %d",
			       cfg->web.max_streams, cfg->web.max_connections);
	if (!(cfg->web.max_streams_per_session <= cfg->web.max_streams))
		return problem(p, "web", "max_streams_per_session", "web", "max_streams",
			       "[web] max_streams_per_session %d must not exceed max_streams %d",
			       cfg->web.max_streams_per_session, cfg->web.max_streams);
	return check_drive_comm_timeout(cfg, p);
}

int config_validate(const struct chair_config *cfg, char *err, int err_len)
{
	struct problem p;
	int rc = validate(cfg, &p);
	if (rc)
		snprintf(err, (size_t)err_len, "%s", p.why);
	return rc;
}

/* The line that set one of the two keys a broken rule names, the first key's before the
 * second's; 0 when the file set neither (the defaults disagree with each other). */
static int blamed_line(const struct parse_ctx *pc, const struct problem *p)
{
	const struct key_desc *a = find_key(p->section_a, p->key_a);
	const struct key_desc *b = find_key(p->section_b, p->key_b);
	if (a && pc->key_line[a - keys] > 0)
		return pc->key_line[a - keys];
	if (b && pc->key_line[b - keys] > 0)
		return pc->key_line[b - keys];
	return 0;
}

static int parse_into(struct parse_ctx *pc, struct chair_config *cfg)
{
	struct chair_config work = *cfg;
	pc->cfg = &work;
	/* A timeout at what the bus gave it follows the bus; one a file set stays. */
	bool follows_bus = cfg->drive_comm_timeout_ms == drive_comm_timeout_from_bus(&cfg->hal.bus);
	int rc = ini_parse_stream(read_line, pc, on_key, pc);
	if (pc->failed)
		return -EINVAL;
	if (rc != 0) {
		snprintf(pc->err, (size_t)pc->err_len, "%s:%d: syntax error", pc->name,
			 rc > 0 ? rc : pc->line);
		return -EINVAL;
	}
	const struct key_desc *comm = find_key("safety", "drive_comm_timeout_ms");
	if (follows_bus && pc->key_line[comm - keys] == 0)
		work.drive_comm_timeout_ms = drive_comm_timeout_from_bus(&work.hal.bus);
	struct problem p;
	if (validate(&work, &p)) {
		int line = blamed_line(pc, &p);
		if (line > 0)
			snprintf(pc->err, (size_t)pc->err_len, "%s:%d: %s", pc->name, line, p.why);
		else
			snprintf(pc->err, (size_t)pc->err_len, "%s: %s", pc->name, p.why);
		return -EINVAL;
	}
	*cfg = work;
	return 0;
}

int config_load(const char *path, struct chair_config *cfg, char *err, int err_len)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		snprintf(err, (size_t)err_len, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	struct parse_ctx pc = {.name = path, .err = err, .err_len = err_len, .file = f};
	int rc = parse_into(&pc, cfg);
	fclose(f);
	return rc;
}

int config_load_string(const char *text, const char *name, struct chair_config *cfg,
		       char *err, int err_len)
{
	struct parse_ctx pc = {.name = name, .err = err, .err_len = err_len, .text = text};
	return parse_into(&pc, cfg);
}

bool config_key_at(size_t i, struct config_key_info *info)
{
	if (i >= sizeof(keys) / sizeof(keys[0]))
		return false;
	static const enum config_value_kind kind[] = {
		[K_DBL] = CONFIG_VALUE_NUMBER, [K_INT] = CONFIG_VALUE_WHOLE,
		[K_BOOL] = CONFIG_VALUE_BOOL,  [K_STR] = CONFIG_VALUE_TEXT,
		[K_PATH] = CONFIG_VALUE_TEXT,
		[K_BACKEND] = CONFIG_VALUE_CHOICE, [K_BUS] = CONFIG_VALUE_CHOICE,
		[K_PARITY] = CONFIG_VALUE_CHOICE, [K_LINE] = CONFIG_VALUE_CHOICE,
		[K_LISTEN] = CONFIG_VALUE_CHOICE, [K_NAMES] = CONFIG_VALUE_TEXT,
		[K_DIR] = CONFIG_VALUE_TEXT,
	};
	const struct key_desc *k = &keys[i];
	*info = (struct config_key_info){k->section, k->key, kind[k->type], k->min, k->max};
	return true;
}

static void describe_value(const struct key_desc *k, const struct chair_config *def, char *buf,
			   size_t len)
{
	const char *field = (const char *)def + k->offset;
	switch (k->type) {
	case K_DBL:
		snprintf(buf, len, "%g", *(const double *)field);
		return;
	case K_INT:
		if (k->offset == CFG(rt.period_ns))
			snprintf(buf, len, "%ld", def->rt.period_ns / 1000);
		else if (k->offset == CFG(hal.sim_seed))
			snprintf(buf, len, "%llu", (unsigned long long)def->hal.sim_seed);
		else
			snprintf(buf, len, "%d", *(const int *)field);
		return;
	case K_BOOL:
		snprintf(buf, len, "%s", *(const bool *)field ? "true" : "false");
		return;
	case K_STR:
	case K_PATH:
	case K_LISTEN:
	case K_NAMES:
	case K_DIR:
		snprintf(buf, len, "%s", field);
		return;
	case K_BACKEND:
		snprintf(buf, len, "sim");
		return;
	case K_BUS:
		snprintf(buf, len, "tcp");
		return;
	case K_PARITY:
		snprintf(buf, len, "%c", *field);
		return;
	case K_LINE:
		break;
	}
	buf[0] = '\0';
}

void config_write_ini(const struct chair_config *cfg, FILE *out, bool base_names)
{
	const char *section = "";
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key_desc *k = &keys[i];
		char value[CONFIG_PATH_MAX];
		if (k->type == K_BACKEND)
			snprintf(value, sizeof(value), "%s",
				 cfg->hal.backend == HAL_BACKEND_MODBUS	      ? "modbus"
				 : cfg->hal.backend == HAL_BACKEND_GPIOD_MODBUS ? "gpiod+modbus"
										: "sim");
		else if (k->type == K_BUS)
			snprintf(value, sizeof(value), "%s",
				 cfg->hal.bus.kind == HAL_BUS_RTU ? "rtu" : "tcp");
		else
			describe_value(k, cfg, value, sizeof(value));
		if (strcmp(section, k->section)) {
			fprintf(out, "%s[%s]\n", section[0] ? "\n" : "", k->section);
			section = k->section;
		}
		const char *slash = strrchr(value, '/');
		bool a_path = k->type == K_PATH || k->type == K_DIR || k->type == K_STR;
		fprintf(out, "%s = %s\n", k->key, base_names && a_path && slash ? slash + 1 : value);
	}
}

void config_describe(FILE *out)
{
	struct chair_config def;
	config_defaults(&def);
	fprintf(out, "| section | key | default | accepted |\n|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key_desc *k = &keys[i];
		char value[96], accepted[96];
		describe_value(k, &def, value, sizeof(value));
		switch (k->type) {
		case K_DBL:
		case K_INT:
			snprintf(accepted, sizeof(accepted), "%g..%g%s", k->min, k->max,
				 k->type == K_INT ? ", whole" : "");
			break;
		case K_BOOL:
			snprintf(accepted, sizeof(accepted), "true, false");
			break;
		case K_STR:
			snprintf(accepted, sizeof(accepted), "text, under %g bytes", k->max);
			break;
		case K_PATH:
			snprintf(accepted, sizeof(accepted), "file path, under %g bytes", k->max);
			break;
		case K_DIR:
			snprintf(accepted, sizeof(accepted), "folder path, under %g bytes", k->max);
			break;
		case K_LISTEN:
			snprintf(accepted, sizeof(accepted), "ADDRESS:PORT (numeric; port 0: any) or off");
			break;
		case K_NAMES:
			snprintf(accepted, sizeof(accepted), "host names, space separated, under %g bytes",
				 k->max);
			break;
		default:
			snprintf(accepted, sizeof(accepted), "%s", enum_expected(k->type) + 9);
			break;
		}
		fprintf(out, "| %s | %s | %s | %s |\n", k->section, k->key, value, accepted);
	}
	fprintf(out, "| gpio.in | estop_n, occupied, y_home, y_end, z_home, back_min, back_max, "
		     "leg_min, leg_max | gpiochip (estop_n: gpiochip,active_low) | "
		     "gpiochip[:NAME][,active_low] or modbus[,active_low] |\n");
	fprintf(out, "| gpio.out | drive_enable, pump, vent, valve_*, heat_lumbar, heat_calves, "
		     "back_up, back_down, leg_up, leg_down, buzzer, led | gpiochip | "
		     "gpiochip[:NAME][,active_low] or modbus[,active_low] |\n");
	fprintf(out, "| gpio.out | heartbeat | gpiochip | gpiochip[:NAME][,active_low] |\n");
}
