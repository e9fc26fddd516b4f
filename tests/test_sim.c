/* The simulated chair and person: determinism, the body model, the drives, the slow parts,
 * fault injection and the in-process backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../drivers/hal_sim.h"
#include "../sim/sim.h"

/* ---- helpers ---- */

/* Outputs that power the drives and ask nothing of them. */
static struct hal_outputs quiet_outputs(void)
{
	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	for (int a = 0; a < HAL_AXIS_COUNT; a++)
		out.drive[a].comm_timeout_ms = 200;
	hal_out_set(&out, HAL_OUT_DRIVE_ENABLE, true);
	return out;
}

static void command(struct hal_outputs *out, enum hal_axis a, enum hal_drive_mode mode,
		    int pos_raw, int vel_raw, int force_raw)
{
	struct hal_drive_out *d = &out->drive[a];
	d->control = HAL_CTL_ENABLE | (uint16_t)(mode << HAL_CTL_MODE_SHIFT);
	d->target_position_raw = (int16_t)pos_raw;
	d->target_velocity_raw = (int16_t)vel_raw;
	d->target_force_raw = (uint16_t)force_raw;
}

static void run_ms(struct sim *s, const struct hal_outputs *out, int ms)
{
	for (int i = 0; i < ms; i++)
		sim_step_1ms(s, out);
}

static struct hal_inputs read_now(const struct sim *s)
{
	struct hal_inputs in;
	sim_read(s, &in);
	return in;
}

/* A chair with the default person, carriage at y_mm and roller at z_mm (true positions),
 * after one quiet step so the image shows them. */
static void chair_at(struct sim *s, double y_mm, double z_mm)
{
	struct sim_person p;
	sim_person_default(&p);
	sim_init(s, &p, 7);
	s->drive[HAL_AXIS_Y].position = y_mm;
	s->drive[HAL_AXIS_Z].position = z_mm;
	struct hal_outputs out = quiet_outputs();
	sim_step_1ms(s, &out);
}

static double force_n(const struct hal_inputs *in)
{
	return in->drive[HAL_AXIS_Z].actual_force_raw / 10.0;
}

static bool status(const struct hal_inputs *in, enum hal_axis a, unsigned bit)
{
	return (in->drive[a].status & bit) != 0;
}

static struct sim_fault fault(enum sim_fault_kind kind, int target, int value, uint64_t at_ms,
			      uint64_t for_ms)
{
	return (struct sim_fault){kind, target, value, at_ms, for_ms};
}

/* ---- determinism ---- */

/* A busy, time-varying output sequence touching every part of the chair. */
static void busy_outputs(uint64_t t_ms, struct hal_outputs *out)
{
	*out = quiet_outputs();
	command(out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, (t_ms / 1000) % 2 ? 400 : -400, 0);
	command(out, HAL_AXIS_Z, HAL_MODE_FORCE, 0, 0, 250);
	command(out, HAL_AXIS_K, HAL_MODE_VELOCITY, 0, 40, 0);
	command(out, HAL_AXIS_T, HAL_MODE_VELOCITY, 0, 300, 0);
	command(out, HAL_AXIS_W, HAL_MODE_POSITION, 1100, 0, 0);
	hal_out_set(out, HAL_OUT_PUMP, (t_ms / 2000) % 2 == 0);
	hal_out_set(out, HAL_OUT_VALVE_WAIST, true);
	hal_out_set(out, HAL_OUT_HEAT_LUMBAR, t_ms % 1000 < 600);
	hal_out_set(out, HAL_OUT_BACK_DOWN, t_ms < 3000);
}

static void run_busy(uint64_t seed, struct hal_inputs *in)
{
	static struct sim s;
	struct sim_person p;
	struct hal_outputs out;
	sim_person_random(&p, seed);
	sim_init(&s, &p, seed);
	for (uint64_t t = 0; t < 10000; t++) {
		busy_outputs(t, &out);
		sim_step_1ms(&s, &out);
	}
	sim_read(&s, in);
}

static void test_same_seed_and_outputs_give_identical_inputs_after_10s(void **state)
{
	struct hal_inputs a, b;
	run_busy(42, &a);
	run_busy(42, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_different_seeds_give_different_inputs(void **state)
{
	struct hal_inputs a, b;
	run_busy(42, &a);
	run_busy(43, &b);
	assert_memory_not_equal(&a, &b, sizeof(a));

	struct sim_person p1, p2;
	sim_person_random(&p1, 1);
	sim_person_random(&p2, 2);
	assert_true(p1.height_cm != p2.height_cm);
}

/* ---- the person ---- */

static void test_person_ranges_and_order_hold_over_200_seeds(void **state)
{
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct sim_person p;
		sim_person_random(&p, seed);
		assert_true(p.height_cm >= 150.0 && p.height_cm <= 200.0);
		double expect_shoulder = 760.0 - 0.30 * p.height_cm * 10.0;
		assert_true(fabs(p.shoulder_y_mm - expect_shoulder) < 1e-9);
		assert_true(p.shoulder_y_mm >= 160.0 && p.shoulder_y_mm <= 310.0);
		assert_true(p.seat_y_mm == 760.0);
		assert_true(fabs(p.landmark_y_mm[SIM_LM_C7] - (p.shoulder_y_mm - 15.0)) < 1e-9);
		for (int l = 1; l < SIM_LM_COUNT; l++)
			assert_true(p.landmark_y_mm[l] > p.landmark_y_mm[l - 1]);
		assert_true(p.landmark_y_mm[SIM_LM_SACRUM] < p.seat_y_mm);
		for (int z = 1; z < SIM_ZONE_COUNT; z++)
			assert_true(p.zone_start_y_mm[z] - p.zone_start_y_mm[z - 1] >= 40.0);
		assert_true(p.zone_start_y_mm[SIM_ZONE_THIGHS] < 1300.0);
		assert_true(p.zone_start_y_mm[SIM_ZONE_NECK] > 0.0);
		for (int z = 0; z < SIM_ZONE_COUNT; z++)
			assert_true(p.stiffness_n_per_mm[z] >= 1.0 && p.stiffness_n_per_mm[z] <= 9.0);
		assert_true(p.skin_gap_mm >= 15.0 && p.skin_gap_mm <= 25.0);
		assert_true(p.too_much_n >= 60.0 && p.too_much_n <= 100.0);
		assert_true(p.tender_count >= 0 && p.tender_count <= 4);
		for (int i = 0; i < p.tender_count; i++) {
			assert_true(p.tender[i].too_much_n >= 25.0 && p.tender[i].too_much_n <= 60.0);
			assert_true(p.tender[i].radius_mm >= 20.0 && p.tender[i].radius_mm <= 40.0);
			assert_true(p.tender[i].y_mm > p.shoulder_y_mm &&
				    p.tender[i].y_mm < p.seat_y_mm);
		}
		assert_true(p.seated);
	}
}

static void test_default_person_is_175cm_with_a_45n_tender_point_at_l4(void **state)
{
	struct sim_person p;
	sim_person_default(&p);
	assert_true(p.height_cm == 175.0);
	assert_true(fabs(p.shoulder_y_mm - 235.0) < 1e-9);
	assert_int_equal(p.tender_count, 1);
	assert_true(p.tender[0].too_much_n == 45.0);
	assert_true(fabs(p.tender[0].y_mm - p.landmark_y_mm[SIM_LM_L4]) < 1e-9);
	assert_true(p.skin_gap_mm == 20.0);
}

static void test_zone_at_follows_zone_starts(void **state)
{
	struct sim_person p;
	sim_person_default(&p);
	for (int z = 0; z < SIM_ZONE_COUNT; z++) {
		assert_int_equal(sim_person_zone_at(&p, p.zone_start_y_mm[z]), z);
		assert_int_equal(sim_person_zone_at(&p, p.zone_start_y_mm[z] + 5.0), z);
	}
	assert_int_equal(sim_person_zone_at(&p, p.shoulder_y_mm - 60.0), SIM_ZONE_NECK);
	assert_int_equal(sim_person_zone_at(&p, 1300.0), SIM_ZONE_THIGHS);
	assert_int_equal(sim_person_zone_at(&p, p.landmark_y_mm[SIM_LM_L3]),
			 SIM_ZONE_LOWER_BACK);
}

static void test_contact_is_zero_above_the_neck_and_rises_with_depth(void **state)
{
	for (uint64_t seed = 1; seed <= 50; seed++) {
		struct sim_person p;
		sim_person_random(&p, seed);
		double above_neck = p.zone_start_y_mm[SIM_ZONE_NECK] - 1.0;
		for (double z = -3.0; z <= 103.0; z += 1.0)
			assert_true(sim_person_contact_n(&p, above_neck, z) == 0.0);
		double y = p.landmark_y_mm[SIM_LM_T9];
		assert_true(sim_person_contact_n(&p, y, p.skin_gap_mm - 0.5) == 0.0);
		double prev = 0.0;
		for (double z = p.skin_gap_mm + 0.5; z <= 103.0; z += 0.5) {
			double f = sim_person_contact_n(&p, y, z);
			assert_true(f > prev);
			prev = f;
		}
	}
	struct sim_person p;
	sim_person_default(&p);
	p.seated = false;
	assert_true(sim_person_contact_n(&p, 400.0, 60.0) == 0.0);
}

static void test_contact_force_never_jumps_as_y_sweeps_the_body(void **state)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct sim_person p;
		sim_person_random(&p, seed);
		const double depth_mm[] = {p.skin_gap_mm + 5.0, p.skin_gap_mm + 25.0,
					   p.skin_gap_mm + 45.0};
		for (size_t i = 0; i < sizeof(depth_mm) / sizeof(depth_mm[0]); i++) {
			double prev = sim_person_contact_n(&p, -15.0, depth_mm[i]);
			for (double y = -15.0; y <= 1315.0; y += 0.01) {
				double f = sim_person_contact_n(&p, y, depth_mm[i]);
				/* a smooth profile moves little in 0.01 mm: the steepest,
				 * a stiffness blend 45 mm deep, is ~50 N/mm */
				assert_true(fabs(f - prev) < 1.0);
				prev = f;
			}
		}
	}
}

