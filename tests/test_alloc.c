/* Nothing in the real-time path allocates: count every malloc, calloc, realloc and free
 * made by the project's code during the ticks of a whole simulated session (homing, the
 * demo routine, pause and resume, feedback, a fault and its acknowledge), and during the
 * live commands of a run (wider, narrower, stay, skip) and a guided trigger point's
 * "there" and "eased", each command and the ticks around it; and on the rt thread itself,
 * its loop publishing process images into a snapshot ring nobody drains, until the ring is
 * full and drops them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "../controller/program_load.h"
#include "../controller/rt.h"
#include "rig.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);

/* volatile: the compiler assumes malloc touches no globals of ours */
static volatile int counting;
static volatile unsigned long allocations;
/* The rt thread's own count: set on that thread alone (mark_rt_thread), so whatever the
 * main thread allocates meanwhile, and the thread's start-up, are not its. */
static _Thread_local volatile int on_rt_thread;
static _Atomic unsigned long rt_allocations;

void *__wrap_malloc(size_t size);
void *__wrap_malloc(size_t size)
{
	allocations += counting;
	rt_allocations += on_rt_thread;
	return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
	allocations += counting;
	rt_allocations += on_rt_thread;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size)
{
	allocations += counting;
	rt_allocations += on_rt_thread;
	return __real_realloc(p, size);
}

void __wrap_free(void *p);
void __wrap_free(void *p)
{
	allocations += counting && p;
	rt_allocations += on_rt_thread && p;
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
	/* and the rt thread's count, for the thread that is marked */
	on_rt_thread = 1;
	p = malloc(16);
	free(p);
	on_rt_thread = 0;
	assert_int_equal(rt_allocations, 2);
	rt_allocations = 0;
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

/* The loop's hook, on the rt thread after each tick: from the end of the first tick on,
 * what this thread allocates is counted (rt.h has no earlier hook, so the thread's start-up
 * and its first tick are not; the snapshots after it, kept and dropped, are). */
static void mark_rt_thread(void *arg, int64_t wake_latency_ns, int64_t compute_ns)
{
	on_rt_thread = 1;
}

/* The rt thread on the simulator, its snapshot ring (four places) never drained: it
 * publishes a process image every RT_SNAPSHOT_MS until the ring is full, then drops them,
 * and allocates for neither. The wait is for that progress, not for a time. */
static void test_rt_loop_publishing_and_dropping_snapshots_allocates_nothing(void **state)
{
	(void)state;
	struct rig *r = rig_open(11);
	struct rt_loop *rt = calloc(1, sizeof(*rt));
	struct rt_snapshot *buf = calloc(4, sizeof(*buf));
	assert_non_null(rt);
	assert_non_null(buf);
	struct ring ring;
	assert_int_equal(ring_init(&ring, buf, 4, sizeof(*buf)), 0);
	r->cfg.rt.lock_memory = false; /* a test locks no memory of the host */
	r->cfg.rt.cpu = -1;
	rt->snapshots = &ring;
	rt->after_tick = mark_rt_thread;
	rt_allocations = 0;
	char warn[256];
	assert_int_equal(rt_start(rt, &r->cfg.rt, rig_ctl(r), &r->be, warn, sizeof(warn)), 0);
	for (int i = 0; i < 30000 && atomic_load(&ring.dropped) == 0; i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	/* a few drops more: each one a full ring's path */
	uint64_t drops_then = atomic_load(&ring.dropped);
	for (int i = 0; i < 30000 && atomic_load(&ring.dropped) < drops_then + 3; i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	rt_stop(rt);
	assert_true(atomic_load(&ring.dropped) >= drops_then + 3);
	assert_int_equal(ring_count(&ring), 4);
	assert_true(rt->stats.ticks > 4 * (uint64_t)rt->snapshot_every);
	assert_int_equal(rt_allocations, 0);
	free(buf);
	free(rt);
	rig_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_counter_counts),
		cmocka_unit_test(test_whole_session_ticks_allocate_nothing),
		cmocka_unit_test(test_live_commands_and_a_guided_trigger_point_allocate_nothing),
		cmocka_unit_test(test_rt_loop_publishing_and_dropping_snapshots_allocates_nothing),
	};
	return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
