/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Decision aggregation (prefix agg_): admd's stage between the kernel's
 * ring buffer and the spool. Decision records with the same service,
 * source (masked to a prefix), verdict, reason, protocol and destination
 * port within one window become one record: counts summed, the first
 * record's time and sport, the last record's time in time_last_ns.
 *
 * Windows are tumbling and start with the first record into an empty
 * table; the caller says when the window has ended (agg_tick with its
 * clock) and flushes at stop and before a reload (agg_flush). Memory is
 * bounded: a fixed table of max_entries; a record with a new key that
 * finds it full flushes the whole table first (counted as a "full"
 * flush). A sum that would pass 2^32 - 1 emits the entry and starts it
 * again. Nothing is lost or counted twice: the counts emitted always sum
 * to the counts taken. Single-threaded; time is the caller's (a fake
 * clock in the unit tests). Audit records never come here.
 */
#ifndef ADM_AGG_H
#define ADM_AGG_H

#include <linux/types.h>
#include "spool.h"

enum agg_flush_why {
	AGG_FLUSH_WINDOW,	/* the window ended */
	AGG_FLUSH_FULL,		/* the table was full: flushed early */
	AGG_FLUSH_STOP,		/* admd stops */
	AGG_FLUSH_RELOAD,	/* before a reload is applied */
	AGG_FLUSH__MAX,
};

struct agg_stats {
	__u64 in;			/* records taken */
	__u64 out;			/* records emitted */
	__u64 flushes[AGG_FLUSH__MAX];	/* flushes that emitted something */
	__u64 overflow;			/* entries emitted early: count near 2^32 */
};

/* Called with each record leaving the table (in the order keys came). */
typedef void (*agg_emit_fn)(void *ctx, const struct spool_decision *d);

/*
 * A table of at most max_entries keys (1..2^24). window_ns 0 turns
 * aggregation off: agg_add emits every record at once (still masked to
 * the prefixes). prefix4: 0..32, prefix6: 0..128. NULL on ENOMEM/EINVAL.
 */
struct agg *agg_new(unsigned int max_entries, __u64 window_ns,
		    unsigned int prefix4, unsigned int prefix6,
		    agg_emit_fn emit, void *ctx);
/* New settings; the caller flushes first (records already in keep their key). */
void agg_configure(struct agg *a, __u64 window_ns, unsigned int prefix4,
		   unsigned int prefix6);
/*
 * Take one decision record (its time_last_ns may be 0: time_ns is used).
 * A window that ended before now is flushed first. Returns 1 when the
 * record started a window (the caller arms its timer for agg_deadline),
 * else 0.
 */
int agg_add(struct agg *a, const struct spool_decision *d, __u64 now_ns);
/* When the open window ends (on the caller's clock); 0 when empty. */
__u64 agg_deadline(const struct agg *a);
/* Flush if the window has ended at now. Returns records emitted. */
unsigned int agg_tick(struct agg *a, __u64 now_ns);
/* Emit everything now. Returns records emitted. */
unsigned int agg_flush(struct agg *a, enum agg_flush_why why);
unsigned int agg_entries(const struct agg *a);
unsigned int agg_capacity(const struct agg *a);
const struct agg_stats *agg_stats(const struct agg *a);
const char *agg_flush_name(enum agg_flush_why why);
void agg_free(struct agg *a);

#endif /* ADM_AGG_H */
