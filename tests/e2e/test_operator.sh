#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# admd and admctl as an operator uses them: a real admd on the server side
# of a veth, a real TCP server behind it, real clients on the other side.
#
#   (a) bad input: every admctl argument has an invalid case; each gives
#       one sentence on stderr, exit 2 (1 for a failed operation), and
#       changes no map;
#   (b) status, human and JSON, from admd over the control socket;
#   (c) stats (human, JSON, --watch) count what the clients saw, and
#       /metrics says the same as stats --json;
#   (d) top --by drops|rate|conns names the sources that did it;
#   (e) limits set takes effect on the next SYN and never touches `live`;
#       reload puts the config file's value back;
#   (f) reload (SIGHUP and admctl reload) keeps buckets and counters; an
#       invalid config is refused and the policy kept;
#   (g) breaker open / half-open / close; breaker auto on a service without
#       signals says so;
#   (h) degrade 1 sheds a sheddable service, not a critical one;
#   (i) mode shadow refuses nothing and counts would_*;
#   (j) attach/detach through admd; a foreign XDP program is refused,
#       replaced with --force;
#   (k) audit records in admd's log and in logs tail (also --follow);
#   (l) kill -9 and restart of admd under live traffic: no legitimate
#       connection is refused;
#   (m) pin_group: a member of the group reads without root, cannot write;
#   (n) admd down: writes still work (audit to syslog, with a warning),
#       status says so and exits 1.
#
# Each scenario uses its own client addresses (10.77.0.10-40), so no
# scenario sees another's rate state.

E2E_PROC_MAX_SECONDS=${E2E_PROC_MAX_SECONDS:-300}	# admd lives the whole file: ~2-4 min on a loaded machine
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

BURST=5			# web: new_conn_rate = 5/s, burst 5
BURST_MAX=$((BURST + 1))	# one more token may accrue on a slow machine
FLOOD=30
PORT_WEB=8080		# normal priority, 5/s, reject
PORT_CORE=8082		# critical, 200/s
PORT_BULK=8083		# sheddable, no rate
PORT_LIVE=8084		# 50/s: the restart scenario's steady client stays under it
PORT_SLOW=8085		# 6/m, burst 3: a drained bucket stays drained for 10 s
MX_PORT=9110
GROUP=nogroup		# pin_group; its members read the maps without root

e2e_init "$ADMD" "$ADMCTL"
e2e_topology

CONF="$E2E_TMP/adm.conf"
SOCK="$E2E_TMP/ctl.sock"
HAVE_GROUP=1
getent group "$GROUP" >/dev/null 2>&1 || HAVE_GROUP=0

write_conf() {
	cat >"$CONF" <<-EOF
	[adm]
	interfaces = $E2E_SRV_IF
	pin_root = $E2E_PIN
	cgroup = $E2E_CGROUP
	control_socket = $SOCK
	$([ "$HAVE_GROUP" -eq 1 ] && echo "pin_group = $GROUP")

	[metrics]
	listen = 127.0.0.1:$MX_PORT

	[service web]
	ports = $PORT_WEB
	new_conn_rate = 5/s
	new_conn_burst = $BURST
	on_rate = reject
	on_conn_full = reject

	[service core]
	ports = $PORT_CORE
	priority = critical
	new_conn_rate = 200/s
	new_conn_burst = 200
	on_rate = reject

	[service bulk]
	ports = $PORT_BULK
	priority = sheddable

	[service live]
	ports = $PORT_LIVE
	new_conn_rate = 50/s
	new_conn_burst = 50
	on_rate = reject

	[service slow]
	ports = $PORT_SLOW
	new_conn_rate = 6/m
	new_conn_burst = 3
	on_rate = reject
	EOF
}

# actl ARGS...: admctl on this run's pin root and control socket.
actl() { admctl --socket "$SOCK" "$@"; }

# stats FILE: lib.sh's, through this file's control socket.
stats() { actl stats --json >"$1" 2>"$1.err"; }

# delta BEFORE AFTER SERVICE VERDICT REASON
delta() {
	echo $(($(counter "$2" "$3" "$4" "$5") - $(counter "$1" "$3" "$4" "$5")))
}

# Conditions for e2e_wait_for.
recounted() { actl status --json | jq -e '.services[0].reconcile.last_ms_ago != null'; }
held_by() { actl top --by conns --json | jq -e --arg s "$1" --argjson n "$2" '[.sources[] | select(.src == $s and .conns == $n)] | length == 1'; }
reloaded_since() { [ "$(grep -c 'admd: reloaded' "$E2E_ADMD_LOG")" -gt "$1" ]; }
dead() { ! kill -0 "$1" 2>/dev/null; }
xdp_prog_of() {
	ip -n "$E2E_NS_SRV" -j link show dev "$1" |
		jq -r '.[0].xdp.prog.name // (.[0].xdp.attached[0].prog.name // "")'
}

# A fingerprint of the maps an operator can change: equal before and after
# a refused command. (Not adm_meta: admd stamps every recount there.)
snap() {
	local m
	for m in adm_services adm_state adm_deny adm_allow adm_conc; do
		bpftool -j map dump pinned "$E2E_PIN/$m" 2>&1
	done | md5sum | cut -d' ' -f1
}

# _bad RC DESC CMD...: CMD exits RC, says one sentence starting "admctl" on
# stderr, prints nothing on stdout, and no map changes.
_bad() {
	local want=$1 desc=$2 before after rc=0 lines out="$E2E_TMP/bad.out" err="$E2E_TMP/bad.err"
	shift 2
	before=$(snap)
	"$@" >"$out" 2>"$err" </dev/null || rc=$?
	after=$(snap)
	lines=$(wc -l <"$err")
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && [ ! -s "$out" ] &&
	   grep -q '^admctl' "$err" && [ "$before" = "$after" ]; then
		tap_ok "(a) $desc: exit $want, one sentence, nothing changed"
	else
		tap_fail "(a) $desc: exit $want, one sentence, nothing changed" \
			"command: $*"$'\n'"exit $rc (want $want); maps changed: $([ "$before" = "$after" ] && echo no || echo yes)"$'\n'"stderr ($lines lines): $(cat "$err")"$'\n'"stdout: $(head -c 300 "$out")"
	fi
}
bad() { local rc=$1 desc=$2; shift 2; _bad "$rc" "$desc" actl "$@"; }
bad_raw() { local rc=$1 desc=$2; shift 2; _bad "$rc" "$desc" in_srv "$ADMCTL" "$@"; }

