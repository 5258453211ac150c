#!/bin/sh
# SPDX-License-Identifier: MIT
# The program's own promises: --version, --help, and a clear word for what is not built.
set -u
: "${TCPSIM:=./tcpsim}"
fails=0
check() { # description, then a command that must succeed
	desc=$1; shift
	if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fails=$((fails + 1)); fi
}
out=$("$TCPSIM" --version); rc=$?
check "--version exits 0" test "$rc" -eq 0
check "--version prints the name and version" sh -c 'echo "$1" | grep -Eq "^tcpsim [0-9]+\.[0-9]+\.[0-9]+$"' - "$out"
out=$("$TCPSIM" --help); rc=$?
check "--help exits 0" test "$rc" -eq 0
check "--help lists the run command" sh -c 'echo "$1" | grep -q "^  run "' - "$out"
for sub in repl bench; do
	err=$("$TCPSIM" "$sub" 2>&1 >/dev/null); rc=$?
	check "$sub: status 2 while not built" test "$rc" -eq 2
	check "$sub: says it is not built yet" sh -c 'echo "$1" | grep -q "not built yet"' - "$err"
done
err=$("$TCPSIM" run 2>&1); rc=$?
check "run without a script: status 2" test "$rc" -eq 2
check "run without a script: says so" sh -c 'echo "$1" | grep -q "name at least one script"' - "$err"
out=$("$TCPSIM" help close); rc=$?
check "help COMMAND prints its usage" sh -c 'echo "$1" | grep -q "^HOST close SOCKET"' - "$out"
err=$("$TCPSIM" help clsoe 2>&1); rc=$?
check "help of an unknown command: status 2" test "$rc" -eq 2
err=$("$TCPSIM" frobnicate 2>&1); rc=$?
check "unknown command: status 2" test "$rc" -eq 2
check "unknown command: names it" sh -c 'echo "$1" | grep -q "unknown command \"frobnicate\""' - "$err"
"$TCPSIM" >/dev/null 2>&1; rc=$?
check "no arguments: usage, status 2" test "$rc" -eq 2
[ "$fails" -eq 0 ]
