/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/tcpsim.h"
#include "tcpsim/pd.h"

/*
 * packetdrill in virtual time. The script's times are virtual times: an event at
 * script time T happens at T exactly, and an outbound packet is judged against its
 * time with packetdrill's own tolerance rule (the larger of --tolerance_usecs and
 * 12.5% of the gap since the previous event). See doc/packetdrill.md for what is
 * supported and how the endpoint differs from a kernel under packetdrill.
 */

#define LOCAL_ADDR 0xc0a80001u   /* 192.168.0.1, the kernel runner's local address */
#define REMOTE_ADDR 0xc0000201u  /* 192.0.2.1 */
#define SCRIPT_PORT 8080         /* what "..." fills in for bind and connect */
#define REMOTE_PORT 40000        /* the remote port of connections the script opens */
#define MAX_CAPTURE 65536
#define LOG_KEEP 30

/* ---------------------------------------------------------------- the script */

enum tkind { T_ABS, T_REL, T_ANY };

struct ptime {
	enum tkind lo_kind, hi_kind;
	vtime_t lo, hi;          /* a point has lo == hi */
	bool range;              /* lo~hi, outbound only */
	bool blocking;           /* start...end */
	vtime_t end;             /* end of a blocking call, from the start's base */
};

struct ppkt {
	bool inbound;
	uint8_t flags;
	uint32_t start, len;
	bool has_ack, has_win, any_opts, has_opts;
	uint32_t ack;
	uint16_t win;
	struct seg_opts opts;
	char opts_text[256];     /* as written, normalized: items joined by "," */
};

#define MAX_ARGS 8
struct pcall {
	char name[32];
	char *args[MAX_ARGS];
	int nargs;
	long result;
	int err;                 /* expected errno (positive), or 0 */
};

enum ekind { E_PACKET, E_CALL, E_COMMAND, E_CODE };

struct event {
	enum ekind kind;
	int line;
	struct ptime t;
	struct ppkt pkt;
	struct pcall call;
	char *text;              /* a command, or the source of the line */
};

struct script {
	const char *path;
	char dir[1024];
	char *init;              /* the init command */
	struct event *ev;
	int nev, cap;
	vtime_t tolerance;
	vtime_t ts_tick;         /* 0: outbound TS values are not checked */
	int mss;
};

/* ---------------------------------------------------------------- the run */

struct capture {
	vtime_t t;
	struct seg s;
};

struct run {
	const struct pd_opts *o;
	struct script *sc;
	struct world *w;
	struct host *h;
	int local, remote;
	uint16_t local_port, remote_port;
	struct capture *cap;
	int ncap, capped;
	vtime_t prev;            /* script time of the previous event */
	bool ts_known;
	uint32_t ts_script_first, ts_actual_first;
	/* one blocking call in flight at a time */
	bool pending;
	const struct event *pend_ev;
	int pend_fd;
	vtime_t pend_end;
	uint64_t pend_sent;      /* bytes a blocking write has queued so far */
	bool failed, skipped;
	char *log[LOG_KEEP];
	int log_head, log_n;
};

static void say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct run *r, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (!r->o->write)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r->o->write(r->o->write_ctx, buf);
}

static void show_log(struct run *r)
{
	if (!r->log_n)
		return;
	say(r, "  the events before it:\n");
	for (int i = 0; i < r->log_n; i++)
		say(r, "  %s\n", r->log[(r->log_head + i) % LOG_KEEP]);
}

/* packetdrill's error style: FILE:LINE: error handling packet: ... */
static void fail(struct run *r, const struct event *e, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct run *r, const struct event *e, const char *what, const char *fmt, ...)
{
	char buf[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!r->failed && !r->skipped) {
		say(r, "%s:%d: %s: %s\n", r->sc->path, e ? e->line : 0, what, buf);
		show_log(r);
	}
	r->failed = true;
}

/* A script that cannot run: malformed (failed) or using what is not modelled
 * (skipped). Only the first such word is reported. */
__attribute__((format(printf, 4, 0))) static void stop(struct run *r, int line,
						       bool skipped, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!r->failed && !r->skipped)
		say(r, "%s:%d: %s: %s\n", r->sc->path, line,
		    skipped ? "skipped" : "error parsing script", buf);
	if (skipped)
		r->skipped = true;
	else
		r->failed = true;
}

