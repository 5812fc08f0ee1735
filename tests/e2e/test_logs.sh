#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The log pipeline (ring buffer -> spool -> MariaDB) with a real MariaDB
# server started for the run (mariadb-install-db into a temp dir, mariadbd
# on a unix socket, --skip-networking) and the real admd and admctl:
#
#   (a) a password file readable by others is refused (file:line); the
#       password never shows in /proc/PID/cmdline, admd's log or status;
#       a database at schema version 1 (with a row) is migrated to 2 at
#       start, the row kept;
#   (b) a scripted admctl session: every audit record in adm_audit, in order;
#   (c) real refusals from 31 client addresses: the sum of counts in
#       adm_decisions equals the kernel's adm_stats refusals for the service;
#   (d) volume: LOGS_VOLUME records (default 100000) through the pipeline,
#       every one in MariaDB exactly once;
#   (e) MariaDB stopped for LOGS_OUTAGE_S seconds (default 10) during a
#       run, then started: nothing lost, nothing duplicated;
#   (f) admd kill -9 at three points of a batch (after the INSERT before
#       COMMIT, after COMMIT before the cursor, before the spool's fsync):
#       after a restart nothing lost, nothing duplicated;
#   (g) spool damage (a flipped byte, a truncated last record, a
#       zero-length segment): reported with segment and offset, the rest sent;
#   (h) a poison row goes to the dead-letter file, later rows arrive;
#   (i) admd --replay-spool: a copied spool is sent once, a second replay
#       and admd's own drain insert nothing twice;
#   (j) admctl logs tail/query from MariaDB and, with MariaDB down, from
#       the spool, saying which;
#   (l) MariaDB hung (SIGSTOP): calls end at their timeouts, admd answers
#       at once, everything arrives once when it is back;
#   (k) the disk under the spool full: an admctl write is refused (its
#       audit record could not be kept) and changes nothing;
#   (m) aggregation in admd: a flood of refusals from 31 sources over ~4 s
#       with aggregate_ms = 4000 and aggregate_prefix4 = 24 gives far fewer
#       rows than the kernel's sampled records, and their counts sum
#       exactly to the kernel's refusals (nothing lost, nothing twice).
#
# Volume records (d, e, f, i) are injected with the test-only control
# command spool_inject (userspace/admd/spool.c): they enter the same queue
# as the kernel's records. (c) uses real traffic only. `make soak` runs
# this file with LOGS_VOLUME=1000000 and LOGS_OUTAGE_S=60.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/mariadb.sh
. "$(dirname "$0")/mariadb.sh"

LOGS_VOLUME=${LOGS_VOLUME:-100000}
LOGS_OUTAGE_S=${LOGS_OUTAGE_S:-10}
PORT_WEB=8080
INJ_SRC=10.77.250.0/24		# spool_inject's sources
DB_PASS="s3cret-$E2E_ID"

command -v mariadbd >/dev/null 2>&1 || e2e_skip_all "mariadbd is not installed (scripts/deps.sh installs mariadb-server)"
command -v socat >/dev/null 2>&1 || e2e_skip_all "socat is not installed"
e2e_init "$ADMD" "$ADMCTL"
e2e_topology

CONF="$E2E_TMP/adm.conf"
SOCK="/run/adm/$(basename "$E2E_PIN").sock"	# the default for this pin root
SPOOL="$E2E_TMP/spool"
PASSF="$E2E_TMP/db.pass"

db_init "$E2E_TMP/db"
db_start
mariadb --no-defaults -S "$DB_SOCK" -uroot -e "
	CREATE DATABASE adm;
	CREATE USER 'adm'@'localhost' IDENTIFIED BY '$DB_PASS';
	GRANT ALL ON adm.* TO 'adm'@'localhost';"
printf '%s\n' "$DB_PASS" >"$PASSF"

AGG_CONF=""		# [mariadb] aggregate_* lines for scenario (m)
write_conf() {
	cat >"$CONF" <<-EOF
	[adm]
	interfaces = $E2E_SRV_IF
	pin_root = $E2E_PIN
	cgroup = $E2E_CGROUP

	[metrics]
	listen = 127.0.0.1:9110

	[mariadb]
	socket = $DB_SOCK
	user = adm
	password_file = $PASSF
	database = adm
	batch_rows = 1000
	batch_ms = 50
	spool_dir = $SPOOL
	spool_max_mb = 256
	connect_timeout_ms = 1000
	io_timeout_ms = 2000
	$AGG_CONF

	[service web]
	ports = $PORT_WEB
	new_conn_rate = 2/s
	new_conn_burst = 2
	on_rate = reject
	EOF
}
write_conf

