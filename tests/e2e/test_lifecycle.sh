#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# admd's lifecycle as an operator meets it:
#   (a) a start that fails part way (an interface refuses native XDP after
#       vsrv was attached) leaves nothing attached;
#   (b) so does a start whose socket layer cannot attach (no such cgroup);
#   (c) over an earlier generation (admd killed with -9), a failed start
#       puts the earlier program back: enforcement never lapses;
#   (d) SIGHUP (systemctl reload) while admd starts does not kill it;
#   (e) reload applies what can change live ([metrics] listen re-bound,
#       xdp_mode re-attached, cgroup moved) and refuses, naming the key,
#       what cannot (control_socket); status shows what is in force;
#   (f) a service id handed to a new service starts clean (stats, breaker);
#   (g) connections that predate admd count against conn_limit at once;
#   (h) drift of the live counter injected under constant churn is
#       corrected without a quiet moment;
#   (i) an adm_src_summary pinned at its old size (32 KiB) does not stop a
#       start: it is derived data, replaced at the new size.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

PORT=8080	# web
PORT_OLD=8082	# "old", replaced by "new" in (f)
PORT_NEW=8083
PORT_HOLD=8084	# (g), (h)
M1=9191		# [metrics] listen ports (inside the server namespace)
M2=9192
CHURN_S=${CHURN_S:-8}		# (h): 300 in `make soak`
DRIFT_EVERY_S=${DRIFT_EVERY_S:-30}

e2e_init "$ADMD" "$ADMCTL"
e2e_topology

CONF="$E2E_TMP/adm.conf"
MISSING_CG="$E2E_CG2_MNT/adm-e2e-$E2E_ID-missing"

# conf [KEY=VALUE]...: the config, with overrides of the [adm] keys
# (IFACES, XDP_MODE, CGROUP, METRICS, CTL) and the services (SVC2: old|new|none).
conf() {
	local IFACES=$E2E_SRV_IF XDP_MODE=auto CGROUP=$E2E_CGROUP METRICS="127.0.0.1:$M1"
	local CTL="" SVC2=old
	local kv
	for kv in "$@"; do local "$kv"; done
	{
		echo "[adm]"
		echo "interfaces = $IFACES"
		echo "pin_root = $E2E_PIN"
		echo "cgroup = $CGROUP"
		echo "xdp_mode = $XDP_MODE"
		echo "reconcile_ms = 200"
		[ -n "$CTL" ] && echo "control_socket = $CTL"
		echo
		echo "[metrics]"
		echo "listen = $METRICS"
		echo
		echo "[service web]"
		echo "ports = $PORT"
		echo "new_conn_rate = 5/s"
		echo "new_conn_burst = 5"
		echo "on_rate = reject"
		echo
		if [ "$SVC2" = old ]; then
			echo "[service old]"
			echo "ports = $PORT_OLD"
			echo "new_conn_rate = 1/m"
			echo "new_conn_burst = 1"
			echo "on_rate = reject"
		elif [ "$SVC2" = new ]; then
			echo "[service new]"
			echo "ports = $PORT_NEW"
		fi
		echo
		echo "[service held]"
		echo "ports = $PORT_HOLD"
		echo "conn_limit = 5"
		echo "on_conn_full = reject"
	} >"$CONF"
}

# admd_fails DESC: admd with $CONF must exit non-zero without becoming ready.
admd_fails() {
	local log="$E2E_TMP/fail.$RANDOM.log" rc=0
	E2E_ADMD_CONF=$CONF
	timeout 20 nsenter --net="/run/netns/$E2E_NS_SRV" -- "$ADMD" -c "$CONF" \
		>"$log" 2>&1 </dev/null || rc=$?
	tap_assert "$1: admd exits with an error" "$(cat "$log")" "$rc" -ne 0 -a "$rc" -ne 124
	E2E_LAST_LOG=$log
}

srv_prog_id() {
	ip -n "$E2E_NS_SRV" -j link show dev "$E2E_SRV_IF" |
		jq -r '.[0].xdp.prog.id // (.[0].xdp.attached[0].prog.id // "")'
}

srv_xdp_mode() {
	ip -n "$E2E_NS_SRV" -j link show dev "$E2E_SRV_IF" | jq -r '.[0].xdp.mode // ""'
}

link_pins() { ls "$E2E_PIN" 2>/dev/null | grep -c '^link_' || true; }

# refused_fast SRC: a burst from SRC over web's rate sees RSTs from XDP.
refused_fast() {
	local out="$E2E_TMP/probe.$RANDOM.json"
	e2e_probe "$out" -d "$E2E_SRV4:$PORT" -s "$1" -n 12 -c 12 -t 500 || return 1
	[ "$(jget "$out" .refused)" -ge 5 ]
}

