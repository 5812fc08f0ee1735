/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-service partitions (prefix adm_part_): adm_rate and adm_pkt_rate are
 * ARRAY_OF_MAPS[ADM_MAX_SERVICES]; slot `id` holds service id's own
 * LRU_HASH keyed by struct adm_fp_key, so one service's sources can evict
 * only that service's entries. Empty slot: the service keeps no such state.
 */
#ifndef ADM_PART_H
#define ADM_PART_H

#include <stddef.h>
#include <linux/types.h>
#include "adm/adm.h"

enum adm_part_kind {
	ADM_PART_RATE,		/* adm_rate: struct adm_src_tat values */
	ADM_PART_PKT,		/* adm_pkt_rate: __u64 TAT values */
};

/* The outer map's name and its inner maps' value size, by kind. */
const char *adm_part_map_name(enum adm_part_kind kind);
__u32 adm_part_value_size(enum adm_part_kind kind);

/*
 * A new fd of service id's partition in the outer map outer_fd, or a
 * negative errno (-ENOENT: the slot is empty). The caller closes it.
 */
int adm_part_open(int outer_fd, __u32 id);

/* Entries the partition of service id can hold, 0 if none (or -errno). */
long adm_part_capacity(int outer_fd, __u32 id);

/*
 * Give service id a partition of `entries` entries (0: keep the current
 * size, or ADM_RATE_SOURCES_DEFAULT if there is none). A partition of
 * another size is replaced by a new one holding its entries (as many as
 * fit). 0, or -1 with one sentence in err.
 */
int adm_part_ensure(int outer_fd, enum adm_part_kind kind, __u32 id,
		    __u32 entries, char *err, size_t errlen);

/* Empty service id's slot (its map is freed with its last reference). 0 or -errno. */
int adm_part_drop(int outer_fd, __u32 id);

/*
 * Call fn(fd, id, arg) for each service's partition, in id order; stops at
 * the first nonzero return and returns it. fd is closed after fn.
 */
int adm_part_each(int outer_fd, int (*fn)(int fd, __u32 id, void *arg), void *arg);

/*
 * What service id's policy svc needs, before svc is written: a partition
 * of adm_rate (rate_fd) for a SYN rate without verify, of adm_pkt_rate
 * (pkt_fd) for a packet rate, of rate_n / pkt_n entries (0: keep, or the
 * default). Either fd may be -1 (not touched). 0, or -1 with err.
 */
int adm_part_prepare(int rate_fd, int pkt_fd, __u32 id, const struct adm_service *svc,
		     __u32 rate_n, __u32 pkt_n, char *err, size_t errlen);

/*
 * After svc is written (svc NULL: the service is gone): drop the
 * partitions it no longer needs. 0 or -errno.
 */
int adm_part_retire(int rate_fd, int pkt_fd, __u32 id, const struct adm_service *svc);

#endif /* ADM_PART_H */
