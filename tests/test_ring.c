/* The SPSC ring between the rt thread and the main thread: it refuses a capacity that is
 * not a power of two, an empty pop and a full push fail without touching anything (a full
 * push is counted), records come out in order over many laps and across the 32-bit index
 * wrap, and a producer and a consumer on two threads lose, repeat and tear no record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "../controller/ring.h"

/* An odd size, so a slot's offset is no multiple of a word. */
struct small {
	uint32_t seq;
	unsigned char bytes[9];
};

static void test_init_refuses_zero_and_non_power_of_two_capacities(void **state)
{
	(void)state;
	struct ring r;
	unsigned char buf[64];
	const uint32_t bad[] = {0, 3, 5, 6, 7, 12, 100, 0x80000001u, 0xffffffffu};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ring_init(&r, buf, bad[i], 1), -EINVAL);
	const uint32_t good[] = {1, 2, 4, 64, 0x80000000u};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(ring_init(&r, buf, good[i], 1), 0);
}

static void test_init_refuses_no_buffer_and_zero_record_size(void **state)
{
	(void)state;
	struct ring r;
	unsigned char buf[64];
	assert_int_equal(ring_init(&r, NULL, 4, 8), -EINVAL);
	assert_int_equal(ring_init(&r, buf, 4, 0), -EINVAL);
}

static void test_pop_from_an_empty_ring_fails_and_leaves_the_record_alone(void **state)
{
	(void)state;
	struct small buf[4], out;
	struct ring r;
	assert_int_equal(ring_init(&r, buf, 4, sizeof(struct small)), 0);
	memset(&out, 0xa5, sizeof(out));
	assert_false(ring_pop(&r, &out));
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(((unsigned char *)&out)[i], 0xa5);
	assert_int_equal(ring_count(&r), 0);
	/* Empty again after a record went through. */
	struct small in = {.seq = 1};
	assert_true(ring_push(&r, &in));
	assert_true(ring_pop(&r, &out));
	assert_false(ring_pop(&r, &out));
	assert_int_equal(out.seq, 1);
}

static void test_push_to_a_full_ring_fails_counts_dropped_and_keeps_what_it_holds(void **state)
{
	(void)state;
	struct small buf[4];
	struct ring r;
	assert_int_equal(ring_init(&r, buf, 4, sizeof(struct small)), 0);
	for (uint32_t i = 0; i < 4; i++) {
		struct small in = {.seq = 100 + i};
		assert_true(ring_push(&r, &in));
	}
	assert_int_equal(ring_count(&r), 4);
	for (uint32_t i = 0; i < 3; i++) {
		struct small in = {.seq = 999};
		assert_false(ring_push(&r, &in));
		assert_int_equal(atomic_load(&r.dropped), i + 1);
	}
	assert_int_equal(ring_count(&r), 4);
	struct small out;
	for (uint32_t i = 0; i < 4; i++) {
		assert_true(ring_pop(&r, &out));
		assert_int_equal(out.seq, 100 + i); /* the refused 999s overwrote nothing */
	}
	/* Room again once a record is out. */
	struct small in = {.seq = 7};
	assert_true(ring_push(&r, &in));
	assert_int_equal(atomic_load(&r.dropped), 3);
}

static void test_capacity_one_holds_exactly_one_record(void **state)
{
	(void)state;
	struct small buf[1], out;
	struct ring r;
	assert_int_equal(ring_init(&r, buf, 1, sizeof(struct small)), 0);
	for (uint32_t i = 0; i < 10; i++) {
		struct small in = {.seq = i};
		assert_true(ring_push(&r, &in));
		assert_false(ring_push(&r, &in));
		assert_true(ring_pop(&r, &out));
		assert_int_equal(out.seq, i);
	}
	assert_int_equal(atomic_load(&r.dropped), 10);
}

static void fill(struct small *s, uint32_t seq)
{
	s->seq = seq;
	for (size_t i = 0; i < sizeof(s->bytes); i++)
		s->bytes[i] = (unsigned char)(seq * 31 + i * 7);
}

static void assert_record(const struct small *s, uint32_t seq)
{
	struct small want;
	fill(&want, seq);
	assert_int_equal(s->seq, seq);
	assert_memory_equal(s->bytes, want.bytes, sizeof(want.bytes));
}

/* Pushes and pops in uneven batches so the fill level and the slot of the lap's start keep
 * changing; returns the next sequence number. */