# ---------------------------------------------------------------- start

e2e_tcpsrv srv -l "$E2E_SRV4:$PORT_WEB" -l "$E2E_SRV4:$PORT_CORE" \
	-l "$E2E_SRV4:$PORT_BULK" -l "$E2E_SRV4:$PORT_LIVE" -l "$E2E_SRV4:$PORT_SLOW"
write_conf
e2e_admd_start "$CONF"
tap_ok "admd starts with a control socket and reports ready"
tap_assert "admd's control socket is root-only (0600)" "$(ls -l "$SOCK" 2>&1)" \
	"$(stat -c %a "$SOCK" 2>/dev/null)" = 600 || :

# ---------------------------------------------------------------- (a) bad input

scenario_bad_input() {
	local long
	long=$(printf 'x%.0s' $(seq 1 5000))
	# global
	bad_raw 2 "no command"
	bad_raw 2 "unknown command" --pin-root "$E2E_PIN" frobnicate
	bad_raw 2 "unknown global option" --bogus stats
	bad_raw 2 "--pin-root without a value" --pin-root
	bad_raw 2 "--socket without a value" --pin-root "$E2E_PIN" --socket
	bad_raw 2 "-c without a value" -c
	bad_raw 2 "-c with a missing file" -c "$E2E_TMP/none.conf" stats
	bad_raw 2 "-c and --pin-root together" -c "$CONF" --pin-root "$E2E_PIN" stats
	bad_raw 2 "--pin-root relative" --pin-root sys/fs/bpf stats
	bad_raw 2 "--pin-root too long" --pin-root "/$long" stats
	bad_raw 1 "--pin-root with no pins (operation fails)" --pin-root "$E2E_PIN-none" stats
	# stats
	bad 2 "stats: unknown option" stats --bogus
	bad 2 "stats: stray argument" stats web
	bad 2 "stats --watch 0" stats --watch 0
	bad 2 "stats --watch -1" stats --watch -1
	bad 2 "stats --watch garbage" stats --watch soon
	bad 2 "stats --watch overflow" stats --watch 99999999999999999999
	bad 2 "stats --watch above max" stats --watch 3601
	bad 2 "stats --watch without a value" stats --watch
	bad 2 "stats --count without --watch" stats --count 2
	bad 2 "stats --count 0" stats --watch 1 --count 0
	bad 2 "stats --watch twice" stats --watch 1 --watch 2
	# top
	bad 2 "top -n 0" top -n 0
	bad 2 "top -n -3" top -n -3
	bad 2 "top -n garbage" top -n many
	bad 2 "top -n overflow" top -n 99999999999999999999
	bad 2 "top -n above max" top -n 10001
	bad 2 "top -n without a value" top -n
	bad 2 "top --by unknown" top --by speed
	bad 2 "top --service unknown" top --service nope
	bad 2 "top: stray argument" top web
	# limits
	bad 2 "limits without an action" limits
	bad 2 "limits: unknown action" limits frob
	bad 2 "limits show: unknown service" limits show nope
	bad 2 "limits show: stray argument" limits show web extra
	bad 2 "limits set without arguments" limits set
	bad 2 "limits set without KEY VALUE" limits set web
	bad 2 "limits set without VALUE" limits set web conn_limit
	bad 2 "limits set: too many arguments" limits set web conn_limit 5 6
	bad 2 "limits set: unknown service" limits set nope conn_limit 5
	bad 2 "limits set: unknown key" limits set web speed 5
	bad 2 "limits set: a reload-only key" limits set web ports 80
	bad 2 "limits set conn_limit -1" limits set web conn_limit -1
	bad 2 "limits set conn_limit above max" limits set web conn_limit 10000001
	bad 2 "limits set conn_limit overflow" limits set web conn_limit 99999999999999999999
	bad 2 "limits set conn_limit garbage" limits set web conn_limit lots
	bad 2 "limits set conn_limit with a comment" limits set web "conn_limit" "5;6"
	bad 2 "limits set conn_limit empty" limits set web conn_limit ""
	bad 2 "limits set fp_conn_limit above max" limits set web fp_conn_limit 1000001
	bad 2 "limits set new_conn_rate 0/s" limits set web new_conn_rate 0/s
	bad 2 "limits set new_conn_rate without unit" limits set web new_conn_rate 20
	bad 2 "limits set new_conn_rate -5/s" limits set web new_conn_rate -5/s
	bad 2 "limits set new_conn_rate above max" limits set web new_conn_rate 1000000001/s
	bad 2 "limits set new_conn_rate per hour" limits set web new_conn_rate 5/h
	bad 2 "limits set new_conn_burst 0" limits set web new_conn_burst 0
	bad 2 "limits set new_conn_burst above max" limits set web new_conn_burst 1000001
	bad 2 "limits set new_conn_burst with the rate off" limits set bulk new_conn_burst 5
	bad 2 "limits set pkt_burst with the rate off" limits set web pkt_burst 5
	bad 2 "limits set pkt_rate garbage" limits set web pkt_rate fast
	bad 2 "limits set on_rate unknown" limits set web on_rate none
	bad 2 "limits set on_conn_full unknown" limits set web on_conn_full bounce
	bad 2 "limits set priority unknown" limits set web priority high
	# block / allow
	bad 2 "block without an action" block
	bad 2 "block: unknown action" block frob
	bad 2 "block add without a CIDR" block add
	bad 2 "block add: host bits set" block add 10.0.0.1/8
	bad 2 "block add: no such address" block add 300.1.1.1
	bad 2 "block add: prefix above 32" block add 10.0.0.0/33
	bad 2 "block add: IPv6 prefix above 128" block add fd77::/129
	bad 2 "block add: garbage" block add somewhere
	bad 2 "block add: two CIDRs" block add 10.0.0.0/8 10.1.0.0/16
	bad 2 "block add --ttl 0" block add 10.0.0.0/8 --ttl 0
	bad 2 "block add --ttl -5" block add 10.0.0.0/8 --ttl -5
	bad 2 "block add --ttl unknown unit" block add 10.0.0.0/8 --ttl 5y
	bad 2 "block add --ttl overflow" block add 10.0.0.0/8 --ttl 99999999999999999999d
	bad 2 "block add --ttl above ten years" block add 10.0.0.0/8 --ttl 4000d
	bad 2 "block add --ttl without a value" block add 10.0.0.0/8 --ttl
	bad 2 "block del --ttl" block del 10.0.0.0/8 --ttl 5m
	bad 2 "block list with a CIDR" block list 10.0.0.0/8
	bad 2 "block: unknown option" block add 10.0.0.0/8 --forever
	bad 1 "block del of an absent entry (operation fails)" block del 10.99.0.0/16
	bad 2 "allow add: host bits set" allow add 10.0.0.1/8
	bad 2 "allow: unknown action" allow frob
	bad 2 "allow add --ttl garbage" allow add 10.0.0.0/8 --ttl later
	# breaker
	bad 2 "breaker without an action" breaker
	bad 2 "breaker: unknown action" breaker explode web
	bad 2 "breaker open without a service" breaker open
	bad 2 "breaker open: unknown service" breaker open nope
	bad 2 "breaker open --permille" breaker open web --permille 5
	bad 2 "breaker open with a service and --all" breaker open web --all
	bad 2 "breaker show --all" breaker show --all
	bad 2 "breaker half-open without --permille" breaker half-open web
	bad 2 "breaker half-open --permille 0" breaker half-open web --permille 0
	bad 2 "breaker half-open --permille 1000" breaker half-open web --permille 1000
	bad 2 "breaker half-open --permille -1" breaker half-open web --permille -1
	bad 2 "breaker half-open --permille garbage" breaker half-open web --permille half
	bad 2 "breaker close: unknown service" breaker close nope
	bad 2 "breaker auto: unknown service" breaker auto nope
	bad 1 "breaker auto: web has no signal (operation fails)" breaker auto web
	bad 2 "breaker open --ttl garbage" breaker open web --ttl soon
	bad 2 "breaker open --ttl 0" breaker open web --ttl 0
	bad 2 "breaker auto --ttl" breaker auto web --ttl 5m
	bad 2 "degrade --ttl without a level" degrade --ttl 5m
	bad 2 "pressure: unknown service" pressure nope 2
	bad 2 "pressure 4" pressure web 4
	bad 2 "pressure without a level" pressure web
	# mode, degrade
	bad 2 "mode: unknown mode" mode fast
	bad 2 "mode shadow: unknown service" mode shadow nope
	bad 2 "mode shadow: stray argument" mode shadow web extra
	bad 2 "degrade 4" degrade 4
	bad 2 "degrade -1" degrade -1
	bad 2 "degrade garbage" degrade high
	bad 2 "degrade overflow" degrade 99999999999999999999
	bad 2 "degrade: two levels" degrade 1 2
	# attach, detach, reload, logs, status
	bad 2 "attach without an interface" attach
	bad 2 "attach: not an interface name" attach bad/name
	bad 2 "attach: name too long" attach abcdefghijklmnopq
	bad 2 "attach: unknown option" attach "$E2E_SRV_IF" --bogus
	bad 2 "detach --force" detach "$E2E_SRV_IF" --force
	bad 1 "attach: no such interface (operation fails)" attach nosuch0
	bad 1 "detach: interface not attached (operation fails)" detach nosuch0
	bad 2 "reload: stray argument" reload now
	bad 2 "logs without an action" logs
	bad 2 "logs: unknown action" logs head
	bad 2 "logs tail -n above max" logs tail -n 1001
	bad 2 "logs tail -n -1" logs tail -n -1
	bad 2 "logs tail -n garbage" logs tail -n some
	bad 2 "status: stray argument" status now
	bad 2 "status: unknown option" status --verbose
}
scenario_bad_input
help_all() {
	local c out="$E2E_TMP/help.out" rc
	for c in status stats top limits block allow breaker mode degrade pressure attach detach reload logs; do
		rc=0
		in_srv "$ADMCTL" "$c" --help >"$out" 2>&1 || rc=$?
		tap_assert "(a) admctl $c --help: exit 0, usage and examples on stdout" "$(head -5 "$out")" \
			"$rc:$(head -1 "$out" | grep -c "^Usage: admctl $c"):$(grep -c -i '^examples\?:' "$out")" = "0:1:1" || :
	done
}
help_all
# the sentence of breaker auto on a service without signals, exactly
actl breaker auto web >/dev/null 2>"$E2E_TMP/auto.err" || :
tap_assert "(a) breaker auto: 'web has no breaker signal ... to follow'" \
	"$(cat "$E2E_TMP/auto.err")" \
	"$(cat "$E2E_TMP/auto.err")" = "admctl breaker auto: web has no breaker signal (breaker_latency, breaker_accept_queue, breaker_pressure or breaker_probe) to follow; 'admctl breaker close web' closes it" || :

