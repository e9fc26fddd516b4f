/* chairctl's commands for a running visit and after it: the session (start, feedback, pause,
 * resume, stop, status and following it, finish with the pain scores after), the history with
 * its trend, and the report file for a therapist. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chairctl_api.h"
#include "panel/client.h"
#include "session/history.h"
#include "session/report_doc.h"

/* Session states in which a session is still under way (status --follow waits them out). */
static bool state_under_way(const char *st)
{
	return !strcmp(st, "running") || !strcmp(st, "paused") || !strcmp(st, "finishing");
}

/* The visit's state in a session.status result ("state"; "chair" is the chair's). */
static const char *session_state_of(const json_t *status)
{
	return chairctl_str(status, "state");
}

/* A notify.session line: where the session is. */
static void print_session_note(const json_t *p)
{
	printf("session %5.0f s  %-12s %-14s %-11s %4.0f s left\n", chairctl_num(p, "elapsed_s", 0),
	       chairctl_str(p, "phase"), chairctl_str(p, "technique"), chairctl_str(p, "zone"),
	       chairctl_num(p, "remaining_s", 0));
}

/* A notify.motion line: the roller and its force. */
static void print_motion_note(const json_t *p)
{
	printf("motion  %6.1f s  y %4.0f mm  %-11s force %5.1f N (target %5.1f, cap %5.1f)\n",
	       chairctl_num(p, "t_s", 0), chairctl_num(p, "y_mm", 0), chairctl_str(p, "zone"),
	       chairctl_num(p, "force_n", 0), chairctl_num(p, "force_target_n", 0),
	       chairctl_num(p, "cap_n", 0));
}

/* Monotonic seconds. */
static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* status --follow: notify.session lines as the session moves on and notify.motion once a
 * second, until the session is no longer under way (asked of session.status every 2 s
 * besides, so a lost notification cannot keep it waiting). */
static int follow(struct chairctl *c)
{
	int rc = chairctl_call(c, "subscribe",
			  json_pack("{s:[s,s,s]}", "topics", "session", "motion", "state"), NULL,
			  CHAIRCTL_CALL_MS);
	if (rc != CHAIRCTL_OK)
		return rc;
	double last_motion = -1, last_status = -10, last_session = -10;
	char last_step[160] = "", last_zone[32] = "";
	for (;;) {
		double now = mono_s();
		if (now - last_status >= 2.0) {
			json_t *st;
			if ((rc = chairctl_call(c, "session.status", NULL, &st, CHAIRCTL_CALL_MS)) != CHAIRCTL_OK)
				return rc;
			last_status = now;
			const char *state = session_state_of(st);
			/* A session just started may still wait for the chair (homing): it has its
			 * id and no end yet, and is under way too. */
			bool starting = json_is_integer(json_object_get(st, "session_id")) &&
					!json_object_get(st, "ended");
			if (!state_under_way(state) && !starting) {
				printf("session %s%s%s\n", *state ? state : "not under way",
			       *chairctl_str(st, "ended") ? ": " : "", chairctl_str(st, "ended"));
				json_decref(st);
				return CHAIRCTL_OK;
			}
			json_decref(st);
		}
		char method[64];
		json_t *p;
		int r = panel_client_next_notification(c->cl, method, sizeof(method), &p, 500);
		if (r == -ETIMEDOUT)
			continue;
		if (r != 0) {
			fprintf(stderr, "chairctl: session status: the connection to chaird ended (%s)\n",
				strerror(-r));
			return CHAIRCTL_UNREACHABLE;
		}
		if (!strcmp(method, "notify.session")) {
			/* A line when the phase or technique changes; a change of zone alone (the
			 * roller crossing a boundary, maybe back and forth) at most once a second. */
			char what[160];
			snprintf(what, sizeof(what), "%s|%s", chairctl_str(p, "phase"),
				 chairctl_str(p, "technique"));
			bool new_step = strcmp(what, last_step) != 0;
			bool new_zone = strcmp(chairctl_str(p, "zone"), last_zone) != 0;
			if (new_step || (new_zone && now - last_session >= 1.0) ||
			    now - last_session >= 10.0) {
				print_session_note(p);
				snprintf(last_step, sizeof(last_step), "%s", what);
				snprintf(last_zone, sizeof(last_zone), "%s", chairctl_str(p, "zone"));
				last_session = now;
			}
		} else if (!strcmp(method, "notify.motion")) {
			if (now - last_motion >= 1.0) {
				print_motion_note(p);
				last_motion = now;
			}
		} else if (!strcmp(method, "notify.state")) {
			printf("state   chair %s, session %s%s%s\n", chairctl_str(p, "state"),
			       chairctl_str(p, "session"), *chairctl_str(p, "fault") ? ", fault " : "",
			       chairctl_str(p, "fault"));
			last_status = -10; /* ask now whether it ended */
		}
		fflush(stdout);
		json_decref(p);
	}
}

