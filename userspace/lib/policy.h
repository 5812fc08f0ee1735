/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* From configuration to the policy maps the data plane reads. */
#ifndef ADM_POLICY_H
#define ADM_POLICY_H

#include <stddef.h>
#include "adm/adm.h"
#include "config.h"

/* The adm_services value for one configured service. */
void adm_policy_service(const struct adm_svc_config *sc, struct adm_service *out);

/*
 * Write cfg's policy into the maps pinned under cfg->pin_root: services,
 * port table, concurrency limits, names, and the shadow flag of each
 * service. Service ids are stable by name: a service already in adm_meta
 * keeps its id (and so its buckets, counters, verified sources and breaker
 * state) whatever its place in the file; a new one takes the lowest free
 * id. cfg->svcs[].id is rewritten accordingly. Services and ports no
 * longer configured are disabled.
 *
 * Each service's policy is one atomic element write and is written before
 * any port leads to it, so every packet sees a consistent port -> service
 * -> policy chain; two services may briefly be on different generations.
 * Returns 0, or -1 with one sentence in err (maps may be partly written).
 */
int adm_policy_apply(struct adm_config *cfg, char *err, size_t errlen);

#endif /* ADM_POLICY_H */
