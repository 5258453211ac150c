/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcpsim/evq.h"

/*
 * A hierarchical timing wheel with exact nanosecond deadlines.
 *
 * The wheel has a cursor `cur`, a time: between calls and in callbacks it equals the
 * clock. Write a deadline d in base 256 (8 bits a digit, 8 digits for 63 bits); its
 * level is the highest digit where d and cur differ, and its slot is d's digit at that
 * level. The digits above the level are equal and d >= cur, so d's digit at its level is
 * greater than cur's (or equal, at level 0): slot numbers never wrap. The earliest
 * events are therefore in the lowest non-empty level, in its lowest occupied slot, found
 * with two ctz on that level's occupancy bitmap. A level-0 slot holds events of one
 * exact deadline only.
 *
 * When the lowest non-empty level is L > 0, its first slot is cascaded: the cursor moves
 * to a time v inside that slot and no later than any event in it (the slot's start, or
 * its earliest event when the slot is small enough to scan cheaply), and each event of
 * the slot is filed again under v, which puts it below level L. Every other event keeps
 * its place, since v has cur's digits above L and the slot's own digit at L, and lower
 * levels are empty. An event alone in that slot is simply fired from it: the same as
 * moving the cursor to its deadline and filing it at level 0, minus the filing. For the
 * same reason run_until(t) may put the cursor at t when nothing is due by t (t then
 * lies before the first occupied slot). So an event's place is always a function of
 * its deadline and the cursor: two events with the same deadline are always in the
 * same slot.
 *
 * Why ties keep their scheduling order. Each slot is a FIFO list, and every list is
 * ordered by scheduling sequence (evq_reschedule counting as scheduling anew):
 *  - a direct insert (schedule, reschedule, or a schedule from a callback) appends an
 *    event newer than every event already queued, so the list stays sorted;
 *  - a cascade takes a slot while every lower level is empty, walks its sorted list in
 *    order, and appends each event to a lower list that was empty when the cascade
 *    began: each such list receives a subsequence of a sorted list, so it is sorted;
 *  - cancelling removes an element, which keeps a list sorted.
 * A level-0 slot is one deadline and fires from its head (a lone event fired from higher
 * up has no same-instant rival: it would share its slot), so same-instant events fire
 * in scheduling order, however many levels each came down through. An event scheduled
 * for "now" from a callback lands at the tail of the very slot being fired, after the
 * same-instant events already queued.
 *
 * Memory. A slot list is an unrolled list of 64-byte blocks of 13 node indices, rather
 * than a list threaded through the nodes, so a cascade reads one cache line per 13
 * events and prefetches their nodes together, a block ahead, instead of following one
 * pointer per event, one cache miss at a time. A cancelled entry becomes a hole; a
 * block is released when its last live entry goes, so every block in use holds at
 * least one pending event and blocks in use never outnumber pending events. Nodes (32
 * bytes) and blocks live in chunks that are never moved, allocated together, one block
 * per node: once the node pool has grown to the peak number of pending events nothing
 * is allocated again (only the array of chunk pointers grows, by doubling). Chunk
 * memory is handed out from a high-water mark before the free lists are used, so pages
 * never needed are never touched.
 */

/* 8 bits a level measured faster than 6, 7, 9 or 10 at a million pending events. */
#define LVL_BITS 8
#define NSLOTS (1u << LVL_BITS)
/* Deadlines are non-negative: 8 levels cover their 63 bits. */
#define NLEVELS ((63 + LVL_BITS - 1) / LVL_BITS)
#define BM_WORDS (NSLOTS / 64)
#define BLK_ENTS 13
#define CHUNK_SHIFT 12
#define CHUNK_LEN (1u << CHUNK_SHIFT)
/* A node's place is stored as block << 4 | entry, so blocks (and nodes) stay below 2^28. */
#define LOC_SHIFT 4
#define MAX_CHUNKS (1u << (28 - CHUNK_SHIFT))
#define NIL UINT32_MAX

