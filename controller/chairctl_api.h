/* chairctl's commands that talk to chaird over the panel API (PANEL.md): the connection,
 * how errors and results are printed, and the exit codes every command shares. */
#ifndef CHAIRCTL_API_H
#define CHAIRCTL_API_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

struct panel_client;

/* Exit codes of every API command. */
enum chairctl_exit {
	CHAIRCTL_OK = 0,          /* done */
	CHAIRCTL_REFUSED = 1,     /* chaird refused it (an error object), or the chair must not go ahead */
	CHAIRCTL_USAGE = 2,       /* the command line is wrong */
	CHAIRCTL_UNREACHABLE = 3, /* no chaird answers at the socket */
};

/* Timeouts of calls, ms: most answer at once; a scan or a plan takes the chair's time. */
#define CHAIRCTL_CALL_MS 10000
#define CHAIRCTL_SLOW_CALL_MS 180000

struct chairctl {
	const char *socket_path;
	bool json;                /* print results as JSON, as chaird sent them */
	struct panel_client *cl;  /* connected on the first call */
};

/* Calls method with params (stolen) and waits timeout_ms: CHAIRCTL_OK with *result (a new
 * reference; NULL allowed when the caller does not want it), or the exit code after
 * printing why on stderr ("cannot reach chaird at ..." for 3; the error's message and data
 * fields for 1 and 2). */
int chairctl_call(struct chairctl *c, const char *method, json_t *params, json_t **result,
	     int timeout_ms);
/* The same as chairctl_call but also reports the panel error's code (0 when none) in *code
 * without printing it when the code is quiet_code. */
int chairctl_call_quiet(struct chairctl *c, const char *method, json_t *params, json_t **result,
		   int timeout_ms, int quiet_code, int *code);
/* Closes the connection, if any. */
void chairctl_close(struct chairctl *c);

/* Prints v readable: an object as "key: value" lines indented by depth, arrays of scalars on
 * one line. */
void chairctl_print_tree(const json_t *v, int depth);
/* Prints a result: as JSON under --json, else as a tree. */
void chairctl_print_result(const struct chairctl *c, const json_t *v);

/* Argument helpers: a whole number in lo..hi (else a message naming opt, and false). */
bool chairctl_parse_int(const char *opt, const char *s, long lo, long hi, long *out);
/* "lower-back=6" as {"area": "lower-back", "score": 6}, or NULL after a message. */
json_t *chairctl_parse_pain(const char *s);
/* A --pin value: "-" reads it from the first line of standard input (so it need not show in
 * the process list), anything else is the PIN itself. */
const char *chairctl_pin(const char *arg);
/* A string field of obj, "" when absent. */
const char *chairctl_str(const json_t *obj, const char *key);
/* A number field of obj, fallback when absent. */
double chairctl_num(const json_t *obj, const char *key, double fallback);

/* The commands: argv[0] is the command word ("user", "consult", ...). */
int chairctl_cmd_user(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_consult(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_scan(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_plan(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_session(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_history(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_report(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_info(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_faults(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_tech(struct chairctl *c, int argc, char **argv);
int chairctl_cmd_program(struct chairctl *c, int argc, char **argv);

/* The usage lines of the API commands. */
void chairctl_usage_api(FILE *f);

#endif
