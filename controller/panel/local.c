/* Connections without a socket: a front end that carries the protocol itself (the web
 * server, one per browser session) hands the panel whole requests and takes every reply and
 * notification through its sink. Everything after the framing is the socket's own path:
 * the same role check, schemas, handlers, deferred replies and subscriptions. */
#include "server_internal.h"

#include <errno.h>
#include <string.h>

struct client *panel_conn_find(struct panel *p, uint64_t conn_id)
{
	for (int i = 0; i < p->max_clients; i++)
		if (p->clients[i].used && p->clients[i].conn_id == conn_id)
			return &p->clients[i];
	return NULL;
}

int panel_attach(struct panel *p, enum panel_role role, panel_sink_fn sink, void *sink_arg,
		 uint64_t *conn_id)
{
	if (!sink || role == PANEL_ROLE_ANY)
		return -EINVAL;
	if (p->client_count >= p->max_clients) {
		p->st.refused_full++;
		return -EMFILE;
	}
	struct client *c = NULL;
	for (int i = 0; i < p->max_clients && !c; i++)
		if (!p->clients[i].used)
			c = &p->clients[i];
	*c = (struct client){.used = true, .fd = -1, .conn_id = ++p->next_conn_id,
			     .role = role, .sink = sink, .sink_arg = sink_arg};
	p->client_count++;
	p->st.accepted++;
	*conn_id = c->conn_id;
	return 0;
}

int panel_submit(struct panel *p, uint64_t conn_id, const char *json, size_t len)
{
	return panel_submit_ex(p, conn_id, json, len, 0);
}

int panel_submit_ex(struct panel *p, uint64_t conn_id, const char *json, size_t len,
		    unsigned flags)
{
	struct client *c = panel_conn_find(p, conn_id);
	if (!c || !c->sink)
		return -ENOENT;
	p->st.bytes_in += len;
	if (len > PANEL_LINE_MAX) { /* the socket's answer to a line too long */
		struct panel_error err = {0};
		p->st.too_long++;
		p->st.errors++;
		panel_error_set(&err, PANEL_E_INVALID,
				json_pack("{s:s,s:i}", "expected", "a request of at most max_bytes bytes",
					  "max_bytes", PANEL_LINE_MAX),
				"request too long");
		panel_conn_send(p, c, panel_msg_error(NULL, &err));
		return -E2BIG;
	}
	c->polling = (flags & PANEL_SUBMIT_POLL) != 0;
	uint64_t id = c->conn_id;
	int slot = (int)(c - p->clients);
	panel_conn_serve_text(p, c, json, len);
	if ((c = panel_conn_at(p, slot, id)))
		c->polling = false;
	return 0;
}

void panel_conn_drop_role(struct panel *p, uint64_t conn_id)
{
	struct client *c = panel_conn_find(p, conn_id);
	if (c && c->raised) {
		c->raised = false;
		c->role = c->base_role;
	}
}

enum panel_role panel_conn_role(struct panel *p, uint64_t conn_id)
{
	struct client *c = panel_conn_find(p, conn_id);
	return c ? panel_conn_role_now(c, panel_now_ms(p)) : PANEL_ROLE_ANY;
}

unsigned panel_conn_topics(const struct panel *p, uint64_t conn_id)
{
	const struct client *c = panel_conn_find((struct panel *)p, conn_id);
	return c ? c->topics : 0;
}

void panel_detach(struct panel *p, uint64_t conn_id)
{
	struct client *c = panel_conn_find(p, conn_id);
	if (c && c->sink)
		panel_conn_close(p, c);
}
