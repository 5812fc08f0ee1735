#!/usr/bin/env bash
# Bounded libFuzzer runs (FUZZ_SECONDS each, default 15) of every target in
# $BUILD/tests/fuzz, from the seed corpus in tests/fuzz/corpus. TAP output.
set -o nounset -o pipefail
BUILD=${BUILD:-build}
secs=${FUZZ_SECONDS:-15}
cd "$(dirname "$0")/../.."
n=0 failed=0
for t in "$BUILD"/tests/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	n=$((n + 1))
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
[ "$n" -eq 0 ] && echo "ok 1 - fuzz targets # SKIP none built (make test-build)"
echo "1..$((n ? n : 1))"
exit "$failed"
