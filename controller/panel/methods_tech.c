/* The methods after a visit and around it: history and reports (a profile's own, behind its
 * PIN when it has one), installed programs, and the technician's jog and faults (io.read
 * and config.get: methods_io.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../interp/plot.h"
#include "../program_load.h"
#include "../session/history.h"
#include "../session/report_doc.h"
#include "methods.h"

static int storage_failed(struct panel_error *err, int rc)
{
	const char *why = rc == -ENOSPC ? "the chair's storage is full"
			  : rc == -EROFS ? "the chair's storage is read-only"
					 : "the chair's storage failed";
	panel_error_set(err, PANEL_E_INTERNAL, NULL, "%s: nothing was kept", why);
	return PANEL_E_INTERNAL;
}

/* ---- history and reports ---- */

/* The history document of the profile named by params.user, behind its PIN. */
static int history_of(struct methods_ctx *m, struct panel_call *call, json_t *params,
		      json_t **doc, struct panel_error *err)
{
	struct store_user u;
	int rc = methods_user(m, params, "user", &u, err);
	if (rc || (rc = methods_check_pin(m, call, &u, params, err)))
		return rc;
	if ((rc = session_history_doc(m->session, u.id, doc, err)))
		return rc;
	char why[200];
	if (history_add_trend(*doc, why, sizeof(why)) != 0)
		json_object_set_new(*doc, "trend", json_array());
	return 0;
}

int methods_history_list(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err)
{
	return history_of(app, call, params, result, err);
}

int methods_history_get(void *app, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err)
{
	struct methods_ctx *m = app;
	int64_t sid = (int64_t)json_integer_value(json_object_get(params, "session_id"));
	struct store_session ss;
	int rc = store_session_get(m->st, sid, &ss);
	if (rc == -ENOENT) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", "session_id"),
				"no such session");
		return PANEL_E_NOT_FOUND;
	}
	if (rc)
		return storage_failed(err, rc);
	struct store_user u;
	if ((rc = store_user_get(m->st, ss.user_id, &u)))
		return storage_failed(err, rc);
	if ((rc = methods_check_pin(m, call, &u, params, err)))
		return rc;
	if ((rc = session_history_one(m->session, sid, result, err)))
		return rc;
	json_object_set_new(*result, "user", json_string(u.name));
	return 0;
}

int methods_report_export(void *app, struct panel_call *call, json_t *params,
			  json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	json_t *doc = NULL;
	int rc = history_of(m, call, params, &doc, err);
	if (rc)
		return rc;
	const char *format = json_string_value(json_object_get(params, "format"));
	int fmt = report_format_lookup(format);
	if (fmt < 0) { /* "json": the document itself */
		*result = json_pack("{s:s, s:o}", "format", format, "document", doc);
		return 0;
	}
	char *out = NULL, why[200];
	size_t len = 0;
	rc = report_doc_render(doc, (enum report_format)fmt, &out, &len, why, sizeof(why));
	json_decref(doc);
	if (rc) {
		panel_error_set(err, PANEL_E_INTERNAL, NULL, "the report could not be made: %s", why);
		return PANEL_E_INTERNAL;
	}
	*result = json_pack("{s:s, s:s%}", "format", format, "document", out, len);
	free(out);
	return 0;
}

/* ---- programs ---- */

static int take_program(void *ctx, const struct store_program *p)
{
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:f}", "name", p->name, "checksum",
					     p->checksum, "installed_s", p->installed_s));
	return 0;
}

int methods_programs_list(void *app, struct panel_call *call, json_t *params,
			  json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	json_t *list = json_array();
	int rc = store_program_list(m->st, take_program, list);
	if (rc) {
		json_decref(list);
		return storage_failed(err, rc);
	}
	*result = json_pack("{s:o}", "programs", list);
	return 0;
}

static int program_of(struct methods_ctx *m, json_t *params, struct store_program *p,
		      struct panel_error *err)
{
	int rc = store_program_get(m->st, json_string_value(json_object_get(params, "name")), p);
	if (rc == -ENOENT || rc == -EINVAL) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", "name"),
				"no such program");
		return PANEL_E_NOT_FOUND;
	}
	return rc ? storage_failed(err, rc) : 0;
}

int methods_programs_get(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err)
{
	struct store_program p;
	int rc = program_of(app, params, &p, err);
	if (rc)
		return rc;
	*result = json_pack("{s:s, s:s, s:s, s:f}", "name", p.name, "text", p.text, "checksum",
			    p.checksum, "installed_s", p.installed_s);
	return 0;
}

