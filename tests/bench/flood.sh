#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The flood benchmark (TESTING.md, "Flood"): legitimate users keep
# connecting while a spoofed-source SYN flood arrives at the generator's
# maximum rate, against the peers a user would pick instead of adm, all in
# one run:
#   none        tcpsrv alone: the kernel's SYN queue and SYN cookies
#   xdp_floor   the cheapest XDP filter there is for this flood (drop IPv4
#               from the flood's /17, pass the rest; built here with clang):
#               what any XDP program costs on this veth, the floor adm
#               cannot go below
#   adm         admd with `verify = yes`: a source earns its own rate budget
#               by completing a handshake; SYNs of unverified sources are
#               charged to a budget per /24 and one service-wide new-source
#               budget and dropped in XDP beyond them
#   nft_verify  the same policy in nftables (server namespace, input hook):
#               sources of a connection conntrack marked assured (the
#               handshake completed) go into a set; their SYNs pass a
#               per-source meter, everyone else's a per-/24 meter and a
#               global limit. It needs conntrack: every flood SYN is looked
#               up and gets an (unconfirmed) entry before the filter drops
#               it. (Not `ct state established`: conntrack calls a flow
#               established once the server answered, so a spoofed SYN sent
#               twice would pass as verified.)
#   nft_meter   the rule most people write: a per-source meter on new SYNs
#               (`meter { ip saddr limit rate 10/second burst 20 }`), the
#               rest dropped. Against random sources it admits nearly all
#               of the flood: each spoofed address sends only a few SYNs.
#               Its rounds run after every other peer's: it leaves the
#               namespace's conntrack table full (half-open entries, 60 s),
#               which would slow whatever ran after it
# The flood: tests/e2e/tools/synflood from the client namespace into the
# veth, unpaced (as fast as the generator's core and the veth take frames;
# at nice 19, so it does not starve a receive path sharing its CPU),
# random sources in 10.77.128.0/17 (128 /24s, 32768 addresses), bounded by
# FLOOD_SECONDS and a count far above what it reaches. The server routes
# the flood's addresses to a discarding device, so SYN-ACKs cost what
# sending them costs, not a receive in the client namespace.
# Legitimate users: 20 addresses (10.77.0.10-29) that completed one
# handshake each before the flood (every peer gets the same warm-up), then
# 100 connections/s in all (5/s each) during the flood, each a tcpprobe
# request/reply with a 3 s timeout.
#
# Per peer: the frames the generator sent (its own count) and its rate;
# legitimate success (and how many waited >= 1 s: a lost SYN, retransmitted);
# the flood's share dropped, and where, from the peer's own counters (adm:
# `admctl stats --json` drop counters; xdp_floor: the veth's XDP drop
# counter; nftables: its rule counters) over the frames sent; the segments
# that reached TCP in the server namespace (Tcp InSegs); CPU from /proc/stat
# over the flood window, whole host: softirq (the receive path: veth NAPI,
# XDP, netfilter, TCP; tick-sampled, this kernel has no
# IRQ_TIME_ACCOUNTING) and all busy time (which includes the generator:
# building frames, AF_PACKET, and retrying frames a full veth ring
# refused), per million frames sent.
# The peers run in ROUNDS interleaved rounds (2; QUICK: 1); the CPU columns
# show each peer's lowest round (work of others on the host only adds), the
# other columns the sum of the rounds. Before each flood BG_SECONDS of the
# idle host are measured: another benchmark running shows up there.
#
# Writes $1 (default $BUILD/bench/flood.json) and prints a markdown table.
# Not a test: numbers, comparable only within one run (2 cores, noisy).
#   QUICK=1   one round of 3 s floods (about 35 s in all; full: ~100 s)
#   PEERS="none adm"   a subset, in that order; ROUNDS=N, FLOOD_SECONDS=N
#   FLOOD_FILL=N   adm: N more verified sources in adm_src (fillmap, in
#             10.0.0.0/14, outside the flood's /17) and the stranger filter
#             rebuilt over them before the warm-up: the flood path with that
#             many bits set in adm_src_summary and adm_src_filter
# shellcheck source=scripts/lib/netns.sh
. "$(dirname "$0")/../../scripts/lib/netns.sh"
E2E_NAME=flood

OUT=${1:-$BUILD/bench/flood.json}
QUICK=${QUICK:-0}
SYNFLOOD="$BUILD/tests/e2e/tools/synflood"
FILLMAP="$BUILD/tests/bench/fillmap"
FLOOD_FILL=${FLOOD_FILL:-0}
PORT=8080
FLOOD_NET=10.77.128.0/17
if [ "$QUICK" = 1 ]; then
	FLOOD_SECONDS=${FLOOD_SECONDS:-3}
	ROUNDS=${ROUNDS:-1}
else
	FLOOD_SECONDS=${FLOOD_SECONDS:-6}
	ROUNDS=${ROUNDS:-2}
