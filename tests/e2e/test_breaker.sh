#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The breaker module (userspace/admd/breaker.c) against real backends whose
# latency the test controls (backend --service-file), in network namespaces:
#   (1) kernel-measured latency: a fast backend, the breaker stays closed;
#   (2) the backend slows from 10 ms to 500 ms per request: the breaker
#       opens within its window, clients get fast refusals (RST) instead
#       of waiting; an audit record says why;
#   (2b) a backend slow from the start with 2 workers (500 ms requests: 1
#       completion per 250 ms tick) opens its breaker too: latency samples
#       are carried over ticks until a verdict has enough of them;
#   (3) the backend recovers: half-open, then closed, and no flapping over
#       STEADY_S of steady healthy load (15 s here; `make soak`: 60 s);
#   (4) degradation level 2 (from `admctl pressure`, and by hand with a
#       TTL) sheds the sheddable service and keeps the critical one at full
#       success; the level lapses;
#   (4b) the pressure socket: a non-root user in pressure_group reports a
#       level with `admctl pressure --socket` and the degradation follows;
#       the audit record names its uid and gid; the same user on the main
#       control socket, and a user outside the group, are refused; other
#       commands and an over-long line are refused on it; 40 idle clients
#       cannot keep the control socket or, past the idle time, the pressure
#       socket from serving;
#   (5) depends_on: a dependency's open breaker sheds its normal dependents;
#   (6) accept-queue signal: a backend that stops accepting trips it;
#       active probe: a probe target that refuses trips it, a live one closes it;
#   (7) conn_limit = auto: the limit settles near the workers' count of a
#       W = 4 and a W = 16 backend under overload (within +-30% of W plus
#       the rule's one connection of headroom), follows W 4 -> 16 -> 4
#       changed at run time within 10 s, admitted latency near the
#       unloaded one;
#   (8) bad input: thresholds out of range and a depends_on cycle name
#       file:line (admd --check, and a reload that changes nothing); an
#       unknown service or level in `admctl pressure` is a usage error;
#       `admctl limits set conn_limit N` on a conn_limit = auto service is
#       refused with what to do instead;
#   (9) a reload that moves [adm] cgroup to another (sibling) cgroup moves
#       the request-latency program with sockops: a backend there is
#       measured.
set -o errexit -o nounset -o pipefail

E2E_PROC_MAX_SECONDS=${E2E_PROC_MAX_SECONDS:-400}

. "$(dirname "$0")/lib.sh"

BACKEND=${BACKEND:-$BUILD/tests/bench/tools/backend}
ADMLOAD=${ADMLOAD:-$BUILD/tests/bench/tools/admload}
TCPHOLD="$BUILD/tests/e2e/tools/tcphold"
STEADY_S=${STEADY_S:-15}	# (3) healthy load without a transition
METRICS_ADDR=127.0.0.1:9119

P_WEB=9301	# slow-able HTTP backend, breaker_latency
P_API=9302	# normal, depends_on = web
P_BULK=9303	# sheddable
P_CORE=9304	# critical
P_QUEUE=9305	# breaker_accept_queue
P_PROBE=9306	# breaker_probe (tcp)
P_PROBED=9307	# the probe's target
P_POOL=9308	# conn_limit = auto
P_MOVED=9309	# breaker_latency, served from the cgroup (9) moves to
P_THIN=9310	# breaker_latency, 2 workers at 500 ms: few completions a tick
WINDOW_S=2
COOLDOWN_S=3
LAT_MS=100
POOL_W=4
POOL_MS=50

e2e_init "$ADMD" "$ADMCTL" "$BACKEND" "$ADMLOAD" "$TCPHOLD" \
	"$(command -v socat || echo socat)" "$(command -v useradd || echo useradd)" \
	"$(command -v runuser || echo runuser)"
e2e_topology

# (4b): a group allowed to report pressure, a user in it; removed at exit.
PS_GROUP="admps$$"
PS_USER="admpsu$$"
PS_DIR="/run/adm-e2e-$E2E_ID"
PS_SOCK="$PS_DIR/pressure.sock"
CG_MOVED="$E2E_CGROUP-moved"	# (9): a sibling, not a child (programs are inherited)
CG_NOW="$E2E_CGROUP"		# [adm] cgroup in write_conf
ps_cleanup() {
	[ -d "$CG_MOVED" ] && _e2e_cgroup_rm "$CG_MOVED"
	userdel "$PS_USER" >/dev/null 2>&1
	groupdel "$PS_GROUP" >/dev/null 2>&1
	rm -rf "$PS_DIR"
}
trap 'rc=$?; ps_cleanup; (exit $rc); e2e_cleanup' EXIT
groupadd "$PS_GROUP"
useradd -M -N -G "$PS_GROUP" -s /usr/sbin/nologin -d / "$PS_USER"

