/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_MEM_H
#define TCPSIM_MEM_H

/*
 * Every allocation the library makes goes through a struct mem_allocator, so that a
 * test can count allocations (the event queue promises none per event) and an embedder
 * can supply its own. A NULL allocator means the C library's.
 *
 * Ownership rule, once for the whole library: whoever calls a *_new owns the object and
 * frees it with the matching *_free; an object handed to another module's function
 * "taking ownership" (documented at that function) is freed by that module.
 */

#include <stddef.h>

struct mem_allocator {
	/* realloc semantics: ptr NULL allocates, size 0 frees and returns NULL. */
	void *(*realloc)(void *ctx, void *ptr, size_t size);
	void *ctx;
};

void *mem_alloc(const struct mem_allocator *a, size_t size);
void *mem_zalloc(const struct mem_allocator *a, size_t size);
void *mem_realloc(const struct mem_allocator *a, void *ptr, size_t size);
/* Overflow-checked n * size; NULL on overflow or failure. */
void *mem_allocarray(const struct mem_allocator *a, void *ptr, size_t n, size_t size);
void mem_free(const struct mem_allocator *a, void *ptr);
char *mem_strdup(const struct mem_allocator *a, const char *s);

#endif
