/* The simulated chair as a whole: one step of 1 ms takes the outputs to the units that can
 * hear, moves every part, and rebuilds the process image each unit would answer with. */
#include "internal.h"

#include <string.h>

#include "rng.h"

/* Drive units and axes share their order, so unit u carries axis u. */
_Static_assert((int)HAL_UNIT_DRIVE_Y == (int)HAL_AXIS_Y &&
		       (int)HAL_UNIT_DRIVE_W == (int)HAL_AXIS_W &&
		       (int)HAL_AXIS_COUNT == (int)HAL_UNIT_IO,
	       "drive units follow the axes");

/* Start positions and incremental encoder zeros, drawn so that homing has work to do. */
#define Y_START_MAX_MM 1300.0
#define Y_OFFSET_MAX_MM 400.0
#define Z_START_MAX_MM 60.0
#define Z_START_FORCE_MAX_N 100.0
#define Z_OFFSET_MAX_MM 50.0
#define W_START_MIN_MM 80.0
#define W_START_MAX_MM 140.0
#define BACK_START_DEG 105.0
#define LEG_START_DEG 10.0

/* Where the track's switches sit on the true positions (mm). */
#define Y_HOME_MM 0.0
#define Y_END_MM 1300.0
#define Z_HOME_MM 0.0

/* Keeps sim_init's draws apart from the person's, which take the same seed. */
#define CHAIR_SEED_SALT 0x43484149522d3031u

/* The DIO module's coils its watchdog switches off, and those it opens (CHAIR.md). */
#define DIO_SAFE_OFF                                                                      \
	(1u << HAL_OUT_PUMP | 1u << HAL_OUT_HEAT_LUMBAR | 1u << HAL_OUT_HEAT_CALVES |     \
	 1u << HAL_OUT_BACK_UP | 1u << HAL_OUT_BACK_DOWN | 1u << HAL_OUT_LEG_UP |          \
	 1u << HAL_OUT_LEG_DOWN | 1u << HAL_OUT_BUZZER | 1u << HAL_OUT_LED)
#define DIO_SAFE_ON                                                                       \
	(1u << HAL_OUT_VENT | 1u << HAL_OUT_VALVE_SHOULDERS | 1u << HAL_OUT_VALVE_ARMS |  \
	 1u << HAL_OUT_VALVE_WAIST | 1u << HAL_OUT_VALVE_SEAT | 1u << HAL_OUT_VALVE_CALVES | \
	 1u << HAL_OUT_VALVE_FEET)

/* The input lines as the switches and faults set them now. */
static uint32_t gpio_inputs(const struct sim *s, const struct sim_fault_view *fv)
{
	uint32_t in = 0;
	if (fv->estop)
		in |= 1u << HAL_IN_ESTOP;
	if (s->person.seated && !fv->unoccupied)
		in |= 1u << HAL_IN_OCCUPIED;
	if (s->drive[HAL_AXIS_Y].position <= Y_HOME_MM)
		in |= 1u << HAL_IN_Y_HOME;
	if (s->drive[HAL_AXIS_Y].position >= Y_END_MM)
		in |= 1u << HAL_IN_Y_END;
	if (s->drive[HAL_AXIS_Z].position <= Z_HOME_MM)
		in |= 1u << HAL_IN_Z_HOME;
	sim_comfort_switches(s, &in);
	return (in & ~fv->stuck_mask) | (fv->stuck_value & fv->stuck_mask);
}

/* Refresh the image from every unit that answers; a silent one keeps what it last said. */
static void publish(struct sim *s, const struct sim_fault_view *fv, uint32_t gpio_in)
{
	struct hal_inputs *img = &s->stale;
	sim_drives_read(s->drive, s->contact_force_n, fv->silent, img->drive);
	if (!(fv->silent & 1u << HAL_UNIT_IO))
		sim_comfort_read(s, fv, &img->io);
	if (!(fv->silent & 1u << HAL_UNIT_DIO)) {
		img->gpio_in = gpio_in;
		img->estop_presses = s->estop_presses;
	}
}

/* One more ms of each unit either answering or not. */
static void count_exchanges(struct sim *s, const struct sim_fault_view *fv)
{
	if (!fv->silent) { /* every unit answers: the usual ms, without a test a unit */
		for (int u = 0; u < HAL_UNIT_COUNT; u++) {
			s->stale.unit[u].age_ms = 0;
			s->stale.unit[u].transactions++;
		}
		return;
	}
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		struct hal_unit_status *st = &s->stale.unit[u];
		if (fv->silent & 1u << u) {
			st->age_ms++;
			st->timeouts++;
		} else {
			st->age_ms = 0;
			st->transactions++;
		}
	}
}

