/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "tcpsim/net.h"

/* ---------------------------------------------------------------- fixture */

#define MAXREC 4096

struct arrival {
	vtime_t t;
	int node;
	uint32_t seq;
	uint8_t flags;
	uint32_t len;
	uint8_t first; /* first payload byte, when bytes are carried */
};

struct tapped {
	enum net_ev_kind kind;
	uint64_t id;
	struct net_ev_info info;
};

static struct counting_alloc ca;
static struct evq *q;
static struct rng rng;
static struct net *net;
static int A, B, C;
static struct arrival arrivals[MAXREC];
static int narrivals;
static struct tapped taps[MAXREC];
static int ntaps;

static void record(void *ctx, int node, const struct seg *s)
{
	(void)ctx;
	if (narrivals < MAXREC)
		arrivals[narrivals++] = (struct arrival){ evq_now(q), node, s->seq, s->flags,
							  s->len, s->data ? s->data[0] : 0 };
}

static void on_tap(void *ctx, enum net_ev_kind kind, const struct seg *s,
		   const struct net_ev_info *info)
{
	(void)ctx;
	if (ntaps < MAXREC)
		taps[ntaps++] = (struct tapped){ kind, s->id, *info };
}

static const struct link_params plain_10ms = { .delay = 10 * VTIME_MS };

static void setup(void)
{
	counting_alloc_init(&ca);
	q = evq_new(&ca.a);
	rng_seed(&rng, 1);
	net = net_new(q, &rng, &ca.a);
	ck_assert_ptr_nonnull(net);
	net_set_tap(net, on_tap, NULL);
	A = net_node_add(net, "a", 0x0a000001, record, NULL);
	B = net_node_add(net, "b", 0x0a000002, record, NULL);
	C = net_node_add(net, "c", 0x0a000003, record, NULL);
	ck_assert_int_eq(net_link_add(net, A, B, &plain_10ms, &plain_10ms), 0);
	narrivals = ntaps = 0;
}

/* Every suite ends the same way: nothing in flight, no event left, no byte leaked. */
static void teardown(void)
{
	evq_run(q, 0);
	ck_assert_uint_eq(net_in_flight(net), (uint64_t)net_held_count(net));
	net_free(net);
	ck_assert_uint_eq(evq_count(q), 0);
	evq_free(q);
	ck_assert_int_eq(ca.live, 0);
}

/* Sends one segment from node `from` to `to` with the given flags, seq and length. */
static void send_seg(int from, int to, uint8_t flags, uint32_t seq, uint32_t len)
{
	struct seg *s = net_seg_alloc(net);

	ck_assert_ptr_nonnull(s);
	s->saddr = net_node_addr(net, from);
	s->daddr = net_node_addr(net, to);
	/* a is the client (port 40000), the others serve port 80 */
	s->sport = from == A ? 40000 : 80;
	s->dport = from == A ? 80 : 40000;
	s->flags = flags;
	s->seq = seq;
	s->len = len;
	ck_assert_int_eq(net_send(net, from, s), 0);
}

static struct seg_filter filter(const char *text)
{
	struct seg_filter f;
	char err[200];
	size_t pos;

	ck_assert_msg(seg_filter_parse(text, net_resolve, net, &f, err, sizeof(err), &pos) == 0,
		      "filter \"%s\": %s at %zu", text, err, pos);
	return f;
}

static int add_rule(const char *text, enum net_action act, uint32_t nth, uint32_t times,
		    vtime_t delay)
{
	struct net_rule r = { filter(text), act, delay, nth, times };
	int id = net_rule_add(net, &r);

	ck_assert_int_gt(id, 0);
	return id;
}

/* ---------------------------------------------------------------- delivery */

START_TEST(delivers_after_the_link_delay)
{
	send_seg(A, B, SEG_SYN, 100, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 1);
	ck_assert_int_eq(arrivals[0].t, 10 * VTIME_MS);
	ck_assert_int_eq(arrivals[0].node, B);
	ck_assert_int_eq(ntaps, 2);
	ck_assert_int_eq(taps[0].kind, NET_EV_SEND);
	ck_assert_int_eq(taps[1].kind, NET_EV_DELIVER);
	ck_assert_uint_eq(taps[0].id, taps[1].id);
	ck_assert_int_eq(taps[1].info.arrival, 10 * VTIME_MS);
	ck_assert_uint_eq(net_counters(net)->sent, 1);
	ck_assert_uint_eq(net_counters(net)->delivered, 1);
}
END_TEST

