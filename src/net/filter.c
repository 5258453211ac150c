/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tcpsim/net.h"

struct fparse {
	const char *text;
	net_resolve_fn resolve;
	void *ctx;
	char *err;
	size_t errlen;
	size_t *errpos;
};

__attribute__((format(printf, 3, 4))) static int ferr(struct fparse *p, const char *at,
						      const char *fmt, ...)
{
	va_list ap;

	if (p->err && p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	if (p->errpos)
		*p->errpos = (size_t)(at - p->text);
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* One side of SRC>DST: '*', a name or a dotted quad, then an optional :PORT. */
static int parse_end(struct fparse *p, const char *s, size_t n, uint32_t *addr, bool *has_addr,
		     uint16_t *port, bool *has_port)
{
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n;
	char host[NET_NAME_MAX + 16];

	*has_addr = *has_port = false;
	if (colon) {
		uint32_t v;
		if (parse_u32(colon + 1, n - hn - 1, &v) || v > 65535)
			return ferr(p, colon + 1, "expected a port number (0-65535) after ':'");
		*port = (uint16_t)v;
		*has_port = true;
	}
	if (hn == 0)
		return ferr(p, s, "expected a host name, an address or '*' in a direction");
	if (hn == 1 && s[0] == '*')
		return 0;
	if (hn >= sizeof(host))
		return ferr(p, s, "host name too long");
	memcpy(host, s, hn);
	host[hn] = '\0';
	if (addr_parse(host, addr) == 0) {
		*has_addr = true;
		return 0;
	}
	if (p->resolve && p->resolve(p->ctx, host, addr) == 0) {
		*has_addr = true;
		return 0;
	}
	return ferr(p, s, "unknown host \"%s\" in the direction", host);
}

static int parse_range(struct fparse *p, const char *s, size_t n, uint32_t *lo, uint32_t *hi)
{
	const char *dots = NULL;

	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '.' && s[i + 1] == '.') {
			dots = s + i;
			break;
		}
	if (!dots) {
		if (parse_u32(s, n, lo))
			return ferr(p, s, "expected a number or a range A..B");
		*hi = *lo;
		return 0;
	}
	size_t ln = (size_t)(dots - s);
	if (parse_u32(s, ln, lo))
		return ferr(p, s, "expected a number before '..'");
	if (parse_u32(dots + 2, n - ln - 2, hi))
		return ferr(p, dots + 2, "expected a number after '..'");
	return 0;
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

int seg_filter_parse(const char *text, net_resolve_fn resolve, void *ctx,
		     struct seg_filter *f, char *err, size_t errlen, size_t *errpos)
{
	struct fparse p = { text, resolve, ctx, err, errlen, errpos };
	const char *s = text;
	bool have_dir = false, have_flags = false;

	memset(f, 0, sizeof(*f));
	f->payload = -1;
	for (;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			break;
		const char *w = s;
		while (*s && !is_blank(*s))
			s++;
		size_t n = (size_t)(s - w);
		const char *gt = memchr(w, '>', n);

		if (gt) {
			if (have_dir)
				return ferr(&p, w, "a filter has one direction; this is a second");
			bool both = gt > w && gt[-1] == '<';
			const char *lend = both ? gt - 1 : gt;
			int rc = parse_end(&p, w, (size_t)(lend - w), &f->saddr, &f->has_saddr,
					   &f->sport, &f->has_sport);
			if (!rc)
				rc = parse_end(&p, gt + 1, n - (size_t)(gt + 1 - w), &f->daddr,
					       &f->has_daddr, &f->dport, &f->has_dport);
			if (rc)
				return rc;
			f->both_ways = both;
			have_dir = true;
		} else if (word_is(w, n, "data") || word_is(w, n, "nodata")) {
			if (f->payload != -1)
				return ferr(&p, w, "'data' or 'nodata' given twice");
			f->payload = n == 4;
		} else if (word_is(w, n, "seq") || word_is(w, n, "ack")) {
			bool seq = w[0] == 's';
			while (is_blank(*s))
				s++;
			const char *r = s;
			while (*s && !is_blank(*s))
				s++;
			if (r == s)
				return ferr(&p, r, "expected a number or range A..B after '%s'",
					    seq ? "seq" : "ack");
			int rc = seq ? parse_range(&p, r, (size_t)(s - r), &f->seq_lo, &f->seq_hi)
				     : parse_range(&p, r, (size_t)(s - r), &f->ack_lo, &f->ack_hi);
			if (rc)
				return rc;
			if (seq)
				f->has_seq = true;
			else
				f->has_ack = true;
		} else if (word_is(w, n, "win") || word_is(w, n, "len") || word_is(w, n, "mss") ||
			   word_is(w, n, "wscale")) {
			static const uint32_t max[] = { 65535, UINT32_MAX, 65535, 14 };
			int k = w[0] == 'w' ? (w[1] == 'i' ? 0 : 3) : (w[0] == 'l' ? 1 : 2);
			while (is_blank(*s))
				s++;
			const char *r = s;
			while (*s && !is_blank(*s))
				s++;
			uint32_t v;
			if (parse_u32(r, (size_t)(s - r), &v) || v > max[k])
				return ferr(&p, r, "expected a number up to %u after '%.*s'",
					    (unsigned)max[k], (int)n, w);
			switch (k) {
			case 0: f->has_win = true; f->win = (uint16_t)v; break;
			case 1: f->has_len = true; f->len = v; break;
			case 2: f->has_mss = true; f->mss = (uint16_t)v;
				f->opts_required |= SEG_OPT_MSS; break;
			default: f->has_wscale = true; f->wscale = (uint8_t)v;
				f->opts_required |= SEG_OPT_WSCALE; break;
			}
		} else if (word_is(w, n, "ts")) {
			f->opts_required |= SEG_OPT_TS;
		} else if (word_is(w, n, "sackOK")) {
			f->opts_required |= SEG_OPT_SACKOK;
		} else if (word_is(w, n, "*")) {
			/* matches everything: nothing to add */
		} else {
			bool at_least = w[n - 1] == '*';
			size_t fn = at_least ? n - 1 : n, bad = 0;
			uint8_t flags;
			if (fn == 0 || seg_flags_parse(w, fn, &flags, &bad))
				return ferr(&p, w + bad,
					    "unexpected \"%.*s\": expected a direction (a>b), flags "
					    "(S F R P . as tcpdump prints them, e.g. F.), data, nodata, "
					    "seq, ack, win, len, mss, wscale, ts or sackOK", (int)n, w);
			if (have_flags)
				return ferr(&p, w, "flags given twice");
			f->flags_value = flags;
			f->flags_mask = at_least ? flags : SEG_ALL_FLAGS;
			have_flags = true;
		}
	}
	return 0;
}

static bool end_match(bool has_addr, uint32_t addr, bool has_port, uint16_t port, uint32_t a,
		      uint16_t pt)
{
	return (!has_addr || addr == a) && (!has_port || port == pt);
}

bool seg_filter_match(const struct seg_filter *f, const struct seg *s)
{
	bool fwd = end_match(f->has_saddr, f->saddr, f->has_sport, f->sport, s->saddr, s->sport) &&
		   end_match(f->has_daddr, f->daddr, f->has_dport, f->dport, s->daddr, s->dport);

	if (!fwd && f->both_ways)
		fwd = end_match(f->has_saddr, f->saddr, f->has_sport, f->sport, s->daddr,
				s->dport) &&
		      end_match(f->has_daddr, f->daddr, f->has_dport, f->dport, s->saddr, s->sport);
	if (!fwd)
		return false;
	if ((s->flags & f->flags_mask) != f->flags_value)
		return false;
	if (f->payload >= 0 && (s->len > 0) != (f->payload == 1))
		return false;
	if (f->has_seq && !seq_between(f->seq_lo, s->seq, f->seq_hi))
		return false;
	if (f->has_ack && !((s->flags & SEG_ACK) && seq_between(f->ack_lo, s->ack, f->ack_hi)))
		return false;
	if ((f->has_win && s->wnd != f->win) || (f->has_len && s->len != f->len))
		return false;
	if ((s->opt.present & f->opts_required) != f->opts_required)
		return false;
	if ((f->has_mss && s->opt.mss != f->mss) || (f->has_wscale && s->opt.wscale != f->wscale))
		return false;
	return true;
}
