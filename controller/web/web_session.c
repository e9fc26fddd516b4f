/* Browser sessions: a cookie of 256 random bits, each mapped to one panel connection without
 * a socket. A session's requests go to the panel with ids of its own (several of one browser
 * may wait at once, a deferred one among them) and the browser's id is put back in the
 * reply; its notifications go to its event streams, each bounded. A session is closed
 * (panel_detach) when unused for session_idle_s, or stream_grace_s after its last stream
 * went when it made no call since: a reload reconnects well within that and the chair
 * notices nothing, and a page that calls without a stream keeps it. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "web_internal.h"

static const char RETRY[] = "retry: 1000\n\n";
static const char KEEPALIVE[] = ": keep-alive\n\n";

struct web_session *web_session_find(struct web *w, struct MHD_Connection *conn)
{
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, WEB_COOKIE_NAME);
	if (!cookie || strlen(cookie) != WEB_COOKIE_HEX)
		return NULL;
	for (int i = 0; i < w->cfg.max_sessions; i++) {
		struct web_session *s = &w->sessions[i];
		if (s->used && sodium_memcmp(s->cookie, cookie, WEB_COOKIE_HEX) == 0)
			return s;
	}
	return NULL;
}

static void stream_resume(struct web_stream *st)
{
	if (st->suspended) {
		st->suspended = false;
		MHD_resume_connection(st->conn);
	}
}

/* Queue text on a stream; a reader that let WEB_STREAM_BUF_MAX_BYTES pile up is dropped. */
static void stream_append(struct web_stream *st, const char *text, size_t len)
{
	if (st->closing || st->dropped)
		return;
	if (st->off > 0) {
		memmove(st->buf, st->buf + st->off, st->len - st->off);
		st->len -= st->off;
		st->off = 0;
	}
	if (st->len + len > WEB_STREAM_BUF_MAX_BYTES) {
		st->dropped = true;
		st->len = 0;
		st->w->stats.streams_dropped++;
		stream_resume(st);
		return;
	}
	char *more = realloc(st->buf, st->len + len);
	if (!more) {
		st->dropped = true;
		stream_resume(st);
		return;
	}
	st->buf = more;
	memcpy(st->buf + st->len, text, len);
	st->len += len;
	st->last_append_s = web_clock_s(st->w);
	stream_resume(st);
}

/* One notification as an event: "data: <JSON>\n\n" (a newline inside, should one come,
 * starts another data: line, as the format asks). */
static void stream_event(struct web_stream *st, const char *json, size_t len)
{
	while (len && (json[len - 1] == '\n' || json[len - 1] == '\r'))
		len--;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && json[i] != '\n')
			continue;
		stream_append(st, "data: ", 6);
		stream_append(st, json + start, i - start);
		stream_append(st, "\n", 1);
		start = i + 1;
	}
	stream_append(st, "\n", 1);
}

static int method_topic(const char *method)
{
	static const struct {
		const char *method;
		enum panel_topic topic;
	} map[] = {
		{"notify.state", PANEL_TOPIC_STATE},   {"notify.motion", PANEL_TOPIC_MOTION},
		{"notify.session", PANEL_TOPIC_SESSION}, {"notify.fault", PANEL_TOPIC_FAULTS},
		{"notify.scan", PANEL_TOPIC_SCAN},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].method, method))
			return (int)map[i].topic;
	return -1;
}

static void notify_streams(struct web_session *s, const char *method, const char *json,
			   size_t len)
{
	struct web *w = s->w;
	int topic = method_topic(method);
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (!st->used || st->s != s)
			continue;
		if (topic >= 0 && !(st->topics & (1u << topic)))
			continue;
		stream_event(st, json, len);
	}
}

static struct web_call *call_for(struct web_session *s, json_t *id)
{
	if (json_is_integer(id))
		for (struct web_call *c = s->calls; c; c = c->next)
			if (!c->reply && (json_int_t)c->rpc_id == json_integer_value(id))
				return c;
	/* The panel could not read the id (a body this side could not read either, or a text
	 * too long): that answer comes at once, so it is the submitting call's. Any other reply
	 * without a call is one whose request went. */
	if (json_is_null(id) && s->submitting && !s->submitting->reply)
		return s->submitting;
	return NULL;
}

static void new_cookie(struct web_session *s)
{
	unsigned char token[WEB_TOKEN_BYTES];
	randombytes_buf(token, sizeof(token));
	sodium_bin2hex(s->cookie, sizeof(s->cookie), token, sizeof(token));
	sodium_memzero(token, sizeof(token));
}