#if defined(__GNUC__) || defined(__clang__)
#define ctz64(x) ((unsigned)__builtin_ctzll(x))
#define clz64(x) ((unsigned)__builtin_clzll(x))
#define prefetch_w(p) __builtin_prefetch((p), 1)
#else
static unsigned ctz64(uint64_t x)
{
	unsigned n = 0;

	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
}

static unsigned clz64(uint64_t x)
{
	unsigned n = 0;

	while (!(x & (UINT64_C(1) << 63))) {
		x <<= 1;
		n++;
	}
	return n;
}
#define prefetch_w(p) ((void)(p))
#endif

struct node {
	vtime_t when;
	evq_fn fn; /* NULL while the node is free */
	void *arg;
	uint32_t gen; /* the high half of this node's current id */
	uint32_t loc; /* pending: block << LOC_SHIFT | entry; free: next free node */
};

struct blk {
	uint32_t next, prev;    /* neighbours in the slot's list; next links the free list */
	uint16_t slot;          /* level * NSLOTS + slot, to unlink the block on cancel */
	uint8_t used;           /* entries filled, holes included: appends go at ent[used] */
	uint8_t live;           /* entries that are not holes */
	uint32_t ent[BLK_ENTS]; /* node indices in scheduling order; NIL is a hole */
};

struct slot {
	uint32_t head, tail; /* blocks, NIL when empty */
};

/* A block is one cache line; two nodes share one (on 64-bit targets). */
_Static_assert(sizeof(struct blk) == 64, "struct blk is not 64 bytes");
_Static_assert(sizeof(struct node) <= 32, "struct node is over 32 bytes");

struct evq {
	struct mem_allocator al;
	const struct mem_allocator *a; /* &al, or NULL for the C library */
	vtime_t now;
	/* Every pending deadline is >= cur. Equal to now between calls and in callbacks;
	 * ahead of now only inside a run, between a cascade and the event it leads to. */
	uint64_t cur;
	uint64_t count;
	uint64_t fired;
	uint32_t levels;                /* bit L set when level L has an event */
	uint32_t words[NLEVELS];        /* bit w of level L set when bm[L][w] != 0 */
	uint64_t bm[NLEVELS][BM_WORDS]; /* slot occupancy */
	struct slot slot[NLEVELS * NSLOTS];
	/* Chunk k: nodes k * CHUNK_LEN onwards, then as many blocks, then the pointer
	 * mem_alloc returned, for mem_free. */
	struct node **ch;
	uint32_t nch, chcap;
	uint32_t node_free, node_hwm;
	uint32_t blk_free, blk_hwm;
	unsigned depth; /* > 0 while a run is firing events */
	bool stop, stopped;
};

static inline struct node *node_at(const struct evq *q, uint32_t i)
{
	return q->ch[i >> CHUNK_SHIFT] + (i & (CHUNK_LEN - 1));
}

static inline struct blk *blk_at(const struct evq *q, uint32_t i)
{
	return (struct blk *)(void *)(q->ch[i >> CHUNK_SHIFT] + CHUNK_LEN) + (i & (CHUNK_LEN - 1));
}

/* The place of deadline d for cursor cur, as level * NSLOTS + slot. */
static inline unsigned place(uint64_t cur, uint64_t d)
{
	/* The | 1 makes an equal deadline level 0 without a branch. */
	unsigned lvl = (63 - clz64((d ^ cur) | 1)) / LVL_BITS;

	return lvl * NSLOTS + (unsigned)((d >> (lvl * LVL_BITS)) & (NSLOTS - 1));
}

static inline void bm_set(struct evq *q, unsigned sid)
{
	unsigned lvl = sid / NSLOTS, w = sid % NSLOTS / 64;

	q->bm[lvl][w] |= UINT64_C(1) << (sid % 64);
	q->words[lvl] |= 1u << w;
	q->levels |= 1u << lvl;
}

static inline void bm_clear(struct evq *q, unsigned sid)
{
	unsigned lvl = sid / NSLOTS, w = sid % NSLOTS / 64;

	q->bm[lvl][w] &= ~(UINT64_C(1) << (sid % 64));
	if (!q->bm[lvl][w]) {
		q->words[lvl] &= ~(1u << w);
		if (!q->words[lvl])
			q->levels &= ~(1u << lvl);
	}
}

