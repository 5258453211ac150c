/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>

#include "tcp_internal.h"

/* Every TCP timer is one event on the world's clock (Linux tcp_timer.c). */

static void emit_timer(struct tcb *t, enum tcp_ev_kind kind, enum tcp_timer k, vtime_t when)
{
	struct tcp_event ev = {
		.kind = kind,
		.host = t->h->env.node,
		.sock = t->id,
		.timer = k,
		.when = when,
	};
	host_emit(t->h, &ev);
}

static void fire(struct tcb *t, enum tcp_timer k);

#define TIMER_CB(kind, name)                                                \
	static void name(void *arg)                                         \
	{                                                                   \
		fire(arg, kind);                                            \
	}
TIMER_CB(TCP_TIMER_RTO, fire_rto)
TIMER_CB(TCP_TIMER_TLP, fire_tlp)
TIMER_CB(TCP_TIMER_PERSIST, fire_persist)
TIMER_CB(TCP_TIMER_DELACK, fire_delack)
TIMER_CB(TCP_TIMER_KEEPALIVE, fire_keepalive)
TIMER_CB(TCP_TIMER_FIN_WAIT_2, fire_fin_wait_2)
TIMER_CB(TCP_TIMER_TIME_WAIT, fire_time_wait)
TIMER_CB(TCP_TIMER_LINGER, fire_linger)
#undef TIMER_CB

static const evq_fn callbacks[TCP_TIMER_COUNT] = {
	fire_rto, fire_tlp, fire_persist, fire_delack,
	fire_keepalive, fire_fin_wait_2, fire_time_wait, fire_linger,
};

bool tcb_timer_pending(const struct tcb *t, enum tcp_timer k)
{
	return t->timer[k] != 0;
}

void tcb_timer_cancel(struct tcb *t, enum tcp_timer k)
{
	if (!t->timer[k])
		return;
	evq_cancel(t->h->env.q, t->timer[k]);
	t->timer[k] = 0;
	emit_timer(t, TCP_EV_TIMER_CANCEL, k, t->timer_at[k]);
}

void tcb_timer_set(struct tcb *t, enum tcp_timer k, vtime_t delay)
{
	struct evq *q = t->h->env.q;
	vtime_t when = evq_now(q) + (delay > 0 ? delay : 0);

	if (t->timer[k]) {
		if (evq_reschedule(q, t->timer[k], when) == 0) {
			t->timer_at[k] = when;
			emit_timer(t, TCP_EV_TIMER_SET, k, when);
			return;
		}
		t->timer[k] = 0;
	}
	if (evq_schedule(q, when, callbacks[k], t, &t->timer[k]))
		return; /* out of memory: the timer is lost, as a failed allocation would be */
	t->timer_at[k] = when;
	emit_timer(t, TCP_EV_TIMER_SET, k, when);
}

void tcb_timers_cancel_all(struct tcb *t)
{
	for (int k = 0; k < TCP_TIMER_COUNT; k++)
		tcb_timer_cancel(t, (enum tcp_timer)k);
}

/* ---------------------------------------------------------------- RTT and RTO */

static vtime_t clamp_rto(const struct tcb *t, vtime_t rto)
{
	const struct tcp_knobs *k = &t->h->cfg.k;

	if (rto < k->rto_min && t->h->cfg.r.rto_rfc6298)
		rto = k->rto_min;
	return rto > k->rto_max ? k->rto_max : rto;
}

/*
 * Linux tcp_rtt_estimator and __tcp_set_rto: SRTT kept times 8, the mean deviation
 * times 4, and RTO = SRTT + max(mdev_max, rto_min) where mdev_max is the largest
 * deviation of the last round trip; so RTO is about SRTT + 200 ms on a short path.
 * The rfc profile uses RFC 6298 2.2-2.4: RTO = SRTT + max(G, 4 RTTVAR), at least 1 s.
 */
