#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The polite refusal as a user sees it: a real admd on the server side of a
# veth, a real HTTP-ish backend (tcpsrv answering "200 ok"), and curl in the
# client namespace.
#
#   (a) on_rate = reply: a curl over its rate gets HTTP 503 with a
#       Retry-After in retry_after..retry_after + retry_after_jitter, fast
#       (median time to the answer under 10 ms), and the backend never sees
#       the request; IPv4 and IPv6; counted as verdict `reply`;
#   (b) the responder's cap: with reply_max connections held open by a
#       client that does not read, the next refusal is an RST (curl:
#       connection refused), counted as a fallback; once they time out,
#       503s again;
#   (c) a TLS service (tls = yes) answers reply with an RST;
#   (e) `admctl limits set SERVICE on_rate reply` on a reject service
#       turns its RSTs into 503s at once;
#   (d) admd killed -9: refusals fall back to RST (no hang); a restarted
#       admd answers 503 again through the pinned sk_lookup link.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

TCPHOLD="$BUILD/tests/e2e/tools/tcphold"
PORT_WEB=8080
PORT_TLS=8443
PORT_LIVE=8082
RETRY=7		# [reply] retry_after
JITTER=3	# [reply] retry_after_jitter
REPLY_MAX=2
TIMEOUT_S=6	# [reply] reply_timeout
N=15		# refused curls per family
FAST_US=10000	# the issue's bound (10 ms) on the median time to the 503
SLOW_US=500000	# no single refusal may take a retransmit (1 s)

e2e_init "$ADMD" "$ADMCTL" "$TCPHOLD"
command -v curl >/dev/null || e2e_skip_all "curl is not installed (scripts/deps.sh installs it)"
e2e_topology

CONF="$E2E_TMP/adm.conf"
cat >"$CONF" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
xdp_mode = auto

[reply]
retry_after = $RETRY
retry_after_jitter = $JITTER
reply_max = $REPLY_MAX
reply_timeout = ${TIMEOUT_S}s

[service web]
ports = $PORT_WEB
new_conn_rate = 1/m
new_conn_burst = 1
on_rate = reply
ipv6_prefix = 128

[service plain]
ports = $PORT_LIVE
new_conn_rate = 1/m
new_conn_burst = 1
on_rate = reject
ipv6_prefix = 128

[service tlsweb]
ports = $PORT_TLS
new_conn_rate = 1/m
new_conn_burst = 1
on_rate = reply
tls = yes
ipv6_prefix = 128
EOF

# fetch NAME SRC URL: one curl in the client namespace; "CODE US EXIT" (US:
# curl's total time in microseconds) and
# the headers in $E2E_TMP/NAME.hdr. Never takes more than 5 s.
fetch() {
	local name=$1 src=$2 url=$3 out rc=0
	out=$(in_cli curl -sS -o /dev/null -D "$E2E_TMP/$name.hdr" --interface "$src" \
		--max-time 5 -w '%{http_code} %{time_total}' "$url" 2>"$E2E_TMP/$name.err") || rc=$?
	awk -v rc="$rc" '{ printf "%s %d %d\n", $1, $2 * 1000000, rc }' <<<"${out:-000 0}"
}

# retry_after NAME: the Retry-After value of fetch NAME's answer ("" if none).
retry_after() {
	tr -d '\r' <"$E2E_TMP/$1.hdr" | awk -F': ' 'tolower($1) == "retry-after" { print $2 }'
}

# refusals NAME SRC URL: N fetches one after another; summary line in
# $E2E_TMP/NAME.res: count503 bad_retry_after median_us max_us.
refusals() {
	local name=$1 src=$2 url=$3 i code us rc ra n503=0 badra=0
	: >"$E2E_TMP/$name.us"
	for ((i = 0; i < N; i++)); do
		read -r code us rc < <(fetch "$name.$i" "$src" "$url")
		[ "$code" = 503 ] && n503=$((n503 + 1))
		ra=$(retry_after "$name.$i")
		if ! [[ "$ra" =~ ^[0-9]+$ ]] || [ "$ra" -lt "$RETRY" ] ||
		   [ "$ra" -gt $((RETRY + JITTER)) ]; then
			badra=$((badra + 1))
		fi
		echo "$us" >>"$E2E_TMP/$name.us"
	done
	echo "$n503 $badra $(sort -n "$E2E_TMP/$name.us" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[NR] }')" \
		>"$E2E_TMP/$name.res"
}

