# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
#
# A throw-away MariaDB server for a test or bench run (sourced after
# lib.sh, or on its own with DB_DIR set): mariadb-install-db into a
# temporary directory, mariadbd on a unix socket with --skip-networking,
# stopped by pid. About 1-2 s to start.
#   db_init DIR     install a data directory (once per run)
#   db_start        start mariadbd, wait for its socket (pid in DB_PID)
#   db_stop         SIGTERM it and wait (SIGKILL after 20 s)
#   db_sql SQL      run SQL as root in database adm (batch output, no headers)
# DB_SOCK is the socket admd's config names. DB_ARGS (default: durable,
# innodb_flush_log_at_trx_commit = 1) replaces the server's InnoDB
# settings (the bench compares settings).

DB_DIR=${DB_DIR:-}
DB_SOCK=""
DB_PID=""
DB_ARGS_DEFAULT="--innodb-buffer-pool-size=256M --innodb-log-file-size=256M --innodb-flush-log-at-trx-commit=1"

db_init() {
	DB_DIR=$1
	DB_SOCK="$DB_DIR/mysqld.sock"
	mkdir -p "$DB_DIR"
	mariadb-install-db --no-defaults --datadir="$DB_DIR/data" --user=root \
		--auth-root-authentication-method=normal --skip-test-db \
		>"$DB_DIR/install.log" 2>&1
}

db_start() {
	local i
	mariadbd --no-defaults --datadir="$DB_DIR/data" --socket="$DB_SOCK" \
		--skip-networking --user=root --pid-file="$DB_DIR/mysqld.pid" \
		--log-error="$DB_DIR/error.log" ${DB_ARGS:-$DB_ARGS_DEFAULT} \
		--max-connections=50 >/dev/null 2>&1 </dev/null &
	DB_PID=$!
	if declare -p E2E_PIDS >/dev/null 2>&1; then
		E2E_PIDS+=("$DB_PID")
	fi
	for ((i = 0; i < 200; i++)); do
		if mariadb --no-defaults -S "$DB_SOCK" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DB_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "mariadbd did not start (log $DB_DIR/error.log):" >&2
	tail -n 20 "$DB_DIR/error.log" >&2
	return 1
}

db_stop() {
	local i
	[ -n "$DB_PID" ] || return 0
	kill -TERM "$DB_PID" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		kill -0 "$DB_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$DB_PID" 2>/dev/null || true
	wait "$DB_PID" 2>/dev/null || true
	DB_PID=""
}

db_sql() {
	mariadb --no-defaults -S "$DB_SOCK" -uroot -N -B adm -e "$1"
}
