#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Log pipeline bench: rows/s into a MariaDB started for the run (temp dir,
# unix socket), same server, same table, same run:
#  1. writer variants in interleaved rounds (BENCH_LOGS_ROUNDS, default 3,
#     of BENCH_LOGS_ROUND_S seconds each, default 10), medians: the
#     writer's path (array-bound prepared INSERT, batches of 1000), the
#     same batches as one multi-row text INSERT, that with INSERT IGNORE
#     instead of ON DUPLICATE KEY UPDATE, and array binding in batches of
#     5000; each with the client's and mariadbd's CPU time per row (on a
#     shared machine rows/s swing with the neighbours; CPU per row less);
#  2. the writer's path sustained for BENCH_LOGS_SECONDS (default 60)
#     beside a naive writer (an INSERT and a COMMIT per row) as long;
#  3. the writer's path on the same data with the server restarted with
#     innodb_flush_log_at_trx_commit = 2 (a setting a DBA may choose for a
#     log table: a server crash may lose the last second of COMMITs, which
#     admd re-sends from the spool only if its cursor had not moved yet).
# The durable test server (tests/e2e/mariadb.sh) runs with
# innodb_flush_log_at_trx_commit = 1, buffer pool 256M, redo log 256M.
#   Usage: tests/bench/logs.sh OUT.json
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${1:-$BUILD/bench/logs.json}
SECS=${BENCH_LOGS_SECONDS:-60}
ROUNDS=${BENCH_LOGS_ROUNDS:-3}
ROUND_S=${BENCH_LOGS_ROUND_S:-10}
TMP=$(mktemp -d /tmp/adm-bench-logs.XXXXXX)
# shellcheck source=tests/e2e/mariadb.sh
. tests/e2e/mariadb.sh
trap 'db_stop; rm -rf "$TMP"' EXIT
mkdir -p "$(dirname "$OUT")"

db_init "$TMP/db"
db_start
mariadb --no-defaults -S "$DB_SOCK" -uroot -e 'CREATE DATABASE adm'

# run NAME SECONDS ARGS...: one measurement into $TMP/NAME.N.json
n=0
run() {
	local name=$1 secs=$2
	shift 2
	n=$((n + 1))
	"$BUILD/tests/bench/logdb" --socket "$DB_SOCK" --seconds "$secs" \
		--server-pid "$DB_PID" --json "$TMP/$name.$n.json" "$@" | sed "s/^/  $name: /"
}
# median NAME: {rows_per_sec, server_us_per_row, client_us_per_row, rounds}
median() {
	jq -s 'def med(f): (map(f) | sort) as $v | $v[($v | length) / 2 | floor];
		{rows_per_sec: med(.rows_per_sec), server_us_per_row: med(.server_us_per_row),
		 client_us_per_row: med(.client_us_per_row), rounds: map(.rows_per_sec)}' \
		"$TMP/$1".*.json
}

echo "writer variants, $ROUNDS interleaved rounds of $ROUND_S s:"
for ((r = 1; r <= ROUNDS; r++)); do
	run array1000 "$ROUND_S" --mode batch --batch-rows 1000
	run multirow1000 "$ROUND_S" --mode multirow --batch-rows 1000
	run ignore1000 "$ROUND_S" --mode multirow-ignore --batch-rows 1000
	run array5000 "$ROUND_S" --mode batch --batch-rows 5000
done
echo "sustained, $SECS s each:"
run batch "$SECS" --mode batch --batch-rows 1000
run naive "$SECS" --mode naive
db_stop
DB_ARGS="$DB_ARGS_DEFAULT --innodb-flush-log-at-trx-commit=2"
db_start
echo "innodb_flush_log_at_trx_commit = 2, $ROUNDS rounds of $ROUND_S s:"
for ((r = 1; r <= ROUNDS; r++)); do
	run relaxed1000 "$ROUND_S" --mode batch --batch-rows 1000
done

jq -n --argjson a "$(median array1000)" --argjson m "$(median multirow1000)" \
	--argjson i "$(median ignore1000)" --argjson a5 "$(median array5000)" \
	--argjson rl "$(median relaxed1000)" \
	--slurpfile b <(cat "$TMP"/batch.*.json) --slurpfile nv <(cat "$TMP"/naive.*.json) \
	'{variants: {array1000: $a, multirow1000: $m, multirow_ignore1000: $i,
		     array5000: $a5, array1000_trx_commit2: $rl},
	  batch: $b[0], naive: $nv[0], ratio: ($b[0].rows_per_sec / $nv[0].rows_per_sec)}' >"$OUT"
jq -r '"  writer (medians of interleaved rounds)        rows/s  server us/row  client us/row",
	(.variants | to_entries[] | "  \(.key | . + " " * (44 - length)) \(.value.rows_per_sec | floor | tostring | " " * (7 - length) + .)  \(.value.server_us_per_row * 10 | floor / 10 | tostring | " " * (13 - length) + .)  \(.value.client_us_per_row * 10 | floor / 10)"),
	"  sustained: batched (1000, array bind) \(.batch.rows_per_sec | floor) rows/s, naive \(.naive.rows_per_sec | floor) rows/s, ratio \(.ratio * 10 | floor / 10)x"' "$OUT"