# metric NAME: one sample of admd's /metrics (0 if absent).
metric() {
	in_srv curl -s --max-time 5 http://127.0.0.1:9110/metrics |
		awk -v m="$1" '$1 == m { print $2; found = 1 } END { if (!found) print 0 }'
}

# open_is N: the responder has N connections open.
open_is() { [ "$(metric adm_reply_open)" = "$1" ]; }

# ---------------------------------------------------------------- start

e2e_tcpsrv srv -l "$E2E_SRV4:$PORT_WEB" -l "[$E2E_SRV6]:$PORT_WEB" \
	-l "$E2E_SRV4:$PORT_TLS" -l "$E2E_SRV4:$PORT_LIVE" \
	--reply $'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n'
SRV_PID=$E2E_BG_PID

e2e_admd_start "$CONF"
tap_ok "admd starts with on_rate = reply and reports ready"

# ---------------------------------------------------------------- (a) 503 with Retry-After

scenario_reply() {
	local fam=$1 src=$2 url=$3 before after code us rc n503 badra med max replies
	read -r code us rc < <(fetch "a$fam.first" "$src" "$url")
	tap_assert "(a) IPv$fam: the first request (the source's burst) reaches the backend: 200" \
		"curl: code $code exit $rc $(cat "$E2E_TMP/a$fam.first.err")" "$code" = 200 || :
	stats "$E2E_TMP/a$fam.before.json"
	refusals "a$fam" "$src" "$url"
	stats "$E2E_TMP/a$fam.after.json"
	read -r n503 badra med max <"$E2E_TMP/a$fam.res"
	e2e_note "IPv$fam: time to the 503 (curl total, us): median $med, max $max; all: $(tr '\n' ' ' <"$E2E_TMP/a$fam.us")"
	tap_assert "(a) IPv$fam: $N requests over the rate: every one answered 503" \
		"503s: $n503; last headers: $(tr -d '\r' <"$E2E_TMP/a$fam.$((N - 1)).hdr")" "$n503" -eq "$N" || :
	tap_assert "(a) IPv$fam: every 503 carries Retry-After in $RETRY..$((RETRY + JITTER))" \
		"answers without a valid Retry-After: $badra" "$badra" -eq 0 || :
	tap_assert "(a) IPv$fam: median time to the 503 < $((FAST_US / 1000)) ms (curl's total: connect, request, answer)" \
		"median ${med} us, max ${max} us" "$med" -lt "$FAST_US" || :
	tap_assert "(a) IPv$fam: no refusal waited for a retransmit (max < $((SLOW_US / 1000)) ms)" \
		"max ${max} us" "$max" -lt "$SLOW_US" || :
	before=$(counter "$E2E_TMP/a$fam.before.json" web reply rate_source)
	after=$(counter "$E2E_TMP/a$fam.after.json" web reply rate_source)
	replies=$((after - before))
	tap_assert "(a) IPv$fam: admctl stats counts them as reply/rate_source ($N)" \
		"delta $replies" "$replies" -eq "$N" || :
	before=$(counter "$E2E_TMP/a$fam.before.json" web pass none)
	after=$(counter "$E2E_TMP/a$fam.after.json" web pass none)
	tap_assert "(a) IPv$fam: no refused SYN was admitted to the service (pass/none unchanged)" \
		"pass/none delta $((after - before))" "$after" -eq "$before" || :
}
scenario_reply 4 10.77.0.20 "http://$E2E_SRV4:$PORT_WEB/"
scenario_reply 6 fd77::20 "http://[$E2E_SRV6]:$PORT_WEB/"

live=$(admctl status --json | jq '[.services[] | select(.name == "web") | .live] | add // 0' 2>/dev/null || echo "?")
tap_assert "(a) the responder's connections hold no slot of the service (live 0 after the backend closed)" \
	"web live: $live" "$live" = 0 || :

