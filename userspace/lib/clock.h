/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The clocks userspace shares with the data plane (prefix adm_): the
 * monotonic clock bpf_ktime_get_ns() reads, and the unit constants every
 * duration in userspace is written with.
 */
#ifndef ADM_CLOCK_H
#define ADM_CLOCK_H

#include <linux/types.h>

#ifndef NS_PER_SEC
#define NS_PER_SEC	1000000000ULL
#endif
#ifndef NS_PER_MS
#define NS_PER_MS	1000000ULL
#endif
#ifndef NS_PER_MIN
#define NS_PER_MIN	(60 * NS_PER_SEC)
#endif

/* Current CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(). Never fails. */
__u64 adm_mono_ns(void);

#endif /* ADM_CLOCK_H */
