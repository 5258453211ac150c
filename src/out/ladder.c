/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/tcpsim.h"
#include "tcpsim/ladder.h"

/* The ladder keeps one row per thing worth drawing, and lays them out only when
 * asked, so the columns fit whatever hosts took part. */

enum row_kind { ROW_SEG, ROW_NOTE };

struct row {
	enum row_kind kind;
	vtime_t t;
	int from, to;            /* hosts; -1: outside the picture (an injected source) */
	uint64_t seg_id;
	bool dropped, dup, injected, held;
	vtime_t extra;           /* added delay */
	char text[96];
};

struct ladder {
	struct world *w;
	int obs;
	struct ladder_opts o;
	struct row *rows;
	size_t n, cap;
	size_t barrier;          /* rows before the latest call: a call never moves above */
};

static struct row *add(struct ladder *l, enum row_kind k, vtime_t t)
{
	/* A bounded ladder forgets its older half at once, so adding stays cheap. */
	if (l->o.keep && l->n >= 2 * l->o.keep) {
		size_t gone = l->n - l->o.keep;
		memmove(l->rows, l->rows + gone, l->o.keep * sizeof(*l->rows));
		l->n = l->o.keep;
		l->barrier = l->barrier > gone ? l->barrier - gone : 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct row *r = realloc(l->rows, cap * sizeof(*r));
		if (!r)
			return NULL;
		l->rows = r;
		l->cap = cap;
	}
	struct row *r = &l->rows[l->n++];
	memset(r, 0, sizeof(*r));
	r->kind = k;
	r->t = t;
	r->from = r->to = -1;
	return r;
}

static struct row *find_seg(struct ladder *l, uint64_t id)
{
	for (size_t i = l->n; i-- > 0 && l->n - i < 4096;)
		if (l->rows[i].kind == ROW_SEG && l->rows[i].seg_id == id)
			return &l->rows[i];
	return NULL;
}

static void seg_label(const struct seg *s, char *buf, size_t len)
{
	char fl[10];
	size_t n = (size_t)snprintf(buf, len, "%s seq %" PRIu32, seg_flags_str(s->flags, fl), s->seq);

	if ((s->flags & SEG_ACK) && n < len)
		n += (size_t)snprintf(buf + n, len - n, " ack %" PRIu32, s->ack);
	if (n < len)
		snprintf(buf + n, len - n, " len %" PRIu32 " win %u", s->len, s->wnd);
}

static void observe(void *ctx, const struct world_event *ev)
{
	struct ladder *l = ctx;
	struct row *r;
	const struct tcp_event *te = ev->tcp;

	switch (ev->kind) {
	case WEV_SEG_SEND:
	case WEV_SEG_INJECT:
	case WEV_SEG_DUP:
		r = add(l, ROW_SEG, ev->time);
		if (!r)
			return;
		r->from = ev->net->from;
		r->to = net_node_by_addr(world_net(l->w), ev->seg->daddr);
		if (r->to < 0)
			r->to = -1;
		r->seg_id = ev->seg->id;
		r->dup = ev->kind == WEV_SEG_DUP;
		r->injected = ev->kind == WEV_SEG_INJECT;
		seg_label(ev->seg, r->text, sizeof(r->text));
		return;
	case WEV_SEG_DROP:
		if ((r = find_seg(l, ev->seg->id)))
			r->dropped = true;
		return;
	case WEV_SEG_DELAY:
		if ((r = find_seg(l, ev->seg->id)))
			r->extra += ev->net->extra;
		return;
	case WEV_SEG_HOLD:
		if ((r = find_seg(l, ev->seg->id)))
			r->held = true;
		return;
	case WEV_SEG_RELEASE:
		r = add(l, ROW_NOTE, ev->time);
		if (r) {
			r->from = ev->net->from;
			snprintf(r->text, sizeof(r->text), "released: seq %" PRIu32, ev->seg->seq);
		}
		return;
	case WEV_TCP_STATE:
		r = add(l, ROW_NOTE, ev->time);
		if (r) {
			r->from = ev->host;
			snprintf(r->text, sizeof(r->text), "#%u %s", te->sock, tcp_state_name(te->to));
		}
		return;
	case WEV_TCP_CALL:
		/* Retries of a blocking call and set-up calls would bury the story. */
		if (l->barrier > l->n)
			l->barrier = l->n;
		if (te->result == -EAGAIN || te->result == -EALREADY || !strcmp(te->call, "socket") ||
		    !strcmp(te->call, "setsockopt") || !strcmp(te->call, "bind") ||
		    !strcmp(te->call, "connect_result")) {
			l->barrier = l->n;
			return;
		}
		r = add(l, ROW_NOTE, ev->time);
		if (!r)
			return;
		r->from = ev->host;
		if (te->result < 0 && err_name((int)te->result))
			snprintf(r->text, sizeof(r->text), "%s() = %s", te->call,
				 err_name((int)te->result));
		else
			snprintf(r->text, sizeof(r->text), "%s()", te->call);
		/* A call is reported when it returns, after what it caused at that same
		 * instant on its host (a state change, a FIN): draw it before them. */
		size_t at = l->n - 1;
		while (at > l->barrier && l->rows[at - 1].t == ev->time &&
		       l->rows[at - 1].from == ev->host)
			at--;
		l->barrier = l->n;
		if (at != l->n - 1) {
			struct row call = l->rows[l->n - 1];
			memmove(&l->rows[at + 1], &l->rows[at], (l->n - 1 - at) * sizeof(call));
			l->rows[at] = call;
		}
		return;
	case WEV_TCP_TIMER_FIRE:
		if (te->timer == TCP_TIMER_DELACK)
			return;
		r = add(l, ROW_NOTE, ev->time);
		if (r) {
			r->from = ev->host;
			snprintf(r->text, sizeof(r->text), "%s %s", tcp_timer_name(te->timer),
				 te->timer == TCP_TIMER_TIME_WAIT ? "expires" : "fires");
		}
		return;
	case WEV_HOST_CRASH:
	case WEV_HOST_BOOT:
		r = add(l, ROW_NOTE, ev->time);
		if (r) {
			r->from = ev->host;
			snprintf(r->text, sizeof(r->text), "%s",
				 ev->kind == WEV_HOST_CRASH ? "** crash **" : "** boot **");
		}
		return;
	default:
		return;
	}
}

