/* The Modbus backend: a fieldbus thread that cycles through the chair's units on its own
 * libmodbus context, and two triple buffers that hand process images to and from the tick
 * without locks.
 *
 * Known traps of Debian 12's libmodbus 3.1.6, avoided here: MODBUS_ERROR_RECOVERY_LINK
 * sleeps a whole response timeout per error and can retry a failed send forever, so the
 * error recovery stays off and this file reconnects itself, with back-off; after a timeout
 * or a corrupt frame the line is flushed (modbus_flush) so a late answer cannot be taken
 * for the next one. */
#include "modbus_bus.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hal_regs.h"

#define MBUS_TRIBUF_FRESH 4u
#define MBUS_NS_PER_MS 1000000LL
#define MBUS_SLEEP_SLICE_MS 10 /* longest sleep between looks at the stop flag */
#define MBUS_TCP_DEAD_CYCLES 3 /* passes without any answer before a TCP reconnect */

/* ---- small helpers ---- */

static int64_t mbus_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleep until an absolute CLOCK_MONOTONIC time. */
static void mbus_sleep_until_ns(int64_t t_ns)
{
	struct timespec ts = {(time_t)(t_ns / 1000000000LL), (long)(t_ns % 1000000000LL)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Sleep until t_ns in slices, returning early when the thread is asked to stop. */
static void mbus_sleep_until_or_stop(struct mbus *m, int64_t t_ns)
{
	for (;;) {
		if (atomic_load_explicit(&m->stop, memory_order_relaxed))
			return;
		int64_t now = mbus_now_ns();
		if (now >= t_ns)
			return;
		int64_t slice = MBUS_SLEEP_SLICE_MS * MBUS_NS_PER_MS;
		mbus_sleep_until_ns(t_ns - now > slice ? now + slice : t_ns);
	}
}

/* Split milliseconds into libmodbus's seconds and microseconds. */
static void mbus_ms_to_timeout(int ms, uint32_t *sec, uint32_t *usec)
{
	*sec = (uint32_t)(ms / 1000);
	*usec = (uint32_t)(ms % 1000) * 1000u;
}

static bool mbus_is_drive(enum hal_unit u)
{
	return u <= HAL_UNIT_DRIVE_W;
}

/* ---- triple buffer ---- */

static void mbus_tribuf_init(struct mbus_tribuf *tb)
{
	tb->back = 0;
	atomic_store(&tb->middle, 1u);
	tb->front = 2;
}

/* Producer: the slot just filled becomes the newest; returns the slot to fill next. */
static unsigned mbus_tribuf_publish(struct mbus_tribuf *tb)
{
	unsigned old = atomic_exchange_explicit(&tb->middle, tb->back | MBUS_TRIBUF_FRESH,
						memory_order_acq_rel);
	tb->back = old & ~MBUS_TRIBUF_FRESH;
	return tb->back;
}

/* Consumer: the newest complete slot (the one it already has when nothing newer came). */
static unsigned mbus_tribuf_take(struct mbus_tribuf *tb)
{
	if (atomic_load_explicit(&tb->middle, memory_order_relaxed) & MBUS_TRIBUF_FRESH) {
		unsigned old = atomic_exchange_explicit(&tb->middle, tb->front,
							memory_order_acq_rel);
		tb->front = old & ~MBUS_TRIBUF_FRESH;
	}
	return tb->front;
}

/* ---- the fieldbus thread ---- */

/* Close the line and schedule the next connection attempt with a doubling back-off. */
static void mbus_disconnect(struct mbus *m)
{
	modbus_close(m->ctx);
	atomic_store(&m->connected, false);
	if (m->backoff_ms == 0)
		m->backoff_ms = m->bus.reconnect_min_ms;
	else if (m->backoff_ms < m->bus.reconnect_max_ms)
		m->backoff_ms = m->backoff_ms * 2 > m->bus.reconnect_max_ms ? m->bus.reconnect_max_ms
									    : m->backoff_ms * 2;
	m->next_connect_ns = mbus_now_ns() + m->backoff_ms * MBUS_NS_PER_MS;
}

/* One connection attempt; on failure the next one is scheduled. 0 or a negative errno. */
static int mbus_connect(struct mbus *m)
{
	if (modbus_connect(m->ctx) < 0) {
		int rc = errno > 0 ? -errno : -EIO;
		atomic_fetch_add(&m->connect_failures, 1);
		mbus_disconnect(m);
		return rc;
	}
	if (m->bus.kind == HAL_BUS_RTU && m->bus.rtu_rs485)
		/* Where the device has no kernel RS-485 support (USB adapters that switch
		 * direction themselves, ptys) this fails; open reported that once. */
		modbus_rtu_set_serial_mode(m->ctx, MODBUS_RTU_RS485);
	m->backoff_ms = 0;
	m->dead_cycles = 0;
	m->dio_timeout_sent = 0; /* a module that restarted meanwhile lost it */
	m->last_frame_end_ns = mbus_now_ns();
	atomic_fetch_add(&m->connects, 1);
	atomic_store(&m->connected, true);
	return 0;
}

/* RTU: keep the line silent for 3.5 characters plus the configured gap between frames. */
static void mbus_wait_gap(struct mbus *m)
{
	if (m->gap_ns > 0) {
		int64_t t = m->last_frame_end_ns + m->gap_ns;
		if (mbus_now_ns() < t)
			mbus_sleep_until_ns(t);
	}
}

static void mbus_frame_done(struct mbus *m)
{
	if (m->gap_ns > 0)
		m->last_frame_end_ns = mbus_now_ns();
}

/* Record an exception answer to the request at register addr in the unit's status. */
static void mbus_note_exception(struct hal_unit_status *st, uint16_t code, int addr)
{
	st->exceptions++;
	st->exception = code;
	st->exception_reg = (uint16_t)addr;
	st->last_exception = code;
	st->last_exception_reg = (uint16_t)addr;
}

/* Count a failed transaction against unit u and say what the caller should do:
 * -EPROTO (exception: the unit is there), -ETIMEDOUT, -EBADMSG (corrupt frame), or
 * -ENOTCONN (the line itself failed: reconnect). */
static int mbus_failed(struct mbus *m, enum hal_unit u, int addr, int err_no)
{
	struct hal_unit_status *st = &m->work.in.unit[u];
	if (err_no >= EMBXILFUN && err_no <= EMBXGTAR) {
		mbus_note_exception(st, (uint16_t)(err_no - MODBUS_ENOBASE), addr);
		return -EPROTO;
	}
	if (err_no == EMBBADEXC || err_no == MODBUS_ENOBASE) {
		/* 3.1.6 reports an exception code it has no name for (12..255) only as
		 * EMBBADEXC, without the code, and code 0 as the bare MODBUS_ENOBASE: still
		 * the unit refusing, not a corrupt line. Flushed: a mismatched exception
		 * frame (the same errno) may be a stray one. */
		mbus_note_exception(st, MBUS_EXCEPTION_UNKNOWN, addr);
		modbus_flush(m->ctx);
		return -EPROTO;
	}
	if (err_no == ETIMEDOUT) {
		st->timeouts++;
		modbus_flush(m->ctx);
		return -ETIMEDOUT;
	}
	if (err_no == EMBBADCRC || err_no == EMBBADDATA || err_no == EMBUNKEXC ||
	    err_no == EMBMDATA || err_no == EMBBADSLAVE) {
		st->crc_errors++;
		modbus_flush(m->ctx);
		return -EBADMSG;
	}
	st->timeouts++; /* no answer came, because the line broke */
	return -ENOTCONN;
}

/* errno of a libmodbus call that returned rc where want values were expected. */
static int mbus_call_errno(int rc)
{
	return rc < 0 ? errno : EMBMDATA;
}

/* One drive: write the holding registers and read the input registers, in one function 23
 * transaction where configured. Before the tick's first write the drive is only read. */
static int mbus_exchange_drive(struct mbus *m, enum hal_unit u, bool have_out)
{
	const struct hal_bus_config *bus = &m->bus;
	struct hal_unit_status *st = &m->work.in.unit[u];
	int axis = (int)u - HAL_UNIT_DRIVE_Y;
	uint16_t w[HAL_DRIVE_OUT_REGS], r[HAL_DRIVE_IN_REGS];
	hal_regs_from_drive_out(&m->cur_out.drive[axis], w);
	int rc;
	if (have_out && bus->use_fc23) {
		int read_base = bus->drive_fc23_read_base ? bus->drive_fc23_read_base
							  : bus->drive_hold_base + HAL_DRIVE_OUT_REGS;
		st->transactions++;
		rc = modbus_write_and_read_registers(m->ctx, bus->drive_hold_base,
						     HAL_DRIVE_OUT_REGS, w, read_base,
						     HAL_DRIVE_IN_REGS, r);
		mbus_frame_done(m);
		if (rc != HAL_DRIVE_IN_REGS)
			return mbus_failed(m, u, bus->drive_hold_base, mbus_call_errno(rc));
	} else {
		if (have_out) {
			st->transactions++;
			rc = modbus_write_registers(m->ctx, bus->drive_hold_base,
						    HAL_DRIVE_OUT_REGS, w);
			mbus_frame_done(m);
			if (rc != HAL_DRIVE_OUT_REGS)
				return mbus_failed(m, u, bus->drive_hold_base, mbus_call_errno(rc));
			mbus_wait_gap(m);
		}
		st->transactions++;
		rc = modbus_read_input_registers(m->ctx, bus->drive_input_base, HAL_DRIVE_IN_REGS,
						 r);
		mbus_frame_done(m);
		if (rc != HAL_DRIVE_IN_REGS)
			return mbus_failed(m, u, bus->drive_input_base, mbus_call_errno(rc));
	}
	hal_regs_to_drive_in(r, &m->work.in.drive[axis]);
	return 0;
}

/* The analog IO module: its input registers. */
static int mbus_exchange_io(struct mbus *m)
{
	uint16_t r[HAL_IO_IN_REGS];
	m->work.in.unit[HAL_UNIT_IO].transactions++;
	int rc = modbus_read_input_registers(m->ctx, m->bus.io_input_base, HAL_IO_IN_REGS, r);
	mbus_frame_done(m);
	if (rc != HAL_IO_IN_REGS)
		return mbus_failed(m, HAL_UNIT_IO, m->bus.io_input_base, mbus_call_errno(rc));
	hal_regs_to_io_in(r, &m->work.in.io);
	return 0;
}

/* Arm the DIO module's host watchdog (holding register 0) when it does not hold the value
 * yet: the image's, or the config's while the image carries 0. Written with the first
 * outputs, when it changes, and again after a reconnect or a failed turn (the module may
 * have restarted without it): one extra transaction then, none in a steady cycle. */
static int mbus_arm_dio_watchdog(struct mbus *m)
{
	uint16_t want = m->cur_out.dio_comm_timeout_ms ? m->cur_out.dio_comm_timeout_ms
						       : (uint16_t)m->bus.dio_comm_timeout_ms;
	if (want == m->dio_timeout_sent)
		return 0;
	m->work.in.unit[HAL_UNIT_DIO].transactions++;
	int rc = modbus_write_register(m->ctx, HAL_DIO_REG_COMM_TIMEOUT, want);
	mbus_frame_done(m);
	if (rc != 1)
		return mbus_failed(m, HAL_UNIT_DIO, HAL_DIO_REG_COMM_TIMEOUT, mbus_call_errno(rc));
	m->dio_timeout_sent = want;
	mbus_wait_gap(m);
	return 0;
}

/* The digital IO module: its watchdog armed, the bus's output lines to coils, discrete
 * inputs to input lines; e-stop press edges counted on the polled level. */
static int mbus_exchange_dio(struct mbus *m, bool have_out)
{
	struct hal_unit_status *st = &m->work.in.unit[HAL_UNIT_DIO];
	int rc;
	if (have_out) {
		rc = mbus_arm_dio_watchdog(m);
		if (rc < 0)
			return rc;
		uint32_t level = (m->cur_out.gpio_out & m->out_mask) ^ m->out_active_low;
		uint8_t coils[HAL_DIO_COIL_COUNT];
		for (int i = 0; i < HAL_DIO_COIL_COUNT; i++)
			coils[i] = (level >> i) & 1u;
		st->transactions++;
		rc = modbus_write_bits(m->ctx, m->bus.dio_coil_base, HAL_DIO_COIL_COUNT, coils);
		mbus_frame_done(m);
		if (rc != HAL_DIO_COIL_COUNT)
			return mbus_failed(m, HAL_UNIT_DIO, m->bus.dio_coil_base, mbus_call_errno(rc));
		mbus_wait_gap(m);
	}
	uint8_t bits[HAL_IN_COUNT];
	st->transactions++;
	rc = modbus_read_input_bits(m->ctx, m->bus.dio_input_base, HAL_IN_COUNT, bits);
	mbus_frame_done(m);
	if (rc != HAL_IN_COUNT)
		return mbus_failed(m, HAL_UNIT_DIO, m->bus.dio_input_base, mbus_call_errno(rc));
	uint32_t level = 0;
	for (int i = 0; i < HAL_IN_COUNT; i++)
		if (bits[i])
			level |= 1u << i;
	uint32_t logical = (level ^ m->in_active_low) & m->in_mask;
	m->work.in.gpio_in = logical;
	if (m->in_mask & (1u << HAL_IN_ESTOP)) {
		bool pressed = logical & (1u << HAL_IN_ESTOP);
		if (m->estop_seen && pressed && !m->estop_was_pressed)
			m->estop_presses++;
		m->estop_seen = true;
		m->estop_was_pressed = pressed;
		m->work.in.estop_presses = m->estop_presses;
	}
	return 0;
}

/* A unit whose transactions all went through: stamp its data, and clear the exception it
 * may have drawn before, so safety's check of `exception` sees the unit as it is now and
 * an acknowledge can succeed (the `exceptions` count keeps the history). */
static void mbus_unit_good(struct mbus *m, enum hal_unit u)
{
	struct hal_unit_status *st = &m->work.in.unit[u];
	st->exception = 0;
	st->exception_reg = 0;
	m->work.last_good_ns[u] = mbus_now_ns();
}

/* One unit's transactions; stamps its data on success. */
static int mbus_exchange_unit(struct mbus *m, enum hal_unit u, bool have_out)
{
	modbus_set_slave(m->ctx, m->bus.unit_id[u]);
	mbus_wait_gap(m);
	int rc;
	if (mbus_is_drive(u))
		rc = mbus_exchange_drive(m, u, have_out);
	else if (u == HAL_UNIT_IO)
		rc = mbus_exchange_io(m);
	else
		rc = mbus_exchange_dio(m, have_out);
	if (rc == 0)
		mbus_unit_good(m, u);
	else if (u == HAL_UNIT_DIO)
		m->dio_timeout_sent = 0;
	return rc;
}

/* Hand the working image to the tick. */
static void mbus_publish_inputs(struct mbus *m)
{
	m->in_slot[m->in_tb.back] = m->work;
	mbus_tribuf_publish(&m->in_tb);
}

/* The newest outputs into cur_out. Whether to write them: not before the tick's first
 * write, nor once the tick has published nothing new for output_stale_ms (a wedged rt
 * thread): then *stale, and the units' own watchdogs must take the chair to its safe
 * state. */
static bool mbus_take_outputs(struct mbus *m, bool *stale)
{
	*stale = false;
	if (!atomic_load(&m->have_outputs))
		return false;
	int64_t now = mbus_now_ns();
	unsigned before = m->out_tb.front;
	unsigned slot = mbus_tribuf_take(&m->out_tb);
	if (slot != before) /* the take swapped: something new since the last one */
		m->last_new_out_ns = now;
	m->cur_out = m->out_slot[slot];
	if (m->bus.output_stale_ms > 0 && m->last_new_out_ns > 0 &&
	    now - m->last_new_out_ns > m->bus.output_stale_ms * MBUS_NS_PER_MS) {
		atomic_fetch_add_explicit(&m->stale_holds, 1, memory_order_relaxed);
		*stale = true;
		return false;
	}
	return true;
}

/* One pass over the present units. Returns false when the line broke on the way. */
static bool mbus_cycle(struct mbus *m)
{
	int64_t start_ns = mbus_now_ns();
	unsigned safe_gen = atomic_load(&m->safe_request);
	bool all_delivered = true;
	int answered = 0, asked = 0;
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		if (!m->bus.unit_present[u])
			continue;
		if (atomic_load_explicit(&m->stop, memory_order_relaxed))
			return true;
		/* The newest outputs before every unit: a unit's setpoints are never older
		 * than the previous unit's transaction. */
		bool stale;
		bool have_out = mbus_take_outputs(m, &stale);
		if (stale && u == HAL_UNIT_DIO) {
			/* Any request feeds the DIO module's watchdog, a read too: only
			 * silence lets it switch the heaters and the pump off. */
			all_delivered = false;
			continue;
		}
		int rc = mbus_exchange_unit(m, (enum hal_unit)u, have_out);
		asked++;
		mbus_publish_inputs(m);
		if (!have_out)
			all_delivered = false; /* nothing written: no safe() is done */
		if (rc == 0 || rc == -EPROTO)
			answered++;
		if (rc != 0 && u != HAL_UNIT_IO)
			all_delivered = false;
		if (rc == -ENOTCONN) {
			mbus_disconnect(m);
			return false;
		}
	}
	uint64_t took_ns = (uint64_t)(mbus_now_ns() - start_ns);
	atomic_store(&m->last_cycle_ns, took_ns);
	atomic_fetch_add(&m->total_cycle_ns, took_ns);
	atomic_fetch_add(&m->cycles, 1);
	if (all_delivered && atomic_load(&m->have_outputs))
		atomic_store(&m->safe_done, safe_gen);
	/* A TCP peer that vanished without a reset (power cut, cable) looks like every unit
	 * timing out: after a few such passes, reconnect. */
	if (m->bus.kind == HAL_BUS_TCP && asked > 0) { /* a pass that asked nobody proves nothing */
		m->dead_cycles = answered == 0 ? m->dead_cycles + 1 : 0;
		if (m->dead_cycles >= MBUS_TCP_DEAD_CYCLES) {
			mbus_disconnect(m);
			return false;
		}
	}
	if (m->bus.cycle_ms > 0)
		mbus_sleep_until_or_stop(m, start_ns + m->bus.cycle_ms * MBUS_NS_PER_MS);
	else if (asked == 0) /* nothing to ask (only a DIO module left alone): no busy loop */
		mbus_sleep_until_or_stop(m, start_ns + MBUS_NS_PER_MS);
	return true;
}

static void *mbus_thread(void *arg)
{
	struct mbus *m = arg;
	while (!atomic_load_explicit(&m->stop, memory_order_relaxed)) {
		if (!atomic_load(&m->connected)) {
			mbus_sleep_until_or_stop(m, m->next_connect_ns);
			if (atomic_load_explicit(&m->stop, memory_order_relaxed))
				break;
			if (mbus_connect(m) < 0)
				continue;
		}
		mbus_cycle(m);
	}
	return NULL;
}

/* ---- open and close ---- */

/* Which GPIO lines the DIO module carries, and their polarity. */
static void mbus_pick_lines(struct mbus *m, const struct hal_config *cfg)
{
	bool all = cfg->backend == HAL_BACKEND_MODBUS;
	for (int i = 0; i < HAL_IN_COUNT; i++) {
		if (!all && cfg->in_line[i].location != HAL_LINE_MODBUS)
			continue;
		m->in_mask |= 1u << i;
		if (cfg->in_line[i].active_low)
			m->in_active_low |= 1u << i;
	}
	for (int i = 0; i < HAL_DIO_COIL_COUNT; i++) { /* heartbeat has no coil */
		if (!all && cfg->out_line[i].location != HAL_LINE_MODBUS)
			continue;
		m->out_mask |= 1u << i;
		if (cfg->out_line[i].active_low)
			m->out_active_low |= 1u << i;
	}
}

/* Reject configs the thread could not run with, naming the key. */
static int mbus_check_config(const struct mbus *m, char *err, int err_len)
{
	const struct hal_bus_config *bus = &m->bus;
	if (bus->kind != HAL_BUS_TCP && bus->kind != HAL_BUS_RTU) {
		hal_errf(err, err_len, "Modbus backend: [bus] kind must be tcp or rtu");
		return -EINVAL;
	}
	if (bus->kind == HAL_BUS_RTU) {
		if (bus->rtu_baud <= 0 || (bus->rtu_parity != 'N' && bus->rtu_parity != 'E' &&
					   bus->rtu_parity != 'O') ||
		    bus->rtu_data_bits < 5 || bus->rtu_data_bits > 8 || bus->rtu_stop_bits < 1 ||
		    bus->rtu_stop_bits > 2) {
			hal_errf(err, err_len,
				 "Modbus RTU %s: bad line settings (baud %d, %d%c%d)", bus->rtu_device,
				 bus->rtu_baud, bus->rtu_data_bits, bus->rtu_parity,
				 bus->rtu_stop_bits);
			return -EINVAL;
		}
	}
	if (bus->response_timeout_ms < 1 || bus->byte_timeout_ms < 0 || bus->cycle_ms < 0 ||
	    bus->reconnect_min_ms < 1 || bus->reconnect_max_ms < bus->reconnect_min_ms) {
		hal_errf(err, err_len,
			 "Modbus %s: bad timing (response_timeout_ms %d, byte_timeout_ms %d, "
			 "cycle_ms %d, reconnect_min_ms %d, reconnect_max_ms %d)",
			 m->where, bus->response_timeout_ms, bus->byte_timeout_ms, bus->cycle_ms,
			 bus->reconnect_min_ms, bus->reconnect_max_ms);
		return -EINVAL;
	}
	int present = 0;
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		if (!bus->unit_present[u])
			continue;
		present++;
		int id = bus->unit_id[u];
		if (id < 1 || id > 247) {
			hal_errf(err, err_len, "Modbus %s: unit %s has id %d, not in 1..247",
				 m->where, hal_unit_name[u], id);
			return -EINVAL;
		}
		for (int v = 0; v < u; v++)
			if (bus->unit_present[v] && bus->unit_id[v] == id) {
				hal_errf(err, err_len, "Modbus %s: units %s and %s share id %d",
					 m->where, hal_unit_name[v], hal_unit_name[u], id);
				return -EINVAL;
			}
	}
	if (present == 0) {
		hal_errf(err, err_len, "Modbus %s: no unit is present", m->where);
		return -EINVAL;
	}
	if (bus->dio_comm_timeout_ms < 0 || bus->dio_comm_timeout_ms > UINT16_MAX) {
		hal_errf(err, err_len,
			 "Modbus %s: bad dio_comm_timeout_ms %d (0 = off, up to 65535 ms)", m->where,
			 bus->dio_comm_timeout_ms);
		return -EINVAL;
	}
	if ((m->in_mask || m->out_mask) && !bus->unit_present[HAL_UNIT_DIO]) {
		int line = -1;
		for (int i = 0; i < HAL_IN_COUNT && line < 0; i++)
			if (m->in_mask & (1u << i))
				line = i;
		hal_errf(err, err_len,
			 "Modbus %s: GPIO line %s is on the digital IO module, but unit dio is not "
			 "present",
			 m->where,
			 line >= 0 ? hal_gpio_in_name[line]
				   : hal_gpio_out_name[__builtin_ctz(m->out_mask)]);
		return -EINVAL;
	}
	return 0;
}

