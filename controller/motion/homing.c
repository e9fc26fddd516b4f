/* Homing as two small state machines, one per axis, sharing one shape: leave the switch
 * if on it, seek fast, brake, back off, seek slowly for a precise edge, park at 0.
 * The fast pass finds the switch from anywhere on the 1300 mm track within the 20 s
 * budget; the slow pass makes the edge independent of how stale the switch reading
 * was at speed (up to 2.4 mm at 80 mm/s over a 30 ms RTU bus). */
#include "homing.h"

#include <math.h>

static const double backoff_mm = 5.0;
static const double leave_mm_s = 10.0;

void homing_start(struct homing *h)
{
	h->y = (struct home_axis){.phase = HOME_WAIT};
	h->z = (struct home_axis){.phase = HOME_SEEK};
}

static double ramp(double v, double want, double accel, double dt_s)
{
	double dv = accel * dt_s;
	if (want > v + dv)
		return v + dv;
	if (want < v - dv)
		return v - dv;
	return want;
}

/* Position moves use the trajectory generator on the (now known) axis position. */
static bool move_to(struct home_axis *ax, const struct axis_config *c, double pos_mm,
		    double target_mm, double dt_s)
{
	struct traj_limits lim = {c->home_slow_mm_s * 2, c->accel_mm_s2, c->jerk_mm_s3};
	traj_step(&ax->traj, target_mm, &lim, dt_s);
	ax->vel_mm_s = ax->traj.vel_mm_s + c->kp_per_s * (ax->traj.pos_mm - pos_mm);
	return traj_at_rest(&ax->traj, target_mm) && fabs(pos_mm - target_mm) < 0.3;
}

/* One axis' machine. seek_mm_s is the fast seek speed (Z leaves the body faster). */
static void axis_step(struct home_axis *ax, const struct axis_config *c, bool on_switch,
		      double enc_mm, double *offset_mm, bool *homed, double seek_mm_s,
		      double dt_s)
{
	double pos_mm = enc_mm - *offset_mm;
	switch (ax->phase) {
	case HOME_IDLE:
	case HOME_WAIT:
	case HOME_DONE:
	case HOME_STUCK:
		ax->vel_mm_s = 0;
		return;
	case HOME_LEAVE:
		if (fabs(enc_mm - ax->leave_from_mm) > HOMING_LEAVE_MAX_MM) {
			ax->vel_mm_s = 0;
			ax->phase = HOME_STUCK;
			return;
		}
		ax->vel_mm_s = ramp(ax->vel_mm_s, leave_mm_s, c->accel_mm_s2, dt_s);
		if (!on_switch) {
			*offset_mm = enc_mm; /* provisional: moves us a known distance off */
			ax->phase = HOME_BACKOFF;
			traj_reset(&ax->traj, 0);
			ax->traj.vel_mm_s = ax->vel_mm_s;
		}
		return;
	case HOME_SEEK:
		if (on_switch) {
			*offset_mm = enc_mm;
			ax->phase = HOME_BRAKE;
		}
		ax->vel_mm_s = ramp(ax->vel_mm_s, on_switch ? 0 : -seek_mm_s, c->accel_mm_s2, dt_s);
		return;
	case HOME_BRAKE:
		ax->vel_mm_s = ramp(ax->vel_mm_s, 0, c->accel_mm_s2, dt_s);
		if (ax->vel_mm_s == 0) {
			ax->phase = HOME_BACKOFF;
			traj_reset(&ax->traj, pos_mm);
		}
		return;
	case HOME_BACKOFF:
		if (move_to(ax, c, pos_mm, backoff_mm, dt_s) && !on_switch)
			ax->phase = HOME_SEEK_SLOW;
		return;
	case HOME_SEEK_SLOW:
		ax->vel_mm_s = ramp(ax->vel_mm_s, -c->home_slow_mm_s, c->accel_mm_s2, dt_s);
		if (on_switch) {
			*offset_mm = enc_mm;
			*homed = true;
			ax->phase = HOME_PARK;
			traj_reset(&ax->traj, 0);
			ax->traj.vel_mm_s = ax->vel_mm_s;
		}
		return;
	case HOME_PARK:
		if (move_to(ax, c, pos_mm, 0, dt_s)) {
			ax->vel_mm_s = 0;
			ax->phase = HOME_DONE;
		}
		return;
	}
}

enum home_result homing_step(struct homing *h, const struct chair_config *cfg,
			     struct estimate *est, const struct hal_inputs *in, double dt_s,
			     double *y_vel_mm_s, double *z_vel_mm_s)
{
	bool z_on = hal_in(in, HAL_IN_Z_HOME);
	bool y_on = hal_in(in, HAL_IN_Y_HOME);
	if (h->z.phase == HOME_SEEK && h->z.elapsed_s == 0 && z_on) {
		h->z.phase = HOME_LEAVE;
		h->z.leave_from_mm = est->z_enc_mm;
	}
	/* Leaving the switch outward must not press: touching the body, it is stuck. */
	if (h->z.phase == HOME_LEAVE && !(est->force_n <= cfg->force.contact_n))
		h->z.phase = HOME_STUCK;
	/* Leave the body at release speed, then find the switch at homing speed. */
	double z_seek = est->force_n > cfg->force.contact_n ? cfg->force.release_speed_mm_s
							    : cfg->z.home_speed_mm_s;
	axis_step(&h->z, &cfg->z, z_on, est->z_enc_mm, &est->z_offset_mm, &est->z_homed, z_seek,
		  dt_s);
	if (h->y.phase == HOME_WAIT && est->force_n < cfg->force.contact_n) {
		h->y.phase = y_on ? HOME_LEAVE : HOME_SEEK;
		h->y.leave_from_mm = est->y_enc_mm;
	}
	axis_step(&h->y, &cfg->y, y_on, est->y_enc_mm, &est->y_offset_mm, &est->y_homed,
		  cfg->y.home_speed_mm_s, dt_s);
	if (h->z.phase != HOME_DONE)
		h->z.elapsed_s += dt_s;
	if (h->y.phase != HOME_DONE)
		h->y.elapsed_s += dt_s;
	*y_vel_mm_s = h->y.vel_mm_s;
	*z_vel_mm_s = h->z.vel_mm_s;
	if (h->z.phase == HOME_STUCK)
		return HOME_STUCK_Z;
	if (h->y.phase == HOME_STUCK)
		return HOME_STUCK_Y;
	if (h->z.elapsed_s > cfg->z.home_timeout_s)
		return HOME_TIMEOUT_Z;
	if (h->y.elapsed_s > cfg->y.home_timeout_s)
		return HOME_TIMEOUT_Y;
	return h->y.phase == HOME_DONE && h->z.phase == HOME_DONE ? HOME_FINISHED : HOME_RUNNING;
}
