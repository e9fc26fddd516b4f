/* The safety supervisor against injected faults: the safe state in the same tick, the
 * body released within 150 ms, one fault code per cause in the log, latches that only an
 * acknowledge clears, and only once the cause is gone. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/program_load.h"
#include "rig.h"

/* Schedule f from the next ms on, until end_fault; returns its index in the table. */
static int add_fault_now(struct sim *s, struct sim_fault f)
{
	f.at_ms = s->time_ms + 1;
	f.for_ms = 0;
	assert_int_equal(sim_fault_add(s, &f), 0);
	return s->fault_count - 1;
}

/* Take a fault that has started away from now on: the cause is gone. */
static void end_fault(struct sim *s, int idx)
{
	struct sim_fault *f = &s->fault[idx];
	assert_true(s->time_ms > f->at_ms);
	f->for_ms = s->time_ms - f->at_ms;
}

/* Tick until the latch holds, at most max_ticks; the tick that latched must already have
 * written the safe state. Returns the number of ticks it took. */
static uint64_t tick_until_latched(struct rig *r, uint64_t max_ticks)
{
	struct ctl *c = rig_ctl(r);
	for (uint64_t i = 1; i <= max_ticks; i++) {
		lockstep_tick(&r->ls);
		if (c->safety.latched) {
			assert_true(rig_outputs_safe(&r->ls.out));
			return i;
		}
	}
	fail_msg("never latched in %llu ticks", (unsigned long long)max_ticks);
	return 0;
}

/* For ticks more: still latched on the same first fault, and writing the safe state. */
static void assert_held(struct rig *r, enum fault_code code, uint64_t ticks)
{
	struct ctl *c = rig_ctl(r);
	for (uint64_t i = 0; i < ticks; i++) {
		lockstep_tick(&r->ls);
		assert_true(c->safety.latched);
		assert_true(c->state == ST_FAULT || c->state == ST_ESTOP);
		assert_int_equal(c->safety.first.code, code);
		assert_true(rig_outputs_safe(&r->ls.out) || code == FAULT_TRAPPED);
	}
}

/* An acknowledge while the cause is present: refused, and the latch holds. */
static void assert_ack_refused(struct rig *r, enum fault_code code)
{
	assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
	assert_held(r, code, 300); /* longer than the acknowledge window */
	assert_int_equal(rig_ctl(r)->cmd_result, CMD_E_CAUSE);
}

/* With the cause gone the latch still never clears by itself; an acknowledge clears it. */
static void assert_held_until_acked(struct rig *r, enum fault_code code)
{
	struct ctl *c = rig_ctl(r);
	assert_held(r, code, 3000);
	assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
	for (int i = 0; i < 300 && c->state != ST_IDLE; i++)
		lockstep_tick(&r->ls);
	assert_int_equal(c->state, ST_IDLE);
	assert_false(c->safety.latched);
}

/* The sim backend behind a hand that can break it: reads or writes that fail, a load
 * cell that reads what the test says. */
struct tamper {
	struct hal_backend be;     /* what lockstep calls */
	struct hal_backend *inner; /* the sim backend */
	bool fail_read;            /* as a failed GPIO bulk read: -EIO, the image untouched */
	bool fail_write;
	int z_force_raw;           /* >= 0: the Z load cell reads this (0.1 N) */
	uint32_t z_exceptions;     /* added to the Z unit's exception count: an exception
				    * answered and cleared again between two reads */
};

static int tamper_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	struct tamper *t = ctx;
	return t->inner->open(t->inner->ctx, cfg, err, err_len);
}

static int tamper_read(void *ctx, struct hal_inputs *in)
{
	struct tamper *t = ctx;
	if (t->fail_read)
		return -EIO;
	int rc = t->inner->read(t->inner->ctx, in);
	if (rc >= 0 && t->z_force_raw >= 0)
		in->drive[HAL_AXIS_Z].actual_force_raw = (uint16_t)t->z_force_raw;
	if (rc >= 0 && t->z_exceptions) {
		struct hal_unit_status *st = &in->unit[HAL_UNIT_DRIVE_Z];
		st->exceptions += t->z_exceptions;
		st->last_exception = 4; /* server device failure, on the control register */
		st->last_exception_reg = 0;
	}
	return rc;
}

static int tamper_write(void *ctx, const struct hal_outputs *out)
{
	struct tamper *t = ctx;
	int rc = t->inner->write(t->inner->ctx, out);
	return t->fail_write ? -EIO : rc;
}

