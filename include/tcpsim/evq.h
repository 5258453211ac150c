/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_EVQ_H
#define TCPSIM_EVQ_H

/*
 * The event queue and the virtual clock it owns. Every timer and every segment in
 * flight is an event here. Events fire in order of (deadline, order of scheduling): two
 * events for the same instant fire in the order they were scheduled, which is what makes
 * a run byte-identical every time. Time only moves forward, and only here.
 *
 * Implementation: a hierarchical timing wheel with exact nanosecond deadlines (see
 * doc/design.md); schedule and cancel are O(1), and no memory is allocated per event
 * once the node pool has grown to the peak number of pending events.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tcpsim/mem.h"
#include "tcpsim/vtime.h"

struct evq;

/* Names one scheduled event. 0 is never a valid id, so it can mean "no timer". An id
 * stays valid until its event fires or is cancelled; after that every call given it
 * answers -ENOENT (ids are generation-checked, never reused by accident). */
typedef uint64_t evq_id;

/* Called when the event fires. The event is already gone: evq_cancel on its id answers
 * -ENOENT, and the callback may schedule, cancel, or stop the run. */
typedef void (*evq_fn)(void *arg);

/* NULL when out of memory. Every allocation goes through a (NULL: the C library's). */
struct evq *evq_new(const struct mem_allocator *a);
/* Pending events are dropped without being called. NULL is fine. */
void evq_free(struct evq *q);

vtime_t evq_now(const struct evq *q);
/* Number of pending events. */
uint64_t evq_count(const struct evq *q);

/* Schedules fn(arg) at absolute time `when`. -EINVAL if when < now or fn is NULL;
 * -ENOMEM. The id is stored in *id when id is not NULL (and left alone on error). */
int evq_schedule(struct evq *q, vtime_t when, evq_fn fn, void *arg, evq_id *id);
/* The same, `delay` (>= 0) from now; -EINVAL on a negative delay or an overflow. */
int evq_schedule_in(struct evq *q, vtime_t delay, evq_fn fn, void *arg, evq_id *id);
/* 0, or -ENOENT when the event already fired or was cancelled. */
int evq_cancel(struct evq *q, evq_id id);
/* Moves a pending event to `when` (>= now), keeping its id; it is ordered as if it had
 * been scheduled now. 0, -ENOENT or -EINVAL. */
int evq_reschedule(struct evq *q, evq_id id, vtime_t when);
/* Deadline of a pending event, for "time left" displays: 0 or -ENOENT. */
int evq_deadline(const struct evq *q, evq_id id, vtime_t *when);
bool evq_pending(const struct evq *q, evq_id id);
/* Earliest deadline: 0, or -ENOENT when the queue is empty. Changes nothing; it costs
 * O(1) when the earliest event is close, else one scan of the wheel slot holding it. */
int evq_peek(const struct evq *q, vtime_t *when);

/* Fires the earliest event, advancing the clock to its deadline. 1 if one fired, 0 if
 * the queue was empty.
 *
 * evq_step, evq_run_until and evq_run are not for callbacks: called from one they fire
 * nothing and return 0, since a nested run could carry the clock past the limit of the
 * run it is nested in. */
int evq_step(struct evq *q);
/* Fires every event with deadline <= t, in order, then sets the clock to t. Stops early
 * after max_events events (0: no limit) or when a callback calls evq_stop; then the
 * clock stays at the last event fired. Returns the number of events fired. A t before
 * now fires nothing and leaves the clock where it is (time never goes back). */
uint64_t evq_run_until(struct evq *q, vtime_t t, uint64_t max_events);
/* Fires events until the queue is empty, max_events (0: no limit) have fired, or
 * evq_stop is called. Returns the number fired. */
uint64_t evq_run(struct evq *q, uint64_t max_events);
/* From inside a callback: the current evq_run / evq_run_until returns after it. */
void evq_stop(struct evq *q);
/* True if the last run returned because of evq_stop (cleared when a run starts). */
bool evq_stopped(const struct evq *q);

/* Total events fired since creation; a cheap progress and loop-guard counter. */
uint64_t evq_fired(const struct evq *q);

#endif
