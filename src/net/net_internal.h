/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_NET_INTERNAL_H
#define TCPSIM_NET_INTERNAL_H

/* Inside the net module only: the middlebox's connection table. */

#include "tcpsim/net.h"

struct middlebox;

struct middlebox *mb_new(const struct mem_allocator *a, const struct middlebox_params *p);
void mb_free(struct middlebox *mb);
/* Looks at a segment passing the middlebox at `now`: true to let it pass, false when it
 * belongs to a connection the middlebox does not know. -ENOMEM is treated as "pass":
 * a middlebox that cannot remember must not invent drops. */
bool mb_pass(struct middlebox *mb, const struct seg *s, vtime_t now);
enum middlebox_mode mb_mode(const struct middlebox *mb);
int mb_tracked(const struct middlebox *mb, vtime_t now);

#endif
