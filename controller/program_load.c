/* From a chair's configuration and program text to a plan for one body. */
#include "program_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"

void program_limits(const struct chair_config *cfg, struct interp_limits *lim)
{
	interp_limits_default(lim);
	lim->track_min_mm = cfg->y.min_mm;
	lim->track_max_mm = cfg->y.max_mm;
	lim->carriage_min_mm_s = cfg->y.speed_min_mm_s;
	lim->carriage_max_mm_s = cfg->y.speed_max_mm_s;
	lim->z_max_mm = cfg->z.max_mm;
	lim->z_speed_mm_s = cfg->z.speed_max_mm_s;
	lim->force_max_n = cfg->force.max_n;
	lim->knead_max_rpm = cfg->knead.max_rpm;
	lim->tap_max_rpm = cfg->tap.max_rpm;
	lim->width_narrow_mm = cfg->width.narrow_mm;
	lim->width_medium_mm = cfg->width.medium_mm;
	lim->width_wide_mm = cfg->width.wide_mm;
	lim->airbag_max_kpa = cfg->airbag.max_kpa;
	lim->heat_max_c = cfg->heater.max_c;
	lim->session_max_ms = (uint32_t)(cfg->session.max_s * 1000);
}

int program_load_text(const char *text, size_t len, const char *name,
		      const struct chair_config *cfg, const struct body_map *body, double cap_n,
		      struct plan **out, FILE *diag)
{
	*out = NULL;
	struct interp_limits lim;
	program_limits(cfg, &lim);
	struct interp_diags *d = malloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	interp_diags_init(d, name);
	struct plan *compiled = NULL;
	int rc = interp_load(text, len, name, &lim, d, &compiled);
	if (diag && (d->errors || d->warnings))
		interp_diags_print(d, diag);
	free(d);
	if (rc != 0)
		return rc;
	char err[320];
	/* The run starts where homing parks the carriage: the top of the track. */
	rc = plan_resolve(compiled, body, cap_n, 0, out, err, sizeof(err));
	plan_free(compiled);
	if (rc == -ERANGE && diag)
		fprintf(diag, "%s:%s\n", name, err); /* err is "LINE:COL: error: MESSAGE" */
	else if (rc != 0 && diag)
		fprintf(diag, "%s: %s\n", name, err[0] ? err : strerror(-rc));
	return rc;
}

int program_load_file_for(const char *path, const struct chair_config *cfg,
			  const struct body_map *body, double cap_n, struct plan **out, FILE *diag)
{
	char *text;
	size_t len;
	int rc = interp_read_file(path, &text, &len);
	if (rc != 0) {
		if (diag)
			fprintf(diag, "%s: cannot read: %s\n", path, strerror(-rc));
		*out = NULL;
		return rc;
	}
	rc = program_load_text(text, len, path, cfg, body, cap_n, out, diag);
	free(text);
	return rc;
}

int program_load_file(const char *path, const struct chair_config *cfg, struct plan **out,
		      FILE *diag)
{
	struct interp_limits lim;
	program_limits(cfg, &lim);
	struct body_map body;
	body_default(&body, &lim);
	return program_load_file_for(path, cfg, &body, cfg->session.default_cap_n, out, diag);
}

int program_load_demo(const struct chair_config *cfg, struct plan **out, FILE *diag)
{
	struct interp_limits lim;
	program_limits(cfg, &lim);
	struct body_map body;
	body_default(&body, &lim);
	return program_load_text(interp_demo_program, strlen(interp_demo_program), "demo", cfg,
				 &body, cfg->session.default_cap_n, out, diag);
}