SVC_FILE="$E2E_TMP/web.service_ms"
echo 10 >"$SVC_FILE"
CONF="$E2E_TMP/adm.conf"
write_conf() {
	cat >"$CONF" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $CG_NOW
pressure_socket = $PS_SOCK
pressure_group = $PS_GROUP

[metrics]
listen = $METRICS_ADDR

[service web]
ports = $P_WEB
priority = critical
breaker_latency = ${LAT_MS}ms
breaker_window = ${WINDOW_S}s
breaker_cooldown = ${COOLDOWN_S}s
half_open_permille = 300

[service api]
ports = $P_API
priority = normal
depends_on = web

[service bulk]
ports = $P_BULK
priority = sheddable

[service core]
ports = $P_CORE
priority = critical

[service queue]
ports = $P_QUEUE
priority = critical
breaker_accept_queue = 5
breaker_window = 1s
breaker_cooldown = 2s

[service probe]
ports = $P_PROBE
priority = critical
breaker_probe = tcp:$E2E_SRV4:$P_PROBED
probe_interval = 250ms
probe_timeout = 200ms
breaker_window = 1s
breaker_cooldown = 1s

[service pool]
ports = $P_POOL
priority = critical
conn_limit = auto
conn_limit_min = 2
conn_limit_max = 200
on_conn_full = reject

[service moved]
ports = $P_MOVED
priority = critical
breaker_latency = 1s

[service thin]
ports = $P_THIN
priority = critical
breaker_latency = ${LAT_MS}ms
breaker_window = ${WINDOW_S}s
breaker_cooldown = 60s
EOF
}
write_conf

# status of one service from the breaker module, as JSON
bstat() { admctl status --json | jq -c --arg s "$1" '.breaker.services[] | select(.name == $s)'; }
bfield() { bstat "$1" | jq -r "$2"; }
is_state() { [ "$(bfield "$1" .breaker)" = "$2" ]; }
probe_open_failing() { [ "$(bfield probe '"\(.breaker) \(.probe.ok)"')" = "open false" ]; }

# backend NAME PORT WORKERS MS [ARGS]: an HTTP backend in the servers' cgroup
backend() {
	local name=$1 port=$2 w=$3 ms=$4 ready
	shift 4
	ready="$E2E_TMP/$name.ready"
	rm -f "$ready"
	e2e_bg "$name" srv "$BACKEND" -l "$E2E_SRV4:$port" -w "$w" --service-ms "$ms" \
		--http --ready-file "$ready" --max-seconds "$E2E_PROC_MAX_SECONDS" "$@"
	e2e_wait_for 5 "backend $name" test -s "$ready"
}

# load NAME PORT SECONDS USERS [ARGS]: closed-loop HTTP users, JSON in $E2E_TMP/NAME.json
load() {
	local name=$1 port=$2 secs=$3 users=$4
	shift 4
	in_cli "$ADMLOAD" -d "$E2E_SRV4:$port" -s 10.77.0.10-10.77.0.40 -u "$users" \
		-T "$secs" -t 3000 --ramp-ms 200 -q -o "$E2E_TMP/$name.json" "$@"
}
load_bg() {
	local name=$1 port=$2 secs=$3 users=$4
	shift 4
	e2e_bg "$name.load" cli "$ADMLOAD" -d "$E2E_SRV4:$port" -s 10.77.0.10-10.77.0.40 \
		-u "$users" -T "$secs" -t 3000 --ramp-ms 200 -q -o "$E2E_TMP/$name.json" "$@"
}
j() { jq -r "$2" "$E2E_TMP/$1.json"; }
# the normal users' numbers of a load run
n() { jq -r ".classes.normal | $2" "$E2E_TMP/$1.json"; }

backend web "$P_WEB" 8 0 --service-file "$SVC_FILE"
e2e_tcpsrv srv -l "$E2E_SRV4:$P_API" -l "$E2E_SRV4:$P_BULK" -l "$E2E_SRV4:$P_CORE"
e2e_admd_start "$CONF"
tap_ok "admd starts with the breaker module"

# ---------------------------------------------------------------- (1)

