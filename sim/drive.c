/* One Modbus motor drive of the reference chair: it closes its own velocity, position or
 * force loop on a motor with inertia and friction, reports current and temperature, and
 * keeps the drive-side safety of CHAIR.md (comm watchdog, Z retracting by itself). */
#include "internal.h"

#include <math.h>
#include <string.h>

struct axis_params {
	bool rotary;         /* wraps at 360 deg, no stops */
	bool absolute;       /* encoder keeps its zero through a loss of counts */
	double min_stop;     /* mechanical stops, mm */
	double max_stop;
	double max_speed;    /* mm/s or rpm */
	double max_accel;    /* mm/s^2 or rpm/s */
	double coast_decel;  /* friction alone, when nothing drives the motor */
	double hold_ma;      /* enabled and still */
	double friction_ma;  /* added while moving */
	double ma_per_speed;
	double ma_per_accel;
	double ma_per_contact_n; /* load the body puts on this axis */
	bool load_when_still;    /* Z holds the body's force even standing still */
};

/* Speeds and accelerations are the drives' own limits, above what the controller asks
 * for (CHAIR.md: Y 80 mm/s at 300 mm/s^2), so a well-behaved controller is never clipped. */
static const struct axis_params axis_params[HAL_AXIS_COUNT] = {
	[HAL_AXIS_Y] = {.min_stop = -15.0, .max_stop = 1315.0, .max_speed = 100.0,
			.max_accel = 1000.0, .coast_decel = 600.0, .hold_ma = 100.0,
			.friction_ma = 300.0, .ma_per_speed = 2.0, .ma_per_accel = 1.0,
			.ma_per_contact_n = 10.0},
	[HAL_AXIS_Z] = {.min_stop = -3.0, .max_stop = 103.0, .max_speed = 250.0,
			.max_accel = 4000.0, .coast_decel = 2000.0, .hold_ma = 200.0,
			.friction_ma = 100.0, .ma_per_speed = 1.0, .ma_per_accel = 0.3,
			.ma_per_contact_n = 30.0, .load_when_still = true},
	[HAL_AXIS_K] = {.rotary = true, .max_speed = 60.0, .max_accel = 300.0,
			.coast_decel = 200.0, .hold_ma = 50.0, .friction_ma = 300.0,
			.ma_per_speed = 5.0, .ma_per_accel = 2.0, .ma_per_contact_n = 15.0},
	[HAL_AXIS_T] = {.rotary = true, .max_speed = 720.0, .max_accel = 3000.0,
			.coast_decel = 1500.0, .hold_ma = 50.0, .friction_ma = 200.0,
			.ma_per_speed = 1.0, .ma_per_accel = 0.2, .ma_per_contact_n = 10.0},
	[HAL_AXIS_W] = {.absolute = true, .min_stop = 70.0, .max_stop = 150.0,
			.max_speed = 20.0, .max_accel = 200.0, .coast_decel = 200.0,
			.hold_ma = 50.0, .friction_ma = 200.0, .ma_per_speed = 10.0,
			.ma_per_accel = 2.0},
};

/* The velocity loop follows its target with this lag, under the accel limit. */
#define VELOCITY_LAG_S 0.010
/* Position loop: speed per unit of error, and the share of max_accel it plans to brake
 * with, leaving the rest for the velocity lag so it stops without overshoot. */
#define POSITION_GAIN_PER_S 20.0
#define BRAKE_SHARE 0.5
/* Force mode: mm/s of Z speed per N of force error; 4 mm/s/N on 2..9 N/mm tissue gives a
 * 8..36 /s loop, well damped against the 10 ms velocity lag. */
#define FORCE_GAIN_MM_S_PER_N 4.0
#define FORCE_APPROACH_MM_S 30.0
/* Z's own safety: back to its home at this speed when the link or the drive fails,
 * aiming a little past the switch so it lands on it rather than creeping toward it. */
