# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
#
# Network namespaces, processes and admd for anything that runs adm on this
# machine without touching it: sourced by scripts/demo.sh, the benchmarks
# (tests/bench/*.sh) and, under its TAP layer, tests/e2e/lib.sh. Gives:
#   - strict mode, a unique run id E2E_ID, a temporary dir E2E_TMP and a pin
#     root E2E_PIN (/sys/fs/bpf/adm-e2e-$E2E_ID);
#   - e2e_topology: namespaces adm-srv-$E2E_ID and adm-cli-$E2E_ID joined by
#     a veth pair (vsrv 10.77.0.1/24 fd77::1/64 | vcli 10.77.0.2/24 fd77::2/64
#     plus 10.77.0.10-40 and fd77::10-40), with adm_pass on vcli;
#   - a cgroup v2 group E2E_CGROUP for the servers: give it to admd as
#     `[adm] cgroup = $E2E_CGROUP` so its sockops program sees this run's
#     servers and nothing else on the host (admd's default is the cgroup v2
#     root: every socket of the machine, other runs included);
#   - process helpers that remember every pid they start; admd start/stop;
#     tcpsrv and tcpprobe;
#   - e2e_cleanup, run from the EXIT trap: kills those pids, runs
#     `admd --cleanup` if admd was started, deletes the namespaces, the pin
#     root and the temporary dir; it tolerates partial setup, and first
#     removes leftovers of crashed earlier runs (same prefixes, owner gone).
#
# No bpffs is needed at /sys/fs/bpf: admd mounts one when it is missing
# (a fresh machine has none).
#
# Hooks the sourcing script may redefine (tests/e2e/lib.sh turns them into
# TAP): e2e_cannot WHY (this machine cannot run it: default, say so and
# exit 1), e2e_missing_bins LIST (build products missing: default, say so
# and exit 1), e2e_report_end STATUS (at exit, before cleanup: default, say
# where a failure stopped the script).
#
# Facts this file relies on (TESTING.md): `ip netns exec` remounts /sys, so
# the pins are invisible there: everything runs through
# `nsenter --net=/run/netns/NAME`, which changes only the network namespace.
# XDP_TX on a veth is delivered only if the *peer* has a *native* XDP
# program: with `xdpgeneric` on vcli the frames are still counted in
# vsrv's rx_queue_0_xdp_tx_errors and lost (checked on kernel 6.18), so
# adm_pass is attached with `ip link set dev vcli xdp obj ...` (native).

set -o errexit -o nounset -o pipefail -o errtrace

E2E_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$E2E_REPO"
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$E2E_REPO/$BUILD" ;; esac

ADMD="$BUILD/admd"
ADMCTL="$BUILD/admctl"
TCPSRV="$BUILD/tests/e2e/tools/tcpsrv"
TCPPROBE="$BUILD/tests/e2e/tools/tcpprobe"
ADM_PASS_OBJ="$BUILD/bpf/adm_pass.bpf.o"

# Run id: start time and owner pid, so leftovers of a crashed run can be
# recognised (older, owner gone) and never confused with a live run.
E2E_START=$(date +%s)
E2E_ID="$E2E_START-$$"
E2E_NAME=$(basename "$0" .sh)
E2E_NS_SRV="adm-srv-$E2E_ID"
E2E_NS_CLI="adm-cli-$E2E_ID"
E2E_PIN="/sys/fs/bpf/adm-e2e-$E2E_ID"
E2E_TMP=""
E2E_CGROUP=""		# set by e2e_require: <cgroup2 mount>/adm-e2e-$E2E_ID
E2E_CG2_MNT=""
E2E_SRV_IF=vsrv
E2E_CLI_IF=vcli
E2E_SRV4=10.77.0.1
E2E_SRV6=fd77::1
E2E_CLI4=10.77.0.2
E2E_CLI6=fd77::2
E2E_EXTRA_FIRST=10	# client addresses 10.77.0.10.. and fd77::10..
E2E_EXTRA_LAST=40
E2E_PROC_MAX_SECONDS=${E2E_PROC_MAX_SECONDS:-300}	# every process we start ends by itself (a busy
							# 2-core machine runs a file for minutes)

