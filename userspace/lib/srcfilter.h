/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * adm_src_filter and adm_src_summary from userspace (include/adm/adm.h):
 * mark a key that gets an adm_src entry, count the bits set, and rebuild
 * the filter and its summary from the adm_src keys so that deleted keys
 * are forgotten.
 */
#ifndef ADM_SRCFILTER_USER_H
#define ADM_SRCFILTER_USER_H

#include <stddef.h>
#include "adm/adm.h"

#define ADM_SRC_FILTER_BITS	(ADM_SRC_FILTER_WORDS * 64ULL)
#define ADM_SRC_SUMMARY_BITS	(ADM_SRC_SUMMARY_WORDS * 64ULL)

/* The arrays of the filter, mmapped. */
struct adm_src_filter {
	__u64 *live;		/* adm_src_filter: what XDP reads */
	__u64 *next;		/* adm_src_filter_next: rebuilt from adm_src */
	__u64 *sum;		/* adm_src_summary: XDP reads it first */
	int sync_fd, sync_inner_fd;	/* see adm_bpf_sync(), -1 until the first rebuild */
};

/* What one rebuild did. */
struct adm_src_filter_pass {
	__u64 keys;		/* adm_src keys read */
	__u64 bits_before;	/* bits set in adm_src_filter before */
	__u64 bits_after;	/* ... and after */
	__u64 sync_ns;		/* the two waits for running BPF programs */
	__u64 ns;		/* the whole rebuild */
};

/* Where a rebuild is, for adm_src_filter_rebuild's step (tests). */
enum adm_src_filter_step {
	ADM_SF_CLEARED,		/* next cleared, before the wait */
	ADM_SF_SYNCED,		/* programs that ran during the clear have returned */
	ADM_SF_BATCH,		/* one batch of adm_src keys set in next */
	ADM_SF_COPY_WORD,	/* word: live and next differ, next read, before the swap */
	ADM_SF_COPIED,		/* next stored into adm_src_filter */
	ADM_SF_SUMMARIZED,	/* adm_src_summary derived from it */
	ADM_SF_REPAIRED,	/* after the second wait: next ORed into live, live into the summary */
};

/*
 * mmap the three arrays (map fds of adm_src_filter, adm_src_filter_next
 * and adm_src_summary, read-write). 0 or -errno; f is closed again on
 * failure.
 */
int adm_src_filter_open(struct adm_src_filter *f, int live_fd, int next_fd, int sum_fd);
void adm_src_filter_close(struct adm_src_filter *f);

/*
 * Set key's bit in next, then in live, then its group's in the summary
 * (atomic ors), as sockops does: call it before writing the key's adm_src
 * entry, or XDP may not look for it.
 */
void adm_src_filter_set(const struct adm_src_filter *f, const struct adm_fp_key *key);

/* adm_src_filter_set on the three map fds, for a one-off mark. 0 or -errno. */
int adm_src_filter_mark(int live_fd, int next_fd, int sum_fd, const struct adm_fp_key *key);

/*
 * Set every adm_src_summary bit whose group of adm_src_filter bits is not
 * all clear (a filter pinned before the summary existed; ors only: idempotent,
 * safe while both are written). 0 or -errno.
 */
int adm_src_summary_rebuild(int live_fd, int sum_fd);

/* Bits set in n words (the filter's, the summary's; relaxed atomic loads). */
__u64 adm_src_bits_count(const __u64 *words, size_t n);

/*
 * Rebuild: clear next; wait until every BPF program that may have set a
 * bit in next during the clear has returned (its adm_src entry is then
 * written); set the bit of every key in src_fd (adm_src, batch reads);
 * store next into live word by word with a compare-and-swap that retries
 * when a writer set a bit meanwhile; derive the summary from live the
 * same way; wait for running programs again, then OR next into live and
 * live's groups into the summary (a writer whose or was a no-op on a bit
 * a swap then cleared is repaired: such a key reads clear at most until
 * the rebuild returns). Only the rebuild clears bits; one
 * rebuild at a time, and userspace writers of adm_src entries must not
 * run concurrently with it (admd runs both in its recount thread).
 * A failure leaves live as it was. step, if not NULL, is called at each
 * stage with arg (and the word index, for ADM_SF_COPY_WORD). 0 or -errno;
 * *p filled when not NULL.
 */
int adm_src_filter_rebuild(struct adm_src_filter *f, int src_fd,
			   struct adm_src_filter_pass *p,
			   void (*step)(void *arg, enum adm_src_filter_step s, __u32 word),
			   void *arg);

/*
 * Wait until every non-sleepable BPF program running now has returned:
 * the kernel does so when an ARRAY_OF_MAPS slot is updated (so that no
 * program still sees the old inner map), and *sync_fd, *inner_fd hold one
 * such map and its inner map (created at the first call). 0 or -errno.
 */
int adm_bpf_sync(int *sync_fd, int *inner_fd);

#endif /* ADM_SRCFILTER_USER_H */
