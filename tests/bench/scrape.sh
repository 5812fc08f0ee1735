#!/usr/bin/env bash
# The cost of one /metrics scrape with empty per-source maps and with
# full ones (every per-source map filled to capacity with fillmap), in one
# run: median of SCRAPES scrapes each. A scrape reads fixed-size arrays
# only; occupancy is counted off the scrape path, so the two should match.
# Writes JSON to $1 (default build/bench/scrape.json). Not a test.
# shellcheck source=scripts/lib/netns.sh
. "$(dirname "$0")/../../scripts/lib/netns.sh"

OUT=${1:-$BUILD/bench/scrape.json}
SCRAPES=${SCRAPES:-20}
FILLMAP="$BUILD/tests/bench/fillmap"
MPORT=9199

e2e_init "$ADMD" "$FILLMAP"
CONF="$E2E_TMP/bench.conf"
e2e_topology
cat >"$CONF" <<CONF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
[metrics]
listen = 127.0.0.1:$MPORT
[service web]
ports = 8080
new_conn_rate = 10/s
CONF
e2e_admd_start "$CONF" >/dev/null

# median_ms: median wall time of SCRAPES scrapes, ms.
median_ms() {
	for ((i = 0; i < SCRAPES; i++)); do
		in_srv curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$MPORT/metrics"
	done | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] * 1000 }'
}

empty=$(median_ms)
entries=0
# (adm_rate and adm_pkt_rate are per-service partitions, not pinned themselves:
# a service without those rates has none to fill.)
for m in adm_src adm_global_block; do
	[ -e "$E2E_PIN/$m" ] || continue
	max=$(bpftool -j map show pinned "$E2E_PIN/$m" | jq .max_entries)
	entries=$((entries + $("$FILLMAP" "$E2E_PIN/$m" 1 "$max")))
done
full=$(median_ms) || { tail -n 30 "$E2E_ADMD_LOG"; exit 1; }
printf '%-28s %10s\n' "maps" "scrape ms (median of $SCRAPES)"
printf '%-28s %10s\n' "empty" "$empty"
printf '%-28s %10s\n' "full ($entries entries)" "$full"
jq -n --argjson e "$empty" --argjson f "$full" --argjson n "$entries" \
	'{scrape_ms_empty: $e, scrape_ms_full: $f, entries: $n, ratio: ($f / $e)}' >"$OUT"
