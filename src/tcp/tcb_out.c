/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

/* Output: every segment a host sends is built here (Linux tcp_output.c). */

uint32_t tcb_ts_now(const struct tcb *t)
{
	/* Linux's TCP timestamp clock ticks every millisecond (tcp_time_stamp_ts), with
	 * a random offset per connection (tsoffset). */
	return (uint32_t)(host_now(t->h) / VTIME_MS) + t->ts_offset;
}

static uint32_t data_end(const struct tcb *t)
{
	return t->sndq_seq + (uint32_t)t->sndq.len;
}

uint32_t tcb_flight(const struct tcb *t)
{
	return t->snd_nxt - t->snd_una;
}

uint32_t tcb_unsent(const struct tcb *t)
{
	uint32_t end = data_end(t);

	return seq_lt(t->snd_nxt, end) ? end - t->snd_nxt : 0;
}

/*
 * The window to advertise, in bytes (Linux __tcp_select_window, simplified): half
 * the free receive buffer (the default window-to-space ratio), bounded by
 * rcv_ssthresh as it grows; no window smaller than a segment is offered while the
 * buffer is over half full (receiver silly window avoidance, RFC 9293 3.8.6.2.2);
 * rounded up to the scale unit as Linux does; and never shrinking the right edge
 * already advertised.
 */
uint32_t tcb_rcv_window(struct tcb *t)
{
	uint32_t full = t->rcvbuf / 2;
	uint64_t used = (t->rcvq.len + t->ooo_bytes) / 2;
	uint32_t free_space = used >= full ? 0 : full - (uint32_t)used;
	uint32_t mss = t->mss_offer;
	uint32_t win;

	if (free_space < full / 2 && free_space < mss)
		win = 0;
	else
		win = free_space < t->rcv_ssthresh ? free_space : t->rcv_ssthresh;
	if (t->rcv_wscale && win) {
		uint32_t unit = 1u << t->rcv_wscale;
		win = (win + unit - 1) & ~(unit - 1);
	}
	if (win > 65535u << t->rcv_wscale)
		win = 65535u << t->rcv_wscale;
	if (seq_gt(t->rcv_adv, t->rcv_nxt + win))
		win = t->rcv_adv - t->rcv_nxt;
	return win;
}

/*
 * SACK blocks for what is held out of order (RFC 2018 4): contiguous runs of the
 * queue, the one holding the latest arrival first, then the others in sequence
 * order; three fit beside the timestamp option, four without it.
 */
static void add_sack(const struct tcb *t, struct seg_opts *o)
{
	struct seg_sack runs[32];
	int n = 0, latest = 0;

	for (const struct ooo_seg *q = t->ooo; q && n < 32; q = q->next) {
		if (n && seq_leq(q->seq, runs[n - 1].right)) {
			if (seq_gt(q->seq + q->len, runs[n - 1].right))
				runs[n - 1].right = q->seq + q->len;
		} else {
			runs[n++] = (struct seg_sack){ q->seq, q->seq + q->len };
		}
		if (seq_between(q->seq, t->ooo_last, q->seq + q->len))
			latest = n - 1;
	}
	if (!n)
		return;
	int max = (o->present & SEG_OPT_TS) ? 3 : 4;
	o->present |= SEG_OPT_SACK;
	o->sack[o->nsack++] = runs[latest];
	for (int i = 0; i < n && o->nsack < max; i++)
		if (i != latest)
			o->sack[o->nsack++] = runs[i];
}

/* A segment from this connection with the common fields filled. */
static struct seg *new_seg(struct tcb *t, uint8_t flags, uint32_t seq)
{
	struct seg *s = net_seg_alloc(t->h->env.net);

	if (!s)
		return NULL;
	s->saddr = t->laddr;
	s->daddr = t->raddr;
	s->sport = t->lport;
	s->dport = t->rport;
	s->flags = flags;
	s->seq = seq;
	if (flags & SEG_ACK)
		s->ack = t->rcv_nxt;
	if (!(flags & SEG_SYN)) {
		uint32_t win = tcb_rcv_window(t);
		if (!(flags & SEG_RST))
			t->rcv_adv = t->rcv_nxt + win;
		t->rcv_wnd = win;
		s->wnd = (uint16_t)(win >> t->rcv_wscale);
		if (t->ts_ok) {
			s->opt.present |= SEG_OPT_TS;
			s->opt.ts_val = tcb_ts_now(t);
			s->opt.ts_ecr = t->ts_recent;
		}
		if (t->sack_ok && t->ooo && (flags & SEG_ACK) && !(flags & SEG_RST))
			add_sack(t, &s->opt);
	}
	return s;
}

