/* A picture of a program's run for technicians: carriage position along a body outline,
 * pressure and technique over time, phases marked. SVG, from running the executor on an
 * ideal carriage (outside the tick). */
#ifndef INTERP_PLOT_H
#define INTERP_PLOT_H

#include <stdio.h>

#include "plan.h"

/* Write the SVG of a resolved plan to out. 0, -ENOMEM, or -EIO when writing fails. */
int interp_plot_svg(const struct plan *resolved, FILE *out);

#endif
