/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

/*
 * TIME_WAIT as compact entries separate from TCBs, as Linux's time-wait minisockets
 * (net/ipv4/tcp_minisocks.c): what a closed connection still needs to answer a
 * retransmitted FIN, to keep old duplicates from a new incarnation, and to hold its
 * port. An orphan in FIN_WAIT_2 becomes one too, in the FIN_WAIT_2 substate.
 */

struct tw *tw_get(const struct host *h, uint32_t idx)
{
	return &h->tw_chunks[idx / TW_CHUNK][idx % TW_CHUNK];
}

static struct tw *tw_alloc(struct host *h)
{
	uint32_t idx;

	if (h->tw_nfree) {
		idx = h->tw_free[--h->tw_nfree];
	} else {
		if (h->tw_used == h->tw_nchunks * TW_CHUNK) {
			if (h->tw_nchunks == h->tw_cap_chunks) {
				uint32_t cap = h->tw_cap_chunks ? h->tw_cap_chunks * 2 : 4;
				struct tw **c = mem_allocarray(h->env.alloc, h->tw_chunks, cap,
							       sizeof(*c));
				if (!c)
					return NULL;
				h->tw_chunks = c;
				uint32_t *f = mem_allocarray(h->env.alloc, h->tw_free,
							     (size_t)cap * TW_CHUNK, sizeof(*f));
				if (!f)
					return NULL;
				h->tw_free = f;
				h->tw_cap_chunks = cap;
			}
			struct tw *chunk = mem_allocarray(h->env.alloc, NULL, TW_CHUNK,
							  sizeof(*chunk));
			if (!chunk)
				return NULL;
			memset(chunk, 0, TW_CHUNK * sizeof(*chunk));
			h->tw_chunks[h->tw_nchunks++] = chunk;
		}
		idx = h->tw_used++;
	}
	struct tw *tw = tw_get(h, idx);
	memset(tw, 0, sizeof(*tw));
	tw->h = h;
	tw->idx = idx;
	tw->in_use = 1;
	return tw;
}

static void emit(struct tw *tw, enum tcp_ev_kind kind, enum tcp_state from, enum tcp_state to,
		 const char *reason, vtime_t when)
{
	struct tcp_event ev = {
		.kind = kind,
		.host = tw->h->env.node,
		.sock = tw->id,
		.from = from,
		.to = to,
		.reason = reason,
		.timer = (tw->flags & TW_FIN_WAIT_2) ? TCP_TIMER_FIN_WAIT_2 : TCP_TIMER_TIME_WAIT,
		.when = when,
	};
	host_emit(tw->h, &ev);
}

static enum tcp_state tw_state(const struct tw *tw)
{
	return (tw->flags & TW_FIN_WAIT_2) ? TCPS_FIN_WAIT_2 : TCPS_TIME_WAIT;
}

/* Ends the entry: its 4-tuple, id and port are free again. */
static void tw_end(struct tw *tw, const char *reason)
{
	struct host *h = tw->h;

	if (tw->timer) {
		evq_cancel(h->env.q, tw->timer);
		emit(tw, TCP_EV_TIMER_CANCEL, 0, 0, NULL, 0);
		tw->timer = 0;
	}
	if (reason)
		emit(tw, TCP_EV_STATE, tw_state(tw), TCPS_CLOSED, reason, 0);
	hmap_del(&h->conns, conn_key(tw->lport, tw->raddr, tw->rport));
	hmap_del(&h->ids, tw->id);
	if (tw->flags & TW_BOUND) {
		uint32_t pidx;
		if (hmap_get(&h->ports, tw->lport, &pidx) == 0) {
			struct port_use *pu = &h->port_use[pidx];
			pu->total--;
			pu->explicit_ -= !!(tw->flags & TW_EXPLICIT);
			pu->noreuse -= !(tw->flags & TW_REUSE);
		}
	}
	emit(tw, TCP_EV_SOCK_FREE, 0, 0, NULL, 0);
	tw->in_use = 0;
	h->tw_count--;
	h->tw_free[h->tw_nfree++] = tw->idx;
}

static void tw_timer_fired(void *arg)
{
	struct tw *tw = arg;
	struct host *h = tw->h;

	tw->timer = 0;
	emit(tw, TCP_EV_TIMER_FIRE, 0, 0, NULL, host_now(h));
	if (tw->flags & TW_FIN_WAIT_2) {
		/* Linux: the orphan's FIN_WAIT_2 time ran out; it goes without a word. */
		h->ctr.fin_wait2_timeouts++;
		tw_end(tw, "FIN_WAIT_2 timeout");
	} else {
		h->ctr.tw_finished++;
		tw_end(tw, "TIME_WAIT expired");
	}
}

