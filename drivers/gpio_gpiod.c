/* The GPIO backend on libgpiod 1.6: lines by name, one bulk get and one bulk set per tick,
 * the e-stop watched by edge events. Active-low is applied here in software (an XOR with a
 * mask) rather than with GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW: the v1 API takes request flags
 * per request, and a bulk get needs all lines in one request, so per-line polarity would
 * otherwise cost one request and one ioctl per polarity. */
#include "gpio_gpiod.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Most events drained per read: a bouncing button makes a handful per press; the rest stay
 * queued in the kernel for the next tick, so the work per tick stays bounded. */
#define GPIOD_BE_EVENTS_PER_READ 16

/* The errno of a failed libgpiod call as a negative value, never 0. */
static int gpiod_be_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

/* Find one line by name on the open chip; a clear error when it is not there. */
static int gpiod_be_find(struct gpiod_be *g, const char *name, const char *role,
			 struct gpiod_line **line, char *err, int err_len)
{
	errno = 0;
	*line = gpiod_chip_find_line(g->chip, name);
	if (*line)
		return 0;
	int rc = errno == 0 || errno == ENOENT ? -ENOENT : gpiod_be_errno();
	if (rc == -ENOENT)
		hal_errf(err, err_len, "GPIO line '%s' (%s) not found on %s", name, role,
			     g->chip_name);
	else
		hal_errf(err, err_len, "GPIO line '%s' (%s): lookup on %s failed: %s", name,
			     role, g->chip_name, strerror(-rc));
	return rc;
}

/* Explain a failed request of a bulk: name the line another process holds, if one does. */
static int gpiod_be_request_failed(struct gpiod_be *g, struct gpiod_line_bulk *bulk,
				   const char *what, char *err, int err_len)
{
	int rc = gpiod_be_errno();
	for (unsigned int i = 0; i < gpiod_line_bulk_num_lines(bulk); i++) {
		struct gpiod_line *line = gpiod_line_bulk_get_line(bulk, i);
		gpiod_line_update(line);
		if (gpiod_line_is_used(line)) {
			const char *consumer = gpiod_line_consumer(line);
			hal_errf(err, err_len, "GPIO line '%s' on %s is busy: held by '%s'",
				     gpiod_line_name(line) ? gpiod_line_name(line) : "?",
				     g->chip_name, consumer ? consumer : "another process");
			return rc == -EBUSY ? rc : -EBUSY;
		}
	}
	hal_errf(err, err_len, "GPIO request of the %s lines on %s failed: %s", what,
		     g->chip_name, strerror(-rc));
	return rc;
}

/* Look up and request the input lines (but the e-stop) as one bulk. */
static int gpiod_be_open_inputs(struct gpiod_be *g, const struct hal_config *cfg, char *err,
				int err_len)
{
	struct gpiod_line *estop = NULL;
	gpiod_line_bulk_init(&g->in_bulk);
	for (int i = 0; i < HAL_IN_COUNT; i++) {
		const struct hal_line_config *lc = &cfg->in_line[i];
		if (lc->location != HAL_LINE_GPIOCHIP)
			continue;
		g->in_mask |= 1u << i;
		if (lc->active_low)
			g->in_active_low |= 1u << i;
		struct gpiod_line *line;
		int rc = gpiod_be_find(g, lc->name, hal_gpio_in_name[i], &line, err, err_len);
		if (rc < 0)
			return rc;
		if (i == HAL_IN_ESTOP) {
			estop = line;
			continue;
		}
		g->in_line_of[gpiod_line_bulk_num_lines(&g->in_bulk)] = (enum hal_gpio_in)i;
		gpiod_line_bulk_add(&g->in_bulk, line);
	}
	if (gpiod_line_bulk_num_lines(&g->in_bulk) > 0) {
		if (gpiod_line_request_bulk_input_flags(&g->in_bulk, GPIOD_BE_CONSUMER, 0) < 0)
			return gpiod_be_request_failed(g, &g->in_bulk, "input", err, err_len);
		g->in_requested = true;
	}
	if (estop) {
		if (gpiod_line_request_both_edges_events(estop, GPIOD_BE_CONSUMER) < 0) {
			struct gpiod_line_bulk one;
			gpiod_line_bulk_init(&one);
			gpiod_line_bulk_add(&one, estop);
			return gpiod_be_request_failed(g, &one, "e-stop event", err, err_len);
		}
		g->estop = estop;
	}
	return 0;
}

