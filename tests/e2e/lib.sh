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

# ---------------------------------------------------------------- several nodes (cluster tests)
#
# e2e_nodes N: N node namespaces adm-nd<K>-$E2E_ID (K = 1..N) behind the
# client namespace E2E_NS_CLI (created here if e2e_topology did not). Node K
# has `vnode` 10.77.K.1/24 joined to `vc<K>` 10.77.K.2/24 in the client
# namespace (adm_pass native on vc<K>). Client sources for every node are
# 10.77.100.1-254 on the client's lo, routed back from each node, so one
# source address can reach every node (a client spread over a balancer).
# Each node gets its own pin root E2E_PIN/n<K>, cgroup E2E_CGROUP/n<K> and
# control socket E2E_TMP/n<K>.sock. e2e_nodes_cleanup (run from the EXIT
# trap before e2e_cleanup) kills the nodes' admds, runs their --cleanup,
# deletes the namespaces and cgroups.
E2E_NODES=0
E2E_NODE_ADMD_PID=()	# per node: admd's pid ("" if not running)
E2E_NODE_ADMD_TIMEOUT=()
E2E_NODE_CONF=()
E2E_CLI_SRC_FIRST=1	# client sources 10.77.100.1..
E2E_CLI_SRC_LAST=254

e2e_node_ns() { echo "adm-nd$1-$E2E_ID"; }
e2e_node_pin() { echo "$E2E_PIN/n$1"; }
e2e_node_cg() { echo "$E2E_CGROUP/n$1"; }
e2e_node_sock() { echo "$E2E_TMP/n$1.sock"; }

# in_node K CMD...: run CMD in node K's network namespace.
in_node() { local k=$1; shift; nsenter --net="/run/netns/$(e2e_node_ns "$k")" -- "$@"; }

# admctl_node K ARGS...: admctl on node K's pin root and control socket.
admctl_node() {
	local k=$1; shift
	timeout 20 nsenter --net="/run/netns/$(e2e_node_ns "$k")" -- \
		"$ADMCTL" --pin-root "$(e2e_node_pin "$k")" --socket "$(e2e_node_sock "$k")" "$@"
}

_e2e_nodes_reap_stale() {
	local ns id pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case "$ns" in adm-nd[0-9]-*) ;; *) continue ;; esac
		id=${ns#adm-nd?-}
		_e2e_stale "$id" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" >/dev/null 2>&1
	done
	return 0
}

e2e_nodes() {
	local n=$1 k ns i
	_e2e_nodes_reap_stale
	E2E_NODES=$n
	trap 'rc=$?; e2e_nodes_cleanup; (exit $rc); e2e_cleanup' EXIT
	if [ ! -e "/run/netns/$E2E_NS_CLI" ]; then
		e2e_quiet ip netns add "$E2E_NS_CLI"
		E2E_TOPOLOGY=1
	fi
	e2e_quiet ip -n "$E2E_NS_CLI" link set lo up
	{
		for ((i = E2E_CLI_SRC_FIRST; i <= E2E_CLI_SRC_LAST; i++)); do
			echo "addr add 10.77.100.$i/32 dev lo"
		done
	} >"$E2E_TMP/nodes-addrs.batch"
	e2e_quiet ip -n "$E2E_NS_CLI" -batch "$E2E_TMP/nodes-addrs.batch"
	mkdir -p "$E2E_PIN"
	for ((k = 1; k <= n; k++)); do
		ns=$(e2e_node_ns "$k")
		e2e_quiet ip netns add "$ns"
		e2e_quiet ip link add vnode netns "$ns" type veth peer name "vc$k" netns "$E2E_NS_CLI"
		e2e_quiet ip -n "$ns" addr add "10.77.$k.1/24" dev vnode
		e2e_quiet ip -n "$E2E_NS_CLI" addr add "10.77.$k.2/24" dev "vc$k"
		e2e_quiet ip -n "$ns" link set lo up
		e2e_quiet ip -n "$ns" link set vnode up
		e2e_quiet ip -n "$E2E_NS_CLI" link set "vc$k" up
		e2e_quiet ip -n "$ns" route add 10.77.100.0/24 dev vnode
		e2e_quiet ip -n "$E2E_NS_CLI" link set dev "vc$k" xdp obj "$ADM_PASS_OBJ" sec xdp
		mkdir -p "$(e2e_node_cg "$k")"
		E2E_NODE_ADMD_PID[$k]=""
		E2E_NODE_ADMD_TIMEOUT[$k]=""
		E2E_NODE_CONF[$k]=""
	done
	for ((k = 1; k <= n; k++)); do
		e2e_wait_for 5 "node $k carrier" \
			sh -c "ip -n $(e2e_node_ns "$k") link show vnode | grep -q 'state UP'"
	done
}

# e2e_node_bg NAME K PROGRAM ARGS...: PROGRAM in node K's namespace and
# cgroup (a server), output in E2E_TMP/NAME.log, pid in E2E_BG_PID.
e2e_node_bg() {
	local name=$1 k=$2
	shift 2
	sh -c 'echo $$ >"$1/cgroup.procs" || exit 126; shift; exec "$@"' \
		sh "$(e2e_node_cg "$k")" nsenter --net="/run/netns/$(e2e_node_ns "$k")" -- "$@" \
		>"$E2E_TMP/$name.log" 2>&1 </dev/null &
	E2E_BG_PID=$!
	E2E_PIDS+=("$E2E_BG_PID")
	disown "$E2E_BG_PID"	# cleanup may end it with SIGKILL: no "Killed" from bash
}

