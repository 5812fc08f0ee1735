/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * GCRA arithmetic, shared by the BPF programs (which wrap it in a
 * compare-and-swap loop) and the userspace unit tests (fake clock).
 */
#ifndef ADM_GCRA_H
#define ADM_GCRA_H

#include "adm.h"

/*
 * One GCRA step for a key whose theoretical arrival time is `tat` (0 for a
 * fresh key) at time `now`. Returns 1 and stores the advanced TAT in
 * *next when the event conforms, 0 (and leaves *next untouched) when it
 * must be refused. A fresh key admits exactly burst = tau/emission + 1
 * events at once, then one per emission interval.
 */
static inline int adm_gcra_conforms(__u64 tat, __u64 now, __u64 emission,
				    __u64 tau, __u64 *next)
{
	__u64 base = tat > now ? tat : now;

	if (base - now > tau)
		return 0;
	*next = base + emission;
	return 1;
}

/* tau for a burst of `burst` events (burst >= 1). */
static inline __u64 adm_gcra_tau(__u64 emission, __u32 burst)
{
	return burst ? (__u64)(burst - 1) * emission : 0;
}

#endif /* ADM_GCRA_H */
