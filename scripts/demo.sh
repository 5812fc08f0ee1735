#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted $names are jq's, not the shell's
# make demo: the case adm exists for, in network namespaces on this machine.
# 1000 users (a closed loop: request, answer, think ~2 s, again; a user
# gives up on a request after 10 s) on 508 addresses use a backend that can
# serve about 80 requests a second (8 workers, ~100 ms a request), while two
# abusive clients hammer it without pause. First without adm, then with adm.
# That is the seed service's incident: 1000 concurrent users against a
# service built for a fraction of them. Touches nothing outside the
# namespaces it creates, and removes them (and every process it started)
# on exit. About 90 s (DEMO_SECONDS per phase, default 30).
# shellcheck source=scripts/lib/netns.sh
. "$(dirname "$0")/lib/netns.sh"
E2E_NAME=demo
BACKEND="$BUILD/tests/bench/tools/backend"
ADMLOAD="$BUILD/tests/bench/tools/admload"
PORT=8080
SECONDS_PER_PHASE=${DEMO_SECONDS:-30}
USERS=1000
THINK_MS=2000
TIMEOUT_MS=10000

e2e_init "$ADMD" "$ADMCTL" "$BACKEND" "$ADMLOAD"
CONF="$E2E_TMP/adm.conf"	# E2E_TMP exists from e2e_init on
e2e_topology
# The users' addresses: 10.77.1.1-10.77.2.254 in the client namespace; the
# server reaches them through vcli as a gateway (one neighbour entry).
{
	for n in 1 2; do
		for ((h = 1; h <= 254; h++)); do echo "addr add 10.77.$n.$h/32 dev $E2E_CLI_IF"; done
	done
} >"$E2E_TMP/addrs-demo.batch"
e2e_quiet ip -n "$E2E_NS_CLI" -batch "$E2E_TMP/addrs-demo.batch"
e2e_quiet ip -n "$E2E_NS_SRV" route add 10.77.0.0/16 via "$E2E_CLI4" dev "$E2E_SRV_IF"

# What adm is told: the backend's 8 workers may have 3 requests each in hand
# or waiting (24), a client 2 at a time and 5 new connections a second
# (bursts of 10); everything else is refused at once.
cat >"$CONF" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
[metrics]
listen = off
[service web]
ports = $PORT
conn_limit = 24
fp_conn_limit = 2
on_conn_full = reject
new_conn_rate = 5/s
new_conn_burst = 10
on_rate = reject
EOF

# phase NAME: the load for one phase; results in $E2E_TMP/NAME.json. Every
# request started in the phase counts, the first seconds included.
phase() {
	e2e_bg "admload-$1" cli "$ADMLOAD" -d "$E2E_SRV4:$PORT" \
		-s 10.77.1.0/24 -s 10.77.2.0/24 -s 10.77.0.38-10.77.0.39 \
		-u "$USERS" --think-ms "$THINK_MS" -t "$TIMEOUT_MS" \
		--abusive-sources 2 --abusive-users 100 --abusive-rate 1000 \
		-T "$SECONDS_PER_PHASE" -o "$E2E_TMP/$1.json"
	wait "$E2E_BG_PID" || { echo "demo: the load generator failed:"; cat "$E2E_TMP/admload-$1.log"; exit 1; }
}

# A fresh backend per phase: the backlog phase 1 leaves behind must not
# be served during phase 2. On exit it prints how much it served.
backend_start() {
	e2e_bg "backend-$1" srv "$BACKEND" -l "$E2E_SRV4:$PORT" -w 8 --http \
		--service-ms 80 --jitter-ms 40 --max-seconds $((SECONDS_PER_PHASE + 60))
	BACKEND_PID=$E2E_BG_PID
	e2e_wait_for 5 "backend listening" in_srv sh -c "ss -Hltn | grep -q ':$PORT '"
}
# backend_stop NAME: stop it; what it served lands in $E2E_TMP/NAME.served.
backend_stop() {
	e2e_kill "$BACKEND_PID"
	sed -n 's/.*served=\([0-9]*\).*/\1/p' "$E2E_TMP/backend-$1.log" >"$E2E_TMP/$1.served"
}