e2e_tcpsrv web --listen "$E2E_SRV4:$PORT"
e2e_tcpsrv hold --listen "$E2E_SRV4:$PORT_HOLD"

# ---------------------------------------------------------------- (a), (b)
scenario_failed_start() {
	conf IFACES="$E2E_SRV_IF, lo" XDP_MODE=native
	admd_fails "(a) lo refuses native XDP"
	tap_assert "(a) the error names lo" "$(cat "$E2E_LAST_LOG")" \
		"$(grep -c 'lo' "$E2E_LAST_LOG")" -ge 1 || :
	tap_assert "(a) vsrv has no XDP program left" "prog: $(srv_prog_id)" -z "$(srv_prog_id)" || :
	tap_assert "(a) no link pin left" "$(ls "$E2E_PIN" 2>&1)" "$(link_pins)" -eq 0 || :

	conf CGROUP="$MISSING_CG"
	admd_fails "(b) the socket layer cannot attach"
	tap_assert "(b) vsrv has no XDP program left" "prog: $(srv_prog_id)" -z "$(srv_prog_id)" || :
	tap_assert "(b) no link pin left" "$(ls "$E2E_PIN" 2>&1)" "$(link_pins)" -eq 0 || :
}

# ---------------------------------------------------------------- (c)
scenario_previous_generation() {
	local id0
	conf
	e2e_admd_start "$CONF" || return 0
	id0=$(srv_prog_id)
	kill -9 "$E2E_ADMD_PID"
	e2e_admd_stop
	conf CGROUP="$MISSING_CG"
	admd_fails "(c) a new start over a killed admd fails"
	tap_assert "(c) the earlier program is back on vsrv" "before $id0, now $(srv_prog_id)" \
		"$(srv_prog_id)" = "$id0" || :
	tap_check "(c) and still enforces (fast RSTs over the rate)" refused_fast 10.77.0.10 || :
}

# ---------------------------------------------------------------- (d)
# HUP every admd of this run (by config path) until it is ready.
hup_storm() {
	local i pid
	for ((i = 0; i < 100; i++)); do
		for pid in $(pgrep -f -- "-c $CONF" 2>/dev/null); do
			[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = admd ] && kill -HUP "$pid" 2>/dev/null
		done
		sleep 0.02
	done
}

scenario_hup_during_start() {
	local storm
	conf
	hup_storm &
	storm=$!
	E2E_PIDS+=("$storm")
	if e2e_admd_start "$CONF"; then
		tap_ok "(d) admd becomes ready under a storm of SIGHUPs"
	else
		tap_fail "(d) admd becomes ready under a storm of SIGHUPs" "$(tail -n 20 "$E2E_ADMD_LOG")"
	fi
	wait "$storm" 2>/dev/null || true
	tap_assert "(d) and is still running after it" "$(tail -n 5 "$E2E_ADMD_LOG")" \
		-n "$E2E_ADMD_PID" -a -d "/proc/${E2E_ADMD_PID:-0}" || :
}

# ---------------------------------------------------------------- (e)
metrics_on() {
	local body
	body=$(in_srv curl -sf -m 2 "http://127.0.0.1:$1/metrics") || return 1
	grep -q '^# HELP adm_' <<<"$body"
}

scenario_reload() {
	local out st sub="$E2E_CGROUP/moved" cg_ino link_cg
	conf METRICS="127.0.0.1:$M2"
	out=$(admctl reload 2>&1) || true
	tap_check "(e) [metrics] listen: re-bound on reload" metrics_on "$M2" || :
	tap_assert "(e) the old port no longer serves" "$out" "$(metrics_on "$M1" && echo yes || echo no)" = no || :
	st=$(admctl status --json)
	tap_assert "(e) status shows the listen in force" "$st" \
		"$(jq -r '.metrics.listen + " " + .admd.metrics' <<<"$st")" = "127.0.0.1:$M2 127.0.0.1:$M2" || :

	conf METRICS="127.0.0.1:$M2" CTL="$E2E_TMP/other.sock"
	out=$(admctl reload 2>&1) && rc=0 || rc=$?
	tap_assert "(e) control_socket: reload refused, naming the key" "$out" \
		"$rc" -ne 0 -a "$(grep -c 'control_socket' <<<"$out")" -ge 1 || :
	tap_check "(e) after a refused reload the old policy still serves" metrics_on "$M2" || :

	conf METRICS="127.0.0.1:$M2" XDP_MODE=generic
	out=$(admctl reload 2>&1) || true
	tap_assert "(e) xdp_mode = generic: re-attached in that mode" "$out; mode $(srv_xdp_mode)" \
		"$(srv_xdp_mode)" = 2 || :
	tap_check "(e) and enforces there" refused_fast 10.77.0.11 || :

	mkdir -p "$sub"
	conf METRICS="127.0.0.1:$M2" XDP_MODE=generic CGROUP="$sub"
	out=$(admctl reload 2>&1) || true
	cg_ino=$(stat -c %i "$sub")
	link_cg=$(bpftool -j link show pinned "$E2E_PIN/link_sockops" 2>/dev/null | jq -r '.cgroup_id // ""')
	tap_assert "(e) cgroup: sockops moved to the new cgroup" "$out; link cgroup $link_cg, wanted $cg_ino" \
		"$link_cg" = "$cg_ino" || :
	st=$(admctl status --json)
	tap_assert "(e) status shows the cgroup in force" "$st" "$(jq -r .sockets.cgroup <<<"$st")" = "$sub" || :
	conf
	admctl reload >/dev/null 2>&1 || true
	rmdir "$sub" 2>/dev/null || true
}

