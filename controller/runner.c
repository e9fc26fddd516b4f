/* Runner: the rings, the choice of clock, and the home-start-follow sequence. */
#include "runner.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "interp/plan.h"
#include "log.h"

static void free_rings(struct runner *r)
{
	free(r->cmd_buf);
	free(r->telem_buf);
	free(r->fault_buf);
	free(r->snapshot_buf);
	r->cmd_buf = NULL;
	r->telem_buf = NULL;
	r->fault_buf = NULL;
	r->snapshot_buf = NULL;
}

int runner_open(struct runner *r, enum runner_mode mode, const struct chair_config *cfg,
		struct hal_backend *be, char *err, int err_len)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->cfg = cfg;
	r->be = be;
	r->cmd_buf = calloc(RUNNER_CMD_CAP, sizeof(*r->cmd_buf));
	r->telem_buf = calloc(RUNNER_TELEM_CAP, sizeof(*r->telem_buf));
	r->fault_buf = calloc(RUNNER_FAULT_CAP, sizeof(*r->fault_buf));
	r->snapshot_buf = calloc(RUNNER_SNAPSHOT_CAP, sizeof(*r->snapshot_buf));
	if (!r->cmd_buf || !r->telem_buf || !r->fault_buf || !r->snapshot_buf) {
		snprintf(err, (size_t)err_len, "out of memory for the command and telemetry rings");
		free_rings(r);
		return -ENOMEM;
	}
	ring_init(&r->cmd_ring, r->cmd_buf, RUNNER_CMD_CAP, sizeof(struct ctl_cmd));
	ring_init(&r->telem_ring, r->telem_buf, RUNNER_TELEM_CAP, sizeof(struct telem));
	ring_init(&r->fault_ring, r->fault_buf, RUNNER_FAULT_CAP, sizeof(struct fault_record));
	ring_init(&r->snapshot_ring, r->snapshot_buf, RUNNER_SNAPSHOT_CAP,
		  sizeof(struct rt_snapshot));
	int rc = be->open(be->ctx, &cfg->hal, err, err_len);
	if (rc < 0) {
		be->close(be->ctx); /* frees what a hardware backend took */
		free_rings(r);
		return rc;
	}
	ctl_init(&r->ctl, cfg);
	r->ctl.cmd_ring = &r->cmd_ring;
	r->ctl.telem_ring = &r->telem_ring;
	r->ctl.fault_ring = &r->fault_ring;
	r->ctl.safe_lane = &r->lane;
	r->out = r->ctl.out_prev;
	r->next_seq = 1;
	if (mode == RUNNER_REALTIME) {
		r->rt.snapshots = &r->snapshot_ring;
		rc = rt_start(&r->rt, &cfg->rt, &r->ctl, be, r->warning, sizeof(r->warning));
		if (rc < 0) {
			snprintf(err, (size_t)err_len, "cannot start the real-time thread: %s",
				 strerror(-rc));
			be->close(be->ctx);
			free_rings(r);
			return rc;
		}
	}
	r->started = true;
	return 0;
}

void runner_close(struct runner *r)
{
	if (!r->started)
		return;
	if (r->mode == RUNNER_REALTIME)
		rt_stop(&r->rt);
	struct hal_outputs safe;
	/* The drives and the IO module keep their configured watchdogs: once chaird is gone
	 * they let go on their own, as they would if it died. */
	struct hal_safe_request req = {
		.z_velocity_raw = (int16_t)-lround(r->cfg->force.release_speed_mm_s /
						   r->cfg->z.velocity_scale),
		.comm_timeout_ms = (uint16_t)r->cfg->drive_comm_timeout_ms,
		.dio_comm_timeout_ms = (uint16_t)r->cfg->hal.bus.dio_comm_timeout_ms,
		.back_off_relay = -1,
	};
	hal_safe_outputs_with(&safe, &req);
	if (r->be->safe && r->be->safe(r->be->ctx, &safe) < 0)
		log_msg(LOG_ERR, "could not write the safe state on close");
	r->be->close(r->be->ctx);
	free_rings(r);
	r->started = false;
}

uint32_t runner_send(struct runner *r, const struct ctl_cmd *cmd)
{
	struct ctl_cmd c = *cmd;
	c.seq = r->next_seq;
	int lane = safe_lane_of(&c);
	if (lane >= 0)
		safe_lane_post(&r->lane, lane, c.seq);
	else if (!ring_push(&r->cmd_ring, &c))
		return 0;
	if (c.kind == CMD_START) {
		r->plan_sent = c.plan;
		r->plan_sent_seq = c.seq;
	}
	return r->next_seq++;
}

bool runner_plan_busy(const struct runner *r, const struct plan *plan)
{
	if (!plan)
		return false;
	if (plan == r->plan_sent && r->last.start_seq < r->plan_sent_seq)
		return true; /* its start is not handled yet */
	return atomic_load_explicit(&r->ctl.plan_in_use, memory_order_acquire) == plan;
}

/* Count a failed lockstep read or write, for the caller and for the next tick. */
static void io_failed(struct runner *r)
{
	r->io_errors++;
	r->ctl.io_failures++;
}

