/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_SCRIPT_H
#define TCPSIM_SCRIPT_H

/*
 * Trace scripts: a line-oriented language that sets up hosts and links, drives the
 * sockets API, injects faults and checks expectations (doc/tcpsim-script.5). One
 * interpreter serves `tcpsim run` and the REPL.
 *
 * A script is parsed whole before anything runs: a syntax error anywhere is reported
 * with its file, line and column and nothing is simulated. The interpreter writes
 * nothing itself; what it has to say goes to the output function it is given.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/vtime.h"
#include "tcpsim/world.h"

struct script;
struct interp;

#define SCRIPT_MSG_MAX 512

/* Where and what: "traces/x.tcpsim:12:8: unknown command "clsoe"; did you mean
 * "close"?", with the source line for a caret display. */
struct script_error {
	char file[256];
	int line, col;           /* 1-based; col 0 when the whole line is meant */
	char msg[SCRIPT_MSG_MAX];
	char source[512];        /* the line as written */
};

/* Formats an error as "file:line:col: message\n  source\n  ^" into buf. */
void script_error_format(const struct script_error *e, char *buf, size_t len);

int script_parse_file(const char *path, struct script **out, struct script_error *err);
int script_parse_string(const char *name, const char *text, struct script **out,
			struct script_error *err);
void script_free(struct script *s);

/* ---------------------------------------------------------------- the interpreter */

typedef void (*interp_write_fn)(void *ctx, const char *text);

struct interp_opts {
	uint64_t seed;            /* the seed when the script sets none */
	bool seed_forced;         /* --seed: overrides the script's `seed` lines */
	bool verbose;             /* write every event as it happens */
	bool stop_on_fail;
	vtime_t block_limit;      /* longest a blocking call or `run until` may wait */
	uint64_t max_events;      /* guard for fuzzing and runaway scripts; 0: none */
	bool ladder;              /* write the ladder diagram at the end of each script */
	bool ascii;               /* ... in ASCII rather than Unicode box drawing */
	interp_write_fn write;    /* where reports go; NULL: nowhere */
	void *write_ctx;
};

void interp_default_opts(struct interp_opts *o);
struct interp *interp_new(const struct interp_opts *o);
void interp_free(struct interp *in);

/* Runs a parsed script in the interpreter's world. Returns 0 when every expectation
 * held, 1 when one failed (or a call failed unexpectedly), or a negative errno when
 * the script could not run (its error is then in *err). */
int interp_run(struct interp *in, const struct script *s, struct script_error *err);

uint64_t interp_passed(const struct interp *in);
uint64_t interp_failed(const struct interp *in);
struct world *interp_world(struct interp *in);

/* ---------------------------------------------------------------- the command table */

struct script_cmd_doc {
	const char *name;
	const char *usage;       /* "HOST connect HOST:PORT as NAME" */
	const char *summary;     /* one line */
	const char *help;        /* paragraphs, plain text */
	const char *example;     /* a runnable script fragment, or NULL */
};

/* Every command, in the order the manual lists them; ends with a NULL name. */
const struct script_cmd_doc *script_commands(void);
const struct script_cmd_doc *script_command(const char *name);

#endif
