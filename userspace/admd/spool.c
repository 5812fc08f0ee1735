// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * admd's spool module (prefix sq_): owns the bounded in-memory queue that
 * the main thread's decision and audit sinks fill, and the thread that
 * appends it to the spool (userspace/lib/spool.c) with group commit: one
 * fdatasync per batch, a batch every [mariadb] batch_ms or at once when
 * an audit record waits.
 *
 * Bounds and what happens at them (the stated policy):
 *  - queue: SQ_DQ_CAP decisions, SQ_AQ_CAP audit records. A decision that
 *    finds it full is dropped and counted (dropped{reason="queue_full"});
 *    an audit record is never dropped: audit_ready refuses the admctl
 *    write before it is made.
 *  - disk: spool_max_mb. Decisions may use it up to the audit reserve
 *    (SQ_AUDIT_RESERVE); past that they are dropped and counted
 *    (dropped{reason="spool_full"}). Audit records may use the reserve;
 *    when even that is gone audit_ready refuses. Without a consumer
 *    (no [mariadb] server) the spool is a rotating local log instead: the
 *    oldest segments are deleted (counted) to stay under the bound.
 *  - a failing disk (a commit that fails) is retried every SQ_RETRY_MS;
 *    meanwhile audit_ready refuses and decisions queue, then drop.
 * Decisions pass the aggregation stage first (userspace/lib/agg.h, on the
 * main thread): records of one key within [mariadb] aggregate_ms become
 * one, flushed into the queue when the window ends, when the table of
 * SQ_AGG_ENTRIES keys is full (early, counted), before a reload is
 * applied and at stop. Audit records go straight to the queue.
 *
 * An audit record is durable within one commit of being taken (the thread
 * is woken at once; a commit takes about a millisecond): a kill -9 in
 * that window loses it, which is the one gap of this design.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "admd.h"
#include "agg.h"
#include "control.h"
#include "log.h"
#include "logpipe.h"
#include "loop.h"
#include "pins.h"
#include "spool.h"
#include "util.h"

#define SQ_DQ_CAP		65536		/* decisions queued in memory */
#define SQ_AQ_CAP		256		/* audit records queued */
#define SQ_WAKE_AT		(SQ_DQ_CAP / 4)	/* wake the thread early past this */
#define SQ_AUDIT_RESERVE	(4ULL << 20)	/* disk kept for audit records */
#define SQ_RETRY_MS		500
#define SQ_STOP_TRIES		4		/* commits tried at stop before giving up */
#define SQ_INJECT_MAX		65536		/* test-only spool_inject, per request */
#define SQ_AGG_ENTRIES		16384		/* keys aggregated at once (~1.4 MiB) */
#define MB			(1ULL << 20)
#define NS_PER_MS		1000000ULL
#define NS_PER_SEC		1000000000ULL

struct sq_audit {
	int len;
	unsigned char buf[SPOOL_REC_MAX];
};

struct sq {
	pthread_mutex_t mu;
	pthread_cond_t wake;		/* records queued, or stop */
	pthread_cond_t head_cv;		/* the durable head moved */
	pthread_t th;
	int running, stop;

	struct spool_decision *dq;	/* ring of SQ_DQ_CAP */
	unsigned int dq_first, dq_len;
	struct sq_audit *aq;		/* ring of SQ_AQ_CAP */
	unsigned int aq_first, aq_len;
	__u64 first_ns;			/* when the oldest queued record came */

	struct spool_writer *w;
	char dir[PATH_MAX];
	char node[SPOOL_NODE_MAX];
	__u64 id;
	__u64 max_bytes;
	__u32 batch_ms;
	struct spool_pos head;
	__u64 disk_bytes;		/* segments on disk */
	int consumer;			/* a MariaDB writer drains it */
	int failing;			/* the last commit failed */
	char last_err[256];

	/* counters */
	__u64 decisions, audits, count_sum, commits, bytes_written;
	__u64 drop_queue, drop_disk, rotated_segs, rotated_bytes;
	__u64 damaged, damaged_bytes, audit_refused, injected;
	int evb_fd;			/* adm_evbudget, for per-CPU ring buffer losses */

	/* Aggregation: main thread only (events, timer, reload, stop). */
	struct agg *agg;
	struct loop_timer *agg_timer;
	__u32 agg_ms;
	__u64 agg_count_in;		/* sum of counts taken from the kernel's records */
};

