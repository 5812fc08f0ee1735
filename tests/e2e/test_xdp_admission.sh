#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# XDP admission control as a user sees it: a real admd on the server side of
# a veth, a real TCP server (tcpsrv) behind it, real clients (tcpprobe) on
# the other side, each from its own source addresses.
#
#   (a) on_rate = reject: a source over its SYN rate gets fast RSTs, the
#       burst gets in, another source under its limit is not affected;
#   (b) on_rate = defer: over-limit SYNs are not refused but silently
#       discarded, so clients wait for their own TCP retransmit (~1 s);
#   (c) the same for IPv6;
#   (d) admctl block add/del: a blocked source times out, others do not;
#       a --ttl block expires by itself;
#   (e) admctl stats counts exactly what the clients saw;
#   (f) SIGTERM leaves the data plane attached; shadow mode refuses
#       nothing and counts would_reject;
#   (g) kill -9 admd: enforcement continues; a restarted admd reuses the
#       pinned maps; admd --cleanup detaches and unpins.
#
# Every service: 5 new connections/s per source, burst 5. Each scenario
# uses its own source addresses, so no scenario sees another's rate state.
# ipv6_prefix = 128: with the default (64) every client address here
# (all in fd77::/64) is one fingerprint and shares one budget.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

RATE=5		# new_conn_rate = RATE/s
BURST=5		# new_conn_burst
FLOOD=30	# connections fired at once by an over-limit source
# A burst is fired within a few ms, but a slow CI machine may let one more
# token accrue (1/RATE s = 200 ms) before the last SYN: allow BURST+1.
BURST_MAX=$((BURST + 1))
FAST_MS=200	# a RST answers in ~1 ms; a SYN retransmit takes 1000 ms
PORT_REJECT=8080
PORT_DEFER=8081

e2e_init "$ADMD" "$ADMCTL"
e2e_topology

CONF="$E2E_TMP/adm.conf"

# write_conf MODE: the config for this run, mode enforce or shadow.
write_conf() {
	cat >"$CONF" <<-EOF
	[adm]
	interfaces = $E2E_SRV_IF
	pin_root = $E2E_PIN
	cgroup = $E2E_CGROUP
	xdp_mode = auto
	mode = $1

	[service web]
	ports = $PORT_REJECT
	new_conn_rate = $RATE/s
	new_conn_burst = $BURST
	on_rate = reject
	ipv6_prefix = 128

	[service slow]
	ports = $PORT_DEFER
	new_conn_rate = $RATE/s
	new_conn_burst = $BURST
	on_rate = defer
	ipv6_prefix = 128
	EOF
}

# A burst from one source: FLOOD connections at once; BURST get in and the
# rest are refused fast, nothing hangs.
expect_rejected_burst() {
	local name=$1 what=$2
	expect "$name" "$what: the burst ($BURST..$BURST_MAX of $FLOOD) gets in" \
		".ok >= $BURST and .ok <= $BURST_MAX" || :
	expect "$name" "$what: every other connection is refused (RST), none times out" \
		".refused == $FLOOD - .ok and .timeout == 0 and .error == 0" || :
	expect "$name" "$what: p99 time to refusal < $FAST_MS ms (a RST, not a retransmit)" \
		".refused > 0 and .ms.refused.p99 < $FAST_MS" || :
}

# ---------------------------------------------------------------- start

e2e_tcpsrv srv -l "$E2E_SRV4:$PORT_REJECT" -l "[$E2E_SRV6]:$PORT_REJECT" \
	-l "$E2E_SRV4:$PORT_DEFER" -l "[$E2E_SRV6]:$PORT_DEFER"

# Before admd: the path works and nothing refuses (a baseline, not a claim
# about adm).
probe base -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.10 -n "$FLOOD" -c "$FLOOD"
expect base "without admd: $FLOOD fast connections from one source all succeed" \
	".ok == $FLOOD"

write_conf enforce
e2e_admd_start "$CONF"
tap_ok "admd starts and reports ready"
prog=$(e2e_srv_xdp_prog)
tap_assert "admd attached adm_xdp to $E2E_SRV_IF" "xdp program on $E2E_SRV_IF: '$prog'" \
	"$prog" = adm_xdp || :
e2e_note "XDP mode on $E2E_SRV_IF: $(ip -n "$E2E_NS_SRV" -j link show dev "$E2E_SRV_IF" |
	jq -r '.[0].xdp.mode | if . == 1 then "native" elif . == 2 then "generic" else tostring end')"