fi
# A bound only, far above what one core reaches: frames the veth refuses
# (its ring full) count towards it too.
FLOOD_COUNT=$((FLOOD_SECONDS * 10000000))
[ "$FLOOD_COUNT" -le 100000000 ] || FLOOD_COUNT=100000000
BG_SECONDS=${BG_SECONDS:-1}
# Legitimate users
LEGIT_FIRST=10
LEGIT_N=20
LEGIT_INTERVAL_MS=10			# 100 connections/s in all, 5/s per source
LEGIT_START_MS=500			# after the flood started
LEGIT_TIMEOUT_MS=3000
LEGIT_COUNT=$(((FLOOD_SECONDS * 1000 - LEGIT_START_MS - 500) / LEGIT_INTERVAL_MS))
# The policy, the same for adm and nft_verify (nft_meter: SRC_* only)
SRC_RATE=10		# a verified source: new connections/s
SRC_BURST=20
UNV_RATE=20		# unverified sources, per /24
UNV_BURST=20
NEWSRC_RATE=50		# unverified sources, all of them
NEWSRC_BURST=50
PEERS=${PEERS:-none xdp_floor adm nft_verify nft_meter}
RES="" NOTES=() SRV_PID=""
HZ=$(getconf CLK_TCK)

# ------------------------------------------------------------ setup

skip_peer() {
	PEERS=$(echo " $PEERS " | sed "s/ $1 / /g; s/^ *//; s/ *$//")
	NOTES+=("peer $1 skipped: $2")
}
has_peer() { case " $PEERS " in *" $1 "*) return 0 ;; esac; return 1; }

e2e_init "$ADMD" "$ADMCTL" "$SYNFLOOD"
[ "$FLOOD_FILL" = 0 ] || [ -x "$FILLMAP" ] || e2e_missing_bins "$FILLMAP"
for p in nft_verify nft_meter; do
	has_peer "$p" && ! command -v nft >/dev/null 2>&1 &&
		skip_peer "$p" "nft is not installed (scripts/deps.sh installs it)"
done
command -v ethtool >/dev/null 2>&1 || NOTES+=("ethtool is not installed: no veth XDP counters")
e2e_topology
RES="$E2E_TMP/results"
mkdir -p "$RES"
SRV_MAC=$(ip -n "$E2E_NS_SRV" -j link show dev "$E2E_SRV_IF" | jq -r '.[0].address')
LEGIT_SRC=()
for ((i = LEGIT_FIRST; i < LEGIT_FIRST + LEGIT_N; i++)); do LEGIT_SRC+=(-s "10.77.0.$i"); done

# The server answers the flood's sources (as it would through a default
# route): its SYN-ACKs leave through a device that discards them (a veth
# whose peer is down), as they would leave through a NIC, instead of
# landing in the client namespace's stack. One gateway on a NOARP device:
# no neighbour resolution, one neighbour entry for the whole /17.
e2e_quiet ip -n "$E2E_NS_SRV" link add flood0 type veth peer name flood1
e2e_quiet ip -n "$E2E_NS_SRV" link set flood0 arp off up
e2e_quiet ip -n "$E2E_NS_SRV" route add "$FLOOD_NET" via 10.77.64.1 dev flood0 onlink

# The floor program (XDP_DROP = 1, XDP_PASS = 2).
cat >"$E2E_TMP/floor.c" <<'EOC'
typedef unsigned int __u32;
struct xdp_md { __u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };
__attribute__((section("xdp"), used)) int flood_floor(struct xdp_md *ctx)
{
	unsigned char *d = (unsigned char *)(long)ctx->data;
	unsigned char *end = (unsigned char *)(long)ctx->data_end;

	if (d + 34 > end || d[12] != 0x08 || d[13] != 0x00)
		return 2;
	if (d[26] == 10 && d[27] == 77 && (d[28] & 0x80))
		return 1;	/* from 10.77.128.0/17 */
	return 2;
}
char _license[] __attribute__((section("license"), used)) = "GPL";
EOC
if has_peer xdp_floor; then
	if ! command -v clang >/dev/null 2>&1; then
		skip_peer xdp_floor "clang is not installed"
	elif ! clang -O2 -target bpf -c "$E2E_TMP/floor.c" -o "$E2E_TMP/floor.o" >"$E2E_TMP/floor.log" 2>&1; then
		skip_peer xdp_floor "its program does not build: $(head -n 3 "$E2E_TMP/floor.log")"
	fi
fi

cat >"$E2E_TMP/adm.conf.in" <<EOF
[adm]
interfaces = $E2E_SRV_IF
pin_root = $E2E_PIN
cgroup = $E2E_CGROUP
xdp_mode = native

src_filter_rebuild_s = REBUILD_S

[metrics]
listen = off

[service web]
ports = $PORT
verify = yes
new_conn_rate = $SRC_RATE/s
new_conn_burst = $SRC_BURST
unverified_rate = $UNV_RATE/s
unverified_burst = $UNV_BURST
new_source_rate = $NEWSRC_RATE/s
new_source_burst = $NEWSRC_BURST
on_rate = reject
EOF

# Rule comments name the reasons as adm does (admctl stats).
cat >"$E2E_TMP/nft_verify.nft" <<EOF
table inet admflood {
	set verified {
		type ipv4_addr
		size 65536
		flags dynamic,timeout
		timeout 1h
	}
	set src_rate {
		type ipv4_addr
		size 65536
		flags dynamic,timeout
		timeout 10s
	}
	set prefix_rate {
		type ipv4_addr
		size 65536
		flags dynamic,timeout
		timeout 10s
	}
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport $PORT ct status assured ip saddr != @verified add @verified { ip saddr }
		tcp dport $PORT tcp flags & (fin | syn | rst | ack) == syn jump admit
	}
	chain admit {
		ip saddr @verified jump admit_verified
		add @prefix_rate { ip saddr & 255.255.255.0 limit rate over $UNV_RATE/second burst $UNV_BURST packets } counter drop comment "rate_prefix_unverified"
		limit rate over $NEWSRC_RATE/second burst $NEWSRC_BURST packets counter drop comment "rate_new_sources"
		counter accept comment "admitted_unverified"
	}
	chain admit_verified {
		add @src_rate { ip saddr limit rate over $SRC_RATE/second burst $SRC_BURST packets } counter drop comment "rate_source"
		counter accept comment "admitted_verified"
	}
}
EOF
cat >"$E2E_TMP/nft_meter.nft" <<EOF
table inet admflood {
	chain input {
		type filter hook input priority filter; policy accept;
		tcp dport $PORT tcp flags & (fin | syn | rst | ack) == syn ct state new jump admit
	}
	chain admit {
		meter src_rate size 65536 { ip saddr timeout 10s limit rate $SRC_RATE/second burst $SRC_BURST packets } counter accept comment "admitted"
		counter drop comment "rate_source"
	}
}
EOF

