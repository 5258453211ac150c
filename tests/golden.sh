#!/bin/sh
# SPDX-License-Identifier: MIT
# Golden reports: the verbose output of a few traces, byte for byte. A change here is
# a change in what tcpsim does; read the diff, and regenerate a golden file only when
# the new behaviour is the right one:
#   ./tcpsim run --verbose traces/close/four-way-close.tcpsim > tests/golden/four-way-close.out
set -u
: "${TCPSIM:=./tcpsim}"
: "${srcdir:=.}"
fails=0
for pair in close/four-way-close shutdown/half-close; do
	name=$(basename "$pair")
	# The report names the script as it was given; run from srcdir so it reads the same.
	if (cd "$srcdir" && "$TCPSIM" run --verbose "traces/$pair.tcpsim") |
	   diff -u "$srcdir/tests/golden/$name.out" - > golden.diff 2>&1; then
		echo "ok - $name matches its golden report"
	else
		echo "not ok - $name differs from tests/golden/$name.out:"; head -40 golden.diff
		fails=$((fails + 1))
	fi
	rm -f golden.diff
done
# Ladder diagrams, Unicode and ASCII, read by eye once and frozen.
for spec in "close/four-way-close:four-way-close.ladder:" \
	    "timewait/lost-final-ack:lost-final-ack.ladder-ascii:--ascii"; do
	trace=${spec%%:*}; rest=${spec#*:}; golden=${rest%%:*}; flag=${rest#*:}
	if (cd "$srcdir" && LANG=C.UTF-8 "$TCPSIM" run --quiet --ladder $flag "traces/$trace.tcpsim") |
	   diff -u "$srcdir/tests/golden/$golden" - > golden.diff 2>&1; then
		echo "ok - $golden matches"
	else
		echo "not ok - $golden differs:"; head -40 golden.diff
		fails=$((fails + 1))
	fi
	rm -f golden.diff
done
[ "$fails" -eq 0 ]
