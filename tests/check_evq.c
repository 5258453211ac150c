/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/evq.h"
#include "testutil.h"

/*
 * The event queue's promises: order by (deadline, scheduling order) whatever path an
 * event took through the wheel, cancel and reschedule by id, run boundaries, and no
 * allocation per event. Every test ends with an empty queue and no memory held.
 */

static struct counting_alloc ca;
static struct evq *q;

/* What fired, in order: the tag each callback was given and the clock it saw. */
#define LOG_MAX 8192
static struct {
	intptr_t tag;
	vtime_t at;
} fired_log[LOG_MAX];
static size_t nfired;

static void record(void *arg)
{
	ck_assert_uint_lt(nfired, LOG_MAX);
	fired_log[nfired].tag = (intptr_t)arg;
	fired_log[nfired].at = evq_now(q);
	nfired++;
}

static void noop(void *arg)
{
	(void)arg;
}

static void setup(void)
{
	counting_alloc_init(&ca);
	q = evq_new(&ca.a);
	ck_assert_ptr_nonnull(q);
	nfired = 0;
}

static void teardown(void)
{
	evq_run(q, 0);
	ck_assert_uint_eq(evq_count(q), 0);
	evq_free(q);
	q = NULL;
	ck_assert_int_eq(ca.live, 0);
}

static evq_id at(vtime_t when, intptr_t tag)
{
	evq_id id = 0;

	ck_assert_int_eq(evq_schedule(q, when, record, (void *)tag, &id), 0);
	ck_assert_uint_ne(id, 0);
	return id;
}

