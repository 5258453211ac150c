/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "net_internal.h"

/*
 * The connection table of a stateful firewall or NAT: open addressing with linear
 * probing over the 4-tuple, written in a canonical order so both directions find the
 * same entry. Forgetting is lazy: an entry idle past the timeout is treated as absent
 * when it is next looked at, so a middlebox schedules no timers and costs nothing while
 * nothing crosses it.
 */

enum { SLOT_EMPTY, SLOT_USED, SLOT_DEAD };

struct mb_entry {
	uint32_t a1, a2;
	uint16_t p1, p2;
	uint8_t state;
	vtime_t last;
};

struct middlebox {
	const struct mem_allocator *alloc;
	struct middlebox_params p;
	struct mb_entry *tab;
	size_t cap, used, dead;
};

struct mb_key {
	uint32_t a1, a2;
	uint16_t p1, p2;
};

static struct mb_key key_of(const struct seg *s)
{
	struct mb_key k;
	uint64_t x = (uint64_t)s->saddr << 16 | s->sport, y = (uint64_t)s->daddr << 16 | s->dport;

	if (x > y) {
		uint64_t t = x;
		x = y;
		y = t;
	}
	k.a1 = (uint32_t)(x >> 16);
	k.p1 = (uint16_t)x;
	k.a2 = (uint32_t)(y >> 16);
	k.p2 = (uint16_t)y;
	return k;
}

static size_t hash_key(const struct mb_key *k)
{
	uint64_t h = ((uint64_t)k->a1 << 32 | k->a2) * 0x9e3779b97f4a7c15ULL;

	h ^= ((uint64_t)k->p1 << 16 | k->p2) * 0xc2b2ae3d27d4eb4fULL;
	return (size_t)(h ^ (h >> 29));
}

static bool same(const struct mb_entry *e, const struct mb_key *k)
{
	return e->a1 == k->a1 && e->a2 == k->a2 && e->p1 == k->p1 && e->p2 == k->p2;
}

static bool expired(const struct middlebox *mb, const struct mb_entry *e, vtime_t now)
{
	return now - e->last > mb->p.idle_timeout;
}

struct middlebox *mb_new(const struct mem_allocator *a, const struct middlebox_params *p)
{
	struct middlebox *mb = mem_zalloc(a, sizeof(*mb));

	if (!mb)
		return NULL;
	mb->alloc = a;
	mb->p = *p;
	return mb;
}

void mb_free(struct middlebox *mb)
{
	if (!mb)
		return;
	mem_free(mb->alloc, mb->tab);
	mem_free(mb->alloc, mb);
}

enum middlebox_mode mb_mode(const struct middlebox *mb)
{
	return mb->p.mode;
}

static struct mb_entry *find(struct middlebox *mb, const struct mb_key *k)
{
	if (!mb->cap)
		return NULL;
	for (size_t i = hash_key(k) & (mb->cap - 1);; i = (i + 1) & (mb->cap - 1)) {
		struct mb_entry *e = &mb->tab[i];
		if (e->state == SLOT_EMPTY)
			return NULL;
		if (e->state == SLOT_USED && same(e, k))
			return e;
	}
}

/* Rebuilds the table at a size fit for the live entries, dropping forgotten ones. */
static int rehash(struct middlebox *mb, vtime_t now)
{
	size_t live = 0;

	for (size_t i = 0; i < mb->cap; i++)
		live += mb->tab[i].state == SLOT_USED && !expired(mb, &mb->tab[i], now);
	size_t cap = 16;
	while (cap < (live + 1) * 2)
		cap *= 2;
	struct mb_entry *tab = mem_allocarray(mb->alloc, NULL, cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	memset(tab, 0, cap * sizeof(*tab));
	for (size_t i = 0; i < mb->cap; i++) {
		const struct mb_entry *e = &mb->tab[i];
		if (e->state != SLOT_USED || expired(mb, e, now))
			continue;
		struct mb_key k = { e->a1, e->a2, e->p1, e->p2 };
		size_t j = hash_key(&k) & (cap - 1);
		while (tab[j].state == SLOT_USED)
			j = (j + 1) & (cap - 1);
		tab[j] = *e;
	}
	mem_free(mb->alloc, mb->tab);
	mb->tab = tab;
	mb->cap = cap;
	mb->used = live;
	mb->dead = 0;
	return 0;
}

static void forget(struct middlebox *mb, struct mb_entry *e)
{
	e->state = SLOT_DEAD;
	mb->used--;
	mb->dead++;
}

bool mb_pass(struct middlebox *mb, const struct seg *s, vtime_t now)
{
	struct mb_key k = key_of(s);
	struct mb_entry *e = find(mb, &k);

	if (e && expired(mb, e, now)) {
		forget(mb, e);
		e = NULL;
	}
	if (e) {
		e->last = now;
		/* A reset ends the connection for the middlebox as for the hosts. */
		if (s->flags & SEG_RST)
			forget(mb, e);
		return true;
	}
	/* Only an opening SYN creates state, as a strict stateful firewall does. */
	if ((s->flags & (SEG_SYN | SEG_ACK | SEG_RST)) != SEG_SYN)
		return false;
	if ((mb->used + mb->dead + 1) * 10 > mb->cap * 7 && rehash(mb, now))
		return true;
	size_t i = hash_key(&k) & (mb->cap - 1);
	while (mb->tab[i].state == SLOT_USED)
		i = (i + 1) & (mb->cap - 1);
	if (mb->tab[i].state == SLOT_DEAD)
		mb->dead--;
	mb->tab[i] = (struct mb_entry){ k.a1, k.a2, k.p1, k.p2, SLOT_USED, now };
	mb->used++;
	return true;
}

int mb_tracked(const struct middlebox *mb, vtime_t now)
{
	int n = 0;

	for (size_t i = 0; i < mb->cap; i++)
		n += mb->tab[i].state == SLOT_USED && !expired(mb, &mb->tab[i], now);
	return n;
}
