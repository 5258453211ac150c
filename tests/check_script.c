/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "tcpsim/tcpsim.h"
#include "tcpsim/script.h"

/* ---------------------------------------------------------------- parse errors */

struct bad_script {
	const char *text;
	int line, col;
	const char *msg;  /* a part the message must contain */
};

static const struct bad_script bad[] = {
	{ "host a 10.0.0.1\nhost b 10.0.0.2\nconect a b", 3, 1,
	  "unknown command \"conect\"" },
	{ "a clsoe c", 1, 3, "did you mean \"close\"?" },
	{ "close c", 1, 1, "\"close\" is called on a host" },
	{ "frobnicate", 1, 1, "unknown command \"frobnicate\"" },
	{ "run 5parsecs", 1, 6, "unknown unit \"parsecs\"" },
	{ "run 10", 1, 7, "has no unit" },
	{ "run", 1, 1, "usage: run DURATION" },
	{ "link a b delay 5", 1, 17, "duration \"5\" has no unit" },
	{ "link a b loss 150%", 1, 15, "from 0% to 100%" },
	{ "link a b loss 5", 1, 15, "expected a percentage" },
	{ "link a b colour red", 1, 10, "unknown link setting \"colour\"" },
	{ "link a b delay", 1, 10, "\"delay\" needs a value" },
	{ "host a 10.0.0.300", 1, 8, "expected an IPv4 address" },
	{ "host run 10.0.0.1", 1, 6, "is a command" },
	{ "set a tcp_fin_timout 30s", 1, 7, "unknown knob \"tcp_fin_timout\"" },
	{ "seed -1", 1, 6, "expected a whole number" },
	{ "print \"unterminated", 1, 7, "unterminated string" },
	{ "print \"bad \\q escape\"", 1, 12, "unknown escape \\q" },
	{ "print \"\\x4\"", 1, 8, "\\x must be followed by two hex digits" },
	{ "a send c \"x\" ->", 1, 14, "expected a result after \"->\"" },
	{ "a socket as", 1, 3, "usage: HOST socket as NAME" },
	{ "a shutdown c sideways", 1, 14, "usage: HOST shutdown SOCKET rd|wr|rdwr" },
	{ "a setsockopt c linger 1", 1, 3, "linger takes 2 values" },
	{ "a setsockopt c colour 1", 1, 16, "usage: HOST setsockopt" },
	{ "drop next a>b Q.", 1, 15, "unexpected \"Q.\"" },
	{ "drop sometimes a>b", 1, 6, "expected next, every, or an ordinal" },
	{ "delay next a>b", 1, 1, "delay needs \"by DURATION\"" },
	{ "drop next a>b by 5ms", 1, 1, "only delay takes \"by DURATION\"" },
	{ "expect c SOMEWHERE", 1, 10, "expected a TCP state" },
	{ "expect c ESTABLISHED within", 1, 22, "\"within\" needs a time" },
	{ "expect none a>b F.", 1, 1, "expect none needs \"within DURATION\"" },
	{ "expect a counter TW ~= 3", 1, 21, "expected ==, !=, <, <=, > or >=" },
	{ "repeat 3\nprint \"x\"", 1, 1, "repeat needs a block" },
	{ "repeat 3 {\nprint \"x\"\n", 1, 0, "never closed" },
	{ "}", 1, 1, "without an open block" },
	{ "print \"x\" {", 1, 11, "only repeat opens a block" },
	{ "middlebox a b drop idle", 1, 1, "usage: middlebox" },
	{ "include /nonexistent/file.tcpsim", 1, 9, "cannot read" },
	{ "inject to c R colour 3", 1, 15, "unknown field \"colour\"" },
};

START_TEST(parse_errors_have_positions)
{
	const struct bad_script *b = &bad[_i];
	struct script *s = NULL;
	struct script_error e;

	ck_assert_int_lt(script_parse_string("t.tcpsim", b->text, &s, &e), 0);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(e.msg, b->msg), "\"%s\": message \"%s\" lacks \"%s\"", b->text,
		      e.msg, b->msg);
	ck_assert_msg(e.line == b->line && e.col == b->col, "\"%s\": at %d:%d, want %d:%d",
		      b->text, e.line, e.col, b->line, b->col);
	ck_assert_str_eq(e.file, "t.tcpsim");
}
END_TEST

