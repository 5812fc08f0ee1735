#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# One writer per map field: while admd runs, every admctl write (limits
# set, breaker, mode, degrade, block/allow) is applied by admd, on its one
# thread, through the same library function admctl uses when admd is down.
#
#   (a) a burst set live gets the config's one-tick floor: `limits set live
#       new_conn_burst 1` on a 1000/s service admits the rate (a service
#       with burst 1 in the config, measured in turn), not one SYN per 4 ms
#       clock tick (250/s), measured with real SYNs;
#   (b) 1000 admctl writes from 4 writers race 50 reloads (SIGHUP and
#       `admctl reload`, alternating); every write is served by admd
#       (audit via=admd) and succeeds;
#   (c) afterwards every field is as the last writer left it. The rule
#       (README, docs/admctl.8): the last write wins; a reload puts the
#       config file's values back for config keys (every `limits` key,
#       and `mode` from [adm] mode); the breaker, the degradation level and
#       block/allow entries are not config keys and stay as last set. The
#       expected state is replayed from admd's log, which records writes
#       and reloads in the order admd applied them;
#   (d) admd killed (-9, socket left behind: ECONNREFUSED): block, allow,
#       limits and breaker writes still work, applied by admctl itself and
#       audited to syslog; the restarted admd applies the config's limits
#       again and keeps the block entry and the breaker.

# admd lives through the whole file (about 2 minutes on a loaded machine).
E2E_PROC_MAX_SECONDS=${E2E_PROC_MAX_SECONDS:-300}
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

PORT_WEB=8080
PORT_API=8081
PORT_RATE=8090		# service rate: new_conn_rate = 1000/s, burst 1 in the config
PORT_LIVE=8091		# service live: 1000/s, burst 50 in the config, set to 1 live
RATE=1000
ROUNDS=3		# measurements of each, interleaved; the best of each counts
WRITERS=4
WRITES_EACH=250		# 4 x 250 = 1000 admctl writes
RELOADS=50
PROBE_N=1500		# SYNs of one rate measurement: refusals stay under the RST budget
RACE_MAX_S=150		# the reloader gives up waiting for writers after this

e2e_init "$ADMD" "$ADMCTL"
e2e_topology

CONF="$E2E_TMP/adm.conf"
SOCK="$E2E_TMP/ctl.sock"

# Config values of the raced services; a reload puts these back.
declare -A CFG=(
	[web.conn_limit]=500 [web.fp_conn_limit]=0 [web.new_conn_rate]=200/s
	[web.new_conn_burst]=50 [web.on_rate]=reject
	[api.conn_limit]=300 [api.fp_conn_limit]=0 [api.new_conn_rate]=25/s
	[api.new_conn_burst]=30 [api.on_rate]=drop
)

cat >"$CONF" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
control_socket = $SOCK
mode = enforce

[service web]
ports = $PORT_WEB
conn_limit = ${CFG[web.conn_limit]}
new_conn_rate = ${CFG[web.new_conn_rate]}
new_conn_burst = ${CFG[web.new_conn_burst]}
on_rate = ${CFG[web.on_rate]}

[service api]
ports = $PORT_API
priority = sheddable
conn_limit = ${CFG[api.conn_limit]}
new_conn_rate = ${CFG[api.new_conn_rate]}
new_conn_burst = ${CFG[api.new_conn_burst]}
on_rate = ${CFG[api.on_rate]}

[service rate]
ports = $PORT_RATE
new_conn_rate = $RATE/s
new_conn_burst = 1
on_rate = reject

[service live]
ports = $PORT_LIVE
new_conn_rate = $RATE/s
new_conn_burst = 50
on_rate = reject
EOF

actl() { admctl --socket "$SOCK" "$@"; }

e2e_tcpsrv srv -l "$E2E_SRV4:$PORT_RATE" -l "$E2E_SRV4:$PORT_LIVE"
e2e_admd_start "$CONF"
tap_ok "admd starts and reports ready"

