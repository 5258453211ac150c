/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "tcpsim/tcpsim.h"

struct log {
	enum world_ev_kind kind[64];
	vtime_t time[64];
	int host[64];
	int n;
};

static void observe(void *ctx, const struct world_event *ev)
{
	struct log *l = ctx;

	if (l->n < 64) {
		l->kind[l->n] = ev->kind;
		l->time[l->n] = ev->time;
		l->host[l->n] = ev->host;
		l->n++;
	}
}

static int inputs;
static void input(void *ctx, const struct seg *s)
{
	(void)s;
	(*(int *)ctx)++;
}

static void send_ack(struct world *w, int from, int to)
{
	struct seg *s = net_seg_alloc(world_net(w));

	s->saddr = world_host_addr(w, from);
	s->daddr = world_host_addr(w, to);
	s->flags = SEG_ACK;
	ck_assert_int_eq(net_send(world_net(w), from, s), 0);
}

START_TEST(create_and_free_leak_nothing)
{
	struct counting_alloc ca;

	counting_alloc_init(&ca);
	struct world *w = world_new(1, &ca.a);
	ck_assert_ptr_nonnull(w);
	int c = world_host_add(w, "client", 0x0a000001);
	int s = world_host_add(w, "server", 0x0a000002);
	struct link_params p = { .delay = 5 * VTIME_MS };
	ck_assert_int_eq(net_link_add(world_net(w), c, s, &p, &p), 0);
	for (int i = 0; i < 20; i++)
		world_host_add(w, (char[]){ 'h', (char)('a' + i), 0 }, 0x0b000000u + (uint32_t)i);
	send_ack(w, c, s); /* still in flight when the world goes */
	world_free(w);
	ck_assert_int_eq(ca.live, 0);
	world_free(NULL);
}
END_TEST

START_TEST(allocation_failure_is_clean)
{
	for (unsigned long k = 1; k < 8; k++) {
		struct counting_alloc ca;
		counting_alloc_init(&ca);
		ca.fail_after = k;
		struct world *w = world_new(1, &ca.a);
		world_free(w);
		ck_assert_int_eq(ca.live, 0);
	}
}
END_TEST

START_TEST(observers_see_events_in_order)
{
	struct world *w = world_new(5, NULL);
	struct log l1 = { 0 }, l2 = { 0 };
	int c = world_host_add(w, "client", 0x0a000001);
	int s = world_host_add(w, "server", 0x0a000002);
	struct link_params p = { .delay = 5 * VTIME_MS };

	net_link_add(world_net(w), c, s, &p, &p);
	int id1 = world_observe(w, observe, &l1);
	int id2 = world_observe(w, observe, &l2);
	ck_assert_int_gt(id1, 0);
	world_host_set_input(w, s, input, &inputs);
	inputs = 0;
	send_ack(w, c, s);
	evq_run(world_evq(w), 0);
	ck_assert_int_eq(inputs, 1);
	world_host_crash(w, s);
	send_ack(w, c, s);
	evq_run(world_evq(w), 0);
	ck_assert_int_eq(inputs, 1);
	ck_assert_int_eq(world_unobserve(w, id2), 0);
	ck_assert_int_eq(world_unobserve(w, id2), -ENOENT);
	world_host_boot(w, s);

	static const enum world_ev_kind want[] = {
		WEV_SEG_SEND, WEV_SEG_DELIVER, WEV_HOST_CRASH, WEV_SEG_SEND, WEV_SEG_DROP,
		WEV_HOST_BOOT,
	};
	ck_assert_int_eq(l1.n, 6);
	for (int i = 0; i < 6; i++)
		ck_assert_str_eq(world_ev_name(l1.kind[i]), world_ev_name(want[i]));
	ck_assert_int_eq(l2.n, 5);
	ck_assert_int_eq(l1.time[1], 5 * VTIME_MS);
	ck_assert_int_eq(l1.host[2], s);
	ck_assert_int_eq(l1.host[0], c);
	world_free(w);
}
END_TEST

START_TEST(hosts_by_name)
{
	struct world *w = world_new(5, NULL);

	ck_assert_int_eq(world_host_add(w, "client", 0x0a000001), 0);
	ck_assert_int_eq(world_host_add(w, "server", 0x0a000002), 1);
	ck_assert_int_eq(world_host_add(w, "client", 0x0a000003), -EEXIST);
	ck_assert_int_eq(world_host_find(w, "server"), 1);
	ck_assert_str_eq(world_host_name(w, 0), "client");
	ck_assert_int_eq(world_host_count(w), 2);
	ck_assert_int_eq(world_host_set_input(w, 7, input, NULL), -ENOENT);
	ck_assert_int_eq(world_host_crash(w, 9), -ENOENT);
	world_free(w);
}
END_TEST

/* Two worlds side by side share nothing: the same seed gives the same draws, whatever
 * the other world does in between. */
START_TEST(two_worlds_are_independent)
{
	struct world *a = world_new(42, NULL), *b = world_new(42, NULL);

	uint64_t x = rng_next(world_rng(a));
	for (int i = 0; i < 10; i++)
		rng_next(world_rng(b));
	world_reseed(b, 42);
	ck_assert_uint_eq(rng_next(world_rng(b)), x);
	ck_assert_uint_eq(world_seed(b), 42);
	world_free(a);
	world_free(b);
}
END_TEST

START_TEST(version_string)
{
	ck_assert_str_eq(tcpsim_version(), PACKAGE_VERSION);
}
END_TEST

static Suite *world_suite(void)
{
	Suite *s = suite_create("world");
	TCase *tc = tcase_create("world");

	tcase_add_test(tc, create_and_free_leak_nothing);
	tcase_add_test(tc, allocation_failure_is_clean);
	tcase_add_test(tc, observers_see_events_in_order);
	tcase_add_test(tc, hosts_by_name);
	tcase_add_test(tc, two_worlds_are_independent);
	tcase_add_test(tc, version_string);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(world_suite());
}