int runner_advance(struct runner *r, void (*take)(void *arg, const struct telem *t), void *arg)
{
	if (r->mode == RUNNER_LOCKSTEP) {
		/* A failed exchange is counted and handed to the tick (FAULT_IO), as in the
		 * real-time loop. */
		if (r->be->read(r->be->ctx, &r->in) < 0)
			io_failed(r);
		tick(&r->ctl, &r->in, &r->out);
		if (r->be->write(r->be->ctx, &r->out) < 0)
			io_failed(r);
		r->snapshot = (struct rt_snapshot){.tick = r->ctl.tick - 1, .in = r->in, .out = r->out,
						   .io_errors = r->io_errors};
		r->snapshot_valid = true;
	} else {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return runner_drain(r, take, arg);
}

int runner_drain(struct runner *r, void (*take)(void *arg, const struct telem *t), void *arg)
{
	struct fault_record rec;
	while (ring_pop(&r->fault_ring, &rec))
		fault_log_add(&r->faults, &rec);
	while (ring_pop(&r->snapshot_ring, &r->snapshot))
		r->snapshot_valid = true;
	int n = 0;
	struct telem t;
	while (ring_pop(&r->telem_ring, &t)) {
		r->last = t;
		if (take)
			take(arg, &t);
		n++;
	}
	return n;
}

const struct hal_inputs *runner_last_inputs(const struct runner *r)
{
	return r->mode == RUNNER_REALTIME ? &r->rt.in : &r->in;
}

const struct rt_snapshot *runner_snapshot(const struct runner *r)
{
	return r->snapshot_valid ? &r->snapshot : NULL;
}

uint32_t runner_snapshots_dropped(struct runner *r)
{
	return atomic_load_explicit(&r->snapshot_ring.dropped, memory_order_relaxed);
}

double runner_time_s(const struct runner *r)
{
	return (double)r->last.tick * r->ctl.period_s;
}

static void take_report(void *arg, const struct telem *t)
{
	report_take(arg, t);
}

/* The phase a run is in, from the immutable plan: safe to read beside the rt thread. */
static const char *phase_of(const struct plan *plan, const struct telem *t)
{
	if (!plan || t->state != ST_RUNNING || t->phase_step >= plan->step_count)
		return chair_state_name[t->state < ST_COUNT ? t->state : 0];
	uint16_t ph = plan->steps[t->phase_step].phase;
	return ph < plan->phase_count && plan->phase_names[ph][0] ? plan->phase_names[ph]
								  : "running";
}

/* Advance until pred holds for the newest telemetry or limit_s of chair time pass. */
static bool wait_for(struct runner *r, struct report *rep, FILE *out, const struct plan *plan,
		     bool (*pred)(const struct telem *t, uint32_t seq), uint32_t seq,
		     double limit_s, volatile int *stop_flag)
{
	double until_s = runner_time_s(r) + limit_s;
	double next_print_s = 0;
	while (!pred(&r->last, seq)) {
		if (stop_flag && *stop_flag)
			return false;
		runner_advance(r, take_report, rep);
		double now_s = runner_time_s(r);
		if (now_s > until_s)
			return false;
		if (out && now_s >= next_print_s) {
			report_progress(rep, out, phase_of(plan, &r->last));
			next_print_s = now_s + 0.25;
		}
	}
	return true;
}

static bool latched_or(const struct telem *t)
{
	return t->state == ST_FAULT || t->state == ST_ESTOP;
}

static bool homed_idle(const struct telem *t, uint32_t seq)
{
	return latched_or(t) || (t->cmd_seq >= seq && t->state == ST_IDLE && t->homed);
}

static bool run_over(const struct telem *t, uint32_t seq)
{
	return latched_or(t) || (t->cmd_seq >= seq && t->state == ST_IDLE);
}

int runner_run_plan(struct runner *r, const struct plan *plan, struct report *rep, FILE *out,
		    volatile int *stop_flag)
{
	struct ctl_cmd home = {.kind = CMD_HOME};
	uint32_t seq = runner_send(r, &home);
	if (out)
		fprintf(out, "homing\n");
	if (!seq || !wait_for(r, rep, out, NULL, homed_idle, seq, 60, stop_flag))
		return stop_flag && *stop_flag ? -ECANCELED : -ETIMEDOUT;
	if (latched_or(&r->last))
		return -EIO;
	if (out && rep->tty)
		fputc('\n', out);
	if (out)
		fprintf(out, "running \"%s\" (%llu s)\n", plan->name,
			(unsigned long long)(plan->total_ms / 1000));
	struct ctl_cmd start = {.kind = CMD_START, .plan = plan};
	seq = runner_send(r, &start);
	double limit_s = (double)plan->total_ms / 1000.0 * 1.5 + 30;
	bool ended = seq && wait_for(r, rep, out, plan, run_over, seq, limit_s, stop_flag);
	if (!ended && stop_flag && *stop_flag) {
		struct ctl_cmd stop = {.kind = CMD_STOP};
		seq = runner_send(r, &stop);
		wait_for(r, rep, out, plan, run_over, seq, 10, NULL);
		return -ECANCELED;
	}
	if (!ended)
		return -ETIMEDOUT;
	return latched_or(&r->last) ? -EIO : 0;
}