static struct sq sq = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.evb_fd = -1,
};

static __u64 now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (__u64)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* ---------------------------------------------------------- crash points */

static char crash_point[64];
static long crash_left;

static void crash_hook(const char *point)
{
	lp_crash_point(point);
}

void lp_crash_point(const char *point)
{
	if (!crash_point[0] || strcmp(point, crash_point))
		return;
	if (__atomic_sub_fetch(&crash_left, 1, __ATOMIC_SEQ_CST) == 0) {
		fprintf(stderr, "admd: ADM_TEST_CRASH: SIGKILL at %s\n", point);
		raise(SIGKILL);
	}
}

static void crash_setup(void)
{
	const char *env = getenv("ADM_TEST_CRASH");
	const char *colon;

	if (!env || !(colon = strchr(env, ':')) ||
	    (size_t)(colon - env) >= sizeof(crash_point))
		return;
	memcpy(crash_point, env, colon - env);
	crash_point[colon - env] = '\0';
	crash_left = strtol(colon + 1, NULL, 10);
	spool_crash_hook = crash_hook;
	adm_warn("ADM_TEST_CRASH set: admd kills itself at %s number %ld (tests only)",
		 crash_point, crash_left);
}

/* ---------------------------------------------------------- shared bits */

const char *sq_dir(void)
{
	return sq.dir;
}

__u64 sq_spool_id(void)
{
	return sq.id;
}

const char *sq_node(void)
{
	return sq.node;
}

struct spool_pos sq_wait_head(const struct spool_pos *seen, int timeout_ms)
{
	struct spool_pos h;
	struct timespec dl;
	__u64 t;

	pthread_mutex_lock(&sq.mu);
	if (timeout_ms > 0 && !spool_pos_cmp(&sq.head, seen) && !sq.stop) {
		t = now_ns(CLOCK_REALTIME) + (__u64)timeout_ms * NS_PER_MS;
		dl.tv_sec = t / NS_PER_SEC;
		dl.tv_nsec = t % NS_PER_SEC;
		pthread_cond_timedwait(&sq.head_cv, &sq.mu, &dl);
	}
	h = sq.head;
	pthread_mutex_unlock(&sq.mu);
	return h;
}

void sq_released(__u64 bytes)
{
	pthread_mutex_lock(&sq.mu);
	sq.disk_bytes = sq.disk_bytes > bytes ? sq.disk_bytes - bytes : 0;
	pthread_mutex_unlock(&sq.mu);
}

void sq_set_consumer(int on)
{
	pthread_mutex_lock(&sq.mu);
	sq.consumer = on;
	pthread_mutex_unlock(&sq.mu);
}

static void on_damage(void *ctx, const struct spool_damage *d)
{
	(void)ctx;
	adm_err("spool %s: segment %016llx offset %llu: %s (%llu bytes)", sq.dir,
		(unsigned long long)d->seq, (unsigned long long)d->off, d->why,
		(unsigned long long)d->len);
	sq.damaged++;
	sq.damaged_bytes += d->len;
}

/* ---------------------------------------------------------- the thread */

/* Without a consumer: delete the oldest segments to stay under the bound. */
static void rotate(void)
{
	__u64 *seqs, limit = sq.max_bytes - SQ_AUDIT_RESERVE;
	char path[PATH_MAX];
	struct stat st;
	size_t n, i;

	if (sq.consumer || sq.disk_bytes <= limit || spool_list(sq.dir, &seqs, &n))
		return;
	for (i = 0; i + 1 < n && sq.disk_bytes > limit; i++) {
		if (seqs[i] >= sq.head.seq ||
		    spool_seg_path(sq.dir, seqs[i], path, sizeof(path)) ||
		    stat(path, &st) || unlink(path))
			break;
		sq.disk_bytes -= (__u64)st.st_size < sq.disk_bytes ?
				 (__u64)st.st_size : sq.disk_bytes;
		sq.rotated_segs++;
		sq.rotated_bytes += st.st_size;
	}
	free(seqs);
}

