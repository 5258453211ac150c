/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "tcptest.h"

/*
 * Every way a connection ends, except what happens inside TIME_WAIT (check_tcp_timewait.c):
 * close() in every state, the FIN+ACK shortcut, simultaneous close, shutdown() in each
 * mode under both profiles, descriptor references, SO_LINGER, close() with unread data,
 * data for an orphan, RST in every state with an exact, an in-window and an
 * out-of-window sequence number, the errors the application sees afterwards, lost FINs
 * and ACKs with their retransmission times, orphan and held sockets giving up, a host
 * crash, and sequence numbers wrapping around 2^32 during a close.
 *
 * Sequence numbers are written from the ISS and IRS each test starts with; times are
 * computed from the formulas in tcptest.h (Linux tcp_rtt_estimator, __tcp_set_rto,
 * tcp_schedule_loss_probe, tcp_model_timeout), never copied from a run.
 */

static struct tt T;
static struct tt *const tt = &T;

#define DELAY (5 * VTIME_MS) /* one way: a 10 ms RTT */
#define MS VTIME_MS
#define ISS 1000u
#define IRS 5000u
#define TIMEWAIT_LEN (60 * VTIME_S)  /* Linux TCP_TIMEWAIT_LEN */
#define FIN_TIMEOUT (60 * VTIME_S)   /* tcp_fin_timeout's default */

/* What the host measured in the handshake of tt_established_passive: one sample of two
 * link delays, so SRTT 10 ms and RTO 210 ms. */
#define SRTT (2 * DELAY)
#define RTO tt_rto_after_sample(SRTT)

static void setup_peer(void)
{
	tt_init_peer(tt, DELAY);
}

static void setup_pair(void)
{
	tt_init_pair(tt, DELAY);
}

static void teardown(void)
{
	tt_fini(tt);
}

static const char *const profiles[] = { "linux", "rfc" };

static struct tcp_info fd_info(int fd)
{
	return tt_info(tt, fd);
}

static void drop_next(const char *filter, uint32_t nth, uint32_t times)
{
	struct net_rule r = { .action = NET_DROP, .nth = nth, .times = times };
	char err[128];
	size_t pos;

	ck_assert_int_eq(seg_filter_parse(filter, net_resolve, world_net(tt->w), &r.filter, err,
					  sizeof(err), &pos), 0);
	ck_assert_int_gt(net_rule_add(world_net(tt->w), &r), 0);
}

/* ================================================================ the state diagram */

/* ESTABLISHED -close-> FIN_WAIT_1 -ACK-> FIN_WAIT_2 -FIN-> TIME_WAIT -2MSL-> CLOSED,
 * the active closer's way (RFC 9293 3.6, figure 5), with Linux's compact FIN_WAIT_2
 * entry for the orphan and its 60 s TIME_WAIT. */
START_TEST(active_close_ladder)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);

	ck_assert_int_eq(knob_timewait_len(host_config(h)), TIMEWAIT_LEN);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect(tt, "F.", ISS + 1, IRS + 1, 0);
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_1);
	struct tcp_info i = tt_info_id(tt, c.id);
	ck_assert(i.orphan);
	ck_assert_int_eq(i.refs, 0);
	ck_assert_uint_eq(i.snd_nxt, ISS + 2);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 1, 0), -EBADF);

	vtime_t acked = tt_now(tt) + DELAY;
	tt_send(tt, ".", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_2);
	i = tt_info_id(tt, c.id);
	ck_assert_int_eq(i.timer[TCP_TIMER_FIN_WAIT_2], acked + FIN_TIMEOUT);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, c.id, TCPS_FIN_WAIT_1,
					    TCPS_FIN_WAIT_2, 0), acked);

	vtime_t fin = tt_now(tt) + DELAY;
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_assert_sent_at(tt_expect(tt, ".", ISS + 2, IRS + 2, 0), fin); /* ACKed at once */
	tt_assert_id_state(tt, c.id, TCPS_TIME_WAIT);
	i = tt_info_id(tt, c.id);
	ck_assert_int_eq(i.timer[TCP_TIMER_TIME_WAIT], fin + TIMEWAIT_LEN);
	ck_assert_int_eq(i.timer[TCP_TIMER_FIN_WAIT_2], 0);
	ck_assert_uint_eq(i.rcv_nxt, IRS + 2);
	ck_assert_uint_eq(host_counters(h)->tw_created, 1);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, c.id, TCPS_FIN_WAIT_2,
					    TCPS_TIME_WAIT, 0), fin);
	tt_run(tt, fin + TIMEWAIT_LEN - tt_now(tt) - 1);
	tt_assert_id_state(tt, c.id, TCPS_TIME_WAIT);
	tt_run(tt, 1);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, c.id, TCPS_TIME_WAIT, TCPS_CLOSED, 0),
			 fin + TIMEWAIT_LEN);
	ck_assert_uint_eq(host_counters(h)->tw_finished, 1);
	ck_assert_uint_eq(tt_count_in(h, TCPS_TIME_WAIT), 0);
	tt_expect_none(tt, VTIME_S); /* TIME_WAIT ends silently */
}
END_TEST

/* ESTABLISHED -FIN-> CLOSE_WAIT -close-> LAST_ACK -ACK-> CLOSED: the passive closer
 * never enters TIME_WAIT. */
START_TEST(passive_close_ladder)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);

	tt_send(tt, "F.", IRS + 1, ISS + 1, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 2, 0);
	tt_assert_id_state(tt, c.id, TCPS_CLOSE_WAIT);
	ck_assert(fd_info(c.fd).eof);
	ck_assert_int_eq(sock_poll(h, c.fd), SOCK_POLLIN | SOCK_POLLRDHUP | SOCK_POLLOUT);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), 0);
	/* CLOSE_WAIT may still send. */
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 10, 0), 10);
	tt_expect(tt, "P.", ISS + 1, IRS + 2, 10);
	tt_send(tt, ".", IRS + 2, ISS + 11, 0, TT_WIN);
	tt_run(tt, DELAY);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect(tt, "F.", ISS + 11, IRS + 2, 0);
	tt_assert_id_state(tt, c.id, TCPS_LAST_ACK);
	vtime_t acked = tt_now(tt) + DELAY;
	tt_send(tt, ".", IRS + 2, ISS + 12, 0, TT_WIN);
	tt_run(tt, DELAY);
	struct tcp_info i;
	ck_assert_int_eq(host_sock_info(h, c.id, &i), -ENOENT);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, c.id, TCPS_LAST_ACK, TCPS_CLOSED, 0),
			 acked);
	ck_assert_uint_eq(host_counters(h)->tw_created, 0);
	ck_assert_uint_eq(tt_count_in(h, TCPS_TIME_WAIT), 0);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* The FIN+ACK shortcut: in FIN_WAIT_1 one segment acknowledges our FIN and carries
 * the peer's. Linux (tcp_rcv_state_process, then tcp_fin) takes the ACK first, so the
 * connection passes through FIN_WAIT_2 and reaches TIME_WAIT at the same instant,
 * never CLOSING (RFC 9293 3.10.7.4, FIN-WAIT-1: "If our FIN has been ACKed (perhaps in
 * this segment), then enter TIME-WAIT"). */
START_TEST(fin_ack_shortcut)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_FIN_WAIT_1, ISS, IRS, _i == 1);
	vtime_t at = tt_now(tt) + DELAY;

	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_assert_sent_at(tt_expect(tt, ".", ISS + 2, IRS + 2, 0), at);
	tt_assert_id_state(tt, c.id, TCPS_TIME_WAIT);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, c.id, TCPS_FIN_WAIT_1,
					    TCPS_FIN_WAIT_2, 0), at);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, c.id, TCPS_FIN_WAIT_2,
					    TCPS_TIME_WAIT, 0), at);
	ck_assert_int_lt(tt_state_change_at(tt, tt->host, c.id, TCPS_FIN_WAIT_1, TCPS_CLOSING,
					    0), 0);
	ck_assert_int_eq(tt_info_id(tt, c.id).timer[TCP_TIMER_TIME_WAIT], at + TIMEWAIT_LEN);
	ck_assert_uint_eq(host_counters(h)->tw_created, 1);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* FIN_WAIT_1 -FIN-> CLOSING -ACK-> TIME_WAIT: the peer's FIN crossed ours (a
 * simultaneous close, seen from one side). */
START_TEST(closing_ladder)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_CLOSING, ISS, IRS, _i == 1);

	ck_assert_int_ge(tt_state_change_at(tt, tt->host, c.id, TCPS_FIN_WAIT_1, TCPS_CLOSING, 0),
			 0);
	tt_expect_none(tt, 100 * MS); /* nothing more until our FIN is acknowledged */
	vtime_t at = tt_now(tt) + DELAY;
	tt_send(tt, ".", IRS + 2, ISS + 2, 0, TT_WIN);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_TIME_WAIT);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, c.id, TCPS_CLOSING, TCPS_TIME_WAIT, 0),
			 at);
	ck_assert_int_eq(tt_info_id(tt, c.id).timer[TCP_TIMER_TIME_WAIT], at + TIMEWAIT_LEN);
	ck_assert_uint_eq(host_counters(h)->tw_created, 1);
	tt_expect_none(tt, VTIME_S); /* the ACK of a FIN is not answered */
}
END_TEST

