/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/mem.h"

void *mem_realloc(const struct mem_allocator *a, void *ptr, size_t size)
{
	if (a)
		return a->realloc(a->ctx, ptr, size);
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	return realloc(ptr, size);
}

void *mem_alloc(const struct mem_allocator *a, size_t size)
{
	/* Never ask for 0 bytes: realloc(NULL, 0) would mean "free" to a custom allocator. */
	return mem_realloc(a, NULL, size ? size : 1);
}

void *mem_zalloc(const struct mem_allocator *a, size_t size)
{
	void *p = mem_alloc(a, size);

	if (p)
		memset(p, 0, size);
	return p;
}

void *mem_allocarray(const struct mem_allocator *a, void *ptr, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	size_t total = n * size;

	return mem_realloc(a, ptr, total ? total : 1);
}

void mem_free(const struct mem_allocator *a, void *ptr)
{
	if (ptr)
		mem_realloc(a, ptr, 0);
}

char *mem_strdup(const struct mem_allocator *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = mem_alloc(a, n);

	if (p)
		memcpy(p, s, n);
	return p;
}
