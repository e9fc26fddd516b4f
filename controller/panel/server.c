/* The panel server: the listening socket, the connections with their line buffers and
 * bounded output queues, the dispatcher (role, then params, then the handler), deferred
 * replies and the notification fan-out. Everything runs in the thread that polls it and
 * nothing waits: sockets are non-blocking and a reader that cannot keep up is dropped.
 *
 * Memory: a connection's input buffer grows with the longest partial line it has sent, up
 * to PANEL_LINE_MAX + 1 bytes; its output is a queue of shared messages bounded by
 * out_max_bytes. A notification is one message referenced by every queue it sits in. */
#include "panel.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LINE_CAP (PANEL_LINE_MAX + 1) /* a longest line and its newline */
#define IN_CAP_FIRST 4096
#define ACCEPTS_PER_SERVICE 64
#define IOV_MAX_SEND 64
#define ACCEPT_PAUSE_MS 100

/* One serialised line, shared by every queue that holds it. */
struct out_msg {
	unsigned refs;
	size_t len;
	char data[];
};

struct client {
	bool used;
	bool eof;          /* the peer closed its side: flush what is queued, then close */
	bool discarding;   /* dropping the rest of a line that was too long */
	int fd;
	uint64_t conn_id;
	enum panel_role role;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	unsigned topics;   /* bit (1u << enum panel_topic) */
	char *in;
	size_t in_len, in_cap;
	struct out_msg **q; /* a ring: q_count messages from q_head, the first from q_off */
	size_t q_head, q_count, q_cap, q_off, q_bytes;
};

struct deferred {
	uint64_t handle;
	uint64_t conn_id;
	int slot;
	json_t *id;
};

struct poll_ref {
	int slot; /* -1: the listening socket */
	uint64_t conn_id;
};

struct panel {
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t sock_dev;
	ino_t sock_ino;
	bool has_group;
	gid_t technician_gid;
	enum panel_role (*peer_role)(void *arg, uid_t uid, gid_t gid);
	void *peer_role_arg;
	const struct panel_method *methods;
	void *app;
	int max_clients;
	size_t out_max;
	struct client *clients;
	int client_count;
	int64_t accept_paused_until_ms; /* out of descriptors: until one closes or this time */
	uint64_t next_conn_id;
	struct deferred *defer;
	size_t defer_count, defer_cap;
	uint64_t next_handle;
	struct poll_ref *refs; /* what panel_pollfds put at each index */
	struct pollfd *own_fds; /* panel_poll's */
	struct panel_stats st;
};

static const char *const role_names[] = {"any", "user", "technician"};
static const char *const topic_names[PANEL_TOPIC_COUNT + 1] = {
	"state", "motion", "session", "faults", "scan", NULL};

const char *panel_role_name(enum panel_role r)
{
	return (unsigned)r <= PANEL_ROLE_TECHNICIAN ? role_names[r] : "?";
}

