/* A method's param schema and its checker. The dispatcher checks every param of a request
 * against its method's schema before anything is called: every param must be known, of
 * its type, within its range, length and choices; a request with any param wrong reaches
 * no handler (-32602, data.field naming the param, data.expected what it should be). */
#ifndef PANEL_PARAMS_H
#define PANEL_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "jsonrpc.h"

enum panel_ptype {
	PANEL_P_STRING, /* max_len bytes at most (0: any length a line allows) */
	PANEL_P_INT,    /* a JSON integer (5, not 5.0); within [min, max] when min < max */
	PANEL_P_NUMBER, /* integer or real; within [min, max] when min < max */
	PANEL_P_BOOL,
	PANEL_P_OBJECT, /* its members are the handler's to check */
	PANEL_P_ARRAY,  /* max_len items at most (0: any); with choices, every item a string
			   among them, else the items are the handler's to check */
	PANEL_P_ENUM,   /* a string among choices */
};

struct panel_param {
	const char *name;
	enum panel_ptype type;
	bool required;
	double min, max;            /* a range when min < max; both 0: none */
	const char *const *choices; /* NULL-terminated; PANEL_P_ENUM, PANEL_P_ARRAY */
	size_t max_len;             /* bytes of a string, items of an array; 0: no bound */
};

/* The end of a schema: a param without a name. A method that takes no params has a NULL
 * schema (then any param is unknown). */
#define PANEL_PARAMS_END {.name = NULL}

/* Check params (an object) against schema. Returns 0, or PANEL_E_PARAMS with err filled:
 * message "bad params", data {field, expected}. Unknown members are found first, in the
 * order the request gave them, then the schema's params in the schema's order. */
int panel_params_check(const struct panel_param *schema, const json_t *params,
		       struct panel_error *err);

/* Whether a schema can be checked at all: names unique, choices where a type needs them,
 * ranges the right way round. Returns 0, or -EINVAL with err naming the param. */
int panel_params_validate(const struct panel_param *schema, char *err, size_t err_len);

#endif
