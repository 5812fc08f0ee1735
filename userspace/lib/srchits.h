/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-source SYN hit deltas for the cluster sync (prefix adm_src_hits_).
 * The data plane counts the SYNs charged to each source in `syn_hits` of
 * its adm_src entry (verified sources) or of its adm_rate bucket (sources
 * that never completed a handshake; the word moves with the bucket into
 * adm_src at the first handshake). adm_src_hits_read runs the adm_hits
 * program (bpf/adm_hits.bpf.c, BPF_PROG_TEST_RUN) over adm_src and every
 * adm_rate partition: it takes the SYNs added since the previous read,
 * keeps each source's
 * window state in its entry (include/adm/adm.h, ADM_HITS_*) and returns
 * only the sources to report, so a round costs a visit of each entry in
 * the kernel plus a record per reported source, not a copy of the maps.
 * One reader per pin root: a second one would take the first one's SYNs.
 */
#ifndef ADM_SRCHITS_H
#define ADM_SRCHITS_H

#include <stddef.h>
#include <linux/types.h>
#include "adm/adm.h"

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

/* The loaded adm_hits program, bound to one adm_src and one adm_rate. */
struct adm_src_hits {
	struct adm_hits_bpf *skel;
	const volatile struct adm_hits_rec *out;	/* adm_hits_out, mmapped */
};

/* What one read found for one source (adm_hits' record, adm_hits_rec). */
struct adm_src_delta {
	struct adm_fp_key key;
	__u64 delta;
};

/*
 * Load adm_hits for adm_src (src_fd: any hash map of that layout) and
 * adm_rate (rate_fd: the outer map, part.h; -1: none); partitions may
 * come and go after. Needs CAP_BPF and CAP_PERFMON (root). 0 or -errno.
 */
int adm_src_hits_init(struct adm_src_hits *h, int src_fd, int rate_fd);
void adm_src_hits_free(struct adm_src_hits *h);

/*
 * Read adm_src and every service's adm_rate partition: for each source
 * with SYNs since the previous read (a new source, or one the LRU evicted
 * and recreated, counts in full) add them to its window count and, as
 * rep[service] says (NULL: report every SYN), append what is to be
 * reported to *out (grown with realloc; *n_out entries, *cap_out
 * allocated). now_ms places the windows (a min above ADM_HITS_WCOUNT_MAX
 * counts as that). With `baseline` the SYNs so far are taken and nothing
 * is reported, as on the first read after a start. A source in both maps
 * at once (a bucket moving at its first handshake) may get two entries.
 * Returns 0 or -errno; on an error *out keeps what was read before it
 * (taken from the maps: report it), and what was not read stays in the
 * maps for the next read.
 */
int adm_src_hits_read(struct adm_src_hits *h, int baseline,
		      const struct adm_src_report *rep, __u64 now_ms,
		      struct adm_src_delta **out, size_t *n_out, size_t *cap_out);

#endif /* ADM_SRCHITS_H */
