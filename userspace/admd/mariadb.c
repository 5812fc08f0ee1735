// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd's MariaDB module (prefix mdb_): a thread that drains the spool into
 * MariaDB (userspace/lib/logdb.c). It reads records from the durable
 * cursor up to the spool's durable head, sends them in batches of
 * batch_rows in one transaction, and only after COMMIT writes dead
 * letters and moves the cursor. The cursor is stored (a file write, an
 * fsync, a rename and a directory fsync: ~14 ms on the test VM, as long
 * as a batch's INSERT) at most every MDB_CURSOR_MS, and at once when it
 * enters another segment, after a batch with dead letters, when the
 * writer is idle and at stop; a segment is deleted once the stored cursor
 * has passed it. A crash anywhere re-sends at most the batches of the
 * last MDB_CURSOR_MS, which the tables' unique (spool_id, seg, off) key
 * makes a no-op (counted in duplicate_rows).
 *
 * Failures: every call is bounded (connect_timeout_ms, io_timeout_ms).
 * A failed batch closes the connection and is retried, reconnecting,
 * after a delay drawn uniformly from [0, min(MDB_BACKOFF_MAX_MS,
 * MDB_BACKOFF_BASE_MS * 2^attempt)] ("full jitter"); the spool absorbs
 * the outage up to spool_max_mb. A row MariaDB refuses for good goes to
 * spool_dir/dead-letters.jsonl with the error, and the batch moves on.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "admd.h"
#include "log.h"
#include "logdb.h"
#include "logpipe.h"
#include "spool.h"
#include "util.h"

#define MDB_BACKOFF_BASE_MS	100
#define MDB_BACKOFF_MAX_MS	10000
#define MDB_IDLE_WAIT_MS	1000
#define MDB_CURSOR_MS		1000	/* the cursor is stored at least this often */
#define MDB_RATE_WINDOW		10		/* seconds of rows/s history */
#define MDB_DEAD_FILE		"dead-letters.jsonl"
#define NS_PER_MS		1000000ULL
#define NS_PER_SEC		1000000000ULL

struct mdb {
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* stop */
	pthread_t th;
	int running, stop;
	struct adm_mariadb_config cfg;
	char cfg_path[PATH_MAX];
	char password[LOGDB_PASSWORD_MAX];

	/* thread-owned */
	struct logdb *db;
	struct logdb_row *rows;
	struct spool_pos cursor;	/* committed */
	struct spool_pos stored;	/* the cursor file's: durable */
	__u64 stored_ns;		/* CLOCK_MONOTONIC of the last store */
	struct spool_scan scan;		/* open on cursor.seq, or buf NULL */
	int scan_final;			/* scan holds its segment's last byte */
	int attempt;

	/* shared, under mu */
	int up;
	char last_err[512];
	__u64 rows_total, dup_total, batches, retries, dead, damaged;
	__u64 oldest_ns;		/* time of the oldest unsent record, 0: none */
	__u64 pending_bytes;		/* spool bytes between cursor and head */
	__u64 rate_t[MDB_RATE_WINDOW], rate_rows[MDB_RATE_WINDOW];
};

static struct mdb mdb = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static __u64 now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (__u64)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Sleep up to ms, or until stop. Returns 1 if stopping. */
static int nap(__u64 ms)
{
	struct timespec dl;
	__u64 t = now_ns(CLOCK_REALTIME) + ms * NS_PER_MS;
	int stop;

	dl.tv_sec = t / NS_PER_SEC;
	dl.tv_nsec = t % NS_PER_SEC;
	pthread_mutex_lock(&mdb.mu);
	if (!mdb.stop)
		pthread_cond_timedwait(&mdb.cv, &mdb.mu, &dl);
	stop = mdb.stop;
	pthread_mutex_unlock(&mdb.mu);
	return stop;
}

/* Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
static __u64 backoff_ms(int attempt)
{
	__u64 cap = MDB_BACKOFF_BASE_MS, r = 0;
	int i;

	for (i = 0; i < attempt && cap < MDB_BACKOFF_MAX_MS; i++)
		cap *= 2;
	if (cap > MDB_BACKOFF_MAX_MS)
		cap = MDB_BACKOFF_MAX_MS;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = now_ns(CLOCK_MONOTONIC);
	return r % (cap + 1);
}

static void set_error(const char *msg)
{
	pthread_mutex_lock(&mdb.mu);
	if (mdb.up || strcmp(mdb.last_err, msg))
		adm_warn("mariadb: %s; the spool keeps the records, retrying with backoff", msg);
	mdb.up = 0;
	snprintf(mdb.last_err, sizeof(mdb.last_err), "%s", msg);
	mdb.retries++;
	pthread_mutex_unlock(&mdb.mu);
}

/* ---------------------------------------------------------- dead letters */

struct dead_ctx {
	const char *dir;
	int fd;
	int n;
};

static json_t *rec_json(const struct logdb_row *r)
{
	char addr[64];

	if (r->rec.type == SPOOL_T_AUDIT)
		return adm_audit_to_json(&r->rec.a);
	return json_pack("{s:s, s:I, s:s, s:s, s:i, s:i, s:s, s:s, s:I}",
			 "type", "decision", "time_ns", (json_int_t)r->rec.d.time_ns,
			 "service", r->rec.d.service,
			 "src", adm_format_addr(r->rec.d.addr, addr, sizeof(addr)),
			 "sport", r->rec.d.sport, "dport", r->rec.d.dport,
			 "verdict", adm_verdict_name(r->rec.d.verdict),
			 "reason", adm_reason_name(r->rec.d.reason),
			 "count", (json_int_t)r->rec.d.count);
}

/* One JSON line per refused row, appended and fsynced before the cursor moves. */
static void on_dead(void *ctx, const struct logdb_row *r, unsigned int err_no,
		    const char *msg)
{
	struct dead_ctx *dc = ctx;
	char path[PATH_MAX], *line;
	json_t *o;

	if (dc->fd < 0) {
		snprintf(path, sizeof(path), "%s/" MDB_DEAD_FILE, dc->dir);
		dc->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (dc->fd < 0)
			adm_err("mariadb: cannot open %s: %s; the refused row is only in this log line",
				path, strerror(errno));
	}
	o = json_pack("{s:s, s:i, s:s, s:s, s:I, s:I, s:I, s:o}",
		      "table", r->rec.type == SPOOL_T_AUDIT ? "adm_audit" : "adm_decisions",
		      "error", err_no, "message", msg, "node", r->node,
		      "spool_id", (json_int_t)r->spool_id, "seg", (json_int_t)r->seg,
		      "off", (json_int_t)r->off, "record", rec_json(r));
	line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	adm_err("mariadb: row refused for good, moved to %s/%s: %s", dc->dir,
		MDB_DEAD_FILE, line ? line : msg);
	if (line && dc->fd >= 0 &&
	    (write(dc->fd, line, strlen(line)) < 0 || write(dc->fd, "\n", 1) < 0))
		adm_err("mariadb: cannot write %s: %s", MDB_DEAD_FILE, strerror(errno));
	free(line);
	json_decref(o);
	dc->n++;
}

static void dead_close(struct dead_ctx *dc)
{
	if (dc->fd < 0)
		return;
	if (fsync(dc->fd))
		adm_err("mariadb: cannot sync %s: %s", MDB_DEAD_FILE, strerror(errno));
	close(dc->fd);
	dc->fd = -1;
}

/* ---------------------------------------------------------- reading */

static void on_damage(void *ctx, const struct spool_damage *d)
{
	(void)ctx;
	adm_err("spool %s: segment %016llx offset %llu: %s (%llu bytes); the records after it are sent",
		sq_dir(), (unsigned long long)d->seq, (unsigned long long)d->off,
		d->why, (unsigned long long)d->len);
	pthread_mutex_lock(&mdb.mu);
	mdb.damaged++;
	pthread_mutex_unlock(&mdb.mu);
}

/*
 * Store the cursor if it moved and (force, or it entered another segment,
 * or MDB_CURSOR_MS passed since the last store). A failed store is
 * logged; the rows since the stored cursor are re-sent after a crash.
 */
static void cursor_sync(int force)
{
	__u64 now = now_ns(CLOCK_MONOTONIC);
	int ret;

	if (!spool_pos_cmp(&mdb.cursor, &mdb.stored))
		return;
	if (!force && mdb.cursor.seq == mdb.stored.seq &&
	    now - mdb.stored_ns < MDB_CURSOR_MS * NS_PER_MS)
		return;
	ret = spool_cursor_store(sq_dir(), &mdb.cursor);
	if (ret) {
		adm_err("mariadb: cannot store the spool cursor: %s; the rows since the last stored one will be re-sent (no duplicates: unique key)",
			strerror(-ret));
		return;
	}
	mdb.stored = mdb.cursor;
	mdb.stored_ns = now;
}

/* Delete the segments wholly before the stored cursor (never the head's). */
static void delete_sent(const struct spool_pos *head)
{
	char path[PATH_MAX];
	__u64 *seqs;
	struct stat st;
	size_t n, i;

	if (spool_list(sq_dir(), &seqs, &n))
		return;
	for (i = 0; i < n; i++) {
		if (seqs[i] >= mdb.stored.seq || seqs[i] >= head->seq)
			break;
		if (spool_seg_path(sq_dir(), seqs[i], path, sizeof(path)) ||
		    stat(path, &st))
			continue;
		if (!unlink(path))
			sq_released(st.st_size);
	}
	free(seqs);
}

/*
 * Up to batch_rows records after the cursor, not past head, into
 * mdb.rows. *end: the position after the last one. Returns the count.
 */
static size_t collect(const struct spool_pos *head, struct spool_pos *end)
{
	char err[512];
	const void *pl;
	size_t plen, n = 0;
	__u64 off;
	int ret;

	*end = mdb.cursor;
	while (n < mdb.cfg.batch_rows && spool_pos_cmp(end, head) < 0) {
		/*
		 * (Re)load from the cursor: another segment, or the loaded part
		 * is used up and the segment may have grown since (it was the
		 * head's when loaded). A segment before the head's is closed:
		 * loaded whole, it is final.
		 */
		if (!mdb.scan.buf || mdb.scan.seq != end->seq || end->off < mdb.scan.base ||
		    (end->off >= mdb.scan.end && !mdb.scan_final)) {
			spool_scan_close(&mdb.scan);
			mdb.scan_final = end->seq < head->seq;
			ret = spool_scan_open(&mdb.scan, sq_dir(), end->seq, end->off,
					      mdb.scan_final ? 0 : head->off, err, sizeof(err));
			if (ret) {
				if (ret != -ENOENT) {
					struct spool_damage d = { .seq = end->seq, .off = end->off };

					snprintf(d.why, sizeof(d.why), "%.70s; segment skipped", err);
					on_damage(NULL, &d);
				}
				mdb.scan.buf = NULL;
				if (end->seq >= head->seq)
					break;
				end->seq++;
				end->off = 0;
				continue;
			}
		}
		mdb.scan.off = end->off;
		while (n < mdb.cfg.batch_rows &&
		       spool_scan_next(&mdb.scan, &pl, &plen, &off, on_damage, NULL) == 1) {
			struct logdb_row *r = &mdb.rows[n];

			if (spool_decode(pl, plen, &r->rec)) {
				struct spool_damage d = { .seq = end->seq, .off = off,
							  .len = plen };

				snprintf(d.why, sizeof(d.why), "intact but undecodable record; skipped");
				on_damage(NULL, &d);
				continue;
			}
			r->spool_id = mdb.scan.hdr.spool_id;
			r->seg = end->seq;
			r->off = off;
			r->node = mdb.scan.hdr.node;
			n++;
		}
		end->off = mdb.scan.off;
		if (n >= mdb.cfg.batch_rows || end->seq >= head->seq)
			break;
		if (!mdb.scan_final)
			continue;	/* reloaded whole on the next turn */
		if (mdb.scan.tail_short) {
			struct spool_damage d = { .seq = end->seq, .off = end->off,
						  .len = mdb.scan.end - end->off };

			snprintf(d.why, sizeof(d.why), "truncated last record of a closed segment; skipped");
			on_damage(NULL, &d);
		}
		end->seq++;
		end->off = 0;
	}
	return n;
}

static __u64 rec_time(const struct logdb_row *r)
{
	return r->rec.type == SPOOL_T_DECISION ? r->rec.d.time_ns :
						 logdb_audit_time_ns(r->rec.a.time);
}

static void count_rate(__u64 rows)
{
	__u64 sec = now_ns(CLOCK_MONOTONIC) / NS_PER_SEC;
	unsigned int i = sec % MDB_RATE_WINDOW;

	if (mdb.rate_t[i] != sec) {
		mdb.rate_t[i] = sec;
		mdb.rate_rows[i] = 0;
	}
	mdb.rate_rows[i] += rows;
}

static double rows_per_sec(void)
{
	__u64 sec = now_ns(CLOCK_MONOTONIC) / NS_PER_SEC, sum = 0;
	unsigned int i;

	/* the last full MDB_RATE_WINDOW - 1 seconds, this one excluded */
	for (i = 0; i < MDB_RATE_WINDOW; i++)
		if (mdb.rate_t[i] < sec && mdb.rate_t[i] + MDB_RATE_WINDOW > sec)
			sum += mdb.rate_rows[i];
	return (double)sum / (MDB_RATE_WINDOW - 1);
}

static void *mdb_thread(void *arg)
{
	struct spool_pos head, end, seen = {};
	char err[512];
	unsigned int err_no;
	__u64 inserted;
	size_t n = 0;
	int ret;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mdb.mu);
		ret = mdb.stop;
		pthread_mutex_unlock(&mdb.mu);
		if (ret)
			break;
		if (!mdb.db) {
			mdb.db = logdb_open(&mdb.cfg, mdb.password, mdb.cfg.batch_rows,
					    &err_no, err, sizeof(err));
			if (!mdb.db) {
				set_error(err);
				if (nap(backoff_ms(mdb.attempt++)))
					break;
				continue;
			}
			pthread_mutex_lock(&mdb.mu);
			if (!mdb.up)
				adm_info("mariadb: connected to %s, database %s",
					 mdb.cfg.socket[0] ? mdb.cfg.socket : mdb.cfg.host,
					 mdb.cfg.database);
			mdb.up = 1;
			mdb.last_err[0] = '\0';
			pthread_mutex_unlock(&mdb.mu);
		}
		head = sq_wait_head(&seen, n ? 0 : MDB_IDLE_WAIT_MS);
		seen = head;
		n = collect(&head, &end);
		pthread_mutex_lock(&mdb.mu);
		mdb.oldest_ns = n ? rec_time(&mdb.rows[0]) : 0;
		pthread_mutex_unlock(&mdb.mu);
		if (!n) {
			/* only damage or empty segments were passed, or idle */
			mdb.cursor = end;
			cursor_sync(1);
			delete_sent(&head);
			continue;
		}
		{
			struct dead_ctx dc = { .dir = sq_dir(), .fd = -1 };

			ret = logdb_write(mdb.db, mdb.rows, n, on_dead, &dc, &inserted,
					  &err_no, err, sizeof(err));
			dead_close(&dc);
			if (ret) {
				logdb_close(mdb.db);
				mdb.db = NULL;
				set_error(err);
				if (nap(backoff_ms(mdb.attempt++)))
					break;
				continue;
			}
			mdb.attempt = 0;
			lp_crash_point("db_after_commit");
			mdb.cursor = end;
			cursor_sync(dc.n > 0);
			delete_sent(&head);
			pthread_mutex_lock(&mdb.mu);
			mdb.rows_total += inserted;
			mdb.dup_total += n - dc.n - inserted;
			mdb.dead += dc.n;
			mdb.batches++;
			count_rate(inserted);
			pthread_mutex_unlock(&mdb.mu);
		}
	}
	cursor_sync(1);
	spool_scan_close(&mdb.scan);
	logdb_close(mdb.db);
	mdb.db = NULL;
	return NULL;
}