# ---------------------------------------------------------------- (b) status

scenario_status() {
	local j="$E2E_TMP/b_status.json" t="$E2E_TMP/b_status.txt" rc=0
	actl status --json >"$j" 2>&1 || rc=$?
	tap_assert "(b) status --json exits 0 with admd running" "$(cat "$j")" "$rc" -eq 0 || return 0
	tap_assert "(b) status: admd's pid and running" "$(jq -c .admd "$j")" \
		"$(jq -r '"\(.admd.running) \(.admd.pid)"' "$j")" = "true $E2E_ADMD_PID" || :
	tap_assert "(b) status: $E2E_SRV_IF attached in native or generic XDP" "$(jq -c .interfaces "$j")" \
		"$(jq -r --arg i "$E2E_SRV_IF" '[.interfaces[] | select(.name == $i and (.mode == "native" or .mode == "generic"))] | length' "$j")" = 1 || :
	tap_assert "(b) status: services, ports, modes, breakers from the maps" "$(jq -c .services "$j")" \
		"$(jq -r '[.services[] | "\(.name):\(.ports[0]):\(.mode):\(.breaker):\(.priority)"] | join(" ")' "$j")" = \
		"web:$PORT_WEB/tcp:enforce:closed:normal core:$PORT_CORE/tcp:enforce:closed:critical bulk:$PORT_BULK/tcp:enforce:closed:sheddable live:$PORT_LIVE/tcp:enforce:closed:normal slow:$PORT_SLOW/tcp:enforce:closed:normal" || :
	tap_assert "(b) status: socket layer attached, pin root, config, uptime" "$(jq -c '{socket_layer, pin_root, admd}' "$j")" \
		"$(jq -r --arg c "$CONF" --arg p "$E2E_PIN" '.socket_layer.attached and (.sockets | type == "object") and .pin_root == $p and .admd.config == $c and .admd.uptime_s >= 0' "$j")" = true || :
	e2e_wait_for 5 "a socket table recount" recounted || :
	actl status --json >"$j" 2>&1 || :
	tap_assert "(b) status: reconcile results per service" "$(jq -c '.services[0].reconcile' "$j")" \
		"$(jq -r '.services[0].reconcile | (.corrections == 0 and .untracked >= 0 and .last_ms_ago >= 0)' "$j")" = true || :
	actl status >"$t" 2>&1 || :
	tap_assert "(b) status (human): admd running with its pid, the interface, the services" "$(cat "$t")" \
		"$(grep -c -e "admd: running, pid $E2E_ADMD_PID" -e "^  $E2E_SRV_IF " -e "^  1 *web *$PORT_WEB/tcp *enforce *closed" "$t")" -eq 3 || :
	rc=0
	in_srv "$ADMCTL" -c "$CONF" status --json >"$j" 2>&1 || rc=$?
	tap_assert "(b) admctl -c CONF finds the pin root and control socket in the config" "$(head -c 400 "$j")" \
		"$rc:$(jq -r .admd.running "$j" 2>/dev/null)" = "0:true" || :
}
scenario_status

