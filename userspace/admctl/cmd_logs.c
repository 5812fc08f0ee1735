// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admctl logs tail|query: decision and audit records read back where they
 * are kept, never through admd: from MariaDB when the config has a
 * [mariadb] server and it answers (within connect_timeout_ms), else from
 * the spool files under spool_dir. Says which on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mysql.h>
#include "admctl.h"
#include "logdb.h"
#include "spool.h"
#include "util.h"

#define LOGS_DEFAULT_N		10
#define LOGS_TAIL_MAX		1000
#define LOGS_QUERY_DEFAULT	1000
#define LOGS_QUERY_MAX		1000000
#define LOGS_DEFAULT_SINCE_NS	(3600ULL * 1000000000ULL)
#define LOGS_FOLLOW_MS		1000
#define LOGS_DEFAULT_CONFIG	"/etc/adm/adm.conf"
#define NS_PER_SEC		1000000000ULL
#define SQL_MAX			16384	/* room for a --source on every aggregation prefix */
#define V4MAPPED_BITS		96
#define AUDIT_LINE_MAX		(2 * sizeof(struct adm_audit))	/* room for escapes */

static volatile sig_atomic_t logs_stop;

static void on_int(int sig)
{
	(void)sig;
	logs_stop = 1;
}

static void logs_usage(FILE *f)
{
	fprintf(f,
"Usage: admctl logs tail [-n N] [--follow] [--json]\n"
"       admctl logs query [--since DUR] [--source CIDR] [--service NAME]\n"
"                         [--reason R] [--audit [--uid N]] [-n LIMIT] [--json]\n"
"\n"
"Decision records (the kernel samples the first refusal per source per\n"
"second; admd merges those of one source or prefix, verdict and reason\n"
"within [mariadb] aggregate_ms: a record is `count` decisions from `time` to\n"
"`time_last`) and audit records (every operator action: who, what,\n"
"before, after). Read from MariaDB when the config (-c FILE, default\n"
LOGS_DEFAULT_CONFIG ") has a [mariadb] server that answers, else from the\n"
"spool files under spool_dir (records not yet sent); stderr says which\n"
"(with --json: a first line {\"type\": \"source\", \"from\": ...}).\n"
"Never asks admd: works while admd is down or busy.\n"
"\n"
"  tail            the last N records (default %d, at most %d); --follow\n"
"                  then prints new ones every second until Ctrl-C\n"
"  query           records of the last DUR (default 1h; 10m, 2h, 1d ...),\n"
"                  oldest first, at most LIMIT (default %d)\n"
"  --source CIDR   decisions from this address or prefix\n"
"  --service NAME  decisions of this service\n"
"  --reason R      decisions for this reason (rate_source, deny_list, ...)\n"
"  --audit         audit records instead of decisions; --uid N: of this uid\n"
"\n"
"Examples:\n"
"  admctl -c /etc/adm/adm.conf logs tail --follow\n"
"  admctl logs query --since 10m --service web      # who was refused, and why\n"
"  admctl logs query --since 1d --audit --uid 1000  # what uid 1000 changed\n"
"  admctl logs query --since 1h --source 203.0.113.0/24 --json | jq .count\n",
		LOGS_DEFAULT_N, LOGS_TAIL_MAX, LOGS_QUERY_DEFAULT);
}

/* What to read. */
struct logq {
	int audit;			/* audit records (query); tail: both */
	int tail;
	__u64 n;
	__u64 since_ns;			/* UTC ns; 0: no bound */
	int has_src;
	struct adm_lpm_key src;
	const char *service;
	const char *reason;
	int has_uid;
	__u64 uid;
};

/* ------------------------------------------------------------ output */

static void time_text(__u64 ns, char *buf, size_t len)
{
	time_t s = ns / NS_PER_SEC;
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06lluZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned long long)(ns % NS_PER_SEC) / 1000);
}

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

