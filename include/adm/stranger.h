/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The keyed hash that spreads (service, unverified prefix) over the
 * adm_stranger slots. Shared by the data plane (bpf/lib/stranger.h) and
 * the userspace reference model of the verdict (tests/bpf), so both
 * compute the same slot from the same key.
 */
#ifndef ADM_STRANGER_HASH_H
#define ADM_STRANGER_HASH_H

#include "adm.h"

#define ADM_HASH_MUL	0x9e3779b97f4a7c15ULL	/* 2^64 / golden ratio */

static inline __u64 adm_hash_round(__u64 h, __u64 v)
{
	h ^= v;
	h *= ADM_HASH_MUL;
	return h ^ (h >> 31);
}

/* Slot of (service id, masked prefix: 4 network-order words) under key `seed`. */
static inline __u32 adm_stranger_slot(__u64 seed, __u32 id, const __u32 *prefix)
{
	__u64 h = seed;

	h = adm_hash_round(h, (__u64)id << 32 | prefix[0]);
	h = adm_hash_round(h, (__u64)prefix[1] << 32 | prefix[2]);
	h = adm_hash_round(h, prefix[3]);
	return (__u32)(h >> 32) & (ADM_STRANGER_SLOTS - 1);
}

#endif /* ADM_STRANGER_HASH_H */