# ---------------------------------------------------------------- (c) stats, metrics

scenario_stats() {
	local before="$E2E_TMP/c_before.json" after="$E2E_TMP/c_after.json" rej ok refused
	local txt="$E2E_TMP/c_stats.txt" mx="$E2E_TMP/c_metrics.txt" watch="$E2E_TMP/c_watch.json"
	stats "$before" || { tap_fail "(c) stats --json" "$(cat "$before.err")"; return 0; }
	probe c_flood -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.10 -n "$FLOOD" -c "$FLOOD"
	stats "$after" || { tap_fail "(c) stats --json" "$(cat "$after.err")"; return 0; }
	ok=$(jq .ok "$E2E_TMP/c_flood.json")
	refused=$(jq .refused "$E2E_TMP/c_flood.json")
	expect c_flood "(c) a flood of $FLOOD: the burst gets in, the rest is refused" \
		".ok >= $BURST and .ok <= $BURST_MAX and .refused == $FLOOD - .ok" || :
	rej=$(delta "$before" "$after" web reject rate_source)
	tap_assert "(c) stats --json: reject/rate_source == refused ($refused)" "delta $rej" "$rej" -eq "$refused" || :
	tap_assert "(c) stats --json: pass/none == admitted ($ok)" "delta $(delta "$before" "$after" web pass none)" \
		"$(delta "$before" "$after" web pass none)" -eq "$ok" || :
	actl stats >"$txt" 2>&1 || :
	tap_assert "(c) stats (human) shows the same reject/rate_source count" "$(cat "$txt")" \
		"$(awk '/^service web /{w=1; next} /^service /{w=0} w && $1 == "reject" && $2 == "rate_source" {print $3}' "$txt")" = \
		"$(counter "$after" web reject rate_source)" || :
	# /metrics, scraped in the server namespace, against stats --json (no traffic in between)
	in_srv curl -s --max-time 5 "http://127.0.0.1:$MX_PORT/metrics" >"$mx" 2>&1 || :
	stats "$after" || :
	local from_json from_mx
	from_json=$(jq -r '.services[] | .name as $s | .counters[] | "\($s) \(.verdict) \(.reason) \(.packets) \(.bytes)"' "$after" | sort)
	from_mx=$(join -j1 \
		<(sed -n 's/^adm_packets_total{service="\([^"]*\)",verdict="\([^"]*\)",reason="\([^"]*\)"} \([0-9]*\)$/\1|\2|\3 \4/p' "$mx" | sort) \
		<(sed -n 's/^adm_bytes_total{service="\([^"]*\)",verdict="\([^"]*\)",reason="\([^"]*\)"} \([0-9]*\)$/\1|\2|\3 \4/p' "$mx" | sort) |
		tr '|' ' ' | sort)
	tap_assert "(c) /metrics adm_packets_total and adm_bytes_total == stats --json, counter for counter" \
		"stats:"$'\n'"$from_json"$'\n'"metrics:"$'\n'"$from_mx" \
		-n "$from_json" -a "$from_json" = "$from_mx" || :
	tap_assert "(c) /metrics adm_live_connections{service=\"web\"} == stats live" "$(grep live_conn "$mx")" \
		"$(sed -n 's/^adm_live_connections{service="web"} //p' "$mx")" = "$(jq '.services[] | select(.name == "web") | .live' "$after")" || :
	actl stats --json --watch 1 --count 2 >"$watch" 2>&1 || :
	tap_assert "(c) stats --json --watch 1 --count 2: two JSON lines with services and a time" "$(cat "$watch")" \
		"$(jq -s '[.[] | select(.services and .time)] | length' "$watch" 2>/dev/null)" = 2 || :
}
scenario_stats

# ---------------------------------------------------------------- (d) top

scenario_top() {
	local j="$E2E_TMP/d_top.json" t="$E2E_TMP/d_top.txt"
	actl top --by drops --json >"$j" 2>&1 || :
	tap_assert "(d) top --by drops: 10.77.0.10 (the flood of (c)) first, on web" "$(cat "$j")" \
		"$(jq -r '.sources[0] | "\(.src) \(.service) \(.refusals > 0)"' "$j" 2>/dev/null)" = "10.77.0.10 web true" || :
	# slow: 6/m, burst 3. Three SYNs take the whole burst: the TAT runs ~30 s ahead.
	probe d_rate -d "$E2E_SRV4:$PORT_SLOW" -s 10.77.0.31 -n 3 -c 3
	actl top --by rate --service slow --json >"$j" 2>&1 || :
	tap_assert "(d) top --by rate: 10.77.0.31 runs ~30 s ahead of its rate, 3 of its burst of 3 used" "$(cat "$j")" \
		"$(jq -r '.sources[0] | "\(.src) \(.service) \(.kind) \(.ahead_ms > 20000 and .ahead_ms <= 30000) \(.tokens_used) \(.burst)"' "$j" 2>/dev/null)" = \
		"10.77.0.31 slow syn true 3 3" || :
	in_cli "$TCPPROBE" --json -d "$E2E_SRV4:$PORT_CORE" -s 10.77.0.11 -n 3 -c 3 --hold-ms 4000 \
		>"$E2E_TMP/d_hold.json" 2>&1 &
	local hold=$!
	E2E_PIDS+=("$hold")
	e2e_wait_for 3 "3 held connections" held_by 10.77.0.11 3 || :
	actl top --by conns --json >"$j" 2>&1 || :
	tap_assert "(d) top --by conns: 10.77.0.11 with its 3 live connections on core" "$(cat "$j")" \
		"$(jq -r '.sources[0] | "\(.src) \(.service) \(.conns)"' "$j" 2>/dev/null)" = "10.77.0.11 core 3" || :
	actl top --by conns >"$t" 2>&1 || :
	tap_assert "(d) top (human) shows the same row" "$(cat "$t")" \
		"$(awk '$1 == "10.77.0.11" && $2 == "core" {print $3}' "$t")" = 3 || :
	wait "$hold" || :
}
scenario_top