/* Both applications close at the same instant between two real hosts: the FINs cross,
 * each side goes FIN_WAIT_1 -> CLOSING -> TIME_WAIT, and both hold TIME_WAIT
 * (BEHAVIOUR.md, TIME_WAIT: "or by both sides after a simultaneous close"). */
START_TEST(simultaneous_close)
{
	int cfd, lfd, sfd;
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	uint32_t cid = (uint32_t)sock_id(c, cfd), sid = (uint32_t)sock_id(s, sfd);
	vtime_t t0 = tt_now(tt);
	ck_assert_int_eq(sock_close(c, cfd), 0);
	ck_assert_int_eq(sock_close(s, sfd), 0);
	tt_run(tt, 10 * DELAY);
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_TIME_WAIT);
	ck_assert_int_eq(host_sock_state(s, sid), TCPS_TIME_WAIT);
	/* Each FIN arrives one delay later (CLOSING, ACKed at once), each ACK one more. */
	ck_assert_int_eq(tt_state_change_at(tt, tt->client, cid, TCPS_FIN_WAIT_1, TCPS_CLOSING,
					    0), t0 + DELAY);
	ck_assert_int_eq(tt_state_change_at(tt, tt->server, sid, TCPS_FIN_WAIT_1, TCPS_CLOSING,
					    0), t0 + DELAY);
	ck_assert_int_eq(tt_state_change_at(tt, tt->client, cid, TCPS_CLOSING, TCPS_TIME_WAIT,
					    0), t0 + 2 * DELAY);
	ck_assert_int_eq(tt_state_change_at(tt, tt->server, sid, TCPS_CLOSING, TCPS_TIME_WAIT,
					    0), t0 + 2 * DELAY);
	ck_assert_int_eq(tt_log_count(tt, tt->client, "F."), 1);
	ck_assert_int_eq(tt_log_count(tt, tt->server, "F."), 1);
	ck_assert_uint_eq(host_counters(c)->tw_created, 1);
	ck_assert_uint_eq(host_counters(s)->tw_created, 1);
	struct tcp_info ci, si;
	ck_assert_int_eq(host_sock_info(c, cid, &ci), 0);
	ck_assert_int_eq(host_sock_info(s, sid, &si), 0);
	ck_assert_int_eq(ci.timer[TCP_TIMER_TIME_WAIT], t0 + 2 * DELAY + TIMEWAIT_LEN);
	ck_assert_int_eq(si.timer[TCP_TIMER_TIME_WAIT], t0 + 2 * DELAY + TIMEWAIT_LEN);
	ck_assert_int_eq(sock_close(s, lfd), 0);
}
END_TEST

/* ================================================================ close() in each state */

/* SYN_SENT -close-> CLOSED: nothing is sent (Linux tcp_close_state); the peer's late
 * SYN,ACK then finds no connection and is reset (RFC 9293 3.10.7.1). */
START_TEST(close_in_syn_sent)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_SYN_SENT, ISS, IRS, false);

	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	tt_assert_change(tt, tt->host, c.id, TCPS_SYN_SENT, TCPS_CLOSED);
	tt_expect_none(tt, 5 * VTIME_S); /* no RST, no SYN retransmission */
	tt_send_opts(tt, "S.", IRS, ISS + 1, 0, TT_WIN, "mss 1460");
	tt_expect(tt, "R", ISS + 1, 0, 0);
}
END_TEST

/* SYN_RECEIVED -close-> FIN_WAIT_1 (RFC 9293 figure 5). On Linux only an active open
 * that became simultaneous has a descriptor in SYN_RECEIVED (a passive child has none
 * before accept()): tcp_close_state sends the FIN from there. */
START_TEST(close_in_syn_received)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_simopen(tt, ISS, IRS);

	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect(tt, "F.", ISS + 1, IRS + 1, 0);
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_1);
	tt_assert_change(tt, tt->host, c.id, TCPS_SYN_RECEIVED, TCPS_FIN_WAIT_1);
	/* One ACK covers the SYN and the FIN. */
	tt_send(tt, ".", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_2);
}
END_TEST

/* LISTEN -close-> CLOSED: an established child nobody accepted is reset, one still in
 * SYN_RECEIVED goes quietly (Linux inet_csk_listen_stop), and a late ACK for it finds
 * nothing. */
START_TEST(close_listener)
{
	struct host *h = tt->h;

	host_fix_iss(h, ISS, 1000);
	int lfd = tt_listen(tt, 16);
	uint32_t lid = (uint32_t)sock_id(h, lfd);
	tt->pport = 40000;
	tt_send_opts(tt, "S", IRS, 0, 0, TT_WIN, "mss 1460");
	tt_expect(tt, "S.", ISS, IRS + 1, 0);
	tt->pport = 40001;
	tt_send_opts(tt, "S", 7000, 0, 0, TT_WIN, "mss 1460");
	tt_expect(tt, "S.", ISS + 1000, 7001, 0);
	tt_send(tt, ".", 7001, ISS + 1001, 0, TT_WIN);
	tt_run(tt, DELAY);
	ck_assert_uint_eq(tt_count_in(h, TCPS_SYN_RECEIVED), 1);
	ck_assert_uint_eq(tt_count_in(h, TCPS_ESTABLISHED), 1);

	ck_assert_int_eq(sock_close(h, lfd), 0);
	tt_expect(tt, "R.", ISS + 1001, 7001, 0);
	tt_assert_id_state(tt, lid, TCPS_CLOSED);
	tt_assert_change(tt, tt->host, lid, TCPS_LISTEN, TCPS_CLOSED);
	for (int s = 0; s < TCPS_COUNT; s++)
		ck_assert_uint_eq(tt_count_in(h, (enum tcp_state)s), 0);
	tt->pport = 40000;
	tt_send(tt, ".", IRS + 1, ISS + 1, 0, TT_WIN);
	tt_expect(tt, "R", ISS + 1, 0, 0);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* close() on a socket never connected, and on one an RST closed: nothing is sent and
 * the descriptor is gone. */
START_TEST(close_in_closed)
{
	struct host *h = tt->h;
	int fd = sock_socket(h);
	uint32_t id = (uint32_t)sock_id(h, fd);

	ck_assert_int_eq(sock_close(h, fd), 0);
	ck_assert_int_eq(sock_close(h, fd), -EBADF);
	tt_assert_id_state(tt, id, TCPS_CLOSED);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	tt_send(tt, "R", IRS + 1, 0, 0, 0);
	tt_run(tt, DELAY);
	tt_assert_state(tt, c.fd, TCPS_CLOSED);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* The last close() after shutdown(SHUT_WR) sends nothing more: the FIN is out already.
 * The socket becomes an orphan in the state it was in; in FIN_WAIT_2 it becomes
 * Linux's compact entry and waits tcp_fin_timeout at most (tcp_close). */
static const enum tcp_state after_shutdown[] = {
	TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2, TCPS_CLOSING, TCPS_LAST_ACK, TCPS_TIME_WAIT,
};

START_TEST(close_after_shutdown)
{
	struct host *h = tt->h;
	enum tcp_state st = after_shutdown[_i];
	struct tt_conn c = tt_conn_in(tt, st, ISS, IRS, false);
	struct tcp_info before = tt_info_id(tt, c.id);

	/* A TIME_WAIT entry is apart from the socket (Linux's time-wait minisocket),
	 * whatever the descriptor: the others are still the application's. */
	ck_assert(before.orphan == (st == TCPS_TIME_WAIT));
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect_none(tt, 0);
	tt_assert_id_state(tt, c.id, st);
	struct tcp_info i = tt_info_id(tt, c.id);
	ck_assert(i.orphan);
	if (st == TCPS_FIN_WAIT_2) {
		ck_assert_int_eq(i.timer[TCP_TIMER_FIN_WAIT_2], tt_now(tt) + FIN_TIMEOUT);
		ck_assert_int_eq(before.timer[TCP_TIMER_FIN_WAIT_2], 0); /* held: no limit */
	}
	if (st == TCPS_TIME_WAIT)
		ck_assert_int_eq(i.timer[TCP_TIMER_TIME_WAIT], before.timer[TCP_TIMER_TIME_WAIT]);
	ck_assert_int_eq(sock_close(h, c.fd), -EBADF);
}
END_TEST

/* ================================================================ shutdown() */

/* SHUT_WR: the FIN goes after what is queued; the socket is FIN_WAIT_1 and can still
 * read (half-close); writes fail EPIPE with SIGPIPE unless MSG_NOSIGNAL. Both
 * profiles. */
START_TEST(shutdown_wr_half_close)
{
	struct host *h = tt->h;

	tt_use_profile(h, profiles[_i]);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 100, 0), 100);
	ck_assert_int_eq(sock_shutdown(h, c.fd, SOCK_SHUT_WR), 0);
	tt_expect(tt, "P.", ISS + 1, IRS + 1, 100);
	tt_expect(tt, "F.", ISS + 101, IRS + 1, 0);
	tt_assert_state(tt, c.fd, TCPS_FIN_WAIT_1);
	struct tcp_info i = fd_info(c.fd);
	ck_assert(i.shut_wr && !i.shut_rd && !i.orphan);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 1, 0), -EPIPE);
	ck_assert_uint_eq(host_counters(h)->sigpipes, 1);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 1, SOCK_MSG_NOSIGNAL), -EPIPE);
	ck_assert_uint_eq(host_counters(h)->sigpipes, 1);
	/* The peer ACKs everything and goes on sending: readable. */
	tt_send(tt, "P.", IRS + 1, ISS + 102, 10, TT_WIN);
	tt_expect(tt, ".", ISS + 102, IRS + 11, 0);
	tt_assert_state(tt, c.fd, TCPS_FIN_WAIT_2);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), 10);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), -EAGAIN);
	tt_send(tt, "F.", IRS + 11, ISS + 102, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 102, IRS + 12, 0);
	tt_assert_state(tt, c.fd, TCPS_TIME_WAIT);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), 0);
}
END_TEST

