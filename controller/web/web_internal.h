/* The web server's own: what web.c (the daemon, its connections), web_request.c (routes,
 * checks, answers), web_session.c (browser sessions, the panel connections behind them,
 * event streams) and web_static.c (page files) share. */
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
	double deadline_s;
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
	double last_used_s;
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
	double next_sweep_s;
	struct web_stats stats;
};

double web_now_s(void);

/* web_session.c */
struct web_session *web_session_find(struct web *w, struct MHD_Connection *conn);
/* The session of the cookie, or a new one (*created). NULL: full (sessions or panel). */
struct web_session *web_session_get(struct web *w, struct MHD_Connection *conn, bool *created);
void web_session_detach(struct web *w, struct web_session *s);
/* Hand the body to the panel; returns the call (its reply already there, or to come), or
 * NULL with *no_reply when nothing is to come (a request without id) or -ENOMEM. */
struct web_call *web_call_submit(struct web_session *s, struct MHD_Connection *conn,
				 const char *body, size_t len, bool *no_reply);
void web_call_free(struct web_call *c);
/* Open a stream of s for topics; NULL when over a limit. */
struct web_stream *web_stream_open(struct web *w, struct web_session *s,
				   struct MHD_Connection *conn, unsigned topics);
ssize_t web_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void web_stream_done(void *cls);
/* Timed work: keep-alives, dead peers, idle sessions, expired calls. */
void web_sessions_sweep(struct web *w, double now_s);
void web_sessions_close_all(struct web *w);

/* web_static.c */
/* Answer a GET/HEAD of url from the root folder. */
enum MHD_Result web_static(struct web *w, struct MHD_Connection *conn, const char *url,
			   struct web_session *s);

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
enum MHD_Result web_queue(struct web *w, struct MHD_Connection *conn, unsigned status,
			  struct MHD_Response *r, bool api, struct web_session *new_session);

#endif
