/* The store: users round-trip and a duplicate name changes nothing; deleting a user takes
 * everything of theirs; consultations, learned preferences and trigger points; a session
 * from begin to pain after and back through the history; a version-1 database (built here
 * with the SQL an old chair ran) is migrated with its data kept; a newer database is refused;
 * a child killed with SIGKILL mid-session loses no finished session and its running one
 * reopens "interrupted"; read-only, full, corrupt and missing databases are clear errors that
 * change nothing; program checksums; the fault log's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../controller/store/store.h"

struct fixture {
	char dir[256];
	char path[300];
	char err[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/test_store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/chair.db", f->dir);
	*state = f;
	return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	chmod(f->dir, 0700); /* a test may have left it read-only */
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct store *open_ok(struct fixture *f)
{
	struct store *st = NULL;
	int r = store_open(&st, f->path, f->err, sizeof(f->err));
	if (r)
		fprintf(stderr, "store_open: %s\n", f->err);
	assert_int_equal(r, 0);
	assert_non_null(st);
	return st;
}

static struct store_user user_named(const char *name, int height_cm)
{
	struct store_user u;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.height_cm = height_cm;
	u.created_s = 1000.0;
	return u;
}

/* The user listing as "name,name,". */
static int collect_names(void *ctx, const struct store_user *u)
{
	strcat(ctx, u->name);
	strcat(ctx, ",");
	return 0;
}

static void no_pain(int pain[AREA_COUNT])
{
	for (int a = 0; a < AREA_COUNT; a++)
		pain[a] = -1;
}

static struct store_event event_at(double t_s, enum store_event_kind kind, const char *action,
				   int zone)
{
	struct store_event e;
	memset(&e, 0, sizeof(e));
	e.t_s = t_s;
	e.kind = kind;
	snprintf(e.action, sizeof(e.action), "%s", action);
	e.zone = zone;
	snprintf(e.detail, sizeof(e.detail), "at %.1f s", t_s);
	return e;
}

static int64_t begin_session(struct store *st, int64_t uid, double start_s)
{
	struct store_session_start b = {.user_id = uid,
					.program_name = "relax",
					.plan_text = "program relax\n",
					.start_s = start_s};
	no_pain(b.pain_before);
	b.pain_before[AREA_LOWER_BACK] = 7;
	b.pain_before[AREA_NECK] = 4;
	int64_t sid = 0;
	assert_int_equal(store_session_begin(st, &b, &sid), 0);
	assert_true(sid > 0);
	return sid;
}

static int count_events(void *ctx, const struct store_event *ev)
{
	(void)ev;
	(*(int *)ctx)++;
	return 0;
}

static int events_of(struct store *st, int64_t sid)
{
	int n = 0;
	assert_int_equal(store_session_events(st, sid, count_events, &n), 0);
	return n;
}

static int user_version(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int v = -1;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void test_user_create_get_list_update_delete_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(store_recovered(st), 0);

	struct store_user ann = user_named("Ann", 168), bob = user_named("Bob", 0);
	snprintf(ann.pin_hash, sizeof(ann.pin_hash), "$argon2id$v=19$fake");
	ann.shoulder_y_mm = 612;
	ann.shoulder_adjust_mm = -8;
	assert_int_equal(store_user_create(st, &bob), 0);
	assert_int_equal(store_user_create(st, &ann), 0);
	assert_true(ann.id > 0 && bob.id > 0 && ann.id != bob.id);

	struct store_user got;
	assert_int_equal(store_user_get(st, ann.id, &got), 0);
	assert_memory_equal(&got, &ann, sizeof(got));
	assert_int_equal(store_user_get_by_name(st, "Bob", &got), 0);
	assert_int_equal(got.id, bob.id);
	assert_int_equal(got.height_cm, 0);
	assert_string_equal(got.pin_hash, "");

	char names[64] = "";
	assert_int_equal(store_user_list(st, collect_names, names), 0);
	assert_string_equal(names, "Ann,Bob,");

	ann.height_cm = 170;
	ann.shoulder_adjust_mm = 5;
	snprintf(ann.name, sizeof(ann.name), "Anna");
	assert_int_equal(store_user_update(st, &ann), 0);
	assert_int_equal(store_user_get(st, ann.id, &got), 0);
	assert_string_equal(got.name, "Anna");
	assert_int_equal(got.height_cm, 170);
	assert_int_equal(got.shoulder_adjust_mm, 5);
	assert_int_equal(store_user_get_by_name(st, "Ann", &got), -ENOENT);

	assert_int_equal(store_user_delete(st, bob.id), 0);
	assert_int_equal(store_user_get(st, bob.id, &got), -ENOENT);
	assert_non_null(strstr(store_error(st), "no user"));
	assert_int_equal(store_user_delete(st, bob.id), -ENOENT);
	names[0] = '\0';
	assert_int_equal(store_user_list(st, collect_names, names), 0);
	assert_string_equal(names, "Anna,");
	store_close(st);

	/* It was all on disk. */
	st = open_ok(f);
	assert_int_equal(store_user_get_by_name(st, "Anna", &got), 0);
	assert_int_equal(got.shoulder_y_mm, 612);
	store_close(st);
}

static void test_duplicate_name_is_refused_and_nothing_changes(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user a = user_named("Cleo", 160), b = user_named("Dan", 180);
	assert_int_equal(store_user_create(st, &a), 0);
	assert_int_equal(store_user_create(st, &b), 0);

	struct store_user dup = user_named("Cleo", 190);
	assert_int_equal(store_user_create(st, &dup), -EEXIST);
	assert_non_null(strstr(store_error(st), "\"Cleo\" exists already"));
	assert_non_null(strstr(store_error(st), f->path));

	struct store_user ren = b;
	snprintf(ren.name, sizeof(ren.name), "Cleo");
	ren.height_cm = 150;
	assert_int_equal(store_user_update(st, &ren), -EEXIST);

	char names[64] = "";
	assert_int_equal(store_user_list(st, collect_names, names), 0);
	assert_string_equal(names, "Cleo,Dan,");
	struct store_user got;
	assert_int_equal(store_user_get(st, a.id, &got), 0);
	assert_int_equal(got.height_cm, 160);
	assert_int_equal(store_user_get(st, b.id, &got), 0);
	assert_string_equal(got.name, "Dan");
	assert_int_equal(got.height_cm, 180);
	store_close(st);
}

