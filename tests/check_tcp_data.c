/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "tcptest.h"

/*
 * Data transfer: segmentation, cumulative ACKs, loss and retransmission with Linux's
 * timings (RTO, backoff, tail loss probe, the tcp_retries2 time budget), NewReno fast
 * retransmit, delayed ACKs in and out of quick-ACK and pingpong mode, zero windows and
 * persist probes, Nagle, PAWS, sequence wrap-around, and a transfer through a lossy,
 * duplicating, reordering link.
 *
 * Expected timings are computed here from the documented formulas (BEHAVIOUR.md, Linux
 * tcp_rtt_estimator / __tcp_set_rto / tcp_schedule_loss_probe / tcp_model_timeout),
 * never copied from the program's output.
 */

static struct tt T;
static struct tt *const tt = &T;

#define DELAY (5 * VTIME_MS) /* one way: a 10 ms RTT */
#define MS VTIME_MS
#define RTO_MIN (200 * MS)
#define RTO_MAX (120 * VTIME_S)

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

/* ---------------------------------------------------------------- Linux's formulas */

/* The RTO after one RTT sample m (tcp_rtt_estimator's first sample: SRTT = m,
 * mdev = m/2; __tcp_set_rto: SRTT + max(4 mdev, tcp_rto_min)). */
static vtime_t rto_after_sample(vtime_t m)
{
	vtime_t var = 4 * (m / 2);

	return m + (var > RTO_MIN ? var : RTO_MIN);
}

/* tcp_schedule_loss_probe: 2 SRTT, plus tcp_rto_min when one segment is out (else
 * 2 ms), but never later than the RTO. */
static vtime_t tlp_timeout(vtime_t srtt, bool one_segment, vtime_t rto)
{
	vtime_t t = 2 * srtt + (one_segment ? RTO_MIN : 2 * MS);

	return t < rto ? t : rto;
}

/* tcp_model_timeout: what `boundary` RTOs doubling from tcp_rto_min take, each capped
 * at TCP_RTO_MAX (BEHAVIOUR.md: 15 -> 924.6 s, 8 -> 102.2 s). */
static vtime_t budget(int boundary)
{
	vtime_t sum = 0, r = RTO_MIN;

	for (int i = 0; i <= boundary; i++) {
		sum += r;
		r = 2 * r < RTO_MAX ? 2 * r : RTO_MAX;
	}
	return sum;
}

static vtime_t dbl(vtime_t rto)
{
	return 2 * rto < RTO_MAX ? 2 * rto : RTO_MAX;
}

/* The bytes of a test stream: position i holds pattern(i). */
static uint8_t pattern(uint64_t i, unsigned salt)
{
	return (uint8_t)((i * 7 + salt + (i >> 8)) % 251);
}

static void fill(uint8_t *buf, size_t n, uint64_t from, unsigned salt)
{
	for (size_t k = 0; k < n; k++)
		buf[k] = pattern(from + k, salt);
}

static void assert_pattern(const uint8_t *buf, size_t n, uint64_t from, unsigned salt)
{
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(buf[k] == pattern(from + k, salt), "byte %llu is %u, expected %u",
			      (unsigned long long)(from + k), buf[k], pattern(from + k, salt));
}

#define assert_sent_at(c, when)                                                          \
	ck_assert_msg((c)->sent == (when), "sent at %lld ns, expected %lld ns",          \
		      (long long)(c)->sent, (long long)(when))

/* ---------------------------------------------------------------- segmentation */

START_TEST(segmentation_by_mss)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	uint8_t buf[4000];

	fill(buf, sizeof(buf), 0, 1);
	ck_assert_int_eq(sock_send(tt->h, fd, buf, sizeof(buf), 0), 4000);
	const struct tt_cap *a = tt_expect(tt, ".", 1001, 5001, 1460);
	const struct tt_cap *b = tt_expect(tt, ".", 2461, 5001, 1460);
	const struct tt_cap *c = tt_expect(tt, "P.", 3921, 5001, 1080);
	assert_pattern(a->data, 1460, 0, 1);
	assert_pattern(b->data, 1460, 1460, 1);
	assert_pattern(c->data, 1080, 2920, 1);
	ck_assert_int_eq(a->sent, c->sent); /* the initial window holds them all */
	ck_assert_uint_eq(tt_info(tt, fd).send_queue, 4000);
	/* A cumulative ACK of the first segment... */
	tt_send(tt, ".", 5001, 2461, 0, TT_WIN);
	tt_run(tt, DELAY);
	struct tcp_info i = tt_info(tt, fd);
	ck_assert_uint_eq(i.snd_una, 2461);
	ck_assert_uint_eq(i.send_queue, 4000 - 1460);
	/* ... and of all. */
	tt_send(tt, ".", 5001, 5001, 0, TT_WIN);
	tt_run(tt, DELAY);
	i = tt_info(tt, fd);
	ck_assert_uint_eq(i.snd_una, 5001);
	ck_assert_uint_eq(i.send_queue, 0);
	ck_assert_int_eq(i.timer[TCP_TIMER_RTO], 0);
	ck_assert_int_eq(i.timer[TCP_TIMER_TLP], 0);
	tt_expect_none(tt, 10 * VTIME_S);
	ck_assert_uint_eq(host_counters(tt->h)->retrans_segs, 0);
}
END_TEST