static inline unsigned first_slot(const struct evq *q, unsigned lvl)
{
	unsigned w = ctz64(q->words[lvl]);

	return w * 64 + ctz64(q->bm[lvl][w]);
}

/* Adds a chunk of nodes and its chunk of blocks: the only allocation after evq_new. */
static int grow(struct evq *q)
{
	const size_t nbytes = (size_t)CHUNK_LEN * sizeof(struct node);
	const size_t bbytes = (size_t)CHUNK_LEN * sizeof(struct blk);
	unsigned char *raw, *base;

	if (q->nch == MAX_CHUNKS)
		return -ENOMEM;
	if (q->nch == q->chcap) {
		uint32_t cap = q->chcap ? q->chcap * 2 : 8;
		struct node **ch = mem_allocarray(q->a, q->ch, cap, sizeof(*ch));

		if (!ch)
			return -ENOMEM;
		q->ch = ch;
		q->chcap = cap;
	}
	/* Cache-line aligned, so a block is one line and a node never straddles two. */
	raw = mem_alloc(q->a, nbytes + bbytes + 63 + sizeof(void *));
	if (!raw)
		return -ENOMEM;
	base = raw + ((64 - ((uintptr_t)raw & 63)) & 63);
	memcpy(base + nbytes + bbytes, &raw, sizeof(raw));
	q->ch[q->nch++] = (void *)base;
	return 0;
}

static int node_get(struct evq *q, uint32_t *out)
{
	uint32_t i = q->node_free;

	if (i != NIL) {
		q->node_free = node_at(q, i)->loc;
	} else {
		if (q->node_hwm == q->nch * CHUNK_LEN) {
			int r = grow(q);

			if (r)
				return r;
		}
		i = q->node_hwm++;
		node_at(q, i)->gen = 1;
	}
	*out = i;
	return 0;
}

static void node_put(struct evq *q, uint32_t i, struct node *n)
{
	/* A new generation turns every id handed out for this node stale (until the 32-bit
	 * generation wraps, 2^32 reuses of this one node later). */
	n->gen++;
	n->fn = NULL;
	n->loc = q->node_free;
	q->node_free = i;
}

static uint32_t blk_get(struct evq *q)
{
	uint32_t i = q->blk_free;

	if (i != NIL) {
		q->blk_free = blk_at(q, i)->next;
		return i;
	}
	/* Blocks in use never outnumber pending events, so the pool cannot run out. */
	assert(q->blk_hwm < q->nch * CHUNK_LEN);
	return q->blk_hwm++;
}

static void blk_put(struct evq *q, uint32_t i, struct blk *b)
{
	b->next = q->blk_free;
	q->blk_free = i;
}

/* Appends node i to slot sid: the event becomes the newest of that list. */
static void append(struct evq *q, unsigned sid, uint32_t i, struct node *n)
{
	struct slot *s = &q->slot[sid];
	uint32_t t = s->tail;
	struct blk *b = t != NIL ? blk_at(q, t) : NULL;

	if (!b || b->used == BLK_ENTS) {
		uint32_t nt = blk_get(q);
		struct blk *nb = blk_at(q, nt);

		nb->next = NIL;
		nb->prev = t;
		nb->slot = (uint16_t)sid;
		nb->used = 0;
		nb->live = 0;
		if (b) {
			b->next = nt;
		} else {
			s->head = nt;
			bm_set(q, sid);
		}
		s->tail = nt;
		t = nt;
		b = nb;
	}
	n->loc = t << LOC_SHIFT | b->used;
	b->ent[b->used++] = i;
	b->live++;
}