static void *sq_thread(void *arg)
{
	struct spool_decision *dl = malloc(SQ_DQ_CAP * sizeof(*dl));
	struct sq_audit *al = malloc(SQ_AQ_CAP * sizeof(*al));
	unsigned int nd, na, i, stop_tries = 0;
	__u64 rec = SPOOL_REC_HDR + sizeof(struct spool_decision), t, before;
	struct timespec dlt;
	int ret;

	(void)arg;
	if (!dl || !al) {
		adm_err("spool: out of memory; records are not spooled");
		pthread_mutex_lock(&sq.mu);
		sq.failing = 1;
		snprintf(sq.last_err, sizeof(sq.last_err), "out of memory");
		pthread_mutex_unlock(&sq.mu);
		free(dl);
		free(al);
		return NULL;
	}
	pthread_mutex_lock(&sq.mu);
	for (;;) {
		if (!sq.dq_len && !sq.aq_len && !spool_pending(sq.w)) {
			if (sq.stop)
				break;
			pthread_cond_wait(&sq.wake, &sq.mu);
			continue;
		}
		/* Group commit: gather for batch_ms unless audit or a full queue. */
		t = sq.first_ns + (__u64)sq.batch_ms * NS_PER_MS;
		if (!sq.stop && !sq.aq_len && sq.dq_len < SQ_WAKE_AT &&
		    !spool_pending(sq.w) && now_ns(CLOCK_MONOTONIC) < t) {
			t = now_ns(CLOCK_REALTIME) + (t - now_ns(CLOCK_MONOTONIC));
			dlt.tv_sec = t / NS_PER_SEC;
			dlt.tv_nsec = t % NS_PER_SEC;
			pthread_cond_timedwait(&sq.wake, &sq.mu, &dlt);
			continue;
		}
		nd = sq.dq_len;
		for (i = 0; i < nd; i++)
			dl[i] = sq.dq[(sq.dq_first + i) % SQ_DQ_CAP];
		na = sq.aq_len;
		for (i = 0; i < na; i++)
			al[i] = sq.aq[(sq.aq_first + i) % SQ_AQ_CAP];
		sq.dq_first = sq.aq_first = 0;
		sq.dq_len = sq.aq_len = 0;
		before = sq.disk_bytes;
		pthread_mutex_unlock(&sq.mu);

		/* Audit first: never dropped; decisions up to the reserve. */
		for (i = 0; i < na; i++)
			if (spool_append(sq.w, al[i].buf, al[i].len))
				adm_err("spool: out of memory for an audit record");
		for (i = 0; i < nd; i++) {
			if (before + spool_pending(sq.w) + rec >
			    sq.max_bytes - SQ_AUDIT_RESERVE && sq.consumer) {
				__atomic_add_fetch(&sq.drop_disk, nd - i, __ATOMIC_RELAXED);
				break;
			}
			if (spool_append(sq.w, &dl[i], sizeof(dl[i]))) {
				__atomic_add_fetch(&sq.drop_queue, 1, __ATOMIC_RELAXED);
				continue;
			}
			__atomic_add_fetch(&sq.count_sum, dl[i].count, __ATOMIC_RELAXED);
		}
		t = spool_pending(sq.w);
		ret = spool_commit(sq.w);

		pthread_mutex_lock(&sq.mu);
		if (ret) {
			if (!sq.failing)
				adm_err("spool %s: cannot write: %s; retrying every %d ms, audited writes are refused meanwhile",
					sq.dir, strerror(-ret), SQ_RETRY_MS);
			sq.failing = 1;
			snprintf(sq.last_err, sizeof(sq.last_err), "cannot write: %s",
				 strerror(-ret));
			if (sq.stop && ++stop_tries >= SQ_STOP_TRIES) {
				adm_err("spool %s: %zu bytes of records not written at stop",
					sq.dir, spool_pending(sq.w));
				break;
			}
			pthread_mutex_unlock(&sq.mu);
			usleep(SQ_RETRY_MS * 1000);
			pthread_mutex_lock(&sq.mu);
			continue;
		}
		if (sq.failing)
			adm_info("spool %s: writing again", sq.dir);
		sq.failing = 0;
		sq.commits++;
		sq.bytes_written += t;
		sq.disk_bytes += t;
		sq.head = spool_head(sq.w);
		rotate();
		pthread_cond_broadcast(&sq.head_cv);
		if (sq.dq_len || sq.aq_len)
			sq.first_ns = now_ns(CLOCK_MONOTONIC);
	}
	pthread_mutex_unlock(&sq.mu);
	free(dl);
	free(al);
	return NULL;
}