/* A scan down the back at a shallow depth sees the force rise at the shoulder line. */
static void test_force_rises_at_the_shoulder_line(void **state)
{
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct sim_person p;
		sim_person_random(&p, seed);
		double depth = p.skin_gap_mm + 10.0;
		double found = -1.0;
		for (double y = 0.0; y < 700.0 && found < 0.0; y += 0.5)
			if (sim_person_contact_n(&p, y, depth) > 1.0)
				found = y;
		assert_true(found > 0.0);
		assert_true(fabs(found - p.shoulder_y_mm) < 15.0);
	}
}

static void test_too_much_at_a_tender_point_and_at_the_general_limit(void **state)
{
	struct sim s;
	struct sim_person p;
	sim_person_default(&p);
	sim_init(&s, &p, 1);
	double l4 = p.landmark_y_mm[SIM_LM_L4];
	s.drive[HAL_AXIS_Y].position = l4;
	s.contact_force_n = 44.0;
	assert_false(sim_person_too_much(&s));
	s.contact_force_n = 45.0;
	assert_true(sim_person_too_much(&s));
	s.drive[HAL_AXIS_Y].position = p.landmark_y_mm[SIM_LM_T6];
	assert_false(sim_person_too_much(&s));
	s.contact_force_n = 80.0;
	assert_true(sim_person_too_much(&s));
	assert_true(sim_person_limit_n(&p, l4 + 10.0) == 45.0);
	assert_true(sim_person_limit_n(&p, l4 + 100.0) == 80.0);
}

/* ---- drives ---- */

static void test_velocity_mode_tracks_target(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 500, 0);
	command(&out, HAL_AXIS_K, HAL_MODE_VELOCITY, 0, -45, 0);
	command(&out, HAL_AXIS_T, HAL_MODE_VELOCITY, 0, 600, 0);
	run_ms(&s, &out, 20);
	struct hal_inputs in = read_now(&s);
	assert_true(in.drive[HAL_AXIS_Y].actual_velocity_raw > 0);
	assert_true(in.drive[HAL_AXIS_Y].actual_velocity_raw < 500); /* still accelerating */
	run_ms(&s, &out, 480);
	in = read_now(&s);
	assert_in_range(in.drive[HAL_AXIS_Y].actual_velocity_raw, 495, 505);
	assert_int_equal(in.drive[HAL_AXIS_K].actual_velocity_raw, -45);
	assert_int_equal(in.drive[HAL_AXIS_T].actual_velocity_raw, 600);
	assert_true(status(&in, HAL_AXIS_Y, HAL_STATUS_ENABLED | HAL_STATUS_READY));
	assert_true(status(&in, HAL_AXIS_Y, HAL_STATUS_MOVING));
	assert_true(s.drive[HAL_AXIS_Y].current_ma > 300.0);
	/* 0.5 s at 50 mm/s, less what the ramp up costs */
	assert_true(s.drive[HAL_AXIS_Y].position > 420.0 && s.drive[HAL_AXIS_Y].position < 425.0);

	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 3000, 0);
	run_ms(&s, &out, 500);
	in = read_now(&s);
	assert_int_equal(in.drive[HAL_AXIS_Y].actual_velocity_raw, 1000); /* the drive's max */

	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 0, 0);
	run_ms(&s, &out, 300);
	in = read_now(&s);
	assert_int_equal(in.drive[HAL_AXIS_Y].actual_velocity_raw, 0);
	assert_false(status(&in, HAL_AXIS_Y, HAL_STATUS_MOVING));
}

static void test_position_mode_reaches_target_without_overshoot(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_inputs in = read_now(&s);
	int start_raw = in.drive[HAL_AXIS_Y].actual_position_raw;
	int target_raw = start_raw + 2000;
	struct hal_outputs out = quiet_outputs();
	command(&out, HAL_AXIS_Y, HAL_MODE_POSITION, target_raw, 800, 0);
	command(&out, HAL_AXIS_W, HAL_MODE_POSITION, 1400, 0, 0);
	int most_raw = start_raw;
	bool at_target_early = false;
	for (int ms = 0; ms < 4000; ms++) {
		sim_step_1ms(&s, &out);
		in = read_now(&s);
		if (in.drive[HAL_AXIS_Y].actual_position_raw > most_raw)
			most_raw = in.drive[HAL_AXIS_Y].actual_position_raw;
		if (ms < 2000 && status(&in, HAL_AXIS_Y, HAL_STATUS_AT_TARGET))
			at_target_early = true;
		assert_true(in.drive[HAL_AXIS_Y].actual_velocity_raw <= 800);
	}
	assert_false(at_target_early); /* 200 mm at 80 mm/s takes 2.5 s */
	assert_true(status(&in, HAL_AXIS_Y, HAL_STATUS_AT_TARGET));
	assert_in_range(in.drive[HAL_AXIS_Y].actual_position_raw, target_raw - 1, target_raw + 1);
	assert_true(most_raw <= target_raw + 5);
	assert_true(status(&in, HAL_AXIS_W, HAL_STATUS_AT_TARGET));
	assert_in_range(in.drive[HAL_AXIS_W].actual_position_raw, 1399, 1401);
}

static void test_rotary_position_wraps_at_360_degrees(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	command(&out, HAL_AXIS_K, HAL_MODE_VELOCITY, 0, 60, 0);
	int wraps = 0;
	int prev = read_now(&s).drive[HAL_AXIS_K].actual_position_raw;
	for (int ms = 0; ms < 3000; ms++) {
		sim_step_1ms(&s, &out);
		int raw = read_now(&s).drive[HAL_AXIS_K].actual_position_raw;
		assert_in_range(raw, 0, 3599);
		if (raw < prev)
			wraps++;
		prev = raw;
	}
	assert_in_range(wraps, 2, 3); /* 60 rpm for 3 s, less the ramp */

	/* position mode takes the short way round */
	command(&out, HAL_AXIS_K, HAL_MODE_POSITION, (prev + 3400) % 3600, 30, 0);
	run_ms(&s, &out, 2000);
	struct hal_inputs in = read_now(&s);
	assert_true(status(&in, HAL_AXIS_K, HAL_STATUS_AT_TARGET));
}

static void test_z_stops_extending_at_its_force_limit(void **state)
{
	const int speeds_raw[] = {300, 2000};
	for (size_t i = 0; i < 2; i++) {
		struct sim s;
		struct sim_person p;
		sim_person_default(&p);
		chair_at(&s, p.landmark_y_mm[SIM_LM_T8], 0.0);
		struct hal_outputs out = quiet_outputs();
		command(&out, HAL_AXIS_Z, HAL_MODE_VELOCITY, 0, speeds_raw[i], 300);
		run_ms(&s, &out, 3000);
		struct hal_inputs in = read_now(&s);
		assert_true(force_n(&in) >= 30.0 && force_n(&in) < 33.0);
		assert_int_equal(in.drive[HAL_AXIS_Z].actual_velocity_raw, 0);
		assert_true(status(&in, HAL_AXIS_Z, HAL_STATUS_ENABLED));
		/* retracting is always allowed */
		command(&out, HAL_AXIS_Z, HAL_MODE_VELOCITY, 0, -300, 300);
		run_ms(&s, &out, 200);
		in = read_now(&s);
		assert_true(force_n(&in) < 30.0);
	}
}

static void test_z_force_mode_regulates_contact_force(void **state)
{
	struct sim s;
	struct sim_person p;
	sim_person_default(&p);
	chair_at(&s, p.landmark_y_mm[SIM_LM_T4], 0.0);
	struct hal_outputs out = quiet_outputs();
	command(&out, HAL_AXIS_Z, HAL_MODE_FORCE, 0, 0, 400);
	run_ms(&s, &out, 3000);
	struct hal_inputs in = read_now(&s);
	assert_in_range(in.drive[HAL_AXIS_Z].actual_force_raw, 395, 405);
	/* holding 40 N costs 200 mA + 30 mA/N */
	assert_in_range(in.drive[HAL_AXIS_Z].actual_current_ma, 1350, 1500);
}

/* Press the default person's mid back with 50 N in force mode. */
static void press_50n(struct sim *s, struct hal_outputs *out)
{
	struct sim_person p;
	sim_person_default(&p);
	chair_at(s, p.landmark_y_mm[SIM_LM_T8], 0.0);
	*out = quiet_outputs();
	command(out, HAL_AXIS_Z, HAL_MODE_FORCE, 0, 0, 500);
	run_ms(s, out, 2000);
	assert_true(s->contact_force_n > 48.0);
}

