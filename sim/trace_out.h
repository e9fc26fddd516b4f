/* chairsim's trace file, written by a thread of its own, so that the simulated chair never
 * waits on the disk: a write that blocked for tens of ms would stop its drives' clocks, and
 * the catch-up after it would trip their comm watchdogs on requests that came in time. */
#ifndef SIM_TRACE_OUT_H
#define SIM_TRACE_OUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct trace_out {
	FILE *f;
	char *ring;
	size_t cap;
	uint64_t head, tail; /* bytes ever queued and ever written: the ring holds the rest */
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	bool closing;
	int write_errno;    /* the first write error, 0 if none */
	uint64_t waits;     /* lines that waited for room: the disk fell that far behind */
	pthread_t thread;
};

/* Create path and start the writer with a ring of cap bytes; -errno and err on failure. */
int trace_out_open(struct trace_out *t, const char *path, size_t cap, char *err, int err_len);
/* Queue one line (its newline included); waits only when the ring is full. */
void trace_out_line(struct trace_out *t, const char *line, size_t len);
/* Write out what is queued, stop the writer, close the file: 0 or -errno of a failed write. */
int trace_out_close(struct trace_out *t);

#endif