const char *panel_topic_name(enum panel_topic t)
{
	return (unsigned)t < PANEL_TOPIC_COUNT ? topic_names[t] : "?";
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- output ---------------------------------------------------------------------------- */

static void msg_unref(struct out_msg *m)
{
	if (m && --m->refs == 0)
		free(m);
}

/* msg serialised with a queue header, one reference held by the caller; NULL on no memory. */
static struct out_msg *msg_make(const json_t *msg)
{
	size_t len;
	struct out_msg *m = (struct out_msg *)panel_msg_dump(msg, offsetof(struct out_msg, data),
							    &len);
	if (!m)
		return NULL;
	m->refs = 1;
	m->len = len;
	return m;
}

static void client_close(struct panel *p, struct client *c)
{
	close(c->fd);
	for (size_t i = 0; i < c->q_count; i++)
		msg_unref(c->q[(c->q_head + i) % c->q_cap]);
	free(c->q);
	free(c->in);
	/* A deferred call of this connection can no longer be answered: forget it now. */
	for (size_t i = 0; i < p->defer_count;) {
		if (p->defer[i].conn_id == c->conn_id) {
			json_decref(p->defer[i].id);
			p->defer[i] = p->defer[--p->defer_count];
		} else {
			i++;
		}
	}
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	p->client_count--;
	p->accept_paused_until_ms = 0;
}

/* Send what the socket takes now. Returns 0, or -1 when the client was closed. */
static int client_flush(struct panel *p, struct client *c)
{
	while (c->q_count) {
		struct iovec iov[IOV_MAX_SEND];
		int n_iov = 0;
		for (size_t i = 0; i < c->q_count && n_iov < IOV_MAX_SEND; i++) {
			struct out_msg *m = c->q[(c->q_head + i) % c->q_cap];
			size_t off = i == 0 ? c->q_off : 0;
			iov[n_iov++] = (struct iovec){.iov_base = m->data + off, .iov_len = m->len - off};
		}
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n_iov};
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(p, c);
			return -1;
		}
		p->st.bytes_out += (uint64_t)n;
		c->q_bytes -= (size_t)n;
		size_t left = (size_t)n;
		while (left) {
			struct out_msg *m = c->q[c->q_head];
			size_t rest = m->len - c->q_off;
			if (left < rest) {
				c->q_off += left;
				break;
			}
			left -= rest;
			msg_unref(m);
			c->q_head = (c->q_head + 1) % c->q_cap;
			c->q_count--;
			c->q_off = 0;
		}
	}
	if (c->eof && !c->q_count) {
		client_close(p, c);
		return -1;
	}
	return 0;
}

/* Queue m (a reference is taken) and send what the socket takes. A client whose queue
 * would pass the bound is dropped: it does not read, and waiting for it would stall the
 * server. A message always enters an empty queue, so one long reply is not a drop.
 * Returns 0, or -1 when the client was closed. */
static int client_queue(struct panel *p, struct client *c, struct out_msg *m)
{
	if (c->q_bytes && c->q_bytes + m->len > p->out_max) {
		p->st.dropped_slow++;
		client_close(p, c);
		return -1;
	}
	if (c->q_count == c->q_cap) {
		size_t cap = c->q_cap ? c->q_cap * 2 : 8;
		struct out_msg **q = malloc(cap * sizeof(*q));
		if (!q) {
			client_close(p, c);
			return -1;
		}
		for (size_t i = 0; i < c->q_count; i++)
			q[i] = c->q[(c->q_head + i) % c->q_cap];
		free(c->q);
		c->q = q;
		c->q_cap = cap;
		c->q_head = 0;
	}
	c->q[(c->q_head + c->q_count) % c->q_cap] = m;
	c->q_count++;
	c->q_bytes += m->len;
	m->refs++;
	return client_flush(p, c);
}

/* The client at slot if it is still connection conn_id, else NULL. */
static struct client *client_at(struct panel *p, int slot, uint64_t conn_id)
{
	if (slot < 0 || slot >= p->max_clients)
		return NULL;
	struct client *c = &p->clients[slot];
	return c->used && c->conn_id == conn_id ? c : NULL;
}

/* Serialise msg (dropped here) and queue it to one client. */
static int send_msg(struct panel *p, struct client *c, json_t *msg)
{
	struct out_msg *m = msg_make(msg);
	json_decref(msg);
	if (!m) {
		client_close(p, c);
		return -1;
	}
	int rc = client_queue(p, c, m);
	msg_unref(m);
	return rc;
}

static int send_error(struct panel *p, struct client *c, json_t *id, struct panel_error *err)
{
	p->st.errors++;
	return send_msg(p, c, panel_msg_error(id, err));
}

/* --- dispatch -------------------------------------------------------------------------- */

static const struct panel_param subscribe_params[] = {
	{.name = "topics", .type = PANEL_P_ARRAY, .required = true, .choices = topic_names,
	 .max_len = 16},
	PANEL_PARAMS_END,
};

/* subscribe {topics}: this connection's topics become exactly these. */
static int subscribe(void *app, struct panel_call *call, json_t *params, json_t **result,
		     struct panel_error *err)
{
	struct client *c = client_at(call->panel, call->slot, call->conn_id);
	unsigned mask = 0;
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(params, "topics"), i, t)
		for (int k = 0; k < PANEL_TOPIC_COUNT; k++)
			if (strcmp(json_string_value(t), topic_names[k]) == 0)
				mask |= 1u << k;
	if (c)
		c->topics = mask;
	json_t *list = json_array();
	for (int k = 0; k < PANEL_TOPIC_COUNT; k++)
		if (mask & (1u << k))
			json_array_append_new(list, json_string(topic_names[k]));
	*result = json_pack("{s:o}", "topics", list);
	return 0;
}