START_TEST(each_direction_has_its_own_delay)
{
	struct link_params slow = { .delay = 50 * VTIME_MS };

	ck_assert_int_eq(net_link_set(net, B, A, &slow), 0);
	send_seg(A, B, SEG_ACK, 1, 0);
	send_seg(B, A, SEG_ACK, 2, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 2);
	ck_assert_int_eq(arrivals[0].t, 10 * VTIME_MS);
	ck_assert_int_eq(arrivals[1].t, 50 * VTIME_MS);
	struct link_params got;
	ck_assert_int_eq(net_link_get(net, A, B, &got), 0);
	ck_assert_int_eq(got.delay, 10 * VTIME_MS);
}
END_TEST

START_TEST(unknown_address_and_missing_link_are_counted)
{
	struct seg *s = net_seg_alloc(net);

	s->saddr = net_node_addr(net, A);
	s->daddr = 0x0a0000ff; /* nobody */
	ck_assert_int_eq(net_send(net, A, s), 0);
	send_seg(A, C, SEG_SYN, 1, 0); /* c exists, but no link a-c */
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 0);
	ck_assert_uint_eq(net_counters(net)->dropped[NET_DROP_NO_HOST], 1);
	ck_assert_uint_eq(net_counters(net)->dropped[NET_DROP_NO_LINK], 1);
	ck_assert_int_eq(taps[1].kind, NET_EV_DROP);
	ck_assert_int_eq(taps[1].info.reason, NET_DROP_NO_HOST);
	ck_assert_str_eq(net_drop_reason_name(NET_DROP_NO_LINK), "no_link");
}
END_TEST

START_TEST(crashed_destination_loses_segments)
{
	send_seg(A, B, SEG_ACK, 1, 0);
	ck_assert_int_eq(net_node_set_up(net, B, false), 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 0);
	ck_assert_uint_eq(net_counters(net)->dropped[NET_DROP_HOST_DOWN], 1);
	net_node_set_up(net, B, true);
	send_seg(A, B, SEG_ACK, 2, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 1);
}
END_TEST

START_TEST(nodes_names_and_addresses_are_unique)
{
	ck_assert_int_eq(net_node_add(net, "a", 0x0b000001, record, NULL), -EEXIST);
	ck_assert_int_eq(net_node_add(net, "d", 0x0a000001, record, NULL), -EEXIST);
	ck_assert_int_eq(net_node_add(net, "1bad", 0x0b000001, record, NULL), -EINVAL);
	ck_assert_int_eq(net_node_add(net, "has space", 0x0b000001, record, NULL), -EINVAL);
	ck_assert_int_eq(net_node_add(net, "", 0x0b000001, record, NULL), -EINVAL);
	ck_assert_int_eq(net_node_find(net, "b"), B);
	ck_assert_int_eq(net_node_find(net, "zz"), -ENOENT);
	ck_assert_int_eq(net_node_by_addr(net, 0x0a000003), C);
	ck_assert_int_eq(net_link_add(net, B, A, &plain_10ms, &plain_10ms), -EEXIST);
	ck_assert_int_eq(net_link_add(net, A, A, &plain_10ms, &plain_10ms), -EINVAL);
	struct link_params bad = { .loss_ppm = RNG_PPM_ONE + 1 };
	ck_assert_int_eq(net_link_add(net, A, C, &bad, &plain_10ms), -EINVAL);
}
END_TEST

START_TEST(payload_bytes_travel_with_the_segment)
{
	struct seg *s = net_seg_alloc(net);

	s->saddr = net_node_addr(net, A);
	s->daddr = net_node_addr(net, B);
	s->len = 5;
	s->data = mem_alloc(&ca.a, 5);
	memcpy(s->data, "hello", 5);
	add_rule("a>b data", NET_DUP, 1, 0, 0);
	net_send(net, A, s);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 2);
	ck_assert_int_eq(arrivals[0].first, 'h');
	ck_assert_int_eq(arrivals[1].first, 'h');
}
END_TEST