# ---------------------------------------------------------------- (f)
svc_packets() {	# svc_packets NAME: packets counted for the service
	admctl stats --json | jq "[.services[] | select(.name == \"$1\") | .counters[].packets] | add // 0"
}

scenario_fresh_id() {
	local out old_id new_id st
	conf
	admctl reload >/dev/null 2>&1 || true
	e2e_probe "$E2E_TMP/old.json" -d "$E2E_SRV4:$PORT_OLD" -s 10.77.0.12 -n 4 -c 4 -t 300 || true
	admctl breaker open old >/dev/null 2>&1 || true
	old_id=$(admctl status --json | jq '.services[] | select(.name == "old") | .id')
	tap_assert "(f) the old service has counters" "$(admctl stats --json)" "$(svc_packets old)" -gt 0 || :
	# Removed in one reload (its id is held while anything refers to it),
	# handed to a new service in the next.
	conf SVC2=none
	admctl reload >/dev/null 2>&1 || true
	conf SVC2=new
	out=$(admctl reload 2>&1) || true
	st=$(admctl status --json)
	new_id=$(jq '.services[] | select(.name == "new") | .id' <<<"$st")
	tap_assert "(f) the new service got the old one's id" "$out; old $old_id new $new_id" \
		"$new_id" = "$old_id" || :
	tap_assert "(f) and starts clean: no counters" "$(admctl stats --json)" "$(svc_packets new)" -eq 0 || :
	tap_assert "(f) and starts clean: breaker closed" "$st" \
		"$(jq -r '.services[] | select(.name == "new") | .breaker' <<<"$st")" = closed || :
}

# ---------------------------------------------------------------- (g), (h)
held_live() { admctl status --json | jq '.services[] | select(.name == "held") | .live'; }
held_is() { [ "$(held_live)" = "$1" ]; }

scenario_preexisting() {
	local out
	e2e_admd_stop
	e2e_admd_cleanup >/dev/null 2>&1 || true
	# Five connections opened while no adm is attached.
	e2e_bg holders cli "$TCPPROBE" -d "$E2E_SRV4:$PORT_HOLD" -s 10.77.0.13 -n 5 -c 5 \
		--hold-ms 20000 --max-seconds 30
	sleep 1
	conf SVC2=new
	e2e_admd_start "$CONF" || return 0
	e2e_wait_for 3 "held live = 5" held_is 5 || true
	tap_assert "(g) connections older than admd are counted" "$(admctl status --json)" "$(held_live)" = 5 || :
	e2e_probe "$E2E_TMP/held.json" -d "$E2E_SRV4:$PORT_HOLD" -s 10.77.0.14 -n 3 -c 3 -t 500 || true
	tap_assert "(g) conn_limit = 5 holds from the first second: new ones refused" \
		"$(cat "$E2E_TMP/held.json")" "$(jget "$E2E_TMP/held.json" .refused)" -eq 3 || :
	e2e_kill "$E2E_BG_PID"
}

conc_live() {	# adm_conc[id].live as the kernel holds it now (the low 32 bits)
	local b
	b=($(bpftool -j map lookup pinned "$E2E_PIN/adm_conc" key $(printf '%d 0 0 0' "$1") |
		jq -r '.value[0:4][]'))
	echo $((b[0] + 256 * (b[1] + 256 * (b[2] + 256 * b[3]))))
}

# Constant churn for CHURN_S seconds (8 here, 300 in `make soak`): one
# connection opened and closed every 20 ms, two at a time. Every
# DRIFT_EVERY_S a lost release is simulated (+7 on the live counter). A
# pass that overlaps N takes and releases cannot tell drift of N or less
# from them, so during the churn at least 7 - CHURN_CONC must be corrected
# within 5 s, and the rest as soon as a pass overlaps none (after the churn
# at the latest). The injection itself is a read and a write from here, not
# an atomic add: a take or release landing between them makes that round's
# drift 7 +- CHURN_CONC. So in the end: live exactly 0, and corrections at
# least the injected drift less CHURN_CONC per round.
CHURN_CONC=2
corrections() { admctl status --json | jq '.services[] | select(.name == "held") | .reconcile.corrections'; }