scenario_fast() {
	local s
	load_bg fast "$P_WEB" 3 20 --think-ms 20
	sleep 2
	s=$(bstat web)
	e2e_wait_for 10 "fast load" test -s "$E2E_TMP/fast.json" || :
	tap_assert "(1) fast backend: every request served" "$(n fast '{requests, ok}')" \
		"$(n fast .ok)" -gt 100 -a "$(n fast .ok)" = "$(n fast .requests)" || :
	tap_assert "(1) the kernel measured the requests of the last tick: mean 10..20 ms, p90 under ${LAT_MS} ms" "$s" \
		"$(jq -r '.latency.requests > 5 and .latency.mean_ms >= 10 and .latency.mean_ms < 20 and .latency.p90_ms < 100' <<<"$s")" = true || :
	tap_assert "(1) breaker closed, automatic, healthy" "$s" \
		"$(jq -r '"\(.breaker) \(.control) \(.health)"' <<<"$s")" = "closed automatic good" || :
	in_srv curl -s "http://$METRICS_ADDR/metrics" >"$E2E_TMP/m1.txt" || :
	tap_assert "(1) /metrics: adm_requests_total{service=\"web\"} counts them" \
		"$(grep 'adm_requests_total' "$E2E_TMP/m1.txt")" \
		"$(awk '/^adm_requests_total\{service="web"\}/ { print ($2 >= 100) }' "$E2E_TMP/m1.txt")" = 1 || :
}
scenario_fast

# ---------------------------------------------------------------- (2) (3)

# Seconds (wall clock) until SERVICE's breaker is STATE, at most MAX s; 999 if never.
time_to() {
	local svc=$1 st=$2 max=$3 t0=$EPOCHREALTIME
	while awk -v a="$t0" -v b="$EPOCHREALTIME" -v m="$max" 'BEGIN { exit !(b - a < m) }'; do
		if is_state "$svc" "$st"; then
			awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }'
			return 0
		fi
		sleep 0.1
	done
	echo 999
}

scenario_slow_recover() {
	local t_open t_half t_closed tr0 tr1 s
	# 20 users, 100 ms think: ~1/4 of the fast backend's capacity, 10x its
	# capacity once requests take 500 ms.
	load_bg slow "$P_WEB" 16 20 --think-ms 100
	sleep 1.5
	tap_assert "(2) under load, before the slowdown: closed and healthy" "$(bstat web)" \
		"$(bfield web '"\(.breaker) \(.health)"')" = "closed good" || :
	echo 500 >"$SVC_FILE"
	t_open=$(time_to web open 10)
	e2e_note "breaker opened ${t_open}s after the backend slowed to 500 ms (window ${WINDOW_S}s)"
	tap_assert "(2) slow backend: the breaker opens after its window, within window + 3 s" "opened after ${t_open}s" \
		"$(awk -v t="$t_open" -v w="$WINDOW_S" 'BEGIN { print (t >= w && t <= w + 3) }')" = 1 || return 0
	admctl logs tail -n 200 >"$E2E_TMP/logs2.txt" 2>&1 || :
	tap_assert "(2) an audit record says why: 'breaker web (automatic: unhealthy for the window; p90 latency'" \
		"$(grep -i 'breaker web' "$E2E_TMP/logs2.txt" | head -3)" \
		"$(grep -c 'breaker web (automatic: unhealthy for the window; p90 latency' "$E2E_TMP/logs2.txt")" -ge 1 || :
	sleep 6
	echo 10 >"$SVC_FILE"
	e2e_wait_for 30 "web closed again" is_state web closed || :
	t_closed=$(time_to web closed 1)
	tap_assert "(3) recovered backend: half-open, then closed" "$(bstat web)" "$t_closed" != 999 || return 0
	e2e_wait_for 30 "slow load" test -s "$E2E_TMP/slow.json" || :
	e2e_note "while open: $(n slow '"\(.refused) refused, p50 \(.latency_ms.refused.p50) ms, p99 \(.latency_ms.refused.p99) ms; \(.ok) ok, p50 \(.latency_ms.ok.p50) ms"')"
	tap_assert "(2) clients got fast refusals instead of waiting 500 ms: p50 < 5 ms, p99 < 100 ms" \
		"$(n slow '{requests, ok, refused, timeout, lat: .latency_ms.refused}')" \
		"$(n slow '(.refused > 50) and (.latency_ms.refused.p50 < 5) and (.latency_ms.refused.p99 < 100)')" = true || :
	admctl logs tail -n 400 >"$E2E_TMP/logs3.txt" 2>&1 || :
	tap_assert "(3) audit: open -> half-open (cooldown over) -> closed (healthy for the window)" \
		"$(grep 'breaker web' "$E2E_TMP/logs3.txt" | tail -5)" \
		"$(grep -c 'cooldown over' "$E2E_TMP/logs3.txt"):$(grep -c 'healthy for the window' "$E2E_TMP/logs3.txt")" != "0:0" -a \
		"$(grep -c 'breaker web (automatic: healthy for the window' "$E2E_TMP/logs3.txt")" -ge 1 || :
	# Steady healthy load: no transition at all.
	tr0=$(bfield web .transitions)
	load steady "$P_WEB" "$STEADY_S" 20 --think-ms 20
	tr1=$(bfield web .transitions)
	s=$(bstat web)
	tap_assert "(3) ${STEADY_S} s of healthy load: closed, no transition ($tr0 -> $tr1), every request served" \
		"$s $(n steady '{requests, ok, refused}')" \
		"$tr0:$(jq -r .breaker <<<"$s")" = "$tr1:closed" -a \
		"$(n steady '.ok == .requests')" = true || :
}
scenario_slow_recover