/* SHUT_RD: nothing is sent. Linux still ACKs, queues and delivers what arrives, and
 * only a read on an empty queue returns 0 at once; the rfc profile (the BSD reading)
 * discards it and every read returns 0. */
START_TEST(shutdown_rd)
{
	struct host *h = tt->h;
	bool linux_ = _i == 0;

	tt_use_profile(h, profiles[_i]);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	ck_assert_int_eq(sock_shutdown(h, c.fd, SOCK_SHUT_RD), 0);
	tt_expect_none(tt, VTIME_S);
	tt_assert_state(tt, c.fd, TCPS_ESTABLISHED);
	ck_assert(fd_info(c.fd).shut_rd);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), 0);
	tt_send(tt, "P.", IRS + 1, ISS + 1, 10, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 11, 0);
	ck_assert_uint_eq(fd_info(c.fd).recv_queue, linux_ ? 10 : 0);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), linux_ ? 10 : 0);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), 0);
	/* Writing is not affected. */
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 5, 0), 5);
	tt_expect(tt, "P.", ISS + 1, IRS + 11, 5);
	tt_assert_state(tt, c.fd, TCPS_ESTABLISHED);
}
END_TEST

/* SHUT_RDWR: both. The FIN leaves; data that then arrives for the shut reading side
 * is answered by a reset on Linux (tcp_rcv_state_process: RCV_SHUTDOWN in FIN_WAIT_1,
 * TCPAbortOnData), built from the segment (tcp_v4_send_reset: SEQ = SEG.ACK); the rfc
 * profile ACKs and discards it. */
START_TEST(shutdown_rdwr)
{
	struct host *h = tt->h;
	bool linux_ = _i == 0;

	tt_use_profile(h, profiles[_i]);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	ck_assert_int_eq(sock_shutdown(h, c.fd, SOCK_SHUT_RDWR), 0);
	tt_expect(tt, "F.", ISS + 1, IRS + 1, 0);
	tt_assert_state(tt, c.fd, TCPS_FIN_WAIT_1);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), 0);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 1, SOCK_MSG_NOSIGNAL), -EPIPE);
	tt_send(tt, "P.", IRS + 1, ISS + 1, 10, TT_WIN);
	if (linux_) {
		tt_expect(tt, "R", ISS + 1, 0, 0);
		tt_assert_state(tt, c.fd, TCPS_CLOSED);
		ck_assert_uint_eq(host_counters(h)->abort_on_data, 1);
		ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), -ECONNRESET);
	} else {
		tt_expect(tt, ".", ISS + 2, IRS + 11, 0);
		tt_assert_state(tt, c.fd, TCPS_FIN_WAIT_1);
		ck_assert_uint_eq(fd_info(c.fd).recv_queue, 0);
		ck_assert_uint_eq(host_counters(h)->abort_on_data, 0);
	}
}
END_TEST

/* Linux inet_shutdown: on a listener only SHUT_RD acts (it stops listening); in
 * SYN_SENT any mode ends the attempt quietly (tcp_disconnect). */
START_TEST(shutdown_listener_and_syn_sent)
{
	struct host *h = tt->h;
	struct tt_conn l = tt_conn_in(tt, TCPS_LISTEN, ISS, IRS, false);

	ck_assert_int_eq(sock_shutdown(h, l.fd, SOCK_SHUT_WR), 0);
	tt_assert_id_state(tt, l.id, TCPS_LISTEN);
	ck_assert_int_eq(sock_shutdown(h, l.fd, SOCK_SHUT_RD), 0);
	tt_assert_change(tt, tt->host, l.id, TCPS_LISTEN, TCPS_CLOSED);
	ck_assert_int_eq(sock_close(h, l.fd), 0);
	struct tt_conn c = tt_conn_in(tt, TCPS_SYN_SENT, ISS, IRS, false);
	ck_assert_int_eq(sock_shutdown(h, c.fd, SOCK_SHUT_WR), 0);
	tt_assert_state(tt, c.fd, TCPS_CLOSED);
	tt_expect_none(tt, 5 * VTIME_S);
}
END_TEST

/* ================================================================ references */

/* close() drops one reference; only the last one acts. shutdown() acts at once
 * whatever the references, for every descriptor. */
START_TEST(dup_references)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	int d1 = sock_dup(h, c.fd), d2 = sock_dup(h, d1);

	ck_assert_int_eq(fd_info(c.fd).refs, 3);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	ck_assert_int_eq(fd_info(d1).refs, 2);
	ck_assert_int_eq(sock_close(h, d1), 0);
	ck_assert_int_eq(fd_info(d2).refs, 1);
	tt_expect_none(tt, VTIME_S);
	tt_assert_id_state(tt, c.id, TCPS_ESTABLISHED);
	ck_assert(!fd_info(d2).orphan);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 1, 0), -EBADF);
	ck_assert_int_eq(sock_send(h, d2, NULL, 10, 0), 10);
	tt_expect(tt, "P.", ISS + 1, IRS + 1, 10);
	ck_assert_int_eq(sock_close(h, d2), 0);
	tt_expect(tt, "F.", ISS + 11, IRS + 1, 0);
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_1);
	ck_assert(tt_info_id(tt, c.id).orphan);
	ck_assert_int_eq(tt_info_id(tt, c.id).refs, 0);
}
END_TEST

START_TEST(dup_shutdown_acts_for_all)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	int d = sock_dup(h, c.fd);

	ck_assert_int_eq(sock_shutdown(h, d, SOCK_SHUT_WR), 0);
	tt_expect(tt, "F.", ISS + 1, IRS + 1, 0);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 1, SOCK_MSG_NOSIGNAL), -EPIPE);
	ck_assert_int_eq(sock_close(h, d), 0);
	tt_expect_none(tt, 0);
	ck_assert(!fd_info(c.fd).orphan);
}
END_TEST

/* ================================================================ SO_LINGER */

/* SO_LINGER {1,0}: close() sends RST from SND.NXT (tcp_disconnect,
 * tcp_send_active_reset), discards the send queue, and leaves no TIME_WAIT. Linux
 * counts it as TCPAbortOnData (tcp_close's zero-linger branch). */
START_TEST(linger_zero_resets)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	int on = 0, secs = -1;

	ck_assert_int_eq(sock_setsockopt(h, c.fd, SOCKOPT_LINGER, 1, 0), 0);
	ck_assert_int_eq(sock_getsockopt(h, c.fd, SOCKOPT_LINGER, &on, &secs), 0);
	ck_assert(on == 1 && secs == 0);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 100, 0), 100);
	tt_expect(tt, "P.", ISS + 1, IRS + 1, 100);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect(tt, "R.", ISS + 101, IRS + 1, 0);
	struct tcp_info i;
	ck_assert_int_eq(host_sock_info(h, c.id, &i), -ENOENT);
	tt_assert_change(tt, tt->host, c.id, TCPS_ESTABLISHED, TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(h)->abort_on_data, 1);
	ck_assert_uint_eq(host_counters(h)->abort_on_close, 0);
	ck_assert_uint_eq(host_counters(h)->estab_resets, 1); /* measured: +1 */
	ck_assert_uint_eq(host_counters(h)->tw_created, 0);
	tt_expect_none(tt, 10 * VTIME_S); /* the queued data is never sent again */
}
END_TEST

/* SO_LINGER {1,0} in the other states: an RST wherever Linux's tcp_need_reset says
 * (ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2), none in LAST_ACK or CLOSING once
 * the FIN is out (tcp_disconnect: snd_nxt == write_seq). */
static const struct {
	enum tcp_state st;
	bool rst;
} linger_states[] = {
	{ TCPS_CLOSE_WAIT, true }, { TCPS_FIN_WAIT_1, true }, { TCPS_FIN_WAIT_2, true },
	{ TCPS_CLOSING, false },   { TCPS_LAST_ACK, false },
};

START_TEST(linger_zero_in_each_state)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, linger_states[_i].st, ISS, IRS, false);

	ck_assert_int_eq(sock_setsockopt(h, c.fd, SOCKOPT_LINGER, 1, 0), 0);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	if (linger_states[_i].rst)
		tt_expect(tt, "R.", c.snd_nxt, c.rcv_nxt, 0);
	tt_expect_none(tt, VTIME_S);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	ck_assert_uint_eq(tt_count_in(h, TCPS_TIME_WAIT), 0);
	ck_assert_uint_eq(host_counters(h)->abort_on_data, 1);
}
END_TEST

/* SO_LINGER {1,N}: a blocking close() waits until the FIN is acknowledged (here after
 * 1 s), returns 0, and the close goes on. */
