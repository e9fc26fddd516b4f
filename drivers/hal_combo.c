/* The composite backend and the constructor of the hardware backends. Each half touches
 * only the parts of the process image it owns: the gpiod half its lines' bits (and the
 * e-stop press count when the e-stop is on the gpiochip), the Modbus half the drives, the IO
 * module, the unit status and the bus's lines. */
#include "hal_combo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long open waits for every unit's first answer. A chair whose drive or module does
 * not answer at start-up is not started: the message names the unit. */
#define HAL_HW_READY_WAIT_MS 1000

static int combo_open_bus(struct hal_combo *c, const struct hal_config *cfg, char *err,
			  int err_len)
{
	int rc = mbus_open(&c->bus, cfg, err, err_len);
	if (rc < 0)
		return rc;
	rc = mbus_wait_ready(&c->bus, HAL_HW_READY_WAIT_MS, err, err_len);
	if (rc < 0) {
		mbus_close(&c->bus);
		return rc;
	}
	c->bus_open = true;
	return 0;
}

static int combo_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	struct hal_combo *c = ctx;
	int rc = gpiod_be_open(&c->gpio, cfg, err, err_len);
	if (rc < 0)
		return rc;
	c->gpio_open = true;
	rc = combo_open_bus(c, cfg, err, err_len);
	if (rc < 0) {
		gpiod_be_close(&c->gpio);
		c->gpio_open = false;
	}
	return rc;
}

static int combo_read(void *ctx, struct hal_inputs *in)
{
	struct hal_combo *c = ctx;
	int rc_bus = mbus_read(&c->bus, in);
	int rc_gpio = gpiod_be_read(&c->gpio, in);
	return rc_gpio < 0 ? rc_gpio : rc_bus;
}

static int combo_write(void *ctx, const struct hal_outputs *out)
{
	struct hal_combo *c = ctx;
	int rc_gpio = gpiod_be_write(&c->gpio, out);
	int rc_bus = mbus_write(&c->bus, out);
	return rc_gpio < 0 ? rc_gpio : rc_bus;
}

/* Both halves, the local lines first: they take effect at once whatever the bus does. */
static int combo_safe(void *ctx, const struct hal_outputs *safe_out)
{
	struct hal_combo *c = ctx;
	int rc_gpio = gpiod_be_write(&c->gpio, safe_out);
	int rc_bus = mbus_safe(&c->bus, safe_out);
	return rc_gpio < 0 ? rc_gpio : rc_bus;
}

static void combo_close(void *ctx)
{
	struct hal_combo *c = ctx;
	if (c->bus_open)
		mbus_close(&c->bus);
	if (c->gpio_open)
		gpiod_be_close(&c->gpio);
	c->bus_open = c->gpio_open = false;
	if (c->allocated)
		free(c);
}

void hal_combo_bind(struct hal_combo *c, struct hal_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->name = "gpiod+modbus";
	b->ctx = c;
	b->open = combo_open;
	b->read = combo_read;
	b->write = combo_write;
	b->safe = combo_safe;
	b->close = combo_close;
}

/* The Modbus backend alone, in storage that its close frees. */
static int mbus_alloc_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	return combo_open_bus(ctx, cfg, err, err_len);
}

static int mbus_alloc_read(void *ctx, struct hal_inputs *in)
{
	return mbus_read(&((struct hal_combo *)ctx)->bus, in);
}

static int mbus_alloc_write(void *ctx, const struct hal_outputs *out)
{
	return mbus_write(&((struct hal_combo *)ctx)->bus, out);
}

static int mbus_alloc_safe(void *ctx, const struct hal_outputs *safe_out)
{
	return mbus_safe(&((struct hal_combo *)ctx)->bus, safe_out);
}

int hal_hw_backend_create(const struct hal_config *cfg, struct hal_backend *b)
{
	if (cfg->backend != HAL_BACKEND_MODBUS && cfg->backend != HAL_BACKEND_GPIOD_MODBUS)
		return -EINVAL;
	struct hal_combo *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->allocated = true;
	hal_combo_bind(c, b);
	if (cfg->backend == HAL_BACKEND_MODBUS) {
		b->name = "modbus";
		b->open = mbus_alloc_open;
		b->read = mbus_alloc_read;
		b->write = mbus_alloc_write;
		b->safe = mbus_alloc_safe;
		/* combo_close closes what is open and frees c */
	}
	return 0;
}
