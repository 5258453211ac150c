/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the segment input path. Two hosts, a and b (10 ms apart), are
 * driven with the sockets API into a connection state chosen by the first input byte;
 * the rest of the input is a small program of operations:
 *
 *   - inject a crafted segment (any flags; sequence and acknowledgment numbers near
 *     RCV.NXT / SND.UNA / SND.NXT or arbitrary; any window, options, length, with or
 *     without payload bytes; the connection's 4-tuple or other ports) into a host,
 *   - run the world for a while,
 *   - a socket call on either end (send, recv, shutdown, close, SO_LINGER, dup...).
 *
 * After each step the harness checks invariants: every live connection has
 * SND.UNA <= SND.NXT and a known state, the world never fires an unbounded burst of
 * events in bounded virtual time (no ACK storms), and once everything is closed and
 * the world freed, the counting allocator holds nothing (no leak, no double free).
 *
 * Scenarios (first byte % 10), the target being the host in that state:
 *   0 LISTEN        b listens on 80
 *   1 SYN_SENT      a connects to b, whose TCP is replaced by a sink
 *   2 SYN_RECEIVED  b listens; a SYN from a:40000 (a is a sink) arrived
 *   3 ESTABLISHED   a connected to b, accepted
 *   4 FIN_WAIT_1    a closed (or shut down), its FIN not yet arrived
 *   5 FIN_WAIT_2    a closed (or shut down), b acknowledged
 *   6 CLOSE_WAIT    as 5, the target is b
 *   7 CLOSING       both closed at once, the FINs crossed
 *   8 LAST_ACK      a closed, then b closed
 *   9 TIME_WAIT     as 8, the last ACK arrived
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/host.h"
#include "tcpsim/knobs.h"
#include "tcpsim/mem.h"
#include "tcpsim/net.h"
#include "tcpsim/seg.h"
#include "tcpsim/sock.h"
#include "tcpsim/tcp.h"
#include "tcpsim/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define A_ADDR 0x0a000001u
#define B_ADDR 0x0a000002u
#define PORT 80
#define CPORT 40000
#define ISS_A 1000u
#define ISS_B 5000u
#define ISS_RAW 7000u
#define MAX_OPS 64
#define TOTAL_EVENTS 400000u

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_segment: invariant broken: %s\n", what);
	abort();
}

/* ---------------------------------------------------------------- counting allocator */

struct counting {
	struct mem_allocator a;
	long live;
};

static void *counting_realloc(void *ctx, void *ptr, size_t size)
{
	struct counting *c = ctx;

	if (size == 0) {
		if (ptr)
			c->live--;
		free(ptr);
		return NULL;
	}
	void *p = realloc(ptr, size);
	if (p && !ptr)
		c->live++;
	return p;
}

/* ---------------------------------------------------------------- input reader */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t u16(struct rd *r)
{
	uint16_t hi = u8(r);
	return (uint16_t)(hi << 8 | u8(r));
}

static uint32_t u32(struct rd *r)
{
	uint32_t hi = u16(r);
	return hi << 16 | u16(r);
}

/* ---------------------------------------------------------------- the world */

struct fx {
	struct counting alloc;
	struct world *w;
	int ha, hb;              /* host ids */
	int fa, fb, fl;          /* descriptors on a, b, and b's listener; -1 if none */
	int target;              /* host that is in the chosen state */
	uint32_t laddr, raddr;   /* the target connection's 4-tuple, seen from the target */
	uint16_t lport, rport;
	long id;                 /* its connection id on the target, or -1 */
	uint32_t def_rcv_nxt, def_snd_nxt;
	uint64_t events;
};

static void sink(void *ctx, const struct seg *s)
{
	(void)ctx;
	(void)s;
}

static struct host *H(struct fx *f, int host)
{
	return world_host(f->w, host);
}