/* One record: a JSON line, or a line of text. Takes the reference. */
static void print_record(struct ctl *ctl, json_t *rec)
{
	if (ctl->json) {
		json_dumpf(rec, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else if (!strcmp(jstr(rec, "type"), "audit")) {
		char err[ADM_ERR_MAX], line[AUDIT_LINE_MAX];
		struct adm_audit a;

		if (adm_audit_from_json(rec, &a, err, sizeof(err)))
			snprintf(line, sizeof(line), "(unreadable: %s)", err);
		else
			adm_audit_format(&a, line, sizeof(line));
		printf("%s audit %s node=%s\n", jstr(rec, "time"), line, jstr(rec, "node"));
	} else if (!strcmp(jstr(rec, "type"), "source")) {
		/* only with --json */
	} else {
		long long plen = json_integer_value(json_object_get(rec, "prefix_len"));
		const char *src = jstr(rec, "src");
		char whole[80];

		/* An aggregated prefix shows as ADDR/LEN; one source as ADDR. */
		if (plen && plen != (strchr(src, ':') ? 128 : 32))
			snprintf(whole, sizeof(whole), "%s/%lld", src, plen);
		else
			snprintf(whole, sizeof(whole), "%s", src);
		printf("%s decision %s %s %s:%lld -> :%lld %s %s x%lld\n",
		       jstr(rec, "time"), jstr(rec, "node"), jstr(rec, "service"),
		       whole, json_integer_value(json_object_get(rec, "sport")),
		       json_integer_value(json_object_get(rec, "dport")),
		       jstr(rec, "verdict"), jstr(rec, "reason"),
		       json_integer_value(json_object_get(rec, "count")));
	}
	json_decref(rec);
	fflush(stdout);
}

static json_t *decision_json(const struct spool_decision *d, const char *node)
{
	char t[48], tl[48], addr[64];

	time_text(d->time_ns, t, sizeof(t));
	time_text(d->time_last_ns > d->time_ns ? d->time_last_ns : d->time_ns,
		  tl, sizeof(tl));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:s, s:s, s:I}",
			 "type", "decision", "time", t, "time_last", tl, "node", node,
			 "service", d->service,
			 "src", adm_format_addr(d->addr, addr, sizeof(addr)),
			 "prefix_len", d->prefix_len,
			 "sport", d->sport, "dport", d->dport,
			 "verdict", adm_verdict_name(d->verdict),
			 "reason", adm_reason_name(d->reason),
			 "count", (json_int_t)d->count);
}

static json_t *audit_json(const struct adm_audit *a, const char *node)
{
	json_t *o = adm_audit_to_json(a);

	if (o)
		json_object_set_new(o, "node", json_string(node));
	return o;
}

/* ------------------------------------------------------------ filters */

/*
 * Does a record of addr/prefix_len (aggregated by admd: prefix_len in its
 * family's bits) overlap the --source prefix? One holds the other: compare
 * the shorter prefix's bits.
 */
static int src_match(const struct logq *q, const __u32 addr[4], __u8 prefix_len)
{
	const __u8 *a = (const __u8 *)addr, *p = (const __u8 *)q->src.addr;
	__u32 bits = q->src.prefixlen, rbits, i;

	rbits = adm_addr_is_v4(addr) ? V4MAPPED_BITS + (prefix_len ? prefix_len : 32) :
				       (prefix_len ? prefix_len : 128);
	if (rbits < bits)
		bits = rbits;

	for (i = 0; i < bits / 8; i++)
		if (a[i] != p[i])
			return 0;
	if (bits % 8) {
		__u8 mask = 0xff << (8 - bits % 8);

		if ((a[i] & mask) != (p[i] & mask))
			return 0;
	}
	return 1;
}

static int rec_match(const struct logq *q, const struct spool_rec *r)
{
	if (r->type == SPOOL_T_AUDIT) {
		if (!q->tail && !q->audit)
			return 0;
		if (q->since_ns && logdb_audit_time_ns(r->a.time) < q->since_ns)
			return 0;
		return !q->has_uid || r->a.uid == q->uid;
	}
	if (!q->tail && q->audit)
		return 0;
	if (q->since_ns && r->d.time_ns < q->since_ns)
		return 0;
	if (q->has_src && !src_match(q, r->d.addr, r->d.prefix_len))
		return 0;
	if (q->service && strcmp(q->service, r->d.service))
		return 0;
	return !q->reason || !strcmp(q->reason, adm_reason_name(r->d.reason));
}

/* ------------------------------------------------------------ spool */

/* A ring of the last n matching records (tail), or the first n (query). */
struct recbuf {
	json_t **v;
	__u64 cap, len, first;
};

static void rb_push(struct recbuf *b, json_t *o, int ring)
{
	if (!o)
		return;
	if (b->len < b->cap) {
		b->v[(b->first + b->len++) % b->cap] = o;
	} else if (ring && b->cap) {
		json_decref(b->v[b->first]);
		b->v[b->first] = o;
		b->first = (b->first + 1) % b->cap;
	} else {
		json_decref(o);
	}
}

