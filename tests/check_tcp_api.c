/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "tcptest.h"

/*
 * The sockets API: every errno it returns (BEHAVIOUR.md, "Errors the application
 * sees"), descriptor reference counts, SO_ERROR, the buffer options and poll bits.
 */

static struct tt T;
static struct tt *const tt = &T;

#define DELAY (5 * VTIME_MS)

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

/* ---------------------------------------------------------------- EBADF */

START_TEST(ebadf_everywhere)
{
	struct host *h = tt->h;
	int v = 0, v2 = 0;
	int fds[] = { -1, 0, 1, 2, 3, 99, 100000 };

	for (size_t k = 0; k < sizeof(fds) / sizeof(fds[0]); k++) {
		int fd = fds[k];
		ck_assert_int_eq(sock_bind(h, fd, 80), -EBADF);
		ck_assert_int_eq(sock_listen(h, fd, 1), -EBADF);
		ck_assert_int_eq(sock_accept(h, fd), -EBADF);
		ck_assert_int_eq(sock_connect(h, fd, TT_ADDR_B, 80), -EBADF);
		ck_assert_int_eq(sock_connect_result(h, fd), -EBADF);
		ck_assert_int_eq(sock_send(h, fd, NULL, 1, 0), -EBADF);
		ck_assert_int_eq(sock_recv(h, fd, NULL, 1), -EBADF);
		ck_assert_int_eq(sock_shutdown(h, fd, SOCK_SHUT_WR), -EBADF);
		ck_assert_int_eq(sock_close(h, fd), -EBADF);
		ck_assert_int_eq(sock_dup(h, fd), -EBADF);
		ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_NODELAY, 1, 0), -EBADF);
		ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_NODELAY, &v, &v2), -EBADF);
		ck_assert_int_eq(sock_set_nonblock(h, fd, true), -EBADF);
		ck_assert_int_eq(sock_poll(h, fd), -EBADF);
		ck_assert_int_eq(sock_id(h, fd), -EBADF);
	}
	/* A descriptor once closed is bad too; the next socket gets the lowest free. */
	int fd = sock_socket(h);
	ck_assert_int_eq(fd, 3);
	ck_assert_int_eq(sock_socket(h), 4);
	ck_assert_int_eq(sock_close(h, fd), 0);
	ck_assert_int_eq(sock_close(h, fd), -EBADF);
	ck_assert_int_eq(sock_send(h, fd, NULL, 1, 0), -EBADF);
	ck_assert_int_eq(sock_socket(h), 3);
}
END_TEST

/* ---------------------------------------------------------------- EINVAL */

START_TEST(einval)
{
	struct host *h = tt->h;
	int fd = sock_socket(h);

	ck_assert_int_eq(sock_bind(h, fd, 5000), 0);
	ck_assert_int_eq(sock_bind(h, fd, 5001), -EINVAL); /* bound already */
	ck_assert_int_eq(sock_accept(h, fd), -EINVAL);     /* not listening */
	ck_assert_int_eq(sock_shutdown(h, fd, 3), -EINVAL);
	ck_assert_int_eq(sock_shutdown(h, fd, -1), -EINVAL);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_LINGER, 1, -1), -EINVAL);
	/* listen() after connect() started, bind() after connect(). */
	int c = tt_established_active(tt, 1000, 5000);
	ck_assert_int_eq(sock_listen(h, c, 1), -EINVAL);
	ck_assert_int_eq(sock_bind(h, c, 6000), -EINVAL);
	ck_assert_int_eq(sock_accept(h, c), -EINVAL);
}
END_TEST

/* ---------------------------------------------------------------- connect's errnos */