static void test_comm_watchdog_disables_drives_and_z_retracts_under_5n(void **state)
{
	struct sim s;
	struct hal_outputs out;
	press_50n(&s, &out);
	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 200, 0);
	run_ms(&s, &out, 100);

	/* the controller dies: the chair keeps running without a single write */
	for (int ms = 0; ms < 199; ms++)
		sim_advance_1ms(&s);
	struct hal_inputs in = read_now(&s);
	assert_true(status(&in, HAL_AXIS_Z, HAL_STATUS_ENABLED));
	assert_true(s.contact_force_n > 45.0);
	sim_advance_1ms(&s);
	in = read_now(&s);
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		assert_true(status(&in, (enum hal_axis)a, HAL_STATUS_FAULT));
		assert_false(status(&in, (enum hal_axis)a, HAL_STATUS_ENABLED));
		assert_int_equal(in.drive[a].fault_code, SIM_DRIVE_FAULT_COMM_TIMEOUT);
	}
	for (int ms = 0; ms < 500; ms++)
		sim_advance_1ms(&s);
	in = read_now(&s);
	assert_true(force_n(&in) < 5.0);
	assert_true(hal_in(&in, HAL_IN_Z_HOME));
	assert_true(s.drive[HAL_AXIS_Z].position > -1.0);
	assert_int_equal(in.drive[HAL_AXIS_Y].actual_velocity_raw, 0); /* coasted to rest */
}

static void test_deaf_z_drive_retracts_itself_and_stays_faulted(void **state)
{
	struct sim s;
	struct hal_outputs out;
	press_50n(&s, &out);
	struct sim_fault f = fault(SIM_FAULT_UNIT_DEAF, HAL_UNIT_DRIVE_Z, 0, s.time_ms, 1000);
	assert_int_equal(sim_fault_add(&s, &f), 0);
	run_ms(&s, &out, 150);
	assert_true(s.contact_force_n > 45.0); /* not before its timeout */
	run_ms(&s, &out, 400);
	assert_true(s.contact_force_n < 5.0);
	assert_int_equal(s.drive[HAL_AXIS_Z].fault_code, SIM_DRIVE_FAULT_COMM_TIMEOUT);
	struct hal_inputs in = read_now(&s);
	assert_true(in.unit[HAL_UNIT_DRIVE_Z].age_ms >= 550); /* deaf is silent too */
	assert_true(status(&in, HAL_AXIS_Z, HAL_STATUS_ENABLED)); /* what it last said */

	run_ms(&s, &out, 500); /* hearing again, but a comm fault latches */
	in = read_now(&s);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_Z].age_ms, 0);
	assert_true(status(&in, HAL_AXIS_Z, HAL_STATUS_FAULT));
	assert_true(force_n(&in) < 5.0);
	out.drive[HAL_AXIS_Z].control |= HAL_CTL_FAULT_RESET;
	run_ms(&s, &out, 1);
	out.drive[HAL_AXIS_Z].control &= (uint16_t)~HAL_CTL_FAULT_RESET;
	run_ms(&s, &out, 2000);
	in = read_now(&s);
	assert_true(status(&in, HAL_AXIS_Z, HAL_STATUS_READY | HAL_STATUS_ENABLED));
	assert_in_range(in.drive[HAL_AXIS_Z].actual_force_raw, 490, 510);
}

static void test_drive_fault_latches_until_reset_after_it_ends(void **state)
{
	struct sim s;
	struct hal_outputs out;
	press_50n(&s, &out);
	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 100, 0);
	uint64_t t0 = s.time_ms;
	struct sim_fault fy = fault(SIM_FAULT_DRIVE_FAULT, HAL_AXIS_Y, 0x2310, t0 + 10, 100);
	struct sim_fault fz = fault(SIM_FAULT_DRIVE_FAULT, HAL_AXIS_Z, 0x4210, t0 + 10, 100);
	assert_int_equal(sim_fault_add(&s, &fy), 0);
	assert_int_equal(sim_fault_add(&s, &fz), 0);
	run_ms(&s, &out, 50);
	struct hal_inputs in = read_now(&s);
	assert_int_equal(in.drive[HAL_AXIS_Y].fault_code, 0x2310);
	assert_true(status(&in, HAL_AXIS_Y, HAL_STATUS_FAULT));
	assert_false(status(&in, HAL_AXIS_Y, HAL_STATUS_READY | HAL_STATUS_ENABLED));

	/* a reset while the cause lasts changes nothing */
	out.drive[HAL_AXIS_Y].control |= HAL_CTL_FAULT_RESET;
	run_ms(&s, &out, 20);
	assert_int_equal(read_now(&s).drive[HAL_AXIS_Y].fault_code, 0x2310);
	out.drive[HAL_AXIS_Y].control &= (uint16_t)~HAL_CTL_FAULT_RESET;

	run_ms(&s, &out, 500);
	in = read_now(&s);
	assert_int_equal(in.drive[HAL_AXIS_Y].fault_code, 0x2310); /* latched */
	assert_true(force_n(&in) < 5.0);                          /* Z let go by itself */

	out.drive[HAL_AXIS_Y].control |= HAL_CTL_FAULT_RESET;
	run_ms(&s, &out, 1);
	in = read_now(&s);
	assert_int_equal(in.drive[HAL_AXIS_Y].fault_code, 0);
	assert_true(status(&in, HAL_AXIS_Y, HAL_STATUS_READY | HAL_STATUS_ENABLED));
	assert_true(status(&in, HAL_AXIS_Z, HAL_STATUS_FAULT));
}

static void test_drive_enable_line_off_is_safe_torque_off(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 500, 0);
	run_ms(&s, &out, 500);
	hal_out_set(&out, HAL_OUT_DRIVE_ENABLE, false);
	run_ms(&s, &out, 500);
	struct hal_inputs in = read_now(&s);
	assert_false(status(&in, HAL_AXIS_Y, HAL_STATUS_ENABLED));
	assert_true(status(&in, HAL_AXIS_Y, HAL_STATUS_READY));
	assert_int_equal(in.drive[HAL_AXIS_Y].actual_velocity_raw, 0);
	assert_int_equal(in.drive[HAL_AXIS_Y].actual_current_ma, 0);
}

static void test_z_current_and_temperature_grow_with_contact_force(void **state)
{
	struct sim s;
	struct hal_outputs out;
	press_50n(&s, &out);
	struct hal_inputs in = read_now(&s);
	assert_in_range(in.drive[HAL_AXIS_Z].actual_current_ma, 1600, 1800);
	run_ms(&s, &out, 60000);
	in = read_now(&s);
	assert_true(in.drive[HAL_AXIS_Z].temperature_raw > 250);
	assert_true(in.drive[HAL_AXIS_Z].temperature_raw > in.drive[HAL_AXIS_W].temperature_raw);
}

static void test_encoder_reads_true_position_minus_seeded_offset(void **state)
{
	double first_offset = 0.0;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct sim s;
		struct sim_person p;
		sim_person_random(&p, seed);
		sim_init(&s, &p, seed);
		struct hal_inputs in = read_now(&s);
		for (int a = HAL_AXIS_Y; a <= HAL_AXIS_Z; a++) {
			const struct sim_drive *d = &s.drive[a];
			assert_int_equal(in.drive[a].actual_position_raw,
					 lround((d->position - d->encoder_offset) * 10.0));
		}
		const struct sim_drive *y = &s.drive[HAL_AXIS_Y], *z = &s.drive[HAL_AXIS_Z];
		assert_true(fabs(y->encoder_offset) <= 400.0 && fabs(z->encoder_offset) <= 50.0);
		assert_true(y->position >= 0.0 && y->position <= 1300.0);
		assert_true(z->position >= 0.0 && z->position <= 60.0);
		assert_true(s.drive[HAL_AXIS_W].encoder_offset == 0.0);
		assert_int_equal(in.drive[HAL_AXIS_W].actual_position_raw,
				 lround(s.drive[HAL_AXIS_W].position * 10.0));
		if (seed == 1)
			first_offset = y->encoder_offset;
		else
			assert_true(y->encoder_offset != first_offset);
	}
}

static void test_switches_sit_at_their_positions(void **state)
{
	struct sim s;
	chair_at(&s, 50.0, 5.0);
	struct hal_inputs in = read_now(&s);
	assert_false(hal_in(&in, HAL_IN_Y_HOME) || hal_in(&in, HAL_IN_Y_END) ||
		     hal_in(&in, HAL_IN_Z_HOME));
	assert_true(hal_in(&in, HAL_IN_OCCUPIED) && !hal_in(&in, HAL_IN_ESTOP));

	struct hal_outputs out = quiet_outputs();
	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, -200, 0);
	command(&out, HAL_AXIS_Z, HAL_MODE_VELOCITY, 0, -100, 0);
	int ms = 0;
	while (!hal_in(&in, HAL_IN_Y_HOME) && ms++ < 5000) {
		sim_step_1ms(&s, &out);
		in = read_now(&s);
	}
	assert_true(s.drive[HAL_AXIS_Y].position <= 0.0 && s.drive[HAL_AXIS_Y].position > -0.1);
	assert_true(hal_in(&in, HAL_IN_Z_HOME));
	/* past the switch the carriage meets its stop, and stalls at the current limit */
	out.drive[HAL_AXIS_Y].current_limit_ma = 2500;
	run_ms(&s, &out, 2000);
	in = read_now(&s);
	assert_true(s.drive[HAL_AXIS_Y].position == -15.0 && s.drive[HAL_AXIS_Z].position == -3.0);
	assert_true(hal_in(&in, HAL_IN_Y_HOME));
	assert_int_equal(in.drive[HAL_AXIS_Y].actual_current_ma, 2500);

	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 1000, 0);
	ms = 0;
	while (!hal_in(&in, HAL_IN_Y_END) && ms++ < 20000) {
		sim_step_1ms(&s, &out);
		in = read_now(&s);
	}
	assert_true(s.drive[HAL_AXIS_Y].position >= 1300.0 && s.drive[HAL_AXIS_Y].position < 1300.2);
	assert_false(hal_in(&in, HAL_IN_Y_HOME));
}

/* ---- the slow parts ---- */

