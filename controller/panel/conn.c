/* A connection of the panel: its lines (framed, too long ones refused and skipped), the
 * dispatcher (role, then params, then the handler), its bounded output queue of shared
 * messages, deferred replies and the notification fan-out.
 *
 * Memory: a connection's input buffer grows with the longest partial line it has sent, up
 * to PANEL_LINE_MAX + 1 bytes; its output is a queue of shared messages bounded by
 * out_max_bytes. A notification is one message referenced by every queue it sits in. */
#include "server_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

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

void panel_conn_close(struct panel *p, struct client *c)
{
	if (c->fd >= 0)
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
	uint64_t gone = c->conn_id;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	p->client_count--;
	p->accept_paused_until_ms = 0;
	/* Told last, once the slot is free: the application may notify from the hook. */
	if (p->on_close)
		p->on_close(p->app, gone);
}

/* Whether a call of connection conn_id waits for its deferred reply. */
static bool has_deferred(const struct panel *p, uint64_t conn_id)
{
	for (size_t i = 0; i < p->defer_count; i++)
		if (p->defer[i].conn_id == conn_id)
			return true;
	return false;
}

/* Send what the socket takes now. Returns 0, or -1 when the client was closed. */
int panel_conn_flush(struct panel *p, struct client *c)
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
			panel_conn_close(p, c);
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
	if (c->eof && !c->q_count && !c->lines_pending && !has_deferred(p, c->conn_id)) {
		panel_conn_close(p, c);
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
	if (c->sink) { /* its front end keeps (and bounds) what it has not sent yet */
		p->st.bytes_out += m->len;
		c->sink(c->sink_arg, m->data, m->len);
		return 0;
	}
	if (c->q_bytes && c->q_bytes + m->len > p->out_max) {
		p->st.dropped_slow++;
		panel_conn_close(p, c);
		return -1;
	}
	if (c->q_count == c->q_cap) {
		size_t cap = c->q_cap ? c->q_cap * 2 : 8;
		struct out_msg **q = malloc(cap * sizeof(*q));
		if (!q) {
			panel_conn_close(p, c);
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
	return panel_conn_flush(p, c);
}

/* The client at slot if it is still connection conn_id, else NULL. */
struct client *panel_conn_at(struct panel *p, int slot, uint64_t conn_id)
{
	if (slot < 0 || slot >= p->max_clients)
		return NULL;
	struct client *c = &p->clients[slot];
	return c->used && c->conn_id == conn_id ? c : NULL;
}

/* Serialise msg (dropped here) and queue it to one client. */
int panel_conn_send(struct panel *p, struct client *c, json_t *msg)
{
	struct out_msg *m = msg_make(msg);
	json_decref(msg);
	if (!m) {
		panel_conn_close(p, c);
		return -1;
	}
	int rc = client_queue(p, c, m);
	msg_unref(m);
	return rc;
}

/* An error reply (err's data taken); none for a notification (no id): JSON-RPC answers it
 * with nothing, and its data is dropped here, as sending would. */
static int send_error(struct panel *p, struct client *c, json_t *id, struct panel_error *err)
{
	if (!id) {
		panel_error_clear(err);
		return 0;
	}
	p->st.errors++;
	return panel_conn_send(p, c, panel_msg_error(id, err));
}

/* --- dispatch -------------------------------------------------------------------------- */

static const struct panel_param subscribe_params[] = {
	{.name = "topics", .type = PANEL_P_ARRAY, .required = true, .choices = panel_topic_names,
	 .max_len = 16},
	PANEL_PARAMS_END,
};

/* subscribe {topics}: this connection's topics become exactly these. */
static int subscribe(void *app, struct panel_call *call, json_t *params, json_t **result,
		     struct panel_error *err)
{
	struct client *c = panel_conn_at(call->panel, call->slot, call->conn_id);
	unsigned mask = 0;
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(params, "topics"), i, t)
		for (int k = 0; k < PANEL_TOPIC_COUNT; k++)
			if (strcmp(json_string_value(t), panel_topic_names[k]) == 0)
				mask |= 1u << k;
	if (c)
		c->topics = mask;
	json_t *list = json_array();
	for (int k = 0; k < PANEL_TOPIC_COUNT; k++)
		if (mask & (1u << k))
			json_array_append_new(list, json_string(panel_topic_names[k]));
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
	int64_t now = panel_now_ms(p);
	c->role = panel_conn_role_now(c, now);
	if (!c->polling) /* a person's call keeps a raise alive (a refused one too), a poll not */
		c->last_call_ms = now;
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
	c = panel_conn_at(p, call.slot, call.conn_id);
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
	if (!req->id) {
		json_decref(result);
		return;
	}
	panel_conn_send(p, c, panel_msg_result(req->id, result));
}

/* One line of client c, without its newline; blank lines are skipped. */
static void handle_line(struct panel *p, struct client *c, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	if (i == len)
		return;
	panel_conn_serve_text(p, c, line, len);
}

void panel_conn_serve_text(struct panel *p, struct client *c, const char *line, size_t len)
{
	struct panel_request req;
	struct panel_error err = {0};
	json_t *reply_id = NULL;
	if (panel_request_decode(line, len, &req, &reply_id, &err)) {
		p->st.errors++; /* not a request: answered with id null even without an id */
		panel_conn_send(p, c, panel_msg_error(reply_id, &err));
		json_decref(reply_id);
		return;
	}
	/* A notification (no id) is executed like a request and never answered: a panel's
	 * fire-and-forget session.stop must stop. */
	if (!req.id)
		p->st.notifications_in++;
	else
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
	p->st.errors++;
	return panel_conn_send(p, c, panel_msg_error(NULL, &err));
}

/* Serve at most PANEL_LINES_PER_SERVICE whole lines of c's input, looking for newlines from
 * scan on (what came before it holds none). The rest stays buffered (c->lines_pending) for
 * the next service: a PIN hash costs milliseconds, and a flood of them on one connection
 * must not hold another's session.stop for seconds. */
static void serve_lines(struct panel *p, struct client *c, size_t scan)
{
	uint64_t id = c->conn_id;
	int slot = (int)(c - p->clients);
	size_t pos = 0;
	int lines = 0;
	char *nl;
	c->lines_pending = false;
	c->served_turn = p->service_turn;
	while (c->in_len > scan && (nl = memchr(c->in + scan, '\n', c->in_len - scan))) {
		if (lines == PANEL_LINES_PER_SERVICE) {
			c->lines_pending = true;
			break;
		}
		size_t end = (size_t)(nl - c->in);
		if (c->discarding) {
			c->discarding = false; /* the tail of the line refused as too long */
		} else {
			handle_line(p, c, c->in + pos, end - pos);
			lines++;
		}
		if (!panel_conn_at(p, slot, id))
			return;
		pos = scan = end + 1;
	}
	if (c->discarding) {
		c->in_len = 0;
		return;
	}
	size_t rest = c->in_len - pos;
	if (!c->lines_pending && rest == LINE_CAP) {
		refuse_too_long(p, c);
		return;
	}
	memmove(c->in, c->in + pos, rest);
	c->in_len = rest;
}

/* Read what the socket has (one read) and serve the first lines of it. */
void panel_conn_read(struct panel *p, struct client *c)
{
	if (c->lines_pending) { /* not polled for input then; served from the buffer first */
		panel_conn_serve_pending(p, c);
		return;
	}
	if (c->in_len == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : IN_CAP_FIRST;
		if (cap > LINE_CAP)
			cap = LINE_CAP;
		char *in = realloc(c->in, cap);
		if (!in) {
			panel_conn_close(p, c);
			return;
		}
		c->in = in;
		c->in_cap = cap;
	}
	ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n == 0) {
		c->eof = true;
		panel_conn_flush(p, c);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			panel_conn_close(p, c);
		return;
	}
	p->st.bytes_in += (uint64_t)n;
	size_t scan = c->in_len;
	c->in_len += (size_t)n;
	serve_lines(p, c, scan);
}