static void tamper_close(void *ctx)
{
	struct tamper *t = ctx;
	t->inner->close(t->inner->ctx);
}

/* Put t between the rig's lockstep loop and its sim backend. */
static void tamper_insert(struct tamper *t, struct rig *r)
{
	memset(t, 0, sizeof(*t));
	t->inner = r->ls.be;
	t->z_force_raw = -1;
	t->be = (struct hal_backend){.name = "tamper", .ctx = t, .open = tamper_open,
				     .read = tamper_read, .write = tamper_write,
				     .safe = tamper_write, .close = tamper_close};
	r->ls.be = &t->be;
}

/* A chair pressing 40 N into the person's lumbar, with heat and airbags on. */
static struct rig *pressing_rig(uint64_t seed)
{
	struct rig *r = rig_open(seed);
	assert_true(lockstep_home(&r->ls, 20000));
	double y = rig_lumbar_y_mm(r);
	assert_true(rig_move_to(r, y, 20000));
	struct motion_targets t;
	targets_rest(&t, y);
	t.z_mode = Z_FORCE;
	t.z_force_n = 40;
	t.knead_rpm = 30;
	t.heat_c[HAL_HEATER_LUMBAR] = 40;
	t.airbag_kpa[HAL_AIRBAG_CALVES] = 20;
	rig_manual(r, &t);
	rig_ticks(r, 3000);
	assert_true(fabs(rig_ctl(r)->est.force_n - 40) < 3);
	return r;
}

struct fault_case {
	const char *name;
	struct sim_fault fault;
	enum fault_code expect;
	int expect_where;
};

/* Inject, then follow tick by tick: the tick that latches must already write safe
 * outputs, and the force must be under 5 N within 150 ms of it. */
static void run_fault_case(const struct fault_case *fc)
{
	struct rig *r = pressing_rig(21);
	struct ctl *c = rig_ctl(r);
	struct sim *s = rig_sim(r);
	int idx = add_fault_now(s, fc->fault);
	uint64_t latched_tick = 0;
	bool released = false;
	for (int i = 0; i < 5000 && !released; i++) {
		lockstep_tick(&r->ls);
		if (!latched_tick && c->safety.latched) {
			latched_tick = c->tick;
			assert_true(rig_outputs_safe(&r->ls.out));
		}
		if (latched_tick) {
			assert_true(rig_outputs_safe(&r->ls.out) || fc->expect == FAULT_TRAPPED);
			if (s->contact_force_n < 5) {
				released = true;
				double after_ms = (double)(c->tick - latched_tick);
				/* The figure docs/safety.md quotes for this fault. */
				fprintf(stderr, "release: %s: true force under 5 N %.0f ms after the latch\n",
					fc->name, after_ms);
				assert_true(after_ms <= 150);
			}
		}
	}
	if (!latched_tick)
		fprintf(stderr, "%s: never latched\n", fc->name);
	assert_true(latched_tick);
	assert_true(released);
	assert_int_equal(c->safety.first.code, fc->expect);
	if (fc->expect_where >= 0)
		assert_int_equal(c->safety.first.where, fc->expect_where);
	/* Index 0 is the newest record: the fault that tripped, nothing logged after it. */
	const struct fault_record *newest = fault_log_get(&c->safety.log, 0);
	assert_non_null(newest);
	assert_int_equal(newest->code, fc->expect);
	assert_int_equal(newest->tick, c->safety.first.tick);
	char text[160];
	assert_true(fault_describe(newest, text, sizeof(text)) > 0);
	end_fault(s, idx);
	assert_held_until_acked(r, fc->expect);
	rig_close(r);
}

static void test_estop_mid_press_safe_same_tick_released_within_150ms(void **state)
{
	(void)state;
	struct fault_case fc = {"estop", {.kind = SIM_FAULT_ESTOP, .target = -1},
				FAULT_ESTOP, -1};
	run_fault_case(&fc);
}

/* Every fault the simulator can inject while the roller presses, with the code it must
 * latch. */