START_TEST(connect_states)
{
	struct host *h = tt->h;
	int fd = tt_syn_sent(tt, 1000);

	/* Linux inet_stream_connect: EALREADY while opening, EISCONN once open. */
	ck_assert_int_eq(sock_connect(h, fd, TT_ADDR_B, TT_PORT), -EALREADY);
	ck_assert_int_eq(sock_connect_result(h, fd), -EALREADY);
	ck_assert_int_eq(sock_send(h, fd, NULL, 10, 0), -EAGAIN);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 10), -EAGAIN);
	tt_send_opts(tt, "S.", 5000, 1001, 0, TT_WIN, "mss 1460");
	tt_expect(tt, ".", 1001, 5001, 0);
	ck_assert_int_eq(sock_connect_result(h, fd), 0);
	ck_assert_int_eq(sock_connect(h, fd, TT_ADDR_B, TT_PORT), -EISCONN);
	ck_assert_int_eq(sock_connect(h, fd, TT_ADDR_B, 81), -EISCONN);
	/* Still "connected" for connect() after an RST closed it (SS_CONNECTED). */
	tt_send(tt, "R", 5001, 0, 0, 0);
	tt_run(tt, DELAY);
	tt_assert_state(tt, fd, TCPS_CLOSED);
	ck_assert_int_eq(sock_connect(h, fd, TT_ADDR_B, TT_PORT), -EISCONN);
}
END_TEST

START_TEST(econnrefused)
{
	struct host *c = tt_host(tt, tt->client);
	int fd = sock_socket(c), v = -1;

	ck_assert_int_eq(sock_connect(c, fd, TT_ADDR_B, 81), -EINPROGRESS);
	tt_run(tt, 2 * DELAY);
	/* SO_ERROR reports it once, as a positive errno; then 0. */
	ck_assert_int_eq(sock_getsockopt(c, fd, SOCKOPT_ERROR, &v, NULL), 0);
	ck_assert_int_eq(v, ECONNREFUSED);
	ck_assert_int_eq(sock_getsockopt(c, fd, SOCKOPT_ERROR, &v, NULL), 0);
	ck_assert_int_eq(v, 0);
	/* A refused socket may connect again; send() reports the error first. */
	ck_assert_int_eq(sock_connect(c, fd, TT_ADDR_B, 81), -EINPROGRESS);
	tt_run(tt, 2 * DELAY);
	ck_assert_int_eq(sock_send(c, fd, NULL, 1, 0), -ECONNREFUSED);
	ck_assert_int_eq(sock_send(c, fd, NULL, 1, 0), -EPIPE);
	/* Port 0 is refused at once (Linux: the SYN is answered by nobody). */
	int fd2 = sock_socket(c);
	ck_assert_int_eq(sock_connect(c, fd2, TT_ADDR_B, 0), -ECONNREFUSED);
}
END_TEST

START_TEST(etimedout_connect)
{
	struct host *h = tt->h;

	host_config(h)->k.syn_retries = 1;
	host_config(h)->k.syn_linear_timeouts = 0;
	int fd = tt_syn_sent(tt, 1000);
	tt_expect(tt, "S", 1000, 0, 0);
	tt_run(tt, 3 * VTIME_S - tt_now(tt));
	ck_assert_int_eq(sock_poll(h, fd) & SOCK_POLLERR, SOCK_POLLERR);
	ck_assert_int_eq(sock_connect_result(h, fd), -ETIMEDOUT);
}
END_TEST

/* ---------------------------------------------------------------- ENOTCONN */

START_TEST(enotconn)
{
	struct host *h = tt->h;
	int fd = sock_socket(h);

	ck_assert_int_eq(sock_recv(h, fd, NULL, 1), -ENOTCONN);
	ck_assert_int_eq(sock_shutdown(h, fd, SOCK_SHUT_RDWR), -ENOTCONN);
	ck_assert_int_eq(sock_connect_result(h, fd), -ENOTCONN);
	int lfd = tt_listen(tt, 1);
	ck_assert_int_eq(sock_recv(h, lfd, NULL, 1), -ENOTCONN);
	/* Linux tcp_sendmsg on a socket never connected: sk_stream_wait_connect gives
	 * EPIPE (and SIGPIPE). */
	ck_assert_int_eq(sock_send(h, fd, NULL, 1, 0), -EPIPE);
	ck_assert_uint_eq(host_counters(h)->sigpipes, 1);
}
END_TEST