/* ---------------------------------------------------------- module hooks */

static int read_password(const struct adm_mariadb_config *c, const char *cfg_path,
			 char *out, size_t len, char *err, size_t errlen)
{
	out[0] = '\0';
	if (!c->password_file[0])
		return 0;
	return logdb_read_password(c->password_file, cfg_path,
				   c->password_file_line, out, len, err, errlen);
}

static int mdb_start(struct admd *ad, char *err, size_t errlen)
{
	const struct adm_mariadb_config *c = &ad->cfg->mariadb;
	int ret;

	if (!c->enabled)
		return 0;
	mdb.cfg = *c;
	snprintf(mdb.cfg_path, sizeof(mdb.cfg_path), "%s", ad->cfg->path);
	if (read_password(c, ad->cfg->path, mdb.password, sizeof(mdb.password),
			  err, errlen))
		return -1;
	mdb.rows = calloc(c->batch_rows, sizeof(*mdb.rows));
	if (!mdb.rows) {
		snprintf(err, errlen, "mariadb: out of memory for %u rows", c->batch_rows);
		return -1;
	}
	ret = spool_cursor_load(sq_dir(), &mdb.cursor);
	if (ret) {
		snprintf(err, errlen, "spool %s: cursor: %s; move it away to re-send the whole spool (no duplicates: unique key)",
			 sq_dir(), ret == -EBADMSG ? "not a cursor file" : strerror(-ret));
		free(mdb.rows);
		mdb.rows = NULL;
		return -1;
	}
	mdb.stored = mdb.cursor;
	mdb.stored_ns = now_ns(CLOCK_MONOTONIC);
	sq_set_consumer(1);
	mdb.stop = 0;
	mdb.running = 1;
	if (pthread_create(&mdb.th, NULL, mdb_thread, NULL)) {
		mdb.running = 0;
		snprintf(err, errlen, "mariadb: cannot start its thread");
		free(mdb.rows);
		mdb.rows = NULL;
		return -1;
	}
	return 0;
}

