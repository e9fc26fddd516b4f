/* The panel server's own state, shared by server.c (the socket, accepting, the poll loop,
 * open and close) and conn.c (a connection's lines, dispatch, output queue, deferred
 * replies and notifications). Nothing here is for the server's users: see panel.h. */
#ifndef PANEL_SERVER_INTERNAL_H
#define PANEL_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "panel.h"

#define LINE_CAP (PANEL_LINE_MAX + 1) /* a longest line and its newline */
#define IN_CAP_FIRST 4096
#define ACCEPTS_PER_SERVICE 64
#define IOV_MAX_SEND 64
#define ACCEPT_PAUSE_MS 100
/* Lines of one connection served per panel_service; the rest waits in its buffer. */
#define PANEL_LINES_PER_SERVICE 8

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
	bool lines_pending; /* whole lines wait in `in`: served next service, not polled */
	uint64_t served_turn; /* the panel_service that last served its lines */
	int fd;
	uint64_t conn_id;
	enum panel_role role;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	unsigned topics;   /* bit (1u << enum panel_topic) */
	/* A connection without a socket (fd -1): its output goes to sink, unqueued. */
	panel_sink_fn sink;
	void *sink_arg;
	/* A raised role (auth.login) lasts while the connection keeps calling. */
	bool raised;
	enum panel_role base_role; /* the role before the raise */
	int64_t raise_idle_ms;
	int64_t last_call_ms;
	bool polling;      /* the call being served is a front end's own refresh */
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
	bool has_socket_group;
	gid_t socket_gid;
	enum panel_role (*peer_role)(void *arg, uid_t uid, gid_t gid);
	void *peer_role_arg;
	const struct panel_method *methods;
	void *app;
	void (*on_close)(void *app, uint64_t conn_id);
	int64_t (*clock_ms)(void *arg);
	void *clock_arg;
	int max_clients;
	size_t out_max;
	struct client *clients;
	int client_count;
	int64_t accept_paused_until_ms; /* out of descriptors: until one closes or this time */
	uint64_t next_conn_id;
	struct deferred *defer;
	size_t defer_count, defer_cap;
	uint64_t next_handle;
	uint64_t service_turn; /* panel_service calls */
	struct poll_ref *refs; /* what panel_pollfds put at each index */
	struct pollfd *own_fds; /* panel_poll's */
	struct panel_stats st;
};

extern const char *const panel_topic_names[PANEL_TOPIC_COUNT + 1];

/* Monotonic milliseconds. */
int64_t panel_now_ms(const struct panel *p);
/* The client that is connection conn_id (any slot), else NULL. */
struct client *panel_conn_find(struct panel *p, uint64_t conn_id);
/* c's role now: a raise idle for longer than it may is dropped first. */
enum panel_role panel_conn_role_now(struct client *c, int64_t now_ms);
/* Serialise msg (dropped here) and queue it to c. 0, or -1 when c was closed. */
int panel_conn_send(struct panel *p, struct client *c, json_t *msg);
/* Serve one request text of c as a line is served (its reply or error to c). */
void panel_conn_serve_text(struct panel *p, struct client *c, const char *text, size_t len);

/* The client at slot if it is still connection conn_id, else NULL. */
struct client *panel_conn_at(struct panel *p, int slot, uint64_t conn_id);
/* Close c: its queue, its buffers and its deferred calls go with it. */
void panel_conn_close(struct panel *p, struct client *c);
/* Send what c's socket takes now. 0, or -1 when c was closed. */
int panel_conn_flush(struct panel *p, struct client *c);
/* Read what c's socket has and serve its first PANEL_LINES_PER_SERVICE whole lines. */
void panel_conn_read(struct panel *p, struct client *c);
/* Serve the next lines c has buffered (c->lines_pending), with no read. */
void panel_conn_serve_pending(struct panel *p, struct client *c);
/* Whether name is a method the server serves itself (subscribe). */
bool panel_conn_builtin(const char *name);

#endif