static void test_airbags_fill_hold_and_vent(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	hal_out_set(&out, HAL_OUT_PUMP, true);
	hal_out_set(&out, HAL_OUT_VALVE_WAIST, true);
	run_ms(&s, &out, 2000);
	struct hal_inputs in = read_now(&s);
	assert_in_range(in.io.airbag_raw[HAL_AIRBAG_WAIST], 195, 205); /* 10 kPa/s */
	assert_int_equal(in.io.airbag_raw[HAL_AIRBAG_SEAT], 0);

	/* two zones share the pump */
	hal_out_set(&out, HAL_OUT_VALVE_WAIST, false);
	hal_out_set(&out, HAL_OUT_VALVE_SEAT, true);
	hal_out_set(&out, HAL_OUT_VALVE_CALVES, true);
	run_ms(&s, &out, 2000);
	in = read_now(&s);
	assert_in_range(in.io.airbag_raw[HAL_AIRBAG_SEAT], 95, 105);
	assert_in_range(in.io.airbag_raw[HAL_AIRBAG_WAIST], 195, 200); /* holds */

	hal_out_set(&out, HAL_OUT_PUMP, false);
	hal_out_set(&out, HAL_OUT_VALVE_SEAT, false);
	hal_out_set(&out, HAL_OUT_VALVE_CALVES, false);
	run_ms(&s, &out, 10000);
	in = read_now(&s);
	assert_in_range(in.io.airbag_raw[HAL_AIRBAG_WAIST], 190, 200);

	hal_out_set(&out, HAL_OUT_VENT, true);
	hal_out_set(&out, HAL_OUT_VALVE_WAIST, true);
	run_ms(&s, &out, 2000);
	in = read_now(&s);
	assert_true(in.io.airbag_raw[HAL_AIRBAG_WAIST] < 10);

	/* a pump left running stops at what it can reach */
	hal_out_set(&out, HAL_OUT_VENT, false);
	hal_out_set(&out, HAL_OUT_PUMP, true);
	run_ms(&s, &out, 30000);
	in = read_now(&s);
	assert_in_range(in.io.airbag_raw[HAL_AIRBAG_WAIST], 420, 450);
}

static void test_heater_reaches_40c_in_2_to_3_min_under_a_duty_cycle(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	assert_int_equal(read_now(&s).io.heater_raw[HAL_HEATER_LUMBAR], 240);
	int reached_ms = -1;
	for (int ms = 0; ms < 600000 && reached_ms < 0; ms++) {
		/* time-proportioned: 90 % of each 1 s window */
		hal_out_set(&out, HAL_OUT_HEAT_LUMBAR, ms % 1000 < 900);
		sim_step_1ms(&s, &out);
		if (read_now(&s).io.heater_raw[HAL_HEATER_LUMBAR] >= 400)
			reached_ms = ms;
	}
	assert_in_range(reached_ms, 120000, 180000);
	assert_int_equal(read_now(&s).io.heater_raw[HAL_HEATER_CALVES], 240);
}

static void test_recline_moves_and_hits_its_limit_switches(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	struct hal_inputs in = read_now(&s);
	assert_int_equal(in.io.back_angle_raw, 1050);
	assert_int_equal(in.io.leg_angle_raw, 100);

	hal_out_set(&out, HAL_OUT_BACK_DOWN, true);
	hal_out_set(&out, HAL_OUT_LEG_UP, true);
	run_ms(&s, &out, 1000);
	in = read_now(&s);
	assert_in_range(in.io.back_angle_raw, 1078, 1082);
	assert_in_range(in.io.leg_angle_raw, 128, 132);
	assert_int_equal(in.io.back_current_ma, 1500);
	run_ms(&s, &out, 16500); /* 50 deg of backrest at 3 deg/s */
	in = read_now(&s);
	assert_true(hal_in(&in, HAL_IN_BACK_MAX) && in.io.back_angle_raw == 1550);
	assert_int_equal(in.io.back_current_ma, 0);
	assert_false(hal_in(&in, HAL_IN_LEG_MAX));
	run_ms(&s, &out, 3000); /* 60 deg of legrest */
	in = read_now(&s);
	assert_true(hal_in(&in, HAL_IN_LEG_MAX) && in.io.leg_angle_raw == 700);
	assert_int_equal(in.io.leg_current_ma, 0);

	hal_out_set(&out, HAL_OUT_BACK_DOWN, false);
	hal_out_set(&out, HAL_OUT_LEG_UP, false);
	hal_out_set(&out, HAL_OUT_BACK_UP, true);
	hal_out_set(&out, HAL_OUT_LEG_DOWN, true);
	run_ms(&s, &out, 30000);
	in = read_now(&s);
	assert_true(hal_in(&in, HAL_IN_BACK_MIN) && hal_in(&in, HAL_IN_LEG_MIN));
	assert_false(hal_in(&in, HAL_IN_BACK_MAX) || hal_in(&in, HAL_IN_LEG_MAX));
	assert_int_equal(in.io.back_angle_raw, 1000);
	assert_int_equal(in.io.leg_angle_raw, 0);
}

static void test_supply_reads_24v_with_tiny_noise(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	for (int ms = 0; ms < 1000; ms++) {
		sim_step_1ms(&s, &out);
		assert_in_range(read_now(&s).io.supply_raw, 239, 241);
	}
}

/* ---- the DIO module's host watchdog and the charge-pump relay ---- */

#define COIL_MASK ((1u << HAL_DIO_COIL_COUNT) - 1)

/* A lumbar heat, waist fill and recline session as the controller writes it, with the DIO
 * module's watchdog at 200 ms: after 3 s the heater is warming, the waist bag filling and
 * both recline actuators running. */
