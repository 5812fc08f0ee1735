/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* admd module "cluster" (prefix rs_): cluster-wide limits through Redis (cluster.c). */
#ifndef ADMD_CLUSTER_H
#define ADMD_CLUSTER_H

#include "admd.h"

extern const struct admd_module rs_module;

/*
 * The cap the cluster puts on a conn_limit = auto service on this node
 * (its share of cluster_conn_limit, or ADM_CONC_REFUSE_ALL when the store
 * is down and the service is on_store_failure = closed): 1 and *cap, or 0
 * when the cluster caps nothing. The breaker module, the one writer of
 * adm_conc.limit for such a service, enforces alim_enforced(adaptive, cap).
 * Main thread; takes the module's lock for a moment.
 */
int rs_node_cap(__u32 id, __u64 *cap);

#endif /* ADMD_CLUSTER_H */
