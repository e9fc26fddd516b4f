/* The real-time loop at 1 kHz doing real tick work (a program running on the simulated
 * chair) for BENCH_SECONDS (default 30), then cyclictest on the same machine for as long
 * with the same priority: wake-up latency percentiles of both, the ratio at p99.9, and
 * the tick's own compute time. Figures, never a pass/fail on time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../controller/lockstep.h"
#include "../controller/program_load.h"
#include "../controller/rt.h"
#include "../drivers/hal_sim.h"

static int run_controller(const struct chair_config *cfg, int seconds, struct rt_loop *rt)
{
	struct plan *plan = NULL;
	if (program_load_file("programs/full-body-15.prog", cfg, &plan, stderr) != 0)
		return -1;
	static struct hal_sim hs;
	static struct hal_backend be;
	static struct lockstep ls;
	hal_sim_bind(&hs, &be);
	char err[256];
	if (lockstep_open(&ls, cfg, &be, err, sizeof(err)) != 0 || !lockstep_home(&ls, 30000)) {
		fprintf(stderr, "rt_latency: cannot home the simulated chair\n");
		return -1;
	}
	struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
	if (ctl_command(&ls.ctl, &start) != CMD_OK)
		return -1;
	char warn[512];
	int rc = rt_start(rt, &cfg->rt, &ls.ctl, &be, warn, sizeof(warn));
	if (rc < 0) {
		fprintf(stderr, "rt_latency: %s\n", strerror(-rc));
		return -1;
	}
	if (warn[0])
		fprintf(stderr, "rt_latency: warning: %s\n", warn);
	sleep((unsigned)seconds);
	rt_stop(rt);
	printf("rt_sched_fifo: %d\n", rt->realtime ? 1 : 0);
	printf("rt_state_at_end: %s\n", chair_state_name[ls.ctl.state]);
	lockstep_close(&ls);
	plan_free(plan);
	return 0;
}

/* cyclictest's histogram (-h) into ours: "USEC COUNT" lines. */
static int run_cyclictest(int seconds, int priority, uint32_t *hist, long *max_us)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "cyclictest -m -q -p %d -i 1000 -D %d -h %d 2>/dev/null",
		 priority, seconds, RT_HIST_US);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -errno;
	char line[4096];
	long total = 0;
	*max_us = -1;
	while (fgets(line, sizeof(line), p)) {
		long us, count;
		if (line[0] != '#' && sscanf(line, "%ld %ld", &us, &count) == 2 && us >= 0 &&
		    us < RT_HIST_US) {
			hist[us] += (uint32_t)count;
			total += count;
		} else if (sscanf(line, "# Max Latencies: %ld", &us) == 1) {
			*max_us = us;
		} else if (sscanf(line, "# Histogram Overflows: %ld", &count) == 1) {
			hist[RT_HIST_US] += (uint32_t)count;
			total += count;
		}
	}
	int rc = pclose(p);
	return total > 0 && rc == 0 ? 0 : -EIO;
}

int main(void)
{
	const char *env = getenv("BENCH_SECONDS");
	int seconds = env ? atoi(env) : 30;
	if (seconds <= 0)
		seconds = 30;
	static struct chair_config cfg;
	config_defaults(&cfg);
	static struct rt_loop rt;
	if (run_controller(&cfg, seconds, &rt) != 0)
		return 1;
	const struct rt_stats *s = &rt.stats;
	printf("rt_seconds: %d\n", seconds);
	printf("rt_ticks: %llu\n", (unsigned long long)s->ticks);
	printf("rt_overruns: %llu\n", (unsigned long long)s->overruns);
	printf("rt_wakeup_min_us: %.1f\n", s->latency_min_ns / 1000.0);
	printf("rt_wakeup_p50_us: %.0f\n", rt_percentile_us(s->latency_hist, 50));
	printf("rt_wakeup_p99_us: %.0f\n", rt_percentile_us(s->latency_hist, 99));
	double rt_p999 = rt_percentile_us(s->latency_hist, 99.9);
	printf("rt_wakeup_p999_us: %.0f\n", rt_p999);
	printf("rt_wakeup_max_us: %.1f\n", s->latency_max_ns / 1000.0);
	printf("tick_compute_p50_us: %.0f\n", rt_percentile_us(s->compute_hist, 50));
	printf("tick_compute_p999_us: %.0f\n", rt_percentile_us(s->compute_hist, 99.9));
	printf("tick_compute_max_us: %.1f\n", s->compute_max_ns / 1000.0);
	static uint32_t ct_hist[RT_HIST_US + 1];
	long ct_max_us;
	if (run_cyclictest(seconds, cfg.rt.priority, ct_hist, &ct_max_us) != 0) {
		printf("cyclictest: unavailable (install rt-tests, run as root)\n");
		return 0;
	}
	double ct_p999 = rt_percentile_us(ct_hist, 99.9);
	printf("cyclictest_p50_us: %.0f\n", rt_percentile_us(ct_hist, 50));
	printf("cyclictest_p99_us: %.0f\n", rt_percentile_us(ct_hist, 99));
	printf("cyclictest_p999_us: %.0f\n", ct_p999);
	printf("cyclictest_max_us: %ld\n", ct_max_us);
	printf("rt_vs_cyclictest_p999_ratio: %.2f\n", ct_p999 > 0 ? rt_p999 / ct_p999 : 0.0);
	return 0;
}