START_TEST(received_data_reaches_the_application)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	uint8_t data[3000], got[3000];

	fill(data, sizeof(data), 0, 2);
	tt_send_full(tt, ".", 5001, 1001, data, 1460, TT_WIN, NULL);
	tt_send_full(tt, "P.", 6461, 1001, data + 1460, 1540, TT_WIN, NULL);
	tt_expect(tt, ".", 1001, 6461, 0);
	tt_expect(tt, ".", 1001, 8001, 0);
	ck_assert_int_eq(sock_poll(tt->h, fd), SOCK_POLLIN | SOCK_POLLOUT);
	ck_assert_int_eq(sock_recv(tt->h, fd, got, 1000), 1000);
	ck_assert_int_eq(sock_recv(tt->h, fd, got + 1000, sizeof(got)), 2000);
	assert_pattern(got, sizeof(got), 0, 2);
	ck_assert_int_eq(sock_recv(tt->h, fd, got, sizeof(got)), -EAGAIN);
}
END_TEST

/* A segment ahead of a hole is kept and ACKed at once with the old ACK (a duplicate
 * ACK, RFC 5681 4.2); the hole filling is ACKed at once too. */
START_TEST(out_of_order_is_kept)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	uint8_t data[300], got[300];

	fill(data, sizeof(data), 0, 3);
	tt_send_full(tt, "P.", 5101, 1001, data + 100, 200, TT_WIN, NULL);
	tt_expect(tt, ".", 1001, 5001, 0);
	ck_assert_uint_eq(tt_info(tt, fd).ooo_queue, 200);
	ck_assert_int_eq(sock_recv(tt->h, fd, got, sizeof(got)), -EAGAIN);
	tt_send_full(tt, ".", 5001, 1001, data, 100, TT_WIN, NULL);
	tt_expect(tt, ".", 1001, 5301, 0);
	ck_assert_int_eq(sock_recv(tt->h, fd, got, sizeof(got)), 300);
	assert_pattern(got, 300, 0, 3);
	ck_assert_uint_eq(tt_info(tt, fd).ooo_queue, 0);
}
END_TEST

/* RFC 2018 4: with SACK negotiated, each ACK sent while data is held out of order
 * carries SACK blocks, the one holding the latest arrival first. */
START_TEST(sack_blocks_carried)
{
	int fd = tt_established_passive(tt, 1000, 5000);

	tt_send(tt, "P.", 5101, 1001, 100, TT_WIN);   /* hole 5001..5101 */
	const struct tt_cap *c = tt_expect(tt, ".", 1001, 5001, 0);
	ck_assert_str_eq(tt_opts_str(c), "nop,nop,sack 1 {5101:5201}");
	tt_send(tt, "P.", 5301, 1001, 100, TT_WIN);   /* a second hole */
	c = tt_expect(tt, ".", 1001, 5001, 0);
	ck_assert_str_eq(tt_opts_str(c), "nop,nop,sack 2 {5301:5401} {5101:5201}");
	tt_send(tt, "P.", 5201, 1001, 100, TT_WIN);   /* joins the two runs */
	c = tt_expect(tt, ".", 1001, 5001, 0);
	ck_assert_str_eq(tt_opts_str(c), "nop,nop,sack 1 {5101:5401}");
	tt_send(tt, "P.", 5001, 1001, 100, TT_WIN);   /* fills the hole: no SACK left */
	c = tt_expect(tt, ".", 1001, 5401, 0);
	ck_assert_str_eq(tt_opts_str(c), "");
	ck_assert_int_eq(sock_recv(tt->h, fd, NULL, 1000), 400);
}
END_TEST

/* ---------------------------------------------------------------- loss and RTO */

/* BEHAVIOUR.md (TIME_WAIT, measured): one segment unanswered is sent again first as a
 * tail loss probe after min(2 SRTT + 200 ms, RTO), then on RTOs of about SRTT + 200 ms,
 * the first not doubled (the probe is no retransmission), doubling after. */
START_TEST(loss_probe_then_rto_backoff)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	vtime_t srtt = 2 * DELAY, rto = rto_after_sample(srtt);

	ck_assert_int_eq(rto, 210 * MS);
	ck_assert_int_eq(tt_info(tt, fd).rto, rto);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	const struct tt_cap *c = tt_expect(tt, "P.", 1001, 5001, 100);
	vtime_t t0 = c->sent, when = t0 + tlp_timeout(srtt, true, rto);

	c = tt_expect(tt, "P.", 1001, 5001, 100);
	assert_sent_at(c, when);
	ck_assert_uint_eq(host_counters(tt->h)->loss_probes, 1);
	ck_assert_uint_eq(host_counters(tt->h)->timeouts, 0);
	for (int k = 1; k <= 5; k++) {
		when += rto;
		c = tt_expect(tt, "P.", 1001, 5001, 100);
		assert_sent_at(c, when);
		rto = dbl(rto);
		struct tcp_info i = tt_info(tt, fd);
		ck_assert_int_eq(i.backoff, k);
		ck_assert_int_eq(i.rto, rto);
		ck_assert_uint_eq(host_counters(tt->h)->timeouts, (uint64_t)k);
	}
	/* Gaps as recorded: 210, 210, 420, 840, 1680, 3360 ms. */
	ck_assert_int_eq(when - t0, (210 + 210 + 420 + 840 + 1680 + 3360) * MS);
	tt_send(tt, ".", 5001, 1101, 0, TT_WIN);
	tt_run(tt, DELAY);
	struct tcp_info i = tt_info(tt, fd);
	ck_assert_int_eq(i.backoff, 0);
	ck_assert_int_eq(i.retransmits, 0);
	ck_assert_uint_eq(i.send_queue, 0);
	tt_expect_none(tt, 10 * VTIME_S);
}
END_TEST

