/* The Modbus backend against a server the test runs itself: sim/modbus_server.c in a thread
 * of this process on 127.0.0.1 at a free port (and, where socat is installed, over RTU on a
 * pty pair the test makes). The server's registers are set and read directly, so the words
 * on the wire are checked against CHAIR.md, not against the backend's own packing. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../drivers/hal.h"
#include "../drivers/modbus_bus.h"
#include "../sim/modbus_server.h"

/* ---- a server thread ---- */

struct tsrv {
	struct simsrv srv;
	pthread_t thread;
	pthread_mutex_t mu;
	atomic_bool stop;
	bool running;
	struct simsrv_spec spec;
	struct hal_config cfg;
	struct hal_inputs in;          /* served, under mu */
	uint32_t written;              /* units written so far, under mu */
	int oneshot_unit;              /* its exception fault ends after one answer; -1 none */
};

/* A one-shot exception: the backend has one request in flight at a time, so the poll that
 * answered the exception ends the fault before that unit is asked again. */
static void tsrv_end_oneshot(struct tsrv *t)
{
	int u = t->oneshot_unit;
	if (u >= 0 && t->srv.count.exceptions[u] > 0) {
		struct simsrv_unit_faults none = {0};
		simsrv_set_unit_faults(&t->srv, (enum hal_unit)u, &none);
		t->oneshot_unit = -1;
	}
}

static void *tsrv_loop(void *arg)
{
	struct tsrv *t = arg;
	while (!atomic_load(&t->stop)) {
		pthread_mutex_lock(&t->mu);
		simsrv_set_inputs(&t->srv, &t->in);
		int rc = simsrv_poll(&t->srv, 300);
		if (rc > 0)
			t->written |= (uint32_t)rc;
		tsrv_end_oneshot(t);
		pthread_mutex_unlock(&t->mu);
		if (rc < 0)
			break;
	}
	return NULL;
}

/* Start serving cfg's units on spec (port 0: a free one). */
static void tsrv_start(struct tsrv *t, const struct simsrv_spec *spec, const struct hal_config *cfg)
{
	char err[256] = "";
	t->spec = *spec;
	t->cfg = *cfg;
	t->oneshot_unit = -1;
	int rc = simsrv_open(&t->srv, spec, cfg, err, sizeof(err));
	if (rc < 0)
		fail_msg("server: %s", err);
	atomic_store(&t->stop, false);
	pthread_mutex_init(&t->mu, NULL);
	assert_int_equal(pthread_create(&t->thread, NULL, tsrv_loop, t), 0);
	t->running = true;
}

static void tsrv_stop(struct tsrv *t)
{
	if (!t->running)
		return;
	atomic_store(&t->stop, true);
	pthread_join(t->thread, NULL);
	simsrv_close(&t->srv);
	pthread_mutex_destroy(&t->mu);
	t->running = false;
}

static void tsrv_faults(struct tsrv *t, enum hal_unit u, const struct simsrv_unit_faults *f)
{
	pthread_mutex_lock(&t->mu);
	simsrv_set_unit_faults(&t->srv, u, f);
	pthread_mutex_unlock(&t->mu);
}

static void tsrv_set_in(struct tsrv *t, const struct hal_inputs *in)
{
	pthread_mutex_lock(&t->mu);
	t->in = *in;
	pthread_mutex_unlock(&t->mu);
}

static struct simsrv_counters tsrv_counters(struct tsrv *t)
{
	pthread_mutex_lock(&t->mu);
	struct simsrv_counters c = t->srv.count;
	pthread_mutex_unlock(&t->mu);
	return c;
}

/* ---- helpers ---- */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static struct tsrv server;
static struct mbus bus;
static struct hal_config cfg;
static char err[256];

/* A config for TCP to the test server, every line on the DIO module. */
static void tcp_config(struct hal_config *c)
{
	hal_config_defaults(c);
	c->backend = HAL_BACKEND_MODBUS;
	c->bus.kind = HAL_BUS_TCP;
	snprintf(c->bus.tcp_host, sizeof(c->bus.tcp_host), "127.0.0.1");
	c->bus.response_timeout_ms = 20;
	c->bus.byte_timeout_ms = 5;
	c->bus.cycle_ms = 1;
	c->bus.reconnect_min_ms = 20;
	c->bus.reconnect_max_ms = 200;
}

static void start_tcp_server(const struct hal_config *c, int port)
{
	struct simsrv_spec spec;
	char spec_text[64];
	snprintf(spec_text, sizeof(spec_text), "tcp:127.0.0.1:%d", port);
	assert_int_equal(simsrv_parse_spec(spec_text, &spec, err, sizeof(err)), 0);
	tsrv_start(&server, &spec, c);
}

/* Server on a free port and the backend connected to it, both with cfg. */
static void start_both(void)
{
	start_tcp_server(&cfg, 0);
	cfg.bus.tcp_port = simsrv_port(&server.srv);
	int rc = mbus_open(&bus, &cfg, err, sizeof(err));
	if (rc < 0)
		fail_msg("mbus_open: %s", err);
	rc = mbus_wait_ready(&bus, 2000, err, sizeof(err));
	if (rc < 0)
		fail_msg("%s", err);
}

static int setup(void **state)
{
	memset(&server, 0, sizeof(server));
	memset(&bus, 0, sizeof(bus));
	tcp_config(&cfg);
	err[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	mbus_close(&bus);
	tsrv_stop(&server);
	return 0;
}

/* Read until pred holds on the image, or fail after timeout_ms. */
typedef bool (*image_pred)(const struct hal_inputs *in);

static void read_until(image_pred pred, int timeout_ms, struct hal_inputs *in, const char *what)
{
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		assert_int_equal(mbus_read(&bus, in), 0);
		if (pred(in))
			return;
		if (now_ms() > deadline)
			fail_msg("not within %d ms: %s", timeout_ms, what);
		sleep_ms(2);
	}
}

