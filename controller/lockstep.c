/* The lockstep loop. A failing backend call is counted and handed to the next tick as
 * data (ctl.io_failures), which latches FAULT_IO: the same as the real-time loop. */
#include "lockstep.h"

#include <string.h>

/* Count a failed read or write, for the caller and for the tick that follows. */
static void io_failed(struct lockstep *ls)
{
	ls->io_errors++;
	ls->ctl.io_failures++;
}

int lockstep_open(struct lockstep *ls, const struct chair_config *cfg, struct hal_backend *be,
		  char *err, int err_len)
{
	memset(ls, 0, sizeof(*ls));
	ls->be = be;
	int rc = be->open(be->ctx, &cfg->hal, err, err_len);
	if (rc < 0)
		return rc;
	ctl_init(&ls->ctl, cfg);
	ls->out = ls->ctl.out_prev;
	if (be->read(be->ctx, &ls->in) < 0)
		io_failed(ls);
	return 0;
}

void lockstep_close(struct lockstep *ls)
{
	if (ls->be && ls->be->close)
		ls->be->close(ls->be->ctx);
	ls->be = NULL;
}

void lockstep_tick(struct lockstep *ls)
{
	if (ls->be->read(ls->be->ctx, &ls->in) < 0)
		io_failed(ls);
	tick(&ls->ctl, &ls->in, &ls->out);
	if (ls->be->write(ls->be->ctx, &ls->out) < 0)
		io_failed(ls);
}

int lockstep_command(struct lockstep *ls, enum cmd_kind kind)
{
	struct ctl_cmd cmd = {.kind = kind, .seq = ls->ctl.cmd_seq + 1};
	return ctl_command(&ls->ctl, &cmd);
}

bool lockstep_run_until_state(struct lockstep *ls, enum chair_state state, uint64_t max_ticks)
{
	for (uint64_t i = 0; i < max_ticks; i++) {
		if (ls->ctl.state == state)
			return true;
		lockstep_tick(ls);
	}
	return ls->ctl.state == state;
}

bool lockstep_home(struct lockstep *ls, uint64_t max_ticks)
{
	if (lockstep_command(ls, CMD_HOME) != CMD_OK)
		return false;
	lockstep_tick(ls);
	return lockstep_run_until_state(ls, ST_IDLE, max_ticks) && ls->ctl.est.y_homed &&
	       ls->ctl.est.z_homed;
}