/* A technician's login: the cookie the browser had before (perhaps planted by another page
 * of the host) maps to nothing from now on; the reply carries the new one. */
static void after_login(struct web_session *s, struct web_call *c, json_t *msg)
{
	json_t *role = json_object_get(json_object_get(msg, "result"), "role");
	if (!c->login || !json_is_string(role) || strcmp(json_string_value(role), "technician"))
		return;
	new_cookie(s);
	c->new_cookie = true;
}

/* The panel's output for one session: a reply to one of its calls, or a notification. */
static void on_panel_output(void *arg, const char *json, size_t len)
{
	struct web_session *s = arg;
	if (!s->used)
		return;
	json_error_t jerr;
	json_t *msg = json_loadb(json, len, 0, &jerr);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return;
	}
	json_t *id = json_object_get(msg, "id");
	const char *method = json_string_value(json_object_get(msg, "method"));
	if (!id) {
		if (method)
			notify_streams(s, method, json, len);
		json_decref(msg);
		return;
	}
	struct web_call *c = call_for(s, id);
	if (!c) { /* our own subscribe's reply, or one whose request went */
		json_decref(msg);
		return;
	}
	after_login(s, c, msg);
	char *text;
	if (c->orig_id) {
		json_object_set(msg, "id", c->orig_id);
		text = json_dumps(msg, JSON_COMPACT);
	} else {
		text = strndup(json, len);
	}
	json_decref(msg);
	if (!text)
		return;
	c->reply = text;
	c->reply_len = strlen(text);
	if (c->suspended) {
		c->suspended = false;
		MHD_resume_connection(c->conn);
	}
}

/* Whether s may be closed to make room: never a technician's, one with a stream or a call
 * waiting, nor one in its grace after its last stream (a reload: its visit goes on). */
static bool evictable(struct web *w, const struct web_session *s, double now_s)
{
	if (s->streams > 0 || s->calls)
		return false;
	if (s->streamless_since_s > 0 && now_s - s->streamless_since_s < w->cfg.stream_grace_s)
		return false;
	return panel_conn_role(w->panel, s->conn_id) != PANEL_ROLE_TECHNICIAN;
}

/* A free slot, or the least recently used session that may be closed, closed. */
static struct web_session *free_slot(struct web *w, double now_s)
{
	struct web_session *oldest = NULL;
	for (int i = 0; i < w->cfg.max_sessions; i++) {
		struct web_session *s = &w->sessions[i];
		if (!s->used)
			return s;
		if (evictable(w, s, now_s) && (!oldest || s->last_used_s < oldest->last_used_s))
			oldest = s;
	}
	if (oldest)
		web_session_detach(w, oldest);
	return oldest;
}

void web_session_touch(struct web *w, struct web_session *s, bool poll)
{
	s->last_seen_s = web_clock_s(w);
	if (!poll)
		s->last_used_s = s->last_seen_s;
}

/* At most WEB_NEW_SESSIONS_PER_S in one second: a loop of requests without a cookie
 * cannot churn the table. */
static bool rate_allows(struct web *w, double now_s)
{
	if (now_s - w->new_window_s >= 1.0 || now_s < w->new_window_s) {
		w->new_window_s = now_s;
		w->new_in_window = 0;
	}
	return w->new_in_window < WEB_NEW_SESSIONS_PER_S;
}

struct web_session *web_session_new(struct web *w, int *err)
{
	double now_s = web_clock_s(w);
	*err = -EAGAIN;
	if (!rate_allows(w, now_s))
		return NULL;
	*err = -ENOSPC;
	struct web_session *s = free_slot(w, now_s);
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->w = w;
	s->used = true;
	if (panel_attach(w->panel, PANEL_ROLE_USER, on_panel_output, s, &s->conn_id)) {
		s->used = false;
		return NULL;
	}
	new_cookie(s);
	s->last_used_s = s->last_seen_s = now_s;
	w->new_in_window++;
	w->stats.sessions++;
	*err = 0;
	return s;
}

struct web_session *web_session_get(struct web *w, struct MHD_Connection *conn, bool poll,
				    bool *created, int *err)
{
	*created = false;
	*err = 0;
	struct web_session *s = web_session_find(w, conn);
	if (s) {
		web_session_touch(w, s, poll);
		return s;
	}
	s = web_session_new(w, err);
	*created = s != NULL;
	return s;
}

