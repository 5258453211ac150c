/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "tcptest.h"

/*
 * Opening a connection: the three-way handshake from either side, simultaneous open, a
 * SYN to a closed port, SYN and SYN-ACK loss with their retransmission timings, the
 * listen backlog, option negotiation with Linux's option layout, and ephemeral ports.
 * Sequence numbers are written from the ISS and IRS each test starts with.
 */

static struct tt T;
static struct tt *const tt = &T;

#define DELAY (5 * VTIME_MS) /* one way: a 10 ms RTT */

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

/* Asserts the options' text, with the TS val (a per-connection random offset plus the
 * clock) taken from the segment: before + "TS val V ecr E" + after. */
static void assert_opts(const struct tt_cap *c, const char *before, uint32_t ecr,
			const char *after)
{
	char want[160];

	snprintf(want, sizeof(want), "%sTS val %u ecr %u%s", before, c->s.opt.ts_val, ecr, after);
	ck_assert_str_eq(tt_opts_str(c), want);
}

/* ---------------------------------------------------------------- active open */

START_TEST(active_open)
{
	int fd = sock_socket(tt->h);

	host_fix_iss(tt->h, 1000, 1);
	tt->pport = TT_PORT;
	ck_assert_int_eq(sock_connect(tt->h, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	tt_assert_state(tt, fd, TCPS_SYN_SENT);
	ck_assert_int_eq(sock_poll(tt->h, fd), 0); /* neither readable nor writable yet */
	const struct tt_cap *c = tt_expect(tt, "S", 1000, 0, 0);
	tt->port = c->s.sport;
	ck_assert_int_eq(c->sent, 0);
	/* Linux: 64240 bytes (44 x 1460) in the SYN, whose window is never scaled. */
	ck_assert_uint_eq(c->s.wnd, 64240);
	assert_opts(c, "mss 1460,sackOK,", 0, ",nop,wscale 10");
	tt_send_opts(tt, "S.", 5000, 1001, 0, 65535, "mss 1460,sackOK,TS val 77 ecr 0,nop,wscale 7");
	c = tt_expect(tt, ".", 1001, 5001, 0);
	ck_assert_int_eq(c->sent, 2 * DELAY); /* at once, when the SYN-ACK arrived */
	ck_assert_uint_eq(c->s.opt.ts_ecr, 77);
	ck_assert_int_eq(sock_connect_result(tt->h, fd), 0);
	tt_assert_state(tt, fd, TCPS_ESTABLISHED);
	ck_assert_int_eq(sock_poll(tt->h, fd), SOCK_POLLOUT);
	ck_assert_uint_eq(host_counters(tt->h)->active_opens, 1);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

START_TEST(active_open_measures_rtt)
{
	int fd = tt_established_active(tt, 1000, 5000);
	struct tcp_info i = tt_info(tt, fd);
	/* Linux tcp_rtt_estimator, first sample m: SRTT = m, mdev = m/2, and RTO =
	 * SRTT + max(4 mdev, tcp_rto_min) (__tcp_set_rto). */
	vtime_t m = 2 * DELAY, rto = m + (4 * (m / 2) > 200 * VTIME_MS ? 2 * m : 200 * VTIME_MS);

	ck_assert_int_eq(i.srtt, m);
	ck_assert_int_eq(i.rto, rto);
	ck_assert_int_eq(i.rto, 210 * VTIME_MS); /* BEHAVIOUR.md: ~210 ms on a 10 ms path */
	ck_assert_uint_eq(i.snd_una, 1001);
	ck_assert_uint_eq(i.rcv_nxt, 5001);
	ck_assert_int_eq(i.timer[TCP_TIMER_RTO], 0);
}
END_TEST

/* ---------------------------------------------------------------- passive open */

START_TEST(passive_open)
{
	host_fix_iss(tt->h, 1000, 1);
	int lfd = tt_listen(tt, 8);

	tt_assert_state(tt, lfd, TCPS_LISTEN);
	tt_send_opts(tt, "S", 5000, 0, 0, 65535, "mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7");
	const struct tt_cap *c = tt_expect(tt, "S.", 1000, 5001, 0);
	ck_assert_int_eq(c->sent, DELAY);
	/* Linux tcp_openreq_init_rwin: 45 segments of 1448 (room for timestamps). */
	ck_assert_uint_eq(c->s.wnd, 65160);
	assert_opts(c, "mss 1460,sackOK,", 100, ",nop,wscale 10");
	ck_assert_int_eq(sock_accept(tt->h, lfd), -EAGAIN); /* SYN_RECEIVED is not accepted */
	ck_assert_int_eq(sock_poll(tt->h, lfd), 0);
	uint64_t counts[TCPS_COUNT];
	host_state_counts(tt->h, counts);
	ck_assert_uint_eq(counts[TCPS_SYN_RECEIVED], 1);

	tt_send_opts(tt, ".", 5001, 1001, 0, 512, "TS val 110 ecr 0");
	tt_run(tt, DELAY);
	ck_assert_int_eq(sock_poll(tt->h, lfd), SOCK_POLLIN);
	int fd = sock_accept(tt->h, lfd);
	ck_assert_int_ge(fd, 3);
	struct tcp_info i = tt_info(tt, fd);
	ck_assert_int_eq(i.state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(i.snd_una, 1001);
	ck_assert_uint_eq(i.rcv_nxt, 5001);
	ck_assert_uint_eq(i.snd_wnd, 512u << 7); /* the window of a non-SYN is scaled */
	ck_assert(i.ts_ok && i.sack_ok && i.ws_ok);
	ck_assert_uint_eq(i.snd_wscale, 7);
	ck_assert_uint_eq(i.rcv_wscale, 10); /* tcp_rmem_max 32 MB: Linux 6.18's default */
	ck_assert_uint_eq(i.mss, 1460 - 12); /* timestamps take 12 bytes of every segment */
	ck_assert_int_eq(i.srtt, 2 * DELAY);
	ck_assert_uint_eq(host_counters(tt->h)->passive_opens, 1);
	ck_assert_int_eq(sock_accept(tt->h, lfd), -EAGAIN);
	tt_expect_none(tt, VTIME_S); /* the third ACK is not answered */
}
END_TEST

START_TEST(retransmitted_syn_gets_the_syn_ack_again)
{
	tt_syn_received(tt, 1000, 5000, "mss 1460");
	tt_send_opts(tt, "S", 5000, 0, 0, 65535, "mss 1460");
	tt_expect(tt, "S.", 1000, 5001, 0);
	tt_send(tt, ".", 5001, 1001, 0, 65535);
	tt_run(tt, DELAY);
	ck_assert_int_ge(sock_accept(tt->h, tt->lfd), 3);
}
END_TEST

START_TEST(bad_ack_in_syn_received_is_reset)
{
	tt_syn_received(tt, 1000, 5000, "mss 1460");
	/* RFC 9293 3.10.7.4, SYN-RECEIVED: an unacceptable ACK gets <SEQ=SEG.ACK><CTL=RST>. */
	tt_send(tt, ".", 5001, 3000, 0, 65535);
	tt_expect(tt, "R", 3000, 0, 0);
	uint64_t counts[TCPS_COUNT];
	host_state_counts(tt->h, counts);
	ck_assert_uint_eq(counts[TCPS_SYN_RECEIVED], 1); /* and the handshake goes on */
	tt_send(tt, ".", 5001, 1001, 0, 65535);
	tt_run(tt, DELAY);
	ck_assert_int_ge(sock_accept(tt->h, tt->lfd), 3);
}
END_TEST

START_TEST(ack_to_a_listener_is_reset)
{
	tt_listen(tt, 8);
	/* RFC 9293 3.10.7.2: an ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>. */
	tt_send(tt, ".", 5000, 1234, 0, 65535);
	tt_expect(tt, "R", 1234, 0, 0);
	/* An RST to a listener is ignored. */
	tt_send(tt, "R", 5000, 0, 0, 0);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* ---------------------------------------------------------------- two real hosts */

START_TEST(handshake_between_two_hosts)
{
	int cfd, lfd, sfd;
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	ck_assert_int_eq(tt_log_count(tt, tt->client, "S"), 1);
	ck_assert_int_eq(tt_log_count(tt, tt->server, "S."), 1);
	ck_assert_int_eq(tt_log_find(tt, tt->client, "S", 0)->at, 0);
	ck_assert_int_eq(tt_log_find(tt, tt->server, "S.", 0)->at, DELAY);
	ck_assert_int_eq(tt_log_find(tt, tt->client, ".", 0)->at, 2 * DELAY);
	struct tcp_info ci = tt_info_of(c, cfd), si = tt_info_of(s, sfd);
	ck_assert_int_eq(ci.state, TCPS_ESTABLISHED);
	ck_assert_int_eq(si.state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(ci.snd_nxt, si.rcv_nxt);
	ck_assert_uint_eq(si.snd_nxt, ci.rcv_nxt);
	ck_assert_uint_eq(ci.rport, TT_PORT);
	ck_assert_uint_eq(si.rport, ci.lport);
	ck_assert(ci.ts_ok && ci.sack_ok && ci.ws_ok && si.ts_ok && si.sack_ok && si.ws_ok);
	ck_assert_uint_eq(ci.mss, 1448);
}
END_TEST

/* RFC 9293 3.5, figure 8: both SYNs cross; each side answers with SYN,ACK from
 * SYN_RECEIVED and becomes ESTABLISHED on the other's SYN,ACK. Linux
 * (tcp_validate_incoming) takes that SYN,ACK without a challenge ACK and sends nothing
 * more. */
START_TEST(simultaneous_open)
{
	struct host *a = tt_host(tt, tt->client), *b = tt_host(tt, tt->server);
	int fa = sock_socket(a), fb = sock_socket(b);

	host_fix_iss(a, 100, 1);
	host_fix_iss(b, 300, 1);
	ck_assert_int_eq(sock_bind(a, fa, 5000), 0);
	ck_assert_int_eq(sock_bind(b, fb, 6000), 0);
	ck_assert_int_eq(sock_connect(a, fa, TT_ADDR_B, 6000), -EINPROGRESS);
	ck_assert_int_eq(sock_connect(b, fb, TT_ADDR_A, 5000), -EINPROGRESS);
	tt_run(tt, DELAY);
	ck_assert_int_eq(tt_info_of(a, fa).state, TCPS_SYN_RECEIVED);
	ck_assert_int_eq(tt_info_of(b, fb).state, TCPS_SYN_RECEIVED);
	tt_run(tt, DELAY);
	ck_assert_int_eq(tt_info_of(a, fa).state, TCPS_ESTABLISHED);
	ck_assert_int_eq(tt_info_of(b, fb).state, TCPS_ESTABLISHED);
	ck_assert_int_eq(sock_connect_result(a, fa), 0);
	ck_assert_int_eq(sock_connect_result(b, fb), 0);
	tt_run(tt, VTIME_S);
	/* Each sent exactly its SYN and its SYN,ACK, at 0 and one delay. */
	const struct tt_sent *sa = tt_log_find(tt, tt->client, "S.", 0);
	ck_assert_ptr_nonnull(sa);
	ck_assert_uint_eq(sa->s.seq, 100);
	ck_assert_uint_eq(sa->s.ack, 301);
	ck_assert_int_eq(sa->at, DELAY);
	ck_assert_int_eq(tt->nlog, 4);
	ck_assert_int_eq(tt_log_count(tt, tt->client, "S"), 1);
	ck_assert_int_eq(tt_log_count(tt, tt->server, "S"), 1);
	ck_assert_int_eq(tt_log_count(tt, tt->server, "S."), 1);
	ck_assert_uint_eq(host_counters(a)->challenge_acks, 0);
	ck_assert_uint_eq(host_counters(a)->syn_retrans, 0);
	ck_assert_uint_eq(host_counters(a)->retrans_segs, 0);
	struct tcp_info ia = tt_info_of(a, fa), ib = tt_info_of(b, fb);
	ck_assert_uint_eq(ia.snd_una, 101);
	ck_assert_uint_eq(ia.rcv_nxt, 301);
	ck_assert_uint_eq(ib.snd_una, 301);
	ck_assert_uint_eq(ib.rcv_nxt, 101);
	/* Data flows both ways afterwards. */
	ck_assert_int_eq(sock_send(a, fa, (const uint8_t *)"ab", 2, 0), 2);
	ck_assert_int_eq(sock_send(b, fb, (const uint8_t *)"xyz", 3, 0), 3);
	tt_run(tt, 2 * DELAY);
	uint8_t buf[8];
	ck_assert_int_eq(sock_recv(b, fb, buf, sizeof(buf)), 2);
	ck_assert_int_eq(memcmp(buf, "ab", 2), 0);
	ck_assert_int_eq(sock_recv(a, fa, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "xyz", 3), 0);
}
END_TEST

START_TEST(simultaneous_open_peer_ladder)
{
	/* The same, as a ladder against the raw peer. */
	host_fix_iss(tt->h, 100, 1);
	int fd = sock_socket(tt->h);
	ck_assert_int_eq(sock_bind(tt->h, fd, 5000), 0);
	tt->port = 5000;
	tt->pport = 6000;
	ck_assert_int_eq(sock_connect(tt->h, fd, TT_ADDR_B, 6000), -EINPROGRESS);
	tt_expect(tt, "S", 100, 0, 0);
	tt_send_opts(tt, "S", 300, 0, 0, 65535, "mss 1460");
	tt_expect(tt, "S.", 100, 301, 0);
	tt_assert_state(tt, fd, TCPS_SYN_RECEIVED);
	tt_send_opts(tt, "S.", 300, 101, 0, 65535, "mss 1460");
	tt_run(tt, DELAY);
	tt_assert_state(tt, fd, TCPS_ESTABLISHED);
	ck_assert_int_eq(sock_connect_result(tt->h, fd), 0);
	tt_expect_none(tt, 2 * VTIME_S);
}
END_TEST

/* ---------------------------------------------------------------- closed port */

START_TEST(syn_to_closed_port_is_reset)
{
	tt->port = 81;
	tt->pport = TT_PEER_PORT;
	/* RFC 9293 3.10.7.1: no ACK in it: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	tt_send_opts(tt, "S", 5000, 0, 0, 65535, "mss 1460");
	tt_expect(tt, "R.", 0, 5001, 0);
	/* With an ACK: <SEQ=SEG.ACK><CTL=RST>; with data, the ACK covers it. */
	tt_send(tt, ".", 5001, 777, 0, 65535);
	tt_expect(tt, "R", 777, 0, 0);
	tt_send(tt, "P", 6000, 0, 10, 65535);
	tt_expect(tt, "R.", 0, 6010, 0);
	tt_send(tt, "R", 6000, 0, 0, 0); /* never answered */
	tt_expect_none(tt, VTIME_S);
	ck_assert_uint_eq(host_counters(tt->h)->out_rsts, 3);
}
END_TEST

START_TEST(connect_to_closed_port_is_refused)
{
	struct host *c = tt_host(tt, tt->client);
	int fd = sock_socket(c);

	ck_assert_int_eq(sock_connect(c, fd, TT_ADDR_B, 81), -EINPROGRESS);
	tt_run(tt, 2 * DELAY);
	ck_assert_int_eq(sock_poll(c, fd) & (SOCK_POLLERR | SOCK_POLLHUP | SOCK_POLLOUT),
			 SOCK_POLLERR | SOCK_POLLHUP | SOCK_POLLOUT);
	ck_assert_int_eq(sock_connect_result(c, fd), -ECONNREFUSED);
	ck_assert_int_eq(tt_info_of(c, fd).state, TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(c)->attempt_fails, 1);
	ck_assert_uint_eq(host_counters(tt_host(tt, tt->server))->out_rsts, 1);
	const struct tt_sent *r = tt_log_find(tt, tt->server, "R.", 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->at, DELAY);
	/* The attempt failed: the socket may try again. */
	ck_assert_int_eq(sock_connect(c, fd, TT_ADDR_B, 81), -EINPROGRESS);
	tt_run(tt, 2 * DELAY);
	ck_assert_int_eq(sock_connect_result(c, fd), -ECONNREFUSED);
}
END_TEST

/* ---------------------------------------------------------------- SYN and SYN-ACK loss */

/* Linux 6.x (tcp_retransmit_timer, tcp_write_timeout): the SYN is sent again after
 * 1 s (TCP_TIMEOUT_INIT); the first tcp_syn_linear_timeouts (4) retransmissions keep
 * that 1 s wait and are added to tcp_syn_retries (6), then the wait doubles. Measured
 * on Linux 6.18: SYNs at 0, 1, 2, 3, 4, 5.1, 7.1, 11.1, 19.3, 35.5, 68.0 s, connect()
 * failing at 133.5 s (doc/linux-vs-rfc.md; the kernel's timer wheel rounds late). */
START_TEST(syn_lost_retransmitted_doubling)
{
	int fd = tt_syn_sent(tt, 1000);
	vtime_t rto = VTIME_S, when = 0;
	int retries = host_config(tt->h)->k.syn_retries;
	int linear = host_config(tt->h)->k.syn_linear_timeouts;

	ck_assert_int_eq(retries, 6);
	ck_assert_int_eq(linear, 4);
	for (int k = 1; k <= retries + linear; k++) {
		when += rto;
		if (k > linear)
			rto *= 2;
		const struct tt_cap *c = tt_expect(tt, "S", 1000, 0, 0);
		ck_assert_msg(c->sent == when, "SYN %d at %lld, expected %lld", k,
			      (long long)c->sent, (long long)when);
		ck_assert_int_eq(tt_info(tt, fd).backoff, k > linear ? k - linear : 0);
	}
	when += rto; /* 4 x 1 s, then 1 + 2 + 4 + 8 + 16 + 32 + 64 s: 131 s in all */
	ck_assert_int_eq(when, 131 * VTIME_S);
	tt_run(tt, when - tt_now(tt) - 1);
	tt_assert_state(tt, fd, TCPS_SYN_SENT);
	tt_run(tt, 1);
	tt_assert_state(tt, fd, TCPS_CLOSED);
	ck_assert_int_eq(sock_connect_result(tt->h, fd), -ETIMEDOUT);
	ck_assert_uint_eq(host_counters(tt->h)->syn_retrans, 10);
	ck_assert_uint_eq(host_counters(tt->h)->attempt_fails, 1);
	tt_expect_none(tt, 300 * VTIME_S); /* no RST, nothing more */
}
END_TEST

/* Without linear timeouts (the older kernels' behaviour, and the rfc profile's):
 * 1 + 2 + 4 s for two retries. Measured with tcp_syn_linear_timeouts=0 and three
 * retries: SYNs at 0, 1.02, 3.04, 7.16 s, failing at 15.36 s. */
START_TEST(syn_retries_knob)
{
	host_config(tt->h)->k.syn_retries = 2;
	host_config(tt->h)->k.syn_linear_timeouts = 0;
	int fd = tt_syn_sent(tt, 1000);

	tt_expect(tt, "S", 1000, 0, 0);
	tt_expect(tt, "S", 1000, 0, 0);
	/* 1 + 2 + 4 s */
	tt_run(tt, 7 * VTIME_S - tt_now(tt) - 1);
	tt_assert_state(tt, fd, TCPS_SYN_SENT);
	tt_run(tt, 1);
	ck_assert_int_eq(sock_connect_result(tt->h, fd), -ETIMEDOUT);
	ck_assert_uint_eq(host_counters(tt->h)->syn_retrans, 2);
}
END_TEST

START_TEST(syn_ack_after_syn_retransmission)
{
	int fd = tt_syn_sent(tt, 1000);

	tt_expect(tt, "S", 1000, 0, 0); /* at 1 s: the first was lost */
	/* The SYN-ACK echoes the second SYN's timestamp, so the RTT is still measured
	 * (RFC 7323 4.1; Linux tcp_ack_update_rtt), although Karn forbids timing it. */
	const struct tt_cap *c = &tt->cap[tt->next - 1];
	char opts[80];
	snprintf(opts, sizeof(opts), "mss 1460,sackOK,TS val 9 ecr %u,nop,wscale 7",
		 c->s.opt.ts_val);
	tt_send_opts(tt, "S.", 5000, 1001, 0, 65535, opts);
	tt_expect(tt, ".", 1001, 5001, 0);
	ck_assert_int_eq(sock_connect_result(tt->h, fd), 0);
	struct tcp_info i = tt_info(tt, fd);
	ck_assert_int_eq(i.srtt, 2 * DELAY);
	ck_assert_int_eq(i.rto, 2 * DELAY + 200 * VTIME_MS);
	ck_assert_int_eq(i.backoff, 0);
}
END_TEST

START_TEST(syn_lost_between_two_hosts)
{
	struct host *c = tt_host(tt, tt->client);
	struct net_rule r = { .action = NET_DROP, .nth = 1 };
	char err[80];
	size_t pos;

	ck_assert_int_eq(seg_filter_parse("S", NULL, NULL, &r.filter, err, sizeof(err), &pos), 0);
	ck_assert_int_gt(net_rule_add(world_net(tt->w), &r), 0);
	int cfd, lfd, sfd;
	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	ck_assert_int_eq(tt_log_count(tt, tt->client, "S"), 2);
	ck_assert_int_eq(tt_log_find(tt, tt->client, "S", 1)->at, VTIME_S);
	ck_assert_int_eq(tt_log_find(tt, tt->client, ".", 0)->at, VTIME_S + 2 * DELAY);
	ck_assert_uint_eq(host_counters(c)->syn_retrans, 1);
}
END_TEST

/* Linux: a SYN-ACK nobody answers is sent again after 1 s, doubling; after
 * tcp_synack_retries (5) retransmissions and one more wait the request is dropped. */
START_TEST(syn_ack_lost_retransmitted_then_dropped)
{
	tt_syn_received(tt, 1000, 5000, "mss 1460,sackOK");
	vtime_t rto = VTIME_S, when = DELAY;
	int retries = host_config(tt->h)->k.synack_retries;

	ck_assert_int_eq(retries, 5);
	for (int k = 1; k <= retries; k++) {
		when += rto;
		rto *= 2;
		const struct tt_cap *c = tt_expect(tt, "S.", 1000, 5001, 0);
		ck_assert_msg(c->sent == when, "SYN-ACK %d at %lld, expected %lld", k,
			      (long long)c->sent, (long long)when);
	}
	when += rto; /* 63 s after the first SYN-ACK */
	ck_assert_int_eq(when, DELAY + 63 * VTIME_S);
	uint64_t counts[TCPS_COUNT];
	tt_run(tt, when - tt_now(tt) - 1);
	host_state_counts(tt->h, counts);
	ck_assert_uint_eq(counts[TCPS_SYN_RECEIVED], 1);
	tt_run(tt, 1);
	host_state_counts(tt->h, counts);
	ck_assert_uint_eq(counts[TCPS_SYN_RECEIVED], 0);
	ck_assert_uint_eq(counts[TCPS_LISTEN], 1);
	ck_assert_uint_eq(host_counters(tt->h)->syn_retrans, 5);
	/* The late third ACK finds only the listener: reset. */
	tt_send(tt, ".", 5001, 1001, 0, 65535);
	tt_expect(tt, "R", 1001, 0, 0);
	ck_assert_int_eq(sock_accept(tt->h, tt->lfd), -EAGAIN);
}
END_TEST

START_TEST(syn_ack_lost_between_two_hosts)
{
	struct net_rule r = { .action = NET_DROP, .nth = 1 };
	char err[80];
	size_t pos;

	ck_assert_int_eq(seg_filter_parse("S.", NULL, NULL, &r.filter, err, sizeof(err), &pos), 0);
	ck_assert_int_gt(net_rule_add(world_net(tt->w), &r), 0);
	int cfd, lfd, sfd;
	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	/* Both the client's SYN and the server's SYN-ACK are due 1 s after their first
	 * copies; whichever arrives first completes the handshake by 1 s + 3 delays. */
	ck_assert_int_eq(tt_log_count(tt, tt->client, "S"), 2);
	ck_assert_int_ge(tt_log_count(tt, tt->server, "S."), 2);
	ck_assert_int_le(tt_log_find(tt, tt->client, ".", 0)->at, VTIME_S + 3 * DELAY);
	ck_assert_int_eq(tt_info_of(tt_host(tt, tt->client), cfd).state, TCPS_ESTABLISHED);
	ck_assert_int_eq(tt_info_of(tt_host(tt, tt->server), sfd).state, TCPS_ESTABLISHED);
}
END_TEST

/* ---------------------------------------------------------------- backlog */

/* Linux tcp_conn_request: a SYN is dropped while the accept queue holds more than
 * `backlog` connections (sk_acceptq_is_full), so backlog + 1 fit. */
START_TEST(listen_backlog)
{
	host_fix_iss(tt->h, 1000, 1000);
	int lfd = tt_listen(tt, 1);

	for (int k = 0; k < 2; k++) {
		tt->pport = (uint16_t)(TT_PEER_PORT + k);
		tt_send_opts(tt, "S", 5000, 0, 0, 65535, "mss 1460");
		tt_expect(tt, "S.", 1000 + 1000 * (uint32_t)k, 5001, 0);
		tt_send(tt, ".", 5001, 1001 + 1000 * (uint32_t)k, 0, 65535);
		tt_run(tt, DELAY);
	}
	tt->pport = TT_PEER_PORT + 2;
	tt_send_opts(tt, "S", 5000, 0, 0, 65535, "mss 1460");
	tt_expect_none(tt, 100 * VTIME_MS);
	ck_assert_uint_eq(host_counters(tt->h)->listen_overflows, 1);
	/* One accepted: room again, and the SYN sent again gets its SYN-ACK. */
	ck_assert_int_ge(sock_accept(tt->h, lfd), 3);
	tt_send_opts(tt, "S", 5000, 0, 0, 65535, "mss 1460");
	tt_expect(tt, "S.", 3000, 5001, 0);
	tt_send(tt, ".", 5001, 3001, 0, 65535);
	tt_run(tt, DELAY);
	ck_assert_int_ge(sock_accept(tt->h, lfd), 3);
	ck_assert_int_ge(sock_accept(tt->h, lfd), 3);
	ck_assert_int_eq(sock_accept(tt->h, lfd), -EAGAIN);
}
END_TEST

START_TEST(closing_listener_resets_pending)
{
	int lfd = tt_syn_received(tt, 1000, 5000, "mss 1460");

	tt_send(tt, ".", 5001, 1001, 0, 65535);
	tt_run(tt, DELAY);
	/* Linux inet_csk_listen_stop: an established child not accepted is reset. */
	ck_assert_int_eq(sock_close(tt->h, lfd), 0);
	tt_expect(tt, "R.", 1001, 5001, 0);
	uint64_t counts[TCPS_COUNT];
	host_state_counts(tt->h, counts);
	for (int s = 0; s < TCPS_COUNT; s++)
		ck_assert_uint_eq(counts[s], 0);
}
END_TEST

/* ---------------------------------------------------------------- options */

START_TEST(options_refused_when_peer_offers_none)
{
	int fd = tt_established_passive_opts(tt, 1000, 5000, "");
	struct tcp_info i = tt_info(tt, fd);
	const struct tt_cap *synack = &tt->cap[0];

	/* A SYN-ACK answers only what the SYN offered (RFC 7323, RFC 2018). */
	ck_assert_str_eq(tt_opts_str(synack), "mss 1460");
	ck_assert_uint_eq(synack->s.wnd, 64240);
	ck_assert(!i.ts_ok && !i.sack_ok && !i.ws_ok);
	ck_assert_uint_eq(i.rcv_wscale, 0);
	ck_assert_uint_eq(i.snd_wscale, 0);
	/* RFC 9293 3.7.1: without an MSS option, 536. */
	ck_assert_uint_eq(i.mss, 536);
	ck_assert_uint_eq(i.snd_wnd, TT_WIN);
}
END_TEST

START_TEST(options_smaller_mss_and_scale)
{
	int fd = tt_established_passive_opts(tt, 1000, 5000, "mss 1000,nop,wscale 3");
	struct tcp_info i = tt_info(tt, fd);

	ck_assert_str_eq(tt_opts_str(&tt->cap[0]), "mss 1460,nop,wscale 10");
	ck_assert_uint_eq(i.mss, 1000);
	ck_assert(i.ws_ok && !i.ts_ok && !i.sack_ok);
	ck_assert_uint_eq(i.snd_wscale, 3);
	ck_assert_uint_eq(i.snd_wnd, (uint32_t)TT_WIN << 3);
	/* A full segment is 1000 bytes now; the ACK's window field is scaled by 7. */
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 2500, 0), 2500);
	tt_expect(tt, ".", 1001, 5001, 1000);
	tt_expect(tt, ".", 2001, 5001, 1000);
	const struct tt_cap *c = tt_expect(tt, "P.", 3001, 5001, 500);
	ck_assert_uint_eq((uint32_t)c->s.wnd << 10, tt_info(tt, fd).rcv_wnd);
	tt_send(tt, ".", 5001, 3501, 0, 100);
	tt_run(tt, DELAY);
	ck_assert_uint_eq(tt_info(tt, fd).snd_wnd, 800);
}
END_TEST

START_TEST(options_knobs_off)
{
	struct tcp_config *c = host_config(tt->h);

	c->k.timestamps = 0;
	tt_syn_sent(tt, 1000);
	ck_assert_str_eq(tt_opts_str(&tt->cap[0]), "mss 1460,nop,nop,sackOK,nop,wscale 10");
	tt_send_opts(tt, "S.", 5000, 1001, 0, 65535,
		     "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7");
	const struct tt_cap *a = tt_expect(tt, ".", 1001, 5001, 0);
	ck_assert_str_eq(tt_opts_str(a), ""); /* timestamps refused: none on the ACK */
}
END_TEST

START_TEST(options_all_knobs_off_passive)
{
	struct tcp_config *c = host_config(tt->h);

	c->k.timestamps = 0;
	c->k.sack = 0;
	c->k.window_scaling = 0;
	int fd = tt_established_passive_opts(tt, 1000, 5000,
					     "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7");
	ck_assert_str_eq(tt_opts_str(&tt->cap[0]), "mss 1460");
	struct tcp_info i = tt_info(tt, fd);
	ck_assert(!i.ts_ok && !i.sack_ok && !i.ws_ok);
	ck_assert_uint_eq(i.mss, 1460);
}
END_TEST

START_TEST(timestamps_on_every_segment)
{
	int fd = tt_established_passive_opts(tt, 1000, 5000,
					     "mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7");
	const struct tt_cap *synack = &tt->cap[0];

	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 10, 0), 10);
	const struct tt_cap *c = tt_expect(tt, "P.", 1001, 5001, 10);
	assert_opts(c, "nop,nop,", 100, "");
	ck_assert_uint_eq(c->s.opt.ts_ecr, 100);
	/* The clock ticks in milliseconds (tcp_time_stamp_ts). */
	ck_assert_uint_eq(c->s.opt.ts_val - synack->s.opt.ts_val,
			  (uint32_t)((c->sent - synack->sent) / VTIME_MS));
}
END_TEST

/* ---------------------------------------------------------------- ephemeral ports */

/* Linux __inet_hash_connect: ports of the range's parity first (even for an even low
 * end), then the others; none left for this destination: EADDRNOTAVAIL. Recorded with
 * the range 40000-40009. */
START_TEST(ephemeral_ports_even_first)
{
	struct tcp_config *c = host_config(tt->h);
	int seen[10] = { 0 };

	c->k.port_lo = 40000;
	c->k.port_hi = 40009;
	for (int k = 0; k < 10; k++) {
		int fd = sock_socket(tt->h);
		ck_assert_int_eq(sock_connect(tt->h, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
		uint16_t port = tt_info(tt, fd).lport;
		ck_assert_uint_ge(port, 40000);
		ck_assert_uint_le(port, 40009);
		ck_assert_msg(port % 2 == (k < 5 ? 0 : 1), "connect %d got port %u", k, port);
		ck_assert_int_eq(seen[port - 40000]++, 0);
	}
	int fd = sock_socket(tt->h);
	ck_assert_int_eq(sock_connect(tt->h, fd, TT_ADDR_B, TT_PORT), -EADDRNOTAVAIL);
	/* The port may repeat towards another destination. */
	ck_assert_int_eq(sock_connect(tt->h, fd, TT_ADDR_B, TT_PORT + 1), -EINPROGRESS);
	ck_assert_uint_ge(tt_info(tt, fd).lport, 40000);
	ck_assert_uint_le(tt_info(tt, fd).lport, 40009);
}
END_TEST

START_TEST(ephemeral_port_freed_when_attempt_ends)
{
	struct tcp_config *c = host_config(tt->h);

	c->k.port_lo = c->k.port_hi = 40000;
	int a = sock_socket(tt->h), b = sock_socket(tt->h);
	ck_assert_int_eq(sock_connect(tt->h, a, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	ck_assert_int_eq(sock_connect(tt->h, b, TT_ADDR_B, TT_PORT), -EADDRNOTAVAIL);
	ck_assert_int_eq(sock_close(tt->h, a), 0);
	ck_assert_int_eq(sock_connect(tt->h, b, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	ck_assert_uint_eq(tt_info(tt, b).lport, 40000);
}
END_TEST

START_TEST(ephemeral_ports_default_range_and_repeatable)
{
	uint16_t first[4];

	for (int k = 0; k < 4; k++) {
		int fd = sock_socket(tt->h);
		ck_assert_int_eq(sock_connect(tt->h, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
		first[k] = tt_info(tt, fd).lport;
		ck_assert_uint_ge(first[k], 32768);
		ck_assert_uint_le(first[k], 60999);
		ck_assert_uint_eq(first[k] % 2, 0);
	}
	/* Another world with the same seed hands out the same ports. */
	static struct tt other;
	tt_init_peer(&other, DELAY);
	for (int k = 0; k < 4; k++) {
		int fd = sock_socket(other.h);
		ck_assert_int_eq(sock_connect(other.h, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
		ck_assert_uint_eq(tt_info(&other, fd).lport, first[k]);
	}
	tt_fini(&other);
}
END_TEST

static Suite *open_suite(void)
{
	Suite *s = suite_create("tcp_open");
	TCase *peer = tcase_create("peer");
	TCase *pair = tcase_create("pair");

	tcase_add_checked_fixture(peer, setup_peer, teardown);
	tcase_add_checked_fixture(pair, setup_pair, teardown);
	tcase_set_timeout(peer, 30);
	tcase_set_timeout(pair, 30);
	tcase_add_test(peer, active_open);
	tcase_add_test(peer, active_open_measures_rtt);
	tcase_add_test(peer, passive_open);
	tcase_add_test(peer, retransmitted_syn_gets_the_syn_ack_again);
	tcase_add_test(peer, bad_ack_in_syn_received_is_reset);
	tcase_add_test(peer, ack_to_a_listener_is_reset);
	tcase_add_test(pair, handshake_between_two_hosts);
	tcase_add_test(pair, simultaneous_open);
	tcase_add_test(peer, simultaneous_open_peer_ladder);
	tcase_add_test(peer, syn_to_closed_port_is_reset);
	tcase_add_test(pair, connect_to_closed_port_is_refused);
	tcase_add_test(peer, syn_lost_retransmitted_doubling);
	tcase_add_test(peer, syn_retries_knob);
	tcase_add_test(peer, syn_ack_after_syn_retransmission);
	tcase_add_test(pair, syn_lost_between_two_hosts);
	tcase_add_test(peer, syn_ack_lost_retransmitted_then_dropped);
	tcase_add_test(pair, syn_ack_lost_between_two_hosts);
	tcase_add_test(peer, listen_backlog);
	tcase_add_test(peer, closing_listener_resets_pending);
	tcase_add_test(peer, options_refused_when_peer_offers_none);
	tcase_add_test(peer, options_smaller_mss_and_scale);
	tcase_add_test(peer, options_knobs_off);
	tcase_add_test(peer, options_all_knobs_off_passive);
	tcase_add_test(peer, timestamps_on_every_segment);
	tcase_add_test(peer, ephemeral_ports_even_first);
	tcase_add_test(peer, ephemeral_port_freed_when_attempt_ends);
	tcase_add_test(peer, ephemeral_ports_default_range_and_repeatable);
	suite_add_tcase(s, peer);
	suite_add_tcase(s, pair);
	return s;
}

int main(void)
{
	return run_suite(open_suite());
}