START_TEST(error_format_has_caret)
{
	struct script *s;
	struct script_error e;
	char buf[1024];

	ck_assert_int_lt(script_parse_string("x.tcpsim", "host a 10.0.0.1\nrun  2parsecs\n",
					     &s, &e), 0);
	script_error_format(&e, buf, sizeof(buf));
	ck_assert_str_eq(buf, "x.tcpsim:2:7: unknown unit \"parsecs\" in \"2parsecs\": use ns, "
			      "us, ms, s or m, as in 250us, 1.5s or 2m\n"
			      "  run  2parsecs\n"
			      "        ^\n");
}
END_TEST

START_TEST(good_scripts_parse)
{
	static const char *const good[] = {
		"# only a comment\n\n   \n",
		"seed 7\nprofile rfc\nhost a 10.0.0.1\nhost b 10.0.0.2\n"
		"link a b delay 10ms jitter 1ms loss 0.5% dup 1% reorder 2% bandwidth 1000000\n"
		"link a>b delay 20ms\nset a ip_local_port_range 40000 40009\niss a 1000 step 10\n"
		"middlebox a b rst idle 30s\n",
		"b listen 80 backlog 5 as l\na connect b:80 as c -> 0\nb accept l as s\n"
		"a send c \"hi\\n\\x00\" -> 3\nb recv s all -> \"hi\\n\\x00\"\na shutdown c wr\n"
		"a dup c as c2\na setsockopt c linger 1 0\na nonblock c\na close c -> 0\n",
		"drop 3rd a>b F*\ndup every a<>b data\ndelay next a>b:80 S by 1s\n"
		"hold next *>b R. as h\nrelease h\nrelease\nloss a>b 1%\n"
		"inject to c R. seq 5 after 1ms\n",
		"expect c FIN_WAIT_1\nexpect c fin-wait-2 within 1s\nexpect c ESTAB\n"
		"expect next a>b F. seq 1..9 within 5ms..10ms\nexpect next a>b . at 2s\n"
		"expect none a>b within 1s\nexpect a counter TW >= 2\nexpect a counter OutRsts 0\n"
		"expect c path SYN_SENT ESTABLISHED\nexpect c timer RTO 100ms..300ms\n"
		"expect c timer TIME_WAIT none\nignore a>b .\nignore nothing\n",
		"repeat 3 as k {\n  repeat 2 {\n    a connect b:80 as c{k}x{i}\n  }\n}\n"
		"run until c0x0 ESTABLISHED within 1s\nstep\nstep 10\nprint \"done\"\n",
		NULL,
	};
	for (int i = 0; good[i]; i++) {
		struct script *s = NULL;
		struct script_error e;
		int rc = script_parse_string("g.tcpsim", good[i], &s, &e);
		ck_assert_msg(rc == 0, "script %d: %d:%d: %s", i, e.line, e.col, e.msg);
		script_free(s);
	}
}
END_TEST

