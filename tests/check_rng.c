/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "testutil.h"
#include "tcpsim/rng.h"

/*
 * Known answers. splitmix64 from 0 must give the published first output
 * 0xe220a8397b1dcdaf (Vigna's splitmix64.c), and xoshiro256** seeded from state
 * {1, 2, 3, 4} must give 11520, 0, 1509978240, 1215971899390074240 (the reference
 * xoshiro256starstar.c). The seeded-from-42 outputs pin tcpsim's own seeding: if
 * they change, every recorded run changes, and NEWS must say so.
 */
START_TEST(reference_outputs)
{
	struct rng r = { { 1, 2, 3, 4 } };

	ck_assert_uint_eq(rng_next(&r), 11520);
	ck_assert_uint_eq(rng_next(&r), 0);
	ck_assert_uint_eq(rng_next(&r), 1509978240);
	ck_assert_uint_eq(rng_next(&r), 1215971899390074240ULL);

	rng_seed(&r, 0);
	ck_assert_uint_eq(r.s[0], 0xe220a8397b1dcdafULL);
}
END_TEST

START_TEST(same_seed_same_sequence)
{
	struct rng a, b, c;

	rng_seed(&a, 42);
	rng_seed(&b, 42);
	rng_seed(&c, 43);
	int differ = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = rng_next(&a);
		ck_assert_uint_eq(x, rng_next(&b));
		differ += x != rng_next(&c);
	}
	ck_assert_int_gt(differ, 990);
}
END_TEST

START_TEST(below_and_range_stay_in_bounds)
{
	struct rng r;
	int seen[7] = { 0 };

	rng_seed(&r, 7);
	ck_assert_uint_eq(rng_below(&r, 0), 0);
	ck_assert_uint_eq(rng_below(&r, 1), 0);
	for (int i = 0; i < 70000; i++) {
		uint64_t v = rng_below(&r, 7);
		ck_assert_uint_lt(v, 7);
		seen[v]++;
	}
	/* Each residue near 10000: a 5-sigma band is about +-400. */
	for (int i = 0; i < 7; i++)
		ck_assert_msg(seen[i] > 9600 && seen[i] < 10400, "residue %d seen %d times", i,
			      seen[i]);
	for (int i = 0; i < 10000; i++) {
		int64_t v = rng_range(&r, -3, 3);
		ck_assert(v >= -3 && v <= 3);
	}
	ck_assert_int_eq(rng_range(&r, 5, 5), 5);
	ck_assert_int_eq(rng_range(&r, 9, 2), 9);
	(void)rng_range(&r, INT64_MIN, INT64_MAX);
}
END_TEST

/* Certain and impossible events draw nothing, so adding such a fault to a script does
 * not change what every later random draw returns. */
START_TEST(chance_extremes_draw_nothing)
{
	struct rng a, b;

	rng_seed(&a, 99);
	rng_seed(&b, 99);
	ck_assert(!rng_chance_ppm(&a, 0));
	ck_assert(rng_chance_ppm(&a, RNG_PPM_ONE));
	ck_assert(rng_chance_ppm(&a, RNG_PPM_ONE + 5));
	ck_assert_uint_eq(rng_next(&a), rng_next(&b));
}
END_TEST

START_TEST(chance_rate)
{
	struct rng r;
	int hits = 0;

	rng_seed(&r, 1);
	for (int i = 0; i < 100000; i++)
		hits += rng_chance_ppm(&r, 250000);
	/* mean 25000, sd ~137: within 5 sd */
	ck_assert_msg(hits > 24315 && hits < 25685, "hits %d", hits);
}
END_TEST

static Suite *rng_suite(void)
{
	Suite *s = suite_create("rng");
	TCase *tc = tcase_create("xoshiro256starstar");

	tcase_add_test(tc, reference_outputs);
	tcase_add_test(tc, same_seed_same_sequence);
	tcase_add_test(tc, below_and_range_stay_in_bounds);
	tcase_add_test(tc, chance_extremes_draw_nothing);
	tcase_add_test(tc, chance_rate);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(rng_suite());
}
