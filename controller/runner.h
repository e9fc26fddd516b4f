/* The controller running on a backend, seen from the main thread: commands go in and
 * telemetry comes out through the two SPSC rings, whether the tick runs on the
 * real-time thread at 1 kHz or in lockstep in this thread (virtual time). The code
 * above it (demo, `program run`, later the session) is the same for both. */
#ifndef RUNNER_H
#define RUNNER_H

#include <stdbool.h>

#include "report.h"
#include "ring.h"
#include "rt.h"
#include "tick.h"

enum runner_mode { RUNNER_REALTIME, RUNNER_LOCKSTEP };

#define RUNNER_CMD_CAP 64
#define RUNNER_TELEM_CAP 8192
#define RUNNER_FAULT_CAP 64
#define RUNNER_SNAPSHOT_CAP 16 /* 1.6 s of rt snapshots between two drains */

struct runner {
	enum runner_mode mode;
	const struct chair_config *cfg;
	struct hal_backend *be;
	struct ctl ctl;
	struct ring cmd_ring;
	struct ring telem_ring;
	struct ring fault_ring;
	struct safe_lane lane;  /* stop, pause, "too much", softer, slower */
	struct ctl_cmd *cmd_buf;
	struct telem *telem_buf;
	struct fault_record *fault_buf;
	struct ring snapshot_ring; /* real time: the rt thread's process images */
	struct rt_snapshot *snapshot_buf;
	struct rt_snapshot snapshot; /* the newest taken (lockstep: of the last tick) */
	bool snapshot_valid;
	struct fault_log faults; /* every record the tick published, newest kept */
	const struct plan *plan_sent; /* the last plan a start was sent with */
	uint32_t plan_sent_seq;
	struct rt_loop rt;
	struct hal_inputs in;   /* lockstep */
	struct hal_outputs out; /* lockstep */
	uint64_t io_errors;     /* lockstep: backend reads and writes that failed */
	uint32_t next_seq;
	struct telem last;      /* newest telemetry taken */
	bool started;
	char warning[512];      /* what the real-time setup could not get */
};

/* Open the backend and start ticking (the rt thread, or nothing yet in lockstep).
 * err names what failed. */
int runner_open(struct runner *r, enum runner_mode mode, const struct chair_config *cfg,
		struct hal_backend *be, char *err, int err_len);
/* Stop ticking, put the chair in its safe state and close the backend. */
void runner_close(struct runner *r);
/* Queue a command; returns its sequence number, or 0 when the queue is full. A command that
 * makes the chair safer (safe_lane_of) goes by its own lane and is never refused. */
uint32_t runner_send(struct runner *r, const struct ctl_cmd *cmd);
/* Whether the controller may still read plan: a start of it was sent and not yet handled,
 * or its run holds it. Once false the plan may be freed. */
bool runner_plan_busy(const struct runner *r, const struct plan *plan);
/* Let time pass: a few ms of wall time, or one tick in lockstep. Then hand every new
 * telemetry record to take (may be NULL). Returns how many were taken. */
int runner_advance(struct runner *r, void (*take)(void *arg, const struct telem *t), void *arg);
/* Hand every telemetry record the tick has published since the last call to take, and
 * collect its fault records, without waiting: the daemon's main loop, which waits in poll
 * for its clients instead. Returns how many records were taken. */
int runner_drain(struct runner *r, void (*take)(void *arg, const struct telem *t), void *arg);
/* The last process image read; only once the runner is closed when real time. */
const struct hal_inputs *runner_last_inputs(const struct runner *r);
/* The newest process image the main thread may read while the chair runs (io.read): the rt
 * thread's latest snapshot taken by runner_drain, or in lockstep the last tick's image.
 * NULL before the first. */
const struct rt_snapshot *runner_snapshot(const struct runner *r);
/* Snapshots the rt thread could not publish because the ring was full. */
uint32_t runner_snapshots_dropped(struct runner *r);
/* Simulated or real seconds since the start, from the tick counter. */
double runner_time_s(const struct runner *r);

/* Home, start plan, and follow it to its end, feeding report and printing progress to
 * out (NULL: quiet). stop_flag (may be NULL) asks for a gentle stop. Returns 0 when the
 * plan ran to its end with no fault, -EIO when a fault latched, -ETIMEDOUT when homing
 * or the run took far longer than planned, -ECANCELED when stopped. */
int runner_run_plan(struct runner *r, const struct plan *plan, struct report *rep, FILE *out,
		    volatile int *stop_flag);

#endif