static void check_conn(void *ctx, const struct tcp_info *i)
{
	(void)ctx;
	if ((unsigned)i->state > TCPS_TIME_WAIT)
		fail("a connection in an unknown state");
	if (i->state != TCPS_LISTEN && i->state != TCPS_CLOSED && i->state != TCPS_SYN_SENT &&
	    !seq_leq(i->snd_una, i->snd_nxt))
		fail("SND.UNA is past SND.NXT");
}

static void check(struct fx *f)
{
	for (int h = 0; h < 2; h++) {
		struct host *ho = H(f, h);
		if (!ho)
			continue;
		host_sock_foreach(ho, check_conn, f);
		uint64_t counts[TCPS_COUNT];
		host_state_counts(ho, counts);
	}
	if (f->alloc.live < 0)
		fail("more frees than allocations");
}

/* TCPSIM_FUZZ_ALLOW_STORMS=1 in the environment: a storm ends the input instead of
 * failing it, so a campaign can look past a known storm for other bugs. */
static bool allow_storms;

/* Runs the world for d; an unbounded burst of events in bounded time is a storm. */
static void run_for(struct fx *f, vtime_t d)
{
	struct evq *q = world_evq(f->w);
	if (f->events >= TOTAL_EVENTS)
		return;
	uint64_t budget = TOTAL_EVENTS - f->events;
	/* Generous: a bulk transfer fires a few thousand events and timers a few a second;
	 * a storm (two ends answering each other without end) fires one per delay. */
	uint64_t allowed = 5000 + (uint64_t)(d / VTIME_MS) / 20;
	if (budget > allowed + 1)
		budget = allowed + 1;
	uint64_t n = evq_run_until(q, evq_now(q) + d, budget);
	f->events += n;
	if (n > allowed) {
		if (allow_storms) {
			f->events = TOTAL_EVENTS; /* end this input here */
			return;
		}
		fprintf(stderr, "fuzz_segment: %llu events in %lld ms of virtual time\n",
			(unsigned long long)n, (long long)(d / VTIME_MS));
		fail("an event storm");
	}
	check(f);
}

static int connect_ab(struct fx *f)
{
	f->fl = sock_socket(H(f, f->hb));
	if (f->fl < 0 || sock_bind(H(f, f->hb), f->fl, PORT) < 0 ||
	    sock_listen(H(f, f->hb), f->fl, 8) < 0)
		return -1;
	f->fa = sock_socket(H(f, f->ha));
	if (f->fa < 0)
		return -1;
	sock_connect(H(f, f->ha), f->fa, B_ADDR, PORT);
	run_for(f, 100 * VTIME_MS);
	if (sock_connect_result(H(f, f->ha), f->fa) != 0)
		return -1;
	f->fb = sock_accept(H(f, f->hb), f->fl);
	return f->fb < 0 ? -1 : 0;
}

static void target_conn(struct fx *f, int host, int fd)
{
	struct tcp_info i;

	f->target = host;
	f->id = fd >= 0 ? sock_id(H(f, host), fd) : -1;
	if (f->id >= 0 && host_sock_info(H(f, host), (uint32_t)f->id, &i) == 0) {
		f->laddr = i.laddr;
		f->raddr = i.raddr;
		f->lport = i.lport;
		f->rport = i.rport;
		f->def_rcv_nxt = i.rcv_nxt;
		f->def_snd_nxt = i.snd_nxt;
	}
}

static void close_or_shut(struct fx *f, int host, int *fd, bool shut)
{
	if (shut)
		sock_shutdown(H(f, host), *fd, SOCK_SHUT_WR);
	else
		sock_close(H(f, host), *fd);
	if (!shut)
		*fd = -1;
}

/* Drives the world into the chosen state; returns -1 if setup failed (not a bug the
 * fuzzer should chase: setup only depends on the first bytes). */