START_TEST(rto_without_loss_probe)
{
	host_config(tt->h)->r.tlp = false;
	int fd = tt_established_passive(tt, 1000, 5000);
	vtime_t rto = rto_after_sample(2 * DELAY);

	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	vtime_t when = tt_expect(tt, "P.", 1001, 5001, 100)->sent;
	for (int k = 0; k < 4; k++) {
		when += rto;
		assert_sent_at(tt_expect(tt, "P.", 1001, 5001, 100), when);
		rto = dbl(rto);
	}
	ck_assert_uint_eq(host_counters(tt->h)->loss_probes, 0);
}
END_TEST

/* Without SACK there is no loss probe (tcp_schedule_loss_probe needs tcp_is_sack). */
START_TEST(no_loss_probe_without_sack)
{
	int fd = tt_established_passive_opts(tt, 1000, 5000, "mss 1460");
	vtime_t rto = rto_after_sample(2 * DELAY);

	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	vtime_t t0 = tt_expect(tt, "P.", 1001, 5001, 100)->sent;
	assert_sent_at(tt_expect(tt, "P.", 1001, 5001, 100), t0 + rto);
	ck_assert_uint_eq(host_counters(tt->h)->loss_probes, 0);
}
END_TEST

/* The rfc profile: RFC 6298, RTO = SRTT + max(G, 4 RTTVAR) but at least 1 s. */
START_TEST(rfc_profile_rto_floor)
{
	tt_use_profile(tt->h, "rfc");
	int fd = tt_established_passive(tt, 1000, 5000);
	vtime_t m = 2 * DELAY, rto = m + 4 * (m / 2);

	rto = rto < VTIME_S ? VTIME_S : rto;
	ck_assert_int_eq(tt_info(tt, fd).rto, rto);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	vtime_t when = tt_expect(tt, "P.", 1001, 5001, 100)->sent;
	for (int k = 0; k < 3; k++) {
		when += rto;
		assert_sent_at(tt_expect(tt, "P.", 1001, 5001, 100), when);
		rto = dbl(rto);
	}
}
END_TEST

/* An ACK covering part of the flight restarts the timers: Linux tcp_set_xmit_timer
 * schedules a loss probe (2 SRTT + 2 ms with more than one segment out). */
START_TEST(partial_ack_rearms_loss_probe)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	vtime_t srtt = 2 * DELAY, rto = rto_after_sample(srtt);

	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 3 * 1460, 0), 3 * 1460);
	tt_expect(tt, ".", 1001, 5001, 1460);
	tt_expect(tt, ".", 2461, 5001, 1460);
	tt_expect(tt, "P.", 3921, 5001, 1460);
	tt_send(tt, ".", 5001, 2461, 0, TT_WIN);
	tt_run(tt, DELAY);
	vtime_t acked = tt_now(tt);
	ck_assert_int_eq(tt_info(tt, fd).timer[TCP_TIMER_TLP], acked + tlp_timeout(srtt, false, rto));
	/* The probe resends the last segment. */
	const struct tt_cap *c = tt_expect(tt, "P.", 3921, 5001, 1460);
	assert_sent_at(c, acked + tlp_timeout(srtt, false, rto));
}
END_TEST

/* NewReno (RFC 6582): three duplicate ACKs retransmit the hole at once; a partial
 * ACK retransmits the next hole; the full ACK ends recovery. While recovering the
 * retransmission timer (not a probe) runs (Linux tcp_xmit_retransmit_queue rearms it). */
START_TEST(fast_retransmit_newreno)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	uint32_t s[6];

	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 6 * 1460, 0), 6 * 1460);
	for (int k = 0; k < 6; k++) {
		s[k] = 1001 + 1460 * (uint32_t)k;
		tt_expect(tt, k == 5 ? "P." : ".", s[k], 5001, 1460);
	}
	/* Segments 1 and 3 (from 0) were lost. */
	tt_send(tt, ".", 5001, s[1], 0, TT_WIN);
	for (int k = 0; k < 3; k++)
		tt_send(tt, ".", 5001, s[1], 0, TT_WIN);
	const struct tt_cap *c = tt_expect(tt, ".", s[1], 5001, 1460);
	vtime_t dupacks_arrived = c->sent;
	ck_assert_int_eq(dupacks_arrived, tt->cap[tt->next - 2].sent + 2 * DELAY);
	struct tcp_info i = tt_info(tt, fd);
	ck_assert_int_eq(i.timer[TCP_TIMER_TLP], 0);
	ck_assert_int_gt(i.timer[TCP_TIMER_RTO], 0);
	/* The retransmission filled the first hole: a partial ACK up to the second. */
	tt_send(tt, ".", 5001, s[3], 0, TT_WIN);
	tt_expect(tt, ".", s[3], 5001, 1460);
	tt_send(tt, ".", 5001, s[5] + 1460, 0, TT_WIN);
	tt_expect_none(tt, 5 * VTIME_S);
	i = tt_info(tt, fd);
	ck_assert_uint_eq(i.send_queue, 0);
	ck_assert_uint_eq(host_counters(tt->h)->retrans_segs, 2);
	ck_assert_uint_eq(host_counters(tt->h)->timeouts, 0);
	ck_assert_uint_eq(host_counters(tt->h)->loss_probes, 0);
}
END_TEST