/* A served image with every field distinct and the signed ones negative. */
static void sample_inputs(struct hal_inputs *in)
{
	memset(in, 0, sizeof(*in));
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		struct hal_drive_in *d = &in->drive[a];
		d->status = HAL_STATUS_READY | HAL_STATUS_ENABLED;
		d->actual_position_raw = (int16_t)(-1000 - a);
		d->actual_velocity_raw = (int16_t)(-20 - a);
		d->actual_current_ma = (uint16_t)(1500 + a);
		d->actual_force_raw = (uint16_t)(a == HAL_AXIS_Z ? 455 : 0);
		d->fault_code = (uint16_t)(a == HAL_AXIS_T ? 0x8130 : 0);
		d->temperature_raw = (int16_t)(-50 + a);
	}
	for (int i = 0; i < HAL_AIRBAG_COUNT; i++)
		in->io.airbag_raw[i] = (uint16_t)(100 + i);
	in->io.heater_raw[HAL_HEATER_LUMBAR] = 385;
	in->io.heater_raw[HAL_HEATER_CALVES] = -12;
	in->io.back_angle_raw = 1250;
	in->io.leg_angle_raw = -15;
	in->io.supply_raw = 241;
	in->io.back_current_ma = 1800;
	in->io.leg_current_ma = 900;
	in->gpio_in = (1u << HAL_IN_OCCUPIED) | (1u << HAL_IN_Y_HOME) | (1u << HAL_IN_LEG_MAX);
}

/* ---- tests ---- */

static bool drive_z_is_sample(const struct hal_inputs *in)
{
	return in->drive[HAL_AXIS_Z].actual_position_raw == -1001;
}

static void test_drive_and_io_registers_arrive_as_chair_md_packs_them(void **state)
{
	struct hal_inputs served;
	sample_inputs(&served);
	start_both();
	tsrv_set_in(&server, &served);
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	read_until(drive_z_is_sample, 1000, &in, "drive Z's sample");
	sleep_ms(20); /* one more pass, so every unit has the sample */
	mbus_read(&bus, &in);
	assert_memory_equal(in.drive, served.drive, sizeof(served.drive));
	assert_memory_equal(&in.io, &served.io, sizeof(served.io));
	assert_int_equal(in.gpio_in, served.gpio_in);

	/* the words on the wire: input register 1 of drive Z is -1001 as two's complement */
	pthread_mutex_lock(&server.mu);
	const uint16_t *z = server.srv.map[HAL_UNIT_DRIVE_Z]->tab_input_registers;
	assert_int_equal(z[0], HAL_STATUS_READY | HAL_STATUS_ENABLED);
	assert_int_equal(z[1], 0xFC17);
	assert_int_equal(z[2], 0xFFEB);
	assert_int_equal(z[4], 455);
	assert_int_equal(z[6], 0xFFCF);
	const uint16_t *io = server.srv.map[HAL_UNIT_IO]->tab_input_registers;
	assert_int_equal(io[0], 100);
	assert_int_equal(io[5], 105);
	assert_int_equal(io[6], 385);
	assert_int_equal(io[7], 0xFFF4);
	assert_int_equal(io[8], 1250);
	assert_int_equal(io[10], 241);
	assert_int_equal(io[11], 1800);
	assert_int_equal(io[12], 900);
	/* estop_n is active low: released reads 1 on the DIO module */
	const uint8_t *di = server.srv.map[HAL_UNIT_DIO]->tab_input_bits;
	assert_int_equal(di[HAL_IN_ESTOP], 1);
	assert_int_equal(di[HAL_IN_OCCUPIED], 1);
	assert_int_equal(di[HAL_IN_Y_END], 0);
	pthread_mutex_unlock(&server.mu);
}

static bool all_fresh(const struct hal_inputs *in)
{
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		if (in->unit[u].age_ms > 50)
			return false;
	return true;
}

static void test_outputs_land_in_holding_registers_and_coils(void **state)
{
	cfg.out_line[HAL_OUT_LED].active_low = true;
	start_both();
	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	struct hal_drive_out *y = &out.drive[HAL_AXIS_Y];
	y->control = HAL_CTL_ENABLE | (HAL_MODE_POSITION << HAL_CTL_MODE_SHIFT);
	y->target_position_raw = -321;
	y->target_velocity_raw = -500;
	y->target_force_raw = 0;
	y->current_limit_ma = 4000;
	y->comm_timeout_ms = 200;
	out.drive[HAL_AXIS_Z].target_force_raw = 350;
	hal_out_set(&out, HAL_OUT_PUMP, true);
	hal_out_set(&out, HAL_OUT_VALVE_FEET, true);
	assert_int_equal(mbus_write(&bus, &out), 0);

	int64_t deadline = now_ms() + 1000;
	for (;;) {
		pthread_mutex_lock(&server.mu);
		uint32_t written = server.written;
		pthread_mutex_unlock(&server.mu);
		if ((written & 0x5f) == 0x5f) /* drives and DIO */
			break;
		if (now_ms() > deadline)
			fail_msg("outputs not written, mask %#x", written);
		sleep_ms(2);
	}
	sleep_ms(10);
	pthread_mutex_lock(&server.mu);
	const uint16_t *h = server.srv.map[HAL_UNIT_DRIVE_Y]->tab_registers;
	assert_int_equal(h[0], 0x0005); /* enable, position mode */
	assert_int_equal(h[1], 0xFEBF); /* -321 */
	assert_int_equal(h[2], 0xFE0C); /* -500 */
	assert_int_equal(h[4], 4000);
	assert_int_equal(h[5], 200);
	assert_int_equal(server.srv.map[HAL_UNIT_DRIVE_Z]->tab_registers[3], 350);
	const uint8_t *coil = server.srv.map[HAL_UNIT_DIO]->tab_bits;
	assert_int_equal(coil[HAL_OUT_PUMP], 1);
	assert_int_equal(coil[HAL_OUT_VALVE_FEET], 1);
	assert_int_equal(coil[HAL_OUT_VENT], 0);
	assert_int_equal(coil[HAL_OUT_LED], 1); /* off, active low */
	struct hal_outputs got;
	simsrv_get_outputs(&server.srv, &got);
	pthread_mutex_unlock(&server.mu);
	assert_memory_equal(got.drive, out.drive, sizeof(out.drive));
}