/* ---------------------------------------------------------------- targeted faults */

/* "The 3rd FIN is dropped, not the 2nd." */
START_TEST(drop_exactly_the_third_fin)
{
	int id = add_rule("a>b F*", NET_DROP, 3, 0, 0);

	for (uint32_t i = 1; i <= 5; i++) {
		send_seg(A, B, SEG_ACK, 100 + i, 10); /* data, not FIN: not counted */
		send_seg(A, B, SEG_FIN | SEG_ACK, i, 0);
	}
	send_seg(B, A, SEG_FIN | SEG_ACK, 99, 0); /* other direction: not counted */
	evq_run(q, 0);
	int fins = 0;
	for (int i = 0; i < narrivals; i++) {
		if (arrivals[i].node == B && (arrivals[i].flags & SEG_FIN)) {
			ck_assert_uint_ne(arrivals[i].seq, 3);
			fins++;
		}
	}
	ck_assert_int_eq(fins, 4);
	ck_assert_int_eq(narrivals, 10);
	ck_assert_uint_eq(net_counters(net)->dropped[NET_DROP_RULE], 1);
	/* A rule for the nth segment goes away once it has acted. */
	ck_assert_int_eq(net_rule_stats(net, id, NULL, NULL), -ENOENT);
}
END_TEST

START_TEST(two_next_rules_take_two_segments)
{
	add_rule("a>b .", NET_DROP, 1, 0, 0);
	add_rule("a>b .", NET_DROP, 1, 0, 0);
	for (uint32_t i = 1; i <= 3; i++)
		send_seg(A, B, SEG_ACK, i, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 1);
	ck_assert_uint_eq(arrivals[0].seq, 3);
}
END_TEST

START_TEST(exact_flags_versus_at_least)
{
	add_rule("a>b F.", NET_DROP, 0, 0, 0); /* every FIN+ACK, exactly */
	send_seg(A, B, SEG_FIN | SEG_ACK, 1, 0);
	send_seg(A, B, SEG_FIN | SEG_PSH | SEG_ACK, 2, 5);
	send_seg(A, B, SEG_FIN, 3, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 2);
	ck_assert_uint_eq(arrivals[0].seq, 2);
	ck_assert_uint_eq(arrivals[1].seq, 3);
}
END_TEST

START_TEST(every_with_a_limit)
{
	int id = add_rule("a>b", NET_DROP, 0, 2, 0);
	uint64_t matched, acted;

	ck_assert_int_eq(net_rule_stats(net, id, &matched, &acted), 0);
	ck_assert_uint_eq(matched, 0);
	send_seg(A, B, SEG_ACK, 1, 0);
	ck_assert_int_eq(net_rule_stats(net, id, &matched, &acted), 0);
	ck_assert_uint_eq(acted, 1);
	for (uint32_t i = 2; i <= 4; i++)
		send_seg(A, B, SEG_ACK, i, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 2);
	ck_assert_uint_eq(arrivals[0].seq, 3);
}
END_TEST

START_TEST(duplicate_the_next_data_segment)
{
	add_rule("a>b data", NET_DUP, 1, 0, 0);
	send_seg(A, B, SEG_ACK, 1, 0);
	send_seg(A, B, SEG_ACK | SEG_PSH, 2, 100);
	send_seg(A, B, SEG_ACK | SEG_PSH, 102, 100);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 4);
	ck_assert_uint_eq(arrivals[1].seq, 2);
	ck_assert_uint_eq(arrivals[2].seq, 2);
	ck_assert_uint_eq(net_counters(net)->duplicated, 1);
	struct net_counters lc;
	net_link_counters(net, A, B, &lc);
	ck_assert_uint_eq(lc.sent, 3);     /* the copy is not counted as sent */
	ck_assert_uint_eq(lc.delivered, 4);
	int dups = 0;
	for (int i = 0; i < ntaps; i++)
		dups += taps[i].kind == NET_EV_DUP && taps[i].info.duplicate;
	ck_assert_int_eq(dups, 1);
}
END_TEST