static const struct fault_case release_cases[] = {
	{"drive Z fault", {.kind = SIM_FAULT_DRIVE_FAULT, .target = HAL_AXIS_Z, .value = 17},
	 FAULT_DRIVE, HAL_AXIS_Z},
	{"drive K fault", {.kind = SIM_FAULT_DRIVE_FAULT, .target = HAL_AXIS_K, .value = 5},
	 FAULT_DRIVE, HAL_AXIS_K},
	{"drive Z silent", {.kind = SIM_FAULT_UNIT_SILENT, .target = HAL_UNIT_DRIVE_Z},
	 FAULT_UNIT_STALE, HAL_UNIT_DRIVE_Z},
	{"io module silent", {.kind = SIM_FAULT_UNIT_SILENT, .target = HAL_UNIT_IO},
	 FAULT_UNIT_STALE, HAL_UNIT_IO},
	{"y_end stuck", {.kind = SIM_FAULT_STUCK_SWITCH, .target = HAL_IN_Y_END, .value = 1},
	 FAULT_SWITCH_MISMATCH, HAL_AXIS_Y},
	{"knead encoder lost",
	 {.kind = SIM_FAULT_ENCODER_LOSS, .target = HAL_AXIS_K},
	 FAULT_STALL, HAL_AXIS_K},
	{"lumbar heater hot",
	 {.kind = SIM_FAULT_OVER_TEMP, .target = HAL_HEATER_LUMBAR, .value = 450},
	 FAULT_HEATER_OVER_TEMP, HAL_HEATER_LUMBAR},
	{"person stands up", {.kind = SIM_FAULT_UNOCCUPIED, .target = -1},
	 FAULT_UNOCCUPIED, -1},
	{"supply sags", {.kind = SIM_FAULT_SUPPLY, .target = -1, .value = 170},
	 FAULT_SUPPLY, -1},
	/* Nothing the controller writes arrives: only the drive's own watchdog lets go, 60 ms
	 * after the last write on TCP, before the stale data even latches (100 ms). */
	{"drive Z deaf", {.kind = SIM_FAULT_UNIT_DEAF, .target = HAL_UNIT_DRIVE_Z},
	 FAULT_UNIT_STALE, HAL_UNIT_DRIVE_Z},
};

static void test_every_injected_fault_releases_with_its_own_code(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(release_cases) / sizeof(release_cases[0]); i++)
		run_fault_case(&release_cases[i]);
}

/* The fault of fc with the z_home switch stuck at stuck_value from the same moment: the
 * roller must come off the body (true force under 5 N) within 150 ms of the latch and go
 * home on the true position, whatever the switch says; the switch alone never ends the
 * release. */
static void run_fault_with_z_home_stuck(const struct fault_case *fc, int stuck_value)
{
	struct rig *r = pressing_rig(21);
	struct ctl *c = rig_ctl(r);
	struct sim *s = rig_sim(r);
	add_fault_now(s, (struct sim_fault){.kind = SIM_FAULT_STUCK_SWITCH,
					     .target = HAL_IN_Z_HOME, .value = stuck_value});
	if (fc)
		add_fault_now(s, fc->fault);
	const char *name = fc ? fc->name : "z_home stuck alone";
	uint64_t latched_tick = 0, released_tick = 0;
	for (int i = 0; i < 3000 && !released_tick; i++) {
		lockstep_tick(&r->ls);
		if (!latched_tick && c->safety.latched)
			latched_tick = c->tick;
		if (latched_tick && s->contact_force_n < 5)
			released_tick = c->tick;
	}
	if (!latched_tick || !released_tick || released_tick - latched_tick > 150)
		fprintf(stderr, "%s, z_home stuck at %d: latched %d, released %.0f ms after\n",
			name, stuck_value, latched_tick != 0,
			released_tick ? (double)(released_tick - latched_tick) : -1.0);
	assert_true(latched_tick);
	assert_true(released_tick);
	assert_true(released_tick - latched_tick <= 150);
	rig_ticks(r, 2000);
	assert_true(c->safety.latched);
	assert_true(s->contact_force_n < 0.5);
	assert_true(s->drive[HAL_AXIS_Z].position < 1.0);
	rig_close(r);
}

static void test_stuck_z_home_alone_never_pins_the_person(void **state)
{
	(void)state;
	run_fault_with_z_home_stuck(NULL, 1);
}

static void test_every_fault_releases_with_z_home_stuck_on_or_off(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(release_cases) / sizeof(release_cases[0]); i++) {
		run_fault_with_z_home_stuck(&release_cases[i], 1);
		run_fault_with_z_home_stuck(&release_cases[i], 0);
	}
	const struct fault_case estop = {"estop", {.kind = SIM_FAULT_ESTOP, .target = -1},
					 FAULT_ESTOP, -1};
	run_fault_with_z_home_stuck(&estop, 1);
	run_fault_with_z_home_stuck(&estop, 0);
}

static void test_every_output_line_has_its_safe_value_in_the_one_table(void **state)
{
	(void)state;
	assert_true(hal_safe_table_complete());
}

