/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Loading, pinning and attaching the data plane (prefix ld_). */
#ifndef ADMD_LOADER_H
#define ADMD_LOADER_H

#include "config.h"

struct adm_xdp_bpf;

/*
 * Open and load adm_xdp with its maps pinned under cfg->pin_root, reusing
 * pinned maps of the same layout. A pinned map whose layout differs (an
 * upgrade changed it) is refused with its name, never silently reset.
 * Returns the skeleton, or NULL with one sentence in err.
 */
struct adm_xdp_bpf *ld_load(const struct adm_config *cfg, char *err, size_t errlen);

/*
 * Attach the loaded program to ifname through a bpf_link pinned under the
 * pin root. An existing adm link is updated in place (no gap in
 * enforcement); an XDP program adm does not own is refused, or with
 * cfg->force taken off first (netlink attachments only). *mode_out
 * gets "native" or "generic". Returns 0, or -1 with one sentence in err.
 */
int ld_attach(struct adm_xdp_bpf *skel, const struct adm_config *cfg,
	      const char *ifname, const char **mode_out, char *err,
	      size_t errlen);

/*
 * Detach every interface and remove every pin under pin_root, then the
 * directory. Returns the number of objects removed, or -1 with err.
 */
int ld_cleanup(const char *pin_root, char *err, size_t errlen);

/* What ld_attach_prev changed: a new link (created), or a program replaced in a link (prog_fd, the old one's). */
struct ld_prev {
	int created;
	int prog_fd;	/* -1: none */
};

int ld_attach_prev(struct adm_xdp_bpf *skel, const struct adm_config *cfg,
		   const char *ifname, const char **mode_out,
		   struct ld_prev *prev, char *err, size_t errlen);

struct admd_module;
extern const struct admd_module ld_module;

#endif /* ADMD_LOADER_H */