E2E_PIDS=()		# every background process started, killed in e2e_cleanup
# admd, `admd --cleanup` and admctl run in this mount namespace when set
# (nsenter options, e.g. --mount=/proc/PID/ns/mnt: a private one without
# bpffs); empty: the host's.
E2E_SRV_MNT=()
E2E_ADMD_CONF=""	# set once admd was started: e2e_cleanup runs --cleanup
E2E_ADMD_PID=""
E2E_ADMD_LOG=""		# admd's output, for tests that look at it
export E2E_ADMD_LOG
E2E_TOPOLOGY=0
E2E_CLEANED=0

_e2e_err_line=""
_e2e_err_cmd=""

# ---------------------------------------------------------------- hooks

# e2e_cannot WHY: this machine cannot run the script; stop (before
# anything was created).
e2e_cannot() {
	echo "$E2E_NAME: cannot run here: $1" >&2
	exit 1
}

# e2e_missing_bins LIST: build products are missing; stop.
e2e_missing_bins() {
	echo "$E2E_NAME: missing: $1; run: make BUILD=${BUILD#"$E2E_REPO/"} test-build" >&2
	exit 1
}

# e2e_report_end STATUS: the script ends with STATUS: say where it failed.
# Returns the status to exit with.
e2e_report_end() {
	[ "$1" -eq 0 ] ||
		echo "$E2E_NAME: failed (status $1) at line ${_e2e_err_line:-?}: ${_e2e_err_cmd:-?}" >&2
	return "$1"
}

# e2e_note TEXT...: a comment line ("# ...", TAP diagnostics in tests).
e2e_note() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# ---------------------------------------------------------------- running commands

_e2e_log_seq=0
_e2e_log_name() {
	_e2e_log_seq=$((_e2e_log_seq + 1))
	echo "${E2E_TMP:-/tmp}/$1.$_e2e_log_seq.log"
}

# e2e_quiet CMD...: run CMD with its output captured; on failure print the
# command and its output as TAP comments and return its status.
e2e_quiet() {
	local log rc=0
	log=$(_e2e_log_name cmd)
	"$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		e2e_note "command failed (status $rc): $*"
		sed 's/^/#   /' "$log" | tail -n 40
	fi
	return "$rc"
}

# in_srv CMD... / in_cli CMD...: run CMD in the server / client namespace
# (network namespace only: /sys/fs/bpf stays visible). nsenter execs CMD.
in_srv() { nsenter --net="/run/netns/$E2E_NS_SRV" -- "$@"; }
in_cli() { nsenter --net="/run/netns/$E2E_NS_CLI" -- "$@"; }

# e2e_bg NAME srv|cli PROGRAM ARGS...: start PROGRAM (a program, not a shell
# function) in the background in that namespace, output to
# $E2E_TMP/NAME.log. Server-side programs start inside E2E_CGROUP (before
# they open a socket, so sockops sees their connections). sh and nsenter
# exec, so the pid is the program's own; it is remembered for cleanup and
# left in E2E_BG_PID.
e2e_bg() {
	local name=$1 ns cg=""
	case "$2" in
	srv) ns=$E2E_NS_SRV; cg=$E2E_CGROUP ;;
	cli) ns=$E2E_NS_CLI ;;
	*) echo "e2e_bg: namespace must be srv or cli, not '$2'" >&2; return 2 ;;
	esac
	shift 2
	sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs" || exit 126; shift; exec "$@"' \
		sh "$cg" nsenter --net="/run/netns/$ns" -- "$@" \
		>"$E2E_TMP/$name.log" 2>&1 </dev/null &
	E2E_BG_PID=$!
	E2E_PIDS+=("$E2E_BG_PID")
}