# ---------------------------------------------------------------- (e) limits set

scenario_limits() {
	local j="$E2E_TMP/e_limits.json" before="$E2E_TMP/e_before.json" after="$E2E_TMP/e_after.json" hold
	tap_check "(e) limits set web new_conn_burst 2" actl limits set web new_conn_burst 2 || return 0
	probe e_burst -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.12 -n 8 -c 8
	expect e_burst "(e) the next SYNs see burst 2: 2..3 of 8 get in, the rest refused" \
		'.ok >= 2 and .ok <= 3 and .refused == 8 - .ok' || :

	in_cli "$TCPPROBE" --json -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.13 -n 1 --hold-ms 4000 \
		>"$E2E_TMP/e_hold.json" 2>&1 &
	hold=$!
	E2E_PIDS+=("$hold")
	e2e_wait_for 3 "web live == 1" held_by 10.77.0.13 1 || :
	stats "$before" || :
	tap_check "(e) limits set web conn_limit 1" actl limits set web conn_limit 1 || :
	actl limits show web --json >"$j" 2>&1 || :
	tap_assert "(e) limits show: conn_limit 1, and live (1) untouched by the write" "$(cat "$j")" \
		"$(jq -r '.services[0] | "\(.conn_limit) \(.live)"' "$j")" = "1 1" || :
	probe e_full -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.14 -n 1 -t 1000
	stats "$after" || :
	expect e_full "(e) with 1 of 1 connections live, the next SYN is refused (on_conn_full = reject)" \
		'.refused == 1' || :
	tap_assert "(e) stats: reject/conc_global counted it" "" \
		"$(delta "$before" "$after" web reject conc_global)" -eq 1 || :
	tap_check "(e) admctl reload puts the config file's limits back" actl reload || :
	actl limits show web --json >"$j" 2>&1 || :
	tap_assert "(e) after reload: conn_limit 0, new_conn_burst $BURST" "$(cat "$j")" \
		"$(jq -r '.services[0] | "\(.conn_limit) \(.new_conn_burst) \(.live)"' "$j")" = "0 $BURST 1" || :
	probe e_again -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.14 -n 1 -t 1000
	expect e_again "(e) after reload the same source gets in" '.ok == 1' || :
	wait "$hold" || :
}
scenario_limits

# ---------------------------------------------------------------- (f) reload keeps state

# reload_keeps HOW SOURCE: drain SOURCE's bucket on service slow (6/m, burst
# 3), reload with HOW, and check the bucket and the counters survived.
reload_keeps() {
	local how=$1 src=$2 before="$E2E_TMP/f_before.json" after="$E2E_TMP/f_after.json" n
	probe "f_drain_$how" -d "$E2E_SRV4:$PORT_SLOW" -s "$src" -n 5 -c 5
	expect "f_drain_$how" "(f) $how: source $src drains its burst of 3 (5 SYNs: 3 in, 2 refused)" \
		'.ok == 3 and .refused == 2' || :
	stats "$before" || :
	n=$(grep -c 'admd: reloaded' "$E2E_ADMD_LOG" || :)
	if [ "$how" = sighup ]; then
		kill -HUP "$E2E_ADMD_PID"
	else
		actl reload >/dev/null 2>&1 || :
	fi
	e2e_wait_for 5 "admd: reloaded" reloaded_since "$n" ||
		{ tap_fail "(f) $how: admd reloads" "$(tail -5 "$E2E_ADMD_LOG")"; return 0; }
	tap_ok "(f) $how: admd reloads"
	probe "f_after_$how" -d "$E2E_SRV4:$PORT_SLOW" -s "$src" -n 2 -c 2
	stats "$after" || :
	expect "f_after_$how" "(f) $how: right after the reload the drained source is still refused (bucket kept)" \
		'.refused == 2' || :
	tap_assert "(f) $how: counters kept (reject/rate_source $(counter "$before" slow reject rate_source) + 2)" "" \
		"$(counter "$after" slow reject rate_source)" -eq $(($(counter "$before" slow reject rate_source) + 2)) || :
}

scenario_reload() {
	local rc=0 err="$E2E_TMP/f_bad.err"
	reload_keeps sighup 10.77.0.15
	reload_keeps admctl 10.77.0.16
	tap_assert "(f) the SIGHUP reload is an audit record with the sender's uid" "$(grep audit "$E2E_ADMD_LOG" | tail -3)" \
		"$(grep -c 'admd: audit: uid=0 user=root pid=[0-9]* what="reload (SIGHUP)"' "$E2E_ADMD_LOG")" -ge 1 || :
	cp "$CONF" "$CONF.good"
	echo "conn_limit = lots" >>"$CONF"
	actl reload >/dev/null 2>"$err" || rc=$?
	mv "$CONF.good" "$CONF"
	tap_assert "(f) admctl reload of an invalid config: exit 1, the file:line and why" "$(cat "$err")" \
		"$rc:$(grep -c "adm.conf:[0-9]*: \[service slow\] conn_limit = 'lots': not a decimal number" "$err")" = "1:1" || :
	probe f_kept -d "$E2E_SRV4:$PORT_SLOW" -s 10.77.0.15 -n 1
	expect f_kept "(f) after the refused reload the old policy still holds" '.refused == 1' || :
}
scenario_reload

# ---------------------------------------------------------------- (g) breaker