START_TEST(linger_returns_when_fin_acked)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);

	ck_assert_int_eq(sock_setsockopt(h, c.fd, SOCKOPT_LINGER, 1, 5), 0);
	vtime_t t0 = tt_now(tt);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect(tt, "F.", ISS + 1, IRS + 1, 0);
	ck_assert(sock_lingering(h, c.id));
	ck_assert_int_eq(tt_info_id(tt, c.id).timer[TCP_TIMER_LINGER], t0 + 5 * VTIME_S);
	tt_run(tt, t0 + VTIME_S - tt_now(tt));
	ck_assert(sock_lingering(h, c.id));
	tt_send(tt, ".", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_run(tt, DELAY - 1);
	ck_assert(sock_lingering(h, c.id));
	tt_run(tt, 1);
	ck_assert(!sock_lingering(h, c.id));
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_2);
}
END_TEST

/* SO_LINGER {1,2} with 100 bytes nobody acknowledges: data and FIN leave as separate
 * segments; the probe resends the FIN after 2 SRTT + 2 ms (two segments out, Linux
 * tcp_schedule_loss_probe), then the RTOs resend data and FIN together (FP.); close()
 * stops waiting after exactly 2 s, and the close goes on in the background
 * (BEHAVIOUR.md, TIME_WAIT, the SO_LINGER {1,2} measurement). */
START_TEST(linger_times_out)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);

	ck_assert_int_eq(sock_setsockopt(h, c.fd, SOCKOPT_LINGER, 1, 2), 0);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 100, 0), 100);
	vtime_t t0 = tt_now(tt);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_assert_sent_at(tt_expect(tt, "P.", ISS + 1, IRS + 1, 100), t0);
	tt_assert_sent_at(tt_expect(tt, "F.", ISS + 101, IRS + 1, 0), t0);
	vtime_t probe = t0 + tt_tlp_timeout(SRTT, false, RTO);
	tt_assert_sent_at(tt_expect(tt, "F.", ISS + 101, IRS + 1, 0), probe);
	vtime_t when = probe, rto = RTO;
	while (when + rto < t0 + 2 * VTIME_S) {
		when += rto;
		tt_assert_sent_at(tt_expect(tt, "FP.", ISS + 1, IRS + 1, 100), when);
		rto = tt_dbl(rto);
	}
	tt_run(tt, t0 + 2 * VTIME_S - 1 - tt_now(tt));
	ck_assert(sock_lingering(h, c.id));
	tt_run(tt, 1);
	ck_assert(!sock_lingering(h, c.id));
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_1);
	tt_assert_sent_at(tt_expect(tt, "FP.", ISS + 1, IRS + 1, 100), when + rto);
	tt_send(tt, ".", IRS + 1, ISS + 102, 0, TT_WIN);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_2);
}
END_TEST

/* A non-blocking socket lingers too: on Linux O_NONBLOCK makes no difference to
 * SO_LINGER {1,N} (measured, doc/linux-vs-rfc.md: close() blocked 2 s). */
START_TEST(linger_nonblocking_waits_too)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);

	ck_assert_int_eq(sock_set_nonblock(h, c.fd, true), 0);
	ck_assert_int_eq(sock_setsockopt(h, c.fd, SOCKOPT_LINGER, 1, 5), 0);
	vtime_t t0 = tt_now(tt);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect(tt, "F.", ISS + 1, IRS + 1, 0);
	ck_assert(sock_lingering(h, c.id));
	ck_assert_int_eq(tt_info_id(tt, c.id).timer[TCP_TIMER_LINGER], t0 + 5 * VTIME_S);
	tt_run(tt, t0 + 5 * VTIME_S - tt_now(tt));
	ck_assert(!sock_lingering(h, c.id));
}
END_TEST

/* ================================================================ aborts */

/* The last close() with unread data: Linux sends RST (not FIN), goes to CLOSED, no
 * TIME_WAIT, TCPAbortOnClose (tcp_close; RFC 2525 2.17). The rfc profile sends FIN. */
START_TEST(close_with_unread_data)
{
	struct host *h = tt->h;
	bool linux_ = _i == 0;

	tt_use_profile(h, profiles[_i]);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	tt_send(tt, "P.", IRS + 1, ISS + 1, 10, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 11, 0);
	ck_assert_uint_eq(fd_info(c.fd).recv_queue, 10);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	if (linux_) {
		tt_expect(tt, "R.", ISS + 1, IRS + 11, 0);
		tt_assert_id_state(tt, c.id, TCPS_CLOSED);
		ck_assert_uint_eq(host_counters(h)->abort_on_close, 1);
		ck_assert_uint_eq(host_counters(h)->estab_resets, 1); /* measured: +1 */
		tt_expect_none(tt, 10 * VTIME_S);
		ck_assert_uint_eq(host_counters(h)->tw_created, 0);
	} else {
		tt_expect(tt, "F.", ISS + 1, IRS + 11, 0);
		tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_1);
		ck_assert_uint_eq(host_counters(h)->abort_on_close, 0);
	}
}
END_TEST

/* Unread data in CLOSE_WAIT too: the reset replaces the FIN. */
START_TEST(close_with_unread_data_in_close_wait)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);

	tt_send(tt, "FP.", IRS + 1, ISS + 1, 10, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 12, 0);
	tt_assert_id_state(tt, c.id, TCPS_CLOSE_WAIT);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect(tt, "R.", ISS + 1, IRS + 12, 0);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(h)->abort_on_close, 1);
}
END_TEST

/* New data for an orphan: Linux answers with a reset built from the segment
 * (tcp_v4_send_reset: SEQ = SEG.ACK, no ACK bit) and the connection is gone. Loop: 0
 * the full socket in FIN_WAIT_1, data not acknowledging the FIN; 1 the data itself
 * acknowledges the FIN; 2 the compact FIN_WAIT_2 entry, which counts no
 * TCPAbortOnData (measured, doc/linux-vs-rfc.md). */
START_TEST(data_to_orphan_resets)
{
	struct host *h = tt->h;
	enum tcp_state st = _i == 2 ? TCPS_FIN_WAIT_2 : TCPS_FIN_WAIT_1;
	struct tt_conn c = tt_conn_in(tt, st, ISS, IRS, true);
	uint32_t ack = _i == 0 ? ISS + 1 : ISS + 2;

	tt_send(tt, "P.", IRS + 1, ack, 10, TT_WIN);
	tt_expect(tt, "R", ack, 0, 0);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(h)->abort_on_data, _i == 2 ? 0 : 1);
	ck_assert_uint_eq(host_counters(h)->out_rsts, 1);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* Between two real hosts: the server goes on sending after the client closed; the
 * client's reset reaches it in CLOSE_WAIT, where Linux's pending error is EPIPE, not
 * ECONNRESET, and reads return 0 (the FIN came first): measured, doc/linux-vs-rfc.md,
 * which corrects BEHAVIOUR.md here. */
START_TEST(data_to_orphan_pair)
{
	int cfd, lfd, sfd;
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	uint32_t cid = (uint32_t)sock_id(c, cfd), sid = (uint32_t)sock_id(s, sfd);
	ck_assert_int_eq(sock_close(c, cfd), 0);
	tt_run(tt, 100 * MS);
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_FIN_WAIT_2);
	ck_assert_int_eq(host_sock_state(s, sid), TCPS_CLOSE_WAIT);
	ck_assert_int_eq(sock_send(s, sfd, NULL, 100, 0), 100);
	tt_run(tt, 2 * DELAY);
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_CLOSED);
	ck_assert_int_eq(host_sock_state(s, sid), TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(c)->abort_on_data, 0); /* the compact entry's */
	ck_assert_int_eq(tt_info_of(s, sfd).pending_error, -EPIPE);
	ck_assert_int_eq(sock_recv(s, sfd, NULL, 1), 0);
	ck_assert_int_eq(sock_send(s, sfd, NULL, 1, 0), -EPIPE);
	ck_assert_int_eq(sock_send(s, sfd, NULL, 1, 0), -EPIPE);
	ck_assert_int_eq(sock_recv(s, sfd, NULL, 1), 0);
	ck_assert_uint_eq(host_counters(s)->sigpipes, 2);
	ck_assert_int_eq(sock_close(s, lfd), 0);
}
END_TEST

/* ================================================================ RST in every state */

/* The synchronized states, held and orphaned. */
static const struct {
	enum tcp_state st;
	bool orphan;
	int err;         /* what the application sees after an exact RST */
} rst_states[] = {
	{ TCPS_ESTABLISHED, false, -ECONNRESET }, { TCPS_FIN_WAIT_1, false, -ECONNRESET },
	{ TCPS_FIN_WAIT_2, false, -ECONNRESET },  { TCPS_CLOSE_WAIT, false, -EPIPE },
	{ TCPS_CLOSING, false, 0 },               { TCPS_LAST_ACK, false, 0 },
	{ TCPS_FIN_WAIT_1, true, 0 },             { TCPS_FIN_WAIT_2, true, 0 },
	{ TCPS_CLOSING, true, 0 },                { TCPS_LAST_ACK, true, 0 },
};
#define NRST_STATES ((int)(sizeof(rst_states) / sizeof(rst_states[0])))