#define Z_RETRACT_MM_S 200.0
#define Z_RETRACT_TO_MM -0.5
#define MOVING_THRESHOLD 0.5  /* mm/s or rpm */
#define AT_TARGET_WINDOW 0.5  /* mm or deg */
#define DRIVE_MAX_MA 5000.0   /* a current_limit of 0 leaves the drive's own */
#define COMM_TIMEOUT_DEFAULT_MS 200
/* Winding heating: steady rise per A^2 and its time constant (3 A holding ~100 N of
 * contact settles near 78 degC after some 10 minutes). */
#define TEMP_RISE_C_PER_A2 6.0
#define TEMP_TAU_S 600.0

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Angle in [0, 360). */
static double wrap360(double deg)
{
	double w = fmod(deg, 360.0);
	return w < 0.0 ? w + 360.0 : w;
}

/* Angle in [-180, 180). */
static double wrap180(double deg)
{
	return wrap360(deg + 180.0) - 180.0;
}

static enum hal_drive_mode mode_of(const struct sim_drive *d)
{
	return (enum hal_drive_mode)((d->last_cmd.control & HAL_CTL_MODE_MASK) >>
				     HAL_CTL_MODE_SHIFT);
}

/* Position as the encoder counts it (mm or deg). */
static double encoder_position(const struct sim_drive *d, enum hal_axis a)
{
	double pos = d->encoder_lost ? d->lost_at_position : d->position;
	pos -= d->encoder_offset;
	return axis_params[a].rotary ? wrap360(pos) : pos;
}

/* Distance from where the drive is to its position target, in the encoder's frame. */
static double position_error(const struct sim_drive *d, enum hal_axis a)
{
	double err = d->last_cmd.target_position_raw * 0.1 - encoder_position(d, a);
	return axis_params[a].rotary ? wrap180(err) : err;
}

/* Speed toward a target err away, braking in time to stop on it. */
static double approach_speed(double err, double speed_limit, double accel)
{
	double v = fmin(speed_limit, POSITION_GAIN_PER_S * fabs(err));
	v = fmin(v, sqrt(2.0 * BRAKE_SHARE * accel * fabs(err)));
	return err < 0.0 ? -v : v;
}

/* The target velocity register in mm/s or rpm. */
static double velocity_register(const struct sim_drive *d, enum hal_axis a)
{
	double v = d->last_cmd.target_velocity_raw;
	return axis_params[a].rotary ? v : v * 0.1;
}

void sim_drive_init(struct sim_drive *d, enum hal_axis a, double position, double offset)
{
	memset(d, 0, sizeof(*d));
	d->position = axis_params[a].rotary ? wrap360(position) : position;
	d->encoder_offset = offset;
	d->temp_c = SIM_AMBIENT_C;
	d->last_cmd.comm_timeout_ms = COMM_TIMEOUT_DEFAULT_MS;
}

void sim_drive_receive(struct sim_drive *d, const struct hal_drive_out *cmd,
		       bool fault_injected)
{
	d->last_cmd = *cmd;
	d->ms_since_write = 0;
	d->heard = true;
	if ((cmd->control & HAL_CTL_FAULT_RESET) && !fault_injected)
		d->fault_code = 0;
}

/* Velocity the drive's controller asks of the motor this ms, from its mode. */
static double commanded_velocity(const struct sim_drive *d, enum hal_axis a,
				 const struct sim_drive_env *env)
{
	const struct axis_params *ap = &axis_params[a];
	double vmax = ap->max_speed;
	double v_cmd = 0.0;

	switch (mode_of(d)) {
	case HAL_MODE_VELOCITY:
		v_cmd = clamp(velocity_register(d, a), -vmax, vmax);
		break;
	case HAL_MODE_POSITION: {
		double limit = fabs(velocity_register(d, a));
		limit = limit > 0.0 ? fmin(limit, vmax) : vmax;
		/* A rotary error in deg over 6 is in rpm-seconds, matching rpm and rpm/s. */
		double err = position_error(d, a) / (ap->rotary ? 6.0 : 1.0);
		v_cmd = approach_speed(err, limit, ap->max_accel);
		break;
	}
	case HAL_MODE_FORCE:
		if (a == HAL_AXIS_Z) {
			double limit = fabs(velocity_register(d, a));
			limit = limit > 0.0 ? fmin(limit, vmax) : FORCE_APPROACH_MM_S;
			double err_n = d->last_cmd.target_force_raw * 0.1 - env->contact_n;
			v_cmd = clamp(FORCE_GAIN_MM_S_PER_N * err_n, -limit, limit);
		}
		break;
	default: /* an undefined mode holds still */
		break;
	}
	return v_cmd;
}