static struct hal_outputs heat_and_fill(struct sim *s)
{
	chair_at(s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	out.dio_comm_timeout_ms = 200;
	hal_out_set(&out, HAL_OUT_HEAT_LUMBAR, true);
	hal_out_set(&out, HAL_OUT_PUMP, true);
	hal_out_set(&out, HAL_OUT_VALVE_WAIST, true);
	hal_out_set(&out, HAL_OUT_BACK_DOWN, true);
	hal_out_set(&out, HAL_OUT_LEG_UP, true);
	hal_out_set(&out, HAL_OUT_BUZZER, true);
	hal_out_set(&out, HAL_OUT_LED, true);
	run_ms(s, &out, 3000);
	return out;
}

/* The coils CHAIR.md's module watchdog leaves: hal_safe_outputs' value for every coil but
 * drive_enable, which stays as the controller left it (the drives have their own watchdog
 * and Z needs power to retract by itself). */
static uint32_t dio_safe_coils(uint32_t before)
{
	struct hal_outputs safe;
	hal_safe_outputs(&safe, 0);
	uint32_t enable = 1u << HAL_OUT_DRIVE_ENABLE;
	return (safe.gpio_out & COIL_MASK & ~enable) | (before & enable);
}

/* The chair's slow parts now, to see what they do next. */
struct slow_parts {
	double heater_c, waist_kpa, back_deg, leg_deg;
};

static struct slow_parts slow_parts_of(const struct sim *s)
{
	return (struct slow_parts){s->heater_c[HAL_HEATER_LUMBAR], s->airbag_kpa[HAL_AIRBAG_WAIST],
				   s->back_angle_deg, s->leg_angle_deg};
}

static void advance_ms(struct sim *s, int ms)
{
	for (int i = 0; i < ms; i++)
		sim_advance_1ms(s);
}

static void test_dio_watchdog_puts_every_coil_safe_200ms_after_the_last_request(void **state)
{
	struct sim s;
	struct hal_outputs out = heat_and_fill(&s);
	uint32_t before = s.gpio_out;
	assert_int_equal(before, out.gpio_out);
	/* chaird is killed: nothing reaches the module any more */
	advance_ms(&s, 199);
	assert_int_equal(s.gpio_out, before);
	assert_false(s.dio.tripped);
	advance_ms(&s, 1);
	assert_true(s.dio.tripped);
	assert_int_equal(s.gpio_out, dio_safe_coils(before));
	assert_true(hal_out(&(struct hal_outputs){.gpio_out = s.gpio_out}, HAL_OUT_DRIVE_ENABLE));
	assert_int_equal(s.dio.trips, 1);

	/* and the chair follows: heater cooling, waist bag venting, recline standing still */
	struct slow_parts at = slow_parts_of(&s);
	advance_ms(&s, 2000);
	struct slow_parts later = slow_parts_of(&s);
	assert_true(later.heater_c < at.heater_c);
	assert_true(later.waist_kpa < at.waist_kpa / 10);
	assert_true(later.back_deg == at.back_deg && later.leg_deg == at.leg_deg);
	assert_int_equal(read_now(&s).io.back_current_ma, 0);
}

static void test_dio_watchdog_holds_the_safe_state_until_written_again(void **state)
{
	struct sim s;
	struct hal_outputs out = heat_and_fill(&s);
	uint32_t before = s.gpio_out;
	advance_ms(&s, 300);
	assert_true(s.dio.tripped);
	/* reads come back (a bus that recovers, a controller polling inputs): still safe */
	for (int ms = 0; ms < 5000; ms++) {
		sim_dio_request(&s);
		sim_advance_1ms(&s);
	}
	assert_int_equal(s.gpio_out, dio_safe_coils(before));
	assert_int_equal(s.dio.trips, 1);
	/* a write ends it: the coils are what the controller writes */
	hal_out_set(&out, HAL_OUT_BACK_DOWN, false);
	sim_write_unit(&s, HAL_UNIT_DIO, &out);
	assert_false(s.dio.tripped);
	assert_int_equal(s.gpio_out, out.gpio_out);
	double heater_c = s.heater_c[HAL_HEATER_LUMBAR];
	run_ms(&s, &out, 1000);
	assert_true(s.heater_c[HAL_HEATER_LUMBAR] > heater_c);
}

static void test_dio_watchdog_at_zero_is_off_and_the_coils_stay(void **state)
{
	struct sim s;
	struct hal_outputs out = heat_and_fill(&s);
	out.dio_comm_timeout_ms = 0;
	sim_step_1ms(&s, &out);
	struct slow_parts at = slow_parts_of(&s);
	advance_ms(&s, 10000);
	assert_false(s.dio.tripped);
	assert_int_equal(s.gpio_out, out.gpio_out);
	struct slow_parts later = slow_parts_of(&s);
	assert_true(later.heater_c > at.heater_c); /* what the issue saw: it keeps heating */
	assert_true(later.back_deg > at.back_deg);
	/* and a fresh chair's module has it off until the controller writes it */
	struct sim fresh;
	chair_at(&fresh, 400.0, 0.0);
	assert_int_equal(fresh.dio.comm_timeout_ms, 0);
}

static void test_reads_alone_feed_the_dio_watchdog(void **state)
{
	struct sim s;
	struct hal_outputs out = heat_and_fill(&s);
	for (int ms = 0; ms < 2000; ms++) {
		if (ms % 5 == 0) /* a bus cycle that only reads the module */
			sim_dio_request(&s);
		sim_advance_1ms(&s);
	}
	assert_false(s.dio.tripped);
	assert_int_equal(s.gpio_out, out.gpio_out);
}

static void test_deaf_dio_module_goes_safe_while_the_controller_still_writes(void **state)
{
	struct sim s;
	struct hal_outputs out = heat_and_fill(&s);
	uint32_t before = s.gpio_out;
	struct sim_fault f = fault(SIM_FAULT_UNIT_DEAF, HAL_UNIT_DIO, 0, s.time_ms, 0);
	assert_int_equal(sim_fault_add(&s, &f), 0);
	/* the controller goes on writing (and later its safe state): none of it arrives */
	run_ms(&s, &out, 199);
	assert_int_equal(s.gpio_out, before);
	sim_dio_request(&s); /* a read does not reach a deaf module either */
	run_ms(&s, &out, 1);
	assert_true(s.dio.tripped);
	assert_int_equal(s.gpio_out, dio_safe_coils(before));
	struct slow_parts at = slow_parts_of(&s);
	run_ms(&s, &out, 2000);
	assert_true(s.heater_c[HAL_HEATER_LUMBAR] < at.heater_c);
	assert_true(s.back_angle_deg == at.back_deg);
}

/* One ms of a controller whose rt thread runs: the heartbeat bit flips every tick. */
static void tick_with_heartbeat(struct sim *s, struct hal_outputs *out)
{
	hal_out_set(out, HAL_OUT_HEARTBEAT, !hal_out(out, HAL_OUT_HEARTBEAT));
	sim_step_1ms(s, out);
}

static void test_charge_pump_cuts_heaters_and_pump_50ms_after_the_heartbeat_stops(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	s.charge_pump.fitted = true;
	struct hal_outputs out = quiet_outputs();
	hal_out_set(&out, HAL_OUT_HEAT_LUMBAR, true);
	hal_out_set(&out, HAL_OUT_HEAT_CALVES, true);
	hal_out_set(&out, HAL_OUT_PUMP, true);
	hal_out_set(&out, HAL_OUT_VALVE_WAIST, true);
	hal_out_set(&out, HAL_OUT_BACK_DOWN, true);
	for (int ms = 0; ms < 2000; ms++)
		tick_with_heartbeat(&s, &out);
	assert_true(s.charge_pump.energised);
	assert_true(s.heater_c[HAL_HEATER_LUMBAR] > 24.2 && s.heater_c[HAL_HEATER_CALVES] > 24.2);
	assert_true(s.airbag_kpa[HAL_AIRBAG_WAIST] > 15.0);

	/* the rt thread stops: the lines hold their last level, the heartbeat's too */
	run_ms(&s, &out, SIM_CHARGE_PUMP_DROP_MS - 1);
	assert_true(s.charge_pump.energised);
	run_ms(&s, &out, 1);
	assert_false(s.charge_pump.energised);
	assert_int_equal(s.charge_pump.drops, 1);
	struct slow_parts at = slow_parts_of(&s);
	double calves_c = s.heater_c[HAL_HEATER_CALVES];
	run_ms(&s, &out, 2000);
	assert_true(s.heater_c[HAL_HEATER_LUMBAR] < at.heater_c);
	assert_true(s.heater_c[HAL_HEATER_CALVES] < calves_c);
	assert_true(s.airbag_kpa[HAL_AIRBAG_WAIST] <= at.waist_kpa); /* the pump is dead */
	/* the relay powers heaters and pump only: the recline is not on it (CHAIR.md) */
	assert_true(s.back_angle_deg > at.back_deg + 5.0);
	/* the lines themselves are as the controller left them */
	assert_true(hal_out(&(struct hal_outputs){.gpio_out = s.gpio_out}, HAL_OUT_HEAT_LUMBAR));
}

static void test_charge_pump_pulls_in_again_once_the_heartbeat_toggles(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	s.charge_pump.fitted = true;
	struct hal_outputs out = quiet_outputs();
	hal_out_set(&out, HAL_OUT_HEAT_LUMBAR, true);
	/* from power-up the relay waits for the heartbeat: a controller not yet ticking heats
	 * nothing */
	run_ms(&s, &out, 1000);
	assert_false(s.charge_pump.energised);
	assert_true(s.heater_c[HAL_HEATER_LUMBAR] == 24.0);
	for (int ms = 0; ms < SIM_CHARGE_PUMP_PULL_IN_EDGES - 1; ms++)
		tick_with_heartbeat(&s, &out);
	assert_false(s.charge_pump.energised);
	tick_with_heartbeat(&s, &out);
	assert_true(s.charge_pump.energised);
	/* a tick late by less than the drop time keeps it in */
	run_ms(&s, &out, SIM_CHARGE_PUMP_DROP_MS - 1);
	tick_with_heartbeat(&s, &out);
	assert_true(s.charge_pump.energised);
	assert_int_equal(s.charge_pump.drops, 0);
	/* stopped and restarted: it re-energises by itself, the latch is the controller's */
	run_ms(&s, &out, 200);
	assert_false(s.charge_pump.energised);
	for (int ms = 0; ms < 100; ms++)
		tick_with_heartbeat(&s, &out);
	assert_true(s.charge_pump.energised);
	double heater_c = s.heater_c[HAL_HEATER_LUMBAR];
	for (int ms = 0; ms < 1000; ms++)
		tick_with_heartbeat(&s, &out);
	assert_true(s.heater_c[HAL_HEATER_LUMBAR] > heater_c);
}

static void test_without_a_charge_pump_the_heartbeat_changes_nothing(void **state)
{
	struct sim a, b;
	chair_at(&a, 400.0, 0.0);
	chair_at(&b, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	hal_out_set(&out, HAL_OUT_HEAT_LUMBAR, true);
	hal_out_set(&out, HAL_OUT_PUMP, true);
	hal_out_set(&out, HAL_OUT_VALVE_SEAT, true);
	struct hal_outputs still = out;
	for (int ms = 0; ms < 3000; ms++) {
		tick_with_heartbeat(&a, &out);
		sim_step_1ms(&b, &still);
	}
	assert_true(a.heater_c[HAL_HEATER_LUMBAR] == b.heater_c[HAL_HEATER_LUMBAR]);
	assert_true(a.airbag_kpa[HAL_AIRBAG_SEAT] == b.airbag_kpa[HAL_AIRBAG_SEAT]);
	assert_true(a.heater_c[HAL_HEATER_LUMBAR] > 24.5);
}

/* ---- faults ---- */

struct fault_case {
	struct sim_fault fault;
	bool (*seen)(const struct hal_inputs *before, const struct hal_inputs *now);
};

static bool silent_io_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->unit[HAL_UNIT_IO].age_ms > 0 && n->unit[HAL_UNIT_IO].timeouts > 0;
}
static bool deaf_y_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->unit[HAL_UNIT_DRIVE_Y].age_ms > 0;
}
static bool drive_fault_w_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->drive[HAL_AXIS_W].fault_code == 77 &&
	       (n->drive[HAL_AXIS_W].status & HAL_STATUS_FAULT);
}
static bool stuck_y_end_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return hal_in(n, HAL_IN_Y_END);
}
static bool encoder_loss_y_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->drive[HAL_AXIS_Y].actual_position_raw == b->drive[HAL_AXIS_Y].actual_position_raw;
}
static bool over_temp_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->io.heater_raw[HAL_HEATER_CALVES] == 480;
}
static bool estop_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return hal_in(n, HAL_IN_ESTOP) && n->estop_presses == b->estop_presses + 1;
}
static bool unoccupied_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return !hal_in(n, HAL_IN_OCCUPIED);
}
static bool supply_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->io.supply_raw == 180;
}
static bool trapped_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->io.back_current_ma == 6000;
}

static bool recline_stuck_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->io.back_current_ma == 1500 && n->io.back_angle_raw == b->io.back_angle_raw;
}
static bool drive_over_temp_seen(const struct hal_inputs *b, const struct hal_inputs *n)
{
	return n->drive[HAL_AXIS_W].temperature_raw >= b->drive[HAL_AXIS_W].temperature_raw + 500;
}

/* Faults of the Modbus line, which the in-process simulator does not have. */
static bool wire_only(int kind)
{
	return kind == SIM_FAULT_LATE || kind == SIM_FAULT_EXCEPTION || kind == SIM_FAULT_BAD_CRC;
}

