/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Budgets of sources that never completed a handshake (verify = yes):
 * the per-prefix budget lives in a fixed table (adm_stranger) indexed by
 * a keyed hash of (service, prefix), and the service-wide new-source
 * budget in adm_newsrc_rate. Neither inserts nor evicts anything, so a
 * flood from the whole address space costs one array lookup and no write
 * per SYN once the new-source budget is spent, and leaves every verified
 * source's state alone.
 *
 * Bound: strangers admitted by a service in T seconds <= new_source_rate
 * x T + new_source_burst, whatever their addresses. Prefixes whose hashes
 * share a slot share one budget (stricter, never looser). The key is
 * drawn at random on first use and unknown to userspace; the mix is a
 * multiply-xorshift, not a cryptographic PRF.
 */
#ifndef ADM_STRANGER_H
#define ADM_STRANGER_H

#include <bpf/bpf_helpers.h>
#include "adm/adm.h"
#include "adm/stranger.h"
#include "adm_maps.h"
#include "fingerprint.h"
#include "gcra.h"

/* This boot's hash key in adm_global, drawn on first use. */
static __always_inline __u64 adm_hash_seed(struct adm_global *g)
{
	__u64 seed = g->hash_seed, fresh;

	if (seed)
		return seed;
	fresh = ((__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32()) | 1;
	seed = __sync_val_compare_and_swap(&g->hash_seed, 0, fresh);
	return seed ? seed : fresh;
}

/*
 * Charge a SYN from a never-verified source to its prefix's slot and to
 * the service's new-source budget. Returns the refusal reason or
 * ADM_R_NONE: a spent new-source budget refuses first (without charging
 * the prefix), then the prefix's budget, then the new-source charge. A service with no new-source budget refuses every stranger
 * (the config requires one with verify = yes; a hand-written policy
 * without it fails closed, never open).
 */
static __always_inline __u32 adm_charge_stranger(__u32 id,
						 const struct adm_service *svc,
						 const struct adm_pkt *p,
						 struct adm_global *g, __u64 now)
{
	__u32 prefix[4], slot;
	__u64 *tat, *newsrc;

	if (!svc->new_sources.emission_ns)
		return ADM_R_RATE_NEW_SOURCES;
	/*
	 * The flood path: once the new-source budget is spent, refuse before
	 * any write (no prefix slot charged, no cache line dirtied).
	 */
	newsrc = bpf_map_lookup_elem(&adm_newsrc_rate, &id);
	if (newsrc && !adm_gcra_would(newsrc, now, &svc->new_sources))
		return ADM_R_RATE_NEW_SOURCES;
	if (svc->unv_prefix.emission_ns && g) {
		adm_mask_addr(prefix, p->saddr, p->family,
			      p->family == 4 ? svc->unv_ipv4_prefix :
					       svc->unv_ipv6_prefix);
		slot = adm_stranger_slot(adm_hash_seed(g), id, prefix);
		tat = bpf_map_lookup_elem(&adm_stranger, &slot);
		if (tat && !adm_gcra_charge(tat, now, &svc->unv_prefix))
			return ADM_R_RATE_PREFIX_UNVERIFIED;
	}
	if (newsrc && !adm_gcra_charge(newsrc, now, &svc->new_sources))
		return ADM_R_RATE_NEW_SOURCES;
	return ADM_R_NONE;
}

#endif /* ADM_STRANGER_H */
