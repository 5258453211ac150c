#!/bin/sh
# SPDX-License-Identifier: MIT
# Replays every script under traces/: each is a test, and any failed expectation
# fails the suite. Prints one line per trace and the total.
set -u
: "${TCPSIM:=./tcpsim}"
: "${srcdir:=.}"
pass=0; fail=0; bad=""
for f in $(find "$srcdir/traces" -name '*.tcpsim' | LC_ALL=C sort); do
	if out=$("$TCPSIM" run --quiet "$f" 2>&1); then
		pass=$((pass + 1)); echo "ok - ${f#"$srcdir"/}: $(printf '%s\n' "$out" | tail -n 1)"
	else
		fail=$((fail + 1)); bad="$bad ${f#"$srcdir"/}"
		echo "not ok - ${f#"$srcdir"/}"; printf '%s\n' "$out" | sed 's/^/    /'
	fi
done
echo "traces: $pass passed, $fail failed${bad:+ (failed:$bad)}"
[ "$pass" -gt 0 ] && [ "$fail" -eq 0 ]
