// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The log tables in MariaDB: connection with bounded timeouts, schema and
 * version table, batched idempotent inserts of spooled records with a
 * row-by-row fallback that separates poison rows (see logdb.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <errmsg.h>
#include "logdb.h"
#include "util.h"

#define LOGDB_NODE_MAX		64
#define LOGDB_ADDR_TEXT		46

/*
 * The schema, version by version: steps[v - 1] takes a database from
 * version v - 1 to v. The primary key is the record's spool position
 * (rows go in in key order, and a re-sent row is found by it); `id` orders
 * rows for `admctl logs tail --follow`. Indexes answer the operators'
 * questions: "who was refused in the last 10 minutes and why" (by_time),
 * "what did uid 1000 change today" (by_uid). Fewer indexes, more rows/s:
 * a by-source index cost ~30% of the insert rate and a --source query
 * scans the time range instead.
 */
static const char *const schema_v1[] = {
	"CREATE TABLE IF NOT EXISTS adm_decisions ("
	" id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,"
	" `time` DATETIME(6) NOT NULL,"
	" node VARCHAR(63) NOT NULL,"
	" service VARCHAR(31) NOT NULL,"
	" source VARCHAR(45) NOT NULL,"
	" source_bin VARBINARY(16) NOT NULL,"
	" sport SMALLINT UNSIGNED NOT NULL,"
	" dport SMALLINT UNSIGNED NOT NULL,"
	" proto TINYINT UNSIGNED NOT NULL,"
	" verdict VARCHAR(16) NOT NULL,"
	" reason VARCHAR(32) NOT NULL,"
	" `count` INT UNSIGNED NOT NULL,"
	" spool_id BIGINT UNSIGNED NOT NULL,"
	" seg BIGINT UNSIGNED NOT NULL,"
	" off BIGINT UNSIGNED NOT NULL,"
	" PRIMARY KEY (spool_id, seg, off),"
	" KEY id (id),"
	" KEY by_time (`time`)"
	") ENGINE=InnoDB",
	"CREATE TABLE IF NOT EXISTS adm_audit ("
	" id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,"
	" `time` DATETIME(3) NOT NULL,"
	" node VARCHAR(63) NOT NULL,"
	" uid INT UNSIGNED NOT NULL,"
	" user VARCHAR(63) NOT NULL,"
	" pid INT UNSIGNED NOT NULL,"
	" command VARCHAR(255) NOT NULL,"
	" `before` TEXT NOT NULL,"
	" `after` TEXT NOT NULL,"
	" result VARCHAR(600) NOT NULL,"
	" origin VARCHAR(15) NOT NULL,"
	" spool_id BIGINT UNSIGNED NOT NULL,"
	" seg BIGINT UNSIGNED NOT NULL,"
	" off BIGINT UNSIGNED NOT NULL,"
	" PRIMARY KEY (spool_id, seg, off),"
	" KEY id (id),"
	" KEY by_uid (uid, `time`),"
	" KEY by_time (`time`)"
	") ENGINE=InnoDB",
	NULL
};

/*
 * Version 2: admd aggregates decisions (userspace/lib/agg.h). A row is
 * then `count` decisions from `time` to `time_last`, from the sources in
 * source/prefix_len. Rows written under version 1 keep NULL in both: one
 * sampled record of one source. IF NOT EXISTS: a step cut short by a
 * crash before its version row is run again.
 */
static const char *const schema_v2[] = {
	"ALTER TABLE adm_decisions"
	" ADD COLUMN IF NOT EXISTS time_last DATETIME(6) NULL AFTER `time`,"
	" ADD COLUMN IF NOT EXISTS prefix_len TINYINT UNSIGNED NULL AFTER source_bin",
	NULL
};

static const char *const *const schema_steps[LOGDB_SCHEMA_VERSION] = {
	schema_v1,
	schema_v2,
};

static const char decision_sql[] =
	"INSERT INTO adm_decisions (`time`, time_last, node, service, source,"
	" source_bin, prefix_len, sport, dport, proto, verdict, reason, `count`,"
	" spool_id, seg, off)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON DUPLICATE KEY UPDATE id = id";
static const char audit_sql[] =
	"INSERT INTO adm_audit (`time`, node, uid, user, pid, command, `before`,"
	" `after`, result, origin, spool_id, seg, off)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON DUPLICATE KEY UPDATE id = id";

/* Row-wise array binding: one struct per row, bound once. */
struct drow {
	MYSQL_TIME time, time_last;
	char node[LOGDB_NODE_MAX];
	unsigned long node_len;
	char service[SPOOL_SVC_MAX];
	unsigned long service_len;
	char source[LOGDB_ADDR_TEXT];
	unsigned long source_len;
	unsigned char source_bin[16];
	unsigned long source_bin_len;
	unsigned char prefix_len;
	unsigned short sport, dport;
	unsigned char proto;
	char verdict[16];
	unsigned long verdict_len;
	char reason[32];
	unsigned long reason_len;
	unsigned int count;
	unsigned long long spool_id, seg, off;
};

struct arow {
	MYSQL_TIME time;
	char node[LOGDB_NODE_MAX];
	unsigned long node_len;
	unsigned int uid;
	char user[ADM_AUDIT_USER_MAX];
	unsigned long user_len;
	unsigned int pid;
	char command[ADM_AUDIT_WHAT_MAX];
	unsigned long command_len;
	char before[ADM_AUDIT_STATE_MAX];
	unsigned long before_len;
	char after[ADM_AUDIT_STATE_MAX];
	unsigned long after_len;
	char result[ADM_AUDIT_RESULT_MAX];
	unsigned long result_len;
	char origin[16];
	unsigned long origin_len;
	unsigned long long spool_id, seg, off;
};

struct logdb {
	MYSQL *m;
	MYSQL_STMT *dstmt, *astmt;
	unsigned int max_rows;
	struct drow *drows;
	struct arow *arows;
};

int logdb_read_password(const char *path, const char *cfg, int line, char *out,
			size_t len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "%s:%d: [mariadb] password_file '%s': cannot open: %s",
			 cfg, line, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s:%d: [mariadb] password_file '%s': not a regular file",
			 cfg, line, path);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s:%d: [mariadb] password_file '%s': mode %04o lets group or others read it; allowed: a file only its owner can read (chmod 600 %s)",
			 cfg, line, path, (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	n = read(fd, out, len - 1);
	if (n < 0 || (size_t)n >= len - 1) {
		snprintf(err, errlen, "%s:%d: [mariadb] password_file '%s': %s", cfg,
			 line, path, n < 0 ? strerror(errno) : "longer than 254 bytes");
		goto out;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	ret = 0;
out:
	close(fd);
	return ret;
}

int logdb_permanent(unsigned int e)
{
	switch (e) {
	case ER_DATA_TOO_LONG:			/* 1406 */
	case ER_BAD_NULL_ERROR:			/* 1048 */
	case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:	/* 1366 */
	case ER_WARN_DATA_OUT_OF_RANGE:		/* 1264 */
	case ER_TRUNCATED_WRONG_VALUE:		/* 1292 */
	case WARN_DATA_TRUNCATED:		/* 1265 */
	case ER_NO_REFERENCED_ROW_2:		/* 1452 */
	case ER_DUP_ENTRY:			/* 1062: a unique key of the operator's */
	case 4025:				/* ER_CONSTRAINT_FAILED: CHECK */
	case ER_SIGNAL_EXCEPTION:		/* 1644: a trigger refused it */
		return 1;
	}
	return 0;
}

static void set_err(MYSQL *m, unsigned int *err_no, char *err, size_t errlen,
		    const char *what)
{
	*err_no = mysql_errno(m);
	snprintf(err, errlen, "MariaDB: %s: %s (error %u)", what, mysql_error(m),
		 *err_no);
}

static void set_stmt_err(MYSQL_STMT *s, unsigned int *err_no, char *err,
			 size_t errlen, const char *what)
{
	*err_no = mysql_stmt_errno(s);
	snprintf(err, errlen, "MariaDB: %s: %s (error %u)", what,
		 mysql_stmt_error(s), *err_no);
}

static int run(MYSQL *m, const char *sql, unsigned int *err_no, char *err,
	       size_t errlen)
{
	if (mysql_query(m, sql)) {
		set_err(m, err_no, err, errlen, "query");
		return -1;
	}
	return 0;
}

/* Create or migrate the tables; refuse a schema newer than ours. */
static int schema(MYSQL *m, unsigned int *err_no, char *err, size_t errlen)
{
	unsigned int have = 0, v;
	MYSQL_RES *res;
	MYSQL_ROW row;
	char sql[128];
	int i;

	if (run(m, "CREATE TABLE IF NOT EXISTS adm_schema_version ("
		   " version INT UNSIGNED NOT NULL PRIMARY KEY,"
		   " applied TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"
		   ") ENGINE=InnoDB", err_no, err, errlen) ||
	    run(m, "SELECT COALESCE(MAX(version), 0) FROM adm_schema_version",
		err_no, err, errlen))
		return -1;
	res = mysql_store_result(m);
	if (!res) {
		set_err(m, err_no, err, errlen, "schema version");
		return -1;
	}
	row = mysql_fetch_row(res);
	if (row && row[0])
		have = strtoul(row[0], NULL, 10);
	mysql_free_result(res);
	if (have > LOGDB_SCHEMA_VERSION) {
		*err_no = 0;
		snprintf(err, errlen, "MariaDB: the log tables are at schema version %u, newer than this admd's %d; upgrade admd (nothing written, the spool keeps the records)",
			 have, LOGDB_SCHEMA_VERSION);
		return -1;
	}
	for (v = have + 1; v <= LOGDB_SCHEMA_VERSION; v++) {
		for (i = 0; schema_steps[v - 1][i]; i++)
			if (run(m, schema_steps[v - 1][i], err_no, err, errlen))
				return -1;
		snprintf(sql, sizeof(sql),
			 "INSERT IGNORE INTO adm_schema_version (version) VALUES (%u)", v);
		if (run(m, sql, err_no, err, errlen))
			return -1;
	}
	return 0;
}

static void set_bind(MYSQL_BIND *b, enum enum_field_types t, void *buf,
		 unsigned long *len, int is_unsigned)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = t;
	b->buffer = buf;
	b->length = len;
	b->is_unsigned = is_unsigned;
}

static int prepare(struct logdb *db, unsigned int *err_no, char *err,
		   size_t errlen)
{
	struct drow *d = db->drows;
	struct arow *a = db->arows;
	MYSQL_BIND b[16];
	size_t row_size;

	db->dstmt = mysql_stmt_init(db->m);
	db->astmt = mysql_stmt_init(db->m);
	if (!db->dstmt || !db->astmt) {
		*err_no = 0;
		snprintf(err, errlen, "MariaDB: out of memory");
		return -1;
	}
	if (mysql_stmt_prepare(db->dstmt, decision_sql, strlen(decision_sql))) {
		set_stmt_err(db->dstmt, err_no, err, errlen, "prepare");
		return -1;
	}
	if (mysql_stmt_prepare(db->astmt, audit_sql, strlen(audit_sql))) {
		set_stmt_err(db->astmt, err_no, err, errlen, "prepare");
		return -1;
	}
	set_bind(&b[0], MYSQL_TYPE_DATETIME, &d->time, NULL, 0);
	set_bind(&b[1], MYSQL_TYPE_DATETIME, &d->time_last, NULL, 0);
	set_bind(&b[2], MYSQL_TYPE_STRING, d->node, &d->node_len, 0);
	set_bind(&b[3], MYSQL_TYPE_STRING, d->service, &d->service_len, 0);
	set_bind(&b[4], MYSQL_TYPE_STRING, d->source, &d->source_len, 0);
	set_bind(&b[5], MYSQL_TYPE_BLOB, d->source_bin, &d->source_bin_len, 0);
	set_bind(&b[6], MYSQL_TYPE_TINY, &d->prefix_len, NULL, 1);
	set_bind(&b[7], MYSQL_TYPE_SHORT, &d->sport, NULL, 1);
	set_bind(&b[8], MYSQL_TYPE_SHORT, &d->dport, NULL, 1);
	set_bind(&b[9], MYSQL_TYPE_TINY, &d->proto, NULL, 1);
	set_bind(&b[10], MYSQL_TYPE_STRING, d->verdict, &d->verdict_len, 0);
	set_bind(&b[11], MYSQL_TYPE_STRING, d->reason, &d->reason_len, 0);
	set_bind(&b[12], MYSQL_TYPE_LONG, &d->count, NULL, 1);
	set_bind(&b[13], MYSQL_TYPE_LONGLONG, &d->spool_id, NULL, 1);
	set_bind(&b[14], MYSQL_TYPE_LONGLONG, &d->seg, NULL, 1);
	set_bind(&b[15], MYSQL_TYPE_LONGLONG, &d->off, NULL, 1);
	row_size = sizeof(*d);
	if (mysql_stmt_attr_set(db->dstmt, STMT_ATTR_ROW_SIZE, &row_size) ||
	    mysql_stmt_bind_param(db->dstmt, b)) {
		set_stmt_err(db->dstmt, err_no, err, errlen, "bind");
		return -1;
	}
	set_bind(&b[0], MYSQL_TYPE_DATETIME, &a->time, NULL, 0);
	set_bind(&b[1], MYSQL_TYPE_STRING, a->node, &a->node_len, 0);
	set_bind(&b[2], MYSQL_TYPE_LONG, &a->uid, NULL, 1);
	set_bind(&b[3], MYSQL_TYPE_STRING, a->user, &a->user_len, 0);
	set_bind(&b[4], MYSQL_TYPE_LONG, &a->pid, NULL, 1);
	set_bind(&b[5], MYSQL_TYPE_STRING, a->command, &a->command_len, 0);
	set_bind(&b[6], MYSQL_TYPE_STRING, a->before, &a->before_len, 0);
	set_bind(&b[7], MYSQL_TYPE_STRING, a->after, &a->after_len, 0);
	set_bind(&b[8], MYSQL_TYPE_STRING, a->result, &a->result_len, 0);
	set_bind(&b[9], MYSQL_TYPE_STRING, a->origin, &a->origin_len, 0);
	set_bind(&b[10], MYSQL_TYPE_LONGLONG, &a->spool_id, NULL, 1);
	set_bind(&b[11], MYSQL_TYPE_LONGLONG, &a->seg, NULL, 1);
	set_bind(&b[12], MYSQL_TYPE_LONGLONG, &a->off, NULL, 1);
	row_size = sizeof(*a);
	if (mysql_stmt_attr_set(db->astmt, STMT_ATTR_ROW_SIZE, &row_size) ||
	    mysql_stmt_bind_param(db->astmt, b)) {
		set_stmt_err(db->astmt, err_no, err, errlen, "bind");
		return -1;
	}
	return 0;
}

struct st_mysql *logdb_connect(const struct adm_mariadb_config *cfg,
			       const char *password, unsigned int *err_no,
			       char *err, size_t errlen)
{
	unsigned int ct = (cfg->connect_timeout_ms + 999) / 1000;
	unsigned int io = (cfg->io_timeout_ms + 999) / 1000;
	my_bool off = 0;
	MYSQL *m;

	*err_no = 0;
	m = mysql_init(NULL);
	if (!m) {
		snprintf(err, errlen, "MariaDB: out of memory");
		return NULL;
	}
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &io);
	mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &io);
	mysql_optionsv(m, MYSQL_OPT_RECONNECT, &off);
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (!mysql_real_connect(m, cfg->socket[0] ? NULL : cfg->host,
				cfg->user, password && *password ? password : NULL,
				cfg->database, cfg->socket[0] ? 0 : cfg->port,
				cfg->socket[0] ? cfg->socket : NULL, 0)) {
		set_err(m, err_no, err, errlen, "connect");
		mysql_close(m);
		return NULL;
	}
	if (run(m, "SET time_zone = '+00:00', autocommit = 0", err_no, err, errlen)) {
		mysql_close(m);
		return NULL;
	}
	return m;
}

