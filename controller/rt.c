/* One setup function does what real time needs, in order, checking each return: memory
 * locked, thread attributes, start. pthread functions return an error number, never -1
 * and errno. The loop keeps absolute deadlines; a late wake-up does not shift the
 * schedule, a missed period is counted and skipped. */
#include "rt.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PREFAULT_STACK_BYTES (256 * 1024)
/* An explicit stack: with memory locked, the default 8 MiB per thread can exceed what an
 * unprivileged process may lock, and thread creation fails. */
#define RT_STACK_BYTES (1024 * 1024)

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void ts_add(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000) {
		t->tv_nsec -= 1000000000;
		t->tv_sec++;
	}
}

static void hist_add(uint32_t *hist, int64_t ns)
{
	int64_t us = ns < 0 ? 0 : ns / 1000;
	hist[us > RT_HIST_US ? RT_HIST_US : us]++;
}

/* Touch the stack now so the loop never page-faults on it. */
static void prefault_stack(void)
{
	volatile unsigned char buf[PREFAULT_STACK_BYTES];
	for (size_t i = 0; i < sizeof(buf); i += 4096)
		buf[i] = 0;
}

/* Count a failed read or write, for the stats and for the tick that follows (FAULT_IO).
 * The rt thread owns ctl while it runs, so this is a plain increment. */
static void io_failed(struct rt_loop *rt)
{
	rt->io_errors++;
	rt->ctl->io_failures++;
}

/* Offer the image this tick used to the main thread, every snapshot_every ticks: a copy
 * into the ring, dropped when the ring is full. */
static void publish_snapshot(struct rt_loop *rt)
{
	if (!rt->snapshots || rt->snapshot_wait-- > 0)
		return;
	rt->snapshot_wait = rt->snapshot_every - 1;
	struct rt_snapshot snap = {
		.tick = rt->ctl->tick - 1, /* the number its telemetry carries */
		.in = rt->in,
		.out = rt->out,
		.overruns = rt->stats.overruns,
		.latency_max_ns = rt->stats.latency_max_ns,
		.io_errors = rt->io_errors,
	};
	ring_push(rt->snapshots, &snap);
}

static void *rt_main(void *arg)
{
	struct rt_loop *rt = arg;
	prefault_stack();
	struct timespec next, now;
	clock_gettime(CLOCK_MONOTONIC, &next);
	rt->stats.latency_min_ns = INT64_MAX;
	while (!atomic_load_explicit(&rt->stop, memory_order_relaxed)) {
		ts_add(&next, rt->period_ns);
		int rc;
		do
			rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		while (rc == EINTR);
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t lat_ns = ts_ns(&now) - ts_ns(&next);
		struct rt_stats *s = &rt->stats;
		/* Woken a period or more late: those periods are missed. Count them, hand the
		 * run of them to the tick (FAULT_LATE past the configured number) and resume
		 * on the grid. The tick's timers run on its clock reading, so a stall does not
		 * stretch them. */
		int64_t missed = lat_ns >= rt->period_ns ? lat_ns / rt->period_ns : 0;
		s->overruns += (uint64_t)missed;
		rt->late_in_row = missed ? rt->late_in_row + (uint32_t)missed : 0;
		ts_add(&next, (long)(missed * rt->period_ns));
		rt->ctl->clock_ns = ts_ns(&now);
		rt->ctl->late_periods = rt->late_in_row;
		rt->ctl->overruns = s->overruns;
		if (rt->be->read(rt->be->ctx, &rt->in) < 0)
			io_failed(rt);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		tick(rt->ctl, &rt->in, &rt->out);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (rt->be->write(rt->be->ctx, &rt->out) < 0)
			io_failed(rt);
		int64_t compute_ns = ts_ns(&t1) - ts_ns(&t0);
		s->ticks++;
		hist_add(s->latency_hist, lat_ns);
		hist_add(s->compute_hist, compute_ns);
		if (lat_ns > s->latency_max_ns)
			s->latency_max_ns = lat_ns;
		if (lat_ns < s->latency_min_ns)
			s->latency_min_ns = lat_ns;
		if (compute_ns > s->compute_max_ns)
			s->compute_max_ns = compute_ns;
		publish_snapshot(rt);
		if (rt->after_tick)
			rt->after_tick(rt->after_tick_arg, lat_ns, compute_ns);
	}
	atomic_store(&rt->running, false);
	return NULL;
}

