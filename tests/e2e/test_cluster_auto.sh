#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# conn_limit = auto under cluster sync (README "Breakers, the adaptive
# limit and degradation"): two node namespaces, each with its own admd and
# backend, a real redis-server, one service with conn_limit = auto and
# cluster_conn_limit = CAP. The breaker module is the one writer of
# adm_conc.limit there: it enforces min(adaptive limit, the node's share of
# CAP). Node 1's backend has 16 workers (its adaptive limit wants more than
# its share: the share binds), node 2's has 2 (its share is more than its
# adaptive limit wants: the adaptive limit binds).
#   (a) both nodes sync; the service reports a cluster cap;
#   (b) under load, sampled every ~0.5 s (one status answer: a consistent
#       snapshot): what each node enforces never exceeds its adaptive limit
#       nor its cap, the kernel's adm_conc.limit is exactly that (one
#       writer), and the two nodes' mean caps sum to at most CAP (shares
#       move every round, so caps read at different moments may not);
#   (c) node 1: the cap binds (adaptive above it); the enforced limit is
#       exactly min(adaptive, cap) on both nodes outside min_rtt probes.
set -o errexit -o nounset -o pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

BACKEND="$BUILD/tests/bench/tools/backend"
ADMLOAD="$BUILD/tests/bench/tools/admload"
P=8090
CAP=10
SVC_MS=20
LOAD_S=30
WARM_S=7
SAMPLES=14

e2e_init "$ADMD" "$ADMCTL" "$BACKEND" "$ADMLOAD"
for t in redis-server redis-cli; do
	command -v "$t" >/dev/null 2>&1 || e2e_skip_all "'$t' is not installed (scripts/deps.sh)"
done
E2E_PROC_MAX_SECONDS=120
e2e_nodes 2
CLUSTER="ca$E2E_ID"

node_conf() {
	local k=$1 f="$E2E_TMP/n$1.conf"
	cat >"$f" <<-EOF
	[adm]
	interfaces = vnode
	pin_root = $(e2e_node_pin "$k")
	cgroup = $(e2e_node_cg "$k")
	control_socket = $(e2e_node_sock "$k")

	[metrics]
	listen = off

	[redis]
	socket = $E2E_TMP/redis.sock
	cluster = $CLUSTER
	node = n$k
	sync_interval_ms = 100
	timeout_ms = 250
	node_ttl_ms = 1000

	[service auto]
	ports = $P
	conn_limit = auto
	conn_limit_min = 2
	conn_limit_max = 200
	cluster_conn_limit = $CAP
	on_conn_full = reject
	EOF
	echo "$f"
}

status_of() { admctl_node "$1" status --json; }
all_synced() {
	local k
	for k in "$@"; do
		[ "$(status_of "$k" | jq -r '.cluster.state // "?"')" = synced ] || return 1
	done
}
# auto_of K: node K's {limit, enforced, cluster_cap} of the service, one line
auto_of() {
	status_of "$1" | jq -r '.breaker.services[] | select(.name == "auto") |
		"\(.adaptive.limit) \(.adaptive.enforced) \(.adaptive.cluster_cap) \(.latency.requests) \(.latency.mean_ms) \(.adaptive.kernel_limit)"'
}

e2e_redis_start redis
for k in 1 2; do
	w=$([ "$k" -eq 1 ] && echo 16 || echo 2)
	e2e_node_bg "be$k" "$k" "$BACKEND" -l "10.77.$k.1:$P" -w "$w" --service-ms "$SVC_MS" \
		--dist lognormal --http --ready-file "$E2E_TMP/be$k.ready" --max-seconds 100
done
for k in 1 2; do
	e2e_wait_for 5 "backend of node $k" test -s "$E2E_TMP/be$k.ready"
done

# ---------------------------------------------------------------- (a)
for k in 1 2; do
	tap_check "(a) node $k starts with conn_limit = auto, cluster_conn_limit = $CAP" \
		e2e_node_admd_start "$k" "$(node_conf "$k")" || exit 1
done
e2e_wait_for 5 "2 nodes synced" all_synced 1 2 || :
tap_assert "(a) both nodes synced" "$(status_of 1 | jq -c .cluster.state)" \
	"$(all_synced 1 2 && echo yes)" = yes || :