struct logdb *logdb_open(const struct adm_mariadb_config *cfg,
			 const char *password, unsigned int max_rows,
			 unsigned int *err_no, char *err, size_t errlen)
{
	struct logdb *db;

	*err_no = 0;
	db = calloc(1, sizeof(*db));
	if (!db || !max_rows)
		goto oom;
	db->max_rows = max_rows;
	db->drows = calloc(max_rows, sizeof(*db->drows));
	db->arows = calloc(max_rows, sizeof(*db->arows));
	if (!db->drows || !db->arows)
		goto oom;
	db->m = logdb_connect(cfg, password, err_no, err, errlen);
	if (!db->m ||
	    schema(db->m, err_no, err, errlen) ||
	    run(db->m, "COMMIT", err_no, err, errlen) ||
	    prepare(db, err_no, err, errlen))
		goto fail;
	return db;
oom:
	snprintf(err, errlen, "MariaDB: out of memory");
fail:
	logdb_close(db);
	return NULL;
}

static void ns_to_time(__u64 ns, MYSQL_TIME *t)
{
	time_t s = ns / 1000000000ULL;
	struct tm tm;

	gmtime_r(&s, &tm);
	memset(t, 0, sizeof(*t));
	t->year = tm.tm_year + 1900;
	t->month = tm.tm_mon + 1;
	t->day = tm.tm_mday;
	t->hour = tm.tm_hour;
	t->minute = tm.tm_min;
	t->second = tm.tm_sec;
	t->second_part = (ns % 1000000000ULL) / 1000;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
}

