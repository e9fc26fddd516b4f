/* The simulated chair's Modbus server: framing, routing by unit id, answers through
 * libmodbus's modbus_reply, and the wire faults applied to finished answers. */
#include "modbus_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../drivers/hal_regs.h"

#define SIMSRV_TCP_HEADER 7     /* MBAP header, unit id included */
#define SIMSRV_MAP_REGS_MAX 4096

static int64_t simsrv_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void simsrv_err(char *err, int err_len, const char *fmt, ...)
{
	if (!err || err_len <= 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, (size_t)err_len, fmt, ap);
	va_end(ap);
}

/* The Modbus RTU CRC (polynomial 0xA001 reflected, initial 0xFFFF), sent low byte first. */
static uint16_t simsrv_crc16(const uint8_t *b, int n)
{
	uint16_t crc = 0xFFFF;
	for (int i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

/* xorshift64*: a uniform number in [0, 1) from the server's own seeded state. */
static double simsrv_random(struct simsrv *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (double)((s->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

/* ---- spec ---- */

int simsrv_parse_spec(const char *text, struct simsrv_spec *spec, char *err, int err_len)
{
	memset(spec, 0, sizeof(*spec));
	if (strncmp(text, "tcp:", 4) == 0) {
		const char *hp = text + 4;
		const char *colon = strrchr(hp, ':');
		char *end;
		if (!colon || colon == hp || (size_t)(colon - hp) >= sizeof(spec->host))
			goto bad;
		long port = strtol(colon + 1, &end, 10);
		if (*end || end == colon + 1 || port < 0 || port > 65535)
			goto bad;
		spec->kind = SIMSRV_TCP;
		memcpy(spec->host, hp, (size_t)(colon - hp));
		spec->port = (int)port;
		return 0;
	}
	if (strncmp(text, "rtu:", 4) == 0) {
		const char *dev = text + 4;
		const char *comma = strchr(dev, ',');
		size_t dev_len = comma ? (size_t)(comma - dev) : strlen(dev);
		if (dev_len == 0 || dev_len >= sizeof(spec->device))
			goto bad;
		spec->kind = SIMSRV_RTU;
		memcpy(spec->device, dev, dev_len);
		spec->baud = 115200;
		spec->data_bits = 8;
		spec->parity = 'N';
		spec->stop_bits = 2;
		if (!comma)
			return 0;
		char *end;
		long baud = strtol(comma + 1, &end, 10);
		if (end == comma + 1 || baud <= 0)
			goto bad;
		spec->baud = (int)baud;
		if (*end == '\0')
			return 0;
		if (*end != ',' || strlen(end + 1) != 3 || end[1] < '5' || end[1] > '8' ||
		    !strchr("NEO", end[2]) || (end[3] != '1' && end[3] != '2'))
			goto bad;
		spec->data_bits = end[1] - '0';
		spec->parity = end[2];
		spec->stop_bits = end[3] - '0';
		return 0;
	}
bad:
	simsrv_err(err, err_len,
		   "bad Modbus spec '%s': expected tcp:HOST:PORT or rtu:DEVICE,BAUD,8N2", text);
	return -EINVAL;
}

/* ---- register mappings ---- */

static int simsrv_drive_reg_start(const struct simsrv *s)
{
	int hold = s->bus.drive_hold_base;
	return s->fc23_read_base < hold ? s->fc23_read_base : hold;
}

/* One mapping per present unit, at the addresses of the config. */
static int simsrv_make_maps(struct simsrv *s, char *err, int err_len)
{
	const struct hal_bus_config *bus = &s->bus;
	int hold = bus->drive_hold_base;
	int reg_start = simsrv_drive_reg_start(s);
	int hold_end = hold + HAL_DRIVE_OUT_REGS;
	int mirror_end = s->fc23_read_base + HAL_DRIVE_IN_REGS;
	int reg_nb = (hold_end > mirror_end ? hold_end : mirror_end) - reg_start;
	if (reg_nb > SIMSRV_MAP_REGS_MAX) {
		simsrv_err(err, err_len,
			   "drive holding registers %d and FC23 mirror %d are too far apart",
			   hold, s->fc23_read_base);
		return -EINVAL;
	}
	for (int u = 0; u < HAL_UNIT_COUNT; u++) {
		if (!bus->unit_present[u])
			continue;
		if (u <= HAL_UNIT_DRIVE_W)
			s->map[u] = modbus_mapping_new_start_address(
				0, 0, 0, 0, (unsigned)reg_start, (unsigned)reg_nb,
				(unsigned)bus->drive_input_base, HAL_DRIVE_IN_REGS);
		else if (u == HAL_UNIT_IO)
			s->map[u] = modbus_mapping_new_start_address(
				0, 0, 0, 0, 0, 0, (unsigned)bus->io_input_base, HAL_IO_IN_REGS);
		else
			s->map[u] = modbus_mapping_new_start_address(
				(unsigned)bus->dio_coil_base, HAL_DIO_COIL_COUNT,
				(unsigned)bus->dio_input_base, HAL_IN_COUNT,
				HAL_DIO_REG_COMM_TIMEOUT, 1, 0, 0);
		if (!s->map[u]) {
			simsrv_err(err, err_len, "unit %s: cannot allocate its registers",
				   hal_unit_name[u]);
			return -ENOMEM;
		}
	}
	return 0;
}

void simsrv_set_inputs(struct simsrv *s, const struct hal_inputs *in)
{
	int mirror = s->fc23_read_base - simsrv_drive_reg_start(s);
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		modbus_mapping_t *m = s->map[HAL_UNIT_DRIVE_Y + a];
		if (!m)
			continue;
		hal_regs_from_drive_in(&in->drive[a], m->tab_input_registers);
		memcpy(&m->tab_registers[mirror], m->tab_input_registers,
		       HAL_DRIVE_IN_REGS * sizeof(uint16_t));
	}
	if (s->map[HAL_UNIT_IO])
		hal_regs_from_io_in(&in->io, s->map[HAL_UNIT_IO]->tab_input_registers);
	if (s->map[HAL_UNIT_DIO]) {
		uint32_t level = in->gpio_in ^ s->in_active_low;
		for (int i = 0; i < HAL_IN_COUNT; i++)
			s->map[HAL_UNIT_DIO]->tab_input_bits[i] = (level >> i) & 1u;
	}
}

void simsrv_get_outputs(const struct simsrv *s, struct hal_outputs *out)
{
	memset(out, 0, sizeof(*out));
	int hold = s->bus.drive_hold_base - simsrv_drive_reg_start(s);
	for (int a = 0; a < HAL_AXIS_COUNT; a++) {
		const modbus_mapping_t *m = s->map[HAL_UNIT_DRIVE_Y + a];
		if (m)
			hal_regs_to_drive_out(&m->tab_registers[hold], &out->drive[a]);
	}
	const modbus_mapping_t *dio = s->map[HAL_UNIT_DIO];
	if (dio) {
		uint32_t level = 0;
		for (int i = 0; i < HAL_DIO_COIL_COUNT; i++)
			if (dio->tab_bits[i])
				level |= 1u << i;
		out->gpio_out = (level ^ s->out_active_low) & ((1u << HAL_DIO_COIL_COUNT) - 1);
		out->dio_comm_timeout_ms = dio->tab_registers[0];
	}
}

void simsrv_set_coils(struct simsrv *s, uint32_t gpio_out)
{
	modbus_mapping_t *dio = s->map[HAL_UNIT_DIO];
	if (!dio)
		return;
	uint32_t level = gpio_out ^ s->out_active_low;
	for (int i = 0; i < HAL_DIO_COIL_COUNT; i++)
		dio->tab_bits[i] = (level >> i) & 1u;
}

uint32_t simsrv_take_heard(struct simsrv *s)
{
	uint32_t heard = s->heard;
	s->heard = 0;
	return heard;
}

/* ---- answering ---- */

static int simsrv_unit_of(const struct simsrv *s, int id)
{
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		if (s->bus.unit_present[u] && s->bus.unit_id[u] == id)
			return u;
	return -1;
}

static bool simsrv_is_write(int function)
{
	return function == 5 || function == 6 || function == 15 || function == 16 ||
	       function == 22 || function == 23;
}

/* An exception answer to req, framed for the line. */
static int simsrv_exception_frame(const struct simsrv *s, const uint8_t *req, int code,
				  uint8_t *rsp)
{
	if (s->spec.kind == SIMSRV_TCP) {
		rsp[0] = req[0];
		rsp[1] = req[1];
		rsp[2] = rsp[3] = 0;
		rsp[4] = 0;
		rsp[5] = 3;
		rsp[6] = req[6];
		rsp[7] = (uint8_t)(req[7] | 0x80);
		rsp[8] = (uint8_t)code;
		return 9;
	}
	rsp[0] = req[0];
	rsp[1] = (uint8_t)(req[1] | 0x80);
	rsp[2] = (uint8_t)code;
	uint16_t crc = simsrv_crc16(rsp, 3);
	rsp[3] = (uint8_t)(crc & 0xFF);
	rsp[4] = (uint8_t)(crc >> 8);
	return 5;
}

/* Let libmodbus answer req from unit u's registers; the answer lands in rsp. */
static int simsrv_reply(struct simsrv *s, enum hal_unit u, const uint8_t *req, int len,
			uint8_t *rsp)
{
	int header = s->spec.kind == SIMSRV_TCP ? SIMSRV_TCP_HEADER : 1;
	modbus_set_slave(s->reply_ctx, req[header - 1]);
	int rc = modbus_reply(s->reply_ctx, req, len, s->map[u]);
	if (rc <= 0)
		return rc;
	ssize_t n = recv(s->capture[1], rsp, SIMSRV_FRAME_MAX, MSG_DONTWAIT);
	if (n <= 0)
		return -EIO;
	if (simsrv_is_write(req[header]) && !(rsp[header] & 0x80))
		s->written |= 1u << u;
	return (int)n;
}

static void simsrv_send(struct simsrv *s, int fd, const uint8_t *frame, int len)
{
	ssize_t n = s->spec.kind == SIMSRV_TCP ? send(fd, frame, (size_t)len, MSG_NOSIGNAL)
					       : write(fd, frame, (size_t)len);
	(void)n; /* a client gone mid-answer is noticed on its next read */
}

/* Answer one complete request frame that came in on fd, with the unit's wire faults. */
static void simsrv_handle(struct simsrv *s, int fd, const uint8_t *req, int len)
{
	int header = s->spec.kind == SIMSRV_TCP ? SIMSRV_TCP_HEADER : 1;
	int u = simsrv_unit_of(s, req[header - 1]);
	if (u < 0) {
		s->count.other_units++;
		return;
	}
	s->count.requests[u]++;
	const struct simsrv_unit_faults *f = &s->fault[u];
	if (f->deaf) {
		s->count.unanswered[u]++;
		return;
	}
	s->heard |= 1u << u;
	uint8_t rsp[SIMSRV_FRAME_MAX];
	int rlen;
	if (f->exception) {
		rlen = simsrv_exception_frame(s, req, f->exception, rsp);
		s->count.exceptions[u]++;
	} else {
		rlen = simsrv_reply(s, (enum hal_unit)u, req, len, rsp);
		if (rlen <= 0)
			return;
	}
	if (f->silent) {
		s->count.unanswered[u]++;
		return;
	}
	if (s->bad_crc_percent > 0 && simsrv_random(s) * 100.0 < s->bad_crc_percent) {
		/* RTU: a broken checksum. TCP has none: a broken transaction id is what
		 * a client sees of a corrupted answer there. */
		rsp[s->spec.kind == SIMSRV_TCP ? 0 : rlen - 1] ^= 0xFF;
		s->count.bad_crc[u]++;
	}
	int64_t delay_ns = f->late_ms * 1000000LL;
	if (s->wire_pace && s->spec.kind == SIMSRV_RTU)
		delay_ns += (2 * (len + rlen) + 7) * s->char_ns / 2; /* characters + 3.5 gap */
	if (delay_ns > 0) {
		for (int i = 0; i < SIMSRV_MAX_PENDING; i++) {
			struct simsrv_pending *p = &s->pending[i];
			if (p->used)
				continue;
			p->used = true;
			p->fd = fd;
			p->due_ns = simsrv_now_ns() + delay_ns;
			p->len = rlen;
			memcpy(p->frame, rsp, (size_t)rlen);
			if (f->late_ms > 0)
				s->count.late[u]++;
			else
				s->count.replies[u]++;
			return;
		}
		s->count.unanswered[u]++; /* queue full: the answer is lost */
		return;
	}
	simsrv_send(s, fd, rsp, rlen);
	s->count.replies[u]++;
}

/* Send the late answers whose time has come; the earliest still waiting, or INT64_MAX. */
static int64_t simsrv_send_due(struct simsrv *s)
{
	int64_t now = simsrv_now_ns(), next = INT64_MAX;
	for (int i = 0; i < SIMSRV_MAX_PENDING; i++) {
		struct simsrv_pending *p = &s->pending[i];
		if (!p->used)
			continue;
		if (p->due_ns <= now) {
			simsrv_send(s, p->fd, p->frame, p->len);
			p->used = false;
		} else if (p->due_ns < next) {
			next = p->due_ns;
		}
	}
	return next;
}

/* ---- framing ---- */

/* Length of the RTU request starting at b from what has arrived: 0 = not known yet,
 * -1 = a function this server cannot frame. */
static int simsrv_rtu_request_len(const uint8_t *b, int n)
{
	if (n < 2)
		return 0;
	switch (b[1]) {
	case 1: case 2: case 3: case 4: case 5: case 6: case 8:
		return 8;
	case 7: case 11: case 12: case 17:
		return 4;
	case 15: case 16:
		return n < 7 ? 0 : 9 + b[6];
	case 22:
		return 10;
	case 23:
		return n < 11 ? 0 : 13 + b[10];
	default:
		return -1;
	}
}

static void simsrv_consume(struct simsrv_client *c, int n)
{
	memmove(c->buf, c->buf + n, (size_t)(c->len - n));
	c->len -= n;
}

/* Answer every complete RTU frame in the line buffer. */
static void simsrv_rtu_frames(struct simsrv *s)
{
	struct simsrv_client *c = &s->line;
	while (c->len > 0) {
		int need = simsrv_rtu_request_len(c->buf, c->len);
		if (need < 0 || need > SIMSRV_FRAME_MAX) {
			c->len = 0; /* cannot frame it: wait for the line to go quiet */
			return;
		}
		if (need == 0 || c->len < need)
			return;
		uint16_t crc = simsrv_crc16(c->buf, need - 2);
		if (c->buf[need - 2] != (crc & 0xFF) || c->buf[need - 1] != (crc >> 8)) {
			s->count.rx_crc_errors++;
			c->len = 0; /* framing lost: drop what came */
			return;
		}
		uint8_t req[SIMSRV_FRAME_MAX];
		memcpy(req, c->buf, (size_t)need);
		simsrv_consume(c, need);
		simsrv_handle(s, s->line_fd, req, need);
	}
}

/* Answer every complete MBAP frame a TCP client sent; false when the client must go. */
static bool simsrv_tcp_frames(struct simsrv *s, struct simsrv_client *c)
{
	while (c->len >= SIMSRV_TCP_HEADER) {
		int length = (c->buf[4] << 8) | c->buf[5];
		if (length < 2 || length > SIMSRV_FRAME_MAX - 6 || c->buf[2] || c->buf[3])
			return false; /* not Modbus TCP */
		int need = 6 + length;
		if (c->len < need)
			return true;
		uint8_t req[SIMSRV_FRAME_MAX];
		memcpy(req, c->buf, (size_t)need);
		simsrv_consume(c, need);
		simsrv_handle(s, c->fd, req, need);
	}
	return true;
}

static void simsrv_drop_client(struct simsrv *s, struct simsrv_client *c)
{
	for (int i = 0; i < SIMSRV_MAX_PENDING; i++)
		if (s->pending[i].used && s->pending[i].fd == c->fd)
			s->pending[i].used = false;
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* Read what one connection or the line has; false when it closed or failed. */
static bool simsrv_fill(struct simsrv_client *c, int fd)
{
	ssize_t n = read(fd, c->buf + c->len, sizeof(c->buf) - (size_t)c->len);
	if (n > 0) {
		c->len += (int)n;
		return true;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	return false;
}

static void simsrv_accept(struct simsrv *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct simsrv_client *slot = NULL;
		for (int i = 0; i < SIMSRV_MAX_CLIENTS && !slot; i++)
			if (s->client[i].fd < 0)
				slot = &s->client[i];
		if (!slot) {
			close(fd); /* full: a later client waits for one to leave */
			continue;
		}
		slot->fd = fd;
		slot->len = 0;
		s->count.clients++;
	}
}

int simsrv_poll(struct simsrv *s, int timeout_us)
{
	struct pollfd pfd[SIMSRV_MAX_CLIENTS + 1];
	struct simsrv_client *owner[SIMSRV_MAX_CLIENTS + 1];
	int n = 0;
	if (s->spec.kind == SIMSRV_TCP) {
		pfd[n] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		owner[n++] = NULL;
		for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++)
			if (s->client[i].fd >= 0) {
				pfd[n] = (struct pollfd){.fd = s->client[i].fd, .events = POLLIN};
				owner[n++] = &s->client[i];
			}
	} else {
		pfd[n] = (struct pollfd){.fd = s->line_fd, .events = POLLIN};
		owner[n++] = &s->line;
	}
	int64_t now = simsrv_now_ns();
	int64_t wake = now + (int64_t)(timeout_us > 0 ? timeout_us : 0) * 1000;
	int64_t due = simsrv_send_due(s);
	if (due < wake)
		wake = due;
	int64_t wait_ns = wake > now ? wake - now : 0;
	struct timespec ts = {(time_t)(wait_ns / 1000000000LL), (long)(wait_ns % 1000000000LL)};
	int rc = ppoll(pfd, (nfds_t)n, &ts, NULL);
	if (rc < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; rc > 0 && i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (!owner[i]) {
			simsrv_accept(s);
			continue;
		}
		if (s->spec.kind == SIMSRV_RTU) {
			if (!simsrv_fill(&s->line, s->line_fd))
				return -EIO;
			s->line_last_rx_ns = simsrv_now_ns();
			simsrv_rtu_frames(s);
		} else if (!simsrv_fill(owner[i], owner[i]->fd) || !simsrv_tcp_frames(s, owner[i])) {
			simsrv_drop_client(s, owner[i]);
		}
	}
	/* RTU: a partial frame after 20 character times of silence is a broken one. */
	if (s->spec.kind == SIMSRV_RTU && s->line.len > 0 &&
	    simsrv_now_ns() - s->line_last_rx_ns > 20 * s->char_ns)
		s->line.len = 0;
	simsrv_send_due(s);
	int written = (int)s->written;
	s->written = 0;
	return written;
}

/* ---- open and close ---- */

static int simsrv_listen(struct simsrv *s, char *err, int err_len)
{
	char port[16];
	snprintf(port, sizeof(port), "%d", s->spec.port);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res;
	int gai = getaddrinfo(s->spec.host, port, &hints, &res);
	if (gai != 0) {
		simsrv_err(err, err_len, "Modbus TCP %s:%s: %s", s->spec.host, port,
			   gai_strerror(gai));
		return -EINVAL;
	}
	int rc = -EADDRNOTAVAIL;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 8) < 0) {
			rc = -errno;
			close(fd);
			continue;
		}
		s->listen_fd = fd;
		rc = 0;
		break;
	}
	freeaddrinfo(res);
	if (rc < 0) {
		simsrv_err(err, err_len, "Modbus TCP %s:%d: cannot listen: %s", s->spec.host,
			   s->spec.port, strerror(-rc));
		return rc;
	}
	struct sockaddr_storage sa;
	socklen_t sl = sizeof(sa);
	getsockname(s->listen_fd, (struct sockaddr *)&sa, &sl);
	s->spec.port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
						      : ((struct sockaddr_in *)&sa)->sin_port);
	snprintf(s->where, sizeof(s->where), "tcp:%s:%d", s->spec.host, s->spec.port);
	return 0;
}