scenario_breaker() {
	local before="$E2E_TMP/g_before.json" after="$E2E_TMP/g_after.json" j="$E2E_TMP/g_brk.json"
	stats "$before" || :
	tap_check "(g) breaker open web" actl breaker open web || return 0
	probe g_open -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.17 -n 3 -c 3
	stats "$after" || :
	expect g_open "(g) breaker open: 3 of 3 refused at once (RST)" '.refused == 3' || :
	tap_assert "(g) stats: reject/breaker_open == 3" "" \
		"$(delta "$before" "$after" web reject breaker_open)" -eq 3 || :
	probe g_other -d "$E2E_SRV4:$PORT_CORE" -s 10.77.0.17 -n 3 -c 3
	expect g_other "(g) another service (core) is not affected: 3 of 3 get in" '.ok == 3' || :
	in_srv curl -s --max-time 5 "http://127.0.0.1:$MX_PORT/metrics" >"$E2E_TMP/g_mx.txt" 2>&1 || :
	tap_assert "(g) /metrics: adm_breaker_state{service=\"web\",state=\"open\"} 1" \
		"$(grep adm_breaker_state "$E2E_TMP/g_mx.txt")" \
		"$(grep -c '^adm_breaker_state{service="web",state="open"} 1$' "$E2E_TMP/g_mx.txt")" -eq 1 || :
	tap_check "(g) breaker close web" actl breaker close web || :
	probe g_closed -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.18 -n 3 -c 3
	expect g_closed "(g) breaker closed: 3 of 3 get in" '.ok == 3' || :

	tap_check "(g) breaker half-open core --permille 500" \
		actl breaker half-open core --permille 500 || :
	actl breaker show core --json >"$j" 2>&1 || :
	tap_assert "(g) breaker show: core half-open 500" "$(cat "$j")" \
		"$(jq -r '.services[0] | "\(.breaker) \(.half_open_permille)"' "$j")" = "half-open 500" || :
	probe g_half -d "$E2E_SRV4:$PORT_CORE" -s 10.77.0.19 -n 60 -c 10
	expect g_half "(g) half-open 500/1000: of 60, some get in and some are refused (10..50 each)" \
		'.ok >= 10 and .ok <= 50 and .refused == 60 - .ok' || :
	tap_check "(g) breaker close (every service)" actl breaker close || :
	probe g_half_closed -d "$E2E_SRV4:$PORT_CORE" -s 10.77.0.19 -n 10 -c 10
	expect g_half_closed "(g) closed again: 10 of 10 get in" '.ok == 10' || :
}
scenario_breaker

# ---------------------------------------------------------------- (h) degrade

scenario_degrade() {
	local before="$E2E_TMP/h_before.json" after="$E2E_TMP/h_after.json"
	stats "$before" || :
	tap_check "(h) degrade 1" actl degrade 1 || return 0
	probe h_bulk -d "$E2E_SRV4:$PORT_BULK" -s 10.77.0.20 -n 3 -c 3
	probe h_core -d "$E2E_SRV4:$PORT_CORE" -s 10.77.0.20 -n 3 -c 3
	probe h_web -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.20 -n 3 -c 3
	stats "$after" || :
	expect h_bulk "(h) degrade 1: the sheddable service is shed, 3 of 3 refused" '.refused == 3' || :
	tap_assert "(h) stats: bulk reject/degraded == 3" "" \
		"$(delta "$before" "$after" bulk reject degraded)" -eq 3 || :
	expect h_core "(h) degrade 1: the critical service is not shed, 3 of 3 get in" '.ok == 3' || :
	expect h_web "(h) degrade 1: the normal service is not shed, 3 of 3 get in" '.ok == 3' || :
	actl degrade --json >"$E2E_TMP/h_show.json" 2>&1 || :
	tap_assert "(h) degrade --json: level 1 everywhere, bulk shed, core not" "$(cat "$E2E_TMP/h_show.json")" \
		"$(jq -r '(.services | map(select(.degrade == 1)) | length) as $n |
			 (.services | map(select(.shed) | .name) | join(",")) as $shed | "\($n) \($shed)"' \
			 "$E2E_TMP/h_show.json")" = "5 bulk" || :
	tap_check "(h) degrade 0" actl degrade 0 || :
	probe h_back -d "$E2E_SRV4:$PORT_BULK" -s 10.77.0.21 -n 3 -c 3
	expect h_back "(h) degrade 0: the sheddable service is admitted again" '.ok == 3' || :
}
scenario_degrade

# ---------------------------------------------------------------- (i) shadow

scenario_shadow() {
	local before="$E2E_TMP/i_before.json" after="$E2E_TMP/i_after.json" wr
	stats "$before" || :
	tap_check "(i) mode shadow web" actl mode shadow web || return 0
	probe i_shadow -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.22 -n "$FLOOD" -c "$FLOOD"
	stats "$after" || :
	expect i_shadow "(i) shadow: $FLOOD of $FLOOD get in, none refused" ".ok == $FLOOD" || :
	wr=$(delta "$before" "$after" web would_reject rate_source)
	tap_assert "(i) shadow: would_reject/rate_source counts the over-limit SYNs ($((FLOOD - BURST_MAX))..$((FLOOD - BURST)))" \
		"delta $wr" "$wr" -ge $((FLOOD - BURST_MAX)) -a "$wr" -le $((FLOOD - BURST)) || :
	tap_assert "(i) shadow: nothing actually rejected" "" \
		"$(delta "$before" "$after" web reject rate_source)" -eq 0 || :
	tap_check "(i) mode enforce (every service)" actl mode enforce || :
	probe i_enforce -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.23 -n "$FLOOD" -c "$FLOOD"
	expect i_enforce "(i) enforce again: the flood is refused past the burst" \
		".ok <= $BURST_MAX and .refused == $FLOOD - .ok" || :
}
scenario_shadow

# ---------------------------------------------------------------- (j) attach, detach

