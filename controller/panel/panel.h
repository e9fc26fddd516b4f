/* The panel server: JSON-RPC 2.0 lines (jsonrpc.h) on a Unix stream socket, served from
 * chaird's main thread beside the runner. Nothing here blocks and nothing here is shared
 * with the rt thread: every call is made from the one thread that owns the panel.
 *
 * The daemon polls the panel's descriptors together with its own in one poll(2):
 *
 *     struct pollfd fds[MINE + panel_pollfd_max(p)];
 *     fds[0] = (struct pollfd){.fd = sigfd, .events = POLLIN};   ... its own ...
 *     int n = panel_pollfds(p, fds + MINE, panel_pollfd_max(p));
 *     poll(fds, MINE + n, timeout_ms);
 *     panel_service(p, fds + MINE, n);                           ... then its own ...
 *
 * or, with nothing else to wait for, panel_poll(p, timeout_ms).
 *
 * Who may do what is the method table: a name, the least role that may call it, its param
 * schema (params.h) and its handler. A request is checked whole before its handler runs
 * (role, then every param), so a refused request changes nothing. On the socket a peer's
 * role comes from its credentials (SO_PEERCRED, and the kernel's list of its groups,
 * SO_PEERGROUPS): uid 0 or a member of the technician group is a technician, anyone else
 * a user. Who may connect at all is the socket's mode 0660 and its group (socket_group).
 *
 * Output is queued per client, bounded (panel_config.out_max_bytes); a client whose queue
 * would overflow (a slow or dead reader) is dropped, so no client stalls the server or the
 * others. A notification is serialised once and the same bytes are queued to every
 * subscriber.
 *
 * Choices where the protocol leaves them open:
 * - A line over PANEL_LINE_MAX bytes: -32600 (data.max_bytes), id null, the rest of it up
 *   to its newline dropped unread into memory; the connection stays usable.
 * - A duplicate key: -32700 (data.reason "duplicate key"): strict decoding refuses it.
 * - A request without an id (a JSON-RPC notification from the client) is executed like any
 *   other and never answered, as JSON-RPC 2.0 asks: a panel's fire-and-forget session.stop
 *   stops. Its errors are not sent and a deferred reply to it is dropped. It is counted
 *   (panel_stats.notifications_in). A line that is not a well-formed request is answered
 *   with id null even when it has no id, as JSON-RPC asks.
 * - At most 8 lines of one connection are served per panel_service; the rest stays in its
 *   buffer, unread from the socket, and is served by the next panel_service even when poll
 *   reports nothing (panel_poll_timeout_ms says 0 then). One client's flood of costly
 *   requests delays another's by a turn or two, not by the whole flood.
 * - Over max_clients, a new connection gets one -32001 line (data.state "full") and is
 *   closed.
 * - Blank lines are skipped; a CR before the newline is taken as part of the line end.
 * - A peer that shuts its writing side gets every reply still due, deferred ones included,
 *   then the connection closes. */
#ifndef PANEL_H
#define PANEL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "jsonrpc.h"
#include "params.h"

#define PANEL_CLIENTS_DEFAULT 256
#define PANEL_CLIENTS_LIMIT 4096
#define PANEL_OUT_MAX_DEFAULT (256u * 1024u)

/* A method's role is the least a connection must hold to call it. */
enum panel_role { PANEL_ROLE_ANY, PANEL_ROLE_USER, PANEL_ROLE_TECHNICIAN };
const char *panel_role_name(enum panel_role r); /* "any", "user", "technician" */

enum panel_topic {
	PANEL_TOPIC_STATE,   /* notify.state */
	PANEL_TOPIC_MOTION,  /* notify.motion */
	PANEL_TOPIC_SESSION, /* notify.session */
	PANEL_TOPIC_FAULTS,  /* notify.fault */
	PANEL_TOPIC_SCAN,    /* notify.scan */
	PANEL_TOPIC_COUNT,
};
const char *panel_topic_name(enum panel_topic t); /* "state", "motion", ... */
int panel_topic_lookup(const char *name);         /* -1 when unknown */

struct panel;

/* What a handler knows of the request it serves. Read-only for handlers. */
struct panel_call {
	struct panel *panel;
	enum panel_role role; /* the connection's */
	uid_t uid;            /* the peer's credentials, from SO_PEERCRED */
	gid_t gid;
	pid_t pid;
	uint64_t conn_id;     /* this connection's, never reused while the panel is open */
	json_t *id;           /* the request's id (borrowed) */
	uint64_t handle;      /* set by panel_call_defer */
	int slot;             /* the server's own: where the connection is kept */
};