START_TEST(delay_one_segment)
{
	add_rule("a>b seq 2", NET_DELAY, 1, 0, 300 * VTIME_MS);
	send_seg(A, B, SEG_ACK, 1, 0);
	send_seg(A, B, SEG_ACK, 2, 0);
	send_seg(A, B, SEG_ACK, 3, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 3);
	ck_assert_uint_eq(arrivals[2].seq, 2);
	ck_assert_int_eq(arrivals[2].t, 310 * VTIME_MS);
	ck_assert_uint_eq(net_counters(net)->delayed, 1);
}
END_TEST

START_TEST(hold_until_released)
{
	int id = add_rule("a>b F*", NET_HOLD, 0, 0, 0);

	send_seg(A, B, SEG_FIN | SEG_ACK, 1, 0);
	send_seg(A, B, SEG_ACK, 2, 0);
	send_seg(A, B, SEG_FIN | SEG_ACK, 3, 0);
	evq_run_until(q, 5 * VTIME_S, 0);
	ck_assert_int_eq(narrivals, 1);
	ck_assert_int_eq(net_held_count(net), 2);
	ck_assert_uint_eq(net_in_flight(net), 2);
	ck_assert_int_eq(net_release(net, id), 2);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 3);
	/* Released in the order held, each a full link delay after the release. */
	ck_assert_uint_eq(arrivals[1].seq, 1);
	ck_assert_uint_eq(arrivals[2].seq, 3);
	ck_assert_int_eq(arrivals[1].t, 5 * VTIME_S + 10 * VTIME_MS);
	/* An "every" rule stays, and holds the next one too. */
	send_seg(A, B, SEG_FIN | SEG_ACK, 4, 0);
	ck_assert_int_eq(net_held_count(net), 1);
	ck_assert_int_eq(net_rule_remove(net, id), 0); /* removing releases */
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 4);
	ck_assert_int_eq(net_release(net, id), -ENOENT);
}
END_TEST

START_TEST(hold_next_keeps_segment_after_rule_is_spent)
{
	add_rule("a>b", NET_HOLD, 1, 0, 0);
	send_seg(A, B, SEG_ACK, 1, 0);
	send_seg(A, B, SEG_ACK, 2, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 1);
	ck_assert_uint_eq(arrivals[0].seq, 2);
	ck_assert_int_eq(net_release(net, 0), 1);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 2);
	ck_assert_int_eq(net_held_count(net), 0);
}
END_TEST

START_TEST(freeing_with_segments_held_and_in_flight)
{
	add_rule("a>b seq 1", NET_HOLD, 0, 0, 0);
	send_seg(A, B, SEG_ACK, 1, 0);
	send_seg(A, B, SEG_ACK, 2, 0);
	ck_assert_uint_eq(evq_count(q), 1);
	net_free(net);
	ck_assert_uint_eq(evq_count(q), 0); /* its delivery event was cancelled */
	net = net_new(q, &rng, &ca.a);      /* for teardown */
}
END_TEST

START_TEST(inject_from_any_address)
{
	struct seg *s = net_seg_alloc(net);

	addr_parse("192.0.2.9", &s->saddr);
	s->daddr = net_node_addr(net, C);
	s->flags = SEG_RST;
	ck_assert_int_eq(net_inject(net, s, 3 * VTIME_MS), 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 1);
	ck_assert_int_eq(arrivals[0].node, C);
	ck_assert_int_eq(arrivals[0].t, 3 * VTIME_MS);
	ck_assert_int_eq(taps[0].kind, NET_EV_INJECT);
	ck_assert_int_eq(taps[0].info.from, -1);
	ck_assert_uint_eq(net_counters(net)->injected, 1);
}
END_TEST

START_TEST(filters_do_not_act_on_other_traffic)
{
	add_rule("a>b:81 S", NET_DROP, 0, 0, 0);
	send_seg(A, B, SEG_SYN, 1, 0); /* to port 80 */
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 1);
}
END_TEST

/* ---------------------------------------------------------------- random faults */

static void set_ab(struct link_params p)
{
	ck_assert_int_eq(net_link_set(net, A, B, &p), 0);
}

