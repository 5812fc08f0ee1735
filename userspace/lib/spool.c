// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The log spool's on-disk format: record codec, segment scanner with
 * damage detection and resynchronisation, writer with group commit and
 * crash recovery, and the durable cursor (see spool.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "spool.h"
#include "util.h"

#define SPOOL_ID_FILE		"spool.id"
#define SPOOL_CURSOR_FILE	"cursor"
#define SPOOL_SEG_SUFFIX	".seg"
#define SPOOL_PATH_MAX		4096

_Static_assert(sizeof(struct spool_seg_hdr) == 96, "segment header layout");
_Static_assert(sizeof(struct spool_decision) == 88, "decision layout");
_Static_assert(offsetof(struct spool_decision, time_last_ns) == SPOOL_DECISION_V1_LEN,
	       "a version 1 decision record is a prefix of today's");

void (*spool_crash_hook)(const char *point);

int spool_pos_cmp(const struct spool_pos *a, const struct spool_pos *b)
{
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return 0;
}

/* ---------------------------------------------------------------- codec */

static __u32 rec_crc(__u32 len, const void *payload)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, (const Bytef *)&len, sizeof(len));
	return crc32(c, payload, len);
}

size_t spool_frame(void *out, const void *payload, __u32 plen)
{
	unsigned char *p = out;
	__u32 crc = rec_crc(plen, payload);

	memcpy(p, &plen, sizeof(plen));
	memcpy(p + 4, &crc, sizeof(crc));
	memcpy(p + SPOOL_REC_HDR, payload, plen);
	return SPOOL_REC_HDR + plen;
}

int spool_rec_check(const void *buf, size_t avail, size_t *rec_len)
{
	const unsigned char *p = buf;
	__u32 len, crc;

	if (avail < SPOOL_REC_HDR)
		return SPOOL_REC_SHORT;
	memcpy(&len, p, sizeof(len));
	memcpy(&crc, p + 4, sizeof(crc));
	if (len == 0 || len > SPOOL_REC_MAX)
		return SPOOL_REC_BAD;
	if (avail < SPOOL_REC_HDR + (size_t)len)
		return SPOOL_REC_SHORT;
	if (rec_crc(len, p + SPOOL_REC_HDR) != crc)
		return SPOOL_REC_BAD;
	*rec_len = SPOOL_REC_HDR + len;
	return SPOOL_REC_OK;
}

int spool_encode_decision(const struct spool_decision *d, void *buf, size_t len)
{
	struct spool_decision c = *d;

	if (len < sizeof(c))
		return -ENOSPC;
	c.type = SPOOL_T_DECISION;
	c.service[SPOOL_SVC_MAX - 1] = '\0';
	memset(c.pad, 0, sizeof(c.pad));
	memcpy(buf, &c, sizeof(c));
	return sizeof(c);
}

/* Audit payload: type, 3 pad bytes, uid, pid, then NUL-terminated strings. */
#define AUDIT_FIXED	12

static int put_str(unsigned char *buf, size_t len, size_t *at, const char *s,
		   size_t max)
{
	size_t n = strnlen(s, max - 1);

	if (*at + n + 1 > len)
		return -ENOSPC;
	memcpy(buf + *at, s, n);
	buf[*at + n] = '\0';
	*at += n + 1;
	return 0;
}

int spool_encode_audit(const struct adm_audit *a, void *buf, size_t len)
{
	unsigned char *p = buf;
	__u32 uid = a->uid, pid = a->pid;
	size_t at = AUDIT_FIXED;

	if (len > SPOOL_REC_MAX)
		len = SPOOL_REC_MAX;
	if (len < AUDIT_FIXED)
		return -ENOSPC;
	memset(p, 0, AUDIT_FIXED);
	p[0] = SPOOL_T_AUDIT;
	memcpy(p + 4, &uid, 4);
	memcpy(p + 8, &pid, 4);
	if (put_str(p, len, &at, a->time, sizeof(a->time)) ||
	    put_str(p, len, &at, a->user, sizeof(a->user)) ||
	    put_str(p, len, &at, a->what, sizeof(a->what)) ||
	    put_str(p, len, &at, a->before, sizeof(a->before)) ||
	    put_str(p, len, &at, a->after, sizeof(a->after)) ||
	    put_str(p, len, &at, a->result, sizeof(a->result)) ||
	    put_str(p, len, &at, a->origin, sizeof(a->origin)))
		return -ENOSPC;
	return at;
}