static void rb_flush(struct ctl *ctl, struct recbuf *b)
{
	__u64 i;

	for (i = 0; i < b->len; i++)
		print_record(ctl, b->v[(b->first + i) % b->cap]);
	b->len = b->first = 0;
}

/*
 * Read the spool from *from (seq 0: the start), matching records into b.
 * *from moves past what was read (for --follow).
 */
static void spool_read(const char *dir, const struct logq *q, struct recbuf *b,
		       struct spool_pos *from)
{
	char err[512];
	__u64 *seqs, off;
	struct spool_scan s;
	struct spool_rec r;
	const void *pl;
	size_t n, i, plen;

	if (spool_list(dir, &seqs, &n))
		return;
	for (i = 0; i < n; i++) {
		if (seqs[i] < from->seq)
			continue;
		if (spool_scan_open(&s, dir, seqs[i], seqs[i] == from->seq ? from->off : 0,
				    0, err, sizeof(err)))
			continue;
		while (spool_scan_next(&s, &pl, &plen, &off, NULL, NULL) == 1) {
			if (spool_decode(pl, plen, &r) || !rec_match(q, &r))
				continue;
			rb_push(b, r.type == SPOOL_T_AUDIT ? audit_json(&r.a, s.hdr.node) :
				decision_json(&r.d, s.hdr.node), q->tail);
		}
		from->seq = seqs[i];
		from->off = s.off;
		spool_scan_close(&s);
	}
	free(seqs);
}

/* ------------------------------------------------------------ MariaDB */

static const char decision_cols[] =
	"id, DATE_FORMAT(`time`, '%Y-%m-%dT%H:%i:%s.%fZ'), node, service, source,"
	" sport, dport, verdict, reason, `count`,"
	" DATE_FORMAT(COALESCE(time_last, `time`), '%Y-%m-%dT%H:%i:%s.%fZ'),"
	" COALESCE(prefix_len, IF(source LIKE '%:%', 128, 32))";
static const char audit_cols[] =
	"id, DATE_FORMAT(`time`, '%Y-%m-%dT%H:%i:%s.%fZ'), node, uid, user, pid,"
	" command, `before`, `after`, result, origin";

static json_t *db_row_json(int audit, MYSQL_ROW row)
{
	if (audit)
		return json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s}",
				 "type", "audit", "time", row[1], "node", row[2],
				 "uid", (json_int_t)strtoll(row[3], NULL, 10),
				 "user", row[4], "pid", (json_int_t)strtoll(row[5], NULL, 10),
				 "what", row[6], "before", row[7], "after", row[8],
				 "result", row[9], "origin", row[10]);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:I}",
			 "type", "decision", "time", row[1], "time_last", row[10],
			 "node", row[2], "service", row[3], "src", row[4],
			 "prefix_len", (json_int_t)strtoll(row[11], NULL, 10),
			 "sport", (json_int_t)strtoll(row[5], NULL, 10),
			 "dport", (json_int_t)strtoll(row[6], NULL, 10),
			 "verdict", row[7], "reason", row[8],
			 "count", (json_int_t)strtoll(row[9], NULL, 10));
}