static void transmit(struct tcb *t, struct seg *s)
{
	struct host *h = t->h;

	h->ctr.out_segs++;
	if (s->flags & SEG_ACK) {
		tcb_ack_sent(t);
	}
	net_send(h->env.net, h->env.node, s);
}

void tcb_send_ack(struct tcb *t)
{
	struct seg *s = new_seg(t, SEG_ACK, t->snd_nxt);

	if (s)
		transmit(t, s);
}

/* Linux tcp_send_active_reset: RST with ACK, from SND.NXT. */
void tcb_send_rst(struct tcb *t)
{
	struct seg *s = new_seg(t, SEG_RST | SEG_ACK, t->snd_nxt);

	if (!s)
		return;
	t->h->ctr.out_rsts++;
	transmit(t, s);
}

int tcb_send_reset_for(struct host *h, const struct seg *in)
{
	struct seg *s = net_seg_alloc(h->env.net);

	if (!s)
		return -ENOMEM;
	if (!seg_make_reset(in, s)) {
		net_seg_free(h->env.net, s);
		return 0;
	}
	h->ctr.out_rsts++;
	h->ctr.out_segs++;
	return net_send(h->env.net, h->env.node, s);
}

/* The SYN in SYN_SENT, the SYN-ACK in SYN_RECEIVED, with Linux's options. */
void tcb_send_syn(struct tcb *t)
{
	const struct tcp_config *c = &t->h->cfg;
	bool synack = t->state == TCPS_SYN_RECEIVED;
	struct seg *s = new_seg(t, synack ? SEG_SYN | SEG_ACK : SEG_SYN, t->iss);

	if (!s)
		return;
	/* RFC 7323 2.2: the window in a SYN is never scaled. */
	s->wnd = (uint16_t)(t->rcv_wnd > 65535 ? 65535 : t->rcv_wnd);
	t->rcv_adv = t->rcv_nxt + t->rcv_wnd;
	s->opt.present = SEG_OPT_MSS;
	s->opt.mss = t->mss_offer;
	/* A SYN offers what the knobs allow; a SYN-ACK answers only what was offered. */
	if (synack ? t->sack_ok : c->k.sack)
		s->opt.present |= SEG_OPT_SACKOK;
	if (synack ? t->ts_ok : c->k.timestamps) {
		s->opt.present |= SEG_OPT_TS;
		s->opt.ts_val = tcb_ts_now(t);
		/* Linux tcp_syn_options: TS ecr is ts_recent, 0 on a fresh connection
		 * but the peer's last TS val when connect() took over a TIME_WAIT
		 * 4-tuple (measured, doc/linux-vs-rfc.md, tcp_tw_reuse). */
		s->opt.ts_ecr = t->ts_recent;
	}
	if (synack ? t->ws_ok : c->k.window_scaling) {
		s->opt.present |= SEG_OPT_WSCALE;
		s->opt.wscale = t->rcv_wscale;
	}
	if (t->snd_nxt != t->iss || seq_gt(t->snd_max, t->iss)) {
		t->h->ctr.retrans_segs++;
		t->h->ctr.syn_retrans++;
		t->timing = false; /* Karn: a retransmitted SYN cannot be timed */
	} else {
		t->timing = true;
		t->timed_seq = t->iss + 1;
		t->timed_at = host_now(t->h);
	}
	t->snd_nxt = t->iss + 1;
	if (seq_gt(t->snd_nxt, t->snd_max))
		t->snd_max = t->snd_nxt;
	transmit(t, s);
	if (!tcb_timer_pending(t, TCP_TIMER_RTO))
		tcb_timer_set(t, TCP_TIMER_RTO, t->rto);
}

/* Sends [seq, seq+len) of the queue, with FIN if asked. Returns false when no
 * segment could be had. */
static bool send_data(struct tcb *t, uint32_t seq, uint32_t len, bool fin)
{
	struct host *h = t->h;
	uint8_t flags = SEG_ACK;

	if (len && seq + len == data_end(t))
		flags |= SEG_PSH;
	if (fin)
		flags |= SEG_FIN;
	struct seg *s = new_seg(t, flags, seq);
	if (!s)
		return false;
	s->len = len;
	if (len && bytes_real(&t->sndq)) {
		s->data = mem_alloc(host_alloc(h), len);
		if (!s->data) {
			net_seg_free(h->env.net, s);
			return false;
		}
		bytes_peek(&t->sndq, seq - t->sndq_seq, len, s->data);
	}
	uint32_t end = seq + len + fin;
	if (seq_lt(seq, t->snd_max)) {
		h->ctr.retrans_segs++;
		/* Karn: a sample would not say which transmission was answered. */
		if (t->timing && seq_lt(seq, t->timed_seq))
			t->timing = false;
	} else if (!t->timing) {
		t->timing = true;
		t->timed_seq = end;
		t->timed_at = host_now(h);
	}
	if (seq_geq(seq, t->snd_max) || seq_gt(end, t->snd_max))
		t->last_seg_seq = seq;
	if (len && len < t->mss)
		t->snd_sml = end;
	if (len)
		tcb_data_sent(t);
	transmit(t, s);
	return true;
}

