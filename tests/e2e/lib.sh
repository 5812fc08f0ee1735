# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
#
# The TAP layer of the e2e tests, sourced by every tests/e2e/test_*.sh, over
# scripts/lib/netns.sh (namespaces, processes, admd, cleanup: read its
# header). Adds:
#   - TAP: tap_ok, tap_fail, tap_skip, tap_check, tap_assert,
#     tap_plan_done, e2e_skip_all. Command output is kept in E2E_TMP and
#     shown (as TAP comments) only when something fails. A machine that
#     cannot run e2e tests skips the file (e2e_skip_all; tests/run.sh counts
#     that as a failure under CI=true); a missing build product fails it.
#   - the helpers every e2e file uses on tcpprobe results and admctl
#     counters: probe, summary, expect, stats, counter.
#
# tap_check and tap_assert return whether the point passed, so a test can
# stop early. Under errexit a bare failing call ends the file (after its
# "not ok" line, without a second failure); write `tap_assert ... || :`
# for a check the next steps do not depend on, or `|| return 0` to end
# only the current scenario function.

# shellcheck source=scripts/lib/netns.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/netns.sh"

_tap_n=0
_tap_failed=0
_tap_last_failed=0	# the latest test point failed
_tap_done=0

# ---------------------------------------------------------------- TAP

# tap_ok DESC: one passing test point.
tap_ok() {
	_tap_n=$((_tap_n + 1))
	_tap_last_failed=0
	echo "ok $_tap_n - $1"
}

# tap_fail DESC [DETAIL]: one failing test point; DETAIL (may be several
# lines) is shown as TAP comments.
tap_fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	_tap_last_failed=1
	echo "not ok $_tap_n - $1"
	if [ $# -ge 2 ] && [ -n "$2" ]; then
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

# tap_skip DESC WHY: a skipped test point; WHY says why.
tap_skip() {
	_tap_n=$((_tap_n + 1))
	_tap_last_failed=0
	echo "ok $_tap_n - $1 # SKIP $2"
}

# tap_check DESC CMD...: run CMD (output captured); ok if it exits 0,
# otherwise not ok with its output. Returns CMD's status, so a test may
# stop early (see the note at the top on `|| :`).
tap_check() {
	local desc=$1 log rc=0
	shift
	log=$(_e2e_log_name check)
	"$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command: $*"$'\n'"exit status: $rc"$'\n'"$(tail -n 40 "$log")"
	fi
	return "$rc"
}

# tap_assert DESC DETAIL CONDITION...: ok if `test CONDITION` holds, else
# not ok with DETAIL. Example: tap_assert "all ok" "$out" "$ok" -eq 3
tap_assert() {
	local desc=$1 detail=$2
	shift 2
	if [ "$@" ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "expected: $*"$'\n'"$detail"
		return 1
	fi
}

# tap_plan_done: print the plan; the script's status is 1 if anything failed.
tap_plan_done() {
	_tap_done=1
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# e2e_skip_all WHY: skip the whole file (exit 0) before any test point.
e2e_skip_all() {
	echo "ok 1 - $E2E_NAME # SKIP $1"
	echo "1..1"
	_tap_done=1
	exit 0
}

# ---------------------------------------------------------------- hooks of netns.sh

e2e_cannot() { e2e_skip_all "$1"; }

e2e_missing_bins() {
	tap_fail "build products present" "missing: $1"$'\n'"run: make BUILD=${BUILD#"$E2E_REPO/"} test-build"
	tap_plan_done || exit 1
}

# At exit: a file that did not print its plan was stopped; say where, once.
e2e_report_end() {
	local rc=$1
	[ "$_tap_done" -eq 1 ] && return "$rc"
	if [ "$_tap_last_failed" -eq 1 ] && [ "$rc" -ne 0 ] &&
	   [ "${_e2e_err_cmd%% *}" = return ]; then
		# a failed test point stopped the file: already reported
		echo "# $E2E_NAME stopped after a failed test point (line $_e2e_err_line)"
	else
		# aborted by errexit outside a test point: say where
		_tap_n=$((_tap_n + 1))
		echo "not ok $_tap_n - $E2E_NAME aborted (status $rc) at line ${_e2e_err_line:-?}: ${_e2e_err_cmd:-?}"
	fi
	echo "1..$_tap_n"
	[ "$rc" -eq 0 ] && rc=1
	return "$rc"
}

# ---------------------------------------------------------------- probes and counters

# probe NAME ARGS...: tcpprobe --json --each into $E2E_TMP/NAME.json.
probe() {
	local name=$1
	shift
	e2e_probe "$E2E_TMP/$name.json" --each "$@"
}

# summary NAME: probe NAME's result without the per-attempt list.
summary() { jq -c 'del(.each)' "$E2E_TMP/$1.json"; }

# expect NAME DESC JQ: a test point that holds when JQ is true of probe
# NAME's result ("got:" shows the summary when it does not).
expect() {
	local name=$1 desc=$2 expr=$3
	if jq -e "$expr" "$E2E_TMP/$name.json" >/dev/null 2>&1; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "expected: $expr"$'\n'"got: $(summary "$name")"
		return 1
	fi
}

# stats FILE: admctl stats --json into FILE (errors in FILE.err).
stats() { admctl stats --json >"$1" 2>"$1.err"; }

# counter FILE SERVICE VERDICT REASON: packets of one counter of a stats
# FILE (0 if absent).
counter() {
	jq --arg s "$2" --arg v "$3" --arg r "$4" \
		'[.services[] | select(.name == $s) | .counters[] |
		  select(.verdict == $v and .reason == $r) | .packets] | add // 0' "$1"
}
