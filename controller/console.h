/* chaird's line console: one command a line on an input stream, events and answers a line
 * each on an output stream. For technicians at a terminal and for end-to-end tests; the
 * control panel speaks the same commands through its own API. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "interp/plan.h"
#include "runner.h"

/* The longest command line, in bytes without its line end (LF or CR LF). */
#define CONSOLE_LINE_MAX 255

/* What a line asks for, once every word of it has been checked. */
enum console_op {
	CONSOLE_EMPTY,  /* a blank line: nothing to do */
	CONSOLE_SEND,   /* a command for the controller: kind, value, value_f */
	CONSOLE_START,  /* CMD_START with the loaded plan, if there is one */
	CONSOLE_STATUS,
	CONSOLE_FAULTS, /* print the fault log with each record's process image */
	CONSOLE_QUIT,
};

struct console_cmd {
	enum console_op op;
	const char *name;   /* the command's word, as replies name it (static); NULL when empty */
	enum cmd_kind kind; /* CONSOLE_SEND */
	int32_t value;
	double value_f;
};

/* Parse one line, without its line end. Returns 0 with *out filled, or -EINVAL with err
 * saying what is wrong (without the "error: " prefix) and *out untouched. Numbers are
 * decimal only: digits with an optional fraction, no sign, exponent, hex, inf or nan. */
int console_parse(const char *line, const struct chair_config *cfg, struct console_cmd *out,
		  char *err, int err_len);

/* The line assembler: bytes as they arrive, in reads of any size, into whole lines. */
enum console_line {
	CONSOLE_LINE_NONE,     /* every byte taken, no line complete yet */
	CONSOLE_LINE_READY,    /* text holds a line, without its line end */
	CONSOLE_LINE_TOO_LONG, /* a line passed CONSOLE_LINE_MAX: refused, the rest of it up
				  to its newline will be dropped without another event */
	CONSOLE_LINE_NUL,      /* a line held a NUL byte: refused whole */
};

struct console_lines {
	char text[CONSOLE_LINE_MAX + 2]; /* the line, room for a CR before its LF, and a NUL */
	size_t len;
	bool discarding; /* refused as too long: dropping bytes up to the next newline */
	bool nul;
};

void console_lines_reset(struct console_lines *l);
/* Take bytes from buf up to and including the first event; returns how many were taken,
 * and *event says what happened. A READY line stays in l->text until the next call. */
size_t console_lines_feed(struct console_lines *l, const char *buf, size_t n,
			  enum console_line *event);

/* Serve commands from in_fd until "quit", end of input or *stop. plan is what "start"
 * runs (may be NULL: "start" is refused). Returns 0, or 1 when the chair ended latched. */
int console_run(struct runner *r, const struct chair_config *cfg, const struct plan *plan,
		int in_fd, FILE *out, volatile sig_atomic_t *stop);

#endif
