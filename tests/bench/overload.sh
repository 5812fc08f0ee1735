#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The overload benchmark (TESTING.md, "Overload"): a capacity-limited HTTP
# backend and many users from many source addresses, against the peers a
# user would pick instead of adm, all in one run:
#   none      the backend alone
#   nftables  the same policy in the server namespace: `ct count` caps and a
#             per-source `meter`, refusing with `reject with tcp reset`
#             (tests/bench/peers/nftables.nft)
#   nginx     a reverse proxy in front of the backend with limit_conn and
#             limit_req (tests/bench/peers/nginx.conf); refusals are 503s
#   adm       admd with the same policy (tests/bench/peers/adm.conf)
# The policy, the same for every peer: at most CONN_LIMIT live connections
# service-wide (3 per worker), SRC_CONN_LIMIT per source address, SRC_RATE
# new connections a second per source (burst SRC_BURST); refuse at once.
#
# The backend's capacity is measured first (16 users without think time on
# the bare backend, 5 s). Then each load runs against each peer in turn (a fresh
# backend per run), load by load, so the peers of one load are measured
# within a minute of each other:
#   closed_1k   closed loop, 1000 users, think time 1 s (exponential)
#   closed_10k  closed loop, 10000 users (fewer if the file descriptor limit
#               does not allow them; the result says so)
#   open_2x     open loop at 2x capacity (latency from the schedule)
#   open_10x    open loop at 10x capacity
# Every load adds 4 abusive sources (64 users without think time, 400
# requests/s in total) to the 1778 normal sources (10.77.1.1-10.77.7.254):
# the per-source rate lets the four of them have 40 requests/s.
# Requests time out after TIMEOUT_MS (5000); a run measures RUN_SECONDS (8)
# after WARMUP (one timeout and a second: the steady state). Goodput counts
# the answers that arrived in the measured seconds; latencies and success,
# the requests started in them. About 5 minutes.
#
# Writes $1 (default $BUILD/bench/overload.json) and prints a markdown
# table. Not a test: numbers, comparable only within one run; absolute
# values on a busy 2-core machine are noise.
#   QUICK=1   a short version (under 2 minutes): closed_1k and open_10x,
#             4 s measured
#   LOADS="closed_1k open_10x" PEERS="none adm"   a subset
# shellcheck source=scripts/lib/netns.sh
. "$(dirname "$0")/../../scripts/lib/netns.sh"
E2E_NAME=overload

OUT=${1:-$BUILD/bench/overload.json}
QUICK=${QUICK:-0}
ADMLOAD="$BUILD/tests/bench/tools/admload"
BACKEND="$BUILD/tests/bench/tools/backend"
PEER_DIR="$E2E_REPO/tests/bench/peers"
PORT=8080
BACKEND_PORT=8081	# behind nginx
WORKERS=8
SERVICE_MS=25
CONN_LIMIT=$((3 * WORKERS))
SRC_CONN_LIMIT=4
SRC_RATE=10
SRC_BURST=20
TIMEOUT_MS=${TIMEOUT_MS:-5000}
THINK_MS=1000
USERS_SMALL=1000
USERS_BIG=10000
# Warm-up: an unprotected backend collapses only once its queue holds more
# than a timeout's worth of work; until then it answers what arrived
# early. Measuring from one timeout on shows the steady state.
WARMUP=${WARMUP:-$((TIMEOUT_MS / 1000 + 1))}
if [ "$QUICK" = 1 ]; then
	RUN_SECONDS=${RUN_SECONDS:-4}
	LOADS=${LOADS:-closed_1k open_10x}
else
	RUN_SECONDS=${RUN_SECONDS:-8}
	LOADS=${LOADS:-closed_1k closed_10k open_2x open_10x}
