/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_TCPTEST_H
#define TCPSIM_TCPTEST_H

/*
 * The fixture of the TCP suites (check_tcp_*.c): a world on a counting allocator, in one
 * of two shapes.
 *
 *   tt_init_pair:  two real TCP hosts, "client" 10.0.0.1 and "server" 10.0.0.2, joined by
 *                  a link of the given one-way delay. Every segment either sends is
 *                  logged (tt->log) for timing assertions.
 *   tt_init_peer:  one TCP host under test, "host" 10.0.0.1, and a raw peer, "peer"
 *                  10.0.0.2, whose input is captured instead of going to its TCP. The test
 *                  plays the peer: tt_send() builds a segment and sends it from the peer's
 *                  node (so it crosses the link), tt_expect() pops the next segment the
 *                  host sent and asserts its flags, seq, ack and length.
 *
 * Per-state constructors (tt_syn_sent, tt_syn_received, tt_established_passive,
 * tt_established_active, and tt_conn_in for every state a connection can be closed in)
 * build "a connection in STATE with ISS x, IRS y" in one call, so a test reads like a
 * ladder diagram from there on. Every state change is logged (tt->states) so a test can
 * assert the events an observer saw, not only the state reached.
 *
 * tt_fini() is every suite's teardown: it closes every descriptor still open, lets the
 * world run until every connection has ended (an hour of virtual time is more than any
 * Linux timer needs), and then asserts that no connection, timer (event) or segment is
 * left, and, after world_free, that no byte of memory is.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tcpsim/tcpsim.h"

#define TT_MAXCAP 4096
#define TT_MAXLOG 8192
#define TT_WAIT (300 * VTIME_S)   /* longest tt_expect waits for a segment */
#define TT_ADDR_A 0x0a000001u     /* 10.0.0.1 */
#define TT_ADDR_B 0x0a000002u     /* 10.0.0.2 */
#define TT_PORT 80                /* the passive side's port */
#define TT_PEER_PORT 40000        /* the peer's port when the host under test listens */
#define TT_WIN 65535              /* the window field the peer sends by default */

/* A segment the peer received from the host under test. */
struct tt_cap {
	struct seg s;      /* header and options (s.data is NULL: see data) */
	uint8_t *data;     /* a copy of the payload bytes, or NULL */
	vtime_t at;        /* when it arrived at the peer */
	vtime_t sent;      /* when the host sent it: at less the link delay */
};

/* A state change some host reported (TCP_EV_STATE). */
struct tt_state_ev {
	int host;
	uint32_t sock;
	enum tcp_state from, to;
	const char *reason;
	vtime_t at;
};

/* A segment some host sent (two-host mode, and the host under test in peer mode). */
struct tt_sent {
	int host;
	vtime_t at;
	struct seg s;      /* s.data is NULL */
};

struct tt {
	struct counting_alloc ca;
	struct world *w;
	vtime_t delay;     /* the link's one-way delay */
	bool peer_mode;
	/* two-host mode */
	int client, server;
	/* peer mode */
	int host, peer;
	struct host *h;    /* the host under test */
	uint16_t port;     /* its port in the connection under test */
	uint16_t pport;    /* the peer's */
	int lfd;           /* the listener of tt_syn_received, or -1 */
	struct tt_cap cap[TT_MAXCAP];
	int ncap, next;    /* captured so far, and the next tt_expect pops */
	bool waiting;      /* tt_expect is running the world for one segment */
	struct tt_sent log[TT_MAXLOG];
	int nlog;
	struct tt_state_ev states[TT_MAXLOG];
	int nstates;
	const char *peer_opts; /* the peer's SYN options in tt_conn_in (NULL: MSS, SACK) */
};

/* ---------------------------------------------------------------- plumbing */

static inline struct evq *tt_q(struct tt *tt)
{
	return world_evq(tt->w);
}

static inline vtime_t tt_now(struct tt *tt)
{
	return world_now(tt->w);
}