/* Exactly RCV.NXT: the connection is reset (RFC 9293 3.10.7.4 second, RFC 5961 3.2).
 * ESTABLISHED and FIN_WAIT_* leave ECONNRESET pending, CLOSE_WAIT EPIPE (Linux
 * tcp_reset, measured); CLOSING and LAST_ACK end quietly. Nothing is sent. Moves from
 * ESTABLISHED and CLOSE_WAIT count as EstabResets. */
START_TEST(rst_exact_in_state)
{
	struct host *h = tt->h;
	enum tcp_state st = rst_states[_i].st;
	struct tt_conn c = tt_conn_in(tt, st, ISS, IRS, rst_states[_i].orphan);

	tt_send(tt, "R", c.rcv_nxt, 0, 0, 0);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	tt_assert_change(tt, tt->host, c.id, st, TCPS_CLOSED);
	if (c.fd >= 0) {
		struct tcp_info i = fd_info(c.fd);
		ck_assert_int_eq(i.pending_error, rst_states[_i].err);
		ck_assert(i.eof);
	}
	ck_assert_uint_eq(host_counters(h)->in_rsts, 1);
	ck_assert_uint_eq(host_counters(h)->estab_resets,
			  st == TCPS_ESTABLISHED || st == TCPS_CLOSE_WAIT);
	ck_assert_uint_eq(tt_count_in(h, TCPS_TIME_WAIT), 0);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* In the window but not exact: a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>, nothing
 * else changes (RFC 5961 3.2), under both profiles (loop: the states, then again under
 * rfc). Linux's compact FIN_WAIT_2 entry is the exception: it takes any in-window RST
 * (tcp_timewait_state_process, FIN_WAIT2 substate). */
START_TEST(rst_in_window_in_state)
{
	struct host *h = tt->h;
	int k = _i % NRST_STATES;
	enum tcp_state st = rst_states[k].st;

	tt_use_profile(h, profiles[_i / NRST_STATES]);
	/* The rfc profile keeps an orphan in FIN_WAIT_2 as a full socket. */
	bool compact = rst_states[k].orphan && st == TCPS_FIN_WAIT_2 && _i < NRST_STATES;
	struct tt_conn c = tt_conn_in(tt, st, ISS, IRS, rst_states[k].orphan);

	tt_send(tt, "R", c.rcv_nxt + 100, 0, 0, 0);
	if (compact) {
		tt_expect_none(tt, VTIME_S);
		tt_assert_id_state(tt, c.id, TCPS_CLOSED);
		return;
	}
	tt_expect(tt, ".", c.snd_nxt, c.rcv_nxt, 0);
	tt_assert_id_state(tt, c.id, st);
	ck_assert_uint_eq(host_counters(h)->challenge_acks, 1);
	if (c.fd >= 0)
		ck_assert_int_eq(fd_info(c.fd).pending_error, 0);
	/* The exact one still works afterwards. */
	tt_send(tt, "R", c.rcv_nxt, 0, 0, 0);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
}
END_TEST

/* Outside the window: dropped without a word, whatever the state. */
START_TEST(rst_out_of_window_in_state)
{
	struct host *h = tt->h;
	enum tcp_state st = rst_states[_i].st;
	struct tt_conn c = tt_conn_in(tt, st, ISS, IRS, rst_states[_i].orphan);

	tt_send(tt, "R", c.rcv_nxt + 1000000, 0, 0, 0);
	tt_send(tt, "R", c.rcv_nxt - 1000, 0, 0, 0);
	tt_expect_none(tt, 100 * MS);
	tt_assert_id_state(tt, c.id, st);
	ck_assert_uint_eq(host_counters(h)->challenge_acks, 0);
}
END_TEST

/* SYN_SENT (RFC 9293 3.10.7.3): an RST counts only with an acceptable ACK, which makes
 * it exact: ECONNREFUSED. One without ACK, or with an ACK outside (ISS, SND.NXT], is
 * dropped. */
START_TEST(rst_in_syn_sent)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_SYN_SENT, ISS, IRS, false);

	tt_send(tt, "R", IRS, 0, 0, 0);
	tt_send(tt, "R.", IRS, ISS + 5, 0, 0);
	tt_send(tt, "R.", IRS, ISS, 0, 0);
	tt_expect_none(tt, 100 * MS);
	tt_assert_state(tt, c.fd, TCPS_SYN_SENT);
	tt_send(tt, "R.", 0, ISS + 1, 0, 0);
	tt_run(tt, DELAY);
	tt_assert_state(tt, c.fd, TCPS_CLOSED);
	tt_assert_change(tt, tt->host, c.id, TCPS_SYN_SENT, TCPS_CLOSED);
	ck_assert_int_eq(sock_connect_result(h, c.fd), -ECONNREFUSED);
	ck_assert_uint_eq(host_counters(h)->attempt_fails, 1);
	tt_expect_none(tt, 5 * VTIME_S);
}
END_TEST

/* LISTEN: an RST is ignored (RFC 9293 3.10.7.2). */
START_TEST(rst_in_listen)
{
	struct tt_conn l = tt_conn_in(tt, TCPS_LISTEN, ISS, IRS, false);

	tt_send(tt, "R", IRS, 0, 0, 0);
	tt_send(tt, "R.", IRS, ISS, 0, 0);
	tt_expect_none(tt, VTIME_S);
	tt_assert_id_state(tt, l.id, TCPS_LISTEN);
}
END_TEST

/* SYN_RECEIVED of a passive open: an exact RST sends it back to LISTEN (RFC 9293
 * figure 5: the child goes, the listener stays); an in-window one is challenged, one
 * outside the window dropped. */
START_TEST(rst_in_syn_received)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_SYN_RECEIVED, ISS, IRS, false);
	uint32_t lid = (uint32_t)sock_id(h, c.lfd);

	tt_send(tt, "R", IRS + 1 + 1000000, 0, 0, 0);
	tt_expect_none(tt, 100 * MS);
	tt_send(tt, "R", IRS + 101, 0, 0, 0);
	tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
	tt_assert_id_state(tt, c.id, TCPS_SYN_RECEIVED);
	tt_send(tt, "R", IRS + 1, 0, 0, 0);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	tt_assert_change(tt, tt->host, c.id, TCPS_SYN_RECEIVED, TCPS_CLOSED);
	tt_assert_id_state(tt, lid, TCPS_LISTEN);
	ck_assert_int_eq(sock_accept(h, c.lfd), -EAGAIN);
	/* The listener takes a new SYN from the same peer. */
	tt_send_opts(tt, "S", IRS + 7, 0, 0, TT_WIN, "mss 1460");
	tt_expect(tt, "S.", ISS + 0x01000000, IRS + 8, 0);
}
END_TEST

/* A SYN in a synchronized state, in the window or not, gets a challenge ACK and
 * changes nothing (RFC 5961 4.2; Linux tcp_validate_incoming), under both profiles. */
