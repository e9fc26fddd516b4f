/* The blocking panel client: a non-blocking socket waited on with poll(2) against a
 * deadline, a line buffer that grows up to PANEL_CLIENT_LINE_MAX, and a ring of kept
 * notifications. */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct panel_client {
	int fd;
	char *in;
	size_t in_len, in_cap;
	json_int_t next_id;
	panel_client_notify_fn on_notify;
	void *notify_arg;
	panel_client_pump_fn pump;
	void *pump_arg;
	json_t *kept[PANEL_CLIENT_QUEUE]; /* notifications, whole messages */
	size_t kept_head, kept_count;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* Wait until fd is ready for events or the deadline passes: 0, -ETIMEDOUT or -errno.
 * With a pump, the pump runs and the socket is looked at without sleeping. */
static int wait_fd(struct panel_client *cl, short events, int64_t deadline)
{
	for (;;) {
		int left = -1;
		if (deadline >= 0) {
			int64_t d = deadline - now_ms();
			if (d < 0)
				return -ETIMEDOUT;
			left = (int)d;
		}
		if (cl->pump) {
			cl->pump(cl->pump_arg);
			left = 0;
		}
		struct pollfd pfd = {.fd = cl->fd, .events = events};
		int rc = poll(&pfd, 1, left);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc > 0)
			return 0;
	}
}

int panel_client_connect(struct panel_client **out, const char *path, char *err,
			 size_t err_len)
{
	*out = NULL;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, err_len, "panel socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A server whose backlog is full answers EAGAIN: try again for a while rather than
	 * fail, but never wait without a bound. */
	int64_t deadline = now_ms() + PANEL_CLIENT_CONNECT_MS;
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		int e = errno;
		if (e == EINTR || (e == EAGAIN && now_ms() < deadline)) {
			poll(NULL, 0, e == EAGAIN ? 5 : 0);
			continue;
		}
		snprintf(err, err_len, "panel socket %s: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	struct panel_client *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return -ENOMEM;
	}
	cl->fd = fd;
	*out = cl;
	return 0;
}

void panel_client_close(struct panel_client *cl)
{
	if (!cl)
		return;
	close(cl->fd);
	for (size_t i = 0; i < cl->kept_count; i++)
		json_decref(cl->kept[(cl->kept_head + i) % PANEL_CLIENT_QUEUE]);
	free(cl->in);
	free(cl);
}

int panel_client_fd(const struct panel_client *cl)
{
	return cl->fd;
}

void panel_client_on_notification(struct panel_client *cl, panel_client_notify_fn fn,
				  void *arg)
{
	cl->on_notify = fn;
	cl->notify_arg = arg;
}

void panel_client_set_pump(struct panel_client *cl, panel_client_pump_fn fn, void *arg)
{
	cl->pump = fn;
	cl->pump_arg = arg;
}

