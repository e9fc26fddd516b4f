/* Loading a technique program for a run: read, parse, check (all errors printed), compile
 * and resolve for a body, outside the real-time path. The result is a plan ready for
 * CMD_START, or nothing at all. */
#ifndef PROGRAM_LOAD_H
#define PROGRAM_LOAD_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "interp/body.h"
#include "interp/plan.h"
#include "interp/limits.h"

/* The program limits of a chair's configuration. */
void program_limits(const struct chair_config *cfg, struct interp_limits *lim);

/* Program text to a resolved plan for body, with the user's cap. Errors and warnings go
 * to diag (may be NULL), one per line as FILE:LINE:COL: error|warning: MESSAGE, a refusal
 * for this body too. 0, -EINVAL (the program has errors), -ERANGE (it does not fit this
 * body or the session limit), -ENOMEM. */
int program_load_text(const char *text, size_t len, const char *name,
		      const struct chair_config *cfg, const struct body_map *body, double cap_n,
		      struct plan **out, FILE *diag);
/* The same from a file, for body and the user's cap cap_n; also -errno when it cannot be
 * read. */
int program_load_file_for(const char *path, const struct chair_config *cfg,
			  const struct body_map *body, double cap_n, struct plan **out, FILE *diag);
/* The same for the default body and the configured default cap. */
int program_load_file(const char *path, const struct chair_config *cfg, struct plan **out,
		      FILE *diag);
/* The built-in demo routine. */
int program_load_demo(const struct chair_config *cfg, struct plan **out, FILE *diag);

#endif