START_TEST(syn_in_synchronized_state)
{
	struct host *h = tt->h;

	tt_use_profile(h, profiles[_i]);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	tt_send_opts(tt, "S", IRS + 100, 0, 0, TT_WIN, "mss 1460");
	tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
	/* A second one at once: Linux answers at most once per tcp_invalid_ratelimit
	 * (tcp_send_challenge_ack, 500 ms); the rfc profile has no limit. */
	tt_send_opts(tt, "S", IRS + 1000000, 0, 0, TT_WIN, "mss 1460");
	if (_i == 0) {
		tt_expect_none(tt, 499 * VTIME_MS);
		ck_assert_uint_eq(host_counters(h)->acks_skipped, 1);
		tt_run(tt, VTIME_MS);
		tt_send_opts(tt, "S", IRS + 1000000, 0, 0, TT_WIN, "mss 1460");
	}
	tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
	tt_assert_id_state(tt, c.id, TCPS_ESTABLISHED);
	ck_assert_uint_eq(host_counters(h)->challenge_acks, 2);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* An ACK of data never sent, and a pure ACK below RCV.NXT (two ends out of step after
 * a forged segment). Linux 6.18 (measured, tools/kernel/oow_ratelimit.py): the first
 * draws a challenge ACK in every state, the second a duplicate ACK, and a second such
 * answer within tcp_invalid_ratelimit (500 ms) is withheld (tcp_oow_rate_limited),
 * segments with data or a FIN excepted. rfc answers every one. */
START_TEST(out_of_window_answers_rate_limited)
{
	struct host *h = tt->h;
	bool linux_ = _i == 0;

	tt_use_profile(h, profiles[_i]);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	tt_send(tt, ".", IRS + 1, ISS + 1 + 1000, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
	tt_send(tt, ".", IRS + 1, ISS + 1 + 1000, 0, TT_WIN);
	if (linux_)
		tt_expect_none(tt, 100 * VTIME_MS);
	else
		tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
	ck_assert_uint_eq(host_counters(h)->acks_skipped, linux_ ? 1 : 0);
	tt_run(tt, VTIME_S);
	/* Old pure ACKs: answered once, then not for 500 ms (linux). */
	tt_send(tt, ".", IRS + 1 - 1000, ISS + 1, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
	tt_send(tt, ".", IRS + 1 - 1000, ISS + 1, 0, TT_WIN);
	if (linux_) {
		tt_expect_none(tt, 100 * VTIME_MS);
		ck_assert_uint_eq(host_counters(h)->acks_skipped, 2);
		/* An old data segment is answered whatever the limit. */
		tt_send(tt, ".", IRS + 1 - 1000, ISS + 1, 100, TT_WIN);
		tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
		tt_run(tt, VTIME_S);
	} else {
		tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
		ck_assert_uint_eq(host_counters(h)->acks_skipped, 0);
	}
	/* In CLOSE_WAIT likewise. */
	tt_send(tt, "F.", IRS + 1, ISS + 1, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 2, 0);
	tt_expect_none(tt, VTIME_S);
	tt_assert_id_state(tt, c.id, TCPS_CLOSE_WAIT);
	/* The FIN again, twice at once (its ACK lost): a FIN counts as data, so each
	 * copy is answered whatever the limit. */
	tt_send(tt, "F.", IRS + 1, ISS + 1, 0, TT_WIN);
	tt_send(tt, "F.", IRS + 1, ISS + 1, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 2, 0);
	tt_expect(tt, ".", ISS + 1, IRS + 2, 0);
	tt_expect_none(tt, VTIME_S);
	uint64_t before = host_counters(h)->challenge_acks;
	tt_send(tt, ".", IRS + 2, ISS + 1 + 1000, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 2, 0);
	ck_assert_uint_eq(host_counters(h)->challenge_acks, before + 1);
	tt_expect_none(tt, VTIME_S);
	tt_assert_id_state(tt, c.id, TCPS_CLOSE_WAIT);
}
END_TEST

/* LISTEN -SEND-> SYN_SENT in RFC 9293's diagram does not exist on Linux: connect() on
 * a listening socket fails EISCONN, send() EPIPE (doc/linux-vs-rfc.md, Errors), and
 * the listener stays. */
START_TEST(listen_then_connect_refused)
{
	struct host *h = tt->h;
	struct tt_conn l = tt_conn_in(tt, TCPS_LISTEN, ISS, IRS, false);

	ck_assert_int_eq(sock_connect(h, l.fd, TT_ADDR_B, TT_PORT), -EISCONN);
	ck_assert_int_eq(sock_send(h, l.fd, NULL, 1, SOCK_MSG_NOSIGNAL), -EPIPE);
	tt_assert_id_state(tt, l.id, TCPS_LISTEN);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* Simultaneous close with both first FINs lost: each side's loss probe resends its FIN
 * 2 SRTT + tcp_rto_min later, the FINs cross, each side ACKs the other's from CLOSING,
 * and both end in TIME_WAIT (BEHAVIOUR.md, TIME_WAIT, measured: about 205 ms). */
START_TEST(simultaneous_close_fins_lost)
{
	int cfd, lfd, sfd;
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	uint32_t cid = (uint32_t)sock_id(c, cfd), sid = (uint32_t)sock_id(s, sfd);
	/* The client measured its RTT on the SYN (two delays); the server on the
	 * SYN-ACK (two delays too). */
	drop_next("* F.", 0, 2);
	vtime_t t0 = tt_now(tt);
	ck_assert_int_eq(sock_close(c, cfd), 0);
	ck_assert_int_eq(sock_close(s, sfd), 0);
	vtime_t probe = t0 + tt_tlp_timeout(SRTT, true, RTO);
	tt_run(tt, probe + 3 * DELAY - tt_now(tt));
	ck_assert_int_eq(tt_log_find(tt, tt->client, "F.", 1)->at, probe);
	ck_assert_int_eq(tt_log_find(tt, tt->server, "F.", 1)->at, probe);
	ck_assert_int_eq(tt_state_change_at(tt, tt->client, cid, TCPS_FIN_WAIT_1, TCPS_CLOSING,
					    0), probe + DELAY);
	ck_assert_int_eq(tt_state_change_at(tt, tt->server, sid, TCPS_CLOSING, TCPS_TIME_WAIT,
					    0), probe + 2 * DELAY);
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_TIME_WAIT);
	ck_assert_int_eq(host_sock_state(s, sid), TCPS_TIME_WAIT);
	ck_assert_int_eq(sock_close(s, lfd), 0);
}
END_TEST

/* The ACK of a FIN in ESTABLISHED: Linux puts the socket in pingpong mode (tcp_fin),
 * so after data it waits the delayed-ACK timer, ato = 40 ms; the rfc profile ACKs it
 * at once (well within RFC 9293's 500 ms). */
START_TEST(fin_ack_delay_by_profile)
{
	struct host *h = tt->h;

	tt_use_profile(h, profiles[_i]);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	tt_send(tt, "P.", IRS + 1, ISS + 1, 100, TT_WIN);
	tt_expect(tt, ".", ISS + 1, IRS + 101, 0);
	vtime_t arrive = tt_now(tt) + DELAY;
	tt_send(tt, "F.", IRS + 101, ISS + 1, 0, TT_WIN);
	tt_assert_sent_at(tt_expect(tt, ".", ISS + 1, IRS + 102, 0),
			  arrive + (_i == 0 ? 40 * MS : 0));
	tt_assert_id_state(tt, c.id, TCPS_CLOSE_WAIT);
}
END_TEST

/* The ISN comes from the seeded generator under both profiles: the same seed gives the
 * same ISN, another seed another. */
static uint32_t first_isn(uint64_t seed, const char *profile)
{
	struct counting_alloc ca;
	counting_alloc_init(&ca);
	struct world *w = world_new(seed, &ca.a);
	int a = world_host_add(w, "a", TT_ADDR_A), b = world_host_add(w, "b", TT_ADDR_B);
	struct link_params p = { .delay = DELAY };

	ck_assert_int_eq(net_link_add(world_net(w), a, b, &p, &p), 0);
	struct host *h = world_host(w, a);
	tt_use_profile(h, profile);
	int fd = sock_socket(h);
	ck_assert_int_eq(sock_connect(h, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	struct tcp_info i = tt_info_of(h, fd);
	world_free(w);
	ck_assert_int_eq(ca.live, 0);
	return i.iss;
}

START_TEST(isn_from_seeded_generator)
{
	ck_assert_uint_eq(first_isn(7, profiles[_i]), first_isn(7, profiles[_i]));
	ck_assert_uint_ne(first_isn(7, profiles[_i]), first_isn(8, profiles[_i]));
}
END_TEST

/* ================================================================ errors after RST */

/* Linux (and the recorded runs): the first call after the peer's RST reports
 * ECONNRESET, once; then recv() returns 0 and send() EPIPE (SIGPIPE unless
 * MSG_NOSIGNAL); SO_ERROR reads the pending error and clears it. Three orders. */
START_TEST(errors_after_rst)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	int v = -1;

	tt_send(tt, "R", IRS + 1, 0, 0, 0);
	tt_run(tt, DELAY);
	ck_assert_int_eq(sock_poll(h, c.fd) & SOCK_POLLERR, SOCK_POLLERR);
	ck_assert_int_eq(fd_info(c.fd).pending_error, -ECONNRESET);
	switch (_i) {
	case 0:
		ck_assert_int_eq(sock_recv(h, c.fd, NULL, 10), -ECONNRESET);
		ck_assert_int_eq(sock_recv(h, c.fd, NULL, 10), 0);
		ck_assert_int_eq(sock_send(h, c.fd, NULL, 10, 0), -EPIPE);
		ck_assert_int_eq(sock_send(h, c.fd, NULL, 10, SOCK_MSG_NOSIGNAL), -EPIPE);
		ck_assert_uint_eq(host_counters(h)->sigpipes, 1);
		break;
	case 1:
		ck_assert_int_eq(sock_send(h, c.fd, NULL, 10, 0), -ECONNRESET);
		ck_assert_uint_eq(host_counters(h)->sigpipes, 0);
		ck_assert_int_eq(sock_send(h, c.fd, NULL, 10, 0), -EPIPE);
		ck_assert_uint_eq(host_counters(h)->sigpipes, 1);
		ck_assert_int_eq(sock_recv(h, c.fd, NULL, 10), 0);
		break;
	default:
		ck_assert_int_eq(sock_getsockopt(h, c.fd, SOCKOPT_ERROR, &v, NULL), 0);
		ck_assert_int_eq(v, ECONNRESET);
		ck_assert_int_eq(sock_getsockopt(h, c.fd, SOCKOPT_ERROR, &v, NULL), 0);
		ck_assert_int_eq(v, 0);
		ck_assert_int_eq(sock_send(h, c.fd, NULL, 10, 0), -EPIPE);
		ck_assert_int_eq(sock_recv(h, c.fd, NULL, 10), 0);
		break;
	}
	ck_assert_int_eq(sock_poll(h, c.fd) & SOCK_POLLERR, 0);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 10), -EBADF);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* ================================================================ losses */

/* The FIN is lost twice: the loss probe resends it after 2 SRTT + tcp_rto_min, then
 * the RTO after one RTO, then after twice that; the ACK finally gets through. */
START_TEST(lost_fin_retransmitted)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);

	ck_assert_int_eq(fd_info(c.fd).rto, RTO);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	vtime_t t0 = tt_expect(tt, "F.", ISS + 1, IRS + 1, 0)->sent;
	vtime_t when = t0 + tt_tlp_timeout(SRTT, true, RTO);
	tt_assert_sent_at(tt_expect(tt, "F.", ISS + 1, IRS + 1, 0), when);
	when += RTO;
	tt_assert_sent_at(tt_expect(tt, "F.", ISS + 1, IRS + 1, 0), when);
	struct tcp_info i = tt_info_id(tt, c.id);
	ck_assert_int_eq(i.backoff, 1);
	ck_assert_int_eq(i.rto, tt_dbl(RTO));
	when += tt_dbl(RTO);
	tt_assert_sent_at(tt_expect(tt, "F.", ISS + 1, IRS + 1, 0), when);
	ck_assert_uint_eq(host_counters(h)->loss_probes, 1);
	ck_assert_uint_eq(host_counters(h)->timeouts, 2);
	ck_assert_uint_eq(host_counters(h)->retrans_segs, 3);
	tt_send(tt, ".", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_2);
	tt_expect_none(tt, 10 * VTIME_S);
}
END_TEST


/* The server's ACK of the client's FIN is lost: the client's loss probe resends the
 * FIN after 2 SRTT + tcp_rto_min, the server (CLOSE_WAIT) ACKs it again at once, and
 * the client reaches FIN_WAIT_2 one round trip after its probe. */
START_TEST(lost_ack_of_first_fin)
{
	int cfd, lfd, sfd;
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	uint32_t cid = (uint32_t)sock_id(c, cfd), sid = (uint32_t)sock_id(s, sfd);
	drop_next("server>client .", 1, 0);
	vtime_t t0 = tt_now(tt);
	ck_assert_int_eq(sock_close(c, cfd), 0);
	tt_run(tt, VTIME_S);
	vtime_t probe = t0 + tt_tlp_timeout(SRTT, true, RTO);
	ck_assert_int_eq(tt_log_count(tt, tt->client, "F."), 2);
	ck_assert_int_eq(tt_log_find(tt, tt->client, "F.", 1)->at, probe);
	ck_assert_int_eq(tt_log_count(tt, tt->server, "."), 2); /* the lost ACK and the new one */
	ck_assert_int_eq(tt_state_change_at(tt, tt->client, cid, TCPS_FIN_WAIT_1,
					    TCPS_FIN_WAIT_2, 0), probe + 2 * DELAY);
	ck_assert_int_eq(host_sock_state(s, sid), TCPS_CLOSE_WAIT);
	/* The server closes: an ordinary end from here. */
	ck_assert_int_eq(sock_close(s, sfd), 0);
	tt_run(tt, 4 * DELAY);
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_TIME_WAIT);
	ck_assert_int_eq(host_sock_state(s, sid), TCPS_CLOSED);
	ck_assert_int_eq(sock_close(s, lfd), 0);
}
END_TEST

