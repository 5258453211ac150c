/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "testutil.h"
#include "tcpsim/seg.h"

START_TEST(flags_print_as_tcpdump)
{
	char b[10];

	ck_assert_str_eq(seg_flags_str(SEG_SYN, b), "S");
	ck_assert_str_eq(seg_flags_str(SEG_SYN | SEG_ACK, b), "S.");
	ck_assert_str_eq(seg_flags_str(SEG_FIN | SEG_ACK, b), "F.");
	ck_assert_str_eq(seg_flags_str(SEG_FIN | SEG_PSH | SEG_ACK, b), "FP.");
	ck_assert_str_eq(seg_flags_str(SEG_ACK, b), ".");
	ck_assert_str_eq(seg_flags_str(SEG_RST, b), "R");
	ck_assert_str_eq(seg_flags_str(SEG_RST | SEG_ACK, b), "R.");
	ck_assert_str_eq(seg_flags_str(SEG_ALL_FLAGS, b), "FSRP.UEW");
	ck_assert_str_eq(seg_flags_str(0, b), "n");
}
END_TEST

START_TEST(flags_parse_any_order)
{
	uint8_t f = 0;
	size_t bad = 99;

	ck_assert_int_eq(seg_flags_parse(".F", 2, &f, NULL), 0);
	ck_assert_uint_eq(f, SEG_FIN | SEG_ACK);
	ck_assert_int_eq(seg_flags_parse("S", 1, &f, NULL), 0);
	ck_assert_uint_eq(f, SEG_SYN);
	ck_assert_int_eq(seg_flags_parse("PF.", 3, &f, NULL), 0);
	ck_assert_uint_eq(f, SEG_FIN | SEG_PSH | SEG_ACK);
	ck_assert_int_eq(seg_flags_parse("FX", 2, &f, &bad), -EINVAL);
	ck_assert_uint_eq(bad, 1);
	ck_assert_int_eq(seg_flags_parse("FF", 2, &f, &bad), -EINVAL); /* twice */
	ck_assert_uint_eq(bad, 1);
}
END_TEST

START_TEST(seq_compare_across_wrap)
{
	ck_assert(seq_lt(0xfffffff0u, 0x10u));
	ck_assert(seq_gt(0x10u, 0xfffffff0u));
	ck_assert(seq_leq(5, 5) && seq_geq(5, 5));
	ck_assert(!seq_lt(5, 5));
	ck_assert(seq_between(0xfffffff0u, 0x5u, 0x20u));
	ck_assert(seq_between(0xfffffff0u, 0xfffffff0u, 0x20u));
	ck_assert(seq_between(0xfffffff0u, 0x20u, 0x20u));
	ck_assert(!seq_between(0xfffffff0u, 0x21u, 0x20u));
	ck_assert(!seq_between(0xfffffff0u, 0xffffffefu, 0x20u));
}
END_TEST

START_TEST(seqlen_counts_syn_and_fin)
{
	struct seg s = { 0 };

	s.len = 100;
	ck_assert_uint_eq(seg_seqlen(&s), 100);
	s.flags = SEG_SYN | SEG_FIN;
	ck_assert_uint_eq(seg_seqlen(&s), 102);
}
END_TEST

START_TEST(wire_length_as_linux_lays_options)
{
	struct seg s = { 0 };

	ck_assert_uint_eq(seg_wire_len(&s), 40);
	/* Linux SYN: mss, sackOK+TS, nop+wscale = 20 option bytes */
	s.opt.present = SEG_OPT_MSS | SEG_OPT_SACKOK | SEG_OPT_TS | SEG_OPT_WSCALE;
	ck_assert_uint_eq(seg_wire_len(&s), 60);
	s.opt.present = SEG_OPT_TS;
	s.len = 100;
	ck_assert_uint_eq(seg_wire_len(&s), 152);
	s.opt.present = SEG_OPT_TS | SEG_OPT_SACK;
	s.opt.nsack = 2;
	ck_assert_uint_eq(seg_wire_len(&s), 40 + 12 + 4 + 16 + 100);
}
END_TEST