static void test_bad_names_and_unknown_ids_are_refused(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("", 170), got;
	assert_int_equal(store_user_create(st, &u), -EINVAL);
	memset(u.name, 'x', sizeof(u.name)); /* no terminator */
	assert_int_equal(store_user_create(st, &u), -EINVAL);
	u = user_named("Eve", 400);
	assert_int_equal(store_user_create(st, &u), -EINVAL);
	u = user_named("Eve", 170);
	u.id = 999;
	assert_int_equal(store_user_update(st, &u), -ENOENT);
	assert_int_equal(store_user_get(st, 999, &got), -ENOENT);
	assert_int_equal(store_consultation_save(st, 999, 1.0, "{}", "{}", NULL), -ENOENT);
	struct zone_pref zp = {.pressure_delta = -1};
	assert_int_equal(store_zone_pref_set(st, 999, AREA_NECK, &zp), -ENOENT);
	struct store_session_start b = {.user_id = 999, .program_name = "p", .plan_text = ""};
	no_pain(b.pain_before);
	int64_t sid = 0;
	assert_int_equal(store_session_begin(st, &b, &sid), -ENOENT);
	assert_non_null(strstr(store_error(st), "no user 999"));
	assert_int_equal(store_session_end(st, 12345, STORE_ENDED_COMPLETED, 2.0, NULL), -ENOENT);
	store_close(st);
}

static void test_delete_user_cascades_to_everything_of_theirs(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Finn", 175), other = user_named("Gia", 165);
	assert_int_equal(store_user_create(st, &u), 0);
	assert_int_equal(store_user_create(st, &other), 0);
	int64_t cid = 0;
	assert_int_equal(store_consultation_save(st, u.id, 10.0, "{\"a\":1}", "{\"cap_n\":40}", &cid),
			 0);
	struct zone_pref zp = {.pressure_delta = -2, .ceiling_n = 31.5};
	assert_int_equal(store_zone_pref_set(st, u.id, AREA_LOWER_BACK, &zp), 0);
	struct trigger_memory tm = {.point = "L4", .level_n = 28.0};
	assert_int_equal(store_trigger_set(st, u.id, &tm), 0);
	int64_t sid = begin_session(st, u.id, 20.0);
	struct store_event ev = event_at(21.0, STORE_EVENT_FEEDBACK, "softer", AREA_NECK);
	assert_int_equal(store_session_events_append(st, sid, &ev, 1), 0);
	int64_t keep = begin_session(st, other.id, 30.0);

	assert_int_equal(store_user_delete(st, u.id), 0);
	struct store_consultation c;
	struct store_session s;
	assert_int_equal(store_consultation_get(st, cid, &c), -ENOENT);
	assert_int_equal(store_session_get(st, sid, &s), -ENOENT);
	assert_int_equal(store_session_events(st, sid, count_events, &(int){0}), -ENOENT);
	assert_int_equal(store_trigger_get(st, u.id, "L4", &tm), -ENOENT);
	assert_int_equal(store_session_get(st, keep, &s), 0);
	store_close(st);

	/* No orphan rows left behind in any table. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	const char *tables[] = {"consultations", "zone_prefs", "trigger_memory", "session_events",
				"session_pain"};
	const int left[] = {0, 0, 0, 0, 2}; /* Gia's session has its two pain rows */
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[96];
		sqlite3_stmt *q;
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), left[i]);
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
}

static void test_consultation_latest_is_the_newest_and_survives_other_calls(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Hal", 180);
	assert_int_equal(store_user_create(st, &u), 0);
	struct store_consultation c;
	assert_int_equal(store_consultation_latest(st, u.id, &c), -ENOENT);
	int64_t c1, c2;
	assert_int_equal(store_consultation_save(st, u.id, 100.0, "{\"v\":1}", "{\"l\":1}", &c1), 0);
	assert_int_equal(store_consultation_save(st, u.id, 200.0, "{\"v\":2}", "{\"l\":2}", &c2), 0);
	assert_int_equal(store_consultation_latest(st, u.id, &c), 0);
	assert_int_equal(c.id, c2);
	assert_int_equal(c.user_id, u.id);
	assert_true(c.t_s == 200.0);
	assert_string_equal(c.answers_json, "{\"v\":2}");
	assert_string_equal(c.limits_json, "{\"l\":2}");
	assert_int_equal(store_consultation_get(st, c1, &c), 0);
	assert_string_equal(c.answers_json, "{\"v\":1}");
	store_close(st);
}

static void test_zone_prefs_default_to_zero_and_set_replaces_one_area(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Ida", 160);
	assert_int_equal(store_user_create(st, &u), 0);
	struct zone_pref p[AREA_COUNT];
	memset(p, 0x5a, sizeof(p));
	assert_int_equal(store_zone_prefs_get(st, u.id, p), 0);
	for (int a = 0; a < AREA_COUNT; a++) {
		assert_int_equal(p[a].pressure_delta, 0);
		assert_true(p[a].ceiling_n == 0.0);
	}
	struct zone_pref lb = {.pressure_delta = -1, .ceiling_n = 35.0};
	assert_int_equal(store_zone_pref_set(st, u.id, AREA_LOWER_BACK, &lb), 0);
	lb.pressure_delta = -3;
	lb.ceiling_n = 30.0;
	assert_int_equal(store_zone_pref_set(st, u.id, AREA_LOWER_BACK, &lb), 0);
	struct zone_pref ft = {.pressure_delta = 2};
	assert_int_equal(store_zone_pref_set(st, u.id, AREA_FEET, &ft), 0);
	assert_int_equal(store_zone_prefs_get(st, u.id, p), 0);
	assert_int_equal(p[AREA_LOWER_BACK].pressure_delta, -3);
	assert_true(p[AREA_LOWER_BACK].ceiling_n == 30.0);
	assert_int_equal(p[AREA_FEET].pressure_delta, 2);
	assert_int_equal(p[AREA_NECK].pressure_delta, 0);

	struct zone_pref bad = {.pressure_delta = 6};
	assert_int_equal(store_zone_pref_set(st, u.id, AREA_NECK, &bad), -EINVAL);
	bad.pressure_delta = 0;
	bad.ceiling_n = -1.0;
	assert_int_equal(store_zone_pref_set(st, u.id, AREA_NECK, &bad), -EINVAL);
	assert_int_equal(store_zone_pref_set(st, u.id, AREA_COUNT, &ft), -EINVAL);
	assert_int_equal(store_zone_prefs_get(st, 4242, p), -ENOENT);
	store_close(st);
}

static int collect_points(void *ctx, const struct trigger_memory *tm)
{
	char *out = ctx;
	sprintf(out + strlen(out), "%s=%.1f,", tm->point, tm->level_n);
	return 0;
}