void tcb_output(struct tcb *t)
{
	bool sent = false;

	switch (t->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT_1:
	case TCPS_CLOSING:
	case TCPS_LAST_ACK:
		break;
	default:
		return;
	}
	for (;;) {
		uint32_t nxt = t->snd_nxt, end = data_end(t);
		uint32_t avail = seq_lt(nxt, end) ? end - nxt : 0;
		bool fin_due = t->fin_queued && seq_leq(nxt, end);

		if (!avail && !fin_due)
			break;
		uint32_t wnd_end = t->snd_una + t->snd_wnd;
		uint32_t wnd_avail = seq_gt(wnd_end, nxt) ? wnd_end - nxt : 0;
		uint32_t flight = tcb_flight(t);
		uint32_t mss = t->mss ? t->mss : 536;
		uint64_t cwnd_bytes = (uint64_t)t->cwnd * mss;
		uint32_t cwnd_avail = cwnd_bytes > flight ? (uint32_t)(cwnd_bytes - flight) : 0;
		uint32_t len = avail;

		if (len > mss)
			len = mss;
		if (len > wnd_avail)
			len = wnd_avail;
		if (len > cwnd_avail)
			len = cwnd_avail;
		/* The FIN rides on the segment that empties the queue (Linux tcp_send_fin
		 * marks the last unsent skb), or alone once the data is out. */
		/* A FIN alone is never held back by the congestion window (Linux
		 * tcp_cwnd_test: "don't be strict about the congestion window for the
		 * final FIN"). */
		bool fin = fin_due && len == avail;
		if (!len && !fin) {
			/* Zero window with nothing in flight: probe it (RFC 9293 3.8.6.1). */
			if (avail && !wnd_avail && !flight &&
			    !tcb_timer_pending(t, TCP_TIMER_PERSIST))
				tcb_timer_set(t, TCP_TIMER_PERSIST, t->rto);
			break;
		}
		/* Nagle (RFC 896) in Minshall's form, as Linux tcp_nagle_check: hold a
		 * small final segment while an earlier small one is unacknowledged. */
		if (len < mss && len == avail && !fin && !t->nodelay && flight &&
		    seq_gt(t->snd_sml, t->snd_una))
			break;
		if (!send_data(t, nxt, len, fin))
			break;
		t->snd_nxt = nxt + len + fin;
		if (seq_gt(t->snd_nxt, t->snd_max))
			t->snd_max = t->snd_nxt;
		sent = true;
	}
	if (sent && !tcb_timer_pending(t, TCP_TIMER_RTO) &&
	    !tcb_timer_pending(t, TCP_TIMER_TLP)) {
		tcb_rearm_rto(t);
	}
	if (sent)
		tcb_schedule_tlp(t);
}

/* One segment from SND.UNA, as Linux retransmits the head of its queue, merging
 * what follows up to an MSS and the FIN when it fits (tcp_retrans_try_collapse). */
void tcb_retransmit_head(struct tcb *t)
{
	uint32_t end = data_end(t), una = t->snd_una;
	uint32_t mss = t->mss ? t->mss : 536;
	uint32_t avail = seq_lt(una, end) ? end - una : 0;
	uint32_t len = avail < mss ? avail : mss;
	bool fin = t->fin_queued && len == avail && seq_gt(t->snd_max, end);

	if (!len && !fin)
		return;
	/* Only what was sent before is sent again. */
	if (seq_gt(una + len, t->snd_max))
		len = t->snd_max - una;
	send_data(t, una, len, fin);
	if (seq_lt(t->snd_nxt, una + len + fin))
		t->snd_nxt = una + len + fin;
}

/* A segment with an old sequence number, which the peer must answer with an ACK:
 * the zero-window probe and the keepalive (Linux tcp_xmit_probe_skb). */
void tcb_send_probe(struct tcb *t)
{
	struct seg *s = new_seg(t, SEG_ACK, t->snd_una - 1);

	if (s)
		transmit(t, s);
}
