#!/bin/sh
# SPDX-License-Identifier: MIT
# The project's own packetdrill scripts must pass; the deliberately failing ones must
# fail (or be skipped) with the exact report a user would read.
set -u
: "${TCPSIM:=./tcpsim}"
: "${srcdir:=.}"
dir="$srcdir/tests/packetdrill"
fails=0
check() { desc=$1; shift; if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fails=$((fails + 1)); fi; }
out=$("$TCPSIM" packetdrill "$dir"/*.pkt 2>&1); rc=$?
printf '%s\n' "$out" | grep -E ': (passed|FAILED|skipped)$'
check "every script of ours passes" test "$rc" -eq 0
check "and says so" sh -c 'printf "%s\n" "$1" | grep -q "^6 passed, 0 failed, 0 skipped$"' - "$out"
run() { "$TCPSIM" packetdrill "$dir/fail/$1" 2>&1; }
has() { printf '%s\n' "$1" | grep -qF -- "$2"; }
out=$(run wrong-flags.pkt); rc=$?
check "wrong flags: exit 1" test "$rc" -eq 1
check "wrong flags: packetdrill's report" has "$out" "wrong-flags.pkt:10: error handling packet: live packet field tcp flags: expected R. vs actual F."
check "wrong flags: both packets shown" has "$out" "  actual packet: F. 1:1(0) ack 1"
check "wrong flags: the events before it" has "$out" "state ESTABLISHED -> FIN_WAIT_1 (close())"
out=$(run late-packet.pkt)
check "late packet: by how much" has "$out" "late-packet.pkt:11: error handling packet: timing error: expected outbound packet at 0.110000000 sec but happened at 0.220000000 sec; tolerance 0.012500000 sec (late by 110ms)"
out=$(run wrong-errno.pkt)
check "wrong errno" has "$out" "wrong-errno.pkt:10: runtime error in: write call: expected result -1 ENOTCONN but got -1 EPIPE"
out=$(run unsupported.pkt); rc=$?
check "unsupported: skipped, not failed" test "$rc" -eq 0
check "unsupported: says why" has "$out" "unsupported.pkt:1: skipped: the command \"echo\" cannot be interpreted"
check "unsupported: summary" has "$out" "0 passed, 0 failed, 1 skipped"
# Each of our scripts, converted to a trace, holds there too.
tmp=$(mktemp -d)
for f in "$dir"/*.pkt; do
	name=$(basename "$f" .pkt)
	"$TCPSIM" packetdrill --to-trace "$f" > "$tmp/$name.tcpsim"
	out=$("$TCPSIM" run --quiet "$tmp/$name.tcpsim" 2>&1); rc=$?
	check "$name converted with --to-trace runs and holds ($(printf '%s' "$out" | tail -n 1))" test "$rc" -eq 0
done
rm -rf "$tmp"
[ "$fails" -eq 0 ]