__u64 logdb_audit_time_ns(const char *iso)
{
	unsigned int ms = 0;
	struct tm tm;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	p = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return 0;
	if (*p == '.')
		ms = strtoul(p + 1, NULL, 10) % 1000;
	return (__u64)timegm(&tm) * 1000000000ULL + ms * 1000000ULL;
}

/* Copy s into a bound string field; the length is the text's. */
#define PUT(field, s) do { \
	snprintf((field), sizeof(field), "%s", (s)); \
	field##_len = strlen(field); \
} while (0)

static void fill_drow(struct drow *d, const struct logdb_row *r)
{
	const struct spool_decision *x = &r->rec.d;

	ns_to_time(x->time_ns, &d->time);
	ns_to_time(x->time_last_ns > x->time_ns ? x->time_last_ns : x->time_ns,
		   &d->time_last);
	PUT(d->node, r->node);
	PUT(d->service, x->service);
	adm_format_addr(x->addr, d->source, sizeof(d->source));
	d->source_len = strlen(d->source);
	memcpy(d->source_bin, x->addr, 16);
	d->source_bin_len = 16;
	d->prefix_len = x->prefix_len;
	d->sport = x->sport;
	d->dport = x->dport;
	d->proto = x->proto;
	PUT(d->verdict, adm_verdict_name(x->verdict));
	PUT(d->reason, adm_reason_name(x->reason));
	d->count = x->count;
	d->spool_id = r->spool_id;
	d->seg = r->seg;
	d->off = r->off;
}