static void append(char *warn, int warn_len, const char *msg)
{
	size_t used = strlen(warn);
	if (used + 1 < (size_t)warn_len)
		snprintf(warn + used, (size_t)warn_len - used, "%s%s", used ? "; " : "", msg);
}

/* Ask the CPU not to enter deep idle states while we run, as cyclictest does. */
static int hold_dma_latency(void)
{
	int fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int32_t zero = 0;
	if (write(fd, &zero, sizeof(zero)) != (ssize_t)sizeof(zero)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Thread attributes: our stack, SCHED_FIFO at cfg's priority when fifo, cfg's CPU when
 * pin. A pthread error number; *call names the function that refused. */
static int make_attr(pthread_attr_t *attr, const struct rt_config *cfg, bool fifo, bool pin,
		     const char **call)
{
	int rc = pthread_attr_init(attr);
	if (rc) {
		*call = "pthread_attr_init";
		return rc;
	}
	struct sched_param sp = {.sched_priority = cfg->priority};
	cpu_set_t set;
	CPU_ZERO(&set);
	if (pin)
		CPU_SET(cfg->cpu, &set);
	if ((rc = pthread_attr_setstacksize(attr, RT_STACK_BYTES)))
		*call = "pthread_attr_setstacksize";
	else if (fifo && (rc = pthread_attr_setinheritsched(attr, PTHREAD_EXPLICIT_SCHED)))
		*call = "pthread_attr_setinheritsched";
	else if (fifo && (rc = pthread_attr_setschedpolicy(attr, SCHED_FIFO)))
		*call = "pthread_attr_setschedpolicy";
	else if (fifo && (rc = pthread_attr_setschedparam(attr, &sp)))
		*call = "pthread_attr_setschedparam";
	else if (pin && (rc = pthread_attr_setaffinity_np(attr, sizeof(set), &set)))
		*call = "pthread_attr_setaffinity_np";
	if (rc)
		pthread_attr_destroy(attr); /* cannot fail on an initialised attr */
	return rc;
}

/* One attempt at the rt thread, with or without SCHED_FIFO and pinning: a pthread error
 * number, 0 when it runs. */
static int try_thread(struct rt_loop *rt, const struct rt_config *cfg, bool fifo, bool pin,
		      const char **call)
{
	pthread_attr_t attr;
	int rc = make_attr(&attr, cfg, fifo, pin, call);
	if (rc)
		return rc;
	atomic_store(&rt->running, true);
	rc = pthread_create(&rt->thread, &attr, rt_main, rt);
	pthread_attr_destroy(&attr); /* cannot fail on an initialised attr */
	if (rc) {
		*call = "pthread_create";
		atomic_store(&rt->running, false);
	}
	return rc;
}

/* The errors with which the kernel or glibc refuses a policy, priority or CPU: worth a
 * try without it. Anything else (EAGAIN, ENOMEM) is a thread that cannot start at all. */
static bool is_refusal(int rc)
{
	return rc == EPERM || rc == EINVAL || rc == ENOTSUP;
}

/* Start the thread with as much as it can get, best first: SCHED_FIFO and pinned,
 * SCHED_FIFO, pinned, neither. pthread_create refuses either with the same EINVAL, so
 * which one was refused is learnt from which attempt runs, and each refusal is reported
 * as itself. */
static int start_thread(struct rt_loop *rt, const struct rt_config *cfg, char *warn,
			int warn_len)
{
	static const struct {
		bool fifo, pin;
	} tries[] = {{true, true}, {true, false}, {false, true}, {false, false}};
	enum { TRIES = sizeof(tries) / sizeof(tries[0]) };
	const bool want_pin = cfg->cpu >= 0;
	int err[TRIES] = {0};
	const char *call[TRIES] = {NULL};
	int ran = -1;
	for (int i = 0; i < TRIES && ran < 0; i++) {
		if (tries[i].pin && !want_pin)
			continue;
		err[i] = try_thread(rt, cfg, tries[i].fifo, tries[i].pin, &call[i]);
		if (err[i] == 0)
			ran = i;
		else if (!is_refusal(err[i]))
			return err[i];
	}
	if (ran < 0)
		return err[TRIES - 1];
	rt->realtime = tries[ran].fifo;
	rt->affinity_ok = !want_pin || tries[ran].pin;
	char msg[200];
	if (!rt->realtime) {
		const int fifo_try = 1; /* SCHED_FIFO unpinned, so the CPU is not to blame */
		snprintf(msg, sizeof(msg),
			 "SCHED_FIFO priority %d refused (%s: %s): running at normal priority, "
			 "timing not guaranteed",
			 cfg->priority, call[fifo_try], strerror(err[fifo_try]));
		append(warn, warn_len, msg);
	}
	if (!rt->affinity_ok) {
		int pin_try = ran - 1; /* the same policy, pinned */
		snprintf(msg, sizeof(msg), "cannot pin to CPU %d (%s: %s): running on any CPU",
			 cfg->cpu, call[pin_try], strerror(err[pin_try]));
		append(warn, warn_len, msg);
	}
	return 0;
}

int rt_start(struct rt_loop *rt, const struct rt_config *cfg, struct ctl *ctl,
	     struct hal_backend *be, char *warn, int warn_len)
{
	if (warn_len > 0)
		warn[0] = '\0';
	memset(&rt->stats, 0, sizeof(rt->stats));
	rt->ctl = ctl;
	rt->be = be;
	rt->period_ns = cfg->period_ns;
	rt->io_errors = 0;
	rt->late_in_row = 0;
	long every = (long)RT_SNAPSHOT_MS * 1000000 / (cfg->period_ns > 0 ? cfg->period_ns : 1);
	rt->snapshot_every = every > 0 ? (uint32_t)every : 1;
	rt->snapshot_wait = 0;
	rt->realtime = false;
	rt->memory_locked = false;
	rt->affinity_ok = false;
	atomic_store(&rt->stop, false);
	atomic_store(&rt->running, false);
	rt->dma_fd = -1;
	if (cfg->lock_memory) {
		rt->memory_locked = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
		if (!rt->memory_locked) {
			char msg[96];
			snprintf(msg, sizeof(msg), "mlockall: %s", strerror(errno));
			append(warn, warn_len, msg);
		}
	}
	rt->dma_fd = hold_dma_latency();
	if (rt->dma_fd < 0)
		append(warn, warn_len, "cannot hold /dev/cpu_dma_latency at 0");
	int rc = start_thread(rt, cfg, warn, warn_len);
	if (rc) {
		if (rt->dma_fd >= 0)
			close(rt->dma_fd);
		rt->dma_fd = -1;
		return -rc;
	}
	return 0;
}

bool rt_is_soft(const struct rt_loop *rt, const struct rt_config *cfg)
{
	return !rt->realtime || (cfg->lock_memory && !rt->memory_locked) || !rt->affinity_ok;
}

void rt_stop(struct rt_loop *rt)
{
	atomic_store(&rt->stop, true);
	int rc = pthread_join(rt->thread, NULL);
	(void)rc; /* only EDEADLK/EINVAL/ESRCH, none possible for our own joinable thread */
	if (rt->dma_fd >= 0)
		close(rt->dma_fd);
	rt->dma_fd = -1;
}

double rt_percentile_us(const uint32_t *hist, double pct)
{
	uint64_t total = 0;
	for (int i = 0; i <= RT_HIST_US; i++)
		total += hist[i];
	if (total == 0)
		return 0;
	uint64_t want = (uint64_t)((double)total * pct / 100.0 + 0.5);
	if (want == 0)
		want = 1;
	uint64_t seen = 0;
	for (int i = 0; i <= RT_HIST_US; i++) {
		seen += hist[i];
		if (seen >= want)
			return i;
	}
	return RT_HIST_US;
}