/* ---------------------------------------------------------- module hooks */

/* Queue one decision; the caller holds sq.mu. 0, or -1 when full. */
static int push_decision(const struct spool_decision *d)
{
	if (sq.dq_len >= SQ_DQ_CAP) {
		sq.drop_queue++;
		return -1;
	}
	if (!sq.dq_len && !sq.aq_len)
		sq.first_ns = now_ns(CLOCK_MONOTONIC);
	sq.dq[(sq.dq_first + sq.dq_len++) % SQ_DQ_CAP] = *d;
	sq.decisions++;
	if (sq.dq_len == 1 || sq.dq_len == SQ_WAKE_AT)
		pthread_cond_signal(&sq.wake);
	return 0;
}

/* A record leaves the aggregation table: into the queue (or dropped, counted). */
static void agg_emit(void *ctx, const struct spool_decision *d)
{
	(void)ctx;
	pthread_mutex_lock(&sq.mu);
	push_decision(d);
	pthread_mutex_unlock(&sq.mu);
}

/* The aggregation window's timer: flush when it ended, else wait the rest. */
static void agg_fire(void *ctx)
{
	__u64 now = now_ns(CLOCK_MONOTONIC), dl;

	(void)ctx;
	agg_tick(sq.agg, now);
	dl = agg_deadline(sq.agg);
	if (dl)
		loop_timer_arm(sq.agg_timer, dl > now ? (dl - now + NS_PER_MS - 1) / NS_PER_MS : 1);
}

static void sq_stop(struct admd *ad, int aborted);

static int sq_start(struct admd *ad, char *err, size_t errlen)
{
	const struct adm_mariadb_config *db = &ad->cfg->mariadb;
	char perr[ADM_ERR_MAX];
	int ret;

	crash_setup();
	snprintf(sq.dir, sizeof(sq.dir), "%s", db->spool_dir);
	if (gethostname(sq.node, sizeof(sq.node)))
		snprintf(sq.node, sizeof(sq.node), "unknown");
	sq.node[sizeof(sq.node) - 1] = '\0';
	sq.max_bytes = (__u64)db->spool_max_mb * MB;
	sq.batch_ms = db->batch_ms;
	sq.consumer = db->enabled;
	sq.dq = calloc(SQ_DQ_CAP, sizeof(*sq.dq));
	sq.aq = calloc(SQ_AQ_CAP, sizeof(*sq.aq));
	if (!sq.dq || !sq.aq) {
		snprintf(err, errlen, "spool: out of memory");
		goto fail;
	}
	/* The parent of a default spool_dir (/var/lib/adm/spool) is ours to make. */
	if (!strncmp(sq.dir, ADM_SPOOL_DIR_BASE "/", strlen(ADM_SPOOL_DIR_BASE) + 1)) {
		mkdir("/var/lib/adm", 0755);
		mkdir(ADM_SPOOL_DIR_BASE, 0700);
	}
	ret = spool_open(sq.dir, sq.node, 0, &sq.w, on_damage, NULL, perr,
			 sizeof(perr));
	if (ret) {
		snprintf(err, errlen, "%s:%d: [mariadb] spool_dir: %s", ad->cfg->path,
			 db->line, perr);
		goto fail;
	}
	sq.id = spool_id(sq.w);
	sq.head = spool_head(sq.w);
	sq.disk_bytes = spool_disk_bytes(sq.dir);
	sq.stop = 0;
	pthread_cond_init(&sq.wake, NULL);
	pthread_cond_init(&sq.head_cv, NULL);
	sq.running = 1;
	if (pthread_create(&sq.th, NULL, sq_thread, NULL)) {
		sq.running = 0;
		snprintf(err, errlen, "spool: cannot start its thread");
		goto fail;
	}
	sq.agg_ms = db->aggregate_ms;
	sq.agg = agg_new(SQ_AGG_ENTRIES, (__u64)db->aggregate_ms * NS_PER_MS,
			 db->aggregate_prefix4, db->aggregate_prefix6, agg_emit, NULL);
	sq.agg_timer = sq.agg ? loop_add_timer(ad->loop, 0, agg_fire, NULL) : NULL;
	if (!sq.agg || !sq.agg_timer) {
		snprintf(err, errlen, "spool: cannot set up decision aggregation: %s",
			 strerror(errno));
		sq_stop(ad, 1);
		return -1;
	}
	adm_info("spool %s: %llu bytes on disk, appending to segment %016llx%s",
		 sq.dir, (unsigned long long)sq.disk_bytes,
		 (unsigned long long)sq.head.seq,
		 db->enabled ? "" : " (no [mariadb] server: a rotating local log)");
	return 0;
fail:
	spool_close(sq.w);
	sq.w = NULL;
	free(sq.dq);
	free(sq.aq);
	sq.dq = NULL;
	sq.aq = NULL;
	return -1;
}