/* Whether the heartbeat line is wanted: some other output is local, so the charge-pump
 * relay it feeds has heaters or pump to cut. With every other output on the bus the DIO
 * module's own watchdog stands in for it, and the line is left alone. */
static bool gpiod_be_wants_heartbeat(const struct hal_config *cfg)
{
	if (cfg->out_line[HAL_OUT_HEARTBEAT].location != HAL_LINE_GPIOCHIP)
		return false;
	for (int i = 0; i < HAL_OUT_COUNT; i++)
		if (i != HAL_OUT_HEARTBEAT && cfg->out_line[i].location == HAL_LINE_GPIOCHIP)
			return true;
	return false;
}

/* Whether this backend requests output line i. */
static bool gpiod_be_owns_output(const struct hal_config *cfg, int i)
{
	if (i == HAL_OUT_HEARTBEAT)
		return gpiod_be_wants_heartbeat(cfg);
	return cfg->out_line[i].location == HAL_LINE_GPIOCHIP;
}

/* Look up and request the output lines as one bulk, each starting at its safe value. */
static int gpiod_be_open_outputs(struct gpiod_be *g, const struct hal_config *cfg, char *err,
				 int err_len)
{
	struct hal_outputs safe;
	hal_safe_outputs(&safe, 0);
	int defaults[HAL_OUT_COUNT];
	gpiod_line_bulk_init(&g->out_bulk);
	for (int i = 0; i < HAL_OUT_COUNT; i++) {
		const struct hal_line_config *lc = &cfg->out_line[i];
		if (!gpiod_be_owns_output(cfg, i))
			continue;
		g->out_mask |= 1u << i;
		if (lc->active_low)
			g->out_active_low |= 1u << i;
		struct gpiod_line *line;
		int rc = gpiod_be_find(g, lc->name, hal_gpio_out_name[i], &line, err, err_len);
		if (rc == -ENOENT && i == HAL_OUT_HEARTBEAT)
			hal_errf(err, err_len,
				 "GPIO line '%s' (heartbeat) not found on %s: the local outputs need "
				 "it, toggled every tick, to feed the charge-pump relay that powers "
				 "heaters and pump",
				 lc->name, g->chip_name);
		if (rc < 0)
			return rc;
		unsigned int n = gpiod_line_bulk_num_lines(&g->out_bulk);
		g->out_line_of[n] = (enum hal_gpio_out)i;
		defaults[n] = hal_out(&safe, (enum hal_gpio_out)i) ^ (int)lc->active_low;
		gpiod_line_bulk_add(&g->out_bulk, line);
	}
	if (gpiod_line_bulk_num_lines(&g->out_bulk) > 0) {
		if (gpiod_line_request_bulk_output_flags(&g->out_bulk, GPIOD_BE_CONSUMER, 0,
							 defaults) < 0)
			return gpiod_be_request_failed(g, &g->out_bulk, "output", err, err_len);
		g->out_requested = true;
	}
	return 0;
}

/* True when at least one line of the config lives on the gpiochip. */
static bool gpiod_be_any_line(const struct hal_config *cfg)
{
	for (int i = 0; i < HAL_IN_COUNT; i++)
		if (cfg->in_line[i].location == HAL_LINE_GPIOCHIP)
			return true;
	for (int i = 0; i < HAL_OUT_COUNT; i++)
		if (gpiod_be_owns_output(cfg, i))
			return true;
	return false;
}

int gpiod_be_open(struct gpiod_be *g, const struct hal_config *cfg, char *err, int err_len)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->chip_name, sizeof(g->chip_name), "%s", cfg->gpiochip);
	if (!gpiod_be_any_line(cfg)) {
		g->is_open = true; /* everything is on the bus: no chip to open */
		return 0;
	}
	errno = 0;
	g->chip = gpiod_chip_open_lookup(cfg->gpiochip);
	if (!g->chip) {
		int rc = errno > 0 ? -errno : -ENOENT;
		hal_errf(err, err_len, "gpiochip '%s': cannot open: %s", cfg->gpiochip,
			     strerror(-rc));
		return rc;
	}
	g->is_open = true;
	int rc = gpiod_be_open_inputs(g, cfg, err, err_len);
	if (rc == 0)
		rc = gpiod_be_open_outputs(g, cfg, err, err_len);
	if (rc < 0)
		gpiod_be_close(g);
	return rc;
}

