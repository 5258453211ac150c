/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "script_internal.h"
#include "tcpsim/err.h"

/*
 * The command table: one entry per command (name, usage, help, example, checker,
 * handler). Parsing, `tcpsim help`, the manual and completion all read this table.
 */

/* ---------------------------------------------------------------- argument helpers */

static const struct tok *A(const struct stmt *st, int i)
{
	return i < st->nargs ? &st->args[i] : NULL;
}

static bool is(const struct tok *t, const char *w)
{
	return t && t->kind == TOK_WORD && strcmp(t->text, w) == 0;
}

/* The same for a token known to exist. */
static bool kw(const struct tok *t, const char *w)
{
	return t->kind == TOK_WORD && strcmp(t->text, w) == 0;
}

int arg_duration(const struct stmt *st, const struct tok *t, vtime_t *out,
		 struct script_error *err)
{
	char why[256];
	size_t pos = 0;

	if (!t)
		return stmt_error(err, st, NULL, "expected a duration such as 250ms");
	if (t->kind != TOK_WORD || vtime_parse(t->text, out, why, sizeof(why), &pos))
		return stmt_error_col(err, st, t->col + (int)pos, "%s",
				      t->kind == TOK_WORD ? why : "expected a duration, not a string");
	return 0;
}

int arg_u64(const struct stmt *st, const struct tok *t, uint64_t max, uint64_t *out,
	    struct script_error *err)
{
	uint64_t v = 0;

	if (!t || t->kind != TOK_WORD || !t->text[0])
		return stmt_error(err, st, t, "expected a number");
	for (const char *p = t->text; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return stmt_error(err, st, t, "expected a whole number, not \"%s\"", t->text);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return stmt_error(err, st, t, "%" PRIu64 " is too large (at most %" PRIu64 ")", v,
				  max);
	*out = v;
	return 0;
}

int arg_percent(const struct stmt *st, const struct tok *t, uint32_t *ppm,
		struct script_error *err)
{
	uint64_t whole = 0, frac = 0;
	int digits = 0;
	const char *p = t ? t->text : "";

	if (!t || t->kind != TOK_WORD)
		return stmt_error(err, st, t, "expected a percentage such as 5%%");
	for (; *p >= '0' && *p <= '9' && whole < 1000; p++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 4)
				frac = frac * 10 + (uint64_t)(*p - '0');
	for (int d = digits < 4 ? digits : 4; d < 4; d++)
		frac *= 10;
	if (strcmp(p, "%") != 0 || p == t->text || whole * 10000 + frac > 1000000)
		return stmt_error(err, st, t,
				  "expected a percentage from 0%% to 100%% such as 5%% or 0.25%%, "
				  "not \"%s\"", t->text);
	*ppm = (uint32_t)(whole * 10000 + frac);
	return 0;
}

int arg_state(const struct stmt *st, const struct tok *t, enum tcp_state *s,
	      struct script_error *err)
{
	if (!t || t->kind != TOK_WORD || tcp_state_parse(t->text, s))
		return stmt_error(err, st, t,
				  "expected a TCP state (CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, "
				  "ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, "
				  "LAST_ACK, TIME_WAIT)%s%s%s", t ? ", not \"" : "",
				  t ? t->text : "", t ? "\"" : "");
	return 0;
}

/* At parse time hosts are not known yet: any name passes, everything else is checked. */
static int any_name(void *ctx, const char *name, uint32_t *addr)
{
	(void)ctx;
	(void)name;
	*addr = 0;
	return 0;
}

int arg_filter(struct interp *in, const struct stmt *st, const struct tok *toks, int n,
	       struct seg_filter *f, struct script_error *err)
{
	char text[1024], word[256];
	int starts[64];
	size_t len = 0;