void web_session_detach(struct web *w, struct web_session *s)
{
	if (!s->used)
		return;
	uint64_t conn_id = s->conn_id;
	s->used = false; /* what the panel says while it detaches goes nowhere */
	for (struct web_call *c = s->calls; c; c = c->next) {
		c->s = NULL;
		if (c->suspended) {
			c->suspended = false;
			MHD_resume_connection(c->conn);
		}
	}
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (st->used && st->s == s) {
			st->s = NULL;
			st->closing = true;
			stream_resume(st);
		}
	}
	panel_detach(w->panel, conn_id);
	memset(s, 0, sizeof(*s));
	w->stats.sessions--;
	w->stats.sessions_detached++;
}

static void unlink_call(struct web_call *c)
{
	if (!c->s)
		return;
	for (struct web_call **p = &c->s->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	c->s = NULL;
}

bool web_call_may_wait(const struct web_session *s)
{
	const struct web *w = s->w;
	int all_max = w->cfg.max_connections / 2 > 0 ? w->cfg.max_connections / 2 : 1;
	return s->deferred_calls < WEB_DEFERRED_PER_SESSION_MAX && w->deferred_calls < all_max;
}

void web_call_wait(struct web_call *c)
{
	c->deferred = true;
	c->w->deferred_calls++;
	if (c->s)
		c->s->deferred_calls++;
}

void web_call_free(struct web_call *c)
{
	if (c->deferred) {
		c->w->deferred_calls--;
		if (c->s)
			c->s->deferred_calls--;
	}
	unlink_call(c);
	json_decref(c->orig_id);
	free(c->reply);
	free(c);
}

/* The body with its id replaced by ours (NULL when it has none or cannot be read here: it
 * goes as it came then). */
static char *with_our_id(const char *body, size_t len, struct web_call *c, bool *has_id,
			 bool *readable)
{
	json_error_t jerr;
	json_t *msg = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	*readable = json_is_object(msg);
	json_t *id = json_object_get(msg, "id");
	*has_id = id != NULL;
	const char *method = json_string_value(json_object_get(msg, "method"));
	c->login = method && !strcmp(method, "auth.login");
	char *text = NULL;
	if (id) {
		c->orig_id = json_incref(id);
		json_object_set_new(msg, "id", json_integer((json_int_t)c->rpc_id));
		text = json_dumps(msg, JSON_COMPACT);
	}
	json_decref(msg);
	return text;
}

/* The answer to a text the panel refused without a reply of its own. */
static int refusal(struct web_call *c, int rc)
{
	json_t *msg = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id",
				c->orig_id ? c->orig_id : json_null(), "error", "code", -32600,
				"message", rc == -E2BIG ? "request too long" : "request refused");
	c->reply = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	json_decref(msg);
	if (!c->reply)
		return -ENOMEM;
	c->reply_len = strlen(c->reply);
	return 0;
}

struct web_call *web_call_submit(struct web_session *s, struct MHD_Connection *conn,
				 const char *body, size_t len, bool poll, bool *no_reply)
{
	*no_reply = false;
	struct web_call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->w = s->w;
	c->s = s;
	c->conn = conn;
	c->rpc_id = ++s->next_rpc_id;
	bool has_id, readable;
	char *text = with_our_id(body, len, c, &has_id, &readable);
	if (has_id && !text) {
		web_call_free(c);
		return NULL;
	}
	c->next = s->calls;
	s->calls = c;
	s->submitting = c;
	int rc = panel_submit_ex(s->w->panel, s->conn_id, text ? text : body,
				 text ? strlen(text) : len, poll ? PANEL_SUBMIT_POLL : 0);
	if (s->used)
		s->submitting = NULL;
	free(text);
	if (c->reply)
		return c;
	if (rc == -ENOENT || !c->s) { /* the session went meanwhile */
		web_call_free(c);
		return NULL;
	}
	if (rc < 0) { /* refused at once and said nothing: answered now, never waited for */
		if (refusal(c, rc)) {
			web_call_free(c);
			return NULL;
		}
		return c;
	}
	if (!has_id) { /* a notification: executed, never answered */
		web_call_free(c);
		*no_reply = true;
		return NULL;
	}
	return c;
}

