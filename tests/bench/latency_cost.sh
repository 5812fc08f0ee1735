#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# What the kernel latency measurement (breaker_latency, conn_limit = auto)
# costs: the same keep-alive HTTP load (REQS requests per connection) on two
# services in one run, `plain` (no latency measurement) and `measured`
# (breaker_latency set: sockops' HDR_OPT_LEN callback on every segment out,
# the cgroup_skb ingress program adm_lat on every segment in). The cost is
# taken from the kernel's BPF run-time statistics (kernel.bpf_stats_enabled,
# restored afterwards): ns of adm_sockops + adm_lat per request, beside the
# host's CPU time per request in the same run.
# Writes $1 (default $BUILD/bench/latency_cost.json). About 40 s.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"
E2E_NAME=latency_cost

OUT=${1:-$BUILD/bench/latency_cost.json}
ADMLOAD=${ADMLOAD:-$BUILD/tests/bench/tools/admload}
BACKEND=${BACKEND:-$BUILD/tests/bench/tools/backend}
P_PLAIN=8091
P_MEAS=8092
SECONDS_RUN=${SECONDS_RUN:-8}
USERS=${USERS:-32}
REQS=${REQS:-20}
STATS_WAS=""

restore_stats() { [ -n "$STATS_WAS" ] && sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS"; }
trap 'rc=$?; set +o errexit; restore_stats; (exit $rc); e2e_cleanup' EXIT

e2e_init "$ADMD" "$ADMLOAD" "$BACKEND"
e2e_topology
cat >"$E2E_TMP/adm.conf" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
[metrics]
listen = off
[service plain]
ports = $P_PLAIN
[service measured]
ports = $P_MEAS
breaker_latency = 10s
EOF
for p in $P_PLAIN $P_MEAS; do
	e2e_bg "backend-$p" srv "$BACKEND" -l "$E2E_SRV4:$p" -w 64 --service-ms 0 --http \
		--max-seconds 120
done
e2e_admd_start "$E2E_TMP/adm.conf"

# ns and runs of this admd's adm_sockops and adm_lat_in (the programs that
# use this run's adm_sk_lat map: other admds on the host have their own)
MAP_ID=$(bpftool -j map show pinned "$E2E_PIN/adm_sk_lat" | jq .id)
prog_stats() {
	bpftool -j prog show | jq -c --argjson m "$MAP_ID" '
		[.[] | select((.name == "adm_sockops" or .name == "adm_lat_in") and
			      ((.map_ids // []) | index($m)))] |
		map({key: "\(.name)_\(.id)", value: {ns: (.run_time_ns // 0), cnt: (.run_cnt // 0)}}) | from_entries'
}
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -q -w kernel.bpf_stats_enabled=1
for svc in plain measured; do
	port=$P_PLAIN
	[ "$svc" = measured ] && port=$P_MEAS
	b0=$(prog_stats)
	j0=$(busy_jiffies)
	in_cli "$ADMLOAD" -d "$E2E_SRV4:$port" -s 10.77.0.10-10.77.0.40 -u "$USERS" --think-ms 0 \
		-k "$REQS" -T "$SECONDS_RUN" -q -o "$E2E_TMP/$svc.json"
	j1=$(busy_jiffies)
	b1=$(prog_stats)
	jq -n --arg svc "$svc" --argjson b0 "$b0" --argjson b1 "$b1" \
		--argjson reqs "$(jq .classes.normal.ok "$E2E_TMP/$svc.json")" \
		--argjson cpu_ns "$(( (j1 - j0) * 1000000000 / $(getconf CLK_TCK) ))" '
		[$b1 | to_entries[] | .key as $k | {k: $k, ns: (.value.ns - ($b0[$k].ns // 0)),
		 cnt: (.value.cnt - ($b0[$k].cnt // 0))}] as $d |
		{service: $svc, requests: $reqs,
		 bpf_ns_per_request: (([$d[].ns] | add) / $reqs | . * 10 | round / 10),
		 bpf_runs_per_request: (([$d[].cnt] | add) / $reqs | . * 10 | round / 10),
		 host_cpu_ns_per_request: ($cpu_ns / $reqs | round)}' >"$E2E_TMP/$svc.cost.json"
done
restore_stats
STATS_WAS=""
mkdir -p "$(dirname "$OUT")"
jq -s '{rows: ., measured_minus_plain_ns_per_request: ((.[1].bpf_ns_per_request - .[0].bpf_ns_per_request) | round),
	share_of_host_cpu_pct: ((.[1].bpf_ns_per_request - .[0].bpf_ns_per_request) * 100 / .[1].host_cpu_ns_per_request | . * 100 | round / 100)}' \
	"$E2E_TMP/plain.cost.json" "$E2E_TMP/measured.cost.json" >"$OUT"
jq -r '.rows[] | "\(.service): \(.requests) requests, BPF \(.bpf_ns_per_request) ns and \(.bpf_runs_per_request) program runs per request, host CPU \(.host_cpu_ns_per_request) ns per request"' "$OUT"
jq -r '"latency measurement: +\(.measured_minus_plain_ns_per_request) ns of BPF per request, \(.share_of_host_cpu_pct)% of the host CPU per request"' "$OUT"
tap_ok "latency cost measured"
tap_plan_done
