/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "tcptest.h"

/*
 * TIME_WAIT and the orphan's FIN_WAIT_2: how long they last under both profiles and
 * the knobs, what the compact entries do with every kind of segment (Linux
 * tcp_timewait_state_process: retransmitted FIN, bare ACK, old segment, exact and
 * inexact RST, SYN of a new or an old incarnation, with timestamps on and off), how
 * they hold ports (bind(), connect(), tcp_tw_reuse, port exhaustion), the bucket limit,
 * and 10^5 entries at once without a leak.
 *
 * Times are computed from the knobs' documented values, never copied from a run.
 */

static struct tt T;
static struct tt *const tt = &T;

#define DELAY (5 * VTIME_MS)
#define MS VTIME_MS
#define ISS 1000u
#define IRS 5000u
#define TIMEWAIT_LEN (60 * VTIME_S)  /* Linux TCP_TIMEWAIT_LEN */
#define MSL_RFC (120 * VTIME_S)      /* the rfc profile's MSL */
#define FIN_TIMEOUT (60 * VTIME_S)
#define TS_OPTS "mss 1460,sackOK,TS val 100 ecr 0"
#define SRTT (2 * DELAY)

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

/* When the host sent the last segment the peer received: the ACK that entered
 * TIME_WAIT, for the constructors. */
static vtime_t last_sent(void)
{
	ck_assert_int_gt(tt->next, 0);
	return tt->cap[tt->next - 1].sent;
}

/* ================================================================ how long */

static const struct {
	const char *profile;
	vtime_t timewait_len, msl; /* 0: the profile's value */
	vtime_t expect;
} lengths[] = {
	{ "linux", 0, 0, TIMEWAIT_LEN },
	{ "linux", 10 * VTIME_S, 0, 10 * VTIME_S },
	{ "linux", 0, 30 * VTIME_S, TIMEWAIT_LEN },      /* msl unused */
	{ "rfc", 0, 0, 2 * MSL_RFC },                    /* 240 s */
	{ "rfc", 10 * VTIME_S, 0, 2 * MSL_RFC },         /* timewait_len unused */
	{ "rfc", 0, 30 * VTIME_S, 2 * 30 * VTIME_S },
};

/* TIME_WAIT lasts timewait_len (linux) or 2 x MSL (rfc), whatever tcp_fin_timeout
 * says, and ends silently (TW counter). */
START_TEST(time_wait_length)
{
	struct host *h = tt->h;
	struct tcp_config *c = host_config(h);

	tt_use_profile(h, lengths[_i].profile);
	if (lengths[_i].timewait_len)
		c->k.timewait_len = lengths[_i].timewait_len;
	if (lengths[_i].msl)
		c->k.msl = lengths[_i].msl;
	c->k.fin_timeout = 5 * VTIME_S; /* does not shorten TIME_WAIT */
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);
	vtime_t end = last_sent() + lengths[_i].expect;

	ck_assert_int_eq(knob_timewait_len(c), lengths[_i].expect);
	ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT], end);
	tt_run(tt, end - 1 - tt_now(tt));
	tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
	tt_run(tt, 1);
	tt_assert_id_state(tt, k.id, TCPS_CLOSED);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, k.id, TCPS_TIME_WAIT, TCPS_CLOSED, 0),
			 end);
	ck_assert_uint_eq(host_counters(h)->tw_finished, 1);
	ck_assert_uint_eq(host_counters(h)->tw_killed, 0);
	tt_expect_none(tt, VTIME_S);
}
END_TEST

/* ================================================================ segments in TIME_WAIT */

/* The peer's final ACK was lost and its FIN comes again, 5 s in: ACKed at once, and the
 * wait starts again from there (tcp_timewait_state_process; RFC 9293 3.10.7.4). */
START_TEST(retransmitted_fin_restarts)
{
	struct host *h = tt->h;
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, _i == 1);

	tt_run(tt, 5 * VTIME_S);
	vtime_t at = tt_now(tt) + DELAY;
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_assert_sent_at(tt_expect(tt, ".", ISS + 2, IRS + 2, 0), at);
	ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT], at + TIMEWAIT_LEN);
	tt_run(tt, at + TIMEWAIT_LEN - 1 - tt_now(tt));
	tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
	tt_run(tt, 1);
	tt_assert_id_state(tt, k.id, TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(h)->tw_finished, 1);
}
END_TEST

/* A bare ACK exactly at RCV.NXT: the wait restarts, and nothing is sent. */
START_TEST(bare_ack_restarts_silently)
{
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);

	tt_run(tt, 5 * VTIME_S);
	vtime_t at = tt_now(tt) + DELAY;
	tt_send(tt, ".", IRS + 2, ISS + 2, 0, TT_WIN);
	tt_expect_none(tt, VTIME_S);
	ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT], at + TIMEWAIT_LEN);
}
END_TEST

/* An old segment (data from before RCV.NXT): an ACK, and the wait restarts. */
START_TEST(old_segment_acked)
{
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);

	tt_run(tt, 5 * VTIME_S);
	vtime_t at = tt_now(tt) + DELAY;
	tt_send(tt, "P.", IRS - 99, ISS + 2, 100, TT_WIN);
	tt_assert_sent_at(tt_expect(tt, ".", ISS + 2, IRS + 2, 0), at);
	ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT], at + TIMEWAIT_LEN);
	tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
}
END_TEST

