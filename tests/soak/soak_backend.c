/* The in-process simulator's backend with three faults the simulator itself has only on
 * the wire or not at all, made in the image as drivers/modbus_bus.c reports them: a unit
 * answering with a Modbus exception (its code in the unit's status, its count rising), a
 * read of the process image that fails, and a Z load cell reading far too high. Each
 * holds over a window of the simulator's clock, so the same seed gives the same visit. */
#include <errno.h>
#include <stdlib.h>

#include "../../drivers/hal.h"
#include "soak.h"

struct soak_backend {
	struct hal_backend outer; /* what the runner calls */
	struct hal_backend *inner;
	const struct sim *sim;
	struct soak_backend_faults f;
};

/* The simulator's ms the image just read was built in. */
static uint64_t image_ms(const struct soak_backend *b)
{
	return b->sim->time_ms ? b->sim->time_ms - 1 : 0;
}

static bool within(uint64_t t_ms, uint64_t from_ms, uint64_t to_ms)
{
	return t_ms >= from_ms && t_ms < to_ms;
}

static int wrap_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	struct soak_backend *b = ctx;
	return b->inner->open(b->inner->ctx, cfg, err, err_len);
}

static int wrap_read(void *ctx, struct hal_inputs *in)
{
	struct soak_backend *b = ctx;
	uint64_t t_ms = image_ms(b);
	if (within(t_ms, b->f.io_from_ms, b->f.io_to_ms))
		return -EIO; /* the image untouched, as a failed bulk read leaves it */
	int rc = b->inner->read(b->inner->ctx, in);
	if (rc < 0)
		return rc;
	if (within(t_ms, b->f.exception_from_ms, b->f.exception_to_ms)) {
		/* Every turn of the unit draws the exception: modbus_bus.c counts it and keeps
		 * its code and register in the unit's status. */
		struct hal_unit_status *us = &in->unit[b->f.exception_unit];
		us->exception = (uint16_t)b->f.exception_code;
		us->exception_reg = 0;
		us->last_exception = (uint16_t)b->f.exception_code;
		us->last_exception_reg = 0;
		us->exceptions += (uint32_t)(t_ms - b->f.exception_from_ms + 1);
	}
	if (within(t_ms, b->f.load_from_ms, b->f.load_to_ms))
		in->drive[HAL_AXIS_Z].actual_force_raw = (uint16_t)b->f.load_raw;
	return rc;
}

static int wrap_write(void *ctx, const struct hal_outputs *out)
{
	struct soak_backend *b = ctx;
	return b->inner->write(b->inner->ctx, out);
}

static int wrap_safe(void *ctx, const struct hal_outputs *out)
{
	struct soak_backend *b = ctx;
	return b->inner->safe(b->inner->ctx, out);
}

static void wrap_close(void *ctx)
{
	struct soak_backend *b = ctx;
	b->inner->close(b->inner->ctx);
}

struct soak_backend *soak_backend_new(struct hal_backend *inner, const struct sim *s,
				      struct hal_backend **outer)
{
	struct soak_backend *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->inner = inner;
	b->sim = s;
	b->outer = (struct hal_backend){.name = "soak", .ctx = b, .open = wrap_open,
					.read = wrap_read, .write = wrap_write,
					.safe = wrap_safe, .close = wrap_close};
	*outer = &b->outer;
	return b;
}

void soak_backend_free(struct soak_backend *b)
{
	free(b);
}

struct soak_backend_faults *soak_backend_faults(struct soak_backend *b)
{
	return &b->f;
}
