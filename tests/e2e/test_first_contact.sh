#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# First contact: what a new user on a fresh machine meets before any policy
# matters (issue 8, section 1).
#
#   (a) no bpffs: admd started in a private mount namespace where nothing is
#       mounted at /sys/fs/bpf mounts a bpffs there (mode 0700), says so,
#       enforces (a client over its rate is refused with a RST, and admctl
#       counts it), and `admd --cleanup` detaches and unpins. admctl with
#       no bpffs says that nothing is pinned.
#   (b) the build on a machine without its packages: pkg-config (a wrapper
#       that fails until a fake deps step has "installed" the packages) is
#       asked only after the deps step, and the first `make` links admctl;
#       a package pkg-config still cannot find stops the build with one
#       sentence, never a link line without its libraries.
#   (c) the test runner: a test program not built, one that printed
#       nothing, a plan that does not match the points, an exit status
#       without a failing point are failures; with CI=true a skipped e2e
#       file and a layer that skipped as a whole are failures too; the last
#       line stays "N passed, N failed, N skipped". .ci/run runs the
#       README's test command.
#
# About 20 s when the build is up to date.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

RATE=5		# new_conn_rate = RATE/s, burst RATE: RATE..RATE+1 of FLOOD get in
FLOOD=20
PORT=8080
BPFFS=/sys/fs/bpf

e2e_init "$ADMD" "$ADMCTL"
e2e_topology

# ---------------------------------------------------------------- (a) no bpffs

# bpffs_in_ns: the bpf mounts at /sys/fs/bpf in the private mount namespace.
bpffs_in_ns() {
	nsenter "${E2E_SRV_MNT[@]}" -- awk -v d="$BPFFS" '$2 == d && $3 == "bpf"' /proc/self/mounts
}

scenario_no_bpffs() {
	local ready="$E2E_TMP/mntns.ready" holder out refused ok mode rc=0

	# A mount namespace of our own (private propagation: nothing here
	# reaches the host) with every bpffs at /sys/fs/bpf unmounted, held
	# open by a sleeping process so admd, admctl and the cleanup can join
	# it. It ends with that process (and takes its bpffs with it).
	unshare -m --propagation private -- sh -c '
		while awk -v d="$1" '\''$2 == d && $3 == "bpf" { f = 1 } END { exit !f }'\'' /proc/self/mounts; do
			umount -R "$1" || exit 1
		done
		echo ok >"$2"
		exec sleep "$3"' sh "$BPFFS" "$ready" "$E2E_PROC_MAX_SECONDS" \
		>"$E2E_TMP/mntns.log" 2>&1 </dev/null &
	holder=$!
	E2E_PIDS+=("$holder")
	if ! e2e_wait_for 5 "the private mount namespace" test -s "$ready"; then
		tap_fail "(a) a private mount namespace without bpffs" "$(cat "$E2E_TMP/mntns.log")"
		return 0
	fi
	E2E_SRV_MNT=(--mount="/proc/$holder/ns/mnt")
	out=$(bpffs_in_ns)
	tap_assert "(a) no bpffs at $BPFFS in the private mount namespace" "$out" -z "$out" ||
		return 0

	out=$(admctl status 2>&1) || rc=$?
	tap_assert "(a) admctl status with no bpffs: exit 1, 'nothing is pinned'" \
		"exit $rc: $out" "$rc:$(grep -c 'nothing is pinned' <<<"$out")" = 1:1 || :

	cat >"$E2E_TMP/adm.conf" <<-EOF
	[adm]
	interfaces = $E2E_SRV_IF
	pin_root = $E2E_PIN
	cgroup = $E2E_CGROUP
	[metrics]
	listen = off
	[service web]
	ports = $PORT
	new_conn_rate = $RATE/s
	new_conn_burst = $RATE
	on_rate = reject
	EOF
	e2e_tcpsrv srv -l "$E2E_SRV4:$PORT"
	e2e_admd_start "$E2E_TMP/adm.conf" || { tap_fail "(a) admd starts without a bpffs"; return 0; }
	tap_ok "(a) admd starts without a bpffs and reports ready"
	tap_check "(a) admd says: mounted bpffs at $BPFFS (it was not mounted)" \
		grep -F "mounted bpffs at $BPFFS (it was not mounted)" "$E2E_ADMD_LOG" || :
	out=$(bpffs_in_ns)
	mode=$(nsenter "${E2E_SRV_MNT[@]}" -- stat -c %a "$BPFFS")
	tap_assert "(a) one bpffs at $BPFFS now, mode 0700 (the sticky bit is bpffs' own)" "mounts: $out; mode: $mode" \
		"$(wc -l <<<"$out"):${mode: -3}" = 1:700 || :
	tap_assert "(a) the pins are in that bpffs, not on the host's /sys/fs/bpf" \
		"$(nsenter "${E2E_SRV_MNT[@]}" -- ls "$E2E_PIN" 2>&1 | head -3)" \
		"$(nsenter "${E2E_SRV_MNT[@]}" -- test -e "$E2E_PIN/adm_services" && echo in)$(test -e "$E2E_PIN" && echo host)" = in || :
	out=$(e2e_srv_xdp_prog)
	tap_assert "(a) adm_xdp attached to $E2E_SRV_IF" "xdp program: '$out'" "$out" = adm_xdp || :

	probe flood -d "$E2E_SRV4:$PORT" -s 10.77.0.10 -n "$FLOOD" -c "$FLOOD" -t 2000
	expect flood "(a) enforcing: the burst ($RATE..$((RATE + 1)) of $FLOOD) gets in, every other connection is refused (RST)" \
		".ok >= $RATE and .ok <= $((RATE + 1)) and .refused == $FLOOD - .ok and .timeout == 0" || :
	refused=$(jq .refused "$E2E_TMP/flood.json")
	ok=$(jq .ok "$E2E_TMP/flood.json")
	stats "$E2E_TMP/stats.json" || :
	out=$(counter "$E2E_TMP/stats.json" web reject rate_source)
	tap_assert "(a) admctl stats (in that namespace) counts the $refused refusals" \
		"reject/rate_source: $out; $(cat "$E2E_TMP/stats.json.err" 2>/dev/null)" "$out" = "$refused" || :
	out=$(counter "$E2E_TMP/stats.json" web pass none)
	tap_assert "(a) and the $ok admitted SYNs" "pass/none: $out" "$out" = "$ok" || :

	e2e_admd_stop
	tap_check "(a) admd --cleanup in that namespace" e2e_admd_cleanup || :
	out=$(e2e_srv_xdp_prog)
	tap_assert "(a) after --cleanup nothing is attached to $E2E_SRV_IF" "xdp program: '$out'" -z "$out" || :
	tap_assert "(a) after --cleanup the pin root is gone" "$(nsenter "${E2E_SRV_MNT[@]}" -- ls "$E2E_PIN" 2>&1)" \
		"$(nsenter "${E2E_SRV_MNT[@]}" -- test -e "$E2E_PIN" && echo left)" = "" || :
	E2E_ADMD_CONF=""
	e2e_kill "$holder"
	E2E_SRV_MNT=()
	tap_assert "(a) the host's mounts were not touched" "$(grep -c " $BPFFS bpf " /proc/mounts) bpf mounts at $BPFFS now" \
		"$(grep -c " $BPFFS bpf " /proc/mounts)" = "$HOST_BPFFS_MOUNTS" || :
}
HOST_BPFFS_MOUNTS=$(grep -c " $BPFFS bpf " /proc/mounts || :)
scenario_no_bpffs