static const struct panel_method builtin[] = {
	{"subscribe", PANEL_ROLE_ANY, subscribe_params, subscribe},
	PANEL_METHODS_END,
};

static const struct panel_method *find_method(const struct panel_method *table,
					      const char *name)
{
	for (const struct panel_method *m = table; m && m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* Run one request of client c. Nothing is called unless the method exists, the role may
 * call it and every param fits. */
static void dispatch(struct panel *p, struct client *c, struct panel_request *req)
{
	struct panel_error err = {0};
	const struct panel_method *m = find_method(builtin, req->method);
	if (!m)
		m = find_method(p->methods, req->method);
	if (!m) {
		panel_error_set(&err, PANEL_E_METHOD,
				json_pack("{s:o}", "method", panel_json_clipped(req->method, 64)),
				"unknown method");
		send_error(p, c, req->id, &err);
		return;
	}
	if (m->role == PANEL_ROLE_TECHNICIAN && c->role != PANEL_ROLE_TECHNICIAN) {
		panel_error_set(&err, PANEL_E_ROLE,
				json_pack("{s:s,s:s}", "role", panel_role_name(c->role), "required",
					  panel_role_name(m->role)),
				"not allowed for this role");
		send_error(p, c, req->id, &err);
		return;
	}
	if (panel_params_check(m->params, req->params, &err)) {
		send_error(p, c, req->id, &err);
		return;
	}
	struct panel_call call = {
		.panel = p, .role = c->role, .uid = c->uid, .gid = c->gid, .pid = c->pid,
		.conn_id = c->conn_id, .id = req->id, .slot = (int)(c - p->clients),
	};
	json_t *result = NULL;
	int rc = m->fn(p->app, &call, req->params, &result, &err);
	/* The handler may have notified, and a notification may have dropped this very
	 * client: answer only a connection that is still there. */
	c = client_at(p, call.slot, call.conn_id);
	if (rc == PANEL_DEFERRED && call.handle) {
		json_decref(result);
		panel_error_clear(&err);
		return;
	}
	if (rc != 0) {
		json_decref(result);
		if (rc > 0)
			panel_error_clear(&err); /* deferred without panel_call_defer: a bug */
		if (c)
			send_error(p, c, req->id, &err);
		panel_error_clear(&err);
		return;
	}
	panel_error_clear(&err);
	if (!c) {
		json_decref(result);
		return;
	}
	send_msg(p, c, panel_msg_result(req->id, result));
}

/* One line of client c, without its newline. */
static void handle_line(struct panel *p, struct client *c, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	if (i == len)
		return;
	struct panel_request req;
	struct panel_error err = {0};
	json_t *reply_id = NULL;
	if (panel_request_decode(line, len, &req, &reply_id, &err)) {
		send_error(p, c, reply_id, &err);
		json_decref(reply_id);
		return;
	}
	if (!req.id) {
		p->st.ignored++;
		panel_request_free(&req);
		return;
	}
	p->st.requests++;
	dispatch(p, c, &req);
	panel_request_free(&req);
}

/* A line passed PANEL_LINE_MAX: refuse it once, drop the rest of it as it comes. */
static int refuse_too_long(struct panel *p, struct client *c)
{
	struct panel_error err = {0};
	p->st.too_long++;
	panel_error_set(&err, PANEL_E_INVALID,
			json_pack("{s:s,s:i}", "expected", "a line of at most max_bytes bytes",
				  "max_bytes", PANEL_LINE_MAX),
			"line too long");
	c->discarding = true;
	c->in_len = 0;
	return send_error(p, c, NULL, &err);
}

/* Read what the socket has (one read: a busy client cannot starve the others) and serve
 * every whole line in it. */
static void client_read(struct panel *p, struct client *c)
{
	if (c->in_len == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : IN_CAP_FIRST;
		if (cap > LINE_CAP)
			cap = LINE_CAP;
		char *in = realloc(c->in, cap);
		if (!in) {
			client_close(p, c);
			return;
		}
		c->in = in;
		c->in_cap = cap;
	}
	ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n == 0) {
		c->eof = true;
		client_flush(p, c);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_close(p, c);
		return;
	}
	p->st.bytes_in += (uint64_t)n;
	uint64_t id = c->conn_id;
	int slot = (int)(c - p->clients);
	size_t scan = c->in_len, pos = 0;
	c->in_len += (size_t)n;
	char *nl;
	while ((nl = memchr(c->in + scan, '\n', c->in_len - scan))) {
		size_t end = (size_t)(nl - c->in);
		if (c->discarding)
			c->discarding = false; /* the tail of the line refused as too long */
		else
			handle_line(p, c, c->in + pos, end - pos);
		if (!client_at(p, slot, id))
			return;
		pos = scan = end + 1;
	}
	if (c->discarding) {
		c->in_len = 0;
		return;
	}
	size_t rest = c->in_len - pos;
	if (rest == LINE_CAP) {
		refuse_too_long(p, c);
		return;
	}
	memmove(c->in, c->in + pos, rest);
	c->in_len = rest;
}

/* --- connections ----------------------------------------------------------------------- */

static bool in_group_list(const gid_t *groups, int n, gid_t g)
{
	for (int i = 0; i < n; i++)
		if (groups[i] == g)
			return true;
	return false;
}

enum panel_role panel_role_of_credentials(uid_t uid, gid_t gid, bool has_group,
					  gid_t technician_gid)
{
	if (uid == 0)
		return PANEL_ROLE_TECHNICIAN;
	if (!has_group)
		return PANEL_ROLE_USER;
	if (gid == technician_gid)
		return PANEL_ROLE_TECHNICIAN;
	struct passwd pw, *found = NULL;
	char buf[4096];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) != 0 || !found)
		return PANEL_ROLE_USER;
	gid_t groups[256];
	int n = 256;
	if (getgrouplist(found->pw_name, gid, groups, &n) < 0)
		n = 256; /* more groups than that: judge by the first 256 */
	return in_group_list(groups, n, technician_gid) ? PANEL_ROLE_TECHNICIAN
							: PANEL_ROLE_USER;
}