START_TEST(loss_rate_within_bound)
{
	set_ab((struct link_params){ .delay = VTIME_MS, .loss_ppm = 100000 }); /* 10% */
	for (uint32_t i = 0; i < 100000; i++) {
		send_seg(A, B, SEG_ACK, i, 0);
		if (i % 1000 == 999)
			evq_run(q, 0);
	}
	evq_run(q, 0);
	uint64_t lost = net_counters(net)->dropped[NET_DROP_LOSS];
	/* Binomial(1e5, 0.1): mean 10000, sd 94.9; 5 sd either side. */
	ck_assert_msg(lost > 9525 && lost < 10475, "lost %llu", (unsigned long long)lost);
	ck_assert_uint_eq(net_counters(net)->delivered + lost, 100000);
}
END_TEST

START_TEST(same_seed_same_losses)
{
	uint64_t first[2];

	for (int run = 0; run < 2; run++) {
		rng_seed(&rng, 77);
		narrivals = 0;
		vtime_t start = evq_now(q);
		set_ab((struct link_params){ .delay = VTIME_MS, .loss_ppm = 300000,
					     .dup_ppm = 100000, .jitter = 5 * VTIME_MS });
		for (uint32_t i = 0; i < 200; i++)
			send_seg(A, B, SEG_ACK, i, 0);
		evq_run(q, 0);
		uint64_t h = 1469598103934665603ULL;
		for (int i = 0; i < narrivals; i++)
			h = (h ^ ((uint64_t)arrivals[i].seq << 32 ^ (uint64_t)(arrivals[i].t - start))) *
			    1099511628211ULL;
		first[run] = h;
	}
	ck_assert_uint_eq(first[0], first[1]);
}
END_TEST

START_TEST(duplication_rate)
{
	set_ab((struct link_params){ .delay = VTIME_MS, .dup_ppm = 200000 });
	for (uint32_t i = 0; i < 20000; i++) {
		send_seg(A, B, SEG_ACK, i, 0);
		if (i % 1000 == 999)
			evq_run(q, 0);
	}
	evq_run(q, 0);
	uint64_t d = net_counters(net)->duplicated;
	/* Binomial(2e4, 0.2): mean 4000, sd 56.6 */
	ck_assert_msg(d > 3717 && d < 4283, "duplicated %llu", (unsigned long long)d);
	ck_assert_uint_eq(net_counters(net)->delivered, 20000 + d);
}
END_TEST

START_TEST(reordered_segment_is_overtaken)
{
	set_ab((struct link_params){ .delay = 10 * VTIME_MS, .reorder_ppm = RNG_PPM_ONE,
				     .reorder_delay = 25 * VTIME_MS });
	send_seg(A, B, SEG_ACK, 1, 0);
	set_ab(plain_10ms);
	evq_run_until(q, VTIME_MS, 0);
	send_seg(A, B, SEG_ACK, 2, 0);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 2);
	ck_assert_uint_eq(arrivals[0].seq, 2);
	ck_assert_uint_eq(arrivals[1].seq, 1);
	ck_assert_int_eq(arrivals[1].t, 35 * VTIME_MS);
	ck_assert_uint_eq(net_counters(net)->reordered, 1);
}
END_TEST

START_TEST(jitter_stays_in_range)
{
	set_ab((struct link_params){ .delay = 10 * VTIME_MS, .jitter = 4 * VTIME_MS });
	for (uint32_t i = 0; i < 1000; i++)
		send_seg(A, B, SEG_ACK, i, 0);
	evq_run(q, 0);
	vtime_t lo = VTIME_MAX, hi = 0;
	for (int i = 0; i < narrivals; i++) {
		lo = arrivals[i].t < lo ? arrivals[i].t : lo;
		hi = arrivals[i].t > hi ? arrivals[i].t : hi;
	}
	ck_assert_int_ge(lo, 10 * VTIME_MS);
	ck_assert_int_le(hi, 14 * VTIME_MS);
	ck_assert_int_gt(hi - lo, 3 * VTIME_MS); /* it really spreads */
}
END_TEST

