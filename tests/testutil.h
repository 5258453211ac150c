/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_TESTUTIL_H
#define TCPSIM_TESTUTIL_H

/* Helpers shared by the Check suites: a counting allocator and a main() that runs one
 * suite and turns failures into the exit status the automake test driver reads. */

#include <check.h>
#include <stdlib.h>

#include "tcpsim/mem.h"

/* Counts every allocation, reallocation and free, and the bytes live, so a test can
 * prove "no allocation per event" and "nothing leaked". */
struct counting_alloc {
	struct mem_allocator a;
	unsigned long allocs;   /* calls that created or grew a block */
	unsigned long frees;
	long live;              /* blocks currently allocated */
	unsigned long fail_after; /* when non-zero, the Nth allocation from now fails */
};

static void *counting_realloc(void *ctx, void *ptr, size_t size)
{
	struct counting_alloc *c = ctx;

	if (size == 0) {
		if (ptr) {
			c->frees++;
			c->live--;
		}
		free(ptr);
		return NULL;
	}
	if (c->fail_after && --c->fail_after == 0)
		return NULL;
	void *p = realloc(ptr, size);
	if (p) {
		c->allocs++;
		if (!ptr)
			c->live++;
	}
	return p;
}

static inline void counting_alloc_init(struct counting_alloc *c)
{
	c->a.realloc = counting_realloc;
	c->a.ctx = c;
	c->allocs = c->frees = 0;
	c->live = 0;
	c->fail_after = 0;
}

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
