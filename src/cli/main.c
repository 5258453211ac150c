/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpsim/tcpsim.h"
#include "tcpsim/script.h"
#include "tcpsim/pd.h"
#include "man.h"

/* Exit statuses: 0 success, 1 an expectation failed, 2 usage errors, scripts that do
 * not parse and features not built yet, so a caller can tell "the model said no" from
 * "the question was malformed". */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

struct subcommand {
	const char *name;
	const char *summary;
	const char *pending; /* non-NULL: not built yet, and what it is waiting for */
};

static const struct subcommand subcommands[] = {
	{ "run", "replay trace scripts and check their expectations", NULL },
	{ "help", "describe the trace language's commands", NULL },
	{ "repl", "interactive session in the trace language (GNU readline)",
	  "the interactive REPL" },
	{ "bench", "measure the simulator's speed and memory",
	  "the connection-lifecycle benchmark (the event-queue benchmark is `make bench`)" },
	{ "packetdrill", "run packetdrill scripts against the simulated Linux endpoint", NULL },
	{ "workload", "connection churn and port-exhaustion analysis",
	  "the workload generator" },
	{ "explore", "try every fault schedule of a script up to k faults",
	  "the fault-schedule explorer" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: tcpsim [--version] [--help] COMMAND [ARGS...]\n"
		"       tcpsim run [--seed N] [--quiet] [--verbose] [--ladder [--ascii]]\n"
		"                  [--stop-on-fail] FILE...\n"
		"       tcpsim --check-syntax FILE...\n"
		"       tcpsim help [COMMAND]\n"
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
		     "  --version       print the version and exit\n"
		     "  --help          print this help and exit\n"
		     "  --check-syntax  parse scripts without running them\n"
		     "\n"
		     "See tcpsim(1) and tcpsim-script(5).\n");
}

static void to_stdout(void *ctx, const char *text)
{
	(void)ctx;
	fputs(text, stdout);
}

static int report_error(const struct script_error *e)
{
	char buf[2048];

	script_error_format(e, buf, sizeof(buf));
	fputs(buf, stderr);
	return EXIT_USAGE;
}

static int check_syntax(int argc, char **argv)
{
	int rc = EXIT_OK;

	if (argc < 1) {
		fprintf(stderr, "tcpsim --check-syntax: name at least one script\n");
		return EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		struct script *s;
		struct script_error e;
		if (script_parse_file(argv[i], &s, &e)) {
			rc = report_error(&e);
			continue;
		}
		script_free(s);
	}
	return rc;
}

static int parse_seed(const char *text, uint64_t *seed)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end || end == text || text[0] == '-')
		return -EINVAL;
	*seed = v;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct interp_opts o;
	bool quiet = false;
	int first = argc;

	interp_default_opts(&o);
	o.write = to_stdout;
	/* Box drawing on a UTF-8 terminal, ASCII elsewhere (or with --ascii). */
	const char *loc = getenv("LC_ALL");
	if (!loc || !*loc)
		loc = getenv("LC_CTYPE");
	if (!loc || !*loc)
		loc = getenv("LANG");
	o.ascii = !loc || !(strstr(loc, "UTF-8") || strstr(loc, "utf8") || strstr(loc, "UTF8") ||
			    strstr(loc, "utf-8"));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--seed") && i + 1 < argc) {
			if (parse_seed(argv[++i], &o.seed)) {
				fprintf(stderr, "tcpsim run: --seed takes a number, not \"%s\"\n", argv[i]);
				return EXIT_USAGE;
			}
			o.seed_forced = true;
		} else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
			quiet = true;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			o.verbose = true;
		} else if (!strcmp(a, "--stop-on-fail")) {
			o.stop_on_fail = true;
		} else if (!strcmp(a, "--ladder")) {
			o.ladder = true;
		} else if (!strcmp(a, "--ascii")) {
			o.ascii = true;
		} else if (!strcmp(a, "--")) {
			first = i + 1;
			break;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "tcpsim run: unknown option \"%s\"; try tcpsim --help\n", a);
			return EXIT_USAGE;
		} else {
			first = i;
			break;
		}
	}
	if (first >= argc) {
		fprintf(stderr, "tcpsim run: name at least one script (FILE.tcpsim)\n");
		return EXIT_USAGE;
	}
	/* Nothing half-runs: every file must parse before any is run. */
	int nfiles = argc - first;
	struct script **scripts = calloc((size_t)nfiles, sizeof(*scripts));
	if (!scripts)
		return EXIT_USAGE;
	int rc = EXIT_OK;
	for (int i = 0; i < nfiles; i++) {
		struct script_error e;
		if (script_parse_file(argv[first + i], &scripts[i], &e))
			rc = report_error(&e);
	}
	uint64_t passed = 0, failed = 0;
	for (int i = 0; rc == EXIT_OK && i < nfiles; i++) {
		struct interp *in = interp_new(&o);
		struct script_error e;
		if (!in) {
			fprintf(stderr, "tcpsim run: out of memory\n");
			rc = EXIT_USAGE;
			break;
		}
		if (!quiet)
			printf("== %s\n", argv[first + i]);
		int r = interp_run(in, scripts[i], &e);
		if (r < 0) {
			report_error(&e);
			failed++;
		}
		passed += interp_passed(in);
		failed += interp_failed(in);
		if (!quiet)
			printf("%s: %" PRIu64 " passed, %" PRIu64 " failed\n", argv[first + i],
			       interp_passed(in), interp_failed(in) + (r < 0));
		interp_free(in);
		if (failed && o.stop_on_fail)
			break;
	}
	for (int i = 0; i < nfiles; i++)
		script_free(scripts[i]);
	free(scripts);
	if (rc != EXIT_OK)
		return rc;
	printf("%" PRIu64 " passed, %" PRIu64 " failed\n", passed, failed);
	return failed ? EXIT_FAILED : EXIT_OK;
}