static void test_nothing_is_written_before_the_first_write(void **state)
{
	start_both();
	sleep_ms(50);
	pthread_mutex_lock(&server.mu);
	uint32_t written = server.written;
	pthread_mutex_unlock(&server.mu);
	assert_int_equal(written, 0);
	struct hal_inputs in;
	read_until(all_fresh, 500, &in, "fresh data without writes");
}

static uint32_t written_units(void)
{
	pthread_mutex_lock(&server.mu);
	uint32_t written = server.written;
	pthread_mutex_unlock(&server.mu);
	return written;
}

static void wait_written(uint32_t mask, const char *what)
{
	int64_t deadline = now_ms() + 2000;
	while ((written_units() & mask) != mask) {
		if (now_ms() > deadline)
			fail_msg("%s: outputs not written, mask %#x", what, written_units());
		sleep_ms(2);
	}
}

/* Publish out every ms, as a running tick does, until the units of mask were written. */
static void tick_until_written(const struct hal_outputs *out, uint32_t mask, const char *what)
{
	int64_t deadline = now_ms() + 5000;
	while ((written_units() & mask) != mask) {
		if (now_ms() > deadline)
			fail_msg("%s: outputs not written, mask %#x", what, written_units());
		assert_int_equal(mbus_write(&bus, out), 0);
		sleep_ms(1);
	}
}

/* Wait until the bus has held back at least n more writes than it had at *holds. */
static void wait_holds(uint32_t *holds, uint32_t n, const char *what)
{
	int64_t deadline = now_ms() + 2000;
	struct mbus_stats st;
	for (mbus_get_stats(&bus, &st); st.stale_holds < *holds + n; mbus_get_stats(&bus, &st)) {
		if (now_ms() > deadline)
			fail_msg("%s: %u writes held back, %u wanted", what, st.stale_holds,
				 *holds + n);
		sleep_ms(2);
	}
	*holds = st.stale_holds;
}

/* Every drive read within 50 ms; the DIO module not asked for 100 ms. */
static bool drives_fresh_dio_quiet(const struct hal_inputs *in)
{
	for (int u = 0; u < HAL_UNIT_DIO; u++)
		if (in->unit[u].age_ms > 50)
			return false;
	return in->unit[HAL_UNIT_DIO].age_ms >= 100;
}

/* A wedged tick publishes nothing new: after output_stale_ms its last outputs are no longer
 * written (the units' own watchdogs then go safe) while the drives and the IO module are
 * still read, and the DIO module, whose watchdog any request feeds, is not asked at all;
 * the next outputs the tick publishes are written again. Waits on the bus's count of held writes, never on
 * time: two whole passes of holds before and after the server's mask is cleared. */
static void test_outputs_the_tick_stopped_renewing_are_no_longer_written(void **state)
{
	cfg.bus.output_stale_ms = 20;
	start_both();
	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	out.drive[HAL_AXIS_Z].control = HAL_CTL_ENABLE | (HAL_MODE_FORCE << HAL_CTL_MODE_SHIFT);
	out.drive[HAL_AXIS_Z].target_force_raw = 300;
	tick_until_written(&out, 0x5f, "first outputs");

	uint32_t holds = 0;
	wait_holds(&holds, 1, "stale outputs");
	wait_holds(&holds, 2 * HAL_UNIT_COUNT, "two passes of holds");
	pthread_mutex_lock(&server.mu);
	server.written = 0;
	pthread_mutex_unlock(&server.mu);
	wait_holds(&holds, 2 * HAL_UNIT_COUNT, "two more passes of holds");
	assert_int_equal(written_units(), 0);
	struct hal_inputs in;
	read_until(drives_fresh_dio_quiet, 2000, &in, "drives still read, the DIO module left alone");
	unsigned dio_requests = tsrv_counters(&server).requests[HAL_UNIT_DIO];
	wait_holds(&holds, 2 * HAL_UNIT_COUNT, "two more passes");
	assert_int_equal(tsrv_counters(&server).requests[HAL_UNIT_DIO], dio_requests);

	tick_until_written(&out, 0x5f, "outputs renewed");
}

/* Without output_stale_ms (a tool with no tick behind it) the last outputs are kept. */
static void test_without_a_stale_limit_the_last_outputs_stay_written(void **state)
{
	start_both();
	struct hal_outputs out;
	memset(&out, 0, sizeof(out));
	assert_int_equal(mbus_write(&bus, &out), 0);
	wait_written(0x5f, "first outputs");
	struct mbus_stats st;
	mbus_get_stats(&bus, &st);
	uint64_t cycles = st.cycles;
	while (st.cycles < cycles + 30) { /* well past any limit of a few ms */
		sleep_ms(5);
		mbus_get_stats(&bus, &st);
	}
	pthread_mutex_lock(&server.mu);
	server.written = 0;
	pthread_mutex_unlock(&server.mu);
	wait_written(0x5f, "outputs still written");
	mbus_get_stats(&bus, &st);
	assert_int_equal(st.stale_holds, 0);
}

