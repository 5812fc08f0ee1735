/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* admd module "cluster" (prefix rs_): cluster-wide limits through Redis (cluster.c). */
#ifndef ADMD_CLUSTER_H
#define ADMD_CLUSTER_H

#include "admd.h"

extern const struct admd_module rs_module;

#endif /* ADMD_CLUSTER_H */