/* Whether Z may press further: not past the force limit register (velocity and position
 * modes), and not past what its current limit can hold against the body. */
static bool z_may_extend(const struct sim_drive *d, const struct sim_drive_env *env)
{
	const struct axis_params *ap = &axis_params[HAL_AXIS_Z];
	double limit_ma = d->last_cmd.current_limit_ma ? d->last_cmd.current_limit_ma
						       : DRIVE_MAX_MA;
	if (ap->hold_ma + ap->ma_per_contact_n * env->contact_n >= limit_ma)
		return false;
	if (mode_of(d) == HAL_MODE_FORCE)
		return true;
	double limit_n = d->last_cmd.target_force_raw * 0.1;
	return !(env->contact_n > 0.0 && env->contact_n >= limit_n);
}

/* Current drawn this ms: holding, friction, acceleration and the body's load. */
static double motor_current(const struct sim_drive *d, enum hal_axis a, double accel,
			    bool stalled, const struct sim_drive_env *env)
{
	const struct axis_params *ap = &axis_params[a];
	double limit_ma = d->last_cmd.current_limit_ma ? d->last_cmd.current_limit_ma
						       : DRIVE_MAX_MA;
	bool moving = fabs(d->velocity) > MOVING_THRESHOLD;
	double i_ma = ap->hold_ma + ap->ma_per_speed * fabs(d->velocity) +
		      ap->ma_per_accel * fabs(accel);
	if (moving)
		i_ma += ap->friction_ma;
	if (moving || ap->load_when_still)
		i_ma += ap->ma_per_contact_n * env->contact_n;
	if (stalled)
		i_ma = limit_ma;
	return fmin(i_ma, limit_ma);
}

/* Move the motor one ms toward v_cmd under lag and accel limit; true when it pushes
 * against a mechanical stop. */
static bool integrate(struct sim_drive *d, enum hal_axis a, double v_cmd, double *accel)
{
	const struct axis_params *ap = &axis_params[a];
	double dv = (v_cmd - d->velocity) * SIM_DT_S / VELOCITY_LAG_S;
	dv = clamp(dv, -ap->max_accel * SIM_DT_S, ap->max_accel * SIM_DT_S);
	d->velocity += dv;
	*accel = dv / SIM_DT_S;

	if (ap->rotary) {
		d->position = wrap360(d->position + d->velocity * 6.0 * SIM_DT_S); /* rpm→deg/s */
		return false;
	}
	d->position += d->velocity * SIM_DT_S;
	if (d->position <= ap->min_stop) {
		d->position = ap->min_stop;
		d->velocity = fmax(d->velocity, 0.0);
		return v_cmd < 0.0;
	}
	if (d->position >= ap->max_stop) {
		d->position = ap->max_stop;
		d->velocity = fmin(d->velocity, 0.0);
		return v_cmd > 0.0;
	}
	return false;
}

/* Friction alone brings an undriven motor to rest. */
static void coast(struct sim_drive *d, enum hal_axis a)
{
	const struct axis_params *ap = &axis_params[a];
	double dv = ap->coast_decel * SIM_DT_S;
	double accel;
	double v_cmd = fabs(d->velocity) <= dv ? 0.0 : d->velocity - copysign(dv, d->velocity);
	d->velocity = v_cmd;
	integrate(d, a, v_cmd, &accel);
}

/* Start or end a loss of encoder counts; an incremental encoder comes back counting
 * from where it stopped, so the counts lost in between shift its zero. */
