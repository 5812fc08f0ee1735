#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The adaptive concurrency limit (conn_limit = auto) in the overload
# scenario of tests/bench/overload.sh, beside static limits and no
# protection, all in one run. Same backend (WORKERS workers, lognormal
# service time, mean SERVICE_MS ms), same users (1000 closed-loop users
# with 1 s think time on 1778 addresses), same per-source policy
# (tests/bench/peers/adm.conf); only conn_limit differs:
#   none        no adm
#   static_3w   conn_limit = 3 x WORKERS (the overload bench's guess)
#   static_w    conn_limit = WORKERS (the best static limit for this backend)
#   auto        conn_limit = auto (conn_limit_min 2, conn_limit_max 1000)
# Two loads:
#   steady      RUN_SECONDS measured after WARMUP
#   slowdown    the backend's service time x5 for SLOW_SECONDS mid-run:
#               measured before (BEFORE_S), during, and after (AFTER_S)
# Writes $1 (default $BUILD/bench/adaptive.json) and prints a table.
# Numbers compare only within one run. About 5 minutes.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"
E2E_NAME=adaptive
E2E_PROC_MAX_SECONDS=${E2E_PROC_MAX_SECONDS:-600}

OUT=${1:-$BUILD/bench/adaptive.json}
ADMLOAD=${ADMLOAD:-$BUILD/tests/bench/tools/admload}
BACKEND=${BACKEND:-$BUILD/tests/bench/tools/backend}
PEER_CONF="$E2E_REPO/tests/bench/peers/adm.conf"
PORT=8080
WORKERS=8
SERVICE_MS=25
SRC_CONN_LIMIT=4
SRC_RATE=10
SRC_BURST=20
TIMEOUT_MS=5000
USERS=1000
THINK_MS=1000
WARMUP=${WARMUP:-6}
RUN_SECONDS=${RUN_SECONDS:-8}
BEFORE_S=${BEFORE_S:-8}
SLOW_SECONDS=${SLOW_SECONDS:-20}
AFTER_S=${AFTER_S:-10}
PEERS=${PEERS:-none static_3w static_w auto}
LOADS=${LOADS:-steady slowdown}
RES="" BACKEND_PID=""

e2e_init "$ADMD" "$ADMLOAD" "$BACKEND"
e2e_topology
RES="$E2E_TMP/results"
mkdir -p "$RES"
{
	for ((n = 1; n <= 7; n++)); do
		for ((h = 1; h <= 254; h++)); do echo "addr add 10.77.$n.$h/32 dev $E2E_CLI_IF"; done
	done
} >"$E2E_TMP/addrs-bench.batch"
e2e_quiet ip -n "$E2E_NS_CLI" -batch "$E2E_TMP/addrs-bench.batch"
e2e_quiet ip -n "$E2E_NS_SRV" route add 10.77.0.0/16 via "$E2E_CLI4" dev "$E2E_SRV_IF"
SRC=()
for ((n = 1; n <= 7; n++)); do SRC+=(-s "10.77.$n.0/24"); done
SVC_FILE="$E2E_TMP/service_ms"

listening() { in_srv ss -Hltn "sport = :$1" | grep -q .; }

backend_start() {
	echo "$SERVICE_MS" >"$SVC_FILE"
	e2e_bg "backend-$RUN" srv "$BACKEND" -l "$E2E_SRV4:$PORT" -w "$WORKERS" --http \
		--service-ms "$SERVICE_MS" --dist lognormal --sigma 0.5 --max-seconds 200 \
		--service-file "$SVC_FILE"
	BACKEND_PID=$E2E_BG_PID
	e2e_wait_for 5 "backend" listening "$PORT"
}

# conn_limit lines of a peer
limit_of() {
	case "$1" in
	static_3w) echo "conn_limit = $((3 * WORKERS))" ;;
	static_w) echo "conn_limit = $WORKERS" ;;
	auto) printf 'conn_limit = auto\nconn_limit_min = 2\nconn_limit_max = 1000\n' ;;
	esac
}

peer_up() {
	if [ "$1" != none ]; then
		sed -e "s|@IFACE@|$E2E_SRV_IF|g" -e "s|@PIN_ROOT@|$E2E_PIN|g" \
		    -e "s|@CGROUP@|$E2E_CGROUP|g" -e "s|@PORT@|$PORT|g" \
		    -e "/^conn_limit = /d" -e "s|@SRC_CONN_LIMIT@|$SRC_CONN_LIMIT|g" \
		    -e "s|@SRC_RATE@|$SRC_RATE|g" -e "s|@SRC_BURST@|$SRC_BURST|g" \
		    "$PEER_CONF" >"$E2E_TMP/adm.conf"
		limit_of "$1" >>"$E2E_TMP/adm.conf"
		e2e_admd_start "$E2E_TMP/adm.conf" || return 1
	fi
	backend_start
}
peer_down() {
	[ -n "$BACKEND_PID" ] && e2e_kill "$BACKEND_PID"
	BACKEND_PID=""
	if [ "$1" != none ] && [ -n "$E2E_ADMD_CONF" ]; then
		admctl status --json >"$RES/$RUN.status.json" 2>/dev/null || :
		e2e_admd_stop
		e2e_quiet e2e_admd_cleanup
	fi
}