st=$(admctl status 2>&1 | grep 'reply:' || :)
tap_assert "(a) admctl status shows the responder (open, cap, Retry-After, sent)" \
	"$(admctl status 2>&1 | head -20)" -n "$st" || :
e2e_note "admctl status: $st"

# ---------------------------------------------------------------- (b) the cap

scenario_cap() {
	local code us rc full0 full1 open
	# Source .30: its first connection is the backend's (burst 1), the next
	# two are refused into the responder and held without reading.
	e2e_bg hold cli "$TCPHOLD" -d "$E2E_SRV4:$PORT_WEB" -s 10.77.0.30 -n $((REPLY_MAX + 1)) \
		--no-read --status "$E2E_TMP/hold.status" --max-seconds 20
	e2e_wait_for 3 "the responder full" open_is "$REPLY_MAX" || :
	open=$(metric adm_reply_open)
	tap_assert "(b) $REPLY_MAX refused connections that do not read hold the responder ($REPLY_MAX open)" \
		"adm_reply_open $open; tcphold: $(cat "$E2E_TMP/hold.status" 2>/dev/null)" "$open" = "$REPLY_MAX" || :
	full0=$(metric 'adm_reply_fallback_total{cause="full"}')
	read -r code us rc < <(fetch b.over 10.77.0.20 "http://$E2E_SRV4:$PORT_WEB/")
	full1=$(metric 'adm_reply_fallback_total{cause="full"}')
	tap_assert "(b) past reply_max the next refusal is an RST: curl 'connection refused' (exit 7) in < $((SLOW_US / 1000)) ms" \
		"code $code, ${us} us, exit $rc: $(cat "$E2E_TMP/b.over.err")" "$rc" -eq 7 -a "$us" -lt "$SLOW_US" || :
	tap_assert "(b) counted: adm_reply_fallback_total{cause=\"full\"} +1" \
		"$full0 -> $full1" "$full1" -eq $((full0 + 1)) || :
	# A socket table recount while they are held: the responder's
	# connections (marked) are not the service's, not even untracked ones.
	sleep 1.5
	local untracked
	untracked=$(admctl status --json | jq '[.services[] | select(.name == "web") | .. | objects | .untracked? // empty] | first // "none"')
	tap_assert "(b) the socket table recount does not see the responder's connections as the service's (untracked 0)" \
		"web untracked: $untracked; $(admctl status --json | jq -c '.services[] | select(.name == "web")')" "$untracked" = 0 || :
	# The held connections end at reply_timeout: 503s again.
	e2e_wait_for $((TIMEOUT_S + 3)) "the responder's held connections timed out" open_is 0 || :
	read -r code us rc < <(fetch b.again 10.77.0.20 "http://$E2E_SRV4:$PORT_WEB/")
	tap_assert "(b) after reply_timeout freed the responder: 503 again" \
		"code $code exit $rc; timeouts $(metric adm_reply_timeouts_total)" "$code" = 503 || :
}
scenario_cap

# ---------------------------------------------------------------- (c) TLS

scenario_tls() {
	local code us rc
	read -r code us rc < <(fetch c.first 10.77.0.21 "http://$E2E_SRV4:$PORT_TLS/")
	read -r code us rc < <(fetch c.over 10.77.0.21 "http://$E2E_SRV4:$PORT_TLS/")
	tap_assert "(c) tls = yes: a refusal with reply is an RST (curl exit 7), fast" \
		"code $code, ${us} us, exit $rc: $(cat "$E2E_TMP/c.over.err")" "$rc" -eq 7 -a "$us" -lt "$SLOW_US" || :
	local lim
	lim=$(admctl limits show tlsweb --json 2>/dev/null | jq -r '.. | objects | select(has("on_rate")) | .on_rate' 2>/dev/null | head -1)
	e2e_note "admctl limits show tlsweb: on_rate = ${lim:-?}"
}
scenario_tls

# ---------------------------------------------------------------- (e) set live