/* The exceptions a latched chair asks for are taken only where the table allows them. */
static void test_safe_state_takes_only_the_exceptions_its_table_allows(void **state)
{
	(void)state;
	struct hal_outputs out;
	struct hal_safe_request req = {.z_velocity_raw = 500, .back_off_relay = HAL_OUT_HEAT_LUMBAR};
	hal_safe_outputs_with(&out, &req);
	assert_int_equal(out.drive[HAL_AXIS_Z].target_velocity_raw, 0); /* never extends */
	assert_false(hal_out(&out, HAL_OUT_HEAT_LUMBAR));              /* not a recline relay */
	assert_true(rig_outputs_safe(&out));
	req = (struct hal_safe_request){.z_velocity_raw = -2000, .back_off_relay = HAL_OUT_LEG_DOWN,
					.fault_reset = true, .buzzer = true};
	hal_safe_outputs_with(&out, &req);
	assert_int_equal(out.drive[HAL_AXIS_Z].target_velocity_raw, -2000);
	assert_true(hal_out(&out, HAL_OUT_LEG_DOWN));
	assert_false(hal_out(&out, HAL_OUT_LEG_UP));
	assert_true(hal_out(&out, HAL_OUT_BUZZER));
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		assert_true(out.drive[a].control & HAL_CTL_FAULT_RESET);
		assert_int_equal(out.drive[a].control & HAL_CTL_ENABLE, a == HAL_AXIS_Z);
	}
	assert_int_equal(out.drive[HAL_AXIS_Z].target_force_raw, 0);
}

static void test_trapped_legrest_backs_off_then_stops_and_latches(void **state)
{
	(void)state;
	struct rig *r = rig_open(5);
	assert_true(lockstep_home(&r->ls, 20000));
	struct motion_targets t;
	targets_rest(&t, 300);
	t.recline = RECLINE_ZERO_GRAVITY;
	rig_manual(r, &t);
	rig_ticks(r, 2000);
	assert_true(hal_out(&r->ls.out, HAL_OUT_LEG_UP));
	struct sim *s = rig_sim(r);
	struct sim_fault f = {.kind = SIM_FAULT_TRAPPED, .target = 1, .at_ms = s->time_ms + 5,
			      .for_ms = 100};
	assert_int_equal(sim_fault_add(s, &f), 0);
	rig_ticks(r, 50);
	struct ctl *c = rig_ctl(r);
	assert_int_equal(c->safety.first.code, FAULT_TRAPPED);
	assert_int_equal(c->safety.first.where, 1);
	/* Backing off: the legrest runs down, never up. */
	assert_true(hal_out(&r->ls.out, HAL_OUT_LEG_DOWN));
	assert_false(hal_out(&r->ls.out, HAL_OUT_LEG_UP));
	rig_ticks(r, (uint64_t)(r->cfg.recline.backoff_s * 1000) + 10);
	assert_false(hal_out(&r->ls.out, HAL_OUT_LEG_DOWN));
	assert_int_equal(c->state, ST_FAULT);
	rig_close(r);
}

static void test_fault_never_clears_by_itself(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(22);
	struct sim *s = rig_sim(r);
	struct sim_fault f = {.kind = SIM_FAULT_ESTOP, .target = -1, .at_ms = s->time_ms + 1,
			      .for_ms = 50};
	sim_fault_add(s, &f);
	rig_ticks(r, 10000);
	assert_int_equal(rig_ctl(r)->state, ST_ESTOP);
	assert_true(rig_outputs_safe(&r->ls.out));
	rig_close(r);
}

static void test_ack_refused_while_cause_present_then_clears_and_needs_homing(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(23);
	struct sim *s = rig_sim(r);
	struct ctl *c = rig_ctl(r);
	struct sim_fault f = {.kind = SIM_FAULT_ESTOP, .target = -1, .at_ms = s->time_ms + 1,
			      .for_ms = 2000};
	sim_fault_add(s, &f);
	rig_ticks(r, 500);
	assert_int_equal(c->state, ST_ESTOP);
	assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
	rig_ticks(r, 400);
	assert_int_equal(c->state, ST_ESTOP);
	assert_int_equal(c->cmd_result, CMD_E_CAUSE);
	rig_ticks(r, 2000); /* the button is released */
	assert_int_equal(c->state, ST_ESTOP);
	assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
	rig_ticks(r, 5);
	assert_int_equal(c->state, ST_IDLE);
	assert_false(c->est.y_homed);
	struct motion_targets t;
	targets_rest(&t, 300);
	assert_int_equal(rig_manual(r, &t), CMD_E_NOT_HOMED);
	assert_true(lockstep_home(&r->ls, 20000));
	rig_close(r);
}