/* Takes the entry at loc out of its list, leaving a hole or releasing the block. */
static void unlink_loc(struct evq *q, uint32_t loc)
{
	uint32_t bi = loc >> LOC_SHIFT;
	struct blk *b = blk_at(q, bi);
	struct slot *s;

	b->ent[loc & ((1u << LOC_SHIFT) - 1)] = NIL;
	if (--b->live) {
		/* A timer armed and cancelled at once leaves no hole behind. */
		while (b->ent[b->used - 1] == NIL)
			b->used--;
		return;
	}
	s = &q->slot[b->slot];
	if (b->prev != NIL)
		blk_at(q, b->prev)->next = b->next;
	else
		s->head = b->next;
	if (b->next != NIL)
		blk_at(q, b->next)->prev = b->prev;
	else
		s->tail = b->prev;
	if (s->head == NIL)
		bm_clear(q, b->slot);
	blk_put(q, bi, b);
}

/* The oldest event of a block: its first live entry, as cancels may have left holes. */
static inline unsigned first_live(const struct blk *b)
{
	unsigned e = 0;

	while (b->ent[e] == NIL)
		e++;
	return e;
}

/* Earliest deadline in slot sid, which is not empty. */
static uint64_t slot_min(const struct evq *q, unsigned sid)
{
	uint64_t m = UINT64_MAX;

	for (uint32_t bi = q->slot[sid].head; bi != NIL;) {
		const struct blk *b = blk_at(q, bi);

		if (b->next != NIL)
			prefetch_w(blk_at(q, b->next));
		for (unsigned k = 0; k < b->used; k++)
			if (b->ent[k] != NIL)
				prefetch_w(node_at(q, b->ent[k]));
		for (unsigned k = 0; k < b->used; k++)
			if (b->ent[k] != NIL && (uint64_t)node_at(q, b->ent[k])->when < m)
				m = (uint64_t)node_at(q, b->ent[k])->when;
		bi = b->next;
	}
	return m;
}

/*
 * Copies block bi's entries out and releases the block (so the pool is never short of one
 * while they are filed again), and starts loading the nodes they name and the next
 * block. Returns the next block.
 */
static uint32_t take_blk(struct evq *q, uint32_t bi, uint32_t ent[BLK_ENTS], unsigned *used)
{
	struct blk *b = blk_at(q, bi);
	uint32_t next = b->next;

	*used = b->used;
	memcpy(ent, b->ent, sizeof(b->ent));
	if (next != NIL)
		prefetch_w(blk_at(q, next));
	for (unsigned k = 0; k < *used; k++)
		if (ent[k] != NIL)
			prefetch_w(node_at(q, ent[k]));
	blk_put(q, bi, b);
	return next;
}

/*
 * Files every event of slot sid (the first occupied slot of the lowest occupied level)
 * again, relative to `to`, which becomes the cursor: a time inside the slot, no later
 * than its earliest event. Each block is taken one block ahead of filing its events, so
 * their nodes are on their way from memory while the previous block's are filed.
 */
static void cascade(struct evq *q, unsigned sid, uint64_t to)
{
	struct slot *s = &q->slot[sid];
	uint32_t ent[2][BLK_ENTS];
	unsigned used[2];
	uint32_t bi = s->head;

	s->head = NIL;
	s->tail = NIL;
	bm_clear(q, sid);
	q->cur = to;
	bi = take_blk(q, bi, ent[0], &used[0]);
	for (unsigned c = 0;; c ^= 1) {
		bool more = bi != NIL;

		if (more)
			bi = take_blk(q, bi, ent[c ^ 1], &used[c ^ 1]);
		for (unsigned k = 0; k < used[c]; k++) {
			uint32_t i = ent[c][k];
			struct node *n;

			if (i == NIL)
				continue;
			n = node_at(q, i);
			append(q, place(to, (uint64_t)n->when), i, n);
		}
		if (!more)
			break;
	}
}

/* Start time of slot `slot` of level lvl under cursor cur. */
static inline uint64_t slot_start(uint64_t cur, unsigned lvl, unsigned slot)
{
	unsigned shift = lvl * LVL_BITS;
	/* For the top level the span shifts out to 0, and the mask below keeps nothing of
	 * cur: right, as there are no digits above it. */
	uint64_t span = (uint64_t)NSLOTS << shift;

	return (cur & ~(span - 1)) | (uint64_t)slot << shift;
}