static int send_until(struct panel_client *cl, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(cl->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int rc = wait_fd(cl, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		return errno == EPIPE ? -ECONNRESET : -errno;
	}
	return 0;
}

int panel_client_send_raw(struct panel_client *cl, const void *buf, size_t len,
			  int timeout_ms)
{
	return send_until(cl, buf, len, deadline_of(timeout_ms));
}

/* The next line from the server, decoded; see panel_client_read_message. */
static int read_until(struct panel_client *cl, json_t **msg, int64_t deadline)
{
	for (;;) {
		char *nl = cl->in_len ? memchr(cl->in, '\n', cl->in_len) : NULL;
		if (nl) {
			size_t len = (size_t)(nl - cl->in);
			json_t *m = json_loadb(cl->in, len, JSON_REJECT_DUPLICATES, NULL);
			memmove(cl->in, nl + 1, cl->in_len - len - 1);
			cl->in_len -= len + 1;
			if (!m || !json_is_object(m)) {
				json_decref(m);
				return -EPROTO;
			}
			*msg = m;
			return 0;
		}
		if (cl->in_len == cl->in_cap) {
			if (cl->in_cap >= PANEL_CLIENT_LINE_MAX) {
				cl->in_len = 0;
				return -EPROTO;
			}
			size_t cap = cl->in_cap ? cl->in_cap * 2 : 8192;
			char *in = realloc(cl->in, cap);
			if (!in)
				return -ENOMEM;
			cl->in = in;
			cl->in_cap = cap;
		}
		ssize_t n = recv(cl->fd, cl->in + cl->in_len, cl->in_cap - cl->in_len, MSG_DONTWAIT);
		if (n > 0) {
			cl->in_len += (size_t)n;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		int rc = wait_fd(cl, POLLIN, deadline);
		if (rc)
			return rc;
	}
}

int panel_client_read_message(struct panel_client *cl, json_t **msg, int timeout_ms)
{
	return read_until(cl, msg, deadline_of(timeout_ms));
}

/* A message is a notification when it names a method and has no id. */
static bool is_notification(const json_t *m)
{
	return json_is_string(json_object_get(m, "method")) && !json_object_get(m, "id");
}

/* Hand a notification to the callback, or keep it (the oldest goes when the ring is full).
 * Takes the reference. */
static void take_notification(struct panel_client *cl, json_t *m)
{
	if (cl->on_notify) {
		cl->on_notify(cl->notify_arg, json_string_value(json_object_get(m, "method")),
			      json_object_get(m, "params"));
		json_decref(m);
		return;
	}
	if (cl->kept_count == PANEL_CLIENT_QUEUE) {
		json_decref(cl->kept[cl->kept_head]);
		cl->kept_head = (cl->kept_head + 1) % PANEL_CLIENT_QUEUE;
		cl->kept_count--;
	}
	cl->kept[(cl->kept_head + cl->kept_count++) % PANEL_CLIENT_QUEUE] = m;
}

int panel_client_call(struct panel_client *cl, const char *method, json_t *params,
		      json_t **result, struct panel_error *err, int timeout_ms)
{
	*result = NULL;
	int64_t deadline = deadline_of(timeout_ms);
	json_int_t id = ++cl->next_id;
	json_t *jid = json_integer(id);
	json_t *req = panel_msg_request(jid, method, params);
	json_decref(jid);
	size_t len;
	char *line = panel_msg_dump(req, 0, &len);
	json_decref(req);
	if (!line)
		return -ENOMEM;
	int rc = send_until(cl, line, len, deadline);
	free(line);
	if (rc)
		return rc;
	for (;;) {
		json_t *m;
		rc = read_until(cl, &m, deadline);
		if (rc)
			return rc;
		if (is_notification(m)) {
			take_notification(cl, m);
			continue;
		}
		json_t *rid = json_object_get(m, "id");
		/* A reply with id null answers a line the server could not read (or refuses the
		 * connection): it is the answer this call gets. */
		bool ours = (json_is_integer(rid) && json_integer_value(rid) == id) ||
			    json_is_null(rid);
		if (!ours) {
			json_decref(m);
			continue;
		}
		json_t *e = json_object_get(m, "error");
		if (json_is_object(e)) {
			memset(err, 0, sizeof(*err));
			err->code = (int)json_integer_value(json_object_get(e, "code"));
			const char *msg = json_string_value(json_object_get(e, "message"));
			snprintf(err->message, sizeof(err->message), "%s", msg ? msg : "");
			err->data = json_incref(json_object_get(e, "data"));
			json_decref(m);
			return -EREMOTEIO;
		}
		json_t *r = json_object_get(m, "result");
		if (!r) {
			json_decref(m);
			return -EPROTO;
		}
		*result = json_incref(r);
		json_decref(m);
		return 0;
	}
}

int panel_client_next_notification(struct panel_client *cl, char *method, size_t method_len,
				   json_t **params, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	json_t *m = NULL;
	if (cl->kept_count) {
		m = cl->kept[cl->kept_head];
		cl->kept_head = (cl->kept_head + 1) % PANEL_CLIENT_QUEUE;
		cl->kept_count--;
	}
	while (!m) {
		int rc = read_until(cl, &m, deadline);
		if (rc)
			return rc;
		if (!is_notification(m)) {
			json_decref(m);
			m = NULL;
		}
	}
	snprintf(method, method_len, "%s", json_string_value(json_object_get(m, "method")));
	json_t *p = json_object_get(m, "params");
	*params = json_incref(p ? p : NULL);
	if (!*params)
		*params = json_object();
	json_decref(m);
	return 0;
}
