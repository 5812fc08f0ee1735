/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* adm_src_filter from userspace (include/adm/adm.h): mark a key that gets an adm_src entry. */
#ifndef ADM_SRCFILTER_USER_H
#define ADM_SRCFILTER_USER_H

#include "adm/adm.h"

/*
 * Set key's bit in the adm_src_filter map fd (before writing its adm_src
 * entry, or XDP may not look for it), with an atomic or on the mmapped
 * array. 0 or -errno.
 */
int adm_src_filter_mark(int fd, const struct adm_fp_key *key);

#endif /* ADM_SRCFILTER_USER_H */