static void bad(struct run *r, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void bad(struct run *r, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stop(r, line, false, fmt, ap);
	va_end(ap);
}

static void skip(struct run *r, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void skip(struct run *r, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	stop(r, line, true, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- parsing */

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, cap = 8192;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (n < cap - 1)
			break;
		char *b = realloc(buf, cap * 2);
		if (!b) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = b;
		cap *= 2;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* Blanks out comments (C and C++ style) outside backticks, keeping line breaks. */
static void strip_comments(char *s)
{
	bool tick = false;

	for (char *p = s; *p; p++) {
		if (*p == '`') {
			tick = !tick;
		} else if (!tick && p[0] == '/' && p[1] == '/') {
			while (*p && *p != '\n')
				*p++ = ' ';
			if (!*p)
				break;
		} else if (!tick && p[0] == '/' && p[1] == '*') {
			while (*p && !(p[0] == '*' && p[1] == '/')) {
				if (*p != '\n')
					*p = ' ';
				p++;
			}
			if (*p) {
				p[0] = p[1] = ' ';
				p++;
			}
		}
	}
}

/* Seconds as packetdrill writes them ("0", ".01", "1.5") into nanoseconds. */
static int parse_secs(const char **pp, vtime_t *out)
{
	const char *p = *pp;
	int64_t whole = 0, frac = 0, scale = VTIME_S;
	bool digits = false;

	while (isdigit((unsigned char)*p)) {
		whole = whole * 10 + (*p++ - '0');
		digits = true;
		if (whole > 100000000)
			return -EINVAL;
	}
	/* A '.' starts decimals, unless it begins the "..." of a blocking call. */
	if (*p == '.' && p[1] != '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			scale /= 10;
			frac += (*p++ - '0') * scale;
			digits = true;
		}
	}
	if (!digits)
		return -EINVAL;
	*out = whole * VTIME_S + frac;
	*pp = p;
	return 0;
}

static int parse_point(const char **pp, enum tkind *k, vtime_t *v)
{
	if (**pp == '*') {
		(*pp)++;
		*k = T_ANY;
		*v = 0;
		return 0;
	}
	*k = T_ABS;
	if (**pp == '+') {
		*k = T_REL;
		(*pp)++;
	}
	return parse_secs(pp, v);
}

static int parse_time(const char *tok, struct ptime *t)
{
	const char *p = tok;

	memset(t, 0, sizeof(*t));
	if (parse_point(&p, &t->lo_kind, &t->lo))
		return -EINVAL;
	t->hi_kind = t->lo_kind;
	t->hi = t->lo;
	if (*p == '~') {
		p++;
		t->range = true;
		if (parse_point(&p, &t->hi_kind, &t->hi))
			return -EINVAL;
	} else if (strncmp(p, "...", 3) == 0) {
		p += 3;
		t->blocking = true;
		if (parse_secs(&p, &t->end))
			return -EINVAL;
	}
	return *p ? -EINVAL : 0;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int parse_u32(const char **pp, uint32_t *v)
{
	char *end;
	unsigned long long x = strtoull(*pp, &end, 0);

	if (end == *pp || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	*pp = end;
	return 0;
}

/* "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>" */
static int parse_opts(const char *s, size_t n, struct ppkt *pk, char *why, size_t wl)
{
	char buf[512];

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strcmp(buf, "...") == 0) {
		pk->any_opts = true;
		return 0;
	}
	pk->has_opts = true;
	size_t tl = 0;
	char *save = NULL;
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		const char *p = skip_ws(item);
		uint32_t a, b;
		char norm[96];
		if (strncmp(p, "mss ", 4) == 0) {
			p += 4;
			if (parse_u32(&p, &a))
				return -EINVAL;
			pk->opts.present |= SEG_OPT_MSS;
			pk->opts.mss = (uint16_t)a;
			snprintf(norm, sizeof(norm), "mss %u", a);
		} else if (strncmp(p, "sackOK", 6) == 0) {
			pk->opts.present |= SEG_OPT_SACKOK;
			snprintf(norm, sizeof(norm), "sackOK");
		} else if (strncmp(p, "TS val ", 7) == 0) {
			p += 7;
			if (parse_u32(&p, &a))
				return -EINVAL;
			p = skip_ws(p);
			if (strncmp(p, "ecr ", 4))
				return -EINVAL;
			p += 4;
			if (parse_u32(&p, &b))
				return -EINVAL;
			pk->opts.present |= SEG_OPT_TS;
			pk->opts.ts_val = a;
			pk->opts.ts_ecr = b;
			snprintf(norm, sizeof(norm), "TS");
		} else if (strncmp(p, "nop", 3) == 0) {
			snprintf(norm, sizeof(norm), "nop");
		} else if (strncmp(p, "wscale ", 7) == 0) {
			p += 7;
			if (parse_u32(&p, &a))
				return -EINVAL;
			pk->opts.present |= SEG_OPT_WSCALE;
			pk->opts.wscale = (uint8_t)a;
			snprintf(norm, sizeof(norm), "wscale %u", a);
		} else if (strncmp(p, "sack ", 5) == 0) {
			p += 5;
			pk->opts.present |= SEG_OPT_SACK;
			snprintf(norm, sizeof(norm), "sack");
			while (*(p = skip_ws(p)) && pk->opts.nsack < SEG_MAX_SACK) {
				if (parse_u32(&p, &a) || *p++ != ':' || parse_u32(&p, &b))
					return -EINVAL;
				pk->opts.sack[pk->opts.nsack++] = (struct seg_sack){ a, b };
				size_t l = strlen(norm);
				snprintf(norm + l, sizeof(norm) - l, " %u:%u", a, b);
			}
		} else if (strncmp(p, "eol", 3) == 0) {
			snprintf(norm, sizeof(norm), "eol");
		} else {
			snprintf(why, wl, "the option \"%s\" is not modelled", p);
			return -ENOTSUP;
		}
		tl += (size_t)snprintf(pk->opts_text + tl, sizeof(pk->opts_text) - tl, "%s%s",
				       tl ? "," : "", norm);
	}
	return 0;
}

static int parse_packet(const char *p, struct ppkt *pk, char *why, size_t wl)
{
	memset(pk, 0, sizeof(*pk));
	pk->inbound = *p == '<';
	p = skip_ws(p + 1);
	if (*p == '[' || *p == '(') {
		snprintf(why, wl, "ECN marks on packets are not modelled");
		return -ENOTSUP;
	}
	const char *f = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (!(p - f == 1 && *f == '-')) {
		size_t bad;
		for (const char *q = f; q < p; q++)
			if (*q == 'A' || isdigit((unsigned char)*q)) {
				snprintf(why, wl, "AccECN flags are not modelled");
				return -ENOTSUP;
			}
		if (seg_flags_parse(f, (size_t)(p - f), &pk->flags, &bad)) {
			snprintf(why, wl, "bad flags \"%.*s\"", (int)(p - f), f);
			return -EINVAL;
		}
	}
	p = skip_ws(p);
	uint32_t start, end, len;
	if (parse_u32(&p, &start) || *p++ != ':' || parse_u32(&p, &end) || *p++ != '(' ||
	    parse_u32(&p, &len) || *p++ != ')') {
		snprintf(why, wl, "expected START:END(LEN)");
		return -EINVAL;
	}
	if (end - start != len) {
		snprintf(why, wl, "END must be START + LEN");
		return -EINVAL;
	}
	pk->start = start;
	pk->len = len;
	for (;;) {
		p = skip_ws(p);
		if (!*p)
			break;
		uint32_t v;
		if (strncmp(p, "ack ", 4) == 0) {
			p += 4;
			if (parse_u32(&p, &pk->ack))
				return -EINVAL;
			pk->has_ack = true;
		} else if (strncmp(p, "win ", 4) == 0) {
			p += 4;
			if (parse_u32(&p, &v) || v > 65535)
				return -EINVAL;
			pk->win = (uint16_t)v;
			pk->has_win = true;
		} else if (strncmp(p, "urg ", 4) == 0) {
			snprintf(why, wl, "urgent data is not modelled");
			return -ENOTSUP;
		} else if (*p == '<') {
			const char *e = strchr(p, '>');
			if (!e) {
				snprintf(why, wl, "options not closed with '>'");
				return -EINVAL;
			}
			int rc = parse_opts(p + 1, (size_t)(e - p - 1), pk, why, wl);
			if (rc)
				return rc == -ENOTSUP ? rc : (snprintf(why, wl, "bad options"), -EINVAL);
			p = e + 1;
		} else {
			snprintf(why, wl, "unexpected \"%s\"", p);
			return -EINVAL;
		}
	}
	return 0;
}

/* name(a, b, ...) = RESULT [ERRNO (text)] */
static int parse_call(const char *p, struct pcall *c, char *why, size_t wl)
{
	const char *open = strchr(p, '(');

	memset(c, 0, sizeof(*c));
	if (!open || (size_t)(open - p) >= sizeof(c->name)) {
		snprintf(why, wl, "expected a system call");
		return -EINVAL;
	}
	memcpy(c->name, p, (size_t)(open - p));
	const char *q = open + 1, *a = q;
	int depth = 0;
	for (;; q++) {
		if (!*q) {
			snprintf(why, wl, "unbalanced parentheses");
			return -EINVAL;
		}
		if (*q == '(' || *q == '[' || *q == '{')
			depth++;
		else if ((*q == ')' || *q == ']' || *q == '}') && depth)
			depth--;
		else if ((*q == ',' || *q == ')') && !depth) {
			if (c->nargs == MAX_ARGS)
				return -EINVAL;
			const char *s = skip_ws(a), *e = q;
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			c->args[c->nargs] = strndup(s, (size_t)(e - s));
			if (!c->args[c->nargs])
				return -ENOMEM;
			if (*c->args[c->nargs] || *q == ',')
				c->nargs++;
			else
				free(c->args[c->nargs]);
			a = q + 1;
			if (*q == ')')
				break;
		}
	}
	p = skip_ws(q + 1);
	if (*p != '=') {
		snprintf(why, wl, "expected '= RESULT' after the call");
		return -EINVAL;
	}
	p = skip_ws(p + 1);
	char *end;
	c->result = strtol(p, &end, 0);
	if (end == p) {
		snprintf(why, wl, "expected a result");
		return -EINVAL;
	}
	p = skip_ws(end);
	if (*p) {
		char name[32];
		size_t n = 0;
		while (*p && (isalnum((unsigned char)*p) || *p == '_') && n < sizeof(name) - 1)
			name[n++] = *p++;
		name[n] = '\0';
		c->err = err_from_name(name);
		if (!c->err) {
			snprintf(why, wl, "unknown errno \"%s\"", name);
			return -EINVAL;
		}
	}
	return 0;
}

static void free_script(struct script *sc)
{
	for (int i = 0; i < sc->nev; i++) {
		for (int k = 0; k < sc->ev[i].call.nargs; k++)
			free(sc->ev[i].call.args[k]);
		free(sc->ev[i].text);
	}
	free(sc->ev);
	free(sc->init);
}

/* Parses the whole script; on error says why (with the line) and returns -EINVAL,
 * or -ENOTSUP for something tcpsim does not model. */
static int parse_script(struct run *r, struct script *sc, char *text)
{
	char why[512];
	int line = 1;

	strip_comments(text);
	sc->tolerance = 4000 * VTIME_US;
	for (char *p = text; *p;) {
		char *eol = strchr(p, '\n');
		int this_line = line;
		/* A backtick command may span lines. */
		char *tick = strchr(p, '`');
		if (tick && (!eol || tick < eol)) {
			char *close = strchr(tick + 1, '`');
			if (!close) {
				bad(r, this_line, "unterminated backtick command");
				return -EINVAL;
			}
			for (char *q = p; q < close; q++)
				line += *q == '\n';
			eol = strchr(close, '\n');
		}
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char *ln = strndup(p, n);
		p += n + (eol ? 1 : 0);
		line += eol ? 1 : 0;
		if (!ln)
			return -ENOMEM;
		char *s = (char *)skip_ws(ln);
		size_t l = strlen(s);
		while (l && isspace((unsigned char)s[l - 1]))
			s[--l] = '\0';
		if (!*s) {
			free(ln);
			continue;
		}
		if (strncmp(s, "--", 2) == 0) {
			char *eq = strchr(s, '=');
			vtime_t v = 0;
			if (eq)
				v = strtoll(eq + 1, NULL, 10) * VTIME_US;
			if (!strncmp(s, "--tolerance_usecs=", 18))
				sc->tolerance = v;
			else if (!strncmp(s, "--tcp_ts_tick_usecs=", 20))
				sc->ts_tick = v;
			else if (!strncmp(s, "--mss=", 6))
				sc->mss = (int)strtol(eq + 1, NULL, 10);
			/* --ip_version, --local_ip... describe the kernel runner's setup. */
			free(ln);
			continue;
		}
		if (*s == '`') {
			if (!sc->nev && !sc->init) {
				sc->init = strdup(s);
				free(ln);
				if (!sc->init)
					return -ENOMEM;
				continue;
			}
			/* A trailing command (the cleanup): it restores what was never set. */
			free(ln);
			continue;
		}
		if (sc->nev == sc->cap) {
			int cap = sc->cap ? sc->cap * 2 : 32;
			struct event *ev = realloc(sc->ev, (size_t)cap * sizeof(*ev));
			if (!ev) {
				free(ln);
				return -ENOMEM;
			}
			sc->ev = ev;
			sc->cap = cap;
		}
		struct event *e = &sc->ev[sc->nev];
		memset(e, 0, sizeof(*e));
		e->line = this_line;
		char *sp = s;
		while (*sp && *sp != ' ' && *sp != '\t')
			sp++;
		char save = *sp;
		*sp = '\0';
		int rc = parse_time(s, &e->t);
		*sp = save;
		const char *act = skip_ws(sp);
		if (rc) {
			bad(r, this_line, "expected a time such as 0, +.01, 0.1~0.2 or +0...0.2");
			free(ln);
			return -EINVAL;
		}
		e->text = strdup(act);
		sc->nev++;
		if (*act == '<' || *act == '>') {
			e->kind = E_PACKET;
			rc = parse_packet(act, &e->pkt, why, sizeof(why));
		} else if (*act == '`') {
			e->kind = E_COMMAND;
		} else if (strncmp(act, "%{", 2) == 0) {
			e->kind = E_CODE;
		} else {
			e->kind = E_CALL;
			rc = parse_call(act, &e->call, why, sizeof(why));
		}
		free(ln);
		if (rc == -ENOTSUP) {
			skip(r, this_line, "%s", why);
			return rc;
		}
		if (rc) {
			bad(r, this_line, "%s", why);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- sysctls */

/* Sysctls that tune what tcpsim does not model (congestion control, ECN, TSO,
 * pacing, Fast Open...): accepted, and listed in doc/packetdrill.md. */
static const char *const unmodelled[] = {
	"tcp_frto", "tcp_dsack", "tcp_fack", "tcp_reordering", "tcp_congestion_control",
	"tcp_slow_start_after_idle", "tcp_recovery", "tcp_tso_win_divisor", "tcp_ecn",
	"tcp_ecn_option", "tcp_pacing_ss_ratio", "tcp_pacing_ca_ratio", "tcp_notsent_lowat",
	"tcp_fastopen", "tcp_fastopen_key", "tcp_syncookies", "tcp_min_tso_segs",
	"tcp_autocorking", "tcp_mtu_probing", "tcp_no_metrics_save", NULL,
};

/* "net.ipv4.tcp_x" = "v" (or the /proc/sys path form) onto the endpoint's knobs. */
static int set_sysctl(struct run *r, int line, const char *key, const char *value)
{
	struct tcp_config *c = host_config(r->h);
	char why[256], v[128];
	const char *name = strrchr(key, '.');
	const char *slash = strrchr(key, '/');

	if (slash && (!name || slash > name))
		name = slash;
	name = name ? name + 1 : key;
	snprintf(v, sizeof(v), "%s", value);
	if (!strcmp(name, "tcp_rmem") || !strcmp(name, "tcp_wmem")) {
		long a, b, m;
		if (sscanf(v, "%ld %ld %ld", &a, &b, &m) != 3)
			return bad(r, line, "%s takes three numbers", name), -EINVAL;
		char num[32];
		snprintf(num, sizeof(num), "%ld", b);
		knob_set(c, name, num, why, sizeof(why));
		if (name[4] == 'r') {
			snprintf(num, sizeof(num), "%ld", m);
			knob_set(c, "tcp_rmem_max", num, why, sizeof(why));
		}
		return 0;
	}
	if (!strcmp(name, "tcp_early_retrans")) {
		/* 3 and 4 turn the tail loss probe on; 0 to 2 leave it off. */
		c->r.tlp = atoi(v) >= 3;
		return 0;
	}
	for (int i = 0; unmodelled[i]; i++)
		if (!strcmp(name, unmodelled[i]))
			return 0;
	const struct knob_desc *d = knob_find(name);
	if (!d || d->type == KNOB_DURATION)
		return skip(r, line, "sysctl %s is not modelled", key), -ENOTSUP;
	if (knob_set(c, name, v, why, sizeof(why)))
		return bad(r, line, "sysctl %s: %s", key, why), -EINVAL;
	return 0;
}

/* The shell's $((...)) with + - * / on integers, as defaults.sh writes
 * $((15*1024*1024)); anything else is copied as it is. */
static long arith(const char **p);

static long arith_atom(const char **p)
{
	while (**p == ' ')
		(*p)++;
	if (**p == '(') {
		(*p)++;
		long v = arith(p);
		if (**p == ')')
			(*p)++;
		return v;
	}
	return strtol(*p, (char **)p, 10);
}

static long arith_term(const char **p)
{
	long v = arith_atom(p);

	for (;;) {
		while (**p == ' ')
			(*p)++;
		if (**p == '*') {
			(*p)++;
			v *= arith_atom(p);
		} else if (**p == '/') {
			(*p)++;
			long d = arith_atom(p);
			v = d ? v / d : 0;
		} else {
			return v;
		}
	}
}

static long arith(const char **p)
{
	long v = arith_term(p);

	for (;;) {
		while (**p == ' ')
			(*p)++;
		if (**p == '+') {
			(*p)++;
			v += arith_term(p);
		} else if (**p == '-') {
			(*p)++;
			v -= arith_term(p);
		} else {
			return v;
		}
	}
}

static void expand_arith(const char *in, char *out, size_t len)
{
	size_t n = 0;

	while (*in && n + 1 < len) {
		if (!strncmp(in, "$((", 3)) {
			const char *p = in + 3;
			long v = arith(&p);
			if (!strncmp(p, "))", 2)) {
				n += (size_t)snprintf(out + n, len - n, "%ld", v);
				in = p + 2;
				continue;
			}
		}
		out[n++] = *in++;
	}
	out[n] = '\0';
}

/* Interprets a shell command the way packetdrill's helpers mean it, never running it:
 * sysctl -q k=v ..., set_sysctls.py /proc/sys/...=v ..., a defaults script read line
 * by line, and the harmless setup commands (tcp_metrics flush, qdisc). */
static int command(struct run *r, int line, const char *cmd, int depth);

static int run_lines(struct run *r, int line, char *text, int depth)
{
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int rc = command(r, line, l, depth);
		if (rc)
			return rc;
	}
	return 0;
}

static int command(struct run *r, int line, const char *cmd, int depth)
{
	char buf[2048];
	char *w[32];
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", cmd);
	for (char *p = buf; *p; p++)
		if (*p == '`' || *p == '\n')
			*p = ' ';
	char *hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	char *save = NULL;
	for (char *t = strtok_r(buf, " \t;", &save); t && n < 32; t = strtok_r(NULL, " \t;", &save))
		w[n++] = t;
	if (!n || depth > 4)
		return 0;
	if (!strcmp(w[0], "sysctl")) {
		for (int i = 1; i < n; i++) {
			if (w[i][0] == '-' || w[i][0] == '>')
				continue;
			char *eq = strchr(w[i], '=');
			if (!eq)
				continue;
			*eq = '\0';
			char *key = w[i], *val = eq + 1;
			/* "4096 540000 15728640" arrives quoted and split: join it again. */
			char joined[128];
			if (*val == '"') {
				snprintf(joined, sizeof(joined), "%s", val + 1);
				while (!strchr(joined, '"') && i + 1 < n) {
					size_t l = strlen(joined);
					snprintf(joined + l, sizeof(joined) - l, " %s", w[++i]);
				}
				char *q = strchr(joined, '"');
				if (q)
					*q = '\0';
				val = joined;
			}
			char expanded[160];
			expand_arith(val, expanded, sizeof(expanded));
			int rc = set_sysctl(r, line, key, expanded);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (strstr(w[0], "set_sysctls.py")) {
		for (int i = 1; i < n; i++) {
			char *eq = strchr(w[i], '=');
			if (!eq)
				continue;
			*eq = '\0';
			int rc = set_sysctl(r, line, w[i], eq + 1);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (!strcmp(w[0], "ip") || !strcmp(w[0], "tc") || !strncmp(w[0], "#!", 2) ||
	    strstr(w[0], "sysctl_restore"))
		return 0; /* no route metrics, no qdisc, nothing to restore in the model */
	size_t l = strlen(w[0]);
	if (l > 3 && !strcmp(w[0] + l - 3, ".sh")) {
		char path[2048];
		snprintf(path, sizeof(path), "%s%s%s", w[0][0] == '/' ? "" : r->sc->dir,
			 w[0][0] == '/' ? "" : "/", w[0]);
		char *text = read_all(path);
		if (!text)
			return skip(r, line, "cannot read %s", path), -ENOTSUP;
		int rc = run_lines(r, line, text, depth + 1);
		free(text);
		return rc;
	}
	return skip(r, line, "the command \"%s\" cannot be interpreted", w[0]), -ENOTSUP;
}

/* ---------------------------------------------------------------- the world */

static void observe(void *ctx, const struct world_event *ev)
{
	struct run *r = ctx;
	char line[512], t[VTIME_BUFSZ], fl[10], o[160];

	vtime_format_fixed(t, sizeof(t), ev->time);
	if (ev->kind == WEV_SEG_SEND || ev->kind == WEV_SEG_INJECT) {
		const struct seg *g = ev->seg;
		char ack[24] = "";
		if (g->flags & SEG_ACK)
			snprintf(ack, sizeof(ack), " ack %" PRIu32, g->ack);
		seg_opts_str(&g->opt, o, sizeof(o));
		snprintf(line, sizeof(line), "%14ss  %s %s %" PRIu32 ":%" PRIu32 "(%" PRIu32 ")%s "
			 "win %u%s%s%s", t, ev->net->from == r->local ? ">" : "<",
			 seg_flags_str(g->flags, fl), g->seq, g->seq + g->len, g->len, ack, g->wnd,
			 o[0] ? " <" : "", o, o[0] ? ">" : "");
	} else if (ev->kind == WEV_TCP_STATE) {
		snprintf(line, sizeof(line), "%14ss  state %s -> %s%s%s%s", t,
			 tcp_state_name(ev->tcp->from), tcp_state_name(ev->tcp->to),
			 ev->tcp->reason ? " (" : "", ev->tcp->reason ? ev->tcp->reason : "",
			 ev->tcp->reason ? ")" : "");
	} else if (ev->kind == WEV_TCP_CALL) {
		snprintf(line, sizeof(line), "%14ss  %s(%d) = %ld%s%s", t, ev->tcp->call, ev->tcp->fd,
			 ev->tcp->result < 0 ? -1 : ev->tcp->result,
			 ev->tcp->result < 0 ? " " : "",
			 ev->tcp->result < 0 && err_name((int)ev->tcp->result)
				 ? err_name((int)ev->tcp->result) : "");
	} else {
		return;
	}
	if (r->o->verbose)
		say(r, "%s\n", line);
	char *copy = strdup(line);
	if (!copy)
		return;
	if (r->log_n == LOG_KEEP) {
		free(r->log[r->log_head]);
		r->log[r->log_head] = copy;
		r->log_head = (r->log_head + 1) % LOG_KEEP;
	} else {
		r->log[(r->log_head + r->log_n++) % LOG_KEEP] = copy;
	}
}

/* The remote end: whatever the endpoint sends is kept for ">" lines. */
static void captured(void *ctx, const struct seg *s)
{
	struct run *r = ctx;

	if (r->ncap == MAX_CAPTURE)
		return;
	r->cap[r->ncap].t = world_now(r->w);
	r->cap[r->ncap].s = *s;
	r->cap[r->ncap].s.data = NULL;
	r->ncap++;
	if (!r->local_port)
		r->local_port = s->sport;
}

static vtime_t now(const struct run *r)
{
	return world_now(r->w);
}

static vtime_t tolerance(const struct run *r, vtime_t t)
{
	vtime_t gap = t - r->prev, pct = gap > 0 ? gap / 8 : 0; /* 12.5% */

	return r->sc->tolerance > pct ? r->sc->tolerance : pct;
}

static void check_pending(struct run *r);

/* Runs the world to `until` (or while cond is false), checking a blocking call in
 * flight after every event. */
static bool advance(struct run *r, vtime_t until, bool (*cond)(struct run *))
{
	struct evq *q = world_evq(r->w);

	for (;;) {
		check_pending(r);
		if (cond && cond(r))
			return true;
		vtime_t next;
		if (evq_peek(q, &next) || next > until) {
			if (until > now(r))
				evq_run_until(q, until, 0);
			check_pending(r);
			return cond ? cond(r) : true;
		}
		evq_step(q);
	}
}

static vtime_t resolve(const struct run *r, enum tkind k, vtime_t v)
{
	return k == T_REL ? r->prev + v : k == T_ABS ? v : now(r);
}

/* ---------------------------------------------------------------- packets */

/* The options of a segment in packetdrill's notation, as Linux lays them out. */
static void opts_text(const struct seg_opts *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
#define ADD(...) n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__)
	if (o->present & SEG_OPT_MSS)
		ADD("%smss %u", n ? "," : "", o->mss);
	if (o->present & SEG_OPT_TS)
		ADD("%s%s,TS", n ? "," : "", (o->present & SEG_OPT_SACKOK) ? "sackOK" : "nop,nop");
	else if (o->present & SEG_OPT_SACKOK)
		ADD("%snop,nop,sackOK", n ? "," : "");
	if (o->present & SEG_OPT_WSCALE)
		ADD("%snop,wscale %u", n ? "," : "", o->wscale);
	if ((o->present & SEG_OPT_SACK) && o->nsack) {
		ADD("%snop,nop,sack", n ? "," : "");
		for (int i = 0; i < o->nsack; i++)
			ADD(" %u:%u", o->sack[i].left, o->sack[i].right);
	}
#undef ADD
}

static void describe(const struct seg *g, char *buf, size_t len)
{
	char fl[10], o[200];

	opts_text(&g->opt, o, sizeof(o));
	if (g->opt.present & SEG_OPT_TS) {
		char *ts = strstr(o, "TS");
		if (ts) {
			char rest[200];
			snprintf(rest, sizeof(rest), "%s", ts + 2);
			snprintf(ts, sizeof(o) - (size_t)(ts - o), "TS val %u ecr %u%s", g->opt.ts_val,
				 g->opt.ts_ecr, rest);
		}
	}
	size_t n = (size_t)snprintf(buf, len, "%s %u:%u(%u)", seg_flags_str(g->flags, fl), g->seq,
				    g->seq + g->len, g->len);
	if ((g->flags & SEG_ACK) && n < len)
		n += (size_t)snprintf(buf + n, len - n, " ack %u", g->ack);
	if (n < len)
		snprintf(buf + n, len - n, " win %u%s%s%s", g->wnd, o[0] ? " <" : "", o,
			 o[0] ? ">" : "");
}

static bool have_capture(struct run *r)
{
	return r->capped < r->ncap;
}

static void outbound(struct run *r, const struct event *e)
{
	const struct ppkt *pk = &e->pkt;
	vtime_t lo = resolve(r, e->t.lo_kind, e->t.lo), hi = resolve(r, e->t.hi_kind, e->t.hi);
	bool any = e->t.lo_kind == T_ANY;
	vtime_t tol = tolerance(r, lo);
	char want[512], got[256];

	snprintf(want, sizeof(want), "%s", e->text + 1);
	advance(r, any ? now(r) + 30 * VTIME_MIN : hi + tol, have_capture);
	/* Not in time: look further, so a late packet is reported as late, by how much. */
	if (!have_capture(r) && !any)
		advance(r, hi + tol + 2 * VTIME_MIN, have_capture);
	if (!have_capture(r)) {
		fail(r, e, "error handling packet", "timed out waiting for packet: expected:%s", want);
		return;
	}
	struct seg g = r->cap[r->capped].s;
	vtime_t at = r->cap[r->capped].t;
	r->capped++;
	/* Aggregation: one script packet may stand for several consecutive segments. */
	while (g.len < pk->len && !(g.flags & (SEG_FIN | SEG_SYN | SEG_RST))) {
		if (!have_capture(r))
			advance(r, (any ? at : hi) + tol, have_capture);
		if (!have_capture(r) || r->cap[r->capped].s.seq != g.seq + g.len)
			break;
		const struct seg *n = &r->cap[r->capped++].s;
		g.len += n->len;
		g.flags |= n->flags;
		g.ack = n->ack;
		g.wnd = n->wnd;
		g.opt = n->opt;
	}
	describe(&g, got, sizeof(got));
	if (!any && (at < lo - tol || at > hi + tol)) {
		char a[VTIME_BUFSZ], b[VTIME_BUFSZ], c[VTIME_BUFSZ], d[VTIME_BUFSZ];
		fail(r, e, "error handling packet",
		     "timing error: expected outbound packet at %s sec but happened at %s sec; "
		     "tolerance %s sec (%s by %s)", vtime_format_fixed(a, sizeof(a), lo),
		     vtime_format_fixed(b, sizeof(b), at), vtime_format_fixed(c, sizeof(c), tol),
		     at < lo ? "early" : "late",
		     vtime_format(d, sizeof(d), at < lo ? lo - at : at - hi));
		return;
	}
	const char *field = NULL;
	char detail[640] = "";
	if (g.flags != pk->flags) {
		char f1[10], f2[10];
		field = "tcp flags";
		snprintf(detail, sizeof(detail), "expected %s vs actual %s",
			 seg_flags_str(pk->flags, f1), seg_flags_str(g.flags, f2));
	} else if (g.seq != pk->start) {
		field = "tcp_seq";
		snprintf(detail, sizeof(detail), "expected %u vs actual %u", pk->start, g.seq);
	} else if (g.len != pk->len) {
		field = "tcp payload length";
		snprintf(detail, sizeof(detail), "expected %u vs actual %u", pk->len, g.len);
	} else if (pk->has_ack && g.ack != pk->ack) {
		field = "tcp_ack_seq";
		snprintf(detail, sizeof(detail), "expected %u vs actual %u", pk->ack, g.ack);
	} else if (pk->has_win && g.wnd != pk->win) {
		field = "tcp_window";
		snprintf(detail, sizeof(detail), "expected %u vs actual %u", pk->win, g.wnd);
	} else if (!pk->any_opts) {
		char o[256];
		opts_text(&g.opt, o, sizeof(o));
		if (strcmp(o, pk->has_opts ? pk->opts_text : "")) {
			field = "tcp options";
			snprintf(detail, sizeof(detail), "expected <%s> vs actual <%s>",
				 pk->has_opts ? pk->opts_text : "", o);
		} else if (g.opt.present & SEG_OPT_TS) {
			/* TS val is rebased on the first one seen, and checked only with
			 * --tcp_ts_tick_usecs; ecr echoes the script's own values. */
			if (!r->ts_known) {
				r->ts_known = true;
				r->ts_script_first = pk->opts.ts_val;
				r->ts_actual_first = g.opt.ts_val;
			}
			int64_t want_ticks = (int32_t)(pk->opts.ts_val - r->ts_script_first);
			int64_t got_ticks = (int32_t)(g.opt.ts_val - r->ts_actual_first);
			int64_t diff = want_ticks > got_ticks ? want_ticks - got_ticks
							      : got_ticks - want_ticks;
			if (g.opt.ts_ecr != pk->opts.ts_ecr) {
				field = "tcp TS ecr";
				snprintf(detail, sizeof(detail), "expected %u vs actual %u",
					 pk->opts.ts_ecr, g.opt.ts_ecr);
			} else if (r->sc->ts_tick && diff * r->sc->ts_tick > tol) {
				field = "tcp TS val";
				snprintf(detail, sizeof(detail), "expected %u vs actual %u",
					 pk->opts.ts_val,
					 r->ts_script_first + (uint32_t)got_ticks);
			}
		}
	}
	if (field)
		fail(r, e, "error handling packet", "live packet field %s: %s\n  script packet: %s\n"
		     "  actual packet: %s", field, detail, want, got);
}

static void inbound(struct run *r, const struct event *e)
{
	const struct ppkt *pk = &e->pkt;
	struct net *net = world_net(r->w);
	struct seg *g = net_seg_alloc(net);

	if (!g)
		return;
	g->saddr = REMOTE_ADDR;
	g->daddr = LOCAL_ADDR;
	g->sport = r->remote_port;
	g->dport = r->local_port ? r->local_port : SCRIPT_PORT;
	g->flags = pk->flags;
	g->seq = pk->start;
	g->len = pk->len;
	g->ack = pk->ack;
	g->wnd = pk->has_win ? pk->win : 65535;
	g->opt = pk->opts;
	if ((g->opt.present & SEG_OPT_TS) && r->ts_known)
		g->opt.ts_ecr = r->ts_actual_first + (g->opt.ts_ecr - r->ts_script_first);
	net_inject(net, g, 0);
}

/* ---------------------------------------------------------------- system calls */

static int arg_fd(const struct pcall *c)
{
	return c->nargs ? atoi(c->args[0]) : -1;
}

/* The value in "[1]", or a plain number. */
static long arg_num(const char *a)
{
	if (*a == '[')
		a++;
	return strtol(a, NULL, 0);
}

static bool has_word(const char *a, const char *w)
{
	const char *p = strstr(a, w);
	size_t l = strlen(w);

	return p && (p == a || !isalnum((unsigned char)p[-1])) &&
	       !isalnum((unsigned char)p[l]) && p[l] != '_';
}

static void judge(struct run *r, const struct event *e, long got, vtime_t at)
{
	const struct pcall *c = &e->call;
	char a[64], b[64];

	if (got >= 0 && got == c->result && !c->err)
		return;
	if (got < 0 && c->result == -1 && -got == c->err)
		return;
	if (got >= 0)
		snprintf(a, sizeof(a), "%ld", got);
	else
		snprintf(a, sizeof(a), "-1 %s", err_name((int)got) ? err_name((int)got) : "?");
	if (c->err)
		snprintf(b, sizeof(b), "%ld %s", c->result, err_name(c->err));
	else
		snprintf(b, sizeof(b), "%ld", c->result);
	char t[VTIME_BUFSZ];
	fail(r, e, "runtime error in", "%s call: expected result %s but got %s at %ss", c->name,
	     b, a, vtime_format_fixed(t, sizeof(t), at));
}

enum { CALL_DONE, CALL_BLOCKS };

/* One attempt at a call that may block. */
static int attempt(struct run *r, const struct event *e, long *res)
{
	const struct pcall *c = &e->call;
	struct host *h = r->h;
	int fd = arg_fd(c);
	bool nb = sock_is_nonblock(h, fd);

	if (!strcmp(c->name, "accept")) {
		*res = sock_accept(h, fd);
		return *res == -EAGAIN && !nb ? CALL_BLOCKS : CALL_DONE;
	}
	if (!strcmp(c->name, "connect")) {
		enum tcp_state s = host_sock_state(h, (uint32_t)sock_id(h, fd));
		if (r->pending) {
			if (s == TCPS_SYN_SENT || s == TCPS_SYN_RECEIVED)
				return CALL_BLOCKS;
			*res = sock_connect_result(h, fd);
			return CALL_DONE;
		}
		r->remote_port = SCRIPT_PORT;
		*res = sock_connect(h, fd, REMOTE_ADDR, SCRIPT_PORT);
		return *res == -EINPROGRESS && !nb ? CALL_BLOCKS : CALL_DONE;
	}
	if (!strcmp(c->name, "read") || !strcmp(c->name, "recv")) {
		*res = sock_recv(h, fd, NULL, c->nargs > 2 ? (size_t)arg_num(c->args[2]) : 0);
		return *res == -EAGAIN && !nb ? CALL_BLOCKS : CALL_DONE;
	}
	if (!strcmp(c->name, "write") || !strcmp(c->name, "send")) {
		uint64_t total = c->nargs > 2 ? (uint64_t)arg_num(c->args[2]) : 0;
		while (r->pend_sent < total) {
			long n = sock_send(h, fd, NULL, total - r->pend_sent, 0);
			if (n > 0) {
				r->pend_sent += (uint64_t)n;
				if (nb)
					break;
				continue;
			}
			if (n == -EAGAIN && !nb)
				return CALL_BLOCKS;
			*res = r->pend_sent ? (long)r->pend_sent : n;
			r->pend_sent = 0;
			return CALL_DONE;
		}
		*res = (long)r->pend_sent;
		r->pend_sent = 0;
		return CALL_DONE;
	}
	*res = -ENOSYS;
	return CALL_DONE;
}

static void check_pending(struct run *r)
{
	long res;

	if (!r->pending)
		return;
	if (attempt(r, r->pend_ev, &res) == CALL_BLOCKS)
		return;
	r->pending = false;
	vtime_t at = now(r), tol = tolerance(r, r->pend_end);
	if (at < r->pend_end - tol || at > r->pend_end + tol) {
		char a[VTIME_BUFSZ], b[VTIME_BUFSZ];
		fail(r, r->pend_ev, "runtime error in", "%s call: expected to return at %s sec "
		     "but returned at %s sec", r->pend_ev->call.name,
		     vtime_format_fixed(a, sizeof(a), r->pend_end),
		     vtime_format_fixed(b, sizeof(b), at));
		return;
	}
	judge(r, r->pend_ev, res, at);
}

static bool not_pending(struct run *r)
{
	return !r->pending;
}

static void syscall_event(struct run *r, const struct event *e, vtime_t base)
{
	const struct pcall *c = &e->call;
	struct host *h = r->h;
	int fd = arg_fd(c);
	long res = 0;

	if (!strcmp(c->name, "socket")) {
		res = sock_socket(h);
		if (res >= 0 && c->nargs > 1 && has_word(c->args[1], "SOCK_NONBLOCK"))
			sock_set_nonblock(h, (int)res, true);
	} else if (!strcmp(c->name, "bind")) {
		res = sock_bind(h, fd, SCRIPT_PORT);
		if (!res)
			r->local_port = SCRIPT_PORT;
	} else if (!strcmp(c->name, "listen")) {
		res = sock_listen(h, fd, c->nargs > 1 ? (int)arg_num(c->args[1]) : 1);
	} else if (!strcmp(c->name, "shutdown")) {
		const char *how = c->nargs > 1 ? c->args[1] : "";
		res = sock_shutdown(h, fd, has_word(how, "SHUT_RDWR") ? SOCK_SHUT_RDWR
					   : has_word(how, "SHUT_WR") ? SOCK_SHUT_WR : SOCK_SHUT_RD);
	} else if (!strcmp(c->name, "close")) {
		res = sock_close(h, fd);
	} else if (!strcmp(c->name, "fcntl")) {
		const char *cmd = c->nargs > 1 ? c->args[1] : "";
		if (has_word(cmd, "F_SETFL"))
			res = sock_set_nonblock(h, fd, c->nargs > 2 && has_word(c->args[2], "O_NONBLOCK"));
		else if (has_word(cmd, "F_GETFL"))
			res = sock_poll(h, fd) < 0 ? -EBADF : 2 | (sock_is_nonblock(h, fd) ? 04000 : 0);
		else
			{ skip(r, e->line, "fcntl %s is not modelled", cmd); return; }
	} else if (!strcmp(c->name, "setsockopt") || !strcmp(c->name, "getsockopt")) {
		const char *opt = c->nargs > 2 ? c->args[2] : "";
		static const struct {
			const char *name;
			enum sock_opt o;
		} map[] = {
			{ "SO_REUSEADDR", SOCKOPT_REUSEADDR }, { "SO_LINGER", SOCKOPT_LINGER },
			{ "SO_RCVBUF", SOCKOPT_RCVBUF },       { "SO_SNDBUF", SOCKOPT_SNDBUF },
			{ "TCP_NODELAY", SOCKOPT_NODELAY },    { "SO_KEEPALIVE", SOCKOPT_KEEPALIVE },
			{ "SO_ERROR", SOCKOPT_ERROR },
		};
		int k = -1;
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (has_word(opt, map[i].name))
				k = (int)i;
		if (k < 0)
			{ skip(r, e->line, "socket option %s is not modelled", opt); return; }
		const char *v = c->nargs > 3 ? c->args[3] : "0";
		if (c->name[0] == 's') {
			int v1 = (int)arg_num(v), v2 = 0;
			if (map[k].o == SOCKOPT_LINGER) {
				const char *on = strstr(v, "onoff="), *l = strstr(v, "linger=");
				v1 = on ? atoi(on + 6) : 0;
				v2 = l ? atoi(l + 7) : 0;
			}
			res = sock_setsockopt(h, fd, map[k].o, v1, v2);
		} else {
			int v1 = 0, v2 = 0;
			res = sock_getsockopt(h, fd, map[k].o, &v1, &v2);
			if (!res && v1 != arg_num(v)) {
				fail(r, e, "runtime error in", "getsockopt %s: expected %ld but got %d",
				     map[k].name, arg_num(v), v1);
				return;
			}
		}
	} else if (!strcmp(c->name, "accept") || !strcmp(c->name, "connect") ||
		   !strcmp(c->name, "read") || !strcmp(c->name, "recv") ||
		   !strcmp(c->name, "write") || !strcmp(c->name, "send")) {
		if (attempt(r, e, &res) == CALL_BLOCKS) {
			if (r->pending)
				{ skip(r, e->line, "two blocking calls at once are not modelled"); return; }
			r->pending = true;
			r->pend_ev = e;
			r->pend_fd = fd;
			/* A blocking call must return at its end time; one without "..."
			 * must return at once, within the tolerance. */
			r->pend_end = e->t.blocking ? base + e->t.end : now(r);
			if (!e->t.blocking) {
				advance(r, now(r) + tolerance(r, now(r)), not_pending);
				if (r->pending) {
					r->pending = false;
					fail(r, e, "runtime error in", "%s call blocked; a call without "
					     "\"...\" must return at once", c->name);
				}
			}
			return;
		}
	} else {
		{ skip(r, e->line, "the system call %s is not modelled", c->name); return; }
	}
	judge(r, e, res, now(r));
}

/* ---------------------------------------------------------------- running */

static void run_events(struct run *r)
{
	struct script *sc = r->sc;

	for (int i = 0; i < sc->nev && !r->failed && !r->skipped; i++) {
		const struct event *e = &sc->ev[i];
		vtime_t base = e->t.lo_kind == T_REL ? r->prev : 0;
		vtime_t t = resolve(r, e->t.lo_kind, e->t.lo);
		if (e->t.range && e->kind != E_PACKET)
			{ bad(r, e->line, "a time range is allowed only on outbound packets"); return; }
		if (e->kind == E_PACKET && e->pkt.inbound && e->t.lo_kind == T_ANY)
			{ bad(r, e->line, "\"*\" is allowed only on outbound packets"); return; }
		if (e->kind == E_PACKET && !e->pkt.inbound) {
			outbound(r, e);
		} else {
			if (t < now(r))
				t = now(r);
			advance(r, t, NULL);
			if (e->kind == E_PACKET)
				inbound(r, e);
			else if (e->kind == E_CALL)
				syscall_event(r, e, base);
			else if (e->kind == E_COMMAND)
				command(r, e->line, e->text, 0);
			else
				skip(r, e->line, "%%{ }%% blocks (tcp_info asserts) are not modelled yet");
		}
		r->prev = e->t.lo_kind == T_ANY ? now(r) : t;
	}
	/* Let a blocking call still in flight finish, as packetdrill waits for its
	 * threads, then check it returned in time. */
	if (r->pending && !r->failed && !r->skipped)
		advance(r, r->pend_end + tolerance(r, r->pend_end), not_pending);
	if (r->pending && !r->failed && !r->skipped)
		fail(r, r->pend_ev, "runtime error in", "%s call never returned",
		     r->pend_ev->call.name);
}

enum pd_result pd_run_file(const char *path, const struct pd_opts *opts)
{
	struct script sc = { .path = path };
	struct run r = { .o = opts, .sc = &sc, .remote_port = REMOTE_PORT };
	char *text = read_all(path);

	if (!text) {
		if (opts->write) {
			char buf[1200];
			snprintf(buf, sizeof(buf), "%s: cannot read the script\n", path);
			opts->write(opts->write_ctx, buf);
		}
		return PD_FAILED;
	}
	const char *slash = strrchr(path, '/');
	snprintf(sc.dir, sizeof(sc.dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	int rc = parse_script(&r, &sc, text);
	free(text);
	if (!rc) {
		r.w = world_new(1, NULL);
		r.cap = calloc(MAX_CAPTURE, sizeof(*r.cap));
		if (!r.w || !r.cap) {
			rc = -ENOMEM;
		} else {
			r.local = world_host_add(r.w, "local", LOCAL_ADDR);
			r.remote = world_host_add(r.w, "remote", REMOTE_ADDR);
			struct link_params lp = { 0 };
			net_link_add(world_net(r.w), r.local, r.remote, &lp, &lp);
			world_host_set_input(r.w, r.remote, captured, &r);
			world_observe(r.w, observe, &r);
			r.h = world_host(r.w, r.local);
			if (opts->profile)
				knob_profile(opts->profile, host_config(r.h));
			/* packetdrill remaps the local ISN; the simulated endpoint simply
			 * starts at 0, as the script writes it. */
			host_fix_iss(r.h, 0, 0);
			if (sc.init)
				command(&r, 1, sc.init, 0);
			if (!r.failed && !r.skipped)
				run_events(&r);
		}
	}
	enum pd_result res = r.skipped ? PD_SKIPPED
			   : (r.failed || rc) ? PD_FAILED : PD_PASSED;
	world_free(r.w);
	free(r.cap);
	for (int i = 0; i < r.log_n; i++)
		free(r.log[(r.log_head + i) % LOG_KEEP]);
	free_script(&sc);
	return res;
}

/* ---------------------------------------------------------------- --to-trace */

struct tw_out {
	struct run *r;
	vtime_t now;
};

static void emit_opts(struct run *r, const struct seg_opts *o)
{
	if (o->present & SEG_OPT_MSS)
		say(r, " mss %u", o->mss);
	if (o->present & SEG_OPT_SACKOK)
		say(r, " sackOK");
	if (o->present & SEG_OPT_WSCALE)
		say(r, " wscale %u", o->wscale);
}

static void emit_result(struct run *r, const struct pcall *c)
{
	if (c->err)
		say(r, " -> %s", err_name(c->err));
	else
		say(r, " -> %ld", c->result);
}

static void emit_inbound(struct run *r, const struct event *e, bool connected, vtime_t after)
{
	const struct ppkt *pk = &e->pkt;
	char fl[10];

	(void)connected;
	/* Explicit ends: they stay right after the connection is gone, and the ports
	 * are known in both modes (the trace fixes the connecting side's port). */
	if (r->remote_port == SCRIPT_PORT)
		say(r, "inject remote:%u>local:%u", SCRIPT_PORT, REMOTE_PORT);
	else
		say(r, "inject remote:%u>local:%u", REMOTE_PORT, SCRIPT_PORT);
	say(r, " %s seq %u", seg_flags_str(pk->flags, fl), pk->start);
	if (pk->has_ack)
		say(r, " ack %u", pk->ack);
	say(r, " win %u", pk->has_win ? pk->win : 65535);
	if (pk->len)
		say(r, " len %u", pk->len);
	emit_opts(r, &pk->opts);
	if (pk->opts.present & SEG_OPT_TS)
		say(r, " ts %u %u", pk->opts.ts_val, pk->opts.ts_ecr);
	if (after > 0) {
		char d[VTIME_BUFSZ];
		say(r, " after %s", vtime_format(d, sizeof(d), after));
	}
	say(r, "                # line %d\n", e->line);
}

/* One expectation per segment: a script packet longer than the MSS stands for
 * several (packetdrill's aggregation); all but the last carry a plain ACK, and the
 * last PSH or FIN flags as written. */
static void emit_outbound(struct run *r, const struct event *e, uint32_t mss)
{
	const struct ppkt *pk = &e->pkt;
	char fl[10];
	uint32_t off = 0;

	do {
		uint32_t n = pk->len - off > mss && mss ? mss : pk->len - off;
		bool last = off + n == pk->len;
		uint8_t flags = last ? pk->flags : (pk->flags & ~(SEG_PSH | SEG_FIN));
		say(r, "expect next local>remote %s seq %u", seg_flags_str(flags, fl), pk->start + off);
		if (pk->has_ack)
			say(r, " ack %u", pk->ack);
		if (pk->has_win)
			say(r, " win %u", pk->win);
		say(r, " len %u", n);
		if (!pk->any_opts)
			emit_opts(r, &pk->opts);
		say(r, "                # line %d\n", e->line);
		off += n;
	} while (off < pk->len);
}

static void emit_call(struct run *r, const struct event *e)
{
	const struct pcall *c = &e->call;
	int fd = arg_fd(c);

	if (!strcmp(c->name, "socket")) {
		say(r, "local socket as s%ld\n", c->result);
		if (c->nargs > 1 && has_word(c->args[1], "SOCK_NONBLOCK"))
			say(r, "local nonblock s%ld\n", c->result);
		return;
	}
	if (!strcmp(c->name, "setsockopt")) {
		const char *opt = c->nargs > 2 ? c->args[2] : "", *v = c->nargs > 3 ? c->args[3] : "0";
		if (has_word(opt, "SO_LINGER")) {
			const char *on = strstr(v, "onoff="), *l = strstr(v, "linger=");
			say(r, "local setsockopt s%d linger %d %d", fd, on ? atoi(on + 6) : 0,
			    l ? atoi(l + 7) : 0);
		} else {
			const char *name = has_word(opt, "SO_REUSEADDR") ? "reuseaddr"
					 : has_word(opt, "SO_RCVBUF") ? "rcvbuf"
					 : has_word(opt, "SO_SNDBUF") ? "sndbuf"
					 : has_word(opt, "TCP_NODELAY") ? "nodelay"
					 : has_word(opt, "SO_KEEPALIVE") ? "keepalive" : NULL;
			if (!name) {
				say(r, "# line %d: setsockopt %s has no equivalent\n", e->line, opt);
				return;
			}
			say(r, "local setsockopt s%d %s %ld", fd, name, arg_num(v));
		}
	} else if (!strcmp(c->name, "bind")) {
		say(r, "local bind s%d %d", fd, SCRIPT_PORT);
	} else if (!strcmp(c->name, "listen")) {
		say(r, "local listen s%d backlog %ld", fd, c->nargs > 1 ? arg_num(c->args[1]) : 1);
	} else if (!strcmp(c->name, "accept")) {
		say(r, "local accept s%d as s%ld\n", fd, c->result);
		r->pend_fd = (int)c->result;
		return;
	} else if (!strcmp(c->name, "connect")) {
		/* packetdrill learns the endpoint's ephemeral port from its SYN; a trace
		 * must name it in advance, so the socket is bound to it first. */
		say(r, "local bind s%d %d\n", fd, REMOTE_PORT);
		say(r, "local connect s%d remote:%d", fd, SCRIPT_PORT);
		r->pend_fd = fd;
	} else if (!strcmp(c->name, "write") || !strcmp(c->name, "send")) {
		say(r, "local send s%d %ld", fd, c->nargs > 2 ? arg_num(c->args[2]) : 0);
	} else if (!strcmp(c->name, "read") || !strcmp(c->name, "recv")) {
		say(r, "local recv s%d %ld", fd, c->nargs > 2 ? arg_num(c->args[2]) : 0);
	} else if (!strcmp(c->name, "shutdown")) {
		const char *how = c->nargs > 1 ? c->args[1] : "";
		say(r, "local shutdown s%d %s", fd, has_word(how, "SHUT_RDWR") ? "rdwr"
						      : has_word(how, "SHUT_WR") ? "wr" : "rd");
	} else if (!strcmp(c->name, "close")) {
		say(r, "local close s%d", fd);
	} else if (!strcmp(c->name, "fcntl") && c->nargs > 2 && has_word(c->args[1], "F_SETFL")) {
		say(r, "local nonblock s%d %d", fd, has_word(c->args[2], "O_NONBLOCK") ? 1 : 0);
	} else {
		say(r, "# line %d: %s() has no equivalent\n", e->line, c->name);
		return;
	}
	emit_result(r, c);
	say(r, "\n");
}

int pd_to_trace(const char *path, const struct pd_opts *opts)
{
	struct script sc = { .path = path };
	struct run r = { .o = opts, .sc = &sc, .remote_port = REMOTE_PORT, .pend_fd = 3 };
	char *text = read_all(path);

	if (!text) {
		say(&r, "%s: cannot read the script\n", path);
		return -ENOENT;
	}
	const char *slash = strrchr(path, '/');
	snprintf(sc.dir, sizeof(sc.dir), "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	int rc = parse_script(&r, &sc, text);
	free(text);
	if (rc) {
		free_script(&sc);
		return rc;
	}
	/* The knobs the script's commands set: run them on a scratch host and write
	 * those that differ from the linux profile. */
	r.w = world_new(1, NULL);
	if (!r.w) {
		free_script(&sc);
		return -ENOMEM;
	}
	r.local = world_host_add(r.w, "local", LOCAL_ADDR);
	r.h = world_host(r.w, r.local);
	if (opts->profile)
		knob_profile(opts->profile, host_config(r.h));
	pd_write_fn w = r.o->write;
	struct pd_opts quiet = *opts;
	quiet.write = NULL;
	r.o = &quiet;
	if (sc.init)
		command(&r, 1, sc.init, 0);
	for (int i = 0; i < sc.nev; i++)
		if (sc.ev[i].kind == E_COMMAND)
			command(&r, sc.ev[i].line, sc.ev[i].text, 0);
	quiet.write = w;
	say(&r, "# Converted from %s by tcpsim packetdrill --to-trace.\n"
		"# The endpoint under test is \"local\"; the script's peer is the raw host\n"
		"# \"remote\". Times become run lines; a blocking call's inbound packets are\n"
		"# injected ahead with their delays. Timestamp echoes are kept as written.\n",
	    path);
	say(&r, "host local 192.168.0.1\nhost remote 192.0.2.1 raw\nlink local remote delay 0\n"
		"iss local 0 step 0\n");
	if (opts->profile && strcmp(opts->profile, "linux"))
		say(&r, "profile %s local\n", opts->profile);
	struct tcp_config def;
	knob_profile(opts->profile ? opts->profile : "linux", &def);
	for (const struct knob_desc *d = knob_table(); d->name; d++) {
		char a[64], b[64];
		knob_get(&def, d->name, a, sizeof(a));
		knob_get(host_config(r.h), d->name, b, sizeof(b));
		if (strcmp(a, b))
			say(&r, "set local %s %s\n", d->name, b);
	}
	for (int i = 0; i < sc.nev; i++)
		if (sc.ev[i].kind == E_CALL && !strcmp(sc.ev[i].call.name, "connect"))
			r.remote_port = SCRIPT_PORT; /* the script connects out */
	bool *done = calloc((size_t)sc.nev + 1, sizeof(*done));
	vtime_t now_t = 0;
	bool connected = false;
	/* The segment size the endpoint will use: the peer's MSS, less the timestamp
	 * option when the handshake carries it. */
	uint32_t mss = 536;
	for (int i = 0; i < sc.nev; i++) {
		const struct ppkt *pk = &sc.ev[i].pkt;
		if (sc.ev[i].kind == E_PACKET && pk->inbound && (pk->flags & SEG_SYN) &&
		    (pk->opts.present & SEG_OPT_MSS)) {
			mss = pk->opts.mss < 1460 ? pk->opts.mss : 1460;
			if (pk->opts.present & SEG_OPT_TS)
				mss -= 12;
			break;
		}
	}
	for (int i = 0; done && i < sc.nev; i++) {
		struct event *e = &sc.ev[i];
		vtime_t t = resolve(&r, e->t.lo_kind, e->t.lo);
		if (e->t.lo_kind == T_ANY)
			t = now_t;
		vtime_t base = e->t.lo_kind == T_REL ? r.prev : 0;
		r.prev = t;
		if (done[i])
			continue;
		if (t > now_t) {
			char d[VTIME_BUFSZ];
			say(&r, "run %s\n", vtime_format(d, sizeof(d), t - now_t));
			now_t = t;
		}
		if (e->kind == E_PACKET && e->pkt.inbound) {
			emit_inbound(&r, e, connected, 0);
		} else if (e->kind == E_PACKET) {
			emit_outbound(&r, e, mss);
		} else if (e->kind == E_CALL) {
			if (e->t.blocking) {
				/* Packets that arrive while the call blocks go in ahead, up
				 * to the next call or command, which comes after it returns. */
				vtime_t end = base + e->t.end, p = t;
				for (int k = i + 1; k < sc.nev; k++) {
					struct event *f = &sc.ev[k];
					p = f->t.lo_kind == T_REL ? p + f->t.lo : f->t.lo;
					if (p > end || f->kind != E_PACKET)
						break;
					if (f->kind == E_PACKET && f->pkt.inbound) {
						emit_inbound(&r, f, connected, p - now_t);
						done[k] = true;
					}
				}
			}
			emit_call(&r, e);
			if (!strcmp(e->call.name, "accept") || !strcmp(e->call.name, "connect"))
				connected = true;
			if (e->t.blocking)
				now_t = base + e->t.end > now_t ? base + e->t.end : now_t;
		} else if (e->kind == E_COMMAND) {
			say(&r, "# line %d: %s (its sysctls are set above)\n", e->line, e->text);
		} else {
			say(&r, "# line %d: a %%{ }%% block has no equivalent\n", e->line);
		}
	}
	free(done);
	world_free(r.w);
	free_script(&sc);
	return 0;
}
