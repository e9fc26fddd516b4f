/* The tick's own rules, on the simulated chair in lockstep and measured on its truth: the
 * force cap only goes down during a run and is the lowest of the user's, the plan's and the
 * chair's; "too much" is a drop of the true force, and the zone's force never comes back to
 * what was too much; a finished plan is let go and may be freed; lateness latches; the
 * watchdogs count time on the tick's clock; the heartbeat toggles in every state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/program_load.h"
#include "rig.h"

static const char short_program[] =
	"program \"Tick test\"\n"
	"level normal\n"
	"phase \"Knead\"\n"
	"  knead lower-back speed 5 pressure 5 for 6s\n";

static struct plan *load_short(struct rig *r, double cap_n)
{
	struct body_map body;
	struct interp_limits lim;
	program_limits(&r->cfg, &lim);
	body_default(&body, &lim);
	struct plan *plan = NULL;
	assert_int_equal(program_load_text(short_program, sizeof(short_program) - 1, "tick.prog",
					   &r->cfg, &body, cap_n, &plan, stderr),
			 0);
	return plan;
}

static int start(struct rig *r, const struct plan *plan)
{
	struct ctl_cmd cmd = {.kind = CMD_START, .plan = plan};
	return ctl_command(rig_ctl(r), &cmd);
}

static void test_cap_only_goes_down_while_a_program_runs_and_rises_when_idle(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	assert_true(lockstep_home(&r->ls, 20000));
	struct plan *plan = load_short(r, 60);
	assert_int_equal(start(r, plan), CMD_OK);
	rig_ticks(r, 100);
	assert_int_equal(rig_set_cap(r, 70), CMD_E_RAISE);
	assert_int_equal(rig_set_cap(r, 40), CMD_OK);
	assert_int_equal(rig_set_cap(r, 45), CMD_E_RAISE);
	rig_ticks(r, 1);
	assert_true(rig_ctl(r)->telem.cap_n == 40.0f);
	assert_int_equal(lockstep_command(&r->ls, CMD_STOP), CMD_OK);
	assert_true(lockstep_run_until_state(&r->ls, ST_IDLE, 10000));
	assert_int_equal(rig_set_cap(r, 70), CMD_OK);
	assert_int_equal(rig_set_cap(r, 500), CMD_E_ARG);
	plan_free(plan);
	rig_close(r);
}

/* A plan resolved for 30 N under a user cap of 60 N: the run is held to 30 N, on the true
 * force too, and the cap is back to the user's once the run is over. */
static void test_force_is_held_to_the_lowest_of_the_plans_users_and_chairs_cap(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	assert_true(lockstep_home(&r->ls, 20000));
	assert_int_equal(rig_set_cap(r, 60), CMD_OK);
	struct plan *plan = load_short(r, 30);
	plan->steps[plan->step_count - 1].force_n = 55; /* a plan that asks past its own cap */
	for (uint32_t i = 0; i < plan->step_count; i++)
		if (plan->steps[i].z_kind == PLAN_Z_PRESSURE)
			plan->steps[i].force_n = 55;
	assert_int_equal(start(r, plan), CMD_OK);
	double max_n = 0;
	for (int i = 0; i < 20000 && rig_ctl(r)->state == ST_RUNNING; i++) {
		lockstep_tick(&r->ls);
		assert_true(rig_ctl(r)->force_cap_n == 30.0);
		max_n = fmax(max_n, rig_sim(r)->contact_force_n);
	}
	assert_true(max_n > 20 && max_n < 31);
	assert_true(lockstep_run_until_state(&r->ls, ST_IDLE, 10000));
	rig_ticks(r, 1);
	assert_true(rig_ctl(r)->force_cap_n == 60.0);
	plan_free(plan);
	rig_close(r);
}

/* At a 30 N hold: "too much" takes the true force down by 40 % within 50 ms, and ten
 * "stronger" afterwards bring it back toward, never to, what was too much. */
static void test_too_much_drops_true_force_40pct_in_50ms_and_stronger_never_returns(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	assert_true(lockstep_home(&r->ls, 20000));
	assert_true(rig_move_to(r, rig_lumbar_y_mm(r), 20000));
	rig_press(r, rig_lumbar_y_mm(r), 30, 3000);
	struct sim *s = rig_sim(r);
	double too_much_n = s->contact_force_n;
	assert_true(fabs(too_much_n - 30) < 2);
	assert_int_equal(lockstep_command(&r->ls, CMD_TOO_MUCH), CMD_OK);
	int dropped_ms = -1;
	for (int ms = 1; ms <= 50 && dropped_ms < 0; ms++) {
		lockstep_tick(&r->ls);
		if (s->contact_force_n <= 0.6 * too_much_n)
			dropped_ms = ms;
	}
	fprintf(stderr, "too much: true force 40 %% down after %d ms\n", dropped_ms);
	assert_true(dropped_ms > 0 && dropped_ms <= 50);
	double after_n = 0;
	for (int i = 0; i < 10; i++) {
		struct ctl_cmd stronger = {.kind = CMD_INTENSITY, .value = 1};
		ctl_command(rig_ctl(r), &stronger);
		for (int t = 0; t < 1000; t++) {
			lockstep_tick(&r->ls);
			after_n = fmax(after_n, s->contact_force_n);
		}
	}
	fprintf(stderr, "too much at %.1f N: at most %.1f N after ten stronger\n", too_much_n,
		after_n);
	assert_true(after_n < too_much_n);
	assert_true(after_n > 0.7 * too_much_n); /* stronger did bring it back up */
	assert_false(rig_ctl(r)->safety.latched);
	rig_close(r);
}

