/* libFuzzer target: the panel API's requests, as a socket or a browser sends them, through
 * the real decoder, role check, param schemas and handlers of the method table, on a fresh
 * chair for every input (the simulated chair in lockstep, a store in memory).
 *
 * The input: its first byte picks the connection's role (odd, as "u": user; even, as "t":
 * technician), the rest is request lines, each handed whole to a connection without a
 * socket (panel_submit, as the web server does), with a turn of the daemon's loop after
 * each (ticks, deferred replies, the session's timers). Every reply and notification the
 * panel sends must be one JSON object with its newline; anything else, a crash, a leak or
 * a sanitizer report is a finding. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_app.h"

#define FUZZ_PANEL_LINES_MAX 24 /* requests of one input: enough for a visit's first steps */
#define FUZZ_PANEL_END_TURNS 10 /* turns after the last request, for what it started */

static void sink(void *arg, const char *json, size_t len)
{
	size_t *count = arg;
	json_error_t e;
	json_t *msg = len && json[len - 1] == '\n' ? json_loadb(json, len, 0, &e) : NULL;
	if (!json_is_object(msg)) {
		fprintf(stderr, "the panel sent something not a JSON object a line: %.*s\n",
			(int)len, json);
		abort();
	}
	json_decref(msg);
	(*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static struct fuzz_app app;
	fuzz_app_open(&app);
	enum panel_role role = data[0] & 1 ? PANEL_ROLE_USER : PANEL_ROLE_TECHNICIAN;
	size_t sent = 0;
	uint64_t conn_id;
	if (panel_attach(app.panel, role, sink, &sent, &conn_id))
		abort();
	const char *text = (const char *)data + 1, *end = (const char *)data + size;
	for (int n = 0; text < end && n < FUZZ_PANEL_LINES_MAX; n++) {
		const char *nl = memchr(text, '\n', (size_t)(end - text));
		size_t len = (size_t)((nl ? nl : end) - text);
		panel_submit(app.panel, conn_id, text, len);
		fuzz_app_turn(&app);
		text += len + (nl != NULL);
	}
	for (int i = 0; i < FUZZ_PANEL_END_TURNS; i++)
		fuzz_app_turn(&app);
	panel_detach(app.panel, conn_id);
	fuzz_app_close(&app);
	return 0;
}