# ---------------------------------------------------------------- (a) reject, IPv4

scenario_reject_v4() {
	in_cli "$TCPPROBE" --json --each -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.10 \
		-n "$FLOOD" -c "$FLOOD" >"$E2E_TMP/a_flood.json" 2>"$E2E_TMP/a_flood.err" &
	local flood_pid=$!
	E2E_PIDS+=("$flood_pid")
	probe a_calm -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.11 -n 3 --interval-ms 20
	wait "$flood_pid" || { tap_fail "(a) tcpprobe flood ran" "$(cat "$E2E_TMP/a_flood.err")"; return 0; }

	expect_rejected_burst a_flood "(a) reject, IPv4"
	expect a_calm "(a) meanwhile another source under its limit: 3 of 3 succeed" \
		'.ok == 3' || :
}
scenario_reject_v4

# ---------------------------------------------------------------- (b) defer, IPv4

scenario_defer_v4() {
	# -t 1500: long enough for the first retransmit (1 s), not the second (3 s).
	probe b_defer -d "$E2E_SRV4:$PORT_DEFER" -s 10.77.0.12 -n 15 -c 15 -t 1500
	expect b_defer "(b) defer: nothing is refused (no RST), no errors" \
		'.refused == 0 and .error == 0' || :
	expect b_defer "(b) defer: the burst gets in at once ($BURST..$BURST_MAX in < $FAST_MS ms)" \
		"[.each[] | select(.outcome == \"ok\" and .ms < $FAST_MS)] | length |
		 . >= $BURST and . <= $BURST_MAX" || :
	expect b_defer "(b) defer: every other connection waits >= 900 ms (a TCP retransmit) or times out" \
		"[.each[] | select(.ms >= $FAST_MS and .ms < 900)] | length == 0" || :
	expect b_defer "(b) defer: retransmitted SYNs are admitted as the rate allows (ok after ~1 s)" \
		"[.each[] | select(.outcome == \"ok\" and .ms >= 900)] | length >= 1" || :

	# -t 500: over-limit clients see a timeout, never a refusal.
	probe b_short -d "$E2E_SRV4:$PORT_DEFER" -s 10.77.0.13 -n 10 -c 10 -t 500
	expect b_short "(b) defer, -t 500: burst ok, the rest time out, none refused" \
		".ok >= $BURST and .ok <= $BURST_MAX and .timeout == 10 - .ok and .refused == 0" || :
}
scenario_defer_v4

# ---------------------------------------------------------------- (c) IPv6

scenario_v6() {
	in_cli "$TCPPROBE" --json --each -d "[$E2E_SRV6]:$PORT_REJECT" -s fd77::10 \
		-n "$FLOOD" -c "$FLOOD" >"$E2E_TMP/c_flood.json" 2>"$E2E_TMP/c_flood.err" &
	local flood_pid=$!
	E2E_PIDS+=("$flood_pid")
	probe c_calm -d "[$E2E_SRV6]:$PORT_REJECT" -s fd77::11 -n 3 --interval-ms 20
	wait "$flood_pid" || { tap_fail "(c) tcpprobe flood ran" "$(cat "$E2E_TMP/c_flood.err")"; return 0; }

	expect_rejected_burst c_flood "(c) reject, IPv6"
	expect c_calm "(c) IPv6: another source under its limit: 3 of 3 succeed" '.ok == 3' || :

	probe c_defer -d "[$E2E_SRV6]:$PORT_DEFER" -s fd77::12 -n 10 -c 10 -t 500
	expect c_defer "(c) defer, IPv6, -t 500: burst ok, the rest time out, none refused" \
		".ok >= $BURST and .ok <= $BURST_MAX and .timeout == 10 - .ok and .refused == 0" || :
}
scenario_v6

# ---------------------------------------------------------------- (d) block

