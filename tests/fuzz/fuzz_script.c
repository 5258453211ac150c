/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the script parser and interpreter. Any bytes are a script; one
 * that parses is run with a cap on simulated events and a short blocking limit, so
 * every input ends quickly whatever it asks for. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/script.h"

#define MAX_EVENTS 20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const char *text)
{
	/* Read every byte the interpreter reports, so a bad string is noticed here. */
	size_t *n = ctx;

	*n += strlen(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return -1;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* a NUL inside ends the script early: that is fine */

	struct script *s = NULL;
	struct script_error err;
	char buf[2048];
	size_t written = 0;

	if (script_parse_string("fuzz.tcpsim", text, &s, &err) == 0) {
		struct interp_opts o;
		interp_default_opts(&o);
		o.max_events = MAX_EVENTS;
		o.block_limit = 10 * VTIME_S;
		o.write = sink;
		o.write_ctx = &written;
		struct interp *in = interp_new(&o);
		if (in) {
			memset(&err, 0, sizeof(err));
			int rc = interp_run(in, s, &err);
			if (rc < 0)
				script_error_format(&err, buf, sizeof(buf));
			if (evq_fired(world_evq(interp_world(in))) > MAX_EVENTS + 1000)
				abort(); /* the cap did not hold */
			interp_free(in);
		}
		script_free(s);
	} else {
		script_error_format(&err, buf, sizeof(buf));
	}
	free(text);
	return 0;
}
