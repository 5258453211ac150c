#!/bin/sh
# SPDX-License-Identifier: MIT
# tcpsim run on a deliberately failing script: exit status 1, each failure with its
# file:line:col, expected and actual, the events before it, and the summary line.
set -u
: "${TCPSIM:=./tcpsim}"
: "${srcdir:=.}"
script="$srcdir/tests/traces/failing.tcpsim"
fails=0
check() { desc=$1; shift; if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fails=$((fails + 1)); fi; }
out=$("$TCPSIM" run "$script" 2>&1); rc=$?
has() { printf '%s\n' "$out" | grep -qF -- "$1"; }
check "exit status 1 when an expectation fails" test "$rc" -eq 1
check "state failure names file:line:col" has "failing.tcpsim:10:10: FAILED: c is FIN_WAIT_1, expected TIME_WAIT"
check "call failure shows expected and got" has "failing.tcpsim:11:17: FAILED: expected 1, got EBADF (Bad file descriptor)"
check "wire failure says nothing came" has "failing.tcpsim:12:13: FAILED: no segment from a to b came"
check "the failing line is shown" has "  expect c TIME_WAIT                 # wrong: it is FIN_WAIT_1 now"
check "the ladder up to it is shown" has "the ladder up to it:"
check "... with the state that failed the check" sh -c 'printf "%s\n" "$1" | grep -q "| #1 FIN_WAIT_1\|│ #1 FIN_WAIT_1"' - "$out"
check "... and the failing line marked" has "  >> $script:10: expect c TIME_WAIT"
check "summary line" has "1 passed, 3 failed"
# A syntax error anywhere: nothing runs, status 2, position and caret.
bad=$(mktemp)
printf 'host a 10.0.0.1\nprint "runs?"\nlink a b delay 5 parsecs\n' > "$bad"
out=$("$TCPSIM" run "$bad" 2>&1); rc=$?
check "syntax error: status 2" test "$rc" -eq 2
check "syntax error: nothing ran" sh -c '! printf "%s\n" "$1" | grep -q "runs?"' - "$out"
check "syntax error: position and message" has ':3:17: duration "5" has no unit: use ns, us, ms, s or m'
rm -f "$bad"
[ "$fails" -eq 0 ]