/* The log holds exactly these tags, in this order. */
static void expect_tags(const intptr_t *tags, size_t n)
{
	ck_assert_uint_eq(nfired, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(fired_log[k].tag == tags[k], "event %zu: tag %ld, expected %ld", k,
		              (long)fired_log[k].tag, (long)tags[k]);
}

#define EXPECT_TAGS(...)                                                                          \
	do {                                                                                      \
		const intptr_t want_[] = {__VA_ARGS__};                                           \
		expect_tags(want_, sizeof(want_) / sizeof(want_[0]));                             \
	} while (0)

/* A tiny xorshift64: the tests' own randomness, independent of the library's rng. */
static uint64_t xs_state;

static uint64_t xs(void)
{
	uint64_t x = xs_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return xs_state = x;
}

static uint64_t xs_below(uint64_t n)
{
	return n ? xs() % n : 0;
}

/* ---------------------------------------------------------------- ordering */

START_TEST(test_order_by_deadline)
{
	/* Deadlines that land on many different levels of the wheel. */
	static const vtime_t when[] = {50,      10,      (vtime_t)1 << 40, 30, 4096, 63,     64,
	                               1000000, VTIME_S, 3 * VTIME_MIN,    0,  4095, 262144, 5};
	const size_t n = sizeof(when) / sizeof(when[0]);

	for (size_t k = 0; k < n; k++)
		at(when[k], (intptr_t)k);
	ck_assert_uint_eq(evq_count(q), n);
	ck_assert_uint_eq(evq_run(q, 0), n);
	ck_assert_uint_eq(nfired, n);
	for (size_t k = 0; k < n; k++) {
		ck_assert_int_eq(fired_log[k].at, when[fired_log[k].tag]);
		if (k)
			ck_assert_int_lt(fired_log[k - 1].at, fired_log[k].at);
	}
	ck_assert_int_eq(evq_now(q), (vtime_t)1 << 40);
	ck_assert_uint_eq(evq_fired(q), n);
}
END_TEST

START_TEST(test_ties_fire_in_scheduling_order)
{
	for (intptr_t k = 0; k < 300; k++) {
		at(777, k);
		if (k % 7 == 0)
			at(776, 1000 + k);
		if (k % 5 == 0)
			at(778, 2000 + k);
	}
	evq_run(q, 0);
	size_t i = 0;

	for (intptr_t k = 0; k < 300; k += 7, i++)
		ck_assert_int_eq(fired_log[i].tag, 1000 + k);
	for (intptr_t k = 0; k < 300; k++, i++)
		ck_assert_int_eq(fired_log[i].tag, k);
	for (intptr_t k = 0; k < 300; k += 5, i++)
		ck_assert_int_eq(fired_log[i].tag, 2000 + k);
	ck_assert_uint_eq(i, nfired);
}
END_TEST

START_TEST(test_tie_cascaded_before_fresh)
{
	/* The brief's case: A waits from 0 and comes down through the levels; B is
	 * scheduled just before the instant. A fires first. */
	at(1000000, 'A');
	ck_assert_uint_eq(evq_run_until(q, 999990, 0), 0);
	ck_assert_int_eq(evq_now(q), 999990);
	at(1000000, 'B');
	ck_assert_uint_eq(evq_run_until(q, 1000000, 0), 2);
	EXPECT_TAGS('A', 'B');
}
END_TEST

START_TEST(test_tie_cascaded_many_paths)
{
	/* For spans across every level and late arrivals at many distances, events for one
	 * instant fire in scheduling order whatever level each was filed at. */
	static const vtime_t spans[] = {1,
	                                63,
	                                64,
	                                65,
	                                4096,
	                                1000000,
	                                999999937,
	                                VTIME_S,
	                                3600 * VTIME_S,
	                                ((vtime_t)1 << 50) + 12345};

	for (size_t s = 0; s < sizeof(spans) / sizeof(spans[0]); s++) {
		vtime_t t = evq_now(q) + spans[s];
		intptr_t tag = 0;

		nfired = 0;
		at(t, tag++);
		for (vtime_t gap = spans[s] / 2; gap > 0; gap /= 3) {
			evq_run_until(q, t - gap, 0);
			at(t, tag++);
			/* Neighbours that share the high digits, to keep the slots busy. */
			at(t + 1, 1000 + tag);
			at(t - gap + 1 < t ? t - gap + 1 : t + 2, 1000 + tag);
		}
		at(t, tag++);
		evq_run_until(q, t, 0);
		size_t i = 0;

		for (size_t k = 0; k < nfired; k++) {
			if (fired_log[k].at != t)
				continue;
			ck_assert_int_eq(fired_log[k].tag, (intptr_t)i);
			i++;
		}
		ck_assert_uint_eq(i, (size_t)tag);
		evq_run_until(q, t + 2, 0);
		ck_assert_uint_eq(evq_count(q), 0);
	}
}
END_TEST

START_TEST(test_tie_reschedule_counts_as_new)
{
	evq_id a, b;

	/* Both near the cursor. */
	a = at(100, 'A');
	at(100, 'B');
	ck_assert_int_eq(evq_reschedule(q, a, 100), 0);
	evq_run(q, 0);
	EXPECT_TAGS('B', 'A');

	/* Both from far away, one rescheduled after both came down some levels. */
	nfired = 0;
	a = at(5000000, 'A');
	at(5000000, 'B');
	evq_run_until(q, 4999995, 0);
	ck_assert_int_eq(evq_reschedule(q, a, 5000000), 0);
	at(5000000, 'C');
	evq_run(q, 0);
	EXPECT_TAGS('B', 'A', 'C');

	/* Away and back. */
	nfired = 0;
	a = at(6000000, 'A');
	b = at(6000000, 'B');
	ck_assert_int_eq(evq_reschedule(q, a, 7000000), 0);
	ck_assert_int_eq(evq_reschedule(q, a, 6000000), 0);
	evq_run(q, 0);
	EXPECT_TAGS('B', 'A');

	/* Moved earlier onto an instant that already has an event. */
	nfired = 0;
	a = at(9000000000LL, 'A');
	b = at(8000000000LL, 'B');
	evq_run_until(q, 7999999999LL, 0);
	ck_assert_int_eq(evq_reschedule(q, a, 8000000000LL), 0);
	evq_run(q, 0);
	EXPECT_TAGS('B', 'A');
	ck_assert_int_eq(evq_reschedule(q, b, 8000000000LL), -ENOENT);
}
END_TEST

/* ---------------------------------------------------------------- cancel */

START_TEST(test_cancel)
{
	evq_id a = at(100, 'A');
	evq_id b = at(200, 'B');

	ck_assert(evq_pending(q, a));
	ck_assert_int_eq(evq_cancel(q, a), 0);
	ck_assert(!evq_pending(q, a));
	ck_assert_int_eq(evq_cancel(q, a), -ENOENT);
	ck_assert_uint_eq(evq_count(q), 1);
	evq_run(q, 0);
	EXPECT_TAGS('B');
	ck_assert_int_eq(evq_cancel(q, b), -ENOENT);
	ck_assert_int_eq(evq_cancel(q, 0), -ENOENT);
	ck_assert_int_eq(evq_cancel(q, UINT64_C(0xdead00000001)), -ENOENT);
	ck_assert_int_eq(evq_cancel(q, UINT64_C(0x1ffffffff)), -ENOENT);

	/* A node is reused, but the old ids stay dead. */
	evq_id c = at(300, 'C');

	ck_assert_uint_ne(c, a);
	ck_assert_uint_ne(c, b);
	ck_assert_int_eq(evq_cancel(q, a), -ENOENT);
	ck_assert_int_eq(evq_cancel(q, b), -ENOENT);
	ck_assert(evq_pending(q, c));
	ck_assert_int_eq(evq_cancel(q, c), 0);
	ck_assert_uint_eq(evq_count(q), 0);
}
END_TEST

static evq_id victims[4];
static int victim_rc[4];

static void cancel_victims(void *arg)
{
	record(arg);
	for (int k = 0; k < 4; k++)
		victim_rc[k] = evq_cancel(q, victims[k]);
}

START_TEST(test_cancel_from_callback)
{
	evq_id self;

	ck_assert_int_eq(evq_schedule(q, 50, cancel_victims, (void *)'X', &self), 0);
	victims[0] = at(50, 'Y'); /* same instant, later in the list */
	victims[1] = at(51, 'Z'); /* next instant */
	victims[2] = self;        /* already gone */
	victims[3] = at(50, 'W');
	at(50, 'V');
	ck_assert_int_eq(evq_cancel(q, victims[3]), 0); /* a hole before V */
	evq_run(q, 0);
	EXPECT_TAGS('X', 'V');
	ck_assert_int_eq(victim_rc[0], 0);
	ck_assert_int_eq(victim_rc[1], 0);
	ck_assert_int_eq(victim_rc[2], -ENOENT);
	ck_assert_int_eq(victim_rc[3], -ENOENT);
}
END_TEST

START_TEST(test_cancel_fired_from_callback)
{
	/* Y cancels X, which fired just before it at the same instant. */
	victims[0] = at(70, 'X');
	victims[1] = victims[2] = victims[3] = 0;
	ck_assert_int_eq(evq_schedule(q, 70, cancel_victims, (void *)'Y', NULL), 0);
	evq_run(q, 0);
	EXPECT_TAGS('X', 'Y');
	ck_assert_int_eq(victim_rc[0], -ENOENT);
}
END_TEST

/* ---------------------------------------------------------------- scheduling from callbacks */

static void spawn_now(void *arg)
{
	record(arg);
	if ((intptr_t)arg == 'A') {
		ck_assert_int_eq(evq_schedule(q, evq_now(q), record, (void *)'C', NULL), 0);
		ck_assert_int_eq(evq_schedule_in(q, 0, spawn_now, (void *)'D', NULL), 0);
	} else if ((intptr_t)arg == 'D') {
		ck_assert_int_eq(evq_schedule_in(q, 0, record, (void *)'E', NULL), 0);
	}
}

START_TEST(test_schedule_now_from_callback)
{
	ck_assert_int_eq(evq_schedule(q, 1000, spawn_now, (void *)'A', NULL), 0);
	at(1000, 'B');
	at(1001, 'F');
	ck_assert_uint_eq(evq_run_until(q, 1000, 0), 5);
	EXPECT_TAGS('A', 'B', 'C', 'D', 'E');
	for (size_t k = 0; k < nfired; k++)
		ck_assert_int_eq(fired_log[k].at, 1000);
	ck_assert_uint_eq(evq_count(q), 1);
}
END_TEST

/* ---------------------------------------------------------------- reschedule, deadline, peek */

START_TEST(test_reschedule_keeps_id)
{
	evq_id id = at(100, 'A');
	vtime_t w;

	ck_assert_int_eq(evq_reschedule(q, id, 500), 0);
	ck_assert(evq_pending(q, id));
	ck_assert_int_eq(evq_deadline(q, id, &w), 0);
	ck_assert_int_eq(w, 500);
	ck_assert_int_eq(evq_reschedule(q, id, 50), 0);
	ck_assert_uint_eq(evq_run_until(q, 40, 0), 0);
	/* Into the past: refused, and the event keeps its time. */
	ck_assert_int_eq(evq_reschedule(q, id, 39), -EINVAL);
	ck_assert_int_eq(evq_deadline(q, id, &w), 0);
	ck_assert_int_eq(w, 50);
	ck_assert_uint_eq(evq_run_until(q, 60, 0), 1);
	ck_assert_int_eq(fired_log[0].at, 50);
	ck_assert_int_eq(evq_reschedule(q, id, 100), -ENOENT);
	ck_assert_int_eq(evq_deadline(q, id, &w), -ENOENT);
	ck_assert(!evq_pending(q, id));
	ck_assert_uint_eq(evq_count(q), 0);
}
END_TEST

START_TEST(test_peek_and_deadline)
{
	vtime_t w = -1;

	ck_assert_int_eq(evq_peek(q, &w), -ENOENT);
	evq_id far = at((vtime_t)1 << 40, 'F');
	/* Several events sharing one high slot: peek must find the least of them. */
	evq_id e[5];
	static const vtime_t t[5] = {300007, 300003, 300005, 300004, 300009};

	for (int k = 0; k < 5; k++)
		e[k] = at(t[k], k);
	ck_assert_int_eq(evq_peek(q, &w), 0);
	ck_assert_int_eq(w, 300003);
	ck_assert_int_eq(evq_cancel(q, e[1]), 0);
	ck_assert_int_eq(evq_peek(q, &w), 0);
	ck_assert_int_eq(w, 300004);
	/* Peek changes nothing: the clock stays and scheduling before the peeked time works. */
	ck_assert_int_eq(evq_now(q), 0);
	at(10, 'x');
	ck_assert_int_eq(evq_peek(q, &w), 0);
	ck_assert_int_eq(w, 10);
	ck_assert_int_eq(evq_deadline(q, e[4], &w), 0);
	ck_assert_int_eq(w, 300009);
	ck_assert_int_eq(evq_deadline(q, far, &w), 0);
	ck_assert_int_eq(w, (vtime_t)1 << 40);
	ck_assert_int_eq(evq_deadline(q, e[1], &w), -ENOENT);
	ck_assert_uint_eq(evq_step(q), 1);
	ck_assert_int_eq(evq_peek(q, &w), 0);
	ck_assert_int_eq(w, 300004);
	ck_assert_uint_eq(evq_step(q), 1);
	/* Now in level 0: peek answers from the slot number. */
	ck_assert_int_eq(evq_peek(q, &w), 0);
	ck_assert_int_eq(w, 300005);
	evq_run(q, 0);
	ck_assert_int_eq(evq_peek(q, &w), -ENOENT);
}
END_TEST

/* ---------------------------------------------------------------- running */

START_TEST(test_run_until_boundaries)
{
	const vtime_t t = 123456789;

	at(t, 'T');
	at(t + 1, 'U');
	ck_assert_uint_eq(evq_run_until(q, t, 0), 1);
	EXPECT_TAGS('T');
	ck_assert_int_eq(evq_now(q), t);
	ck_assert_uint_eq(evq_count(q), 1);
	ck_assert_uint_eq(evq_run_until(q, t, 0), 0);
	/* A target in the past: nothing fires, the clock does not move. */
	ck_assert_uint_eq(evq_run_until(q, t - 5, 0), 0);
	ck_assert_int_eq(evq_now(q), t);
	ck_assert_uint_eq(evq_run_until(q, -1, 0), 0);
	ck_assert_int_eq(evq_now(q), t);
	ck_assert_uint_eq(evq_run_until(q, t + 1, 0), 1);
	ck_assert_int_eq(evq_now(q), t + 1);
	/* An empty queue: the clock still goes to t. */
	ck_assert_uint_eq(evq_run_until(q, 5 * VTIME_S, 0), 0);
	ck_assert_int_eq(evq_now(q), 5 * VTIME_S);
	/* After a run that stopped short of a far event, scheduling just after now works. */
	at(9 * VTIME_S, 'F');
	ck_assert_uint_eq(evq_run_until(q, 7 * VTIME_S + 3, 0), 0);
	at(7 * VTIME_S + 3, 'N');
	at(7 * VTIME_S + 4, 'M');
	evq_run(q, 0);
	EXPECT_TAGS('T', 'U', 'N', 'M', 'F');
}
END_TEST

START_TEST(test_run_max_events)
{
	for (intptr_t k = 1; k <= 10; k++)
		at(10 * k, k);
	ck_assert_uint_eq(evq_run_until(q, 1000, 3), 3);
	ck_assert_int_eq(evq_now(q), 30);
	ck_assert_uint_eq(evq_run(q, 4), 4);
	ck_assert_int_eq(evq_now(q), 70);
	ck_assert_uint_eq(evq_run_until(q, 85, 5), 1);
	ck_assert_int_eq(evq_now(q), 85);
	ck_assert_uint_eq(evq_run_until(q, 1000, 0), 2);
	ck_assert_int_eq(evq_now(q), 1000);
	EXPECT_TAGS(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
	ck_assert(!evq_stopped(q));
}
END_TEST

START_TEST(test_step)
{
	ck_assert_int_eq(evq_step(q), 0);
	ck_assert_int_eq(evq_now(q), 0);
	at(9, 'c');
	at(5, 'a');
	at(5, 'b');
	ck_assert_int_eq(evq_step(q), 1);
	ck_assert_int_eq(evq_now(q), 5);
	ck_assert_int_eq(evq_step(q), 1);
	ck_assert_int_eq(evq_now(q), 5);
	ck_assert_int_eq(evq_step(q), 1);
	ck_assert_int_eq(evq_now(q), 9);
	ck_assert_int_eq(evq_step(q), 0);
	ck_assert_int_eq(evq_now(q), 9);
	EXPECT_TAGS('a', 'b', 'c');
	ck_assert_uint_eq(evq_fired(q), 3);
}
END_TEST

static void stopper(void *arg)
{
	record(arg);
	evq_stop(q);
}

START_TEST(test_stop)
{
	at(10, 1);
	ck_assert_int_eq(evq_schedule(q, 20, stopper, (void *)2, NULL), 0);
	at(20, 3);
	at(30, 4);
	ck_assert_uint_eq(evq_run(q, 0), 2);
	ck_assert(evq_stopped(q));
	ck_assert_int_eq(evq_now(q), 20);
	ck_assert_uint_eq(evq_run_until(q, 100, 0), 2);
	ck_assert(!evq_stopped(q));
	ck_assert_int_eq(evq_now(q), 100);
	/* run_until stopped by a callback leaves the clock at that event. */
	ck_assert_int_eq(evq_schedule(q, 150, stopper, (void *)5, NULL), 0);
	at(160, 6);
	ck_assert_uint_eq(evq_run_until(q, 1000, 0), 1);
	ck_assert(evq_stopped(q));
	ck_assert_int_eq(evq_now(q), 150);
	/* A stop asked for outside a run does not carry into the next one. */
	evq_stop(q);
	ck_assert_uint_eq(evq_run_until(q, 1000, 0), 1);
	ck_assert(!evq_stopped(q));
	EXPECT_TAGS(1, 2, 3, 4, 5, 6);
}
END_TEST

static uint64_t nested_ran;

static void nested(void *arg)
{
	record(arg);
	nested_ran += evq_run_until(q, evq_now(q) + 1000, 0);
	nested_ran += evq_run(q, 0);
	nested_ran += (uint64_t)evq_step(q);
}

START_TEST(test_nested_run_refused)
{
	ck_assert_int_eq(evq_schedule(q, 10, nested, (void *)1, NULL), 0);
	at(20, 2);
	at(5000, 3);
	nested_ran = 0;
	ck_assert_uint_eq(evq_run_until(q, 100, 0), 2);
	ck_assert_uint_eq(nested_ran, 0);
	ck_assert_int_eq(evq_now(q), 100);
	EXPECT_TAGS(1, 2);
}
END_TEST

/* ---------------------------------------------------------------- limits */

START_TEST(test_far_deadlines)
{
	evq_id id;

	at(VTIME_MAX, 1);
	at(VTIME_MAX - 1, 2);
	at((vtime_t)1 << 62, 3);
	at(VTIME_MAX, 4);
	at(0, 5);
	ck_assert_int_eq(evq_schedule_in(q, VTIME_MAX, record, (void *)6, NULL), 0);
	ck_assert_uint_eq(evq_run_until(q, VTIME_MAX - 1, 0), 3);
	ck_assert_int_eq(evq_now(q), VTIME_MAX - 1);
	ck_assert_int_eq(evq_schedule_in(q, 2, record, (void *)7, &id), -EINVAL);
	ck_assert_int_eq(evq_schedule_in(q, VTIME_MAX, record, (void *)7, &id), -EINVAL);
	ck_assert_int_eq(evq_schedule_in(q, 1, record, (void *)7, &id), 0);
	ck_assert_uint_eq(evq_run_until(q, VTIME_MAX, 0), 4);
	ck_assert_int_eq(evq_now(q), VTIME_MAX);
	ck_assert_int_eq(evq_schedule_in(q, 0, record, (void *)8, NULL), 0);
	ck_assert_uint_eq(evq_run_until(q, VTIME_MAX, 0), 1);
	EXPECT_TAGS(5, 3, 2, 1, 4, 6, 7, 8);
	ck_assert_int_eq(evq_schedule_in(q, 1, record, (void *)9, NULL), -EINVAL);
}
END_TEST

static int chain_left;

static void chain(void *arg)
{
	record(arg);
	if (chain_left-- > 0)
		ck_assert_int_eq(evq_schedule_in(q, 0, chain, arg, NULL), 0);
}

START_TEST(test_zero_delay)
{
	evq_run_until(q, 777, 0);
	chain_left = 9;
	ck_assert_int_eq(evq_schedule_in(q, 0, chain, (void *)1, NULL), 0);
	at(777, 2);
	ck_assert_uint_eq(evq_run_until(q, 777, 0), 11);
	ck_assert_int_eq(evq_now(q), 777);
	ck_assert_int_eq(fired_log[0].tag, 1);
	ck_assert_int_eq(fired_log[1].tag, 2);
	for (size_t k = 0; k < nfired; k++)
		ck_assert_int_eq(fired_log[k].at, 777);
}
END_TEST

START_TEST(test_invalid_arguments)
{
	evq_id id = 42;

	evq_run_until(q, 100, 0);
	ck_assert_int_eq(evq_schedule(q, 99, record, NULL, &id), -EINVAL);
	ck_assert_int_eq(evq_schedule(q, -5, record, NULL, &id), -EINVAL);
	ck_assert_int_eq(evq_schedule_in(q, -1, record, NULL, &id), -EINVAL);
	ck_assert_int_eq(evq_schedule_in(q, INT64_MIN, record, NULL, &id), -EINVAL);
	ck_assert_int_eq(evq_schedule(q, 200, NULL, NULL, &id), -EINVAL);
	ck_assert_uint_eq(id, 42);
	ck_assert_uint_eq(evq_count(q), 0);
	ck_assert_int_eq(evq_schedule(q, 100, record, NULL, NULL), 0);
	ck_assert_uint_eq(evq_count(q), 1);
}
END_TEST

START_TEST(test_queues_are_independent)
{
	struct evq *other = evq_new(NULL);

	ck_assert_ptr_nonnull(other);
	at(10, 1);
	ck_assert_int_eq(evq_schedule(other, 5, noop, NULL, NULL), 0);
	ck_assert_int_eq(evq_schedule(other, 50, noop, NULL, NULL), 0);
	ck_assert_uint_eq(evq_run_until(other, 20, 0), 1);
	ck_assert_int_eq(evq_now(q), 0);
	ck_assert_uint_eq(evq_count(q), 1);
	ck_assert_uint_eq(evq_run(q, 0), 1);
	ck_assert_uint_eq(evq_count(other), 1);
	/* Freed with an event pending: it is not called. */
	evq_free(other);
	evq_free(NULL);
}
END_TEST

/* Many events, few distinct instants: long slot lists over several blocks and chunks. */
static vtime_t last_when;
static intptr_t last_seq;
static size_t in_order;

static void check_order(void *arg)
{
	intptr_t seq = (intptr_t)arg;

	ck_assert(evq_now(q) > last_when || (evq_now(q) == last_when && seq > last_seq));
	last_when = evq_now(q);
	last_seq = seq;
	in_order++;
}

START_TEST(test_many_pending_in_order)
{
	enum { N = 60000 };
	static evq_id ids[N];
	size_t cancelled = 0;

	xs_state = 99;
	for (intptr_t k = 0; k < N; k++) {
		/* 0..63 ns, 0..4 ms or 0..17 min, in steps that make many ties. */
		vtime_t when = (vtime_t)xs_below(64) << (xs_below(3) * 16);

		ck_assert_int_eq(evq_schedule(q, when, check_order, (void *)k, &ids[k]), 0);
	}
	/* Holes everywhere: at block starts and ends and in runs. */
	for (size_t k = 0; k < N; k++) {
		if (k % 13 == 0 || k % 7 == 3 || (k / 100) % 10 == 4) {
			ck_assert_int_eq(evq_cancel(q, ids[k]), 0);
			cancelled++;
		}
	}
	last_when = -1;
	last_seq = -1;
	in_order = 0;
	ck_assert_uint_eq(evq_run(q, 0), N - cancelled);
	ck_assert_uint_eq(in_order, N - cancelled);
}
END_TEST

/* ---------------------------------------------------------------- against a reference model */

/*
 * The model: pending events sorted by (deadline, sequence), descending, so the next to
 * fire is the last element. Callbacks check themselves against it as they fire, and
 * sometimes schedule, cancel, reschedule or stop, as TCP timers do.
 */
struct mev {
	vtime_t when;
	evq_id id;
	uint32_t tag;
};

static struct mev *model;
static size_t mn, mcap;
static uint32_t next_tag;
static evq_id stale[64];
static unsigned nstale;
static uint64_t model_fired;

static void model_fire(void *arg);

static void model_insert(vtime_t when, evq_id id, uint32_t tag)
{
	size_t lo = 0, hi = mn;

	/* The newest event goes after every older one with the same deadline, that is,
	 * before them in this descending array. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (model[mid].when > when)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (mn == mcap) {
		mcap = mcap ? 2 * mcap : 1024;
		model = realloc(model, mcap * sizeof(*model));
		ck_assert_ptr_nonnull(model);
	}
	memmove(&model[lo + 1], &model[lo], (mn - lo) * sizeof(*model));
	model[lo] = (struct mev){when, id, tag};
	mn++;
}

/* Takes element k out; `dies` when its id becomes stale (fired or cancelled). */
static struct mev model_remove(size_t k, bool dies)
{
	struct mev e = model[k];

	memmove(&model[k], &model[k + 1], (mn - k - 1) * sizeof(*model));
	mn--;
	if (dies)
		stale[nstale++ % 64] = e.id;
	return e;
}

/* Events this far ahead fire only in the final drain, so the clock never nears the end
 * of time halfway through. */
#define FAR ((vtime_t)1 << 46)

/* Delays from nanoseconds to hours, zero, exact ties with pending events, and now and
 * then a far one, up to the end of time. */
static vtime_t rnd_delay_from(vtime_t now)
{
	uint64_t r = xs();

	switch (r % 16) {
	case 0:
		return 0;
	case 1:
	case 2:
		return mn ? model[xs_below(mn)].when - now : 1;
	case 3:
		if (r % 128 != 3)
			return (vtime_t)xs_below(64);
		if (r % 256 == 3)
			return VTIME_MAX - now - (vtime_t)xs_below(4);
		return FAR + (vtime_t)xs_below(UINT64_C(1) << 60);
	default:
		return (vtime_t)(xs() & ((UINT64_C(1) << xs_below(43)) - 1));
	}
}

/* The drain does reach the end of time: nothing goes past it. */
static vtime_t rnd_delay(void)
{
	vtime_t now = evq_now(q), d = rnd_delay_from(now);

	return d > VTIME_MAX - now ? VTIME_MAX - now : d;
}

/* How far a run goes: mostly up to a second, now and then minutes, often exactly to a
 * pending deadline; never to a far event. */
static vtime_t run_delay(void)
{
	uint64_t r = xs();
	vtime_t d = -1;

	if (r % 4 == 0 && mn)
		d = model[xs_below(mn)].when - evq_now(q);
	if (d < 0 || d >= (vtime_t)1 << 36)
		d = (vtime_t)(xs() & ((UINT64_C(1) << xs_below(r % 64 == 1 ? 40 : 31)) - 1));
	return d;
}

static void model_schedule(void)
{
	vtime_t when = evq_now(q) + rnd_delay();
	uint32_t tag = next_tag++;
	evq_id id = 0;

	ck_assert_int_eq(evq_schedule(q, when, model_fire, (void *)(uintptr_t)tag, &id), 0);
	model_insert(when, id, tag);
}

static void model_cancel(void)
{
	if (!mn)
		return;
	struct mev e = model_remove(xs_below(mn), true);

	ck_assert_int_eq(evq_cancel(q, e.id), 0);
}

static void model_reschedule(void)
{
	if (!mn)
		return;
	struct mev e = model_remove(xs_below(mn), false);

	e.when = evq_now(q) + rnd_delay();
	ck_assert_int_eq(evq_reschedule(q, e.id, e.when), 0);
	model_insert(e.when, e.id, e.tag);
}

static void model_fire(void *arg)
{
	uint32_t tag = (uint32_t)(uintptr_t)arg;

	ck_assert_uint_gt(mn, 0);
	ck_assert_uint_eq(model[mn - 1].tag, tag);
	ck_assert_int_eq(model[mn - 1].when, evq_now(q));
	model_remove(mn - 1, true);
	model_fired++;
	switch (xs() % 32) {
	case 0:
	case 1:
	case 2:
	case 3:
		model_schedule();
		break;
	case 4:
		model_cancel();
		break;
	case 5:
		model_reschedule();
		break;
	case 6:
		evq_stop(q);
		break;
	}
}

static void model_check_stale(void)
{
	evq_id id = stale[xs_below(nstale < 64 ? nstale : 64)];
	vtime_t w;

	if (!nstale)
		return;
	ck_assert_int_eq(evq_cancel(q, id), -ENOENT);
	ck_assert(!evq_pending(q, id));
	ck_assert_int_eq(evq_deadline(q, id, &w), -ENOENT);
	ck_assert_int_eq(evq_reschedule(q, id, evq_now(q)), -ENOENT);
}

START_TEST(test_random_against_model)
{
	xs_state = UINT64_C(0x9e3779b97f4a7c15);
	mn = 0;
	nstale = 0;
	next_tag = 0;
	model_fired = 0;
	for (unsigned op = 0; op < 200000; op++) {
		uint64_t before = model_fired, n;
		vtime_t w, t;

		unsigned pick = (unsigned)xs_below(20);

		/* Keep a few thousand pending; leave far events for the drain. */
		if (mn > 2000 && pick > 8)
			pick = (unsigned)xs_below(8);
		if (mn && model[mn - 1].when - evq_now(q) >= FAR && pick <= 2)
			pick = 19;
		switch (pick) {
		case 0:
		case 1:
		case 2:
			if (mn) {
				ck_assert_int_eq(evq_step(q), 1);
				ck_assert_uint_eq(model_fired, before + 1);
			} else {
				ck_assert_int_eq(evq_step(q), 0);
			}
			break;
		case 3:
		case 4:
			w = evq_now(q);
			t = w + (xs() % 8 ? run_delay() : -(vtime_t)xs_below(3));
			n = evq_run_until(q, t, 0);
			ck_assert_uint_eq(n, model_fired - before);
			if (t < w) {
				ck_assert_uint_eq(n, 0);
				ck_assert_int_eq(evq_now(q), w);
			} else if (evq_stopped(q)) {
				ck_assert_int_le(evq_now(q), t);
			} else {
				ck_assert_int_eq(evq_now(q), t);
				ck_assert(!mn || model[mn - 1].when > t);
			}
			break;
		case 5:
			t = evq_now(q) + run_delay();
			w = (vtime_t)(1 + xs_below(20));
			n = evq_run_until(q, t, (uint64_t)w);
			ck_assert_uint_eq(n, model_fired - before);
			ck_assert_uint_le(n, (uint64_t)w);
			if (n < (uint64_t)w && !evq_stopped(q))
				ck_assert_int_eq(evq_now(q), t);
			break;
		case 6:
			model_cancel();
			break;
		case 7:
			model_reschedule();
			break;
		case 8:
			model_check_stale();
			if (mn) {
				struct mev *e = &model[xs_below(mn)];

				ck_assert_int_eq(evq_deadline(q, e->id, &w), 0);
				ck_assert_int_eq(w, e->when);
			}
			break;
		default:
			model_schedule();
			break;
		}
		ck_assert_uint_eq(evq_count(q), mn);
		if (mn) {
			ck_assert_int_eq(evq_peek(q, &w), 0);
			ck_assert_int_eq(w, model[mn - 1].when);
		} else {
			ck_assert_int_eq(evq_peek(q, &w), -ENOENT);
		}
	}
	/* Drain, still checked event by event; callbacks may stop or add more. */
	while (evq_count(q))
		evq_run(q, 0);
	ck_assert_uint_eq(mn, 0);
	ck_assert_uint_eq(evq_fired(q), model_fired);
	free(model);
	model = NULL;
	mcap = 0;
}
END_TEST

/* ---------------------------------------------------------------- memory */

static bool respawn;

static void replace_self(void *arg)
{
	if (!respawn)
		return;
	/* Delays from 1 us to about a minute, as a TCP run's timers and links give. */
	vtime_t d = (vtime_t)(xs() & ((UINT64_C(1) << (10 + xs_below(26))) - 1));

	ck_assert_int_eq(evq_schedule_in(q, d, replace_self, arg, NULL), 0);
}

static vtime_t below(vtime_t n)
{
	return (vtime_t)xs_below((uint64_t)n);
}

START_TEST(test_no_allocation_per_event)
{
	enum { N = 20000 };
	static evq_id ids[N];
	unsigned long allocs;

	xs_state = 12345;
	respawn = true;
	for (unsigned k = 0; k < N; k++)
		ck_assert_int_eq(evq_schedule_in(q, below(VTIME_S), replace_self, NULL, NULL), 0);
	/* Steady state: each event fired schedules its replacement. */
	allocs = ca.allocs;
	ck_assert_uint_eq(evq_run(q, 100000), 100000);
	ck_assert_uint_eq(evq_count(q), N);
	ck_assert_uint_eq(ca.allocs, allocs);

	/* Schedule + cancel and reschedule at a steady pending count: still nothing. */
	for (unsigned k = 0; k < N; k++)
		ck_assert_int_eq(evq_schedule_in(q, below(60 * VTIME_S), noop, NULL, &ids[k]), 0);
	allocs = ca.allocs;
	for (unsigned k = 0; k < 100000; k++) {
		unsigned i = (unsigned)xs_below(N);

		ck_assert_int_eq(evq_cancel(q, ids[i]), 0);
		ck_assert_int_eq(evq_schedule_in(q, below(60 * VTIME_S), noop, NULL, &ids[i]), 0);
		i = (unsigned)xs_below(N);
		ck_assert_int_eq(evq_reschedule(q, ids[i], evq_now(q) + below(VTIME_S)), 0);
	}
	ck_assert_uint_eq(ca.allocs, allocs);
	respawn = false;
}
END_TEST

START_TEST(test_enomem)
{
	/* Fail each allocation in turn: the queue itself, the chunk array, each chunk, and
	 * the chunk array's growth past eight chunks. */
	for (unsigned long fail = 1; fail <= 14; fail++) {
		struct counting_alloc c;
		struct evq *e;
		uint64_t ok = 0;
		int r = 0;

		counting_alloc_init(&c);
		c.fail_after = fail;
		e = evq_new(&c.a);
		if (!e) {
			ck_assert_uint_eq(fail, 1);
			ck_assert_int_eq(c.live, 0);
			continue;
		}
		for (unsigned k = 0; k < 12 * 4096; k++) {
			evq_id id = 77;

			r = evq_schedule(e, k, noop, NULL, &id);
			if (r) {
				ck_assert_int_eq(r, -ENOMEM);
				ck_assert_uint_eq(id, 77);
				break;
			}
			ok++;
		}
		ck_assert_int_eq(r, -ENOMEM);
		ck_assert_uint_eq(evq_count(e), ok);
		/* The failure left the queue whole: it works once memory is back. */
		ck_assert_int_eq(evq_schedule(e, 5, noop, NULL, NULL), 0);
		ck_assert_uint_eq(evq_run(e, 0), ok + 1);
		evq_free(e);
		ck_assert_int_eq(c.live, 0);
	}
}
END_TEST

static Suite *evq_suite(void)
{
	Suite *s = suite_create("evq");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_order_by_deadline);
	tcase_add_test(tc, test_ties_fire_in_scheduling_order);
	tcase_add_test(tc, test_tie_cascaded_before_fresh);
	tcase_add_test(tc, test_tie_cascaded_many_paths);
	tcase_add_test(tc, test_tie_reschedule_counts_as_new);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_cancel_from_callback);
	tcase_add_test(tc, test_cancel_fired_from_callback);
	tcase_add_test(tc, test_schedule_now_from_callback);
	tcase_add_test(tc, test_reschedule_keeps_id);
	tcase_add_test(tc, test_peek_and_deadline);
	tcase_add_test(tc, test_run_until_boundaries);
	tcase_add_test(tc, test_run_max_events);
	tcase_add_test(tc, test_step);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_nested_run_refused);
	tcase_add_test(tc, test_far_deadlines);
	tcase_add_test(tc, test_zero_delay);
	tcase_add_test(tc, test_invalid_arguments);
	tcase_add_test(tc, test_queues_are_independent);
	tcase_add_test(tc, test_many_pending_in_order);
	tcase_add_test(tc, test_random_against_model);
	tcase_add_test(tc, test_no_allocation_per_event);
	tcase_add_test(tc, test_enomem);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(evq_suite());
}
