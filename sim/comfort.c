/* The chair's slow parts, read through the IO module: airbags, heaters, the recline
 * actuators and the supply. */
#include "internal.h"

#include "rng.h"

/* Airbags: one pump shares its flow among the open zones and tapers off over the last
 * few kPa before what it can reach; a closed valve holds with a slow leak; an open valve
 * with the vent open empties the zone; open valves with the vent shut share their air. */
#define PUMP_KPA_S 10.0
#define PUMP_MAX_KPA 45.0
#define PUMP_TAPER_KPA 5.0
#define VENT_TAU_S 0.4
#define LEAK_TAU_S 600.0
#define SHARE_TAU_S 0.2

/* Heaters: full-on settles at 50 degC with a 2 min time constant, so 40 degC takes about
 * 2 min at full duty and longer on a time-proportioned window. */
#define HEATER_FULL_ON_C 50.0
#define HEATER_TAU_S 120.0

#define RECLINE_DEG_S 3.0
#define RECLINE_MOVING_MA 1500.0
#define RECLINE_TRAPPED_MA 6000.0
#define BACK_MIN_DEG 100.0
#define BACK_MAX_DEG 155.0
#define LEG_MIN_DEG 0.0
#define LEG_MAX_DEG 70.0

#define SUPPLY_V 24.0
#define SUPPLY_NOISE_V 0.05

/* The loads the charge-pump relay powers (CHAIR.md): without it they get nothing. */
#define CHARGE_PUMP_LOADS \
	(1u << HAL_OUT_PUMP | 1u << HAL_OUT_HEAT_LUMBAR | 1u << HAL_OUT_HEAT_CALVES)

/* Whether a line's load runs: its line on and, behind a charge pump, its relay in. */
static bool line_on(const struct sim *s, enum hal_gpio_out line)
{
	uint32_t cut = s->charge_pump.fitted && !s->charge_pump.energised ? CHARGE_PUMP_LOADS : 0;
	return ((s->gpio_out & ~cut) >> line) & 1u;
}

/* kpa after one ms of leaking or venting with time constant tau_s. An empty bag stays
 * empty (kpa minus its own share is +0 for either zero), which spares the division for
 * the bags a program leaves alone. */
static double deflate(double kpa, double tau_s)
{
	return kpa != 0.0 ? kpa - kpa * SIM_DT_S / tau_s : 0.0;
}

/* One ms of air through the pump, valves and vent. */
static void airbags_step(struct sim *s)
{
	bool pump = line_on(s, HAL_OUT_PUMP);
	bool vent = line_on(s, HAL_OUT_VENT);
	uint32_t open = (s->gpio_out >> HAL_OUT_VALVE_SHOULDERS) & ((1u << HAL_AIRBAG_COUNT) - 1);
	int open_count = 0;
	double open_sum_kpa = 0.0;
	for (int z = 0; open && z < HAL_AIRBAG_COUNT; z++) { /* all closed, mostly */
		if ((open >> z) & 1u) {
			open_count++;
			open_sum_kpa += s->airbag_kpa[z];
		}
	}

	for (int z = 0; z < HAL_AIRBAG_COUNT; z++) {
		double *kpa = &s->airbag_kpa[z];
		if (!((open >> z) & 1u)) {
			*kpa = deflate(*kpa, LEAK_TAU_S);
		} else if (vent) {
			*kpa = deflate(*kpa, VENT_TAU_S);
		} else if (pump) {
			double taper = (PUMP_MAX_KPA - *kpa) / PUMP_TAPER_KPA;
			taper = taper < 0.0 ? 0.0 : taper > 1.0 ? 1.0 : taper;
			*kpa += PUMP_KPA_S / open_count * taper * SIM_DT_S;
		} else {
			double mean_kpa = open_sum_kpa / open_count;
			*kpa += (mean_kpa - *kpa) * SIM_DT_S / SHARE_TAU_S;
			*kpa -= *kpa * SIM_DT_S / LEAK_TAU_S;
		}
	}
}