/* Out-of-window pure ACKs into TIME_WAIT: answered at most once per
 * tcp_invalid_ratelimit (500 ms), each still restarting the wait (Linux
 * tcp_timewait_check_oow_rate_limit); FINs and data are answered every time. The
 * rfc profile (limit 0) answers each. */
START_TEST(time_wait_answers_rate_limited)
{
	struct host *h = tt->h;
	bool linux_ = _i == 0;

	tt_use_profile(h, linux_ ? "linux" : "rfc");
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);
	tt_run(tt, 5 * VTIME_S);
	tt_send(tt, ".", IRS - 99, ISS + 2, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	tt_send(tt, ".", IRS - 99, ISS + 2, 0, TT_WIN);
	if (linux_) {
		vtime_t at = tt_now(tt) + DELAY;
		tt_expect_none(tt, 100 * VTIME_MS);
		ck_assert_uint_eq(host_counters(h)->acks_skipped, 1);
		/* Withheld, but the wait restarted all the same. */
		ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT],
				 at + TIMEWAIT_LEN);
	} else {
		tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	}
	/* A retransmitted FIN, twice at once: both answered. */
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	/* Past the limit the next old ACK is answered again. */
	tt_run(tt, VTIME_S);
	tt_send(tt, ".", IRS - 99, ISS + 2, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	ck_assert_uint_eq(host_counters(h)->acks_skipped, linux_ ? 1 : 0);
	tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
}
END_TEST

/* The orphan's compact FIN_WAIT_2 entry limits its answers the same way (Linux
 * TCPACKSkippedFinWait2): two old pure ACKs at once draw one ACK. */
START_TEST(fin_wait_2_answers_rate_limited)
{
	struct host *h = tt->h;
	struct tt_conn k = tt_conn_in(tt, TCPS_FIN_WAIT_1, ISS, IRS, true);

	tt_send(tt, ".", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, k.id, TCPS_FIN_WAIT_2);
	ck_assert(tt_info_id(tt, k.id).orphan);
	tt_send(tt, ".", IRS + 1 - 1000, ISS + 2, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 2, IRS + 1, 0);
	tt_send(tt, ".", IRS + 1 - 1000, ISS + 2, 0, TT_WIN);
	tt_expect_none(tt, 100 * VTIME_MS);
	ck_assert_uint_eq(host_counters(h)->acks_skipped, 1);
	tt_assert_id_state(tt, k.id, TCPS_FIN_WAIT_2);
}
END_TEST

/* An RST exactly at RCV.NXT ends TIME_WAIT ("assassination", TWAssassinated) unless
 * tcp_rfc1337 is 1, which ignores it (RFC 1337) without restarting the wait. The rfc
 * profile kills too. Nothing is sent either way. */
static const struct {
	const char *profile;
	int rfc1337;
	bool kills;
} exact_rst[] = {
	{ "linux", 0, true }, { "linux", 1, false }, { "rfc", 0, true },
};

START_TEST(exact_rst_in_time_wait)
{
	struct host *h = tt->h;

	tt_use_profile(h, exact_rst[_i].profile);
	host_config(h)->k.rfc1337 = exact_rst[_i].rfc1337;
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);
	vtime_t end = tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT];

	tt_run(tt, VTIME_S);
	vtime_t at = tt_now(tt) + DELAY;
	tt_send(tt, "R", IRS + 2, 0, 0, 0);
	tt_expect_none(tt, VTIME_S);
	if (exact_rst[_i].kills) {
		tt_assert_id_state(tt, k.id, TCPS_CLOSED);
		ck_assert_int_eq(tt_state_change_at(tt, tt->host, k.id, TCPS_TIME_WAIT,
						    TCPS_CLOSED, 0), at);
		ck_assert_uint_eq(host_counters(h)->tw_killed, 1);
	} else {
		tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
		ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT], end);
		ck_assert_uint_eq(host_counters(h)->tw_killed, 0);
	}
	ck_assert_uint_eq(host_counters(h)->in_rsts, 1);
}
END_TEST

/* Any other RST: Linux drops it silently (no challenge ACK); the rfc profile answers
 * one inside the window with a challenge ACK (RFC 5961 3.2). Outside the window both
 * drop it. The entry and its timer stay. */
START_TEST(inexact_rst_in_time_wait)
{
	struct host *h = tt->h;
	bool rfc = _i == 1;

	tt_use_profile(h, rfc ? "rfc" : "linux");
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);
	vtime_t end = tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT];

	tt_send(tt, "R", IRS + 102, 0, 0, 0);
	if (rfc)
		tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	tt_expect_none(tt, VTIME_S);
	ck_assert_uint_eq(host_counters(h)->challenge_acks, rfc ? 1 : 0);
	tt_send(tt, "R", IRS + 2 + 1000000, 0, 0, 0);
	tt_send(tt, "R", IRS + 1, 0, 0, 0);
	tt_expect_none(tt, VTIME_S);
	tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
	ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT], end);
	ck_assert_uint_eq(host_counters(h)->tw_killed, 0);
}
END_TEST

/* ================================================================ SYN into TIME_WAIT */

/* The host (the server) closed first and holds TIME_WAIT; its listener still runs. A
 * SYN on the same 4-tuple is a new incarnation when it cannot be an old duplicate:
 * sequence number beyond the old RCV.NXT (timestamps off), or a newer timestamp
 * (RFC 6191), whatever its sequence number. The entry goes, and the new connection's
 * ISN is the old SND.NXT + 65535 + 2 (tcp_timewait_state_process, TCP_TW_SYN). */
