/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tcpsim/tcpsim.h"

struct observer {
	int id;
	world_observer_fn fn;
	void *ctx;
};

struct host_slot {
	struct host *tcp;      /* NULL while crashed */
	struct tcp_config saved; /* knobs kept across a crash */
	world_input_fn input;  /* an override: a raw endpoint */
	void *ctx;
};

struct world {
	const struct mem_allocator *alloc;
	uint64_t seed;
	struct rng rng;
	struct evq *q;
	struct net *net;

	struct host_slot *hosts; /* indexed by network node id */
	int cap_hosts;

	struct observer *obs;
	int nobs, cap_obs, next_obs_id;
};

const char *tcpsim_version(void)
{
	return PACKAGE_VERSION;
}

static const enum world_ev_kind from_net[] = {
	[NET_EV_SEND] = WEV_SEG_SEND,       [NET_EV_INJECT] = WEV_SEG_INJECT,
	[NET_EV_DROP] = WEV_SEG_DROP,       [NET_EV_DUP] = WEV_SEG_DUP,
	[NET_EV_DELAY] = WEV_SEG_DELAY,     [NET_EV_HOLD] = WEV_SEG_HOLD,
	[NET_EV_RELEASE] = WEV_SEG_RELEASE, [NET_EV_DELIVER] = WEV_SEG_DELIVER,
	[NET_EV_MIDDLEBOX_RST] = WEV_SEG_MIDDLEBOX_RST,
};

static const enum world_ev_kind from_tcp[] = {
	[TCP_EV_STATE] = WEV_TCP_STATE,           [TCP_EV_CALL] = WEV_TCP_CALL,
	[TCP_EV_TIMER_SET] = WEV_TCP_TIMER_SET,   [TCP_EV_TIMER_FIRE] = WEV_TCP_TIMER_FIRE,
	[TCP_EV_TIMER_CANCEL] = WEV_TCP_TIMER_CANCEL, [TCP_EV_SOCK_NEW] = WEV_TCP_SOCK_NEW,
	[TCP_EV_SOCK_FREE] = WEV_TCP_SOCK_FREE,
};