static speed_t simsrv_speed(int baud)
{
	static const struct { int baud; speed_t speed; } table[] = {
		{1200, B1200}, {2400, B2400}, {4800, B4800}, {9600, B9600}, {19200, B19200},
		{38400, B38400}, {57600, B57600}, {115200, B115200}, {230400, B230400},
		{460800, B460800}, {500000, B500000}, {921600, B921600}, {1000000, B1000000},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].baud == baud)
			return table[i].speed;
	return B0;
}

static int simsrv_open_line(struct simsrv *s, char *err, int err_len)
{
	const struct simsrv_spec *sp = &s->spec;
	speed_t speed = simsrv_speed(sp->baud);
	if (speed == B0) {
		simsrv_err(err, err_len, "Modbus RTU %s: unsupported baud rate %d", sp->device,
			   sp->baud);
		return -EINVAL;
	}
	s->line_fd = open(sp->device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->line_fd < 0) {
		int rc = -errno;
		simsrv_err(err, err_len, "Modbus RTU %s: cannot open: %s", sp->device,
			   strerror(-rc));
		return rc;
	}
	struct termios tio;
	if (tcgetattr(s->line_fd, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetispeed(&tio, speed);
		cfsetospeed(&tio, speed);
		tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB);
		tio.c_cflag |= CLOCAL | CREAD;
		tio.c_cflag |= sp->data_bits == 5 ? CS5 : sp->data_bits == 6 ? CS6
						 : sp->data_bits == 7 ? CS7 : CS8;
		if (sp->parity != 'N')
			tio.c_cflag |= PARENB | (sp->parity == 'O' ? PARODD : 0);
		if (sp->stop_bits == 2)
			tio.c_cflag |= CSTOPB;
		tio.c_cc[VMIN] = 0;
		tio.c_cc[VTIME] = 0;
		tcsetattr(s->line_fd, TCSANOW, &tio); /* a pty takes what it can */
	}
	int char_bits = 1 + sp->data_bits + (sp->parity != 'N') + sp->stop_bits;
	s->char_ns = (int64_t)char_bits * 1000000000LL / sp->baud;
	snprintf(s->where, sizeof(s->where), "rtu:%s,%d,%d%c%d", sp->device, sp->baud,
		 sp->data_bits, sp->parity, sp->stop_bits);
	return 0;
}

