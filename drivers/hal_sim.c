/* The in-process simulator backend (see hal_sim.h). */
#include "hal_sim.h"

#include <errno.h>
#include <stdio.h>

/* A seed of 0 seats the 175 cm default person; any other seed a random one. Start
 * positions come from the same seed, so a config value fixes the whole run. */
static int sim_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	struct hal_sim *hs = ctx;
	if (!cfg) {
		if (err && err_len > 0)
			snprintf(err, (size_t)err_len, "sim backend: no configuration");
		return -EINVAL;
	}
	if (cfg->sim_seed == 0)
		sim_person_default(&hs->person);
	else
		sim_person_random(&hs->person, cfg->sim_seed);
	sim_init(&hs->sim, &hs->person, cfg->sim_seed);
	return 0;
}

static int sim_read_inputs(void *ctx, struct hal_inputs *in)
{
	struct hal_sim *hs = ctx;
	sim_read(&hs->sim, in);
	return 0;
}

static int sim_write_outputs(void *ctx, const struct hal_outputs *out)
{
	struct hal_sim *hs = ctx;
	sim_step_1ms(&hs->sim, out);
	return 0;
}

static void sim_close(void *ctx)
{
	(void)ctx;
}

void hal_sim_bind(struct hal_sim *hs, struct hal_backend *b)
{
	b->name = "sim";
	b->ctx = hs;
	b->open = sim_open;
	b->read = sim_read_inputs;
	b->write = sim_write_outputs;
	/* In lockstep there is no cycle to bypass: the safe outputs are simply the next. */
	b->safe = sim_write_outputs;
	b->close = sim_close;
}

struct sim *hal_sim_get(struct hal_sim *hs)
{
	return &hs->sim;
}