static void test_drive_fault_acknowledge_resets_the_drive(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(24);
	struct sim *s = rig_sim(r);
	struct ctl *c = rig_ctl(r);
	struct sim_fault f = {.kind = SIM_FAULT_DRIVE_FAULT, .target = HAL_AXIS_Z, .value = 9,
			      .at_ms = s->time_ms + 1, .for_ms = 100};
	sim_fault_add(s, &f);
	rig_ticks(r, 500);
	assert_int_equal(c->state, ST_FAULT);
	assert_int_equal(c->safety.first.value, 9);
	assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
	rig_ticks(r, 300);
	assert_int_equal(c->state, ST_IDLE);
	assert_true(lockstep_home(&r->ls, 20000));
	rig_close(r);
}

static void test_commands_refused_while_latched(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(25);
	struct sim *s = rig_sim(r);
	struct sim_fault f = {.kind = SIM_FAULT_ESTOP, .target = -1, .at_ms = s->time_ms + 1};
	sim_fault_add(s, &f);
	rig_ticks(r, 20);
	assert_int_equal(lockstep_command(&r->ls, CMD_HOME), CMD_E_FAULT);
	assert_int_equal(lockstep_command(&r->ls, CMD_RESUME), CMD_E_FAULT);
	struct motion_targets t;
	targets_rest(&t, 300);
	assert_int_equal(rig_manual(r, &t), CMD_E_FAULT);
	rig_close(r);
}

/* Safety alone on a still chair with one recline relay held on and one end switch made:
 * whether the recline timeout trips within run_s. */
static bool recline_times_out(enum hal_gpio_out relay, enum hal_gpio_in made, double run_s)
{
	struct chair_config cfg;
	config_defaults(&cfg);
	struct estimate est;
	estimate_reset(&est);
	est.supply_v = 24;
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	in.gpio_in = 1u << made;
	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	hal_out_set(&out, relay, true);
	struct safety s;
	safety_reset(&s);
	struct safety_view v = {.cfg = &cfg, .est = &est, .in = &in, .out_prev = &out,
				.dt_s = 0.001, .cap_n = 60};
	for (uint64_t t = 0; t < (uint64_t)(run_s * 1000); t++) {
		v.tick = t;
		if (safety_check(&s, &v)) {
			assert_int_equal(s.first.code, FAULT_RECLINE_TIMEOUT);
			return true;
		}
	}
	return false;
}

static void test_recline_timeout_pairs_each_relay_with_the_switch_it_runs_toward(void **state)
{
	(void)state;
	/* back_up raises the backrest toward back_min, back_down toward back_max; leg_up raises
	 * the legrest toward leg_max, leg_down toward leg_min (sim_read, recline.c). A relay on
	 * at the switch it runs toward is at its limit (the actuator's own switch cut it); at
	 * the other end it is running and must time out. */
	const struct {
		enum hal_gpio_out relay;
		enum hal_gpio_in toward, away;
	} pairs[] = {
		{HAL_OUT_BACK_UP, HAL_IN_BACK_MIN, HAL_IN_BACK_MAX},
		{HAL_OUT_BACK_DOWN, HAL_IN_BACK_MAX, HAL_IN_BACK_MIN},
		{HAL_OUT_LEG_UP, HAL_IN_LEG_MAX, HAL_IN_LEG_MIN},
		{HAL_OUT_LEG_DOWN, HAL_IN_LEG_MIN, HAL_IN_LEG_MAX},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_false(recline_times_out(pairs[i].relay, pairs[i].toward, 40));
		assert_true(recline_times_out(pairs[i].relay, pairs[i].away, 40));
	}
}