/* Make the panel connection send the topics of every stream of s (subscribe replaces). */
static void subscribe(struct web *w, struct web_session *s, unsigned topics)
{
	json_t *list = json_array();
	for (int t = 0; t < PANEL_TOPIC_COUNT; t++)
		if (topics & (1u << t))
			json_array_append_new(list, json_string(panel_topic_name((enum panel_topic)t)));
	json_t *req = json_pack("{s:s, s:I, s:s, s:{s:o}}", "jsonrpc", "2.0", "id",
				(json_int_t)++s->next_rpc_id, "method", "subscribe", "params",
				"topics", list);
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text)
		panel_submit(w->panel, s->conn_id, text, strlen(text));
	free(text);
}

struct web_stream *web_stream_open(struct web *w, struct web_session *s,
				   struct MHD_Connection *conn, unsigned topics)
{
	if (w->stream_count >= w->cfg.max_streams || s->streams >= w->cfg.max_streams_per_session)
		return NULL;
	struct web_stream *st = NULL;
	for (int i = 0; i < w->cfg.max_streams && !st; i++)
		if (!w->streams[i].used)
			st = &w->streams[i];
	if (!st)
		return NULL;
	*st = (struct web_stream){.used = true, .w = w, .s = s, .conn = conn, .topics = topics};
	stream_append(st, RETRY, sizeof(RETRY) - 1);
	s->streams++;
	s->streamless_since_s = 0;
	w->stream_count++;
	w->stats.streams = w->stream_count;
	unsigned now = panel_conn_topics(w->panel, s->conn_id);
	if ((now | topics) != now)
		subscribe(w, s, now | topics);
	return st;
}

ssize_t web_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct web_stream *st = cls;
	(void)pos;
	if (st->dropped)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (st->len > st->off) {
		size_t n = st->len - st->off < max ? st->len - st->off : max;
		memcpy(buf, st->buf + st->off, n);
		st->off += n;
		if (st->off == st->len)
			st->off = st->len = 0;
		return (ssize_t)n;
	}
	if (st->closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing to send: wait out of libmicrohttpd's loop until stream_append resumes it. */
	st->suspended = true;
	MHD_suspend_connection(st->conn);
	return 0;
}

void web_stream_done(void *cls)
{
	struct web_stream *st = cls;
	struct web *w = st->w;
	if (st->s) {
		st->s->streams--;
		if (st->s->streams == 0)
			st->s->streamless_since_s = web_clock_s(w);
	}
	free(st->buf);
	memset(st, 0, sizeof(*st));
	w->stream_count--;
	w->stats.streams = w->stream_count;
}

/* A suspended stream is not watched by libmicrohttpd: a peer that closed it (a reload) is
 * seen here, so its session's grace starts at once and not at the next keep-alive. */
static bool peer_gone(struct web_stream *st)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	char c;
	ssize_t n = recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void web_streams_check(struct web *w)
{
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (st->used && !st->closing && !st->dropped && st->suspended && peer_gone(st)) {
			st->closing = true;
			stream_resume(st);
		}
	}
}

static void keep_alive(struct web *w, double now_s)
{
	for (int i = 0; i < w->cfg.max_streams; i++) {
		struct web_stream *st = &w->streams[i];
		if (st->used && !st->closing && !st->dropped &&
		    now_s - st->last_append_s >= WEB_KEEPALIVE_S)
			stream_append(st, KEEPALIVE, sizeof(KEEPALIVE) - 1);
	}
}

void web_sessions_sweep(struct web *w)
{
	double now_s = web_clock_s(w);
	keep_alive(w, now_s);
	for (int i = 0; i < w->cfg.max_sessions; i++) {
		struct web_session *s = &w->sessions[i];
		if (!s->used)
			continue;
		for (struct web_call *c = s->calls; c; c = c->next)
			if (c->suspended && now_s >= c->deadline_s) {
				c->suspended = false; /* answered 504 */
				MHD_resume_connection(c->conn);
			}
		if (s->streams > 0 || s->calls)
			continue;
		/* A screen that went makes no request after its stream; a browser that calls on,
		 * polls too (a technician's page without a stream), is left to the idle time,
		 * which only a person's use renews. */
		bool grace_over = s->streamless_since_s > 0 &&
				  s->last_seen_s <= s->streamless_since_s &&
				  now_s - s->streamless_since_s >= w->cfg.stream_grace_s;
		if (grace_over || now_s - s->last_used_s >= w->cfg.session_idle_s)
			web_session_detach(w, s);
	}
}

void web_sessions_close_all(struct web *w)
{
	for (int i = 0; i < w->cfg.max_sessions; i++)
		web_session_detach(w, &w->sessions[i]);
}
