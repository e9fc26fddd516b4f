/* PANEL.md's methods: the table (name, least role, param schema, handler) the panel server
 * serves, and what the handlers work on. The handlers only translate between JSON and the
 * session, the store and the runner; the rules of a visit are the session's. */
#ifndef PANEL_METHODS_H
#define PANEL_METHODS_H

#include <jansson.h>

#include "../config.h"
#include "../runner.h"
#include "../session/session.h"
#include "../store/store.h"
#include "panel.h"

#define METHODS_VERSION "1"
#define METHODS_PENDING_MAX 16 /* deferred replies waiting for the chair */
#define METHODS_PIN_TRIES 3      /* wrong PINs for a profile before it is slowed down */
#define METHODS_PIN_WAIT_S 30.0  /* then this long before the next try */
#define METHODS_PIN_SLOTS 16
#define METHODS_PIN_GLOBAL_TRIES 5 /* wrong PINs over all profiles per METHODS_PIN_WAIT_S */
#define METHODS_OWNER_GRACE_S 30.0 /* a session whose panel went: paused, stopped after this */
#define METHODS_AUTH_IDLE_S 600.0  /* a technician login lasts while used, 10 idle minutes */

/* A reply that waits for the chair: a fault acknowledge until its window closes. */
struct methods_pending {
	uint64_t handle;
	uint32_t seq;
};

struct methods_ctx {
	struct session *session;
	struct store *st;
	struct runner *r;
	const struct chair_config *cfg;
	struct panel *panel;       /* set once the panel is open */
	const char *backend;       /* "sim", "modbus", ... */
	struct methods_pending acks[METHODS_PENDING_MAX];
	uint64_t scan_handle;      /* the deferred scan.start */
	struct {
		int64_t user_id;
		int failures;
		double until_s;    /* no try before this (wall seconds) */
		double last_fail_s; /* the last wrong PIN (wall seconds), 0 none */
	} pin_tries[METHODS_PIN_SLOTS];
	double pin_wrong_s[METHODS_PIN_GLOBAL_TRIES]; /* the last wrong PINs, a ring */
	int pin_wrong_next;
	/* The connection that started (or resumed) the running session, and when it went. */
	uint64_t owner_conn_id;
	bool owner_gone;
	bool owner_paused;         /* the pause for its going was sent */
	double owner_gone_s;       /* wall seconds */
	/* Wrong technician PINs in a row, and no try before auth_until_s (monotonic seconds). */
	int auth_failures;
	double auth_until_s;
	double (*clock_s)(void); /* the monotonic clock of those waits; NULL: CLOCK_MONOTONIC */
};

/* The whole table, ending with PANEL_METHODS_END. */
extern const struct panel_method methods_table[];

/* The session's notifications to the panel's subscribers (a session_notify_fn). */
void methods_notify(void *ctx, const char *topic, const char *method, json_t *params);
/* Answer the deferred replies whose moment has come (each turn of the main loop). */
void methods_poll(struct methods_ctx *m);
/* The panel's close hook (panel_config.on_close): the connection that started the running
 * session went, so the session is paused at the next methods_poll and stopped
 * METHODS_OWNER_GRACE_S later unless another connection resumes it. */
void methods_on_close(void *app, uint64_t conn_id);
/* That pause and stop, from methods_poll. */
void methods_poll_owner(struct methods_ctx *m);

/* Handlers of methods_users.c and methods_tech.c, in the table of methods.c. */
int methods_users_list(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err);
int methods_users_create(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err);
int methods_users_get(void *app, struct panel_call *call, json_t *params, json_t **result,
		      struct panel_error *err);
int methods_users_update(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err);
int methods_users_delete(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err);
int methods_history_list(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err);
int methods_history_get(void *app, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err);
int methods_report_export(void *app, struct panel_call *call, json_t *params,
			  json_t **result, struct panel_error *err);
int methods_programs_list(void *app, struct panel_call *call, json_t *params,
			  json_t **result, struct panel_error *err);
int methods_programs_get(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err);
int methods_programs_plot(void *app, struct panel_call *call, json_t *params,
			  json_t **result, struct panel_error *err);
int methods_programs_install(void *app, struct panel_call *call, json_t *params,
			     json_t **result, struct panel_error *err);
int methods_programs_remove(void *app, struct panel_call *call, json_t *params,
			    json_t **result, struct panel_error *err);
int methods_io_read(void *app, struct panel_call *call, json_t *params, json_t **result,
		    struct panel_error *err);
int methods_jog(void *app, struct panel_call *call, json_t *params, json_t **result,
		struct panel_error *err);
int methods_faults_list(void *app, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err);
int methods_faults_ack(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err);
int methods_auth_login(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err);
int methods_auth_logout(void *app, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err);
int methods_tech_set_pin(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err);
int methods_config_get(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err);

/* A PIN-protected profile's data for a user-role connection: the pin param must verify
 * (technicians need none). 0, or -32005 / -32003 with err filled. */
int methods_check_pin(struct methods_ctx *m, const struct panel_call *call,
		      const struct store_user *u, const json_t *params, struct panel_error *err);
/* The user named by params[field], or -32003. */
int methods_user(struct methods_ctx *m, const json_t *params, const char *field,
		 struct store_user *u, struct panel_error *err);

#endif
