#!/usr/bin/env bash
# Run every test layer. Each test program prints TAP ("ok N - what",
# "not ok N - what", "ok N - what # SKIP why"); this script shows a line per
# program, the full output of failing ones, and ends with
# "N passed, N failed, N skipped".
#   tests/run.sh [unit|bpf|e2e|fuzz]...   (default: all layers)
set -o nounset -o pipefail

BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
layers=("$@")
[ "${#layers[@]}" -eq 0 ] && layers=(unit bpf e2e fuzz)

passed=0 failed=0 skipped=0
logdir=$(mktemp -d /tmp/adm-tests.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

# run_one NAME CMD...: run a TAP producer, tally its results.
run_one() {
	local name=$1; shift
	local log="$logdir/$(echo "$name" | tr '/' '_').log" rc p=0 f=0 s=0
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	p=$(grep -cE '^ok [0-9]+' "$log" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+.*# SKIP' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed or failed outside a test case
		echo "not ok - $name exited with status $rc" >>"$log"
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	printf '%-44s %3d passed %3d failed %3d skipped\n' "$name" "$p" "$f" "$s"
	if [ "$f" -ne 0 ]; then
		sed 's/^/    | /' "$log"
	elif [ "$s" -ne 0 ]; then
		grep -E '# SKIP' "$log" | sed 's/^/    | /'
	fi
}

for layer in "${layers[@]}"; do
	case "$layer" in
	unit)
		for t in "$BUILD"/tests/unit/test_*; do
			[ -x "$t" ] || continue
			run_one "unit/$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
		done ;;
	bpf)
		for t in "$BUILD"/tests/bpf/test_*; do
			[ -x "$t" ] || continue
			run_one "bpf/$(basename "$t")" "$t"
		done ;;
	e2e)
		for t in tests/e2e/test_*.sh; do
			[ -f "$t" ] || continue
			run_one "e2e/$(basename "$t" .sh)" env BUILD="$BUILD" bash "$t"
		done ;;
	fuzz)
		for t in tests/fuzz/run_*.sh; do
			[ -f "$t" ] || continue
			run_one "fuzz/$(basename "$t" .sh)" env BUILD="$BUILD" bash "$t"
		done ;;
	*) echo "tests/run.sh: unknown layer '$layer' (unit, bpf, e2e, fuzz)" >&2; exit 2 ;;
	esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