struct ladder *ladder_new(struct world *w, const struct ladder_opts *o)
{
	struct ladder *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->w = w;
	if (o)
		l->o = *o;
	if (!l->o.width)
		l->o.width = 100;
	if (!l->o.idle_gap)
		l->o.idle_gap = VTIME_S;
	l->obs = world_observe(w, observe, l);
	if (l->obs < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void ladder_free(struct ladder *l)
{
	if (!l)
		return;
	world_unobserve(l->w, l->obs);
	free(l->rows);
	free(l);
}

/* ---------------------------------------------------------------- drawing */

/* A line of cells, each one glyph (a UTF-8 sequence or one byte). */
#define MAXW 160
struct line {
	const char *cell[MAXW];
	char own[MAXW][2];       /* storage for single-byte cells */
	int w;
};

static void line_init(struct line *ln, int w)
{
	ln->w = w < MAXW ? w : MAXW;
	for (int i = 0; i < ln->w; i++) {
		ln->own[i][0] = ' ';
		ln->own[i][1] = '\0';
		ln->cell[i] = ln->own[i];
	}
}

static void put_text(struct line *ln, int x, const char *s)
{
	for (; *s && x < ln->w; x++, s++) {
		if (x < 0)
			continue;
		ln->own[x][0] = *s;
		ln->own[x][1] = '\0';
		ln->cell[x] = ln->own[x];
	}
}

static void emit(const struct line *ln, ladder_write_fn fn, void *ctx)
{
	char out[MAXW * 4 + 2];
	size_t n = 0;
	int last = ln->w - 1;

	while (last >= 0 && ln->cell[last][0] == ' ' && !ln->cell[last][1])
		last--;
	for (int i = 0; i <= last; i++) {
		size_t k = strlen(ln->cell[i]);
		memcpy(out + n, ln->cell[i], k);
		n += k;
	}
	out[n++] = '\n';
	out[n] = '\0';
	fn(ctx, out);
}

struct glyphs {
	const char *vert, *horiz, *right, *left, *tee_r, *tee_l, *cross, *dots;
};

static const struct glyphs unicode = { "│", "─", "►", "◄", "├", "┤", "✕", "⋮" };
static const struct glyphs ascii = { "|", "-", ">", "<", "+", "+", "x", ":" };

void ladder_write(const struct ladder *l, size_t max_rows, ladder_write_fn fn, void *ctx)
{
	const struct glyphs *g = l->o.ascii ? &ascii : &unicode;
	int width = l->o.width < MAXW ? l->o.width : MAXW;
	int hosts = world_host_count(l->w);
	int *col = calloc((size_t)hosts + 1, sizeof(*col));
	bool *used = calloc((size_t)hosts + 1, sizeof(*used));

	if (!col || !used || !fn) {
		free(col);
		free(used);
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		if (l->rows[i].from >= 0 && l->rows[i].from < hosts)
			used[l->rows[i].from] = true;
		if (l->rows[i].to >= 0 && l->rows[i].to < hosts)
			used[l->rows[i].to] = true;
	}
	int ncols = 0;
	for (int h = 0; h < hosts; h++)
		ncols += used[h];
	const int left = 13, margin = 14;
	int span = ncols > 1 ? (width - left - margin - 2) / (ncols - 1) : 0;
	int k = 0;
	for (int h = 0; h < hosts; h++)
		col[h] = used[h] ? left + 1 + (k++) * span : -1;

	struct line ln;
	line_init(&ln, width);
	for (int h = 0; h < hosts; h++) {
		if (col[h] < 0)
			continue;
		const char *name = world_host_name(l->w, h);
		int len = (int)strlen(name);
		put_text(&ln, col[h] - len / 2, name);
	}
	emit(&ln, fn, ctx);

	size_t first = max_rows && l->n > max_rows ? l->n - max_rows : 0;
	vtime_t prev = first ? l->rows[first - 1].t : 0;
	for (size_t i = first; i < l->n; i++) {
		const struct row *r = &l->rows[i];
		char t[VTIME_BUFSZ], label[128];
		if (r->t - prev > l->o.idle_gap) {
			line_init(&ln, width);
			char gap[64];
			snprintf(gap, sizeof(gap), "(%s pass)", vtime_format(t, sizeof(t), r->t - prev));
			for (int h = 0; h < hosts; h++)
				if (col[h] >= 0)
					ln.cell[col[h]] = g->dots;
			put_text(&ln, left + 1 + (span * (ncols - 1)) / 2 - (int)strlen(gap) / 2, gap);
			emit(&ln, fn, ctx);
		}
		prev = r->t;
		line_init(&ln, width);
		vtime_format_fixed(t, sizeof(t), r->t);
		/* seconds with six decimals is enough to read and keeps the column */
		char *dot = strchr(t, '.');
		if (dot && strlen(dot) > 7)
			dot[7] = '\0';
		char tl[40];
		snprintf(tl, sizeof(tl), "%10ss", t);
		put_text(&ln, 0, tl);
		for (int h = 0; h < hosts; h++)
			if (col[h] >= 0)
				ln.cell[col[h]] = g->vert;
		if (r->kind == ROW_NOTE) {
			int x = r->from >= 0 && r->from < hosts ? col[r->from] : left + 1;
			int len = (int)strlen(r->text);
			/* Notes of the rightmost column sit to its left, others to the right. */
			int at = (x >= left + 1 + span * (ncols - 1) && ncols > 1) ? x - 1 - len : x + 2;
			put_text(&ln, at, r->text);
			emit(&ln, fn, ctx);
			continue;
		}
		int a = r->from >= 0 && r->from < hosts ? col[r->from] : -1;
		int b = r->to >= 0 && r->to < hosts ? col[r->to] : -1;
		if (a < 0 && b < 0)
			continue;
		/* An injected segment comes from outside: it starts at the far edge. */
		if (a < 0)
			a = b > left + 1 ? left + 1 : left + 1 + span * (ncols - 1);
		if (b < 0)
			b = a > left + 1 ? left + 1 : width - 2;
		bool rightward = b > a;
		int lo = rightward ? a : b, hi = rightward ? b : a;
		int end = rightward ? hi - 1 : lo + 1;
		if (r->dropped)
			end = rightward ? lo + (hi - lo) * 3 / 4 : hi - (hi - lo) * 3 / 4;
		int from_x = rightward ? a + 1 : a - 1;
		int x0 = rightward ? from_x : end, x1 = rightward ? end : from_x;
		for (int x = x0; x <= x1; x++)
			ln.cell[x] = g->horiz;
		ln.cell[a] = rightward ? g->tee_r : g->tee_l;
		if (r->dropped)
			ln.cell[end] = g->cross;
		else
			ln.cell[end] = rightward ? g->right : g->left;
		snprintf(label, sizeof(label), " %s%s%s%s ", r->dup ? "dup " : "",
			 r->injected ? "injected " : "", r->text, r->held ? " (held)" : "");
		if (r->extra) {
			char d[VTIME_BUFSZ];
			size_t ll = strlen(label);
			snprintf(label + ll - 1, sizeof(label) - ll + 1, " (+%s) ",
				 vtime_format(d, sizeof(d), r->extra));
		}
		/* The label sits on the drawn part, clear of the head or the x. */
		int room = x1 - x0 - 3;
		int len = (int)strlen(label);
		if (len > room && room > 5) {
			label[room] = '\0';
			len = room;
		}
		if (room > 5)
			put_text(&ln, (x0 + x1) / 2 - len / 2, label);
		emit(&ln, fn, ctx);
	}
	free(col);
	free(used);
}