/* ---------------------------------------------------------------- time budget */

/* Linux retransmits_timed_out: the connection gives up on the first RTO that finds
 * tcp_model_timeout(tcp_retries2) elapsed since the first retransmission (the loss
 * probe is not one); the application then sees ETIMEDOUT. Returns when it gave up. */
static vtime_t run_until_given_up(int fd, uint32_t id, int boundary)
{
	vtime_t srtt = 2 * DELAY, rto = rto_after_sample(srtt), limit = budget(boundary);

	(void)fd;
	const struct tt_cap *c = tt_expect(tt, "P.", 1001, 5001, 100);
	vtime_t t0 = c->sent;
	vtime_t first = t0 + tlp_timeout(srtt, true, rto) + rto; /* the first RTO */
	assert_sent_at(tt_expect(tt, "P.", 1001, 5001, 100), first - rto); /* the probe */
	vtime_t when = first;
	int n = 0;
	while (when - first < limit) {
		assert_sent_at(tt_expect(tt, "P.", 1001, 5001, 100), when);
		n++;
		rto = dbl(rto);
		when += rto;
	}
	tt_run(tt, when - tt_now(tt) - 1);
	ck_assert_int_ne(host_sock_state(tt->h, id), TCPS_CLOSED);
	tt_run(tt, 1);
	ck_assert_int_eq(host_sock_state(tt->h, id), TCPS_CLOSED);
	ck_assert_uint_eq(host_counters(tt->h)->timeouts, (uint64_t)n);
	ck_assert_uint_eq(host_counters(tt->h)->abort_on_timeout, 1);
	return when - t0;
}

START_TEST(retries2_budget_etimedout)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	uint32_t id = (uint32_t)sock_id(tt->h, fd);

	ck_assert_int_eq(budget(15), 924600 * MS);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	vtime_t end = run_until_given_up(fd, id, 15);
	/* 10 ms path: probe at 0.21 s, first RTO at 0.42 s, the last at 0.42 + 814.62 s,
	 * given up at 0.42 + 934.62 s after the data was first sent. */
	ck_assert_int_eq(end, 935040 * MS);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 1, 0), -ETIMEDOUT);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 1, SOCK_MSG_NOSIGNAL), -EPIPE);
	ck_assert_int_eq(sock_recv(tt->h, fd, NULL, 1), 0);
	tt_expect_none(tt, 300 * VTIME_S); /* no RST: Linux tcp_write_err sends nothing */
}
END_TEST

START_TEST(retries2_small_budget)
{
	host_config(tt->h)->k.retries2 = 3;
	int fd = tt_established_passive(tt, 1000, 5000);
	uint32_t id = (uint32_t)sock_id(tt->h, fd);

	ck_assert_int_eq(budget(3), 3 * VTIME_S);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	run_until_given_up(fd, id, 3);
	ck_assert_int_eq(sock_recv(tt->h, fd, NULL, 1), -ETIMEDOUT);
}
END_TEST

/* An orphan (closed by the application) gives up after tcp_orphan_retries (0: 8), a
 * budget of 102.2 s, and goes silently. */
START_TEST(orphan_budget)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	uint32_t id = (uint32_t)sock_id(tt->h, fd);
	vtime_t srtt = 2 * DELAY, rto = rto_after_sample(srtt);

	ck_assert_int_eq(budget(8), 102200 * MS);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	ck_assert_int_eq(sock_close(tt->h, fd), 0);
	vtime_t t0 = tt_expect(tt, "P.", 1001, 5001, 100)->sent;
	tt_expect(tt, "F.", 1101, 5001, 0);
	/* The probe resends the FIN, the RTOs resend data and FIN together. Data and FIN
	 * are two segments out, so the probe waits 2 SRTT + 2 ms, not + tcp_rto_min
	 * (Linux counts packets_out; the kernel probed such a close after 7 ms,
	 * BEHAVIOUR.md, the SO_LINGER {1,2} measurement). */
	assert_sent_at(tt_expect(tt, "F.", 1101, 5001, 0), t0 + tlp_timeout(srtt, false, rto));
	vtime_t first = t0 + tlp_timeout(srtt, false, rto) + rto, when = first;
	while (when - first < budget(8)) {
		assert_sent_at(tt_expect(tt, "FP.", 1001, 5001, 100), when);
		rto = dbl(rto);
		when += rto;
	}
	tt_run(tt, when - tt_now(tt) - 1);
	ck_assert_int_eq(host_sock_state(tt->h, id), TCPS_FIN_WAIT_1);
	tt_run(tt, 1);
	ck_assert_int_eq(host_sock_state(tt->h, id), TCPS_CLOSED);
	tt_expect_none(tt, 300 * VTIME_S);
}
END_TEST