/* Create the libmodbus context for the configured line, with its timeouts. */
static int mbus_new_context(struct mbus *m, char *err, int err_len)
{
	const struct hal_bus_config *bus = &m->bus;
	if (bus->kind == HAL_BUS_TCP) {
		char port[16];
		snprintf(port, sizeof(port), "%d", bus->tcp_port);
		m->ctx = modbus_new_tcp_pi(bus->tcp_host, port);
	} else {
		m->ctx = modbus_new_rtu(bus->rtu_device, bus->rtu_baud, bus->rtu_parity,
					bus->rtu_data_bits, bus->rtu_stop_bits);
	}
	if (!m->ctx) {
		int rc = errno > 0 ? -errno : -ENOMEM;
		hal_errf(err, err_len, "Modbus %s: cannot create the context: %s", m->where,
			 modbus_strerror(-rc));
		return rc;
	}
	uint32_t sec, usec;
	mbus_ms_to_timeout(bus->response_timeout_ms, &sec, &usec);
	modbus_set_response_timeout(m->ctx, sec, usec);
	mbus_ms_to_timeout(bus->byte_timeout_ms, &sec, &usec);
	modbus_set_byte_timeout(m->ctx, sec, usec);
	modbus_set_error_recovery(m->ctx, MODBUS_ERROR_RECOVERY_NONE);
	return 0;
}

