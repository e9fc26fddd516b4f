/* The profiles: users.list, create, get, update and delete, and the PIN a profile may carry
 * (libsodium's crypto_pwhash_str; three wrong tries slow the profile down, and a few wrong
 * tries over all profiles slow the chair's PIN checks down). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods.h"

#define PIN_MIN_BYTES 4

static int bad_param(struct panel_error *err, const char *field, const char *expected)
{
	panel_error_set(err, PANEL_E_PARAMS,
			json_pack("{s:s, s:s}", "field", field, "expected", expected), "bad params");
	return PANEL_E_PARAMS;
}

/* Whether slot may be given to another profile: it remembers nothing worth keeping (no
 * failure within METHODS_PIN_WAIT_S, no wait still running). A slot with failures is never
 * taken, or trying a second profile would wipe the first one's count. */
static bool pin_slot_free(const struct methods_ctx *m, int i, double now_s)
{
	return m->pin_tries[i].user_id == 0 ||
	       (now_s >= m->pin_tries[i].until_s &&
		(m->pin_tries[i].failures == 0 ||
		 now_s >= m->pin_tries[i].last_fail_s + METHODS_PIN_WAIT_S));
}

/* The wrong-PIN record of a profile (a free one for a new profile), or -1 with *wait_s
 * when every slot holds another profile's failures. */
static int pin_slot(struct methods_ctx *m, int64_t user_id, double now_s, double *wait_s)
{
	int free_slot = -1;
	double soonest_s = 0;
	for (int i = 0; i < METHODS_PIN_SLOTS; i++) {
		if (m->pin_tries[i].user_id == user_id)
			return i;
		if (free_slot < 0 && pin_slot_free(m, i, now_s))
			free_slot = i;
		double t = fmax(m->pin_tries[i].until_s,
				m->pin_tries[i].last_fail_s + METHODS_PIN_WAIT_S);
		if (i == 0 || t < soonest_s)
			soonest_s = t;
	}
	if (free_slot < 0) {
		*wait_s = fmax(1, ceil(soonest_s - now_s));
		return -1;
	}
	m->pin_tries[free_slot].user_id = user_id;
	m->pin_tries[free_slot].failures = 0;
	m->pin_tries[free_slot].until_s = 0;
	m->pin_tries[free_slot].last_fail_s = 0;
	return free_slot;
}

/* Seconds until another wrong PIN may be tried on any profile (0: now): at most
 * METHODS_PIN_GLOBAL_TRIES wrong PINs per METHODS_PIN_WAIT_S over all profiles together,
 * so many profiles tried in turn give no more guesses than a few. */
static double pin_global_wait_s(const struct methods_ctx *m, double now_s)
{
	double oldest_s = m->pin_wrong_s[m->pin_wrong_next]; /* the ring's oldest wrong PIN */
	if (oldest_s == 0 || now_s >= oldest_s + METHODS_PIN_WAIT_S)
		return 0;
	return fmax(1, ceil(oldest_s + METHODS_PIN_WAIT_S - now_s));
}

static int pin_wait(struct panel_error *err, double wait_s, const char *why)
{
	panel_error_set(err, PANEL_E_AUTH,
			json_pack("{s:s, s:f}", "field", "pin", "retry_after_s", wait_s), "%s", why);
	return PANEL_E_AUTH;
}

static int hash_pin(const char *pin, char hash[STORE_PIN_HASH_MAX], const char *field,
		    struct panel_error *err);

/* A PIN hashed with other limits (the interactive ones of earlier versions, about 50 ms a
 * check) hashed again with ours once it verified, so the profile's next checks are cheap.
 * Best effort: a store that cannot take it keeps the old hash, which still verifies. */
static void rehash_pin(struct methods_ctx *m, const struct store_user *u, const char *pin)
{
	if (crypto_pwhash_str_needs_rehash(u->pin_hash, crypto_pwhash_OPSLIMIT_MIN,
					   crypto_pwhash_MEMLIMIT_MIN) == 0)
		return;
	struct store_user nu = *u;
	struct panel_error err = {0};
	if (hash_pin(pin, nu.pin_hash, "pin", &err) == 0 && store_user_update(m->st, &nu) == 0 &&
	    m->session->have_user && m->session->user.id == nu.id)
		snprintf(m->session->user.pin_hash, sizeof(m->session->user.pin_hash), "%s",
			 nu.pin_hash);
	panel_error_clear(&err);
}

