#!/usr/bin/env bash
# make demo: the case adm exists for, in network namespaces on this machine.
# A capacity-limited backend (8 workers, ~25 ms a request, ~320 requests/s)
# gets 1000 new connections a second from 20 users' addresses, plus two
# abusive clients hammering it; first without adm, then with adm's embedded
# default policy. Touches nothing outside the namespaces it creates, and
# removes them (and every process it started) on exit.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../tests/e2e/lib.sh"
E2E_NAME=demo
BACKEND="$BUILD/tests/e2e/tools/backend"
PORT=8080
SECONDS_PER_PHASE=${DEMO_SECONDS:-8}
CONF="$E2E_TMP/adm.conf"

e2e_init "$ADMD" "$ADMCTL" "$BACKEND"
e2e_topology

# The embedded default: what adm does for a service that falls over at 3x load.
cat >"$CONF" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
[metrics]
listen = off
[service web]
ports = $PORT
# the global semaphore: at most 3 requests queued per worker
conn_limit = 24
on_conn_full = reject
# per client: 40 new connections a second, bursts of 40
new_conn_rate = 40/s
new_conn_burst = 40
on_rate = reject
EOF

users=()
for ((i = 10; i < 30; i++)); do users+=(-s "10.77.0.$i"); done
n_users=$((SECONDS_PER_PHASE * 1000))

# phase NAME: the load for one phase; results in $E2E_TMP/NAME-{users,abuse}.json
phase() {
	in_cli "$TCPPROBE" --json -d "$E2E_SRV4:$PORT" "${users[@]}" -n "$n_users" \
		--interval-ms 1 -c 4000 -t 3000 --max-seconds $((SECONDS_PER_PHASE + 10)) \
		>"$E2E_TMP/$1-users.json" 2>"$E2E_TMP/$1-users.err" &
	local upid=$!
	in_cli "$TCPPROBE" --json -d "$E2E_SRV4:$PORT" -s 10.77.0.38 -s 10.77.0.39 \
		-n $((SECONDS_PER_PHASE * 2000)) -c 200 -t 3000 \
		--max-seconds $((SECONDS_PER_PHASE + 10)) \
		>"$E2E_TMP/$1-abuse.json" 2>"$E2E_TMP/$1-abuse.err" || true
	wait "$upid" || true
}

# A fresh backend per phase: the backlog phase 1 leaves behind must not
# be served during phase 2.
backend_start() {
	e2e_bg backend srv "$BACKEND" -l "$E2E_SRV4:$PORT" -w 8 --service-ms 20 \
		--jitter-ms 10 --max-seconds 120
	BACKEND_PID=$E2E_BG_PID
	e2e_wait_for 5 "backend listening" in_srv sh -c "ss -Hltn | grep -q ':$PORT '"
}

echo "adm demo: backend of 8 workers (~320 requests/s) in namespace $E2E_NS_SRV"
echo "          20 users at 1000 connections/s + 2 abusive clients in $E2E_NS_CLI"
backend_start
echo "== phase 1: no protection (${SECONDS_PER_PHASE} s)"
phase without
e2e_kill "$BACKEND_PID"
backend_start
echo "== phase 2: adm attached to $E2E_SRV_IF (${SECONDS_PER_PHASE} s)"
e2e_admd_start "$CONF"
phase with

row() {	# row LABEL JQ-FILTER
	printf '  %-34s %18s %18s\n' "$1" \
		"$(jq -r "$2" "$E2E_TMP/without-$3.json")" "$(jq -r "$2" "$E2E_TMP/with-$3.json")"
}
ms() { echo "if .ms.$1 then (.ms.$1.$2 | . * 10 | round / 10 | tostring) + \" ms\" else \"-\" end"; }
echo
printf '  %-34s %18s %18s\n' "" "without adm" "with adm"
echo "  users (20 addresses, open loop at ~3x capacity)"
row "connections attempted" '.attempts - .not_started' users
row "served" '"\(.ok) (\(if .attempts > 0 then (.ok * 1000 / (.attempts - .not_started) | round / 10) else 0 end)%)"' users
row "refused at once (RST from XDP)" '.refused' users
row "timed out after 3 s" '.timeout' users
row "error" '.error' users
row "served: p50 latency" "$(ms ok p50)" users
row "served: p99 latency" "$(ms ok p99)" users
row "refused: p99 time to refusal" "$(ms refused p99)" users
row "goodput (served/s)" '(.ok / (.elapsed_ms / 1000) | round)' users
echo "  abusive clients (2 addresses, 200 connections in flight)"
row "connections attempted" '.attempts - .not_started' abuse
row "served" '.ok' abuse
row "refused at once" '.refused' abuse
echo
echo "== admctl stats (what the kernel decided)"
admctl stats
echo
echo "In phase 1 the backlog grows without bound: requests wait seconds and many"
echo "time out. With adm, the connections admitted are served quickly and the"
echo "rest learn within a millisecond that they must back off."
tap_plan_done >/dev/null
