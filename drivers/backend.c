/* The sim backend is made here; the hardware ones by hal_hw_backend_create. */
#include "backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_sim.h"

int backend_create(const struct hal_config *cfg, struct backend *b, char *err, int err_len)
{
	memset(b, 0, sizeof(*b));
	if (cfg->backend == HAL_BACKEND_SIM) {
		b->sim = calloc(1, sizeof(*b->sim));
		if (!b->sim) {
			snprintf(err, (size_t)err_len, "out of memory for the simulated chair");
			return -ENOMEM;
		}
		hal_sim_bind(b->sim, &b->ops);
		return 0;
	}
	int rc = hal_hw_backend_create(cfg, &b->ops);
	if (rc < 0)
		snprintf(err, (size_t)err_len, "cannot create the hardware backend: %s",
			 strerror(-rc));
	return rc;
}

void backend_destroy(struct backend *b)
{
	free(b->sim);
	b->sim = NULL;
}
