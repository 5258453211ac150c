/* SPDX-License-Identifier: MIT */
#include "config.h"

/* clock_gettime() and CLOCK_MONOTONIC, under -std=c11. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

/*
 * Event queue benchmark: not a test, nothing here passes or fails. `make bench` prints
 * the figures doc/performance.md records; `bench_evq --instructions` runs one fixed
 * workload for callgrind (make bench-instructions), whose instruction count divided by
 * the "events:" line is a cost per event that does not move on a busy machine. Wall
 * time is read here, in a program about wall time, and never in the library.
 *
 * Schedule+fire pairs: N events pending; each step fires the earliest, whose callback
 * schedules a replacement at now + d, so N stays constant. Schedule+cancel pairs:
 * cancel a random pending event and schedule a new one, as re-arming a TCP timer does;
 * the clock does not move.
 *
 * Two delay distributions d:
 *  - log-uniform from 1 us to 60 s, the headline: every decade, from a 1 us hop to a
 *    60 s TIME_WAIT, as likely as any other, which exercises every level of the wheel;
 *  - a TCP mix: 70% link delays (10 ms +- 10%), 25% retransmission timers (uniform
 *    200 ms to 1 s), 5% TIME_WAIT (exactly 60 s, so many events share deadlines).
 * The queue starts in its steady state rather than empty. In a long run a timer of
 * length D is pending in proportion to D (a 60 s timer is pending 60 million times
 * longer than a 1 us one), and when we look at it a uniform fraction of it is left; so
 * the initial events draw D from the distribution weighted by D (by rejection) and wait
 * a uniform part of it. Then as many pairs as events pending run untimed, to warm up.
 *
 * The delays come from a table filled before timing, so the timed loops measure the
 * queue, not a random number generator; filling it needs no libm.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_GETRUSAGE
#include <sys/resource.h>
#endif

#include "tcpsim/evq.h"
#include "tcpsim/mem.h"

#define DELAY_MIN (1 * VTIME_US)
#define DELAY_MAX (60 * VTIME_S)
#define NDELAYS (1u << 16)

struct bench {
	struct evq *q;
	vtime_t delay[NDELAYS];
	uint32_t next; /* next index into delay[] */
	uint64_t rng;
	int failed;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* A uniform double in [0, 1). */
