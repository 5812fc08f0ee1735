// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The monotonic clock shared with the data plane; see clock.h. */
#include <time.h>
#include "clock.h"

__u64 adm_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NS_PER_SEC + (__u64)ts.tv_nsec;
}