/* Transactions per drive per pass: 1 with function 23, 2 without. */
static double drive_transactions_per_cycle(bool fc23)
{
	cfg.bus.use_fc23 = fc23;
	start_both();
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	mbus_write(&bus, &out);
	sleep_ms(10);
	struct hal_inputs in;
	mbus_read(&bus, &in);
	struct mbus_stats st0;
	mbus_get_stats(&bus, &st0);
	uint32_t t0 = in.unit[HAL_UNIT_DRIVE_K].transactions;
	/* Some passes, counted rather than timed: a host stall only makes this wait longer. */
	int64_t deadline = now_ms() + 10000;
	struct mbus_stats st;
	for (mbus_get_stats(&bus, &st); st.cycles < st0.cycles + 50 && now_ms() < deadline;
	     mbus_get_stats(&bus, &st))
		sleep_ms(5);
	mbus_close(&bus); /* the thread stops: the counters hold still */
	mbus_read(&bus, &in);
	struct mbus_stats st1;
	mbus_get_stats(&bus, &st1);
	uint64_t cycles = st1.cycles - st0.cycles;
	assert_true(cycles > 20);
	return (double)(in.unit[HAL_UNIT_DRIVE_K].transactions - t0) / (double)cycles;
}

static void test_fc23_is_one_transaction_per_drive_per_cycle(void **state)
{
	double per_cycle = drive_transactions_per_cycle(true);
	assert_true(per_cycle > 0.95 && per_cycle < 1.05);
}

static void test_without_fc23_a_write_then_a_read(void **state)
{
	double per_cycle = drive_transactions_per_cycle(false);
	assert_true(per_cycle > 1.9 && per_cycle < 2.1);
}

static bool k_has_exception(const struct hal_inputs *in)
{
	return in->unit[HAL_UNIT_DRIVE_K].exceptions >= 3;
}

static void test_exception_becomes_the_unit_exception_with_its_register(void **state)
{
	start_both();
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	mbus_write(&bus, &out);
	struct simsrv_unit_faults f = {.exception = MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE};
	tsrv_faults(&server, HAL_UNIT_DRIVE_K, &f);
	struct hal_inputs in;
	read_until(k_has_exception, 1000, &in, "exceptions on drive K");
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_K].exception, 4);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_K].exception_reg, cfg.bus.drive_hold_base);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_Y].exceptions, 0);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_K].timeouts, 0);
	sleep_ms(120);
	mbus_read(&bus, &in);
	assert_true(in.unit[HAL_UNIT_DRIVE_K].age_ms >= 100); /* no data from an exception */
	assert_true(in.unit[HAL_UNIT_DRIVE_Y].age_ms < 50);
}

static bool k_exception_cleared(const struct hal_inputs *in)
{
	const struct hal_unit_status *k = &in->unit[HAL_UNIT_DRIVE_K];
	return k->exceptions >= 1 && k->exception == 0 && k->age_ms < 20;
}

static void test_one_exception_clears_on_the_next_good_answer_and_stays_counted(void **state)
{
	start_both();
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	mbus_write(&bus, &out);
	struct hal_inputs in;
	read_until(all_fresh, 500, &in, "every unit answering");
	struct simsrv_unit_faults f = {.exception = MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE};
	pthread_mutex_lock(&server.mu);
	simsrv_set_unit_faults(&server.srv, HAL_UNIT_DRIVE_K, &f);
	server.oneshot_unit = HAL_UNIT_DRIVE_K;
	pthread_mutex_unlock(&server.mu);
	read_until(k_exception_cleared, 1000, &in, "drive K answering again after its exception");
	sleep_ms(30); /* many good passes later */
	mbus_read(&bus, &in);
	const struct hal_unit_status *k = &in.unit[HAL_UNIT_DRIVE_K];
	assert_int_equal(tsrv_counters(&server).exceptions[HAL_UNIT_DRIVE_K], 1);
	assert_int_equal(k->exceptions, 1);
	assert_int_equal(k->exception, 0);
	assert_int_equal(k->exception_reg, 0);
	assert_int_equal(k->timeouts + k->crc_errors, 0);
	assert_true(k->age_ms < 20);
}

static void test_exception_code_libmodbus_cannot_name_counts_as_an_exception(void **state)
{
	start_both();
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	mbus_write(&bus, &out);
	struct simsrv_unit_faults f = {.exception = 200}; /* 3.1.6: EMBBADEXC, code lost */
	tsrv_faults(&server, HAL_UNIT_DRIVE_K, &f);
	struct hal_inputs in;
	read_until(k_has_exception, 1000, &in, "unknown exceptions on drive K");
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_K].exception, MBUS_EXCEPTION_UNKNOWN);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_K].exception_reg, cfg.bus.drive_hold_base);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_K].crc_errors, 0);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_K].timeouts, 0);
}

static bool io_has_exception(const struct hal_inputs *in)
{
	return in->unit[HAL_UNIT_IO].exceptions > 0;
}