# ------------------------------------------------------------ measuring

# cpu_json: /proc/stat's cpu lines (USER_HZ ticks), all and per CPU, and the time.
cpu_json() {
	awk -v t="$(date +%s%N)" '
		$1 ~ /^cpu[0-9]*$/ {
			s = sprintf("{\"user\":%d,\"nice\":%d,\"system\":%d,\"idle\":%d,\"iowait\":%d,\"irq\":%d,\"softirq\":%d,\"steal\":%d}",
				$2, $3, $4, $5, $6, $7, $8, $9)
			if ($1 == "cpu") all = s; else per = per (per ? "," : "") s
		}
		END { printf "{\"t_ns\":%s,\"all\":%s,\"cpus\":[%s]}\n", t, all, per }' /proc/stat
}
# cpu_delta A B: CPU-seconds of each column between two cpu_json files.
cpu_delta() {
	jq -n --slurpfile a "$1" --slurpfile b "$2" --argjson hz "$HZ" '
		def cols($a; $b):
			def d($k): ($b[$k] - $a[$k]) / $hz;
			{user_s: (d("user") + d("nice")), system_s: d("system"), irq_s: d("irq"),
			 softirq_s: d("softirq"), idle_s: (d("idle") + d("iowait")), steal_s: d("steal")} |
			.busy_s = (((.user_s + .system_s + .irq_s + .softirq_s + .steal_s) * 100 | round) / 100);
		$a[0] as $a | $b[0] as $b |
		{window_s: ((($b.t_ns - $a.t_ns) / 1e6 | round) / 1000)} + cols($a.all; $b.all) +
		{per_cpu: [range($b.cpus | length) as $i | cols($a.cpus[$i]; $b.cpus[$i]) | {softirq_s, busy_s}]}'
}

# tcp_mib: the server namespace's Tcp and TcpExt counters as one object.
tcp_mib() {
	in_srv cat /proc/net/snmp /proc/net/netstat | awk '
		$1 == "Tcp:" || $1 == "TcpExt:" {
			if (!($1 in hdr)) { hdr[$1] = 1; for (i = 2; i <= NF; i++) name[$1, i] = $i; next }
			for (i = 2; i <= NF; i++) out = out sprintf("%s\"%s\":%s", out ? "," : "", name[$1, i], $i)
		}
		END { print "{" out "}" }'
}

# veth_json: vsrv's rx counters and XDP counters (ethtool -S), vcli's tx.
veth_json() {
	local eth
	eth=$(in_srv ethtool -S "$E2E_SRV_IF" 2>/dev/null | awk -F: '
		NR > 1 { gsub(/ /, "", $1); gsub(/ /, "", $2); out = out sprintf("%s\"%s\":%s", out ? "," : "", $1, $2) }
		END { print "{" out "}" }') || eth='{}'
	jq -n --argjson srv "$(ip -n "$E2E_NS_SRV" -s -j link show dev "$E2E_SRV_IF" | jq '.[0].stats64.rx')" \
	      --argjson cli "$(ip -n "$E2E_NS_CLI" -s -j link show dev "$E2E_CLI_IF" | jq '.[0].stats64.tx')" \
	      --argjson eth "$eth" '{vsrv_rx: $srv, vcli_tx: $cli, vsrv_ethtool: $eth}'
}

# peer_stats PEER FILE: the peer's own counters (null if it has none).
peer_stats() {
	case "$1" in
	adm) admctl stats --json >"$2" 2>/dev/null || echo null >"$2" ;;
	nft_*)
		in_srv nft -j list table inet admflood 2>/dev/null |
			jq '{counters: [.nftables[] | select(.rule) | .rule |
				select(any(.expr[]; .counter)) |
				{reason: .comment,
				 packets: ([.expr[] | select(.counter) | .counter.packets] | add)}]}' \
			>"$2" 2>/dev/null || echo null >"$2" ;;
	*) echo null >"$2" ;;
	esac
}

