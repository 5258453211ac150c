/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_internal.h"

#define FD_FIRST 3       /* 0, 1 and 2 are a process's standard streams */
#define FD_MAX 1048576   /* Linux's default nr_open */

struct host *host_new(const struct host_env *env)
{
	struct host *h = mem_zalloc(env->alloc, sizeof(*h));

	if (!h)
		return NULL;
	h->env = *env;
	h->addr = net_node_addr(env->net, env->node);
	knob_profile("linux", &h->cfg);
	h->next_id = 1;
	/* The port hash secret and perturbation table are random per boot in Linux;
	 * here they come from the seeded generator, so runs repeat. */
	h->port_secret = rng_next(env->rng);
	for (int i = 0; i < 256; i++)
		h->port_perturb[i] = (uint32_t)rng_next(env->rng);
	return h;
}

static void tcb_destroy(struct host *h, struct tcb *t)
{
	bytes_free(&t->sndq, h->env.alloc);
	bytes_free(&t->rcvq, h->env.alloc);
	for (struct ooo_seg *o = t->ooo, *n; o; o = n) {
		n = o->next;
		mem_free(h->env.alloc, o->data);
		mem_free(h->env.alloc, o);
	}
	mem_free(h->env.alloc, t);
}

void host_free(struct host *h)
{
	if (!h)
		return;
	tw_free_all(h);
	for (uint32_t i = 0; i < h->ntcbs; i++) {
		struct tcb *t = h->tcbs[i];
		if (!t)
			continue;
		tcb_timers_cancel_all(t);
		tcb_destroy(h, t);
	}
	while (h->spare) {
		struct tcb *t = h->spare;
		h->spare = t->next_child;
		mem_free(h->env.alloc, t);
	}
	hmap_free(&h->ids, h->env.alloc);
	hmap_free(&h->conns, h->env.alloc);
	hmap_free(&h->listeners, h->env.alloc);
	hmap_free(&h->ports, h->env.alloc);
	mem_free(h->env.alloc, h->port_use);
	mem_free(h->env.alloc, h->tcbs);
	mem_free(h->env.alloc, h->free_slots);
	mem_free(h->env.alloc, h->fds);
	mem_free(h->env.alloc, h);
}

struct tcp_config *host_config(struct host *h)
{
	return &h->cfg;
}

int host_node(const struct host *h)
{
	return h->env.node;
}

uint32_t host_addr(const struct host *h)
{
	return h->addr;
}

const struct tcp_counters *host_counters(const struct host *h)
{
	return &h->ctr;
}

vtime_t host_now(const struct host *h)
{
	return evq_now(h->env.q);
}

const struct mem_allocator *host_alloc(const struct host *h)
{
	return h->env.alloc;
}

void host_emit(struct host *h, const struct tcp_event *ev)
{
	if (h->env.emit)
		h->env.emit(h->env.emit_ctx, ev);
}

void host_fix_iss(struct host *h, uint32_t iss, uint32_t step)
{
	h->iss_fixed = true;
	h->iss_next = iss;
	h->iss_step = step;
}

void host_random_iss(struct host *h)
{
	h->iss_fixed = false;
}

uint32_t host_new_iss(struct host *h)
{
	if (h->iss_hint) {
		h->iss_hint = false;
		return h->iss_hint_value;
	}
	if (h->iss_fixed) {
		uint32_t iss = h->iss_next;
		h->iss_next += h->iss_step;
		return iss;
	}
	/* Linux hashes the 4-tuple with a secret and adds a clock (RFC 6528); what
	 * matters to the model is that it is unpredictable to the peer and repeatable
	 * for a seed. */
	return (uint32_t)rng_next(h->env.rng);
}

/* ---------------------------------------------------------------- TCBs and ids */

struct tcb *tcb_alloc(struct host *h)
{
	struct tcb *t = h->spare;

	if (t) {
		h->spare = t->next_child;
		memset(t, 0, sizeof(*t));
	} else {
		t = mem_zalloc(h->env.alloc, sizeof(*t));
		if (!t)
			return NULL;
	}
	uint32_t slot;
	if (h->nfree) {
		slot = h->free_slots[--h->nfree];
	} else {
		if (h->ntcbs == h->cap_tcbs) {
			uint32_t cap = h->cap_tcbs ? h->cap_tcbs * 2 : 16;
			struct tcb **tb = mem_allocarray(h->env.alloc, h->tcbs, cap, sizeof(*tb));
			if (!tb)
				goto fail;
			h->tcbs = tb;
			uint32_t *fs = mem_allocarray(h->env.alloc, h->free_slots, cap, sizeof(*fs));
			if (!fs)
				goto fail;
			h->free_slots = fs;
			h->cap_tcbs = cap;
		}
		slot = h->ntcbs++;
	}
	t->h = h;
	t->slot = slot;
	t->id = h->next_id;
	if (hmap_put(&h->ids, h->env.alloc, t->id, slot)) {
		h->free_slots[h->nfree++] = slot;
		goto fail;
	}
	h->next_id++;
	h->tcbs[slot] = t;
	t->state = TCPS_CLOSED;
	t->laddr = h->addr;
	t->sndbuf = (uint32_t)h->cfg.k.wmem;
	t->rcvbuf = (uint32_t)h->cfg.k.rmem;
	struct tcp_event ev = { .kind = TCP_EV_SOCK_NEW, .host = h->env.node, .sock = t->id };
	host_emit(h, &ev);
	return t;
fail:
	mem_free(h->env.alloc, t);
	return NULL;
}