const char *world_ev_name(enum world_ev_kind k)
{
	static const char *const names[] = {
		[WEV_SEG_SEND] = "send",       [WEV_SEG_INJECT] = "inject",
		[WEV_SEG_DROP] = "drop",       [WEV_SEG_DUP] = "dup",
		[WEV_SEG_DELAY] = "delay",     [WEV_SEG_HOLD] = "hold",
		[WEV_SEG_RELEASE] = "release", [WEV_SEG_DELIVER] = "deliver",
		[WEV_SEG_MIDDLEBOX_RST] = "middlebox-rst",
		[WEV_HOST_CRASH] = "crash",    [WEV_HOST_BOOT] = "boot",
		[WEV_TCP_STATE] = "state",     [WEV_TCP_CALL] = "call",
		[WEV_TCP_TIMER_SET] = "timer-set", [WEV_TCP_TIMER_FIRE] = "timer-fire",
		[WEV_TCP_TIMER_CANCEL] = "timer-cancel", [WEV_TCP_SOCK_NEW] = "sock-new",
		[WEV_TCP_SOCK_FREE] = "sock-free",
	};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void world_emit(struct world *w, const struct world_event *ev)
{
	for (int i = 0; i < w->nobs; i++)
		w->obs[i].fn(w->obs[i].ctx, ev);
}

static void net_tap(void *ctx, enum net_ev_kind kind, const struct seg *seg,
		    const struct net_ev_info *info)
{
	struct world *w = ctx;
	struct world_event ev = {
		.kind = from_net[kind],
		.time = evq_now(w->q),
		.host = info->from,
		.seg = seg,
		.net = info,
	};

	world_emit(w, &ev);
}

static void tcp_tap(void *ctx, const struct tcp_event *tev)
{
	struct world *w = ctx;
	struct world_event ev = {
		.kind = from_tcp[tev->kind],
		.time = evq_now(w->q),
		.host = tev->host,
		.tcp = tev,
	};

	world_emit(w, &ev);
}

static void host_deliver(void *ctx, int node, const struct seg *seg)
{
	struct world *w = ctx;
	struct host_slot *h = &w->hosts[node];

	if (h->input)
		h->input(h->ctx, seg);
	else if (h->tcp)
		host_input(h->tcp, seg);
}

static struct host *make_tcp(struct world *w, int node)
{
	struct host_env env = {
		.q = w->q,
		.net = w->net,
		.rng = &w->rng,
		.alloc = w->alloc,
		.node = node,
		.emit = tcp_tap,
		.emit_ctx = w,
	};

	return host_new(&env);
}

struct world *world_new(uint64_t seed, const struct mem_allocator *a)
{
	struct world *w = mem_zalloc(a, sizeof(*w));

	if (!w)
		return NULL;
	w->alloc = a;
	w->next_obs_id = 1;
	world_reseed(w, seed);
	w->q = evq_new(a);
	if (w->q)
		w->net = net_new(w->q, &w->rng, a);
	if (!w->net) {
		world_free(w);
		return NULL;
	}
	net_set_tap(w->net, net_tap, w);
	return w;
}

void world_free(struct world *w)
{
	if (!w)
		return;
	/* Hosts, then the network, cancel their own events before the queue goes. */
	for (int i = 0; w->net && i < net_node_count(w->net); i++)
		host_free(w->hosts[i].tcp);
	net_free(w->net);
	evq_free(w->q);
	mem_free(w->alloc, w->hosts);
	mem_free(w->alloc, w->obs);
	mem_free(w->alloc, w);
}

void world_reseed(struct world *w, uint64_t seed)
{
	w->seed = seed;
	rng_seed(&w->rng, seed);
}

uint64_t world_seed(const struct world *w)
{
	return w->seed;
}

struct evq *world_evq(struct world *w)
{
	return w->q;
}

struct net *world_net(struct world *w)
{
	return w->net;
}

struct rng *world_rng(struct world *w)
{
	return &w->rng;
}

const struct mem_allocator *world_allocator(const struct world *w)
{
	return w->alloc;
}

vtime_t world_now(const struct world *w)
{
	return evq_now(w->q);
}

int world_observe(struct world *w, world_observer_fn fn, void *ctx)
{
	if (!fn)
		return -EINVAL;
	if (w->nobs == w->cap_obs) {
		int cap = w->cap_obs ? w->cap_obs * 2 : 4;
		struct observer *o = mem_allocarray(w->alloc, w->obs, (size_t)cap, sizeof(*o));
		if (!o)
			return -ENOMEM;
		w->obs = o;
		w->cap_obs = cap;
	}
	w->obs[w->nobs] = (struct observer){ w->next_obs_id++, fn, ctx };
	return w->obs[w->nobs++].id;
}

int world_unobserve(struct world *w, int id)
{
	for (int i = 0; i < w->nobs; i++) {
		if (w->obs[i].id == id) {
			memmove(&w->obs[i], &w->obs[i + 1],
				(size_t)(w->nobs - i - 1) * sizeof(w->obs[0]));
			w->nobs--;
			return 0;
		}
	}
	return -ENOENT;
}

int world_host_add(struct world *w, const char *name, uint32_t addr)
{
	int n = net_node_count(w->net);

	/* Host slots share the node's index; make room before the node exists. */
	if (n == w->cap_hosts) {
		int cap = w->cap_hosts ? w->cap_hosts * 2 : 8;
		struct host_slot *h = mem_allocarray(w->alloc, w->hosts, (size_t)cap, sizeof(*h));
		if (!h)
			return -ENOMEM;
		w->hosts = h;
		w->cap_hosts = cap;
	}
	memset(&w->hosts[n], 0, sizeof(w->hosts[n]));
	int id = net_node_add(w->net, name, addr, host_deliver, w);
	if (id < 0)
		return id;
	w->hosts[id].tcp = make_tcp(w, id);
	if (!w->hosts[id].tcp)
		return -ENOMEM; /* the node stays, as a host that has crashed */
	return id;
}

int world_host_find(const struct world *w, const char *name)
{
	return net_node_find(w->net, name);
}

int world_host_count(const struct world *w)
{
	return net_node_count(w->net);
}

const char *world_host_name(const struct world *w, int host)
{
	return net_node_name(w->net, host);
}

uint32_t world_host_addr(const struct world *w, int host)
{
	return net_node_addr(w->net, host);
}

int world_host_set_input(struct world *w, int host, world_input_fn fn, void *ctx)
{
	if (host < 0 || host >= world_host_count(w))
		return -ENOENT;
	w->hosts[host].input = fn;
	w->hosts[host].ctx = ctx;
	return 0;
}

struct host *world_host(struct world *w, int host)
{
	if (host < 0 || host >= world_host_count(w))
		return NULL;
	return w->hosts[host].tcp;
}

static int host_set_up(struct world *w, int host, bool up)
{
	int rc = net_node_set_up(w->net, host, up);

	if (rc)
		return rc;
	struct host_slot *hs = &w->hosts[host];
	if (!up && hs->tcp) {
		hs->saved = *host_config(hs->tcp);
		host_free(hs->tcp);
		hs->tcp = NULL;
	} else if (up && !hs->tcp) {
		hs->tcp = make_tcp(w, host);
		if (!hs->tcp)
			return -ENOMEM;
		*host_config(hs->tcp) = hs->saved;
	}
	struct world_event ev = {
		.kind = up ? WEV_HOST_BOOT : WEV_HOST_CRASH,
		.time = evq_now(w->q),
		.host = host,
	};
	world_emit(w, &ev);
	return 0;
}

int world_host_crash(struct world *w, int host)
{
	return host_set_up(w, host, false);
}

int world_host_boot(struct world *w, int host)
{
	return host_set_up(w, host, true);
}
