/* A plain HTTP/1.1 client over non-blocking sockets for the web server's suite: a request
 * sent whole, its answer read until the peer closes (or until a text shows, for an event
 * stream), the status and headers picked out, one browser's cookie kept. Every wait turns
 * the server's loop (client.pump) and is bounded by WEB_CLIENT_WAIT_S. Header-only. */
#ifndef TEST_WEB_CLIENT_H
#define TEST_WEB_CLIENT_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define RESP_MAX (128 * 1024)
#define WEB_CLIENT_WAIT_S 5.0 /* the bound of every wait for a condition */

struct resp {
	int status;
	char text[RESP_MAX + 1]; /* the whole answer, headers and body */
	size_t len;
	const char *body;
};

static struct {
	int port;
	char host[64];    /* "Host: 127.0.0.1:PORT\r\n" */
	char cookie[128]; /* "Cookie: chair_session=...\r\n" of the last session taken */
	void (*pump)(void); /* one turn of the server's loop */
} client;

/* Real time, only for the bounds of the waits. */
static inline double wall_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int connect_web(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)client.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) /* the backlog takes it */
		abort();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static inline void send_all(int fd, const char *data, size_t len)
{
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	while (len && wall_now_s() < until) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN) {
			return; /* the server closed: its answer says why */
		} else {
			client.pump();
		}
	}
}

/* Read into r until the peer closes (every request says Connection: close), or until the
 * text has want in it (an event stream stays open). Returns false at the bound. */
static inline bool read_until(int fd, struct resp *r, const char *want)
{
	double until = wall_now_s() + WEB_CLIENT_WAIT_S;
	while (wall_now_s() < until) {
		if (want && strstr(r->text, want))
			return true;
		ssize_t n = recv(fd, r->text + r->len, RESP_MAX - r->len, 0);
		if (n == 0)
			return !want;
		if (n > 0) {
			r->len += (size_t)n;
			r->text[r->len] = '\0';
			continue;
		}
		if (errno != EAGAIN)
			return !want;
		client.pump();
	}
	return false;
}

static inline void parse(struct resp *r)
{
	r->status = 0;
	sscanf(r->text, "HTTP/1.%*d %d", &r->status);
	char *end = strstr(r->text, "\r\n\r\n");
	r->body = end ? end + 4 : r->text + r->len;
}

/* The value of header name in r (the first), or NULL; copied into a static buffer. */
static inline const char *header(const struct resp *r, const char *name)
{
	static char value[512];
	const char *end = strstr(r->text, "\r\n\r\n");
	for (const char *p = strstr(r->text, "\r\n"); p && (!end || p < end);
	     p = strstr(p + 2, "\r\n")) {
		size_t n = strlen(name);
		if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
			const char *v = p + 3 + n;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r");
			if (len >= sizeof(value))
				len = sizeof(value) - 1;
			memcpy(value, v, len);
			value[len] = '\0';
			return value;
		}
	}
	return NULL;
}

/* Send a whole request text and read the whole answer (calloc'd: free it). */
static inline struct resp *raw(const char *text, size_t len)
{
	struct resp *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	int fd = connect_web();
	send_all(fd, text, len);
	read_until(fd, r, NULL);
	close(fd);
	parse(r);
	return r;
}

/* method path with extra header lines (each ending \r\n) and a body (NULL: none). */
static inline struct resp *req(const char *method, const char *path, const char *extra,
			       const char *body)
{
	size_t blen = body ? strlen(body) : 0;
	size_t cap = blen + 2048;
	char *text = malloc(cap);
	if (!text)
		abort();
	int n = snprintf(text, cap, "%s %s HTTP/1.1\r\n%s%sConnection: close\r\n", method, path,
			 strstr(extra ? extra : "", "Host:") ? "" : client.host, extra ? extra : "");
	if (body)
		n += snprintf(text + n, cap - (size_t)n, "Content-Length: %zu\r\n", blen);
	n += snprintf(text + n, cap - (size_t)n, "\r\n");
	if (body)
		memcpy(text + n, body, blen);
	struct resp *r = raw(text, (size_t)n + blen);
	free(text);
	return r;
}

/* Keep the cookie r sets as the browser's; false when it sets none. */
static inline bool take_cookie(const struct resp *r)
{
	const char *sc = header(r, "Set-Cookie");
	char value[100];
	if (!sc || sscanf(sc, "chair_session=%99[0-9a-f]", value) != 1)
		return false;
	snprintf(client.cookie, sizeof(client.cookie), "Cookie: chair_session=%s\r\n", value);
	return true;
}

/* POST /api of body, as the browser when with_cookie, a poll (X-Chair-Poll: 1) when poll. */
static inline struct resp *api_ex(const char *body, bool with_cookie, bool poll)
{
	char extra[256];
	snprintf(extra, sizeof(extra), "Content-Type: application/json\r\n%s%s",
		 with_cookie ? client.cookie : "", poll ? "X-Chair-Poll: 1\r\n" : "");
	return req("POST", "/api", extra, body);
}

static inline struct resp *api(const char *body, bool with_cookie)
{
	return api_ex(body, with_cookie, false);
}

/* Start a POST /api of the browser on its own connection without waiting for the answer. */
static inline int start_api(const char *body)
{
	char text[1024];
	int n = snprintf(text, sizeof(text),
			 "POST /api HTTP/1.1\r\n%s%sContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 client.host, client.cookie, strlen(body), body);
	int fd = connect_web();
	send_all(fd, text, (size_t)n);
	return fd;
}

/* Read the answer of a start_api: its status, and its JSON (NULL when none). */
static inline json_t *finish_status(int fd, int *status)
{
	struct resp *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	bool whole = read_until(fd, r, NULL);
	close(fd);
	parse(r);
	*status = whole ? r->status : 0;
	json_t *reply = json_loads(r->body, 0, NULL);
	free(r);
	return reply;
}

/* GET /api/events?topics=... on its own connection, left open; r is cleared for it. */
static inline int open_stream(const char *topics, struct resp *r, bool with_cookie)
{
	char text[512];
	int n = snprintf(text, sizeof(text),
			 "GET /api/events?topics=%s HTTP/1.1\r\n%s%s\r\n", topics, client.host,
			 with_cookie ? client.cookie : "");
	int fd = connect_web();
	send_all(fd, text, (size_t)n);
	memset(r, 0, sizeof(*r));
	return fd;
}

#endif