# ---------------------------------------------------------------- (a) burst floor

# admitted_per_s / offered_per_s NAME: SYNs per second of probe NAME.
admitted_per_s() { jq -r '(.ok / (.elapsed_ms / 1000)) | floor' "$E2E_TMP/$1.json"; }
offered_per_s() { jq -r '(.attempts / (.elapsed_ms / 1000)) | floor' "$E2E_TMP/$1.json"; }

# measure NAME PORT SOURCE: PROBE_N SYNs as fast as one client sends them;
# 200 at once, so admitted connections waiting for a busy server's reply
# do not stop the client from sending SYNs. A client descheduled for a
# while sends nothing, and a token unused for one tick is lost: the
# admitted rate is the rate times the client's share of the CPU, so the
# two paths are measured in turn, ROUNDS times, and the best of each is
# compared. The data plane sends at most ADM_RST_PER_SEC (2000) RSTs per
# CPU per second and drops the rest (the client then waits out a 1 s
# retransmit): each measurement starts in a fresh second and refuses fewer.
measure() {
	sleep 1.05
	e2e_probe "$E2E_TMP/$1.json" -d "$E2E_SRV4:$2" -s "$3" -n "$PROBE_N" \
		-c 200 -t 1000
}

scenario_burst_floor() {
	local cfg=0 live=0 offered=0 r v over
	tap_check "(a) limits set live new_conn_burst 1 (service live: 1000/s, burst 50 in the file)" \
		actl limits set live new_conn_burst 1 || return 0
	for ((r = 0; r < ROUNDS; r++)); do
		if ! { measure "a_config$r" "$PORT_RATE" "10.77.0.$((10 + r))" &&
		       measure "a_live$r" "$PORT_LIVE" "10.77.0.$((20 + r))"; }; then
			tap_fail "(a) tcpprobe runs"
			return 0
		fi
		v=$(admitted_per_s "a_config$r"); [ "$v" -gt "$cfg" ] && cfg=$v
		v=$(admitted_per_s "a_live$r"); [ "$v" -gt "$live" ] && live=$v
		v=$(offered_per_s "a_live$r"); [ "$v" -gt "$offered" ] && offered=$v
		e2e_note "(a) round $r: config $(admitted_per_s "a_config$r")/s, live $(admitted_per_s "a_live$r")/s admitted"
	done
	e2e_note "(a) $RATE/s, burst 1, best of $ROUNDS: config $cfg/s admitted, live $live/s admitted, $offered/s offered"
	if [ "$offered" -lt 500 ]; then
		tap_skip "(a) live burst 1 admits the rate, not one SYN per tick" \
			"the client offered only $offered SYN/s here: 1000/s and 250/s look alike below 500/s"
		return 0
	fi
	tap_assert "(a) live burst 1 admits the rate like the config's burst 1 (>= 60% of $cfg/s and > 400/s; the old live path gave <= 250/s)" \
		"config $cfg/s, live $live/s, offered $offered/s" \
		"$live" -ge $((cfg * 6 / 10)) -a "$live" -gt 400 || :
	# A window of ~30 ms: the bound is the rate over the window plus the
	# burst in force (1, raised to one clock tick of tolerance: 5 at 4 ms),
	# plus one coarse-clock tick (4 more) by which the data plane's window
	# can exceed the client's. A burst of 50 (the file's) would be far over.
	over=0
	for ((r = 0; r < ROUNDS; r++)); do
		v=$(jq -r --argjson rate "$RATE" '.ok - ((.elapsed_ms * $rate / 1000) | floor) - 10' \
			"$E2E_TMP/a_live$r.json")
		[ "$v" -gt "$over" ] && over=$v
	done
	tap_assert "(a) ... and never above the rate: admitted <= $RATE/s x the window + the burst in force, every round" \
		"most admitted over that bound: $over" "$over" -le 0 || :
	actl limits show --json >"$E2E_TMP/a_show.json" 2>&1 || :
	tap_assert "(a) limits show: the same rate and burst in force for both (the config's and the live)" \
		"$(cat "$E2E_TMP/a_show.json")" \
		"$(jq -r '[.services[] | select(.name == "rate" or .name == "live") |
			"\(.new_conn_rate) \(.new_conn_burst)"] | unique | length' "$E2E_TMP/a_show.json")" = 1 || :
}
scenario_burst_floor