int simsrv_open(struct simsrv *s, const struct simsrv_spec *spec, const struct hal_config *cfg,
		char *err, int err_len)
{
	memset(s, 0, sizeof(*s));
	s->spec = *spec;
	s->bus = cfg->bus;
	s->listen_fd = s->line_fd = -1;
	s->capture[0] = s->capture[1] = -1;
	for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++)
		s->client[i].fd = -1;
	for (int i = 0; i < HAL_IN_COUNT; i++)
		if (cfg->in_line[i].active_low)
			s->in_active_low |= 1u << i;
	for (int i = 0; i < HAL_DIO_COIL_COUNT; i++)
		if (cfg->out_line[i].active_low)
			s->out_active_low |= 1u << i;
	s->fc23_read_base = s->bus.drive_fc23_read_base
				    ? s->bus.drive_fc23_read_base
				    : s->bus.drive_hold_base + HAL_DRIVE_OUT_REGS;
	s->rng = 0x9E3779B97F4A7C15ULL;
	s->is_open = true; /* from here on simsrv_close undoes what was done */

	int rc = simsrv_make_maps(s, err, err_len);
	if (rc == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->capture) < 0) {
		rc = -errno;
		simsrv_err(err, err_len, "Modbus server: socketpair: %s", strerror(-rc));
	}
	if (rc == 0) {
		/* A context only to format answers: it never connects; modbus_reply writes
		 * into the socketpair. */
		s->reply_ctx = spec->kind == SIMSRV_TCP ? modbus_new_tcp("127.0.0.1", 502)
							: modbus_new_rtu("/dev/null", 115200, 'N', 8, 1);
		if (!s->reply_ctx) {
			rc = -ENOMEM;
			simsrv_err(err, err_len, "Modbus server: cannot create a context");
		} else {
			modbus_set_socket(s->reply_ctx, s->capture[0]);
			/* modbus_reply sleeps a response timeout before some exceptions */
			modbus_set_response_timeout(s->reply_ctx, 0, 1);
		}
	}
	if (rc == 0)
		rc = spec->kind == SIMSRV_TCP ? simsrv_listen(s, err, err_len)
					      : simsrv_open_line(s, err, err_len);
	if (rc < 0)
		simsrv_close(s);
	return rc;
}

