/* The web server's own: what web.c (the daemon, its connections), web_request.c (routes,
 * checks, answers), web_session.c (browser sessions, the panel connections behind them,
 * their calls), web_stream.c (event streams) and web_static.c (page files) share. */
#ifndef WEB_INTERNAL_H
#define WEB_INTERNAL_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>

#include <jansson.h>

#include "web.h"

#define WEB_TOKEN_BYTES 32 /* 256 random bits */
#define WEB_COOKIE_HEX (2 * WEB_TOKEN_BYTES)
#define WEB_COOKIE_NAME "chair_session"
#define WEB_HOSTS_MAX 16
#define WEB_HOST_LEN 280
#define WEB_DEFERRED_PER_SESSION_MAX 4 /* calls of one browser waiting for a deferred reply */
#define WEB_POLL_HEADER "X-Chair-Poll"  /* "1": a call the page makes by itself */

struct web_session;

/* A POST /api waiting for its reply (at once, or later: deferred). */
struct web_call {
	struct web_call *next;     /* in its session's list */
	struct web_session *s;     /* NULL once the session went */
	struct MHD_Connection *conn;
	uint64_t rpc_id;           /* the id the panel saw */
	json_t *orig_id;           /* the browser's, put back in the reply */
	char *reply;               /* once answered (malloc'd) */
	size_t reply_len;
	bool suspended;
	bool deferred;             /* counted in the deferred bounds until freed */
	bool login;                /* an auth.login: a technician's reply renews the cookie */
	bool new_cookie;           /* its answer carries the session's new cookie */
	struct web *w;
	double deadline_s;         /* on the sessions' clock */
};

/* An event stream (GET /api/events). */
struct web_stream {
	bool used;
	struct web *w;
	struct web_session *s;
	struct MHD_Connection *conn;
	unsigned topics;           /* bit (1u << enum panel_topic) */
	char *buf;                 /* unsent text, buf[off..len) */
	size_t len, off;
	bool suspended;
	bool closing;              /* end it (session gone, peer gone) once sent */
	bool dropped;              /* a slow reader: cut at once */
	double last_append_s;
};

struct web_session {
	bool used;
	char cookie[WEB_COOKIE_HEX + 1];
	uint64_t conn_id;          /* its panel connection */
	double last_used_s;        /* a person's use: a page loaded, a call not a poll */
	double last_seen_s;        /* any request, a poll too: the browser is still there */
	int deferred_calls;
	double streamless_since_s; /* its last stream closed then; 0: one is open or never was */
	int streams;
	uint64_t next_rpc_id;
	struct web_call *calls;
	struct web_call *submitting; /* the call being handed to the panel now */
	struct web *w;
};

/* What is kept per TCP connection, to cut a slow one. */
struct web_conn {
	bool used;
	struct MHD_Connection *conn;
	int fd;
	double deadline_s;         /* 0: none (a stream, a deferred call) */
};

enum web_route { ROUTE_NONE, ROUTE_STATIC, ROUTE_API, ROUTE_EVENTS, ROUTE_REFUSED };

/* One HTTP request, from its request line to its completion. */
struct web_req {
	bool seen;                 /* the handler had its first call */
	bool raw_bad;              /* the raw URI had an encoded NUL, %, / or \ */
	bool created;              /* its session is new: the answer sets the cookie */
	enum web_route route;
	char *body;
	size_t body_len;
	bool body_too_big;
	struct web_call *call;
	struct web_stream *stream;
	struct web_conn *wc;
};

struct web {
	struct web_api_config cfg;
	struct panel *panel;
	struct MHD_Daemon *mhd;
	int root_fd;
	char host[INET6_ADDRSTRLEN];
	bool host_v6;
	int port;
	char hosts[WEB_HOSTS_MAX][WEB_HOST_LEN]; /* Host headers taken, "name:port" */
	int host_count;
	struct web_session *sessions;  /* cfg.max_sessions */
	struct web_stream *streams;    /* cfg.max_streams */
	struct web_conn *conns;        /* cfg.max_connections + a few */
	int conn_slots;
	int stream_count;
	int deferred_calls;            /* over all sessions; below cfg.max_connections */
	double new_window_s;           /* the second new sessions are counted in, and how many */
	int new_in_window;
	double next_check_s;           /* the connections' clock */
	double next_sweep_s;           /* the sessions' clock */
	struct web_stats stats;
};

