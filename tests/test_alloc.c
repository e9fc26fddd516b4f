/* Nothing in the real-time path allocates: count every malloc, calloc, realloc and free
 * made by the project's code during the ticks of a whole simulated session (homing, the
 * demo routine, pause and resume, feedback, a fault and its acknowledge), and during the
 * live commands of a run (wider, narrower, stay, skip) and a guided trigger point's
 * "there" and "eased", each command and the ticks around it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/program_load.h"
#include "rig.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);

/* volatile: the compiler assumes malloc touches no globals of ours */
static volatile int counting;
static volatile unsigned long allocations;

void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size)
{
	allocations += counting;
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
	allocations += counting;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size)
{
	allocations += counting;
	return __real_realloc(p, size);
}

void __wrap_free(void *p);
void __wrap_free(void *p)
{
	allocations += counting && p;
	__real_free(p);
}

static void counted_ticks(struct rig *r, uint64_t n)
{
	counting = 1;
	for (uint64_t i = 0; i < n; i++)
		lockstep_tick(&r->ls);
	counting = 0;
}

/* A command counted; its answer. */
static int counted_command(struct rig *r, enum cmd_kind kind, int value)
{
	struct ctl_cmd cmd = {.kind = kind, .value = value};
	counting = 1;
	int rc = ctl_command(rig_ctl(r), &cmd);
	counting = 0;
	return rc;
}

/* Counted ticks until the guided trigger point is in phase; false after max_ticks. */
static bool counted_until_guided(struct rig *r, int phase, int max_ticks)
{
	counting = 1;
	for (int i = 0; i < max_ticks && rig_ctl(r)->telem.guided_phase != phase; i++)
		lockstep_tick(&r->ls);
	counting = 0;
	return rig_ctl(r)->telem.guided_phase == phase;
}

static void test_the_counter_counts(void **state)
{
	(void)state;
	counting = 1;
	/* volatile: the compiler may otherwise drop a malloc whose memory is never used */
	void *volatile p = malloc(16);
	free(p);
	counting = 0;
	assert_int_equal(allocations, 2);
	allocations = 0;
}

static void test_whole_session_ticks_allocate_nothing(void **state)
{
	(void)state;
	struct rig *r = rig_open(11);
	struct plan *plan = NULL;
	assert_int_equal(program_load_demo(&r->cfg, &plan, stderr), 0);
	allocations = 0;
	counted_command(r, CMD_HOME, 0);
	counted_ticks(r, 20000);
	assert_int_equal(rig_ctl(r)->state, ST_IDLE);
	struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
	counting = 1;
	assert_int_equal(ctl_command(rig_ctl(r), &start), CMD_OK);
	counting = 0;
	counted_ticks(r, 10000);
	counted_command(r, CMD_PAUSE, 0);
	counted_ticks(r, 2000);
	counted_command(r, CMD_RESUME, 0);
	counted_command(r, CMD_INTENSITY, 1);
	counted_command(r, CMD_TOO_MUCH, 0);
	uint64_t limit = plan->total_ms + 60000;
	counting = 1;
	for (uint64_t i = 0; i < limit && rig_ctl(r)->state != ST_IDLE; i++)
		lockstep_tick(&r->ls);
	counting = 0;
	assert_int_equal(rig_ctl(r)->state, ST_IDLE);
	assert_int_equal(rig_ctl(r)->safety.log.count, 0);
	/* A fault, its record and the acknowledge allocate nothing either. */
	struct sim_fault f = {.kind = SIM_FAULT_ESTOP, .target = -1,
			      .at_ms = rig_sim(r)->time_ms + 1, .for_ms = 100};
	sim_fault_add(rig_sim(r), &f);
	counted_ticks(r, 500);
	counted_command(r, CMD_ACK, 0);
	counted_ticks(r, 500);
	assert_int_equal(rig_ctl(r)->state, ST_IDLE);
	assert_int_equal(allocations, 0);
	plan_free(plan);
	rig_close(r);
}

static const char live_program[] = "program \"alloc\"\n"
				   "trigger-point L4 guided pressure 7 hold 20s\n"
				   "knead lower-back for 20s\n"
				   "knead mid-back for 20s\n";

static void test_live_commands_and_a_guided_trigger_point_allocate_nothing(void **state)
{
	(void)state;
	struct rig *r = rig_open(0);
	assert_true(lockstep_home(&r->ls, 20000));
	struct body_map body;
	struct interp_limits lim;
	program_limits(&r->cfg, &lim);
	body_default(&body, &lim);
	struct plan *plan = NULL;
	assert_int_equal(program_load_text(live_program, strlen(live_program), "alloc.prog",
					   &r->cfg, &body, 50, &plan, stderr),
			 0);
	allocations = 0;
	struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
	counting = 1;
	assert_int_equal(ctl_command(rig_ctl(r), &start), CMD_OK);
	counting = 0;
	/* The guided trigger point: it rises, "there" holds it, "eased" rises again. */
	assert_true(counted_until_guided(r, EXEC_GUIDED_RISING, 30000));
	counted_ticks(r, 2000);
	assert_int_equal(counted_command(r, CMD_THERE, 0), CMD_OK);
	assert_true(counted_until_guided(r, EXEC_GUIDED_HOLDING, 10));
	counted_ticks(r, 1000);
	assert_int_equal(counted_command(r, CMD_EASED, 0), CMD_OK);
	assert_true(counted_until_guided(r, EXEC_GUIDED_RISING, 10));
	counted_ticks(r, 1000);
	assert_int_equal(counted_command(r, CMD_SKIP, 0), CMD_OK); /* on to the kneading */
	assert_true(counted_until_guided(r, EXEC_GUIDED_NONE, 10000));
	counted_ticks(r, 3000);
	/* Wider, narrower, stay, and a skip of the step stayed in. */
	uint32_t step = rig_ctl(r)->exec.step;
	assert_int_equal(counted_command(r, CMD_WIDTH, 1), CMD_OK);
	counted_ticks(r, 500);
	assert_int_equal(counted_command(r, CMD_WIDTH, -1), CMD_OK);
	assert_int_equal(counted_command(r, CMD_WIDTH, -1), CMD_OK);
	counted_ticks(r, 500);
	assert_int_equal(counted_command(r, CMD_STAY, 0), CMD_OK);
	counted_ticks(r, 1000);
	assert_int_equal(counted_command(r, CMD_SKIP, 0), CMD_OK);
	counted_ticks(r, 1000);
	assert_true(rig_ctl(r)->exec.step != step);
	assert_int_equal(counted_command(r, CMD_STOP, 0), CMD_OK);
	counting = 1;
	bool idle = lockstep_run_until_state(&r->ls, ST_IDLE, 20000);
	counting = 0;
	assert_true(idle);
	assert_false(rig_ctl(r)->safety.latched);
	assert_int_equal(allocations, 0);
	plan_free(plan);
	rig_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_counter_counts),
		cmocka_unit_test(test_whole_session_ticks_allocate_nothing),
		cmocka_unit_test(test_live_commands_and_a_guided_trigger_point_allocate_nothing),
	};
	return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
