/* The composite backend "gpiod+modbus": the GPIO lines configured on the local gpiochip
 * through libgpiod, everything else (drives, IO module, the lines on the digital IO module)
 * through Modbus, merged into one struct hal_backend. */
#ifndef HAL_COMBO_H
#define HAL_COMBO_H

#include <stdbool.h>

#include "gpio_gpiod.h"
#include "hal.h"
#include "modbus_bus.h"

struct hal_combo {
	struct gpiod_be gpio;
	struct mbus bus;
	bool gpio_open;
	bool bus_open;
	bool allocated; /* made by hal_hw_backend_create: close frees it */
};

/* Fill b with the composite's operations on c (no allocation; c outlives b). */
void hal_combo_bind(struct hal_combo *c, struct hal_backend *b);

#endif
