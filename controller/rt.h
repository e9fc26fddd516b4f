/* The real-time thread: SCHED_FIFO, locked memory, pre-faulted stack, optional CPU
 * pinning, /dev/cpu_dma_latency held at 0, absolute deadlines at the tick period. It
 * counts overruns and keeps a wake-up latency histogram; figures are percentiles. */
#ifndef RT_H
#define RT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ring.h"
#include "tick.h"

#define RT_HIST_US 2000 /* 1 us buckets; later wake-ups go in the last */

struct rt_stats {
	uint64_t ticks;
	uint64_t overruns;      /* periods missed entirely */
	uint32_t latency_hist[RT_HIST_US + 1];
	uint32_t compute_hist[RT_HIST_US + 1]; /* tick() alone, without the backend */
	int64_t latency_max_ns;
	int64_t latency_min_ns;
	int64_t compute_max_ns;
};

/* The process image as the rt thread read it, with the loop's figures at that moment: what
 * a technician reads while the chair runs (io.read), published every RT_SNAPSHOT_MS. */
#define RT_SNAPSHOT_MS 100
struct rt_snapshot {
	uint64_t tick;          /* the tick that took in, as its telemetry numbers it */
	struct hal_inputs in;
	struct hal_outputs out; /* what that tick wrote */
	uint64_t overruns;
	int64_t latency_max_ns;
	uint64_t io_errors;
};

struct rt_loop {
	struct ctl *ctl;
	struct hal_backend *be;
	long period_ns;
	atomic_bool stop;
	atomic_bool running;
	pthread_t thread;
	/* What the setup got, as data, so a caller can refuse to drive hardware without it. */
	bool realtime;       /* got SCHED_FIFO at the configured priority */
	bool memory_locked;  /* mlockall held; false too when lock_memory is off */
	bool affinity_ok;    /* pinned to the configured CPU, or no pinning asked for */
	int dma_fd;          /* /dev/cpu_dma_latency, -1 when not held */
	struct hal_inputs in;
	struct hal_outputs out;
	struct rt_stats stats;  /* written by the rt thread; read after rt_stop */
	uint64_t io_errors;
	uint32_t late_in_row;   /* rt thread: periods missed in a row, up to this wake-up */
	/* Set before rt_start (may be NULL): a ring of struct rt_snapshot the loop pushes to
	 * every RT_SNAPSHOT_MS when it has room; a full ring drops the snapshot (counted by
	 * the ring). A copy into a buffer allocated before the start, so no lock, no
	 * allocation. */
	struct ring *snapshots;
	uint32_t snapshot_every; /* ticks between snapshots */
	uint32_t snapshot_wait;  /* rt thread: ticks until the next */
	/* Optional hook run on the rt thread after each tick (benchmarks). */
	void (*after_tick)(void *arg, int64_t wake_latency_ns, int64_t compute_ns);
	void *after_tick_arg;
};

/* Start the loop. Privileges missing (no SCHED_FIFO, no mlockall, no CPU pinning, no dma
 * latency) give a warning in warn, the flags above, and a thread without them; only a
 * failure to start a thread at all is an error (a negative errno). */
int rt_start(struct rt_loop *rt, const struct rt_config *cfg, struct ctl *ctl,
	     struct hal_backend *be, char *warn, int warn_len);
/* True when the running loop lacks something cfg asked for: SCHED_FIFO, locked memory or
 * its CPU. The dma latency hold is best effort and not counted. */
bool rt_is_soft(const struct rt_loop *rt, const struct rt_config *cfg);
void rt_stop(struct rt_loop *rt);
/* Percentile (0..100) of a histogram, in us. */
double rt_percentile_us(const uint32_t *hist, double pct);

#endif
