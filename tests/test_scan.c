/* The body scan on the in-process simulator, in lockstep through a runner as `program run`
 * and the daemon use it: found shoulder lines against the simulator's truth, the true
 * contact force during the scan, nobody seated, profiles that are not a back, and the
 * person's nudge. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../controller/config.h"
#include "../controller/program_load.h"
#include "../controller/runner.h"
#include "../controller/session/scan.h"
#include "../drivers/hal_sim.h"
#include "../sim/sim.h"

#define PEOPLE 50
/* The scan's roller force is light: the truth never above this. */
#define SCAN_TRUE_FORCE_MAX_N 15.0

struct bench {
	struct chair_config cfg;
	struct hal_sim hs;
	struct hal_backend be;
	struct runner r;
	struct scan sc;
	double true_peak_n; /* the simulator's contact force, highest while scanning */
	double true_peak_y_mm; /* and where the carriage was */
	int true_peak_phase;   /* the scan's phase then */
};

static struct bench *bench_open(const struct sim_person *p, uint64_t seed)
{
	struct bench *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	config_defaults(&b->cfg);
	b->cfg.hal.sim_seed = seed;
	hal_sim_bind(&b->hs, &b->be);
	char err[256];
	assert_int_equal(runner_open(&b->r, RUNNER_LOCKSTEP, &b->cfg, &b->be, err, sizeof(err)), 0);
	sim_init(hal_sim_get(&b->hs), p, seed);
	return b;
}

static void bench_close(struct bench *b)
{
	runner_close(&b->r);
	free(b);
}

static void bench_home(struct bench *b)
{
	struct ctl_cmd home = {.kind = CMD_HOME};
	uint32_t seq = runner_send(&b->r, &home);
	assert_true(seq != 0);
	for (int i = 0; i < 60000; i++) {
		runner_advance(&b->r, NULL, NULL);
		const struct telem *t = &b->r.last;
		if (t->cmd_seq >= seq && t->state == ST_IDLE && t->homed)
			return;
	}
	fail_msg("homing did not finish");
}

static void watch_true_force(void *arg, const struct telem *t)
{
	(void)t;
	struct bench *b = arg;
	double f_n = hal_sim_get(&b->hs)->contact_force_n;
	if (f_n > b->true_peak_n) {
		b->true_peak_n = f_n;
		b->true_peak_y_mm = hal_sim_get(&b->hs)->drive[HAL_AXIS_Y].position;
		b->true_peak_phase = (int)b->sc.phase;
	}
}

/* Home, scan, and hand back the result; the chair must end idle. */
static void scan_person(struct bench *b, struct scan_result *res)
{
	bench_home(b);
	b->true_peak_n = 0;
	assert_int_equal(scan_run(&b->sc, &b->r, watch_true_force, b, res), 0);
	if (res->status != SCAN_FAULT)
		assert_int_equal(b->r.last.state, ST_IDLE);
}