/* WHERE clause of q for one table into buf (values are validated names). */
static void db_where(MYSQL *m, const struct logq *q, int audit, __u64 after_id,
		     char *buf, size_t len)
{
	size_t used;
	char esc[2 * 64 + 1];

	used = snprintf(buf, len, " WHERE id > %llu", (unsigned long long)after_id);
	if (q->since_ns) {
		char t[48];

		time_text(q->since_ns, t, sizeof(t));
		t[strlen(t) - 1] = '\0';	/* no 'Z' */
		used += snprintf(buf + used, len - used, " AND `time` >= '%s'", t);
	}
	if (audit) {
		if (q->has_uid)
			used += snprintf(buf + used, len - used, " AND uid = %llu",
					 (unsigned long long)q->uid);
		return;
	}
	if (q->has_src) {
		unsigned char lo[16], hi[16];
		__u32 i, bits = q->src.prefixlen;

		memcpy(lo, q->src.addr, 16);
		memcpy(hi, q->src.addr, 16);
		for (i = 0; i < 128; i++) {
			if (i < bits)
				continue;
			lo[i / 8] &= ~(0x80 >> (i % 8));
			hi[i / 8] |= 0x80 >> (i % 8);
		}
		used += snprintf(buf + used, len - used, " AND (source_bin BETWEEN X'");
		for (i = 0; i < 16; i++)
			used += snprintf(buf + used, len - used, "%02x", lo[i]);
		used += snprintf(buf + used, len - used, "' AND X'");
		for (i = 0; i < 16; i++)
			used += snprintf(buf + used, len - used, "%02x", hi[i]);
		used += snprintf(buf + used, len - used, "'");
		/*
		 * Rows admd aggregated into a prefix shorter than the query's,
		 * holding it: one term per prefix length admd may use.
		 */
		{
			int v4 = adm_addr_is_v4(q->src.addr);
			__u32 base = v4 ? V4MAPPED_BITS : 0, p, a[4];
			__u32 qlen = bits > base ? bits - base : 0;

			for (p = v4 ? ADM_AGG_PREFIX4_MIN : ADM_AGG_PREFIX6_MIN;
			     p < qlen && used < len; p++) {
				memcpy(a, q->src.addr, sizeof(a));
				adm_addr_mask(a, p);
				used += snprintf(buf + used, len - used,
						 " OR (prefix_len = %u AND source_bin = X'", p);
				for (i = 0; i < 16; i++)
					used += snprintf(buf + used, len - used, "%02x",
							 ((const __u8 *)a)[i]);
				used += snprintf(buf + used, len - used, "')");
			}
		}
		used += snprintf(buf + used, len - used, ")");
	}
	if (q->service) {
		mysql_real_escape_string(m, esc, q->service, strnlen(q->service, 64));
		used += snprintf(buf + used, len - used, " AND service = '%s'", esc);
	}
	if (q->reason) {
		mysql_real_escape_string(m, esc, q->reason, strnlen(q->reason, 64));
		snprintf(buf + used, len - used, " AND reason = '%s'", esc);
	}
}

/*
 * One table's matching rows into b: the last n (tail: newest first in
 * SQL, pushed oldest first) or the first n. *last_id: highest id seen.
 * 0, or -1 with err.
 */
static int db_read(MYSQL *m, const struct logq *q, int audit, struct recbuf *b,
		   __u64 *last_id, int newest, char *err, size_t errlen)
{
	char where[SQL_MAX], sql[SQL_MAX * 2];
	json_t **rows = NULL;
	MYSQL_RES *res;
	MYSQL_ROW row;
	__u64 n = 0, i;

	db_where(m, q, audit, *last_id, where, sizeof(where));
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s%s ORDER BY id %s LIMIT %llu",
		 audit ? audit_cols : decision_cols,
		 audit ? "adm_audit" : "adm_decisions", where,
		 newest ? "DESC" : "ASC", (unsigned long long)q->n);
	if (mysql_query(m, sql) || !(res = mysql_store_result(m))) {
		snprintf(err, errlen, "%s (error %u)", mysql_error(m), mysql_errno(m));
		return -1;
	}
	rows = calloc(mysql_num_rows(res) + 1, sizeof(*rows));
	while (rows && (row = mysql_fetch_row(res))) {
		__u64 id = strtoull(row[0], NULL, 10);

		if (id > *last_id)
			*last_id = id;
		rows[n++] = db_row_json(audit, row);
	}
	mysql_free_result(res);
	mysql_commit(m);	/* end the read's transaction: --follow sees new rows */
	for (i = 0; i < n; i++)
		rb_push(b, rows[newest ? n - 1 - i : i], q->tail);
	free(rows);
	return 0;
}

/* Merge two time-ordered sets (tail shows both tables): by "time". */
static int cmp_time(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;

	return strcmp(jstr(a, "time"), jstr(b, "time"));
}

static void rb_sort(struct recbuf *b)
{
	json_t **v = malloc(b->len * sizeof(*v) + 1);
	__u64 i;

	if (!v)
		return;
	for (i = 0; i < b->len; i++)
		v[i] = b->v[(b->first + i) % b->cap];
	qsort(v, b->len, sizeof(*v), cmp_time);
	for (i = 0; i < b->len; i++)
		b->v[i] = v[i];
	b->first = 0;
	free(v);
}

/* ------------------------------------------------------------ the command */