# ---------------------------------------------------------------- (2b)

scenario_thin() {
	local t_open s
	backend thin "$P_THIN" 2 500
	load_bg thin "$P_THIN" 10 6
	t_open=$(time_to thin open 15)
	s=$(bstat thin)
	e2e_note "thin backend (2 workers, 500 ms): breaker opened after ${t_open}s; $(jq -c .latency_verdict <<<"$s")"
	tap_assert "(2b) 2 workers at 500 ms (at most 1 request a tick): the breaker opens within 2 windows + 8 s" \
		"opened after ${t_open}s: $s" \
		"$(awk -v t="$t_open" -v w="$WINDOW_S" 'BEGIN { print (t >= w && t <= 2 * w + 8) }')" = 1 || return 0
	tap_assert "(2b) its verdict gathered the requests of more than one tick, p90 >= 400 ms" "$s" \
		"$(jq -r '.latency_verdict.requests >= 1 and .latency_verdict.p90_ms >= 400 and .latency_verdict.span_ms > 250' <<<"$s")" = true || :
}
scenario_thin

# ---------------------------------------------------------------- (4)

# probe_ok PORT N: N connections from the client side, count of ok
probe_ok() {
	e2e_probe "$E2E_TMP/p.json" -d "$E2E_SRV4:$1" -n "$2" -t 1000 -s 10.77.0.11 || :
	jq -r .ok "$E2E_TMP/p.json"
}

scenario_degrade() {
	tap_check "(4) admctl pressure web 2" admctl pressure web 2 || return 0
	sleep 0.5
	tap_assert "(4) pressure 2: every service at level 2" "$(admctl degrade --json)" \
		"$(admctl degrade --json | jq -r '[.services[].degrade] | unique | join(",")')" = 2 || :
	tap_assert "(4) pressure 2: sheddable bulk shed (0 of 20 in)" "" "$(probe_ok "$P_BULK" 20)" -eq 0 || :
	tap_assert "(4) pressure 2: critical core at full success (20 of 20)" "" "$(probe_ok "$P_CORE" 20)" -eq 20 || :
	tap_check "(4) admctl pressure web 0" admctl pressure web 0 || :
	sleep 0.5
	tap_assert "(4) pressure 0: bulk admitted again (20 of 20)" "" "$(probe_ok "$P_BULK" 20)" -eq 20 || :
	tap_check "(4) admctl degrade 2 --ttl 2s" admctl degrade 2 --ttl 2s || return 0
	tap_assert "(4) degrade 2: bulk shed, core full" "" \
		"$(probe_ok "$P_BULK" 10):$(probe_ok "$P_CORE" 10)" = "0:10" || :
	sleep 2.5
	tap_assert "(4) degrade 2 --ttl 2s lapsed: bulk admitted again" "$(admctl degrade --json)" \
		"$(probe_ok "$P_BULK" 10)" -eq 10 || :
}
scenario_degrade

# ---------------------------------------------------------------- (4b)

# as_user USER CMD...: CMD as USER (its groups from /etc/group)
as_user() { local u=$1; shift; runuser -u "$u" -- "$@"; }
# ps_send LINE: LINE on the pressure socket as root; admd's one answer
ps_send() { printf '%s\n' "$1" | socat -t 3 - "UNIX-CONNECT:$PS_SOCK" 2>&1 || :; }