static void test_scan_finds_the_shoulder_line_within_10_mm_on_50_people_of_150_to_200_cm(void **state)
{
	(void)state;
	double worst_mm = 0, sum_mm = 0, worst_s = 0, worst_force_n = 0, worst_gap_mm = 0;
	for (int k = 0; k < PEOPLE; k++) {
		uint64_t seed = 9001 + (uint64_t)k * 7;
		double height_cm = 150.0 + 50.0 * k / (PEOPLE - 1);
		struct sim_person p;
		sim_person_of_height(&p, height_cm, seed);
		struct bench *b = bench_open(&p, seed);
		struct scan_result res;
		scan_person(b, &res);
		double err_mm = res.shoulder_y_mm - p.shoulder_y_mm;
		double gap_err_mm = res.skin_gap_mm - p.skin_gap_mm;
		if (res.status != SCAN_OK || fabs(err_mm) > 10.0)
			printf("person %d (%.0f cm, seed %llu): status %d, shoulder line %.1f mm, true "
			       "%.1f mm (%+.1f): %s\n",
			       k, height_cm, (unsigned long long)seed, res.status, res.shoulder_y_mm,
			       p.shoulder_y_mm, err_mm, res.reason);
		if (getenv("SCAN_VERBOSE"))
			printf("err %+.2f gap %+.2f rise %.1f recess %.1f blade %.1f k %.1f\n", err_mm,
			       gap_err_mm, p.neck_rise_mm, p.neck_recess_mm, p.blade_mm,
			       p.stiffness_n_per_mm[SIM_ZONE_SHOULDERS]);
		assert_int_equal(res.status, SCAN_OK);
		assert_true(fabs(err_mm) <= 10.0);
		worst_mm = fmax(worst_mm, fabs(err_mm));
		sum_mm += fabs(err_mm);
		worst_s = fmax(worst_s, res.duration_s);
		worst_force_n = fmax(worst_force_n, b->true_peak_n);
		worst_gap_mm = fmax(worst_gap_mm, fabs(gap_err_mm));
		bench_close(b);
	}
	printf("%d people: shoulder line within %.1f mm (mean %.1f), skin gap within %.1f mm, "
	       "scan at most %.1f s, true force at most %.1f N\n",
	       PEOPLE, worst_mm, sum_mm / PEOPLE, worst_gap_mm, worst_s, worst_force_n);
	assert_true(worst_s < 30.0);
}

static void test_scan_presses_at_most_15_n_true_force_on_anyone(void **state)
{
	(void)state;
	/* The softest and the stiffest backs the simulator draws, short and tall. */
	static const double heights_cm[] = {150, 165, 185, 200};
	for (int k = 0; k < 12; k++) {
		uint64_t seed = 4242 + (uint64_t)k;
		struct sim_person p;
		sim_person_of_height(&p, heights_cm[k % 4], seed);
		struct bench *b = bench_open(&p, seed);
		struct scan_result res;
		scan_person(b, &res);
		printf("seed %llu, %.0f cm: true peak %.1f N (y %.0f mm, phase %d), the load cell's "
		       "%.1f N\n",
		       (unsigned long long)seed, heights_cm[k % 4], b->true_peak_n, b->true_peak_y_mm,
		       b->true_peak_phase, res.peak_force_n);
		assert_int_equal(res.status, SCAN_OK);
		assert_true(b->true_peak_n > SCAN_CONTACT_N); /* it did touch the back */
		assert_true(b->true_peak_n <= SCAN_TRUE_FORCE_MAX_N);
		bench_close(b);
	}
}

struct progress {
	struct scan *sc;
	double last;
	bool backwards;
};

static void watch_progress(void *arg, const struct telem *t)
{
	(void)t;
	struct progress *pr = arg;
	double f = scan_fraction(pr->sc);
	pr->backwards |= f < pr->last || f < 0 || f > 1;
	pr->last = f;
}

static void test_progress_rises_from_0_to_1_and_the_result_waits_for_the_end(void **state)
{
	(void)state;
	struct sim_person p;
	sim_person_default(&p);
	struct bench *b = bench_open(&p, 3);
	bench_home(b);
	struct scan_result res;
	scan_begin(&b->sc, &b->cfg);
	assert_int_equal(scan_result(&b->sc, &res), -EAGAIN);
	struct progress pr = {&b->sc, 0, false};
	assert_int_equal(scan_run(&b->sc, &b->r, watch_progress, &pr, &res), 0);
	assert_int_equal(res.status, SCAN_OK);
	assert_false(pr.backwards);
	assert_true(scan_fraction(&b->sc) == 1.0);
	assert_true(pr.last > 0.9);
	bench_close(b);
}