START_TEST(syn_new_incarnation_accepted)
{
	struct host *h = tt->h;
	bool ts = _i == 1;

	tt->peer_opts = ts ? TS_OPTS : NULL;
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);
	ck_assert(tt_info_id(tt, k.id).ts_ok == ts);
	uint32_t isn = k.snd_nxt + 65535 + 2;
	/* With timestamps, a lower sequence number and a newer TS val; without, a higher
	 * sequence number. */
	uint32_t seq = ts ? IRS - 1000 : IRS + 100000;

	tt_send_opts(tt, "S", seq, 0, 0, TT_WIN,
		     ts ? "mss 1460,sackOK,TS val 200 ecr 0" : "mss 1460,sackOK");
	tt_expect(tt, "S.", isn, seq + 1, 0);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, k.id, TCPS_TIME_WAIT, TCPS_CLOSED, 0),
			 tt_now(tt) - DELAY);
	ck_assert_uint_eq(tt_count_in(h, TCPS_TIME_WAIT), 0);
	ck_assert_uint_eq(tt_count_in(h, TCPS_SYN_RECEIVED), 1);
	tt_send(tt, ".", seq + 1, isn + 1, 0, TT_WIN);
	tt_run(tt, DELAY);
	int fd = sock_accept(h, k.lfd);
	ck_assert_int_ge(fd, 3);
	struct tcp_info i = tt_info(tt, fd);
	ck_assert_uint_eq(i.iss, isn);
	ck_assert_uint_eq(i.irs, seq);
	ck_assert_uint_ne(i.id, k.id);
}
END_TEST

/* A SYN that may be an old duplicate: a lower sequence number (timestamps off), or
 * the same RCV.NXT, or an older timestamp (PAWS, whatever its sequence number). It is
 * answered with an ACK for the old connection, and the entry stays. An ACKless SYN
 * does not restart the wait; a PAWS reject does. */
START_TEST(syn_old_duplicate_answered)
{
	struct host *h = tt->h;
	bool ts = _i == 1;

	tt->peer_opts = ts ? TS_OPTS : NULL;
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);
	vtime_t end = tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT];

	tt_run(tt, VTIME_S);
	if (!ts) {
		tt_send_opts(tt, "S", IRS - 1000, 0, 0, TT_WIN, "mss 1460");
		tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
		/* Past tcp_invalid_ratelimit, or the answer would be withheld
		 * (time_wait_answers_rate_limited). */
		tt_run(tt, 500 * VTIME_MS);
		tt_send_opts(tt, "S", IRS + 2, 0, 0, TT_WIN, "mss 1460");
		tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
		ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT], end);
	} else {
		vtime_t at = tt_now(tt) + DELAY;
		tt_send_opts(tt, "S", IRS + 100000, 0, 0, TT_WIN, "mss 1460,TS val 50 ecr 0");
		tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
		ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT],
				 at + TIMEWAIT_LEN);
		ck_assert_uint_eq(host_counters(h)->paws_rejected, 1);
	}
	tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
	ck_assert_uint_eq(tt_count_in(h, TCPS_SYN_RECEIVED), 0);
}
END_TEST

/* Every case the kernel was asked (doc/linux-vs-rfc.md, SYN into TIME_WAIT): an entry
 * with timestamps judges a SYN carrying a TS option by PAWS first (older: refused even
 * above RCV.NXT, PAWS counted, wait restarted), then a newer TS val is a new
 * incarnation whatever the sequence number; a SYN without a TS option, or any SYN to
 * an entry without timestamps, is judged by its sequence number, strictly above
 * RCV.NXT. New: SYN-ACK with ISN old SND.NXT + 65537. Old: ACK (SND.NXT, RCV.NXT). */
static const struct {
	bool entry_ts;       /* the old connection had timestamps */
	int32_t dseq;        /* SYN's sequence number less the old RCV.NXT */
	const char *ts;      /* the SYN's TS option, or NULL */
	bool accepted, paws;
} syn_cases[] = {
	{ true, 1000, "TS val 1100 ecr 0", true, false },
	{ true, -1000, "TS val 1100 ecr 0", true, false },
	{ true, 1000, "TS val 50 ecr 0", false, true },
	{ true, -1000, "TS val 50 ecr 0", false, true },
	{ true, -1000, "TS val 100 ecr 0", false, false },
	{ true, 1000, NULL, true, false },
	{ true, -1000, NULL, false, false },
	{ false, 1000, NULL, true, false },
	{ false, 0, NULL, false, false },
	{ false, -1000, NULL, false, false },
	{ false, 1000, "TS val 1100 ecr 0", true, false },
};