scenario_pressure_socket() {
	local rc out st uid gid i ctl_sock
	st=$(stat -c '%a %U %G' "$PS_SOCK" 2>&1 || :)
	tap_assert "(4b) pressure socket is 0660 root:$PS_GROUP" "$st" "$st" = "660 root $PS_GROUP" || :
	rc=0
	out=$(as_user "$PS_USER" "$ADMCTL" pressure --socket "$PS_SOCK" web 2 2>&1) || rc=$?
	tap_assert "(4b) $PS_USER (in $PS_GROUP, not root): admctl pressure --socket web 2" "$out" "$rc" -eq 0 || return 0
	sleep 0.5
	tap_assert "(4b) its pressure 2: every service at level 2" "$(admctl degrade --json)" \
		"$(admctl degrade --json | jq -r '[.services[].degrade] | unique | join(",")')" = 2 || :
	tap_assert "(4b) sheddable bulk shed (0 of 20 in), critical core full (20 of 20)" "" \
		"$(probe_ok "$P_BULK" 20):$(probe_ok "$P_CORE" 20)" = "0:20" || :
	uid=$(id -u "$PS_USER")
	gid=$(id -g "$PS_USER")
	admctl logs tail -n 100 --json >"$E2E_TMP/ps_logs.txt" 2>&1 || :
	tap_assert "(4b) audit: 'pressure web 2' by uid $uid (gid $gid, pressure socket)" \
		"$(grep 'pressure web' "$E2E_TMP/ps_logs.txt" | tail -2)" \
		"$(grep -F '"pressure web 2 (gid '"$gid"', pressure socket)"' "$E2E_TMP/ps_logs.txt" | grep -c '"uid":'"$uid"'[,}]')" -ge 1 || :
	ctl_sock=$(admctl status --json | jq -r .control.socket)
	rc=0
	out=$(as_user "$PS_USER" "$ADMCTL" pressure --socket "$ctl_sock" web 0 2>&1) || rc=$?
	tap_assert "(4b) the same user on the main control socket: refused (exit 1, permission denied)" "$out" \
		"$rc" -eq 1 -a "$(grep -ci 'permission denied' <<<"$out")" -ge 1 || :
	rc=0
	out=$(as_user nobody "$ADMCTL" pressure --socket "$PS_SOCK" web 0 2>&1) || rc=$?
	tap_assert "(4b) nobody (not in $PS_GROUP): refused by the file mode (exit 1)" "$out" \
		"$rc" -eq 1 -a "$(grep -ci 'permission denied' <<<"$out")" -ge 1 || :
	tap_assert "(4b) still level 2 after both refusals" "$(admctl degrade --json)" \
		"$(admctl degrade --json | jq -r '[.services[].degrade] | unique | join(",")')" = 2 || :
	out=$(ps_send '{"cmd":"degrade","level":3}')
	tap_assert "(4b) pressure socket: another command (degrade) refused" "$out" \
		"$(jq -r '.ok == false and (.error | test("takes one line"))' <<<"$out")" = true || :
	out=$(ps_send '{"cmd":"status"}')
	tap_assert "(4b) pressure socket: status refused" "$out" "$(jq -r .ok <<<"$out")" = false || :
	out=$(ps_send "web 2 and more")
	tap_assert "(4b) pressure socket: 'web 2 and more' refused" "$out" "$(jq -r .ok <<<"$out")" = false || :
	out=$(ps_send "$(printf 'w%.0s' {1..300}) 1")
	tap_assert "(4b) pressure socket: a 300-byte line refused" "$out" \
		"$(jq -r '.ok == false and (.error | test("at most 256 bytes"))' <<<"$out")" = true || :
	out=$(ps_send "nope 1")
	tap_assert "(4b) pressure socket: unknown service refused" "$out" \
		"$(jq -r '.ok == false and (.error | test("unknown service"))' <<<"$out")" = true || :
	# 40 idle clients: the pressure socket serves 16 at a time, each for 2 s.
	for ((i = 0; i < 40; i++)); do
		e2e_bg "hold$i" srv socat -u EXEC:"sleep 8" "UNIX-CONNECT:$PS_SOCK"
	done
	sleep 0.5
	tap_check "(4b) 40 idle pressure clients: the control socket still answers" admctl status --json || :
	# Held slots are closed after CTL_PS_IDLE_MS (2 s) at the next 1 s tick.
	sleep 2
	for ((i = 0; i < 30; i++)); do
		out=$(printf 'web 0\n' | as_user "$PS_USER" socat -t 3 - "UNIX-CONNECT:$PS_SOCK" 2>&1 || :)
		[ "$(jq -r .ok <<<"$out" 2>/dev/null)" = true ] && break
		sleep 0.2
	done
	e2e_note "pressure report served $((2000 + i * 200)) ms after 40 idle clients came (idle limit 2 s)"
	tap_assert "(4b) within 2 s + one tick + 3 s of them: $PS_USER reports 'web 0' with socat" "$out" \
		"$(jq -r '.ok and .level == 0' <<<"$out")" = true || :
	sleep 0.5
	tap_assert "(4b) pressure 0: bulk admitted again (20 of 20)" "" "$(probe_ok "$P_BULK" 20)" -eq 20 || :
}
scenario_pressure_socket

# ---------------------------------------------------------------- (5)