START_TEST(bandwidth_serialises)
{
	/* 1 Mbit/s; 1000 payload + 40 header bytes = 8320 bits = 8.32 ms each. */
	set_ab((struct link_params){ .delay = 10 * VTIME_MS, .bandwidth_bps = 1000000 });
	send_seg(A, B, SEG_ACK, 1, 1000);
	send_seg(A, B, SEG_ACK, 1001, 1000);
	evq_run(q, 0);
	ck_assert_int_eq(arrivals[0].t, 10 * VTIME_MS + 8320 * VTIME_US);
	ck_assert_int_eq(arrivals[1].t, 10 * VTIME_MS + 16640 * VTIME_US);
}
END_TEST

START_TEST(no_allocation_per_segment)
{
	for (uint32_t i = 0; i < 1000; i++)
		send_seg(A, B, SEG_ACK, i, 0);
	evq_run(q, 0);
	unsigned long before = ca.allocs;
	for (int round = 0; round < 100; round++) {
		for (uint32_t i = 0; i < 1000; i++)
			send_seg(A, B, SEG_ACK, i, 0);
		evq_run(q, 0);
	}
	ck_assert_uint_eq(ca.allocs, before);
}
END_TEST

/* ---------------------------------------------------------------- middlebox */

START_TEST(middlebox_forgets_idle_connection_and_drops)
{
	struct middlebox_params mp = { MIDDLEBOX_DROP, 30 * VTIME_S };

	ck_assert_int_eq(net_middlebox_set(net, A, B, &mp), 0);
	send_seg(A, B, SEG_ACK, 1, 0); /* never seen opening: dropped */
	send_seg(A, B, SEG_SYN, 1, 0);
	evq_run(q, 0);
	send_seg(B, A, SEG_SYN | SEG_ACK, 9, 0);
	evq_run_until(q, 20 * VTIME_S, 0);
	send_seg(A, B, SEG_ACK, 2, 0); /* 20 s idle: still known */
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 3);
	ck_assert_int_eq(net_middlebox_tracked(net, A, B), 1);
	evq_run_until(q, 51 * VTIME_S, 0);
	ck_assert_int_eq(net_middlebox_tracked(net, A, B), 0);
	send_seg(B, A, SEG_ACK | SEG_PSH, 10, 5); /* 31 s idle: forgotten */
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 3);
	ck_assert_uint_eq(net_counters(net)->dropped[NET_DROP_MIDDLEBOX], 2);
	ck_assert_uint_eq(net_counters(net)->middlebox_resets, 0);
}
END_TEST

START_TEST(middlebox_answers_forgotten_connection_with_rst)
{
	struct middlebox_params mp = { MIDDLEBOX_RST, 10 * VTIME_S };

	ck_assert_int_eq(net_middlebox_set(net, A, B, &mp), 0);
	send_seg(A, B, SEG_SYN, 1, 0);
	evq_run_until(q, 11 * VTIME_S, 0);
	struct seg *s = net_seg_alloc(net);
	s->saddr = net_node_addr(net, A);
	s->daddr = net_node_addr(net, B);
	s->sport = 40000;
	s->dport = 80;
	s->flags = SEG_ACK | SEG_PSH;
	s->seq = 2;
	s->ack = 5555;
	s->len = 10;
	net_send(net, A, s);
	evq_run(q, 0);
	ck_assert_int_eq(narrivals, 2);
	/* The reset comes back to the sender, one link delay later, from "b". */
	ck_assert_int_eq(arrivals[1].node, A);
	ck_assert_uint_eq(arrivals[1].flags, SEG_RST);
	ck_assert_uint_eq(arrivals[1].seq, 5555);
	ck_assert_int_eq(arrivals[1].t, 11 * VTIME_S + 10 * VTIME_MS);
	ck_assert_uint_eq(net_counters(net)->middlebox_resets, 1);
}
END_TEST

