/* Every request, from its raw URI to its answer: the checks it passes before anything is
 * served (its Host is the panel's own, its Origin when sent too, it is not cross-site, its
 * path was not encoded to hide something), its route, and the headers every answer carries.
 * What the API and event routes do is in web_session.c, the page files in web_static.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "web_internal.h"

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
			  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void web_add_headers(struct MHD_Response *r, bool api)
{
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	if (api)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

enum MHD_Result web_queue(struct web *w, struct MHD_Connection *conn, unsigned status,
			  struct MHD_Response *r, bool api, struct web_session *new_session)
{
	if (!r)
		return MHD_NO;
	web_add_headers(r, api);
	if (new_session) {
		char cookie[WEB_COOKIE_HEX + 80];
		snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict",
			 WEB_COOKIE_NAME, new_session->cookie);
		MHD_add_response_header(r, "Set-Cookie", cookie);
	}
	if (status >= 400)
		w->stats.refused++;
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result web_answer_text(struct web *w, struct MHD_Connection *conn, unsigned status,
				const char *text, bool api)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	if (status == 503)
		MHD_add_response_header(r, "Retry-After", "5");
	return web_queue(w, conn, status, r, api, NULL);
}

enum MHD_Result web_answer_no_session(struct web *w, struct MHD_Connection *conn, int err,
				      bool api)
{
	static const char rate[] = "too many new sessions: retry in a second\n";
	static const char full[] = "too many sessions\n";
	const char *text = err == -EAGAIN ? rate : full;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(r, "Retry-After", err == -EAGAIN ? "1" : "5");
	return web_queue(w, conn, 503, r, api, NULL);
}

static enum MHD_Result answer_405(struct web *w, struct MHD_Connection *conn, const char *allow,
				  bool api)
{
	static const char text[] = "method not allowed\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(
		sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(r, "Allow", allow);
	return web_queue(w, conn, 405, r, api, NULL);
}

static bool host_allowed(const struct web *w, const char *host)
{
	for (int i = 0; i < w->host_count; i++)
		if (!strcasecmp(w->hosts[i], host))
			return true;
	return false;
}

/* 0 when the request may be served; else the status that refuses it. DNS rebinding brings a
 * foreign Host, a cross-site page a foreign Origin or Sec-Fetch-Site. The API and the
 * technician's pages take only same-origin or none: a page on another port of the host is
 * same-site, and SameSite=Strict sends it the cookie. */
static unsigned check_origin(struct web *w, struct MHD_Connection *conn, bool strict)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	if (!host || !host_allowed(w, host))
		return 421;
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	if (origin && (strncasecmp(origin, "http://", 7) || !host_allowed(w, origin + 7)))
		return 403;
	const char *site = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	if (site && !strcasecmp(site, "cross-site"))
		return 403;
	if (site && strict && strcasecmp(site, "same-origin") && strcasecmp(site, "none"))
		return 403;
	return 0;
}

static bool json_content_type(struct MHD_Connection *conn)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	static const char want[] = "application/json";
	if (!ct || strncasecmp(ct, want, sizeof(want) - 1))
		return false;
	char next = ct[sizeof(want) - 1];
	return next == '\0' || next == ';' || next == ' ';
}

static bool body_too_long(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if (!cl)
		return false;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(cl, &end, 10);
	return errno || end == cl || n > WEB_BODY_MAX_BYTES;
}