static void test_nobody_seated_says_nobody_and_moves_nothing(void **state)
{
	(void)state;
	struct sim_person p;
	sim_person_random(&p, 77);
	p.seated = false;
	struct bench *b = bench_open(&p, 77);
	bench_home(b);
	const struct sim *sim = hal_sim_get(&b->hs);
	double y0_mm = sim->drive[HAL_AXIS_Y].position, z0_mm = sim->drive[HAL_AXIS_Z].position;
	struct scan_result res;
	assert_int_equal(scan_run(&b->sc, &b->r, watch_true_force, b, &res), 0);
	assert_int_equal(res.status, SCAN_NOBODY);
	assert_true(fabs(sim->drive[HAL_AXIS_Y].position - y0_mm) < 0.01);
	assert_true(fabs(sim->drive[HAL_AXIS_Z].position - z0_mm) < 0.01);
	assert_int_equal(b->r.last.state, ST_IDLE);
	assert_string_equal(res.reason, "nobody seems to be seated");
	assert_true(b->true_peak_n == 0.0);
	struct body_map body;
	struct interp_limits lim;
	program_limits(&b->cfg, &lim);
	assert_int_equal(scan_body(&res, 0.0, &lim, &body), -EINVAL);
	bench_close(b);
}

/* A cushion propped against the backrest, taller than the track: contact all the way up,
 * no place where the roller leaves the body. */
static void test_a_cushion_over_the_whole_backrest_is_implausible(void **state)
{
	(void)state;
	struct sim_person p;
	sim_person_random(&p, 31);
	double up_mm = p.shoulder_y_mm + 400.0; /* the "shoulders" far above the track */
	p.shoulder_y_mm -= up_mm;
	for (int z = 0; z < SIM_ZONE_COUNT; z++)
		if (z <= SIM_ZONE_SHOULDERS)
			p.zone_start_y_mm[z] -= up_mm;
	struct bench *b = bench_open(&p, 31);
	struct scan_result res;
	scan_person(b, &res);
	assert_int_equal(res.status, SCAN_IMPLAUSIBLE);
	assert_non_null(strstr(res.reason, "does not look like a back"));
	assert_non_null(strstr(res.reason, "enter your height"));
	bench_close(b);
}

/* Someone slumped low in the seat or a child: the back gives way far below any supported
 * shoulder line. */
static void test_a_back_that_ends_too_low_is_implausible(void **state)
{
	(void)state;
	struct sim_person p;
	sim_person_random(&p, 32);
	double down_mm = 520.0 - p.shoulder_y_mm; /* shoulder line at 520 mm: 80 cm tall */
	p.shoulder_y_mm += down_mm;
	for (int z = 0; z <= SIM_ZONE_SHOULDERS; z++)
		p.zone_start_y_mm[z] += down_mm;
	struct bench *b = bench_open(&p, 32);
	struct scan_result res;
	scan_person(b, &res);
	assert_int_equal(res.status, SCAN_IMPLAUSIBLE);
	bench_close(b);
}

/* Profiles no simulated person makes, fed to the analysis itself. */
static void fill(struct scan_sample *s, int n, double y0_mm, double z_mm, double f_n)
{
	for (int i = 0; i < n; i++)
		s[i] = (struct scan_sample){(float)(y0_mm - i), (float)z_mm, (float)f_n};
}

static void test_analysis_of_flat_patchy_and_empty_profiles(void **state)
{
	(void)state;
	struct chair_config cfg;
	config_defaults(&cfg);
	static struct scan_sample s[SCAN_SAMPLES_MAX];
	struct scan_result res;

	/* Flat contact all the way: a cushion. */
	fill(s, 420, 480, 20, 4);
	assert_int_equal(scan_analyse(s, 420, &cfg, &res), SCAN_IMPLAUSIBLE);
	/* Nothing touched at all. */
	fill(s, 420, 480, 60, 0);
	assert_int_equal(scan_analyse(s, 420, &cfg, &res), SCAN_NOBODY);
	/* Contact that comes and goes every few mm, then an edge: not a back. */
	fill(s, 420, 480, 20, 4);
	for (int i = 0; i < 180; i++)
		if (i % 4 == 0 || i % 4 == 1)
			s[i].force_n = 0;
	for (int i = 180; i < 420; i++)
		s[i].force_n = 0;
	assert_int_equal(scan_analyse(s, 420, &cfg, &res), SCAN_IMPLAUSIBLE);
	/* A clean back whose edge is at 240 mm: found there. */
	fill(s, 420, 480, 20, 4);
	for (int i = 241; i < 420; i++)
		s[i] = (struct scan_sample){(float)(480 - i), 30.0f, 0.0f};
	assert_int_equal(scan_analyse(s, 420, &cfg, &res), SCAN_OK);
	assert_true(fabs(res.shoulder_y_mm - (240.0 + SCAN_EDGE_OFFSET_MM)) < 1e-6);
	assert_true(fabs(res.height_mm - (760.0 - res.shoulder_y_mm) / 0.30) < 1e-6);
	assert_string_equal(res.reason, "");
}

