/* Online trajectory generation for one linear axis: follows a target that may change
 * every tick, within speed, acceleration and jerk limits. */
#ifndef MOTION_TRAJECTORY_H
#define MOTION_TRAJECTORY_H

struct traj {
	double pos_mm;
	double vel_mm_s;
	double acc_mm_s2;
};

struct traj_limits {
	double vmax_mm_s;
	double amax_mm_s2;
	double jmax_mm_s3;
};

void traj_reset(struct traj *t, double pos_mm);
/* Advance one period toward target_mm. */
void traj_step(struct traj *t, double target_mm, const struct traj_limits *lim, double dt_s);
/* True when the trajectory has arrived and stopped. */
int traj_at_rest(const struct traj *t, double target_mm);

#endif