# ---------------------------------------------------------------- (b) the race

RATES=(10/s 20/s 50/s 100/s)	# emission >= one 4 ms tick: bursts read back exactly
BURSTS=(3 7 15 40)
ACTIONS=(drop defer reject)
SVCS=(web api)

# wctl ARGS...: admctl for the race. The socket and the pins do not depend
# on the network namespace, so no nsenter here (two fewer execs a write on
# a loaded 2-core machine); every call is bounded by admctl's own 5 s
# control-socket timeout.
wctl() { "$ADMCTL" --pin-root "$E2E_PIN" --socket "$SOCK" "$@"; }

# writer N: WRITES_EACH random writes; one line "rc command" each.
writer() {
	local n=$1 i svc rc cmd
	RANDOM=$((n * 7919))
	for ((i = 0; i < WRITES_EACH; i++)); do
		svc=${SVCS[RANDOM % 2]}
		case $((RANDOM % 10)) in
		0 | 1) cmd="limits set $svc conn_limit $((RANDOM % 999 + 1))" ;;
		2) cmd="limits set $svc fp_conn_limit $((RANDOM % 99 + 1))" ;;
		3) cmd="limits set $svc new_conn_rate ${RATES[RANDOM % 4]}" ;;
		4) cmd="limits set $svc new_conn_burst ${BURSTS[RANDOM % 4]}" ;;
		5) cmd="limits set $svc on_rate ${ACTIONS[RANDOM % 3]}" ;;
		6) case $((RANDOM % 4)) in
		   0) cmd="breaker open $svc" ;;
		   1) cmd="breaker half-open $svc --permille $((RANDOM % 999 + 1))" ;;
		   2) cmd="breaker close $svc" ;;
		   3) cmd="breaker close" ;;
		   esac ;;
		7) case $((RANDOM % 3)) in
		   0) cmd="mode shadow $svc" ;;
		   1) cmd="mode enforce $svc" ;;
		   2) cmd="mode shadow" ;;
		   esac ;;
		8) cmd="degrade $((RANDOM % 4))" ;;
		9) cmd="block add 10.77.200.$((RANDOM % 250 + 1))" ;;
		esac
		rc=0
		# shellcheck disable=SC2086 # cmd is words
		wctl $cmd >/dev/null 2>>"$E2E_TMP/b_writer.$n.err" || rc=$?
		echo "$rc $cmd"
	done
}

# reloader: RELOADS reloads, SIGHUP and admctl reload in turn, spread over
# the race: reload i waits until i/RELOADS of the writes are done (so the
# last one falls among the last writes), bounded by RACE_MAX_S.
reloader() {
	local i n_done deadline=$((SECONDS + RACE_MAX_S))
	for ((i = 1; i <= RELOADS; i++)); do
		while n_done=$(cat "$E2E_TMP"/b_writer.*.log 2>/dev/null | wc -l) &&
		      [ "$n_done" -lt $((i * WRITERS * WRITES_EACH / (RELOADS + 1))) ] &&
		      [ "$SECONDS" -lt "$deadline" ]; do
			sleep 0.05
		done
		if ((i % 2)); then
			kill -HUP "$E2E_ADMD_PID"
		else
			wctl reload >/dev/null 2>>"$E2E_TMP/b_reload.err" || echo "reload failed"
		fi
	done
}

