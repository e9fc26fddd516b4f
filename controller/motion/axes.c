/* Drive setpoints. Every drive runs in velocity mode except width (position mode, it has
 * an absolute encoder and no load); the controller closes the carriage position loop and
 * the roller force loop itself so both can be limited and checked here. The Z drive also
 * gets the cap as its force limit (target_force), so a drive that keeps running on a
 * stale command still cannot press past it. */
#include "axes.h"

#include <math.h>
#include <string.h>

#include "../num.h"
/* Depth mode backs off from this share of the cap. Measured on every shipped program and
 * simulated body: backing off from the cap itself let the true force pass it by up to 3 %,
 * from 95 % of it by 1 %; from 90 % it stays at least 3 % under. A carriage sweeping at
 * 40 mm/s at full depth still passes it by some 2 %: the force gain (kp_mm_s_per_n) backs
 * off slowly, and a steeper back-off makes the roller chatter into a stall trip. */
#define DEPTH_CAP_GUARD 0.9
/* The roller is home when its homed encoder reads zero (counts are 0.1 mm); the last of the way
 * goes at no less than the slowest speed, so it gets there rather than creep toward it. */
#define Z_HOME_WITHIN_MM 0.05
/* "Too much" retracts at release speed until the force is this close above the lowered
 * cap: the drive's lag carries it on below, and the force loop comes back up gently. At
 * most this share of the cap, so a light press (a cap of 0.55 x 4 N) still ends 40 % down. */
#define Z_DROP_SLACK_N 1.0
#define Z_DROP_SLACK_SHARE 0.05
#define Z_HOME_MIN_MM_S 2.0

void axes_reset(struct axes *ax)
{
	memset(ax, 0, sizeof(*ax));
	heater_reset(&ax->heater);
	recline_reset(&ax->recline);
	force_reset(&ax->force);
}

/* A value into a register; NaN, which no register can carry, becomes 0 (stop, no force). */
static int16_t to_raw(double value, double scale)
{
	double r = num_round_to_int(value / scale);
	if (!(r == r))
		return 0;
	return (int16_t)(r > 32767 ? 32767 : r < -32768 ? -32768 : r);
}