/* A handler returns 0 with *result set (stolen; NULL replies {}), a negative number with
 * err filled (err->code 0 replies -32603 "internal error"), or PANEL_DEFERRED after
 * panel_call_defer: the reply comes later through panel_reply or panel_reply_error.
 * params is the request's params object, already checked against the method's schema
 * (borrowed: json_incref what is kept). */
#define PANEL_DEFERRED 1
typedef int (*panel_handler)(void *app, struct panel_call *call, json_t *params,
			     json_t **result, struct panel_error *err);

struct panel_method {
	const char *name;
	enum panel_role role;
	const struct panel_param *params; /* ends with PANEL_PARAMS_END; NULL: takes none */
	panel_handler fn;
};
/* The end of a method table. */
#define PANEL_METHODS_END {.name = NULL}

struct panel_config {
	const char *socket_path;
	const char *technician_group; /* a group name or a decimal gid; NULL or "": root only */
	/* The socket's group, whose members may connect (mode 0660): a group name or a decimal
	 * gid; NULL or "": the daemon's own. Not the technician group, or users could not
	 * connect at all; technicians are usually members of both. */
	const char *socket_group;
	int max_clients;              /* 0: PANEL_CLIENTS_DEFAULT; at most PANEL_CLIENTS_LIMIT */
	size_t out_max_bytes;         /* a client's output queue bound; 0: PANEL_OUT_MAX_DEFAULT */
	/* Decides a peer's role instead of its credentials, when set (tests run as one uid). */
	enum panel_role (*peer_role)(void *arg, uid_t uid, gid_t gid);
	void *peer_role_arg;
	/* Told when a connection closes (its peer went, it was dropped or refused a line), with
	 * the app of panel_open and the conn_id its calls had; not by panel_close. May be NULL. */
	void (*on_close)(void *app, uint64_t conn_id);
	/* Monotonic milliseconds for raised roles' idle time, when set (tests); else the
	 * system's monotonic clock. */
	int64_t (*clock_ms)(void *arg);
	void *clock_arg;
};

/* Listen at cfg->socket_path (mode 0660, group socket_group when it is set) and serve
 * methods (a table ending with PANEL_METHODS_END, kept by reference) with app handed to
 * every handler. A socket already at the path is removed when nobody answers on it; a
 * server that answers, or a path that is not a socket, is refused. The table is checked
 * (names unique and none of them built in, schemas valid). Returns 0 with *out, or -errno
 * with err naming the path, group or method. */
int panel_open(struct panel **out, const struct panel_config *cfg,
	       const struct panel_method *methods, void *app, char *err, size_t err_len);
/* Close every connection, remove the socket and free everything (p may be NULL). Deferred
 * calls not answered yet are dropped. */
void panel_close(struct panel *p);

/* Set or replace the close hook (panel_config.on_close); NULL removes it. */
void panel_set_on_close(struct panel *p, void (*on_close)(void *app, uint64_t conn_id));

/* How many pollfds panel_pollfds may fill at most: the listening socket and every client. */
int panel_pollfd_max(const struct panel *p);
/* Fill fds (room for max) with what the panel waits for; returns how many were filled. */
int panel_pollfds(struct panel *p, struct pollfd *fds, int max);
/* The poll timeout to use instead of timeout_ms: 0 while lines wait in a buffer (they are
 * served by the next panel_service whatever poll says), else timeout_ms. */
int panel_poll_timeout_ms(const struct panel *p, int timeout_ms);
/* Serve what poll reported (new connections, requests, writable sockets), then the lines
 * still buffered from earlier turns. fds and n are exactly what panel_pollfds filled, with
 * poll's revents; call it after every poll, a timeout included. Never blocks. */
void panel_service(struct panel *p, const struct pollfd *fds, int n);
/* panel_pollfds, poll and panel_service in one, for a loop with nothing else to wait for.
 * Returns poll's result (0 on a timeout) or -errno (-EINTR on a signal). */
int panel_poll(struct panel *p, int timeout_ms);

/* Keep call to answer later; returns the handle for panel_reply (never 0). */
uint64_t panel_call_defer(struct panel_call *call);
/* Answer a deferred call with result (stolen) or err (its data taken). A handle whose
 * client has gone, or that was answered already, is a harmless no-op: -ENOENT. */
