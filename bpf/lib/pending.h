/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Pending handshakes per service (struct adm_pending in include/adm):
 * admitted by XDP, not yet established. The global gate counts them with
 * the live connections. Every change is a compare-and-swap on one word
 * holding a bucket's epoch and count, so a bucket is reset and counted
 * in one step.
 */
#ifndef ADM_PENDING_H
#define ADM_PENDING_H

#include <bpf/bpf_helpers.h>
#include "adm/adm.h"

#define ADM_PENDING_TRIES	4

/* One more pending handshake in the current epoch's bucket (reset if stale). */
static __always_inline void adm_pending_add(struct adm_pending *p, __u64 epoch)
{
	__u64 *b = &p->bucket[epoch & 1], w, next;
	int i;

	for (i = 0; i < ADM_PENDING_TRIES; i++) {
		w = *(volatile __u64 *)b;
		if ((w >> ADM_PENDING_COUNT_BITS) != epoch)
			next = epoch << ADM_PENDING_COUNT_BITS | 1;
		else if ((w & ADM_PENDING_COUNT_MASK) == ADM_PENDING_COUNT_MASK)
			return;		/* saturated */
		else
			next = w + 1;
		if (__sync_val_compare_and_swap(b, w, next) == w)
			return;
	}
}

/*
 * One pending handshake completed: taken from the current epoch's bucket
 * if it counts any, else from the previous one; never below zero, and
 * nothing when both are stale (the handshake had already expired).
 */
static __always_inline void adm_pending_done(struct adm_pending *p, __u64 epoch)
{
	__u64 *b, w, e;
	int i, k;

	for (k = 0; k < 2; k++) {
		e = epoch - k;
		b = &p->bucket[e & 1];
		for (i = 0; i < ADM_PENDING_TRIES; i++) {
			w = *(volatile __u64 *)b;
			if ((w >> ADM_PENDING_COUNT_BITS) != e || !(w & ADM_PENDING_COUNT_MASK))
				break;
			if (__sync_val_compare_and_swap(b, w, w - 1) == w)
				return;
		}
	}
}

#endif /* ADM_PENDING_H */
