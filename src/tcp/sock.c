/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tcp_internal.h"

/*
 * The sockets API (Linux af_inet.c and tcp.c semantics). Each call reports itself to
 * the observers with its result, so a log or ladder shows "close()" where it happened.
 */

static long call_done(struct host *h, const char *call, int fd, uint32_t sid, long result)
{
	struct tcp_event ev = {
		.kind = TCP_EV_CALL,
		.host = h->env.node,
		.sock = sid,
		.call = call,
		.fd = fd,
		.result = result,
	};
	host_emit(h, &ev);
	return result;
}

/* Every call reports itself: its name (the function's, less "sock_"), descriptor,
 * connection id (taken before the call may free the connection) and result. */
#define RETURN(result) return (int)call_done(h, __func__ + 5, fd, sid, (result))
#define RETURN_LONG(result) return call_done(h, __func__ + 5, fd, sid, (result))

/* sock_error(): the pending error, reported once. */
static int take_error(struct tcb *t)
{
	int err = t->sk_err;

	t->sk_err = 0;
	return err;
}

int sock_socket(struct host *h)
{
	int fd = -1;
	struct tcb *t = tcb_alloc(h);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-ENOMEM);
	fd = host_fd_alloc(h, t);
	if (fd < 0) {
		int err = fd;
		tcb_release(t);
		RETURN(err);
	}
	RETURN(fd);
}

/* Linux inet_csk_find_open_port for bind(0): the other parity first (odd ports
 * when the range starts even), from a random offset, any port nobody holds. */
static int bind_ephemeral(struct host *h, struct tcb *t)
{
	uint32_t low = (uint32_t)h->cfg.k.port_lo, high = (uint32_t)h->cfg.k.port_hi;
	uint32_t n = high - low + 1;
	uint32_t off = (uint32_t)rng_below(h->env.rng, n) | 1u;

	for (int pass = 0; pass < 2; pass++, off++) {
		for (uint32_t i = 0; i < n; i += 2) {
			uint16_t port = (uint16_t)(low + (off + i) % n);
			uint32_t idx;
			if (hmap_get(&h->ports, port, &idx) == 0 && h->port_use[idx].total)
				continue;
			return host_bind_port(h, t, port);
		}
	}
	return -EADDRINUSE;
}

int sock_bind(struct host *h, int fd, uint16_t port)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	if (t->bound || t->state != TCPS_CLOSED)
		RETURN(-EINVAL);
	RETURN(port ? host_bind_port(h, t, port) : bind_ephemeral(h, t));
}

int sock_listen(struct host *h, int fd, int backlog)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	if (t->state == TCPS_LISTEN) {
		t->backlog = backlog < h->cfg.k.somaxconn ? backlog : h->cfg.k.somaxconn;
		RETURN(0);
	}
	if (t->state != TCPS_CLOSED || t->connect_started)
		RETURN(-EINVAL);
	if (!t->bound) {
		int rc = bind_ephemeral(h, t);
		if (rc)
			RETURN(rc);
	}
	if (hmap_get(&h->listeners, t->lport, NULL) == 0)
		RETURN(-EADDRINUSE);
	int rc = hmap_put(&h->listeners, h->env.alloc, t->lport, t->slot);
	if (rc)
		RETURN(rc);
	uint32_t idx;
	if (hmap_get(&h->ports, t->lport, &idx) == 0)
		h->port_use[idx].listening++;
	t->listening = true;
	if (backlog < 0)
		backlog = 0;
	t->backlog = backlog < h->cfg.k.somaxconn ? backlog : h->cfg.k.somaxconn;
	tcb_set_state(t, TCPS_LISTEN, "listen()");
	RETURN(0);
}

int sock_accept(struct host *h, int fd)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	if (t->state != TCPS_LISTEN)
		RETURN(-EINVAL);
	struct tcb *c = t->acceptq;
	if (!c)
		RETURN(-EAGAIN);
	/* Take it off the listener's lists: from now on it is the application's. */
	t->acceptq = c->next_accept;
	t->naccept--;
	for (struct tcb **pp = &t->children; *pp; pp = &(*pp)->next_child) {
		if (*pp == c) {
			*pp = c->next_child;
			t->nchildren--;
			break;
		}
	}
	c->parent = NULL;
	c->next_child = c->next_accept = NULL;
	int nfd = host_fd_alloc(h, c);
	if (nfd < 0) {
		tcb_send_rst(c);
		tcb_done(c, 0, "accept failed");
		RETURN(nfd);
	}
	RETURN(nfd);
}