START_TEST(syn_into_time_wait_cases)
{
	struct host *h = tt->h;
	char opts[64];

	tt->peer_opts = syn_cases[_i].entry_ts ? TS_OPTS : NULL;
	struct tt_conn k = tt_conn_in(tt, TCPS_TIME_WAIT, ISS, IRS, true);
	ck_assert(tt_info_id(tt, k.id).ts_ok == syn_cases[_i].entry_ts);
	vtime_t end = tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT];
	tt_run(tt, 3 * VTIME_S);
	uint32_t seq = k.rcv_nxt + (uint32_t)syn_cases[_i].dseq;
	snprintf(opts, sizeof(opts), "mss 1460%s%s", syn_cases[_i].ts ? "," : "",
		 syn_cases[_i].ts ? syn_cases[_i].ts : "");
	vtime_t at = tt_now(tt) + DELAY;
	tt_send_opts(tt, "S", seq, 0, 0, TT_WIN, opts);
	if (syn_cases[_i].accepted) {
		tt_expect(tt, "S.", k.snd_nxt + 65537, seq + 1, 0);
		tt_assert_id_state(tt, k.id, TCPS_CLOSED);
		ck_assert_uint_eq(tt_count_in(h, TCPS_SYN_RECEIVED), 1);
		return;
	}
	tt_expect(tt, ".", k.snd_nxt, k.rcv_nxt, 0);
	tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
	ck_assert_int_eq(tt_info_id(tt, k.id).timer[TCP_TIMER_TIME_WAIT],
			 syn_cases[_i].paws ? at + TIMEWAIT_LEN : end);
	ck_assert_uint_eq(host_counters(h)->paws_rejected, syn_cases[_i].paws);
}
END_TEST

/* Two real hosts, timestamps on: the server closed first; the client binds the same
 * port again and connects. Its SYN carries a newer timestamp (the same per-4-tuple
 * offset, a later clock), so the server's TIME_WAIT lets it in, with the ISN above
 * its old SND.NXT. */
