/* The technique-program interpreter, outside the tick: from program text to a plan the
 * executor (exec.h) can run.
 *
 *   struct interp_limits lim;  interp_limits_default(&lim);   (or from the chair's config)
 *   struct interp_diags *d = malloc(sizeof *d);  interp_diags_init(d, "lower-back.prog");
 *   struct plan *compiled;
 *   if (interp_load(text, len, "lower-back.prog", &lim, d, &compiled) != 0)
 *           interp_diags_print(d, stderr);                    (errors: nothing to run)
 *   struct body_map body;  body_from_scan(&body, shoulder_y_mm, height_mm, skin_gap_mm, &lim);
 *   struct plan *plan;  char err[256];
 *   if (plan_resolve(compiled, &body, user_cap_n, carriage_y_mm, &plan, err, sizeof err) != 0)
 *           refuse with err;                                  (off the track for this person)
 *   exec_start(&tick_state->exec, plan);                      (plan outlives the run)
 *   ... plan_free(plan); plan_free(compiled);
 */
#ifndef INTERP_H
#define INTERP_H

#include <stddef.h>

#include "body.h"
#include "diag.h"
#include "exec.h"
#include "limits.h"
#include "plan.h"

/* Parse, check and compile text[0..len) named file. Diagnostics (warnings too) go to d.
 * 0 with *compiled set when there are no errors; -EINVAL when there are (in d); -ENOMEM. */
int interp_load(const char *text, size_t len, const char *file, const struct interp_limits *lim,
		struct interp_diags *d, struct plan **compiled);

/* Read a program file into a new NUL-terminated buffer (at most one byte past the size
 * limit, so an oversized file is still seen as one). 0, or a negative errno. */
int interp_read_file(const char *path, char **text, size_t *len);

/* interp_load on a file; a file that cannot be read is an error in d too. */
int interp_load_file(const char *path, const struct interp_limits *lim, struct interp_diags *d,
		     struct plan **compiled);

/* The built-in demonstration program (about 80 s): roll along the back, hold a trigger
 * point on L4, knead the lower back, let go. */
extern const char *const interp_demo_program;

#endif
