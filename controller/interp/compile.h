/* The compiler: a checked program's statements to a plan (plan.h) with places still
 * symbolic. Defaults of omitted options are filled in here (docs/programs.md). */
#ifndef INTERP_COMPILE_H
#define INTERP_COMPILE_H

#include "ast.h"
#include "limits.h"
#include "plan.h"

#define INTERP_DEFAULT_SPEED 5      /* speed and rate: the chair's medium */
#define INTERP_DEFAULT_RATE 5
#define INTERP_DEFAULT_PRESSURE 4   /* when neither depth nor pressure is given */
#define INTERP_DEFAULT_STRETCH 3
#define INTERP_DEFAULT_AIR_CYCLE_MS 20000u
#define INTERP_AIR_CYCLE_MIN_MS 4000u
#define INTERP_AIR_CYCLE_MAX_MS 300000u

/* Compile prog into a new plan in *out. Statements the checker or parser found broken
 * are left out, so this also serves the checker's estimates for programs with errors; a
 * program to run must have passed interp_check without errors first. -ENOMEM. */
int plan_compile(const struct interp_program *prog, const struct interp_limits *lim,
		 struct plan **out);

#endif
