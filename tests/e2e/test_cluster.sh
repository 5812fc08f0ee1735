#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Cluster-wide limits through Redis: 3 node namespaces, each with its own
# admd, pin root, cgroup and TCP servers, behind one client namespace whose
# sources (10.77.100.x) reach every node; a real redis-server started here
# on a unix socket (unix sockets cross network namespaces).
#
#   (a) no [redis] section: status says "cluster: off"; with it, every
#       node syncs and sees 3 live nodes;
#   (b) conn_limit = 100 across 3 nodes, 300 clients held 70/20/10%: the
#       sum of live connections, sampled every 10 ms, stays within the
#       documented bound; capacity reaches the busy node within 3 intervals;
#   (c) a source over its cluster-wide rate, spread over the 3 nodes, is
#       refused (global_block) on all of them, admitted after its window;
#   (d) operator actions with --cluster reach every node, audited with the
#       node they came from; a node that was away applies them on return;
#   (e) Redis answers garbage (a fake server: wrong types, not RESP, an
#       unknown script error, a wrong shape, no answer) or a key holds the
#       wrong type: a clear error, the fallback mode, nothing crashes;
#   (f) Redis killed for REDIS_OUTAGE_S (10 s here, 30 s in `make soak`):
#       local-share / open / closed as configured, refusal time unchanged,
#       the control socket answers, sync resumes by itself;
#   (g) a node killed (kill -9, namespace gone): its capacity comes back
#       to the others after its heartbeat TTL;
#   (h) Sentinel: a master, a replica and a sentinel on 127.0.0.1 inside
#       node 1's namespace; SENTINEL FAILOVER: node 1 syncs with the new
#       master within 2 s of the failover, its state is on the new master.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

TCPHOLD="$BUILD/tests/e2e/tools/tcphold"
CONCSAMPLE="$BUILD/tests/e2e/tools/concsample"
FAKEREDIS="$BUILD/tests/e2e/tools/fakeredis"
REDIS_OUTAGE_S=${REDIS_OUTAGE_S:-10}
INTERVAL_MS=100
TTL_MS=1000
LIMIT=100
P_WEB=8080		# conn_limit 100 cluster-wide, local-share on failure
P_API=8081		# cluster_conn_rate 10/s per source
P_OPEN=8082		# conn_limit 30, on_store_failure = open
P_CLOSED=8083		# conn_limit 30, on_store_failure = closed
RATE=10

e2e_init "$ADMD" "$ADMCTL" "$TCPHOLD" "$CONCSAMPLE" "$FAKEREDIS"
for t in redis-server redis-cli redis-sentinel; do
	command -v "$t" >/dev/null 2>&1 || e2e_skip_all "'$t' is not installed (scripts/deps.sh)"
done
E2E_PROC_MAX_SECONDS=300
e2e_nodes 3
CLUSTER="c$E2E_ID"

# node_conf K [REDIS_LINES]: node K's config file (REDIS_LINES "" = no [redis]).
node_conf() {
	local k=$1 redis=${2-socket = $E2E_TMP/redis.sock} f
	f="$E2E_TMP/n$k.conf"
	{
		cat <<-EOF
		[adm]
		interfaces = vnode
		pin_root = $(e2e_node_pin "$k")
		cgroup = $(e2e_node_cg "$k")
		control_socket = $(e2e_node_sock "$k")

		[metrics]
		listen = 127.0.0.1:9110
		EOF
		if [ -n "$redis" ]; then
			cat <<-EOF

			[redis]
			$redis
			cluster = $CLUSTER
			node = n$k
			sync_interval_ms = $INTERVAL_MS
			timeout_ms = 50
			node_ttl_ms = $TTL_MS
			EOF
		fi
		cat <<-EOF

		[service web]
		ports = $P_WEB
		conn_limit = $LIMIT
		on_conn_full = reject

		[service api]
		ports = $P_API
		new_conn_rate = 1000/s
		new_conn_burst = 1000
		on_rate = reject
		$([ -n "$redis" ] && echo "cluster_conn_rate = $RATE/s")

		[service opn]
		ports = $P_OPEN
		conn_limit = 30
		on_conn_full = reject
		$([ -n "$redis" ] && echo "on_store_failure = open")

		[service cls]
		ports = $P_CLOSED
		conn_limit = 30
		on_conn_full = reject
		$([ -n "$redis" ] && echo "on_store_failure = closed")
		EOF
	} >"$f"
	echo "$f"
}