static int setup(struct fx *f, uint8_t scenario, uint8_t variant)
{
	bool shut = variant & 1;     /* shutdown(SHUT_WR) instead of close() */
	bool other = variant & 2;    /* the other end, where the scenario allows */
	bool inflight = variant & 4; /* leave unacknowledged data in flight */
	int fa;

	f->fa = f->fb = f->fl = -1;
	f->id = -1;
	switch (scenario % 10) {
	case 0: /* LISTEN */
		f->fl = sock_socket(H(f, f->hb));
		if (f->fl < 0 || sock_bind(H(f, f->hb), f->fl, PORT) < 0 ||
		    sock_listen(H(f, f->hb), f->fl, 1 + (variant >> 4)) < 0)
			return -1;
		f->target = f->hb;
		f->laddr = B_ADDR, f->raddr = A_ADDR, f->lport = PORT, f->rport = CPORT;
		f->def_rcv_nxt = ISS_RAW + 1, f->def_snd_nxt = ISS_B + 1;
		if (other)
			world_host_set_input(f->w, f->ha, sink, NULL);
		return 0;
	case 1: /* SYN_SENT */
		world_host_set_input(f->w, f->hb, sink, NULL);
		fa = f->fa = sock_socket(H(f, f->ha));
		if (fa < 0)
			return -1;
		sock_connect(H(f, f->ha), fa, B_ADDR, PORT);
		run_for(f, 1 * VTIME_MS);
		target_conn(f, f->ha, fa);
		f->def_rcv_nxt = ISS_RAW + 1;
		return 0;
	case 2: { /* SYN_RECEIVED */
		f->fl = sock_socket(H(f, f->hb));
		if (f->fl < 0 || sock_bind(H(f, f->hb), f->fl, PORT) < 0 ||
		    sock_listen(H(f, f->hb), f->fl, 8) < 0)
			return -1;
		world_host_set_input(f->w, f->ha, sink, NULL);
		struct seg *s = net_seg_alloc(world_net(f->w));
		if (!s)
			return -1;
		s->saddr = A_ADDR, s->daddr = B_ADDR, s->sport = CPORT, s->dport = PORT;
		s->seq = ISS_RAW, s->flags = SEG_SYN, s->wnd = 65535;
		s->opt.present = SEG_OPT_MSS | SEG_OPT_SACKOK | (other ? SEG_OPT_TS | SEG_OPT_WSCALE : 0);
		s->opt.mss = 1460, s->opt.wscale = 7, s->opt.ts_val = 100;
		net_inject(world_net(f->w), s, 0);
		run_for(f, 1 * VTIME_MS);
		f->target = f->hb;
		f->laddr = B_ADDR, f->raddr = A_ADDR, f->lport = PORT, f->rport = CPORT;
		f->def_rcv_nxt = ISS_RAW + 1, f->def_snd_nxt = ISS_B + 1;
		return 0;
	}
	default:
		break;
	}
	if (connect_ab(f))
		return -1;
	if (inflight) {
		sock_send(H(f, f->ha), f->fa, NULL, 3000, SOCK_MSG_NOSIGNAL);
		sock_send(H(f, f->hb), f->fb, NULL, 700, SOCK_MSG_NOSIGNAL);
	}
	int ta = f->ha, tb = f->hb, *pa = &f->fa, *pb = &f->fb;
	if (other && scenario % 10 != 3) { /* swap the roles of the two ends */
		ta = f->hb, tb = f->ha, pa = &f->fb, pb = &f->fa;
	}
	int fda = *pa, fdb = *pb;
	switch (scenario % 10) {
	case 3: /* ESTABLISHED */
		target_conn(f, other ? f->hb : f->ha, other ? f->fb : f->fa);
		break;
	case 4: /* FIN_WAIT_1 */
		target_conn(f, ta, fda);
		close_or_shut(f, ta, pa, shut);
		break;
	case 5: /* FIN_WAIT_2 */
	case 6: /* CLOSE_WAIT */
		if (scenario % 10 == 5)
			target_conn(f, ta, fda);
		else
			target_conn(f, tb, fdb);
		close_or_shut(f, ta, pa, shut);
		run_for(f, 100 * VTIME_MS);
		break;
	case 7: /* CLOSING */
		target_conn(f, ta, fda);
		close_or_shut(f, ta, pa, shut);
		close_or_shut(f, tb, pb, false);
		run_for(f, 15 * VTIME_MS);
		break;
	case 8: /* LAST_ACK */
	case 9: /* TIME_WAIT */
		if (scenario % 10 == 8)
			target_conn(f, tb, fdb);
		else
			target_conn(f, ta, fda);
		close_or_shut(f, ta, pa, shut);
		run_for(f, 100 * VTIME_MS);
		close_or_shut(f, tb, pb, false);
		run_for(f, scenario % 10 == 8 ? 1 * VTIME_MS : 100 * VTIME_MS);
		break;
	}
	return 0;
}

