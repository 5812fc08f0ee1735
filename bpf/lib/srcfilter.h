/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * adm_src_filter (include/adm/adm.h): a bit per hashed (service, address)
 * key that has an adm_src entry, so a SYN from a source that never
 * completed a handshake costs no hash lookup in adm_src; adm_src_summary
 * a bit per 4 of them, so it mostly costs no filter read either.
 * admd rebuilds both from the adm_src keys (userspace/lib/srcfilter.c).
 */
#ifndef ADM_SRCFILTER_H
#define ADM_SRCFILTER_H

#include <bpf/bpf_helpers.h>
#include "adm/adm.h"
#include "adm_maps.h"

/* 0: the key has no adm_src entry; 1: it may have one. */
static __always_inline int adm_src_maybe(const struct adm_fp_key *k)
{
	__u32 bit = adm_src_filter_bit(k), word = bit / 64;
	__u32 sbit = bit >> ADM_SRC_SUMMARY_SHIFT, sword = sbit / 64;
	__u64 *w = bpf_map_lookup_elem(&adm_src_summary, &sword);

	if (w && !(*w >> (sbit % 64) & 1))
		return 0;
	w = bpf_map_lookup_elem(&adm_src_filter, &word);
	return !w || (*w >> (bit % 64) & 1);
}

/* Set bit `bit` in map (an array of __u64 words) unless it is set. */
static __always_inline void adm_src_bit_set(void *map, __u32 bit)
{
	__u32 word = bit / 64;
	__u64 *w = bpf_map_lookup_elem(map, &word);

	if (w && !(*w >> (bit % 64) & 1))
		__sync_fetch_and_or(w, 1ULL << (bit % 64));
}

/*
 * Mark the key before (or with) its adm_src entry: adm_src_filter_next
 * first, then adm_src_filter, then adm_src_summary (admd's rebuild copies
 * next into the live filter and derives the summary from it, so a bit
 * that reaches them is already in next). The order holds because each or
 * is a locked instruction, a full barrier on x86; a JIT whose
 * non-fetching atomics are relaxed (arm64) would need the fetching form.
 */
static __always_inline void adm_src_mark(const struct adm_fp_key *k)
{
	__u32 bit = adm_src_filter_bit(k);

	adm_src_bit_set(&adm_src_filter_next, bit);
	adm_src_bit_set(&adm_src_filter, bit);
	adm_src_bit_set(&adm_src_summary, bit >> ADM_SRC_SUMMARY_SHIFT);
}

#endif /* ADM_SRCFILTER_H */