fi
PEERS=${PEERS:-none nftables nginx adm}
# Normal sources: 7 x 254 addresses; abusive: 4 of the lib's addresses.
NORMAL_SRC=()
for ((n = 1; n <= 7; n++)); do NORMAL_SRC+=(-s "10.77.$n.0/24"); done
N_NORMAL=$((7 * 254))
ABUSE_SOURCES=4
ABUSE_USERS=64
ABUSE_RATE=400
ABUSE=(-s "10.77.0.31-10.77.0.$((30 + ABUSE_SOURCES))" --abusive-sources "$ABUSE_SOURCES"
	--abusive-users "$ABUSE_USERS" --abusive-rate "$ABUSE_RATE")
LAG_NOTE_MS=5	# a run whose generator started requests later than this (p99) gets a note
RES="" NOTES=() BACKEND_PID="" NGINX_PID=""

# ------------------------------------------------------------ cleanup

# nginx workers outlive a master that was killed with SIGKILL: before the
# lib's cleanup deletes the namespaces, end every nginx process still in
# the server namespace (by pid; only this run's processes live there).
nginx_reap() {
	local pid pids i
	[ -e "/run/netns/$E2E_NS_SRV" ] || return 0
	for ((i = 0; i < 30; i++)); do
		pids=()
		for pid in $(ip netns pids "$E2E_NS_SRV" 2>/dev/null); do
			[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nginx ] && pids+=("$pid")
		done
		[ "${#pids[@]}" -eq 0 ] && return 0
		kill "-$([ "$i" -lt 20 ] && echo TERM || echo KILL)" "${pids[@]}" 2>/dev/null || true
		sleep 0.1
	done
}
_overload_exit() {
	local rc=$?
	set +o errexit
	nginx_reap
	(exit "$rc")	# e2e_cleanup takes the status from $?
	e2e_cleanup
}
trap _overload_exit EXIT

# ------------------------------------------------------------ setup

# skip_peer PEER WHY: leave PEER out of this run, with a note.
skip_peer() {
	PEERS=$(echo " $PEERS " | sed "s/ $1 / /g; s/^ *//; s/ *$//")
	NOTES+=("peer $1 skipped: $2")
}

e2e_init "$ADMD" "$ADMLOAD" "$BACKEND"
command -v nft >/dev/null 2>&1 || skip_peer nftables "nft is not installed (scripts/deps.sh installs it)"
command -v nginx >/dev/null 2>&1 || skip_peer nginx "nginx is not installed (scripts/deps.sh installs nginx-light)"
e2e_topology
RES="$E2E_TMP/results"
mkdir -p "$RES"

# More client addresses than the lib's: 10.77.1.1-10.77.7.254 in the client
# namespace. The server reaches them through 10.77.0.2 (vcli) as a gateway,
# not on-link: one neighbour entry instead of 1778 (the kernel's ARP table
# is shared by every namespace and refuses entries beyond gc_thresh3, 1024).
{
	for ((n = 1; n <= 7; n++)); do
		for ((h = 1; h <= 254; h++)); do echo "addr add 10.77.$n.$h/32 dev $E2E_CLI_IF"; done
	done
} >"$E2E_TMP/addrs-bench.batch"
e2e_quiet ip -n "$E2E_NS_CLI" -batch "$E2E_TMP/addrs-bench.batch"
e2e_quiet ip -n "$E2E_NS_SRV" route add 10.77.0.0/16 via "$E2E_CLI4" dev "$E2E_SRV_IF"

# How many descriptors admload may have: users and connections in flight.
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
FD_ROOM=$((NOFILE - ABUSE_USERS - 1000))