/* The executor lets go of a plan on the tick its run ends, so the plan can be freed while
 * the chair goes on ticking: under ASan a read of it afterwards is an error. */
static void test_a_finished_plan_is_let_go_and_can_be_freed_while_ticking(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	assert_true(lockstep_home(&r->ls, 20000));
	for (int run = 0; run < 3; run++) {
		struct plan *plan = load_short(r, 60);
		assert_int_equal(start(r, plan), CMD_OK);
		assert_ptr_equal(atomic_load(&rig_ctl(r)->plan_in_use), plan);
		if (run == 1) { /* stopped part way */
			rig_ticks(r, 2000);
			assert_int_equal(lockstep_command(&r->ls, CMD_STOP), CMD_OK);
		}
		if (run == 2) { /* ended by a fault */
			rig_ticks(r, 2000);
			struct sim_fault f = {.kind = SIM_FAULT_ESTOP, .target = -1,
					      .at_ms = rig_sim(r)->time_ms + 1, .for_ms = 50};
			sim_fault_add(rig_sim(r), &f);
		}
		for (int i = 0; i < 30000 && atomic_load(&rig_ctl(r)->plan_in_use); i++)
			lockstep_tick(&r->ls);
		assert_null(atomic_load(&rig_ctl(r)->plan_in_use));
		uint32_t total_ms = rig_ctl(r)->telem.exec_total_ms;
		plan_free(plan);
		rig_ticks(r, 500);
		assert_int_equal(rig_ctl(r)->telem.exec_total_ms, total_ms);
		if (run == 2) {
			assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
			assert_true(lockstep_run_until_state(&r->ls, ST_IDLE, 1000));
			assert_true(lockstep_home(&r->ls, 20000));
		} else {
			assert_true(lockstep_run_until_state(&r->ls, ST_IDLE, 10000));
		}
	}
	rig_close(r);
}

static void test_more_missed_periods_in_a_row_than_configured_latch_late(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	assert_true(lockstep_home(&r->ls, 20000));
	struct ctl *c = rig_ctl(r);
	c->late_periods = (uint32_t)r->cfg.rt.max_late_periods; /* at the limit: fine */
	lockstep_tick(&r->ls);
	assert_false(c->safety.latched);
	assert_int_equal(c->telem.late_periods, r->cfg.rt.max_late_periods);
	c->late_periods = (uint32_t)r->cfg.rt.max_late_periods + 1;
	lockstep_tick(&r->ls);
	assert_true(c->safety.latched);
	assert_int_equal(c->safety.first.code, FAULT_LATE);
	assert_true(rig_outputs_safe(&r->ls.out));
	rig_ticks(r, 100); /* on time again: an event, still latched */
	assert_true(c->safety.latched);
	assert_int_equal(lockstep_command(&r->ls, CMD_ACK), CMD_OK);
	assert_true(lockstep_run_until_state(&r->ls, ST_IDLE, 300));
	rig_close(r);
}

/* The person stands up during a press; the loop then stalls 200 ms in one period. The
 * 100 ms unoccupied watchdog trips on the tick after the stall, not 100 ticks later. */
static void test_watchdogs_count_time_on_the_ticks_clock_not_ticks(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	r->cfg.fault_on_unoccupied = true;
	assert_true(lockstep_home(&r->ls, 20000));
	assert_true(rig_move_to(r, rig_lumbar_y_mm(r), 20000));
	rig_press(r, rig_lumbar_y_mm(r), 20, 2000);
	struct ctl *c = rig_ctl(r);
	int64_t now_ns = (int64_t)c->tick * r->cfg.rt.period_ns;
	c->clock_ns = now_ns;
	lockstep_tick(&r->ls);
	struct sim_fault f = {.kind = SIM_FAULT_UNOCCUPIED, .target = -1,
			      .at_ms = rig_sim(r)->time_ms, .for_ms = 0};
	sim_fault_add(rig_sim(r), &f);
	c->clock_ns = now_ns + 1000000;
	lockstep_tick(&r->ls); /* sees the person gone */
	assert_false(c->safety.latched);
	c->clock_ns = now_ns + 201000000;
	lockstep_tick(&r->ls);
	assert_true(c->safety.latched);
	assert_int_equal(c->safety.first.code, FAULT_UNOCCUPIED);
	rig_close(r);
}

static void test_heartbeat_toggles_every_tick_running_idle_and_latched(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	lockstep_tick(&r->ls);
	bool prev = hal_out(&r->ls.out, HAL_OUT_HEARTBEAT);
	for (int i = 0; i < 3000; i++) {
		if (i == 1000)
			rig_ctl(r)->late_periods = 1000; /* latches */
		lockstep_tick(&r->ls);
		bool now = hal_out(&r->ls.out, HAL_OUT_HEARTBEAT);
		assert_true(now != prev);
		prev = now;
	}
	assert_true(rig_ctl(r)->safety.latched);
	rig_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_only_goes_down_while_a_program_runs_and_rises_when_idle),
		cmocka_unit_test(test_force_is_held_to_the_lowest_of_the_plans_users_and_chairs_cap),
		cmocka_unit_test(test_too_much_drops_true_force_40pct_in_50ms_and_stronger_never_returns),
		cmocka_unit_test(test_a_finished_plan_is_let_go_and_can_be_freed_while_ticking),
		cmocka_unit_test(test_more_missed_periods_in_a_row_than_configured_latch_late),
		cmocka_unit_test(test_watchdogs_count_time_on_the_ticks_clock_not_ticks),
		cmocka_unit_test(test_heartbeat_toggles_every_tick_running_idle_and_latched),
	};
	return cmocka_run_group_tests_name("tick", tests, NULL, NULL);
}
