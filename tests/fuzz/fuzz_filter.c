/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the segment filter parser, with a network's name resolver and
 * without one; a filter that parses is then matched against a segment built from the
 * input's last bytes. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/net.h"
#include "tcpsim/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct world *w;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return -1;
	if (!w) {
		w = world_new(1, NULL);
		if (!w || world_host_add(w, "client", 0x0a000001) < 0 ||
		    world_host_add(w, "server", 0x0a000002) < 0 ||
		    world_host_add(w, "a-b_9", 0xc0a80001) < 0)
			abort();
	}
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct seg_filter f;
	char err[160];
	size_t pos = (size_t)-1;
	struct seg s;
	memset(&s, 0, sizeof(s));
	if (size >= 24) {
		const uint8_t *p = data + size - 24;
		memcpy(&s.seq, p, 4);
		memcpy(&s.ack, p + 4, 4);
		memcpy(&s.wnd, p + 8, 2);
		s.flags = p[10];
		s.len = p[11];
		s.opt.present = p[12];
		s.opt.wscale = p[13];
		memcpy(&s.opt.mss, p + 14, 2);
		s.saddr = (p[16] & 1) ? 0x0a000001 : 0x0a000002;
		s.daddr = (p[16] & 2) ? 0x0a000001 : 0x0a000002;
		memcpy(&s.sport, p + 17, 2);
		memcpy(&s.dport, p + 19, 2);
	}
	for (int k = 0; k < 2; k++) {
		memset(&f, 0xa5, sizeof(f));
		int rc = k ? seg_filter_parse(text, net_resolve, world_net(w), &f, err, sizeof(err), &pos)
			   : seg_filter_parse(text, NULL, NULL, &f, err, sizeof(err), &pos);
		if (rc == 0) {
			(void)seg_filter_match(&f, &s);
		} else {
			if (pos > size)
				abort(); /* the error points inside the text */
			if (!memchr(err, '\0', sizeof(err)))
				abort();
		}
	}
	free(text);
	return 0;
}
