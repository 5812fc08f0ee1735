#!/usr/bin/env bash
# Connections/s through a veth into a real TCP server, in one run, rounds
# interleaved: no adm | adm_xdp only | adm_xdp + adm_sockops (the socket
# layer's per-connection cost). Connections/s on 2 noisy cores spread by
# tens of percent between runs, so the socket layer's cost is also taken
# exactly: the kernel's BPF run-time statistics (kernel.bpf_stats_enabled)
# give adm_sockops' own CPU time per connection, set against the host's CPU
# time per connection (/proc/stat) in the same runs. Writes JSON to $1
# (default build/bench/conn_overhead.json) and prints a table. Not a test.
#   ROUNDS (default 3), CONNS per measurement (default 20000), CONC (32)
# shellcheck source=scripts/lib/netns.sh
. "$(dirname "$0")/../../scripts/lib/netns.sh"

OUT=${1:-$BUILD/bench/conn_overhead.json}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-20000}
CONC=${CONC:-32}
PORT=8080

e2e_init "$ADMD"
CONF="$E2E_TMP/bench.conf"	# E2E_TMP exists from e2e_init on
e2e_topology
cat >"$CONF" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
[metrics]
listen = off
[service web]
ports = $PORT
EOF
e2e_tcpsrv srv -l "$E2E_SRV4:$PORT"
srcs=()
for ((i = 10; i < 30; i++)); do srcs+=(-s "10.77.0.$i"); done

# busy_ns: CPU time spent by the whole host so far (all CPUs, not idle), ns.
busy_ns() {
	awk -v hz="$(getconf CLK_TCK)" '/^cpu / {
		printf "%.0f\n", ($2 + $3 + $4 + $7 + $8) * 1e9 / hz }' /proc/stat
}

# prog_ns NAME: cumulative run time of the loaded BPF program NAME, ns.
prog_ns() {
	bpftool prog show name "$1" -j 2>/dev/null | jq -s '[.[] | (if type == "array" then .[] else . end) | .run_time_ns // 0] | add // 0'
}

# measure NAME: one load run; prints connections/s (ok / elapsed). Runs
# with the socket layer append "sockops-ns connections host-busy-ns" to
# $E2E_TMP/acct (measure runs in a subshell: no variables survive it).
measure() {
	local f="$E2E_TMP/$1.json" b0 b1 s0 s1
	b0=$(busy_ns)
	s0=$(prog_ns adm_sockops)
	e2e_probe "$f" -d "$E2E_SRV4:$PORT" "${srcs[@]}" -n "$CONNS" -c "$CONC" -t 3000 \
		--max-seconds 60 >/dev/null
	s1=$(prog_ns adm_sockops)
	b1=$(busy_ns)
	[ "${1%[0-9]*}" = xdps ] &&
		echo "$((s1 - s0)) $(jq -r .ok "$f") $((b1 - b0))" >>"$E2E_TMP/acct"
	jq -r '(.ok / (.elapsed_ms / 1000)) | floor' "$f"
}

stats_was=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_was"; e2e_cleanup' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

declare -A runs=([none]="" [xdp]="" [xdp_sockops]="")
for ((r = 1; r <= ROUNDS; r++)); do
	[ -n "$E2E_ADMD_CONF" ] && { e2e_admd_stop; e2e_admd_cleanup >/dev/null 2>&1; }
	runs[none]+="$(measure "none$r") "
	e2e_admd_start "$CONF"
	rm -f "$E2E_PIN/link_sockops"		# detaches the socket layer
	e2e_admd_stop
	runs[xdp]+="$(measure "xdp$r") "
	e2e_admd_start "$CONF"			# attaches sockops again, keeps XDP
	runs[xdp_sockops]+="$(measure "xdps$r") "
done

read -r SOCKOPS_NS SOCKOPS_CONNS BUSY_NS < <(awk '{s += $1; c += $2; b += $3}
	END {printf "%d %d %d\n", s, c, b}' "$E2E_TMP/acct")
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_none=$(echo "${runs[none]}" | median)
m_xdp=$(echo "${runs[xdp]}" | median)
m_sk=$(echo "${runs[xdp_sockops]}" | median)
mkdir -p "$(dirname "$OUT")"
jq -n --arg date "$(date -u +%FT%TZ)" --argjson conns "$CONNS" --argjson conc "$CONC" \
	--arg none "${runs[none]}" --arg xdp "${runs[xdp]}" --arg sk "${runs[xdp_sockops]}" \
	--argjson mn "$m_none" --argjson mx "$m_xdp" --argjson ms "$m_sk" \
	--argjson sns "$((SOCKOPS_NS / (SOCKOPS_CONNS ? SOCKOPS_CONNS : 1)))" \
	--argjson hns "$((BUSY_NS / (SOCKOPS_CONNS ? SOCKOPS_CONNS : 1)))" \
	'def nums: split(" ") | map(select(. != "") | tonumber);
	 {date: $date, connections_per_run: $conns, concurrency: $conc,
	  runs_cps: {none: ($none | nums), xdp: ($xdp | nums), xdp_sockops: ($sk | nums)},
	  median_cps: {none: $mn, xdp: $mx, xdp_sockops: $ms},
	  sockops_cost_pct: (((1 - $ms / $mx) * 1000 | round) / 10),
	  sockops_ns_per_conn: $sns, host_cpu_ns_per_conn: $hns,
	  sockops_share_pct: ((($sns / $hns) * 10000 | round) / 100)}' >"$OUT"
printf '\nconnections/s, %d connections per run, concurrency %d, median of %d rounds\n' "$CONNS" "$CONC" "$ROUNDS"
printf '%-22s %10s %10s\n' setup conn/s "vs none"
printf '%-22s %10d %9.3fx\n' "no adm" "$m_none" 1
printf '%-22s %10d %9.3fx\n' "adm_xdp" "$m_xdp" "$(jq -n "$m_xdp / $m_none")"
printf '%-22s %10d %9.3fx\n' "adm_xdp + adm_sockops" "$m_sk" "$(jq -n "$m_sk / $m_none")"
printf 'connections/s spread between runs: %s (none) %s (xdp) %s (xdp+sockops)\n' \
	"${runs[none]}" "${runs[xdp]}" "${runs[xdp_sockops]}"
printf 'socket layer, exact: adm_sockops ran %s ns per connection (all its callbacks),\n' \
	"$(jq -r .sockops_ns_per_conn "$OUT")"
printf '  %s%% of the host CPU time per connection (%s ns) in the same runs (target <= 5%%)\n' \
	"$(jq -r .sockops_share_pct "$OUT")" "$(jq -r .host_cpu_ns_per_conn "$OUT")"
