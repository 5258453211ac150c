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
[ "$fails" -eq 0 ]