static void fill_arow(struct arow *a, const struct logdb_row *r)
{
	const struct adm_audit *x = &r->rec.a;

	ns_to_time(logdb_audit_time_ns(x->time), &a->time);
	PUT(a->node, r->node);
	a->uid = x->uid;
	PUT(a->user, x->user);
	a->pid = x->pid;
	PUT(a->command, x->what);
	PUT(a->before, x->before);
	PUT(a->after, x->after);
	PUT(a->result, x->result);
	PUT(a->origin, x->origin);
	a->spool_id = r->spool_id;
	a->seg = r->seg;
	a->off = r->off;
}

/* Execute stmt over its first n bound rows; rows affected into *added. */
static int exec_rows(MYSQL_STMT *s, unsigned int n, __u64 *added,
		     unsigned int *err_no, char *err, size_t errlen)
{
	my_ulonglong aff;

	if (!n)
		return 0;
	if (mysql_stmt_attr_set(s, STMT_ATTR_ARRAY_SIZE, &n) ||
	    mysql_stmt_execute(s)) {
		set_stmt_err(s, err_no, err, errlen, "insert");
		return -1;
	}
	aff = mysql_stmt_affected_rows(s);
	if (aff != (my_ulonglong)-1)
		*added += aff;
	return 0;
}

/* The whole batch, two statements, one transaction. */
static int write_batch(struct logdb *db, const struct logdb_row *rows, size_t n,
		       __u64 *added, unsigned int *err_no, char *err,
		       size_t errlen)
{
	unsigned int nd = 0, na = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (rows[i].rec.type == SPOOL_T_DECISION)
			fill_drow(&db->drows[nd++], &rows[i]);
		else
			fill_arow(&db->arows[na++], &rows[i]);
	}
	if (exec_rows(db->dstmt, nd, added, err_no, err, errlen) ||
	    exec_rows(db->astmt, na, added, err_no, err, errlen))
		return -1;
	if (spool_crash_hook)
		spool_crash_hook("db_after_insert");
	if (mysql_commit(db->m)) {
		set_err(db->m, err_no, err, errlen, "commit");
		return -1;
	}
	return 0;
}

