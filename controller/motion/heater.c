/* PI duty chosen once per window: a relay must not chatter, and the heater's thermal mass
 * (minutes) makes a 1 s window smooth. Proportional alone settles a couple of degrees
 * short, because holding 40 °C takes about 60 % duty; the integral supplies that. It only
 * integrates near the set point, so the minutes of warm-up at full duty do not wind it up
 * into an overshoot. Above the operating maximum the relay is off whatever the target;
 * the safety supervisor trips at the cut-off. */
#include "heater.h"

#include <string.h>

void heater_reset(struct heater_ctl *h)
{
	memset(h, 0, sizeof(*h));
}

void heater_control(struct heater_ctl *h, const struct heater_config *cfg,
		    const double target_c[HAL_HEATER_COUNT],
		    const double actual_c[HAL_HEATER_COUNT], double dt_s, struct hal_outputs *out)
{
	if (h->window_pos_s == 0) {
		for (int i = 0; i < HAL_HEATER_COUNT; i++) {
			if (target_c[i] <= 0) {
				h->duty[i] = 0;
				h->integral[i] = 0;
				continue;
			}
			double err_c = target_c[i] - actual_c[i];
			if (err_c > -cfg->integral_band_c && err_c < cfg->integral_band_c) {
				h->integral[i] += cfg->ki_per_c_s * err_c * cfg->window_s;
				h->integral[i] = h->integral[i] < 0 ? 0 : h->integral[i] > 1 ? 1 : h->integral[i];
			}
			double d = cfg->kp_per_c * err_c + h->integral[i];
			h->duty[i] = d < 0 ? 0 : d > 1 ? 1 : d;
		}
	}
	for (int i = 0; i < HAL_HEATER_COUNT; i++) {
		int on = target_c[i] > 0 && actual_c[i] < cfg->max_c &&
			 h->window_pos_s < h->duty[i] * cfg->window_s;
		hal_out_set(out, i == HAL_HEATER_LUMBAR ? HAL_OUT_HEAT_LUMBAR : HAL_OUT_HEAT_CALVES,
			    on);
	}
	h->window_pos_s += dt_s;
	if (h->window_pos_s >= cfg->window_s - dt_s / 2)
		h->window_pos_s = 0;
}
