// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The share rule, store-failure limits and reconnect backoff; see share.h. */
#include "adm/adm.h"
#include "share.h"

__u64 share_reserve(__u64 limit, __u64 others, __u64 cluster_live, __u64 live,
		    __u64 demand, __u64 wsum)
{
	__u64 free_cap, target, cap;

	if (!limit)
		return 0;
	if (wsum < demand + 1)
		wsum = demand + 1;
	free_cap = cluster_live < limit ? limit - cluster_live : 0;
	target = live + (__u64)((unsigned __int128)free_cap * (demand + 1) / wsum);
	cap = others < limit ? limit - others : 0;
	if (target > cap)
		target = cap;
	return target > live ? target : live;
}

__u64 share_gate(__u64 limit, __u64 reserved, __u64 cluster_live, __u64 live,
		 __u64 demand, __u64 wsum)
{
	__u64 free_cap, fair;

	if (!limit)
		return reserved;
	if (wsum < demand + 1)
		wsum = demand + 1;
	free_cap = cluster_live < limit ? limit - cluster_live : 0;
	fair = (__u64)((unsigned __int128)limit * (demand + 1) / wsum);
	if (free_cap * 20 <= limit && live > fair && fair < reserved)
		return fair;
	return reserved;
}

const char *share_mode_name(unsigned int m)
{
	static const char *const names[] = {
		[SHARE_SYNCED] = "synced",
		[SHARE_LOCAL_SHARE] = "local-share",
		[SHARE_OPEN] = "open",
		[SHARE_CLOSED] = "closed",
	};

	return m < SHARE__MAX ? names[m] : "?";
}

__u64 share_limit(unsigned int mode, __u64 conn_limit, __u64 reserved,
		  int have_reserved, __u64 nodes)
{
	if (mode == SHARE_CLOSED)
		return ADM_CONC_REFUSE_ALL;
	if (!conn_limit || mode == SHARE_OPEN)
		return conn_limit;
	if (have_reserved)
		return reserved;
	/* no round ever succeeded: an equal split, never "unlimited" */
	if (!nodes)
		nodes = 1;
	return conn_limit / nodes ? conn_limit / nodes : 1;
}

__u64 share_backoff_ms(unsigned int failures, __u64 base_ms, __u64 cap_ms,
		       __u32 rnd)
{
	__u64 ceil = base_ms;
	unsigned int i;

	for (i = 1; i < failures && ceil < cap_ms; i++)
		ceil *= 2;
	if (ceil > cap_ms)
		ceil = cap_ms;
	ceil = (__u64)((unsigned __int128)ceil * rnd >> 32);
	return ceil ? ceil : 1;
}

__u64 share_report_min(__u64 rate, __u64 nodes)
{
	__u64 d;

	if (!nodes)
		nodes = 1;
	d = 2 * nodes;
	return rate > d ? (rate + d - 1) / d : 1;
}