# proc_ticks PID: utime + stime of a process, in USER_HZ ticks (0 if gone).
proc_ticks() {
	[ -n "$1" ] && awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# proc_wakeups PID: voluntary context switches of the process's main
# thread (admd: its event loop, one per wakeup), 0 if gone.
proc_wakeups() {
	[ -n "$1" ] && awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# xdp_prog_stats: {id, run_cnt, run_time_ns} of the XDP program on the
# server's veth (kernel.bpf_stats_enabled=1 during the flood), or null.
xdp_prog_stats() {
	local id
	id=$(ip -n "$E2E_NS_SRV" -j link show dev "$E2E_SRV_IF" | jq -r '.[0].xdp.prog.id // empty')
	[ -n "$id" ] || { echo null; return 0; }
	bpftool -j prog show id "$id" 2>/dev/null |
		jq -c '{id, name, run_cnt: (.run_cnt // 0), run_time_ns: (.run_time_ns // 0)}' || echo null
}

ct_count() { in_srv cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo null; }

# ------------------------------------------------------------ peers

peer_up() {
	case "$1" in
	none) ;;
	xdp_floor)
		e2e_quiet ip -n "$E2E_NS_SRV" link set dev "$E2E_SRV_IF" xdp \
			obj "$E2E_TMP/floor.o" sec xdp || return 1 ;;
	adm)
		if [ "$FLOOD_FILL" = 0 ]; then
			sed 's/REBUILD_S/60/' "$E2E_TMP/adm.conf.in" >"$E2E_TMP/adm.conf"
			e2e_admd_start "$E2E_TMP/adm.conf" || return 1
		else
			sed 's/REBUILD_S/1/' "$E2E_TMP/adm.conf.in" >"$E2E_TMP/adm.conf"
			e2e_admd_start "$E2E_TMP/adm.conf" && adm_fill || return 1
		fi ;;
	nft_*) e2e_quiet in_srv nft -f "$E2E_TMP/$1.nft" || return 1 ;;
	esac
	e2e_tcpsrv "srv-$RUN" -l "$E2E_SRV4:$PORT" || return 1
	SRV_PID=$E2E_BG_PID
}

# adm_fill: FLOOD_FILL sources into adm_src, a rebuild of the filter over
# them (every second until then), then a reload to the default period, so
# no rebuild runs during the flood.
adm_fill() {
	local id n i keys=0
	id=$(admctl status --json | jq -r '[.services[]? | select(.name == "web") | .id][0] // 1')
	n=$("$FILLMAP" "$E2E_PIN/adm_src" "$id" "$FLOOD_FILL") || return 1
	for ((i = 0; i < 100; i++)); do
		sleep 0.1
		keys=$(admctl status --json | jq -r '.sockets.src_filter.keys // 0')
		[ "$keys" -ge "$n" ] && break
	done
	[ "$keys" -ge "$n" ] || { NOTES+=("$RUN: fill: the filter was rebuilt over $keys keys, not $n"); return 1; }
	sed 's/REBUILD_S/3600/' "$E2E_TMP/adm.conf.in" >"$E2E_TMP/adm.conf"
	kill -HUP "$E2E_ADMD_PID"
	sleep 1.5
	NOTES+=("$RUN: adm_src filled with $n sources; filter rebuilt over $keys keys; filter $(admctl status --json | jq -c '{summary: .src_filter, rebuild: .sockets.src_filter | {bits_after, last_rebuild_ms}}')")
}

peer_down() {
	[ -n "$SRV_PID" ] && e2e_kill "$SRV_PID"
	SRV_PID=""
	case "$1" in
	xdp_floor) ip -n "$E2E_NS_SRV" link set dev "$E2E_SRV_IF" xdp off >/dev/null 2>&1 || true ;;
	adm)
		[ -n "$E2E_ADMD_PID" ] || return 0
		e2e_admd_stop
		e2e_quiet e2e_admd_cleanup ;;
	nft_*) in_srv nft delete table inet admflood >/dev/null 2>&1 || true ;;
	esac
}

