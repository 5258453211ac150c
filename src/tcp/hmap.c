/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

/*
 * A 64-bit key to 32-bit value map: open addressing, linear probing, deletion by
 * backward shift (no tombstones, so lookups stay short under churn). It is only ever
 * looked up, never walked to decide what happens next, so its layout cannot change a
 * run's outcome.
 */

static uint32_t slot_of(uint64_t key, uint32_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (uint32_t)key & (cap - 1);
}

int hmap_get(const struct hmap *m, uint64_t key, uint32_t *val)
{
	if (!m->cap)
		return -ENOENT;
	for (uint32_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		const struct hmap_entry *e = &m->e[i];
		if (!e->used)
			return -ENOENT;
		if (e->key == key) {
			if (val)
				*val = e->val;
			return 0;
		}
	}
}

static int grow(struct hmap *m, const struct mem_allocator *a)
{
	uint32_t cap = m->cap ? m->cap * 2 : 16;
	struct hmap_entry *e = mem_allocarray(a, NULL, cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	memset(e, 0, (size_t)cap * sizeof(*e));
	for (uint32_t i = 0; i < m->cap; i++) {
		if (!m->e[i].used)
			continue;
		uint32_t j = slot_of(m->e[i].key, cap);
		while (e[j].used)
			j = (j + 1) & (cap - 1);
		e[j] = m->e[i];
	}
	mem_free(a, m->e);
	m->e = e;
	m->cap = cap;
	return 0;
}

int hmap_put(struct hmap *m, const struct mem_allocator *a, uint64_t key, uint32_t val)
{
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m, a))
		return -ENOMEM;
	uint32_t i = slot_of(key, m->cap);
	while (m->e[i].used && m->e[i].key != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->e[i].used)
		m->n++;
	m->e[i] = (struct hmap_entry){ key, val, 1 };
	return 0;
}

int hmap_del(struct hmap *m, uint64_t key)
{
	if (!m->cap)
		return -ENOENT;
	uint32_t mask = m->cap - 1, i = slot_of(key, m->cap);
	while (m->e[i].used && m->e[i].key != key)
		i = (i + 1) & mask;
	if (!m->e[i].used)
		return -ENOENT;
	/* Backward shift: pull later entries of the probe run into the hole when their
	 * home slot does not lie (cyclically) between the hole and them. */
	for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
		if (!m->e[j].used)
			break;
		uint32_t home = slot_of(m->e[j].key, m->cap);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->e[i] = m->e[j];
			i = j;
		}
	}
	m->e[i].used = 0;
	m->n--;
	return 0;
}

void hmap_free(struct hmap *m, const struct mem_allocator *a)
{
	mem_free(a, m->e);
	memset(m, 0, sizeof(*m));
}
