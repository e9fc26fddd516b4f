/* Making the backend that a configuration names: the composition root's one call, so the
 * controller never includes a backend's internals. */
#ifndef BACKEND_H
#define BACKEND_H

#include "hal.h"

struct hal_sim;

struct backend {
	struct hal_backend ops;
	struct hal_sim *sim; /* the sim backend's state, owned here */
};

/* Allocate the backend for cfg->backend (start-up only) and fill b->ops; open it
 * afterwards with b->ops.open. err names what failed. */
int backend_create(const struct hal_config *cfg, struct backend *b, char *err, int err_len);
/* Free what backend_create took; call after b->ops.close (or instead, if never opened). */
void backend_destroy(struct backend *b);

#endif