int sock_connect(struct host *h, int fd, uint32_t addr, uint16_t port)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	/* Linux inet_stream_connect. */
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		RETURN(-EALREADY);
	/* A socket that was connected stays so for connect(), even once closed
	 * (sock->state SS_CONNECTED); one whose attempt failed may try again. */
	if (t->state != TCPS_CLOSED || t->connected)
		RETURN(-EISCONN);
	if (!port)
		RETURN(-ECONNREFUSED);
	t->raddr = addr;
	t->rport = port;
	int rc;
	if (!t->bound) {
		rc = host_pick_port(h, t, addr, port);
		if (rc)
			RETURN(rc);
	} else {
		/* A port fixed by bind(): the 4-tuple must be free, or held by a TIME_WAIT
		 * entry that tcp_tw_reuse lets go. */
		uint32_t held;
		if (hmap_get(&h->conns, conn_key(t->lport, addr, port), &held) == 0) {
			if (!(held & TW_TAG) ||
			    !tw_reuse(h, held & ~TW_TAG, true, &t->tw_iss, &t->tw_ts_recent))
				RETURN(-EADDRNOTAVAIL);
			t->tw_reused = true;
		}
	}
	tcb_init_from_config(t);
	rc = tcb_hash(t);
	if (rc) {
		host_unbind(t);
		RETURN(rc == -EADDRINUSE ? -EADDRNOTAVAIL : rc);
	}
	t->sk_err = 0;
	t->rcv_eof = false;
	t->fin_rcvd = false;
	t->connect_started = true;
	/* Linux tcp_twsk_unique: a reused TIME_WAIT 4-tuple starts above the old
	 * SND.NXT, remembering its last timestamp. */
	t->iss = t->tw_reused ? t->tw_iss : host_new_iss(h);
	if (t->tw_reused && t->h->cfg.k.timestamps) {
		t->ts_recent = t->tw_ts_recent;
		t->ts_recent_stamp = host_now(h);
	}
	t->tw_reused = false;
	t->snd_una = t->snd_nxt = t->snd_max = t->iss;
	t->sndq_seq = t->iss + 1;
	t->snd_wl2 = t->iss;
	h->ctr.active_opens++;
	tcb_set_state(t, TCPS_SYN_SENT, "connect()");
	tcb_send_syn(t);
	RETURN(-EINPROGRESS);
}

int sock_connect_result(struct host *h, int fd)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		RETURN(-EALREADY);
	if (t->sk_err)
		RETURN(take_error(t));
	RETURN(t->connect_started ? 0 : -ENOTCONN);
}

long sock_send(struct host *h, int fd, const uint8_t *data, size_t len, int flags)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;
	long rc;

	if (!t)
		RETURN_LONG(-EBADF);
	/* Linux tcp_sendmsg_locked and sk_stream_wait_connect, in their order. A
	 * pending EPIPE (an RST in CLOSE_WAIT) raises SIGPIPE as any EPIPE does
	 * (sk_stream_error). */
	if (t->sk_err) {
		rc = take_error(t);
		if (rc == -EPIPE)
			goto epipe;
		RETURN_LONG(rc);
	}
	if (t->shut_wr || t->fin_queued) {
		rc = -EPIPE;
		goto epipe;
	}
	if (t->state == TCPS_SYN_SENT || t->state == TCPS_SYN_RECEIVED)
		RETURN_LONG(-EAGAIN);
	if (t->state != TCPS_ESTABLISHED && t->state != TCPS_CLOSE_WAIT) {
		rc = -EPIPE;
		goto epipe;
	}
	if (!len)
		RETURN_LONG(0);
	uint64_t space = t->sndq.len < t->sndbuf ? t->sndbuf - t->sndq.len : 0;
	if (!space)
		RETURN_LONG(-EAGAIN);
	uint64_t n = len < space ? len : space;
	if (bytes_push(&t->sndq, h->env.alloc, data, n))
		RETURN_LONG(-ENOMEM);
	tcb_output(t);
	RETURN_LONG((long)n);