static int sq_reload_check(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	(void)ad;
	if (strcmp(next->mariadb.spool_dir, sq.dir)) {
		snprintf(err, errlen, "[mariadb] spool_dir changed (%s -> %s): restart admd for that",
			 sq.dir, next->mariadb.spool_dir);
		return -1;
	}
	return 0;
}

static int sq_reload_apply(struct admd *ad, const struct adm_config *next,
			   char *err, size_t errlen)
{
	(void)ad;
	(void)err;
	(void)errlen;
	/* Records aggregated under the old settings leave first. */
	agg_flush(sq.agg, AGG_FLUSH_RELOAD);
	sq.agg_ms = next->mariadb.aggregate_ms;
	agg_configure(sq.agg, (__u64)next->mariadb.aggregate_ms * NS_PER_MS,
		      next->mariadb.aggregate_prefix4, next->mariadb.aggregate_prefix6);
	pthread_mutex_lock(&sq.mu);
	sq.max_bytes = (__u64)next->mariadb.spool_max_mb * MB;
	sq.batch_ms = next->mariadb.batch_ms;
	pthread_mutex_unlock(&sq.mu);
	return 0;
}

static void sq_event(struct admd *ad, const struct adm_event *e)
{
	struct spool_decision d;
	__u64 mono, real;

	if (!sq.running || e->kind != ADM_EV_DECISION)
		return;
	memset(&d, 0, sizeof(d));
	d.type = SPOOL_T_DECISION;
	d.verdict = e->verdict;
	d.reason = e->reason;
	d.proto = e->proto;
	d.sport = e->sport;
	d.dport = e->dport;
	d.service_id = e->service;
	d.count = e->count ? e->count : 1;
	memcpy(d.addr, e->addr, sizeof(d.addr));
	mono = now_ns(CLOCK_MONOTONIC);
	real = now_ns(CLOCK_REALTIME);
	d.time_ns = real - (mono > e->ts_ns ? mono - e->ts_ns : 0);
	if (e->service >= 1 && e->service <= (__u32)ad->cfg->n_svcs)
		snprintf(d.service, sizeof(d.service), "%s",
			 ad->cfg->svcs[e->service - 1].name);
	else
		snprintf(d.service, sizeof(d.service), "#%u", e->service);
	sq.agg_count_in += d.count;
	if (agg_add(sq.agg, &d, mono))
		loop_timer_arm(sq.agg_timer, sq.agg_ms);
}

static int sq_audit_ready(struct admd *ad, char *err, size_t errlen)
{
	int ok;

	(void)ad;
	pthread_mutex_lock(&sq.mu);
	ok = sq.running && !sq.failing && sq.aq_len < SQ_AQ_CAP &&
	     sq.disk_bytes + (__u64)(sq.aq_len + 1) * SPOOL_REC_MAX <= sq.max_bytes;
	if (!ok) {
		sq.audit_refused++;
		snprintf(err, errlen,
			 "the log spool %s cannot take the audit record of this change (%s); nothing was changed: %s",
			 sq.dir,
			 !sq.running ? "it is not running" :
			 sq.failing ? sq.last_err :
			 sq.aq_len >= SQ_AQ_CAP ? "too many audit records waiting" :
						  "spool_max_mb reached",
			 sq.failing ? "fix the disk under spool_dir" :
			 "wait for MariaDB to drain it, or raise [mariadb] spool_max_mb");
	}
	pthread_mutex_unlock(&sq.mu);
	return ok ? 0 : -1;
}

