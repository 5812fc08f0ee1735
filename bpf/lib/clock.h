/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The data plane's clock: CLOCK_MONOTONIC at tick resolution
 * (bpf_ktime_get_coarse_ns, a memory read). bpf_ktime_get_ns measured
 * ~40 ns a call in a VM here, more than the rest of a SYN's judgement.
 * Contract with userspace: every GCRA tolerance is raised to at least one
 * tick (adm_rate_to_gcra_dp), which keeps long-run rates exact; a CIDR
 * entry expires at most one tick late.
 */
#ifndef ADM_CLOCK_H
#define ADM_CLOCK_H

#include <bpf/bpf_helpers.h>

static __always_inline __u64 adm_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

#endif /* ADM_CLOCK_H */
