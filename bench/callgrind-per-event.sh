#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Instructions per event: reads, on standard input, what `valgrind --tool=callgrind
# bench_evq --instructions` wrote to standard output and standard error, takes the total
# callgrind counted ("==PID== Collected : N") and the program's "events: N" line, and
# prints their quotient. A count, unlike a time, does not move on a busy machine.
# Used by `make bench-instructions`.

awk '
/Collected *: *[0-9]+/ {
	for (i = 1; i < NF; i++)
		if ($i == "Collected") {
			ir = $(i + 1) == ":" ? $(i + 2) : $(i + 1)
			sub(/^:/, "", ir)
		}
}
/^events: *[0-9]+/ { ev = $2 }
/^pending: *[0-9]+/ { pending = $2 }
END {
	if (ir == "" || ev == "" || ev == 0) {
		print "callgrind-per-event.sh: no \"Collected : N\" or \"events: N\" line " \
			"in the input" > "/dev/stderr"
		exit 1
	}
	if (pending != "")
		printf "pending events:         %s\n", pending
	printf "schedule+fire pairs:    %s\n", ev
	printf "instructions:           %s\n", ir
	printf "instructions per event: %.1f\n", ir / ev
}'