/* Wire faults keep their schedule and value for chairsim to look up, and change nothing
 * the in-process image shows. */
static void test_wire_faults_are_scheduled_not_simulated(void **state)
{
	(void)state;
	const struct sim_fault wire[] = {
		{SIM_FAULT_LATE, HAL_UNIT_DRIVE_Z, 50, 0, 0},
		{SIM_FAULT_EXCEPTION, -1, 4, 0, 0},
		{SIM_FAULT_BAD_CRC, -1, 5, 0, 0},
	};
	for (size_t i = 0; i < sizeof(wire) / sizeof(wire[0]); i++) {
		assert_true(wire_only(wire[i].kind));
		struct sim plain, s;
		chair_at(&plain, 400.0, 0.0);
		chair_at(&s, 400.0, 0.0);
		struct sim_fault f = wire[i];
		f.at_ms = s.time_ms + 50;
		f.for_ms = 100;
		assert_int_equal(sim_fault_add(&s, &f), 0);
		struct hal_outputs out = quiet_outputs();
		run_ms(&plain, &out, 100);
		run_ms(&s, &out, 100);
		struct hal_inputs a = read_now(&plain), b = read_now(&s);
		assert_memory_equal(&a, &b, sizeof(a));
		int target = f.target == -1 ? HAL_UNIT_DRIVE_K : f.target, value = 0;
		assert_true(sim_fault_active(&s, f.kind, target, s.time_ms, &value));
		assert_int_equal(value, f.value);
		assert_false(sim_fault_active(&s, f.kind, target, s.time_ms + 100, NULL));
	}
	struct sim_fault bad = {SIM_FAULT_EXCEPTION, HAL_UNIT_DRIVE_Z, 12, 0, 0};
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	assert_int_equal(sim_fault_add(&s, &bad), -EINVAL); /* libmodbus knows 1..11 */
}

static void test_every_fault_kind_is_observable_in_read(void **state)
{
	const struct fault_case cases[SIM_FAULT_KIND_COUNT] = {
		[SIM_FAULT_UNIT_SILENT] = {{SIM_FAULT_UNIT_SILENT, HAL_UNIT_IO, 0, 0, 0},
					   silent_io_seen},
		[SIM_FAULT_UNIT_DEAF] = {{SIM_FAULT_UNIT_DEAF, HAL_UNIT_DRIVE_Y, 0, 0, 0},
					 deaf_y_seen},
		[SIM_FAULT_DRIVE_FAULT] = {{SIM_FAULT_DRIVE_FAULT, HAL_AXIS_W, 77, 0, 0},
					   drive_fault_w_seen},
		[SIM_FAULT_STUCK_SWITCH] = {{SIM_FAULT_STUCK_SWITCH, HAL_IN_Y_END, 1, 0, 0},
					    stuck_y_end_seen},
		[SIM_FAULT_ENCODER_LOSS] = {{SIM_FAULT_ENCODER_LOSS, HAL_AXIS_Y, 0, 0, 0},
					    encoder_loss_y_seen},
		[SIM_FAULT_OVER_TEMP] = {{SIM_FAULT_OVER_TEMP, HAL_HEATER_CALVES, 480, 0, 0},
					 over_temp_seen},
		[SIM_FAULT_ESTOP] = {{SIM_FAULT_ESTOP, -1, 0, 0, 0}, estop_seen},
		[SIM_FAULT_UNOCCUPIED] = {{SIM_FAULT_UNOCCUPIED, -1, 0, 0, 0}, unoccupied_seen},
		[SIM_FAULT_SUPPLY] = {{SIM_FAULT_SUPPLY, -1, 180, 0, 0}, supply_seen},
		[SIM_FAULT_TRAPPED] = {{SIM_FAULT_TRAPPED, 0, 0, 0, 0}, trapped_seen},
		[SIM_FAULT_RECLINE_STUCK] = {{SIM_FAULT_RECLINE_STUCK, 0, 0, 0, 0},
					     recline_stuck_seen},
		[SIM_FAULT_DRIVE_OVER_TEMP] = {{SIM_FAULT_DRIVE_OVER_TEMP, HAL_AXIS_W, 900, 0, 0},
					       drive_over_temp_seen},
	};
	for (int k = 0; k < SIM_FAULT_KIND_COUNT; k++) {
		if (wire_only(k))
			continue; /* chairsim's: test_wire_faults_are_scheduled_not_simulated */
		assert_non_null(cases[k].seen);
		struct sim s;
		chair_at(&s, 400.0, 0.0);
		struct hal_outputs out = quiet_outputs();
		command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 500, 0);
		hal_out_set(&out, HAL_OUT_BACK_DOWN, true);
		run_ms(&s, &out, 100);
		struct hal_inputs before = read_now(&s);
		/* A frozen reading (encoder, recline angle) looks the same before and now. */
		bool frozen = k == SIM_FAULT_ENCODER_LOSS || k == SIM_FAULT_RECLINE_STUCK;
		assert_false(cases[k].seen(&before, &before) && !frozen);

		struct sim_fault f = cases[k].fault;
		f.at_ms = s.time_ms;
		f.for_ms = 200;
		assert_int_equal(sim_fault_add(&s, &f), 0);
		run_ms(&s, &out, 100);
		struct hal_inputs now = read_now(&s);
		assert_true(cases[k].seen(&before, &now));
		run_ms(&s, &out, 200);
		struct hal_inputs after = read_now(&s);
		assert_false(cases[k].seen(&now, &after) && k != SIM_FAULT_DRIVE_FAULT);
	}
}

static void test_silent_unit_ages_one_per_ms_and_freezes_its_inputs(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 500, 0);
	run_ms(&s, &out, 100);
	struct sim_fault f = fault(SIM_FAULT_UNIT_SILENT, HAL_UNIT_DRIVE_Y, 0, s.time_ms, 300);
	assert_int_equal(sim_fault_add(&s, &f), 0);
	struct hal_inputs first = read_now(&s);
	for (uint32_t ms = 1; ms <= 300; ms++) {
		sim_step_1ms(&s, &out);
		struct hal_inputs in = read_now(&s);
		assert_int_equal(in.unit[HAL_UNIT_DRIVE_Y].age_ms, ms);
		assert_int_equal(in.unit[HAL_UNIT_DRIVE_Z].age_ms, 0);
		assert_memory_equal(&in.drive[HAL_AXIS_Y], &first.drive[HAL_AXIS_Y],
				    sizeof(first.drive[0]));
	}
	/* it still heard every write, so its watchdog never tripped */
	assert_int_equal(s.drive[HAL_AXIS_Y].fault_code, 0);
	sim_step_1ms(&s, &out);
	struct hal_inputs in = read_now(&s);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_Y].age_ms, 0);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_Y].timeouts, 300);
	assert_true(in.drive[HAL_AXIS_Y].actual_position_raw >
		    first.drive[HAL_AXIS_Y].actual_position_raw + 140);
}

static void test_encoder_loss_costs_counts_on_incremental_axes(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct hal_outputs out = quiet_outputs();
	command(&out, HAL_AXIS_Y, HAL_MODE_VELOCITY, 0, 500, 0);
	run_ms(&s, &out, 500);
	double offset_before = s.drive[HAL_AXIS_Y].encoder_offset;
	struct sim_fault f = fault(SIM_FAULT_ENCODER_LOSS, HAL_AXIS_Y, 0, s.time_ms, 1000);
	assert_int_equal(sim_fault_add(&s, &f), 0);
	run_ms(&s, &out, 1100);
	/* 50 mm travelled unseen: the encoder's zero moved by as much */
	assert_true(fabs(s.drive[HAL_AXIS_Y].encoder_offset - offset_before - 50.0) < 0.5);
}

static void test_fault_parse_accepts_good_lines(void **state)
{
	struct sim_fault f;
	assert_int_equal(sim_fault_parse("unit_silent drive_z 0 5000", &f), 0);
	assert_int_equal(f.kind, SIM_FAULT_UNIT_SILENT);
	assert_int_equal(f.target, HAL_UNIT_DRIVE_Z);
	assert_int_equal(f.at_ms, 5000);
	assert_int_equal(f.for_ms, 0);

	assert_int_equal(sim_fault_parse("estop - 0 3000 200", &f), 0);
	assert_int_equal(f.kind, SIM_FAULT_ESTOP);
	assert_int_equal(f.target, -1);
	assert_int_equal(f.for_ms, 200);

	assert_int_equal(sim_fault_parse("  drive_fault Z 0x2310 100 50\n", &f), 0);
	assert_int_equal(f.target, HAL_AXIS_Z);
	assert_int_equal(f.value, 0x2310);

	const struct {
		const char *line;
		enum sim_fault_kind kind;
		int target, value;
	} good[] = {
		{"unit_deaf io 0 0", SIM_FAULT_UNIT_DEAF, HAL_UNIT_IO, 0},
		{"unit_deaf dio 0 0", SIM_FAULT_UNIT_DEAF, HAL_UNIT_DIO, 0},
		{"stuck_switch y_home 1 0", SIM_FAULT_STUCK_SWITCH, HAL_IN_Y_HOME, 1},
		{"stuck_switch estop_n 0 10", SIM_FAULT_STUCK_SWITCH, HAL_IN_ESTOP, 0},
		{"encoder_loss y 0 10", SIM_FAULT_ENCODER_LOSS, HAL_AXIS_Y, 0},
		{"over_temp lumbar 450 1000", SIM_FAULT_OVER_TEMP, HAL_HEATER_LUMBAR, 450},
		{"over_temp calves -50 1", SIM_FAULT_OVER_TEMP, HAL_HEATER_CALVES, -50},
		{"unoccupied - 0 1", SIM_FAULT_UNOCCUPIED, -1, 0},
		{"supply - 180 5", SIM_FAULT_SUPPLY, -1, 180},
		{"trapped leg 0 7", SIM_FAULT_TRAPPED, 1, 0},
		{"trapped - 0 7\t100", SIM_FAULT_TRAPPED, -1, 0},
		{"recline_stuck back 0 7", SIM_FAULT_RECLINE_STUCK, 0, 0},
		{"recline_stuck - 0 7", SIM_FAULT_RECLINE_STUCK, -1, 0},
		{"drive_over_temp Z 850 100", SIM_FAULT_DRIVE_OVER_TEMP, HAL_AXIS_Z, 850},
		{"late drive_z 50 20000 3000", SIM_FAULT_LATE, HAL_UNIT_DRIVE_Z, 50},
		{"exception - 4 2000 500", SIM_FAULT_EXCEPTION, -1, 4},
		{"bad_crc - 5 3000 1000", SIM_FAULT_BAD_CRC, -1, 5},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(sim_fault_parse(good[i].line, &f), 0);
		assert_int_equal(f.kind, good[i].kind);
		assert_int_equal(f.target, good[i].target);
		assert_int_equal(f.value, good[i].value);
	}
	for (int k = 0; k < SIM_FAULT_KIND_COUNT; k++)
		assert_true(strlen(sim_fault_kind_name((enum sim_fault_kind)k)) > 2);
	assert_string_equal(sim_fault_kind_name(SIM_FAULT_UNIT_SILENT), "unit_silent");
	assert_string_equal(sim_fault_kind_name(SIM_FAULT_KIND_COUNT), "?");
}

