/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading the data plane's counters from the pinned maps. */
#ifndef ADM_STATS_H
#define ADM_STATS_H

#include "adm/adm.h"

/* Counters of every (service, verdict, reason), summed over CPUs. */
struct adm_stats_snapshot {
	struct adm_stat c[ADM_MAX_SERVICES][ADM_V__MAX][ADM_R__MAX];
	struct adm_meta meta[ADM_MAX_SERVICES];
	struct adm_conc conc[ADM_MAX_SERVICES];
	struct adm_evbudget events;	/* summed over CPUs; `second` unused */
};

/*
 * Read a snapshot from the maps pinned under root (read-only).
 * Returns 0, or a negative errno (-ENOENT: nothing pinned there).
 */
int adm_stats_read(const char *root, struct adm_stats_snapshot *snap);

/* True if service id is configured (has a name) or has any counter. */
int adm_stats_service_used(const struct adm_stats_snapshot *snap, __u32 id);

#endif /* ADM_STATS_H */
