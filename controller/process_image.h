/* The process image as JSON, for the people who read it: io.read (the technician's live
 * view) and the fault log (the image kept with a fault, so the technician sees what the
 * chair read and wrote when it latched). */
#ifndef PROCESS_IMAGE_H
#define PROCESS_IMAGE_H

#include <jansson.h>

#include "rt.h"
#include "tick.h"

/* The snapshot's lines, drives, IO module and bus units into o: inputs, outputs, drives,
 * io_module, bus, estop_presses. */
void process_image_json(json_t *o, const struct rt_snapshot *snap);
/* What one tick's telemetry says of the machine: its tick, state, axes, force, lines (by
 * name, from the tick's own bits), airbags and heaters. A new object. */
json_t *process_telem_json(const struct telem *t);

#endif
