/* Bang-bang with a dead band: the actuators are slow (degrees a second) and the angle
 * sensors fine, so a tolerance of a degree stops them without hunting. */
#include "recline.h"

void recline_reset(struct recline_ctl *r)
{
	r->preset = RECLINE_HOLD;
}

static void drive(double angle, double target, double tol, bool at_min, bool at_max,
		  enum hal_gpio_out increase, enum hal_gpio_out decrease, struct hal_outputs *out)
{
	bool inc = angle < target - tol && !at_max;
	bool dec = angle > target + tol && !at_min;
	hal_out_set(out, increase, inc);
	hal_out_set(out, decrease, dec);
}

void recline_control(struct recline_ctl *r, const struct recline_config *cfg,
		     enum recline_preset want, double back_deg, double leg_deg,
		     const struct hal_inputs *in, struct hal_outputs *out)
{
	if (want != RECLINE_HOLD)
		r->preset = want;
	if (r->preset == RECLINE_HOLD) {
		hal_out_set(out, HAL_OUT_BACK_UP, false);
		hal_out_set(out, HAL_OUT_BACK_DOWN, false);
		hal_out_set(out, HAL_OUT_LEG_UP, false);
		hal_out_set(out, HAL_OUT_LEG_DOWN, false);
		return;
	}
	drive(back_deg, cfg->back_deg[r->preset], cfg->tolerance_deg, hal_in(in, HAL_IN_BACK_MIN),
	      hal_in(in, HAL_IN_BACK_MAX), HAL_OUT_BACK_DOWN, HAL_OUT_BACK_UP, out);
	drive(leg_deg, cfg->leg_deg[r->preset], cfg->tolerance_deg, hal_in(in, HAL_IN_LEG_MIN),
	      hal_in(in, HAL_IN_LEG_MAX), HAL_OUT_LEG_UP, HAL_OUT_LEG_DOWN, out);
}