static void tw_schedule(struct tw *tw, vtime_t len)
{
	struct host *h = tw->h;
	vtime_t when = host_now(h) + len;

	if (tw->timer && evq_reschedule(h->env.q, tw->timer, when) == 0) {
		emit(tw, TCP_EV_TIMER_SET, 0, 0, NULL, when);
		return;
	}
	tw->timer = 0;
	if (evq_schedule(h->env.q, when, tw_timer_fired, tw, &tw->timer) == 0)
		emit(tw, TCP_EV_TIMER_SET, 0, 0, NULL, when);
}

void tw_enter(struct tcb *t, bool fin_wait_2, const char *reason)
{
	struct host *h = t->h;
	const struct tcp_config *c = &h->cfg;
	enum tcp_state to = fin_wait_2 ? TCPS_FIN_WAIT_2 : TCPS_TIME_WAIT;

	/* Linux tcp_time_wait: past tcp_max_tw_buckets there is no entry; the socket is
	 * destroyed at once ("time wait bucket table overflow"). */
	struct tw *tw = h->tw_count < (uint32_t)c->k.max_tw_buckets ? tw_alloc(h) : NULL;
	if (!tw) {
		h->ctr.tw_overflow++;
		tcb_set_state(t, to, reason);
		tcb_done(t, 0, "TIME_WAIT bucket overflow");
		return;
	}
	tcb_set_state(t, to, reason);
	h->tw_count++;
	/* Linux counts TW when an entry is made, an orphan's FIN_WAIT_2 entry too
	 * (measured); an entry ending by RST or by its FIN_WAIT_2 time counts nothing
	 * there, so tcpsim's own names count those. */
	h->ctr.tw_created++;
	tw->raddr = t->raddr;
	tw->lport = t->lport;
	tw->rport = t->rport;
	tw->rcv_nxt = t->rcv_nxt;
	tw->snd_nxt = t->snd_nxt;
	tw->id = t->id;
	tw->rcv_wscale = t->rcv_wscale;
	tw->rcv_wnd = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
	if (t->ts_ok) {
		tw->flags |= TW_TS;
		tw->ts_recent = t->ts_recent;
		tw->ts_offset = t->ts_offset;
		tw->ts_recent_stamp = t->ts_recent_stamp ? t->ts_recent_stamp : host_now(h);
	}
	if (fin_wait_2)
		tw->flags |= TW_FIN_WAIT_2;
	/* The entry takes over the TCB's hold on its port (Linux inet_twsk_hashdance
	 * puts it among the port's owners), and the TCB's places in the tables. */
	if (t->bound) {
		tw->flags |= TW_BOUND;
		if (t->bound_explicit)
			tw->flags |= TW_EXPLICIT;
		if (t->reuseaddr)
			tw->flags |= TW_REUSE;
		t->bound = t->bound_explicit = false;
	}
	tcb_unhash(t);
	hmap_put(&h->conns, h->env.alloc, conn_key(tw->lport, tw->raddr, tw->rport),
		 TW_TAG | tw->idx);
	hmap_put(&h->ids, h->env.alloc, tw->id, TW_TAG | tw->idx);
	tw_schedule(tw, fin_wait_2 ? tcb_fin_time(t) : knob_timewait_len(c));
	/* The full socket is done with (Linux tcp_done after tcp_time_wait): CLOSED for a
	 * descriptor still on it, and freed once none is. */
	t->handed_over = true;
	t->rcv_eof = true;
	tcb_timers_cancel_all(t);
	t->state = TCPS_CLOSED;
	tcb_release(t);
}

static void tw_send_ack(struct tw *tw)
{
	struct host *h = tw->h;
	struct seg *s = net_seg_alloc(h->env.net);

	if (!s)
		return;
	/* Linux tcp_v4_timewait_ack. */
	s->saddr = h->addr;
	s->daddr = tw->raddr;
	s->sport = tw->lport;
	s->dport = tw->rport;
	s->flags = SEG_ACK;
	s->seq = tw->snd_nxt;
	s->ack = tw->rcv_nxt;
	uint32_t w = tw->rcv_wnd >> tw->rcv_wscale;
	s->wnd = (uint16_t)(w > 65535 ? 65535 : w);
	if (tw->flags & TW_TS) {
		s->opt.present = SEG_OPT_TS;
		s->opt.ts_val = (uint32_t)(host_now(h) / VTIME_MS) + tw->ts_offset;
		s->opt.ts_ecr = tw->ts_recent;
	}
	h->ctr.out_segs++;
	net_send(h->env.net, h->env.node, s);
}

