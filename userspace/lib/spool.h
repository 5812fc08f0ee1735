/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The log spool (prefix spool_): decision and audit records appended to
 * segment files in one directory, read back from a durable cursor. Owns
 * the on-disk format, its damage detection and recovery; no threads here.
 *
 * Directory: `spool.id` (this spool's random 64-bit id, made once),
 * `cursor` (how far a consumer has committed), segments
 * `%016llx.seg` numbered from 1. A segment is a header
 * (struct spool_seg_hdr) then records: `__u32 len, __u32 crc` and `len`
 * bytes of payload, crc = CRC-32 (zlib) of the len field and the payload.
 * Host byte order: a spool is read on the architecture that wrote it.
 * A record is identified for ever by (spool id, segment, offset): the
 * MariaDB tables have that as a unique key, so a batch sent twice (crash
 * after commit, before the cursor moved; a replay) inserts nothing twice.
 */
#ifndef ADM_SPOOL_H
#define ADM_SPOOL_H

#include <stddef.h>
#include <linux/types.h>
#include "ctlproto.h"

#define SPOOL_MAGIC		"ADMSPOOL"
#define SPOOL_VERSION		1
#define SPOOL_NODE_MAX		64		/* node name, NUL included */
#define SPOOL_SVC_MAX		32		/* service name, NUL included */
#define SPOOL_REC_HDR		8		/* len, crc */
#define SPOOL_REC_MAX		8192		/* payload bytes of one record */
#define SPOOL_SEG_DEFAULT	(8ULL << 20)	/* a segment is closed past this size */

enum spool_type {
	SPOOL_T_DECISION = 1,
	SPOOL_T_AUDIT = 2,
};

/* On disk at offset 0 of every segment. */
struct spool_seg_hdr {
	char magic[8];			/* SPOOL_MAGIC, no NUL */
	__u32 version;
	__u32 hdr_len;			/* sizeof(struct spool_seg_hdr) */
	__u64 spool_id;
	__u64 seq;			/* the segment's number, as in its name */
	char node[SPOOL_NODE_MAX];	/* the node that wrote it */
};

/*
 * A decision record (payload of SPOOL_T_DECISION, fixed layout). admd may
 * aggregate several of the kernel's records into one (userspace/lib/agg.h):
 * count is their sum, time_ns the first and time_last_ns the last, addr
 * the source masked to prefix_len bits, sport the first record's. Records
 * written before aggregation existed are SPOOL_DECISION_V1_LEN bytes (up to
 * time_last_ns); spool_decode reads them as one record of one source.
 */
struct spool_decision {
	__u8 type;			/* SPOOL_T_DECISION */
	__u8 verdict;			/* enum adm_verdict */
	__u8 reason;			/* enum adm_reason */
	__u8 proto;
	__u16 sport, dport;
	__u32 service_id;
	__u32 count;			/* decisions it stands for, >= 1 */
	__u32 addr[4];			/* source, IPv4-mapped */
	__u64 time_ns;			/* UTC, ns since the epoch */
	char service[SPOOL_SVC_MAX];	/* the service's name when spooled */
	__u64 time_last_ns;		/* the last decision's time, >= time_ns */
	__u8 prefix_len;		/* of addr, in its family: 32 / 128 = one source */
	__u8 pad[7];
};
#define SPOOL_DECISION_V1_LEN	72	/* before time_last_ns */

/* A decoded record. */
struct spool_rec {
	int type;			/* enum spool_type */
	struct spool_decision d;	/* SPOOL_T_DECISION */
	struct adm_audit a;		/* SPOOL_T_AUDIT */
};

/* A position: segment number and byte offset in it. */
struct spool_pos {
	__u64 seq;
	__u64 off;
};

/* -1, 0, 1 like memcmp. */
int spool_pos_cmp(const struct spool_pos *a, const struct spool_pos *b);

/*
 * Codec. spool_encode_*: the payload into buf (at most SPOOL_REC_MAX
 * bytes); returns its length, or -ENOSPC if it does not fit (an audit
 * record's strings are at most ADM_AUDIT_* each, so it always fits
 * SPOOL_REC_MAX). spool_decode: 0, or -EINVAL when the payload is not a
 * well-formed record (unknown type, wrong length, unterminated string).
 */
int spool_encode_decision(const struct spool_decision *d, void *buf, size_t len);
int spool_encode_audit(const struct adm_audit *a, void *buf, size_t len);
int spool_decode(const void *payload, size_t len, struct spool_rec *out);

/* The framed record (header and payload) for payload into out; its size. */
size_t spool_frame(void *out, const void *payload, __u32 plen);

/*
 * Is there a whole, intact record at buf (avail bytes)? SPOOL_REC_OK with
 * *rec_len (header included), SPOOL_REC_SHORT when the bytes end inside
 * it (a torn tail, or a record still being written), SPOOL_REC_BAD when
 * its length is impossible or its CRC does not match.
 */
enum { SPOOL_REC_OK = 0, SPOOL_REC_SHORT, SPOOL_REC_BAD };
int spool_rec_check(const void *buf, size_t avail, size_t *rec_len);

/* Damage found while reading or recovering a segment. */
struct spool_damage {
	__u64 seq;			/* segment */
	__u64 off;			/* where the damage starts */
	__u64 len;			/* bytes skipped (or cut) */
	char why[96];			/* "CRC mismatch", "truncated record" ... */
};

/* Called for each damage found; ctx is the caller's. */
typedef void (*spool_damage_fn)(void *ctx, const struct spool_damage *d);

/*
 * Reading one segment. spool_scan_open checks its header and loads
 * segment `seq` of dir from offset `from` (0: the first record) up to
 * `limit` bytes of the file (0: its current size); s->off may be moved
 * anywhere in [base, end]. -errno with err filled on failure (-ENOENT: no
 * such segment; -EBADMSG: no valid header, e.g. a zero-length segment).
 */
struct spool_scan {
	__u64 seq;
	struct spool_seg_hdr hdr;
	unsigned char *buf;		/* the file's bytes [base, end) */
	size_t base, end;
	size_t off;			/* next record (base <= off <= end) */
	int tail_short;			/* the loaded bytes end inside a record */
};
int spool_scan_open(struct spool_scan *s, const char *dir, __u64 seq,
		    __u64 from, __u64 limit, char *err, size_t errlen);
/*
 * Next intact record: returns 1 with *payload, *plen and *off (the
 * record's offset; s->off is then past it), 0 at the end. A damaged
 * stretch is reported to fn (if not NULL) and skipped up to the next
 * intact record (a record whose length and CRC check out). Bytes at the
 * end that form no whole record set s->tail_short and end the scan
 * without a report: the caller knows whether the segment is still being
 * written (then they are not damage yet).
 */
int spool_scan_next(struct spool_scan *s, const void **payload, size_t *plen,
		    __u64 *off, spool_damage_fn fn, void *ctx);
void spool_scan_close(struct spool_scan *s);

/*
 * Segments of dir in order, into a malloc'd array (*seqs, *n; free it).
 * 0 or -errno (a missing dir is 0 segments).
 */
int spool_list(const char *dir, __u64 **seqs, size_t *n);
/* "DIR/%016llx.seg" into buf. 0, or -ENAMETOOLONG. */
int spool_seg_path(const char *dir, __u64 seq, char *buf, size_t len);
/* Bytes of all segments of dir (0 if none). */
__u64 spool_disk_bytes(const char *dir);

/*
 * The cursor: how far a consumer has committed (records before it are in
 * the database). Missing: {0, 0} (from the start). spool_cursor_store
 * writes a temporary file, fsyncs it, renames it over `cursor` and fsyncs
 * the directory: after a crash the cursor is the old or the new one.
 * 0 or -errno (-EBADMSG: the file is not a cursor; nothing is guessed).
 */
int spool_cursor_load(const char *dir, struct spool_pos *pos);
int spool_cursor_store(const char *dir, const struct spool_pos *pos);

/*
 * The writer: appends to the newest segment of dir (mode 0700, made if
 * missing, with `spool.id`). spool_open recovers what a crash left: the
 * newest segment's torn or damaged tail is cut (reported to fn), a
 * zero-length or headerless segment is reported and removed; appends then
 * go to a new segment. seg_max: a segment is closed after a commit that
 * takes it past this size. Returns 0 or -errno with err filled.
 */
struct spool_writer;
int spool_open(const char *dir, const char *node, __u64 seg_max,
	       struct spool_writer **out, spool_damage_fn fn, void *ctx,
	       char *err, size_t errlen);
/* Buffer one record (not yet written). 0, or -EMSGSIZE, -ENOMEM. */
int spool_append(struct spool_writer *w, const void *payload, size_t plen);
/*
 * Group commit: write what was appended, fdatasync, and start a new
 * segment if this one is full. On success every appended record is
 * durable. 0 or -errno; after a failure the records stay buffered and the
 * next commit retries from the last durable end (a partial write is cut).
 */
int spool_commit(struct spool_writer *w);
/* Durable end: the position after the last committed record. */
struct spool_pos spool_head(const struct spool_writer *w);
/* Bytes buffered, not yet committed. */
size_t spool_pending(const struct spool_writer *w);
__u64 spool_id(const struct spool_writer *w);
void spool_close(struct spool_writer *w);

/*
 * Tests only: when set, called at named points of a commit (in spool.c
 * "spool_before_fsync"; in logdb.c "db_after_insert"), so a test can kill
 * the process exactly there (admd's ADM_TEST_CRASH).
 */
extern void (*spool_crash_hook)(const char *point);

/* The spool id of dir (from spool.id). 0 or -errno. */
int spool_read_id(const char *dir, __u64 *id);

#endif /* ADM_SPOOL_H */
