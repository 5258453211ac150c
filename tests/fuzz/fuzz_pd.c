/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the packetdrill runner. pd_run_file reads a path, so each input
 * is written to a file of this process's own first. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpsim/pd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const char *text)
{
	size_t *n = ctx;

	*n += strlen(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	size_t written = 0;

	if (size > 8192)
		return -1;
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/tcpsim-fuzz-pd.%ld.pkt", (long)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);

	struct pd_opts o = { .profile = (size && (data[0] & 1)) ? "rfc" : "linux",
			     .write = sink, .write_ctx = &written };
	(void)pd_run_file(path, &o);
	(void)pd_to_trace(path, &o);
	return 0;
}