scenario_live() {
	local code us rc
	read -r code us rc < <(fetch e.first 10.77.0.22 "http://$E2E_SRV4:$PORT_LIVE/")
	read -r code us rc < <(fetch e.reject 10.77.0.22 "http://$E2E_SRV4:$PORT_LIVE/")
	tap_assert "(e) on_rate = reject: an RST (exit 7)" "code $code exit $rc" "$rc" -eq 7 || :
	tap_check "(e) admctl limits set plain on_rate reply" admctl limits set plain on_rate reply || return 0
	read -r code us rc < <(fetch e.reply 10.77.0.22 "http://$E2E_SRV4:$PORT_LIVE/")
	tap_assert "(e) set live: the next refusal is a 503 with Retry-After" \
		"code $code exit $rc; Retry-After '$(retry_after e.reply)'" "$code:$(retry_after e.reply | grep -c .)" = 503:1 || :
}
scenario_live

# ---------------------------------------------------------------- (d) admd killed

scenario_killed() {
	local code us rc
	kill -KILL "$E2E_ADMD_PID"
	wait "$E2E_ADMD_PID" 2>/dev/null || :
	# At once: XDP still trusts the last heartbeat and steers the SYN, but
	# the responder's socket died with admd: sk_lookup refuses the lookup
	# (SK_DROP), the kernel finds no socket and answers RST; the SYN never
	# reaches the service.
	read -r code us rc < <(fetch d.now 10.77.0.20 "http://$E2E_SRV4:$PORT_WEB/")
	local missed
	missed=$(bpftool -j map dump pinned "$E2E_PIN/adm_reply_ctl" 2>/dev/null |
		jq '.[0].formatted.value.missed // .[0].value.missed // "?"' 2>/dev/null || echo "?")
	tap_assert "(d) right after kill -9 (heartbeat still trusted): the steered SYN is refused, never admitted (exit 7 within 4 s)" \
		"code $code, ${us} us, exit $rc: $(cat "$E2E_TMP/d.now.err"); adm_reply_ctl.missed $missed" \
		"$rc" -eq 7 -a "$us" -lt 4000000 || :
	e2e_note "right after kill -9: refused after ${us} us, adm_reply_ctl.missed = $missed"
	sleep 1.5	# past the responder's heartbeat (1 s)
	read -r code us rc < <(fetch d.dead 10.77.0.20 "http://$E2E_SRV4:$PORT_WEB/")
	tap_assert "(d) admd killed -9: a refusal is an RST (exit 7) in < $((SLOW_US / 1000)) ms, not a hang" \
		"code $code, ${us} us, exit $rc: $(cat "$E2E_TMP/d.dead.err")" "$rc" -eq 7 -a "$us" -lt "$SLOW_US" || :
	e2e_admd_start "$CONF" || { tap_fail "(d) admd restarts"; return 0; }
	read -r code us rc < <(fetch d.back 10.77.0.20 "http://$E2E_SRV4:$PORT_WEB/")
	tap_assert "(d) restarted admd (pinned sk_lookup link updated in place): 503 again" \
		"code $code exit $rc: $(cat "$E2E_TMP/d.back.err"); admd log: $(grep -i 'responder' "$E2E_ADMD_LOG" | tail -3)" \
		"$code" = 503 || :
}
scenario_killed

# ---------------------------------------------------------------- the backend

e2e_admd_stop
e2e_kill "$SRV_PID"
accepted=$(sed -n 's/.*accepted=\([0-9]*\).*/\1/p' "$E2E_TMP/srv.log" | tail -1)
# Admitted: one request per family of (a), tcphold's first connection,
# and the first of (c) and of (e).
tap_assert "the backend accepted only the admitted connections (5), none of the refused ones" \
	"tcpsrv: $(tail -1 "$E2E_TMP/srv.log")" "${accepted:-x}" = 5 || :

# sk_lookup links attached to the server namespace (admd's).
sklookup_links() {
	local ino
	ino=$(stat -L -c %i "/run/netns/$E2E_NS_SRV")
	bpftool -j link show | jq --argjson ino "$ino" \
		'[.[] | select(.attach_type == "sk_lookup" and .netns_ino == $ino)] | length'
}
before=$(sklookup_links)
e2e_admd_cleanup >/dev/null 2>&1 || :
after=$(sklookup_links)
tap_assert "admd --cleanup detaches adm_lookup from the namespace (1 link before, 0 after)" \
	"sk_lookup links on the server namespace: $before -> $after" "$before:$after" = 1:0 || :
tap_plan_done