/* ---------------------------------------------------------------- delayed ACK */

/* Linux tcp_event_data_recv and __tcp_ack_snd_check: the first data of a connection
 * starts quick-ACK mode, 16 ACKs sent at once (TCP_MAX_QUICKACKS, for a window of more
 * than 32 segments of 536); after that an ACK waits ato, 40 ms (TCP_ATO_MIN) for
 * data arriving closer than that, unless more than a full segment is unacknowledged. */
START_TEST(delayed_ack_after_quick_ack)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	uint32_t seq = 5001;

	for (int k = 0; k < 16; k++) {
		vtime_t sent = tt_now(tt);
		tt_send(tt, "P.", seq, 1001, 100, TT_WIN);
		seq += 100;
		assert_sent_at(tt_expect(tt, ".", 1001, seq, 0), sent + DELAY);
	}
	vtime_t arrive = tt_now(tt) + DELAY;
	tt_send(tt, "P.", seq, 1001, 100, TT_WIN);
	seq += 100;
	tt_expect_none(tt, DELAY + 40 * MS - 1);
	assert_sent_at(tt_expect(tt, ".", 1001, seq, 0), arrive + 40 * MS);
	ck_assert_uint_eq(host_counters(tt->h)->delayed_acks, 1);
	/* Two full segments: the first waits, the second is ACKed at once. */
	tt_send(tt, ".", seq, 1001, 1460, TT_WIN);
	tt_send(tt, ".", seq + 1460, 1001, 1460, TT_WIN);
	assert_sent_at(tt_expect(tt, ".", 1001, seq + 2920, 0), tt_now(tt) - DELAY);
	tt_expect_none(tt, VTIME_S);
	/* Idle for longer than the RTO: quick-ACK mode again (tcp_event_data_recv). */
	seq += 2920;
	vtime_t sent = tt_now(tt);
	tt_send(tt, "P.", seq, 1001, 100, TT_WIN);
	assert_sent_at(tt_expect(tt, ".", 1001, seq + 100, 0), sent + DELAY);
	ck_assert_uint_eq(tt_info(tt, fd).recv_queue, 17 * 100 + 2920 + 100);
}
END_TEST

/* Linux tcp_event_data_sent: data sent within ato of data received makes the
 * connection interactive (pingpong): ACKs wait ato to ride on the reply; a delayed
 * ACK that had to go alone ends pingpong mode (tcp_delack_timer_handler). */
START_TEST(pingpong_delays_acks)
{
	int fd = tt_established_passive(tt, 1000, 5000);

	tt_send(tt, "P.", 5001, 1001, 100, TT_WIN);
	tt_expect(tt, ".", 1001, 5101, 0); /* quick ACK */
	ck_assert_int_eq(sock_recv(tt->h, fd, NULL, 100), 100);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 50, 0), 50);
	tt_expect(tt, "P.", 1001, 5101, 50);
	ck_assert(tt_info(tt, fd).pingpong);
	/* The next request: its ACK waits; the reply 20 ms later carries it. */
	tt_send(tt, "P.", 5101, 1051, 100, TT_WIN);
	tt_expect_none(tt, DELAY + 20 * MS);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 50, 0), 50);
	tt_expect(tt, "P.", 1051, 5201, 50);
	tt_send(tt, ".", 5201, 1101, 0, TT_WIN);
	/* A request the application does not answer: the ACK goes alone after ato. */
	vtime_t arrive = tt_now(tt) + DELAY;
	tt_send(tt, "P.", 5201, 1101, 100, TT_WIN);
	assert_sent_at(tt_expect(tt, ".", 1101, 5301, 0), arrive + 40 * MS);
	ck_assert(!tt_info(tt, fd).pingpong);
	ck_assert_uint_eq(host_counters(tt->h)->delayed_acks, 1);
}
END_TEST

/* BEHAVIOUR.md: the ACK of a FIN in ESTABLISHED waits for the delayed-ACK timer
 * (tcp_fin() sets pingpong): ato, 40 ms once data was received (recorded: 41 ms, on
 * the 4 ms tick). */
START_TEST(fin_ack_is_delayed_after_data)
{
	int fd = tt_established_passive(tt, 1000, 5000);

	tt_send(tt, "P.", 5001, 1001, 100, TT_WIN);
	tt_expect(tt, ".", 1001, 5101, 0);
	vtime_t arrive = tt_now(tt) + DELAY;
	tt_send(tt, "F.", 5101, 1001, 0, TT_WIN);
	assert_sent_at(tt_expect(tt, ".", 1001, 5102, 0), arrive + 40 * MS);
	tt_assert_state(tt, fd, TCPS_CLOSE_WAIT);
	ck_assert_int_eq(sock_recv(tt->h, fd, NULL, 1000), 100);
	ck_assert_int_eq(sock_recv(tt->h, fd, NULL, 1000), 0);
}
END_TEST

/* With no data received, ato is 0: Linux sends on the next 4 ms tick (recorded 5 ms);
 * the model has no tick and sends at once. */
