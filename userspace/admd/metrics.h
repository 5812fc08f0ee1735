/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* admd module "metrics": Prometheus text at [metrics] listen /metrics. */
#ifndef ADMD_METRICS_H
#define ADMD_METRICS_H

struct admd_module;

extern const struct admd_module mx_module;

#endif /* ADMD_METRICS_H */
