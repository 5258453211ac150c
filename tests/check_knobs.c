/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "tcpsim/knobs.h"

START_TEST(linux_defaults)
{
	struct tcp_config c;

	ck_assert_int_eq(knob_profile("linux", &c), 0);
	ck_assert_int_eq(c.k.timewait_len, 60 * VTIME_S);
	ck_assert_int_eq(knob_timewait_len(&c), 60 * VTIME_S);
	ck_assert_int_eq(c.k.fin_timeout, 60 * VTIME_S);
	ck_assert_int_eq(c.k.tw_reuse, 2);
	ck_assert_int_eq(c.k.retries2, 15);
	ck_assert_int_eq(c.k.syn_retries, 6);
	ck_assert_int_eq(c.k.synack_retries, 5);
	ck_assert_int_eq(c.k.port_lo, 32768);
	ck_assert_int_eq(c.k.port_hi, 60999);
	ck_assert_int_eq(c.k.rto_min, 200 * VTIME_MS);
	ck_assert_int_eq(c.k.rto_initial, VTIME_S);
	ck_assert_int_eq(c.k.rto_max, 120 * VTIME_S);
	ck_assert_int_eq(c.k.delack_min, 40 * VTIME_MS);
	ck_assert_int_eq(c.k.init_cwnd, 10);
	ck_assert_int_eq(knob_orphan_retries(&c), 8);
	ck_assert(c.r.tlp && c.r.rst_on_unread && c.r.retry_time_budget && c.r.delack_linux);
	ck_assert(!c.r.timewait_2msl && !c.r.rto_rfc6298 && !c.r.shutrd_discard);
}
END_TEST

START_TEST(rfc_profile)
{
	struct tcp_config c;

	ck_assert_int_eq(knob_profile("rfc", &c), 0);
	ck_assert_int_eq(knob_timewait_len(&c), 240 * VTIME_S);
	ck_assert_int_eq(c.k.rto_min, VTIME_S);
	ck_assert(!c.r.tlp && !c.r.rst_on_unread && !c.r.tw_reuse_allowed);
	ck_assert(c.r.shutrd_discard && c.r.tw_rst_challenge && c.r.timewait_2msl);
	ck_assert_int_eq(knob_profile("bsd", &c), -ENOENT);
}
END_TEST

/* Every knob's two profile values parse: a typo in the table would fail here. */
START_TEST(table_is_consistent)
{
	struct tcp_config c;
	char buf[64], err[160];
	int n = 0;

	for (const struct knob_desc *d = knob_table(); d->name; d++, n++) {
		ck_assert_ptr_eq(knob_find(d->name), d);
		ck_assert_msg(knob_set(&c, d->name, d->linux_value, err, sizeof(err)) == 0, "%s: %s",
			      d->name, err);
		ck_assert_msg(knob_set(&c, d->name, d->rfc_value, err, sizeof(err)) == 0, "%s: %s",
			      d->name, err);
		ck_assert_int_eq(knob_get(&c, d->name, buf, sizeof(buf)), 0);
		ck_assert_msg(strlen(d->help) > 10, "%s has no help", d->name);
	}
	ck_assert_int_gt(n, 35);
	for (const char *const *p = knob_profiles(); *p; p++)
		ck_assert_int_eq(knob_profile(*p, &c), 0);
}
END_TEST

START_TEST(set_and_get)
{
	struct tcp_config c;
	char buf[64], err[160] = "";

	knob_profile("linux", &c);
	ck_assert_int_eq(knob_set(&c, "timewait_len", "30s", err, sizeof(err)), 0);
	ck_assert_int_eq(knob_timewait_len(&c), 30 * VTIME_S);
	knob_get(&c, "timewait_len", buf, sizeof(buf));
	ck_assert_str_eq(buf, "30s");
	ck_assert_int_eq(knob_set(&c, "ip_local_port_range", "40000 40009", err, sizeof(err)), 0);
	ck_assert_int_eq(c.k.port_lo, 40000);
	ck_assert_int_eq(c.k.port_hi, 40009);
	knob_get(&c, "ip_local_port_range", buf, sizeof(buf));
	ck_assert_str_eq(buf, "40000 40009");
	ck_assert_int_eq(knob_set(&c, "tlp", "0", err, sizeof(err)), 0);
	ck_assert(!c.r.tlp);
	ck_assert_int_eq(knob_set(&c, "timewait_2msl", "1", err, sizeof(err)), 0);
	ck_assert_int_eq(knob_timewait_len(&c), 120 * VTIME_S);

	ck_assert_int_eq(knob_set(&c, "tcp_tw_reuse", "3", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "tcp_tw_reuse takes a whole number in 0..2, not \"3\"");
	ck_assert_int_eq(knob_set(&c, "tcp_fin_timeout", "30", err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "has no unit"), "%s", err);
	ck_assert_int_eq(knob_set(&c, "ip_local_port_range", "50000 40000", err, sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(knob_set(&c, "ip_local_port_range", "50000", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(knob_set(&c, "tlp", "yes", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(knob_set(&c, "tcp_nonsense", "1", err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "no knob named \"tcp_nonsense\"");
	ck_assert_int_eq(knob_get(&c, "tcp_nonsense", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(knob_set(&c, "tcp_retries2", "15x", err, sizeof(err)), -EINVAL);
}
END_TEST

static Suite *knobs_suite(void)
{
	Suite *s = suite_create("knobs");
	TCase *tc = tcase_create("profiles");

	tcase_add_test(tc, linux_defaults);
	tcase_add_test(tc, rfc_profile);
	tcase_add_test(tc, table_is_consistent);
	tcase_add_test(tc, set_and_get);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(knobs_suite());
}
