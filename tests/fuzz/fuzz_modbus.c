/* libFuzzer target: the Modbus backend (drivers/modbus_bus.c over libmodbus 3.1.6) against a
 * hostile Modbus TCP server. The real backend opens its real context to a server thread of
 * this target on 127.0.0.1, its fieldbus thread cycles through the units as on a chair, and
 * every request it sends is answered as the input says: a correct reply carrying the
 * input's register values, an exception of any code, raw bytes, a correct reply with one
 * byte changed (transaction id, protocol, length, unit, function, byte count), cut short or
 * sent twice, or silence. The input's end closes the connection. Then the image the backend
 * publishes must say only what the bus said: an exception code the protocol has (1..11) or
 * the backend's "unknown", never more exceptions counted than transactions.
 *
 * The input: byte 0 bit 0, the tick writes outputs (so the drives get function 23 or 16,
 * the DIO module 6 and 15), bit 1 use_fc23; byte 1, which units are present (bit per unit,
 * the DIO module always: it carries the GPIO lines); then one instruction per request:
 * an op byte and its operands (below). With outputs, the requests before the cycle that
 * starts with outputs get correct replies without taking any input, so the same input
 * meets the same requests whenever the first write lands. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../drivers/hal.h"
#include "../../drivers/modbus_bus.h"
#include "fuzz.h"

#define FUZZ_MB_REQUESTS_MAX 48  /* requests answered from one input */
#define FUZZ_MB_SILENCES_MAX 2   /* each costs a response timeout */
#define FUZZ_MB_GATE_MAX 64      /* requests before the first cycle with outputs */
#define FUZZ_MB_WAIT_MS 2000     /* the server's bound on waiting for the backend */
#define FUZZ_MB_FRAME_MAX 300

enum fuzz_mb_op {
	OP_REPLY,     /* the correct reply, its data from the input */
	OP_EXCEPTION, /* code: the next byte */
	OP_RAW,       /* n, then n bytes as they are */
	OP_SILENCE,   /* no answer: the backend times out */
	OP_CLOSE,     /* the connection closes */
	OP_MUTATE,    /* the correct reply with byte [pos] xor x: the next two bytes */
	OP_TWICE,     /* the correct reply, twice */
	OP_CUT,       /* the first n bytes of the correct reply */
	OP_COUNT,
};

struct fuzz_in {
	const uint8_t *p, *end;
};

static uint8_t take(struct fuzz_in *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

static struct {
	int listen_fd;
	int port;
} srv = {-1, 0};

struct fuzz_mb_run {
	struct fuzz_in in;
	bool outputs;
	int first_unit_id;  /* of the first present unit: its write starts a cycle */
	int fd;
	int requests;       /* the backend's, answered or not */
	int answered;       /* replies that were whole and correct in shape */
};

static int fuzz_mb_listen(void)
{
	if (srv.listen_fd >= 0)
		return 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)&a, &alen)) {
		perror("fuzz server");
		return -1;
	}
	srv.listen_fd = fd;
	srv.port = ntohs(a.sin_port);
	return 0;
}

/* Wait for fd to be readable, at most FUZZ_MB_WAIT_MS. */
static bool fuzz_mb_wait(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int rc;
	while ((rc = poll(&p, 1, FUZZ_MB_WAIT_MS)) < 0 && errno == EINTR)
		;
	return rc > 0;
}