scenario_block() {
	tap_check "(d) admctl block add 10.77.0.20/32" admctl block add 10.77.0.20/32 || return 0
	admctl block list --json >"$E2E_TMP/d_list.json" 2>&1 || :
	tap_assert "(d) block list --json shows 10.77.0.20/32" "$(cat "$E2E_TMP/d_list.json")" \
		"$(jq '[.. | objects | select(.cidr? == "10.77.0.20/32")] | length' \
			"$E2E_TMP/d_list.json" 2>/dev/null)" = 1 || :

	probe d_blocked -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.20 -n 3 -c 3 -t 500
	probe d_other -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.21 -n 3 -c 3 -t 500
	expect d_blocked "(d) blocked source: 3 of 3 time out (SYN dropped, not refused)" \
		'.timeout == 3' || :
	expect d_other "(d) another source: 3 of 3 succeed" '.ok == 3' || :

	tap_check "(d) admctl block del 10.77.0.20/32" admctl block del 10.77.0.20/32 || :
	probe d_unblocked -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.20 -n 3 -c 3 -t 500
	expect d_unblocked "(d) after block del: 3 of 3 succeed" '.ok == 3' || :

	# IPv6 and a TTL: blocked now, free again once it expires.
	tap_check "(d) admctl block add fd77::22/128 --ttl 2s" \
		admctl block add fd77::22/128 --ttl 2s || return 0
	probe d_ttl_on -d "[$E2E_SRV6]:$PORT_REJECT" -s fd77::22 -n 3 -c 3 -t 500
	expect d_ttl_on "(d) IPv6 source blocked with --ttl 2s: 3 of 3 time out" '.timeout == 3' || :
	sleep 2
	probe d_ttl_off -d "[$E2E_SRV6]:$PORT_REJECT" -s fd77::22 -n 3 -c 3 -t 500
	expect d_ttl_off "(d) after the TTL: 3 of 3 succeed" '.ok == 3' || :
}
scenario_block

# ---------------------------------------------------------------- (e) stats

# With --hold-ms and --rst an admitted connection is exactly three client
# packets (SYN, ACK, RST) and a refused one exactly one (the SYN), so the
# counters can be predicted exactly from what the client saw.
scenario_stats() {
	local before="$E2E_TMP/e_before.json" after="$E2E_TMP/e_after.json"
	local pass flow rej ok refused
	stats "$before" || { tap_fail "(e) admctl stats --json" "$(cat "$before.err")"; return 0; }
	probe e_flood -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.30 -n "$FLOOD" -c "$FLOOD" \
		--hold-ms 50 --rst
	stats "$after" || { tap_fail "(e) admctl stats --json" "$(cat "$after.err")"; return 0; }
	tap_ok "(e) admctl stats --json answers"

	ok=$(jget "$E2E_TMP/e_flood.json" .ok)
	refused=$(jget "$E2E_TMP/e_flood.json" .refused)
	rej=$(($(counter "$after" web reject rate_source) - $(counter "$before" web reject rate_source)))
	pass=$(($(counter "$after" web pass none) - $(counter "$before" web pass none)))
	flow=$(($(counter "$after" web pass flow) - $(counter "$before" web pass flow)))
	local detail
	detail="client: $(summary e_flood)"$'\n'"stats delta: reject/rate_source=$rej pass/none=$pass pass/flow=$flow"
	tap_assert "(e) stats: reject/rate_source SYNs == connections refused ($refused)" "$detail" \
		"$rej" -eq "$refused" || :
	tap_assert "(e) stats: pass/none SYNs == connections admitted ($ok)" \
		"$detail" "$pass" -eq "$ok" || :
	tap_assert "(e) stats: pass/flow packets == 2 x connections admitted (2 x $ok: ACK, RST)" \
		"$detail" "$flow" -eq $((2 * ok)) || :
	tap_assert "(e) stats: the flood was refused at all ($refused > 0)" "$detail" \
		"$refused" -gt 0 || :
}
scenario_stats

# ---------------------------------------------------------------- (f) shadow