/* One ms of each heater's thermal mass warming under its relay or cooling to ambient. */
static void heaters_step(struct sim *s)
{
	for (int h = 0; h < HAL_HEATER_COUNT; h++) {
		bool on = line_on(s, (enum hal_gpio_out)(HAL_OUT_HEAT_LUMBAR + h));
		double settle_c = on ? HEATER_FULL_ON_C : SIM_AMBIENT_C;
		if (s->heater_c[h] != settle_c) /* else it would add a zero */
			s->heater_c[h] += (settle_c - s->heater_c[h]) * SIM_DT_S / HEATER_TAU_S;
	}
}

/* One recline actuator; relays both on is no motion (the H-bridge interlocks). Its own
 * end switches cut the motor at the ends, so a relay left on there draws nothing. */
static void actuator_step(double *angle_deg, double *current_ma, double min_deg,
			  double max_deg, bool toward_min, bool toward_max, bool trapped,
			  bool stuck)
{
	int dir = (int)toward_max - (int)toward_min;
	*current_ma = 0.0;
	if (dir == 0 || (dir > 0 && *angle_deg >= max_deg) || (dir < 0 && *angle_deg <= min_deg))
		return;
	if (trapped) { /* caught: the motor stalls against it */
		*current_ma = RECLINE_TRAPPED_MA;
		return;
	}
	*current_ma = RECLINE_MOVING_MA;
	if (stuck) /* the motor turns at its usual current, the actuator does not move */
		return;
	*angle_deg += dir * RECLINE_DEG_S * SIM_DT_S;
	*angle_deg = *angle_deg < min_deg ? min_deg : *angle_deg > max_deg ? max_deg : *angle_deg;
}

void sim_comfort_step(struct sim *s, const struct sim_fault_view *fv)
{
	airbags_step(s);
	heaters_step(s);
	/* back_up brings the backrest upright (smaller angle); leg_up raises the legrest. */
	actuator_step(&s->back_angle_deg, &s->back_current_ma, BACK_MIN_DEG, BACK_MAX_DEG,
		      line_on(s, HAL_OUT_BACK_UP), line_on(s, HAL_OUT_BACK_DOWN), fv->trapped[0],
		      fv->recline_stuck[0]);
	actuator_step(&s->leg_angle_deg, &s->leg_current_ma, LEG_MIN_DEG, LEG_MAX_DEG,
		      line_on(s, HAL_OUT_LEG_DOWN), line_on(s, HAL_OUT_LEG_UP), fv->trapped[1],
		      fv->recline_stuck[1]);
	s->supply_v = SUPPLY_V + sim_rng_range(&s->rng, -SUPPLY_NOISE_V, SUPPLY_NOISE_V);
}

void sim_comfort_switches(const struct sim *s, uint32_t *gpio_in)
{
	if (s->back_angle_deg <= BACK_MIN_DEG)
		*gpio_in |= 1u << HAL_IN_BACK_MIN;
	if (s->back_angle_deg >= BACK_MAX_DEG)
		*gpio_in |= 1u << HAL_IN_BACK_MAX;
	if (s->leg_angle_deg <= LEG_MIN_DEG)
		*gpio_in |= 1u << HAL_IN_LEG_MIN;
	if (s->leg_angle_deg >= LEG_MAX_DEG)
		*gpio_in |= 1u << HAL_IN_LEG_MAX;
}

void sim_comfort_read(const struct sim *s, const struct sim_fault_view *fv, struct hal_io_in *io)
{
	/* An empty bag is exactly 0 kPa (see deflate) and reads 0: spare it the conversion. */
	for (int z = 0; z < HAL_AIRBAG_COUNT; z++)
		io->airbag_raw[z] = s->airbag_kpa[z] == 0.0 ? 0 : sim_reg_u16(s->airbag_kpa[z] * 10.0);
	for (int h = 0; h < HAL_HEATER_COUNT; h++)
		io->heater_raw[h] = fv->over_temp[h] ? fv->over_temp_raw[h]
						     : sim_reg_i16(s->heater_c[h] * 10.0);
	io->back_angle_raw = sim_reg_i16(s->back_angle_deg * 10.0);
	io->leg_angle_raw = sim_reg_i16(s->leg_angle_deg * 10.0);
	io->supply_raw = fv->supply ? fv->supply_raw : sim_reg_u16(s->supply_v * 10.0);
	io->back_current_ma = sim_reg_u16(s->back_current_ma);
	io->leg_current_ma = sim_reg_u16(s->leg_current_ma);
}