static void test_trigger_memory_set_replaces_and_lists_by_point(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Jo", 170);
	assert_int_equal(store_user_create(st, &u), 0);
	struct trigger_memory tm;
	assert_int_equal(store_trigger_get(st, u.id, "L4", &tm), -ENOENT);
	struct trigger_memory a = {.point = "T7-10mm", .level_n = 22.0};
	struct trigger_memory b = {.point = "L4", .level_n = 30.0};
	assert_int_equal(store_trigger_set(st, u.id, &a), 0);
	assert_int_equal(store_trigger_set(st, u.id, &b), 0);
	b.level_n = 33.5;
	assert_int_equal(store_trigger_set(st, u.id, &b), 0);
	assert_int_equal(store_trigger_get(st, u.id, "L4", &tm), 0);
	assert_string_equal(tm.point, "L4");
	assert_true(tm.level_n == 33.5);
	char out[128] = "";
	assert_int_equal(store_trigger_list(st, u.id, collect_points, out), 0);
	assert_string_equal(out, "L4=33.5,T7-10mm=22.0,");
	struct trigger_memory neg = {.point = "L5", .level_n = -1.0};
	assert_int_equal(store_trigger_set(st, u.id, &neg), -EINVAL);
	store_close(st);
}

struct history {
	int n;
	int64_t ids[8];
	int lb_before[8], lb_after[8];
	enum store_ended ended[8];
};

static int collect_history(void *ctx, const struct store_session *s)
{
	struct history *h = ctx;
	h->ids[h->n] = s->id;
	h->lb_before[h->n] = s->pain_before[AREA_LOWER_BACK];
	h->lb_after[h->n] = s->pain_after[AREA_LOWER_BACK];
	h->ended[h->n] = s->ended;
	h->n++;
	return 0;
}

struct event_log {
	int n;
	struct store_event ev[8];
};

static int collect_events(void *ctx, const struct store_event *ev)
{
	struct event_log *l = ctx;
	if (l->n < 8)
		l->ev[l->n] = *ev;
	l->n++;
	return 0;
}

static void test_session_from_begin_to_pain_after_reads_back_whole(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Kai", 182);
	assert_int_equal(store_user_create(st, &u), 0);
	int64_t cid;
	assert_int_equal(store_consultation_save(st, u.id, 50.0, "{}", "{}", &cid), 0);
	struct store_session_start b = {.user_id = u.id,
					.consult_id = cid,
					.program_name = "plan-kai",
					.plan_text = "program plan-kai\nwarm-up 2 min\n",
					.start_s = 100.0};
	no_pain(b.pain_before);
	b.pain_before[AREA_LOWER_BACK] = 7;
	b.pain_before[AREA_SHOULDERS] = 3;
	int64_t sid;
	assert_int_equal(store_session_begin(st, &b, &sid), 0);

	struct store_session s;
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_int_equal(s.ended, STORE_ENDED_RUNNING);
	assert_true(s.end_s == 0.0);
	assert_string_equal(s.summary_json, "");

	/* Appended out of order: read back in time order. */
	struct store_event ev[3] = {
		event_at(130.0, STORE_EVENT_FEEDBACK, "too_much", AREA_LOWER_BACK),
		event_at(101.0, STORE_EVENT_PHASE, "warm-up", -1),
		event_at(160.0, STORE_EVENT_FAULT, "over_force", AREA_LOWER_BACK),
	};
	assert_int_equal(store_session_events_append(st, sid, ev, 3), 0);
	assert_int_equal(store_session_end(st, sid, STORE_ENDED_STOPPED, 170.0, "{\"peak_n\":41}"), 0);
	int after[AREA_COUNT];
	no_pain(after);
	after[AREA_LOWER_BACK] = 4;
	after[AREA_FEET] = 1; /* said after only */
	assert_int_equal(store_session_pain_after(st, sid, after), 0);

	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_int_equal(s.user_id, u.id);
	assert_int_equal(s.consult_id, cid);
	assert_string_equal(s.program_name, "plan-kai");
	assert_string_equal(s.plan_text, "program plan-kai\nwarm-up 2 min\n");
	assert_true(s.start_s == 100.0 && s.end_s == 170.0);
	assert_int_equal(s.ended, STORE_ENDED_STOPPED);
	assert_string_equal(s.summary_json, "{\"peak_n\":41}");
	assert_int_equal(s.pain_before[AREA_LOWER_BACK], 7);
	assert_int_equal(s.pain_after[AREA_LOWER_BACK], 4);
	assert_int_equal(s.pain_before[AREA_SHOULDERS], 3);
	assert_int_equal(s.pain_after[AREA_SHOULDERS], -1);
	assert_int_equal(s.pain_before[AREA_FEET], -1);
	assert_int_equal(s.pain_after[AREA_FEET], 1);
	assert_int_equal(s.pain_before[AREA_NECK], -1);

	struct event_log log = {0};
	assert_int_equal(store_session_events(st, sid, collect_events, &log), 0);
	assert_int_equal(log.n, 3);
	assert_string_equal(log.ev[0].action, "warm-up");
	assert_int_equal(log.ev[0].kind, STORE_EVENT_PHASE);
	assert_int_equal(log.ev[0].zone, -1);
	assert_string_equal(log.ev[1].action, "too_much");
	assert_int_equal(log.ev[1].zone, AREA_LOWER_BACK);
	assert_string_equal(log.ev[1].detail, "at 130.0 s");
	assert_int_equal(log.ev[2].kind, STORE_EVENT_FAULT);

	/* A second session, started earlier in time but recorded later, comes first. */
	int64_t early = begin_session(st, u.id, 10.0);
	assert_int_equal(store_session_end(st, early, STORE_ENDED_COMPLETED, 20.0, NULL), 0);
	struct history h = {0};
	assert_int_equal(store_session_history(st, u.id, collect_history, &h), 0);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.ids[0], early);
	assert_int_equal(h.ids[1], sid);
	assert_int_equal(h.ended[0], STORE_ENDED_COMPLETED);
	assert_int_equal(h.lb_before[1], 7);
	assert_int_equal(h.lb_after[1], 4);
	assert_int_equal(h.lb_after[0], -1);
	assert_int_equal(store_session_history(st, 777, collect_history, &h), -ENOENT);
	store_close(st);
}

