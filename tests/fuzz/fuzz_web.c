/* libFuzzer target: the web server's request handling (controller/web/ on libmicrohttpd),
 * the whole way: the bytes of the input are one raw HTTP connection's, sent over a socket to
 * the real server on 127.0.0.1 in front of the real panel and method table (fuzz_app.h),
 * the page files from controller/web/www; the server's loop turns until it has answered
 * and closed, or a bound. Request line, headers (Host, Origin, Sec-Fetch-Site, Cookie,
 * Content-Type, Content-Length, chunked bodies), the routes, the page files and the API's
 * body all come from the input.
 *
 * The server listens on a port of the system's choosing and its cookies are random, so an
 * input names them by placeholders the target fills in: @HOST@ becomes 127.0.0.1:PORT and
 * @COOKIE@ the cookie of a browser session the target opens first (only when the input has
 * it). A fresh chair and server for every input: what one input did cannot change the
 * next. Every answer must begin as HTTP/1.x does; a crash, a leak or a sanitizer report is a
 * finding. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../controller/web/web.h"
#include "fuzz.h"
#include "fuzz_app.h"

#define FUZZ_WEB_ROOT "controller/web/www"
#define FUZZ_WEB_TURNS_MAX 2000 /* turns of the loop for one connection, at most */
/* Turns without a byte from the server once the request is sent: it has said all it will
 * (an event stream stays open; a request cut short waits for the rest of it). On
 * loopback what one side sends is readable by the other at once, so the server has had
 * its chance to answer after a turn or two. */
#define FUZZ_WEB_QUIET_TURNS 30
#define FUZZ_WEB_ANSWER_MAX (512u * 1024u)

struct fuzz_web {
	struct fuzz_app app;
	struct web *w;
	char host[32];
	char cookie[80];
};

static double fuzz_web_clock_s(void *arg)
{
	return fuzz_app_wall_s();
}

/* One turn of chaird's loop: the chair, then whatever the panel and the server have. */
static void fuzz_web_turn(struct fuzz_web *f)
{
	fuzz_app_turn(&f->app);
	struct pollfd fds[4];
	int n = web_pollfds(f->w, fds, 4);
	poll(fds, (nfds_t)n, 0);
	web_service(f->w, fds, n);
}

/* Send req over a new connection and read the whole answer into a malloc'd buffer. */
static char *fuzz_web_exchange(struct fuzz_web *f, const char *req, size_t len, size_t *got)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)web_port(f->w))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		abort(); /* the listen backlog takes it */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	char *answer = malloc(FUZZ_WEB_ANSWER_MAX + 1);
	if (!answer)
		abort();
	*got = 0;
	size_t off = 0;
	bool shut = false;
	int quiet = 0;
	for (int turn = 0; turn < FUZZ_WEB_TURNS_MAX; turn++) {
		if (off < len) {
			ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				off = len; /* the server closed: its answer says why */
		}
		if (off == len && !shut) {
			shutdown(fd, SHUT_WR); /* the client has said everything */
			shut = true;
		}
		fuzz_web_turn(f);
		ssize_t n = recv(fd, answer + *got, FUZZ_WEB_ANSWER_MAX - *got, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN) || *got == FUZZ_WEB_ANSWER_MAX)
			break;
		if (n > 0) {
			*got += (size_t)n;
			quiet = 0;
		} else if (shut && ++quiet >= FUZZ_WEB_QUIET_TURNS) {
			break;
		}
	}
	close(fd);
	answer[*got] = '\0';
	return answer;
}

/* A browser session of the target's own, for @COOKIE@. */
static void fuzz_web_take_cookie(struct fuzz_web *f)
{
	char req[512];
	const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server.info\"}";
	int n = snprintf(req, sizeof(req),
			 "POST /api HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 f->host, sizeof(body) - 1, body);
	size_t got;
	char *answer = fuzz_web_exchange(f, req, (size_t)n, &got);
	const char *c = strstr(answer, "chair_session=");
	f->cookie[0] = '\0';
	if (c)
		sscanf(c, "%79[a-z_=0-9a-f]", f->cookie);
	free(answer);
}

/* The input with its placeholders filled in, malloc'd. */
static char *fuzz_web_fill(const struct fuzz_web *f, const uint8_t *data, size_t size,
			   size_t *len)
{
	static const char *const names[] = {"@HOST@", "@COOKIE@"};
	const char *values[] = {f->host, f->cookie};
	size_t cap = size + 1;
	for (size_t i = 0; i + 6 <= size; i++)
		if (data[i] == '@')
			cap += 80; /* at most one value per @ */
	char *out = malloc(cap);
	if (!out)
		abort();
	size_t o = 0;
	for (size_t i = 0; i < size;) {
		bool filled = false;
		for (int k = 0; k < 2 && !filled; k++) {
			size_t nl = strlen(names[k]);
			if (size - i >= nl && !memcmp(data + i, names[k], nl)) {
				size_t vl = strlen(values[k]);
				memcpy(out + o, values[k], vl);
				o += vl;
				i += nl;
				filled = true;
			}
		}
		if (!filled)
			out[o++] = (char)data[i++];
	}
	*len = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_web f;
	fuzz_app_open(&f.app);
	struct web_api_config wc = {.max_connections = 8, .max_sessions = 4, .max_streams = 4,
				    .max_streams_per_session = 2, .timeout_s = 5,
				    .session_idle_s = 600, .stream_grace_s = 30,
				    .clock_s = fuzz_web_clock_s};
	snprintf(wc.listen, sizeof(wc.listen), "127.0.0.1:0");
	snprintf(wc.root, sizeof(wc.root), "%s", FUZZ_WEB_ROOT);
	char err[512];
	if (web_open(&f.w, &wc, f.app.panel, err, sizeof(err))) {
		fprintf(stderr, "fuzz set-up: web: %s\n", err);
		abort();
	}
	snprintf(f.host, sizeof(f.host), "127.0.0.1:%d", web_port(f.w));
	f.cookie[0] = '\0';
	if (memmem(data, size, "@COOKIE@", 8))
		fuzz_web_take_cookie(&f);
	size_t len, got;
	char *req = fuzz_web_fill(&f, data, size, &len);
	char *answer = fuzz_web_exchange(&f, req, len, &got);
	if (got && strncmp(answer, "HTTP/1.", got < 7 ? got : 7)) {
		fprintf(stderr, "an answer that is not HTTP: %.80s\n", answer);
		abort();
	}
	free(answer);
	free(req);
	web_close(f.w);
	fuzz_app_close(&f.app);
	return 0;
}