scenario_attach() {
	local dummy=adm-x0 err="$E2E_TMP/j.err" rc=0
	tap_check "(j) admctl detach $E2E_SRV_IF" actl detach "$E2E_SRV_IF" || return 0
	tap_assert "(j) after detach no XDP program on $E2E_SRV_IF" "prog '$(e2e_srv_xdp_prog)'" \
		-z "$(e2e_srv_xdp_prog)" || :
	tap_assert "(j) after detach the link pin is gone" "$(ls "$E2E_PIN")" \
		! -e "$E2E_PIN/link_xdp_$E2E_SRV_IF" || :
	probe j_free -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.24 -n "$FLOOD" -c "$FLOOD"
	expect j_free "(j) detached: traffic is not judged, $FLOOD of $FLOOD get in" ".ok == $FLOOD" || :
	tap_check "(j) admctl attach $E2E_SRV_IF" actl attach "$E2E_SRV_IF" || return 0
	tap_assert "(j) after attach adm_xdp is on $E2E_SRV_IF" "prog '$(e2e_srv_xdp_prog)'" \
		"$(e2e_srv_xdp_prog)" = adm_xdp || :
	probe j_judged -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.25 -n "$FLOOD" -c "$FLOOD"
	expect j_judged "(j) attached again: the flood is refused past the burst" \
		".ok <= $BURST_MAX and .refused == $FLOOD - .ok" || :

	# A program adm does not own: refused, then replaced with --force.
	# A second veth pair inside the server namespace (no `dummy` module everywhere).
	e2e_quiet ip -n "$E2E_NS_SRV" link add "$dummy" type veth peer name adm-x1
	e2e_quiet ip -n "$E2E_NS_SRV" link set "$dummy" up
	e2e_quiet ip -n "$E2E_NS_SRV" link set dev "$dummy" xdpgeneric obj "$ADM_PASS_OBJ" sec xdp
	actl attach "$dummy" >/dev/null 2>"$err" || rc=$?
	tap_assert "(j) attach over a foreign XDP program: exit 1, says to use --force" "$(cat "$err")" \
		"$rc:$(grep -c -- "--force" "$err")" = "1:1" || :
	tap_check "(j) attach $dummy --force replaces it" actl attach "$dummy" --force || :
	tap_assert "(j) $dummy now runs adm_xdp" "$(ip -n "$E2E_NS_SRV" -j link show dev "$dummy")" \
		"$(xdp_prog_of "$dummy")" = adm_xdp || :
	actl status --json >"$E2E_TMP/j_status.json" 2>&1 || :
	tap_assert "(j) status lists $dummy" "$(jq -c .interfaces "$E2E_TMP/j_status.json")" \
		"$(jq -r --arg d "$dummy" '[.interfaces[] | select(.name == $d)] | length' "$E2E_TMP/j_status.json")" = 1 || :
	tap_check "(j) detach $dummy" actl detach "$dummy" || :
	tap_assert "(j) $dummy has no XDP program left" "$(ip -n "$E2E_NS_SRV" link show dev "$dummy")" \
		-z "$(xdp_prog_of "$dummy")" || :
	e2e_quiet ip -n "$E2E_NS_SRV" link del "$dummy" || :
}
scenario_attach

# ---------------------------------------------------------------- (k) audit, logs

scenario_audit() {
	local logs="$E2E_TMP/k_logs.json" follow="$E2E_TMP/k_follow.json" fpid
	tap_check "(k) block add 10.77.0.26/32" actl block add 10.77.0.26/32 || return 0
	tap_assert "(k) admd logs the audit record: who, what, before, after" "$(grep audit "$E2E_ADMD_LOG" | tail -3)" \
		"$(grep -c 'admd: audit: uid=0 user=root pid=[0-9]* what="block add 10.77.0.26/32" before="absent" after="present, never expires" result=ok via=admd' "$E2E_ADMD_LOG")" -eq 1 || :
	actl logs tail -n 1000 --json >"$logs" 2>&1 || :
	tap_assert "(k) logs tail --json has the audit record" "$(grep audit "$logs" | tail -3)" \
		"$(jq -r 'select(.type == "audit" and .what == "block add 10.77.0.26/32" and .uid == 0 and .user == "root") | .after' "$logs" 2>/dev/null)" = "present, never expires" || :
	tap_assert "(k) logs tail --json has admd's own actions (attach, reload) and limits set" "" \
		"$(jq -r 'select(.type == "audit") | .what' "$logs" 2>/dev/null | grep -c -e "^attach $E2E_SRV_IF$" -e '^reload$' -e '^limits set web conn_limit 1$')" -ge 3 || :
	tap_assert "(k) logs tail --json has the decisions of (c): 10.77.0.10 refused on web" "" \
		"$(jq -r 'select(.type == "decision" and .src == "10.77.0.10" and .service == "web" and .verdict == "reject" and .reason == "rate_source") | .count' "$logs" 2>/dev/null | head -1)" -ge 1 || :
	actl logs tail -n 2 >"$E2E_TMP/k_logs.txt" 2>/dev/null || :
	tap_assert "(k) logs tail -n 2 (human): two lines, the last the audit record" "$(cat "$E2E_TMP/k_logs.txt")" \
		"$(wc -l <"$E2E_TMP/k_logs.txt"):$(tail -1 "$E2E_TMP/k_logs.txt" | grep -c 'audit uid=0 user=root .*what="block add 10.77.0.26/32"')" = "2:1" || :

	timeout 15 nsenter --net="/run/netns/$E2E_NS_SRV" -- "$ADMCTL" --pin-root "$E2E_PIN" \
		--socket "$SOCK" logs tail -n 0 --follow --json >"$follow" 2>&1 &
	fpid=$!
	E2E_PIDS+=("$fpid")
	# logs reads the spool, not admd: its first line says so (then it polls every second)
	e2e_wait_for 5 "the log follower" grep -q '"type":"source"' "$follow" || :
	actl block del 10.77.0.26/32 >/dev/null 2>&1 || :
	# slow: burst 3, so the 4th SYN of a fresh source is refused (and sampled)
	probe k_refused -d "$E2E_SRV4:$PORT_SLOW" -s 10.77.0.32 -n 4 -c 4
	# -s and any(): jq 1.6's -e judges only by the last line's output
	e2e_wait_for 5 "the record in logs --follow" jq -s -e \
		'any(.[]; .type == "audit" and .what == "block del 10.77.0.26/32")' "$follow" || :
	tap_assert "(k) logs tail --follow streams the new audit record" "$(cat "$follow")" \
		"$(jq -r 'select(.type == "audit") | .what' "$follow" 2>/dev/null)" = "block del 10.77.0.26/32" || :
	e2e_wait_for 5 "a decision in logs --follow" jq -s -e \
		'any(.[]; .type == "decision" and .src == "10.77.0.32")' "$follow" || :
	# Not "the first decision": a record of earlier traffic can reach the
	# spool after the follower started (records wait out aggregate_ms; one
	# of (j)'s source was seen first once). -n 0 shows none of the records
	# already in the spool: (c)'s.
	tap_assert "(k) logs tail --follow streams new decisions as admd drains them, none of (c)'s" "$(cat "$follow")" \
		"$(jq -r 'select(.type == "decision" and .src == "10.77.0.32") | "\(.service) \(.reason)"' "$follow" 2>/dev/null | head -1):$(jq -c 'select(.type == "decision" and .src == "10.77.0.10")' "$follow" 2>/dev/null | wc -l)" = "slow rate_source:0" || :
	e2e_kill "$fpid"
}
scenario_audit