void tcb_rtt_sample(struct tcb *t, vtime_t m)
{
	const struct tcp_knobs *k = &t->h->cfg.k;

	if (m <= 0)
		m = 1;
	if (t->h->cfg.r.rto_rfc6298) {
		if (!t->srtt8) {
			t->srtt8 = 8 * m;
			t->rttvar = m / 2;
		} else {
			vtime_t srtt = t->srtt8 / 8, err = srtt > m ? srtt - m : m - srtt;
			t->rttvar = (3 * t->rttvar + err) / 4;
			t->srtt8 = t->srtt8 - t->srtt8 / 8 + m;
		}
		vtime_t var4 = 4 * t->rttvar;
		t->rto = clamp_rto(t, t->srtt8 / 8 + (var4 > VTIME_MS ? var4 : VTIME_MS));
		return;
	}
	if (t->srtt8) {
		vtime_t err = m - t->srtt8 / 8;
		t->srtt8 += err;
		if (err < 0) {
			err = -err;
			err -= t->mdev4 / 4;
			if (err > 0)
				err /= 8;
		} else {
			err -= t->mdev4 / 4;
		}
		t->mdev4 += err;
		if (t->mdev4 > t->mdev_max) {
			t->mdev_max = t->mdev4;
			if (t->mdev_max > t->rttvar)
				t->rttvar = t->mdev_max;
		}
		if (seq_gt(t->snd_una, t->rtt_seq)) {
			if (t->mdev_max < t->rttvar)
				t->rttvar -= (t->rttvar - t->mdev_max) / 4;
			t->rtt_seq = t->snd_nxt;
			t->mdev_max = k->rto_min;
		}
	} else {
		t->srtt8 = 8 * m;
		t->mdev4 = 2 * m;
		t->rttvar = t->mdev4 > k->rto_min ? t->mdev4 : k->rto_min;
		t->mdev_max = t->rttvar;
		t->rtt_seq = t->snd_nxt;
	}
	t->rto = clamp_rto(t, t->srtt8 / 8 + t->rttvar);
}

void tcb_rearm_rto(struct tcb *t)
{
	tcb_timer_cancel(t, TCP_TIMER_TLP);
	if (tcb_flight(t) == 0) {
		tcb_timer_cancel(t, TCP_TIMER_RTO);
		return;
	}
	tcb_timer_set(t, TCP_TIMER_RTO, t->rto);
}

/*
 * Linux tcp_schedule_loss_probe: with SACK, outside recovery and with data in
 * flight, probe after 2 SRTT, plus rto_min when a single segment is out (its ACK may
 * be delayed), but never later than the RTO would fire. The probe takes the RTO's
 * place until it has been sent.
 *
 * "A single segment" is Linux's packets_out == 1, a count of segments, not of bytes:
 * 100 bytes of data and a FIN sent after them are two (the kernel probed such a
 * close after 7 ms, BEHAVIOUR.md, the SO_LINGER {1,2} measurement). One segment is
 * out exactly when the oldest unacknowledged byte belongs to the last new segment.
 */
void tcb_schedule_tlp(struct tcb *t)
{
	const struct tcp_config *c = &t->h->cfg;

	if (!c->r.tlp || !t->sack_ok || t->in_recovery || t->tlp_out || !tcb_flight(t) ||
	    t->retransmits)
		return;
	vtime_t timeout;
	if (t->srtt8) {
		bool one = seq_geq(t->snd_una, t->last_seg_seq);
		timeout = t->srtt8 / 4 + (one ? c->k.rto_min : 2 * VTIME_MS);
	} else {
		timeout = c->k.rto_initial;
	}
	vtime_t rto_delta = tcb_timer_pending(t, TCP_TIMER_RTO)
				    ? t->timer_at[TCP_TIMER_RTO] - host_now(t->h)
				    : t->rto;
	if (rto_delta > 0 && rto_delta < timeout)
		timeout = rto_delta;
	tcb_timer_cancel(t, TCP_TIMER_RTO);
	tcb_timer_set(t, TCP_TIMER_TLP, timeout);
}

/* Linux tcp_fin_time: how long an orphan may wait in FIN_WAIT_2, tcp_fin_timeout but
 * at least 3.5 RTO ((rto << 2) - (rto >> 1)). */
vtime_t tcb_fin_time(const struct tcb *t)
{
	vtime_t tmo = t->h->cfg.k.fin_timeout, floor = 4 * t->rto - t->rto / 2;

	return tmo < floor ? floor : tmo;
}

