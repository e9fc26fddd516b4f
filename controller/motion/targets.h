/* What the executor asks of the chair for one tick, in engineering units. Feedback
 * scaling, the limiter and axis control turn it into drive setpoints; nothing here is
 * trusted to be within limits. */
#ifndef MOTION_TARGETS_H
#define MOTION_TARGETS_H

#include <stdbool.h>

#include "../../drivers/hal.h"

enum z_mode {
	Z_RETRACT, /* roller off the body, back at its home */
	Z_DEPTH,   /* position-controlled protrusion: z_depth_mm */
	Z_FORCE,   /* force-controlled contact: z_force_n */
};

enum recline_preset {
	RECLINE_HOLD, /* leave the backrest and legrest where they are */
	RECLINE_UPRIGHT,
	RECLINE_RELAX,
	RECLINE_ZERO_GRAVITY,
	RECLINE_COUNT
};

struct motion_targets {
	double y_mm;          /* carriage position target on the track */
	double y_speed_mm_s;  /* speed to move there with; 0 = the chair's default */
	enum z_mode z_mode;
	double z_depth_mm;
	double z_force_n;
	double z_search_mm;   /* Z_FORCE: with no contact the roller comes out no further than
	                         this (the person's skin and a margin), 0 = no bound */
	double knead_rpm;     /* signed: the sign is the direction */
	double tap_rpm;
	double width_mm;      /* roller spacing; 0 = leave as is */
	double airbag_kpa[HAL_AIRBAG_COUNT]; /* 0 = vented */
	double heat_c[HAL_HEATER_COUNT];     /* 0 = off */
	enum recline_preset recline;
};

/* Targets that ask for nothing: rollers off the body, motors still, airbags vented,
 * heat off, recline held, carriage where it is (y_now_mm). */
void targets_rest(struct motion_targets *t, double y_now_mm);

#endif