START_TEST(syn_into_time_wait_pair)
{
	int cfd, lfd, sfd;
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	uint32_t sid = (uint32_t)sock_id(s, sfd);
	uint16_t port = tt_info_of(c, cfd).lport;
	ck_assert_int_eq(sock_close(s, sfd), 0);
	tt_run(tt, 10 * DELAY);
	ck_assert_int_eq(sock_close(c, cfd), 0);
	tt_run(tt, 10 * DELAY);
	struct tcp_info old;
	ck_assert_int_eq(host_sock_info(s, sid, &old), 0);
	ck_assert_int_eq(old.state, TCPS_TIME_WAIT);
	ck_assert(old.ts_ok);
	tt_run(tt, VTIME_S);

	int fd = sock_socket(c);
	ck_assert_int_eq(sock_setsockopt(c, fd, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(c, fd, port), 0);
	ck_assert_int_eq(sock_connect(c, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	ck_assert_int_eq(tt_connect_wait(tt, c, fd, 10 * VTIME_S), 0);
	tt_run(tt, DELAY);
	int nfd = sock_accept(s, lfd);
	ck_assert_int_ge(nfd, 3);
	ck_assert_uint_eq(tt_info_of(s, nfd).iss, old.snd_nxt + 65535 + 2);
	ck_assert_int_eq(host_sock_state(s, sid), TCPS_CLOSED);
	ck_assert_int_eq(sock_close(s, lfd), 0);
}
END_TEST

/* ================================================================ FIN_WAIT_2 */

/* An orphan in FIN_WAIT_2 waits tcp_fin_timeout as a compact entry, then goes without
 * a word (FinWait2Timeouts); Linux's tcp_fin_time keeps it at least 3.5 RTO. The
 * rfc profile waits forever. Loop: 0 default, 1 tcp_fin_timeout 5 s, 2 100 ms (the
 * floor), 3 rfc. */
START_TEST(orphan_fin_wait_2_timeout)
{
	struct host *h = tt->h;
	vtime_t rto = tt_rto_after_sample(SRTT);
	vtime_t want[] = { FIN_TIMEOUT, 5 * VTIME_S, 4 * rto - rto / 2, 0 };

	if (_i == 3)
		tt_use_profile(h, "rfc");
	if (_i == 1)
		host_config(h)->k.fin_timeout = 5 * VTIME_S;
	if (_i == 2)
		host_config(h)->k.fin_timeout = 100 * MS;
	struct tt_conn k = tt_conn_in(tt, TCPS_FIN_WAIT_1, ISS, IRS, true);
	vtime_t acked = tt_now(tt) + DELAY;
	tt_send(tt, ".", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_run(tt, DELAY);
	tt_assert_id_state(tt, k.id, TCPS_FIN_WAIT_2);
	struct tcp_info i = tt_info_id(tt, k.id);
	ck_assert(i.orphan);
	if (_i == 3) {
		ck_assert_int_eq(i.timer[TCP_TIMER_FIN_WAIT_2], 0);
		tt_run(tt, 10 * 3600 * VTIME_S);
		tt_assert_id_state(tt, k.id, TCPS_FIN_WAIT_2);
		tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
		tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
		tt_assert_id_state(tt, k.id, TCPS_TIME_WAIT);
		return;
	}
	ck_assert_int_eq(i.timer[TCP_TIMER_FIN_WAIT_2], acked + want[_i]);
	tt_run(tt, acked + want[_i] - 1 - tt_now(tt));
	tt_assert_id_state(tt, k.id, TCPS_FIN_WAIT_2);
	tt_run(tt, 1);
	tt_assert_id_state(tt, k.id, TCPS_CLOSED);
	ck_assert_int_eq(tt_state_change_at(tt, tt->host, k.id, TCPS_FIN_WAIT_2, TCPS_CLOSED, 0),
			 acked + want[_i]);
	ck_assert_uint_eq(host_counters(h)->fin_wait2_timeouts, 1);
	/* The orphan's FIN_WAIT_2 entry counted as TW when it was made, as the
	 * kernel's TcpExtTW does; it never became a TIME_WAIT one. */
	ck_assert_uint_eq(host_counters(h)->tw_created, 1);
	ck_assert_uint_eq(host_counters(h)->tw_finished, 0);
	tt_expect_none(tt, VTIME_S);
	/* The peer's late FIN finds nothing: reset. */
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_expect(tt, "R", ISS + 2, 0, 0);
}
END_TEST

/* A FIN_WAIT_2 socket the application still holds (it only shut down writing) waits
 * for the peer's FIN forever, under both profiles. */
START_TEST(held_fin_wait_2_waits_forever)
{
	struct host *h = tt->h;

	tt_use_profile(h, _i ? "rfc" : "linux");
	struct tt_conn k = tt_conn_in(tt, TCPS_FIN_WAIT_2, ISS, IRS, false);
	ck_assert_int_eq(tt_info(tt, k.fd).timer[TCP_TIMER_FIN_WAIT_2], 0);
	tt_run(tt, 10 * 3600 * VTIME_S);
	tt_assert_state(tt, k.fd, TCPS_FIN_WAIT_2);
	ck_assert_uint_eq(host_counters(h)->fin_wait2_timeouts, 0);
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	tt_assert_state(tt, k.fd, TCPS_TIME_WAIT);
	ck_assert_int_eq(sock_recv(h, k.fd, NULL, 10), 0);
}
END_TEST

/* The compact FIN_WAIT_2 entry and a SYN at or beyond RCV.NXT: reset, and the entry
 * goes (tcp_timewait_state_process, FIN_WAIT2 substate: TCP_TW_RST). */
START_TEST(syn_into_orphan_fin_wait_2)
{
	struct tt_conn k = tt_conn_in(tt, TCPS_FIN_WAIT_2, ISS, IRS, true);

	tt_send_opts(tt, "S", IRS + 1000, 0, 0, TT_WIN, "mss 1460");
	tt_expect(tt, "R.", 0, IRS + 1001, 0);
	tt_assert_id_state(tt, k.id, TCPS_CLOSED);
}
END_TEST

/* ================================================================ ports */

/* The host opens from an explicit port and closes first: TIME_WAIT holds the port. */
static struct tt_conn active_time_wait(uint16_t port, bool reuse)
{
	struct host *h = tt->h;
	struct tt_conn c = { .lfd = -1 };

	host_fix_iss(h, ISS, 0x01000000);
	c.fd = sock_socket(h);
	if (reuse)
		ck_assert_int_eq(sock_setsockopt(h, c.fd, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, c.fd, port), 0);
	c.id = (uint32_t)sock_id(h, c.fd);
	tt->port = port;
	tt->pport = TT_PORT;
	ck_assert_int_eq(sock_connect(h, c.fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	tt_expect(tt, "S", ISS, 0, 0);
	tt_send_opts(tt, "S.", IRS, ISS + 1, 0, TT_WIN,
		     tt->peer_opts ? tt->peer_opts : "mss 1460,sackOK");
	tt_expect(tt, ".", ISS + 1, IRS + 1, 0);
	ck_assert_int_eq(sock_close(h, c.fd), 0);
	c.fd = -1;
	tt_expect(tt, "F.", ISS + 1, IRS + 1, 0);
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	tt_assert_id_state(tt, c.id, TCPS_TIME_WAIT);
	c.snd_nxt = ISS + 2;
	c.rcv_nxt = IRS + 2;
	return c;
}

/* bind() to a port held by TIME_WAIT: EADDRINUSE without SO_REUSEADDR; with it on
 * both, the bind succeeds, but not while a listener holds the port too. A socket so
 * bound may not connect() to the entry's own 4-tuple when the entry has no timestamps
 * (nothing would tell the incarnations apart), but may to another destination. */
START_TEST(bind_over_time_wait)
{
	struct host *h = tt->h;
	struct tt_conn k = active_time_wait(7000, true);
	int a = sock_socket(h), b = sock_socket(h), l = sock_socket(h);

	ck_assert_int_eq(sock_bind(h, a, 7000), -EADDRINUSE);
	ck_assert_int_eq(sock_setsockopt(h, a, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, a, 7000), 0);
	ck_assert_int_eq(sock_connect(h, a, TT_ADDR_B, TT_PORT), -EADDRNOTAVAIL);
	ck_assert_int_eq(sock_connect(h, a, TT_ADDR_B, TT_PORT + 1), -EINPROGRESS);
	/* A listener on the port (with SO_REUSEADDR) shuts out everyone else. */
	ck_assert_int_eq(sock_setsockopt(h, l, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, l, 7001), 0);
	ck_assert_int_eq(sock_listen(h, l, 4), 0);
	ck_assert_int_eq(sock_setsockopt(h, b, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, b, 7001), -EADDRINUSE);
	/* Once the entry is over, the port is free for anyone. */
	tt_run(tt, TIMEWAIT_LEN);
	tt_assert_id_state(tt, k.id, TCPS_CLOSED);
	int d = sock_socket(h);
	ck_assert_int_eq(sock_bind(h, d, 7000), -EADDRINUSE); /* a still holds it */
	ck_assert_int_eq(sock_close(h, a), 0);
	ck_assert_int_eq(sock_bind(h, d, 7000), 0);
}
END_TEST

/* A socket bound over a TIME_WAIT entry (both with SO_REUSEADDR) and connecting to the
 * entry's own peer takes it over whenever the entry has timestamps, whatever
 * tcp_tw_reuse (2, loopback only, here) and without the 1 s wait: Linux calls
 * __inet_check_established without twp for a bound port (measured, doc/linux-vs-rfc.md,
 * bind() over TIME_WAIT). The SYN starts at the old SND.NXT + 65537 and echoes the
 * peer's last TS val. Without timestamps: EADDRNOTAVAIL (bind_over_time_wait). */
START_TEST(bound_connect_takes_over_time_wait)
{
	struct host *h = tt->h;

	tt->peer_opts = TS_OPTS;
	struct tt_conn k = active_time_wait(7000, true);
	ck_assert(tt_info_id(tt, k.id).ts_ok);
	ck_assert_int_eq(host_config(h)->k.tw_reuse, 2);
	int a = sock_socket(h);
	ck_assert_int_eq(sock_setsockopt(h, a, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, a, 7000), 0);
	tt_run(tt, 200 * MS);
	ck_assert_int_eq(sock_connect(h, a, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	const struct tt_cap *syn = tt_expect(tt, "S", k.snd_nxt + 65537, 0, 0);
	ck_assert_uint_eq(syn->s.opt.ts_ecr, 100);
	tt_assert_id_state(tt, k.id, TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(h)->tw_recycled, 1);
}
END_TEST

/* The entry keeps the SO_REUSEADDR of the socket it came from: when that one had
 * none, a new socket cannot bind the port even with SO_REUSEADDR (measured,
 * doc/linux-vs-rfc.md; Linux inet_bind_conflict needs sk_reuse on both). */
START_TEST(bind_needs_reuse_on_both)
{
	struct host *h = tt->h;
	struct tt_conn k = active_time_wait(7000, false);
	int a = sock_socket(h);

	ck_assert_int_eq(sock_setsockopt(h, a, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, a, 7000), -EADDRINUSE);
	tt_run(tt, TIMEWAIT_LEN);
	tt_assert_id_state(tt, k.id, TCPS_CLOSED);
	ck_assert_int_eq(sock_bind(h, a, 7000), 0);
}
END_TEST

/* A server restarted while its old connections are in TIME_WAIT on its port (it closed
 * them first): the new listener binds with SO_REUSEADDR, not without. */
START_TEST(bind_server_restart)
{
	struct host *h = tt->h;
	int lfd = tt_listen(tt, 16);

	ck_assert_int_eq(sock_close(h, lfd), 0);
	lfd = sock_socket(h);
	ck_assert_int_eq(sock_setsockopt(h, lfd, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, lfd, TT_PORT), 0);
	ck_assert_int_eq(sock_listen(h, lfd, 16), 0);
	host_fix_iss(h, ISS, 1);
	tt_send_opts(tt, "S", IRS, 0, 0, TT_WIN, "mss 1460");
	tt_expect(tt, "S.", ISS, IRS + 1, 0);
	tt_send(tt, ".", IRS + 1, ISS + 1, 0, TT_WIN);
	tt_run(tt, DELAY);
	int fd = sock_accept(h, lfd);
	uint32_t id = (uint32_t)sock_id(h, fd);
	ck_assert_int_eq(sock_close(h, fd), 0);
	tt_expect(tt, "F.", ISS + 1, IRS + 1, 0);
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	tt_assert_id_state(tt, id, TCPS_TIME_WAIT);
	ck_assert_int_eq(sock_close(h, lfd), 0);

	int plain = sock_socket(h), reuse = sock_socket(h);
	ck_assert_int_eq(sock_bind(h, plain, TT_PORT), -EADDRINUSE);
	ck_assert_int_eq(sock_setsockopt(h, reuse, SOCKOPT_REUSEADDR, 1, 0), 0);
	ck_assert_int_eq(sock_bind(h, reuse, TT_PORT), 0);
	ck_assert_int_eq(sock_listen(h, reuse, 16), 0);
	tt_assert_id_state(tt, id, TCPS_TIME_WAIT);
}
END_TEST

/* One connection from the client to the server's port 80, closed by the client first
 * (so the client holds TIME_WAIT), the server closing as soon as it sees the FIN. */
static uint32_t client_time_wait(int lfd, struct tcp_info *info)
{
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);
	int fd = sock_socket(c);

	ck_assert_int_eq(sock_connect(c, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
	ck_assert_int_eq(tt_connect_wait(tt, c, fd, 10 * VTIME_S), 0);
	tt_run(tt, DELAY);
	int sfd = sock_accept(s, lfd);
	ck_assert_int_ge(sfd, 3);
	uint32_t id = (uint32_t)sock_id(c, fd);
	ck_assert_int_eq(sock_close(c, fd), 0);
	tt_run(tt, 4 * DELAY);
	ck_assert_int_eq(sock_close(s, sfd), 0);
	tt_run(tt, 4 * DELAY);
	ck_assert_int_eq(host_sock_info(c, id, info), 0);
	ck_assert_int_eq(info->state, TCPS_TIME_WAIT);
	return id;
}

/* Port exhaustion by TIME_WAIT, and tcp_tw_reuse (Linux tcp_twsk_unique): with two
 * ports, two connections in TIME_WAIT exhaust them (EADDRNOTAVAIL). connect() may take
 * over an entry only when tcp_tw_reuse allows it for the destination (1; 2 is loopback
 * only), timestamps were on, and the entry's last timestamp is from an earlier second;
 * then TWRecycled counts it and the new ISN is the old SND.NXT + 65535 + 2. The rfc
 * profile never reuses. */
static const struct {
	const char *profile;
	int tw_reuse, timestamps;
	bool reused;
} reuse_cases[] = {
	{ "linux", 0, 1, false }, { "linux", 1, 1, true }, { "linux", 1, 0, false },
	{ "linux", 2, 1, false }, { "rfc", 1, 1, false },
};

START_TEST(tw_reuse)
{
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);
	struct tcp_config *cc = host_config(c);
	int lfd = sock_socket(s);

	tt_use_profile(c, reuse_cases[_i].profile);
	cc->k.tw_reuse = reuse_cases[_i].tw_reuse;
	cc->k.timestamps = reuse_cases[_i].timestamps;
	cc->k.port_lo = 40000;
	cc->k.port_hi = 40001;
	ck_assert_int_eq(sock_bind(s, lfd, TT_PORT), 0);
	ck_assert_int_eq(sock_listen(s, lfd, 16), 0);
	struct tcp_info first, second;
	client_time_wait(lfd, &first);
	client_time_wait(lfd, &second);
	ck_assert_uint_eq(tt_count_in(c, TCPS_TIME_WAIT), 2);
	ck_assert_int_lt(tt_now(tt), VTIME_S); /* all within the first second */
	int fd = sock_socket(c);
	ck_assert_int_eq(sock_connect(c, fd, TT_ADDR_B, TT_PORT), -EADDRNOTAVAIL);
	/* From the next second on, an entry with timestamps may go. */
	tt_run(tt, VTIME_S - tt_now(tt));
	int rc = sock_connect(c, fd, TT_ADDR_B, TT_PORT);
	if (!reuse_cases[_i].reused) {
		ck_assert_int_eq(rc, -EADDRNOTAVAIL);
		ck_assert_uint_eq(host_counters(c)->tw_recycled, 0);
		/* TIME_WAIT over (60 s, 240 s under rfc): the ports are free again. */
		tt_run(tt, knob_timewait_len(cc));
		ck_assert_int_eq(sock_connect(c, fd, TT_ADDR_B, TT_PORT), -EINPROGRESS);
		ck_assert_int_eq(tt_connect_wait(tt, c, fd, 10 * VTIME_S), 0);
		ck_assert_int_eq(sock_close(s, lfd), 0);
		return;
	}
	ck_assert_int_eq(rc, -EINPROGRESS);
	ck_assert_uint_eq(host_counters(c)->tw_recycled, 1);
	ck_assert_uint_eq(tt_count_in(c, TCPS_TIME_WAIT), 1);
	struct tcp_info n = tt_info_of(c, fd);
	const struct tcp_info *old = n.lport == first.lport ? &first : &second;
	ck_assert_uint_eq(n.lport, old->lport);
	ck_assert_uint_eq(n.iss, old->snd_nxt + 65535 + 2);
	ck_assert_int_eq(host_sock_state(c, old->id), TCPS_CLOSED);
	ck_assert_int_eq(tt_connect_wait(tt, c, fd, 10 * VTIME_S), 0);
	ck_assert_int_eq(sock_close(s, lfd), 0);
}
END_TEST

/* Past tcp_max_tw_buckets no entry is made: the connection simply ends, its port is
 * free, TCPTimeWaitOverflow counts it. The FIN is still ACKed; a retransmission of it
 * then finds nothing and is reset. The orphan's FIN_WAIT_2 entry counts too. */
START_TEST(max_tw_buckets_overflow)
{
	struct host *h = tt->h;

	host_config(h)->k.max_tw_buckets = 0;
	struct tt_conn k = tt_conn_in(tt, _i ? TCPS_FIN_WAIT_1 : TCPS_FIN_WAIT_2, ISS, IRS,
				      _i == 1);
	if (_i) {
		tt_send(tt, ".", IRS + 1, ISS + 2, 0, TT_WIN);
		tt_run(tt, DELAY);
		tt_assert_id_state(tt, k.id, TCPS_CLOSED);
		tt_assert_change(tt, tt->host, k.id, TCPS_FIN_WAIT_1, TCPS_FIN_WAIT_2);
		ck_assert_uint_eq(host_counters(h)->tw_overflow, 1);
		return;
	}
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_expect(tt, ".", ISS + 2, IRS + 2, 0);
	tt_assert_state(tt, k.fd, TCPS_CLOSED);
	tt_assert_change(tt, tt->host, k.id, TCPS_FIN_WAIT_2, TCPS_TIME_WAIT);
	ck_assert_uint_eq(host_counters(h)->tw_overflow, 1);
	ck_assert_uint_eq(host_counters(h)->tw_created, 0);
	ck_assert_uint_eq(tt_count_in(h, TCPS_TIME_WAIT), 0);
	tt_send(tt, "F.", IRS + 1, ISS + 2, 0, TT_WIN);
	tt_expect(tt, "R", ISS + 2, 0, 0);
}
END_TEST

/* ================================================================ 10^5 entries */

#define MANY 100000
#define BATCH 1000
#define NPORTS 4

/* One client, four server ports, 10^5 connections closed by the client: 10^5 TIME_WAIT
 * entries at once. (25 000 per destination: fewer than the 32 256 even ports of the
 * range, so connect() finds a port at once, as Linux's would; past the even ports
 * every connect() scans all of them first, which is Linux's cost too.) The world is
 * then freed with all of them alive, and the counting allocator must come back to zero
 * (run under valgrind or LeakSanitizer for the rest). Loop 1 lets them all expire
 * first. */
START_TEST(hundred_thousand_time_waits)
{
	struct tt *t = malloc(sizeof(*t));
	static int cfd[BATCH], sfd[BATCH];

	ck_assert_ptr_nonnull(t);
	tt_init_pair(t, DELAY);
	struct host *c = tt_host(t, t->client), *s = tt_host(t, t->server);
	host_config(c)->k.port_lo = 1024;
	host_config(c)->k.port_hi = 65535;
	int lfd[NPORTS];
	for (int p = 0; p < NPORTS; p++) {
		lfd[p] = sock_socket(s);
		ck_assert_int_eq(sock_bind(s, lfd[p], (uint16_t)(TT_PORT + p)), 0);
		ck_assert_int_eq(sock_listen(s, lfd[p], BATCH), 0);
	}
	for (int done = 0; done < MANY; done += BATCH) {
		int port = done / (MANY / NPORTS);
		for (int k = 0; k < BATCH; k++) {
			cfd[k] = sock_socket(c);
			ck_assert_int_eq(sock_connect(c, cfd[k], TT_ADDR_B,
						      (uint16_t)(TT_PORT + port)), -EINPROGRESS);
		}
		tt_run(t, 3 * DELAY);
		for (int k = 0; k < BATCH; k++) {
			sfd[k] = sock_accept(s, lfd[port]);
			ck_assert_int_ge(sfd[k], 3);
			ck_assert_int_eq(sock_close(c, cfd[k]), 0);
		}
		tt_run(t, 2 * DELAY);
		for (int k = 0; k < BATCH; k++)
			ck_assert_int_eq(sock_close(s, sfd[k]), 0);
		tt_run(t, 2 * DELAY);
	}
	ck_assert_uint_eq(tt_count_in(c, TCPS_TIME_WAIT), MANY);
	ck_assert_uint_eq(host_counters(c)->tw_created, MANY);
	uint64_t total = 0;
	for (int st = 0; st < TCPS_COUNT; st++)
		total += tt_count_in(c, (enum tcp_state)st) + tt_count_in(s, (enum tcp_state)st);
	ck_assert_uint_eq(total, MANY + NPORTS); /* and the listeners */
	if (_i == 1) {
		tt_run(t, TIMEWAIT_LEN);
		ck_assert_uint_eq(tt_count_in(c, TCPS_TIME_WAIT), 0);
		ck_assert_uint_eq(host_counters(c)->tw_finished, MANY);
	}
	world_free(t->w);
	t->w = NULL;
	ck_assert_int_eq(t->ca.live, 0);
	free(t);
}
END_TEST

static Suite *timewait_suite(void)
{
	Suite *s = suite_create("tcp_timewait");
	TCase *peer = tcase_create("peer");
	TCase *pair = tcase_create("pair");
	TCase *many = tcase_create("many");
	int nlen = (int)(sizeof(lengths) / sizeof(lengths[0]));
	int nexact = (int)(sizeof(exact_rst) / sizeof(exact_rst[0]));
	int nreuse = (int)(sizeof(reuse_cases) / sizeof(reuse_cases[0]));

	tcase_add_checked_fixture(peer, setup_peer, teardown);
	tcase_add_checked_fixture(pair, setup_pair, teardown);
	tcase_set_timeout(many, 120);
	tcase_add_loop_test(peer, time_wait_length, 0, nlen);
	tcase_add_loop_test(peer, retransmitted_fin_restarts, 0, 2);
	tcase_add_test(peer, bare_ack_restarts_silently);
	tcase_add_test(peer, old_segment_acked);
	tcase_add_loop_test(peer, time_wait_answers_rate_limited, 0, 2);
	tcase_add_test(peer, fin_wait_2_answers_rate_limited);
	tcase_add_loop_test(peer, exact_rst_in_time_wait, 0, nexact);
	tcase_add_loop_test(peer, inexact_rst_in_time_wait, 0, 2);
	tcase_add_loop_test(peer, syn_new_incarnation_accepted, 0, 2);
	tcase_add_loop_test(peer, syn_old_duplicate_answered, 0, 2);
	tcase_add_test(pair, syn_into_time_wait_pair);
	tcase_add_loop_test(peer, syn_into_time_wait_cases, 0,
			    (int)(sizeof(syn_cases) / sizeof(syn_cases[0])));
	tcase_add_test(peer, bound_connect_takes_over_time_wait);
	tcase_add_loop_test(peer, orphan_fin_wait_2_timeout, 0, 4);
	tcase_add_loop_test(peer, held_fin_wait_2_waits_forever, 0, 2);
	tcase_add_test(peer, syn_into_orphan_fin_wait_2);
	tcase_add_test(peer, bind_over_time_wait);
	tcase_add_test(peer, bind_needs_reuse_on_both);
	tcase_add_test(peer, bind_server_restart);
	tcase_add_loop_test(pair, tw_reuse, 0, nreuse);
	tcase_add_loop_test(peer, max_tw_buckets_overflow, 0, 2);
	tcase_add_loop_test(many, hundred_thousand_time_waits, 0, 2);
	suite_add_tcase(s, peer);
	suite_add_tcase(s, pair);
	suite_add_tcase(s, many);
	return s;
}

int main(void)
{
	return run_suite(timewait_suite());
}