static void test_event_batch_is_all_or_none_and_closed_sessions_take_no_more(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Lou", 170);
	assert_int_equal(store_user_create(st, &u), 0);
	int64_t sid = begin_session(st, u.id, 0.0);
	struct store_event ev[3] = {
		event_at(1.0, STORE_EVENT_FEEDBACK, "softer", AREA_NECK),
		event_at(2.0, STORE_EVENT_FEEDBACK, "stronger", AREA_COUNT), /* no such zone */
		event_at(3.0, STORE_EVENT_FEEDBACK, "stay", AREA_NECK),
	};
	assert_int_equal(store_session_events_append(st, sid, ev, 3), -EINVAL);
	assert_non_null(strstr(store_error(st), "event 1"));
	assert_int_equal(events_of(st, sid), 0);
	ev[1].zone = AREA_NECK;
	ev[2].action[0] = '\0';
	assert_int_equal(store_session_events_append(st, sid, ev, 3), -EINVAL);
	assert_int_equal(events_of(st, sid), 0);
	ev[2].kind = STORE_EVENT_COUNT;
	snprintf(ev[2].action, sizeof(ev[2].action), "stay");
	assert_int_equal(store_session_events_append(st, sid, ev, 3), -EINVAL);
	ev[2].kind = STORE_EVENT_FEEDBACK;
	assert_int_equal(store_session_events_append(st, sid, ev, 3), 0);
	assert_int_equal(events_of(st, sid), 3);
	assert_int_equal(store_session_events_append(st, 555, ev, 1), -ENOENT);

	assert_int_equal(store_session_end(st, sid, STORE_ENDED_RUNNING, 5.0, NULL), -EINVAL);
	assert_int_equal(store_session_end(st, sid, STORE_ENDED_COMPLETED, 5.0, "{}"), 0);
	assert_int_equal(store_session_end(st, sid, STORE_ENDED_FAULT, 6.0, NULL), -EALREADY);
	assert_int_equal(store_session_events_append(st, sid, ev, 1), -EALREADY);
	assert_int_equal(events_of(st, sid), 3);
	struct store_session s;
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_int_equal(s.ended, STORE_ENDED_COMPLETED);
	assert_true(s.end_s == 5.0);

	int pain[AREA_COUNT];
	no_pain(pain);
	pain[AREA_NECK] = 11;
	assert_int_equal(store_session_pain_after(st, sid, pain), -EINVAL);
	store_close(st);
}

/* The schema of version 1, as the first chairs ran it: no zone preferences, no trigger
 * memory, no shoulder adjustment, no program checksum. Kept here, not taken from the
 * store, so that the test upgrades what old chairs really have. */
static const char v1_sql[] =
	"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" height_cm INTEGER NOT NULL DEFAULT 0, pin_hash TEXT NOT NULL DEFAULT '',"
	" shoulder_y_mm INTEGER NOT NULL DEFAULT 0, created_s REAL NOT NULL);"
	"CREATE TABLE consultations (id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, t_s REAL NOT NULL,"
	" answers_json TEXT NOT NULL, limits_json TEXT NOT NULL);"
	"CREATE INDEX consultations_user ON consultations(user_id, t_s);"
	"CREATE TABLE sessions (id INTEGER PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	" consult_id INTEGER REFERENCES consultations(id) ON DELETE SET NULL,"
	" program_name TEXT NOT NULL, plan_text TEXT NOT NULL, start_s REAL NOT NULL, end_s REAL,"
	" ended TEXT NOT NULL DEFAULT 'running' CHECK (ended IN"
	"  ('running', 'completed', 'stopped', 'fault', 'interrupted')), summary_json TEXT);"
	"CREATE INDEX sessions_user ON sessions(user_id, start_s);"
	"CREATE INDEX sessions_consult ON sessions(consult_id);"
	"CREATE INDEX sessions_running ON sessions(ended) WHERE ended = 'running';"
	"CREATE TABLE session_pain (session_id INTEGER NOT NULL REFERENCES sessions(id)"
	" ON DELETE CASCADE, area INTEGER NOT NULL CHECK (area >= 0),"
	" \"before\" INTEGER CHECK (\"before\" BETWEEN 0 AND 10),"
	" \"after\" INTEGER CHECK (\"after\" BETWEEN 0 AND 10),"
	" PRIMARY KEY (session_id, area)) WITHOUT ROWID;"
	"CREATE TABLE session_events (session_id INTEGER NOT NULL REFERENCES sessions(id)"
	" ON DELETE CASCADE, t_s REAL NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('feedback', 'phase', 'fault')),"
	" action TEXT NOT NULL, zone INTEGER, detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX session_events_session ON session_events(session_id, t_s);"
	"CREATE TABLE programs (name TEXT PRIMARY KEY, text TEXT NOT NULL, installed_s REAL NOT NULL);"
	"CREATE TABLE faults (id INTEGER PRIMARY KEY, t_s REAL NOT NULL, code TEXT NOT NULL,"
	" where_text TEXT NOT NULL DEFAULT '', text TEXT NOT NULL);"
	"CREATE INDEX faults_time ON faults(t_s, id);"
	/* What an old chair had in it. */
	"INSERT INTO users VALUES (7, 'Mia', 158, '', 590, 1700000000.0);"
	"INSERT INTO consultations VALUES (3, 7, 1700000100.0, '{\"goals\":[\"relaxation\"]}', '{}');"
	"INSERT INTO sessions VALUES (11, 7, 3, 'relax', 'program relax\n', 1700000200.0,"
	" 1700001100.0, 'completed', '{\"minutes\":15}');"
	"INSERT INTO session_pain VALUES (11, 4, 6, 3);"
	"INSERT INTO session_events VALUES (11, 1700000500.0, 'feedback', 'softer', 4, '');"
	"INSERT INTO programs VALUES ('relax', 'program relax\n', 1690000000.0);"
	"INSERT INTO faults VALUES (1, 1700000900.0, 'over_force', 'axis z', 'force above cap');"
	"PRAGMA user_version = 1;";