# render TEMPLATE OUT: fill in @NAME@ from this script's settings.
render() {
	sed -e "s|@IFACE@|$E2E_SRV_IF|g" -e "s|@PIN_ROOT@|$E2E_PIN|g" \
	    -e "s|@CGROUP@|$E2E_CGROUP|g" -e "s|@PORT@|$PORT|g" \
	    -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" -e "s|@ADDR@|$E2E_SRV4|g" \
	    -e "s|@CONN_LIMIT@|$CONN_LIMIT|g" -e "s|@SRC_CONN_LIMIT@|$SRC_CONN_LIMIT|g" \
	    -e "s|@SRC_RATE@|$SRC_RATE|g" -e "s|@SRC_BURST@|$SRC_BURST|g" \
	    -e "s|@DIR@|$E2E_TMP/nginx|g" -e "s|@WORKERS@|$(nproc)|g" \
	    -e "s|@NOFILE@|40000|g" -e "s|@CONNS@|20000|g" "$1" >"$2"
	if grep -q '@[A-Z_]*@' "$2"; then
		echo "overload: $1 has a placeholder this script does not fill: $(grep -o '@[A-Z_]*@' "$2" | head -1)" >&2
		return 1
	fi
}

listening() { in_srv ss -Hltn "sport = :$1" | grep -q .; }

# backend_start ADDR PORT: a fresh backend (8 workers, lognormal service
# time, mean 25 ms: about 300 requests/s). Pid in BACKEND_PID.
backend_start() {
	e2e_bg "backend-$RUN" srv "$BACKEND" -l "$1:$2" -w "$WORKERS" --http \
		--service-ms "$SERVICE_MS" --dist lognormal --sigma 0.5 --max-seconds 120
	BACKEND_PID=$E2E_BG_PID
	e2e_wait_for 5 "backend on $1:$2" listening "$2"
}

# peer_up PEER / peer_down PEER: put the peer in front of a fresh backend,
# and take both away again.
peer_up() {
	case "$1" in
	none)
		backend_start "$E2E_SRV4" "$PORT" || return 1 ;;
	nftables)
		render "$PEER_DIR/nftables.nft" "$E2E_TMP/peer.nft" || return 1
		e2e_quiet in_srv nft -f "$E2E_TMP/peer.nft" || return 1
		backend_start "$E2E_SRV4" "$PORT" || return 1 ;;
	nginx)
		backend_start 127.0.0.1 "$BACKEND_PORT" || return 1
		mkdir -p "$E2E_TMP/nginx"
		render "$PEER_DIR/nginx.conf" "$E2E_TMP/nginx/nginx.conf" || return 1
		# Under timeout: nginx ends by itself, and timeout signals its whole
		# process group (the workers too) when it is stopped.
		e2e_bg "nginx-$RUN" srv timeout --kill-after=5 "$E2E_PROC_MAX_SECONDS" \
			nginx -p "$E2E_TMP/nginx" -c "$E2E_TMP/nginx/nginx.conf" \
			-e "$E2E_TMP/nginx/error.log" -g 'daemon off;'
		NGINX_PID=$E2E_BG_PID
		if ! e2e_wait_for 5 "nginx on $PORT" listening "$PORT"; then
			sed 's/^/#   /' "$E2E_TMP/nginx-$RUN.log" "$E2E_TMP/nginx/error.log" 2>/dev/null
			return 1
		fi ;;
	adm)
		render "$PEER_DIR/adm.conf" "$E2E_TMP/adm.conf" || return 1
		e2e_admd_start "$E2E_TMP/adm.conf" || return 1
		backend_start "$E2E_SRV4" "$PORT" || return 1 ;;
	esac
}
# The peer's own count of what it refused lands in $RES/$RUN.peer.json.
peer_down() {
	[ -n "$BACKEND_PID" ] && e2e_kill "$BACKEND_PID"
	BACKEND_PID=""
	case "$1" in
	nftables)
		in_srv nft -j list chain inet admbench admit 2>/dev/null |
			jq '{rejected: [.nftables[] | select(.rule) |
				{reason: .rule.comment,
				 packets: ([.rule.expr[] | select(.counter) | .counter.packets] | add)}]}' \
			>"$RES/$RUN.peer.json" 2>/dev/null || rm -f "$RES/$RUN.peer.json"
		e2e_quiet in_srv nft delete table inet admbench ;;
	nginx)
		[ -n "$NGINX_PID" ] && e2e_kill "$NGINX_PID"
		NGINX_PID=""
		nginx_reap ;;
	adm)
		[ -n "$E2E_ADMD_CONF" ] || return 0
		admctl stats --json >"$RES/$RUN.peer.json" 2>/dev/null || rm -f "$RES/$RUN.peer.json"
		e2e_admd_stop
		e2e_quiet e2e_admd_cleanup ;;
	esac
}