scenario_depends() {
	tap_check "(5) admctl breaker open web --ttl 30s (manual)" admctl breaker open web --ttl 30s || return 0
	sleep 0.5
	tap_assert "(5) web open: api (normal, depends_on web) shed; core untouched" "$(bstat api)" \
		"$(probe_ok "$P_API" 10):$(probe_ok "$P_CORE" 10)" = "0:10" || :
	tap_assert "(5) status: web under manual control with a TTL" "$(bstat web)" \
		"$(bfield web '"\(.control) \(.manual_ttl_ms > 0)"')" = "manual true" || :
	tap_check "(5) admctl breaker close web" admctl breaker close web || :
	sleep 0.5
	tap_assert "(5) web closed: api admitted again" "" "$(probe_ok "$P_API" 10)" -eq 10 || :
	tap_check "(5) admctl breaker auto web" admctl breaker auto web || :
	tap_assert "(5) web automatic again" "$(bstat web)" "$(bfield web .control)" = automatic || :
}
scenario_depends

# ---------------------------------------------------------------- (6)

scenario_queue_probe() {
	local i
	# One worker busy for 20 s per request: the next connections queue.
	backend queue "$P_QUEUE" 1 20000
	e2e_bg hold cli "$TCPHOLD" -d "$E2E_SRV4:$P_QUEUE" -n 12 --max-seconds 20
	e2e_wait_for 8 "queue breaker open" is_state queue open || :
	tap_assert "(6) accept queue >= 5 for 1 s: breaker open" "$(bstat queue)" \
		"$(bfield queue .breaker)" = open || :
	tap_assert "(6) status shows the accept queue depth" "$(bstat queue)" \
		"$(bfield queue '.accept_queue.depth >= 5')" = true || :
	# The probe target is not listening: the probe fails, the breaker opens.
	# It cycles open (breaker_cooldown, 1 s) -> half-open (a probe fails)
	# -> open: one reading must show both, a second one may be half-open.
	if e2e_wait_for 6 "probe breaker open, probe failing" probe_open_failing; then
		tap_ok "(6) probe refused for 1 s: breaker open"
	else
		tap_fail "(6) probe refused for 1 s: breaker open" "expected open false; $(bstat probe)"
	fi
	e2e_tcpsrv probed -l "$E2E_SRV4:$P_PROBED"
	e2e_wait_for 10 "probe breaker closed" is_state probe closed || :
	tap_assert "(6) probe target up: half-open, then closed" "$(bstat probe)" \
		"$(bfield probe '"\(.breaker) \(.probe.ok)"')" = "closed true" || :
}
scenario_queue_probe

# ---------------------------------------------------------------- (7)

# limit_samples N: the pool's adaptive limit, once a second for N s
limit_samples() {
	local k out=""
	for ((k = 0; k < $1; k++)); do
		out+="$(bfield pool .adaptive.limit) "
		sleep 1
	done
	echo "$out"
}
# in_band LO HI SAMPLES...: how many samples are within LO..HI
in_band() {
	local lo=$1 hi=$2 l n=0
	shift 2
	for l in "$@"; do
		[ "$l" -ge "$lo" ] && [ "$l" -le "$hi" ] && n=$((n + 1))
	done
	echo "$n"
}
# follow_time LO HI MAX: seconds until the pool's limit is within LO..HI
# (two readings in a row), at most MAX; 999 if never. The readings: followed()
follow_time() {
	local lo=$1 hi=$2 max=$3 t0=$EPOCHREALTIME l hits=0
	: >"$E2E_TMP/followed"
	while awk -v a="$t0" -v b="$EPOCHREALTIME" -v m="$max" 'BEGIN { exit !(b - a < m) }'; do
		l=$(bfield pool .adaptive.limit)
		printf '%s ' "$l" >>"$E2E_TMP/followed"
		if [ "$l" -ge "$lo" ] && [ "$l" -le "$hi" ]; then
			hits=$((hits + 1))
			if [ "$hits" -ge 2 ]; then
				awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }'
				return 0
			fi
		else
			hits=0
		fi
		sleep 0.5
	done
	echo 999
}
followed() { cat "$E2E_TMP/followed"; }

# The band the limit should settle in for W workers: what keeps admitted
# latency near the unloaded one is W (no queue) plus the rule's headroom
# of one connection; +-30% of that, and a connection of rounding.
band_lo() { echo $(( ($1 + 1) * 7 / 10 )); }
band_hi() { echo $(( ($1 + 1) * 13 / 10 + 1 )); }