/* ---------------------------------------------------------------- EPIPE, EAGAIN */

START_TEST(epipe_after_shutdown)
{
	struct host *h = tt->h;
	int fd = tt_established_passive(tt, 1000, 5000);

	ck_assert_int_eq(sock_shutdown(h, fd, SOCK_SHUT_WR), 0);
	tt_expect(tt, "F.", 1001, 5001, 0);
	tt_assert_state(tt, fd, TCPS_FIN_WAIT_1);
	ck_assert_int_eq(sock_send(h, fd, NULL, 1, 0), -EPIPE);
	ck_assert_uint_eq(host_counters(h)->sigpipes, 1);
	ck_assert_int_eq(sock_send(h, fd, NULL, 1, SOCK_MSG_NOSIGNAL), -EPIPE);
	ck_assert_uint_eq(host_counters(h)->sigpipes, 1);
	/* Half-close: reading still works. */
	tt_send(tt, "P.", 5001, 1002, 5, TT_WIN);
	tt_expect(tt, ".", 1002, 5006, 0);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 10), 5);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 10), -EAGAIN);
	/* shutdown twice is harmless. */
	ck_assert_int_eq(sock_shutdown(h, fd, SOCK_SHUT_WR), 0);
	tt_expect_none(tt, 100 * VTIME_MS);
}
END_TEST

START_TEST(eagain)
{
	struct host *h = tt->h;
	int lfd = tt_listen(tt, 1);

	ck_assert_int_eq(sock_accept(h, lfd), -EAGAIN);
	int fd = tt_established_active(tt, 1000, 5000);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 10), -EAGAIN);
	/* A full send buffer behind a closed window. */
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_SNDBUF, 2500, 0), 0);
	tt_send(tt, ".", 5001, 1001, 0, 0);
	tt_run(tt, DELAY);
	ck_assert_int_eq(sock_send(h, fd, NULL, 6000, 0), 5000);
	ck_assert_int_eq(sock_poll(h, fd) & SOCK_POLLOUT, 0);
	ck_assert_int_eq(sock_send(h, fd, NULL, 1, 0), -EAGAIN);
	ck_assert_int_eq(tt_info(tt, fd).send_queue, 5000);
}
END_TEST

/* ---------------------------------------------------------------- after an RST */

/* BEHAVIOUR.md: recorded recv -> ECONNRESET, then send -> EPIPE, EPIPE; recv -> 0. */
START_TEST(econnreset_then_epipe)
{
	struct host *h = tt->h;
	int fd = tt_established_passive(tt, 1000, 5000);

	tt_send(tt, "R", 5001, 0, 0, 0);
	tt_run(tt, DELAY);
	tt_assert_state(tt, fd, TCPS_CLOSED);
	ck_assert_int_eq(sock_poll(h, fd) & (SOCK_POLLERR | SOCK_POLLHUP | SOCK_POLLIN),
			 SOCK_POLLERR | SOCK_POLLHUP | SOCK_POLLIN);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 10), -ECONNRESET);
	ck_assert_int_eq(sock_send(h, fd, NULL, 10, 0), -EPIPE);
	ck_assert_int_eq(sock_send(h, fd, NULL, 10, 0), -EPIPE);
	ck_assert_uint_eq(host_counters(h)->sigpipes, 2);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 10), 0);
	ck_assert_uint_eq(host_counters(h)->estab_resets, 1);
	tt_expect_none(tt, VTIME_S); /* an RST is never answered */
}
END_TEST

START_TEST(econnreset_seen_by_send_first)
{
	struct host *h = tt->h;
	int fd = tt_established_passive(tt, 1000, 5000);

	tt_send(tt, "R.", 5001, 1001, 0, 0);
	tt_run(tt, DELAY);
	ck_assert_int_eq(sock_send(h, fd, NULL, 10, 0), -ECONNRESET);
	ck_assert_uint_eq(host_counters(h)->sigpipes, 0);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 10), 0);
	ck_assert_int_eq(sock_send(h, fd, NULL, 10, SOCK_MSG_NOSIGNAL), -EPIPE);
	ck_assert_uint_eq(host_counters(h)->sigpipes, 0);
}
END_TEST