/* Linux tcp_model_timeout: how long `boundary` doubling RTOs take from rto_min,
 * each capped at rto_max. 15 gives 924.6 s, 8 gives 102.2 s. */
static vtime_t model_timeout(const struct tcp_knobs *k, int boundary)
{
	int thresh = 0;

	for (vtime_t r = k->rto_max / k->rto_min; r > 1; r >>= 1)
		thresh++;
	if (boundary <= thresh)
		return ((2LL << boundary) - 1) * k->rto_min;
	return ((2LL << thresh) - 1) * k->rto_min + (vtime_t)(boundary - thresh) * k->rto_max;
}

/* Linux retransmits_timed_out, or the rfc profile's R2. */
static bool retries_exhausted(const struct tcb *t)
{
	const struct tcp_config *c = &t->h->cfg;

	if (!t->retrans_stamp)
		return false;
	vtime_t elapsed = host_now(t->h) - t->retrans_stamp;
	if (!c->r.retry_time_budget)
		return elapsed >= c->k.rfc_r2;
	int boundary = t->orphan ? knob_orphan_retries(c) : c->k.retries2;
	return elapsed >= model_timeout(&c->k, boundary);
}

static void give_up(struct tcb *t)
{
	struct host *h = t->h;

	h->ctr.abort_on_timeout++;
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		h->ctr.attempt_fails++;
	/* Linux tcp_write_err: no reset is sent; the application sees ETIMEDOUT. */
	tcb_done(t, -ETIMEDOUT, "retransmissions exhausted");
}

static void rto_fired(struct tcb *t)
{
	struct host *h = t->h;
	const struct tcp_config *c = &h->cfg;

	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED) {
		/* Linux tcp_write_timeout: SYNs and SYN-ACKs count retransmissions, and
		 * a SYN gets tcp_syn_linear_timeouts more, spent first at the initial RTO
		 * (tcp_retransmit_timer): SYNs at 0, 1, 2, 3, 4 s, then 5, 7, 11... */
		bool syn = t->state == TCPS_SYN_SENT;
		int linear = syn ? c->k.syn_linear_timeouts : 0;
		int limit = (syn ? c->k.syn_retries : c->k.synack_retries) + linear;
		if (t->retransmits >= limit) {
			give_up(t);
			return;
		}
		t->retransmits++;
		h->ctr.timeouts++;
		if (t->retransmits > linear) {
			t->backoff++;
			t->rto = t->rto * 2 > c->k.rto_max ? c->k.rto_max : t->rto * 2;
		}
		t->snd_nxt = t->iss;
		tcb_send_syn(t);
		tcb_timer_set(t, TCP_TIMER_RTO, t->rto);
		return;
	}
	if (!tcb_flight(t) && seq_geq(t->snd_una, t->snd_max))
		return;
	if (retries_exhausted(t)) {
		give_up(t);
		return;
	}
	/* Linux tcp_retransmit_skb: the time of the first retransmission, which the
	 * budget runs from. A loss probe before it does not count (it goes through
	 * __tcp_retransmit_skb), so this is the first RTO's. */
	if (!t->retrans_stamp)
		t->retrans_stamp = host_now(h);
	if (!t->retransmits) {
		/* Linux tcp_enter_loss: halve, then restart from one segment. */
		uint32_t mss = t->mss ? t->mss : 536;
		uint32_t segs = (t->snd_max - t->snd_una) / mss;
		t->ssthresh = segs / 2 > 2 ? segs / 2 : 2;
	}
	t->cwnd = 1;
	t->cwnd_cnt = 0;
	t->in_recovery = false;
	t->dupacks = 0;
	t->timing = false;
	h->ctr.timeouts++;
	/* Go back to SND.UNA: everything outstanding is presumed lost, and is sent
	 * again as the window opens (Linux marks it all lost). */
	t->snd_nxt = t->snd_una;
	tcb_retransmit_head(t);
	t->retransmits++;
	t->backoff++;
	t->rto = t->rto * 2 > c->k.rto_max ? c->k.rto_max : t->rto * 2;
	tcb_timer_set(t, TCP_TIMER_RTO, t->rto);
}

/* Linux tcp_send_loss_probe: new data if the window allows, otherwise the last
 * segment again; then the RTO takes over. */