/* The session id to finish: --session, else the one session.status names. */
static int current_session_id(struct chairctl *c, long *sid)
{
	json_t *st;
	int rc = chairctl_call(c, "session.status", NULL, &st, CHAIRCTL_CALL_MS);
	if (rc != CHAIRCTL_OK)
		return rc;
	const json_t *id = json_object_get(st, "session_id");
	if (!json_is_integer(id) && json_is_object(json_object_get(st, "session")))
		id = json_object_get(json_object_get(st, "session"), "session_id");
	if (!json_is_integer(id)) {
		fprintf(stderr, "chairctl: session finish: no session to finish (state %s)\n",
			*session_state_of(st) ? session_state_of(st) : "?");
		json_decref(st);
		return CHAIRCTL_REFUSED;
	}
	*sid = (long)json_integer_value(id);
	json_decref(st);
	return CHAIRCTL_OK;
}

/* The summary and the care advice a finished session gives. */
static void print_finish(const struct chairctl *c, const json_t *res)
{
	if (c->json) {
		chairctl_print_result(c, res);
		return;
	}
	const json_t *sum = json_object_get(res, "summary");
	printf("summary:\n");
	chairctl_print_tree(json_is_object(sum) ? sum : res, 1);
	const json_t *pain = json_object_get(res, "pain");
	size_t i;
	const json_t *a;
	if (json_array_size(pain))
		printf("pain before -> after:\n");
	json_array_foreach(pain, i, a) {
		const json_t *b = json_object_get(a, "before"), *af = json_object_get(a, "after");
		printf("  %-11s ", chairctl_str(a, "area"));
		if (json_is_number(b))
			printf("%g", json_number_value(b));
		else
			printf("-");
		printf(" -> ");
		if (json_is_number(af))
			printf("%g\n", json_number_value(af));
		else
			printf("-\n");
	}
	const json_t *adv = json_object_get(res, "advice");
	if (!json_is_array(adv))
		return;
	printf("care advice:\n");
	json_array_foreach(adv, i, a) {
		if (json_is_string(a)) {
			printf("  - %s\n", json_string_value(a));
			continue;
		}
		const char *kind = chairctl_str(a, "kind");
		printf("  - %s%s%s%s\n", *kind ? "[" : "", kind, *kind ? "] " : "",
		       chairctl_str(a, "text"));
	}
}

/* session start NAME [--program NAME] | feedback ACTION | pause | resume | stop
 * | status [--follow] | finish --pain AREA=SCORE... [--session ID] */
