/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_HOST_H
#define TCPSIM_HOST_H

/*
 * A simulated host's TCP: its knobs and rule switches, its descriptor table, its
 * sockets and their TCBs, its port bindings, the demultiplexer that finds the TCB
 * for an arriving segment, and its counters. The world creates one per network node
 * and hands it every segment that arrives there.
 *
 * The sockets API on a host is in sock.h; this header is for the world and for
 * read-only inspection.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tcpsim/evq.h"
#include "tcpsim/knobs.h"
#include "tcpsim/mem.h"
#include "tcpsim/net.h"
#include "tcpsim/rng.h"
#include "tcpsim/tcp.h"

struct host;

/* What a host needs from the world below and beside it. */
struct host_env {
	struct evq *q;
	struct net *net;
	struct rng *rng;
	const struct mem_allocator *alloc;
	int node;               /* its network node */
	tcp_event_fn emit;      /* where its events go (may be NULL) */
	void *emit_ctx;
};

/* A host starts with the `linux` profile's knobs. NULL on allocation failure. */
struct host *host_new(const struct host_env *env);
/* Frees every socket, TCB and timer of the host. */
void host_free(struct host *h);

/* A segment arrived for this host (the world's delivery hook). */
void host_input(struct host *h, const struct seg *s);

/* The host's knobs and rule switches; change them between calls at will (new values
 * apply from the next decision that reads them). */
struct tcp_config *host_config(struct host *h);
int host_node(const struct host *h);
uint32_t host_addr(const struct host *h);
const struct tcp_counters *host_counters(const struct host *h);

/* The next connection this host opens or accepts gets this ISS instead of a random
 * one, and so does each after it, counting up by `step` (a script's fixed ISNs). */
void host_fix_iss(struct host *h, uint32_t iss, uint32_t step);
void host_random_iss(struct host *h);

/* Inspection by connection id (stable while the connection lives, whatever happens to
 * its descriptors). -ENOENT once it is gone. */
int host_sock_info(const struct host *h, uint32_t id, struct tcp_info *info);
/* State of a connection; TCPS_CLOSED once it is gone. */
enum tcp_state host_sock_state(const struct host *h, uint32_t id);
/* Calls fn for every live connection, in creation order. */
void host_sock_foreach(const struct host *h, void (*fn)(void *ctx, const struct tcp_info *i),
		       void *ctx);
/* Number of live connections in each state. */
void host_state_counts(const struct host *h, uint64_t counts[TCPS_COUNT]);

#endif