void tcb_release(struct tcb *t)
{
	struct host *h = t->h;

	if (t->refs > 0 || t->state != TCPS_CLOSED || t->parent)
		return;
	tcb_timers_cancel_all(t);
	tcb_unhash(t);
	host_unbind(t);
	/* A TCB handed over to a TIME_WAIT entry leaves its id to the entry. */
	if (!t->handed_over) {
		struct tcp_event ev = { .kind = TCP_EV_SOCK_FREE, .host = h->env.node,
					.sock = t->id };
		host_emit(h, &ev);
		hmap_del(&h->ids, t->id);
	}
	h->tcbs[t->slot] = NULL;
	h->free_slots[h->nfree++] = t->slot;
	bytes_free(&t->sndq, h->env.alloc);
	bytes_free(&t->rcvq, h->env.alloc);
	for (struct ooo_seg *o = t->ooo, *n; o; o = n) {
		n = o->next;
		mem_free(h->env.alloc, o->data);
		mem_free(h->env.alloc, o);
	}
	t->ooo = NULL;
	t->next_child = h->spare;
	h->spare = t;
}

struct tcb *host_tcb(const struct host *h, uint32_t id)
{
	uint32_t slot;

	if (hmap_get(&h->ids, id, &slot) || (slot & TW_TAG))
		return NULL;
	return h->tcbs[slot];
}

/* ---------------------------------------------------------------- descriptors */

struct tcb *host_fd_tcb(const struct host *h, int fd)
{
	if (fd < FD_FIRST || fd >= h->nfds || !h->fds[fd])
		return NULL;
	return h->tcbs[h->fds[fd] - 1];
}

int host_fd_alloc(struct host *h, struct tcb *t)
{
	int fd;

	for (fd = FD_FIRST; fd < h->nfds; fd++)
		if (!h->fds[fd])
			break;
	if (fd >= FD_MAX)
		return -EMFILE;
	if (fd >= h->nfds) {
		int n = h->nfds ? h->nfds * 2 : 16;
		uint32_t *fds = mem_allocarray(h->env.alloc, h->fds, (size_t)n, sizeof(*fds));
		if (!fds)
			return -ENOMEM;
		memset(fds + h->nfds, 0, (size_t)(n - h->nfds) * sizeof(*fds));
		h->fds = fds;
		h->nfds = n;
	}
	h->fds[fd] = t->slot + 1;
	t->refs++;
	return fd;
}

void host_fd_free(struct host *h, int fd)
{
	struct tcb *t = host_fd_tcb(h, fd);

	if (!t)
		return;
	h->fds[fd] = 0;
	t->refs--;
}

/* ---------------------------------------------------------------- demultiplexing */

int tcb_hash(struct tcb *t)
{
	struct host *h = t->h;

	if (t->hashed)
		return 0;
	uint64_t key = conn_key(t->lport, t->raddr, t->rport);
	if (hmap_get(&h->conns, key, NULL) == 0)
		return -EADDRINUSE;
	int rc = hmap_put(&h->conns, h->env.alloc, key, t->slot);
	if (!rc)
		t->hashed = true;
	return rc;
}

void tcb_unhash(struct tcb *t)
{
	struct host *h = t->h;
	uint32_t slot;

	if (t->hashed) {
		uint64_t key = conn_key(t->lport, t->raddr, t->rport);
		if (hmap_get(&h->conns, key, &slot) == 0 && slot == t->slot)
			hmap_del(&h->conns, key);
		t->hashed = false;
	}
	if (t->state == TCPS_LISTEN || (hmap_get(&h->listeners, t->lport, &slot) == 0 &&
					 slot == t->slot))
		hmap_del(&h->listeners, t->lport);
}

static struct port_use *port_use(struct host *h, uint16_t port, bool create)
{
	uint32_t idx;