/* The client's final ACK is lost three times: the server in LAST_ACK resends its FIN
 * after its probe and two RTOs, the client ACKs each from TIME_WAIT and restarts its
 * 60 s every time; TIME_WAIT ends 60 s after the last FIN arrived (BEHAVIOUR.md,
 * TIME_WAIT, measured: gaps 207, 208, 420 ms there, 220, 210, 420 ms here without
 * Linux's 4 ms tick). */
START_TEST(lost_final_ack)
{
	int cfd, lfd, sfd;
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	uint32_t cid = (uint32_t)sock_id(c, cfd), sid = (uint32_t)sock_id(s, sfd);
	ck_assert_int_eq(sock_close(c, cfd), 0);
	tt_run(tt, 10 * DELAY);
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_FIN_WAIT_2);
	drop_next("client>server .", 0, 3);
	vtime_t t1 = tt_now(tt);
	ck_assert_int_eq(sock_close(s, sfd), 0);
	/* The server's FINs: at t1, then the probe, then two RTOs (its SRTT is the
	 * handshake's two delays too). */
	vtime_t fins[4] = { t1 };
	fins[1] = t1 + tt_tlp_timeout(SRTT, true, RTO);
	fins[2] = fins[1] + RTO;
	fins[3] = fins[2] + tt_dbl(RTO);
	for (int k = 0; k < 4; k++) {
		tt_run(tt, fins[k] + DELAY - tt_now(tt));
		ck_assert_int_eq(tt_log_find(tt, tt->server, "F.", k)->at, fins[k]);
		struct tcp_info i;
		ck_assert_int_eq(host_sock_info(c, cid, &i), 0);
		ck_assert_int_eq(i.state, TCPS_TIME_WAIT);
		ck_assert_int_eq(i.timer[TCP_TIMER_TIME_WAIT], fins[k] + DELAY + TIMEWAIT_LEN);
		ck_assert_int_eq(tt_log_count(tt, tt->client, "."), 1 + (k + 1)); /* + handshake */
	}
	tt_run(tt, DELAY);
	ck_assert_int_eq(host_sock_state(s, sid), TCPS_CLOSED);
	ck_assert_int_eq(tt_state_change_at(tt, tt->server, sid, TCPS_LAST_ACK, TCPS_CLOSED, 0),
			 fins[3] + 2 * DELAY);
	ck_assert_int_eq(tt_log_count(tt, tt->server, "F."), 4);
	vtime_t end = fins[3] + DELAY + TIMEWAIT_LEN;
	tt_run(tt, end - 1 - tt_now(tt));
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_TIME_WAIT);
	tt_run(tt, 1);
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(c)->tw_finished, 1);
	ck_assert_int_eq(sock_close(s, lfd), 0);
}
END_TEST

/* ================================================================ giving up */

/* An orphan whose FIN is never acknowledged gives up once tcp_orphan_retries' time
 * budget has passed since its first retransmission (0 means 8: 102.2 s), silently: no
 * RST, TCPAbortOnTimeout. Loop 0: the default; 1: tcp_orphan_retries 3 (3.0 s). */
START_TEST(orphan_retries_exhausted)
{
	struct host *h = tt->h;
	int retries = _i ? 3 : 0;

	host_config(h)->k.orphan_retries = retries;
	ck_assert_int_eq(tt_budget(8), 102200 * MS);
	ck_assert_int_eq(tt_budget(3), 3000 * MS);
	vtime_t budget = tt_budget(retries ? retries : 8);
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, ISS, IRS, false);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	vtime_t t0 = tt_expect(tt, "F.", ISS + 1, IRS + 1, 0)->sent;
	vtime_t probe = t0 + tt_tlp_timeout(SRTT, true, RTO);
	tt_assert_sent_at(tt_expect(tt, "F.", ISS + 1, IRS + 1, 0), probe);
	vtime_t first = probe + RTO, when = first, rto = RTO;
	int n = 0;
	while (when - first < budget) {
		tt_assert_sent_at(tt_expect(tt, "F.", ISS + 1, IRS + 1, 0), when);
		rto = tt_dbl(rto);
		when += rto;
		n++;
	}
	tt_run(tt, when - 1 - tt_now(tt));
	tt_assert_id_state(tt, c.id, TCPS_FIN_WAIT_1);
	ck_assert_uint_eq(host_counters(h)->abort_on_timeout, 0);
	tt_run(tt, 1);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, c.id, TCPS_FIN_WAIT_1, TCPS_CLOSED, 0),
			 when);
	ck_assert_uint_eq(host_counters(h)->abort_on_timeout, 1);
	ck_assert_uint_eq(host_counters(h)->out_rsts, 0);
	/* RTOs at 0, 0.42, 1.26, 2.94 s ... from the first, doubling from 210 ms: 8 of
	 * them fit in 102.2 s (the next would be 107.1 s), 4 in 3.0 s. */
	ck_assert_int_eq(n, retries ? 4 : 8);
	ck_assert_uint_eq(host_counters(h)->retrans_segs, (uint64_t)n + 1);
	tt_expect_none(tt, 300 * VTIME_S);
}
END_TEST

/* A socket the application still holds gives up after tcp_retries2's budget (15:
 * 924.6 s) with ETIMEDOUT. */
START_TEST(held_fin_gives_up_etimedout)
{
	struct host *h = tt->h;
	struct tt_conn c = tt_conn_in(tt, TCPS_FIN_WAIT_1, ISS, IRS, false);
	vtime_t t0 = tt->cap[tt->next - 1].sent;

	ck_assert_int_eq(tt_budget(15), 924600 * MS);
	vtime_t first = t0 + tt_tlp_timeout(SRTT, true, RTO) + RTO, when = first, rto = RTO;
	while (when - first < tt_budget(15)) {
		rto = tt_dbl(rto);
		when += rto;
	}
	tt_run(tt, when - 1 - tt_now(tt));
	tt_assert_state(tt, c.fd, TCPS_FIN_WAIT_1);
	tt_run(tt, 1);
	tt_assert_state(tt, c.fd, TCPS_CLOSED);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 1), -ETIMEDOUT);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 1), 0);
	ck_assert_uint_eq(host_counters(h)->abort_on_timeout, 1);
}
END_TEST

/* The rfc profile: no loss probe, RTO from RFC 6298 (at least 1 s), and R2 (RFC 9293
 * 3.8.3, rfc_r2 = 100 s) since the first retransmission, checked when the RTO fires. */
