/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

bool bytes_real(const struct bytes *b)
{
	return b->buf != NULL;
}

/* Grows the ring to hold `need` bytes, unrolling it so head is 0. */
static int reserve(struct bytes *b, const struct mem_allocator *a, uint64_t need)
{
	if (need <= b->cap)
		return 0;
	uint64_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	uint8_t *nb = mem_alloc(a, cap);
	if (!nb)
		return -ENOMEM;
	if (b->buf) {
		bytes_peek(b, 0, b->len, nb);
		mem_free(a, b->buf);
	} else {
		memset(nb, 0, b->len); /* counted bytes become zeros */
	}
	b->buf = nb;
	b->cap = cap;
	b->head = 0;
	return 0;
}

int bytes_push(struct bytes *b, const struct mem_allocator *a, const uint8_t *data,
	       uint64_t len)
{
	if (!data && !b->buf) {
		b->len += len;
		return 0;
	}
	if (reserve(b, a, b->len + len))
		return -ENOMEM;
	uint64_t tail = (b->head + b->len) % b->cap;
	for (uint64_t done = 0; done < len;) {
		uint64_t n = b->cap - tail < len - done ? b->cap - tail : len - done;
		if (data)
			memcpy(b->buf + tail, data + done, n);
		else
			memset(b->buf + tail, 0, n);
		done += n;
		tail = (tail + n) % b->cap;
	}
	b->len += len;
	return 0;
}

void bytes_peek(const struct bytes *b, uint64_t off, uint64_t len, uint8_t *out)
{
	if (!out)
		return;
	if (!b->buf) {
		memset(out, 0, len);
		return;
	}
	uint64_t pos = (b->head + off) % b->cap;
	for (uint64_t done = 0; done < len;) {
		uint64_t n = b->cap - pos < len - done ? b->cap - pos : len - done;
		memcpy(out + done, b->buf + pos, n);
		done += n;
		pos = (pos + n) % b->cap;
	}
}

void bytes_drop(struct bytes *b, uint64_t len)
{
	if (len > b->len)
		len = b->len;
	b->len -= len;
	if (b->buf)
		b->head = b->len ? (b->head + len) % b->cap : 0;
}

void bytes_free(struct bytes *b, const struct mem_allocator *a)
{
	mem_free(a, b->buf);
	memset(b, 0, sizeof(*b));
}