static int cmd_packetdrill(int argc, char **argv)
{
	struct pd_opts o = { .write = to_stdout };
	int first = argc, passed = 0, failed = 0, skipped = 0;
	bool to_trace = false;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: tcpsim packetdrill [--profile linux|rfc] [--verbose] FILE.pkt...\n"
			       "       tcpsim packetdrill --to-trace FILE.pkt\n"
			       "Runs packetdrill scripts against a simulated Linux endpoint, in virtual\n"
			       "time and without root, or writes the equivalent trace script.\n"
			       "See doc/packetdrill.md.\n");
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--profile") && i + 1 < argc) {
			o.profile = argv[++i];
			if (strcmp(o.profile, "linux") && strcmp(o.profile, "rfc")) {
				fprintf(stderr, "tcpsim packetdrill: --profile takes linux or rfc\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			o.verbose = true;
		} else if (!strcmp(argv[i], "--to-trace")) {
			to_trace = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "tcpsim packetdrill: unknown option \"%s\"\n", argv[i]);
			return EXIT_USAGE;
		} else {
			first = i;
			break;
		}
	}
	if (first >= argc) {
		fprintf(stderr, "tcpsim packetdrill: name at least one script (FILE.pkt)\n");
		return EXIT_USAGE;
	}
	if (to_trace) {
		if (argc - first != 1) {
			fprintf(stderr, "tcpsim packetdrill --to-trace: name one script\n");
			return EXIT_USAGE;
		}
		return pd_to_trace(argv[first], &o) ? EXIT_USAGE : EXIT_OK;
	}
	for (int i = first; i < argc; i++) {
		switch (pd_run_file(argv[i], &o)) {
		case PD_PASSED:
			passed++;
			printf("%s: passed\n", argv[i]);
			break;
		case PD_FAILED:
			failed++;
			printf("%s: FAILED\n", argv[i]);
			break;
		case PD_SKIPPED:
			skipped++;
			printf("%s: skipped\n", argv[i]);
			break;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? EXIT_FAILED : EXIT_OK;
}

static void print_help_text(const char *text, int indent)
{
	/* Wraps at 78 columns. */
	int col = indent;
	const char *p = text;

	printf("%*s", indent, "");
	while (*p) {
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		int len = (int)(p - w);
		if (col + len > 78 && col > indent) {
			printf("\n%*s", indent, "");
			col = indent;
		}
		printf("%.*s", len, w);
		col += len;
		while (*p == ' ')
			p++;
		if (*p) {
			putchar(' ');
			col++;
		}
	}
	putchar('\n');
}

static int cmd_help(int argc, char **argv)
{
	if (argc == 0) {
		printf("Commands of the trace language (tcpsim help COMMAND for one):\n\n");
		for (const struct script_cmd_doc *d = script_commands(); d->name; d++)
			printf("  %-11s %s\n", d->name, d->summary);
		printf("\nAlso: tcpsim help knobs (the TCP knobs of set), tcpsim help counters.\n");
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "--man")) {
		man_write(stdout, tcpsim_version());
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "--examples") && argc == 2) {
		int n = man_write_examples(argv[1]);
		if (n < 0) {
			fprintf(stderr, "tcpsim help --examples: cannot write into %s\n", argv[1]);
			return EXIT_USAGE;
		}
		printf("%d examples written to %s\n", n, argv[1]);
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "knobs")) {
		for (const struct knob_desc *k = knob_table(); k->name; k++)
			printf("  %-26s linux %-12s rfc %-12s\n      %s\n", k->name, k->linux_value,
			       k->rfc_value, k->help);
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "counters")) {
		for (const struct tcp_counter_desc *c = tcp_counter_table(); c->name; c++)
			printf("  %-22s %s\n", c->name, c->help);
		return EXIT_OK;
	}
	int rc = EXIT_OK;
	for (int i = 0; i < argc; i++) {
		const struct script_cmd_doc *d = script_command(argv[i]);
		if (!d) {
			fprintf(stderr, "tcpsim help: no command \"%s\"; tcpsim help lists them\n",
				argv[i]);
			rc = EXIT_USAGE;
			continue;
		}
		printf("%s\n", d->usage);
		print_help_text(d->help, 4);
		if (d->example) {
			printf("\n  Example:\n");
			for (const char *p = d->example; *p;) {
				const char *e = strchr(p, '\n');
				int n = e ? (int)(e - p) : (int)strlen(p);
				printf("    %.*s\n", n, p);
				p += n + (e ? 1 : 0);
			}
		}
	}
	return rc;
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
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--check-syntax") == 0)
		return check_syntax(argc - 2, argv + 2);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(cmd, "help") == 0)
		return cmd_help(argc - 2, argv + 2);
	if (strcmp(cmd, "packetdrill") == 0)
		return cmd_packetdrill(argc - 2, argv + 2);
	/* #!/usr/bin/env tcpsim run puts the script's path after "run"; a script run
	 * directly as "tcpsim FILE" is accepted too. */
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		const struct subcommand *s = &subcommands[i];
		if (strcmp(cmd, s->name) != 0)
			continue;
		fprintf(stderr, "tcpsim %s: not built yet: this version of tcpsim does not have %s.\n",
			s->name, s->pending);
		return EXIT_USAGE;
	}
	fprintf(stderr, "tcpsim: unknown command \"%s\"; try tcpsim --help\n", cmd);
	return EXIT_USAGE;
}