int methods_check_pin(struct methods_ctx *m, const struct panel_call *call,
		      const struct store_user *u, const json_t *params, struct panel_error *err)
{
	if (!u->pin_hash[0] || call->role == PANEL_ROLE_TECHNICIAN)
		return 0;
	double now_s = m->session->wall_s();
	double wait_s = 0;
	int slot = pin_slot(m, u->id, now_s, &wait_s);
	if (slot < 0)
		return pin_wait(err, wait_s, "too many wrong PINs on this chair: wait");
	if (now_s < m->pin_tries[slot].until_s)
		return pin_wait(err, ceil(m->pin_tries[slot].until_s - now_s),
				"too many wrong PINs for this profile: wait");
	const char *pin = json_string_value(json_object_get(params, "pin"));
	if (pin && (wait_s = pin_global_wait_s(m, now_s)) > 0)
		return pin_wait(err, wait_s, "too many wrong PINs on this chair: wait");
	if (pin && crypto_pwhash_str_verify(u->pin_hash, pin, strlen(pin)) == 0) {
		m->pin_tries[slot].failures = 0;
		rehash_pin(m, u, pin);
		return 0;
	}
	/* A missing PIN is no try; a wrong one counts, and the third waits METHODS_PIN_WAIT_S. */
	if (pin) {
		m->pin_tries[slot].last_fail_s = now_s;
		m->pin_wrong_s[m->pin_wrong_next] = now_s;
		m->pin_wrong_next = (m->pin_wrong_next + 1) % METHODS_PIN_GLOBAL_TRIES;
		if (++m->pin_tries[slot].failures >= METHODS_PIN_TRIES) {
			m->pin_tries[slot].failures = 0;
			m->pin_tries[slot].until_s = now_s + METHODS_PIN_WAIT_S;
		}
	}
	panel_error_set(err, PANEL_E_AUTH, json_pack("{s:s, s:i}", "field", "pin",
						     "retry_after_s", 0),
			pin ? "wrong PIN for this profile" : "this profile needs its PIN");
	return PANEL_E_AUTH;
}

/* ---- users ---- */

static json_t *user_json(const struct store_user *u)
{
	return json_pack("{s:s, s:i, s:b, s:i, s:i, s:f}", "name", u->name, "height_cm",
			 u->height_cm, "has_pin", u->pin_hash[0] != 0, "shoulder_y_mm",
			 u->shoulder_y_mm, "shoulder_adjust_mm", u->shoulder_adjust_mm,
			 "created_s", u->created_s);
}

static int take_user(void *ctx, const struct store_user *u)
{
	json_array_append_new(ctx, user_json(u));
	return 0;
}

static int storage_failed(struct methods_ctx *m, struct panel_error *err, int rc)
{
	(void)m;
	const char *why = rc == -ENOSPC ? "the chair's storage is full"
			  : rc == -EROFS ? "the chair's storage is read-only"
					 : "the chair's storage failed";
	panel_error_set(err, PANEL_E_INTERNAL, NULL, "%s: nothing was kept", why);
	return PANEL_E_INTERNAL;
}

int methods_users_list(void *app, struct panel_call *call, json_t *params, json_t **result,
			struct panel_error *err)
{
	struct methods_ctx *m = app;
	json_t *list = json_array();
	int rc = store_user_list(m->st, take_user, list);
	if (rc) {
		json_decref(list);
		return storage_failed(m, err, rc);
	}
	*result = json_pack("{s:o}", "users", list);
	return 0;
}

/* A PIN's hash for the store, or -32602 for one too short. */
static int hash_pin(const char *pin, char hash[STORE_PIN_HASH_MAX], const char *field,
		    struct panel_error *err)
{
	if (strlen(pin) < PIN_MIN_BYTES)
		return bad_param(err, field, "a PIN of 4 characters or more");
	/* Argon2id at its least work (1 pass, 8 KiB): about 0.02 ms a hash or a check on the
	 * development host, against about 50 ms at the interactive limits, which held the main
	 * loop (telemetry, session.stop, "too much") that long for every PIN tried. A PIN of a
	 * few digits falls to any offline search whatever the limits; what guards it is the
	 * online rate limit of methods_check_pin. A hash stored with other limits still
	 * verifies: the string carries its own parameters. */
	if (crypto_pwhash_str(hash, pin, strlen(pin), crypto_pwhash_OPSLIMIT_MIN,
			      crypto_pwhash_MEMLIMIT_MIN) != 0) {
		panel_error_set(err, PANEL_E_INTERNAL, NULL, "out of memory for the PIN");
		return PANEL_E_INTERNAL;
	}
	return 0;
}