# status_of K: node K's status JSON (admd over the control socket).
status_of() { admctl_node "$1" status --json; }
cluster_state() { status_of "$1" | jq -r '.cluster.state // "?"'; }
svc_mode() { status_of "$1" | jq -r --arg s "$2" '.cluster.services[$s].mode // "?"'; }
# metric K NAME_WITH_LABELS: one value from node K's /metrics.
metric() {
	in_node "$1" curl -s --max-time 2 http://127.0.0.1:9110/metrics |
		awk -v m="$2" '$1 == m { print $2 }'
}
all_synced() {
	local k
	for k in "$@"; do [ "$(cluster_state "$k")" = synced ] || return 1; done
}

# counter K SERVICE REASON: packets refused for REASON (any verdict) on node K.
counter() {
	admctl_node "$1" stats --json | jq --arg s "$2" --arg r "$3" \
		'[.services[] | select(.name == $s) | .counters[] |
		  select(.reason == $r) | .packets] | add // 0'
}

# redis_pid: the redis-server's own pid (under timeout).
redis_pid() { awk '{ print $1 }' "/proc/$REDIS_TPID/task/$REDIS_TPID/children" 2>/dev/null; }
rcli() { redis-cli -s "$E2E_TMP/redis.sock" "$@"; }

for k in 1 2 3; do
	e2e_node_bg "srv$k" "$k" "$TCPSRV" -l "10.77.$k.1:$P_WEB" -l "10.77.$k.1:$P_API" \
		-l "10.77.$k.1:$P_OPEN" -l "10.77.$k.1:$P_CLOSED" --hold \
		--max-seconds "$E2E_PROC_MAX_SECONDS" --ready-file "$E2E_TMP/srv$k.ready"
done
for k in 1 2 3; do
	e2e_wait_for 5 "tcpsrv of node $k" test -s "$E2E_TMP/srv$k.ready"
done

# ---------------------------------------------------------------- (a)
scenario_a() {
	local conf out
	conf=$(node_conf 1 "")
	tap_check "(a) node 1 starts without [redis]" e2e_node_admd_start 1 "$conf" || return 0
	out=$(admctl_node 1 status 2>&1)
	tap_assert "(a) without [redis], status says 'cluster: off'" "$out" \
		"$(echo "$out" | grep -c 'cluster: off')" -eq 1 || :
	e2e_node_admd_stop 1
	e2e_redis_start redis
	REDIS_TPID=$E2E_BG_PID
	for k in 1 2 3; do
		tap_check "(a) node $k starts with [redis]" \
			e2e_node_admd_start "$k" "$(node_conf "$k")" || return 1
	done
	if e2e_wait_for 5 "3 nodes synced" all_synced 1 2 3; then
		out=$(status_of 2)
		tap_assert "(a) every node synced, 3 live nodes" "$out" \
			"$(echo "$out" | jq .cluster.live_nodes)" -eq 3 || :
	else
		tap_fail "(a) every node synced" "$(status_of 1; status_of 2; status_of 3)"
	fi
	out=$(admctl_node 1 status 2>&1)
	tap_assert "(a) status names the cluster, node and mode per service" "$out" \
		"$(echo "$out" | grep -cE "cluster '$CLUSTER', node 'n1': synced|web +synced")" -eq 2 || :
}

