/* Trajectory generation: limits hold on every tick and the axis arrives without
 * overshoot, for short and long moves and for targets that move. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../controller/motion/trajectory.h"

static const struct traj_limits carriage = {80, 300, 3000};
static const double dt_s = 0.001;

struct run {
	double max_v, max_a, max_j, overshoot;
	double ticks;
};

static struct run move(double from, double to, const struct traj_limits *lim, int max_ticks)
{
	struct traj t;
	traj_reset(&t, from);
	struct run r = {0};
	double prev_a = 0;
	double dir = to > from ? 1 : -1;
	for (int i = 0; i < max_ticks && !traj_at_rest(&t, to); i++) {
		double prev_v = t.vel_mm_s;
		traj_step(&t, to, lim, dt_s);
		double a = (t.vel_mm_s - prev_v) / dt_s;
		r.max_v = fmax(r.max_v, fabs(t.vel_mm_s));
		if (!traj_at_rest(&t, to)) {
			r.max_a = fmax(r.max_a, fabs(a));
			r.max_j = fmax(r.max_j, fabs(a - prev_a) / dt_s);
		}
		prev_a = a;
		r.overshoot = fmax(r.overshoot, dir * (t.pos_mm - to));
		r.ticks = i + 1;
	}
	return r;
}

static void test_long_move_respects_speed_accel_jerk(void **state)
{
	(void)state;
	struct run r = move(0, 1300, &carriage, 60000);
	assert_true(r.ticks < 60000);
	assert_true(r.max_v <= 80 + 1e-9);
	assert_true(r.max_a <= 300 + 1e-6);
	assert_true(r.max_j <= 3000 * 1.001);
	assert_true(r.overshoot < 0.05);
}

static void test_short_moves_arrive_without_overshoot(void **state)
{
	(void)state;
	const double dist[] = {0.01, 0.5, 3, 10, 47, 200};
	for (size_t i = 0; i < sizeof(dist) / sizeof(dist[0]); i++) {
		struct run up = move(500, 500 + dist[i], &carriage, 30000);
		struct run down = move(500, 500 - dist[i], &carriage, 30000);
		assert_true(up.ticks < 30000);
		assert_true(down.ticks < 30000);
		assert_true(up.overshoot < 0.05);
		assert_true(down.overshoot < 0.05);
	}
}

static void test_long_move_takes_about_the_time_of_its_profile(void **state)
{
	(void)state;
	/* 1300 mm at 80 mm/s with 300 mm/s2 accel: 16.25 s + 0.27 s; jerk adds a little. */
	struct run r = move(0, 1300, &carriage, 60000);
	assert_true(r.ticks * dt_s > 16.4);
	assert_true(r.ticks * dt_s < 17.5);
}

static void test_moving_target_is_followed_closely(void **state)
{
	(void)state;
	struct traj t;
	traj_reset(&t, 400);
	double worst = 0;
	for (int i = 0; i < 20000; i++) {
		double target = 400 + 60 * sin(2 * M_PI * 0.1 * i * dt_s);
		traj_step(&t, target, &carriage, dt_s);
		if (i > 3000)
			worst = fmax(worst, fabs(t.pos_mm - target));
	}
	assert_true(worst < 5.0);
}

static void test_reversal_mid_move_stays_within_limits(void **state)
{
	(void)state;
	struct traj t;
	traj_reset(&t, 0);
	for (int i = 0; i < 2000; i++)
		traj_step(&t, 1300, &carriage, dt_s);
	double prev_v = t.vel_mm_s;
	for (int i = 0; i < 20000; i++) {
		traj_step(&t, 0, &carriage, dt_s);
		assert_true(fabs(t.vel_mm_s - prev_v) / dt_s <= 300 + 1e-6 || traj_at_rest(&t, 0));
		prev_v = t.vel_mm_s;
	}
	assert_true(traj_at_rest(&t, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_move_respects_speed_accel_jerk),
		cmocka_unit_test(test_short_moves_arrive_without_overshoot),
		cmocka_unit_test(test_long_move_takes_about_the_time_of_its_profile),
		cmocka_unit_test(test_moving_target_is_followed_closely),
		cmocka_unit_test(test_reversal_mid_move_stays_within_limits),
	};
	return cmocka_run_group_tests_name("trajectory", tests, NULL, NULL);
}
