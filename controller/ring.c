/* Acquire/release on the two indices is all the ordering an SPSC ring needs: the
 * producer publishes a record's bytes before the head that covers it, the consumer
 * frees a slot only after it has copied it out. */
#include "ring.h"

#include <errno.h>
#include <string.h>

int ring_init(struct ring *r, void *buf, uint32_t capacity, size_t elem_size)
{
	if (capacity == 0 || (capacity & (capacity - 1)) || !buf || elem_size == 0)
		return -EINVAL;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	r->mask = capacity - 1;
	r->elem_size = elem_size;
	r->buf = buf;
	return 0;
}

bool ring_push(struct ring *r, const void *elem)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail > r->mask) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return false;
	}
	memcpy(r->buf + (size_t)(head & r->mask) * r->elem_size, elem, r->elem_size);
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

bool ring_pop(struct ring *r, void *elem)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	if (head == tail)
		return false;
	memcpy(elem, r->buf + (size_t)(tail & r->mask) * r->elem_size, r->elem_size);
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

uint32_t ring_count(struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}