static int mdb_reload_check(struct admd *ad, const struct adm_config *next,
			    char *err, size_t errlen)
{
	const struct adm_mariadb_config *a = &ad->cfg->mariadb, *b = &next->mariadb;

	if (a->enabled != b->enabled || strcmp(a->socket, b->socket) ||
	    strcmp(a->host, b->host) || a->port != b->port ||
	    strcmp(a->user, b->user) || strcmp(a->database, b->database) ||
	    strcmp(a->password_file, b->password_file) ||
	    a->batch_rows != b->batch_rows ||
	    a->connect_timeout_ms != b->connect_timeout_ms ||
	    a->io_timeout_ms != b->io_timeout_ms) {
		snprintf(err, errlen, "[mariadb] server, credentials, batch_rows or timeouts changed: restart admd for that");
		return -1;
	}
	return 0;
}

static void mdb_status(struct admd *ad, json_t *out)
{
	__u64 now = now_ns(CLOCK_REALTIME);

	if (!ad->cfg->mariadb.enabled) {
		json_object_set_new(out, "configured", json_false());
		return;
	}
	pthread_mutex_lock(&mdb.mu);
	json_object_set_new(out, "configured", json_true());
	json_object_set_new(out, "server", json_string(mdb.cfg.socket[0] ? mdb.cfg.socket :
						      mdb.cfg.host));
	json_object_set_new(out, "database", json_string(mdb.cfg.database));
	json_object_set_new(out, "up", json_boolean(mdb.up));
	if (mdb.last_err[0])
		json_object_set_new(out, "error", json_string(mdb.last_err));
	json_object_set_new(out, "rows", json_integer(mdb.rows_total));
	json_object_set_new(out, "duplicate_rows", json_integer(mdb.dup_total));
	json_object_set_new(out, "rows_per_sec", json_real(rows_per_sec()));
	json_object_set_new(out, "retries", json_integer(mdb.retries));
	json_object_set_new(out, "dead_letters", json_integer(mdb.dead));
	json_object_set_new(out, "oldest_unsent_seconds",
			    json_real(mdb.oldest_ns && now > mdb.oldest_ns ?
				      (now - mdb.oldest_ns) / 1e9 : 0));
	json_object_set_new(out, "cursor_segment", json_integer(mdb.cursor.seq));
	json_object_set_new(out, "cursor_offset", json_integer(mdb.cursor.off));
	pthread_mutex_unlock(&mdb.mu);
}