static void tt_capture(void *ctx, const struct seg *s)
{
	struct tt *tt = ctx;

	ck_assert_msg(tt->ncap < TT_MAXCAP, "too many segments captured");
	struct tt_cap *c = &tt->cap[tt->ncap++];
	c->s = *s;
	c->s.data = NULL;
	c->data = NULL;
	if (s->data && s->len) {
		c->data = malloc(s->len);
		ck_assert_ptr_nonnull(c->data);
		memcpy(c->data, s->data, s->len);
	}
	c->at = tt_now(tt);
	c->sent = c->at - tt->delay;
	if (tt->waiting)
		evq_stop(tt_q(tt));
}

static void tt_observe(void *ctx, const struct world_event *ev)
{
	struct tt *tt = ctx;

	if (ev->kind == WEV_TCP_STATE && tt->nstates < TT_MAXLOG) {
		struct tt_state_ev *e = &tt->states[tt->nstates++];
		e->host = ev->host;
		e->sock = ev->tcp->sock;
		e->from = ev->tcp->from;
		e->to = ev->tcp->to;
		e->reason = ev->tcp->reason;
		e->at = ev->time;
		return;
	}
	if (ev->kind != WEV_SEG_SEND || tt->nlog >= TT_MAXLOG)
		return;
	struct tt_sent *l = &tt->log[tt->nlog++];
	l->host = ev->host;
	l->at = ev->time;
	l->s = *ev->seg;
	l->s.data = NULL;
}

static inline void tt_link(struct tt *tt, int a, int b, vtime_t delay)
{
	struct link_params p = { .delay = delay };

	ck_assert_int_eq(net_link_add(world_net(tt->w), a, b, &p, &p), 0);
}

static inline void tt_common_init(struct tt *tt, vtime_t delay)
{
	memset(tt, 0, sizeof(*tt));
	counting_alloc_init(&tt->ca);
	tt->w = world_new(1, &tt->ca.a);
	ck_assert_ptr_nonnull(tt->w);
	tt->delay = delay;
	tt->lfd = -1;
	ck_assert_int_gt(world_observe(tt->w, tt_observe, tt), 0);
}

/* Two real hosts: client 10.0.0.1, server 10.0.0.2. */
static inline void tt_init_pair(struct tt *tt, vtime_t delay)
{
	tt_common_init(tt, delay);
	tt->client = world_host_add(tt->w, "client", TT_ADDR_A);
	tt->server = world_host_add(tt->w, "server", TT_ADDR_B);
	ck_assert_int_eq(tt->client, 0);
	ck_assert_int_eq(tt->server, 1);
	tt_link(tt, tt->client, tt->server, delay);
	tt->host = tt->peer = -1;
}

/* The host under test, 10.0.0.1, and the raw peer, 10.0.0.2. */
static inline void tt_init_peer(struct tt *tt, vtime_t delay)
{
	tt_common_init(tt, delay);
	tt->peer_mode = true;
	tt->host = world_host_add(tt->w, "host", TT_ADDR_A);
	tt->peer = world_host_add(tt->w, "peer", TT_ADDR_B);
	ck_assert_int_ge(tt->host, 0);
	ck_assert_int_ge(tt->peer, 0);
	tt_link(tt, tt->host, tt->peer, delay);
	ck_assert_int_eq(world_host_set_input(tt->w, tt->peer, tt_capture, tt), 0);
	tt->h = world_host(tt->w, tt->host);
	tt->client = tt->server = -1;
}

static inline struct host *tt_host(struct tt *tt, int id)
{
	struct host *h = world_host(tt->w, id);

	ck_assert_ptr_nonnull(h);
	return h;
}

/* Runs the world for d of virtual time. */
static inline void tt_run(struct tt *tt, vtime_t d)
{
	tt->waiting = false; /* so no capture stops the run early */
	evq_run_until(tt_q(tt), tt_now(tt) + d, 0);
}

/* Puts a host under a named profile ("linux", "rfc"). */
static inline void tt_use_profile(struct host *h, const char *name)
{
	ck_assert_int_eq(knob_profile(name, host_config(h)), 0);
}

/* Every descriptor still open on every host is closed, the world runs until nothing is
 * left to happen, and nothing may be left: no connection, no event, no segment in
 * flight, and after world_free no byte of memory. */