/* The fieldbus thread's attributes: SCHED_FIFO at thread_priority when one is set. A
 * pthread error number (they never return -1 and errno); *call names the refusal. */
static int mbus_thread_attr(const struct mbus *m, pthread_attr_t *attr, const char **call)
{
	int rc = pthread_attr_init(attr);
	if (rc) {
		*call = "pthread_attr_init";
		return rc;
	}
	if (m->bus.thread_priority <= 0)
		return 0;
	struct sched_param sp = {.sched_priority = m->bus.thread_priority};
	if ((rc = pthread_attr_setinheritsched(attr, PTHREAD_EXPLICIT_SCHED)))
		*call = "pthread_attr_setinheritsched";
	else if ((rc = pthread_attr_setschedpolicy(attr, SCHED_FIFO)))
		*call = "pthread_attr_setschedpolicy";
	else if ((rc = pthread_attr_setschedparam(attr, &sp)))
		*call = "pthread_attr_setschedparam";
	if (rc)
		pthread_attr_destroy(attr); /* cannot fail on an initialised attr */
	return rc;
}

/* Start the fieldbus thread, SCHED_FIFO when a priority is configured. */
static int mbus_start_thread(struct mbus *m, char *err, int err_len)
{
	pthread_attr_t attr;
	const char *call = "pthread_create";
	int rc = mbus_thread_attr(m, &attr, &call);
	if (rc == 0) {
		rc = pthread_create(&m->thread, &attr, mbus_thread, m);
		pthread_attr_destroy(&attr); /* cannot fail on an initialised attr */
	}
	if (rc != 0) {
		char policy[48] = "";
		if (m->bus.thread_priority > 0)
			snprintf(policy, sizeof(policy), " (SCHED_FIFO priority %d)",
				 m->bus.thread_priority);
		hal_errf(err, err_len, "Modbus %s: cannot start the fieldbus thread%s: %s: %s",
			 m->where, policy, call, strerror(rc));
		return -rc;
	}
	m->thread_running = true;
	return 0;
}