# alogs ARGS: admctl logs with this run's config (it reads MariaDB or the spool).
alogs() { timeout 20 "$ADMCTL" -c "$CONF" logs "$@"; }

# ctl JSON: one request to admd's control socket, the answer on stdout.
ctl() { printf '%s\n' "$1" | timeout 10 socat -t 5 - "UNIX-CONNECT:$SOCK"; }
st() { ctl '{"cmd":"status"}' | jq -r ".status$1"; }

# inject N: N synthetic decision records into the spool queue.
inject() {
	local left=$1 n got i
	for ((i = 0; i < 10000 && left > 0; i++)); do
		n=$((left < 65536 ? left : 65536))
		got=$(ctl "{\"cmd\":\"spool_inject\",\"n\":$n,\"service\":\"web\"}" | jq -r '.accepted // 0')
		left=$((left - got))
		[ "$got" -lt "$n" ] && sleep 0.05
	done
	[ "$left" -eq 0 ]
}

# Rows of injected records in MariaDB.
db_injected() { db_sql "SELECT COUNT(*) FROM adm_decisions WHERE source LIKE '10.77.250.%'"; }

# wait_value SECONDS EXPECTED CMD...: poll until CMD prints EXPECTED.
wait_value() {
	local secs=$1 want=$2 i got=""
	shift 2
	for ((i = 0; i < secs * 5; i++)); do
		got=$("$@" 2>/dev/null || true)
		[ "$got" = "$want" ] && return 0
		sleep 0.2
	done
	e2e_note "waited ${secs}s for '$*' to be $want; last: $got"
	return 1
}

spool_idle() {
	local q
	q=$(st .spool.queued)
	[ "$q" = 0 ] && echo true
}

start_admd() {
	e2e_admd_start "$CONF"
}