/* RFC 5961 3.2: an RST in the window but not at RCV.NXT gets a challenge ACK and
 * changes nothing. */
START_TEST(inexact_rst_is_challenged)
{
	struct host *h = tt->h;
	int fd = tt_established_passive(tt, 1000, 5000);

	tt_send(tt, "R", 5100, 0, 0, 0);
	tt_expect(tt, ".", 1001, 5001, 0);
	tt_assert_state(tt, fd, TCPS_ESTABLISHED);
	ck_assert_uint_eq(host_counters(h)->challenge_acks, 1);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 10), -EAGAIN);
}
END_TEST

/* ---------------------------------------------------------------- ports */

START_TEST(eaddrinuse)
{
	struct host *h = tt->h;
	int a = sock_socket(h), b = sock_socket(h), c = sock_socket(h);

	ck_assert_int_eq(sock_bind(h, a, 7000), 0);
	ck_assert_int_eq(sock_bind(h, b, 7000), -EADDRINUSE);
	/* SO_REUSEADDR shares a port only when every holder set it and none listens. */
	ck_assert_int_eq(sock_setsockopt(h, b, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, b, 7000), -EADDRINUSE);
	/* Linux's conflict check reads each holder's SO_REUSEADDR as it is now. */
	ck_assert_int_eq(sock_setsockopt(h, a, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, b, 7000), 0);
	ck_assert_int_eq(sock_listen(h, a, 1), 0);
	ck_assert_int_eq(sock_listen(h, b, 1), -EADDRINUSE);
	ck_assert_int_eq(sock_setsockopt(h, c, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, c, 7000), -EADDRINUSE); /* a listens */
	/* The port is free again once its holders are gone. */
	ck_assert_int_eq(sock_close(h, a), 0);
	ck_assert_int_eq(sock_close(h, b), 0);
	ck_assert_int_eq(sock_setsockopt(h, c, SOCKOPT_REUSEADDR, 0, 0), 0);
	ck_assert_int_eq(sock_bind(h, c, 7000), 0);
}
END_TEST

