/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_internal.h"
#include "tcpsim/err.h"

/*
 * The interpreter: a world, the names a script gives to sockets, a record of every
 * segment the hosts sent (for wire expectations), and the last events (for failure
 * reports). It only reaches the simulation through the public API.
 */

#define LOG_KEEP 40

void interp_default_opts(struct interp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->block_limit = 20 * VTIME_MIN;
}

void interp_write(struct interp *in, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	if (!in->o.write)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	in->o.write(in->o.write_ctx, buf);
}

/* ---------------------------------------------------------------- the event log */

static const char *host_name(struct interp *in, int h)
{
	const char *n = h >= 0 ? world_host_name(in->w, h) : NULL;

	return n ? n : "?";
}

static void seg_line(struct interp *in, const struct seg *s, int from, int to, char *buf,
		     size_t len)
{
	char fl[10], opts[160];
	size_t n;

	(void)in;
	n = (size_t)snprintf(buf, len, "%s>%s %s seq %" PRIu32, from >= 0 ? host_name(in, from) : "?",
			     to >= 0 ? host_name(in, to) : "?", seg_flags_str(s->flags, fl), s->seq);
	if ((s->flags & SEG_ACK) && n < len)
		n += (size_t)snprintf(buf + n, len - n, " ack %" PRIu32, s->ack);
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, " win %u len %" PRIu32, s->wnd, s->len);
	seg_opts_str(&s->opt, opts, sizeof(opts));
	if (opts[0] && n < len)
		snprintf(buf + n, len - n, " <%s>", opts);
}

static void log_event(struct interp *in, const struct world_event *ev)
{
	char t[VTIME_BUFSZ], what[512];
	const struct tcp_event *te = ev->tcp;

	what[0] = '\0';
	switch (ev->kind) {
	case WEV_SEG_SEND:
	case WEV_SEG_DELIVER:
	case WEV_SEG_INJECT:
	case WEV_SEG_DUP:
	case WEV_SEG_HOLD:
	case WEV_SEG_RELEASE:
	case WEV_SEG_MIDDLEBOX_RST: {
		char sl[400];
		seg_line(in, ev->seg, ev->net->from, ev->net->to, sl, sizeof(sl));
		snprintf(what, sizeof(what), "%-8s %s", world_ev_name(ev->kind), sl);
		break;
	}
	case WEV_SEG_DROP: {
		char sl[400];
		seg_line(in, ev->seg, ev->net->from, ev->net->to, sl, sizeof(sl));
		snprintf(what, sizeof(what), "drop     %s (%s)", sl,
			 net_drop_reason_name(ev->net->reason));
		break;
	}
	case WEV_SEG_DELAY:
		return;
	case WEV_HOST_CRASH:
	case WEV_HOST_BOOT:
		snprintf(what, sizeof(what), "%-8s %s", world_ev_name(ev->kind),
			 host_name(in, ev->host));
		break;
	case WEV_TCP_STATE:
		snprintf(what, sizeof(what), "state    %s#%u %s -> %s%s%s%s", host_name(in, ev->host),
			 te->sock, tcp_state_name(te->from), tcp_state_name(te->to),
			 te->reason ? " (" : "", te->reason ? te->reason : "", te->reason ? ")" : "");
		break;
	case WEV_TCP_CALL:
		if (te->result < 0 && err_name((int)te->result))
			snprintf(what, sizeof(what), "call     %s %s(%d) = %s", host_name(in, ev->host),
				 te->call, te->fd, err_name((int)te->result));
		else
			snprintf(what, sizeof(what), "call     %s %s(%d) = %ld", host_name(in, ev->host),
				 te->call, te->fd, te->result);
		break;
	case WEV_TCP_TIMER_FIRE:
		snprintf(what, sizeof(what), "timer    %s#%u %s fired", host_name(in, ev->host),
			 te->sock, tcp_timer_name(te->timer));
		break;
	default:
		return;
	}
	char line[600];
	snprintf(line, sizeof(line), "%14ss  %s", vtime_format_fixed(t, sizeof(t), ev->time),
		 what);
	if (in->o.verbose)
		interp_write(in, "%s\n", line);
	char *copy = strdup(line);
	if (!copy)
		return;
	int slot = (in->log_head + in->log_n) % LOG_KEEP;
	if (in->log_n == LOG_KEEP) {
		free(in->log[in->log_head]);
		in->log_head = (in->log_head + 1) % LOG_KEEP;
		slot = (in->log_head + in->log_n - 1) % LOG_KEEP;
	} else {
		in->log_n++;
	}
	in->log[slot] = copy;
}

