#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Log pipeline bench: rows/s into a MariaDB started for the run (temp dir,
# unix socket), the writer's path (batches of 1000, array-bound prepared
# INSERT, a COMMIT per batch) against a naive writer (an INSERT and a
# COMMIT per row), BENCH_LOGS_SECONDS each (default 60), same server, same
# table, same run.  Usage: tests/bench/logs.sh OUT.json
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=${1:-$BUILD/bench/logs.json}
SECS=${BENCH_LOGS_SECONDS:-60}
TMP=$(mktemp -d /tmp/adm-bench-logs.XXXXXX)
# shellcheck source=tests/e2e/mariadb.sh
. tests/e2e/mariadb.sh
trap 'db_stop; rm -rf "$TMP"' EXIT

db_init "$TMP/db"
db_start
mariadb --no-defaults -S "$DB_SOCK" -uroot -e 'CREATE DATABASE adm'
"$BUILD/tests/bench/logdb" --socket "$DB_SOCK" --seconds "$SECS" --mode batch \
	--batch-rows 1000 --json "$TMP/batch.json"
"$BUILD/tests/bench/logdb" --socket "$DB_SOCK" --seconds "$SECS" --mode naive \
	--json "$TMP/naive.json"
jq -s '{batch: .[0], naive: .[1], ratio: (.[0].rows_per_sec / .[1].rows_per_sec)}' \
	"$TMP/batch.json" "$TMP/naive.json" >"$OUT"
jq -r '"  writer                      rows/s\n  batched (1000, array bind)  \(.batch.rows_per_sec | floor)\n  naive (a row per INSERT)    \(.naive.rows_per_sec | floor)\n  ratio                       \(.ratio * 10 | floor / 10)x"' "$OUT"
