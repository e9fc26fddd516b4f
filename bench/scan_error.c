/* The body scan on 50 simulated people of 150-200 cm (seeds apart from the test's), in
 * lockstep through a runner as `program run` does: how far the shoulder line it finds lies
 * from the simulator's truth, how long a scan takes, and the true force it presses with.
 * References from the same people: the default 175 cm body that a chair without a scan
 * uses, and a naive reading of the same profiles (the first place the depth rises 3 mm
 * above the back's median). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../controller/config.h"
#include "../controller/runner.h"
#include "../controller/session/scan.h"
#include "../drivers/hal_sim.h"
#include "../sim/sim.h"

#define PEOPLE 50
#define NAIVE_RISE_MM 3.0

struct one {
	struct chair_config cfg;
	struct hal_sim hs;
	struct hal_backend be;
	struct runner r;
	struct scan sc;
	double true_peak_n;
};

static void watch(void *arg, const struct telem *t)
{
	(void)t;
	struct one *o = arg;
	double f_n = hal_sim_get(&o->hs)->contact_force_n;
	if (f_n > o->true_peak_n)
		o->true_peak_n = f_n;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The naive reading: the back's depth is the median of the first 100 samples; the shoulder
 * line the first place past them deeper by NAIVE_RISE_MM. */
static double naive_shoulder_mm(const struct scan *sc)
{
	if (sc->n < 120)
		return NAN;
	float d[100];
	for (int i = 0; i < 100; i++)
		d[i] = sc->samples[i].z_mm;
	qsort(d, 100, sizeof(d[0]), cmp_float);
	for (int i = 100; i < sc->n; i++)
		if (sc->samples[i].z_mm > d[50] + NAIVE_RISE_MM)
			return sc->samples[i].y_mm;
	return NAN;
}

static int home(struct runner *r)
{
	struct ctl_cmd cmd = {.kind = CMD_HOME};
	uint32_t seq = runner_send(r, &cmd);
	for (int i = 0; seq && i < 60000; i++) {
		runner_advance(r, NULL, NULL);
		if (r->last.cmd_seq >= seq && r->last.state == ST_IDLE && r->last.homed)
			return 0;
	}
	return -1;
}

int main(void)
{
	static struct one o;
	double err_max = 0, err_sum = 0, time_max = 0, default_max = 0, naive_max = 0;
	double gap_max = 0, force_max = 0;
	int failed = 0;
	for (int k = 0; k < PEOPLE; k++) {
		uint64_t seed = 12001 + (uint64_t)k * 13;
		double height_cm = 150.0 + 50.0 * k / (PEOPLE - 1);
		struct sim_person p;
		sim_person_of_height(&p, height_cm, seed);
		memset(&o, 0, sizeof(o));
		config_defaults(&o.cfg);
		o.cfg.hal.sim_seed = seed;
		hal_sim_bind(&o.hs, &o.be);
		char err[256];
		if (runner_open(&o.r, RUNNER_LOCKSTEP, &o.cfg, &o.be, err, sizeof(err)) != 0) {
			fprintf(stderr, "scan_error: %s\n", err);
			return 1;
		}
		sim_init(hal_sim_get(&o.hs), &p, seed);
		struct scan_result res;
		if (home(&o.r) != 0 || scan_run(&o.sc, &o.r, watch, &o, &res) != 0 ||
		    res.status != SCAN_OK) {
			fprintf(stderr, "scan_error: person %d (%.0f cm, seed %llu) not scanned\n", k,
				height_cm, (unsigned long long)seed);
			failed++;
			runner_close(&o.r);
			continue;
		}
		double e_mm = fabs(res.shoulder_y_mm - p.shoulder_y_mm);
		err_max = fmax(err_max, e_mm);
		err_sum += e_mm;
		time_max = fmax(time_max, res.duration_s);
		gap_max = fmax(gap_max, fabs(res.skin_gap_mm - p.skin_gap_mm));
		force_max = fmax(force_max, o.true_peak_n);
		double default_mm = 760.0 - BODY_SHOULDER_PER_HEIGHT * BODY_DEFAULT_HEIGHT_MM;
		default_max = fmax(default_max, fabs(default_mm - p.shoulder_y_mm));
		double naive_mm = naive_shoulder_mm(&o.sc);
		naive_max = isnan(naive_mm) ? INFINITY
					    : fmax(naive_max, fabs(naive_mm - p.shoulder_y_mm));
		runner_close(&o.r);
	}
	printf("scan_people: %d\n", PEOPLE);
	printf("scan_failed: %d\n", failed);
	printf("scan_error_mm_max: %.1f\n", err_max);
	printf("scan_error_mm_mean: %.1f\n", err_sum / (PEOPLE - failed));
	printf("scan_time_s_max: %.1f\n", time_max);
	printf("scan_skin_gap_error_mm_max: %.1f\n", gap_max);
	printf("scan_true_force_n_max: %.1f\n", force_max);
	printf("height_estimate_error_mm_max: %.1f\n", default_max);
	printf("naive_threshold_error_mm_max: %.1f\n", naive_max);
	return 0;
}