int logdb_write(struct logdb *db, const struct logdb_row *rows, size_t n,
		logdb_dead_fn dead, void *ctx, __u64 *inserted,
		unsigned int *err_no, char *err, size_t errlen)
{
	unsigned int one_err;
	char one_msg[512];
	__u64 added = 0;
	size_t i;

	*inserted = 0;
	*err_no = 0;
	if (n > db->max_rows) {
		snprintf(err, errlen, "MariaDB: batch of %zu rows, more than %u", n,
			 db->max_rows);
		return -1;
	}
	if (!write_batch(db, rows, n, &added, err_no, err, errlen)) {
		*inserted = added;
		return 0;
	}
	mysql_rollback(db->m);
	if (!logdb_permanent(*err_no))
		return -1;
	/* A row in the batch is refused: find it, one row at a time. */
	added = 0;
	for (i = 0; i < n; i++) {
		MYSQL_STMT *s = rows[i].rec.type == SPOOL_T_DECISION ? db->dstmt :
								       db->astmt;

		if (rows[i].rec.type == SPOOL_T_DECISION)
			fill_drow(&db->drows[0], &rows[i]);
		else
			fill_arow(&db->arows[0], &rows[i]);
		if (!exec_rows(s, 1, &added, &one_err, one_msg, sizeof(one_msg)))
			continue;
		if (!logdb_permanent(one_err)) {
			*err_no = one_err;
			snprintf(err, errlen, "%s", one_msg);
			mysql_rollback(db->m);
			return -1;
		}
		if (dead)
			dead(ctx, &rows[i], one_err, one_msg);
	}
	if (mysql_commit(db->m)) {
		set_err(db->m, err_no, err, errlen, "commit");
		mysql_rollback(db->m);
		return -1;
	}
	*inserted = added;
	return 0;
}

struct st_mysql *logdb_conn(struct logdb *db)
{
	return db->m;
}

void logdb_close(struct logdb *db)
{
	if (!db)
		return;
	if (db->dstmt)
		mysql_stmt_close(db->dstmt);
	if (db->astmt)
		mysql_stmt_close(db->astmt);
	if (db->m)
		mysql_close(db->m);
	free(db->drows);
	free(db->arows);
	free(db);
}