int mbus_open(struct mbus *m, const struct hal_config *cfg, char *err, int err_len)
{
	memset(m, 0, sizeof(*m));
	m->bus = cfg->bus;
	const struct hal_bus_config *bus = &m->bus;
	if (bus->kind == HAL_BUS_RTU)
		snprintf(m->where, sizeof(m->where), "rtu %s", bus->rtu_device);
	else
		snprintf(m->where, sizeof(m->where), "tcp %s:%d", bus->tcp_host, bus->tcp_port);
	mbus_pick_lines(m, cfg);
	if (cfg->backend == HAL_BACKEND_GPIOD_MODBUS &&
	    cfg->out_line[HAL_OUT_HEARTBEAT].location == HAL_LINE_MODBUS) {
		hal_errf(err, err_len,
			 "Modbus %s: GPIO line heartbeat cannot be on the digital IO module: it is a "
			 "local gpiochip line only (it feeds the charge-pump relay; the module has its "
			 "own watchdog)",
			 m->where);
		return -EINVAL;
	}
	int rc = mbus_check_config(m, err, err_len);
	if (rc < 0)
		return rc;
	if (bus->kind == HAL_BUS_RTU) {
		int char_bits = 1 + bus->rtu_data_bits + (bus->rtu_parity != 'N') + bus->rtu_stop_bits;
		m->gap_ns = (int64_t)(3.5 * char_bits * 1e9 / bus->rtu_baud) +
			    (int64_t)bus->rtu_frame_gap_us * 1000;
	}
	mbus_tribuf_init(&m->in_tb);
	mbus_tribuf_init(&m->out_tb);
	rc = mbus_new_context(m, err, err_len);
	if (rc < 0)
		return rc;
	if (modbus_connect(m->ctx) < 0) {
		rc = errno > 0 ? -errno : -EIO;
		hal_errf(err, err_len, "Modbus %s: cannot connect: %s", m->where,
			 modbus_strerror(-rc));
		modbus_free(m->ctx);
		m->ctx = NULL;
		return rc;
	}
	if (bus->kind == HAL_BUS_RTU && bus->rtu_rs485 &&
	    modbus_rtu_set_serial_mode(m->ctx, MODBUS_RTU_RS485) < 0)
		fprintf(stderr,
			"Modbus %s: the device has no RS-485 mode (%s); the adapter must switch "
			"direction itself\n",
			m->where, modbus_strerror(errno));
	atomic_store(&m->connects, 1);
	atomic_store(&m->connected, true);
	m->last_frame_end_ns = mbus_now_ns();
	rc = mbus_start_thread(m, err, err_len);
	if (rc < 0) {
		modbus_close(m->ctx);
		modbus_free(m->ctx);
		m->ctx = NULL;
		return rc;
	}
	m->is_open = true;
	return 0;
}