# run_peer PEER: one run ($RUN): warm-up, the idle background, then the
# flood with the legitimate users. Result in $RES/$RUN.json.
run_peer() {
	local p=$1 r="$RES/$RUN" fpid lpid rc=0
	peer_up "$p" || return 1
	# Warm-up: one handshake per legitimate source (adm: that verifies it;
	# nft_verify: conntrack sees it established).
	e2e_probe "$r.warm.json" -d "$E2E_SRV4:$PORT" "${LEGIT_SRC[@]}" -n "$LEGIT_N" \
		--interval-ms 20 -t "$LEGIT_TIMEOUT_MS" || return 1
	jq -e ".ok == $LEGIT_N" "$r.warm.json" >/dev/null ||
		NOTES+=("$RUN: warm-up: $(jq -c '{ok, refused, timeout, error}' "$r.warm.json")")
	sleep 0.3
	cpu_json >"$r.bg0"
	sleep "$BG_SECONDS"
	cpu_json >"$r.bg1"

	peer_stats "$p" "$r.peer0.json"
	tcp_mib >"$r.mib0.json"
	veth_json >"$r.veth0.json"
	ADMD_T0=$(proc_ticks "$E2E_ADMD_PID")
	ADMD_W0=$(proc_wakeups "$E2E_ADMD_PID")
	# BPF run-time statistics for the flood window only: they cost every
	# program run 20-40 ns, so the previous setting comes back right after.
	BPF_STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
	sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null 2>&1 || true
	xdp_prog_stats >"$r.bpf0.json"
	cpu_json >"$r.cpu0"
	# nice 19: where the receive path runs in ksoftirqd on the generator's
	# CPU (veth with XDP: a ring and NAPI), a generator spinning on a full
	# ring would starve it; a real attacker is not on the server's CPU.
	e2e_bg "flood-$RUN" cli nice -n 19 "$SYNFLOOD" --json -i "$E2E_CLI_IF" --dst-mac "$SRV_MAC" \
		-d "$E2E_SRV4:$PORT" --src-net "$FLOOD_NET" -n "$FLOOD_COUNT" \
		--max-seconds "$FLOOD_SECONDS" --seed $((RANDOM + 1))
	fpid=$E2E_BG_PID
	sleep "$(awk -v ms="$LEGIT_START_MS" 'BEGIN { print ms / 1000 }')"
	e2e_bg "legit-$RUN" cli "$TCPPROBE" --json --each -d "$E2E_SRV4:$PORT" "${LEGIT_SRC[@]}" \
		-n "$LEGIT_COUNT" -c "$LEGIT_N" --interval-ms "$LEGIT_INTERVAL_MS" \
		-t "$LEGIT_TIMEOUT_MS" --max-seconds $((FLOOD_SECONDS + 10))
	lpid=$E2E_BG_PID
	wait "$fpid" || rc=$?
	cpu_json >"$r.cpu1"
	xdp_prog_stats >"$r.bpf1.json"
	sysctl -q -w kernel.bpf_stats_enabled="$BPF_STATS_WAS" >/dev/null 2>&1 || true
	ADMD_T1=$(proc_ticks "$E2E_ADMD_PID")
	[ "$p" != adm ] ||
		NOTES+=("$RUN: admd's event loop woke $(($(proc_wakeups "$E2E_ADMD_PID") - ADMD_W0)) times during the ${FLOOD_SECONDS} s flood")
	veth_json >"$r.veth1.json"
	if [ "$rc" -ne 0 ]; then
		e2e_note "synflood failed (status $rc):"
		sed 's/^/#   /' "$E2E_TMP/flood-$RUN.log"
		wait "$lpid" || true
		return 1
	fi
	wait "$lpid" || rc=$?
	tcp_mib >"$r.mib1.json"
	peer_stats "$p" "$r.peer1.json"
	if [ "$rc" -ne 0 ]; then
		e2e_note "tcpprobe failed (status $rc):"
		sed 's/^/#   /' "$E2E_TMP/legit-$RUN.log"
		return 1
	fi
	grep '^{' "$E2E_TMP/flood-$RUN.log" | tail -n 1 >"$r.flood.json"
	# A connection that took >= 1 s waited for a SYN retransmit: its first
	# SYN was lost (dropped by the peer, or by the veth with its ring full).
	grep '^{' "$E2E_TMP/legit-$RUN.log" | tail -n 1 |
		jq -c '.slow_1s = ([.each[] | select(.outcome == "ok" and .ms >= 1000)] | length) |
			del(.sources, .each)' >"$r.legit.json"
	cpu_delta "$r.bg0" "$r.bg1" >"$r.bg.json"
	cpu_delta "$r.cpu0" "$r.cpu1" >"$r.cpu.json"
	result "$p" "$(ct_count)" "$([ "$p" = adm ] && echo $((ADMD_T1 - ADMD_T0)) || echo null)" >"$r.json"
}

