// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The spool (userspace/lib/spool.c): codec round trips, write and read
 * back across segments, the cursor, crash recovery, and damage (a
 * truncated last record, a flipped byte in the middle, a zero-length
 * segment, a headerless file): each detected, reported with its segment
 * and offset, and everything else recovered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "spool.h"

#define N_RECS		1000

struct dmg_log {
	int n;
	struct spool_damage d[16];
};

static void on_damage(void *ctx, const struct spool_damage *d)
{
	struct dmg_log *l = ctx;

	if (l->n < 16)
		l->d[l->n] = *d;
	l->n++;
}

static int setup_dir(void **state)
{
	char *dir = strdup("/tmp/adm-test-spool.XXXXXX");

	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static void make_decision(struct spool_decision *d, __u32 i)
{
	memset(d, 0, sizeof(*d));
	d->verdict = 3;
	d->reason = 2;
	d->proto = 6;
	d->sport = 40000 + (i % 1000);
	d->dport = 80;
	d->service_id = 1;
	d->count = i + 1;
	d->addr[2] = 0xffff0000u;
	d->addr[3] = 0x0a4d0000u + i;
	d->time_ns = 1700000000000000000ULL + i;
	snprintf(d->service, sizeof(d->service), "web");
}

static void append_decisions(struct spool_writer *w, __u32 from, __u32 n)
{
	unsigned char buf[SPOOL_REC_MAX];
	struct spool_decision d;
	__u32 i;
	int len;

	for (i = from; i < from + n; i++) {
		make_decision(&d, i);
		len = spool_encode_decision(&d, buf, sizeof(buf));
		assert_true(len > 0);
		assert_int_equal(spool_append(w, buf, len), 0);
	}
}

/* Read every segment from the start; count records, sum of counts. */
static void read_all(const char *dir, __u64 *n, __u64 *sum, struct dmg_log *l)
{
	__u64 *seqs, off;
	struct spool_scan s;
	struct spool_rec r;
	const void *pl;
	size_t plen, nseg, i;
	char err[256];

	*n = *sum = 0;
	assert_int_equal(spool_list(dir, &seqs, &nseg), 0);
	for (i = 0; i < nseg; i++) {
		if (spool_scan_open(&s, dir, seqs[i], 0, 0, err, sizeof(err)))
			continue;
		while (spool_scan_next(&s, &pl, &plen, &off, on_damage, l) == 1) {
			assert_int_equal(spool_decode(pl, plen, &r), 0);
			(*n)++;
			*sum += r.type == SPOOL_T_DECISION ? r.d.count : 0;
		}
		spool_scan_close(&s);
	}
	free(seqs);
}

static __u64 sum_to(__u64 n)
{
	return n * (n + 1) / 2;
}

/* A decision record written before aggregation (72 bytes) still reads. */
static void test_codec_v1_decision(void **state)
{
	unsigned char buf[SPOOL_REC_MAX];
	struct spool_decision d;
	struct spool_rec r;
	int len;

	(void)state;
	make_decision(&d, 5);
	d.time_last_ns = d.time_ns + 999;
	d.prefix_len = 24;
	len = spool_encode_decision(&d, buf, sizeof(buf));
	assert_int_equal(len, sizeof(struct spool_decision));
	assert_int_equal(spool_decode(buf, len, &r), 0);
	assert_int_equal(r.d.time_last_ns, d.time_ns + 999);
	assert_int_equal(r.d.prefix_len, 24);
	assert_int_equal(spool_decode(buf, SPOOL_DECISION_V1_LEN, &r), 0);
	assert_int_equal(r.d.count, 6);
	assert_int_equal(r.d.time_last_ns, d.time_ns);
	assert_int_equal(r.d.prefix_len, 32);
	assert_int_equal(spool_decode(buf, SPOOL_DECISION_V1_LEN + 8, &r), -EINVAL);
}

static void test_codec(void **state)
{
	unsigned char buf[SPOOL_REC_MAX], frame[SPOOL_REC_MAX + SPOOL_REC_HDR];
	struct spool_decision d;
	struct adm_audit a;
	struct spool_rec r;
	size_t rec_len, fl;
	int len;

	(void)state;
	make_decision(&d, 41);
	len = spool_encode_decision(&d, buf, sizeof(buf));
	assert_int_equal(len, sizeof(d));
	assert_int_equal(spool_decode(buf, len, &r), 0);
	assert_int_equal(r.type, SPOOL_T_DECISION);
	assert_int_equal(r.d.count, 42);
	assert_string_equal(r.d.service, "web");
	assert_memory_equal(r.d.addr, d.addr, sizeof(d.addr));

	memset(&a, 0, sizeof(a));
	strcpy(a.time, "2026-12-02T06:00:00.000Z");
	a.uid = 1000;
	a.pid = 4242;
	strcpy(a.user, "alice");
	strcpy(a.what, "block add 10.77.9.0/24");
	strcpy(a.before, "absent");
	strcpy(a.after, "blocked");
	strcpy(a.result, "ok");
	strcpy(a.origin, "admctl");
	len = spool_encode_audit(&a, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(spool_decode(buf, len, &r), 0);
	assert_int_equal(r.type, SPOOL_T_AUDIT);
	assert_int_equal(r.a.uid, 1000);
	assert_int_equal(r.a.pid, 4242);
	assert_string_equal(r.a.what, a.what);
	assert_string_equal(r.a.after, "blocked");
	assert_string_equal(r.a.origin, "admctl");

	/* Every field at its maximum still fits one record. */
	memset(a.before, 'b', sizeof(a.before) - 1);
	memset(a.after, 'a', sizeof(a.after) - 1);
	memset(a.what, 'w', sizeof(a.what) - 1);
	memset(a.result, 'r', sizeof(a.result) - 1);
	len = spool_encode_audit(&a, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(spool_decode(buf, len, &r), 0);
	assert_int_equal(strlen(r.a.before), sizeof(a.before) - 1);

	/* Malformed payloads are refused, not guessed. */
	buf[0] = 9;
	assert_int_equal(spool_decode(buf, len, &r), -EINVAL);
	buf[0] = SPOOL_T_AUDIT;
	assert_int_equal(spool_decode(buf, len - 1, &r), -EINVAL);
	assert_int_equal(spool_decode(buf, 0, &r), -EINVAL);

	/* Framing: intact, short, and a flipped bit anywhere. */
	fl = spool_frame(frame, buf, len);
	assert_int_equal(spool_rec_check(frame, fl, &rec_len), SPOOL_REC_OK);
	assert_int_equal(rec_len, fl);
	assert_int_equal(spool_rec_check(frame, fl - 1, &rec_len), SPOOL_REC_SHORT);
	assert_int_equal(spool_rec_check(frame, 3, &rec_len), SPOOL_REC_SHORT);
	frame[fl / 2] ^= 0x10;
	assert_int_equal(spool_rec_check(frame, fl, &rec_len), SPOOL_REC_BAD);
	frame[fl / 2] ^= 0x10;
	frame[0] ^= 0x01;	/* the length itself */
	assert_int_not_equal(spool_rec_check(frame, fl, &rec_len), SPOOL_REC_OK);
}

/* Write N_RECS over several segments, read them back in order. */
static void test_write_read(void **state)
{
	const char *dir = *state;
	struct spool_writer *w;
	struct dmg_log l = {};
	char err[256];
	__u64 *seqs, n, sum;
	size_t nseg;

	assert_int_equal(spool_open(dir, "node-a", 8192, &w, on_damage, &l,
				    err, sizeof(err)), 0);
	append_decisions(w, 0, N_RECS / 2);
	assert_true(spool_pending(w) > 0);
	assert_int_equal(spool_commit(w), 0);
	assert_int_equal(spool_pending(w), 0);
	append_decisions(w, N_RECS / 2, N_RECS / 2);
	assert_int_equal(spool_commit(w), 0);
	spool_close(w);

	read_all(dir, &n, &sum, &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(n, N_RECS);
	assert_int_equal(sum, sum_to(N_RECS));
	assert_int_equal(spool_list(dir, &seqs, &nseg), 0);
	assert_int_equal(nseg, 3);	/* each commit passed 8 KiB: closed; then a fresh one */
	free(seqs);
	assert_true(spool_disk_bytes(dir) >= N_RECS * (SPOOL_REC_HDR + sizeof(struct spool_decision)));

	/* A restart appends to a new segment; nothing is lost or repeated. */
	assert_int_equal(spool_open(dir, "node-a", 8192, &w, on_damage, &l,
				    err, sizeof(err)), 0);
	append_decisions(w, N_RECS, 10);
	assert_int_equal(spool_commit(w), 0);
	spool_close(w);
	read_all(dir, &n, &sum, &l);
	assert_int_equal(l.n, 0);
	assert_int_equal(n, N_RECS + 10);
	assert_int_equal(sum, sum_to(N_RECS + 10));
}

/* Records appended but never committed are not on disk (a crash loses
 * only what no one was told is durable). */
static void test_uncommitted(void **state)
{
	const char *dir = *state;
	struct spool_writer *w;
	struct dmg_log l = {};
	char err[256];
	__u64 n, sum;

	assert_int_equal(spool_open(dir, "n", 0, &w, on_damage, &l, err, sizeof(err)), 0);
	append_decisions(w, 0, 5);
	assert_int_equal(spool_commit(w), 0);
	append_decisions(w, 5, 5);
	spool_close(w);		/* "crash" before the second commit */
	read_all(dir, &n, &sum, &l);
	assert_int_equal(n, 5);
	assert_int_equal(l.n, 0);
}

static void test_cursor(void **state)
{
	const char *dir = *state;
	struct spool_pos p = { 7, 4242 }, q;
	char path[512];
	int fd;

	assert_int_equal(spool_cursor_load(dir, &q), 0);
	assert_int_equal(q.seq, 0);
	assert_int_equal(q.off, 0);
	assert_int_equal(spool_cursor_store(dir, &p), 0);
	assert_int_equal(spool_cursor_load(dir, &q), 0);
	assert_int_equal(spool_pos_cmp(&p, &q), 0);
	p.off++;
	assert_int_equal(spool_pos_cmp(&p, &q), 1);
	/* A damaged cursor is an error, not "from the start". */
	snprintf(path, sizeof(path), "%s/cursor", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage\n", 8), 8);
	close(fd);
	assert_int_equal(spool_cursor_load(dir, &q), -EBADMSG);
}

/* Write 100 records in one segment; return its path. */
static void one_segment(const char *dir, char *path, size_t len)
{
	struct spool_writer *w;
	struct dmg_log l = {};
	char err[256];

	assert_int_equal(spool_open(dir, "n", 0, &w, on_damage, &l, err, sizeof(err)), 0);
	append_decisions(w, 0, 100);
	assert_int_equal(spool_commit(w), 0);
	spool_seg_path(dir, spool_head(w).seq, path, len);
	spool_close(w);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

#define REC_SIZE	(SPOOL_REC_HDR + sizeof(struct spool_decision))

static void test_truncated_last(void **state)
{
	const char *dir = *state;
	struct spool_writer *w;
	struct dmg_log l = {};
	char path[512], err[256];
	__u64 n, sum;
	off_t size;

	one_segment(dir, path, sizeof(path));
	size = file_size(path);
	assert_int_equal(truncate(path, size - 10), 0);

	/* A reader sees 99 records and a short tail (not yet damage). */
	read_all(dir, &n, &sum, &l);
	assert_int_equal(n, 99);
	assert_int_equal(l.n, 0);

	/* Recovery cuts it and says where. */
	assert_int_equal(spool_open(dir, "n", 0, &w, on_damage, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.d[0].seq, 1);
	assert_int_equal(l.d[0].off, sizeof(struct spool_seg_hdr) + 99 * REC_SIZE);
	assert_int_equal(l.d[0].len, REC_SIZE - 10);
	assert_non_null(strstr(l.d[0].why, "truncated"));
	assert_int_equal(file_size(path), size - REC_SIZE);
	append_decisions(w, 100, 1);
	assert_int_equal(spool_commit(w), 0);
	spool_close(w);
	l.n = 0;
	read_all(dir, &n, &sum, &l);
	assert_int_equal(n, 100);
	assert_int_equal(l.n, 0);
}

static void test_flipped_byte(void **state)
{
	const char *dir = *state;
	struct spool_writer *w;
	struct dmg_log l = {};
	char path[512], err[256];
	__u64 n, sum, at;
	unsigned char c;
	int fd;

	one_segment(dir, path, sizeof(path));
	/* A byte inside record 50's payload. */
	at = sizeof(struct spool_seg_hdr) + 50 * REC_SIZE + SPOOL_REC_HDR + 20;
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, at), 1);
	c ^= 0xff;
	assert_int_equal(pwrite(fd, &c, 1, at), 1);
	close(fd);

	read_all(dir, &n, &sum, &l);
	assert_int_equal(n, 99);
	assert_int_equal(sum, sum_to(100) - 51);	/* record 50 had count 51 */
	assert_int_equal(l.n, 1);
	assert_int_equal(l.d[0].seq, 1);
	assert_int_equal(l.d[0].off, sizeof(struct spool_seg_hdr) + 50 * REC_SIZE);
	assert_int_equal(l.d[0].len, REC_SIZE);

	/* Recovery keeps the records after the damage (it is not a tail). */
	l.n = 0;
	assert_int_equal(spool_open(dir, "n", 0, &w, on_damage, &l, err, sizeof(err)), 0);
	spool_close(w);
	assert_int_equal(l.n, 1);
	l.n = 0;
	read_all(dir, &n, &sum, &l);
	assert_int_equal(n, 99);
}

static void test_zero_length(void **state)
{
	const char *dir = *state;
	struct spool_writer *w;
	struct dmg_log l = {};
	char path[512], zpath[512], err[256];
	__u64 n, sum, *seqs;
	size_t nseg;
	int fd;

	one_segment(dir, path, sizeof(path));
	/* The zero-length segment a crash between create and header leaves. */
	spool_seg_path(dir, 5, zpath, sizeof(zpath));
	fd = open(zpath, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* And a headerless one in the middle. */
	spool_seg_path(dir, 3, zpath, sizeof(zpath));
	fd = open(zpath, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a segment header at all, but long enough to be read as one......................................................", 100), 100);
	close(fd);

	assert_int_equal(spool_open(dir, "n", 0, &w, on_damage, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.d[0].seq, 3);
	assert_non_null(strstr(l.d[0].why, "no valid header"));
	assert_int_equal(l.d[1].seq, 5);
	assert_non_null(strstr(l.d[1].why, "zero-length"));
	assert_int_equal(spool_head(w).seq, 6);	/* appends after the removed one */
	spool_close(w);
	l.n = 0;
	read_all(dir, &n, &sum, &l);
	assert_int_equal(n, 100);
	assert_int_equal(sum, sum_to(100));
	assert_int_equal(spool_list(dir, &seqs, &nseg), 0);
	assert_int_equal(nseg, 2);		/* 1 and the new 6 */
	free(seqs);
}

/* The scanner from an offset (a cursor) and up to a limit (the durable head). */
static void test_scan_window(void **state)
{
	const char *dir = *state;
	struct spool_scan s;
	const void *pl;
	size_t plen;
	__u64 off, first = 0;
	char path[512], err[256];
	int n = 0;

	one_segment(dir, path, sizeof(path));
	assert_int_equal(spool_scan_open(&s, dir, 1, sizeof(struct spool_seg_hdr) + 10 * REC_SIZE,
					 sizeof(struct spool_seg_hdr) + 20 * REC_SIZE + 3,
					 err, sizeof(err)), 0);
	while (spool_scan_next(&s, &pl, &plen, &off, NULL, NULL) == 1) {
		if (!n)
			first = off;
		n++;
	}
	assert_int_equal(n, 10);
	assert_int_equal(first, sizeof(struct spool_seg_hdr) + 10 * REC_SIZE);
	assert_true(s.tail_short);
	spool_scan_close(&s);
	assert_int_equal(spool_scan_open(&s, dir, 99, 0, 0, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_codec_v1_decision),
		cmocka_unit_test_setup_teardown(test_write_read, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_uncommitted, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_cursor, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_truncated_last, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_zero_length, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_scan_window, setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