static void kill(struct tw *tw, const char *reason)
{
	tw->h->ctr.tw_killed++;
	tw_end(tw, reason);
}

/* Linux tcp_timewait_check_oow_rate_limit: an entry limits its answers as a full
 * socket does. */
static void tw_send_oow_ack(struct tw *tw, const struct seg *s)
{
	if (tcp_oow_may_answer(tw->h, &tw->last_oow_ms, s))
		tw_send_ack(tw);
}

void tw_input(struct host *h, uint32_t idx, const struct seg *s)
{
	struct tw *tw = tw_get(h, idx);
	const struct tcp_config *c = &h->cfg;
	bool has_ts = (tw->flags & TW_TS) && (s->opt.present & SEG_OPT_TS);
	/* PAWS (RFC 7323 5): an older timestamp marks an old duplicate. */
	bool paws_reject = has_ts && !(s->flags & SEG_RST) &&
			   (int32_t)(s->opt.ts_val - tw->ts_recent) < 0;
	uint32_t end = s->seq + seg_seqlen(s);

	if (tw->flags & TW_FIN_WAIT_2) {
		/* Linux: repeat the checks of tcp_rcv_state_process for FIN_WAIT_2. */
		uint32_t wnd = tw->rcv_wnd;
		bool in_window = seq_leq(tw->rcv_nxt, end) &&
				 seq_leq(s->seq, tw->rcv_nxt + (wnd ? wnd : 1));
		if (paws_reject || !in_window) {
			if (!(s->flags & SEG_RST))
				tw_send_oow_ack(tw, s);
			return;
		}
		if (s->flags & SEG_RST) {
			h->ctr.in_rsts++;
			kill(tw, "RST received");
			return;
		}
		if ((s->flags & SEG_SYN) && seq_geq(s->seq, tw->rcv_nxt)) {
			tcb_send_reset_for(h, s);
			tw_end(tw, "SYN in FIN_WAIT_2");
			return;
		}
		if (!(s->flags & SEG_ACK) || seq_leq(end, tw->rcv_nxt) || end == s->seq)
			return; /* a duplicate ACK */
		if (!(s->flags & SEG_FIN) || end != tw->rcv_nxt + 1) {
			/* New data after the application closed: reset (TCP_TW_RST), built
			 * from the segment. Unlike the full socket's abort this counts no
			 * TCPAbortOnData (measured, doc/linux-vs-rfc.md). */
			tcb_send_reset_for(h, s);
			tw_end(tw, "data after close");
			return;
		}
		/* The FIN: true TIME_WAIT now. */
		tw->flags &= (uint8_t)~TW_FIN_WAIT_2;
		tw->rcv_nxt = end;
		if (has_ts) {
			tw->ts_recent = s->opt.ts_val;
			tw->ts_recent_stamp = host_now(h);
		}
		emit(tw, TCP_EV_STATE, TCPS_FIN_WAIT_2, TCPS_TIME_WAIT, "FIN received", 0);
		tw_schedule(tw, knob_timewait_len(c));
		tw_send_ack(tw);
		return;
	}
	/* TIME_WAIT proper. A segment exactly at RCV.NXT with no data can only be an
	 * RST or a bare ACK. */
	if (!paws_reject && s->seq == tw->rcv_nxt && (s->seq == end || (s->flags & SEG_RST))) {
		if (s->flags & SEG_RST) {
			/* TIME_WAIT assassination (RFC 1337): tcp_rfc1337 = 1 ignores it. */
			h->ctr.in_rsts++;
			if (!c->k.rfc1337)
				kill(tw, "RST received");
			return;
		}
		tw_schedule(tw, knob_timewait_len(c));
		if (has_ts) {
			tw->ts_recent = s->opt.ts_val;
			tw->ts_recent_stamp = host_now(h);
		}
		return;
	}
	/* A new SYN is taken as a new incarnation when it cannot be an old duplicate:
	 * its sequence number is beyond RCV.NXT, or its timestamp is newer (RFC 6191).
	 * The new ISN is set above the old SND.NXT. */
	if ((s->flags & (SEG_SYN | SEG_RST | SEG_ACK)) == SEG_SYN && !paws_reject &&
	    (seq_gt(s->seq, tw->rcv_nxt) ||
	     (has_ts && (int32_t)(tw->ts_recent - s->opt.ts_val) < 0))) {
		uint32_t isn = tw->snd_nxt + 65535 + 2;
		tw_end(tw, "SYN of a new incarnation");
		uint32_t slot;
		if (hmap_get(&h->listeners, s->dport, &slot) == 0) {
			h->iss_hint = true;
			h->iss_hint_value = isn ? isn : 1;
			tcb_listen_input(h->tcbs[slot], s);
			h->iss_hint = false;
		} else {
			tcb_closed_input(h, s);
		}
		return;
	}
	if (paws_reject)
		h->ctr.paws_rejected++;
	if (s->flags & SEG_RST) {
		/* Linux drops any other RST silently; the rfc profile challenges one that
		 * falls in the window (RFC 5961 3.2, as RFC 9293 recommends). */
		if (c->r.tw_rst_challenge && seq_between(tw->rcv_nxt, s->seq,
							 tw->rcv_nxt + tw->rcv_wnd)) {
			h->ctr.challenge_acks++;
			tw_send_ack(tw);
		}
		return;
	}
	/* Anything else (a retransmitted FIN above all) is answered with an ACK, and
	 * restarts the wait when it carries an ACK: an ACKless SYN may be an old
	 * duplicate or a new SYN with a lower sequence number. */
	if (paws_reject || (s->flags & SEG_ACK))
		tw_schedule(tw, knob_timewait_len(c));
	tw_send_oow_ack(tw, s);
}