START_TEST(eaddrnotavail)
{
	struct host *h = tt->h;
	struct tcp_config *c = host_config(h);

	c->k.port_lo = 40000;
	c->k.port_hi = 40001;
	ck_assert_int_eq(sock_connect(h, sock_socket(h), TT_ADDR_B, TT_PORT), -EINPROGRESS);
	ck_assert_int_eq(sock_connect(h, sock_socket(h), TT_ADDR_B, TT_PORT), -EINPROGRESS);
	int fd = sock_socket(h);
	ck_assert_int_eq(sock_connect(h, fd, TT_ADDR_B, TT_PORT), -EADDRNOTAVAIL);
	ck_assert_int_eq(tt_info(tt, fd).state, TCPS_CLOSED);
	/* A bound socket whose 4-tuple is taken cannot connect either. */
	int b = sock_socket(h);
	ck_assert_int_eq(sock_setsockopt(h, b, SOCKOPT_REUSEADDR, 1, 0), 0);
	int e = sock_socket(h);
	ck_assert_int_eq(sock_setsockopt(h, e, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, b, 9000), 0);
	ck_assert_int_eq(sock_bind(h, e, 9000), 0);
	ck_assert_int_eq(sock_connect(h, b, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	ck_assert_int_eq(sock_connect(h, e, TT_ADDR_B, TT_PORT), -EADDRNOTAVAIL);
}
END_TEST

/* ---------------------------------------------------------------- references */

/* close() drops one reference; only the last acts. shutdown() acts whatever the
 * references. */
START_TEST(dup_and_close_references)
{
	struct host *h = tt->h;
	int fd = tt_established_passive(tt, 1000, 5000);
	int d = sock_dup(h, fd);

	ck_assert_int_gt(d, fd);
	ck_assert_int_eq(sock_id(h, d), sock_id(h, fd));
	ck_assert_int_eq(tt_info(tt, fd).refs, 2);
	ck_assert_int_eq(sock_close(h, fd), 0);
	ck_assert_int_eq(tt_info(tt, d).refs, 1);
	tt_expect_none(tt, VTIME_S);
	tt_assert_state(tt, d, TCPS_ESTABLISHED);
	ck_assert_int_eq(sock_send(h, d, NULL, 10, 0), 10);
	tt_expect(tt, "P.", 1001, 5001, 10);
	tt_send(tt, ".", 5001, 1011, 0, TT_WIN);
	uint32_t id = (uint32_t)sock_id(h, d);
	ck_assert_int_eq(sock_close(h, d), 0);
	tt_expect(tt, "F.", 1011, 5001, 0);
	ck_assert_int_eq(host_sock_state(h, id), TCPS_FIN_WAIT_1);
	struct tcp_info i;
	ck_assert_int_eq(host_sock_info(h, id, &i), 0);
	ck_assert(i.orphan);
	ck_assert_int_eq(i.refs, 0);
}
END_TEST

START_TEST(shutdown_acts_despite_references)
{
	struct host *h = tt->h;
	int fd = tt_established_passive(tt, 1000, 5000);
	int d = sock_dup(h, fd);

	ck_assert_int_eq(sock_shutdown(h, d, SOCK_SHUT_WR), 0);
	tt_expect(tt, "F.", 1001, 5001, 0);
	ck_assert_int_eq(sock_send(h, fd, NULL, 1, SOCK_MSG_NOSIGNAL), -EPIPE);
}
END_TEST

/* ---------------------------------------------------------------- options */

/* Linux sock_setsockopt: the value is doubled (for bookkeeping), with floors of 2304
 * (SO_RCVBUF) and 4608 (SO_SNDBUF) and a ceiling of twice rmem_max/wmem_max. */
START_TEST(buffer_sizes_doubled)
{
	struct host *h = tt->h;
	int fd = sock_socket(h), v = 0;

	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_RCVBUF, &v, NULL), 0);
	ck_assert_int_eq(v, host_config(h)->k.rmem);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_SNDBUF, &v, NULL), 0);
	ck_assert_int_eq(v, host_config(h)->k.wmem);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_RCVBUF, 10000, 0), 0);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_RCVBUF, &v, NULL), 0);
	ck_assert_int_eq(v, 20000);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_SNDBUF, 10000, 0), 0);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_SNDBUF, &v, NULL), 0);
	ck_assert_int_eq(v, 20000);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_RCVBUF, 1, 0), 0);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_RCVBUF, &v, NULL), 0);
	ck_assert_int_eq(v, 2304);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_SNDBUF, 1, 0), 0);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_SNDBUF, &v, NULL), 0);
	ck_assert_int_eq(v, 4608);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_RCVBUF, 1 << 30, 0), 0);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_RCVBUF, &v, NULL), 0);
	ck_assert_int_eq(v, 2 * 212992);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_ERROR, 1, 0), -ENOPROTOOPT);
}
END_TEST

START_TEST(other_options_read_back)
{
	struct host *h = tt->h;
	int fd = sock_socket(h), v = -1, v2 = -1;

	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_LINGER, 1, 5), 0);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_LINGER, &v, &v2), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(v2, 5);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_NODELAY, 1, 0), 0);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_NODELAY, &v, NULL), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(sock_setsockopt(h, fd, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_getsockopt(h, fd, SOCKOPT_REUSEADDR, &v, NULL), 0);
	ck_assert_int_eq(v, 1);
	ck_assert(!sock_is_nonblock(h, fd));
	ck_assert_int_eq(sock_set_nonblock(h, fd, true), 0);
	ck_assert(sock_is_nonblock(h, fd));
}
END_TEST

/* ---------------------------------------------------------------- poll */