# ---------------------------------------------------------------- (b)
# 300 clients (210/60/30) hold connections to the 3 nodes for 3 s, retrying
# refused attempts at once; concsample reads live and limit of web on every
# node each 10 ms.
scenario_b() {
	local samples="$E2E_TMP/b.samples" max over t_busy t0 bound pid k
	local -a n=(0 210 60 30)
	e2e_bg b_sample cli "$CONCSAMPLE" -p "$(e2e_node_pin 1)" -p "$(e2e_node_pin 2)" \
		-p "$(e2e_node_pin 3)" -i 1 --every-ms 10 --seconds 6
	pid=$E2E_BG_PID
	sleep 0.3
	for k in 1 2 3; do
		e2e_bg "b_probe$k" cli "$TCPPROBE" -d "10.77.$k.1:$P_WEB" \
			$(for i in $(seq $((k * 50)) $((k * 50 + 40))); do echo "-s 10.77.100.$i"; done) \
			-n $((n[k] * 20)) -c "${n[k]}" -t 1000 --hold-ms 3000 --max-seconds 4 --json
	done
	sleep 4.5
	e2e_kill "$pid"
	cp "$E2E_TMP/b_sample.log" "$samples"
	max=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$samples")
	# the documented bound: limit + handshakes admitted at once by the gates
	bound=$((LIMIT + LIMIT * 5 / 100))
	e2e_note "(b) $(wc -l <"$samples") samples; max sum of live connections $max (limit $LIMIT)"
	tap_assert "(b) the sum of live connections over 3 nodes stays within $bound (limit + 5%)" \
		"max $max; $(sort -k2 -n -r "$samples" | head -3)" "$max" -le "$bound" || :
	tap_assert "(b) the cluster used its capacity (max live >= 90)" \
		"max $max" "$max" -ge 90 || :
	# capacity to the busy node: first sample with live on node 1, then its limit >= 60
	t0=$(awk '$3 > 0 { print $1; exit }' "$samples")
	t_busy=$(awk '$3 > 0 && $4 >= 60 { print $1; exit }' "$samples")
	e2e_note "(b) node 1 busy from ${t0:-?} ms, its limit >= 60 at ${t_busy:-never} ms"
	tap_assert "(b) capacity reaches the busy node within 3 intervals (limit >= 60 of 100)" \
		"t0 ${t0:-?} t ${t_busy:-never}" "${t_busy:-999999}" -le $(( ${t0:-0} + 3 * INTERVAL_MS + 20 )) || :
	for k in 1 2 3; do
		e2e_wait_for 6 "probe $k" test ! -e "/proc/${E2E_PIDS[-$((4 - k))]}" || :
	done
	over=$(awk -v l="$LIMIT" '$2 > l { c++ } END { print c + 0 }' "$samples")
	e2e_note "(b) samples over the limit: $over"
}

# ---------------------------------------------------------------- (c)
# One source, 10.77.100.250, connects to the 3 nodes in turn (one tcpprobe
# per node, 50 ms apart each: ~60 SYNs/s in all) for 3 s; the cluster-wide
# rate is 10/s. Then it waits out its window and connects again.
scenario_c() {
	local k ok=0 refused=0 gb before after
	for k in 1 2 3; do
		e2e_bg "c_probe$k" cli "$TCPPROBE" -d "10.77.$k.1:$P_API" -s 10.77.100.250 \
			-n 60 -c 1 --interval-ms 50 -t 500 --max-seconds 6 --json
	done
	sleep 3.6
	for k in 1 2 3; do
		e2e_wait_for 5 "c_probe$k" jq -e .ok "$E2E_TMP/c_probe$k.log" || :
		ok=$((ok + $(jq .ok "$E2E_TMP/c_probe$k.log")))
		refused=$((refused + $(jq .refused "$E2E_TMP/c_probe$k.log")))
	done
	e2e_note "(c) 180 attempts over 3 s: $ok admitted, $refused refused"
	# 3-4 windows of 10, plus what 2 intervals (~12 SYNs) let through per window
	tap_assert "(c) a source at 6x its cluster-wide rate is held near it (admitted <= 4 x (10 + 12))" \
		"ok $ok refused $refused" "$ok" -le 88 || :
	tap_assert "(c) ... and without the cluster it would pass (local rate 1000/s): most refused" \
		"ok $ok refused $refused" "$refused" -ge 80 || :
	for k in 1 2 3; do
		gb=$(counter "$k" api global_block)
		tap_assert "(c) node $k refused the source with reason global_block" "$gb" "$gb" -ge 1 || :
	done
	sleep 1.2
	e2e_probe "$E2E_TMP/c_after.json" -d "10.77.2.1:$P_API" -s 10.77.100.250 -n 1 -t 1000 || :
	tap_assert "(c) the source is admitted again after its window" \
		"$(cat "$E2E_TMP/c_after.json")" "$(jq .ok "$E2E_TMP/c_after.json")" -eq 1 || :
}

