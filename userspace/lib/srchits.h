/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-source SYN hit deltas for the cluster sync (prefix adm_src_hits_).
 * The data plane keeps a monotonically increasing count of SYNs charged to
 * each source; this reads the map in batches and returns, per source, what
 * was added since the previous read. Only adm_src_hits_read knows where the
 * count lives: `syn_hits` of the source's adm_src entry (verified sources)
 * and of its adm_rate bucket (sources that never completed a handshake);
 * a source's count is the sum of both, so it stays continuous when the
 * bucket moves into adm_src at the first handshake.
 */
#ifndef ADM_SRCHITS_H
#define ADM_SRCHITS_H

#include <stddef.h>
#include <linux/types.h>
#include "adm/adm.h"

struct adm_src_hits_entry {
	struct adm_fp_key key;
	__u64 hits;		/* last count read */
	__u64 wid;		/* window the count below belongs to */
	__u64 wcount;		/* SYNs in that window */
	__u64 cur;		/* sum of this read pass so far */
	__u32 gen;		/* read pass that last saw it */
	__u32 fresh;		/* first seen in this pass */
};

/*
 * What is reported per service id: sources whose count in the current
 * fixed window (window_ms) reaches `min` are reported, with everything
 * they had in the window the first time and every new SYN after; a
 * source under `min` on this node is not (window_ms 0: never). With
 * min = ceil(rate / (2 x nodes)), what the nodes leave unreported sums to
 * less than half the rate: a source is caught before 1.5 x its rate.
 */
struct adm_src_report {
	__u64 window_ms;
	__u64 min;
};

/*
 * The counts seen by the previous read: a dense array of entries in the
 * order the maps returned them (the next pass reads them in about the same
 * order, so it walks the array instead of jumping around a large table),
 * and an open-addressing index of 4-byte slots (entry + 1, 0 = free).
 */
struct adm_src_hits {
	struct adm_src_hits_entry *ent;
	__u32 *idx;
	size_t cap;		/* index slots: power of two, >= 2 x the map's entries */
	size_t n;		/* entries in use, at most cap / 2 */
	__u32 gen;
	/* scratch for batch reads */
	struct adm_fp_key *keys;
	void *vals;		/* SH_BATCH values of the largest per-source layout */
};

/* What one read found for one source. */
struct adm_src_delta {
	struct adm_fp_key key;
	__u64 delta;
};

/* Size the table for a map of max_entries sources. 0 or -ENOMEM. */
int adm_src_hits_init(struct adm_src_hits *h, size_t max_entries);
void adm_src_hits_free(struct adm_src_hits *h);

/*
 * Read every entry of adm_src (src_fd) and of every service's adm_rate
 * partition (rate_fd: the outer map, part.h); for each source whose count grew
 * since the previous read (a new source, or one the LRU evicted and
 * recreated, counts in full), add the growth to its window count and, as
 * rep[service] says (NULL: report every delta), append what is to be
 * reported to *out (grown with realloc; *n_out entries, *cap_out
 * allocated). now_ms places the windows. Sources no longer in the map are
 * forgotten. The first read after init only records the counts when
 * `baseline` is set. Returns 0 or -errno (map read failed: the previous
 * counts are kept, nothing is appended).
 */
int adm_src_hits_read(struct adm_src_hits *h, int src_fd, int rate_fd, int baseline,
		      const struct adm_src_report *rep, __u64 now_ms,
		      struct adm_src_delta **out, size_t *n_out, size_t *cap_out);

#endif /* ADM_SRCHITS_H */