bool tw_reuse(struct host *h, uint32_t idx, bool bound, uint32_t *iss, uint32_t *ts_recent)
{
	struct tw *tw = tw_get(h, idx);
	const struct tcp_config *c = &h->cfg;
	/* tcp_tw_reuse 2 means loopback only: a connection to the host itself here. */
	bool loopback = tw->raddr == h->addr || (tw->raddr >> 24) == 127;
	bool allowed = c->r.tw_reuse_allowed &&
		       (bound || c->k.tw_reuse == 1 || (c->k.tw_reuse == 2 && loopback));

	/* Linux tcp_twsk_unique: timestamps must have been on (they protect the new
	 * connection from the old one's duplicates). For a port connect() chose
	 * (__inet_hash_connect passes twp), tcp_tw_reuse must allow it and the last
	 * timestamp must be from an earlier second than now; for a port the
	 * application bound, __inet_check_established is called without twp and
	 * timestamps alone suffice (measured: a socket bound over TIME_WAIT connected
	 * to the same peer 0.2 s after the close with tcp_tw_reuse 2 over veth,
	 * doc/linux-vs-rfc.md). */
	if (!allowed || tw_state(tw) != TCPS_TIME_WAIT || !(tw->flags & TW_TS) ||
	    (!bound && host_now(h) / VTIME_S <= tw->ts_recent_stamp / VTIME_S))
		return false;
	*iss = tw->snd_nxt + 65535 + 2;
	if (!*iss)
		*iss = 1;
	*ts_recent = tw->ts_recent;
	h->ctr.tw_recycled++;
	tw_end(tw, "reused by connect() (tcp_tw_reuse)");
	return true;
}

void tw_info(const struct tw *tw, struct tcp_info *i)
{
	memset(i, 0, sizeof(*i));
	i->id = tw->id;
	i->state = tw_state(tw);
	i->laddr = tw->h->addr;
	i->raddr = tw->raddr;
	i->lport = tw->lport;
	i->rport = tw->rport;
	i->orphan = true;
	i->snd_una = i->snd_nxt = tw->snd_nxt;
	i->rcv_nxt = tw->rcv_nxt;
	i->rcv_wnd = tw->rcv_wnd;
	i->ts_ok = !!(tw->flags & TW_TS);
	i->rcv_wscale = tw->rcv_wscale;
	i->eof = true;
	i->shut_rd = i->shut_wr = true;
	vtime_t at;
	if (tw->timer && evq_deadline(tw->h->env.q, tw->timer, &at) == 0)
		i->timer[(tw->flags & TW_FIN_WAIT_2) ? TCP_TIMER_FIN_WAIT_2 : TCP_TIMER_TIME_WAIT] = at;
}

void tw_free_all(struct host *h)
{
	for (uint32_t c = 0; c < h->tw_nchunks; c++) {
		for (uint32_t k = 0; k < TW_CHUNK; k++) {
			struct tw *tw = &h->tw_chunks[c][k];
			if (tw->in_use && tw->timer)
				evq_cancel(h->env.q, tw->timer);
		}
		mem_free(h->env.alloc, h->tw_chunks[c]);
	}
	mem_free(h->env.alloc, h->tw_chunks);
	mem_free(h->env.alloc, h->tw_free);
}
