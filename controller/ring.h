/* A single-producer single-consumer ring of fixed-size records: how the rt thread and
 * the main thread talk without locks. The buffer is given at init (allocated outside
 * the real-time path); push and pop copy a record and never block. */
#ifndef RING_H
#define RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring {
	_Atomic uint32_t head; /* next slot to write; written by the producer only */
	_Atomic uint32_t tail; /* next slot to read; written by the consumer only */
	uint32_t mask;         /* capacity - 1; capacity is a power of two */
	size_t elem_size;
	unsigned char *buf;
	_Atomic uint32_t dropped; /* pushes refused because the ring was full */
};

/* capacity must be a power of two; buf holds capacity * elem_size bytes. */
int ring_init(struct ring *r, void *buf, uint32_t capacity, size_t elem_size);
bool ring_push(struct ring *r, const void *elem);
bool ring_pop(struct ring *r, void *elem);
uint32_t ring_count(struct ring *r);

#endif