# e2e_node_admd_start K CONF: admd of node K, ready within 10 s (else 1,
# log shown). Pid in E2E_NODE_ADMD_PID[K], log E2E_TMP/admd-n<K>.<seq>.log.
e2e_node_admd_start() {
	local k=$1 conf=$2 log tpid pid="" i
	log=$(_e2e_log_name "admd-n$k")
	E2E_NODE_CONF[$k]=$conf
	timeout --kill-after=5 "$E2E_PROC_MAX_SECONDS" \
		nsenter --net="/run/netns/$(e2e_node_ns "$k")" -- "$ADMD" -c "$conf" \
		>"$log" 2>&1 </dev/null &
	tpid=$!
	disown "$tpid"
	E2E_PIDS+=("$tpid")
	E2E_NODE_ADMD_TIMEOUT[$k]=$tpid
	for ((i = 0; i < 200; i++)); do
		pid=$(awk '{ print $1 }' "/proc/$tpid/task/$tpid/children" 2>/dev/null)
		[ -n "$pid" ] && break
		_e2e_alive "$tpid" || break
		sleep 0.05
	done
	E2E_NODE_ADMD_PID[$k]=$pid
	if [ -z "$pid" ]; then
		e2e_note "admd of node $k: no pid under timeout ($tpid) after 10 s"
		return 1
	fi
	E2E_PIDS+=("$pid")
	eval "E2E_NODE_LOG_$k=\$log"
	for ((i = 0; i < 100; i++)); do
		grep -q 'admd: ready' "$log" 2>/dev/null && return 0
		_e2e_alive "$tpid" || break
		sleep 0.1
	done
	e2e_note "admd of node $k did not become ready (log $log):"
	sed 's/^/#   /' "$log" | tail -n 40
	return 1
}

# e2e_node_admd_log K: the file of node K's latest admd output.
e2e_node_admd_log() { eval "echo \${E2E_NODE_LOG_$1:-/dev/null}"; }

# e2e_node_admd_stop K [SIGNAL]: stop node K's admd (SIGTERM, or e.g. KILL).
e2e_node_admd_stop() {
	local k=$1 sig=${2:-TERM} pid=${E2E_NODE_ADMD_PID[$1]:-}
	if [ -n "$pid" ]; then
		if [ "$sig" = TERM ]; then
			e2e_kill "$pid"
		else
			kill -"$sig" "$pid" 2>/dev/null || true
			for ((i = 0; i < 30; i++)); do _e2e_alive "$pid" || break; sleep 0.1; done
		fi
	fi
	[ -n "${E2E_NODE_ADMD_TIMEOUT[$k]:-}" ] && e2e_kill "${E2E_NODE_ADMD_TIMEOUT[$k]}"
	E2E_NODE_ADMD_PID[$k]=""
	E2E_NODE_ADMD_TIMEOUT[$k]=""
}

# e2e_node_del K: delete node K's namespace (its processes must be gone).
e2e_node_del() {
	local k=$1 pid ns
	ns=$(e2e_node_ns "$k")
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	ip netns del "$ns" >/dev/null 2>&1 || true
}

e2e_nodes_cleanup() {
	local k
	set +o errexit
	for ((k = 1; k <= E2E_NODES; k++)); do
		e2e_node_admd_stop "$k"
		if [ -n "${E2E_NODE_CONF[$k]:-}" ] && [ -e "/run/netns/$(e2e_node_ns "$k")" ]; then
			timeout 20 nsenter --net="/run/netns/$(e2e_node_ns "$k")" -- \
				"$ADMD" --cleanup -c "${E2E_NODE_CONF[$k]}" >/dev/null 2>&1
		fi
		e2e_node_del "$k"
		[ -d "$(e2e_node_cg "$k")" ] && _e2e_cgroup_rm "$(e2e_node_cg "$k")"
	done
	E2E_NODES=0
	return 0
}

# e2e_redis_start NAME ARGS...: a redis-server of this run on the unix
# socket E2E_TMP/NAME.sock (no TCP unless ARGS say so; no persistence),
# in the host namespace unless E2E_REDIS_NS names one; ready within 5 s.
# Pid in E2E_BG_PID.
e2e_redis_start() {
	local name=$1 sock
	shift
	sock="$E2E_TMP/$name.sock"
	mkdir -p "$E2E_TMP/$name.dir"
	if [ -n "${E2E_REDIS_NS:-}" ]; then
		nsenter --net="/run/netns/$E2E_REDIS_NS" -- timeout --kill-after=5 "$E2E_PROC_MAX_SECONDS" \
			redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
			--dir "$E2E_TMP/$name.dir" --save "" --appendonly no "$@" \
			>"$E2E_TMP/$name.log" 2>&1 </dev/null &
	else
		timeout --kill-after=5 "$E2E_PROC_MAX_SECONDS" \
			redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 \
			--dir "$E2E_TMP/$name.dir" --save "" --appendonly no "$@" \
			>"$E2E_TMP/$name.log" 2>&1 </dev/null &
	fi
	E2E_BG_PID=$!
	E2E_PIDS+=("$E2E_BG_PID")
	disown "$E2E_BG_PID"	# a test may kill -9 it: no "Killed" from bash
	e2e_wait_for 5 "redis $name" redis-cli -s "$sock" ping ||
		{ sed 's/^/#   /' "$E2E_TMP/$name.log" | tail -n 20; return 1; }
}
