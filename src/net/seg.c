/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tcpsim/seg.h"

uint32_t seg_seqlen(const struct seg *s)
{
	return s->len + !!(s->flags & SEG_SYN) + !!(s->flags & SEG_FIN);
}

/* tcpdump's order (print-tcp.c's tcp_flag_values), so our lines read like its output. */
static const struct {
	uint8_t bit;
	char c;
} flag_chars[] = {
	{ SEG_FIN, 'F' }, { SEG_SYN, 'S' }, { SEG_RST, 'R' }, { SEG_PSH, 'P' },
	{ SEG_ACK, '.' }, { SEG_URG, 'U' }, { SEG_ECE, 'E' }, { SEG_CWR, 'W' },
};

char *seg_flags_str(uint8_t flags, char *buf)
{
	char *p = buf;

	for (size_t i = 0; i < sizeof(flag_chars) / sizeof(flag_chars[0]); i++)
		if (flags & flag_chars[i].bit)
			*p++ = flag_chars[i].c;
	if (p == buf)
		*p++ = 'n'; /* tcpdump prints "none" for no flags; one letter keeps columns */
	*p = '\0';
	return buf;
}

int seg_flags_parse(const char *s, size_t n, uint8_t *flags, size_t *bad)
{
	uint8_t f = 0;

	for (size_t i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < sizeof(flag_chars) / sizeof(flag_chars[0]); k++)
			if (s[i] == flag_chars[k].c)
				break;
		if (k == sizeof(flag_chars) / sizeof(flag_chars[0]) || (f & flag_chars[k].bit)) {
			if (bad)
				*bad = i;
			return -EINVAL;
		}
		f |= flag_chars[k].bit;
	}
	*flags = f;
	return 0;
}

char *seg_opts_str(const struct seg_opts *o, char *buf, size_t len)
{
	size_t n = 0;
	const char *sep = "";

	buf[0] = '\0';
#define PUT(...)                                                             \
	do {                                                                 \
		if (n < len) {                                               \
			int w_ = snprintf(buf + n, len - n, __VA_ARGS__);    \
			n += w_ > 0 ? (size_t)w_ : 0;                        \
		}                                                            \
	} while (0)
	/* Exactly Linux's layout (tcp_options_write), NOPs included, as tcpdump prints it:
	 * MSS; sackOK folded into the timestamp's two leading NOPs, or NOP,NOP,sackOK
	 * alone; NOP,wscale; NOP,NOP,SACK blocks. packetdrill compares this byte for byte. */
	if (o->present & SEG_OPT_MSS) {
		PUT("%smss %u", sep, o->mss);
		sep = ",";
	}
	if (o->present & SEG_OPT_TS) {
		PUT("%s%s", sep, (o->present & SEG_OPT_SACKOK) ? "sackOK," : "nop,nop,");
		PUT("TS val %" PRIu32 " ecr %" PRIu32, o->ts_val, o->ts_ecr);
		sep = ",";
	} else if (o->present & SEG_OPT_SACKOK) {
		PUT("%snop,nop,sackOK", sep);
		sep = ",";
	}
	if (o->present & SEG_OPT_WSCALE) {
		PUT("%snop,wscale %u", sep, o->wscale);
		sep = ",";
	}
	if ((o->present & SEG_OPT_SACK) && o->nsack) {
		PUT("%snop,nop,sack %u", sep, o->nsack);
		for (unsigned i = 0; i < o->nsack && i < SEG_MAX_SACK; i++)
			PUT(" {%" PRIu32 ":%" PRIu32 "}", o->sack[i].left, o->sack[i].right);
	}
#undef PUT
	return buf;
}

char *addr_format(uint32_t addr, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(addr >> 24), (unsigned)(addr >> 16 & 0xff),
		 (unsigned)(addr >> 8 & 0xff), (unsigned)(addr & 0xff));
	return buf;
}

int addr_parse(const char *s, uint32_t *addr)
{
	uint32_t a = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		int digits = 0;
		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || v > 255)
				return -EINVAL;
		}
		if (!digits || *s != (part == 3 ? '\0' : '.'))
			return -EINVAL;
		if (part < 3)
			s++;
		a = a << 8 | v;
	}
	*addr = a;
	return 0;
}

char *seg_format(const struct seg *s, char *buf, size_t len)
{
	char sa[16], da[16], fl[10], opts[160];

	seg_opts_str(&s->opt, opts, sizeof(opts));
	int n = snprintf(buf, len, "%s.%u > %s.%u: Flags [%s], seq %" PRIu32,
			 addr_format(s->saddr, sa, sizeof(sa)), s->sport,
			 addr_format(s->daddr, da, sizeof(da)), s->dport,
			 seg_flags_str(s->flags, fl), s->seq);
	if (n < 0 || (size_t)n >= len)
		return buf;
	size_t used = (size_t)n;
	if (s->flags & SEG_ACK) {
		n = snprintf(buf + used, len - used, ", ack %" PRIu32, s->ack);
		used += n > 0 ? (size_t)n : 0;
	}
	if (used < len)
		snprintf(buf + used, len - used, ", win %u%s%s%s, length %" PRIu32, s->wnd,
			 opts[0] ? ", options [" : "", opts, opts[0] ? "]" : "", s->len);
	return buf;
}

bool seg_make_reset(const struct seg *in, struct seg *out)
{
	/* RFC 9293 3.10.7.1: "An incoming segment containing a RST is discarded." */
	if (in->flags & SEG_RST)
		return false;
	memset(out, 0, sizeof(*out));
	out->saddr = in->daddr;
	out->daddr = in->saddr;
	out->sport = in->dport;
	out->dport = in->sport;
	if (in->flags & SEG_ACK) {
		out->seq = in->ack;
		out->flags = SEG_RST;
	} else {
		out->seq = 0;
		out->ack = in->seq + seg_seqlen(in);
		out->flags = SEG_RST | SEG_ACK;
	}
	return true;
}

uint32_t seg_wire_len(const struct seg *s)
{
	const struct seg_opts *o = &s->opt;
	uint32_t opt = 0;

	/* Linux's layout (tcp_options_write): MSS 4; timestamps 12 with sackOK folded into
	 * the two leading NOPs; sackOK alone 4; NOP+wscale 4; NOP,NOP,SACK 4 + 8 per block. */
	if (o->present & SEG_OPT_MSS)
		opt += 4;
	if (o->present & SEG_OPT_TS)
		opt += 12;
	else if (o->present & SEG_OPT_SACKOK)
		opt += 4;
	if (o->present & SEG_OPT_WSCALE)
		opt += 4;
	if ((o->present & SEG_OPT_SACK) && o->nsack)
		opt += 4 + 8 * (uint32_t)(o->nsack > SEG_MAX_SACK ? SEG_MAX_SACK : o->nsack);
	return 20 + 20 + opt + s->len;
}