reloads_done() { grep -c 'admd: audit: .*what="reload[^"]*" .*result=ok' "$E2E_ADMD_LOG" || :; }
writes_done() { grep -c 'admd: audit: .*what="\(limits set\|breaker\|mode\|degrade\|block add\) .*result=ok via=admd$' "$E2E_ADMD_LOG" || :; }

scenario_race() {
	local pids=() n i t0 t1 reloads0 writes0 bad writes
	reloads0=$(reloads_done)
	writes0=$(writes_done)
	t0=$(date +%s.%N)
	for ((n = 1; n <= WRITERS; n++)); do
		writer "$n" >"$E2E_TMP/b_writer.$n.log" &
		pids+=("$!")
		E2E_PIDS+=("$!")
	done
	reloader >"$E2E_TMP/b_reloader.log" &
	pids+=("$!")
	E2E_PIDS+=("$!")
	for i in "${pids[@]}"; do
		wait "$i" || :
	done
	# A last SIGHUP is taken when admd's loop next wakes: wake it.
	sleep 0.3
	actl status >/dev/null 2>&1 || :
	t1=$(date +%s.%N)
	e2e_note "(b) $((WRITERS * WRITES_EACH)) writes and $RELOADS reloads in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	writes=$(cat "$E2E_TMP"/b_writer.*.log | wc -l)
	bad=$(cat "$E2E_TMP"/b_writer.*.log | awk '$1 != 0' | head -5)
	tap_assert "(b) all $((WRITERS * WRITES_EACH)) admctl writes exit 0 while reloads run" \
		"$bad"$'\n'"$(cat "$E2E_TMP"/b_writer.*.err | head -5)" \
		"$writes:$(cat "$E2E_TMP"/b_writer.*.log | awk '$1 == 0' | wc -l)" = \
		"$((WRITERS * WRITES_EACH)):$((WRITERS * WRITES_EACH))" || :
	tap_assert "(b) every admctl reload succeeded" "$(cat "$E2E_TMP/b_reloader.log" "$E2E_TMP/b_reload.err")" \
		! -s "$E2E_TMP/b_reloader.log" || :
	n=$(($(reloads_done) - reloads0))
	# SIGHUPs that arrive while one is pending are one reload.
	tap_assert "(b) admd reloaded $((RELOADS / 2))..$RELOADS times (coalesced SIGHUPs count once)" \
		"$n reloads" "$n" -ge $((RELOADS / 2)) -a "$n" -le "$RELOADS" || :
	n=$(($(writes_done) - writes0))
	tap_assert "(b) admd applied every write itself (audit records via=admd)" \
		"$n records" "$n" -eq $((WRITERS * WRITES_EACH)) || :
	actl status --json >"$E2E_TMP/b_status.json" 2>&1 || :
	# breaker and degrade writes are served by the breaker module (listed first)
	tap_assert "(b) status: the writer and breaker modules count them" \
		"$(jq -c '{writer, breaker: .breaker.writes_ok}' "$E2E_TMP/b_status.json" 2>&1)" \
		"$(jq -r '.writer.writes_ok + (.breaker.writes_ok // 0)' "$E2E_TMP/b_status.json")" -ge $((WRITERS * WRITES_EACH)) || :
}
scenario_race

# ---------------------------------------------------------------- (c) last writer

