/* Browser sessions: a cookie of 256 random bits, each mapped to one panel connection without
 * a socket. A session's requests go to the panel with ids of its own (several of one browser
 * may wait at once, a deferred one among them) and the browser's id is put back in the
 * reply; its notifications go to its event streams (web_stream.c). A session is closed
 * (panel_detach) when unused for session_idle_s, or stream_grace_s after its last stream
 * went when no request came since: a reload reconnects well within that and the chair
 * notices nothing, and a page that calls without a stream keeps it. Only a person's use
 * renews the idle time, not a poll (X-Chair-Poll). */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_internal.h"

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
 * of the host) maps to nothing from now on; the reply carries the new one. The streams
 * opened with the old cookie end too: whoever held it keeps no technician's events. */
static void after_login(struct web_session *s, struct web_call *c, json_t *msg)
{
	json_t *role = json_object_get(json_object_get(msg, "result"), "role");
	if (!c->login || !json_is_string(role) || strcmp(json_string_value(role), "technician"))
		return;
	new_cookie(s);
	c->new_cookie = true;
	web_streams_end_of(s);
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
			web_streams_notify(s, method, json, len);
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
	web_streams_close_of(w, s);
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
void web_sessions_sweep(struct web *w)
{
	double now_s = web_clock_s(w);
	web_streams_keep_alive(w, now_s);
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
