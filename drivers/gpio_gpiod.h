/* The GPIO backend on libgpiod 1.6 (the v1 API): the chair's switches, e-stop, valves and
 * relays on a local gpiochip. Every libgpiod call of the project lives in gpio_gpiod.c, so a
 * move to the v2 API touches only these two files.
 *
 * It serves the lines whose config location is HAL_LINE_GPIOCHIP and leaves the others (and
 * everything that is not a GPIO line) in the process image untouched: the composite backend
 * (hal_combo.c) puts the Modbus part beside it. */
#ifndef GPIO_GPIOD_H
#define GPIO_GPIOD_H

#include <gpiod.h>
#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#define GPIOD_BE_CONSUMER "chaird"

struct gpiod_be {
	struct gpiod_chip *chip; /* NULL when no line lives on a gpiochip */
	char chip_name[HAL_NAME_MAX];

	/* Inputs but the e-stop, requested together so one ioctl reads them all. */
	struct gpiod_line_bulk in_bulk;
	enum hal_gpio_in in_line_of[HAL_IN_COUNT]; /* bulk position -> image bit */
	uint32_t in_mask;        /* image bits this backend owns (e-stop included) */
	uint32_t in_active_low;  /* image bits whose electrical level is inverted */

	bool in_requested;

	/* The e-stop, requested for both-edges events so a press between two reads counts;
	 * NULL unless it is on the gpiochip and requested. */
	struct gpiod_line *estop;
	uint32_t estop_presses;  /* press edges since open */

	struct gpiod_line_bulk out_bulk;
	enum hal_gpio_out out_line_of[HAL_OUT_COUNT];
	uint32_t out_mask;
	uint32_t out_active_low;
	bool out_requested;

	bool is_open;
};

/* Open the chip of cfg->gpiochip and request every line configured on it: inputs as inputs,
 * the e-stop for edge events, outputs at their safe values. The heartbeat line (driven as
 * any output: the tick toggles its bit) is requested when some other output is local too,
 * and then it must be there: it feeds the charge-pump relay that powers heaters and pump.
 * With every other output on the bus it is left alone. 0, or a negative errno with a
 * message naming the chip or line in err (missing chip, missing line, line held elsewhere). */
int gpiod_be_open(struct gpiod_be *g, const struct hal_config *cfg, char *err, int err_len);

/* Read every owned input with one bulk get, and count e-stop press edges pending since the
 * last read into in->estop_presses. Touches only the bits of in->gpio_in it owns. */
int gpiod_be_read(struct gpiod_be *g, struct hal_inputs *in);

/* Set every owned output with one bulk set. */
int gpiod_be_write(struct gpiod_be *g, const struct hal_outputs *out);

/* Release every line (outputs keep the value they had, as the kernel leaves them) and the chip. */
void gpiod_be_close(struct gpiod_be *g);

/* Fill b with this backend's operations on g (no allocation; g outlives b). */
void gpiod_be_bind(struct gpiod_be *g, struct hal_backend *b);

#endif
