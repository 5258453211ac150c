/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "tcpsim/vtime.h"

static vtime_t parse_ok(const char *s)
{
	vtime_t t = -1;
	char err[160] = "";

	ck_assert_msg(vtime_parse(s, &t, err, sizeof(err), NULL) == 0, "\"%s\": %s", s, err);
	return t;
}

START_TEST(parses_every_unit)
{
	ck_assert_int_eq(parse_ok("0"), 0);
	ck_assert_int_eq(parse_ok("0s"), 0);
	ck_assert_int_eq(parse_ok("7ns"), 7);
	ck_assert_int_eq(parse_ok("250us"), 250 * VTIME_US);
	ck_assert_int_eq(parse_ok("250\xc2\xb5s"), 250 * VTIME_US);
	ck_assert_int_eq(parse_ok("40ms"), 40 * VTIME_MS);
	ck_assert_int_eq(parse_ok("1.5s"), 1500 * VTIME_MS);
	ck_assert_int_eq(parse_ok("2m"), 120 * VTIME_S);
	ck_assert_int_eq(parse_ok("0.5m"), 30 * VTIME_S);
	ck_assert_int_eq(parse_ok("924.6s"), 924600 * VTIME_MS);
	ck_assert_int_eq(parse_ok("1.000000001s"), VTIME_S + 1);
	ck_assert_int_eq(parse_ok("1.500000000000s"), 1500 * VTIME_MS);
	ck_assert_int_eq(parse_ok("+3ms"), 3 * VTIME_MS);
	ck_assert_int_eq(parse_ok("9223372036854775807ns"), INT64_MAX);
}
END_TEST

struct bad {
	const char *text;
	const char *msg;   /* a part the message must contain */
	size_t pos;
};

static const struct bad bad_inputs[] = {
	{ "5 parsecs", "no space is allowed between a number and its unit", 1 },
	{ "5parsecs", "unknown unit \"parsecs\"", 1 },
	{ "10", "has no unit", 2 },
	{ "", "expected a duration", 0 },
	{ "ms", "expected a duration", 0 },
	{ "-5ms", "cannot be negative", 0 },
	{ "1.ms", "expected digits after the decimal point", 2 },
	{ "1.5ns", "finer than one nanosecond", 0 },
	{ "0.0001us", "finer than one nanosecond", 0 },
	{ "9223372036854775808ns", "too large", 0 },
	{ "300000000000m", "too large", 0 },
	{ "99999999999999999999999s", "too large", 0 },
	{ "1.5.2s", "unknown unit \".2s\"", 3 },
	{ "3 s", "no space", 1 },
	{ "1e3ms", "unknown unit \"e3ms\"", 1 },
	{ "12h", "unknown unit \"h\"", 2 },
};

START_TEST(rejects_bad_forms)
{
	const struct bad *b = &bad_inputs[_i];
	vtime_t t = 12345;
	char err[200] = "";
	size_t pos = 999;

	ck_assert_int_eq(vtime_parse(b->text, &t, err, sizeof(err), &pos), -EINVAL);
	ck_assert_msg(strstr(err, b->msg), "\"%s\": message \"%s\" lacks \"%s\"", b->text, err,
		      b->msg);
	ck_assert_msg(pos == b->pos, "\"%s\": position %zu, want %zu", b->text, pos, b->pos);
	ck_assert_int_eq(t, 12345); /* untouched on error */
}
END_TEST

START_TEST(unknown_unit_message_lists_units)
{
	char err[200];

	vtime_parse("5 parsecs", &(vtime_t){ 0 }, err, sizeof(err), NULL);
	ck_assert_str_eq(err, "no space is allowed between a number and its unit in \"5 parsecs\"; "
			      "use ns, us, ms, s or m, as in 250us, 1.5s or 2m");
}
END_TEST

START_TEST(formats_shortest_exact)
{
	char buf[VTIME_BUFSZ];
	static const struct {
		vtime_t t;
		const char *s;
	} cases[] = {
		{ 0, "0ns" },
		{ 1, "1ns" },
		{ 999, "999ns" },
		{ 1000, "1us" },
		{ 1500, "1.5us" },
		{ 207500000, "207.5ms" },
		{ 1234567, "1.234567ms" },
		{ VTIME_S, "1s" },
		{ 1500 * VTIME_MS, "1.5s" },
		{ 60 * VTIME_S, "1m" },
		{ 90 * VTIME_S, "90s" },
		{ 240 * VTIME_S, "4m" },
		{ 924600 * VTIME_MS, "924.6s" },
		{ VTIME_S + 1, "1.000000001s" },
		{ -5 * VTIME_MS, "-5ms" },
		{ INT64_MAX, "9223372036.854775807s" },
		{ INT64_MIN, "-9223372036.854775808s" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(vtime_format(buf, sizeof(buf), cases[i].t), cases[i].s);
	ck_assert_str_eq(vtime_format_fixed(buf, sizeof(buf), 12 * VTIME_S + 350 * VTIME_US),
			 "12.000350000");
	ck_assert_str_eq(vtime_format_fixed(buf, sizeof(buf), -1), "-0.000000001");
}
END_TEST

/* print then parse gives the value back, across every magnitude */
START_TEST(round_trips)
{
	char buf[VTIME_BUFSZ];
	uint64_t x = 88172645463325252ULL;

	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Spread over every magnitude, and hit whole units often. */
		vtime_t t = (vtime_t)(x >> (x % 63 + 1));
		if (i % 3 == 0)
			t -= t % VTIME_MS;
		if (i % 7 == 0)
			t -= t % VTIME_MIN;
		vtime_t back = -1;
		vtime_format(buf, sizeof(buf), t);
		ck_assert_msg(vtime_parse(buf, &back, NULL, 0, NULL) == 0, "%s does not parse", buf);
		ck_assert_msg(back == t, "%lld printed as %s read back as %lld", (long long)t, buf,
			      (long long)back);
	}
	vtime_t back;
	ck_assert_int_eq(vtime_parse(vtime_format(buf, sizeof(buf), INT64_MAX), &back, NULL, 0,
				     NULL), 0);
	ck_assert_int_eq(back, INT64_MAX);
}
END_TEST

static Suite *vtime_suite(void)
{
	Suite *s = suite_create("vtime");
	TCase *tc = tcase_create("parse-format");

	tcase_add_test(tc, parses_every_unit);
	tcase_add_loop_test(tc, rejects_bad_forms, 0, sizeof(bad_inputs) / sizeof(bad_inputs[0]));
	tcase_add_test(tc, unknown_unit_message_lists_units);
	tcase_add_test(tc, formats_shortest_exact);
	tcase_add_test(tc, round_trips);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(vtime_suite());
}