static void record_wire(struct interp *in, const struct world_event *ev)
{
	if (ev->net->duplicate || ev->net->from < 0)
		return;
	if (in->nwire == in->cap_wire) {
		size_t cap = in->cap_wire ? in->cap_wire * 2 : 256;
		struct wire_seg *w = realloc(in->wire, cap * sizeof(*w));
		if (!w)
			return;
		in->wire = w;
		in->cap_wire = cap;
	}
	struct wire_seg *w = &in->wire[in->nwire++];
	w->t = ev->time;
	w->from = ev->net->from;
	w->to = net_node_by_addr(world_net(in->w), ev->seg->daddr);
	w->s = *ev->seg;
	w->s.data = NULL;
	w->dropped = false;
}

static size_t path_slot(uint64_t key, size_t cap)
{
	key *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(key >> 32) & (cap - 1);
}

struct conn_path *interp_path(struct interp *in, int host, uint32_t sock, bool create)
{
	uint64_t key = (uint64_t)(host + 1) << 32 | sock;

	if (create && (in->npaths + 1) * 2 > in->cap_paths) {
		size_t cap = in->cap_paths ? in->cap_paths * 2 : 64;
		struct conn_path *v = calloc(cap, sizeof(*v));
		if (!v)
			return NULL;
		for (size_t i = 0; i < in->cap_paths; i++) {
			if (!in->paths[i].key)
				continue;
			size_t j = path_slot(in->paths[i].key, cap);
			while (v[j].key)
				j = (j + 1) & (cap - 1);
			v[j] = in->paths[i];
		}
		free(in->paths);
		in->paths = v;
		in->cap_paths = cap;
	}
	if (!in->cap_paths)
		return NULL;
	size_t i = path_slot(key, in->cap_paths);
	for (; in->paths[i].key; i = (i + 1) & (in->cap_paths - 1))
		if (in->paths[i].key == key)
			return &in->paths[i];
	if (!create)
		return NULL;
	in->paths[i].key = key;
	in->npaths++;
	return &in->paths[i];
}

static void track_state(struct interp *in, const struct world_event *ev)
{
	struct conn_path *p = interp_path(in, ev->host, ev->tcp->sock, true);

	if (p && p->n < PATH_MAX_STATES)
		p->s[p->n++] = (uint8_t)ev->tcp->to;
}

static void observe(void *ctx, const struct world_event *ev)
{
	struct interp *in = ctx;

	if (ev->kind == WEV_SEG_SEND)
		record_wire(in, ev);
	if (ev->kind == WEV_TCP_STATE)
		track_state(in, ev);
	log_event(in, ev);
}

/* ---------------------------------------------------------------- pass and fail */

void interp_pass(struct interp *in)
{
	in->passed++;
}

void interp_fail(struct interp *in, const struct stmt *st, const struct tok *at,
		 const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	in->failed++;
	interp_write(in, "%s:%d:%d: FAILED: %s\n  %s\n", st->file, st->line,
		     at ? at->col : st->cmd_col, msg, st->source);
	/* What led to it: the ladder up to the failure (its last rows). */
	if (in->o.write) {
		interp_write(in, "  the ladder up to it:\n");
		ladder_write(in->ladder, 24, in->o.write, in->o.write_ctx);
	}
	interp_write(in, "  >> %s:%d: %s\n", st->file, st->line, st->source);
	if (in->o.stop_on_fail)
		in->stop = true;
}

/* ---------------------------------------------------------------- setup */