static int sq_audit(struct admd *ad, const struct adm_audit *a, char *err,
		    size_t errlen)
{
	struct sq_audit *slot;
	int len, ret = 0;

	(void)ad;
	pthread_mutex_lock(&sq.mu);
	if (!sq.running || sq.aq_len >= SQ_AQ_CAP) {
		snprintf(err, errlen, "the log spool %s cannot take an audit record", sq.dir);
		ret = -1;
		goto out;
	}
	slot = &sq.aq[(sq.aq_first + sq.aq_len) % SQ_AQ_CAP];
	len = spool_encode_audit(a, slot->buf, sizeof(slot->buf));
	if (len < 0) {
		snprintf(err, errlen, "audit record too large for the spool");
		ret = -1;
		goto out;
	}
	slot->len = len;
	if (!sq.dq_len && !sq.aq_len)
		sq.first_ns = now_ns(CLOCK_MONOTONIC);
	sq.aq_len++;
	sq.audits++;
	pthread_cond_signal(&sq.wake);
out:
	pthread_mutex_unlock(&sq.mu);
	return ret;
}

static void sq_status(struct admd *ad, json_t *out)
{
	(void)ad;
	pthread_mutex_lock(&sq.mu);
	json_object_set_new(out, "dir", json_string(sq.dir));
	json_object_set_new(out, "node", json_string(sq.node));
	json_object_set_new(out, "bytes", json_integer(sq.disk_bytes));
	json_object_set_new(out, "max_bytes", json_integer(sq.max_bytes));
	json_object_set_new(out, "queued", json_integer(sq.dq_len + sq.aq_len));
	json_object_set_new(out, "decisions", json_integer(sq.decisions));
	json_object_set_new(out, "audit", json_integer(sq.audits));
	json_object_set_new(out, "dropped_queue_full", json_integer(sq.drop_queue));
	json_object_set_new(out, "dropped_spool_full", json_integer(sq.drop_disk));
	json_object_set_new(out, "rotated_segments", json_integer(sq.rotated_segs));
	json_object_set_new(out, "damaged", json_integer(sq.damaged));
	json_object_set_new(out, "writing", json_boolean(!sq.failing));
	if (sq.failing)
		json_object_set_new(out, "error", json_string(sq.last_err));
	json_object_set_new(out, "head_segment", json_integer(sq.head.seq));
	if (sq.agg) {
		const struct agg_stats *as = agg_stats(sq.agg);
		json_t *j = json_object();
		int w;

		json_object_set_new(j, "window_ms", json_integer(sq.agg_ms));
		json_object_set_new(j, "entries", json_integer(agg_entries(sq.agg)));
		json_object_set_new(j, "capacity", json_integer(agg_capacity(sq.agg)));
		json_object_set_new(j, "records_in", json_integer(as->in));
		json_object_set_new(j, "records_out", json_integer(as->out));
		json_object_set_new(j, "count_in", json_integer(sq.agg_count_in));
		for (w = 0; w < AGG_FLUSH__MAX; w++) {
			char key[32];

			snprintf(key, sizeof(key), "flushes_%s", agg_flush_name(w));
			json_object_set_new(j, key, json_integer(as->flushes[w]));
		}
		json_object_set_new(out, "aggregate", j);
	}
	json_object_set_new(out, "head_offset", json_integer(sq.head.off));
	pthread_mutex_unlock(&sq.mu);
}