static void tlp_fired(struct tcb *t)
{
	struct host *h = t->h;

	if (!tcb_flight(t))
		return;
	h->ctr.loss_probes++;
	t->tlp_out = true;
	t->tlp_high_seq = t->snd_max;
	if (tcb_unsent(t) && seq_gt(t->snd_una + t->snd_wnd, t->snd_nxt)) {
		uint32_t saved = t->cwnd;
		t->cwnd = t->cwnd + 1; /* the probe may exceed cwnd by one segment */
		tcb_output(t);
		t->cwnd = saved;
	} else {
		uint32_t nxt = t->snd_nxt;
		t->snd_nxt = t->last_seg_seq;
		uint32_t una = t->snd_una;
		t->snd_una = t->last_seg_seq; /* retransmit_head sends from SND.UNA */
		tcb_retransmit_head(t);
		t->snd_una = una;
		t->snd_nxt = nxt;
	}
	tcb_timer_cancel(t, TCP_TIMER_TLP);
	tcb_timer_set(t, TCP_TIMER_RTO, t->rto);
}

/* Linux tcp_probe0_when: the RTO shifted by the backoff, at most rto_max. */
vtime_t tcb_persist_when(const struct tcb *t)
{
	vtime_t max = t->h->cfg.k.rto_max;
	vtime_t when = t->rto << (t->backoff < 20 ? t->backoff : 20);

	return when > max ? max : when;
}

static void persist_fired(struct tcb *t)
{
	const struct tcp_config *c = &t->h->cfg;

	if (t->snd_wnd || !tcb_unsent(t))
		return;
	/* Linux tcp_probe_timer: give up after tcp_retries2 probes in a row that no ACK
	 * answered (icsk_probes_out, reset by any ACK). */
	if (t->probes >= (t->orphan ? knob_orphan_retries(c) : c->k.retries2)) {
		give_up(t);
		return;
	}
	/* tcp_send_probe0: each probe counts, and backs the next one off. */
	t->probes++;
	t->backoff++;
	t->h->ctr.zero_window_probes++;
	tcb_send_probe(t);
	tcb_timer_set(t, TCP_TIMER_PERSIST, tcb_persist_when(t));
}

static void keepalive_fired(struct tcb *t)
{
	const struct tcp_knobs *k = &t->h->cfg.k;

	if (!t->keepalive || t->state != TCPS_ESTABLISHED)
		return;
	if (t->probes >= k->keepalive_probes) {
		give_up(t);
		return;
	}
	t->probes++;
	tcb_send_probe(t);
	tcb_timer_set(t, TCP_TIMER_KEEPALIVE, k->keepalive_intvl);
}

/* Linux tcp_delack_timer_handler: a delayed ACK that had to wait for the timer
 * widens ato, or ends pingpong mode. */
static void delack_fired(struct tcb *t)
{
	const struct tcp_knobs *k = &t->h->cfg.k;

	if (!t->ack_pending)
		return;
	if (!t->pingpong) {
		t->ato = t->ato * 2 < t->rto ? t->ato * 2 : t->rto;
		if (t->ato < k->delack_min)
			t->ato = k->delack_min;
	} else {
		t->pingpong = false;
		t->ato = k->delack_min;
	}
	t->h->ctr.delayed_acks++;
	tcb_send_ack(t);
}

static void fire(struct tcb *t, enum tcp_timer k)
{
	t->timer[k] = 0;
	emit_timer(t, TCP_EV_TIMER_FIRE, k, t->timer_at[k]);
	switch (k) {
	case TCP_TIMER_RTO:
		rto_fired(t);
		break;
	case TCP_TIMER_TLP:
		tlp_fired(t);
		break;
	case TCP_TIMER_PERSIST:
		persist_fired(t);
		break;
	case TCP_TIMER_DELACK:
		delack_fired(t);
		break;
	case TCP_TIMER_KEEPALIVE:
		keepalive_fired(t);
		break;
	case TCP_TIMER_FIN_WAIT_2:
		t->h->ctr.fin_wait2_timeouts++;
		tcb_done(t, 0, "FIN_WAIT_2 timeout");
		break;
	case TCP_TIMER_TIME_WAIT:
		tcb_done(t, 0, "TIME_WAIT expired");
		break;
	case TCP_TIMER_LINGER:
		break; /* the lingering close() returns; the connection goes on */
	}
}