static void test_fault_parse_rejects_bad_lines_and_leaves_the_fault_alone(void **state)
{
	const char *bad[] = {
		"",
		"   ",
		"estop",
		"estop -",
		"estop - 0",
		"bogus - 0 0",
		"ESTOP - 0 0",
		"estop drive_z 0 0",
		"unit_silent - 0 0",
		"unit_silent drive_q 0 0",
		"unit_silent Z 0 0",
		"drive_fault drive_z 5 0",
		"drive_fault Z 0 0",
		"drive_fault Z 70000 0",
		"drive_fault Z 12x 0",
		"drive_fault Z 0x 0",
		"stuck_switch y_home 2 0",
		"stuck_switch nowhere 1 0",
		"over_temp lumbar 40000 0",
		"over_temp neck 400 0",
		"supply - -1 0",
		"trapped arm 0 0",
		"late drive_z -1 0",
		"late drive_z 60001 0",
		"exception drive_z 0 0",
		"exception drive_z 12 0",
		"bad_crc - 101 0",
		"bad_crc drive_z 5 0",
		"estop - 0 -5",
		"estop - 0 +5",
		"estop - 0 1e3",
		"estop - 0 10 20 30",
		"estop - 0 10 x",
		"estop - 0 99999999999999999999999",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sim_fault f = fault(SIM_FAULT_SUPPLY, 9, 9, 9, 9);
		assert_int_equal(sim_fault_parse(bad[i], &f), -EINVAL);
		assert_int_equal(f.kind, SIM_FAULT_SUPPLY);
		assert_int_equal(f.target, 9);
		assert_int_equal(f.at_ms, 9);
	}
	struct sim_fault f;
	assert_int_equal(sim_fault_parse(NULL, &f), -EINVAL);
	char long_line[400];
	memset(long_line, ' ', sizeof(long_line));
	memcpy(long_line, "estop - 0 1", 11);
	long_line[sizeof(long_line) - 1] = '\0';
	assert_int_equal(sim_fault_parse(long_line, &f), -EINVAL);
}

static void test_fault_add_rejects_bad_faults_and_a_full_table(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct sim_fault f = fault(SIM_FAULT_KIND_COUNT, 0, 0, 0, 0);
	assert_int_equal(sim_fault_add(&s, &f), -EINVAL);
	f = fault(SIM_FAULT_UNIT_SILENT, HAL_UNIT_COUNT, 0, 0, 0);
	assert_int_equal(sim_fault_add(&s, &f), -EINVAL);
	f = fault(SIM_FAULT_DRIVE_FAULT, -1, 5, 0, 0);
	assert_int_equal(sim_fault_add(&s, &f), -EINVAL);
	f = fault(SIM_FAULT_TRAPPED, 2, 0, 0, 0);
	assert_int_equal(sim_fault_add(&s, &f), -EINVAL);
	assert_int_equal(s.fault_count, 0);
	f = fault(SIM_FAULT_ESTOP, 0, 0, 1000000, 0); /* the target of estop is ignored */
	for (int i = 0; i < SIM_FAULT_MAX; i++)
		assert_int_equal(sim_fault_add(&s, &f), 0);
	assert_int_equal(sim_fault_add(&s, &f), -ENOSPC);
	assert_true(sim_fault_active(&s, SIM_FAULT_ESTOP, -1, 1000000, NULL));
	assert_false(sim_fault_active(&s, SIM_FAULT_ESTOP, -1, 999999, NULL));
}

static void test_trapped_recline_draws_a_current_spike_and_stalls(void **state)
{
	struct sim s;
	chair_at(&s, 400.0, 0.0);
	struct sim_fault f = fault(SIM_FAULT_TRAPPED, 1, 0, 0, 0);
	assert_int_equal(sim_fault_add(&s, &f), 0);
	struct hal_outputs out = quiet_outputs();
	hal_out_set(&out, HAL_OUT_LEG_UP, true);
	hal_out_set(&out, HAL_OUT_BACK_DOWN, true);
	run_ms(&s, &out, 500);
	struct hal_inputs in = read_now(&s);
	assert_int_equal(in.io.leg_current_ma, 6000);
	assert_int_equal(in.io.leg_angle_raw, 100);
	assert_int_equal(in.io.back_current_ma, 1500);
	hal_out_set(&out, HAL_OUT_LEG_UP, false);
	run_ms(&s, &out, 1);
	assert_int_equal(read_now(&s).io.leg_current_ma, 0);
}

/* ---- the backend ---- */

