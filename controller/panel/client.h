/* A small blocking client of the panel socket, for chairctl, the tests and the benches:
 * one call at a time, each with a timeout; notifications that arrive while a call waits
 * are handed to a callback, or kept (the newest PANEL_CLIENT_QUEUE of them) for
 * panel_client_next_notification. One thread uses a client.
 *
 * Errors are -errno: -ENOENT (no socket at the path) and -ECONNREFUSED (a socket nobody
 * serves) from connect, so that a tool can say "cannot reach chaird"; -ETIMEDOUT;
 * -ECONNRESET when the server closed the connection; -EPROTO for a line from the server
 * that is not a JSON object; -EREMOTEIO when the server answered with an error object
 * (then err holds its code, message and data). */
#ifndef PANEL_CLIENT_H
#define PANEL_CLIENT_H

#include <stddef.h>

#include <jansson.h>

#include "jsonrpc.h"

#define PANEL_CLIENT_QUEUE 256
/* How long connect tries while the server's backlog is full. */
#define PANEL_CLIENT_CONNECT_MS 5000
/* The longest line the client takes from the server (a report can be long). */
#define PANEL_CLIENT_LINE_MAX (16u * 1024u * 1024u)

struct panel_client;

/* A notification: method and params are borrowed for the call. */
typedef void (*panel_client_notify_fn)(void *arg, const char *method, json_t *params);
/* Called whenever the client would wait, instead of sleeping in poll: lets a test serve
 * the server in the same thread (lockstep). */
typedef void (*panel_client_pump_fn)(void *arg);

/* Connect to the panel at path. Returns 0 with *out, or -errno with err naming the path. */
int panel_client_connect(struct panel_client **out, const char *path, char *err,
			 size_t err_len);
void panel_client_close(struct panel_client *cl); /* cl may be NULL */
int panel_client_fd(const struct panel_client *cl);

void panel_client_on_notification(struct panel_client *cl, panel_client_notify_fn fn,
				  void *arg);
void panel_client_set_pump(struct panel_client *cl, panel_client_pump_fn fn, void *arg);

/* Call method with params (stolen; NULL sends {}) and wait at most timeout_ms (< 0: no
 * limit) for its reply. Returns 0 with *result (a new reference), or -EREMOTEIO with err
 * filled (clear it with panel_error_clear), or another -errno. Replies to earlier calls
 * that timed out are skipped. */
int panel_client_call(struct panel_client *cl, const char *method, json_t *params,
		      json_t **result, struct panel_error *err, int timeout_ms);

/* The next notification, kept or arriving within timeout_ms: 0 with method copied (cut to
 * method_len) and *params a new reference, or -ETIMEDOUT or another -errno. */
int panel_client_next_notification(struct panel_client *cl, char *method, size_t method_len,
				   json_t **params, int timeout_ms);

/* Raw access for tests and tools: send bytes as they are; read the next message, whatever
 * it is, as a new reference (kept notifications are not looked at). */
int panel_client_send_raw(struct panel_client *cl, const void *buf, size_t len,
			  int timeout_ms);
int panel_client_read_message(struct panel_client *cl, json_t **msg, int timeout_ms);

#endif
