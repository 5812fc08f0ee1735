/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The socket layer: sockops counting, socket table recount, reaping (prefix sk_). */
#ifndef ADMD_SOCKETS_H
#define ADMD_SOCKETS_H

#include <stddef.h>
#include <linux/types.h>
#include "config.h"

struct sk_layer;

/*
 * Load adm_sockops and adm_iter over the maps pinned under cfg->pin_root,
 * scoped to the calling thread's network namespace, and attach adm_sockops
 * to cfg->cgroup (default: the cgroup v2 mount) through a pinned link; an
 * existing link is updated in place. Returns NULL with one sentence in err.
 */
struct sk_layer *sk_start(const struct adm_config *cfg, char *err, size_t errlen);

/*
 * One pass over the kernel's TCP socket table: reap connections past their
 * service's idle_timeout / max_lifetime, recount live connections per
 * service and per source, and correct a counter only when the same drift
 * is seen in two consecutive quiet passes (no connection opened or closed
 * during either). Results go to adm_meta. Returns 0 or a negative errno.
 */
int sk_reconcile(struct sk_layer *sk);

struct adm_src_filter_pass;

/*
 * Rebuild adm_src_filter from the adm_src keys (adm_src_filter_rebuild):
 * keys deleted since are forgotten. Not concurrently with sk_reconcile.
 * 0 or a negative errno.
 */
int sk_filter_rebuild(struct sk_layer *sk, struct adm_src_filter_pass *p);

/* Bits set in adm_src_filter now. */
__u64 sk_filter_bits(struct sk_layer *sk);
/* Bits set in adm_src_summary now. */
__u64 sk_summary_bits(struct sk_layer *sk);

/* Release userspace handles; the pinned link keeps sockops attached. */
void sk_stop(struct sk_layer *sk);

/* Find the cgroup v2 mount point in /proc/mounts. 0, or -1 if none. */
int sk_cgroup2_mount(char *buf, size_t len);

struct admd_module;
extern const struct admd_module sk_module;

#endif /* ADMD_SOCKETS_H */
