#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What `reply` (an HTTP 503 from admd's responder) costs beside `reject`
# (an RST from XDP): two services in one run, `rej` (on_rate = reject) and
# `rep` (on_rate = reply), both at 1 new connection a minute per source, so
# after one warm-up connection per source every SYN is refused. One client
# (tcpprobe, sequential, one attempt per ms at most: under the per-CPU RST
# budget) makes N attempts on each:
#   - time to refusal: reject, connect() to ECONNREFUSED; reply, connect()
#     to the 503's first bytes (tcpprobe sends one line and waits for the
#     answer), p50/p99;
#   - CPU per refusal: the host's busy CPU time (both namespaces: client,
#     kernel, admd) per attempt, admd's own CPU time per attempt, and the
#     BPF programs' run time per attempt (kernel.bpf_stats_enabled, restored
#     afterwards): adm_xdp and, for reply, adm_lookup.
# Writes $1 (default $BUILD/bench/reply_cost.json). About 20 s.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"
E2E_NAME=reply_cost

OUT=${1:-$BUILD/bench/reply_cost.json}
P_REJ=8093
P_REP=8094
N=${N:-2000}
SOURCES=10.77.0.10-10.77.0.40
STATS_WAS=""

restore_stats() { [ -n "$STATS_WAS" ] && sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS"; }
trap 'rc=$?; set +o errexit; restore_stats; (exit $rc); e2e_cleanup' EXIT

e2e_init "$ADMD"
e2e_topology
cat >"$E2E_TMP/adm.conf" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
[metrics]
listen = off
[reply]
retry_after = 5
retry_after_jitter = 5
[service rej]
ports = $P_REJ
new_conn_rate = 1/m
new_conn_burst = 1
on_rate = reject
[service rep]
ports = $P_REP
new_conn_rate = 1/m
new_conn_burst = 1
on_rate = reply
EOF
e2e_tcpsrv srv -l "$E2E_SRV4:$P_REJ" -l "$E2E_SRV4:$P_REP"
e2e_admd_start "$E2E_TMP/adm.conf"

# This admd's programs: the ones that use this run's adm_reply map.
MAP_ID=$(bpftool -j map show pinned "$E2E_PIN/adm_reply" | jq .id)
prog_stats() {
	bpftool -j prog show | jq -c --argjson m "$MAP_ID" '
		[.[] | select((.name == "adm_xdp" or .name == "adm_lookup") and
			      ((.map_ids // []) | index($m)))] |
		map({key: .name, value: {ns: (.run_time_ns // 0), cnt: (.run_cnt // 0)}}) | from_entries'
}
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
admd_jiffies() { awk '{ print $14 + $15 }' "/proc/$E2E_ADMD_PID/stat"; }
range_expand() { local a=${1%-*} b=${1#*-}; for ((i = ${a##*.}; i <= ${b##*.}; i++)); do printf -- '-s %s.%d ' "${a%.*}" "$i"; done; }
# shellcheck disable=SC2207
SRC_ARGS=($(range_expand "$SOURCES"))

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
hz=$(getconf CLK_TCK)
for svc in rej rep; do
	port=$P_REJ
	[ "$svc" = rep ] && port=$P_REP
	# One admitted connection per source: every attempt after is refused.
	in_cli "$TCPPROBE" --json -d "$E2E_SRV4:$port" "${SRC_ARGS[@]}" -n "$((${#SRC_ARGS[@]} / 2))" \
		-c 1 >"$E2E_TMP/$svc.warm.json"
	b0=$(prog_stats); j0=$(busy_jiffies); a0=$(admd_jiffies)
	in_cli "$TCPPROBE" --json -d "$E2E_SRV4:$port" "${SRC_ARGS[@]}" -n "$N" -c 1 \
		--interval-ms 1 -t 3000 >"$E2E_TMP/$svc.json"
	j1=$(busy_jiffies); a1=$(admd_jiffies); b1=$(prog_stats)
	jq -n --arg svc "$svc" --argjson b0 "$b0" --argjson b1 "$b1" --slurpfile r "$E2E_TMP/$svc.json" \
		--argjson host_ns "$(( (j1 - j0) * 1000000000 / hz ))" \
		--argjson admd_ns "$(( (a1 - a0) * 1000000000 / hz ))" '
		$r[0] as $r | (if $svc == "rej" then "refused" else "ok" end) as $o |
		($r[$o] // 0) as $n |
		{service: $svc, action: (if $svc == "rej" then "reject" else "reply" end),
		 attempts: ($r.ok + $r.refused + $r.timeout + $r.error), refusals: $n,
		 outcomes: {ok: $r.ok, refused: $r.refused, timeout: $r.timeout, error: $r.error},
		 ms_p50: $r.ms[$o].p50, ms_p99: $r.ms[$o].p99,
		 host_cpu_us_per_refusal: ($host_ns / $n / 1000 | . * 10 | round / 10),
		 admd_cpu_us_per_refusal: ($admd_ns / $n / 1000 | . * 10 | round / 10),
		 bpf_ns_per_refusal: ([$b1 | to_entries[] | .key as $k |
			{key: $k, value: ((.value.ns - ($b0[$k].ns // 0)) / $n | round)}] | from_entries)}' \
		>"$E2E_TMP/$svc.cost.json"
done
restore_stats
STATS_WAS=""
mkdir -p "$(dirname "$OUT")"
jq -s '{rows: .,
	reply_over_reject: {ms_p50: (.[1].ms_p50 / .[0].ms_p50 | . * 100 | round / 100),
			    host_cpu: (.[1].host_cpu_us_per_refusal / .[0].host_cpu_us_per_refusal | . * 100 | round / 100)}}' \
	"$E2E_TMP/rej.cost.json" "$E2E_TMP/rep.cost.json" >"$OUT"
jq -r '.rows[] | "\(.action): \(.refusals) of \(.attempts) refused, time to refusal p50 \(.ms_p50) ms p99 \(.ms_p99) ms; per refusal: host CPU \(.host_cpu_us_per_refusal) us, admd \(.admd_cpu_us_per_refusal) us, BPF \(.bpf_ns_per_refusal)"' "$OUT"
jq -r '"reply / reject: time to refusal p50 x\(.reply_over_reject.ms_p50), host CPU per refusal x\(.reply_over_reject.host_cpu)"' "$OUT"
ok=$(jq '[.rows[] | select(.refusals > 0)] | length' "$OUT")
tap_assert "reply and reject both measured" "$(cat "$OUT")" "$ok" -eq 2
tap_plan_done