epipe:
	if (!(flags & SOCK_MSG_NOSIGNAL))
		h->ctr.sigpipes++;
	RETURN_LONG(rc);
}

long sock_recv(struct host *h, int fd, uint8_t *buf, size_t len)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN_LONG(-EBADF);
	if (t->state == TCPS_LISTEN)
		RETURN_LONG(-ENOTCONN);
	/* Linux tcp_recvmsg: queued data first, then the error, then end of stream. */
	if (t->rcvq.len && len) {
		uint32_t before = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
		uint64_t n = len < t->rcvq.len ? len : t->rcvq.len;
		bytes_peek(&t->rcvq, 0, n, buf);
		bytes_drop(&t->rcvq, n);
		/* Linux tcp_cleanup_rbuf: a read that at least doubles the window is
		 * announced at once. */
		if (t->state >= TCPS_ESTABLISHED && !t->rcv_eof && t->state != TCPS_CLOSED) {
			uint32_t after = tcb_rcv_window(t);
			if (after && after >= 2 * before && 2 * before <= t->rcvbuf / 2)
				tcb_send_ack(t);
		}
		RETURN_LONG((long)n);
	}
	if (!len)
		RETURN_LONG(0);
	/* Linux tcp_recvmsg checks SOCK_DONE (the peer's FIN was received) before the
	 * pending error: after FIN then RST, reads return 0 and the error waits for a
	 * send(). */
	if (t->fin_rcvd)
		RETURN_LONG(0);
	if (t->sk_err) {
		long rc = take_error(t);
		RETURN_LONG(rc);
	}
	if (t->rcv_eof || t->shut_rd)
		RETURN_LONG(0);
	if (t->state == TCPS_CLOSED)
		RETURN_LONG(-ENOTCONN);
	RETURN_LONG(-EAGAIN);
}

/* The sequence number of our FIN (after the last queued byte). */
static uint32_t fin_end(const struct tcb *t)
{
	return t->sndq_seq + (uint32_t)t->sndq.len;
}

/* Linux tcp_close_state: the state after our FIN, and whether to send one. */
static bool close_state(struct tcb *t)
{
	switch (t->state) {
	case TCPS_ESTABLISHED:
	case TCPS_SYN_RECEIVED:
		tcb_set_state(t, TCPS_FIN_WAIT_1, t->orphan ? "close()" : "shutdown()");
		return true;
	case TCPS_CLOSE_WAIT:
		tcb_set_state(t, TCPS_LAST_ACK, t->orphan ? "close()" : "shutdown()");
		return true;
	default:
		return false;
	}
}

static void send_fin(struct tcb *t)
{
	t->fin_queued = true;
	tcb_output(t);
}

/* Ends a listener: children not yet accepted are reset if established (Linux
 * inet_csk_listen_stop), or dropped quietly if still opening. */
static void stop_listening(struct tcb *t)
{
	while (t->children) {
		struct tcb *c = t->children;
		if (c->state != TCPS_SYN_RECEIVED)
			tcb_send_rst(c);
		tcb_done(c, -ECONNRESET, "listener closed");
	}
	if (t->listening) {
		uint32_t idx;
		if (hmap_get(&t->h->ports, t->lport, &idx) == 0)
			t->h->port_use[idx].listening--;
		t->listening = false;
	}
	tcb_unhash(t);
}

int sock_shutdown(struct host *h, int fd, int how)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	if (how < SOCK_SHUT_RD || how > SOCK_SHUT_RDWR)
		RETURN(-EINVAL);
	bool rd = how != SOCK_SHUT_WR, wr = how != SOCK_SHUT_RD;
	/* Linux inet_shutdown. */
	switch (t->state) {
	case TCPS_CLOSED:
		t->shut_rd |= rd;
		t->shut_wr |= wr;
		RETURN(-ENOTCONN);
	case TCPS_LISTEN:
		if (rd) {
			stop_listening(t);
			tcb_set_state(t, TCPS_CLOSED, "shutdown()");
		}
		RETURN(0);
	case TCPS_SYN_SENT:
		/* tcp_disconnect: the attempt ends quietly; its error is ECONNRESET. */
		tcb_done(t, -ECONNRESET, "shutdown()");
		RETURN(0);
	default:
		break;
	}
	t->shut_rd |= rd;
	if (wr && !t->shut_wr) {
		t->shut_wr = true;
		if (close_state(t))
			send_fin(t);
	}
	RETURN(0);
}