/* The role of the peer on fd. The kernel's record of the peer's groups (SO_PEERGROUPS) is
 * preferred: it is what the process holds, and reading it never waits on a name service
 * the way getgrouplist may. */
static enum panel_role peer_role(const struct panel *p, int fd, const struct ucred *cr)
{
	if (p->peer_role)
		return p->peer_role(p->peer_role_arg, cr->uid, cr->gid);
	if (cr->uid == 0)
		return PANEL_ROLE_TECHNICIAN;
	if (!p->has_group)
		return PANEL_ROLE_USER;
	if (cr->gid == p->technician_gid)
		return PANEL_ROLE_TECHNICIAN;
#ifdef SO_PEERGROUPS
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
		return in_group_list(groups, (int)(len / sizeof(gid_t)), p->technician_gid)
			       ? PANEL_ROLE_TECHNICIAN
			       : PANEL_ROLE_USER;
	if (errno != ENOPROTOOPT)
		return PANEL_ROLE_USER;
#endif
	return panel_role_of_credentials(cr->uid, cr->gid, true, p->technician_gid);
}

/* Over max_clients: one error line, then close. */
static void refuse_full(struct panel *p, int fd)
{
	struct panel_error err = {0};
	panel_error_set(&err, PANEL_E_STATE,
			json_pack("{s:s,s:i}", "state", "full", "max_clients", p->max_clients),
			"too many clients");
	json_t *msg = panel_msg_error(NULL, &err);
	size_t len;
	char *line = panel_msg_dump(msg, 0, &len);
	json_decref(msg);
	if (line && send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		p->st.bytes_out += len;
	free(line);
	close(fd);
	p->st.refused_full++;
}

static void accept_clients(struct panel *p)
{
	for (int k = 0; k < ACCEPTS_PER_SERVICE; k++) {
		int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				/* else poll would report it again at once, and again */
				p->accept_paused_until_ms = now_ms() + ACCEPT_PAUSE_MS;
			return;
		}
		if (p->client_count >= p->max_clients) {
			refuse_full(p, fd);
			continue;
		}
		struct ucred cr = {0};
		socklen_t len = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
			close(fd);
			continue;
		}
		struct client *c = NULL;
		for (int i = 0; i < p->max_clients && !c; i++)
			if (!p->clients[i].used)
				c = &p->clients[i];
		*c = (struct client){.used = true, .fd = fd, .conn_id = ++p->next_conn_id,
				     .uid = cr.uid, .gid = cr.gid, .pid = cr.pid};
		c->role = peer_role(p, fd, &cr);
		p->client_count++;
		p->st.accepted++;
	}
}

