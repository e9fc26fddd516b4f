/* The technician's view of the machine: io.read (the process image the rt thread published,
 * every line, drive register and bus counter) and config.get (the running configuration,
 * without the machine's paths). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../process_image.h"
#include "methods.h"

int methods_io_read(void *app, struct panel_call *call, json_t *params, json_t **result,
		    struct panel_error *err)
{
	struct methods_ctx *m = app;
	const struct telem *t = &m->r->last;
	const struct rt_snapshot *snap = runner_snapshot(m->r);
	if (!snap)
		return session_refuse_state(m->session, err, "the chair has not run a tick yet");
	/* Ticks since the image was read, on the chair's clock: lockstep and real time alike. */
	uint64_t behind = t->tick > snap->tick ? t->tick - snap->tick : 0;
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
			      "backend", m->backend, "state", session_chair_state(m->session),
			      "tick", (json_int_t)t->tick, "image_tick", (json_int_t)snap->tick,
			      "age_ms", (double)behind * m->r->ctl.period_s * 1000.0, "y_mm",
			      t->y_mm, "z_mm", t->z_mm, "w_mm", t->w_mm, "force_n", t->force_n,
			      "knead_rpm", t->knead_rpm, "tap_rpm", t->tap_rpm, "back_deg",
			      t->back_deg);
	process_image_json(o, snap);
	json_object_set_new(o, "overruns", json_integer((json_int_t)t->overruns));
	json_object_set_new(o, "late_max_us",
			    json_real((double)snap->latency_max_ns / 1000.0));
	json_object_set_new(o, "io_errors", json_integer((json_int_t)snap->io_errors));
	json_object_set_new(o, "snapshots_dropped",
			    json_integer(runner_snapshots_dropped(m->r)));
	json_object_set_new(o, "faults_logged", json_integer((json_int_t)m->r->faults.count));
	*result = o;
	return 0;
}

int methods_config_get(void *app, struct panel_call *call, json_t *params, json_t **result,
		       struct panel_error *err)
{
	struct methods_ctx *m = app;
	/* PANEL.md: a reply never contains a path of the machine. The file keys and the bus
	 * device say which file, not where it is. */
	char *ini = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&ini, &len);
	if (!f) {
		panel_error_set(err, PANEL_E_INTERNAL, NULL, "out of memory");
		return PANEL_E_INTERNAL;
	}
	config_write_ini(m->cfg, f, true);
	fclose(f);
	*result = json_pack("{s:s%}", "ini", ini, len);
	free(ini);
	return 0;
}