int sock_close(struct host *h, int fd)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;
	const struct tcp_rules *r = &h->cfg.r;

	if (!t)
		RETURN(-EBADF);
	host_fd_free(h, fd);
	/* Only the last descriptor acts on the connection. */
	if (t->refs > 0)
		RETURN(0);
	/* Linux __tcp_close. */
	t->orphan = true;
	t->shut_rd = t->shut_wr = true;
	if (t->state == TCPS_LISTEN) {
		stop_listening(t);
		tcb_done(t, 0, "close()");
		RETURN(0);
	}
	uint64_t unread = t->rcvq.len + t->ooo_bytes;
	bytes_drop(&t->rcvq, t->rcvq.len);
	if (t->state == TCPS_CLOSED) {
		tcb_done(t, 0, "close()");
		RETURN(0);
	}
	if (t->state == TCPS_SYN_SENT) {
		/* Nothing is sent (tcp_close_state: SYN_SENT goes to CLOSED). */
		tcb_done(t, 0, "close()");
		RETURN(0);
	}
	if (unread && r->rst_on_unread) {
		/* Unread data tossed: zap the connection (RFC 2525 2.17). */
		h->ctr.abort_on_close++;
		tcb_send_rst(t);
		tcb_done(t, 0, "close() with unread data");
		RETURN(0);
	}
	if (t->linger_on && t->linger_s == 0) {
		/* SO_LINGER {1,0}: abort, discarding the send queue. Linux counts this
		 * as TCPAbortOnData (tcp_close's zero-linger branch). tcp_disconnect
		 * sends the RST only where tcp_need_reset says (ESTABLISHED, CLOSE_WAIT,
		 * FIN_WAIT_1, FIN_WAIT_2, SYN_RECEIVED), or in CLOSING and LAST_ACK while
		 * something is still unsent (snd_nxt != write_seq); once the FIN is out
		 * there, the connection just goes. */
		bool unsent = tcb_unsent(t) || (t->fin_queued && seq_leq(t->snd_nxt, fin_end(t)));
		bool rst;
		switch (t->state) {
		case TCPS_ESTABLISHED:
		case TCPS_CLOSE_WAIT:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
		case TCPS_SYN_RECEIVED:
			rst = true;
			break;
		case TCPS_CLOSING:
		case TCPS_LAST_ACK:
			rst = unsent;
			break;
		default:
			rst = false;
			break;
		}
		h->ctr.abort_on_data++;
		if (rst)
			tcb_send_rst(t);
		tcb_done(t, 0, "close() with SO_LINGER 0");
		RETURN(0);
	}
	if (!t->shut_wr || !t->fin_queued) {
		if (close_state(t))
			send_fin(t);
	}
	/* SO_LINGER {1,N}: close() waits, even on a non-blocking socket (measured:
	 * O_NONBLOCK made no difference, doc/linux-vs-rfc.md, SO_LINGER {1,2}). */
	if (t->linger_on && t->linger_s > 0 && t->state != TCPS_CLOSED)
		tcb_timer_set(t, TCP_TIMER_LINGER, (vtime_t)t->linger_s * VTIME_S);
	/* An orphan already in FIN_WAIT_2 (the application had shut down writing) now
	 * waits tcp_fin_timeout at most, as a compact entry (Linux tcp_close). */
	if (t->state == TCPS_FIN_WAIT_2 && r->orphan_fin_wait2_timeout)
		tw_enter(t, true, "close()");
	RETURN(0);
}

int sock_dup(struct host *h, int fd)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	RETURN(host_fd_alloc(h, t));
}