static void test_illegal_address_names_the_register_asked_for(void **state)
{
	start_tcp_server(&cfg, 0);
	struct hal_config client = cfg;
	client.bus.tcp_port = simsrv_port(&server.srv);
	client.bus.io_input_base = 100; /* the module has its registers at 0 */
	assert_int_equal(mbus_open(&bus, &client, err, sizeof(err)), 0);
	struct hal_inputs in;
	read_until(io_has_exception, 1000, &in, "exception from the IO module");
	assert_int_equal(in.unit[HAL_UNIT_IO].exception, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
	assert_int_equal(in.unit[HAL_UNIT_IO].exception_reg, 100);
}

static bool w_is_stale(const struct hal_inputs *in)
{
	return in->unit[HAL_UNIT_DRIVE_W].age_ms > 150;
}

static bool w_is_fresh(const struct hal_inputs *in)
{
	return in->unit[HAL_UNIT_DRIVE_W].age_ms < 20;
}

static void test_silent_unit_times_out_and_its_age_grows(void **state)
{
	start_both();
	struct simsrv_unit_faults silent = {.silent = true};
	tsrv_faults(&server, HAL_UNIT_DRIVE_W, &silent);
	struct hal_inputs in;
	read_until(w_is_stale, 1000, &in, "drive W's age past 150 ms");
	uint32_t age1 = in.unit[HAL_UNIT_DRIVE_W].age_ms;
	assert_true(in.unit[HAL_UNIT_DRIVE_W].timeouts >= 3);
	assert_true(in.unit[HAL_UNIT_DRIVE_Y].age_ms < 50); /* the others go on */
	assert_true(in.unit[HAL_UNIT_IO].age_ms < 50);
	sleep_ms(60);
	mbus_read(&bus, &in);
	assert_true(in.unit[HAL_UNIT_DRIVE_W].age_ms >= age1 + 50);

	struct simsrv_unit_faults none = {0};
	tsrv_faults(&server, HAL_UNIT_DRIVE_W, &none);
	read_until(w_is_fresh, 1000, &in, "drive W answering again");
}

static bool z_timed_out(const struct hal_inputs *in)
{
	return in->unit[HAL_UNIT_DRIVE_Z].timeouts >= 1;
}

/* Reading never waits for the bus, even while a unit takes its whole timeout: thousands of
 * reads and writes all fall within one or two of the silent unit's 300 ms timeouts. Were
 * a read to wait for a bus cycle, each would add one. (What a read costs in time is
 * bench/bus_cycle.c's tick_read_write_max_us.) */
static void test_read_and_write_never_wait_for_the_bus(void **state)
{
	cfg.bus.response_timeout_ms = 300;
	start_both();
	struct simsrv_unit_faults silent = {.silent = true};
	tsrv_faults(&server, HAL_UNIT_DRIVE_Z, &silent);
	struct hal_inputs in;
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	read_until(z_timed_out, 2000, &in, "drive Z's first timeout");
	uint32_t timeouts_before = in.unit[HAL_UNIT_DRIVE_Z].timeouts;
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(mbus_read(&bus, &in), 0);
		assert_int_equal(mbus_write(&bus, &out), 0);
	}
	assert_true(in.unit[HAL_UNIT_DRIVE_Z].timeouts - timeouts_before <= 2);
}

static bool some_corrupt(const struct hal_inputs *in)
{
	uint32_t n = 0;
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		n += in->unit[u].crc_errors;
	return n >= 5;
}

static void test_corrupt_answers_count_and_data_keeps_flowing(void **state)
{
	start_both();
	pthread_mutex_lock(&server.mu);
	simsrv_set_bad_crc(&server.srv, 20.0, 7);
	pthread_mutex_unlock(&server.mu);
	struct hal_inputs in;
	read_until(some_corrupt, 2000, &in, "corrupt answers counted");
	sleep_ms(30);
	mbus_read(&bus, &in);
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		assert_true(in.unit[u].age_ms < 100);
}

static void test_late_answers_time_out_without_desynchronising_others(void **state)
{
	struct hal_inputs served;
	sample_inputs(&served);
	start_both();
	tsrv_set_in(&server, &served);
	struct simsrv_unit_faults late = {.late_ms = 35}; /* response timeout is 20 */
	tsrv_faults(&server, HAL_UNIT_DRIVE_T, &late);
	struct hal_inputs in;
	read_until(w_is_fresh, 1000, &in, "others answering");
	sleep_ms(300);
	mbus_read(&bus, &in);
	/* the first times out; later ones may instead meet the previous late answer, whose
	 * transaction id gives it away (a corrupt frame) */
	const struct hal_unit_status *t = &in.unit[HAL_UNIT_DRIVE_T];
	assert_true(t->timeouts >= 1);
	assert_true(t->timeouts + t->crc_errors >= 3);
	assert_true(t->age_ms > 100);
	/* a late answer arriving in another unit's slot is rejected, never taken as data */
	for (int a = 0; a < HAL_AXIS_COUNT; a++)
		if (a != HAL_AXIS_T)
			assert_int_equal(in.drive[a].actual_position_raw, -1000 - a);
	assert_true(in.unit[HAL_UNIT_DRIVE_W].age_ms < 100);
}

static bool y_is_stale(const struct hal_inputs *in)
{
	return in->unit[HAL_UNIT_DRIVE_Y].age_ms > 100;
}

static bool y_is_fresh(const struct hal_inputs *in)
{
	return in->unit[HAL_UNIT_DRIVE_Y].age_ms < 20;
}

static void test_reconnects_after_the_server_restarts(void **state)
{
	start_both();
	int port = cfg.bus.tcp_port;
	tsrv_stop(&server);
	struct hal_inputs in;
	read_until(y_is_stale, 1000, &in, "data going stale with the server gone");
	sleep_ms(150); /* a few refused attempts, backing off */
	struct mbus_stats st;
	mbus_get_stats(&bus, &st);
	assert_false(st.connected);
	assert_true(st.connect_failures >= 1);

	memset(&server, 0, sizeof(server));
	start_tcp_server(&cfg, port);
	read_until(y_is_fresh, 2000, &in, "fresh data after the restart");
	mbus_get_stats(&bus, &st);
	assert_true(st.connected);
	assert_true(st.connects >= 2);
}

static void test_open_fails_naming_an_unreachable_server(void **state)
{
	start_tcp_server(&cfg, 0);
	int port = simsrv_port(&server.srv);
	tsrv_stop(&server); /* the port is free again: nobody listens */
	cfg.bus.tcp_port = port;
	int rc = mbus_open(&bus, &cfg, err, sizeof(err));
	assert_int_equal(rc, -ECONNREFUSED);
	char where[64];
	snprintf(where, sizeof(where), "127.0.0.1:%d", port);
	assert_non_null(strstr(err, where));
}