START_TEST(fin_ack_without_data)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	vtime_t arrive = tt_now(tt) + DELAY;

	tt_send(tt, "F.", 5001, 1001, 0, TT_WIN);
	assert_sent_at(tt_expect(tt, ".", 1001, 5002, 0), arrive);
	tt_assert_state(tt, fd, TCPS_CLOSE_WAIT);
}
END_TEST

/* ---------------------------------------------------------------- windows */

/* RFC 9293 3.8.6.1: a zero window is probed; Linux sends SND.UNA - 1 with no data
 * (tcp_xmit_probe_skb) after the RTO, then backs off (tcp_probe0_when); an ACK that
 * leaves the window shut restarts the wait from its arrival (tcp_ack_probe), and one
 * that opens it lets the data go at once. */
START_TEST(zero_window_persist)
{
	int fd = tt_established_passive(tt, 1000, 5000);
	vtime_t rto = rto_after_sample(2 * DELAY);

	tt_send(tt, ".", 5001, 1001, 0, 0);
	tt_run(tt, DELAY);
	ck_assert_uint_eq(tt_info(tt, fd).snd_wnd, 0);
	vtime_t t0 = tt_now(tt);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	ck_assert_int_eq(tt_info(tt, fd).timer[TCP_TIMER_PERSIST], t0 + rto);
	const struct tt_cap *c = tt_expect(tt, ".", 1000, 5001, 0);
	assert_sent_at(c, t0 + rto);
	/* Unanswered: the next after twice as long. */
	c = tt_expect(tt, ".", 1000, 5001, 0);
	assert_sent_at(c, t0 + rto + 2 * rto);
	/* Answered with the window still shut: restarted from the answer, 4 RTO. */
	tt_send(tt, ".", 5001, 1001, 0, 0);
	vtime_t answered = c->at + DELAY;
	c = tt_expect(tt, ".", 1000, 5001, 0);
	assert_sent_at(c, answered + 4 * rto);
	ck_assert_uint_eq(host_counters(tt->h)->zero_window_probes, 3);
	/* The window opens: the data goes when the update arrives. */
	tt_send(tt, ".", 5001, 1001, 0, TT_WIN);
	c = tt_expect(tt, "P.", 1001, 5001, 100);
	assert_sent_at(c, tt->cap[tt->next - 2].at + DELAY);
	ck_assert_int_eq(tt_info(tt, fd).timer[TCP_TIMER_PERSIST], 0);
	tt_send(tt, ".", 5001, 1101, 0, TT_WIN);
	tt_expect_none(tt, 10 * VTIME_S);
}
END_TEST

/* The receiver's side: a buffer nobody reads fills, the window reaches 0, a probe is
 * answered with it, and a read that opens it announces it (tcp_cleanup_rbuf). */
START_TEST(receive_window_closes_and_opens)
{
	host_fix_iss(tt->h, 1000, 1);
	int lfd = tt_listen(tt, 4);
	ck_assert_int_eq(sock_setsockopt(tt->h, lfd, SOCKOPT_RCVBUF, 4096, 0), 0);
	tt_send_opts(tt, "S", 5000, 0, 0, TT_WIN, "mss 1000");
	const struct tt_cap *c = tt_expect(tt, "S.", 1000, 5001, 0);
	/* rcvbuf 8192, half of it for data, in whole segments of our own MSS (Linux
	 * tcp_openreq_init_rwin uses the advertised MSS, not the peer's): 2 x 1460. */
	ck_assert_uint_eq(c->s.wnd, 2920);
	tt_send(tt, ".", 5001, 1001, 0, TT_WIN);
	tt_run(tt, DELAY);
	int fd = sock_accept(tt->h, lfd);
	ck_assert_int_ge(fd, 3);
	/* The peer fills every window offered; the right edge never moves left (RFC
	 * 9293 3.8.6.2.2), and the window closes once the buffer is full. */
	uint32_t seq = 5001, edge = 5001 + 2920;
	for (int k = 0; k < 100 && seq != edge; k++) {
		uint32_t n = edge - seq < 1000 ? edge - seq : 1000;
		tt_send(tt, ".", seq, 1001, n, TT_WIN);
		seq += n;
		c = tt_expect(tt, ".", 1001, seq, 0);
		ck_assert(seq_geq(seq + c->s.wnd, edge));
		edge = seq + c->s.wnd;
	}
	ck_assert_uint_eq(seq, edge);
	ck_assert_uint_le(seq - 5001, 8192);
	ck_assert_uint_eq(tt_info(tt, fd).recv_queue, seq - 5001);
	/* Data beyond the window is not taken; the answer repeats the closed window. */
	tt_send(tt, ".", seq, 1001, 100, TT_WIN);
	c = tt_expect(tt, ".", 1001, seq, 0);
	ck_assert_uint_eq(c->s.wnd, 0);
	ck_assert_int_eq(sock_recv(tt->h, fd, NULL, 100000), (long)(seq - 5001));
	c = tt_expect(tt, ".", 1001, seq, 0);
	ck_assert_uint_gt(c->s.wnd, 0);
	assert_sent_at(c, tt_now(tt) - DELAY);
}
END_TEST

/* Nagle (RFC 896, Linux tcp_nagle_check in Minshall's form): a small segment waits
 * while an earlier small one is unacknowledged; TCP_NODELAY sends it at once. */
