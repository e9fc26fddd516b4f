/* The pain trend from the history document: see history.h. */
#include "history.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "vocab.h"

/* Integer scores make the division exact at the threshold (10 -> 7 is 300 / 10 = 30.0);
 * the margin only keeps a score given as a decimal from missing it by one ulp. */
#define HISTORY_PCT_EPSILON 1e-9

bool history_change_pct(double first_before, double last_after, double *change_pct)
{
	if (!(first_before > 0) || !isfinite(last_after))
		return false;
	*change_pct = (first_before - last_after) * 100.0 / first_before;
	return true;
}

bool history_is_meaningful(double change_pct)
{
	return change_pct >= HISTORY_MEANINGFUL_PCT - HISTORY_PCT_EPSILON;
}

/* A score of a pain entry: false when it is there but not a number in 0..10; *score is -1
 * when it is absent or null. */
static bool pain_score(const json_t *entry, const char *key, double *score)
{
	const json_t *v = json_object_get(entry, key);
	*score = -1;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_number(v))
		return false;
	double s = json_number_value(v);
	if (!(s >= 0 && s <= 10))
		return false;
	*score = s;
	return true;
}

/* A score as JSON: an integer when it is a whole number (they are, as the panel takes them),
 * null when not given. */
static json_t *score_json(double s)
{
	if (s < 0)
		return json_null();
	if (s == floor(s))
		return json_integer((json_int_t)s);
	return json_real(s);
}

/* Adds one session's score point to the area's trend object, creating it when new. */
static int trend_add_point(json_t *by_area[AREA_COUNT], int area, const json_t *session,
			   double before, double after)
{
	if (!by_area[area]) {
		by_area[area] = json_pack("{s:s, s:[], s:n, s:n}", "area", area_name(area), "points",
					  "first_before", "last_after");
		if (!by_area[area])
			return -ENOMEM;
	}
	json_t *id = json_object_get(session, "session_id");
	json_t *start = json_object_get(session, "start_s");
	json_t *point = json_pack("{s:O?, s:O?, s:o, s:o}", "session_id", id, "start_s", start,
				  "before", score_json(before), "after", score_json(after));
	if (!point || json_array_append_new(json_object_get(by_area[area], "points"), point) != 0)
		return -ENOMEM;
	if (before >= 0 && json_is_null(json_object_get(by_area[area], "first_before")))
		json_object_set_new(by_area[area], "first_before", score_json(before));
	if (after >= 0)
		json_object_set_new(by_area[area], "last_after", score_json(after));
	return 0;
}

/* The change and its meaning from first_before and last_after, added to a trend object. */
static int trend_close(json_t *t)
{
	json_t *fb = json_object_get(t, "first_before"), *la = json_object_get(t, "last_after");
	double pct;
	bool has = json_is_number(fb) && json_is_number(la) &&
		   history_change_pct(json_number_value(fb), json_number_value(la), &pct);
	int rc = 0;
	if (has) {
		const char *dir = pct > HISTORY_PCT_EPSILON	   ? "better"
				  : pct < -HISTORY_PCT_EPSILON ? "worse"
								 : "unchanged";
		rc |= json_object_set_new(t, "change_pct", json_real(round(pct * 10.0) / 10.0));
		rc |= json_object_set_new(t, "direction", json_string(dir));
	} else {
		rc |= json_object_set_new(t, "change_pct", json_null());
		rc |= json_object_set_new(t, "direction", json_null());
	}
	rc |= json_object_set_new(t, "meaningful", json_boolean(has && history_is_meaningful(pct)));
	return rc ? -ENOMEM : 0;
}

/* Reads one session's pain entries into the trend; -EINVAL with a message naming the entry
 * when one is malformed. */
static int trend_session(json_t *by_area[AREA_COUNT], const json_t *s, size_t i, char *err,
			 size_t err_len)
{
	const json_t *pain = json_object_get(s, "pain");
	if (!pain || json_is_null(pain))
		return 0;
	if (!json_is_array(pain)) {
		snprintf(err, err_len, "sessions[%zu].pain: expected an array", i);
		return -EINVAL;
	}
	unsigned seen = 0;
	size_t j;
	const json_t *e;
	json_array_foreach(pain, j, e) {
		int area = area_lookup(json_string_value(json_object_get(e, "area")));
		if (!json_is_object(e) || area < 0) {
			snprintf(err, err_len, "sessions[%zu].pain[%zu].area: expected an area name", i, j);
			return -EINVAL;
		}
		if (seen & (1u << area)) {
			snprintf(err, err_len, "sessions[%zu].pain[%zu]: %s scored twice", i, j,
				 area_name(area));
			return -EINVAL;
		}
		seen |= 1u << area;
		double before, after;
		if (!pain_score(e, "before", &before) || !pain_score(e, "after", &after)) {
			snprintf(err, err_len,
				 "sessions[%zu].pain[%zu]: expected scores 0..10 or null", i, j);
			return -EINVAL;
		}
		int rc = trend_add_point(by_area, area, s, before, after);
		if (rc)
			return rc;
	}
	return 0;
}

/* history_trend, with the error code in *rcp. */
static json_t *trend_build(const json_t *history, char *err, size_t err_len, int *rcp)
{
	const json_t *sessions = json_object_get(history, "sessions");
	if (!json_is_object(history) || (sessions && !json_is_array(sessions))) {
		snprintf(err, err_len, "history: expected an object with a sessions array");
		*rcp = -EINVAL;
		return NULL;
	}
	json_t *by_area[AREA_COUNT] = {0};
	json_t *trend = json_array();
	int rc = trend ? 0 : -ENOMEM;
	size_t i;
	const json_t *s;
	json_array_foreach(sessions, i, s) {
		if (rc)
			break;
		if (!json_is_object(s)) {
			snprintf(err, err_len, "sessions[%zu]: expected an object", i);
			rc = -EINVAL;
			break;
		}
		rc = trend_session(by_area, s, i, err, err_len);
	}
	for (int a = 0; a < AREA_COUNT; a++) {
		if (!by_area[a])
			continue;
		if (!rc)
			rc = trend_close(by_area[a]);
		if (!rc && json_array_append(trend, by_area[a]) != 0)
			rc = -ENOMEM;
		json_decref(by_area[a]);
	}
	*rcp = rc;
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, err_len, "history: out of memory");
		json_decref(trend);
		return NULL;
	}
	return trend;
}

json_t *history_trend(const json_t *history, char *err, size_t err_len)
{
	int rc;
	return trend_build(history, err, err_len, &rc);
}

int history_add_trend(json_t *history, char *err, size_t err_len)
{
	int rc;
	json_t *trend = trend_build(history, err, err_len, &rc);
	if (!trend)
		return rc;
	if (json_object_set_new(history, "trend", trend) != 0) {
		snprintf(err, err_len, "history: out of memory");
		return -ENOMEM;
	}
	return 0;
}