static void test_hal_sim_backend_runs_in_lockstep(void **state)
{
	static struct hal_sim hs;
	struct hal_backend b;
	struct hal_config cfg;
	char err[128] = "";
	hal_sim_bind(&hs, &b);
	hal_config_defaults(&cfg);
	cfg.sim_seed = 0;
	assert_int_equal(b.open(b.ctx, &cfg, err, sizeof(err)), 0);
	struct sim *s = hal_sim_get(&hs);
	assert_true(s->person.height_cm == 175.0);
	assert_int_equal(s->time_ms, 0);

	/* a loaded roller, then the safe outputs release it */
	s->drive[HAL_AXIS_Y].position = s->person.landmark_y_mm[SIM_LM_T8];
	s->drive[HAL_AXIS_Z].position = 40.0;
	struct hal_inputs in;
	struct hal_outputs safe;
	hal_safe_outputs(&safe, 2000);
	for (int ms = 0; ms < 500; ms++) {
		assert_int_equal(b.read(b.ctx, &in), 0);
		assert_int_equal(b.safe(b.ctx, &safe), 0);
	}
	assert_int_equal(s->time_ms, 500);
	assert_int_equal(b.read(b.ctx, &in), 0);
	assert_true(hal_in(&in, HAL_IN_Z_HOME));
	assert_int_equal(in.drive[HAL_AXIS_Z].actual_force_raw, 0);
	assert_true(in.io.airbag_raw[HAL_AIRBAG_SEAT] == 0);

	struct hal_outputs out = quiet_outputs();
	assert_int_equal(b.write(b.ctx, &out), 0);
	assert_int_equal(s->time_ms, 501);
	b.close(b.ctx);

	cfg.sim_seed = 99;
	assert_int_equal(b.open(b.ctx, &cfg, err, sizeof(err)), 0);
	struct sim_person p;
	sim_person_random(&p, 99);
	assert_true(s->person.height_cm == p.height_cm);
	assert_int_equal(b.open(b.ctx, NULL, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
}

/* ---- Z's self-locking depth gear: only the motor moves the roller ---- */

/* How the Z drive loses its hold on the body, for the tables below. */
enum z_powerless {
	Z_DISABLED,           /* enable bit off, drive_enable line on */
	Z_UNPOWERED,          /* drive_enable line off: safe torque off */
	Z_LIMIT_ZERO,         /* current_limit 0: the drive's own 5 A, which holds 160 N */
	Z_LIMIT_BELOW_HOLD,   /* current_limit 1 mA, below the 200 mA it takes to hold at all */
	Z_WATCHDOG_UNPOWERED, /* the writes stop with drive_enable off: comm watchdog trips */
	Z_POWERLESS_COUNT
};

static const char *const z_powerless_name[Z_POWERLESS_COUNT] = {
	"disabled", "unpowered", "current limit 0", "current limit 1 mA",
	"watchdog tripped with drive_enable off",
};

/* The default person's mid back pressed with 30 N, then held still in velocity mode (so
 * the drive itself never moves the roller back), the gear as back_drivable says. */
static void hold_30n(struct sim *s, struct hal_outputs *out, bool back_drivable)
{
	struct sim_person p;
	sim_person_default(&p);
	chair_at(s, p.landmark_y_mm[SIM_LM_T8], 0.0);
	s->drive[HAL_AXIS_Z].back_drivable = back_drivable;
	*out = quiet_outputs();
	command(out, HAL_AXIS_Z, HAL_MODE_FORCE, 0, 0, 300);
	run_ms(s, out, 2000);
	command(out, HAL_AXIS_Z, HAL_MODE_VELOCITY, 0, 0, 300);
	run_ms(s, out, 100);
	assert_true(fabs(s->contact_force_n - 30.0) < 1.0);
}

/* What 2 s of the body pressing on a Z that lost its hold did to the roller. */
struct z_after {
	double z0_mm, f0_n;     /* when it lost its hold */
	double z_min_mm, z_max_mm, f_min_n; /* over the 2 s, every ms */
	double z_mm, f_n;       /* at the end */
};

/* Take Z's hold away as how says, then 2 s with the body pressing, watched every ms. */
static struct z_after run_powerless(struct sim *s, struct hal_outputs *out, enum z_powerless how)
{
	struct z_after r = {.z0_mm = s->drive[HAL_AXIS_Z].position, .f0_n = s->contact_force_n};
	r.z_min_mm = r.z_max_mm = r.z0_mm;
	r.f_min_n = r.f0_n;
	struct hal_drive_out *z = &out->drive[HAL_AXIS_Z];
	bool writes = true;
	switch (how) {
	case Z_DISABLED:
		z->control = 0;
		break;
	case Z_UNPOWERED:
		hal_out_set(out, HAL_OUT_DRIVE_ENABLE, false);
		break;
	case Z_LIMIT_ZERO:
		z->current_limit_ma = 0;
		break;
	case Z_LIMIT_BELOW_HOLD:
		z->current_limit_ma = 1;
		break;
	case Z_WATCHDOG_UNPOWERED:
		/* The last write turns the line off; then nothing more arrives. */
		hal_out_set(out, HAL_OUT_DRIVE_ENABLE, false);
		sim_step_1ms(s, out);
		writes = false;
		break;
	case Z_POWERLESS_COUNT:
		break;
	}
	for (int ms = 0; ms < 2000; ms++) {
		if (writes)
			sim_step_1ms(s, out);
		else
			sim_advance_1ms(s);
		double z_mm = s->drive[HAL_AXIS_Z].position;
		r.z_min_mm = fmin(r.z_min_mm, z_mm);
		r.z_max_mm = fmax(r.z_max_mm, z_mm);
		r.f_min_n = fmin(r.f_min_n, s->contact_force_n);
	}
	r.z_mm = s->drive[HAL_AXIS_Z].position;
	r.f_n = s->contact_force_n;
	if (how == Z_WATCHDOG_UNPOWERED)
		assert_int_equal(s->drive[HAL_AXIS_Z].fault_code, SIM_DRIVE_FAULT_COMM_TIMEOUT);
	return r;
}

static void test_self_locking_z_is_never_pushed_back_by_the_body(void **state)
{
	for (int how = 0; how < Z_POWERLESS_COUNT; how++) {
		struct sim s;
		struct hal_outputs out;
		hold_30n(&s, &out, false);
		struct z_after r = run_powerless(&s, &out, (enum z_powerless)how);
		if (!(r.z_min_mm >= r.z0_mm && r.f_min_n >= r.f0_n))
			print_error("%s: z %.4f mm, down to %.4f; force %.2f N, down to %.2f\n",
				z_powerless_name[how], r.z0_mm, r.z_min_mm, r.f0_n, r.f_min_n);
		/* Not a µm back, and the true force stays: only the motor retracts it. */
		assert_true(r.z_min_mm >= r.z0_mm);
		assert_true(r.f_min_n >= r.f0_n);
		assert_true(r.z_max_mm < r.z0_mm + 0.4);
		assert_true(r.f_n > 29.0);
	}
}

static void test_back_drivable_z_is_pushed_back_unless_its_current_holds(void **state)
{
	for (int how = 0; how < Z_POWERLESS_COUNT; how++) {
		struct sim s;
		struct hal_outputs out;
		hold_30n(&s, &out, true);
		struct z_after r = run_powerless(&s, &out, (enum z_powerless)how);
		if (how == Z_LIMIT_ZERO) {
			/* 5 A holds the 30 N: the drive keeps it, gear or no gear. */
			assert_true(r.z_min_mm >= r.z0_mm - 0.01);
			assert_true(r.f_n > 29.0);
			continue;
		}
		if (!(r.z_mm < r.z0_mm - 3.0 && r.f_n < 5.0))
			print_error("%s: z %.2f -> %.2f mm, force %.2f -> %.2f N\n",
				z_powerless_name[how], r.z0_mm, r.z_mm, r.f0_n, r.f_n);
		assert_true(r.z_mm < r.z0_mm - 3.0);
		assert_true(r.f_n < 5.0);
	}
}

static void test_unpowered_z_stops_within_0_4mm_from_its_top_speed(void **state)
{
	const int speeds_raw[] = {300, 2500}; /* 30 mm/s pressing, 250 mm/s the drive's top */
	for (size_t i = 0; i < 2; i++) {
		struct sim s;
		chair_at(&s, 0.0, 20.0); /* above the neck: no body in the way */
		struct hal_outputs out = quiet_outputs();
		command(&out, HAL_AXIS_Z, HAL_MODE_VELOCITY, 0, speeds_raw[i], 0);
		run_ms(&s, &out, 100);
		assert_true(fabs(s.drive[HAL_AXIS_Z].velocity - speeds_raw[i] / 10.0) < 1.0);
		double z0_mm = s.drive[HAL_AXIS_Z].position;
		hal_out_set(&out, HAL_OUT_DRIVE_ENABLE, false);
		run_ms(&s, &out, 5);
		assert_true(s.drive[HAL_AXIS_Z].velocity == 0.0);
		double z_mm = s.drive[HAL_AXIS_Z].position;
		run_ms(&s, &out, 500);
		assert_true(s.drive[HAL_AXIS_Z].position == z_mm);
		assert_true(z_mm - z0_mm < 0.4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_and_outputs_give_identical_inputs_after_10s),
		cmocka_unit_test(test_different_seeds_give_different_inputs),
		cmocka_unit_test(test_person_ranges_and_order_hold_over_200_seeds),
		cmocka_unit_test(test_default_person_is_175cm_with_a_45n_tender_point_at_l4),
		cmocka_unit_test(test_zone_at_follows_zone_starts),
		cmocka_unit_test(test_contact_is_zero_above_the_neck_and_rises_with_depth),
		cmocka_unit_test(test_contact_force_never_jumps_as_y_sweeps_the_body),
		cmocka_unit_test(test_force_rises_at_the_shoulder_line),
		cmocka_unit_test(test_too_much_at_a_tender_point_and_at_the_general_limit),
		cmocka_unit_test(test_velocity_mode_tracks_target),
		cmocka_unit_test(test_position_mode_reaches_target_without_overshoot),
		cmocka_unit_test(test_rotary_position_wraps_at_360_degrees),
		cmocka_unit_test(test_z_stops_extending_at_its_force_limit),
		cmocka_unit_test(test_z_force_mode_regulates_contact_force),
		cmocka_unit_test(test_comm_watchdog_disables_drives_and_z_retracts_under_5n),
		cmocka_unit_test(test_deaf_z_drive_retracts_itself_and_stays_faulted),
		cmocka_unit_test(test_drive_fault_latches_until_reset_after_it_ends),
		cmocka_unit_test(test_drive_enable_line_off_is_safe_torque_off),
		cmocka_unit_test(test_z_current_and_temperature_grow_with_contact_force),
		cmocka_unit_test(test_encoder_reads_true_position_minus_seeded_offset),
		cmocka_unit_test(test_switches_sit_at_their_positions),
		cmocka_unit_test(test_airbags_fill_hold_and_vent),
		cmocka_unit_test(test_heater_reaches_40c_in_2_to_3_min_under_a_duty_cycle),
		cmocka_unit_test(test_recline_moves_and_hits_its_limit_switches),
		cmocka_unit_test(test_supply_reads_24v_with_tiny_noise),
		cmocka_unit_test(test_dio_watchdog_puts_every_coil_safe_200ms_after_the_last_request),
		cmocka_unit_test(test_dio_watchdog_holds_the_safe_state_until_written_again),
		cmocka_unit_test(test_dio_watchdog_at_zero_is_off_and_the_coils_stay),
		cmocka_unit_test(test_reads_alone_feed_the_dio_watchdog),
		cmocka_unit_test(test_deaf_dio_module_goes_safe_while_the_controller_still_writes),
		cmocka_unit_test(test_charge_pump_cuts_heaters_and_pump_50ms_after_the_heartbeat_stops),
		cmocka_unit_test(test_charge_pump_pulls_in_again_once_the_heartbeat_toggles),
		cmocka_unit_test(test_without_a_charge_pump_the_heartbeat_changes_nothing),
		cmocka_unit_test(test_every_fault_kind_is_observable_in_read),
		cmocka_unit_test(test_wire_faults_are_scheduled_not_simulated),
		cmocka_unit_test(test_silent_unit_ages_one_per_ms_and_freezes_its_inputs),
		cmocka_unit_test(test_encoder_loss_costs_counts_on_incremental_axes),
		cmocka_unit_test(test_fault_parse_accepts_good_lines),
		cmocka_unit_test(test_fault_parse_rejects_bad_lines_and_leaves_the_fault_alone),
		cmocka_unit_test(test_fault_add_rejects_bad_faults_and_a_full_table),
		cmocka_unit_test(test_trapped_recline_draws_a_current_spike_and_stalls),
		cmocka_unit_test(test_hal_sim_backend_runs_in_lockstep),
		/* Z's self-locking depth gear */
		cmocka_unit_test(test_self_locking_z_is_never_pushed_back_by_the_body),
		cmocka_unit_test(test_back_drivable_z_is_pushed_back_unless_its_current_holds),
		cmocka_unit_test(test_unpowered_z_stops_within_0_4mm_from_its_top_speed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
