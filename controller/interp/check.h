/* The checker: every rule of the language (PROGRAMS.md, docs/programs.md) over a parsed
 * program, reporting all errors and warnings. A program that passes cannot push the chair
 * past the user's cap or the chair's limits, for any body the chair supports. */
#ifndef INTERP_CHECK_H
#define INTERP_CHECK_H

#include "ast.h"
#include "diag.h"
#include "limits.h"

#define INTERP_ZONE_RUN_WARN_MS (10u * 60u * 1000u) /* a zone worked longer in a row: odd */
#define INTERP_TRIGGER_HOLD_WARN_MS 120000u

/* Check prog against lim; diagnostics into d (which the parse already used). Marks broken
 * statements so the compiler leaves them out. Returns the number of errors in d, or
 * -ENOMEM. */
int interp_check(struct interp_program *prog, const struct interp_limits *lim,
		 struct interp_diags *d);

#endif