# ---------------------------------------------------------------- (l) kill -9 under traffic

scenario_restart() {
	local steady="$E2E_TMP/l_steady.json" pid
	# 200 connections at 40/s (5 s), under the 50/s limit, through the restart.
	in_cli "$TCPPROBE" --json -d "$E2E_SRV4:$PORT_LIVE" -s 10.77.0.27 -n 200 -c 20 \
		--interval-ms 25 -t 3000 >"$steady" 2>"$steady.err" &
	pid=$!
	E2E_PIDS+=("$pid")
	sleep 1
	kill -KILL "$E2E_ADMD_PID"
	e2e_wait_for 5 "admd to die" dead "$E2E_ADMD_PID" || :
	e2e_admd_stop
	tap_assert "(l) after kill -9 adm_xdp stays attached" "prog '$(e2e_srv_xdp_prog)'" \
		"$(e2e_srv_xdp_prog)" = adm_xdp || :
	tap_assert "(l) after kill -9 the control socket file is left behind" "" -S "$SOCK" || :
	e2e_admd_start "$CONF" || { tap_fail "(l) admd restarts after kill -9 (replacing the stale socket)" ""; return 0; }
	tap_ok "(l) admd restarts after kill -9 (replacing the stale socket)"
	wait "$pid" || :
	tap_assert "(l) a client under its limit during kill -9 and restart: 200 of 200 connect, none refused" \
		"$(jq -c . "$steady" 2>&1)" "$(jq -r '"\(.ok) \(.refused) \(.timeout) \(.error)"' "$steady")" = "200 0 0 0" || :
	tap_check "(l) the restarted admd answers status" actl status || :
}
scenario_restart

# ---------------------------------------------------------------- (m) pin_group

# as_member DIR ARGS...: admctl ARGS as user nobody in group $GROUP (no
# other groups), with the pin root bind-mounted at DIR.
as_member() {
	local dir=$1 gid
	shift
	gid=$(getent group "$GROUP" | cut -d: -f3)
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
		sh "$E2E_PIN" "$dir" setpriv --reuid=65534 --regid="$gid" --clear-groups \
		"$ADMCTL" --pin-root "$dir" --socket "$SOCK" "$@"
}

scenario_pin_group() {
	local mnt rc=0 out="$E2E_TMP/m.out"
	if [ "$HAVE_GROUP" -eq 0 ]; then
		tap_skip "(m) pin_group" "no group '$GROUP' on this host"
		return 0
	fi
	tap_assert "(m) pin_group: the pin root is 0750, group $GROUP" "$(ls -ld "$E2E_PIN")" \
		"$(stat -c '%a %G' "$E2E_PIN")" = "750 $GROUP" || :
	tap_assert "(m) pin_group: maps are 0640, group $GROUP; links stay 0600" "$(ls -l "$E2E_PIN")" \
		"$(stat -c '%a %G' "$E2E_PIN/adm_stats")|$(stat -c '%a' "$E2E_PIN/link_xdp_$E2E_SRV_IF")" = "640 $GROUP|600" || :
	# /sys/fs/bpf itself is root-only: give the pins a path a member can walk,
	# in a private mount namespace (nothing on the host changes).
	mnt="/tmp/adm-e2e-$E2E_ID.pins"
	mkdir -p "$mnt" && chmod 0755 "$mnt"
	as_member "$mnt" stats --json >"$out" 2>&1 || rc=$?
	tap_assert "(m) a member of $GROUP, not root, reads stats" "$(head -c 300 "$out")" \
		"$rc:$(jq -r '.services | length' "$out" 2>/dev/null)" = "0:5" || :
	rc=0
	as_member "$mnt" block add 10.77.0.28 >"$out" 2>&1 || rc=$?
	tap_assert "(m) ... but cannot write: exit 1, permission denied" "$(cat "$out")" \
		"$rc:$(grep -c 'Permission denied' "$out")" = "1:1" || :
	rmdir "$mnt" 2>/dev/null || :
}
scenario_pin_group

# ---------------------------------------------------------------- (n) admd down

scenario_admd_down() {
	local err="$E2E_TMP/n.err" j="$E2E_TMP/n_status.json" rc=0
	e2e_admd_stop
	tap_assert "(n) a stopped admd removes its control socket" "" ! -e "$SOCK" || :
	actl block add 10.77.0.29/32 >/dev/null 2>"$err" || rc=$?
	tap_assert "(n) admd down: block add still works, warns that the audit record goes to syslog" "$(cat "$err")" \
		"$rc:$(grep -c 'warning: .*admd.*syslog' "$err")" = "0:1" || :
	probe n_blocked -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.29 -n 2 -c 2 -t 500
	expect n_blocked "(n) ... and the block is enforced" '.timeout == 2' || :
	rc=0
	actl status --json >"$j" 2>/dev/null || rc=$?
	tap_assert "(n) status with admd down: exit 1, says so, still shows the maps" "$(head -c 400 "$j")" \
		"$rc:$(jq -r '"\(.admd.running) \(.services | length)"' "$j" 2>/dev/null)" = "1:false 5" || :
	rc=0
	actl status >"$j" 2>&1 || rc=$?
	tap_assert "(n) status (human) with admd down: 'admd: NOT RUNNING'" "$(head -3 "$j")" \
		"$rc:$(grep -c '^admd: NOT RUNNING' "$j")" = "1:1" || :
	rc=0
	actl reload >/dev/null 2>"$err" || rc=$?
	tap_assert "(n) reload with admd down: exit 1, says to send SIGHUP" "$(cat "$err")" \
		"$rc:$(grep -c 'SIGHUP' "$err")" = "1:1" || :
	rc=0
	actl logs tail >/dev/null 2>"$err" || rc=$?
	tap_assert "(n) logs with admd down: reads the spool, says so, exit 0" "$(cat "$err")" \
		"$rc:$(grep -c 'from the spool' "$err")" = "0:1" || :
}
scenario_admd_down

tap_plan_done