/*
 * Finds the earliest event if it is due by t, cascading as needed, and stores the slot
 * whose first live entry it is. That is a level-0 slot, or a slot higher up holding
 * that one event alone: firing it from there is the cascade to its own deadline
 * (allowed, see the top) without the refiling. Returns false, having cascaded nothing
 * it should not have, when no event is due by t: every slot cascaded started at or
 * before t, so the cursor never passes t.
 */
static bool settle(struct evq *q, uint64_t t, unsigned *due)
{
	while (q->levels) {
		unsigned lvl = ctz64(q->levels);
		unsigned slot = first_slot(q, lvl);
		unsigned sid = lvl * NSLOTS + slot;
		uint64_t to = slot_start(q->cur, lvl, slot);
		const struct slot *s = &q->slot[sid];

		if (to > t)
			return false;
		*due = sid;
		if (lvl == 0)
			return true;
		/* A slot of one block (a few events, the usual case low in the wheel) is cheap
		 * to scan: moving the cursor to its earliest event sends that event straight
		 * to level 0, or fires it from here if it is alone, instead of taking it down
		 * one level per cascade. For big slots the second pass cost more than it
		 * saved. */
		if (s->head == s->tail) {
			const struct blk *b = blk_at(q, s->head);
			uint64_t m;

			if (b->live == 1) {
				m = (uint64_t)node_at(q, b->ent[first_live(b)])->when;
				if (m <= t)
					return true;
			} else {
				m = slot_min(q, sid);
			}
			to = m < t ? m : t;
		}
		cascade(q, sid, to);
	}
	return false;
}

/* Fires the first live entry of slot sid, as settle() found it. */
static void fire(struct evq *q, unsigned sid)
{
	uint32_t bi = q->slot[sid].head;
	struct blk *b = blk_at(q, bi);
	unsigned e = first_live(b);
	uint32_t i = b->ent[e];
	struct node *n = node_at(q, i);
	evq_fn fn = n->fn;
	void *arg = n->arg;
	vtime_t when = n->when;

	unlink_loc(q, bi << LOC_SHIFT | e);
	node_put(q, i, n);
	q->count--;
	q->fired++;
	q->now = when;
	q->cur = (uint64_t)when;
	fn(arg);
}

static uint64_t run(struct evq *q, uint64_t t, uint64_t max_events, bool set_clock)
{
	uint64_t n = 0;
	unsigned sid;

	/* A run inside a callback could move the clock past the outer run's limit. */
	if (q->depth)
		return 0;
	q->stop = false;
	q->stopped = false;
	q->depth++;
	for (;;) {
		if (max_events && n == max_events)
			break;
		if (!settle(q, t, &sid)) {
			if (set_clock) {
				q->now = (vtime_t)t;
				q->cur = t;
			}
			break;
		}
		fire(q, sid);
		n++;
		if (q->stop) {
			q->stopped = true;
			break;
		}
	}
	q->depth--;
	return n;
}

struct evq *evq_new(const struct mem_allocator *a)
{
	struct evq *q = mem_alloc(a, sizeof(*q));

	if (!q)
		return NULL;
	memset(q, 0, sizeof(*q));
	if (a) {
		q->al = *a;
		q->a = &q->al;
	}
	for (unsigned k = 0; k < NLEVELS * NSLOTS; k++) {
		q->slot[k].head = NIL;
		q->slot[k].tail = NIL;
	}
	q->node_free = NIL;
	q->blk_free = NIL;
	return q;
}

void evq_free(struct evq *q)
{
	struct mem_allocator al;

	if (!q)
		return;
	for (uint32_t k = 0; k < q->nch; k++) {
		void *raw;

		memcpy(&raw, blk_at(q, k * CHUNK_LEN + CHUNK_LEN - 1) + 1, sizeof(raw));
		mem_free(q->a, raw);
	}
	mem_free(q->a, q->ch);
	/* q->a points into q: copy the allocator out before freeing q with it. */
	al = q->al;
	mem_free(q->a ? &al : NULL, q);
}

