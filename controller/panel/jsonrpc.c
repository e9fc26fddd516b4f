/* JSON-RPC 2.0 lines: strict decoding of a request, building of replies, notifications and
 * requests, and serialisation into a buffer with room for a queue header in front. */
#include "jsonrpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void panel_error_set(struct panel_error *err, int code, json_t *data, const char *fmt, ...)
{
	json_decref(err->data);
	err->code = code;
	err->data = data;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void panel_error_clear(struct panel_error *err)
{
	json_decref(err->data);
	memset(err, 0, sizeof(*err));
}

/* A string of at most max bytes of s, cut at a character boundary so it stays UTF-8: the
 * client's own words (an unknown key) may be echoed, but never at any length. */
json_t *panel_json_clipped(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	json_t *j = json_stringn(s, n);
	return j ? j : json_string("?");
}

/* Why jansson refused a line, in words that name no part of the machine. */
static const char *parse_reason(const json_error_t *je)
{
	switch (json_error_code(je)) {
	case json_error_invalid_utf8: return "invalid UTF-8";
	case json_error_duplicate_key: return "duplicate key";
	case json_error_null_character:
	case json_error_null_byte_in_key: return "NUL character";
	case json_error_numeric_overflow: return "number out of range";
	case json_error_premature_end_of_input: return "truncated";
	case json_error_end_of_input_expected: return "data after the object";
	case json_error_stack_overflow: return "nested too deep";
	case json_error_out_of_memory: return "out of memory";
	default: return "syntax";
	}
}

/* A -32600 error naming the member that is wrong and what it should be (field may be NULL
 * when the whole line is at fault). */
static int invalid(struct panel_error *err, const char *field, const char *expected)
{
	json_t *data = json_object();
	if (field)
		json_object_set_new(data, "field", panel_json_clipped(field, 64));
	json_object_set_new(data, "expected", json_string(expected));
	panel_error_set(err, PANEL_E_INVALID, data, "not a request");
	return PANEL_E_INVALID;
}

/* The first byte that is not JSON white space, or 0 when there is none. */
static char first_token(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return s[i];
	return 0;
}

int panel_request_decode(const char *line, size_t len, struct panel_request *req,
			 json_t **reply_id, struct panel_error *err)
{
	*reply_id = NULL;
	memset(req, 0, sizeof(*req));
	json_error_t je;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		/* A scalar is JSON all the same: it is "not a request", not "not JSON". The
		 * second decode only classifies; nothing of it is used. */
		char c = first_token(line, len);
		if (c && c != '{' && c != '[') {
			json_t *any = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
						 NULL);
			if (any) {
				json_decref(any);
				return invalid(err, NULL, "object");
			}
		}
		const char *why = c ? parse_reason(&je) : "empty line";
		panel_error_set(err, PANEL_E_PARSE,
				json_pack("{s:s,s:I}", "reason", why, "position",
					  (json_int_t)je.position),
				"not JSON: %s", why);
		return PANEL_E_PARSE;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return invalid(err, NULL, "object (one request a line, no batches)");
	}
	json_t *id = json_object_get(root, "id");
	if (id && !json_is_string(id) && !json_is_integer(id)) {
		json_decref(root);
		return invalid(err, "id", "string or integer");
	}
	int rc = 0;
	json_t *v = json_object_get(root, "jsonrpc");
	json_t *method = json_object_get(root, "method");
	json_t *params = json_object_get(root, "params");
	if (!v || !json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0)
		rc = invalid(err, "jsonrpc", "\"2.0\"");
	else if (!method || !json_is_string(method))
		rc = invalid(err, "method", "string");
	else if (params && !json_is_object(params))
		rc = invalid(err, "params", "object");
	else {
		const char *key;
		json_t *val;
		json_object_foreach(root, key, val) {
			if (strcmp(key, "jsonrpc") && strcmp(key, "id") && strcmp(key, "method") &&
			    strcmp(key, "params")) {
				rc = invalid(err, key, "only jsonrpc, id, method, params");
				break;
			}
		}
	}
	if (rc) {
		if (id)
			*reply_id = json_incref(id);
		json_decref(root);
		return rc;
	}
	if (!params) {
		params = json_object();
		json_object_set_new(root, "params", params);
	}
	req->root = root;
	req->id = id;
	req->method = json_string_value(method);
	req->params = params;
	return 0;
}

void panel_request_free(struct panel_request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

json_t *panel_msg_result(json_t *id, json_t *result)
{
	json_t *m = json_object();
	json_object_set_new(m, "jsonrpc", json_string("2.0"));
	json_object_set(m, "id", id ? id : json_null());
	json_object_set_new(m, "result", result ? result : json_object());
	return m;
}

json_t *panel_msg_error(json_t *id, struct panel_error *err)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_integer(err->code ? err->code : PANEL_E_INTERNAL));
	json_object_set_new(e, "message",
			    json_string(err->message[0] ? err->message : "internal error"));
	if (err->data) {
		json_object_set_new(e, "data", err->data);
		err->data = NULL;
	}
	panel_error_clear(err);
	json_t *m = json_object();
	json_object_set_new(m, "jsonrpc", json_string("2.0"));
	json_object_set(m, "id", id ? id : json_null());
	json_object_set_new(m, "error", e);
	return m;
}

json_t *panel_msg_notification(const char *method, json_t *params)
{
	json_t *m = json_object();
	json_object_set_new(m, "jsonrpc", json_string("2.0"));
	json_object_set_new(m, "method", json_string(method));
	json_object_set_new(m, "params", params ? params : json_object());
	return m;
}

json_t *panel_msg_request(json_t *id, const char *method, json_t *params)
{
	json_t *m = json_object();
	json_object_set_new(m, "jsonrpc", json_string("2.0"));
	json_object_set(m, "id", id ? id : json_null());
	json_object_set_new(m, "method", json_string(method));
	json_object_set_new(m, "params", params ? params : json_object());
	return m;
}

struct dump_buf {
	char *p;
	size_t len, cap;
	bool failed;
};

/* jansson's output, appended to a buffer that doubles as it fills. */
static int dump_append(const char *s, size_t n, void *arg)
{
	struct dump_buf *b = arg;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap * 2;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

char *panel_msg_dump(const json_t *msg, size_t head, size_t *line_len)
{
	struct dump_buf b = {.cap = head + 512, .len = head};
	b.p = malloc(b.cap);
	if (!b.p)
		return NULL;
	if (json_dump_callback(msg, dump_append, &b, PANEL_DUMP_FLAGS) != 0 || b.failed) {
		free(b.p);
		return NULL;
	}
	b.p[b.len++] = '\n'; /* dump_append always leaves a byte for it */
	*line_len = b.len - head;
	return b.p;
}