	if (hmap_get(&h->ports, port, &idx) == 0)
		return &h->port_use[idx];
	if (!create)
		return NULL;
	if (h->nport_use == h->cap_port_use) {
		uint32_t cap = h->cap_port_use ? h->cap_port_use * 2 : 16;
		struct port_use *pu = mem_allocarray(h->env.alloc, h->port_use, cap, sizeof(*pu));
		if (!pu)
			return NULL;
		h->port_use = pu;
		h->cap_port_use = cap;
	}
	idx = h->nport_use;
	if (hmap_put(&h->ports, h->env.alloc, port, idx))
		return NULL;
	h->nport_use++;
	memset(&h->port_use[idx], 0, sizeof(h->port_use[idx]));
	return &h->port_use[idx];
}

/* Takes `port` for t. Linux inet_csk_bind_conflict, for one local address: a port
 * held by others is shared only when every holder and the newcomer set SO_REUSEADDR
 * and none of them listens. */
int host_bind_port(struct host *h, struct tcb *t, uint16_t port)
{
	struct port_use *pu = port_use(h, port, true);

	if (!pu)
		return -ENOMEM;
	if (pu->total && (!t->reuseaddr || pu->noreuse || pu->listening))
		return -EADDRINUSE;
	pu->total++;
	pu->explicit_++;
	pu->noreuse += !t->reuseaddr;
	t->lport = port;
	t->bound = true;
	t->bound_explicit = true;
	return 0;
}

int host_hold_port(struct tcb *t)
{
	struct port_use *pu = port_use(t->h, t->lport, true);

	if (!pu)
		return -ENOMEM;
	pu->total++;
	pu->explicit_++;
	pu->noreuse += !t->reuseaddr;
	t->bound = true;
	t->bound_explicit = true;
	return 0;
}

/* SO_REUSEADDR changed on a socket that holds a port: Linux's bind conflict check
 * reads each holder's sk_reuse as it is now, so the count follows the change. */
void host_set_reuseaddr(struct tcb *t, bool on)
{
	struct port_use *pu;

	if (t->reuseaddr == on)
		return;
	t->reuseaddr = on;
	if (!t->bound)
		return;
	pu = port_use(t->h, t->lport, false);
	if (pu && on)
		pu->noreuse--;
	else if (pu)
		pu->noreuse++;
}