/* The config's [mariadb] and spool_dir; defaults from the pin root. */
static void load_config(struct ctl *ctl, struct adm_config *cfg, int *have)
{
	const char *path = ctl->config[0] ? ctl->config : LOGS_DEFAULT_CONFIG;
	char err[ADM_ERR_MAX];

	*have = 0;
	/* The default config only if it is the config of this pin root. */
	if ((ctl->config[0] || !access(path, R_OK)) &&
	    !adm_config_load(path, cfg, err, sizeof(err)) &&
	    (ctl->config[0] || !strcmp(cfg->pin_root, ctl->pin_root))) {
		*have = 1;
		return;
	}
	if (ctl->config[0])
		fprintf(stderr, "admctl logs: %s\n", err);
	memset(cfg, 0, sizeof(*cfg));
	/* No config: the default spool of this pin root. */
	adm_config_parse_string("[service x]\nports = 1\n", "(defaults)", cfg, err,
				sizeof(err));
	snprintf(cfg->pin_root, sizeof(cfg->pin_root), "%s", ctl->pin_root);
	{
		const char *base = strrchr(ctl->pin_root, '/');

		snprintf(cfg->mariadb.spool_dir, sizeof(cfg->mariadb.spool_dir), "%s/%s",
			 ADM_SPOOL_DIR_BASE, base && base[1] ? base + 1 : "adm");
	}
}

static int run_logs(struct ctl *ctl, struct logq *q, int follow)
{
	struct adm_config *cfg = calloc(1, sizeof(*cfg));
	char err[ADM_ERR_MAX + 512], password[LOGDB_PASSWORD_MAX];
	char src[PATH_MAX + ADM_DB_NAME_MAX + 32] = "";
	struct recbuf b = { .cap = q->n ? q->n : 1 };
	__u64 last_d = 0, last_a = 0;
	struct spool_pos from = {};
	unsigned int err_no;
	MYSQL *m = NULL;
	int have, round = 0, ret = EXIT_FAIL;

	b.v = calloc(b.cap * 2, sizeof(*b.v));
	b.cap *= 2;	/* tail of both tables before the merge */
	if (!cfg || !b.v)
		goto out;
	load_config(ctl, cfg, &have);
	if (have && cfg->mariadb.enabled) {
		if (cfg->mariadb.password_file[0] &&
		    logdb_read_password(cfg->mariadb.password_file, cfg->path,
					cfg->mariadb.password_file_line, password,
					sizeof(password), err, sizeof(err))) {
			fprintf(stderr, "admctl logs: %s\n", err);
		} else {
			if (!cfg->mariadb.password_file[0])
				password[0] = '\0';
			m = logdb_connect(&cfg->mariadb, password, &err_no, err, sizeof(err));
			memset(password, 0, sizeof(password));
		}
	}
	/* Say where the records come from: stderr, or a first JSON line. */
	if (m)
		snprintf(src, sizeof(src), "MariaDB %s, database %s",
			 cfg->mariadb.socket[0] ? cfg->mariadb.socket : cfg->mariadb.host,
			 cfg->mariadb.database);
	if (ctl->json) {
		json_t *o = m ? json_pack("{s:s, s:s, s:s}", "type", "source", "from",
					    "mariadb", "detail", src) :
				  json_pack("{s:s, s:s, s:s, s:s}", "type", "source", "from",
					    "spool", "dir", cfg->mariadb.spool_dir, "detail",
					    have && cfg->mariadb.enabled ?
					    "MariaDB not reachable; the spool holds only the records not yet sent" :
					    "no [mariadb] server configured");
		print_record(ctl, o);
	} else if (m) {
		fprintf(stderr, "admctl logs: from %s\n", src);
	} else {
		fprintf(stderr, "admctl logs: from the spool %s%s%s%s\n",
			cfg->mariadb.spool_dir,
			have && cfg->mariadb.enabled ? " (MariaDB not reachable: " : "",
			have && cfg->mariadb.enabled ? err : "",
			have && cfg->mariadb.enabled ?
				"; the spool holds only the records not yet sent)" : "");
	}
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	for (;;) {
		if (m) {
			if ((q->tail || !q->audit) &&
			    db_read(m, q, 0, &b, &last_d, q->tail && !round, err, sizeof(err)))
				goto dberr;
			if ((q->tail || q->audit) &&
			    db_read(m, q, 1, &b, &last_a, q->tail && !round, err, sizeof(err)))
				goto dberr;
		} else {
			spool_read(cfg->mariadb.spool_dir, q, &b, &from);
		}
		if (q->tail)
			rb_sort(&b);
		if (q->tail && b.len > q->n) {
			/* keep the newest n of the merged set */
			__u64 drop = b.len - q->n, i;

			for (i = 0; i < drop; i++)
				json_decref(b.v[i]);
			memmove(b.v, b.v + drop, q->n * sizeof(*b.v));
			b.len = q->n;
		}
		rb_flush(ctl, &b);
		if (!follow || logs_stop)
			break;
		round++;
		q->n = LOGS_TAIL_MAX;	/* after the first screen: everything new */
		q->since_ns = 0;
		usleep(LOGS_FOLLOW_MS * 1000);
		if (logs_stop)
			break;
	}
	ret = EXIT_OK;
	goto out;
dberr:
	fprintf(stderr, "admctl logs: MariaDB: %s\n", err);
out:
	if (m)
		mysql_close(m);
	free(b.v);
	free(cfg);
	return ret;
}