START_TEST(format_one_line)
{
	struct seg s = { 0 };
	char buf[256];

	addr_parse("10.0.0.1", &s.saddr);
	addr_parse("10.0.0.2", &s.daddr);
	s.sport = 40000;
	s.dport = 80;
	s.flags = SEG_FIN | SEG_ACK;
	s.seq = 1001;
	s.ack = 5001;
	s.wnd = 502;
	ck_assert_str_eq(seg_format(&s, buf, sizeof(buf)),
			 "10.0.0.1.40000 > 10.0.0.2.80: Flags [F.], seq 1001, ack 5001, win 502, "
			 "length 0");
	s.flags = SEG_SYN;
	s.opt.present = SEG_OPT_MSS | SEG_OPT_SACKOK | SEG_OPT_TS | SEG_OPT_WSCALE;
	s.opt.mss = 1460;
	s.opt.ts_val = 7;
	s.opt.wscale = 7;
	s.wnd = 64240;
	ck_assert_str_eq(seg_format(&s, buf, sizeof(buf)),
			 "10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1001, win 64240, options "
			 "[mss 1460,sackOK,TS val 7 ecr 0,nop,wscale 7], length 0");
	/* Without timestamps Linux pads sackOK with two NOPs; data segments carry
	 * NOP,NOP,TS. */
	char o[128];
	s.opt.present = SEG_OPT_MSS | SEG_OPT_SACKOK | SEG_OPT_WSCALE;
	s.opt.wscale = 8;
	ck_assert_str_eq(seg_opts_str(&s.opt, o, sizeof(o)), "mss 1460,nop,nop,sackOK,nop,wscale 8");
	s.opt.present = SEG_OPT_TS | SEG_OPT_SACK;
	s.opt.ts_ecr = 3;
	s.opt.nsack = 1;
	s.opt.sack[0] = (struct seg_sack){ 10, 20 };
	ck_assert_str_eq(seg_opts_str(&s.opt, o, sizeof(o)),
			 "nop,nop,TS val 7 ecr 3,nop,nop,sack 1 {10:20}");
	/* A short buffer truncates, never overflows. */
	char small[12];
	seg_format(&s, small, sizeof(small));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

START_TEST(addresses)
{
	uint32_t a;
	char buf[16];

	ck_assert_int_eq(addr_parse("192.168.1.20", &a), 0);
	ck_assert_uint_eq(a, 0xc0a80114u);
	ck_assert_str_eq(addr_format(a, buf, sizeof(buf)), "192.168.1.20");
	ck_assert_int_eq(addr_parse("256.1.1.1", &a), -EINVAL);
	ck_assert_int_eq(addr_parse("1.2.3", &a), -EINVAL);
	ck_assert_int_eq(addr_parse("1.2.3.4.5", &a), -EINVAL);
	ck_assert_int_eq(addr_parse("1..3.4", &a), -EINVAL);
	ck_assert_int_eq(addr_parse("client", &a), -EINVAL);
	ck_assert_int_eq(addr_parse("0001.2.3.4", &a), -EINVAL);
}
END_TEST

/* RFC 9293 3.10.7.1: the reset for a segment nobody owns. */
START_TEST(reset_reply)
{
	struct seg in = { 0 }, out;

	in.saddr = 1;
	in.daddr = 2;
	in.sport = 1000;
	in.dport = 80;
	in.flags = SEG_SYN;
	in.seq = 0xffffffffu;
	ck_assert(seg_make_reset(&in, &out));
	ck_assert_uint_eq(out.flags, SEG_RST | SEG_ACK);
	ck_assert_uint_eq(out.seq, 0);
	ck_assert_uint_eq(out.ack, 0); /* SEG.SEQ + 1 for the SYN, wrapped */
	ck_assert_uint_eq(out.saddr, 2);
	ck_assert_uint_eq(out.dport, 1000);

	in.flags = SEG_ACK | SEG_PSH;
	in.seq = 10;
	in.ack = 777;
	in.len = 5;
	ck_assert(seg_make_reset(&in, &out));
	ck_assert_uint_eq(out.flags, SEG_RST);
	ck_assert_uint_eq(out.seq, 777);

	in.flags = SEG_RST;
	ck_assert(!seg_make_reset(&in, &out));
}
END_TEST

static Suite *seg_suite(void)
{
	Suite *s = suite_create("seg");
	TCase *tc = tcase_create("segments");

	tcase_add_test(tc, flags_print_as_tcpdump);
	tcase_add_test(tc, flags_parse_any_order);
	tcase_add_test(tc, seq_compare_across_wrap);
	tcase_add_test(tc, seqlen_counts_syn_and_fin);
	tcase_add_test(tc, wire_length_as_linux_lays_options);
	tcase_add_test(tc, format_one_line);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, reset_reply);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(seg_suite());
}