START_TEST(middlebox_forgets_on_rst_and_grows)
{
	struct middlebox_params mp = { MIDDLEBOX_DROP, 60 * VTIME_S };

	ck_assert_int_eq(net_middlebox_set(net, A, B, &mp), 0);
	for (uint32_t i = 0; i < 500; i++) {
		struct seg *s = net_seg_alloc(net);
		s->saddr = net_node_addr(net, A);
		s->daddr = net_node_addr(net, B);
		s->sport = (uint16_t)(30000 + i);
		s->dport = 80;
		s->flags = SEG_SYN;
		net_send(net, A, s);
	}
	ck_assert_int_eq(net_middlebox_tracked(net, A, B), 500);
	send_seg(A, B, SEG_RST, 1, 0); /* port 40000 was never opened */
	ck_assert_int_eq(net_middlebox_tracked(net, A, B), 500);
	struct seg *r = net_seg_alloc(net);
	r->saddr = net_node_addr(net, B);
	r->daddr = net_node_addr(net, A);
	r->sport = 80;
	r->dport = 30007;
	r->flags = SEG_RST;
	net_send(net, B, r);
	ck_assert_int_eq(net_middlebox_tracked(net, A, B), 499);
	ck_assert_int_eq(net_middlebox_remove(net, A, B), 0);
	ck_assert_int_eq(net_middlebox_tracked(net, A, B), -ENOENT);
}
END_TEST

/* ---------------------------------------------------------------- filter language */

START_TEST(filter_parses_each_part)
{
	struct seg_filter f = filter("a>b:80 FP. data seq 100..200 ack 5");

	ck_assert(f.has_saddr && f.saddr == 0x0a000001);
	ck_assert(f.has_daddr && f.daddr == 0x0a000002);
	ck_assert(!f.has_sport && f.has_dport && f.dport == 80);
	ck_assert_uint_eq(f.flags_value, SEG_FIN | SEG_PSH | SEG_ACK);
	ck_assert_uint_eq(f.flags_mask, SEG_ALL_FLAGS);
	ck_assert_int_eq(f.payload, 1);
	ck_assert(f.has_seq && f.seq_lo == 100 && f.seq_hi == 200);
	ck_assert(f.has_ack && f.ack_lo == 5 && f.ack_hi == 5);

	f = filter("*>10.9.9.9 R*");
	ck_assert(!f.has_saddr && f.has_daddr && f.daddr == 0x0a090909);
	ck_assert_uint_eq(f.flags_mask, SEG_RST);

	f = filter("");
	struct seg s = { 0 };
	s.flags = SEG_SYN;
	ck_assert(seg_filter_match(&f, &s));
	f = filter("*");
	ck_assert(seg_filter_match(&f, &s));
}
END_TEST

START_TEST(filter_window_length_options)
{
	struct seg_filter f = filter("a>b S. win 65160 len 0 mss 1460 wscale 10 ts sackOK");
	struct seg s = { 0 };

	s.saddr = 0x0a000001;
	s.daddr = 0x0a000002;
	s.flags = SEG_SYN | SEG_ACK;
	s.wnd = 65160;
	s.opt.present = SEG_OPT_MSS | SEG_OPT_WSCALE | SEG_OPT_TS | SEG_OPT_SACKOK;
	s.opt.mss = 1460;
	s.opt.wscale = 10;
	ck_assert(seg_filter_match(&f, &s));
	s.opt.wscale = 7;
	ck_assert(!seg_filter_match(&f, &s));
	s.opt.wscale = 10;
	s.opt.present &= (uint8_t)~SEG_OPT_TS;
	ck_assert(!seg_filter_match(&f, &s));
	s.opt.present |= SEG_OPT_TS;
	s.wnd = 65535;
	ck_assert(!seg_filter_match(&f, &s));
	s.wnd = 65160;
	s.len = 1;
	ck_assert(!seg_filter_match(&f, &s));
}
END_TEST

START_TEST(filter_both_ways_and_wrapping_range)
{
	struct seg_filter f = filter("a<>b . seq 4294967290..10");
	struct seg s = { 0 };

	s.flags = SEG_ACK;
	s.saddr = 0x0a000002;
	s.daddr = 0x0a000001;
	s.seq = 3;
	ck_assert(seg_filter_match(&f, &s));
	s.seq = 4294967295u;
	ck_assert(seg_filter_match(&f, &s));
	s.seq = 11;
	ck_assert(!seg_filter_match(&f, &s));
	s.seq = 3;
	s.daddr = 0x0a000003;
	ck_assert(!seg_filter_match(&f, &s));
	s.flags = SEG_ACK | SEG_PSH; /* exact flags: P. is not . */
	s.daddr = 0x0a000001;
	ck_assert(!seg_filter_match(&f, &s));
}
END_TEST