static void sq_metrics(struct admd *ad, struct adm_buf *b)
{
	struct adm_evbudget *v;
	int ncpu, cpu;

	pthread_mutex_lock(&sq.mu);
	adm_buf_family(b, "adm_spool_records_total", "counter",
		       "Records taken into the spool queue, by type.");
	adm_buf_printf(b, "adm_spool_records_total{type=\"decision\"} %llu\n",
		       (unsigned long long)sq.decisions);
	adm_buf_printf(b, "adm_spool_records_total{type=\"audit\"} %llu\n",
		       (unsigned long long)sq.audits);
	adm_buf_family(b, "adm_spool_decision_count_total", "counter",
		       "Sum of the counts of the decision records written to the spool (decisions they stand for).");
	adm_buf_printf(b, "adm_spool_decision_count_total %llu\n",
		       (unsigned long long)sq.count_sum);
	adm_buf_family(b, "adm_spool_dropped_total", "counter",
		       "Decision records dropped: queue_full (the thread fell behind), spool_full (spool_max_mb). Audit records are never dropped.");
	adm_buf_printf(b, "adm_spool_dropped_total{reason=\"queue_full\"} %llu\n",
		       (unsigned long long)sq.drop_queue);
	adm_buf_printf(b, "adm_spool_dropped_total{reason=\"spool_full\"} %llu\n",
		       (unsigned long long)sq.drop_disk);
	adm_buf_family(b, "adm_spool_bytes", "gauge", "Bytes of spool segments on disk.");
	adm_buf_printf(b, "adm_spool_bytes %llu\n", (unsigned long long)sq.disk_bytes);
	adm_buf_family(b, "adm_spool_max_bytes", "gauge", "spool_max_mb in bytes.");
	adm_buf_printf(b, "adm_spool_max_bytes %llu\n", (unsigned long long)sq.max_bytes);
	adm_buf_family(b, "adm_spool_queued", "gauge", "Records in memory, not yet written.");
	adm_buf_printf(b, "adm_spool_queued %u\n", sq.dq_len + sq.aq_len);
	adm_buf_family(b, "adm_spool_commits_total", "counter", "Group commits (one fdatasync each).");
	adm_buf_printf(b, "adm_spool_commits_total %llu\n", (unsigned long long)sq.commits);
	adm_buf_family(b, "adm_spool_damaged_total", "counter",
		       "Damaged stretches found in the spool (reported in the log with segment and offset).");
	adm_buf_printf(b, "adm_spool_damaged_total %llu\n", (unsigned long long)sq.damaged);
	adm_buf_family(b, "adm_spool_rotated_segments_total", "counter",
		       "Segments deleted unsent to stay under spool_max_mb (only without a MariaDB server).");
	adm_buf_printf(b, "adm_spool_rotated_segments_total %llu\n",
		       (unsigned long long)sq.rotated_segs);
	adm_buf_family(b, "adm_spool_audit_refused_total", "counter",
		       "admctl writes refused because their audit record could not be spooled.");
	adm_buf_printf(b, "adm_spool_audit_refused_total %llu\n",
		       (unsigned long long)sq.audit_refused);
	if (sq.agg) {
		const struct agg_stats *as = agg_stats(sq.agg);
		int w;

		adm_buf_family(b, "adm_spool_aggregate_records_total", "counter",
			       "Decision records through admd's aggregation stage: in (from the kernel), out (to the spool queue).");
		adm_buf_printf(b, "adm_spool_aggregate_records_total{dir=\"in\"} %llu\n",
			       (unsigned long long)as->in);
		adm_buf_printf(b, "adm_spool_aggregate_records_total{dir=\"out\"} %llu\n",
			       (unsigned long long)as->out);
		adm_buf_family(b, "adm_spool_aggregate_flushes_total", "counter",
			       "Flushes of the aggregation table: window (its end), full (early, the table was full), stop, reload.");
		for (w = 0; w < AGG_FLUSH__MAX; w++)
			adm_buf_printf(b, "adm_spool_aggregate_flushes_total{reason=\"%s\"} %llu\n",
				       agg_flush_name(w), (unsigned long long)as->flushes[w]);
		adm_buf_family(b, "adm_spool_aggregate_entries", "gauge",
			       "Keys in the aggregation table now.");
		adm_buf_printf(b, "adm_spool_aggregate_entries %u\n", agg_entries(sq.agg));
	}
	adm_buf_family(b, "adm_spool_up", "gauge", "1 while the spool's last commit succeeded.");
	adm_buf_printf(b, "adm_spool_up %d\n", sq.running && !sq.failing);
	pthread_mutex_unlock(&sq.mu);

	/*
	 * The kernel side of the pipeline: ring buffer reservation failures
	 * per CPU (opened here: the loader pins the map after this module starts).
	 */
	if (sq.evb_fd < 0)
		sq.evb_fd = adm_map_open(ad->cfg->pin_root, ADM_MAP_EVBUDGET, 1);
	ncpu = libbpf_num_possible_cpus();
	if (sq.evb_fd < 0 || ncpu <= 0)
		return;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return;
	if (!bpf_map_lookup_elem(sq.evb_fd, &(__u32){ 0 }, v)) {
		adm_buf_family(b, "adm_events_lost_cpu_total", "counter",
			       "Decision events lost per CPU: ring buffer reservation failures.");
		for (cpu = 0; cpu < ncpu; cpu++)
			adm_buf_printf(b, "adm_events_lost_cpu_total{cpu=\"%d\"} %llu\n",
				       cpu, (unsigned long long)v[cpu].lost);
		adm_buf_family(b, "adm_events_suppressed_cpu_total", "counter",
			       "Refusals not sampled per CPU (over the per-CPU event budget); counted exactly in adm_stats.");
		for (cpu = 0; cpu < ncpu; cpu++)
			adm_buf_printf(b, "adm_events_suppressed_cpu_total{cpu=\"%d\"} %llu\n",
				       cpu, (unsigned long long)v[cpu].suppressed);
	}
	free(v);
}

