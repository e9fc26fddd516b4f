/* The real-time loop on a real thread: a stall of the loop is lateness, and lateness is a
 * fault (FAULT_LATE), not a counter nobody reads; the overruns reach the telemetry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "../controller/rt.h"
#include "rig.h"

/* The sim backend, whose read stalls the loop once for stall_ms. */
struct stalling {
	struct hal_backend be;
	struct hal_backend *inner;
	_Atomic int reads;
	int stall_at;
	int stall_ms;
};

static int st_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	struct stalling *s = ctx;
	return s->inner->open(s->inner->ctx, cfg, err, err_len);
}

static int st_read(void *ctx, struct hal_inputs *in)
{
	struct stalling *s = ctx;
	if (atomic_fetch_add(&s->reads, 1) == s->stall_at) {
		struct timespec ts = {0, (long)s->stall_ms * 1000000L};
		nanosleep(&ts, NULL);
	}
	return s->inner->read(s->inner->ctx, in);
}

static int st_write(void *ctx, const struct hal_outputs *out)
{
	struct stalling *s = ctx;
	return s->inner->write(s->inner->ctx, out);
}

static void st_close(void *ctx)
{
	struct stalling *s = ctx;
	s->inner->close(s->inner->ctx);
}

static void run_stalled(int stall_ms, struct ctl *c, struct rt_loop *rt)
{
	static struct chair_config cfg;
	config_defaults(&cfg);
	cfg.rt.lock_memory = false;
	static struct hal_sim hs;
	static struct hal_backend sim_be;
	hal_sim_bind(&hs, &sim_be);
	static struct stalling st;
	memset(&st, 0, sizeof(st));
	st.inner = &sim_be;
	st.stall_at = 200;
	st.stall_ms = stall_ms;
	st.be = (struct hal_backend){.name = "stalling", .ctx = &st, .open = st_open,
				     .read = st_read, .write = st_write, .safe = st_write,
				     .close = st_close};
	char err[256];
	assert_int_equal(st.be.open(st.be.ctx, &cfg.hal, err, sizeof(err)), 0);
	ctl_init(c, &cfg);
	memset(rt, 0, sizeof(*rt));
	char warn[512];
	assert_int_equal(rt_start(rt, &cfg.rt, c, &st.be, warn, sizeof(warn)), 0);
	while (atomic_load(&st.reads) < 600) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	rt_stop(rt);
	st.be.close(st.be.ctx);
}

static void test_a_stalled_loop_latches_late_and_counts_its_overruns(void **state)
{
	(void)state;
	static struct ctl c;
	static struct rt_loop rt;
	run_stalled(30, &c, &rt);
	assert_true(c.safety.latched);
	const struct fault_record *rec = NULL;
	for (uint32_t i = 0; (rec = fault_log_get(&c.safety.log, i)); i++)
		if (rec->code == FAULT_LATE && rec->value >= 20)
			break; /* 30 ms stalled: some 29 periods missed in a row */
	assert_non_null(rec);
	assert_true(rt.stats.overruns >= 20);
	assert_true(c.telem.overruns == rt.stats.overruns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_stalled_loop_latches_late_and_counts_its_overruns),
	};
	return cmocka_run_group_tests_name("rt", tests, NULL, NULL);
}
