/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "tcpsim/err.h"

START_TEST(names_numbers_messages)
{
	ck_assert_str_eq(err_name(-EPIPE), "EPIPE");
	ck_assert_str_eq(err_name(ECONNRESET), "ECONNRESET");
	ck_assert_str_eq(err_message(-ECONNREFUSED), "Connection refused");
	ck_assert_str_eq(err_message(-EADDRNOTAVAIL), "Cannot assign requested address");
	ck_assert_int_eq(err_linux_number(-ETIMEDOUT), 110);
	ck_assert_int_eq(err_linux_number(-EINPROGRESS), 115);
	ck_assert_int_eq(err_from_name("EADDRINUSE"), EADDRINUSE);
	ck_assert_int_eq(err_from_name("EWOULDBLOCK"), EAGAIN);
	ck_assert_int_eq(err_from_name("ENOTANERROR"), 0);
	ck_assert_ptr_null(err_name(9999));
	ck_assert_str_eq(err_message(9999), "Unknown error");
	ck_assert_int_eq(err_linux_number(9999), 0);
}
END_TEST

/* Every name in the list reads back to its own code: the table has no typo'd twin. */
START_TEST(every_name_round_trips)
{
	int n = 0;

	for (const char *const *p = err_names(); *p; p++, n++) {
		int code = err_from_name(*p);
		ck_assert_msg(code > 0, "%s", *p);
		ck_assert_str_eq(err_name(code), *p);
		ck_assert_int_gt(err_linux_number(code), 0);
		ck_assert_str_ne(err_message(code), "Unknown error");
	}
	ck_assert_int_gt(n, 30);
}
END_TEST

static Suite *err_suite(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, names_numbers_messages);
	tcase_add_test(tc, every_name_round_trips);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(err_suite());
}
