#!/usr/bin/env bash
# Bounded libFuzzer runs (FUZZ_SECONDS each, default 15) of every target in
# tests/fuzz/fuzz_*.c, built in $BUILD/tests/fuzz, from the seed corpus in
# tests/fuzz/corpus. TAP output; a target that was not built is a failure.
set -o nounset -o pipefail
BUILD=${BUILD:-build}
secs=${FUZZ_SECONDS:-15}
cd "$(dirname "$0")/../.." || exit 2
n=0 failed=0
for src in tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	t="$BUILD/tests/fuzz/$name"
	n=$((n + 1))
	if [ ! -x "$t" ]; then
		echo "not ok $n - $name was not built ($t is missing; make test-build)"
		failed=1
		continue
	fi
	corpus=$(mktemp -d)
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	log=$(mktemp)
	if "$t" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
	     -print_final_stats=1 "$corpus" ${seeds:+"$seeds"} >"$log" 2>&1; then
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
		echo "ok $n - $name: ${execs:-?} inputs in ${secs}s, no crash, no sanitizer report"
	else
		echo "not ok $n - $name found a crash"
		tail -n 40 "$log" | sed 's/^/#   /'
		failed=1
	fi
	rm -rf "$corpus" "$log"
done
echo "1..$n"
exit "$failed"