# e2e_wait_for SECONDS DESC CMD...: poll CMD every 0.1 s until it succeeds
# (0) or SECONDS pass (1, with a note naming DESC).
e2e_wait_for() {
	local secs=$1 desc=$2 i max
	shift 2
	max=$((secs * 10))
	for ((i = 0; i < max; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	e2e_note "timed out after ${secs}s waiting for $desc"
	return 1
}

_e2e_alive() { kill -0 "$1" 2>/dev/null; }

# e2e_kill PID: SIGTERM, wait up to 3 s, then SIGKILL. Tolerates a dead pid.
e2e_kill() {
	local pid=$1 i
	_e2e_alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		_e2e_alive "$pid" || break
		sleep 0.1
	done
	if _e2e_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- tools

# e2e_tcpsrv NAME ARGS...: start tcpsrv in the server namespace, wait until
# it listens. Pid in E2E_BG_PID. Fails (with its log) if it does not start.
e2e_tcpsrv() {
	local name=$1 ready
	shift
	ready="$E2E_TMP/$name.ready"
	rm -f "$ready"
	e2e_bg "$name" srv "$TCPSRV" --ready-file "$ready" \
		--max-seconds "$E2E_PROC_MAX_SECONDS" "$@"
	if ! e2e_wait_for 5 "tcpsrv $name" test -s "$ready"; then
		sed 's/^/#   /' "$E2E_TMP/$name.log"
		return 1
	fi
}

# e2e_probe OUT ARGS...: run tcpprobe --json in the client namespace; the
# JSON lands in file OUT. Fails (with stderr) if tcpprobe fails.
e2e_probe() {
	local out=$1 rc=0
	shift
	in_cli "$TCPPROBE" --json "$@" >"$out" 2>"$out.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		e2e_note "tcpprobe $* failed (status $rc)"
		sed 's/^/#   /' "$out.err"
	fi
	return "$rc"
}

# jget FILE FILTER: one value from a JSON file (jq -r).
jget() { jq -r "$2" "$1"; }

# ---------------------------------------------------------------- admd

# e2e_admd_start CONF [ARGS...]: start admd in the server namespace and wait
# for "admd: ready". Pid in E2E_ADMD_PID, output in the file E2E_ADMD_LOG
# (one per start). admd runs under `timeout`, so it
# ends by itself even if this shell is killed. Returns 1 (log shown) if it
# exits or is not ready within 10 s.
e2e_admd_start() {
	local conf=$1 log i
	shift
	E2E_ADMD_CONF=$conf
	log="$E2E_TMP/admd.$_e2e_log_seq.log"
	_e2e_log_seq=$((_e2e_log_seq + 1))
	E2E_ADMD_LOG=$log
	timeout --kill-after=5 "$E2E_PROC_MAX_SECONDS" \
		nsenter "${E2E_SRV_MNT[@]}" --net="/run/netns/$E2E_NS_SRV" -- "$ADMD" -c "$conf" "$@" \
		>"$log" 2>&1 </dev/null &
	E2E_PIDS+=("$!")
	E2E_ADMD_TIMEOUT_PID=$!
	# Not a job of this shell: a test may kill -9 admd without bash
	# printing "Killed" (cleanup still kills it by pid).
	disown "$E2E_ADMD_TIMEOUT_PID"
	E2E_ADMD_PID=""
	# timeout forks and execs nsenter, which execs admd: same pid.
	for ((i = 0; i < 100; i++)); do
		E2E_ADMD_PID=$(awk '{ print $1 }' \
			"/proc/$E2E_ADMD_TIMEOUT_PID/task/$E2E_ADMD_TIMEOUT_PID/children" 2>/dev/null)
		[ -n "$E2E_ADMD_PID" ] && break
		_e2e_alive "$E2E_ADMD_TIMEOUT_PID" || break
		sleep 0.05
	done
	[ -n "$E2E_ADMD_PID" ] && E2E_PIDS+=("$E2E_ADMD_PID")
	for ((i = 0; i < 100; i++)); do
		if grep -q 'admd: ready' "$log" 2>/dev/null; then
			return 0
		fi
		_e2e_alive "$E2E_ADMD_TIMEOUT_PID" || break
		sleep 0.1
	done
	e2e_note "admd did not become ready (log $log):"
	sed 's/^/#   /' "$log" | tail -n 40
	return 1
}

# e2e_admd_stop: SIGTERM admd and wait for it (maps and XDP stay).
e2e_admd_stop() {
	[ -n "$E2E_ADMD_PID" ] && e2e_kill "$E2E_ADMD_PID"
	[ -n "${E2E_ADMD_TIMEOUT_PID:-}" ] && e2e_kill "$E2E_ADMD_TIMEOUT_PID"
	E2E_ADMD_PID=""
}

# e2e_admd_cleanup: `admd --cleanup -c CONF` in the server namespace.
e2e_admd_cleanup() {
	timeout 20 nsenter "${E2E_SRV_MNT[@]}" --net="/run/netns/$E2E_NS_SRV" -- \
		"$ADMD" --cleanup -c "$E2E_ADMD_CONF"
}

# admctl ARGS...: admctl on this run's pin root (in the server namespace).
admctl() {
	timeout 20 nsenter "${E2E_SRV_MNT[@]}" --net="/run/netns/$E2E_NS_SRV" -- \
		"$ADMCTL" --pin-root "$E2E_PIN" "$@"
}

# ---------------------------------------------------------------- topology

# e2e_require: stop (e2e_cannot) unless we can do what an e2e run does.
e2e_require() {
	local t
	[ "$(id -u)" -eq 0 ] || e2e_cannot "needs root (netns, XDP, bpffs)"
	for t in ip nsenter jq timeout; do
		command -v "$t" >/dev/null 2>&1 || e2e_cannot "'$t' is not installed (scripts/deps.sh)"
	done
	[ -r /sys/kernel/btf/vmlinux ] || e2e_cannot "no BTF at /sys/kernel/btf/vmlinux"
	# cgroup v2: /sys/fs/cgroup/unified on hybrid hosts, else /sys/fs/cgroup.
	E2E_CG2_MNT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	[ -n "$E2E_CG2_MNT" ] || e2e_cannot "no cgroup v2 mount in /proc/mounts (admd's sockops needs one)"
	E2E_CGROUP="$E2E_CG2_MNT/adm-e2e-$E2E_ID"
	mkdir "$E2E_CGROUP" 2>/dev/null ||
		{ E2E_CGROUP=""; e2e_cannot "cannot create a cgroup under $E2E_CG2_MNT"; }
	[ -d /run/netns ] || mkdir -p /run/netns 2>/dev/null || true
	E2E_TMP=$(mktemp -d "/tmp/adm-e2e-$E2E_ID.XXXXXX")
	local probe="adm-probe-$E2E_ID"
	if ! ip netns add "$probe" >/dev/null 2>&1; then
		e2e_cannot "cannot create network namespaces here"
	fi
	ip netns del "$probe" >/dev/null 2>&1 || true
}

# e2e_need_bins FILE...: a missing build product is a failure, not a skip.
e2e_need_bins() {
	local f missing=()
	for f in "$@"; do
		[ -x "$f" ] || [ -f "$f" ] || missing+=("$f")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	e2e_missing_bins "${missing[*]}"
}

# e2e_topology: the two namespaces, the veth, addresses, adm_pass on vcli.
e2e_topology() {
	local i
	E2E_TOPOLOGY=1
	e2e_quiet ip netns add "$E2E_NS_SRV"
	e2e_quiet ip netns add "$E2E_NS_CLI"
	e2e_quiet ip link add "$E2E_SRV_IF" netns "$E2E_NS_SRV" type veth \
		peer name "$E2E_CLI_IF" netns "$E2E_NS_CLI"
	e2e_quiet ip -n "$E2E_NS_SRV" addr add "$E2E_SRV4/24" dev "$E2E_SRV_IF"
	e2e_quiet ip -n "$E2E_NS_SRV" addr add "$E2E_SRV6/64" dev "$E2E_SRV_IF" nodad
	e2e_quiet ip -n "$E2E_NS_CLI" addr add "$E2E_CLI4/24" dev "$E2E_CLI_IF"
	e2e_quiet ip -n "$E2E_NS_CLI" addr add "$E2E_CLI6/64" dev "$E2E_CLI_IF" nodad
	{
		for ((i = E2E_EXTRA_FIRST; i <= E2E_EXTRA_LAST; i++)); do
			echo "addr add 10.77.0.$i/24 dev $E2E_CLI_IF"
			echo "addr add fd77::$i/64 dev $E2E_CLI_IF nodad"
		done
	} >"$E2E_TMP/addrs.batch"
	e2e_quiet ip -n "$E2E_NS_CLI" -batch "$E2E_TMP/addrs.batch"
	e2e_quiet ip -n "$E2E_NS_SRV" link set lo up
	e2e_quiet ip -n "$E2E_NS_CLI" link set lo up
	e2e_quiet ip -n "$E2E_NS_SRV" link set "$E2E_SRV_IF" up
	e2e_quiet ip -n "$E2E_NS_CLI" link set "$E2E_CLI_IF" up
	# Native, not xdpgeneric: see the header of this file.
	e2e_quiet ip -n "$E2E_NS_CLI" link set dev "$E2E_CLI_IF" xdp \
		obj "$ADM_PASS_OBJ" sec xdp
	# No neighbour discovery races in the first milliseconds of a test.
	e2e_wait_for 5 "veth carrier" e2e_link_up
}

e2e_link_up() {
	ip -n "$E2E_NS_SRV" link show "$E2E_SRV_IF" | grep -q 'state UP' &&
		ip -n "$E2E_NS_CLI" link show "$E2E_CLI_IF" | grep -q 'state UP'
}

# e2e_srv_xdp_prog: name of the XDP program on vsrv ("" if none).
e2e_srv_xdp_prog() {
	ip -n "$E2E_NS_SRV" -j link show dev "$E2E_SRV_IF" |
		jq -r '.[0].xdp.prog.name // (.[0].xdp.attached[0].prog.name // "")'
}

# ---------------------------------------------------------------- cleanup

# _e2e_stale ID: 0 if run ID ("EPOCH-PID") is from a crashed earlier run:
# started before this one and its owner is gone (or the pid was reused by a
# process that started later).
_e2e_stale() {
	local id=$1 epoch pid etimes
	epoch=${id%%-*}
	pid=${id#*-}
	case "$epoch$pid" in *[!0-9]*|"") return 1 ;; esac
	[ "$id" != "$E2E_ID" ] || return 1
	[ "$epoch" -le "$E2E_START" ] || return 1
	if [ -d "/proc/$pid" ]; then
		etimes=$(ps -o etimes= -p "$pid" 2>/dev/null | tr -d ' ')
		[ -n "$etimes" ] || return 0
		# Alive and started no later than that run: its owner, still running.
		[ $((E2E_START - etimes)) -gt $((epoch + 2)) ] || return 1
	fi
	return 0
}

# Remove what crashed earlier runs left: the processes inside their
# namespaces (by pid, from `ip netns pids`; they would end by themselves
# within E2E_PROC_MAX_SECONDS anyway), the namespaces, pin roots and temp
# dirs.
_e2e_reap_stale() {
	local ns id d pids pid i
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case "$ns" in adm-srv-*|adm-cli-*) ;; *) continue ;; esac
		id=${ns#adm-???-}
		_e2e_stale "$id" || continue
		pids=$(ip netns pids "$ns" 2>/dev/null) || pids=""
		for pid in $pids; do
			kill -TERM "$pid" 2>/dev/null || true
		done
		for ((i = 0; i < 30; i++)); do
			[ -n "$(ip netns pids "$ns" 2>/dev/null)" ] || break
			sleep 0.1
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" >/dev/null 2>&1 || true
	done
	for d in /sys/fs/bpf/adm-e2e-*; do
		[ -e "$d" ] || continue
		id=${d#/sys/fs/bpf/adm-e2e-}
		_e2e_stale "$id" && rm -rf "$d" 2>/dev/null
	done
	for d in "$E2E_CG2_MNT"/adm-e2e-*; do
		if [ -z "$E2E_CG2_MNT" ] || [ ! -d "$d" ]; then
			continue
		fi
		id=${d##*/adm-e2e-}
		_e2e_stale "$id" || continue
		_e2e_cgroup_rm "$d" ||
			e2e_note "cannot remove $d (left by a crashed run; its processes would not end)"
	done
	for d in /tmp/adm-e2e-*.*; do
		[ -d "$d" ] || continue
		id=${d#/tmp/adm-e2e-}
		id=${id%.*}
		_e2e_stale "$id" && rm -rf "$d" 2>/dev/null
	done
	return 0
}

# _e2e_cgroup_rm DIR: end what still runs in cgroup DIR and the groups
# below it (by pid), remove them, deepest first. 1 if one stays.
_e2e_cgroup_rm() {
	local d=$1 pid i sub
	for sub in "$d"/*/; do
		[ -d "$sub" ] && { _e2e_cgroup_rm "${sub%/}" || return 1; }
	done
	for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for ((i = 0; i < 30; i++)); do
		rmdir "$d" 2>/dev/null && return 0
		sleep 0.1
	done
	for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for ((i = 0; i < 30; i++)); do
		rmdir "$d" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# e2e_cleanup: everything this run created, in reverse; never fails.
e2e_cleanup() {
	local rc=$? pid i
	set +o errexit
	trap - ERR
	[ "$E2E_CLEANED" -eq 1 ] && return 0
	E2E_CLEANED=1
	e2e_report_end "$rc"
	rc=$?
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		e2e_kill "${E2E_PIDS[$i]}"
	done
	# A private mount namespace gone (its holder was killed above) took its
	# bpffs, the pins and so the links with it: nothing left to clean.
	if [ "${#E2E_SRV_MNT[@]}" -gt 0 ] && ! nsenter "${E2E_SRV_MNT[@]}" true 2>/dev/null; then
		E2E_ADMD_CONF=""
	fi
	if [ -n "$E2E_ADMD_CONF" ] && [ -x "$ADMD" ] && [ -e "/run/netns/$E2E_NS_SRV" ]; then
		e2e_admd_cleanup >"${E2E_TMP:-/tmp}/admd-cleanup.log" 2>&1 ||
			{ e2e_note "admd --cleanup failed:"; sed 's/^/#   /' "${E2E_TMP:-/tmp}/admd-cleanup.log"; }
	fi
	if [ "$E2E_TOPOLOGY" -eq 1 ]; then
		ip -n "$E2E_NS_CLI" link set dev "$E2E_CLI_IF" xdp off >/dev/null 2>&1
		ip netns del "$E2E_NS_CLI" >/dev/null 2>&1
		ip netns del "$E2E_NS_SRV" >/dev/null 2>&1
	fi
	[ -e "$E2E_PIN" ] && rm -rf "$E2E_PIN"
	# admd's default log spool for this pin root ([mariadb] spool_dir unset)
	rm -rf "/var/lib/adm/spool/$(basename "$E2E_PIN")"
	# ... and its default control socket, left by an admd killed with -9
	[ -n "$E2E_PIN" ] && rm -f "/run/adm/$(basename "$E2E_PIN").sock"
	[ -n "$E2E_CGROUP" ] && [ -d "$E2E_CGROUP" ] && _e2e_cgroup_rm "$E2E_CGROUP"
	[ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ] && rm -rf "$E2E_TMP"
	exit "$rc"
}

_e2e_on_err() {
	_e2e_err_line=$1
	_e2e_err_cmd=$2
}

trap 'e2e_cleanup' EXIT
trap '_e2e_on_err "$LINENO" "$BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

# e2e_init [BINARY...]: the standard start: can this machine run it,
# leftovers of crashed runs, required binaries.
e2e_init() {
	e2e_require
	_e2e_reap_stale
	e2e_need_bins "$TCPSRV" "$TCPPROBE" "$ADM_PASS_OBJ" "$@"
}