/* Linux tcp_poll, state by state. */
START_TEST(poll_bits)
{
	struct host *h = tt->h;
	int fresh = sock_socket(h);

	ck_assert_int_eq(sock_poll(h, fresh), SOCK_POLLOUT | SOCK_POLLHUP);
	int lfd = tt_syn_received(tt, 1000, 5000, "mss 1460");
	ck_assert_int_eq(sock_poll(h, lfd), 0);
	tt_send(tt, ".", 5001, 1001, 0, TT_WIN);
	tt_run(tt, DELAY);
	ck_assert_int_eq(sock_poll(h, lfd), SOCK_POLLIN);
	int fd = sock_accept(h, lfd);
	ck_assert_int_eq(sock_poll(h, lfd), 0);
	ck_assert_int_eq(sock_poll(h, fd), SOCK_POLLOUT);
	tt_send(tt, "P.", 5001, 1001, 10, TT_WIN);
	tt_expect(tt, ".", 1001, 5011, 0);
	ck_assert_int_eq(sock_poll(h, fd), SOCK_POLLIN | SOCK_POLLOUT);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 100), 10);
	ck_assert_int_eq(sock_poll(h, fd), SOCK_POLLOUT);
	tt_send(tt, "F.", 5011, 1001, 0, TT_WIN);
	tt_expect(tt, ".", 1001, 5012, 0);
	ck_assert_int_eq(sock_poll(h, fd), SOCK_POLLIN | SOCK_POLLRDHUP | SOCK_POLLOUT);
	ck_assert_int_eq(sock_shutdown(h, fd, SOCK_SHUT_WR), 0);
	tt_expect(tt, "F.", 1001, 5012, 0);
	ck_assert_int_eq(sock_poll(h, fd),
			 SOCK_POLLIN | SOCK_POLLRDHUP | SOCK_POLLOUT | SOCK_POLLHUP);
}
END_TEST

START_TEST(poll_after_reset)
{
	struct host *h = tt->h;
	int fd = tt_established_passive(tt, 1000, 5000);

	tt_send(tt, "R", 5001, 0, 0, 0);
	tt_run(tt, DELAY);
	/* Linux tcp_reset then tcp_done: both directions shut, the error pending. */
	ck_assert_int_eq(sock_poll(h, fd), SOCK_POLLIN | SOCK_POLLRDHUP | SOCK_POLLOUT |
						   SOCK_POLLHUP | SOCK_POLLERR);
	ck_assert_int_eq(sock_recv(h, fd, NULL, 1), -ECONNRESET);
	ck_assert_int_eq(sock_poll(h, fd), SOCK_POLLIN | SOCK_POLLRDHUP | SOCK_POLLOUT |
						   SOCK_POLLHUP);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("tcp_api");
	TCase *peer = tcase_create("peer");
	TCase *pair = tcase_create("pair");

	tcase_add_checked_fixture(peer, setup_peer, teardown);
	tcase_add_checked_fixture(pair, setup_pair, teardown);
	tcase_add_test(peer, ebadf_everywhere);
	tcase_add_test(peer, einval);
	tcase_add_test(peer, connect_states);
	tcase_add_test(pair, econnrefused);
	tcase_add_test(peer, etimedout_connect);
	tcase_add_test(peer, enotconn);
	tcase_add_test(peer, epipe_after_shutdown);
	tcase_add_test(peer, eagain);
	tcase_add_test(peer, econnreset_then_epipe);
	tcase_add_test(peer, econnreset_seen_by_send_first);
	tcase_add_test(peer, inexact_rst_is_challenged);
	tcase_add_test(peer, eaddrinuse);
	tcase_add_test(peer, eaddrnotavail);
	tcase_add_test(peer, dup_and_close_references);
	tcase_add_test(peer, shutdown_acts_despite_references);
	tcase_add_test(peer, buffer_sizes_doubled);
	tcase_add_test(peer, other_options_read_back);
	tcase_add_test(peer, poll_bits);
	tcase_add_test(peer, poll_after_reset);
	suite_add_tcase(s, peer);
	suite_add_tcase(s, pair);
	return s;
}

int main(void)
{
	return run_suite(api_suite());
}
