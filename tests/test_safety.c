/* The safety supervisor against injected faults: the safe state in the same tick, the
 * body released within 150 ms, one fault code per cause in the log, latches that only an
 * acknowledge clears, and only once the cause is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rig.h"

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
	struct sim_fault f = fc->fault;
	f.at_ms = s->time_ms + 10;
	assert_int_equal(sim_fault_add(s, &f), 0);
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
				if (after_ms > 150)
					fprintf(stderr, "%s: released after %.0f ms\n", fc->name, after_ms);
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
	const struct fault_record *newest = fault_log_get(&c->safety.log, c->safety.log.count - 1);
	assert_non_null(newest);
	assert_int_equal(newest->code, fc->expect);
	char text[160];
	assert_true(fault_describe(newest, text, sizeof(text)) > 0);
	rig_close(r);
}

static void test_estop_mid_press_safe_same_tick_released_within_150ms(void **state)
{
	(void)state;
	struct fault_case fc = {"estop", {.kind = SIM_FAULT_ESTOP, .target = -1},
				FAULT_ESTOP, -1};
	run_fault_case(&fc);
}

static void test_every_injected_fault_releases_with_its_own_code(void **state)
{
	(void)state;
	const struct fault_case cases[] = {
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
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_fault_case(&cases[i]);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_estop_mid_press_safe_same_tick_released_within_150ms),
		cmocka_unit_test(test_every_injected_fault_releases_with_its_own_code),
		cmocka_unit_test(test_trapped_legrest_backs_off_then_stops_and_latches),
		cmocka_unit_test(test_fault_never_clears_by_itself),
		cmocka_unit_test(test_ack_refused_while_cause_present_then_clears_and_needs_homing),
		cmocka_unit_test(test_drive_fault_acknowledge_resets_the_drive),
		cmocka_unit_test(test_commands_refused_while_latched),
	};
	return cmocka_run_group_tests_name("safety", tests, NULL, NULL);
}
