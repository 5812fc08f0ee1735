#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Cluster sync cost (tests/bench/cluster_sync.c) against a redis-server
# started here on a unix socket in a temp dir, stopped by pid on exit.
#   tests/bench/cluster.sh OUT.json
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
out=${1:-$BUILD/bench/cluster.json}
command -v redis-server >/dev/null || { echo "cluster bench: redis-server is not installed (scripts/deps.sh)" >&2; exit 1; }
dir=$(mktemp -d /tmp/adm-bench-cluster.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
timeout 600 redis-server --port 0 --unixsocket "$dir/redis.sock" --save "" \
	--appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
	sleep 0.1
done
"$BUILD/tests/bench/cluster_sync" -u "$dir/redis.sock" --sources 100000 --rounds 30 \
	--interval-ms 100 --json "$out"