scenario_adaptive() {
	local lims t16 t4 w
	echo "$POOL_W" >"$E2E_TMP/pool.workers"
	# 16 threads, POOL_W of them taking connections until the file says otherwise.
	backend pool "$P_POOL" 16 "$POOL_MS" --dist lognormal --workers-file "$E2E_TMP/pool.workers"
	load_bg pool "$P_POOL" 45 64 --think-ms 50
	sleep 12
	lims=$(limit_samples 6)
	e2e_note "W=$POOL_W, ${POOL_MS} ms: adaptive limit over 6 s: $lims"
	# shellcheck disable=SC2086
	tap_assert "(7) conn_limit = auto, W = $POOL_W: the limit stays within 2..$((POOL_W * 2 + 1))" "limits: $lims" \
		"$(in_band 2 $((POOL_W * 2 + 1)) $lims)" -ge 5 || :
	# shellcheck disable=SC2086
	tap_assert "(7) W = $POOL_W: within +-30% of W + 1 ($(band_lo $POOL_W)..$(band_hi $POOL_W)) most of the time" "limits: $lims" \
		"$(in_band "$(band_lo $POOL_W)" "$(band_hi $POOL_W)" $lims)" -ge 4 || :
	w=16
	echo "$w" >"$E2E_TMP/pool.workers"
	t16=$(follow_time "$(band_lo $w)" "$(band_hi $w)" 15)
	e2e_note "W $POOL_W -> $w: limit within $(band_lo $w)..$(band_hi $w) after ${t16}s; readings: $(followed)"
	tap_assert "(7) W $POOL_W -> $w at run time: the limit follows within 10 s" "after ${t16}s: $(followed)" \
		"$(awk -v t="$t16" 'BEGIN { print (t <= 10) }')" = 1 || :
	lims=$(limit_samples 6)
	e2e_note "W=$w: adaptive limit over 6 s: $lims"
	# shellcheck disable=SC2086
	tap_assert "(7) W = $w: within +-30% of W + 1 ($(band_lo $w)..$(band_hi $w)) most of the time" "limits: $lims" \
		"$(in_band "$(band_lo $w)" "$(band_hi $w)" $lims)" -ge 4 || :
	echo "$POOL_W" >"$E2E_TMP/pool.workers"
	t4=$(follow_time "$(band_lo $POOL_W)" "$(band_hi $POOL_W)" 15)
	e2e_note "W $w -> $POOL_W: limit within $(band_lo $POOL_W)..$(band_hi $POOL_W) after ${t4}s; readings: $(followed)"
	tap_assert "(7) W $w -> $POOL_W at run time: the limit follows within 10 s" "after ${t4}s: $(followed)" \
		"$(awk -v t="$t4" 'BEGIN { print (t <= 10) }')" = 1 || :
	# the load ends by itself; admitted latency of the whole run
	e2e_wait_for 55 "pool load" test -s "$E2E_TMP/pool.json" || :
	e2e_note "admitted p50/p99 $(n pool '"\(.latency_ms.ok.p50) / \(.latency_ms.ok.p99)"') ms; $(n pool '{ok, refused, ok_per_s}')"
	tap_assert "(7) admitted p50 within 3x the unloaded service time" \
		"$(n pool '{ok, refused, lat: .latency_ms.ok}')" \
		"$(n pool ".latency_ms.ok.p50 < 3 * $POOL_MS")" = true || :
}
scenario_adaptive

# ---------------------------------------------------------------- (8)