static void track_encoder(struct sim_drive *d, enum hal_axis a, bool lost)
{
	if (lost && !d->encoder_lost) {
		d->encoder_lost = true;
		d->lost_at_position = d->position;
	} else if (!lost && d->encoder_lost) {
		d->encoder_lost = false;
		if (!axis_params[a].absolute)
			d->encoder_offset += d->position - d->lost_at_position;
	}
}

void sim_drive_step(struct sim_drive *d, enum hal_axis a, const struct sim_drive_env *env)
{
	if (env->injected_fault)
		d->fault_code = env->injected_fault;
	if (d->heard && d->ms_since_write < UINT32_MAX)
		d->ms_since_write++;
	uint32_t timeout_ms = d->last_cmd.comm_timeout_ms ? d->last_cmd.comm_timeout_ms
							  : COMM_TIMEOUT_DEFAULT_MS;
	if (d->heard && d->ms_since_write > timeout_ms && !d->fault_code)
		d->fault_code = SIM_DRIVE_FAULT_COMM_TIMEOUT;

	d->enabled = env->powered && (d->last_cmd.control & HAL_CTL_ENABLE) && !d->fault_code;
	bool retracting = a == HAL_AXIS_Z && env->powered && d->fault_code;

	double accel = 0.0;
	bool stalled = false;
	if (retracting) {
		double v_cmd = fmin(0.0, approach_speed(Z_RETRACT_TO_MM - d->position,
							Z_RETRACT_MM_S, axis_params[a].max_accel));
		stalled = integrate(d, a, v_cmd, &accel);
	} else if (d->enabled) {
		double v_cmd = commanded_velocity(d, a, env);
		if (a == HAL_AXIS_Z && v_cmd > 0.0 && !z_may_extend(d, env)) {
			/* The drive stops pressing at once: the body brakes it. */
			v_cmd = 0.0;
			d->velocity = fmin(d->velocity, 0.0);
		}
		stalled = integrate(d, a, v_cmd, &accel);
	} else {
		coast(d, a);
	}

	d->current_ma = d->enabled || retracting ? motor_current(d, a, accel, stalled, env)
						 : 0.0;
	double amps = d->current_ma / 1000.0;
	double settle_c = SIM_AMBIENT_C + TEMP_RISE_C_PER_A2 * amps * amps;
	d->temp_c += (settle_c - d->temp_c) * SIM_DT_S / TEMP_TAU_S;
	track_encoder(d, a, env->encoder_lost);
}

void sim_drive_read(const struct sim_drive *d, enum hal_axis a, double contact_n,
		    struct hal_drive_in *in)
{
	const struct axis_params *ap = &axis_params[a];
	bool moving = fabs(d->velocity) > MOVING_THRESHOLD;

	in->status = 0;
	if (!d->fault_code)
		in->status |= HAL_STATUS_READY;
	else
		in->status |= HAL_STATUS_FAULT;
	if (d->enabled)
		in->status |= HAL_STATUS_ENABLED;
	if (moving)
		in->status |= HAL_STATUS_MOVING;
	if (d->enabled && mode_of(d) == HAL_MODE_POSITION &&
	    fabs(position_error(d, a)) <= AT_TARGET_WINDOW)
		in->status |= HAL_STATUS_AT_TARGET;

	if (ap->rotary) /* 0..3599: rounding 359.96 deg up must wrap to 0 */
		in->actual_position_raw = (int16_t)(lround(encoder_position(d, a) * 10.0) % 3600);
	else
		in->actual_position_raw = sim_reg_i16(encoder_position(d, a) * 10.0);
	double v = d->encoder_lost ? 0.0 : d->velocity;
	in->actual_velocity_raw = sim_reg_i16(ap->rotary ? v : v * 10.0);
	in->actual_current_ma = sim_reg_u16(d->current_ma);
	in->actual_force_raw = a == HAL_AXIS_Z ? sim_reg_u16(contact_n * 10.0) : 0;
	in->fault_code = d->fault_code;
	in->temperature_raw = sim_reg_i16(d->temp_c * 10.0);
}