static inline void tt_fini(struct tt *tt)
{
	for (int id = 0; id < world_host_count(tt->w); id++) {
		struct host *h = world_host(tt->w, id);
		for (int fd = 3; h && fd < 512; fd++)
			if (sock_id(h, fd) >= 0)
				ck_assert_int_eq(sock_close(h, fd), 0);
	}
	tt->waiting = false;
	evq_run_until(tt_q(tt), tt_now(tt) + 3600 * VTIME_S, 0);
	for (int id = 0; id < world_host_count(tt->w); id++) {
		uint64_t counts[TCPS_COUNT];
		struct host *h = world_host(tt->w, id);
		if (!h)
			continue;
		host_state_counts(h, counts);
		for (int s = 0; s < TCPS_COUNT; s++)
			ck_assert_msg(counts[s] == 0, "host %d: %llu connection(s) left in %s", id,
				      (unsigned long long)counts[s],
				      tcp_state_name((enum tcp_state)s));
	}
	ck_assert_uint_eq(evq_count(tt_q(tt)), 0);
	ck_assert_uint_eq(net_in_flight(world_net(tt->w)), 0);
	world_free(tt->w);
	tt->w = NULL;
	for (int i = 0; i < tt->ncap; i++)
		free(tt->cap[i].data);
	ck_assert_int_eq(tt->ca.live, 0);
}

/* ---------------------------------------------------------------- the raw peer */

static inline uint8_t tt_flags(const char *text)
{
	uint8_t f;
	size_t bad;

	ck_assert_msg(seg_flags_parse(text, strlen(text), &f, &bad) == 0, "bad flags \"%s\"",
		      text);
	return f;
}

/* Options as tcpdump prints them: "mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7"
 * ("nop" is accepted and ignored: the layout is the sender's business). */