static int get_str(const unsigned char *p, size_t len, size_t *at, char *out,
		   size_t max)
{
	const unsigned char *nul;
	size_t n;

	if (*at >= len)
		return -EINVAL;
	nul = memchr(p + *at, '\0', len - *at);
	if (!nul)
		return -EINVAL;
	n = nul - (p + *at);
	if (n >= max)
		return -EINVAL;
	memcpy(out, p + *at, n + 1);
	*at += n + 1;
	return 0;
}

int spool_decode(const void *payload, size_t len, struct spool_rec *out)
{
	const unsigned char *p = payload;
	struct adm_audit *a = &out->a;
	__u32 uid, pid;
	size_t at = AUDIT_FIXED;

	memset(out, 0, sizeof(*out));
	if (!len)
		return -EINVAL;
	switch (p[0]) {
	case SPOOL_T_DECISION:
		if (len != sizeof(out->d) && len != SPOOL_DECISION_V1_LEN)
			return -EINVAL;
		memcpy(&out->d, p, len);
		if (memchr(out->d.service, '\0', sizeof(out->d.service)) == NULL)
			return -EINVAL;
		if (len == SPOOL_DECISION_V1_LEN) {
			/* Written before aggregation: one record of one source. */
			out->d.time_last_ns = out->d.time_ns;
			out->d.prefix_len = adm_addr_is_v4(out->d.addr) ? 32 : 128;
		}
		out->type = SPOOL_T_DECISION;
		return 0;
	case SPOOL_T_AUDIT:
		if (len < AUDIT_FIXED)
			return -EINVAL;
		memcpy(&uid, p + 4, 4);
		memcpy(&pid, p + 8, 4);
		a->uid = uid;
		a->pid = pid;
		if (get_str(p, len, &at, a->time, sizeof(a->time)) ||
		    get_str(p, len, &at, a->user, sizeof(a->user)) ||
		    get_str(p, len, &at, a->what, sizeof(a->what)) ||
		    get_str(p, len, &at, a->before, sizeof(a->before)) ||
		    get_str(p, len, &at, a->after, sizeof(a->after)) ||
		    get_str(p, len, &at, a->result, sizeof(a->result)) ||
		    get_str(p, len, &at, a->origin, sizeof(a->origin)) ||
		    at != len)
			return -EINVAL;
		out->type = SPOOL_T_AUDIT;
		return 0;
	}
	return -EINVAL;
}

/* ---------------------------------------------------------------- files */

int spool_seg_path(const char *dir, __u64 seq, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%016llx" SPOOL_SEG_SUFFIX, dir,
			 (unsigned long long)seq);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* "DIR/NAME" into buf (checked: a path too long is an error, not a cut). */