# load_args LOAD: admload's arguments for a load (after the capacity is known).
load_args() {
	case "$1" in
	closed_1k) echo "-u $USERS_SMALL --think-ms $THINK_MS" ;;
	closed_10k) echo "-u $USERS_BIG_RUN --think-ms $THINK_MS" ;;
	open_2x) echo "-r $((2 * CAPACITY)) --max-inflight $(inflight $((2 * CAPACITY)))" ;;
	open_10x) echo "-r $((10 * CAPACITY)) --max-inflight $(inflight $((10 * CAPACITY)))" ;;
	*) echo "overload: unknown load '$1'" >&2; return 1 ;;
	esac
}
load_desc() {
	case "$1" in
	closed_1k) echo "closed loop, $USERS_SMALL users, think ${THINK_MS} ms" ;;
	closed_10k) echo "closed loop, $USERS_BIG_RUN users, think ${THINK_MS} ms" ;;
	open_2x) echo "open loop, $((2 * CAPACITY))/s (2x capacity)" ;;
	open_10x) echo "open loop, $((10 * CAPACITY))/s (10x capacity)" ;;
	esac
}
# inflight RATE: connections an open loop may hold (rate x timeout, within the fd limit).
inflight() {
	local want=$(($1 * TIMEOUT_MS * 11 / 10000 + 64))
	[ "$want" -gt "$FD_ROOM" ] && want=$FD_ROOM
	echo "$want"
}

# admload_run OUT ARGS...: one admload run in the client namespace.
admload_run() {
	local out=$1 rc=0
	shift
	e2e_bg "admload-$RUN" cli "$ADMLOAD" -d "$E2E_SRV4:$PORT" -t "$TIMEOUT_MS" -o "$out" "$@"
	wait "$E2E_BG_PID" || rc=$?
	if [ "$rc" -ne 0 ]; then
		e2e_note "admload $* failed (status $rc):"
		sed 's/^/#   /' "$E2E_TMP/admload-$RUN.log"
	fi
	return "$rc"
}

# ------------------------------------------------------------ capacity

RUN=capacity
echo "overload: $(nproc) CPUs, kernel $(uname -r), fd limit $NOFILE; peers: $PEERS"
echo "overload: measuring the backend's capacity ($WORKERS workers, lognormal service time, mean ${SERVICE_MS} ms)"
backend_start "$E2E_SRV4" "$PORT"
admload_run "$RES/capacity.json" -s 10.77.1.0/24 -u $((2 * WORKERS)) --think-ms 0 -T 6 --warmup 1
e2e_kill "$BACKEND_PID"
CAPACITY=$(jq -r '.classes.normal.ok_per_s | round' "$RES/capacity.json")
[ "$CAPACITY" -gt 0 ] || { echo "overload: the backend served nothing while measuring its capacity" >&2; exit 1; }
echo "overload: capacity $CAPACITY requests/s"

USERS_BIG_RUN=$USERS_BIG
if [ "$USERS_BIG_RUN" -gt "$FD_ROOM" ]; then
	USERS_BIG_RUN=$FD_ROOM
	NOTES+=("closed_10k ran $USERS_BIG_RUN users, not $USERS_BIG: the file descriptor limit is $NOFILE")
fi

# ------------------------------------------------------------ the runs