/* GET /api/events?topics=state,motion: a stream of those notifications. */
static enum MHD_Result open_events(struct web *w, struct MHD_Connection *conn,
				   struct web_req *req)
{
	const char *list = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "topics");
	unsigned topics = 0;
	char buf[256];
	if (!list || strlen(list) >= sizeof(buf))
		return web_answer_text(w, conn, 400, "topics= expected\n", true);
	snprintf(buf, sizeof(buf), "%s", list);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int t = panel_topic_lookup(tok);
		if (t < 0)
			return web_answer_text(w, conn, 400, "unknown topic\n", true);
		topics |= 1u << t;
	}
	if (!topics)
		return web_answer_text(w, conn, 400, "topics= expected\n", true);
	bool created;
	int err;
	struct web_session *s = web_session_get(w, conn, false, &created, &err);
	if (!s)
		return web_answer_no_session(w, conn, err, true);
	struct web_stream *st = web_stream_open(w, s, conn, topics);
	if (!st) {
		if (created) /* the browser never learns its cookie: not kept */
			web_session_detach(w, s);
		return web_answer_text(w, conn, 503, "too many event streams\n", true);
	}
	struct MHD_Response *r = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 4096, web_stream_read, st, web_stream_done);
	if (!r) {
		web_stream_done(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
	req->stream = st;
	if (req->wc)
		req->wc->deadline_s = 0; /* a stream stays; the keep-alive shows it lives */
	return web_queue(w, conn, 200, r, true, created ? s : NULL);
}

/* The reply; with the session's cookie when it is new or was renewed by a login. */
static enum MHD_Result answer_call(struct web *w, struct MHD_Connection *conn,
				   struct web_call *c, bool created)
{
	struct web_session *cookie_of = created || c->new_cookie ? c->s : NULL;
	struct MHD_Response *r = MHD_create_response_from_buffer(c->reply_len, c->reply,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	return web_queue(w, conn, 200, r, true, cookie_of);
}

static bool is_poll(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, WEB_POLL_HEADER);
	return v && !strcmp(v, "1");
}

/* The body is whole: hand it to the panel; answer now or suspend until the reply. */
static enum MHD_Result submit_api(struct web *w, struct MHD_Connection *conn,
				  struct web_req *req)
{
	if (req->body_too_big)
		return web_answer_text(w, conn, 413, "request body over 64 KiB\n", true);
	bool created, poll = is_poll(conn);
	int err;
	struct web_session *s = web_session_get(w, conn, poll, &created, &err);
	if (!s)
		return web_answer_no_session(w, conn, err, true);
	/* Refused before the panel sees it: any call might wait, and waiting ones are bounded. */
	if (!web_call_may_wait(s))
		return web_answer_text(w, conn, 503, "too many calls waiting\n", true);
	bool no_reply = false;
	struct web_call *c = web_call_submit(s, conn, req->body ? req->body : "", req->body_len,
					     poll, &no_reply);
	if (!c && no_reply) {
		struct MHD_Response *r =
			MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		return web_queue(w, conn, 204, r, true, created ? s : NULL);
	}
	if (!c)
		return web_answer_text(w, conn, 503, "the chair cannot take it now\n", true);
	req->call = c;
	req->created = created;
	if (c->reply)
		return answer_call(w, conn, c, created);
	/* A deferred reply (scan.start waits for the scan): nothing blocks meanwhile; the cookie
	 * of a new session goes with the reply. */
	web_call_wait(c);
	c->suspended = true;
	c->deadline_s = web_clock_s(w) + WEB_DEFERRED_MAX_S;
	if (req->wc)
		req->wc->deadline_s = 0;
	MHD_suspend_connection(conn);
	return MHD_YES;
}

/* A suspended call was resumed: its reply came, its session went, or it waited too long. */
static enum MHD_Result resumed_api(struct web *w, struct MHD_Connection *conn,
				   struct web_req *req)
{
	struct web_call *c = req->call;
	if (c->reply)
		return answer_call(w, conn, c, req->created);
	if (!c->s)
		return web_answer_text(w, conn, 503, "the session was closed\n", true);
	return web_answer_text(w, conn, 504, "the chair did not answer in time\n", true);
}

static enum MHD_Result first_call(struct web *w, struct MHD_Connection *conn, const char *url,
				  const char *method, struct web_req *req)
{
	if (!strcmp(url, "/api"))
		req->route = ROUTE_API;
	else if (!strcmp(url, "/api/events"))
		req->route = ROUTE_EVENTS;
	else if (!strncmp(url, "/api/", 5))
		req->route = ROUTE_REFUSED;
	else
		req->route = ROUTE_STATIC;
	bool api = req->route != ROUTE_STATIC;
	unsigned refused = check_origin(w, conn, api || web_is_tech_path(url));
	if (refused == 421)
		return web_answer_text(w, conn, 421, "not this panel's host name\n", api);
	if (refused)
		return web_answer_text(w, conn, refused, "cross-site request refused\n", api);
	if (req->raw_bad)
		return web_answer_text(w, conn, 400, "bad path\n", api);
	switch (req->route) {
	case ROUTE_API:
		if (strcmp(method, MHD_HTTP_METHOD_POST))
			return answer_405(w, conn, "POST", true);
		if (!json_content_type(conn))
			return web_answer_text(w, conn, 415, "Content-Type application/json expected\n",
					       true);
		if (body_too_long(conn))
			return web_answer_text(w, conn, 413, "request body over 64 KiB\n", true);
		return MHD_YES; /* the body comes next */
	case ROUTE_EVENTS:
		if (strcmp(method, MHD_HTTP_METHOD_GET))
			return answer_405(w, conn, "GET", true);
		return MHD_YES; /* answered once the request is whole: then it may stay open */
	case ROUTE_STATIC:
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			return answer_405(w, conn, "GET, HEAD", false);
		return MHD_YES;
	default:
		return web_answer_text(w, conn, 404, "not found\n", true);
	}
}

enum MHD_Result web_on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct web *w = cls;
	struct web_req *req = *req_cls;
	if (!req)
		return MHD_NO;
	if (!req->seen) {
		req->seen = true;
		return first_call(w, conn, url, method, req);
	}
	/* An answer queued at the first call closes the connection (libmicrohttpd cannot know
	 * the body was read): only refusals are answered that early. */
	if (req->route != ROUTE_API) {
		if (*upload_data_size) { /* a body on a GET: read and dropped */
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (req->route == ROUTE_EVENTS)
			return open_events(w, conn, req);
		struct web_session *s = web_session_find(w, conn);
		if (s) /* a page loaded shows the browser is still there */
			web_session_touch(w, s, false);
		return web_static(w, conn, url, !strcmp(method, MHD_HTTP_METHOD_HEAD), s);
	}
	if (req->call)
		return resumed_api(w, conn, req);
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->body_too_big || req->body_len + n > WEB_BODY_MAX_BYTES) {
			req->body_too_big = true; /* read and dropped: the answer says why */
			return MHD_YES;
		}
		char *more = realloc(req->body, req->body_len + n + 1);
		if (!more)
			return MHD_NO;
		req->body = more;
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	return submit_api(w, conn, req);
}