static void test_migration_from_version_1_keeps_data_and_adds_the_new_tables(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(user_version(f->path), 1);

	struct store *st = open_ok(f);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	struct store_user u;
	assert_int_equal(store_user_get_by_name(st, "Mia", &u), 0);
	assert_int_equal(u.id, 7);
	assert_int_equal(u.height_cm, 158);
	assert_int_equal(u.shoulder_y_mm, 590);
	assert_int_equal(u.shoulder_adjust_mm, 0);
	struct store_session s;
	assert_int_equal(store_session_get(st, 11, &s), 0);
	assert_int_equal(s.ended, STORE_ENDED_COMPLETED);
	assert_int_equal(s.consult_id, 3);
	assert_int_equal(s.pain_before[AREA_LOWER_BACK], 6);
	assert_int_equal(s.pain_after[AREA_LOWER_BACK], 3);
	assert_string_equal(s.summary_json, "{\"minutes\":15}");
	assert_int_equal(events_of(st, 11), 1);
	struct store_consultation c;
	assert_int_equal(store_consultation_latest(st, 7, &c), 0);
	assert_int_equal(c.id, 3);

	/* The old program got its checksum in the migration. */
	struct store_program p;
	char hex[STORE_CHECKSUM_HEX + 1];
	assert_int_equal(store_program_get(st, "relax", &p), 0);
	store_checksum_hex("program relax\n", hex);
	assert_string_equal(p.checksum, hex);
	assert_true(p.installed_s == 1690000000.0);

	/* The new tables and columns work. */
	struct zone_pref zp = {.pressure_delta = -2, .ceiling_n = 25.0}, all[AREA_COUNT];
	assert_int_equal(store_zone_pref_set(st, 7, AREA_LOWER_BACK, &zp), 0);
	assert_int_equal(store_zone_prefs_get(st, 7, all), 0);
	assert_int_equal(all[AREA_LOWER_BACK].pressure_delta, -2);
	struct trigger_memory tm = {.point = "L4", .level_n = 27.0};
	assert_int_equal(store_trigger_set(st, 7, &tm), 0);
	u.shoulder_adjust_mm = 12;
	assert_int_equal(store_user_update(st, &u), 0);
	int64_t sid = begin_session(st, 7, 1700100000.0);
	assert_true(sid > 11);
	store_close(st);
	assert_int_equal(user_version(f->path), STORE_SCHEMA_VERSION);

	/* A second open has nothing to migrate and keeps everything. */
	st = open_ok(f);
	assert_int_equal(store_user_get(st, 7, &u), 0);
	assert_int_equal(u.shoulder_adjust_mm, 12);
	assert_int_equal(store_recovered(st), 1); /* the session begun above never ended */
	store_close(st);
}

static void test_a_migration_that_fails_leaves_the_database_at_the_version_before(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int pages = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);

	/* Not one page more: version 2's new tables cannot be made. */
	struct store_options o = {.max_page_count = pages};
	struct store *st;
	assert_int_equal(store_open_ex(&st, f->path, &o, f->err, sizeof(f->err)), -ENOSPC);
	assert_non_null(strstr(f->err, "migration to schema version 2"));
	assert_int_equal(user_version(f->path), 1);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "SELECT shoulder_adjust_mm FROM users", NULL, NULL, NULL),
			 SQLITE_ERROR); /* the step's first ALTER went with it */
	sqlite3_close(db);

	st = open_ok(f);
	struct store_user u;
	assert_int_equal(store_user_get(st, 7, &u), 0);
	assert_string_equal(u.name, "Mia");
	store_close(st);
	assert_int_equal(user_version(f->path), STORE_SCHEMA_VERSION);
}

static void test_a_database_of_a_newer_controller_is_refused_untouched(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Noa", 170);
	assert_int_equal(store_user_create(st, &u), 0);
	store_close(st);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 9", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	st = (struct store *)&u; /* set to NULL by a failed open */
	assert_int_equal(store_open(&st, f->path, f->err, sizeof(f->err)), -ENOTSUP);
	assert_null(st);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "schema version 9 is newer"));
	assert_int_equal(user_version(f->path), 9);
}

/* The child's side of the crash test: a finished session, then one left running with its
 * events, then it tells the parent and waits to be killed. Exits non-zero on any failure. */
static void crash_child(const char *path, int ready_fd)
{
	struct store *st;
	char err[512];
	if (store_open(&st, path, err, sizeof(err)))
		_exit(10);
	struct store_user u = user_named("Oli", 176);
	if (store_user_create(st, &u))
		_exit(11);
	struct store_session_start b = {.user_id = u.id, .program_name = "done",
					.plan_text = "program done\n", .start_s = 100.0};
	no_pain(b.pain_before);
	b.pain_before[AREA_NECK] = 5;
	int64_t done, running;
	struct store_event ev[2] = {event_at(110.0, STORE_EVENT_FEEDBACK, "softer", AREA_NECK),
				    event_at(120.0, STORE_EVENT_PHASE, "cool-down", -1)};
	int after[AREA_COUNT];
	no_pain(after);
	after[AREA_NECK] = 2;
	if (store_session_begin(st, &b, &done) || store_session_events_append(st, done, ev, 2) ||
	    store_session_end(st, done, STORE_ENDED_COMPLETED, 130.0, "{\"ok\":true}") ||
	    store_session_pain_after(st, done, after))
		_exit(12);
	b.program_name = "cut";
	b.start_s = 200.0;
	struct store_event ev2[3] = {event_at(205.0, STORE_EVENT_PHASE, "warm-up", -1),
				     event_at(230.0, STORE_EVENT_FEEDBACK, "stronger", AREA_NECK),
				     event_at(247.5, STORE_EVENT_FEEDBACK, "stay", AREA_NECK)};
	if (store_session_begin(st, &b, &running) ||
	    store_session_events_append(st, running, ev2, 2) ||
	    store_session_events_append(st, running, ev2 + 2, 1))
		_exit(13);
	char c = 'r';
	if (write(ready_fd, &c, 1) != 1)
		_exit(14);
	for (;;)
		pause(); /* killed here, the store never closed */
}