int methods_users_create(void *app, struct panel_call *call, json_t *params, json_t **result,
			  struct panel_error *err)
{
	struct methods_ctx *m = app;
	struct store_user u = {0};
	const char *name = json_string_value(json_object_get(params, "name"));
	if (!name[0])
		return bad_param(err, "name", "a name of 1 to 64 bytes");
	snprintf(u.name, sizeof(u.name), "%s", name);
	json_t *h = json_object_get(params, "height_cm");
	u.height_cm = h ? (int)json_integer_value(h) : 0;
	const char *pin = json_string_value(json_object_get(params, "pin"));
	int rc;
	if (pin && (rc = hash_pin(pin, u.pin_hash, "pin", err)))
		return rc;
	u.created_s = m->session->wall_s();
	rc = store_user_create(m->st, &u);
	if (rc == -EEXIST) {
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:s}", "field", "name", "reason", "name taken"),
				"a profile of that name exists");
		return PANEL_E_REFUSED;
	}
	if (rc == -EINVAL)
		return bad_param(err, "name", "a name of 1 to 64 bytes");
	if (rc)
		return storage_failed(m, err, rc);
	*result = user_json(&u);
	return 0;
}

static json_t *prefs_json(const struct zone_pref prefs[AREA_COUNT])
{
	json_t *o = json_object();
	for (int a = 0; a < AREA_COUNT; a++)
		if (prefs[a].pressure_delta || prefs[a].ceiling_n > 0)
			json_object_set_new(o, area_name((enum area)a),
					    json_pack("{s:i, s:f}", "pressure_delta",
						      prefs[a].pressure_delta, "ceiling_n",
						      prefs[a].ceiling_n));
	return o;
}

int methods_users_get(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err)
{
	struct methods_ctx *m = app;
	struct store_user u;
	/* Conditions, limits and preferences are health data: a PIN guards them as history. */
	int rc = methods_user(m, params, "name", &u, err);
	if (rc || (rc = methods_check_pin(m, call, &u, params, err)))
		return rc;
	struct zone_pref prefs[AREA_COUNT];
	if ((rc = store_zone_prefs_get(m->st, u.id, prefs)))
		return storage_failed(m, err, rc);
	json_t *o = user_json(&u);
	json_object_set_new(o, "preferences", prefs_json(prefs));
	struct store_consultation c;
	rc = store_consultation_latest(m->st, u.id, &c);
	json_t *lim = rc == 0 ? json_loads(c.limits_json, 0, NULL) : NULL;
	json_object_set_new(o, "limits", lim ? lim : json_null());
	*result = o;
	return 0;
}

int methods_users_update(void *app, struct panel_call *call, json_t *params, json_t **result,
			  struct panel_error *err)
{
	struct methods_ctx *m = app;
	struct store_user u;
	int rc = methods_user(m, params, "name", &u, err);
	if (rc || (rc = methods_check_pin(m, call, &u, params, err)))
		return rc;
	struct store_user nu = u;
	const char *rename = json_string_value(json_object_get(params, "new_name"));
	if (rename) {
		if (!rename[0])
			return bad_param(err, "new_name", "a name of 1 to 64 bytes");
		snprintf(nu.name, sizeof(nu.name), "%s", rename);
	}
	json_t *h = json_object_get(params, "height_cm");
	if (h)
		nu.height_cm = (int)json_integer_value(h);
	const char *pin = json_string_value(json_object_get(params, "new_pin"));
	if (pin && !pin[0])
		nu.pin_hash[0] = '\0'; /* "" removes the PIN */
	else if (pin && (rc = hash_pin(pin, nu.pin_hash, "new_pin", err)))
		return rc;
	rc = store_user_update(m->st, &nu);
	if (rc == -EEXIST) {
		panel_error_set(err, PANEL_E_REFUSED,
				json_pack("{s:s, s:s}", "field", "new_name", "reason", "name taken"),
				"a profile of that name exists");
		return PANEL_E_REFUSED;
	}
	if (rc)
		return storage_failed(m, err, rc);
	if (m->session->have_user && m->session->user.id == nu.id)
		m->session->user = nu;
	*result = user_json(&nu);
	return 0;
}

int methods_users_delete(void *app, struct panel_call *call, json_t *params, json_t **result,
			  struct panel_error *err)
{
	struct methods_ctx *m = app;
	struct store_user u;
	int rc = methods_user(m, params, "name", &u, err);
	if (rc || (rc = methods_check_pin(m, call, &u, params, err)))
		return rc;
	if (m->session->have_user && m->session->user.id == u.id && session_busy(m->session))
		return session_refuse_state(m->session, err, "this person's session is under way");
	if ((rc = store_user_delete(m->st, u.id)))
		return storage_failed(m, err, rc);
	if (m->session->have_user && m->session->user.id == u.id) {
		m->session->have_user = false;
		m->session->have_limits = false;
		m->session->have_body = false;
		m->session->sid = 0;
		session_set_state(m->session, SESSION_IDLE);
	}
	*result = json_pack("{s:s, s:b}", "name", u.name, "deleted", true);
	return 0;
}