/* ---------------------------------------------------------------- operations */

static void refresh(struct fx *f, uint32_t *rcv_nxt, uint32_t *snd_una, uint32_t *snd_nxt,
		    uint32_t *rcv_wnd)
{
	struct tcp_info i;

	*rcv_nxt = f->def_rcv_nxt;
	*snd_una = *snd_nxt = f->def_snd_nxt;
	*rcv_wnd = 65535;
	if (f->id >= 0 && H(f, f->target) &&
	    host_sock_info(H(f, f->target), (uint32_t)f->id, &i) == 0) {
		*rcv_nxt = i.rcv_nxt;
		*snd_una = i.snd_una;
		*snd_nxt = i.snd_nxt;
		*rcv_wnd = i.rcv_wnd;
	}
}

static uint32_t near(struct rd *r, uint32_t base)
{
	return base + (uint32_t)(int32_t)(int16_t)u16(r);
}

static void inject(struct fx *f, struct rd *r)
{
	uint32_t rcv_nxt, snd_una, snd_nxt, rcv_wnd;
	struct net *n = world_net(f->w);

	refresh(f, &rcv_nxt, &snd_una, &snd_nxt, &rcv_wnd);
	uint8_t flags = u8(r);
	uint8_t mode = u8(r);
	uint8_t mode2 = u8(r);
	struct seg *s = net_seg_alloc(n);
	if (!s)
		return;
	/* Addresses and ports: the connection's, or others. */
	s->saddr = f->raddr, s->daddr = f->laddr, s->sport = f->rport, s->dport = f->lport;
	if (mode2 & 0x01)
		s->sport = u16(r);
	if (mode2 & 0x02)
		s->dport = u16(r);
	if (mode2 & 0x04) /* the reverse direction: to the target's peer */
		s->saddr = f->laddr, s->daddr = f->raddr, s->sport = f->lport, s->dport = f->rport;
	if ((mode2 & 0x18) == 0x18)
		s->saddr = u32(r); /* any source: a third party */
	s->flags = flags;
	switch (mode & 3) {
	case 0: s->seq = near(r, rcv_nxt); break;
	case 1: s->seq = rcv_nxt + rcv_wnd + (uint32_t)(int32_t)(int8_t)u8(r); break;
	case 2: s->seq = u32(r); break;
	case 3: s->seq = rcv_nxt; break;
	}
	switch ((mode >> 2) & 3) {
	case 0: s->ack = near(r, snd_nxt); break;
	case 1: s->ack = near(r, snd_una); break;
	case 2: s->ack = u32(r); break;
	case 3: s->ack = snd_nxt; break;
	}
	s->wnd = (mode & 0x10) ? u16(r) : 502;
	if (mode & 0x20) {
		uint8_t opts = u8(r);
		s->opt.present = opts & (SEG_OPT_MSS | SEG_OPT_WSCALE | SEG_OPT_SACKOK | SEG_OPT_TS |
					 SEG_OPT_SACK);
		if (opts & SEG_OPT_MSS)
			s->opt.mss = u16(r);
		if (opts & SEG_OPT_WSCALE)
			s->opt.wscale = u8(r);
		if (opts & SEG_OPT_TS) {
			s->opt.ts_val = u32(r);
			s->opt.ts_ecr = (opts & 0x20) ? u32(r) : 0;
		}
		if (opts & SEG_OPT_SACK) {
			s->opt.nsack = u8(r) % (SEG_MAX_SACK + 1);
			for (int k = 0; k < s->opt.nsack; k++) {
				s->opt.sack[k].left = near(r, snd_una);
				s->opt.sack[k].right = s->opt.sack[k].left + u16(r);
			}
			if (opts & 0x40)
				s->opt.nsack = u8(r); /* a count that may lie */
			if (s->opt.nsack > SEG_MAX_SACK)
				s->opt.nsack = SEG_MAX_SACK;
		}
	}
	if (mode & 0x40) {
		uint32_t len = u16(r);
		if (mode2 & 0x20)
			len |= (uint32_t)u8(r) << 16; /* up to 16 MiB of modelled bytes */
		s->len = len;
		if ((mode2 & 0x40) && len && len <= 65536) {
			s->data = mem_alloc(world_allocator(f->w), len);
			if (!s->data) {
				net_seg_free(n, s);
				return;
			}
			for (uint32_t k = 0; k < len; k++)
				s->data[k] = (uint8_t)(k * 131 + flags);
		}
	}
	vtime_t delay = (mode & 0x80) ? (vtime_t)u8(r) * VTIME_MS : 0;
	net_inject(n, s, delay);
}