scenario_shadow() {
	local before="$E2E_TMP/f_before.json" after="$E2E_TMP/f_after.json" wr pass flow
	e2e_admd_stop
	tap_assert "(f) after SIGTERM of admd, adm_xdp stays attached" \
		"xdp program: '$(e2e_srv_xdp_prog)'" "$(e2e_srv_xdp_prog)" = adm_xdp || :
	write_conf shadow
	e2e_admd_start "$CONF" || { tap_fail "(f) admd restarts in shadow mode" ""; return 0; }
	tap_ok "(f) admd restarts in shadow mode"
	stats "$before" || :
	probe f_flood -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.31 -n "$FLOOD" -c "$FLOOD" \
		--hold-ms 50 --rst
	stats "$after" || :
	expect f_flood "(f) shadow: $FLOOD of $FLOOD connections succeed, none refused" \
		".ok == $FLOOD and .refused == 0" || :
	wr=$(($(counter "$after" web would_reject rate_source) - $(counter "$before" web would_reject rate_source)))
	pass=$(($(counter "$after" web pass none) - $(counter "$before" web pass none)))
	flow=$(($(counter "$after" web pass flow) - $(counter "$before" web pass flow)))
	local detail
	detail="client: $(summary f_flood)"$'\n'"stats delta: would_reject/rate_source=$wr pass/none=$pass pass/flow=$flow"
	tap_assert "(f) shadow: would_reject/rate_source counts the over-limit SYNs ($((FLOOD - BURST_MAX))..$((FLOOD - BURST)))" \
		"$detail" "$wr" -ge $((FLOOD - BURST_MAX)) -a "$wr" -le $((FLOOD - BURST)) || :
	tap_assert "(f) shadow: would_reject + pass/none == every SYN ($FLOOD)" \
		"$detail" $((wr + pass)) -eq "$FLOOD" || :
	tap_assert "(f) shadow: pass/flow == 2 x $FLOOD (ACK, RST of every connection)" \
		"$detail" "$flow" -eq $((2 * FLOOD)) || :
	tap_assert "(f) shadow: nothing was actually rejected" "$detail" \
		"$(($(counter "$after" web reject rate_source) - $(counter "$before" web reject rate_source)))" -eq 0 || :
}
scenario_shadow

# ---------------------------------------------------------------- (g) kill -9, restart, cleanup

map_id() {
	bpftool -j map show pinned "$E2E_PIN/$1" 2>/dev/null | jq -r '.id'
}

scenario_lifecycle() {
	local id_before id_after pkts_before pkts_after
	e2e_admd_stop
	write_conf enforce
	e2e_admd_start "$CONF" || { tap_fail "(g) admd restarts in enforce mode" ""; return 0; }
	id_before=$(map_id adm_stats)
	stats "$E2E_TMP/g_before.json" || :
	pkts_before=$(counter "$E2E_TMP/g_before.json" web reject rate_source)

	kill -KILL "$E2E_ADMD_PID"
	e2e_wait_for 5 "admd to die" bash -c "! kill -0 $E2E_ADMD_PID" || :
	e2e_admd_stop	# reaps the timeout wrapper
	tap_assert "(g) after kill -9 of admd, adm_xdp is still attached" \
		"xdp program: '$(e2e_srv_xdp_prog)'" "$(e2e_srv_xdp_prog)" = adm_xdp || :
	probe g_killed -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.32 -n "$FLOOD" -c "$FLOOD"
	expect_rejected_burst g_killed "(g) admd killed, enforcement continues"

	e2e_admd_start "$CONF" || { tap_fail "(g) admd restarts after kill -9" ""; return 0; }
	tap_ok "(g) admd restarts after kill -9"
	id_after=$(map_id adm_stats)
	stats "$E2E_TMP/g_after.json" || :
	pkts_after=$(counter "$E2E_TMP/g_after.json" web reject rate_source)
	tap_assert "(g) the restarted admd reuses the pinned maps (adm_stats id $id_before)" \
		"adm_stats map id before $id_before, after $id_after" \
		-n "$id_before" -a "$id_before" = "$id_after" || :
	tap_assert "(g) counters survive the restart ($pkts_before + this flood's refusals)" \
		"reject/rate_source before $pkts_before after $pkts_after; $(summary g_killed)" \
		"$pkts_after" -eq $((pkts_before + $(jget "$E2E_TMP/g_killed.json" .refused))) || :
	probe g_restarted -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.33 -n "$FLOOD" -c "$FLOOD"
	expect_rejected_burst g_restarted "(g) restarted admd enforces"

	e2e_admd_stop
	tap_check "(g) admd --cleanup" e2e_admd_cleanup || :
	# shellcheck disable=SC2034 # read by e2e_cleanup: --cleanup is done
	E2E_ADMD_CONF=""
	tap_assert "(g) after --cleanup no XDP program on $E2E_SRV_IF" \
		"xdp program: '$(e2e_srv_xdp_prog)'" -z "$(e2e_srv_xdp_prog)" || :
	tap_assert "(g) after --cleanup no pins are left under the pin root" \
		"$(ls -la "$E2E_PIN" 2>&1)" -z "$(ls -A "$E2E_PIN" 2>/dev/null)" || :
	probe g_clean -d "$E2E_SRV4:$PORT_REJECT" -s 10.77.0.34 -n "$FLOOD" -c "$FLOOD"
	expect g_clean "(g) after --cleanup: $FLOOD of $FLOOD connections succeed, none refused" \
		".ok == $FLOOD and .refused == 0" || :
}
scenario_lifecycle

tap_plan_done