static bool fuzz_mb_read_all(int fd, uint8_t *buf, size_t len)
{
	while (len) {
		if (!fuzz_mb_wait(fd))
			return false;
		ssize_t n = recv(fd, buf, len, 0);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static void fuzz_mb_send(int fd, const uint8_t *buf, size_t len)
{
	if (len)
		(void)send(fd, buf, len, MSG_NOSIGNAL);
}

/* One request of the backend (MBAP header and PDU) into req; its length, or 0. */
static size_t fuzz_mb_request(int fd, uint8_t *req)
{
	if (!fuzz_mb_read_all(fd, req, 7))
		return 0;
	size_t len = (size_t)req[4] << 8 | req[5];
	if (len < 2 || 7 + len - 1 > FUZZ_MB_FRAME_MAX ||
	    !fuzz_mb_read_all(fd, req + 7, len - 1))
		return 0;
	return 7 + len - 1;
}

static bool fuzz_mb_is_write(uint8_t fc)
{
	return fc == 0x06 || fc == 0x0F || fc == 0x10 || fc == 0x17;
}

/* The correct reply to req, its data from in (zeros when in is NULL or used up). */
static size_t fuzz_mb_reply(const uint8_t *req, struct fuzz_in *in, uint8_t *rsp)
{
	const uint8_t *pdu = req + 7;
	uint8_t fc = pdu[0];
	memcpy(rsp, req, 7);
	size_t n = 0;
	rsp[7 + n++] = fc;
	unsigned qty = (unsigned)pdu[3] << 8 | pdu[4];
	switch (fc) {
	case 0x02:
	case 0x01: {
		unsigned bytes = (qty + 7) / 8;
		rsp[7 + n++] = (uint8_t)bytes;
		for (unsigned i = 0; i < bytes && n < 250; i++)
			rsp[7 + n++] = in ? take(in) : 0;
		break;
	}
	case 0x17:
		qty = (unsigned)pdu[3] << 8 | pdu[4]; /* the read half comes first */
		/* fall through */
	case 0x03:
	case 0x04:
		rsp[7 + n++] = (uint8_t)(2 * qty);
		for (unsigned i = 0; i < 2 * qty && n < 250; i++)
			rsp[7 + n++] = in ? take(in) : 0;
		break;
	case 0x06:
	case 0x0F:
	case 0x10:
		memcpy(rsp + 7 + n, pdu + 1, 4);
		n += 4;
		break;
	default:
		rsp[7] = (uint8_t)(fc | 0x80);
		rsp[7 + n++] = 1;
	}
	rsp[4] = (uint8_t)((n + 1) >> 8);
	rsp[5] = (uint8_t)(n + 1);
	return 7 + n;
}

/* Answer one request as the input says. False: the connection is to close. */
static bool fuzz_mb_answer(struct fuzz_mb_run *r, const uint8_t *req, int *silences)
{
	uint8_t rsp[FUZZ_MB_FRAME_MAX];
	uint8_t op = take(&r->in) % OP_COUNT;
	if (op == OP_SILENCE && ++*silences > FUZZ_MB_SILENCES_MAX)
		op = OP_REPLY;
	size_t len;
	switch (op) {
	case OP_REPLY:
	case OP_TWICE:
		len = fuzz_mb_reply(req, &r->in, rsp);
		fuzz_mb_send(r->fd, rsp, len);
		if (op == OP_TWICE)
			fuzz_mb_send(r->fd, rsp, len);
		r->answered++;
		return true;
	case OP_EXCEPTION:
		memcpy(rsp, req, 7);
		rsp[4] = 0;
		rsp[5] = 3;
		rsp[7] = (uint8_t)(req[7] | 0x80);
		rsp[8] = take(&r->in);
		fuzz_mb_send(r->fd, rsp, 9);
		r->answered++;
		return true;
	case OP_RAW:
		len = take(&r->in);
		for (size_t i = 0; i < len; i++)
			rsp[i] = take(&r->in);
		fuzz_mb_send(r->fd, rsp, len);
		return true;
	case OP_SILENCE:
		return true;
	case OP_MUTATE: {
		len = fuzz_mb_reply(req, &r->in, rsp);
		uint8_t pos = take(&r->in), x = take(&r->in);
		rsp[pos % len] ^= x ? x : 1;
		fuzz_mb_send(r->fd, rsp, len);
		return true;
	}
	case OP_CUT:
		len = fuzz_mb_reply(req, &r->in, rsp);
		fuzz_mb_send(r->fd, rsp, take(&r->in) % len);
		return true;
	default:
		return false;
	}
}

static void *fuzz_mb_server(void *arg)
{
	struct fuzz_mb_run *r = arg;
	if (!fuzz_mb_wait(srv.listen_fd))
		return NULL;
	r->fd = accept(srv.listen_fd, NULL, NULL);
	if (r->fd < 0)
		return NULL;
	uint8_t req[FUZZ_MB_FRAME_MAX], rsp[FUZZ_MB_FRAME_MAX];
	bool gated = r->outputs;
	int silences = 0;
	for (int gate = 0; gated && gate < FUZZ_MB_GATE_MAX; gate++) {
		size_t len = fuzz_mb_request(r->fd, req);
		if (!len)
			break;
		r->requests++;
		if (fuzz_mb_is_write(req[7]) && req[6] == r->first_unit_id) {
			gated = false;
			if (!fuzz_mb_answer(r, req, &silences))
				goto done;
			break;
		}
		fuzz_mb_send(r->fd, rsp, fuzz_mb_reply(req, NULL, rsp));
		r->answered++;
	}
	if (gated)
		goto done;
	while (r->in.p < r->in.end && r->requests < FUZZ_MB_REQUESTS_MAX) {
		size_t len = fuzz_mb_request(r->fd, req);
		if (!len)
			break;
		r->requests++;
		if (!fuzz_mb_answer(r, req, &silences))
			break;
	}
done:
	close(r->fd);
	return NULL;
}

/* What the backend published must be what the bus can say. */
static void fuzz_mb_check(const struct hal_inputs *in)
{
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		const struct hal_unit_status *st = &in->unit[u];
		unsigned codes[2] = {st->exception, st->last_exception};
		for (int i = 0; i < 2; i++)
			if (codes[i] > 11 && codes[i] != MBUS_EXCEPTION_UNKNOWN) {
				fprintf(stderr, "unit %d: exception code %u\n", u, codes[i]);
				abort();
			}
		if (st->exceptions > st->transactions) {
			fprintf(stderr, "unit %d: %u exceptions in %u transactions\n", u,
				(unsigned)st->exceptions, (unsigned)st->transactions);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || fuzz_mb_listen())
		return 0;
	struct hal_config cfg;
	hal_config_defaults(&cfg);
	cfg.backend = HAL_BACKEND_MODBUS;
	struct hal_bus_config *bus = &cfg.bus;
	bus->kind = HAL_BUS_TCP;
	bus->tcp_port = srv.port;
	bus->cycle_ms = 0;
	bus->response_timeout_ms = 4; /* the server thread answers in well under 1 ms */
	bus->byte_timeout_ms = 2;
	bus->reconnect_min_ms = 60000; /* no second connection within an input */
	bus->reconnect_max_ms = 60000;
	bus->use_fc23 = data[0] & 2;
	unsigned present = data[1] & 0x7f;
	struct fuzz_mb_run r = {.in = {data + 2, data + size}, .outputs = data[0] & 1, .fd = -1,
				.first_unit_id = 0};
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		bus->unit_present[u] = !present || (present >> u & 1) || u == HAL_UNIT_DIO;
		if (bus->unit_present[u] && !r.first_unit_id)
			r.first_unit_id = bus->unit_id[u];
	}
	pthread_t server;
	if (pthread_create(&server, NULL, fuzz_mb_server, &r))
		abort();
	struct mbus m;
	char err[256];
	if (mbus_open(&m, &cfg, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	if (r.outputs) {
		struct hal_outputs out;
		memset(&out, 0, sizeof(out));
		hal_safe_outputs(&out, 0);
		mbus_write(&m, &out);
	}
	pthread_join(server, NULL);
	struct hal_inputs in;
	memset(&in, 0, sizeof(in));
	mbus_close(&m); /* the thread has stopped: what it published last is final */
	mbus_read(&m, &in);
	fuzz_mb_check(&in);
	return 0;
}