int do_logs(struct ctl *ctl, int argc, char **argv)
{
	const char *n_text = NULL, *since = NULL, *source = NULL, *uid = NULL;
	const char *pos[1];
	int follow = 0, audit = 0, rc, n_pos;
	struct logq q = {};
	const struct ctl_opt opts[] = {
		{ .name = "count", .short_name = 'n', .value = &n_text },
		{ .name = "follow", .short_name = 'f', .flag = &follow },
		{ .name = "since", .value = &since },
		{ .name = "source", .value = &source },
		{ .name = "service", .value = &q.service },
		{ .name = "reason", .value = &q.reason },
		{ .name = "audit", .flag = &audit },
		{ .name = "uid", .value = &uid },
		{}
	};
	struct timespec now;
	__u64 ns;

	rc = ctl_args(ctl, "logs", argc, argv, 1, opts, pos, 1, &n_pos);
	if (rc == CTL_ARGS_HELP) {
		logs_usage(stdout);
		return EXIT_OK;
	}
	if (rc)
		return rc;
	if (!n_pos)
		return ctl_usage_error("logs", "tail or query? see 'admctl logs --help'");
	if (!strcmp(pos[0], "tail")) {
		q.tail = 1;
		q.n = LOGS_DEFAULT_N;
		if (since || source || q.service || q.reason || audit || uid)
			return ctl_usage_error("logs tail", "filters belong to 'logs query'");
		if (n_text && adm_parse_u64(n_text, 0, LOGS_TAIL_MAX, &q.n))
			return ctl_usage_error("logs tail", "-n '%s' is not a number 0..%d",
					       n_text, LOGS_TAIL_MAX);
	} else if (!strcmp(pos[0], "query")) {
		q.n = LOGS_QUERY_DEFAULT;
		if (follow)
			return ctl_usage_error("logs query", "--follow belongs to 'logs tail'");
		if (n_text && adm_parse_u64(n_text, 1, LOGS_QUERY_MAX, &q.n))
			return ctl_usage_error("logs query", "-n '%s' is not a number 1..%d",
					       n_text, LOGS_QUERY_MAX);
		ns = LOGS_DEFAULT_SINCE_NS;
		if (since && adm_parse_duration(since, &ns))
			return ctl_usage_error("logs query", "--since '%s' is not a duration (10m, 2h, 1d)",
					       since);
		clock_gettime(CLOCK_REALTIME, &now);
		q.since_ns = (__u64)now.tv_sec * NS_PER_SEC + now.tv_nsec - ns;
		q.audit = audit;
		if (source && adm_parse_cidr(source, &q.src))
			return ctl_usage_error("logs query", "--source '%s' is not an address or CIDR with zero host bits",
					       source);
		q.has_src = !!source;
		if (q.reason) {
			unsigned int r;

			for (r = 0; r < ADM_R__MAX; r++)
				if (!strcmp(q.reason, adm_reason_name(r)))
					break;
			if (r == ADM_R__MAX)
				return ctl_usage_error("logs query", "--reason '%s' is not a reason (rate_source, deny_list, conc_global, ...)",
						       q.reason);
		}
		if (q.service && strspn(q.service, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(q.service))
			return ctl_usage_error("logs query", "--service '%s' is not a service name",
					       q.service);
		if (uid && (!audit || adm_parse_u64(uid, 0, 4294967295ULL, &q.uid)))
			return ctl_usage_error("logs query", "--uid needs --audit and a number");
		q.has_uid = !!uid;
		if (audit && (source || q.service || q.reason))
			return ctl_usage_error("logs query", "--source, --service and --reason select decisions, not --audit records");
	} else {
		return ctl_usage_error("logs", "unknown action '%s' (tail, query)", pos[0]);
	}
	return run_logs(ctl, &q, follow);
}