struct interp *interp_new(const struct interp_opts *o)
{
	struct interp *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->o = *o;
	if (!in->o.block_limit)
		in->o.block_limit = 20 * VTIME_MIN;
	in->log = calloc(LOG_KEEP, sizeof(*in->log));
	in->last_was_expect = true;
	in->w = world_new(o->seed, NULL);
	if (!in->w || !in->log || world_observe(in->w, observe, in) < 0) {
		interp_free(in);
		return NULL;
	}
	/* The ladder draws failure reports too; only --ladder keeps all of it. */
	struct ladder_opts lo = { .ascii = o->ascii, .keep = o->ladder ? 0 : 64 };
	in->ladder = ladder_new(in->w, &lo);
	if (!in->ladder) {
		interp_free(in);
		return NULL;
	}
	return in;
}

void interp_free(struct interp *in)
{
	if (!in)
		return;
	ladder_free(in->ladder);
	world_free(in->w);
	for (int i = 0; i < in->nnames; i++)
		free(in->names[i].name);
	free(in->names);
	free(in->wire);
	free(in->paths);
	free(in->cursor);
	free(in->tracked);
	free(in->ignores);
	for (int i = 0; i < in->nrules; i++)
		free(in->rules[i].name);
	free(in->rules);
	if (in->log)
		for (int i = 0; i < in->log_n; i++)
			free(in->log[(in->log_head + i) % LOG_KEEP]);
	free(in->log);
	free(in);
}

uint64_t interp_passed(const struct interp *in)
{
	return in->passed;
}

uint64_t interp_failed(const struct interp *in)
{
	return in->failed;
}

struct world *interp_world(struct interp *in)
{
	return in->w;
}

/* ---------------------------------------------------------------- names */

int interp_expand(struct interp *in, const struct stmt *st, const struct tok *t, char *buf,
		  size_t len, struct script_error *err)
{
	const char *p = t->text;
	size_t n = 0;

	while (*p) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			if (!e)
				return stmt_error(err, st, t, "\"{\" without \"}\" in \"%s\"", t->text);
			size_t vl = (size_t)(e - p - 1);
			int k;
			for (k = in->nvars - 1; k >= 0; k--)
				if (strlen(in->vars[k].name) == vl && !memcmp(in->vars[k].name, p + 1, vl))
					break;
			if (k < 0)
				return stmt_error(err, st, t,
						  "no repeat counter named \"%.*s\" is in force here",
						  (int)vl, p + 1);
			int w = snprintf(buf + n, len - n, "%" PRIu64, in->vars[k].value);
			if (w < 0 || (size_t)w >= len - n)
				return stmt_error(err, st, t, "name too long");
			n += (size_t)w;
			p = e + 1;
			continue;
		}
		if (n + 1 >= len)
			return stmt_error(err, st, t, "name too long");
		buf[n++] = *p++;
	}
	buf[n] = '\0';
	return 0;
}

static void list_hosts(struct interp *in, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < world_host_count(in->w) && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      world_host_name(in->w, i));
	if (!world_host_count(in->w))
		snprintf(buf, len, "none yet: declare one with \"host NAME ADDRESS\"");
}

int interp_host(struct interp *in, const struct stmt *st, const struct tok *t,
		struct script_error *err)
{
	char name[128], names[512];

	if (interp_expand(in, st, t, name, sizeof(name), err))
		return -EINVAL;
	int h = world_host_find(in->w, name);
	if (h >= 0)
		return h;
	list_hosts(in, names, sizeof(names));
	return stmt_error(err, st, t, "unknown host \"%s\"; hosts: %s", name, names);
}

struct name_ent *interp_name(struct interp *in, const struct stmt *st, const struct tok *t,
			     struct script_error *err)
{
	char name[128];

	if (interp_expand(in, st, t, name, sizeof(name), err))
		return NULL;
	for (int i = in->nnames - 1; i >= 0; i--)
		if (strcmp(in->names[i].name, name) == 0)
			return &in->names[i];
	char list[512];
	size_t n = 0;
	list[0] = '\0';
	for (int i = 0; i < in->nnames && n < sizeof(list) - 8; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
				      in->names[i].name);
	if (in->nnames > 20)
		snprintf(list, sizeof(list), "%d names, from %s to %s", in->nnames,
			 in->names[0].name, in->names[in->nnames - 1].name);
	stmt_error(err, st, t, "unknown socket \"%s\"; sockets: %s", name,
		   in->nnames ? list : "none yet (name one with \"as NAME\")");
	return NULL;
}