/* --- the loop -------------------------------------------------------------------------- */

int panel_pollfd_max(const struct panel *p)
{
	return 1 + p->max_clients;
}

int panel_pollfds(struct panel *p, struct pollfd *fds, int max)
{
	int n = 0;
	if (p->accept_paused_until_ms && now_ms() >= p->accept_paused_until_ms)
		p->accept_paused_until_ms = 0;
	if (!p->accept_paused_until_ms && n < max) {
		fds[n] = (struct pollfd){.fd = p->listen_fd, .events = POLLIN};
		p->refs[n++] = (struct poll_ref){.slot = -1};
	}
	for (int i = 0; i < p->max_clients && n < max; i++) {
		struct client *c = &p->clients[i];
		if (!c->used)
			continue;
		short ev = (c->eof ? 0 : POLLIN) | (c->q_count ? POLLOUT : 0);
		fds[n] = (struct pollfd){.fd = c->fd, .events = ev};
		p->refs[n++] = (struct poll_ref){.slot = i, .conn_id = c->conn_id};
	}
	return n;
}

void panel_service(struct panel *p, const struct pollfd *fds, int n)
{
	for (int i = 0; i < n && i < panel_pollfd_max(p); i++) {
		short ev = fds[i].revents;
		if (!ev)
			continue;
		if (p->refs[i].slot < 0) {
			accept_clients(p);
			continue;
		}
		struct client *c = client_at(p, p->refs[i].slot, p->refs[i].conn_id);
		if (!c || c->fd != fds[i].fd)
			continue;
		if (ev & (POLLERR | POLLNVAL)) {
			client_close(p, c);
			continue;
		}
		if ((ev & POLLOUT) && client_flush(p, c))
			continue;
		if (ev & POLLIN)
			client_read(p, c);
		else if (ev & POLLHUP)
			client_close(p, c);
	}
}

int panel_poll(struct panel *p, int timeout_ms)
{
	int n = panel_pollfds(p, p->own_fds, panel_pollfd_max(p));
	int rc = poll(p->own_fds, (nfds_t)n, timeout_ms);
	if (rc < 0)
		return -errno;
	if (rc > 0)
		panel_service(p, p->own_fds, n);
	return rc;
}

/* --- deferred replies, roles, notifications ---------------------------------------------- */

uint64_t panel_call_defer(struct panel_call *call)
{
	struct panel *p = call->panel;
	if (call->handle)
		return call->handle;
	if (p->defer_count == p->defer_cap) {
		size_t cap = p->defer_cap ? p->defer_cap * 2 : 16;
		struct deferred *d = realloc(p->defer, cap * sizeof(*d));
		if (!d)
			return 0;
		p->defer = d;
		p->defer_cap = cap;
	}
	call->handle = ++p->next_handle;
	p->defer[p->defer_count++] = (struct deferred){
		.handle = call->handle, .conn_id = call->conn_id, .slot = call->slot,
		.id = json_incref(call->id)};
	return call->handle;
}

/* Take the deferred call handle out of the table: its client (NULL if gone) and its id
 * (a reference the caller drops). Returns false when there is no such call. */
static bool take_deferred(struct panel *p, uint64_t handle, struct client **c, json_t **id)
{
	for (size_t i = 0; i < p->defer_count; i++) {
		if (p->defer[i].handle != handle)
			continue;
		*c = client_at(p, p->defer[i].slot, p->defer[i].conn_id);
		*id = p->defer[i].id;
		p->defer[i] = p->defer[--p->defer_count];
		return true;
	}
	return false;
}