int chairctl_cmd_session(struct chairctl *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"program", required_argument, NULL, 'P'},
		{"follow", no_argument, NULL, 'f'},
		{"pain", required_argument, NULL, 'p'},
		{"session", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	if (argc < 2) {
		fprintf(stderr, "chairctl: session: expected start, feedback, pause, resume, stop, "
				"status or finish\n");
		return CHAIRCTL_USAGE;
	}
	const char *sub = argv[1];
	const char *program = NULL;
	bool follow_it = false;
	long sid = 0;
	json_t *pain = json_array();
	int ch, rc = CHAIRCTL_OK;
	optind = 0;
	argc--;
	argv++;
	while (rc == CHAIRCTL_OK && (ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		json_t *v;
		if (ch == 'P' && !strcmp(sub, "start"))
			program = optarg;
		else if (ch == 'f' && !strcmp(sub, "status"))
			follow_it = true;
		else if (ch == 'p' && !strcmp(sub, "finish") && (v = chairctl_parse_pain(optarg)))
			json_array_append_new(pain, v);
		else if (!(ch == 's' && !strcmp(sub, "finish") &&
			   chairctl_parse_int("--session", optarg, 1, 0x7fffffff, &sid)))
			rc = CHAIRCTL_USAGE;
	}
	int positional = argc - optind;
	bool takes_one = !strcmp(sub, "start") || !strcmp(sub, "feedback");
	if (rc == CHAIRCTL_OK && positional != (takes_one ? 1 : 0)) {
		fprintf(stderr, "chairctl: session %s: %s\n", sub,
			!strcmp(sub, "start")	     ? "expected one user name"
			: !strcmp(sub, "feedback") ? "expected one action (stronger, softer, too_much, ...)"
						   : "takes no further words");
		rc = CHAIRCTL_USAGE;
	}
	if (rc == CHAIRCTL_OK && !strcmp(sub, "finish") && json_array_size(pain) == 0) {
		fprintf(stderr, "chairctl: session finish: expected the pain after, --pain AREA=SCORE\n");
		rc = CHAIRCTL_USAGE;
	}
	if (rc != CHAIRCTL_OK) {
		json_decref(pain);
		return rc;
	}
	json_t *res = NULL;
	if (!strcmp(sub, "start")) {
		json_decref(pain);
		json_t *p = json_pack("{s:s}", "user", argv[optind]);
		if (program)
			json_object_set_new(p, "program", json_string(program));
		if ((rc = chairctl_call(c, "session.start", p, &res, CHAIRCTL_SLOW_CALL_MS)) != CHAIRCTL_OK)
			return rc;
		if (c->json)
			chairctl_print_result(c, res);
		else
			printf("session %lld started\n",
			       (long long)json_integer_value(json_object_get(res, "session_id")));
	} else if (!strcmp(sub, "feedback")) {
		json_decref(pain);
		rc = chairctl_call(c, "session.feedback", json_pack("{s:s}", "action", argv[optind]), &res,
			      CHAIRCTL_CALL_MS);
		if (rc != CHAIRCTL_OK)
			return rc;
		if (c->json) {
			chairctl_print_result(c, res);
		} else {
			printf("%s: taken", argv[optind]);
			if (json_is_number(json_object_get(res, "force_target_n")))
				printf(", force target %.1f N", chairctl_num(res, "force_target_n", 0));
			if (*chairctl_str(res, "zone"))
				printf(" in the %s", chairctl_str(res, "zone"));
			putchar('\n');
		}
	} else if (!strcmp(sub, "pause") || !strcmp(sub, "resume") || !strcmp(sub, "stop")) {
		json_decref(pain);
		char method[32];
		snprintf(method, sizeof(method), "session.%s", sub);
		if ((rc = chairctl_call(c, method, NULL, &res, CHAIRCTL_CALL_MS)) != CHAIRCTL_OK)
			return rc;
		if (c->json)
			chairctl_print_result(c, res);
		else
			printf("session %s: done\n", sub);
	} else if (!strcmp(sub, "status")) {
		json_decref(pain);
		if (follow_it)
			return follow(c);
		if ((rc = chairctl_call(c, "session.status", NULL, &res, CHAIRCTL_CALL_MS)) != CHAIRCTL_OK)
			return rc;
		chairctl_print_result(c, res);
	} else if (!strcmp(sub, "finish")) {
		if (!sid && (rc = current_session_id(c, &sid)) != CHAIRCTL_OK) {
			json_decref(pain);
			return rc;
		}
		rc = chairctl_call(c, "session.finish",
			      json_pack("{s:I, s:o}", "session_id", (json_int_t)sid, "pain", pain),
			      &res, CHAIRCTL_CALL_MS);
		if (rc != CHAIRCTL_OK)
			return rc;
		print_finish(c, res);
	} else {
		json_decref(pain);
		fprintf(stderr, "chairctl: session %s: expected start, feedback, pause, resume, stop, "
				"status or finish\n", sub);
		return CHAIRCTL_USAGE;
	}
	json_decref(res);
	return CHAIRCTL_OK;
}

/* NAME [--pin PIN]: the user and the PIN for history and report params. */
static json_t *user_params(int argc, char **argv, const char *cmd, char **out_path,
			   const char **format)
{
	static const struct option lo[] = {
		{"pin", required_argument, NULL, 'p'},
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	const char *pin = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		if (ch == 'p')
			pin = chairctl_pin(optarg);
		else if ((ch == 'f' || ch == 'o') && format) {
			if (ch == 'f')
				*format = optarg;
			else
				*out_path = optarg;
		} else
			return NULL;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "chairctl: %s: expected one user name\n", cmd);
		return NULL;
	}
	json_t *p = json_pack("{s:s}", "user", argv[optind]);
	if (pin)
		json_object_set_new(p, "pin", json_string(pin));
	return p;
}

