/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "net_internal.h"

/* A segment on its way: the segment itself and what the network needs to deliver it.
 * Flights come from a pool and are reused, so sending allocates nothing once the pool
 * has grown to the peak number in flight. */
struct flight {
	struct seg seg; /* first, so a struct seg * converts back (flight_of) */
	struct net *net;
	struct flight *next; /* free list, or a rule's queue of held segments */
	evq_id ev;
	int32_t from, to;
	uint8_t in_use;
	uint8_t duplicate;
};

#define FLIGHT_CHUNK 256

struct node {
	char name[NET_NAME_MAX];
	uint32_t addr;
	net_deliver_fn fn;
	void *ctx;
	bool up;
};

struct link_dir {
	struct link_params p;
	vtime_t busy_until; /* when the last segment finishes serialising */
	struct net_counters c;
};

struct link {
	int a, b;
	struct link_dir dir[2]; /* [0] a->b, [1] b->a */
	struct middlebox *mb;
};

struct rule {
	int id;
	bool spent; /* acted as often as it may; kept only for its held segments */
	struct net_rule r;
	uint64_t matched, acted;
	struct flight *held, *held_tail;
};

struct net {
	const struct mem_allocator *alloc;
	struct evq *q;
	struct rng *rng;
	net_tap_fn tap;
	void *tap_ctx;

	struct node *nodes;
	int nnodes, cap_nodes;

	struct link *links;
	int nlinks, cap_links;
	int32_t *link_index; /* open addressing: (a, b) -> index into links, -1 empty */
	size_t link_index_cap;

	struct rule *rules;
	int nrules, cap_rules, next_rule_id;

	struct flight **chunks;
	size_t nchunks, cap_chunks;
	struct flight *free_flights;
	uint64_t in_flight;
	uint64_t next_seg_id;

	struct net_counters c;
};

static struct flight *flight_of(struct seg *s)
{
	return (struct flight *)(void *)((char *)s - offsetof(struct flight, seg));
}

/* ---------------------------------------------------------------- flights */

static int grow_pool(struct net *n)
{
	if (n->nchunks == n->cap_chunks) {
		size_t cap = n->cap_chunks ? n->cap_chunks * 2 : 8;
		struct flight **c = mem_allocarray(n->alloc, n->chunks, cap, sizeof(*c));
		if (!c)
			return -ENOMEM;
		n->chunks = c;
		n->cap_chunks = cap;
	}
	struct flight *chunk = mem_allocarray(n->alloc, NULL, FLIGHT_CHUNK, sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	memset(chunk, 0, FLIGHT_CHUNK * sizeof(*chunk));
	n->chunks[n->nchunks++] = chunk;
	for (int i = FLIGHT_CHUNK - 1; i >= 0; i--) {
		chunk[i].net = n;
		chunk[i].next = n->free_flights;
		n->free_flights = &chunk[i];
	}
	return 0;
}

struct seg *net_seg_alloc(struct net *n)
{
	if (!n->free_flights && grow_pool(n))
		return NULL;
	struct flight *f = n->free_flights;
	n->free_flights = f->next;
	memset(&f->seg, 0, sizeof(f->seg));
	f->next = NULL;
	f->ev = 0;
	f->from = f->to = -1;
	f->in_use = 1;
	f->duplicate = 0;
	return &f->seg;
}

static void flight_free(struct net *n, struct flight *f)
{
	mem_free(n->alloc, f->seg.data);
	f->seg.data = NULL;
	f->in_use = 0;
	f->next = n->free_flights;
	n->free_flights = f;
}

void net_seg_free(struct net *n, struct seg *s)
{
	if (s)
		flight_free(n, flight_of(s));
}

/* A copy of f (payload bytes included), marked as a duplicate. */
static struct flight *flight_copy(struct net *n, struct flight *f)
{
	struct seg *s = net_seg_alloc(n);

	if (!s)
		return NULL;
	*s = f->seg;
	s->data = NULL;
	if (f->seg.data && f->seg.len) {
		s->data = mem_alloc(n->alloc, f->seg.len);
		if (!s->data) {
			net_seg_free(n, s);
			return NULL;
		}
		memcpy(s->data, f->seg.data, f->seg.len);
	}
	s->id = ++n->next_seg_id;
	struct flight *c = flight_of(s);
	c->from = f->from;
	c->to = f->to;
	c->duplicate = 1;
	return c;
}

/* ---------------------------------------------------------------- nodes */

struct net *net_new(struct evq *q, struct rng *rng, const struct mem_allocator *a)
{
	struct net *n = mem_zalloc(a, sizeof(*n));

	if (!n)
		return NULL;
	n->alloc = a;
	n->q = q;
	n->rng = rng;
	n->next_rule_id = 1;
	return n;
}

void net_free(struct net *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nchunks; i++) {
		for (int j = 0; j < FLIGHT_CHUNK; j++) {
			struct flight *f = &n->chunks[i][j];
			if (f->ev)
				evq_cancel(n->q, f->ev);
			mem_free(n->alloc, f->seg.data);
		}
		mem_free(n->alloc, n->chunks[i]);
	}
	for (int i = 0; i < n->nlinks; i++)
		mb_free(n->links[i].mb);
	mem_free(n->alloc, n->chunks);
	mem_free(n->alloc, n->nodes);
	mem_free(n->alloc, n->links);
	mem_free(n->alloc, n->link_index);
	mem_free(n->alloc, n->rules);
	mem_free(n->alloc, n);
}