/*
 * Tests only: {"cmd": "spool_inject", "n": N, "service": "web"} queues up
 * to N synthetic decision records (source 10.77.250.0/24, reason
 * rate_source, count 1 each) as the kernel's would be, and answers how
 * many the queue took ({"accepted": K}); the rest found it full. Lets a
 * test put 10^5..10^6 records through the pipeline faster than sampled
 * traffic can. They bypass the aggregation stage (each is one row: the
 * pipeline's throughput is what they measure). Needs root, like every write.
 */
static void sq_cmd_inject(struct admd *ad, struct ctl_req *r)
{
	json_int_t n = json_integer_value(json_object_get(r->req, "n"));
	const char *svc = json_string_value(json_object_get(r->req, "service"));
	const struct adm_svc_config *s;
	struct spool_decision d;
	json_int_t i, ok = 0;

	if (n <= 0 || n > SQ_INJECT_MAX || !svc ||
	    !(s = adm_config_service(ad->cfg, svc))) {
		ctl_fail(r, "spool_inject: needs n 1..%d and a configured service",
			 SQ_INJECT_MAX);
		return;
	}
	memset(&d, 0, sizeof(d));
	d.type = SPOOL_T_DECISION;
	d.verdict = ADM_V_DROP;
	d.reason = ADM_R_RATE_SOURCE;
	d.proto = 6;
	d.dport = s->n_ports ? s->ports[0] : 0;
	d.service_id = s->id;
	d.count = 1;
	d.prefix_len = 32;
	d.addr[2] = htonl(0xffff);
	snprintf(d.service, sizeof(d.service), "%s", s->name);
	pthread_mutex_lock(&sq.mu);
	for (i = 0; i < n; i++) {
		d.addr[3] = htonl(0x0a4dfa00 | (__u32)((sq.injected + i) & 0xff));
		d.sport = 1024 + (sq.injected + i) % 60000;
		d.time_ns = d.time_last_ns = now_ns(CLOCK_REALTIME);
		if (push_decision(&d)) {
			sq.drop_queue--;	/* not a drop: the client is told */
			break;
		}
		ok++;
	}
	sq.injected += ok;
	pthread_mutex_unlock(&sq.mu);
	ctl_reply(r, json_pack("{s:I}", "accepted", ok));
}

static const struct admd_cmd sq_cmds[] = {
	{ .name = "spool_inject", .write = 1, .fn = sq_cmd_inject },
	{}
};

static void sq_stop(struct admd *ad, int aborted)
{
	(void)aborted;
	/* What is aggregated goes to the queue before the thread's last commit. */
	if (sq.agg)
		agg_flush(sq.agg, AGG_FLUSH_STOP);
	if (sq.agg_timer)
		loop_del_timer(ad->loop, sq.agg_timer);
	sq.agg_timer = NULL;
	agg_free(sq.agg);
	sq.agg = NULL;
	if (sq.running) {
		pthread_mutex_lock(&sq.mu);
		sq.stop = 1;
		pthread_cond_broadcast(&sq.wake);
		pthread_cond_broadcast(&sq.head_cv);
		pthread_mutex_unlock(&sq.mu);
		pthread_join(sq.th, NULL);
		sq.running = 0;
	}
	spool_close(sq.w);
	sq.w = NULL;
	if (sq.evb_fd >= 0)
		close(sq.evb_fd);
	sq.evb_fd = -1;
	free(sq.dq);
	free(sq.aq);
	sq.dq = NULL;
	sq.aq = NULL;
}

const struct admd_module spool_module = {
	.name = "spool",
	.start = sq_start,
	.reload_check = sq_reload_check,
	.reload_apply = sq_reload_apply,
	.status = sq_status,
	.metrics = sq_metrics,
	.event = sq_event,
	.audit_ready = sq_audit_ready,
	.audit = sq_audit,
	.cmds = sq_cmds,
	.stop = sq_stop,
};