START_TEST(rfc_profile_r2_gives_up)
{
	struct host *h = tt->h;

	tt_use_profile(h, "rfc");
	struct tt_conn c = tt_conn_in(tt, TCPS_FIN_WAIT_1, ISS, IRS, false);
	vtime_t t0 = tt->cap[tt->next - 1].sent, rto = VTIME_S;
	vtime_t first = t0 + rto, when = first;

	tt_assert_sent_at(tt_expect(tt, "F.", ISS + 1, IRS + 1, 0), first);
	while (when - first < 100 * VTIME_S) {
		rto = tt_dbl(rto);
		when += rto;
	}
	tt_run(tt, when - 1 - tt_now(tt));
	tt_assert_state(tt, c.fd, TCPS_FIN_WAIT_1);
	tt_run(tt, 1);
	tt_assert_state(tt, c.fd, TCPS_CLOSED);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 1, 0), -ETIMEDOUT);
	ck_assert_uint_eq(host_counters(h)->loss_probes, 0);
}
END_TEST

/* ================================================================ a host crash */

/* The server crashes and boots again with nothing: the client's retransmissions are
 * lost while it is down, and the first one after the boot is answered by an RST built
 * from it (RFC 9293 3.10.7.1), which resets the client: ECONNRESET. */
START_TEST(host_crash_then_peer_rst)
{
	int cfd, lfd, sfd;
	struct host *c = tt_host(tt, tt->client);

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	uint32_t cid = (uint32_t)sock_id(c, cfd);
	struct tcp_info ci = tt_info_of(c, cfd);
	ck_assert_int_eq(world_host_crash(tt->w, tt->server), 0);
	ck_assert_ptr_null(world_host(tt->w, tt->server));
	vtime_t t0 = tt_now(tt);
	ck_assert_int_eq(sock_send(c, cfd, NULL, 100, 0), 100);
	vtime_t probe = t0 + tt_tlp_timeout(SRTT, true, RTO);
	vtime_t rto1 = probe + RTO, rto2 = rto1 + tt_dbl(RTO);
	tt_run(tt, rto1 + DELAY + 1 - tt_now(tt));
	ck_assert_int_eq(world_host_boot(tt->w, tt->server), 0);
	struct host *s = tt_host(tt, tt->server);
	ck_assert_uint_eq(tt_count_in(s, TCPS_ESTABLISHED), 0);
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_ESTABLISHED);
	tt_run(tt, rto2 + 2 * DELAY - tt_now(tt));
	ck_assert_int_eq(tt_log_count(tt, tt->client, "P."), 4);
	const struct tt_sent *rst = tt_log_find(tt, tt->server, "R", 0);
	ck_assert_ptr_nonnull(rst);
	ck_assert_int_eq(rst->at, rto2 + DELAY);
	ck_assert_uint_eq(rst->s.seq, ci.rcv_nxt); /* SEQ = SEG.ACK */
	ck_assert_int_eq(host_sock_state(c, cid), TCPS_CLOSED);
	ck_assert_int_eq(tt_state_change_at(tt, tt->client, cid, TCPS_ESTABLISHED, TCPS_CLOSED,
					    0), rto2 + 2 * DELAY);
	ck_assert_int_eq(sock_recv(c, cfd, NULL, 1), -ECONNRESET);
	ck_assert_uint_eq(host_counters(s)->out_rsts, 1);
}
END_TEST

/* ================================================================ wrap-around */

/* Sequence numbers cross 2^32 during the close, on both sides: data before it, both
 * FINs and the TIME_WAIT entry after it. */
START_TEST(wrap_around_during_close)
{
	struct host *h = tt->h;
	const uint32_t iss = 0xffffffc0u, irs = 0xfffffff0u;
	struct tt_conn c = tt_conn_in(tt, TCPS_ESTABLISHED, iss, irs, false);

	tt_send(tt, "P.", irs + 1, iss + 1, 50, TT_WIN);
	tt_expect(tt, ".", iss + 1, irs + 51, 0);
	ck_assert_int_eq(sock_recv(h, c.fd, NULL, 100), 50);
	ck_assert_int_eq(sock_send(h, c.fd, NULL, 100, 0), 100);
	tt_expect(tt, "P.", iss + 1, irs + 51, 100);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	tt_expect(tt, "F.", iss + 101, irs + 51, 0);
	ck_assert_uint_eq(iss + 101, 0x25u);
	ck_assert_uint_eq(irs + 51, 0x23u);
	/* The peer ACKs data and FIN and sends its FIN in one segment. */
	tt_send(tt, "F.", irs + 51, iss + 102, 0, TT_WIN);
	tt_expect(tt, ".", iss + 102, irs + 52, 0);
	tt_assert_id_state(tt, c.id, TCPS_TIME_WAIT);
	struct tcp_info i = tt_info_id(tt, c.id);
	ck_assert_uint_eq(i.snd_nxt, 0x26u);
	ck_assert_uint_eq(i.rcv_nxt, 0x24u);
	/* Its FIN again (from before 2^32 no more): ACKed; a segment from before the
	 * wrap is old, and ACKed too; an RST from before the wrap is not exact. */
	tt_send(tt, "F.", irs + 51, iss + 102, 0, TT_WIN);
	tt_expect(tt, ".", iss + 102, irs + 52, 0);
	tt_send(tt, ".", irs + 1, iss + 1, 10, TT_WIN);
	tt_expect(tt, ".", iss + 102, irs + 52, 0);
	tt_send(tt, "R", irs + 1, 0, 0, 0);
	tt_expect_none(tt, 100 * MS);
	tt_assert_id_state(tt, c.id, TCPS_TIME_WAIT);
	tt_send(tt, "R", irs + 52, 0, 0, 0);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, c.id, TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(h)->tw_killed, 1);
}
END_TEST

static Suite *close_suite(void)
{
	Suite *s = suite_create("tcp_close");
	TCase *peer = tcase_create("peer");
	TCase *pair = tcase_create("pair");
	int nafter = (int)(sizeof(after_shutdown) / sizeof(after_shutdown[0]));
	int nlinger = (int)(sizeof(linger_states) / sizeof(linger_states[0]));

	tcase_add_checked_fixture(peer, setup_peer, teardown);
	tcase_add_checked_fixture(pair, setup_pair, teardown);
	tcase_set_timeout(peer, 60);
	tcase_set_timeout(pair, 60);
	tcase_add_test(peer, active_close_ladder);
	tcase_add_test(peer, passive_close_ladder);
	tcase_add_loop_test(peer, fin_ack_shortcut, 0, 2);
	tcase_add_loop_test(peer, closing_ladder, 0, 2);
	tcase_add_test(pair, simultaneous_close);
	tcase_add_test(peer, close_in_syn_sent);
	tcase_add_test(peer, close_in_syn_received);
	tcase_add_test(peer, close_listener);
	tcase_add_test(peer, close_in_closed);
	tcase_add_loop_test(peer, close_after_shutdown, 0, nafter);
	tcase_add_loop_test(peer, shutdown_wr_half_close, 0, 2);
	tcase_add_loop_test(peer, shutdown_rd, 0, 2);
	tcase_add_loop_test(peer, shutdown_rdwr, 0, 2);
	tcase_add_test(peer, shutdown_listener_and_syn_sent);
	tcase_add_test(peer, dup_references);
	tcase_add_test(peer, dup_shutdown_acts_for_all);
	tcase_add_test(peer, linger_zero_resets);
	tcase_add_loop_test(peer, linger_zero_in_each_state, 0, nlinger);
	tcase_add_test(peer, linger_returns_when_fin_acked);
	tcase_add_test(peer, linger_times_out);
	tcase_add_test(peer, linger_nonblocking_waits_too);
	tcase_add_loop_test(peer, close_with_unread_data, 0, 2);
	tcase_add_test(peer, close_with_unread_data_in_close_wait);
	tcase_add_loop_test(peer, data_to_orphan_resets, 0, 3);
	tcase_add_test(pair, data_to_orphan_pair);
	tcase_add_loop_test(peer, rst_exact_in_state, 0, NRST_STATES);
	tcase_add_loop_test(peer, rst_in_window_in_state, 0, 2 * NRST_STATES);
	tcase_add_loop_test(peer, syn_in_synchronized_state, 0, 2);
	tcase_add_loop_test(peer, out_of_window_answers_rate_limited, 0, 2);
	tcase_add_test(peer, listen_then_connect_refused);
	tcase_add_test(pair, simultaneous_close_fins_lost);
	tcase_add_loop_test(peer, fin_ack_delay_by_profile, 0, 2);
	tcase_add_loop_test(peer, isn_from_seeded_generator, 0, 2);
	tcase_add_loop_test(peer, rst_out_of_window_in_state, 0, NRST_STATES);
	tcase_add_test(peer, rst_in_syn_sent);
	tcase_add_test(peer, rst_in_listen);
	tcase_add_test(peer, rst_in_syn_received);
	tcase_add_loop_test(peer, errors_after_rst, 0, 3);
	tcase_add_test(peer, lost_fin_retransmitted);
	tcase_add_test(pair, lost_ack_of_first_fin);
	tcase_add_test(pair, lost_final_ack);
	tcase_add_loop_test(peer, orphan_retries_exhausted, 0, 2);
	tcase_add_test(peer, held_fin_gives_up_etimedout);
	tcase_add_test(peer, rfc_profile_r2_gives_up);
	tcase_add_test(pair, host_crash_then_peer_rst);
	tcase_add_test(peer, wrap_around_during_close);
	suite_add_tcase(s, peer);
	suite_add_tcase(s, pair);
	return s;
}

int main(void)
{
	return run_suite(close_suite());
}
