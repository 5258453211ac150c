/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

/*
 * RFC 9293 3.10.7 "SEGMENT ARRIVES", in its order, for every state. Each rule cites
 * the RFC section or the Linux function it follows; where Linux and the RFC part,
 * a rule switch (struct tcp_rules) chooses. A TCB never stays in TIME_WAIT: it hands
 * the connection over to a compact entry (tw.c), which has its own input function.
 */

static const char *const state_names[TCPS_COUNT] = {
	"CLOSED",     "LISTEN",     "SYN_SENT",   "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",    "LAST_ACK",     "TIME_WAIT",
};

static const char *const ss_names[TCPS_COUNT] = {
	"UNCONN",     "LISTEN",     "SYN-SENT", "SYN-RECV", "ESTAB",     "FIN-WAIT-1",
	"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK", "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_state s)
{
	return (unsigned)s < TCPS_COUNT ? state_names[s] : "?";
}

const char *tcp_state_ss_name(enum tcp_state s)
{
	return (unsigned)s < TCPS_COUNT ? ss_names[s] : "?";
}

/* Compares ignoring case and treating '-' as '_'. */
static bool same_name(const char *a, const char *b)
{
	for (;; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
		if (x >= 'a' && x <= 'z')
			x = (char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'z')
			y = (char)(y - 'a' + 'A');
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

int tcp_state_parse(const char *text, enum tcp_state *s)
{
	for (int i = 0; i < TCPS_COUNT; i++) {
		if (same_name(text, state_names[i]) || (i && same_name(text, ss_names[i]))) {
			*s = (enum tcp_state)i;
			return 0;
		}
	}
	if (same_name(text, "SYN_RCVD")) {
		*s = TCPS_SYN_RECEIVED;
		return 0;
	}
	return -EINVAL;
}

static const char *const timer_names[TCP_TIMER_COUNT] = {
	"RTO", "TLP", "persist", "delack", "keepalive", "FIN_WAIT_2", "TIME_WAIT", "linger",
};

const char *tcp_timer_name(enum tcp_timer k)
{
	return (unsigned)k < TCP_TIMER_COUNT ? timer_names[k] : "?";
}

static const struct tcp_counter_desc counter_table[] = {
#define DESC(field, name, help) { name, #field, offsetof(struct tcp_counters, field), help },
	TCP_COUNTER_LIST(DESC)
#undef DESC
	{ NULL, NULL, 0, NULL },
};

const struct tcp_counter_desc *tcp_counter_table(void)
{
	return counter_table;
}

int tcp_counter_get(const struct tcp_counters *c, const char *name, uint64_t *value)
{
	for (const struct tcp_counter_desc *d = counter_table; d->name; d++) {
		if (same_name(name, d->name) || same_name(name, d->field)) {
			*value = *(const uint64_t *)(const void *)((const char *)c + d->offset);
			return 0;
		}
	}
	return -ENOENT;
}

/* ---------------------------------------------------------------- state changes */

void tcb_set_state(struct tcb *t, enum tcp_state s, const char *reason)
{
	if (t->state == s)
		return;
	struct tcp_event ev = {
		.kind = TCP_EV_STATE,
		.host = t->h->env.node,
		.sock = t->id,
		.from = t->state,
		.to = s,
		.reason = reason,
	};
	/* Linux tcp_set_state: every move from ESTABLISHED or CLOSE_WAIT straight to
	 * CLOSED is an EstabReset, whoever caused it (an RST received, close() with
	 * unread data, SO_LINGER {1,0}, a timeout), as doc/linux-vs-rfc.md measured. */
	if (s == TCPS_CLOSED && (t->state == TCPS_ESTABLISHED || t->state == TCPS_CLOSE_WAIT))
		t->h->ctr.estab_resets++;
	t->state = s;
	host_emit(t->h, &ev);
}

static void unlink_child(struct tcb *t)
{
	struct tcb *p = t->parent;

	if (!p)
		return;
	for (struct tcb **pp = &p->children; *pp; pp = &(*pp)->next_child) {
		if (*pp == t) {
			*pp = t->next_child;
			p->nchildren--;
			break;
		}
	}
	for (struct tcb **pp = &p->acceptq; *pp; pp = &(*pp)->next_accept) {
		if (*pp == t) {
			*pp = t->next_accept;
			p->naccept--;
			break;
		}
	}
	t->parent = NULL;
	t->next_child = t->next_accept = NULL;
}

void tcb_done(struct tcb *t, int err, const char *reason)
{
	if (err)
		t->sk_err = err;
	t->rcv_eof = true;
	tcb_timers_cancel_all(t);
	tcb_set_state(t, TCPS_CLOSED, reason);
	tcb_unhash(t);
	/* A port taken by bind() stays with the socket (SOCK_BINDPORT_LOCK); one taken
	 * by connect() goes back. */
	if (!t->bound_explicit)
		host_unbind(t);
	/* A child nobody accepted goes with its connection. */
	unlink_child(t);
	tcb_release(t);
}

/* ---------------------------------------------------------------- helpers */

static uint32_t fin_seq(const struct tcb *t)
{
	return t->sndq_seq + (uint32_t)t->sndq.len;
}

static bool our_fin_acked(const struct tcb *t)
{
	return t->fin_queued && seq_gt(t->snd_una, fin_seq(t));
}

/* Window scaling exponent for a receive space (Linux tcp_select_initial_window). */
static uint8_t wscale_for(uint32_t space)
{
	uint8_t ws = 0;

	while (space > 65535 && ws < 14) {
		space >>= 1;
		ws++;
	}
	return ws;
}

/* Linux tcp_select_initial_window: whole segments of half the buffer. */
static void init_rcv_window(struct tcb *t, uint32_t mss)
{
	uint32_t space = t->rcvbuf / 2;

	t->rcv_wnd = space / mss * mss;
	if (t->rcv_wnd > 65535u << t->rcv_wscale)
		t->rcv_wnd = 65535u << t->rcv_wscale;
	t->rcv_ssthresh = t->rcv_wnd;
}

void tcb_init_from_config(struct tcb *t)
{
	const struct tcp_config *c = &t->h->cfg;

	t->mss_offer = (uint16_t)c->k.mss;
	t->peer_mss = 536; /* RFC 9293 3.7.1: the default when no option is received */
	t->rto = c->k.rto_initial;
	t->cwnd = (uint32_t)c->k.init_cwnd;
	t->ssthresh = 0x7fffffff;
	/* Linux gives each connection a secret timestamp offset keyed by its 4-tuple
	 * (secure_tcp_seq_and_tsoff): unrelated across connections, as measured, yet
	 * the same for a new incarnation of one 4-tuple, so a SYN into TIME_WAIT
	 * carries a newer timestamp (RFC 6191). */
	uint64_t k = t->h->port_secret ^ 0x5bd1e9955bd1e995ULL;
	k ^= ((uint64_t)t->laddr << 32 | t->raddr) * 0x9e3779b97f4a7c15ULL;
	k ^= ((uint64_t)t->lport << 16 | t->rport) * 0xc2b2ae3d27d4eb4fULL;
	k ^= k >> 29;
	k *= 0xbf58476d1ce4e5b9ULL;
	t->ts_offset = (uint32_t)(k ^ (k >> 32));
	/* Linux sizes the receive window from half the buffer (tcp_win_from_space with
	 * the default scaling ratio) and the scale from the largest buffer it may grow
	 * to (tcp_rmem[2]: 32 MB on Linux 6.18, scale 10), unless SO_RCVBUF fixed it. */
	t->rcv_wscale = c->k.window_scaling
				? wscale_for(t->rcvbuf_locked ? t->rcvbuf : (uint32_t)c->k.rmem_max)
				: 0;
	init_rcv_window(t, t->mss_offer);
}

/* RFC 9293 3.7.1 and RFC 7323: what the SYN (or SYN-ACK) offers decides the
 * options; each is used only when both sides offered it. */
static void take_syn_options(struct tcb *t, const struct seg *s)
{
	const struct tcp_config *c = &t->h->cfg;

	if (s->opt.present & SEG_OPT_MSS)
		t->peer_mss = s->opt.mss;
	t->ws_ok = (s->opt.present & SEG_OPT_WSCALE) && c->k.window_scaling;
	t->snd_wscale = t->ws_ok ? (s->opt.wscale > 14 ? 14 : s->opt.wscale) : 0;
	if (!t->ws_ok)
		t->rcv_wscale = 0;
	t->ts_ok = (s->opt.present & SEG_OPT_TS) && c->k.timestamps;
	t->sack_ok = (s->opt.present & SEG_OPT_SACKOK) && c->k.sack;
	if (t->ts_ok) {
		t->ts_recent = s->opt.ts_val;
		t->ts_recent_stamp = host_now(t->h);
	}
	uint16_t mss = t->peer_mss < t->mss_offer ? t->peer_mss : t->mss_offer;
	/* Linux's mss_cache leaves room for the timestamp option on every segment. */
	t->mss = (uint16_t)(mss - (t->ts_ok ? 12 : 0));
}

static void established(struct tcb *t, const char *reason)
{
	struct host *h = t->h;

	tcb_set_state(t, TCPS_ESTABLISHED, reason);
	/* Linux tcp_sndbuf_expand: once the MSS is known the send buffer grows to hold
	 * two initial windows, unless SO_SNDBUF fixed it. */
	if (!t->sndbuf_locked) {
		uint32_t want = 2 * (uint32_t)h->cfg.k.init_cwnd * 2 * (t->mss + 700u);
		if (t->sndbuf < want)
			t->sndbuf = want;
	}
	/* Linux tcp_init_transfer: quick-ACK mode for the start of the connection. */
	t->quick = 16;
	if (t->parent) {
		struct tcb *p = t->parent, **pp = &p->acceptq;
		while (*pp)
			pp = &(*pp)->next_accept;
		*pp = t;
		p->naccept++;
	}
}

static void send_reset_ack_of(struct host *h, const struct seg *in)
{
	tcb_send_reset_for(h, in);
}

/* ---------------------------------------------------------------- CLOSED */

/* RFC 9293 3.10.7.1: no TCB. An RST is dropped; anything else is answered with a
 * reset built from it (seg_make_reset). */
void tcb_closed_input(struct host *h, const struct seg *s)
{
	if (s->flags & SEG_RST)
		return;
	send_reset_ack_of(h, s);
}

/* ---------------------------------------------------------------- LISTEN */

void tcb_listen_input(struct tcb *l, const struct seg *s)
{
	struct host *h = l->h;

	/* RFC 9293 3.10.7.2: first check for an RST: ignore it. */
	if (s->flags & SEG_RST)
		return;
	/* Second, an ACK: <SEQ=SEG.ACK><CTL=RST>. */
	if (s->flags & SEG_ACK) {
		send_reset_ack_of(h, s);
		return;
	}
	/* Third, a SYN. Anything else is dropped. */
	if (!(s->flags & SEG_SYN))
		return;
	/* Linux tcp_conn_request: a full accept queue drops the SYN (ListenOverflows);
	 * sk_acceptq_is_full is "more than backlog", so backlog + 1 fit. */
	if (l->naccept > l->backlog || l->nchildren >= h->cfg.k.max_syn_backlog + l->backlog + 1) {
		h->ctr.listen_overflows++;
		return;
	}
	struct tcb *t = tcb_alloc(h);
	if (!t)
		return;
	t->lport = l->lport;
	t->raddr = s->saddr;
	t->rport = s->sport;
	t->passive = true;
	t->rcvbuf = l->rcvbuf;
	t->rcvbuf_locked = l->rcvbuf_locked;
	t->sndbuf = l->sndbuf;
	t->sndbuf_locked = l->sndbuf_locked;
	t->nodelay = l->nodelay;
	t->keepalive = l->keepalive;
	t->linger_on = l->linger_on;
	t->linger_s = l->linger_s;
	t->reuseaddr = l->reuseaddr;
	tcb_init_from_config(t);
	if (tcb_hash(t) || host_hold_port(t)) {
		tcb_release(t);
		return;
	}
	t->parent = l;
	t->next_child = l->children;
	l->children = t;
	l->nchildren++;
	t->irs = s->seq;
	t->rcv_nxt = s->seq + 1;
	t->iss = host_new_iss(h);
	t->snd_una = t->iss;
	t->snd_nxt = t->snd_max = t->iss;
	t->sndq_seq = t->iss + 1;
	take_syn_options(t, s);
	/* Linux tcp_openreq_init_rwin sizes the SYN-ACK's window in segments that leave
	 * room for the timestamp option: 65160 (45 x 1448) where a SYN gets 64240. */
	init_rcv_window(t, t->mss_offer - (t->ts_ok ? 12u : 0u));
	/* RFC 9293 3.10.7.2: the SYN's window is never scaled. */
	t->snd_wnd = s->wnd;
	t->max_window = t->snd_wnd;
	t->snd_wl1 = s->seq;
	t->snd_wl2 = t->iss;
	tcb_set_state(t, TCPS_SYN_RECEIVED, "SYN received");
	h->ctr.passive_opens++;
	tcb_send_syn(t);
}

/* ---------------------------------------------------------------- SYN_SENT */

static void syn_sent_input(struct tcb *t, const struct seg *s)
{
	struct host *h = t->h;
	bool ack_ok = false;

	/* RFC 9293 3.10.7.3, first check the ACK bit. */
	if (s->flags & SEG_ACK) {
		if (seq_leq(s->ack, t->iss) || seq_gt(s->ack, t->snd_max)) {
			if (!(s->flags & SEG_RST))
				send_reset_ack_of(h, s);
			return;
		}
		ack_ok = seq_leq(t->snd_una, s->ack) && seq_leq(s->ack, t->snd_max);
	}
	/* Second, the RST bit: with an acceptable ACK the connection is refused
	 * (RFC 5961 3.2 for SYN-SENT); without one it is dropped. */
	if (s->flags & SEG_RST) {
		if (ack_ok) {
			h->ctr.in_rsts++;
			h->ctr.attempt_fails++;
			tcb_done(t, -ECONNREFUSED, "RST received");
		}
		return;
	}
	/* Fourth, the SYN bit. */
	if (!(s->flags & SEG_SYN))
		return;
	t->irs = s->seq;
	t->rcv_nxt = s->seq + 1;
	take_syn_options(t, s);
	t->snd_wnd = s->wnd; /* the SYN's window is never scaled */
	t->max_window = t->snd_wnd;
	t->snd_wl1 = s->seq;
	t->snd_wl2 = s->ack;
	if (ack_ok && seq_gt(s->ack, t->iss)) {
		/* Our SYN is acknowledged: ESTABLISHED, and ACK theirs. */
		t->snd_una = s->ack;
		if (seq_lt(t->snd_nxt, t->snd_una))
			t->snd_nxt = t->snd_una;
		if (t->timing && seq_geq(s->ack, t->timed_seq) && t->retransmits == 0)
			tcb_rtt_sample(t, host_now(h) - t->timed_at);
		t->timing = false;
		t->retransmits = 0;
		t->backoff = 0;
		tcb_timer_cancel(t, TCP_TIMER_RTO);
		if (t->ts_ok && (s->opt.present & SEG_OPT_TS) && s->opt.ts_ecr && !t->srtt8)
			tcb_rtt_sample(t, (vtime_t)(tcb_ts_now(t) - s->opt.ts_ecr) * VTIME_MS);
		t->rcv_adv = t->rcv_nxt;
		t->connected = true;
		established(t, "SYN-ACK received");
		tcb_send_ack(t);
		tcb_output(t); /* data written before the handshake finished */
		return;
	}
	/* Simultaneous open (RFC 9293 3.5, figure 8): SYN_RECEIVED, send SYN,ACK. */
	tcb_set_state(t, TCPS_SYN_RECEIVED, "SYN received (simultaneous open)");
	/* Linux tcp_send_synack sends the SYN's own buffer again with ACK set, through
	 * tcp_transmit_skb: a new transmission (timed, not counted as a retransmission). */
	t->snd_nxt = t->snd_max = t->iss;
	tcb_send_syn(t);
}

/* ---------------------------------------------------------------- data arrival */

/* Queues in-order data for the application and pulls what the out-of-order queue
 * now continues. */
static void take_data(struct tcb *t, const struct seg *s, uint32_t off, uint32_t len)
{
	const struct mem_allocator *a = host_alloc(t->h);

	bytes_push(&t->rcvq, a, s->data ? s->data + off : NULL, len);
	t->rcv_nxt += len;
	while (t->ooo && seq_leq(t->ooo->seq, t->rcv_nxt)) {
		struct ooo_seg *o = t->ooo;
		uint32_t skip = t->rcv_nxt - o->seq;
		if (skip < o->len) {
			bytes_push(&t->rcvq, a, o->data ? o->data + skip : NULL, o->len - skip);
			t->rcv_nxt += o->len - skip;
		}
		t->ooo = o->next;
		t->ooo_bytes -= o->len;
		mem_free(a, o->data);
		mem_free(a, o);
	}
}

/* Keeps a segment that arrived ahead of a hole, sorted by sequence number. */
static void keep_ooo(struct tcb *t, const struct seg *s, uint32_t off, uint32_t len)
{
	const struct mem_allocator *a = host_alloc(t->h);
	uint32_t seq = s->seq + off;
	struct ooo_seg **pp = &t->ooo;

	t->ooo_last = seq;
	while (*pp && seq_lt((*pp)->seq, seq))
		pp = &(*pp)->next;
	/* An exact duplicate of what is kept adds nothing. */
	if (*pp && (*pp)->seq == seq && (*pp)->len >= len)
		return;
	struct ooo_seg *o = mem_zalloc(a, sizeof(*o));
	if (!o)
		return;
	o->seq = seq;
	o->len = len;
	if (s->data) {
		o->data = mem_alloc(a, len);
		if (!o->data) {
			mem_free(a, o);
			return;
		}
		memcpy(o->data, s->data + off, len);
	}
	o->next = *pp;
	*pp = o;
	t->ooo_bytes += len;
}

/* RFC 9293 3.10.7.4, seventh: the segment text, after trimming to the window. */
static void segment_text(struct tcb *t, const struct seg *s)
{
	const struct tcp_rules *r = &t->h->cfg.r;
	uint32_t off = 0, len = s->len;

	if (!len)
		return;
	/* Trim what was already received. */
	if (seq_lt(s->seq, t->rcv_nxt)) {
		uint32_t dup = t->rcv_nxt - s->seq;
		if (dup >= len) {
			t->ack_now = true; /* a duplicate: tell the sender where we are */
			return;
		}
		off = dup;
		len -= dup;
	}
	/* Trim what lies beyond the window. */
	uint32_t wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	uint32_t start = s->seq + off;
	if (seq_gt(start + len, t->rcv_nxt + wnd)) {
		uint32_t keep = seq_gt(t->rcv_nxt + wnd, start) ? t->rcv_nxt + wnd - start : 0;
		len = keep;
		t->ack_now = true;
		if (!len)
			return;
	}
	/* After SHUT_RD, the rfc profile discards what arrives (the BSD reading). */
	if (t->shut_rd && r->shutrd_discard) {
		if (start == t->rcv_nxt)
			t->rcv_nxt += len;
		t->ack_now = true;
		return;
	}
	if (start == t->rcv_nxt) {
		take_data(t, s, off, len);
		tcb_data_received(t, len);
		/* Linux __tcp_ack_snd_check: out-of-order data just filled, ACK now. */
		if (t->ooo)
			t->ack_now = true;
	} else {
		keep_ooo(t, s, off, len);
		t->ack_now = true; /* RFC 5681 4.2: out of order, ACK at once (dup ACK) */
	}
	t->rcv_unacked += len;
	/* Linux tcp_grow_window: the window may open by two segments per segment. */
	uint32_t space = t->rcvbuf / 2;
	t->rcv_ssthresh += 2u * t->mss_offer;
	if (t->rcv_ssthresh > space)
		t->rcv_ssthresh = space;
}

/* ---------------------------------------------------------------- ACK arrival */

static void new_data_acked(struct tcb *t, const struct seg *s)
{
	struct host *h = t->h;
	uint32_t acked_seq = s->ack - t->snd_una;

	/* Bytes of data acknowledged: not the SYN, not the FIN. */
	uint32_t data_end = fin_seq(t);
	uint32_t upto = seq_lt(s->ack, data_end) ? s->ack : data_end;
	if (seq_gt(upto, t->sndq_seq)) {
		uint32_t n = upto - t->sndq_seq;
		bytes_drop(&t->sndq, n);
		t->sndq_seq += n;
	}
	t->snd_una = s->ack;
	if (seq_lt(t->snd_nxt, t->snd_una))
		t->snd_nxt = t->snd_una;
	/* RTT: Karn's rule, one segment timed at a time; a timestamp echo also serves
	 * when the timed segment was retransmitted (RFC 7323 4.1). */
	if (t->timing && seq_geq(s->ack, t->timed_seq)) {
		tcb_rtt_sample(t, host_now(h) - t->timed_at);
		t->timing = false;
	}
	/* Progress ends a run of timeouts (Linux tcp_ack clears icsk_retransmits). */
	t->retransmits = 0;
	t->backoff = 0;
	t->retrans_stamp = 0;
	t->probes = 0;
	t->dupacks = 0;
	t->tlp_out = false;
	/* Congestion window: slow start, then Reno's additive increase (RFC 5681). A
	 * partial ACK in recovery retransmits the next hole (NewReno, RFC 6582). */
	uint32_t segs = t->mss ? (acked_seq + t->mss - 1) / t->mss : 1;
	if (t->in_recovery) {
		if (seq_geq(s->ack, t->recover)) {
			t->in_recovery = false;
			t->cwnd = t->ssthresh;
		} else {
			tcb_retransmit_head(t);
		}
	} else if (t->cwnd < t->ssthresh) {
		t->cwnd += segs;
	} else if (++t->cwnd_cnt >= t->cwnd) {
		t->cwnd_cnt = 0;
		t->cwnd++;
	}
	/* Linux tcp_set_xmit_timer: the RTO restarts, and a loss probe takes its place
	 * when one may be sent (tcp_schedule_loss_probe). */
	tcb_rearm_rto(t);
	tcb_schedule_tlp(t);
}

/* Linux __tcp_oow_rate_limited: an answer to a segment that is out of window (or
 * acknowledges what was never sent) goes at most once per tcp_invalid_ratelimit.
 * Without it two ends that disagree about the sequence space, after a forged or
 * stale segment, answer each other's ACKs once per round trip for ever (the "ACK
 * loop" of Linux commit f2b2c582e824; RFC 5961 section 7 asks the same of challenge
 * ACKs). Only a segment without data (or a SYN) is limited, as data is not likely
 * part of a loop; a FIN counts as data, so a retransmitted FIN whose ACK was lost is
 * always answered (measured, doc/linux-vs-rfc.md). The stamp is in virtual
 * milliseconds, as the kernel keeps jiffies, to keep TIME_WAIT entries small; a
 * limit under 1 ms is no limit. */
bool tcp_oow_may_answer(struct host *h, uint32_t *last_ms, const struct seg *s)
{
	uint32_t gap = (uint32_t)(h->cfg.k.invalid_ratelimit / VTIME_MS);
	uint32_t now = (uint32_t)(host_now(h) / VTIME_MS);

	if (!gap || (s && seg_seqlen(s) && !(s->flags & SEG_SYN)))
		return true;
	if (*last_ms && now - *last_ms < gap) {
		h->ctr.acks_skipped++;
		return false;
	}
	*last_ms = now ? now : 1;
	return true;
}

static void send_oow_ack(struct tcb *t, const struct seg *s)
{
	if (tcp_oow_may_answer(t->h, &t->last_oow_ms, s))
		tcb_send_ack(t);
}

static void challenge_ack(struct tcb *t)
{
	if (!tcp_oow_may_answer(t->h, &t->last_oow_ms, NULL))
		return;
	t->h->ctr.challenge_acks++;
	tcb_send_ack(t);
}

/* RFC 9293 3.10.7.4, fifth: the ACK field, for ESTABLISHED and the states after it.
 * Returns false when the segment is to be dropped. */
static bool process_ack(struct tcb *t, const struct seg *s)
{
	if (seq_gt(s->ack, t->snd_max)) {
		/* It acknowledges something not yet sent: RFC 9293 says ACK and drop.
		 * Linux 6.18 answers with a challenge ACK in every state, limited by
		 * tcp_invalid_ratelimit (measured, doc/linux-vs-rfc.md; older kernels
		 * dropped it unanswered in ESTABLISHED). */
		challenge_ack(t);
		return false;
	}
	/* RFC 5961 5.2: an ACK too old to be anything but an attack is dropped, with a
	 * challenge ACK (Linux tcp_ack). */
	if (seq_lt(s->ack, t->snd_una - t->max_window)) {
		challenge_ack(t);
		return false;
	}
	bool progress = seq_gt(s->ack, t->snd_una);
	/* Linux tcp_ack: any acceptable ACK shows the peer alive; the count of
	 * unanswered probes (zero-window, keepalive) starts again. */
	t->probes = 0;
	if (progress) {
		new_data_acked(t, s);
	} else if (s->ack == t->snd_una && !s->len && !(s->flags & SEG_FIN) &&
		   tcb_flight(t) > 0 && (uint32_t)s->wnd << t->snd_wscale == t->snd_wnd) {
		/* A duplicate ACK (RFC 5681 2): three start fast retransmit. */
		if (++t->dupacks == 3 && !t->in_recovery) {
			uint32_t flight_segs = t->mss ? tcb_flight(t) / t->mss : 1;
			t->ssthresh = flight_segs / 2 > 2 ? flight_segs / 2 : 2;
			t->cwnd = t->ssthresh + 3;
			t->in_recovery = true;
			t->recover = t->snd_max;
			tcb_retransmit_head(t);
			/* Linux tcp_xmit_retransmit_queue: retransmitting the head rearms
			 * the RTO, which replaces a pending loss probe. */
			tcb_rearm_rto(t);
		} else if (t->in_recovery) {
			t->cwnd++;
		}
	}
	/* Window update (RFC 9293 3.10.7.4): from a segment no older than the last. */
	if (seq_lt(t->snd_wl1, s->seq) ||
	    (t->snd_wl1 == s->seq && seq_leq(t->snd_wl2, s->ack))) {
		t->snd_wnd = (uint32_t)s->wnd << t->snd_wscale;
		t->snd_wl1 = s->seq;
		t->snd_wl2 = s->ack;
		if (t->snd_wnd > t->max_window)
			t->max_window = t->snd_wnd;
	}
	/* Linux tcp_ack_probe: with nothing in flight and data waiting, an ACK that opens
	 * the window ends the probing (and its backoff); one that leaves it shut restarts
	 * the probe timer from now, with the backoff reached so far. */
	if (tcb_timer_pending(t, TCP_TIMER_PERSIST) && !tcb_flight(t)) {
		if (t->snd_wnd > 0) {
			tcb_timer_cancel(t, TCP_TIMER_PERSIST);
			t->backoff = 0;
		} else {
			tcb_timer_set(t, TCP_TIMER_PERSIST, tcb_persist_when(t));
		}
	}
	return true;
}

/* ---------------------------------------------------------------- synchronized */

/* RFC 9293 3.10.7.4, first check: is the segment acceptable? */
static bool acceptable(const struct tcb *t, const struct seg *s)
{
	uint32_t len = s->len + !!(s->flags & SEG_SYN) + !!(s->flags & SEG_FIN);
	uint32_t wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;

	if (len == 0 && wnd == 0)
		return s->seq == t->rcv_nxt;
	if (len == 0)
		return seq_leq(t->rcv_nxt, s->seq) && seq_lt(s->seq, t->rcv_nxt + wnd);
	if (wnd == 0)
		return false;
	return (seq_leq(t->rcv_nxt, s->seq) && seq_lt(s->seq, t->rcv_nxt + wnd)) ||
	       (seq_leq(t->rcv_nxt, s->seq + len - 1) &&
		seq_lt(s->seq + len - 1, t->rcv_nxt + wnd));
}

/* RFC 9293 3.10.7.4, second: an RST whose sequence number is exactly RCV.NXT. */
static void reset_received(struct tcb *t)
{
	struct host *h = t->h;

	h->ctr.in_rsts++;
	switch (t->state) {
	case TCPS_SYN_RECEIVED:
		/* A passive open goes back to LISTEN: the listener lives on, the child goes
		 * (Linux drops the request). An active (simultaneous) open is refused. */
		if (t->passive)
			tcb_done(t, 0, "RST received");
		else
			tcb_done(t, -ECONNREFUSED, "RST received");
		break;
	case TCPS_ESTABLISHED:
		t->reset = true;
		tcb_done(t, -ECONNRESET, "RST received");
		break;
	case TCPS_CLOSE_WAIT:
		/* Linux tcp_reset: in CLOSE_WAIT the pending error is EPIPE, not
		 * ECONNRESET (measured: the peer that got our FIN and then our RST saw
		 * EPIPE on send, 0 on recv; doc/linux-vs-rfc.md). */
		t->reset = true;
		tcb_done(t, -EPIPE, "RST received");
		break;
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
		t->reset = true;
		tcb_done(t, -ECONNRESET, "RST received");
		break;
	default: /* CLOSING, LAST_ACK, TIME_WAIT: quietly */
		t->reset = true;
		tcb_done(t, 0, "RST received");
		break;
	}
}

/* Eighth: the FIN bit, once everything before it has arrived. Returns false when
 * the TCB was handed over to a TIME_WAIT entry. */
static bool fin_received(struct tcb *t)
{
	t->rcv_nxt++;
	t->rcv_eof = true;
	t->fin_rcvd = true;
	switch (t->state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tcb_set_state(t, TCPS_CLOSE_WAIT, "FIN received");
		/* Linux tcp_fin(): pingpong mode, so the ACK of the FIN waits for the
		 * delayed-ACK timer (ato) rather than leaving at once. */
		if (t->h->cfg.r.delack_linux) {
			t->pingpong = true;
			t->ack_pending = true;
		} else {
			t->ack_now = true;
		}
		break;
	case TCPS_FIN_WAIT_1:
		/* Not yet acknowledged, or this segment did not: CLOSING. Acknowledged
		 * (by this very segment too): TIME_WAIT. Linux ACKs at once. */
		tcb_send_ack(t);
		if (our_fin_acked(t)) {
			tw_enter(t, false, "FIN received");
			return false;
		}
		tcb_set_state(t, TCPS_CLOSING, "FIN received");
		break;
	case TCPS_FIN_WAIT_2:
		/* Linux tcp_fin: ACK, then the connection lives on as a TIME_WAIT entry. */
		tcb_send_ack(t);
		tw_enter(t, false, "FIN received");
		return false;
	default:
		break;
	}
	return true;
}

/* The ACK of our FIN changes state in FIN_WAIT_1, CLOSING and LAST_ACK. Returns
 * false when the TCB is gone (closed, or handed over to a TIME_WAIT entry). */
static bool fin_ack_transitions(struct tcb *t, const struct seg *s)
{
	const struct tcp_config *c = &t->h->cfg;

	if (!our_fin_acked(t))
		return true;
	switch (t->state) {
	case TCPS_FIN_WAIT_1:
		tcb_timer_cancel(t, TCP_TIMER_RTO);
		tcb_timer_cancel(t, TCP_TIMER_TLP);
		/* Linux tcp_rcv_state_process: an orphan waits tcp_fin_timeout at most, as
		 * a compact entry in the FIN_WAIT_2 substate; unless this segment brings
		 * the FIN too, which the full socket takes first ("we could lose such
		 * FIN otherwise"). */
		/* Linux tcp_rcv_state_process, FIN_WAIT1: an orphan whose FIN this
		 * segment acknowledges, and which brings new data, is done with at once
		 * and the segment reset (TCPAbortOnData): measured, the data segment
		 * that carried the ACK of the FIN drew an [R]. */
		if (t->orphan && c->r.rst_on_unread && s->len &&
		    seq_gt(s->seq + s->len, t->rcv_nxt)) {
			t->h->ctr.abort_on_data++;
			tcb_send_reset_for(t->h, s);
			tcb_done(t, 0, "data after close");
			return false;
		}
		if (t->orphan && c->r.orphan_fin_wait2_timeout) {
			if (!(s->flags & SEG_FIN)) {
				tw_enter(t, true, "ACK of FIN");
				return false;
			}
			tcb_timer_set(t, TCP_TIMER_FIN_WAIT_2, tcb_fin_time(t));
		}
		tcb_set_state(t, TCPS_FIN_WAIT_2, "ACK of FIN");
		return true;
	case TCPS_CLOSING:
		tw_enter(t, false, "ACK of FIN");
		return false;
	case TCPS_LAST_ACK:
		tcb_done(t, 0, "ACK of FIN");
		return false;
	default:
		return true;
	}
}

/* SYN_RECEIVED: the ACK of our SYN (RFC 9293 3.10.7.4, fifth, SYN-RECEIVED). */
static void syn_acked(struct tcb *t, const struct seg *s)
{
	struct host *h = t->h;

	t->snd_una = s->ack;
	if (seq_lt(t->snd_nxt, t->snd_una))
		t->snd_nxt = t->snd_una;
	/* The window of a SYN is never scaled (RFC 7323 2.2). */
	t->snd_wnd = (uint32_t)s->wnd << ((s->flags & SEG_SYN) ? 0 : t->snd_wscale);
	t->max_window = t->snd_wnd;
	t->snd_wl1 = s->seq;
	t->snd_wl2 = s->ack;
	if (t->timing && seq_geq(s->ack, t->timed_seq) && t->retransmits == 0)
		tcb_rtt_sample(t, host_now(h) - t->timed_at);
	t->timing = false;
	t->retransmits = 0;
	t->backoff = 0;
	tcb_timer_cancel(t, TCP_TIMER_RTO);
	t->rcv_adv = t->rcv_nxt + tcb_rcv_window(t);
	if (!t->passive)
		t->connected = true; /* the active side of a simultaneous open */
	established(t, "ACK of SYN");
}

/* The SYN,ACK that ends a simultaneous open: our SYN is acknowledged; data queued
 * meanwhile may leave. */
static void simopen_ack(struct tcb *t, const struct seg *s)
{
	if (t->ts_ok && (s->opt.present & SEG_OPT_TS)) {
		t->ts_recent = s->opt.ts_val;
		t->ts_recent_stamp = host_now(t->h);
	}
	syn_acked(t, s);
	tcb_output(t);
}

void tcb_input(struct tcb *t, const struct seg *s)
{
	struct host *h = t->h;
	const struct tcp_rules *r = &h->cfg.r;

	if (t->state == TCPS_SYN_SENT) {
		syn_sent_input(t, s);
		return;
	}
	/* PAWS (RFC 7323 5.3): an older timestamp than the last one seen marks an old
	 * duplicate; drop it, and ACK unless it is an RST. */
	if (t->ts_ok && (s->opt.present & SEG_OPT_TS) && !(s->flags & SEG_RST) &&
	    (int32_t)(s->opt.ts_val - t->ts_recent) < 0 &&
	    host_now(h) - t->ts_recent_stamp < 24LL * 24 * 3600 * VTIME_S) {
		h->ctr.paws_rejected++;
		send_oow_ack(t, s);
		return;
	}
	if (t->state == TCPS_SYN_RECEIVED && (s->flags & SEG_SYN) && !s->len &&
	    !(s->flags & (SEG_RST | SEG_FIN))) {
		/* Linux tcp_check_req: a passive open's SYN sent again (its SYN-ACK was
		 * lost) gets the SYN-ACK again. It lies before RCV.NXT, so this comes
		 * ahead of the sequence check, which would challenge it. */
		if (t->passive && s->seq == t->irs && !(s->flags & SEG_ACK)) {
			tcb_send_syn(t);
			return;
		}
		/* Linux tcp_validate_incoming: in an active open's SYN_RECEIVED (a
		 * simultaneous open), the peer's SYN,ACK acknowledging our SYN completes
		 * the handshake, as RFC 9293 3.5 figure 8 draws it: no challenge ACK, and
		 * nothing is sent in answer. */
		if (!t->passive && (s->flags & SEG_ACK) && s->seq + 1 == t->rcv_nxt &&
		    s->ack == t->snd_nxt) {
			simopen_ack(t, s);
			return;
		}
	}
	/* First: sequence number. */
	if (!acceptable(t, s)) {
		if (!(s->flags & SEG_RST)) {
			/* Linux tcp_validate_incoming: a SYN out of window is challenged;
			 * others get a duplicate ACK (RFC 9293). */
			if (s->flags & SEG_SYN)
				challenge_ack(t);
			else
				send_oow_ack(t, s);
		}
		return;
	}
	/* RFC 7323 4.3: remember the timestamp of a segment that covers RCV.NXT. */
	if (t->ts_ok && (s->opt.present & SEG_OPT_TS) && seq_leq(s->seq, t->rcv_nxt)) {
		t->ts_recent = s->opt.ts_val;
		t->ts_recent_stamp = host_now(h);
	}
	/* Second: RST (RFC 5961 3.2): exact resets, in-window ones are challenged. */
	if (s->flags & SEG_RST) {
		if (s->seq == t->rcv_nxt) {
			reset_received(t);
		} else {
			challenge_ack(t);
		}
		return;
	}
	/* Fourth: SYN in a synchronized state (RFC 5961 4.2): challenge ACK. */
	if (s->flags & SEG_SYN) {
		challenge_ack(t);
		return;
	}
	/* Fifth: without ACK, drop. */
	if (!(s->flags & SEG_ACK))
		return;
	if (t->state == TCPS_SYN_RECEIVED) {
		if (!(seq_lt(t->snd_una, s->ack) && seq_leq(s->ack, t->snd_max))) {
			send_reset_ack_of(h, s);
			return;
		}
		syn_acked(t, s);
	} else if (!process_ack(t, s)) {
		return;
	}
	if (!fin_ack_transitions(t, s))
		return;
	/* Seventh: the text. */
	if (s->len && seq_gt(s->seq + s->len, t->rcv_nxt)) {
		switch (t->state) {
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
			/* Linux tcp_rcv_state_process: new data for a socket whose reading
			 * side is shut (closed, or SHUT_RD) is answered with a reset
			 * (TCPAbortOnData). tcp_rcv_state_process returns 1 and
			 * tcp_v4_do_rcv answers with tcp_v4_send_reset, which builds the
			 * RST from the segment (<SEQ=SEG.ACK><CTL=RST>, RFC 9293 3.10.7.1),
			 * not from SND.NXT: an [R] at the ACK the peer sent, as the compact
			 * FIN_WAIT_2 entry does (tw.c). The rfc profile takes the data in,
			 * and discards it when nobody can read it. */
			if ((t->orphan || t->shut_rd) && r->rst_on_unread) {
				h->ctr.abort_on_data++;
				tcb_send_reset_for(h, s);
				tcb_done(t, -ECONNRESET, "data after close");
				return;
			}
			__attribute__((fallthrough));
		case TCPS_ESTABLISHED:
			segment_text(t, s);
			if (t->orphan)
				bytes_drop(&t->rcvq, t->rcvq.len);
			break;
		default:
			/* CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT: the peer's FIN came
			 * first; text cannot follow it and is ignored. */
			break;
		}
	}
	/* Eighth: FIN, when it is the next thing expected; one ahead of a hole waits. */
	if (s->flags & SEG_FIN) {
		uint32_t fseq = s->seq + s->len;
		if (t->state == TCPS_CLOSE_WAIT || t->state == TCPS_CLOSING ||
		    t->state == TCPS_LAST_ACK) {
			/* A retransmitted FIN: ACK it again. */
			tcb_send_ack(t);
			return;
		}
		if (fseq == t->rcv_nxt) {
			if (!fin_received(t))
				return;
		} else if (seq_gt(fseq, t->rcv_nxt)) {
			t->ooo_fin = true;
			t->ooo_fin_seq = fseq;
		}
	} else if (t->ooo_fin && t->ooo_fin_seq == t->rcv_nxt) {
		t->ooo_fin = false;
		if (!fin_received(t))
			return;
	}
	if (t->state == TCPS_CLOSED)
		return;
	tcb_output(t);
	tcb_ack_scheduled(t);
}