START_TEST(include_reads_relative_to_the_file)
{
	char dir[] = "/tmp/tcpsim-inc-XXXXXX";
	char path[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/setup.inc", dir);
	FILE *f = fopen(path, "w");
	fputs("host a 10.0.0.1\nhost b 10.0.0.2\nlink a b delay 1ms\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/main.tcpsim", dir);
	f = fopen(path, "w");
	fputs("include setup.inc\nb listen 80 as l\na connect b:80 as c\nexpect c ESTABLISHED\n",
	      f);
	fclose(f);
	struct script *s;
	struct script_error e;
	ck_assert_int_eq(script_parse_file(path, &s, &e), 0);
	struct interp_opts o;
	interp_default_opts(&o);
	struct interp *in = interp_new(&o);
	ck_assert_int_eq(interp_run(in, s, &e), 0);
	ck_assert_uint_eq(interp_passed(in), 1);
	interp_free(in);
	script_free(s);
	/* An include that includes itself is stopped, with its position. */
	snprintf(path, sizeof(path), "%s/loop.tcpsim", dir);
	f = fopen(path, "w");
	fputs("include loop.tcpsim\n", f);
	fclose(f);
	ck_assert_int_lt(script_parse_file(path, &s, &e), 0);
	ck_assert_msg(strstr(e.msg, "nested more than"), "%s", e.msg);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---------------------------------------------------------------- the interpreter */

struct capture {
	char buf[65536];
	size_t n;
};

static void capture(void *ctx, const char *text)
{
	struct capture *c = ctx;
	size_t l = strlen(text);

	if (c->n + l < sizeof(c->buf)) {
		memcpy(c->buf + c->n, text, l + 1);
		c->n += l;
	}
}

static struct interp *run_text(const char *text, int *rc, struct capture *cap)
{
	struct script *s;
	struct script_error e;
	struct interp_opts o;

	ck_assert_msg(script_parse_string("t.tcpsim", text, &s, &e) == 0, "%d:%d %s", e.line,
		      e.col, e.msg);
	interp_default_opts(&o);
	o.write = capture;
	o.write_ctx = cap;
	struct interp *in = interp_new(&o);
	*rc = interp_run(in, s, &e);
	script_free(s);
	return in;
}

static const char setup[] = "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b delay 5ms\n"
			    "b listen 80 as l\n";

START_TEST(expectations_pass_and_fail)
{
	struct capture cap = { .n = 0 };
	char text[2048];
	int rc;

	snprintf(text, sizeof(text), "%s%s", setup,
		 "a connect b:80 as c -> 0\n"
		 "b accept l as s\n"
		 "a send c \"ping\" -> 4\n"
		 "b recv s 4 -> \"ping\"\n"
		 "b recv s 4 -> \"pong\"\n"             /* fails: blocks, nothing comes */
		 "expect c ESTABLISHED\n"
		 "expect c CLOSED\n"                    /* fails */
		 "a close c -> 0\n"
		 "a close c -> EBADF\n");
	struct interp *in = run_text(text, &rc, &cap);
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(interp_passed(in), 6);
	ck_assert_uint_eq(interp_failed(in), 2);
	ck_assert_msg(strstr(cap.buf, "t.tcpsim:9:3: FAILED: recv blocked for 20m"), "%.400s", cap.buf);
	ck_assert_msg(strstr(cap.buf, "t.tcpsim:11:10: FAILED: c is ESTABLISHED, expected CLOSED"),
		      "%.400s", cap.buf);
	interp_free(in);
}
END_TEST

START_TEST(repeat_names_many_connections)
{
	struct capture cap = { .n = 0 };
	char text[2048];
	int rc;

	snprintf(text, sizeof(text), "%s%s", setup,
		 "set a ip_local_port_range 40000 40009\n"
		 "repeat 10 {\n  a connect b:80 as c{i} -> 0\n}\n"
		 "a connect b:80 as c10 -> EADDRNOTAVAIL\n"
		 "expect c9 ESTABLISHED\n"
		 "expect b counter PassiveOpens == 10\n"
		 "expect a counter ActiveOpens == 10\n");
	struct interp *in = run_text(text, &rc, &cap);
	ck_assert_msg(rc == 0, "%.400s", cap.buf);
	ck_assert_uint_eq(interp_passed(in), 14);
	/* Ten ports in use, all from the range, each once. */
	struct host *h = world_host(interp_world(in), 0);
	bool seen[10] = { false };
	for (uint32_t id = 1; id <= 11; id++) {
		struct tcp_info i;
		if (host_sock_info(h, id, &i) || i.state != TCPS_ESTABLISHED)
			continue;
		ck_assert(i.lport >= 40000 && i.lport <= 40009);
		ck_assert(!seen[i.lport - 40000]);
		seen[i.lport - 40000] = true;
	}
	for (int k = 0; k < 10; k++)
		ck_assert(seen[k]);
	interp_free(in);
}
END_TEST

START_TEST(unknown_names_stop_the_run)
{
	struct script *s;
	struct script_error e;
	struct interp_opts o;

	interp_default_opts(&o);
	ck_assert_int_eq(script_parse_string("t.tcpsim", "host a 10.0.0.1\nhost b 10.0.0.2\n"
					     "a close nosuch\n", &s, &e), 0);
	struct interp *in = interp_new(&o);
	ck_assert_int_eq(interp_run(in, s, &e), -EINVAL);
	ck_assert_int_eq(e.line, 3);
	ck_assert_int_eq(e.col, 9);
	ck_assert_msg(strstr(e.msg, "unknown socket \"nosuch\""), "%s", e.msg);
	interp_free(in);
	script_free(s);

	ck_assert_int_eq(script_parse_string("t.tcpsim", "host a 10.0.0.1\nzed close c\n", &s,
					     &e), 0);
	in = interp_new(&o);
	ck_assert_int_eq(interp_run(in, s, &e), -EINVAL);
	ck_assert_msg(strstr(e.msg, "unknown host \"zed\"; hosts: a"), "%s", e.msg);
	ck_assert_int_eq(e.col, 1);
	interp_free(in);
	script_free(s);
}
END_TEST

/* The same script twice gives the same bytes out, with random loss in it. */
START_TEST(runs_are_byte_identical)
{
	static struct capture a, b;
	char text[2048];
	int rc;

	snprintf(text, sizeof(text), "seed 9\n%s%s", setup,
		 "link a b loss 20% dup 5% jitter 3ms\n"
		 "a connect b:80 as c\nb accept l as s\n"
		 "a send c 20000\nb recv s 20000 -> 20000\na close c\nrun 2m\n");
	a.n = b.n = 0;
	struct interp *x = run_text(text, &rc, &a);
	struct interp *y = run_text(text, &rc, &b);
	ck_assert_uint_eq(a.n, b.n);
	ck_assert_int_eq(memcmp(a.buf, b.buf, a.n), 0);
	ck_assert_uint_eq(net_counters(world_net(interp_world(x)))->dropped[NET_DROP_LOSS],
			  net_counters(world_net(interp_world(y)))->dropped[NET_DROP_LOSS]);
	ck_assert_uint_gt(net_counters(world_net(interp_world(x)))->dropped[NET_DROP_LOSS], 0);
	interp_free(x);
	interp_free(y);
}
END_TEST

START_TEST(event_budget_stops_a_runaway_script)
{
	struct script *s;
	struct script_error e;
	struct interp_opts o;

	interp_default_opts(&o);
	o.max_events = 1000;
	ck_assert_int_eq(script_parse_string("t.tcpsim", "host a 10.0.0.1\nhost b 10.0.0.2\n"
					     "link a b delay 1ms\nb listen 80 as l\n"
					     "repeat 100000 {\n  a connect b:80 as c{i}\n}\n",
					     &s, &e), 0);
	struct interp *in = interp_new(&o);
	interp_run(in, s, &e);
	ck_assert_uint_le(evq_fired(world_evq(interp_world(in))), 1000);
	interp_free(in);
	script_free(s);
}
END_TEST

START_TEST(commands_are_documented)
{
	int n = 0;

	for (const struct script_cmd_doc *d = script_commands(); d->name; d++, n++) {
		ck_assert_msg(d->usage && strstr(d->usage, d->name), "%s: usage", d->name);
		ck_assert_msg(d->summary && strlen(d->summary) > 5, "%s: summary", d->name);
		ck_assert_msg(d->help && strlen(d->help) > 20, "%s: help", d->name);
	}
	ck_assert_int_ge(n, 30);
	ck_assert_ptr_nonnull(script_command("expect"));
	ck_assert_ptr_null(script_command("nonsense"));
}
END_TEST

static Suite *script_suite(void)
{
	Suite *s = suite_create("script");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, parse_errors_have_positions, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, error_format_has_caret);
	tcase_add_test(tc, good_scripts_parse);
	tcase_add_test(tc, include_reads_relative_to_the_file);
	tcase_add_test(tc, commands_are_documented);
	suite_add_tcase(s, tc);
	tc = tcase_create("interp");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, expectations_pass_and_fail);
	tcase_add_test(tc, repeat_names_many_connections);
	tcase_add_test(tc, unknown_names_stop_the_run);
	tcase_add_test(tc, runs_are_byte_identical);
	tcase_add_test(tc, event_budget_stops_a_runaway_script);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(script_suite());
}