static void test_width_stall_trips_when_w_encoder_is_lost_not_on_a_normal_move(void **state)
{
	(void)state;
	struct rig *r = rig_open(31);
	assert_true(lockstep_home(&r->ls, 20000));
	struct ctl *c = rig_ctl(r);
	struct sim *s = rig_sim(r);
	double from_mm = c->est.w_mm;
	double to_mm = from_mm < 110 ? 140 : 80;
	struct motion_targets t;
	targets_rest(&t, c->est.y_mm);
	t.width_mm = to_mm;
	assert_int_equal(rig_manual(r, &t), CMD_OK);
	rig_ticks(r, 6000); /* at most 70 mm at 20 mm/s, then settled at its target */
	assert_false(c->safety.latched);
	assert_true(fabs(c->est.w_mm - to_mm) < 0.6);

	int idx = add_fault_now(s, (struct sim_fault){.kind = SIM_FAULT_ENCODER_LOSS,
						       .target = HAL_AXIS_W});
	rig_ticks(r, 5);
	t.width_mm = from_mm;
	assert_int_equal(rig_manual(r, &t), CMD_OK);
	uint64_t took = tick_until_latched(r, 5000);
	assert_int_equal(c->safety.first.code, FAULT_STALL);
	assert_int_equal(c->safety.first.where, HAL_AXIS_W);
	assert_true(took >= (uint64_t)(r->cfg.w.stall_s * 1000));
	assert_true(took <= (uint64_t)(r->cfg.w.stall_s * 1000) + 50);
	end_fault(s, idx);
	assert_held_until_acked(r, FAULT_STALL);
	rig_close(r);
}

static void test_drive_fault_logs_its_fault_code_register_and_prints_it(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(26);
	r->cfg.hal.bus.drive_input_base = 100; /* a drive mapped elsewhere: reg 105 */
	struct sim *s = rig_sim(r);
	struct ctl *c = rig_ctl(r);
	add_fault_now(s, (struct sim_fault){.kind = SIM_FAULT_DRIVE_FAULT, .target = HAL_AXIS_K,
					    .value = 17});
	tick_until_latched(r, 100);
	assert_int_equal(c->safety.first.code, FAULT_DRIVE);
	assert_int_equal(c->safety.first.value, 17);
	assert_int_equal(c->safety.first.reg, 105);
	assert_int_equal(c->telem.fault_reg, 105);
	char text[200];
	assert_true(fault_describe(&c->safety.first, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "code 17 at register 105"));
	rig_close(r);
}

static void test_failed_backend_read_faults_io_on_the_same_tick_until_acked(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(27);
	struct ctl *c = rig_ctl(r);
	struct tamper tp;
	tamper_insert(&tp, r);
	tp.fail_read = true;
	assert_int_equal(tick_until_latched(r, 1), 1);
	assert_int_equal(c->safety.first.code, FAULT_IO);
	assert_int_equal(c->safety.first.value, 1);
	assert_int_equal(r->ls.io_errors, 1);
	char text[200];
	assert_true(fault_describe(&c->safety.first, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "could not read or write the process image"));
	assert_ack_refused(r, FAULT_IO);
	tp.fail_read = false;
	assert_held_until_acked(r, FAULT_IO);
	rig_close(r);
}

static void test_exception_seen_only_in_the_count_still_latches_until_acked(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(30);
	struct ctl *c = rig_ctl(r);
	struct tamper tp;
	tamper_insert(&tp, r);
	rig_ticks(r, 10);
	assert_false(c->safety.latched);
	tp.z_exceptions = 1; /* the image's exception field is already 0 again */
	assert_int_equal(tick_until_latched(r, 1), 1);
	assert_int_equal(c->safety.first.code, FAULT_BUS_EXCEPTION);
	assert_int_equal(c->safety.first.where, HAL_UNIT_DRIVE_Z);
	assert_int_equal(c->safety.first.value, 4); /* the code it came with, not 0 */
	assert_held_until_acked(r, FAULT_BUS_EXCEPTION);
	rig_close(r);
}

static void test_an_event_during_the_acknowledge_is_logged_and_refuses_it(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(31);
	struct ctl *c = rig_ctl(r);
	struct tamper tp;
	tamper_insert(&tp, r);
	tp.fail_read = true;
	assert_int_equal(tick_until_latched(r, 1), 1);
	tp.fail_read = false;
	rig_ticks(r, 100);
	uint32_t logged = c->safety.log.count;
	assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
	tp.z_exceptions = 1; /* lands on the very tick that would have cleared the latch */
	rig_ticks(r, 600);
	assert_true(c->safety.latched);
	assert_int_equal(c->cmd_result, CMD_E_CAUSE);
	assert_int_equal(c->safety.log.count, logged + 1);
	assert_int_equal(fault_log_get(&c->safety.log, 0)->code, FAULT_BUS_EXCEPTION);
	/* The next acknowledge, with nothing new, goes through. */
	assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
	for (int i = 0; i < 300 && c->state != ST_IDLE; i++)
		lockstep_tick(&r->ls);
	assert_false(c->safety.latched);
	rig_close(r);
}

