// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The share rule, store-failure limits and reconnect backoff; see share.h. */
#include "adm/adm.h"
#include "share.h"

static __u64 share_div(__u64 a, __u64 b, __u64 c)
{
	return c ? (__u64)((unsigned __int128)a * b / c) : 0;
}

__u64 share_fair(__u64 limit, __u64 demand, __u64 wsum)
{
	if (wsum < demand + 1)
		wsum = demand + 1;
	return share_div(limit, demand + 1, wsum);
}

__u64 share_owed(__u64 limit, __u64 live, __u64 demand, int need, __u64 wsum)
{
	__u64 fair = share_fair(limit, demand, wsum);

	return need && fair > live ? fair - live : 0;
}

static __u64 share_free(const struct share_in *in)
{
	return in->cluster_live < in->limit ? in->limit - in->cluster_live : 0;
}

__u64 share_reserve(const struct share_in *in)
{
	__u64 free_cap = share_free(in), spare, fair, want, cap;
	__u64 wsum = in->wsum, wlend = in->wsum_lend, w = in->need ? in->demand + 1 : 1;

	if (!in->limit)
		return 0;
	if (wsum < in->demand + 1)
		wsum = in->demand + 1;
	if (wlend < w)
		wlend = w;
	spare = free_cap > in->owed ? free_cap - in->owed : 0;
	want = in->live;
	if (in->need) {
		fair = share_fair(in->limit, in->demand, wsum);
		if (fair > want)
			want = fair;
	}
	want += share_div(spare, w, wlend);
	cap = in->others < in->limit ? in->limit - in->others : 0;
	if (want > cap)
		want = cap;
	return want > in->live ? want : in->live;
}

__u64 share_gate(const struct share_in *in, __u64 reserved)
{
	__u64 fair;

	if (!in->limit)
		return reserved;
	fair = share_fair(in->limit, in->demand, in->wsum);
	if (in->live > fair && in->owed > share_free(in))
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