static int dir_file(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int seq_of_name(const char *name, __u64 *seq)
{
	char *end;

	if (strlen(name) != 16 + strlen(SPOOL_SEG_SUFFIX) ||
	    strcmp(name + 16, SPOOL_SEG_SUFFIX) ||
	    strspn(name, "0123456789abcdef") != 16)
		return -1;
	*seq = strtoull(name, &end, 16);
	return *seq ? 0 : -1;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

int spool_list(const char *dir, __u64 **seqs, size_t *n)
{
	__u64 *v = NULL, seq, *nv;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*seqs = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (seq_of_name(de->d_name, &seq))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = seq;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*seqs = v;
	*n = cnt;
	return 0;
}

__u64 spool_disk_bytes(const char *dir)
{
	char path[SPOOL_PATH_MAX];
	__u64 *seqs, total = 0;
	struct stat st;
	size_t n, i;

	if (spool_list(dir, &seqs, &n))
		return 0;
	for (i = 0; i < n; i++) {
		if (!spool_seg_path(dir, seqs[i], path, sizeof(path)) &&
		    !stat(path, &st))
			total += st.st_size;
	}
	free(seqs);
	return total;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* Write all of buf at fd's position. 0 or -errno. */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Replace dir/name with text, durably and atomically: write name.tmp,
 * fdatasync it, rename it over name, fsync dir. 0 or -errno (the old file
 * is intact then).
 */
static int replace_file(const char *dir, const char *name, const char *text)
{
	char path[SPOOL_PATH_MAX], tmp[SPOOL_PATH_MAX + 8];
	int fd, ret;

	if (dir_file(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, text, strlen(text));
	if (!ret && fdatasync(fd))
		ret = -errno;
	close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (!ret)
		ret = fsync_dir(dir);
	return ret;
}

int spool_read_id(const char *dir, __u64 *id)
{
	char path[SPOOL_PATH_MAX], text[32];
	ssize_t n;
	char *end;
	int fd;

	if (dir_file(path, sizeof(path), dir, SPOOL_ID_FILE))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -EBADMSG;
	text[n] = '\0';
	*id = strtoull(text, &end, 16);
	if (end == text || (*end && *end != '\n') || !*id)
		return -EBADMSG;
	return 0;
}

/* spool.id, made once with a random id. */
static int ensure_id(const char *dir, __u64 *id)
{
	char text[32];
	int ret;

	ret = spool_read_id(dir, id);
	if (ret != -ENOENT)
		return ret;
	do {
		if (getrandom(id, sizeof(*id), 0) != sizeof(*id))
			return -EIO;
	} while (!*id);
	snprintf(text, sizeof(text), "%016llx\n", (unsigned long long)*id);
	return replace_file(dir, SPOOL_ID_FILE, text);
}

int spool_cursor_load(const char *dir, struct spool_pos *pos)
{
	char path[SPOOL_PATH_MAX], text[128];
	unsigned long long seq, off;
	ssize_t n;
	int fd;

	pos->seq = pos->off = 0;
	if (dir_file(path, sizeof(path), dir, SPOOL_CURSOR_FILE))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -EBADMSG;
	text[n] = '\0';
	if (sscanf(text, "adm spool cursor 1 seq=%llu off=%llu\n", &seq, &off) != 2)
		return -EBADMSG;
	pos->seq = seq;
	pos->off = off;
	return 0;
}

int spool_cursor_store(const char *dir, const struct spool_pos *pos)
{
	char text[128];

	snprintf(text, sizeof(text), "adm spool cursor 1 seq=%llu off=%llu\n",
		 (unsigned long long)pos->seq, (unsigned long long)pos->off);
	return replace_file(dir, SPOOL_CURSOR_FILE, text);
}

/* ---------------------------------------------------------------- scan */

int spool_scan_open(struct spool_scan *s, const char *dir, __u64 seq,
		    __u64 from, __u64 limit, char *err, size_t errlen)
{
	char path[SPOOL_PATH_MAX];
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, ret;

	memset(s, 0, sizeof(*s));
	s->seq = seq;
	if (spool_seg_path(dir, seq, path, sizeof(path))) {
		snprintf(err, errlen, "spool %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(-ret));
		goto fail;
	}
	s->end = st.st_size;
	if (limit && limit < s->end)
		s->end = limit;
	if (s->end < sizeof(s->hdr) ||
	    pread(fd, &s->hdr, sizeof(s->hdr), 0) != (ssize_t)sizeof(s->hdr)) {
		ret = -EBADMSG;
		snprintf(err, errlen, "segment %016llx: %zu bytes, shorter than its header (%zu)",
			 (unsigned long long)seq, s->end, sizeof(s->hdr));
		goto fail;
	}
	if (memcmp(s->hdr.magic, SPOOL_MAGIC, sizeof(s->hdr.magic)) ||
	    s->hdr.version != SPOOL_VERSION || s->hdr.hdr_len != sizeof(s->hdr) ||
	    s->hdr.seq != seq || !memchr(s->hdr.node, '\0', sizeof(s->hdr.node))) {
		ret = -EBADMSG;
		snprintf(err, errlen, "segment %016llx: not an adm spool segment of version %d (bad header)",
			 (unsigned long long)seq, SPOOL_VERSION);
		goto fail;
	}
	s->base = from > sizeof(s->hdr) ? from : sizeof(s->hdr);
	if (s->base > s->end)
		s->base = s->end;
	s->off = s->base;
	s->buf = malloc(s->end - s->base + 1);
	if (!s->buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	while (got < s->end - s->base) {
		n = pread(fd, s->buf + got, s->end - s->base - got, s->base + got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 n < 0 ? strerror(-ret) : "file shrank");
			goto fail;
		}
		got += n;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	free(s->buf);
	s->buf = NULL;
	return ret;
}

int spool_scan_next(struct spool_scan *s, const void **payload, size_t *plen,
		    __u64 *off, spool_damage_fn fn, void *ctx)
{
	struct spool_damage d;
	size_t rec_len, p;
	int rc;

	s->tail_short = 0;
	if (s->off < s->base)
		s->off = s->base;
	if (s->off >= s->end)
		return 0;
	rc = spool_rec_check(s->buf + (s->off - s->base), s->end - s->off, &rec_len);
	if (rc == SPOOL_REC_SHORT) {
		s->tail_short = 1;
		return 0;
	}
	if (rc == SPOOL_REC_BAD) {
		/* Resynchronise: the next offset holding an intact record. */
		for (p = s->off + 1; p < s->end; p++)
			if (spool_rec_check(s->buf + (p - s->base), s->end - p, &rec_len) ==
			    SPOOL_REC_OK)
				break;
		memset(&d, 0, sizeof(d));
		d.seq = s->seq;
		d.off = s->off;
		d.len = p - s->off;
		snprintf(d.why, sizeof(d.why), "%s",
			 p < s->end ? "bad length or CRC mismatch; skipped to the next intact record" :
				      "bad length or CRC mismatch up to the end of the segment");
		if (fn)
			fn(ctx, &d);
		s->off = p;
		if (p >= s->end)
			return 0;
	}
	*payload = s->buf + (s->off - s->base) + SPOOL_REC_HDR;
	*plen = rec_len - SPOOL_REC_HDR;
	*off = s->off;
	s->off += rec_len;
	return 1;
}

void spool_scan_close(struct spool_scan *s)
{
	free(s->buf);
	s->buf = NULL;
}

/* ---------------------------------------------------------------- writer */

struct spool_writer {
	char dir[SPOOL_PATH_MAX];
	char node[SPOOL_NODE_MAX];
	__u64 id;
	__u64 seg_max;
	int fd;				/* the open segment */
	__u64 seq;
	__u64 durable;			/* its durable size */
	unsigned char *buf;		/* appended, not committed */
	size_t len, cap;
};

/* Start segment seq: header written and fsynced, directory fsynced. */
static int seg_create(struct spool_writer *w, __u64 seq)
{
	struct spool_seg_hdr h;
	char path[SPOOL_PATH_MAX];
	int fd, ret;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SPOOL_MAGIC, sizeof(h.magic));
	h.version = SPOOL_VERSION;
	h.hdr_len = sizeof(h);
	h.spool_id = w->id;
	h.seq = seq;
	snprintf(h.node, sizeof(h.node), "%s", w->node);
	if (spool_seg_path(w->dir, seq, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, &h, sizeof(h));
	if (!ret && fdatasync(fd))
		ret = -errno;
	if (!ret)
		ret = fsync_dir(w->dir);
	if (ret) {
		close(fd);
		unlink(path);
		return ret;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->seq = seq;
	w->durable = sizeof(h);
	return 0;
}

/*
 * Recover the newest segment: cut what follows its last intact record
 * when nothing intact follows (a torn or damaged tail). Damage with
 * intact records after it is left for readers to skip and report.
 */
static int seg_recover(struct spool_writer *w, __u64 seq, spool_damage_fn fn,
		       void *ctx)
{
	char path[SPOOL_PATH_MAX], err[256];
	struct spool_damage d;
	struct spool_scan s;
	const void *pl;
	size_t plen;
	__u64 off, good;
	int ret, fd;

	if (spool_seg_path(w->dir, seq, path, sizeof(path)))
		return -ENAMETOOLONG;
	ret = spool_scan_open(&s, w->dir, seq, 0, 0, err, sizeof(err));
	if (ret == -EBADMSG) {
		struct stat st;

		memset(&d, 0, sizeof(d));
		d.seq = seq;
		d.len = stat(path, &st) ? 0 : st.st_size;
		snprintf(d.why, sizeof(d.why), "%s; segment removed",
			 d.len ? "no valid header" : "zero-length segment");
		if (fn)
			fn(ctx, &d);
		return unlink(path) ? -errno : 0;
	}
	if (ret)
		return ret;
	good = s.off;
	while (spool_scan_next(&s, &pl, &plen, &off, fn, ctx) == 1)
		good = s.off;
	if (good < s.end) {
		if (s.tail_short) {
			memset(&d, 0, sizeof(d));
			d.seq = seq;
			d.off = good;
			d.len = s.end - good;
			snprintf(d.why, sizeof(d.why),
				 "truncated last record (%llu bytes); cut",
				 (unsigned long long)d.len);
			if (fn)
				fn(ctx, &d);
		}
		/* (a damaged tail was reported by the scan) */
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || ftruncate(fd, good) || fdatasync(fd))
			ret = -errno;
		if (fd >= 0)
			close(fd);
	}
	spool_scan_close(&s);
	return ret;
}

int spool_open(const char *dir, const char *node, __u64 seg_max,
	       struct spool_writer **out, spool_damage_fn fn, void *ctx,
	       char *err, size_t errlen)
{
	struct spool_writer *w;
	__u64 *seqs = NULL, next = 1;
	size_t n = 0, i;
	int ret;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "spool %s: out of memory", dir);
		return -ENOMEM;
	}
	w->fd = -1;
	if (strlen(dir) >= sizeof(w->dir) - 32) {
		snprintf(err, errlen, "spool %s: path too long", dir);
		ret = -ENAMETOOLONG;
		goto fail;
	}
	strcpy(w->dir, dir);
	snprintf(w->node, sizeof(w->node), "%s", node);
	w->seg_max = seg_max ? seg_max : SPOOL_SEG_DEFAULT;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "spool %s: cannot create: %s; create its parent or set [mariadb] spool_dir",
			 dir, strerror(-ret));
		goto fail;
	}
	ret = ensure_id(dir, &w->id);
	if (ret) {
		snprintf(err, errlen, "spool %s: %s: %s", dir, SPOOL_ID_FILE,
			 ret == -EBADMSG ? "not a spool id (damaged?); move it away to start a new spool" :
					   strerror(-ret));
		goto fail;
	}
	ret = spool_list(dir, &seqs, &n);
	if (ret) {
		snprintf(err, errlen, "spool %s: cannot list: %s", dir, strerror(-ret));
		goto fail;
	}
	/* Headerless segments anywhere are removed; the newest is recovered. */
	for (i = 0; i < n; i++) {
		if (i + 1 == n) {
			ret = seg_recover(w, seqs[i], fn, ctx);
		} else {
			struct spool_scan s;
			char e[256];

			ret = spool_scan_open(&s, dir, seqs[i], 0, 1, e, sizeof(e));
			if (ret == -EBADMSG)
				ret = seg_recover(w, seqs[i], fn, ctx);
			else if (!ret)
				spool_scan_close(&s);
		}
		if (ret) {
			snprintf(err, errlen, "spool %s: cannot recover segment %016llx: %s",
				 dir, (unsigned long long)seqs[i], strerror(-ret));
			goto fail;
		}
	}
	if (n)
		next = seqs[n - 1] + 1;
	ret = seg_create(w, next);
	if (ret) {
		snprintf(err, errlen, "spool %s: cannot create a segment: %s",
			 dir, strerror(-ret));
		goto fail;
	}
	free(seqs);
	*out = w;
	return 0;
fail:
	free(seqs);
	spool_close(w);
	return ret;
}

int spool_append(struct spool_writer *w, const void *payload, size_t plen)
{
	size_t need = SPOOL_REC_HDR + plen;
	unsigned char *nb;
	size_t ncap;

	if (!plen || plen > SPOOL_REC_MAX)
		return -EMSGSIZE;
	if (w->len + need > w->cap) {
		ncap = w->cap ? w->cap : 65536;
		while (ncap < w->len + need)
			ncap *= 2;
		nb = realloc(w->buf, ncap);
		if (!nb)
			return -ENOMEM;
		w->buf = nb;
		w->cap = ncap;
	}
	w->len += spool_frame(w->buf + w->len, payload, plen);
	return 0;
}

int spool_commit(struct spool_writer *w)
{
	int ret;

	if (w->fd < 0) {
		ret = seg_create(w, w->seq + 1);
		if (ret)
			return ret;
	}
	if (!w->len)
		return 0;
	if (lseek(w->fd, w->durable, SEEK_SET) < 0)
		return -errno;
	ret = write_all(w->fd, w->buf, w->len);
	if (spool_crash_hook)
		spool_crash_hook("spool_before_fsync");
	if (!ret && fdatasync(w->fd))
		ret = -errno;
	if (ret) {
		/* Cut a partial write: the next commit starts clean. */
		if (ftruncate(w->fd, w->durable))
			return ret;
		return ret;
	}
	w->durable += w->len;
	w->len = 0;
	if (w->durable >= w->seg_max) {
		close(w->fd);
		w->fd = -1;
		/* A failure here is retried by the next commit. */
		seg_create(w, w->seq + 1);
	}
	return 0;
}

struct spool_pos spool_head(const struct spool_writer *w)
{
	struct spool_pos p = { .seq = w->seq, .off = w->durable };

	return p;
}

size_t spool_pending(const struct spool_writer *w)
{
	return w->len;
}

__u64 spool_id(const struct spool_writer *w)
{
	return w->id;
}

void spool_close(struct spool_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w);
}