# run OUT SECONDS WARMUP: closed-loop users, JSON in OUT
run() {
	e2e_bg "admload-$RUN" cli "$ADMLOAD" -d "$E2E_SRV4:$PORT" -t "$TIMEOUT_MS" -o "$1" \
		"${SRC[@]}" -u "$USERS" --think-ms "$THINK_MS" -T "$2" --warmup "$3" -q
	wait "$E2E_BG_PID" || e2e_note "admload failed in $RUN"
}

# The adaptive limit, sampled every second into $RES/$RUN.limits while $1 lives.
sample_limit() {
	while kill -0 "$1" 2>/dev/null; do
		admctl status --json 2>/dev/null |
			jq -r '.breaker.services[0].adaptive.limit // empty' >>"$RES/$RUN.limits" || :
		sleep 1
	done
}

RUN=capacity
backend_start
e2e_bg "admload-cap" cli "$ADMLOAD" -d "$E2E_SRV4:$PORT" -t "$TIMEOUT_MS" -o "$RES/capacity.json" \
	-s 10.77.1.0/24 -u $((2 * WORKERS)) --think-ms 0 -T 6 --warmup 1 -q
wait "$E2E_BG_PID"
e2e_kill "$BACKEND_PID"
CAPACITY=$(jq -r '.classes.normal.ok_per_s | round' "$RES/capacity.json")
UNLOADED=$SERVICE_MS	# the backend's mean service time: latency with nothing queued
echo "adaptive: capacity $CAPACITY requests/s ($WORKERS workers, lognormal mean ${SERVICE_MS} ms)"

for load in $LOADS; do
	for peer in $PEERS; do
		RUN="$load-$peer"
		peer_up "$peer" || { e2e_note "$RUN: did not start"; peer_down "$peer"; continue; }
		[ "$peer" = auto ] && { sample_limit "$$" & SAMPLER=$!; }
		if [ "$load" = steady ]; then
			run "$RES/$RUN.json" $((WARMUP + RUN_SECONDS)) "$WARMUP"
		else
			run "$RES/$RUN.before.json" $((WARMUP + BEFORE_S)) "$WARMUP"
			echo $((5 * SERVICE_MS)) >"$SVC_FILE"
			run "$RES/$RUN.during.json" "$SLOW_SECONDS" 0
			echo "$SERVICE_MS" >"$SVC_FILE"
			run "$RES/$RUN.after.json" "$AFTER_S" 0
		fi
		[ "$peer" = auto ] && { kill "$SAMPLER" 2>/dev/null || :; wait "$SAMPLER" 2>/dev/null || :; }
		peer_down "$peer"
		sleep 1
	done
done

# row FILE PHASE: one result line
row() {
	local f=$1
	[ -s "$f" ] || return 0
	jq -c --arg run "$RUN" --arg phase "$2" --argjson cap "$CAPACITY" \
		--argjson unl "$UNLOADED" '
		def r1: if . == null then null else (. * 10 | round) / 10 end;
		.classes.normal as $n |
		{run: $run, phase: $phase, ok_per_s: ($n.ok_per_s | r1),
		 goodput_pct: ($n.ok_per_s * 100 / $cap | r1),
		 admitted_p50_ms: ($n.latency_ms.admitted.p50 // null | r1),
		 admitted_p99_ms: ($n.latency_ms.admitted.p99 // null | r1),
		 p99_x_unloaded: (($n.latency_ms.admitted.p99 // null) as $p | if $p then $p / $unl | r1 else null end),
		 refused: $n.refused, timeout: $n.timeout,
		 refused_p99_ms: ($n.latency_ms.refused.p99 // null | r1)}' "$f"
}

mkdir -p "$(dirname "$OUT")"
{
	for load in $LOADS; do
		for peer in $PEERS; do
			RUN="$load-$peer"
			if [ "$load" = steady ]; then
				row "$RES/$RUN.json" steady
			else
				row "$RES/$RUN.before.json" before
				row "$RES/$RUN.during.json" "during (x5)"
				row "$RES/$RUN.after.json" after
			fi
			[ -s "$RES/$RUN.limits" ] && jq -cn --arg run "$RUN" \
				--arg l "$(tr '\n' ' ' <"$RES/$RUN.limits")" '{run: $run, adaptive_limit_each_second: $l}'
		done
	done
} >"$RES/rows.jsonl"
jq -s --argjson cap "$CAPACITY" --argjson unl "$UNLOADED" \
	'{capacity_per_s: $cap, unloaded_mean_ms: $unl, rows: .}' "$RES/rows.jsonl" >"$OUT"

echo
echo "capacity $CAPACITY requests/s, service time mean $UNLOADED ms; $USERS users, think ${THINK_MS} ms"
echo
echo "| run | phase | goodput (% of capacity) | admitted p50 / p99 ms | p99 / service time | refused | timeouts |"
echo "|---|---|---:|---:|---:|---:|---:|"
jq -r 'select(.phase) | "| \(.run) | \(.phase) | \(.goodput_pct)% | \(.admitted_p50_ms) / \(.admitted_p99_ms) | \(.p99_x_unloaded)x | \(.refused) | \(.timeout) |"' "$RES/rows.jsonl"
jq -r 'select(.adaptive_limit_each_second) | "\(.run): adaptive limit each second: \(.adaptive_limit_each_second)"' "$RES/rows.jsonl"
echo "results: $OUT"
tap_ok "adaptive bench ran"
tap_plan_done