for load in $LOADS; do
	args=$(load_args "$load")
	echo "overload: $load: $(load_desc "$load")"
	for peer in $PEERS; do
		RUN="$load-$peer"
		if ! peer_up "$peer"; then
			NOTES+=("$RUN: $peer did not start; run skipped")
			peer_down "$peer" || true
			continue
		fi
		# shellcheck disable=SC2086 # args is a list of words
		if ! admload_run "$RES/$RUN.json" "${NORMAL_SRC[@]}" "${ABUSE[@]}" $args \
			-T $((WARMUP + RUN_SECONDS)) --warmup "$WARMUP"; then
			NOTES+=("$RUN: admload failed; run skipped")
			rm -f "$RES/$RUN.json"
		fi
		peer_down "$peer"
		sleep 1		# let the last run's closing connections settle
		if [ -s "$RES/$RUN.json" ]; then
			lag=$(jq -r '.generator.start_lag_ms.p99 // 0 | round' "$RES/$RUN.json")
			[ "$lag" -gt "$LAG_NOTE_MS" ] &&
				NOTES+=("$RUN: the load generator started requests up to $lag ms late (p99): the machine was busy; latencies include that")
		fi
		[ -s "$RES/$RUN.json" ] && jq -r --arg p "$peer" --argjson cap "$CAPACITY" \
			'"  \($p): served \(.classes.normal.ok_per_s | round)/s (\(.classes.normal.ok_per_s * 100 / $cap | round)% of capacity), " +
			 "admitted p99 \(.classes.normal.latency_ms.admitted.p99 // null | if . then round else "-" end) ms, " +
			 "host CPU \(.cpu.busy_pct // null | if . then round else "-" end)%"' \
			"$RES/$RUN.json"
	done
done

# ------------------------------------------------------------ results