void host_unbind(struct tcb *t)
{
	struct host *h = t->h;

	if (!t->bound)
		return;
	struct port_use *pu = port_use(h, t->lport, false);
	if (pu) {
		pu->total--;
		pu->explicit_ -= t->bound_explicit;
		pu->noreuse -= !t->reuseaddr;
		pu->listening -= t->state == TCPS_LISTEN;
	}
	t->bound = t->bound_explicit = false;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Ephemeral port for connect(), as Linux's __inet_hash_connect: an offset hashed
 * from (local address, remote address, remote port) and a per-bucket perturbation,
 * ports of the range's low parity first (even ports for 32768), then the others;
 * a port bound by bind() is skipped; a port in use is taken only when the 4-tuple
 * is unique. After a success the bucket's perturbation moves on by at least 2.
 */
int host_pick_port(struct host *h, struct tcb *t, uint32_t raddr, uint16_t rport)
{
	uint32_t low = (uint32_t)h->cfg.k.port_lo, high = (uint32_t)h->cfg.k.port_hi + 1;
	uint32_t remaining = high - low;

	if (remaining > 1)
		remaining &= ~1u;
	uint64_t port_offset = mix(h->port_secret ^ ((uint64_t)h->addr << 32 | raddr) ^
				   ((uint64_t)rport << 48));
	uint32_t index = (uint32_t)port_offset & 255;
	uint32_t offset = (uint32_t)((h->port_perturb[index] + (port_offset >> 32)) % remaining);
	offset &= ~1u;
	for (int pass = 0; pass < 2; pass++, offset++) {
		uint32_t port = low + offset;
		for (uint32_t i = 0; i < remaining; i += 2, port += 2) {
			if (port >= high)
				port -= remaining;
			struct port_use *pu = port_use(h, (uint16_t)port, false);
			if (pu && pu->explicit_)
				continue;
			uint32_t held;
			if (hmap_get(&h->conns, conn_key((uint16_t)port, raddr, rport), &held) == 0) {
				/* A TIME_WAIT entry may give its 4-tuple up (tcp_tw_reuse). */
				if (!(held & TW_TAG) ||
				    !tw_reuse(h, held & ~TW_TAG, false, &t->tw_iss,
					     &t->tw_ts_recent))
					continue;
				t->tw_reused = true;
			}
			pu = port_use(h, (uint16_t)port, true);
			if (!pu)
				return -ENOMEM;
			pu->total++;
			pu->noreuse += !t->reuseaddr;
			t->lport = (uint16_t)port;
			t->bound = true;
			t->bound_explicit = false;
			/* Linux adds max(i, 2 * random(0..7)) + 2. */
			uint32_t r = (uint32_t)rng_below(h->env.rng, 8) * 2;
			h->port_perturb[index] += (i > r ? i : r) + 2;
			return 0;
		}
		if (remaining <= 1)
			break;
	}
	return -EADDRNOTAVAIL;
}

/* ---------------------------------------------------------------- input */

void host_input(struct host *h, const struct seg *s)
{
	uint32_t slot;

	h->ctr.in_segs++;
	if (s->daddr != h->addr)
		return;
	if (hmap_get(&h->conns, conn_key(s->dport, s->saddr, s->sport), &slot) == 0) {
		if (slot & TW_TAG)
			tw_input(h, slot & ~TW_TAG, s);
		else
			tcb_input(h->tcbs[slot], s);
		return;
	}
	if (hmap_get(&h->listeners, s->dport, &slot) == 0) {
		tcb_listen_input(h->tcbs[slot], s);
		return;
	}
	tcb_closed_input(h, s);
}

/* ---------------------------------------------------------------- inspection */

int host_sock_info(const struct host *h, uint32_t id, struct tcp_info *i)
{
	uint32_t slot;

	if (hmap_get(&h->ids, id, &slot))
		return -ENOENT;
	if (slot & TW_TAG) {
		tw_info(tw_get(h, slot & ~TW_TAG), i);
		return 0;
	}
	const struct tcb *t = h->tcbs[slot];
	memset(i, 0, sizeof(*i));
	i->id = t->id;
	i->state = t->state;
	i->laddr = t->laddr;
	i->raddr = t->raddr;
	i->lport = t->lport;
	i->rport = t->rport;
	i->orphan = t->orphan;
	i->refs = t->refs;
	i->iss = t->iss;
	i->snd_una = t->snd_una;
	i->snd_nxt = t->snd_nxt;
	i->snd_wnd = t->snd_wnd;
	i->irs = t->irs;
	i->rcv_nxt = t->rcv_nxt;
	i->rcv_wnd = t->rcv_wnd;
	i->send_queue = (uint32_t)t->sndq.len;
	i->recv_queue = (uint32_t)t->rcvq.len;
	i->ooo_queue = t->ooo_bytes;
	i->ts_ok = t->ts_ok;
	i->sack_ok = t->sack_ok;
	i->ws_ok = t->ws_ok;
	i->snd_wscale = t->snd_wscale;
	i->rcv_wscale = t->rcv_wscale;
	i->mss = t->mss;
	i->srtt = t->srtt8 / 8;
	i->rttvar = t->rttvar;
	i->rto = t->rto;
	i->backoff = t->backoff;
	i->retransmits = t->retransmits;
	i->cwnd = t->cwnd;
	i->ssthresh = t->ssthresh;
	for (int k = 0; k < TCP_TIMER_COUNT; k++)
		i->timer[k] = t->timer[k] ? t->timer_at[k] : 0;
	i->pending_error = t->sk_err;
	i->shut_rd = t->shut_rd;
	i->shut_wr = t->shut_wr;
	i->eof = t->rcv_eof;
	i->pingpong = t->pingpong;
	return 0;
}

enum tcp_state host_sock_state(const struct host *h, uint32_t id)
{
	struct tcp_info i;

	return host_sock_info(h, id, &i) ? TCPS_CLOSED : i.state;
}

static int by_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void host_sock_foreach(const struct host *h, void (*fn)(void *ctx, const struct tcp_info *i),
		       void *ctx)
{
	uint32_t n = 0;
	uint32_t *ids = mem_allocarray(h->env.alloc, NULL, h->ntcbs + h->tw_count + 1,
				       sizeof(*ids));

	if (!ids)
		return;
	for (uint32_t s = 0; s < h->ntcbs; s++)
		if (h->tcbs[s] && !h->tcbs[s]->handed_over)
			ids[n++] = h->tcbs[s]->id;
	for (uint32_t k = 0; k < h->tw_used; k++)
		if (tw_get(h, k)->in_use)
			ids[n++] = tw_get(h, k)->id;
	qsort(ids, n, sizeof(*ids), by_id);
	for (uint32_t k = 0; k < n; k++) {
		struct tcp_info info;
		if (host_sock_info(h, ids[k], &info) == 0)
			fn(ctx, &info);
	}
	mem_free(h->env.alloc, ids);
}

void host_state_counts(const struct host *h, uint64_t counts[TCPS_COUNT])
{
	memset(counts, 0, sizeof(uint64_t) * TCPS_COUNT);
	for (uint32_t s = 0; s < h->ntcbs; s++)
		if (h->tcbs[s] && !h->tcbs[s]->handed_over)
			counts[h->tcbs[s]->state]++;
	for (uint32_t k = 0; k < h->tw_used; k++) {
		const struct tw *tw = tw_get(h, k);
		if (tw->in_use)
			counts[(tw->flags & TW_FIN_WAIT_2) ? TCPS_FIN_WAIT_2 : TCPS_TIME_WAIT]++;
	}
}