# expected: the state the log's order implies, one "SERVICE FIELD VALUE" a line.
expected_state() {
	local s k cfg=""
	for s in "${SVCS[@]}"; do
		for k in conn_limit fp_conn_limit new_conn_rate new_conn_burst on_rate; do
			cfg+="$s $k ${CFG[$s.$k]};"
		done
	done
	grep 'admd: audit: .* result=ok via=' "$E2E_ADMD_LOG" | awk -v cfg="$cfg" '
	BEGIN {
		n = split(cfg, l, ";")
		for (i = 1; i < n; i++) { split(l[i], f, " "); conf[f[1] " " f[2]] = f[3]; lim[f[1] " " f[2]] = f[3] }
		nsv = split("web api", svcs, " ")
		for (i = 1; i <= nsv; i++) { mode[svcs[i]] = "enforce"; brk[svcs[i]] = "closed 0"; deg[svcs[i]] = 0 }
	}
	{
		match($0, /what="[^"]*"/)
		w = substr($0, RSTART + 6, RLENGTH - 7)
		split(w, a, " ")
		if (a[1] == "reload") {
			for (k in conf) lim[k] = conf[k]
			for (i = 1; i <= nsv; i++) mode[svcs[i]] = "enforce"
		} else if (a[1] == "limits") {
			lim[a[3] " " a[4]] = a[5]
		} else if (a[1] == "breaker") {
			v = a[2] == "open" ? "open 0" : a[2] == "close" ? "closed 0" : "half-open " a[5]
			if (a[3] == "every") { for (i = 1; i <= nsv; i++) brk[svcs[i]] = v }
			else brk[a[3]] = v
		} else if (a[1] == "mode") {
			if (a[3] == "(every") { for (i = 1; i <= nsv; i++) mode[svcs[i]] = a[2] }
			else mode[a[3]] = a[2]
		} else if (a[1] == "degrade") {
			for (i = 1; i <= nsv; i++) deg[svcs[i]] = a[2]
		} else if (a[1] == "block" && a[2] == "add") {
			block[a[3]] = 1
		}
	}
	END {
		for (k in lim) if (k ~ /^(web|api) /) print k, lim[k]
		for (i = 1; i <= nsv; i++) {
			print svcs[i], "mode", mode[svcs[i]]
			print svcs[i], "breaker", brk[svcs[i]]
			print svcs[i], "degrade", deg[svcs[i]]
		}
		for (c in block) print "block", c
	}' | sort
}

# actual: the same lines, read back through admctl.
actual_state() {
	local d="$E2E_TMP/c"
	actl limits show --json >"$d.limits.json" &&
	actl breaker show --json >"$d.breaker.json" &&
	actl mode --json >"$d.mode.json" &&
	actl degrade --json >"$d.degrade.json" &&
	actl block list --json >"$d.block.json" || return 1
	{
		jq -r '.services[] | select(.name == "web" or .name == "api") |
			"\(.name) conn_limit \(.conn_limit)", "\(.name) fp_conn_limit \(.fp_conn_limit)",
			"\(.name) new_conn_rate \(.new_conn_rate)", "\(.name) new_conn_burst \(.new_conn_burst)",
			"\(.name) on_rate \(.on_rate)"' "$d.limits.json"
		jq -r '.services[] | select(.name == "web" or .name == "api") |
			"\(.name) breaker \(.breaker) \(.half_open_permille)"' "$d.breaker.json"
		jq -r '.services[] | select(.name == "web" or .name == "api") | "\(.name) mode \(.mode)"' "$d.mode.json"
		jq -r '.services[] | select(.name == "web" or .name == "api") | "\(.name) degrade \(.degrade)"' "$d.degrade.json"
		jq -r '.block[] | "block \(.cidr)"' "$d.block.json"
	} | sort
}

