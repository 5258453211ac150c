/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_PD_H
#define TCPSIM_PD_H

/*
 * packetdrill scripts run against a simulated Linux endpoint, in virtual time and
 * without root (doc/packetdrill.md). The script is the endpoint's peer: "<" lines are
 * injected from the remote address, ">" lines are expectations on what the endpoint
 * sends, syscall lines call the endpoint's sockets API. Backtick commands are
 * interpreted (sysctls become knobs), never run.
 */

#include <stdbool.h>
#include <stdint.h>

enum pd_result {
	PD_PASSED,
	PD_FAILED,   /* an expectation did not hold */
	PD_SKIPPED,  /* the script uses something tcpsim does not model */
};

typedef void (*pd_write_fn)(void *ctx, const char *text);

struct pd_opts {
	const char *profile;     /* "linux" (default) or "rfc" */
	bool verbose;            /* every event as it happens */
	pd_write_fn write;
	void *write_ctx;
};

/* Runs one script. Reports go to opts->write. */
enum pd_result pd_run_file(const char *path, const struct pd_opts *opts);

/* Writes the equivalent tcpsim trace script to opts->write: the endpoint is host
 * "local", the script's peer the raw host "remote". 0, or -EINVAL / -ENOTSUP when
 * the script cannot be read (the reason is written). */
int pd_to_trace(const char *path, const struct pd_opts *opts);

#endif