SNAP='[.breaker.services[] | select(.name != "queue") | {name, breaker, degrade, control}] + [.breaker.manual_degrade]'
scenario_bad() {
	local bad="$E2E_TMP/bad.conf" out rc
	check_bad() {
		local desc=$1 want=$2
		rc=0
		out=$("$ADMD" --check -c "$bad" 2>&1) || rc=$?
		tap_assert "(8) $desc: admd --check exits 2 naming file:line" "$out" \
			"$rc" -eq 2 -a "$(grep -c -F "$want" <<<"$out")" -ge 1 || :
	}
	sed 's/^breaker_latency = .*/breaker_latency = 2m/' "$CONF" >"$bad"
	check_bad "breaker_latency = 2m" "$bad:$(grep -n '^breaker_latency' "$bad" | cut -d: -f1): [service web] breaker_latency = '2m': out of range; allowed: a duration 1ms..60s"
	sed 's/^half_open_permille = .*/half_open_permille = 1000/' "$CONF" >"$bad"
	check_bad "half_open_permille = 1000" "half_open_permille = '1000': out of range; allowed: 1..999"
	sed 's/^breaker_accept_queue = .*/breaker_accept_queue = 0/' "$CONF" >"$bad"
	check_bad "breaker_accept_queue = 0" "breaker_accept_queue = '0': out of range; allowed: 1..1000000"
	{ cat "$CONF"; printf '\n[service cyc]\nports = 9399\ndepends_on = api\n'; } |
		sed 's/^depends_on = web/depends_on = cyc/' >"$bad"
	check_bad "depends_on cycle" "depends_on cycle: api -> cyc -> api; allowed: dependencies without a cycle"
	# A reload with the cycle is refused; nothing changes.
	cp "$CONF" "$E2E_TMP/good.conf"
	# (the queue service's breaker still cycles on its own: left out)
	admctl status --json | jq -c "$SNAP" >"$E2E_TMP/before.json"
	cp "$bad" "$CONF"
	rc=0
	admctl reload >"$E2E_TMP/reload.out" 2>&1 || rc=$?
	cp "$E2E_TMP/good.conf" "$CONF"
	tap_assert "(8) reload with a depends_on cycle: refused (exit 1), names file:line" "$(cat "$E2E_TMP/reload.out")" \
		"$rc" -eq 1 -a "$(grep -c 'depends_on cycle' "$E2E_TMP/reload.out")" -ge 1 || :
	admctl status --json | jq -c "$SNAP" >"$E2E_TMP/after.json"
	tap_assert "(8) nothing changed" "$(cat "$E2E_TMP/before.json") vs $(cat "$E2E_TMP/after.json")" \
		"$(cat "$E2E_TMP/before.json")" = "$(cat "$E2E_TMP/after.json")" || :
	for args in "pressure nope 2" "pressure web 4" "pressure web" "pressure web 1 --ttl 0" "breaker auto nope"; do
		rc=0
		# shellcheck disable=SC2086
		admctl $args >"$E2E_TMP/u.out" 2>&1 || rc=$?
		tap_assert "(8) admctl $args: usage error (exit 2), one sentence" "$(cat "$E2E_TMP/u.out")" \
			"$rc:$(wc -l <"$E2E_TMP/u.out")" = "2:1" || :
	done
	rc=0
	admctl limits set pool conn_limit 50 >"$E2E_TMP/u.out" 2>&1 || rc=$?
	tap_assert "(8) admctl limits set pool conn_limit 50 on conn_limit = auto: refused (exit 2), says what to do" \
		"$(cat "$E2E_TMP/u.out")" \
		"$rc:$(grep -c 'pool has conn_limit = auto.*conn_limit_min/conn_limit_max' "$E2E_TMP/u.out")" = "2:1" || :
	tap_assert "(8) the adaptive limit still in force (not 50)" "$(bstat pool)" \
		"$(bfield pool '.adaptive.enforced')" -le 10 || :
	tap_assert "(8) still nothing changed" "" \
		"$(admctl status --json | jq -c "$SNAP")" = "$(cat "$E2E_TMP/before.json")" || :
}
scenario_bad

# ---------------------------------------------------------------- (9)

scenario_cgroup_move() {
	local st n ready="$E2E_TMP/moved.ready"
	mkdir "$CG_MOVED"
	CG_NOW=$CG_MOVED
	write_conf
	tap_check "(9) admctl reload with [adm] cgroup moved to a sibling cgroup" admctl reload || return 0
	st=$(admctl status --json)
	tap_assert "(9) sockops and the request-latency program both moved" \
		"$(jq -c '{sockets: .sockets.cgroup, latency: .breaker.latency_cgroup}' <<<"$st")" \
		"$(jq -r '"\(.sockets.cgroup) \(.breaker.latency_cgroup)"' <<<"$st")" = "$CG_MOVED $CG_MOVED" || :
	# a backend in the new cgroup (e2e_bg would put it in the old one)
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG_MOVED" \
		nsenter --net="/run/netns/$E2E_NS_SRV" -- "$BACKEND" -l "$E2E_SRV4:$P_MOVED" -w 4 \
		--service-ms 5 --http --ready-file "$ready" --max-seconds 60 \
		>"$E2E_TMP/moved.log" 2>&1 </dev/null &
	E2E_PIDS+=("$!")
	e2e_wait_for 5 "backend moved" test -s "$ready" || :
	load moved "$P_MOVED" 2 8 --think-ms 20 || :
	sleep 0.5
	in_srv curl -s "http://$METRICS_ADDR/metrics" >"$E2E_TMP/m9.txt" || :
	n=$(awk '/^adm_requests_total\{service="moved"\}/ { print $2 }' "$E2E_TMP/m9.txt")
	tap_assert "(9) requests served from the new cgroup are measured ($(n moved .ok) served, ${n:-0} measured)" \
		"$(grep 'adm_requests_total' "$E2E_TMP/m9.txt")" \
		"${n:-0}" -ge 50 -a "$(n moved .ok)" -ge 50 || :
}
scenario_cgroup_move

tap_plan_done