# ---------------------------------------------------------------- (b) the build

scenario_build() {
	local d="$E2E_TMP/build-check" out rc=0 calls
	mkdir -p "$d/bin" "$d/build"
	# pkg-config as on a fresh machine: it fails until the deps step ran.
	cat >"$d/bin/pkg-config" <<-EOF
	#!/bin/sh
	if [ -e "$d/installed" ]; then
		echo "after-deps \$*" >>"$d/calls"
		exec pkg-config "\$@"
	fi
	echo "before-deps \$*" >>"$d/calls"
	echo "Package libbpf was not found in the pkg-config search path." >&2
	exit 1
	EOF
	printf '#!/bin/sh\necho "deps: installing (fake)"\ntouch "%s/installed"\n' "$d" >"$d/deps"
	chmod +x "$d/bin/pkg-config" "$d/deps"
	rc=0
	"$d/bin/pkg-config" --libs libbpf >/dev/null 2>&1 || rc=$?
	tap_assert "(b) before the deps step the packages are missing (pkg-config fails)" "exit $rc" "$rc" -ne 0 || return 0
	rm -f "$d/calls"
	# Everything but the link is already built: copied with its times, so
	# make relinks admctl and compiles nothing that is up to date.
	cp -a "$BUILD/bpf" "$BUILD/vmlinux.h" "$BUILD/userspace" "$BUILD/libadm.a" "$d/build/"
	rc=0
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$E2E_REPO" BUILD="$d/build" \
		PKG_CONFIG="$d/bin/pkg-config" DEPS_SCRIPT="$d/deps" "$d/build/admctl" \
		>"$d/make.log" 2>&1 || rc=$?
	tap_assert "(b) the first make (deps, then build) links admctl" "exit $rc; $(tail -n 20 "$d/make.log")" \
		"$rc" -eq 0 -a -x "$d/build/admctl" || return 0
	calls=$(cat "$d/calls" 2>/dev/null)
	tap_assert "(b) pkg-config was asked only after the deps step" "$calls" \
		"$(grep -c '^before-deps' <<<"$calls" || :):$(grep -c '^after-deps' <<<"$calls" || :)" = 0:1 || :
	tap_check "(b) the admctl it linked runs" "$d/build/admctl" --help || :

	rm -f "$d/build/admctl" "$d/calls"
	rc=0
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$E2E_REPO" BUILD="$d/build" \
		PKG_CONFIG=false DEPS_SCRIPT="$d/deps" "$d/build/admctl" >"$d/make2.log" 2>&1 || rc=$?
	out=$(cat "$d/make2.log")
	tap_assert "(b) a package pkg-config cannot find stops the build with one sentence ('make deps')" \
		"exit $rc: $out" "$rc:$(grep -c "a package is missing; install them with 'make deps'" <<<"$out"):$(grep -c 'LINK' <<<"$out")" = 2:1:0 || :
	rm -rf "$d"
}
scenario_build

