/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * GCRA over a __u64 TAT in a map value, advanced with compare-and-swap.
 * LRU maps cannot hold a bpf_spin_lock, and one word needs none.
 */
#ifndef ADM_BPF_GCRA_H
#define ADM_BPF_GCRA_H

#include <bpf/bpf_helpers.h>
#include "adm/gcra.h"

#ifndef ADM_GCRA_CAS_TRIES
#define ADM_GCRA_CAS_TRIES	4
#endif

/*
 * Charge one event to the TAT at *tat. Returns 1 if it conforms. When
 * every compare-and-swap lost a race the event is refused: only a key
 * hammered from all CPUs at once loses ADM_GCRA_CAS_TRIES times in a row.
 */
static __always_inline int adm_gcra_charge(__u64 *tat, __u64 now,
					   const struct adm_gcra *g)
{
	int i;

	for (i = 0; i < ADM_GCRA_CAS_TRIES; i++) {
		__u64 old = *(volatile __u64 *)tat, next;

		if (!adm_gcra_conforms(old, now, g->emission_ns, g->tau_ns, &next))
			return 0;
		if (__sync_val_compare_and_swap(tat, old, next) == old)
			return 1;
	}
	return 0;
}

/* Whether one event would conform now (nothing is charged: a read only). */
static __always_inline int adm_gcra_would(const __u64 *tat, __u64 now,
					  const struct adm_gcra *g)
{
	__u64 next;

	return adm_gcra_conforms(*(volatile const __u64 *)tat, now, g->emission_ns,
				 g->tau_ns, &next);
}

/*
 * Charge one event to the key's TAT in an LRU map, creating the entry on
 * first sight. emission_ns == 0 means unlimited.
 */
static __always_inline int adm_gcra_charge_key(void *map, const void *key,
					       __u64 now,
					       const struct adm_gcra *g)
{
	__u64 *tat, next;
	int i;

	if (!g->emission_ns)
		return 1;
	for (i = 0; i < 2; i++) {
		tat = bpf_map_lookup_elem(map, key);
		if (tat)
			return adm_gcra_charge(tat, now, g);
		/* Fresh key: conforms by definition (burst >= 1). */
		adm_gcra_conforms(0, now, g->emission_ns, g->tau_ns, &next);
		if (!bpf_map_update_elem(map, key, &next, BPF_NOEXIST))
			return 1;
		/* Lost the insert race: charge the entry the winner made. */
	}
	return 0;
}

#endif /* ADM_BPF_GCRA_H */
