#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the libFuzzer harnesses of tests/fuzz/ and runs each for a given time.
#
#   tests/fuzz/fuzz.sh build            build every harness into $FUZZ_BUILD
#   tests/fuzz/fuzz.sh run [NAME...]    build, then run each (default: all) for
#                                       $FUZZ_SECONDS seconds with its seed corpus
#   tests/fuzz/fuzz.sh repro FILE...    build, then run each regression input once
#
# `make fuzz` calls it with the library's exact source list. Environment:
#   FUZZ_CC       clang (needs clang's fuzzer and sanitizer runtimes; Debian 12:
#                 apt-get install clang libclang-rt-14-dev)
#   FUZZ_SECONDS  seconds per harness (default 30)
#   FUZZ_JOBS     harnesses run at once (default 1)
#   FUZZ_FLAGS    extra libFuzzer flags, e.g. "-max_len=4096"
#   FUZZ_SRCDIR   the source tree (default: two levels above this script)
#   FUZZ_CONFIG   the directory holding config.h (default: the source tree)
#   FUZZ_BUILD    where harnesses and their corpora go (default $FUZZ_SRCDIR/tests/fuzz/build)
#   FUZZ_SOURCES  the library's sources, relative to FUZZ_SRCDIR; only .c used (default: every
#                 src/*/*.c but the command-line program's)
# Crashes are left as $FUZZ_BUILD/NAME/crash-* and the run fails.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${FUZZ_SRCDIR:-$(cd "$here/../.." && pwd)}
config=${FUZZ_CONFIG:-$srcdir}
build=${FUZZ_BUILD:-$srcdir/tests/fuzz/build}
cc=${FUZZ_CC:-clang}
seconds=${FUZZ_SECONDS:-30}
jobs=${FUZZ_JOBS:-1}
extra=${FUZZ_FLAGS:-}
harnesses="script vtime filter segment pd"

cflags="-std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
-fno-sanitize-recover=all -I$srcdir/include -I$config -I$srcdir"

build_all() {
	command -v "$cc" >/dev/null 2>&1 || {
		echo "fuzz: $cc not found (Debian 12: apt-get install clang libclang-rt-14-dev)" >&2
		exit 1
	}
	[ -f "$config/config.h" ] || { echo "fuzz: no config.h in $config: run ./configure first" >&2; exit 1; }
	mkdir -p "$build/obj"
	# One probe says clearly what is missing rather than a wall of linker errors.
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
		>"$build/obj/probe.c"
	if ! "$cc" -fsanitize=fuzzer,address,undefined "$build/obj/probe.c" -o "$build/obj/probe" \
		>"$build/obj/probe.log" 2>&1; then
		cat "$build/obj/probe.log" >&2
		echo "fuzz: $cc cannot link with -fsanitize=fuzzer,address,undefined" \
			"(Debian 12: apt-get install libclang-rt-14-dev)" >&2
		exit 1
	fi
	if [ -n "${FUZZ_SOURCES:-}" ]; then
		sources=$FUZZ_SOURCES
	else
		sources=$(cd "$srcdir" && find src -name '*.c' ! -path 'src/cli/*' | LC_ALL=C sort)
	fi
	objs=""
	for s in $sources; do
		case $s in *.c) ;; *) continue ;; esac # headers in the list
		o=$build/obj/$(echo "$s" | sed 's|/|_|g; s|\.c$|.o|')
		if [ ! -f "$o" ] || [ "$srcdir/$s" -nt "$o" ] || \
		   [ -n "$(find "$srcdir/include" "$srcdir/src" "$config/config.h" -newer "$o" \
			   \( -name '*.h' \) 2>/dev/null | head -n 1)" ]; then
			echo "  CC (fuzz) $s"
			# shellcheck disable=SC2086
			"$cc" $cflags -fsanitize=fuzzer-no-link -c "$srcdir/$s" -o "$o"
		fi
		objs="$objs $o"
	done
	for h in $harnesses; do
		out=$build/fuzz_$h
		echo "  CCLD (fuzz) $out"
		# shellcheck disable=SC2086
		"$cc" $cflags -fsanitize=fuzzer "$here/fuzz_$h.c" $objs -o "$out"
	done
}

# Seed corpus of a harness: its handwritten seeds, and every trace for the script one.
seeds() {
	case $1 in
	script) find "$srcdir/traces" "$srcdir/tests/traces" -name '*.tcpsim' 2>/dev/null
		echo "$here/corpus/script" ;;
	pd) find "$srcdir/tests/packetdrill" -name '*.pkt' 2>/dev/null
		echo "$here/corpus/pd" ;;
	*) echo "$here/corpus/$1" ;;
	esac
}

run_one() {
	h=$1
	dir=$build/$h
	mkdir -p "$dir/corpus" "$dir/seeds"
	for s in $(seeds "$h"); do
		if [ -d "$s" ]; then cp "$s"/* "$dir/seeds/" 2>/dev/null || true
		else cp "$s" "$dir/seeds/$(echo "$s" | sed "s|^$srcdir/||; s|/|_|g")"; fi
	done
	dict=""
	[ -f "$here/$h.dict" ] && dict="-dict=$here/$h.dict"
	echo "fuzz: $h for ${seconds}s (log: $dir/fuzz.log)"
	# shellcheck disable=SC2086
	if (cd "$dir" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$build/fuzz_$h" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/" $dict $extra \
		corpus seeds >fuzz.log 2>&1); then
		tail -n 12 "$dir/fuzz.log" | grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss|#[0-9]+.*DONE)' || true
		echo "fuzz: $h: no crash; corpus $(ls "$dir/corpus" | wc -l) inputs"
		return 0
	fi
	echo "fuzz: $h FAILED; the input is in $dir/ (crash-*, leak-*, timeout-*, oom-*):" >&2
	grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$dir/fuzz.log" | head -n 8 >&2
	return 1
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case $cmd in
build) build_all ;;
run)
	build_all
	[ $# -gt 0 ] && harnesses="$*"
	fail=0
	if [ "$jobs" -le 1 ]; then
		for h in $harnesses; do run_one "$h" || fail=1; done
	else
		pids=""; n=0
		for h in $harnesses; do
			run_one "$h" & pids="$pids $!"; n=$((n + 1))
			if [ "$n" -ge "$jobs" ]; then
				for p in $pids; do wait "$p" || fail=1; done
				pids=""; n=0
			fi
		done
		for p in $pids; do wait "$p" || fail=1; done
	fi
	exit $fail ;;
repro)
	build_all
	fail=0
	for f in "$@"; do
		case $f in *.tcpsim | *.pkt | *.md) continue ;; esac # traces: run with tcpsim
		h=$(basename "$(dirname "$f")")
		case $h in script|vtime|filter|segment|pd) ;; *) h=$(basename "$f" | cut -d- -f1) ;; esac
		echo "fuzz: $h < $f"
		"$build/fuzz_$h" -runs=1 "$f" || fail=1
	done
	exit $fail ;;
*) echo "usage: $0 build | run [NAME...] | repro FILE..." >&2; exit 2 ;;
esac
