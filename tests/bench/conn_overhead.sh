#!/usr/bin/env bash
# Connections/s through a veth into a real TCP server, in one run, rounds
# interleaved: no adm | adm_xdp only | adm_xdp + adm_sockops (the socket
# layer's per-connection cost). Writes JSON to $1 (default
# build/bench/conn_overhead.json) and prints a table. Not a test: numbers
# only, ratios within this run.
#   ROUNDS (default 3), CONNS per measurement (default 20000), CONC (32)
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"

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

# measure NAME: one load run; prints connections/s (ok / elapsed).
measure() {
	local f="$E2E_TMP/$1.json"
	e2e_probe "$f" -d "$E2E_SRV4:$PORT" "${srcs[@]}" -n "$CONNS" -c "$CONC" -t 3000 \
		--max-seconds 60 >/dev/null
	jq -r '(.ok / (.elapsed_ms / 1000)) | floor' "$f"
}

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

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_none=$(echo "${runs[none]}" | median)
m_xdp=$(echo "${runs[xdp]}" | median)
m_sk=$(echo "${runs[xdp_sockops]}" | median)
mkdir -p "$(dirname "$OUT")"
jq -n --arg date "$(date -u +%FT%TZ)" --argjson conns "$CONNS" --argjson conc "$CONC" \
	--arg none "${runs[none]}" --arg xdp "${runs[xdp]}" --arg sk "${runs[xdp_sockops]}" \
	--argjson mn "$m_none" --argjson mx "$m_xdp" --argjson ms "$m_sk" \
	'def nums: split(" ") | map(select(. != "") | tonumber);
	 {date: $date, connections_per_run: $conns, concurrency: $conc,
	  runs_cps: {none: ($none | nums), xdp: ($xdp | nums), xdp_sockops: ($sk | nums)},
	  median_cps: {none: $mn, xdp: $mx, xdp_sockops: $ms},
	  sockops_cost_pct: (((1 - $ms / $mx) * 1000 | round) / 10)}' >"$OUT"
printf '\nconnections/s, %d connections per run, concurrency %d, median of %d rounds\n' "$CONNS" "$CONC" "$ROUNDS"
printf '%-22s %10s %10s\n' setup conn/s "vs none"
printf '%-22s %10d %9.3fx\n' "no adm" "$m_none" 1
printf '%-22s %10d %9.3fx\n' "adm_xdp" "$m_xdp" "$(jq -n "$m_xdp / $m_none")"
printf '%-22s %10d %9.3fx\n' "adm_xdp + adm_sockops" "$m_sk" "$(jq -n "$m_sk / $m_none")"
printf 'socket layer cost: %s%% fewer connections/s than adm_xdp alone (target <= 5%%)\n' \
	"$(jq -r .sockops_cost_pct "$OUT")"
tap_plan_done >/dev/null
