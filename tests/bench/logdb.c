// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * logdb: rows/s into MariaDB for the log writer's path (userspace/lib/
 * logdb.c: batches of B rows, array-bound prepared INSERT, one COMMIT a
 * batch) against a naive writer (one INSERT and one COMMIT per row, as a
 * service that audits synchronously does), same server, same table, same
 * rows, same run. --mode multirow sends the same batches as one text
 * INSERT ... VALUES (...), (...) (the alternative to array binding);
 * multirow-ignore the same with INSERT IGNORE instead of ON DUPLICATE KEY
 * UPDATE (the cost of the idempotency clause).
 *
 *   logdb --socket PATH --database DB --seconds S
 *         --mode batch|multirow|multirow-ignore|naive
 *         [--batch-rows B] [--server-pid PID] [--json FILE]
 *
 * CPU per row is printed beside rows/s: this process's (getrusage) and,
 * with --server-pid, mariadbd's (/proc/PID/stat). On a shared machine the
 * rows/s swing with the neighbours' load; CPU time per row does much less.
 *
 * Rows are decision records as the spool holds them (unique spool
 * positions from a random spool id, so runs never collide). Prints
 * "MODE rows=N seconds=S rows_per_sec=R"; with --json writes that object.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>
#include <time.h>
#include <mysql.h>
#include "config.h"
#include "logdb.h"
#include "util.h"

#define ROW_TEXT_MAX	512

/*
 * The batch as one multi-row INSERT in text, the same columns and values
 * logdb_write binds. Returns rows affected, or -1 with err.
 */