/* The raw request URI, before libmicrohttpd decodes it: a path that had to encode a NUL, a
 * '%' (double encoding), a '/' or a '\' is refused whatever it decodes to. */
void *web_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct web *w = cls;
	struct web_req *req = calloc(1, sizeof(*req));
	if (!req)
		return NULL;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	req->wc = ci ? ci->socket_context : NULL;
	if (req->wc) /* a request line came: the whole request has timeout_s from now */
		req->wc->deadline_s = web_now_s() + w->cfg.timeout_s;
	size_t path_len = strcspn(uri, "?");
	for (size_t i = 0; i < path_len; i++) {
		if (uri[i] == '\\')
			req->raw_bad = true;
		if (uri[i] != '%' || i + 2 >= path_len)
			continue;
		char hex[3] = {uri[i + 1], uri[i + 2], '\0'};
		if (!strcmp(hex, "00") || !strcasecmp(hex, "25") || !strcasecmp(hex, "2f") ||
		    !strcasecmp(hex, "5c"))
			req->raw_bad = true;
	}
	return req;
}

void web_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct web *w = cls;
	struct web_req *req = *req_cls;
	*req_cls = NULL;
	if (!req)
		return;
	if (req->call)
		web_call_free(req->call);
	if (req->wc) /* the next request on this connection has timeout_s from now */
		req->wc->deadline_s = web_now_s() + w->cfg.timeout_s;
	free(req->body);
	free(req);
}