# ---------------------------------------------------------------- (b) (c)
for k in 1 2; do
	e2e_bg "load$k" cli "$ADMLOAD" -d "10.77.$k.1:$P" -s "10.77.100.$((k * 50))-10.77.100.$((k * 50 + 30))" \
		-u 48 -T "$LOAD_S" -t 3000 --ramp-ms 200 --think-ms 10 -q -o "$E2E_TMP/load$k.json"
done
sleep "$WARM_S"
: >"$E2E_TMP/samples"
for ((i = 0; i < SAMPLES; i++)); do
	for k in 1 2; do
		printf '%s %s\n' "$k" "$(auto_of "$k")" >>"$E2E_TMP/samples"
	done
	sleep 0.2
done
# one line per sample: node limit enforced cap requests mean_ms kernel
awk '{ print $1, $2, $3, $4, $7 }' "$E2E_TMP/samples" >"$E2E_TMP/rows"
e2e_note "node 1 (W=16) limit/enforced/cap/kernel (requests, mean ms of the tick): $(awk '$1 == 1 { printf "%s/%s/%s/%s (%s, %.0f) ", $2, $3, $4, $7, $5, $6 }' "$E2E_TMP/samples" | head -c 900)"
e2e_note "node 2 (W=2)  limit/enforced/cap/kernel (requests, mean ms of the tick): $(awk '$1 == 2 { printf "%s/%s/%s/%s (%s, %.0f) ", $2, $3, $4, $7, $5, $6 }' "$E2E_TMP/samples" | head -c 900)"

over=$(awk '$4 == "null" || $3 > $2 || $3 > $4 { n++ } END { print n + 0 }' "$E2E_TMP/rows")
tap_assert "(b) every sample ($((SAMPLES * 2))): enforced <= adaptive limit and <= the cluster cap" \
	"$(cat "$E2E_TMP/rows")" "$over" -eq 0 || :
agree=$(awk '$5 == $3 { n++ } END { print n + 0 }' "$E2E_TMP/rows")
tap_assert "(b) the kernel's adm_conc.limit is what the breaker enforces in every sample ($agree of $((SAMPLES * 2)))" \
	"$(cat "$E2E_TMP/rows")" "$agree" -eq $((SAMPLES * 2)) || :
# a cap of -1 (ADM_CONC_REFUSE_ALL: a share of 0) counts as 0
means=$(awk '$4 != "null" { s[$1] += $4 < 0 ? 0 : $4; n[$1]++ } END { printf "%.2f %.2f", s[1] / n[1], s[2] / n[2] }' "$E2E_TMP/rows")
tap_assert "(b) the two nodes' mean caps ($means) sum to at most CAP ($CAP)" "$(cat "$E2E_TMP/rows")" \
	"$(awk -v a="${means% *}" -v b="${means#* }" -v c="$CAP" 'BEGIN { print (a + b <= c + 0.01) }')" = 1 || :
bind1=$(awk '$1 == 1 && $2 > $4 && $3 == $4 { n++ } END { print n + 0 }' "$E2E_TMP/rows")
tap_assert "(c) node 1 (W=16): the cap binds (adaptive above it) in most samples ($bind1 of $SAMPLES)" \
	"$(awk '$1 == 1' "$E2E_TMP/rows")" "$bind1" -ge $((SAMPLES / 2)) || :
# outside probes (the limit at conn_limit_min = 2): enforced = min(limit, cap)
exact=$(awk '$2 > 2 && $4 != "null" && $4 >= 0 { m = $2 < $4 ? $2 : $4; if ($3 != m) n++ } END { print n + 0 }' "$E2E_TMP/rows")
tap_assert "(c) both nodes: enforced is exactly min(adaptive, cap) in every sample outside a probe" \
	"$(cat "$E2E_TMP/rows")" "$exact" -eq 0 || :
for k in 1 2; do
	e2e_wait_for 30 "load $k" test -s "$E2E_TMP/load$k.json" || :
	e2e_note "node $k load: $(jq -c '.classes.normal | {ok, refused, timeout, p50: .latency_ms.ok.p50}' "$E2E_TMP/load$k.json" 2>/dev/null)"
done

tap_plan_done
