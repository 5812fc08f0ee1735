// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * logdb: rows/s into MariaDB for the log writer's path (userspace/lib/
 * logdb.c: batches of B rows, array-bound prepared INSERT, one COMMIT a
 * batch) against a naive writer (one INSERT and one COMMIT per row, as a
 * service that audits synchronously does), same server, same table, same
 * rows, same run.
 *
 *   logdb --socket PATH --database DB --seconds S --mode batch|naive
 *         [--batch-rows B] [--json FILE]
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
#include <time.h>
#include "config.h"
#include "logdb.h"

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
	int opt, naive;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'd': dbname = optarg; break;
		case 't': secs = atof(optarg); break;
		case 'm': mode = optarg; break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 'j': json = optarg; break;
		default: return 2;
		}
	}
	naive = !strcmp(mode, "naive");
	if (!sock || (!naive && strcmp(mode, "batch")) || !batch || secs <= 0) {
		fprintf(stderr, "usage: logdb --socket PATH --seconds S --mode batch|naive [--batch-rows B]\n");
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
		d->addr[2] = 0xffff0000u;
		snprintf(d->service, sizeof(d->service), "web");
	}
	t0 = now_s();
	do {
		for (i = 0; i < batch; i++) {
			rows[i].seg = seq;
			rows[i].off = off;
			rows[i].rec.d.addr[3] = (__u32)(total + i);
			rows[i].rec.d.sport = (total + i) % 60000;
			rows[i].rec.d.time_ns = (__u64)time(NULL) * 1000000000ULL;
			off += 80;
			if (off > (8u << 20)) {
				seq++;
				off = 96;
			}
		}
		if (logdb_write(db, rows, batch, NULL, NULL, &ins, &err_no, err,
				sizeof(err))) {
			fprintf(stderr, "logdb: %s\n", err);
			return 1;
		}
		total += ins;
		t = now_s();
	} while (t - t0 < secs);
	printf("%s rows=%llu seconds=%.1f rows_per_sec=%.0f batch_rows=%u\n", mode,
	       (unsigned long long)total, t - t0, total / (t - t0), batch);
	if (json && (f = fopen(json, "w"))) {
		fprintf(f, "{\"mode\": \"%s\", \"rows\": %llu, \"seconds\": %.3f, \"rows_per_sec\": %.1f, \"batch_rows\": %u}\n",
			mode, (unsigned long long)total, t - t0, total / (t - t0), batch);
		fclose(f);
	}
	free(rows);
	logdb_close(db);
	return 0;
}
