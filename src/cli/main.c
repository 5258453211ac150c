/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tcpsim/tcpsim.h"

/* Exit statuses: 0 success, 1 a run's expectations failed, 2 usage errors and
 * features not built yet, so scripts can tell "the model said no" from "wrong call". */
enum { EXIT_OK = 0, EXIT_USAGE = 2 };

struct subcommand {
	const char *name;
	const char *summary;
	const char *pending; /* non-NULL: not built yet, and what it is waiting for */
};

static const struct subcommand subcommands[] = {
	{ "run", "replay trace scripts and check their expectations",
	  "the trace-script runner" },
	{ "repl", "interactive session in the trace language (GNU readline)",
	  "the interactive REPL" },
	{ "bench", "measure the simulator's speed and memory",
	  "the connection-lifecycle benchmark (the event-queue benchmark is `make bench`)" },
	{ "packetdrill", "run packetdrill scripts against the simulated Linux endpoint",
	  "the packetdrill front end" },
	{ "workload", "connection churn and port-exhaustion analysis",
	  "the workload generator" },
	{ "explore", "try every fault schedule of a script up to k faults",
	  "the fault-schedule explorer" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: tcpsim [--version] [--help] COMMAND [ARGS...]\n"
		"\n"
		"tcpsim simulates TCP endpoints in virtual time over a virtual network that can\n"
		"lose, delay, duplicate and reorder segments, to study how connections end:\n"
		"FIN_WAIT, CLOSE_WAIT, TIME_WAIT, shutdown(), SO_LINGER, port exhaustion.\n"
		"Same script and seed, same bytes out.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-12s %s%s\n", subcommands[i].name, subcommands[i].summary,
			subcommands[i].pending ? " (not built yet)" : "");
	fprintf(out, "\n"
		     "Options:\n"
		     "  --version    print the version and exit\n"
		     "  --help       print this help and exit\n"
		     "\n"
		     "See tcpsim(1).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("tcpsim %s\n", tcpsim_version());
		return EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		const struct subcommand *s = &subcommands[i];
		if (strcmp(cmd, s->name) != 0)
			continue;
		if (s->pending) {
			fprintf(stderr,
				"tcpsim %s: not built yet: this version of tcpsim does not have %s.\n",
				s->name, s->pending);
			return EXIT_USAGE;
		}
	}
	fprintf(stderr, "tcpsim: unknown command \"%s\"; try tcpsim --help\n", cmd);
	return EXIT_USAGE;
}
