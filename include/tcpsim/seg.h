/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_SEG_H
#define TCPSIM_SEG_H

/*
 * A TCP segment as the simulation carries it: the header fields that matter, the
 * options in decoded form, the payload length, and optionally the payload bytes.
 * Sequence arithmetic is modulo 2^32; compare sequence numbers only with the seq_*
 * helpers below, never with < or >.
 *
 * Ownership: a segment handed to net_send() or net_inject() belongs to the network
 * from then on; a segment given to a delivery callback is borrowed for the duration of
 * the call. `data`, when not NULL, is owned by the segment and freed with it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Header flags, with their bit values in the TCP header. */
#define SEG_FIN 0x01u
#define SEG_SYN 0x02u
#define SEG_RST 0x04u
#define SEG_PSH 0x08u
#define SEG_ACK 0x10u
#define SEG_URG 0x20u
#define SEG_ECE 0x40u
#define SEG_CWR 0x80u
#define SEG_ALL_FLAGS 0xffu

/* Which options a segment carries. */
#define SEG_OPT_MSS 0x01u
#define SEG_OPT_WSCALE 0x02u
#define SEG_OPT_SACKOK 0x04u
#define SEG_OPT_TS 0x08u
#define SEG_OPT_SACK 0x10u

#define SEG_MAX_SACK 4

struct seg_sack {
	uint32_t left, right;
};

struct seg_opts {
	uint8_t present;  /* SEG_OPT_* */
	uint8_t wscale;
	uint8_t nsack;
	uint16_t mss;
	uint32_t ts_val, ts_ecr;
	struct seg_sack sack[SEG_MAX_SACK];
};

struct seg {
	uint32_t saddr, daddr;  /* IPv4 addresses in host byte order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t wnd;           /* the 16-bit window field as sent, before scaling */
	uint8_t flags;          /* SEG_* */
	uint32_t len;           /* payload length in bytes */
	uint8_t *data;          /* the payload bytes, or NULL when only their count is modelled */
	struct seg_opts opt;
	uint64_t id;            /* set by the network: each segment sent gets the next number */
};

static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
/* a <= x <= b, going forward from a (the window may wrap past 2^32). */
static inline bool seq_between(uint32_t a, uint32_t x, uint32_t b)
{
	return x - a <= b - a;
}

/* Sequence space the segment occupies: payload plus one for SYN and one for FIN. */
uint32_t seg_seqlen(const struct seg *s);

/* Bytes on the wire: a 20-byte IPv4 header, the TCP header with its options laid out
 * and padded as Linux does, and the payload. Used for bandwidth and captures. */
uint32_t seg_wire_len(const struct seg *s);

/* Flags as tcpdump prints them, in its order: "S", "S.", "F.", "FP.", "R", "." (the
 * ACK alone is "."). buf needs 10 bytes. Returns buf. */
char *seg_flags_str(uint8_t flags, char *buf);
/* Parses tcpdump-style flag letters (S F R P U E W and '.' for ACK, any order). Returns
 * 0, or -EINVAL and the offending position in *bad. */
int seg_flags_parse(const char *s, size_t n, uint8_t *flags, size_t *bad);

/* Options in Linux's wire layout, NOPs included, as tcpdump prints them:
 * "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7", "nop,nop,TS val 5 ecr 3".
 * Empty string when none. Returns buf. */
char *seg_opts_str(const struct seg_opts *o, char *buf, size_t len);

/* One line, tcpdump-like, with addresses as dotted quads:
 * "10.0.0.1.40000 > 10.0.0.2.80: Flags [F.], seq 1001, ack 5001, win 502, length 0" */
char *seg_format(const struct seg *s, char *buf, size_t len);

/* Dotted-quad text <-> address. addr_parse returns 0 or -EINVAL. */
char *addr_format(uint32_t addr, char *buf, size_t len);
int addr_parse(const char *s, uint32_t *addr);

/*
 * The reset a host sends in answer to `in` when no connection owns it (RFC 9293
 * 3.10.7.1): if `in` has ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Addresses and ports are swapped. Returns
 * false (and leaves out untouched) when `in` is itself an RST, which is never answered.
 */
bool seg_make_reset(const struct seg *in, struct seg *out);

#endif