void mbus_close(struct mbus *m)
{
	if (!m->is_open)
		return;
	atomic_store(&m->stop, true);
	if (m->thread_running)
		pthread_join(m->thread, NULL);
	m->thread_running = false;
	modbus_close(m->ctx);
	modbus_free(m->ctx);
	m->ctx = NULL;
	m->is_open = false;
}

/* ---- the tick's side ---- */

int mbus_read(struct mbus *m, struct hal_inputs *in)
{
	const struct mbus_in_image *img = &m->in_slot[mbus_tribuf_take(&m->in_tb)];
	int64_t now = mbus_now_ns();
	memcpy(in->drive, img->in.drive, sizeof(in->drive));
	in->io = img->in.io;
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		if (!m->bus.unit_present[u]) {
			memset(&in->unit[u], 0, sizeof(in->unit[u]));
			continue;
		}
		in->unit[u] = img->in.unit[u];
		int64_t t = img->last_good_ns[u];
		int64_t age_ms = t == 0 ? INT64_MAX : (now - t) / MBUS_NS_PER_MS;
		in->unit[u].age_ms = age_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)age_ms;
	}
	in->gpio_in = (in->gpio_in & ~m->in_mask) | (img->in.gpio_in & m->in_mask);
	if (m->in_mask & (1u << HAL_IN_ESTOP))
		in->estop_presses = img->in.estop_presses;
	return 0;
}