scenario_last_writer() {
	local diff cmd
	expected_state >"$E2E_TMP/c_expected.txt"
	actual_state >"$E2E_TMP/c_actual.txt" 2>&1 || :
	e2e_note "(c) $(wc -l <"$E2E_TMP/c_expected.txt") fields and entries compared; $(grep -c '^block ' "$E2E_TMP/c_expected.txt") block entries"
	local svc key val written=0
	while read -r svc key val; do
		[ -n "${CFG[$svc.$key]:-}" ] && [ "$val" != "${CFG[$svc.$key]}" ] && written=$((written + 1))
	done <"$E2E_TMP/c_expected.txt"
	e2e_note "(c) $written of 10 limits fields end on a write after the last reload, the rest on the config's value"
	diff=$(diff "$E2E_TMP/c_expected.txt" "$E2E_TMP/c_actual.txt" || :)
	tap_assert "(c) every field is as the last writer left it (replayed from admd's log: writes win until a reload, which puts the config's limits and mode back; breaker, degrade, block stay)" \
		"expected (<) vs actual (>):"$'\n'"$diff" -z "$diff" -a -s "$E2E_TMP/c_expected.txt" || :
	# The rule, once on a known state: a reload resets limits and mode, keeps the rest.
	for cmd in "limits set web conn_limit 7" "mode shadow web" "breaker open web" \
		   "degrade 2" "reload"; do
		# shellcheck disable=SC2086 # cmd is words
		actl $cmd >/dev/null 2>&1 || e2e_note "(c) '$cmd' failed"
	done
	actual_state >"$E2E_TMP/c_rule.txt" 2>&1 || :
	tap_assert "(c) after a reload: conn_limit and mode back to the config's, breaker open and degrade 2 kept" \
		"$(grep '^web ' "$E2E_TMP/c_rule.txt")" \
		"$(grep -c -x -e 'web conn_limit 500' -e 'web mode enforce' -e 'web breaker open 0' \
			-e 'web degrade 2' "$E2E_TMP/c_rule.txt")" -eq 4 || :
}
scenario_last_writer

# ---------------------------------------------------------------- (d) admd down

scenario_admd_down() {
	local err="$E2E_TMP/d.err" rc=0 out cmd
	kill -9 "$E2E_ADMD_PID"
	e2e_wait_for 5 "admd gone" sh -c "! kill -0 $E2E_ADMD_PID" || :
	tap_assert "(d) admd killed with -9 leaves its socket (connect: ECONNREFUSED)" "" -S "$SOCK" || :
	for cmd in "block add 10.77.201.1" "allow add 10.77.201.2" "limits set web conn_limit 9" "breaker close web" "degrade 0"; do
		rc=0
		# shellcheck disable=SC2086
		out=$(actl $cmd 2>"$err") || rc=$?
		tap_assert "(d) admd down: '$cmd' is applied by admctl itself, audited to syslog" \
			"exit $rc; $out; $(cat "$err")" \
			"$rc:$(grep -c 'syslog' "$err")" = "0:1" || :
	done
	actl limits show web --json >"$E2E_TMP/d_limits.json" 2>&1 || :
	actl block list --json >"$E2E_TMP/d_block.json" 2>&1 || :
	tap_assert "(d) ... and in the maps: web conn_limit 9, 10.77.201.1/32 blocked" \
		"$(cat "$E2E_TMP/d_limits.json" "$E2E_TMP/d_block.json" | head -c 600)" \
		"$(jq -r '.services[0].conn_limit' "$E2E_TMP/d_limits.json"):$(jq -r '[.block[] | select(.cidr == "10.77.201.1/32")] | length' "$E2E_TMP/d_block.json")" = "9:1" || :
	rc=0
	actl limits set web conn_limit 5000000000 >/dev/null 2>"$err" || rc=$?
	tap_assert "(d) admd down: a bad value is still a usage error (exit 2, one sentence)" "$(cat "$err")" \
		"$rc:$(wc -l <"$err")" = "2:1" || :
	actl breaker open api >/dev/null 2>&1 || :
	e2e_admd_start "$CONF" || { tap_fail "(d) admd restarts"; return 0; }
	actual_state >"$E2E_TMP/d_after.txt" 2>&1 || :
	tap_assert "(d) restarted admd: config limits again (web conn_limit 500); block entry and api's open breaker kept" \
		"$(grep -e '^web conn' -e '^api breaker' -e '10.77.201' "$E2E_TMP/d_after.txt")" \
		"$(grep -c -x -e 'web conn_limit 500' -e 'api breaker open 0' -e 'block 10.77.201.1/32' "$E2E_TMP/d_after.txt")" -eq 3 || :
}
scenario_admd_down

tap_plan_done
