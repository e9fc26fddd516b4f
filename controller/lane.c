/* The lane of the commands that make the chair safer (tick.h): posted by the main thread,
 * taken whole by the tick, so it cannot fill and a flood of other commands never delays
 * a stop. Atomics only: no lock, no wait on either side. */
#include "tick.h"

int safe_lane_of(const struct ctl_cmd *cmd)
{
	switch (cmd->kind) {
	case CMD_STOP:
		return LANE_STOP;
	case CMD_PAUSE:
		return LANE_PAUSE;
	case CMD_TOO_MUCH:
		return LANE_TOO_MUCH;
	case CMD_INTENSITY:
		return cmd->value < 0 ? LANE_SOFTER : -1;
	case CMD_SPEED:
		return cmd->value < 0 ? LANE_SLOWER : -1;
	default:
		return -1;
	}
}

void safe_lane_post(struct safe_lane *lane, int kind, uint32_t seq)
{
	atomic_store_explicit(&lane->seq[kind], seq, memory_order_relaxed);
	atomic_fetch_add_explicit(&lane->pending[kind], 1, memory_order_release);
}

void safe_lane_take(struct safe_lane *lane, struct lane_take *lt)
{
	static const struct ctl_cmd as_cmd[LANE_COUNT] = {
		[LANE_STOP] = {.kind = CMD_STOP},
		[LANE_PAUSE] = {.kind = CMD_PAUSE},
		[LANE_TOO_MUCH] = {.kind = CMD_TOO_MUCH},
		[LANE_SOFTER] = {.kind = CMD_INTENSITY, .value = -1},
		[LANE_SLOWER] = {.kind = CMD_SPEED, .value = -1},
	};
	lt->n = 0;
	for (int k = 0; k < LANE_COUNT; k++) {
		uint32_t n = atomic_exchange_explicit(&lane->pending[k], 0, memory_order_acquire);
		if (!n)
			continue;
		struct ctl_cmd cmd = as_cmd[k];
		cmd.seq = atomic_load_explicit(&lane->seq[k], memory_order_relaxed);
		int i = lt->n++;
		while (i > 0 && lt->cmd[i - 1].seq > cmd.seq) { /* at most five: insertion */
			lt->cmd[i] = lt->cmd[i - 1];
			lt->times[i] = lt->times[i - 1];
			i--;
		}
		lt->cmd[i] = cmd;
		lt->times[i] = k == LANE_STOP || k == LANE_PAUSE ? 1 : (n < 3 ? n : 3);
	}
}