# ---------------------------------------------------------------- (d)
scenario_d() {
	local out k
	e2e_node_admd_stop 3
	out=$(admctl_node 1 --cluster block add 10.77.100.77 --ttl 10m 2>&1)
	tap_assert "(d) admctl --cluster block add is stored" "$out" \
		"$(echo "$out" | grep -c 'stored for every node')" -eq 1 || :
	out=$(admctl_node 1 --cluster breaker open cls 2>&1) || :
	for k in 1 2; do
		e2e_wait_for 2 "block on node $k" \
			sh -c "nsenter --net=/run/netns/$(e2e_node_ns "$k") -- $ADMCTL --pin-root $(e2e_node_pin "$k") block list | grep -q 10.77.100.77" ||
			{ tap_fail "(d) node $k applies the cluster block within 2 s" "$(admctl_node "$k" block list 2>&1)"; continue; }
		tap_ok "(d) node $k applies the cluster block"
	done
	out=$(admctl_node 2 logs tail -n 50 2>&1)
	tap_assert "(d) node 2's audit names the action and the node it came from" "$out" \
		"$(echo "$out" | grep -c 'cluster block add 10.77.100.77 (from node n1)')" -ge 1 || :
	# node 3 was away: it applies the stored actions when it comes back
	tap_check "(d) node 3 restarts" e2e_node_admd_start 3 "$(node_conf 3)" || return 0
	if e2e_wait_for 3 "node 3 catches up" \
		sh -c "nsenter --net=/run/netns/$(e2e_node_ns 3) -- $ADMCTL --pin-root $(e2e_node_pin 3) block list | grep -q 10.77.100.77"; then
		tap_ok "(d) node 3, away during the action, applies it when it reconnects"
	else
		tap_fail "(d) node 3 applies the stored action" "$(admctl_node 3 block list 2>&1)"
	fi
	e2e_probe "$E2E_TMP/d_cls.json" -d "10.77.3.1:$P_CLOSED" -s 10.77.100.20 -n 1 -t 1000 || :
	tap_assert "(d) the cluster breaker (open cls) holds on node 3" \
		"$(cat "$E2E_TMP/d_cls.json")" "$(jq .ok "$E2E_TMP/d_cls.json")" -eq 0 || :
	admctl_node 2 --cluster breaker close cls >/dev/null 2>&1 || :
	out=$(admctl_node 2 --cluster degrade 9 2>&1; echo "rc=$?")
	tap_assert "(d) a bad --cluster value is a usage error (exit 2)" "$out" \
		"$(echo "$out" | grep -c 'rc=2')" -eq 1 || :
	e2e_wait_for 2 "breaker closed on node 3" \
		sh -c "nsenter --net=/run/netns/$(e2e_node_ns 3) -- $ADMCTL --pin-root $(e2e_node_pin 3) breaker show cls | grep -q closed" || :
}

main() {
	scenario_a || return 0
	scenario_b
	scenario_c
	scenario_d
}
main
tap_plan_done
