/* One Modbus motor drive of the reference chair: it closes its own velocity, position or
 * force loop on a motor with inertia and friction, reports current and temperature, and
 * keeps the drive-side safety of CHAIR.md (comm watchdog, Z retracting by itself). Z's
 * depth gear is self-locking unless the drive is made back-drivable (sim.h). */
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
	/* Z's coast is its self-locking worm stopping the roller once torque goes: only the
	 * rotor's momentum turns the worm, and the worm's friction takes it within 0.4 mm
	 * from the drive's top speed (250 mm/s, in 4 steps) and within one step from any
	 * pressing speed (30 mm/s); the body's force cannot turn it back. */
	[HAL_AXIS_Z] = {.min_stop = -3.0, .max_stop = 103.0, .max_speed = 250.0,
			.max_accel = 10000.0, .coast_decel = 62500.0, .hold_ma = 200.0,
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
/* A back-drivable gear (another chair's, sim.h) gives way to the body: the excess of the
 * tissue's force over what holds the roller drives it back at this speed per N, past a
 * little static friction (30 N on the default back moves it at about 60 mm/s). */
#define Z_BACKDRIVE_MM_S_PER_N 2.0
#define Z_BACKDRIVE_FRICTION_N 1.0
#define MOVING_THRESHOLD 0.5  /* mm/s or rpm */
#define AT_TARGET_WINDOW 0.5  /* mm or deg */
#define DRIVE_MAX_MA 5000.0   /* a current_limit of 0 leaves the drive's own */
#define COMM_TIMEOUT_DEFAULT_MS 200
/* Winding heating: steady rise per A^2 and its time constant (3 A holding ~100 N of
 * contact settles near 78 degC after some 10 minutes). */
#define TEMP_RISE_C_PER_A2 6.0
#define TEMP_TAU_S 600.0

/* A drive's step and read are compiled once per axis: sim_drives_step and sim_drives_read
 * call the bodies below for each axis by name, inlined with the axis a constant, so each
 * copy has its parameters folded in and drops what does not apply to it (wrapping, stops,
 * Z's force), and a step makes two calls for its drives instead of ten. */
#define PER_AXIS static inline __attribute__((always_inline))

PER_AXIS double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Angle in [0, 360). Within a turn either way of that, where a step's angles always are,
 * fmod's result is deg itself or deg - 360 (exact there), so only angles further out pay
 * for the libm call. */
PER_AXIS double wrap360(double deg)
{
	double w;
	if (deg > -360.0 && deg < 360.0)
		w = deg;
	else if (deg >= 360.0 && deg < 720.0)
		w = deg - 360.0;
	else
		w = fmod(deg, 360.0);
	return w < 0.0 ? w + 360.0 : w;
}

/* Angle in [-180, 180). */
PER_AXIS double wrap180(double deg)
{
	return wrap360(deg + 180.0) - 180.0;
}

PER_AXIS enum hal_drive_mode mode_of(const struct hal_drive_out *cmd)
{
	return (enum hal_drive_mode)((cmd->control & HAL_CTL_MODE_MASK) >> HAL_CTL_MODE_SHIFT);
}

/* Position as the encoder counts it (mm or deg). */
PER_AXIS double encoder_position(const struct sim_drive *d, enum hal_axis a)
{
	double pos = d->encoder_lost ? d->lost_at_position : d->position;
	pos -= d->encoder_offset;
	return axis_params[a].rotary ? wrap360(pos) : pos;
}

/* Distance from an encoder position to the position target, in the encoder's frame. */
PER_AXIS double position_error(const struct hal_drive_out *cmd, enum hal_axis a,
			       double encoder_pos)
{
	double err = cmd->target_position_raw * 0.1 - encoder_pos;
	return axis_params[a].rotary ? wrap180(err) : err;
}

/* Speed toward a target err away, braking in time to stop on it. */
PER_AXIS double approach_speed(double err, double speed_limit, double accel)
{
	double v = sim_min(speed_limit, POSITION_GAIN_PER_S * fabs(err));
	v = sim_min(v, sqrt(2.0 * BRAKE_SHARE * accel * fabs(err)));
	return err < 0.0 ? -v : v;
}

/* The target velocity register in mm/s or rpm. */
PER_AXIS double velocity_register(const struct hal_drive_out *cmd, enum hal_axis a)
{
	double v = cmd->target_velocity_raw;
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

void sim_drives_receive(struct sim_drive drive[HAL_AXIS_COUNT],
			const struct hal_drive_out cmd[HAL_AXIS_COUNT], uint32_t deaf,
			uint32_t injected)
{
	for (int a = 0; a < HAL_AXIS_COUNT; a++)
		if (!((deaf >> a) & 1u))
			sim_drive_receive(&drive[a], &cmd[a], (injected >> a) & 1u);
}

/* Velocity the drive's controller asks of the motor this ms, from its mode. */
PER_AXIS double commanded_velocity(const struct sim_drive *d, enum hal_axis a,
				   const struct sim_drive_env *env)
{
	const struct axis_params *ap = &axis_params[a];
	const struct hal_drive_out *cmd = &d->last_cmd;
	double vmax = ap->max_speed;
	double v_cmd = 0.0;

	switch (mode_of(cmd)) {
	case HAL_MODE_VELOCITY:
		v_cmd = clamp(velocity_register(cmd, a), -vmax, vmax);
		break;
	case HAL_MODE_POSITION: {
		double limit = fabs(velocity_register(cmd, a));
		limit = limit > 0.0 ? sim_min(limit, vmax) : vmax;
		double err = position_error(cmd, a, encoder_position(d, a));
		/* A rotary error in deg over 6 is in rpm-seconds, matching rpm and rpm/s. */
		if (ap->rotary)
			err /= 6.0;
		v_cmd = approach_speed(err, limit, ap->max_accel);
		break;
	}
	case HAL_MODE_FORCE:
		if (a == HAL_AXIS_Z) {
			double limit = fabs(velocity_register(cmd, a));
			limit = limit > 0.0 ? sim_min(limit, vmax) : FORCE_APPROACH_MM_S;
			double err_n = cmd->target_force_raw * 0.1 - env->contact_n;
			v_cmd = clamp(FORCE_GAIN_MM_S_PER_N * err_n, -limit, limit);
		}
		break;
	default: /* an undefined mode holds still */
		break;
	}
	return v_cmd;
}

/* The body's force Z's current limit can hold the roller against (0 and below: none). */
PER_AXIS double z_holds_n(const struct sim_drive *d)
{
	const struct axis_params *ap = &axis_params[HAL_AXIS_Z];
	double limit_ma = d->last_cmd.current_limit_ma ? d->last_cmd.current_limit_ma
						       : DRIVE_MAX_MA;
	return (limit_ma - ap->hold_ma) / ap->ma_per_contact_n;
}

/* Whether Z may press further: not past the force limit register (velocity and position
 * modes), and not past what its current limit can hold against the body. */
PER_AXIS bool z_may_extend(const struct sim_drive *d, const struct sim_drive_env *env)
{
	if (env->contact_n >= z_holds_n(d))
		return false;
	if (mode_of(&d->last_cmd) == HAL_MODE_FORCE)
		return true;
	double limit_n = d->last_cmd.target_force_raw * 0.1;
	return !(env->contact_n > 0.0 && env->contact_n >= limit_n);
}

/* Current drawn this ms: holding, friction, acceleration and the body's load. A stalled
 * motor draws its limit, whatever its acceleration: the division that makes one from
 * the change of speed is only done when it counts. */
PER_AXIS double motor_current(const struct sim_drive *d, enum hal_axis a, double dv,
			      bool stalled, const struct sim_drive_env *env)
{
	const struct axis_params *ap = &axis_params[a];
	double limit_ma = d->last_cmd.current_limit_ma ? d->last_cmd.current_limit_ma
						       : DRIVE_MAX_MA;
	if (stalled)
		return limit_ma;
	/* A zero change of speed is that same zero as an acceleration. */
	double accel = dv == 0.0 ? dv : dv / SIM_DT_S;
	double speed = fabs(d->velocity);
	bool moving = speed > MOVING_THRESHOLD;
	/* Below 2^-1000 the speed's term is far under half an ulp of the holding current
	 * (every axis holds with 50 mA or more), so it adds nothing: spare multiplying the
	 * subnormal speed a motor comes to rest with (see stays_put). */
	double speed_ma = speed < 0x1p-1000 ? 0.0 : ap->ma_per_speed * speed;
	double i_ma = ap->hold_ma + speed_ma + ap->ma_per_accel * fabs(accel);
	if (moving)
		i_ma += ap->friction_ma;
	if (moving || ap->load_when_still)
		i_ma += ap->ma_per_contact_n * env->contact_n;
	return sim_min(i_ma, limit_ma);
}

/* Whether the motor moves the position by nothing at all this ms: its speed is so small
 * (below 2^-1000, and the step below 2^-1007) that the step is far under half an ulp of
 * any position of 2^-950 or more. A motor told to stop ends up there: its speed decays
 * through the subnormal numbers to a few of them from zero, where it stays, and
 * multiplying those is slow (a subnormal speed cost a step more than all the rest). */
PER_AXIS bool stays_put(double velocity, double position)
{
	return fabs(velocity) < 0x1p-1000 && fabs(position) >= 0x1p-950;
}

/* Move the motor one ms toward v_cmd under lag and accel limit, its change of speed to
 * *dv; true when it pushes against a mechanical stop. */
PER_AXIS bool integrate(struct sim_drive *d, enum hal_axis a, double v_cmd, double *dv_out)
{
	const struct axis_params *ap = &axis_params[a];
	double diff = v_cmd - d->velocity;
	double dv;
	/* At the commanded speed (a coasting or resting motor always is) or at most 499
	 * of the smallest subnormals (2^-1074) from it, where a motor told to stop comes to
	 * rest (see stays_put), diff * SIM_DT_S rounds to a zero of diff's sign and the
	 * division keeps it: spare both, the more so as subnormals are slow. */
	if (fabs(diff) < 0x1.f4p-1066) /* 500 * 2^-1074 */
		dv = copysign(0.0, diff);
	else
		dv = diff * SIM_DT_S / VELOCITY_LAG_S;
	dv = clamp(dv, -ap->max_accel * SIM_DT_S, ap->max_accel * SIM_DT_S);
	d->velocity += dv;
	*dv_out = dv;

	if (ap->rotary) {
		if (stays_put(d->velocity, d->position))
			d->position = wrap360(d->position);
		else /* rpm to deg/s */
			d->position = wrap360(d->position + d->velocity * 6.0 * SIM_DT_S);
		return false;
	}
	if (!stays_put(d->velocity, d->position))
		d->position += d->velocity * SIM_DT_S;
	if (d->position <= ap->min_stop) {
		d->position = ap->min_stop;
		d->velocity = sim_max(d->velocity, 0.0);
		return v_cmd < 0.0;
	}
	if (d->position >= ap->max_stop) {
		d->position = ap->max_stop;
		d->velocity = sim_min(d->velocity, 0.0);
		return v_cmd > 0.0;
	}
	return false;
}

/* Friction alone brings an undriven motor to rest. */
PER_AXIS void coast(struct sim_drive *d, enum hal_axis a)
{
	const struct axis_params *ap = &axis_params[a];
	double dv = ap->coast_decel * SIM_DT_S;
	double v_cmd = fabs(d->velocity) <= dv ? 0.0 : d->velocity - copysign(dv, d->velocity);
	d->velocity = v_cmd;
	integrate(d, a, v_cmd, &dv);
}

/* The speed (<= 0) at which the body pushes a back-drivable roller back when the gear
 * holds at most holds_n of its force; 0 while it holds. */
PER_AXIS double z_pushed_back_mm_s(const struct sim_drive_env *env, double holds_n)
{
	double excess_n = env->contact_n - sim_max(holds_n, 0.0) - Z_BACKDRIVE_FRICTION_N;
	return excess_n > 0.0 ? -Z_BACKDRIVE_MM_S_PER_N * excess_n : 0.0;
}

/* Z without torque: the worm locks the roller where its momentum leaves it; a
 * back-drivable gear lets the body push it back. */
PER_AXIS void z_unpowered(struct sim_drive *d, const struct sim_drive_env *env)
{
	if (d->back_drivable) {
		double dv;
		integrate(d, HAL_AXIS_Z, z_pushed_back_mm_s(env, 0.0), &dv);
	} else {
		coast(d, HAL_AXIS_Z);
	}
}

/* Start or end a loss of encoder counts; an incremental encoder comes back counting
 * from where it stopped, so the counts lost in between shift its zero. */
PER_AXIS void track_encoder(struct sim_drive *d, enum hal_axis a, bool lost)
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

/* What moving a drive leaves for working out its current. */
struct motion {
	double dv;     /* change of speed this ms */
	bool stalled;  /* pushing against a mechanical stop */
	bool drawing;  /* enabled, or Z retracting by itself */
};

/* The watchdog, the enable, and one ms of motion. */
PER_AXIS struct motion move_axis(struct sim_drive *d, enum hal_axis a,
				 const struct sim_drive_env *env)
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

	struct motion m = {.dv = 0.0, .stalled = false, .drawing = d->enabled || retracting};
	if (retracting) {
		double v_cmd = sim_min(0.0, approach_speed(Z_RETRACT_TO_MM - d->position,
							   Z_RETRACT_MM_S, axis_params[a].max_accel));
		m.stalled = integrate(d, a, v_cmd, &m.dv);
	} else if (d->enabled) {
		double v_cmd = commanded_velocity(d, a, env);
		if (a == HAL_AXIS_Z && v_cmd > 0.0 && !z_may_extend(d, env)) {
			/* The drive stops pressing at once: the body brakes it. */
			v_cmd = 0.0;
			d->velocity = sim_min(d->velocity, 0.0);
		}
		/* Past what its current holds, a back-drivable roller gives way; the worm
		 * holds whatever the current. */
		if (a == HAL_AXIS_Z && d->back_drivable) {
			double pushed_mm_s = z_pushed_back_mm_s(env, z_holds_n(d));
			if (pushed_mm_s < 0.0)
				v_cmd = sim_min(v_cmd, pushed_mm_s);
		}
		m.stalled = integrate(d, a, v_cmd, &m.dv);
	} else if (a == HAL_AXIS_Z) {
		z_unpowered(d, env);
	} else {
		coast(d, a);
	}
	track_encoder(d, a, env->encoder_lost);
	return m;
}

/* The current drawn this ms, and the winding's temperature after it. */
PER_AXIS void load_axis(struct sim_drive *d, enum hal_axis a, const struct motion *m,
			const struct sim_drive_env *env)
{
	d->current_ma = m->drawing ? motor_current(d, a, m->dv, m->stalled, env) : 0.0;
	/* Without current at ambient temperature a drive stays there: spare the divisions. */
	if (d->current_ma != 0.0 || d->temp_c != SIM_AMBIENT_C) {
		double amps = d->current_ma / 1000.0;
		double settle_c = SIM_AMBIENT_C + TEMP_RISE_C_PER_A2 * amps * amps;
		d->temp_c += (settle_c - d->temp_c) * SIM_DT_S / TEMP_TAU_S;
	}
	if (env->hot) /* its cooling failed; afterwards it cools from there at its own pace */
		d->temp_c = env->hot_c;
}

/* Every drive moves, then every drive draws its current and heats: a drive's step is a
 * chain of up to four divisions (speed, acceleration, amps, temperature), and taking the
 * drives side by side lets the processor work on five chains at once rather than wait
 * out each in turn. Nothing of one drive's step depends on another's, and the encoder
 * (moved before the current here) is no part of the current or the heat. */
void sim_drives_step(struct sim_drive drive[HAL_AXIS_COUNT],
		     const struct sim_drive_env env_in[HAL_AXIS_COUNT])
{
	/* A copy, so that stores into the drives do not make the compiler read env again. */
	struct sim_drive_env env[HAL_AXIS_COUNT];
	memcpy(env, env_in, sizeof(env));
	struct motion m[HAL_AXIS_COUNT];
	m[HAL_AXIS_Y] = move_axis(&drive[HAL_AXIS_Y], HAL_AXIS_Y, &env[HAL_AXIS_Y]);
	m[HAL_AXIS_Z] = move_axis(&drive[HAL_AXIS_Z], HAL_AXIS_Z, &env[HAL_AXIS_Z]);
	m[HAL_AXIS_K] = move_axis(&drive[HAL_AXIS_K], HAL_AXIS_K, &env[HAL_AXIS_K]);
	m[HAL_AXIS_T] = move_axis(&drive[HAL_AXIS_T], HAL_AXIS_T, &env[HAL_AXIS_T]);
	m[HAL_AXIS_W] = move_axis(&drive[HAL_AXIS_W], HAL_AXIS_W, &env[HAL_AXIS_W]);
	load_axis(&drive[HAL_AXIS_Y], HAL_AXIS_Y, &m[HAL_AXIS_Y], &env[HAL_AXIS_Y]);
	load_axis(&drive[HAL_AXIS_Z], HAL_AXIS_Z, &m[HAL_AXIS_Z], &env[HAL_AXIS_Z]);
	load_axis(&drive[HAL_AXIS_K], HAL_AXIS_K, &m[HAL_AXIS_K], &env[HAL_AXIS_K]);
	load_axis(&drive[HAL_AXIS_T], HAL_AXIS_T, &m[HAL_AXIS_T], &env[HAL_AXIS_T]);
	load_axis(&drive[HAL_AXIS_W], HAL_AXIS_W, &m[HAL_AXIS_W], &env[HAL_AXIS_W]);
}

/* The registers are built in locals and stored at the end: in may alias the drive's own
 * 16-bit fields as far as the compiler knows, which would make it load them again. */
PER_AXIS void read_axis(const struct sim_drive *d, enum hal_axis a, double contact_n,
			struct hal_drive_in *in)
{
	const struct axis_params *ap = &axis_params[a];
	uint16_t fault_code = d->fault_code;
	bool moving = fabs(d->velocity) > MOVING_THRESHOLD;
	uint16_t status = fault_code ? HAL_STATUS_FAULT : HAL_STATUS_READY;
	if (d->enabled)
		status |= HAL_STATUS_ENABLED;
	if (moving)
		status |= HAL_STATUS_MOVING;
	double enc = encoder_position(d, a);
	if (d->enabled && mode_of(&d->last_cmd) == HAL_MODE_POSITION &&
	    fabs(position_error(&d->last_cmd, a, enc)) <= AT_TARGET_WINDOW)
		status |= HAL_STATUS_AT_TARGET;

	int16_t position_raw;
	if (ap->rotary) { /* 0..3599: rounding 359.96 deg up must wrap to 0 */
		/* enc is in [0, 360] (wrap360 can round up to 360), so this is % 3600. */
		long raw = sim_lround(enc * 10.0);
		position_raw = (int16_t)(raw >= 3600 ? raw - 3600 : raw);
	} else
		position_raw = sim_reg_i16(enc * 10.0);
	double v = d->encoder_lost ? 0.0 : d->velocity;
	/* Under 0.04 mm/s or rpm the register is 0 either way: spare a resting motor's
	 * subnormal speed the arithmetic (see stays_put). */
	int16_t velocity_raw = fabs(v) < 0.04 ? 0 : sim_reg_i16(ap->rotary ? v : v * 10.0);
	uint16_t current_ma = sim_reg_u16(d->current_ma);
	uint16_t force_raw = a == HAL_AXIS_Z ? sim_reg_u16(contact_n * 10.0) : 0;
	int16_t temperature_raw = sim_reg_i16(d->temp_c * 10.0);

	*in = (struct hal_drive_in){
		.status = status,
		.actual_position_raw = position_raw,
		.actual_velocity_raw = velocity_raw,
		.actual_current_ma = current_ma,
		.actual_force_raw = force_raw,
		.fault_code = fault_code,
		.temperature_raw = temperature_raw,
	};
}

void sim_drives_read(const struct sim_drive drive[HAL_AXIS_COUNT], double contact_n,
		     uint32_t silent, struct hal_drive_in in[HAL_AXIS_COUNT])
{
	if (!(silent & 1u << HAL_AXIS_Y))
		read_axis(&drive[HAL_AXIS_Y], HAL_AXIS_Y, contact_n, &in[HAL_AXIS_Y]);
	if (!(silent & 1u << HAL_AXIS_Z))
		read_axis(&drive[HAL_AXIS_Z], HAL_AXIS_Z, contact_n, &in[HAL_AXIS_Z]);
	if (!(silent & 1u << HAL_AXIS_K))
		read_axis(&drive[HAL_AXIS_K], HAL_AXIS_K, contact_n, &in[HAL_AXIS_K]);
	if (!(silent & 1u << HAL_AXIS_T))
		read_axis(&drive[HAL_AXIS_T], HAL_AXIS_T, contact_n, &in[HAL_AXIS_T]);
	if (!(silent & 1u << HAL_AXIS_W))
		read_axis(&drive[HAL_AXIS_W], HAL_AXIS_W, contact_n, &in[HAL_AXIS_W]);
}
