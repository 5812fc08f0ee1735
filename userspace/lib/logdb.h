/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The log tables in MariaDB (prefix logdb_): connecting with bounded
 * timeouts, the schema and its version, and writing spooled records in
 * batches (one prepared INSERT per table, rows bound as arrays) inside
 * one transaction. Used by admd's writer thread, `admd --replay-spool`,
 * `admctl logs` and the bench. No threads, no retries here: a call either
 * commits, or reports whether retrying can help.
 *
 * Idempotent: every row carries its spool position (spool_id, seg, off)
 * as its primary key and is inserted with ON DUPLICATE KEY UPDATE of
 * nothing, so a batch sent twice inserts nothing twice. (Not INSERT
 * IGNORE: that would turn a rejected row into a silent warning.)
 */
#ifndef ADM_LOGDB_H
#define ADM_LOGDB_H

#include <stddef.h>
#include <linux/types.h>
#include "config.h"
#include "spool.h"

#define LOGDB_SCHEMA_VERSION	2
#define LOGDB_PASSWORD_MAX	256

/* A record and where it lives: its identity in the tables. */
struct logdb_row {
	struct spool_rec rec;
	__u64 spool_id, seg, off;
	const char *node;
};

/*
 * Read the password file of [mariadb] password_file (cfg: the file named
 * in messages, line: the key's line). Refused if it is readable or
 * writable by group or others, or is not a regular file. Trailing
 * newlines are dropped. 0, or -1 with err (which never holds the password).
 */
int logdb_read_password(const char *path, const char *cfg, int line, char *out,
			size_t len, char *err, size_t errlen);

struct logdb;
struct st_mysql;

/*
 * Connect only (for queries): timeouts from cfg in whole seconds, session
 * in UTC, autocommit off. NULL with err and *err_no on failure.
 */
struct st_mysql *logdb_connect(const struct adm_mariadb_config *cfg,
			       const char *password, unsigned int *err_no,
			       char *err, size_t errlen);

/* Called for a row MariaDB refuses for good (errno, message). */
typedef void (*logdb_dead_fn)(void *ctx, const struct logdb_row *r,
			      unsigned int err_no, const char *msg);

/*
 * Connect (connect, read and write timeouts from cfg, rounded up to whole
 * seconds: Connector/C counts seconds), set the session to UTC, create or
 * check the schema, prepare the inserts for up to max_rows rows a batch.
 * NULL with err and *err_no (the MariaDB error number, 0 if none) on
 * failure. A schema newer than LOGDB_SCHEMA_VERSION is refused.
 */
struct logdb *logdb_open(const struct adm_mariadb_config *cfg,
			 const char *password, unsigned int max_rows,
			 unsigned int *err_no, char *err, size_t errlen);

/*
 * Insert rows[0..n) (n <= max_rows) in one transaction. If the batch is
 * refused, it is retried row by row in a new transaction: rows refused
 * for good (data too long, a constraint, a bad value) go to dead() and
 * the others are committed. Returns 0 when committed (*inserted: rows new
 * to the tables, duplicates excluded), or -1 with err and *err_no when
 * nothing was committed and the caller should reconnect and retry later.
 */
int logdb_write(struct logdb *db, const struct logdb_row *rows, size_t n,
		logdb_dead_fn dead, void *ctx, __u64 *inserted,
		unsigned int *err_no, char *err, size_t errlen);

/* Does MariaDB error err_no refuse the row for good (dead letter)? */
int logdb_permanent(unsigned int err_no);

/* The connection, for queries. */
struct st_mysql *logdb_conn(struct logdb *db);

void logdb_close(struct logdb *db);

/* Time helpers: ns since the epoch <-> "YYYY-MM-DD HH:MM:SS.ffffff" (UTC). */
__u64 logdb_audit_time_ns(const char *iso);

#endif /* ADM_LOGDB_H */