int mbus_write(struct mbus *m, const struct hal_outputs *out)
{
	m->out_slot[m->out_tb.back] = *out;
	mbus_tribuf_publish(&m->out_tb);
	atomic_store_explicit(&m->have_outputs, true, memory_order_release);
	return 0;
}

int mbus_safe(struct mbus *m, const struct hal_outputs *safe_out)
{
	mbus_write(m, safe_out);
	unsigned gen = atomic_fetch_add(&m->safe_request, 1) + 1;
	int present = 0;
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		present += m->bus.unit_present[u];
	/* Two full passes with every unit timing out twice, and a cycle period. */
	int64_t limit_ms = 2LL * present * 2 * (m->bus.response_timeout_ms + 5) +
			   m->bus.cycle_ms + 100;
	int64_t deadline = mbus_now_ns() + limit_ms * MBUS_NS_PER_MS;
	while ((int)(atomic_load(&m->safe_done) - gen) < 0) {
		if (mbus_now_ns() >= deadline)
			return -ETIMEDOUT;
		mbus_sleep_until_ns(mbus_now_ns() + MBUS_NS_PER_MS);
	}
	return 0;
}

int mbus_wait_ready(struct mbus *m, int timeout_ms, char *err, int err_len)
{
	int64_t deadline = mbus_now_ns() + (int64_t)timeout_ms * MBUS_NS_PER_MS;
	for (;;) {
		const struct mbus_in_image *img = &m->in_slot[mbus_tribuf_take(&m->in_tb)];
		int silent = -1;
		for (int u = 0; u < HAL_UNIT_COUNT && silent < 0; u++)
			if (m->bus.unit_present[u] && img->last_good_ns[u] == 0)
				silent = u;
		if (silent < 0)
			return 0;
		if (mbus_now_ns() >= deadline) {
			hal_errf(err, err_len,
				 "Modbus %s: unit %d (%s) has not answered within %d ms", m->where,
				 m->bus.unit_id[silent], hal_unit_name[silent], timeout_ms);
			return -ETIMEDOUT;
		}
		mbus_sleep_until_ns(mbus_now_ns() + 2 * MBUS_NS_PER_MS);
	}
}

