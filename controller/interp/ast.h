/* What the parser makes of a program: a flat list of statements, one a line, each with the
 * place of every word the checker may need to point at. Repeat nesting is left as
 * `repeat`/`end` statements; the checker matches them. */
#ifndef INTERP_AST_H
#define INTERP_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "plan.h"

enum interp_kw {
	INTERP_KW_PROGRAM,
	INTERP_KW_DESCRIPTION,
	INTERP_KW_TAGS,
	INTERP_KW_LEVEL,
	INTERP_KW_PHASE,
	INTERP_KW_KNEAD,
	INTERP_KW_TAP,
	INTERP_KW_KNEAD_TAP,
	INTERP_KW_SHIATSU,
	INTERP_KW_ROLL,
	INTERP_KW_GLIDE,
	INTERP_KW_TRIGGER_POINT,
	INTERP_KW_STRETCH,
	INTERP_KW_AIR,
	INTERP_KW_HEAT,
	INTERP_KW_RECLINE,
	INTERP_KW_PAUSE,
	INTERP_KW_REPEAT,
	INTERP_KW_END,
	INTERP_KW_COUNT
};

/* Options that follow a technique's zone, each once at most. */
enum interp_opt {
	INTERP_OPT_WIDTH,
	INTERP_OPT_SPEED,
	INTERP_OPT_RATE,
	INTERP_OPT_DEPTH,
	INTERP_OPT_PRESSURE,
	INTERP_OPT_HOLD,
	INTERP_OPT_RAMP,
	INTERP_OPT_RELEASE,
	INTERP_OPT_FOR,
	INTERP_OPT_TIMES,
	INTERP_OPT_LEVEL,
	INTERP_OPT_CYCLE,
	INTERP_OPT_FROM,       /* a guided trigger point's start level */
	INTERP_OPT_COUNT
};

struct interp_value {
	bool set;
	bool bad;              /* given, but not readable: reported already */
	int64_t v;             /* a level, a count, milliseconds, mm, degC, or an enum */
	struct interp_loc loc;  /* of the option's word */
	struct interp_loc vloc; /* of its value */
};

struct interp_where {
	bool present;
	bool bad;              /* reported already */
	struct plan_where w;
	struct interp_loc loc;   /* of the first point */
	struct interp_loc b_loc; /* of the second */
	bool a_track, b_track;   /* written as `track N` */
};

struct interp_stmt {
	enum interp_kw kw;
	bool bad;               /* a syntax error was reported on this line */
	struct interp_loc loc;  /* the statement's keyword */
	struct interp_loc end;  /* just past its last token */
	struct interp_where where;
	struct interp_value opt[INTERP_OPT_COUNT];
	struct interp_value arg; /* repeat N, pause DUR, heat TEMP, level/recline choice */
	const char *str;        /* program, description, phase: the string; tags: "a,b" */
	uint32_t str_len;       /* bytes as written (may exceed what the limits allow) */
	struct interp_loc str_loc;
	uint8_t air_mask;       /* air zones */
	uint8_t heat_mask;      /* 1 lumbar, 2 calves */
	bool off;               /* air off, heat off */
	bool guided;            /* trigger-point POINT guided: the person says "there" */
	struct interp_loc guided_loc;
};

struct interp_program {
	const char *file;
	struct interp_stmt *stmts;
	uint32_t count, cap;
	char *arena;            /* strings of the program */
	size_t arena_used, arena_bytes;
	bool rejected;          /* too big: nothing was parsed */
	uint32_t unknown_lines; /* lines that were not statements at all (reported) */
};

#endif