START_TEST(nagle_and_nodelay)
{
	int fd = tt_established_passive(tt, 1000, 5000);

	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	tt_expect(tt, "P.", 1001, 5001, 100);
	tt_expect_none(tt, DELAY);
	tt_send(tt, ".", 5001, 1101, 0, TT_WIN);
	tt_expect(tt, "P.", 1101, 5001, 100);
	tt_send(tt, ".", 5001, 1201, 0, TT_WIN);
	tt_run(tt, DELAY);
	ck_assert_int_eq(sock_setsockopt(tt->h, fd, SOCKOPT_NODELAY, 1, 0), 0);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	vtime_t now = tt_now(tt);
	assert_sent_at(tt_expect(tt, "P.", 1201, 5001, 100), now);
	assert_sent_at(tt_expect(tt, "P.", 1301, 5001, 100), now);
	/* A full segment is never held back. */
	tt_send(tt, ".", 5001, 1401, 0, TT_WIN);
	tt_run(tt, DELAY);
	ck_assert_int_eq(sock_setsockopt(tt->h, fd, SOCKOPT_NODELAY, 0, 0), 0);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 100, 0), 100);
	ck_assert_int_eq(sock_send(tt->h, fd, NULL, 1460, 0), 1460);
	tt_expect(tt, "P.", 1401, 5001, 100);
	tt_expect(tt, "P.", 1501, 5001, 1460);
}
END_TEST

/* ---------------------------------------------------------------- PAWS */

/* RFC 7323 5.3: a segment whose timestamp is older than the last one seen is an old
 * duplicate: dropped, and answered with an ACK. */
START_TEST(paws_drops_old_segment)
{
	int fd = tt_established_passive_opts(tt, 1000, 5000,
					     "mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7");
	uint8_t got[16];

	tt_send_full(tt, "P.", 5001, 1001, (const uint8_t *)"abc", 3, TT_WIN, "TS val 1005 ecr 0");
	const struct tt_cap *c = tt_expect(tt, ".", 1001, 5004, 0);
	ck_assert_uint_eq(c->s.opt.ts_ecr, 1005);
	/* An old duplicate of what comes next, stamped before the last segment. */
	tt_send_full(tt, "P.", 5004, 1001, (const uint8_t *)"OLD", 3, TT_WIN, "TS val 900 ecr 0");
	c = tt_expect(tt, ".", 1001, 5004, 0);
	ck_assert_uint_eq(c->s.opt.ts_ecr, 1005);
	ck_assert_uint_eq(host_counters(tt->h)->paws_rejected, 1);
	tt_send_full(tt, "P.", 5004, 1001, (const uint8_t *)"def", 3, TT_WIN, "TS val 1010 ecr 0");
	tt_expect(tt, ".", 1001, 5007, 0);
	ck_assert_int_eq(sock_recv(tt->h, fd, got, sizeof(got)), 6);
	ck_assert_int_eq(memcmp(got, "abcdef", 6), 0);
}
END_TEST

/* ---------------------------------------------------------------- wrap-around */

START_TEST(sequence_wraps_around)
{
	const uint32_t iss = 0xffffff00u, irs = 0xfffffff0u;
	int fd = tt_established_passive(tt, iss, irs);
	uint8_t out[1000], in[200], got[200];

	/* Our data crosses 2^32: 255 bytes before it, 745 after. */
	fill(out, sizeof(out), 0, 4);
	ck_assert_int_eq(sock_send(tt->h, fd, out, sizeof(out), 0), 1000);
	const struct tt_cap *c = tt_expect(tt, "P.", iss + 1, irs + 1, 1000);
	assert_pattern(c->data, 1000, 0, 4);
	tt_send(tt, ".", irs + 1, iss + 1001, 0, TT_WIN);
	tt_run(tt, DELAY);
	struct tcp_info i = tt_info(tt, fd);
	ck_assert_uint_eq(i.snd_una, 0x2e9u);
	ck_assert_uint_eq(i.send_queue, 0);
	/* Theirs crosses it too, and out of order: the second half first. */
	fill(in, sizeof(in), 0, 5);
	tt_send_full(tt, "P.", irs + 101, iss + 1001, in + 100, 100, TT_WIN, NULL);
	tt_expect(tt, ".", iss + 1001, irs + 1, 0);
	tt_send_full(tt, ".", irs + 1, iss + 1001, in, 100, TT_WIN, NULL);
	tt_expect(tt, ".", iss + 1001, irs + 201, 0);
	ck_assert_uint_eq(irs + 201, 0xb9u);
	ck_assert_int_eq(sock_recv(tt->h, fd, got, sizeof(got)), 200);
	assert_pattern(got, 200, 0, 5);
	/* An old segment from before the wrap is a duplicate, not new data. */
	tt_send_full(tt, ".", irs + 1, iss + 1001, in, 100, TT_WIN, NULL);
	tt_expect(tt, ".", iss + 1001, irs + 201, 0);
	ck_assert_int_eq(sock_recv(tt->h, fd, got, sizeof(got)), -EAGAIN);
}
END_TEST

/* ---------------------------------------------------------------- a lossy link */

#define UP_BYTES (300 * 1000)
#define DOWN_BYTES (150 * 1000)

struct stream {
	uint64_t sent, got;
	unsigned salt;
};