static void mdb_metrics(struct admd *ad, struct adm_buf *b)
{
	__u64 now = now_ns(CLOCK_REALTIME);

	if (!ad->cfg->mariadb.enabled)
		return;
	pthread_mutex_lock(&mdb.mu);
	adm_buf_family(b, "adm_mariadb_up", "gauge", "1 while the last MariaDB call succeeded.");
	adm_buf_printf(b, "adm_mariadb_up %d\n", mdb.up);
	adm_buf_family(b, "adm_mariadb_rows_total", "counter",
		       "Rows committed to MariaDB (re-sent duplicates excluded).");
	adm_buf_printf(b, "adm_mariadb_rows_total %llu\n", (unsigned long long)mdb.rows_total);
	adm_buf_family(b, "adm_mariadb_duplicate_rows_total", "counter",
		       "Rows re-sent after a crash or retry that were already in MariaDB.");
	adm_buf_printf(b, "adm_mariadb_duplicate_rows_total %llu\n",
		       (unsigned long long)mdb.dup_total);
	adm_buf_family(b, "adm_mariadb_rows_per_second", "gauge",
		       "Rows committed per second over the last 9 seconds.");
	adm_buf_printf(b, "adm_mariadb_rows_per_second %.1f\n", rows_per_sec());
	adm_buf_family(b, "adm_mariadb_batches_total", "counter", "Transactions committed.");
	adm_buf_printf(b, "adm_mariadb_batches_total %llu\n", (unsigned long long)mdb.batches);
	adm_buf_family(b, "adm_mariadb_retries_total", "counter",
		       "Failed connects or batches (each retried after a jittered backoff).");
	adm_buf_printf(b, "adm_mariadb_retries_total %llu\n", (unsigned long long)mdb.retries);
	adm_buf_family(b, "adm_mariadb_dead_letters_total", "counter",
		       "Rows MariaDB refused for good, written to dead-letters.jsonl.");
	adm_buf_printf(b, "adm_mariadb_dead_letters_total %llu\n", (unsigned long long)mdb.dead);
	adm_buf_family(b, "adm_mariadb_spool_damaged_total", "counter",
		       "Damaged spool stretches skipped while sending.");
	adm_buf_printf(b, "adm_mariadb_spool_damaged_total %llu\n",
		       (unsigned long long)mdb.damaged);
	adm_buf_family(b, "adm_mariadb_oldest_unsent_seconds", "gauge",
		       "Age of the oldest record not yet in MariaDB (0: caught up).");
	adm_buf_printf(b, "adm_mariadb_oldest_unsent_seconds %.3f\n",
		       mdb.oldest_ns && now > mdb.oldest_ns ? (now - mdb.oldest_ns) / 1e9 : 0);
	pthread_mutex_unlock(&mdb.mu);
}

