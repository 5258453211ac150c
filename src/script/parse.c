/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_internal.h"

/*
 * Parsing: lines become statements, `include` splices another file in, and
 * `repeat N { ... }` nests a block. Every command checks its arguments here, so a
 * script with an error anywhere is rejected before anything is simulated.
 */

#define INCLUDE_DEPTH_MAX 16
#define LINE_MAX_LEN 4096

int stmt_error_col(struct script_error *err, const struct stmt *st, int col,
		   const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	snprintf(err->file, sizeof(err->file), "%s", st->file ? st->file : "-");
	err->line = st->line;
	err->col = col;
	snprintf(err->source, sizeof(err->source), "%s", st->source ? st->source : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int stmt_error(struct script_error *err, const struct stmt *st, const struct tok *at,
	       const char *fmt, ...)
{
	va_list ap;
	char msg[SCRIPT_MSG_MAX];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return stmt_error_col(err, st, at ? at->col : st->cmd_col, "%s", msg);
}

void script_error_format(const struct script_error *e, char *buf, size_t len)
{
	if (e->col > 0 && e->source[0]) {
		char caret[600];
		int n = e->col - 1 < 500 ? e->col - 1 : 500;
		for (int i = 0; i < n; i++)
			caret[i] = e->source[i] == '\t' ? '\t' : ' ';
		caret[n] = '^';
		caret[n + 1] = '\0';
		snprintf(buf, len, "%s:%d:%d: %s\n  %s\n  %s\n", e->file, e->line, e->col, e->msg,
			 e->source, caret);
	} else if (e->line > 0) {
		snprintf(buf, len, "%s:%d: %s\n", e->file, e->line, e->msg);
	} else {
		snprintf(buf, len, "%s: %s\n", e->file, e->msg);
	}
}

/* ---------------------------------------------------------------- statements */

static void stmt_clear(struct stmt *st)
{
	if (st->host) {
		free(st->host->text);
		free(st->host);
	}
	for (int i = 0; i < st->nargs; i++)
		free(st->args[i].text);
	free(st->args);
	if (st->as) {
		free(st->as->text);
		free(st->as);
	}
	for (int i = 0; i < st->nexpect; i++)
		free(st->expect[i].text);
	free(st->expect);
	free(st->source);
	for (int i = 0; i < st->nbody; i++)
		stmt_clear(&st->body[i]);
	free(st->body);
	free(st->repeat_var);
	if (st->free_data)
		st->free_data(st->data);
}

void script_free(struct script *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++)
		stmt_clear(&s->stmts[i]);
	free(s->stmts);
	for (int i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	free(s);
}

struct list {
	struct stmt *v;
	int n, cap;
};

static struct stmt *list_add(struct list *l)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;
		struct stmt *v = realloc(l->v, (size_t)cap * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

static struct tok *tok_dup(const struct tok *t)
{
	struct tok *d = malloc(sizeof(*d));

	if (!d)
		return NULL;
	*d = *t;
	d->text = malloc(t->len + 1);
	if (!d->text) {
		free(d);
		return NULL;
	}
	memcpy(d->text, t->text, t->len + 1);
	return d;
}

/* One source being read: a file's lines, or a string's. */
struct src {
	const char *name;   /* owned by the script */
	const char *text;
	const char *p;
	int line;
	int depth;
	char *dir;          /* for includes, relative to this file */
};

static bool next_line(struct src *s, char *buf, size_t len, bool *too_long)
{
	if (!*s->p)
		return false;
	const char *e = strchr(s->p, '\n');
	size_t n = e ? (size_t)(e - s->p) : strlen(s->p);
	*too_long = n >= len;
	if (n >= len)
		n = len - 1;
	memcpy(buf, s->p, n);
	buf[n] = '\0';
	s->p += (e ? (size_t)(e - s->p) + 1 : strlen(s->p));
	s->line++;
	return true;
}

struct parser {
	struct script *script;
	struct script_error *err;
};

static int parse_src(struct parser *ps, struct src *src, struct list *out, bool in_block,
		     int block_line);

static const char *keep_name(struct parser *ps, const char *name)
{
	char **f = realloc(ps->script->files, (size_t)(ps->script->nfiles + 1) * sizeof(*f));

	if (!f)
		return NULL;
	ps->script->files = f;
	f[ps->script->nfiles] = strdup(name);
	return f[ps->script->nfiles] ? f[ps->script->nfiles++] : NULL;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, 4096, f);
		n += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	size_t n = (size_t)(slash - path);
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = '\0';
	}
	return d;
}

static int do_include(struct parser *ps, struct stmt *st, struct src *src, struct list *out)
{
	if (st->nargs != 1)
		return stmt_error(ps->err, st, NULL, "include takes one file name");
	if (src->depth + 1 >= INCLUDE_DEPTH_MAX)
		return stmt_error(ps->err, st, &st->args[0],
				  "includes nested more than %d deep (an include loop?)",
				  INCLUDE_DEPTH_MAX);
	const char *name = st->args[0].text;
	char path[1024];
	if (name[0] == '/' || !src->dir)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", src->dir, name);
	char *text = read_file(path, NULL);
	if (!text)
		return stmt_error(ps->err, st, &st->args[0], "cannot read \"%s\"", path);
	struct src inc = { keep_name(ps, path), text, text, 0, src->depth + 1, dir_of(path) };
	int rc = inc.name && inc.dir ? parse_src(ps, &inc, out, false, 0) : -ENOMEM;
	free(inc.dir);
	free(text);
	return rc;
}

/* Splits the tokens of one line into a statement. */
static int build_stmt(struct parser *ps, struct stmt *st, struct tok *toks, int n)
{
	int first = 0;
	const struct cmd *c = NULL;

	if (toks[0].kind != TOK_WORD)
		return stmt_error(ps->err, st, &toks[0], "expected a command");
	c = cmd_find(toks[0].text, false);
	if (!c && n > 1 && toks[1].kind == TOK_WORD) {
		c = cmd_find(toks[1].text, true);
		if (c) {
			st->host = tok_dup(&toks[0]);
			if (!st->host)
				return -ENOMEM;
			first = 1;
		}
	}
	if (!c) {
		const struct tok *bad = &toks[0];
		/* "client clsoe c": the first word may be a host and the second a typo. */
		if (n > 1 && toks[1].kind == TOK_WORD && !cmd_find(toks[0].text, true)) {
			const char *s0 = cmd_suggest(toks[0].text), *s1 = cmd_suggest(toks[1].text);
			if (s1 && cmd_find(s1, true) && !(s0 && cmd_find(s0, false)))
				bad = &toks[1];
		}
		const char *sug = cmd_suggest(bad->text);
		if (cmd_find(bad->text, true))
			return stmt_error(ps->err, st, bad,
					  "\"%s\" is called on a host: write \"HOST %s ...\"",
					  bad->text, bad->text);
		if (sug)
			return stmt_error(ps->err, st, bad,
					  "unknown command \"%s\"; did you mean \"%s\"?", bad->text,
					  sug);
		return stmt_error(ps->err, st, bad,
				  "unknown command \"%s\" (tcpsim help lists the commands)",
				  bad->text);
	}
	st->cmd = c;
	st->cmd_col = toks[first].col;
	int end = n;
	for (int i = first + 1; i < n; i++) {
		if (toks[i].kind == TOK_ARROW) {
			end = i;
			if (i + 1 >= n)
				return stmt_error(ps->err, st, &toks[i],
						  "expected a result after \"->\" (a number, a "
						  "string or an errno name)");
			st->nexpect = n - i - 1;
			st->expect = calloc((size_t)st->nexpect, sizeof(*st->expect));
			if (!st->expect)
				return -ENOMEM;
			for (int k = 0; k < st->nexpect; k++) {
				st->expect[k] = toks[i + 1 + k];
				st->expect[k].text = strdup(toks[i + 1 + k].text);
				st->expect[k].len = toks[i + 1 + k].len;
				if (toks[i + 1 + k].kind == TOK_STRING) {
					free(st->expect[k].text);
					st->expect[k].text = malloc(toks[i + 1 + k].len + 1);
					if (st->expect[k].text)
						memcpy(st->expect[k].text, toks[i + 1 + k].text,
						       toks[i + 1 + k].len + 1);
				}
				if (!st->expect[k].text)
					return -ENOMEM;
			}
			break;
		}
	}
	if (end - (first + 1) >= 2 && toks[end - 2].kind == TOK_WORD &&
	    strcmp(toks[end - 2].text, "as") == 0) {
		if (toks[end - 1].kind != TOK_WORD)
			return stmt_error(ps->err, st, &toks[end - 1], "expected a name after \"as\"");
		st->as = tok_dup(&toks[end - 1]);
		if (!st->as)
			return -ENOMEM;
		end -= 2;
	}
	st->nargs = end - (first + 1);
	if (st->nargs > 0) {
		st->args = calloc((size_t)st->nargs, sizeof(*st->args));
		if (!st->args)
			return -ENOMEM;
		for (int k = 0; k < st->nargs; k++) {
			const struct tok *t = &toks[first + 1 + k];
			st->args[k] = *t;
			st->args[k].text = malloc(t->len + 1);
			if (!st->args[k].text)
				return -ENOMEM;
			memcpy(st->args[k].text, t->text, t->len + 1);
		}
	}
	return 0;
}

static int parse_src(struct parser *ps, struct src *src, struct list *out, bool in_block,
		     int block_line)
{
	char line[LINE_MAX_LEN];
	bool too_long;

	while (next_line(src, line, sizeof(line), &too_long)) {
		struct stmt tmp = { 0 };
		tmp.file = src->name;
		tmp.line = src->line;
		tmp.source = line;
		if (too_long)
			return stmt_error_col(ps->err, &tmp, 0, "line longer than %d characters",
					      LINE_MAX_LEN - 1);
		struct tok *toks;
		int n, col;
		char msg[256];
		if (lex_line(line, &toks, &n, &col, msg, sizeof(msg)))
			return stmt_error_col(ps->err, &tmp, col, "%s", msg);
		if (n == 0) {
			toks_free(toks, n);
			continue;
		}
		if (toks[0].kind == TOK_RBRACE) {
			bool alone = n == 1;
			int c = n > 1 ? toks[1].col : 0;
			toks_free(toks, n);
			if (!in_block)
				return stmt_error_col(ps->err, &tmp, 1, "\"}\" without an open block");
			if (!alone)
				return stmt_error_col(ps->err, &tmp, c, "nothing may follow \"}\"");
			return 0;
		}
		struct stmt *st = list_add(out);
		if (!st) {
			toks_free(toks, n);
			return -ENOMEM;
		}
		st->file = src->name;
		st->line = src->line;
		st->source = strdup(line);
		int rc = st->source ? 0 : -ENOMEM;
		/* repeat N [as VAR] { */
		bool block = n >= 2 && toks[n - 1].kind == TOK_LBRACE;
		if (!rc)
			rc = build_stmt(ps, st, toks, block ? n - 1 : n);
		for (int i = 0; !rc && i < n - 1; i++)
			if (toks[i].kind == TOK_LBRACE || toks[i].kind == TOK_RBRACE)
				rc = stmt_error(ps->err, st, &toks[i], "unexpected \"%s\"",
						toks[i].text);
		if (!rc && block != (strcmp(st->cmd->name, "repeat") == 0))
			rc = stmt_error(ps->err, st, block ? &toks[n - 1] : NULL,
					block ? "only repeat opens a block"
					      : "repeat needs a block: repeat N { ... }");
		toks_free(toks, n);
		if (rc)
			return rc;
		if (strcmp(st->cmd->name, "include") == 0) {
			struct stmt inc = *st;
			out->n--; /* the include line itself is not a statement */
			rc = do_include(ps, &inc, src, out);
			stmt_clear(&inc);
			if (rc)
				return rc;
			continue;
		}
		if (st->cmd->check && (rc = st->cmd->check(st, ps->err)))
			return rc;
		if (block) {
			struct list body = { 0 };
			int idx = (int)(st - out->v);
			rc = parse_src(ps, src, &body, true, src->line);
			st = &out->v[idx];
			st->body = body.v;
			st->nbody = body.n;
			if (rc)
				return rc;
		}
	}
	if (in_block) {
		struct stmt tmp = { .file = src->name, .line = block_line, .source = NULL };
		return stmt_error_col(ps->err, &tmp, 0, "block opened here is never closed with \"}\"");
	}
	return 0;
}

static int parse(const char *name, const char *text, const char *dir, struct script **out,
		 struct script_error *err)
{
	struct script *s = calloc(1, sizeof(*s));
	struct script_error dummy;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!s)
		return -ENOMEM;
	struct parser ps = { s, err };
	struct src src = { keep_name(&ps, name), text, text, 0, 0, dir ? strdup(dir) : NULL };
	struct list l = { 0 };
	int rc = src.name ? parse_src(&ps, &src, &l, false, 0) : -ENOMEM;
	free(src.dir);
	s->stmts = l.v;
	s->n = l.n;
	if (rc) {
		if (rc == -ENOMEM && !err->msg[0])
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		script_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int script_parse_string(const char *name, const char *text, struct script **out,
			struct script_error *err)
{
	return parse(name, text, NULL, out, err);
}

int script_parse_file(const char *path, struct script **out, struct script_error *err)
{
	size_t len;
	char *text = read_file(path, &len);

	if (!text) {
		if (err) {
			memset(err, 0, sizeof(*err));
			snprintf(err->file, sizeof(err->file), "%s", path);
			snprintf(err->msg, sizeof(err->msg), "cannot read the file");
		}
		return -ENOENT;
	}
	if (memchr(text, '\0', len)) {
		free(text);
		if (err) {
			memset(err, 0, sizeof(*err));
			snprintf(err->file, sizeof(err->file), "%s", path);
			snprintf(err->msg, sizeof(err->msg), "not a text file (it holds NUL bytes)");
		}
		return -EINVAL;
	}
	char *dir = dir_of(path);
	int rc = dir ? parse(path, text, dir, out, err) : -ENOMEM;
	free(dir);
	free(text);
	return rc;
}