void net_set_tap(struct net *n, net_tap_fn fn, void *ctx)
{
	n->tap = fn;
	n->tap_ctx = ctx;
}

static void tap(struct net *n, enum net_ev_kind k, const struct flight *f,
		const struct net_ev_info *info)
{
	if (n->tap)
		n->tap(n->tap_ctx, k, &f->seg, info);
}

static struct net_ev_info info_of(const struct flight *f)
{
	struct net_ev_info i = { 0 };

	i.from = f->from;
	i.to = f->to;
	i.duplicate = f->duplicate;
	return i;
}

static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len >= NET_NAME_MAX)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int net_node_add(struct net *n, const char *name, uint32_t addr, net_deliver_fn fn, void *ctx)
{
	if (!valid_name(name))
		return -EINVAL;
	if (net_node_find(n, name) >= 0 || net_node_by_addr(n, addr) >= 0)
		return -EEXIST;
	if (n->nnodes >= NET_MAX_NODES)
		return -ENOSPC;
	if (n->nnodes == n->cap_nodes) {
		int cap = n->cap_nodes ? n->cap_nodes * 2 : 8;
		struct node *nodes = mem_allocarray(n->alloc, n->nodes, (size_t)cap, sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
		n->nodes = nodes;
		n->cap_nodes = cap;
	}
	struct node *nd = &n->nodes[n->nnodes];
	memset(nd, 0, sizeof(*nd));
	strcpy(nd->name, name);
	nd->addr = addr;
	nd->fn = fn;
	nd->ctx = ctx;
	nd->up = true;
	return n->nnodes++;
}

/* Linear scans: node lookups happen when a script names a host or a segment leaves,
 * and a simulation has a handful of hosts (NET_MAX_NODES caps it). */
int net_node_find(const struct net *n, const char *name)
{
	for (int i = 0; i < n->nnodes; i++)
		if (strcmp(n->nodes[i].name, name) == 0)
			return i;
	return -ENOENT;
}

int net_node_by_addr(const struct net *n, uint32_t addr)
{
	for (int i = 0; i < n->nnodes; i++)
		if (n->nodes[i].addr == addr)
			return i;
	return -ENOENT;
}

int net_node_count(const struct net *n)
{
	return n->nnodes;
}

static bool node_ok(const struct net *n, int id)
{
	return id >= 0 && id < n->nnodes;
}

const char *net_node_name(const struct net *n, int id)
{
	return node_ok(n, id) ? n->nodes[id].name : NULL;
}

uint32_t net_node_addr(const struct net *n, int id)
{
	return node_ok(n, id) ? n->nodes[id].addr : 0;
}

int net_node_set_up(struct net *n, int id, bool up)
{
	if (!node_ok(n, id))
		return -ENOENT;
	n->nodes[id].up = up;
	return 0;
}

bool net_node_is_up(const struct net *n, int id)
{
	return node_ok(n, id) && n->nodes[id].up;
}

int net_resolve(void *net, const char *name, uint32_t *addr)
{
	struct net *n = net;
	int id = net_node_find(n, name);

	if (id < 0)
		return id;
	*addr = n->nodes[id].addr;
	return 0;
}

/* ---------------------------------------------------------------- links */

static size_t link_slot(uint32_t key, size_t cap)
{
	return (size_t)(key * 0x9e3779b1u) & (cap - 1);
}

static uint32_t link_key(int a, int b)
{
	return a < b ? (uint32_t)a << 16 | (uint32_t)b : (uint32_t)b << 16 | (uint32_t)a;
}

static struct link *link_find(const struct net *n, int a, int b, int *dir)
{
	if (!n->link_index_cap)
		return NULL;
	uint32_t key = link_key(a, b);
	for (size_t i = link_slot(key, n->link_index_cap);; i = (i + 1) & (n->link_index_cap - 1)) {
		int32_t li = n->link_index[i];
		if (li < 0)
			return NULL;
		struct link *l = &n->links[li];
		if (link_key(l->a, l->b) == key) {
			if (dir)
				*dir = l->a == a ? 0 : 1;
			return l;
		}
	}
}

static int link_index_grow(struct net *n)
{
	size_t cap = n->link_index_cap ? n->link_index_cap * 2 : 16;
	int32_t *idx = mem_allocarray(n->alloc, NULL, cap, sizeof(*idx));

	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		idx[i] = -1;
	for (int li = 0; li < n->nlinks; li++) {
		size_t i = link_slot(link_key(n->links[li].a, n->links[li].b), cap);
		while (idx[i] >= 0)
			i = (i + 1) & (cap - 1);
		idx[i] = li;
	}
	mem_free(n->alloc, n->link_index);
	n->link_index = idx;
	n->link_index_cap = cap;
	return 0;
}

static bool params_ok(const struct link_params *p)
{
	return p->delay >= 0 && p->jitter >= 0 && p->reorder_delay >= 0 &&
	       p->loss_ppm <= RNG_PPM_ONE && p->dup_ppm <= RNG_PPM_ONE &&
	       p->reorder_ppm <= RNG_PPM_ONE;
}

int net_link_add(struct net *n, int a, int b, const struct link_params *ab,
		 const struct link_params *ba)
{
	if (!node_ok(n, a) || !node_ok(n, b))
		return -ENOENT;
	if (a == b || !params_ok(ab) || !params_ok(ba))
		return -EINVAL;
	if (link_find(n, a, b, NULL))
		return -EEXIST;
	if (n->nlinks == n->cap_links) {
		int cap = n->cap_links ? n->cap_links * 2 : 8;
		struct link *l = mem_allocarray(n->alloc, n->links, (size_t)cap, sizeof(*l));
		if (!l)
			return -ENOMEM;
		n->links = l;
		n->cap_links = cap;
	}
	if ((size_t)(n->nlinks + 1) * 2 > n->link_index_cap && link_index_grow(n))
		return -ENOMEM;
	struct link *l = &n->links[n->nlinks];
	memset(l, 0, sizeof(*l));
	l->a = a;
	l->b = b;
	l->dir[0].p = *ab;
	l->dir[1].p = *ba;
	size_t i = link_slot(link_key(a, b), n->link_index_cap);
	while (n->link_index[i] >= 0)
		i = (i + 1) & (n->link_index_cap - 1);
	n->link_index[i] = n->nlinks++;
	return 0;
}

int net_link_set(struct net *n, int from, int to, const struct link_params *p)
{
	int d;
	struct link *l = link_find(n, from, to, &d);

	if (!l)
		return -ENOENT;
	if (!params_ok(p))
		return -EINVAL;
	l->dir[d].p = *p;
	return 0;
}

int net_link_get(const struct net *n, int from, int to, struct link_params *p)
{
	int d;
	const struct link *l = link_find(n, from, to, &d);

	if (!l)
		return -ENOENT;
	*p = l->dir[d].p;
	return 0;
}

int net_link_counters(const struct net *n, int from, int to, struct net_counters *c)
{
	int d;
	const struct link *l = link_find(n, from, to, &d);

	if (!l)
		return -ENOENT;
	*c = l->dir[d].c;
	return 0;
}

const struct net_counters *net_counters(const struct net *n)
{
	return &n->c;
}

uint64_t net_in_flight(const struct net *n)
{
	return n->in_flight;
}

/* ---------------------------------------------------------------- the way of a segment */

static void count_drop(struct net *n, struct link_dir *ld, enum net_drop_reason r)
{
	n->c.dropped[r]++;
	if (ld)
		ld->c.dropped[r]++;
}

static void drop(struct net *n, struct flight *f, struct link_dir *ld, enum net_drop_reason r,
		 int rule)
{
	struct net_ev_info i = info_of(f);

	i.reason = r;
	i.rule = rule;
	count_drop(n, ld, r);
	tap(n, NET_EV_DROP, f, &i);
	n->in_flight--;
	flight_free(n, f);
}

static void deliver_cb(void *arg)
{
	struct flight *f = arg;
	struct net *n = f->net;
	int dir = 0;
	struct link *l = f->from >= 0 ? link_find(n, f->from, f->to, &dir) : NULL;
	struct link_dir *ld = l ? &l->dir[dir] : NULL;

	f->ev = 0;
	if (!n->nodes[f->to].up) {
		drop(n, f, ld, NET_DROP_HOST_DOWN, 0);
		return;
	}
	n->c.delivered++;
	if (ld)
		ld->c.delivered++;
	struct net_ev_info i = info_of(f);
	i.arrival = evq_now(n->q);
	tap(n, NET_EV_DELIVER, f, &i);
	/* Borrowed by the callback; it may send (and so allocate flights) meanwhile. */
	n->nodes[f->to].fn(n->nodes[f->to].ctx, f->to, &f->seg);
	n->in_flight--;
	flight_free(n, f);
}

static int schedule_delivery(struct net *n, struct flight *f, vtime_t when)
{
	int rc = evq_schedule(n->q, when, deliver_cb, f, &f->ev);

	if (rc) {
		/* Out of memory in the event queue: the segment is lost, as a real network
		 * loses packets it has no buffer for; count it so it is not invisible. */
		drop(n, f, NULL, NET_DROP_LOSS, 0);
	}
	return rc;
}

static vtime_t serialise(struct link_dir *ld, const struct seg *s, vtime_t now)
{
	if (!ld->p.bandwidth_bps)
		return now;
	uint64_t bits = (uint64_t)seg_wire_len(s) * 8;
	vtime_t t = (vtime_t)((bits * (uint64_t)VTIME_S + ld->p.bandwidth_bps - 1) /
			      ld->p.bandwidth_bps);
	vtime_t start = ld->busy_until > now ? ld->busy_until : now;
	ld->busy_until = start + t;
	return ld->busy_until;
}

static void middlebox_reset(struct net *n, struct link *l, int dir, struct flight *f)
{
	struct seg *r = net_seg_alloc(n);

	if (!r)
		return;
	if (!seg_make_reset(&f->seg, r)) {
		net_seg_free(n, r);
		return;
	}
	struct flight *rf = flight_of(r);
	r->id = ++n->next_seg_id;
	rf->from = f->to; /* it appears to come from the far end, as a firewall forges it */
	rf->to = f->from;
	n->in_flight++;
	n->c.middlebox_resets++;
	struct net_ev_info i = info_of(rf);
	i.arrival = evq_now(n->q) + l->dir[!dir].p.delay;
	tap(n, NET_EV_MIDDLEBOX_RST, rf, &i);
	schedule_delivery(n, rf, i.arrival);
}

/* Steps 4 to 6 of the way (net.h): random faults, middlebox, bandwidth and delay. A
 * copy made by a fault is not a segment the sender sent: it is not counted as sent and
 * is not duplicated again. */
static void link_stage(struct net *n, struct flight *f, vtime_t extra, bool original)
{
	int dir;
	struct link *l = link_find(n, f->from, f->to, &dir);
	struct link_dir *ld = &l->dir[dir];
	const struct link_params *p = &ld->p;
	vtime_t now = evq_now(n->q);

	if (original)
		ld->c.sent++;
	if (rng_chance_ppm(n->rng, p->loss_ppm)) {
		drop(n, f, ld, NET_DROP_LOSS, 0);
		return;
	}
	if (original && rng_chance_ppm(n->rng, p->dup_ppm)) {
		struct flight *c = flight_copy(n, f);
		if (c) {
			n->in_flight++;
			n->c.duplicated++;
			ld->c.duplicated++;
			struct net_ev_info i = info_of(c);
			tap(n, NET_EV_DUP, c, &i);
			link_stage(n, c, extra, false);
		}
	}
	if (rng_chance_ppm(n->rng, p->reorder_ppm)) {
		vtime_t hold = p->reorder_delay ? p->reorder_delay : p->delay;
		extra += hold;
		n->c.reordered++;
		ld->c.reordered++;
		struct net_ev_info i = info_of(f);
		i.extra = hold;
		tap(n, NET_EV_DELAY, f, &i);
	}
	if (p->jitter > 0)
		extra += rng_range(n->rng, 0, p->jitter);
	if (l->mb && !mb_pass(l->mb, &f->seg, now)) {
		if (mb_mode(l->mb) == MIDDLEBOX_RST)
			middlebox_reset(n, l, dir, f);
		drop(n, f, ld, NET_DROP_MIDDLEBOX, 0);
		return;
	}
	schedule_delivery(n, f, serialise(ld, &f->seg, now) + p->delay + extra);
}

static void rule_delete(struct net *n, int idx)
{
	memmove(&n->rules[idx], &n->rules[idx + 1],
		(size_t)(n->nrules - idx - 1) * sizeof(n->rules[0]));
	n->nrules--;
}

int net_send(struct net *n, int from, struct seg *s)
{
	struct flight *f = flight_of(s);

	if (!node_ok(n, from)) {
		flight_free(n, f);
		return -ENOENT;
	}
	s->id = ++n->next_seg_id;
	f->from = from;
	f->to = net_node_by_addr(n, s->daddr);
	n->in_flight++;
	n->c.sent++;
	struct net_ev_info i = info_of(f);
	tap(n, NET_EV_SEND, f, &i);
	if (f->to < 0) {
		f->to = -1;
		drop(n, f, NULL, NET_DROP_NO_HOST, 0);
		return 0;
	}
	if (!link_find(n, from, f->to, NULL)) {
		drop(n, f, NULL, NET_DROP_NO_LINK, 0);
		return 0;
	}

	vtime_t extra = 0;
	struct flight *copy = NULL;
	for (int k = 0; k < n->nrules; k++) {
		struct rule *r = &n->rules[k];
		if (r->spent || !seg_filter_match(&r->r.filter, s))
			continue;
		r->matched++;
		bool fire = r->r.nth ? r->matched == r->r.nth
				     : (!r->r.times || r->acted < r->r.times);
		if (!fire)
			continue;
		r->acted++;
		int rid = r->id;
		enum net_action act = r->r.action;
		vtime_t delay = r->r.delay;
		if (r->r.nth || (r->r.times && r->acted == r->r.times)) {
			r->spent = true;
			if (act != NET_HOLD)
				rule_delete(n, k);
		}
		switch (act) {
		case NET_DROP:
			drop(n, f, NULL, NET_DROP_RULE, rid);
			return 0;
		case NET_HOLD: {
			/* A spent hold rule stays (with its queue) until released, so k is
			 * still this rule's index. */
			struct rule *hr = &n->rules[k];
			if (hr->held_tail)
				hr->held_tail->next = f;
			else
				hr->held = f;
			hr->held_tail = f;
			f->next = NULL;
			n->c.held++;
			i.rule = rid;
			tap(n, NET_EV_HOLD, f, &i);
			return 0;
		}
		case NET_DUP:
			copy = flight_copy(n, f);
			if (copy) {
				n->in_flight++;
				n->c.duplicated++;
				struct net_ev_info ci = info_of(copy);
				ci.rule = rid;
				tap(n, NET_EV_DUP, copy, &ci);
			}
			break;
		case NET_DELAY:
			extra += delay;
			n->c.delayed++;
			i.rule = rid;
			i.extra = delay;
			tap(n, NET_EV_DELAY, f, &i);
			break;
		}
		break; /* the first rule that fires decides */
	}
	link_stage(n, f, extra, true);
	if (copy)
		link_stage(n, copy, extra, false);
	return 0;
}

int net_inject(struct net *n, struct seg *s, vtime_t delay)
{
	struct flight *f = flight_of(s);

	if (delay < 0) {
		flight_free(n, f);
		return -EINVAL;
	}
	s->id = ++n->next_seg_id;
	/* An injected segment takes no link, even when its source address is a node's:
	 * from stays -1 for delivery, and the tap is told the apparent source. */
	int src = net_node_by_addr(n, s->saddr);
	f->from = -1;
	f->to = net_node_by_addr(n, s->daddr);
	n->in_flight++;
	n->c.injected++;
	struct net_ev_info i = info_of(f);
	i.from = src < 0 ? -1 : src;
	i.arrival = evq_now(n->q) + delay;
	tap(n, NET_EV_INJECT, f, &i);
	if (f->to < 0) {
		f->to = -1;
		drop(n, f, NULL, NET_DROP_NO_HOST, 0);
		return 0;
	}
	return schedule_delivery(n, f, i.arrival) == -ENOMEM ? -ENOMEM : 0;
}

/* ---------------------------------------------------------------- rules */

int net_rule_add(struct net *n, const struct net_rule *r)
{
	if (r->action > NET_HOLD || (r->action == NET_DELAY && r->delay < 0))
		return -EINVAL;
	if (n->nrules == n->cap_rules) {
		int cap = n->cap_rules ? n->cap_rules * 2 : 8;
		struct rule *rs = mem_allocarray(n->alloc, n->rules, (size_t)cap, sizeof(*rs));
		if (!rs)
			return -ENOMEM;
		n->rules = rs;
		n->cap_rules = cap;
	}
	struct rule *nr = &n->rules[n->nrules++];
	memset(nr, 0, sizeof(*nr));
	nr->id = n->next_rule_id++;
	nr->r = *r;
	return nr->id;
}

static int rule_idx(const struct net *n, int id)
{
	for (int k = 0; k < n->nrules; k++)
		if (n->rules[k].id == id)
			return k;
	return -ENOENT;
}

int net_rule_stats(const struct net *n, int id, uint64_t *matched, uint64_t *acted)
{
	int k = rule_idx(n, id);

	if (k < 0)
		return k;
	if (matched)
		*matched = n->rules[k].matched;
	if (acted)
		*acted = n->rules[k].acted;
	return 0;
}

static int release_rule(struct net *n, int k)
{
	struct rule *r = &n->rules[k];
	struct flight *f = r->held;
	int count = 0;

	r->held = r->held_tail = NULL;
	while (f) {
		struct flight *next = f->next;
		f->next = NULL;
		n->c.released++;
		struct net_ev_info i = info_of(f);
		i.rule = r->id;
		tap(n, NET_EV_RELEASE, f, &i);
		link_stage(n, f, 0, true);
		count++;
		f = next;
	}
	return count;
}

int net_release(struct net *n, int rule)
{
	int count = 0;

	if (rule) {
		int k = rule_idx(n, rule);
		if (k < 0)
			return k;
		count = release_rule(n, k);
		if (n->rules[k].spent)
			rule_delete(n, k);
		return count;
	}
	for (int k = 0; k < n->nrules; k++) {
		count += release_rule(n, k);
		if (n->rules[k].spent)
			rule_delete(n, k--);
	}
	return count;
}

int net_rule_remove(struct net *n, int id)
{
	int k = rule_idx(n, id);

	if (k < 0)
		return k;
	release_rule(n, k);
	rule_delete(n, k);
	return 0;
}

int net_held_count(const struct net *n)
{
	int count = 0;

	for (int k = 0; k < n->nrules; k++)
		for (const struct flight *f = n->rules[k].held; f; f = f->next)
			count++;
	return count;
}

/* ---------------------------------------------------------------- middleboxes */

int net_middlebox_set(struct net *n, int a, int b, const struct middlebox_params *p)
{
	struct link *l = link_find(n, a, b, NULL);

	if (!l)
		return -ENOENT;
	if (p->idle_timeout <= 0 || p->mode > MIDDLEBOX_RST)
		return -EINVAL;
	struct middlebox *mb = mb_new(n->alloc, p);
	if (!mb)
		return -ENOMEM;
	mb_free(l->mb);
	l->mb = mb;
	return 0;
}

int net_middlebox_remove(struct net *n, int a, int b)
{
	struct link *l = link_find(n, a, b, NULL);

	if (!l || !l->mb)
		return -ENOENT;
	mb_free(l->mb);
	l->mb = NULL;
	return 0;
}

int net_middlebox_tracked(const struct net *n, int a, int b)
{
	const struct link *l = link_find(n, a, b, NULL);

	if (!l || !l->mb)
		return -ENOENT;
	return mb_tracked(l->mb, evq_now(n->q));
}

const char *net_drop_reason_name(enum net_drop_reason r)
{
	static const char *const names[] = {
		[NET_DROP_LOSS] = "loss",
		[NET_DROP_RULE] = "rule",
		[NET_DROP_NO_HOST] = "no_host",
		[NET_DROP_NO_LINK] = "no_link",
		[NET_DROP_HOST_DOWN] = "host_down",
		[NET_DROP_MIDDLEBOX] = "middlebox",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}
