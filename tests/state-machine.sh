#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Every row of the table in doc/state-machine.md names the tests that prove it, in its
# last column, as SUITE:TEST (SUITE is tests/check_SUITE.c). This fails, with one line
# per problem, when a row names no test, or names one that its file does not define
# with START_TEST(TEST) or does not register with tcase_add_test / tcase_add_loop_test.
#
# Usage: tests/state-machine.sh [TABLE]   (default: $srcdir/doc/state-machine.md)

srcdir=${srcdir:-.}
table=${1:-$srcdir/doc/state-machine.md}

if [ ! -r "$table" ]; then
	echo "state-machine.sh: cannot read $table"
	exit 1
fi

# Table rows: lines starting with '|', less each table's header (its first row) and
# separator. Prints "LINE<TAB>ROW NAME<TAB>TESTS" for each.
rows=$(awk '
	/^\|/ {
		first = !intable
		intable = 1
		if (first || $0 ~ /^\|[ :|-]+$/)
			next
		line = $0
		sub(/^\|/, "", line)
		sub(/\|[ ]*$/, "", line)
		k = split(line, f, "|")
		name = f[1]
		gsub(/^[ ]+|[ ]+$/, "", name)
		tests = k > 1 ? f[k] : ""
		gsub(/`/, "", tests)
		gsub(/^[ ]+|[ ]+$/, "", tests)
		printf "%d\t%s\t%s\n", NR, name, tests
		next
	}
	{ intable = 0 }
' "$table")

if [ -z "$rows" ]; then
	echo "$table: no table rows found"
	exit 1
fi

fail=0
nrows=0
ntests=0
tab=$(printf '\t')
while IFS="$tab" read -r line name tests; do
	nrows=$((nrows + 1))
	if [ -z "$tests" ]; then
		echo "$table:$line: row \"$name\" names no test"
		fail=1
		continue
	fi
	found=0
	for t in $(echo "$tests" | tr ',;' '  '); do
		found=1
		ntests=$((ntests + 1))
		case $t in
		*:*) ;;
		*)
			echo "$table:$line: row \"$name\": \"$t\" is not SUITE:TEST"
			fail=1
			continue
			;;
		esac
		suite=${t%%:*}
		test=${t#*:}
		file=$srcdir/tests/check_$suite.c
		if [ ! -r "$file" ]; then
			echo "$table:$line: row \"$name\": no file $file for $t"
			fail=1
			continue
		fi
		if ! grep -q "^START_TEST($test)" "$file"; then
			echo "$table:$line: row \"$name\": $t: no START_TEST($test) in $file"
			fail=1
			continue
		fi
		if ! grep -Eq "tcase_add_(loop_)?test\([a-z_]+, $test[,)]" "$file"; then
			echo "$table:$line: row \"$name\": $t: $test is not registered in $file"
			fail=1
		fi
	done
	if [ $found = 0 ]; then
		echo "$table:$line: row \"$name\" names no test"
		fail=1
	fi
done <<EOF
$rows
EOF

if [ $fail = 0 ]; then
	echo "state-machine.sh: $nrows rows, $ntests test references, all defined and registered"
fi
exit $fail