static void test_open_rejects_configs_it_cannot_run(void **state)
{
	cfg.bus.unit_id[HAL_UNIT_DRIVE_K] = cfg.bus.unit_id[HAL_UNIT_DRIVE_Y];
	assert_int_equal(mbus_open(&bus, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "drive_k"));

	tcp_config(&cfg);
	cfg.bus.unit_present[HAL_UNIT_DIO] = false;
	assert_int_equal(mbus_open(&bus, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "estop_n"));

	tcp_config(&cfg);
	cfg.bus.kind = HAL_BUS_RTU;
	cfg.bus.rtu_parity = 'X';
	assert_int_equal(mbus_open(&bus, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/dev/ttyUSB0"));

	tcp_config(&cfg);
	cfg.bus.kind = HAL_BUS_RTU;
	snprintf(cfg.bus.rtu_device, sizeof(cfg.bus.rtu_device), "/dev/nonexistent-tty");
	assert_true(mbus_open(&bus, &cfg, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/dev/nonexistent-tty"));

	tcp_config(&cfg);
	cfg.backend = HAL_BACKEND_GPIOD_MODBUS;
	cfg.out_line[HAL_OUT_HEARTBEAT].location = HAL_LINE_MODBUS;
	assert_int_equal(mbus_open(&bus, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "heartbeat"));

	tcp_config(&cfg);
	cfg.bus.dio_comm_timeout_ms = 70000;
	assert_int_equal(mbus_open(&bus, &cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "dio_comm_timeout_ms"));
}

static void test_units_not_present_are_skipped(void **state)
{
	cfg.bus.unit_present[HAL_UNIT_DRIVE_T] = false;
	start_both();
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	mbus_write(&bus, &out);
	sleep_ms(50);
	struct hal_inputs in;
	mbus_read(&bus, &in);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_T].age_ms, 0);
	assert_int_equal(in.unit[HAL_UNIT_DRIVE_T].transactions, 0);
	struct simsrv_counters c = tsrv_counters(&server);
	assert_int_equal(c.requests[HAL_UNIT_DRIVE_T], 0);
	assert_true(c.requests[HAL_UNIT_DRIVE_W] > 0);
	assert_int_equal(c.other_units, 0);
}

static void test_safe_reaches_every_unit_before_returning(void **state)
{
	start_both();
	struct hal_outputs safe;
	hal_safe_outputs(&safe, 80);
	assert_int_equal(mbus_safe(&bus, &safe), 0);
	pthread_mutex_lock(&server.mu);
	struct hal_outputs got;
	simsrv_get_outputs(&server.srv, &got);
	pthread_mutex_unlock(&server.mu);
	assert_memory_equal(got.drive, safe.drive, sizeof(safe.drive));
	assert_int_equal(got.gpio_out, safe.gpio_out);
	assert_int_equal(got.drive[HAL_AXIS_Z].target_velocity_raw, -80);
}

static void test_safe_times_out_when_the_bus_is_gone(void **state)
{
	start_both();
	tsrv_stop(&server);
	struct hal_outputs safe;
	hal_safe_outputs(&safe, 80);
	assert_int_equal(mbus_safe(&bus, &safe), -ETIMEDOUT);
}

static bool estop_pressed(const struct hal_inputs *in)
{
	return hal_in(in, HAL_IN_ESTOP);
}

static bool estop_released(const struct hal_inputs *in)
{
	return !hal_in(in, HAL_IN_ESTOP);
}

static void test_estop_on_the_dio_module_counts_presses(void **state)
{
	start_both();
	struct hal_inputs served, in;
	memset(&served, 0, sizeof(served));
	memset(&in, 0, sizeof(in)); /* mbus_read keeps the lines not on the bus from it */
	read_until(estop_released, 500, &in, "e-stop released");
	uint32_t presses0 = in.estop_presses;
	served.gpio_in = 1u << HAL_IN_ESTOP; /* the server drives estop_n low */
	tsrv_set_in(&server, &served);
	read_until(estop_pressed, 500, &in, "e-stop pressed");
	pthread_mutex_lock(&server.mu);
	assert_int_equal(server.srv.map[HAL_UNIT_DIO]->tab_input_bits[HAL_IN_ESTOP], 0);
	pthread_mutex_unlock(&server.mu);
	served.gpio_in = 0;
	tsrv_set_in(&server, &served);
	read_until(estop_released, 500, &in, "e-stop released again");
	assert_int_equal(in.estop_presses, presses0 + 1);
}

static void test_gpiod_modbus_leaves_gpiochip_lines_to_gpiod(void **state)
{
	/* Only the lines on the bus are the bus's: here none of the inputs but leg_max. */
	cfg.backend = HAL_BACKEND_GPIOD_MODBUS;
	for (int i = 0; i < HAL_IN_COUNT; i++)
		cfg.in_line[i].location = i == HAL_IN_LEG_MAX ? HAL_LINE_MODBUS : HAL_LINE_GPIOCHIP;
	struct hal_inputs served;
	sample_inputs(&served);
	served.gpio_in = 0x1ff;
	start_both();
	tsrv_set_in(&server, &served);
	sleep_ms(30);
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	in.gpio_in = 1u << HAL_IN_Y_END; /* as the gpiod half left it */
	in.estop_presses = 9;
	mbus_read(&bus, &in);
	assert_int_equal(in.gpio_in, (1u << HAL_IN_Y_END) | (1u << HAL_IN_LEG_MAX));
	assert_int_equal(in.estop_presses, 9);
}

static void test_hw_backend_create_runs_the_whole_chair_over_modbus(void **state)
{
	start_tcp_server(&cfg, 0);
	cfg.bus.tcp_port = simsrv_port(&server.srv);
	/* gpiod+modbus with every line on the bus opens no gpiochip at all: heartbeat stays
	 * local, but with no other output local it has no charge pump to feed */
	for (int i = 0; i < HAL_IN_COUNT; i++)
		cfg.in_line[i].location = HAL_LINE_MODBUS;
	for (int i = 0; i < HAL_DIO_COIL_COUNT; i++)
		cfg.out_line[i].location = HAL_LINE_MODBUS;
	const enum hal_backend_kind kinds[] = {HAL_BACKEND_MODBUS, HAL_BACKEND_GPIOD_MODBUS};
	for (size_t k = 0; k < 2; k++) {
		cfg.backend = kinds[k];
		struct hal_backend b;
		assert_int_equal(hal_hw_backend_create(&cfg, &b), 0);
		assert_string_equal(b.name, k == 0 ? "modbus" : "gpiod+modbus");
		if (b.open(b.ctx, &cfg, err, sizeof(err)) < 0)
			fail_msg("%s: %s", b.name, err);
		struct hal_outputs safe;
		hal_safe_outputs(&safe, 50);
		assert_int_equal(b.write(b.ctx, &safe), 0);
		assert_int_equal(b.safe(b.ctx, &safe), 0);
		struct hal_inputs in;
		memset(&in, 0, sizeof(in));
		assert_int_equal(b.read(b.ctx, &in), 0);
		for (int u = 0; u < HAL_UNIT_COUNT; u++)
			assert_true(in.unit[u].age_ms < 200);
		b.close(b.ctx);
	}
	cfg.backend = HAL_BACKEND_SIM;
	struct hal_backend b;
	assert_int_equal(hal_hw_backend_create(&cfg, &b), -EINVAL);
}

/* ---- the DIO module's host watchdog ---- */

/* Holding register 0 of the DIO module, as the server holds it. */
static uint16_t dio_watchdog_reg(void)
{
	pthread_mutex_lock(&server.mu);
	uint16_t v = server.srv.map[HAL_UNIT_DIO]->tab_registers[HAL_DIO_REG_COMM_TIMEOUT];
	pthread_mutex_unlock(&server.mu);
	return v;
}

/* Wait until the DIO module's holding register 0 reads want, or fail. */
static void dio_watchdog_becomes(uint16_t want, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	while (dio_watchdog_reg() != want) {
		if (now_ms() > deadline)
			fail_msg("DIO holding register 0 is %u, not %u, after %d ms",
				 dio_watchdog_reg(), want, timeout_ms);
		sleep_ms(2);
	}
}

/* DIO transactions per bus cycle over 200 ms from now. */
static double dio_transactions_per_cycle(void)
{
	struct hal_inputs in;
	struct mbus_stats st0, st1;
	mbus_read(&bus, &in);
	mbus_get_stats(&bus, &st0);
	uint32_t t0 = in.unit[HAL_UNIT_DIO].transactions;
	sleep_ms(200);
	mbus_read(&bus, &in);
	mbus_get_stats(&bus, &st1);
	assert_true(st1.cycles - st0.cycles > 20);
	return (double)(in.unit[HAL_UNIT_DIO].transactions - t0) / (double)(st1.cycles - st0.cycles);
}

static void test_dio_watchdog_is_armed_in_holding_register_0_with_the_first_outputs(void **state)
{
	start_both();
	pthread_mutex_lock(&server.mu);
	assert_int_equal(server.srv.map[HAL_UNIT_DIO]->nb_bits, HAL_DIO_COIL_COUNT);
	assert_int_equal(server.srv.map[HAL_UNIT_DIO]->nb_registers, 1);
	simsrv_take_heard(&server.srv);
	pthread_mutex_unlock(&server.mu);
	sleep_ms(20);
	/* reads alone reach the module (and feed its watchdog), but arm nothing */
	pthread_mutex_lock(&server.mu);
	assert_true(simsrv_take_heard(&server.srv) & 1u << HAL_UNIT_DIO);
	pthread_mutex_unlock(&server.mu);
	assert_int_equal(dio_watchdog_reg(), 0);

	/* a safe state built from zeros: the config's 200 ms, never "off" */
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	assert_int_equal(out.dio_comm_timeout_ms, 0);
	hal_out_set(&out, HAL_OUT_HEARTBEAT, true); /* a local line: no coil carries it */
	mbus_write(&bus, &out);
	dio_watchdog_becomes(200, 1000);
	/* written once: a steady cycle is the coils and the inputs */
	double per_cycle = dio_transactions_per_cycle();
	assert_true(per_cycle > 1.95 && per_cycle < 2.05);

	/* the image's own value wins, and a change is written at once */
	out.dio_comm_timeout_ms = 350;
	mbus_write(&bus, &out);
	dio_watchdog_becomes(350, 1000);
	out.dio_comm_timeout_ms = 0;
	mbus_write(&bus, &out);
	dio_watchdog_becomes(200, 1000);
	struct hal_outputs got;
	pthread_mutex_lock(&server.mu);
	simsrv_get_outputs(&server.srv, &got);
	pthread_mutex_unlock(&server.mu);
	assert_int_equal(got.gpio_out, out.gpio_out & ~(1u << HAL_OUT_HEARTBEAT));
	assert_int_equal(got.dio_comm_timeout_ms, 200);
}

static void test_dio_watchdog_off_in_the_config_is_never_written(void **state)
{
	cfg.bus.dio_comm_timeout_ms = 0; /* a module without a watchdog */
	start_both();
	pthread_mutex_lock(&server.mu);
	server.srv.map[HAL_UNIT_DIO]->tab_registers[HAL_DIO_REG_COMM_TIMEOUT] = 777;
	pthread_mutex_unlock(&server.mu);
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	mbus_write(&bus, &out);
	double per_cycle = dio_transactions_per_cycle();
	assert_true(per_cycle > 1.95 && per_cycle < 2.05);
	assert_int_equal(dio_watchdog_reg(), 777);
}

static void test_dio_watchdog_is_written_again_after_the_server_restarts(void **state)
{
	start_both();
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	mbus_write(&bus, &out);
	dio_watchdog_becomes(200, 1000);
	int port = cfg.bus.tcp_port;
	tsrv_stop(&server);
	struct hal_inputs in;
	read_until(y_is_stale, 1000, &in, "data going stale with the server gone");
	memset(&server, 0, sizeof(server));
	start_tcp_server(&cfg, port); /* a module that restarted: its register is 0 again */
	read_until(y_is_fresh, 2000, &in, "fresh data after the restart");
	dio_watchdog_becomes(200, 1000);
}

/* ---- RTU over a socat pty pair ---- */

static pid_t socat_pid;
static char pty_dir[32];

/* A pty pair at pty_dir/a (server) and pty_dir/b (client); false when socat is missing. */
static bool make_pty_pair(void)
{
	if (access("/usr/bin/socat", X_OK) != 0)
		return false;
	snprintf(pty_dir, sizeof(pty_dir), "/tmp/tmbus.XXXXXX");
	assert_non_null(mkdtemp(pty_dir));
	char a[128], b[128];
	snprintf(a, sizeof(a), "pty,raw,echo=0,link=%s/a", pty_dir);
	snprintf(b, sizeof(b), "pty,raw,echo=0,link=%s/b", pty_dir);
	socat_pid = fork();
	assert_true(socat_pid >= 0);
	if (socat_pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execl("/usr/bin/socat", "socat", a, b, (char *)NULL);
		_exit(127);
	}
	char path[128];
	snprintf(path, sizeof(path), "%s/b", pty_dir);
	for (int i = 0; i < 200; i++) {
		if (access(path, F_OK) == 0)
			return true;
		sleep_ms(10);
	}
	fail_msg("socat made no pty pair");
	return false;
}

static void end_pty_pair(void)
{
	if (socat_pid > 0) {
		kill(socat_pid, SIGTERM);
		waitpid(socat_pid, NULL, 0);
		socat_pid = 0;
		char path[128];
		snprintf(path, sizeof(path), "%s/a", pty_dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/b", pty_dir);
		unlink(path);
		rmdir(pty_dir);
	}
}

static void test_rtu_on_a_pty_serves_every_unit_on_one_line(void **state)
{
	if (!make_pty_pair())
		skip();
	struct simsrv_spec spec;
	char text[160];
	snprintf(text, sizeof(text), "rtu:%s/a,115200,8N2", pty_dir);
	assert_int_equal(simsrv_parse_spec(text, &spec, err, sizeof(err)), 0);
	cfg.bus.kind = HAL_BUS_RTU;
	snprintf(cfg.bus.rtu_device, sizeof(cfg.bus.rtu_device), "%s/b", pty_dir);
	cfg.bus.rtu_baud = 115200;
	cfg.bus.rtu_parity = 'N';
	cfg.bus.rtu_stop_bits = 2;
	cfg.bus.rtu_rs485 = true; /* a pty has none: reported, then RS-232 */
	/* What this proves is the line, not its speed: a host busy with other suites delays
	 * the server thread past 50 ms now and then, so a timeout here is not the bus. */
	cfg.bus.response_timeout_ms = 500;
	cfg.bus.cycle_ms = 0;
	struct hal_inputs served;
	sample_inputs(&served);
	tsrv_start(&server, &spec, &cfg);
	tsrv_set_in(&server, &served);
	if (mbus_open(&bus, &cfg, err, sizeof(err)) < 0) {
		end_pty_pair();
		fail_msg("%s", err);
	}
	int rc = mbus_wait_ready(&bus, 3000, err, sizeof(err));
	struct hal_outputs out;
	hal_safe_outputs(&out, 50);
	out.drive[HAL_AXIS_Y].target_position_raw = -777;
	mbus_write(&bus, &out);
	sleep_ms(150);
	struct hal_inputs in;
	mbus_read(&bus, &in);
	pthread_mutex_lock(&server.mu);
	struct hal_outputs got;
	simsrv_get_outputs(&server.srv, &got);
	struct simsrv_counters c = server.srv.count;
	pthread_mutex_unlock(&server.mu);
	mbus_close(&bus);
	tsrv_stop(&server);
	end_pty_pair();
	if (rc < 0)
		fail_msg("%s", err);
	assert_memory_equal(in.drive, served.drive, sizeof(served.drive));
	assert_memory_equal(&in.io, &served.io, sizeof(served.io));
	assert_int_equal(got.drive[HAL_AXIS_Y].target_position_raw, -777);
	assert_int_equal(c.rx_crc_errors, 0);
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		assert_true(c.requests[u] > 3);
		assert_int_equal(in.unit[u].timeouts + in.unit[u].crc_errors, 0);
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drive_and_io_registers_arrive_as_chair_md_packs_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outputs_land_in_holding_registers_and_coils, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_is_written_before_the_first_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outputs_the_tick_stopped_renewing_are_no_longer_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_a_stale_limit_the_last_outputs_stay_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fc23_is_one_transaction_per_drive_per_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_fc23_a_write_then_a_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exception_becomes_the_unit_exception_with_its_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_exception_clears_on_the_next_good_answer_and_stays_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exception_code_libmodbus_cannot_name_counts_as_an_exception, setup, teardown),
		cmocka_unit_test_setup_teardown(test_illegal_address_names_the_register_asked_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_unit_times_out_and_its_age_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_and_write_never_wait_for_the_bus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_answers_count_and_data_keeps_flowing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_answers_time_out_without_desynchronising_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnects_after_the_server_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_fails_naming_an_unreachable_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_rejects_configs_it_cannot_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_units_not_present_are_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safe_reaches_every_unit_before_returning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safe_times_out_when_the_bus_is_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_estop_on_the_dio_module_counts_presses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpiod_modbus_leaves_gpiochip_lines_to_gpiod, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hw_backend_create_runs_the_whole_chair_over_modbus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dio_watchdog_is_armed_in_holding_register_0_with_the_first_outputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dio_watchdog_off_in_the_config_is_never_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dio_watchdog_is_written_again_after_the_server_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rtu_on_a_pty_serves_every_unit_on_one_line, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