struct name_ent *interp_bind_name(struct interp *in, const struct stmt *st, int host,
				  uint32_t sock, int fd, struct script_error *err)
{
	char name[128];

	if (!st->as)
		return NULL;
	if (interp_expand(in, st, st->as, name, sizeof(name), err))
		return NULL;
	if (in->nnames == in->cap_names) {
		int cap = in->cap_names ? in->cap_names * 2 : 16;
		struct name_ent *v = realloc(in->names, (size_t)cap * sizeof(*v));
		if (!v)
			return NULL;
		in->names = v;
		in->cap_names = cap;
	}
	struct name_ent *n = &in->names[in->nnames];
	memset(n, 0, sizeof(*n));
	n->name = strdup(name);
	if (!n->name)
		return NULL;
	n->host = host;
	n->sock = sock;
	n->fd = fd;
	in->nnames++;
	return n;
}

int interp_resolve(void *ctx, const char *name, uint32_t *addr)
{
	struct interp *in = ctx;
	int h = world_host_find(in->w, name);

	if (h < 0)
		return -ENOENT;
	*addr = world_host_addr(in->w, h);
	return 0;
}

/* ---------------------------------------------------------------- time */

static bool over_budget(struct interp *in)
{
	return in->o.max_events && evq_fired(world_evq(in->w)) >= in->o.max_events;
}

bool interp_wait(struct interp *in, bool (*cond)(struct interp *, void *), void *ctx,
		 vtime_t limit)
{
	struct evq *q = world_evq(in->w);
	vtime_t deadline = evq_now(q) + limit;

	for (;;) {
		if (cond(in, ctx))
			return true;
		vtime_t next;
		if (over_budget(in) || evq_peek(q, &next) || next > deadline) {
			if (!over_budget(in))
				evq_run_until(q, deadline, 0);
			return cond(in, ctx);
		}
		evq_step(q);
	}
}

void interp_run_for(struct interp *in, vtime_t d)
{
	struct evq *q = world_evq(in->w);
	vtime_t end = evq_now(q) + d;

	if (!in->o.max_events) {
		evq_run_until(q, end, 0);
		return;
	}
	if (evq_fired(q) < in->o.max_events)
		evq_run_until(q, end, in->o.max_events - evq_fired(q));
}

/* ---------------------------------------------------------------- running */

int interp_exec_list(struct interp *in, const struct stmt *v, int n, struct script_error *err)
{
	for (int i = 0; i < n && !in->stop; i++) {
		const struct stmt *st = &v[i];
		in->cur = st;
		bool is_expect = strcmp(st->cmd->name, "expect") == 0;
		if (!is_expect && in->last_was_expect)
			in->ctx_wire = in->nwire;
		in->last_was_expect = is_expect;
		if (strcmp(st->cmd->name, "repeat") == 0) {
			if (in->nvars == (int)(sizeof(in->vars) / sizeof(in->vars[0])))
				return stmt_error(err, st, NULL, "repeat blocks nested too deep");
			in->vars[in->nvars].name = st->repeat_var ? st->repeat_var : "i";
			in->nvars++;
			int rc = 0;
			for (uint64_t k = 0; k < st->repeat_n && !rc && !in->stop; k++) {
				in->vars[in->nvars - 1].value = k;
				rc = interp_exec_list(in, st->body, st->nbody, err);
			}
			in->nvars--;
			if (rc)
				return rc;
			continue;
		}
		int rc = st->cmd->exec(in, st, err);
		if (rc)
			return rc;
	}
	return 0;
}

int interp_run(struct interp *in, const struct script *s, struct script_error *err)
{
	struct script_error dummy;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	int rc = interp_exec_list(in, s->stmts, s->n, err);
	if (in->o.ladder)
		ladder_write(in->ladder, 0, in->o.write, in->o.write_ctx);
	if (rc)
		return rc;
	return in->failed ? 1 : 0;
}