/* A roller found in the body at power-up was left there (the worm gear holds it) by a
 * chair that pressed no harder than its hard limit: draw it out until it presses no more
 * than Z_START_FORCE_MAX_N. */
static double z_start_within_reach(const struct sim_person *p, double y_mm, double z_mm)
{
	while (z_mm > 0.0 && sim_person_contact_n(p, y_mm, z_mm) > Z_START_FORCE_MAX_N)
		z_mm -= 0.5;
	return z_mm > 0.0 ? z_mm : 0.0;
}

void sim_init(struct sim *s, const struct sim_person *person, uint64_t seed)
{
	uint64_t *rng = &s->rng;

	memset(s, 0, sizeof(*s));
	s->person = *person;
	s->rng = seed ^ CHAIR_SEED_SALT;
	/* One draw a statement: the order of a call's arguments is the compiler's to choose,
	 * and the same seed must give the same chair whichever compiler built it. */
	double y_offset_mm = sim_rng_range(rng, -Y_OFFSET_MAX_MM, Y_OFFSET_MAX_MM);
	double y_start_mm = sim_rng_range(rng, 0.0, Y_START_MAX_MM);
	sim_drive_init(&s->drive[HAL_AXIS_Y], HAL_AXIS_Y, y_start_mm, y_offset_mm);
	double z_offset_mm = sim_rng_range(rng, -Z_OFFSET_MAX_MM, Z_OFFSET_MAX_MM);
	double z_start_mm = sim_rng_range(rng, 0.0, Z_START_MAX_MM);
	z_start_mm = z_start_within_reach(person, y_start_mm, z_start_mm);
	sim_drive_init(&s->drive[HAL_AXIS_Z], HAL_AXIS_Z, z_start_mm, z_offset_mm);
	sim_drive_init(&s->drive[HAL_AXIS_K], HAL_AXIS_K, sim_rng_range(rng, 0.0, 360.0), 0.0);
	sim_drive_init(&s->drive[HAL_AXIS_T], HAL_AXIS_T, sim_rng_range(rng, 0.0, 360.0), 0.0);
	/* W's encoder is absolute: its zero is known from the start. */
	sim_drive_init(&s->drive[HAL_AXIS_W], HAL_AXIS_W,
		       sim_rng_range(rng, W_START_MIN_MM, W_START_MAX_MM), 0.0);
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		s->heater_c[h] = SIM_AMBIENT_C;
	s->back_angle_deg = BACK_START_DEG;
	s->leg_angle_deg = LEG_START_DEG;
	s->supply_v = 24.0;
	s->contact_force_n = sim_person_contact_n(&s->person, s->drive[HAL_AXIS_Y].position,
						  s->drive[HAL_AXIS_Z].position);

	struct sim_fault_view none;
	memset(&none, 0, sizeof(none));
	publish(s, &none, gpio_inputs(s, &none));
}

/* The DIO module takes a write: its coils and its watchdog's register, which it feeds. */
static void dio_receive(struct sim *s, const struct hal_outputs *out)
{
	s->gpio_out = out->gpio_out;
	s->dio.comm_timeout_ms = out->dio_comm_timeout_ms;
	s->dio.quiet_ms = 0;
	s->dio.tripped = false;
}

/* One ms of the DIO module's host watchdog: the coils go safe comm_timeout_ms after the
 * last request, and stay so (nothing but a write brings them back). */
static void dio_watchdog_step(struct sim_dio *dio, uint32_t *coils)
{
	if (dio->comm_timeout_ms > 0 && !dio->tripped && dio->quiet_ms >= dio->comm_timeout_ms) {
		*coils = (*coils & ~DIO_SAFE_OFF) | DIO_SAFE_ON;
		dio->tripped = true;
		dio->trips++;
	}
	if (dio->quiet_ms < UINT32_MAX)
		dio->quiet_ms++;
}

