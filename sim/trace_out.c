/* chairsim's trace: a byte ring the simulation loop fills and a writer thread drains. */
#include "trace_out.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_OUT_CHUNK 65536 /* the most the writer takes out of the ring at once */

static void *trace_out_writer(void *arg)
{
	struct trace_out *t = arg;
	char *chunk = t->ring + t->cap; /* the writer's own, behind the ring */
	pthread_mutex_lock(&t->lock);
	for (;;) {
		while (t->head == t->tail && !t->closing)
			pthread_cond_wait(&t->more, &t->lock);
		if (t->head == t->tail)
			break; /* closing and drained */
		size_t at = (size_t)(t->tail % t->cap);
		size_t n = (size_t)(t->head - t->tail);
		if (n > t->cap - at)
			n = t->cap - at; /* up to the ring's end; the rest next time */
		if (n > TRACE_OUT_CHUNK)
			n = TRACE_OUT_CHUNK;
		memcpy(chunk, t->ring + at, n);
		t->tail += n;
		pthread_cond_signal(&t->room);
		pthread_mutex_unlock(&t->lock);
		/* Flushed at once, but only at a line's end: the tests read the trace while
		 * the chair runs, and must never see half a line (the stream's own buffer is
		 * larger than two chunks, so it never flushes by itself). */
		bool ok = fwrite(chunk, 1, n, t->f) == n &&
			  (chunk[n - 1] != '\n' || fflush(t->f) == 0);
		int e = errno;
		pthread_mutex_lock(&t->lock);
		if (!ok && !t->write_errno)
			t->write_errno = e ? e : EIO;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int trace_out_open(struct trace_out *t, const char *path, size_t cap, char *err, int err_len)
{
	memset(t, 0, sizeof(*t));
	t->ring = malloc(cap + TRACE_OUT_CHUNK);
	if (!t->ring) {
		snprintf(err, (size_t)err_len, "no memory for a %zu byte trace buffer", cap);
		return -ENOMEM;
	}
	t->cap = cap;
	t->f = fopen(path, "w");
	if (!t->f) {
		int e = errno;
		snprintf(err, (size_t)err_len, "%s: %s", path, strerror(e));
		free(t->ring);
		return -e;
	}
	setvbuf(t->f, NULL, _IOFBF, 4 * TRACE_OUT_CHUNK);
	/* The simulation loop may run at SCHED_FIFO: a writer preempted while it holds the
	 * lock lends it that priority instead of stalling the chair. */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&t->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_cond_init(&t->more, NULL);
	pthread_cond_init(&t->room, NULL);
	/* The writer runs at normal priority, whatever chairsim itself was given. */
	pthread_attr_t attr;
	struct sched_param sp = {.sched_priority = 0};
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_OTHER);
	pthread_attr_setschedparam(&attr, &sp);
	int rc = pthread_create(&t->thread, &attr, trace_out_writer, t);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		snprintf(err, (size_t)err_len, "cannot start the trace writer: %s", strerror(rc));
		fclose(t->f);
		free(t->ring);
		return -rc;
	}
	return 0;
}

void trace_out_line(struct trace_out *t, const char *line, size_t len)
{
	if (len > t->cap)
		len = t->cap;
	pthread_mutex_lock(&t->lock);
	if (t->cap - (size_t)(t->head - t->tail) < len) {
		t->waits++;
		while (t->cap - (size_t)(t->head - t->tail) < len)
			pthread_cond_wait(&t->room, &t->lock);
	}
	size_t at = (size_t)(t->head % t->cap);
	size_t first = len < t->cap - at ? len : t->cap - at;
	memcpy(t->ring + at, line, first);
	memcpy(t->ring, line + first, len - first);
	t->head += len;
	pthread_cond_signal(&t->more);
	pthread_mutex_unlock(&t->lock);
}

int trace_out_close(struct trace_out *t)
{
	pthread_mutex_lock(&t->lock);
	t->closing = true;
	pthread_cond_signal(&t->more);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	int rc = t->write_errno ? -t->write_errno : 0;
	if (fclose(t->f) != 0 && rc == 0)
		rc = -errno;
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->more);
	pthread_cond_destroy(&t->room);
	free(t->ring);
	return rc;
}
