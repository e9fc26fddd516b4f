/* Force PI. The drive's velocity loop and the tissue's stiffness make force the integral
 * of speed, so a proportional term alone settles with little error; the integral removes
 * what tissue creep and load-cell offset leave. Anti-windup by conditional integration:
 * the integral only grows while the output is not saturated, so the approach at full
 * speed through the gap before contact does not store a push that overshoots later. */
#include "force.h"

void force_reset(struct force_ctl *fc)
{
	fc->integral_mm_s = 0;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

double force_step(struct force_ctl *fc, const struct force_gains *g, double target_n,
		  double measured_n, double cap_n, double dt_s)
{
	/* A cap or a reading that is not a number proves nothing: a cap of 0, a reading over
	 * it, so the roller backs off at release speed. */
	if (!(cap_n >= 0))
		cap_n = 0;
	if (!(measured_n == measured_n))
		return -g->vrelease_mm_s;
	if (!(target_n <= cap_n)) /* a target that is not a number is the cap too */
		target_n = cap_n;
	double err_n = target_n - measured_n;
	double p = g->kp_mm_s_per_n * err_n;
	double unsat = p + fc->integral_mm_s;
	double out = clamp(unsat, -g->vmax_mm_s, g->vmax_mm_s);
	if (unsat == out || (unsat > out && err_n < 0) || (unsat < out && err_n > 0)) {
		fc->integral_mm_s += g->ki_mm_s2_per_n * err_n * dt_s;
		fc->integral_mm_s = clamp(fc->integral_mm_s, -g->vmax_mm_s, g->vmax_mm_s);
	}
	if (measured_n >= cap_n) {
		/* At or past the cap: no stored integral may keep pushing. */
		if (fc->integral_mm_s > 0)
			fc->integral_mm_s = 0;
		double back = -FORCE_OVER_CAP_GAIN * g->kp_mm_s_per_n * (measured_n - cap_n);
		if (out > back)
			out = back;
	}
	if (err_n < -g->release_over_n || measured_n > cap_n) {
		double back = g->kp_mm_s_per_n * err_n;
		if (out > back)
			out = back;
	}
	/* Never faster back than the release speed, however far past the cap. */
	return out < -g->vrelease_mm_s ? -g->vrelease_mm_s : out;
}