/* One ms of the charge-pump relay on the heartbeat line (see struct sim_charge_pump). */
static void charge_pump_step(struct sim_charge_pump *cp, uint32_t lines)
{
	bool beat = (lines >> HAL_OUT_HEARTBEAT) & 1u;
	if (beat != cp->heartbeat) {
		cp->heartbeat = beat;
		cp->still_ms = 0;
		if (cp->edges < SIM_CHARGE_PUMP_PULL_IN_EDGES)
			cp->edges++;
	} else if (cp->still_ms < UINT32_MAX) {
		cp->still_ms++;
	}
	if (cp->still_ms >= SIM_CHARGE_PUMP_DROP_MS) {
		cp->drops += cp->energised;
		cp->energised = false;
		cp->edges = 0;
	} else if (cp->edges >= SIM_CHARGE_PUMP_PULL_IN_EDGES) {
		cp->energised = true;
	}
}

void sim_write_unit(struct sim *s, enum hal_unit u, const struct hal_outputs *out)
{
	if ((unsigned)u >= HAL_UNIT_COUNT || sim_fault_active(s, SIM_FAULT_UNIT_DEAF, u,
							       s->time_ms, NULL))
		return;
	if (u < HAL_UNIT_IO) {
		bool injected = sim_fault_active(s, SIM_FAULT_DRIVE_FAULT, u, s->time_ms, NULL);
		sim_drive_receive(&s->drive[u], &out->drive[u], injected);
	} else if (u == HAL_UNIT_DIO) {
		dio_receive(s, out);
	}
}

void sim_dio_request(struct sim *s)
{
	if (!sim_fault_active(s, SIM_FAULT_UNIT_DEAF, HAL_UNIT_DIO, s->time_ms, NULL))
		s->dio.quiet_ms = 0;
}

void sim_advance_1ms(struct sim *s)
{
	struct sim_fault_view fv;
	sim_fault_view_at(s, s->time_ms, &fv);
	dio_watchdog_step(&s->dio, &s->gpio_out);
	if (s->charge_pump.fitted)
		charge_pump_step(&s->charge_pump, s->gpio_out);
	bool seated = s->person.seated && !fv.unoccupied;

	/* Every drive sees the force the body made at the start of this ms. */
	struct sim_drive_env env[HAL_AXIS_COUNT];
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		env[a] = (struct sim_drive_env){
			.powered = (s->gpio_out >> HAL_OUT_DRIVE_ENABLE) & 1u,
			.contact_n = seated ? s->contact_force_n : 0.0,
			.injected_fault = fv.drive_fault[a],
			.encoder_lost = fv.encoder_lost[a],
			.hot = fv.drive_hot[a],
			/* Read only while hot: spare the division every other ms. */
			.hot_c = fv.drive_hot[a] ? fv.drive_hot_raw[a] / 10.0 : 0.0,
		};
	}
	sim_drives_step(s->drive, env);
	s->contact_force_n = seated ? sim_person_contact_n(&s->person,
							   s->drive[HAL_AXIS_Y].position,
							   s->drive[HAL_AXIS_Z].position)
				    : 0.0;
	sim_comfort_step(s, &fv);
	s->time_ms++;

	/* Press edges are counted on the line itself, so a press while the DIO module is
	 * silent still shows in the count once it answers again. */
	uint32_t gpio_in = gpio_inputs(s, &fv);
	bool pressed = (gpio_in >> HAL_IN_ESTOP) & 1u;
	if (pressed && !s->estop_pressed)
		s->estop_presses++;
	s->estop_pressed = pressed;
	publish(s, &fv, gpio_in);
	count_exchanges(s, &fv);
}

/* What sim_write_unit does for every unit, with the fault table walked once for all of
 * them instead of twice a unit. */
void sim_step_1ms(struct sim *s, const struct hal_outputs *out)
{
	uint32_t deaf, injected;
	sim_fault_unit_masks(s, s->time_ms, &deaf, &injected);
	sim_drives_receive(s->drive, out->drive, deaf, injected);
	if (!((deaf >> HAL_UNIT_DIO) & 1u))
		dio_receive(s, out);
	sim_advance_1ms(s);
}

/* Part by part rather than in one piece: GCC copies parts this size with a few vector
 * moves, where the whole image became a rep movsq whose start-up cost more than the copy. */
void sim_read(const struct sim *s, struct hal_inputs *in)
{
	memcpy(in->drive, s->stale.drive, sizeof(in->drive));
	in->io = s->stale.io;
	in->gpio_in = s->stale.gpio_in;
	in->estop_presses = s->stale.estop_presses;
	memcpy(in->unit, s->stale.unit, sizeof(in->unit));
}