static double unit(uint64_t *s)
{
	return (double)(xorshift(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* e^x for 0 <= x < 40 without libm: halve until small, a Taylor series, square back. */
static double exp_small(double x)
{
	int halvings = 0;
	double sum = 1, term = 1;

	while (x > 0.5) {
		x /= 2;
		halvings++;
	}
	for (int k = 1; k < 20; k++) {
		term *= x / k;
		sum += term;
	}
	while (halvings--)
		sum *= sum;
	return sum;
}

static vtime_t uniform(uint64_t *s, vtime_t lo, vtime_t hi)
{
	return lo + (vtime_t)(unit(s) * (double)(hi - lo));
}

static void fill_log_uniform(struct bench *b)
{
	/* ln(60 s / 1 us) */
	const double span = 17.909855;

	for (uint32_t k = 0; k < NDELAYS; k++) {
		double d = (double)DELAY_MIN * exp_small(span * unit(&b->rng));

		b->delay[k] = d > (double)DELAY_MAX ? DELAY_MAX : (vtime_t)d;
	}
}

static void fill_tcp_mix(struct bench *b)
{
	for (uint32_t k = 0; k < NDELAYS; k++) {
		uint64_t pick = xorshift(&b->rng) % 100;

		if (pick < 70)
			b->delay[k] = uniform(&b->rng, 9 * VTIME_MS, 11 * VTIME_MS);
		else if (pick < 95)
			b->delay[k] = uniform(&b->rng, 200 * VTIME_MS, 1 * VTIME_S);
		else
			b->delay[k] = 60 * VTIME_S;
	}
}

struct workload {
	const char *name;
	void (*fill)(struct bench *b);
};

static const struct workload workloads[] = {
    {"delays log-uniform from 1us to 60s", fill_log_uniform},
    {"TCP mix: 70% 10ms links, 25% 200ms-1s RTOs, 5% 60s TIME_WAIT", fill_tcp_mix},
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static vtime_t next_delay(struct bench *b)
{
	return b->delay[b->next++ & (NDELAYS - 1)];
}

static void replace(void *arg)
{
	struct bench *b = arg;

	if (evq_schedule_in(b->q, next_delay(b), replace, b, NULL))
		b->failed = 1;
}

static void nothing(void *arg)
{
	(void)arg;
}

/* N events in the steady state described at the top. */
static int fill_queue(struct bench *b, uint64_t n, evq_fn fn, evq_id *ids)
{
	for (uint64_t k = 0; k < n; k++) {
		vtime_t d;
		int r;

		do
			d = b->delay[xorshift(&b->rng) & (NDELAYS - 1)];
		while (unit(&b->rng) * (double)DELAY_MAX >= (double)d);
		r = evq_schedule_in(b->q, (vtime_t)(unit(&b->rng) * (double)d), fn, b,
		                    ids ? &ids[k] : NULL);
		if (r)
			return r;
	}
	return 0;
}

/* Counts the bytes the queue holds, through its allocator. */
struct sized_alloc {
	struct mem_allocator a;
	size_t live;
};

static void *sized_realloc(void *ctx, void *ptr, size_t size)
{
	struct sized_alloc *s = ctx;
	size_t *p = ptr ? (size_t *)ptr - 2 : NULL;
	size_t *np;

	/* Two words of header keep the block 16-byte aligned, as malloc's is. */
	if (p)
		s->live -= p[0];
	if (size == 0) {
		free(p);
		return NULL;
	}
	np = realloc(p, size + 2 * sizeof(size_t));
	if (!np) {
		if (p)
			s->live += p[0];
		return NULL;
	}
	np[0] = size;
	s->live += size;
	return np + 2;
}

struct result {
	double fire_rate;       /* schedule+fire pairs per second */
	double cancel_rate;     /* schedule+cancel pairs per second */
	double bytes_per_event; /* allocated by the queue, per pending event */
};

static int measure(const struct workload *w, uint64_t pending, uint64_t pairs, struct result *res)
{
	struct sized_alloc sa = {{sized_realloc, NULL}, 0};
	struct bench *b = calloc(1, sizeof(*b));
	evq_id *ids = malloc(pending * sizeof(*ids));
	double t0;
	int r = -ENOMEM;

	sa.a.ctx = &sa;
	if (!b || !ids)
		goto out;
	b->rng = UINT64_C(0x2545f4914f6cdd1d) ^ pending;
	w->fill(b);

	/* Fire pairs. */
	b->q = evq_new(&sa.a);
	if (!b->q)
		goto out;
	r = fill_queue(b, pending, replace, NULL);
	if (r)
		goto out;
	r = -ENOMEM;
	evq_run(b->q, pending);
	t0 = now_sec();
	if (evq_run(b->q, pairs) != pairs || b->failed)
		goto out;
	res->fire_rate = (double)pairs / (now_sec() - t0);
	res->bytes_per_event = (double)sa.live / (double)pending;
	evq_free(b->q);

	/* Cancel pairs, on a fresh queue in the same steady state. */
	b->q = evq_new(&sa.a);
	if (!b->q)
		goto out;
	r = fill_queue(b, pending, nothing, ids);
	if (r)
		goto out;
	t0 = now_sec();
	for (uint64_t k = 0; k < pairs; k++) {
		uint64_t i = xorshift(&b->rng) % pending;

		r = evq_cancel(b->q, ids[i]);
		if (!r)
			r = evq_schedule_in(b->q, next_delay(b), nothing, b, &ids[i]);
		if (r)
			goto out;
	}
	res->cancel_rate = (double)pairs / (now_sec() - t0);
	r = 0;
out:
	if (b)
		evq_free(b->q);
	free(ids);
	free(b);
	return r;
}

static long max_rss_kib(void)
{
#ifdef HAVE_GETRUSAGE
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		return ru.ru_maxrss;
#endif
	return -1;
}

/* The fixed workload for callgrind: log-uniform delays, 10^5 pending, 5 * 10^6 pairs
 * (about ten seconds under callgrind). */
static int instructions(void)
{
	const uint64_t pending = 100000, pairs = 5000000;
	struct bench *b = calloc(1, sizeof(*b));
	int r = 1;

	if (!b)
		return 1;
	b->rng = 1;
	fill_log_uniform(b);
	b->q = evq_new(NULL);
	if (b->q && fill_queue(b, pending, replace, NULL) == 0 && evq_run(b->q, pairs) == pairs &&
	    !b->failed) {
		/* Filling the table and the queue is counted too: about 2% of the total. */
		printf("pending: %llu\nevents: %llu\n", (unsigned long long)pending,
		       (unsigned long long)pairs);
		r = 0;
	}
	evq_free(b->q);
	free(b);
	return r;
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = {1000, 100000, 1000000};
	const uint64_t pairs = 10000000;

	if (argc == 2 && strcmp(argv[1], "--instructions") == 0)
		return instructions();
	if (argc != 1) {
		fprintf(stderr, "usage: bench_evq [--instructions]\n");
		return 2;
	}
	printf("event queue: %llu schedule+fire and schedule+cancel pairs at a steady pending "
	       "count,\nstarting from the steady state; wall time, one core\n",
	       (unsigned long long)pairs);
	for (size_t w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
		struct result res[3];

		printf("\n%s\n", workloads[w].name);
		printf("%10s %14s %10s %16s %10s %12s\n", "pending", "fire pairs/s", "ns/pair",
		       "cancel pairs/s", "ns/pair", "bytes/event");
		for (int k = 0; k < 3; k++) {
			int r = measure(&workloads[w], sizes[k], pairs, &res[k]);

			if (r) {
				fprintf(stderr, "bench_evq: %llu pending: %s\n",
				        (unsigned long long)sizes[k], strerror(-r));
				return 1;
			}
			printf("%10llu %14.0f %10.1f %16.0f %10.1f %12.1f\n",
			       (unsigned long long)sizes[k], res[k].fire_rate,
			       1e9 / res[k].fire_rate, res[k].cancel_rate,
			       1e9 / res[k].cancel_rate, res[k].bytes_per_event);
			fflush(stdout);
		}
		printf("cost per event at 10^6 pending / at 10^3: %.2fx (fire pairs), "
		       "%.2fx (cancel pairs)\n",
		       res[0].fire_rate / res[2].fire_rate,
		       res[0].cancel_rate / res[2].cancel_rate);
	}
	printf("\nbytes/event: allocated by the queue per pending event (memory never touched "
	       "is not resident)\npeak resident memory of this process: %ld KiB\n",
	       max_rss_kib());
	return 0;
}
