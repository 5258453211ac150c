/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_LADDER_H
#define TCPSIM_LADDER_H

/*
 * The text ladder (sequence) diagram: time down the page, one column per host, an
 * arrow for every segment (flags, seq, ack, length, window), the state each
 * connection enters written where it changes, socket calls, drops as arrows that end
 * in an x, duplicates and delays marked, timers that fire, and long idle gaps
 * collapsed. An observer of the world: it changes nothing.
 */

#include <stdbool.h>
#include <stddef.h>

#include "tcpsim/vtime.h"
#include "tcpsim/world.h"

struct ladder;

struct ladder_opts {
	bool ascii;          /* plain ASCII instead of Unicode box drawing */
	int width;           /* columns; 100 if 0 */
	vtime_t idle_gap;    /* gaps longer than this are collapsed; 1 s if 0 */
	size_t keep;         /* keep only about the last `keep` rows (0: all) */
};

typedef void (*ladder_write_fn)(void *ctx, const char *line);

/* Watches w from now on; NULL on allocation failure. */
struct ladder *ladder_new(struct world *w, const struct ladder_opts *o);
/* Stops watching and frees it (before the world goes, or after: either works once
 * ladder_detach was called). */
void ladder_free(struct ladder *l);
/* Writes the diagram so far, line by line (each ends with '\n'); at most the last
 * max_rows event rows when max_rows > 0. */
void ladder_write(const struct ladder *l, size_t max_rows, ladder_write_fn fn, void *ctx);

#endif