static void pump(struct host *h, int fd, struct stream *out, uint64_t total, struct stream *in)
{
	uint8_t buf[4096];

	while (out->sent < total) {
		size_t n = total - out->sent < sizeof(buf) ? (size_t)(total - out->sent)
							   : sizeof(buf);
		fill(buf, n, out->sent, out->salt);
		long r = sock_send(h, fd, buf, n, 0);
		if (r == -EAGAIN)
			break;
		ck_assert_int_gt(r, 0);
		out->sent += (uint64_t)r;
	}
	for (;;) {
		long r = sock_recv(h, fd, buf, sizeof(buf));
		if (r == -EAGAIN)
			break;
		ck_assert_int_gt(r, 0);
		assert_pattern(buf, (size_t)r, in->got, in->salt);
		in->got += (uint64_t)r;
	}
}

/* Two hosts move data both ways through 3% loss, 3% duplication and 5% reordering in
 * each direction (a fixed seed): every byte arrives, once, in order, intact. */
START_TEST(lossy_link_transfer)
{
	struct link_params p = {
		.delay = DELAY, .loss_ppm = 30000, .dup_ppm = 30000, .reorder_ppm = 50000,
	};
	struct net *n = world_net(tt->w);
	struct host *c = tt_host(tt, tt->client), *s = tt_host(tt, tt->server);
	int cfd, lfd, sfd;

	tt_pair_connect(tt, &cfd, &lfd, &sfd);
	ck_assert_int_eq(net_link_set(n, tt->client, tt->server, &p), 0);
	ck_assert_int_eq(net_link_set(n, tt->server, tt->client, &p), 0);
	struct stream up = { .salt = 11 }, down = { .salt = 29 };
	struct stream up_in = { .salt = 11 }, down_in = { .salt = 29 };
	while (tt_now(tt) < 600 * VTIME_S &&
	       (up_in.got < UP_BYTES || down_in.got < DOWN_BYTES)) {
		pump(c, cfd, &up, UP_BYTES, &down_in);
		pump(s, sfd, &down, DOWN_BYTES, &up_in);
		tt_run(tt, MS);
	}
	ck_assert_uint_eq(up_in.got, UP_BYTES);
	ck_assert_uint_eq(down_in.got, DOWN_BYTES);
	const struct net_counters *nc = net_counters(n);
	ck_assert_uint_gt(nc->dropped[NET_DROP_LOSS], 10);
	ck_assert_uint_gt(nc->duplicated, 10);
	ck_assert_uint_gt(nc->reordered, 10);
	ck_assert_uint_gt(host_counters(c)->retrans_segs, 0);
	/* A clean close both ways ends it: EOF on each side after all the data. */
	ck_assert_int_eq(sock_shutdown(c, cfd, SOCK_SHUT_WR), 0);
	ck_assert_int_eq(sock_shutdown(s, sfd, SOCK_SHUT_WR), 0);
	for (int k = 0; k < 60000 && (sock_recv(c, cfd, NULL, 1) != 0 ||
				      sock_recv(s, sfd, NULL, 1) != 0); k++)
		tt_run(tt, MS);
	ck_assert_int_eq(sock_recv(c, cfd, NULL, 1), 0);
	ck_assert_int_eq(sock_recv(s, sfd, NULL, 1), 0);
}
END_TEST

static Suite *data_suite(void)
{
	Suite *s = suite_create("tcp_data");
	TCase *peer = tcase_create("peer");
	TCase *pair = tcase_create("pair");

	tcase_add_checked_fixture(peer, setup_peer, teardown);
	tcase_add_checked_fixture(pair, setup_pair, teardown);
	tcase_set_timeout(peer, 60);
	tcase_set_timeout(pair, 120);
	tcase_add_test(peer, segmentation_by_mss);
	tcase_add_test(peer, received_data_reaches_the_application);
	tcase_add_test(peer, out_of_order_is_kept);
	tcase_add_test(peer, sack_blocks_carried);
	tcase_add_test(peer, loss_probe_then_rto_backoff);
	tcase_add_test(peer, rto_without_loss_probe);
	tcase_add_test(peer, no_loss_probe_without_sack);
	tcase_add_test(peer, rfc_profile_rto_floor);
	tcase_add_test(peer, partial_ack_rearms_loss_probe);
	tcase_add_test(peer, fast_retransmit_newreno);
	tcase_add_test(peer, retries2_budget_etimedout);
	tcase_add_test(peer, retries2_small_budget);
	tcase_add_test(peer, orphan_budget);
	tcase_add_test(peer, delayed_ack_after_quick_ack);
	tcase_add_test(peer, pingpong_delays_acks);
	tcase_add_test(peer, fin_ack_is_delayed_after_data);
	tcase_add_test(peer, fin_ack_without_data);
	tcase_add_test(peer, zero_window_persist);
	tcase_add_test(peer, receive_window_closes_and_opens);
	tcase_add_test(peer, nagle_and_nodelay);
	tcase_add_test(peer, paws_drops_old_segment);
	tcase_add_test(peer, sequence_wraps_around);
	tcase_add_test(pair, lossy_link_transfer);
	suite_add_tcase(s, peer);
	suite_add_tcase(s, pair);
	return s;
}

int main(void)
{
	return run_suite(data_suite());
}
