/* A bench's HTTP/1.1 client on plain sockets to the panel's web server on 127.0.0.1: one
 * keep-alive connection, a response's head, a chunked body read a chunk at a time (an event
 * stream's too) and JSON-RPC by POST /api. Plain sockets so the figures are the server's,
 * not a library's. Header-only, as the Makefile builds each bench .c file as a program. */
#ifndef BENCH_WEB_HTTP_H
#define BENCH_WEB_HTTP_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define HTTP_BUF 65536
#define WEB_RPC_MS 10000 /* a call's bound, from writing the request to the reply read */

/* One keep-alive connection: what was read and not yet taken is buf[0..len). */
struct http_conn {
	int fd;
	int port;         /* the web server's on 127.0.0.1 */
	char cookie[128]; /* "chair_session=…" once the server set it */
	char buf[HTTP_BUF];
	size_t len;
};

static int64_t http_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* c->fd connected to c->port, without Nagle's delay: 0 or -errno. */
static int http_connect(struct http_conn *c)
{
	c->len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a))) {
		int e = errno;
		close(c->fd);
		c->fd = -1;
		return -e;
	}
	return 0;
}

static void http_close(struct http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int http_send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -ECONNRESET;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read more into c->buf, waiting at most until deadline (CLOCK_MONOTONIC ns). */
static int http_fill(struct http_conn *c, int64_t deadline)
{
	if (c->len >= sizeof(c->buf))
		return -EMSGSIZE;
	int ms = (int)((deadline - http_now_ns()) / 1000000);
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int r = poll(&p, 1, ms > 0 ? ms : 0);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	ssize_t k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (k == 0)
		return -ECONNRESET;
	if (k < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	c->len += (size_t)k;
	return 0;
}

static void http_take(struct http_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* A header's value in the block head (lines of "Name: value\r\n"), copied to out. */
static bool http_header(const char *head, const char *name, char *out, size_t out_len)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, nl) || p[2 + nl] != ':')
			continue;
		const char *v = p + 3 + nl;
		while (*v == ' ')
			v++;
		size_t n = strcspn(v, "\r\n");
		snprintf(out, out_len, "%.*s", (int)(n < out_len ? n : out_len - 1), v);
		return true;
	}
	return false;
}

struct http_head {
	int status;
	long long content_length; /* -1: none */
	bool chunked, close;
};

/* Read a response's status line and headers; the session cookie is kept when set. */
static int http_read_head(struct http_conn *c, struct http_head *h, int64_t deadline)
{
	char *end;
	while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
		int rc = http_fill(c, deadline);
		if (rc)
			return rc;
	}
	size_t n = (size_t)(end - c->buf) + 4;
	char head[8192];
	snprintf(head, sizeof(head), "%.*s", (int)(n < sizeof(head) ? n : sizeof(head) - 1),
		 c->buf);
	http_take(c, n);
	if (sscanf(head, "HTTP/1.%*d %d", &h->status) != 1)
		return -EPROTO;
	char v[256];
	h->content_length = http_header(head, "Content-Length", v, sizeof(v)) ? atoll(v) : -1;
	h->chunked = http_header(head, "Transfer-Encoding", v, sizeof(v)) &&
		     strcasestr(v, "chunked");
	h->close = http_header(head, "Connection", v, sizeof(v)) && strcasestr(v, "close");
	if (http_header(head, "Set-Cookie", v, sizeof(v)) && !strncmp(v, "chair_session=", 14))
		snprintf(c->cookie, sizeof(c->cookie), "%.*s", (int)strcspn(v, ";"), v);
	return 0;
}

/* The next chunk of a chunked body appended to out (at most out_max): 1 when it was the
 * last (size 0), 0 for another to come, or -errno. */
static int http_read_chunk(struct http_conn *c, char *out, size_t *out_len, size_t out_max,
			   int64_t deadline)
{
	char *eol;
	while (!(eol = memmem(c->buf, c->len, "\r\n", 2))) {
		int rc = http_fill(c, deadline);
		if (rc)
			return rc;
	}
	unsigned long size = strtoul(c->buf, NULL, 16);
	size_t line = (size_t)(eol - c->buf) + 2;
	if (size > sizeof(c->buf) - line - 2)
		return -EMSGSIZE;
	while (c->len < line + size + 2) {
		int rc = http_fill(c, deadline);
		if (rc)
			return rc;
	}
	if (*out_len + size > out_max)
		return -EMSGSIZE;
	memcpy(out + *out_len, c->buf + line, size);
	*out_len += size;
	http_take(c, line + size + 2);
	return size == 0;
}

/* A reply's body after its head: chunked or by Content-Length, into out (NUL-terminated,
 * cut at out_max - 1). 0 or -errno. */
static int http_read_body(struct http_conn *c, const struct http_head *h, char *out,
			  size_t out_max, int64_t deadline)
{
	size_t got = 0;
	int rc = 0;
	if (h->chunked) {
		while ((rc = http_read_chunk(c, out, &got, out_max - 1, deadline)) == 0)
			;
		rc = rc == 1 ? 0 : rc;
	} else if (h->content_length >= 0) {
		while (!rc && c->len < (size_t)h->content_length)
			rc = http_fill(c, deadline);
		if (!rc) {
			got = (size_t)h->content_length < out_max - 1 ? (size_t)h->content_length
								      : out_max - 1;
			memcpy(out, c->buf, got);
			http_take(c, (size_t)h->content_length);
		}
	}
	out[got] = '\0';
	return rc;
}

/* One request and its whole reply on c (connected again if the server had closed it). The
 * reply's body goes to out (NUL-terminated, cut at out_max - 1). Returns the status or
 * -errno. */
static int http_call(struct http_conn *c, const char *method, const char *path,
		     const char *body, char *out, size_t out_max, int timeout_ms)
{
	int64_t deadline = http_now_ns() + (int64_t)timeout_ms * 1000000;
	out[0] = '\0';
	if (c->fd < 0 && http_connect(c))
		return -ECONNREFUSED;
	char req[1024];
	size_t body_len = body ? strlen(body) : 0;
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%s"
			 "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
			 method, path, c->port, c->cookie[0] ? "Cookie: " : "", c->cookie,
			 c->cookie[0] ? "\r\n" : "", body_len);
	int rc = http_send_all(c->fd, req, (size_t)n);
	if (!rc && body_len)
		rc = http_send_all(c->fd, body, body_len);
	struct http_head h = {0};
	if (!rc)
		rc = http_read_head(c, &h, deadline);
	if (!rc)
		rc = http_read_body(c, &h, out, out_max, deadline);
	if (rc || h.close)
		http_close(c);
	return rc ? rc : h.status;
}

/* A JSON-RPC call by POST /api: the reply object (a new reference), or NULL. */
static json_t *web_rpc(struct http_conn *c, const char *method, const char *params_json)
{
	static atomic_int next_id;
	char body[512], reply[HTTP_BUF];
	snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\",\"params\":%s}",
		 atomic_fetch_add(&next_id, 1) + 1, method, params_json ? params_json : "{}");
	int status = http_call(c, "POST", "/api", body, reply, sizeof(reply), WEB_RPC_MS);
	if (status != 200)
		return NULL;
	return json_loads(reply, 0, NULL);
}

#endif