static void test_failed_backend_write_faults_io_on_the_next_tick(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(28);
	struct ctl *c = rig_ctl(r);
	struct tamper tp;
	tamper_insert(&tp, r);
	tp.fail_write = true;
	lockstep_tick(&r->ls); /* this tick's write fails */
	assert_false(c->safety.latched);
	tp.fail_write = false;
	assert_int_equal(tick_until_latched(r, 1), 1);
	assert_int_equal(c->safety.first.code, FAULT_IO);
	assert_held_until_acked(r, FAULT_IO);
	rig_close(r);
}

static void test_recline_stuck_30s_without_its_limit_latches_recline_timeout(void **state)
{
	(void)state;
	struct rig *r = rig_open(6);
	assert_true(lockstep_home(&r->ls, 20000));
	struct ctl *c = rig_ctl(r);
	struct sim *s = rig_sim(r);
	int idx = add_fault_now(s, (struct sim_fault){.kind = SIM_FAULT_RECLINE_STUCK,
						       .target = 0});
	struct motion_targets t;
	targets_rest(&t, 300);
	t.recline = RECLINE_ZERO_GRAVITY;
	rig_manual(r, &t);
	rig_ticks(r, 100);
	assert_true(hal_out(&r->ls.out, HAL_OUT_BACK_DOWN));
	uint64_t took = tick_until_latched(r, 40000);
	assert_true(took >= (uint64_t)(r->cfg.recline.timeout_s * 1000) - 200);
	assert_int_equal(c->safety.first.code, FAULT_RECLINE_TIMEOUT);
	assert_int_equal(c->safety.first.where, 0);
	assert_false(hal_out(&r->ls.out, HAL_OUT_BACK_DOWN) || hal_out(&r->ls.out, HAL_OUT_BACK_UP));
	end_fault(s, idx);
	assert_held_until_acked(r, FAULT_RECLINE_TIMEOUT);
	rig_close(r);
}

static void test_both_end_switches_at_once_latch_end_switches(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(29);
	struct ctl *c = rig_ctl(r);
	struct sim *s = rig_sim(r);
	int home = add_fault_now(s, (struct sim_fault){.kind = SIM_FAULT_STUCK_SWITCH,
							.target = HAL_IN_Y_HOME, .value = 1});
	int end = add_fault_now(s, (struct sim_fault){.kind = SIM_FAULT_STUCK_SWITCH,
						       .target = HAL_IN_Y_END, .value = 1});
	tick_until_latched(r, 100);
	assert_int_equal(c->safety.first.code, FAULT_END_SWITCHES);
	assert_ack_refused(r, FAULT_END_SWITCHES);
	end_fault(s, home);
	end_fault(s, end);
	assert_held_until_acked(r, FAULT_END_SWITCHES);
	rig_close(r);
}

static void test_over_force_latches_over_force_until_acked(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(30);
	struct ctl *c = rig_ctl(r);
	struct tamper tp;
	tamper_insert(&tp, r);
	/* The load cell reads 90 N, past the cap (60 N) and its margin (15 N), and stays
	 * there whatever the roller does: a roller that cannot back off. */
	tp.z_force_raw = 900;
	uint64_t took = tick_until_latched(r, 200);
	assert_true(took >= (uint64_t)r->cfg.force.over_force_ms);
	assert_int_equal(c->safety.first.code, FAULT_OVER_FORCE);
	assert_int_equal(c->safety.first.value, 900);
	assert_ack_refused(r, FAULT_OVER_FORCE);
	tp.z_force_raw = -1;
	assert_held_until_acked(r, FAULT_OVER_FORCE);
	rig_close(r);
}

static void test_drive_over_temp_latches_until_cooled_and_acked(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(32);
	struct ctl *c = rig_ctl(r);
	struct sim *s = rig_sim(r);
	int idx = add_fault_now(s, (struct sim_fault){.kind = SIM_FAULT_DRIVE_OVER_TEMP,
						       .target = HAL_AXIS_Z, .value = 810});
	tick_until_latched(r, 100);
	assert_int_equal(c->safety.first.code, FAULT_DRIVE_OVER_TEMP);
	assert_int_equal(c->safety.first.where, HAL_AXIS_Z);
	assert_int_equal(c->safety.first.value, 810);
	rig_ticks(r, 10);
	end_fault(s, idx);
	/* Still hot: the drive cools at its own pace (some 10 s from 81 to 80 degC). */
	assert_ack_refused(r, FAULT_DRIVE_OVER_TEMP);
	uint64_t ticks = 0;
	while (c->est.drive_temp_c[HAL_AXIS_Z] > r->cfg.z.max_temp_c && ticks < 30000) {
		assert_held(r, FAULT_DRIVE_OVER_TEMP, 100);
		ticks += 100;
	}
	assert_true(c->est.drive_temp_c[HAL_AXIS_Z] <= r->cfg.z.max_temp_c);
	assert_held_until_acked(r, FAULT_DRIVE_OVER_TEMP);
	rig_close(r);
}