static uint16_t to_uraw(double value, double scale)
{
	double r = num_round_to_int(value / scale);
	if (!(r == r))
		return 0;
	return (uint16_t)(r > 65535 ? 65535 : r < 0 ? 0 : r);
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void velocity_cmd(struct hal_drive_out *d, double v, double scale, int current_ma,
			 int comm_timeout_ms)
{
	d->control = HAL_CTL_ENABLE | (HAL_MODE_VELOCITY << HAL_CTL_MODE_SHIFT);
	d->target_velocity_raw = to_raw(v, scale);
	d->current_limit_ma = (uint16_t)current_ma;
	d->comm_timeout_ms = (uint16_t)comm_timeout_ms;
}

double axes_z_release_mm_s(const struct chair_config *cfg, const struct estimate *est,
			   const struct hal_inputs *in)
{
	/* A load cell reading NaN counts as contact: only a reading proven light stops it. */
	if (!(est->force_n <= cfg->force.contact_n))
		return -cfg->force.release_speed_mm_s;
	if (!est->z_homed)
		return hal_in(in, HAL_IN_Z_HOME) ? 0 : -cfg->z.home_slow_mm_s;
	if (!(est->z_mm > Z_HOME_WITHIN_MM))
		return est->z_mm <= Z_HOME_WITHIN_MM ? 0 : -cfg->z.home_slow_mm_s;
	return -clamp(cfg->z.kp_per_s * est->z_mm, Z_HOME_MIN_MM_S, cfg->z.speed_max_mm_s);
}

static double carriage(struct axes *ax, const struct chair_config *cfg, const struct estimate *est,
		       const struct motion_targets *t, double cap_n, double dt_s)
{
	if (!est->y_homed) {
		ax->y_traj_live = false;
		return 0;
	}
	if (!ax->y_traj_live) {
		traj_reset(&ax->y_traj, est->y_mm);
		ax->y_traj_live = true;
	}
	struct traj_limits lim = {t->y_speed_mm_s, cfg->y.accel_mm_s2, cfg->y.jerk_mm_s3};
	/* Feed hold: while the roller presses past the cap, the carriage stops where it can
	 * rather than carry on onto whatever made the force rise. */
	double y_target = est->force_n > cap_n ? ax->y_traj.pos_mm : t->y_mm;
	traj_step(&ax->y_traj, y_target, &lim, dt_s);
	double v = ax->y_traj.vel_mm_s + cfg->y.kp_per_s * (ax->y_traj.pos_mm - est->y_mm);
	return clamp(v, -cfg->y.speed_max_mm_s, cfg->y.speed_max_mm_s);
}

/* The force AXES_FORECAST_S ahead if it goes on rising as fast as over the last readings;
 * the reading itself while it rises slowly, falls, or before there are readings enough.
 * Takes force_n in. A reading that is not a number is its own forecast (the callers' checks
 * treat it as contact) and leaves the readings as they were. */
static double force_ahead_n(struct axes *ax, double force_n, double dt_s)
{
	if (!(force_n == force_n))
		return force_n;
	double ahead_n = force_n;
	if (ax->force_seen == AXES_RISE_TICKS) {
		double rise_n_s = (force_n - ax->force_seen_n[0]) / (AXES_RISE_TICKS * dt_s);
		if (rise_n_s > AXES_RISE_MIN_N_S)
			ahead_n += rise_n_s * AXES_FORECAST_S;
		for (int i = 1; i < AXES_RISE_TICKS; i++)
			ax->force_seen_n[i - 1] = ax->force_seen_n[i];
		ax->force_seen--;
	}
	ax->force_seen_n[ax->force_seen++] = force_n;
	return ahead_n;
}

static double roller(struct axes *ax, const struct chair_config *cfg, const struct estimate *est,
		     const struct hal_inputs *in, const struct motion_targets *t, double cap_n,
		     double dt_s)
{
	const double vmax = cfg->z.speed_max_mm_s;
	if (t->z_mode != Z_FORCE)
		force_reset(&ax->force);
	if (t->z_mode == Z_RETRACT)
		ax->z_contact_seen = false;
	if (est->force_n >= cfg->force.contact_n) {
		ax->z_contact_mm = est->z_mm;
		ax->z_contact_seen = true;
	}
	double ahead_n = force_ahead_n(ax, est->force_n, dt_s > 0 ? dt_s : 1e-3);
	if (!est->z_homed)
		return 0;
	/* "Too much" is a drop, not a slewed target: the release path down to the new cap,
	 * then the force loop takes over from there. A force rising so fast that it will be
	 * past the cap before the drive could turn round (the body coming at the roller: the
	 * carriage carrying it from the neck onto the shoulders, 60 mm/s of body at 30 mm/s of
	 * carriage, where the force loop's back-off let a 17 N target reach 43 N) drops the
	 * same way, from before the cap rather than after it. */
	double drop_to_n = cap_n + num_fmin(Z_DROP_SLACK_N, Z_DROP_SLACK_SHARE * cap_n);
	if ((t->z_mode == Z_FORCE || t->z_mode == Z_DEPTH) && ahead_n > drop_to_n)
		ax->z_dropping = true;
	if (ax->z_dropping) {
		if (!(est->force_n <= drop_to_n && ahead_n <= drop_to_n))
			return -cfg->force.release_speed_mm_s;
		ax->z_dropping = false;
	}
	switch (t->z_mode) {
	case Z_FORCE: {
		struct force_gains g = {cfg->force.kp_mm_s_per_n, cfg->force.ki_mm_s2_per_n, vmax,
					cfg->force.release_speed_mm_s, cfg->force.release_over_n};
		double v = force_step(&ax->force, &g, t->z_force_n, est->force_n, cap_n, dt_s);
		if (v > 0 && est->z_mm >= cfg->z.max_mm)
			v = 0;
		/* No body where one should be (above the neck, say): the roller waits near where
		 * the skin would be, not far out, where the carriage would carry it into the body
		 * the moment it comes back under it. */
		if (v > 0 && t->z_search_mm > 0 && est->force_n < cfg->force.contact_n &&
		    est->z_mm >= t->z_search_mm)
			v = 0;
		/* Where the body falls away (above the shoulders, past the head), searching for
		 * it would push the roller far out, and the carriage would then carry it deep
		 * into the next part of the back. Search only a little past the last contact. */
		if (v > 0 && ax->z_contact_seen && est->force_n < cfg->force.contact_n &&
		    est->z_mm >= ax->z_contact_mm + cfg->force.search_mm)
			v = 0;
		return v;
	}
	case Z_DEPTH: {
		double v = clamp(cfg->z.kp_per_s * (t->z_depth_mm - est->z_mm), -vmax, vmax);
		/* A depth is a place, not a force: the carriage can carry the roller onto stiffer
		 * tissue faster than a loop backing off at the cap itself catches up. Backing
		 * off from just below it keeps the true force under the cap. */
		double guard_n = DEPTH_CAP_GUARD * cap_n;
		if (est->force_n > guard_n)
			v = num_fmin(v, -cfg->force.kp_mm_s_per_n * (est->force_n - guard_n));
		return v;
	}
	case Z_RETRACT:
		break;
	}
	return axes_z_release_mm_s(cfg, est, in);
}

void axes_control(struct axes *ax, const struct chair_config *cfg, const struct estimate *est,
		  const struct hal_inputs *in, const struct motion_targets *t,
		  const struct axes_override *ov, double cap_n, double dt_s,
		  struct hal_outputs *out)
{
	const int comm_ms = cfg->drive_comm_timeout_ms;
	double y_v, z_v;
	if (ov->active) {
		ax->y_traj_live = false;
		force_reset(&ax->force);
		y_v = ov->y_mm_s;
		z_v = ov->z_mm_s;
	} else {
		y_v = carriage(ax, cfg, est, t, cap_n, dt_s);
		z_v = roller(ax, cfg, est, in, t, cap_n, dt_s);
	}
	ax->y_cmd_mm_s = y_v;
	ax->z_cmd_mm_s = z_v;
	struct hal_drive_out *d = out->drive;
	velocity_cmd(&d[HAL_AXIS_Y], y_v, cfg->y.velocity_scale, cfg->y.current_limit_ma, comm_ms);
	velocity_cmd(&d[HAL_AXIS_Z], z_v, cfg->z.velocity_scale, cfg->z.current_limit_ma, comm_ms);
	d[HAL_AXIS_Z].target_force_raw =
		t->z_mode == Z_RETRACT && !ov->active ? 0 : to_uraw(cap_n, cfg->force.scale_n);
	velocity_cmd(&d[HAL_AXIS_K], t->knead_rpm, cfg->knead.velocity_scale,
		     cfg->knead.current_limit_ma, comm_ms);
	velocity_cmd(&d[HAL_AXIS_T], t->tap_rpm, cfg->tap.velocity_scale, cfg->tap.current_limit_ma,
		     comm_ms);
	struct hal_drive_out *w = &d[HAL_AXIS_W];
	w->control = HAL_CTL_ENABLE | (HAL_MODE_POSITION << HAL_CTL_MODE_SHIFT);
	if (t->width_mm > 0)
		ax->w_target_mm = t->width_mm;
	else if (ax->w_target_mm == 0)
		ax->w_target_mm = est->w_mm;
	w->target_position_raw = to_raw(ax->w_target_mm, cfg->w.position_scale_mm);
	w->target_velocity_raw = to_raw(cfg->w.speed_max_mm_s, cfg->w.velocity_scale);
	w->current_limit_ma = (uint16_t)cfg->w.current_limit_ma;
	w->comm_timeout_ms = (uint16_t)comm_ms;

	hal_out_set(out, HAL_OUT_DRIVE_ENABLE, true);
	airbag_control(t->airbag_kpa, est->airbag_kpa, cfg->airbag.hysteresis_kpa, out);
	heater_control(&ax->heater, &cfg->heater, t->heat_c, est->heater_c, dt_s, out);
	recline_control(&ax->recline, &cfg->recline, t->recline, est->back_deg, est->leg_deg, in,
			out);
}
