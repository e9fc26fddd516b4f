/* The panel protocol's wire format, shared by the server (server.c) and the client
 * (client.c): JSON-RPC 2.0, one JSON object a line, UTF-8, newline-terminated.
 *
 * Decoding is strict: jansson with JSON_REJECT_DUPLICATES, an object at the top, no NUL in
 * strings. A line that cannot be taken as one meaning is "not JSON" (-32700): bad syntax,
 * invalid UTF-8, trailing data, and a key given twice in one object (two values for one
 * key make the text ambiguous). A line that is JSON but not a request is -32600: not an
 * object (batches included), jsonrpc not "2.0", method not a string, an id that is not a
 * string or an integer (null is refused too: its reply could not be told from the reply
 * to a line whose id was never read), params not an object, and a line over
 * PANEL_LINE_MAX bytes. Every error's data says which member was wrong and what was
 * expected (`field`, `expected`), or the parse error's `reason` and `position`. */
#ifndef PANEL_JSONRPC_H
#define PANEL_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* The longest line, in bytes before its newline (a CR before the newline counts). */
#define PANEL_LINE_MAX 65536

/* The error codes of PANEL.md: JSON-RPC's own, and the panel's. */
enum panel_error_code {
	PANEL_E_PARSE = -32700,     /* not JSON: syntax, UTF-8, duplicate key */
	PANEL_E_INVALID = -32600,   /* not a request, or a line too long */
	PANEL_E_METHOD = -32601,    /* unknown method */
	PANEL_E_PARAMS = -32602,    /* bad params: data.field, data.expected */
	PANEL_E_INTERNAL = -32603,  /* a handler failed without saying why */
	PANEL_E_STATE = -32001,     /* not in this state: data.state */
	PANEL_E_ROLE = -32002,      /* not for this role */
	PANEL_E_NOT_FOUND = -32003, /* no such user, session, program or area */
	PANEL_E_REFUSED = -32004,   /* refused by a rule: data.diagnostics */
	PANEL_E_AUTH = -32005,      /* authentication failed or slowed down */
};

/* An error to reply with: code, a short fixed message for people, and data (owned: the
 * code that sends or clears the error drops the reference). */
struct panel_error {
	int code;
	char message[128];
	json_t *data;
};

/* Fill err: code, message (printf-style) and data, whose reference err takes (may be NULL).
 * Any data err held before is dropped. Messages are fixed texts or the client's own words,
 * never a path of the machine or a stack. */
void panel_error_set(struct panel_error *err, int code, json_t *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Drop err's data and zero it. */
void panel_error_clear(struct panel_error *err);
/* A JSON string of at most max bytes of s, cut at a character boundary: for echoing a
 * client's own words (an unknown key) in an error without echoing them at any length. */
json_t *panel_json_clipped(const char *s, size_t max);

/* A request line, decoded and checked for shape. root holds the references; id (NULL for
 * a notification), method and params point into it. params is an empty object when the
 * request had none. */
struct panel_request {
	json_t *root;
	json_t *id;
	const char *method;
	json_t *params;
};

/* Decode one line (without its newline) as a request. Returns 0 with req filled (free it
 * with panel_request_free), or the error code (-32700 or -32600) with err filled; then
 * *reply_id is the id to answer with: the request's own when it was readable and of a
 * valid type, else NULL (reply with id null). A line of nothing but blanks is -32700. */
int panel_request_decode(const char *line, size_t len, struct panel_request *req,
			 json_t **reply_id, struct panel_error *err);
void panel_request_free(struct panel_request *req);

/* Messages to send, as new objects: a reply with its result (stolen; NULL gives {}), an
 * error reply (err's data is taken, err cleared), a notification (params stolen, NULL
 * gives {}), a request (params stolen). id is borrowed; NULL means null. */
json_t *panel_msg_result(json_t *id, json_t *result);
json_t *panel_msg_error(json_t *id, struct panel_error *err);
json_t *panel_msg_notification(const char *method, json_t *params);
json_t *panel_msg_request(json_t *id, const char *method, json_t *params);

/* The flags every message is written with: compact, reals to 10 significant digits
 * (24.1, not 24.100000000000001), object keys in the order they were set. */
#define PANEL_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(10))

/* Serialise msg as one line, newline included, into a buffer of malloc()ed memory that
 * starts with room for `head` bytes the caller uses as it likes (a queue header). Returns
 * the buffer (free() it) with *line_len the length of the line after the head, or NULL
 * when out of memory. */
char *panel_msg_dump(const json_t *msg, size_t head, size_t *line_len);

#endif