static void run_op(struct fx *f, struct rd *r)
{
	uint8_t b = u8(r);
	vtime_t d;

	if (b < 128)
		d = (vtime_t)b * VTIME_MS;
	else if (b < 192)
		d = (vtime_t)(b - 127) * VTIME_S;
	else
		d = (vtime_t)(b - 191) * VTIME_MIN;
	run_for(f, d);
}

static void app_op(struct fx *f, struct rd *r, bool on_b)
{
	int host = on_b ? f->hb : f->ha;
	int *fd = on_b ? &f->fb : &f->fa;
	struct host *h = H(f, host);
	uint8_t op = u8(r);

	if (!h)
		return;
	switch (op % 12) {
	case 0:
		sock_send(h, *fd, NULL, u16(r), SOCK_MSG_NOSIGNAL);
		break;
	case 1: {
		uint8_t buf[512];
		sock_recv(h, *fd, buf, sizeof(buf));
		break;
	}
	case 2:
		sock_recv(h, *fd, NULL, 1u << 20);
		break;
	case 3:
		sock_shutdown(h, *fd, u8(r) % 3);
		break;
	case 4:
		if (sock_close(h, *fd) == 0)
			*fd = -1;
		break;
	case 5:
		sock_setsockopt(h, *fd, SOCKOPT_LINGER, 1, u8(r) % 4);
		break;
	case 6:
		sock_setsockopt(h, *fd, SOCKOPT_RCVBUF, 256 + u16(r), 0);
		break;
	case 7:
		sock_setsockopt(h, *fd, SOCKOPT_KEEPALIVE, 1, 0);
		break;
	case 8:
		sock_setsockopt(h, *fd, SOCKOPT_NODELAY, op & 0x10, 0);
		break;
	case 9:
		if (on_b && f->fl >= 0) {
			int c = sock_accept(h, f->fl);
			if (c >= 0 && f->fb < 0)
				f->fb = c;
		}
		break;
	case 10:
		sock_poll(h, *fd);
		sock_connect_result(h, *fd);
		break;
	case 11: { /* a new connection from a to b:80 (a port held in TIME_WAIT, etc.) */
		if (on_b)
			break;
		int c = sock_socket(h);
		if (c >= 0) {
			if (op & 0x10)
				sock_setsockopt(h, c, SOCKOPT_REUSEADDR, 1, 0);
			if (op & 0x20)
				sock_bind(h, c, CPORT);
			sock_connect(h, c, B_ADDR, PORT);
		}
		break;
	}
	}
	check(f);
}

/* ---------------------------------------------------------------- the harness */