int panel_reply(struct panel *p, uint64_t handle, json_t *result)
{
	struct client *c;
	json_t *id;
	if (!take_deferred(p, handle, &c, &id)) {
		json_decref(result);
		return -ENOENT;
	}
	if (c)
		send_msg(p, c, panel_msg_result(id, result));
	else
		json_decref(result);
	json_decref(id);
	return c ? 0 : -ENOENT;
}

int panel_reply_error(struct panel *p, uint64_t handle, struct panel_error *err)
{
	struct client *c;
	json_t *id;
	if (!take_deferred(p, handle, &c, &id)) {
		panel_error_clear(err);
		return -ENOENT;
	}
	if (c)
		send_error(p, c, id, err);
	panel_error_clear(err);
	json_decref(id);
	return c ? 0 : -ENOENT;
}

void panel_call_set_role(struct panel_call *call, enum panel_role role)
{
	struct client *c = client_at(call->panel, call->slot, call->conn_id);
	if (c)
		c->role = role;
	call->role = role;
}

int panel_notify(struct panel *p, enum panel_topic topic, const char *method, json_t *params)
{
	if ((unsigned)topic >= PANEL_TOPIC_COUNT || !panel_subscriber_count(p, topic)) {
		json_decref(params);
		return 0;
	}
	json_t *msg = panel_msg_notification(method, params);
	struct out_msg *m = msg_make(msg);
	json_decref(msg);
	if (!m)
		return -ENOMEM;
	p->st.notifications++;
	int sent = 0;
	for (int i = 0; i < p->max_clients; i++) {
		struct client *c = &p->clients[i];
		if (c->used && (c->topics & (1u << topic)) && client_queue(p, c, m) == 0)
			sent++;
	}
	msg_unref(m);
	return sent;
}

int panel_subscriber_count(const struct panel *p, enum panel_topic topic)
{
	int n = 0;
	for (int i = 0; i < p->max_clients; i++)
		if (p->clients[i].used && (p->clients[i].topics & (1u << topic)))
			n++;
	return n;
}

int panel_client_count(const struct panel *p)
{
	return p->client_count;
}

void panel_get_stats(const struct panel *p, struct panel_stats *st)
{
	*st = p->st;
}

/* --- open and close -------------------------------------------------------------------- */

/* The technician group by name or decimal gid. */
static int resolve_group(const char *name, gid_t *gid, char *err, size_t err_len)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && *end == '\0' && errno == 0 &&
	    v <= (unsigned long)(gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	struct group gr, *found = NULL;
	char buf[8192];
	int rc = getgrnam_r(name, &gr, buf, sizeof(buf), &found);
	if (rc != 0 || !found) {
		snprintf(err, err_len, "technician group %s: no such group", name);
		return -ENOENT;
	}
	*gid = found->gr_gid;
	return 0;
}

/* The method table can be served: names unique and not built in, handlers and schemas. */
static int check_methods(const struct panel_method *methods, char *err, size_t err_len)
{
	for (const struct panel_method *m = methods; m && m->name; m++) {
		if (find_method(builtin, m->name)) {
			snprintf(err, err_len, "method %s is built into the server", m->name);
			return -EINVAL;
		}
		if (find_method(methods, m->name) != m) {
			snprintf(err, err_len, "method %s is declared twice", m->name);
			return -EINVAL;
		}
		if (!m->fn || (unsigned)m->role > PANEL_ROLE_TECHNICIAN) {
			snprintf(err, err_len, "method %s: no handler or an unknown role", m->name);
			return -EINVAL;
		}
		char why[200];
		if (panel_params_validate(m->params, why, sizeof(why))) {
			snprintf(err, err_len, "method %s: %s", m->name, why);
			return -EINVAL;
		}
	}
	return 0;
}

/* A socket left at path by a server that has gone is removed; a live one, or anything
 * that is not a socket, is refused. */