/* The checker's lines of a program text for the default body, as an array; *plan the
 * resolved plan when it passes (may be NULL). */
static int check_text(struct methods_ctx *m, const char *text, const char *name,
		      json_t **lines, struct plan **plan)
{
	struct interp_limits lim;
	struct body_map body;
	program_limits(m->cfg, &lim);
	body_default(&body, &lim);
	char *diag = NULL;
	size_t diag_len = 0;
	FILE *f = open_memstream(&diag, &diag_len);
	struct plan *p = NULL;
	int rc = program_load_text(text, strlen(text), name, m->cfg, &body,
				   m->cfg->session.default_cap_n, &p, f);
	if (f)
		fclose(f);
	*lines = json_array();
	for (char *s = diag, *nl; s && *s; s = nl + 1) {
		nl = strchr(s, '\n');
		if (!nl) {
			json_array_append_new(*lines, json_string(s));
			break;
		}
		json_array_append_new(*lines, json_stringn(s, (size_t)(nl - s)));
	}
	free(diag);
	if (plan)
		*plan = p;
	else
		plan_free(p);
	return rc;
}

int methods_programs_plot(void *app, struct panel_call *call, json_t *params,
			  json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	struct store_program p;
	int rc = program_of(m, params, &p, err);
	if (rc)
		return rc;
	char name[STORE_NAME_MAX + 1];
	snprintf(name, sizeof(name), "%s", p.name);
	char *text = strdup(p.text);
	json_t *lines;
	struct plan *plan = NULL;
	rc = text ? check_text(m, text, name, &lines, &plan) : -ENOMEM;
	free(text);
	if (rc) {
		panel_error_set(err, PANEL_E_REFUSED, json_pack("{s:o}", "diagnostics", lines),
				"the program checker refused it");
		return PANEL_E_REFUSED;
	}
	json_decref(lines);
	char *svg = NULL;
	size_t svg_len = 0;
	FILE *f = open_memstream(&svg, &svg_len);
	rc = f ? interp_plot_svg(plan, f) : -ENOMEM;
	if (f)
		fclose(f);
	plan_free(plan);
	if (rc < 0) {
		free(svg);
		panel_error_set(err, PANEL_E_INTERNAL, NULL, "the plot could not be drawn");
		return PANEL_E_INTERNAL;
	}
	*result = json_pack("{s:s, s:s%}", "name", name, "svg", svg, svg_len);
	free(svg);
	return 0;
}

int methods_programs_install(void *app, struct panel_call *call, json_t *params,
			     json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	const char *name = json_string_value(json_object_get(params, "name"));
	const char *text = json_string_value(json_object_get(params, "text"));
	if (!name[0]) {
		panel_error_set(err, PANEL_E_PARAMS,
				json_pack("{s:s, s:s}", "field", "name", "expected", "a name"),
				"bad params");
		return PANEL_E_PARAMS;
	}
	json_t *lines;
	if (check_text(m, text, name, &lines, NULL) != 0) {
		panel_error_set(err, PANEL_E_REFUSED, json_pack("{s:o}", "diagnostics", lines),
				"the program checker refused it");
		return PANEL_E_REFUSED;
	}
	int rc = store_program_put(m->st, name, text, m->session->wall_s());
	if (rc) {
		json_decref(lines);
		return storage_failed(err, rc);
	}
	char sum[STORE_CHECKSUM_HEX + 1];
	store_checksum_hex(text, sum);
	*result = json_pack("{s:s, s:s, s:o}", "name", name, "checksum", sum, "diagnostics", lines);
	return 0;
}

int methods_programs_remove(void *app, struct panel_call *call, json_t *params,
			    json_t **result, struct panel_error *err)
{
	struct methods_ctx *m = app;
	const char *name = json_string_value(json_object_get(params, "name"));
	int rc = store_program_remove(m->st, name);
	if (rc == -ENOENT || rc == -EINVAL) {
		panel_error_set(err, PANEL_E_NOT_FOUND, json_pack("{s:s}", "field", "name"),
				"no such program");
		return PANEL_E_NOT_FOUND;
	}
	if (rc)
		return storage_failed(err, rc);
	*result = json_pack("{s:s, s:b}", "name", name, "removed", true);
	return 0;
}

/* ---- the technician's ---- */

