/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The allow and deny lists, with the adm_global "may be non-empty" words
 * that let the data plane skip an empty list (protocol in include/adm/adm.h).
 * Every writer of adm_allow / adm_deny goes through these.
 */
#ifndef ADM_CIDR_H
#define ADM_CIDR_H

#include "adm/adm.h"

/* Insert or replace key -> expires_ns (0 = never), then mark the list. 0 or -errno. */
int adm_cidr_add(const char *root, int allow, const struct adm_lpm_key *key,
		 __u64 expires_ns);

/* Delete key (-ENOENT if absent), then unmark the list if it became empty. 0 or -errno. */
int adm_cidr_del(const char *root, int allow, const struct adm_lpm_key *key);

/*
 * Delete expired entries of both lists, then unmark lists found empty;
 * safe against concurrent adds. 0 or -errno.
 */
int adm_cidr_sweep(const char *root);

/*
 * The same on already open fds (list map, adm_global map). A full list
 * (ENOSPC) first loses its expired entries, then the add is retried once.
 */
int adm_cidr_add_fd(int list_fd, int global_fd, int allow,
		    const struct adm_lpm_key *key, __u64 expires_ns);

/* Delete the list's entries that expired at or before now_ns. Count deleted or -errno. */
int adm_cidr_expire_fd(int list_fd, __u64 now_ns);

#endif /* ADM_CIDR_H */