static uint32_t laps(struct ring *r, uint32_t capacity, uint32_t records)
{
	uint32_t pushed = 0, popped = 0;
	for (uint32_t round = 0; popped < records; round++) {
		uint32_t in = 1 + (round * 5) % capacity;
		for (uint32_t i = 0; i < in && pushed < records; i++) {
			struct small s;
			fill(&s, pushed);
			if (!ring_push(r, &s))
				break;
			pushed++;
		}
		assert_int_equal(ring_count(r), pushed - popped);
		uint32_t out = 1 + (round * 3) % capacity;
		for (uint32_t i = 0; i < out && popped < pushed; i++) {
			struct small s;
			assert_true(ring_pop(r, &s));
			assert_record(&s, popped);
			popped++;
		}
	}
	assert_int_equal(ring_count(r), 0);
	return popped;
}

static void test_many_laps_keep_order_and_content(void **state)
{
	(void)state;
	struct small buf[8];
	struct ring r;
	assert_int_equal(ring_init(&r, buf, 8, sizeof(struct small)), 0);
	assert_int_equal(laps(&r, 8, 100000), 100000); /* 12500 laps at least */
}

static void test_order_holds_across_the_32_bit_index_wrap(void **state)
{
	(void)state;
	struct small buf[8];
	struct ring r;
	assert_int_equal(ring_init(&r, buf, 8, sizeof(struct small)), 0);
	/* As after four billion records: head and tail run free and wrap together. */
	atomic_store(&r.head, UINT32_MAX - 20);
	atomic_store(&r.tail, UINT32_MAX - 20);
	assert_int_equal(ring_count(&r), 0);
	laps(&r, 8, 1000);
	assert_true(atomic_load(&r.head) < 1000); /* wrapped */
	/* Full across the wrap still refuses. */
	atomic_store(&r.head, 3);
	atomic_store(&r.tail, UINT32_MAX - 4); /* 8 records held */
	assert_int_equal(ring_count(&r), 8);
	struct small s = {0};
	assert_false(ring_push(&r, &s));
	assert_true(ring_pop(&r, &s));
	assert_true(ring_push(&r, &s));
}

/* --- two threads ------------------------------------------------------------------------- */

/* A record whose every word depends on its sequence number and a checksum over all of
 * them: a record torn between two pushes fails one or the other. */
struct rec {
	uint64_t seq;
	uint64_t payload[6];
	uint64_t check;
};

#define THREAD_RECORDS 2000000u

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static void make_rec(struct rec *r, uint64_t seq)
{
	r->seq = seq;
	r->check = seq;
	for (size_t i = 0; i < 6; i++) {
		r->payload[i] = mix(seq * 8 + i);
		r->check ^= r->payload[i] * (i + 1);
	}
}

static bool rec_whole(const struct rec *r)
{
	uint64_t check = r->seq;
	for (size_t i = 0; i < 6; i++) {
		if (r->payload[i] != mix(r->seq * 8 + i))
			return false;
		check ^= r->payload[i] * (i + 1);
	}
	return check == r->check;
}

struct producer {
	struct ring *ring;
	uint64_t refused; /* pushes that found the ring full */
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct rec r;
	for (uint64_t seq = 0; seq < THREAD_RECORDS; seq++) {
		make_rec(&r, seq);
		while (!ring_push(p->ring, &r)) {
			p->refused++;
			sched_yield(); /* two cores or one: let the consumer run */
		}
	}
	return NULL;
}

static void test_two_threads_every_record_arrives_once_in_order_and_whole(void **state)
{
	(void)state;
	static struct rec buf[64];
	struct ring ring;
	assert_int_equal(ring_init(&ring, buf, 64, sizeof(struct rec)), 0);
	struct producer p = {.ring = &ring};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, produce, &p), 0);

	uint64_t next = 0, out_of_order = 0, torn = 0;
	struct rec r;
	while (next < THREAD_RECORDS) {
		if (!ring_pop(&ring, &r)) {
			sched_yield();
			continue;
		}
		if (!rec_whole(&r))
			torn++;
		if (r.seq != next)
			out_of_order++;
		next++;
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(torn, 0);
	assert_int_equal(out_of_order, 0);
	assert_false(ring_pop(&ring, &r)); /* nothing repeated or left over */
	assert_int_equal(atomic_load(&ring.dropped), p.refused);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_refuses_zero_and_non_power_of_two_capacities),
		cmocka_unit_test(test_init_refuses_no_buffer_and_zero_record_size),
		cmocka_unit_test(test_pop_from_an_empty_ring_fails_and_leaves_the_record_alone),
		cmocka_unit_test(test_push_to_a_full_ring_fails_counts_dropped_and_keeps_what_it_holds),
		cmocka_unit_test(test_capacity_one_holds_exactly_one_record),
		cmocka_unit_test(test_many_laps_keep_order_and_content),
		cmocka_unit_test(test_order_holds_across_the_32_bit_index_wrap),
		cmocka_unit_test(test_two_threads_every_record_arrives_once_in_order_and_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
