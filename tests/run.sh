#!/usr/bin/env bash
# The test runner: runs every test layer (README's test command, `make
# test`, which .ci/run calls). Each test program prints TAP ("ok N - what",
# "not ok N - what", "ok N - what # SKIP why", one plan "1..N"); this script
# shows a line per program, the full output of failing ones, and ends with
# "N passed, N failed, N skipped".
#   tests/run.sh [unit|bpf|e2e|fuzz]...   (default: all layers)
#
# Counted as a failure, whatever the points say: a test program that was
# not built (every tests/{unit,bpf}/test_*.c needs its binary), a program
# that printed nothing, a plan missing or not matching the points printed,
# a non-zero exit with no failing point, a layer with no tests at all.
# With CI=true also: an e2e file whose every point is a skip, and a layer
# whose every program skipped (a skip there means the machine cannot run
# the suite, which CI must not report green).
# TESTS_DIR (default tests) and BUILD (default build) say where the test
# sources and binaries are; the runner's own test points them elsewhere.
set -o nounset -o pipefail

BUILD=${BUILD:-build}
cd "$(dirname "$0")/.." || exit 2
TESTS_DIR=${TESTS_DIR:-tests}
CI=${CI:-false}
layers=("$@")
[ "${#layers[@]}" -eq 0 ] && layers=(unit bpf e2e fuzz)

passed=0 failed=0 skipped=0
layer_p=0 layer_f=0 layer_s=0 layer_n=0
logdir=$(mktemp -d /tmp/adm-tests.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

# count_result NAME P F S LOG: add one program's tally, print its line and,
# if it failed (or skipped), its output (its skip lines).
count_result() {
	local name=$1 p=$2 f=$3 s=$4 log=$5
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	layer_p=$((layer_p + p)); layer_f=$((layer_f + f)); layer_s=$((layer_s + s))
	layer_n=$((layer_n + 1))
	printf '%-44s %3d passed %3d failed %3d skipped\n' "$name" "$p" "$f" "$s"
	if [ "$f" -ne 0 ]; then
		sed 's/^/    | /' "$log"
	elif [ "$s" -ne 0 ]; then
		grep -E '# SKIP' "$log" | sed 's/^/    | /'
	fi
}

# run_one LAYER NAME CMD...: run a TAP producer, check its TAP, tally it.
run_one() {
	local layer=$1 name=$2 rc p f s points plans plan problem="" log
	log="$logdir/$(echo "$name" | tr '/' '_').log"
	shift 2
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	p=$(grep -cE '^ok [0-9]+' "$log")
	s=$(grep -cE '^ok [0-9]+.*# SKIP' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	points=$((p + f))
	p=$((p - s))
	plans=$(grep -cE '^1\.\.[0-9]+' "$log")
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$log" | head -n 1)
	if [ ! -s "$log" ]; then
		problem="printed nothing (no TAP)"
	elif [ "$plans" -eq 0 ]; then
		problem="printed no TAP plan (1..N): $points points, exit status $rc"
	elif [ "$plans" -gt 1 ]; then
		problem="printed $plans TAP plans"
	elif [ "$plan" -eq 0 ] && [ "$points" -eq 0 ] && grep -qE '^1\.\.0 *# *SKIP' "$log"; then
		s=1	# "1..0 # SKIP why": the whole program skipped
	elif [ "$plan" -ne "$points" ]; then
		problem="TAP plan says 1..$plan but $points points were printed"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		problem="exited with status $rc and no failing point"
	elif [ "$CI" = true ] && [ "$layer" = e2e ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		problem="skipped as a whole, which CI=true counts as a failure"
		s=0
	fi
	if [ -n "$problem" ]; then
		echo "not ok - $name $problem" >>"$log"
		f=$((f + 1))
	fi
	count_result "$name" "$p" "$f" "$s" "$log"
}

# missing LAYER NAME BINARY: a test program that was not built.
missing() {
	local log
	log="$logdir/$(echo "$2" | tr '/' '_').log"
	echo "not ok - $2 was not built ($3 is missing); run: make BUILD=$BUILD test-build" >"$log"
	count_result "$2" 0 1 0 "$log"
}

# run_built LAYER [ENV...]: every test_*.c of the layer, as its binary.
run_built() {
	local layer=$1 src t
	shift
	for src in "$TESTS_DIR/$layer"/test_*.c; do
		[ -f "$src" ] || continue
		t="$BUILD/tests/$layer/$(basename "$src" .c)"
		if [ -x "$t" ]; then
			run_one "$layer" "$layer/$(basename "$t")" env "$@" "$t"
		else
			missing "$layer" "$layer/$(basename "$t")" "$t"
		fi
	done
}

# run_scripts LAYER PATTERN: every script of the layer, under bash.
run_scripts() {
	local layer=$1 t
	for t in "$TESTS_DIR/$layer"/$2; do
		[ -f "$t" ] || continue
		run_one "$layer" "$layer/$(basename "$t" .sh)" env BUILD="$BUILD" bash "$t"
	done
}

for layer in "${layers[@]}"; do
	layer_p=0 layer_f=0 layer_s=0 layer_n=0
	case "$layer" in
	unit) run_built unit CMOCKA_MESSAGE_OUTPUT=TAP ;;
	bpf) run_built bpf ;;
	e2e) run_scripts e2e 'test_*.sh' ;;
	fuzz) run_scripts fuzz 'run_*.sh' ;;
	*) echo "tests/run.sh: unknown layer '$layer' (unit, bpf, e2e, fuzz)" >&2; exit 2 ;;
	esac
	log="$logdir/layer-$layer.log"
	if [ "$layer_n" -eq 0 ]; then
		echo "not ok - layer $layer: no tests found under $TESTS_DIR/$layer" >"$log"
		count_result "$layer (layer)" 0 1 0 "$log"
	elif [ "$CI" = true ] && [ "$layer_p" -eq 0 ] && [ "$layer_f" -eq 0 ]; then
		echo "not ok - layer $layer: every program skipped ($layer_s points), which CI=true counts as a failure" >"$log"
		skipped=$((skipped - layer_s))
		count_result "$layer (layer)" 0 1 0 "$log"
	fi
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