int simsrv_port(const struct simsrv *s)
{
	return s->spec.kind == SIMSRV_TCP ? s->spec.port : 0;
}

const char *simsrv_where(const struct simsrv *s)
{
	return s->where;
}

void simsrv_set_unit_faults(struct simsrv *s, enum hal_unit u, const struct simsrv_unit_faults *f)
{
	s->fault[u] = *f;
}

void simsrv_set_bad_crc(struct simsrv *s, double percent, uint64_t seed)
{
	s->bad_crc_percent = percent;
	s->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

void simsrv_set_bad_crc_percent(struct simsrv *s, double percent)
{
	s->bad_crc_percent = percent;
}

void simsrv_set_wire_pace(struct simsrv *s, bool on)
{
	s->wire_pace = on;
}

void simsrv_close(struct simsrv *s)
{
	if (!s->is_open)
		return;
	for (int i = 0; i < SIMSRV_MAX_CLIENTS; i++)
		if (s->client[i].fd >= 0)
			close(s->client[i].fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->line_fd >= 0)
		close(s->line_fd);
	if (s->reply_ctx) {
		modbus_set_socket(s->reply_ctx, -1);
		modbus_free(s->reply_ctx);
	}
	for (int i = 0; i < 2; i++)
		if (s->capture[i] >= 0)
			close(s->capture[i]);
	for (int u = 0; u < HAL_UNIT_COUNT; u++)
		if (s->map[u])
			modbus_mapping_free(s->map[u]);
	memset(s, 0, sizeof(*s));
	s->listen_fd = s->line_fd = -1;
}
