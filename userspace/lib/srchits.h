/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-source SYN hit counts for the cluster sync: the one reader of the
 * data plane's per-source layout (adm_src, adm_rate) outside the data
 * plane's own code, so only this file changes when that layout does.
 */
#ifndef ADM_SRCHITS_H
#define ADM_SRCHITS_H

#include <stddef.h>
#include "adm/adm.h"

/* A source and the SYNs charged to it since its entry was created (only grows). */
struct adm_src_hits {
	struct adm_fp_key key;	/* service, sig 0, address masked to the fingerprint prefix */
	__u64 syn_hits;
};

/*
 * Every source of adm_src and adm_rate under the pin root `root`, with
 * its syn_hits, read with batch lookups into *out (malloc'd; the caller
 * frees it) and their number into *n. A source may appear in both maps
 * (hits before and after its first handshake): the caller sums per key.
 * Entries evicted and recreated restart from 0: deltas must treat a
 * count lower than the last one read as a fresh start. 0 or -errno;
 * on error *out is NULL and *n 0.
 */
int adm_src_hits_read(const char *root, struct adm_src_hits **out, size_t *n);

/* The same on open fds of adm_src and adm_rate (either may be -1: skipped). */
int adm_src_hits_read_fd(int src_fd, int rate_fd, struct adm_src_hits **out,
			 size_t *n);

#endif /* ADM_SRCHITS_H */