echo "adm demo: a backend of 8 workers (~100 ms a request, ~80 requests/s) in namespace $E2E_NS_SRV"
echo "          $USERS users on 508 addresses (think ~2 s, give up after 10 s)"
echo "          + 2 abusive clients (100 connections each, no pause) in $E2E_NS_CLI"
backend_start without
echo "== phase 1: no protection (${SECONDS_PER_PHASE} s)"
phase without
backend_stop without
backend_start with
echo "== phase 2: adm attached to $E2E_SRV_IF (${SECONDS_PER_PHASE} s)"
e2e_admd_start "$CONF"
phase with
backend_stop with

row() {	# row LABEL JQ-FILTER (on one admload JSON; $served: what the backend served)
	printf '  %-40s %18s %18s\n' "$1" \
		"$(jq -r --argjson served "$(cat "$E2E_TMP/without.served")" "$2" "$E2E_TMP/without.json")" \
		"$(jq -r --argjson served "$(cat "$E2E_TMP/with.served")" "$2" "$E2E_TMP/with.json")"
}
ms() {	# ms CLASS OUTCOME FIELD: a latency in ms, or "-"
	echo "if .classes.$1.latency_ms.$2 then (.classes.$1.latency_ms.$2.$3 |
		if . >= 100 then round elif . >= 1 then (. * 10 | round / 10) else (. * 100 | round / 100) end |
		tostring) + \" ms\" else \"-\" end"
}
ms2() {	# ms2 CLASS OUTCOME: "p50 / p99 ms", or "-"
	echo "def f: if . >= 100 then round elif . >= 1 then (. * 10 | round / 10)
		    else (. * 100 | round / 100) end | tostring;
	      if .classes.$1.latency_ms.$2 then .classes.$1.latency_ms.$2 |
		\"\(.p50 | f) / \(.p99 | f) ms\" else \"-\" end"
}
pct() { echo "\"\(.classes.$1.$2) (\(if .classes.$1.requests > 0 then (.classes.$1.$2 * 1000 / .classes.$1.requests | round / 10) else 0 end)%)\""; }
# The mean over every request of the users, whatever its outcome: the
# seed incident's "mean latency".
MEAN_ALL='.classes.normal as $c |
	if $c.requests > 0 then
	  (([$c.latency_ms.ok, $c.latency_ms.refused, $c.latency_ms.http_503,
	     $c.latency_ms.timeout, $c.latency_ms.error]
	    | map(select(. != null) | .n * .mean) | add) / $c.requests)
	  | (if . >= 100 then round else (. * 10 | round / 10) end | tostring) + " ms"
	else "-" end'
echo
printf '  %-40s %18s %18s\n' "" "without adm" "with adm"
echo "  users ($USERS on 508 addresses, closed loop)"
row "requests made" '.classes.normal.requests'
row "served" "$(pct normal ok)"
row "refused at once (RST from XDP)" "$(pct normal refused)"
row "timed out after 10 s" "$(pct normal timeout)"
row "error" '.classes.normal.error'
row "mean latency, every request" "$MEAN_ALL"
row "served: p50 latency" "$(ms normal ok p50)"
row "served: p99 latency" "$(ms normal ok p99)"
row "refused: p50 / p99 time to refusal" "$(ms2 normal refused)"
row "addresses served at least once" '"\(.classes.normal.ok_per_source.served // 0) of \(.classes.normal.ok_per_source.sources // 0)"'
row "goodput (users served/s, of ~80)" '.classes.normal.ok_per_s | round'
echo "  abusive clients (2 addresses, 100 connections each)"
row "requests made" '.classes.abusive.requests'
row "served" "$(pct abusive ok)"
row "refused at once" "$(pct abusive refused)"
echo "  backend"
row "requests it served" '$served'
row "  of them to clients that had given up" '[$served - .classes.all.ok, 0] | max'
echo
echo "== admctl stats (what the kernel decided)"
admctl stats
# admctl top: the heaviest sources, where this admctl has it.
if admctl top -n 5 --by drops >"$E2E_TMP/top.txt" 2>&1; then
	echo
	echo "== admctl top -n 5 --by drops (the sources refused most)"
	cat "$E2E_TMP/top.txt"
fi
echo
echo "Without protection the backlog grows until requests wait longer than users"
echo "do: the backend spends its time on requests nobody is waiting for any more,"
echo "and the users that stay get answers after seconds. With adm the backend holds"
echo "only what it can answer quickly; the other attempts learn at once (the time"
echo "to refusal above: a RST from XDP, no queueing) that they must come back later,"
echo "and the abusive clients get their 5 connections a second each and no more."
echo "adm cannot serve more users than the backend can: a refused request is not"
echo "served, its user is told so at once and tries again after thinking."