void mbus_get_stats(struct mbus *m, struct mbus_stats *st)
{
	st->cycles = atomic_load(&m->cycles);
	st->last_cycle_ns = atomic_load(&m->last_cycle_ns);
	st->total_cycle_ns = atomic_load(&m->total_cycle_ns);
	st->connects = atomic_load(&m->connects);
	st->connect_failures = atomic_load(&m->connect_failures);
	st->stale_holds = atomic_load(&m->stale_holds);
	st->connected = atomic_load(&m->connected);
}

/* ---- struct hal_backend glue ---- */

static int mbus_op_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	return mbus_open(ctx, cfg, err, err_len);
}

static int mbus_op_read(void *ctx, struct hal_inputs *in)
{
	return mbus_read(ctx, in);
}

static int mbus_op_write(void *ctx, const struct hal_outputs *out)
{
	return mbus_write(ctx, out);
}

static int mbus_op_safe(void *ctx, const struct hal_outputs *safe_out)
{
	return mbus_safe(ctx, safe_out);
}

static void mbus_op_close(void *ctx)
{
	mbus_close(ctx);
}

void mbus_backend_bind(struct mbus *m, struct hal_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->name = "modbus";
	b->ctx = m;
	b->open = mbus_op_open;
	b->read = mbus_op_read;
	b->write = mbus_op_write;
	b->safe = mbus_op_safe;
	b->close = mbus_op_close;
}