# dropped PEER: {where, packets, by_reason} of the flood in run $RUN, from
# the peer's own counters (adm: every drop counter of the service;
# nftables: its drop rules).
dropped() {
	local r="$RES/$RUN"
	case "$1" in
	adm)
		jq -n --slurpfile a "$r.peer0.json" --slurpfile b "$r.peer1.json" '
			def drops($s): [$s.services[] | select(.name == "web") | .counters[] |
				select(.verdict == "drop")] | group_by(.reason) |
				map({key: .[0].reason, value: (map(.packets) | add)}) | from_entries;
			drops($a[0]) as $x | drops($b[0]) as $y |
			($y | with_entries(.value -= ($x[.key] // 0)) | with_entries(select(.value > 0))) as $d |
			{where: "XDP", by_reason: $d, packets: ([$d[]] | add // 0)}' ;;
	xdp_floor)
		jq -n --slurpfile a "$r.veth0.json" --slurpfile b "$r.veth1.json" '
			def x($v): [$v.vsrv_ethtool | to_entries[] | select(.key | test("xdp_drops$")) | .value] | add // 0;
			(x($b[0]) - x($a[0])) as $n | {where: "XDP", by_reason: {floor: $n}, packets: $n}' ;;
	nft_*)
		jq -n --slurpfile a "$r.peer0.json" --slurpfile b "$r.peer1.json" '
			def c($s): $s.counters | map({key: .reason, value: .packets}) | from_entries;
			c($a[0]) as $x | c($b[0]) as $y |
			($y | with_entries(.value -= ($x[.key] // 0))) as $all |
			($all | with_entries(select(.key | startswith("admitted") | not))) as $d |
			{where: "nftables (input hook, after conntrack)", by_reason: $d,
			 admitted: ($all | with_entries(select(.key | startswith("admitted")))),
			 packets: ([$d[]] | add // 0)}' ;;
	*) jq -n '{where: "nowhere", by_reason: {}, packets: 0}' ;;
	esac
}

# result PEER CT_COUNT ADMD_TICKS: the result object of run $RUN.
result() {
	local r="$RES/$RUN"
	jq -n --arg peer "$1" --argjson round "$ROUND" --argjson ct "$2" --argjson admd "$3" \
		--slurpfile f "$r.flood.json" --slurpfile l "$r.legit.json" \
		--slurpfile cpu "$r.cpu.json" --slurpfile bg "$r.bg.json" \
		--slurpfile m0 "$r.mib0.json" --slurpfile m1 "$r.mib1.json" \
		--slurpfile v0 "$r.veth0.json" --slurpfile v1 "$r.veth1.json" \
		--slurpfile b0 "$r.bpf0.json" --slurpfile b1 "$r.bpf1.json" \
		--argjson drop "$(dropped "$1")" '
		def r4: (. * 10000 | round) / 10000;
		$f[0] as $f | $l[0] as $l | $cpu[0] as $c | ($bg[0] | del(.per_cpu)) as $bg |
		def mib($k): ($m1[0][$k] // 0) - ($m0[0][$k] // 0);
		def vd(f): ($v1[0] | f) - ($v0[0] | f);
		($f.sent / 1e6) as $mp |
		{peer: $peer, round: $round,
		 flood: ($f + {dropped: $drop.packets, dropped_where: $drop.where,
			 dropped_by_reason: $drop.by_reason, admitted_by_peer: ($drop.admitted // null)}),
		 legit: $l,
		 xdp_prog: (if $b0[0] == null or $b1[0] == null then null else
			($b1[0].run_cnt - $b0[0].run_cnt) as $n |
			($b1[0].run_time_ns - $b0[0].run_time_ns) as $t |
			{name: $b1[0].name, runs: $n, run_time_ns: $t,
			 ns_per_run: (if $n > 0 then ($t / $n * 10 | round) / 10 else null end)} end),
		 server_tcp: {in_segs: mib("InSegs"), passive_opens: mib("PassiveOpens"),
			      syncookies_sent: mib("SyncookiesSent"), listen_drops: mib("ListenDrops"),
			      listen_overflows: mib("ListenOverflows"),
			      conntrack_entries_after: $ct},
		 veth: {vsrv_rx_packets: vd(.vsrv_rx.packets), vsrv_rx_dropped: vd(.vsrv_rx.dropped),
			vcli_tx_packets: vd(.vcli_tx.packets), vcli_tx_dropped: vd(.vcli_tx.dropped),
			vsrv_xdp_drops: vd([.vsrv_ethtool | to_entries[] | select(.key | test("xdp_drops$")) | .value] | add // 0)},
		 cpu: ($c + {admd_s: (if $admd == null then null else $admd / '"$HZ"' end),
			     softirq_s_per_mpkt: (if $mp > 0 then $c.softirq_s / $mp | r4 else null end),
			     busy_s_per_mpkt: (if $mp > 0 then $c.busy_s / $mp | r4 else null end)}),
		 idle_host: ($bg + {softirq_pct_of_a_cpu: ($bg.softirq_s * 100 / $bg.window_s | round),
				    busy_pct_of_a_cpu: ($bg.busy_s * 100 / $bg.window_s | round)})}'
}

# ------------------------------------------------------------ the runs

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "flood: $(nproc) CPUs, kernel $(uname -r), load average $LOAD_BEFORE; peers: $PEERS"
echo "flood: $ROUNDS round(s) of ${FLOOD_SECONDS} s floods from $FLOOD_NET at the generator's maximum; $LEGIT_N legitimate sources, $LEGIT_COUNT connections a run"
# Every peer but nft_meter round by round, interleaved; then nft_meter's
# rounds (see the top of this file).
ORDER=()
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
	for peer in $PEERS; do [ "$peer" = nft_meter ] || ORDER+=("$peer.$ROUND"); done
done
if has_peer nft_meter; then
	for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do ORDER+=("nft_meter.$ROUND"); done
fi
for RUN in "${ORDER[@]}"; do
	peer=${RUN%.*}
	ROUND=${RUN##*.}
	if ! run_peer "$peer"; then
		NOTES+=("$RUN: the run failed and is left out")
		rm -f "$RES/$RUN.json"
	fi
	peer_down "$peer"
	[ -s "$RES/$RUN.json" ] && jq -r '"  round \(.round) \(.peer): sent \(.flood.sent) at \(.flood.pps) pps; legit ok \(.legit.ok)/\(.legit.attempts); " +
		"dropped \(.flood.dropped) (\(.flood.dropped_where)); softirq \(.cpu.softirq_s) s, busy \(.cpu.busy_s) s in \(.cpu.window_s) s; " +
		"idle host before: softirq \(.idle_host.softirq_pct_of_a_cpu)%, busy \(.idle_host.busy_pct_of_a_cpu)% of a CPU"' "$RES/$RUN.json"
	sleep 0.3
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------ results

mkdir -p "$(dirname "$OUT")"
for peer in $PEERS; do
	for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
		[ -s "$RES/$peer.$ROUND.json" ] && cat "$RES/$peer.$ROUND.json"
	done
done |
jq -s --arg date "$(date -u +%FT%TZ)" --arg kernel "$(uname -r)" --argjson ncpu "$(nproc)" \
	--arg quick "$QUICK" --argjson secs "$FLOOD_SECONDS" --argjson rounds "$ROUNDS" --arg net "$FLOOD_NET" \
	--argjson ln "$LEGIT_N" --argjson lc "$LEGIT_COUNT" --argjson li "$LEGIT_INTERVAL_MS" \
	--argjson lt "$LEGIT_TIMEOUT_MS" --argjson sr "$SRC_RATE" --argjson sb "$SRC_BURST" \
	--argjson ur "$UNV_RATE" --argjson ub "$UNV_BURST" --argjson nr "$NEWSRC_RATE" --argjson nb "$NEWSRC_BURST" \
	--arg lb "$LOAD_BEFORE" --arg la "$LOAD_AFTER" --argjson hz "$HZ" --arg peers "$PEERS" \
	--arg notes "$(printf '%s\n' "${NOTES[@]+"${NOTES[@]}"}")" '
	def r2: (. * 100 | round) / 100;
	def r4: (. * 10000 | round) / 10000;
	def sum(f): map(f) | add;
	. as $runs |
	[($peers | split(" ") | .[] | select(. != "")) as $peer |
	 [$runs[] | select(.peer == $peer)] | select(length > 0) | . as $r |
	 (sum(.flood.sent)) as $sent | (sum(.flood.dropped)) as $dropped |
	 (sum(.legit.attempts)) as $att | (sum(.legit.ok)) as $ok |
	 {peer: $peer,
	  flood: {sent: $sent, send_errors: sum(.flood.errors),
		  pps_mean: (sum(.flood.pps) / length | round),
		  dropped: $dropped, dropped_where: .[0].flood.dropped_where,
		  dropped_pct: (if $sent > 0 then $dropped * 100 / $sent | r4 else null end),
		  dropped_in_xdp_pct: (if .[0].flood.dropped_where == "XDP" and $sent > 0
			then $dropped * 100 / $sent | r4 else 0 end)},
	  legit: {attempts: $att, ok: $ok, refused: sum(.legit.refused), timeout: sum(.legit.timeout),
		  error: sum(.legit.error), not_started: sum(.legit.not_started),
		  slow_1s: sum(.legit.slow_1s),
		  success_pct: (if $att > 0 then $ok * 100 / $att | r2 else null end),
		  ok_p99_ms_worst_round: (map(.legit.ms.ok.p99 // empty) | max)},
	  server_tcp_in_segs: sum(.server_tcp.in_segs),
	  xdp_ns_per_run: (map(.xdp_prog.ns_per_run // empty) | if length > 0 then min else null end),
	  rounds_xdp_ns_per_run: map(.xdp_prog.ns_per_run // null),
	  cpu: {softirq_s_per_mpkt: (map(.cpu.softirq_s_per_mpkt) | min),
		busy_s_per_mpkt: (map(.cpu.busy_s_per_mpkt) | min),
		rounds_softirq_s_per_mpkt: map(.cpu.softirq_s_per_mpkt),
		rounds_busy_s_per_mpkt: map(.cpu.busy_s_per_mpkt),
		rounds_admd_s: map(.cpu.admd_s),
		idle_host_busy_pct_of_a_cpu: map(.idle_host.busy_pct_of_a_cpu)},
	  rounds: $r}] as $peers_out |
	($peers_out | map({key: .peer, value: .}) | from_entries) as $p |
	def ratio($a; $b; f): if $p[$a] and $p[$b] and ($p[$b] | f) > 0 then ($p[$a] | f) / ($p[$b] | f) | r2 else null end;
	{date: $date, kernel: $kernel, ncpu: $ncpu, quick: ($quick == "1"),
	 command: (if $quick == "1" then "QUICK=1 bash tests/bench/flood.sh" else "bash tests/bench/flood.sh" end),
	 machine: {loadavg_before: $lb, loadavg_after: $la, user_hz: $hz,
		   cpu_accounting: "tick-based (no IRQ_TIME_ACCOUNTING): softirq is sampled"},
	 flood: {seconds: $secs, rounds: $rounds, sources: $net, rate: "unpaced (the generator maximum)",
		 generator: "tests/e2e/tools/synflood, AF_PACKET, qdisc bypass"},
	 legit: {sources: $ln, connections_per_round: $lc, interval_ms: $li, timeout_ms: $lt,
		 warm_up: "one handshake per source before the flood"},
	 policy: {verified_source_rate_per_s: $sr, verified_source_burst: $sb,
		  unverified_per_24_rate_per_s: $ur, unverified_per_24_burst: $ub,
		  new_sources_rate_per_s: $nr, new_sources_burst: $nb},
	 cpu_note: "CPU per million frames sent; each peer'"'"'s lowest round",
	 targets: {legit_success_pct_min: 99, flood_dropped_in_xdp_pct_min: 99.9,
		   adm_cpu_per_mpkt_vs_nftables_max: 0.3333},
	 ratios: {adm_vs_nft_verify_softirq: ratio("adm"; "nft_verify"; .cpu.softirq_s_per_mpkt),
		  adm_vs_nft_verify_busy: ratio("adm"; "nft_verify"; .cpu.busy_s_per_mpkt),
		  adm_vs_nft_meter_softirq: ratio("adm"; "nft_meter"; .cpu.softirq_s_per_mpkt),
		  adm_vs_nft_meter_busy: ratio("adm"; "nft_meter"; .cpu.busy_s_per_mpkt),
		  adm_vs_none_softirq: ratio("adm"; "none"; .cpu.softirq_s_per_mpkt),
		  adm_vs_xdp_floor_softirq: ratio("adm"; "xdp_floor"; .cpu.softirq_s_per_mpkt),
		  adm_vs_xdp_floor_busy: ratio("adm"; "xdp_floor"; .cpu.busy_s_per_mpkt),
		  adm_vs_xdp_floor_ns_per_run: ratio("adm"; "xdp_floor"; .xdp_ns_per_run)},
	 notes: ($notes | split("\n") | map(select(. != ""))),
	 results: $peers_out}' >"$OUT"

echo
echo "## Flood: $(jq -r .command "$OUT") ($(jq -r '.date[:10]' "$OUT"), $(uname -r), $(nproc) CPUs)"
echo
echo "$ROUNDS round(s) per peer of a ${FLOOD_SECONDS} s spoofed SYN flood (synflood: AF_PACKET, unpaced; random sources in"
echo "$FLOOD_NET) through a veth into the server namespace, while $LEGIT_N verified legitimate sources open"
echo "$((1000 / LEGIT_INTERVAL_MS)) connections/s (request/reply, ${LEGIT_TIMEOUT_MS} ms timeout). Policy: a verified source $SRC_RATE/s"
echo "(burst $SRC_BURST); unverified sources $UNV_RATE/s per /24 (burst $UNV_BURST) and $NEWSRC_RATE/s in all (burst $NEWSRC_BURST)."
echo "CPU: /proc/stat over the flood, whole host, tick-sampled, per million frames sent, each peer's lowest"
echo "round; other columns: all rounds. Load average before / after: $LOAD_BEFORE / $LOAD_AFTER; the"
echo "last column is the idle host in the second before each flood (% of one CPU; another benchmark shows there)."
echo
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' peer "flood frames sent (mean rate)" \
	"legit success (waited >= 1 s)" "legit p99" "flood dropped (where)" "segments reaching TCP" \
	"softirq CPU-s / M frames" "busy CPU-s / M frames" "idle host busy"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
jq -r '.results[] |
	def pct: if . == null then "-" else tostring + "%" end;
	def where: if .flood.dropped_where == "XDP" then "XDP"
		elif (.flood.dropped_where | startswith("nftables")) then "nftables" else "-" end;
	"| \(.peer) | \(.flood.sent) (\(.flood.pps_mean / 1000 | round) kpps) | " +
	"\(.legit.ok)/\(.legit.attempts) = \(.legit.success_pct | pct) (\(.legit.slow_1s)) | " +
	"\(.legit.ok_p99_ms_worst_round // null | if . == null then "-" elif . < 10 then ((. * 10 | round) / 10 | tostring) + " ms" else (round | tostring) + " ms" end) | " +
	"\(.flood.dropped_pct | pct) (\(where)) | \(.server_tcp_in_segs) | " +
	"\(.cpu.softirq_s_per_mpkt) | \(.cpu.busy_s_per_mpkt) | " +
	"\(.cpu.idle_host_busy_pct_of_a_cpu | map(tostring + "%") | join(", ")) |"' "$OUT"
echo

# The targets, stated plainly whichever way they come out.
jq -r '
	def yes($c): if $c then "met" else "MISSED" end;
	(.results | map({key: .peer, value: .}) | from_entries) as $p | .ratios as $r |
	(if $p.adm then
		"- legitimate success with adm: \($p.adm.legit.success_pct)% (target >= 99%): \(yes($p.adm.legit.success_pct >= 99))",
		"- flood dropped in XDP by adm: \($p.adm.flood.dropped_in_xdp_pct)% of the frames sent (target >= 99.9%): \(yes($p.adm.flood.dropped_in_xdp_pct >= 99.9))"
	 else empty end),
	(["nft_verify", "nft_meter"][] as $n |
	 $r["adm_vs_\($n)_softirq"] as $x | $r["adm_vs_\($n)_busy"] as $y |
	 if $x == null then empty else
		"- CPU per million flood frames, adm / \($n): softirq \($x) (\($p.adm.cpu.softirq_s_per_mpkt) vs \($p[$n].cpu.softirq_s_per_mpkt) s), " +
		"all busy \($y) (\($p.adm.cpu.busy_s_per_mpkt) vs \($p[$n].cpu.busy_s_per_mpkt) s); target <= 0.33: " +
		"\(yes($x <= 0.3334))" +
		(if $x >= 1 then "; nftables used no more softirq CPU than adm here" else "" end)
	 end),
	(if $p.adm then
		"- admd (userspace: events, recounts) during the floods: \($p.adm.cpu.rounds_admd_s | map(tostring + " s") | join(", ")) of CPU"
	 else empty end),
	(if $p.adm and $p.adm.legit.slow_1s > 0 then
		"- adm: \($p.adm.legit.slow_1s) legitimate connections waited >= 1 s (their first SYN lost): the receive path did not keep up with the flood; " +
		"its ring full, the veth dropped \([$p.adm.rounds[].veth.vcli_tx_dropped] | add) frames (vcli tx_dropped), the legitimate clients'"'"' SYNs among them, " +
		"before any XDP program saw them, and refused \($p.adm.flood.send_errors) more of the generator'"'"'s (ENOBUFS)"
	 else empty end),
	(if $r.adm_vs_xdp_floor_ns_per_run then
		"- adm_xdp per packet from BPF run-time stats: \($p.adm.xdp_ns_per_run) ns against \($p.xdp_floor.xdp_ns_per_run) ns for the floor drop " +
		"(each peer'"'"'s lowest round): \($r.adm_vs_xdp_floor_ns_per_run)x (target <= 6x): \(yes($r.adm_vs_xdp_floor_ns_per_run <= 6))"
	 else empty end),
	(if $r.adm_vs_xdp_floor_softirq then
		"- adm / the cheapest XDP drop on this veth (xdp_floor): softirq \($r.adm_vs_xdp_floor_softirq), busy \($r.adm_vs_xdp_floor_busy)"
	 else empty end),
	(.results[] | select(.peer != "adm") |
		"- \(.peer): legitimate success \(.legit.success_pct)%, flood dropped \(.flood.dropped_pct)% (\(.flood.dropped_where))")
	' "$OUT"
if [ "${#NOTES[@]}" -gt 0 ]; then
	printf -- '- %s\n' "${NOTES[@]}"
fi
echo
echo "results: $OUT"