# ---------------------------------------------------------------- (c) the runner

# fake_prog FILE OUTPUT [STATUS]: a test program printing OUTPUT.
fake_prog() {
	mkdir -p "$(dirname "$1")"
	printf '#!/bin/sh\nprintf "%%b" "%s"\nexit %s\n' "$2" "${3:-0}" >"$1"
	chmod +x "$1"
}

# runner_last OUT [ENV...] -- LAYER...: tests/run.sh's last line into OUT.
runner_last() {
	local out=$1
	shift
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	local rc=0
	env "${envs[@]}" bash "$E2E_REPO/tests/run.sh" "$@" >"$out.log" 2>&1 || rc=$?
	echo "$rc" >"$out.rc"
	tail -n 1 "$out.log" >"$out"
}

scenario_runner() {
	local r="$E2E_TMP/runner" t b
	t="$r/tests" b="$r/build"
	mkdir -p "$t/unit" "$t/bpf" "$t/e2e"
	for n in good noplan mismatch silent status missing; do : >"$t/unit/test_$n.c"; done
	fake_prog "$b/tests/unit/test_good" '1..2\nok 1 - a\nok 2 - b\n'
	fake_prog "$b/tests/unit/test_noplan" 'ok 1 - a\n'
	fake_prog "$b/tests/unit/test_mismatch" '1..3\nok 1 - a\nok 2 - b\n'
	fake_prog "$b/tests/unit/test_silent" ''
	fake_prog "$b/tests/unit/test_status" '1..1\nok 1 - a\n' 3
	# test_missing: a source without its binary
	: >"$t/bpf/test_skipped.c"
	fake_prog "$b/tests/bpf/test_skipped" '1..0 # SKIP no BPF privilege\n'
	printf 'echo "ok 1 - e2e # SKIP cannot create network namespaces here"\necho "1..1"\n' >"$t/e2e/test_skip.sh"
	printf 'echo "ok 1 - fine"\necho "1..1"\n' >"$t/e2e/test_ok.sh"

	# unit: 2 + 1 + 2 + 0 + 1 + 0 passed; noplan, mismatch, silent,
	# status, missing failed. bpf: 1 skipped. e2e: 1 passed, 1 skipped.
	runner_last "$r/plain" TESTS_DIR="$t" BUILD="$b" CI=false -- unit bpf e2e
	tap_assert "(c) runner: not built, no output, no plan, plan mismatch, exit status are failures" \
		"$(cat "$r/plain.log")" "$(cat "$r/plain"):$(cat "$r/plain.rc")" = "7 passed, 5 failed, 2 skipped:1" || :
	runner_last "$r/ci" TESTS_DIR="$t" BUILD="$b" CI=true -- unit bpf e2e
	tap_assert "(c) runner, CI=true: a skipped e2e file and a skipped layer are failures too" \
		"$(cat "$r/ci.log")" "$(cat "$r/ci"):$(cat "$r/ci.rc")" = "7 passed, 7 failed, 0 skipped:1" || :
	rm -f "$t/e2e/test_skip.sh"
	runner_last "$r/good" TESTS_DIR="$t" BUILD="$b" CI=true -- e2e
	tap_assert "(c) runner, CI=true: a layer that passes is green (exit 0)" \
		"$(cat "$r/good.log")" "$(cat "$r/good"):$(cat "$r/good.rc")" = "1 passed, 0 failed, 0 skipped:0" || :
	runner_last "$r/none" TESTS_DIR="$t" BUILD="$b" -- fuzz
	tap_assert "(c) runner: a layer with no tests at all is a failure" \
		"$(cat "$r/none.log")" "$(cat "$r/none"):$(cat "$r/none.rc")" = "0 passed, 1 failed, 0 skipped:1" || :
	rm -rf "$r"

	# The README's test command is what CI runs.
	t=$(awk '/^## Quick start/ { q = 1 } q && $1 == "make" && $2 == "test" { print "make test"; exit }' README.md)
	tap_assert "(c) .ci/run ends with the README's test command ('$t')" \
		"last line of .ci/run: $(tail -n 1 .ci/run)" -n "$t" -a "$(tail -n 1 .ci/run)" = "$t" || :
}
scenario_runner

tap_plan_done
