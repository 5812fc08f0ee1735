/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * adm_src_filter (include/adm/adm.h): a bit per hashed (service, address)
 * key that has had an adm_src entry, so a SYN from a source that never
 * completed a handshake costs no hash lookup in adm_src; adm_src_summary
 * a bit per 16 of them, so it mostly costs no filter read either.
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

/*
 * Mark the key: set before (or with) its adm_src entry, the summary bit
 * before the filter bit; each only written when clear.
 */
static __always_inline void adm_src_mark(const struct adm_fp_key *k)
{
	__u32 bit = adm_src_filter_bit(k), word = bit / 64;
	__u32 sbit = bit >> ADM_SRC_SUMMARY_SHIFT, sword = sbit / 64;
	__u64 *w = bpf_map_lookup_elem(&adm_src_summary, &sword);

	if (w && !(*w >> (sbit % 64) & 1))
		__sync_fetch_and_or(w, 1ULL << (sbit % 64));
	w = bpf_map_lookup_elem(&adm_src_filter, &word);
	if (w && !(*w >> (bit % 64) & 1))
		__sync_fetch_and_or(w, 1ULL << (bit % 64));
}

#endif /* ADM_SRCFILTER_H */
