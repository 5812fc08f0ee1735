#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The data plane's cost of the log pipeline: ns per packet of adm_xdp on
# the refusal path (a SYN flood from 4096 sources against a 1/s service,
# every refusal sampled into the ring buffer up to the event budget), from
# the kernel's BPF run-time statistics, in three modes:
#   draining   admd -> spool -> a MariaDB started for the run, all running
#   db_stopped mariadbd SIGSTOPped: admd still drains the ring buffer (the
#              kernel's path is the same), the MariaDB writer waits: what
#              the pipeline's database work costs the packets
#   admd_stopped admd SIGSTOPped: nothing drains, the ring buffer fills and
#              reservations fail early (a cheaper kernel path: not the
#              baseline for the pipeline's cost, shown for comparison)
# ROUNDS rounds (default 5), the order of the modes reversed every other
# round (ABC CBA ...) so a drift of the machine's load does not favour one.
# Prints each round, the median and spread (max - min) per mode, and the
# median of the per-round differences draining - db_stopped with their
# spread: the difference is "within the noise" when its magnitude is at
# most that spread.
#   tests/bench/logs_dataplane.sh OUT.json

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"
# shellcheck source=tests/e2e/mariadb.sh
. "$(dirname "$0")/../e2e/mariadb.sh"

OUT=${1:-$BUILD/bench/logs_dataplane.json}
ROUNDS=${ROUNDS:-5}
FLOOD_N=${FLOOD_N:-300000}
FLOOD_PPS=${FLOOD_PPS:-60000}
PORT=8080
SYNFLOOD="$BUILD/tests/e2e/tools/synflood"

e2e_init "$ADMD" "$SYNFLOOD"
e2e_topology
db_init "$E2E_TMP/db"
db_start
mariadb --no-defaults -S "$DB_SOCK" -uroot -e 'CREATE DATABASE adm'
CONF="$E2E_TMP/adm.conf"
cat >"$CONF" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
[metrics]
listen = off
[mariadb]
socket = $DB_SOCK
user = root
database = adm
spool_dir = $E2E_TMP/spool
batch_ms = 50
[service web]
ports = $PORT
new_conn_rate = 1/s
new_conn_burst = 1
on_rate = drop
EOF
e2e_admd_start "$CONF"

stats_was=$(sysctl -n kernel.bpf_stats_enabled)
trap '[ -n "$E2E_ADMD_PID" ] && kill -CONT "$E2E_ADMD_PID" 2>/dev/null; [ -n "$DB_PID" ] && kill -CONT "$DB_PID" 2>/dev/null; sysctl -qw kernel.bpf_stats_enabled="$stats_was"; db_stop; e2e_cleanup' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# "run_cnt run_time_ns" of this run's adm_xdp (by id: other runs on the
# host load programs of the same name).
prog_stats() {
	local id
	id=$(ip -n "$E2E_NS_SRV" -j link show dev "$E2E_SRV_IF" |
		jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id')
	bpftool prog show id "$id" -j 2>/dev/null | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"'
}

mac=$(ip -n "$E2E_NS_SRV" -j link show dev "$E2E_SRV_IF" | jq -r '.[0].address')
declare -A res=([draining]="" [db_stopped]="" [admd_stopped]="") cur=()
diffs=""
for ((r = 1; r <= ROUNDS; r++)); do
	order=(draining db_stopped admd_stopped)
	[ $((r % 2)) -eq 0 ] && order=(admd_stopped db_stopped draining)
	declare -A cur=()
	for mode in "${order[@]}"; do
		kill -CONT "$E2E_ADMD_PID" "$DB_PID"
		case $mode in
		db_stopped) kill -STOP "$DB_PID" ;;
		admd_stopped) kill -STOP "$E2E_ADMD_PID" ;;
		esac
		sleep 0.5	# settle: a resumed writer's backlog, a refilled ring
		read -r c0 t0 < <(prog_stats)
		in_cli "$SYNFLOOD" -i "$E2E_CLI_IF" --dst-mac "$mac" -d "$E2E_SRV4:$PORT" \
			--src-net 10.77.64.0/20 -n "$FLOOD_N" --pps "$FLOOD_PPS" --max-seconds 30 \
			--seed "$r" >/dev/null 2>&1 || true
		read -r c1 t1 < <(prog_stats)
		ns=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", c ? t / c : 0 }')
		res[$mode]+="$ns "
		cur[$mode]=$ns
		echo "round $r $mode: $((c1 - c0)) packets, $ns ns/packet"
	done
	diffs+="$(awk -v a="${cur[draining]}" -v b="${cur[db_stopped]}" 'BEGIN { printf "%.1f", a - b }') "
done
kill -CONT "$E2E_ADMD_PID" "$DB_PID"
rows=$(mariadb --no-defaults -S "$DB_SOCK" -uroot -N -B adm -e 'SELECT COUNT(*) FROM adm_decisions')
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { tr ' ' '\n' | grep . | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print hi - lo }'; }
list() { echo "$1" | xargs | tr ' ' ','; }
d=$(echo "${res[draining]}" | median); s=$(echo "${res[db_stopped]}" | median)
a=$(echo "${res[admd_stopped]}" | median)
ds=$(echo "${res[draining]}" | spread); ss=$(echo "${res[db_stopped]}" | spread)
as=$(echo "${res[admd_stopped]}" | spread)
dd=$(echo "$diffs" | median); dsp=$(echo "$diffs" | spread)
within=$(awk -v d="$dd" -v s="$dsp" 'BEGIN { print (d < 0 ? -d : d) <= s ? "true" : "false" }')
printf '{"draining_ns": [%s], "db_stopped_ns": [%s], "admd_stopped_ns": [%s], "draining_median": %s, "db_stopped_median": %s, "admd_stopped_median": %s, "draining_spread": %s, "db_stopped_spread": %s, "admd_stopped_spread": %s, "diff_ns": [%s], "diff_median": %s, "diff_spread": %s, "within_noise": %s, "rows_written": %s}\n' \
	"$(list "${res[draining]}")" "$(list "${res[db_stopped]}")" "$(list "${res[admd_stopped]}")" \
	"$d" "$s" "$a" "$ds" "$ss" "$as" "$(list "$diffs")" "$dd" "$dsp" "$within" "$rows" >"$OUT"
echo "adm_xdp refusal path, ns/packet (median, spread over $ROUNDS rounds): draining $d ($ds), MariaDB stopped $s ($ss), admd stopped $a ($as)"
echo "draining - MariaDB stopped, per round: median $dd ns, spread $dsp ns: within the noise: $within; $rows decision rows written"
tap_ok "logs data-plane bench ran"
tap_plan_done