struct bad_filter {
	const char *text;
	const char *msg;
	size_t pos;
};

static const struct bad_filter bad_filters[] = {
	{ "a>nobody F.", "unknown host \"nobody\"", 2 },
	{ "a>b F. X", "unexpected \"X\"", 7 },
	{ "a>b FQ", "unexpected \"FQ\"", 5 },
	{ "a>b b>a", "one direction", 4 },
	{ "a>b F F", "flags given twice", 6 },
	{ "seq", "after 'seq'", 3 },
	{ "seq 1..x", "after '..'", 7 },
	{ "ack z", "expected a number or a range", 4 },
	{ "a:99999>b", "port number", 2 },
	{ ">b", "expected a host name", 0 },
	{ "data nodata", "given twice", 5 },
	{ "win 70000", "expected a number up to 65535 after 'win'", 4 },
	{ "wscale 15", "up to 14", 7 },
	{ "len", "after 'len'", 3 },
	{ "*", NULL, 0 },
};

START_TEST(filter_errors_name_the_position)
{
	const struct bad_filter *b = &bad_filters[_i];
	struct seg_filter f;
	char err[200] = "";
	size_t pos = 999;
	int rc = seg_filter_parse(b->text, net_resolve, net, &f, err, sizeof(err), &pos);

	if (!b->msg) {
		ck_assert_int_eq(rc, 0);
		return;
	}
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_msg(strstr(err, b->msg), "\"%s\": \"%s\" lacks \"%s\"", b->text, err, b->msg);
	ck_assert_msg(pos == b->pos, "\"%s\": position %zu, want %zu", b->text, pos, b->pos);
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc;

	tc = tcase_create("delivery");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, delivers_after_the_link_delay);
	tcase_add_test(tc, each_direction_has_its_own_delay);
	tcase_add_test(tc, unknown_address_and_missing_link_are_counted);
	tcase_add_test(tc, crashed_destination_loses_segments);
	tcase_add_test(tc, nodes_names_and_addresses_are_unique);
	tcase_add_test(tc, payload_bytes_travel_with_the_segment);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, drop_exactly_the_third_fin);
	tcase_add_test(tc, two_next_rules_take_two_segments);
	tcase_add_test(tc, exact_flags_versus_at_least);
	tcase_add_test(tc, every_with_a_limit);
	tcase_add_test(tc, duplicate_the_next_data_segment);
	tcase_add_test(tc, delay_one_segment);
	tcase_add_test(tc, hold_until_released);
	tcase_add_test(tc, hold_next_keeps_segment_after_rule_is_spent);
	tcase_add_test(tc, freeing_with_segments_held_and_in_flight);
	tcase_add_test(tc, inject_from_any_address);
	tcase_add_test(tc, filters_do_not_act_on_other_traffic);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, loss_rate_within_bound);
	tcase_add_test(tc, same_seed_same_losses);
	tcase_add_test(tc, duplication_rate);
	tcase_add_test(tc, reordered_segment_is_overtaken);
	tcase_add_test(tc, jitter_stays_in_range);
	tcase_add_test(tc, bandwidth_serialises);
	tcase_add_test(tc, no_allocation_per_segment);
	suite_add_tcase(s, tc);

	tc = tcase_create("middlebox");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, middlebox_forgets_idle_connection_and_drops);
	tcase_add_test(tc, middlebox_answers_forgotten_connection_with_rst);
	tcase_add_test(tc, middlebox_forgets_on_rst_and_grows);
	suite_add_tcase(s, tc);

	tc = tcase_create("filter");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, filter_parses_each_part);
	tcase_add_test(tc, filter_window_length_options);
	tcase_add_test(tc, filter_both_ways_and_wrapping_range);
	tcase_add_loop_test(tc, filter_errors_name_the_position, 0,
			    sizeof(bad_filters) / sizeof(bad_filters[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(net_suite());
}