	text[0] = '\0';
	for (int i = 0; i < n && i < 64; i++) {
		if (in) {
			if (interp_expand(in, st, &toks[i], word, sizeof(word), err))
				return -EINVAL;
		} else {
			snprintf(word, sizeof(word), "%s", toks[i].text);
		}
		starts[i] = (int)len + (i ? 1 : 0);
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", i ? " " : "", word);
		if (len >= sizeof(text))
			return stmt_error(err, st, &toks[i], "filter too long");
	}
	char why[256];
	size_t pos = 0;
	if (seg_filter_parse(text, in ? interp_resolve : any_name, in, f, why, sizeof(why), &pos)) {
		int k = 0;
		while (k + 1 < n && starts[k + 1] <= (int)pos)
			k++;
		return stmt_error_col(err, st, toks[k].col + ((int)pos - starts[k]), "%s", why);
	}
	return 0;
}

/* ---------------------------------------------------------------- setup commands */

static int check_seed(struct stmt *st, struct script_error *err)
{
	uint64_t v;

	if (st->nargs != 1)
		return stmt_error(err, st, NULL, "usage: seed N");
	return arg_u64(st, A(st, 0), UINT64_MAX, &v, err);
}

static int exec_seed(struct interp *in, const struct stmt *st, struct script_error *err)
{
	uint64_t v;

	if (arg_u64(st, A(st, 0), UINT64_MAX, &v, err))
		return -EINVAL;
	if (!in->o.seed_forced)
		world_reseed(in->w, v);
	return 0;
}

static int check_profile(struct stmt *st, struct script_error *err)
{
	struct tcp_config c;

	if (st->nargs < 1)
		return stmt_error(err, st, NULL, "usage: profile linux|rfc [HOST...]");
	if (knob_profile(st->args[0].text, &c))
		return stmt_error(err, st, A(st, 0), "unknown profile \"%s\": use linux or rfc",
				  st->args[0].text);
	return 0;
}

static int exec_profile(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct tcp_config c;

	knob_profile(st->args[0].text, &c);
	if (st->nargs == 1) {
		for (int h = 0; h < world_host_count(in->w); h++)
			if (world_host(in->w, h))
				*host_config(world_host(in->w, h)) = c;
		in->default_profile = strcmp(st->args[0].text, "rfc") == 0 ? "rfc" : "linux";
		return 0;
	}
	for (int i = 1; i < st->nargs; i++) {
		int h = interp_host(in, st, A(st, i), err);
		if (h < 0)
			return -EINVAL;
		if (world_host(in->w, h))
			*host_config(world_host(in->w, h)) = c;
	}
	return 0;
}

static void raw_input(void *ctx, const struct seg *s)
{
	(void)ctx;
	(void)s;
}

static int check_host(struct stmt *st, struct script_error *err)
{
	uint32_t a;

	if (st->nargs != 2 && !(st->nargs == 3 && is(A(st, 2), "raw")))
		return stmt_error(err, st, NULL, "usage: host NAME ADDRESS [raw]");
	if (cmd_find(st->args[0].text, false) || cmd_find(st->args[0].text, true))
		return stmt_error(err, st, A(st, 0), "\"%s\" is a command; a host needs another name",
				  st->args[0].text);
	if (addr_parse(st->args[1].text, &a))
		return stmt_error(err, st, A(st, 1), "expected an IPv4 address such as 10.0.0.1");
	return 0;
}

static int exec_host(struct interp *in, const struct stmt *st, struct script_error *err)
{
	char name[128];
	uint32_t a;

	if (interp_expand(in, st, A(st, 0), name, sizeof(name), err))
		return -EINVAL;
	addr_parse(st->args[1].text, &a);
	int h = world_host_add(in->w, name, a);
	if (h == -EEXIST)
		return stmt_error(err, st, A(st, 0), "a host named \"%s\" or with address %s exists",
				  name, st->args[1].text);
	if (h < 0)
		return stmt_error(err, st, A(st, 0), "cannot add host \"%s\": %s (names start with a "
				  "letter; letters, digits, _ and -)", name, err_message(h));
	if (in->default_profile) {
		struct tcp_config c;
		knob_profile(in->default_profile, &c);
		*host_config(world_host(in->w, h)) = c;
	}
	/* A raw host runs no TCP: what reaches it is only recorded on the wire, and it
	 * speaks with "inject" (a packetdrill-style peer). */
	if (st->nargs == 3)
		world_host_set_input(in->w, h, raw_input, NULL);
	return 0;
}

/* link A B [delay D] [jitter D] [loss P%] [dup P%] [reorder P%] [reorder-delay D]
 *          [bandwidth BPS]; A>B changes one direction of an existing link. */
static int link_opts(struct interp *in, const struct stmt *st, int from, struct link_params *p,
		     struct script_error *err)
{
	(void)in;
	for (int i = from; i < st->nargs; i += 2) {
		const struct tok *k = &st->args[i], *v = A(st, i + 1);

		if (!v)
			return stmt_error(err, st, k, "\"%s\" needs a value", k->text);
		int rc;
		uint64_t u;
		if (kw(k, "delay"))
			rc = arg_duration(st, v, &p->delay, err);
		else if (kw(k, "jitter"))
			rc = arg_duration(st, v, &p->jitter, err);
		else if (kw(k, "loss"))
			rc = arg_percent(st, v, &p->loss_ppm, err);
		else if (kw(k, "dup"))
			rc = arg_percent(st, v, &p->dup_ppm, err);
		else if (kw(k, "reorder"))
			rc = arg_percent(st, v, &p->reorder_ppm, err);
		else if (kw(k, "reorder-delay"))
			rc = arg_duration(st, v, &p->reorder_delay, err);
		else if (kw(k, "bandwidth")) {
			rc = arg_u64(st, v, UINT64_MAX / 8, &u, err);
			p->bandwidth_bps = u;
		} else
			return stmt_error(err, st, k,
					  "unknown link setting \"%s\": use delay, jitter, loss, dup, "
					  "reorder, reorder-delay or bandwidth", st->args[i].text);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_link(struct stmt *st, struct script_error *err)
{
	struct link_params p = { 0 };
	bool one_way = st->nargs >= 1 && strchr(st->args[0].text, '>');
	int first = one_way ? 1 : 2;

	if (st->nargs < first)
		return stmt_error(err, st, NULL, "usage: link A B [delay D] ... or link A>B [...]");
	return link_opts(NULL, st, first, &p, err);
}

static int exec_link(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct net *n = world_net(in->w);
	const char *gt = strchr(st->args[0].text, '>');

	if (gt) {
		struct tok a = st->args[0], b = st->args[0];
		char an[128], bn[128];
		snprintf(an, sizeof(an), "%.*s", (int)(gt - st->args[0].text), st->args[0].text);
		snprintf(bn, sizeof(bn), "%s", gt + 1);
		a.text = an;
		b.text = bn;
		b.col += (int)(gt - st->args[0].text) + 1;
		int ha = interp_host(in, st, &a, err), hb = ha >= 0 ? interp_host(in, st, &b, err) : -1;
		if (ha < 0 || hb < 0)
			return -EINVAL;
		struct link_params p;
		if (net_link_get(n, ha, hb, &p))
			return stmt_error(err, st, A(st, 0), "no link between %s and %s yet: write "
					  "\"link %s %s ...\" first", an, bn, an, bn);
		if (link_opts(in, st, 1, &p, err))
			return -EINVAL;
		net_link_set(n, ha, hb, &p);
		return 0;
	}
	int ha = interp_host(in, st, A(st, 0), err), hb = ha >= 0 ? interp_host(in, st, A(st, 1), err) : -1;
	if (ha < 0 || hb < 0)
		return -EINVAL;
	struct link_params p = { 0 };
	if (link_opts(in, st, 2, &p, err))
		return -EINVAL;
	if (net_link_get(n, ha, hb, &p) == 0) {
		/* An existing link: change both directions. */
		struct link_params q = { 0 };
		link_opts(in, st, 2, &q, err);
		net_link_set(n, ha, hb, &q);
		net_link_set(n, hb, ha, &q);
		return 0;
	}
	int rc = net_link_add(n, ha, hb, &p, &p);
	if (rc)
		return stmt_error(err, st, A(st, 0), "cannot link: %s", err_message(rc));
	return 0;
}

static int check_set(struct stmt *st, struct script_error *err)
{
	if (st->nargs < 3)
		return stmt_error(err, st, NULL, "usage: set HOST KNOB VALUE");
	if (!knob_find(st->args[1].text)) {
		const char *best = NULL;
		for (const struct knob_desc *d = knob_table(); d->name; d++)
			if (strstr(d->name, st->args[1].text) || strstr(st->args[1].text, d->name))
				best = d->name;
		return stmt_error(err, st, A(st, 1), "unknown knob \"%s\"%s%s%s (tcpsim help set "
				  "lists them)", st->args[1].text, best ? "; did you mean \"" : "",
				  best ? best : "", best ? "\"?" : "");
	}
	return 0;
}

static int exec_set(struct interp *in, const struct stmt *st, struct script_error *err)
{
	char value[256], why[256];
	size_t n = 0;
	int h = interp_host(in, st, A(st, 0), err);

	if (h < 0)
		return -EINVAL;
	value[0] = '\0';
	for (int i = 2; i < st->nargs; i++)
		n += (size_t)snprintf(value + n, sizeof(value) - n, "%s%s", i > 2 ? " " : "",
				      st->args[i].text);
	struct host *hp = world_host(in->w, h);
	if (!hp)
		return stmt_error(err, st, A(st, 0), "host %s has crashed", st->args[0].text);
	if (knob_set(host_config(hp), st->args[1].text, value, why, sizeof(why)))
		return stmt_error(err, st, A(st, 2), "%s", why);
	return 0;
}

static int check_iss(struct stmt *st, struct script_error *err)
{
	uint64_t v;

	if (st->nargs != 2 && !(st->nargs == 4 && is(A(st, 2), "step")))
		return stmt_error(err, st, NULL, "usage: iss HOST N [step N]");
	if (arg_u64(st, A(st, 1), UINT32_MAX, &v, err))
		return -EINVAL;
	return st->nargs == 4 ? arg_u64(st, A(st, 3), UINT32_MAX, &v, err) : 0;
}

static int exec_iss(struct interp *in, const struct stmt *st, struct script_error *err)
{
	uint64_t iss, step = 0;
	int h = interp_host(in, st, A(st, 0), err);

	if (h < 0)
		return -EINVAL;
	arg_u64(st, A(st, 1), UINT32_MAX, &iss, err);
	if (st->nargs == 4)
		arg_u64(st, A(st, 3), UINT32_MAX, &step, err);
	else
		step = 64000; /* apart enough that two connections never overlap */
	host_fix_iss(world_host(in->w, h), (uint32_t)iss, (uint32_t)step);
	return 0;
}

static int check_middlebox(struct stmt *st, struct script_error *err)
{
	vtime_t d;

	if (st->nargs != 5 || !is(A(st, 3), "idle") || !(is(A(st, 2), "drop") || is(A(st, 2), "rst")))
		return stmt_error(err, st, NULL, "usage: middlebox A B drop|rst idle DURATION");
	return arg_duration(st, A(st, 4), &d, err);
}

static int exec_middlebox(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct middlebox_params p;
	int a = interp_host(in, st, A(st, 0), err), b = a >= 0 ? interp_host(in, st, A(st, 1), err) : -1;

	if (a < 0 || b < 0)
		return -EINVAL;
	p.mode = is(A(st, 2), "rst") ? MIDDLEBOX_RST : MIDDLEBOX_DROP;
	arg_duration(st, A(st, 4), &p.idle_timeout, err);
	int rc = net_middlebox_set(world_net(in->w), a, b, &p);
	if (rc)
		return stmt_error(err, st, A(st, 0), "no link between %s and %s", st->args[0].text,
				  st->args[1].text);
	return 0;
}

static int check_one_host(struct stmt *st, struct script_error *err)
{
	if (st->nargs != 1)
		return stmt_error(err, st, NULL, "usage: %s HOST", st->cmd->name);
	return 0;
}

static int exec_crash(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h = interp_host(in, st, A(st, 0), err);

	if (h < 0)
		return -EINVAL;
	if (strcmp(st->cmd->name, "crash") == 0)
		world_host_crash(in->w, h);
	else
		world_host_boot(in->w, h);
	return 0;
}

/* ---------------------------------------------------------------- socket calls */

/* The host a call is made on. */
static struct host *call_host(struct interp *in, const struct stmt *st, int *hid,
			      struct script_error *err)
{
	int h = interp_host(in, st, st->host, err);

	if (h < 0)
		return NULL;
	struct host *hp = world_host(in->w, h);
	if (!hp) {
		stmt_error(err, st, st->host, "host %s has crashed: boot it first",
			   world_host_name(in->w, h));
		return NULL;
	}
	*hid = h;
	return hp;
}

static void describe(long v, char *buf, size_t len)
{
	if (v < 0 && err_name((int)v))
		snprintf(buf, len, "%s (%s)", err_name((int)v), err_message((int)v));
	else
		snprintf(buf, len, "%ld", v);
}

/* Checks a call's result against "-> VALUE": a number, an errno name or, for recv, a
 * string. Without "->", an error result is itself a failed expectation. */
static void judge(struct interp *in, const struct stmt *st, long result, const uint8_t *data,
		  size_t dlen)
{
	char got[128], want[128];

	describe(result, got, sizeof(got));
	if (!st->nexpect) {
		if (result < 0)
			interp_fail(in, st, NULL, "%s failed: %s (write \"-> %s\" if that is expected)",
				    st->cmd->name, got, err_name((int)result) ? err_name((int)result) : "?");
		return;
	}
	const struct tok *e = &st->expect[0];
	if (e->kind == TOK_STRING) {
		if (result >= 0 && data && (size_t)result == e->len && dlen == e->len &&
		    memcmp(data, e->text, e->len) == 0) {
			interp_pass(in);
			return;
		}
		if (result < 0) {
			interp_fail(in, st, e, "expected \"%s\", got %s", e->text, got);
			return;
		}
		char shown[256];
		size_t k = 0;
		for (size_t i = 0; i < dlen && k < sizeof(shown) - 5; i++) {
			uint8_t c = data ? data[i] : 0;
			if (c >= 32 && c < 127 && c != '"' && c != '\\')
				shown[k++] = (char)c;
			else
				k += (size_t)snprintf(shown + k, sizeof(shown) - k, "\\x%02x", c);
		}
		shown[k] = '\0';
		interp_fail(in, st, e, "expected \"%s\" (%zu bytes), got \"%s\" (%zu bytes)", e->text,
			    e->len, shown, dlen);
		return;
	}
	long w;
	int code = err_from_name(e->text);
	if (code) {
		w = -code;
	} else {
		char *end;
		w = strtol(e->text, &end, 10);
		if (*end || end == e->text) {
			interp_fail(in, st, e, "\"%s\" is neither a number, a string nor an errno name",
				    e->text);
			return;
		}
	}
	if (w == result) {
		interp_pass(in);
		return;
	}
	describe(w, want, sizeof(want));
	interp_fail(in, st, e, "expected %s, got %s", want, got);
}

struct poll_wait {
	struct host *h;
	int fd;
	int mask;
};

static bool poll_ready(struct interp *in, void *ctx)
{
	struct poll_wait *p = ctx;
	int m = sock_poll(p->h, p->fd);

	(void)in;
	return m < 0 || (m & (p->mask | SOCK_POLLERR | SOCK_POLLHUP));
}

/* Blocks (in virtual time) until the descriptor is ready, as a blocking call would. */
static bool block_on(struct interp *in, const struct stmt *st, struct host *h, int fd, int mask)
{
	struct poll_wait p = { h, fd, mask };

	if (interp_wait(in, poll_ready, &p, in->o.block_limit))
		return true;
	char lim[VTIME_BUFSZ];
	interp_fail(in, st, NULL, "%s blocked for %s of virtual time and never returned",
		    st->cmd->name, vtime_format(lim, sizeof(lim), in->o.block_limit));
	return false;
}

static struct name_ent *sock_arg(struct interp *in, const struct stmt *st, int i,
				 struct script_error *err)
{
	if (!A(st, i))
		return stmt_error(err, st, NULL, "usage: %s", st->cmd->usage), NULL;
	return interp_name(in, st, A(st, i), err);
}

/* The host a call is made on and the socket named by its first argument. */
static struct name_ent *call_on(struct interp *in, const struct stmt *st, int *h,
				struct host **hp, struct script_error *err)
{
	*hp = call_host(in, st, h, err);
	return *hp ? sock_arg(in, st, 0, err) : NULL;
}

static int exec_socket(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp = call_host(in, st, &h, err);

	if (!hp)
		return -EINVAL;
	int fd = sock_socket(hp);
	if (fd >= 0 && !interp_bind_name(in, st, h, (uint32_t)sock_id(hp, fd), fd, err) && st->as)
		return -EINVAL;
	judge(in, st, fd, NULL, 0);
	return 0;
}

static int check_socket(struct stmt *st, struct script_error *err)
{
	if (st->nargs || !st->as)
		return stmt_error(err, st, NULL, "usage: HOST socket as NAME");
	return 0;
}

static int check_bind(struct stmt *st, struct script_error *err)
{
	uint64_t v;

	if (st->nargs != 2)
		return stmt_error(err, st, NULL, "usage: HOST bind SOCKET PORT");
	return arg_u64(st, A(st, 1), 65535, &v, err);
}

static int exec_bind(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp;
	uint64_t port;
	struct name_ent *n = call_on(in, st, &h, &hp, err);

	if (!n)
		return -EINVAL;
	arg_u64(st, A(st, 1), 65535, &port, err);
	judge(in, st, sock_bind(hp, n->fd, (uint16_t)port), NULL, 0);
	return 0;
}

static bool is_number(const struct tok *t)
{
	if (!t || t->kind != TOK_WORD || !t->text[0])
		return false;
	for (const char *p = t->text; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* HOST listen PORT [backlog N] as NAME, or HOST listen SOCKET [backlog N] */
static int check_listen(struct stmt *st, struct script_error *err)
{
	uint64_t v;

	if (st->nargs != 1 && !(st->nargs == 3 && is(A(st, 1), "backlog")))
		return stmt_error(err, st, NULL, "usage: HOST listen PORT|SOCKET [backlog N] [as NAME]");
	if (is_number(A(st, 0)) && (arg_u64(st, A(st, 0), 65535, &v, err)))
		return -EINVAL;
	if (is_number(A(st, 0)) && !st->as)
		return stmt_error(err, st, NULL, "listen on a port makes a socket: name it with "
				  "\"as NAME\"");
	return st->nargs == 3 ? arg_u64(st, A(st, 2), 65535, &v, err) : 0;
}

static int exec_listen(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	uint64_t port = 0, backlog = 128;
	struct host *hp = call_host(in, st, &h, err);

	if (!hp)
		return -EINVAL;
	if (st->nargs == 3)
		arg_u64(st, A(st, 2), 65535, &backlog, err);
	int fd;
	if (is_number(A(st, 0))) {
		arg_u64(st, A(st, 0), 65535, &port, err);
		fd = sock_socket(hp);
		if (fd < 0) {
			judge(in, st, fd, NULL, 0);
			return 0;
		}
		if (!interp_bind_name(in, st, h, (uint32_t)sock_id(hp, fd), fd, err))
			return -EINVAL;
		/* Servers set SO_REUSEADDR, as nearly all do (and packetdrill's scripts). */
		sock_setsockopt(hp, fd, SOCKOPT_REUSEADDR, 1, 0);
		long rc = sock_bind(hp, fd, (uint16_t)port);
		if (rc) {
			judge(in, st, rc, NULL, 0);
			return 0;
		}
	} else {
		struct name_ent *n = sock_arg(in, st, 0, err);
		if (!n)
			return -EINVAL;
		fd = n->fd;
	}
	judge(in, st, sock_listen(hp, fd, (int)backlog), NULL, 0);
	return 0;
}

static int check_accept(struct stmt *st, struct script_error *err)
{
	if (st->nargs != 1 || !st->as)
		return stmt_error(err, st, NULL, "usage: HOST accept LISTENER as NAME");
	return 0;
}

static int exec_accept(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp = call_host(in, st, &h, err);
	struct name_ent *l = hp ? sock_arg(in, st, 0, err) : NULL;

	if (!l)
		return -EINVAL;
	int lfd = l->fd;
	bool nb = sock_is_nonblock(hp, lfd);
	int fd = sock_accept(hp, lfd);
	while (fd == -EAGAIN && !nb) {
		if (!block_on(in, st, hp, lfd, SOCK_POLLIN))
			return 0;
		hp = world_host(in->w, h);
		if (!hp)
			return stmt_error(err, st, st->host, "the host crashed during accept");
		fd = sock_accept(hp, lfd);
	}
	if (fd >= 0 && !interp_bind_name(in, st, h, (uint32_t)sock_id(hp, fd), fd, err))
		return -EINVAL;
	judge(in, st, fd, NULL, 0);
	return 0;
}

/* HOST:PORT, the host by name or dotted quad. */
static int parse_endpoint(struct interp *in, const struct stmt *st, const struct tok *t,
			  uint32_t *addr, uint16_t *port, struct script_error *err)
{
	char buf[160];

	if (interp_expand(in, st, t, buf, sizeof(buf), err))
		return -EINVAL;
	char *colon = strrchr(buf, ':');
	if (!colon)
		return stmt_error(err, st, t, "expected HOST:PORT, such as server:80");
	*colon = '\0';
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || p > 65535)
		return stmt_error_col(err, st, t->col + (int)(colon - buf) + 1,
				      "expected a port number (0-65535) after ':'");
	*port = (uint16_t)p;
	if (addr_parse(buf, addr) == 0)
		return 0;
	if (interp_resolve(in, buf, addr) == 0)
		return 0;
	struct tok ht = *t;
	ht.text = buf;
	return interp_host(in, st, &ht, err) < 0 ? -EINVAL : -EINVAL;
}

static int check_connect(struct stmt *st, struct script_error *err)
{
	if (!((st->nargs == 1 && st->as) || st->nargs == 2))
		return stmt_error(err, st, NULL,
				  "usage: HOST connect HOST:PORT as NAME, or HOST connect SOCKET "
				  "HOST:PORT");
	if (!strchr(st->args[st->nargs - 1].text, ':'))
		return stmt_error(err, st, A(st, st->nargs - 1),
				  "expected HOST:PORT, such as server:80");
	return 0;
}

struct conn_wait {
	struct host *h;
	int hid;
	uint32_t id;
};

static bool connect_done(struct interp *in, void *ctx)
{
	struct conn_wait *c = ctx;
	struct host *h = world_host(in->w, c->hid);

	if (!h)
		return true;
	enum tcp_state s = host_sock_state(h, c->id);
	return s != TCPS_SYN_SENT && s != TCPS_SYN_RECEIVED;
}

static int exec_connect(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h, fd;
	uint32_t addr = 0;
	uint16_t port = 0;
	struct host *hp = call_host(in, st, &h, err);

	if (!hp || parse_endpoint(in, st, A(st, st->nargs - 1), &addr, &port, err))
		return -EINVAL;
	if (st->nargs == 2) {
		struct name_ent *n = sock_arg(in, st, 0, err);
		if (!n)
			return -EINVAL;
		fd = n->fd;
	} else {
		fd = sock_socket(hp);
		if (fd < 0) {
			judge(in, st, fd, NULL, 0);
			return 0;
		}
		if (!interp_bind_name(in, st, h, (uint32_t)sock_id(hp, fd), fd, err))
			return -EINVAL;
	}
	long rc = sock_connect(hp, fd, addr, port);
	if (rc == -EINPROGRESS && !sock_is_nonblock(hp, fd)) {
		struct conn_wait c = { hp, h, (uint32_t)sock_id(hp, fd) };
		if (!interp_wait(in, connect_done, &c, in->o.block_limit)) {
			char lim[VTIME_BUFSZ];
			interp_fail(in, st, NULL, "connect blocked for %s and never returned",
				    vtime_format(lim, sizeof(lim), in->o.block_limit));
			return 0;
		}
		hp = world_host(in->w, h);
		rc = hp ? sock_connect_result(hp, fd) : -ECONNRESET;
	}
	judge(in, st, rc, NULL, 0);
	return 0;
}

static int check_send(struct stmt *st, struct script_error *err)
{
	uint64_t v;

	if (st->nargs != 2)
		return stmt_error(err, st, NULL, "usage: HOST send SOCKET \"TEXT\"|BYTES");
	if (st->args[1].kind == TOK_STRING)
		return 0;
	return arg_u64(st, A(st, 1), 1ULL << 40, &v, err);
}

static int exec_send(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp;
	struct name_ent *n = call_on(in, st, &h, &hp, err);

	if (!n)
		return -EINVAL;
	const struct tok *d = &st->args[1];
	uint64_t total = 0;
	const uint8_t *bytes = NULL;
	if (d->kind == TOK_STRING) {
		total = d->len;
		bytes = (const uint8_t *)d->text;
	} else {
		arg_u64(st, d, 1ULL << 40, &total, err);
	}
	bool nb = sock_is_nonblock(hp, n->fd);
	uint64_t sent = 0;
	long rc = 0;
	/* A blocking send returns once every byte is queued. */
	while (sent < total || total == 0) {
		rc = sock_send(hp, n->fd, bytes ? bytes + sent : NULL, total - sent, 0);
		if (rc > 0) {
			sent += (uint64_t)rc;
			if (nb)
				break;
			continue;
		}
		if (rc == -EAGAIN && !nb) {
			if (!block_on(in, st, hp, n->fd, SOCK_POLLOUT))
				return 0;
			hp = world_host(in->w, h);
			if (!hp)
				return stmt_error(err, st, st->host, "the host crashed during send");
			continue;
		}
		break;
	}
	judge(in, st, sent ? (long)sent : rc, NULL, 0);
	return 0;
}

static int check_recv(struct stmt *st, struct script_error *err)
{
	uint64_t v;

	if (st->nargs != 2)
		return stmt_error(err, st, NULL, "usage: HOST recv SOCKET N|all");
	if (is(A(st, 1), "all"))
		return 0;
	return arg_u64(st, A(st, 1), 1ULL << 30, &v, err);
}

static int exec_recv(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp;
	struct name_ent *n = call_on(in, st, &h, &hp, err);

	if (!n)
		return -EINVAL;
	uint64_t want = 0;
	bool all = is(A(st, 1), "all");
	if (!all)
		arg_u64(st, A(st, 1), 1ULL << 30, &want, err);
	bool nb = sock_is_nonblock(hp, n->fd);
	size_t cap = all ? 65536 : (size_t)want + 1, got = 0;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	long rc = 0;
	/* recv N waits for N bytes (or the end of the stream), like MSG_WAITALL, so a
	 * script does not depend on how the data was cut into segments. */
	for (;;) {
		if (!all && got >= want)
			break;
		if (all && got == cap) {
			uint8_t *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		rc = sock_recv(hp, n->fd, buf + got, all ? cap - got : want - got);
		if (rc > 0) {
			got += (size_t)rc;
			if (nb)
				break;
			continue;
		}
		if (rc == -EAGAIN && !nb) {
			if (!block_on(in, st, hp, n->fd, SOCK_POLLIN)) {
				free(buf);
				return 0;
			}
			hp = world_host(in->w, h);
			if (!hp) {
				free(buf);
				return stmt_error(err, st, st->host, "the host crashed during recv");
			}
			continue;
		}
		break;
	}
	judge(in, st, got ? (long)got : rc, buf, got);
	free(buf);
	return 0;
}

static int check_shutdown(struct stmt *st, struct script_error *err)
{
	if (st->nargs != 2 || !(is(A(st, 1), "rd") || is(A(st, 1), "wr") || is(A(st, 1), "rdwr")))
		return stmt_error(err, st, A(st, 1), "usage: HOST shutdown SOCKET rd|wr|rdwr");
	return 0;
}

static int exec_shutdown(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp;
	struct name_ent *n = call_on(in, st, &h, &hp, err);

	if (!n)
		return -EINVAL;
	int how = is(A(st, 1), "rd") ? SOCK_SHUT_RD : is(A(st, 1), "wr") ? SOCK_SHUT_WR : SOCK_SHUT_RDWR;
	judge(in, st, sock_shutdown(hp, n->fd, how), NULL, 0);
	return 0;
}

static int check_sock_only(struct stmt *st, struct script_error *err)
{
	if (st->nargs != 1)
		return stmt_error(err, st, NULL, "usage: %s", st->cmd->usage);
	if (strcmp(st->cmd->name, "dup") == 0 && !st->as)
		return stmt_error(err, st, NULL, "usage: HOST dup SOCKET as NAME");
	return 0;
}

struct linger_wait {
	int hid;
	uint32_t id;
};

static bool linger_over(struct interp *in, void *ctx)
{
	struct linger_wait *l = ctx;
	struct host *h = world_host(in->w, l->hid);

	return !h || !sock_lingering(h, l->id);
}

static int exec_close(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp;
	struct name_ent *n = call_on(in, st, &h, &hp, err);

	if (!n)
		return -EINVAL;
	int fd = n->fd;
	long rc = sock_close(hp, fd);
	if (rc == 0) {
		/* The name keeps following the connection; the descriptor is gone. */
		for (int i = 0; i < in->nnames; i++)
			if (in->names[i].host == h && in->names[i].fd == fd)
				in->names[i].fd = -1;
		/* SO_LINGER {1,N} on a blocking socket: close() waits. */
		struct linger_wait l = { h, n->sock };
		if (sock_lingering(hp, n->sock))
			interp_wait(in, linger_over, &l, in->o.block_limit);
	}
	judge(in, st, rc, NULL, 0);
	return 0;
}

static int exec_dup(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp;
	struct name_ent *n = call_on(in, st, &h, &hp, err);

	if (!n)
		return -EINVAL;
	uint32_t sock = n->sock;
	int fd = sock_dup(hp, n->fd);
	if (fd >= 0 && !interp_bind_name(in, st, h, sock, fd, err))
		return -EINVAL;
	judge(in, st, fd, NULL, 0);
	return 0;
}

static const struct {
	const char *name;
	enum sock_opt opt;
} sockopts[] = {
	{ "reuseaddr", SOCKOPT_REUSEADDR }, { "linger", SOCKOPT_LINGER },
	{ "rcvbuf", SOCKOPT_RCVBUF },       { "sndbuf", SOCKOPT_SNDBUF },
	{ "nodelay", SOCKOPT_NODELAY },     { "keepalive", SOCKOPT_KEEPALIVE },
};

static int find_sockopt(const struct tok *t)
{
	for (size_t i = 0; t && i < sizeof(sockopts) / sizeof(sockopts[0]); i++)
		if (strcmp(t->text, sockopts[i].name) == 0)
			return (int)i;
	return -1;
}

static int check_setsockopt(struct stmt *st, struct script_error *err)
{
	uint64_t v;
	int k = find_sockopt(A(st, 1));

	if (st->nargs < 3 || k < 0)
		return stmt_error(err, st, A(st, 1),
				  "usage: HOST setsockopt SOCKET reuseaddr|nodelay|keepalive 0|1, "
				  "rcvbuf|sndbuf BYTES, or linger 0|1 SECONDS");
	int want = sockopts[k].opt == SOCKOPT_LINGER ? 4 : 3;
	if (st->nargs != want)
		return stmt_error(err, st, NULL, "%s takes %d value%s", sockopts[k].name, want - 2,
				  want == 4 ? "s" : "");
	for (int i = 2; i < want; i++)
		if (arg_u64(st, A(st, i), INT32_MAX, &v, err))
			return -EINVAL;
	return 0;
}

static int exec_setsockopt(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp;
	uint64_t v1 = 0, v2 = 0;
	struct name_ent *n = call_on(in, st, &h, &hp, err);

	if (!n)
		return -EINVAL;
	int k = find_sockopt(A(st, 1));
	arg_u64(st, A(st, 2), INT32_MAX, &v1, err);
	if (st->nargs == 4)
		arg_u64(st, A(st, 3), INT32_MAX, &v2, err);
	judge(in, st, sock_setsockopt(hp, n->fd, sockopts[k].opt, (int)v1, (int)v2), NULL, 0);
	return 0;
}

static int check_nonblock(struct stmt *st, struct script_error *err)
{
	if (st->nargs < 1 || st->nargs > 2 || (st->nargs == 2 && !is(A(st, 1), "0") &&
					       !is(A(st, 1), "1")))
		return stmt_error(err, st, NULL, "usage: HOST nonblock SOCKET [0|1]");
	return 0;
}

static int exec_nonblock(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h;
	struct host *hp;
	struct name_ent *n = call_on(in, st, &h, &hp, err);

	if (!n)
		return -EINVAL;
	judge(in, st, sock_set_nonblock(hp, n->fd, st->nargs == 1 || is(A(st, 1), "1")), NULL, 0);
	return 0;
}

/* ---------------------------------------------------------------- time */

static int check_run(struct stmt *st, struct script_error *err)
{
	vtime_t d;
	enum tcp_state s;

	if (st->nargs == 1)
		return arg_duration(st, A(st, 0), &d, err);
	if (st->nargs >= 3 && is(A(st, 0), "until")) {
		if (arg_state(st, A(st, 2), &s, err))
			return -EINVAL;
		if (st->nargs == 5 && is(A(st, 3), "within"))
			return arg_duration(st, A(st, 4), &d, err);
		if (st->nargs == 3)
			return 0;
	}
	return stmt_error(err, st, NULL, "usage: run DURATION, or run until SOCKET STATE "
			  "[within DURATION]");
}

struct state_wait {
	struct name_ent *n;
	enum tcp_state s;
};

static enum tcp_state name_state(struct interp *in, const struct name_ent *n)
{
	struct host *h = world_host(in->w, n->host);

	return h ? host_sock_state(h, n->sock) : TCPS_CLOSED;
}

static bool state_reached(struct interp *in, void *ctx)
{
	struct state_wait *w = ctx;

	return name_state(in, w->n) == w->s;
}

static int exec_run(struct interp *in, const struct stmt *st, struct script_error *err)
{
	vtime_t d;

	if (st->nargs == 1) {
		arg_duration(st, A(st, 0), &d, err);
		interp_run_for(in, d);
		return 0;
	}
	struct state_wait w;
	w.n = interp_name(in, st, A(st, 1), err);
	if (!w.n)
		return -EINVAL;
	arg_state(st, A(st, 2), &w.s, err);
	d = in->o.block_limit;
	if (st->nargs == 5)
		arg_duration(st, A(st, 4), &d, err);
	if (!interp_wait(in, state_reached, &w, d)) {
		char b[VTIME_BUFSZ];
		interp_fail(in, st, A(st, 2), "%s did not reach %s within %s (it is %s)",
			    w.n->name, tcp_state_name(w.s), vtime_format(b, sizeof(b), d),
			    tcp_state_name(name_state(in, w.n)));
	}
	return 0;
}

static int check_step(struct stmt *st, struct script_error *err)
{
	uint64_t v;

	if (st->nargs > 1)
		return stmt_error(err, st, NULL, "usage: step [N]");
	return st->nargs ? arg_u64(st, A(st, 0), UINT32_MAX, &v, err) : 0;
}

static int exec_step(struct interp *in, const struct stmt *st, struct script_error *err)
{
	uint64_t n = 1;

	if (st->nargs)
		arg_u64(st, A(st, 0), UINT32_MAX, &n, err);
	for (uint64_t i = 0; i < n && evq_step(world_evq(in->w)); i++)
		;
	return 0;
}

/* ---------------------------------------------------------------- faults */

/* next | every | 1st, 2nd, 3rd, Nth */
static int parse_which(const struct stmt *st, const struct tok *t, uint32_t *nth,
		       struct script_error *err)
{
	if (is(t, "next")) {
		*nth = 1;
		return 0;
	}
	if (is(t, "every")) {
		*nth = 0;
		return 0;
	}
	if (t && t->kind == TOK_WORD) {
		char *end;
		unsigned long v = strtoul(t->text, &end, 10);
		if (end != t->text && v > 0 && v < UINT32_MAX &&
		    (!strcmp(end, "st") || !strcmp(end, "nd") || !strcmp(end, "rd") ||
		     !strcmp(end, "th"))) {
			*nth = (uint32_t)v;
			return 0;
		}
	}
	return stmt_error(err, st, t, "expected next, every, or an ordinal such as 3rd");
}

/* Splits "WHICH FILTER... [by D] [as NAME]": returns the number of filter words. */
static int fault_parts(const struct stmt *st, vtime_t *by, struct script_error *err)
{
	int n = st->nargs - 1;

	*by = 0;
	if (n >= 2 && is(A(st, st->nargs - 2), "by")) {
		if (arg_duration(st, A(st, st->nargs - 1), by, err))
			return -1;
		n -= 2;
	}
	return n;
}

static int check_fault(struct stmt *st, struct script_error *err)
{
	uint32_t nth;
	vtime_t by;
	struct seg_filter f;
	bool delay = strcmp(st->cmd->name, "delay") == 0;

	if (st->nargs < 1 || parse_which(st, A(st, 0), &nth, err))
		return st->nargs < 1 ? stmt_error(err, st, NULL, "usage: %s", st->cmd->usage) : -EINVAL;
	int n = fault_parts(st, &by, err);
	if (n < 0)
		return -EINVAL;
	if (delay != (by > 0 || (st->nargs >= 2 && is(A(st, st->nargs - 2), "by"))))
		return stmt_error(err, st, NULL, delay ? "delay needs \"by DURATION\" at the end"
						       : "only delay takes \"by DURATION\"");
	if (st->as && strcmp(st->cmd->name, "hold") != 0)
		return stmt_error(err, st, st->as, "only hold names its rule with \"as NAME\"");
	return arg_filter(NULL, st, st->args + 1, n, &f, err);
}

static int exec_fault(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct net_rule r = { 0 };
	vtime_t by;
	const char *c = st->cmd->name;

	parse_which(st, A(st, 0), &r.nth, err);
	int n = fault_parts(st, &by, err);
	if (arg_filter(in, st, st->args + 1, n, &r.filter, err))
		return -EINVAL;
	r.action = !strcmp(c, "drop") ? NET_DROP : !strcmp(c, "dup") ? NET_DUP
		 : !strcmp(c, "delay") ? NET_DELAY : NET_HOLD;
	r.delay = by;
	int id = net_rule_add(world_net(in->w), &r);
	if (id < 0)
		return stmt_error(err, st, NULL, "cannot add the rule: %s", err_message(id));
	if (st->as) {
		char name[128];
		if (interp_expand(in, st, st->as, name, sizeof(name), err))
			return -EINVAL;
		struct rule_name *rn = realloc(in->rules, (size_t)(in->nrules + 1) * sizeof(*rn));
		if (!rn)
			return -ENOMEM;
		in->rules = rn;
		rn[in->nrules].name = strdup(name);
		rn[in->nrules].id = id;
		if (!rn[in->nrules].name)
			return -ENOMEM;
		in->nrules++;
	}
	return 0;
}

static int check_release(struct stmt *st, struct script_error *err)
{
	if (st->nargs > 1)
		return stmt_error(err, st, NULL, "usage: release [NAME]");
	return 0;
}

static int exec_release(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int id = 0;

	if (st->nargs) {
		char name[128];
		if (interp_expand(in, st, A(st, 0), name, sizeof(name), err))
			return -EINVAL;
		for (int i = 0; i < in->nrules; i++)
			if (!strcmp(in->rules[i].name, name))
				id = in->rules[i].id;
		if (!id)
			return stmt_error(err, st, A(st, 0), "no hold rule named \"%s\"", name);
	}
	net_release(world_net(in->w), id);
	return 0;
}

static int check_loss(struct stmt *st, struct script_error *err)
{
	uint32_t ppm;

	if (st->nargs != 2 || !strchr(st->args[0].text, '>'))
		return stmt_error(err, st, NULL, "usage: loss A>B PERCENT");
	return arg_percent(st, A(st, 1), &ppm, err);
}

static int exec_loss(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct seg_filter f;
	struct link_params p;

	if (arg_filter(in, st, A(st, 0), 1, &f, err))
		return -EINVAL;
	int a = net_node_by_addr(world_net(in->w), f.saddr);
	int b = net_node_by_addr(world_net(in->w), f.daddr);
	if (!f.has_saddr || !f.has_daddr || net_link_get(world_net(in->w), a, b, &p))
		return stmt_error(err, st, A(st, 0), "no link from %s", st->args[0].text);
	arg_percent(st, A(st, 1), &p.loss_ppm, err);
	net_link_set(world_net(in->w), a, b, &p);
	return 0;
}

/*
 * inject to SOCKET FLAGS [FIELDS]: from the connection's peer to the socket, seq
 * defaulting to what the socket expects (RCV.NXT) and ack to its SND.NXT.
 * inject A:P>B:Q FLAGS [FIELDS]: from any address and port, to a host's.
 * FIELDS: seq N, ack N, win N, len N or len "DATA", mss N, wscale N, sackOK,
 * ts VAL ECR, after D (default: now).
 */
static int inject_fields(struct interp *in, const struct stmt *st, int from, struct seg *s,
			 vtime_t *after, struct script_error *err)
{
	for (int i = from; i < st->nargs;) {
		const struct tok *k = &st->args[i], *v = A(st, i + 1);
		uint64_t u = 0;
		if (kw(k, "sackOK")) {
			if (s)
				s->opt.present |= SEG_OPT_SACKOK;
			i++;
			continue;
		}
		if (!v)
			return stmt_error(err, st, k, "\"%s\" needs a value", k->text);
		if (kw(k, "len") && v->kind == TOK_STRING) {
			if (s) {
				s->len = (uint32_t)v->len;
				s->data = mem_alloc(world_allocator(in->w), v->len ? v->len : 1);
				if (!s->data)
					return -ENOMEM;
				memcpy(s->data, v->text, v->len);
			}
			i += 2;
			continue;
		}
		if (kw(k, "after")) {
			vtime_t d;
			if (arg_duration(st, v, &d, err))
				return -EINVAL;
			if (after)
				*after = d;
			i += 2;
			continue;
		}
		if (kw(k, "ts")) {
			uint64_t e = 0;
			if (arg_u64(st, v, UINT32_MAX, &u, err) ||
			    arg_u64(st, A(st, i + 2), UINT32_MAX, &e, err))
				return -EINVAL;
			if (s) {
				s->opt.present |= SEG_OPT_TS;
				s->opt.ts_val = (uint32_t)u;
				s->opt.ts_ecr = (uint32_t)e;
			}
			i += 3;
			continue;
		}
		uint64_t max = kw(k, "win") || kw(k, "mss") ? 65535 : kw(k, "wscale") ? 14 : UINT32_MAX;
		if (!kw(k, "seq") && !kw(k, "ack") && !kw(k, "win") && !kw(k, "len") &&
		    !kw(k, "mss") && !kw(k, "wscale"))
			return stmt_error(err, st, k, "unknown field \"%s\": use seq, ack, win, len, "
					  "mss, wscale, sackOK, ts or after", k->text);
		if (arg_u64(st, v, max, &u, err))
			return -EINVAL;
		if (s) {
			if (kw(k, "seq"))
				s->seq = (uint32_t)u;
			else if (kw(k, "ack"))
				s->ack = (uint32_t)u;
			else if (kw(k, "win"))
				s->wnd = (uint16_t)u;
			else if (kw(k, "len"))
				s->len = (uint32_t)u;
			else if (kw(k, "mss")) {
				s->opt.present |= SEG_OPT_MSS;
				s->opt.mss = (uint16_t)u;
			} else {
				s->opt.present |= SEG_OPT_WSCALE;
				s->opt.wscale = (uint8_t)u;
			}
		}
		i += 2;
	}
	return 0;
}

static int check_inject(struct stmt *st, struct script_error *err)
{
	uint8_t fl;
	size_t bad;
	bool to = is(A(st, 0), "to");
	int flags_at = to ? 2 : 1;

	if (st->nargs <= flags_at || (!to && !strchr(st->args[0].text, '>')))
		return stmt_error(err, st, NULL, "usage: inject to SOCKET FLAGS [FIELDS], or inject "
				  "A:PORT>B:PORT FLAGS [FIELDS]");
	const struct tok *f = &st->args[flags_at];
	if (seg_flags_parse(f->text, strlen(f->text), &fl, &bad))
		return stmt_error_col(err, st, f->col + (int)bad,
				      "expected tcpdump flags such as R or F.");
	return inject_fields(NULL, st, flags_at + 1, NULL, NULL, err);
}

static int exec_inject(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct net *net = world_net(in->w);
	bool to = is(A(st, 0), "to");
	int flags_at = to ? 2 : 1;
	vtime_t after = 0;
	struct seg *s = net_seg_alloc(net);

	if (!s)
		return -ENOMEM;
	if (to) {
		struct tcp_info info;
		struct name_ent *n = interp_name(in, st, A(st, 1), err);
		struct host *hp = n ? world_host(in->w, n->host) : NULL;
		if (!n || !hp || host_sock_info(hp, n->sock, &info)) {
			net_seg_free(net, s);
			return n ? stmt_error(err, st, A(st, 1), "%s is gone: there is no connection "
					      "to inject into", n->name) : -EINVAL;
		}
		s->saddr = info.raddr;
		s->sport = info.rport;
		s->daddr = info.laddr;
		s->dport = info.lport;
		s->seq = info.rcv_nxt;
		s->ack = info.snd_nxt;
	} else {
		char ends[256];
		if (interp_expand(in, st, A(st, 0), ends, sizeof(ends), err)) {
			net_seg_free(net, s);
			return -EINVAL;
		}
		char *gt = strchr(ends, '>');
		*gt = '\0';
		struct tok a = st->args[0], b = st->args[0];
		uint32_t addrs[2];
		uint16_t ports[2];
		a.text = ends;
		b.text = gt + 1;
		b.col += (int)(gt + 1 - ends);
		if (parse_endpoint(in, st, &a, &addrs[0], &ports[0], err) ||
		    parse_endpoint(in, st, &b, &addrs[1], &ports[1], err)) {
			net_seg_free(net, s);
			return -EINVAL;
		}
		s->saddr = addrs[0];
		s->sport = ports[0];
		s->daddr = addrs[1];
		s->dport = ports[1];
	}
	size_t bad;
	const char *f = st->args[flags_at].text;
	seg_flags_parse(f, strlen(f), &s->flags, &bad);
	s->wnd = 65535;
	int rc = inject_fields(in, st, flags_at + 1, s, &after, err);
	if (rc) {
		net_seg_free(net, s);
		return rc;
	}
	net_inject(net, s, after);
	return 0;
}

/* ---------------------------------------------------------------- expectations */

/* "within D", "within D1..D2" or "at T" at the end of a wire expectation. */
struct when {
	bool any;
	vtime_t lo, hi;          /* absolute bounds */
};

static int parse_when(struct interp *in, const struct stmt *st, int *n, struct when *w,
		      struct script_error *err)
{
	vtime_t now = in ? world_now(in->w) : 0;

	w->any = true;
	if (*n >= 2 && (is(A(st, *n - 1), "within") || is(A(st, *n - 1), "at")))
		return stmt_error(err, st, A(st, *n - 1), "\"%s\" needs a time", A(st, *n - 1)->text);
	if (*n < 3)
		return 0;
	const struct tok *k = A(st, *n - 2), *v = A(st, *n - 1);
	if (is(k, "within")) {
		const char *dots = strstr(v->text, "..");
		w->any = false;
		if (dots) {
			struct tok a = *v, b = *v;
			char lo[64], hi[64];
			snprintf(lo, sizeof(lo), "%.*s", (int)(dots - v->text), v->text);
			snprintf(hi, sizeof(hi), "%s", dots + 2);
			a.text = lo;
			b.text = hi;
			b.col += (int)(dots - v->text) + 2;
			if (arg_duration(st, &a, &w->lo, err) || arg_duration(st, &b, &w->hi, err))
				return -EINVAL;
			if (w->hi < w->lo)
				return stmt_error(err, st, v, "the range ends before it starts");
			w->lo += now;
			w->hi += now;
		} else {
			if (arg_duration(st, v, &w->hi, err))
				return -EINVAL;
			w->lo = now;
			w->hi += now;
		}
		*n -= 2;
	} else if (is(k, "at")) {
		w->any = false;
		if (arg_duration(st, v, &w->lo, err))
			return -EINVAL;
		w->hi = w->lo;
		*n -= 2;
	}
	return 0;
}

static void cursor_room(struct interp *in)
{
	int hosts = world_host_count(in->w);

	if (hosts <= in->ncursor)
		return;
	size_t *c = calloc((size_t)hosts * (size_t)hosts, sizeof(*c));
	bool *t = calloc((size_t)hosts * (size_t)hosts, sizeof(*t));
	if (!c || !t) {
		free(c);
		free(t);
		return;
	}
	for (int a = 0; a < in->ncursor; a++)
		for (int b = 0; b < in->ncursor; b++) {
			c[a * hosts + b] = in->cursor[a * in->ncursor + b];
			t[a * hosts + b] = in->tracked[a * in->ncursor + b];
		}
	free(in->cursor);
	free(in->tracked);
	in->cursor = c;
	in->tracked = t;
	in->ncursor = hosts;
}

static bool ignored(struct interp *in, const struct seg *s)
{
	for (int i = 0; i < in->nignores; i++)
		if (seg_filter_match(&in->ignores[i], s))
			return true;
	return false;
}

struct wire_wait {
	int from, to;
	size_t *cursor;
	const struct seg_filter *search; /* first expectation: look for a match */
	vtime_t not_before;              /* ... sent no earlier than this */
};

/* The next segment on a direction that no ignore pattern covers, if one was sent. */
static bool next_on_dir(struct interp *in, void *ctx)
{
	struct wire_wait *w = ctx;

	for (; *w->cursor < in->nwire; (*w->cursor)++) {
		const struct wire_seg *ws = &in->wire[*w->cursor];
		if (ws->from == w->from && ws->to == w->to && !ignored(in, &ws->s) &&
		    (!w->search || (seg_filter_match(w->search, &ws->s) && ws->t >= w->not_before)))
			return true;
	}
	return false;
}

static void describe_seg(struct interp *in, const struct wire_seg *ws, char *buf, size_t len)
{
	char t[VTIME_BUFSZ], fl[10], o[160];

	seg_opts_str(&ws->s.opt, o, sizeof(o));
	snprintf(buf, len, "%s>%s %s seq %" PRIu32 " ack %" PRIu32 " win %u len %" PRIu32
		 "%s%s%s at %ss", world_host_name(in->w, ws->from), world_host_name(in->w, ws->to),
		 seg_flags_str(ws->s.flags, fl), ws->s.seq, ws->s.ack, ws->s.wnd, ws->s.len,
		 o[0] ? " <" : "", o, o[0] ? ">" : "", vtime_format_fixed(t, sizeof(t), ws->t));
}

static int expect_wire(struct interp *in, const struct stmt *st, bool none,
		       struct script_error *err)
{
	int n = st->nargs;
	struct when w;
	struct seg_filter f;

	if (parse_when(in, st, &n, &w, err))
		return -EINVAL;
	if (arg_filter(in, st, st->args + 1, n - 1, &f, err))
		return -EINVAL;
	if (!f.has_saddr || !f.has_daddr || f.both_ways)
		return stmt_error(err, st, A(st, 1), "a wire expectation needs one direction, such "
				  "as client>server");
	struct net *net = world_net(in->w);
	int from = net_node_by_addr(net, f.saddr), to = net_node_by_addr(net, f.daddr);
	if (from < 0 || to < 0)
		return stmt_error(err, st, A(st, 1), "the direction must join two hosts");
	cursor_room(in);
	size_t idx = (size_t)from * (size_t)in->ncursor + (size_t)to;
	/* A direction's first expectation takes the first matching segment sent since
	 * the latest run of other statements began; after it, the direction is strict.
	 * "expect none" is about its own window only: it looks at what is sent from now
	 * on, and leaves the direction's cursor as it was. */
	bool first = !in->tracked[idx];
	size_t none_cursor = in->nwire;
	if (first && !none) {
		in->tracked[idx] = true;
		in->cursor[idx] = in->ctx_wire;
	}
	size_t *cursor = none ? &none_cursor : &in->cursor[idx];
	struct wire_wait ww = { from, to, cursor, first && !none ? &f : NULL,
				w.any ? 0 : w.lo };
	vtime_t now = world_now(in->w);
	vtime_t limit = w.any ? in->o.block_limit : (w.hi > now ? w.hi - now : 0);
	char want[512], got[512];
	snprintf(want, sizeof(want), "%s", st->source);
	bool found = interp_wait(in, next_on_dir, &ww, limit);
	if (found && in->wire[*cursor].t > w.hi && !w.any)
		found = false;
	char t1[VTIME_BUFSZ], t2[VTIME_BUFSZ];
	if (none) {
		if (!found) {
			interp_pass(in);
			return 0;
		}
		describe_seg(in, &in->wire[*cursor], got, sizeof(got));
		interp_fail(in, st, A(st, 1), "expected no segment, but %s", got);
		return 0;
	}
	if (!found) {
		interp_fail(in, st, A(st, 1), "no segment from %s to %s %s%s%s", world_host_name(in->w, from),
			    world_host_name(in->w, to), w.any ? "came" : "by ",
			    w.any ? "" : vtime_format_fixed(t1, sizeof(t1), w.hi), w.any ? "" : "s");
		return 0;
	}
	const struct wire_seg *ws = &in->wire[in->cursor[idx]++];
	describe_seg(in, ws, got, sizeof(got));
	if (!seg_filter_match(&f, &ws->s)) {
		interp_fail(in, st, A(st, 1), "the next segment did not match\n  expected: %s\n"
			    "  actual:   %s", want, got);
		return 0;
	}
	if (!w.any && ws->t < w.lo) {
		interp_fail(in, st, A(st, 1), "the segment came too early\n  expected: between %ss "
			    "and %ss\n  actual:   %s", vtime_format_fixed(t1, sizeof(t1), w.lo),
			    vtime_format_fixed(t2, sizeof(t2), w.hi), got);
		return 0;
	}
	interp_pass(in);
	return 0;
}

static int expect_counter(struct interp *in, const struct stmt *st, struct script_error *err)
{
	int h = interp_host(in, st, A(st, 0), err);
	uint64_t v, want;

	if (h < 0)
		return -EINVAL;
	struct host *hp = world_host(in->w, h);
	if (!hp)
		return stmt_error(err, st, A(st, 0), "host %s has crashed", st->args[0].text);
	/* Friendly names for the counters people ask about most; a state name counts
	 * the host's connections in that state now (timewait: how many TIME_WAIT). */
	static const struct {
		const char *alias, *name;
	} aliases[] = {
		{ "resets_sent", "OutRsts" },      { "resets_received", "InRsts" },
		{ "retransmits", "RetransSegs" },  { "segments_sent", "OutSegs" },
		{ "segments_received", "InSegs" }, { "timewait", "TIME_WAIT" },
		{ "established", "ESTABLISHED" },
	};
	const char *name = st->args[2].text;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(name, aliases[i].alias))
			name = aliases[i].name;
	enum tcp_state gauge;
	if (tcp_state_parse(name, &gauge) == 0) {
		uint64_t counts[TCPS_COUNT];
		host_state_counts(hp, counts);
		v = counts[gauge];
	} else if (tcp_counter_get(host_counters(hp), name, &v)) {
		return stmt_error(err, st, A(st, 2), "unknown counter \"%s\" (tcpsim help counters "
				  "lists them; a state name counts connections in that state)",
				  st->args[2].text);
	}
	const char *op = st->nargs == 5 ? st->args[3].text : "==";
	arg_u64(st, A(st, st->nargs - 1), UINT64_MAX, &want, err);
	bool ok = !strcmp(op, "==") ? v == want : !strcmp(op, "!=") ? v != want
		: !strcmp(op, "<") ? v < want : !strcmp(op, "<=") ? v <= want
		: !strcmp(op, ">") ? v > want : v >= want;
	if (ok)
		interp_pass(in);
	else
		interp_fail(in, st, A(st, 2), "%s %s is %" PRIu64 ", expected %s %" PRIu64,
			    st->args[0].text, st->args[2].text, v, op, want);
	return 0;
}

static int expect_path(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct name_ent *n = interp_name(in, st, A(st, 0), err);
	char got[1024], want[1024];
	size_t gl = 0, wl = 0;
	bool ok;

	if (!n)
		return -EINVAL;
	struct conn_path *p = interp_path(in, n->host, n->sock, false);
	int np = p ? p->n : 0;
	ok = np == st->nargs - 2;
	for (int i = 2; i < st->nargs; i++) {
		enum tcp_state s;
		if (arg_state(st, A(st, i), &s, err))
			return -EINVAL;
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "%s%s", i > 2 ? " " : "",
				       tcp_state_name(s));
		if (ok && p->s[i - 2] != s)
			ok = false;
	}
	got[0] = '\0';
	for (int i = 0; i < np && gl < sizeof(got); i++)
		gl += (size_t)snprintf(got + gl, sizeof(got) - gl, "%s%s", i ? " " : "",
				       tcp_state_name((enum tcp_state)p->s[i]));
	if (ok)
		interp_pass(in);
	else
		interp_fail(in, st, A(st, 2), "%s went another way\n  expected: %s\n  actual:   %s",
			    n->name, want, got);
	return 0;
}

static int expect_timer(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct name_ent *n = interp_name(in, st, A(st, 0), err);
	struct tcp_info info;
	int k;

	if (!n)
		return -EINVAL;
	for (k = 0; k < TCP_TIMER_COUNT; k++)
		if (!strcasecmp(tcp_timer_name((enum tcp_timer)k), st->args[2].text))
			break;
	if (k == TCP_TIMER_COUNT)
		return stmt_error(err, st, A(st, 2), "unknown timer \"%s\": RTO, TLP, persist, "
				  "delack, keepalive, FIN_WAIT_2, TIME_WAIT or linger",
				  st->args[2].text);
	struct host *hp = world_host(in->w, n->host);
	vtime_t left = -1;
	if (hp && host_sock_info(hp, n->sock, &info) == 0 && info.timer[k])
		left = info.timer[k] - world_now(in->w);
	char b[VTIME_BUFSZ];
	if (is(A(st, 3), "none")) {
		if (left < 0)
			interp_pass(in);
		else
			interp_fail(in, st, A(st, 3), "%s's %s timer is running, %s left", n->name,
				    st->args[2].text, vtime_format(b, sizeof(b), left));
		return 0;
	}
	struct when w = { true, 0, 0 };
	if (st->nargs == 4) {
		int cnt = 5;
		struct stmt tmp = *st;
		struct tok fake[5];
		fake[3] = (struct tok){ TOK_WORD, (char *)"within", 6, st->args[3].col };
		fake[4] = st->args[3];
		tmp.args = fake;
		tmp.nargs = 5;
		if (parse_when(NULL, &tmp, &cnt, &w, err))
			return -EINVAL;
	}
	if (left < 0)
		interp_fail(in, st, A(st, 2), "%s has no %s timer running", n->name, st->args[2].text);
	else if (!w.any && (left < w.lo || left > w.hi))
		interp_fail(in, st, A(st, 3), "%s's %s timer has %s left, expected %s", n->name,
			    st->args[2].text, vtime_format(b, sizeof(b), left), st->args[3].text);
	else
		interp_pass(in);
	return 0;
}

static int expect_state(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct state_wait w;
	int n = st->nargs;
	struct when when;

	w.n = interp_name(in, st, A(st, 0), err);
	if (!w.n || arg_state(st, A(st, 1), &w.s, err))
		return -EINVAL;
	if (parse_when(in, st, &n, &when, err))
		return -EINVAL;
	bool ok = when.any ? state_reached(in, &w)
			   : interp_wait(in, state_reached, &w, when.hi - world_now(in->w));
	if (ok) {
		interp_pass(in);
		return 0;
	}
	interp_fail(in, st, A(st, 1), "%s is %s, expected %s", w.n->name,
		    tcp_state_name(name_state(in, w.n)), tcp_state_name(w.s));
	return 0;
}

static int check_expect(struct stmt *st, struct script_error *err)
{
	enum tcp_state s;
	uint64_t v;
	struct seg_filter f;

	if (st->nargs < 2)
		return stmt_error(err, st, NULL, "usage: expect SOCKET STATE [within D], expect next "
				  "FILTER [within D|D1..D2|at T], expect none FILTER within D, ...");
	if (is(A(st, 0), "next") || is(A(st, 0), "none")) {
		int n = st->nargs;
		struct when w;
		if (parse_when(NULL, st, &n, &w, err))
			return -EINVAL;
		if (is(A(st, 0), "none") && w.any)
			return stmt_error(err, st, NULL, "expect none needs \"within DURATION\"");
		return arg_filter(NULL, st, st->args + 1, n - 1, &f, err);
	}
	if (is(A(st, 1), "path")) {
		for (int i = 2; i < st->nargs; i++)
			if (arg_state(st, A(st, i), &s, err))
				return -EINVAL;
		return st->nargs > 2 ? 0 : stmt_error(err, st, NULL, "expect SOCKET path STATE...");
	}
	if (is(A(st, 1), "counter")) {
		if (st->nargs != 4 && st->nargs != 5)
			return stmt_error(err, st, NULL, "usage: expect HOST counter NAME [OP] N");
		if (st->nargs == 5) {
			const char *op = st->args[3].text;
			if (strcmp(op, "==") && strcmp(op, "!=") && strcmp(op, "<") && strcmp(op, "<=") &&
			    strcmp(op, ">") && strcmp(op, ">="))
				return stmt_error(err, st, A(st, 3), "expected ==, !=, <, <=, > or >=");
		}
		return arg_u64(st, A(st, st->nargs - 1), UINT64_MAX, &v, err);
	}
	if (is(A(st, 1), "timer")) {
		if (st->nargs != 3 && st->nargs != 4)
			return stmt_error(err, st, NULL, "usage: expect SOCKET timer KIND [D1..D2|none]");
		return 0;
	}
	if (arg_state(st, A(st, 1), &s, err))
		return -EINVAL;
	int n = st->nargs;
	struct when w;
	if (parse_when(NULL, st, &n, &w, err))
		return -EINVAL;
	if (n != 2)
		return stmt_error(err, st, A(st, 2), "unexpected \"%s\" after the state",
				  st->args[2].text);
	return 0;
}

static int exec_expect(struct interp *in, const struct stmt *st, struct script_error *err)
{
	if (is(A(st, 0), "next"))
		return expect_wire(in, st, false, err);
	if (is(A(st, 0), "none"))
		return expect_wire(in, st, true, err);
	if (is(A(st, 1), "path"))
		return expect_path(in, st, err);
	if (is(A(st, 1), "counter"))
		return expect_counter(in, st, err);
	if (is(A(st, 1), "timer"))
		return expect_timer(in, st, err);
	return expect_state(in, st, err);
}

static int check_ignore(struct stmt *st, struct script_error *err)
{
	struct seg_filter f;

	if (!st->nargs)
		return stmt_error(err, st, NULL, "usage: ignore FILTER, or ignore nothing");
	if (st->nargs == 1 && is(A(st, 0), "nothing"))
		return 0;
	return arg_filter(NULL, st, st->args, st->nargs, &f, err);
}

static int exec_ignore(struct interp *in, const struct stmt *st, struct script_error *err)
{
	struct seg_filter f;

	if (st->nargs == 1 && is(A(st, 0), "nothing")) {
		in->nignores = 0;
		return 0;
	}
	if (arg_filter(in, st, st->args, st->nargs, &f, err))
		return -EINVAL;
	struct seg_filter *v = realloc(in->ignores, (size_t)(in->nignores + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	in->ignores = v;
	v[in->nignores++] = f;
	return 0;
}

/* ---------------------------------------------------------------- structure */

static int check_repeat(struct stmt *st, struct script_error *err)
{
	if (st->nargs != 1 && !(st->nargs == 0 && st->as))
		return stmt_error(err, st, NULL, "usage: repeat N [as VAR] { ... }");
	if (arg_u64(st, A(st, 0), 100000000, &st->repeat_n, err))
		return -EINVAL;
	if (st->as) {
		st->repeat_var = strdup(st->as->text);
		if (!st->repeat_var)
			return -ENOMEM;
	}
	return 0;
}

static int exec_nothing(struct interp *in, const struct stmt *st, struct script_error *err)
{
	(void)in;
	(void)st;
	(void)err;
	return 0;
}

static int check_print(struct stmt *st, struct script_error *err)
{
	if (st->nargs != 1 || st->args[0].kind != TOK_STRING)
		return stmt_error(err, st, NULL, "usage: print \"TEXT\"");
	return 0;
}

static int exec_print(struct interp *in, const struct stmt *st, struct script_error *err)
{
	(void)err;
	interp_write(in, "%s\n", st->args[0].text);
	return 0;
}

/* ---------------------------------------------------------------- the table */

#define HOSTCMD true
#define WORLDCMD false

static const struct cmd table[] = {
	/* setup */
	{ "seed", WORLDCMD, "seed N", "fix the random generator's seed",
	  "Starts the one random generator (xoshiro256** seeded by splitmix64) from N. Put it "
	  "first: initial sequence numbers, ephemeral ports and random faults all draw from "
	  "it. The same script with the same seed gives the same run, byte for byte. "
	  "tcpsim run --seed overrides it.",
	  "seed 42\n" },
	{ "profile", WORLDCMD, "profile linux|rfc [HOST...]", "choose Linux or RFC 9293 behaviour",
	  "Sets every knob and rule switch of the named hosts (all hosts, and those declared "
	  "later, when none is named) to a profile: linux (the default) follows the Linux "
	  "kernel, rfc follows RFC 9293 literally (TIME_WAIT of 2 x MSL = 240 s, 1 s minimum "
	  "RTO, no tail loss probe, FIN instead of RST on close with unread data...).",
	  "profile rfc\nhost a 10.0.0.1\n" },
	{ "host", WORLDCMD, "host NAME ADDRESS [raw]", "declare a host",
	  "Adds a host with an IPv4 address. Its TCP starts with the current profile's knobs. "
	  "Names start with a letter and hold letters, digits, _ and -. A raw host runs no "
	  "TCP: what reaches it is only recorded, for wire expectations, and it speaks with "
	  "inject, as a packetdrill script's peer does.",
	  "host client 10.0.0.1\nhost server 10.0.0.2\n" },
	{ "link", WORLDCMD,
	  "link A B [delay D] [jitter D] [loss P%] [dup P%] [reorder P%] [reorder-delay D] "
	  "[bandwidth BPS]", "connect two hosts, or change a link",
	  "Joins two hosts with a link whose settings apply to both directions; written A>B, "
	  "changes one direction of an existing link from now on. delay is the one-way "
	  "propagation delay; jitter adds a uniform random extra delay (which may reorder); "
	  "loss, dup and reorder are probabilities; a reordered segment is held back by "
	  "reorder-delay (default: one more delay); bandwidth in bits per second adds "
	  "serialisation time. Without a link two hosts cannot talk.",
	  "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b delay 10ms\nlink a>b loss 1%\n" },
	{ "set", WORLDCMD, "set HOST KNOB VALUE", "set a TCP knob of a host",
	  "Sets one of the host's knobs, named as Linux's sysctls (tcp_fin_timeout, "
	  "tcp_tw_reuse, tcp_max_tw_buckets, tcp_rfc1337, tcp_orphan_retries, tcp_retries2, "
	  "tcp_syn_retries, tcp_timestamps, ip_local_port_range LO HI...), tcpsim's own "
	  "(timewait_len, msl, mss, rto_min...), or a rule switch (tlp, rst_on_unread...). "
	  "Durations take units. tcpsim help knobs lists them all with their defaults.",
	  "host a 10.0.0.1\nset a tcp_fin_timeout 30s\nset a ip_local_port_range 40000 40009\n" },
	{ "iss", WORLDCMD, "iss HOST N [step N]", "fix the initial sequence numbers of a host",
	  "The next connection the host opens or accepts starts at sequence number N, the one "
	  "after at N + step (default 64000), so a script can be written with exact numbers.",
	  "host a 10.0.0.1\niss a 1000\n" },
	{ "middlebox", WORLDCMD, "middlebox A B drop|rst idle D", "a stateful firewall on a link",
	  "Puts a stateful firewall (or NAT) on the link between A and B. It learns a "
	  "connection from its SYN, forgets it after D without traffic (or at an RST), and "
	  "then drops its segments (drop) or answers them with an RST to the sender (rst).",
	  "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b delay 1ms\nmiddlebox a b drop idle 30s\n" },
	{ "crash", WORLDCMD, "crash HOST", "the host loses all its state",
	  "The host's TCP vanishes at once without sending anything: every socket, "
	  "connection and TIME_WAIT entry. Segments that arrive for it are lost until boot.",
	  NULL },
	{ "boot", WORLDCMD, "boot HOST", "bring a crashed host back",
	  "The host comes back with its knobs but no connections: a segment of an old "
	  "connection now meets an RST.", NULL },
	/* socket calls */
	{ "socket", HOSTCMD, "HOST socket as NAME", "create a socket",
	  "Creates a TCP socket and names it. The descriptor is the lowest free one from 3.",
	  NULL },
	{ "bind", HOSTCMD, "HOST bind SOCKET PORT", "bind a socket to a port",
	  "Binds to the host's address and PORT (0: an ephemeral port). A port held by "
	  "another socket, a listener or a TIME_WAIT entry gives EADDRINUSE unless SO_REUSEADDR "
	  "allows sharing it.", NULL },
	{ "listen", HOSTCMD, "HOST listen PORT [backlog N] as NAME | HOST listen SOCKET [backlog N]",
	  "listen for connections",
	  "With a port: creates a socket with SO_REUSEADDR, binds and listens (the usual "
	  "server). With a socket: listens on it. The backlog is capped by somaxconn.",
	  "host s 10.0.0.2\ns listen 80 as lsn\n" },
	{ "accept", HOSTCMD, "HOST accept LISTENER as NAME", "accept a connection",
	  "Takes the oldest established connection from the listener. Blocks (in virtual "
	  "time) until there is one, unless the listener is non-blocking (then EAGAIN).", NULL },
	{ "connect", HOSTCMD, "HOST connect HOST:PORT as NAME | HOST connect SOCKET HOST:PORT",
	  "open a connection",
	  "Connects, choosing an ephemeral port as Linux does. A blocking socket waits until "
	  "the handshake ends: the result is 0, ECONNREFUSED, ETIMEDOUT... A non-blocking one "
	  "returns EINPROGRESS at once.", NULL },
	{ "send", HOSTCMD, "HOST send SOCKET \"TEXT\"|BYTES", "write bytes",
	  "Queues a string (real bytes, checked at the other end) or a number of bytes (a "
	  "count only). A blocking socket waits until all are queued. The result is the "
	  "number queued, or an error: EPIPE after shutdown(SHUT_WR) or a reset.", NULL },
	{ "recv", HOSTCMD, "HOST recv SOCKET N|all", "read bytes",
	  "Reads N bytes, waiting until N have arrived or the stream ends (like MSG_WAITALL), "
	  "or all bytes until the end of the stream. The result is the count, 0 at end of "
	  "stream, or an error; \"-> \\\"TEXT\\\"\" checks the bytes themselves.", NULL },
	{ "shutdown", HOSTCMD, "HOST shutdown SOCKET rd|wr|rdwr", "shut one or both directions",
	  "shutdown(SHUT_RD, SHUT_WR or SHUT_RDWR): acts whatever other descriptors refer to "
	  "the socket. wr sends a FIN after the queued data (half-close).", NULL },
	{ "close", HOSTCMD, "HOST close SOCKET", "close a descriptor",
	  "Drops one descriptor; the last one closes the connection (FIN, or RST with unread "
	  "data or SO_LINGER {1,0}). The name keeps following the connection through "
	  "FIN_WAIT and TIME_WAIT. With SO_LINGER {1,N} a blocking close waits up to N "
	  "seconds for the FIN to be acknowledged.", NULL },
	{ "dup", HOSTCMD, "HOST dup SOCKET as NAME", "another descriptor for a socket",
	  "dup(): a second descriptor for the same socket, so close of one does not end the "
	  "connection.", NULL },
	{ "setsockopt", HOSTCMD,
	  "HOST setsockopt SOCKET reuseaddr|nodelay|keepalive 0|1 | rcvbuf|sndbuf N | linger 0|1 S",
	  "set a socket option",
	  "SO_REUSEADDR, TCP_NODELAY, SO_KEEPALIVE, SO_RCVBUF and SO_SNDBUF (Linux doubles "
	  "the value), SO_LINGER {onoff, seconds}.", NULL },
	{ "nonblock", HOSTCMD, "HOST nonblock SOCKET [0|1]", "make a socket non-blocking",
	  "O_NONBLOCK: calls that would block return EAGAIN (connect: EINPROGRESS).", NULL },
	/* time */
	{ "run", WORLDCMD, "run DURATION | run until SOCKET STATE [within D]",
	  "let virtual time pass",
	  "Runs the simulation for DURATION, or until the socket is in STATE (failing if it "
	  "is not within D).", "run 1.5s\n" },
	{ "step", WORLDCMD, "step [N]", "run one event (or N)",
	  "Fires the next event (or N events) of the simulation.", "step\n" },
	/* faults */
	{ "drop", WORLDCMD, "drop next|every|Nth FILTER", "lose a segment",
	  "Drops the next, the Nth (1st, 2nd, 3rd...) or every segment matching the filter, "
	  "counted from now. FILTER: a direction a>b (or a<>b), flags as tcpdump prints them "
	  "(F. is exactly FIN+ACK, F* any segment with FIN, . a pure ACK), data or nodata, "
	  "seq A..B, ack A..B, win N (as sent), len N, mss N, wscale N, ts, sackOK.",
	  "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b delay 1ms\ndrop 2nd a>b F*\n" },
	{ "dup", WORLDCMD, "dup next|every|Nth FILTER", "duplicate a segment",
	  "Delivers the matching segment twice.", NULL },
	{ "delay", WORLDCMD, "delay next|every|Nth FILTER by D", "delay a segment",
	  "Adds D to the matching segment's transit, so later ones overtake it.", NULL },
	{ "hold", WORLDCMD, "hold next|every|Nth FILTER [as NAME]", "hold segments until released",
	  "Keeps matching segments until release.", NULL },
	{ "release", WORLDCMD, "release [NAME]", "let held segments go",
	  "Sends on the segments a hold rule (or every hold rule) kept, in order.", NULL },
	{ "loss", WORLDCMD, "loss A>B PERCENT", "random loss on a direction from now",
	  "Sets the random loss of one direction of a link.", NULL },
	{ "inject", WORLDCMD,
	  "inject to SOCKET FLAGS [FIELDS] | inject A:PORT>B:PORT FLAGS [FIELDS]",
	  "deliver a crafted segment",
	  "Delivers a hand-made segment after D (default now), bypassing links and faults: to "
	  "the socket's connection from its peer's address and port (seq defaults to what the "
	  "socket expects, RCV.NXT, and ack to its SND.NXT: a stray RST, an old duplicate, a "
	  "SYN into TIME_WAIT), or between any addresses and ports. FIELDS: seq N, ack N, "
	  "win N, len N or len \"DATA\", mss N, wscale N, sackOK, ts VAL ECR, after D.",
	  NULL },
	/* expectations */
	{ "expect", WORLDCMD,
	  "expect SOCKET STATE [within D] | expect SOCKET path STATE... | expect next FILTER "
	  "[within D|D1..D2|at T] | expect none FILTER within D | expect HOST counter NAME [OP] N "
	  "| expect SOCKET timer KIND [D1..D2|none]",
	  "check what happened",
	  "Checks a socket's state (now, or by D from now), the states it went through, the "
	  "next segment on a direction, that no segment comes, a host counter (netstat "
	  "names such as TCPAbortOnClose or OutRsts, or resets_sent, retransmits; a state "
	  "name such as TIME_WAIT, or timewait, counts the connections in it now), or a "
	  "timer's time left. Wire expectations "
	  "are strict: on a direction, each takes the next segment sent; an unmatched one "
	  "fails unless an ignore pattern covers it. The first wire expectation on a "
	  "direction starts at the segments sent by the statement before it (skipping other "
	  "expectations). A failed expectation is counted and reported; the run goes on.",
	  "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b delay 5ms\nb listen 80 as l\n"
	  "a connect b:80 as c\nexpect c ESTABLISHED\na close c\nexpect next a>b F.\n"
	  "expect c FIN_WAIT_2 within 20ms\n" },
	{ "ignore", WORLDCMD, "ignore FILTER | ignore nothing", "let wire expectations skip segments",
	  "Segments matching an ignore pattern are passed over by wire expectations.", NULL },
	/* structure */
	{ "include", WORLDCMD, "include FILE", "read another script here",
	  "Reads FILE (relative to this script) as if its lines stood here.", NULL },
	{ "repeat", WORLDCMD, "repeat N [as VAR] { ... }", "repeat a block",
	  "Runs the block N times with VAR (default i) counting from 0; {i} in a name is "
	  "replaced by the count, so a script can open a thousand connections.",
	  "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b delay 1ms\nb listen 80 as l\n"
	  "repeat 3 {\n  a connect b:80 as c{i}\n}\n" },
	{ "print", WORLDCMD, "print \"TEXT\"", "write a line", "Writes TEXT to the report.",
	  NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL },
};

/* Handlers, by name: kept apart from the table so the table reads as documentation. */
static const struct {
	const char *name;
	bool host_scoped;
	int (*check)(struct stmt *, struct script_error *);
	int (*exec)(struct interp *, const struct stmt *, struct script_error *);
} handlers[] = {
	{ "seed", 0, check_seed, exec_seed },
	{ "profile", 0, check_profile, exec_profile },
	{ "host", 0, check_host, exec_host },
	{ "link", 0, check_link, exec_link },
	{ "set", 0, check_set, exec_set },
	{ "iss", 0, check_iss, exec_iss },
	{ "middlebox", 0, check_middlebox, exec_middlebox },
	{ "crash", 0, check_one_host, exec_crash },
	{ "boot", 0, check_one_host, exec_crash },
	{ "socket", 1, check_socket, exec_socket },
	{ "bind", 1, check_bind, exec_bind },
	{ "listen", 1, check_listen, exec_listen },
	{ "accept", 1, check_accept, exec_accept },
	{ "connect", 1, check_connect, exec_connect },
	{ "send", 1, check_send, exec_send },
	{ "recv", 1, check_recv, exec_recv },
	{ "shutdown", 1, check_shutdown, exec_shutdown },
	{ "close", 1, check_sock_only, exec_close },
	{ "dup", 1, check_sock_only, exec_dup },
	{ "setsockopt", 1, check_setsockopt, exec_setsockopt },
	{ "nonblock", 1, check_nonblock, exec_nonblock },
	{ "run", 0, check_run, exec_run },
	{ "step", 0, check_step, exec_step },
	{ "drop", 0, check_fault, exec_fault },
	{ "dup", 0, check_fault, exec_fault },
	{ "delay", 0, check_fault, exec_fault },
	{ "hold", 0, check_fault, exec_fault },
	{ "release", 0, check_release, exec_release },
	{ "loss", 0, check_loss, exec_loss },
	{ "inject", 0, check_inject, exec_inject },
	{ "expect", 0, check_expect, exec_expect },
	{ "ignore", 0, check_ignore, exec_ignore },
	{ "include", 0, NULL, exec_nothing },
	{ "repeat", 0, check_repeat, exec_nothing },
	{ "print", 0, check_print, exec_print },
};

#define NCMDS (sizeof(table) / sizeof(table[0]) - 1)
static struct cmd full[NCMDS];

/* The table is constant; joining it with its handlers happens once, and every result
 * is the same, so there is no order or thread question in the lazy fill. */
const struct cmd *cmd_table(void)
{
	if (!full[0].name) {
		for (size_t i = 0; i < NCMDS; i++) {
			full[i] = table[i];
			for (size_t k = 0; k < sizeof(handlers) / sizeof(handlers[0]); k++)
				if (!strcmp(handlers[k].name, table[i].name) &&
				    handlers[k].host_scoped == table[i].host_scoped) {
					full[i].check = handlers[k].check;
					full[i].exec = handlers[k].exec;
				}
		}
	}
	return full;
}

const struct cmd *cmd_find(const char *name, bool host_scoped)
{
	const struct cmd *t = cmd_table();

	for (size_t i = 0; i < NCMDS; i++)
		if (t[i].host_scoped == host_scoped && !strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *cmd_suggest(const char *name)
{
	const char *best = NULL;
	size_t bd = 3;

	for (size_t i = 0; i < NCMDS; i++) {
		size_t d = distance(name, table[i].name);
		if (d < bd) {
			bd = d;
			best = table[i].name;
		}
	}
	return best;
}

static struct script_cmd_doc docs[NCMDS + 1];

const struct script_cmd_doc *script_commands(void)
{
	if (!docs[0].name)
		for (size_t i = 0; i < NCMDS; i++)
			docs[i] = (struct script_cmd_doc){ table[i].name, table[i].usage,
							   table[i].summary, table[i].help,
							   table[i].example };
	return docs;
}

const struct script_cmd_doc *script_command(const char *name)
{
	const struct script_cmd_doc *d = script_commands();

	for (; d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}
