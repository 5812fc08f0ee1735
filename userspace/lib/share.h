/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Cluster-wide limits without Redis on the packet path (prefix share_):
 * the share rule, the limit a node enforces in each store mode, and the
 * reconnect backoff. Pure functions of their arguments (the random draw is
 * passed in), so the unit tests drive them without a kernel or a Redis.
 */
#ifndef ADM_SHARE_H
#define ADM_SHARE_H

#include <linux/types.h>

/*
 * The share rule, as the round script applies it atomically in Redis
 * (userspace/lib/rs_proto.c), for one service of one node. Its inputs, over
 * the live nodes (this one's included unless said otherwise):
 */
struct share_in {
	__u64 limit;		/* the cluster-wide conn_limit (0: none) */
	__u64 others;		/* capacity reserved by the other nodes */
	__u64 cluster_live;	/* live connections */
	__u64 wsum;		/* sum of demand + 1 */
	__u64 wsum_lend;	/* sum of need ? demand + 1 : 1 */
	__u64 owed;		/* sum of share_owed() */
	__u64 live;		/* this node's: what its gate counts (established + pending) */
	__u64 demand;		/* this node's SYNs at its gate last interval */
	int need;		/* this node's gate refused a SYN last interval */
};

/* A node's fair share of limit: floor(limit * (demand + 1) / wsum). */
__u64 share_fair(__u64 limit, __u64 demand, __u64 wsum);

/*
 * What a node is owed: fair share - live when it needs more (its gate
 * refused a SYN last interval) and holds less than its fair share, else 0.
 */
__u64 share_owed(__u64 limit, __u64 live, __u64 demand, int need, __u64 wsum);

/*
 * The reservation (what this node may hold):
 *
 *   free     = max(0, limit - cluster_live)
 *   spare    = max(0, free - owed)
 *   want     = need ? max(live, fair) + floor(spare * (demand + 1) / wsum_lend)
 *                   : live + floor(spare / wsum_lend)
 *   reserved = max(live, min(want, limit - others))
 *
 * A node that needs more is given its fair share first; what no such
 * node is owed (spare) is lent, by demand to the nodes that need more and
 * one part each to the others (headroom until their next round: an idle
 * cluster is split evenly).
 * Each reservation is made from the others' current reservations, so the
 * reservations of the live nodes sum to at most `limit` (a node's live
 * count exceeds its reservation only by the handshakes its gate admitted
 * at once, the local overshoot, and by what it admitted between reading
 * the live count it sent and writing the gate the round gave it).
 */
__u64 share_reserve(const struct share_in *in);

/*
 * The limit this node's gate enforces, from its reservation: a node
 * holding more than its fair share while the others are owed more than is
 * free (owed > free) gates at its fair share, so it admits nothing new and
 * its closing connections return to the others instead of being refilled
 * by its own clients. Otherwise the gate is the reservation. Never above
 * the reservation, so the bound above is unchanged.
 */
__u64 share_gate(const struct share_in *in, __u64 reserved);

/* What a service does while Redis is unreachable (enum adm_store_failure). */
enum share_mode {
	SHARE_SYNCED = 0,	/* last round succeeded */
	SHARE_LOCAL_SHARE,	/* store down: keep the last reservation */
	SHARE_OPEN,		/* store down: local limits only */
	SHARE_CLOSED,		/* store down: refuse new connections */
	SHARE__MAX,
};

const char *share_mode_name(unsigned int m);

/*
 * The adm_conc limit a service enforces: `mode` (SHARE_*), its configured
 * conn_limit (cluster-wide, 0 = none) and the last reservation (0: none
 * yet). Open and a service without a conn_limit give conn_limit; closed
 * gives ADM_CONC_REFUSE_ALL; local-share without any reservation yet
 * falls back to an equal split of conn_limit among `nodes` (at least 1).
 */
__u64 share_limit(unsigned int mode, __u64 conn_limit, __u64 reserved,
		  int have_reserved, __u64 nodes);

/*
 * Reconnect delay after `failures` consecutive failures (1..): exponential
 * from base_ms, capped at cap_ms, with full jitter: rnd (uniform in
 * [0, 2^32)) picks the delay in [0, that]. At least 1 ms.
 */
__u64 share_backoff_ms(unsigned int failures, __u64 base_ms, __u64 cap_ms,
		       __u32 rnd);

/*
 * The per-node report threshold of a cluster-wide source rate: a node
 * sends a source's SYNs of the current window once they reach
 * ceil(rate / (2 x nodes)) (at least 1). What stays unreported sums to
 * less than rate / 2 over the nodes, so a source is blocked before it
 * passes 1.5 x its rate in a window, and a round carries only sources
 * near their rate, not every active one.
 */
__u64 share_report_min(__u64 rate, __u64 nodes);

#endif /* ADM_SHARE_H */