mkdir -p "$(dirname "$OUT")"
{
	for load in $LOADS; do
		for peer in $PEERS; do
			f="$RES/$load-$peer.json"
			[ -s "$f" ] || continue
			ps="$RES/$load-$peer.peer.json"
			[ -s "$ps" ] || echo null >"$ps"
			jq -c --slurpfile ps "$ps" --arg load "$load" --arg desc "$(load_desc "$load")" --arg peer "$peer" \
				--argjson cap "$CAPACITY" '
				def r1: if . == null then null else (. * 10 | round) / 10 end;
				def lat($c; $k): $c.latency_ms[$k];
				.classes.normal as $n | .classes.abusive as $a | .classes.all as $all |
				{load: $load, description: $desc, peer: $peer,
				 normal: {requests: $n.requests, ok: $n.ok, refused: $n.refused,
					  http_503: $n.http_503, timeout: $n.timeout,
					  timeout_connect: $n.timeout_connect, error: $n.error,
					  not_started: $n.not_started,
					  served_per_s: ($n.ok_per_s | r1),
					  goodput_pct_of_capacity: ($n.ok_per_s * 100 / $cap | r1),
					  admitted_pct: ($n.admitted_pct | r1),
					  success_of_admitted_pct: ($n.success_of_admitted_pct | r1),
					  admitted_p50_ms: (lat($n; "admitted").p50 // null | r1),
					  admitted_p99_ms: (lat($n; "admitted").p99 // null | r1),
					  served_p99_ms: (lat($n; "ok").p99 // null | r1),
					  refusal_p99_ms: (lat($n; "rejected").p99 // null),
					  ok_per_source: $n.ok_per_source},
				 abusive: {requests: $a.requests, ok: $a.ok,
					   admitted_pct: ($a.admitted_pct | r1),
					   served_per_s: ($a.ok_per_s | r1),
					   share_of_served_pct: (if $all.ok > 0 then $a.ok * 100 / $all.ok | r1 else 0 end)},
				 served_all_per_s: ($all.ok_per_s | r1),
				 generator_start_lag_ms: .generator.start_lag_ms,
				 cpu: .cpu, errors: .errors, http_status: .http_status,
				 peer_stats: $ps[0],
				 admload: .}' "$f"
		done
	done
} | jq -s --arg date "$(date -u +%FT%TZ)" --arg kernel "$(uname -r)" --argjson ncpu "$(nproc)" \
	--argjson cap "$CAPACITY" --slurpfile capraw "$RES/capacity.json" \
	--arg quick "$QUICK" --argjson workers "$WORKERS" --argjson svc "$SERVICE_MS" \
	--argjson cl "$CONN_LIMIT" --argjson scl "$SRC_CONN_LIMIT" --argjson sr "$SRC_RATE" \
	--argjson sb "$SRC_BURST" --argjson to "$TIMEOUT_MS" --argjson warm "$WARMUP" \
	--argjson secs "$RUN_SECONDS" --argjson nn "$N_NORMAL" --argjson nab "$ABUSE_SOURCES" \
	--argjson au "$ABUSE_USERS" --argjson ar "$ABUSE_RATE" --arg notes "$(printf '%s\n' "${NOTES[@]+"${NOTES[@]}"}")" '
	{date: $date, kernel: $kernel, ncpu: $ncpu, quick: ($quick == "1"),
	 command: (if $quick == "1" then "QUICK=1 bash tests/bench/overload.sh" else "bash tests/bench/overload.sh" end),
	 backend: {workers: $workers, service_ms_mean: $svc, distribution: "lognormal sigma 0.5",
		   capacity_per_s: $cap, capacity_run: $capraw[0].classes.normal},
	 policy: {conn_limit: $cl, src_conn_limit: $scl, src_rate_per_s: $sr, src_burst: $sb,
		  refuse: "at once (RST from adm and nftables, 503 from nginx)"},
	 sources: {normal: $nn, abusive: $nab, abusive_users: $au, abusive_rate_per_s: $ar},
	 timeout_ms: $to, warmup_s: $warm, measured_s: $secs,
	 notes: ($notes | split("\n") | map(select(. != ""))),
	 results: .}' >"$OUT"

echo
echo "## Overload: $(jq -r .command "$OUT") ($(jq -r '.date[:10]' "$OUT"), $(uname -r), $(nproc) CPUs)"
echo
echo "Backend: $WORKERS workers, lognormal service time (mean $SERVICE_MS ms), capacity $CAPACITY requests/s"
echo "(measured in this run). Policy for every peer: $CONN_LIMIT live connections, $SRC_CONN_LIMIT per source,"
echo "$SRC_RATE/s per source (burst $SRC_BURST). $N_NORMAL normal sources + $ABUSE_SOURCES abusive ($ABUSE_USERS users,"
echo "no think time, $ABUSE_RATE requests/s). Timeout $((TIMEOUT_MS / 1000)) s; ${RUN_SECONDS} s measured after ${WARMUP} s warm-up."
echo "Columns are for normal users unless marked; latencies in ms; host CPU from /proc/stat (every"
echo "process on the machine: the load generator, the peer, the backend, and whatever else runs)."
echo
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' load peer "served/s" \
	"goodput % of capacity" "success of admitted" "admitted p50 / p99" \
	"time to refusal p99" "abusive admitted" "host CPU"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
jq -r '.results[] |
	def ms: if . == null then "-" elif . < 10 then ((. * 100 | round) / 100 | tostring) else (round | tostring) end;
	"| \(.description) | \(.peer) | \(.normal.served_per_s | round) | \(.normal.goodput_pct_of_capacity | round)% | " +
	"\(.normal.success_of_admitted_pct | round)% | \(.normal.admitted_p50_ms | ms) / \(.normal.admitted_p99_ms | ms) | " +
	"\(.normal.refusal_p99_ms | ms) | \(.abusive.admitted_pct | round)% | \(.cpu.busy_pct // null | if . == null then "-" else (round | tostring) + "%" end) |"' "$OUT"
if [ "${#NOTES[@]}" -gt 0 ]; then
	echo
	printf -- '- %s\n' "${NOTES[@]}"
fi
echo
echo "results: $OUT"
