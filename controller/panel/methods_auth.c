/* The technician's credential: auth.login / auth.logout raise and drop a connection's role
 * (on the web every browser starts as a user; on the socket a user's connection may log in
 * too), tech.set_pin keeps the PIN as an Argon2id string in the store's settings.
 *
 * Wrong PINs are slowed for the whole chair, not per connection (a browser gets a new
 * connection for the asking): after the n-th wrong PIN in a row no try is taken for
 * 2^(n-1) seconds, up to AUTH_WAIT_MAX_S. A try during the wait is refused unchecked and
 * does not lengthen it. Every wrong PIN is logged (stderr and the store's fault log). */
#include "methods.h"

#include <errno.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../log.h"

#define AUTH_SETTING "technician_pin"
/* Short enough that anyone who can reach the API cannot lock the technician out for long by
 * a wrong PIN now and then; chairctl tech set-pin (root) clears the wait at once. */
#define AUTH_WAIT_MAX_S 60.0
#define AUTH_PIN_MIN_BYTES 4
/* Argon2id at 3 passes over 16 MiB: about 15 ms on a desktop core, a fraction of a second
 * on a chair's, paid once per try in the main thread (the rt thread does not wait for it);
 * the backoff keeps tries rare. */
#define AUTH_OPSLIMIT 3ULL
#define AUTH_MEMLIMIT (16u * 1024u * 1024u)

/* The waits run on the monotonic clock: a step of the wall clock (NTP on a board without a
 * clock of its own) neither stretches nor skips them. */
static double auth_now_s(const struct methods_ctx *m)
{
	if (m->clock_s)
		return m->clock_s();
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int auth_wait(struct panel_error *err, double wait_s, const char *message)
{
	panel_error_set(err, PANEL_E_AUTH,
			json_pack("{s:s, s:i}", "field", "pin", "retry_after_s", (int)ceil(wait_s)),
			"%s", message);
	return PANEL_E_AUTH;
}

/* A wrong PIN: the next try waits longer, and it is logged where a technician looks. */
static void auth_failed(struct methods_ctx *m, const struct panel_call *call, double now_s,
			double wall_s)
{
	m->auth_failures++;
	double wait_s = pow(2.0, m->auth_failures - 1);
	m->auth_until_s = now_s + (wait_s < AUTH_WAIT_MAX_S ? wait_s : AUTH_WAIT_MAX_S);
	char text[128];
	snprintf(text, sizeof(text), "wrong technician PIN (%d in a row)", m->auth_failures);
	log_msg(LOG_WARNING, "%s on connection %llu", text, (unsigned long long)call->conn_id);
	store_fault_add(m->st, wall_s, "login_refused", "panel", text, NULL);
}

int methods_auth_login(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err)
{
	struct methods_ctx *m = app;
	double now_s = auth_now_s(m);
	if (now_s < m->auth_until_s)
		return auth_wait(err, m->auth_until_s - now_s,
				 "too many wrong PINs: wait before the next try");
	char hash[STORE_SETTING_MAX_BYTES];
	int rc = store_setting_get(m->st, AUTH_SETTING, hash, sizeof(hash));
	if (rc == -ENOENT) {
		panel_error_set(err, PANEL_E_STATE, json_pack("{s:s}", "state", "no_pin"),
				"no technician PIN is set on this chair");
		return PANEL_E_STATE;
	}
	if (rc) {
		panel_error_set(err, PANEL_E_INTERNAL, NULL, "the chair's storage failed");
		return PANEL_E_INTERNAL;
	}
	const char *pin = json_string_value(json_object_get(params, "pin"));
	if (crypto_pwhash_str_verify(hash, pin, strlen(pin)) != 0) {
		auth_failed(m, call, now_s, m->session->wall_s());
		return auth_wait(err, m->auth_until_s - now_s, "wrong technician PIN");
	}
	m->auth_failures = 0;
	panel_call_raise_role(call, PANEL_ROLE_TECHNICIAN, METHODS_AUTH_IDLE_S);
	*result = json_pack("{s:s, s:f}", "role", panel_role_name(PANEL_ROLE_TECHNICIAN),
			    "idle_timeout_s", METHODS_AUTH_IDLE_S);
	return 0;
}

int methods_auth_logout(void *app, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err)
{
	panel_call_drop_role(call);
	*result = json_pack("{s:s}", "role", panel_role_name(call->role));
	return 0;
}

int methods_tech_set_pin(void *app, struct panel_call *call, json_t *params, json_t **result,
			 struct panel_error *err)
{
	struct methods_ctx *m = app;
	const char *pin = json_string_value(json_object_get(params, "pin"));
	if (strlen(pin) < AUTH_PIN_MIN_BYTES) {
		panel_error_set(err, PANEL_E_PARAMS,
				json_pack("{s:s, s:s}", "field", "pin", "expected",
					  "a PIN or pass phrase of 4 to 64 bytes"),
				"bad params");
		return PANEL_E_PARAMS;
	}
	char hash[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str(hash, pin, strlen(pin), AUTH_OPSLIMIT, AUTH_MEMLIMIT) != 0) {
		panel_error_set(err, PANEL_E_INTERNAL, NULL, "out of memory for the PIN");
		return PANEL_E_INTERNAL;
	}
	if (store_setting_set(m->st, AUTH_SETTING, hash) != 0) {
		panel_error_set(err, PANEL_E_INTERNAL, NULL,
				"the chair's storage failed: the PIN was not changed");
		return PANEL_E_INTERNAL;
	}
	m->auth_failures = 0;
	m->auth_until_s = 0;
	*result = json_pack("{s:b}", "set", 1);
	return 0;
}
