/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_SCRIPT_INTERNAL_H
#define TCPSIM_SCRIPT_INTERNAL_H

/* Inside the script module: tokens, statements, the command table's full entries. */

#include <stdarg.h>

#include "tcpsim/script.h"

enum tok_kind {
	TOK_WORD,
	TOK_STRING,  /* "..." with its escapes decoded; may hold NUL bytes */
	TOK_ARROW,   /* -> */
	TOK_LBRACE,
	TOK_RBRACE,
};

struct tok {
	enum tok_kind kind;
	char *text;
	size_t len;
	int col;     /* 1-based column of its first character */
};

struct cmd;

struct stmt {
	const struct cmd *cmd;
	struct tok *host;        /* HOST in "HOST command ...", or NULL */
	struct tok *args;        /* after the command word, less "as NAME" and "-> ..." */
	int nargs;
	struct tok *as;          /* NAME in "as NAME", or NULL */
	struct tok *expect;      /* after "->" */
	int nexpect;
	const char *file;        /* owned by the script */
	int line;
	int cmd_col;
	char *source;
	/* repeat N [as VAR] { ... } */
	struct stmt *body;
	int nbody;
	uint64_t repeat_n;
	char *repeat_var;
	/* a parsed fault filter or other argument a command keeps */
	void *data;
	void (*free_data)(void *);
};

struct script {
	struct stmt *stmts;
	int n;
	char **files;
	int nfiles;
};

struct cmd {
	const char *name;
	bool host_scoped;        /* written "HOST name ..." */
	const char *usage;
	const char *summary;
	const char *help;
	const char *example;
	/* Checks the arguments when the script is parsed: 0, or -EINVAL with err set. */
	int (*check)(struct stmt *st, struct script_error *err);
	/* Runs it: 0, or -EINVAL to stop the run (err set). Failed expectations are
	 * counted, not returned. */
	int (*exec)(struct interp *in, const struct stmt *st, struct script_error *err);
};

const struct cmd *cmd_table(void);
const struct cmd *cmd_find(const char *name, bool host_scoped);
/* The command name nearest to `name` (edit distance), for "did you mean". */
const char *cmd_suggest(const char *name);

/* Errors at a token or at a statement. */
int stmt_error(struct script_error *err, const struct stmt *st, const struct tok *at,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int stmt_error_col(struct script_error *err, const struct stmt *st, int col,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Lexing one line: fills toks (caller frees with toks_free). 0 or -EINVAL. */
int lex_line(const char *line, struct tok **toks, int *ntoks, int *errcol, char *msg,
	     size_t msglen);
void toks_free(struct tok *toks, int n);

#endif

/* ---------------------------------------------------------------- the interpreter */

#include "tcpsim/net.h"
#include "tcpsim/sock.h"
#include "tcpsim/ladder.h"

struct name_ent {
	char *name;
	int host;
	uint32_t sock;       /* the connection id: follows it after close */
	int fd;              /* -1 once closed */
	bool nonblock;
};

/* The states a connection entered, whatever its names (`expect NAME path`). */
#define PATH_MAX_STATES 32
struct conn_path {
	uint64_t key;            /* host << 32 | connection id; 0 for an empty slot */
	uint8_t n;
	uint8_t s[PATH_MAX_STATES];
};

struct wire_seg {
	vtime_t t;
	int from, to;
	struct seg s;        /* header and options; no payload */
	bool dropped;
};

struct rule_name {
	char *name;
	int id;
};

struct var {
	const char *name;
	uint64_t value;
};

struct interp {
	struct interp_opts o;
	struct world *w;
	uint64_t passed, failed;
	const char *default_profile; /* "linux" or "rfc": for hosts declared later */

	struct name_ent *names;
	int nnames, cap_names;

	struct wire_seg *wire;       /* every segment a host sent, in order */
	size_t nwire, cap_wire;
	size_t *cursor;              /* per (from, to): next wire index to check */
	bool *tracked;
	int ncursor;                 /* hosts the cursor arrays were sized for */
	size_t ctx_wire;             /* wire length when the latest run of non-expect
				      * statements began: where a direction's first wire
				      * expectation looks */
	bool last_was_expect;

	struct conn_path *paths;     /* open addressing on key */
	size_t npaths, cap_paths;

	struct seg_filter *ignores;
	int nignores;

	struct rule_name *rules;
	int nrules;

	struct var vars[16];
	int nvars;

	char **log;                  /* the last events, for failure reports */
	int log_head, log_n;

	const struct stmt *cur;
	bool stop;
	struct ladder *ladder;       /* when asked for: the diagram of the run */
};

void interp_write(struct interp *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A failed expectation: counted, reported with position, expected and actual, and the
 * events before it. */
void interp_fail(struct interp *in, const struct stmt *st, const struct tok *at,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void interp_pass(struct interp *in);

/* Expands {VAR} in a word with the repeat counters in force. */
int interp_expand(struct interp *in, const struct stmt *st, const struct tok *t, char *buf,
		  size_t len, struct script_error *err);
int interp_host(struct interp *in, const struct stmt *st, const struct tok *t,
		struct script_error *err);
struct name_ent *interp_name(struct interp *in, const struct stmt *st, const struct tok *t,
			     struct script_error *err);
struct name_ent *interp_bind_name(struct interp *in, const struct stmt *st, int host,
				  uint32_t sock, int fd, struct script_error *err);
int interp_resolve(void *in, const char *name, uint32_t *addr);
struct conn_path *interp_path(struct interp *in, int host, uint32_t sock, bool create);

/* Runs the world until cond() holds, or `limit` of virtual time passes (then false). */
bool interp_wait(struct interp *in, bool (*cond)(struct interp *, void *), void *ctx,
		 vtime_t limit);
void interp_run_for(struct interp *in, vtime_t d);
int interp_exec_list(struct interp *in, const struct stmt *v, int n, struct script_error *err);

/* Argument helpers for the commands: each reports its own error. */
int arg_duration(const struct stmt *st, const struct tok *t, vtime_t *out,
		 struct script_error *err);
int arg_u64(const struct stmt *st, const struct tok *t, uint64_t max, uint64_t *out,
	    struct script_error *err);
int arg_percent(const struct stmt *st, const struct tok *t, uint32_t *ppm,
		struct script_error *err);
/* A filter written over several words (toks[0..n)). */
int arg_filter(struct interp *in, const struct stmt *st, const struct tok *toks, int n,
	       struct seg_filter *f, struct script_error *err);
int arg_state(const struct stmt *st, const struct tok *t, enum tcp_state *s,
	      struct script_error *err);