int sock_setsockopt(struct host *h, int fd, enum sock_opt opt, int value, int value2)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	switch (opt) {
	case SOCKOPT_REUSEADDR:
		host_set_reuseaddr(t, value != 0);
		break;
	case SOCKOPT_LINGER:
		if (value2 < 0)
			RETURN(-EINVAL);
		t->linger_on = value != 0;
		t->linger_s = value2;
		break;
	case SOCKOPT_RCVBUF:
		/* Linux sock_setsockopt: doubled for bookkeeping, at least 2304, at most
		 * twice rmem_max (212992). */
		value = value < 0 ? 0 : (value > 212992 ? 212992 : value);
		t->rcvbuf = (uint32_t)(2 * value < 2304 ? 2304 : 2 * value);
		t->rcvbuf_locked = true;
		break;
	case SOCKOPT_SNDBUF:
		value = value < 0 ? 0 : (value > 212992 ? 212992 : value);
		t->sndbuf = (uint32_t)(2 * value < 4608 ? 4608 : 2 * value);
		t->sndbuf_locked = true;
		break;
	case SOCKOPT_NODELAY:
		t->nodelay = value != 0;
		if (t->nodelay)
			tcb_output(t); /* Linux tcp_push_pending_frames */
		break;
	case SOCKOPT_KEEPALIVE:
		t->keepalive = value != 0;
		if (t->keepalive && t->state == TCPS_ESTABLISHED)
			tcb_timer_set(t, TCP_TIMER_KEEPALIVE, h->cfg.k.keepalive_time);
		else if (!t->keepalive)
			tcb_timer_cancel(t, TCP_TIMER_KEEPALIVE);
		break;
	case SOCKOPT_ERROR:
	default:
		RETURN(-ENOPROTOOPT);
	}
	RETURN(0);
}

int sock_getsockopt(struct host *h, int fd, enum sock_opt opt, int *value, int *value2)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;
	int v2 = 0;

	if (!t)
		RETURN(-EBADF);
	switch (opt) {
	case SOCKOPT_REUSEADDR:
		*value = t->reuseaddr;
		break;
	case SOCKOPT_LINGER:
		*value = t->linger_on;
		v2 = t->linger_s;
		break;
	case SOCKOPT_ERROR:
		*value = -take_error(t);
		break;
	case SOCKOPT_RCVBUF:
		*value = (int)t->rcvbuf;
		break;
	case SOCKOPT_SNDBUF:
		*value = (int)t->sndbuf;
		break;
	case SOCKOPT_NODELAY:
		*value = t->nodelay;
		break;
	case SOCKOPT_KEEPALIVE:
		*value = t->keepalive;
		break;
	default:
		RETURN(-ENOPROTOOPT);
	}
	if (value2)
		*value2 = v2;
	RETURN(0);
}

int sock_set_nonblock(struct host *h, int fd, bool on)
{
	struct tcb *t = host_fd_tcb(h, fd);
	uint32_t sid = t ? t->id : 0;

	if (!t)
		RETURN(-EBADF);
	t->nonblock = on;
	RETURN(0);
}

bool sock_is_nonblock(const struct host *h, int fd)
{
	const struct tcb *t = host_fd_tcb(h, fd);

	return t && t->nonblock;
}

/* Linux tcp_poll. */
int sock_poll(const struct host *h, int fd)
{
	const struct tcb *t = host_fd_tcb(h, fd);
	int mask = 0;

	if (!t)
		return -EBADF;
	if (t->state == TCPS_LISTEN)
		return t->acceptq ? SOCK_POLLIN : 0;
	bool rcv_sd = t->shut_rd || t->rcv_eof;
	bool snd_sd = t->shut_wr || (t->state == TCPS_CLOSED && t->connect_started);
	if ((rcv_sd && snd_sd) || t->state == TCPS_CLOSED)
		mask |= SOCK_POLLHUP;
	if (rcv_sd)
		mask |= SOCK_POLLIN | SOCK_POLLRDHUP;
	if (t->state != TCPS_SYN_SENT && t->state != TCPS_SYN_RECEIVED) {
		if (t->rcvq.len)
			mask |= SOCK_POLLIN;
		if (snd_sd || t->sndq.len < t->sndbuf)
			mask |= SOCK_POLLOUT;
	}
	if (t->sk_err)
		mask |= SOCK_POLLERR;
	return mask;
}

long sock_id(const struct host *h, int fd)
{
	const struct tcb *t = host_fd_tcb(h, fd);

	return t ? (long)t->id : -EBADF;
}

bool sock_lingering(const struct host *h, uint32_t id)
{
	const struct tcb *t = host_tcb(h, id);

	return t && tcb_timer_pending(t, TCP_TIMER_LINGER) && t->state != TCPS_CLOSED &&
	       !(t->fin_queued && seq_gt(t->snd_una, t->sndq_seq + (uint32_t)t->sndq.len));
}
