#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual cannot drift from the program: doc/tcpsim-script.5 must be what
# `tcpsim help --man` writes from the command table, and every example in it must run
# and hold every expectation it states.
set -u
: "${TCPSIM:=./tcpsim}"
: "${srcdir:=.}"
fails=0
if "$TCPSIM" help --man | diff -u "$srcdir/doc/tcpsim-script.5" - >/dev/null; then
	echo "ok - doc/tcpsim-script.5 matches the command table"
else
	echo "not ok - doc/tcpsim-script.5 is stale: regenerate it with"
	echo "         ./tcpsim help --man > doc/tcpsim-script.5 (and read the diff)"
	fails=$((fails + 1))
fi
dir=$(mktemp -d)
"$TCPSIM" help --examples "$dir" >/dev/null || fails=$((fails + 1))
n=0
for f in "$dir"/*.tcpsim; do
	n=$((n + 1))
	if out=$("$TCPSIM" run --quiet "$f" 2>&1); then
		echo "ok - example $(basename "$f" .tcpsim): $out"
	else
		echo "not ok - example $(basename "$f" .tcpsim)"; printf '%s\n' "$out" | sed 's/^/    /'
		fails=$((fails + 1))
	fi
done
rm -rf "$dir"
[ "$n" -ge 5 ] || { echo "not ok - only $n examples found"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ]
