/* A Modbus server for the simulated chair: every drive, the analog IO module and the digital
 * IO module of CHAIR.md, each under its own unit id, over TCP (several clients) or over RTU
 * on one serial line. It knows nothing of physics: the caller hands it the input image to
 * serve and takes back what the controller wrote, unit by unit.
 *
 * Frames are read and routed here (unit id from the request), then libmodbus's modbus_reply
 * answers from the unit's register mapping into a socketpair, so the wire faults can act on
 * the finished response: no reply, a late reply, a bad CRC, an exception instead. (An RTU
 * server context of libmodbus 3.1.6 that ignores a request for another unit id swallows the
 * next frame, so one context cannot serve several units on one line by itself.)
 *
 * Nothing here allocates after simsrv_open. */
#ifndef SIMSRV_H
#define SIMSRV_H

#include <modbus.h>
#include <stdbool.h>
#include <stdint.h>

#include "../drivers/hal.h"

#define SIMSRV_MAX_CLIENTS 8
#define SIMSRV_MAX_PENDING 32
#define SIMSRV_FRAME_MAX 260

enum simsrv_kind { SIMSRV_TCP, SIMSRV_RTU };

/* Where to serve: "tcp:HOST:PORT" (PORT 0 picks a free one) or "rtu:DEVICE,BAUD,8N2". */
struct simsrv_spec {
	enum simsrv_kind kind;
	char host[HAL_NAME_MAX];
	int port;
	char device[HAL_NAME_MAX];
	int baud;
	char parity;
	int data_bits;
	int stop_bits;
};

/* Parse a spec; -EINVAL with a message in err. */
int simsrv_parse_spec(const char *text, struct simsrv_spec *spec, char *err, int err_len);

/* Wire faults of one unit. */
struct simsrv_unit_faults {
	bool silent;     /* hears (writes land) but never answers */
	bool deaf;       /* neither hears nor answers */
	int late_ms;     /* answers this much later (0 = at once) */
	int exception;   /* answers every request with this exception code (0 = none; a
			  * client on libmodbus 3.1.6 sees codes above 11 only as EMBBADEXC) */
};

/* What happened on the wire, per unit (index enum hal_unit). */
struct simsrv_counters {
	uint32_t requests[HAL_UNIT_COUNT];
	uint32_t replies[HAL_UNIT_COUNT];
	uint32_t unanswered[HAL_UNIT_COUNT]; /* silent or deaf */
	uint32_t late[HAL_UNIT_COUNT];
	uint32_t bad_crc[HAL_UNIT_COUNT];
	uint32_t exceptions[HAL_UNIT_COUNT];
	uint32_t rx_crc_errors;   /* requests dropped for a bad CRC (RTU) */
	uint32_t other_units;     /* requests for unit ids nobody here has */
	uint32_t clients;         /* TCP connections accepted */
};

struct simsrv_pending {
	bool used;
	int fd;
	int64_t due_ns;
	int len;
	uint8_t frame[SIMSRV_FRAME_MAX];
};

struct simsrv_client {
	int fd; /* -1 = free */
	int len;
	uint8_t buf[2 * SIMSRV_FRAME_MAX];
};

struct simsrv {
	struct simsrv_spec spec;
	struct hal_bus_config bus; /* unit ids, register addresses */
	uint32_t in_active_low, out_active_low;
	int fc23_read_base;
	char where[2 * HAL_NAME_MAX];

	modbus_t *reply_ctx;
	int capture[2];            /* modbus_reply writes to [0], the response is read from [1] */
	modbus_mapping_t *map[HAL_UNIT_COUNT];

	int listen_fd;             /* TCP */
	struct simsrv_client client[SIMSRV_MAX_CLIENTS];
	int line_fd;               /* RTU */
	struct simsrv_client line;
	int64_t line_last_rx_ns;
	int64_t char_ns;

	struct simsrv_unit_faults fault[HAL_UNIT_COUNT];
	double bad_crc_percent;
	bool wire_pace;            /* RTU: answer when a real line at this baud rate would */
	uint64_t rng;
	struct simsrv_pending pending[SIMSRV_MAX_PENDING];
	uint32_t written;          /* units written since the last simsrv_poll returned */
	uint32_t heard;            /* units a request reached since simsrv_take_heard */
	struct simsrv_counters count;
	bool is_open;
};

/* Open the server: the register mappings per cfg->bus (unit ids, present units, addresses)
 * and the line polarity of cfg's GPIO lines (the DIO module serves electrical levels: estop_n
 * reads 1 while released). Listens (TCP) or opens the serial line (RTU). 0 or a negative
 * errno, with a message in err. */
int simsrv_open(struct simsrv *s, const struct simsrv_spec *spec, const struct hal_config *cfg,
		char *err, int err_len);

/* The TCP port actually listened on (after port 0), or 0 for RTU. */
int simsrv_port(const struct simsrv *s);

/* "tcp:127.0.0.1:40123" or "rtu:/dev/pts/3,115200,8N2": where clients find it. */
const char *simsrv_where(const struct simsrv *s);

/* Put the input image into every unit's registers (drives, IO, DIO levels). */
void simsrv_set_inputs(struct simsrv *s, const struct hal_inputs *in);

/* Serve the line for up to timeout_us: accept clients, answer every complete request, send
 * late answers that are due. Returns the set of units written by requests (bit n = enum
 * hal_unit n) since the last call, or a negative errno when the line itself failed. */
int simsrv_poll(struct simsrv *s, int timeout_us);

/* The outputs as the controller last wrote them into the registers (the DIO module's
 * coils and its holding register 0, dio_comm_timeout_ms, included). */
void simsrv_get_outputs(const struct simsrv *s, struct hal_outputs *out);

/* The DIO module's coils as they are now (gpio_out, logical), for a module that changes
 * them by itself: its watchdog. A read of the coils then shows what the module does. */
void simsrv_set_coils(struct simsrv *s, uint32_t gpio_out);

/* The units a request of any kind reached (answered or not, but not while deaf) since the
 * last call, bit n = enum hal_unit n: what feeds the DIO module's watchdog. */
uint32_t simsrv_take_heard(struct simsrv *s);

/* Wire faults: per unit, and bad CRCs on a share of all answers (seeded). */
void simsrv_set_unit_faults(struct simsrv *s, enum hal_unit u, const struct simsrv_unit_faults *f);
void simsrv_set_bad_crc(struct simsrv *s, double percent, uint64_t seed);
/* Change the bad-CRC share without reseeding, for faults on a schedule. */
void simsrv_set_bad_crc_percent(struct simsrv *s, double percent);

/* RTU on a pty, which moves bytes at once whatever the baud rate: hold each answer back
 * until the request's and the answer's characters and the 3.5-character turnaround would
 * have crossed a real line, so cycle times measured through it are a real line's. */
void simsrv_set_wire_pace(struct simsrv *s, bool on);

void simsrv_close(struct simsrv *s);

#endif