#ifdef FUZZ_SEGMENT_DEBUG
/* Built with -DFUZZ_SEGMENT_DEBUG, the harness prints every segment and state change. */
static void show(void *ctx, const struct world_event *ev)
{
	char buf[256];

	(void)ctx;
	if (ev->kind == WEV_SEG_DELIVER || ev->kind == WEV_SEG_INJECT || ev->kind == WEV_SEG_DROP)
		fprintf(stderr, "%12lld %-7s %s\n", (long long)ev->time, world_ev_name(ev->kind),
			seg_format(ev->seg, buf, sizeof(buf)));
	else if (ev->kind == WEV_TCP_STATE)
		fprintf(stderr, "%12lld host %d sock %u: %s -> %s (%s)\n", (long long)ev->time,
			ev->host, ev->tcp->sock, tcp_state_name(ev->tcp->from),
			tcp_state_name(ev->tcp->to), ev->tcp->reason ? ev->tcp->reason : "");
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		const char *e = getenv("TCPSIM_FUZZ_ALLOW_STORMS");
		allow_storms = e && *e && strcmp(e, "0") != 0;
		init = true;
	}
	if (size < 2 || size > 2048)
		return -1;
	struct rd r = { data, size };
	uint8_t scenario = u8(&r), variant = u8(&r);
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return 0;
	f->alloc.a.realloc = counting_realloc;
	f->alloc.a.ctx = &f->alloc;
	f->w = world_new(1, &f->alloc.a);
	if (!f->w)
		abort();
#ifdef FUZZ_SEGMENT_DEBUG
	world_observe(f->w, show, NULL);
#endif
	f->ha = world_host_add(f->w, "a", A_ADDR);
	f->hb = world_host_add(f->w, "b", B_ADDR);
	struct link_params lp = { .delay = 10 * VTIME_MS };
	if (f->ha < 0 || f->hb < 0 || net_link_add(world_net(f->w), f->ha, f->hb, &lp, &lp) < 0)
		abort();
	if (variant & 0x08) { /* the RFC profile on both ends */
		knob_profile("rfc", host_config(H(f, f->ha)));
		knob_profile("rfc", host_config(H(f, f->hb)));
		/* RFC 9293 taken literally answers every out-of-window ACK, and two ends
		 * out of step after a forged segment then trade ACKs for ever
		 * (traces/faults/forged-data.tcpsim). That loop is the profile's known
		 * behaviour; throttle it as RFC 5961 section 7 advises so that the
		 * storm check can still find other loops. */
		host_config(H(f, f->ha))->k.invalid_ratelimit = 500 * VTIME_MS;
		host_config(H(f, f->hb))->k.invalid_ratelimit = 500 * VTIME_MS;
	}
	host_fix_iss(H(f, f->ha), ISS_A, 0);
	host_fix_iss(H(f, f->hb), ISS_B, 0);

	if (setup(f, scenario, variant) == 0) {
#ifdef FUZZ_SEGMENT_DEBUG
		fprintf(stderr, "scenario %d variant %d: target %s, %s\n", scenario % 10, variant,
			f->target == f->ha ? "a" : "b",
			f->id >= 0 ? tcp_state_name(host_sock_state(H(f, f->target), (uint32_t)f->id))
				   : "(no id)");
#endif
		for (int k = 0; k < MAX_OPS && r.n; k++) {
			uint8_t op = u8(&r);
			switch (op % 8) {
			case 0: case 1: case 2: case 3: case 4:
				inject(f, &r);
				run_for(f, (vtime_t)(op >> 3) * VTIME_MS);
				break;
			case 5:
				run_op(f, &r);
				break;
			case 6:
				app_op(f, &r, false);
				break;
			case 7:
				app_op(f, &r, true);
				break;
			}
		}
		/* Everything to its end: close every descriptor and let the timers run. */
		run_for(f, 1 * VTIME_S);
		for (int h = 0; h < 2; h++)
			for (int fd = 3; fd < 16; fd++)
				if (H(f, h))
					sock_close(H(f, h), fd);
		run_for(f, 30 * VTIME_MIN);
		check(f);
	}
	world_free(f->w);
	if (f->alloc.live != 0) {
		fprintf(stderr, "fuzz_segment: %ld blocks left after world_free\n", f->alloc.live);
		fail("world_free leaves memory behind");
	}
	free(f);
	return 0;
}