/* Count the e-stop press edges the kernel queued since the last read, without waiting. */
static int gpiod_be_drain_estop(struct gpiod_be *g, bool active_low)
{
	const struct timespec no_wait = {0, 0};
	int press_type = active_low ? GPIOD_LINE_EVENT_FALLING_EDGE : GPIOD_LINE_EVENT_RISING_EDGE;
	for (int n = 0; n < GPIOD_BE_EVENTS_PER_READ; n++) {
		int pending = gpiod_line_event_wait(g->estop, &no_wait);
		if (pending < 0)
			return gpiod_be_errno();
		if (pending == 0)
			return 0;
		struct gpiod_line_event ev;
		if (gpiod_line_event_read(g->estop, &ev) < 0)
			return gpiod_be_errno();
		if (ev.event_type == press_type)
			g->estop_presses++;
	}
	return 0;
}

int gpiod_be_read(struct gpiod_be *g, struct hal_inputs *in)
{
	uint32_t level = 0;
	unsigned int n = gpiod_line_bulk_num_lines(&g->in_bulk);
	if (n > 0) {
		int values[HAL_IN_COUNT];
		if (gpiod_line_get_value_bulk(&g->in_bulk, values) < 0)
			return gpiod_be_errno();
		for (unsigned int i = 0; i < n; i++)
			if (values[i])
				level |= 1u << g->in_line_of[i];
	}
	if (g->estop) {
		bool active_low = g->in_active_low & (1u << HAL_IN_ESTOP);
		int rc = gpiod_be_drain_estop(g, active_low);
		if (rc < 0)
			return rc;
		int v = gpiod_line_get_value(g->estop);
		if (v < 0)
			return gpiod_be_errno();
		if (v)
			level |= 1u << HAL_IN_ESTOP;
		in->estop_presses = g->estop_presses;
	}
	in->gpio_in = (in->gpio_in & ~g->in_mask) | ((level ^ g->in_active_low) & g->in_mask);
	return 0;
}

int gpiod_be_write(struct gpiod_be *g, const struct hal_outputs *out)
{
	unsigned int n = gpiod_line_bulk_num_lines(&g->out_bulk);
	if (n == 0)
		return 0;
	uint32_t level = out->gpio_out ^ g->out_active_low;
	int values[HAL_OUT_COUNT];
	for (unsigned int i = 0; i < n; i++)
		values[i] = (level >> g->out_line_of[i]) & 1u;
	if (gpiod_line_set_value_bulk(&g->out_bulk, values) < 0)
		return gpiod_be_errno();
	return 0;
}

void gpiod_be_close(struct gpiod_be *g)
{
	if (!g->is_open)
		return;
	if (g->out_requested)
		gpiod_line_release_bulk(&g->out_bulk);
	if (g->in_requested)
		gpiod_line_release_bulk(&g->in_bulk);
	if (g->estop)
		gpiod_line_release(g->estop);
	if (g->chip)
		gpiod_chip_close(g->chip);
	g->chip = NULL;
	g->estop = NULL;
	g->in_requested = g->out_requested = false;
	g->is_open = false;
}

/* ---- struct hal_backend glue ---- */

static int gpiod_be_op_open(void *ctx, const struct hal_config *cfg, char *err, int err_len)
{
	return gpiod_be_open(ctx, cfg, err, err_len);
}

static int gpiod_be_op_read(void *ctx, struct hal_inputs *in)
{
	return gpiod_be_read(ctx, in);
}

static int gpiod_be_op_write(void *ctx, const struct hal_outputs *out)
{
	return gpiod_be_write(ctx, out);
}

static void gpiod_be_op_close(void *ctx)
{
	gpiod_be_close(ctx);
}

void gpiod_be_bind(struct gpiod_be *g, struct hal_backend *b)
{
	memset(b, 0, sizeof(*b));
	b->name = "gpiod";
	b->ctx = g;
	b->open = gpiod_be_op_open;
	b->read = gpiod_be_op_read;
	b->write = gpiod_be_op_write;
	b->safe = gpiod_be_op_write; /* a bulk set is already immediate */
	b->close = gpiod_be_op_close;
}