static void test_sigkill_mid_session_keeps_finished_and_marks_running_interrupted(void **state)
{
	struct fixture *f = *state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		crash_child(f->path, fds[1]);
	}
	close(fds[1]);
	char c = 0;
	ssize_t got = read(fds[0], &c, 1);
	close(fds[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (got != 1)
		fail_msg("child failed before the crash, exit %d", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	struct store *st = open_ok(f);
	assert_int_equal(store_recovered(st), 1);
	struct store_user u;
	assert_int_equal(store_user_get_by_name(st, "Oli", &u), 0);
	struct history h = {0};
	assert_int_equal(store_session_history(st, u.id, collect_history, &h), 0);
	assert_int_equal(h.n, 2);

	struct store_session s;
	assert_int_equal(store_session_get(st, h.ids[0], &s), 0);
	assert_string_equal(s.program_name, "done");
	assert_int_equal(s.ended, STORE_ENDED_COMPLETED);
	assert_true(s.end_s == 130.0);
	assert_string_equal(s.summary_json, "{\"ok\":true}");
	assert_int_equal(s.pain_before[AREA_NECK], 5);
	assert_int_equal(s.pain_after[AREA_NECK], 2);
	assert_int_equal(events_of(st, h.ids[0]), 2);

	assert_int_equal(store_session_get(st, h.ids[1], &s), 0);
	assert_string_equal(s.program_name, "cut");
	assert_int_equal(s.ended, STORE_ENDED_INTERRUPTED);
	assert_true(s.end_s == 247.5); /* its last event */
	assert_int_equal(events_of(st, h.ids[1]), 3);
	store_close(st);

	/* Recovery happens once. */
	st = open_ok(f);
	assert_int_equal(store_recovered(st), 0);
	store_close(st);
}

static void test_interrupted_session_without_events_ends_at_its_start(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Pia", 170);
	assert_int_equal(store_user_create(st, &u), 0);
	int64_t sid = begin_session(st, u.id, 300.0);
	store_close(st); /* as good as a crash for the record: it never ended */
	st = open_ok(f);
	assert_int_equal(store_recovered(st), 1);
	struct store_session s;
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_int_equal(s.ended, STORE_ENDED_INTERRUPTED);
	assert_true(s.end_s == 300.0);
	store_close(st);
}

/* A database with one user, Quinn, to check a refused write against. */
static void fill_one_user(struct fixture *f)
{
	struct store *st = open_ok(f);
	struct store_user u = user_named("Quinn", 171);
	assert_int_equal(store_user_create(st, &u), 0);
	store_close(st);
}

static void test_session_finish_keeps_pain_after_and_summary_once_ended(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	struct store_user u = user_named("Mo", 175);
	assert_int_equal(store_user_create(st, &u), 0);
	int64_t sid = begin_session(st, u.id, 0.0);
	int after[AREA_COUNT];
	no_pain(after);
	after[AREA_LOWER_BACK] = 2;
	/* Not before the end: nothing of it is kept. */
	assert_int_equal(store_session_finish(st, sid, after, "{\"advice\":[]}"), -EINPROGRESS);
	assert_non_null(strstr(store_error(st), "still running"));
	struct store_session s;
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_int_equal(s.pain_after[AREA_LOWER_BACK], -1);
	assert_string_equal(s.summary_json, "");
	assert_int_equal(store_session_end(st, sid, STORE_ENDED_COMPLETED, 60.0, "{\"ended\":1}"),
			 0);
	/* A pain out of range: neither the pain nor the summary changes. */
	after[AREA_NECK] = 11;
	assert_int_equal(store_session_finish(st, sid, after, "{\"advice\":[1]}"), -EINVAL);
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_string_equal(s.summary_json, "{\"ended\":1}");
	assert_int_equal(s.pain_after[AREA_LOWER_BACK], -1);
	after[AREA_NECK] = -1;
	assert_int_equal(store_session_finish(st, sid, after, "{\"ended\":1,\"advice\":[1]}"), 0);
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_string_equal(s.summary_json, "{\"ended\":1,\"advice\":[1]}");
	assert_int_equal(s.pain_after[AREA_LOWER_BACK], 2);
	assert_int_equal(s.ended, STORE_ENDED_COMPLETED);
	assert_true(s.end_s == 60.0);
	/* NULL keeps the summary; the pain after may be given again. */
	after[AREA_LOWER_BACK] = 3;
	assert_int_equal(store_session_finish(st, sid, after, NULL), 0);
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_string_equal(s.summary_json, "{\"ended\":1,\"advice\":[1]}");
	assert_int_equal(s.pain_after[AREA_LOWER_BACK], 3);
	assert_int_equal(store_session_finish(st, 999, after, "{}"), -ENOENT);
	store_close(st);

	struct store_options o = {.readonly = 1};
	assert_int_equal(store_open_ex(&st, f->path, &o, f->err, sizeof(f->err)), 0);
	assert_int_equal(store_session_finish(st, sid, after, "{}"), -EROFS);
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_string_equal(s.summary_json, "{\"ended\":1,\"advice\":[1]}");
	store_close(st);
}

static void test_readonly_open_maps_every_write_to_erofs_and_changes_nothing(void **state)
{
	struct fixture *f = *state;
	fill_one_user(f);
	struct store_options o = {.readonly = 1};
	struct store *st;
	assert_int_equal(store_open_ex(&st, f->path, &o, f->err, sizeof(f->err)), 0);
	struct store_user u;
	assert_int_equal(store_user_get_by_name(st, "Quinn", &u), 0);
	struct store_user v = user_named("Rae", 165);
	assert_int_equal(store_user_create(st, &v), -EROFS);
	assert_non_null(strstr(store_error(st), f->path));
	assert_non_null(strstr(store_error(st), "read-only"));
	int64_t sid = 0;
	struct store_session_start b = {.user_id = u.id, .program_name = "p", .plan_text = ""};
	no_pain(b.pain_before);
	assert_int_equal(store_session_begin(st, &b, &sid), -EROFS);
	assert_int_equal(store_fault_add(st, 1.0, "io", "", "bus", NULL), -EROFS);
	assert_int_equal(store_program_put(st, "p", "program p\n", 1.0), -EROFS);
	assert_int_equal(store_user_delete(st, u.id), -EROFS);
	/* Reading still works after the refusals. */
	assert_int_equal(store_user_get(st, u.id, &u), 0);
	store_close(st);

	st = open_ok(f);
	char names[64] = "";
	assert_int_equal(store_user_list(st, collect_names, names), 0);
	assert_string_equal(names, "Quinn,");
	store_close(st);
}

/* The child's side of the permission test, as an unprivileged user when the test runs as
 * root (root writes through any mode): 0 when every open is refused as it should be. */
static int readonly_child(const char *path, const char *dir, int dir_readonly)
{
	if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
		return 77;
	if (access(dir, X_OK) != 0 || access(path, R_OK) != 0)
		return 77; /* cannot even reach it: the temp dir's parents are private */
	struct store *st;
	char err[512];
	int r = store_open(&st, path, err, sizeof(err));
	if (r != -EROFS)
		return 20;
	if (!strstr(err, dir_readonly ? dir : path) || !strstr(err, "read-only"))
		return 21;
	struct store_options o = {.readonly = 1};
	r = store_open_ex(&st, path, &o, err, sizeof(err));
	if (dir_readonly) {
		/* Reading a WAL database needs its -shm index, which cannot be made here. */
		if (r != -EROFS || !strstr(err, path) || !strstr(err, "-shm"))
			return 24;
		return 0;
	}
	if (r != 0)
		return 22;
	struct store_user u;
	r = store_user_get_by_name(st, "Quinn", &u);
	store_close(st);
	return r == 0 ? 0 : 23;
}

static int run_readonly_child(struct fixture *f, int dir_readonly)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(readonly_child(f->path, f->dir, dir_readonly));
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_readonly_file_or_directory_is_refused_with_erofs_naming_it(void **state)
{
	struct fixture *f = *state;
	fill_one_user(f);
	struct stat before, after;
	assert_int_equal(stat(f->path, &before), 0);

	/* The file read-only in a directory anyone may write. */
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(chmod(f->path, 0444), 0);
	int rc = run_readonly_child(f, 0);
	if (rc == 77)
		skip();
	assert_int_equal(rc, 0);

	/* A writable file in a read-only directory: no room for the write-ahead log. The
	 * read-only open above left its log and index behind; gone, as after a clean close. */
	char side[320];
	snprintf(side, sizeof(side), "%s-wal", f->path);
	remove(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	remove(side);
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(chmod(f->dir, 0555), 0);
	assert_int_equal(run_readonly_child(f, 1), 0);

	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(stat(f->path, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_true(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
		    after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}

static void test_full_disk_is_enospc_keeps_nothing_and_reading_still_works(void **state)
{
	struct fixture *f = *state;
	struct store_options o = {.max_page_count = 48}; /* 192 KiB of 4 KiB pages */
	struct store *st;
	assert_int_equal(store_open_ex(&st, f->path, &o, f->err, sizeof(f->err)), 0);
	struct store_user u = user_named("Sam", 190);
	assert_int_equal(store_user_create(st, &u), 0);
	int64_t sid = begin_session(st, u.id, 0.0);
	struct store_event ev[20];
	for (int i = 0; i < 20; i++) {
		ev[i] = event_at(i, STORE_EVENT_FEEDBACK, "stronger", AREA_THIGHS);
		memset(ev[i].detail, 'd', sizeof(ev[i].detail) - 1);
	}
	int batches = 0, r = 0;
	while (batches < 1000 && (r = store_session_events_append(st, sid, ev, 20)) == 0)
		batches++;
	assert_int_equal(r, -ENOSPC);
	assert_true(batches > 0);
	assert_non_null(strstr(store_error(st), f->path));
	assert_non_null(strstr(store_error(st), "disk full"));

	/* The failed batch left nothing; what was kept reads back. */
	assert_int_equal(events_of(st, sid), 20 * batches);
	struct store_user got;
	assert_int_equal(store_user_get(st, u.id, &got), 0);
	struct store_session s;
	assert_int_equal(store_session_get(st, sid, &s), 0);
	assert_int_equal(s.ended, STORE_ENDED_RUNNING);
	store_close(st);

	/* The database is intact for the next start. */
	st = open_ok(f);
	assert_int_equal(events_of(st, sid), 20 * batches);
	store_close(st);
}

static void test_full_disk_during_the_first_migration_is_a_clear_error(void **state)
{
	struct fixture *f = *state;
	struct store_options o = {.max_page_count = 3};
	struct store *st;
	assert_int_equal(store_open_ex(&st, f->path, &o, f->err, sizeof(f->err)), -ENOSPC);
	assert_null(st);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "migration to schema version 1"));
	/* The failed migration was rolled back: a later open with room starts from scratch. */
	st = open_ok(f);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(st);
}

static void test_corrupt_or_foreign_file_is_an_eio_naming_it(void **state)
{
	struct fixture *f = *state;
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 512; i++)
		fputs("not a database ", fp);
	fclose(fp);
	struct store *st;
	assert_int_equal(store_open(&st, f->path, f->err, sizeof(f->err)), -EIO);
	assert_null(st);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "not a database"));

	/* A real database cut short after its first page: an error, never a crash. */
	remove(f->path);
	fill_one_user(f);
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(sb.st_size > 8192);
	assert_int_equal(truncate(f->path, 4096 + 100), 0);
	int r = store_open(&st, f->path, f->err, sizeof(f->err));
	if (r == 0) {
		/* SQLite may open it; reading the lost pages must then fail cleanly. */
		struct store_user u;
		r = store_user_get_by_name(st, "Quinn", &u);
		assert_int_equal(r, -EIO);
		store_close(st);
	} else {
		assert_int_equal(r, -EIO);
		assert_non_null(strstr(f->err, f->path));
	}
}

static void test_missing_directory_is_enoent_naming_it(void **state)
{
	struct fixture *f = *state;
	char path[400];
	snprintf(path, sizeof(path), "%s/no/such/dir/chair.db", f->dir);
	struct store *st;
	assert_int_equal(store_open(&st, path, f->err, sizeof(f->err)), -ENOENT);
	assert_non_null(strstr(f->err, path));
	assert_int_equal(store_open(&st, "", f->err, sizeof(f->err)), -EINVAL);
}

static int collect_programs(void *ctx, const struct store_program *p)
{
	char *out = ctx;
	sprintf(out + strlen(out), "%s:%.8s:%zu,", p->name, p->checksum, strlen(p->text));
	return 0;
}

static void test_program_checksum_is_blake2b_stable_and_follows_the_text(void **state)
{
	struct fixture *f = *state;
	char hex[STORE_CHECKSUM_HEX + 1], hex2[STORE_CHECKSUM_HEX + 1];
	/* BLAKE2b-256 of the empty string (RFC 7693's function, 32-byte digest). */
	store_checksum_hex("", hex);
	assert_string_equal(hex, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");

	struct store *st = open_ok(f);
	assert_int_equal(store_program_put(st, "neck", "program neck\nknead neck 2 min\n", 10.0), 0);
	assert_int_equal(store_program_put(st, "back", "program back\n", 11.0), 0);
	struct store_program p;
	assert_int_equal(store_program_get(st, "neck", &p), 0);
	store_checksum_hex("program neck\nknead neck 2 min\n", hex);
	assert_string_equal(p.checksum, hex);
	assert_string_equal(p.text, "program neck\nknead neck 2 min\n");
	assert_true(p.installed_s == 10.0);

	/* The same text again: the same checksum. Another text: another one. */
	assert_int_equal(store_program_put(st, "neck", "program neck\nknead neck 2 min\n", 20.0), 0);
	assert_int_equal(store_program_get(st, "neck", &p), 0);
	assert_string_equal(p.checksum, hex);
	assert_int_equal(store_program_put(st, "neck", "program neck\nknead neck 3 min\n", 30.0), 0);
	assert_int_equal(store_program_get(st, "neck", &p), 0);
	store_checksum_hex("program neck\nknead neck 3 min\n", hex2);
	assert_string_equal(p.checksum, hex2);
	assert_string_not_equal(hex, hex2);
	assert_true(p.installed_s == 30.0);

	char out[128] = "";
	assert_int_equal(store_program_list(st, collect_programs, out), 0);
	char want[128];
	store_checksum_hex("program back\n", hex);
	snprintf(want, sizeof(want), "back:%.8s:13,neck:%.8s:30,", hex, hex2);
	assert_string_equal(out, want);

	assert_int_equal(store_program_remove(st, "back"), 0);
	assert_int_equal(store_program_get(st, "back", &p), -ENOENT);
	assert_int_equal(store_program_remove(st, "back"), -ENOENT);
	assert_non_null(strstr(store_error(st), "no program back"));
	store_close(st);
}

struct fault_log {
	int n;
	char codes[128];
	char images[128];
};

static int collect_faults(void *ctx, const struct store_fault *fl)
{
	struct fault_log *l = ctx;
	sprintf(l->codes + strlen(l->codes), "%s@%g,", fl->code, fl->t_s);
	sprintf(l->images + strlen(l->images), "%s|", fl->image);
	l->n++;
	return 0;
}

static void test_a_setting_reads_back_replaces_and_survives_reopening(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	char v[STORE_SETTING_MAX_BYTES];
	assert_int_equal(store_setting_get(st, "technician_pin", v, sizeof(v)), -ENOENT);
	assert_int_equal(store_setting_set(st, "technician_pin", "first"), 0);
	assert_int_equal(store_setting_set(st, "technician_pin", "$argon2id$second"), 0);
	assert_int_equal(store_setting_get(st, "technician_pin", v, sizeof(v)), 0);
	assert_string_equal(v, "$argon2id$second");
	char small[4];
	assert_int_equal(store_setting_get(st, "technician_pin", small, sizeof(small)), -ENAMETOOLONG);
	/* Bad names and values are refused and change nothing. */
	assert_int_equal(store_setting_set(st, "Bad-Key", "x"), -EINVAL);
	assert_int_equal(store_setting_set(st, "", "x"), -EINVAL);
	char big[STORE_SETTING_MAX_BYTES + 1];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(store_setting_set(st, "technician_pin", big), -EINVAL);
	store_close(st);
	st = open_ok(f);
	assert_int_equal(store_setting_get(st, "technician_pin", v, sizeof(v)), 0);
	assert_string_equal(v, "$argon2id$second");
	store_close(st);
}

static void test_fault_list_is_oldest_first_keeps_each_image_and_max_keeps_the_latest(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	assert_int_equal(store_fault_add(st, 30.0, "late", "", "late", NULL), 0);
	assert_int_equal(store_fault_add(st, 10.0, "over_force", "axis z", "force above cap", "{\"y_mm\":612.0}"), 0);
	assert_int_equal(store_fault_add(st, 20.0, "unit_stale", "unit 3", "silent", ""), 0);
	assert_int_equal(store_fault_add(st, 20.0, "estop", NULL, "stop pressed", NULL), 0);
	struct fault_log l = {0};
	assert_int_equal(store_fault_list(st, 0, collect_faults, &l), 0);
	assert_string_equal(l.codes, "over_force@10,unit_stale@20,estop@20,late@30,");
	assert_string_equal(l.images, "{\"y_mm\":612.0}||||"); /* kept with its fault, "" none */
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_fault_list(st, 2, collect_faults, &l), 0);
	assert_string_equal(l.codes, "estop@20,late@30,");
	assert_int_equal(store_fault_add(st, 1.0, "", "", "x", NULL), -EINVAL);
	store_close(st);
}

static int stop_at_second(void *ctx, const struct store_user *u)
{
	(void)u;
	return ++*(int *)ctx == 2 ? 42 : 0;
}

struct reentry {
	struct store *st;
	int rc;
};

static int call_store_inside(void *ctx, const struct store_user *u)
{
	struct reentry *r = ctx;
	struct store_user other;
	r->rc = store_user_get(r->st, u->id, &other);
	return 0;
}

static void test_a_callback_stops_a_listing_and_may_not_call_the_store(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_ok(f);
	const char *names[] = {"Ulla", "Vic", "Wim"};
	for (int i = 0; i < 3; i++) {
		struct store_user u = user_named(names[i], 170);
		assert_int_equal(store_user_create(st, &u), 0);
	}
	int seen = 0;
	assert_int_equal(store_user_list(st, stop_at_second, &seen), 42);
	assert_int_equal(seen, 2);
	struct reentry r = {st, 0};
	assert_int_equal(store_user_list(st, call_store_inside, &r), 0);
	assert_int_equal(r.rc, -EBUSY);
	/* And the store works normally afterwards. */
	struct store_user u;
	assert_int_equal(store_user_get_by_name(st, "Wim", &u), 0);
	store_close(st);
}

static void test_an_in_memory_database_serves_other_suites_and_is_gone_at_close(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(store_open(&st, ":memory:", f->err, sizeof(f->err)), 0);
		struct store_user u = user_named("Xan", 170);
		assert_int_equal(store_user_create(st, &u), 0); /* no -EEXIST on the second pass */
		int64_t sid = begin_session(st, u.id, 1.0);
		assert_int_equal(store_session_end(st, sid, STORE_ENDED_COMPLETED, 2.0, NULL), 0);
		store_close(st);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_user_create_get_list_update_delete_round_trip),
		T(test_duplicate_name_is_refused_and_nothing_changes),
		T(test_bad_names_and_unknown_ids_are_refused),
		T(test_delete_user_cascades_to_everything_of_theirs),
		T(test_consultation_latest_is_the_newest_and_survives_other_calls),
		T(test_zone_prefs_default_to_zero_and_set_replaces_one_area),
		T(test_trigger_memory_set_replaces_and_lists_by_point),
		T(test_session_from_begin_to_pain_after_reads_back_whole),
		T(test_event_batch_is_all_or_none_and_closed_sessions_take_no_more),
		T(test_migration_from_version_1_keeps_data_and_adds_the_new_tables),
		T(test_a_migration_that_fails_leaves_the_database_at_the_version_before),
		T(test_a_database_of_a_newer_controller_is_refused_untouched),
		T(test_sigkill_mid_session_keeps_finished_and_marks_running_interrupted),
		T(test_interrupted_session_without_events_ends_at_its_start),
		T(test_session_finish_keeps_pain_after_and_summary_once_ended),
		T(test_readonly_open_maps_every_write_to_erofs_and_changes_nothing),
		T(test_readonly_file_or_directory_is_refused_with_erofs_naming_it),
		T(test_full_disk_is_enospc_keeps_nothing_and_reading_still_works),
		T(test_full_disk_during_the_first_migration_is_a_clear_error),
		T(test_corrupt_or_foreign_file_is_an_eio_naming_it),
		T(test_missing_directory_is_enoent_naming_it),
		T(test_program_checksum_is_blake2b_stable_and_follows_the_text),
		T(test_a_setting_reads_back_replaces_and_survives_reopening),
		T(test_fault_list_is_oldest_first_keeps_each_image_and_max_keeps_the_latest),
		T(test_a_callback_stops_a_listing_and_may_not_call_the_store),
		T(test_an_in_memory_database_serves_other_suites_and_is_gone_at_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