/* ---------------------------------------------------------------- delayed ACK */

/* Linux tcp_event_data_recv: ato follows the spacing of arriving data. */
void tcb_data_received(struct tcb *t, uint32_t len)
{
	const struct tcp_knobs *k = &t->h->cfg.k;
	vtime_t now = host_now(t->h);

	(void)len;
	t->ack_pending = true;
	if (!t->ato) {
		/* First data: quick ACKs for about half a window of segments. */
		uint32_t q = t->rcv_wnd / (2u * t->mss_offer);
		if (q > 16)
			q = 16;
		if ((uint32_t)t->quick < q)
			t->quick = (int)q;
		t->ato = k->delack_min;
	} else {
		vtime_t m = now - t->lrcvtime;
		if (m <= k->delack_min / 2) {
			t->ato = t->ato / 2 + k->delack_min / 2;
		} else if (m < t->ato) {
			t->ato = t->ato / 2 + m;
			if (t->ato > t->rto)
				t->ato = t->rto;
		} else if (m > t->rto) {
			uint32_t q = t->rcv_wnd / (2u * t->mss_offer);
			if (q > 16)
				q = 16;
			if ((uint32_t)t->quick < q)
				t->quick = (int)q;
		}
	}
	t->lrcvtime = now;
	if (t->keepalive)
		t->probes = 0;
}

/* Linux tcp_event_data_sent: sending soon after receiving means the exchange is
 * interactive, so ACKs can wait to ride on the replies (pingpong). */
void tcb_data_sent(struct tcb *t)
{
	vtime_t now = host_now(t->h);

	if (t->ato && now - t->lrcvtime < t->ato)
		t->pingpong = true;
	t->lsndtime = now;
}

void tcb_ack_sent(struct tcb *t)
{
	t->ack_pending = false;
	t->ack_now = false;
	t->rcv_unacked = 0;
	tcb_timer_cancel(t, TCP_TIMER_DELACK);
}

/* Linux __tcp_ack_snd_check and tcp_send_delayed_ack; the rfc profile ACKs every
 * second full segment at once and delays the rest by delack_max (RFC 9293 3.8.6.3). */
void tcb_ack_scheduled(struct tcb *t)
{
	const struct tcp_config *c = &t->h->cfg;

	if (t->ack_now) {
		tcb_send_ack(t);
		return;
	}
	if (!t->ack_pending)
		return;
	if (!c->r.delack_linux) {
		if (t->rcv_unacked >= 2u * t->mss_offer)
			tcb_send_ack(t);
		else if (!tcb_timer_pending(t, TCP_TIMER_DELACK))
			tcb_timer_set(t, TCP_TIMER_DELACK, c->k.delack_max);
		return;
	}
	if (t->rcv_unacked > t->mss_offer || (t->quick > 0 && !t->pingpong)) {
		if (t->quick > 0 && !t->pingpong)
			t->quick--;
		tcb_send_ack(t);
		return;
	}
	vtime_t ato = t->ato;
	if (ato > c->k.delack_min) {
		vtime_t max_ato = 500 * VTIME_MS;
		if (t->pingpong)
			max_ato = c->k.delack_max;
		if (t->srtt8) {
			vtime_t rtt = t->srtt8 / 8 > c->k.delack_min ? t->srtt8 / 8 : c->k.delack_min;
			if (rtt < max_ato)
				max_ato = rtt;
		}
		if (ato > max_ato)
			ato = max_ato;
	}
	vtime_t now = host_now(t->h), when = now + ato;
	if (tcb_timer_pending(t, TCP_TIMER_DELACK)) {
		/* An ACK already waiting: send it if its time is near, else keep the
		 * earlier deadline. */
		if (t->timer_at[TCP_TIMER_DELACK] <= now + ato / 4) {
			tcb_send_ack(t);
			return;
		}
		if (when > t->timer_at[TCP_TIMER_DELACK])
			return;
	}
	tcb_timer_set(t, TCP_TIMER_DELACK, when - now);
}
