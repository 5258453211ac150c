/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_WORLD_H
#define TCPSIM_WORLD_H

/*
 * The simulation world: it owns the clock and event queue, the seeded generator, the
 * network, the hosts, and the list of observers. Nothing in the library lives outside
 * a world, so two worlds can run side by side in one process.
 *
 * Observers see every event (segments sent, dropped, delivered..., hosts crashing) in
 * the order they happen. They must not change the simulation: outputs (log, ladder,
 * pcap, JSON, statistics) are observers, and a run is the same with or without them.
 */

#include <stdint.h>

#include "tcpsim/evq.h"
#include "tcpsim/host.h"
#include "tcpsim/mem.h"
#include "tcpsim/net.h"
#include "tcpsim/rng.h"
#include "tcpsim/vtime.h"

struct world;

enum world_ev_kind {
	WEV_SEG_SEND,          /* net events, one for one (net.h, enum net_ev_kind) */
	WEV_SEG_INJECT,
	WEV_SEG_DROP,
	WEV_SEG_DUP,
	WEV_SEG_DELAY,
	WEV_SEG_HOLD,
	WEV_SEG_RELEASE,
	WEV_SEG_DELIVER,
	WEV_SEG_MIDDLEBOX_RST,
	WEV_HOST_CRASH,        /* host lost all its state; segments for it are lost */
	WEV_HOST_BOOT,         /* host came back, empty */
	WEV_TCP_STATE,         /* TCP events, one for one (tcp.h, enum tcp_ev_kind) */
	WEV_TCP_CALL,
	WEV_TCP_TIMER_SET,
	WEV_TCP_TIMER_FIRE,
	WEV_TCP_TIMER_CANCEL,
	WEV_TCP_SOCK_NEW,
	WEV_TCP_SOCK_FREE,
};

struct world_event {
	enum world_ev_kind kind;
	vtime_t time;
	int host;                      /* host concerned (for segments: the sender), or -1 */
	const struct seg *seg;         /* segment events */
	const struct net_ev_info *net; /* segment events */
	const struct tcp_event *tcp;   /* TCP events */
};

const char *world_ev_name(enum world_ev_kind k);

typedef void (*world_observer_fn)(void *ctx, const struct world_event *ev);
/* Segments that arrive at a host go to its TCP, unless a test or a front end takes
 * them with world_host_set_input (a raw endpoint, such as a packetdrill peer). */
typedef void (*world_input_fn)(void *ctx, const struct seg *seg);

struct world *world_new(uint64_t seed, const struct mem_allocator *a);
void world_free(struct world *w);

/* Starts the generator again from seed (a script's `seed N`). */
void world_reseed(struct world *w, uint64_t seed);
uint64_t world_seed(const struct world *w);

struct evq *world_evq(struct world *w);
struct net *world_net(struct world *w);
struct rng *world_rng(struct world *w);
const struct mem_allocator *world_allocator(const struct world *w);
vtime_t world_now(const struct world *w);

/* Observers are called in the order they were added. Returns an id (> 0). */
int world_observe(struct world *w, world_observer_fn fn, void *ctx);
int world_unobserve(struct world *w, int id);
/* For the layers above the network (TCP, the interpreter) to report their events. */
void world_emit(struct world *w, const struct world_event *ev);

/* Hosts. A host is a network node plus what runs on it. Ids are small integers from 0.
 * -EEXIST, -EINVAL, -ENOSPC, -ENOMEM as net_node_add. */
int world_host_add(struct world *w, const char *name, uint32_t addr);
int world_host_find(const struct world *w, const char *name);
int world_host_count(const struct world *w);
const char *world_host_name(const struct world *w, int host);
uint32_t world_host_addr(const struct world *w, int host);
int world_host_set_input(struct world *w, int host, world_input_fn fn, void *ctx);
/* The host's TCP (its sockets API is in sock.h); NULL while it is crashed. */
struct host *world_host(struct world *w, int host);
/* A crash loses all the host's TCP state at once, sending nothing; segments for it
 * are lost until it boots, with its knobs as they were and no connections. */
int world_host_crash(struct world *w, int host);
int world_host_boot(struct world *w, int host);

#endif
