/* The panel's web server (docs/web.md): the page files from one folder, POST /api for one
 * JSON-RPC request and GET /api/events for the notifications as server-sent events, served
 * by libmicrohttpd from chaird's main thread with no thread of its own. Its one descriptor
 * (libmicrohttpd's epoll set) is polled beside the panel's, as the panel's are:
 *
 *     int n = web_pollfds(w, fds + k, web_pollfd_max(w));
 *     poll(fds, k + n, web_poll_timeout_ms(w, timeout_ms));
 *     web_service(w, fds + k, n);
 *
 * Every browser is a session (cookie chair_session) mapped to one panel connection without a
 * socket (panel_attach), with the role user; auth.login raises it as on the socket. */
#ifndef WEB_H
#define WEB_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "../config.h"
#include "../panel/panel.h"

#define WEB_BODY_MAX_BYTES (64u * 1024u)      /* POST /api */
#define WEB_STREAM_BUF_MAX_BYTES (256u * 1024u) /* what an event stream may have unsent */
#define WEB_KEEPALIVE_S 15.0            /* a comment on every stream this often */
#define WEB_DEFERRED_MAX_S 60.0         /* a deferred reply not come by then: 504 */
#define WEB_NEW_SESSIONS_PER_S 16       /* more in one second: 503, Retry-After */

struct web;

/* Listen as cfg says and serve the panel p (kept by reference, must outlive the server).
 * cfg->listen "off": *out is NULL and 0 is returned. Returns 0, or -errno with err saying
 * what (the address, the root folder). */
int web_open(struct web **out, const struct web_api_config *cfg, struct panel *p, char *err,
	     size_t err_len);
/* Close every stream, request and session (each panel_detach), then stop (w may be NULL). */
void web_close(struct web *w);

/* The port it listens on (the real one when 0 was asked); the host as configured. */
int web_port(const struct web *w);
const char *web_host(const struct web *w);
/* "http://HOST:PORT/" into buf. */
void web_url(const struct web *w, char *buf, size_t len);

/* How many pollfds web_pollfds may fill (1; 0 for NULL). */
int web_pollfd_max(const struct web *w);
int web_pollfds(struct web *w, struct pollfd *fds, int max);
/* timeout_ms, or less when libmicrohttpd has work due sooner. */
int web_poll_timeout_ms(struct web *w, int timeout_ms);
/* Serve what poll reported and the timed work (keep-alives, idle sessions, slow clients).
 * Call after every poll, a timeout included. Never blocks. */
void web_service(struct web *w, const struct pollfd *fds, int n);

struct web_stats {
	int sessions;
	int streams;
	int connections;
	unsigned long long refused;        /* 4xx/5xx answers */
	unsigned long long streams_dropped; /* slow readers */
	unsigned long long slow_closed;    /* requests cut at timeout_s */
	unsigned long long sessions_detached;
};
void web_get_stats(const struct web *w, struct web_stats *st);

#endif