void panel_conn_serve_pending(struct panel *p, struct client *c)
{
	uint64_t id = c->conn_id;
	int slot = (int)(c - p->clients);
	serve_lines(p, c, 0);
	if ((c = panel_conn_at(p, slot, id)) && c->eof)
		panel_conn_flush(p, c); /* closes it once the last reply went */
}

bool panel_conn_builtin(const char *name)
{
	return find_method(builtin, name) != NULL;
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
		*c = panel_conn_at(p, p->defer[i].slot, p->defer[i].conn_id);
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
	if (c && id)
		panel_conn_send(p, c, panel_msg_result(id, result));
	else
		json_decref(result); /* gone, or a notification's: nobody to answer */
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

enum panel_role panel_conn_role_now(struct client *c, int64_t now_ms)
{
	if (c->raised && now_ms - c->last_call_ms > c->raise_idle_ms) {
		c->raised = false;
		c->role = c->base_role;
	}
	return c->role;
}

void panel_call_raise_role(struct panel_call *call, enum panel_role role, double idle_s)
{
	struct client *c = panel_conn_at(call->panel, call->slot, call->conn_id);
	if (c) {
		if (!c->raised)
			c->base_role = c->role;
		c->raised = true;
		c->role = role;
		c->raise_idle_ms = (int64_t)(idle_s * 1000.0);
		c->last_call_ms = panel_now_ms(call->panel);
	}
	call->role = role;
}

void panel_call_drop_role(struct panel_call *call)
{
	struct client *c = panel_conn_at(call->panel, call->slot, call->conn_id);
	if (c && c->raised) {
		c->raised = false;
		c->role = c->base_role;
	}
	if (c)
		call->role = c->role;
}

unsigned panel_call_topics(const struct panel_call *call)
{
	const struct client *c = panel_conn_at(call->panel, call->slot, call->conn_id);
	return c ? c->topics : 0;
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