static void test_session_limit_latches_session_limit_until_acked(void **state)
{
	(void)state;
	struct rig *r = rig_open(33);
	struct ctl *c = rig_ctl(r);
	struct plan *plan = NULL;
	assert_int_equal(program_load_demo(&r->cfg, &plan, stderr), 0);
	r->cfg.session.max_s = 60; /* the least the configuration allows */
	assert_true((double)plan->total_ms / 1000.0 > r->cfg.session.max_s);
	assert_true(lockstep_home(&r->ls, 20000));
	struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
	assert_int_equal(ctl_command(c, &start), CMD_OK);
	uint64_t took = tick_until_latched(r, 70000);
	assert_int_equal(c->safety.first.code, FAULT_SESSION_LIMIT);
	assert_true(took >= 60000 && took <= 60002);
	assert_held_until_acked(r, FAULT_SESSION_LIMIT);
	rig_close(r);
	plan_free(plan);
}

static void test_supply_above_30v_latches_supply_until_acked(void **state)
{
	(void)state;
	struct rig *r = pressing_rig(34);
	struct ctl *c = rig_ctl(r);
	struct sim *s = rig_sim(r);
	int idx = add_fault_now(s, (struct sim_fault){.kind = SIM_FAULT_SUPPLY, .target = -1,
						       .value = 310});
	uint64_t took = tick_until_latched(r, 200);
	assert_true(took >= (uint64_t)r->cfg.supply.debounce_ms);
	assert_int_equal(c->safety.first.code, FAULT_SUPPLY);
	assert_int_equal(c->safety.first.value, 31000);
	assert_ack_refused(r, FAULT_SUPPLY);
	end_fault(s, idx);
	assert_held_until_acked(r, FAULT_SUPPLY);
	rig_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estop_mid_press_safe_same_tick_released_within_150ms),
		cmocka_unit_test(test_every_injected_fault_releases_with_its_own_code),
		cmocka_unit_test(test_stuck_z_home_alone_never_pins_the_person),
		cmocka_unit_test(test_every_output_line_has_its_safe_value_in_the_one_table),
		cmocka_unit_test(test_safe_state_takes_only_the_exceptions_its_table_allows),
		cmocka_unit_test(test_every_fault_releases_with_z_home_stuck_on_or_off),
		cmocka_unit_test(test_trapped_legrest_backs_off_then_stops_and_latches),
		cmocka_unit_test(test_fault_never_clears_by_itself),
		cmocka_unit_test(test_ack_refused_while_cause_present_then_clears_and_needs_homing),
		cmocka_unit_test(test_drive_fault_acknowledge_resets_the_drive),
		cmocka_unit_test(test_commands_refused_while_latched),
		cmocka_unit_test(test_recline_timeout_pairs_each_relay_with_the_switch_it_runs_toward),
		cmocka_unit_test(test_width_stall_trips_when_w_encoder_is_lost_not_on_a_normal_move),
		cmocka_unit_test(test_drive_fault_logs_its_fault_code_register_and_prints_it),
		cmocka_unit_test(test_failed_backend_read_faults_io_on_the_same_tick_until_acked),
		cmocka_unit_test(test_failed_backend_write_faults_io_on_the_next_tick),
		cmocka_unit_test(test_exception_seen_only_in_the_count_still_latches_until_acked),
		cmocka_unit_test(test_an_event_during_the_acknowledge_is_logged_and_refuses_it),
		cmocka_unit_test(test_recline_stuck_30s_without_its_limit_latches_recline_timeout),
		cmocka_unit_test(test_both_end_switches_at_once_latch_end_switches),
		cmocka_unit_test(test_over_force_latches_over_force_until_acked),
		cmocka_unit_test(test_drive_over_temp_latches_until_cooled_and_acked),
		cmocka_unit_test(test_session_limit_latches_session_limit_until_acked),
		cmocka_unit_test(test_supply_above_30v_latches_supply_until_acked),
	};
	return cmocka_run_group_tests_name("safety", tests, NULL, NULL);
}
