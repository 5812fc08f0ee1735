#!/usr/bin/env bash
# make bench: every benchmark, results in $BUILD/bench/*.json plus tables.
# Numbers are ratios against a baseline measured in the same run: these
# machines are noisy (2 cores). Nothing here is a pass/fail test.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out="$BUILD/bench"
mkdir -p "$out"
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (BPF, network namespaces)" >&2; exit 1; }

echo "== micro: ns per packet, BPF_PROG_TEST_RUN, vs an empty XDP program"
"$BUILD/tests/bench/micro" "$out/micro.json"

echo
echo "== connections/s: the socket layer's cost"
bash tests/bench/conn_overhead.sh "$out/conn_overhead.json"

echo
echo "== /metrics scrape: empty vs full per-source maps"
bash tests/bench/scrape.sh "$out/scrape.json"

echo
echo "== overload: a capacity-limited backend, no protection vs nftables vs nginx vs adm"
bash tests/bench/overload.sh "$out/overload.json"
bash tests/bench/flood.sh "$out/flood.json"
echo
echo "== flood with adm_src full: 262144 verified sources, the flood path's filter reads"
FLOOD_FILL=262144 QUICK=1 PEERS="xdp_floor adm" bash tests/bench/flood.sh "$out/flood_full.json"

echo
echo "== adaptive: conn_limit = auto beside static limits, steady and with a backend slowing x5"
bash tests/bench/adaptive.sh "$out/adaptive.json"
bash tests/bench/latency_cost.sh "$out/latency_cost.json"

echo
echo "== reply (HTTP 503 from admd's responder) beside reject (RST from XDP): time to refusal, CPU per refusal"
bash tests/bench/reply_cost.sh "$out/reply_cost.json"

echo

echo "== cluster sync: one round with 100,000 active sources; 4-node overshoot; Redis ops/s"
bash tests/bench/cluster.sh "$out/cluster.json"

echo
echo "== log pipeline: rows/s into MariaDB, batched writer vs a row per INSERT"
bash tests/bench/logs.sh "$out/logs.json"
bash tests/bench/logs_dataplane.sh "$out/logs_dataplane.json"

echo
echo "results: $out/micro.json $out/conn_overhead.json $out/overload.json $out/flood.json $out/flood_full.json $out/scrape.json $out/cluster.json $out/logs.json $out/logs_dataplane.json $out/adaptive.json $out/latency_cost.json $out/reply_cost.json ($(date -u +%F), $(uname -r), $(nproc) CPUs)"