static inline struct seg_opts tt_opts(const char *text)
{
	struct seg_opts o;
	const char *p = text;

	memset(&o, 0, sizeof(o));
	while (p && *p) {
		unsigned a, b;
		int n = 0;
		if (sscanf(p, "mss %u%n", &a, &n) == 1 && n) {
			o.present |= SEG_OPT_MSS;
			o.mss = (uint16_t)a;
		} else if (sscanf(p, "wscale %u%n", &a, &n) == 1 && n) {
			o.present |= SEG_OPT_WSCALE;
			o.wscale = (uint8_t)a;
		} else if (sscanf(p, "TS val %u ecr %u%n", &a, &b, &n) == 2 && n) {
			o.present |= SEG_OPT_TS;
			o.ts_val = a;
			o.ts_ecr = b;
		} else if (strncmp(p, "sackOK", 6) == 0) {
			o.present |= SEG_OPT_SACKOK;
		} else if (strncmp(p, "nop", 3) != 0) {
			ck_abort_msg("bad option text at \"%s\"", p);
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return o;
}

/* Sends a segment from the peer to the host under test: flags in tcpdump letters, a
 * payload of len bytes (data NULL: only counted), the window field as sent, options in
 * tcpdump's text (NULL: none). */
static inline void tt_send_full(struct tt *tt, const char *flags, uint32_t seq, uint32_t ack,
				const uint8_t *data, uint32_t len, uint16_t win, const char *opts)
{
	struct net *n = world_net(tt->w);
	struct seg *s = net_seg_alloc(n);

	ck_assert_ptr_nonnull(s);
	s->saddr = TT_ADDR_B;
	s->daddr = TT_ADDR_A;
	s->sport = tt->pport;
	s->dport = tt->port;
	s->flags = tt_flags(flags);
	s->seq = seq;
	s->ack = ack;
	s->wnd = win;
	s->len = len;
	if (data && len) {
		s->data = mem_alloc(world_allocator(tt->w), len);
		ck_assert_ptr_nonnull(s->data);
		memcpy(s->data, data, len);
	}
	if (opts)
		s->opt = tt_opts(opts);
	ck_assert_int_eq(net_send(n, tt->peer, s), 0);
}

static inline void tt_send(struct tt *tt, const char *flags, uint32_t seq, uint32_t ack,
			   uint32_t len, uint16_t win)
{
	tt_send_full(tt, flags, seq, ack, NULL, len, win, NULL);
}

static inline void tt_send_opts(struct tt *tt, const char *flags, uint32_t seq, uint32_t ack,
				uint32_t len, uint16_t win, const char *opts)
{
	tt_send_full(tt, flags, seq, ack, NULL, len, win, opts);
}

static inline const char *tt_fmt(const struct seg *s)
{
	static char buf[256];

	return seg_format(s, buf, sizeof(buf));
}

/* The next segment the host under test sent (waiting for it up to TT_WAIT), or NULL. */
static inline const struct tt_cap *tt_next(struct tt *tt)
{
	if (tt->next == tt->ncap) {
		tt->waiting = true;
		evq_run_until(tt_q(tt), tt_now(tt) + TT_WAIT, 0);
		tt->waiting = false;
	}
	if (tt->next == tt->ncap)
		return NULL;
	return &tt->cap[tt->next++];
}

/* Pops the next segment and asserts its flags, seq, ack (when it has ACK) and length. */
static inline const struct tt_cap *tt_expect_at_line(struct tt *tt, const char *flags,
						     uint32_t seq, uint32_t ack, uint32_t len,
						     int line)
{
	const struct tt_cap *c = tt_next(tt);
	uint8_t f = tt_flags(flags);
	char want[10];

	ck_assert_msg(c, "line %d: expected [%s] seq %u, got nothing", line, flags, seq);
	ck_assert_msg(c->s.flags == f && c->s.seq == seq && (!(f & SEG_ACK) || c->s.ack == ack) &&
			      c->s.len == len,
		      "line %d: expected [%s] seq %u ack %u len %u, got %s", line,
		      seg_flags_str(f, want), seq, ack, len, tt_fmt(&c->s));
	if (tt->port)
		ck_assert_uint_eq(c->s.sport, tt->port);
	ck_assert_uint_eq(c->s.dport, tt->pport);
	return c;
}
#define tt_expect(tt, flags, seq, ack, len) \
	tt_expect_at_line((tt), (flags), (seq), (ack), (len), __LINE__)

/* Nothing more from the host for d (and nothing already waiting). */
static inline void tt_expect_none_at_line(struct tt *tt, vtime_t d, int line)
{
	if (tt->next == tt->ncap)
		tt_run(tt, d);
	ck_assert_msg(tt->next == tt->ncap, "line %d: expected nothing, got %s at %lld ns", line,
		      tt_fmt(&tt->cap[tt->next].s), (long long)tt->cap[tt->next].at);
}
#define tt_expect_none(tt, d) tt_expect_none_at_line((tt), (d), __LINE__)

/* The options of a captured segment, as tcpdump prints them. */
static inline const char *tt_opts_str(const struct tt_cap *c)
{
	static char buf[160];

	return seg_opts_str(&c->s.opt, buf, sizeof(buf));
}

/* ---------------------------------------------------------------- inspection */

static inline struct tcp_info tt_info_of(struct host *h, int fd)
{
	struct tcp_info i;
	long id = sock_id(h, fd);

	ck_assert_int_ge(id, 0);
	ck_assert_int_eq(host_sock_info(h, (uint32_t)id, &i), 0);
	return i;
}

static inline struct tcp_info tt_info(struct tt *tt, int fd)
{
	return tt_info_of(tt->h, fd);
}

static inline enum tcp_state tt_state(struct tt *tt, int fd)
{
	return tt_info(tt, fd).state;
}

#define tt_assert_state(tt, fd, st)                                                       \
	do {                                                                              \
		enum tcp_state got_ = tt_state((tt), (fd));                               \
		ck_assert_msg(got_ == (st), "state %s, expected %s", tcp_state_name(got_), \
			      tcp_state_name(st));                                        \
	} while (0)

/* ---------------------------------------------------------------- per-state constructors */

/* A listener on TT_PORT of the host under test. */
static inline int tt_listen(struct tt *tt, int backlog)
{
	int fd = sock_socket(tt->h);

	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(sock_bind(tt->h, fd, TT_PORT), 0);
	ck_assert_int_eq(sock_listen(tt->h, fd, backlog), 0);
	tt->port = TT_PORT;
	tt->pport = TT_PEER_PORT;
	return fd;
}

/* The host connected to the peer's port 80 and sent its SYN (ISS iss), which the peer
 * has received. Returns the descriptor. */
static inline int tt_syn_sent(struct tt *tt, uint32_t iss)
{
	host_fix_iss(tt->h, iss, 0x01000000);
	int fd = sock_socket(tt->h);
	ck_assert_int_ge(fd, 3);
	tt->port = 0;
	tt->pport = TT_PORT;
	ck_assert_int_eq(sock_connect(tt->h, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	const struct tt_cap *c = tt_expect(tt, "S", iss, 0, 0);
	tt->port = c->s.sport;
	tt_assert_state(tt, fd, TCPS_SYN_SENT);
	return fd;
}

/* A listener got the peer's SYN (IRS irs, with options peer_opts) and answered with its
 * SYN-ACK (ISS iss), which the peer has received. Returns the listener; the child is
 * in SYN_RECEIVED. */
static inline int tt_syn_received(struct tt *tt, uint32_t iss, uint32_t irs,
				  const char *peer_opts)
{
	host_fix_iss(tt->h, iss, 0x01000000);
	int lfd = tt_listen(tt, 16);
	tt->lfd = lfd;
	tt_send_opts(tt, "S", irs, 0, 0, TT_WIN, peer_opts);
	tt_expect(tt, "S.", iss, irs + 1, 0);
	return lfd;
}

/* "A connection in ESTABLISHED with ISS iss, IRS irs", opened by the peer and accepted.
 * peer_opts: the options of the peer's SYN (NULL: "mss 1460,sackOK", so the MSS is 1460,
 * SACK (and with it the tail loss probe) is on, timestamps and window scale are off).
 * The RTT the host measured is two link delays. Returns the accepted descriptor. */
static inline int tt_established_passive_opts(struct tt *tt, uint32_t iss, uint32_t irs,
					      const char *peer_opts)
{
	int lfd = tt_syn_received(tt, iss, irs, peer_opts ? peer_opts : "mss 1460,sackOK");

	tt_send(tt, ".", irs + 1, iss + 1, 0, TT_WIN);
	tt_run(tt, tt->delay);
	int fd = sock_accept(tt->h, lfd);
	ck_assert_int_ge(fd, 3);
	tt_assert_state(tt, fd, TCPS_ESTABLISHED);
	return fd;
}

static inline int tt_established_passive(struct tt *tt, uint32_t iss, uint32_t irs)
{
	return tt_established_passive_opts(tt, iss, irs, NULL);
}

/* "A connection in ESTABLISHED with ISS iss, IRS irs", opened by the host under test:
 * SYN, the peer's SYN-ACK (options peer_opts, NULL as above), the host's ACK. */
static inline int tt_established_active_opts(struct tt *tt, uint32_t iss, uint32_t irs,
					     const char *peer_opts)
{
	int fd = tt_syn_sent(tt, iss);

	tt_send_opts(tt, "S.", irs, iss + 1, 0, TT_WIN, peer_opts ? peer_opts : "mss 1460,sackOK");
	tt_expect(tt, ".", iss + 1, irs + 1, 0);
	ck_assert_int_eq(sock_connect_result(tt->h, fd), 0);
	tt_assert_state(tt, fd, TCPS_ESTABLISHED);
	return fd;
}

static inline int tt_established_active(struct tt *tt, uint32_t iss, uint32_t irs)
{
	return tt_established_active_opts(tt, iss, irs, NULL);
}

/* ---------------------------------------------------------------- two real hosts */

/* Number of segments host `id` has sent with exactly these flags. */
static inline int tt_log_count(struct tt *tt, int id, const char *flags)
{
	uint8_t f = tt_flags(flags);
	int n = 0;

	for (int i = 0; i < tt->nlog; i++)
		n += tt->log[i].host == id && tt->log[i].s.flags == f;
	return n;
}

/* The k-th (from 0) segment host `id` sent with exactly these flags, or NULL. */
static inline const struct tt_sent *tt_log_find(struct tt *tt, int id, const char *flags, int k)
{
	uint8_t f = tt_flags(flags);

	for (int i = 0; i < tt->nlog; i++)
		if (tt->log[i].host == id && tt->log[i].s.flags == f && k-- == 0)
			return &tt->log[i];
	return NULL;
}

/* Runs the world until fd's connect() has an answer (POLLOUT), at most `limit`. */
static inline int tt_connect_wait(struct tt *tt, struct host *h, int fd, vtime_t limit)
{
	vtime_t until = tt_now(tt) + limit;

	while (!(sock_poll(h, fd) & (SOCK_POLLOUT | SOCK_POLLERR | SOCK_POLLHUP)) &&
	       tt_now(tt) < until) {
		vtime_t next;
		if (evq_peek(tt_q(tt), &next) || next > until)
			break;
		evq_step(tt_q(tt));
	}
	return sock_connect_result(h, fd);
}

/* A connection from the client's descriptor *cfd to the server's *sfd (accepted from
 * listener *lfd on port TT_PORT): the three-way handshake across the link. */
static inline void tt_pair_connect(struct tt *tt, int *cfd, int *lfd, int *sfd)
{
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);

	*lfd = sock_socket(s);
	ck_assert_int_eq(sock_bind(s, *lfd, TT_PORT), 0);
	ck_assert_int_eq(sock_listen(s, *lfd, 16), 0);
	*cfd = sock_socket(c);
	ck_assert_int_eq(sock_connect(c, *cfd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	ck_assert_int_eq(tt_connect_wait(tt, c, *cfd, 10 * VTIME_S), 0);
	tt_run(tt, tt->delay);
	*sfd = sock_accept(s, *lfd);
	ck_assert_int_ge(*sfd, 3);
}

/* ---------------------------------------------------------------- Linux's formulas */

#define TT_RTO_MIN (200 * VTIME_MS)   /* tcp_rto_min */
#define TT_RTO_MAX (120 * VTIME_S)    /* TCP_RTO_MAX */

/* The RTO after one RTT sample m (tcp_rtt_estimator's first sample: SRTT = m,
 * mdev = m/2; __tcp_set_rto: SRTT + max(4 mdev, tcp_rto_min)). */
static inline vtime_t tt_rto_after_sample(vtime_t m)
{
	vtime_t var = 4 * (m / 2);

	return m + (var > TT_RTO_MIN ? var : TT_RTO_MIN);
}

/* tcp_schedule_loss_probe: 2 SRTT, plus tcp_rto_min when one segment is out (else
 * 2 ms), but never later than the RTO. */
static inline vtime_t tt_tlp_timeout(vtime_t srtt, bool one_segment, vtime_t rto)
{
	vtime_t t = 2 * srtt + (one_segment ? TT_RTO_MIN : 2 * VTIME_MS);

	return t < rto ? t : rto;
}

/* tcp_model_timeout: what `boundary` RTOs doubling from tcp_rto_min take, each capped
 * at TCP_RTO_MAX (BEHAVIOUR.md: 15 -> 924.6 s, 8 -> 102.2 s). */
static inline vtime_t tt_budget(int boundary)
{
	vtime_t sum = 0, r = TT_RTO_MIN;

	for (int i = 0; i <= boundary; i++) {
		sum += r;
		r = 2 * r < TT_RTO_MAX ? 2 * r : TT_RTO_MAX;
	}
	return sum;
}

static inline vtime_t tt_dbl(vtime_t rto)
{
	return 2 * rto < TT_RTO_MAX ? 2 * rto : TT_RTO_MAX;
}

/* Asserts when a captured segment was sent; c is evaluated once (it is usually a
 * tt_expect, which pops a segment). */
static inline void tt_assert_sent_at_line(const struct tt_cap *c, vtime_t when, int line)
{
	ck_assert_msg(c->sent == when, "line %d: sent at %lld ns, expected %lld ns", line,
		      (long long)c->sent, (long long)when);
}
#define tt_assert_sent_at(c, when) tt_assert_sent_at_line((c), (when), __LINE__)

/* ---------------------------------------------------------------- events */

/* When host `host` reported connection `sock` going from -> to (the first time at or
 * after `since`), or -1. */
static inline vtime_t tt_state_change_at(struct tt *tt, int host, uint32_t sock,
					 enum tcp_state from, enum tcp_state to, vtime_t since)
{
	for (int i = 0; i < tt->nstates; i++) {
		const struct tt_state_ev *e = &tt->states[i];
		if (e->host == host && e->sock == sock && e->from == from && e->to == to &&
		    e->at >= since)
			return e->at;
	}
	return -1;
}

#define tt_assert_change(tt, host, sock, from, to)                                        \
	ck_assert_msg(tt_state_change_at((tt), (host), (sock), (from), (to), 0) >= 0,       \
		      "no event %s -> %s for connection %u", tcp_state_name(from),        \
		      tcp_state_name(to), (unsigned)(sock))

/* ---------------------------------------------------------------- by connection id */

/* Inspection by id: a name follows the connection after close() (the descriptor is
 * gone) into FIN_WAIT_2 and TIME_WAIT entries. */
static inline struct tcp_info tt_info_id(struct tt *tt, uint32_t id)
{
	struct tcp_info i;

	ck_assert_msg(host_sock_info(tt->h, id, &i) == 0, "connection %u is gone", (unsigned)id);
	return i;
}

#define tt_assert_id_state(tt, id, st)                                                    \
	do {                                                                              \
		enum tcp_state got_ = host_sock_state((tt)->h, (id));                     \
		ck_assert_msg(got_ == (st), "connection %u: state %s, expected %s",       \
			      (unsigned)(id), tcp_state_name(got_), tcp_state_name(st));  \
	} while (0)

static inline uint64_t tt_count_in(struct host *h, enum tcp_state st)
{
	uint64_t counts[TCPS_COUNT];

	host_state_counts(h, counts);
	return counts[st];
}

/* ---------------------------------------------------------------- closing constructors */

/* A connection of the host under test, as a closing constructor leaves it. */
struct tt_conn {
	int fd;            /* its descriptor, or -1 (closed by the application, or none) */
	int lfd;           /* the listener it came from, or -1 */
	uint32_t id;       /* the connection's id: it follows it whatever the descriptor */
	uint32_t snd_nxt;  /* the host's SND.NXT and RCV.NXT when the constructor returns */
	uint32_t rcv_nxt;
};

static void tt_find_state_cb(void *ctx, const struct tcp_info *i)
{
	struct tt_conn *c = ctx;

	if (i->state == TCPS_SYN_RECEIVED)
		c->id = i->id;
}

/*
 * "A connection of the host under test in state st, ISS iss, IRS irs", opened by the
 * peer and accepted (so the host is the server, port 80), except:
 *   LISTEN        a listener on port 80 (fd is it);
 *   SYN_SENT      the host's connect(), its SYN received by the peer;
 *   SYN_RECEIVED  the listener's child after the peer's SYN (no descriptor: Linux
 *                 gives none before accept());
 * From ESTABLISHED the host closes first for FIN_WAIT_1, FIN_WAIT_2, CLOSING and
 * TIME_WAIT, and second for CLOSE_WAIT and LAST_ACK. With `orphan` the host calls
 * close() (the descriptor is gone and fd is -1), without it shutdown(SHUT_WR), so the
 * application still holds the socket. The peer offers MSS 1460 and SACK, no
 * timestamps, unless tt->peer_opts says otherwise (its later segments carry no
 * options); no data is exchanged. Every segment of the way is asserted.
 *
 *   FIN_WAIT_1   host F. iss+1                    snd_nxt iss+2  rcv_nxt irs+1
 *   FIN_WAIT_2   ... peer . ack iss+2             snd_nxt iss+2  rcv_nxt irs+1
 *   TIME_WAIT    ... peer F. irs+1, host . irs+2  snd_nxt iss+2  rcv_nxt irs+2
 *   CLOSING      FIN_WAIT_1, peer F. irs+1 ack iss+1 (its FIN crossed ours), host .
 *   CLOSE_WAIT   peer F. irs+1, host . irs+2      snd_nxt iss+1  rcv_nxt irs+2
 *   LAST_ACK     ... host F. iss+1                snd_nxt iss+2  rcv_nxt irs+2
 */
static inline struct tt_conn tt_conn_in(struct tt *tt, enum tcp_state st, uint32_t iss,
					uint32_t irs, bool orphan)
{
	struct tt_conn c = { .fd = -1, .lfd = -1, .snd_nxt = iss + 1, .rcv_nxt = irs + 1 };
	struct host *h = tt->h;

	switch (st) {
	case TCPS_LISTEN:
		c.fd = tt_listen(tt, 16);
		c.id = (uint32_t)sock_id(h, c.fd);
		c.snd_nxt = c.rcv_nxt = 0;
		return c;
	case TCPS_SYN_SENT:
		c.fd = tt_syn_sent(tt, iss);
		c.id = (uint32_t)sock_id(h, c.fd);
		c.rcv_nxt = 0;
		return c;
	case TCPS_SYN_RECEIVED:
		c.lfd = tt_syn_received(tt, iss, irs,
					tt->peer_opts ? tt->peer_opts : "mss 1460,sackOK");
		host_sock_foreach(h, tt_find_state_cb, &c);
		ck_assert_uint_gt(c.id, 0);
		tt_assert_id_state(tt, c.id, TCPS_SYN_RECEIVED);
		return c;
	default:
		break;
	}
	c.fd = tt_established_passive_opts(tt, iss, irs, tt->peer_opts);
	c.lfd = tt->lfd;
	c.id = (uint32_t)sock_id(h, c.fd);
	switch (st) {
	case TCPS_ESTABLISHED:
		break;
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
	case TCPS_CLOSING:
	case TCPS_TIME_WAIT:
		if (orphan) {
			ck_assert_int_eq(sock_close(h, c.fd), 0);
			c.fd = -1;
		} else {
			ck_assert_int_eq(sock_shutdown(h, c.fd, SOCK_SHUT_WR), 0);
		}
		tt_expect(tt, "F.", iss + 1, irs + 1, 0);
		c.snd_nxt = iss + 2;
		if (st == TCPS_CLOSING) {
			tt_send(tt, "F.", irs + 1, iss + 1, 0, TT_WIN);
			tt_expect(tt, ".", iss + 2, irs + 2, 0);
			c.rcv_nxt = irs + 2;
		} else if (st != TCPS_FIN_WAIT_1) {
			tt_send(tt, ".", irs + 1, iss + 2, 0, TT_WIN);
			tt_run(tt, tt->delay);
		}
		if (st == TCPS_TIME_WAIT) {
			tt_send(tt, "F.", irs + 1, iss + 2, 0, TT_WIN);
			tt_expect(tt, ".", iss + 2, irs + 2, 0);
			c.rcv_nxt = irs + 2;
		}
		break;
	case TCPS_CLOSE_WAIT:
	case TCPS_LAST_ACK:
		tt_send(tt, "F.", irs + 1, iss + 1, 0, TT_WIN);
		tt_expect(tt, ".", iss + 1, irs + 2, 0);
		c.rcv_nxt = irs + 2;
		if (st == TCPS_LAST_ACK) {
			if (orphan) {
				ck_assert_int_eq(sock_close(h, c.fd), 0);
				c.fd = -1;
			} else {
				ck_assert_int_eq(sock_shutdown(h, c.fd, SOCK_SHUT_WR), 0);
			}
			tt_expect(tt, "F.", iss + 1, irs + 2, 0);
			c.snd_nxt = iss + 2;
		}
		break;
	default:
		ck_abort_msg("no constructor for %s", tcp_state_name(st));
	}
	tt_assert_id_state(tt, c.id, st);
	return c;
}

/* An active open that became a simultaneous one: the host's SYN (ISS iss) crossed the
 * peer's (IRS irs), and the host answered with SYN,ACK from SYN_RECEIVED. */
static inline struct tt_conn tt_conn_simopen(struct tt *tt, uint32_t iss, uint32_t irs)
{
	struct tt_conn c = { .fd = -1, .lfd = -1, .snd_nxt = iss + 1, .rcv_nxt = irs + 1 };

	c.fd = tt_syn_sent(tt, iss);
	c.id = (uint32_t)sock_id(tt->h, c.fd);
	tt_send_opts(tt, "S", irs, 0, 0, TT_WIN, "mss 1460,sackOK");
	tt_expect(tt, "S.", iss, irs + 1, 0);
	tt_assert_id_state(tt, c.id, TCPS_SYN_RECEIVED);
	return c;
}

#endif
