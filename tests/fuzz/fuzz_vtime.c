/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the duration parser and printer. Any text either parses or is
 * rejected with a position inside it; a parsed value prints back to text that parses
 * to the same value; and any 64-bit value >= 0 round-trips through vtime_format. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/vtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(vtime_t t)
{
	char buf[VTIME_BUFSZ], fixed[VTIME_BUFSZ], err[128];
	vtime_t back = -1;
	size_t pos = 0;

	vtime_format(buf, sizeof(buf), t);
	vtime_format_fixed(fixed, sizeof(fixed), t);
	if (t < 0)
		return;
	if (vtime_parse(buf, &back, err, sizeof(err), &pos) != 0 || back != t)
		abort(); /* vtime_parse(vtime_format(t)) == t, promised for every t >= 0 */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return -1;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	vtime_t t = -1;
	char err[128];
	size_t pos = (size_t)-1;
	int rc = vtime_parse(text, &t, err, sizeof(err), &pos);
	if (rc == 0) {
		if (t < 0)
			abort(); /* negative values are rejected */
		roundtrip(t);
	} else {
		if (pos > strlen(text))
			abort(); /* the error points inside the text (or at its end) */
		if (!memchr(err, '\0', sizeof(err)))
			abort();
	}
	/* Small buffers must truncate, never overflow. */
	char tiny[4];
	vtime_format(tiny, sizeof(tiny), t);
	rc = vtime_parse(text, &t, NULL, 0, &pos);
	(void)rc;

	/* The raw bytes as a value, too. */
	if (size >= 8) {
		int64_t v;
		memcpy(&v, data, sizeof(v));
		roundtrip(v);
	}
	free(text);
	return 0;
}
