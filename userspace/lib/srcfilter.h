/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* adm_src_filter and adm_src_summary from userspace (include/adm/adm.h). */
#ifndef ADM_SRCFILTER_USER_H
#define ADM_SRCFILTER_USER_H

#include "adm/adm.h"

/*
 * Mark a key that gets an adm_src entry (before writing the entry, or XDP
 * may not look for it): its bit in adm_src_summary (map fd sum_fd), then
 * in adm_src_filter (fd), each with an atomic or on the mmapped array.
 * 0 or -errno.
 */
int adm_src_filter_mark(int fd, int sum_fd, const struct adm_fp_key *key);

/*
 * Set every adm_src_summary bit whose 16 adm_src_filter bits are not all
 * clear (a filter pinned before the summary existed; idempotent, safe
 * while both are written). 0 or -errno.
 */
int adm_src_summary_rebuild(int fd, int sum_fd);

#endif /* ADM_SRCFILTER_USER_H */