/* The connections' clock (CLOCK_MONOTONIC), for the deadlines of slow clients. */
double web_now_s(void);
/* The sessions' clock: cfg.clock_s when set, else web_now_s. */
double web_clock_s(const struct web *w);

/* web_session.c */
struct web_session *web_session_find(struct web *w, struct MHD_Connection *conn);
/* A request of s came: seen, and used too unless it is a poll. */
void web_session_touch(struct web *w, struct web_session *s, bool poll);
/* A new session. NULL with -EAGAIN (WEB_NEW_SESSIONS_PER_S reached) or -ENOSPC (no slot
 * free nor one to evict, or the panel full) in *err. */
struct web_session *web_session_new(struct web *w, int *err);
/* The session of the cookie (touched), or a new one (*created). NULL: as web_session_new. */
struct web_session *web_session_get(struct web *w, struct MHD_Connection *conn, bool poll,
				    bool *created, int *err);
void web_session_detach(struct web *w, struct web_session *s);
/* Hand the body to the panel; returns the call (its reply already there, or to come), or
 * NULL with *no_reply when nothing is to come (a request without id) or -ENOMEM. */
struct web_call *web_call_submit(struct web_session *s, struct MHD_Connection *conn,
				 const char *body, size_t len, bool poll, bool *no_reply);
/* Whether one more call of s may wait for a deferred reply (per session, over all). */
bool web_call_may_wait(const struct web_session *s);
/* c waits for its deferred reply now: counted until freed. */
void web_call_wait(struct web_call *c);
void web_call_free(struct web_call *c);
/* web_stream.c */
/* A notification of s's panel connection to those of its streams that asked its topic. */
void web_streams_notify(struct web_session *s, const char *method, const char *json,
			size_t len);
/* A comment on every stream quiet for WEB_KEEPALIVE_S. */
void web_streams_keep_alive(struct web *w, double now_s);
/* End every stream of s once what it has is sent (s is being closed). */
void web_streams_close_of(struct web *w, struct web_session *s);
/* End every stream of s once what it has is sent; s goes on (a login renewed its cookie). */
void web_streams_end_of(struct web_session *s);
/* Open a stream of s for topics; NULL when over a limit. */
struct web_stream *web_stream_open(struct web *w, struct web_session *s,
				   struct MHD_Connection *conn, unsigned topics);
ssize_t web_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void web_stream_done(void *cls);
/* Streams whose peer went (a reload), on the connections' clock. */
void web_streams_check(struct web *w);
/* Timed work on the sessions' clock: keep-alives, idle sessions, expired calls. */
void web_sessions_sweep(struct web *w);
void web_sessions_close_all(struct web *w);

/* web_static.c */
/* Answer a GET/HEAD of url from the root folder; s: the browser's session, if any. */
bool web_is_tech_path(const char *url);
enum MHD_Result web_static(struct web *w, struct MHD_Connection *conn, const char *url,
			   bool head, struct web_session *s);

/* web_request.c: libmicrohttpd's callbacks, and the answers */
enum MHD_Result web_on_request(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls);
void *web_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
void web_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe);
/* Headers every response carries; api adds Cache-Control: no-store. */
void web_add_headers(struct MHD_Response *r, bool api);
/* A short text answer. */
enum MHD_Result web_answer_text(struct web *w, struct MHD_Connection *conn, unsigned status,
				const char *text, bool api);
/* 503 for a session not made: Retry-After 1 for the rate of new sessions, else 5. */
enum MHD_Result web_answer_no_session(struct web *w, struct MHD_Connection *conn, int err,
				      bool api);
enum MHD_Result web_queue(struct web *w, struct MHD_Connection *conn, unsigned status,
			  struct MHD_Response *r, bool api, struct web_session *new_session);

#endif
