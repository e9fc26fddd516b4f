/* The Modbus backend on libmodbus: the five motor drives, the analog IO module and the
 * digital IO module of CHAIR.md over RTU or TCP.
 *
 * A fieldbus thread owns the bus (its own modbus_t: contexts are not thread safe) and cycles
 * through the present units; the tick's read() and write() only copy process images through
 * two triple buffers (C11 atomics), so neither ever waits for the bus, locks or allocates.
 * Each unit's data carries the CLOCK_MONOTONIC time of its last good transaction, turned into
 * unit[u].age_ms when read() runs. */
#ifndef MODBUS_BUS_H
#define MODBUS_BUS_H

#include <modbus.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

/* unit[u].exception for an exception answer whose code libmodbus 3.1.6 does not pass on
 * (codes 12..255 arrive only as EMBBADEXC); no real code is wider than a byte. */
#define MBUS_EXCEPTION_UNKNOWN 0xFFFFu

/* Index bookkeeping of a single-producer single-consumer triple buffer: the producer fills
 * slot `back` and swaps it with `middle`; the consumer swaps `front` with `middle` when the
 * middle holds something new. Neither side ever waits for the other. */
struct mbus_tribuf {
	atomic_uint middle; /* slot index | MBUS_TRIBUF_FRESH */
	unsigned back;      /* producer's */
	unsigned front;     /* consumer's */
};

/* What the fieldbus thread publishes: the inputs and when each unit last answered. */
struct mbus_in_image {
	struct hal_inputs in;                 /* gpio_in holds only the lines on the bus */
	int64_t last_good_ns[HAL_UNIT_COUNT]; /* CLOCK_MONOTONIC; 0 = never */
};

/* Figures about the bus itself, for diagnostics and the bench. */
struct mbus_stats {
	uint64_t cycles;          /* complete passes over the present units */
	uint64_t last_cycle_ns;   /* duration of the last complete pass */
	uint64_t total_cycle_ns;  /* sum over all passes, for a mean */
	uint32_t connects;        /* successful (re)connections, the first included */
	uint32_t connect_failures;
	uint32_t stale_holds;     /* transactions sent only to read: the tick's outputs were stale */
	bool connected;
};

struct mbus {
	/* configuration, fixed at open */
	struct hal_bus_config bus;
	uint32_t in_mask, in_active_low;   /* GPIO input lines carried by the DIO module */
	uint32_t out_mask, out_active_low; /* GPIO output lines carried by the DIO module */
	int64_t gap_ns;                    /* RTU: silence before each request */
	char where[2 * HAL_NAME_MAX];      /* "tcp 127.0.0.1:1502" or "rtu /dev/ttyUSB0" */

	/* fieldbus thread -> tick */
	struct mbus_in_image in_slot[3];
	struct mbus_tribuf in_tb;
	/* tick -> fieldbus thread */
	struct hal_outputs out_slot[3];
	struct mbus_tribuf out_tb;
	atomic_bool have_outputs; /* until the first write the units are only read */
	atomic_uint safe_request; /* generation of the last safe() */
	atomic_uint safe_done;    /* generation the thread has written to every unit */

	/* statistics, written by the thread only */
	atomic_uint_fast64_t cycles, last_cycle_ns, total_cycle_ns;
	atomic_uint connects, connect_failures;
	atomic_uint stale_holds; /* transactions sent without writes: the tick's outputs were stale */
	atomic_bool connected;

	/* owned by the fieldbus thread after open */
	modbus_t *ctx;
	struct mbus_in_image work;
	struct hal_outputs cur_out;
	int backoff_ms;
	int64_t next_connect_ns;
	int64_t last_frame_end_ns;
	int64_t last_new_out_ns;  /* when the tick last published outputs not yet taken */
	int dead_cycles;          /* TCP: passes in which no unit answered */
	bool estop_seen, estop_was_pressed;
	uint32_t estop_presses;
	uint16_t dio_timeout_sent; /* the DIO watchdog value the module holds, as far as this
	                              connection knows (0: off, or not written yet) */

	pthread_t thread;
	bool thread_running;
	atomic_bool stop;
	bool is_open;
};

/* Check the bus config, create the libmodbus context, connect once (a missing device or a
 * refused connection is an error naming it) and start the fieldbus thread. With
 * cfg->backend HAL_BACKEND_MODBUS every GPIO line is on the DIO module, whatever its
 * location says; with HAL_BACKEND_GPIOD_MODBUS only the lines whose location is
 * HAL_LINE_MODBUS. 0 or a negative errno, with a message in err. */
int mbus_open(struct mbus *m, const struct hal_config *cfg, char *err, int err_len);

/* The newest complete input image: drives, IO module, the bus's GPIO lines (and the e-stop
 * press count when the e-stop is on the bus), unit status with ages as of now. Units not
 * present read as zeros with age 0. Never blocks. */
int mbus_read(struct mbus *m, struct hal_inputs *in);

/* Publish the outputs for the fieldbus thread's next transactions. Never blocks. */
int mbus_write(struct mbus *m, const struct hal_outputs *out);

/* Publish safe_out and wait until the fieldbus thread has written it to every present unit
 * (at most a couple of bus cycles). -ETIMEDOUT when the bus could not deliver it. Not for
 * the tick: it waits. */
int mbus_safe(struct mbus *m, const struct hal_outputs *safe_out);

/* Stop the fieldbus thread, close and free the context. */
void mbus_close(struct mbus *m);

void mbus_get_stats(struct mbus *m, struct mbus_stats *st);

/* Fill b with this backend's operations on m (no allocation; m outlives b). */
void mbus_backend_bind(struct mbus *m, struct hal_backend *b);

/* Wait up to timeout_ms until every present unit has answered at least once: chaird calls
 * it before starting the tick so the first ticks see data, not ages of "never". 0 or
 * -ETIMEDOUT; names the first silent unit in err. */
int mbus_wait_ready(struct mbus *m, int timeout_ms, char *err, int err_len);

#endif