/* CPU seconds (user + system) of pid from /proc/PID/stat; -1 if unreadable. */
static double proc_cpu_s(long pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long long write_multirow(MYSQL *m, const struct logdb_row *rows,
				unsigned int n, int ignore, char *sql, size_t cap,
				char *err, size_t errlen)
{
	static const char head[] =
		" INTO adm_decisions (`time`, time_last, node, service, source,"
		" source_bin, prefix_len, sport, dport, proto, verdict, reason, `count`,"
		" spool_id, seg, off) VALUES ";
	size_t at = 0;
	unsigned int i, j;

	at += snprintf(sql + at, cap - at, "INSERT%s%s", ignore ? " IGNORE" : "", head);
	for (i = 0; i < n && at + ROW_TEXT_MAX < cap; i++) {
		const struct spool_decision *d = &rows[i].rec.d;
		char addr[64], tbuf[32];
		time_t sec = d->time_ns / 1000000000ULL;
		struct tm tm;

		gmtime_r(&sec, &tm);
		strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
		at += snprintf(sql + at, cap - at, "%s('%s.%06llu','%s.%06llu','%s','%s','%s',X'",
			       i ? "," : "", tbuf,
			       (unsigned long long)(d->time_ns % 1000000000ULL) / 1000,
			       tbuf, (unsigned long long)(d->time_ns % 1000000000ULL) / 1000,
			       rows[i].node, d->service,
			       adm_format_addr(d->addr, addr, sizeof(addr)));
		for (j = 0; j < 16; j++)
			at += snprintf(sql + at, cap - at, "%02x", ((const __u8 *)d->addr)[j]);
		at += snprintf(sql + at, cap - at, "',%u,%u,%u,%u,'%s','%s',%u,%llu,%llu,%llu)",
			       d->prefix_len, d->sport, d->dport, d->proto,
			       adm_verdict_name(d->verdict), adm_reason_name(d->reason),
			       d->count, (unsigned long long)rows[i].spool_id,
			       (unsigned long long)rows[i].seg,
			       (unsigned long long)rows[i].off);
	}
	if (!ignore)
		at += snprintf(sql + at, cap - at, " ON DUPLICATE KEY UPDATE id = id");
	if (mysql_real_query(m, sql, at) || mysql_commit(m)) {
		snprintf(err, errlen, "multirow: %s", mysql_error(m));
		return -1;
	}
	return i;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "database", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 't' },
		{ "mode", required_argument, NULL, 'm' },
		{ "batch-rows", required_argument, NULL, 'b' },
		{ "json", required_argument, NULL, 'j' },
		{ "server-pid", required_argument, NULL, 'p' },
		{}
	};
	const char *sock = NULL, *dbname = "adm", *mode = "batch", *json = NULL;
	unsigned int batch = 1000, err_no, i;
	struct adm_mariadb_config cfg = {};
	double secs = 60, t0, t;
	struct logdb_row *rows;
	struct logdb *db;
	__u64 id = 0, total = 0, ins, seq = 1, off = 96;
	char err[512];
	int opt, naive, multirow, ignore;
	double c0, s0, ccpu, scpu = -1;
	long spid = 0;
	char *sql = NULL;
	size_t sql_cap = 0;
	long long got;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'd': dbname = optarg; break;
		case 't': secs = atof(optarg); break;
		case 'm': mode = optarg; break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 'j': json = optarg; break;
		case 'p': spid = strtol(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	naive = !strcmp(mode, "naive");
	ignore = !strcmp(mode, "multirow-ignore");
	multirow = ignore || !strcmp(mode, "multirow");
	if (!sock || (!naive && !multirow && strcmp(mode, "batch")) || !batch ||
	    secs <= 0) {
		fprintf(stderr, "usage: logdb --socket PATH --seconds S --mode batch|multirow|multirow-ignore|naive [--batch-rows B] [--server-pid PID]\n");
		return 2;
	}
	if (naive)
		batch = 1;
	snprintf(cfg.socket, sizeof(cfg.socket), "%s", sock);
	snprintf(cfg.user, sizeof(cfg.user), "root");
	snprintf(cfg.database, sizeof(cfg.database), "%s", dbname);
	cfg.connect_timeout_ms = 5000;
	cfg.io_timeout_ms = 30000;
	db = logdb_open(&cfg, NULL, batch, &err_no, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "logdb: %s\n", err);
		return 1;
	}
	rows = calloc(batch, sizeof(*rows));
	if (!rows || getrandom(&id, sizeof(id), 0) != sizeof(id))
		return 1;
	if (multirow) {
		sql_cap = (size_t)batch * ROW_TEXT_MAX + 1024;
		sql = malloc(sql_cap);
		if (!sql)
			return 1;
	}
	for (i = 0; i < batch; i++) {
		struct spool_decision *d = &rows[i].rec.d;

		rows[i].rec.type = SPOOL_T_DECISION;
		rows[i].node = "bench";
		rows[i].spool_id = id;
		d->type = SPOOL_T_DECISION;
		d->verdict = 1;
		d->reason = 2;
		d->proto = 6;
		d->dport = 80;
		d->service_id = 1;
		d->count = 1;
		d->prefix_len = 32;
		d->addr[2] = 0xffff0000u;
		snprintf(d->service, sizeof(d->service), "web");
	}
	c0 = self_cpu_s();
	s0 = spid ? proc_cpu_s(spid) : -1;
	t0 = now_s();
	do {
		for (i = 0; i < batch; i++) {
			rows[i].seg = seq;
			rows[i].off = off;
			rows[i].rec.d.addr[3] = (__u32)(total + i);
			rows[i].rec.d.sport = (total + i) % 60000;
			rows[i].rec.d.time_ns = (__u64)time(NULL) * 1000000000ULL;
			rows[i].rec.d.time_last_ns = rows[i].rec.d.time_ns;
			off += SPOOL_REC_HDR + sizeof(struct spool_decision);
			if (off > (8u << 20)) {
				seq++;
				off = 96;
			}
		}
		if (multirow) {
			got = write_multirow(logdb_conn(db), rows, batch, ignore, sql,
					     sql_cap, err, sizeof(err));
			if (got < 0) {
				fprintf(stderr, "logdb: %s\n", err);
				return 1;
			}
			ins = got;
		} else if (logdb_write(db, rows, batch, NULL, NULL, &ins, &err_no,
				       err, sizeof(err))) {
			fprintf(stderr, "logdb: %s\n", err);
			return 1;
		}
		total += ins;
		t = now_s();
	} while (t - t0 < secs);
	ccpu = (self_cpu_s() - c0) * 1e6 / (total ? total : 1);
	if (s0 >= 0 && proc_cpu_s(spid) >= 0)
		scpu = (proc_cpu_s(spid) - s0) * 1e6 / (total ? total : 1);
	printf("%s rows=%llu seconds=%.1f rows_per_sec=%.0f batch_rows=%u client_us_per_row=%.2f server_us_per_row=%.2f\n",
	       mode, (unsigned long long)total, t - t0, total / (t - t0), batch,
	       ccpu, scpu);
	if (json && (f = fopen(json, "w"))) {
		fprintf(f, "{\"mode\": \"%s\", \"rows\": %llu, \"seconds\": %.3f, \"rows_per_sec\": %.1f, \"batch_rows\": %u, \"client_us_per_row\": %.3f, \"server_us_per_row\": %.3f}\n",
			mode, (unsigned long long)total, t - t0, total / (t - t0), batch,
			ccpu, scpu);
		fclose(f);
	}
	free(rows);
	free(sql);
	logdb_close(db);
	return 0;
}