static void mdb_stop(struct admd *ad, int aborted)
{
	(void)ad;
	(void)aborted;
	if (mdb.running) {
		pthread_mutex_lock(&mdb.mu);
		mdb.stop = 1;
		pthread_cond_broadcast(&mdb.cv);
		pthread_mutex_unlock(&mdb.mu);
		pthread_join(mdb.th, NULL);
		mdb.running = 0;
		sq_set_consumer(0);
	}
	free(mdb.rows);
	mdb.rows = NULL;
	memset(mdb.password, 0, sizeof(mdb.password));
}

const struct admd_module mariadb_module = {
	.name = "mariadb",
	.start = mdb_start,
	.reload_check = mdb_reload_check,
	.status = mdb_status,
	.metrics = mdb_metrics,
	.stop = mdb_stop,
};

/* ---------------------------------------------------------- replay */

static void replay_damage(void *ctx, const struct spool_damage *d)
{
	int *n = ctx;

	fprintf(stderr, "admd: replay: segment %016llx offset %llu: %s (%llu bytes)\n",
		(unsigned long long)d->seq, (unsigned long long)d->off, d->why,
		(unsigned long long)d->len);
	(*n)++;
}

int mdb_replay(const char *cfg_path, const char *dir)
{
	struct adm_config *cfg = calloc(1, sizeof(*cfg));
	char err[ADM_ERR_MAX + 512], password[LOGDB_PASSWORD_MAX];
	__u64 *seqs = NULL, sent = 0, added = 0, inserted, off;
	struct dead_ctx dc = { .dir = dir, .fd = -1 };
	struct logdb_row *rows = NULL;
	int damaged = 0, ret = 1;
	struct logdb *db = NULL;
	unsigned int err_no;
	size_t nseg = 0, i, n = 0, plen;
	struct spool_scan s = {};
	const void *pl;

	if (!cfg)
		goto out;
	if (adm_config_load(cfg_path, cfg, err, sizeof(err))) {
		fprintf(stderr, "admd: %s\n", err);
		goto out;
	}
	if (!cfg->mariadb.enabled) {
		fprintf(stderr, "admd: --replay-spool: %s has no [mariadb] socket or host to send to\n",
			cfg_path);
		goto out;
	}
	if (read_password(&cfg->mariadb, cfg_path, password, sizeof(password),
			  err, sizeof(err))) {
		fprintf(stderr, "admd: %s\n", err);
		goto out;
	}
	rows = calloc(cfg->mariadb.batch_rows, sizeof(*rows));
	db = logdb_open(&cfg->mariadb, password, cfg->mariadb.batch_rows, &err_no,
			err, sizeof(err));
	memset(password, 0, sizeof(password));
	if (!rows || !db) {
		fprintf(stderr, "admd: --replay-spool: %s\n", db ? "out of memory" : err);
		goto out;
	}
	if (spool_list(dir, &seqs, &nseg) || !nseg) {
		fprintf(stderr, "admd: --replay-spool: no spool segments in %s\n", dir);
		goto out;
	}
	/* Dead letters of a replay go to the replayed directory's file. */
	for (i = 0; i < nseg; i++) {
		if (spool_scan_open(&s, dir, seqs[i], 0, 0, err, sizeof(err))) {
			fprintf(stderr, "admd: replay: %s; skipped\n", err);
			damaged++;
			continue;
		}
		for (;;) {
			int more = spool_scan_next(&s, &pl, &plen, &off, replay_damage, &damaged);

			if (more == 1) {
				if (spool_decode(pl, plen, &rows[n].rec)) {
					damaged++;
					continue;
				}
				rows[n].spool_id = s.hdr.spool_id;
				rows[n].seg = seqs[i];
				rows[n].off = off;
				rows[n].node = s.hdr.node;
				n++;
			}
			if (n == cfg->mariadb.batch_rows || (!more && n)) {
				if (logdb_write(db, rows, n, on_dead, &dc, &inserted, &err_no,
						err, sizeof(err))) {
					fprintf(stderr, "admd: --replay-spool: %s (segment %016llx); run it again, nothing is inserted twice\n",
						err, (unsigned long long)seqs[i]);
					spool_scan_close(&s);
					goto out;
				}
				sent += n;
				added += inserted;
				n = 0;
			}
			if (!more)
				break;
		}
		if (s.tail_short) {
			fprintf(stderr, "admd: replay: segment %016llx offset %zu: truncated last record; not sent\n",
				(unsigned long long)seqs[i], s.off);
			damaged++;
		}
		spool_scan_close(&s);
	}
	printf("replayed %s: %llu records, %llu new rows, %llu already in MariaDB, %d dead letters, %d damaged stretches\n",
	       dir, (unsigned long long)sent, (unsigned long long)added,
	       (unsigned long long)(sent - added - dc.n), dc.n, damaged);
	ret = 0;
out:
	dead_close(&dc);
	free(seqs);
	free(rows);
	logdb_close(db);
	free(cfg);
	return ret;
}
