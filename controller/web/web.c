/* The web server: libmicrohttpd in external polling mode (its epoll set is one descriptor in
 * the daemon's poll), the routes, and the checks every request passes before anything is
 * served: its Host is the panel's own, its Origin (when sent) too, it is not cross-site, its
 * path was not encoded to hide something. What each route does is in web_session.c (API,
 * events) and web_static.c (page files). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "web_internal.h"

#define WEB_SWEEP_S 0.1 /* how often the timed work runs */

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
			  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

double web_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

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

/* The Host headers the panel answers to: its address and port, localhost:port for a
 * loopback address, and the [web] server_name names with the port. */
static void add_host(struct web *w, const char *name)
{
	if (w->host_count >= WEB_HOSTS_MAX)
		return;
	snprintf(w->hosts[w->host_count++], WEB_HOST_LEN, "%s:%d", name, w->port);
	if (w->port == 80 && w->host_count < WEB_HOSTS_MAX) /* a browser leaves :80 out */
		snprintf(w->hosts[w->host_count++], WEB_HOST_LEN, "%s", name);
}

static void build_hosts(struct web *w)
{
	char name[INET6_ADDRSTRLEN + 2];
	bool any = !strcmp(w->host, "0.0.0.0") || !strcmp(w->host, "::");
	bool loopback = !strncmp(w->host, "127.", 4) || !strcmp(w->host, "::1") || any;
	if (!any) {
		snprintf(name, sizeof(name), w->host_v6 ? "[%s]" : "%s", w->host);
		add_host(w, name);
	}
	if (loopback) { /* a wildcard address is reachable on loopback too */
		add_host(w, "localhost");
		if (any)
			add_host(w, w->host_v6 ? "[::1]" : "127.0.0.1");
	}
	char names[CONFIG_NAMES_MAX];
	snprintf(names, sizeof(names), "%s", w->cfg.server_name);
	char *save = NULL;
	for (char *tok = strtok_r(names, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		add_host(w, tok);
}

static bool host_allowed(const struct web *w, const char *host)
{
	for (int i = 0; i < w->host_count; i++)
		if (!strcasecmp(w->hosts[i], host))
			return true;
	return false;
}

/* 0 when the request may be served; else the status that refuses it. DNS rebinding brings a
 * foreign Host, a cross-site page a foreign Origin or Sec-Fetch-Site. */
static unsigned check_origin(struct web *w, struct MHD_Connection *conn, bool api)
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
	if (site && api && strcasecmp(site, "same-origin") && strcasecmp(site, "none"))
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
	return errno || end == cl || n > WEB_BODY_MAX;
}

static struct web_session *session_or_null(struct web *w, struct MHD_Connection *conn,
					   bool *created)
{
	*created = false;
	return web_session_get(w, conn, created);
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
	struct web_session *s = session_or_null(w, conn, &created);
	if (!s)
		return web_answer_text(w, conn, 503, "too many sessions\n", true);
	struct web_stream *st = web_stream_open(w, s, conn, topics);
	if (!st)
		return web_answer_text(w, conn, 503, "too many event streams\n", true);
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

static enum MHD_Result answer_call(struct web *w, struct MHD_Connection *conn,
				   struct web_call *c, struct web_session *new_session)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(c->reply_len, c->reply,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	return web_queue(w, conn, 200, r, true, new_session);
}

/* The body is whole: hand it to the panel; answer now or suspend until the reply. */
static enum MHD_Result submit_api(struct web *w, struct MHD_Connection *conn,
				  struct web_req *req)
{
	if (req->body_too_big)
		return web_answer_text(w, conn, 413, "request body over 64 KiB\n", true);
	bool created;
	struct web_session *s = session_or_null(w, conn, &created);
	if (!s)
		return web_answer_text(w, conn, 503, "too many sessions\n", true);
	bool no_reply = false;
	struct web_call *c = web_call_submit(s, conn, req->body ? req->body : "", req->body_len,
					     &no_reply);
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
		return answer_call(w, conn, c, created ? s : NULL);
	/* A deferred reply (scan.start waits for the scan): nothing blocks meanwhile; the cookie
	 * of a new session goes with the reply. */
	c->suspended = true;
	c->deadline_s = web_now_s() + WEB_DEFERRED_MAX_S;
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
		return answer_call(w, conn, c, req->created ? c->s : NULL);
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
	unsigned refused = check_origin(w, conn, api);
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
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
		return web_static(w, conn, url, web_session_find(w, conn));
	}
	if (req->call)
		return resumed_api(w, conn, req);
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->body_too_big || req->body_len + n > WEB_BODY_MAX) {
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
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
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

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
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

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct web *w = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct web_conn *wc = *socket_context;
		if (wc)
			memset(wc, 0, sizeof(*wc));
		*socket_context = NULL;
		w->stats.connections--;
		return;
	}
	w->stats.connections++;
	*socket_context = NULL;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (int i = 0; ci && i < w->conn_slots; i++) {
		if (w->conns[i].used)
			continue;
		w->conns[i] = (struct web_conn){.used = true, .conn = conn, .fd = ci->connect_fd,
						.deadline_s = web_now_s() + w->cfg.timeout_s};
		*socket_context = &w->conns[i];
		return;
	}
}

/* A connection past its deadline (a client sending a byte a second never lets
 * libmicrohttpd's idle timeout fire) is shut: libmicrohttpd sees the end and closes it. */