/* The history document in a history.list result (the document itself or under "history"). */
static const json_t *history_doc(const json_t *res)
{
	const json_t *h = json_object_get(res, "history");
	return json_is_object(h) ? h : res;
}

/* The sessions of a history, one line each, oldest first. */
static void print_history_sessions(const json_t *sessions)
{
	size_t i, j;
	const json_t *s, *p;
	printf("  %-4s %-17s %6s  %-34s %-12s %s\n", "id", "date (UTC)", "length", "program",
	       "ended", "pain before -> after");
	json_array_foreach(sessions, i, s) {
		char date[32] = "";
		double start = chairctl_num(s, "start_s", -1);
		time_t t = (time_t)start;
		struct tm tm;
		if (start >= 0 && gmtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
		long dur_s = lround(chairctl_num(s, "duration_s", 0));
		printf("  %-4lld %-17s %3ld:%02ld  %-34.34s %-12s",
		       (long long)chairctl_num(s, "session_id", 0), date, dur_s / 60, dur_s % 60,
		       chairctl_str(s, "program"), chairctl_str(s, "ended"));
		json_array_foreach(json_object_get(s, "pain"), j, p) {
			const json_t *b = json_object_get(p, "before"), *a = json_object_get(p, "after");
			printf("%s%s ", j ? ", " : " ", chairctl_str(p, "area"));
			if (json_is_number(b))
				printf("%g", json_number_value(b));
			else
				printf("-");
			printf(" -> ");
			if (json_is_number(a))
				printf("%g", json_number_value(a));
			else
				printf("-");
		}
		putchar('\n');
	}
}

/* The trend, one line per area. */
static void print_trend(const json_t *trend)
{
	size_t i;
	const json_t *t;
	printf("trend (a drop of %.0f %% or more is the clinically meaningful change):\n",
	       HISTORY_MEANINGFUL_PCT);
	if (json_array_size(trend) == 0)
		printf("  no pain scores yet\n");
	json_array_foreach(trend, i, t) {
		const json_t *fb = json_object_get(t, "first_before"), *la = json_object_get(t, "last_after");
		const json_t *pct = json_object_get(t, "change_pct");
		printf("  %-11s", chairctl_str(t, "area"));
		if (json_is_number(fb))
			printf(" first %g", json_number_value(fb));
		if (json_is_number(la))
			printf(" -> last %g", json_number_value(la));
		if (json_is_number(pct))
			printf(": %.0f %% %s%s", fabs(json_number_value(pct)),
			       json_number_value(pct) >= 0 ? "less pain" : "more pain",
			       json_is_true(json_object_get(t, "meaningful")) ? ", meaningful" : "");
		else
			printf(": no change to tell yet");
		putchar('\n');
	}
}

/* history NAME [--pin PIN]: the sessions and the pain trend. */
int chairctl_cmd_history(struct chairctl *c, int argc, char **argv)
{
	json_t *p = user_params(argc, argv, "history", NULL, NULL);
	if (!p)
		return CHAIRCTL_USAGE;
	json_t *res;
	int rc = chairctl_call(c, "history.list", p, &res, CHAIRCTL_CALL_MS);
	if (rc != CHAIRCTL_OK)
		return rc;
	const json_t *h = history_doc(res);
	if (c->json) {
		chairctl_print_result(c, res);
		json_decref(res);
		return CHAIRCTL_OK;
	}
	const json_t *sessions = json_object_get(h, "sessions");
	const json_t *user = json_object_get(h, "user");
	size_t n = json_array_size(sessions);
	const char *name = *chairctl_str(user, "name") ? chairctl_str(user, "name") : argv[argc - 1];
	printf("history of %s: %zu session%s\n", name,
	       n, n == 1 ? "" : "s");
	if (n)
		print_history_sessions(sessions);
	json_t *trend = json_incref(json_object_get(h, "trend"));
	char err[160] = "";
	if (!json_is_array(trend)) {
		json_decref(trend);
		trend = history_trend(h, err, sizeof(err));
	}
	if (trend)
		print_trend(trend);
	else
		fprintf(stderr, "chairctl: history: %s\n", err);
	json_decref(trend);
	json_decref(res);
	return CHAIRCTL_OK;
}

/* report NAME --format csv|html -o FILE [--pin PIN]: the record for a therapist, to a file
 * ("-" for standard output). */
int chairctl_cmd_report(struct chairctl *c, int argc, char **argv)
{
	const char *format = NULL;
	char *path = NULL;
	json_t *p = user_params(argc, argv, "report", &path, &format);
	if (!p)
		return CHAIRCTL_USAGE;
	if (!format || report_format_lookup(format) < 0 || !path) {
		fprintf(stderr, "chairctl: report: expected --format csv|html and -o FILE\n");
		json_decref(p);
		return CHAIRCTL_USAGE;
	}
	json_object_set_new(p, "format", json_string(format));
	json_t *res;
	int rc = chairctl_call(c, "report.export", p, &res, CHAIRCTL_CALL_MS);
	if (rc != CHAIRCTL_OK)
		return rc;
	const char *doc = NULL;
	const char *keys[] = {"document", "text", "content", "data"};
	for (size_t i = 0; !doc && i < sizeof(keys) / sizeof(keys[0]); i++)
		doc = json_string_value(json_object_get(res, keys[i]));
	if (!doc && json_is_string(res))
		doc = json_string_value(res);
	if (!doc) {
		fprintf(stderr, "chairctl: report.export: the answer holds no document\n");
		json_decref(res);
		return CHAIRCTL_REFUSED;
	}
	size_t len = strlen(doc);
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	bool ok = f && fwrite(doc, 1, len, f) == len;
	if (f && f != stdout)
		ok = (fclose(f) == 0) && ok;
	if (!ok) {
		fprintf(stderr, "chairctl: report: cannot write %s: %s\n", path, strerror(errno));
		json_decref(res);
		return CHAIRCTL_REFUSED;
	}
	if (f != stdout)
		printf("report: %s written (%s, %zu bytes)\n", path, format, len);
	json_decref(res);
	return CHAIRCTL_OK;
}