scenario_drift_under_churn() {
	local id churn live c0 c1 cstart rounds r fixed=0 t injected=0
	id=$(admctl status --json | jq '.services[] | select(.name == "held") | .id')
	rounds=$((CHURN_S / DRIFT_EVERY_S))
	[ "$rounds" -ge 1 ] || rounds=1
	cstart=$(corrections)
	e2e_bg churn cli "$TCPPROBE" -d "$E2E_SRV4:$PORT_HOLD" -s 10.77.0.15 -n $((CHURN_S * 50)) \
		-c "$CHURN_CONC" --interval-ms 20 --hold-ms 15 -t 1000 --max-seconds $((CHURN_S + 30))
	churn=$E2E_BG_PID
	sleep 1
	for ((r = 0; r < rounds; r++)); do
		t=$(date +%s)
		c0=$(corrections)
		live=$(conc_live "$id")
		bpftool map update pinned "$E2E_PIN/adm_conc" key $(printf '%d 0 0 0' "$id") \
			value $(printf '%d 0 0 0 0 0 0 0 5 0 0 0 0 0 0 0' $((live + 7))) 2>/dev/null || true
		injected=$((injected + 7))
		for _ in $(seq 1 50); do
			c1=$(corrections)
			[ "$c1" -ge $((c0 + 7 - CHURN_CONC)) ] && break
			sleep 0.1
		done
		[ "$c1" -ge $((c0 + 7 - CHURN_CONC)) ] && kill -0 "$churn" 2>/dev/null && fixed=$((fixed + 1))
		while [ $(($(date +%s) - t)) -lt "$DRIFT_EVERY_S" ] && [ $((r + 1)) -lt "$rounds" ]; do
			sleep 1
		done
	done
	tap_assert "(h) drift injected $rounds times under ${CHURN_S} s of churn: each corrected (all but the $CHURN_CONC changes in flight at most) within 5 s, churn still running" \
		"corrected $fixed of $rounds; corrections $cstart -> $c1" "$fixed" -eq "$rounds" || :
	e2e_kill "$churn"
	e2e_wait_for 5 "held live back to 0" held_is 0 || true
	c1=$(( $(corrections) - cstart ))
	tap_assert "(h) when the churn ends: live 0 (the counter is exact), the injected drift ($injected, less $CHURN_CONC per round in flight) corrected" \
		"corrected $c1; $(admctl status --json)" "$(held_live)" = 0 -a "$c1" -ge $((injected - rounds * CHURN_CONC)) || :
}

# ---------------------------------------------------------------- (i)
scenario_summary_upgrade() {
	local want=$((65536 >> 2)) entries
	conf
	e2e_quiet nsenter "${E2E_SRV_MNT[@]}" -- mkdir -p "$E2E_PIN"
	# What admd before the 128 KiB summary pinned: 4096 words, mmapable.
	e2e_quiet nsenter "${E2E_SRV_MNT[@]}" -- bpftool map create "$E2E_PIN/adm_src_summary" \
		type array key 4 value 8 entries 4096 name adm_src_summary flags 1024 ||
		{ tap_fail "(i) pin an old-size adm_src_summary" "bpftool map create failed"; return 0; }
	if ! e2e_admd_start "$CONF"; then
		tap_fail "(i) admd starts over an adm_src_summary of 4096 words" "$(cat "$E2E_ADMD_LOG")"
		return 0
	fi
	entries=$(nsenter "${E2E_SRV_MNT[@]}" -- bpftool -j map show pinned "$E2E_PIN/adm_src_summary" |
		jq -r '.max_entries')
	tap_assert "(i) admd starts over an adm_src_summary of 4096 words; the pin now has $want (ADM_SRC_SUMMARY_WORDS)" \
		"entries: $entries; $(grep -i summary "$E2E_ADMD_LOG")" "$entries" = "$want" || :
	tap_assert "(i) the log says it replaced the old summary" "$(cat "$E2E_ADMD_LOG")" \
		"$(grep -c 'adm_src_summary: 4096 entries pinned, this admd uses 16384: replaced' "$E2E_ADMD_LOG")" -ge 1 || :
	tap_check "(i) and enforces (fast RSTs over the rate)" refused_fast 10.77.0.11 || :
	e2e_admd_stop
	e2e_quiet e2e_admd_cleanup || :
}

scenario_summary_upgrade
scenario_failed_start
scenario_previous_generation
scenario_hup_during_start
scenario_reload
scenario_fresh_id
scenario_preexisting
scenario_drift_under_churn
tap_plan_done