static void cut_slow(struct web *w, double now_s)
{
	for (int i = 0; i < w->conn_slots; i++) {
		struct web_conn *wc = &w->conns[i];
		if (!wc->used || wc->deadline_s <= 0 || now_s < wc->deadline_s)
			continue;
		shutdown(wc->fd, SHUT_RDWR);
		wc->deadline_s = 0;
		w->stats.slow_closed++;
	}
}

static int make_addr(struct web *w, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (w->host_v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)w->port);
		return inet_pton(AF_INET6, w->host, &a->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)w->port);
	return inet_pton(AF_INET, w->host, &a->sin_addr) == 1 ? 0 : -EINVAL;
}

static int alloc_tables(struct web *w)
{
	w->sessions = calloc((size_t)w->cfg.max_sessions, sizeof(*w->sessions));
	w->streams = calloc((size_t)w->cfg.max_streams, sizeof(*w->streams));
	w->conn_slots = w->cfg.max_connections + 4;
	w->conns = calloc((size_t)w->conn_slots, sizeof(*w->conns));
	return w->sessions && w->streams && w->conns ? 0 : -ENOMEM;
}

static void free_tables(struct web *w)
{
	free(w->sessions);
	free(w->streams);
	free(w->conns);
}

static int start_mhd(struct web *w, char *err, size_t err_len)
{
	struct sockaddr_storage ss;
	if (make_addr(w, &ss)) {
		snprintf(err, err_len, "[web] listen %s: not a numeric address", w->cfg.listen);
		return -EINVAL;
	}
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
	if (w->host_v6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	w->mhd = MHD_start_daemon(
		flags, (uint16_t)w->port, NULL, NULL, on_request, w, MHD_OPTION_SOCK_ADDR, &ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)w->cfg.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(w->cfg.timeout_s + 0.5),
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, w, MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, w, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)(32 * 1024), MHD_OPTION_END);
	if (!w->mhd) {
		int e = errno ? errno : EADDRINUSE;
		snprintf(err, err_len, "[web] listen %s: cannot listen: %s", w->cfg.listen,
			 strerror(e));
		return -e;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (di && di->port)
		w->port = di->port;
	return 0;
}

int web_open(struct web **out, const struct web_api_config *cfg, struct panel *p, char *err,
	     size_t err_len)
{
	*out = NULL;
	struct web *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, err_len, "[web]: out of memory");
		return -ENOMEM;
	}
	w->cfg = *cfg;
	w->panel = p;
	w->root_fd = -1;
	if (config_listen_split(cfg->listen, w->host, sizeof(w->host), &w->port)) {
		snprintf(err, err_len, "[web] listen %s: expected ADDRESS:PORT or off", cfg->listen);
		free(w);
		return -EINVAL;
	}
	if (w->port < 0) {
		free(w);
		return 0; /* off */
	}
	w->host_v6 = strchr(w->host, ':') != NULL;
	if (sodium_init() < 0) {
		snprintf(err, err_len, "[web]: libsodium could not start");
		free(w);
		return -EIO;
	}
	w->root_fd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->root_fd < 0) {
		int e = errno;
		snprintf(err, err_len, "[web] root %s: %s", cfg->root, strerror(e));
		free(w);
		return -e;
	}
	int rc = alloc_tables(w);
	if (rc) {
		snprintf(err, err_len, "[web]: out of memory");
	} else {
		rc = start_mhd(w, err, err_len);
	}
	if (rc) {
		close(w->root_fd);
		free_tables(w);
		free(w);
		return rc;
	}
	build_hosts(w);
	*out = w;
	return 0;
}

void web_close(struct web *w)
{
	if (!w)
		return;
	web_sessions_close_all(w); /* resumes every suspended connection */
	MHD_run(w->mhd);
	MHD_stop_daemon(w->mhd);
	close(w->root_fd);
	free_tables(w);
	free(w);
}

int web_port(const struct web *w)
{
	return w ? w->port : -1;
}

const char *web_host(const struct web *w)
{
	return w ? w->host : "";
}

void web_url(const struct web *w, char *buf, size_t len)
{
	snprintf(buf, len, w->host_v6 ? "http://[%s]:%d/" : "http://%s:%d/", w->host, w->port);
}

int web_pollfd_max(const struct web *w)
{
	return w ? 1 : 0;
}

int web_pollfds(struct web *w, struct pollfd *fds, int max)
{
	if (!w || max < 1)
		return 0;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di)
		return 0;
	fds[0] = (struct pollfd){.fd = di->epoll_fd, .events = POLLIN};
	return 1;
}

int web_poll_timeout_ms(struct web *w, int timeout_ms)
{
	if (!w)
		return timeout_ms;
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	if (MHD_get_timeout(w->mhd, &mhd_ms) == MHD_YES && mhd_ms < (unsigned long long)timeout_ms)
		return (int)mhd_ms;
	return timeout_ms;
}

void web_service(struct web *w, const struct pollfd *fds, int n)
{
	if (!w)
		return;
	(void)fds;
	(void)n;
	MHD_run(w->mhd); /* never waits: it asks its epoll set with a zero timeout */
	double now_s = web_now_s();
	if (now_s < w->next_sweep_s)
		return;
	w->next_sweep_s = now_s + WEB_SWEEP_S;
	cut_slow(w, now_s);
	web_sessions_sweep(w, now_s);
}

void web_get_stats(const struct web *w, struct web_stats *st)
{
	*st = w->stats;
}