static void test_the_nudge_moves_the_shoulder_line_and_the_landmarks_on_it_by_exactly_its_size(void **state)
{
	(void)state;
	struct chair_config cfg;
	config_defaults(&cfg);
	struct interp_limits lim;
	program_limits(&cfg, &lim);
	struct scan_result res = {.status = SCAN_OK, .shoulder_y_mm = 240.0, .height_mm = 1733.3,
				  .skin_gap_mm = 20.0};
	struct body_map b0, b1;
	assert_int_equal(scan_body(&res, 0.0, &lim, &b0), 0);
	assert_true(b0.shoulder_y_mm == 240.0 && b0.skin_gap_mm == 20.0);
	for (double adjust_mm = -30; adjust_mm <= 30; adjust_mm += 7.5) {
		assert_int_equal(scan_body(&res, adjust_mm, &lim, &b1), 0);
		assert_true(fabs(b1.shoulder_y_mm - b0.shoulder_y_mm - adjust_mm) < 1e-9);
		assert_true(fabs(b1.y_mm[BODY_NECK] - b0.y_mm[BODY_NECK] - adjust_mm) < 1e-9);
		assert_true(fabs(b1.span_start_mm[BODY_SHOULDERS] - b0.span_start_mm[BODY_SHOULDERS] -
				 adjust_mm) < 1e-9);
		assert_true(fabs(b1.y_mm[BODY_C7] - b0.y_mm[BODY_C7] - adjust_mm) < 1e-9);
		/* The vertebrae below move by their share, in the nudge's direction. */
		for (int lm = BODY_T1; lm <= BODY_L5; lm++) {
			double moved_mm = b1.y_mm[lm] - b0.y_mm[lm];
			assert_true(fabs(moved_mm) <= fabs(adjust_mm) + 1e-9);
			assert_true(adjust_mm == 0 || moved_mm * adjust_mm > 0);
		}
		assert_true(b1.y_mm[BODY_GLUTES] == b0.y_mm[BODY_GLUTES]);
		assert_true(b1.sacrum_bone_y_mm == b0.sacrum_bone_y_mm);
	}
	/* A nudge that leaves no back is refused. */
	assert_int_equal(scan_body(&res, 400.0, &lim, &b1), -EINVAL);
}

static void test_a_scan_on_a_chair_not_homed_is_refused_without_moving(void **state)
{
	(void)state;
	struct sim_person p;
	sim_person_default(&p);
	struct bench *b = bench_open(&p, 5);
	runner_advance(&b->r, NULL, NULL);
	struct scan_result res;
	assert_int_equal(scan_run(&b->sc, &b->r, watch_true_force, b, &res), 0);
	assert_int_equal(res.status, SCAN_FAULT);
	assert_non_null(strstr(res.reason, "homed"));
	bench_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_finds_the_shoulder_line_within_10_mm_on_50_people_of_150_to_200_cm),
		cmocka_unit_test(test_scan_presses_at_most_15_n_true_force_on_anyone),
		cmocka_unit_test(test_progress_rises_from_0_to_1_and_the_result_waits_for_the_end),
		cmocka_unit_test(test_nobody_seated_says_nobody_and_moves_nothing),
		cmocka_unit_test(test_a_cushion_over_the_whole_backrest_is_implausible),
		cmocka_unit_test(test_a_back_that_ends_too_low_is_implausible),
		cmocka_unit_test(test_analysis_of_flat_patchy_and_empty_profiles),
		cmocka_unit_test(test_the_nudge_moves_the_shoulder_line_and_the_landmarks_on_it_by_exactly_its_size),
		cmocka_unit_test(test_a_scan_on_a_chair_not_homed_is_refused_without_moving),
	};
	return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}