int panel_reply(struct panel *p, uint64_t handle, json_t *result);
int panel_reply_error(struct panel *p, uint64_t handle, struct panel_error *err);

/* Raise the role of the call's connection from now on (auth.login), for as long as it keeps
 * calling: a connection idle for idle_s seconds falls back to the role it had before. */
void panel_call_raise_role(struct panel_call *call, enum panel_role role, double idle_s);
/* Back to the role the connection had before any raise (auth.logout). */
void panel_call_drop_role(struct panel_call *call);
/* The topics the call's connection is subscribed to: bit (1u << enum panel_topic). */
unsigned panel_call_topics(const struct panel_call *call);

/* Queue the notification method(params) to every subscriber of topic; params is stolen.
 * Serialised once, whatever the number of subscribers. Returns how many were sent to
 * (a client dropped for a full queue is not counted), or -ENOMEM. */
int panel_notify(struct panel *p, enum panel_topic topic, const char *method, json_t *params);
/* How many connections subscribe to topic. */
int panel_subscriber_count(const struct panel *p, enum panel_topic topic);

int panel_client_count(const struct panel *p);

/* A connection without a socket, for a front end that carries the protocol itself (the web
 * server: one per browser session). Its requests come whole through panel_submit; its
 * replies and notifications go to sink, each one JSON text with its newline, in order, as
 * they are produced: at once, or later for a deferred reply or a notification. The sink
 * copies what it keeps and must not call the panel. It is counted among max_clients, has
 * no output queue (the front end bounds its own), and its peer fields (uid, gid, pid) are
 * 0. The close hook is told when it is detached. */
typedef void (*panel_sink_fn)(void *arg, const char *json, size_t len);
/* Returns 0 with *conn_id, or -EMFILE over max_clients. */
int panel_attach(struct panel *p, enum panel_role role, panel_sink_fn sink, void *sink_arg,
		 uint64_t *conn_id);
/* Serve one request (JSON text of at most PANEL_LINE_MAX bytes; newlines inside it are
 * white space) exactly as a socket line is served: role, params, handler. Returns 0, or
 * -ENOENT when conn_id is not attached, -E2BIG for a text too long (refused with -32600 to
 * the sink, as on the socket). */
int panel_submit(struct panel *p, uint64_t conn_id, const char *json, size_t len);
/* panel_submit with flags: PANEL_SUBMIT_POLL, a call the front end makes by itself (a page
 * refreshing its view): served the same, but it does not count as the connection's use,
 * so a raised role left on a refreshing page still falls back after its idle time. */
#define PANEL_SUBMIT_POLL 1u
int panel_submit_ex(struct panel *p, uint64_t conn_id, const char *json, size_t len,
		    unsigned flags);
/* Back to the role the connection had before any raise, from outside a call (the web
 * server, when a raised browser leaves the technician's pages). Unknown: no-op. */
void panel_conn_drop_role(struct panel *p, uint64_t conn_id);
/* The connection's role now (an idle raise counted as gone); PANEL_ROLE_ANY when unknown. */
enum panel_role panel_conn_role(struct panel *p, uint64_t conn_id);
/* Its topics: bit (1u << enum panel_topic); 0 when unknown. */
unsigned panel_conn_topics(const struct panel *p, uint64_t conn_id);
/* Close it: its deferred calls are dropped and the close hook told. Unknown: no-op. */
void panel_detach(struct panel *p, uint64_t conn_id);

struct panel_stats {
	uint64_t accepted;      /* connections taken */
	uint64_t refused_full;  /* connections refused over max_clients */
	uint64_t dropped_slow;  /* closed because their output queue was full */
	uint64_t requests;      /* requests with an id, answered or deferred */
	uint64_t notifications_in; /* requests without an id: executed, not answered */
	uint64_t errors;        /* error replies */
	uint64_t too_long;      /* lines over PANEL_LINE_MAX */
	uint64_t notifications; /* panel_notify calls that had a subscriber */
	uint64_t bytes_in;
	uint64_t bytes_out;
	size_t in_buffered;     /* now: input buffer memory of every connection */
	size_t out_queued;      /* now: bytes waiting in every output queue */
};
void panel_get_stats(const struct panel *p, struct panel_stats *st);

/* The role the credentials give on the socket: technician for uid 0 or a member of gid
 * technician_gid (primary or supplementary, by the peer's user name), user otherwise.
 * has_group false: only root is a technician. */
enum panel_role panel_role_of_credentials(uid_t uid, gid_t gid, bool has_group,
					  gid_t technician_gid);

#endif