vtime_t evq_now(const struct evq *q)
{
	return q->now;
}

uint64_t evq_count(const struct evq *q)
{
	return q->count;
}

uint64_t evq_fired(const struct evq *q)
{
	return q->fired;
}

static struct node *lookup(const struct evq *q, evq_id id)
{
	/* Id 0 gives index NIL, which is never below the high-water mark. */
	uint32_t i = (uint32_t)id - 1;
	struct node *n;

	if (i >= q->node_hwm)
		return NULL;
	n = node_at(q, i);
	if (!n->fn || n->gen != (uint32_t)(id >> 32))
		return NULL;
	return n;
}

int evq_schedule(struct evq *q, vtime_t when, evq_fn fn, void *arg, evq_id *id)
{
	uint32_t i;
	struct node *n;
	int r;

	if (when < q->now || !fn)
		return -EINVAL;
	r = node_get(q, &i);
	if (r)
		return r;
	n = node_at(q, i);
	n->when = when;
	n->fn = fn;
	n->arg = arg;
	append(q, place(q->cur, (uint64_t)when), i, n);
	q->count++;
	if (id)
		*id = (evq_id)n->gen << 32 | (i + 1);
	return 0;
}

int evq_schedule_in(struct evq *q, vtime_t delay, evq_fn fn, void *arg, evq_id *id)
{
	if (delay < 0 || delay > VTIME_MAX - q->now)
		return -EINVAL;
	return evq_schedule(q, q->now + delay, fn, arg, id);
}

int evq_cancel(struct evq *q, evq_id id)
{
	struct node *n = lookup(q, id);

	if (!n)
		return -ENOENT;
	unlink_loc(q, n->loc);
	node_put(q, (uint32_t)id - 1, n);
	q->count--;
	return 0;
}

int evq_reschedule(struct evq *q, evq_id id, vtime_t when)
{
	struct node *n = lookup(q, id);

	if (!n)
		return -ENOENT;
	if (when < q->now)
		return -EINVAL;
	/* Out and back in at a tail: ordered as if scheduled now, even at the same time. */
	unlink_loc(q, n->loc);
	n->when = when;
	append(q, place(q->cur, (uint64_t)when), (uint32_t)id - 1, n);
	return 0;
}

int evq_deadline(const struct evq *q, evq_id id, vtime_t *when)
{
	const struct node *n = lookup(q, id);

	if (!n)
		return -ENOENT;
	*when = n->when;
	return 0;
}

bool evq_pending(const struct evq *q, evq_id id)
{
	return lookup(q, id) != NULL;
}

int evq_peek(const struct evq *q, vtime_t *when)
{
	unsigned lvl, slot;

	if (!q->levels)
		return -ENOENT;
	lvl = ctz64(q->levels);
	slot = first_slot(q, lvl);
	if (lvl == 0) {
		*when = (vtime_t)slot_start(q->cur, 0, slot);
		return 0;
	}
	/* Cascading here could move the cursor past the clock, so look without touching:
	 * the earliest event is somewhere in this one slot. */
	*when = (vtime_t)slot_min(q, lvl * NSLOTS + slot);
	return 0;
}

int evq_step(struct evq *q)
{
	unsigned sid;

	/* Not from a callback: see run(). */
	if (q->depth || !settle(q, UINT64_MAX, &sid))
		return 0;
	q->depth++;
	fire(q, sid);
	q->depth--;
	return 1;
}

uint64_t evq_run_until(struct evq *q, vtime_t t, uint64_t max_events)
{
	if (t < q->now) {
		/* Time never goes back: a run to the past fires nothing and moves nothing. */
		if (!q->depth) {
			q->stop = false;
			q->stopped = false;
		}
		return 0;
	}
	return run(q, (uint64_t)t, max_events, true);
}

uint64_t evq_run(struct evq *q, uint64_t max_events)
{
	return run(q, UINT64_MAX, max_events, false);
}

void evq_stop(struct evq *q)
{
	q->stop = true;
}

bool evq_stopped(const struct evq *q)
{
	return q->stopped;
}
