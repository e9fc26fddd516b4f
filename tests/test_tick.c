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
#include "../controller/runner.h"
#include "rig.h"

static const char short_program[] =
	"program \"Tick test\"\n"
	"level normal\n"
	"phase \"Knead\"\n"
	"  knead lower-back speed 5 pressure 5 for 6s\n";

static struct plan *load_short_for(const struct chair_config *cfg, double cap_n)
{
	struct body_map body;
	struct interp_limits lim;
	program_limits(cfg, &lim);
	body_default(&body, &lim);
	struct plan *plan = NULL;
	assert_int_equal(program_load_text(short_program, sizeof(short_program) - 1, "tick.prog",
					   cfg, &body, cap_n, &plan, stderr),
			 0);
	return plan;
}

static struct plan *load_short(struct rig *r, double cap_n)
{
	return load_short_for(&r->cfg, cap_n);
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
	for (uint32_t i = 0; i < plan->step_count; i++) /* a plan that asks past its own cap */
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

/* Homed in lockstep, then ticked on a real clock reading (as bench/rt_latency does): the
 * change of clock is no stall, though the two readings are hours apart. */
static void test_changing_from_virtual_to_a_real_clock_is_not_a_stall(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	assert_true(lockstep_home(&r->ls, 20000));
	assert_true(rig_move_to(r, rig_lumbar_y_mm(r), 20000));
	rig_press(r, rig_lumbar_y_mm(r), 20, 2000);
	struct ctl *c = rig_ctl(r);
	int64_t now_ns = 5 * 3600 * 1000000000ll; /* five hours of uptime */
	for (int i = 0; i < 3000; i++) {
		c->clock_ns = now_ns + (int64_t)i * 1000000;
		lockstep_tick(&r->ls);
	}
	assert_false(c->safety.latched);
	assert_true(fabs(c->dt_s - 0.001) < 1e-9);
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

/* The controller behind a runner in lockstep, as chaird's main thread sees it. */
struct runner_rig {
	struct chair_config cfg;
	struct hal_sim hs;
	struct hal_backend be;
	struct runner r;
};

static struct runner_rig *runner_rig_open(void)
{
	struct runner_rig *rr = calloc(1, sizeof(*rr));
	assert_non_null(rr);
	config_defaults(&rr->cfg);
	rr->cfg.hal.sim_seed = 0;
	hal_sim_bind(&rr->hs, &rr->be);
	char err[256];
	assert_int_equal(runner_open(&rr->r, RUNNER_LOCKSTEP, &rr->cfg, &rr->be, err, sizeof(err)), 0);
	return rr;
}

static void runner_rig_close(struct runner_rig *rr)
{
	runner_close(&rr->r);
	free(rr);
}

static void advance(struct runner_rig *rr, int ticks)
{
	for (int i = 0; i < ticks; i++)
		runner_advance(&rr->r, NULL, NULL);
}

static uint32_t send(struct runner_rig *rr, enum cmd_kind kind, int value)
{
	struct ctl_cmd cmd = {.kind = kind, .value = value};
	return runner_send(&rr->r, &cmd);
}

/* 2,000 commands in a burst fill the queue; a "stop" after them is still taken on the
 * next tick, and 2,000 "softer" are never refused (they merge). */
static void test_a_flood_of_commands_never_loses_or_delays_stop(void **state)
{
	(void)state;
	struct runner_rig *rr = runner_rig_open();
	assert_true(send(rr, CMD_HOME, 0));
	advance(rr, 20000);
	assert_true(rr->r.last.homed);
	struct plan *plan = load_short_for(&rr->cfg, 60);
	struct ctl_cmd go = {.kind = CMD_START, .plan = plan};
	assert_true(runner_send(&rr->r, &go));
	for (int i = 0; i < 20000 && rr->r.last.force_n < 5; i++)
		advance(rr, 1);
	assert_int_equal(rr->r.last.state, ST_RUNNING);
	assert_true(rr->r.last.force_n >= 5); /* pressing */
	int refused = 0;
	for (int i = 0; i < 2000; i++)
		refused += send(rr, CMD_SPEED, 1) == 0;
	assert_true(refused > 1000);
	for (int i = 0; i < 2000; i++)
		assert_true(send(rr, CMD_INTENSITY, -1));
	uint32_t stop_seq = send(rr, CMD_STOP, 0);
	assert_true(stop_seq);
	advance(rr, 1);
	assert_int_equal(rr->r.last.state, ST_FINISHING);
	assert_true(rr->r.last.cmd_seq >= stop_seq);
	for (int i = 0; i < 20000 && runner_plan_busy(&rr->r, plan); i++)
		advance(rr, 1);
	assert_false(runner_plan_busy(&rr->r, plan));
	plan_free(plan);
	advance(rr, 100);
	runner_rig_close(rr);
}

/* An acknowledge is answered when its window closes: refused with the cause still there
 * (the e-stop held), then taken once the button is out. */
static void test_ack_is_answered_when_its_window_closes_naming_the_cause(void **state)
{
	(void)state;
	struct runner_rig *rr = runner_rig_open();
	struct sim *s = hal_sim_get(&rr->hs);
	struct sim_fault f = {.kind = SIM_FAULT_ESTOP, .target = -1, .at_ms = 10, .for_ms = 1000};
	sim_fault_add(s, &f);
	advance(rr, 100);
	assert_int_equal(rr->r.last.state, ST_ESTOP);
	uint32_t seq = send(rr, CMD_ACK, 0);
	advance(rr, 50);
	assert_true(rr->r.last.ack_seq < seq); /* still trying */
	advance(rr, 200);
	assert_int_equal(rr->r.last.ack_seq, seq);
	assert_int_equal(rr->r.last.ack_result, CMD_E_CAUSE);
	assert_int_equal(rr->r.last.ack_cause, FAULT_ESTOP);
	advance(rr, 1000);
	seq = send(rr, CMD_ACK, 0);
	advance(rr, 300);
	assert_int_equal(rr->r.last.ack_seq, seq);
	assert_int_equal(rr->r.last.ack_result, CMD_OK);
	assert_int_equal(rr->r.last.state, ST_IDLE);
	seq = send(rr, CMD_ACK, 0); /* nothing latched */
	advance(rr, 2);
	assert_int_equal(rr->r.last.ack_seq, seq);
	assert_int_equal(rr->r.last.ack_result, CMD_E_STATE);
	runner_rig_close(rr);
}

/* The fault log reaches the main thread whole, image included, without a lock. */
static void test_fault_records_reach_the_main_thread_with_their_image(void **state)
{
	(void)state;
	struct runner_rig *rr = runner_rig_open();
	struct sim_fault f = {.kind = SIM_FAULT_ESTOP, .target = -1, .at_ms = 10, .for_ms = 0};
	sim_fault_add(hal_sim_get(&rr->hs), &f);
	advance(rr, 100);
	assert_int_equal(rr->r.faults.count, 1);
	const struct fault_record *rec = fault_log_get(&rr->r.faults, 0);
	assert_non_null(rec);
	assert_int_equal(rec->code, FAULT_ESTOP);
	assert_true(hal_in(&rec->in, HAL_IN_ESTOP));
	assert_int_equal(rr->r.last.trips_dropped, 0);
	runner_rig_close(rr);
}

/* The over-force watchdog alone: a force above the chair's maximum trips on its first
 * tick though it falls while retracting; below it, a fall excuses it only while 10 ms of
 * samples show it, not one falling sample. */
static void test_over_force_above_the_maximum_trips_at_once_even_while_falling(void **state)
{
	(void)state;
	struct chair_config cfg;
	config_defaults(&cfg);
	struct estimate est = {.force_n = 0};
	struct hal_inputs in = {.gpio_in = 1u << HAL_IN_OCCUPIED};
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		cfg.hal.bus.unit_present[u] = false;
	struct hal_outputs prev;
	hal_safe_outputs(&prev, 2000); /* retracting */
	est.supply_v = 24;
	struct safety_view v = {.cfg = &cfg, .est = &est, .in = &in, .out_prev = &prev,
				.dt_s = 0.001, .cap_n = 60};
	struct safety s;
	safety_reset(&s);
	est.force_n = cfg.force.max_n + 10;
	assert_false(safety_check(&s, &v) == false);
	assert_int_equal(s.first.code, FAULT_OVER_FORCE);

	safety_reset(&s);
	double limit_n = 60 + cfg.force.over_force_margin_n;
	est.force_n = limit_n + 20;
	for (int i = 0; i < 200; i++) { /* falling 20 N/s: excused */
		est.force_n -= 0.02;
		v.tick = (uint64_t)i;
		assert_false(safety_check(&s, &v));
	}
	for (int i = 0; i < 100 && !s.latched; i++) { /* one step down, then flat */
		est.force_n = i == 0 ? est.force_n - 1 : est.force_n;
		v.tick++;
		safety_check(&s, &v);
	}
	assert_true(s.latched);
	assert_int_equal(s.first.code, FAULT_OVER_FORCE);
}

/* The controller dies while the lumbar heater heats and an airbag fills: with nothing
 * written any more, the digital IO module's own watchdog (armed by the tick) switches heat
 * and pump off and vents within its 200 ms, on the simulated coils; with a charge pump
 * fitted (local lines), the stopped heartbeat cuts heat and pump power in 50 ms. */
static void test_a_dead_controller_leaves_heat_and_pump_off_by_the_hardwares_watchdogs(void **state)
{
	(void)state;
	for (int pump_fitted = 0; pump_fitted < 2; pump_fitted++) {
		struct rig *r = rig_open(0);
		struct sim *s = rig_sim(r);
		s->charge_pump.fitted = pump_fitted;
		assert_true(lockstep_home(&r->ls, 20000));
		struct motion_targets t;
		targets_rest(&t, rig_ctl(r)->est.y_mm);
		t.heat_c[HAL_HEATER_LUMBAR] = 40;
		t.airbag_kpa[HAL_AIRBAG_WAIST] = 20;
		assert_int_equal(rig_manual(r, &t), CMD_OK);
		int on_ms = 0;
		for (int i = 0; i < 5000 && on_ms < 3; i++) {
			lockstep_tick(&r->ls);
			bool heating = (s->gpio_out >> HAL_OUT_HEAT_LUMBAR) & 1u;
			bool filling = (s->gpio_out >> HAL_OUT_PUMP) & 1u;
			on_ms = heating && filling ? on_ms + 1 : 0;
		}
		assert_int_equal(on_ms, 3);
		assert_int_equal(r->ls.out.dio_comm_timeout_ms, r->cfg.hal.bus.dio_comm_timeout_ms);
		/* The controller is gone: the chair lives on with what it last received. */
		int off_ms = -1;
		for (int ms = 1; ms <= 1000 && off_ms < 0; ms++) {
			sim_advance_1ms(s);
			bool heat_fed = (s->gpio_out >> HAL_OUT_HEAT_LUMBAR) & 1u;
			bool pump_fed = (s->gpio_out >> HAL_OUT_PUMP) & 1u;
			if (pump_fitted)
				heat_fed = pump_fed = s->charge_pump.energised && heat_fed;
			if (!heat_fed && !pump_fed)
				off_ms = ms;
		}
		fprintf(stderr, "controller dead, %s: heat and pump off after %d ms\n",
			pump_fitted ? "charge pump" : "DIO watchdog", off_ms);
		assert_true(off_ms > 0);
		assert_true(off_ms <= (pump_fitted ? SIM_CHARGE_PUMP_DROP_MS + 1
						  : r->cfg.hal.bus.dio_comm_timeout_ms + 1));
		if (!pump_fitted) {
			assert_true((s->gpio_out >> HAL_OUT_VENT) & 1u);
			assert_true(s->dio.tripped);
		}
		rig_close(r);
	}
}

/* A roller left out at power-up presses the person (seed 1: 97 N): an idle, unhomed chair
 * releases them by homing on its own, the roller retracting first, before the over-force
 * timer can latch a fault only a technician could clear. */
static void test_a_roller_found_pressing_at_power_up_is_released_by_homing_without_a_fault(void **state)
{
	(void)state;
	struct rig *r = rig_open(1);
	rig_ticks(r, 1);
	assert_true(rig_sim(r)->contact_force_n > 75.0);
	double released_ms = -1;
	for (int i = 1; i < 60000; i++) {
		rig_ticks(r, 1);
		assert_false(rig_ctl(r)->safety.latched);
		if (released_ms < 0 && rig_sim(r)->contact_force_n < 1.0)
			released_ms = i;
		if (rig_ctl(r)->state == ST_IDLE && rig_ctl(r)->est.y_homed && rig_ctl(r)->est.z_homed)
			break;
	}
	assert_true(released_ms >= 0 && released_ms < 500);
	assert_int_equal(rig_ctl(r)->state, ST_IDLE);
	assert_true(rig_ctl(r)->est.z_homed);
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
		cmocka_unit_test(test_changing_from_virtual_to_a_real_clock_is_not_a_stall),
		cmocka_unit_test(test_heartbeat_toggles_every_tick_running_idle_and_latched),
		cmocka_unit_test(test_a_flood_of_commands_never_loses_or_delays_stop),
		cmocka_unit_test(test_ack_is_answered_when_its_window_closes_naming_the_cause),
		cmocka_unit_test(test_fault_records_reach_the_main_thread_with_their_image),
		cmocka_unit_test(test_over_force_above_the_maximum_trips_at_once_even_while_falling),
		cmocka_unit_test(test_a_dead_controller_leaves_heat_and_pump_off_by_the_hardwares_watchdogs),
		cmocka_unit_test(test_a_roller_found_pressing_at_power_up_is_released_by_homing_without_a_fault),
	};
	return cmocka_run_group_tests_name("tick", tests, NULL, NULL);
}