# ---------------------------------------------------------------- (a)
# The tables as schema version 1 made them (userspace/lib/logdb.c before
# aggregation), with one row: admd must migrate them, not recreate them.
make_schema_v1() {
	db_sql "
	CREATE TABLE adm_schema_version (version INT UNSIGNED NOT NULL PRIMARY KEY,
		applied TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB;
	CREATE TABLE adm_decisions (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
		\`time\` DATETIME(6) NOT NULL, node VARCHAR(63) NOT NULL,
		service VARCHAR(31) NOT NULL, source VARCHAR(45) NOT NULL,
		source_bin VARBINARY(16) NOT NULL, sport SMALLINT UNSIGNED NOT NULL,
		dport SMALLINT UNSIGNED NOT NULL, proto TINYINT UNSIGNED NOT NULL,
		verdict VARCHAR(16) NOT NULL, reason VARCHAR(32) NOT NULL,
		\`count\` INT UNSIGNED NOT NULL, spool_id BIGINT UNSIGNED NOT NULL,
		seg BIGINT UNSIGNED NOT NULL, off BIGINT UNSIGNED NOT NULL,
		PRIMARY KEY (spool_id, seg, off), KEY id (id), KEY by_time (\`time\`)) ENGINE=InnoDB;
	CREATE TABLE adm_audit (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
		\`time\` DATETIME(3) NOT NULL, node VARCHAR(63) NOT NULL,
		uid INT UNSIGNED NOT NULL, user VARCHAR(63) NOT NULL,
		pid INT UNSIGNED NOT NULL, command VARCHAR(255) NOT NULL,
		\`before\` TEXT NOT NULL, \`after\` TEXT NOT NULL,
		result VARCHAR(600) NOT NULL, origin VARCHAR(15) NOT NULL,
		spool_id BIGINT UNSIGNED NOT NULL, seg BIGINT UNSIGNED NOT NULL,
		off BIGINT UNSIGNED NOT NULL, PRIMARY KEY (spool_id, seg, off),
		KEY id (id), KEY by_uid (uid, \`time\`), KEY by_time (\`time\`)) ENGINE=InnoDB;
	INSERT INTO adm_schema_version (version) VALUES (1);
	INSERT INTO adm_decisions (\`time\`, node, service, source, source_bin, sport,
		dport, proto, verdict, reason, \`count\`, spool_id, seg, off)
		VALUES (UTC_TIMESTAMP(6), 'old', 'legacy', '10.77.251.1',
		UNHEX('00000000000000000000FFFF0A4DFB01'), 1234, 80, 6, 'drop',
		'rate_source', 7, 1, 1, 64);"
}

scenario_a() {
	local out rc=0 line
	chmod 0644 "$PASSF"
	out=$(timeout 20 nsenter --net="/run/netns/$E2E_NS_SRV" -- "$ADMD" -c "$CONF" 2>&1) || rc=$?
	chmod 0600 "$PASSF"
	line=$(grep -n '^password_file' "$CONF" | cut -d: -f1)
	tap_assert "(a) a password file readable by others is refused with file:line" \
		"exit $rc: $out" "$rc" -ne 0 -a -n "$(echo "$out" | grep -F "$CONF:$line: [mariadb] password_file" | grep -F 'chmod 600')"
	make_schema_v1
	start_admd || { tap_fail "(a) admd starts with a 0600 password file"; return 1; }
	tap_ok "(a) admd starts with a 0600 password file"
	wait_value 10 true st .mariadb.up || :
	tap_assert "(a) admd is connected to MariaDB" "$(st .mariadb)" "$(st .mariadb.up)" = true
	local leaks=""
	tr '\0' ' ' <"/proc/$E2E_ADMD_PID/cmdline" | grep -qF "$DB_PASS" && leaks+=" cmdline"
	grep -qF "$DB_PASS" "$E2E_ADMD_LOG" && leaks+=" log"
	ctl '{"cmd":"status"}' | grep -qF "$DB_PASS" && leaks+=" status"
	admctl status 2>&1 | grep -qF "$DB_PASS" && leaks+=" admctl-status"
	tap_assert "(a) the password is not in /proc/PID/cmdline, the log or status" "found in:$leaks" -z "$leaks"
	tap_assert "(a) a version 1 database is migrated at start: the version table says 2" \
		"$(db_sql 'SELECT version FROM adm_schema_version')" \
		"$(db_sql 'SELECT GROUP_CONCAT(version ORDER BY version) FROM adm_schema_version')" = 1,2
	out=$(db_sql "SELECT CONCAT_WS(',', \`count\`, source, COALESCE(time_last, 'null'), COALESCE(prefix_len, 'null')) FROM adm_decisions WHERE service = 'legacy'")
	tap_assert "(a) ... with the new columns, and the version 1 row kept (NULL time_last and prefix_len)" \
		"$out" "$out" = "7,10.77.251.1,null,null"
	out=$(alogs query --since 10m --service legacy --json 2>/dev/null | jq -c 'select(.type == "decision") | [.count, .src, .prefix_len, (.time_last == .time)]')
	tap_assert "(a) ... and admctl logs reads it as one record of one source" "$out" "$out" = '[7,"10.77.251.1",32,true]'
}

# ---------------------------------------------------------------- (b)
AUDIT_SCRIPT=()
scenario_b() {
	local i want got
	for i in 1 2 3 4 5 6; do
		admctl block add "10.77.50.$i/32" >/dev/null
		AUDIT_SCRIPT+=("block add 10.77.50.$i/32")
	done
	admctl limits set web new_conn_rate 3/s >/dev/null
	AUDIT_SCRIPT+=("limits set web new_conn_rate 3/s")
	for i in 6 5 4 3 2 1; do
		admctl block del "10.77.50.$i/32" >/dev/null
		AUDIT_SCRIPT+=("block del 10.77.50.$i/32")
	done
	admctl reload >/dev/null
	AUDIT_SCRIPT+=("reload")
	wait_value 20 "${#AUDIT_SCRIPT[@]}" db_sql "SELECT COUNT(*) FROM adm_audit" || :
	want=$(printf '%s\n' "${AUDIT_SCRIPT[@]}")
	got=$(db_sql "SELECT command FROM adm_audit ORDER BY seg, off")
	tap_assert "(b) every audit record of a ${#AUDIT_SCRIPT[@]}-command admctl session is in adm_audit, in order" \
		"want:"$'\n'"$want"$'\n'"got:"$'\n'"$got" "$want" = "$got"
	got=$(db_sql "SELECT COUNT(*) FROM adm_audit WHERE uid = 0 AND user = 'root' AND result = 'ok' AND node <> ''")
	tap_assert "(b) audit rows carry uid, user, result and node" "$got rows" "$got" -eq "${#AUDIT_SCRIPT[@]}"
}

# ---------------------------------------------------------------- (c)
kernel_refused() {
	admctl stats --json | jq '[.services[] | select(.name=="web") | .counters[] | select(.verdict != "pass") | .packets] | add // 0'
}
db_web_sum() {
	db_sql "SELECT COALESCE(SUM(\`count\`), 0) FROM adm_decisions WHERE service = 'web' AND source NOT LIKE '10.77.250.%'"
}
scenario_c() {
	local srcs=() i k d
	for ((i = E2E_EXTRA_FIRST; i <= E2E_EXTRA_LAST; i++)); do srcs+=(-s "10.77.0.$i"); done
	e2e_tcpsrv web -l "$E2E_SRV4:$PORT_WEB" || return 0
	# Refusals by rate, 31 sources, then every source refused once more by
	# a deny entry after the sampling second turned: that last event carries
	# each source's remaining count, so the sums must meet exactly.
	e2e_probe "$E2E_TMP/c1.json" -d "$E2E_SRV4:$PORT_WEB" "${srcs[@]}" -n 900 -c 31 -t 500 || return 0
	admctl block add 10.77.0.0/24 >/dev/null
	sleep 1.2
	e2e_probe "$E2E_TMP/c2.json" -d "$E2E_SRV4:$PORT_WEB" "${srcs[@]}" -n 31 -c 31 -t 300 || return 0
	admctl block del 10.77.0.0/24 >/dev/null
	k=$(kernel_refused)
	wait_value 20 "$k" db_web_sum || :
	d=$(db_web_sum)
	tap_assert "(c) sum of counts in adm_decisions = kernel refusals for web (real traffic, 31 sources)" \
		"kernel $k, MariaDB $d; probe: $(jq -c '{ok,refused,timeout}' "$E2E_TMP/c1.json")" "$k" -gt 100 -a "$d" = "$k"
	got=$(alogs query --since 10m --service web --reason deny_list 2>"$E2E_TMP/c.src" | grep -c ' decision ')
	tap_assert "(c) logs query --reason deny_list answers from MariaDB: 31 sources" \
		"$(cat "$E2E_TMP/c.src") $got rows" "$got" -eq 31 -a -n "$(grep -F 'from MariaDB' "$E2E_TMP/c.src")"
	got=$(alogs query --since 10m --service web --reason deny_list --json 2>/dev/null | jq -s -c '[.[0].from, (map(select(.type == "decision")) | length)]')
	tap_assert "(c) ... with --json the first line says the source" "$got" "$got" = '["mariadb",31]' 
	got=$(alogs query --since 10m --source 10.77.0.12 --json 2>/dev/null | jq -r 'select(.type == "decision") | .src' | sort -u)
	tap_assert "(c) logs query --source picks one address" "$got" "$got" = "10.77.0.12"
}

# ---------------------------------------------------------------- (d)
INJECTED=0
scenario_d() {
	local t0 t1 got
	t0=$(date +%s%N)
	inject "$LOGS_VOLUME" || { tap_fail "(d) inject $LOGS_VOLUME records"; return 0; }
	INJECTED=$((INJECTED + LOGS_VOLUME))
	wait_value 300 "$INJECTED" db_injected || :
	t1=$(date +%s%N)
	got=$(db_injected)
	tap_assert "(d) $LOGS_VOLUME records through ring-buffer queue -> spool -> MariaDB, each once" \
		"MariaDB has $got; status $(st .spool)" "$got" = "$INJECTED"
	e2e_note "(d) $LOGS_VOLUME records end to end in $(( (t1 - t0) / 1000000 )) ms: $(( LOGS_VOLUME * 1000000000 / (t1 - t0) )) rows/s"
	tap_assert "(d) nothing dropped" "$(st .spool)" "$(st .spool.dropped_queue_full)$(st .spool.dropped_spool_full)" = 00
	in_srv curl -s --max-time 5 http://127.0.0.1:9110/metrics >"$E2E_TMP/d.metrics" || :
	local m
	m=$(awk '$1 == "adm_mariadb_rows_total" || $1 == "adm_spool_records_total{type=\"decision\"}" ||
		 $1 ~ /^adm_events_lost_cpu_total\{cpu="0"\}$/ || $1 == "adm_mariadb_oldest_unsent_seconds" ||
		 $1 == "adm_mariadb_retries_total" || $1 == "adm_mariadb_dead_letters_total" ||
		 $1 == "adm_spool_bytes" || $1 == "adm_mariadb_rows_per_second" { n++ } END { print n + 0 }' "$E2E_TMP/d.metrics")
	tap_assert "(d) /metrics has the pipeline: rows, rows/s, lag, retries, dead letters, spool bytes, ring buffer losses per CPU" \
		"$(grep -E '^adm_(spool|mariadb|events_lost)' "$E2E_TMP/d.metrics")" "$m" -eq 8
}

# ---------------------------------------------------------------- (e)
scenario_e() {
	local n=$((LOGS_VOLUME / 5)) a0 got i
	a0=$(db_sql "SELECT COUNT(*) FROM adm_audit")
	db_stop
	for ((i = 0; i < LOGS_OUTAGE_S; i++)); do
		inject $((n / LOGS_OUTAGE_S)) || break
		[ "$i" -lt 5 ] && admctl block add "10.77.60.$i/32" >/dev/null
		sleep 1
	done
	INJECTED=$((INJECTED + n / LOGS_OUTAGE_S * LOGS_OUTAGE_S))
	tap_assert "(e) during the outage status says MariaDB is down and counts retries" \
		"$(st .mariadb)" "$(st .mariadb.up)" = false -a "$(st .mariadb.retries)" -gt 0
	got=$(st .mariadb.oldest_unsent_seconds)
	tap_assert "(e) the lag (oldest unsent record) grows during the outage" "$got s" \
		"$(awk -v g="$got" -v h="$((LOGS_OUTAGE_S / 2))" 'BEGIN { print (g >= h) }')" = 1
	got=$(alogs query --audit --since 10m 2>"$E2E_TMP/e.src" | grep -c 'what="block add 10.77.60' || true)
	tap_assert "(e) with MariaDB down, logs query reads the spool and says so" \
		"$(cat "$E2E_TMP/e.src"); $got rows" "$got" -eq 5 -a -n "$(grep -F 'from the spool' "$E2E_TMP/e.src")"
	db_start
	wait_value 120 "$INJECTED" db_injected || :
	wait_value 20 "$((a0 + 5))" db_sql "SELECT COUNT(*) FROM adm_audit" || :
	tap_assert "(e) after a ${LOGS_OUTAGE_S}s outage: every record once in MariaDB" \
		"decisions $(db_injected) of $INJECTED, audit $(db_sql 'SELECT COUNT(*) FROM adm_audit') of $((a0 + 5))" \
		"$(db_injected)" = "$INJECTED" -a "$(db_sql 'SELECT COUNT(*) FROM adm_audit')" = "$((a0 + 5))"
}

# ---------------------------------------------------------------- (f)
# crash_at POINT: admd kills itself at POINT (its 3rd time there); after a
# restart every record the spool holds is in MariaDB exactly once.
crash_at() {
	local point=$1 n=10000 i t0 spooled want got
	t0=$(date +%s)
	e2e_admd_stop
	db_stop
	ADM_TEST_CRASH="$point:3" start_admd || { tap_fail "(f) $point: admd starts"; return 0; }
	if [ "$point" = spool_before_fsync ]; then
		# The 3rd group commit dies between write() and fdatasync(); what
		# the queue held in memory then is lost (it was never durable).
		for ((i = 0; i < 50; i++)); do
			kill -0 "$E2E_ADMD_PID" 2>/dev/null || break
			inject 500 2>/dev/null || break
			sleep 0.1
		done
	else
		# All spooled first, then MariaDB comes up: the 3rd batch dies.
		inject "$n"
		wait_value 20 true spool_idle || :
		db_start
	fi
	for ((i = 0; i < 300; i++)); do kill -0 "$E2E_ADMD_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$E2E_ADMD_PID" 2>/dev/null; then
		tap_fail "(f) $point: admd died at the crash point" "$(tail -5 "$E2E_ADMD_LOG")"
		return 0
	fi
	if [ "$point" = spool_before_fsync ]; then
		# MariaDB is down: logs query reads the spool, this run's records.
		spooled=$(alogs query --since "$(( $(date +%s) - t0 + 1 ))s" -n 1000000 \
			--source "$INJ_SRC" --json 2>/dev/null | grep -c '"type":"decision"')
		want=$((INJECTED + spooled))
		db_start
	else
		want=$((INJECTED + n))
		spooled=$n
	fi
	tap_assert "(f) kill -9 $point: admd died there" "$(tail -3 "$E2E_ADMD_LOG")" \
		-n "$(grep -F "SIGKILL at $point" "$E2E_ADMD_LOG")"
	start_admd || { tap_fail "(f) $point: admd restarts"; return 0; }
	wait_value 60 "$want" db_injected || :
	sleep 0.5
	got=$(db_injected)
	tap_assert "(f) kill -9 $point: after restart every spooled record is in MariaDB once" \
		"MariaDB $got, expected $want ($spooled this run); $(st .mariadb)" \
		"$got" -eq "$want" -a "$spooled" -gt 0
	INJECTED=$got
	if [ "$point" = db_after_commit ]; then
		tap_assert "(f) $point: the re-sent batch was recognised as already there" \
			"$(st .mariadb)" "$(st .mariadb.duplicate_rows)" -gt 0
	fi
}

scenario_f() {
	crash_at db_after_insert
	crash_at db_after_commit
	crash_at spool_before_fsync
}

# ---------------------------------------------------------------- (g)
scenario_g() {
	local seg before size rec=96 hdr=96 off	# a framed decision record: 8 + 88 bytes
	db_stop
	inject 3000
	wait_value 20 true spool_idle || :
	sleep 0.3
	e2e_admd_stop
	seg=$(ls "$SPOOL"/*.seg | tail -n 1)
	size=$(stat -c %s "$seg")
	tap_assert "(g) 3000 records spooled in one segment" "$seg: $size bytes" "$size" -eq $((hdr + 3000 * rec))
	off=$((hdr + 1000 * rec))
	printf '\xff' | dd of="$seg" bs=1 seek=$((off + 40)) conv=notrunc status=none
	truncate -s $((size - 10)) "$seg"
	local last=${seg##*/}; last=${last%.seg}
	local zero
	zero=$(printf '%s/%016x.seg' "$SPOOL" $((16#$last + 1)))
	: >"$zero"
	db_start
	before=$(db_injected)
	start_admd || { tap_fail "(g) admd starts on a damaged spool"; return 0; }
	wait_value 30 "$((before + 2998))" db_injected || :
	tap_assert "(g) damaged spool: the 2998 intact records are sent" "$(db_injected) vs $before + 2998" \
		"$(db_injected)" -eq $((before + 2998))
	INJECTED=$(db_injected)
	tap_assert "(g) the flipped byte is reported with segment and offset" "$(grep spool "$E2E_ADMD_LOG")" \
		-n "$(grep -F "segment $last offset $off: bad length or CRC mismatch" "$E2E_ADMD_LOG")"
	tap_assert "(g) the truncated last record is reported and cut" "$(grep spool "$E2E_ADMD_LOG")" \
		-n "$(grep -F "segment $last offset $((hdr + 2999 * rec)): truncated last record" "$E2E_ADMD_LOG")"
	tap_assert "(g) the zero-length segment is reported and removed" "$(grep spool "$E2E_ADMD_LOG")" \
		-n "$(grep -F "zero-length segment" "$E2E_ADMD_LOG")" -a ! -e "$zero"
}

# ---------------------------------------------------------------- (h)
scenario_h() {
	local dl="$SPOOL/dead-letters.jsonl"
	db_sql "ALTER TABLE adm_audit ADD CONSTRAINT poison CHECK (command NOT LIKE '%10.77.99.%')"
	admctl block add 10.77.99.0/24 >/dev/null
	admctl block add 10.77.98.0/24 >/dev/null
	wait_value 20 1 db_sql "SELECT COUNT(*) FROM adm_audit WHERE command = 'block add 10.77.98.0/24'" || :
	tap_assert "(h) a row MariaDB refuses goes to the dead-letter file with its error" "$(cat "$dl" 2>&1)" \
		-n "$(jq -r 'select(.error == 4025) | .record.what' "$dl" 2>/dev/null | grep -F 'block add 10.77.99.0/24')"
	tap_assert "(h) the rows after it arrive" "" \
		"$(db_sql "SELECT COUNT(*) FROM adm_audit WHERE command = 'block add 10.77.98.0/24'")" = 1
	tap_assert "(h) status counts the dead letter" "$(st .mariadb)" "$(st .mariadb.dead_letters)" = 1
	db_sql "ALTER TABLE adm_audit DROP CONSTRAINT poison"
	admctl block del 10.77.99.0/24 >/dev/null
	admctl block del 10.77.98.0/24 >/dev/null
}

# ---------------------------------------------------------------- (i)
scenario_i() {
	local copy="$E2E_TMP/replay" out before
	db_stop
	inject 500
	admctl block add 10.77.70.1/32 >/dev/null
	wait_value 20 true spool_idle || :
	sleep 0.3
	e2e_admd_stop
	cp -a "$SPOOL" "$copy"
	rm -f "$copy/cursor"
	db_start
	before=$(db_injected)
	out=$(timeout 60 "$ADMD" --replay-spool "$copy" -c "$CONF" 2>&1) || :
	tap_assert "(i) --replay-spool sends a copied spool" "$out; MariaDB $(db_injected) vs $before + 500" \
		"$(db_injected)" -eq $((before + 500)) -a -n "$(echo "$out" | grep -F 'new rows')"
	out=$(timeout 60 "$ADMD" --replay-spool "$copy" -c "$CONF" 2>&1) || :
	tap_assert "(i) a second replay inserts nothing" "$out" \
		-n "$(echo "$out" | grep -E ' 0 new rows')" -a "$(db_injected)" -eq $((before + 500))
	start_admd || { tap_fail "(i) admd restarts"; return 0; }
	wait_value 20 0 st .mariadb.oldest_unsent_seconds || :
	sleep 1
	tap_assert "(i) admd's own drain of the same records inserts nothing twice" \
		"$(st .mariadb)" "$(db_injected)" -eq $((before + 500)) -a "$(st .mariadb.duplicate_rows)" -ge 500
	INJECTED=$(db_injected)
}

# ---------------------------------------------------------------- (j)
scenario_j() {
	local out
	out=$(alogs tail -n 5 2>"$E2E_TMP/j.src")
	tap_assert "(j) logs tail: 5 records from MariaDB" "$(cat "$E2E_TMP/j.src")"$'\n'"$out" \
		"$(echo "$out" | grep -c .)" -eq 5 -a -n "$(grep -F 'from MariaDB' "$E2E_TMP/j.src")"
	out=$(alogs query --since 1h --audit --uid 0 --json 2>/dev/null | jq -s 'map(select(.type == "audit" and .what == "reload")) | length')
	tap_assert "(j) logs query --audit --uid 0 finds the session's reload" "$out" "$out" -ge 1
	timeout 6 "$ADMCTL" -c "$CONF" logs tail -n 0 --follow >"$E2E_TMP/follow.txt" 2>/dev/null &
	local fpid=$!
	sleep 1.5
	admctl block add 10.77.71.1/32 >/dev/null
	sleep 3
	wait "$fpid" || :
	out=$(cat "$E2E_TMP/follow.txt")
	tap_assert "(j) logs tail --follow prints a new audit record" "$out" \
		-n "$(echo "$out" | grep -F 'block add 10.77.71.1/32')"
	admctl block del 10.77.71.1/32 >/dev/null
}

# ---------------------------------------------------------------- (l)
# MariaDB hangs (SIGSTOP): every call ends at its timeout, admd stays
# responsive, and when it comes back everything arrives once.
scenario_l() {
	local t0 ms a0
	a0=$(db_sql "SELECT COUNT(*) FROM adm_audit")
	kill -STOP "$DB_PID"
	inject 5000 || :
	admctl block add 10.77.73.1/32 >/dev/null
	sleep 5
	t0=$(date +%s%N)
	st .mariadb.up >/dev/null
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	tap_assert "(l) MariaDB hung: status answers at once (${ms} ms) and says it is down" \
		"$(st .mariadb)" "$ms" -lt 2000 -a "$(st .mariadb.up)" = false
	kill -CONT "$DB_PID"
	INJECTED=$((INJECTED + 5000))
	wait_value 60 "$INJECTED" db_injected || :
	wait_value 20 "$((a0 + 1))" db_sql "SELECT COUNT(*) FROM adm_audit" || :
	tap_assert "(l) after the hang every record arrives once" \
		"decisions $(db_injected) of $INJECTED; $(st .mariadb)" \
		"$(db_injected)" = "$INJECTED" -a "$(db_sql 'SELECT COUNT(*) FROM adm_audit')" = "$((a0 + 1))"
	admctl block del 10.77.73.1/32 >/dev/null
}

# ---------------------------------------------------------------- (k)
# A spool that cannot take an audit record (its disk is full): the admctl
# write that would produce it is refused and nothing changes.
TINY="$E2E_TMP/tiny"
trap '_rc=$?; mountpoint -q "$TINY" 2>/dev/null && umount -l "$TINY"; (exit $_rc); e2e_cleanup' EXIT
scenario_k() {
	local out rc=0 conf2="$E2E_TMP/adm-tiny.conf"
	e2e_admd_stop
	db_stop
	mkdir -p "$TINY"
	mount -t tmpfs -o size=1m tmpfs "$TINY" || { tap_skip "(k) full spool disk" "cannot mount a tmpfs"; return 0; }
	sed "s|^spool_dir = .*|spool_dir = $TINY/spool|" "$CONF" >"$conf2"
	e2e_admd_start "$conf2" || { tap_fail "(k) admd starts on a 1 MiB spool disk"; return 0; }
	inject 20000 || :
	wait_value 20 false st .spool.writing || :
	out=$(admctl block add 10.77.72.1/32 2>&1) || rc=$?
	tap_assert "(k) disk under the spool full: an admctl write is refused, with why" "exit $rc: $out" \
		"$rc" -eq 1 -a -n "$(echo "$out" | grep -F 'cannot take the audit record')"
	out=$(admctl block list 2>&1)
	tap_assert "(k) ... and nothing was changed" "$out" -z "$(echo "$out" | grep -F '10.77.72.1')"
	tap_assert "(k) status and metrics say the spool is not writing" "$(st .spool)" "$(st .spool.writing)" = false
	e2e_admd_stop
	umount -l "$TINY"
	E2E_ADMD_CONF=$CONF
	db_start
}

# ---------------------------------------------------------------- (m)
agg_busy() { [ "$(st .spool.aggregate.entries)" -gt 0 ] && echo true; }
db_web_rows_after() {
	db_sql "SELECT COUNT(*) FROM adm_decisions WHERE service = 'web' AND id > $1"
}
scenario_m() {
	local srcs=() i k0 d0 id0 ev0 k d rows ev got fl out
	for ((i = E2E_EXTRA_FIRST; i <= E2E_EXTRA_LAST; i++)); do srcs+=(-s "10.77.0.$i"); done
	AGG_CONF=$'aggregate_ms = 4000\naggregate_prefix4 = 24'
	write_conf
	admctl reload >/dev/null || { tap_fail "(m) reload with aggregate_ms = 4000"; return 0; }
	in_srv ss -Hltn "sport = :$PORT_WEB" | grep -q . ||
		e2e_tcpsrv webm -l "$E2E_SRV4:$PORT_WEB" || return 0
	sleep 1.1		# a new sampling second for every source
	k0=$(kernel_refused)
	wait_value 20 "$k0" db_web_sum || :
	d0=$(db_web_sum)
	id0=$(db_sql "SELECT COALESCE(MAX(id), 0) FROM adm_decisions")
	ev0=$(st .events.drained)
	# ~4 s of refusals by rate from 31 sources (one attempt every 3 ms),
	# then each source refused once more by a deny entry in a new second:
	# that last record carries the kernel's remaining count per source.
	e2e_probe "$E2E_TMP/m1.json" -d "$E2E_SRV4:$PORT_WEB" "${srcs[@]}" -n 1240 -c 31 -t 300 --interval-ms 3 || return 0
	admctl block add 10.77.0.0/24 >/dev/null
	sleep 1.2
	e2e_probe "$E2E_TMP/m2.json" -d "$E2E_SRV4:$PORT_WEB" "${srcs[@]}" -n 31 -c 31 -t 300 || return 0
	admctl block del 10.77.0.0/24 >/dev/null
	# Back to the defaults at once: the deny records, still in their
	# 4 s window, leave the table with the reload.
	wait_value 3 true agg_busy || :
	AGG_CONF=""
	write_conf
	out=$(admctl reload 2>&1) || e2e_note "(m) reload: $out"
	fl=$(st .spool.aggregate.flushes_reload)
	k=$(kernel_refused)
	wait_value 30 "$((k - k0 + d0))" db_web_sum || :
	d=$(db_web_sum)
	ev=$(( $(st .events.drained) - ev0 ))
	rows=$(db_web_rows_after "$id0")
	tap_assert "(m) aggregated rows' counts sum exactly to the kernel's refusals (31 sources, ~4 s flood)" \
		"kernel +$((k - k0)), MariaDB +$((d - d0)); probe $(jq -c '{ok,refused,timeout}' "$E2E_TMP/m1.json"); aggregate $(st .spool.aggregate | jq -c .)" \
		"$((k - k0))" -gt 500 -a "$((d - d0))" = "$((k - k0))"
	tap_assert "(m) far fewer rows than the kernel's sampled records (rows x 10 <= records)" \
		"$rows rows from $ev records" "$rows" -ge 1 -a "$((rows * 10))" -le "$ev"
	got=$(db_sql "SELECT COUNT(*) FROM adm_decisions WHERE service = 'web' AND id > $id0 AND (source <> '10.77.0.0' OR prefix_len <> 24 OR time_last < \`time\`)")
	tap_assert "(m) every row is the /24 with its first and last time" "$got rows are not" "$got" = 0
	got=$(alogs query --since 10m --service web --source 10.77.0.12 --json 2>/dev/null |
		jq -r 'select(.type == "decision" and .prefix_len == 24) | "\(.src)/\(.prefix_len)"' | sort -u)
	tap_assert "(m) logs query --source ADDR finds the /24 rows that hold it" "$got" "$got" = "10.77.0.0/24"
	tap_assert "(m) a reload flushes the aggregation table first" \
		"flushes_reload $fl; aggregate $(st .spool.aggregate | jq -c .)" "$fl" -ge 1
	e2e_note "(m) $ev kernel records -> $rows rows, $((k - k0)) refusals"
}

scenario_a || { tap_plan_done; exit 1; }
for s in ${LOGS_SCENARIOS:-b c m d e f g h i j l k}; do
	t_s=$(date +%s)
	"scenario_$s"
	e2e_note "($s) took $(( $(date +%s) - t_s )) s"
done
e2e_admd_stop
db_stop
tap_plan_done