int methods_jog(void *app, struct panel_call *call, json_t *params, json_t **result,
		struct panel_error *err)
{
	struct methods_ctx *m = app;
	const struct telem *t = &m->r->last;
	const char *axis = json_string_value(json_object_get(params, "axis"));
	double target = json_number_value(json_object_get(params, "target"));
	if (session_busy(m->session) || t->state != ST_IDLE || !t->homed)
		return session_refuse_state(m->session, err,
					    t->homed ? "jog only while the chair is idle"
						     : "jog only once the chair is homed");
	const struct axis_config *ax = axis[0] == 'y' ? &m->cfg->y
				       : axis[0] == 'z' ? &m->cfg->z
							: &m->cfg->w;
	if (!(target >= ax->min_mm && target <= ax->max_mm)) {
		char expected[64];
		snprintf(expected, sizeof(expected), "%g..%g mm", ax->min_mm, ax->max_mm);
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:s}", "field", "target", "expected", expected),
				"outside the chair's limits");
		return PANEL_E_REFUSED;
	}
	struct ctl_cmd c = {.kind = CMD_MANUAL};
	targets_rest(&c.manual, t->y_mm);
	if (axis[0] == 'y')
		c.manual.y_mm = target;
	else if (axis[0] == 'z') {
		c.manual.z_mode = Z_DEPTH;
		c.manual.z_depth_mm = target;
	} else
		c.manual.width_mm = target;
	uint32_t seq = runner_send(m->r, &c);
	if (!seq)
		return session_refuse_state(m->session, err, "the command queue is full");
	*result = json_pack("{s:s, s:f, s:I}", "axis", axis, "target", target, "seq",
			    (json_int_t)seq);
	return 0;
}

struct fault_listing {
	json_t *list;
	bool images; /* a technician's listing: each fault with its process image */
};

static int take_fault(void *ctx, const struct store_fault *f)
{
	struct fault_listing *fl = ctx;
	json_t *o = json_pack("{s:I, s:f, s:s, s:s, s:s}", "id", (json_int_t)f->id, "when",
			      f->t_s, "code", f->code, "where", f->where_text, "text", f->text);
	json_t *image = fl->images && f->image[0] ? json_loads(f->image, 0, NULL) : NULL;
	if (o && image)
		json_object_set_new(o, "image", image);
	else
		json_decref(image);
	json_array_append_new(fl->list, o);
	return 0;
}

int methods_faults_list(void *app, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err)
{
	struct methods_ctx *m = app;
	json_t *mx = json_object_get(params, "max");
	json_t *list = json_array();
	struct fault_listing fl = {list, call->role == PANEL_ROLE_TECHNICIAN};
	int rc = store_fault_list(m->st, mx ? (int)json_integer_value(mx) : 100, take_fault, &fl);
	if (rc) {
		json_decref(list);
		return storage_failed(err, rc);
	}
	const struct telem *t = &m->r->last;
	*result = json_pack("{s:o, s:s?}", "faults", list, "latched",
			    t->fault && t->fault < FAULT_COUNT ? fault_table[t->fault].name : NULL);
	return 0;
}

int methods_faults_ack(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err)
{
	struct methods_ctx *m = app;
	const struct telem *t = &m->r->last;
	if (t->state != ST_FAULT && t->state != ST_ESTOP)
		return session_refuse_state(m->session, err, "no fault is latched");
	int slot = -1;
	for (int i = 0; i < METHODS_PENDING_MAX && slot < 0; i++)
		if (!m->acks[i].handle)
			slot = i;
	if (slot < 0)
		return session_refuse_state(m->session, err, "too many acknowledges waiting");
	struct ctl_cmd c = {.kind = CMD_ACK};
	uint32_t seq = runner_send(m->r, &c);
	if (!seq)
		return session_refuse_state(m->session, err, "the command queue is full");
	m->acks[slot] = (struct methods_pending){.handle = panel_call_defer(call), .seq = seq};
	return PANEL_DEFERRED;
}

void methods_poll(struct methods_ctx *m)
{
	const struct telem *t = &m->r->last;
	for (int i = 0; i < METHODS_PENDING_MAX; i++) {
		struct methods_pending *p = &m->acks[i];
		if (!p->handle || t->ack_seq < p->seq)
			continue;
		if (t->ack_result == CMD_OK) {
			panel_reply(m->panel, p->handle, json_pack("{s:b}", "cleared", true));
		} else {
			struct panel_error err = {0};
			const char *cause = t->ack_cause && t->ack_cause < FAULT_COUNT
						    ? fault_table[t->ack_cause].name
						    : "refused";
			panel_error_set(&err, PANEL_E_REFUSED,
					json_pack("{s:s, s:s}", "rule", "acknowledge", "cause", cause),
					"the cause of the fault is still present");
			panel_reply_error(m->panel, p->handle, &err);
		}
		p->handle = 0;
	}
	methods_poll_owner(m);
}