static int clear_stale(const char *path, const struct sockaddr_un *addr, char *err,
		       size_t err_len)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	int e = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, err_len, "%s: another server answers there", path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, err_len, "%s: %s", path, strerror(e));
		return -e;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		e = errno;
		snprintf(err, err_len, "%s: cannot remove the stale socket: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

/* Bind and listen at path, mode 0660 and the group, before anyone can connect. */
static int listen_at(struct panel *p, const struct sockaddr_un *addr, char *err,
		     size_t err_len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	const char *what = "bind";
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0)
		goto fail;
	what = "chmod 0660";
	if (chmod(p->path, 0660) != 0)
		goto fail_bound;
	what = "chown to the technician group";
	if (p->has_group && chown(p->path, (uid_t)-1, p->technician_gid) != 0)
		goto fail_bound;
	struct stat st;
	what = "stat";
	if (stat(p->path, &st) != 0)
		goto fail_bound;
	what = "listen";
	if (listen(fd, SOMAXCONN) != 0)
		goto fail_bound;
	p->sock_dev = st.st_dev;
	p->sock_ino = st.st_ino;
	p->listen_fd = fd;
	return 0;
fail_bound:;
	int e = errno;
	unlink(p->path);
	errno = e;
fail:
	e = errno;
	snprintf(err, err_len, "%s: %s: %s", p->path, what, strerror(e));
	close(fd);
	return -e;
}

int panel_open(struct panel **out, const struct panel_config *cfg,
	       const struct panel_method *methods, void *app, char *err, size_t err_len)
{
	*out = NULL;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!cfg->socket_path || !cfg->socket_path[0] ||
	    strlen(cfg->socket_path) >= sizeof(addr.sun_path)) {
		snprintf(err, err_len, "panel socket path is empty or longer than %zu bytes",
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if (cfg->max_clients < 0 || cfg->max_clients > PANEL_CLIENTS_LIMIT) {
		snprintf(err, err_len, "panel max_clients %d: 1 to %d", cfg->max_clients,
			 PANEL_CLIENTS_LIMIT);
		return -EINVAL;
	}
	int rc = check_methods(methods, err, err_len);
	if (rc)
		return rc;
	struct panel *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->listen_fd = -1;
	strcpy(addr.sun_path, cfg->socket_path);
	strcpy(p->path, cfg->socket_path);
	p->methods = methods;
	p->app = app;
	p->peer_role = cfg->peer_role;
	p->peer_role_arg = cfg->peer_role_arg;
	p->max_clients = cfg->max_clients ? cfg->max_clients : PANEL_CLIENTS_DEFAULT;
	p->out_max = cfg->out_max_bytes ? cfg->out_max_bytes : PANEL_OUT_MAX_DEFAULT;
	if (cfg->technician_group && cfg->technician_group[0]) {
		rc = resolve_group(cfg->technician_group, &p->technician_gid, err, err_len);
		if (rc)
			goto fail;
		p->has_group = true;
	}
	p->clients = calloc((size_t)p->max_clients, sizeof(*p->clients));
	p->refs = calloc((size_t)panel_pollfd_max(p), sizeof(*p->refs));
	p->own_fds = calloc((size_t)panel_pollfd_max(p), sizeof(*p->own_fds));
	if (!p->clients || !p->refs || !p->own_fds) {
		rc = -ENOMEM;
		snprintf(err, err_len, "panel: out of memory for %d clients", p->max_clients);
		goto fail;
	}
	rc = clear_stale(p->path, &addr, err, err_len);
	if (rc)
		goto fail;
	rc = listen_at(p, &addr, err, err_len);
	if (rc)
		goto fail;
	*out = p;
	return 0;
fail:
	free(p->clients);
	free(p->refs);
	free(p->own_fds);
	free(p);
	return rc;
}

void panel_close(struct panel *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->max_clients; i++)
		if (p->clients[i].used)
			client_close(p, &p->clients[i]);
	for (size_t i = 0; i < p->defer_count; i++)
		json_decref(p->defer[i].id);
	free(p->defer);
	if (p->listen_fd >= 0) {
		close(p->listen_fd);
		/* Remove the socket only if it is still ours, not a successor's. */
		struct stat st;
		if (lstat(p->path, &st) == 0 && st.st_dev == p->sock_dev &&
		    st.st_ino == p->sock_ino)
			unlink(p->path);
	}
	free(p->clients);
	free(p->refs);
	free(p->own_fds);
	free(p);
}
